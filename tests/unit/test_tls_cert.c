/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tls certificates and contexts: PEM chain + key loading and every
 * validation error ("file: message"), names from SAN (CN only without
 * SAN), the self-signed default, and the server context's settings seen
 * from real clients: ECDSA served to clients that offer it and RSA to the
 * others, TLS 1.0/1.1 refused, ingress-nginx's TLS 1.2 suites only,
 * X25519/P-256 only, tickets without early data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_pool.h"
#include "fo_common.h"
#include "tls_harness.h"

static char dir[64];
static char path_buf[8][128];
static unsigned path_n;

static const char *
path(const char *name)
{
	char *p = path_buf[path_n++ % 8];

	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

/* Root CA -> intermediate -> leaf (EC), and an RSA leaf for the same names. */
static EVP_PKEY *root_key, *int_key, *leaf_key, *rsa_key, *other_key;
static X509 *root, *inter, *leaf, *rsa_leaf, *expired, *future, *cn_only;

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fo_tls_cert_XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	root_key = th_key("EC");
	int_key = th_key("EC");
	leaf_key = th_key("EC");
	rsa_key = th_key("RSA");
	other_key = th_key("EC");
	root = th_cert(root_key, "Test Root", NULL, -86400, 86400 * 365, NULL, NULL, 1);
	inter = th_cert(int_key, "Test Intermediate", NULL, -86400, 86400 * 365, root, root_key, 1);
	leaf = th_cert(leaf_key, "ignored-cn.test", "shop.test,*.shop.test,API.Test", -3600,
		86400 * 90, inter, int_key, 0);
	rsa_leaf = th_cert(rsa_key, "shop.test", "shop.test,*.shop.test", -3600, 86400 * 90, inter,
		int_key, 0);
	expired = th_cert(leaf_key, "old.test", "old.test", -86400 * 10, -86400, inter, int_key, 0);
	future = th_cert(leaf_key, "new.test", "new.test", 86400, 86400 * 10, inter, int_key, 0);
	cn_only = th_cert(leaf_key, "CN-Only.test", NULL, -3600, 86400, NULL, NULL, 0);

	th_write_certs(path("chain.pem"), (X509 *[]){leaf, inter, NULL});
	th_write_certs(path("rsa.pem"), (X509 *[]){rsa_leaf, inter, NULL});
	th_write_certs(path("leaf_only.pem"), (X509 *[]){leaf, NULL});
	th_write_certs(path("bad_order.pem"), (X509 *[]){leaf, root, inter, NULL});
	th_write_certs(path("expired.pem"), (X509 *[]){expired, inter, NULL});
	th_write_certs(path("future.pem"), (X509 *[]){future, inter, NULL});
	th_write_certs(path("cn_only.pem"), (X509 *[]){cn_only, NULL});
	th_write_key(path("leaf.key"), leaf_key);
	th_write_key(path("rsa.key"), rsa_key);
	th_write_key(path("other.key"), other_key);
	FILE *f = fopen(path("garbage.pem"), "w");
	fputs("this is not PEM\n", f);
	fclose(f);
	f = fopen(path("enc.key"), "w");
	PEM_write_PrivateKey(f, leaf_key, EVP_aes_128_cbc(), NULL, 0, NULL, (void *)"secret");
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(int_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(other_key);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	X509_free(rsa_leaf);
	X509_free(expired);
	X509_free(future);
	X509_free(cn_only);
	return 0;
}

static void
test_load_ok_names(void **state)
{
	char err[256] = "";
	struct fo_tls_cert *c;
	const char *names[8];

	(void)state;
	c = fo_tls_cert_load(path("chain.pem"), path("leaf.key"), time(NULL), err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(fo_tls_cert_key_type(c), FO_TLS_KEY_ECDSA);
	/* SAN DNS entries, lower-cased; the CN is not a name when SANs exist */
	assert_int_equal(fo_tls_cert_names(c, names, 8), 3);
	assert_string_equal(names[0], "shop.test");
	assert_string_equal(names[1], "*.shop.test");
	assert_string_equal(names[2], "api.test");
	assert_true(labs(fo_tls_cert_not_after(c) - (time(NULL) + 86400 * 90)) < 60);
	fo_tls_cert_free(c);

	c = fo_tls_cert_load(path("rsa.pem"), path("rsa.key"), time(NULL), err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(fo_tls_cert_key_type(c), FO_TLS_KEY_RSA);
	fo_tls_cert_free(c);

	/* no SAN: the CN */
	c = fo_tls_cert_load(path("cn_only.pem"), path("leaf.key"), time(NULL), err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(fo_tls_cert_names(c, names, 8), 1);
	assert_string_equal(names[0], "cn-only.test");
	fo_tls_cert_free(c);
}

/* Every error: NULL and "file: message". */
static void
test_load_errors(void **state)
{
	static const struct {
		const char *cert, *key, *file, *msg;
	} cases[] = {
		{"missing.pem", "leaf.key", "missing.pem",
			"cannot open: No such file or directory"},
		{"chain.pem", "missing.key", "missing.key",
			"cannot open: No such file or directory"},
		{"garbage.pem", "leaf.key", "garbage.pem", "no PEM certificate in the file"},
		{"chain.pem", "garbage.pem", "garbage.pem", "no usable PEM private key"},
		{"chain.pem", "enc.key", "enc.key", "no usable PEM private key"},
		{"chain.pem", "other.key", "other.key",
			"private key does not match the certificate"},
		{"chain.pem", "rsa.key", "rsa.key", "private key does not match the certificate"},
		{"expired.pem", "leaf.key", "expired.pem", "certificate expired on "},
		{"future.pem", "leaf.key", "future.pem", "certificate not valid before "},
		{"bad_order.pem", "leaf.key", "bad_order.pem",
			"certificate 1 is not issued by certificate 2: chain out of order"},
	};
	unsigned i;

	(void)state;
	for (i = 0; i < FO_ARRAY_SIZE(cases); i++) {
		char err[512] = "", want[256];
		struct fo_tls_cert *c = fo_tls_cert_load(
			path(cases[i].cert), path(cases[i].key), time(NULL), err, sizeof(err));

		if (c != NULL)
			fail_msg("case %u (%s, %s) loaded", i, cases[i].cert, cases[i].key);
		snprintf(want, sizeof(want), "%s: %s", path(cases[i].file), cases[i].msg);
		if (strncmp(err, want, strlen(want)) != 0)
			fail_msg("case %u: got '%s', want '%s...'", i, err, want);
	}
	/* a leaf alone (no intermediates) is a valid chain: clients may have them */
	char err[256];
	struct fo_tls_cert *c = fo_tls_cert_load(
		path("leaf_only.pem"), path("leaf.key"), time(NULL), err, sizeof(err));
	assert_non_null(c);
	fo_tls_cert_free(c);
	/* the same expired certificate is fine at a time it was valid */
	c = fo_tls_cert_load(
		path("expired.pem"), path("leaf.key"), time(NULL) - 86400 * 5, err, sizeof(err));
	assert_non_null(c);
	fo_tls_cert_free(c);
}

static void
test_selfsigned(void **state)
{
	char err[256] = "";
	time_t now = time(NULL);
	struct fo_tls_cert *a =
		fo_tls_cert_selfsigned("fanout.default", now, 365, err, sizeof(err));
	struct fo_tls_cert *b =
		fo_tls_cert_selfsigned("fanout.default", now, 365, err, sizeof(err));
	const char *names[2];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(fo_tls_cert_key_type(a), FO_TLS_KEY_ECDSA);
	assert_int_equal(fo_tls_cert_names(a, names, 2), 1);
	assert_string_equal(names[0], "fanout.default");
	assert_int_equal(fo_tls_cert_not_after(a), now + 365 * 86400);
	/* a fresh key and serial each time */
	assert_int_not_equal(EVP_PKEY_eq(a->key, b->key), 1);
	assert_int_not_equal(
		ASN1_INTEGER_cmp(X509_get0_serialNumber(a->leaf), X509_get0_serialNumber(b->leaf)),
		0);
	/* signed by itself, valid now */
	assert_int_equal(X509_verify(a->leaf, a->key), 1);
	assert_int_equal(X509_check_private_key(a->leaf, a->key), 1);
	assert_true(X509_cmp_time(X509_get0_notBefore(a->leaf), &now) < 0);
	fo_tls_cert_free(a);
	fo_tls_cert_free(b);
	assert_null(fo_tls_cert_selfsigned("", now, 365, err, sizeof(err)));
}

/* What fanoutctl certs lists: subject, issuer, serial (hex), validity, key, chain length. */
static void
test_info(void **state)
{
	char err[256] = "", want[16];
	time_t now = time(NULL);
	struct fo_tls_cert *c = fo_tls_cert_load(path("chain.pem"), path("leaf.key"), now, err,
		sizeof(err));
	struct fo_tls_cert_info ci;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
	char *hex = BN_bn2hex(bn);

	(void)state;
	assert_non_null(c);
	assert_int_equal(fo_tls_cert_info(c, &ci), 0);
	assert_string_equal(ci.subject, "CN=ignored-cn.test");
	assert_string_equal(ci.issuer, "CN=Test Intermediate");
	assert_string_equal(ci.serial, hex); /* th_cert()'s serials count from 1000 */
	snprintf(want, sizeof(want), "%lX", ASN1_INTEGER_get(X509_get0_serialNumber(leaf)));
	assert_int_equal(strtol(ci.serial, NULL, 16), strtol(want, NULL, 16));
	assert_int_equal(ci.not_after, fo_tls_cert_not_after(c));
	assert_true(ci.not_before <= now - 3500 && ci.not_before >= now - 3700);
	assert_true(ci.not_after >= now + 86400 * 90 - 100 && ci.not_after <= now + 86400 * 90 + 100);
	assert_int_equal(ci.type, FO_TLS_KEY_ECDSA);
	assert_int_equal(ci.n_chain, 1);
	assert_int_equal(fo_tls_cert_info(c, NULL), -EINVAL);
	assert_int_equal(fo_tls_cert_info(NULL, &ci), -EINVAL);
	OPENSSL_free(hex);
	BN_free(bn);
	fo_tls_cert_free(c);
	c = fo_tls_cert_selfsigned("fanout-default.invalid", now, 365, err, sizeof(err));
	assert_int_equal(fo_tls_cert_info(c, &ci), 0);
	assert_string_equal(ci.subject, ci.issuer);
	assert_non_null(strstr(ci.subject, "CN=fanout-default.invalid"));
	assert_true(strlen(ci.serial) >= 30); /* 127 random bits */
	assert_int_equal(ci.n_chain, 0);
	fo_tls_cert_free(c);
}

/* ---------------------------------------------------------------- */

struct env {
	struct rte_mempool *mp;
	struct fo_tls_worker *w;
	struct fo_tls_cert *ec, *rsa;
	struct fo_tls_ctx *ctx;
	struct fo_tls_keys keys;
};

static void
env_init(struct env *e)
{
	char err[256] = "";
	struct fo_tls_cert *both[2];

	memset(e, 0, sizeof(*e));
	e->mp = fake_pool_create("ctx", 2048, RTE_MBUF_DEFAULT_BUF_SIZE);
	e->w = fo_tls_worker_create();
	assert_non_null(e->w);
	e->ec = fo_tls_cert_load(path("chain.pem"), path("leaf.key"), time(NULL), err, sizeof(err));
	e->rsa = fo_tls_cert_load(path("rsa.pem"), path("rsa.key"), time(NULL), err, sizeof(err));
	assert_non_null(e->ec);
	assert_non_null(e->rsa);
	e->keys.set = fo_tls_keyset_new();
	both[0] = e->rsa;
	both[1] = e->ec;
	e->ctx = fo_tls_ctx_create(e->w, both, 2, NULL, &e->keys, err, sizeof(err));
	if (e->ctx == NULL)
		fail_msg("ctx: %s", err);
}

static void
env_free(struct env *e)
{
	fo_tls_ctx_free(e->ctx);
	fo_tls_cert_free(e->ec);
	fo_tls_cert_free(e->rsa);
	fo_tls_keyset_free(e->keys.set);
	fo_tls_worker_free(e->w);
	assert_int_equal(fake_pool_in_use(e->mp), 0);
	fake_pool_free(e->mp);
}

/* Key type of the certificate the client got, or -1 when no handshake. */
static int
served_key(struct env *e, SSL_CTX *cctx, const char **cipher, int *version)
{
	struct th_conn t;
	int rc, type = -1;

	th_conn_open(&t, e->mp, e->ctx, cctx, "shop.test", NULL);
	rc = th_conn_handshake(&t);
	if (rc == 0) {
		X509 *peer = SSL_get0_peer_certificate(t.cli);

		type = EVP_PKEY_get_base_id(X509_get0_pubkey(peer));
		if (cipher != NULL)
			*cipher = SSL_get_cipher_name(t.cli);
		if (version != NULL)
			*version = SSL_version(t.cli);
		/* the chain came along: leaf + intermediate */
		assert_int_equal(sk_X509_num(SSL_get_peer_cert_chain(t.cli)), 2);
	}
	th_conn_close(&t);
	return type;
}

static void
test_ctx_ecdsa_and_rsa(void **state)
{
	struct env e;
	SSL_CTX *any = th_client_ctx(NULL, 0);
	SSL_CTX *rsa_only = th_client_ctx("rsa_pss_rsae_sha256:rsa_pkcs1_sha256", 0);
	SSL_CTX *rsa12 = th_client_ctx(NULL, TLS1_2_VERSION);
	const char *cipher = NULL;
	int version = 0;

	(void)state;
	env_init(&e);
	assert_int_equal(served_key(&e, any, NULL, &version), EVP_PKEY_EC);
	assert_int_equal(version, TLS1_3_VERSION);
	assert_int_equal(served_key(&e, rsa_only, NULL, NULL), EVP_PKEY_RSA);
	/* TLS 1.2: the first suite of ingress-nginx's list that fits */
	assert_int_equal(served_key(&e, rsa12, &cipher, &version), EVP_PKEY_EC);
	assert_int_equal(version, TLS1_2_VERSION);
	assert_string_equal(cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
	SSL_CTX_set_cipher_list(rsa12, "ECDHE-RSA-AES256-GCM-SHA384");
	assert_int_equal(served_key(&e, rsa12, &cipher, &version), EVP_PKEY_RSA);
	assert_string_equal(cipher, "ECDHE-RSA-AES256-GCM-SHA384");
	SSL_CTX_free(any);
	SSL_CTX_free(rsa_only);
	SSL_CTX_free(rsa12);
	env_free(&e);
}

static void
test_ctx_refusals(void **state)
{
	struct env e;
	SSL_CTX *c;

	(void)state;
	env_init(&e);
	/* TLS 1.0 and 1.1 */
	c = th_client_ctx(NULL, TLS1_1_VERSION);
	SSL_CTX_set_security_level(c, 0);
	SSL_CTX_set_min_proto_version(c, TLS1_VERSION);
	assert_int_equal(served_key(&e, c, NULL, NULL), -1);
	SSL_CTX_free(c);
	/* TLS 1.2 suites outside the list: CBC, no forward secrecy */
	c = th_client_ctx(NULL, TLS1_2_VERSION);
	SSL_CTX_set_cipher_list(
		c, "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:AES128-GCM-SHA256");
	assert_int_equal(served_key(&e, c, NULL, NULL), -1);
	SSL_CTX_free(c);
	/* groups other than X25519 and P-256 */
	c = th_client_ctx(NULL, 0);
	SSL_CTX_set1_groups_list(c, "X448:P-384");
	assert_int_equal(served_key(&e, c, NULL, NULL), -1);
	SSL_CTX_set1_groups_list(c, "P-256");
	assert_int_equal(served_key(&e, c, NULL, NULL), EVP_PKEY_EC);
	SSL_CTX_free(c);
	env_free(&e);
}

/* Settings not visible in one handshake. */
static void
test_ctx_settings(void **state)
{
	struct env e;
	char err[256] = "";
	struct fo_tls_cert *two[2];

	(void)state;
	env_init(&e);
	assert_true(SSL_CTX_get_options(e.ctx->ssl) & SSL_OP_NO_RENEGOTIATION);
	assert_int_equal(SSL_CTX_get_session_cache_mode(e.ctx->ssl), SSL_SESS_CACHE_OFF);
	assert_int_equal(SSL_CTX_get_max_early_data(e.ctx->ssl), 0);
	assert_true(SSL_CTX_get_mode(e.ctx->ssl) & SSL_MODE_RELEASE_BUFFERS);
	assert_int_equal(SSL_CTX_get_timeout(e.ctx->ssl), 2 * FO_TLS_DEFAULT_TICKET_PERIOD);
	/* two certificates of one key type in one context */
	two[0] = e.ec;
	two[1] = e.ec;
	assert_null(fo_tls_ctx_create(e.w, two, 2, NULL, NULL, err, sizeof(err)));
	assert_string_equal(err, "certificate 2: a second certificate of the same key type");
	/* a cipher list with nothing usable */
	struct fo_tls_ctx_config bad = {.ciphers = "NO-SUCH-CIPHER"};
	assert_null(fo_tls_ctx_create(e.w, two, 1, &bad, NULL, err, sizeof(err)));
	assert_true(strncmp(err, "tls: no usable cipher in the cipher list", 40) == 0);
	env_free(&e);
}

/* Resumption by ticket works and never carries early data (0-RTT off). */
static void
test_ctx_ticket_no_early_data(void **state)
{
	struct env e;
	SSL_CTX *c = th_client_ctx(NULL, 0);
	SSL_SESSION *sess;
	struct th_conn t;

	(void)state;
	env_init(&e);
	th_conn_open(&t, e.mp, e.ctx, c, "shop.test", NULL);
	assert_int_equal(th_conn_handshake(&t), 0);
	assert_int_equal(th_conn_pingpong(&t, 10), 10);
	sess = SSL_get1_session(t.cli);
	assert_non_null(sess);
	assert_int_equal(SSL_SESSION_is_resumable(sess), 1);
	assert_int_equal(SSL_SESSION_get_max_early_data(sess), 0);
	assert_true(SSL_SESSION_get_ticket_lifetime_hint(sess) <= 2 * FO_TLS_DEFAULT_TICKET_PERIOD);
	th_conn_close(&t);
	th_conn_open(&t, e.mp, e.ctx, c, "shop.test", sess);
	assert_int_equal(th_conn_handshake(&t), 0);
	assert_int_equal(fo_tls_conn_resumed(t.srv), 1);
	th_conn_close(&t);
	SSL_SESSION_free(sess);
	SSL_CTX_free(c);
	env_free(&e);
}

/* ALPN: http/1.1 by default, server preference, fatal alert when nothing fits. */
static const char *
alpn_of(struct env *e, const char *offer, int *rc)
{
	static char got[32];
	unsigned char wire[64];
	size_t n = 0, len;
	const char *p = offer, *proto;
	SSL_CTX *c = th_client_ctx(NULL, 0);
	struct th_conn t;

	while (p != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		size_t l = comma != NULL ? (size_t)(comma - p) : strlen(p);

		wire[n++] = (unsigned char)l;
		memcpy(wire + n, p, l);
		n += l;
		p = comma != NULL ? comma + 1 : NULL;
	}
	if (n > 0)
		SSL_CTX_set_alpn_protos(c, wire, (unsigned)n);
	th_conn_open(&t, e->mp, e->ctx, c, "shop.test", NULL);
	*rc = th_conn_handshake(&t);
	got[0] = '\0';
	if (*rc == 0) {
		len = fo_tls_conn_alpn(t.srv, &proto);
		snprintf(got, sizeof(got), "%.*s", (int)len, proto);
	}
	th_conn_close(&t);
	SSL_CTX_free(c);
	return got;
}

static void
test_ctx_alpn(void **state)
{
	static const char *const h2_first[] = {"h2", "http/1.1", NULL};
	struct fo_tls_ctx_config cfg = {.alpn = h2_first};
	char err[256] = "";
	struct env e;
	int rc;

	(void)state;
	env_init(&e);
	assert_string_equal(alpn_of(&e, "h2,http/1.1", &rc), "http/1.1");
	assert_string_equal(alpn_of(&e, "http/1.1", &rc), "http/1.1");
	assert_string_equal(alpn_of(&e, NULL, &rc), ""); /* no ALPN offered: none */
	assert_int_equal(rc, 0);
	alpn_of(&e, "h2", &rc); /* nothing in common: no_application_protocol */
	assert_int_equal(rc, -EPROTO);
	/* the hook for h2: a context that prefers it */
	fo_tls_ctx_free(e.ctx);
	e.ctx = fo_tls_ctx_create(e.w, &e.ec, 1, &cfg, NULL, err, sizeof(err));
	assert_non_null(e.ctx);
	assert_string_equal(alpn_of(&e, "http/1.1,h2", &rc), "h2");
	assert_string_equal(alpn_of(&e, "http/1.1", &rc), "http/1.1");
	env_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_ok_names),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_selfsigned),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_ctx_ecdsa_and_rsa),
		cmocka_unit_test(test_ctx_refusals),
		cmocka_unit_test(test_ctx_settings),
		cmocka_unit_test(test_ctx_ticket_no_early_data),
		cmocka_unit_test(test_ctx_alpn),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
