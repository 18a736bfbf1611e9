/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp: three-way handshakes (passive, active, simultaneous), options
 * negotiation, SYN cookies through the stack, limits, segment validation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_harness.h"

static void
test_passive_with_options(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40001, .isn = 1000, .use_opts = 1, .ts = 5000};
	struct th_in s = {.sport = 40001, .seq = 1000, .flags = F_SYN, .wnd = 65535};
	struct th_out o;
	uint8_t opts[40];

	(void)state;
	s.optlen = th_syn_opts(opts, 5000, 7);
	s.opts = opts;
	th_inject(h, &s);
	th_expect(h, &o);
	th_expect_none(h);
	assert_int_equal(o.flags, F_SYN | F_ACK);
	assert_int_equal(o.ack, 1001);
	assert_true(o.has_mss);
	assert_int_equal(o.mss, 1460);
	assert_true(o.has_ws);
	assert_int_equal(o.ws, 3); /* 256 KiB receive buffer */
	assert_true(o.sack_ok);
	assert_true(o.has_ts);
	assert_int_equal(o.tsecr, 5000);
	assert_int_equal(h->tw->stats.half_open, 1);
	/* final ACK */
	memset(&s, 0, sizeof(s));
	s.sport = 40001;
	s.seq = 1001;
	s.ack = o.seq + 1;
	s.flags = F_ACK;
	s.wnd = 1000;
	s.optlen = th_ts_opts(opts, 5001, o.tsval);
	s.opts = opts;
	th_inject(h, &s);
	th_expect_none(h);
	assert_int_equal(h->n_accept, 1);
	assert_non_null(h->conn);
	assert_string_equal(tcp_state_name(h->conn->state), "ESTABLISHED");
	assert_int_equal(h->conn->snd_wnd, 1000u << 7);
	assert_int_equal(h->conn->mss, 1448);
	assert_true(h->conn->sack_ok);
	assert_true(h->conn->ts_ok);
	assert_int_equal(h->tw->stats.half_open, 0);
	assert_int_equal(h->tw->stats.passive_opens, 1);
	assert_int_equal(h->tw->stats.established, 1);
	(void)p;
	th_free(h, 1);
}

static void
test_passive_no_options(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40002, .isn = 0xfffffff0u};
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	assert_int_equal(p.c->mss, 536);
	assert_false(p.c->ts_ok);
	assert_false(p.c->ws_ok);
	assert_false(p.c->sack_ok);
	assert_int_equal(p.c->snd_wnd, 65535);
	/* data then a check that the ACK carries no options */
	th_peer_send(h, &p, F_ACK | F_PSH, "hello", 5);
	th_advance(h, 50); /* delayed ACK */
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK);
	assert_int_equal(o.ack, p.isn + 1 + 5);
	assert_false(o.has_ts);
	th_free(h, 1);
}

static void
test_syn_ack_retransmit(void **state)
{
	struct th *h = th_new(NULL);
	struct th_in s = {.sport = 40003, .seq = 7, .flags = F_SYN, .wnd = 100};
	struct th_out o, o2;

	(void)state;
	th_inject(h, &s);
	th_expect(h, &o);
	/* the same SYN again: same SYN-ACK */
	th_inject(h, &s);
	th_expect(h, &o2);
	assert_int_equal(o2.flags, F_SYN | F_ACK);
	assert_int_equal(o2.seq, o.seq);
	/* lost final ACK: the SYN-ACK is retransmitted after the initial RTO, then 2 s */
	th_advance(h, 999);
	th_expect_none(h);
	th_advance(h, 2);
	th_expect(h, &o2);
	assert_int_equal(o2.seq, o.seq);
	assert_int_equal(o2.flags, F_SYN | F_ACK);
	th_advance(h, 1990);
	th_expect_none(h);
	th_advance(h, 20);
	th_expect(h, &o2);
	assert_int_equal(o2.flags, F_SYN | F_ACK);
	th_free(h, 1);
}

