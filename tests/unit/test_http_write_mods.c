/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http writers for route actions: header modifiers in
 * fo_http_write_request() (fwd->mods) and fo_http_write_response_mod(),
 * and fo_http_write_redirect() (exact bytes; every byte of the Location
 * checked, so no CR, LF or other control byte from any piece can reach
 * the head; every capacity below the size refused).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fo_http.h"

#define MOD(op, n, v)                                                                              \
	{                                                                                          \
		n, v, sizeof(n) - 1, sizeof(v "") - 1, op                                          \
	}
#define RM(n)                                                                                      \
	{                                                                                          \
		n, NULL, sizeof(n) - 1, 0, FO_HTTP_MOD_REMOVE                                      \
	}

static void
parse(const char *in, enum fo_http_kind kind, struct fo_http_msg *m)
{
	struct fo_http_parser p;

	fo_http_parser_init(&p, kind, m);
	assert_int_equal(fo_http_parse(&p, (const uint8_t *)in, strlen(in)), (ssize_t)strlen(in));
}

static void
test_request_mods(void **state)
{
	static const char in[] = "GET /a?b HTTP/1.1\r\nHost: h\r\nX-Set: 1\r\nx-rm: 2\r\n"
				 "X-Add: 3\r\nx-SET: 4\r\nX-Keep: 5\r\n\r\n";
	static const struct fo_http_mod mods[] = {
		MOD(FO_HTTP_MOD_SET, "X-Set", "new"),
		RM("X-RM"),
		MOD(FO_HTTP_MOD_ADD, "X-Add", "more"),
		MOD(FO_HTTP_MOD_ADD, "X-Empty", ""),
	};
	struct fo_http_msg m;
	struct fo_http_fwd fwd;
	uint8_t out[1024], plain[1024];
	ssize_t n, np, k;

	parse(in, FO_HTTP_REQUEST, &m);
	memset(&fwd, 0, sizeof(fwd));
	fwd.client_addr = 0x0100000a; /* 10.0.0.1 */
	fwd.server_port = 80;
	np = fo_http_write_request(plain, sizeof(plain), (const uint8_t *)in, &m, &fwd);
	assert_true(np > 0);
	fwd.mods = mods;
	fwd.n_mods = 4;
	n = fo_http_write_request(out, sizeof(out), (const uint8_t *)in, &m, &fwd);
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal((const char *)out,
		"GET /a?b HTTP/1.1\r\nHost: h\r\nX-Add: 3\r\nX-Keep: 5\r\n"
		"X-Set: new\r\nX-Add: more\r\nX-Empty: \r\n"
		"X-Forwarded-For: 10.0.0.1\r\nX-Real-IP: 10.0.0.1\r\nX-Forwarded-Host: h\r\n"
		"X-Forwarded-Port: 80\r\nX-Forwarded-Proto: http\r\n\r\n");
	for (k = 0; k < n; k++)
		assert_int_equal(
			fo_http_write_request(out, (size_t)k, (const uint8_t *)in, &m, &fwd),
			-ENOSPC);
	/* an empty list is the plain writer */
	fwd.n_mods = 0;
	assert_int_equal(
		fo_http_write_request(out, sizeof(out), (const uint8_t *)in, &m, &fwd), np);
	assert_memory_equal(out, plain, (size_t)np);
}

static void
test_response_mods(void **state)
{
	static const char in[] = "HTTP/1.1 200 OK\r\nServer: s\r\nSet-Cookie: a=1\r\n"
				 "Content-Length: 2\r\nset-cookie: b=2\r\nX-Rm: 1\r\n\r\n";
	static const struct fo_http_mod mods[] = {
		RM("x-rm"),
		MOD(FO_HTTP_MOD_SET, "Set-Cookie", "c=3"),
		MOD(FO_HTTP_MOD_ADD, "Server", "fanout"),
	};
	struct fo_http_msg m;
	uint8_t out[1024], plain[1024];
	ssize_t n, np, k;

	parse(in, FO_HTTP_RESPONSE, &m);
	n = fo_http_write_response_mod(
		out, sizeof(out), (const uint8_t *)in, &m, FO_HTTP_RESP_CLOSE, mods, 3);
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal((const char *)out,
		"HTTP/1.1 200 OK\r\nServer: s\r\nContent-Length: 2\r\n"
		"Set-Cookie: c=3\r\nServer: fanout\r\nConnection: close\r\n\r\n");
	for (k = 0; k < n; k++)
		assert_int_equal(fo_http_write_response_mod(out, (size_t)k, (const uint8_t *)in, &m,
					 FO_HTTP_RESP_CLOSE, mods, 3),
			-ENOSPC);
	np = fo_http_write_response(plain, sizeof(plain), (const uint8_t *)in, &m, 0);
	assert_int_equal(
		fo_http_write_response_mod(out, sizeof(out), (const uint8_t *)in, &m, 0, mods, 0),
		np);
	assert_memory_equal(out, plain, (size_t)np);
}

