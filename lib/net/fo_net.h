/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * fanout layers 2-3: Ethernet (with an optional 802.1Q tag), ARP with a
 * per-core neighbour cache, IPv4 input validation and output, ICMP echo.
 *
 * Everything here is per worker (struct fo_net_worker): no locks, no
 * allocation after fo_net_worker_init(), time from the TSC passed in by
 * the caller. Packets are never freed one by one: dropped mbufs are
 * collected and released in bulk by fo_net_burst_end(); packets to send
 * are appended to the per-port tx buffer that the poll loop flushes.
 *
 * Unit tests drive this API with fake mbufs and no EAL: they link with
 * -Wl,--wrap=fo_net_mbuf_alloc,--wrap=rte_pktmbuf_free_bulk.
 */
#ifndef FO_NET_H
#define FO_NET_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "fo_common.h"

/**
 * Drop reasons: every way a packet leaves lib/net without being sent.
 * X(name, description). The name is the telemetry/statistics label.
 */
#define FO_NET_DROPS(X) \
	X(eth_truncated, "frame shorter than an Ethernet header") \
	X(eth_not_for_us, "destination MAC is neither ours nor broadcast") \
	X(eth_src_invalid, "source MAC is multicast/broadcast") \
	X(eth_type_unknown, "ethertype is not IPv4 or ARP") \
	X(vlan_truncated, "802.1Q tag cut short") \
	X(vlan_unknown, "VLAN id not configured on this port") \
	X(no_iface, "port has no interface configured") \
	X(arp_truncated, "ARP packet shorter than its header") \
	X(arp_bad_header, "ARP hardware/protocol type or lengths not Ethernet/IPv4") \
	X(arp_bad_op, "ARP opcode neither request nor reply") \
	X(arp_not_for_us, "ARP target is not our address") \
	X(arp_unsolicited, "ARP reply for an address not in the cache (no poisoning)") \
	X(arp_src_invalid, "ARP sender address is ours, zero, broadcast or off-subnet") \
	X(ip_truncated, "IPv4 packet shorter than its header or total length") \
	X(ip_bad_version, "IP version is not 4") \
	X(ip_bad_hlen, "IPv4 header length below 20 bytes") \
	X(ip_options, "IPv4 options present (unsupported)") \
	X(ip_bad_len, "IPv4 total length below header length") \
	X(ip_bad_cksum, "IPv4 header checksum wrong") \
	X(ip_ttl_expired, "IPv4 TTL is zero") \
	X(ip_fragment, "IPv4 fragment (unsupported)") \
	X(ip_not_for_us, "IPv4 destination is not our address") \
	X(ip_src_invalid, "IPv4 source is multicast, broadcast, loopback or ours") \
	X(ip_proto_unknown, "no handler for this IP protocol") \
	X(icmp_truncated, "ICMP message shorter than 8 bytes") \
	X(icmp_bad_cksum, "ICMP checksum wrong") \
	X(icmp_type_unhandled, "ICMP type other than echo request") \
	X(neigh_queue_full, "no room to queue a packet awaiting ARP resolution (the neighbour's " \
		"FO_NEIGH_QUEUE_BYTES, or the worker's FO_NEIGH_QUEUE_SLOTS)") \
	X(neigh_unreachable, "ARP resolution gave up; queued packet dropped") \
	X(no_route, "no interface or gateway reaches the destination") \
	X(tx_full, "tx buffer full") \
	X(nombuf, "mbuf pool empty") \
	X(tcp_rx_full, "no room left in the queue of TCP segments for lib/tcp")

enum fo_net_drop {
	FO_NET_DROPS(FO_XSTR_ENUM)
	FO_NET_DROP_MAX
};

/** Names of drop reasons, indexed by enum fo_net_drop. */
extern const char *const fo_net_drop_names[FO_NET_DROP_MAX];

/**
 * Per-worker counters other than drops, X(name, description), in struct
 * order. The name is the telemetry/statistics label.
 */
