/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/route beyond host and path: `match` conditions (method, header,
 * query, cookie), `priority`, Gateway API's tie-breaks, case_sensitive
 * regexes, and match_order ingress-nginx (a host owns its requests; a
 * host with a regex has only case-insensitive regexes, longest first).
 * Requests are real heads parsed by lib/http; every answer is also
 * checked against the slow reference (route_ref.h), and a property test
 * runs random rule sets and requests through both.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_conf.h"
#include "fo_http.h"
#include "fo_route.h"
#include "route_ref.h"

#define HEAD "interface a { address 198.18.0.1/24; }\nupstream u { server 198.18.0.11:80; }\n"

struct req {
	char raw[2048];
	size_t len;
	struct fo_http_parser p;
	struct fo_http_msg msg;
	struct fo_route_req rq;
};

/* Parse "METHOD TARGET" plus header lines (each "Name: value\r\n") into @r. */
static void
req_make(struct req *r, const char *method, const char *target, const char *host,
	const char *fields)
{
	ssize_t n;

	r->len = (size_t)snprintf(r->raw, sizeof(r->raw), "%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n",
		method, target, host, fields != NULL ? fields : "");
	fo_http_parser_init(&r->p, FO_HTTP_REQUEST, &r->msg);
	n = fo_http_parse(&r->p, (const uint8_t *)r->raw, r->len);
	if (n != (ssize_t)r->len)
		fail_msg("request does not parse (%zd): %s", n, r->raw);
	memset(&r->rq, 0, sizeof(r->rq));
	r->rq.host = r->raw + r->msg.host.off;
	r->rq.host_len = r->msg.host.len;
	r->rq.path = r->raw + r->msg.path.off;
	r->rq.path_len = r->msg.path.len;
	r->rq.method = r->raw + r->msg.method_s.off;
	r->rq.method_len = r->msg.method_s.len;
	r->rq.query = r->msg.query.len ? r->raw + r->msg.query.off : NULL;
	r->rq.query_len = r->msg.query.len;
	r->rq.msg = &r->msg;
	r->rq.head = (const uint8_t *)r->raw;
}

struct tab {
	struct fo_conf *conf;
	struct fo_route_table *t;
	struct fo_route_scratch *s;
	struct route_ref ref;
};

static void
tab_open(struct tab *b, const char *text)
{
	char err[256];
	unsigned n_err = 0;

	b->conf = fo_conf_parse("t.conf", text, strlen(text), 0, stderr, &n_err);
	if (b->conf == NULL)
		fail_msg("config does not parse:\n%s", text);
	b->t = fo_route_compile(b->conf, err, sizeof(err));
	if (b->t == NULL)
		fail_msg("compile: %s", err);
	b->s = fo_route_scratch_alloc(b->t);
	assert_non_null(b->s);
	assert_int_equal(route_ref_init(&b->ref, b->conf), 0);
}

static void
tab_close(struct tab *b)
{
	route_ref_fini(&b->ref);
	fo_route_scratch_free(b->s);
	fo_route_table_free(b->t);
	fo_conf_free(b->conf);
}

/* The route index the engine picks (-1: none), checked against the reference. */
static int
pick(struct tab *b, const struct req *r)
{
	static char oa[FO_ROUTE_REWRITE_MAX], ob[FO_ROUTE_REWRITE_MAX];
	struct fo_route_result x, y;
	int ra = fo_route_match_req(b->t, b->s, &r->rq, oa, sizeof(oa), &x);
	int rb = route_ref_match_req(&b->ref, &r->rq, ob, sizeof(ob), &y);

	if (ra != rb || (ra == 0 && (x.route != y.route || x.path_len != y.path_len ||
					    memcmp(x.path, y.path, x.path_len) != 0)))
		fail_msg("%s: engine %d/%u \"%.*s\", reference %d/%u \"%.*s\"", r->raw, ra,
			ra == 0 ? x.route : 0, ra == 0 ? (int)x.path_len : 0, ra == 0 ? x.path : "",
			rb, rb == 0 ? y.route : 0, rb == 0 ? (int)y.path_len : 0,
			rb == 0 ? y.path : "");
	return ra == 0 ? (int)x.route : -1;
}

