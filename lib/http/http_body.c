/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Body framing: which bytes after a head belong to its message. Bodies are
 * passed through unchanged; chunked framing is validated strictly (CRLF
 * only, bounded size lines and trailers) because a proxy and the server
 * behind it must agree on where a message ends (RFC 9112 7.1, 11.2).
 */
#include <errno.h>
#include <string.h>

#include "fo_http.h"
#include "http_priv.h"

/* Longest chunk-size line (size, extensions, CRLF). */
#define CHUNK_LINE_MAX 4096
/* Most hex digits in a chunk size: 16 fill 64 bits. */
#define CHUNK_DIGITS_MAX 16

enum {
	B_SIZE,	     /* chunk-size digits */
	B_EXT,	     /* after the size: extensions up to CR */
	B_SIZE_LF,   /* CR of the size line seen */
	B_DATA,	     /* chunk data */
	B_DATA_CR,   /* CRLF after the data */
	B_DATA_LF,
	B_TR_START,  /* start of a trailer line or of the final CRLF */
	B_TR_NAME,   /* trailer field name */
	B_TR_VALUE,  /* trailer field value up to CR */
	B_TR_LF,     /* CR of a trailer line seen */
	B_FINAL_LF,  /* CR of the last line seen */
	B_END,
};

enum fo_http_body_kind
fo_http_req_body_kind(const struct fo_http_msg *req)
{
	if (req->flags & FO_HTTP_F_CHUNKED)
		return FO_HTTP_BODY_CHUNKED;
	if (req->flags & FO_HTTP_F_CONTENT_LENGTH)
		return FO_HTTP_BODY_LENGTH;
	return FO_HTTP_BODY_NONE;
}

enum fo_http_body_kind
fo_http_resp_body_kind(const struct fo_http_msg *resp, enum fo_http_method req_method)
{
	if (resp->status < 200)
		return resp->status == 101 ? FO_HTTP_BODY_TUNNEL : FO_HTTP_BODY_NONE;
	if (req_method == FO_HTTP_M_HEAD || resp->status == 204 || resp->status == 304)
		return FO_HTTP_BODY_NONE;
	if (req_method == FO_HTTP_M_CONNECT && resp->status < 300)
		return FO_HTTP_BODY_TUNNEL;
	/* Transfer-Encoding overrides Content-Length (RFC 9112 6.3 item 3) */
	if (resp->flags & FO_HTTP_F_CHUNKED)
		return FO_HTTP_BODY_CHUNKED;
	if (resp->flags & FO_HTTP_F_TE_OTHER)
		return FO_HTTP_BODY_CLOSE;
	if (resp->flags & FO_HTTP_F_CONTENT_LENGTH)
		return FO_HTTP_BODY_LENGTH;
	return FO_HTTP_BODY_CLOSE;
}

void
fo_http_body_init(struct fo_http_body *b, enum fo_http_body_kind kind, uint64_t length)
{
	memset(b, 0, sizeof(*b));
	b->kind = (uint8_t)kind;
	b->state = B_SIZE;
	if (kind == FO_HTTP_BODY_LENGTH)
		b->remaining = length;
	b->done = kind == FO_HTTP_BODY_NONE || (kind == FO_HTTP_BODY_LENGTH && length == 0);
}

static ssize_t
chunk_fail(struct fo_http_body *b, enum fo_http_err e, enum fo_http_err *err)
{
	b->state = B_END; /* nothing more is accepted */
	if (err != NULL)
		*err = e;
	return -EBADMSG;
}

