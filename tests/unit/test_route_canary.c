/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/route: which upstream a route's request goes to when the route has
 * `canary` blocks -- header "always"/"never", an exact header value, a
 * header regex (unanchored), a cookie, weights of canary_weight_total
 * (shares over many draws), several canaries, and the precedence between
 * them (ingress-nginx: header, then cookie, then weight). Requests are
 * real heads parsed by lib/http.
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

#include "fo_conf.h"
#include "fo_http.h"
#include "fo_route.h"

#define HEAD                                                                                       \
	"interface a { address 198.18.0.1/24; }\n"                                                 \
	"upstream main { server 198.18.0.11:80; }\n"                                               \
	"upstream c1 { server 198.18.0.12:80; }\n"                                                 \
	"upstream c2 { server 198.18.0.13:80; }\n"

/* upstream indexes in HEAD */
enum { UP_MAIN, UP_C1, UP_C2 };

struct req {
	char raw[2048];
	size_t len;
	struct fo_http_parser p;
	struct fo_http_msg msg;
	struct fo_route_req rq;
};

struct tab {
	struct fo_conf *conf;
	struct fo_route_table *t;
	struct fo_route_scratch *s;
};

static void
tab_open(struct tab *b, const char *routes)
{
	char text[4096], err[256];
	unsigned n_err = 0;

	snprintf(text, sizeof(text), HEAD "%s", routes);
	b->conf = fo_conf_parse("t.conf", text, strlen(text), 0, stderr, &n_err);
	if (b->conf == NULL)
		fail_msg("config does not parse:\n%s", text);
	b->t = fo_route_compile(b->conf, err, sizeof(err));
	if (b->t == NULL)
		fail_msg("compile: %s", err);
	b->s = fo_route_scratch_alloc(b->t);
	assert_non_null(b->s);
}

static void
tab_close(struct tab *b)
{
	fo_route_scratch_free(b->s);
	fo_route_table_free(b->t);
	fo_conf_free(b->conf);
}

/*
 * The upstream of GET @p target with header lines @p fields, drawing
 * weights from *rng (NULL: none); *canary gets the result's canary.
 */
static int
upstream_of(struct tab *b, const char *target, const char *fields, uint64_t *rng, unsigned *canary)
{
	static struct req r;
	static char out[FO_ROUTE_REWRITE_MAX];
	struct fo_route_result res;
	ssize_t n;
	int rc;

	r.len = (size_t)snprintf(r.raw, sizeof(r.raw), "GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n",
		target, fields != NULL ? fields : "");
	fo_http_parser_init(&r.p, FO_HTTP_REQUEST, &r.msg);
	n = fo_http_parse(&r.p, (const uint8_t *)r.raw, r.len);
	if (n != (ssize_t)r.len)
		fail_msg("request does not parse (%zd): %s", n, r.raw);
	memset(&r.rq, 0, sizeof(r.rq));
	r.rq.host = r.raw + r.msg.host.off;
	r.rq.host_len = r.msg.host.len;
	r.rq.path = r.raw + r.msg.path.off;
	r.rq.path_len = r.msg.path.len;
	r.rq.method = r.raw + r.msg.method_s.off;
	r.rq.method_len = r.msg.method_s.len;
	r.rq.msg = &r.msg;
	r.rq.head = (const uint8_t *)r.raw;
	r.rq.rng = rng;
	rc = fo_route_match_req(b->t, b->s, &r.rq, out, sizeof(out), &res);
	if (rc != 0)
		return -1;
	if (canary != NULL)
		*canary = res.canary;
	/* the result names the canary whose upstream it gives */
	if (res.canary != 0)
		assert_int_equal(res.upstream, res.conf->canaries[res.canary - 1].upstream);
	else
		assert_int_equal(res.upstream, res.conf->upstream);
	return (int)res.upstream;
}

static void
test_header_always_never(void **state)
{
	struct tab b;
	uint64_t rng = 7;

	(void)state;
	tab_open(&b, "route prefix /api { upstream main;\n"
		     "\tcanary c1 { header X-Canary; weight 100; } }\n"
		     "route prefix /plain { upstream main; }\n");
	assert_int_equal(upstream_of(&b, "/api/a", "X-Canary: always\r\n", NULL, NULL), UP_C1);
	assert_int_equal(upstream_of(&b, "/api/a", "x-canary: always\r\n", NULL, NULL), UP_C1);
	/* "never" beats the weight (100 of 100 would take every other request) */
	assert_int_equal(upstream_of(&b, "/api/a", "X-Canary: never\r\n", &rng, NULL), UP_MAIN);
	/* another value: on to the weight */
	assert_int_equal(upstream_of(&b, "/api/a", "X-Canary: yes\r\n", &rng, NULL), UP_C1);
	assert_int_equal(upstream_of(&b, "/api/a", NULL, &rng, NULL), UP_C1);
	/* no draws: weights choose nothing */
	assert_int_equal(upstream_of(&b, "/api/a", NULL, NULL, NULL), UP_MAIN);
	/* the values are case-sensitive, as ingress-nginx compares them */
	assert_int_equal(upstream_of(&b, "/api/a", "X-Canary: Always\r\n", NULL, NULL), UP_MAIN);
	/* the first field of that name decides (nginx $http_x_canary) */
	assert_int_equal(
		upstream_of(&b, "/api/a", "X-Canary: never\r\nX-Canary: always\r\n", NULL, NULL),
		UP_MAIN);
	/* routes without canaries are untouched */
	assert_int_equal(upstream_of(&b, "/plain", "X-Canary: always\r\n", &rng, NULL), UP_MAIN);
	tab_close(&b);
}

