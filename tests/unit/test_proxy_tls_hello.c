/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy's TLS listener and the ClientHello (proxy_tls.c, note_sni()):
 * fanout's proxy worker with a TLS listener on the in-process wire and an
 * OpenSSL client over lib/tcp. The ClientHello is read whole (all its
 * records) before the handshake takes a byte of it, so its name is known
 * for 421 whatever the segments and records:
 *  - a ClientHello over 16 KiB (a 20,000-byte extension, as large
 *    post-quantum key shares), which OpenSSL writes in two records: the
 *    handshake completes, the request is served, counted as fragmented;
 *  - a client that fragments its ClientHello at record level (max send
 *    fragment 512: five records);
 *  - a ClientHello arriving in 100-byte segments: its name still picks
 *    the certificate for 421 (a Host of another certificate is refused),
 *    as in one segment;
 *  - a ClientHello over FO_TLS_HELLO_MAX: refused, counted.
 * No session or mbuf left.
 */
#include <stdlib.h>

#include "proxy_wire_harness.h"
#include "tls_harness.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define ORIGIN WIRE_IP(198, 18, 0, 11)

static const char conf_text[] = "interface wire0 { address 198.18.0.1/24; }\n"
				"listen 198.18.0.1:443 tls;\n"
				"upstream origin { server 198.18.0.11:8000; }\n"
				"route prefix / { upstream origin; }\n";

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* What app/fanout/tls.c builds, for one worker: a.test, b.test, the default. */
struct tls_setup {
	struct fo_tls_worker *w;
	struct fo_tls_cert *certs[3];
	struct fo_tls_ctx *ctxs[3];
	struct fo_tls_sni sni;
	struct fo_tls_sni_map map;
	struct fo_tls_keys keys;
	struct fo_proxy_tls ptls;
};

static void
tls_setup(struct tls_setup *t)
{
	static const char *const names[] = {"a.test", "b.test"};
	static const uint32_t idx[] = {0, 1};
	static const char *const cns[] = {"a.test", "b.test", "fanout-default.invalid"};
	time_t now = time(NULL);
	char err[256];

	memset(t, 0, sizeof(*t));
	t->w = fo_tls_worker_create();
	assert_non_null(t->w);
	fo_tls_keys_publish(&t->keys, fo_tls_keyset_new());
	for (unsigned i = 0; i < 3; i++) {
		t->certs[i] = fo_tls_cert_selfsigned(cns[i], now, 1, err, sizeof(err));
		assert_non_null(t->certs[i]);
		t->ctxs[i] =
			fo_tls_ctx_create(t->w, &t->certs[i], 1, NULL, &t->keys, err, sizeof(err));
		assert_non_null(t->ctxs[i]);
	}
	assert_int_equal(fo_tls_sni_build(&t->sni, names, idx, 2, 2, 0, err, sizeof(err)), 0);
	t->map.sni = &t->sni;
	t->map.ctxs = t->ctxs;
	t->map.n_ctxs = 3;
	assert_int_equal(fo_tls_ctx_set_sni(t->ctxs[2], &t->map), 0);
	t->ptls.entry = t->ctxs[2];
	t->ptls.sni = &t->sni;
	t->ptls.ssl_redirect = 1;
}

static void
tls_teardown(struct tls_setup *t)
{
	for (unsigned i = 0; i < 3; i++) {
		fo_tls_ctx_free(t->ctxs[i]);
		fo_tls_cert_free(t->certs[i]);
	}
	fo_tls_sni_release(&t->sni);
	fo_tls_keyset_free(fo_tls_keys_publish(&t->keys, NULL));
	fo_tls_worker_free(t->w);
}

