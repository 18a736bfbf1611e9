/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net internals shared by its step files (eth_input.c, arp_*.c,
 * neigh.c, ip4_*.c, icmp_input.c). Not a public API: unit tests include it
 * only to reach the neighbour hash (to build colliding addresses).
 */
#ifndef NET_PRIV_H
#define NET_PRIV_H

#include <errno.h>
#include <stdint.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "fo_net.h"

#define NET_TTL_DEFAULT 64

/* The only ol_flags an mbuf keeps when it is turned around for tx: the
 * attachment bits describe the buffer, not the packet. */
#define NET_MBUF_KEEP_FLAGS (RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT)

/** Release every collected mbuf now (also called when the array fills up). */
void net_flush_dropped(struct fo_net_worker *w);

/** Hand @p m back for the bulk free at burst end, without counting a drop. */
static inline void
net_consume(struct fo_net_worker *w, struct rte_mbuf *m)
{
	if (unlikely(w->n_dropped == FO_ARRAY_SIZE(w->dropped)))
		net_flush_dropped(w);
	w->dropped[w->n_dropped++] = m;
}

/** Drop @p m, counting exactly one @p reason. */
static inline void
net_drop(struct fo_net_worker *w, struct rte_mbuf *m, enum fo_net_drop reason)
{
	w->stats.drop[reason]++;
	net_consume(w, m);
}

/**
 * Queue a complete frame on @p port's tx buffer.
 *
 * @return 0, or -ENOBUFS (dropped as tx_full).
 */
static inline int
net_tx(struct fo_net_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct fo_net_txq *q = &w->txq[port];

	if (unlikely(q->n >= FO_ARRAY_SIZE(q->pkts))) {
		net_drop(w, m, tx_full);
		return -ENOBUFS;
	}
	q->pkts[q->n++] = m;
	w->stats.tx_pkts++;
	return 0;
}

/** Directed broadcast of @p ifc's subnet (0 for /31 and /32, which have none). */
static inline rte_be32_t
net_subnet_bcast(const struct fo_net_iface *ifc)
{
	if (ifc->prefix_len >= 31)
		return 0;
	return ifc->addr | ~ifc->netmask;
}

/** Is @p ip (network order) multicast, class E or limited broadcast? */
static inline int
net_ip_is_mcast_or_e(rte_be32_t ip)
{
	return (rte_be_to_cpu_32(ip) >> 28) >= 0xe;
}

/** Is @p ip in 127.0.0.0/8? */
static inline int
net_ip_is_loopback(rte_be32_t ip)
{
	return (rte_be_to_cpu_32(ip) >> 24) == 127;
}

/** Write an Ethernet header (and 802.1Q tag when @p ifc has a vlan) at @p p. */
static inline void
net_eth_fill(void *p, const struct fo_net_iface *ifc, const struct rte_ether_addr *dst,
	uint16_t ether_type)
{
	struct rte_ether_hdr *eth = p;

	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(&ifc->mac, &eth->src_addr);
	if (ifc->vlan != 0) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(ifc->vlan);
		vh->eth_proto = rte_cpu_to_be_16(ether_type);
	} else {
		eth->ether_type = rte_cpu_to_be_16(ether_type);
	}
}

/** Bytes of Ethernet header (with tag) that @p ifc puts on frames. */
static inline uint16_t
net_l2_len(const struct fo_net_iface *ifc)
{
	return RTE_ETHER_HDR_LEN + (ifc->vlan != 0 ? sizeof(struct rte_vlan_hdr) : 0);
}

/* eth_input.c -> protocol handlers; @p l2 is the Ethernet (+tag) length. */
void arp_input(
	struct fo_net_worker *w, const struct fo_net_iface *ifc, struct rte_mbuf *m, uint16_t l2);
void ip4_input(
	struct fo_net_worker *w, const struct fo_net_iface *ifc, struct rte_mbuf *m, uint16_t l2);
void icmp_input(struct fo_net_worker *w, const struct fo_net_iface *ifc, struct rte_mbuf *m,
	uint16_t l2, uint16_t l4_len);

/* arp_output.c */
/** Turn the request @p m (ARP at offset @p l2) into our reply and queue it. */
void arp_output_reply(
	struct fo_net_worker *w, const struct fo_net_iface *ifc, struct rte_mbuf *m, uint16_t l2);
/**
 * Broadcast an ARP request for @p tip on @p ifc.
 *
 * @return 0, -ENOMEM (no mbuf, counted nombuf) or -ENOBUFS (txq full).
 */
int arp_output_request(struct fo_net_worker *w, const struct fo_net_iface *ifc, rte_be32_t tip);

