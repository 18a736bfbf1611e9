/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http head parser, field lines at every length: the parser takes
 * whole lines 16 bytes at a time and the last bytes of a feed with one load
 * that ends at its end, so a field's name, value, CR and LF are put at
 * every position of those blocks, the head ending at the end of the input
 * (right before a PROT_NONE page). Each input is fed whole, byte by byte
 * and split in two at every offset (http_parse_harness.h); all feedings
 * must agree, and the recorded spans are checked. Then every invalid byte,
 * and a bare CR, at every position of a name and of a value, and the valid
 * bytes other than letters (obs-text, HTAB, SP) at every position of a value.
 * Last, the fields the parser interprets, common values and others.
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

#define START "GET / HTTP/1.1\r\nHost: h\r\n"
#define MAXNAME 24
#define MAXVALUE 40

static char in[256];

/* START, then "<name>:<sp><value><ows><eol>", then the final empty line */
static size_t
build(size_t nlen, const char *sp, size_t vlen, const char *ows, const char *eol)
{
	size_t n = strlen(START), i;

	memcpy(in, START, n);
	for (i = 0; i < nlen; i++)
		in[n++] = "x-abcdefghijklmnopqrstuvwxyz"[i % 28];
	in[n++] = ':';
	n += (size_t)sprintf(in + n, "%s", sp);
	for (i = 0; i < vlen; i++)
		in[n++] = (char)('a' + i % 26);
	n += (size_t)sprintf(in + n, "%s%s%s", ows, eol, eol);
	return n;
}

static void
check_line(size_t nlen, const char *sp, size_t vlen, const char *ows, const char *eol)
{
	static struct presult r;
	size_t len = build(nlen, sp, vlen, ows, eol);
	size_t line = strlen(START);
	const struct fo_http_hdr *h;

	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)in, len, "line", &r);
	if (r.rc != (ssize_t)len) {
		print_error("name %zu value %zu sp \"%s\" ows %zu eol %zu: %s\n", nlen, vlen, sp,
			strlen(ows), strlen(eol), fo_http_err_name(r.err));
		fail();
	}
	assert_int_equal(r.msg.n_headers, 2);
	h = &r.msg.hdrs[1];
	assert_int_equal(h->name.off, line);
	assert_int_equal(h->name.len, nlen);
	assert_int_equal(h->line.off, line);
	assert_int_equal(h->line.len,
		nlen + 1 + strlen(sp) + vlen + strlen(ows) + strlen(eol));
	assert_int_equal(h->value.len, vlen);
	if (vlen != 0)
		assert_int_equal(h->value.off, line + nlen + 1 + strlen(sp));
}

static void
test_line_lengths(void **state)
{
	static const char *const sps[] = {" ", "", "\t", "  "};
	static const char *const owss[] = {"", " ", "\t \t"};
	size_t nlen, vlen, i, j;

	(void)state;
	for (nlen = 1; nlen <= MAXNAME; nlen++)
		for (vlen = 0; vlen <= MAXVALUE; vlen++) {
			check_line(nlen, " ", vlen, "", "\r\n");
			check_line(nlen, " ", vlen, "", "\n");
		}
	/* the unusual shapes, which leave the line to the general states */
	for (vlen = 0; vlen <= 34; vlen++)
		for (i = 0; i < sizeof(sps) / sizeof(sps[0]); i++)
			for (j = 0; j < sizeof(owss) / sizeof(owss[0]); j++)
				check_line(7, sps[i], vlen, owss[j], "\r\n");
}

/* obs-text and HTAB, valid value bytes, at every position of a value */
static void
test_value_bytes(void **state)
{
	static const uint8_t ok[] = {'\t', 0x80, 0xc3, 0xff, 0x7e, ' '};
	static struct presult r;
	size_t vlen, j, i, len, v0;

	(void)state;
	for (vlen = 2; vlen <= 34; vlen++)
		for (j = 0; j + 1 < vlen; j++) /* not last: trailing OWS is not value */
			for (i = 0; i < sizeof(ok); i++) {
				len = build(5, " ", vlen, "", "\r\n");
				v0 = strlen(START) + 5 + 2;
				in[v0 + j] = (char)ok[i];
				if (j == 0 && (ok[i] == ' ' || ok[i] == '\t'))
					continue; /* leading OWS: not value either */
				parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)in, len, "value", &r);
				assert_int_equal(r.rc, (ssize_t)len);
				assert_int_equal(r.msg.hdrs[1].value.off, v0);
				assert_int_equal(r.msg.hdrs[1].value.len, vlen);
			}
}

/* RFC 9110 5.6.2 */
static int
is_tchar(unsigned b)
{
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
	       (b != 0 && strchr("!#$%&'*+-.^_`|~", (int)b) != NULL);
}

/* the same input must fail with @p want however it is fed */
static void
check_err(size_t len, enum fo_http_err want, size_t at)
{
	static struct presult r;

	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)in, len, "bad", &r);
	if (r.err != want) {
		print_error("byte %#x at %zu: %s, want %s\n", (uint8_t)in[at], at,
			fo_http_err_name(r.err), fo_http_err_name(want));
		fail();
	}
}

