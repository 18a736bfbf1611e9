/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy's TLS listeners on the in-process wire (wire.h): fanout's
 * proxy worker with a plain and a TLS listener, contexts built as
 * app/fanout does (two certificates, the self-signed default, SNI map,
 * ticket keys), an OpenSSL client over lib/tcp on the client host (as
 * test_tls_tcp does) and the plain wire client. Checks: a GET over TLS with
 * SNI is proxied with X-Forwarded-Proto: https and X-Forwarded-Port: 443
 * and answered with HSTS; a 64 KiB body both ways over TLS; a plain
 * request for a host with a certificate gets 308 to https (not for a host
 * without one, nor on a route with ssl_redirect off); a Host naming
 * another certificate than the SNI gets 421; strict_sni refuses an
 * unknown name (counted); resumption with the ticket of the first
 * connection (counted); a new view published while a session is open
 * (live certificate reload): the session keeps its certificate and HSTS,
 * new ones get the new. Abuse (proxy_tls_hs.c): handshake steps run at
 * most tls_handshakes_per_poll per poll loop, several clients at once all
 * served; half-open handshakes over tls_handshakes_max refused, the others
 * reset after tls_handshake_timeout; garbage and bad lengths instead of a
 * ClientHello counted as such; a KeyUpdate flood resets the connection,
 * a few KeyUpdates do not. No session or mbuf left.
 */
#include <stdlib.h>

#include "proxy_wire_harness.h"
#include "tls_harness.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define ORIGIN WIRE_IP(198, 18, 0, 11)

static const char conf_text[] = "interface wire0 { address 198.18.0.1/24; }\n"
				"listen 198.18.0.1:80;\n"
				"listen 198.18.0.1:443 tls;\n"
				"upstream origin { server 198.18.0.11:8000; }\n"
				"route prefix /acme/ { upstream origin; ssl_redirect off; }\n"
				"route prefix / { upstream origin; }\n";

static char big_response[80 * 1024];
/* a test's own config (NULL: conf_text) */
static const char *conf_override;

/* What app/fanout/tls.c builds, for one worker. */
struct tls_setup {
	struct fo_tls_worker *w;
	struct fo_tls_cert *certs[3]; /* a.test + *.w.test, b.test, the default */
	struct fo_tls_ctx *ctxs[3];
	struct fo_tls_sni sni;
	struct fo_tls_sni_map map;
	struct fo_tls_keys keys;
	struct fo_proxy_tls ptls;
};

static void
tls_setup(struct tls_setup *t, int strict)
{
	static const char *const names[] = {"a.test", "*.w.test", "b.test"};
	static const uint32_t idx[] = {0, 0, 1};
	time_t now = time(NULL);
	char err[256];
	unsigned i;

	memset(t, 0, sizeof(*t));
	t->w = fo_tls_worker_create();
	assert_non_null(t->w);
	t->certs[0] = fo_tls_cert_selfsigned("a.test", now, 1, err, sizeof(err));
	t->certs[1] = fo_tls_cert_selfsigned("b.test", now, 1, err, sizeof(err));
	t->certs[2] = fo_tls_cert_selfsigned("fanout-default.invalid", now, 1, err, sizeof(err));
	fo_tls_keys_publish(&t->keys, fo_tls_keyset_new());
	for (i = 0; i < 3; i++) {
		assert_non_null(t->certs[i]);
		t->ctxs[i] =
			fo_tls_ctx_create(t->w, &t->certs[i], 1, NULL, &t->keys, err, sizeof(err));
		assert_non_null(t->ctxs[i]);
	}
	assert_int_equal(fo_tls_sni_build(&t->sni, names, idx, 3, 2, strict, err, sizeof(err)), 0);
	t->map.sni = &t->sni;
	t->map.ctxs = t->ctxs;
	t->map.n_ctxs = 3;
	assert_int_equal(fo_tls_ctx_set_sni(t->ctxs[2], &t->map), 0);
	t->ptls.entry = t->ctxs[2];
	t->ptls.sni = &t->sni;
	t->ptls.hsts = FO_CONF_HSTS_DEFAULT;
	t->ptls.ssl_redirect = 1;
}

static void
tls_teardown(struct tls_setup *t)
{
	unsigned i;

	for (i = 0; i < 3; i++) {
		fo_tls_ctx_free(t->ctxs[i]);
		fo_tls_cert_free(t->certs[i]);
	}
	fo_tls_sni_release(&t->sni);
	fo_tls_keyset_free(fo_tls_keys_publish(&t->keys, NULL));
	fo_tls_worker_free(t->w);
}

