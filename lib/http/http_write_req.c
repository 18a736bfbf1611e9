/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The request head fanout sends upstream (fo_http_write_request()): the
 * request line, the client's fields filtered, then the fields fanout adds.
 * Fields that go on unchanged are copied in runs (http_write_priv.h); the
 * added fields that depend only on the connection are formatted once per
 * connection (struct fo_http_fwd_conn).
 */
#include <errno.h>
#include <string.h>

#include "fo_http.h"
#include "http_priv.h"
#include "http_write_priv.h"

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

/* "Host: <authority>" from msg->host (the absolute-form authority, or the Host value),
 * or the route's rewritten host. */
WINLINE void
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

void
fo_http_fwd_conn_init(
	struct fo_http_fwd_conn *c, uint32_t client_addr, uint16_t server_port, int https)
{
	static const char xff[] = "X-Forwarded-For: ", xri[] = "\r\nX-Real-IP: ";
	static const char xfp[] = "X-Forwarded-Port: ", xfpr[] = "\r\nX-Forwarded-Proto: ";
	char ip[16], d[20];
	size_t ip_len = fmt_ip4(ip, client_addr), n = 0, k;

	memcpy(c->ip + n, xff, sizeof(xff) - 1);
	n += sizeof(xff) - 1;
	memcpy(c->ip + n, ip, ip_len);
	n += ip_len;
	memcpy(c->ip + n, xri, sizeof(xri) - 1);
	n += sizeof(xri) - 1;
	memcpy(c->ip + n, ip, ip_len);
	n += ip_len;
	memcpy(c->ip + n, "\r\n", 2);
	c->ip_len = (uint8_t)(n + 2);

	n = 0;
	memcpy(c->tail + n, xfp, sizeof(xfp) - 1);
	n += sizeof(xfp) - 1;
	k = fmt_u64(d, server_port);
	memcpy(c->tail + n, d + sizeof(d) - k, k);
	n += k;
	memcpy(c->tail + n, xfpr, sizeof(xfpr) - 1);
	n += sizeof(xfpr) - 1;
	memcpy(c->tail + n, https ? "https\r\n" : "http\r\n", https ? 7 : 6);
	c->tail_len = (uint8_t)(n + (https ? 7 : 6));
	c->client_addr = client_addr;
	c->server_port = server_port;
	c->https = https != 0;
}

/*
 * The request line when it goes on as received: no path rewrite, an
 * origin-form (or asterisk-form) target that is exactly path ['?' query],
 * single spaces, CRLF. Its length from method_s.off, or 0.
 */
static size_t
req_line_as_is(const uint8_t *head, const struct fo_http_msg *req)
{
	size_t m_end = (size_t)req->method_s.off + req->method_s.len;
	size_t t_end = (size_t)req->target.off + req->target.len;
	const uint8_t *v = head + t_end;

	if (req->target.off != req->path.off || req->path.len == 0 ||
		req->target.len !=
			req->path.len + (req->query.len != 0 ? req->query.len + 1u : 0u) ||
		m_end + 1 != req->target.off || head[m_end] != ' ' ||
		memcmp(v, " HTTP/1.", 8) != 0 || v[8] != '0' + req->version_minor || v[9] != '\r')
		return 0;
	return t_end + 11 - req->method_s.off;
}

/* A piece of struct fo_http_fwd_conn (32..64 bytes when fo_http_fwd_conn_init() made it). */
WINLINE void
put_piece(struct wbuf *w, const char *s, size_t n)
{
	run_flush(w);
	if (LIKELY(n - 32 <= 32))
		put_raw_32_64(w, s, n);
	else
		put_raw(w, s, n);
}

