/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy's TLS listeners under abuse, on the in-process wire (the
 * fixture of test_proxy_tls.c, proxy_tls_harness.h): handshake steps run at
 * most tls_handshakes_per_poll per poll loop, several clients at once all
 * served; half-open handshakes over tls_handshakes_max refused, the others
 * reset after tls_handshake_timeout; garbage and bad lengths instead of a
 * ClientHello counted as such; a KeyUpdate flood resets the connection,
 * a few KeyUpdates do not. Server flights in pieces (tls_handshake_split,
 * on by default): three stops each (TLS 1.3, X25519), one stopped handshake at a time (the
 * library's job pool is one job here), none with the split off; a client
 * reset while its handshake is stopped. No session or mbuf left.
 */
#include <openssl/async.h>

#include "proxy_tls_harness.h"

static const char abuse_conf[] = "interface wire0 { address 198.18.0.1/24; }\n"
				 "listen 198.18.0.1:443 tls;\n"
				 "http { tls_handshakes_max 3; tls_handshake_timeout 2s; }\n"
				 "upstream origin { server 198.18.0.11:8000; }\n"
				 "route prefix / { upstream origin; }\n";

/* several TLS clients on the client host at once */
struct tmany {
	struct tcli *t;
	unsigned n;
};

static unsigned
tmany_poll(struct wire_host *h, void *arg)
{
	struct tmany *m = arg;
	unsigned i, work = 0;

	for (i = 0; i < m->n; i++)
		if (m->t[i].c != NULL || !m->t[i].closed)
			work += tcli_poll(h, &m->t[i]);
	return work;
}

/* fanout's poll, counting the loops and the most handshake steps one loop
 * iteration ran (from the end of the previous poll: TCP input, then the poll) */
struct poll_count {
	struct fo_proxy_worker *pw;
	uint64_t polls, max_steps, last;
};

static unsigned
counting_poll(struct wire_host *h, void *arg)
{
	struct poll_count *pc = arg;
	uint64_t now;
	unsigned n;

	(void)h;
	n = fo_proxy_poll(pc->pw) + fo_proxy_poll_tls(pc->pw);
	pc->polls++;
	now = fo_proxy_stats(pc->pw)->tls_handshake_steps;
	if (now - pc->last > pc->max_steps)
		pc->max_steps = now - pc->last;
	pc->last = now;
	return n;
}

static const char unsplit_conf[] = "interface wire0 { address 198.18.0.1/24; }\n"
				   "listen 198.18.0.1:443 tls;\n"
				   "http { tls_handshakes_max 3; tls_handshake_timeout 2s;\n"
				   "       tls_handshake_split off; }\n"
				   "upstream origin { server 198.18.0.11:8000; }\n"
				   "route prefix / { upstream origin; }\n";

/* Three TLS clients at once; @p pieces stops each server flight makes. */
static void
handshake_queue(const char *conf, unsigned pieces)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f;
	struct tcli t[3];
	struct tmany m = {t, 3};
	struct poll_count pc;
	const struct fo_proxy_stats *st;
	unsigned i, rounds = 0, done;

	f = fix_new(conf, 0, ok_response);
	pc = (struct poll_count){.pw = f->x.pw};
	f->x.fh->poll = counting_poll;
	f->x.fh->poll_arg = &pc;
	for (i = 0; i < 3; i++)
		tcli_open(f, &t[i], "a.test", req, sizeof(req) - 1, 4096, NULL);
	f->x.ch->poll = tmany_poll;
	f->x.ch->poll_arg = &m;
	do {
		if (wire_step(&f->x.w) == 0)
			wire_advance(&f->x.w, 1);
		for (done = 0, i = 0; i < 3; i++)
			done += strstr(t[i].rx, "\r\n\r\nok") != NULL;
	} while (rounds++ < 200000 && done < 3);
	assert_int_equal(done, 3);
	st = fo_proxy_stats(f->x.pw);
	assert_int_equal(st->tls_handshakes, 3);
	assert_int_equal(pc.max_steps, 1); /* tls_handshakes_per_poll 1 (the default) */
	/* three ClientHellos in one burst: two waited for later loops */
	assert_true(st->tls_handshake_deferred >= 2);
	/* ClientHello, then Finished, each; and one per piece */
	assert_true(st->tls_handshake_steps >= 6 + 3 * pieces);
	assert_int_equal(st->tls_handshake_pieces, 3 * pieces);
	assert_int_equal(st->tls_handshaking, 0);
	for (i = 0; i < 3; i++) {
		f->x.ch->poll = tcli_poll; /* one client at a time from here */
		f->x.ch->poll_arg = &t[i];
		tcli_close(f, &t[i]);
	}
	f->x.fh->poll = pxw_poll;
	f->x.fh->poll_arg = f->x.pw;
	fix_free(f);
}

static void
test_handshake_queue(void **state)
{
	(void)state;
	/* after the X25519 key pair, the ServerHello, the CertificateVerify */
	handshake_queue(abuse_conf, 3);
	handshake_queue(unsplit_conf, 0);
}

