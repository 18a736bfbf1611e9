/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/route: compile + match. The seed's two rules, priority between
 * exact, prefix and regex paths and between host classes, prefix element
 * semantics, rewrites, the Hyperscan fallbacks (front part of a regex,
 * prefilter, PCRE2 only) and a few hundred generated rules checked against
 * the reference matcher of route_ref.h on thousands of requests.
 */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_route.h"
#include "route_priv.h"
#include "route_ref.h"

static const char conf_head[] = "interface net_tap0 { address 198.18.0.1/24; }\n"
				"listen 198.18.0.1:80;\n"
				"upstream django-service { server 198.18.0.11:8000; }\n"
				"upstream flask-service { server 198.18.0.21:8000; }\n"
				"upstream u2 { server 198.18.0.31:8000; }\n"
				"upstream u3 { server 198.18.0.41:8000; }\n";

static const char seed_routes[] = "route regex \"/test01(/|$)(.*)\" {\n"
				  "	upstream django-service;\n"
				  "	rewrite \"/$2\";\n"
				  "}\n"
				  "route regex \"/test02(/|$)(.*)\" {\n"
				  "	upstream flask-service;\n"
				  "	rewrite \"/$2\";\n"
				  "}\n";

/* The config head followed by @p routes; any config error fails the test. */
static struct fo_conf *
parse_routes(const char *routes)
{
	size_t hl = strlen(conf_head), rl = strlen(routes);
	char *text = malloc(hl + rl + 1), *errs = NULL;
	size_t errs_len = 0;
	FILE *f = open_memstream(&errs, &errs_len);
	struct fo_conf *conf;

	assert_non_null(text);
	assert_non_null(f);
	memcpy(text, conf_head, hl);
	memcpy(text + hl, routes, rl + 1);
	conf = fo_conf_parse("t.conf", text, hl + rl, 0, f, NULL);
	fclose(f);
	if (conf == NULL)
		print_error("config errors:\n%s", errs);
	assert_non_null(conf);
	free(errs);
	free(text);
	return conf;
}

struct fx {
	struct fo_conf *conf;
	struct fo_route_table *t;
	struct fo_route_scratch *s;
	char out[FO_ROUTE_REWRITE_MAX];
};

static struct fx *
fx_new(const char *routes)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256] = "";

	assert_non_null(f);
	f->conf = parse_routes(routes);
	f->t = fo_route_compile(f->conf, err, sizeof(err));
	if (f->t == NULL)
		print_error("compile: %s\n", err);
	assert_non_null(f->t);
	f->s = fo_route_scratch_alloc(f->t);
	assert_non_null(f->s);
	return f;
}

static void
fx_free(struct fx *f)
{
	fo_route_scratch_free(f->s);
	fo_route_table_free(f->t);
	fo_conf_free(f->conf);
	free(f);
}

static int
match(struct fx *f, const char *host, const char *path, struct fo_route_result *res)
{
	return fo_route_match(f->t, f->s, host, host ? strlen(host) : 0, path, strlen(path), f->out,
		sizeof(f->out), res);
}

/*
 * @p path (for @p host) must go to route @p route (config index; -1: no
 * route) with upstream path @p up (NULL: not checked).
 */
static void
expect_at(struct fx *f, const char *host, const char *path, int route, const char *up, int line)
{
	struct fo_route_result res;
	int rc = match(f, host, path, &res);

	if (route < 0) {
		if (rc != -ENOENT)
			fail_msg("line %d: %s%s: expected no route, got rc %d route %u", line,
				host ? host : "", path, rc, res.route);
		return;
	}
	if (rc != 0)
		fail_msg("line %d: %s%s: expected route %d, got rc %d", line, host ? host : "",
			path, route, rc);
	if ((int)res.route != route)
		fail_msg("line %d: %s%s: expected route %d, got %u", line, host ? host : "", path,
			route, res.route);
	assert_ptr_equal(res.conf, &f->conf->routes[route]);
	assert_int_equal(res.upstream, f->conf->routes[route].upstream);
	if (up != NULL && (res.path_len != strlen(up) || memcmp(res.path, up, res.path_len) != 0))
		fail_msg("line %d: %s%s: expected path \"%s\", got \"%.*s\"", line,
			host ? host : "", path, up, (int)res.path_len, res.path);
}
#define expect(f, host, path, route, up) expect_at(f, host, path, route, up, __LINE__)