#define FO_NET_COUNTERS(X) \
	X(rx_pkts, "frames received") \
	X(rx_bytes, "bytes received") \
	X(tx_pkts, "frames queued for tx by lib/net (the app counts wire tx)") \
	X(arp_rx_request, "ARP requests received for our address") \
	X(arp_rx_reply, "ARP replies accepted") \
	X(arp_tx_request, "ARP requests sent (resolution, retries, refresh)") \
	X(arp_tx_reply, "ARP replies sent") \
	X(arp_tx_gratuitous, "gratuitous ARPs sent") \
	X(ip_rx, "IPv4 packets accepted for local delivery") \
	X(icmp_echo_rx, "ICMP echo requests received") \
	X(icmp_echo_tx, "ICMP echo replies sent") \
	X(neigh_learned, "neighbour entries created or refreshed from ARP or peers") \
	X(neigh_queued, "packets queued awaiting ARP resolution") \
	X(arp_rx_gratuitous, "gratuitous ARPs received") \
	X(neigh_evicted, "neighbour entries evicted to make room") \
	X(neigh_failed, "ARP resolutions given up") \
	X(peer_rx, "neighbour updates applied from other workers") \
	X(peer_tx_full, "neighbour updates not shared: peer ring full") \
	X(tcp_rx, "TCP segments handed to the layer above") \
	X(neigh_resolve, "resolutions started ahead of traffic (fo_net_neigh_resolve)") \
	X(neigh_suspect, "refreshes asked by the layer above (fo_net_neigh_suspect), or of " \
		"the other addresses of a host that moved to another MAC") \
	X(neigh_changed, "reachable neighbours whose MAC changed") \
	X(neigh_ready_lost, "reachability notices lost: the ready list was full") \
	X(arp_rx_reply_peer, "ARP replies this worker had not asked for, passed to the others")

#define FO_NET_STAT_FIELD(name, descr) uint64_t name;
#define FO_NET_STAT_ONE(name, descr) +1

/** Per-worker counters (plain uint64: one writer, the owning worker). */
struct fo_net_stats {
	FO_NET_COUNTERS(FO_NET_STAT_FIELD)
	uint64_t drop[FO_NET_DROP_MAX];
};

/** Number of non-drop counters; they come first in struct fo_net_stats. */
#define FO_NET_STATS_N_PLAIN (0 FO_NET_COUNTERS(FO_NET_STAT_ONE))
/** Names of the non-drop counters above, in struct order (rx_pkts first). */
extern const char *const fo_net_stats_names[FO_NET_STATS_N_PLAIN];

/** One configured interface: a port, its MAC, its IPv4 address. Read-only after init. */
struct fo_net_iface {
	uint16_t port_id;
	uint16_t vlan;    /**< 0 = untagged */
	uint16_t mtu;     /**< IP MTU */
	uint8_t prefix_len;
	uint8_t configured; /**< 0: port has no interface block, everything is dropped */
	struct rte_ether_addr mac;
	rte_be32_t addr;    /**< network byte order */
	rte_be32_t netmask; /**< network byte order */
	rte_be32_t gateway; /**< network byte order, 0 = none */
	uint64_t tx_offloads; /**< RTE_ETH_TX_OFFLOAD_* the port does (lib/net: the checksums) */
	uint64_t rx_offloads; /**< RTE_ETH_RX_OFFLOAD_* the port does (checksums) */
};

/** Neighbour (ARP) cache geometry. */
#define FO_NEIGH_SIZE 256      /**< entries per worker, power of two */
/**
 * Bytes queued per unresolved neighbour, as Linux's unres_qlen_bytes
 * default, and counted as Linux counts them (truesize): each queued
 * packet is charged the buffers it holds, sizeof(struct rte_mbuf) plus
 * buf_len per segment (≈2.3 KB for a SYN with the default mbuf size, so
 * ≈90 SYNs per neighbour), not its length on the wire.
 */
#define FO_NEIGH_QUEUE_BYTES 212992
/** Packets queued for resolution on one worker, all neighbours together. */
#define FO_NEIGH_QUEUE_SLOTS 1024
/** Next hops that became reachable, kept for the layer above between two polls. */
#define FO_NEIGH_READY_MAX 32
#define FO_NEIGH_RETRIES 5     /**< ARP requests before giving up */
#define FO_NEIGH_RETRY_MS 200  /**< first retry interval; doubles each retry */
#define FO_NEIGH_REACHABLE_MS 60000 /**< lifetime of a resolved entry */
#define FO_NEIGH_HOLDDOWN_MS 1000   /**< FAILED: new packets dropped this long */
/**
 * Open-addressing probe window: an entry lives within this many slots of
 * its hash home. When they are all taken, a FAILED entry, else the oldest
 * REACHABLE one, is evicted; INCOMPLETE entries (packets waiting) never are.
 */