static int
pick_req(struct tab *b, const char *method, const char *target, const char *host,
	const char *fields)
{
	static struct req r;

	req_make(&r, method, target, host, fields);
	return pick(b, &r);
}

static void
test_conditions(void **state)
{
	struct tab b;

	(void)state;
	tab_open(&b, HEAD "route prefix / { upstream u; match header version one; }\n"        /* 0 */
			  "route prefix / { upstream u; match header version two; }\n"        /* 1 */
			  "route prefix / { upstream u; match header x-env ~ \"prod|stage\"; }\n" /* 2 */
			  "route prefix / { upstream u; match header x-trace; }\n"            /* 3 */
			  "route prefix /q { upstream u; match query animal whale; }\n"       /* 4 */
			  "route prefix /q { upstream u; match query flag; }\n"              /* 5 */
			  "route prefix /m { upstream u; match method POST PUT; }\n"          /* 6 */
			  "route prefix /c { upstream u; match cookie canary always; }\n"     /* 7 */
			  "route prefix /c { upstream u; match cookie v ~ \"[0-9]+\"; }\n"    /* 8 */
			  "route prefix / { upstream u; }\n");                               /* 9 */
	/* headers: names case-insensitive, values as sent; any field of the name */
	assert_int_equal(pick_req(&b, "GET", "/x", "h", "Version: one\r\n"), 0);
	assert_int_equal(pick_req(&b, "GET", "/x", "h", "version: two\r\n"), 1);
	assert_int_equal(pick_req(&b, "GET", "/x", "h", "version: One\r\n"), 9);
	assert_int_equal(pick_req(&b, "GET", "/x", "h", "Version: zero\r\nVersion: two\r\n"), 1);
	/* a regex matches the whole value */
	assert_int_equal(pick_req(&b, "GET", "/x", "h", "X-Env: stage\r\n"), 2);
	assert_int_equal(pick_req(&b, "GET", "/x", "h", "X-Env: production\r\n"), 9);
	assert_int_equal(pick_req(&b, "GET", "/x", "h", "X-Trace:\r\n"), 3);
	/* query: the first parameter of the name, not decoded */
	assert_int_equal(pick_req(&b, "GET", "/q?animal=whale", "h", NULL), 4);
	assert_int_equal(pick_req(&b, "GET", "/q?x=1&animal=whale&animal=dolphin", "h", NULL), 4);
	assert_int_equal(pick_req(&b, "GET", "/q?animal=dolphin&animal=whale", "h", NULL), 9);
	assert_int_equal(pick_req(&b, "GET", "/q?ANIMAL=whale", "h", NULL), 9);
	assert_int_equal(pick_req(&b, "GET", "/q?animal=wh%61le", "h", NULL), 9);
	assert_int_equal(pick_req(&b, "GET", "/q?flag", "h", NULL), 5);
	assert_int_equal(pick_req(&b, "GET", "/q?flag=&y", "h", NULL), 5);
	assert_int_equal(pick_req(&b, "GET", "/qq?flag", "h", NULL), 9);
	/* method: one of the list, case-sensitive */
	assert_int_equal(pick_req(&b, "PUT", "/m", "h", NULL), 6);
	assert_int_equal(pick_req(&b, "GET", "/m", "h", NULL), 9);
	assert_int_equal(pick_req(&b, "post", "/m", "h", NULL), 9);
	/* cookies: in any Cookie field, the first of the name decides */
	assert_int_equal(pick_req(&b, "GET", "/c", "h", "Cookie: a=1; canary=always\r\n"), 7);
	assert_int_equal(pick_req(&b, "GET", "/c", "h", "Cookie: a=1\r\ncookie: canary=always\r\n"),
		7);
	assert_int_equal(pick_req(&b, "GET", "/c", "h", "Cookie: canary=never; v=12\r\n"), 8);
	assert_int_equal(pick_req(&b, "GET", "/c", "h", "Cookie: v=1x\r\n"), 9);
	assert_int_equal(pick_req(&b, "GET", "/c", "h", "Cookie: xcanary=always\r\n"), 9);
	/* without fields (fo_route_match): conditions never hold */
	{
		struct fo_route_result res;

		assert_int_equal(fo_route_match(b.t, b.s, "h", 1, "/m", 2, NULL, 0, &res), 0);
		assert_int_equal(res.route, 9);
	}
	tab_close(&b);
}

