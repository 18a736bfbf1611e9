/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net Ethernet input: MAC checks, 802.1Q, dispatch, burst handling,
 * bulk free, counter tables, worker init.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include "net_fake.h"

#define NONE (-1)

struct eth_case {
	const char *name;
	uint16_t iface_vlan;
	uint16_t port;
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t type;   /* outer ethertype */
	uint16_t tci;    /* used when type == 0x8100 */
	uint16_t inner;  /* used when type == 0x8100 */
	uint16_t len;    /* frame length cut (0: whole frame) */
	int expect;      /* drop reason, NONE: answered */
};

#define OURS {0x02, 0, 0, 0, 0, 0x01}
#define PEER {0x02, 0, 0, 0, 0, 0x02}
#define BCAST {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

static const struct eth_case eth_cases[] = {
	{"arp to ours", 0, 0, OURS, PEER, 0x0806, 0, 0, 0, NONE},
	{"arp broadcast", 0, 0, BCAST, PEER, 0x0806, 0, 0, 0, NONE},
	{"other unicast", 0, 0, {0x02, 0, 0, 0, 0, 0x09}, PEER, 0x0806, 0, 0, 0, eth_not_for_us},
	{"multicast dst", 0, 0, {0x01, 0, 0x5e, 0, 0, 1}, PEER, 0x0806, 0, 0, 0, eth_not_for_us},
	{"multicast src", 0, 0, OURS, {0x01, 0, 0x5e, 0, 0, 1}, 0x0806, 0, 0, 0, eth_src_invalid},
	{"broadcast src", 0, 0, BCAST, BCAST, 0x0806, 0, 0, 0, eth_src_invalid},
	{"zero src", 0, 0, OURS, {0}, 0x0806, 0, 0, 0, eth_src_invalid},
	{"ipv6", 0, 0, OURS, PEER, 0x86dd, 0, 0, 0, eth_type_unknown},
	{"length field", 0, 0, OURS, PEER, 0x0040, 0, 0, 0, eth_type_unknown},
	{"no iface port 1", 0, 1, OURS, PEER, 0x0806, 0, 0, 0, no_iface},
	{"no iface port 200", 0, 200, OURS, PEER, 0x0806, 0, 0, 0, no_iface},
	{"tagged on untagged", 0, 0, OURS, PEER, 0x8100, 100, 0x0806, 0, vlan_unknown},
	{"priority tag on untagged", 0, 0, OURS, PEER, 0x8100, 0x2000, 0x0806, 0, vlan_unknown},
	{"untagged on vlan", 100, 0, OURS, PEER, 0x0806, 0, 0, 0, vlan_unknown},
	{"other vlan", 100, 0, OURS, PEER, 0x8100, 101, 0x0806, 0, vlan_unknown},
	{"our vlan", 100, 0, BCAST, PEER, 0x8100, 100, 0x0806, 0, NONE},
	{"our vlan with pcp", 100, 0, BCAST, PEER, 0x8100, 0xe000 | 100, 0x0806, 0, NONE},
	{"qinq", 100, 0, OURS, PEER, 0x8100, 100, 0x8100, 0, eth_type_unknown},
	{"vlan cut 14", 100, 0, OURS, PEER, 0x8100, 100, 0x0806, 14, vlan_truncated},
	{"vlan cut 17", 100, 0, OURS, PEER, 0x8100, 100, 0x0806, 17, vlan_truncated},
	{"vlan cut 18", 100, 0, OURS, PEER, 0x8100, 100, 0x0806, 18, arp_truncated},
};

static void
build_case(const struct eth_case *c, uint8_t *f, uint16_t *len)
{
	uint16_t l2;

	memcpy(f, c->dst, 6);
	memcpy(f + 6, c->src, 6);
	fk_put16(f + 12, c->type);
	l2 = 14;
	if (c->type == 0x8100) {
		fk_put16(f + 14, c->tci);
		fk_put16(f + 16, c->inner);
		l2 = 18;
	}
	fk_arp(f + l2, 1, fk_peer_mac, FK_IP(198, 18, 0, 2), (const uint8_t[6]){0},
		FK_IP(198, 18, 0, 1));
	*len = c->len ? c->len : (uint16_t)(l2 + 28);
}

