/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http body framing: Content-Length, chunked (extensions, trailers,
 * bad framing, limits), close-delimited and tunnel bodies, and the body
 * kind of requests and responses. Every case is fed whole, byte by byte
 * and split in two at every offset, each piece ending at a guard page.
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

struct bresult {
	ssize_t rc; /* body bytes of the input, or -EBADMSG */
	enum fo_http_err err;
	int done;
	uint64_t total;
	/* through fo_http_body_next(): */
	char data[256]; /* DATA runs, concatenated (first bytes) */
	size_t data_len;
	char trailers[256]; /* TRAILER runs, concatenated */
	size_t tr_len;
	int lasts; /* LAST runs */
};

/* the limit set on every body of a feeding (0: none) */
static uint64_t feed_limit;

static void
append(char *dst, size_t *n, size_t cap, const uint8_t *src, size_t len)
{
	size_t k = len < cap - *n ? len : cap - *n;

	memcpy(dst + *n, src, k);
	*n += k;
}

/*
 * One piece through fo_http_body_next(), run by run. @return the bytes
 * of the body in it, or -EBADMSG.
 */
static ssize_t
feed_runs(struct fo_http_body *b, const uint8_t *p, size_t len, struct bresult *r)
{
	size_t used = 0;
	unsigned run;
	ssize_t n;

	while (used < len) {
		n = fo_http_body_next(b, p + used, len - used, &run, &r->err);
		if (n < 0)
			return n;
		if (n == 0) {
			assert_true(b->done);
			break;
		}
		switch (run) {
		case FO_HTTP_RUN_DATA:
			append(r->data, &r->data_len, sizeof(r->data), p + used, (size_t)n);
			break;
		case FO_HTTP_RUN_TRAILER:
			append(r->trailers, &r->tr_len, sizeof(r->trailers), p + used, (size_t)n);
			break;
		case FO_HTTP_RUN_LAST:
			r->lasts++;
			break;
		default:
			assert_int_equal(run, FO_HTTP_RUN_FRAMING);
		}
		used += (size_t)n;
		if (b->done)
			break;
	}
	return (ssize_t)used;
}

/* Feed in[0, len) after a head, as pieces ending at cuts[] (@p runs: run by run). */
static void
feed_cuts(int kind, uint64_t cl, const uint8_t *in, size_t len, const size_t *cuts, size_t n,
	struct bresult *r, int runs)
{
	struct fo_http_body b;
	size_t start = 0, i;

	fo_http_body_init(&b, kind, cl);
	b.limit = feed_limit;
	memset(r, 0, sizeof(*r));
	for (i = 0; i < n; i++) {
		size_t piece = cuts[i] - start;
		const uint8_t *g = guard_copy(in + start, piece);
		ssize_t rc = runs ? feed_runs(&b, g, piece, r)
				  : fo_http_body_feed(&b, g, piece, &r->err);

		if (rc < 0) {
			assert_int_equal(rc, -EBADMSG);
			assert_int_not_equal(r->err, FO_HTTP_E_NONE);
			r->rc = rc;
			break;
		}
		assert_true((size_t)rc <= piece);
		r->rc = (ssize_t)start + rc;
		if ((size_t)rc < piece) {
			/* the message ended inside this piece */
			assert_true(b.done);
			break;
		}
		start = cuts[i];
	}
	assert_int_equal(b.kind, kind);
	r->done = b.done;
	r->total = b.total;
	assert_true(len == 0 || cuts[n - 1] == len);
}

static void
check_same(const struct bresult *a, const struct bresult *b, const char *name, const char *how,
	size_t at)
{
	if (a->rc != b->rc || a->err != b->err || a->done != b->done ||
		(a->rc >= 0 && a->total != b->total) ||
		(a->rc >= 0 && b->data_len != 0 && (a->data_len != b->data_len ||
					     memcmp(a->data, b->data, a->data_len) != 0)) ||
		(a->rc >= 0 && b->tr_len != 0 && (a->tr_len != b->tr_len ||
					   memcmp(a->trailers, b->trailers, a->tr_len) != 0)) ||
		(a->rc >= 0 && b->lasts != 0 && a->lasts != b->lasts)) {
		print_error("%s: %s at %zu: rc %zd err %s done %d total %lu, whole: rc %zd err %s "
			    "done %d total %lu\n",
			name, how, at, b->rc, fo_http_err_name(b->err), b->done,
			(unsigned long)b->total, a->rc, fo_http_err_name(a->err), a->done,
			(unsigned long)a->total);
		fail();
	}
}

