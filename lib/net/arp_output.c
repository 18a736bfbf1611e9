/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP output: replies built in place, requests for neighbour resolution
 * and gratuitous announcements built in fresh mbufs.
 */
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "net_priv.h"

static const struct rte_ether_addr arp_bcast = {
	.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
};

void
arp_output_reply(
	struct fo_net_worker *w, const struct fo_net_iface *ifc, struct rte_mbuf *m, uint16_t l2)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, l2);
	struct rte_arp_ipv4 *a = &arp->arp_data;
	uint32_t len = l2 + sizeof(*arp);

	/* the tag (if any) stays as received: it matched ifc->vlan */
	rte_ether_addr_copy(&a->arp_sha, &eth->dst_addr);
	rte_ether_addr_copy(&ifc->mac, &eth->src_addr);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	rte_ether_addr_copy(&a->arp_sha, &a->arp_tha);
	a->arp_tip = a->arp_sip;
	rte_ether_addr_copy(&ifc->mac, &a->arp_sha);
	a->arp_sip = ifc->addr;

	/* drop trailing padding/junk; NICs pad short frames themselves. A
	 * chain keeps its tail: freeing part of it is not worth the risk. */
	if (m->nb_segs == 1 && rte_pktmbuf_pkt_len(m) > len) {
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
	}
	m->ol_flags &= NET_MBUF_KEEP_FLAGS;
	if (net_tx(w, ifc->port_id, m) == 0)
		w->stats.arp_tx_reply++;
}

/**
 * Build an ARP request (sender = us) for @p tip, broadcast.
 *
 * @return 0, -ENOMEM or -ENOBUFS.
 */
static int
arp_output(struct fo_net_worker *w, const struct fo_net_iface *ifc, rte_be32_t tip)
{
	uint16_t l2 = net_l2_len(ifc);
	struct rte_arp_hdr *arp;
	struct rte_mbuf *m;
	char *p;

	m = fo_net_mbuf_alloc(w);
	if (m == NULL) {
		w->stats.drop[nombuf]++;
		return -ENOMEM;
	}
	p = rte_pktmbuf_append(m, l2 + sizeof(*arp));
	if (p == NULL) {
		net_drop(w, m, nombuf);
		return -ENOMEM;
	}
	net_eth_fill(p, ifc, &arp_bcast, RTE_ETHER_TYPE_ARP);
	arp = (struct rte_arp_hdr *)(p + l2);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(rte_be32_t);
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	rte_ether_addr_copy(&ifc->mac, &arp->arp_data.arp_sha);
	arp->arp_data.arp_sip = ifc->addr;
	memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
	arp->arp_data.arp_tip = tip;
	return net_tx(w, ifc->port_id, m);
}

int
arp_output_request(struct fo_net_worker *w, const struct fo_net_iface *ifc, rte_be32_t tip)
{
	int rc = arp_output(w, ifc, tip);

	if (rc == 0)
		w->stats.arp_tx_request++;
	return rc;
}

int
fo_net_announce(struct fo_net_worker *w, uint16_t port)
{
	const struct fo_net_iface *ifc;
	int rc;

	if (port >= FO_MAX_PORTS || !w->ifaces[port].configured)
		return -ENODEV;
	ifc = &w->ifaces[port];
	/* RFC 5227 announcement: request form, sender == target == us */
	rc = arp_output(w, ifc, ifc->addr);
	if (rc == 0)
		w->stats.arp_tx_gratuitous++;
	/* the link (re)came up: what was asked while it was down went nowhere */
	neigh_retry_now(w, port);
	return rc;
}
