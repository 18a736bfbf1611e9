/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --syn-flood RATE: bare SYNs at fanout's listener from many spoofed
 * sources, on the clients' port, while the clients' load runs (only in
 * the measured window, so that a run with a flood and one without measure
 * the same thing). What pktgen's synflood.pkt does on a real NIC, from
 * inside the loadgen: over net_memif this is the fastest sender we have
 * (millions of frames/s per queue, against about 0.1-0.4 Mpps for a
 * kernel sender -- tcpreplay or a raw socket -- on tap, af_packet or a
 * veth), and it needs nothing outside the project.
 *
 * Sources: random addresses of --flood-src (default 198.19.0.0/16, off
 * fanout's subnet, so that its SYN-ACKs go to its gateway -- the loadgen's
 * client address, see tests/bench/synflood_bench.py -- and are dropped
 * here as not ours, like replies to spoofed sources on the Internet),
 * random ports 1024-65535, random sequence numbers; an MSS option, as
 * real SYNs carry. Checksums in software (net_memif offers no offload).
 * The rate is kept on the TSC: every poll sends what is due, at most
 * FLOOD_BURST frames, so the clients keep their share of the lcore; when
 * the lcore cannot keep up the achieved rate is lower (reported).
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "lg.h"

#define FLOOD_BURST 64
#define SYN_OPT_LEN 4 /* MSS */
#define SYN_FRAME_LEN                                                                              \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr) + \
		SYN_OPT_LEN)

struct lg_flood {
	struct lg_stack *st;
	struct rte_mempool *mp;
	uint16_t port;
	int ready; /* fanout's MAC known, template built */
	rte_be32_t dst, src_base;
	uint32_t src_mask; /* host order */
	rte_be16_t dport;
	double rate; /* frames/s */
	uint64_t hz, rng;
	uint64_t start; /* TSC the current stretch of flooding began (0: off) */
	uint64_t done;  /* frames sent or dropped since then */
	uint8_t tmpl[SYN_FRAME_LEN];
	struct lg_flood_stats s;
};

static inline uint64_t
xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

struct lg_flood *
lg_flood_create(struct lg_stack *st, const struct lg_args *a, struct rte_mempool *mp, uint64_t hz)
{
	struct lg_flood *f = rte_zmalloc("lg_flood", sizeof(*f), RTE_CACHE_LINE_SIZE);

	if (f == NULL)
		return NULL;
	f->st = st;
	f->mp = mp;
	f->port = a->client_port;
	f->dst = a->server_addr;
	f->dport = rte_cpu_to_be_16(a->server_port);
	f->src_mask = a->flood_prefix == 0 ? UINT32_MAX : UINT32_MAX >> a->flood_prefix;
	f->src_base = a->flood_src & rte_cpu_to_be_32(~f->src_mask);
	f->rate = a->syn_flood;
	f->hz = hz;
	f->rng = 0x9e3779b97f4a7c15ull ^ hz;
	return f;
}

void
lg_flood_free(struct lg_flood *f)
{
	rte_free(f);
}

/* Ethernet, IPv4 and TCP headers of a SYN to fanout; sources filled per frame. */
static int
build_template(struct lg_flood *f)
{
	const struct fo_neigh *n = fo_net_neigh_lookup(&f->st->net, f->dst);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->tmpl;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	uint8_t *opt = (uint8_t *)(th + 1);

	if (n == NULL || n->state != FO_NEIGH_REACHABLE)
		return -1;
	memset(f->tmpl, 0, sizeof(f->tmpl));
	eth->dst_addr = n->mac;
	eth->src_addr = f->st->net.ifaces[f->port].mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(SYN_FRAME_LEN - sizeof(*eth));
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->dst_addr = f->dst;
	th->dst_port = f->dport;
	th->data_off = (uint8_t)((sizeof(*th) + SYN_OPT_LEN) / 4) << 4;
	th->tcp_flags = RTE_TCP_SYN_FLAG;
	th->rx_win = rte_cpu_to_be_16(64240);
	opt[0] = 2; /* MSS 1460 */
	opt[1] = 4;
	opt[2] = 1460 >> 8;
	opt[3] = 1460 & 0xff;
	f->ready = 1;
	return 0;
}

/* One SYN from a random source, into @p m. */
static void
fill_syn(struct lg_flood *f, struct rte_mbuf *m)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	uint64_t r = xorshift(&f->rng);

	memcpy(p, f->tmpl, SYN_FRAME_LEN);
	m->data_len = SYN_FRAME_LEN;
	m->pkt_len = SYN_FRAME_LEN;
	ip->src_addr =
		f->src_base | (rte_cpu_to_be_32((uint32_t)r) & rte_cpu_to_be_32(f->src_mask));
	ip->packet_id = (rte_be16_t)(r >> 32);
	th->src_port = rte_cpu_to_be_16((uint16_t)(1024 + (r >> 48) % 64512));
	th->sent_seq = (rte_be32_t)xorshift(&f->rng);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
}

unsigned
lg_flood_poll(struct lg_flood *f, uint64_t now, int on)
{
	struct rte_mbuf *pkts[FLOOD_BURST];
	uint64_t due;
	uint16_t n, sent;
	unsigned i;

	if (!on) {
		f->start = 0;
		return 0;
	}
	if (!f->ready && build_template(f) != 0) {
		/* the clients' connections resolve fanout's MAC; ask meanwhile */
		fo_net_neigh_resolve(&f->st->net, f->dst, 0);
		return 0;
	}
	if (f->start == 0) {
		f->start = now;
		f->done = 0;
		if (f->s.first_tsc == 0)
			f->s.first_tsc = now;
	}
	f->s.last_tsc = now;
	due = (uint64_t)((double)(now - f->start) * f->rate / (double)f->hz);
	if (due <= f->done)
		return 0;
	due -= f->done;
	n = (uint16_t)RTE_MIN(due, (uint64_t)FLOOD_BURST);
	if (rte_pktmbuf_alloc_bulk(f->mp, pkts, n) != 0) {
		f->s.nombuf++;
		return 0;
	}
	for (i = 0; i < n; i++)
		fill_syn(f, pkts[i]);
	sent = rte_eth_tx_burst(f->port, 0, pkts, n);
	if (sent < n) {
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		/* the ring was full: those count as due and gone, or the next poll
		 * would try to catch up by the whole backlog */
		f->s.tx_dropped += n - sent;
	}
	f->done += n;
	f->s.sent += sent;
	return n;
}

const struct lg_flood_stats *
lg_flood_stats(const struct lg_flood *f)
{
	return &f->s;
}
