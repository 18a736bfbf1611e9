/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for lib/tls tests and its benchmark: keys and certificates made
 * in memory (and written as PEM files), client contexts, and a "wire" that
 * carries the send queue of one fo_tls_io into the receive chain of another,
 * re-cut into segments of chosen sizes (as TCP segments would arrive).
 * The wire's own copies (re-segmenting) are counted apart from the BIO's.
 */
#ifndef TLS_HARNESS_H
#define TLS_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <rte_mbuf.h>

#include "fo_tls.h"
#include "tls_priv.h"

/* A fresh key: "EC" (P-256) or "RSA" (2048). */
static inline EVP_PKEY *
th_key(const char *type)
{
	if (strcmp(type, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/*
 * A certificate for @p key: subject CN @p cn, SAN DNS @p sans (comma list,
 * NULL: no SAN), valid from now+nb to now+na seconds, signed by
 * (@p ca, @p ca_key), or self-signed when @p ca is NULL.
 */
static inline X509 *
th_cert(EVP_PKEY *key, const char *cn, const char *sans, long nb, long na, X509 *ca,
	EVP_PKEY *ca_key, int is_ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	static long serial = 1000;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), nb);
	X509_gmtime_adj(X509_getm_notAfter(x), na);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, ca != NULL ? X509_get_subject_name(ca) : name);
	X509V3_set_ctx(&v3, ca != NULL ? ca : x, x, NULL, NULL, 0);
	if (sans != NULL) {
		char buf[1024];
		const char *p = sans;
		size_t o = 0;

		while (*p != '\0' && o + 8 < sizeof(buf)) {
			const char *e = strchr(p, ',');
			size_t l = e != NULL ? (size_t)(e - p) : strlen(p);

			o += (size_t)snprintf(
				buf + o, sizeof(buf) - o, "%sDNS:%.*s", o ? "," : "", (int)l, p);
			p += l + (e != NULL);
		}
		ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, buf);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	ext = X509V3_EXT_conf_nid(
		NULL, &v3, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, ca_key != NULL ? ca_key : key, EVP_sha256());
	X509_NAME_free(name);
	return x;
}

/* Write certificates (NULL-terminated) then nothing else to @p path. */
static inline void
th_write_certs(const char *path, X509 *const *certs)
{
	FILE *f = fopen(path, "w");

	for (; *certs != NULL; certs++)
		PEM_write_X509(f, *certs);
	fclose(f);
}

static inline void
th_write_key(const char *path, EVP_PKEY *key)
{
	FILE *f = fopen(path, "w");

	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

/* A client context; @p sigalgs NULL for OpenSSL's default list. */
static inline SSL_CTX *
th_client_ctx(const char *sigalgs, int max_version)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (sigalgs != NULL)
		SSL_CTX_set1_sigalgs_list(c, sigalgs);
	if (max_version != 0)
		SSL_CTX_set_max_proto_version(c, max_version);
	return c;
}

/* A client SSL over @p io, SNI @p sni (NULL: none). */
static inline SSL *
th_client(SSL_CTX *ctx, struct fo_tls_io *io, const char *sni)
{
	SSL *s = SSL_new(ctx);
	BIO *b = tls_bio_new(io);

	SSL_set_bio(s, b, b);
	if (sni != NULL)
		SSL_set_tlsext_host_name(s, sni);
	SSL_set_connect_state(s);
	return s;
}

/* One direction of the wire. seg_max 0: random 1..1460; else fixed size. */
struct th_wire {
	struct rte_mempool *mp;   /* segments delivered */
	struct rte_mbuf *pending; /* taken from the sender, not delivered yet */
	uint32_t pend_off;
	uint32_t seg_min, seg_max;
	uint64_t bytes; /* delivered */
	uint64_t segs;
	uint64_t taken; /* taken from the sender's queue */
	unsigned seed;
};

