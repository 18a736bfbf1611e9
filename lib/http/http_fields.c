/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header fields the parser interprets: name recognition, and small
 * per-byte state machines for the values that decide framing and routing
 * (Host, Content-Length, Transfer-Encoding, Connection, Expect). The value
 * of a field may arrive split across feeds and nothing is kept of earlier
 * feeds, so every interpreter works a byte at a time with its state in the
 * parser; only these few fields pay for it, every other value is scanned in
 * bulk by http_parse.c.
 */
#include <stdint.h>
#include <string.h>

#include "fo_http.h"
#include "http_priv.h"

/* ---- field names ------------------------------------------------------- */

unsigned
fo_http_hdr_ident(const uint8_t *s, size_t n)
{
	return http_hdr_ident(s, n);
}

/* ---- host[:port] ------------------------------------------------------- */

enum { HV_START, HV_REG, HV_V6, HV_V6_END, HV_PORT, HV_TRAIL, HV_BAD };

void
fo_http_host_begin(struct fo_http_parser *p)
{
	p->vst = HV_START;
	p->vpos = 0;
	p->num = 0;
}

int
fo_http_host_end(const struct fo_http_parser *p)
{
	switch (p->vst) {
	case HV_REG:
	case HV_V6_END:
	case HV_TRAIL:
		return 0;
	case HV_PORT: /* port = *DIGIT (RFC 3986): empty is allowed */
		return p->num <= 65535 ? 0 : -1;
	default:
		return -1;
	}
}

int
fo_http_host_step(struct fo_http_parser *p, uint8_t c)
{
	uint8_t cls = fo_http_cls[c];

	if (cls & HC_WS) {
		/* only trailing OWS of a Host value gets here */
		p->vst = fo_http_host_end(p) == 0 ? HV_TRAIL : HV_BAD;
		return p->vst == HV_BAD ? -1 : 0;
	}
	switch (p->vst) {
	case HV_START:
		if (c == '[') {
			p->vst = HV_V6;
			return 0;
		}
		/* fallthrough */
	case HV_REG:
		if (cls & HC_HOST) {
			/* an empty label ("a..b") is no name: 400, as nginx */
			if (c == '.' && p->vst == HV_REG && p->vpos != 0)
				break;
			p->vpos = c == '.';
			p->vst = HV_REG;
			return 0;
		}
		if (c == ':' && p->vst == HV_REG) {
			p->vst = HV_PORT;
			p->vpos = 0;
			return 0;
		}
		break;
	case HV_V6:
		if ((cls & HC_HEX) || c == ':' || c == '.')
			return 0;
		if (c == ']') {
			p->vst = HV_V6_END;
			return 0;
		}
		break;
	case HV_V6_END:
		if (c == ':') {
			p->vst = HV_PORT;
			return 0;
		}
		break;
	case HV_PORT:
		if ((cls & HC_DIGIT) && p->vpos < 5) {
			p->vpos++;
			p->num = p->num * 10 + (uint64_t)(c - '0');
			return 0;
		}
		break;
	default:
		break;
	}
	p->vst = HV_BAD;
	return -1;
}

/* ---- Content-Length: 1*DIGIT, or a list of identical ones ---------------- */

enum { CL_ELEM, CL_DIGITS, CL_AFTER, CL_BAD };

/* end of one number of the list */
static enum fo_http_err
cl_elem_end(struct fo_http_parser *p)
{
	struct fo_http_msg *m = p->msg;

	if ((m->flags & FO_HTTP_F_CONTENT_LENGTH) && m->content_length != p->num)
		return FO_HTTP_E_dup_content_length;
	m->content_length = p->num;
	m->flags |= FO_HTTP_F_CONTENT_LENGTH;
	return FO_HTTP_E_NONE;
}

