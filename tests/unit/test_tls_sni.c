/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tls SNI selection, a table of (server name -> expected index):
 * exact names (case-insensitive, trailing dot ignored), one-label
 * wildcards (RFC 6125: *.example.com matches a.example.com, not
 * example.com nor a.b.example.com), the default, strict_sni, no SNI at
 * all; and the names a table refuses to hold. The names come from
 * certificates' SAN DNS entries (CN only without SAN).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fake_pool.h"
#include "fo_common.h"
#include "tls_harness.h"

enum { SHOP, WILD_SHOP, API, WILD_DEEP, DEFAULT_IDX = 99 };

static const char *const names[] = {
	"shop.example.com", "*.example.com", "API.example.org", "*.b.example.net",
	"shop.example.com", /* twice: the first wins */
};
static const uint32_t idx[] = {SHOP, WILD_SHOP, API, WILD_DEEP, 77};

static const struct {
	const char *sni;
	int64_t want, want_strict;
} cases[] = {
	{"shop.example.com", SHOP, SHOP},
	{"SHOP.Example.COM", SHOP, SHOP},
	{"shop.example.com.", SHOP, SHOP},
	{"a.example.com", WILD_SHOP, WILD_SHOP},
	{"A-1.EXAMPLE.com", WILD_SHOP, WILD_SHOP},
	{"example.com", DEFAULT_IDX, FO_TLS_SNI_REFUSE},
	{"a.b.example.com", DEFAULT_IDX, FO_TLS_SNI_REFUSE},
	{"x.shop.example.com", DEFAULT_IDX, FO_TLS_SNI_REFUSE},
	{"api.example.org", API, API},
	{"www.api.example.org", DEFAULT_IDX, FO_TLS_SNI_REFUSE},
	{"c.b.example.net", WILD_DEEP, WILD_DEEP},
	{"b.example.net", DEFAULT_IDX, FO_TLS_SNI_REFUSE},
	{"d.c.b.example.net", DEFAULT_IDX, FO_TLS_SNI_REFUSE},
	{"*.example.com", DEFAULT_IDX, FO_TLS_SNI_REFUSE}, /* a wildcard is not a name */
	{".example.com", DEFAULT_IDX, FO_TLS_SNI_REFUSE},
	{"unknown.test", DEFAULT_IDX, FO_TLS_SNI_REFUSE},
	{"com", DEFAULT_IDX, FO_TLS_SNI_REFUSE},
	{".", DEFAULT_IDX, FO_TLS_SNI_REFUSE},
	{"", DEFAULT_IDX, FO_TLS_SNI_REFUSE},
	{NULL, DEFAULT_IDX, FO_TLS_SNI_REFUSE},
};

static void
test_select_table(void **state)
{
	struct fo_tls_sni t, strict, nodef;
	char err[256] = "";
	unsigned i;

	(void)state;
	assert_int_equal(fo_tls_sni_build(&t, names, idx, 5, DEFAULT_IDX, 0, err, sizeof(err)), 0);
	assert_int_equal(t.n, 4);
	assert_int_equal(
		fo_tls_sni_build(&strict, names, idx, 5, DEFAULT_IDX, 1, err, sizeof(err)), 0);
	assert_int_equal(fo_tls_sni_build(&nodef, names, idx, 5, -1, 0, err, sizeof(err)), 0);
	for (i = 0; i < FO_ARRAY_SIZE(cases); i++) {
		const char *s = cases[i].sni;
		size_t len = s != NULL ? strlen(s) : 0;
		int64_t got = fo_tls_sni_select(&t, s, len);
		int64_t got_strict = fo_tls_sni_select(&strict, s, len);
		int64_t got_nodef = fo_tls_sni_select(&nodef, s, len);

		if (got != cases[i].want || got_strict != cases[i].want_strict ||
			got_nodef != cases[i].want_strict)
			fail_msg("'%s': got %ld/%ld/%ld, want %ld/%ld", s ? s : "(none)", (long)got,
				(long)got_strict, (long)got_nodef, (long)cases[i].want,
				(long)cases[i].want_strict);
	}
	/* not NUL-terminated: only len bytes count */
	assert_int_equal(fo_tls_sni_select(&t, "a.example.comXYZ", 13), WILD_SHOP);
	/* a NUL inside never matches */
	assert_int_equal(fo_tls_sni_select(&strict, "shop.example.com\0x", 18), FO_TLS_SNI_REFUSE);
	/* longer than a DNS name */
	char longname[300];
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 280, ".example.com", 12);
	assert_int_equal(fo_tls_sni_select(&strict, longname, 292), FO_TLS_SNI_REFUSE);
	fo_tls_sni_release(&t);
	fo_tls_sni_release(&strict);
	fo_tls_sni_release(&nodef);
}