/* An OpenSSL client over lib/tcp (one request, the response collected). */
struct tcli {
	struct fo_tcp_conn *c;
	struct fo_tls_io io;
	struct rte_mbuf *pending;
	SSL *ssl;
	int established, hs_done, hs_failed, closed;
	const char *req;
	size_t req_len, sent;
	char *rx;
	size_t rx_len, rx_cap;
	/* the records fanout sent, as they came off TCP: wire sizes in order */
	uint8_t rec_hdr[5];
	uint32_t rec_hdr_have, rec_left, n_rec;
	uint32_t rec_size[512];
	unsigned pause; /* poll rounds without reading, once the request is sent */
};

/* tls_request(): rounds each client leaves its data unread once its request is sent */
static unsigned tcli_pause;

/* Follow the record layer of what fanout sent (5-byte headers, then bodies). */
static void
tcli_scan(struct tcli *t, const struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t n = m->data_len, k;

		while (n != 0) {
			if (t->rec_left != 0) {
				k = RTE_MIN(n, t->rec_left);
				t->rec_left -= k;
			} else {
				k = RTE_MIN(n, 5 - t->rec_hdr_have);
				memcpy(t->rec_hdr + t->rec_hdr_have, p, k);
				t->rec_hdr_have += k;
				if (t->rec_hdr_have == 5) {
					t->rec_left = (uint32_t)t->rec_hdr[3] << 8 | t->rec_hdr[4];
					if (t->n_rec < 512)
						t->rec_size[t->n_rec] = 5 + t->rec_left;
					t->n_rec++;
					t->rec_hdr_have = 0;
				}
			}
			p += k;
			n -= k;
		}
	}
}

static void
tcli_connected(struct fo_tcp_conn *c, void *user)
{
	(void)c;
	((struct tcli *)user)->established = 1;
}

static void
tcli_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct tcli *t = user;

	(void)c, (void)why;
	t->closed = 1;
	t->c = NULL;
}

static const struct fo_tcp_ops tcli_ops = {.connected = tcli_connected, .closed = tcli_closed};

static unsigned
tcli_io(struct tcli *t)
{
	unsigned work = 0;
	struct rte_mbuf *m;
	uint32_t len;
	ssize_t n;

	n = -EAGAIN;
	if (t->pause != 0 && t->hs_done && t->sent == t->req_len)
		t->pause--; /* a slow reader: fanout's send side backs up */
	else
		while (t->c != NULL && (n = fo_tcp_recv(t->c, &m, 1u << 20)) > 0) {
			tcli_scan(t, m);
			fo_tls_io_rx_append(&t->io, m);
			work++;
		}
	if (t->c != NULL && n == 0 && !t->io.rx_eof) {
		fo_tls_io_rx_eof(&t->io);
		work++;
	}
	while (t->c != NULL) {
		if (t->pending == NULL)
			t->pending = fo_tls_io_tx_take(&t->io, &len);
		if (t->pending == NULL || fo_tcp_send(t->c, t->pending) < 0)
			break;
		t->pending = NULL;
		work++;
	}
	return work;
}

static unsigned
tcli_poll(struct wire_host *h, void *arg)
{
	struct tcli *t = arg;
	unsigned work;
	int rc;

	(void)h;
	if (!t->established || t->hs_failed)
		return 0;
	work = tcli_io(t);
	if (!t->hs_done) {
		rc = SSL_do_handshake(t->ssl);
		if (rc == 1) {
			t->hs_done = 1;
		} else {
			int e = SSL_get_error(t->ssl, rc);

			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				t->hs_failed = 1;
		}
	}
	while (t->hs_done && t->sent < t->req_len) {
		rc = SSL_write(t->ssl, t->req + t->sent, (int)(t->req_len - t->sent));
		if (rc <= 0)
			break;
		t->sent += (size_t)rc;
		work++;
	}
	while (t->hs_done && t->rx_len < t->rx_cap &&
		(rc = SSL_read(t->ssl, t->rx + t->rx_len, (int)(t->rx_cap - t->rx_len))) > 0) {
		t->rx_len += (size_t)rc;
		work++;
	}
	return work + tcli_io(t);
}

struct fix {
	struct pxw x;
	struct wire_host *oh;
	struct wire_origin o;
	struct tls_setup t;
	SSL_CTX *cctx;
	struct wire_client cl;
	int cl_open;
};

