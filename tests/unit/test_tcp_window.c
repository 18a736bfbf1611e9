/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp: flow control. Window scaling both ways, the peer's window
 * honoured, zero window and persist probes with backoff, our receive
 * window closing and reopening (window updates), send-buffer backpressure
 * (-EAGAIN then writable), keep-alive.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_harness.h"

static void
test_peer_window_scaled(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40500, .isn = 1, .use_opts = 1, .wnd = 2};
	struct th_out o;
	uint32_t total = 0;

	(void)state;
	/* WS 7 and a window of 2 -> 256 bytes */
	th_handshake(h, &p);
	assert_int_equal(p.c->snd_wnd, 256);
	th_user_send(h, p.c, 1000, 0);
	while (th_pop(h, &o))
		total += o.len;
	assert_int_equal(total, 256);
	/* our advertised window is scaled by 3 */
	p.una += 256;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_expect(h, &o);
	assert_int_equal(o.wnd, (256 * 1024) >> 3);
	th_drain(h);
	th_free(h, 1);
}

static void
test_zero_window_probes(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40501, .isn = 1, .wnd_zero = 1};
	struct th_out o;
	uint32_t una;

	(void)state;
	th_handshake(h, &p);
	assert_int_equal(p.c->snd_wnd, 0);
	th_user_send(h, p.c, 500, 0);
	th_expect_none(h);
	una = p.una;
	/* probes at RTO (200 ms), then backed off: 400, 800 */
	th_advance(h, 201);
	th_expect(h, &o);
	assert_int_equal(o.seq, una - 1);
	assert_int_equal(o.len, 0);
	th_advance(h, 399);
	th_expect_none(h);
	th_advance(h, 2);
	th_expect(h, &o);
	th_advance(h, 801);
	th_expect(h, &o);
	assert_int_equal(h->tw->stats.zero_window_probes, 3);
	assert_int_equal(h->n_closed, 0);
	/* the window opens: the data goes */
	p.wnd_zero = 0;
	p.wnd = 1000;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_expect(h, &o);
	assert_int_equal(o.seq, una);
	assert_int_equal(o.len, 500);
	th_free(h, 1);
}

static void
test_receive_window_closes(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 4, .rcvbuf = 4000};
	struct th *h = th_new(&cfg);
	struct th_peer p = {.port = 40502, .isn = 1};
	static uint8_t d[4000];
	struct th_out o;
	struct rte_mbuf *m;
	struct th_in s;

	(void)state;
	th_handshake(h, &p);
	th_peer_send(h, &p, F_ACK, d, 536);
	th_peer_send(h, &p, F_ACK, d, 536);
	th_expect(h, &o);
	assert_int_equal(o.wnd, 4000 - 1072);
	/* fill to the edge: the window goes to zero */
	th_peer_send(h, &p, F_ACK, d, 4000 - 1072);
	th_advance(h, 50);
	th_expect(h, &o);
	assert_int_equal(o.wnd, 0);
	/* more data: outside the window, answered with an ACK, not queued */
	memset(&s, 0, sizeof(s));
	s.sport = p.port;
	s.seq = p.nxt;
	s.ack = p.una;
	s.flags = F_ACK;
	s.wnd = 1000;
	s.data = d;
	s.len = 100;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.ack, p.nxt);
	assert_int_equal(h->tw->stats.drop[tcp_out_of_window], 1);
	/* the user reads: a window update goes out */
	assert_true(fo_tcp_recv(p.c, &m, UINT32_MAX) > 0);
	rte_pktmbuf_free(m);
	fo_tcp_flush(h->tw);
	th_expect(h, &o);
	assert_int_equal(o.wnd, 4000);
	th_free(h, 1);
}

/*
 * A segment wholly before RCV.NXT (a retransmission, or a pure ACK sent
 * after the peer rewound SND.NXT) is refused as out of window, but its ACK
 * field is taken when it acknowledges new data of ours: two ends that both
 * rewound after an RTO would otherwise refuse each other's ACKs for ever.
 */
static void
test_old_segment_ack_taken(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 4};
	struct th *h = th_new(&cfg);
	struct th_peer p = {.port = 40506, .isn = 1};
	static uint8_t d[1072];
	struct th_out o;
	struct th_in s;
	uint32_t una0;

	(void)state;
	th_handshake(h, &p);
	th_peer_send(h, &p, F_ACK, d, 536);
	th_peer_send(h, &p, F_ACK, d, 536);
	assert_int_equal(th_user_send(h, p.c, 1072, 0), 1072);
	th_drain(h);
	una0 = p.c->snd_una;
	/* the peer's first segment again, now acknowledging 536 bytes of ours */
	memset(&s, 0, sizeof(s));
	s.sport = p.port;
	s.seq = p.nxt - 1072;
	s.ack = una0 + 536;
	s.flags = F_ACK;
	s.wnd = 65535;
	s.data = d;
	s.len = 536;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.ack, p.nxt);
	assert_int_equal(h->tw->stats.drop[tcp_out_of_window], 1);
	assert_int_equal(h->tw->stats.old_acks, 1);
	assert_int_equal(p.c->snd_una, una0 + 536);
	/* a pure ACK below RCV.NXT acknowledging the rest */
	s.seq = p.nxt - 536;
	s.ack = una0 + 1072;
	s.data = NULL;
	s.len = 0;
	th_inject(h, &s);
	th_drain(h);
	assert_int_equal(h->tw->stats.old_acks, 2);
	assert_int_equal(p.c->snd_una, una0 + 1072);
	/* not taken: an ACK of data never sent, one that moves nothing, and a
	 * segment further below RCV.NXT than any window we advertised */
	s.ack = una0 + 5000;
	th_inject(h, &s);
	s.ack = una0 + 1072;
	th_inject(h, &s);
	s.seq = p.nxt - 70000;
	th_inject(h, &s);
	th_drain(h);
	assert_int_equal(h->tw->stats.old_acks, 2);
	assert_int_equal(p.c->snd_una, una0 + 1072);
	assert_int_equal(h->tw->stats.drop[tcp_out_of_window], 5);
	th_free(h, 1);
}

