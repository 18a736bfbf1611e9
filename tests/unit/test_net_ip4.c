/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net IPv4: input validation (every drop reason, length lies,
 * truncation at every offset, checksum offload flags, padding) and output
 * (route, checksum in software or offloaded, Ethernet/VLAN header).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include <rte_ethdev.h>

#include "net_fake.h"

#define NONE (-1)
#define PEER_IP FK_IP(198, 18, 0, 2)
#define OUR_IP FK_IP(198, 18, 0, 1)

/* an echo request with 16 bytes of payload; mutations applied per case */
enum mut { M_NONE, M_VER, M_IHL, M_TOT, M_CK, M_TTL, M_FRAG, M_DST, M_SRC, M_PROTO };

struct ip_case {
	const char *name;
	enum mut mut;
	uint32_t val;
	int fix_ck; /* recompute the header checksum after the mutation */
	int expect;
};

static const struct ip_case ip_cases[] = {
	{"valid echo", M_NONE, 0, 1, NONE},
	{"version 6", M_VER, 6, 1, ip_bad_version},
	{"version 0", M_VER, 0, 1, ip_bad_version},
	{"ihl 0", M_IHL, 0, 1, ip_bad_hlen},
	{"ihl 4", M_IHL, 4, 1, ip_bad_hlen},
	{"ihl 6 (options)", M_IHL, 6, 1, ip_options},
	{"ihl 15", M_IHL, 15, 1, ip_options},
	{"total 0", M_TOT, 0, 1, ip_bad_len},
	{"total 19", M_TOT, 19, 1, ip_bad_len},
	{"total beyond frame", M_TOT, 20 + 24 + 1, 1, ip_truncated},
	{"total 65535", M_TOT, 65535, 1, ip_truncated},
	{"total 20 (icmp empty)", M_TOT, 20, 1, icmp_truncated},
	{"total 27 (icmp 7)", M_TOT, 27, 1, icmp_truncated},
	{"bad checksum", M_CK, 0x1111, 0, ip_bad_cksum},
	{"ttl 0", M_TTL, 0, 1, ip_ttl_expired},
	{"ttl 1", M_TTL, 1, 1, NONE},
	{"more fragments", M_FRAG, 0x2000, 1, ip_fragment},
	{"fragment offset", M_FRAG, 0x0001, 1, ip_fragment},
	{"last fragment", M_FRAG, 0x4010, 1, ip_fragment},
	{"df only", M_FRAG, 0x4000, 1, NONE},
	{"reserved flag", M_FRAG, 0x8000, 1, NONE},
	{"dst other host", M_DST, RTE_BE32(0xc6120003), 1, ip_not_for_us},
	{"dst broadcast", M_DST, RTE_BE32(0xc61200ff), 1, ip_not_for_us},
	{"dst limited bcast", M_DST, RTE_BE32(0xffffffff), 1, ip_not_for_us},
	{"src zero", M_SRC, 0, 1, ip_src_invalid},
	{"src multicast", M_SRC, RTE_BE32(0xe0000001), 1, ip_src_invalid},
	{"src class e", M_SRC, RTE_BE32(0xf0000001), 1, ip_src_invalid},
	{"src limited bcast", M_SRC, RTE_BE32(0xffffffff), 1, ip_src_invalid},
	{"src subnet bcast", M_SRC, RTE_BE32(0xc61200ff), 1, ip_src_invalid},
	{"src loopback", M_SRC, RTE_BE32(0x7f000001), 1, ip_src_invalid},
	{"src ours", M_SRC, RTE_BE32(0xc6120001), 1, ip_src_invalid},
	{"src off-subnet", M_SRC, RTE_BE32(0x08080808), 1, NONE},
	{"proto tcp", M_PROTO, 6, 1, ip_proto_unknown},
	{"proto udp", M_PROTO, 17, 1, ip_proto_unknown},
	{"proto 255", M_PROTO, 255, 1, ip_proto_unknown},
};

static void
apply(uint8_t *ip, const struct ip_case *c)
{
	switch (c->mut) {
	case M_NONE:
		break;
	case M_VER:
		ip[0] = (uint8_t)((c->val << 4) | (ip[0] & 0xf));
		break;
	case M_IHL:
		ip[0] = (uint8_t)((ip[0] & 0xf0) | c->val);
		break;
	case M_TOT:
		fk_put16(ip + 2, (uint16_t)c->val);
		break;
	case M_CK:
		fk_put16(ip + 10, (uint16_t)(fk_get16(ip + 10) ^ c->val));
		break;
	case M_TTL:
		ip[8] = (uint8_t)c->val;
		break;
	case M_FRAG:
		fk_put16(ip + 6, (uint16_t)c->val);
		break;
	case M_DST:
		memcpy(ip + 16, &c->val, 4);
		break;
	case M_SRC:
		memcpy(ip + 12, &c->val, 4);
		break;
	case M_PROTO:
		ip[9] = (uint8_t)c->val;
		break;
	}
	if (c->fix_ck)
		fk_ip4_recksum(ip);
}

