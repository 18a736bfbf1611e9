/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mbuf chains as the proxy moves them: split at any byte without copying
 * (the segment holding the cut is shared through an indirect mbuf), drop a
 * prefix, cut on segment boundaries to fit a send buffer, copy the heads
 * fanout writes into fresh mbufs, make a head contiguous, and run a body
 * framer over a chain to find where the message ends, re-framing a
 * chunked body on the way (the data is moved, never copied: only the new
 * chunk lines are written, into small fresh mbufs).
 */
#include <errno.h>
#include <string.h>

#include "proxy_priv.h"

/* Recompute pkt_len and nb_segs of a chain head. */
static void
chain_fix(struct rte_mbuf *m)
{
	struct rte_mbuf *s;
	uint32_t len = 0;
	uint16_t n = 0;

	for (s = m; s != NULL; s = s->next) {
		len += s->data_len;
		n++;
	}
	m->pkt_len = len;
	m->nb_segs = n;
}

static void
seg_free(struct rte_mbuf *m)
{
	m->next = NULL;
	m->nb_segs = 1;
	m->pkt_len = m->data_len;
	rte_pktmbuf_free(m);
}

int
px_chain_split(
	struct fo_proxy_worker *pw, struct rte_mbuf **head, uint32_t n, struct rte_mbuf **front)
{
	struct rte_mbuf *h = *head, *m = h, *prev = NULL, *mi;
	uint32_t sum = 0;

	if (n == 0) {
		*front = NULL;
		return 0;
	}
	if (n >= h->pkt_len) {
		*front = h;
		*head = NULL;
		return 0;
	}
	while (sum + m->data_len <= n) {
		sum += m->data_len;
		prev = m;
		m = m->next;
	}
	if (sum == n) {
		/* on a segment boundary: just unlink */
		prev->next = NULL;
		chain_fix(h);
		chain_fix(m);
		*front = h;
		*head = m;
		return 0;
	}
	/* the cut is inside m: its first bytes go through an indirect mbuf */
	mi = rte_pktmbuf_alloc(pw->pool);
	if (mi == NULL) {
		pw->stats.nombuf++;
		return -ENOBUFS;
	}
	rte_pktmbuf_attach(mi, m);
	mi->data_len = (uint16_t)(n - sum);
	m->data_off = (uint16_t)(m->data_off + mi->data_len);
	m->data_len = (uint16_t)(m->data_len - mi->data_len);
	if (prev != NULL) {
		prev->next = mi;
		chain_fix(h);
		*front = h;
	} else {
		mi->pkt_len = mi->data_len;
		mi->nb_segs = 1;
		*front = mi;
	}
	chain_fix(m);
	*head = m;
	return 0;
}

void
px_chain_adj(struct rte_mbuf **head, uint32_t n)
{
	struct rte_mbuf *m = *head;

	while (m != NULL && n >= m->data_len) {
		struct rte_mbuf *next = m->next;

		n -= m->data_len;
		seg_free(m);
		m = next;
	}
	if (m != NULL) {
		m->data_off = (uint16_t)(m->data_off + n);
		m->data_len = (uint16_t)(m->data_len - n);
		chain_fix(m);
	}
	*head = m;
}

struct rte_mbuf *
px_chain_append(struct rte_mbuf *a, struct rte_mbuf *b)
{
	struct rte_mbuf *last;

	if (a == NULL || b == NULL)
		return a == NULL ? b : a;
	if (b->next == NULL && b->data_len <= PX_APPEND_COPY) {
		last = rte_pktmbuf_lastseg(a);
		/* not an indirect or external buffer, nor one TCP or a clone shares */
		if (RTE_MBUF_DIRECT(last) && rte_mbuf_refcnt_read(last) == 1 &&
			rte_pktmbuf_tailroom(last) >= b->data_len) {
			memcpy(rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len),
				rte_pktmbuf_mtod(b, const uint8_t *), b->data_len);
			last->data_len = (uint16_t)(last->data_len + b->data_len);
			a->pkt_len += b->data_len;
			rte_pktmbuf_free(b);
			return a;
		}
	}
	return fo_mbuf_chain_join(a, b);
}

struct rte_mbuf *
px_chain_from_buf(struct fo_proxy_worker *pw, const void *buf, uint32_t len)
{
	struct rte_mbuf *head = NULL, *tail = NULL, *m;
	const uint8_t *p = buf;
	uint32_t done = 0, room;

	while (done < len) {
		m = rte_pktmbuf_alloc(pw->pool);
		if (m == NULL) {
			pw->stats.nombuf++;
			rte_pktmbuf_free(head);
			return NULL;
		}
		room = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(m), len - done);
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), p + done, room);
		m->data_len = (uint16_t)room;
		m->pkt_len = room;
		done += room;
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += room;
		}
		tail = m;
	}
	return head;
}

