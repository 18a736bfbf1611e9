/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.1 head parser: request and status lines, header fields. One pass
 * over the bytes, resumable anywhere: the state lives in struct
 * fo_http_parser, tokens are recorded as offsets from the message start.
 *
 * Speed comes from scanning runs: inside one feed, a token, a path or a
 * field value is skipped 16 bytes at a time (http_scan.h) and the state
 * machine is only entered at delimiters; the field lines that are whole in
 * the feed and of the common shape are parsed a line at a time by
 * fo_http_field_lines() (http_lines.c), which leaves any other line to the
 * states here. The limits (8 KiB request line, 32 KiB header section) are
 * enforced by clamping the end of the scanned range, not by a test per
 * byte.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "fo_http.h"
#include "http_priv.h"
#include "http_scan.h"

enum {
	S_REQ_START,    /* before the method: empty lines are skipped */
	S_REQ_START_LF, /* CR of such an empty line seen */
	S_METHOD,
	S_TARGET_START,
	S_PATH,
	S_QUERY,
	S_ASTERISK, /* "*" seen, SP must follow */
	S_SCHEME,   /* absolute-form: matching "http://" (sub: bytes matched) */
	S_AUTHORITY,
	S_VERSION, /* sub: bytes of "HTTP/x.y" matched */
	S_RESP_VERSION,
	S_STATUS, /* sub: digits */
	S_REASON,
	S_LINE_LF, /* CR of the start line seen */
	S_HDR_LINE_START,
	S_HDR_NAME,
	S_HDR_VALUE_START,
	S_HDR_VALUE,
	S_HDR_VALUE_LF,
	S_HEAD_END_LF,
	S_DONE,
	S_ERROR,
};

void
fo_http_parser_init(struct fo_http_parser *p, enum fo_http_kind kind, struct fo_http_msg *msg)
{
	memset(p, 0, offsetof(struct fo_http_parser, nbuf));
	p->msg = msg;
	p->kind = (uint8_t)kind;
	p->state = kind == FO_HTTP_REQUEST ? S_REQ_START : S_RESP_VERSION;
	/* hdrs[] is written as fields are parsed; entries past n_headers are stale */
	memset(msg, 0, offsetof(struct fo_http_msg, hdrs));
}

/*
 * A method or field name that started in an earlier feed is kept in nbuf
 * (when short enough to be one we know): save the part of this feed.
 */
static void
save_token(struct fo_http_parser *p, const uint8_t *s, size_t n)
{
	if (p->nlen == 0xff)
		return;
	if (p->nlen + n > sizeof(p->nbuf)) {
		p->nlen = 0xff;
		return;
	}
	memcpy(p->nbuf + p->nlen, s, n);
	p->nlen = (uint8_t)(p->nlen + n);
}

/*
 * The bytes of the token that ends at @p q (in this feed, which starts at
 * message offset @p base): in place when it started in this feed, else
 * completed in nbuf. NULL when too long to be recorded (so not a name we
 * know); *n is its length either way.
 */
static const uint8_t *
token_bytes(
	struct fo_http_parser *p, const uint8_t *buf, uint32_t base, const uint8_t *q, size_t *n)
{
	*n = base + (size_t)(q - buf) - p->tok;
	if (p->tok >= base)
		return buf + (p->tok - base);
	save_token(p, buf, (size_t)(q - buf));
	return p->nlen == 0xff ? NULL : p->nbuf;
}

static unsigned
method_ident(const uint8_t *s, size_t n)
{
	if (s == NULL)
		return FO_HTTP_M_OTHER;
#define M(str, id)                                                                                 \
	if (n == sizeof(str) - 1 && memcmp(s, str, n) == 0)                                        \
	return id
	/* methods are case-sensitive (RFC 9110 9.1) */
	M("GET", FO_HTTP_M_GET);
	M("POST", FO_HTTP_M_POST);
	M("HEAD", FO_HTTP_M_HEAD);
	M("PUT", FO_HTTP_M_PUT);
	M("DELETE", FO_HTTP_M_DELETE);
	M("OPTIONS", FO_HTTP_M_OPTIONS);
	M("PATCH", FO_HTTP_M_PATCH);
	M("TRACE", FO_HTTP_M_TRACE);
	M("CONNECT", FO_HTTP_M_CONNECT);
#undef M
	return FO_HTTP_M_OTHER;
}

/* ---- the parser -------------------------------------------------------- */