static void
test_send_backpressure(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 4, .sndbuf = 2000};
	struct th *h = th_new(&cfg);
	struct th_peer p = {.port = 40503, .isn = 1};
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	assert_int_equal(th_user_send(h, p.c, 1500, 0), 1500);
	assert_int_equal(fo_tcp_send_space(p.c), 500);
	assert_int_equal(th_user_send(h, p.c, 600, 0), -EAGAIN);
	assert_int_equal(h->n_writable, 0);
	th_drain(h);
	p.una += 536;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(h->n_writable, 1);
	assert_int_equal(th_user_send(h, p.c, 600, 0), 600);
	th_drain(h);
	(void)o;
	th_free(h, 1);
}

/*
 * A producer asks to be told when there is room (no dummy send): one
 * writable once half of sndbuf is free, from an ACK or from the next flush
 * when the room is already there, never from inside the call.
 */
static void
test_want_writable(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 4, .sndbuf = 4000};
	struct th *h = th_new(&cfg);
	struct th_peer p = {.port = 40504, .isn = 1};

	(void)state;
	th_handshake(h, &p);
	/* room already: from the next flush, once */
	assert_int_equal(fo_tcp_want_writable(p.c), 0);
	assert_int_equal(h->n_writable, 0);
	fo_tcp_flush(h->tw);
	assert_int_equal(h->n_writable, 1);
	fo_tcp_flush(h->tw);
	assert_int_equal(h->n_writable, 1);
	/* fill the buffer, then ask */
	assert_int_equal(th_user_send(h, p.c, 4000, 0), 4000);
	assert_int_equal(fo_tcp_send_space(p.c), 0);
	assert_int_equal(fo_tcp_want_writable(p.c), 0);
	fo_tcp_flush(h->tw);
	assert_int_equal(h->n_writable, 1);
	th_drain(h);
	/* 536 bytes free: less than half, nothing yet */
	p.una += 536;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(h->n_writable, 1);
	th_drain(h);
	/* 2144 free: at least half */
	p.una += 3 * 536;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(h->n_writable, 2);
	th_drain(h);
	/* one-shot */
	p.una += 536;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	fo_tcp_flush(h->tw);
	assert_int_equal(h->n_writable, 2);
	th_drain(h);
	/* after shutdown: -EPIPE; before ESTABLISHED: -ENOTCONN */
	assert_int_equal(fo_tcp_shutdown(p.c), 0);
	assert_int_equal(fo_tcp_want_writable(p.c), -EPIPE);
	th_drain(h);
	{
		struct fo_tcp_conn *c = fo_tcp_connect(h->tw, TH_US, TH_PEER, 9999, &th_ops, h);

		assert_non_null(c);
		assert_int_equal(fo_tcp_want_writable(c), -ENOTCONN);
		fo_tcp_abort(c);
	}
	th_drain(h);
	th_free(h, 1);
}

static void
test_keepalive(void **state)
{
	struct fo_tcp_config cfg = {
		.max_conns = 4, .keepalive_ms = 1000, .keepalive_intvl_ms = 100,
		.keepalive_probes = 2};
	struct th *h = th_new(&cfg);
	struct th_peer p = {.port = 40504, .isn = 1};
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	th_advance(h, 999);
	th_expect_none(h);
	th_advance(h, 2);
	th_expect(h, &o);
	assert_int_equal(o.seq, p.una - 1);
	assert_int_equal(o.flags, F_ACK);
	/* answered: idle again */
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_advance(h, 500);
	th_expect_none(h);
	th_advance(h, 501);
	th_expect(h, &o); /* probe 1 */
	th_advance(h, 101);
	th_expect(h, &o); /* probe 2 */
	th_advance(h, 101);
	assert_int_equal(h->n_closed, 1);
	assert_int_equal(h->close_why, FO_TCP_CLOSE_TIMEOUT);
	assert_int_equal(h->tw->stats.keepalive_probes, 3);
	th_free(h, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_window_scaled),
		cmocka_unit_test(test_zero_window_probes),
		cmocka_unit_test(test_receive_window_closes),
		cmocka_unit_test(test_old_segment_ack_taken),
		cmocka_unit_test(test_send_backpressure),
		cmocka_unit_test(test_want_writable),
		cmocka_unit_test(test_keepalive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
