/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp and the neighbour cache: a SYN lost while its next hop was
 * unresolved is resent the moment the neighbour answers (not after the
 * RTO); an unanswered SYN or data segment has its next hop checked and,
 * when the peer turns out to have moved to a new MAC, is resent at once to
 * it; the per-connection initial SYN RTO of active opens.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_harness.h"

#define PEER3 RTE_BE32(0xc6120003) /* 198.18.0.3: not in the cache at start */

static const struct rte_ether_addr peer_mac = {{0x02, 0, 0, 0, 0, 0x02}};
static const struct rte_ether_addr moved_mac = {{0x02, 0, 0, 0, 0, 0x77}};

/** A 20-byte IPv4 packet (UDP, no payload) to @p dst from the harness pool. */
static struct rte_mbuf *
filler(struct th *h, rte_be32_t dst)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(h->mp);
	struct rte_ipv4_hdr ip = {
		.version_ihl = 0x45,
		.total_length = RTE_BE16(sizeof(ip)),
		.time_to_live = 64,
		.next_proto_id = IPPROTO_UDP,
		.src_addr = TH_US,
		.dst_addr = dst,
	};
	char *p;

	assert_non_null(m);
	p = rte_pktmbuf_append(m, sizeof(ip));
	assert_non_null(p);
	memcpy(p, &ip, sizeof(ip));
	return m;
}

/** Free every queued frame that is not TCP; @return how many. */
static unsigned
drop_non_tcp(struct th *h)
{
	struct fo_net_txq *q = &h->net->txq[0];
	unsigned i, k = 0, n = 0;

	for (i = 0; i < q->n; i++) {
		struct rte_mbuf *m = q->pkts[i];
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);

		if (th_get16(f + 12) == 0x0800 && f[14 + 9] == IPPROTO_TCP) {
			q->pkts[k++] = m;
		} else {
			rte_pktmbuf_free(m);
			n++;
		}
	}
	q->n = (uint16_t)k;
	return n;
}

/* the cold-start case: the neighbour's queue is full, the SYN is dropped; resent on the reply */
static void
test_syn_resent_when_neighbour_resolves(void **state)
{
	struct th *h = th_new(NULL);
	struct fo_tcp_conn *c;
	struct th_out o;
	unsigned queued = 0;
	uint64_t t0;

	(void)state;
	while (fo_net_output_ip4(h->net, filler(h, PEER3), PEER3) == 0)
		queued++;
	fo_net_burst_end(h->net);
	assert_true(queued > 32);
	assert_int_equal(h->net->stats.drop[neigh_queue_full], 1);
	assert_int_equal(drop_non_tcp(h), 1); /* the ARP request */

	c = fo_tcp_connect(h->tw, TH_US, PEER3, 8001, &th_ops, h);
	assert_non_null(c);
	fo_net_burst_end(h->net);
	assert_int_equal(h->net->stats.drop[neigh_queue_full], 2); /* the SYN */
	th_expect_none(h);
	t0 = h->net->now;

	/* the reply: the fillers go out, and the SYN right behind, same instant */
	assert_non_null(neigh_update(h->net, 0, PEER3, &peer_mac, 0, 0));
	assert_int_equal(drop_non_tcp(h), queued);
	th_advance(h, 0);
	assert_int_equal(h->net->now, t0);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN);
	assert_int_equal(o.dst, PEER3);
	assert_int_equal(o.seq, c->iss);
	assert_int_equal(h->tw->stats.neigh_resends, 1);
	assert_int_equal(h->tw->stats.retransmits, 1);
	assert_int_equal(c->rtx_count, 0); /* no backoff: the loss was the neighbour's */
	/* a second notice has nothing to resend */
	th_advance(h, 0);
	th_expect_none(h);
	assert_int_equal(h->tw->stats.neigh_resends, 1);

	/* and the connection completes */
	struct th_in sa = {.src = PEER3, .sport = 8001, .dport = o.sport, .seq = 7000,
		.ack = o.seq + 1, .flags = F_SYN | F_ACK, .wnd = 65535};
	th_inject(h, &sa);
	assert_int_equal(h->n_connected, 1);
	assert_string_equal(tcp_state_name(c->state), "ESTABLISHED");
	assert_false(c->in_nwait);
	th_free(h, 1);
}

