/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net neighbour cache, cold paths: the pending queue bounded in bytes
 * (truesize) and in slots shared by all neighbours, draining past a full
 * tx buffer in order, resolution ahead of traffic, ready notices for the
 * layer above, suspicion refreshes, re-asking on link up, and the other
 * addresses of a host that moved to another MAC (no EAL).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include "neigh_harness.h"

/* the queue of an unresolved neighbour is bounded in bytes (truesize), not packets */
static void
test_neigh_queue_byte_bound(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	struct rte_mbuf *m = ip_pkt(PEER_IP, 0), *last;
	const uint32_t charge = charge_of(m);
	const unsigned fit = FO_NEIGH_QUEUE_BYTES / charge;
	const struct fo_neigh *n;
	unsigned i;

	(void)state;
	assert_true(fit > 32 && fit < FO_NEIGH_QUEUE_SLOTS); /* the bound tested is the byte one */
	assert_int_equal(fo_net_output_ip4(w, m, PEER_IP), 0);
	for (i = 1; i < fit; i++)
		assert_int_equal(fo_net_output_ip4(w, ip_pkt(PEER_IP, (uint16_t)i), PEER_IP), 0);
	n = fo_net_neigh_lookup(w, PEER_IP);
	assert_int_equal(n->n_pending, fit);
	assert_int_equal(n->q_bytes, fit * charge);
	assert_true(n->q_bytes + charge > FO_NEIGH_QUEUE_BYTES);
	assert_int_equal(w->stats.drop[neigh_queue_full], 0);
	/* one more does not fit: dropped and counted */
	last = ip_pkt(PEER_IP, 9999);
	assert_int_equal(fo_net_output_ip4(w, last, PEER_IP), -ENOBUFS);
	assert_int_equal(w->stats.drop[neigh_queue_full], 1);
	fo_net_burst_end(w);
	assert_true(fk_was_freed(last));
	assert_int_equal(drain_requests(w, PEER_IP), 1);
	free(w);
	fk_reset();
}

/* all neighbours of a worker share FO_NEIGH_QUEUE_SLOTS slots */
static void
test_neigh_queue_slots_shared(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	const rte_be32_t peers[] = {PEER_IP, FK_IP(198, 18, 0, 3), FK_IP(198, 18, 0, 4)};
	unsigned queued = 0, i, k, dropped = 0;

	(void)state;
	for (k = 0; k < FO_ARRAY_SIZE(peers); k++)
		for (i = 0; i < FO_NEIGH_QUEUE_SLOTS / 2; i++) {
			if (fo_net_output_ip4(w, ip_pkt_small(peers[k], (uint16_t)i), peers[k]) == 0)
				queued++;
			else
				dropped++;
			fo_net_burst_end(w);
		}
	assert_int_equal(queued, FO_NEIGH_QUEUE_SLOTS);
	assert_int_equal(w->stats.drop[neigh_queue_full], dropped);
	assert_int_equal(w->neigh_q_free, FO_NEIGH_QNONE);
	/* the first neighbour resolves: its slots come back and serve the third */
	w->txq[0].n = 0;
	arp_from(w, 2, PEER_IP, fk_peer_mac);
	while (fk_txq_pop(w, 0) != NULL || fo_net_neigh_lookup(w, PEER_IP)->n_pending != 0)
		fo_net_timer(w);
	assert_int_equal(fo_net_output_ip4(w, ip_pkt_small(peers[2], 7), peers[2]), 0);
	free(w);
	fk_reset();
}