/* Deterministic PRNG (xorshift) so failures reproduce. */
static inline uint32_t
th_rand(unsigned *s)
{
	uint32_t x = *s ? *s : 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/*
 * Move what @p from queued onto the wire, and deliver up to @p max_segs
 * segments of it to @p to, cut at sizes in [seg_min, seg_max].
 * @return segments delivered.
 */
static inline unsigned
th_wire_step(struct th_wire *w, struct fo_tls_io *from, struct fo_tls_io *to, unsigned max_segs)
{
	uint32_t len;
	struct rte_mbuf *c = fo_tls_io_tx_take(from, &len);
	unsigned n = 0;

	if (c != NULL) {
		struct rte_mbuf *t = w->pending;

		w->taken += len;
		if (t == NULL) {
			w->pending = c;
		} else {
			while (t->next != NULL)
				t = t->next;
			t->next = c;
		}
	}
	while (w->pending != NULL && n < max_segs) {
		uint32_t want = w->seg_min + th_rand(&w->seed) % (w->seg_max - w->seg_min + 1);
		struct rte_mbuf *seg = rte_pktmbuf_alloc(w->mp);
		uint32_t got = 0;

		if (seg == NULL)
			break;
		while (got < want && w->pending != NULL) {
			struct rte_mbuf *p = w->pending;
			uint32_t take = RTE_MIN(want - got, (uint32_t)p->data_len - w->pend_off);

			memcpy(rte_pktmbuf_mtod_offset(seg, char *, got),
				rte_pktmbuf_mtod_offset(p, char *, w->pend_off), take);
			got += take;
			w->pend_off += take;
			if (w->pend_off == p->data_len) {
				w->pending = p->next;
				w->pend_off = 0;
				rte_pktmbuf_free_seg(p);
			}
		}
		seg->data_len = (uint16_t)got;
		seg->pkt_len = got;
		fo_tls_io_rx_append(to, seg);
		w->bytes += got;
		w->segs++;
		n++;
	}
	return n;
}

static inline void
th_wire_release(struct th_wire *w)
{
	while (w->pending != NULL) {
		struct rte_mbuf *p = w->pending;

		w->pending = p->next;
		rte_pktmbuf_free_seg(p);
	}
}

/* A server fo_tls_conn and a client SSL joined by two wires. */
struct th_conn {
	struct fo_tls_io sio, cio;
	struct th_wire c2s, s2c;
	struct fo_tls_conn *srv;
	SSL *cli;
	unsigned pieces;   /* server handshake calls that returned -EINPROGRESS */
	unsigned early_tx; /* ... with bytes in its send queue (a flight cut short) */
};

static inline void
th_conn_open(struct th_conn *t, struct rte_mempool *mp, struct fo_tls_ctx *ctx, SSL_CTX *cctx,
	const char *sni, SSL_SESSION *sess)
{
	memset(t, 0, sizeof(*t));
	fo_tls_io_init(&t->sio, mp, 0);
	fo_tls_io_init(&t->cio, mp, 0);
	t->c2s = (struct th_wire){.mp = mp, .seg_min = 1, .seg_max = 1460, .seed = 3};
	t->s2c = (struct th_wire){.mp = mp, .seg_min = 1, .seg_max = 1460, .seed = 5};
	t->srv = fo_tls_conn_new(ctx, &t->sio);
	t->cli = th_client(cctx, &t->cio, sni);
	if (sess != NULL)
		SSL_set_session(t->cli, sess);
}

static inline void
th_conn_step(struct th_conn *t)
{
	th_wire_step(&t->c2s, &t->cio, &t->sio, 1u << 20);
	th_wire_step(&t->s2c, &t->sio, &t->cio, 1u << 20);
}

/*
 * Run both handshakes to their end.
 * @return 0 when both completed; the server's error (-EPROTO...) when it
 *         failed; -1000 when only the client failed; -1001 when stuck.
 */
static inline int
th_conn_handshake(struct th_conn *t)
{
	int sdone = 0, cdone = 0, i;

	for (i = 0; i < 100 && !(sdone && cdone); i++) {
		if (!sdone) {
			int rc = fo_tls_handshake(t->srv);

			if (rc == -EINPROGRESS) {
				/* a piece (fo_tls_conn_split()): again, no input needed */
				t->pieces++;
				t->early_tx += t->sio.tx_len != 0;
				continue;
			}
			if (rc == 0)
				sdone = 1;
			else if (rc != -EAGAIN) {
				th_conn_step(t); /* the alert reaches the client */
				return rc;
			}
		}
		if (!cdone) {
			int rc = SSL_do_handshake(t->cli);

			if (rc == 1)
				cdone = 1;
			else if (SSL_get_error(t->cli, rc) != SSL_ERROR_WANT_READ &&
				 SSL_get_error(t->cli, rc) != SSL_ERROR_WANT_WRITE) {
				ERR_clear_error();
				return -1000;
			}
		}
		th_conn_step(t);
	}
	return sdone && cdone ? 0 : -1001;
}

/* Server sends @p n bytes, the client reads them (and, in TLS 1.3, the
 * session tickets sent before them). @return bytes the client got. */
static inline size_t
th_conn_pingpong(struct th_conn *t, size_t n)
{
	static const char msg[4096];
	char buf[4096];
	size_t got = 0;
	int i;

	if (fo_tls_write(t->srv, msg, n) != (ssize_t)n)
		return 0;
	for (i = 0; i < 10 && got < n; i++) {
		int rc;

		th_conn_step(t);
		rc = SSL_read(t->cli, buf, sizeof(buf));
		if (rc > 0)
			got += (size_t)rc;
	}
	return got;
}

static inline void
th_conn_close(struct th_conn *t)
{
	/* a client SSL freed without close_notify marks its session not
	 * resumable: the tests reuse sessions of connections they drop */
	SSL_set_shutdown(t->cli, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(t->cli);
	fo_tls_conn_free(t->srv);
	th_wire_release(&t->c2s);
	th_wire_release(&t->s2c);
	fo_tls_io_release(&t->sio);
	fo_tls_io_release(&t->cio);
}

#endif /* TLS_HARNESS_H */
