/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp: the send queue's payload mbufs. Up to TCP_COPY_MAX bytes are
 * copied after the header. Beyond, a queued segment sent whole and
 * held by nobody else goes out as itself (one more reference, its ->next
 * NULL while the transmission holds it); any other range goes out as
 * indirect mbufs. Data appended, acknowledged or retransmitted while a
 * transmission still holds the segment; every mbuf back in the pool. The
 * tx queue room output leaves.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_harness.h"

static uint8_t buf[1 << 16];

/** One mbuf of @p len pattern bytes (from @p from, @p seed), queued on @p c. */
static struct rte_mbuf *
user_send1(struct th *h, struct fo_tcp_conn *c, uint32_t len, uint32_t from, uint8_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(h->mp);

	assert_non_null(m);
	th_pattern((uint8_t *)rte_pktmbuf_append(m, (uint16_t)len), len, from, seed);
	assert_int_equal(fo_tcp_send(c, m), (ssize_t)len);
	return m;
}

/** The @p i-th TCP frame waiting in the tx queue (ARP requests skipped), NULL when none. */
static struct rte_mbuf *
txq_tcp(struct th *h, unsigned i)
{
	const struct fo_net_txq *q = &h->net->txq[0];
	unsigned k;

	for (k = 0; k < q->n; k++) {
		if (th_get16(rte_pktmbuf_mtod_offset(q->pkts[k], uint8_t *, 12)) == 0x0806)
			continue;
		if (i-- == 0)
			return q->pkts[k];
	}
	return NULL;
}

/** TCP frames waiting in the tx queue. */
static unsigned
txq_n_tcp(struct th *h)
{
	unsigned n = 0;

	while (txq_tcp(h, n) != NULL)
		n++;
	return n;
}

/** The payload mbuf of the @p i-th TCP frame waiting in the tx queue. */
static struct rte_mbuf *
txq_payload(struct th *h, unsigned i)
{
	struct rte_mbuf *f = txq_tcp(h, i);

	assert_non_null(f);
	return f->next;
}

/** Pop a data segment: @p len bytes from @p seq, pattern from @p from. */
static void
expect_data(struct th *h, uint32_t seq, uint32_t len, uint32_t from, uint8_t seed)
{
	static struct th_out o;

	th_expect(h, &o);
	assert_int_equal(o.seq, seq);
	assert_int_equal(o.len, len);
	th_pattern(buf, len, from, seed);
	assert_memory_equal(o.data, buf, len);
}

/* whole and unshared: out as itself, the queue keeps it until acknowledged */
static void
test_whole_segment_as_is(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40300, .isn = 10, .use_opts = 1};
	struct rte_mbuf *m, *pay;
	uint32_t seq;

	(void)state;
	th_handshake(h, &p);
	seq = p.una;
	m = user_send1(h, p.c, 700, 0, 1);
	fo_tcp_flush(h->tw);
	assert_int_equal(txq_n_tcp(h), 1);
	pay = txq_payload(h, 0);
	assert_ptr_equal(pay, m);
	assert_true(RTE_MBUF_DIRECT(pay));
	assert_null(pay->next);
	assert_int_equal(h->net->txq[0].pkts[0]->nb_segs, 2);
	assert_int_equal(rte_mbuf_refcnt_read(m), 2);
	assert_ptr_equal(p.c->snd.held, m);
	expect_data(h, seq, 700, 0, 1);
	/* the transmission gave its reference back: only the queue holds it */
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	assert_int_equal(fake_pool_in_use(h->mp), 1);
	p.una = seq + 700;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(p.c->snd.bytes, 0);
	assert_null(p.c->snd.head);
	assert_null(p.c->snd.held);
	assert_int_equal(h->tw->stats.buffered, 0);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/*
 * Small segments are copied after their header: one mbuf per frame, the
 * queue's own segments never referenced by a transmission; across queued
 * segments, from inside one (after a partial ACK), retransmitted, and at
 * TCP_COPY_MAX exactly (one byte more is chained).
 */