/* The rank of config route @p idx in the table (white box). */
static const struct route_rule *
rule_of(struct fx *f, unsigned idx)
{
	unsigned i;

	for (i = 0; i < f->t->n_rules; i++)
		if (f->t->rules[i].index == idx)
			return &f->t->rules[i];
	fail_msg("route %u not in the table", idx);
	return NULL;
}

static void
test_seed(void **state)
{
	struct fx *f = fx_new(seed_routes);

	assert_int_equal(fo_route_count(f->t), 2);
	assert_int_equal(f->conf->routes[0].upstream, 0);
	assert_int_equal(f->conf->routes[1].upstream, 1);
	expect(f, NULL, "/test01", 0, "/");
	expect(f, NULL, "/test01/", 0, "/");
	expect(f, NULL, "/test01/x/y", 0, "/x/y");
	expect(f, "vip", "/test01/api/users", 0, "/api/users");
	expect(f, NULL, "/test01abc", -1, NULL);
	expect(f, NULL, "/TEST01/x", 0, "/x");
	expect(f, NULL, "/Test02/z", 1, "/z");
	expect(f, NULL, "/test02/z", 1, "/z");
	expect(f, NULL, "/test02", 1, "/");
	expect(f, NULL, "/", -1, NULL);
	expect(f, NULL, "/test03", -1, NULL);
	expect(f, NULL, "/x/test01", -1, NULL);
	expect(f, NULL, "", -1, NULL);
	/* matching allocates nothing (glibc's count; ASan builds report 0 and 0) */
	{
		static const char *const paths[] = {"/test01/a/b", "/nope", "/test02"};
		struct fo_route_result res;
		size_t before = mallinfo2().uordblks;
		unsigned i;

		for (i = 0; i < 3000; i++)
			(void)match(f, "h:1", paths[i % 3], &res);
		assert_int_equal(mallinfo2().uordblks, before);
	}
	/* the seed regexes are keyed by their literal fronts "/test01", "/test02" */
	assert_int_equal(rule_of(f, 0)->hs_mode, ROUTE_HS_SUPERSET);
	assert_int_equal(rule_of(f, 1)->hs_mode, ROUTE_HS_SUPERSET);
	assert_true(rule_of(f, 0)->keyed && rule_of(f, 1)->keyed);
	assert_int_equal(f->t->n_shards, 0);
	assert_int_equal(f->t->n_always, 0);
	fx_free(f);
}

static void
test_empty_table(void **state)
{
	struct fx *f = fx_new("");
	struct fo_route_result res;

	assert_int_equal(fo_route_count(f->t), 0);
	assert_int_equal(f->t->n_shards, 0);
	assert_int_equal(match(f, NULL, "/", &res), -ENOENT);
	assert_int_equal(match(f, "example.com", "/anything", &res), -ENOENT);
	assert_int_equal(fo_route_match(f->t, f->s, NULL, 0, NULL, 0, f->out, 0, &res), -ENOENT);
	fx_free(f);
}

static void
test_type_priority(void **state)
{
	/* config order is the reverse of the priority order on purpose */
	struct fx *f = fx_new("route regex /a { upstream u2; }\n"
			      "route prefix /a { upstream u3; }\n"
			      "route exact /a/b { upstream django-service; }\n"
			      "route regex /a/b/c { upstream flask-service; }\n");

	expect(f, NULL, "/a/b", 2, "/a/b");
	expect(f, NULL, "/a", 1, NULL);
	expect(f, NULL, "/a/x", 1, NULL);
	expect(f, NULL, "/a/b/c", 1, NULL); /* prefix beats a longer regex */
	expect(f, NULL, "/ab", 0, NULL);    /* only the regex */
	expect(f, NULL, "/A/b", 0, NULL);   /* exact and prefix are case-sensitive */
	expect(f, NULL, "/b", -1, NULL);
	/* Hyperscan's '$' also matches before a final "\n": the exact rule must not */
	expect(f, NULL, "/a/b\n", 1, NULL);
	fx_free(f);
}

