/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp: data transfer both ways, delayed ACKs, out-of-order reassembly,
 * overlapping retransmissions, zero-copy echo, sequence wraparound.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_harness.h"

static uint8_t buf[1 << 20];

static void
test_delayed_ack(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40100, .isn = 100, .use_opts = 1};
	struct th_out o;

	(void)state;
	h->auto_read = 1;
	th_handshake(h, &p);
	th_pattern(buf, 3000, 0, 1);
	/* one small segment: ACK only after delack_ms */
	th_peer_send(h, &p, F_ACK, buf, 100);
	th_expect_none(h);
	th_advance(h, 39);
	th_expect_none(h);
	th_advance(h, 2);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK);
	assert_int_equal(o.ack, p.nxt);
	/* two full-sized segments: ACKed at once */
	th_peer_send(h, &p, F_ACK, buf + 100, 1460);
	th_expect_none(h);
	th_peer_send(h, &p, F_ACK, buf + 1560, 1440 - 0);
	/* 1440 < mss: still delayed; a third full one makes two full */
	th_peer_send(h, &p, F_ACK, buf, 1460);
	th_expect(h, &o);
	assert_int_equal(o.ack, p.nxt);
	assert_int_equal(h->rx_len, 100 + 1460 + 1440 + 1460);
	assert_memory_equal(h->rx, buf, 3000);
	th_free(h, 1);
}

static void
test_send_segments(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40101, .isn = 5, .use_opts = 1};
	struct th_out o;
	uint32_t seq, total = 0;

	(void)state;
	th_handshake(h, &p);
	seq = p.una;
	assert_int_equal(th_user_send(h, p.c, 5000, 7), 5000);
	while (th_pop(h, &o)) {
		assert_int_equal(o.seq, seq + total);
		assert_true(o.flags & F_ACK);
		th_pattern(buf, o.len, total, 7);
		assert_memory_equal(o.data, buf, o.len);
		assert_true(o.has_ts);
		total += o.len;
		if (total < 5000)
			assert_int_equal(o.len, 1448); /* MSS 1460 - 12 bytes of timestamps */
	}
	assert_int_equal(total, 5000);
	assert_int_equal(h->tw->stats.bytes_tx, 5000);
	/* ACK everything: the send queue empties, the RTO stops */
	p.una = seq + 5000;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(p.c->snd.bytes, 0);
	assert_false(fo_timer_armed(&p.c->t_rtx));
	assert_int_equal(fake_pool_in_use(h->mp), 0);
	th_free(h, 1);
}

static void
test_out_of_order_fill(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40102, .isn = 0xfffff000u, .use_opts = 1};
	struct th_out o;
	struct th_in s;
	uint8_t opts[12];
	uint32_t base;

	(void)state;
	h->auto_read = 1;
	th_handshake(h, &p);
	base = p.nxt;
	th_pattern(buf, 5000, 0, 3);
	memset(&s, 0, sizeof(s));
	s.sport = p.port;
	s.ack = p.una;
	s.flags = F_ACK;
	s.wnd = 65535;
	s.optlen = th_ts_opts(opts, 10, 0);
	s.opts = opts;
	/* segments 3 and 2 arrive first (crossing 2^32) */
	s.seq = base + 2000;
	s.data = buf + 2000;
	s.len = 1000;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.ack, base);
	assert_int_equal(o.n_sack, 1);
	assert_int_equal(o.sack[0][0], base + 2000);
	assert_int_equal(o.sack[0][1], base + 3000);
	s.seq = base + 4000;
	s.data = buf + 4000;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.n_sack, 2);
	assert_int_equal(o.sack[0][0], base + 4000); /* latest first */
	assert_int_equal(o.sack[1][0], base + 2000);
	/* overlapping: 1500..3500 */
	s.seq = base + 1500;
	s.data = buf + 1500;
	s.len = 2000;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.n_sack, 2);
	assert_int_equal(p.c->n_ooo, 2); /* [1500,3500) swallowed [2000,3000) */
	assert_int_equal(h->rx_len, 0);
	/* the hole fills: everything up to 5000 in order at once, immediate ACK */
	s.seq = base;
	s.data = buf;
	s.len = 1500;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.ack, base + 3500);
	assert_int_equal(o.n_sack, 1);
	s.seq = base + 3500;
	s.data = buf + 3500;
	s.len = 500;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.ack, base + 5000);
	assert_int_equal(o.n_sack, 0);
	assert_int_equal(h->rx_len, 5000);
	assert_memory_equal(h->rx, buf, 5000);
	assert_int_equal(p.c->n_ooo, 0);
	assert_int_equal(p.c->ooo_bytes, 0);
	/* a stale duplicate: ACK again, nothing new */
	s.seq = base + 100;
	s.len = 200;
	s.data = buf + 100;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.ack, base + 5000);
	assert_int_equal(h->rx_len, 5000);
	th_free(h, 1);
}

