/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http writers: the request forwarded upstream (hop-by-hop removal,
 * fields named by Connection, X-Forwarded-* and X-Request-ID, rewritten
 * path with the query kept), the response forwarded to the client, and
 * fanout's own error responses. Exact bytes are compared, and every
 * capacity below the needed size must give -ENOSPC without writing past it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fo_http.h"
#include "guard_page.h"

#define OUT_MAX 4096
#define CANARY 0xa5

static uint8_t out[OUT_MAX + 64];

static void
parse(int kind, const char *in, struct fo_http_msg *m)
{
	struct fo_http_parser p;
	size_t len = strlen(in);

	fo_http_parser_init(&p, kind, m);
	if (fo_http_parse(&p, (const uint8_t *)in, len) != (ssize_t)len) {
		print_error("cannot parse: %s (%s)\n", in, fo_http_err_name(p.err));
		fail();
	}
}

static void
assert_out(ssize_t n, const char *want, const char *name)
{
	if (n != (ssize_t)strlen(want) || memcmp(out, want, strlen(want)) != 0) {
		print_error("%s: got %zd bytes:\n%.*s\nwant %zu bytes:\n%s\n", name, n,
			n > 0 ? (int)n : 0, (const char *)out, strlen(want), want);
		fail();
	}
}

/* every cap below @p need fails and leaves the bytes from cap on untouched */
typedef ssize_t (*write_fn)(size_t cap, const void *arg);

static void
sweep_enospc(write_fn fn, const void *arg, size_t need)
{
	size_t cap, i;

	for (cap = 0; cap < need; cap++) {
		memset(out, CANARY, sizeof(out));
		if (fn(cap, arg) != -ENOSPC) {
			print_error("cap %zu of %zu did not give -ENOSPC\n", cap, need);
			fail();
		}
		for (i = cap; i < sizeof(out); i++)
			if (out[i] != CANARY) {
				print_error("cap %zu: byte %zu written\n", cap, i);
				fail();
			}
	}
	memset(out, CANARY, sizeof(out));
	assert_int_equal(fn(need, arg), need);
	assert_int_equal(out[need], CANARY);
}

/* ---- requests ---------------------------------------------------------- */

struct wcase {
	const char *name;
	const char *in;
	const char *path; /* rewritten path, NULL: the original */
	const char *rid;  /* request id to add, NULL: none */
	unsigned flags;
	const char *want;
	const char *host; /* the route's rewrite_host, NULL: none */
};

#define FWD_ADDS(host) "X-Real-IP: 198.18.0.7\r\nX-Forwarded-Host: " host "\r\nX-Forwarded-Port: 8080\r\nX-Forwarded-Proto: http\r\n"
/* The usual end of a forwarded request: X-Forwarded-For, the headers added for @p host,
 * the blank line. */
#define FWD_TAIL(host) "X-Forwarded-For: 198.18.0.7\r\n" FWD_ADDS(host) "\r\n"

