/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP peers for the in-process wire (wire_http.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "wire_http.h"

#define ORIGIN_CONNS 256

/* Copy a received chain into buf (bounded), free it. @return bytes copied. */
static size_t
take(struct rte_mbuf *m, char *buf, size_t room)
{
	size_t n = 0;
	struct rte_mbuf *s;

	for (s = m; s != NULL; s = s->next) {
		size_t k = s->data_len;

		if (k > room - n)
			k = room - n;
		memcpy(buf + n, rte_pktmbuf_mtod(s, const char *), k);
		n += k;
	}
	rte_pktmbuf_free(m);
	return n;
}

static int
send_bytes(struct wire_host *h, struct fo_tcp_conn *c, const void *data, size_t len)
{
	struct rte_mempool *mp = h->net->pool;
	struct rte_mbuf *head = NULL, *prev = NULL;
	size_t off = 0;
	ssize_t rc;

	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		size_t k;

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return -ENOMEM;
		}
		k = RTE_MIN(len - off, (size_t)rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_append(m, (uint16_t)k), (const char *)data + off, k);
		off += k;
		if (head == NULL) {
			head = m;
		} else {
			prev->next = m;
			head->nb_segs++;
			head->pkt_len += (uint32_t)k;
		}
		prev = m;
	}
	rc = fo_tcp_send(c, head);
	if (rc < 0) {
		rte_pktmbuf_free(head);
		return (int)rc;
	}
	return 0;
}

/* ---- origin ---- */

static uint64_t
content_length(const char *head, size_t len)
{
	const char *p = head, *end = head + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			break;
		if ((size_t)(nl - p) > 15 && strncasecmp(p, "content-length:", 15) == 0)
			return strtoull(p + 15, NULL, 10);
		p = nl + 1;
	}
	return 0;
}

static int
is_chunked(const char *head, size_t len)
{
	const char *p = head, *end = head + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL)
			break;
		if ((size_t)(nl - p) > 18 && strncasecmp(p, "transfer-encoding:", 18) == 0)
			return 1;
		p = nl + 1;
	}
	return 0;
}

/* Body bytes consumed: kept in last_body, dropped from the buffer. */
static void
origin_take_body(struct wire_origin_conn *oc, size_t n)
{
	struct wire_origin *o = oc->o;
	size_t k = n < sizeof(o->last_body) - 1 - o->last_body_len
			   ? n
			   : sizeof(o->last_body) - 1 - o->last_body_len;

	memcpy(o->last_body + o->last_body_len, oc->buf, k);
	o->last_body_len += k;
	o->last_body[o->last_body_len] = '\0';
	memmove(oc->buf, oc->buf + n, oc->len - n);
	oc->len -= n;
}

/*
 * The next chunk of a chunked body, whole: @return 1 consumed (oc->chunked
 * cleared after the last one), 0 need more. Lenient: test code.
 */
static int
origin_chunk(struct wire_origin_conn *oc)
{
	char *eol = memmem(oc->buf, oc->len, "\r\n", 2), *eot;
	uint64_t size;

	if (eol == NULL)
		return 0;
	size = strtoull(oc->buf, NULL, 16);
	if (size == 0) {
		eot = memmem(oc->buf, oc->len, "\r\n\r\n", 4);
		if (eot == NULL)
			return 0;
		origin_take_body(oc, (size_t)(eot - oc->buf) + 4);
		oc->chunked = 0;
		return 1;
	}
	if (oc->len < (size_t)(eol - oc->buf) + 2 + size + 2)
		return 0;
	origin_take_body(oc, (size_t)(eol - oc->buf) + 2 + size + 2);
	return 1;
}

