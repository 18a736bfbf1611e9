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
	struct rte_mbuf *m;
	uint8_t opts[40];

	(void)state;
	th_handshake(h, &p);
	fo_tcp_shutdown(p.c);
	fo_tcp_flush(h->tw);
	th_drain(h);
	p.una++;
	th_peer_send(h, &p, F_ACK | F_FIN, NULL, 0);
	assert_string_equal(tcp_state_name(p.c->state), "TIME_WAIT");
	/* the user had not closed: told once it has read the EOF, from the next flush */
	assert_int_equal(h->n_closed, 0);
	assert_int_equal(fo_tcp_recv(p.c, &m, 100), 0);
	assert_int_equal(h->n_closed, 0);
	fo_tcp_flush(h->tw);
	assert_int_equal(h->n_closed, 1);
	assert_int_equal(h->close_why, FO_TCP_CLOSE_NORMAL);
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
	struct rte_mbuf *m;

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
	assert_int_equal(h->n_closed, 0); /* EOF not read yet */
	assert_int_equal(fo_tcp_recv(p.c, &m, 100), 0);
	fo_tcp_flush(h->tw);
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

/** Read what @p c holds into @p out, @p max bytes per call. @return bytes; *eof set at the EOF. */
static size_t
read_all(struct fo_tcp_conn *c, uint8_t *out, uint32_t max, int *eof)
{
	struct rte_mbuf *m, *s;
	size_t len = 0;
	ssize_t n;

	*eof = 0;
	while ((n = fo_tcp_recv(c, &m, max)) > 0) {
		assert_int_equal(rte_pktmbuf_pkt_len(m), (uint32_t)n);
		for (s = m; s != NULL; s = s->next) {
			memcpy(out + len, rte_pktmbuf_mtod(s, void *), s->data_len);
			len += s->data_len;
		}
		rte_pktmbuf_free(m);
	}
	if (n == 0)
		*eof = 1;
	return len;
}

/*
 * Regression (relay lost the end of a 64 MiB stream): data and FIN
 * received, unread; our FIN acked in LAST_ACK. The connection must stay
 * readable until the user took everything, and closed(NORMAL) come after
 * the EOF, from the stack (the next flush), not from inside fo_tcp_recv.
 */
static void
test_last_ack_keeps_unread_data(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40320, .isn = 1};
	static uint8_t data[3000], got[3000];
	struct fo_tcp_conn *c;
	struct th_out o;
	int eof;

	(void)state;
	th_handshake(h, &p);
	c = p.c;
	th_pattern(data, sizeof(data), 0, 9);
	th_peer_send(h, &p, F_ACK, data, 1460);
	th_peer_send(h, &p, F_ACK, data + 1460, 1460);
	th_peer_send(h, &p, F_ACK | F_FIN, data + 2920, 80);
	assert_string_equal(tcp_state_name(c->state), "CLOSE_WAIT");
	assert_int_equal(h->n_readable, 3);
	/* the user did not read (backpressure elsewhere), but its other direction ends */
	assert_int_equal(fo_tcp_shutdown(c), 0);
	fo_tcp_flush(h->tw);
	th_drain(h);
	assert_string_equal(tcp_state_name(c->state), "LAST_ACK");
	p.una++;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	/* the stack is done with it; the user is not */
	assert_int_equal(h->n_closed, 0);
	assert_int_equal(h->tw->stats.conns, 1);
	assert_string_equal(tcp_state_name(c->state), "CLOSED");
	assert_null(tcp_flow_lookup(h->tw, &c->key)); /* left the flow table */
	assert_int_equal(fo_tcp_shutdown(c), 0);
	assert_int_equal(fo_tcp_send_space(c), 0);
	/* a late segment for the tuple: answered as for no connection (RST) */
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_expect(h, &o);
	assert_int_equal(o.flags & F_RST, F_RST);
	th_expect_none(h);
	/* everything is still there, in order, then the EOF */
	fo_tcp_flush(h->tw);
	assert_int_equal(h->n_closed, 0);
	assert_int_equal(read_all(c, got, 1000, &eof), sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	assert_true(eof);
	assert_int_equal(h->n_closed, 0); /* not from inside fo_tcp_recv */
	assert_int_equal(h->tw->stats.buffered, 0);
	fo_tcp_flush(h->tw);
	assert_int_equal(h->n_closed, 1);
	assert_int_equal(h->close_why, FO_TCP_CLOSE_NORMAL);
	assert_int_equal(h->tw->stats.conns, 0);
	th_expect_none(h);
	th_free(h, 1);
}