static void
test_prefix_elements(void **state)
{
	struct fx *f = fx_new("route prefix /a { upstream u2; }\n"
			      "route prefix /b/ { upstream u3; }\n"
			      "route prefix /c/d { upstream django-service; }\n"
			      "route prefix /e.f { upstream flask-service; }\n");

	expect(f, NULL, "/a", 0, NULL);
	expect(f, NULL, "/a/", 0, NULL);
	expect(f, NULL, "/a/b/c", 0, NULL);
	expect(f, NULL, "/ab", -1, NULL);
	expect(f, NULL, "/a\n", -1, NULL);
	expect(f, NULL, "/A", -1, NULL);
	expect(f, NULL, "/b", 1, NULL); /* the trailing '/' of the pattern is ignored */
	expect(f, NULL, "/b/", 1, NULL);
	expect(f, NULL, "/b/x", 1, NULL);
	expect(f, NULL, "/bx", -1, NULL);
	expect(f, NULL, "/c", -1, NULL);
	expect(f, NULL, "/c/d", 2, NULL);
	expect(f, NULL, "/c/de", -1, NULL);
	expect(f, NULL, "/c/d/e", 2, NULL);
	expect(f, NULL, "/e.f/x", 3, NULL); /* '.' is literal */
	expect(f, NULL, "/exf/x", -1, NULL);
	fx_free(f);

	f = fx_new("route prefix / { upstream u2; }\n"
		   "route prefix /x { upstream u3; }\n");
	expect(f, NULL, "/", 0, NULL);
	expect(f, NULL, "/y", 0, NULL);
	expect(f, NULL, "/x", 1, NULL);
	expect(f, NULL, "/x/1", 1, NULL);
	expect(f, NULL, "/xy", 0, NULL);
	expect(f, NULL, "*", 0, NULL);
	expect(f, NULL, "", 0, NULL);
	/* "/": the empty key, probed at position 0 of every path */
	assert_true(rule_of(f, 0)->keyed);
	assert_int_equal(f->t->n_always, 0);
	fx_free(f);
}

static void
test_longest_first(void **state)
{
	struct fx *f = fx_new("route prefix /a { upstream u2; }\n"
			      "route prefix /a/b/c { upstream u3; }\n"
			      "route prefix /a/b { upstream django-service; }\n"
			      "route regex /r { upstream u2; }\n"
			      "route regex /r/.+ { upstream u3; }\n"
			      "route regex /r/x { upstream flask-service; }\n"
			      "route regex /q/. { upstream u2; }\n"
			      "route regex /q/x { upstream u3; }\n");

	expect(f, NULL, "/a/b/c/d", 1, NULL);
	expect(f, NULL, "/a/b/cd", 2, NULL);
	expect(f, NULL, "/a/bc", 0, NULL);
	expect(f, NULL, "/r/x", 4, NULL); /* "/r/.+" is longer than "/r/x" */
	expect(f, NULL, "/r/", 3, NULL);
	expect(f, NULL, "/rr", 3, NULL);
	expect(f, NULL, "/q/x", 6, NULL); /* same length: config order */
	expect(f, NULL, "/q/y", 6, NULL);
	fx_free(f);
}

static void
test_hosts(void **state)
{
	struct fx *f = fx_new("route prefix /a/b { upstream u2; }\n"
			      "route regex /a { host *.example.com; upstream u3; }\n"
			      "route prefix / { host api.example.com; upstream django-service; }\n"
			      "route exact /a/b { host *.b.example.com; upstream flask-service; }\n"
			      "route prefix /only { host Only.Test; upstream u2; }\n");

	/* exact host before wildcard before none, whatever the path type */
	expect(f, "api.example.com", "/a/b", 2, NULL);
	expect(f, "www.example.com", "/a/b", 1, NULL);
	expect(f, "other.test", "/a/b", 0, NULL);
	expect(f, NULL, "/a/b", 0, NULL);
	expect(f, "", "/a/b", 0, NULL);
	/* a host rule that does not match the path lets the hostless rule win */
	expect(f, "www.example.com", "/x", -1, NULL);
	expect(f, "api.example.com", "/x", 2, NULL);
	/* case, port, trailing dot */
	expect(f, "API.Example.COM", "/x", 2, NULL);
	expect(f, "api.example.com:8080", "/x", 2, NULL);
	expect(f, "api.example.com.", "/x", 2, NULL);
	expect(f, "api.example.com.:80", "/x", 2, NULL);
	expect(f, "WWW.EXAMPLE.COM:443", "/a/b", 1, NULL);
	expect(f, "api.example.co", "/x", -1, NULL);
	expect(f, "xapi.example.com", "/x", -1, NULL);
	/* the wildcard covers exactly one label */
	expect(f, "example.com", "/a/b", 0, NULL);
	expect(f, ".example.com", "/a/b", 0, NULL);
	expect(f, "x.y.example.com", "/a/x", -1, NULL);
	expect(f, "x.b.example.com", "/a/b", 3, NULL);
	expect(f, "x.b.example.com", "/a/b/c", 0, NULL);
	expect(f, "b.example.com", "/a/b", 1, NULL);
	/* the config lower-cases hosts */
	expect(f, "only.test", "/only", 4, NULL);
	expect(f, "ONLY.TEST", "/only/x", 4, NULL);
	expect(f, NULL, "/only", -1, NULL);
	fx_free(f);
}