static void
test_eth_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < FO_ARRAY_SIZE(eth_cases); i++) {
		const struct eth_case *c = &eth_cases[i];
		struct fo_net_worker *w = fk_worker(c->iface_vlan, 0);
		uint8_t f[128];
		uint16_t len;
		struct rte_mbuf *m;
		int r;

		build_case(c, f, &len);
		m = fk_mbuf_exact(f, len, RTE_PKTMBUF_HEADROOM);
		r = fk_input1(w, c->port, m);
		if (r != c->expect)
			fail_msg("case '%s': got %d (%s), want %d", c->name, r,
				r >= 0 ? fo_net_drop_names[r] : "none", c->expect);
		if (c->expect == NONE) {
			assert_int_equal(w->txq[c->port].n, 1);
			assert_ptr_equal(w->txq[c->port].pkts[0], m);
		} else {
			assert_int_equal(w->txq[0].n, 0);
			fo_net_burst_end(w);
			assert_true(fk_was_freed(m));
		}
		assert_int_equal(w->stats.rx_pkts, 1);
		assert_int_equal(w->stats.rx_bytes, len);
		free(w);
		fk_reset();
	}
}

/* every cut of the Ethernet header is eth_truncated */
static void
test_eth_truncated_every_offset(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	uint8_t f[64];
	uint16_t len = fk_arp_frame(f, 0, 1, FK_IP(198, 18, 0, 2), FK_IP(198, 18, 0, 1));
	uint16_t cut;

	(void)state;
	assert_int_equal(len, 42);
	for (cut = 0; cut < 14; cut++) {
		struct rte_mbuf *m = fk_mbuf_exact(f, cut, RTE_PKTMBUF_HEADROOM);

		assert_int_equal(fk_input1(w, 0, m), eth_truncated);
	}
	fo_net_burst_end(w);
	assert_int_equal(fk.n_freed, 14);
	free(w);
	fk_reset();
}

/* a NIC that stripped the tag: the reply must carry it again */
static void
test_eth_vlan_stripped(void **state)
{
	struct fo_net_worker *w = fk_worker(100, 0);
	uint8_t f[128], tagged[128];
	uint16_t len = fk_ping_frame(f, 0, 8);
	uint16_t tlen = fk_ping_frame(tagged, 100, 8);
	struct rte_mbuf *m = fk_mbuf(f, len), *out;

	(void)state;
	m->ol_flags |= RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_VLAN;
	m->vlan_tci = 100;
	assert_int_equal(fk_input1(w, 0, m), NONE);
	out = fk_txq_pop(w, 0);
	assert_ptr_equal(out, m);
	assert_int_equal(rte_pktmbuf_pkt_len(out), tlen);
	assert_int_equal(fk_get16(rte_pktmbuf_mtod_offset(out, uint8_t *, 12)), 0x8100);
	assert_int_equal(fk_get16(rte_pktmbuf_mtod_offset(out, uint8_t *, 14)), 100);
	assert_int_equal(out->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED, 0);

	/* stripped tag of another VLAN */
	m = fk_mbuf(f, len);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 7;
	assert_int_equal(fk_input1(w, 0, m), vlan_unknown);
	free(w);
	fk_reset();
}

/* a burst: every mbuf consumed, dropped ones freed in one bulk call */
static void
test_eth_burst(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	struct rte_mbuf *pkts[5];
	uint8_t f[128];
	uint16_t len;
	int i;

	(void)state;
	len = fk_ping_frame(f, 0, 16);
	pkts[0] = fk_mbuf(f, len);
	pkts[1] = fk_mbuf(f, 10);
	pkts[2] = fk_mbuf(f, len);
	f[0] = 0x04; /* another unicast MAC */
	pkts[3] = fk_mbuf(f, len);
	pkts[4] = fk_mbuf(f, 3);
	assert_int_equal(fo_net_input(w, 0, pkts, 5), 5);
	assert_int_equal(w->txq[0].n, 2);
	assert_int_equal(w->n_dropped, 3);
	assert_int_equal(w->stats.drop[eth_truncated], 2);
	assert_int_equal(w->stats.drop[eth_not_for_us], 1);
	assert_int_equal(w->stats.rx_pkts, 5);
	fo_net_burst_end(w);
	assert_int_equal(fk.n_free_calls, 1);
	assert_int_equal(fk.n_freed, 3);
	for (i = 1; i < 5; i += 2)
		assert_true(fk_was_freed(pkts[i]));
	assert_true(fk_was_freed(pkts[4]));
	assert_int_equal(w->n_dropped, 0);
	fo_net_burst_end(w); /* nothing to free: no call */
	assert_int_equal(fk.n_free_calls, 1);
	free(w);
	fk_reset();
}

/* a storm larger than the drop array flushes early instead of overflowing */
static void
test_eth_storm(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	static struct rte_mbuf *pkts[1000];
	uint8_t f[64];
	unsigned i;

	(void)state;
	memset(f, 0xff, sizeof(f)); /* broadcast src: invalid */
	for (i = 0; i < 1000; i++)
		pkts[i] = fk_mbuf(f, 60);
	for (i = 0; i < 1000; i += 250)
		assert_int_equal(fo_net_input(w, 0, &pkts[i], 250), 250);
	fo_net_burst_end(w);
	assert_int_equal(w->stats.drop[eth_src_invalid], 1000);
	assert_int_equal(fk.n_freed, 1000);
	for (i = 0; i < 1000; i++)
		assert_true(fk_was_freed(pkts[i]));
	free(w);
	fk_reset();
}