static void
test_ip4_table(void **state)
{
	uint16_t vlans[] = {0, 100};
	size_t i, v;

	(void)state;
	for (v = 0; v < 2; v++) {
		for (i = 0; i < FO_ARRAY_SIZE(ip_cases); i++) {
			const struct ip_case *c = &ip_cases[i];
			struct fo_net_worker *w = fk_worker(vlans[v], 0);
			uint8_t f[128];
			uint16_t len = fk_ping_frame(f, vlans[v], 16);
			uint16_t l2 = vlans[v] ? 18 : 14;
			int r;

			apply(f + l2, c);
			r = fk_input1(w, 0, fk_mbuf_exact(f, len, RTE_PKTMBUF_HEADROOM));
			if (r != c->expect)
				fail_msg("case '%s' vlan %u: got %d (%s), want %d", c->name,
					vlans[v], r, r >= 0 ? fo_net_drop_names[r] : "none",
					c->expect);
			assert_int_equal(w->txq[0].n, c->expect == NONE ? 1 : 0);
			free(w);
			fk_reset();
		}
	}
}

/* cut a valid frame at every length: each cut counted once, the right reason */
static void
test_ip4_truncated_every_offset(void **state)
{
	uint16_t vlans[] = {0, 100};
	unsigned v;

	(void)state;
	for (v = 0; v < 2; v++) {
		struct fo_net_worker *w = fk_worker(vlans[v], 0);
		uint8_t f[128];
		uint16_t len = fk_ping_frame(f, vlans[v], 16);
		uint16_t l2 = vlans[v] ? 18 : 14, cut;

		for (cut = 0; cut < len; cut++) {
			int want = cut < 14 ? eth_truncated : cut < l2 ? vlan_truncated :
									   ip_truncated;
			int r = fk_input1(w, 0, fk_mbuf_exact(f, cut, RTE_PKTMBUF_HEADROOM));

			if (r != want)
				fail_msg("cut %u vlan %u: got %d want %d", cut, vlans[v], r, want);
		}
		assert_int_equal(w->txq[0].n, 0);
		assert_int_equal(fk_input1(w, 0, fk_mbuf_exact(f, len, RTE_PKTMBUF_HEADROOM)), NONE);
		free(w);
		fk_reset();
	}
}

/* the NIC's checksum verdict is trusted both ways */
static void
test_ip4_rx_cksum_flags(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	uint8_t f[128];
	uint16_t len = fk_ping_frame(f, 0, 16);
	struct rte_mbuf *m;

	(void)state;
	m = fk_mbuf(f, len);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_BAD;
	assert_int_equal(fk_input1(w, 0, m), ip_bad_cksum);

	m = fk_mbuf(f, len);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_NONE;
	assert_int_equal(fk_input1(w, 0, m), NONE);

	f[14 + 10] ^= 0xff; /* wrong, but the NIC says good */
	m = fk_mbuf(f, len);
	m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	assert_int_equal(fk_input1(w, 0, m), NONE);
	m = fk_mbuf(f, len);
	assert_int_equal(fk_input1(w, 0, m), ip_bad_cksum);
	free(w);
	fk_reset();
}

/* short frames padded to 60 bytes: padding is not payload */
static void
test_ip4_padding(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	uint8_t f[128] = {0};
	uint16_t len = fk_ping_frame(f, 0, 2); /* 14 + 20 + 10 = 44 */
	struct rte_mbuf *m, *out;

	(void)state;
	assert_int_equal(len, 44);
	memset(f + len, 0x55, 16); /* non-zero padding must not enter the sum */
	m = fk_mbuf(f, 60);
	assert_int_equal(fk_input1(w, 0, m), NONE);
	out = fk_txq_pop(w, 0);
	assert_int_equal(rte_pktmbuf_pkt_len(out), len);
	assert_true(fk_cksum_ok(rte_pktmbuf_mtod_offset(out, uint8_t *, 34), 10));
	free(w);
	fk_reset();
}

/* output: a filled header to a resolved neighbour */
static struct fo_net_worker *
worker_with_peer(uint16_t vlan, uint64_t txo)
{
	struct fo_net_worker *w = fk_worker(vlan, txo);
	uint8_t f[64];
	uint16_t len = fk_arp_frame(f, vlan, 1, PEER_IP, OUR_IP);

	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), NONE);
	w->txq[0].n = 0;
	return w;
}

