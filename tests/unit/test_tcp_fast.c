/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header prediction (tcp_in_sync.c, tcp_input_fast()): a table of segments
 * goes to two workers brought to the same state the same way, one with
 * the fast path, one with it switched off (tw->no_fast_path). The frames
 * they emit, their connection state, timers, counters and what the user
 * read must be equal, then and after the timers ran; and the fast path
 * must take exactly the segments it is meant for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_harness.h"

/* setup before the segment */
#define S_OOO 0x01    /* an out-of-order segment is queued */
#define S_FILL 0x02   /* the user does not read: the receive window nearly full */
#define S_CLOSE 0x04  /* the user closed: FIN_WAIT_1, our FIN sent */
#define S_RTO 0x08    /* the response was retransmitted after a timeout */
#define S_NOREAD 0x10 /* the user does not read (queue grows) */

#define RESP_LEN 300u

struct fcase {
	const char *name;
	int ts;         /* timestamps on the connection */
	unsigned setup; /* S_* */
	uint8_t flags;
	int32_t dseq;  /* seq - RCV.NXT */
	uint32_t dack; /* ack - SND.UNA (RESP_LEN: all; more: beyond SND.MAX) */
	int32_t dwnd;  /* window - the peer's usual one */
	int32_t dts;   /* TSval - the peer's next one */
	uint32_t len;
	int sack; /* a SACK block with the timestamps */
	int fast; /* the fast path must take it */
};

static const struct fcase cases[] = {
	{"data, all acked", 1, 0, F_PSH | F_ACK, 0, RESP_LEN, 0, 0, 120, 0, 1},
	{"data, part acked", 1, 0, F_PSH | F_ACK, 0, 100, 0, 0, 120, 0, 1},
	{"data, nothing new acked", 1, 0, F_ACK, 0, 0, 0, 0, 120, 0, 1},
	{"pure ACK, all acked", 1, 0, F_ACK, 0, RESP_LEN, 0, 0, 0, 0, 1},
	{"pure ACK, part acked", 1, 0, F_ACK, 0, 1, 0, 0, 0, 0, 1},
	{"full-sized data", 1, 0, F_ACK, 0, RESP_LEN, 0, 0, 1448, 0, 1},
	{"no timestamps", 0, 0, F_PSH | F_ACK, 0, RESP_LEN, 0, 0, 120, 0, 1},
	{"no timestamps, pure ACK", 0, 0, F_ACK, 0, 10, 0, 0, 0, 0, 1},
	{"same TSval", 1, 0, F_PSH | F_ACK, 0, RESP_LEN, 0, -1, 120, 0, 1},
	{"after a retransmission", 1, S_RTO, F_PSH | F_ACK, 0, RESP_LEN, 0, 0, 120, 0, 1},
	{"unread data queued", 1, S_NOREAD, F_PSH | F_ACK, 0, RESP_LEN, 0, 0, 120, 0, 1},
	{"duplicate ACK", 1, 0, F_ACK, 0, 0, 0, 0, 0, 0, 0},
	{"window update", 1, 0, F_PSH | F_ACK, 0, RESP_LEN, -100, 0, 120, 0, 0},
	{"window update, pure ACK", 1, 0, F_ACK, 0, 0, 1, 0, 0, 0, 0},
	{"ahead of RCV.NXT", 1, 0, F_PSH | F_ACK, 200, RESP_LEN, 0, 0, 120, 0, 0},
	{"before RCV.NXT", 1, 0, F_PSH | F_ACK, -50, RESP_LEN, 0, 0, 120, 0, 0},
	{"FIN", 1, 0, F_FIN | F_ACK, 0, RESP_LEN, 0, 0, 120, 0, 0},
	{"FIN alone", 1, 0, F_FIN | F_ACK, 0, RESP_LEN, 0, 0, 0, 0, 0},
	{"RST", 1, 0, F_RST | F_ACK, 0, RESP_LEN, 0, 0, 0, 0, 0},
	{"SYN", 1, 0, F_SYN | F_ACK, 0, RESP_LEN, 0, 0, 0, 0, 0},
	{"URG", 1, 0, F_ACK | 0x20, 0, RESP_LEN, 0, 0, 120, 0, 0},
	{"PAWS", 1, 0, F_PSH | F_ACK, 0, RESP_LEN, 0, -5, 120, 0, 0},
	{"ACK beyond SND.MAX", 1, 0, F_PSH | F_ACK, 0, RESP_LEN + 1, 0, 0, 120, 0, 0},
	{"old ACK", 1, 0, F_PSH | F_ACK, 0, (uint32_t)-10, 0, 0, 120, 0, 0},
	{"SACK block", 1, 0, F_PSH | F_ACK, 0, 100, 0, 0, 120, 1, 0},
	{"out of order queued", 1, S_OOO, F_PSH | F_ACK, 0, RESP_LEN, 0, 0, 120, 0, 0},
	{"beyond the window", 1, S_FILL, F_PSH | F_ACK, 0, RESP_LEN, 0, 0, 1400, 0, 0},
	{"FIN_WAIT_1", 1, S_CLOSE, F_PSH | F_ACK, 0, RESP_LEN, 0, 0, 120, 0, 0},
	{"no ACK flag", 1, 0, F_PSH, 0, 0, 0, 0, 120, 0, 0},
};

