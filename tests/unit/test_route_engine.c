/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/route's engine: the element-boundary key table (regex literal
 * fronts, forced hash collisions, the boundary before a final newline),
 * the sharded regex database, the compile cache (hit, miss, one change:
 * what is rebuilt, and results identical to a fresh compile), and a
 * property test: random rule sets and requests, the engine's winner and
 * rewritten path equal to route_ref.h's slow reference.
 */
#include <errno.h>
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

/* xorshift64*: the same sequence on every run */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static unsigned
rnd(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 2685821657736338717ull) >> 33) % n;
}

/* Routes built in memory (what the parser would give: hosts lower case). */
struct rset {
	struct fo_conf conf;
	struct fo_conf_upstream up[2];
	struct fo_conf_route r[256];
	char path[256][96];
	char host[256][40];
	char rw[256][24];
};

static void
rset_init(struct rset *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->up[0].name, sizeof(s->up[0].name), "u0");
	snprintf(s->up[1].name, sizeof(s->up[1].name), "u1");
	s->conf.upstreams = s->up;
	s->conf.n_upstreams = 2;
	s->conf.routes = s->r;
}

static void
rset_add(struct rset *s, enum fo_conf_path_type ty, const char *host, const char *path,
	const char *rw)
{
	unsigned i = s->conf.n_routes++;

	assert_true(i < 256);
	snprintf(s->path[i], sizeof(s->path[i]), "%s", path);
	s->r[i].type = ty;
	s->r[i].path = s->path[i];
	s->r[i].upstream = i & 1;
	s->r[i].loc = (struct fo_conf_loc){"t.conf", i + 1, 1};
	if (host != NULL) {
		snprintf(s->host[i], sizeof(s->host[i]), "%s", host);
		s->r[i].host = s->host[i];
	}
	if (rw != NULL) {
		snprintf(s->rw[i], sizeof(s->rw[i]), "%s", rw);
		s->r[i].rewrite = s->rw[i];
	}
}

static struct fo_route_table *
compile(const struct rset *s, struct fo_route_cache *c)
{
	char err[256] = "";
	struct fo_route_table *t = fo_route_compile_cached(&s->conf, c, err, sizeof(err));

	if (t == NULL)
		fail_msg("compile: %s", err);
	return t;
}

/* The rule set under test, printed when a comparison fails. */
static const struct rset *cur_set;

static void
print_set(void)
{
	unsigned i;

	for (i = 0; cur_set != NULL && i < cur_set->conf.n_routes; i++) {
		const struct fo_conf_route *r = &cur_set->r[i];

		print_message("# %u: %s \"%s\" host %s rewrite %s\n", i,
			r->type == FO_CONF_PATH_EXACT    ? "exact"
			: r->type == FO_CONF_PATH_PREFIX ? "prefix"
							 : "regex",
			r->path, r->host ? r->host : "-", r->rewrite ? r->rewrite : "-");
	}
}

/* @p a and @p b give the same result for the request (b may be the reference). */
static void
same(const struct fo_route_table *t, struct fo_route_scratch *sc, const struct route_ref *ref,
	const struct fo_route_table *t2, struct fo_route_scratch *sc2, const char *host,
	const char *path, size_t pl)
{
	static char oa[FO_ROUTE_REWRITE_MAX], ob[FO_ROUTE_REWRITE_MAX];
	struct fo_route_result a, b;
	size_t hl = host ? strlen(host) : 0;
	int ra = fo_route_match(t, sc, host, hl, path, pl, oa, sizeof(oa), &a);
	int rb = ref != NULL ? route_ref_match(ref, host, hl, path, pl, ob, sizeof(ob), &b)
			     : fo_route_match(t2, sc2, host, hl, path, pl, ob, sizeof(ob), &b);

	if (ra != rb || (ra == 0 && (a.route != b.route || a.path_len != b.path_len ||
					    memcmp(a.path, b.path, a.path_len) != 0))) {
		print_set();
		fail_msg("%s \"%.*s\": engine rc %d route %u \"%.*s\", %s rc %d route %u \"%.*s\"",
			host ? host : "-", (int)pl, path, ra, ra == 0 ? a.route : 0,
			ra == 0 ? (int)a.path_len : 0, ra == 0 ? a.path : "",
			ref != NULL ? "reference" : "other table", rb, rb == 0 ? b.route : 0,
			rb == 0 ? (int)b.path_len : 0, rb == 0 ? b.path : "");
	}
}

