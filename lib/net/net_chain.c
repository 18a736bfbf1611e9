/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cutting and joining mbuf chains on segment boundaries: what every user of
 * lib/tcp's all-or-nothing fo_tcp_send() needs to pass on a received chain
 * piece by piece (the proxy, the relay and echo services). And copying a
 * chain into one mbuf, for ports that cannot send chains.
 */
#include <errno.h>

#include <rte_mbuf.h>
#include <rte_memcpy.h>

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

int
fo_mbuf_linearize(struct rte_mbuf **mp, struct rte_mempool *pool)
{
	struct rte_mbuf *m = *mp, *lin;
	const struct rte_mbuf *seg;
	char *dst;

	if (m->nb_segs == 1 && m->next == NULL)
		return 0;
	if (m->pkt_len > (uint32_t)rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM)
		return -EMSGSIZE;
	lin = rte_pktmbuf_alloc(pool);
	if (lin == NULL)
		return -ENOBUFS;
	dst = rte_pktmbuf_mtod(lin, char *);
	for (seg = m; seg != NULL; seg = seg->next) {
		rte_memcpy(dst, rte_pktmbuf_mtod(seg, const char *), seg->data_len);
		dst += seg->data_len;
	}
	lin->data_len = (uint16_t)m->pkt_len;
	lin->pkt_len = m->pkt_len;
	/* what the NIC reads besides the bytes: offload requests and their
	 * lengths (the TCP pseudo-header sum is in the copied header), the
	 * VLAN tag to insert; never the flags saying how m's own buffer is held */
	lin->ol_flags = m->ol_flags & ~(RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL);
	lin->tx_offload = m->tx_offload;
	lin->vlan_tci = m->vlan_tci;
	lin->vlan_tci_outer = m->vlan_tci_outer;
	lin->packet_type = m->packet_type;
	lin->port = m->port;
	/* drops the chain's references: indirect segments give theirs back
	 * to the mbufs holding the data, which TCP keeps until acked */
	rte_pktmbuf_free(m);
	*mp = lin;
	return 0;
}