static void
test_active_open(void **state)
{
	struct th *h = th_new(NULL);
	struct fo_tcp_conn *c;
	struct th_out o;
	uint8_t opts[40];
	struct th_in s = {.dport = 0, .sport = 8000, .flags = F_SYN | F_ACK, .seq = 0x80000000u,
		.wnd = 29200};

	(void)state;
	c = fo_tcp_connect(h->tw, TH_US, TH_PEER, 8000, &th_ops, h);
	assert_non_null(c);
	assert_string_equal(tcp_state_name(c->state), "SYN_SENT");
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN);
	assert_int_equal(o.dport, 8000);
	assert_true(o.sport >= 10000);
	assert_true(o.has_mss && o.has_ws && o.sack_ok && o.has_ts);
	assert_int_equal(o.mss, 1460);
	s.dport = o.sport;
	s.ack = o.seq + 1;
	s.optlen = th_syn_opts(opts, 99, 2);
	memcpy(opts + 12, (uint8_t[]){0, 0, 0, 0}, 4);
	th_put32(opts + 12, o.tsval); /* tsecr */
	s.opts = opts;
	th_inject(h, &s);
	assert_int_equal(h->n_connected, 1);
	assert_string_equal(tcp_state_name(c->state), "ESTABLISHED");
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK);
	assert_int_equal(o.ack, 0x80000001u);
	assert_true(o.has_ts);
	assert_int_equal(o.tsecr, 99);
	assert_int_equal(c->snd_wscale, 2);
	assert_int_equal(c->snd_wnd, 29200); /* a SYN's window is never scaled */
	assert_int_equal(h->tw->stats.active_opens, 1);
	/* the RTT of the handshake was sampled */
	assert_true(c->srtt_us > 0);
	th_free(h, 1);
}

/*
 * Regression: the receive window of an active open must close as unread
 * data piles up, whatever the peer's ISN. rcv_adv was set when the SYN
 * went out (rcv_nxt still 0) and never moved to the peer's sequence space,
 * so with an ISN in the upper half of it the window never shrank and a
 * backend could push a whole response into fanout's memory.
 */
static void
test_active_window_closes(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 64, .max_half_open = 16, .rcvbuf = 16384};
	struct th *h = th_new(&cfg);
	struct fo_tcp_conn *c;
	struct th_out o;
	uint8_t data[1000];
	struct th_in s = {.sport = 8000, .flags = F_SYN | F_ACK, .seq = 0x80000000u,
		.wnd = 29200};
	uint32_t i, last_wnd = 65535;

	(void)state;
	memset(data, 'x', sizeof(data));
	c = fo_tcp_connect(h->tw, TH_US, TH_PEER, 8000, &th_ops, h);
	assert_non_null(c);
	th_expect(h, &o);
	s.dport = o.sport;
	s.ack = o.seq + 1;
	th_inject(h, &s); /* no options: windows unscaled */
	assert_string_equal(tcp_state_name(c->state), "ESTABLISHED");
	th_drain(h);
	for (i = 0; i < 8; i++) {
		struct th_in d = {.sport = 8000, .dport = s.dport, .flags = F_ACK | F_PSH,
			.seq = 0x80000001u + i * 1000, .ack = s.ack, .wnd = 29200, .data = data,
			.len = 1000};

		th_inject(h, &d);
		th_advance(h, 50); /* delayed ACKs out */
		while (th_pop(h, &o))
			last_wnd = o.wnd;
	}
	/* nothing read: 8000 of the 16384 bytes are taken */
	assert_true(last_wnd <= 16384 - 8000);
	th_free(h, 1);
}

static void
test_active_refused(void **state)
{
	struct th *h = th_new(NULL);
	struct fo_tcp_conn *c;
	struct th_out o;
	struct th_in s = {.sport = 8001, .flags = F_RST | F_ACK};

	(void)state;
	c = fo_tcp_connect(h->tw, TH_US, TH_PEER, 8001, &th_ops, h);
	assert_non_null(c);
	th_expect(h, &o);
	s.dport = o.sport;
	/* RST with a wrong ACK: ignored (no RST for a RST) */
	s.ack = o.seq + 5;
	th_inject(h, &s);
	assert_int_equal(h->n_closed, 0);
	th_expect_none(h);
	s.ack = o.seq + 1;
	th_inject(h, &s);
	assert_int_equal(h->n_closed, 1);
	assert_int_equal(h->close_why, FO_TCP_CLOSE_REFUSED);
	assert_int_equal(h->tw->stats.conns, 0);
	th_free(h, 1);
}