static struct rte_mbuf *
ip_pkt(rte_be32_t dst, uint16_t payload)
{
	struct rte_mbuf *m = fk_mbuf_empty();
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(20 + payload));

	fk_ip4(p, OUR_IP, dst, 6, payload, 64, 0x4242);
	fk_put16(p + 10, 0xdead); /* caller leaves it unset */
	memset(p + 20, 0x3c, payload);
	return m;
}

static void
test_ip4_output(void **state)
{
	uint16_t vlans[] = {0, 100};
	unsigned v, o;

	(void)state;
	for (v = 0; v < 2; v++) {
		for (o = 0; o < 2; o++) {
			uint64_t txo = o ? RTE_ETH_TX_OFFLOAD_IPV4_CKSUM : 0;
			struct fo_net_worker *w = worker_with_peer(vlans[v], txo);
			uint16_t l2 = vlans[v] ? 18 : 14;
			struct rte_mbuf *m = ip_pkt(PEER_IP, 30), *out;
			uint8_t want[128];
			const uint8_t *p;

			assert_int_equal(fo_net_output_ip4(w, m, PEER_IP), 0);
			out = fk_txq_pop(w, 0);
			assert_ptr_equal(out, m);
			assert_int_equal(rte_pktmbuf_pkt_len(out), l2 + 50);
			p = rte_pktmbuf_mtod(out, const uint8_t *);
			fk_eth(want, fk_peer_mac, fk_our_mac, 0x0800, vlans[v]);
			assert_memory_equal(p, want, l2);
			if (o) {
				assert_int_equal(fk_get16(p + l2 + 10), 0);
				assert_true(out->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
				assert_true(out->ol_flags & RTE_MBUF_F_TX_IPV4);
				assert_int_equal(out->l2_len, l2);
				assert_int_equal(out->l3_len, 20);
			} else {
				assert_true(fk_cksum_ok(p + l2, 20));
				assert_int_equal(out->ol_flags, 0);
			}
			free(w);
			fk_reset();
		}
	}
}

/* TCP goes up to lib/tcp when enabled: l2/l3 lengths set, bounded queue */
static void
test_ip4_tcp_up(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	uint8_t f[128];
	uint16_t len;
	unsigned i, cap = FO_ARRAY_SIZE(w->tcp_rx.pkts);

	(void)state;
	w->tcp_enabled = 1;
	len = fk_eth(f, fk_our_mac, fk_peer_mac, 0x0800, 0);
	len += fk_ip4(f + len, PEER_IP, OUR_IP, 6, 20, 64, 1);
	memset(f + len, 0, 20);
	len += 20;
	for (i = 0; i < cap; i++)
		assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), NONE);
	assert_int_equal(w->tcp_rx.n, cap);
	assert_int_equal(w->stats.tcp_rx, cap);
	assert_int_equal(w->tcp_rx.pkts[0]->l2_len, 14);
	assert_int_equal(w->tcp_rx.pkts[0]->l3_len, 20);
	assert_int_equal(rte_pktmbuf_pkt_len(w->tcp_rx.pkts[0]), len);
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), tcp_rx_full);
	free(w);
	fk_reset();
}

/* TCP checksum on output: software (verified independently) or seeded for
 * the NIC, at lengths whose sums carry differently (the seed is computed
 * without rte_ipv4_phdr_cksum()) */