/*
 * rte_ipv4_phdr_cksum(ip, 0) without its copy into a pseudo-header and
 * rte_raw_cksum()'s loop, in two steps: the words that stay the same for
 * every packet of a flow (source, destination, zero and protocol, as they
 * lie in memory), summed once (net_phdr_base()), then the L4 length added
 * and the sum folded (net_phdr_fold()), not inverted.
 */
static inline uint32_t
net_phdr_base(const struct rte_ipv4_hdr *ip)
{
	uint32_t src = ip->src_addr, dst = ip->dst_addr;

	return (src & 0xffff) + (src >> 16) + (dst & 0xffff) + (dst >> 16) +
	       rte_cpu_to_be_16((uint16_t)ip->next_proto_id);
}

static inline uint16_t
net_phdr_fold(uint32_t base, uint16_t l4_len)
{
	uint32_t sum = base + rte_cpu_to_be_16(l4_len);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* ip4_output.c */
/**
 * Fill the TCP checksum of @p m (starting at @p ip) when its ol_flags ask
 * for RTE_MBUF_F_TX_TCP_CKSUM: seeded for the NIC when @p ifc offloads it,
 * else computed in software (and the flag cleared).
 */
void ip4_output_l4_cksum(const struct fo_net_iface *ifc, struct rte_mbuf *m, struct rte_ipv4_hdr *ip);
/** ip4_output_l4_cksum() with net_phdr_base() of @p ip known already. */
void ip4_output_l4_cksum_base(const struct fo_net_iface *ifc, struct rte_mbuf *m,
	struct rte_ipv4_hdr *ip, uint32_t base);

/**
 * Pick the interface and next hop for @p dst: the interface whose subnet
 * holds it, else the first interface with a gateway.
 *
 * @return the interface (next hop in *@p nh), or NULL (no route).
 */
const struct fo_net_iface *ip4_route(const struct fo_net_worker *w, rte_be32_t dst, rte_be32_t *nh);

/** Fill @p ip's checksum, or ask the NIC to (ol_flags) when @p ifc can. */
void ip4_output_cksum(
	const struct fo_net_iface *ifc, struct rte_mbuf *m, struct rte_ipv4_hdr *ip, uint16_t l2);

/* neigh.c */
/** Home slot of @p ip in the cache (exposed for tests). */
static inline uint32_t
neigh_hash(rte_be32_t ip)
{
	return (rte_be_to_cpu_32(ip) * 2654435761u) >> (32 - 8) & (FO_NEIGH_SIZE - 1);
}
_Static_assert(FO_NEIGH_SIZE == 256, "neigh_hash keeps 8 bits");
_Static_assert(FO_NEIGH_PROBE <= FO_NEIGH_SIZE, "probe window inside the table");

/** @return @p ip's entry, or NULL. */
struct fo_neigh *neigh_find(struct fo_net_worker *w, rte_be32_t ip);
/**
 * Resolutions under way on @p port start over at the next fo_net_timer()
 * (backoff reset): the requests sent so far may have gone nowhere (the
 * link was down).
 */
void neigh_retry_now(struct fo_net_worker *w, uint16_t port);
/** Ask for @p e's MAC (again) and schedule the next try with backoff. */
void neigh_solicit(struct fo_net_worker *w, struct fo_neigh *e);
/**
 * Send the frame @p m (Ethernet header filled but for the destination MAC,
 * m->port unused) to next hop @p nh on @p ifc: now, or once resolved.
 *
 * @return 0 (sent or queued), -ENOBUFS (queue/window/txq full),
 *         -EHOSTUNREACH (FAILED hold-down); on error @p m was dropped.
 */
int neigh_output(
	struct fo_net_worker *w, const struct fo_net_iface *ifc, struct rte_mbuf *m, rte_be32_t nh);
/**
 * RFC 826 merge: refresh @p ip's entry with @p mac (flushing its queue),
 * creating it when @p create. Shares the result with the other workers
 * when @p share.
 *
 * @return the entry, or NULL (absent and not created, or no room).
 */
struct fo_neigh *neigh_update(struct fo_net_worker *w, uint16_t port, rte_be32_t ip,
	const struct rte_ether_addr *mac, int create, int share);
/**
 * Pass an ARP reply for an address this worker has no entry for to the
 * other workers (FO_NEIGH_MSG_KNOWN_ONLY: one of them may have asked).
 *
 * @return 1 when there are other workers to tell, 0 when there are none.
 */
int neigh_share_reply(struct fo_net_worker *w, uint16_t port, rte_be32_t ip,
	const struct rte_ether_addr *mac);

#endif /* NET_PRIV_H */