/*
 * Whole, byte by byte and split in two at every offset, through
 * fo_http_body_feed() and run by run through fo_http_body_next(): all
 * the same as whole; @p whole is the run-by-run result (data, trailers).
 */
static void
feed_all_ways(int kind, uint64_t cl, const uint8_t *in, size_t len, const char *name,
	struct bresult *whole)
{
	static struct bresult r;
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	size_t i, stride = len > 4096 ? 37 : 1;
	int runs;

	assert_non_null(cuts);
	feed_cuts(kind, cl, in, len, &len, 1, whole, 1);
	for (runs = 0; runs < 2; runs++) {
		feed_cuts(kind, cl, in, len, &len, 1, &r, runs);
		check_same(whole, &r, name, runs ? "runs whole" : "whole", 0);
		for (i = 0; i < len; i++)
			cuts[i] = i + 1;
		if (len != 0) {
			feed_cuts(kind, cl, in, len, cuts, len, &r, runs);
			check_same(whole, &r, name, runs ? "runs byte by byte" : "byte by byte", 0);
		}
		for (i = 0; i <= len; i++) {
			size_t two[2] = {i, len};

			if (i % stride != 0 && i + 4 < len)
				continue;
			feed_cuts(kind, cl, in, len, two, 2, &r, runs);
			check_same(whole, &r, name, runs ? "runs split" : "split", i);
		}
	}
	free(cuts);
}

struct bcase {
	const char *name;
	int kind;
	uint64_t cl;
	const char *in;
	size_t len;
	ssize_t rc;	/* -1: the whole input */
	int done;
	uint64_t total; /* for chunked: data bytes */
	enum fo_http_err err;
	const char *data; /* the data bytes (NULL: unchecked) */
	const char *trailers; /* the trailer lines (NULL: unchecked) */
	uint64_t limit;
};

#define CH FO_HTTP_BODY_CHUNKED
#define B(nm, k, l, s, ...) {.name = nm, .kind = k, .cl = l, .in = s, .len = sizeof(s) - 1, __VA_ARGS__}
#define BAD(nm, s, e) B(nm, CH, 0, s, .rc = -EBADMSG, .err = FO_HTTP_E_##e)

