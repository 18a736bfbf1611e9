/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the lib/proxy TLS listener tests on the in-process wire
 * (test_proxy_tls.c, test_proxy_tls_hs.c; test_proxy_listen.c uses the
 * client only): the TLS contexts built as app/fanout does (two
 * certificates, the self-signed default, SNI map, ticket keys); an OpenSSL
 * client over lib/tcp on the client host (tcli_*: one request, its
 * response collected, the record sizes fanout sent; tcli_prep(),
 * tcli_connect(), tcli_wait() and tcli_end() on any wire); the fixture
 * (struct fix) with fanout's proxy worker on a plain and a TLS listener,
 * one origin, and the plain wire client; tcli_open(), tls_request() and
 * tcli_close() for one request over TLS on it.
 */
#ifndef PROXY_TLS_HARNESS_H
#define PROXY_TLS_HARNESS_H

#include <stdlib.h>

#include "proxy_wire_harness.h"
#include "tls_harness.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define ORIGIN WIRE_IP(198, 18, 0, 11)

/* fanout's config unless a test gives its own: a plain and a TLS listener */
static const char conf_text[] = "interface wire0 { address 198.18.0.1/24; }\n"
				"listen 198.18.0.1:80;\n"
				"listen 198.18.0.1:443 tls;\n"
				"upstream origin { server 198.18.0.11:8000; }\n"
				"route prefix /acme/ { upstream origin; ssl_redirect off; }\n"
				"route prefix / { upstream origin; }\n";

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

static inline void
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

static inline void
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

/* tcli_open(): rounds each client leaves its data unread once its request is sent */
static unsigned tcli_pause;

/* Follow the record layer of what fanout sent (5-byte headers, then bodies). */
static inline void
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

static inline void
tcli_connected(struct fo_tcp_conn *c, void *user)
{
	(void)c;
	((struct tcli *)user)->established = 1;
}

static inline void
tcli_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct tcli *t = user;

	(void)c, (void)why;
	t->closed = 1;
	t->c = NULL;
}

static const struct fo_tcp_ops tcli_ops = {.connected = tcli_connected, .closed = tcli_closed};

static inline unsigned
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

static inline unsigned
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
static inline void
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

static inline void
free_clients(struct pxw *x)
{
	struct fix *f = (struct fix *)x;

	if (f->cl_open)
		plain_close(f);
}

static inline void
free_origins(struct pxw *x)
{
	struct fix *f = (struct fix *)x;

	wire_origin_free(&f->o);
}

/*
 * The wire, fanout with @p conf (NULL: conf_text) and the TLS contexts
 * (@p strict: strict_sni), the origin answering @p response.
 */
static inline void
fix_init(struct fix *f, const char *conf, int strict, const char *response)
{
	memset(f, 0, sizeof(*f));
	pxw_init(&f->x, "tls.conf", conf != NULL ? conf : conf_text, CLIENT, FANOUT);
	f->oh = wire_host_add(&f->x.w, ORIGIN, NULL);
	assert_non_null(f->oh);
	assert_int_equal(wire_origin_start(&f->o, f->oh, 8000, response), 0);
	pxw_start(&f->x, 64);
	tls_setup(&f->t, strict);
	assert_int_equal(fo_proxy_worker_tls(f->x.pw, &f->t.ptls), 0);
	f->cctx = th_client_ctx(NULL, 0);
}

static inline void
fix_fini(struct fix *f)
{
	pxw_fini(&f->x, 200000, free_clients, free_origins);
	tls_teardown(&f->t);
	SSL_CTX_free(f->cctx);
}

/* fix_init() on a new allocation, for fix_free(). */
static inline struct fix *
fix_new(const char *conf, int strict, const char *response)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fix_init(f, conf, strict, response);
	return f;
}

static inline void
fix_free(struct fix *f)
{
	fix_fini(f);
	free(f);
}

/* Run @p w until @p t has a whole response (or failed, or closed). */
static inline void
tcli_wait(struct wire *w, struct tcli *t)
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
		if (wire_step(w) == 0)
			wire_advance(w, 1);
	}
}

/* @p t set to send @p req and keep up to @p cap bytes of what comes back in t->rx. */
static inline void
tcli_prep(struct tcli *t, const char *req, size_t req_len, size_t cap)
{
	memset(t, 0, sizeof(*t));
	t->rx = calloc(1, cap + 1);
	assert_non_null(t->rx);
	t->rx_cap = cap;
	t->req = req;
	t->req_len = req_len;
	t->pause = tcli_pause;
}

/*
 * @p t (tcli_prep()) connects from @p ch to fanout's @p port, its TLS
 * client from @p cctx with @p sni, its records in mbufs of @p w's pool;
 * the wire runs it from a host's poll (tcli_poll()).
 */
static inline void
tcli_connect(struct tcli *t, struct wire *w, struct wire_host *ch, SSL_CTX *cctx, const char *sni,
	uint16_t port)
{
	fo_tls_io_init(&t->io, w->mp, 0);
	t->ssl = th_client(cctx, &t->io, sni);
	t->c = fo_tcp_connect(ch->tw, CLIENT, FANOUT, port, &tcli_ops, t);
	assert_non_null(t->c);
}

/* @p t's connection closed (after a close_notify if its handshake completed), @p t freed. */
static inline void
tcli_end(struct wire *w, struct wire_host *ch, struct tcli *t)
{
	if (t->hs_done && t->c != NULL) {
		/* close_notify, as a browser closing a tab */
		SSL_shutdown(t->ssl);
		tcli_io(t);
		wire_run(w, 100000);
	}
	ch->poll = NULL;
	if (t->c != NULL)
		fo_tcp_close(t->c);
	t->c = NULL;
	SSL_free(t->ssl);
	fo_tls_io_release(&t->io);
	rte_pktmbuf_free(t->pending);
	free(t->rx);
	wire_run(w, 100000);
}

/*
 * @p t connects to fanout's TLS listener with @p sni (and the session
 * @p resume, or NULL), to send @p req and keep up to @p cap bytes of what
 * comes back in t->rx; the wire runs the client from the host's poll.
 */
static inline void
tcli_open(struct fix *f, struct tcli *t, const char *sni, const char *req, size_t req_len,
	size_t cap, SSL_SESSION *resume)
{
	tcli_prep(t, req, req_len, cap);
	tcli_connect(t, &f->x.w, f->x.ch, f->cctx, sni, 443);
	/* before the handshake, which starts once connected */
	if (resume != NULL)
		SSL_set_session(t->ssl, resume);
}

/* One request over TLS with @p sni; the response (up to @p cap bytes) in t->rx. */
static inline void
tls_request(struct fix *f, struct tcli *t, const char *sni, const char *req, size_t req_len,
	size_t cap, SSL_SESSION *resume)
{
	f->x.ch->poll = tcli_poll;
	f->x.ch->poll_arg = t;
	tcli_open(f, t, sni, req, req_len, cap, resume);
	tcli_wait(&f->x.w, t);
}

static inline void
tcli_close(struct fix *f, struct tcli *t)
{
	tcli_end(&f->x.w, f->x.ch, t);
}

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

#endif /* PROXY_TLS_HARNESS_H */
