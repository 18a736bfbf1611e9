/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net neighbour cache: resolution and queue order, retries with
 * exponential backoff, give-up and hold-down, stale refresh, eviction,
 * sharing between workers over real rte_rings (no EAL). The queue's bounds
 * and the cold-path API are in test_net_neigh_queue.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "neigh_harness.h"

static void
test_neigh_resolve_and_flush_order(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	struct rte_mbuf *pk[N_ORDER], *req, *out;
	const struct fo_neigh *n;
	uint8_t want[64];
	unsigned i;

	(void)state;
	for (i = 0; i < N_ORDER; i++)
		pk[i] = ip_pkt(PEER_IP, (uint16_t)(100 + i));
	for (i = 0; i < N_ORDER; i++)
		assert_int_equal(fo_net_output_ip4(w, pk[i], PEER_IP), 0);
	/* one ARP request, not one per packet */
	assert_int_equal(w->txq[0].n, 1);
	assert_int_equal(w->stats.arp_tx_request, 1);
	req = fk_txq_pop(w, 0);
	fk_eth(want, fk_bcast_mac, fk_our_mac, 0x0806, 0);
	fk_arp(want + 14, 1, fk_our_mac, OUR_IP, (const uint8_t[6]){0}, PEER_IP);
	assert_int_equal(rte_pktmbuf_pkt_len(req), 42);
	assert_memory_equal(rte_pktmbuf_mtod(req, uint8_t *), want, 42);

	n = fo_net_neigh_lookup(w, PEER_IP);
	assert_int_equal(n->state, FO_NEIGH_INCOMPLETE);
	assert_int_equal(n->n_pending, N_ORDER);
	assert_int_equal(n->q_bytes, N_ORDER * charge_of(pk[0]));
	assert_int_equal(w->stats.neigh_queued, N_ORDER);

	/* the reply flushes the queue, in order, with the learned MAC */
	arp_from(w, 2, PEER_IP, fk_peer_mac);
	assert_int_equal(n->state, FO_NEIGH_REACHABLE);
	assert_int_equal(n->n_pending, 0);
	assert_int_equal(n->q_bytes, 0);
	for (i = 0; i < N_ORDER; i++) {
		out = fk_txq_pop(w, 0);
		assert_ptr_equal(out, pk[i]);
		assert_int_equal(frame_id(out), 100 + i);
		assert_memory_equal(rte_pktmbuf_mtod(out, uint8_t *), fk_peer_mac, 6);
		assert_memory_equal(rte_pktmbuf_mtod_offset(out, uint8_t *, 6), fk_our_mac, 6);
		assert_true(fk_cksum_ok(rte_pktmbuf_mtod_offset(out, uint8_t *, 14), 20));
	}
	assert_null(fk_txq_pop(w, 0));

	/* resolved: straight out, no new request */
	out = ip_pkt(PEER_IP, 7);
	assert_int_equal(fo_net_output_ip4(w, out, PEER_IP), 0);
	assert_ptr_equal(fk_txq_pop(w, 0), out);
	assert_int_equal(w->stats.arp_tx_request, 1);
	free(w);
	fk_reset();
}

