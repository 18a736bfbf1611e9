/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writers of the heads fanout sends: the request forwarded upstream, the
 * response forwarded to the client, and fanout's own error responses.
 * Output is deterministic (fields in the order received, added fields in a
 * fixed order) and never goes past the caller's capacity.
 */
#include <errno.h>
#include <string.h>

#include "fo_http.h"
#include "http_priv.h"

/* An output buffer that remembers it ran out rather than checking each put. */
struct wbuf {
	uint8_t *p;
	size_t left;
	int full;
};

static void
put(struct wbuf *w, const void *s, size_t n)
{
	if (n > w->left) {
		w->full = 1;
		w->left = 0;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
	w->left -= n;
}

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

static void
put_span(struct wbuf *w, const uint8_t *head, struct fo_http_span s)
{
	put(w, head + s.off, s.len);
}

static void
put_u64(struct wbuf *w, uint64_t v)
{
	char d[20];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	put(w, d + i, sizeof(d) - i);
}

/* dotted quad of an IPv4 address in network byte order, into @p d; its length */
static size_t
fmt_ip4(char d[16], uint32_t addr_be)
{
	const uint8_t *b = (const uint8_t *)&addr_be;
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (i != 0)
			d[n++] = '.';
		if (v >= 100)
			d[n++] = (char)('0' + v / 100);
		if (v >= 10)
			d[n++] = (char)('0' + v / 10 % 10);
		d[n++] = (char)('0' + v % 10);
	}
	return n;
}

/* A field line as received, its ending normalised to CRLF. */
static void
put_line(struct wbuf *w, const uint8_t *head, const struct fo_http_hdr *h)
{
	size_t n = h->line.len - 1; /* without the LF */

	if (n != 0 && head[h->line.off + n - 1] == '\r') {
		put(w, head + h->line.off, n + 1); /* CRLF already: one copy */
		return;
	}
	put(w, head + h->line.off, n);
	PUTS(w, "\r\n");
}

/* "Host: <authority>" from msg->host (the absolute-form authority, or the Host value),
 * or the route's rewritten host. */
static void
put_host(struct wbuf *w, const uint8_t *head, const struct fo_http_msg *msg,
	const struct fo_http_fwd *fwd)
{
	PUTS(w, "Host: ");
	if (fwd->host != NULL)
		put(w, fwd->host, fwd->host_len);
	else
		put_span(w, head, msg->host);
	PUTS(w, "\r\n");
}

/* "Content-Length: <decimal>", from the parsed value. */
static void
put_content_length(struct wbuf *w, const struct fo_http_msg *msg)
{
	PUTS(w, "Content-Length: ");
	put_u64(w, msg->content_length);
	PUTS(w, "\r\n");
}

/* 1 + the index of @p h in msg->hdrs (the encoding of hdr_first[]). */
static unsigned
hdr_index(const struct fo_http_msg *msg, const struct fo_http_hdr *h)
{
	return (unsigned)(h - msg->hdrs) + 1;
}

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
static int
keep_field(const uint8_t *head, const struct fo_http_msg *msg, const struct fo_http_hdr *h,
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
static int
mod_drops(const uint8_t *head, const struct fo_http_hdr *h, const struct fo_http_mod *mods,
	unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (mods[i].op != FO_HTTP_MOD_ADD && mods[i].name_len == h->name.len &&
			span_caseeq((const uint8_t *)mods[i].name, head + h->name.off, h->name.len))
			return 1;
	return 0;
}

/* "<name>: <value>" for each SET and ADD, in list order. */
static void
put_mods(struct wbuf *w, const struct fo_http_mod *mods, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (mods[i].op == FO_HTTP_MOD_REMOVE)
			continue;
		put(w, mods[i].name, mods[i].name_len);
		PUTS(w, ": ");
		put(w, mods[i].value, mods[i].value_len);
		PUTS(w, "\r\n");
	}
}