static void
test_regex_key(void **state)
{
	static const struct {
		const char *pat;
		const char *key; /* NULL: no key */
	} cases[] = {
		{"/test01(/|$)(.*)", "/test01"},
		{"/Api/V1(?:/|$)", "/api/v1"},
		{"/a/b$", "/a/b"},
		{"/a/b/v[0-9]+", "/a/b"},
		{"/a/b/", "/a/b"},
		{"/img/.*\\.png", "/img"},
		{"/a\\/b\\.c/x", "/a/b.c"},
		{"/ab", NULL},      /* "/abc" also matches: no boundary */
		{"/ab?/c", NULL},   /* 'b' is optional */
		{"/a/bc*/d", "/a"}, /* front "/a/b", cut at its last '/' */
		{"/a|/b/c", NULL},  /* top-level alternative */
		{"[a-z]+/x", NULL},
		{"/(a+)/\\1", NULL},
		{"(?i)/a/b", NULL},
		{"/a/\\Q.*\\E", NULL}, /* the scanner gives up on \Q */
		{"/x{2}/y", NULL},
		{"/a/\\d+", "/a"},
	};
	char key[128];
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = route_regex_key(cases[i].pat, strlen(cases[i].pat), key, sizeof(key));
		if (cases[i].key == NULL
				? n != 0
				: (n != strlen(cases[i].key) || memcmp(key, cases[i].key, n) != 0))
			fail_msg("%s: key \"%.*s\", expected \"%s\"", cases[i].pat, (int)n, key,
				cases[i].key ? cases[i].key : "(none)");
	}
}

/* A small set with every kind of rule and host class. */
static void
fill_mixed(struct rset *s)
{
	rset_add(s, FO_CONF_PATH_EXACT, NULL, "/a/b", NULL);
	rset_add(s, FO_CONF_PATH_EXACT, "h.test", "/a/b", "/x$0");
	rset_add(s, FO_CONF_PATH_EXACT, NULL, "/A/b", NULL);
	rset_add(s, FO_CONF_PATH_PREFIX, NULL, "/a", NULL);
	rset_add(s, FO_CONF_PATH_PREFIX, "*.w.test", "/a/", "/p$0");
	rset_add(s, FO_CONF_PATH_PREFIX, NULL, "/", NULL);
	rset_add(s, FO_CONF_PATH_PREFIX, "h.test", "/a/b/c", NULL);
	rset_add(s, FO_CONF_PATH_REGEX, NULL, "/a/b(/|$)(.*)", "/r/$2");
	rset_add(s, FO_CONF_PATH_REGEX, "h.test", "/a/(v[0-9]+)/(.*)", "/$2/$1");
	rset_add(s, FO_CONF_PATH_REGEX, NULL, "/n$", "/nl");
	rset_add(s, FO_CONF_PATH_REGEX, NULL, "[a-z]+/z", NULL);
	rset_add(s, FO_CONF_PATH_REGEX, "*.w.test", "/(c|d)/e", "/$1");
	rset_add(s, FO_CONF_PATH_REGEX, NULL, "(/q|/r(?1))", NULL);
}

static const char *const mixed_hosts[] = {
	NULL, "h.test", "H.TEST:80", "x.w.test", "y.x.w.test", "w.test", "other"};
static const char *const mixed_paths[] = {"/a/b", "/A/b", "/a/B", "/a/b/", "/a/b/c", "/a/b/c/d",
	"/a/bc", "/a", "/a/", "/ab", "/a/v2/x", "/A/V3/y", "/", "", "/n", "/n\n", "/a/b\n", "x/z",
	"/c/e", "/D/e/f", "/q", "/r/q", "/zz", "a", "//a/b", "/a//b"};

/* Every request of the mixed set against the reference. */
static void
check_mixed(const struct rset *s, const struct fo_route_table *t)
{
	struct fo_route_scratch *sc = fo_route_scratch_alloc(t);
	struct route_ref ref;
	size_t i, j;

	assert_non_null(sc);
	assert_int_equal(route_ref_init(&ref, &s->conf), 0);
	for (i = 0; i < sizeof(mixed_hosts) / sizeof(mixed_hosts[0]); i++)
		for (j = 0; j < sizeof(mixed_paths) / sizeof(mixed_paths[0]); j++)
			same(t, sc, &ref, NULL, NULL, mixed_hosts[i], mixed_paths[j],
				strlen(mixed_paths[j]));
	route_ref_fini(&ref);
	fo_route_scratch_free(sc);
}