static void
origin_readable(struct fo_tcp_conn *c, void *user)
{
	struct wire_origin_conn *oc = user;
	struct wire_origin *o = oc->o;
	struct rte_mbuf *m;
	ssize_t n;

	for (;;) {
		char *eoh;

		n = fo_tcp_recv(c, &m, (uint32_t)(sizeof(oc->buf) - oc->len));
		if (n == 0) {
			o->eofs++;
			fo_tcp_close(c);
			oc->c = NULL;
			return;
		}
		if (n < 0)
			break;
		oc->len += take(m, oc->buf + oc->len, sizeof(oc->buf) - oc->len);
		for (;;) {
			size_t hl, used;

			if (oc->body_left != 0) {
				used = oc->body_left < oc->len ? oc->body_left : oc->len;
				oc->body_left -= used;
				origin_take_body(oc, used);
				if (oc->body_left != 0)
					break;
				goto answer;
			}
			if (oc->chunked) {
				if (!origin_chunk(oc))
					break;
				if (!oc->chunked)
					goto answer;
				continue;
			}
			eoh = memmem(oc->buf, oc->len, "\r\n\r\n", 4);
			if (eoh == NULL)
				break;
			hl = (size_t)(eoh - oc->buf) + 4;
			o->last_head_len = hl < sizeof(o->last_head) ? hl : sizeof(o->last_head) - 1;
			memcpy(o->last_head, oc->buf, o->last_head_len);
			o->last_head[o->last_head_len] = '\0';
			oc->body_left = content_length(oc->buf, hl);
			oc->chunked = is_chunked(oc->buf, hl);
			o->last_body_len = 0;
			o->last_body[0] = '\0';
			memmove(oc->buf, oc->buf + hl, oc->len - hl);
			oc->len -= hl;
			o->requests++;
			oc->close_after = o->honour_close &&
				memmem(o->last_head, o->last_head_len, "\r\nConnection: close\r\n", 21);
			if (oc->body_left != 0 || oc->chunked)
				continue;
		answer:
			if (o->hold) {
				oc->held++;
				continue;
			}
			send_bytes(o->h, c, o->response, o->response_len);
			if (oc->close_after) {
				fo_tcp_shutdown(c);
				oc->close_after = 0;
			}
		}
	}
}

static void
origin_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct wire_origin_conn *oc = user;

	if (why == FO_TCP_CLOSE_RESET)
		oc->o->closed_reset++;
	oc->c = NULL;
}

static int origin_accept(struct fo_tcp_conn *c, void *arg);

static const struct fo_tcp_ops origin_ops = {
	.accept = origin_accept,
	.readable = origin_readable,
	.closed = origin_closed,
};

static int
origin_accept(struct fo_tcp_conn *c, void *arg)
{
	struct wire_origin *o = arg;
	unsigned i;

	for (i = 0; i < ORIGIN_CONNS; i++) {
		struct wire_origin_conn *oc = &o->conns[i];

		if (oc->c == NULL) {
			oc->c = c;
			oc->o = o;
			oc->len = 0;
			oc->body_left = 0;
			oc->chunked = 0;
			oc->held = 0;
			o->conns_accepted++;
			fo_tcp_set_user(c, oc);
			return 0;
		}
	}
	return -ENOMEM;
}

int
wire_origin_start(struct wire_origin *o, struct wire_host *h, uint16_t port, const char *response)
{
	memset(o, 0, sizeof(*o));
	o->h = h;
	o->response = response;
	o->response_len = strlen(response);
	o->conns = calloc(ORIGIN_CONNS, sizeof(*o->conns));
	if (o->conns == NULL)
		return -ENOMEM;
	o->n_conns = ORIGIN_CONNS;
	return fo_tcp_listen(h->tw, h->addr, port, &origin_ops, o);
}

unsigned
wire_origin_release(struct wire_origin *o)
{
	unsigned i, n = 0;

	o->hold = 0;
	for (i = 0; i < o->n_conns; i++) {
		struct wire_origin_conn *oc = &o->conns[i];

		for (; oc->held != 0; oc->held--, n++)
			if (oc->c != NULL)
				send_bytes(o->h, oc->c, o->response, o->response_len);
	}
	return n;
}