static void
test_build_refuses(void **state)
{
	static const char *const bad[] = {
		"*.com",
		"*",
		"a*.example.com",
		"*a.example.com",
		"a.*.example.com",
		"example..com",
		".example.com",
		"exa mple.com",
		"",
		"*.",
		"x/y.com",
	};
	unsigned i;

	(void)state;
	for (i = 0; i < FO_ARRAY_SIZE(bad); i++) {
		struct fo_tls_sni t;
		char err[300] = "";
		uint32_t zero = 0;

		if (fo_tls_sni_build(&t, &bad[i], &zero, 1, 0, 0, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err, "not a DNS name nor a one-label wildcard"));
	}
}

/* The names a certificate brings: SAN DNS, else CN; usable as a table. */
static void
test_names_from_certificates(void **state)
{
	EVP_PKEY *k = th_key("EC");
	X509 *with_san = th_cert(k, "cn.example.com", "Shop.example.com,*.shop.example.com", -60,
		3600, NULL, NULL, 0);
	X509 *cn_only = th_cert(k, "Legacy.Example.com", NULL, -60, 3600, NULL, NULL, 0);
	const char *n[4], *all[4];
	uint32_t ix[4] = {1, 1, 2, 0};
	struct fo_tls_sni t;
	char err[128];

	(void)state;
	/* through PEM files: the path certificates really take */
	char dir[] = "/tmp/fo_tls_sni_XXXXXX", p1[64], p2[64], pk[64], cmd[80];
	assert_non_null(mkdtemp(dir));
	snprintf(p1, sizeof(p1), "%s/a.pem", dir);
	snprintf(p2, sizeof(p2), "%s/b.pem", dir);
	snprintf(pk, sizeof(pk), "%s/k.pem", dir);
	th_write_certs(p1, (X509 *[]){with_san, NULL});
	th_write_certs(p2, (X509 *[]){cn_only, NULL});
	th_write_key(pk, k);
	struct fo_tls_cert *ca1 = fo_tls_cert_load(p1, pk, time(NULL), err, sizeof(err));
	struct fo_tls_cert *ca2 = fo_tls_cert_load(p2, pk, time(NULL), err, sizeof(err));
	assert_non_null(ca1);
	assert_non_null(ca2);
	assert_int_equal(fo_tls_cert_names(ca1, n, 4), 2);
	all[0] = n[0];
	all[1] = n[1];
	assert_int_equal(fo_tls_cert_names(ca2, n, 4), 1);
	all[2] = n[0];
	assert_string_equal(all[2], "legacy.example.com");
	assert_int_equal(fo_tls_sni_build(&t, all, ix, 3, 0, 1, err, sizeof(err)), 0);
	assert_int_equal(fo_tls_sni_select(&t, "shop.example.com", 16), 1);
	assert_int_equal(fo_tls_sni_select(&t, "m.shop.example.com", 18), 1);
	assert_int_equal(fo_tls_sni_select(&t, "legacy.example.com", 18), 2);
	/* the CN of a certificate with SANs is not one of its names */
	assert_int_equal(fo_tls_sni_select(&t, "cn.example.com", 14), FO_TLS_SNI_REFUSE);
	fo_tls_sni_release(&t);
	fo_tls_cert_free(ca1);
	fo_tls_cert_free(ca2);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	X509_free(with_san);
	X509_free(cn_only);
	EVP_PKEY_free(k);
}

/* ---------------------------------------------------------------- */
/* The table in a handshake: fo_tls_ctx_set_sni() on a listener's context. */

struct sni_env {
	struct rte_mempool *mp;
	struct fo_tls_worker *w;
	struct fo_tls_keys keys;
	struct fo_tls_cert *certs[3];
	struct fo_tls_ctx *ctxs[3];
	struct fo_tls_sni table;
	struct fo_tls_sni_map map;
	SSL_CTX *cctx;
};

