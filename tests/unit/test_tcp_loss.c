/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp: loss recovery. RTO with exponential backoff and give-up,
 * go-back-N after a timeout, fast retransmit on three duplicate ACKs,
 * NewReno partial ACKs, SACK-driven hole retransmission.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_harness.h"

/** An ACK from @p p with SACK blocks (pairs of relative offsets from @p base). */
static void
ack_sack(struct th *h, struct th_peer *p, uint32_t base, const uint32_t (*blk)[2], unsigned n)
{
	uint8_t opts[40];
	struct th_in s = {.sport = p->port, .seq = p->nxt, .ack = p->una, .flags = F_ACK,
		.wnd = p->wnd ? p->wnd : 65535};
	unsigned i, k;

	k = th_ts_opts(opts, ++p->ts, 0);
	if (n > 0) {
		opts[k++] = 1;
		opts[k++] = 1;
		opts[k++] = 5;
		opts[k++] = (uint8_t)(2 + 8 * n);
		for (i = 0; i < n; i++) {
			th_put32(opts + k, base + blk[i][0]);
			th_put32(opts + k + 4, base + blk[i][1]);
			k += 8;
		}
	}
	s.opts = opts;
	s.optlen = (uint8_t)k;
	th_inject(h, &s);
}

static void
test_rto_backoff_and_timeout(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 4, .max_retries = 3};
	struct th *h = th_new(&cfg);
	struct th_peer p = {.port = 40200, .isn = 1};
	struct th_out o;
	uint32_t seq;

	(void)state;
	th_handshake(h, &p);
	assert_int_equal(p.c->rto_ms, 200); /* RTT ~0: the floor */
	assert_int_equal(th_user_send(h, p.c, 1000, 1), 1000);
	th_expect(h, &o);
	seq = o.seq;
	assert_int_equal(o.len, 536);
	th_expect(h, &o);
	th_advance(h, 199);
	th_expect_none(h);
	th_advance(h, 2);
	th_expect(h, &o); /* only the first segment: cwnd is one segment now */
	assert_int_equal(o.seq, seq);
	assert_int_equal(o.len, 536);
	th_expect_none(h);
	assert_int_equal(h->tw->stats.rto_fired, 1);
	assert_int_equal(p.c->cwnd, 536);
	assert_int_equal(p.c->ssthresh, 2 * 536);
	assert_int_equal(p.c->rto_ms, 400);
	th_advance(h, 398);
	th_expect_none(h);
	th_advance(h, 3);
	th_expect(h, &o);
	assert_int_equal(o.seq, seq);
	th_advance(h, 801);
	th_expect(h, &o);
	assert_int_equal(o.seq, seq);
	assert_int_equal(h->tw->stats.retransmits, 3);
	th_advance(h, 1601);
	th_expect_none(h);
	assert_int_equal(h->n_closed, 1);
	assert_int_equal(h->close_why, FO_TCP_CLOSE_TIMEOUT);
	th_free(h, 1);
}

static void
test_rto_go_back_n(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40201, .isn = 1};
	struct th_out o;
	uint32_t seq;

	(void)state;
	th_handshake(h, &p);
	th_user_send(h, p.c, 4 * 536, 2);
	th_expect(h, &o);
	seq = o.seq;
	th_drain(h);
	th_advance(h, 201);
	th_expect(h, &o);
	assert_int_equal(o.seq, seq);
	/* the ACK of the retransmission opens cwnd: the next two go out again */
	p.una = seq + 536;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_expect(h, &o);
	assert_int_equal(o.seq, seq + 536);
	th_expect(h, &o);
	assert_int_equal(o.seq, seq + 2 * 536);
	th_expect_none(h);
	/* everything acknowledged: done, no more timer */
	p.una = seq + 4 * 536;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_drain(h);
	assert_int_equal(p.c->snd.bytes, 0);
	assert_false(fo_timer_armed(&p.c->t_rtx));
	th_free(h, 1);
}

