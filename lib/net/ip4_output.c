/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 output: route (connected subnet, else the first gateway), header
 * checksum (software or NIC), Ethernet header, neighbour resolution.
 */
#include <errno.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "net_priv.h"

void
ip4_output_cksum(
	const struct fo_net_iface *ifc, struct rte_mbuf *m, struct rte_ipv4_hdr *ip, uint16_t l2)
{
	ip->hdr_checksum = 0;
	if (ifc->tx_offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		m->l2_len = l2;
		m->l3_len = rte_ipv4_hdr_len(ip);
	} else {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
}

const struct fo_net_iface *
ip4_route(const struct fo_net_worker *w, rte_be32_t dst, rte_be32_t *nh)
{
	const struct fo_net_iface *gw = NULL;
	uint16_t p;

	for (p = 0; p < w->n_ports; p++) {
		const struct fo_net_iface *ifc = &w->ifaces[p];

		if (!ifc->configured)
			continue;
		if ((dst & ifc->netmask) == (ifc->addr & ifc->netmask)) {
			*nh = dst;
			return ifc;
		}
		if (gw == NULL && ifc->gateway != 0)
			gw = ifc;
	}
	if (gw != NULL)
		*nh = gw->gateway;
	return gw;
}

rte_be32_t
fo_net_src_for(const struct fo_net_worker *w, rte_be32_t dst, rte_be32_t *first)
{
	uint16_t p;

	if (first != NULL)
		*first = 0;
	for (p = 0; p < w->n_ports; p++) {
		const struct fo_net_iface *ifc = &w->ifaces[p];

		if (!ifc->configured)
			continue;
		if (((ifc->addr ^ dst) & ifc->netmask) == 0)
			return ifc->addr;
		if (first != NULL && *first == 0)
			*first = ifc->addr;
	}
	return 0;
}

int
fo_net_next_hop(const struct fo_net_worker *w, rte_be32_t dst, rte_be32_t *nh)
{
	return ip4_route(w, dst, nh) == NULL ? -ENETUNREACH : 0;
}

int
fo_net_output_ip4(struct fo_net_worker *w, struct rte_mbuf *m, rte_be32_t dst)
{
	const struct fo_net_iface *ifc;
	struct rte_ipv4_hdr *ip;
	rte_be32_t nh = 0;
	uint16_t l2;
	char *p;

	ifc = ip4_route(w, dst, &nh);
	if (ifc == NULL) {
		net_drop(w, m, no_route);
		return -ENETUNREACH;
	}
	if (rte_pktmbuf_data_len(m) < sizeof(*ip)) {
		net_drop(w, m, ip_truncated);
		return -ENOBUFS;
	}
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	l2 = net_l2_len(ifc);
	ip4_output_l4_cksum(ifc, m, ip);
	ip4_output_cksum(ifc, m, ip, l2);
	p = rte_pktmbuf_prepend(m, l2);
	if (p == NULL) {
		/* caller broke the headroom contract */
		net_drop(w, m, nombuf);
		return -ENOBUFS;
	}
	net_eth_fill(p, ifc, &ifc->mac, RTE_ETHER_TYPE_IPV4); /* dst MAC set by neigh */
	return neigh_output(w, ifc, m, nh);
}

/** Fill @p d for @p dst (source @p ip) when its next hop is REACHABLE now, else empty it. */
static void
ip4_dst_fill(struct fo_net_worker *w, struct fo_net_dst *d, rte_be32_t dst, uint32_t base)
{
	const struct fo_net_iface *ifc;
	const struct fo_neigh *e;
	rte_be32_t nh = 0;

	d->dst = 0;
	ifc = ip4_route(w, dst, &nh);
	if (ifc == NULL)
		return;
	e = neigh_find(w, nh);
	if (e == NULL || e->state != FO_NEIGH_REACHABLE)
		return;
	d->dst = dst;
	d->nh = nh;
	d->phdr = base;
	d->port = ifc->port_id;
	d->slot = (uint16_t)(e - w->neigh);
}

/*
 * fo_net_output_ip4() for a next hop known REACHABLE (@p e) on @p ifc, in
 * one piece: ip4_output_l4_cksum(), ip4_output_cksum(), the prepend, the
 * Ethernet header and neigh_output()'s send, with the offload requests
 * written to ol_flags at once.
 */
static __rte_always_inline int
ip4_output_dst_fast(struct fo_net_worker *w, const struct fo_net_iface *ifc,
	const struct fo_neigh *e, struct rte_mbuf *m, struct rte_ipv4_hdr *ip, uint32_t base)
{
	uint16_t l2 = net_l2_len(ifc), l3 = rte_ipv4_hdr_len(ip);
	uint64_t txo = ifc->tx_offloads, fl = m->ol_flags;
	int l3_due = 0;
	char *p;

	if ((fl & RTE_MBUF_F_TX_TCP_CKSUM) &&
		rte_pktmbuf_data_len(m) >= l3 + sizeof(struct rte_tcp_hdr)) {
		if (txo & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
			struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)((char *)ip + l3);

			tcp->cksum = net_phdr_fold(
				base, (uint16_t)(rte_be_to_cpu_16(ip->total_length) - l3));
			fl |= RTE_MBUF_F_TX_IPV4;
			l3_due = 1; /* with l2_len below when the IP checksum is offloaded too */
		} else {
			ip4_output_l4_cksum_base(ifc, m, ip, base);
			fl = m->ol_flags;
		}
	}
	ip->hdr_checksum = 0;
	if (txo & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
		fl |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		m->l2_len = l2;
		m->l3_len = l3;
	} else {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		if (l3_due)
			m->l3_len = l3;
	}
	m->ol_flags = fl;
	p = rte_pktmbuf_prepend(m, l2);
	if (unlikely(p == NULL)) {
		net_drop(w, m, nombuf);
		return -ENOBUFS;
	}
	net_eth_fill(p, ifc, &e->mac, RTE_ETHER_TYPE_IPV4);
	return net_tx(w, ifc->port_id, m);
}

int
fo_net_output_ip4_dst(struct fo_net_worker *w, struct rte_mbuf *m, struct fo_net_dst *d)
{
	struct rte_ipv4_hdr *ip;
	const struct fo_neigh *e;
	rte_be32_t dst;
	uint32_t base;
	int rc;

	if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*ip))) {
		net_drop(w, m, ip_truncated);
		return -ENOBUFS;
	}
	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	dst = ip->dst_addr;
	e = &w->neigh[d->slot];
	/*
	 * What neigh_output() would do with a REACHABLE entry with nothing
	 * queued and no refresh due: the interface (read-only after init) and
	 * the entry's slot are known, its address and state say it is still
	 * the one (slots are reused in place, never moved).
	 */
	if (likely(d->dst == dst && dst != 0 && e->ip == d->nh && e->state == FO_NEIGH_REACHABLE &&
		    e->n_pending == 0 && (e->retries != 0 || w->now < e->expire_tsc)))
		return ip4_output_dst_fast(w, &w->ifaces[d->port], e, m, ip, d->phdr);
	base = net_phdr_base(ip);
	rc = fo_net_output_ip4(w, m, dst);
	ip4_dst_fill(w, d, dst, base);
	return rc;
}