static void
test_bad_value_bytes(void **state)
{
	size_t vlen, j, len, v0;
	unsigned b;

	(void)state;
	for (vlen = 1; vlen <= 40; vlen += 3) {
		len = build(5, " ", vlen, "", "\r\n");
		v0 = strlen(START) + 5 + 2;
		for (j = 0; j < vlen; j++) {
			for (b = 0; b < 256; b++) {
				if (b == '\t' || (b >= 0x20 && b != 0x7f))
					continue;
				if (j == 0 && (b == '\r' || b == '\n'))
					continue; /* an empty value: valid */
				build(5, " ", vlen, "", "\r\n");
				in[v0 + j] = (char)b;
				if (b == '\n' && j == vlen - 1)
					continue; /* the head ends a line early: valid */
				if (b == '\n') {
					/* the line ends there; the rest is a line without ':' */
					check_err(len, FO_HTTP_E_bad_header_name, v0 + j);
					continue;
				}
				check_err(len, FO_HTTP_E_bad_header_value, v0 + j);
			}
		}
	}
}

static void
test_bad_name_bytes(void **state)
{
	size_t nlen, j, len, n0;
	unsigned b;

	(void)state;
	n0 = strlen(START);
	for (nlen = 1; nlen <= 20; nlen++) {
		len = build(nlen, " ", 9, "", "\r\n");
		for (j = 0; j < nlen; j++) {
			for (b = 0; b < 256; b++) {
				build(nlen, " ", 9, "", "\r\n");
				in[n0 + j] = (char)b;
				if (b == ':' && j != 0) {
					/* a shorter name, with the rest in the value: valid */
					parse_whole(FO_HTTP_REQUEST, (const uint8_t *)in, len,
						&(struct presult){0});
					continue;
				}
				if (is_tchar(b))
					continue; /* a name byte: still valid */
				if (j == 0 && (b == '\r' || b == '\n'))
					continue; /* the end of the head, then bytes after it */
				check_err(len, j == 0 && (b == ' ' || b == '\t') ? FO_HTTP_E_obs_fold
										     : FO_HTTP_E_bad_header_name,
					n0 + j);
			}
		}
	}
}

/*
 * The fields the parser interprets, whose common values the field-lines
 * loop takes without a call (http_field_quick) and the others with the
 * general path: each after a padding field of every length (the line at
 * every position of a 16-byte block), fed whole (the fast path) and byte by
 * byte (the general states), which must agree (parse_all_ways).
 */
struct known_case {
	int kind;
	const char *fields; /* after the start line, before the empty line */
	enum fo_http_err err;
	uint32_t flags; /* FO_HTTP_F_CONN_* and FO_HTTP_F_CONTENT_LENGTH that must be set */
	uint64_t content_length;
	const char *host; /* the Host span's bytes, or NULL: none */
};

static const struct known_case known_cases[] = {
	{FO_HTTP_REQUEST, "Host: shop.example.com\r\n", FO_HTTP_E_NONE, 0, 0, "shop.example.com"},
	{FO_HTTP_REQUEST, "Host: shop.example.com1\r\n", FO_HTTP_E_NONE, 0, 0, "shop.example.com1"},
	{FO_HTTP_REQUEST, "host: a.b:8080\r\n", FO_HTTP_E_NONE, 0, 0, "a.b:8080"},
	{FO_HTTP_REQUEST, "Host: a.b \r\n", FO_HTTP_E_NONE, 0, 0, "a.b"},
	{FO_HTTP_REQUEST, "Host: a..b\r\n", FO_HTTP_E_bad_host, 0, 0, NULL},
	{FO_HTTP_REQUEST, "Host: a\r\nHost: a\r\n", FO_HTTP_E_dup_host, 0, 0, NULL},
	{FO_HTTP_REQUEST, "Host: h\r\nConnection: keep-alive\r\n", FO_HTTP_E_NONE,
		FO_HTTP_F_CONN_KEEP_ALIVE, 0, "h"},
	{FO_HTTP_REQUEST, "Host: h\r\nConnection: Close\r\n", FO_HTTP_E_NONE,
		FO_HTTP_F_CONN_CLOSE, 0, "h"},
	{FO_HTTP_REQUEST, "Host: h\r\nConnection: keep-alive \r\n", FO_HTTP_E_NONE,
		FO_HTTP_F_CONN_KEEP_ALIVE, 0, "h"},
	{FO_HTTP_REQUEST, "Host: h\r\nConnection: keep-alive, Upgrade\r\n", FO_HTTP_E_NONE,
		FO_HTTP_F_CONN_KEEP_ALIVE | FO_HTTP_F_CONN_UPGRADE, 0, "h"},
	{FO_HTTP_REQUEST, "Host: h\r\nConnection: keep-alivex\r\n", FO_HTTP_E_NONE,
		FO_HTTP_F_CONN_OTHER, 0, "h"},
	{FO_HTTP_REQUEST, "Host: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n",
		FO_HTTP_E_NONE, FO_HTTP_F_CONTENT_LENGTH, 5, "h"},
	{FO_HTTP_REQUEST, "Host: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n",
		FO_HTTP_E_dup_content_length, 0, 0, NULL},
	{FO_HTTP_REQUEST, "Host: h\r\nContent-Length: 123456789012345678\r\n", FO_HTTP_E_NONE,
		FO_HTTP_F_CONTENT_LENGTH, 123456789012345678ull, "h"},
	{FO_HTTP_REQUEST, "Host: h\r\nContent-Length: 1234567890123456789\r\n",
		FO_HTTP_E_NONE, FO_HTTP_F_CONTENT_LENGTH, 1234567890123456789ull, "h"},
	{FO_HTTP_REQUEST, "Host: h\r\nContent-Length: 7 \r\n", FO_HTTP_E_NONE,
		FO_HTTP_F_CONTENT_LENGTH, 7, "h"},
	{FO_HTTP_REQUEST, "Host: h\r\nContent-Length: 7x\r\n", FO_HTTP_E_bad_content_length,
		0, 0, NULL},
	{FO_HTTP_RESPONSE, "Content-Length: 12\r\nConnection: close\r\n", FO_HTTP_E_NONE,
		FO_HTTP_F_CONTENT_LENGTH | FO_HTTP_F_CONN_CLOSE, 12, NULL},
	{FO_HTTP_RESPONSE, "Host: a..b\r\n", FO_HTTP_E_NONE, 0, 0, NULL},
};

