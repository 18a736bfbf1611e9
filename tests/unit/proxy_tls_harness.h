/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test fixture: fanout's proxy worker with a TLS listener (198.18.0.1:443)
 * on the in-process wire, in front of a wire origin, with the contexts
 * app/fanout builds (a.test, b.test, the self-signed default), and an
 * OpenSSL client over lib/tcp that sends one request, collects the
 * response and follows the records fanout sends (wire sizes, segment
 * starts). Used by test_proxy_tls_hello and test_proxy_tls_records.
 */
#ifndef PROXY_TLS_HARNESS_H
#define PROXY_TLS_HARNESS_H

#include <stdlib.h>

#include "proxy_wire_harness.h"
#include "tls_harness.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define ORIGIN WIRE_IP(198, 18, 0, 11)

static const char pth_conf[] = "interface wire0 { address 198.18.0.1/24; }\n"
			       "listen 198.18.0.1:443 tls;\n"
			       "upstream origin { server 198.18.0.11:8000; }\n"
			       "route prefix / { upstream origin; }\n";

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

static inline void
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

static inline void
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
	char rx[128 * 1024];
	size_t rx_len;
	uint32_t seg; /* 0: send what is queued at once; else at most this much per round */
	/* the records fanout sent, as they came off TCP: wire sizes, and whether each
	 * began a TCP segment (fo_tcp_recv() gives one mbuf per segment) */
	uint8_t rec_hdr[5];
	uint32_t rec_hdr_have, rec_left, n_rec;
	uint32_t rec_size[256];
	uint8_t rec_seg_start[256];
	uint32_t seg_len[1024], n_seg;
};

/* Follow the record layer of what fanout sent (5-byte headers, then bodies). */
static inline void
tcli_scan(struct tcli *t, const struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t n = m->data_len, k;

		if (t->n_seg < 1024)
			t->seg_len[t->n_seg] = m->data_len;
		t->n_seg++;
		while (n != 0) {
			if (t->rec_left != 0) {
				k = RTE_MIN(n, t->rec_left);
				t->rec_left -= k;
			} else {
				if (t->rec_hdr_have == 0 && t->n_rec < 256)
					t->rec_seg_start[t->n_rec] = n == m->data_len;
				k = RTE_MIN(n, 5 - t->rec_hdr_have);
				memcpy(t->rec_hdr + t->rec_hdr_have, p, k);
				t->rec_hdr_have += k;
				if (t->rec_hdr_have == 5) {
					t->rec_left = (uint32_t)t->rec_hdr[3] << 8 | t->rec_hdr[4];
					if (t->n_rec < 256)
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
	ssize_t n = -EAGAIN;

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

static inline void
free_none(struct pxw *x)
{
	(void)x;
}

static inline void
free_origins(struct pxw *x)
{
	wire_origin_free(&((struct fix *)x)->o);
}

static inline void
fix_init(struct fix *f, const char *response)
{
	memset(f, 0, sizeof(*f));
	pxw_init(&f->x, "tls.conf", pth_conf, CLIENT, FANOUT);
	f->oh = wire_host_add(&f->x.w, ORIGIN, NULL);
	assert_non_null(f->oh);
	assert_int_equal(wire_origin_start(&f->o, f->oh, 8000, response), 0);
	pxw_start(&f->x, 64);
	tls_setup(&f->t);
	assert_int_equal(fo_proxy_worker_tls(f->x.pw, &f->t.ptls), 0);
}

static inline void
fix_fini(struct fix *f)
{
	const struct fo_proxy_stats *st = fo_proxy_stats(f->x.pw);

	assert_int_equal(st->sessions, 0);
	assert_int_equal(st->tls_handshaking, 0);
	pxw_fini(&f->x, 200000, free_none, free_origins);
	tls_teardown(&f->t);
}

/* One request with @p sni over a client of @p cctx, its hello sent in @p seg-byte segments. */
static inline void
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

static inline void
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

#endif /* PROXY_TLS_HARNESS_H */