static void
test_mixed_table(void **state)
{
	static struct rset s;
	struct fo_route_table *t;
	struct fo_route_scratch *sc;
	struct fo_route_result res;
	char out[64];

	rset_init(&s);
	fill_mixed(&s);
	t = compile(&s, NULL);
	/* what went where: 10 keyed, "[a-z]+/z" and "/(c|d)/e" in Hyperscan, one PCRE2 only */
	assert_int_equal(fo_route_stats(t)->keyed, 10);
	assert_int_equal(fo_route_stats(t)->regex_hs, 2);
	assert_int_equal(fo_route_stats(t)->regex_pcre, 1);
	assert_int_equal(t->n_shards, 1);
	check_mixed(&s, t);
	fo_route_table_free(t);
	/* '$' matches before a final newline: "/n$" takes "/n\n" as PCRE2 does */
	rset_init(&s);
	rset_add(&s, FO_CONF_PATH_REGEX, NULL, "/n$", "/nl");
	t = compile(&s, NULL);
	assert_int_equal(fo_route_stats(t)->keyed, 1);
	sc = fo_route_scratch_alloc(t);
	assert_int_equal(fo_route_match(t, sc, NULL, 0, "/n\n", 3, out, sizeof(out), &res), 0);
	assert_int_equal(res.route, 0);
	assert_int_equal(
		fo_route_match(t, sc, NULL, 0, "/n\n\n", 4, out, sizeof(out), &res), -ENOENT);
	fo_route_scratch_free(sc);
	fo_route_table_free(t);
}

/* Every key hashed into three values: slots hold many keys, results unchanged. */
static void
test_hash_collisions(void **state)
{
	static struct rset s;
	struct fo_route_table *t;
	unsigned i, used = 0;

	rset_init(&s);
	fill_mixed(&s);
	route_hash_mask = 3;
	t = compile(&s, NULL);
	route_hash_mask = 0;
	for (i = 0; i <= t->kmask; i++)
		used += t->kslots[i].n != 0;
	assert_true(used <= 3);
	assert_int_equal(t->n_keys, 10);
	check_mixed(&s, t);
	fo_route_table_free(t);
	/* exact paths differing only in case or length share a slot too */
	rset_init(&s);
	rset_add(&s, FO_CONF_PATH_EXACT, NULL, "/x", NULL);
	rset_add(&s, FO_CONF_PATH_EXACT, NULL, "/X", NULL);
	rset_add(&s, FO_CONF_PATH_EXACT, NULL, "/x/", NULL);
	rset_add(&s, FO_CONF_PATH_EXACT, "h.test", "/x", NULL);
	route_hash_mask = 1;
	t = compile(&s, NULL);
	route_hash_mask = 0;
	assert_int_equal(t->kslots[1].n, 4);
	{
		struct fo_route_scratch *sc = fo_route_scratch_alloc(t);
		struct route_ref ref;
		static const char *const p[] = {"/x", "/X", "/x/", "/X/", "/x/y", "/"};

		assert_int_equal(route_ref_init(&ref, &s.conf), 0);
		for (i = 0; i < 6; i++) {
			same(t, sc, &ref, NULL, NULL, NULL, p[i], strlen(p[i]));
			same(t, sc, &ref, NULL, NULL, "h.test", p[i], strlen(p[i]));
		}
		route_ref_fini(&ref);
		fo_route_scratch_free(sc);
	}
	fo_route_table_free(t);
}

/*
 * Regex rules found in the key table only (no regex database): up to
 * ROUTE_CANDS_MAX candidates are tried from the scratch's sorted list,
 * more from the bitmap (spilled), and with a front-less regex scanned
 * too, from the bitmap; the same winners as the reference in each case.
 */