static void
test_active_syn_timeout(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 8, .syn_retries = 2};
	struct th *h = th_new(&cfg);
	struct th_out o;
	uint32_t iss;

	(void)state;
	assert_non_null(fo_tcp_connect(h->tw, TH_US, TH_PEER, 8002, &th_ops, h));
	th_expect(h, &o);
	iss = o.seq;
	th_advance(h, 1001);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN);
	assert_int_equal(o.seq, iss);
	th_advance(h, 1000);
	th_expect_none(h); /* backed off to 2 s */
	th_advance(h, 1001);
	th_expect(h, &o);
	th_advance(h, 4001);
	th_expect_none(h);
	assert_int_equal(h->n_closed, 1);
	assert_int_equal(h->close_why, FO_TCP_CLOSE_TIMEOUT);
	assert_int_equal(h->tw->stats.timeouts, 1);
	th_free(h, 1);
}

/* the peer still holds a connection on our tuple (a previous run of ours
 * left it): it answers the SYN with an ACK; our RST clears it and the SYN
 * goes again at once, not after the RTO (once per connection) */
static void
test_active_open_stale_peer(void **state)
{
	struct th *h = th_new(NULL);
	struct fo_tcp_conn *c;
	struct th_out o, r;
	uint32_t iss;

	(void)state;
	c = fo_tcp_connect(h->tw, TH_US, TH_PEER, 8004, &th_ops, h);
	assert_non_null(c);
	th_expect(h, &o);
	iss = o.seq;
	struct th_in stale = {.sport = 8004, .dport = o.sport, .seq = 123456, .ack = iss + 777,
		.flags = F_ACK, .wnd = 1000};
	th_inject(h, &stale);
	th_expect(h, &r);
	assert_int_equal(r.flags, F_RST);
	assert_int_equal(r.seq, iss + 777);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN);
	assert_int_equal(o.seq, iss);
	assert_int_equal(h->tw->stats.syn_after_stale, 1);
	/* a second one: RST only */
	th_inject(h, &stale);
	th_expect(h, &r);
	assert_int_equal(r.flags, F_RST);
	th_expect_none(h);
	assert_int_equal(h->tw->stats.syn_after_stale, 1);
	/* and the handshake completes */
	struct th_in sa = {.sport = 8004, .dport = o.sport, .seq = 5000, .ack = iss + 1,
		.flags = F_SYN | F_ACK, .wnd = 65535};
	th_inject(h, &sa);
	assert_string_equal(tcp_state_name(c->state), "ESTABLISHED");
	th_free(h, 1);
}

static void
test_simultaneous_open(void **state)
{
	struct th *h = th_new(NULL);
	struct fo_tcp_conn *c;
	struct th_out o, sa;
	struct th_in s = {.sport = 8003, .flags = F_SYN, .seq = 500, .wnd = 1000};

	(void)state;
	c = fo_tcp_connect(h->tw, TH_US, TH_PEER, 8003, &th_ops, h);
	th_expect(h, &o);
	s.dport = o.sport;
	th_inject(h, &s);
	assert_string_equal(tcp_state_name(c->state), "SYN_RECEIVED");
	th_expect(h, &sa);
	assert_int_equal(sa.flags, F_SYN | F_ACK);
	assert_int_equal(sa.seq, o.seq);
	assert_int_equal(sa.ack, 501);
	/* the peer's SYN-ACK crosses ours */
	s.flags = F_SYN | F_ACK;
	s.ack = o.seq + 1;
	th_inject(h, &s);
	assert_string_equal(tcp_state_name(c->state), "ESTABLISHED");
	assert_int_equal(h->n_connected, 1);
	th_free(h, 1);
}

static void
test_closed_port_rst(void **state)
{
	struct th *h = th_new(NULL);
	struct th_out o;
	struct th_in s = {.sport = 40010, .dport = 81, .seq = 77, .flags = F_SYN};

	(void)state;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_RST | F_ACK);
	assert_int_equal(o.seq, 0);
	assert_int_equal(o.ack, 78);
	assert_int_equal(o.sport, 81);
	s.flags = F_ACK;
	s.ack = 12345;
	s.data = (const uint8_t *)"abc";
	s.len = 3;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_RST);
	assert_int_equal(o.seq, 12345);
	s.flags = F_RST;
	th_inject(h, &s);
	th_expect_none(h);
	assert_int_equal(h->tw->stats.drop[tcp_no_listener], 2);
	assert_int_equal(h->tw->stats.drop[tcp_rst_ignored], 1);
	th_free(h, 1);
}