/* The path @p path, '?' and the request's query (if any), " HTTP/1.x" CRLF: one reservation. */
WINLINE void
put_target_end(struct wbuf *w, const uint8_t *path, size_t len, const uint8_t *head,
	const struct fo_http_msg *req)
{
	size_t q = req->query.len, n = len + (q != 0 ? q + 1 : 0);
	uint8_t *p = put_reserve(w, n + 11);

	if (p == NULL)
		return;
	copy_bytes(p, path, len);
	if (q != 0) {
		p[len] = '?';
		copy_bytes(p + len + 1, head + req->query.off, q);
	}
	memcpy(p + n, req->version_minor == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n", 11);
}

/*
 * memchr(s, '?', n). A rewritten path of 8 to 16 bytes (most) is two
 * overlapping words, each tested for a '?' byte without a call: the lowest
 * flag of (x - 0x01..) & ~x & 0x80.. is exact (a borrow only flags bytes
 * above a true zero byte).
 */
static inline const char *
find_qmark(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, qm = 0x3f3f3f3f3f3f3f3full;
	uint64_t x;

	if (n - 8 > 8)
		return memchr(s, '?', n);
	x = load64(s) ^ qm;
	x = (x - ones) & ~x & (ones << 7);
	if (x != 0)
		return s + __builtin_ctzll(x) / 8;
	x = load64(s + n - 8) ^ qm;
	x = (x - ones) & ~x & (ones << 7);
	return x != 0 ? s + n - 8 + __builtin_ctzll(x) / 8 : NULL;
}

/* The request line: method, the path to send with the query, the version. */
WINLINE void
put_req_line(struct wbuf *w, const uint8_t *head, const struct fo_http_msg *req,
	const struct fo_http_fwd *fwd)
{
	size_t n;

	if (fwd->path == NULL && (n = req_line_as_is(head, req)) != 0) {
		put_run(w, head + req->method_s.off, n);
		return;
	}
	if (head[req->method_s.off + req->method_s.len] == ' ') {
		put_run(w, head + req->method_s.off, req->method_s.len + 1u);
	} else {
		put_span(w, head, req->method_s);
		PUTS(w, " ");
	}
	if (fwd->path != NULL && fwd->path_len != 0) {
		/*
		 * A rewrite with its own query ("/new?a=1") gets the request's
		 * after it with '&'; one ending with '?' drops the request's
		 * (nginx's rewrite). A '?' here comes from the config: captures
		 * are escaped by lib/route.
		 */
		const char *q = find_qmark(fwd->path, fwd->path_len);

		if (q == NULL) {
			put_target_end(w, (const uint8_t *)fwd->path, fwd->path_len, head, req);
			return;
		} else if (q == fwd->path + fwd->path_len - 1) {
			if (fwd->path_len > 1)
				put(w, fwd->path, fwd->path_len - 1);
			else
				PUTS(w, "/");
			goto query_done;
		} else {
			put(w, fwd->path, fwd->path_len);
			if (req->query.len != 0) {
				PUTS(w, "&");
				put_span(w, head, req->query);
			}
			goto query_done;
		}
	} else if (fwd->path == NULL && req->path.len != 0) {
		put_target_end(w, head + req->path.off, req->path.len, head, req);
		return;
	} else {
		PUTS(w, "/"); /* absolute-form without a path, or an empty rewrite */
	}
	if (req->query.len != 0) {
		PUTS(w, "?");
		put_span(w, head, req->query);
	}
query_done:
	if (req->version_minor == 0)
		PUTS(w, " HTTP/1.0\r\n");
	else
		PUTS(w, " HTTP/1.1\r\n");
}

ssize_t
fo_http_write_request(uint8_t *out, size_t cap, const uint8_t *head, const struct fo_http_msg *req,
	const struct fo_http_fwd *fwd)
{
	struct wbuf w;
	int upgrade = (fwd->flags & FO_HTTP_FWD_UPGRADE) != 0;
	int drop_underscores =
		(req->flags & FO_HTTP_F_UNDERSCORE) && !(fwd->flags & FO_HTTP_FWD_UNDERSCORES);
	const unsigned n_mods = fwd->n_mods; /* in a register: the writes below alias *fwd */
	/* no field is dropped by its name alone: an unknown one goes on as it is */
	/*
	 * When no field is dropped by its name alone (no '_' to drop, no
	 * modifier, no name in Connection), its id says what becomes of it:
	 * ids in @p keep go on as received, ids in @p drop do not, the others
	 * are looked at below. Otherwise every field is.
	 */
	uint32_t keep = 0, drop = 0;
	const struct fo_http_fwd_conn *conn = fwd->conn;
	struct fo_http_fwd_conn own;
	const struct fo_http_hdr *h, *e = req->hdrs + req->n_headers;
	unsigned i;

	if (!drop_underscores && n_mods == 0 && !(req->flags & FO_HTTP_F_CONN_OTHER)) {
		keep = HBIT(FO_HTTP_H_OTHER) | HBIT(FO_HTTP_H_X_REQUEST_ID);
		drop = HBITS_HOP | HBIT(FO_HTTP_H_EXPECT) | HBIT(FO_HTTP_H_X_FORWARDED_FOR) |
		       HBIT(FO_HTTP_H_X_FORWARDED_PROTO) | HBIT(FO_HTTP_H_X_FORWARDED_HOST) |
		       HBIT(FO_HTTP_H_X_FORWARDED_PORT) | HBIT(FO_HTTP_H_X_REAL_IP);
		if (!(req->flags & FO_HTTP_F_ABSOLUTE_FORM) && fwd->host == NULL)
			keep |= HBIT(FO_HTTP_H_HOST);
		if (upgrade)
			keep |= HBIT(FO_HTTP_H_UPGRADE);
		else
			drop |= HBIT(FO_HTTP_H_UPGRADE);
	}
	wbuf_init(&w, out, cap, head);
	put_req_line(&w, head, req, fwd);
	/* an HTTP/1.0 absolute-form request without Host: its authority */
	if (req->hdr_first[FO_HTTP_H_HOST] == 0 && (req->host.len != 0 || fwd->host != NULL))
		put_host(&w, head, req, fwd);

	for (h = req->hdrs; h < e; h++) {
		const uint8_t *l = head + h->line.off;

		if (LIKELY(keep & HBIT(h->id))) {
			/* mostly right after the run, ending in CRLF (lines have 3+ bytes) */
			if (LIKELY(l == w.run_end && l[h->line.len - 2] == '\r'))
				w.run_end = l + h->line.len;
			else
				put_line(&w, head, h);
			continue;
		}
		if (drop & HBIT(h->id))
			continue;
		if (drop_underscores && fo_http_hdr_underscore(head, h))
			continue;
		if (n_mods != 0 && h->id == FO_HTTP_H_OTHER &&
			fo_http_mod_drops(head, h, fwd->mods, n_mods))
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
				put_content_length(&w, head, req, h);
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
			if (fo_http_keep_field(head, req, h, upgrade))
				put_line(&w, head, h);
		}
	}

	if (n_mods != 0)
		put_mods(&w, fwd->mods, n_mods);
	if (conn == NULL) {
		fo_http_fwd_conn_init(&own, fwd->client_addr, fwd->server_port,
			(fwd->flags & FO_HTTP_FWD_HTTPS) != 0);
		conn = &own;
	}
	/* "X-Forwarded-For: [<v1>, ...,] <client>", "X-Real-IP: <client>" */
	if (req->hdr_first[FO_HTTP_H_X_FORWARDED_FOR] == 0) {
		put_piece(&w, conn->ip, conn->ip_len);
	} else {
		put(&w, conn->ip, FO_HTTP_XFF_LEN);
		/* hdr_first: the index of the first one */
		for (i = req->hdr_first[FO_HTTP_H_X_FORWARDED_FOR]; i <= req->n_headers; i++) {
			h = &req->hdrs[i - 1];
			if (h->id != FO_HTTP_H_X_FORWARDED_FOR || h->value.len == 0)
				continue;
			put_span(&w, head, h->value);
			PUTS(&w, ", ");
		}
		put(&w, conn->ip + FO_HTTP_XFF_LEN, conn->ip_len - FO_HTTP_XFF_LEN);
	}
	if (req->host.len != 0) {
		/* "X-Forwarded-Host: <host>" CRLF */
		uint8_t *p = put_reserve(&w, 20u + req->host.len);

		if (p != NULL) {
			memcpy(p, "X-Forwarded-Host: ", 18);
			copy_bytes(p + 18, head + req->host.off, req->host.len);
			memcpy(p + 18 + req->host.len, "\r\n", 2);
		}
	}
	put_piece(&w, conn->tail, conn->tail_len); /* X-Forwarded-Port, X-Forwarded-Proto */
	if (req->hdr_first[FO_HTTP_H_X_REQUEST_ID] == 0 && fwd->request_id != NULL &&
		fwd->request_id_len != 0) {
		if (LIKELY(fwd->request_id_len == 32)) {
			/* fanout's own: the line in one go */
			uint8_t *p = put_reserve(&w, 14 + 32 + 2);

			if (p != NULL) {
				memcpy(p, "X-Request-ID: ", 14);
				memcpy(p + 14, fwd->request_id, 32);
				memcpy(p + 46, "\r\n", 2);
			}
		} else {
			PUTS(&w, "X-Request-ID: ");
			put(&w, fwd->request_id, fwd->request_id_len);
			PUTS(&w, "\r\n");
		}
	}
	if (upgrade)
		PUTS(&w, "Connection: upgrade\r\n");
	else if (fwd->flags & FO_HTTP_FWD_CLOSE)
		PUTS(&w, "Connection: close\r\n");
	PUTS(&w, "\r\n");
	return wbuf_end(&w, out);
}
