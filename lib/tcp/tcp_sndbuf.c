/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Send queue: the user's mbuf segments, linked through ->next, holding the
 * bytes from SND.UNA to the end of what was queued. Segments leave as
 * indirect mbufs attached to these (no copy, for new data and
 * retransmissions alike); acknowledged segments are freed.
 *
 * The head's pkt_len/nb_segs are meaningless inside the queue: lengths
 * are tracked in the queue itself, and segments are unlinked one by one.
 */
#include "tcp_priv.h"

static void
tcp_seg_free1(struct rte_mbuf *m)
{
	m->next = NULL;
	m->nb_segs = 1;
	m->pkt_len = m->data_len;
	rte_pktmbuf_free_seg(m);
}

void
tcp_sndq_append(struct fo_tcp_worker *tw, struct tcp_sndq *q, struct rte_mbuf *chain,
	uint32_t len)
{
	tcp_mq_append(tw, &q->head, &q->tail, &q->bytes, chain, len);
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
		q->head = h->next;
		q->head_off = 0;
		if (q->cur == h)
			q->cur = NULL;
		tcp_seg_free1(h);
		tw->stats.buffered--;
	}
	if (q->head == NULL) {
		q->tail = NULL;
		q->head_off = 0;
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
	if (q->cur != NULL && tcp_seq_ge(seq, q->cur_seq)) {
		m = q->cur;
		start = q->cur_seq;
	} else {
		m = q->head;
		start = una - q->head_off;
	}
	while (m != NULL && tcp_seq_ge(seq, start + m->data_len)) {
		start += m->data_len;
		m = m->next;
	}
	if (m == NULL)
		return NULL;
	off = seq - start;
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
			m = m->next;
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
	while (q->head != NULL) {
		struct rte_mbuf *h = q->head;

		q->head = h->next;
		tcp_seg_free1(h);
		tw->stats.buffered--;
	}
	q->tail = q->cur = NULL;
	q->head_off = q->bytes = 0;
}
