/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http head parser at its limits: the request line's length, the head's
 * total size and the number of fields, each at, just under and just over
 * the bound, fed whole, byte by byte and split at every offset against a
 * PROT_NONE page (http_parse_harness.h). The other request cases:
 * test_http_parse.c.
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

/* ---- limits ------------------------------------------------------------ */

static char big[64 * 1024];

/* "GET /aaa...a HTTP/1.1\r\n" of exactly @p n bytes, then Host and the end */
static size_t
long_line(size_t n)
{
	size_t path = n - strlen("GET / HTTP/1.1\r\n");

	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', path);
	memcpy(big + 5 + path, " HTTP/1.1\r\nHost: h\r\n\r\n", 22);
	return n + 9 + 2;
}

static void
test_line_limit(void **state)
{
	static struct presult r;
	struct fo_http_parser p;
	static struct fo_http_msg m;
	size_t n;

	(void)state;
	n = long_line(FO_HTTP_LINE_MAX);
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)big, n, "line 8192", &r);
	assert_int_equal(r.err, FO_HTTP_E_NONE);
	assert_int_equal(r.rc, n);
	assert_int_equal(r.msg.target.len, FO_HTTP_LINE_MAX - 16 + 1);

	n = long_line(FO_HTTP_LINE_MAX + 1);
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)big, n, "line 8193", &r);
	assert_int_equal(r.err, FO_HTTP_E_line_too_long);
	err_seen[r.err] = 1;

	/* 8192 bytes of an unfinished line: more is needed; the 8193rd fails at once */
	fo_http_parser_init(&p, FO_HTTP_REQUEST, &m);
	assert_int_equal(
		fo_http_parse(&p, guard_copy(big, FO_HTTP_LINE_MAX), FO_HTTP_LINE_MAX), -EAGAIN);
	assert_int_equal(fo_http_parse(&p, guard_copy("a", 1), 1), -EBADMSG);
	assert_int_equal(p.err, FO_HTTP_E_line_too_long);

	/* leading empty lines count toward the line */
	memset(big, '\n', FO_HTTP_LINE_MAX + 1);
	parse_whole(FO_HTTP_REQUEST, (const uint8_t *)big, FO_HTTP_LINE_MAX + 1, &r);
	assert_int_equal(r.err, FO_HTTP_E_line_too_long);

	/* a status line has the same limit (any response error is a 502) */
	memcpy(big, "HTTP/1.1 200 ", 13);
	memset(big + 13, 'x', FO_HTTP_LINE_MAX);
	parse_whole(FO_HTTP_RESPONSE, (const uint8_t *)big, FO_HTTP_LINE_MAX + 13, &r);
	assert_int_equal(r.err, FO_HTTP_E_bad_status_line);
}

/* request line + header section of exactly @p hdr bytes (final CRLF included) */
static size_t
long_headers(size_t hdr)
{
	/* section: "Host: h\r\n" (9) + "X: " (3) + fill + "\r\n\r\n" (4) */
	size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\n");
	size_t fill = hdr - 16;

	memcpy(big + n, "X: ", 3);
	memset(big + n + 3, 'v', fill);
	memcpy(big + n + 3 + fill, "\r\n\r\n", 4);
	return n + 3 + fill + 4;
}

static void
test_headers_limit(void **state)
{
	static struct presult r;
	struct fo_http_parser p;
	static struct fo_http_msg m;
	size_t n;

	(void)state;
	n = long_headers(FO_HTTP_HEADERS_MAX);
	assert_int_equal(n, 16 + FO_HTTP_HEADERS_MAX);
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)big, n, "headers 32768", &r);
	assert_int_equal(r.err, FO_HTTP_E_NONE);
	assert_int_equal(r.rc, n);
	assert_int_equal(r.msg.hdrs[1].value.len, FO_HTTP_HEADERS_MAX - 9 - 3 - 4);

	n = long_headers(FO_HTTP_HEADERS_MAX + 1);
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)big, n, "headers 32769", &r);
	assert_int_equal(r.err, FO_HTTP_E_headers_too_large);
	err_seen[r.err] = 1;

	/* the byte after the 32768th fails as soon as it arrives */
	n = long_headers(FO_HTTP_HEADERS_MAX + 100);
	fo_http_parser_init(&p, FO_HTTP_REQUEST, &m);
	assert_int_equal(fo_http_parse(&p, guard_copy(big, 16 + FO_HTTP_HEADERS_MAX),
				 16 + FO_HTTP_HEADERS_MAX),
		-EAGAIN);
	assert_int_equal(fo_http_parse(&p, guard_copy("v", 1), 1), -EBADMSG);
	assert_int_equal(p.err, FO_HTTP_E_headers_too_large);

	/* head_len at its largest fits the 16-bit spans */
	n = long_line(FO_HTTP_LINE_MAX);
	n -= 2; /* drop the final CRLF: append a field up to the limit */
	{
		size_t fill = FO_HTTP_HEADERS_MAX - 9 - 3 - 2 - 2;

		memcpy(big + n, "Y: ", 3);
		memset(big + n + 3, 'y', fill);
		memcpy(big + n + 3 + fill, "\r\n\r\n", 4);
		n += 3 + fill + 4;
	}
	assert_int_equal(n, FO_HTTP_HEAD_MAX);
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)big, n, "head max", &r);
	assert_int_equal(r.err, FO_HTTP_E_NONE);
	assert_int_equal(r.msg.head_len, FO_HTTP_HEAD_MAX);
	assert_int_equal(r.msg.hdrs[1].line.off + r.msg.hdrs[1].line.len, FO_HTTP_HEAD_MAX - 2);
}

static size_t
many_fields(unsigned count)
{
	size_t n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\n");
	unsigned i;

	for (i = 1; i < count; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X-%u: %u\r\n", i, i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n");
	return n;
}

static void
test_field_count(void **state)
{
	static struct presult r;
	size_t n;

	(void)state;
	n = many_fields(FO_HTTP_MAX_HEADERS);
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)big, n, "100 fields", &r);
	assert_int_equal(r.err, FO_HTTP_E_NONE);
	assert_int_equal(r.msg.n_headers, FO_HTTP_MAX_HEADERS);
	assert_int_equal(r.msg.hdrs[99].value.len, 2);

	n = many_fields(FO_HTTP_MAX_HEADERS + 1);
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)big, n, "101 fields", &r);
	assert_int_equal(r.err, FO_HTTP_E_too_many_headers);
	err_seen[r.err] = 1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_headers_limit),
		cmocka_unit_test(test_field_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
