/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp: connection teardown. Passive and active close, simultaneous
 * close, FIN+ACK in FIN_WAIT_1, TIME_WAIT (retransmitted FIN, RFC 1337,
 * expiry, reuse by a new SYN), close with unread data, data after close,
 * orphaned FIN_WAIT_2, close/abort from inside callbacks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_harness.h"

static void
test_passive_close(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40300, .isn = 1};
	struct th_out o;
	struct rte_mbuf *m;

	(void)state;
	th_handshake(h, &p);
	th_peer_send(h, &p, F_ACK | F_FIN, NULL, 0);
	assert_string_equal(tcp_state_name(p.c->state), "CLOSE_WAIT");
	assert_int_equal(h->n_readable, 1);
	assert_int_equal(fo_tcp_recv(p.c, &m, 100), 0);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK);
	assert_int_equal(o.ack, p.nxt);
	/* we can still send, then close */
	assert_int_equal(th_user_send(h, p.c, 10, 1), 10);
	th_expect(h, &o);
	assert_int_equal(fo_tcp_shutdown(p.c), 0);
	fo_tcp_flush(h->tw);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK | F_FIN);
	assert_int_equal(o.seq, p.una + 10);
	assert_string_equal(tcp_state_name(p.c->state), "LAST_ACK");
	assert_int_equal(fo_tcp_send_space(p.c), 0);
	p.una += 11;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(h->n_closed, 1);
	assert_int_equal(h->close_why, FO_TCP_CLOSE_NORMAL);
	assert_int_equal(h->tw->stats.conns, 0);
	th_free(h, 1);
}

static void
test_active_close_time_wait(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 4, .time_wait_ms = 1000};
	struct th *h = th_new(&cfg);
	struct th_peer p = {.port = 40301, .isn = 1};
	struct fo_tcp_conn *c;
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	c = p.c;
	fo_tcp_close(c);
	fo_tcp_flush(h->tw);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK | F_FIN);
	assert_string_equal(tcp_state_name(c->state), "FIN_WAIT_1");
	p.una++;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_string_equal(tcp_state_name(c->state), "FIN_WAIT_2");
	th_peer_send(h, &p, F_ACK | F_FIN, NULL, 0);
	assert_string_equal(tcp_state_name(c->state), "TIME_WAIT");
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK);
	assert_int_equal(o.ack, p.nxt);
	assert_int_equal(h->n_closed, 0); /* closed by the user: no callback */
	/* a retransmitted FIN: ACK again; a RST is ignored (RFC 1337) */
	p.nxt--;
	th_peer_send(h, &p, F_ACK | F_FIN, NULL, 0);
	th_expect(h, &o);
	assert_int_equal(o.ack, p.nxt);
	th_peer_send(h, &p, F_RST, NULL, 0);
	assert_string_equal(tcp_state_name(c->state), "TIME_WAIT");
	th_advance(h, 999);
	assert_int_equal(h->tw->stats.conns, 1);
	th_advance(h, 2);
	assert_int_equal(h->tw->stats.conns, 0);
	th_expect_none(h);
	th_free(h, 1);
}

static void
test_time_wait_reuse(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40302, .isn = 1, .use_opts = 1, .ts = 100};
	struct th_in s = {.sport = 40302, .flags = F_SYN, .wnd = 1000};
	struct th_out o;
	uint8_t opts[40];

	(void)state;
	th_handshake(h, &p);
	fo_tcp_shutdown(p.c);
	fo_tcp_flush(h->tw);
	th_drain(h);
	p.una++;
	th_peer_send(h, &p, F_ACK | F_FIN, NULL, 0);
	assert_string_equal(tcp_state_name(p.c->state), "TIME_WAIT");
	assert_int_equal(h->n_closed, 1); /* the user had not closed: told now */
	th_drain(h);
	/* an old SYN (lower seq, older TS): just an ACK */
	s.seq = p.nxt - 10;
	s.optlen = th_syn_opts(opts, 50, 7);
	s.opts = opts;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK);
	/* a new incarnation: TIME_WAIT is reused */
	s.seq = p.nxt + 100000;
	s.optlen = th_syn_opts(opts, p.ts + 10, 7);
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN | F_ACK);
	assert_int_equal(o.ack, p.nxt + 100001);
	assert_int_equal(h->tw->stats.time_wait_reused, 1);
	th_free(h, 1);
}