static void
test_rewrite(void **state)
{
	struct fx *f = fx_new(
		"route regex \"/r/(a)?(b+)(c)?\" { upstream u2; rewrite \"/x$2/$1$3/$0\"; }\n"
		"route regex \"/d/(.*)\" { upstream u3; rewrite \"/$$1$/a$b$\"; }\n"
		"route exact /e { upstream u2; rewrite \"/new$0\"; }\n"
		"route prefix /p/ { upstream u2; rewrite \"/q$0\"; }\n"
		"route prefix /s { upstream u3; rewrite /static; }\n");
	struct fo_route_result res;
	size_t need;
	char small[16];

	expect(f, NULL, "/r/abbc/tail", 0, "/xbb/ac//r/abbc");
	expect(f, NULL, "/r/b", 0, "/xb///r/b"); /* unset groups expand to nothing */
	expect(f, NULL, "/R/B", 0, "/xB///R/B");
	expect(f, NULL, "/d/zz", 1, "/$zz$/a$b$"); /* a '$' not before a digit is literal */
	expect(f, NULL, "/e", 2, "/new/e");
	expect(f, NULL, "/p/x/y", 3, "/q/p"); /* a prefix's $0 is the matched prefix */
	expect(f, NULL, "/s/1", 4, "/static");
	/* no rewrite: the request's own path, not a copy */
	fx_free(f);

	f = fx_new(
		"route prefix /keep { upstream u2; }\n"
		"route regex \"/big/(.*)\" { upstream u3; rewrite \"/$1$1$1$1$1$1$1$1$1$1\"; }\n");
	{
		const char *p = "/keep/x";

		assert_int_equal(
			fo_route_match(f->t, f->s, NULL, 0, p, strlen(p), NULL, 0, &res), 0);
		assert_ptr_equal(res.path, p);
		assert_int_equal(res.path_len, strlen(p));
	}
	/* -ENOSPC at every cap below the size, then exactly fitting */
	need = strlen("/0123456789") * 10 - 9;
	{
		char path[] = "/big/0123456789";
		size_t cap;

		for (cap = 0; cap < need; cap++) {
			memset(f->out, 'Z', sizeof(f->out));
			assert_int_equal(fo_route_match(f->t, f->s, NULL, 0, path, strlen(path),
						 f->out, cap, &res),
				-ENOSPC);
			assert_int_equal(f->out[cap], 'Z'); /* nothing written past cap */
		}
		assert_int_equal(
			fo_route_match(f->t, f->s, NULL, 0, path, strlen(path), f->out, need, &res),
			0);
		assert_int_equal(res.path_len, need);
		assert_int_equal(res.route, 1);
		assert_memory_equal(res.path, "/01234567890123456789", 21);
		assert_int_equal(
			fo_route_match(f->t, f->s, NULL, 0, "/big/", 5, small, 1, &res), 0);
		assert_int_equal(res.path_len, 1);
		assert_int_equal(small[0], '/');
	}
	fx_free(f);
}

static int
stop_at_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
	void *ctx)
{
	return 1;
}

/* Does Hyperscan (prefilter mode) match @p path with @p expr? The premise of a test. */
static bool
hs_prefilter_matches(const char *expr, const char *path)
{
	hs_database_t *db;
	hs_compile_error_t *ce;
	hs_scratch_t *s = NULL;
	hs_error_t rc;

	assert_int_equal(hs_compile(expr, ROUTE_HS_REGEX_FLAGS | HS_FLAG_PREFILTER, HS_MODE_BLOCK,
				 NULL, &db, &ce),
		HS_SUCCESS);
	assert_int_equal(hs_alloc_scratch(db, &s), HS_SUCCESS);
	rc = hs_scan(db, path, (unsigned)strlen(path), 0, s, stop_at_match, NULL);
	hs_free_scratch(s);
	hs_free_database(db);
	return rc == HS_SCAN_TERMINATED;
}