static enum fo_http_err
cl_step(struct fo_http_parser *p, uint8_t c)
{
	uint8_t cls = fo_http_cls[c];

	switch (p->vst) {
	case CL_ELEM:
		if (cls & HC_DIGIT) {
			p->num = (uint64_t)(c - '0');
			p->vst = CL_DIGITS;
			return FO_HTTP_E_NONE;
		}
		if (cls & HC_WS)
			return FO_HTTP_E_NONE;
		break;
	case CL_DIGITS:
		if (cls & HC_DIGIT) {
			/* stay below 2^63 so that no caller's signed arithmetic overflows */
			if (p->num > (uint64_t)(INT64_MAX - (c - '0')) / 10)
				break;
			p->num = p->num * 10 + (uint64_t)(c - '0');
			return FO_HTTP_E_NONE;
		}
		if (c == ',' || (cls & HC_WS)) {
			p->vst = c == ',' ? CL_ELEM : CL_AFTER;
			return cl_elem_end(p);
		}
		break;
	case CL_AFTER:
		if (c == ',') {
			p->vst = CL_ELEM;
			return FO_HTTP_E_NONE;
		}
		if (cls & HC_WS)
			return FO_HTTP_E_NONE;
		break;
	default:
		break;
	}
	p->vst = CL_BAD;
	return FO_HTTP_E_bad_content_length;
}

/* ---- lists of tokens: Connection, Transfer-Encoding, Expect -------------- */

/* words a list element is compared with (lowercase), by bit */
static const char list_words[][13] = {"close", "keep-alive", "upgrade", "chunked", "100-continue"};
static const uint8_t list_lens[] = {5, 10, 7, 7, 12};
#define W_CLOSE 0x01
#define W_KEEP_ALIVE 0x02
#define W_UPGRADE 0x04
#define W_CHUNKED 0x08
#define W_CONTINUE 0x10

enum { L_SEP, L_TOK, L_TRAIL };

static uint8_t
list_start_mask(unsigned interp)
{
	switch (interp) {
	case HI_CONN:
		return W_CLOSE | W_KEEP_ALIVE | W_UPGRADE;
	case HI_TE:
		return W_CHUNKED;
	default:
		return W_CONTINUE;
	}
}

/* one non-empty element ended: what did it name? */
static void
list_elem_end(struct fo_http_parser *p)
{
	struct fo_http_msg *m = p->msg;
	uint8_t match = 0;
	unsigned i;

	for (i = 0; i < sizeof(list_lens); i++)
		if ((p->vmask & (1u << i)) && p->vpos == list_lens[i])
			match = (uint8_t)(1u << i);
	switch (p->interp) {
	case HI_CONN:
		m->flags |= match == W_CLOSE	      ? FO_HTTP_F_CONN_CLOSE
			    : match == W_KEEP_ALIVE ? FO_HTTP_F_CONN_KEEP_ALIVE
			    : match == W_UPGRADE    ? FO_HTTP_F_CONN_UPGRADE
						    : FO_HTTP_F_CONN_OTHER;
		break;
	case HI_TE:
		if (p->te_elems < UINT8_MAX)
			p->te_elems++;
		if (match == W_CHUNKED) {
			if (p->tflags & HT_TE_CHUNKED)
				p->tflags |= HT_TE_TWICE;
			p->tflags |= HT_TE_LAST | HT_TE_CHUNKED;
		} else {
			p->tflags &= (uint8_t)~HT_TE_LAST;
		}
		break;
	default:
		m->flags |= match == W_CONTINUE ? FO_HTTP_F_EXPECT_CONTINUE : FO_HTTP_F_EXPECT_OTHER;
		break;
	}
}

static void
list_step(struct fo_http_parser *p, uint8_t c)
{
	uint8_t lc = c | 0x20; /* exact for the letters, digits and '-' of the words */
	unsigned m;

	if (c == ',') {
		if (p->vst == L_SEP)
			p->tflags |= HT_TE_EMPTY;
		else
			list_elem_end(p);
		p->vst = L_SEP;
		return;
	}
	if (fo_http_cls[c] & HC_WS) {
		if (p->vst == L_TOK)
			p->vst = L_TRAIL;
		return;
	}
	if (p->vst == L_SEP) {
		p->vst = L_TOK;
		p->vmask = list_start_mask(p->interp);
		p->vpos = 0;
	} else if (p->vst == L_TRAIL) {
		p->vmask = 0; /* "keep alive": one element with a space, no word */
		p->vst = L_TOK;
	}
	for (m = p->vmask; m != 0; m &= m - 1) {
		unsigned i = (unsigned)__builtin_ctz(m);

		if (p->vpos >= list_lens[i] || (uint8_t)list_words[i][p->vpos] != lc)
			p->vmask &= (uint8_t)~(1u << i);
	}
	if (p->vpos < UINT8_MAX)
		p->vpos++;
}