static void
test_gateway_precedence(void **state)
{
	struct tab b;

	(void)state;
	/* Gateway API: longest prefix, then a method match, then most headers, then most
	 * query parameters, then config order */
	tab_open(&b, HEAD "route prefix / { upstream u; match query a 1; }\n"                  /* 0 */
			  "route prefix / { upstream u; match header h 1; }\n"                 /* 1 */
			  "route prefix / { upstream u; match header h 1; match header g 1; }\n" /* 2 */
			  "route prefix / { upstream u; match method GET; }\n"                 /* 3 */
			  "route prefix /p { upstream u; }\n"                                  /* 4 */
			  "route prefix / { upstream u; match query a 1; match query b 1; }\n" /* 5 */
			  "route prefix / { upstream u; }\n");                                /* 6 */
	assert_int_equal(pick_req(&b, "GET", "/x?a=1&b=1", "h", "H: 1\r\nG: 1\r\n"), 3);
	assert_int_equal(pick_req(&b, "POST", "/x?a=1&b=1", "h", "H: 1\r\nG: 1\r\n"), 2);
	assert_int_equal(pick_req(&b, "POST", "/x?a=1&b=1", "h", "H: 1\r\n"), 1);
	assert_int_equal(pick_req(&b, "POST", "/x?a=1&b=1", "h", NULL), 5);
	assert_int_equal(pick_req(&b, "POST", "/x?a=1", "h", NULL), 0);
	assert_int_equal(pick_req(&b, "POST", "/x", "h", NULL), 6);
	assert_int_equal(pick_req(&b, "GET", "/p/x", "h", "H: 1\r\n"), 4);
	tab_close(&b);
}

static void
test_priority_and_case(void **state)
{
	struct tab b;

	(void)state;
	tab_open(&b, HEAD "route prefix /a { host h.test; upstream u; }\n"               /* 0 */
			  "route regex \"/a/[0-9]+\" { upstream u; priority 10; }\n"      /* 1 */
			  "route exact /a/1 { host h.test; upstream u; priority 5; }\n"   /* 2 */
			  "route regex \"/Cs/x\" { upstream u; case_sensitive on; }\n"    /* 3 */
			  "route regex \"/ci/x\" { upstream u; }\n"                       /* 4 */
			  "route prefix / { upstream u; priority -1; }\n"                 /* 5 */
			  "route prefix /z { upstream u; }\n");                          /* 6 */
	/* priority beats the host class and the path type */
	assert_int_equal(pick_req(&b, "GET", "/a/12", "h.test", NULL), 1);
	assert_int_equal(pick_req(&b, "GET", "/a/b", "h.test", NULL), 0);
	assert_int_equal(pick_req(&b, "GET", "/a/1", "other", NULL), 1);
	/* a negative priority comes after every 0 */
	assert_int_equal(pick_req(&b, "GET", "/z/1", "other", NULL), 6);
	assert_int_equal(pick_req(&b, "GET", "/y", "other", NULL), 5);
	/* case_sensitive on: /Cs/x only as written; regexes are case-insensitive otherwise */
	assert_int_equal(pick_req(&b, "GET", "/Cs/x", "h", NULL), 3);
	assert_int_equal(pick_req(&b, "GET", "/cs/x", "h", NULL), 5);
	assert_int_equal(pick_req(&b, "GET", "/CI/X", "h", NULL), 4);
	tab_close(&b);
}