/* An OpenSSL client over lib/tcp: one request, the response collected. */
struct tcli {
	struct fo_tcp_conn *c;
	struct fo_tls_io io;
	struct rte_mbuf *pending;
	SSL *ssl;
	int established, hs_done, hs_failed, closed;
	const char *req;
	size_t req_len, sent;
	char rx[4096];
	size_t rx_len;
	uint32_t seg; /* 0: send what is queued at once; else at most this much per round */
};

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
	ssize_t n = -EAGAIN;

	while (t->c != NULL && (n = fo_tcp_recv(t->c, &m, 1u << 20)) > 0) {
		fo_tls_io_rx_append(&t->io, m);
		work++;
	}
	if (t->c != NULL && n == 0 && !t->io.rx_eof) {
		fo_tls_io_rx_eof(&t->io);
		work++;
	}
	while (t->c != NULL) {
		if (t->pending == NULL && (m = fo_tls_io_tx_take(&t->io, &len)) != NULL)
			t->pending = m;
		if (t->pending == NULL)
			break;
		m = t->seg != 0 ? fo_mbuf_chain_cut(&t->pending, t->seg) : t->pending;
		if (t->seg == 0)
			t->pending = NULL;
		if (fo_tcp_send(t->c, m) < 0) {
			t->pending = fo_mbuf_chain_join(m, t->pending);
			break;
		}
		work++;
		if (t->seg != 0)
			break; /* one segment per round: the wire runs in between */
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
	while (t->hs_done && t->rx_len + 1 < sizeof(t->rx) &&
		(rc = SSL_read(t->ssl, t->rx + t->rx_len, (int)(sizeof(t->rx) - 1 - t->rx_len))) >
			0) {
		t->rx_len += (size_t)rc;
		work++;
	}
	return work + tcli_io(t) + (t->pending != NULL);
}

struct fix {
	struct pxw x;
	struct wire_host *oh;
	struct wire_origin o;
	struct tls_setup t;
};

static void
free_none(struct pxw *x)
{
	(void)x;
}

static void
free_origins(struct pxw *x)
{
	wire_origin_free(&((struct fix *)x)->o);
}

static void
fix_init(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	pxw_init(&f->x, "tls.conf", conf_text, CLIENT, FANOUT);
	f->oh = wire_host_add(&f->x.w, ORIGIN, NULL);
	assert_non_null(f->oh);
	assert_int_equal(wire_origin_start(&f->o, f->oh, 8000, ok_response), 0);
	pxw_start(&f->x, 64);
	tls_setup(&f->t);
	assert_int_equal(fo_proxy_worker_tls(f->x.pw, &f->t.ptls), 0);
}

static void
fix_fini(struct fix *f)
{
	const struct fo_proxy_stats *st = fo_proxy_stats(f->x.pw);

	assert_int_equal(st->sessions, 0);
	assert_int_equal(st->tls_handshaking, 0);
	pxw_fini(&f->x, 200000, free_none, free_origins);
	tls_teardown(&f->t);
}

/* One request with @p sni over a client of @p cctx, its hello sent in @p seg-byte segments. */
static void
request(struct fix *f, struct tcli *t, SSL_CTX *cctx, const char *sni, const char *host,
	uint32_t seg)
{
	unsigned rounds = 0;

	memset(t, 0, sizeof(*t));
	t->req_len = (size_t)snprintf(
		(char *)t->rx, sizeof(t->rx), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host);
	t->req = strdup(t->rx);
	memset(t->rx, 0, sizeof(t->rx));
	t->seg = seg;
	fo_tls_io_init(&t->io, f->x.w.mp, 0);
	t->ssl = th_client(cctx, &t->io, sni);
	f->x.ch->poll = tcli_poll;
	f->x.ch->poll_arg = t;
	t->c = fo_tcp_connect(f->x.ch->tw, CLIENT, FANOUT, 443, &tcli_ops, t);
	assert_non_null(t->c);
	while (rounds++ < 400000 && !t->hs_failed && !t->closed &&
		strstr(t->rx, "\r\n\r\n") == NULL)
		if (wire_step(&f->x.w) == 0)
			wire_advance(&f->x.w, 1);
	/* the body of the 2-byte responses (ok) or of an error page: a few more rounds */
	wire_run(&f->x.w, 1000);
}