/* a resolved queue longer than the tx buffer drains over several polls, in order */
static void
test_neigh_drain_past_full_txq(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	const unsigned total = 300, room = FO_ARRAY_SIZE(w->txq[0].pkts);
	const struct fo_neigh *n;
	unsigned i, next = 0, polls = 0;
	struct rte_mbuf *m;

	(void)state;
	for (i = 0; i < total; i++)
		assert_int_equal(fo_net_output_ip4(w, ip_pkt_small(PEER_IP, (uint16_t)i), PEER_IP), 0);
	assert_int_equal(drain_requests(w, PEER_IP), 1);
	arp_from(w, 2, PEER_IP, fk_peer_mac);
	n = fo_net_neigh_lookup(w, PEER_IP);
	assert_int_equal(n->state, FO_NEIGH_REACHABLE);
	assert_int_equal(w->txq[0].n, room);
	assert_int_equal(n->n_pending, total - room);
	/* new traffic queues behind what is still waiting: order kept */
	assert_int_equal(fo_net_output_ip4(w, ip_pkt_small(PEER_IP, (uint16_t)total), PEER_IP), 0);
	assert_int_equal(n->n_pending, total - room + 1);
	while (next <= total && polls < 10) {
		while ((m = fk_txq_pop(w, 0)) != NULL) {
			assert_int_equal(frame_id(m), next);
			assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), fk_peer_mac, 6);
			next++;
		}
		fo_net_timer(w);
		polls++;
	}
	assert_int_equal(next, total + 1);
	assert_int_equal(n->n_pending, 0);
	assert_int_equal(w->neigh_drain, 0);
	assert_int_equal(w->stats.drop[tx_full], 0);
	free(w);
	fk_reset();
}

/* resolution ahead of traffic, refresh on demand, FAILED starts over at once */
static void
test_neigh_resolve_ahead(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	const uint8_t newmac[6] = {0x02, 0, 0, 0, 0, 0x44};
	const rte_be32_t far = FK_IP(203, 0, 113, 9); /* off-subnet: via the gateway */
	const struct fo_neigh *n;
	struct rte_mbuf *out;
	uint64_t t;

	(void)state;
	assert_int_equal(fo_net_neigh_resolve(w, PEER_IP, 0), -EINPROGRESS);
	assert_int_equal(drain_requests(w, PEER_IP), 1);
	assert_int_equal(fo_net_neigh_resolve(w, PEER_IP, 0), -EINPROGRESS); /* no second request */
	assert_int_equal(drain_requests(w, PEER_IP), 0);
	assert_int_equal(w->stats.neigh_resolve, 1);
	arp_from(w, 2, PEER_IP, fk_peer_mac);
	n = fo_net_neigh_lookup(w, PEER_IP);
	assert_int_equal(n->state, FO_NEIGH_REACHABLE);
	/* the first packet goes straight out */
	out = ip_pkt(PEER_IP, 1);
	assert_int_equal(fo_net_output_ip4(w, out, PEER_IP), 0);
	assert_ptr_equal(fk_txq_pop(w, 0), out);
	assert_int_equal(w->stats.neigh_queued, 0);
	assert_int_equal(fo_net_neigh_resolve(w, PEER_IP, 0), 0);
	assert_int_equal(drain_requests(w, PEER_IP), 0);
	/* refresh: asked again, the old MAC serves meanwhile, the answer moves it */
	assert_int_equal(fo_net_neigh_resolve(w, PEER_IP, 1), 0);
	assert_int_equal(drain_requests(w, PEER_IP), 1);
	out = ip_pkt(PEER_IP, 2);
	assert_int_equal(fo_net_output_ip4(w, out, PEER_IP), 0);
	assert_ptr_equal(fk_txq_pop(w, 0), out);
	assert_memory_equal(rte_pktmbuf_mtod(out, uint8_t *), fk_peer_mac, 6);
	arp_from(w, 2, PEER_IP, newmac);
	assert_memory_equal(n->mac.addr_bytes, newmac, 6);
	assert_int_equal(w->stats.neigh_changed, 1);

	/* off-subnet endpoints resolve their gateway */
	assert_int_equal(fo_net_neigh_resolve(w, far, 0), -EINPROGRESS);
	assert_int_equal(drain_requests(w, FK_IP(198, 18, 0, 254)), 1);
	assert_int_equal(fo_net_neigh_usable(w, far), 1); /* resolving: usable, packets queue */
	/* never answered: FAILED, not usable; resolve starts over despite the hold-down */
	t = w->now;
	for (; w->now <= t + FK_MS(7000); w->now += FK_MS(100))
		fo_net_timer(w);
	w->txq[0].n = 0;
	n = fo_net_neigh_lookup(w, FK_IP(198, 18, 0, 254));
	assert_int_equal(n->state, FO_NEIGH_FAILED);
	assert_int_equal(fo_net_neigh_usable(w, far), 0);
	assert_int_equal(fo_net_neigh_usable(w, PEER_IP), 1);
	assert_true(w->now < n->expire_tsc + FK_MS(FO_NEIGH_HOLDDOWN_MS));
	assert_int_equal(fo_net_neigh_resolve(w, far, 0), -EINPROGRESS);
	assert_int_equal(n->state, FO_NEIGH_INCOMPLETE);
	assert_int_equal(drain_requests(w, FK_IP(198, 18, 0, 254)), 1);
	free(w);
	fk_reset();
}

