/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net ICMP: echo replies byte-exact (checksums verified independently),
 * odd and large payloads, VLAN, multi-segment chains, every drop reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include <rte_ethdev.h>

#include "net_fake.h"

#define NONE (-1)

/* what the reply to fk_ping_frame() must be, built independently */
static uint16_t
expected_reply(uint8_t *p, uint16_t vlan, uint16_t plen, int offload)
{
	uint16_t len = fk_ping_frame(p, vlan, plen);
	uint16_t l2 = vlan ? 18 : 14;
	uint8_t *ip = p + l2, *icmp = p + l2 + 20;
	uint8_t tmp[4];

	memcpy(p, fk_peer_mac, 6);
	memcpy(p + 6, fk_our_mac, 6);
	memcpy(tmp, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, tmp, 4);
	ip[8] = 64;
	fk_ip4_recksum(ip);
	if (offload)
		fk_put16(ip + 10, 0);
	icmp[0] = 0;
	fk_put16(icmp + 2, 0);
	fk_put16(icmp + 2, fk_cksum(icmp, 8u + plen));
	return len;
}

static void
check_echo(uint16_t vlan, uint16_t plen, int offload)
{
	struct fo_net_worker *w = fk_worker(vlan, offload ? RTE_ETH_TX_OFFLOAD_IPV4_CKSUM : 0);
	static uint8_t f[2048], want[2048];
	uint16_t len = fk_ping_frame(f, vlan, plen);
	uint16_t l2 = vlan ? 18 : 14;
	struct rte_mbuf *m = fk_mbuf_exact(f, len, RTE_PKTMBUF_HEADROOM), *out;
	const uint8_t *p;

	assert_int_equal(expected_reply(want, vlan, plen, offload), len);
	assert_int_equal(fk_input1(w, 0, m), NONE);
	out = fk_txq_pop(w, 0);
	assert_ptr_equal(out, m);
	assert_int_equal(rte_pktmbuf_pkt_len(out), len);
	p = rte_pktmbuf_mtod(out, const uint8_t *);
	assert_true(fk_cksum_ok(p + l2 + 20, 8u + plen));
	if (!offload)
		assert_true(fk_cksum_ok(p + l2, 20));
	assert_memory_equal(p, want, len);
	if (offload) {
		assert_true(out->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
		assert_int_equal(out->l2_len, l2);
		assert_int_equal(out->l3_len, 20);
	}
	assert_int_equal(w->stats.icmp_echo_rx, 1);
	assert_int_equal(w->stats.icmp_echo_tx, 1);
	assert_int_equal(w->stats.ip_rx, 1);
	free(w);
	fk_reset();
}

static void
test_icmp_echo_exact(void **state)
{
	uint16_t plens[] = {0, 1, 7, 56, 57, 1400, 1401, 1472};
	unsigned i;

	(void)state;
	for (i = 0; i < FO_ARRAY_SIZE(plens); i++) {
		check_echo(0, plens[i], 0);
		check_echo(100, plens[i], 0);
		check_echo(0, plens[i], 1);
	}
}

/* many payloads: the incremental update always yields a valid checksum */
static void
test_icmp_echo_random(void **state)
{
	static uint8_t f[1600];
	unsigned i;

	(void)state;
	srand(12345);
	for (i = 0; i < 2000; i++) {
		struct fo_net_worker *w = fk_worker(0, 0);
		uint16_t plen = (uint16_t)(rand() % 200), j, len;
		struct rte_mbuf *m, *out;

		len = fk_ping_frame(f, 0, plen);
		for (j = 0; j < plen; j++)
			f[42 + j] = (uint8_t)rand();
		fk_put16(f + 36, (uint16_t)rand());
		fk_put16(f + 38, (uint16_t)rand());
		fk_put16(f + 36, 0);
		fk_put16(f + 36, fk_cksum(f + 34, 8u + plen));
		m = fk_mbuf(f, len);
		assert_int_equal(fk_input1(w, 0, m), NONE);
		out = fk_txq_pop(w, 0);
		assert_true(fk_cksum_ok(rte_pktmbuf_mtod_offset(out, uint8_t *, 34), 8u + plen));
		assert_int_equal(rte_pktmbuf_mtod_offset(out, uint8_t *, 34)[0], 0);
		free(w);
		fk_reset();
	}
}

/* regression (fuzz_net): an all-zero reply needs checksum 0xffff, not 0x0000 */
static void
test_icmp_echo_all_zero(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	uint8_t f[64];
	uint16_t len = fk_ping_frame(f, 0, 0);
	struct rte_mbuf *out;

	(void)state;
	fk_put16(f + 38, 0); /* id 0, seq 0 */
	fk_put16(f + 40, 0);
	fk_put16(f + 36, 0);
	fk_put16(f + 36, fk_cksum(f + 34, 8));
	assert_int_equal(fk_get16(f + 36), 0xf7ff);
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), NONE);
	out = fk_txq_pop(w, 0);
	assert_int_equal(fk_get16(rte_pktmbuf_mtod_offset(out, uint8_t *, 36)), 0xffff);
	assert_true(fk_cksum_ok(rte_pktmbuf_mtod_offset(out, uint8_t *, 34), 8));
	free(w);
	fk_reset();
}