static void
tcli_close(struct fix *f, struct tcli *t)
{
	if (t->hs_done && t->c != NULL) {
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
	free((char *)t->req);
	wire_advance(&f->x.w, 1000);
	wire_run(&f->x.w, 100000);
}

static unsigned char big_ext[65000];
static size_t big_ext_len;

static int
big_add(SSL *s, unsigned int type, unsigned int ctx, const unsigned char **out, size_t *outlen,
	X509 *x, size_t chainidx, int *al, void *arg)
{
	(void)s, (void)type, (void)ctx, (void)x, (void)chainidx, (void)al, (void)arg;
	*out = big_ext;
	*outlen = big_ext_len;
	return 1;
}

/* A client context whose ClientHello carries an extension of big_ext_len bytes. */
static SSL_CTX *
big_ctx(void)
{
	SSL_CTX *c = th_client_ctx(NULL, 0);

	assert_int_equal(SSL_CTX_add_custom_ext(
				 c, 0x1234, SSL_EXT_CLIENT_HELLO, big_add, NULL, NULL, NULL, NULL),
		1);
	return c;
}

static void
test_big_hello(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	const struct fo_proxy_stats *st;
	SSL_CTX *cctx;
	struct tcli t;

	(void)state;
	fix_init(f);
	big_ext_len = 20000; /* over 16 KiB: OpenSSL writes the ClientHello in two records */
	cctx = big_ctx();
	request(f, &t, cctx, "a.test", "a.test", 0);
	assert_true(t.hs_done);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	tcli_close(f, &t);
	/* its name counts: a Host of another certificate is misdirected */
	request(f, &t, cctx, "a.test", "b.test", 0);
	assert_non_null(strstr(t.rx, "HTTP/1.1 421 "));
	tcli_close(f, &t);
	SSL_CTX_free(cctx);

	/* a client that fragments at record level: 512-byte records */
	big_ext_len = 2000;
	cctx = big_ctx();
	assert_int_equal(SSL_CTX_set_max_send_fragment(cctx, 512), 1);
	request(f, &t, cctx, "b.test", "a.test", 0);
	assert_true(t.hs_done);
	assert_non_null(strstr(t.rx, "HTTP/1.1 421 "));
	tcli_close(f, &t);
	SSL_CTX_free(cctx);

	st = fo_proxy_stats(f->x.pw);
	assert_int_equal(st->tls_handshakes, 3);
	assert_int_equal(st->tls_hello_fragmented, 3);
	assert_int_equal(st->tls_misdirected, 2);
	assert_int_equal(st->tls_failed_hello, 0);
	fix_fini(f);
	free(f);
}

static void
test_segments(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	const struct fo_proxy_stats *st;
	SSL_CTX *cctx = th_client_ctx(NULL, 0);
	struct tcli t;

	(void)state;
	fix_init(f);
	/* the hello in 100-byte segments: its name is still read (421), the handshake done */
	request(f, &t, cctx, "a.test", "b.test", 7);
	assert_true(t.hs_done);
	assert_non_null(strstr(t.rx, "HTTP/1.1 421 "));
	tcli_close(f, &t);
	request(f, &t, cctx, "b.test", "b.test", 100);
	assert_true(t.hs_done);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	tcli_close(f, &t);
	st = fo_proxy_stats(f->x.pw);
	assert_int_equal(st->tls_handshakes, 2);
	assert_int_equal(st->tls_misdirected, 1);
	assert_int_equal(st->tls_hello_fragmented, 0);
	SSL_CTX_free(cctx);
	fix_fini(f);
	free(f);
}

static void
test_oversized(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	const struct fo_proxy_stats *st;
	SSL_CTX *cctx;
	struct tcli t;

	(void)state;
	fix_init(f);
	/* 65 KB of extensions in 512-byte records: over FO_TLS_HELLO_MAX on the wire */
	big_ext_len = 65000;
	cctx = big_ctx();
	assert_int_equal(SSL_CTX_set_max_send_fragment(cctx, 512), 1);
	request(f, &t, cctx, "a.test", "a.test", 0);
	assert_false(t.hs_done);
	assert_true(t.closed || t.hs_failed);
	tcli_close(f, &t);
	SSL_CTX_free(cctx);
	st = fo_proxy_stats(f->x.pw);
	assert_int_equal(st->tls_handshakes, 0);
	assert_int_equal(st->tls_hello_oversized, 1);
	assert_int_equal(st->tls_failed_hello, 1);
	fix_fini(f);
	free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_hello),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_oversized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