/* A client reset while fanout's handshake is stopped between two pieces:
 * the session goes, its library job comes back (the pool holds one: the
 * next handshake needs it). */
static void
test_handshake_reset_stopped(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f;
	const struct fo_proxy_stats *st;
	struct tcli t;
	unsigned rounds = 0;

	(void)state;
	f = fix_new(abuse_conf, 0, ok_response);
	st = fo_proxy_stats(f->x.pw);
	f->x.ch->poll = tcli_poll;
	f->x.ch->poll_arg = &t;
	tcli_open(f, &t, "a.test", req, sizeof(req) - 1, 4096, NULL);
	while (rounds++ < 100000 && st->tls_handshake_pieces == 0)
		if (wire_step(&f->x.w) == 0)
			wire_advance(&f->x.w, 1);
	assert_int_equal(st->tls_handshake_pieces, 1); /* stopped after its key pair */
	assert_int_equal(st->tls_handshaking, 1);
	fo_tcp_abort(t.c);
	t.c = NULL;
	wire_run(&f->x.w, 100000);
	assert_int_equal(st->tls_handshaking, 0);
	assert_int_equal(st->sessions, 0);
	assert_int_equal(st->tls_handshakes, 0);
	/* no failure of its own: counted as reset */
	assert_int_equal(st->tls_failed_reset, 1);
	assert_int_equal(st->tls_failed_eof + st->tls_failed_proto + st->tls_failed_hello, 0);
	tcli_close(f, &t);
	tls_request(f, &t, "a.test", req, sizeof(req) - 1, 4096, NULL);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	tcli_close(f, &t);
	assert_int_equal(st->tls_handshakes, 1);
	fix_free(f);
}

/* fanout's poll without its handshake phase (fo_proxy_poll_tls()) */
static unsigned
poll_no_tls(struct wire_host *h, void *arg)
{
	(void)h;
	return fo_proxy_poll(arg);
}

/* TCP's callbacks and fo_proxy_poll() only queue a ClientHello: its step runs
 * from fo_proxy_poll_tls(), which the worker loop calls after its transmit
 * burst (so a step never delays what the iteration made for other clients) */
static void
test_steps_only_from_poll_tls(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f;
	const struct fo_proxy_stats *st;
	struct tcli t;

	(void)state;
	f = fix_new(abuse_conf, 0, ok_response);
	st = fo_proxy_stats(f->x.pw);
	f->x.fh->poll = poll_no_tls;
	f->x.ch->poll = tcli_poll;
	f->x.ch->poll_arg = &t;
	tcli_open(f, &t, "a.test", req, sizeof(req) - 1, 4096, NULL);
	wire_run(&f->x.w, 10000);
	assert_int_equal(st->tls_handshaking, 1); /* accepted, its ClientHello read by nobody */
	assert_int_equal(st->tls_handshake_steps, 0);
	assert_int_equal(st->tls_handshake_pieces, 0);
	assert_null(strstr(t.rx, "HTTP/1.1"));
	/* the handshake phase back: one step per round until the response */
	f->x.fh->poll = pxw_poll;
	wire_run(&f->x.w, 100000);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	assert_int_equal(st->tls_handshakes, 1);
	assert_true(st->tls_handshake_steps >= 2);
	tcli_close(f, &t);
	fix_free(f);
}

static void
test_handshake_bound_timeout(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f;
	const struct fo_proxy_stats *st;
	struct tcli t;
	unsigned i;

	(void)state;
	f = fix_new(abuse_conf, 0, ok_response);
	st = fo_proxy_stats(f->x.pw);
	/* four silent connections: three half-open handshakes, the fourth refused */
	assert_int_equal(wire_client_open(&f->cl, f->x.ch, FANOUT, 443, 4), 0);
	f->cl_open = 1;
	wire_run(&f->x.w, 10000);
	assert_int_equal(st->tls_handshaking, 3);
	assert_int_equal(st->tls_refused_handshakes, 1);
	assert_int_equal(st->tls_sessions, 3);
	for (i = 0; i < 4; i++)
		if (f->cl.conns[i].closed)
			break;
	assert_true(i < 4); /* the refused one was reset */
	/* one sends half a ClientHello's record header and stops */
	assert_int_equal(wire_client_send(&f->cl, 0, "\x16\x03\x01", 3), 0);
	wire_run(&f->x.w, 10000);
	wire_advance(&f->x.w, 1900);
	wire_run(&f->x.w, 10000);
	assert_int_equal(st->tls_handshake_timeouts, 0);
	wire_advance(&f->x.w, 200); /* tls_handshake_timeout 2s */
	wire_run(&f->x.w, 10000);
	assert_int_equal(st->tls_handshake_timeouts, 3);
	assert_int_equal(st->tls_failed_reset, 0); /* each counted once: a timeout */
	assert_int_equal(st->tls_handshaking, 0);
	assert_int_equal(st->sessions, 0);
	for (i = 0; i < 4; i++)
		assert_true(f->cl.conns[i].closed);
	plain_close(f);
	/* room again: a real client is served */
	tls_request(f, &t, "a.test", req, sizeof(req) - 1, 4096, NULL);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	tcli_close(f, &t);
	assert_int_equal(st->tls_handshakes, 1);
	fix_free(f);
}