static const struct wcase wcases[] = {
	{"rewrite keeps query",
		"GET /test01/x/y?a=1&b=%20 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.1\r\n"
		"Accept: */*\r\n\r\n",
		"/x/y", "req-1", 0,
		"GET /x/y?a=1&b=%20 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.1\r\n"
		"Accept: */*\r\nX-Forwarded-For: 198.18.0.7\r\n" FWD_ADDS("example.com")
		"X-Request-ID: req-1\r\n\r\n"},
	{"fanout's 32-digit request id, bare LF lines, a run broken by a dropped field",
		"GET /test01/a?b HTTP/1.1\nHost: h\nX-A: 1\r\nConnection: keep-alive\r\nX-B: 2\r\n"
		"X-C: 3\n\n",
		"/a", "0123456789abcdef0123456789abcdef", 0,
		"GET /a?b HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\n"
		"X-Forwarded-For: 198.18.0.7\r\n" FWD_ADDS("h")
		"X-Request-ID: 0123456789abcdef0123456789abcdef\r\n\r\n"},
	{"original path",
		"GET /a/b HTTP/1.1\r\nHost: h\r\n\r\n", NULL, NULL, 0,
		"GET /a/b HTTP/1.1\r\nHost: h\r\n" FWD_TAIL("h")},
	{"empty rewrite is /",
		"GET /test01 HTTP/1.1\r\nHost: h\r\n\r\n", "", NULL, 0,
		"GET / HTTP/1.1\r\nHost: h\r\n" FWD_TAIL("h")},
	{"hop-by-hop",
		"POST /f HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret , x-other\r\n"
		"Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n"
		"Trailer: X-Sum\r\nUpgrade: h2c\r\nX-Secret: s\r\nX-OTHER: o\r\nx-secret: s2\r\n"
		"X-Secrets: kept\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
		NULL, NULL, 0,
		"POST /f HTTP/1.1\r\nHost: h\r\nX-Secrets: kept\r\nContent-Length: 0\r\n"
		FWD_TAIL("h")},
	{"connection cannot drop framing",
		"POST /f HTTP/1.1\r\nHost: h\r\nConnection: Content-Length, host, Transfer-Encoding, "
		"X-Request-ID\r\nTransfer-Encoding: chunked\r\nX-Request-ID: r9\r\n\r\n",
		NULL, "unused", 0,
		"POST /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX-Request-ID: r9\r\n"
		FWD_TAIL("h")},
	{"xff one",
		"GET / HTTP/1.1\r\nX-Forwarded-For: 203.0.113.9\r\nHost: h\r\nX-Real-IP: 1.1.1.1\r\n"
		"X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil\r\nX-Forwarded-Port: 1\r\n\r\n",
		NULL, NULL, 0,
		"GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 203.0.113.9, 198.18.0.7\r\n"
		FWD_ADDS("h") "\r\n"},
	{"xff two and a list",
		"GET / HTTP/1.1\r\nHost: h\r\nx-forwarded-for: 10.0.0.1,  10.0.0.2\r\n"
		"X-Forwarded-For:\r\nX-Forwarded-For: 10.0.0.3 \r\n\r\n",
		NULL, NULL, 0,
		"GET / HTTP/1.1\r\nHost: h\r\n"
		"X-Forwarded-For: 10.0.0.1,  10.0.0.2, 10.0.0.3, 198.18.0.7\r\n" FWD_ADDS("h") "\r\n"},
	{"request id kept",
		"GET / HTTP/1.1\r\nX-Request-Id: abc-123\r\nHost: h\r\n\r\n", NULL, "new", 0,
		"GET / HTTP/1.1\r\nX-Request-Id: abc-123\r\nHost: h\r\n" FWD_TAIL("h")},
	{"http/1.0 close no host",
		"GET /x?q HTTP/1.0\r\nAccept: */*\r\n\r\n", "/y", "id", FO_HTTP_FWD_CLOSE,
		"GET /y?q HTTP/1.0\r\nAccept: */*\r\nX-Forwarded-For: 198.18.0.7\r\n"
		"X-Real-IP: 198.18.0.7\r\nX-Forwarded-Port: 8080\r\nX-Forwarded-Proto: http\r\n"
		"X-Request-ID: id\r\nConnection: close\r\n\r\n"},
	{"upgrade",
		"GET /ws HTTP/1.1\r\nHost: h:8080\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
		"Sec-WebSocket-Version: 13\r\n\r\n",
		NULL, NULL, FO_HTTP_FWD_UPGRADE | FO_HTTP_FWD_CLOSE,
		"GET /ws HTTP/1.1\r\nHost: h:8080\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
		"X-Forwarded-For: 198.18.0.7\r\n" FWD_ADDS("h:8080") "Connection: upgrade\r\n\r\n"},
	{"absolute form",
		"GET http://Origin.example/p?x HTTP/1.1\r\nHost: other\r\n\r\n", NULL, NULL, 0,
		"GET /p?x HTTP/1.1\r\nHost: Origin.example\r\n" FWD_TAIL("Origin.example")},
	{"absolute form replaces host in place",
		"GET http://example.test/x HTTP/1.1\r\nAccept: */*\r\nhost: other.invalid\r\n"
		"X-A: 1\r\n\r\n", NULL, NULL, 0,
		"GET /x HTTP/1.1\r\nAccept: */*\r\nHost: example.test\r\nX-A: 1\r\n"
		FWD_TAIL("example.test")},
	{"absolute form http/1.0 without host",
		"GET http://[::1]:81/x HTTP/1.0\r\nAccept: */*\r\n\r\n", NULL, NULL, FO_HTTP_FWD_CLOSE,
		"GET /x HTTP/1.0\r\nHost: [::1]:81\r\nAccept: */*\r\nX-Forwarded-For: 198.18.0.7\r\n"
		FWD_ADDS("[::1]:81") "Connection: close\r\n\r\n"},
	{"content-length canonical",
		"POST /f HTTP/1.1\r\nHost: h\r\ncontent-length:  010 \r\nX-A: 1\r\n\r\n", NULL, NULL, 0,
		"POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\nX-A: 1\r\n" FWD_TAIL("h")},
	{"content-length twice once",
		"POST /f HTTP/1.1\r\nContent-Length: 5\r\nHost: h\r\nContent-Length: 5\r\n\r\n", NULL,
		NULL, 0,
		"POST /f HTTP/1.1\r\nContent-Length: 5\r\nHost: h\r\n" FWD_TAIL("h")},
	{"content-length list once",
		"POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 007, 7,7\r\n\r\n", NULL, NULL, 0,
		"POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n" FWD_TAIL("h")},
	{"underscores dropped",
		"POST /f HTTP/1.1\r\nHost: h\r\nTransfer_Encoding: chunked\r\nContent-Length: 3\r\n"
		"X_Forwarded_For: 6.6.6.6\r\nX-Ok: a_b\r\n\r\n", NULL, NULL, 0,
		"POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX-Ok: a_b\r\n" FWD_TAIL("h")},
	{"underscores kept on request",
		"GET / HTTP/1.1\r\nHost: h\r\nX_Custom: 1\r\n\r\n", NULL, NULL, FO_HTTP_FWD_UNDERSCORES,
		"GET / HTTP/1.1\r\nHost: h\r\nX_Custom: 1\r\n" FWD_TAIL("h")},
	{"transfer-encoding canonical",
		"POST /f HTTP/1.1\r\nHost: h\r\nTRANSFER-ENCODING:\t chunked \r\n\r\n", NULL, NULL, 0,
		"POST /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n" FWD_TAIL("h")},
	{"rewrite with its own query: the request's after it with &",
		"GET /u/7?page=2 HTTP/1.1\r\nHost: h\r\n\r\n", "/user?id=7", NULL, 0,
		"GET /user?id=7&page=2 HTTP/1.1\r\nHost: h\r\n" FWD_TAIL("h")},
	{"rewrite with its own query, the request has none",
		"GET /u/7 HTTP/1.1\r\nHost: h\r\n\r\n", "/user?id=7", NULL, 0,
		"GET /user?id=7 HTTP/1.1\r\nHost: h\r\n" FWD_TAIL("h")},
	{"rewrite ending with ? drops the query",
		"GET /old?a=1&b=2 HTTP/1.1\r\nHost: h\r\n\r\n", "/new?", NULL, 0,
		"GET /new HTTP/1.1\r\nHost: h\r\n" FWD_TAIL("h")},
	{"rewrite to ? alone",
		"GET /old?a=1 HTTP/1.1\r\nHost: h\r\n\r\n", "?", NULL, 0,
		"GET / HTTP/1.1\r\nHost: h\r\n" FWD_TAIL("h")},
	{"rewrite_host replaces Host in place, X-Forwarded-Host stays",
		"GET /x HTTP/1.1\r\nAccept: */*\r\nHost: a.test:8080\r\n\r\n", NULL, NULL, 0,
		"GET /x HTTP/1.1\r\nAccept: */*\r\nHost: one.example.org\r\n"
		FWD_TAIL("a.test:8080"),
		"one.example.org"},
	{"rewrite_host over an absolute-form authority",
		"GET http://b.test/x HTTP/1.1\r\nHost: c.test\r\n\r\n", NULL, NULL, 0,
		"GET /x HTTP/1.1\r\nHost: new.test\r\n" FWD_TAIL("b.test"),
		"new.test"},
	{"rewrite_host for an HTTP/1.0 request without Host",
		"GET /x HTTP/1.0\r\n\r\n", NULL, NULL, FO_HTTP_FWD_CLOSE,
		"GET /x HTTP/1.0\r\nHost: new.test\r\nX-Forwarded-For: 198.18.0.7\r\n"
		"X-Real-IP: 198.18.0.7\r\nX-Forwarded-Port: 8080\r\nX-Forwarded-Proto: http\r\n"
		"Connection: close\r\n\r\n",
		"new.test"},
	{"absolute form no path",
		"GET http://o.example?x HTTP/1.1\r\nHost: o.example\r\n\r\n", NULL, NULL, 0,
		"GET /?x HTTP/1.1\r\nHost: o.example\r\n" FWD_TAIL("o.example")},
	{"bare lf and trailing ws kept",
		"GET / HTTP/1.1\nHost: h\nX-A: a \t\n\n", NULL, NULL, 0,
		"GET / HTTP/1.1\r\nHost: h\r\nX-A: a \t\r\n" FWD_TAIL("h")},
	{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", NULL, NULL, 0,
		"OPTIONS * HTTP/1.1\r\nHost: h\r\n" FWD_TAIL("h")},
	/* lines that go on as received are copied in runs: around those that do not */
	{"content-length trailing space",
		"POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 12 \r\nA: 1\r\n\r\n", NULL, NULL, 0,
		"POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\nA: 1\r\n" FWD_TAIL("h")},
	{"content-length no space, bare lf",
		"POST /f HTTP/1.1\nHost: h\nContent-Length:12\nContent-Length: 12\n\n", NULL, NULL, 0,
		"POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n" FWD_TAIL("h")},
	{"content-length as received",
		"POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\nA: 1\r\n\r\n", NULL, NULL, 0,
		"POST /f HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\nA: 1\r\n" FWD_TAIL("h")},
	{"bare lf among crlf",
		"GET /a?q HTTP/1.1\r\nHost: h\r\nA: 1\nB: 2\r\nC: 3\r\n\r\n", NULL, NULL, 0,
		"GET /a?q HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n" FWD_TAIL("h")},
	{"empty query dropped",
		"GET /a? HTTP/1.1\r\nHost: h\r\n\r\n", NULL, NULL, 0,
		"GET /a HTTP/1.1\r\nHost: h\r\n" FWD_TAIL("h")},
	{"bare lf request line",
		"GET /a?b HTTP/1.1\nHost: h\r\n\r\n", NULL, NULL, 0,
		"GET /a?b HTTP/1.1\r\nHost: h\r\n" FWD_TAIL("h")},
};

