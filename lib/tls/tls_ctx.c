/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker library contexts, server contexts and connections.
 *
 * OpenSSL 3.0 looks algorithms up by name under global locks on every
 * handshake unless they were fetched in the library context in use; one
 * OSSL_LIB_CTX per worker, created once (creating and freeing many of them
 * fails in 3.0), and SSL_CTX_new_ex() per worker and certificate set, both
 * on the control thread, keep workers from sharing those locks. A worker
 * only ever uses its own contexts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/async.h>
#include <openssl/err.h>

#include "tls_match.h"
#include "tls_priv.h"

struct fo_tls_worker *
fo_tls_worker_create(void)
{
	return tls_worker_create(1);
}

struct fo_tls_worker *
tls_worker_create(int kex)
{
	struct fo_tls_worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->libctx = OSSL_LIB_CTX_new();
	if (w->libctx == NULL)
		goto fail;
	/* loaded explicitly: loading any provider stops its implicit loading */
	w->prov_default = OSSL_PROVIDER_load(w->libctx, "default");
	if (w->prov_default == NULL)
		goto fail;
	/* without "fanout-kex" (w->prov_kex NULL) the default provider serves
	 * X25519 and handshakes are split only at messages */
	if (kex && tls_kex_load(w) < 0)
		ERR_clear_error();
	w->ticket_cipher = EVP_CIPHER_fetch(w->libctx, "AES-256-CBC", NULL);
	if (w->ticket_cipher == NULL)
		goto fail;
	return w;
fail:
	ERR_clear_error();
	fo_tls_worker_free(w);
	return NULL;
}

void
fo_tls_worker_free(struct fo_tls_worker *w)
{
	if (w == NULL)
		return;
	EVP_CIPHER_free(w->ticket_cipher);
	tls_kex_unload(w);
	OSSL_LIB_CTX_free(w->libctx);
	free(w);
}

/* struct fo_tls_ctx lives as long as its SSL_CTX (connections hold
 * references to the SSL_CTX): an ex_data slot frees it with the SSL_CTX. */
static int tls_ctx_idx = -1;
static pthread_once_t tls_ctx_once = PTHREAD_ONCE_INIT;

static void
tls_ctx_exfree(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	free(ptr);
}

static void
tls_ctx_idx_init(void)
{
	tls_ctx_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, tls_ctx_exfree);
}

struct fo_tls_ctx *
tls_ctx_of(SSL *s)
{
	return SSL_CTX_get_ex_data(SSL_get_SSL_CTX(s), tls_ctx_idx);
}

/* A copy of @p x in library context @p lc. */
static X509 *
x509_in(X509 *x, OSSL_LIB_CTX *lc)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_X509(x, &der);
	X509 *y = X509_new_ex(lc, NULL);

	p = der;
	if (n <= 0 || y == NULL || d2i_X509(&y, &p, n) == NULL) {
		X509_free(y);
		y = NULL;
	}
	OPENSSL_free(der);
	return y;
}

static EVP_PKEY *
key_in(EVP_PKEY *k, OSSL_LIB_CTX *lc)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_PrivateKey(k, &der);
	EVP_PKEY *y = NULL;

	p = der;
	if (n > 0)
		y = d2i_AutoPrivateKey_ex(NULL, &p, n, lc, NULL);
	OPENSSL_clear_free(der, n > 0 ? (size_t)n : 0);
	return y;
}

static int
ctx_use_cert(SSL_CTX *ssl, OSSL_LIB_CTX *lc, const struct fo_tls_cert *c)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *leaf = x509_in(c->leaf, lc);
	EVP_PKEY *key = key_in(c->key, lc);
	int i, ok = chain != NULL && leaf != NULL && key != NULL;

	for (i = 0; ok && i < sk_X509_num(c->chain); i++) {
		X509 *x = x509_in(sk_X509_value(c->chain, i), lc);

		ok = x != NULL && sk_X509_push(chain, x) > 0;
		if (!ok)
			X509_free(x);
	}
	if (ok)
		ok = SSL_CTX_use_cert_and_key(ssl, leaf, key, chain, 1) == 1;
	X509_free(leaf);
	EVP_PKEY_free(key);
	sk_X509_pop_free(chain, X509_free);
	return ok ? 0 : -EINVAL;
}