/* requests at 0, 200, 600, 1400, 3000 ms; give up at 6200 ms */
static void
test_neigh_backoff_give_up_holddown(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	const uint64_t t0 = w->now;
	const uint64_t sent_at[] = {0, 200, 600, 1400, 3000};
	struct rte_mbuf *p1 = ip_pkt(PEER_IP, 1), *p2 = ip_pkt(PEER_IP, 2);
	const struct fo_neigh *n;
	unsigned i;

	(void)state;
	assert_int_equal(fo_net_output_ip4(w, p1, PEER_IP), 0);
	assert_int_equal(fo_net_output_ip4(w, p2, PEER_IP), 0);
	assert_int_equal(drain_requests(w, PEER_IP), 1);
	n = fo_net_neigh_lookup(w, PEER_IP);
	for (i = 1; i < FO_ARRAY_SIZE(sent_at); i++) {
		/* just before the deadline: nothing */
		w->now = t0 + FK_MS(sent_at[i]) - 1;
		fo_net_timer(w);
		assert_int_equal(drain_requests(w, PEER_IP), 0);
		w->now = t0 + FK_MS(sent_at[i]);
		fo_net_timer(w);
		assert_int_equal(drain_requests(w, PEER_IP), 1);
		fo_net_timer(w); /* same time again: nothing more */
		assert_int_equal(drain_requests(w, PEER_IP), 0);
		assert_int_equal(n->state, FO_NEIGH_INCOMPLETE);
	}
	assert_int_equal(w->stats.arp_tx_request, FO_NEIGH_RETRIES);
	w->now = t0 + FK_MS(6200) - 1;
	fo_net_timer(w);
	assert_int_equal(n->state, FO_NEIGH_INCOMPLETE);
	w->now = t0 + FK_MS(6200);
	fo_net_timer(w);
	assert_int_equal(drain_requests(w, PEER_IP), 0);
	assert_int_equal(n->state, FO_NEIGH_FAILED);
	assert_int_equal(n->n_pending, 0);
	assert_int_equal(w->stats.drop[neigh_unreachable], 2);
	assert_int_equal(w->stats.neigh_failed, 1);
	fo_net_burst_end(w);
	assert_true(fk_was_freed(p1));
	assert_true(fk_was_freed(p2));

	/* hold-down: dropped at once, no request */
	w->now = t0 + FK_MS(6200 + 999);
	assert_int_equal(fo_net_output_ip4(w, ip_pkt(PEER_IP, 3), PEER_IP), -EHOSTUNREACH);
	assert_int_equal(w->stats.drop[neigh_unreachable], 3);
	assert_int_equal(drain_requests(w, PEER_IP), 0);
	/* after it: resolution starts over */
	w->now = t0 + FK_MS(6200 + 1000);
	assert_int_equal(fo_net_output_ip4(w, ip_pkt(PEER_IP, 4), PEER_IP), 0);
	assert_int_equal(n->state, FO_NEIGH_INCOMPLETE);
	assert_int_equal(n->n_pending, 1);
	assert_int_equal(drain_requests(w, PEER_IP), 1);
	/* a late reply still resolves it */
	arp_from(w, 2, PEER_IP, fk_peer_mac);
	assert_int_equal(n->state, FO_NEIGH_REACHABLE);
	assert_int_equal(w->txq[0].n, 1);
	free(w);
	fk_reset();
}

/* a lost request (pool empty) is retried by the timer */
static void
test_neigh_request_nombuf(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	const uint64_t t0 = w->now;

	(void)state;
	fk.alloc_fail = 1;
	assert_int_equal(fo_net_output_ip4(w, ip_pkt(PEER_IP, 1), PEER_IP), 0);
	assert_int_equal(w->stats.drop[nombuf], 1);
	assert_int_equal(drain_requests(w, PEER_IP), 0);
	fk.alloc_fail = 0;
	w->now = t0 + FK_MS(FO_NEIGH_RETRY_MS);
	fo_net_timer(w);
	assert_int_equal(drain_requests(w, PEER_IP), 1);
	free(w);
	fk_reset();
}

