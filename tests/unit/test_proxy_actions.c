/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route actions on the in-process wire (wire.h): redirects fanout answers
 * itself (redirect { }, return, app_root, slash_redirect) with the exact
 * Location, the request and response header modifiers as the origin and
 * the client see them, the default backends (global and per host, also
 * over rules without host) and /healthz. Every case ends with no session
 * left and no mbuf leaked.
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
#define ORIGIN WIRE_IP(198, 18, 0, 11)
#define FALLBACK WIRE_IP(198, 18, 0, 12)
#define HOSTFB WIRE_IP(198, 18, 0, 13)

static const char response[] = "HTTP/1.1 200 OK\r\nServer: origin\r\nX-Drop: 1\r\n"
			       "Cache-Control: max-age=5\r\nContent-Length: 6\r\n\r\norigin";
static const char fb_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nfallback";
static const char hostfb_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhostfb";

static const char conf_main[] =
	"interface wire0 { address 198.18.0.1/24; }\n"
	"listen 198.18.0.1:80;\n"
	"upstream origin { server 198.18.0.11:8000; }\n"
	"upstream fallback { server 198.18.0.12:8000; }\n"
	"upstream hostfb { server 198.18.0.13:8000; }\n"
	"route prefix /old/ { redirect { status 308; scheme https; host new.example; "
	"prefix /new/; } }\n"
	"route prefix /keep { redirect { port 8080; } }\n"
	"route exact /full { redirect { status 301; path /elsewhere; } }\n"
	"route exact /gone { return 301 \"https://example.com/moved\"; upstream origin; }\n"
	"route exact /tmp { return 307 /tmp2; }\n"
	"route prefix / { host app.example; upstream origin; app_root /app; }\n"
	"route prefix /docs/ { upstream origin; slash_redirect on; }\n"
	"route prefix /mods {\n"
	"\tupstream origin;\n"
	"\trequest_header set X-Set s;\n"
	"\trequest_header add X-Add \"a 1\";\n"
	"\trequest_header remove X-Rm;\n"
	"\tforwarded_prefix /mods;\n"
	"\tresponse_header set Cache-Control no-store;\n"
	"\tresponse_header add X-Resp r;\n"
	"\tresponse_header remove x-drop;\n"
	"}\n"
	"route prefix /plain { upstream origin; }\n"
	"default_backend fallback;\n"
	"default_backend hostfb host *.shop.example;\n";

/* no default backend, /healthz off: unmatched requests are 404s */
static const char conf_bare[] = "interface wire0 { address 198.18.0.1/24; }\n"
				"listen 198.18.0.1:80;\n"
				"upstream origin { server 198.18.0.11:8000; }\n"
				"route prefix /plain { upstream origin; }\n"
				"http { healthz off; }\n";

struct bench {
	struct pxw x; /* first: the harness's callbacks get &b->x */
	struct wire_host *oh, *fbh, *hfh;
	struct wire_origin o, fb, hfb;
	struct wire_client cl;
};

static int
setup(void **state)
{
	const char *text = *state != NULL ? *state : conf_main;
	struct bench *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	pxw_init(&b->x, "wire.conf", text, CLIENT, FANOUT);
	b->oh = wire_host_add(&b->x.w, ORIGIN, NULL);
	b->fbh = wire_host_add(&b->x.w, FALLBACK, NULL);
	b->hfh = wire_host_add(&b->x.w, HOSTFB, NULL);
	assert_non_null(b->hfh);
	assert_int_equal(wire_origin_start(&b->o, b->oh, 8000, response), 0);
	assert_int_equal(wire_origin_start(&b->fb, b->fbh, 8000, fb_response), 0);
	assert_int_equal(wire_origin_start(&b->hfb, b->hfh, 8000, hostfb_response), 0);
	pxw_start(&b->x, 64);
	assert_int_equal(wire_client_open(&b->cl, b->x.ch, FANOUT, 80, 1), 0);
	wire_run(&b->x.w, 10000);
	assert_true(b->cl.conns[0].connected);
	*state = b;
	return 0;
}

static void
free_clients(struct pxw *x)
{
	wire_client_free(&((struct bench *)x)->cl);
}

static void
free_origins(struct pxw *x)
{
	struct bench *b = (struct bench *)x;

	wire_origin_free(&b->o);
	wire_origin_free(&b->fb);
	wire_origin_free(&b->hfb);
}

static int
teardown(void **state)
{
	struct bench *b = *state;

	pxw_fini(&b->x, 10000, free_clients, free_origins);
	free(b);
	return 0;
}

