/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp: connection ownership across workers. The Toeplitz hash against
 * Microsoft's RSS verification vectors, active-open port selection that
 * hashes back to the opening worker, hand-off of segments to the owner
 * over real rte_rings (rte_ring_init on heap memory), ring overflow.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <rte_ring.h>

#include "tcp_harness.h"

static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static void
test_toeplitz_vectors(void **state)
{
	/* "Verifying the RSS hash calculation", IPv4 with TCP ports */
	static const struct {
		uint8_t src[4], dst[4];
		uint16_t sport, dport;
		uint32_t hash;
	} v[] = {
		{{66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766, 0x51ccc178},
		{{199, 92, 111, 2}, {65, 69, 140, 83}, 14230, 4739, 0xc626b0ea},
		{{24, 19, 198, 95}, {12, 22, 207, 184}, 12898, 38024, 0x5c2b394a},
		{{38, 27, 205, 30}, {209, 142, 163, 6}, 48228, 2217, 0xafc7327f},
		{{153, 39, 163, 191}, {202, 188, 127, 2}, 44251, 1303, 0x10e828a2},
	};
	uint16_t reta[512];
	struct rte_mempool *mp = fake_pool_create("own", 64, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct th *h = th_new_worker(NULL, 3, 16, mp);
	unsigned i;

	(void)state;
	for (i = 0; i < 512; i++)
		reta[i] = (uint16_t)(i % 16);
	assert_int_equal(fo_tcp_set_rss(h->tw, ms_key, sizeof(ms_key), reta, 512), 0);
	for (i = 0; i < FO_ARRAY_SIZE(v); i++) {
		rte_be32_t s, d;

		memcpy(&s, v[i].src, 4);
		memcpy(&d, v[i].dst, 4);
		assert_int_equal(fo_tcp_owner(h->tw, s, d, rte_cpu_to_be_16(v[i].sport),
					 rte_cpu_to_be_16(v[i].dport)),
			v[i].hash % 16);
	}
	/* bad arguments */
	assert_int_equal(fo_tcp_set_rss(h->tw, ms_key, 10, reta, 512), -EINVAL);
	reta[5] = 16;
	assert_int_equal(fo_tcp_set_rss(h->tw, ms_key, 40, reta, 512), -EINVAL);
	assert_int_equal(fo_tcp_set_rss(h->tw, ms_key, 40, reta, 0), -EINVAL);
	th_free(h, 1);
}

static struct rte_ring *
ring_new(unsigned count)
{
	ssize_t sz = rte_ring_get_memsize(count);
	struct rte_ring *r;

	assert_true(sz > 0);
	r = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL((size_t)sz, RTE_CACHE_LINE_SIZE));
	assert_non_null(r);
	assert_int_equal(rte_ring_init(r, "t", count, RING_F_SP_ENQ | RING_F_SC_DEQ), 0);
	return r;
}

static void
test_two_workers(void **state)
{
	struct rte_mempool *mp = fake_pool_create("own2", 4096, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct th *h0 = th_new_worker(NULL, 0, 2, mp), *h1 = th_new_worker(NULL, 1, 2, mp);
	struct rte_ring *r01 = ring_new(64), *r10 = ring_new(64);
	struct th *hw[2] = {h0, h1};
	struct th_in s = {.seq = 1, .flags = F_SYN, .wnd = 1000};
	struct th_out o;
	struct rte_mbuf *m;
	uint16_t port;
	unsigned w, i, owned[2] = {0, 0};

	(void)state;
	fo_tcp_peers(h0->tw)->to_peer[1] = r01;
	fo_tcp_peers(h1->tw)->from_peer[0] = r01;
	fo_tcp_peers(h1->tw)->to_peer[0] = r10;
	fo_tcp_peers(h0->tw)->from_peer[1] = r10;
	/* a SYN owned by worker 1 arriving on worker 0 */
	for (port = 30000;; port++)
		if (fo_tcp_owner(h0->tw, TH_PEER, TH_US, rte_cpu_to_be_16(port),
			    rte_cpu_to_be_16(TH_PORT)) == 1)
			break;
	s.sport = port;
	m = th_mbuf(h0, &s);
	fo_tcp_input(h0->tw, &m, 1);
	fo_tcp_flush(h0->tw);
	th_expect_none(h0);
	assert_int_equal(h0->tw->stats.handoff_tx, 1);
	assert_int_equal(h0->tw->stats.seg_rx, 0);
	assert_int_equal(fo_tcp_peer_poll(h1->tw), 1);
	fo_tcp_flush(h1->tw);
	th_expect(h1, &o);
	assert_int_equal(o.flags, F_SYN | F_ACK);
	assert_int_equal(h1->tw->stats.handoff_rx, 1);
	/* the final ACK also lands on worker 0 and completes on worker 1 */
	s.flags = F_ACK;
	s.seq = 2;
	s.ack = o.seq + 1;
	m = th_mbuf(h0, &s);
	fo_tcp_input(h0->tw, &m, 1);
	fo_tcp_peer_poll(h1->tw);
	assert_int_equal(h1->n_accept, 1);
	assert_int_equal(h0->n_accept, 0);
	/* active opens: every local port hashes back to the opening worker */
	for (w = 0; w < 2; w++) {
		for (i = 0; i < 20; i++) {
			struct fo_tcp_conn *c = fo_tcp_connect(hw[w]->tw, TH_US, TH_PEER,
				(uint16_t)(8000 + i), &th_ops, hw[w]);

			assert_non_null(c);
			if (fo_tcp_owner(hw[w]->tw, c->key.raddr, c->key.laddr, c->key.rport,
				    c->key.lport) == w)
				owned[w]++;
		}
		th_drain(hw[w]);
	}
	assert_int_equal(owned[0], 20);
	assert_int_equal(owned[1], 20);
	th_free(h0, 0);
	th_free(h1, 1);
	free(r01);
	free(r10);
}

static void
test_handoff_full(void **state)
{
	struct rte_mempool *mp = fake_pool_create("own3", 256, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct th *h0 = th_new_worker(NULL, 0, 2, mp), *h1 = th_new_worker(NULL, 1, 2, mp);
	struct rte_ring *r01 = ring_new(4); /* 3 usable slots */
	struct th_in s = {.seq = 1, .flags = F_SYN, .wnd = 1000};
	struct rte_mbuf *pk[5];
	unsigned i, n = 0;
	uint16_t port;

	(void)state;
	fo_tcp_peers(h0->tw)->to_peer[1] = r01;
	for (port = 30000; n < 5; port++) {
		if (fo_tcp_owner(h0->tw, TH_PEER, TH_US, rte_cpu_to_be_16(port),
			    rte_cpu_to_be_16(TH_PORT)) != 1)
			continue;
		s.sport = port;
		pk[n++] = th_mbuf(h0, &s);
	}
	fo_tcp_input(h0->tw, pk, 5);
	assert_int_equal(h0->tw->stats.handoff_tx, 3);
	assert_int_equal(h0->tw->stats.drop[tcp_handoff_full], 2);
	/* no ring set at all: counted, freed */
	fo_tcp_peers(h1->tw)->to_peer[0] = NULL;
	for (port = 30000;; port++)
		if (fo_tcp_owner(h1->tw, TH_PEER, TH_US, rte_cpu_to_be_16(port),
			    rte_cpu_to_be_16(TH_PORT)) == 0)
			break;
	s.sport = port;
	pk[0] = th_mbuf(h1, &s);
	fo_tcp_input(h1->tw, pk, 1);
	assert_int_equal(h1->tw->stats.drop[tcp_not_owner], 1);
	/* drain the ring into worker 1 (it was never connected to it) */
	while (rte_ring_dequeue(r01, (void **)&pk[0]) == 0)
		rte_pktmbuf_free(pk[0]);
	for (i = 0; i < 1; i++)
		th_drain(h0);
	th_free(h0, 0);
	th_free(h1, 1);
	free(r01);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toeplitz_vectors),
		cmocka_unit_test(test_two_workers),
		cmocka_unit_test(test_handoff_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
