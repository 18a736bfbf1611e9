/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP input: echo requests are turned into echo replies in place (the
 * payload is not touched, whatever its size or segmentation); every other
 * type is dropped.
 */
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "net_priv.h"

void
icmp_input(struct fo_net_worker *w, const struct fo_net_iface *ifc, struct rte_mbuf *m, uint16_t l2,
	uint16_t l4_len)
{
	uint32_t l4 = l2 + sizeof(struct rte_ipv4_hdr);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	uint16_t rest;
	uint32_t sum;
	rte_be32_t a;

	if (l4_len < sizeof(*icmp) || rte_pktmbuf_data_len(m) < l4 + sizeof(*icmp)) {
		net_drop(w, m, icmp_truncated);
		return;
	}
	/* Sum everything after the checksum field once: it verifies the
	 * request and, unchanged, yields the reply's checksum. (An RFC 1624
	 * incremental update would give 0x0000 instead of 0xffff when the
	 * reply is all zeros: found by fuzz_net.) */
	icmp = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, l4);
	if (fo_net_cksum_chain(m, l4 + 4, l4_len - 4u, &rest) != 0) {
		net_drop(w, m, icmp_truncated);
		return;
	}
	sum = (uint32_t) * (const unaligned_uint16_t *)icmp + icmp->icmp_cksum + rest;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	if (sum != 0xffff) {
		net_drop(w, m, icmp_bad_cksum);
		return;
	}
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || icmp->icmp_code != 0) {
		net_drop(w, m, icmp_type_unhandled);
		return;
	}
	w->stats.icmp_echo_rx++;

	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	sum = (uint32_t) * (const unaligned_uint16_t *)icmp + rest;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	icmp->icmp_cksum = (uint16_t)~sum;

	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
	a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ip->time_to_live = NET_TTL_DEFAULT;
	m->ol_flags &= NET_MBUF_KEEP_FLAGS;
	ip4_output_cksum(ifc, m, ip, l2);

	/* back to the sender's MAC, as received (no ARP lookup needed) */
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(&ifc->mac, &eth->src_addr);

	if (net_tx(w, ifc->port_id, m) == 0)
		w->stats.icmp_echo_tx++;
}
