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

#endif /* FUZZ_HTTP_COMMON_H */