static void
test_cookie_round_trip(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 8, .syncookies = FO_TCP_SYNCOOKIES_ALWAYS};
	struct th *h = th_new(&cfg);
	struct th_in s = {.sport = 40020, .seq = 0xfffffffeu, .flags = F_SYN, .wnd = 64240};
	struct th_out o;
	uint8_t opts[40];

	(void)state;
	h->auto_read = 1;
	s.optlen = th_syn_opts(opts, 1234, 7);
	s.opts = opts;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN | F_ACK);
	assert_int_equal(o.ack, 0xffffffffu);
	assert_true(o.has_ts && o.has_ws && o.sack_ok);
	assert_int_equal(o.mss, 1460);
	assert_int_equal(h->tw->stats.conns, 0); /* no state kept */
	assert_int_equal(h->tw->stats.syncookies_sent, 1);
	/* final ACK carrying data, sequence wrapping through 0 */
	memset(&s, 0, sizeof(s));
	s.sport = 40020;
	s.seq = 0xffffffffu;
	s.ack = o.seq + 1;
	s.flags = F_ACK | F_PSH;
	s.wnd = 502;
	s.optlen = th_ts_opts(opts, 1235, o.tsval);
	s.opts = opts;
	s.data = (const uint8_t *)"GET /";
	s.len = 5;
	th_inject(h, &s);
	assert_int_equal(h->tw->stats.syncookies_ok, 1);
	assert_int_equal(h->n_accept, 1);
	assert_non_null(h->conn);
	assert_true(h->conn->cookie);
	assert_int_equal(h->conn->snd_wscale, 7);
	assert_int_equal(h->conn->snd_wnd, 502u << 7);
	assert_true(h->conn->sack_ok);
	assert_int_equal(h->conn->mss, 1448);
	assert_int_equal(h->rx_len, 5);
	assert_memory_equal(h->rx, "GET /", 5);
	assert_int_equal(h->conn->rcv_nxt, 4);
	th_free(h, 1);
}

static void
test_cookie_when_half_open_full(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 8, .max_half_open = 2};
	struct th *h = th_new(&cfg);
	struct th_in s = {.seq = 1, .flags = F_SYN, .wnd = 1000};
	struct th_out o;
	unsigned i;

	(void)state;
	for (i = 0; i < 3; i++) {
		s.sport = (uint16_t)(41000 + i);
		th_inject(h, &s);
		th_expect(h, &o);
		assert_int_equal(o.flags, F_SYN | F_ACK);
	}
	assert_int_equal(h->tw->stats.half_open, 2);
	assert_int_equal(h->tw->stats.conns, 2);
	assert_int_equal(h->tw->stats.syncookies_sent, 1);
	/* the third completes from its cookie (no timestamps: no scaling) */
	memset(&s, 0, sizeof(s));
	s.sport = 41002;
	s.seq = 2;
	s.ack = o.seq + 1;
	s.flags = F_ACK;
	s.wnd = 1000;
	th_inject(h, &s);
	assert_int_equal(h->tw->stats.syncookies_ok, 1);
	assert_int_equal(h->n_accept, 1);
	assert_false(h->conn->ws_ok);
	assert_int_equal(h->conn->mss, 536);
	/* a forged ACK: RST and counted */
	s.sport = 41003;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_RST);
	assert_int_equal(o.seq, s.ack);
	assert_int_equal(h->tw->stats.drop[tcp_bad_cookie], 1);
	th_free(h, 1);
}

static void
test_syn_overflow_cookies_off(void **state)
{
	struct fo_tcp_config cfg = {
		.max_conns = 8, .max_half_open = 1, .syncookies = FO_TCP_SYNCOOKIES_OFF};
	struct th *h = th_new(&cfg);
	struct th_in s = {.sport = 42000, .seq = 1, .flags = F_SYN, .wnd = 1000};
	struct th_out o;

	(void)state;
	th_inject(h, &s);
	th_expect(h, &o);
	s.sport = 42001;
	th_inject(h, &s);
	th_expect_none(h);
	assert_int_equal(h->tw->stats.drop[tcp_syn_overflow], 1);
	th_free(h, 1);
}