static ssize_t
feed_chunked(struct fo_http_body *b, const uint8_t *buf, size_t len, enum fo_http_err *err)
{
	const uint8_t *q = buf, *end = buf + len;
	uint8_t c, cls;

	while (q < end) {
		c = *q;
		cls = fo_http_cls[c];
		switch (b->state) {
		case B_SIZE:
			if (cls & HC_HEX) {
				if (b->digits == CHUNK_DIGITS_MAX)
					return chunk_fail(b, FO_HTTP_E_chunk_too_large, err);
				b->digits++;
				b->remaining = b->remaining << 4 |
					(uint64_t)(cls & HC_DIGIT ? c - '0' : (c | 0x20) - 'a' + 10);
				break;
			}
			if (b->digits == 0)
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			if (c == '\r') {
				b->state = B_SIZE_LF;
				break;
			}
			/* extensions, after optional BWS (RFC 9112 7.1.1) */
			if (c != ';' && !(cls & HC_WS))
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			b->state = B_EXT;
			break;
		case B_EXT:
			if (c == '\r') {
				b->state = B_SIZE_LF;
				break;
			}
			/* no syntax check beyond the bytes: they are passed on, not used */
			if (!(cls & HC_VALUE))
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			break;
		case B_SIZE_LF:
			if (c != '\n' || b->tlen + 1 > CHUNK_LINE_MAX)
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			b->tlen = 0;
			b->digits = 0;
			b->state = b->remaining == 0 ? B_TR_START : B_DATA;
			q++;
			continue;
		case B_DATA: {
			size_t n = (size_t)(end - q);

			if (n > b->remaining)
				n = (size_t)b->remaining;
			b->remaining -= n;
			b->total += n;
			q += n;
			if (b->remaining == 0)
				b->state = B_DATA_CR;
			continue;
		}
		case B_DATA_CR:
			if (c != '\r')
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			b->state = B_DATA_LF;
			break;
		case B_DATA_LF:
			if (c != '\n')
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			b->state = B_SIZE;
			b->tlen = 0;
			q++;
			continue;
		case B_TR_START:
			if (c == '\r') {
				b->state = B_FINAL_LF;
				break;
			}
			/* a name, not obs-fold, not a bare LF */
			if (!(cls & HC_TOKEN))
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			b->state = B_TR_NAME;
			break;
		case B_TR_NAME:
			if (c == ':') {
				b->state = B_TR_VALUE;
				break;
			}
			if (!(cls & HC_TOKEN))
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			break;
		case B_TR_VALUE:
			if (c == '\r') {
				b->state = B_TR_LF;
				break;
			}
			if (!(cls & HC_VALUE))
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			break;
		case B_TR_LF:
			if (c != '\n')
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			b->state = B_TR_START;
			break;
		case B_FINAL_LF:
			if (c != '\n')
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			if (b->tlen + 1 > FO_HTTP_HEADERS_MAX)
				return chunk_fail(b, FO_HTTP_E_trailers_too_large, err);
			q++;
			b->state = B_END;
			b->done = 1;
			return q - buf;
		default: /* fed again after an error */
			return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
		}
		/* a byte of a size line or of the trailer section */
		b->tlen++;
		if (b->state >= B_TR_START) {
			if (b->tlen > FO_HTTP_HEADERS_MAX)
				return chunk_fail(b, FO_HTTP_E_trailers_too_large, err);
		} else if (b->tlen > CHUNK_LINE_MAX) {
			return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
		}
		q++;
	}
	return q - buf;
}

ssize_t
fo_http_body_feed(struct fo_http_body *b, const uint8_t *buf, size_t len, enum fo_http_err *err)
{
	size_t n;

	if (b->done)
		return 0;
	switch (b->kind) {
	case FO_HTTP_BODY_LENGTH:
		n = len < b->remaining ? len : (size_t)b->remaining;
		b->remaining -= n;
		b->total += n;
		b->done = b->remaining == 0;
		return (ssize_t)n;
	case FO_HTTP_BODY_CHUNKED:
		return feed_chunked(b, buf, len, err);
	case FO_HTTP_BODY_CLOSE:
	case FO_HTTP_BODY_TUNNEL:
		b->total += len;
		return (ssize_t)len;
	default:
		return 0; /* NONE: done at init */
	}
}