/* stale entries keep working while a refresh runs; unanswered -> FAILED */
static void
test_neigh_stale_refresh(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	const uint8_t newmac[6] = {0x02, 0, 0, 0, 0, 0x33};
	const struct fo_neigh *n;
	struct rte_mbuf *out;
	uint64_t t;

	(void)state;
	arp_from(w, 1, PEER_IP, fk_peer_mac); /* learned from its request */
	w->txq[0].n = 0;
	n = fo_net_neigh_lookup(w, PEER_IP);
	assert_int_equal(n->state, FO_NEIGH_REACHABLE);

	w->now += FK_MS(FO_NEIGH_REACHABLE_MS) - 1;
	assert_int_equal(fo_net_output_ip4(w, ip_pkt(PEER_IP, 1), PEER_IP), 0);
	assert_int_equal(w->txq[0].n, 1); /* fresh: no request */
	w->txq[0].n = 0;

	w->now += 1;
	assert_int_equal(fo_net_output_ip4(w, ip_pkt(PEER_IP, 2), PEER_IP), 0);
	assert_int_equal(w->txq[0].n, 2);
	out = w->txq[0].pkts[0];
	assert_memory_equal(rte_pktmbuf_mtod(out, uint8_t *), fk_peer_mac, 6); /* old MAC */
	assert_int_equal(drain_requests(w, PEER_IP), 1);
	/* more traffic does not send more requests */
	assert_int_equal(fo_net_output_ip4(w, ip_pkt(PEER_IP, 3), PEER_IP), 0);
	assert_int_equal(drain_requests(w, PEER_IP), 0);
	/* the answer refreshes it (new MAC) */
	arp_from(w, 2, PEER_IP, newmac);
	assert_int_equal(n->state, FO_NEIGH_REACHABLE);
	assert_int_equal(n->retries, 0);
	assert_memory_equal(n->mac.addr_bytes, newmac, 6);
	assert_int_equal(fo_net_output_ip4(w, ip_pkt(PEER_IP, 4), PEER_IP), 0);
	out = fk_txq_pop(w, 0);
	assert_memory_equal(rte_pktmbuf_mtod(out, uint8_t *), newmac, 6);

	/* stale again, never answered: retries through the timer, then FAILED */
	w->now += FK_MS(FO_NEIGH_REACHABLE_MS);
	t = w->now;
	assert_int_equal(fo_net_output_ip4(w, ip_pkt(PEER_IP, 5), PEER_IP), 0);
	assert_int_equal(drain_requests(w, PEER_IP), 1);
	for (w->now = t; w->now <= t + FK_MS(7000); w->now += FK_MS(100))
		fo_net_timer(w);
	assert_int_equal(drain_requests(w, PEER_IP), FO_NEIGH_RETRIES - 1);
	assert_int_equal(n->state, FO_NEIGH_FAILED);
	free(w);
	fk_reset();
}

/* addresses in 198.18.0.0/15 whose home slot is @p home */
static unsigned
colliding(uint32_t home, rte_be32_t *out, unsigned want)
{
	uint32_t h;
	unsigned n = 0;

	for (h = 0xc6120002; h < 0xc613fffe && n < want; h++) {
		rte_be32_t ip = rte_cpu_to_be_32(h);

		if (neigh_hash(ip) == home)
			out[n++] = ip;
	}
	return n;
}

static struct fo_net_worker *
wide_worker(void)
{
	struct fo_net_iface ifc = fk_iface(0, 0);
	struct fo_net_worker *w = fk_worker(0, 0);

	ifc.prefix_len = 15;
	assert_int_equal(fo_net_worker_init(w, 0, 1, NULL, &ifc, 1, FK_HZ), 0);
	w->now = FK_HZ;
	return w;
}

