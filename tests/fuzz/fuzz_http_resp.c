/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the response parser. The input is parsed whole, in
 * two pieces and in three (split points derived from the data), every
 * piece in an exact-size heap copy so ASan sees any over-read; the three
 * results must agree in every recorded field. Spans must lie inside the
 * head. A complete response is then written as fanout forwards it to the
 * client, which must parse back with the same status and body framing,
 * and the rest of the input goes through the body framer, whole and split,
 * for a request method derived from the data. A head that
 * fo_http_resp_verbatim() lets go on as received must equal what the
 * writer makes of it, byte for byte.
 */
#include "fuzz_http_common.h"

static void
check_same(const struct res *a, const struct res *b)
{
	const struct fo_http_msg *x = &a->msg, *y = &b->msg;
	unsigned i;

	CHECK(a->rc == b->rc && a->err == b->err);
	if (a->rc < 0)
		return;
	CHECK(x->version_minor == y->version_minor && x->status == y->status &&
	      x->n_headers == y->n_headers && x->flags == y->flags &&
	      x->content_length == y->content_length && span_eq(x->reason, y->reason) &&
	      memcmp(x->hdr_first, y->hdr_first, sizeof(x->hdr_first)) == 0);
	for (i = 0; i < x->n_headers; i++)
		CHECK(span_eq(x->hdrs[i].name, y->hdrs[i].name) &&
		      span_eq(x->hdrs[i].value, y->hdrs[i].value) &&
		      span_eq(x->hdrs[i].line, y->hdrs[i].line) && x->hdrs[i].id == y->hdrs[i].id);
}

static void
check_spans(const struct fo_http_msg *m)
{
	unsigned i;

	check_span(m->reason, m->head_len);
	CHECK(m->n_headers <= FO_HTTP_MAX_HEADERS && m->head_len <= FO_HTTP_HEAD_MAX);
	CHECK(m->status >= 100 && m->status <= 999 && m->reason.off >= 12);
	for (i = 0; i < m->n_headers; i++) {
		const struct fo_http_hdr *h = &m->hdrs[i];

		check_span(h->line, m->head_len);
		CHECK(h->name.off == h->line.off && h->name.len > 0);
		CHECK(h->value.off >= h->name.off + h->name.len + 1);
		CHECK(h->value.off + h->value.len < h->line.off + h->line.len);
		CHECK(h->id < FO_HTTP_H_MAX);
	}
	for (i = 0; i < FO_HTTP_H_MAX; i++)
		CHECK(m->hdr_first[i] <= m->n_headers);
	CHECK(!((m->flags & FO_HTTP_F_CHUNKED) && (m->flags & FO_HTTP_F_TE_OTHER)));
}

/* body after the head: whole and in two pieces must agree */
static void
frame_body(const struct fo_http_msg *m, enum fo_http_method method, const uint8_t *rest, size_t len,
	size_t cut)
{
	enum fo_http_body_kind k = fo_http_resp_body_kind(m, method);
	struct fo_http_body b1, b2;
	enum fo_http_err e1 = FO_HTTP_E_NONE, e2 = FO_HTTP_E_NONE;
	ssize_t r1, r2, r2b = 0;

	fo_http_body_init(&b1, k, m->content_length);
	fo_http_body_init(&b2, k, m->content_length);
	r1 = fo_http_body_feed(&b1, rest, len, &e1);
	CHECK(r1 == -EBADMSG || (r1 >= 0 && (size_t)r1 <= len));
	r2 = fo_http_body_feed(&b2, rest, cut, &e2);
	if (r2 >= 0 && (size_t)r2 == cut && !b2.done) {
		r2b = fo_http_body_feed(&b2, rest + cut, len - cut, &e2);
		r2 = r2b < 0 ? r2b : r2 + r2b;
	}
	CHECK(r1 == r2 && e1 == e2);
	check_runs(k, m->content_length, rest, len, r1, e1, &b1);
	if (r1 >= 0) {
		CHECK(b1.done == b2.done && b1.total == b2.total);
		CHECK(b1.total <= (uint64_t)r1);
		if ((size_t)r1 < len)
			CHECK(b1.done);
		if (k == FO_HTTP_BODY_CLOSE || k == FO_HTTP_BODY_TUNNEL)
			CHECK((size_t)r1 == len && !b1.done);
	}
}

