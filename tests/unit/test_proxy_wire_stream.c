/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy on the in-process wire (see test_proxy_wire.c): what streams
 * through the proxy -- tunnels after an Upgrade and their idle timeout,
 * chunked request and response bodies re-framed, chunk-extension
 * smuggling and size limits, absolute-form targets, underscored fields.
 * Every case ends with no session left and no mbuf leaked.
 */
#include "proxy_wire_fixture.h"

static void
test_tunnel_idle_timeout(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /switch HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\n"
			 "Connection: Upgrade\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "101");
	wire_advance(&b->w, 50000);
	exchange(b, NULL);
	assert_int_equal(stats(b)->sessions, 1); /* 50 s: still open */
	rx = exchange(b, "ping\r\n\r\n");     /* activity moves the deadline */
	assert_string_equal(rx, switching);
	wire_advance(&b->w, 50000);
	exchange(b, NULL);
	assert_int_equal(stats(b)->sessions, 1);
	wire_advance(&b->w, 11000);
	exchange(b, NULL);
	assert_int_equal(stats(b)->sessions, 0);
	assert_int_equal(stats(b)->client_timeouts, 1);
	assert_true(b->cl.conns[0].closed != 0);
}

static void
test_upgrade_tunnel(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	/* without an Upgrade request, a 101 is a bad gateway */
	rx = exchange(b, "GET /switch HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "502");
	rx = exchange(b, "GET /switch HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\n"
			 "Connection: Upgrade\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "101");
	assert_non_null(strstr(b->swo.last_head, "Upgrade: echo\r\n"));
	assert_int_equal(stats(b)->tunnels, 1);
	/* raw bytes now: the origin answers any "head" with its fixed bytes */
	rx = exchange(b, "ping\r\n\r\n");
	assert_string_equal(rx, switching);
	assert_int_equal(b->swo.requests, 3);
	/* the client's FIN goes through; the origin closes; so does the tunnel */
	fo_tcp_shutdown(b->cl.conns[0].c);
	exchange(b, NULL);
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(stats(b)->sessions, 0);
}

/*
 * A chunked request goes upstream with fanout's own chunk lines: sizes in
 * plain hex, no extensions, no trailers; the data as sent.
 */
static void
test_chunked_request_reframed(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "POST /test01/up HTTP/1.1\r\nHost: a\r\ntransfer-encoding:  Chunked\r\n\r\n"
			 "4;a=b\r\nwiki\r\n0005 ; x = \"q;\\\"\"\r\npedia\r\n0;end\r\nT: 1\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_non_null(strstr(b->o.last_head, "\r\nTransfer-Encoding: chunked\r\n"));
	assert_null(strstr(b->o.last_head, "transfer-encoding"));
	assert_string_equal(b->o.last_body, "4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n");
	/* a body in pieces: each piece of data is a chunk of its own */
	send_str(b, "POST /test01/up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "a;x\r\n01234");
	exchange(b, NULL);
	rx = exchange(b, "56789\r\n0\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_string_equal(b->o.last_body, "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n");
	assert_int_equal(b->o.requests, 2);
	assert_false(b->cl.conns[0].eof);
}

/*
 * Data of a chunked body in canonical form (bare lowercase hex sizes, no
 * extensions); @return its length, or -1 when the framing is anything else.
 */
static long
dechunk(const char *in, size_t len, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	for (;;) {
		size_t n = 0, j = i;

		while (j < len && ((in[j] >= '0' && in[j] <= '9') || (in[j] >= 'a' && in[j] <= 'f')))
			n = n * 16 + (size_t)(in[j] <= '9' ? in[j] - '0' : in[j] - 'a' + 10), j++;
		if (j == i || j + 2 > len || memcmp(in + j, "\r\n", 2) != 0)
			return -1;
		i = j + 2;
		if (n == 0)
			return i + 2 == len && memcmp(in + i, "\r\n", 2) == 0 ? (long)o : -1;
		if (i + n + 2 > len || o + n > cap || memcmp(in + i + n, "\r\n", 2) != 0)
			return -1;
		memcpy(out + o, in + i, n);
		o += n;
		i += n + 2;
	}
}

/* A body over several segments and TCP segments: the data goes on intact, re-framed. */
static void
test_chunked_request_large(void **state)
{
	struct bench *b = *state;
	static char req[8192], data[6000], got[8192];
	char st[64];
	const char *rx;
	size_t i, n;
	long dl;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	n = (size_t)snprintf(req, sizeof(req),
		"POST /test01/big HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
		"1000;big=\"yes\"\r\n");
	memcpy(req + n, data, 4096);
	n += 4096;
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n770\r\n");
	memcpy(req + n, data + 4096, sizeof(data) - 4096);
	n += sizeof(data) - 4096;
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n0\r\n\r\n");
	assert_int_equal(wire_client_send(&b->cl, 0, req, n), 0);
	rx = exchange(b, NULL);
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	dl = dechunk(b->o.last_body, b->o.last_body_len, got, sizeof(got));
	assert_int_equal(dl, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	assert_null(strstr(b->o.last_body, "big"));
}

/* Chunk lines a backend could read differently never get past fanout. */
static void
test_chunk_ext_smuggling_400(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "POST /test01/up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "1;a=\"\r\nx\r\n0\r\n\r\n"
			 "GET /test01/smuggled HTTP/1.1\r\nHost: a\r\n\r\n\"\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "400");
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(stats(b)->parse_err[FO_HTTP_E_bad_chunk], 1);
	assert_null(strstr(b->o.last_head, "smuggled"));
	assert_int_equal(b->o.last_body_len, 0); /* nothing of the body went on */
}

static void
test_chunk_size_413(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	/* 0x40000 = 256 KiB in one chunk, over the route's 200k: refused at its size line */
	rx = exchange(b, "POST /test01/up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "40000\r\nxyz");
	assert_string_equal(statuses(rx, st, sizeof(st)), "413");
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(stats(b)->gen_413, 1);
	assert_int_equal(b->o.last_body_len, 0);
}

/*
 * absolute-form: the target's authority is the host (RFC 9112 3.2.2), for
 * routing and for the upstream; Content-Length goes on once, canonical.
 */
static void
test_absolute_form_and_content_length(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /hosted/x HTTP/1.1\r\nHost: other.invalid\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "404");
	rx = exchange(b, "POST http://example.test/hosted/x?y HTTP/1.1\r\nHost: other.invalid\r\n"
			 "Content-Length: 010\r\ncontent-length: 10\r\n\r\n0123456789");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_true(strncmp(b->o.last_head, "POST /hosted/x?y HTTP/1.1\r\nHost: example.test\r\n"
					    "Content-Length: 10\r\nX-Forwarded-For: ",
			    72) == 0);
	assert_null(strstr(b->o.last_head, "other.invalid"));
	assert_non_null(strstr(b->o.last_head, "\r\nX-Forwarded-Host: example.test\r\n"));
	assert_string_equal(b->o.last_body, "0123456789");
	assert_false(b->cl.conns[0].eof);
}

/* Transfer_Encoding is Transfer-Encoding to some servers: dropped and counted. */
static void
test_underscores_dropped(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "POST /test01/u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
			 "Transfer_Encoding: chunked\r\nX_Y: 1\r\nX-Z: a_b\r\n\r\nhello");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_null(strstr(b->o.last_head, "Transfer_Encoding"));
	assert_null(strstr(b->o.last_head, "X_Y"));
	assert_non_null(strstr(b->o.last_head, "\r\nX-Z: a_b\r\n"));
	assert_string_equal(b->o.last_body, "hello");
	assert_int_equal(stats(b)->underscore_headers_dropped, 2);
	/* underscores_in_headers on: they go on (the snapshot's conf, read per request) */
	b->conf->http.underscores_in_headers = 1;
	rx = exchange(b, "GET /test01/u HTTP/1.1\r\nHost: a\r\nX_Y: 1\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_non_null(strstr(b->o.last_head, "\r\nX_Y: 1\r\n"));
	assert_int_equal(stats(b)->underscore_headers_dropped, 2);
}

/*
 * Upgrade: only the route's protocols (websocket by default); otherwise the
 * request is served as plain HTTP/1.1, so no backend can switch to h2c.
 */
static void
test_upgrade_not_allowed(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /test01/x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
			 "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_null(strstr(b->o.last_head, "pgrade"));
	assert_null(strstr(b->o.last_head, "HTTP2-Settings"));
	assert_null(strstr(b->o.last_head, "h2c"));
	assert_int_equal(stats(b)->upgrade_refused, 1);
	/* a backend that switches anyway is a bad gateway, not a tunnel */
	rx = exchange(b, "GET /switch HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n"
			 "Upgrade: websocket, h2c\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "502");
	assert_null(strstr(b->swo.last_head, "pgrade"));
	/* HTTP/1.0 Upgrade is ignored (RFC 9110 7.8) */
	rx = exchange(b, "GET /switch HTTP/1.0\r\nHost: a\r\nConnection: upgrade\r\n"
			 "Upgrade: echo\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "502");
	assert_null(strstr(b->swo.last_head, "pgrade"));
	assert_int_equal(stats(b)->upgrade_refused, 3);
	assert_int_equal(stats(b)->tunnels, 0);
}

/* A 101 to a protocol the route does not allow is refused too. */
static void
test_upgrade_101_other_protocol(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /other-switch HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n"
			 "Upgrade: OTHER/2\r\n\r\n");
	assert_non_null(strstr(b->swo.last_head, "\r\nUpgrade: OTHER/2\r\n"));
	assert_string_equal(statuses(rx, st, sizeof(st)), "502"); /* it answered Upgrade: echo */
	assert_non_null(strstr(rx, "does not allow"));
	assert_int_equal(stats(b)->tunnels, 0);
	assert_int_equal(stats(b)->upgrade_refused, 0);
}

/* A chunked response reaches the client re-framed, its trailers kept. */
static void
test_chunked_response_reframed(void **state)
{
	struct bench *b = *state;
	const char *rx;

	rx = exchange(b, "GET /chunky HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(rx, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				"5\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n");
	assert_int_equal(stats(b)->upstream_pooled, 1);
	assert_false(b->cl.conns[0].eof);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tunnel_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_tunnel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunked_request_reframed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunked_request_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunk_ext_smuggling_400, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunk_size_413, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_absolute_form_and_content_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_underscores_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_not_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_101_other_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunked_response_reframed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