/* ---- field entry points ------------------------------------------------ */

enum fo_http_err
fo_http_field_begin(struct fo_http_parser *p, unsigned id)
{
	struct fo_http_msg *m = p->msg;
	int req = p->kind == FO_HTTP_REQUEST;

	p->interp = HI_NONE;
	switch (id) {
	case FO_HTTP_H_HOST:
		if (!req)
			break;
		if (m->hdr_first[FO_HTTP_H_HOST] != 0)
			return FO_HTTP_E_dup_host;
		p->interp = HI_HOST;
		fo_http_host_begin(p);
		break;
	case FO_HTTP_H_CONTENT_LENGTH:
		p->interp = HI_CL;
		p->vst = CL_ELEM;
		break;
	case FO_HTTP_H_TRANSFER_ENCODING:
		if (p->te_fields < UINT8_MAX)
			p->te_fields++;
		p->interp = HI_TE;
		p->vst = L_SEP;
		break;
	case FO_HTTP_H_CONNECTION:
		p->interp = HI_CONN;
		p->vst = L_SEP;
		break;
	case FO_HTTP_H_EXPECT:
		if (req) {
			p->interp = HI_EXPECT;
			p->vst = L_SEP;
		}
		break;
	case FO_HTTP_H_UPGRADE:
		m->flags |= FO_HTTP_F_UPGRADE;
		break;
	default:
		break;
	}
	return FO_HTTP_E_NONE;
}

enum fo_http_err
fo_http_field_bytes(struct fo_http_parser *p, const uint8_t *s, size_t n)
{
	enum fo_http_err e;
	size_t i;

	switch (p->interp) {
	case HI_HOST:
		for (i = 0; i < n;) {
			/* a reg-name run in one go: the common case */
			if (p->vst == HV_START || p->vst == HV_REG) {
				size_t j = i;
				uint8_t dot = p->vst == HV_REG ? p->vpos : 0;

				/* vpos: the last byte was a '.'; a second one is an empty label */
				for (; j < n && (fo_http_cls[s[j]] & HC_HOST); j++) {
					if (s[j] == '.' && dot)
						return FO_HTTP_E_bad_host;
					dot = s[j] == '.';
				}
				if (j > i) {
					p->vst = HV_REG;
					p->vpos = dot;
					i = j;
					continue;
				}
			}
			if (fo_http_host_step(p, s[i++]) != 0)
				return FO_HTTP_E_bad_host;
		}
		break;
	case HI_CL:
		for (i = 0; i < n; i++)
			if ((e = cl_step(p, s[i])) != FO_HTTP_E_NONE)
				return e;
		break;
	case HI_TE:
	case HI_CONN:
	case HI_EXPECT:
		for (i = 0; i < n; i++)
			list_step(p, s[i]);
		break;
	default:
		break;
	}
	return FO_HTTP_E_NONE;
}

enum fo_http_err
fo_http_field_value(struct fo_http_parser *p, const uint8_t *s, size_t n, size_t t, size_t avail)
{
	int k;
	uint8_t dot;

	switch (p->interp) {
	case HI_HOST:
		if (avail < 16 || n == 0)
			break;
		k = http_host_run16(s, n < 16 ? n : 16, &dot);
		if (k < 0)
			return FO_HTTP_E_bad_host;
		if (k == 0)
			break;
		p->vst = HV_REG;
		p->vpos = dot;
		return (size_t)k == n ? FO_HTTP_E_NONE
				      : fo_http_field_bytes(p, s + k, n - (size_t)k);
	case HI_CL:
		/* digits only (at most 18: below 2^63), what cl_step would build */
		if (t != 0 && t <= 18) {
			uint64_t v = 0;
			size_t i;

			for (i = 0; i < t && (unsigned)(s[i] - '0') < 10u; i++)
				v = v * 10 + (uint64_t)(s[i] - '0');
			if (i == t) {
				p->num = v;
				p->vst = CL_DIGITS; /* field_end ends the number */
				return t == n ? FO_HTTP_E_NONE : fo_http_field_bytes(p, s + t, n - t);
			}
		}
		break;
	case HI_CONN:
		/* one word, as nearly every client sends: what list_step would find */
		if (t == 10 && http_name_eq(s, "keep-alive", 10)) {
			p->msg->flags |= FO_HTTP_F_CONN_KEEP_ALIVE;
			p->interp = HI_NONE; /* done: field_end would add nothing */
			return FO_HTTP_E_NONE;
		}
		if (t == 5 && http_name_eq(s, "close", 5)) {
			p->msg->flags |= FO_HTTP_F_CONN_CLOSE;
			p->interp = HI_NONE;
			return FO_HTTP_E_NONE;
		}
		break;
	default:
		break;
	}
	return fo_http_field_bytes(p, s, n);
}