ssize_t
fo_http_write_request(uint8_t *out, size_t cap, const uint8_t *head,
	const struct fo_http_msg *req, const struct fo_http_fwd *fwd)
{
	struct wbuf w = {out, cap, 0};
	int upgrade = (fwd->flags & FO_HTTP_FWD_UPGRADE) != 0;
	int drop_underscores = (req->flags & FO_HTTP_F_UNDERSCORE) &&
			       !(fwd->flags & FO_HTTP_FWD_UNDERSCORES);
	const unsigned n_mods = fwd->n_mods; /* in a register: the writes below alias *fwd */
	char ip[16];
	size_t ip_len;
	unsigned i;

	put_span(&w, head, req->method_s);
	PUTS(&w, " ");
	if (fwd->path != NULL && fwd->path_len != 0) {
		/*
		 * A rewrite with its own query ("/new?a=1") gets the request's
		 * after it with '&'; one ending with '?' drops the request's
		 * (nginx's rewrite). A '?' here comes from the config: captures
		 * are escaped by lib/route.
		 */
		const char *q = memchr(fwd->path, '?', fwd->path_len);

		if (q == NULL) {
			put(&w, fwd->path, fwd->path_len);
		} else if (q == fwd->path + fwd->path_len - 1) {
			if (fwd->path_len > 1)
				put(&w, fwd->path, fwd->path_len - 1);
			else
				PUTS(&w, "/");
			goto query_done;
		} else {
			put(&w, fwd->path, fwd->path_len);
			if (req->query.len != 0) {
				PUTS(&w, "&");
				put_span(&w, head, req->query);
			}
			goto query_done;
		}
	} else if (fwd->path == NULL && req->path.len != 0) {
		put_span(&w, head, req->path);
	} else {
		PUTS(&w, "/"); /* absolute-form without a path, or an empty rewrite */
	}
	if (req->query.len != 0) {
		PUTS(&w, "?");
		put_span(&w, head, req->query);
	}
query_done:
	if (req->version_minor == 0)
		PUTS(&w, " HTTP/1.0\r\n");
	else
		PUTS(&w, " HTTP/1.1\r\n");
	/* an HTTP/1.0 absolute-form request without Host: its authority */
	if (req->hdr_first[FO_HTTP_H_HOST] == 0 && (req->host.len != 0 || fwd->host != NULL))
		put_host(&w, head, req, fwd);

	for (i = 0; i < req->n_headers; i++) {
		const struct fo_http_hdr *h = &req->hdrs[i];

		if (drop_underscores && fo_http_hdr_underscore(head, h))
			continue;
		if (n_mods != 0 && h->id == FO_HTTP_H_OTHER && mod_drops(head, h, fwd->mods, n_mods))
			continue;
		switch (h->id) {
		case FO_HTTP_H_HOST:
			/* the authority of an absolute-form target replaces Host
			 * (RFC 9112 3.2.2): the next hop routes on what fanout did */
			if ((req->flags & FO_HTTP_F_ABSOLUTE_FORM) || fwd->host != NULL)
				put_host(&w, head, req, fwd);
			else
				put_line(&w, head, h);
			continue;
		case FO_HTTP_H_CONTENT_LENGTH:
			/* one field, in canonical decimal ("010", "5, 5" or two
			 * fields say the same thing, but not to every server) */
			if (hdr_index(req, h) == req->hdr_first[FO_HTTP_H_CONTENT_LENGTH])
				put_content_length(&w, req);
			continue;
		case FO_HTTP_H_TRANSFER_ENCODING:
			/* a valid request has exactly one, saying chunked: fanout
			 * re-frames the body (fo_http_body_next()), so it says so
			 * in its own words */
			if (req->flags & FO_HTTP_F_CHUNKED)
				PUTS(&w, "Transfer-Encoding: chunked\r\n");
			continue;
		case FO_HTTP_H_EXPECT: /* fanout answers 100-continue itself */
		case FO_HTTP_H_X_FORWARDED_FOR:
		case FO_HTTP_H_X_FORWARDED_PROTO:
		case FO_HTTP_H_X_FORWARDED_HOST:
		case FO_HTTP_H_X_FORWARDED_PORT:
		case FO_HTTP_H_X_REAL_IP:
			continue;
		default:
			if (keep_field(head, req, h, upgrade))
				put_line(&w, head, h);
		}
	}

	if (n_mods != 0)
		put_mods(&w, fwd->mods, n_mods);
	PUTS(&w, "X-Forwarded-For: ");
	/* hdr_first: the index of the first one; none, no second walk */
	for (i = req->hdr_first[FO_HTTP_H_X_FORWARDED_FOR]; i != 0 && i <= req->n_headers; i++) {
		const struct fo_http_hdr *h = &req->hdrs[i - 1];

		if (h->id != FO_HTTP_H_X_FORWARDED_FOR || h->value.len == 0)
			continue;
		put_span(&w, head, h->value);
		PUTS(&w, ", ");
	}
	ip_len = fmt_ip4(ip, fwd->client_addr);
	put(&w, ip, ip_len);
	PUTS(&w, "\r\nX-Real-IP: ");
	put(&w, ip, ip_len);
	PUTS(&w, "\r\n");
	if (req->host.len != 0) {
		PUTS(&w, "X-Forwarded-Host: ");
		put_span(&w, head, req->host);
		PUTS(&w, "\r\n");
	}
	PUTS(&w, "X-Forwarded-Port: ");
	put_u64(&w, fwd->server_port);
	if (fwd->flags & FO_HTTP_FWD_HTTPS)
		PUTS(&w, "\r\nX-Forwarded-Proto: https\r\n");
	else
		PUTS(&w, "\r\nX-Forwarded-Proto: http\r\n");
	if (req->hdr_first[FO_HTTP_H_X_REQUEST_ID] == 0 && fwd->request_id != NULL &&
		fwd->request_id_len != 0) {
		PUTS(&w, "X-Request-ID: ");
		put(&w, fwd->request_id, fwd->request_id_len);
		PUTS(&w, "\r\n");
	}
	if (upgrade)
		PUTS(&w, "Connection: upgrade\r\n");
	else if (fwd->flags & FO_HTTP_FWD_CLOSE)
		PUTS(&w, "Connection: close\r\n");
	PUTS(&w, "\r\n");
	return w.full ? -ENOSPC : (ssize_t)(w.p - out);
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
	struct wbuf w = {out, cap, 0};
	int upgrade = (flags & FO_HTTP_RESP_UPGRADE) != 0;
	/* a proxy drops Content-Length beside Transfer-Encoding (RFC 9112 6.3) */
	int drop_cl = (resp->flags & (FO_HTTP_F_CHUNKED | FO_HTTP_F_TE_OTHER)) != 0;
	unsigned i;

	put(&w, head, (size_t)resp->reason.off + resp->reason.len);
	PUTS(&w, "\r\n");
	for (i = 0; i < resp->n_headers; i++) {
		const struct fo_http_hdr *h = &resp->hdrs[i];

		if (h->id == FO_HTTP_H_CONTENT_LENGTH) {
			if (!drop_cl &&
				hdr_index(resp, h) == resp->hdr_first[FO_HTTP_H_CONTENT_LENGTH])
				put_content_length(&w, resp);
			continue;
		}
		if (n_mods != 0 && h->id == FO_HTTP_H_OTHER && mod_drops(head, h, mods, n_mods))
			continue;
		if (keep_field(head, resp, h, upgrade))
			put_line(&w, head, h);
	}
	if (n_mods != 0)
		put_mods(&w, mods, n_mods);
	if (upgrade)
		PUTS(&w, "Connection: upgrade\r\n");
	else if (flags & FO_HTTP_RESP_CLOSE)
		PUTS(&w, "Connection: close\r\n");
	PUTS(&w, "\r\n");
	return w.full ? -ENOSPC : (ssize_t)(w.p - out);
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
	struct wbuf w = {out, cap, 0};
	const char *reason = fo_http_reason(status);
	size_t rlen = strlen(reason), dlen = detail != NULL ? strlen(detail) : 0;
	/* "<status> <reason>[: <detail>]\n" */
	size_t body = dec_len(status) + 1 + rlen + (detail != NULL ? 2 + dlen : 0) + 1;

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
	return w.full ? -ENOSPC : (ssize_t)(w.p - out);
}

ssize_t
fo_http_write_redirect(uint8_t *out, size_t cap, unsigned status, const struct fo_http_str *loc,
	unsigned n_loc, int close, int head_only)
{
	struct wbuf w = {out, cap, 0};
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
	return w.full ? -ENOSPC : (ssize_t)(w.p - out);
}

ssize_t
fo_http_write_chunk_line(uint8_t *out, size_t cap, int close_prev, uint64_t size)
{
	static const char hex[] = "0123456789abcdef";
	struct wbuf w = {out, cap, 0};
	char d[16];
	size_t i = sizeof(d);

	if (close_prev)
		PUTS(&w, "\r\n");
	do {
		d[--i] = hex[size & 0xf];
		size >>= 4;
	} while (size != 0);
	put(&w, d + i, sizeof(d) - i);
	PUTS(&w, "\r\n");
	return w.full ? -ENOSPC : (ssize_t)(w.p - out);
}