static void
test_confirm(void **state)
{
	struct fx *f = fx_new("route regex \"/x(?=y)\" { upstream u2; rewrite /lookahead; }\n"
			      "route regex \"/(a+)/\\1\" { upstream u3; rewrite /backref/$1; }\n"
			      "route regex \"(/c|/d(?1))\" { upstream flask-service; }\n"
			      "route regex /.+ { upstream django-service; }\n");

	assert_int_equal(rule_of(f, 0)->hs_mode, ROUTE_HS_SUPERSET);
	assert_int_equal(rule_of(f, 1)->hs_mode, ROUTE_HS_SUPERSET);
	/* the premise: prefilter mode matches paths the regexes reject */
	assert_true(hs_prefilter_matches("^(?:/x(?=y))", "/x"));
	assert_true(hs_prefilter_matches("^(?:/(a+)/\\1)", "/aa/a"));
	expect(f, NULL, "/xy", 0, "/lookahead");
	expect(f, NULL, "/x", 3, "/x"); /* superset match, PCRE2 says no: not the winner */
	expect(f, NULL, "/xz", 3, "/xz");
	expect(f, NULL, "/aa/aa", 1, "/backref/aa");
	expect(f, NULL, "/AA/aa/", 1, "/backref/AA");
	expect(f, NULL, "/a/b", 3, NULL);
	expect(f, NULL, "/aa/a", 3, NULL);
	/* recursion: Hyperscan takes no part of it, PCRE2 alone decides */
	assert_int_equal(rule_of(f, 2)->hs_mode, ROUTE_HS_NONE);
	assert_int_equal(f->t->n_always, 1);
	expect(f, NULL, "/c", 2, NULL);
	expect(f, NULL, "/D/d/cx", 2, NULL);
	expect(f, NULL, "/d", 3, NULL);
	expect(f, NULL, "/d/x", 3, NULL);
	fx_free(f);
}

static void
test_superset_cuts(void **state)
{
	static const struct {
		const char *pat;
		const char *cuts; /* the front parts, '|'-separated, shortest first */
	} cases[] = {
		{"/test01(/|$)(.*)", "/|/t|/te|/tes|/test|/test0|/test01|/test01(/|$)"},
		{"a*b+?c{2,3}d", "a*|a*b+?|a*b+?c{2,3}"},
		{"[a\\]]x[]y]", "[a\\]]|[a\\]]x"},
		{"\\d+\\x41\\p{Lu}z", "\\d+|\\d+\\x41|\\d+\\x41\\p{Lu}"},
		{"(?#(c)a", "(?#(c)"},
		{"a|b", ""},
		{"(a|b)c", "(a|b)"},
		{"a\\Qb|c\\E", ""},
		{"a(?x)b c", ""},
		{"a(?i:(?x)b)c", ""},
		{"(*UTF)a", ""},
		{"a(b", ""},
		{"a)b", ""},
		{"[[:alpha:]]b", "[[:alpha:]]"},
	};
	size_t cuts[64], i;
	unsigned n, k;
	char got[256];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].pat), o = 0;

		n = route_superset_cuts(cases[i].pat, len, cuts, 64);
		got[0] = '\0';
		for (k = 0; k < n; k++)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%.*s", k ? "|" : "",
				(int)cuts[k], cases[i].pat);
		if (strcmp(got, cases[i].cuts) != 0)
			fail_msg("%s: cuts \"%s\", expected \"%s\"", cases[i].pat, got,
				cases[i].cuts);
	}
}