static void
test_bad_hello(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", /* plain HTTP to the TLS port */
		/* a record longer than 2^14 + 256; a ClientHello of 4 bytes; an alert first */
		"\x16\x03\x01\xff\xff",
		"\x16\x03\x01\x00\x08\x01\x00\x00\x04\x03\x03\x00\x00",
		"\x15\x03\x03\x00\x02\x02\x28",
	};
	struct fix *f;
	const struct fo_proxy_stats *st;
	unsigned i;

	(void)state;
	f = fix_new(NULL, 0, ok_response);
	st = fo_proxy_stats(f->x.pw);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = i == 0 ? strlen(bad[i]) : i == 1 ? 5 : i == 2 ? 13 : 7;

		memset(&f->cl, 0, sizeof(f->cl));
		assert_int_equal(wire_client_open(&f->cl, f->x.ch, FANOUT, 443, 1), 0);
		f->cl_open = 1;
		wire_run(&f->x.w, 10000);
		assert_int_equal(wire_client_send(&f->cl, 0, bad[i], len), 0);
		wire_run(&f->x.w, 10000);
		if (!f->cl.conns[0].closed && !f->cl.conns[0].eof)
			fail_msg("bad ClientHello %u: connection still open", i);
		plain_close(f);
		wire_run(&f->x.w, 10000);
	}
	assert_int_equal(st->tls_failed_hello, 4);
	/* half a ClientHello, then FIN: the client went away (OpenSSL 3 calls it a
	 * protocol error, "unexpected eof") */
	memset(&f->cl, 0, sizeof(f->cl));
	assert_int_equal(wire_client_open(&f->cl, f->x.ch, FANOUT, 443, 1), 0);
	f->cl_open = 1;
	wire_run(&f->x.w, 10000);
	assert_int_equal(
		wire_client_send(&f->cl, 0, "\x16\x03\x01\x00\x40\x01\x00\x00\x3c\x03\x03", 11), 0);
	assert_int_equal(fo_tcp_shutdown(f->cl.conns[0].c), 0);
	wire_run(&f->x.w, 10000);
	assert_true(f->cl.conns[0].closed || f->cl.conns[0].eof);
	plain_close(f);
	wire_run(&f->x.w, 10000);
	assert_int_equal(st->tls_failed_eof, 1);
	assert_int_equal(st->tls_failed_proto, 0);
	assert_int_equal(st->tls_failed_reset, 0); /* each counted once, by its reason */
	assert_int_equal(st->tls_handshakes, 0);
	assert_int_equal(st->tls_handshaking, 0);
	assert_int_equal(st->sessions, 0);
	fix_free(f);
}

/* @p n KeyUpdates (each asking for ours) from an established client */
static void
key_updates(struct fix *f, struct tcli *t, unsigned n)
{
	unsigned i;

	for (i = 0; i < n && t->c != NULL; i++) {
		assert_int_equal(SSL_key_update(t->ssl, SSL_KEY_UPDATE_REQUESTED), 1);
		assert_int_equal(SSL_do_handshake(t->ssl), 1);
		tcli_io(t);
		wire_run(&f->x.w, 10000);
	}
}

static void
test_key_update_flood(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f;
	const struct fo_proxy_stats *st;
	struct tcli t;

	(void)state;
	f = fix_new(NULL, 0, ok_response);
	st = fo_proxy_stats(f->x.pw);
	/* a few: the connection goes on */
	tls_request(f, &t, "a.test", req, sizeof(req) - 1, 4096, NULL);
	assert_non_null(strstr(t.rx, "\r\n\r\nok"));
	key_updates(f, &t, 5);
	assert_int_equal(st->tls_key_updates, 5);
	assert_non_null(t.c);
	t.sent = 0;
	t.rx_len = 0;
	memset(t.rx, 0, t.rx_cap);
	wire_run(&f->x.w, 10000);
	assert_non_null(strstr(t.rx, "\r\n\r\nok")); /* a second request served */
	tcli_close(f, &t);
	assert_int_equal(st->tls_key_update_flood, 0);
	/* a flood: reset after the ninth */
	tls_request(f, &t, "a.test", req, sizeof(req) - 1, 4096, NULL);
	key_updates(f, &t, 40);
	assert_true(t.closed);
	assert_int_equal(st->tls_key_update_flood, 1);
	assert_int_equal(st->tls_key_updates, 5 + 9);
	tcli_close(f, &t);
	assert_int_equal(st->sessions, 0);
	fix_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_queue),
		cmocka_unit_test(test_handshake_reset_stopped),
		cmocka_unit_test(test_steps_only_from_poll_tls),
		cmocka_unit_test(test_handshake_bound_timeout),
		cmocka_unit_test(test_bad_hello),
		cmocka_unit_test(test_key_update_flood),
	};

	/* one asynchronous job on this thread: a second stopped handshake, or
	 * a job a freed session kept, fails the next split handshake */
	if (ASYNC_init_thread(1, 0) != 1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