static void
test_redirect(void **state)
{
	static const char want[] = "HTTP/1.1 308 Permanent Redirect\r\nServer: fanout\r\n"
				   "Location: https://h.example:8443/new/x?q=1\r\n"
				   "Content-Type: text/plain\r\nContent-Length: 23\r\n\r\n"
				   "308 Permanent Redirect\n";
	const struct fo_http_str loc[] = {{"https", 5}, {"://", 3}, {"h.example", 9}, {":8443", 5},
		{"/new", 4}, {"/x", 2}, {"?", 1}, {"q=1", 3}};
	uint8_t out[512];
	ssize_t n, k;

	n = fo_http_write_redirect(out, sizeof(out), 308, loc, 8, 0, 0);
	assert_int_equal(n, (ssize_t)sizeof(want) - 1);
	assert_memory_equal(out, want, sizeof(want) - 1);
	for (k = 0; k < n; k++)
		assert_int_equal(
			fo_http_write_redirect(out, (size_t)k, 308, loc, 8, 0, 0), -ENOSPC);
	/* HEAD: the same head, no body; close */
	n = fo_http_write_redirect(out, sizeof(out), 301, loc + 4, 1, 1, 1);
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal((const char *)out,
		"HTTP/1.1 301 Moved Permanently\r\nServer: fanout\r\nLocation: /new\r\n"
		"Content-Type: text/plain\r\nContent-Length: 22\r\nConnection: close\r\n\r\n");
}

/* Any byte outside 0x21..0x7e in any piece: refused, whatever its place. */
static void
test_redirect_refuses_bad_bytes(void **state)
{
	static const char bad[] = {'\r', '\n', '\0', ' ', '\t', 0x7f, (char)0x80, (char)0xff, 0x01};
	char piece[8];
	struct fo_http_str loc[3] = {{"http://h", 8}, {piece, 0}, {"/z", 2}};
	uint8_t out[512];
	size_t i, at;

	for (i = 0; i < sizeof(bad); i++) {
		for (at = 0; at < 3; at++) {
			memcpy(piece, "/a/b", 4);
			piece[at] = bad[i];
			loc[1].len = 4;
			assert_int_equal(
				fo_http_write_redirect(out, sizeof(out), 302, loc, 3, 0, 0),
				-EINVAL);
		}
	}
	/* a Location must not be empty */
	loc[0].len = 0;
	loc[1].len = 0;
	loc[2].len = 0;
	assert_int_equal(fo_http_write_redirect(out, sizeof(out), 302, loc, 3, 0, 0), -EINVAL);
	assert_int_equal(fo_http_write_redirect(out, sizeof(out), 302, loc, 0, 0, 0), -EINVAL);
}

static void
test_field_id(void **state)
{
	assert_int_equal(fo_http_field_id("content-LENGTH", 14), FO_HTTP_H_CONTENT_LENGTH);
	assert_int_equal(fo_http_field_id("X-Forwarded-For", 15), FO_HTTP_H_X_FORWARDED_FOR);
	assert_int_equal(fo_http_field_id("X-Forwarded-Prefix", 18), FO_HTTP_H_OTHER);
	assert_int_equal(fo_http_field_id("Cache-Control", 13), FO_HTTP_H_OTHER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_mods),
		cmocka_unit_test(test_response_mods),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_redirect_refuses_bad_bytes),
		cmocka_unit_test(test_field_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