struct wreq {
	const char *in;
	const struct fo_http_msg *m;
	const struct fo_http_fwd *fwd;
};

static ssize_t
write_req(size_t cap, const void *arg)
{
	const struct wreq *w = arg;

	return fo_http_write_request(out, cap, (const uint8_t *)w->in, w->m, w->fwd);
}

static void
test_write_request(void **state)
{
	static struct fo_http_msg m;
	struct fo_http_fwd_conn conn;
	struct fo_http_fwd fwd;
	struct wreq w;
	size_t i;
	ssize_t n;

	(void)state;
	for (i = 0; i < sizeof(wcases) / sizeof(wcases[0]); i++) {
		const struct wcase *c = &wcases[i];

		parse(FO_HTTP_REQUEST, c->in, &m);
		memset(&fwd, 0, sizeof(fwd));
		fwd.path = c->path;
		fwd.path_len = c->path ? strlen(c->path) : 0;
		fwd.client_addr = htonl(0xc6120007); /* 198.18.0.7 */
		fwd.server_port = 8080;
		fwd.request_id = c->rid;
		fwd.request_id_len = c->rid ? strlen(c->rid) : 0;
		fwd.flags = c->flags;
		fwd.host = c->host;
		fwd.host_len = c->host ? strlen(c->host) : 0;
		n = fo_http_write_request(out, OUT_MAX, (const uint8_t *)c->in, &m, &fwd);
		assert_out(n, c->want, c->name);
		/* what fanout sends must parse back */
		{
			static struct fo_http_msg back;
			struct fo_http_parser p;

			fo_http_parser_init(&p, FO_HTTP_REQUEST, &back);
			assert_int_equal(fo_http_parse(&p, out, (size_t)n), n);
		}
		w.in = c->in;
		w.m = &m;
		w.fwd = &fwd;
		sweep_enospc(write_req, &w, (size_t)n);
		/* the same with the connection's fields formatted beforehand */
		fo_http_fwd_conn_init(&conn, fwd.client_addr, fwd.server_port, 0);
		fwd.conn = &conn;
		n = fo_http_write_request(out, OUT_MAX, (const uint8_t *)c->in, &m, &fwd);
		assert_out(n, c->want, c->name);
		sweep_enospc(write_req, &w, (size_t)n);
	}
}

