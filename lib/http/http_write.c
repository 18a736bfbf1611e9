/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writers of the heads fanout sends: the response forwarded to the client,
 * fanout's own error responses and redirects, chunk lines; the field
 * filters the request writer (http_write_req.c) shares. Output is
 * deterministic (fields in the order received, added fields in a fixed
 * order) and never goes past the caller's capacity.
 */
#include <errno.h>
#include <string.h>

#include "fo_http.h"
#include "http_priv.h"
#include "http_write_priv.h"

static int
span_caseeq(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (http_lc(a[i]) != http_lc(b[i]))
			return 0;
	return 1;
}

/* Does a Connection field of @p msg list the name of field @p h? */
static int
named_by_connection(const uint8_t *head, const struct fo_http_msg *msg,
	const struct fo_http_hdr *h)
{
	const uint8_t *name = head + h->name.off;
	unsigned i;

	for (i = 0; i < msg->n_headers; i++) {
		const struct fo_http_hdr *c = &msg->hdrs[i];
		const uint8_t *v = head + c->value.off, *e = v + c->value.len, *t;

		if (c->id != FO_HTTP_H_CONNECTION)
			continue;
		while (v < e) {
			while (v < e && (*v == ',' || (fo_http_cls[*v] & HC_WS)))
				v++;
			t = v;
			while (t < e && *t != ',' && !(fo_http_cls[*t] & HC_WS))
				t++;
			if ((size_t)(t - v) == h->name.len && span_caseeq(v, name, h->name.len))
				return 1;
			v = t;
		}
	}
	return 0;
}

/* Is [@p s, + @p n) (any case) one of the space-separated lowercase words of @p list? */
static int
in_word_list(const char *list, const uint8_t *s, size_t n)
{
	const char *w = list, *e;
	size_t i;

	while (*w != '\0') {
		e = strchr(w, ' ');
		if (e == NULL)
			e = w + strlen(w);
		if ((size_t)(e - w) == n) {
			for (i = 0; i < n && http_lc(s[i]) == (uint8_t)w[i]; i++)
				;
			if (i == n)
				return 1;
		}
		w = *e == ' ' ? e + 1 : e;
	}
	return 0;
}

int
fo_http_upgrade_allowed(const uint8_t *head, const struct fo_http_msg *req, const char *allowed)
{
	unsigned i, n = 0;

	if (allowed == NULL)
		allowed = "websocket";
	for (i = 0; i < req->n_headers; i++) {
		const struct fo_http_hdr *h = &req->hdrs[i];
		const uint8_t *v = head + h->value.off, *e = v + h->value.len, *t, *name_end;

		if (h->id != FO_HTTP_H_UPGRADE)
			continue;
		while (v < e) {
			while (v < e && (*v == ',' || (fo_http_cls[*v] & HC_WS)))
				v++;
			if (v == e)
				break;
			t = v;
			while (t < e && *t != ',' && !(fo_http_cls[*t] & HC_WS))
				t++;
			name_end = memchr(v, '/', (size_t)(t - v));
			if (name_end == NULL)
				name_end = t;
			if (!in_word_list(allowed, v, (size_t)(name_end - v)))
				return 0;
			n++;
			v = t;
		}
	}
	return n != 0;
}

/*
 * Whether a field goes on: hop-by-hop fields stop here (RFC 9110 7.6.1).
 * Fields named by Connection are dropped only when fanout does not
 * interpret them itself: Host, Content-Length, Transfer-Encoding and
 * X-Request-ID stay, or "Connection: Content-Length" would make fanout and
 * the next hop frame the body differently.
 */
int
fo_http_keep_field(const uint8_t *head, const struct fo_http_msg *msg, const struct fo_http_hdr *h,
	int keep_upgrade)
{
	switch (h->id) {
	case FO_HTTP_H_CONNECTION:
	case FO_HTTP_H_KEEP_ALIVE:
	case FO_HTTP_H_PROXY_CONNECTION:
	case FO_HTTP_H_TE:
	case FO_HTTP_H_TRAILER:
		return 0;
	case FO_HTTP_H_UPGRADE:
		return keep_upgrade;
	case FO_HTTP_H_OTHER:
		return !(msg->flags & FO_HTTP_F_CONN_OTHER) || !named_by_connection(head, msg, h);
	default:
		return 1;
	}
}