/* Same, in TIME_WAIT: held while unread, kept past TIME_WAIT's end, then freed by close. */
static void
test_time_wait_keeps_unread_data(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 4, .time_wait_ms = 1000};
	struct th *h = th_new(&cfg);
	struct th_peer p = {.port = 40321, .isn = 1}, q = {.port = 40322, .isn = 1};
	struct fo_tcp_conn *c;
	struct rte_mbuf *m;
	int eof;

	(void)state;
	th_handshake(h, &p);
	c = p.c;
	fo_tcp_shutdown(c);
	fo_tcp_flush(h->tw);
	th_drain(h);
	p.una++;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	th_peer_send(h, &p, F_ACK | F_FIN, "tail", 4);
	assert_string_equal(tcp_state_name(c->state), "TIME_WAIT");
	assert_int_equal(h->n_closed, 0);
	assert_int_equal(c->rcv.bytes, 4);
	/* not reusable by the connection limit while held */
	assert_null(h->tw->tw_head);
	/* TIME_WAIT ends: the connection leaves the stack, the data stays */
	th_advance(h, 1001);
	assert_string_equal(tcp_state_name(c->state), "CLOSED");
	assert_int_equal(h->tw->stats.conns, 1);
	assert_int_equal(h->n_closed, 0);
	assert_int_equal(fo_tcp_recv(c, &m, 100), 4);
	assert_memory_equal(rte_pktmbuf_mtod(m, void *), "tail", 4);
	rte_pktmbuf_free(m);
	/* the user closes instead of reading the EOF: freed, no callback */
	fo_tcp_close(c);
	assert_int_equal(h->tw->stats.conns, 0);
	fo_tcp_flush(h->tw);
	assert_int_equal(h->n_closed, 0);
	th_drain(h);

	/* in TIME_WAIT, reading the EOF: closed(NORMAL), then TIME_WAIT goes on */
	th_handshake(h, &q);
	c = q.c;
	fo_tcp_shutdown(c);
	fo_tcp_flush(h->tw);
	th_drain(h);
	q.una++;
	th_peer_send(h, &q, F_ACK | F_FIN, "xy", 2);
	assert_string_equal(tcp_state_name(c->state), "TIME_WAIT");
	assert_int_equal(read_all(c, (uint8_t[8]){0}, 100, &eof), 2);
	assert_true(eof);
	assert_int_equal(h->n_closed, 0);
	fo_tcp_flush(h->tw);
	assert_int_equal(h->n_closed, 1);
	assert_int_equal(h->close_why, FO_TCP_CLOSE_NORMAL);
	assert_ptr_equal(h->tw->tw_head, c); /* reusable now */
	assert_int_equal(h->tw->stats.conns, 1);
	th_advance(h, 1001);
	assert_int_equal(h->tw->stats.conns, 0);
	th_drain(h);
	th_free(h, 1);
}

/* abort on a zombie frees it; a RESET still drops unread data at once */
static void
test_zombie_abort_and_reset(void **state)
{
	struct th *h = th_new(NULL);
	struct th_peer p = {.port = 40323, .isn = 1}, q = {.port = 40324, .isn = 1};
	struct fo_tcp_conn *c;

	(void)state;
	th_handshake(h, &p);
	c = p.c;
	th_peer_send(h, &p, F_ACK | F_FIN, "abc", 3);
	fo_tcp_shutdown(c);
	fo_tcp_flush(h->tw);
	th_drain(h);
	p.una++;
	th_peer_send(h, &p, F_ACK, NULL, 0);
	assert_int_equal(h->tw->stats.conns, 1);
	fo_tcp_abort(c);
	th_expect_none(h); /* no RST: the peer is done with it */
	assert_int_equal(h->tw->stats.conns, 0);
	assert_int_equal(h->n_closed, 0);

	th_handshake(h, &q);
	th_peer_send(h, &q, F_ACK, "abc", 3);
	th_drain(h);
	th_peer_send(h, &q, F_RST, NULL, 0);
	assert_int_equal(h->n_closed, 1);
	assert_int_equal(h->close_why, FO_TCP_CLOSE_RESET);
	assert_int_equal(h->tw->stats.conns, 0);
	th_free(h, 1);
}