/*
 * A rewritten path of every length up to 24 bytes, without '?', with one at
 * every place or two, placed right before a guard page: the request line
 * is what the rule says ('?' at the end drops the query, another '?' is
 * followed by '&' and the query), and the path's bytes past its length are
 * never read.
 */
/* the request line for rewritten path @p path of @p len bytes, with '?' at @p at and @p at2 */
static void
check_qmark(const struct fo_http_msg *m, const char *in, size_t len, size_t at, size_t at2)
{
	struct fo_http_fwd fwd;
	char path[32], want[128];
	size_t i, first = len;
	ssize_t n;
	int k;

	for (i = 0; i < len; i++)
		path[i] = (char)('a' + i % 26);
	path[0] = '/';
	if (at < len)
		path[at] = '?';
	if (at2 < len)
		path[at2] = '?';
	for (i = 0; i < len && first == len; i++)
		if (path[i] == '?')
			first = i;
	if (first == len)
		k = snprintf(want, sizeof(want), "GET %.*s?q=1", (int)len, path);
	else if (first == len - 1 && len > 1)
		k = snprintf(want, sizeof(want), "GET %.*s", (int)len - 1, path);
	else if (first == len - 1)
		k = snprintf(want, sizeof(want), "GET /");
	else
		k = snprintf(want, sizeof(want), "GET %.*s&q=1", (int)len, path);
	snprintf(want + k, sizeof(want) - (size_t)k, " HTTP/1.1\r\n");
	memset(&fwd, 0, sizeof(fwd));
	fwd.path = (const char *)guard_copy(path, len);
	fwd.path_len = len;
	n = fo_http_write_request(out, OUT_MAX, (const uint8_t *)in, m, &fwd);
	assert_true(n > (ssize_t)strlen(want));
	if (memcmp(out, want, strlen(want)) != 0) {
		print_error("len %zu, '?' at %zu and %zu: got %.*s, want %s\n", len, at, at2,
			(int)strlen(want), (const char *)out, want);
		fail();
	}
}