static void
test_ingress_nginx(void **state)
{
	struct tab b;

	(void)state;
	tab_open(&b, HEAD "match_order ingress-nginx;\n"
			  "route prefix /foo { host r.test; upstream u; }\n"              /* 0 */
			  "route regex \"/foo.+\" { host r.test; upstream u; }\n"         /* 1 */
			  "route exact /Docs { host r.test; upstream u; }\n"              /* 2 */
			  "route prefix /a { host p.test; upstream u; }\n"                /* 3 */
			  "route exact /a/x { host p.test; upstream u; }\n"               /* 4 */
			  "route prefix / { host *.w.test; upstream u; }\n"               /* 5 */
			  "route prefix /b { upstream u; }\n"                             /* 6 */
			  "route prefix / { upstream u; }\n");                           /* 7 */
	/* r.test has a regex: every path of it is ~* "^P", longest first */
	assert_int_equal(pick_req(&b, "GET", "/foo", "r.test", NULL), 0);
	assert_int_equal(pick_req(&b, "GET", "/foobar", "r.test", NULL), 1);
	assert_int_equal(pick_req(&b, "GET", "/FOO", "r.test", NULL), 0);
	assert_int_equal(pick_req(&b, "GET", "/docs/x", "r.test", NULL), 2);
	/* p.test has none: exact and element-wise prefix, as nginx locations */
	assert_int_equal(pick_req(&b, "GET", "/a/x", "p.test", NULL), 4);
	assert_int_equal(pick_req(&b, "GET", "/a/y", "p.test", NULL), 3);
	assert_int_equal(pick_req(&b, "GET", "/ab", "p.test", NULL), -1);
	/* a host owns its requests: no fall-through to the host-less rules */
	assert_int_equal(pick_req(&b, "GET", "/b", "p.test", NULL), -1);
	assert_int_equal(pick_req(&b, "GET", "/b", "r.test", NULL), -1);
	assert_int_equal(pick_req(&b, "GET", "/b", "x.w.test", NULL), 5);
	assert_int_equal(pick_req(&b, "GET", "/b", "other.test", NULL), 6);
	assert_int_equal(pick_req(&b, "GET", "/c", "x.y.w.test", NULL), 7);
	tab_close(&b);
	/* a path that becomes a regex must be one: the error says why, with file:line:col */
	{
		static const char text[] = HEAD "match_order ingress-nginx;\n"
						"route regex \"/x[0-9]+\" { host h.test; upstream u; }\n"
						"route prefix \"/a(b\" { host h.test; upstream u; }\n";
		struct fo_conf *c = fo_conf_parse("t.conf", text, sizeof(text) - 1, 0, stderr, NULL);
		char err[256];

		assert_non_null(c);
		assert_null(fo_route_compile(c, err, sizeof(err)));
		assert_string_equal(err, "t.conf:5:1: prefix path \"/a(b\" is a regex here "
					 "(match_order ingress-nginx: its host has a regex route, as "
					 "use-regex makes every path of a host one): missing closing "
					 "parenthesis at offset 4");
		fo_conf_free(c);
	}
	/* the same rules in gateway order fall through */
	tab_open(&b, HEAD "route prefix /a { host p.test; upstream u; }\n"
			  "route prefix /b { upstream u; }\n");
	assert_int_equal(pick_req(&b, "GET", "/b", "p.test", NULL), 1);
	tab_close(&b);
}

