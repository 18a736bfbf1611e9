/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fake mbufs and frame builders for the lib/net unit tests and the
 * fuzz target: no EAL, no mempool. Defines the two --wrap replacements
 * (include from exactly one file per executable). No cmocka here.
 */
#ifndef NET_FAKE_H
#define NET_FAKE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "fo_net.h"

#define FK_BUF_SIZE 4096
#define FK_MAX_MBUFS 4096
#define FK_MAX_FREED 8192

#define FK_HZ 1000000ull /* 1 ms == 1000 cycles */
#define FK_MS(x) ((uint64_t)(x) * (FK_HZ / 1000))

/* network-order IPv4 from four bytes */
#define FK_IP(a, b, c, d) RTE_BE32(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

static const uint8_t fk_our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t fk_peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t fk_bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

struct fk_rec {
	struct rte_mbuf *m;
	void *buf;
};

static struct {
	int alloc_fail;       /* __wrap_fo_net_mbuf_alloc returns NULL */
	unsigned n_alloc;     /* successful wrapped allocations */
	unsigned n_free_calls; /* __wrap_rte_pktmbuf_free_bulk calls */
	unsigned n_freed;
	struct rte_mbuf *freed[FK_MAX_FREED];
	unsigned n_recs;
	struct fk_rec recs[FK_MAX_MBUFS];
} fk;

/** A fake mbuf over a fresh heap buffer of @p room bytes, @p headroom at front. */
static inline struct rte_mbuf *
fk_mbuf_room(uint32_t room, uint16_t headroom)
{
	struct rte_mbuf *m = calloc(1, sizeof(*m));
	void *buf = malloc(room ? room : 1);

	if (m == NULL || buf == NULL || fk.n_recs == FK_MAX_MBUFS)
		abort();
	memset(buf, 0xa5, room);
	m->buf_addr = buf;
	m->buf_len = (uint16_t)room;
	m->data_off = headroom;
	m->refcnt = 1;
	m->nb_segs = 1;
	m->port = 0;
	fk.recs[fk.n_recs].m = m;
	fk.recs[fk.n_recs].buf = buf;
	fk.n_recs++;
	return m;
}

/** Empty fake mbuf like rte_pktmbuf_alloc() gives. */
static inline struct rte_mbuf *
fk_mbuf_empty(void)
{
	return fk_mbuf_room(FK_BUF_SIZE, RTE_PKTMBUF_HEADROOM);
}

/** Fake mbuf holding @p len bytes of @p frame after the usual headroom. */
static inline struct rte_mbuf *
fk_mbuf(const void *frame, uint16_t len)
{
	struct rte_mbuf *m = fk_mbuf_room(RTE_PKTMBUF_HEADROOM + len + 64, RTE_PKTMBUF_HEADROOM);

	memcpy(rte_pktmbuf_mtod(m, void *), frame, len);
	m->data_len = len;
	m->pkt_len = len;
	return m;
}

/** Like fk_mbuf(), but the data ends exactly at the end of the heap buffer. */
static inline struct rte_mbuf *
fk_mbuf_exact(const void *frame, uint16_t len, uint16_t headroom)
{
	struct rte_mbuf *m = fk_mbuf_room((uint32_t)headroom + len, headroom);

	if (len)
		memcpy(rte_pktmbuf_mtod(m, void *), frame, len);
	m->data_len = len;
	m->pkt_len = len;
	return m;
}

/** Split @p frame into a chain with segment lengths @p segs (sum == len). */
static inline struct rte_mbuf *
fk_mbuf_chain(const uint8_t *frame, uint16_t len, const uint16_t *segs, unsigned n)
{
	struct rte_mbuf *head = NULL, *prev = NULL;
	uint16_t off = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *s = fk_mbuf_exact(frame + off, segs[i],
			i == 0 ? RTE_PKTMBUF_HEADROOM : 0);

		off += segs[i];
		if (head == NULL)
			head = s;
		else
			prev->next = s;
		prev = s;
	}
	head->nb_segs = (uint16_t)n;
	head->pkt_len = len;
	return head;
}