struct side {
	struct th *h;
	struct th_peer p;
};

static void
side_setup(struct side *s, const struct fcase *cs, int no_fast)
{
	struct fo_tcp_config cfg;
	uint8_t req[1000];

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_conns = 64;
	cfg.max_half_open = 16;
	cfg.rcvbuf = 8192;
	s->h = th_new(&cfg);
	s->h->tw->no_fast_path = (uint8_t)no_fast;
	s->h->auto_read = !(cs->setup & (S_FILL | S_NOREAD));
	memset(&s->p, 0, sizeof(s->p));
	s->p.port = 40001;
	s->p.isn = 1000000;
	s->p.ts = 500;
	s->p.use_opts = cs->ts;
	th_handshake(s->h, &s->p);
	memset(req, 'q', sizeof(req));
	th_peer_send(s->h, &s->p, F_PSH | F_ACK, req, 100);
	if (cs->setup & S_FILL) {
		for (int i = 0; i < 7; i++)
			th_peer_send(s->h, &s->p, F_ACK, req, 1000);
		th_advance(s->h, 300); /* the delayed ACK with the small window */
	}
	assert_true(th_user_send(s->h, s->h->conn, RESP_LEN, 7) > 0);
	if (cs->setup & S_RTO)
		th_advance(s->h, 1500);
	if (cs->setup & S_OOO) {
		struct th_in o = {.sport = s->p.port,
			.seq = s->p.nxt + 300,
			.ack = s->p.una,
			.flags = F_ACK,
			.wnd = TH_PWND(&s->p),
			.data = req,
			.len = 50};
		uint8_t opts[12];

		if (cs->ts) {
			s->p.ts++;
			o.optlen = th_ts_opts(opts, s->p.ts, 0);
			o.opts = opts;
		}
		th_inject(s->h, &o);
	}
	if (cs->setup & S_CLOSE)
		fo_tcp_close(s->h->conn);
}