static void
test_cand_list(void **state)
{
	static const char *const paths[] = {"/a/b/c/y", "/a/b/c/z", "/a/y", "/a/b/y",
		"/a/b/c/d/e/f/g/h/i/j/k/l/y", "/a/b/c/d/e/f/g/h/i/j/k/l/z",
		"/A/B/C/D/E/F/G/H/I/J/K/L/M/z", "/a/b/c/d/e/f/g/h/i/j/y", "/q/y", "/a"};
	static struct rset s;
	unsigned pass, k, i;

	for (pass = 0; pass < 3; pass++) {
		struct fo_route_table *t;
		struct fo_route_scratch *sc;
		struct fo_route_result res;
		struct route_ref ref;
		char pat[96], out[128];
		int n = 0;

		rset_init(&s);
		/* "/a/.*y", "/a/b/.*y", then "/a/b/c/.*z" ... 12 elements deep: longest first */
		for (k = 1; k <= 12; k++) {
			n += snprintf(pat + n, sizeof(pat) - (size_t)n, "/%c", 'a' + k - 1);
			snprintf(pat + n, sizeof(pat) - (size_t)n, "/.*%c", k <= 2 ? 'y' : 'z');
			rset_add(&s, FO_CONF_PATH_REGEX, NULL, pat, "/$0");
		}
		/* keyed at "/a" but ranked before them all (longest pattern): found last */
		rset_add(&s, FO_CONF_PATH_REGEX, NULL, "/a/(b)/c/(?:y|yy|yyy)", "/long$1");
		if (pass == 2) /* a regex of the database: the key table's candidates join it */
			rset_add(&s, FO_CONF_PATH_REGEX, NULL, "[a-z/]+/q/y", "/q");
		route_hash_mask = pass == 1 ? 3 : 0; /* colliding keys bring rules twice */
		t = compile(&s, NULL);
		route_hash_mask = 0;
		assert_int_equal(t->n_keys, 13);
		assert_int_equal(t->n_shards, pass == 2);
		sc = fo_route_scratch_alloc(t);
		assert_non_null(sc);
		assert_int_equal(route_ref_init(&ref, &s.conf), 0);
		cur_set = &s;
		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			same(t, sc, &ref, NULL, NULL, NULL, paths[i], strlen(paths[i]));
		/* 4 candidates, from the list: the one found last ranks first and wins */
		assert_int_equal(
			fo_route_match(t, sc, NULL, 0, "/a/b/c/y", 8, out, sizeof(out), &res), 0);
		assert_int_equal(res.route, 12);
		if (pass != 1) /* (colliding keys make every rule of a slot a candidate) */
			assert_int_equal(sc->n_cands, pass == 2 ? ROUTE_CANDS_SPILLED : 4u);
		/* without it, the second ("/a/b/.*y", rule 1) */
		assert_int_equal(
			fo_route_match(t, sc, NULL, 0, "/a/b/c/d/y", 10, out, sizeof(out), &res),
			0);
		assert_int_equal(res.route, 1);
		/* 12 candidates, the eleventh wins: from the bitmap */
		assert_int_equal(fo_route_match(t, sc, NULL, 0, paths[4], strlen(paths[4]), out,
					 sizeof(out), &res),
			0);
		assert_int_equal(res.route, 1);
		assert_int_equal(sc->n_cands, ROUTE_CANDS_SPILLED);
		cur_set = NULL;
		route_ref_fini(&ref);
		fo_route_scratch_free(sc);
		fo_route_table_free(t);
	}
}

/* Many front-less regexes, no cache: one base shard with all of them. */
static void
test_shards(void **state)
{
	static struct rset s;
	struct fo_route_table *t;
	struct fo_route_scratch *sc;
	struct route_ref ref;
	char p[64];
	unsigned i;

	rset_init(&s);
	for (i = 0; i < 200; i++) {
		snprintf(p, sizeof(p), "/[a-z]+/r%u/([0-9]+)", i);
		rset_add(&s, FO_CONF_PATH_REGEX, i % 3 ? NULL : "h.test", p, "/n/$1");
	}
	t = compile(&s, NULL);
	assert_int_equal(t->n_shards, 1);
	assert_int_equal(fo_route_stats(t)->regex_hs, 200);
	assert_int_equal(fo_route_stats(t)->shards_built, 1);
	for (i = 0; i < t->n_shards; i++)
		assert_true(t->shards[i].obj->n_ids > 0);
	sc = fo_route_scratch_alloc(t);
	assert_int_equal(route_ref_init(&ref, &s.conf), 0);
	for (i = 0; i < 600; i++) {
		snprintf(p, sizeof(p), "/%s/r%u/%u", i & 1 ? "ab" : "9", i % 220, i);
		same(t, sc, &ref, NULL, NULL, i % 4 ? NULL : "h.test", p, strlen(p));
	}
	route_ref_fini(&ref);
	fo_route_scratch_free(sc);
	fo_route_table_free(t);
}

