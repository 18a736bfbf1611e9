/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net ARP: replies (byte-exact), learning rules (RFC 826 merge, no
 * poisoning, gratuitous refresh-only), every drop reason, truncation at
 * every offset, announcements.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include "net_fake.h"

#define NONE (-1)
#define PEER_IP FK_IP(198, 18, 0, 2)
#define OUR_IP FK_IP(198, 18, 0, 1)

static const uint8_t zero_mac[6];

static void
check_reply(struct rte_mbuf *out, uint16_t vlan, const uint8_t *req_sha, rte_be32_t req_sip)
{
	uint8_t want[64];
	uint16_t l2 = fk_eth(want, req_sha, fk_our_mac, 0x0806, vlan);
	uint16_t len = (uint16_t)(l2 + fk_arp(want + l2, 2, fk_our_mac, OUR_IP, req_sha, req_sip));

	assert_non_null(out);
	assert_int_equal(rte_pktmbuf_pkt_len(out), len);
	assert_int_equal(rte_pktmbuf_data_len(out), len);
	assert_memory_equal(rte_pktmbuf_mtod(out, uint8_t *), want, len);
	assert_int_equal(out->ol_flags, 0);
}

static void
test_arp_reply_exact(void **state)
{
	uint16_t vlans[] = {0, 100, 4094};
	unsigned i;

	(void)state;
	for (i = 0; i < FO_ARRAY_SIZE(vlans); i++) {
		struct fo_net_worker *w = fk_worker(vlans[i], 0);
		uint8_t f[128];
		uint16_t len = fk_arp_frame(f, vlans[i], 1, PEER_IP, OUR_IP);
		struct rte_mbuf *m;
		const struct fo_neigh *n;

		/* Ethernet padding to 60 bytes is trimmed from the reply */
		memset(f + len, 0, sizeof(f) - len);
		m = fk_mbuf(f, 60 + (vlans[i] ? 4 : 0));
		m->ol_flags = RTE_MBUF_F_RX_IP_CKSUM_GOOD; /* rx flags don't leak to tx */
		assert_int_equal(fk_input1(w, 0, m), NONE);
		assert_int_equal(w->txq[0].n, 1);
		check_reply(w->txq[0].pkts[0], vlans[i], fk_peer_mac, PEER_IP);
		assert_int_equal(w->stats.arp_rx_request, 1);
		assert_int_equal(w->stats.arp_tx_reply, 1);
		assert_int_equal(w->stats.tx_pkts, 1);
		/* the requester was learned */
		n = fo_net_neigh_lookup(w, PEER_IP);
		assert_non_null(n);
		assert_int_equal(n->state, FO_NEIGH_REACHABLE);
		assert_memory_equal(n->mac.addr_bytes, fk_peer_mac, 6);
		assert_int_equal(w->stats.neigh_learned, 1);
		free(w);
		fk_reset();
	}
}

struct arp_case {
	const char *name;
	uint16_t hrd, pro;
	uint8_t hln, pln;
	uint16_t op;
	uint8_t sha[6];
	rte_be32_t sip;
	rte_be32_t tip;
	int expect;
};

#define PEERMAC {0x02, 0, 0, 0, 0, 0x02}
static const struct arp_case arp_cases[] = {
	{"request", 1, 0x0800, 6, 4, 1, PEERMAC, PEER_IP, OUR_IP, NONE},
	{"hrd ieee802", 6, 0x0800, 6, 4, 1, PEERMAC, PEER_IP, OUR_IP, arp_bad_header},
	{"pro ipv6", 1, 0x86dd, 6, 4, 1, PEERMAC, PEER_IP, OUR_IP, arp_bad_header},
	{"hln 8", 1, 0x0800, 8, 4, 1, PEERMAC, PEER_IP, OUR_IP, arp_bad_header},
	{"pln 16", 1, 0x0800, 6, 16, 1, PEERMAC, PEER_IP, OUR_IP, arp_bad_header},
	{"op 0", 1, 0x0800, 6, 4, 0, PEERMAC, PEER_IP, OUR_IP, arp_bad_op},
	{"op rarp", 1, 0x0800, 6, 4, 3, PEERMAC, PEER_IP, OUR_IP, arp_bad_op},
	{"sip zero (probe)", 1, 0x0800, 6, 4, 1, PEERMAC, 0, OUR_IP, arp_src_invalid},
	{"sip ours", 1, 0x0800, 6, 4, 1, PEERMAC, OUR_IP, OUR_IP, arp_src_invalid},
	{"sip subnet bcast", 1, 0x0800, 6, 4, 1, PEERMAC, FK_IP(198, 18, 0, 255), OUR_IP,
		arp_src_invalid},
	{"sip network", 1, 0x0800, 6, 4, 1, PEERMAC, FK_IP(198, 18, 0, 0), OUR_IP,
		arp_src_invalid},
	{"sip off-subnet", 1, 0x0800, 6, 4, 1, PEERMAC, FK_IP(198, 19, 0, 2), OUR_IP,
		arp_src_invalid},
	{"sip multicast", 1, 0x0800, 6, 4, 1, PEERMAC, FK_IP(224, 0, 0, 1), OUR_IP,
		arp_src_invalid},
	{"sip limited bcast", 1, 0x0800, 6, 4, 1, PEERMAC, FK_IP(255, 255, 255, 255), OUR_IP,
		arp_src_invalid},
	{"sha multicast", 1, 0x0800, 6, 4, 1, {0x01, 0, 0x5e, 0, 0, 1}, PEER_IP, OUR_IP,
		arp_src_invalid},
	{"sha zero", 1, 0x0800, 6, 4, 1, {0}, PEER_IP, OUR_IP, arp_src_invalid},
	{"request for another host", 1, 0x0800, 6, 4, 1, PEERMAC, PEER_IP,
		FK_IP(198, 18, 0, 3), arp_not_for_us},
	{"unsolicited reply", 1, 0x0800, 6, 4, 2, PEERMAC, PEER_IP, OUR_IP, arp_unsolicited},
	{"gratuitous request", 1, 0x0800, 6, 4, 1, PEERMAC, PEER_IP, PEER_IP, NONE},
	{"gratuitous reply", 1, 0x0800, 6, 4, 2, PEERMAC, PEER_IP, PEER_IP, NONE},
};