static void
test_neigh_eviction(void **state)
{
	struct fo_net_worker *w = wide_worker();
	rte_be32_t ips[FO_NEIGH_PROBE + 2];
	const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x44};
	unsigned i;

	(void)state;
	assert_int_equal(colliding(7, ips, FO_NEIGH_PROBE + 2), FO_NEIGH_PROBE + 2);
	/* fill the window, one per ms: ips[0] is the oldest */
	for (i = 0; i < FO_NEIGH_PROBE; i++) {
		w->now += FK_MS(1);
		arp_from(w, 1, ips[i], mac);
		assert_non_null(fo_net_neigh_lookup(w, ips[i]));
	}
	w->txq[0].n = 0;
	assert_int_equal(w->stats.neigh_evicted, 0);
	/* refresh ips[0]: ips[1] becomes the oldest */
	arp_from(w, 1, ips[0], mac);
	w->now += FK_MS(1);
	arp_from(w, 1, ips[FO_NEIGH_PROBE], mac);
	assert_non_null(fo_net_neigh_lookup(w, ips[FO_NEIGH_PROBE]));
	assert_null(fo_net_neigh_lookup(w, ips[1]));
	assert_non_null(fo_net_neigh_lookup(w, ips[0]));
	assert_int_equal(w->stats.neigh_evicted, 1);
	for (i = 2; i < FO_NEIGH_PROBE; i++)
		assert_non_null(fo_net_neigh_lookup(w, ips[i]));
	w->txq[0].n = 0;
	fk_reset();
	free(w);

	/* FAILED entries go before older REACHABLE ones; INCOMPLETE never */
	w = wide_worker();
	for (i = 0; i < FO_NEIGH_PROBE; i++) {
		w->now += FK_MS(1);
		if (i == 5 || i == 9) {
			assert_int_equal(fo_net_output_ip4(w, ip_pkt(ips[i], 1), ips[i]), 0);
		} else {
			arp_from(w, 1, ips[i], mac);
		}
	}
	/* 5 and 9 give up (FAILED, 5 first); the REACHABLE ones stay valid */
	for (i = 0; i < 100; i++) {
		w->now += FK_MS(100);
		fo_net_timer(w);
	}
	assert_int_equal(fo_net_neigh_lookup(w, ips[5])->state, FO_NEIGH_FAILED);
	assert_int_equal(fo_net_neigh_lookup(w, ips[9])->state, FO_NEIGH_FAILED);
	w->now += FK_MS(1);
	arp_from(w, 1, ips[FO_NEIGH_PROBE], mac);
	assert_non_null(fo_net_neigh_lookup(w, ips[FO_NEIGH_PROBE]));
	assert_null(fo_net_neigh_lookup(w, ips[5]));
	assert_non_null(fo_net_neigh_lookup(w, ips[9]));
	arp_from(w, 1, ips[FO_NEIGH_PROBE + 1], mac);
	assert_null(fo_net_neigh_lookup(w, ips[9]));
	/* then the oldest REACHABLE one */
	arp_from(w, 1, ips[5], mac);
	assert_null(fo_net_neigh_lookup(w, ips[0]));
	assert_non_null(fo_net_neigh_lookup(w, ips[1]));
	assert_int_equal(w->stats.neigh_evicted, 3);
	fk_reset();
	free(w);

	/* a window of INCOMPLETE entries: no room, the packet is dropped */
	w = wide_worker();
	for (i = 0; i < FO_NEIGH_PROBE; i++)
		assert_int_equal(fo_net_output_ip4(w, ip_pkt(ips[i], 1), ips[i]), 0);
	w->txq[0].n = 0;
	assert_int_equal(fo_net_output_ip4(w, ip_pkt(ips[FO_NEIGH_PROBE], 1),
				 ips[FO_NEIGH_PROBE]), -ENOBUFS);
	assert_int_equal(w->stats.drop[neigh_queue_full], 1);
	assert_null(fo_net_neigh_lookup(w, ips[FO_NEIGH_PROBE]));
	/* and a request from such a host is still answered, just not cached */
	arp_from(w, 1, ips[FO_NEIGH_PROBE + 1], mac);
	assert_int_equal(w->txq[0].n, 1);
	assert_null(fo_net_neigh_lookup(w, ips[FO_NEIGH_PROBE + 1]));
	fk_reset();
	free(w);
}

/* the whole table: 256 distinct hosts learned with no crash or loop */
static void
test_neigh_fill_table(void **state)
{
	struct fo_net_worker *w = wide_worker();
	const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x55};
	unsigned i, found = 0;

	(void)state;
	for (i = 0; i < 2000; i++) {
		rte_be32_t ip = rte_cpu_to_be_32(0xc6120100 + i);

		w->now += 1;
		arp_from(w, 1, ip, mac);
		w->txq[0].n = 0;
		assert_non_null(fo_net_neigh_lookup(w, ip)); /* the newest is always there */
	}
	for (i = 0; i < FO_NEIGH_SIZE; i++)
		found += w->neigh[i].state == FO_NEIGH_REACHABLE;
	assert_int_equal(found, FO_NEIGH_SIZE);
	assert_true(w->stats.neigh_evicted >= 2000 - FO_NEIGH_SIZE);
	fk_reset();
	free(w);
}