#define FO_NEIGH_PROBE 16

enum fo_neigh_state {
	FO_NEIGH_FREE = 0,
	FO_NEIGH_INCOMPLETE, /**< request sent, waiting for a reply */
	FO_NEIGH_REACHABLE,  /**< MAC known and fresh */
	FO_NEIGH_FAILED,     /**< gave up; new packets retrigger resolution after a hold-down */
};

/** No slot: end of a neighbour's queue, or of the free list. */
#define FO_NEIGH_QNONE UINT16_MAX

struct fo_neigh {
	rte_be32_t ip;
	uint16_t port_id;
	uint8_t state;
	uint8_t retries;
	struct rte_ether_addr mac;
	/** queued frames, oldest first: slots of fo_net_worker.neigh_q (FO_NEIGH_QNONE: empty) */
	uint16_t q_head, q_tail;
	uint16_t n_pending;
	uint32_t q_bytes;    /**< charged to this entry (FO_NEIGH_QUEUE_BYTES) */
	uint64_t expire_tsc; /**< REACHABLE: when stale; INCOMPLETE: next retry; FAILED: hold-down end */
};

/** One frame waiting for resolution, linked in its neighbour's queue. */
struct fo_neigh_qslot {
	struct rte_mbuf *m;
	uint32_t charge; /**< bytes charged to the neighbour's queue */
	uint16_t next;
};

/** Packets waiting for tx on one port. The poll loop flushes them. */
struct fo_net_txq {
	uint16_t n;
	struct rte_mbuf *pkts[FO_BURST * 4];
};

/**
 * TCP segments for the layer above. fo_net_input() appends every valid
 * IPv4 packet with protocol TCP here (when tcp_enabled) with m->l2_len and
 * m->l3_len set, the mbuf still starting at the Ethernet header and trimmed
 * to the IP total length; the caller hands them to lib/tcp and resets n.
 */
struct fo_net_l4q {
	uint16_t n;
	struct rte_mbuf *pkts[FO_BURST * 2];
};

/** A neighbour learned on one core, to be shared with the others. */
struct fo_neigh_msg {
	rte_be32_t ip;
	uint16_t port_id; /**< | FO_NEIGH_MSG_KNOWN_ONLY: see there */
	struct rte_ether_addr mac;
};

/**
 * Flag in fo_neigh_msg.port_id: an ARP reply that reached a worker which
 * had not asked (the NIC spread the reply to another queue than the
 * request's): a worker applies it only to an entry it has, as it would the
 * reply itself, so that no worker learns an address nobody asked about.
 */
#define FO_NEIGH_MSG_KNOWN_ONLY 0x8000

/* ring element size: rte_ring_*_elem needs a multiple of 4 bytes */
_Static_assert(sizeof(struct fo_neigh_msg) == 12, "fo_neigh_msg must stay 12 bytes");

struct rte_ring;