static void
test_ooo_limit(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 4, .ooo_max = 2};
	struct th *h = th_new(&cfg);
	struct th_peer p = {.port = 40103, .isn = 1};
	struct th_in s = {.sport = 40103, .flags = F_ACK, .wnd = 1000, .len = 10};
	unsigned i;

	(void)state;
	th_handshake(h, &p);
	s.ack = p.una;
	s.data = buf;
	for (i = 1; i <= 3; i++) {
		s.seq = p.nxt + 100 * i;
		th_inject(h, &s);
	}
	assert_int_equal(p.c->n_ooo, 2);
	assert_int_equal(h->tw->stats.drop[tcp_ooo_full], 1);
	th_drain(h);
	th_free(h, 1);
}

static void
test_recv_partial(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40104, .isn = 1};
	struct rte_mbuf *m;
	ssize_t n;

	(void)state;
	th_handshake(h, &p);
	th_pattern(buf, 1000, 0, 9);
	th_peer_send(h, &p, F_ACK, buf, 600);
	th_peer_send(h, &p, F_ACK, buf + 600, 400);
	assert_int_equal(h->n_readable, 2);
	n = fo_tcp_recv(p.c, &m, 100); /* smaller than the first mbuf */
	assert_int_equal(n, 100);
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), buf, 100);
	rte_pktmbuf_free(m);
	n = fo_tcp_recv(p.c, &m, 600); /* 500 left in the first: whole mbufs only */
	assert_int_equal(n, 500);
	rte_pktmbuf_free(m);
	n = fo_tcp_recv(p.c, &m, 10000);
	assert_int_equal(n, 400);
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), buf + 600, 400);
	rte_pktmbuf_free(m);
	assert_int_equal(fo_tcp_recv(p.c, &m, 10000), -EAGAIN);
	th_drain(h);
	th_free(h, 1);
}

/* echo: send back what was received, zero-copy */
static void
echo_readable(struct fo_tcp_conn *c, void *user)
{
	struct rte_mbuf *m;
	ssize_t n;

	(void)user;
	while ((n = fo_tcp_recv(c, &m, UINT32_MAX)) > 0)
		assert_int_equal(fo_tcp_send(c, m), n);
	if (n == 0)
		fo_tcp_close(c);
}

static int
echo_accept(struct fo_tcp_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

static void
test_echo_wraparound(void **state)
{
	static const struct fo_tcp_ops echo_ops = {.accept = echo_accept, .readable = echo_readable};
	struct th *h = th_new(NULL);
	struct th_in s = {.sport = 40105, .dport = 7, .seq = 0xffffff00u, .flags = F_SYN,
		.wnd = 65535};
	struct th_out o;
	uint32_t our, peer, got = 0, sent = 0, i;

	(void)state;
	assert_int_equal(fo_tcp_listen(h->tw, TH_US, 7, &echo_ops, NULL), 0);
	th_inject(h, &s);
	th_expect(h, &o);
	our = o.seq + 1;
	peer = 0xffffff01u;
	s.flags = F_ACK;
	s.seq = peer;
	s.ack = our;
	th_inject(h, &s);
	th_pattern(buf, 20000, 0, 5);
	for (i = 0; i < 20; i++) {
		s.seq = peer + sent;
		s.data = buf + sent;
		s.len = 1000;
		s.ack = our + got;
		th_inject(h, &s);
		sent += 1000;
		while (th_pop(h, &o)) {
			if (o.len == 0)
				continue;
			assert_int_equal(o.seq, our + got);
			assert_memory_equal(o.data, buf + got, o.len);
			got += o.len;
		}
	}
	assert_int_equal(got, 20000);
	/* FIN: the echo closes, its FIN follows the data */
	s.seq = peer + sent;
	s.len = 0;
	s.ack = our + got;
	s.flags = F_ACK | F_FIN;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags & F_FIN, F_FIN);
	assert_int_equal(o.seq, our + got);
	assert_int_equal(o.ack, peer + sent + 1);
	s.flags = F_ACK;
	s.seq++;
	s.ack = o.seq + 1;
	th_inject(h, &s);
	assert_int_equal(h->tw->stats.conns, 0);
	th_free(h, 1);
}