static void
test_known_fields(void **state)
{
	static struct presult r;
	size_t i, pad, n, k;

	(void)state;
	for (i = 0; i < sizeof(known_cases) / sizeof(known_cases[0]); i++) {
		const struct known_case *c = &known_cases[i];

		for (pad = 0; pad <= 17; pad++) {
			n = (size_t)sprintf(in, "%s",
				c->kind == FO_HTTP_REQUEST ? "GET / HTTP/1.1\r\n"
							   : "HTTP/1.1 200 OK\r\n");
			n += (size_t)sprintf(in + n, "X-Pad: ");
			for (k = 0; k < pad; k++)
				in[n++] = 'p';
			n += (size_t)sprintf(in + n, "q\r\n%s\r\n", c->fields);
			parse_all_ways(c->kind, (const uint8_t *)in, n, c->fields, &r);
			if (c->err != FO_HTTP_E_NONE) {
				assert_int_equal(r.rc, -EBADMSG);
				assert_int_equal(r.err, c->err);
				continue;
			}
			assert_int_equal(r.rc, (ssize_t)n);
			assert_int_equal(r.msg.flags & c->flags, c->flags);
			if (c->flags & FO_HTTP_F_CONTENT_LENGTH)
				assert_true(r.msg.content_length == c->content_length);
			if (c->host == NULL) {
				assert_int_equal(r.msg.host.len, 0);
			} else {
				assert_int_equal(r.msg.host.len, strlen(c->host));
				assert_memory_equal(in + r.msg.host.off, c->host, strlen(c->host));
			}
		}
	}
}

/*
 * An interpreter's error in the middle of the field lines: what was
 * recorded of the lines before it is as the general states leave it,
 * hdr_first[FO_HTTP_H_OTHER] included (the line loop sets it only once
 * the loop ends, on its error path too).
 */
static void
test_error_midway(void **state)
{
	static const struct {
		const char *fields;
		unsigned other, n; /* hdr_first[FO_HTTP_H_OTHER], n_headers */
	} cases[] = {
		{"Host: h\r\nX-A: 1\r\nContent-Length: 1\r\nContent-Length: 2\r\n", 2, 4},
		{"X-A: 1\r\nX-B: 2\r\nContent-Length: 1\r\nContent-Length: 2\r\n", 1, 4},
		{"Host: h\r\nContent-Length: 1\r\nContent-Length: 2\r\nX-A: 1\r\n", 0, 3},
	};
	static struct presult r;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = (size_t)sprintf(in, "GET / HTTP/1.1\r\n%s\r\n", cases[i].fields);
		parse_whole(FO_HTTP_REQUEST, (const uint8_t *)in, n, &r);
		assert_int_equal(r.rc, -EBADMSG);
		assert_int_equal(r.err, FO_HTTP_E_dup_content_length);
		assert_int_equal(r.msg.n_headers, cases[i].n);
		assert_int_equal(r.msg.hdr_first[FO_HTTP_H_OTHER], cases[i].other);
		assert_int_equal(r.msg.hdr_first[FO_HTTP_H_CONTENT_LENGTH], cases[i].n - 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_lengths),
		cmocka_unit_test(test_value_bytes),
		cmocka_unit_test(test_bad_value_bytes),
		cmocka_unit_test(test_bad_name_bytes),
		cmocka_unit_test(test_known_fields),
		cmocka_unit_test(test_error_midway),
	};

	(void)err_seen;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