/*
 * A rewritten path of every length up to 24 bytes, without '?', with one at
 * every place or two, placed right before a guard page: the request line
 * is what the rule says ('?' at the end drops the query, another '?' is
 * followed by '&' and the query), and the path's bytes past its length are
 * never read.
 */
static void
test_write_request_rewrite_qmark(void **state)
{
	static const char in[] = "GET /a?q=1 HTTP/1.1\r\nHost: h\r\n\r\n";
	static struct fo_http_msg m;
	size_t len, at;

	(void)state;
	parse(FO_HTTP_REQUEST, in, &m);
	for (len = 1; len <= 24; len++) {
		for (at = 0; at <= len; at++) {
			check_qmark(&m, in, len, at, at);     /* one '?', or none */
			check_qmark(&m, in, len, at, at + 1); /* two */
		}
	}
}

/* fwd->conn, not client_addr / server_port / FO_HTTP_FWD_HTTPS, when set */
static void
test_write_request_conn(void **state)
{
	static const char in[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
	static struct fo_http_msg m;
	struct fo_http_fwd_conn conn;
	struct fo_http_fwd fwd;
	struct wreq w;
	ssize_t n;

	(void)state;
	parse(FO_HTTP_REQUEST, in, &m);
	memset(&fwd, 0, sizeof(fwd));
	fwd.client_addr = htonl(0x01020304);
	fwd.server_port = 80;
	fo_http_fwd_conn_init(&conn, htonl(0xfffefd0a), 65535, 1);
	fwd.conn = &conn;
	n = fo_http_write_request(out, OUT_MAX, (const uint8_t *)in, &m, &fwd);
	assert_out(n,
		"GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 255.254.253.10\r\n"
		"X-Real-IP: 255.254.253.10\r\nX-Forwarded-Host: h\r\nX-Forwarded-Port: 65535\r\n"
		"X-Forwarded-Proto: https\r\n\r\n",
		"conn");
	w.in = in;
	w.m = &m;
	w.fwd = &fwd;
	sweep_enospc(write_req, &w, (size_t)n);
	/* the longest pieces fit exactly */
	fo_http_fwd_conn_init(&conn, htonl(0xffffffff), 65535, 1);
	assert_int_equal(conn.ip_len, sizeof(conn.ip));
	assert_int_equal(conn.tail_len, sizeof(conn.tail));
	fo_http_fwd_conn_init(&conn, 0, 0, 0);
	n = fo_http_write_request(out, OUT_MAX, (const uint8_t *)in, &m, &fwd);
	assert_out(n,
		"GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 0.0.0.0\r\nX-Real-IP: 0.0.0.0\r\n"
		"X-Forwarded-Host: h\r\nX-Forwarded-Port: 0\r\nX-Forwarded-Proto: http\r\n\r\n",
		"conn zero");
}

/* ---- responses --------------------------------------------------------- */

struct rcase {
	const char *name;
	const char *in;
	unsigned flags;
	const char *want;
};

static const struct rcase rcases[] = {
	{"filtered",
		"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: keep-alive, X-Hop\r\n"
		"Keep-Alive: timeout=5\r\nX-Hop: 1\r\nContent-Length: 5\r\nTrailer: X\r\n"
		"Upgrade: h2c\r\nProxy-Connection: x\r\nTE: y\r\nSet-Cookie: a=b\r\n\r\n",
		0, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\nSet-Cookie: a=b\r\n\r\n"},
	{"close", "HTTP/1.0 404 Not Found\r\nServer: gunicorn\r\nContent-Length: 9\r\n\r\n",
		FO_HTTP_RESP_CLOSE,
		"HTTP/1.0 404 Not Found\r\nServer: gunicorn\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"},
	{"101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
		FO_HTTP_RESP_UPGRADE,
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nConnection: upgrade\r\n\r\n"},
	{"te drops cl", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
	{"te other drops cl", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n",
		FO_HTTP_RESP_CLOSE,
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n"},
	{"no reason bare lf", "HTTP/1.1 204\nDate: x\n\n", 0, "HTTP/1.1 204\r\nDate: x\r\n\r\n"},
	{"underscores kept in responses", "HTTP/1.1 200 OK\r\nX_Server: a\r\n\r\n", 0,
		"HTTP/1.1 200 OK\r\nX_Server: a\r\n\r\n"},
	{"content-length canonical once", "HTTP/1.1 200 OK\r\nContent-Length: 0012\r\nX: y\r\n"
		"content-length: 12, 12\r\n\r\n", 0,
		"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX: y\r\n\r\n"},
	{"content-length spacing", "HTTP/1.1 200 OK\r\nContent-Length:12\r\nA: 1\r\n\r\n", 0,
		"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nA: 1\r\n\r\n"},
	{"content-length trailing space", "HTTP/1.1 200 OK\r\nContent-Length: 7 \r\nA: 1\r\n\r\n",
		0, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nA: 1\r\n\r\n"},
	{"content-length bare lf", "HTTP/1.1 200 OK\r\nContent-Length: 10000000000\nA: 1\r\n\r\n",
		0, "HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\nA: 1\r\n\r\n"},
	{"reason with spaces", "HTTP/1.1 503 Service  Unavailable \r\n\r\n", 0,
		"HTTP/1.1 503 Service  Unavailable \r\n\r\n"},
};

struct wresp {
	const char *in;
	const struct fo_http_msg *m;
	unsigned flags;
};

static ssize_t
write_resp(size_t cap, const void *arg)
{
	const struct wresp *w = arg;

	return fo_http_write_response(out, cap, (const uint8_t *)w->in, w->m, w->flags);
}

static void
test_write_response(void **state)
{
	static struct fo_http_msg m;
	struct wresp w;
	size_t i;
	ssize_t n;

	(void)state;
	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		const struct rcase *c = &rcases[i];

		parse(FO_HTTP_RESPONSE, c->in, &m);
		n = fo_http_write_response(out, OUT_MAX, (const uint8_t *)c->in, &m, c->flags);
		assert_out(n, c->want, c->name);
		w.in = c->in;
		w.m = &m;
		w.flags = c->flags;
		sweep_enospc(write_resp, &w, (size_t)n);
	}
}

/*
 * fo_http_resp_verbatim(): said of a head exactly when the writer would
 * copy it unchanged (flags 0), over the writer's cases and these.
 */
static void
test_resp_verbatim(void **state)
{
	static const struct {
		const char *in;
		unsigned flags;
		int want;
	} v[] = {
		{"HTTP/1.1 200 OK\r\nServer: origin\r\nContent-Type: text/plain\r\n"
		 "Content-Length: 12\r\n\r\n",
			0, 1},
		{"HTTP/1.1 204 No Content\r\n\r\n", 0, 1},
		{"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nX-A: b\r\n\r\n", 0, 1},
		{"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", FO_HTTP_RESP_CLOSE, 0},
		{"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n", 0, 0},
		{"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 1\r\n\r\n", 0, 0},
		{"HTTP/1.1 200 OK\r\nContent-Length: 012\r\n\r\n", 0, 0},
		{"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n", 0, 0},
		{"HTTP/1.1 200 OK\r\nContent-Length:12\r\n\r\n", 0, 0},
		{"HTTP/1.1 200 OK\r\nContent-Length: 12 \r\n\r\n", 0, 0},
		{"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Length: 12\r\n\r\n", 0, 0},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 1},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 0, 0},
		{"HTTP/1.1 200 OK\nContent-Length: 1\r\n\r\n", 0, 0},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1\n\r\n", 0, 0},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\n", 0, 0},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 0, 0},
	};
	static struct fo_http_msg m;
	size_t i;
	ssize_t n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		parse(FO_HTTP_RESPONSE, v[i].in, &m);
		if (fo_http_resp_verbatim((const uint8_t *)v[i].in, &m, v[i].flags) != v[i].want)
			fail_msg("case %zu: verbatim should be %d: %s", i, v[i].want, v[i].in);
		n = fo_http_write_response(out, OUT_MAX, (const uint8_t *)v[i].in, &m, v[i].flags);
		assert_true(n > 0);
		/* exact: verbatim if and only if the writer copies it unchanged */
		if (v[i].want != (v[i].flags == 0 && (size_t)n == strlen(v[i].in) &&
				     memcmp(out, v[i].in, (size_t)n) == 0))
			fail_msg("case %zu: the writer %s it: %s", i,
				v[i].want ? "changes" : "copies", v[i].in);
	}
	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		parse(FO_HTTP_RESPONSE, rcases[i].in, &m);
		if (fo_http_resp_verbatim((const uint8_t *)rcases[i].in, &m, rcases[i].flags))
			assert_string_equal(rcases[i].want, rcases[i].in);
	}
}