static void
test_ip4_output_tcp_cksum(void **state)
{
	static const uint16_t lens[] = {33, 20, 21, 255, 256, 1480}; /* TCP header + payload */
	unsigned o, i;

	(void)state;
	for (i = 0; i < FO_ARRAY_SIZE(lens); i++) {
		for (o = 0; o < 2; o++) {
			uint64_t txo = o ? RTE_ETH_TX_OFFLOAD_TCP_CKSUM : 0;
			struct fo_net_worker *w = worker_with_peer(0, txo);
			struct rte_mbuf *m = ip_pkt(PEER_IP, lens[i]), *out;
			uint8_t ph[12 + 1480];
			const uint8_t *p;

			m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
			assert_int_equal(fo_net_output_ip4(w, m, PEER_IP), 0);
			out = fk_txq_pop(w, 0);
			assert_non_null(out);
			p = rte_pktmbuf_mtod(out, const uint8_t *) + 14;
			/* pseudo header + segment, as a receiver checks it */
			memcpy(ph, p + 12, 8);
			ph[8] = 0;
			ph[9] = 6;
			fk_put16(ph + 10, lens[i]);
			memcpy(ph + 12, p + 20, lens[i]);
			if (o) {
				/* the NIC wants the pseudo-header sum, uncomplemented */
				uint8_t hdr[12];

				memcpy(hdr, ph, 12);
				assert_true(out->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
				assert_int_equal(
					fk_get16(p + 20 + 16), (uint16_t)~fk_cksum(hdr, 12));
			} else {
				assert_false(out->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
				assert_true(fk_cksum_ok(ph, (size_t)(12 + lens[i])));
			}
			free(w);
			fk_reset();
		}
	}
}

static void
test_ip4_output_route(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	struct fo_net_iface ifc;
	struct rte_mbuf *m, *req;

	(void)state;
	/* off-subnet goes to the gateway: an ARP request for .254 */
	m = ip_pkt(FK_IP(203, 0, 113, 5), 0);
	assert_int_equal(fo_net_output_ip4(w, m, FK_IP(203, 0, 113, 5)), 0);
	assert_null(fo_net_neigh_lookup(w, FK_IP(203, 0, 113, 5)));
	assert_non_null(fo_net_neigh_lookup(w, FK_IP(198, 18, 0, 254)));
	req = fk_txq_pop(w, 0);
	assert_non_null(req);
	assert_memory_equal(rte_pktmbuf_mtod_offset(req, uint8_t *, 14 + 24),
		&(rte_be32_t){FK_IP(198, 18, 0, 254)}, 4);
	free(w);
	fk_reset();

	/* no gateway: no route */
	ifc = fk_iface(0, 0);
	ifc.gateway = 0;
	w = fk_worker(0, 0);
	assert_int_equal(fo_net_worker_init(w, 0, 1, NULL, &ifc, 1, FK_HZ), 0);
	m = ip_pkt(FK_IP(203, 0, 113, 5), 0);
	assert_int_equal(fo_net_output_ip4(w, m, FK_IP(203, 0, 113, 5)), -ENETUNREACH);
	assert_int_equal(w->stats.drop[no_route], 1);
	fo_net_burst_end(w);
	assert_true(fk_was_freed(m));

	/* headroom contract broken */
	m = ip_pkt(PEER_IP, 0);
	m->data_off = 4;
	assert_int_equal(fo_net_output_ip4(w, m, PEER_IP), -ENOBUFS);
	assert_int_equal(w->stats.drop[nombuf], 1);

	/* shorter than an IPv4 header */
	m = fk_mbuf_empty();
	rte_pktmbuf_append(m, 10);
	assert_int_equal(fo_net_output_ip4(w, m, PEER_IP), -ENOBUFS);
	assert_int_equal(w->stats.drop[ip_truncated], 1);
	free(w);
	fk_reset();
}

/* The same frame as fo_net_output_ip4() through a filled cache (Ethernet,
 * VLAN, checksums in software or seeded for the NIC, offload fields) */
static void
test_ip4_output_dst_same(void **state)
{
	uint16_t vlans[] = {0, 100};
	unsigned v, o, k;

	(void)state;
	for (v = 0; v < 2; v++) {
		for (o = 0; o < 4; o++) {
			uint64_t txo = (o & 1 ? RTE_ETH_TX_OFFLOAD_IPV4_CKSUM : 0) |
				       (o & 2 ? RTE_ETH_TX_OFFLOAD_TCP_CKSUM : 0);
			struct fo_net_worker *w = worker_with_peer(vlans[v], txo);
			struct fo_net_dst d;
			struct rte_mbuf *ref, *m, *a, *b;
			uint64_t tx0 = w->stats.tx_pkts;

			memset(&d, 0, sizeof(d));
			ref = ip_pkt(PEER_IP, 45);
			ref->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
			assert_int_equal(fo_net_output_ip4(w, ref, PEER_IP), 0);
			a = fk_txq_pop(w, 0);
			for (k = 0; k < 2; k++) {
				/* the first fills the cache, the second goes through it */
				m = ip_pkt(PEER_IP, 45);
				m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM;
				assert_int_equal(fo_net_output_ip4_dst(w, m, &d), 0);
				assert_int_equal(d.dst, PEER_IP);
				assert_int_equal(d.nh, PEER_IP);
				b = fk_txq_pop(w, 0);
				assert_ptr_equal(b, m);
				assert_null(fk_txq_pop(w, 0));
				assert_int_equal(rte_pktmbuf_pkt_len(b), rte_pktmbuf_pkt_len(a));
				assert_memory_equal(rte_pktmbuf_mtod(b, uint8_t *),
					rte_pktmbuf_mtod(a, uint8_t *), rte_pktmbuf_pkt_len(a));
				assert_int_equal(b->ol_flags, a->ol_flags);
				assert_int_equal(b->l2_len, a->l2_len);
				assert_int_equal(b->l3_len, a->l3_len);
			}
			assert_int_equal(w->stats.tx_pkts - tx0, 3);
			free(w);
			fk_reset();
		}
	}
}

/* A cache never outlives what it caches: a new MAC is used at once, a
 * stale entry is refreshed, a reused slot or an unresolved next hop
 * takes the full path (queued behind ARP) */
static void
test_ip4_output_dst_invalid(void **state)
{
	static const uint8_t new_mac[6] = {0x02, 0, 0, 0, 0, 0x77};
	struct fo_net_worker *w = worker_with_peer(0, 0);
	struct fo_net_dst d;
	struct fo_neigh *e;
	struct rte_mbuf *m, *out;
	uint8_t f[64];
	uint16_t len;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(fo_net_output_ip4_dst(w, ip_pkt(PEER_IP, 0), &d), 0);
	assert_non_null(fk_txq_pop(w, 0));
	assert_int_equal(d.dst, PEER_IP);

	/* the peer moved to another MAC (an ARP reply says so) */
	len = fk_eth(f, fk_our_mac, new_mac, 0x0806, 0);
	len += fk_arp(f + len, 2, new_mac, PEER_IP, fk_our_mac, OUR_IP);
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), NONE);
	w->txq[0].n = 0;
	assert_int_equal(fo_net_output_ip4_dst(w, ip_pkt(PEER_IP, 0), &d), 0);
	out = fk_txq_pop(w, 0);
	assert_memory_equal(rte_pktmbuf_mtod(out, uint8_t *), new_mac, 6);

	/* stale: the full path sends and asks again (the old MAC serves meanwhile) */
	e = &w->neigh[d.slot];
	w->now = e->expire_tsc;
	assert_int_equal(fo_net_output_ip4_dst(w, ip_pkt(PEER_IP, 0), &d), 0);
	out = fk_txq_pop(w, 0);
	assert_memory_equal(rte_pktmbuf_mtod(out, uint8_t *), new_mac, 6);
	assert_int_equal(w->stats.arp_tx_request, 1);
	assert_non_null(fk_txq_pop(w, 0)); /* the request */
	assert_null(fk_txq_pop(w, 0));

	/* the slot now holds another address: the peer resolves again */
	e->ip = FK_IP(198, 18, 0, 77);
	m = ip_pkt(PEER_IP, 0);
	assert_int_equal(fo_net_output_ip4_dst(w, m, &d), 0);
	assert_int_equal(d.dst, 0); /* INCOMPLETE: nothing cached */
	assert_int_equal(w->stats.neigh_queued, 1);
	assert_int_equal(w->stats.arp_tx_request, 2);
	out = fk_txq_pop(w, 0);
	assert_ptr_not_equal(out, m); /* the ARP request; the packet waits */
	assert_null(fk_txq_pop(w, 0));

	/* too short to hold its header */
	m = fk_mbuf_empty();
	rte_pktmbuf_append(m, 10);
	assert_int_equal(fo_net_output_ip4_dst(w, m, &d), -ENOBUFS);
	assert_int_equal(w->stats.drop[ip_truncated], 1);
	free(w);
	fk_reset();
}

/* the source address for a destination: the interface of its subnet, else none (and the first) */
static void
test_src_for(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	rte_be32_t first = 1;

	(void)state;
	assert_int_equal(fo_net_src_for(w, FK_IP(198, 18, 0, 9), &first), FK_IP(198, 18, 0, 1));
	assert_int_equal(fo_net_src_for(w, FK_IP(203, 0, 113, 5), &first), 0);
	assert_int_equal(first, FK_IP(198, 18, 0, 1));
	assert_int_equal(fo_net_src_for(w, FK_IP(203, 0, 113, 5), NULL), 0);
	free(w);
	fk_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4_table),
		cmocka_unit_test(test_ip4_truncated_every_offset),
		cmocka_unit_test(test_ip4_rx_cksum_flags),
		cmocka_unit_test(test_ip4_padding),
		cmocka_unit_test(test_ip4_output),
		cmocka_unit_test(test_ip4_output_route),
		cmocka_unit_test(test_ip4_tcp_up),
		cmocka_unit_test(test_ip4_output_tcp_cksum),
		cmocka_unit_test(test_ip4_output_dst_same),
		cmocka_unit_test(test_ip4_output_dst_invalid),
		cmocka_unit_test(test_src_for),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
