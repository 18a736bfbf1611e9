/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy routes on the path as nginx reads it, on the in-process wire
 * (wire.h): the seed's two regex routes with their rewrites, a prefix
 * route without rewrite. A request picks its route by the normalized path
 * (%XX decoded, // merged, dot segments resolved), so that
 * "/test01/../test02/x" is /test02's and reaches its backend as "/x"; a
 * rewrite's captures are escaped again (a decoded "%3F" is no query); a
 * route without rewrite forwards the target byte for byte; a path that
 * cannot be read (bad %XX, NUL, ".." above the root) gets 400, is
 * counted, and the connection is closed after it, as nginx does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proxy_wire_harness.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define DJANGO WIRE_IP(198, 18, 0, 11)
#define FLASK WIRE_IP(198, 18, 0, 21)

static const char resp_d[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nD";
static const char resp_f[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nF";

static const char conf_text[] =
	"interface wire0 { address 198.18.0.1/24; }\n"
	"listen 198.18.0.1:80;\n"
	"upstream django { server 198.18.0.11:8000; }\n"
	"upstream flask { server 198.18.0.21:8000; }\n"
	"route regex \"/test01(/|$)(.*)\" { upstream django; rewrite \"/$2\"; }\n"
	"route regex \"/test02(/|$)(.*)\" { upstream flask; rewrite \"/$2\"; }\n"
	"route prefix /plain { upstream flask; }\n"
	"route regex \"/q/([0-9]+)\" { upstream django; rewrite \"/item?id=$1\"; }\n"
	"route prefix /drop { upstream flask; rewrite \"/dropped?\"; }\n";

struct pb {
	struct pxw x; /* first: the harness's callbacks get &b->x */
	struct wire_host *dh, *flh;
	struct wire_origin od, of;
	struct wire_client cl;
};

static int
setup(void **state)
{
	struct pb *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	pxw_init(&b->x, "path.conf", conf_text, CLIENT, FANOUT);
	b->dh = wire_host_add(&b->x.w, DJANGO, NULL);
	b->flh = wire_host_add(&b->x.w, FLASK, NULL);
	assert_int_equal(wire_origin_start(&b->od, b->dh, 8000, resp_d), 0);
	assert_int_equal(wire_origin_start(&b->of, b->flh, 8000, resp_f), 0);
	pxw_start(&b->x, 256);
	assert_int_equal(wire_client_open(&b->cl, b->x.ch, FANOUT, 80, 1), 0);
	wire_run(&b->x.w, 10000);
	*state = b;
	return 0;
}

static void
free_clients(struct pxw *x)
{
	wire_client_free(&((struct pb *)x)->cl);
}

static void
free_origins(struct pxw *x)
{
	struct pb *b = (struct pb *)x;

	wire_origin_free(&b->od);
	wire_origin_free(&b->of);
}

static int
teardown(void **state)
{
	struct pb *b = *state;

	pxw_fini(&b->x, 100000, free_clients, free_origins);
	free(b);
	return 0;
}

/*
 * GET @p target on the kept connection; return the status and, for a
 * forwarded request, which backend got it ('D' or 'F') and the request
 * line it got (without " HTTP/1.1"), in @p line.
 */
static unsigned
get(struct pb *b, const char *target, char *who, char *line, size_t cap)
{
	struct wire_client_conn *cc = &b->cl.conns[0];
	uint64_t d0 = b->od.requests, f0 = b->of.requests;
	char req[512];
	const struct wire_origin *o;
	const char *sp;
	unsigned status = 0;
	int n;

	if (cc->closed || cc->eof) { /* fanout closed it after a 400, as nginx does */
		wire_client_free(&b->cl);
		memset(&b->cl, 0, sizeof(b->cl));
		assert_int_equal(wire_client_open(&b->cl, b->x.ch, FANOUT, 80, 1), 0);
		wire_run(&b->x.w, 10000);
		cc = &b->cl.conns[0];
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: h.test\r\n\r\n", target);
	assert_true(n > 0 && (size_t)n < sizeof(req));
	cc->rx_len = 0;
	assert_int_equal(wire_client_send(&b->cl, 0, req, (size_t)n), 0);
	wire_run(&b->x.w, 100000);
	cc->rx[cc->rx_len < WIRE_BUF ? cc->rx_len : WIRE_BUF - 1] = '\0';
	if (sscanf(cc->rx, "HTTP/1.1 %u ", &status) != 1)
		fail_msg("%s: no response (%zu bytes: %s)", target, cc->rx_len, cc->rx);
	*who = b->od.requests != d0 ? 'D' : b->of.requests != f0 ? 'F' : '-';
	line[0] = '\0';
	if (*who == '-')
		return status;
	o = *who == 'D' ? &b->od : &b->of;
	sp = strstr(o->last_head, " HTTP/1.1\r\n");
	assert_non_null(sp);
	snprintf(line, cap, "%.*s", (int)(sp - o->last_head), o->last_head);
	return status;
}

static void
test_routes_on_normalized_path(void **state)
{
	static const struct {
		const char *target;
		unsigned status;
		char who;
		const char *line; /* request line the backend got */
	} cases[] = {
		{"/test01/a", 200, 'D', "GET /a"},
		{"/test01", 200, 'D', "GET /"},
		{"//test01/a", 200, 'D', "GET /a"},
		{"/test01/./a", 200, 'D', "GET /a"},
		{"/test01//a///b", 200, 'D', "GET /a/b"},
		{"/%74est01/a", 200, 'D', "GET /a"},
		{"/test01%2Fa", 200, 'D', "GET /a"},
		{"/test01/%7Euser", 200, 'D', "GET /~user"},
		{"/test01/%41", 200, 'D', "GET /A"},
		/* one route's backend never gets another route's path */
		{"/test01/../test02/x", 200, 'F', "GET /x"},
		{"/test01/%2e%2e/test02/x", 200, 'F', "GET /x"},
		{"/test02/x/..", 200, 'F', "GET /"},
		/* captures escaped again: a decoded '?', '%', '#' or space stays in the path */
		{"/test01/a%3Fb=1", 200, 'D', "GET /a%3Fb=1"},
		{"/test01/100%25", 200, 'D', "GET /100%25"},
		{"/test01/a%23b", 200, 'D', "GET /a%23b"},
		{"/test01/a%20b", 200, 'D', "GET /a%20b"},
		{"/test01/%C3%A9", 200, 'D', "GET /%C3%A9"},
		/* and the bytes nginx escapes in a rewritten URI even when they came raw */
		{"/test01/a\"b<c>d\\e^f`g{h|i}", 200, 'D',
			"GET /a%22b%3Cc%3Ed%5Ce%5Ef%60g%7Bh%7Ci%7D"},
		{"/test01/a%22b%7Bc%7D!$&'()*+,;=:@[]~", 200, 'D',
			"GET /a%22b%7Bc%7D!$&'()*+,;=:@[]~"},
		/* absolute-form: no path is "/" */
		{"http://h.test", 404, '-', ""},
		{"http://h.test?q=1", 404, '-', ""},
		{"https://h.test/test02/s?q", 200, 'F', "GET /s?q"},
		{"http://h.test/plain/./x", 200, 'F', "GET /plain/./x"},
		/* the query is not matched, and kept */
		{"/test01/a?x=/test02&y=%2e%2e", 200, 'D', "GET /a?x=/test02&y=%2e%2e"},
		/* a rewrite's own query comes first, the request's after '&'; a final '?' drops
		 * the request's (nginx's rewrite) */
		{"/q/7?page=2", 200, 'D', "GET /item?id=7&page=2"},
		{"/q/7", 200, 'D', "GET /item?id=7"},
		{"/drop/x?a=1&b=2", 200, 'F', "GET /dropped"},
		/* without rewrite: the target as received */
		{"/plain//x/./y", 200, 'F', "GET /plain//x/./y"},
		{"/plain/%2e%2e/plain/z?q", 200, 'F', "GET /plain/%2e%2e/plain/z?q"},
		{"/x/../plain", 200, 'F', "GET /x/../plain"},
		/* no route once normalized */
		{"/test01x", 404, '-', ""},
		{"/test03/../test0", 404, '-', ""},
		/* unreadable paths */
		{"/..", 400, '-', ""},
		{"/test01/../../x", 400, '-', ""},
		{"/test01/%2e%2e/%2E%2E/x", 400, '-', ""},
		{"/test01/%zz", 400, '-', ""},
		{"/test01/%4", 400, '-', ""},
		{"/test01/%00", 400, '-', ""},
		{"/test01/%0d%0aX:%20y", 400, '-', ""},
	};
	struct pb *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->x.pw);
	unsigned i, refused = 0;
	char who, line[512];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned status = get(b, cases[i].target, &who, line, sizeof(line));

		if (status != cases[i].status || who != cases[i].who ||
			strcmp(line, cases[i].line) != 0)
			fail_msg("%s: %u %c \"%s\", expected %u %c \"%s\"", cases[i].target, status,
				who, line, cases[i].status, cases[i].who, cases[i].line);
		refused += cases[i].status == 400;
	}
	/* every 400 counted and followed by a close (as nginx), the other cases on kept
	 * connections: the first connection, and one more after each 400 but the last */
	assert_int_equal(st->path_refused, refused);
	assert_int_equal(st->gen_400, refused);
	assert_int_equal(st->accepted, 1 + (refused - 1));
	assert_true(st->path_normalized >= 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes_on_normalized_path, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
