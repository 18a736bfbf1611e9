/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the lib/net neighbour tests: IPv4 frames to send, ARP
 * frames to receive, what the tx queue holds.
 */
#ifndef NEIGH_HARNESS_H
#define NEIGH_HARNESS_H

#include "net_fake.h"
#include "net_priv.h"

#define NONE (-1)
#define PEER_IP FK_IP(198, 18, 0, 2)
#define OUR_IP FK_IP(198, 18, 0, 1)

__rte_unused static struct rte_mbuf *
ip_pkt(rte_be32_t dst, uint16_t id)
{
	struct rte_mbuf *m = fk_mbuf_empty();
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 28);

	fk_ip4(p, OUR_IP, dst, 17, 8, 64, id);
	memset(p + 20, 0, 8);
	return m;
}

/* like ip_pkt(), in a small buffer (a small truesize: many fit in a neighbour's queue) */
__rte_unused static struct rte_mbuf *
ip_pkt_small(rte_be32_t dst, uint16_t id)
{
	struct rte_mbuf *m = fk_mbuf_room(RTE_PKTMBUF_HEADROOM + 64, RTE_PKTMBUF_HEADROOM);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 28);

	fk_ip4(p, OUR_IP, dst, 17, 8, 64, id);
	memset(p + 20, 0, 8);
	return m;
}

/* IPv4 identification of an output frame (untagged) */
__rte_unused static uint16_t
frame_id(const struct rte_mbuf *m)
{
	return fk_get16(rte_pktmbuf_mtod_offset(m, const uint8_t *, 14 + 4));
}

/* count ARP requests for @p tip on the txq, removing everything */
__rte_unused static unsigned
drain_requests(struct fo_net_worker *w, rte_be32_t tip)
{
	unsigned n = 0;
	struct rte_mbuf *m;

	while ((m = fk_txq_pop(w, 0)) != NULL) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

		if (fk_get16(p + 12) == 0x0806 && fk_get16(p + 20) == 1 &&
			memcmp(p + 38, &tip, 4) == 0)
			n++;
	}
	return n;
}

__rte_unused static void
arp_from(struct fo_net_worker *w, uint16_t op, rte_be32_t sip, const uint8_t *mac)
{
	uint8_t f[64];
	uint16_t len = fk_arp_frame(f, 0, op, sip, OUR_IP);
	struct rte_mbuf *m;

	memcpy(f + 14 + 8, mac, 6);
	memcpy(f + 6, mac, 6);
	m = fk_mbuf(f, len);
	fo_net_input(w, 0, &m, 1);
}

/* what a frame costs its neighbour's queue (Linux truesize: the buffers it holds) */
__rte_unused static uint32_t
charge_of(const struct rte_mbuf *m)
{
	return (uint32_t)sizeof(struct rte_mbuf) + m->buf_len;
}

#define N_ORDER 4

#endif /* NEIGH_HARNESS_H */