/* "*." takes exactly one more label (Ingress), "**." one or more (Gateway API) */
static void
test_wildcards(void **state)
{
	struct tab b;

	(void)state;
	tab_open(&b, HEAD "route prefix / { host **.bar.com; upstream u; }\n"   /* 0 */
			  "route prefix / { host *.bar.com; upstream u; }\n"    /* 1 */
			  "route prefix / { host foo.bar.com; upstream u; }\n"  /* 2 */
			  "route prefix / { host **.b.bar.com; upstream u; }\n" /* 3 */
			  "route prefix /x { host **.com; upstream u; }\n"      /* 4 */
			  "route regex \"/r/[0-9]+\" { host **.z.io; upstream u; }\n" /* 5 */
			  "route prefix / { upstream u; }\n");                 /* 6 */
	assert_int_equal(pick_req(&b, "GET", "/", "foo.bar.com", NULL), 2);
	assert_int_equal(pick_req(&b, "GET", "/", "baz.bar.com", NULL), 1); /* "*." narrower */
	assert_int_equal(pick_req(&b, "GET", "/", "a.baz.bar.com", NULL), 0);
	assert_int_equal(pick_req(&b, "GET", "/", "a.b.bar.com", NULL), 3); /* longer suffix */
	assert_int_equal(pick_req(&b, "GET", "/", "x.y.a.b.bar.com:8080", NULL), 3);
	assert_int_equal(pick_req(&b, "GET", "/", "bar.com", NULL), 6);
	assert_int_equal(pick_req(&b, "GET", "/x/1", "q.w.e.r.t.y.u.i.o.p.a.s.d.f.g.com", NULL), 4);
	assert_int_equal(pick_req(&b, "GET", "/x", "com", NULL), 6);
	assert_int_equal(pick_req(&b, "GET", "/r/12", "a.b.c.z.io", NULL), 5);
	assert_int_equal(pick_req(&b, "GET", "/r/12", "z.io", NULL), 6);
	/* more than 127 dots in a host (empty labels: the parser refuses them, the API takes
	 * any bytes): every non-empty suffix is still probed (found by fuzz_route) */
	{
		char host[254];
		struct fo_route_result x, y;
		int ra, rb;

		memset(host, '.', sizeof(host));
		host[0] = 'q';
		memcpy(host + 253 - 11, "a.b.bar.com", 11);
		ra = fo_route_match(b.t, b.s, host, 253, "/", 1, NULL, 0, &x);
		rb = route_ref_match(&b.ref, host, 253, "/", 1, NULL, 0, &y);
		assert_int_equal(ra, 0);
		assert_int_equal(rb, 0);
		assert_int_equal(x.route, 3);
		assert_int_equal(y.route, 3);
	}
	tab_close(&b);
}

/*
 * "LIT(/|$)(.*)" is matched without PCRE2: same winners and groups as
 * PCRE2 (the reference) on case, the end, '/', near misses and the line
 * breaks that send it back to PCRE2
 */
static void
test_fast_regex(void **state)
{
	static const char *const paths[] = {"/test01", "/test01/", "/test01/a/b", "/TEST01/A",
		"/test01x", "/test0", "/test01\n", "/test01/a\nb", "/test01\r", "/test01/\n",
		"/Test01//x", "/cs", "/cs/x", "/CS/x", "/a-b_c~/d"};
	struct fo_route_result x, y;
	static char oa[256], ob[256];
	struct tab b;
	size_t i;

	(void)state;
	tab_open(&b, HEAD "route regex \"/test01(/|$)(.*)\" { upstream u; rewrite \"/$2|$1|$0\"; }\n"
			  "route regex \"/cs(/|$)(.*)\" { upstream u; case_sensitive on; "
			  "rewrite \"/$2\"; }\n"
			  "route regex \"/a-b_c~(/|$)(.*)\" { upstream u; rewrite \"/$2\"; }\n");
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t l = strlen(paths[i]);
		int ra = fo_route_match(b.t, b.s, NULL, 0, paths[i], l, oa, sizeof(oa), &x);
		int rb = route_ref_match(&b.ref, NULL, 0, paths[i], l, ob, sizeof(ob), &y);

		if (ra != rb || (ra == 0 && (x.route != y.route || x.path_len != y.path_len ||
						    memcmp(x.path, y.path, x.path_len) != 0)))
			fail_msg("%s: engine %d \"%.*s\", reference %d \"%.*s\"", paths[i], ra,
				ra == 0 ? (int)x.path_len : 0, ra == 0 ? x.path : "", rb,
				rb == 0 ? (int)y.path_len : 0, rb == 0 ? y.path : "");
	}
	assert_int_equal(fo_route_match(b.t, b.s, NULL, 0, "/TEST01/A", 9, oa, sizeof(oa), &x), 0);
	assert_int_equal(x.path_len, strlen("/A|/|/TEST01/A"));
	assert_memory_equal(x.path, "/A|/|/TEST01/A", x.path_len);
	assert_int_equal(fo_route_match(b.t, b.s, NULL, 0, "/CS/x", 5, oa, sizeof(oa), &x), -ENOENT);
	tab_close(&b);
}