/* next hops that become reachable are reported once to the layer above */
static void
test_neigh_ready_notices(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	const uint8_t newmac[6] = {0x02, 0, 0, 0, 0, 0x55};
	rte_be32_t out[FO_NEIGH_READY_MAX];
	unsigned i;
	int all = -1;

	(void)state;
	w->tcp_enabled = 1;
	assert_int_equal(fo_net_output_ip4(w, ip_pkt(PEER_IP, 1), PEER_IP), 0);
	assert_int_equal(fo_net_neigh_ready(w, out, FO_ARRAY_SIZE(out), &all), 0);
	arp_from(w, 2, PEER_IP, fk_peer_mac);
	assert_int_equal(fo_net_neigh_ready(w, out, FO_ARRAY_SIZE(out), &all), 1);
	assert_int_equal(out[0], PEER_IP);
	assert_int_equal(all, 0);
	assert_int_equal(fo_net_neigh_ready(w, out, FO_ARRAY_SIZE(out), &all), 0); /* emptied */
	/* the same MAC again (a refresh, the peer's own request): nothing new */
	arp_from(w, 1, PEER_IP, fk_peer_mac);
	assert_int_equal(fo_net_neigh_ready(w, out, FO_ARRAY_SIZE(out), &all), 0);
	/* a gratuitous ARP with a new MAC (the pod moved): reported, once */
	arp_from(w, 2, PEER_IP, newmac);
	arp_from(w, 2, PEER_IP, fk_peer_mac);
	assert_int_equal(fo_net_neigh_ready(w, out, FO_ARRAY_SIZE(out), &all), 1);
	assert_int_equal(w->stats.neigh_changed, 2);
	/* more than FO_NEIGH_READY_MAX between two polls: "all" */
	for (i = 0; i <= FO_NEIGH_READY_MAX; i++)
		arp_from(w, 1, FK_IP(198, 18, 0, 10 + i), fk_peer_mac);
	assert_int_equal(fo_net_neigh_ready(w, out, FO_ARRAY_SIZE(out), &all), FO_NEIGH_READY_MAX);
	assert_int_equal(all, 1);
	assert_int_equal(w->stats.neigh_ready_lost, 1);
	assert_int_equal(fo_net_neigh_ready(w, out, FO_ARRAY_SIZE(out), &all), 0);
	assert_int_equal(all, 0);
	free(w);
	fk_reset();
}

/* a layer above that gets no answers has the next hop asked again, at most every retry interval */
static void
test_neigh_suspect(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	const uint8_t newmac[6] = {0x02, 0, 0, 0, 0, 0x66};
	rte_be32_t out[4];
	int all;

	(void)state;
	w->tcp_enabled = 1;
	arp_from(w, 1, PEER_IP, fk_peer_mac);
	w->txq[0].n = 0;
	fo_net_neigh_ready(w, out, FO_ARRAY_SIZE(out), &all);
	fo_net_neigh_suspect(w, PEER_IP); /* just confirmed: no */
	assert_int_equal(drain_requests(w, PEER_IP), 0);
	w->now += FK_MS(FO_NEIGH_RETRY_MS);
	fo_net_neigh_suspect(w, PEER_IP);
	assert_int_equal(drain_requests(w, PEER_IP), 1);
	assert_int_equal(w->stats.neigh_suspect, 1);
	fo_net_neigh_suspect(w, PEER_IP); /* a refresh is under way: no */
	assert_int_equal(drain_requests(w, PEER_IP), 0);
	fo_net_neigh_suspect(w, FK_IP(198, 18, 0, 77)); /* unknown: nothing */
	assert_int_equal(w->txq[0].n, 0);
	/* the answer shows the move */
	arp_from(w, 2, PEER_IP, newmac);
	assert_int_equal(fo_net_neigh_ready(w, out, FO_ARRAY_SIZE(out), &all), 1);
	assert_int_equal(out[0], PEER_IP);
	free(w);
	fk_reset();
}

