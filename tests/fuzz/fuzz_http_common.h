/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the request and response parser fuzz targets share: parsing an
 * input fed in pieces (each piece copied to its own allocation, so ASan
 * sees any read past it) and span checks. Include from one file only.
 */
#ifndef FUZZ_HTTP_COMMON_H
#define FUZZ_HTTP_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fo_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

struct res {
	ssize_t rc; /* head bytes, or -EBADMSG / -EAGAIN */
	enum fo_http_err err;
	struct fo_http_msg msg;
};

/* Parse @p d cut at cuts[] (the last cut is @p n) into @p r. */
static void
parse_pieces(enum fo_http_kind kind, const uint8_t *d, size_t n, const size_t *cuts, size_t ncuts,
	struct res *r)
{
	struct fo_http_parser p;
	size_t start = 0, i;

	fo_http_parser_init(&p, kind, &r->msg);
	r->rc = -EAGAIN;
	r->err = FO_HTTP_E_NONE;
	for (i = 0; i < ncuts; i++) {
		size_t len = cuts[i] - start;
		uint8_t *piece = malloc(len ? len : 1);
		ssize_t rc;

		CHECK(piece != NULL);
		memcpy(piece, d + start, len);
		rc = fo_http_parse(&p, piece, len);
		free(piece);
		if (rc == -EAGAIN) {
			CHECK(p.err == FO_HTTP_E_NONE);
			start = cuts[i];
			continue;
		}
		if (rc == -EBADMSG) {
			CHECK(p.err > FO_HTTP_E_NONE && p.err < FO_HTTP_E_MAX);
			r->rc = rc;
			r->err = p.err;
			return;
		}
		CHECK(rc > 0 && (size_t)rc <= len);
		r->rc = (ssize_t)(start + (size_t)rc);
		CHECK(r->msg.head_len == (uint32_t)r->rc);
		return;
	}
	CHECK(cuts[ncuts - 1] == n);
}

static int
span_eq(struct fo_http_span a, struct fo_http_span b)
{
	return a.off == b.off && a.len == b.len;
}

static void
check_span(struct fo_http_span s, uint32_t head_len)
{
	CHECK((uint32_t)s.off + s.len <= head_len);
}

/*
 * The same body run by run (fo_http_body_next()) must frame it as
 * fo_http_body_feed() did (@p want: its result, @p wb its state): same
 * length, error, end and total; the DATA runs add up to the total; a
 * finished chunked body had exactly one LAST run.
 */
static void
check_runs(enum fo_http_body_kind k, uint64_t cl, const uint8_t *rest, size_t len, ssize_t want,
	enum fo_http_err want_err, const struct fo_http_body *wb)
{
	struct fo_http_body b;
	enum fo_http_err e = FO_HTTP_E_NONE;
	uint64_t data = 0;
	size_t used = 0;
	unsigned run, lasts = 0;
	ssize_t n = 0;

	fo_http_body_init(&b, k, cl);
	while (used < len && !b.done) {
		n = fo_http_body_next(&b, rest + used, len - used, &run, &e);
		if (n < 0)
			break;
		CHECK(n > 0 && run <= FO_HTTP_RUN_TRAILER);
		if (run == FO_HTTP_RUN_DATA)
			data += (uint64_t)n;
		lasts += run == FO_HTTP_RUN_LAST;
		used += (size_t)n;
	}
	if (n < 0) {
		CHECK(want == -EBADMSG && e == want_err);
		return;
	}
	CHECK(want >= 0 && (size_t)want == used);
	CHECK(b.done == wb->done && b.total == wb->total && data == b.total);
	if (k == FO_HTTP_BODY_CHUNKED)
		CHECK(lasts == (b.done ? 1u : lasts) && lasts <= 1);
}

#endif /* FUZZ_HTTP_COMMON_H */