static struct rte_ring *
ring_new(const char *name, unsigned count)
{
	ssize_t sz = rte_ring_get_memsize_elem(sizeof(struct fo_neigh_msg), count);
	struct rte_ring *r;

	assert_true(sz > 0);
	r = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL((size_t)sz, RTE_CACHE_LINE_SIZE));
	assert_non_null(r);
	assert_int_equal(rte_ring_init(r, name, count, RING_F_SP_ENQ | RING_F_SC_DEQ), 0);
	return r;
}

static void
test_neigh_peer_sharing(void **state)
{
	struct fo_net_iface ifc = fk_iface(0, 0);
	struct fo_net_worker *w[3];
	struct rte_ring *r[3][3] = {{NULL}};
	struct rte_mbuf *pending, *out;
	const struct fo_neigh *n;
	unsigned i, j;
	char name[32];

	(void)state;
	for (i = 0; i < 3; i++) {
		w[i] = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*w[i]));
		assert_int_equal(fo_net_worker_init(w[i], i, 3, NULL, &ifc, 1, FK_HZ), 0);
		w[i]->now = FK_HZ;
	}
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			if (i != j) {
				snprintf(name, sizeof(name), "n%u%u", i, j);
				r[i][j] = ring_new(name, 4);
				w[i]->to_peer[j] = r[i][j];
				w[j]->from_peer[i] = r[i][j];
			}

	/* worker 2 waits for the peer */
	pending = ip_pkt(PEER_IP, 9);
	assert_int_equal(fo_net_output_ip4(w[2], pending, PEER_IP), 0);
	w[2]->txq[0].n = 0;

	/* worker 0 learns it from an ARP request */
	arp_from(w[0], 1, PEER_IP, fk_peer_mac);
	assert_int_equal(fo_net_peer_poll(w[0]), 0);
	assert_int_equal(fo_net_peer_poll(w[1]), 1);
	n = fo_net_neigh_lookup(w[1], PEER_IP);
	assert_non_null(n);
	assert_int_equal(n->state, FO_NEIGH_REACHABLE);
	assert_memory_equal(n->mac.addr_bytes, fk_peer_mac, 6);
	assert_int_equal(fo_net_peer_poll(w[1]), 0); /* drained */
	/* applied updates are not forwarded again */
	assert_int_equal(rte_ring_count(r[1][0]) + rte_ring_count(r[1][2]), 0);

	assert_int_equal(fo_net_peer_poll(w[2]), 1);
	out = fk_txq_pop(w[2], 0);
	assert_ptr_equal(out, pending);
	assert_memory_equal(rte_pktmbuf_mtod(out, uint8_t *), fk_peer_mac, 6);

	/* a full ring loses updates, counted, nothing else */
	for (i = 0; i < 10; i++)
		arp_from(w[0], 1, rte_cpu_to_be_32(0xc6120010 + i), fk_peer_mac);
	assert_int_equal(w[0]->stats.peer_tx_full, 2 * (10 - 3));
	assert_int_equal(fo_net_peer_poll(w[1]), 3);
	assert_int_equal(w[1]->stats.peer_rx, 4);

	/* garbage messages (bad port, bad MAC) are ignored */
	{
		struct fo_neigh_msg bad = {.ip = FK_IP(198, 18, 0, 77), .port_id = 5};

		memcpy(bad.mac.addr_bytes, fk_peer_mac, 6);
		assert_int_equal(rte_ring_enqueue_elem(r[0][1], &bad, sizeof(bad)), 0);
		bad.port_id = 0;
		memset(bad.mac.addr_bytes, 0xff, 6);
		assert_int_equal(rte_ring_enqueue_elem(r[0][1], &bad, sizeof(bad)), 0);
		assert_int_equal(fo_net_peer_poll(w[1]), 0);
		assert_null(fo_net_neigh_lookup(w[1], FK_IP(198, 18, 0, 77)));
	}

	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++)
			free(r[i][j]);
		free(w[i]);
	}
	fk_reset();
}

/*
 * Without RSS (af_packet's fanout hash, tap) the kernel's ARP reply may reach
 * another worker than the one whose request it answers: that worker passes
 * it on, the asker resolves and sends what waited, and a worker that never
 * asked learns nothing (no poisoning through a peer).
 */