static void
test_small_copied(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40308, .isn = 10, .use_opts = 1};
	struct rte_mbuf *m1, *m2, *f;
	uint32_t seq;

	(void)state;
	th_handshake(h, &p);
	seq = p.una;
	/* queued before the flush: one segment of both, 100 + 150 bytes */
	m1 = user_send1(h, p.c, 100, 0, 11);
	m2 = user_send1(h, p.c, 150, 100, 11);
	fo_tcp_flush(h->tw);
	assert_int_equal(txq_n_tcp(h), 1);
	f = txq_tcp(h, 0);
	assert_null(f->next);
	assert_int_equal(f->nb_segs, 1);
	assert_int_equal(rte_mbuf_refcnt_read(m1), 1);
	assert_int_equal(rte_mbuf_refcnt_read(m2), 1);
	assert_null(p.c->snd.held);
	expect_data(h, seq, 250, 0, 11);
	/* 120 bytes acknowledged; the rest, from inside m2, lost and resent */
	p.una = seq + 120;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_advance(h, 201);
	assert_int_equal(h->tw->stats.rto_fired, 1);
	assert_int_equal(txq_n_tcp(h), 1);
	assert_null(txq_tcp(h, 0)->next);
	expect_data(h, seq + 120, 130, 120, 11);
	p.una = seq + 250;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	/* TCP_COPY_MAX bytes: copied; one more: chained */
	seq = p.una;
	user_send1(h, p.c, TCP_COPY_MAX, 0, 12);
	fo_tcp_flush(h->tw);
	assert_null(txq_tcp(h, 0)->next);
	expect_data(h, seq, TCP_COPY_MAX, 0, 12);
	m1 = user_send1(h, p.c, TCP_COPY_MAX + 1, 0, 13);
	fo_tcp_flush(h->tw);
	assert_ptr_equal(txq_payload(h, 0), m1);
	expect_data(h, seq + TCP_COPY_MAX, TCP_COPY_MAX + 1, 0, 13);
	p.una = seq + 2 * TCP_COPY_MAX + 1;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(h->tw->stats.buffered, 0);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/*
 * No mbuf for a header: counted, the segment lost as a frame would be,
 * and the RTO sends it again (copied and chained alike); the pool whole
 * at the end.
 */
static void
test_no_header_mbuf(void **state)
{
	static struct rte_mbuf *taken[1 << 16];
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40309, .isn = 10, .use_opts = 1};
	unsigned n = 0, k;
	uint32_t seq, lens[2] = {100, 900};

	(void)state;
	th_handshake(h, &p);
	for (k = 0; k < 2; k++) {
		uint64_t drops = h->tw->stats.drop[tcp_nombuf];

		seq = p.una;
		user_send1(h, p.c, lens[k], 0, (uint8_t)(20 + k));
		while (n < FO_ARRAY_SIZE(taken) && (taken[n] = rte_pktmbuf_alloc(h->mp)) != NULL)
			n++;
		fo_tcp_flush(h->tw);
		assert_int_equal(h->tw->stats.drop[tcp_nombuf], drops + 1);
		assert_int_equal(txq_n_tcp(h), 0);
		assert_int_equal(p.c->snd_nxt, seq + lens[k]); /* out, as far as TCP knows */
		while (n > 0)
			rte_pktmbuf_free(taken[--n]);
		th_advance(h, 201 << k);
		expect_data(h, seq, lens[k], 0, (uint8_t)(20 + k));
		p.una = seq + lens[k];
		th_peer_send(h, &p, F_ACK, NULL, 0);
	}
	assert_int_equal(h->tw->stats.buffered, 0);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/* tcp_mbuf_cut_front(): inline within one mbuf, out of line across a chain or to its end */