/* the link comes up (gratuitous ARP): resolutions under way ask again at once */
static void
test_neigh_retry_on_link_up(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	const struct fo_neigh *n;

	(void)state;
	assert_int_equal(fo_net_neigh_resolve(w, PEER_IP, 0), -EINPROGRESS);
	assert_int_equal(drain_requests(w, PEER_IP), 1);
	w->now += FK_MS(50);
	fo_net_timer(w);
	assert_int_equal(drain_requests(w, PEER_IP), 0); /* next retry at 200 ms */
	assert_int_equal(fo_net_announce(w, 0), 0);
	fo_net_timer(w);
	assert_int_equal(w->stats.arp_tx_gratuitous, 1);
	assert_int_equal(drain_requests(w, PEER_IP), 1); /* now, not at 200 ms */
	n = fo_net_neigh_lookup(w, PEER_IP);
	assert_int_equal(n->retries, 1); /* backoff starts over */
	assert_int_equal(n->expire_tsc, w->now + FK_MS(FO_NEIGH_RETRY_MS));
	free(w);
	fk_reset();
}

/* an address comes back on another MAC: the other addresses behind the old MAC are asked again */
static void
test_neigh_moved_host_siblings(void **state)
{
	struct fo_net_worker *w = fk_worker(0, 0);
	const uint8_t newmac[6] = {0x02, 0, 0, 0, 0, 0x88}, other[6] = {0x02, 0, 0, 0, 0, 0x99};
	const rte_be32_t sib1 = FK_IP(198, 18, 0, 11), sib2 = FK_IP(198, 18, 0, 12);
	const rte_be32_t elsewhere = FK_IP(198, 18, 0, 13);

	(void)state;
	arp_from(w, 1, PEER_IP, fk_peer_mac);
	arp_from(w, 1, sib1, fk_peer_mac);
	arp_from(w, 1, sib2, fk_peer_mac);
	arp_from(w, 1, elsewhere, other);
	w->txq[0].n = 0;
	/* PEER's gratuitous ARP from its new MAC */
	arp_from(w, 2, PEER_IP, newmac);
	assert_int_equal(drain_requests(w, sib1), 1); /* (and the rest of the txq dropped) */
	assert_int_equal(w->stats.neigh_suspect, 2); /* sib1 and sib2, not elsewhere */
	assert_int_equal(fo_net_neigh_lookup(w, sib2)->retries, 1);
	assert_int_equal(fo_net_neigh_lookup(w, elsewhere)->retries, 0);
	/* the old MAC serves sib2 until its answer */
	assert_memory_equal(fo_net_neigh_lookup(w, sib2)->mac.addr_bytes, fk_peer_mac, 6);
	arp_from(w, 2, sib2, newmac);
	assert_memory_equal(fo_net_neigh_lookup(w, sib2)->mac.addr_bytes, newmac, 6);
	free(w);
	fk_reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neigh_queue_byte_bound),
		cmocka_unit_test(test_neigh_queue_slots_shared),
		cmocka_unit_test(test_neigh_drain_past_full_txq),
		cmocka_unit_test(test_neigh_resolve_ahead),
		cmocka_unit_test(test_neigh_ready_notices),
		cmocka_unit_test(test_neigh_suspect),
		cmocka_unit_test(test_neigh_retry_on_link_up),
		cmocka_unit_test(test_neigh_moved_host_siblings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
