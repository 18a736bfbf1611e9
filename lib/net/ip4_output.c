/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPv4 output: route (connected subnet, else the first gateway), header
 * checksum (software or NIC), Ethernet header, neighbour resolution.
 */
#include <errno.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

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