/** Everything one worker owns at layers 2-3. Cache-aligned; never shared. */
struct fo_net_worker {
	unsigned worker_id;
	unsigned n_workers;
	uint64_t hz;  /**< TSC frequency */
	uint64_t now; /**< TSC at the start of the current burst */
	struct rte_mempool *pool;
	/** interface per port id; ifaces[p].configured == 0 when unused */
	struct fo_net_iface ifaces[FO_MAX_PORTS];
	uint16_t n_ports;
	struct fo_net_txq txq[FO_MAX_PORTS];
	/** dropped mbufs, freed in bulk by fo_net_burst_end() */
	uint16_t n_dropped;
	struct rte_mbuf *dropped[FO_BURST * 4];
	/** neighbour-sharing rings: to_peer[i] is the SPSC ring this worker
	 *  produces into for worker i (NULL for itself); from_peer[i] likewise. */
	struct rte_ring *to_peer[FO_MAX_WORKERS];
	struct rte_ring *from_peer[FO_MAX_WORKERS];
	struct fo_neigh neigh[FO_NEIGH_SIZE];
	uint16_t ip_id; /**< next IPv4 identification */
	/** 0: TCP segments are dropped as ip_proto_unknown (no TCP layer) */
	uint8_t tcp_enabled;
	struct fo_net_l4q tcp_rx;
	/** earliest INCOMPLETE/refresh deadline in neigh[] (UINT64_MAX: none);
	 *  fo_net_timer() scans the cache only when it is due */
	uint64_t neigh_next_tsc;
	uint64_t neigh_retry_tsc;     /**< FO_NEIGH_RETRY_MS in TSC cycles */
	uint64_t neigh_reachable_tsc; /**< FO_NEIGH_REACHABLE_MS in TSC cycles */
	uint64_t neigh_holddown_tsc;  /**< FO_NEIGH_HOLDDOWN_MS in TSC cycles */
	/** frames waiting for resolution, linked per neighbour; free ones from neigh_q_free */
	struct fo_neigh_qslot neigh_q[FO_NEIGH_QUEUE_SLOTS];
	uint16_t neigh_q_free;
	/** 1: a resolved entry still has frames queued (the txq was full) */
	uint8_t neigh_drain;
	/** next hops that became REACHABLE or changed MAC: fo_net_neigh_ready() */
	uint16_t n_neigh_ready;
	uint8_t neigh_ready_overflow;
	rte_be32_t neigh_ready[FO_NEIGH_READY_MAX];
	struct fo_net_stats stats;
} __rte_cache_aligned;

/**
 * Initialise a worker's layer 2-3 state.
 *
 * @param w         zeroed or reused worker struct.
 * @param worker_id 0..n_workers-1.
 * @param n_workers number of workers.
 * @param pool      mbuf pool for packets this worker originates (ARP requests).
 * @param ifaces    interface per port id (copied), n_ports of them.
 * @param hz        TSC frequency (rte_get_tsc_hz()).
 *
 * The whole struct is reset, including to_peer[]/from_peer[]: set those
 * after this call. ifaces[i] must describe port i (port_id == i when
 * configured); a netmask of 0 is derived from prefix_len. @p pool may be
 * NULL only when fo_net_mbuf_alloc() is replaced (unit tests).
 *
 * @return 0, or -EINVAL on bad arguments.
 */
int fo_net_worker_init(struct fo_net_worker *w, unsigned worker_id, unsigned n_workers,
	struct rte_mempool *pool, const struct fo_net_iface *ifaces, uint16_t n_ports, uint64_t hz);

/**
 * Process a received burst from @p port. Every mbuf is consumed: answered
 * (ARP reply, ICMP echo reply, queued on txq[port]), absorbed (an ARP reply
 * or gratuitous ARP that only updates the cache: counted as arp_rx_reply /
 * arp_rx_gratuitous), or dropped with exactly one counted reason. Absorbed
 * and dropped mbufs are freed by fo_net_burst_end() (or earlier, in bulk,
 * if more than FO_BURST * 4 pile up). Set w->now first.
 *
 * @return the number of packets processed (always @p n).
 */
uint16_t fo_net_input(struct fo_net_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n);

/**
 * Send an IPv4 packet. @p m starts at a filled IPv4 header (checksum not
 * yet computed; a TCP segment that sets RTE_MBUF_F_TX_TCP_CKSUM in ol_flags
 * also gets its TCP checksum, by the NIC when it offers it, else in software) and has at least RTE_ETHER_HDR_LEN + 4 bytes of headroom.
 * The route is the interface whose subnet holds @p dst, else the first
 * interface with a gateway. If the next hop's MAC is unknown the packet
 * waits for ARP resolution (bounded queue; it is dropped if that is full
 * or resolution fails).
 *
 * The IPv4 checksum is computed in software, or left to the NIC (ol_flags,
 * l2_len, l3_len set) when the interface's tx_offloads has
 * RTE_ETH_TX_OFFLOAD_IPV4_CKSUM. w->now must be current.
 *
 * @return 0 when sent or queued, -ENETUNREACH (no route), -ENOBUFS (queue,
 *         cache window or txq full, or no headroom), -EHOSTUNREACH (next hop
 *         failed resolution and is in its hold-down). On error the mbuf has
 *         been dropped and counted.
 */
