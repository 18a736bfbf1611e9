/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http head parser: a table of good and bad responses (status line,
 * framing and the header fields a response may carry). Every case is fed
 * whole, byte by byte and split in two at every offset, each piece ending
 * right before a PROT_NONE page; all feedings must agree on the result and
 * on every recorded field (http_parse_harness.h). Requests, limits and the
 * API: test_http_parse.c.
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

#include "fo_http.h"
#include "guard_page.h"
#include "http_parse_harness.h"

#define RESP(nm, s, ...) {.name = nm, .kind = FO_HTTP_RESPONSE, .in = s, .len = sizeof(s) - 1, __VA_ARGS__}
#define BADRESP(nm, s, e) RESP(nm, s, .err = FO_HTTP_E_##e)

static const struct pcase resp_cases[] = {
	RESP("ok", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", .status = 200, .reason = "OK",
		.nh = 1, .flags = FO_HTTP_F_CONTENT_LENGTH, .cl = 5, .head_len = 38),
	RESP("no reason", "HTTP/1.1 204\r\n\r\n", .status = 204, .reason = ""),
	RESP("empty reason", "HTTP/1.1 200 \r\nX: y\r\n\r\n", .status = 200, .reason = "", .nh = 1),
	RESP("http/1.0", "HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n", .status = 404, .v10 = 1,
		.reason = "Not Found", .nh = 1),
	RESP("reason obs-text", "HTTP/1.1 500 Fehler \xe4\tX\r\n\r\n", .status = 500,
		.reason = "Fehler \xe4\tX"),
	RESP("bare lf", "HTTP/1.1 302 Found\nLocation: /x\n\n", .status = 302, .reason = "Found",
		.nh = 1),
	RESP("101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
		.status = 101, .nh = 2, .flags = FO_HTTP_F_UPGRADE | FO_HTTP_F_CONN_UPGRADE),
	RESP("chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .status = 200, .nh = 1,
		.flags = FO_HTTP_F_CHUNKED),
	RESP("gzip chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		.status = 200, .nh = 1, .flags = FO_HTTP_F_CHUNKED),
	RESP("chunked gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
		.status = 200, .nh = 1, .flags = FO_HTTP_F_TE_OTHER),
	RESP("te two fields", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
		.status = 200, .nh = 2, .flags = FO_HTTP_F_TE_OTHER),
	RESP("te two fields chunked last", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: Chunked\r\n\r\n",
		.status = 200, .nh = 2, .flags = FO_HTTP_F_CHUNKED),
	RESP("te identity", "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n", .status = 200,
		.nh = 1, .flags = FO_HTTP_F_TE_OTHER),
	RESP("te and cl", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		.status = 200, .nh = 2, .cl = 3,
		.flags = FO_HTTP_F_CHUNKED | FO_HTTP_F_CONTENT_LENGTH),
	RESP("conn close", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", .status = 200, .nh = 1,
		.flags = FO_HTTP_F_CONN_CLOSE),
	RESP("host ignored", "HTTP/1.1 200 OK\r\nHost: a b\r\nHost: c\r\n\r\n", .status = 200, .nh = 2),
	RESP("status 999", "HTTP/1.1 999 X\r\n\r\n", .status = 999),
	BADRESP("short status", "HTTP/1.1 20 OK\r\n\r\n", bad_status_line),
	BADRESP("long status", "HTTP/1.1 2000 OK\r\n\r\n", bad_status_line),
	BADRESP("status 099", "HTTP/1.1 099 X\r\n\r\n", bad_status_line),
	BADRESP("http/2", "HTTP/2 200 OK\r\n\r\n", bad_status_line),
	BADRESP("http/1.2", "HTTP/1.2 200 OK\r\n\r\n", bad_status_line),
	BADRESP("lowercase", "http/1.1 200 OK\r\n\r\n", bad_status_line),
	BADRESP("leading crlf", "\r\nHTTP/1.1 200 OK\r\n\r\n", bad_status_line),
	BADRESP("two spaces", "HTTP/1.1  200 OK\r\n\r\n", bad_status_line),
	BADRESP("reason ctl", "HTTP/1.1 200 O\x01K\r\n\r\n", bad_status_line),
	BADRESP("status bare cr", "HTTP/1.1 200 OK\rX\r\n\r\n", bad_status_line),
	BADRESP("not http", "SSH-2.0-OpenSSH_9.2\r\n", bad_status_line),
	BADRESP("resp obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", obs_fold),
	BADRESP("resp bad cl", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", bad_content_length),
	BADRESP("resp dup cl", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		dup_content_length),
	BADRESP("resp te chunked twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
		te_chunked_twice),
	BADRESP("resp te chunked two fields", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
		"Transfer-Encoding: gzip, chunked\r\n\r\n", te_chunked_twice),
	BADRESP("resp bad name", "HTTP/1.1 200 OK\r\nX Y: z\r\n\r\n", bad_header_name),
	BADRESP("resp bad value", "HTTP/1.1 200 OK\r\nX: \x01\r\n\r\n", bad_header_value),
};

static void
test_responses(void **state)
{
	size_t i;
	int e;

	(void)state;
	for (i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++)
		run_case(&resp_cases[i]);
	/* test_http_parse's coverage check leaves the status line's errors to these cases */
	for (e = FO_HTTP_E_NONE + 1; e < FO_HTTP_E_MAX; e++) {
		if (resp_only_err(e) && !err_seen[e]) {
			print_error("no case provokes %s\n", fo_http_err_name(e));
			fail();
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_responses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
