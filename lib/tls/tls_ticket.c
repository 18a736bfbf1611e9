/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session ticket keys shared by every worker (RSS sends a returning client
 * to any core, and several nodes may share a key file later).
 *
 * The control thread owns the key set {prev, cur, next}: it rotates it
 * every period (default 12 h) and publishes the new set with a release
 * store; the old set is freed after an RCU grace period (the caller's
 * fo_ctl_publish()). Workers load the pointer with acquire ordering in the
 * ticket callback, without any lock. Tickets are issued under cur and
 * accepted under prev, cur and next; one accepted under prev or next is
 * renewed under cur. A ticket thus lives at most two periods, and the
 * context's ticket lifetime hint says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "tls_priv.h"

static int
key_random(struct fo_tls_ticket_key *k)
{
	return RAND_bytes(k->name, sizeof(k->name)) == 1 &&
			       RAND_bytes(k->aes, sizeof(k->aes)) == 1 &&
			       RAND_bytes(k->hmac, sizeof(k->hmac)) == 1
		       ? 0
		       : -EIO;
}

struct fo_tls_keyset *
fo_tls_keyset_new(void)
{
	struct fo_tls_keyset *ks = calloc(1, sizeof(*ks));

	if (ks == NULL)
		return NULL;
	if (key_random(&ks->prev) < 0 || key_random(&ks->cur) < 0 || key_random(&ks->next) < 0) {
		fo_tls_keyset_free(ks);
		return NULL;
	}
	return ks;
}

struct fo_tls_keyset *
fo_tls_keyset_rotate(const struct fo_tls_keyset *old)
{
	struct fo_tls_keyset *ks = calloc(1, sizeof(*ks));

	if (ks == NULL)
		return NULL;
	ks->prev = old->cur;
	ks->cur = old->next;
	ks->generation = old->generation + 1;
	if (key_random(&ks->next) < 0) {
		fo_tls_keyset_free(ks);
		return NULL;
	}
	return ks;
}

struct fo_tls_keyset *
fo_tls_keys_publish(struct fo_tls_keys *k, struct fo_tls_keyset *ks)
{
	/* release: a worker that loads ks (acquire) sees its keys written */
	return atomic_exchange_explicit(&k->set, ks, memory_order_acq_rel);
}

void
fo_tls_keyset_free(struct fo_tls_keyset *ks)
{
	if (ks == NULL)
		return;
	OPENSSL_cleanse(ks, sizeof(*ks));
	free(ks);
}

/* One key of a file: name, HMAC key, AES key (nginx's 80-byte layout). */
static void
key_from_file(struct fo_tls_ticket_key *k, const uint8_t *p)
{
	memcpy(k->name, p, sizeof(k->name));
	memcpy(k->hmac, p + 16, sizeof(k->hmac));
	memcpy(k->aes, p + 48, sizeof(k->aes));
}

struct fo_tls_keyset *
fo_tls_keyset_parse(const uint8_t *buf, size_t len, const char *file, char *err, size_t errlen)
{
	const size_t ksz = FO_TLS_TICKET_FILE_KEY;
	struct fo_tls_keyset *ks;

	if (file == NULL)
		file = "ticket key file";
	if (len != ksz && len != 3 * ksz) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %zu bytes: a ticket key file holds %zu bytes (one key) "
				"or %zu (previous, current, next)", file, len, ksz, 3 * ksz);
		return NULL;
	}
	if (len == 3 * ksz && (memcmp(buf, buf + ksz, 16) == 0 ||
				      memcmp(buf + ksz, buf + 2 * ksz, 16) == 0 ||
				      memcmp(buf, buf + 2 * ksz, 16) == 0)) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: two keys have the same name (its first 16 bytes): "
				"each key must be new random bytes", file);
		return NULL;
	}
	ks = calloc(1, sizeof(*ks));
	if (ks == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: out of memory", file);
		return NULL;
	}
	if (len == ksz) {
		/* one key: it is the whole set */
		key_from_file(&ks->cur, buf);
		ks->prev = ks->next = ks->cur;
	} else {
		key_from_file(&ks->prev, buf);
		key_from_file(&ks->cur, buf + ksz);
		key_from_file(&ks->next, buf + 2 * ksz);
	}
	return ks;
}