/* ---- error responses --------------------------------------------------- */

struct werr {
	unsigned status;
	const char *detail;
	int close, head_only;
};

static ssize_t
write_err(size_t cap, const void *arg)
{
	const struct werr *w = arg;

	return fo_http_write_error(out, cap, w->status, w->detail, w->close, w->head_only);
}

static void
test_write_error(void **state)
{
	static const char want[] = "HTTP/1.1 404 Not Found\r\n"
				   "Server: fanout\r\n"
				   "Content-Type: text/plain\r\n"
				   "Content-Length: 47\r\n"
				   "Connection: close\r\n"
				   "\r\n"
				   "404 Not Found: no route for this host and path\n";
	static const char want_head[] = "HTTP/1.1 404 Not Found\r\n"
					"Server: fanout\r\n"
					"Content-Type: text/plain\r\n"
					"Content-Length: 47\r\n"
					"\r\n";
	static const char want_502[] = "HTTP/1.1 502 Bad Gateway\r\n"
				       "Server: fanout\r\n"
				       "Content-Type: text/plain\r\n"
				       "Content-Length: 16\r\n"
				       "\r\n"
				       "502 Bad Gateway\n";
	struct werr w = {404, "no route for this host and path", 1, 0};
	static struct fo_http_msg m;
	struct fo_http_parser p;
	ssize_t n;

	(void)state;
	n = fo_http_write_error(out, OUT_MAX, 404, w.detail, 1, 0);
	assert_out(n, want, "404");
	sweep_enospc(write_err, &w, (size_t)n);
	/* it is a valid response whose body is Content-Length long */
	fo_http_parser_init(&p, FO_HTTP_RESPONSE, &m);
	assert_int_equal(fo_http_parse(&p, out, (size_t)n), n - 47);
	assert_int_equal(m.content_length, 47);
	assert_int_equal(m.flags, FO_HTTP_F_CONTENT_LENGTH | FO_HTTP_F_CONN_CLOSE);

	n = fo_http_write_error(out, OUT_MAX, 404, w.detail, 0, 1);
	assert_out(n, want_head, "404 HEAD");
	w.close = 0;
	w.head_only = 1;
	sweep_enospc(write_err, &w, (size_t)n);

	n = fo_http_write_error(out, OUT_MAX, 502, NULL, 0, 0);
	assert_out(n, want_502, "502");

	n = fo_http_write_error(out, OUT_MAX, 599, "x", 0, 0);
	assert_true(n > 0);
	assert_memory_equal(out, "HTTP/1.1 599 Unknown\r\n", 22);
}