/* ping -s 1400 in a chain of odd-sized segments; payload stays put */
static void
test_icmp_echo_multiseg(void **state)
{
	static uint8_t f[2048];
	uint16_t len = fk_ping_frame(f, 100, 1400);
	uint16_t segs[][4] = {
		{18 + 28, 1, 1000, 0},      /* ICMP header at the end of seg 0 */
		{100, 333, 777, 0},         /* odd boundaries */
		{600, 600, 1, 0},           /* one-byte tail */
	};
	unsigned s, i;

	(void)state;
	for (s = 0; s < FO_ARRAY_SIZE(segs); s++) {
		struct fo_net_worker *w = fk_worker(100, 0);
		uint16_t sl[4];
		unsigned n = 0, sum = 0;
		struct rte_mbuf *m, *seg;
		uint8_t flat[2048];
		uint32_t off = 0;

		for (i = 0; i < 3; i++)
			sum += segs[s][i];
		for (i = 0; i < 3; i++)
			sl[n++] = segs[s][i];
		sl[n - 1] = (uint16_t)(sl[n - 1] + (len - sum)); /* the rest */
		m = fk_mbuf_chain(f, len, sl, n);
		assert_int_equal(fk_input1(w, 0, m), NONE);
		assert_ptr_equal(fk_txq_pop(w, 0), m);
		for (seg = m; seg != NULL; seg = seg->next) {
			memcpy(flat + off, rte_pktmbuf_mtod(seg, uint8_t *), seg->data_len);
			off += seg->data_len;
		}
		assert_int_equal(off, len);
		assert_true(fk_cksum_ok(flat + 38, 1408));
		assert_true(fk_cksum_ok(flat + 18, 20));
		assert_int_equal(flat[38], 0);
		assert_memory_equal(flat + 46, f + 46, 1400);
		free(w);
		fk_reset();
	}
}

/* headers that spill into the next segment are truncated, not read */
static void
test_icmp_split_headers(void **state)
{
	static uint8_t f[256];
	uint16_t len = fk_ping_frame(f, 0, 100);
	uint16_t ip_split[] = {30, (uint16_t)(len - 30)};
	uint16_t icmp_split[] = {38, (uint16_t)(len - 38)};
	struct fo_net_worker *w = fk_worker(0, 0);

	(void)state;
	assert_int_equal(fk_input1(w, 0, fk_mbuf_chain(f, len, ip_split, 2)), ip_truncated);
	assert_int_equal(fk_input1(w, 0, fk_mbuf_chain(f, len, icmp_split, 2)), icmp_truncated);
	free(w);
	fk_reset();
}

static void
test_icmp_drops(void **state)
{
	static uint8_t f[256];
	struct fo_net_worker *w = fk_worker(0, 0);
	uint16_t len;
	struct {
		uint8_t type, code;
		int expect;
	} types[] = {
		{8, 0, NONE}, {0, 0, icmp_type_unhandled}, {8, 1, icmp_type_unhandled},
		{3, 3, icmp_type_unhandled}, {13, 0, icmp_type_unhandled},
		{5, 0, icmp_type_unhandled}, {255, 255, icmp_type_unhandled},
	};
	unsigned i;

	(void)state;
	for (i = 0; i < FO_ARRAY_SIZE(types); i++) {
		len = fk_ping_frame(f, 0, 20);
		fk_icmp(f + 34, types[i].type, types[i].code, 1, 2, 20);
		assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), types[i].expect);
	}
	/* a flipped payload bit, a wrong checksum field */
	len = fk_ping_frame(f, 0, 20);
	f[50] ^= 0x10;
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), icmp_bad_cksum);
	len = fk_ping_frame(f, 0, 21);
	f[36] ^= 1;
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), icmp_bad_cksum);
	/* the checksum covers what the IP length says, not the frame */
	len = fk_ping_frame(f, 0, 20);
	fk_put16(f + 16, 20 + 8 + 19);
	fk_ip4_recksum(f + 14);
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), icmp_bad_cksum);
	/* tx buffer full */
	len = fk_ping_frame(f, 0, 20);
	w->txq[0].n = FO_ARRAY_SIZE(w->txq[0].pkts);
	assert_int_equal(fk_input1(w, 0, fk_mbuf(f, len)), tx_full);
	assert_int_equal(w->stats.icmp_echo_tx, 1);
	free(w);
	fk_reset();
}

/* every cut of an echo request: no crash, ip_truncated (IP length lies) */
static void
test_icmp_truncated_every_offset(void **state)
{
	static uint8_t f[256];
	struct fo_net_worker *w = fk_worker(0, 0);
	uint16_t len = fk_ping_frame(f, 0, 33), cut;

	(void)state;
	for (cut = 34; cut < len; cut++)
		assert_int_equal(fk_input1(w, 0, fk_mbuf_exact(f, cut, RTE_PKTMBUF_HEADROOM)),
			ip_truncated);
	/* and with the IP length made to agree with each cut: icmp_truncated
	 * below 8 bytes, else a checksum that no longer matches */
	for (cut = 34; cut < len; cut++) {
		int r;

		fk_ping_frame(f, 0, 33);
		fk_put16(f + 16, (uint16_t)(cut - 14));
		fk_ip4_recksum(f + 14);
		r = fk_input1(w, 0, fk_mbuf_exact(f, cut, RTE_PKTMBUF_HEADROOM));
		assert_int_equal(r, cut < 42 ? icmp_truncated : icmp_bad_cksum);
	}
	free(w);
	fk_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_icmp_echo_exact),
		cmocka_unit_test(test_icmp_echo_random),
		cmocka_unit_test(test_icmp_echo_all_zero),
		cmocka_unit_test(test_icmp_echo_multiseg),
		cmocka_unit_test(test_icmp_split_headers),
		cmocka_unit_test(test_icmp_drops),
		cmocka_unit_test(test_icmp_truncated_every_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