/** Free every fake mbuf and forget recorded frees. */
static inline void
fk_reset(void)
{
	unsigned i;

	for (i = 0; i < fk.n_recs; i++) {
		free(fk.recs[i].buf);
		free(fk.recs[i].m);
	}
	memset(&fk, 0, sizeof(fk));
}

/** Was @p m handed to rte_pktmbuf_free_bulk()? */
static inline int
fk_was_freed(const struct rte_mbuf *m)
{
	unsigned i;

	for (i = 0; i < fk.n_freed; i++)
		if (fk.freed[i] == m)
			return 1;
	return 0;
}

struct rte_mbuf *__wrap_fo_net_mbuf_alloc(struct fo_net_worker *w);
void __wrap_rte_pktmbuf_free_bulk(struct rte_mbuf **mbufs, unsigned int count);

struct rte_mbuf *
__wrap_fo_net_mbuf_alloc(struct fo_net_worker *w)
{
	(void)w;
	if (fk.alloc_fail || fk.n_recs == FK_MAX_MBUFS)
		return NULL;
	fk.n_alloc++;
	return fk_mbuf_empty();
}

void
__wrap_rte_pktmbuf_free_bulk(struct rte_mbuf **mbufs, unsigned int count)
{
	unsigned i;

	fk.n_free_calls++;
	for (i = 0; i < count; i++)
		if (fk.n_freed < FK_MAX_FREED)
			fk.freed[fk.n_freed++] = mbufs[i];
}

/* ---- independent packet construction (bytes, not DPDK structs) ---- */

/** RFC 1071 checksum of @p len bytes (the value to store, not the raw sum). */
static inline uint16_t
fk_cksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/** Does the ones'-complement sum over @p len bytes verify (checksum included)? */
static inline int
fk_cksum_ok(const void *data, size_t len)
{
	return fk_cksum(data, len) == 0;
}

static inline void
fk_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t
fk_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/** Ethernet header (+ 802.1Q tag when @p vlan != 0); @return bytes written. */
static inline uint16_t
fk_eth(uint8_t *p, const uint8_t *dst, const uint8_t *src, uint16_t type, uint16_t vlan)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	if (vlan) {
		fk_put16(p + 12, 0x8100);
		fk_put16(p + 14, vlan);
		fk_put16(p + 16, type);
		return 18;
	}
	fk_put16(p + 12, type);
	return 14;
}

/** ARP for Ethernet/IPv4; IPs in network order. @return 28. */
static inline uint16_t
fk_arp(uint8_t *p, uint16_t op, const uint8_t *sha, rte_be32_t sip, const uint8_t *tha,
	rte_be32_t tip)
{
	fk_put16(p, 1);
	fk_put16(p + 2, 0x0800);
	p[4] = 6;
	p[5] = 4;
	fk_put16(p + 6, op);
	memcpy(p + 8, sha, 6);
	memcpy(p + 14, &sip, 4);
	memcpy(p + 18, tha, 6);
	memcpy(p + 24, &tip, 4);
	return 28;
}

/** IPv4 header without options, checksum filled. @return 20. */
static inline uint16_t
fk_ip4(uint8_t *p, rte_be32_t src, rte_be32_t dst, uint8_t proto, uint16_t payload_len,
	uint8_t ttl, uint16_t id)
{
	p[0] = 0x45;
	p[1] = 0;
	fk_put16(p + 2, (uint16_t)(20 + payload_len));
	fk_put16(p + 4, id);
	fk_put16(p + 6, 0x4000); /* DF */
	p[8] = ttl;
	p[9] = proto;
	fk_put16(p + 10, 0);
	memcpy(p + 12, &src, 4);
	memcpy(p + 16, &dst, 4);
	fk_put16(p + 10, fk_cksum(p, 20));
	return 20;
}

/** Recompute the IPv4 header checksum at @p p (20 bytes). */
static inline void
fk_ip4_recksum(uint8_t *p)
{
	fk_put16(p + 10, 0);
	fk_put16(p + 10, fk_cksum(p, 20));
}

/** ICMP echo-type message with a patterned payload. @return 8 + plen. */
static inline uint16_t
fk_icmp(uint8_t *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq, uint16_t plen)
{
	uint16_t i;

	p[0] = type;
	p[1] = code;
	fk_put16(p + 2, 0);
	fk_put16(p + 4, id);
	fk_put16(p + 6, seq);
	for (i = 0; i < plen; i++)
		p[8 + i] = (uint8_t)(i * 7 + 3);
	fk_put16(p + 2, fk_cksum(p, 8u + plen));
	return (uint16_t)(8 + plen);
}