/* Results of a cached compile equal a fresh compile's on many requests. */
static void
same_as_fresh(const struct rset *s, const struct fo_route_table *t)
{
	struct fo_route_table *f = compile(s, NULL);
	struct fo_route_scratch *a = fo_route_scratch_alloc(t), *b = fo_route_scratch_alloc(f);
	char p[64];
	unsigned i;

	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < 2000; i++) {
		static const char *const hosts[] = {NULL, "h.test", "x.w.test", "q"};

		if (i & 1)
			snprintf(p, sizeof(p), "/s%u/x", i % 130);
		else
			snprintf(p, sizeof(p), "/ab/r%u/%u", i % 130, i);
		same(t, a, NULL, f, b, hosts[i % 4], p, strlen(p));
	}
	fo_route_scratch_free(a);
	fo_route_scratch_free(b);
	fo_route_table_free(f);
}

static void
test_cache(void **state)
{
	static struct rset s;
	struct fo_route_cache *c = fo_route_cache_create();
	struct fo_route_table *t1, *t2, *t3, *t4, *t5;
	const struct fo_route_stats *st;
	char p[64];
	unsigned i;

	assert_non_null(c);
	rset_init(&s);
	for (i = 0; i < 120; i++) {
		snprintf(p, sizeof(p), i % 2 ? "/s%u" : "/[a-z]+/r%u/([0-9]+)", i);
		rset_add(&s, i % 2 ? FO_CONF_PATH_PREFIX : FO_CONF_PATH_REGEX,
			i % 5 == 0 ? "h.test" : NULL, p, i % 2 ? NULL : "/n/$1");
	}
	rset_add(&s, FO_CONF_PATH_REGEX, NULL, "/k/(x+)(/|$)", "/$1");
	/* miss: everything built */
	t1 = compile(&s, c);
	st = fo_route_stats(t1);
	assert_int_equal(st->shards, 1);
	assert_int_equal(st->shards_built, 1);
	assert_int_equal(st->re_built, 61);
	same_as_fresh(&s, t1);
	/* hit: the same routes again, nothing built */
	t2 = compile(&s, c);
	assert_int_equal(fo_route_stats(t2)->shards_built, 0);
	assert_int_equal(fo_route_stats(t2)->re_built, 0);
	assert_ptr_equal(t2->shards[0].obj, t1->shards[0].obj);
	/* one prefix changed: nothing of Hyperscan or PCRE2 rebuilt */
	snprintf(s.path[1], sizeof(s.path[1]), "/changed/s1");
	t3 = compile(&s, c);
	assert_int_equal(fo_route_stats(t3)->shards_built, 0);
	assert_int_equal(fo_route_stats(t3)->re_built, 0);
	same_as_fresh(&s, t3);
	/* one front-less regex changed: its code and a delta shard with it alone */
	snprintf(s.path[2], sizeof(s.path[2]), "/[a-z]+/q2/([0-9]+)");
	t4 = compile(&s, c);
	assert_int_equal(fo_route_stats(t4)->re_built, 1);
	assert_int_equal(fo_route_stats(t4)->shards, 2);
	assert_int_equal(fo_route_stats(t4)->shards_built, 1);
	assert_int_equal(t4->shards[1].obj->n_ids, 1);
	assert_ptr_equal(t4->shards[0].obj, t1->shards[0].obj);
	same_as_fresh(&s, t4);
	/* tables outlive the cache and each other, in any order */
	fo_route_table_free(t2);
	fo_route_cache_free(c);
	fo_route_table_free(t1);
	same_as_fresh(&s, t4);
	fo_route_table_free(t4);
	fo_route_table_free(t3); /* before the paths they point to change */
	/* a cache whose base is these rules; then more new patterns than a delta takes */
	c = fo_route_cache_create();
	assert_non_null(c);
	t5 = compile(&s, c);
	assert_int_equal(fo_route_stats(t5)->shards, 1);
	fo_route_table_free(t5);
	for (i = 0; i < 2 * (ROUTE_DELTA_MAX + 1); i += 2)
		snprintf(s.path[i], sizeof(s.path[i]), "/[a-z]+/z%u/([0-9]+)", i);
	t5 = compile(&s, c);
	assert_int_equal(fo_route_stats(t5)->shards, 1);
	assert_int_equal(fo_route_stats(t5)->shards_built, 1);
	same_as_fresh(&s, t5);
	fo_route_table_free(t5);
	fo_route_cache_free(c);
	fo_route_cache_free(NULL);
}