/* The plain client's connection aborted (no callback into it after this), then freed. */
static void
plain_close(struct fix *f)
{
	unsigned i;

	for (i = 0; i < f->cl.n; i++) {
		if (f->cl.conns[i].c != NULL) {
			fo_tcp_abort(f->cl.conns[i].c);
			f->cl.conns[i].c = NULL;
		}
	}
	wire_client_free(&f->cl);
	f->cl_open = 0;
}

static void
free_clients(struct pxw *x)
{
	struct fix *f = (struct fix *)x;

	if (f->cl_open)
		plain_close(f);
}

static void
free_origins(struct pxw *x)
{
	struct fix *f = (struct fix *)x;

	wire_origin_free(&f->o);
}

static void
fix_init(struct fix *f, int strict, const char *response)
{
	memset(f, 0, sizeof(*f));
	pxw_init(&f->x, "tls.conf", conf_override != NULL ? conf_override : conf_text, CLIENT,
		FANOUT);
	f->oh = wire_host_add(&f->x.w, ORIGIN, NULL);
	assert_non_null(f->oh);
	assert_int_equal(wire_origin_start(&f->o, f->oh, 8000, response), 0);
	pxw_start(&f->x, 64);
	tls_setup(&f->t, strict);
	assert_int_equal(fo_proxy_worker_tls(f->x.pw, &f->t.ptls), 0);
	f->cctx = th_client_ctx(NULL, 0);
}

static void
fix_fini(struct fix *f)
{
	pxw_fini(&f->x, 200000, free_clients, free_origins);
	tls_teardown(&f->t);
	SSL_CTX_free(f->cctx);
}

/* Run the wire until @p t has a whole response (or failed, or closed). */
static void
tls_wait(struct fix *f, struct tcli *t)
{
	unsigned rounds = 0;

	while (rounds++ < 200000 && !t->hs_failed && !t->closed &&
		(t->rx_len == 0 || strstr(t->rx, "\r\n\r\n") == NULL ||
			t->rx_len < (size_t)(strstr(t->rx, "\r\n\r\n") - t->rx) + 4 +
					    (strstr(t->rx, "Content-Length: ") != NULL
							    ? strtoul(strstr(t->rx,
									      "Content-Length: ") +
									      16,
								      NULL, 10)
							    : 0))) {
		if (wire_step(&f->x.w) == 0)
			wire_advance(&f->x.w, 1);
	}
}

/* One request over TLS with @p sni; the response (up to @p cap bytes) in t->rx. */
static void
tls_request(struct fix *f, struct tcli *t, const char *sni, const char *req, size_t req_len,
	size_t cap, SSL_SESSION *resume)
{
	memset(t, 0, sizeof(*t));
	t->rx = calloc(1, cap + 1);
	t->rx_cap = cap;
	t->req = req;
	t->req_len = req_len;
	t->pause = tcli_pause;
	fo_tls_io_init(&t->io, f->x.w.mp, 0);
	t->ssl = th_client(f->cctx, &t->io, sni);
	if (resume != NULL)
		SSL_set_session(t->ssl, resume);
	f->x.ch->poll = tcli_poll;
	f->x.ch->poll_arg = t;
	t->c = fo_tcp_connect(f->x.ch->tw, CLIENT, FANOUT, 443, &tcli_ops, t);
	assert_non_null(t->c);
	tls_wait(f, t);
}

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
	tls_wait(f, t);
}

static void
tcli_close(struct fix *f, struct tcli *t)
{
	if (t->hs_done && t->c != NULL) {
		/* close_notify, as a browser closing a tab */
		SSL_shutdown(t->ssl);
		tcli_io(t);
		wire_run(&f->x.w, 100000);
	}
	f->x.ch->poll = NULL;
	if (t->c != NULL)
		fo_tcp_close(t->c);
	t->c = NULL;
	SSL_free(t->ssl);
	fo_tls_io_release(&t->io);
	rte_pktmbuf_free(t->pending);
	free(t->rx);
	wire_run(&f->x.w, 100000);
}

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

static void
test_get_over_tls(void **state)
{
	static const char req[] = "GET /x?y=1 HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f = calloc(1, sizeof(*f));
	const struct fo_proxy_stats *st;
	SSL_SESSION *sess;
	struct tcli t;

	(void)state;
	fix_init(f, 0, ok_response);
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
	fix_fini(f);
	free(f);
}