#define OFF(ptr) ((uint32_t)(base + (uint32_t)((ptr)-buf)))
#define SPAN(o, l) ((struct fo_http_span){(uint16_t)(o), (uint16_t)(l)})
#define FAIL(e)                                                                                    \
	do {                                                                                       \
		err = FO_HTTP_E_##e;                                                               \
		goto fail;                                                                         \
	} while (0)
#define FAILE(e)                                                                                   \
	do {                                                                                       \
		err = (e);                                                                         \
		goto fail;                                                                         \
	} while (0)

/* end of the scanned range: the feed, or the limit of the current section */
static const uint8_t *
section_lim(const struct fo_http_parser *p, const uint8_t *buf, size_t len, uint32_t base,
	int in_headers)
{
	uint32_t max = in_headers ? p->hstart + FO_HTTP_HEADERS_MAX : FO_HTTP_LINE_MAX;

	if (base >= max)
		return buf;
	return max - base < len ? buf + (max - base) : buf + len;
}

ssize_t
fo_http_parse(struct fo_http_parser *p, const uint8_t *buf, size_t len)
{
	struct fo_http_msg *m = p->msg;
	const uint8_t *q = buf, *end = buf + len, *lim, *s;
	const uint32_t base = p->off;
	unsigned st = p->state;
	enum fo_http_err err = FO_HTTP_E_NONE;
	struct fo_http_hdr *h;
	size_t n;
	uint8_t c;

	if (st >= S_DONE)
		return -EBADMSG; /* misuse: fed after the end or an error */
	lim = section_lim(p, buf, len, base, st >= S_HDR_LINE_START);

	for (;;) {
		switch (st) {
		/* ---- request line ---- */
		case S_REQ_START:
			if (q == lim)
				goto more;
			if (*q == '\n') {
				q++;
				break;
			}
			if (*q == '\r') {
				q++;
				st = S_REQ_START_LF;
				break;
			}
			if (lim - q >= 5) {
				/* "GET " and "POST " in one compare */
				uint32_t w = http_ld4(q);

				if (w == http_ld4("GET "))
					n = 3;
				else if (w == http_ld4("POST") && q[4] == ' ')
					n = 4;
				else
					n = 0;
				if (n != 0) {
					m->method = n == 3 ? FO_HTTP_M_GET : FO_HTTP_M_POST;
					m->method_s = SPAN(OFF(q), n);
					q += n + 1;
					m->target.off = (uint16_t)OFF(q);
					st = S_TARGET_START;
					break;
				}
			}
			p->tok = OFF(q);
			p->nlen = 0;
			st = S_METHOD;
			/* fallthrough */
		case S_METHOD:
			s = q;
			q = scan_class(q, lim, HC_TOKEN);
			if (q == lim) {
				/* s: where the method starts in this feed, or the feed */
				if (q == end)
					save_token(p, s, (size_t)(q - s));
				goto more;
			}
			if (*q != ' ' || OFF(q) == p->tok)
				FAIL(bad_method);
			s = token_bytes(p, buf, base, q, &n);
			m->method = (uint8_t)method_ident(s, n);
			if (m->method == FO_HTTP_M_CONNECT)
				FAIL(connect_method);
			m->method_s = SPAN(p->tok, n);
			q++;
			m->target.off = (uint16_t)OFF(q);
			st = S_TARGET_START;
			/* fallthrough */
		case S_TARGET_START:
			if (q == lim)
				goto more;
			c = *q;
			if (c == '/') {
				m->path.off = (uint16_t)OFF(q);
				st = S_PATH;
			} else if (c == '*') {
				if (m->method != FO_HTTP_M_OPTIONS)
					FAIL(bad_target);
				m->flags |= FO_HTTP_F_ASTERISK_FORM;
				m->path = SPAN(OFF(q), 1);
				q++;
				st = S_ASTERISK;
				break;
			} else if ((unsigned)(http_lc(c) - 'a') < 26u) {
				p->sub = 0;
				st = S_SCHEME;
				break;
			} else {
				FAIL(bad_target);
			}
			/* fallthrough */
		case S_PATH:
			q = scan_target(q, lim, buf, 0);
			if (q == lim)
				goto more;
			c = *q;
			if (c == '?') {
				m->path.len = (uint16_t)(OFF(q) - m->path.off);
				q++;
				m->query.off = (uint16_t)OFF(q);
				st = S_QUERY;
				break;
			}
			if (c != ' ')
				FAILE(c == '\r' || c == '\n' ? FO_HTTP_E_bad_line
							     : FO_HTTP_E_bad_target);
			m->path.len = (uint16_t)(OFF(q) - m->path.off);
			goto target_end;
		case S_QUERY:
			q = scan_target(q, lim, buf, 1);
			if (q == lim)
				goto more;
			c = *q;
			if (c != ' ')
				FAILE(c == '\r' || c == '\n' ? FO_HTTP_E_bad_line
							     : FO_HTTP_E_bad_target);
			m->query.len = (uint16_t)(OFF(q) - m->query.off);
			goto target_end;
		case S_ASTERISK:
			if (q == lim)
				goto more;
			if (*q != ' ')
				FAIL(bad_target);
			goto target_end;
		case S_SCHEME:
			if (q == lim)
				goto more;
			/*
			 * "http://" or "https://", as nginx takes both on any
			 * listener (sub: bytes of "http://" matched; 0x40: the
			 * 's' was there, after "http")
			 */
			if (p->sub == 4 && http_lc(*q) == 's') {
				p->sub = 0x40 | 4;
				q++;
				break;
			}
			if (http_lc(*q) != (uint8_t) "http://"[p->sub & 0x3f])
				FAIL(bad_target);
			q++;
			if ((++p->sub & 0x3f) == 7) {
				m->flags |= FO_HTTP_F_ABSOLUTE_FORM;
				m->host.off = (uint16_t)OFF(q);
				fo_http_host_begin(p);
				st = S_AUTHORITY;
			}
			break;
		case S_AUTHORITY:
			if (q == lim)
				goto more;
			c = *q;
			if (c == '/' || c == '?' || c == ' ') {
				if (fo_http_host_end(p) != 0)
					FAIL(bad_target);
				m->host.len = (uint16_t)(OFF(q) - m->host.off);
				/* no path: len 0, which means "/" */
				m->path = SPAN(OFF(q), 0);
				if (c == '/') {
					st = S_PATH;
					break;
				}
				if (c == ' ')
					goto target_end;
				q++;
				m->query.off = (uint16_t)OFF(q);
				st = S_QUERY;
				break;
			}
			if (!(fo_http_cls[c] & HC_QUERY) || fo_http_host_step(p, c) != 0)
				FAILE(c == '\r' || c == '\n' ? FO_HTTP_E_bad_line
							     : FO_HTTP_E_bad_target);
			q++;
			break;
		target_end:
			/* q is at the SP after the target */
			m->target.len = (uint16_t)(OFF(q) - m->target.off);
			q++;
			p->sub = 0;
			st = S_VERSION;
			/* fallthrough */
		case S_VERSION:
			if (p->sub == 0 && lim - q >= 10 && memcmp(q, "HTTP/1.1\r\n", 10) == 0) {
				/* the common case in one go */
				m->version_minor = 1;
				q += 10;
				goto line_end;
			}
			if (q == lim)
				goto more;
			c = *q;
			switch (p->sub) {
			case 5:
			case 7:
				if (!(fo_http_cls[c] & HC_DIGIT))
					FAIL(bad_version);
				if (p->sub == 5)
					p->aux2 = (uint32_t)(c - '0');
				else
					m->version_minor = (uint8_t)(c - '0');
				break;
			case 8:
				if (c != '\r' && c != '\n')
					FAIL(bad_version);
				if (p->aux2 != 1 || m->version_minor > 1)
					FAIL(version_not_supported);
				q++;
				if (c == '\r') {
					st = S_LINE_LF;
					continue;
				}
				goto line_end;
			default:
				if (c != (uint8_t) "HTTP/x."[p->sub])
					FAIL(bad_version);
				break;
			}
			p->sub++;
			q++;
			break;
		case S_REQ_START_LF:
			if (q == lim)
				goto more;
			if (*q != '\n')
				FAIL(bad_line);
			q++;
			st = S_REQ_START;
			break;

		/* ---- status line ---- */
		case S_RESP_VERSION:
			if (p->sub == 0 && lim - q >= 9 &&
				(memcmp(q, "HTTP/1.1 ", 9) == 0 ||
					memcmp(q, "HTTP/1.0 ", 9) == 0)) {
				m->version_minor = (uint8_t)(q[7] - '0');
				q += 9;
				p->sub = 0;
				st = S_STATUS;
				break;
			}
			if (q == lim)
				goto more;
			c = *q;
			if (p->sub == 7) {
				if (c != '0' && c != '1')
					FAIL(bad_status_line);
				m->version_minor = (uint8_t)(c - '0');
			} else if (c != (uint8_t) "HTTP/1.x "[p->sub]) {
				FAIL(bad_status_line);
			}
			q++;
			if (++p->sub == 9) {
				p->sub = 0;
				st = S_STATUS;
			}
			break;
		case S_STATUS:
			if (p->sub == 0 && lim - q >= 4 && (unsigned)(q[0] - '1') < 9u &&
				(unsigned)(q[1] - '0') < 10u && (unsigned)(q[2] - '0') < 10u) {
				/* the three digits in one go; what follows is checked below */
				m->status = (uint16_t)((q[0] - '0') * 100 + (q[1] - '0') * 10 +
						       (q[2] - '0'));
				p->sub = 3;
				q += 3;
			}
			if (q == lim)
				goto more;
			c = *q;
			if (p->sub < 3) {
				if (!(fo_http_cls[c] & HC_DIGIT) || (p->sub == 0 && c == '0'))
					FAIL(bad_status_line);
				m->status = (uint16_t)(m->status * 10 + (c - '0'));
				p->sub++;
				q++;
				break;
			}
			if (c == ' ') {
				q++;
				m->reason.off = (uint16_t)OFF(q);
				st = S_REASON;
				break;
			}
			if (c != '\r' && c != '\n')
				FAIL(bad_status_line);
			m->reason.off = (uint16_t)OFF(q); /* no reason phrase */
			st = S_REASON;
			/* fallthrough */
		case S_REASON:
			q = scan_value(q, lim, buf);
			if (q == lim)
				goto more;
			c = *q;
			if (c != '\r' && c != '\n')
				FAIL(bad_status_line);
			m->reason.len = (uint16_t)(OFF(q) - m->reason.off);
			q++;
			if (c == '\r') {
				st = S_LINE_LF;
				break;
			}
			goto line_end;
		case S_LINE_LF:
			if (q == lim)
				goto more;
			if (*q != '\n')
				FAILE(p->kind == FO_HTTP_REQUEST ? FO_HTTP_E_bad_line
								 : FO_HTTP_E_bad_status_line);
			q++;
		line_end:
			p->hstart = OFF(q);
			lim = section_lim(p, buf, len, base, 1);
			st = S_HDR_LINE_START;
			/* fallthrough */

		/* ---- header fields ---- */
		case S_HDR_LINE_START:
		hdr_line:
			if (q == lim)
				goto more;
			c = *q;
			if (fo_http_name_byte[c] && lim - buf >= 16) { /* most lines */
				s = fo_http_field_lines(
					p, q, lim, end, (uintptr_t)base - (uintptr_t)buf);
				if (p->err != FO_HTTP_E_NONE) {
					err = p->err;
					q = s;
					goto fail;
				}
				if (s != q) {
					q = s;
					if (lim - q >= 2 && q[0] == '\r' && q[1] == '\n') {
						q += 2; /* the empty line, most often next */
						goto head_end;
					}
					goto hdr_line;
				}
			} else {
				if (c == '\r') {
					q++;
					st = S_HEAD_END_LF;
					break;
				}
				if (c == '\n') {
					q++;
					goto head_end;
				}
				if (fo_http_cls[c] & HC_WS)
					FAIL(obs_fold);
			}
			if (m->n_headers == FO_HTTP_MAX_HEADERS)
				FAIL(too_many_headers);
			h = &m->hdrs[m->n_headers++];
			h->line.off = (uint16_t)OFF(q);
			h->name.off = h->line.off;
			s = q;
			q = scan_name(q, lim, buf);
			if (q > s && q < lim && *q == ':') {
				/* the whole name in this feed, no '_': no token to keep */
				n = (size_t)(q - s);
				goto name_end;
			}
			q = s; /* the general case, from the start of the name */
			p->tok = h->line.off;
			p->nlen = 0;
			st = S_HDR_NAME;
			/* fallthrough */
		case S_HDR_NAME:
			s = q;
			/* a name stops at '_' only to flag it: free for names without one */
			q = scan_name(q, lim, buf);
			if (q < lim && *q != ':') {
				while (q < lim && *q == '_') {
					m->flags |= FO_HTTP_F_UNDERSCORE;
					q = scan_name(q + 1, lim, buf);
				}
			}
			if (q == lim) {
				if (q == end)
					save_token(p, s, (size_t)(q - s));
				goto more;
			}
			if (*q != ':' || OFF(q) == p->tok)
				FAIL(bad_header_name);
			h = &m->hdrs[m->n_headers - 1];
			s = token_bytes(p, buf, base, q, &n);
		name_end:
			/* h: the field, [s, + n) its name or NULL, q at the ':' */
			h->name.len = (uint16_t)n;
			h->id = (uint8_t)(s != NULL ? http_hdr_ident(s, n) : FO_HTTP_H_OTHER);
			if (h->id == FO_HTTP_H_OTHER) {
				p->interp = HI_NONE; /* most fields: nothing to set up */
			} else if ((err = fo_http_field_begin(p, h->id)) != FO_HTTP_E_NONE) {
				goto fail;
			}
			if (m->hdr_first[h->id] == 0)
				m->hdr_first[h->id] = (uint8_t)m->n_headers;
			q++;
			st = S_HDR_VALUE_START;
			/* fallthrough */
		case S_HDR_VALUE_START:
			if (lim - q >= 2 && q[0] == ' ' && !(fo_http_cls[q[1]] & HC_WS)) {
				q++; /* ": value", the common case */
			} else {
				while (q < lim && (fo_http_cls[*q] & HC_WS))
					q++;
				if (q == lim)
					goto more;
			}
			h = &m->hdrs[m->n_headers - 1];
			h->value.off = (uint16_t)OFF(q);
			p->aux = OFF(q);
			st = S_HDR_VALUE;
			/* fallthrough */
		case S_HDR_VALUE:
			s = q;
			q = scan_value(q, lim, buf);
			if (q > s) {
				const uint8_t *t = q;

				while (t > s && (fo_http_cls[t[-1]] & HC_WS))
					t--;
				if (t > s)
					p->aux = OFF(t);
				if (p->interp != HI_NONE) {
					/* the whole value in this feed: fast paths */
					if (q < lim && (uint16_t)OFF(s) ==
							       m->hdrs[m->n_headers - 1].value.off)
						err = fo_http_field_value(p, s, (size_t)(q - s),
							(size_t)(t - s), (size_t)(end - s));
					else
						err = fo_http_field_bytes(p, s, (size_t)(q - s));
					if (err != FO_HTTP_E_NONE)
						goto fail;
				}
			}
			if (q == lim)
				goto more;
			c = *q;
			if (c == '\r') {
				q++;
				if (q < lim && *q == '\n')
					goto field_end; /* CRLF in this feed: the common case */
				st = S_HDR_VALUE_LF;
				break;
			}
			if (c != '\n')
				FAIL(bad_header_value);
			goto field_end;
		case S_HDR_VALUE_LF:
			if (q == lim)
				goto more;
			if (*q != '\n')
				FAIL(bad_header_value);
		field_end:
			/* q is at the LF */
			q++;
			h = &m->hdrs[m->n_headers - 1];
			h->value.len = (uint16_t)(p->aux - h->value.off);
			h->line.len = (uint16_t)(OFF(q) - h->line.off);
			if (p->interp != HI_NONE &&
				(err = fo_http_field_end(p, h)) != FO_HTTP_E_NONE)
				goto fail;
			st = S_HDR_LINE_START;
			goto hdr_line; /* no dispatch: the next line starts here */
		case S_HEAD_END_LF:
			if (q == lim)
				goto more;
			if (*q != '\n')
				FAIL(bad_header_name);
			q++;
			goto head_end;
		default:
			FAIL(bad_line); /* not reached */
		}
	}

head_end:
	/*
	 * Most heads: no Transfer-Encoding, and a request that has its Host;
	 * fo_http_head_end() would find nothing to do or say for them.
	 */
	if ((p->te_fields | p->tflags) != 0 ||
		(p->kind == FO_HTTP_REQUEST && m->version_minor == 1 &&
			m->hdr_first[FO_HTTP_H_HOST] == 0)) {
		err = fo_http_head_end(p);
		if (err != FO_HTTP_E_NONE)
			goto fail;
	}
	m->head_len = OFF(q);
	p->off = m->head_len;
	p->state = S_DONE;
	return q - buf;

more:
	if (q < end) {
		/* stopped by the limit of the section with bytes left */
		if (st < S_HDR_LINE_START)
			FAILE(p->kind == FO_HTTP_REQUEST ? FO_HTTP_E_line_too_long
							 : FO_HTTP_E_bad_status_line);
		FAIL(headers_too_large);
	}
	p->off = OFF(q);
	p->state = (uint8_t)st;
	return -EAGAIN;

fail:
	p->err = err;
	p->state = S_ERROR;
	p->off = OFF(q);
	return -EBADMSG;
}