static void
sni_env_init(struct sni_env *e, int strict)
{
	static const char *const hosts[] = {"a.test", "*.w.test"};
	const char *cert_names[4];
	uint32_t ix[4];
	char err[256] = "", dir[] = "/tmp/fo_tls_sni_XXXXXX", cp[64], kp[64], cmd[80];
	unsigned i, n = 0;

	memset(e, 0, sizeof(*e));
	e->mp = fake_pool_create("sni", 1024, RTE_MBUF_DEFAULT_BUF_SIZE);
	e->w = fo_tls_worker_create();
	fo_tls_keys_publish(&e->keys, fo_tls_keyset_new());
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 2; i++) {
		EVP_PKEY *k = th_key("EC");
		X509 *x = th_cert(k, "cn.test", hosts[i], -60, 3600, NULL, NULL, 0);

		snprintf(cp, sizeof(cp), "%s/c%u.pem", dir, i);
		snprintf(kp, sizeof(kp), "%s/k%u.pem", dir, i);
		th_write_certs(cp, (X509 *[]){x, NULL});
		th_write_key(kp, k);
		e->certs[i] = fo_tls_cert_load(cp, kp, time(NULL), err, sizeof(err));
		assert_non_null(e->certs[i]);
		X509_free(x);
		EVP_PKEY_free(k);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	e->certs[2] = fo_tls_cert_selfsigned("fanout.default", time(NULL), 30, err, sizeof(err));
	for (i = 0; i < 3; i++) {
		e->ctxs[i] =
			fo_tls_ctx_create(e->w, &e->certs[i], 1, NULL, &e->keys, err, sizeof(err));
		assert_non_null(e->ctxs[i]);
	}
	/* names from the certificates themselves */
	for (i = 0; i < 2; i++) {
		unsigned k, m = fo_tls_cert_names(e->certs[i], cert_names + n, 4 - n);

		for (k = 0; k < m; k++)
			ix[n + k] = i;
		n += m;
	}
	assert_int_equal(fo_tls_sni_build(&e->table, cert_names, ix, n, 2, strict, err, sizeof(err)), 0);
	e->map = (struct fo_tls_sni_map){.sni = &e->table, .ctxs = e->ctxs, .n_ctxs = 3};
	/* the listener's entry context: the default one */
	assert_int_equal(fo_tls_ctx_set_sni(e->ctxs[2], &e->map), 0);
	e->cctx = th_client_ctx(NULL, 0);
}

static void
sni_env_free(struct sni_env *e)
{
	unsigned i;

	SSL_CTX_free(e->cctx);
	for (i = 0; i < 3; i++) {
		fo_tls_ctx_free(e->ctxs[i]);
		fo_tls_cert_free(e->certs[i]);
	}
	fo_tls_sni_release(&e->table);
	fo_tls_keyset_free(fo_tls_keys_publish(&e->keys, NULL));
	fo_tls_worker_free(e->w);
	assert_int_equal(fake_pool_in_use(e->mp), 0);
	fake_pool_free(e->mp);
}

/* Context @p i counted @p full, @p resumed and @p failed handshakes. */
static void
expect_hs(const struct sni_env *e, unsigned i, uint64_t full, uint64_t resumed, uint64_t failed)
{
	struct fo_tls_hs_count c;

	fo_tls_ctx_hs_count(e->ctxs[i], &c);
	if (c.full != full || c.resumed != resumed || c.failed != failed)
		fail_msg("context %u: %lu full, %lu resumed, %lu failed; want %lu, %lu, %lu", i,
			(unsigned long)c.full, (unsigned long)c.resumed, (unsigned long)c.failed,
			(unsigned long)full, (unsigned long)resumed, (unsigned long)failed);
}

/* Handshake with SNI @p sni: 0 and a certificate valid for @p check, or the
 * server's error (and the client got unrecognized_name). */
static int
sni_handshake(
	struct sni_env *e, const char *sni, const char *check, SSL_SESSION **sess, int *resumed)
{
	struct th_conn t;
	int rc;

	th_conn_open(&t, e->mp, e->ctxs[2], e->cctx, sni, sess != NULL ? *sess : NULL);
	rc = th_conn_handshake(&t);
	if (rc == 0) {
		X509 *peer = SSL_get0_peer_certificate(t.cli);

		if (X509_check_host(peer, check, 0, 0, NULL) != 1)
			fail_msg("SNI %s: certificate not for %s", sni ? sni : "(none)", check);
		if (resumed != NULL)
			*resumed = fo_tls_conn_resumed(t.srv);
		if (sess != NULL && *sess == NULL) {
			th_conn_pingpong(&t, 3);
			*sess = SSL_get1_session(t.cli);
		}
	} else if (rc != -1000) {
		/* the client saw the alert */
		assert_int_equal(SSL_do_handshake(t.cli), -1);
		assert_int_equal(
			ERR_GET_REASON(ERR_peek_last_error()), SSL_R_TLSV1_UNRECOGNIZED_NAME);
		ERR_clear_error();
	}
	th_conn_close(&t);
	return rc;
}