unsigned
fo_http_field_id(const char *name, size_t len)
{
	return fo_http_hdr_ident((const uint8_t *)name, len);
}

/* Does a SET or REMOVE of @p mods name field @p h? (It is dropped then.) */
int
fo_http_mod_drops(const uint8_t *head, const struct fo_http_hdr *h, const struct fo_http_mod *mods,
	unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (mods[i].op != FO_HTTP_MOD_ADD && mods[i].name_len == h->name.len &&
			span_caseeq((const uint8_t *)mods[i].name, head + h->name.off, h->name.len))
			return 1;
	return 0;
}

ssize_t
fo_http_write_response(uint8_t *out, size_t cap, const uint8_t *head,
	const struct fo_http_msg *resp, unsigned flags)
{
	return fo_http_write_response_mod(out, cap, head, resp, flags, NULL, 0);
}

ssize_t
fo_http_write_response_mod(uint8_t *out, size_t cap, const uint8_t *head,
	const struct fo_http_msg *resp, unsigned flags, const struct fo_http_mod *mods,
	unsigned n_mods)
{
	struct wbuf w;
	int upgrade = (flags & FO_HTTP_RESP_UPGRADE) != 0;
	/* a proxy drops Content-Length beside Transfer-Encoding (RFC 9112 6.3) */
	int drop_cl = (resp->flags & (FO_HTTP_F_CHUNKED | FO_HTTP_F_TE_OTHER)) != 0;
	/* as for requests (http_write_req.c): ids that go on as received, ids dropped */
	uint32_t keep = 0, drop = 0;
	size_t sl = (size_t)resp->reason.off + resp->reason.len; /* the status line's end */
	const struct fo_http_hdr *h, *e = resp->hdrs + resp->n_headers;

	if (n_mods == 0 && !(resp->flags & FO_HTTP_F_CONN_OTHER)) {
		/* all but Content-Length and the hop-by-hop fields go on */
		keep = HBITS_RESP_AS_IS;
		drop = HBITS_HOP;
		if (upgrade)
			keep |= HBIT(FO_HTTP_H_UPGRADE);
		else
			drop |= HBIT(FO_HTTP_H_UPGRADE);
	}
	wbuf_init(&w, out, cap, head);
	if (LIKELY(head[sl] == '\r')) {
		put_run(&w, head, sl + 2);
	} else {
		put(&w, head, sl);
		PUTS(&w, "\r\n");
	}
	for (h = resp->hdrs; h < e; h++) {
		if (LIKELY(keep & HBIT(h->id))) {
			put_line(&w, head, h);
			continue;
		}
		if (drop & HBIT(h->id))
			continue;
		if (h->id == FO_HTTP_H_CONTENT_LENGTH) {
			if (!drop_cl &&
				hdr_index(resp, h) == resp->hdr_first[FO_HTTP_H_CONTENT_LENGTH])
				put_content_length(&w, head, resp, h);
			continue;
		}
		if (n_mods != 0 && h->id == FO_HTTP_H_OTHER &&
			fo_http_mod_drops(head, h, mods, n_mods))
			continue;
		if (fo_http_keep_field(head, resp, h, upgrade))
			put_line(&w, head, h);
	}
	if (n_mods != 0)
		put_mods(&w, mods, n_mods);
	if (upgrade)
		PUTS(&w, "Connection: upgrade\r\n");
	else if (flags & FO_HTTP_RESP_CLOSE)
		PUTS(&w, "Connection: close\r\n");
	PUTS(&w, "\r\n");
	return wbuf_end(&w, out);
}

int
fo_http_resp_verbatim(const uint8_t *head, const struct fo_http_msg *resp, unsigned flags)
{
	const struct fo_http_hdr *h, *e = resp->hdrs + resp->n_headers;
	uint32_t off = (uint32_t)resp->reason.off + resp->reason.len; /* the status line's end */

	if (flags != 0 || (resp->flags & FO_HTTP_F_CONN_OTHER) || head[off] != '\r')
		return 0;
	off += 2;
	for (h = resp->hdrs; h < e; h++) {
		uint32_t len = h->line.len;

		/* each line right after the one before, ending in CRLF */
		if (h->line.off != off || len < 2)
			return 0;
		off += len;
		if (head[off - 2] != '\r')
			return 0;
		if (LIKELY(HBITS_RESP_AS_IS & HBIT(h->id)))
			continue;
		if (h->id != FO_HTTP_H_CONTENT_LENGTH ||
			(resp->flags & (FO_HTTP_F_CHUNKED | FO_HTTP_F_TE_OTHER)) ||
			hdr_index(resp, h) != resp->hdr_first[FO_HTTP_H_CONTENT_LENGTH] ||
			!dec_canonical(resp->content_length, h->value.len) ||
			!content_length_as_is(head, h))
			return 0;
	}
	/* then the empty line, CRLF, and nothing else */
	return off + 2 == resp->head_len && head[off] == '\r';
}