/* ---- TIME_WAIT reuse by active opens (Linux tcp_tw_reuse, RFC 6191) ---- */

/** One active open to TH_PEER:dport as the tests see it. */
struct tw_act {
	struct fo_tcp_conn *c;
	uint16_t lport, dport;
	uint32_t iss;        /* our ISN */
	uint32_t nxt;        /* our SND.NXT once in TIME_WAIT (FIN included) */
	uint32_t last_tsval; /* TSval of the last segment we sent (the ACK of the peer's FIN) */
	int ts;
};

/** fo_tcp_connect() then the peer's SYN-ACK (with or without timestamps): ESTABLISHED. */
static void
tw_open(struct th *h, struct tw_act *a, uint16_t dport, int ts)
{
	struct th_out o;
	uint8_t opts[20] = {2, 4, 0x05, 0xb4};
	struct th_in s = {.sport = dport, .seq = 5000, .flags = F_SYN | F_ACK, .wnd = 65535};

	memset(a, 0, sizeof(*a));
	a->c = fo_tcp_connect(h->tw, TH_US, TH_PEER, dport, &th_ops, h);
	assert_non_null(a->c);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN);
	assert_int_equal(o.dport, dport);
	a->lport = o.sport;
	a->iss = o.seq;
	a->dport = dport;
	a->ts = ts;
	s.dport = o.sport;
	s.ack = o.seq + 1;
	if (ts) {
		s.optlen = th_syn_opts(opts, 100, 7);
		th_put32(opts + 12, o.tsval); /* tsecr */
	} else {
		s.optlen = 4; /* MSS only */
	}
	s.opts = opts;
	th_inject(h, &s);
	assert_string_equal(tcp_state_name(a->c->state), "ESTABLISHED");
	assert_int_equal(a->c->ts_ok, ts);
	th_drain(h);
}

/**
 * Active close: our FIN, then the peer's FIN+ACK: TIME_WAIT. @p user_close:
 * fo_tcp_close() (reusable at once), else fo_tcp_shutdown() (the user still
 * has the EOF to read: not reusable before).
 */
static void
tw_close(struct th *h, struct tw_act *a, int user_close)
{
	struct th_out o;
	uint8_t opts[12];
	struct th_in s = {.sport = a->dport, .dport = a->lport, .seq = 5001, .ack = a->iss + 2,
		.flags = F_FIN | F_ACK, .wnd = 65535};

	if (user_close)
		fo_tcp_close(a->c);
	else
		assert_int_equal(fo_tcp_shutdown(a->c), 0);
	fo_tcp_flush(h->tw);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_FIN | F_ACK);
	assert_int_equal(o.seq, a->iss + 1);
	if (a->ts) {
		s.optlen = th_ts_opts(opts, 200, o.tsval);
		s.opts = opts;
	}
	th_inject(h, &s);
	assert_string_equal(tcp_state_name(a->c->state), "TIME_WAIT");
	th_expect(h, &o);
	assert_int_equal(o.flags, F_ACK);
	assert_int_equal(o.ack, 5002);
	a->last_tsval = o.tsval;
	a->nxt = a->c->snd_nxt;
	assert_int_equal(a->nxt, a->iss + 2);
}

/** The connection holding our tuple to TH_PEER:dport from local port @p lport. */
static struct fo_tcp_conn *
tw_lookup(struct th *h, uint16_t lport, uint16_t dport)
{
	struct tcp_key k = {.laddr = TH_US, .raddr = TH_PEER, .lport = rte_cpu_to_be_16(lport),
		.rport = rte_cpu_to_be_16(dport)};

	return tcp_flow_lookup(h->tw, &k);
}

/*
 * A 4-port range: EADDRNOTAVAIL while every tuple is held by a connection
 * that cannot be reused (ESTABLISHED, or TIME_WAIT whose user has the EOF
 * still to read); a TIME_WAIT with timestamps, quiet for 1 s, is reused
 * even when an older one without timestamps comes first in the scan; with
 * no such tuple left, the oldest TIME_WAIT is recycled, not a younger one
 * with timestamps; a held TIME_WAIT becomes reusable once the user reads
 * the EOF.
 */