static void
test_handshake_selects(void **state)
{
	struct sni_env e;
	SSL_SESSION *sess = NULL;
	int resumed = -1;

	(void)state;
	sni_env_init(&e, 0);
	assert_int_equal(sni_handshake(&e, "a.test", "a.test", NULL, NULL), 0);
	assert_int_equal(sni_handshake(&e, "A.TEST", "a.test", NULL, NULL), 0);
	assert_int_equal(sni_handshake(&e, "x.w.test", "x.w.test", NULL, NULL), 0);
	assert_int_equal(e.map.served_default, 0);
	assert_int_equal(sni_handshake(&e, "w.test", "fanout.default", NULL, NULL), 0);
	assert_int_equal(sni_handshake(&e, "y.x.w.test", "fanout.default", NULL, NULL), 0);
	assert_int_equal(sni_handshake(&e, NULL, "fanout.default", NULL, NULL), 0);
	assert_int_equal(e.map.served_default, 3);
	assert_int_equal(e.map.refused, 0);
	/* a ticket issued on the switched context resumes (same name) */
	assert_int_equal(sni_handshake(&e, "a.test", "a.test", &sess, NULL), 0);
	assert_non_null(sess);
	assert_int_equal(sni_handshake(&e, "a.test", "a.test", &sess, &resumed), 0);
	assert_int_equal(resumed, 1);
	SSL_SESSION_free(sess);
	/* handshakes per certificate served: a.test 3 full and the resumed one,
	 * the wildcard one, the default three */
	expect_hs(&e, 0, 3, 1, 0);
	expect_hs(&e, 1, 1, 0, 0);
	expect_hs(&e, 2, 3, 0, 0);
	sni_env_free(&e);
}

/* A client that stops after the server's flight, and one that refuses the
 * certificate (a verifying client: unknown CA): failures of the certificate
 * served. A connection that never sent a ClientHello counts nowhere. */
static void
test_handshake_failures(void **state)
{
	struct sni_env e;
	struct th_conn t;
	SSL_CTX *verify;

	(void)state;
	sni_env_init(&e, 0);
	th_conn_open(&t, e.mp, e.ctxs[2], e.cctx, "a.test", NULL);
	(void)SSL_do_handshake(t.cli); /* the ClientHello */
	th_conn_step(&t);
	assert_int_equal(fo_tls_handshake(t.srv), -EAGAIN); /* the server's flight */
	th_conn_step(&t);
	th_conn_close(&t);
	expect_hs(&e, 0, 0, 0, 1);
	verify = th_client_ctx(NULL, 0);
	SSL_CTX_set_verify(verify, SSL_VERIFY_PEER, NULL);
	th_conn_open(&t, e.mp, e.ctxs[2], verify, "x.w.test", NULL);
	assert_int_not_equal(th_conn_handshake(&t), 0);
	ERR_clear_error();
	th_conn_close(&t);
	SSL_CTX_free(verify);
	expect_hs(&e, 1, 0, 0, 1);
	th_conn_open(&t, e.mp, e.ctxs[2], e.cctx, "a.test", NULL);
	assert_int_equal(fo_tls_handshake(t.srv), -EAGAIN);
	th_conn_close(&t);
	expect_hs(&e, 0, 0, 0, 1);
	expect_hs(&e, 2, 0, 0, 0);
	sni_env_free(&e);
}

static void
test_handshake_strict(void **state)
{
	struct sni_env e;

	(void)state;
	sni_env_init(&e, 1);
	assert_int_equal(sni_handshake(&e, "a.test", "a.test", NULL, NULL), 0);
	assert_int_equal(sni_handshake(&e, "unknown.test", NULL, NULL, NULL), -EPROTO);
	assert_int_equal(sni_handshake(&e, NULL, NULL, NULL, NULL), -EPROTO);
	assert_int_equal(e.map.refused, 2);
	assert_int_equal(e.map.served_default, 0);
	/* refused names are no certificate's handshakes */
	expect_hs(&e, 0, 1, 0, 0);
	expect_hs(&e, 2, 0, 0, 0);
	/* a map whose table names a context it does not have */
	struct fo_tls_sni_map bad = {.sni = &e.table, .ctxs = e.ctxs, .n_ctxs = 1};
	assert_int_equal(fo_tls_ctx_set_sni(e.ctxs[2], &bad), -EINVAL);
	sni_env_free(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_table),
		cmocka_unit_test(test_build_refuses),
		cmocka_unit_test(test_names_from_certificates),
		cmocka_unit_test(test_handshake_selects),
		cmocka_unit_test(test_handshake_strict),
		cmocka_unit_test(test_handshake_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