static void
test_compile_errors(void **state)
{
	struct fo_conf_upstream up = {.name = "u"};
	struct fo_conf_route rt[2] = {
		{.type = FO_CONF_PATH_PREFIX, .path = "/ok", .loc = {"r.conf", 3, 1}},
		{.type = FO_CONF_PATH_REGEX, .path = "/a(", .loc = {"r.conf", 7, 2}},
	};
	struct fo_conf conf = {.upstreams = &up, .n_upstreams = 1, .routes = rt, .n_routes = 2};
	char err[256] = "x";
	struct fo_route_table *t;

	errno = 0;
	t = fo_route_compile(&conf, err, sizeof(err));
	assert_null(t);
	assert_int_equal(errno, EINVAL);
	assert_true(strncmp(err, "r.conf:7:2: regex \"/a(\": ", 25) == 0);
	/* a short buffer is cut, not overrun */
	memset(err, 'Q', sizeof(err));
	assert_null(fo_route_compile(&conf, err, 8));
	assert_string_equal(err, "r.conf:");
	assert_int_equal(err[8], 'Q');
	rt[1].path = NULL;
	assert_null(fo_route_compile(&conf, NULL, 0));
	/* a hand-built conf without errors compiles */
	conf.n_routes = 1;
	t = fo_route_compile(&conf, err, sizeof(err));
	assert_non_null(t);
	assert_string_equal(err, "");
	fo_route_table_free(t);
	fo_route_table_free(NULL);
	fo_route_scratch_free(NULL);
}

static void
test_scratch_update(void **state)
{
	struct fx *small = fx_new(seed_routes);
	struct fx *big;
	struct fo_route_result res;
	char routes[32768];
	size_t n = 0;
	unsigned i;

	for (i = 0; i < 150; i++)
		n += (size_t)snprintf(routes + n, sizeof(routes) - n,
			"route regex \"/r%u/(a)(b)(c)(d)(e)(f)(g)(h)(i)\" { upstream u2; "
			"rewrite /$9$8$7$6$5$4$3$2$1; }\n",
			i);
	big = fx_new(routes);
	/* the small table's scratch, grown for the big one, serves both */
	assert_int_equal(fo_route_scratch_update(small->s, big->t), 0);
	assert_int_equal(fo_route_match(big->t, small->s, NULL, 0, "/r149/abcdefghi", 15, big->out,
				 sizeof(big->out), &res),
		0);
	assert_int_equal(res.route, 149);
	assert_memory_equal(res.path, "/ihgfedcba", 10);
	expect(small, NULL, "/test02/q", 1, "/q");
	fx_free(big);
	fx_free(small);
}

/* xorshift64*: the same sequence on every run */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static unsigned
rnd(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 2685821657736338717ull) >> 33) % n;
}

static const char *const segs[] = {
	"a", "b", "ab", "api", "v1", "v2", "test01", "x", "static", "img", "12", "A", "Api"};
#define N_SEGS (sizeof(segs) / sizeof(segs[0]))

static size_t
gen_path(char *buf, size_t cap, unsigned max_segs)
{
	unsigned k, n = 1 + rnd(max_segs);
	size_t o = 0;

	for (k = 0; k < n; k++)
		o += (size_t)snprintf(buf + o, cap - o, "/%s", segs[rnd(N_SEGS)]);
	if (rnd(4) == 0)
		o += (size_t)snprintf(buf + o, cap - o, "/");
	return o;
}

/* A regex built from the path vocabulary and a construct ('@': the path). */
static void
gen_regex(char *buf, size_t cap)
{
	static const char *const forms[] = {"@(/|$)(.*)", "@/[0-9]+", "@/(a|b)", "@.*b", "@(/.*)?$",
		"(@)/\\1", "@(?=/)", "@/(?:v[12])/?(.*)", "@$", "@/.", "@\\b", "(?i)@/A",
		"@/(a+|x)+$", "(?(?=/a)@|@/x)", "(@(?1)?)"};
	const char *form = forms[rnd(sizeof(forms) / sizeof(forms[0]))];
	char p[64];
	size_t o = 0;

	gen_path(p, sizeof(p), 2);
	for (; *form != '\0' && o + sizeof(p) < cap; form++) {
		if (*form == '@') {
			memcpy(buf + o, p, strlen(p));
			o += strlen(p);
		} else {
			buf[o++] = *form;
		}
	}
	buf[o] = '\0';
}

/* Does regex @p re have a capture group? */
static bool
has_group(const char *re)
{
	PCRE2_SIZE off;
	uint32_t n = 0;
	int code;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);

	assert_non_null(c);
	pcre2_pattern_info(c, PCRE2_INFO_CAPTURECOUNT, &n);
	pcre2_code_free(c);
	return n > 0;
}