enum fo_http_err
fo_http_field_line(struct fo_http_parser *p, const struct fo_http_hdr *h, const uint8_t *s,
	size_t n, size_t t, size_t avail)
{
	struct fo_http_msg *m = p->msg;
	unsigned id = h->id;
	enum fo_http_err e;

	if ((e = fo_http_field_begin(p, id)) != FO_HTTP_E_NONE)
		return e;
	if (m->hdr_first[id] == 0)
		m->hdr_first[id] = (uint8_t)m->n_headers;
	if (p->interp == HI_NONE)
		return FO_HTTP_E_NONE;
	if ((e = fo_http_field_value(p, s, n, t, avail)) != FO_HTTP_E_NONE)
		return e;
	return fo_http_field_end(p, h);
}

enum fo_http_err
fo_http_field_end(struct fo_http_parser *p, const struct fo_http_hdr *h)
{
	struct fo_http_msg *m = p->msg;

	switch (p->interp) {
	case HI_HOST:
		if (fo_http_host_end(p) != 0)
			return FO_HTTP_E_bad_host;
		/* the authority of an absolute-form target wins (RFC 9112 3.2.2) */
		if (!(m->flags & FO_HTTP_F_ABSOLUTE_FORM))
			m->host = h->value;
		break;
	case HI_CL:
		if (p->vst == CL_DIGITS)
			return cl_elem_end(p);
		/* empty value or a trailing comma */
		return p->vst == CL_AFTER ? FO_HTTP_E_NONE : FO_HTTP_E_bad_content_length;
	case HI_TE:
	case HI_CONN:
	case HI_EXPECT:
		if (p->vst != L_SEP)
			list_elem_end(p);
		else if (p->interp == HI_TE)
			p->tflags |= HT_TE_EMPTY; /* empty value or trailing comma */
		break;
	default:
		break;
	}
	return FO_HTTP_E_NONE;
}

enum fo_http_err
fo_http_head_end(struct fo_http_parser *p)
{
	struct fo_http_msg *m = p->msg;

	if (p->kind == FO_HTTP_RESPONSE) {
		/* chunked applied twice is malformed framing (RFC 9112 6.1) */
		if (p->tflags & HT_TE_TWICE)
			return FO_HTTP_E_te_chunked_twice;
		/* chunked only when it is the final coding (RFC 9112 6.3 item 4) */
		if (p->te_fields != 0)
			m->flags |= (p->tflags & HT_TE_LAST) ? FO_HTTP_F_CHUNKED : FO_HTTP_F_TE_OTHER;
		return FO_HTTP_E_NONE;
	}
	if (p->te_fields != 0) {
		if (m->version_minor == 0)
			return FO_HTTP_E_te_http10;
		if (m->flags & FO_HTTP_F_CONTENT_LENGTH)
			return FO_HTTP_E_cl_and_te;
		if (p->tflags & HT_TE_TWICE)
			return FO_HTTP_E_te_chunked_twice;
		/* chunked not last: the length cannot be known (RFC 9112 6.3 item 4) */
		if ((p->tflags & (HT_TE_CHUNKED | HT_TE_LAST)) == HT_TE_CHUNKED)
			return FO_HTTP_E_te_chunked_not_last;
		/* exactly one field whose value is exactly "chunked" */
		if (p->te_fields != 1 || p->te_elems != 1 || (p->tflags & HT_TE_EMPTY) ||
			!(p->tflags & HT_TE_LAST))
			return FO_HTTP_E_te_not_chunked;
		m->flags |= FO_HTTP_F_CHUNKED;
	}
	if (m->version_minor == 1 && m->hdr_first[FO_HTTP_H_HOST] == 0)
		return FO_HTTP_E_missing_host;
	return FO_HTTP_E_NONE;
}