/* The path a request is forwarded with ("" when the route forwards the target as sent). */
static const char *
fwd_path(struct tab *b, const char *target)
{
	static char out[FO_ROUTE_REWRITE_MAX + 1];
	static struct req r;
	struct fo_route_result res;

	req_make(&r, "GET", target, "h", NULL);
	assert_true(pick(b, &r) >= 0);
	assert_int_equal(fo_route_match_req(b->t, b->s, &r.rq, out, sizeof(out) - 1, &res), 0);
	if (res.path != out)
		return "";
	out[res.path_len] = '\0';
	return out;
}

/* Gateway API ReplacePrefixMatch, with its documented examples */
static void
test_rewrite_prefix(void **state)
{
	struct tab b;

	(void)state;
	tab_open(&b, HEAD "route prefix /foo { upstream u; rewrite_prefix /xyz; }\n"
			  "route prefix /bar/ { upstream u; rewrite_prefix /xyz/; }\n"
			  "route prefix /strip { upstream u; rewrite_prefix /; }\n"
			  "route prefix / { upstream u; rewrite_prefix /all; }\n");
	assert_string_equal(fwd_path(&b, "/foo/bar"), "/xyz/bar");
	assert_string_equal(fwd_path(&b, "/foo"), "/xyz");
	assert_string_equal(fwd_path(&b, "/foo/"), "/xyz/");
	assert_string_equal(fwd_path(&b, "/foo/bar?q=1"), "/xyz/bar");
	assert_string_equal(fwd_path(&b, "/bar/baz"), "/xyz/baz");
	assert_string_equal(fwd_path(&b, "/bar"), "/xyz/");
	assert_string_equal(fwd_path(&b, "/strip/three"), "/three");
	assert_string_equal(fwd_path(&b, "/strip"), "/");
	assert_string_equal(fwd_path(&b, "/x/y"), "/all/x/y");
	assert_string_equal(fwd_path(&b, "/"), "/all/");
	tab_close(&b);
}

/* ---- property: random rule sets and requests, engine == reference ---- */

static unsigned long rng = 88172645463325252ul;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const segs[] = {"a", "b", "ab", "A", "x1"};

static size_t
gen_path(char *buf, size_t cap, unsigned max)
{
	unsigned k, n = rnd(max + 1);
	size_t o = 0;

	for (k = 0; k < n; k++)
		o += (size_t)snprintf(buf + o, cap - o, "/%s", segs[rnd(5)]);
	if (n == 0 || rnd(5) == 0)
		o += (size_t)snprintf(buf + o, cap - o, "/");
	return o;
}

/* A random route into @buf; @key: what makes two routes duplicates (type, path, host,
 * conditions). */