static void
check_against_ref(struct fx *f, const struct route_ref *ref, const char *host, const char *path)
{
	static char ref_out[FO_ROUTE_REWRITE_MAX];
	struct fo_route_result a, b;
	size_t hl = host ? strlen(host) : 0, pl = strlen(path);
	int ra = fo_route_match(f->t, f->s, host, hl, path, pl, f->out, sizeof(f->out), &a);
	int rb = route_ref_match(ref, host, hl, path, pl, ref_out, sizeof(ref_out), &b);

	if (ra != rb || (ra == 0 && (a.route != b.route || a.path_len != b.path_len ||
					    memcmp(a.path, b.path, a.path_len) != 0)))
		fail_msg("%s %s: route_match rc %d route %u \"%.*s\", reference rc %d route %u "
			 "\"%.*s\"",
			host ? host : "-", path, ra, ra == 0 ? a.route : 0,
			ra == 0 ? (int)a.path_len : 0, ra == 0 ? a.path : "", rb,
			rb == 0 ? b.route : 0, rb == 0 ? (int)b.path_len : 0,
			rb == 0 ? b.path : "");
}

static void
test_generated_vs_reference(void **state)
{
	static const char *const hosts[] = {
		"a.example.com", "*.example.com", "b.test", "*.b.example.com"};
	static const char *const req_hosts[] = {"a.example.com", "A.EXAMPLE.COM:8080",
		"z.example.com", "x.b.example.com", "b.test", "b.test.", "example.com",
		"q.r.example.com", "other"};
	static const char *const types[] = {"exact", "prefix", "regex"};
	size_t cap = 1 << 20, n = 0;
	char *routes = malloc(cap), path[128], host_dir[64], rw[32];
	struct route_ref ref;
	unsigned i, n_routes = 0, stats[3] = {0, 0, 0}, matched = 0;
	struct fx *f;

	assert_non_null(routes);
	routes[0] = '\0';
	while (n_routes < 240) {
		unsigned ty = rnd(3);
		char key[sizeof(path) + sizeof(host_dir) + 32];

		if (ty == 2)
			gen_regex(path, sizeof(path));
		else
			gen_path(path, sizeof(path), 3);
		host_dir[0] = '\0';
		if (rnd(4) == 0)
			snprintf(host_dir, sizeof(host_dir), "host %s; ", hosts[rnd(4)]);
		/* the config rejects duplicates: skip them */
		snprintf(key, sizeof(key), "route %s \"%s\" { %s", types[ty], path, host_dir);
		if (strstr(routes, key) != NULL)
			continue;
		rw[0] = '\0';
		if (rnd(3) == 0)
			snprintf(rw, sizeof(rw), "rewrite \"/r$%u$\"; ",
				ty == 2 && has_group(path) ? rnd(2) : 0);
		n += (size_t)snprintf(
			routes + n, cap - n, "%supstream u%u; %s}\n", key, 2 + rnd(2), rw);
		n_routes++;
	}
	f = fx_new(routes);
	assert_int_equal(fo_route_count(f->t), 240);
	assert_int_equal(route_ref_init(&ref, f->conf), 0);
	for (i = 0; i < f->t->n_rules; i++)
		stats[f->t->rules[i].hs_mode]++;
	print_message("# 240 rules: %u exact in Hyperscan, %u superset, %u PCRE2 only\n", stats[0],
		stats[1], stats[2]);
	assert_true(stats[1] > 0 && stats[2] > 0);
	for (i = 0; i < 20000; i++) {
		const char *host = rnd(3) == 0 ? NULL : req_hosts[rnd(9)];

		/* one in three starts with an element no rule has: mostly no route */
		gen_path(path + 3, sizeof(path) - 3, 4);
		memcpy(path, "/zz", 3);
		if (rnd(3) != 0)
			memmove(path, path + 3, strlen(path + 3) + 1);
		if (rnd(8) == 0)
			path[rnd((unsigned)strlen(path))] ^= 0x20; /* flip case (or '/' <-> 0x0f) */
		check_against_ref(f, &ref, host, path);
		matched += fo_route_match(f->t, f->s, host, host ? strlen(host) : 0, path,
				   strlen(path), f->out, sizeof(f->out),
				   &(struct fo_route_result){0}) == 0;
	}
	/* the comparison is only worth something if both outcomes are common */
	print_message("# 20000 requests, %u matched\n", matched);
	assert_true(matched > 2000 && matched < 19000);
	route_ref_fini(&ref);
	fx_free(f);
	free(routes);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_type_priority),
		cmocka_unit_test(test_prefix_elements),
		cmocka_unit_test(test_longest_first),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_confirm),
		cmocka_unit_test(test_superset_cuts),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_scratch_update),
		cmocka_unit_test(test_generated_vs_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
