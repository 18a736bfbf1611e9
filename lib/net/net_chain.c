/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cutting and joining mbuf chains on segment boundaries: what every user of
 * lib/tcp's all-or-nothing fo_tcp_send() needs to pass on a received chain
 * piece by piece (the proxy, the relay and echo services).
 */
#include <rte_mbuf.h>

#include "fo_net.h"

struct rte_mbuf *
fo_mbuf_chain_cut(struct rte_mbuf **head, uint32_t max)
{
	struct rte_mbuf *h = *head, *m = h, *prev = NULL;
	uint32_t len = 0;
	uint16_t n = 0;

	if (h->pkt_len <= max) {
		*head = NULL;
		return h;
	}
	/* whole segments up to max bytes, at least one */
	while (m != NULL && (n == 0 || len + m->data_len <= max)) {
		len += m->data_len;
		n++;
		prev = m;
		m = m->next;
	}
	if (m == NULL) {
		*head = NULL;
		return h;
	}
	prev->next = NULL;
	m->pkt_len = h->pkt_len - len;
	m->nb_segs = (uint16_t)(h->nb_segs - n);
	h->pkt_len = len;
	h->nb_segs = n;
	*head = m;
	return h;
}

struct rte_mbuf *
fo_mbuf_chain_join(struct rte_mbuf *a, struct rte_mbuf *b)
{
	if (a == NULL)
		return b;
	if (b != NULL) {
		rte_pktmbuf_lastseg(a)->next = b;
		a->pkt_len += b->pkt_len;
		a->nb_segs = (uint16_t)(a->nb_segs + b->nb_segs);
	}
	return a;
}