int fo_net_output_ip4(struct fo_net_worker *w, struct rte_mbuf *m, rte_be32_t dst);

/**
 * A sender's cache of one destination's route and next hop (a TCP
 * connection keeps one): fo_net_output_ip4_dst() sends through it without
 * fo_net_output_ip4()'s route lookup and neighbour hash, for as long as the
 * next hop stays REACHABLE, fresh and with nothing queued; else it takes
 * the full path and fills the cache again. All zeros is an empty cache.
 * Every packet sent through one cache must have the same IPv4 source,
 * destination and protocol (the pseudo-header sum is kept).
 */
struct fo_net_dst {
	rte_be32_t dst;  /**< destination held (0: empty) */
	rte_be32_t nh;   /**< its next hop */
	uint32_t phdr;   /**< source, destination and protocol of the TCP pseudo header, summed */
	uint16_t port;   /**< interface (port id) */
	uint16_t slot;   /**< neighbour cache slot of nh */
};

/**
 * fo_net_output_ip4() to the destination of @p m's IPv4 header through
 * the cache @p d (same result, same frame, same counters); @p d is filled
 * or refreshed when the full path was taken.
 */
int fo_net_output_ip4_dst(struct fo_net_worker *w, struct rte_mbuf *m, struct fo_net_dst *d);

/**
 * Run timers: ARP retries with exponential backoff (FO_NEIGH_RETRY_MS,
 * doubling, FO_NEIGH_RETRIES requests), give-ups (queued packets dropped as
 * neigh_unreachable, entry FAILED for FO_NEIGH_HOLDDOWN_MS), and the
 * refresh requests of stale REACHABLE entries (sent on first use after
 * FO_NEIGH_REACHABLE_MS; the old MAC stays in use meanwhile). Call once per
 * loop iteration with w->now set: one compare when nothing is due.
 */
void fo_net_timer(struct fo_net_worker *w);

/**
 * Send a gratuitous ARP (request form, RFC 5227) for @p port's address
 * (at start and when the link comes up). Resolutions under way on the port
 * are asked again at the next fo_net_timer(), backoff reset: what was
 * asked while the link was down went nowhere.
 *
 * @return 0, -ENODEV (port unconfigured), -ENOMEM (no mbuf), -ENOBUFS (txq full).
 */
int fo_net_announce(struct fo_net_worker *w, uint16_t port);

/**
 * Drain neighbour updates that other workers shared with this one.
 *
 * @return number of updates applied.
 */
unsigned fo_net_peer_poll(struct fo_net_worker *w);

/**
 * Next hop for @p dst: @p dst itself on a connected subnet, else the first
 * interface's gateway.
 *
 * @return 0 with the next hop in *@p nh, or -ENETUNREACH.
 */
int fo_net_next_hop(const struct fo_net_worker *w, rte_be32_t dst, rte_be32_t *nh);

/**
 * Source address for traffic to @p dst: the address of the interface whose
 * subnet holds @p dst.
 *
 * @return that address, or 0 when no interface's subnet holds @p dst (then
 *         *@p first, when not NULL, is the first configured interface's
 *         address, 0 when there is none).
 */
rte_be32_t fo_net_src_for(const struct fo_net_worker *w, rte_be32_t dst, rte_be32_t *first);

/**
 * Resolve @p dst's next hop ahead of traffic (a configured endpoint, at
 * start or when the control plane adds it), so that its first packets
 * find a REACHABLE entry. Sends an ARP request unless one is under way or
 * the entry is REACHABLE; a FAILED entry starts over at once, hold-down or
 * not (the endpoint was just configured: worth asking again). With
 * @p refresh, a REACHABLE entry is asked again as well (its old MAC stays
 * in use until the answer): for an endpoint whose address came back,
 * maybe on another host. w->now must be current.
 *
 * @return 0 (REACHABLE already), -EINPROGRESS (resolution under way),
 *         -ENETUNREACH (no route), -ENOBUFS (cache window full of pending
 *         entries; retry later).
 */