void
wire_origin_free(struct wire_origin *o)
{
	free(o->conns);
	o->conns = NULL;
}

/* ---- client ---- */

/* Complete responses at the start of rx (status + Content-Length framing). */
static void
client_consume(struct wire_client_conn *cc)
{
	struct wire_client *cl = cc->cl;

	for (;;) {
		char *eoh = memmem(cc->rx, cc->rx_len, "\r\n\r\n", 4);
		size_t hl, total;
		uint64_t cl_len;

		if (eoh == NULL)
			return;
		hl = (size_t)(eoh - cc->rx) + 4;
		cl_len = content_length(cc->rx, hl);
		total = hl + cl_len;
		if (cc->rx_len < total)
			return;
		if (strncmp(cc->rx, "HTTP/1.1 200", 12) != 0)
			cl->bad++;
		memmove(cc->rx, cc->rx + total, cc->rx_len - total);
		cc->rx_len -= total;
		cc->responses++;
		cl->responses++;
		if (cl->request != NULL && cl->sent < cl->target && cc->c != NULL &&
			send_bytes(cl->h, cc->c, cl->request, cl->request_len) == 0)
			cl->sent++;
	}
}

static void
client_readable(struct fo_tcp_conn *c, void *user)
{
	struct wire_client_conn *cc = user;
	struct rte_mbuf *m;
	ssize_t n;

	for (;;) {
		n = fo_tcp_recv(c, &m, (uint32_t)(sizeof(cc->rx) - cc->rx_len));
		if (n == 0) {
			cc->eof = 1;
			return;
		}
		if (n < 0)
			break;
		cc->rx_len += take(m, cc->rx + cc->rx_len, sizeof(cc->rx) - cc->rx_len);
		if (cc->cl->request != NULL)
			client_consume(cc);
	}
}

static void
client_connected(struct fo_tcp_conn *c, void *user)
{
	struct wire_client_conn *cc = user;

	cc->connected = 1;
	if (cc->cl->request != NULL && cc->cl->sent < cc->cl->target &&
		send_bytes(cc->cl->h, c, cc->cl->request, cc->cl->request_len) == 0)
		cc->cl->sent++;
}

static void
client_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct wire_client_conn *cc = user;

	cc->closed = 1 + (int)why;
	cc->c = NULL;
}

static const struct fo_tcp_ops client_ops = {
	.connected = client_connected,
	.readable = client_readable,
	.closed = client_closed,
};

int
wire_client_open(struct wire_client *cl, struct wire_host *h, rte_be32_t dst, uint16_t port,
	unsigned n)
{
	unsigned i;

	memset(cl, 0, sizeof(*cl));
	cl->h = h;
	cl->dst = dst;
	cl->port = port;
	cl->n = n;
	cl->conns = calloc(n, sizeof(*cl->conns));
	if (cl->conns == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct wire_client_conn *cc = &cl->conns[i];

		cc->cl = cl;
		cc->c = fo_tcp_connect(h->tw, h->addr, dst, port, &client_ops, cc);
		if (cc->c == NULL)
			return -errno;
	}
	return 0;
}

int
wire_client_send(struct wire_client *cl, unsigned i, const void *data, size_t len)
{
	if (i >= cl->n || cl->conns[i].c == NULL)
		return -ENOTCONN;
	return send_bytes(cl->h, cl->conns[i].c, data, len);
}

void
wire_client_loop(struct wire_client *cl, const char *request, uint64_t target)
{
	unsigned i;

	cl->request = request;
	cl->request_len = strlen(request);
	cl->target = target;
	for (i = 0; i < cl->n && cl->sent < target; i++)
		if (cl->conns[i].connected && cl->conns[i].c != NULL &&
			send_bytes(cl->h, cl->conns[i].c, request, cl->request_len) == 0)
			cl->sent++;
}

void
wire_client_free(struct wire_client *cl)
{
	free(cl->conns);
	cl->conns = NULL;
}