static void
test_simultaneous_close(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40303, .isn = 1};
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	fo_tcp_shutdown(p.c);
	fo_tcp_flush(h->tw);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK | F_FIN);
	/* the peer's FIN crosses ours (it does not ack our FIN) */
	th_peer_send(h, &p, F_ACK | F_FIN, NULL, 0);
	assert_string_equal(tcp_state_name(p.c->state), "CLOSING");
	th_expect(h, &o);
	assert_int_equal(o.ack, p.nxt);
	p.una++;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_string_equal(tcp_state_name(p.c->state), "TIME_WAIT");
	assert_int_equal(h->n_closed, 1);
	assert_int_equal(h->close_why, FO_TCP_CLOSE_NORMAL);
	th_free(h, 1);
}

static void
test_fin_ack_together(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40304, .isn = 1};
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	fo_tcp_shutdown(p.c);
	fo_tcp_flush(h->tw);
	th_expect(h, &o);
	p.una++;
	th_peer_send(h, &p, F_ACK | F_FIN, NULL, 0);
	assert_string_equal(tcp_state_name(p.c->state), "TIME_WAIT");
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK);
	th_free(h, 1);
}

static void
test_fin_retransmitted(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40305, .isn = 1};
	struct th_out o, o2;

	(void)state;
	th_handshake(h, &p);
	fo_tcp_shutdown(p.c);
	fo_tcp_flush(h->tw);
	th_expect(h, &o);
	th_advance(h, 201);
	th_expect(h, &o2);
	assert_int_equal(o2.flags, F_ACK | F_FIN);
	assert_int_equal(o2.seq, o.seq);
	th_free(h, 1);
}

static void
test_close_with_unread_data(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40306, .isn = 1};
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	th_peer_send(h, &p, F_ACK, "abc", 3);
	th_drain(h);
	fo_tcp_close(p.c);
	th_expect(h, &o);
	assert_int_equal(o.flags & F_RST, F_RST);
	assert_int_equal(o.seq, p.una);
	assert_int_equal(h->tw->stats.conns, 0);
	th_free(h, 1);
}

static void
test_data_after_close(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40307, .isn = 1};
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	fo_tcp_close(p.c);
	fo_tcp_flush(h->tw);
	th_expect(h, &o); /* FIN */
	p.una++;
	th_peer_send(h, &p, F_ACK, "late", 4);
	th_expect(h, &o);
	assert_int_equal(o.flags & F_RST, F_RST);
	assert_int_equal(h->tw->stats.drop[tcp_closed], 1);
	assert_int_equal(h->tw->stats.conns, 0);
	th_free(h, 1);
}

static void
test_orphan_fin_wait2_timeout(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 4, .fin_wait2_ms = 500};
	struct th *h = th_new(&cfg);
	struct th_peer p = {.port = 40308, .isn = 1};
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	fo_tcp_close(p.c);
	fo_tcp_flush(h->tw);
	th_expect(h, &o);
	p.una++;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_string_equal(tcp_state_name(p.c->state), "FIN_WAIT_2");
	th_advance(h, 501);
	th_expect(h, &o);
	assert_int_equal(o.flags & F_RST, F_RST);
	assert_int_equal(h->tw->stats.conns, 0);
	th_free(h, 1);
}

static void
test_close_inside_readable(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40309, .isn = 1}, q = {.port = 40310, .isn = 1};
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	h->close_in_readable = 1; /* with the data unread: RST */
	th_peer_send(h, &p, F_ACK | F_FIN, "bye", 3);
	th_expect(h, &o);
	assert_int_equal(o.flags & F_RST, F_RST);
	assert_int_equal(h->tw->stats.conns, 0);
	h->close_in_readable = 0;
	h->abort_in_readable = 1;
	th_handshake(h, &q);
	th_peer_send(h, &q, F_ACK, "x", 1);
	th_expect(h, &o);
	assert_int_equal(o.flags & F_RST, F_RST);
	assert_int_equal(h->tw->stats.conns, 0);
	/* the freed TCBs are reusable */
	h->abort_in_readable = 0;
	p.port = 40311;
	th_handshake(h, &p);
	th_free(h, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passive_close),
		cmocka_unit_test(test_active_close_time_wait),
		cmocka_unit_test(test_time_wait_reuse),
		cmocka_unit_test(test_simultaneous_close),
		cmocka_unit_test(test_fin_ack_together),
		cmocka_unit_test(test_fin_retransmitted),
		cmocka_unit_test(test_close_with_unread_data),
		cmocka_unit_test(test_data_after_close),
		cmocka_unit_test(test_orphan_fin_wait2_timeout),
		cmocka_unit_test(test_close_inside_readable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
