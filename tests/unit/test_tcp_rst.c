/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tcp: RST handling and RFC 5961 protections, table-driven: each case
 * is one segment into an ESTABLISHED connection and the expected reply,
 * drop reason and state. Plus PAWS, abort, RST in SYN_RECEIVED.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcp_harness.h"

enum reply { R_NONE, R_ACK, R_CHALLENGE };

static void
test_rst_table(void **state)
{
	static const struct {
		const char *name;
		int32_t dseq; /* seq relative to RCV.NXT */
		int32_t dack; /* ack relative to SND.NXT */
		uint8_t flags;
		enum reply reply;
		int reason; /* -1: none */
		const char *state_after;
		int closed;
	} cases[] = {
		{"exact RST", 0, 0, F_RST, R_NONE, -1, NULL, 1},
		{"exact RST+ACK", 0, 0, F_RST | F_ACK, R_NONE, -1, NULL, 1},
		{"in-window RST", 100, 0, F_RST, R_CHALLENGE, tcp_rst_challenge, "ESTABLISHED", 0},
		{"RST below window", -1, 0, F_RST, R_NONE, tcp_rst_ignored, "ESTABLISHED", 0},
		{"RST beyond window", 1 << 30, 0, F_RST, R_NONE, tcp_rst_ignored, "ESTABLISHED", 0},
		{"SYN in window", 0, 0, F_SYN, R_CHALLENGE, tcp_rst_challenge, "ESTABLISHED", 0},
		{"SYN out of window", 1 << 30, 0, F_SYN, R_CHALLENGE, tcp_rst_challenge,
			"ESTABLISHED", 0},
		{"ACK of unsent data", 0, 1000, F_ACK, R_ACK, tcp_bad_ack, "ESTABLISHED", 0},
		{"ACK far in the past", 0, -(1 << 30), F_ACK, R_ACK, tcp_bad_ack, "ESTABLISHED", 0},
		{"old segment", -100, 0, F_ACK, R_ACK, tcp_out_of_window, "ESTABLISHED", 0},
		{"no ACK bit", 0, 0, F_PSH, R_NONE, tcp_bad_flags, "ESTABLISHED", 0},
	};
	unsigned i;

	(void)state;
	for (i = 0; i < FO_ARRAY_SIZE(cases); i++) {
		struct th *h = th_new(NULL);
		struct th_peer p = {.port = 40400, .isn = 0xfffffff0u};
		struct th_out o;
		struct th_in s;
		struct fo_tcp_stats before;

		th_handshake(h, &p);
		memset(&s, 0, sizeof(s));
		s.sport = p.port;
		s.seq = p.nxt + (uint32_t)cases[i].dseq;
		s.ack = p.una + (uint32_t)cases[i].dack;
		s.flags = cases[i].flags;
		s.wnd = 1000;
		if (cases[i].flags == F_PSH) {
			s.data = (const uint8_t *)"x";
			s.len = 1;
		}
		before = h->tw->stats;
		th_inject(h, &s);
		if (cases[i].reason >= 0 &&
			h->tw->stats.drop[cases[i].reason] != before.drop[cases[i].reason] + 1)
			fail_msg("%s: %s not counted", cases[i].name,
				fo_tcp_drop_names[cases[i].reason]);
		if (cases[i].reply == R_NONE) {
			if (th_queued(h) != 0)
				fail_msg("%s: unexpected reply", cases[i].name);
		} else {
			if (!th_pop(h, &o))
				fail_msg("%s: no reply", cases[i].name);
			assert_int_equal(o.flags, F_ACK);
			assert_int_equal(o.seq, p.una);
			assert_int_equal(o.ack, p.nxt);
			if (cases[i].reply == R_CHALLENGE)
				assert_int_equal(h->tw->stats.challenge_acks, before.challenge_acks + 1);
		}
		if (cases[i].closed) {
			assert_int_equal(h->n_closed, 1);
			assert_int_equal(h->close_why, FO_TCP_CLOSE_RESET);
			assert_int_equal(h->tw->stats.resets_rx, 1);
			assert_int_equal(h->tw->stats.conns, 0);
		} else {
			assert_int_equal(h->n_closed, 0);
			assert_string_equal(tcp_state_name(p.c->state), cases[i].state_after);
		}
		th_free(h, 1);
	}
}

static void
test_paws(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40401, .isn = 1, .use_opts = 1, .ts = 1000};
	struct th_out o;
	uint8_t opts[12];
	struct th_in s;

	(void)state;
	h->auto_read = 1;
	th_handshake(h, &p);
	th_peer_send(h, &p, F_ACK, "ab", 2);
	memset(&s, 0, sizeof(s));
	s.sport = p.port;
	s.seq = p.nxt;
	s.ack = p.una;
	s.flags = F_ACK;
	s.wnd = 1000;
	s.optlen = th_ts_opts(opts, 900, 0); /* older than ts_recent */
	s.opts = opts;
	s.data = (const uint8_t *)"cd";
	s.len = 2;
	th_inject(h, &s);
	assert_int_equal(h->tw->stats.drop[tcp_paws], 1);
	assert_int_equal(h->rx_len, 2);
	th_expect(h, &o);
	assert_int_equal(o.ack, p.nxt);
	/* a newer timestamp is accepted, with the same sequence */
	th_put32(opts + 4, p.ts + 1);
	th_inject(h, &s);
	assert_int_equal(h->rx_len, 4);
	assert_int_equal(p.c->ts_recent, p.ts + 1);
	th_drain(h);
	th_free(h, 1);
}

static void
test_abort_sends_rst(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40402, .isn = 1};
	struct th_out o;

	(void)state;
	th_handshake(h, &p);
	th_user_send(h, p.c, 100, 0);
	th_drain(h);
	fo_tcp_abort(p.c);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_RST | F_ACK);
	assert_int_equal(o.seq, p.una + 100);
	assert_int_equal(o.ack, p.nxt);
	assert_int_equal(h->n_closed, 0);
	assert_int_equal(h->tw->stats.conns, 0);
	assert_int_equal(h->tw->stats.resets_tx, 1);
	th_free(h, 1);
}

static void
test_rst_in_syn_received(void **state)
{
	struct th *h = th_new(NULL);
	struct th_in s = {.sport = 40403, .seq = 10, .flags = F_SYN, .wnd = 100};
	struct th_out o;

	(void)state;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(h->tw->stats.half_open, 1);
	s.flags = F_RST;
	s.seq = 11;
	th_inject(h, &s);
	th_expect_none(h);
	assert_int_equal(h->tw->stats.half_open, 0);
	assert_int_equal(h->tw->stats.conns, 0);
	assert_int_equal(h->n_closed, 0);
	/* a bad final ACK: RST with its ack as sequence */
	s.flags = F_SYN;
	s.seq = 10;
	th_inject(h, &s);
	th_expect(h, &o);
	s.flags = F_ACK;
	s.seq = 11;
	s.ack = o.seq + 7;
	th_inject(h, &s);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_RST);
	assert_int_equal(o.seq, s.ack);
	th_free(h, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rst_table),
		cmocka_unit_test(test_paws),
		cmocka_unit_test(test_abort_sends_rst),
		cmocka_unit_test(test_rst_in_syn_received),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