static void
test_upgrade_allowed(void **state)
{
	static const struct {
		const char *upgrade; /* Upgrade field lines, NULL: none */
		const char *allowed;
		int want;
	} c[] = {
		{NULL, NULL, 0},
		{"Upgrade: websocket\r\n", NULL, 1},
		{"Upgrade: WebSocket\r\n", NULL, 1},
		{"Upgrade: websocket/13\r\n", NULL, 1},
		{"Upgrade: h2c\r\n", NULL, 0},
		{"Upgrade: websocket, h2c\r\n", NULL, 0},
		{"Upgrade: websocket\r\nUpgrade: h2c\r\n", NULL, 0},
		{"Upgrade: h2c\r\n", "websocket h2c", 1},
		{"Upgrade: websocket,  H2C \r\n", "h2c websocket", 1},
		{"Upgrade: websocket\r\n", "", 0},
		{"Upgrade: websockets\r\n", NULL, 0},
		{"Upgrade: websocke\r\n", NULL, 0},
		{"Upgrade: web socket\r\n", NULL, 0},
		{"Upgrade:\r\n", NULL, 0},
		{"Upgrade: ,\r\n", NULL, 0},
		{"Upgrade: /13\r\n", NULL, 0},
		{"Upgrade: tls/1.2, websocket\r\n", "websocket tls", 1},
		{"Upgrade: echo\r\n", "echo websocket", 1},
		{"Upgrade: websocket\r\n", "echo websocket", 1},
		{"Upgrade: ech\r\n", "echo websocket", 0},
	};
	static struct fo_http_msg m;
	static char in[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n%s\r\n",
			c[i].upgrade ? c[i].upgrade : "");
		parse(FO_HTTP_REQUEST, in, &m);
		if (fo_http_upgrade_allowed((const uint8_t *)in, &m, c[i].allowed) != c[i].want) {
			print_error("%s allowed %s: want %d\n", c[i].upgrade, c[i].allowed, c[i].want);
			fail();
		}
	}
}