static void
gen_route(char *buf, size_t cap, char *key, size_t kcap)
{
	static const char *const hosts[] = {"a.test", "*.test", "b.test", "**.test", "**.a.test"};
	static const char *const conds[] = {"match header h 1;", "match header h ~ \"[0-9]\";",
		"match header g;", "match query q 1;", "match query r;", "match method POST;",
		"match method GET HEAD;", "match cookie c 1;", "match cookie c ~ \"1|2\";"};
	static const char *const rx[] = {"@(/|$)(.*)", "@/[0-9a-z]+", "@.*b", "(?-i)@", "@$"};
	char p[64], path[96];
	unsigned ty = rnd(3), k, nc = rnd(4) == 0 ? 1 + rnd(2) : 0;
	size_t o;

	gen_path(p, sizeof(p), 2);
	if (ty == 2) {
		const char *f = rx[rnd(5)];

		for (o = 0; *f != '\0' && o + strlen(p) + 2 < sizeof(path); f++)
			o += *f == '@' ? (size_t)snprintf(path + o, sizeof(path) - o, "%s", p)
				       : (size_t)snprintf(path + o, sizeof(path) - o, "%c", *f);
	} else {
		snprintf(path, sizeof(path), "%s", p);
	}
	o = (size_t)snprintf(buf, cap, "route %s \"%s\" { upstream u; ",
		ty == 0 ? "exact" : ty == 1 ? "prefix" : "regex", path);
	if (rnd(3) == 0)
		o += (size_t)snprintf(buf + o, cap - o, "host %s; ", hosts[rnd(5)]);
	snprintf(key, kcap, "%s", buf);
	if (rnd(6) == 0)
		o += (size_t)snprintf(buf + o, cap - o, "priority %d; ", (int)rnd(5) - 2);
	if (ty == 2 && rnd(4) == 0)
		o += (size_t)snprintf(buf + o, cap - o, "case_sensitive on; ");
	if (rnd(3) == 0)
		o += (size_t)snprintf(buf + o, cap - o, "rewrite \"/r%u$0\"; ", rnd(3));
	else if (ty == 1 && rnd(3) == 0)
		o += (size_t)snprintf(buf + o, cap - o, "rewrite_prefix %s; ",
			rnd(2) ? "/" : rnd(2) ? "/p/" : "/p");
	for (k = 0; k < nc; k++) {
		unsigned c = rnd(9);

		/* one method list per route */
		if ((c == 5 || c == 6) && strstr(buf, "match method") != NULL)
			continue;
		o += (size_t)snprintf(buf + o, cap - o, "%s ", conds[c]);
		snprintf(key + strlen(key), kcap - strlen(key), "%s ", conds[c]);
	}
	snprintf(buf + o, cap - o, "}\n");
}

static void
test_property(void **state)
{
	static const char *const req_hosts[] = {"a.test", "A.Test:8080", "x.test", "b.test",
		"test", "q.a.test", "r.q.a.test", "s.r.q.a.test."};
	static const char *const fields[] = {"H: 1\r\n", "H: 7\r\n", "G: x\r\n",
		"Cookie: c=1\r\n", "Cookie: d=0; c=2\r\n", "H: 1\r\nG: \r\n"};
	static char text[65536];
	unsigned round, i;

	(void)state;
	for (round = 0; round < 60; round++) {
		unsigned n = 1 + rnd(round < 30 ? 10 : 40);
		size_t o = (size_t)snprintf(text, sizeof(text), "%s%s", HEAD,
			round % 2 ? "match_order ingress-nginx;\n" : "");
		struct tab b;

		static char keys[64][512];
		unsigned nk = 0, j;

		for (i = 0; i < n; i++) {
			gen_route(text + o, sizeof(text) - o, keys[nk], sizeof(keys[nk]));
			for (j = 0; j < nk && strcmp(keys[j], keys[nk]) != 0; j++)
				;
			if (j < nk) { /* a duplicate: a config error, so not kept */
				text[o] = '\0';
				continue;
			}
			nk++;
			o += strlen(text + o);
		}
		tab_open(&b, text);
		for (i = 0; i < 300; i++) {
			static struct req r;
			char target[128], fl[256];
			size_t pl = gen_path(target, sizeof(target) - 24, 3);
			unsigned k, nf = rnd(3);

			if (rnd(6) == 0) { /* a letter's case flipped */
				size_t at = rnd((unsigned)pl);

				if ((target[at] | 0x20) >= 'a' && (target[at] | 0x20) <= 'z')
					target[at] ^= 0x20;
			}
			if (rnd(2) == 0)
				snprintf(target + pl, sizeof(target) - pl, "%s",
					rnd(2) ? "?q=1&r" : "?r=2&q=2");
			fl[0] = '\0';
			for (k = 0; k < nf; k++)
				strcat(fl, fields[rnd(6)]);
			req_make(&r, rnd(3) == 0 ? "POST" : rnd(2) ? "GET" : "HEAD", target,
				req_hosts[rnd(8)], fl);
			pick(&b, &r);
		}
		tab_close(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_gateway_precedence),
		cmocka_unit_test(test_priority_and_case),
		cmocka_unit_test(test_ingress_nginx),
		cmocka_unit_test(test_rewrite_prefix),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_fast_regex),
		cmocka_unit_test(test_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