static void
test_time_wait_reuse_active_open(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 16, .local_port_min = 20000,
		.local_port_max = 20003};
	struct th *h = th_new(&cfg);
	struct tw_act a, b, c, d, e;
	struct fo_tcp_conn *x;
	struct fo_tcp_info xi;
	struct rte_mbuf *m;
	struct th_out o;
	uint32_t seen;

	(void)state;
	/* another destination port is another tuple (and moves the port cursor on by one) */
	x = fo_tcp_connect(h->tw, TH_US, TH_PEER, 8081, &th_ops, h);
	assert_non_null(x);
	fo_tcp_info(x, &xi); /* the cursor starts at a secret-keyed place (RFC 6056) */
	fo_tcp_abort(x);
	th_drain(h);
	/* scan order from the cursor: a, b, d, c */
	tw_open(h, &a, 8080, 0);
	tw_open(h, &b, 8080, 1);
	tw_open(h, &d, 8080, 1);
	tw_open(h, &c, 8080, 1);
	seen = 1u << (a.lport - 20000) | 1u << (b.lport - 20000) | 1u << (c.lport - 20000) |
		1u << (d.lport - 20000);
	assert_int_equal(seen, 15); /* the whole range, each port once */
	assert_int_equal(a.lport, 20000 + (xi.local_port - 20000 + 1) % 4);
	/* every tuple held by an ESTABLISHED connection */
	errno = 0;
	assert_null(fo_tcp_connect(h->tw, TH_US, TH_PEER, 8080, &th_ops, h));
	assert_int_equal(errno, EADDRNOTAVAIL);
	th_expect_none(h);

	/* c: TIME_WAIT, but its user has not read the EOF: not reusable */
	tw_close(h, &c, 0);
	errno = 0;
	assert_null(fo_tcp_connect(h->tw, TH_US, TH_PEER, 8080, &th_ops, h));
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(h->tw->stats.time_wait_reused, 0);

	/* a (no timestamps) into TIME_WAIT first, b (timestamps) 10 ms later, d 1 s later */
	tw_close(h, &a, 1);
	th_advance(h, 10);
	tw_close(h, &b, 1);
	th_advance(h, 1000);
	tw_close(h, &d, 1);
	th_expect_none(h);
	assert_int_equal(h->tw->stats.conns, 4);

	/* b is quiet for 1 s with timestamps: reused, although a is older and scanned first */
	tw_open(h, &e, 8080, 1);
	assert_int_equal(e.lport, b.lport);
	assert_int_equal(h->tw->stats.time_wait_reused, 1);
	assert_int_equal(h->tw->stats.conns, 4);
	assert_ptr_equal(tw_lookup(h, b.lport, 8080), e.c);
	assert_true(tcp_seq_gt(e.iss, b.nxt + 65536));
	assert_true(tcp_seq_gt(e.c->ts_offset + tcp_ts_now(h->tw), b.last_tsval));

	/* nothing free or safely reusable (d is too young): the oldest, a, is recycled */
	tw_open(h, &e, 8080, 1);
	assert_int_equal(e.lport, a.lport);
	assert_int_equal(h->tw->stats.time_wait_reused, 2);
	assert_int_equal(h->tw->stats.conns, 4);
	assert_true(tcp_seq_gt(e.iss, a.nxt + 65536));

	/* then d, the only reusable one left */
	tw_open(h, &e, 8080, 1);
	assert_int_equal(e.lport, d.lport);
	assert_int_equal(h->tw->stats.time_wait_reused, 3);

	/* only c's held TIME_WAIT left */
	errno = 0;
	assert_null(fo_tcp_connect(h->tw, TH_US, TH_PEER, 8080, &th_ops, h));
	assert_int_equal(errno, EADDRNOTAVAIL);
	/* its user reads the EOF: closed(NORMAL) at the next flush, then reusable */
	assert_int_equal(fo_tcp_recv(c.c, &m, 100), 0);
	fo_tcp_flush(h->tw);
	assert_int_equal(h->n_closed, 1);
	assert_int_equal(h->close_why, FO_TCP_CLOSE_NORMAL);
	x = fo_tcp_connect(h->tw, TH_US, TH_PEER, 8080, &th_ops, h);
	assert_non_null(x);
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN);
	assert_int_equal(o.sport, c.lport);
	assert_int_equal(h->tw->stats.time_wait_reused, 4);
	assert_ptr_equal(tw_lookup(h, c.lport, 8080), x);
	/* nothing left */
	errno = 0;
	assert_null(fo_tcp_connect(h->tw, TH_US, TH_PEER, 8080, &th_ops, h));
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_int_equal(h->tw->stats.conns, 4);
	th_free(h, 1);
}

