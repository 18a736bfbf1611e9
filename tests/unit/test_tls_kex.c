/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tls's X25519 key manager (tls_kex.c, provider "fanout-kex") through
 * the public EVP calls libssl makes on it, in a worker's library context:
 * the contexts' property query picks it for X25519 and the default
 * provider for everything else; its key pairs agree with the default
 * provider's keys in both directions (the exchange is the default
 * provider's, fed by export); a client's share set as an encoded public key
 * on a parameter-only key, as libssl does; a share of the wrong length
 * refused; a key imported from its private half gets the right public half;
 * comparison, dup and pairwise check; the counter of key pairs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <openssl/core_names.h>

#include "tls_harness.h"

static struct fo_tls_worker *W;

static int
setup(void **state)
{
	(void)state;
	W = fo_tls_worker_create();
	return W == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	fo_tls_worker_free(W);
	return 0;
}

static const char *
prov_of(const EVP_PKEY *k)
{
	return OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(k));
}

/* An X25519 key pair made as libssl makes it, in the worker's context. */
static EVP_PKEY *
our_keygen(void)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(W->libctx, "X25519", TLS_KEX_PROPQ);
	EVP_PKEY *k = NULL;

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_keygen_init(c), 1);
	assert_int_equal(EVP_PKEY_keygen(c, &k), 1);
	EVP_PKEY_CTX_free(c);
	return k;
}

/* The shared secret of @p priv and @p peer (ssl_derive()'s calls). */
static size_t
derive(OSSL_LIB_CTX *lc, EVP_PKEY *priv, EVP_PKEY *peer, uint8_t *out)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(lc, priv, TLS_KEX_PROPQ);
	size_t n = 64;

	assert_non_null(c);
	assert_int_equal(EVP_PKEY_derive_init(c), 1);
	assert_int_equal(EVP_PKEY_derive_set_peer(c, peer), 1);
	assert_int_equal(EVP_PKEY_derive(c, out, &n), 1);
	EVP_PKEY_CTX_free(c);
	return n;
}

static void
test_kex_fetch(void **state)
{
	EVP_KEYMGMT *km;

	(void)state;
	assert_non_null(W->prov_kex);
	km = EVP_KEYMGMT_fetch(W->libctx, "X25519", TLS_KEX_PROPQ);
	assert_non_null(km);
	assert_string_equal(OSSL_PROVIDER_get0_name(EVP_KEYMGMT_get0_provider(km)), "fanout-kex");
	EVP_KEYMGMT_free(km);
	km = EVP_KEYMGMT_fetch(W->libctx, "EC", TLS_KEX_PROPQ);
	assert_non_null(km);
	assert_string_equal(OSSL_PROVIDER_get0_name(EVP_KEYMGMT_get0_provider(km)), "default");
	EVP_KEYMGMT_free(km);
}

static void
test_kex_agree(void **state)
{
	uint64_t n0 = fo_tls_worker_kex_keys(W);
	EVP_PKEY *a = our_keygen(), *b = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	uint8_t s1[64], s2[64], zero[32] = {0};

	(void)state;
	assert_string_equal(prov_of(a), "fanout-kex");
	assert_string_equal(prov_of(b), "default");
	assert_int_equal(fo_tls_worker_kex_keys(W), n0 + 1);
	assert_int_equal(derive(W->libctx, a, b, s1), 32);
	assert_int_equal(derive(NULL, b, a, s2), 32); /* our public key exported */
	assert_memory_equal(s1, s2, 32);
	assert_memory_not_equal(s1, zero, 32);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

/* tls_parse_ctos_key_share(): a parameter-only key, then the share. */
static void
test_kex_share(void **state)
{
	EVP_PKEY *a = our_keygen(), *b = EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), *p = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(W->libctx, "X25519", TLS_KEX_PROPQ);
	uint8_t pub[32], *enc = NULL, s1[64], s2[64];
	size_t n = sizeof(pub);
	uint64_t n0 = fo_tls_worker_kex_keys(W);

	(void)state;
	assert_int_equal(EVP_PKEY_paramgen_init(c), 1);
	assert_int_equal(EVP_PKEY_paramgen(c, &p), 1);
	assert_int_equal(fo_tls_worker_kex_keys(W), n0); /* not a key pair */
	assert_string_equal(prov_of(p), "fanout-kex");
	assert_int_equal(EVP_PKEY_get_raw_public_key(b, pub, &n), 1);
	assert_int_equal(EVP_PKEY_set1_encoded_public_key(p, pub, 31), 0);
	assert_int_equal(EVP_PKEY_set1_encoded_public_key(p, pub, 32), 1);
	assert_int_equal(EVP_PKEY_get1_encoded_public_key(p, &enc), 32);
	assert_memory_equal(enc, pub, 32);
	OPENSSL_free(enc);
	assert_int_equal(EVP_PKEY_get_bits(p), 253);
	assert_int_equal(EVP_PKEY_get_security_bits(p), 128);
	assert_int_equal(EVP_PKEY_get_size(a), 32);
	assert_int_equal(derive(W->libctx, a, p, s1), 32);
	assert_int_equal(derive(W->libctx, a, b, s2), 32);
	assert_memory_equal(s1, s2, 32);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(p);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

/* Import of a private key alone, comparison, dup, checks. */
static void
test_kex_import(void **state)
{
	EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "X25519"), *k, *d, *a = our_keygen();
	uint8_t priv[32], pub[32], pub2[32];
	size_t n = 32, n2 = 32;
	EVP_PKEY_CTX *c;

	(void)state;
	assert_int_equal(EVP_PKEY_get_raw_private_key(b, priv, &n), 1);
	k = EVP_PKEY_new_raw_private_key_ex(W->libctx, "X25519", TLS_KEX_PROPQ, priv, 32);
	assert_non_null(k);
	assert_string_equal(prov_of(k), "fanout-kex");
	n = 32;
	assert_int_equal(EVP_PKEY_get_raw_public_key(b, pub, &n), 1);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub2, &n2), 1);
	assert_memory_equal(pub, pub2, 32);
	assert_int_equal(EVP_PKEY_eq(k, b), 1);
	assert_int_equal(EVP_PKEY_eq(k, a), 0);
	d = EVP_PKEY_dup(k);
	assert_non_null(d);
	assert_int_equal(EVP_PKEY_eq(d, k), 1);
	c = EVP_PKEY_CTX_new_from_pkey(W->libctx, d, TLS_KEX_PROPQ);
	assert_int_equal(EVP_PKEY_pairwise_check(c), 1);
	assert_int_equal(EVP_PKEY_public_check(c), 1);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(d);
	EVP_PKEY_free(k);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kex_fetch),
		cmocka_unit_test(test_kex_agree),
		cmocka_unit_test(test_kex_share),
		cmocka_unit_test(test_kex_import),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