/*
 * Per-worker budget of buffered mbufs: a client that never reads cannot
 * take the whole pool. Over the budget, in-order data for a connection
 * with unread data is dropped unacknowledged, out-of-order data is not
 * queued; a connection with an empty receive queue still gets its data.
 */
static void
test_mem_budget(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 8, .max_buffered = 4};
	struct th *h = th_new(&cfg);
	struct th_peer a = {.port = 40150, .isn = 1000}, b = {.port = 40151, .isn = 5000};
	struct rte_mbuf *m;
	struct th_out o;
	unsigned i;

	(void)state;
	th_pattern(buf, 1000, 0, 3);
	th_handshake(h, &a);
	th_handshake(h, &b);
	assert_int_equal(h->tw->stats.buffered, 0);
	/* a: the user does not read; four segments fill the budget */
	for (i = 0; i < 4; i++)
		th_peer_send(h, &a, F_ACK, buf + 100 * i, 100);
	assert_int_equal(a.c->rcv.bytes, 400);
	assert_int_equal(h->tw->stats.buffered, 4);
	th_drain(h);
	/* over budget: a's next in-order segment is dropped, not acknowledged */
	th_peer_send(h, &a, F_ACK, buf + 400, 100);
	assert_int_equal(a.c->rcv.bytes, 400);
	assert_int_equal(a.c->rcv_nxt, a.nxt - 100);
	assert_int_equal(h->tw->stats.drop[tcp_mem_pressure], 1);
	assert_int_equal(h->tw->stats.buffered, 4);
	th_expect_none(h);
	/* b has nothing queued: its in-order data still goes in */
	th_peer_send(h, &b, F_ACK, buf, 100);
	assert_int_equal(b.c->rcv.bytes, 100);
	assert_int_equal(h->tw->stats.buffered, 5);
	/* out of order on b: not queued, but the duplicate ACK goes */
	th_drain(h);
	b.nxt += 100;
	th_peer_send(h, &b, F_ACK, buf + 200, 100);
	assert_int_equal(b.c->n_ooo, 0);
	assert_int_equal(h->tw->stats.drop[tcp_mem_pressure], 2);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK);
	assert_int_equal(o.ack, b.nxt - 200);
	assert_int_equal(h->tw->stats.buffered, 5);
	/* a reads: room again, its retransmission is taken and acknowledged */
	assert_int_equal(fo_tcp_recv(a.c, &m, UINT32_MAX), 400);
	assert_int_equal(h->tw->stats.buffered, 1);
	rte_pktmbuf_free(m);
	fo_tcp_flush(h->tw);
	th_drain(h);
	a.nxt -= 100;
	th_peer_send(h, &a, F_ACK | F_PSH, buf + 400, 100);
	assert_int_equal(a.c->rcv.bytes, 100);
	assert_int_equal(a.c->rcv_nxt, a.nxt);
	assert_int_equal(h->tw->stats.buffered, 2);
	/* the send queue counts too: 2500 bytes in 1000-byte mbufs = 3 */
	assert_int_equal(th_user_send(h, b.c, 2500, 1), 2500);
	assert_int_equal(h->tw->stats.buffered, 5);
	th_drain(h);
	b.una += 2500;
	th_peer_send(h, &b, F_ACK, NULL, 0);
	assert_int_equal(h->tw->stats.buffered, 2);
	th_drain(h);
	th_free(h, 1);
}

/* default budget: 3/4 of the pool, shared by the workers */
static void
test_mem_budget_default(void **state)
{
	struct rte_mempool *mp = fake_pool_create("budget", 800, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct fo_tcp_config cfg = {.max_conns = 8};
	struct th *h;

	(void)state;
	assert_non_null(mp);
	h = th_new_worker(&cfg, 0, 2, mp);
	assert_int_equal(h->tw->cfg.max_buffered, 800 * 3 / 4 / 2);
	th_free(h, 0);
	assert_int_equal(fake_pool_in_use(mp), 0);
	fake_pool_free(mp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delayed_ack),
		cmocka_unit_test(test_send_segments),
		cmocka_unit_test(test_out_of_order_fill),
		cmocka_unit_test(test_ooo_limit),
		cmocka_unit_test(test_mem_budget),
		cmocka_unit_test(test_mem_budget_default),
		cmocka_unit_test(test_recv_partial),
		cmocka_unit_test(test_echo_wraparound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