static void
test_neigh_reply_on_other_worker(void **state)
{
	struct fo_net_iface ifc = fk_iface(0, 0);
	struct fo_net_worker *w[3];
	struct rte_ring *r[3][3] = {{NULL}};
	struct rte_mbuf *pending, *out;
	const struct fo_neigh *n;
	unsigned i, j;
	char name[32];

	(void)state;
	for (i = 0; i < 3; i++) {
		w[i] = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*w[i]));
		assert_int_equal(fo_net_worker_init(w[i], i, 3, NULL, &ifc, 1, FK_HZ), 0);
		w[i]->now = FK_HZ;
	}
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			if (i != j) {
				snprintf(name, sizeof(name), "r%u%u", i, j);
				r[i][j] = ring_new(name, 8);
				w[i]->to_peer[j] = r[i][j];
				w[j]->from_peer[i] = r[i][j];
			}

	/* worker 0 asks */
	pending = ip_pkt(PEER_IP, 21);
	assert_int_equal(fo_net_output_ip4(w[0], pending, PEER_IP), 0);
	assert_int_equal(drain_requests(w[0], PEER_IP), 1);
	/* the reply reaches worker 1, which did not ask: passed on, not dropped */
	arp_from(w[1], 2, PEER_IP, fk_peer_mac);
	assert_int_equal(w[1]->stats.drop[arp_unsolicited], 0);
	assert_int_equal(w[1]->stats.arp_rx_reply_peer, 1);
	assert_null(fo_net_neigh_lookup(w[1], PEER_IP));
	/* worker 0 resolves and sends its queued packet */
	assert_int_equal(fo_net_peer_poll(w[0]), 1);
	n = fo_net_neigh_lookup(w[0], PEER_IP);
	assert_non_null(n);
	assert_int_equal(n->state, FO_NEIGH_REACHABLE);
	out = fk_txq_pop(w[0], 0);
	assert_ptr_equal(out, pending);
	assert_memory_equal(rte_pktmbuf_mtod(out, uint8_t *), fk_peer_mac, 6);
	/* worker 2 had no entry: it creates none */
	assert_int_equal(fo_net_peer_poll(w[2]), 0);
	assert_null(fo_net_neigh_lookup(w[2], PEER_IP));
	/* worker 0 applied it without passing it on again */
	assert_int_equal(rte_ring_count(r[0][1]) + rte_ring_count(r[0][2]), 0);

	/* a reply nobody asked for: passed on, and nobody learns it */
	arp_from(w[1], 2, FK_IP(198, 18, 0, 66), fk_peer_mac);
	assert_int_equal(w[1]->stats.arp_rx_reply_peer, 2);
	for (i = 0; i < 3; i++) {
		fo_net_peer_poll(w[i]);
		assert_null(fo_net_neigh_lookup(w[i], FK_IP(198, 18, 0, 66)));
	}

	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++)
			free(r[i][j]);
		free(w[i]);
	}
	fk_reset();
}

/* one worker, no rings: learning and polling are harmless */
static void
test_neigh_no_peers(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);

	(void)state;
	arp_from(w, 1, PEER_IP, fk_peer_mac);
	assert_int_equal(fo_net_peer_poll(w), 0);
	assert_int_equal(w->stats.peer_tx_full, 0);
	assert_null(fo_net_neigh_lookup(w, FK_IP(198, 18, 0, 99)));
	free(w);
	fk_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neigh_resolve_and_flush_order),
		cmocka_unit_test(test_neigh_backoff_give_up_holddown),
		cmocka_unit_test(test_neigh_request_nombuf),
		cmocka_unit_test(test_neigh_stale_refresh),
		cmocka_unit_test(test_neigh_eviction),
		cmocka_unit_test(test_neigh_fill_table),
		cmocka_unit_test(test_neigh_peer_sharing),
		cmocka_unit_test(test_neigh_reply_on_other_worker),
		cmocka_unit_test(test_neigh_no_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
