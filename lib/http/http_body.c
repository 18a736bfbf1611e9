/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Body framing: which bytes after a head belong to its message. Chunked
 * framing is validated strictly (RFC 9112 7.1 grammar, CRLF only, sizes
 * below 2^63, bounded size lines and trailers) because a proxy and the
 * server behind it must agree on where a message ends (RFC 9112 7.1, 11.2);
 * fo_http_body_next() tells data from framing so that a proxy can send its
 * own canonical framing instead of the peer's.
 */
#include <errno.h>
#include <string.h>

#include "fo_http.h"
#include "http_priv.h"

/* Longest chunk-size line (size, extensions, CRLF). */
#define CHUNK_LINE_MAX 4096

/*
 * States of chunked framing. The size line follows RFC 9112 7.1 and 7.1.1
 * to the letter: chunk-size [ chunk-ext ] CRLF with
 *   chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
 *   ext-val   = token / quoted-string
 * so whitespace is only allowed around ';' and '=' (never before the CRLF),
 * a name cannot be empty and a quoted string must be closed.
 */
enum {
	B_SIZE,         /* chunk-size digits */
	B_EXT_BWS,      /* BWS after the size or a value: ';' must follow */
	B_EXT_NAME0,    /* after ';': BWS, then the first byte of ext-name */
	B_EXT_NAME,     /* ext-name */
	B_EXT_NAME_BWS, /* BWS after ext-name: '=' or ';' must follow */
	B_EXT_VAL0,     /* after '=': BWS, then a token or a quoted string */
	B_EXT_TOKEN,    /* ext-val token */
	B_EXT_QS,       /* inside a quoted string */
	B_EXT_QP,       /* after a backslash in a quoted string */
	B_EXT_QEND,     /* after the closing quote */
	B_SIZE_LF,      /* CR of the size line seen */
	B_DATA,         /* chunk data */
	B_DATA_CR,      /* CRLF after the data */
	B_DATA_LF,
	B_TR_START, /* start of a trailer line or of the final CRLF */
	B_TR_NAME,  /* trailer field name */
	B_TR_VALUE, /* trailer field value up to CR */
	B_TR_LF,    /* CR of a trailer line seen */
	B_FINAL_LF, /* CR of the last line seen */
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

/* Which run a byte read in state @p st belongs to. */
static unsigned
run_of(unsigned st, uint8_t c)
{
	if (st == B_DATA)
		return FO_HTTP_RUN_DATA;
	if (st == B_TR_NAME || st == B_TR_VALUE || st == B_TR_LF || (st == B_TR_START && c != '\r'))
		return FO_HTTP_RUN_TRAILER;
	return FO_HTTP_RUN_FRAMING;
}

/* one byte of a size line after the size: extensions (RFC 9112 7.1.1) */
static int
ext_step(struct fo_http_body *b, uint8_t c, uint8_t cls)
{
	switch (b->state) {
	case B_EXT_BWS:
		if (cls & HC_WS)
			return 0;
		if (c == ';') {
			b->state = B_EXT_NAME0;
			return 0;
		}
		return -1;
	case B_EXT_NAME0:
		if (cls & HC_WS)
			return 0;
		if (cls & HC_TOKEN) {
			b->state = B_EXT_NAME;
			return 0;
		}
		return -1; /* empty name ("5;", "5;=x") or not a token */
	case B_EXT_NAME:
	case B_EXT_NAME_BWS:
		if ((cls & HC_TOKEN) && b->state == B_EXT_NAME)
			return 0;
		if (cls & HC_WS) {
			b->state = B_EXT_NAME_BWS;
			return 0;
		}
		if (c == '=') {
			b->state = B_EXT_VAL0;
			return 0;
		}
		if (c == ';') {
			b->state = B_EXT_NAME0;
			return 0;
		}
		return -1;
	case B_EXT_VAL0:
		if (cls & HC_WS)
			return 0;
		if (c == '"') {
			b->state = B_EXT_QS;
			return 0;
		}
		if (cls & HC_TOKEN) {
			b->state = B_EXT_TOKEN;
			return 0;
		}
		return -1;
	case B_EXT_TOKEN:
	case B_EXT_QEND:
		if ((cls & HC_TOKEN) && b->state == B_EXT_TOKEN)
			return 0;
		if (cls & HC_WS) {
			b->state = B_EXT_BWS;
			return 0;
		}
		if (c == ';') {
			b->state = B_EXT_NAME0;
			return 0;
		}
		return -1;
	case B_EXT_QS:
		/* qdtext: HTAB, SP, VCHAR but '"' and '\\', obs-text */
		if (c == '"') {
			b->state = B_EXT_QEND;
			return 0;
		}
		if (c == '\\') {
			b->state = B_EXT_QP;
			return 0;
		}
		return (cls & HC_VALUE) ? 0 : -1;
	case B_EXT_QP:
		/* quoted-pair: "\\" (HTAB / SP / VCHAR / obs-text) */
		if (!(cls & HC_VALUE))
			return -1;
		b->state = B_EXT_QS;
		return 0;
	default:
		return -1;
	}
}

/*
 * Frame chunked bytes. With @p run NULL, everything up to the end of the
 * message or of @p buf; otherwise only one run (all bytes of one kind,
 * *run set to it), so that the caller can tell data from framing.
 */
static ssize_t
feed_chunked(struct fo_http_body *b, const uint8_t *buf, size_t len, enum fo_http_err *err,
	unsigned *run)
{
	const uint8_t *q = buf, *end = buf + len;
	uint8_t c, cls;

	while (q < end) {
		c = *q;
		cls = fo_http_cls[c];
		if (run != NULL) {
			unsigned k = run_of(b->state, c);

			if (q == buf)
				*run = k;
			else if (k != *run)
				break;
		}
		switch (b->state) {
		case B_SIZE:
			if (cls & HC_HEX) {
				/* the size must fit in 63 bits (leading zeros are fine) */
				if (b->remaining > (uint64_t)INT64_MAX >> 4)
					return chunk_fail(b, FO_HTTP_E_chunk_too_large, err);
				b->digits = 1;
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
			/* extensions: ';' or BWS then ';' */
			b->state = B_EXT_BWS;
			if (ext_step(b, c, cls) != 0)
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			break;
		case B_EXT_BWS:
		case B_EXT_NAME0:
		case B_EXT_NAME:
		case B_EXT_NAME_BWS:
		case B_EXT_VAL0:
		case B_EXT_TOKEN:
		case B_EXT_QS:
		case B_EXT_QP:
		case B_EXT_QEND:
			/* the line may end after a name or a value, nowhere else */
			if (c == '\r' && (b->state == B_EXT_NAME || b->state == B_EXT_TOKEN ||
						 b->state == B_EXT_QEND)) {
				b->state = B_SIZE_LF;
				break;
			}
			if (ext_step(b, c, cls) != 0)
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			break;
		case B_SIZE_LF:
			if (c != '\n' || b->tlen + 1 > CHUNK_LINE_MAX)
				return chunk_fail(b, FO_HTTP_E_bad_chunk, err);
			if (b->limit != 0 && b->remaining > b->limit - b->total)
				return chunk_fail(b, FO_HTTP_E_body_too_large, err);
			b->tlen = 0;
			b->digits = 0;
			q++;
			if (b->remaining != 0) {
				b->state = B_DATA;
				continue;
			}
			b->state = B_TR_START;
			if (run != NULL) {
				/* the framing run ends with the last-chunk line */
				*run = FO_HTTP_RUN_LAST;
				return q - buf;
			}
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
		return feed_chunked(b, buf, len, err, NULL);
	case FO_HTTP_BODY_CLOSE:
	case FO_HTTP_BODY_TUNNEL:
		b->total += len;
		return (ssize_t)len;
	default:
		return 0; /* NONE: done at init */
	}
}

ssize_t
fo_http_body_next(struct fo_http_body *b, const uint8_t *buf, size_t len, unsigned *run,
	enum fo_http_err *err)
{
	*run = FO_HTTP_RUN_DATA;
	if (b->kind == FO_HTTP_BODY_CHUNKED && !b->done && len != 0)
		return feed_chunked(b, buf, len, err, run);
	return fo_http_body_feed(b, buf, len, err);
}