static void
test_fast_retransmit_newreno(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40202, .isn = 1, .use_opts = 1};
	struct th_out o;
	uint32_t seq = 0, mss = 1448, n = 0;

	(void)state;
	th_handshake(h, &p);
	th_user_send(h, p.c, 10 * mss, 3);
	while (th_pop(h, &o)) {
		if (n == 0)
			seq = o.seq;
		n++;
	}
	assert_int_equal(n, 10);
	/* segment 2 lost: ACK of 1, then three duplicates */
	p.una = seq + mss;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_drain(h);
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_expect_none(h);
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_expect(h, &o);
	assert_int_equal(o.seq, seq + mss);
	assert_int_equal(o.len, mss);
	th_expect_none(h);
	assert_int_equal(h->tw->stats.fast_retransmits, 1);
	assert_true(p.c->in_recovery);
	assert_int_equal(p.c->ssthresh, 9 * mss / 2);
	assert_int_equal(p.c->recover, seq + 10 * mss);
	/* partial ACK (segment 5 lost too): it is retransmitted at once */
	p.una = seq + 4 * mss;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_expect(h, &o);
	assert_int_equal(o.seq, seq + 4 * mss);
	assert_true(p.c->in_recovery);
	/* full ACK: recovery ends, cwnd deflated to ssthresh at most */
	p.una = seq + 10 * mss;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_false(p.c->in_recovery);
	assert_true(p.c->cwnd <= p.c->ssthresh);
	assert_int_equal(h->tw->stats.retransmits, 2);
	th_drain(h);
	th_free(h, 1);
}

static void
test_sack_holes(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40203, .isn = 1, .use_opts = 1};
	struct th_out o;
	uint32_t seq = 0, mss = 1448, n = 0;
	/* segments (0-based) 1 and 3 lost; 2 and 4..7 arrived */
	static const uint32_t b1[][2] = {{2 * 1448, 3 * 1448}};
	static const uint32_t b2[][2] = {{4 * 1448, 6 * 1448}, {2 * 1448, 3 * 1448}};
	static const uint32_t b3[][2] = {{4 * 1448, 7 * 1448}, {2 * 1448, 3 * 1448}};
	static const uint32_t b4[][2] = {{4 * 1448, 8 * 1448}, {2 * 1448, 3 * 1448}};

	(void)state;
	th_handshake(h, &p);
	th_user_send(h, p.c, 8 * mss, 4);
	while (th_pop(h, &o)) {
		if (n++ == 0)
			seq = o.seq;
	}
	assert_int_equal(n, 8);
	p.una = seq + mss;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_drain(h);
	ack_sack(h, &p, seq, b1, 1);
	ack_sack(h, &p, seq, b2, 2);
	th_expect_none(h);
	ack_sack(h, &p, seq, b3, 2);
	/* third duplicate: segment 1 */
	th_expect(h, &o);
	assert_int_equal(o.seq, seq + mss);
	th_expect_none(h);
	assert_int_equal(p.c->n_sacked, 2);
	/* the next duplicate: the hole below the highest SACK (segment 3), not 2 */
	ack_sack(h, &p, seq, b4, 2);
	th_expect(h, &o);
	assert_int_equal(o.seq, seq + 3 * mss);
	assert_int_equal(o.len, mss);
	/* nothing else is missing: more duplicates retransmit nothing old */
	ack_sack(h, &p, seq, b4, 2);
	while (th_pop(h, &o))
		assert_true(tcp_seq_ge(o.seq, seq + 8 * mss));
	assert_int_equal(h->tw->stats.retransmits, 2);
	th_free(h, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rto_backoff_and_timeout),
		cmocka_unit_test(test_rto_go_back_n),
		cmocka_unit_test(test_fast_retransmit_newreno),
		cmocka_unit_test(test_sack_holes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