static void
test_arp_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < FO_ARRAY_SIZE(arp_cases); i++) {
		const struct arp_case *c = &arp_cases[i];
		struct fo_net_worker *w = fk_worker(0, 0);
		uint8_t f[64];
		uint16_t l2 = fk_eth(f, fk_bcast_mac, fk_peer_mac, 0x0806, 0);
		struct rte_mbuf *m;
		int r;

		fk_arp(f + l2, c->op, c->sha, c->sip, zero_mac, c->tip);
		fk_put16(f + l2, c->hrd);
		fk_put16(f + l2 + 2, c->pro);
		f[l2 + 4] = c->hln;
		f[l2 + 5] = c->pln;
		m = fk_mbuf(f, l2 + 28);
		r = fk_input1(w, 0, m);
		if (r != c->expect)
			fail_msg("case '%s': got %d (%s), want %d", c->name, r,
				r >= 0 ? fo_net_drop_names[r] : "none", c->expect);
		/* nothing but a valid request for us creates an entry */
		if (i == 0)
			assert_non_null(fo_net_neigh_lookup(w, PEER_IP));
		else
			assert_null(fo_net_neigh_lookup(w, c->sip));
		fo_net_burst_end(w);
		if (i != 0)
			assert_true(fk_was_freed(m));
		free(w);
		fk_reset();
	}
}

/* every cut inside the ARP header: arp_truncated, never a crash */
static void
test_arp_truncated_every_offset(void **state)
{
	uint16_t vlans[] = {0, 100};
	unsigned v;

	(void)state;
	for (v = 0; v < 2; v++) {
		struct fo_net_worker *w = fk_worker(vlans[v], 0);
		uint8_t f[64];
		uint16_t len = fk_arp_frame(f, vlans[v], 1, PEER_IP, OUR_IP);
		uint16_t l2 = vlans[v] ? 18 : 14, cut;

		for (cut = l2; cut < len; cut++) {
			struct rte_mbuf *m = fk_mbuf_exact(f, cut, RTE_PKTMBUF_HEADROOM);

			assert_int_equal(fk_input1(w, 0, m), arp_truncated);
		}
		assert_int_equal(w->stats.drop[arp_truncated], len - l2);
		assert_int_equal(w->txq[0].n, 0);
		free(w);
		fk_reset();
	}
}

/* headers in a second segment are not looked at */
static void
test_arp_split_segments(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	uint8_t f[64];
	uint16_t len = fk_arp_frame(f, 0, 1, PEER_IP, OUR_IP);
	uint16_t segs[] = {20, (uint16_t)(len - 20)};
	uint16_t segs_ok[] = {42, 18};
	struct rte_mbuf *m = fk_mbuf_chain(f, len, segs, 2);

	(void)state;
	assert_int_equal(fk_input1(w, 0, m), arp_truncated);
	/* whole ARP in the first segment, padding in the second: answered */
	memset(f + len, 0, sizeof(f) - len);
	m = fk_mbuf_chain(f, 60, segs_ok, 2);
	assert_int_equal(fk_input1(w, 0, m), NONE);
	assert_int_equal(w->txq[0].n, 1);
	free(w);
	fk_reset();
}

