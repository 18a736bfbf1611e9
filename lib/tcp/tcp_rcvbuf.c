/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive side buffers. In order: payload mbufs (headers cut off), linked
 * through ->next, handed to the user as chains of whole mbufs. Out of
 * order: a sorted list of non-overlapping segments (nodes from the
 * worker's preallocated pool, at most ooo_max per connection); overlapping
 * arrivals are trimmed, and the list drains into the in-order queue as
 * holes fill.
 */
#include <errno.h>

#include "tcp_priv.h"

static void
tcp_seg_free1(struct rte_mbuf *m)
{
	m->next = NULL;
	m->nb_segs = 1;
	m->pkt_len = m->data_len;
	rte_pktmbuf_free_seg(m);
}

/** Recompute a chain head's pkt_len and nb_segs. */
static void
tcp_mbuf_fix(struct rte_mbuf *m)
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

struct rte_mbuf *
tcp_mbuf_cut_front_chain(struct rte_mbuf *m, uint32_t n)
{
	while (m != NULL && n >= m->data_len) {
		struct rte_mbuf *next = m->next;

		n -= m->data_len;
		tcp_seg_free1(m);
		m = next;
	}
	if (m == NULL)
		return NULL;
	m->data_off = (uint16_t)(m->data_off + n);
	m->data_len = (uint16_t)(m->data_len - n);
	tcp_mbuf_fix(m);
	return m;
}

struct rte_mbuf *
tcp_mbuf_keep(struct rte_mbuf *m, uint32_t keep)
{
	struct rte_mbuf *s = m, *rest;
	uint32_t sum = 0;

	if (keep == 0) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	while (s != NULL && sum + s->data_len < keep) {
		sum += s->data_len;
		s = s->next;
	}
	if (s == NULL)
		return m;
	s->data_len = (uint16_t)(keep - sum);
	rest = s->next;
	s->next = NULL;
	while (rest != NULL) {
		struct rte_mbuf *next = rest->next;

		tcp_seg_free1(rest);
		rest = next;
	}
	tcp_mbuf_fix(m);
	return m;
}

void
tcp_rcvq_append(struct fo_tcp_worker *tw, struct tcp_rcvq *q, struct rte_mbuf *m, uint32_t len)
{
	q->nb += tcp_mq_append(tw, &q->head, &q->tail, &q->bytes, m, len);
}

uint32_t
tcp_rcvq_take(struct fo_tcp_worker *tw, struct tcp_rcvq *q, uint32_t max, struct rte_mbuf **out)
{
	struct rte_mbuf *s = q->head, *last = NULL;
	uint32_t sum = 0, nb = 0;

	if (q->bytes == 0 || max == 0)
		return 0;
	if (q->bytes <= max) {
		/* all of it, as the walk below would take: the queue knows its mbufs */
		s = q->head;
		s->pkt_len = q->bytes;
		s->nb_segs = (uint16_t)q->nb;
		sum = q->bytes;
		tw->stats.buffered -= q->nb;
		q->head = q->tail = NULL;
		q->bytes = q->nb = 0;
		*out = s;
		return sum;
	}
	while (s != NULL && sum + s->data_len <= max) {
		sum += s->data_len;
		nb++;
		last = s;
		s = s->next;
	}
	if (last == NULL) {
		/* the first mbuf alone is larger than max: hand out a slice */
		struct rte_mbuf *mi = rte_pktmbuf_alloc(tw->pool);

		if (mi == NULL)
			return 0;
		rte_pktmbuf_attach(mi, q->head);
		mi->data_len = (uint16_t)max;
		mi->pkt_len = max;
		q->head->data_off = (uint16_t)(q->head->data_off + max);
		q->head->data_len = (uint16_t)(q->head->data_len - max);
		q->bytes -= max;
		*out = mi;
		return max;
	}
	*out = q->head;
	q->head = last->next;
	last->next = NULL;
	if (q->head == NULL)
		q->tail = NULL;
	q->bytes -= sum;
	q->nb -= nb;
	tw->stats.buffered -= nb;
	(*out)->pkt_len = sum; /* what tcp_mbuf_fix() would count again */
	(*out)->nb_segs = (uint16_t)nb;
	return sum;
}

void
tcp_rcvq_free(struct fo_tcp_worker *tw, struct tcp_rcvq *q)
{
	while (q->head != NULL) {
		struct rte_mbuf *h = q->head;

		q->head = h->next;
		tcp_seg_free1(h);
		tw->stats.buffered--;
	}
	q->tail = NULL;
	q->bytes = q->nb = 0;
}

/* ---- out of order ---- */

static void
tcp_ooo_node_put(struct fo_tcp_conn *c, struct tcp_ooo *n)
{
	struct fo_tcp_worker *tw = c->tw;

	c->n_ooo--;
	c->ooo_bytes -= n->len;
	tw->stats.buffered -= n->nb;
	n->m = NULL;
	n->next = tw->ooo_free;
	tw->ooo_free = n;
}

int
tcp_ooo_insert(struct fo_tcp_conn *c, struct rte_mbuf *m, uint32_t seq, uint32_t len, int fin)
{
	struct fo_tcp_worker *tw = c->tw;
	struct tcp_ooo **pp = &c->ooo, *cur, *n;

	c->last_ooo_seq = seq;
	/* skip what ends before the new segment starts */
	while ((cur = *pp) != NULL && tcp_seq_le(cur->seq + cur->len, seq))
		pp = &cur->next;
	if (cur != NULL && tcp_seq_le(cur->seq, seq)) {
		uint32_t end = cur->seq + cur->len;

		if (tcp_seq_ge(end, seq + len)) {
			rte_pktmbuf_free(m); /* nothing new */
			return 0;
		}
		m = tcp_mbuf_cut_front(m, end - seq);
		len -= end - seq;
		seq = end;
		pp = &cur->next;
	}
	/* swallow the segments the new one covers entirely */
	while ((cur = *pp) != NULL && tcp_seq_le(cur->seq + cur->len, seq + len)) {
		*pp = cur->next;
		if (cur->fin && cur->seq + cur->len == seq + len)
			fin = 1;
		rte_pktmbuf_free(cur->m);
		tcp_ooo_node_put(c, cur);
	}
	if (cur != NULL && tcp_seq_lt(cur->seq, seq + len)) {
		len = cur->seq - seq;
		m = tcp_mbuf_keep(m, len);
		fin = 0;
	}
	if (len == 0 || m == NULL) {
		rte_pktmbuf_free(m);
		return 0;
	}
	n = tw->ooo_free;
	if (n == NULL || c->n_ooo >= tw->cfg.ooo_max) {
		rte_pktmbuf_free(m);
		return -ENOSPC;
	}
	tw->ooo_free = n->next;
	n->m = m;
	n->nb = m->nb_segs; /* exact: cut/keep above fixed the head */
	tw->stats.buffered += n->nb;
	n->seq = seq;
	n->len = len;
	n->fin = (uint8_t)(fin != 0);
	n->next = *pp;
	*pp = n;
	c->n_ooo++;
	c->ooo_bytes += len;
	tw->stats.ooo_queued++;
	return 0;
}

int
tcp_ooo_pull(struct fo_tcp_conn *c)
{
	struct tcp_ooo *n;
	int fin = 0;

	while ((n = c->ooo) != NULL && tcp_seq_le(n->seq, c->rcv_nxt)) {
		uint32_t end = n->seq + n->len;

		c->ooo = n->next;
		if (tcp_seq_gt(end, c->rcv_nxt)) {
			uint32_t cut = c->rcv_nxt - n->seq, len = n->len - cut;
			struct rte_mbuf *m = tcp_mbuf_cut_front(n->m, cut);

			if (m != NULL)
				tcp_rcvq_append(c->tw, &c->rcv, m, len);
			c->rcv_nxt = end;
			c->tw->stats.bytes_rx += len;
		} else {
			rte_pktmbuf_free(n->m);
		}
		if (n->fin && end == c->rcv_nxt)
			fin = 1;
		tcp_ooo_node_put(c, n);
		if (fin)
			break;
	}
	return fin;
}

void
tcp_ooo_free(struct fo_tcp_conn *c)
{
	while (c->ooo != NULL) {
		struct tcp_ooo *n = c->ooo;

		c->ooo = n->next;
		rte_pktmbuf_free(n->m);
		tcp_ooo_node_put(c, n);
	}
}

unsigned
tcp_ooo_sack_blocks(const struct fo_tcp_conn *c, struct tcp_sack_blk *b, unsigned max)
{
	struct tcp_sack_blk r[16];
	const struct tcp_ooo *n;
	unsigned nr = 0, i, out = 0, first = 0;

	for (n = c->ooo; n != NULL; n = n->next) {
		if (nr > 0 && r[nr - 1].end == n->seq) {
			r[nr - 1].end = n->seq + n->len;
			continue;
		}
		if (nr == FO_ARRAY_SIZE(r))
			break;
		r[nr].start = n->seq;
		r[nr].end = n->seq + n->len;
		nr++;
	}
	/* RFC 2018: the block holding the latest arrival first */
	for (i = 0; i < nr; i++)
		if (tcp_seq_in(c->last_ooo_seq, r[i].start, r[i].end))
			first = i;
	if (nr > 0 && max > 0)
		b[out++] = r[first];
	for (i = 0; i < nr && out < max; i++)
		if (i != first)
			b[out++] = r[i];
	return out;
}