static void
test_conn_limit(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 2};
	struct th *h = th_new(&cfg);
	struct th_peer p1 = {.port = 43000, .isn = 10}, p2 = {.port = 43001, .isn = 20};
	struct th_in s = {.sport = 43002, .seq = 30, .flags = F_SYN, .wnd = 1000};
	struct th_out o;

	(void)state;
	th_handshake(h, &p1);
	th_handshake(h, &p2);
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_RST | F_ACK);
	assert_int_equal(o.ack, 31);
	assert_int_equal(h->tw->stats.drop[tcp_conn_limit], 1);
	/* active opens fail the same way */
	errno = 0;
	assert_null(fo_tcp_connect(h->tw, TH_US, TH_PEER, 9000, &th_ops, h));
	assert_int_equal(errno, ENOMEM);
	th_free(h, 1);
}

static void
test_validation_drops(void **state)
{
	static const uint8_t o_mss[] = {2, 3, 0, 0}, o_past[] = {1, 1, 8, 10},
			     o_zero[] = {30, 0, 0, 0};
	const struct {
		const char *name;
		struct th_in s;
		int reason;
	} cases[] = {
		{"bad checksum", {.seq = 1, .flags = F_SYN, .bad_cksum = 1}, tcp_bad_cksum},
		{"syn+fin", {.seq = 1, .flags = F_SYN | F_FIN}, tcp_bad_flags},
		{"syn+rst", {.seq = 1, .flags = F_SYN | F_RST}, tcp_bad_flags},
		{"no flags", {.seq = 1, .flags = 0}, tcp_bad_flags},
		{"fin only", {.seq = 1, .flags = F_FIN}, tcp_bad_flags},
		{"bad mss len", {.seq = 1, .flags = F_SYN, .opts = o_mss,
					.optlen = 4},
			tcp_bad_option},
		{"option past end", {.seq = 1, .flags = F_SYN,
					    .opts = o_past, .optlen = 4},
			tcp_bad_option},
		{"zero length option", {.seq = 1, .flags = F_SYN,
					       .opts = o_zero, .optlen = 4},
			tcp_bad_option},
	};
	struct th *h = th_new(NULL);
	unsigned i;

	(void)state;
	for (i = 0; i < FO_ARRAY_SIZE(cases); i++) {
		struct fo_tcp_stats before = h->tw->stats;

		th_inject(h, &cases[i].s);
		if (h->tw->stats.drop[cases[i].reason] != before.drop[cases[i].reason] + 1)
			fail_msg("case %s: reason %s not counted", cases[i].name,
				fo_tcp_drop_names[cases[i].reason]);
		th_expect_none(h);
	}
	/* truncated header, data offset beyond the segment */
	{
		struct rte_mbuf *m = th_mbuf(h, &(struct th_in){.seq = 1, .flags = F_SYN});

		rte_pktmbuf_mtod_offset(m, uint8_t *, 34 + 12)[0] = 0xf0;
		fo_tcp_input(h->tw, &m, 1);
		assert_int_equal(h->tw->stats.drop[tcp_bad_off], 1);
		m = th_mbuf(h, &(struct th_in){.seq = 1, .flags = F_SYN});
		rte_pktmbuf_trim(m, 10);
		fo_tcp_input(h->tw, &m, 1);
		assert_int_equal(h->tw->stats.drop[tcp_truncated], 1);
		/* a checksum the NIC says is bad */
		m = th_mbuf(h, &(struct th_in){.seq = 1, .flags = F_SYN});
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
		fo_tcp_input(h->tw, &m, 1);
		assert_int_equal(h->tw->stats.drop[tcp_bad_cksum], 2);
		/* ... and one it says is good (software check skipped) */
		m = th_mbuf(h, &(struct th_in){.sport = 44000, .seq = 1, .flags = F_SYN,
				       .bad_cksum = 1});
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		fo_tcp_input(h->tw, &m, 1);
		assert_int_equal(h->tw->stats.half_open, 1);
		th_drain(h);
	}
	th_free(h, 1);
}