static uint64_t
hash(const uint8_t *d, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ d[i]) * 1099511628211ull;
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum fo_http_method methods[] = {FO_HTTP_M_GET, FO_HTTP_M_HEAD, FO_HTTP_M_POST,
		FO_HTTP_M_CONNECT};
	static struct res whole, two, three;
	static struct fo_http_msg back;
	static uint8_t out[FO_HTTP_HEAD_MAX + 1024];
	uint64_t h = hash(data, size);
	size_t c1 = (size_t)(h % (size + 1)), c2 = (size_t)((h >> 32) % (size + 1));
	enum fo_http_method method = methods[(h >> 20) & 3];
	unsigned flags = (unsigned)(h >> 40) & 3;
	size_t cuts[3];
	struct fo_http_parser p;
	ssize_t n, rb;

	parse_pieces(FO_HTTP_RESPONSE, data, size, &size, 1, &whole);
	cuts[0] = c1;
	cuts[1] = size;
	parse_pieces(FO_HTTP_RESPONSE, data, size, cuts, 2, &two);
	check_same(&whole, &two);
	cuts[0] = c1 < c2 ? c1 : c2;
	cuts[1] = c1 < c2 ? c2 : c1;
	cuts[2] = size;
	parse_pieces(FO_HTTP_RESPONSE, data, size, cuts, 3, &three);
	check_same(&whole, &three);
	if (whole.rc < 0)
		return 0;

	check_spans(&whole.msg);
	CHECK((size_t)whole.rc <= size);

	n = fo_http_write_response(out, sizeof(out), data, &whole.msg, flags);
	CHECK(n > 0 && (size_t)n < sizeof(out));
	CHECK(fo_http_write_response(out, (size_t)n - 1, data, &whole.msg, flags) == -ENOSPC);
	n = fo_http_write_response(out, sizeof(out), data, &whole.msg, flags);
	/* a head said to go on as received is exactly what the writer writes */
	if (fo_http_resp_verbatim(data, &whole.msg, flags))
		CHECK((size_t)n == whole.msg.head_len && memcmp(out, data, (size_t)n) == 0);

	/* what goes to the client parses back with the same status and framing */
	fo_http_parser_init(&p, FO_HTTP_RESPONSE, &back);
	rb = fo_http_parse(&p, out, (size_t)n);
	if (rb < 0) {
		/* only the added Connection field can push it past a limit */
		CHECK(rb == -EBADMSG && (p.err == FO_HTTP_E_headers_too_large ||
					 p.err == FO_HTTP_E_too_many_headers));
	} else {
		CHECK(rb == n);
		CHECK(back.status == whole.msg.status);
		CHECK(back.version_minor == whole.msg.version_minor);
		CHECK(fo_http_resp_body_kind(&back, method) ==
		      fo_http_resp_body_kind(&whole.msg, method));
		if (fo_http_resp_body_kind(&back, method) == FO_HTTP_BODY_LENGTH)
			CHECK(back.content_length == whole.msg.content_length);
		CHECK(!(back.flags & FO_HTTP_F_CONN_OTHER));
		CHECK(((back.flags & FO_HTTP_F_CONN_CLOSE) != 0) ==
		      (flags == FO_HTTP_RESP_CLOSE));
	}

	frame_body(&whole.msg, method, data + whole.rc, size - (size_t)whole.rc,
		(size_t)((h >> 8) % (size - (size_t)whole.rc + 1)));
	return 0;
}
