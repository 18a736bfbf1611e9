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

/* rte_ipv4_phdr_cksum(ip, 0) without its copy into a pseudo-header and
 * rte_raw_cksum()'s loop (≈90 instructions per segment sent): the same
 * 16-bit one's complement sum of the words as they lie in memory (source,
 * destination, zero and protocol, L4 length), folded, not inverted. */
static inline uint16_t
phdr_cksum(const struct rte_ipv4_hdr *ip)
{
	uint32_t src = ip->src_addr, dst = ip->dst_addr;
	uint16_t l4 = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - rte_ipv4_hdr_len(ip));
	uint64_t sum = (uint64_t)(src & 0xffff) + (src >> 16) + (dst & 0xffff) + (dst >> 16) +
		       rte_cpu_to_be_16((uint16_t)ip->next_proto_id) + rte_cpu_to_be_16(l4);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

void
ip4_output_l4_cksum(const struct fo_net_iface *ifc, struct rte_mbuf *m, struct rte_ipv4_hdr *ip)
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
		tcp->cksum = phdr_cksum(ip);
		return;
	}
	m->ol_flags &= ~RTE_MBUF_F_TX_TCP_CKSUM;
	tcp->cksum = 0;
	if (fo_net_cksum_chain(m, l3, len, &rest) != 0)
		return; /* shorter than its IP length: the caller's bug, sent as is */
	sum = (uint32_t)phdr_cksum(ip) + rest;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	tcp->cksum = (uint16_t)~sum;
}