/* an unanswered SYN has the next hop checked; a new MAC gets the SYN at once */
static void
test_syn_follows_moved_peer(void **state)
{
	struct th *h = th_new(NULL);
	struct fo_tcp_conn *c;
	struct fo_net_txq *q = &h->net->txq[0];
	struct th_out o;
	struct rte_mbuf *m;

	(void)state;
	c = fo_tcp_connect(h->tw, TH_US, TH_PEER, 8002, &th_ops, h);
	assert_non_null(c);
	th_expect(h, &o);
	th_advance(h, 1000); /* RTO: SYN again (old MAC) and an ARP request */
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN);
	assert_int_equal(h->arp_requests, 1);
	assert_int_equal(h->net->stats.neigh_suspect, 1);
	assert_int_equal(c->rtx_count, 1);

	/* the answer comes from another MAC: the SYN goes there at once */
	assert_non_null(neigh_update(h->net, 0, TH_PEER, &moved_mac, 0, 0));
	fo_tcp_timer(h->tw);
	assert_int_equal(q->n, 1);
	m = q->pkts[0];
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), moved_mac.addr_bytes, 6);
	q->n = 0;
	rte_pktmbuf_free(m);
	assert_int_equal(h->tw->stats.neigh_resends, 1);
	assert_int_equal(h->net->stats.neigh_changed, 1);
	assert_int_equal(c->rtx_count, 1);
	/* the same MAC confirmed again: no notice, nothing resent */
	assert_non_null(neigh_update(h->net, 0, TH_PEER, &moved_mac, 0, 0));
	fo_tcp_timer(h->tw);
	assert_int_equal(q->n, 0);
	th_free(h, 1);
}

/* data unacknowledged past the RTO: the next hop is checked, and a move gets the data at once */
static void
test_data_follows_moved_peer(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 5001, .isn = 1000, .wnd = 65535};
	struct fo_net_txq *q = &h->net->txq[0];
	struct th_out o;
	struct rte_mbuf *m;
	uint64_t rtx;

	(void)state;
	th_handshake(h, &p);
	assert_int_equal(th_user_send(h, p.c, 500, 3), 500);
	th_expect(h, &o);
	assert_int_equal(o.len, 500);
	th_advance(h, 1000); /* RTO: the data again (old MAC), and an ARP request */
	th_expect(h, &o);
	assert_int_equal(o.len, 500);
	assert_int_equal(h->arp_requests, 1);
	rtx = h->tw->stats.retransmits;
	assert_non_null(neigh_update(h->net, 0, TH_PEER, &moved_mac, 0, 0));
	fo_tcp_timer(h->tw);
	fo_tcp_flush(h->tw);
	assert_int_equal(q->n, 1);
	m = q->pkts[0];
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), moved_mac.addr_bytes, 6);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + 20 + 20 + 500);
	q->n = 0;
	rte_pktmbuf_free(m);
	assert_int_equal(h->tw->stats.retransmits, rtx + 1);
	assert_int_equal(h->tw->stats.neigh_resends, 1);
	th_free(h, 1);
}

/* a data segment refused by the neighbour (hold-down): the connection waits, resent on the reply */
static void
test_data_resent_when_neighbour_resolves(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 5002, .isn = 1000, .wnd = 65535};
	struct fo_neigh *e;
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	e = neigh_find(h->net, TH_PEER);
	assert_non_null(e);
	e->state = FO_NEIGH_FAILED;
	e->expire_tsc = h->net->now + 1000000;
	assert_int_equal(th_user_send(h, p.c, 500, 3), 500);
	th_expect_none(h);
	assert_int_equal(h->net->stats.drop[neigh_unreachable], 1);
	assert_true(p.c->in_nwait);

	assert_non_null(neigh_update(h->net, 0, TH_PEER, &peer_mac, 0, 0));
	fo_tcp_timer(h->tw);
	fo_tcp_flush(h->tw);
	th_expect(h, &o);
	assert_int_equal(o.len, 500);
	assert_int_equal(h->tw->stats.neigh_resends, 1);
	assert_false(p.c->in_nwait);
	th_free(h, 1);
}

/* per-connection initial SYN RTO (upstreams: far below RFC 6298's 1 s) */
static void
test_syn_rto(void **state)
{
	struct th *h = th_new(NULL);
	struct fo_tcp_conn *c;
	struct th_out o;

	(void)state;
	c = fo_tcp_connect(h->tw, TH_US, TH_PEER, 8003, &th_ops, h);
	assert_non_null(c);
	assert_int_equal(fo_tcp_set_syn_rto(c, 0), -EINVAL);
	assert_int_equal(fo_tcp_set_syn_rto(c, 50), 0);
	th_expect(h, &o);
	th_advance(h, 49);
	th_expect_none(h);
	th_advance(h, 1);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN);
	assert_int_equal(fo_tcp_set_syn_rto(c, 50), -EALREADY); /* already retransmitted */
	th_advance(h, 99); /* backed off to 100 ms */
	th_expect_none(h);
	th_advance(h, 1);
	th_expect(h, &o);
	/* the handshake: no longer in SYN_SENT */
	struct th_in sa = {.sport = 8003, .dport = o.sport, .seq = 9000, .ack = o.seq + 1,
		.flags = F_SYN | F_ACK, .wnd = 65535};
	th_inject(h, &sa);
	assert_string_equal(tcp_state_name(c->state), "ESTABLISHED");
	assert_int_equal(fo_tcp_set_syn_rto(c, 50), -EALREADY);
	th_free(h, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_resent_when_neighbour_resolves),
		cmocka_unit_test(test_syn_follows_moved_peer),
		cmocka_unit_test(test_data_follows_moved_peer),
		cmocka_unit_test(test_data_resent_when_neighbour_resolves),
		cmocka_unit_test(test_syn_rto),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
