/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Send queue: the user's mbuf segments, linked through ->next, holding the
 * bytes from SND.UNA to the end of what was queued. Data leaves without a
 * copy, for new data and retransmissions alike: a segment sent whole, that
 * nobody else holds, goes out itself with one more reference (no mbuf to
 * allocate, attach and detach); any other range goes out as indirect mbufs
 * attached to the segments. Acknowledged segments are freed.
 *
 * A segment out as itself is the queue's held one (one at a time): the
 * transmission chains it after its header mbuf and frees that chain by
 * walking ->next, so the segment's ->next stays NULL as long as the
 * transmission holds its reference; its successor in the queue is kept in
 * held_next meanwhile, and linked for real once that reference is gone
 * (refcnt back to 1).
 *
 * The head's pkt_len/nb_segs are meaningless inside the queue: lengths
 * are tracked in the queue itself, and segments are unlinked one by one.
 */
#include <string.h>

#include "tcp_priv.h"

/** The segment after @p m in @p q. */
static inline struct rte_mbuf *
sndq_next(const struct tcp_sndq *q, const struct rte_mbuf *m)
{
	return m == q->held ? q->held_next : m->next;
}

/** Link the held segment for real once no transmission holds it any more. */
static inline void
sndq_settle(struct tcp_sndq *q)
{
	struct rte_mbuf *h = q->held;

	if (h != NULL && rte_mbuf_refcnt_read(h) == 1) {
		h->next = q->held_next;
		q->held = q->held_next = NULL;
	}
}

static void
tcp_seg_free1(struct rte_mbuf *m)
{
	m->next = NULL;
	m->nb_segs = 1;
	m->pkt_len = m->data_len;
	rte_pktmbuf_free_seg(m);
}

void
tcp_sndq_append_n(struct fo_tcp_worker *tw, struct tcp_sndq *q, struct rte_mbuf *chain,
	struct rte_mbuf *last, uint32_t nb, uint32_t len)
{
	sndq_settle(q);
	tw->stats.buffered += nb;
	if (q->tail == NULL)
		q->head = chain;
	else if (q->tail == q->held)
		q->held_next = chain; /* the tail is out as itself: its ->next stays NULL */
	else
		q->tail->next = chain;
	q->tail = last;
	q->bytes += len;
}

/** Unlink @p h, the head, from @p q and free it. */
static void
sndq_drop_head(struct fo_tcp_worker *tw, struct tcp_sndq *q, struct rte_mbuf *h)
{
	q->head = sndq_next(q, h);
	if (h == q->held)
		q->held = q->held_next = NULL;
	if (q->cur == h)
		q->cur = NULL;
	tcp_seg_free1(h); /* a transmission still holding it keeps it until done */
	tw->stats.buffered--;
}

void
tcp_sndq_ack(struct fo_tcp_worker *tw, struct tcp_sndq *q, uint32_t n)
{
	if (n > q->bytes)
		n = q->bytes;
	q->bytes -= n;
	while (q->head != NULL) {
		struct rte_mbuf *h = q->head;
		uint32_t avail = h->data_len - q->head_off;

		if (n < avail) {
			q->head_off += n;
			break;
		}
		/* wholly acknowledged (empty segments go too) */
		n -= avail;
		q->head_off = 0;
		sndq_drop_head(tw, q, h);
	}
	if (q->head == NULL) {
		q->tail = NULL;
		q->head_off = 0;
	}
}

/** The segment holding @p seq (its first byte's sequence number in *@p startp), or NULL. */
static inline struct rte_mbuf *
sndq_find(const struct tcp_sndq *q, uint32_t una, uint32_t seq, uint32_t *startp)
{
	struct rte_mbuf *m;
	uint32_t start;

	if (q->cur != NULL && tcp_seq_ge(seq, q->cur_seq)) {
		m = q->cur;
		start = q->cur_seq;
	} else {
		m = q->head;
		start = una - q->head_off;
	}
	while (m != NULL && tcp_seq_ge(seq, start + m->data_len)) {
		start += m->data_len;
		m = sndq_next(q, m);
	}
	*startp = start;
	return m;
}

int
tcp_sndq_copy(struct tcp_sndq *q, uint32_t una, uint32_t seq, uint32_t len, uint8_t *dst)
{
	struct rte_mbuf *m;
	uint32_t start, off;

	if (len == 0)
		return 0;
	m = sndq_find(q, una, seq, &start);
	if (m == NULL)
		return -1;
	off = seq - start;
	for (;;) {
		uint32_t piece = RTE_MIN((uint32_t)m->data_len - off, len);

		q->cur = m;
		q->cur_seq = start;
		memcpy(dst, rte_pktmbuf_mtod_offset(m, const uint8_t *, off), piece);
		dst += piece;
		len -= piece;
		if (len == 0)
			return 0;
		start += m->data_len;
		m = sndq_next(q, m);
		off = 0;
		if (m == NULL)
			return -1;
	}
}

struct rte_mbuf *
tcp_sndq_slice(struct tcp_sndq *q, struct rte_mempool *mp, uint32_t una, uint32_t seq,
	uint32_t len)
{
	struct rte_mbuf *m, *head = NULL, *prev = NULL;
	uint32_t start, off, left = len;
	uint16_t nseg = 0;

	if (len == 0 || q->head == NULL)
		return NULL;
	sndq_settle(q);
	if (q->cur != NULL && tcp_seq_ge(seq, q->cur_seq)) {
		m = q->cur;
		start = q->cur_seq;
	} else {
		m = q->head;
		start = una - q->head_off;
	}
	while (m != NULL && tcp_seq_ge(seq, start + m->data_len)) {
		start += m->data_len;
		m = sndq_next(q, m);
	}
	if (m == NULL)
		return NULL;
	off = seq - start;
	if (off == 0 && len == m->data_len && q->held == NULL && rte_mbuf_refcnt_read(m) == 1) {
		/* the whole of a segment nobody else holds: out as it is */
		q->cur = m;
		q->cur_seq = start;
		q->held = m;
		q->held_next = m->next;
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = len;
		rte_mbuf_refcnt_set(m, 2);
		return m;
	}
	while (left > 0 && m != NULL) {
		uint32_t piece = m->data_len - off;
		struct rte_mbuf *mi;

		if (piece > left)
			piece = left;
		if (piece > 0) {
			mi = rte_pktmbuf_alloc(mp);
			if (mi == NULL) {
				rte_pktmbuf_free(head);
				return NULL;
			}
			rte_pktmbuf_attach(mi, m);
			mi->data_off = (uint16_t)(mi->data_off + off);
			mi->data_len = (uint16_t)piece;
			mi->pkt_len = piece;
			if (prev != NULL)
				prev->next = mi;
			else
				head = mi;
			prev = mi;
			nseg++;
			left -= piece;
		}
		q->cur = m;
		q->cur_seq = start;
		if (left > 0) {
			start += m->data_len;
			m = sndq_next(q, m);
			off = 0;
		}
	}
	if (head == NULL || left > 0) {
		rte_pktmbuf_free(head);
		return NULL;
	}
	head->nb_segs = nseg;
	head->pkt_len = len;
	return head;
}

void
tcp_sndq_free(struct fo_tcp_worker *tw, struct tcp_sndq *q)
{
	while (q->head != NULL)
		sndq_drop_head(tw, q, q->head);
	q->tail = q->cur = NULL;
	q->head_off = q->bytes = 0;
}