static const char *const segs[] = {"a", "b", "ab", "api", "v1", "x", "A", "Api", "1"};
#define N_SEGS (sizeof(segs) / sizeof(segs[0]))

static size_t
gen_path(char *buf, size_t cap, unsigned max_segs)
{
	unsigned k, n = rnd(max_segs + 1);
	size_t o = 0;

	for (k = 0; k < n; k++)
		o += (size_t)snprintf(buf + o, cap - o, "/%s", segs[rnd(N_SEGS)]);
	if (n == 0 || rnd(5) == 0)
		o += (size_t)snprintf(buf + o, cap - o, "/");
	return o;
}

static void
gen_regex(char *buf, size_t cap)
{
	static const char *const forms[] = {"@(/|$)(.*)", "@/[0-9]+", "@/(a|b)", "@.*b", "@$",
		"@/?", "@(?:/|$)", "[a-z]@", "(@)+", "@\\b", "@/.*\\.x", "(?-i)@", "@b*"};
	const char *form = forms[rnd(sizeof(forms) / sizeof(forms[0]))];
	char p[48];
	size_t o = 0, pl;

	pl = gen_path(p, sizeof(p), 2);
	for (; *form != '\0' && o + pl + 1 < cap; form++) {
		if (*form == '@') {
			memcpy(buf + o, p, pl);
			o += pl;
		} else {
			buf[o++] = *form;
		}
	}
	buf[o] = '\0';
}

/*
 * Small tables of exact, prefix and "LIT(/|$)(.*)" rules (hosts of every
 * class, priorities, rewrites, ReplacePrefixMatch, both orders) are tried
 * rule by rule in rank order (t->linear): the same results as the
 * reference and as the key table (the same rules with colliding keys,
 * which keeps the key table in use).
 */
static void
test_linear(void **state)
{
	static const char *const hosts[] = {"a.test", "*.test", "*.b.test", "b.test", "**.test"};
	static const char *const req_hosts[] = {"a.test", "A.Test:8080", "x.test", "z.b.test",
		"b.test.", "test", "q.a.test", "y.z.b.test"};
	static const char *const lits[] = {"/test01", "/Api", "/a/b", "/v1-x", "/a"};
	static struct rset s;
	char path[96], rw[24];
	unsigned round, i, linear = 0;

	for (round = 0; round < 300; round++) {
		unsigned n = 1 + rnd(ROUTE_LINEAR_MAX);
		struct fo_route_table *t, *tk;
		struct fo_route_scratch *sc, *sck;
		struct route_ref ref;

		rset_init(&s);
		s.conf.match_order =
			round % 4 == 3 ? FO_CONF_ORDER_INGRESS_NGINX : FO_CONF_ORDER_GATEWAY;
		for (i = 0; i < n; i++) {
			unsigned ty = rnd(3);

			if (ty == 2)
				snprintf(path, sizeof(path), "%s(/|$)(.*)", lits[rnd(5)]);
			else
				gen_path(path, sizeof(path), 3);
			snprintf(rw, sizeof(rw), "/r$%u", rnd(4));
			rset_add(&s,
				ty == 0   ? FO_CONF_PATH_EXACT
				: ty == 1 ? FO_CONF_PATH_PREFIX
					  : FO_CONF_PATH_REGEX,
				rnd(3) ? NULL : hosts[rnd(5)], path, rnd(3) ? NULL : rw);
			s.r[i].priority = rnd(4) == 0 ? (int)rnd(3) - 1 : 0;
			s.r[i].case_sensitive = ty == 2 && rnd(4) == 0;
			if (ty == 1 && s.r[i].rewrite == NULL && rnd(3) == 0)
				s.r[i].rewrite_prefix = rnd(2) ? "/new/" : "/n";
		}
		t = compile(&s, NULL);
		route_hash_mask = 3;
		tk = compile(&s, NULL);
		route_hash_mask = 0;
		assert_false(tk->linear);
		linear += t->linear;
		sc = fo_route_scratch_alloc(t);
		sck = fo_route_scratch_alloc(tk);
		assert_non_null(sc);
		assert_non_null(sck);
		assert_int_equal(route_ref_init(&ref, &s.conf), 0);
		cur_set = &s;
		for (i = 0; i < 300; i++) {
			const char *host = rnd(3) == 0 ? NULL : req_hosts[rnd(8)];
			size_t pl;

			if (rnd(3) == 0) {
				pl = (size_t)snprintf(path, sizeof(path), "%s%s", lits[rnd(5)],
					rnd(2)   ? "/x/Y"
					: rnd(2) ? ""
						 : "z");
			} else {
				pl = gen_path(path, sizeof(path) - 2, 4);
			}
			if (pl > 0 && rnd(5) == 0)
				path[rnd((unsigned)pl)] ^= 0x20; /* case flip, or '/' <-> 0x0f */
			if (rnd(15) == 0)
				path[pl++] = rnd(2) ? '\n' : '\r';
			same(t, sc, &ref, NULL, NULL, host, path, pl);
			same(t, sc, NULL, tk, sck, host, path, pl);
		}
		cur_set = NULL;
		route_ref_fini(&ref);
		fo_route_scratch_free(sc);
		fo_route_scratch_free(sck);
		fo_route_table_free(t);
		fo_route_table_free(tk);
	}
	/* ingress-nginx makes a regex host's other rules regexes: those tables are not linear */
	print_message("linear tables: %u of 300\n", linear);
	assert_true(linear > 200);
}

