/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 input: validate the header (version, length, checksum, TTL), drop
 * fragments and options, check addresses, dispatch by protocol.
 */
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "net_priv.h"

/** Is @p src an address a host on @p ifc's link may send from? */
static int
ip4_src_valid(const struct fo_net_iface *ifc, rte_be32_t src)
{
	if (src == 0 || src == ifc->addr || net_ip_is_mcast_or_e(src) || net_ip_is_loopback(src))
		return 0;
	if (src == net_subnet_bcast(ifc))
		return 0;
	return 1;
}

void
ip4_input(struct fo_net_worker *w, const struct fo_net_iface *ifc, struct rte_mbuf *m, uint16_t l2)
{
	const struct rte_ipv4_hdr *ip;
	uint32_t avail;
	uint16_t tot;
	rte_be16_t frag;
	uint8_t ihl;
	uint64_t ck;

	if (rte_pktmbuf_data_len(m) < l2 + sizeof(*ip)) {
		net_drop(w, m, ip_truncated);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l2);
	/* version 4 without options, as nearly every packet: one compare */
	if (unlikely(ip->version_ihl != 0x45)) {
		if ((ip->version_ihl >> 4) != 4) {
			net_drop(w, m, ip_bad_version);
			return;
		}
		ihl = ip->version_ihl & 0xf;
		net_drop(w, m, ihl < 5 ? ip_bad_hlen : ip_options);
		return;
	}
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < sizeof(*ip)) {
		net_drop(w, m, ip_bad_len);
		return;
	}
	avail = rte_pktmbuf_pkt_len(m) - l2;
	if (tot > avail) {
		net_drop(w, m, ip_truncated);
		return;
	}

	ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD || (ck == RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN &&
							rte_raw_cksum(ip, sizeof(*ip)) != 0xffff)) {
		net_drop(w, m, ip_bad_cksum);
		return;
	}
	if (ip->time_to_live == 0) {
		net_drop(w, m, ip_ttl_expired);
		return;
	}
	/* in network order: the mask swapped at compile time, not the field at run time */
	frag = ip->fragment_offset;
	if (frag & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
		net_drop(w, m, ip_fragment);
		return;
	}
	if (ip->dst_addr != ifc->addr) {
		net_drop(w, m, ip_not_for_us);
		return;
	}
	if (!ip4_src_valid(ifc, ip->src_addr)) {
		net_drop(w, m, ip_src_invalid);
		return;
	}

	/* Ethernet padding (frames under 60 bytes) is not IP payload. A
	 * chain whose last segment is shorter than the padding keeps it: the
	 * IP length, not the frame length, is what everyone reads. */
	if (tot < avail)
		rte_pktmbuf_trim(m, (uint16_t)(avail - tot));

	w->stats.ip_rx++;
	switch (ip->next_proto_id) {
	case IPPROTO_ICMP:
		icmp_input(w, ifc, m, l2, tot - sizeof(*ip));
		break;
	case IPPROTO_TCP:
		if (!w->tcp_enabled) {
			net_drop(w, m, ip_proto_unknown);
			break;
		}
		if (unlikely(w->tcp_rx.n >= FO_ARRAY_SIZE(w->tcp_rx.pkts))) {
			net_drop(w, m, tcp_rx_full);
			break;
		}
		m->l2_len = l2;
		m->l3_len = sizeof(*ip);
		w->tcp_rx.pkts[w->tcp_rx.n++] = m;
		w->stats.tcp_rx++;
		break;
	default:
		net_drop(w, m, ip_proto_unknown);
		break;
	}
}
