/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ethernet input: destination/source MAC checks, the optional 802.1Q tag,
 * dispatch to ARP and IPv4. Every frame leaves through exactly one of: a
 * protocol handler, or net_drop() with one reason.
 */
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "net_priv.h"

static void
eth_input(struct fo_net_worker *w, uint16_t port, struct rte_mbuf *m)
{
	const struct fo_net_iface *ifc;
	const struct rte_ether_hdr *eth;
	uint16_t type, l2 = RTE_ETHER_HDR_LEN;
	int tagged = 0;
	uint16_t vid = 0;

	w->stats.rx_pkts++;
	w->stats.rx_bytes += rte_pktmbuf_pkt_len(m);

	if (unlikely(port >= FO_MAX_PORTS || !w->ifaces[port].configured)) {
		net_drop(w, m, no_iface);
		return;
	}
	ifc = &w->ifaces[port];

	/* A NIC that stripped the tag keeps it in vlan_tci: put it back so
	 * the replies built in place carry it too. */
	if (unlikely(m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)) {
		if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN) {
			net_drop(w, m, eth_truncated);
			return;
		}
		if (rte_vlan_insert(&m) != 0) {
			net_drop(w, m, vlan_unknown);
			return;
		}
	}

	/* headers must sit in the first segment */
	if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) {
		net_drop(w, m, eth_truncated);
		return;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!rte_is_same_ether_addr(&eth->dst_addr, &ifc->mac) &&
		!rte_is_broadcast_ether_addr(&eth->dst_addr)) {
		net_drop(w, m, eth_not_for_us);
		return;
	}
	if (rte_is_multicast_ether_addr(&eth->src_addr) || rte_is_zero_ether_addr(&eth->src_addr)) {
		net_drop(w, m, eth_src_invalid);
		return;
	}
	type = rte_be_to_cpu_16(eth->ether_type);
	if (type == RTE_ETHER_TYPE_VLAN) {
		const struct rte_vlan_hdr *vh;

		if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + sizeof(*vh)) {
			net_drop(w, m, vlan_truncated);
			return;
		}
		vh = (const struct rte_vlan_hdr *)(eth + 1);
		tagged = 1;
		vid = rte_be_to_cpu_16(vh->vlan_tci) & 0xfff;
		type = rte_be_to_cpu_16(vh->eth_proto);
		l2 += sizeof(*vh);
	}
	/* untagged frames on a VLAN interface, tagged ones on an untagged
	 * interface (priority tags included) and other VLANs are not ours */
	if (tagged != (ifc->vlan != 0) || vid != ifc->vlan) {
		net_drop(w, m, vlan_unknown);
		return;
	}

	switch (type) {
	case RTE_ETHER_TYPE_ARP:
		arp_input(w, ifc, m, l2);
		break;
	case RTE_ETHER_TYPE_IPV4:
		ip4_input(w, ifc, m, l2);
		break;
	default:
		net_drop(w, m, eth_type_unknown);
		break;
	}
}

uint16_t
fo_net_input(struct fo_net_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t i;

	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		eth_input(w, port, pkts[i]);
	}
	return n;
}