static const struct fo_proxy_stats *
stats(struct bench *b)
{
	return fo_proxy_stats(b->x.pw);
}

/* Run until quiet; return what the client received since the last call. */
static const char *
exchange(struct bench *b, const char *req)
{
	struct wire_client_conn *cc = &b->cl.conns[0];

	cc->rx_len = 0;
	if (req != NULL)
		assert_int_equal(wire_client_send(&b->cl, 0, req, strlen(req)), 0);
	wire_run(&b->x.w, 100000);
	cc->rx[cc->rx_len < WIRE_BUF ? cc->rx_len : WIRE_BUF - 1] = '\0';
	return cc->rx;
}

/* The value of field @p name (as written) in the head of @p rx, or "" (static buffer). */
static const char *
field(const char *rx, const char *name)
{
	static char v[512];
	const char *end = strstr(rx, "\r\n\r\n"), *p = rx;
	size_t n = strlen(name), k;

	v[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL && (end == NULL || p < end)) {
		p += 2;
		if (strncmp(p, name, n) == 0 && p[n] == ':') {
			k = strcspn(p + n + 2, "\r\n");
			snprintf(v, sizeof(v), "%.*s", (int)k, p + n + 2);
			break;
		}
	}
	return v;
}

/* One request, one redirect: its status line and Location. */
static void
check_redirect(struct bench *b, const char *req, const char *status, const char *location)
{
	const char *rx = exchange(b, req);

	if (strncmp(rx, status, strlen(status)) != 0 ||
		strcmp(field(rx, "Location"), location) != 0)
		fail_msg("%s-> got:\n%s\nwant %s Location: %s", req, rx, status, location);
}

static void
test_redirect_parts(void **state)
{
	struct bench *b = *state;

	/* Gateway API ReplacePrefixMatch, scheme given: its own port, left out */
	check_redirect(b, "GET /old/a/b?x=1&y HTTP/1.1\r\nHost: a.example:80\r\n\r\n",
		"HTTP/1.1 308 Permanent Redirect", "https://new.example/new/a/b?x=1&y");
	check_redirect(b, "GET /old/ HTTP/1.1\r\nHost: a.example\r\n\r\n",
		"HTTP/1.1 308 Permanent Redirect", "https://new.example/new/");
	check_redirect(b, "GET /old HTTP/1.1\r\nHost: a.example\r\n\r\n",
		"HTTP/1.1 308 Permanent Redirect", "https://new.example/new/");
	/* port only: the request's host (without its port), path and query */
	check_redirect(b, "GET /keep/x?q HTTP/1.1\r\nHost: A.Example:80\r\n\r\n",
		"HTTP/1.1 302 Found", "http://A.Example:8080/keep/x?q");
	/* ReplaceFullPath, the listener's port 80 left out */
	check_redirect(b, "GET /full?v=2 HTTP/1.1\r\nHost: a.example\r\n\r\n",
		"HTTP/1.1 301 Moved Permanently", "http://a.example/elsewhere?v=2");
	/* absolute-form: the authority is the host */
	check_redirect(b, "GET http://b.example:81/full HTTP/1.1\r\nHost: x\r\n\r\n",
		"HTTP/1.1 301 Moved Permanently", "http://b.example/elsewhere");
	/* HTTP/1.0 without Host: a relative Location */
	check_redirect(
		b, "GET /full HTTP/1.0\r\n\r\n", "HTTP/1.1 301 Moved Permanently", "/elsewhere");
	assert_int_equal(stats(b)->gen_redirect, 7);
	assert_int_equal(stats(b)->responses_3xx, 7);
	assert_int_equal(b->o.requests, 0);
}