/*
 * One-port range. Recycled at once (forced): the secure ISN of the same
 * tuple at the same time would be the old ISN, so the new one is moved
 * beyond old SND.NXT + 65536. Reused after 1 s: the SYN's TSval is newer
 * than the last one the old connection sent, its ISN beyond old SND.NXT.
 * The old TIME_WAIT's timer is gone with it.
 */
static void
test_time_wait_reuse_isn_ts(void **state)
{
	struct fo_tcp_config cfg = {.max_conns = 16, .local_port_min = 20000,
		.local_port_max = 20000, .time_wait_ms = 5000};
	struct th *h = th_new(&cfg);
	struct tw_act a, e;
	struct th_out o;
	uint8_t opts[12];

	(void)state;
	tw_open(h, &a, 8080, 1);
	assert_int_equal(a.lport, 20000);
	tw_close(h, &a, 1);
	/* forced: not quiet for 1 s yet, but no other port */
	tw_open(h, &e, 8080, 1);
	assert_int_equal(e.lport, 20000);
	assert_int_equal(h->tw->stats.time_wait_reused, 1);
	assert_true(tcp_seq_gt(e.iss, a.nxt + 65536));
	assert_true(tcp_seq_le(e.iss, a.nxt + 2 * 65536));
	tw_close(h, &e, 1);
	th_advance(h, 999);
	th_expect_none(h);

	/* 999 ms: not safe yet, still recycled as the last resort; 1 s later: safe */
	a = e;
	tw_open(h, &e, 8080, 1);
	assert_int_equal(h->tw->stats.time_wait_reused, 2);
	assert_true(tcp_seq_gt(e.iss, a.nxt + 65536));
	tw_close(h, &e, 1);
	/* a retransmitted FIN in TIME_WAIT: ACKed (newer TSval), the reuse clock restarts */
	th_advance(h, 600);
	{
		struct th_in s = {.sport = 8080, .dport = 20000, .seq = 5001, .ack = e.iss + 2,
			.flags = F_FIN | F_ACK, .wnd = 65535};

		s.optlen = th_ts_opts(opts, 300, e.last_tsval);
		s.opts = opts;
		th_inject(h, &s);
		th_expect(h, &o);
		assert_int_equal(o.flags, F_ACK);
		assert_true(tcp_seq_gt(o.tsval, e.last_tsval));
		e.last_tsval = o.tsval;
		assert_int_equal(h->tw->tw_head->tw_tsc, h->net->now);
	}
	th_advance(h, 1000);
	th_expect_none(h);
	assert_int_equal(h->tw->stats.conns, 1);
	a = e;
	assert_non_null(fo_tcp_connect(h->tw, TH_US, TH_PEER, 8080, &th_ops, h));
	th_expect(h, &o);
	assert_int_equal(o.flags, F_SYN);
	assert_int_equal(o.sport, 20000);
	assert_int_equal(h->tw->stats.time_wait_reused, 3);
	assert_int_equal(h->tw->stats.conns, 1);
	assert_true(o.has_ts);
	assert_true(tcp_seq_gt(o.tsval, a.last_tsval));
	assert_true(tcp_seq_gt(o.seq, a.nxt + 65536));
	/* the old TIME_WAIT's timer went with it: only the SYN's retransmission follows */
	th_advance(h, 5000);
	while (th_pop(h, &o))
		assert_int_equal(o.flags, F_SYN);
	assert_int_equal(h->tw->stats.conns, 1);
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
		cmocka_unit_test(test_last_ack_keeps_unread_data),
		cmocka_unit_test(test_time_wait_keeps_unread_data),
		cmocka_unit_test(test_zombie_abort_and_reset),
		cmocka_unit_test(test_time_wait_reuse_active_open),
		cmocka_unit_test(test_time_wait_reuse_isn_ts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
