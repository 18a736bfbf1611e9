/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy's TLS listeners on the in-process wire (wire.h): fanout's
 * proxy worker with a plain and a TLS listener, contexts built as
 * app/fanout does (two certificates, the self-signed default, SNI map,
 * ticket keys), an OpenSSL client over lib/tcp on the client host (as
 * test_tls_tcp does) and the plain wire client (proxy_tls_harness.h, shared
 * with test_proxy_tls_hs.c). Checks: a GET over TLS with
 * SNI is proxied with X-Forwarded-Proto: https and X-Forwarded-Port: 443
 * and answered with HSTS; a 64 KiB body both ways over TLS; a plain
 * request for a host with a certificate gets 308 to https (not for a host
 * without one, nor on a route with ssl_redirect off); a Host naming
 * another certificate than the SNI gets 421; strict_sni refuses an
 * unknown name (counted); resumption with the ticket of the first
 * connection (counted); a new view published while a session is open
 * (live certificate reload): the session keeps its certificate and HSTS,
 * new ones get the new; 4 x 200 KiB pipelined responses to a slow reader in
 * records of a segment, then of 16 KiB. No session or mbuf left. Abuse
 * (handshake budget and bound, timeouts, bad ClientHellos, KeyUpdate flood):
 * test_proxy_tls_hs.c.
 */
#include "proxy_tls_harness.h"

static char big_response[80 * 1024];

/* Another request on @p t's connection (keep-alive); the response replaces t->rx. */
static void
tls_again(struct fix *f, struct tcli *t, const char *req, size_t req_len)
{
	memset(t->rx, 0, t->rx_cap + 1);
	t->rx_len = 0;
	t->req = req;
	t->req_len = req_len;
	t->sent = 0;
	f->x.ch->poll = tcli_poll;
	f->x.ch->poll_arg = t;
	tcli_wait(&f->x.w, t);
}