struct rte_mbuf *
px_chain_compact(struct fo_proxy_worker *pw, struct rte_mbuf *m)
{
	struct rte_mbuf *head = NULL, *tail = NULL, *n, *s = m;
	uint32_t soff = 0, room;

	while (s != NULL) {
		n = rte_pktmbuf_alloc(pw->pool);
		if (n == NULL) {
			pw->stats.nombuf++;
			rte_pktmbuf_free(head);
			return NULL;
		}
		n->data_len = 0;
		while (s != NULL && (room = rte_pktmbuf_tailroom(n)) > 0) {
			uint32_t k = RTE_MIN(room, (uint32_t)s->data_len - soff);

			memcpy(rte_pktmbuf_mtod_offset(n, uint8_t *, n->data_len),
				rte_pktmbuf_mtod_offset(s, uint8_t *, soff), k);
			n->data_len = (uint16_t)(n->data_len + k);
			soff += k;
			if (soff == s->data_len) {
				s = s->next;
				soff = 0;
			}
		}
		if (head == NULL)
			head = n;
		else
			tail->next = n;
		tail = n;
	}
	if (head != NULL)
		chain_fix(head);
	rte_pktmbuf_free(m);
	return head;
}

int
px_body_frame(struct fo_proxy_worker *pw, struct fo_http_body *b, struct rte_mbuf *m,
	struct rte_mbuf **body, struct rte_mbuf **rest, enum fo_http_err *err)
{
	struct rte_mbuf *s;
	uint32_t used = 0;
	ssize_t n;

	if (b->done) {
		*body = NULL;
		*rest = m;
		return 0;
	}
	for (s = m; s != NULL; s = s->next) {
		n = fo_http_body_feed(b, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len, err);
		if (n < 0)
			return -EBADMSG;
		used += (uint32_t)n;
		if ((uint32_t)n < s->data_len || b->done)
			break;
	}
	*rest = m;
	if (px_chain_split(pw, rest, used, body) != 0)
		return -ENOBUFS;
	return 0;
}

/* Framing bytes fanout writes, gathered until data must follow them. */
struct rc_out {
	struct rte_mbuf *out; /* what goes on */
	uint8_t fb[48];
	uint32_t fl;
};

/* Queue the gathered framing bytes as one fresh mbuf. */
static int
rc_put_framing(struct fo_proxy_worker *pw, struct rc_out *o)
{
	struct rte_mbuf *m;

	if (o->fl == 0)
		return 0;
	m = px_chain_from_buf(pw, o->fb, o->fl);
	if (m == NULL)
		return -ENOBUFS;
	o->out = fo_mbuf_chain_join(o->out, m);
	o->fl = 0;
	return 0;
}

/* One chunk for the @p dlen data bytes of @p data: its size line, then the data. */
static int
rc_put_chunk(struct fo_proxy_worker *pw, struct rc_out *o, uint8_t *open, struct rte_mbuf **data,
	uint64_t dlen)
{
	ssize_t n = fo_http_write_chunk_line(o->fb + o->fl, sizeof(o->fb) - o->fl, *open, dlen);

	if (n < 0)
		return -ENOBUFS;
	o->fl += (uint32_t)n;
	if (rc_put_framing(pw, o) != 0)
		return -ENOBUFS;
	o->out = fo_mbuf_chain_join(o->out, *data);
	*data = NULL;
	*open = 1;
	return 0;
}

int
px_body_rechunk(struct fo_proxy_worker *pw, struct fo_http_body *b, uint8_t *open,
	int keep_trailers, struct rte_mbuf *m, struct rte_mbuf **body, struct rte_mbuf **rest,
	enum fo_http_err *err)
{
	struct rc_out o = {.out = NULL, .fl = 0};
	struct rte_mbuf *data = NULL, *piece;
	uint64_t dlen = 0;
	unsigned run;
	ssize_t n;
	int rc = -ENOBUFS;

	while (m != NULL && !b->done) {
		if (m->data_len == 0) {
			px_chain_adj(&m, 0); /* an empty segment */
			continue;
		}
		n = fo_http_body_next(
			b, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &run, err);
		if (n < 0) {
			rc = -EBADMSG;
			goto fail;
		}
		if (run == FO_HTTP_RUN_DATA) {
			if (px_chain_split(pw, &m, (uint32_t)n, &piece) != 0)
				goto fail;
			data = fo_mbuf_chain_join(data, piece);
			dlen += (uint64_t)n;
			continue;
		}
		/* the data before framing is one chunk of ours */
		if (dlen != 0 && rc_put_chunk(pw, &o, open, &data, dlen) != 0)
			goto fail;
		dlen = 0;
		if (run == FO_HTTP_RUN_TRAILER && keep_trailers) {
			/* trailer lines passed the strict check: they go on as they are */
			if (rc_put_framing(pw, &o) != 0 ||
				px_chain_split(pw, &m, (uint32_t)n, &piece) != 0)
				goto fail;
			o.out = fo_mbuf_chain_join(o.out, piece);
		} else {
			px_chain_adj(&m, (uint32_t)n); /* the peer's framing stays here */
		}
		if (run == FO_HTTP_RUN_LAST) {
			n = fo_http_write_chunk_line(o.fb + o.fl, sizeof(o.fb) - o.fl, *open, 0);
			if (n < 0)
				goto fail;
			o.fl += (uint32_t)n;
			*open = 0;
		}
		if (b->done) {
			memcpy(o.fb + o.fl, "\r\n", 2);
			o.fl += 2;
		}
	}
	if (dlen != 0 && rc_put_chunk(pw, &o, open, &data, dlen) != 0)
		goto fail;
	if (rc_put_framing(pw, &o) != 0)
		goto fail;
	*body = o.out;
	*rest = m;
	return 0;
fail:
	/* nombuf was counted where the allocation failed */
	rte_pktmbuf_free(o.out);
	rte_pktmbuf_free(data);
	rte_pktmbuf_free(m);
	*body = NULL;
	*rest = NULL;
	return rc;
}
