/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tls private definitions (OpenSSL 3.0 side), shared by:
 *   tls_bio.c     the BIO_METHOD over an mbuf receive chain and send queue
 *   tls_ctx.c     per-worker library contexts, server contexts, connections
 *   tls_cert.c    PEM loading, validation, self-signed default
 *   tls_ticket.c  ticket key sets and the ticket callback
 *   tls_sni.c     name -> context table
 *   tls_hello.c   ClientHello parser (no OpenSSL)
 *   tls_kex.c     the built-in provider whose X25519 key generation pauses
 * Tests and benchmarks include it to build client SSLs over the same BIO.
 */
#ifndef TLS_PRIV_H
#define TLS_PRIV_H

#include <openssl/async.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "fo_tls.h"

struct fo_tls_worker {
	OSSL_LIB_CTX *libctx;
	EVP_CIPHER *ticket_cipher; /* AES-256-CBC, fetched once */
	OSSL_PROVIDER *prov_default;
	OSSL_PROVIDER *prov_kex; /* "fanout-kex" (tls_kex.c), NULL if it failed to load */
};

/* The property of tls_kex.c's algorithms, and the query contexts are
 * created with: prefer them, fall back to the default provider. */
#define TLS_KEX_PROPERTY "fanout.kex=yes"
#define TLS_KEX_PROPQ "?" TLS_KEX_PROPERTY

struct fo_tls_cert {
	X509 *leaf;
	STACK_OF(X509) * chain; /* intermediates, leaf excluded */
	EVP_PKEY *key;
	enum fo_tls_key_type type;
	char **names;
	unsigned n_names;
	time_t not_after;
};

struct fo_tls_ctx {
	SSL_CTX *ssl;
	struct fo_tls_worker *w;
	struct fo_tls_keys *keys;
	struct fo_tls_sni_map *sni; /* on a listener's entry context, or NULL */
	uint8_t alpn[64];           /* ALPN protocol list, wire format */
	uint8_t alpn_len;
	/* its handshakes (the owning worker writes, the control thread reads):
	 * a cache line of their own, the struct allocated aligned */
	struct fo_tls_hs_count hs __attribute__((aligned(64)));
};

/*
 * A new BIO over @p io (not owned: the BIO never frees the mbufs itself,
 * fo_tls_io_release() does). NULL when out of memory.
 */
BIO *tls_bio_new(struct fo_tls_io *io);

/* The fo_tls_io under @p s (its read BIO's), or NULL (tls_bio.c). */
struct fo_tls_io *tls_bio_io(SSL *s);

/* The fo_tls_ctx of the context @p s uses now (tls_ctx.c). */
struct fo_tls_ctx *tls_ctx_of(SSL *s);

/* Install the ticket callback on @p ctx (tls_ticket.c). */
int tls_ticket_install(struct fo_tls_ctx *ctx);

/*
 * The connection whose fo_tls_handshake() call runs on this thread now, if
 * its handshake is split (else NULL): tls_kex.c's key generation pauses it.
 */
extern __thread struct fo_tls_io *tls_kex_io;

/*
 * A stop between two pieces of @p io's split handshake (conn_msg_cb() in
 * tls_ctx.c, the key generation in tls_kex.c): pause the handshake's
 * ASYNC_JOB, which the next SSL_do_handshake() resumes right here. Only
 * when split and inside the job.
 */
static inline void
tls_hs_pause(struct fo_tls_io *io)
{
	if (io != NULL && io->hs_split && ASYNC_get_current_job() != NULL) {
		io->hs_pauses++;
		(void)ASYNC_pause_job();
	}
}

/* fo_tls_worker_create(); @p kex 0: without tls_kex.c's provider (tests:
 * what a worker whose provider failed to load does). */
struct fo_tls_worker *tls_worker_create(int kex);

/* Load "fanout-kex" into @p w's library context, where the default
 * provider is loaded already: 0; -ENOENT when it failed to load
 * (w->prov_kex NULL); -ENOMEM. */
int tls_kex_load(struct fo_tls_worker *w);

/* Unload "fanout-kex" and the default provider. */
void tls_kex_unload(struct fo_tls_worker *w);

/* Write "prefix: message (OpenSSL reason)" into err. */
void tls_err(char *err, size_t errlen, const char *prefix, const char *msg);

#endif /* TLS_PRIV_H */