/*
 * Property: random rule sets (types, hosts, rewrites, duplicates allowed)
 * and random requests; the engine agrees with the reference on each.
 */
static void
test_property(void **state)
{
	static const char *const hosts[] = {"a.test", "*.test", "*.b.test", "b.test"};
	static const char *const req_hosts[] = {
		"a.test", "A.Test:8080", "x.test", "z.b.test", "b.test.", "test", "q.a.test"};
	static struct rset s;
	char path[96], rw[24];
	unsigned round, i;

	for (round = 0; round < 40; round++) {
		unsigned n = 1 + rnd(round < 20 ? 12 : 60);
		struct fo_route_table *t;
		struct fo_route_scratch *sc;
		struct route_ref ref;

		rset_init(&s);
		for (i = 0; i < n; i++) {
			unsigned ty = rnd(3);

			if (ty == 2)
				gen_regex(path, sizeof(path));
			else
				gen_path(path, sizeof(path), 3);
			snprintf(rw, sizeof(rw), "/r$%u", rnd(3));
			rset_add(&s,
				ty == 0   ? FO_CONF_PATH_EXACT
				: ty == 1 ? FO_CONF_PATH_PREFIX
					  : FO_CONF_PATH_REGEX,
				rnd(3) ? NULL : hosts[rnd(4)], path, rnd(3) ? NULL : rw);
		}
		/* a third of the rounds with colliding keys */
		route_hash_mask = round % 3 == 2 ? 7 : 0;
		t = compile(&s, NULL);
		route_hash_mask = 0;
		sc = fo_route_scratch_alloc(t);
		assert_non_null(sc);
		assert_int_equal(route_ref_init(&ref, &s.conf), 0);
		cur_set = &s;
		for (i = 0; i < 400; i++) {
			const char *host = rnd(3) == 0 ? NULL : req_hosts[rnd(7)];
			size_t pl = gen_path(path, sizeof(path) - 2, 4);

			if (rnd(6) == 0)
				path[rnd((unsigned)pl)] ^= 0x20; /* case flip, or '/' <-> 0x0f */
			if (rnd(20) == 0)
				path[pl++] = '\n';
			same(t, sc, &ref, NULL, NULL, host, path, pl);
		}
		route_ref_fini(&ref);
		fo_route_scratch_free(sc);
		fo_route_table_free(t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regex_key),
		cmocka_unit_test(test_mixed_table),
		cmocka_unit_test(test_hash_collisions),
		cmocka_unit_test(test_cand_list),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_property),
		cmocka_unit_test(test_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