static void
test_get_over_tls(void **state)
{
	static const char req[] = "GET /x?y=1 HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f;
	const struct fo_proxy_stats *st;
	SSL_SESSION *sess;
	struct tcli t;

	(void)state;
	f = fix_new(NULL, 0, ok_response);
	tls_request(f, &t, "a.test", req, sizeof(req) - 1, 4096, NULL);
	assert_false(t.hs_failed);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(t.rx, "\r\nStrict-Transport-Security: max-age=31536000; "
				     "includeSubDomains\r\n"));
	assert_non_null(strstr(t.rx, "\r\n\r\nok"));
	assert_non_null(strstr(f->o.last_head, "GET /x?y=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(f->o.last_head, "\r\nX-Forwarded-Proto: https\r\n"));
	assert_non_null(strstr(f->o.last_head, "\r\nX-Forwarded-Port: 443\r\n"));
	assert_int_equal(SSL_version(t.ssl), TLS1_3_VERSION);
	sess = SSL_get1_session(t.ssl);
	assert_non_null(sess);
	tcli_close(f, &t);

	/* the ticket of the first connection resumes */
	tls_request(f, &t, "a.test", req, sizeof(req) - 1, 4096, sess);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	assert_int_equal(SSL_session_reused(t.ssl), 1);
	tcli_close(f, &t);
	SSL_SESSION_free(sess);

	/* wildcard name, Host of another certificate: 421 */
	static const char req421[] = "GET / HTTP/1.1\r\nHost: b.test\r\n\r\n";
	tls_request(f, &t, "x.w.test", req421, sizeof(req421) - 1, 4096, NULL);
	assert_non_null(strstr(t.rx, "HTTP/1.1 421 "));
	tcli_close(f, &t);

	/* no SNI: the default certificate, and any Host is served */
	tls_request(f, &t, NULL, req, sizeof(req) - 1, 4096, NULL);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	tcli_close(f, &t);

	st = fo_proxy_stats(f->x.pw);
	assert_int_equal(st->tls_handshakes, 4);
	assert_int_equal(st->tls_resumed, 1);
	assert_int_equal(st->tls_misdirected, 1);
	assert_int_equal(st->tls_sessions, 4);
	assert_int_equal(st->gen_500, 0); /* 421 is not a 500 */
	fix_free(f);
}

static void
test_bodies(void **state)
{
	static char req[70 * 1024];
	struct fix *f;
	struct tcli t;
	int hl, n;

	(void)state;
	hl = snprintf(big_response, sizeof(big_response),
		"HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", 65536u);
	memset(big_response + hl, 'r', 65536);
	big_response[hl + 65536] = 0;
	n = snprintf(req, sizeof(req),
		"POST /up HTTP/1.1\r\nHost: a.test\r\nContent-Length: %u\r\n\r\n", 6000u);
	memset(req + n, 'q', 6000);
	f = fix_new(NULL, 0, big_response);
	tls_request(f, &t, "a.test", req, (size_t)n + 6000, 70 * 1024, NULL);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	assert_int_equal(t.rx_len, (size_t)(strstr(t.rx, "\r\n\r\n") - t.rx) + 4 + 65536);
	assert_int_equal(f->o.last_body_len, 6000);
	assert_int_equal(f->o.last_body[5999], 'q');
	tcli_close(f, &t);
	fix_free(f);
}

/*
 * Record sizing (px_tls_send): four pipelined 200 KiB responses to a client
 * that reads nothing for a while, so that fanout's send side backs up and
 * hands TLS large chains: each response's first 14 KiB in records of about a
 * segment, then 16 KiB records for what backed up (one record per upstream
 * segment, as before, made ~570 records and none of 16 KiB).
 */
static void
test_record_sizes(void **state)
{
	static char resp[210 * 1024];
	static char req[4 * 64];
	const uint32_t body = 200 * 1024;
	struct fix *f;
	uint32_t i, full = 0, small = 0, rounds = 0;
	size_t want;
	struct tcli t;
	int hl, rl = 0;

	(void)state;
	hl = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", body);
	memset(resp + hl, 'r', body);
	resp[hl + body] = 0;
	for (i = 0; i < 4; i++)
		rl += snprintf(req + rl, sizeof(req) - (size_t)rl,
			"GET /big%u HTTP/1.1\r\nHost: a.test\r\n\r\n", i);
	want = 4 * ((size_t)hl + body);
	f = fix_new(NULL, 0, resp);
	tcli_pause = 3000;
	tls_request(f, &t, "a.test", req, (size_t)rl, want, NULL);
	tcli_pause = 0;
	while (rounds++ < 400000 && t.rx_len < want && !t.closed)
		if (wire_step(&f->x.w) == 0)
			wire_advance(&f->x.w, 1);
	if (t.rx_len != want)
		fail_msg("got %zu of %zu bytes: %.100s", t.rx_len, want, t.rx);
	for (i = 0; i < t.n_rec && i < 512; i++) {
		if (t.rec_size[i] > 5 + 16384 + 256)
			fail_msg("record %u: %u bytes", i, t.rec_size[i]);
		if (t.rec_size[i] == 5 + 16384 + 17) /* TLS 1.3: type and tag */
			full++;
		else if (t.rec_size[i] > 1000 && t.rec_size[i] < 1600)
			small++;
	}
	fprintf(stderr, "4 x 200 KiB responses: %u records, %u of about a segment, %u of 16 KiB\n",
		t.n_rec, small, full);
	/* each response's first 14 KiB in segment-sized records; what backed up
	 * during the pause in 16 KiB records; the rest streams a segment at a time
	 * (chains of one segment: a record each, as before) */
	assert_true(small >= 4 * 9);
	assert_true(full >= 4);
	assert_true(t.n_rec < 540);
	tcli_close(f, &t);
	fix_free(f);
}

/* a plain request on the plain listener; @return the client's bytes */
static const char *
plain(struct fix *f, const char *req)
{
	unsigned rounds = 0;

	if (f->cl_open)
		plain_close(f);
	memset(&f->cl, 0, sizeof(f->cl));
	assert_int_equal(wire_client_open(&f->cl, f->x.ch, FANOUT, 80, 1), 0);
	f->cl_open = 1;
	wire_run(&f->x.w, 10000);
	assert_int_equal(wire_client_send(&f->cl, 0, req, strlen(req)), 0);
	while (rounds++ < 100000 && strstr(f->cl.conns[0].rx, "\r\n\r\n") == NULL)
		if (wire_step(&f->x.w) == 0)
			wire_advance(&f->x.w, 1);
	wire_run(&f->x.w, 10000);
	return f->cl.conns[0].rx;
}

static void
test_redirect(void **state)
{
	struct fix *f;
	const char *rx;

	(void)state;
	f = fix_new(NULL, 0, ok_response);
	rx = plain(f, "GET /p?q=1 HTTP/1.1\r\nHost: a.test:80\r\n\r\n");
	assert_non_null(strstr(rx, "HTTP/1.1 308 "));
	assert_non_null(strstr(rx, "\r\nLocation: https://a.test/p?q=1\r\n"));
	assert_null(strstr(rx, "Strict-Transport-Security"));
	rx = plain(f, "GET /p HTTP/1.1\r\nHost: z.w.test\r\n\r\n");
	assert_non_null(strstr(rx, "\r\nLocation: https://z.w.test/p\r\n"));
	/* no certificate for this host: proxied as plain HTTP */
	rx = plain(f, "GET /p HTTP/1.1\r\nHost: other.test\r\n\r\n");
	assert_non_null(strstr(rx, "HTTP/1.1 200 OK\r\n"));
	assert_null(strstr(rx, "Strict-Transport-Security"));
	assert_non_null(strstr(f->o.last_head, "\r\nX-Forwarded-Proto: http\r\n"));
	assert_non_null(strstr(f->o.last_head, "\r\nX-Forwarded-Port: 80\r\n"));
	/* the route's ssl_redirect off */
	rx = plain(f, "GET /acme/token HTTP/1.1\r\nHost: a.test\r\n\r\n");
	assert_non_null(strstr(rx, "HTTP/1.1 200 OK\r\n"));
	assert_int_equal(fo_proxy_stats(f->x.pw)->ssl_redirects, 2);
	fix_free(f);
}

static void
test_strict_sni(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f;
	struct tcli t;

	(void)state;
	f = fix_new(NULL, 1, ok_response);
	tls_request(f, &t, "unknown.test", req, sizeof(req) - 1, 4096, NULL);
	assert_true(t.hs_failed || t.closed);
	assert_int_equal(t.rx_len, 0);
	tcli_close(f, &t);
	/* a known name still works */
	tls_request(f, &t, "b.test", "GET / HTTP/1.1\r\nHost: b.test\r\n\r\n", 32, 4096, NULL);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	tcli_close(f, &t);
	assert_int_equal(fo_proxy_stats(f->x.pw)->tls_failed_sni, 1);
	assert_int_equal(fo_proxy_stats(f->x.pw)->tls_handshakes, 1);
	fix_free(f);
}

/* @return 1 when @p t's server certificate is @p c's leaf. */
static int
served(const struct tcli *t, const struct fo_tls_cert *c)
{
	X509 *x = SSL_get0_peer_certificate(t->ssl);

	return x != NULL && X509_cmp(x, c->leaf) == 0;
}

/*
 * Live certificate reload, as app/fanout/tls.c does it: a new view
 * (contexts, SNI table, HSTS) published with fo_proxy_worker_tls_set(). A
 * session opened before keeps its view (its certificate, its HSTS value) to
 * its end, counted in the old view's refs; new sessions take the new view.
 */
static void
test_view_swap(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f;
	struct tls_setup *nt = calloc(1, sizeof(*nt));
	struct tcli old, t;

	(void)state;
	f = fix_new(NULL, 0, ok_response);
	tls_request(f, &old, "a.test", req, sizeof(req) - 1, 4096, NULL);
	assert_non_null(strstr(old.rx, "HTTP/1.1 200 OK\r\n"));
	assert_true(served(&old, f->t.certs[0]));
	assert_int_equal(f->t.ptls.refs, 1);

	/* new certificates, another HSTS value */
	tls_setup(nt, 0);
	nt->ptls.hsts = "max-age=60";
	fo_proxy_worker_tls_set(f->x.pw, &nt->ptls);

	/* the open session keeps what it started with */
	tls_again(f, &old, req, sizeof(req) - 1);
	assert_non_null(strstr(old.rx, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(old.rx, "\r\nStrict-Transport-Security: max-age=31536000; "
				       "includeSubDomains\r\n"));
	assert_int_equal(f->t.ptls.refs, 1);
	assert_int_equal(nt->ptls.refs, 0);
	tcli_close(f, &old);
	assert_int_equal(f->t.ptls.refs, 0); /* the old view may go now */

	/* a new session: the new certificate and HSTS */
	tls_request(f, &t, "a.test", req, sizeof(req) - 1, 4096, NULL);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(t.rx, "\r\nStrict-Transport-Security: max-age=60\r\n"));
	assert_true(served(&t, nt->certs[0]));
	assert_false(served(&t, f->t.certs[0]));
	assert_int_equal(nt->ptls.refs, 1);
	tcli_close(f, &t);
	assert_int_equal(nt->ptls.refs, 0);
	assert_int_equal(fo_proxy_stats(f->x.pw)->tls_handshakes, 2);
	fix_free(f);
	tls_teardown(nt);
	free(nt);
}

/*
 * X-Forwarded-Proto and -Port are formatted once per session: a plain
 * session on the slot a TLS one used (and the other way round) gets its
 * own, not the previous session's.
 */
static void
test_fwd_fields_per_session(void **state)
{
	static const char req[] = "GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f;
	struct tcli t;
	unsigned i;

	(void)state;
	f = fix_new(NULL, 0, ok_response);
	for (i = 0; i < 2; i++) {
		tls_request(f, &t, "a.test", req, sizeof(req) - 1, 4096, NULL);
		assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
		assert_non_null(strstr(f->o.last_head, "\r\nX-Forwarded-Proto: https\r\n"));
		assert_non_null(strstr(f->o.last_head, "\r\nX-Forwarded-Port: 443\r\n"));
		tcli_close(f, &t);
		assert_non_null(
			strstr(plain(f, "GET /p HTTP/1.1\r\nHost: other.test\r\n\r\n"), "200 OK"));
		assert_non_null(strstr(f->o.last_head, "\r\nX-Forwarded-Proto: http\r\n"));
		assert_non_null(strstr(f->o.last_head, "\r\nX-Forwarded-Port: 80\r\n"));
		plain_close(f);
		wire_run(&f->x.w, 10000);
	}
	assert_int_equal(fo_proxy_stats(f->x.pw)->sessions, 0);
	fix_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_over_tls),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_record_sizes),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_strict_sni),
		cmocka_unit_test(test_view_swap),
		cmocka_unit_test(test_fwd_fields_per_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