static void
test_accept_refused_and_abort_in_accept(void **state)
{
	struct th *h = th_new(NULL);
	struct th_in s = {.sport = 45000, .seq = 1, .flags = F_SYN, .wnd = 1000};
	struct th_out o;

	(void)state;
	h->refuse = 1;
	th_inject(h, &s);
	th_expect(h, &o);
	s.seq = 2;
	s.ack = o.seq + 1;
	s.flags = F_ACK;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags & F_RST, F_RST);
	assert_int_equal(h->tw->stats.conns, 0);
	h->refuse = 0;
	h->close_in_accept = 1;
	s.sport = 45001;
	s.seq = 1;
	s.flags = F_SYN;
	s.ack = 0;
	th_inject(h, &s);
	th_expect(h, &o);
	s.seq = 2;
	s.ack = o.seq + 1;
	s.flags = F_ACK;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags & F_RST, F_RST);
	assert_int_equal(h->tw->stats.conns, 0);
	th_free(h, 1);
}

/*
 * A stray ACK to a listener (e.g. a late segment of a freed connection) is
 * a bad cookie only while cookies went out recently; otherwise it counts as
 * tcp_no_conn. Both are answered with RST (RFC 9293, ACK in LISTEN).
 */
static void
test_stray_ack_no_conn(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 8, .max_half_open = 1};
	struct th *h = th_new(&cfg);
	struct th_in ack = {.sport = 40030, .seq = 5, .ack = 777, .flags = F_ACK, .wnd = 100};
	struct th_in syn = {.seq = 1, .flags = F_SYN, .wnd = 1000};
	static const struct rte_ether_addr peer_mac = {{0x02, 0, 0, 0, 0, 0x02}};
	struct th_out o;

	(void)state;
	/* no cookie ever sent */
	th_inject(h, &ack);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_RST);
	assert_int_equal(o.seq, 777);
	assert_int_equal(h->tw->stats.drop[tcp_no_conn], 1);
	assert_int_equal(h->tw->stats.drop[tcp_bad_cookie], 0);
	/* the half-open table fills up: the second SYN gets a cookie */
	syn.sport = 40031;
	th_inject(h, &syn);
	syn.sport = 40032;
	th_inject(h, &syn);
	assert_int_equal(h->tw->stats.syncookies_sent, 1);
	th_drain(h);
	/* now a bogus ACK may be a forged or expired cookie */
	th_inject(h, &ack);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_RST);
	assert_int_equal(h->tw->stats.drop[tcp_bad_cookie], 1);
	assert_int_equal(h->tw->stats.drop[tcp_no_conn], 1);
	/* still within the validity window (3 x 64 s) */
	h->net->now += TH_MS(190 * 1000);
	assert_non_null(neigh_update(h->net, 0, TH_PEER, &peer_mac, 1, 0)); /* not aged out */
	th_inject(h, &ack);
	th_expect(h, &o);
	assert_int_equal(h->tw->stats.drop[tcp_bad_cookie], 2);
	/* past it: no cookie can be valid any more */
	h->net->now += TH_MS(3 * 1000);
	assert_non_null(neigh_update(h->net, 0, TH_PEER, &peer_mac, 1, 0));
	th_inject(h, &ack);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_RST);
	assert_int_equal(h->tw->stats.drop[tcp_bad_cookie], 2);
	assert_int_equal(h->tw->stats.drop[tcp_no_conn], 2);
	th_drain(h);
	th_free(h, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passive_with_options),
		cmocka_unit_test(test_passive_no_options),
		cmocka_unit_test(test_syn_ack_retransmit),
		cmocka_unit_test(test_active_open),
		cmocka_unit_test(test_active_window_closes),
		cmocka_unit_test(test_active_refused),
		cmocka_unit_test(test_active_syn_timeout),
		cmocka_unit_test(test_active_open_stale_peer),
		cmocka_unit_test(test_simultaneous_open),
		cmocka_unit_test(test_closed_port_rst),
		cmocka_unit_test(test_cookie_round_trip),
		cmocka_unit_test(test_cookie_when_half_open_full),
		cmocka_unit_test(test_syn_overflow_cookies_off),
		cmocka_unit_test(test_conn_limit),
		cmocka_unit_test(test_stray_ack_no_conn),
		cmocka_unit_test(test_validation_drops),
		cmocka_unit_test(test_accept_refused_and_abort_in_accept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