static void
test_eth_names_and_stats(void **state)
{
	struct fo_net_stats a, b;
	unsigned i, j;

	(void)state;
	for (i = 0; i < FO_NET_DROP_MAX; i++) {
		assert_non_null(fo_net_drop_names[i]);
		for (j = 0; j < i; j++)
			assert_string_not_equal(fo_net_drop_names[i], fo_net_drop_names[j]);
	}
	assert_string_equal(fo_net_drop_names[eth_truncated], "eth_truncated");
	assert_string_equal(fo_net_drop_names[nombuf], "nombuf");
	for (i = 0; i < FO_NET_STATS_N_PLAIN; i++)
		assert_non_null(fo_net_stats_names[i]);
	assert_int_equal(FO_NET_STATS_N_PLAIN, 24);
	assert_string_equal(fo_net_stats_names[18], "tcp_rx");
	assert_string_equal(fo_net_stats_names[22], "neigh_ready_lost");
	assert_string_equal(fo_net_stats_names[23], "arp_rx_reply_peer");
	assert_string_equal(fo_net_stats_names[0], "rx_pkts");
	assert_string_equal(fo_net_stats_names[12], "neigh_queued");

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	b.rx_pkts = 3;
	b.neigh_queued = 4;
	b.peer_tx_full = 6;
	b.drop[nombuf] = 5;
	fo_net_stats_add(&a, &b);
	fo_net_stats_add(&a, &b);
	assert_int_equal(a.rx_pkts, 6);
	assert_int_equal(a.neigh_queued, 8);
	assert_int_equal(a.peer_tx_full, 12);
	assert_int_equal(a.drop[nombuf], 10);
	/* names follow struct order */
	assert_int_equal(((const uint64_t *)&a)[12], 8);
}

static void
test_eth_worker_init(void **state)
{
	struct fo_net_iface ifc[2];
	struct fo_net_worker *w = fk_worker(0, 0);

	(void)state;
	ifc[0] = fk_iface(0, 0);
	memset(&ifc[1], 0, sizeof(ifc[1]));
	assert_int_equal(fo_net_worker_init(w, 0, 1, NULL, ifc, 2, FK_HZ), 0);
	assert_int_equal(w->ifaces[0].netmask, FK_IP(255, 255, 255, 0));
	assert_int_equal(fo_net_worker_init(NULL, 0, 1, NULL, ifc, 1, FK_HZ), -EINVAL);
	assert_int_equal(fo_net_worker_init(w, 1, 1, NULL, ifc, 1, FK_HZ), -EINVAL);
	assert_int_equal(fo_net_worker_init(w, 0, 0, NULL, ifc, 1, FK_HZ), -EINVAL);
	assert_int_equal(fo_net_worker_init(w, 0, FO_MAX_WORKERS + 1, NULL, ifc, 1, FK_HZ),
		-EINVAL);
	assert_int_equal(fo_net_worker_init(w, 0, 1, NULL, ifc, FO_MAX_PORTS + 1, FK_HZ), -EINVAL);
	assert_int_equal(fo_net_worker_init(w, 0, 1, NULL, NULL, 1, FK_HZ), -EINVAL);
	assert_int_equal(fo_net_worker_init(w, 0, 1, NULL, ifc, 1, 0), -EINVAL);
	ifc[0].netmask = FK_IP(255, 255, 0, 0); /* disagrees with /24 */
	assert_int_equal(fo_net_worker_init(w, 0, 1, NULL, ifc, 1, FK_HZ), -EINVAL);
	ifc[0] = fk_iface(0, 0);
	ifc[0].port_id = 1;
	assert_int_equal(fo_net_worker_init(w, 0, 1, NULL, ifc, 1, FK_HZ), -EINVAL);
	ifc[0] = fk_iface(4095, 0);
	assert_int_equal(fo_net_worker_init(w, 0, 1, NULL, ifc, 1, FK_HZ), -EINVAL);
	ifc[0] = fk_iface(0, 0);
	ifc[0].mac.addr_bytes[0] = 1; /* multicast */
	assert_int_equal(fo_net_worker_init(w, 0, 1, NULL, ifc, 1, FK_HZ), -EINVAL);
	free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_table),
		cmocka_unit_test(test_eth_truncated_every_offset),
		cmocka_unit_test(test_eth_vlan_stripped),
		cmocka_unit_test(test_eth_burst),
		cmocka_unit_test(test_eth_storm),
		cmocka_unit_test(test_eth_names_and_stats),
		cmocka_unit_test(test_eth_worker_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