static void
test_return_app_root_slash(void **state)
{
	struct bench *b = *state;
	const char *rx;

	/* a fixed URL: no query appended, the route's upstream never used */
	check_redirect(b, "GET /gone?x=1 HTTP/1.1\r\nHost: a\r\n\r\n",
		"HTTP/1.1 301 Moved Permanently", "https://example.com/moved");
	check_redirect(b, "GET /tmp HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 307 Temporary Redirect",
		"/tmp2");
	/* app_root: "/" only, and without its query */
	check_redirect(b, "GET /?a=1 HTTP/1.1\r\nHost: app.example\r\n\r\n", "HTTP/1.1 302 Found",
		"http://app.example/app");
	rx = exchange(b, "GET /x HTTP/1.1\r\nHost: app.example\r\n\r\n");
	assert_true(strncmp(rx, "HTTP/1.1 200", 12) == 0);
	/* slash_redirect: "/docs" only, query kept */
	check_redirect(b, "GET /docs?v=1 HTTP/1.1\r\nHost: a\r\n\r\n",
		"HTTP/1.1 301 Moved Permanently", "http://a/docs/?v=1");
	rx = exchange(b, "GET /docs/x HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_true(strncmp(rx, "HTTP/1.1 200", 12) == 0);
	rx = exchange(b, "GET /docs/ HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_true(strncmp(rx, "HTTP/1.1 200", 12) == 0);
	assert_int_equal(stats(b)->gen_redirect, 4);
	assert_int_equal(b->o.requests, 3);
	assert_false(b->cl.conns[0].eof);
}

/* HEAD: no body, same Content-Length; a request body is not read: the connection closes. */
static void
test_redirect_head_and_body(void **state)
{
	struct bench *b = *state;
	const char *rx;

	rx = exchange(b, "HEAD /full HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(field(rx, "Content-Length"), "22");
	assert_non_null(strstr(rx, "\r\n\r\n"));
	assert_string_equal(strstr(rx, "\r\n\r\n"), "\r\n\r\n");
	rx = exchange(b, "GET /full HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_non_null(strstr(rx, "\r\n\r\n301 Moved Permanently\n"));
	assert_false(b->cl.conns[0].eof);
	rx = exchange(b, "POST /gone HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
	assert_true(strncmp(rx, "HTTP/1.1 301", 12) == 0);
	assert_string_equal(field(rx, "Connection"), "close");
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(b->o.requests, 0);
}

/*
 * Header injection: a query goes into the Location as the parser let it in
 * (0x21..0x7e: an encoded CR LF stays encoded); a path is decoded for
 * routing, where a decoded CR is refused (400) and what a prefix
 * replacement copies is escaped again; a raw CR in the target never
 * parses.
 */
static void
test_redirect_no_injection(void **state)
{
	struct bench *b = *state;
	const char *rx;

	rx = exchange(b, "GET /keep/x?%0d%0aSet-Cookie:%20a=b HTTP/1.1\r\nHost: a.example\r\n\r\n");
	assert_string_equal(
		field(rx, "Location"), "http://a.example:8080/keep/x?%0d%0aSet-Cookie:%20a=b");
	assert_null(strstr(rx, "\r\nSet-Cookie"));
	check_redirect(b, "GET /old/a%20b%3Fc%22%C3%A9/./d HTTP/1.1\r\nHost: a\r\n\r\n",
		"HTTP/1.1 308 Permanent Redirect", "https://new.example/new/a%20b%3Fc%22%C3%A9/d");
	rx = exchange(b, "GET /old/a%0d%0aSet-Cookie:%20a=b HTTP/1.1\r\nHost: a.example\r\n\r\n");
	assert_true(strncmp(rx, "HTTP/1.1 400", 12) == 0);
	assert_null(strstr(rx, "Location"));
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(stats(b)->gen_redirect, 2);
	assert_int_equal(stats(b)->path_refused, 1);
}

static void
test_redirect_raw_cr(void **state)
{
	struct bench *b = *state;
	const char *rx;

	rx = exchange(b, "GET /keep/\rSet-Cookie:a=b HTTP/1.1\r\nHost: a.example\r\n\r\n");
	assert_true(strncmp(rx, "HTTP/1.1 400", 12) == 0);
	assert_null(strstr(rx, "Location"));
	assert_int_equal(stats(b)->gen_redirect, 0);
}

static void
test_header_modifiers(void **state)
{
	struct bench *b = *state;
	const char *rx;

	rx = exchange(b,
		"GET /mods/x HTTP/1.1\r\nHost: a\r\nX-Rm: 1\r\nX-Set: old\r\n"
		"x-set: old2\r\nX-Add: orig\r\nX-Forwarded-Prefix: /evil\r\nX-Keep: k\r\n\r\n");
	assert_true(strncmp(rx, "HTTP/1.1 200", 12) == 0);
	/* request: set replaced every X-Set, add kept X-Add, remove dropped X-Rm */
	assert_null(strstr(b->o.last_head, "X-Rm"));
	assert_null(strstr(b->o.last_head, "old"));
	assert_null(strstr(b->o.last_head, "/evil"));
	assert_non_null(strstr(b->o.last_head,
		"\r\nX-Add: orig\r\nX-Keep: k\r\nX-Set: s\r\nX-Add: a 1\r\n"
		"X-Forwarded-Prefix: /mods\r\nX-Forwarded-For: 198.18.0.2\r\n"));
	/* response: Cache-Control replaced, X-Drop (x-drop in the config) gone, X-Resp added */
	assert_null(strstr(rx, "X-Drop"));
	assert_null(strstr(rx, "max-age"));
	assert_non_null(strstr(rx, "\r\nServer: origin\r\nContent-Length: 6\r\n"
				   "Cache-Control: no-store\r\nX-Resp: r\r\n\r\norigin"));
	/* a route without modifiers: both heads as before */
	rx = exchange(b, "GET /plain HTTP/1.1\r\nHost: a\r\nX-Rm: 1\r\n\r\n");
	assert_non_null(strstr(b->o.last_head, "\r\nX-Rm: 1\r\n"));
	assert_null(strstr(b->o.last_head, "X-Forwarded-Prefix"));
	assert_non_null(strstr(rx, "X-Drop: 1\r\nCache-Control: max-age=5\r\n"));
	assert_null(strstr(rx, "X-Resp"));
}

static void
test_default_backends(void **state)
{
	struct bench *b = *state;
	const char *rx;

	/* no route: the global default backend, request as sent */
	rx = exchange(b, "GET /nothing?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n");
	assert_non_null(strstr(rx, "fallback"));
	assert_true(strncmp(b->fb.last_head, "GET /nothing?q=1 HTTP/1.1\r\n", 27) == 0);
	/* the host's own default backend, also over a rule without host */
	rx = exchange(b, "GET /nothing HTTP/1.1\r\nHost: a.shop.example:80\r\n\r\n");
	assert_non_null(strstr(rx, "hostfb"));
	rx = exchange(b, "GET /plain HTTP/1.1\r\nHost: A.Shop.Example.\r\n\r\n");
	assert_non_null(strstr(rx, "hostfb"));
	/* "*.shop.example" wants one more label */
	rx = exchange(b, "GET /plain HTTP/1.1\r\nHost: shop.example\r\n\r\n");
	assert_non_null(strstr(rx, "origin"));
	/* a host with its own routes: they come first */
	rx = exchange(b, "GET /x HTTP/1.1\r\nHost: app.example\r\n\r\n");
	assert_non_null(strstr(rx, "origin"));
	assert_int_equal(stats(b)->default_backend, 3);
	assert_int_equal(b->fb.requests, 1);
	assert_int_equal(b->hfb.requests, 2);
	assert_int_equal(b->o.requests, 2);
	assert_int_equal(stats(b)->gen_404, 0);
}

/* /healthz: answered by fanout when no route claims it, before the global default backend. */
static void
test_healthz(void **state)
{
	struct bench *b = *state;
	const char *rx;

	rx = exchange(b, "GET /healthz HTTP/1.1\r\nHost: other\r\n\r\n");
	assert_true(strncmp(rx, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(rx, "\r\n\r\n200 OK\n"));
	/* not the same path, not a GET: the default backend */
	rx = exchange(b, "GET /healthz/x HTTP/1.1\r\nHost: other\r\n\r\n");
	assert_non_null(strstr(rx, "fallback"));
	rx = exchange(b, "POST /healthz HTTP/1.1\r\nHost: other\r\nContent-Length: 0\r\n\r\n");
	assert_non_null(strstr(rx, "fallback"));
	/* a host with a route for it or its own default backend */
	rx = exchange(b, "GET /healthz HTTP/1.1\r\nHost: app.example\r\n\r\n");
	assert_non_null(strstr(rx, "origin"));
	rx = exchange(b, "GET /healthz HTTP/1.1\r\nHost: x.shop.example\r\n\r\n");
	assert_non_null(strstr(rx, "hostfb"));
	assert_int_equal(stats(b)->gen_healthz, 1);
	assert_int_equal(stats(b)->default_backend, 3);
	assert_false(b->cl.conns[0].eof);
}

/* Without default backend and with healthz off: the built-in 404 for both. */
static void
test_bare_404(void **state)
{
	struct bench *b = *state;
	const char *rx;

	rx = exchange(b, "GET /healthz HTTP/1.1\r\nHost: other\r\n\r\n");
	assert_true(strncmp(rx, "HTTP/1.1 404", 12) == 0);
	rx = exchange(b, "GET /nothing HTTP/1.1\r\nHost: other\r\n\r\n");
	assert_true(strncmp(rx, "HTTP/1.1 404", 12) == 0);
	assert_int_equal(stats(b)->gen_404, 2);
	assert_int_equal(stats(b)->gen_healthz, 0);
	assert_int_equal(stats(b)->default_backend, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_redirect_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_return_app_root_slash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_head_and_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_no_injection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_raw_cr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_modifiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_backends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
		cmocka_unit_test_prestate_setup_teardown(
			test_bare_404, setup, teardown, (void *)(uintptr_t)conf_bare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