/** Whole echo-request frame from the peer to us. @return frame length. */
static inline uint16_t
fk_ping_frame(uint8_t *p, uint16_t vlan, uint16_t plen)
{
	uint16_t l2 = fk_eth(p, fk_our_mac, fk_peer_mac, 0x0800, vlan);

	fk_ip4(p + l2, FK_IP(198, 18, 0, 2), FK_IP(198, 18, 0, 1), 1, (uint16_t)(8 + plen), 64,
		0x1234);
	return (uint16_t)(l2 + 20 + fk_icmp(p + l2 + 20, 8, 0, 0x77, 1, plen));
}

/** Whole ARP frame from the peer. @return frame length. */
static inline uint16_t
fk_arp_frame(uint8_t *p, uint16_t vlan, uint16_t op, rte_be32_t sip, rte_be32_t tip)
{
	static const uint8_t zero[6];
	uint16_t l2 = fk_eth(p, op == 1 ? fk_bcast_mac : fk_our_mac, fk_peer_mac, 0x0806, vlan);

	return (uint16_t)(l2 + fk_arp(p + l2, op, fk_peer_mac, sip, op == 1 ? zero : fk_our_mac,
					    tip));
}

/** The standard test interface: port 0, 198.18.0.1/24, gateway .254. */
static inline struct fo_net_iface
fk_iface(uint16_t vlan, uint64_t tx_offloads)
{
	struct fo_net_iface ifc;

	memset(&ifc, 0, sizeof(ifc));
	ifc.port_id = 0;
	ifc.vlan = vlan;
	ifc.mtu = 1500;
	ifc.prefix_len = 24;
	ifc.configured = 1;
	memcpy(ifc.mac.addr_bytes, fk_our_mac, 6);
	ifc.addr = FK_IP(198, 18, 0, 1);
	ifc.gateway = FK_IP(198, 18, 0, 254);
	ifc.tx_offloads = tx_offloads;
	return ifc;
}

/** Heap worker (cache aligned) with fk_iface() on port 0, time 1 s. */
static inline struct fo_net_worker *
fk_worker(uint16_t vlan, uint64_t tx_offloads)
{
	struct fo_net_iface ifc = fk_iface(vlan, tx_offloads);
	struct fo_net_worker *w = aligned_alloc(RTE_CACHE_LINE_SIZE,
		RTE_ALIGN_CEIL(sizeof(*w), RTE_CACHE_LINE_SIZE));

	if (w == NULL || fo_net_worker_init(w, 0, 1, NULL, &ifc, 1, FK_HZ) != 0)
		abort();
	w->now = FK_HZ;
	return w;
}

/**
 * Index of the one drop counter that grew between @p a and @p b, -1 when
 * none did, -2 when several did or one grew by more than one.
 */
static inline int
fk_drop_diff(const struct fo_net_stats *a, const struct fo_net_stats *b)
{
	int r = -1;
	unsigned i;

	for (i = 0; i < FO_NET_DROP_MAX; i++) {
		if (a->drop[i] == b->drop[i])
			continue;
		if (r != -1 || b->drop[i] - a->drop[i] != 1)
			return -2;
		r = (int)i;
	}
	return r;
}

/** Feed one frame; @return fk_drop_diff() of the stats around it. */
static inline int
fk_input1(struct fo_net_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct fo_net_stats before = w->stats;

	fo_net_input(w, port, &m, 1);
	return fk_drop_diff(&before, &w->stats);
}

/** Pop the oldest frame queued on @p port (NULL when none). */
static inline struct rte_mbuf *
fk_txq_pop(struct fo_net_worker *w, uint16_t port)
{
	struct fo_net_txq *q = &w->txq[port];
	struct rte_mbuf *m;

	if (q->n == 0)
		return NULL;
	m = q->pkts[0];
	memmove(&q->pkts[0], &q->pkts[1], (q->n - 1) * sizeof(q->pkts[0]));
	q->n--;
	return m;
}

#endif /* NET_FAKE_H */
