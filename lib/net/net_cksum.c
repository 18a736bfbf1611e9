/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checksums over mbuf chains, and the TCP/UDP checksum of packets leaving
 * through fo_net_output_ip4(): offloaded when the port can, else software.
 */
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "net_priv.h"

/* DPDK 22.11's rte_raw_cksum_mbuf() loses carries when a segment starts at
 * an odd offset of the sum (it byte-swaps an unreduced 32-bit sum), so
 * segments are reduced before the swap here. */
int
fo_net_cksum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *out)
{
	const struct rte_mbuf *seg = m;
	uint32_t sum = 0, done = 0;

	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (done < len) {
		uint32_t n;
		uint16_t part;

		if (seg == NULL)
			return -1;
		n = RTE_MIN((uint32_t)seg->data_len - off, len - done);
		part = rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const char *, off), n);
		/* a block starting at an odd byte adds with its bytes swapped */
		sum += (done & 1) ? rte_bswap16(part) : part;
		done += n;
		off = 0;
		seg = seg->next;
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*out = (uint16_t)sum;
	return 0;
}

void
ip4_output_l4_cksum_base(const struct fo_net_iface *ifc, struct rte_mbuf *m,
	struct rte_ipv4_hdr *ip, uint32_t base)
{
	struct rte_tcp_hdr *tcp;
	uint16_t l3 = rte_ipv4_hdr_len(ip), len = rte_be_to_cpu_16(ip->total_length) - l3, rest;
	uint32_t sum;

	if (!(m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM) || rte_pktmbuf_data_len(m) < l3 + sizeof(*tcp))
		return;
	tcp = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, l3);
	if (ifc->tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
		/* the NIC sums the segment; it wants the pseudo-header sum seeded */
		m->ol_flags |= RTE_MBUF_F_TX_IPV4;
		m->l3_len = l3;
		tcp->cksum = net_phdr_fold(base, len);
		return;
	}
	m->ol_flags &= ~RTE_MBUF_F_TX_TCP_CKSUM;
	tcp->cksum = 0;
	if (fo_net_cksum_chain(m, l3, len, &rest) != 0)
		return; /* shorter than its IP length: the caller's bug, sent as is */
	sum = (uint32_t)net_phdr_fold(base, len) + rest;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	tcp->cksum = (uint16_t)~sum;
}

void
ip4_output_l4_cksum(const struct fo_net_iface *ifc, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
{
	ip4_output_l4_cksum_base(ifc, m, ip, net_phdr_base(ip));
}