/* a reply for an address we asked about is accepted; later ones refresh */
static void
test_arp_reply_learning(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	uint8_t f[64], ipf[64] = {0};
	uint16_t len;
	struct rte_mbuf *m;
	const struct fo_neigh *n;
	const uint8_t newmac[6] = {0x02, 0, 0, 0, 0, 0x22};

	(void)state;
	/* make an INCOMPLETE entry by sending to the peer */
	m = fk_mbuf(ipf, 20);
	fk_ip4(rte_pktmbuf_mtod(m, uint8_t *), OUR_IP, PEER_IP, 6, 0, 64, 1);
	assert_int_equal(fo_net_output_ip4(w, m, PEER_IP), 0);
	n = fo_net_neigh_lookup(w, PEER_IP);
	assert_non_null(n);
	assert_int_equal(n->state, FO_NEIGH_INCOMPLETE);
	assert_int_equal(w->txq[0].n, 1); /* the ARP request */
	w->txq[0].n = 0;

	len = fk_arp_frame(f, 0, 2, PEER_IP, OUR_IP);
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), NONE);
	assert_int_equal(n->state, FO_NEIGH_REACHABLE);
	assert_memory_equal(n->mac.addr_bytes, fk_peer_mac, 6);
	assert_int_equal(w->stats.arp_rx_reply, 1);
	assert_int_equal(w->txq[0].n, 1); /* the queued packet went out */
	assert_memory_equal(rte_pktmbuf_mtod(w->txq[0].pkts[0], uint8_t *), fk_peer_mac, 6);
	w->txq[0].n = 0;

	/* a known host changes its MAC (reply, request to another host, gratuitous) */
	len = fk_arp_frame(f, 0, 2, PEER_IP, OUR_IP);
	memcpy(f + 14 + 8, newmac, 6);
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), NONE);
	assert_memory_equal(n->mac.addr_bytes, newmac, 6);

	len = fk_arp_frame(f, 0, 1, PEER_IP, FK_IP(198, 18, 0, 9));
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), arp_not_for_us);
	assert_memory_equal(n->mac.addr_bytes, fk_peer_mac, 6); /* RFC 826 merge */

	len = fk_arp_frame(f, 0, 1, PEER_IP, PEER_IP);
	memcpy(f + 14 + 8, newmac, 6);
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), NONE);
	assert_memory_equal(n->mac.addr_bytes, newmac, 6);
	assert_int_equal(w->stats.arp_rx_gratuitous, 1);
	assert_int_equal(w->txq[0].n, 0); /* gratuitous ARPs are not answered */
	fo_net_burst_end(w);
	free(w);
	fk_reset();
}

static void
check_announce(struct rte_mbuf *out, uint16_t vlan)
{
	uint8_t want[64];
	uint16_t l2 = fk_eth(want, fk_bcast_mac, fk_our_mac, 0x0806, vlan);
	uint16_t len = (uint16_t)(l2 + fk_arp(want + l2, 1, fk_our_mac, OUR_IP, zero_mac, OUR_IP));

	assert_non_null(out);
	assert_int_equal(rte_pktmbuf_pkt_len(out), len);
	assert_memory_equal(rte_pktmbuf_mtod(out, uint8_t *), want, len);
}

static void
test_arp_announce(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	unsigned i;

	(void)state;
	assert_int_equal(fo_net_announce(w, 0), 0);
	assert_int_equal(w->stats.arp_tx_gratuitous, 1);
	check_announce(fk_txq_pop(w, 0), 0);
	assert_int_equal(fo_net_announce(w, 1), -ENODEV);
	assert_int_equal(fo_net_announce(w, 999), -ENODEV);

	fk.alloc_fail = 1;
	assert_int_equal(fo_net_announce(w, 0), -ENOMEM);
	assert_int_equal(w->stats.drop[nombuf], 1);
	fk.alloc_fail = 0;

	for (i = 0; i < FO_ARRAY_SIZE(w->txq[0].pkts); i++)
		assert_int_equal(fo_net_announce(w, 0), 0);
	assert_int_equal(fo_net_announce(w, 0), -ENOBUFS);
	assert_int_equal(w->stats.drop[tx_full], 1);
	fo_net_burst_end(w);
	assert_int_equal(fk.n_freed, 1);
	free(w);
	fk_reset();

	w = fk_worker(100, 0);
	assert_int_equal(fo_net_announce(w, 0), 0);
	check_announce(fk_txq_pop(w, 0), 100);
	free(w);
	fk_reset();
}

/* a reply that finds the tx buffer full is dropped as tx_full */
static void
test_arp_reply_txq_full(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	uint8_t f[64];
	uint16_t len = fk_arp_frame(f, 0, 1, PEER_IP, OUR_IP);

	(void)state;
	w->txq[0].n = FO_ARRAY_SIZE(w->txq[0].pkts);
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), tx_full);
	assert_int_equal(w->stats.arp_tx_reply, 0);
	free(w);
	fk_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_reply_exact),
		cmocka_unit_test(test_arp_table),
		cmocka_unit_test(test_arp_truncated_every_offset),
		cmocka_unit_test(test_arp_split_segments),
		cmocka_unit_test(test_arp_reply_learning),
		cmocka_unit_test(test_arp_announce),
		cmocka_unit_test(test_arp_reply_txq_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