static void
side_send(struct side *s, const struct fcase *cs)
{
	uint8_t opts[24], data[1448];
	struct fo_tcp_conn *c = s->h->conn;
	struct th_in in = {.sport = s->p.port,
		.seq = s->p.nxt + (uint32_t)cs->dseq,
		.ack = c->snd_una + cs->dack,
		.flags = cs->flags,
		.wnd = (uint16_t)(TH_PWND(&s->p) + cs->dwnd),
		.data = data,
		.len = cs->len};

	for (uint32_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	if (cs->ts) {
		uint8_t n = th_ts_opts(opts, s->p.ts + 1 + (uint32_t)cs->dts, 77);

		if (cs->sack) {
			opts[n] = 1;
			opts[n + 1] = 1;
			opts[n + 2] = 5;
			opts[n + 3] = 10;
			th_put32(opts + n + 4, c->snd_una + 150);
			th_put32(opts + n + 8, c->snd_una + 200);
			n = (uint8_t)(n + 12);
		}
		in.opts = opts;
		in.optlen = n;
	}
	th_inject(s->h, &in);
}

/** Every frame either side emitted, equal field by field, payload too. */
static void
compare_out(struct side *a, struct side *b)
{
	static struct th_out oa, ob;

	for (;;) {
		int ra = th_pop(a->h, &oa), rb = th_pop(b->h, &ob);

		assert_int_equal(ra, rb);
		if (ra == 0)
			return;
		assert_int_equal(oa.seq, ob.seq);
		assert_int_equal(oa.ack, ob.ack);
		assert_int_equal(oa.flags, ob.flags);
		assert_int_equal(oa.wnd, ob.wnd);
		assert_int_equal(oa.sport, ob.sport);
		assert_int_equal(oa.dport, ob.dport);
		assert_int_equal(oa.has_ts, ob.has_ts);
		assert_int_equal(oa.tsval, ob.tsval);
		assert_int_equal(oa.tsecr, ob.tsecr);
		assert_int_equal(oa.n_sack, ob.n_sack);
		assert_memory_equal(oa.sack, ob.sack, sizeof(oa.sack));
		assert_int_equal(oa.len, ob.len);
		assert_memory_equal(oa.data, ob.data, oa.len);
	}
}

static void
compare_timer(const struct fo_timer *x, const struct fo_timer *y)
{
	assert_int_equal(x->armed, y->armed);
	if (x->armed)
		assert_int_equal(x->expire, y->expire);
}

static void
compare_state(struct side *a, struct side *b)
{
	const struct fo_tcp_conn *x = a->h->conn, *y = b->h->conn;

#define F(f) assert_int_equal(x->f, y->f)
	assert_memory_equal(&a->h->tw->stats, &b->h->tw->stats, sizeof(a->h->tw->stats));
	assert_int_equal(a->h->n_readable, b->h->n_readable);
	assert_int_equal(a->h->n_writable, b->h->n_writable);
	assert_int_equal(a->h->n_closed, b->h->n_closed);
	assert_int_equal(a->h->close_why, b->h->close_why);
	assert_int_equal(a->h->eof, b->h->eof);
	assert_int_equal(a->h->rx_len, b->h->rx_len);
	assert_memory_equal(a->h->rx, b->h->rx, a->h->rx_len);
	assert_int_equal(x == NULL, y == NULL);
	if (x == NULL)
		return;
	F(state);
	F(user_gone);
	F(fin_queued);
	F(fin_rcvd);
	F(ack_now);
	F(want_write);
	F(in_recovery);
	F(rtt_active);
	F(reset);
	F(pending);
	F(dupacks);
	F(rtx_count);
	F(probes);
	F(rtx_mode);
	F(keep_mode);
	F(delack_segs);
	F(snd_una);
	F(snd_nxt);
	F(snd_max);
	F(snd_wnd);
	F(snd_wl1);
	F(snd_wl2);
	F(max_snd_wnd);
	F(rcv_nxt);
	F(rcv_adv);
	F(last_ack_sent);
	F(ts_recent);
	F(cwnd);
	F(ssthresh);
	F(recover);
	F(cwnd_cnt);
	F(rexmit_nxt);
	F(n_sacked);
	F(srtt_us);
	F(rttvar_us);
	F(rto_ms);
	F(rtt_seq);
	F(rtt_tsc);
	F(last_rx_tsc);
	F(snd.bytes);
	F(snd.head_off);
	F(rcv.bytes);
	F(rcv.nb);
	F(n_ooo);
	F(ooo_bytes);
	compare_timer(&x->t_rtx, &y->t_rtx);
	compare_timer(&x->t_delack, &y->t_delack);
	compare_timer(&x->t_keep, &y->t_keep);
#undef F
}

static void
test_fast_vs_general(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fcase *cs = &cases[i];
		struct side a, b;
		uint64_t fa, fb;

		print_message("case: %s\n", cs->name);
		side_setup(&a, cs, 0);
		side_setup(&b, cs, 1);
		compare_out(&a, &b);
		compare_state(&a, &b);
		fa = a.h->tw->fast_path_segs;
		fb = b.h->tw->fast_path_segs;
		assert_int_equal(fb, 0);
		side_send(&a, cs);
		side_send(&b, cs);
		assert_int_equal(a.h->tw->fast_path_segs - fa, (uint64_t)cs->fast);
		assert_int_equal(b.h->tw->fast_path_segs, 0);
		compare_out(&a, &b);
		compare_state(&a, &b);
		/* the timers (delayed ACK, retransmission) fire the same */
		th_advance(a.h, 300);
		th_advance(b.h, 300);
		compare_out(&a, &b);
		compare_state(&a, &b);
		th_advance(a.h, 3000);
		th_advance(b.h, 3000);
		compare_out(&a, &b);
		compare_state(&a, &b);
		th_free(a.h, 1);
		th_free(b.h, 1);
	}
}

/* The fast path in a whole exchange: every in-order segment of a bulk transfer. */
static void
test_fast_bulk(void **state)
{
	struct side a, b;
	static const struct fcase plain = {"bulk", 1, 0, F_ACK, 0, 0, 0, 0, 0, 0, 0};
	uint8_t d[1448];

	(void)state;
	side_setup(&a, &plain, 0);
	side_setup(&b, &plain, 1);
	for (uint32_t i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)i;
	/* full-sized segments with nothing to answer: every second one ACKed at once */
	for (int i = 0; i < 5; i++) {
		th_peer_send(a.h, &a.p, F_ACK, d, a.h->conn->mss);
		th_peer_send(b.h, &b.p, F_ACK, d, b.h->conn->mss);
		compare_out(&a, &b);
		compare_state(&a, &b);
	}
	for (int i = 0; i < 20; i++) {
		struct side *s[2] = {&a, &b};

		for (int k = 0; k < 2; k++) {
			s[k]->p.una = s[k]->h->conn->snd_nxt;
			th_peer_send(s[k]->h, &s[k]->p, i % 3 ? F_ACK : F_PSH | F_ACK, d,
				(uint32_t)(1 + i * 70));
			assert_true(th_user_send(s[k]->h, s[k]->h->conn, 100 + (uint32_t)i * 33,
					    (uint8_t)i) > 0);
		}
		compare_out(&a, &b);
		compare_state(&a, &b);
	}
	assert_true(a.h->tw->fast_path_segs >= 24);
	th_free(a.h, 1);
	th_free(b.h, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fast_vs_general),
		cmocka_unit_test(test_fast_bulk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