static void
test_bodies(void **state)
{
	static char req[70 * 1024];
	struct fix *f = calloc(1, sizeof(*f));
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
	fix_init(f, 0, big_response);
	tls_request(f, &t, "a.test", req, (size_t)n + 6000, 70 * 1024, NULL);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	assert_int_equal(t.rx_len, (size_t)(strstr(t.rx, "\r\n\r\n") - t.rx) + 4 + 65536);
	assert_int_equal(f->o.last_body_len, 6000);
	assert_int_equal(f->o.last_body[5999], 'q');
	tcli_close(f, &t);
	fix_fini(f);
	free(f);
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
	struct fix *f = calloc(1, sizeof(*f));
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
	fix_init(f, 0, resp);
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
	fix_fini(f);
	free(f);
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
	struct fix *f = calloc(1, sizeof(*f));
	const char *rx;

	(void)state;
	fix_init(f, 0, ok_response);
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
	fix_fini(f);
	free(f);
}

static void
test_strict_sni(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f = calloc(1, sizeof(*f));
	struct tcli t;

	(void)state;
	fix_init(f, 1, ok_response);
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
	fix_fini(f);
	free(f);
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
	struct fix *f = calloc(1, sizeof(*f));
	struct tls_setup *nt = calloc(1, sizeof(*nt));
	struct tcli old, t;

	(void)state;
	fix_init(f, 0, ok_response);
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
	fix_fini(f);
	tls_teardown(nt);
	free(nt);
	free(f);
}

/* ---- abuse: proxy_tls_hs.c ---- */

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
	n = fo_proxy_poll(pc->pw);
	pc->polls++;
	now = fo_proxy_stats(pc->pw)->tls_handshake_steps;
	if (now - pc->last > pc->max_steps)
		pc->max_steps = now - pc->last;
	pc->last = now;
	return n;
}

static void
test_handshake_queue(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f = calloc(1, sizeof(*f));
	struct tcli t[3];
	struct tmany m = {t, 3};
	struct poll_count pc;
	const struct fo_proxy_stats *st;
	unsigned i, rounds = 0, done;

	(void)state;
	conf_override = abuse_conf;
	fix_init(f, 0, ok_response);
	conf_override = NULL;
	pc = (struct poll_count){.pw = f->x.pw};
	f->x.fh->poll = counting_poll;
	f->x.fh->poll_arg = &pc;
	memset(t, 0, sizeof(t));
	for (i = 0; i < 3; i++) {
		t[i].rx = calloc(1, 4097);
		t[i].rx_cap = 4096;
		t[i].req = req;
		t[i].req_len = sizeof(req) - 1;
		fo_tls_io_init(&t[i].io, f->x.w.mp, 0);
		t[i].ssl = th_client(f->cctx, &t[i].io, "a.test");
		t[i].c = fo_tcp_connect(f->x.ch->tw, CLIENT, FANOUT, 443, &tcli_ops, &t[i]);
		assert_non_null(t[i].c);
	}
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
	assert_true(st->tls_handshake_steps >= 6); /* ClientHello, then Finished, each */
	assert_int_equal(st->tls_handshaking, 0);
	for (i = 0; i < 3; i++) {
		f->x.ch->poll = tcli_poll; /* one client at a time from here */
		f->x.ch->poll_arg = &t[i];
		tcli_close(f, &t[i]);
	}
	f->x.fh->poll = pxw_poll;
	f->x.fh->poll_arg = f->x.pw;
	fix_fini(f);
	free(f);
}

static void
test_handshake_bound_timeout(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
	struct fix *f = calloc(1, sizeof(*f));
	const struct fo_proxy_stats *st;
	struct tcli t;
	unsigned i;

	(void)state;
	conf_override = abuse_conf;
	fix_init(f, 0, ok_response);
	conf_override = NULL;
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
	fix_fini(f);
	free(f);
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
	struct fix *f = calloc(1, sizeof(*f));
	const struct fo_proxy_stats *st;
	unsigned i;

	(void)state;
	fix_init(f, 0, ok_response);
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
	assert_int_equal(st->tls_handshakes, 0);
	assert_int_equal(st->tls_handshaking, 0);
	assert_int_equal(st->sessions, 0);
	fix_fini(f);
	free(f);
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
	struct fix *f = calloc(1, sizeof(*f));
	const struct fo_proxy_stats *st;
	struct tcli t;

	(void)state;
	fix_init(f, 0, ok_response);
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
	fix_fini(f);
	free(f);
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
		cmocka_unit_test(test_handshake_queue),
		cmocka_unit_test(test_handshake_bound_timeout),
		cmocka_unit_test(test_bad_hello),
		cmocka_unit_test(test_key_update_flood),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