int fo_net_neigh_resolve(struct fo_net_worker *w, rte_be32_t dst, int refresh);

/**
 * The layer above gets no answers from @p dst (a retransmission timeout):
 * its neighbour may have moved to another MAC. A REACHABLE next hop that
 * was not confirmed or refreshed within FO_NEIGH_RETRY_MS is asked again
 * (broadcast ARP; the old MAC stays in use until the answer, and an answer
 * with a new MAC shows up in fo_net_neigh_ready()). Cheap otherwise.
 */
void fo_net_neigh_suspect(struct fo_net_worker *w, rte_be32_t dst);

/**
 * May traffic to @p dst be started now? Not when its next hop has failed
 * resolution (FAILED), or there is no route. An unknown or resolving next
 * hop is usable: its packets queue.
 *
 * @return 1 usable, 0 not.
 */
int fo_net_neigh_usable(const struct fo_net_worker *w, rte_be32_t dst);

/**
 * Take the next hops that became REACHABLE (resolved, or changed MAC)
 * since the last call, so that the layer above can resend at once what
 * was lost meanwhile instead of waiting for its timers. The list is
 * emptied.
 *
 * @param out   room for @p max next hops.
 * @param all   set to 1 when notices were lost (more than
 *              FO_NEIGH_READY_MAX between two calls): treat every next
 *              hop as ready; else 0.
 * @return the number of next hops written to @p out.
 */
unsigned fo_net_neigh_ready(struct fo_net_worker *w, rte_be32_t *out, unsigned max, int *all);

/**
 * Look up a neighbour (tests, telemetry).
 *
 * @return the entry, or NULL when @p ip is not in the cache.
 */
const struct fo_neigh *fo_net_neigh_lookup(const struct fo_net_worker *w, rte_be32_t ip);

/**
 * Raw (uncomplemented) ones'-complement sum of @p len bytes at offset @p off
 * of an mbuf chain, correct for segments of any length and alignment.
 *
 * @return 0 with the 16-bit sum in @p out, or -1 when the chain is shorter
 *         than off + len.
 */
int fo_net_cksum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *out);

/** Free the mbufs dropped during this burst (one bulk free). */
void fo_net_burst_end(struct fo_net_worker *w);

/** Add @p src's counters to @p dst (for the control thread's totals). */
void fo_net_stats_add(struct fo_net_stats *dst, const struct fo_net_stats *src);

/**
 * Allocate one mbuf from the worker's pool. Not inline, so that unit tests
 * can replace it with -Wl,--wrap=fo_net_mbuf_alloc.
 *
 * @return an mbuf, or NULL when the pool is empty.
 */
struct rte_mbuf *fo_net_mbuf_alloc(struct fo_net_worker *w);

/**
 * Cut the first whole segments of *@p head holding at most @p max bytes
 * (at least one segment, even a larger one) off the chain, for an
 * all-or-nothing sender such as fo_tcp_send(). No data is copied.
 *
 * @return the front chain; *@p head is the rest, or NULL when the whole
 *         chain was taken.
 */
struct rte_mbuf *fo_mbuf_chain_cut(struct rte_mbuf **head, uint32_t max);

/**
 * Append chain @p b to chain @p a (either may be NULL).
 *
 * @return the joined chain.
 */
struct rte_mbuf *fo_mbuf_chain_join(struct rte_mbuf *a, struct rte_mbuf *b);

/**
 * Make *@p mp a single-segment frame, for a port without
 * RTE_ETH_TX_OFFLOAD_MULTI_SEGS: a chain is copied into one fresh mbuf of
 * @p pool (data, tx offload flags and lengths, VLAN tags, port) and then
 * freed, which releases the references its indirect segments hold. A
 * single segment is left as it is. Checksums already in the headers stay
 * valid: the bytes do not change.
 *
 * @return 0 (*@p mp is one segment: the same mbuf, or the copy),
 *         -EMSGSIZE when the frame does not fit one mbuf of @p pool after
 *         its headroom, -ENOBUFS when the pool is empty. On error *@p mp is
 *         untouched and still owned by the caller.
 */
int fo_mbuf_linearize(struct rte_mbuf **mp, struct rte_mempool *pool);

#endif /* FO_NET_H */