static size_t
dec_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

ssize_t
fo_http_write_error(uint8_t *out, size_t cap, unsigned status, const char *detail, int close,
	int head_only)
{
	struct wbuf w;
	const char *reason = fo_http_reason(status);
	size_t rlen = strlen(reason), dlen = detail != NULL ? strlen(detail) : 0;
	/* "<status> <reason>[: <detail>]\n" */
	size_t body = dec_len(status) + 1 + rlen + (detail != NULL ? 2 + dlen : 0) + 1;

	wbuf_init(&w, out, cap, out);
	PUTS(&w, "HTTP/1.1 ");
	put_u64(&w, status);
	PUTS(&w, " ");
	put(&w, reason, rlen);
	PUTS(&w, "\r\nServer: fanout\r\nContent-Type: text/plain\r\nContent-Length: ");
	put_u64(&w, body);
	PUTS(&w, "\r\n");
	if (close)
		PUTS(&w, "Connection: close\r\n");
	PUTS(&w, "\r\n");
	if (!head_only) {
		put_u64(&w, status);
		PUTS(&w, " ");
		put(&w, reason, rlen);
		if (detail != NULL) {
			PUTS(&w, ": ");
			put(&w, detail, dlen);
		}
		PUTS(&w, "\n");
	}
	return wbuf_end(&w, out);
}

ssize_t
fo_http_write_redirect(uint8_t *out, size_t cap, unsigned status, const struct fo_http_str *loc,
	unsigned n_loc, int close, int head_only)
{
	struct wbuf w;
	const char *reason = fo_http_reason(status);
	size_t rlen = strlen(reason), total = 0, k;
	unsigned i;

	/* checked here, not by the callers: no byte that could end the field */
	for (i = 0; i < n_loc; i++) {
		for (k = 0; k < loc[i].len; k++)
			if ((uint8_t)loc[i].p[k] <= 0x20 || (uint8_t)loc[i].p[k] >= 0x7f)
				return -EINVAL;
		total += loc[i].len;
	}
	if (total == 0)
		return -EINVAL;
	wbuf_init(&w, out, cap, out);
	PUTS(&w, "HTTP/1.1 ");
	put_u64(&w, status);
	PUTS(&w, " ");
	put(&w, reason, rlen);
	PUTS(&w, "\r\nServer: fanout\r\nLocation: ");
	for (i = 0; i < n_loc; i++)
		put(&w, loc[i].p, loc[i].len);
	PUTS(&w, "\r\nContent-Type: text/plain\r\nContent-Length: ");
	put_u64(&w, dec_len(status) + 1 + rlen + 1);
	PUTS(&w, "\r\n");
	if (close)
		PUTS(&w, "Connection: close\r\n");
	PUTS(&w, "\r\n");
	if (!head_only) {
		put_u64(&w, status);
		PUTS(&w, " ");
		put(&w, reason, rlen);
		PUTS(&w, "\n");
	}
	return wbuf_end(&w, out);
}

ssize_t
fo_http_write_chunk_line(uint8_t *out, size_t cap, int close_prev, uint64_t size)
{
	static const char hex[] = "0123456789abcdef";
	struct wbuf w;
	/* 16 hex digits at most; 20 so that GCC sees put()'s long-copy branch in bounds */
	char d[20];
	size_t i = sizeof(d);

	wbuf_init(&w, out, cap, out);
	if (close_prev)
		PUTS(&w, "\r\n");
	do {
		d[--i] = hex[size & 0xf];
		size >>= 4;
	} while (size != 0);
	put(&w, d + i, sizeof(d) - i);
	PUTS(&w, "\r\n");
	return wbuf_end(&w, out);
}