static void
test_header_value_and_pattern(void **state)
{
	struct tab b;
	unsigned k = 99;

	(void)state;
	tab_open(&b, "route prefix / { upstream main;\n"
		     "\tcanary c1 { header X-Ver v2; }\n"
		     "\tcanary c2 { header X-Ver ~ \"beta|rc[0-9]\"; } }\n");
	assert_int_equal(upstream_of(&b, "/", "X-Ver: v2\r\n", NULL, &k), UP_C1);
	assert_int_equal(k, 1);
	/* with a value, "always" is just another value */
	assert_int_equal(upstream_of(&b, "/", "X-Ver: always\r\n", NULL, &k), UP_MAIN);
	assert_int_equal(k, 0);
	assert_int_equal(upstream_of(&b, "/", "X-Ver: v2x\r\n", NULL, NULL), UP_MAIN);
	/* the regex finds its match anywhere in the value (ngx.re.match) */
	assert_int_equal(upstream_of(&b, "/", "X-Ver: 2.0-beta\r\n", NULL, &k), UP_C2);
	assert_int_equal(k, 2);
	assert_int_equal(upstream_of(&b, "/", "X-Ver: rc7\r\n", NULL, NULL), UP_C2);
	assert_int_equal(upstream_of(&b, "/", "X-Ver: rc\r\n", NULL, NULL), UP_MAIN);
	tab_close(&b);
}

static void
test_cookie_and_precedence(void **state)
{
	struct tab b;

	(void)state;
	tab_open(&b, "route exact /x { upstream main;\n"
		     "\tcanary c1 { header X-C1; cookie c1; }\n"
		     "\tcanary c2 { cookie c2; } }\n");
	assert_int_equal(upstream_of(&b, "/x", "Cookie: a=1; c1=always\r\n", NULL, NULL), UP_C1);
	assert_int_equal(upstream_of(&b, "/x", "Cookie: c1=never\r\n", NULL, NULL), UP_MAIN);
	assert_int_equal(upstream_of(&b, "/x", "Cookie: c1=x; c2=always\r\n", NULL, NULL), UP_C2);
	assert_int_equal(
		upstream_of(&b, "/x", "Cookie: a=1\r\nCookie: c2=always\r\n", NULL, NULL), UP_C2);
	/* the header comes before the cookie: its "never" ends c1 (not c2) */
	assert_int_equal(upstream_of(&b, "/x", "X-C1: never\r\nCookie: c1=always; c2=always\r\n",
				 NULL, NULL),
		UP_C2);
	assert_int_equal(
		upstream_of(&b, "/x", "X-C1: always\r\nCookie: c1=never\r\n", NULL, NULL), UP_C1);
	/* config order between canaries: c1 before c2 */
	assert_int_equal(
		upstream_of(&b, "/x", "Cookie: c2=always; c1=always\r\n", NULL, NULL), UP_C1);
	tab_close(&b);
}

/* Weights: shares over many draws, one range per canary, "never" leaves its range idle. */
static void
test_weights(void **state)
{
	enum { N = 40000 };
	struct tab b;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	unsigned n[3], i;

	(void)state;
	tab_open(&b, "route prefix / { upstream main; canary_weight_total 1000;\n"
		     "\tcanary c1 { weight 100; header X-Off; }\n"
		     "\tcanary c2 { weight 300; } }\n");
	memset(n, 0, sizeof(n));
	for (i = 0; i < N; i++)
		n[upstream_of(&b, "/a", NULL, &rng, NULL)]++;
	/* 10 %, 30 %, 60 %, each within 1 % (the standard deviation is 0.15-0.25 %) */
	assert_in_range(n[UP_C1], N * 9 / 100, N * 11 / 100);
	assert_in_range(n[UP_C2], N * 29 / 100, N * 31 / 100);
	assert_in_range(n[UP_MAIN], N * 59 / 100, N * 61 / 100);
	memset(n, 0, sizeof(n));
	for (i = 0; i < N; i++)
		n[upstream_of(&b, "/a", "X-Off: never\r\n", &rng, NULL)]++;
	assert_int_equal(n[UP_C1], 0);
	assert_in_range(n[UP_C2], N * 29 / 100, N * 31 / 100);
	assert_in_range(n[UP_MAIN], N * 69 / 100, N * 71 / 100);
	tab_close(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_always_never),
		cmocka_unit_test(test_header_value_and_pattern),
		cmocka_unit_test(test_cookie_and_precedence),
		cmocka_unit_test(test_weights),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