static void
test_cut_front(void **state)
{
	struct th *h = th_new(NULL);
	struct rte_mbuf *a, *b, *r;

	(void)state;
	a = rte_pktmbuf_alloc(h->mp);
	th_pattern((uint8_t *)rte_pktmbuf_append(a, 100), 100, 0, 30);
	r = tcp_mbuf_cut_front(a, 40);
	assert_ptr_equal(r, a);
	assert_int_equal(r->data_len, 60);
	assert_int_equal(r->pkt_len, 60);
	th_pattern(buf, 60, 40, 30);
	assert_memory_equal(rte_pktmbuf_mtod(r, uint8_t *), buf, 60);
	assert_null(tcp_mbuf_cut_front(a, 60)); /* all of it: freed */
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	a = rte_pktmbuf_alloc(h->mp);
	b = rte_pktmbuf_alloc(h->mp);
	th_pattern((uint8_t *)rte_pktmbuf_append(a, 100), 100, 0, 31);
	th_pattern((uint8_t *)rte_pktmbuf_append(b, 50), 50, 100, 31);
	assert_int_equal(rte_pktmbuf_chain(a, b), 0);
	r = tcp_mbuf_cut_front(a, 110);
	assert_ptr_equal(r, b);
	assert_int_equal(r->pkt_len, 40);
	assert_int_equal(r->nb_segs, 1);
	th_pattern(buf, 40, 110, 31);
	assert_memory_equal(rte_pktmbuf_mtod(r, uint8_t *), buf, 40);
	rte_pktmbuf_free(r);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/* the receive queue counts its mbufs: taking all of it (no walk) or a prefix keeps the counts
 * right */
static void
test_rcvq_take_counts(void **state)
{
	struct th *h = th_new(NULL);
	struct tcp_rcvq q;
	struct rte_mbuf *m[4], *out;
	unsigned i;

	(void)state;
	memset(&q, 0, sizeof(q));
	for (i = 0; i < 4; i++) {
		m[i] = rte_pktmbuf_alloc(h->mp);
		rte_pktmbuf_append(m[i], (uint16_t)(100 * (i + 1)));
	}
	assert_int_equal(rte_pktmbuf_chain(m[1], m[2]), 0); /* one segment of two mbufs */
	tcp_rcvq_append(h->tw, &q, m[0], 100);
	tcp_rcvq_append(h->tw, &q, m[1], 500);
	tcp_rcvq_append(h->tw, &q, m[3], 400);
	assert_int_equal(q.nb, 4);
	assert_int_equal(h->tw->stats.buffered, 4);
	/* a prefix of whole mbufs */
	assert_int_equal(tcp_rcvq_take(h->tw, &q, 350, &out), 300);
	assert_ptr_equal(out, m[0]);
	assert_int_equal(out->nb_segs, 2);
	assert_int_equal(out->pkt_len, 300);
	assert_int_equal(q.nb, 2);
	assert_int_equal(h->tw->stats.buffered, 2);
	rte_pktmbuf_free(out);
	/* the rest, all of it */
	assert_int_equal(tcp_rcvq_take(h->tw, &q, 700, &out), 700);
	assert_ptr_equal(out, m[2]);
	assert_int_equal(out->nb_segs, 2);
	assert_int_equal(out->pkt_len, 700);
	assert_ptr_equal(rte_pktmbuf_lastseg(out), m[3]);
	assert_int_equal(q.nb, 0);
	assert_int_equal(q.bytes, 0);
	assert_null(q.head);
	assert_null(q.tail);
	assert_int_equal(h->tw->stats.buffered, 0);
	rte_pktmbuf_free(out);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/* cwnd on new ACKs: slow start (inline) grows by the bytes acknowledged, at most two
 * segments; congestion avoidance (out of line) by one segment a window */
static void
test_cwnd_growth(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40312, .isn = 10, .use_opts = 1};
	uint32_t seq, cwnd;

	(void)state;
	th_handshake(h, &p);
	cwnd = p.c->cwnd;
	seq = p.una;
	user_send1(h, p.c, 1000, 0, 40);
	fo_tcp_flush(h->tw);
	expect_data(h, seq, 1000, 0, 40);
	p.una = seq + 1000;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(p.c->cwnd, cwnd + 1000);
	assert_int_equal(p.c->dupacks, 0);
	/* at ssthresh: avoidance counts bytes up to a window */
	p.c->ssthresh = p.c->cwnd;
	cwnd = p.c->cwnd;
	seq = p.una;
	user_send1(h, p.c, 1000, 0, 41);
	fo_tcp_flush(h->tw);
	expect_data(h, seq, 1000, 0, 41);
	p.una = seq + 1000;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(p.c->cwnd, cwnd);
	assert_int_equal(p.c->cwnd_cnt, 1000);
	th_drain(h);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/* a segment the user still holds a reference to goes out as an indirect mbuf */
static void
test_shared_segment_indirect(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40301, .isn = 10, .use_opts = 1};
	struct rte_mbuf *m, *pay;
	uint32_t seq;

	(void)state;
	th_handshake(h, &p);
	seq = p.una;
	m = rte_pktmbuf_alloc(h->mp);
	assert_non_null(m);
	th_pattern((uint8_t *)rte_pktmbuf_append(m, 700), 700, 0, 2);
	rte_mbuf_refcnt_update(m, 1); /* the user's own reference */
	assert_int_equal(fo_tcp_send(p.c, m), 700);
	fo_tcp_flush(h->tw);
	pay = txq_payload(h, 0);
	assert_ptr_not_equal(pay, m);
	assert_true(RTE_MBUF_CLONED(pay));
	assert_null(p.c->snd.held);
	assert_int_equal(rte_mbuf_refcnt_read(m), 3);
	expect_data(h, seq, 700, 0, 2);
	p.una = seq + 700;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	rte_pktmbuf_free(m);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/* more data queued while the transmission holds the tail: its ->next stays NULL */
static void
test_append_while_held(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40302, .isn = 10, .use_opts = 1};
	struct rte_mbuf *m1, *m2, *m3;
	uint32_t seq;

	(void)state;
	th_handshake(h, &p);
	seq = p.una;
	m1 = user_send1(h, p.c, 600, 0, 3);
	fo_tcp_flush(h->tw);
	assert_ptr_equal(txq_payload(h, 0), m1);
	m2 = user_send1(h, p.c, 700, 600, 3);
	assert_null(m1->next);
	assert_ptr_equal(p.c->snd.held_next, m2);
	assert_ptr_equal(p.c->snd.tail, m2);
	/* still held: m2 goes out indirect (one held segment at a time) */
	fo_tcp_flush(h->tw);
	assert_int_equal(txq_n_tcp(h), 2);
	assert_true(RTE_MBUF_CLONED(txq_payload(h, 1)));
	assert_null(m1->next);
	/* the transmissions end: the next append links m1 for real */
	expect_data(h, seq, 600, 0, 3);
	expect_data(h, seq + 600, 700, 600, 3);
	m3 = user_send1(h, p.c, 800, 1300, 3);
	assert_null(p.c->snd.held);
	assert_ptr_equal(m1->next, m2);
	assert_ptr_equal(m2->next, m3);
	fo_tcp_flush(h->tw);
	assert_ptr_equal(txq_payload(h, 0), m3);
	expect_data(h, seq + 1300, 800, 1300, 3);
	/* one ACK for all three, then the pool is whole */
	p.una = seq + 2100;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(p.c->snd.bytes, 0);
	assert_int_equal(h->tw->stats.buffered, 0);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/* acknowledged while the transmission holds it: the last reference frees it */
static void
test_acked_while_held(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40303, .isn = 10, .use_opts = 1};
	struct rte_mbuf *m1, *m2;
	uint32_t seq;

	(void)state;
	th_handshake(h, &p);
	seq = p.una;
	m1 = user_send1(h, p.c, 600, 0, 4);
	fo_tcp_flush(h->tw);
	assert_ptr_equal(txq_payload(h, 0), m1);
	m2 = user_send1(h, p.c, 700, 600, 4); /* behind the held m1, in held_next */
	/* the peer acknowledges m1 (the frame is still in the tx queue) */
	p.una = seq + 600;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_ptr_equal(p.c->snd.head, m2);
	assert_int_equal(p.c->snd.bytes, 700);
	assert_int_equal(rte_mbuf_refcnt_read(m1), 1);
	assert_null(m1->next);
	/* m2, queue head now and held by nobody, went out as itself on that ACK */
	assert_int_equal(txq_n_tcp(h), 2);
	assert_ptr_equal(txq_payload(h, 1), m2);
	assert_ptr_equal(p.c->snd.held, m2);
	expect_data(h, seq, 600, 0, 4);
	expect_data(h, seq + 600, 700, 600, 4);
	p.una = seq + 1300;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/* lost once sent as itself: the RTO resends the same bytes, as itself again */
static void
test_retransmit_after_as_is(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40304, .isn = 10, .use_opts = 1};
	struct rte_mbuf *m;
	uint32_t seq;

	(void)state;
	th_handshake(h, &p);
	seq = p.una;
	m = user_send1(h, p.c, 1000, 0, 5);
	fo_tcp_flush(h->tw);
	assert_ptr_equal(txq_payload(h, 0), m);
	expect_data(h, seq, 1000, 0, 5); /* "lost" */
	th_advance(h, 201);
	assert_int_equal(h->tw->stats.rto_fired, 1);
	assert_int_equal(txq_n_tcp(h), 1);
	assert_ptr_equal(txq_payload(h, 0), m);
	expect_data(h, seq, 1000, 0, 5);
	/* lost again, and resent while the frame before is still queued */
	th_advance(h, 401);
	assert_int_equal(txq_n_tcp(h), 1);
	assert_ptr_equal(txq_payload(h, 0), m);
	p.c->snd_nxt = p.c->snd_una; /* an RTO's go-back-N, frame still out */
	p.c->ack_now = 1;
	tcp_output(p.c);
	assert_int_equal(txq_n_tcp(h), 2);
	assert_true(RTE_MBUF_CLONED(txq_payload(h, 1)));
	assert_int_equal(rte_mbuf_refcnt_read(m), 3);
	expect_data(h, seq, 1000, 0, 5);
	expect_data(h, seq, 1000, 0, 5);
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	p.una = seq + 1000;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(p.c->snd.bytes, 0);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/* part of a segment acknowledged: the rest goes out as an indirect mbuf */
static void
test_partial_ack_rest_indirect(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40305, .isn = 10, .use_opts = 1};
	struct rte_mbuf *m;
	uint32_t seq;

	(void)state;
	th_handshake(h, &p);
	seq = p.una;
	m = user_send1(h, p.c, 1000, 0, 6);
	fo_tcp_flush(h->tw);
	expect_data(h, seq, 1000, 0, 6);
	p.una = seq + 400;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(p.c->snd.head_off, 400);
	th_expect_none(h);
	th_advance(h, 201);
	assert_int_equal(txq_n_tcp(h), 1);
	assert_true(RTE_MBUF_CLONED(txq_payload(h, 0)));
	assert_int_equal(rte_mbuf_refcnt_read(m), 2);
	expect_data(h, seq + 400, 600, 400, 6);
	p.una = seq + 1000;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/* a segment larger than the MSS is cut into indirect mbufs, as before */
static void
test_large_segment_indirect(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40306, .isn = 10, .use_opts = 1};
	struct rte_mbuf *m;
	uint32_t seq;

	(void)state;
	th_handshake(h, &p);
	seq = p.una;
	m = user_send1(h, p.c, 2000, 0, 7);
	fo_tcp_flush(h->tw);
	assert_int_equal(txq_n_tcp(h), 2);
	assert_true(RTE_MBUF_CLONED(txq_payload(h, 0)));
	assert_true(RTE_MBUF_CLONED(txq_payload(h, 1)));
	assert_null(p.c->snd.held);
	assert_int_equal(rte_mbuf_refcnt_read(m), 3);
	expect_data(h, seq, 1448, 0, 7);
	expect_data(h, seq + 1448, 552, 1448, 7);
	p.una = seq + 2000;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/* the connection torn down while a transmission holds a segment */
static void
test_abort_while_held(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40307, .isn = 10, .use_opts = 1};
	struct rte_mbuf *m;

	(void)state;
	th_handshake(h, &p);
	m = user_send1(h, p.c, 600, 0, 8);
	fo_tcp_flush(h->tw);
	assert_ptr_equal(txq_payload(h, 0), m);
	user_send1(h, p.c, 600, 600, 8);
	fo_tcp_abort(p.c);
	assert_int_equal(rte_mbuf_refcnt_read(m), 1);
	th_drain(h);
	assert_int_equal(h->tw->stats.buffered, 0);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

/* output stops with fewer than 4 free tx slots, and goes on at the next flush */
static void
test_tx_room_limit(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer a = {.port = 40310, .isn = 10, .use_opts = 1};
	struct th_peer b = {.port = 40311, .isn = 10, .use_opts = 1};
	const unsigned cap = FO_ARRAY_SIZE(h->net->txq[0].pkts);
	static struct th_out o;
	uint32_t got_a = 0, got_b = 0, a0, b0;

	(void)state;
	th_handshake(h, &a);
	th_handshake(h, &b);
	a0 = a.una;
	b0 = b.una;
	a.c->cwnd = b.c->cwnd = 1u << 30;
	assert_int_equal(th_user_send(h, a.c, 200000, 9), 200000);
	/* each segment went with at least 4 slots free: it stopped at 3 */
	assert_int_equal(th_queued(h), cap - 3);
	assert_true(a.c->pending);
	user_send1(h, b.c, 1000, 0, 10);
	fo_tcp_flush(h->tw);
	assert_int_equal(th_queued(h), cap - 3);
	assert_true(b.c->pending);
	while (th_queued(h) != 0) {
		while (th_pop(h, &o)) {
			if (o.len == 0)
				continue;
			if (o.dport == a.port) {
				assert_int_equal(o.seq, a0 + got_a);
				th_pattern(buf, o.len, got_a, 9);
				got_a += o.len;
			} else {
				assert_int_equal(o.dport, b.port);
				assert_int_equal(o.seq, b0 + got_b);
				th_pattern(buf, o.len, got_b, 10);
				got_b += o.len;
			}
			assert_memory_equal(o.data, buf, o.len);
		}
		fo_tcp_flush(h->tw);
	}
	assert_int_equal(got_a, 200000);
	assert_int_equal(got_b, 1000);
	a.una = a0 + 200000;
	th_peer_send(h, &a, F_ACK, NULL, 0);
	b.una = b0 + 1000;
	th_peer_send(h, &b, F_ACK, NULL, 0);
	th_drain(h);
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_segment_as_is),
		cmocka_unit_test(test_small_copied),
		cmocka_unit_test(test_no_header_mbuf),
		cmocka_unit_test(test_cut_front),
		cmocka_unit_test(test_rcvq_take_counts),
		cmocka_unit_test(test_cwnd_growth),
		cmocka_unit_test(test_shared_segment_indirect),
		cmocka_unit_test(test_append_while_held),
		cmocka_unit_test(test_acked_while_held),
		cmocka_unit_test(test_retransmit_after_as_is),
		cmocka_unit_test(test_partial_ack_rest_indirect),
		cmocka_unit_test(test_large_segment_indirect),
		cmocka_unit_test(test_abort_while_held),
		cmocka_unit_test(test_tx_room_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
