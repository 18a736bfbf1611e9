/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP input: answer requests for our address, learn neighbours (RFC 826
 * merge), accept replies only for addresses already in the cache, let
 * gratuitous ARPs refresh existing entries.
 */
#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "net_priv.h"

/** Is @p sip an address a neighbour on @p ifc may legitimately use? */
static int
arp_sender_valid(const struct fo_net_iface *ifc, rte_be32_t sip)
{
	if (sip == 0 || sip == ifc->addr || net_ip_is_mcast_or_e(sip) || net_ip_is_loopback(sip))
		return 0;
	if ((sip & ifc->netmask) != (ifc->addr & ifc->netmask))
		return 0;
	if (sip == net_subnet_bcast(ifc))
		return 0;
	/* the network address itself, except on /31 point-to-point links */
	if (ifc->prefix_len < 31 && sip == (ifc->addr & ifc->netmask))
		return 0;
	return 1;
}

void
arp_input(struct fo_net_worker *w, const struct fo_net_iface *ifc, struct rte_mbuf *m, uint16_t l2)
{
	const struct rte_arp_hdr *arp;
	const struct rte_arp_ipv4 *a;
	rte_be32_t sip, tip;
	uint16_t op;

	if (rte_pktmbuf_data_len(m) < l2 + sizeof(*arp)) {
		net_drop(w, m, arp_truncated);
		return;
	}
	arp = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, l2);
	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
		arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
		arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != sizeof(rte_be32_t)) {
		net_drop(w, m, arp_bad_header);
		return;
	}
	op = rte_be_to_cpu_16(arp->arp_opcode);
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) {
		net_drop(w, m, arp_bad_op);
		return;
	}
	a = &arp->arp_data;
	sip = a->arp_sip;
	tip = a->arp_tip;
	if (!arp_sender_valid(ifc, sip) || !rte_is_valid_assigned_ether_addr(&a->arp_sha)) {
		net_drop(w, m, arp_src_invalid);
		return;
	}

	if (tip != ifc->addr) {
		/* RFC 826: refresh the sender if we already know it. A
		 * gratuitous ARP (sender == target) exists for exactly that;
		 * anything else for another host is not ours. */
		neigh_update(w, ifc->port_id, sip, &a->arp_sha, 0, 1);
		if (sip == tip) {
			w->stats.arp_rx_gratuitous++;
			net_consume(w, m);
		} else {
			net_drop(w, m, arp_not_for_us);
		}
		return;
	}

	if (op == RTE_ARP_OP_REQUEST) {
		w->stats.arp_rx_request++;
		/* the requester will talk to us: learn it (merge or create) */
		neigh_update(w, ifc->port_id, sip, &a->arp_sha, 1, 1);
		arp_output_reply(w, ifc, m, l2);
		return;
	}

	/* a reply: only for an address we asked about (or already know). A
	 * NIC without RSS may deliver it to another worker than the one that
	 * asked: those apply it only if they have the entry */
	if (neigh_update(w, ifc->port_id, sip, &a->arp_sha, 0, 1) == NULL) {
		if (neigh_share_reply(w, ifc->port_id, sip, &a->arp_sha)) {
			w->stats.arp_rx_reply_peer++;
			net_consume(w, m);
			return;
		}
		net_drop(w, m, arp_unsolicited);
		return;
	}
	w->stats.arp_rx_reply++;
	net_consume(w, m);
}