static void
test_write_chunk_line(void **state)
{
	static const struct {
		int close;
		uint64_t size;
		const char *want;
	} c[] = {
		{0, 0, "0\r\n"},
		{1, 0, "\r\n0\r\n"},
		{0, 10, "a\r\n"},
		{1, 0x1f40, "\r\n1f40\r\n"},
		{0, 0x7fffffffffffffffull, "7fffffffffffffff\r\n"},
		{1, UINT64_MAX, "\r\nffffffffffffffff\r\n"},
	};
	size_t i, cap;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t n = strlen(c[i].want);

		memset(out, CANARY, sizeof(out));
		assert_out(fo_http_write_chunk_line(out, OUT_MAX, c[i].close, c[i].size), c[i].want,
			"chunk line");
		for (cap = 0; cap < n; cap++) {
			memset(out, CANARY, sizeof(out));
			assert_int_equal(fo_http_write_chunk_line(out, cap, c[i].close, c[i].size),
				-ENOSPC);
			assert_int_equal(out[cap], CANARY);
		}
	}
}

static void
test_reason(void **state)
{
	(void)state;
	assert_string_equal(fo_http_reason(200), "OK");
	assert_string_equal(fo_http_reason(400), "Bad Request");
	assert_string_equal(fo_http_reason(404), "Not Found");
	assert_string_equal(fo_http_reason(413), "Content Too Large");
	assert_string_equal(fo_http_reason(414), "URI Too Long");
	assert_string_equal(fo_http_reason(417), "Expectation Failed");
	assert_string_equal(fo_http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(fo_http_reason(501), "Not Implemented");
	assert_string_equal(fo_http_reason(502), "Bad Gateway");
	assert_string_equal(fo_http_reason(503), "Service Unavailable");
	assert_string_equal(fo_http_reason(504), "Gateway Timeout");
	assert_string_equal(fo_http_reason(505), "HTTP Version Not Supported");
	assert_string_equal(fo_http_reason(0), "Unknown");
	assert_string_equal(fo_http_reason(299), "Unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_request),
		cmocka_unit_test(test_write_request_conn),
		cmocka_unit_test(test_write_request_rewrite_qmark),
		cmocka_unit_test(test_write_response),
		cmocka_unit_test(test_resp_verbatim),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_write_chunk_line),
		cmocka_unit_test(test_upgrade_allowed),
		cmocka_unit_test(test_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