static const struct bcase cases[] = {
	B("none", FO_HTTP_BODY_NONE, 0, "GET / HTTP/1.1\r\n", .rc = 0, .done = 1),
	B("length 0", FO_HTTP_BODY_LENGTH, 0, "next", .rc = 0, .done = 1),
	B("length 5", FO_HTTP_BODY_LENGTH, 5, "hello", .rc = -1, .done = 1, .total = 5),
	B("length 5 pipelined", FO_HTTP_BODY_LENGTH, 5, "helloGET / HTTP/1.1\r\n", .rc = 5,
		.done = 1, .total = 5),
	B("length short", FO_HTTP_BODY_LENGTH, 5, "hel", .rc = -1, .total = 3),
	B("length huge", FO_HTTP_BODY_LENGTH, 1ull << 62, "abc\r\n\0xyz", .rc = -1, .total = 9),
	B("close", FO_HTTP_BODY_CLOSE, 0, "any\0bytes\r\n0\r\n\r\n", .rc = -1, .total = 16),
	B("tunnel", FO_HTTP_BODY_TUNNEL, 0, "\x81\x85\x37\xfa", .rc = -1, .total = 4),
	B("chunked", CH, 0, "5\r\nhello\r\n0\r\n\r\n", .rc = -1, .done = 1, .total = 5),
	B("chunked pipelined", CH, 0, "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", .rc = 15,
		.done = 1, .total = 5),
	B("chunks", CH, 0, "1\r\na\r\n2\r\nbc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n", .rc = -1,
		.done = 1, .total = 19, .data = "abc0123456789abcdef", .trailers = ""),
	B("hex case", CH, 0, "A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n", .rc = -1,
		.done = 1, .total = 20),
	B("data with crlf", CH, 0, "4\r\n\r\n\r\n\r\n0\r\n\r\n", .rc = -1, .done = 1, .total = 4),
	B("extensions", CH, 0, "5;name=val;x=\"q;\\\"\"\r\nhello\r\n0;last\r\n\r\n", .rc = -1,
		.done = 1, .total = 5),
	B("bws extension", CH, 0, "5 ;a=b\r\nhello\r\n0\t;z\r\n\r\n", .rc = -1, .done = 1,
		.total = 5),
	B("trailers", CH, 0, "3\r\nabc\r\n0\r\nX-Sum: abc\r\nY:\r\n\r\nnext", .rc = 29, .done = 1,
		.total = 3, .data = "abc", .trailers = "X-Sum: abc\r\nY:\r\n"),
	B("ext bws around ; and =", CH, 0, "5 ; a = b ;\tc\t=\t\"d\" ; e\r\nhello\r\n0\r\n\r\n",
		.rc = -1, .done = 1, .total = 5, .data = "hello"),
	B("ext quoted escapes obs-text", CH, 0,
		"5;a=\"x\\\"y \t\xff\\\xfe(),/:;<=>?@[]{}\"\r\nhello\r\n0\r\n\r\n", .rc = -1,
		.done = 1, .total = 5),
	B("ext token chars", CH, 0, "1;!#$%&'*+-.^_`|~09Az=!#$%&'*+-.^_`|~09Az\r\nx\r\n0\r\n\r\n",
		.rc = -1, .done = 1, .total = 1, .data = "x"),
	B("ext several no value", CH, 0, "1;a;b;c=\"\"\r\nx\r\n0;z\r\n\r\n", .rc = -1, .done = 1,
		.total = 1),
	B("limit exact", CH, 0, "5\r\nhello\r\n0\r\n\r\n", .rc = -1, .done = 1, .total = 5,
		.limit = 5),
	B("limit zero-size last", CH, 0, "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", .rc = -1, .done = 1,
		.total = 5, .limit = 5, .data = "abcde"),
	B("leading zeros", CH, 0, "0005\r\nhello\r\n00\r\n\r\n", .rc = -1, .done = 1, .total = 5),
	B("16 digits", CH, 0, "0000000000000003\r\nabc\r\n0\r\n\r\n", .rc = -1, .done = 1,
		.total = 3),
	B("17 digits leading zeros", CH, 0, "00000000000000005\r\nhello\r\n0\r\n\r\n", .rc = -1,
		.done = 1, .total = 5),
	B("63-bit chunk in progress", CH, 0, "7fffffffffffffff\r\nabc", .rc = -1, .total = 3,
		.data = "abc"),
	B("incomplete", CH, 0, "5\r\nhel", .rc = -1, .total = 3),
	B("incomplete trailer", CH, 0, "0\r\nX: y\r\n", .rc = -1),
	BAD("empty size", "\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("bare lf size", "5\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("cr without lf", "5\rhello\r\n0\r\n\r\n", bad_chunk),
	BAD("not hex", "g\r\n", bad_chunk),
	BAD("negative", "-5\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("plus", "+5\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("space before size", " 5\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("data too long", "5\r\nhelloX\r\n0\r\n\r\n", bad_chunk),
	BAD("data bare lf", "5\r\nhello\n0\r\n\r\n", bad_chunk),
	BAD("data cr only", "5\r\nhello\r0\r\n\r\n", bad_chunk),
	BAD("ext ctl", "5;\x01\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext bare lf", "5;a\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("2^63", "8000000000000000\r\nabc", chunk_too_large),
	BAD("2^64-1", "ffffffffffffffff\r\nabc", chunk_too_large),
	BAD("2^63 leading zeros", "0008000000000000000\r\n", chunk_too_large),
	BAD("overflow", "10000000000000000\r\n", chunk_too_large),
	BAD("size trailing space", "5 \r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("size trailing tab", "5\t\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("last trailing space", "5\r\nhello\r\n0 \r\n\r\n", bad_chunk),
	BAD("ext unterminated quote", "1;a=\"\r\nx\r\n0\r\n\r\n", bad_chunk),
	BAD("ext unterminated quote text", "1;a=\"abc\r\nx\r\n0\r\n\r\n", bad_chunk),
	BAD("ext quote escapes end", "1;a=\"abc\\\"\r\nx\r\n0\r\n\r\n", bad_chunk),
	BAD("ext empty name", "5;\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext empty name ws", "5; \r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext empty name value", "5;=x\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext double semicolon", "5;;a\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext non-token name", "5;bad[=x\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext non-token value", "5;a=b]c\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext empty value", "5;a=\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext trailing space", "5;a=b \r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext name trailing space", "5;a \r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext space in name", "5;a b\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext space in value", "5;a=b c\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext quote after token", "5;a=b\"c\"\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext junk after quote", "5;a=\"b\"c\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext no semicolon", "5 a\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext ctl in quote", "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext del in quote", "5;a=\"\x7f\"\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext ctl quoted-pair", "5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext lf in quote", "5;a=\"\n\"\r\nhello\r\n0\r\n\r\n", bad_chunk),
	BAD("ext on last chunk", "5\r\nhello\r\n0;\r\n\r\n", bad_chunk),
	B("over limit", CH, 0, "5\r\nhello\r\n0\r\n\r\n", .rc = -EBADMSG,
		.err = FO_HTTP_E_body_too_large, .limit = 4),
	B("over limit second chunk", CH, 0, "5\r\nhello\r\n4\r\nabcd\r\n0\r\n\r\n",
		.rc = -EBADMSG, .err = FO_HTTP_E_body_too_large, .limit = 8),
	B("huge over limit", CH, 0, "7fffffffffffffff\r\n", .rc = -EBADMSG,
		.err = FO_HTTP_E_body_too_large, .limit = 1ull << 40),
	BAD("trailer bare lf", "0\r\nX: y\n\r\n", bad_chunk),
	BAD("trailer obs-fold", "0\r\nX: y\r\n z\r\n\r\n", bad_chunk),
	BAD("trailer no colon", "0\r\nXY\r\n\r\n", bad_chunk),
	BAD("trailer space name", "0\r\nX Y: z\r\n\r\n", bad_chunk),
	BAD("trailer ctl", "0\r\nX: \x7f\r\n\r\n", bad_chunk),
	BAD("final bare lf", "0\r\n\n", bad_chunk),
	BAD("final cr junk", "0\r\n\rX", bad_chunk),
};

static void
run_case(const struct bcase *c)
{
	static struct bresult r;

	feed_limit = c->limit;
	feed_all_ways(c->kind, c->cl, (const uint8_t *)c->in, c->len, c->name, &r);
	feed_limit = 0;
	if (r.rc != (c->rc == -1 ? (ssize_t)c->len : c->rc) || r.err != c->err) {
		print_error("%s: rc %zd err %s, want %zd %s\n", c->name, r.rc,
			fo_http_err_name(r.err), c->rc == -1 ? (ssize_t)c->len : c->rc,
			fo_http_err_name(c->err));
		fail();
	}
	if (r.rc >= 0) {
		assert_int_equal(r.done, c->done);
		assert_int_equal(r.total, c->total);
		/* a finished chunked body has exactly one last-chunk line */
		if (c->kind == CH)
			assert_int_equal(r.lasts, c->done ? 1 : r.lasts);
		if (c->data != NULL &&
			(r.data_len != strlen(c->data) || memcmp(r.data, c->data, r.data_len) != 0)) {
			print_error("%s: data \"%.*s\", want \"%s\"\n", c->name, (int)r.data_len,
				r.data, c->data);
			fail();
		}
		if (c->trailers != NULL && (r.tr_len != strlen(c->trailers) ||
						   memcmp(r.trailers, c->trailers, r.tr_len) != 0)) {
			print_error("%s: trailers \"%.*s\"\n", c->name, (int)r.tr_len, r.trailers);
			fail();
		}
	}
}

static void
test_framing_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static char big[40 * 1024];

/* a size line of exactly @p n bytes (CRLF included), then "ab" and the end */
static size_t
ext_line(size_t n)
{
	memcpy(big, "2;e=", 4);
	memset(big + 4, 'x', n - 6);
	memcpy(big + n - 2, "\r\nab\r\n0\r\n\r\n", 11);
	return n - 2 + 11;
}

/* a trailer section of exactly @p n bytes (final CRLF included) after "0\r\n" */
static size_t
trailers(size_t n)
{
	/* "T: " + fill + "\r\n" + "\r\n" */
	memcpy(big, "0\r\nT: ", 6);
	memset(big + 6, 't', n - 7);
	memcpy(big + 6 + n - 7, "\r\n\r\n", 4);
	return 3 + n;
}

static void
test_limits(void **state)
{
	static struct bresult r;
	struct fo_http_body b;
	enum fo_http_err err = FO_HTTP_E_NONE;
	size_t n;

	(void)state;
	n = ext_line(4096);
	feed_all_ways(CH, 0, (const uint8_t *)big, n, "ext 4096", &r);
	assert_int_equal(r.rc, n);
	assert_true(r.done);
	assert_int_equal(r.total, 2);
	n = ext_line(4097);
	feed_all_ways(CH, 0, (const uint8_t *)big, n, "ext 4097", &r);
	assert_int_equal(r.rc, -EBADMSG);
	assert_int_equal(r.err, FO_HTTP_E_bad_chunk);

	n = trailers(FO_HTTP_HEADERS_MAX);
	assert_int_equal(n, 3 + FO_HTTP_HEADERS_MAX);
	feed_all_ways(CH, 0, (const uint8_t *)big, n, "trailers 32768", &r);
	assert_int_equal(r.rc, n);
	assert_true(r.done);
	n = trailers(FO_HTTP_HEADERS_MAX + 1);
	feed_all_ways(CH, 0, (const uint8_t *)big, n, "trailers 32769", &r);
	assert_int_equal(r.rc, -EBADMSG);
	assert_int_equal(r.err, FO_HTTP_E_trailers_too_large);

	/* an error sticks; err may be NULL */
	fo_http_body_init(&b, CH, 0);
	assert_int_equal(fo_http_body_feed(&b, guard_copy("z", 1), 1, NULL), -EBADMSG);
	assert_int_equal(fo_http_body_feed(&b, guard_copy("5\r\n", 3), 3, &err), -EBADMSG);
	assert_int_equal(err, FO_HTTP_E_bad_chunk);
	/* done stays done: nothing more belongs to the message */
	fo_http_body_init(&b, FO_HTTP_BODY_LENGTH, 2);
	assert_int_equal(fo_http_body_feed(&b, guard_copy("ab", 2), 2, &err), 2);
	assert_true(b.done);
	assert_int_equal(fo_http_body_feed(&b, guard_copy("cd", 2), 2, &err), 0);
	/* empty feeds */
	fo_http_body_init(&b, CH, 0);
	assert_int_equal(fo_http_body_feed(&b, guard_copy("", 0), 0, &err), 0);
	assert_false(b.done);
}

static void
test_body_kinds(void **state)
{
	struct fo_http_msg m;
	static const struct {
		uint16_t status;
		uint32_t flags;
		int method;
		int kind;
	} resp[] = {
		{200, FO_HTTP_F_CONTENT_LENGTH, FO_HTTP_M_GET, FO_HTTP_BODY_LENGTH},
		{200, FO_HTTP_F_CHUNKED, FO_HTTP_M_GET, FO_HTTP_BODY_CHUNKED},
		{200, FO_HTTP_F_CHUNKED | FO_HTTP_F_CONTENT_LENGTH, FO_HTTP_M_POST,
			FO_HTTP_BODY_CHUNKED},
		{200, FO_HTTP_F_TE_OTHER | FO_HTTP_F_CONTENT_LENGTH, FO_HTTP_M_GET, FO_HTTP_BODY_CLOSE},
		{200, 0, FO_HTTP_M_GET, FO_HTTP_BODY_CLOSE},
		{200, FO_HTTP_F_CONTENT_LENGTH, FO_HTTP_M_HEAD, FO_HTTP_BODY_NONE},
		{200, FO_HTTP_F_CHUNKED, FO_HTTP_M_HEAD, FO_HTTP_BODY_NONE},
		{404, 0, FO_HTTP_M_HEAD, FO_HTTP_BODY_NONE},
		{100, 0, FO_HTTP_M_POST, FO_HTTP_BODY_NONE},
		{103, FO_HTTP_F_CONTENT_LENGTH, FO_HTTP_M_GET, FO_HTTP_BODY_NONE},
		{101, 0, FO_HTTP_M_GET, FO_HTTP_BODY_TUNNEL},
		{204, FO_HTTP_F_CONTENT_LENGTH, FO_HTTP_M_GET, FO_HTTP_BODY_NONE},
		{304, FO_HTTP_F_CHUNKED, FO_HTTP_M_GET, FO_HTTP_BODY_NONE},
		{200, 0, FO_HTTP_M_CONNECT, FO_HTTP_BODY_TUNNEL},
		{407, FO_HTTP_F_CONTENT_LENGTH, FO_HTTP_M_CONNECT, FO_HTTP_BODY_LENGTH},
		{500, FO_HTTP_F_CONTENT_LENGTH, FO_HTTP_M_GET, FO_HTTP_BODY_LENGTH},
	};
	size_t i;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (i = 0; i < sizeof(resp) / sizeof(resp[0]); i++) {
		m.status = resp[i].status;
		m.flags = resp[i].flags;
		if ((int)fo_http_resp_body_kind(&m, resp[i].method) != resp[i].kind) {
			print_error("response %zu (%u): kind %d, want %d\n", i, resp[i].status,
				fo_http_resp_body_kind(&m, resp[i].method), resp[i].kind);
			fail();
		}
	}
	m.status = 0;
	m.flags = 0;
	assert_int_equal(fo_http_req_body_kind(&m), FO_HTTP_BODY_NONE);
	m.flags = FO_HTTP_F_CONTENT_LENGTH;
	assert_int_equal(fo_http_req_body_kind(&m), FO_HTTP_BODY_LENGTH);
	m.flags = FO_HTTP_F_CHUNKED | FO_HTTP_F_CONN_CLOSE;
	assert_int_equal(fo_http_req_body_kind(&m), FO_HTTP_BODY_CHUNKED);
}

/* A parsed head followed by its body, through both APIs as the proxy does. */
static void
test_head_then_body(void **state)
{
	static const char in[] = "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "4\r\nwiki\r\n5;x\r\npedia\r\n0\r\nT: 1\r\n\r\n"
				 "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
	static struct fo_http_msg m;
	struct fo_http_parser p;
	struct fo_http_body b;
	enum fo_http_err err;
	const uint8_t *g = guard_copy(in, sizeof(in) - 1);
	ssize_t head, body;

	(void)state;
	fo_http_parser_init(&p, FO_HTTP_REQUEST, &m);
	head = fo_http_parse(&p, g, sizeof(in) - 1);
	assert_int_equal(head, 58);
	fo_http_body_init(&b, fo_http_req_body_kind(&m), m.content_length);
	body = fo_http_body_feed(&b, g + head, sizeof(in) - 1 - (size_t)head, &err);
	assert_int_equal(body, 32);
	assert_true(b.done);
	assert_int_equal(b.total, 9);
	fo_http_parser_init(&p, FO_HTTP_REQUEST, &m);
	assert_int_equal(fo_http_parse(&p, g + head + body, sizeof(in) - 1 - (size_t)(head + body)),
		sizeof(in) - 1 - (size_t)(head + body));
	assert_int_equal(m.path.len, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_body_kinds),
		cmocka_unit_test(test_head_then_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