struct fo_tls_keyset *
fo_tls_keyset_load(const char *path, char *err, size_t errlen)
{
	uint8_t buf[3 * FO_TLS_TICKET_FILE_KEY + 1];
	struct fo_tls_keyset *ks;
	ssize_t n;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
		return NULL;
	}
	/* one byte more than the largest valid file: a longer one is refused */
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "%s: cannot read (%s)", path, strerror(errno));
			close(fd);
			OPENSSL_cleanse(buf, sizeof(buf));
			return NULL;
		}
		len += (size_t)n;
	}
	close(fd);
	ks = fo_tls_keyset_parse(buf, len, path, err, errlen);
	OPENSSL_cleanse(buf, sizeof(buf));
	return ks;
}

static int
ticket_mac_init(EVP_MAC_CTX *hctx, const struct fo_tls_ticket_key *k)
{
	OSSL_PARAM params[3];

	params[0] = OSSL_PARAM_construct_octet_string(
		OSSL_MAC_PARAM_KEY, (void *)k->hmac, sizeof(k->hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, params);
}

/*
 * OpenSSL's ticket callback. enc: fill key_name and iv, init both contexts
 * with cur (1), or no ticket (0). Decrypt: find key_name in the set; 0 =
 * unknown key (full handshake), 1 = cur, 2 = prev or next (renew the
 * ticket under cur), and 2 for every TLS 1.3 resumption: TLS 1.3 clients
 * use a ticket once (RFC 8446, C.4; OpenSSL's client keeps none from a
 * resumed connection that brought no new ticket), so without a new ticket
 * every second connection of a returning client is a full handshake (as
 * nginx does: "renew if TLSv1.3"). <0: error.
 */
static int
ticket_cb(SSL *s, unsigned char key_name[16], unsigned char *iv, EVP_CIPHER_CTX *cctx,
	EVP_MAC_CTX *hctx, int enc)
{
	struct fo_tls_ctx *ctx = tls_ctx_of(s);
	const struct fo_tls_keyset *ks;
	const struct fo_tls_ticket_key *k;
	int ivlen;

	if (ctx == NULL || ctx->keys == NULL)
		return 0;
	/* acquire: pairs with fo_tls_keys_publish(); the set stays valid until
	 * this worker's next quiescent state */
	ks = atomic_load_explicit(&ctx->keys->set, memory_order_acquire);
	if (ks == NULL)
		return 0;
	ivlen = EVP_CIPHER_get_iv_length(ctx->w->ticket_cipher);
	if (enc) {
		k = &ks->cur;
		if (RAND_bytes_ex(ctx->w->libctx, iv, (size_t)ivlen, 0) != 1)
			return -1;
		memcpy(key_name, k->name, sizeof(k->name));
		if (!EVP_EncryptInit_ex2(cctx, ctx->w->ticket_cipher, k->aes, iv, NULL) ||
			!ticket_mac_init(hctx, k))
			return -1;
		return 1;
	}
	if (memcmp(key_name, ks->cur.name, 16) == 0)
		k = &ks->cur;
	else if (memcmp(key_name, ks->prev.name, 16) == 0)
		k = &ks->prev;
	else if (memcmp(key_name, ks->next.name, 16) == 0)
		k = &ks->next;
	else
		return 0;
	if (!EVP_DecryptInit_ex2(cctx, ctx->w->ticket_cipher, k->aes, iv, NULL) ||
		!ticket_mac_init(hctx, k))
		return -1;
	return k == &ks->cur && SSL_version(s) != TLS1_3_VERSION ? 1 : 2;
}

int
tls_ticket_install(struct fo_tls_ctx *ctx)
{
	return SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx->ssl, ticket_cb) == 1 ? 0 : -EINVAL;
}