/* Server preference first (ctx->alpn), among what the client offers. */
static int
alpn_select_cb(SSL *s, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
	unsigned int inlen, void *arg)
{
	const struct fo_tls_ctx *ctx = arg;
	unsigned char *sel;

	if (SSL_select_next_proto(&sel, outlen, ctx->alpn, ctx->alpn_len, in, inlen) !=
		OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol */
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static int
ctx_set_alpn(struct fo_tls_ctx *ctx, const char *const *alpn)
{
	static const char *const http11[] = {"http/1.1", NULL};
	unsigned i, n = 0;

	if (alpn == NULL)
		alpn = http11;
	for (i = 0; alpn[i] != NULL; i++) {
		size_t l = strlen(alpn[i]);

		if (l == 0 || l > 32 || n + 1 + l > sizeof(ctx->alpn))
			return -EINVAL;
		ctx->alpn[n++] = (uint8_t)l;
		memcpy(ctx->alpn + n, alpn[i], l);
		n += (unsigned)l;
	}
	if (n == 0)
		return -EINVAL;
	ctx->alpn_len = (uint8_t)n;
	SSL_CTX_set_alpn_select_cb(ctx->ssl, alpn_select_cb, ctx);
	return 0;
}

struct fo_tls_ctx *
fo_tls_ctx_create(struct fo_tls_worker *w, struct fo_tls_cert *const *certs, unsigned n_certs,
	const struct fo_tls_ctx_config *cfg, struct fo_tls_keys *keys, char *err, size_t errlen)
{
	static const struct fo_tls_ctx_config defaults = {0};
	struct fo_tls_ctx *ctx;
	SSL_CTX *ssl;
	unsigned i, seen = 0;
	uint32_t period;

	if (cfg == NULL)
		cfg = &defaults;
	period = cfg->ticket_period != 0 ? cfg->ticket_period : FO_TLS_DEFAULT_TICKET_PERIOD;
	pthread_once(&tls_ctx_once, tls_ctx_idx_init);
	if (w == NULL || n_certs == 0 || tls_ctx_idx < 0) {
		tls_err(err, errlen, "tls", "no worker or no certificate");
		return NULL;
	}
	ctx = aligned_alloc(64, (sizeof(*ctx) + 63) & ~(size_t)63);
	if (ctx != NULL)
		memset(ctx, 0, sizeof(*ctx));
	/* X25519 from tls_kex.c when loaded, everything else from "default" */
	ssl = SSL_CTX_new_ex(w->libctx, TLS_KEX_PROPQ, TLS_server_method());
	if (ctx == NULL || ssl == NULL || !SSL_CTX_set_ex_data(ssl, tls_ctx_idx, ctx)) {
		free(ctx);
		SSL_CTX_free(ssl);
		tls_err(err, errlen, "tls", "cannot create a context");
		return NULL;
	}
	/* From here the SSL_CTX owns ctx (freed with it). */
	ctx->ssl = ssl;
	ctx->w = w;
	ctx->keys = keys;
	if (!SSL_CTX_set_min_proto_version(
		    ssl, cfg->min_version == FO_TLS_V1_3 ? TLS1_3_VERSION : TLS1_2_VERSION) ||
		!SSL_CTX_set_max_proto_version(ssl, TLS1_3_VERSION)) {
		tls_err(err, errlen, "tls", "cannot set protocol versions");
		goto fail;
	}
	if (!SSL_CTX_set_cipher_list(
		    ssl, cfg->ciphers != NULL ? cfg->ciphers : FO_TLS_DEFAULT_CIPHERS)) {
		tls_err(err, errlen, "tls", "no usable cipher in the cipher list");
		goto fail;
	}
	if (!SSL_CTX_set1_groups_list(
		    ssl, cfg->groups != NULL ? cfg->groups : FO_TLS_DEFAULT_GROUPS)) {
		tls_err(err, errlen, "tls", "bad groups list");
		goto fail;
	}
	if (ctx_set_alpn(ctx, cfg->alpn) < 0) {
		tls_err(err, errlen, "tls", "bad ALPN list (1..32 bytes a name, 63 in all)");
		goto fail;
	}
	SSL_CTX_set_options(ssl,
		SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	/* 0-RTT off: early data is replayable */
	SSL_CTX_set_max_early_data(ssl, 0);
	SSL_CTX_set_recv_max_early_data(ssl, 0);
	/* Idle connections give their 2 x 16 KiB record buffers back; writes
	 * may be partial (the send queue is bounded) and resume from a moved
	 * buffer (the caller's mbufs). */
	SSL_CTX_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* No session cache (per worker it would miss whenever RSS sends a
	 * client to another core): resumption is by tickets only. */
	SSL_CTX_set_session_cache_mode(ssl, SSL_SESS_CACHE_OFF);
	if (keys != NULL && !cfg->no_tickets) {
		SSL_CTX_set_num_tickets(ssl, 1);
		SSL_CTX_set_timeout(ssl, (long)period * 2);
		if (tls_ticket_install(ctx) < 0) {
			tls_err(err, errlen, "tls", "cannot install the ticket callback");
			goto fail;
		}
	} else {
		SSL_CTX_set_options(ssl, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ssl, 0);
	}
	for (i = 0; i < n_certs; i++) {
		unsigned bit = 1u << certs[i]->type;
		char what[64];

		snprintf(what, sizeof(what), "certificate %u", i + 1);
		if (seen & bit) {
			tls_err(err, errlen, what, "a second certificate of the same key type");
			goto fail;
		}
		seen |= bit;
		if (ctx_use_cert(ssl, w->libctx, certs[i]) < 0) {
			tls_err(err, errlen, what, "cannot use it in a context");
			goto fail;
		}
	}
	return ctx;
fail:
	SSL_CTX_free(ssl);
	return NULL;
}

void
fo_tls_ctx_free(struct fo_tls_ctx *ctx)
{
	if (ctx != NULL)
		SSL_CTX_free(ctx->ssl);
}

/* ------------------------------------------------------------------ */

/*
 * Every message the library parses or writes: count the peer's KeyUpdates.
 * OpenSSL 3.0 answers each KeyUpdate asking for one with a KeyUpdate of
 * its own and refuses only more than 32 in a row without application data
 * between them; a client interleaving one byte of data could go on forever.
 * The owner sees the count and sets its own bound. (Called for record
 * headers too: a test of two bytes each.)
 *
 * It also splits the handshake (fo_tls_conn_split()). A TLS 1.3 server
 * flight costs ≈160 µs of CPU in one SSL_do_handshake() on this kind of
 * machine: the ServerHello's key pair and shared secret ≈90, the
 * certificate's signature ≈30 with the key schedule around it, the rest
 * ≈20; the client's Finished and the ticket ≈55 more (lib/tls/README.md
 * "Handshake pieces"). OpenSSL 3.0 has no hook between those steps, but
 * it calls this callback right after writing each message, and with
 * SSL_MODE_ASYNC the handshake runs in an ASYNC_JOB (a fiber): pausing
 * the job here returns SSL_ERROR_WANT_ASYNC to the caller, and the next
 * SSL_do_handshake() resumes it just after this call. The flight itself is
 * buffered by the library until its end, so nothing goes out early.
 *
 * The ServerHello's key pair and shared secret are one libssl call
 * (tls_construct_stoc_key_share(): ssl_generate_pkey() then ssl_derive()),
 * so a third pause sits in between, in the key generation of lib/tls's
 * own X25519 key manager (tls_kex.c), which libssl uses because contexts
 * prefer it (TLS_KEX_PROPQ). Pieces of a full TLS 1.3 handshake then:
 * ClientHello + key pair | shared secret + ServerHello | key schedule,
 * Certificate, CertificateVerify | Finished | (client's Finished) ticket.
 * TLS 1.2 pauses after its ServerHello and after the key pair of its
 * ServerKeyExchange (before the signature). A client without X25519
 * (P-256 only) gets the default provider's key and no third pause.
 * fo_tls_handshake() tells tls_kex.c which connection runs (tls_kex_io).
 */
static void
conn_msg_cb(
	int write_p, int version, int content_type, const void *buf, size_t len, SSL *s, void *arg)
{
	struct fo_tls_io *io = arg;
	uint8_t mt;

	(void)version, (void)s;
	if (content_type != SSL3_RT_HANDSHAKE || len < 1)
		return;
	mt = ((const uint8_t *)buf)[0];
	if (!write_p) {
		if (mt == SSL3_MT_KEY_UPDATE)
			io->rx_key_updates++;
		return;
	}
	if (mt == SSL3_MT_SERVER_HELLO || mt == SSL3_MT_CERTIFICATE_VERIFY)
		tls_hs_pause(io);
}

struct fo_tls_conn *
fo_tls_conn_new(struct fo_tls_ctx *ctx, struct fo_tls_io *io)
{
	SSL *s = SSL_new(ctx->ssl);
	BIO *b;

	if (s == NULL)
		return NULL;
	b = tls_bio_new(io);
	if (b == NULL) {
		SSL_free(s);
		return NULL;
	}
	SSL_set_bio(s, b, b);
	SSL_set_msg_callback(s, conn_msg_cb);
	SSL_set_msg_callback_arg(s, io);
	SSL_set_accept_state(s);
	return (struct fo_tls_conn *)s;
}

int
fo_tls_conn_split(struct fo_tls_conn *c, int on)
{
	SSL *s = (SSL *)c;
	struct fo_tls_io *io = tls_bio_io(s);

	if (!on) {
		SSL_clear_mode(s, SSL_MODE_ASYNC);
		io->hs_split = 0;
		return 0;
	}
	if (!ASYNC_is_capable())
		return -ENOTSUP;
	SSL_set_mode(s, SSL_MODE_ASYNC);
	io->hs_split = 1;
	return 0;
}

/* One more of @p *n, by its only writer (the control thread loads it). */
static inline void
hs_inc(uint64_t *n)
{
	__atomic_store_n(n, *n + 1, __ATOMIC_RELAXED);
}

void
fo_tls_ctx_hs_count(const struct fo_tls_ctx *ctx, struct fo_tls_hs_count *out)
{
	out->full = __atomic_load_n(&ctx->hs.full, __ATOMIC_RELAXED);
	out->resumed = __atomic_load_n(&ctx->hs.resumed, __ATOMIC_RELAXED);
	out->failed = __atomic_load_n(&ctx->hs.failed, __ATOMIC_RELAXED);
}

void
fo_tls_conn_free(struct fo_tls_conn *c)
{
	struct fo_tls_io *io;

	if (c == NULL)
		return;
	io = tls_bio_io((SSL *)c);
	/* A handshake stopped between pieces lives in a paused ASYNC_JOB that
	 * only running it to its end gives back (SSL_free() would leave the
	 * job, its stack and its references behind): no more pauses, and the
	 * rest of the flight runs (its output is dropped with the queues). */
	if (SSL_waiting_for_async((SSL *)c)) {
		unsigned i;

		if (io != NULL)
			io->hs_split = 0;
		for (i = 0; i < 4 && SSL_waiting_for_async((SSL *)c); i++)
			(void)SSL_do_handshake((SSL *)c);
		ERR_clear_error();
	}
	/* served a certificate, never completed: a failure of that certificate */
	if (io != NULL && io->hs_state == 1) {
		io->hs_state = 2;
		hs_inc(&tls_ctx_of((SSL *)c)->hs.failed);
	}
	/* Without this, SSL_free() of a connection that did not exchange
	 * close_notify "removes its session from the cache", taking the
	 * context's lock; there is no server-side cache to clean. */
	SSL_set_shutdown((SSL *)c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free((SSL *)c);
}

/* Map an SSL error to the API's errno values, clearing the error queue. */
static int
conn_err(SSL *s, int rc)
{
	switch (SSL_get_error(s, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -EAGAIN;
	case SSL_ERROR_WANT_ASYNC:
		return -EINPROGRESS; /* a piece of the handshake (conn_msg_cb) */
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return -ECONNRESET; /* EOF from the BIO without close_notify */
	case SSL_ERROR_SSL:
		/* OpenSSL 3.0 reports the peer's FIN without close_notify so (1.1.1
		 * said SSL_ERROR_SYSCALL): a client closing, as browsers and most
		 * clients do, not a bad record */
		if (ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			return -ECONNRESET;
		}
		ERR_clear_error();
		return -EPROTO;
	default:
		ERR_clear_error();
		return -EPROTO;
	}
}

int
fo_tls_handshake(struct fo_tls_conn *c)
{
	SSL *s = (SSL *)c;
	struct fo_tls_io *io = tls_bio_io(s);
	int rc;

	/* the key generation of tls_kex.c pauses this handshake, if split */
	tls_kex_io = io != NULL && io->hs_split ? io : NULL;
	rc = SSL_do_handshake(s);
	tls_kex_io = NULL;
	if (rc == 1) {

		/* records after the handshake run on the caller's stack: no job,
		 * no context switch per read or write */
		if (io != NULL && io->hs_split) {
			io->hs_split = 0;
			SSL_clear_mode(s, SSL_MODE_ASYNC);
		}
		if (io != NULL && io->hs_state == 1) {
			struct fo_tls_ctx *ctx = tls_ctx_of(s);

			io->hs_state = 2;
			hs_inc(SSL_session_reused(s) == 1 ? &ctx->hs.resumed : &ctx->hs.full);
		}
		return 0;
	}
	rc = conn_err(s, rc);
	return rc == 0 ? -ECONNRESET : rc;
}

ssize_t
fo_tls_read(struct fo_tls_conn *c, void *buf, size_t len)
{
	SSL *s = (SSL *)c;
	size_t n = 0;
	int rc = SSL_read_ex(s, buf, len, &n);

	if (rc == 1)
		return (ssize_t)n;
	rc = conn_err(s, rc);
	return rc == -ECONNRESET ? 0 : rc;
}

ssize_t
fo_tls_write(struct fo_tls_conn *c, const void *buf, size_t len)
{
	SSL *s = (SSL *)c;
	size_t n = 0;
	int rc = SSL_write_ex(s, buf, len, &n);

	if (rc == 1)
		return (ssize_t)n;
	rc = conn_err(s, rc);
	return rc == 0 ? -EPROTO : rc;
}

size_t
fo_tls_conn_alpn(const struct fo_tls_conn *c, const char **proto)
{
	const unsigned char *p = NULL;
	unsigned int len = 0;

	SSL_get0_alpn_selected((const SSL *)c, &p, &len);
	*proto = (const char *)p;
	return len;
}

int
fo_tls_conn_resumed(const struct fo_tls_conn *c)
{
	return SSL_session_reused((const SSL *)c) == 1;
}

/* ------------------------------------------------------------------ */

/* The first host_name of a server_name extension body (RFC 6066 3). */
static int
sni_from_ext(const unsigned char *p, size_t len, const char **name, size_t *name_len)
{
	size_t list, n;

	if (len < 2)
		return -1;
	list = (size_t)p[0] << 8 | p[1];
	if (list != len - 2 || list < 3)
		return -1;
	p += 2;
	while (list >= 3) {
		n = (size_t)p[1] << 8 | p[2];
		if (n == 0 || n > list - 3)
			return -1;
		if (p[0] == 0) {
			*name = (const char *)p + 3;
			*name_len = n;
			return 0;
		}
		p += 3 + n;
		list -= 3 + n;
	}
	return -1;
}

/*
 * Runs on the entry context's connections once the ClientHello is parsed,
 * before any certificate is chosen: switch to the context serving the
 * name. SSL_set_SSL_CTX() takes the certificates of the new context; the
 * other settings are the same in every context fanout builds.
 */
static int
sni_client_hello_cb(SSL *s, int *al, void *arg)
{
	struct fo_tls_sni_map *map = arg;
	struct fo_tls_io *io;
	const unsigned char *ext;
	const char *name = NULL;
	size_t len = 0, name_len = 0;
	int64_t idx;

	if (SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &ext, &len) == 1 &&
		sni_from_ext(ext, len, &name, &name_len) < 0) {
		*al = SSL_AD_DECODE_ERROR;
		map->refused++;
		return SSL_CLIENT_HELLO_ERROR;
	}
	idx = tls_sni_match(map->sni, name, name_len);
	if (idx == FO_TLS_SNI_REFUSE) {
		idx = tls_sni_fallback(map->sni);
		if (idx != FO_TLS_SNI_REFUSE)
			map->served_default++;
	}
	if (idx == FO_TLS_SNI_REFUSE || (uint64_t)idx >= map->n_ctxs) {
		*al = SSL_AD_UNRECOGNIZED_NAME;
		map->refused++;
		return SSL_CLIENT_HELLO_ERROR;
	}
	if (map->ctxs[idx]->ssl != SSL_get_SSL_CTX(s) &&
		SSL_set_SSL_CTX(s, map->ctxs[idx]->ssl) == NULL) {
		*al = SSL_AD_INTERNAL_ERROR;
		return SSL_CLIENT_HELLO_ERROR;
	}
	io = tls_bio_io(s);
	if (io != NULL && io->hs_state == 0)
		io->hs_state = 1; /* its handshake counts for this certificate */
	return SSL_CLIENT_HELLO_SUCCESS;
}

int
fo_tls_ctx_set_sni(struct fo_tls_ctx *entry, struct fo_tls_sni_map *map)
{
	unsigned i;

	if (map != NULL) {
		if (map->sni == NULL || (map->sni->default_idx >= 0 &&
						(uint64_t)map->sni->default_idx >= map->n_ctxs))
			return -EINVAL;
		for (i = 0; i < map->sni->n; i++)
			if (map->sni->names[i].idx >= map->n_ctxs)
				return -EINVAL;
	}
	entry->sni = map;
	SSL_CTX_set_client_hello_cb(entry->ssl, map != NULL ? sni_client_hello_cb : NULL, map);
	return 0;
}
