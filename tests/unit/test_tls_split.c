/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tls handshake pieces (fo_tls_conn_split()): a TLS 1.3 server flight
 * stops after its X25519 key pair (tls_kex.c), after its ServerHello and
 * after its CertificateVerify (-EINPROGRESS three times), with nothing in
 * the send queue until the flight's end; the handshake then completes, data
 * flows, and records no longer run in an asynchronous job. Off: whole
 * flights. TLS 1.2 stops twice (after its ServerHello, after the key pair of
 * its ServerKeyExchange); a resumed handshake (ticket) stops after the key
 * pair and the ServerHello (no signature). The key pairs come from lib/tls's
 * own key manager, split or not (its counter); a client without X25519
 * (P-256 only) gets the default provider's and one stop fewer; one whose
 * first share is P-256 gets a HelloRetryRequest (one more stop); a worker
 * without that provider (it failed to load) still handshakes. A connection
 * freed while stopped, at any of the three stops, gives its job back: with a
 * pool of one job per thread, handshakes still complete after six such frees.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <openssl/async.h>

#include "fake_pool.h"
#include "tls_harness.h"

struct env {
	struct rte_mempool *mp;
	struct fo_tls_worker *w;
	struct fo_tls_keys keys;
	struct fo_tls_cert *cert;
	struct fo_tls_ctx *ctx;
	SSL_CTX *cctx, *cctx12, *cctx_p256, *cctx12_p256;
};

static struct env E;

static int
setup(void **state)
{
	char err[256] = "";

	(void)state;
	/* one job per thread: a job a freed connection kept would make every
	 * later split handshake fail (ASYNC_start_job() finds none) */
	assert_int_equal(ASYNC_init_thread(1, 0), 1);
	memset(&E, 0, sizeof(E));
	E.mp = fake_pool_create("split", 1024, RTE_MBUF_DEFAULT_BUF_SIZE);
	E.w = fo_tls_worker_create();
	assert_non_null(E.w);
	fo_tls_keys_publish(&E.keys, fo_tls_keyset_new());
	E.cert = fo_tls_cert_selfsigned("split.test", time(NULL), 30, err, sizeof(err));
	assert_non_null(E.cert);
	E.ctx = fo_tls_ctx_create(E.w, &E.cert, 1, NULL, &E.keys, err, sizeof(err));
	assert_non_null(E.ctx);
	E.cctx = th_client_ctx(NULL, 0);
	E.cctx12 = th_client_ctx(NULL, TLS1_2_VERSION);
	E.cctx_p256 = th_client_ctx(NULL, 0);
	E.cctx12_p256 = th_client_ctx(NULL, TLS1_2_VERSION);
	assert_int_equal(SSL_CTX_set1_groups_list(E.cctx_p256, "P-256"), 1);
	assert_int_equal(SSL_CTX_set1_groups_list(E.cctx12_p256, "P-256"), 1);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	SSL_CTX_free(E.cctx);
	SSL_CTX_free(E.cctx12);
	SSL_CTX_free(E.cctx_p256);
	SSL_CTX_free(E.cctx12_p256);
	fo_tls_ctx_free(E.ctx);
	fo_tls_cert_free(E.cert);
	fo_tls_keyset_free(fo_tls_keys_publish(&E.keys, NULL));
	fo_tls_worker_free(E.w);
	assert_int_equal(fake_pool_in_use(E.mp), 0);
	fake_pool_free(E.mp);
	ASYNC_cleanup_thread();
	return 0;
}

/* One handshake on @p ctx; @return the pieces the server's calls stopped at. */
static unsigned
handshake_on(struct fo_tls_ctx *ctx, SSL_CTX *cctx, int split, SSL_SESSION **sess, int *resumed)
{
	struct th_conn t;
	unsigned pieces;

	th_conn_open(&t, E.mp, ctx, cctx, "split.test", sess != NULL ? *sess : NULL);
	assert_int_equal(fo_tls_conn_split(t.srv, split), 0);
	assert_int_equal(th_conn_handshake(&t), 0);
	/* the flight went out whole: nothing queued while it stopped */
	assert_int_equal(t.early_tx, 0);
	assert_int_equal(t.sio.hs_pauses, t.pieces);
	/* after the handshake, no job: records run on the caller's stack */
	assert_int_equal(SSL_get_mode((SSL *)t.srv) & SSL_MODE_ASYNC, 0);
	assert_int_equal(t.sio.hs_split, 0);
	assert_int_equal(th_conn_pingpong(&t, 1000), 1000);
	if (resumed != NULL)
		*resumed = fo_tls_conn_resumed(t.srv);
	if (sess != NULL && *sess == NULL)
		*sess = SSL_get1_session(t.cli);
	pieces = t.pieces;
	th_conn_close(&t);
	return pieces;
}

static unsigned
handshake(SSL_CTX *cctx, int split, SSL_SESSION **sess, int *resumed)
{
	return handshake_on(E.ctx, cctx, split, sess, resumed);
}

/* X25519 key pairs made by lib/tls's key manager since the last call. */
static uint64_t
kex_keys(void)
{
	static uint64_t last;
	uint64_t n = fo_tls_worker_kex_keys(E.w), d = n - last;

	last = n;
	return d;
}

static void
test_split_tls13(void **state)
{
	(void)state;
	kex_keys();
	assert_int_equal(handshake(E.cctx, 1, NULL, NULL), 3);
	assert_int_equal(kex_keys(), 1);
	/* whole flights: the same key manager, no stop */
	assert_int_equal(handshake(E.cctx, 0, NULL, NULL), 0);
	assert_int_equal(kex_keys(), 1);
	assert_int_equal(handshake(E.cctx, 1, NULL, NULL), 3);
	assert_int_equal(kex_keys(), 1);
}

static void
test_split_tls12(void **state)
{
	(void)state;
	kex_keys();
	assert_int_equal(handshake(E.cctx12, 1, NULL, NULL), 2);
	assert_int_equal(kex_keys(), 1);
	assert_int_equal(handshake(E.cctx12, 0, NULL, NULL), 0);
	assert_int_equal(kex_keys(), 1);
}

/* No X25519 offered: P-256 from the default provider, no stop at its key. */
static void
test_split_p256(void **state)
{
	(void)state;
	kex_keys();
	assert_int_equal(handshake(E.cctx_p256, 1, NULL, NULL), 2);
	assert_int_equal(handshake(E.cctx_p256, 0, NULL, NULL), 0);
	assert_int_equal(handshake(E.cctx12_p256, 1, NULL, NULL), 1);
	assert_int_equal(kex_keys(), 0);
}

/* A client whose first share is P-256 on a server with X25519 alone: a
 * HelloRetryRequest (a ServerHello: a stop), then the X25519 flight. */
static void
test_split_hrr(void **state)
{
	static const struct fo_tls_ctx_config cfg = {.groups = "X25519"};
	SSL_CTX *cctx = th_client_ctx(NULL, 0);
	struct fo_tls_ctx *ctx;
	char err[256] = "";

	(void)state;
	ctx = fo_tls_ctx_create(E.w, &E.cert, 1, &cfg, &E.keys, err, sizeof(err));
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_set1_groups_list(cctx, "P-256:X25519"), 1);
	kex_keys();
	assert_int_equal(handshake_on(ctx, cctx, 1, NULL, NULL), 4);
	assert_int_equal(kex_keys(), 1);
	assert_int_equal(handshake_on(ctx, cctx, 0, NULL, NULL), 0);
	assert_int_equal(kex_keys(), 1);
	fo_tls_ctx_free(ctx);
	SSL_CTX_free(cctx);
}

/* A worker without lib/tls's key manager (it failed to load): X25519 from
 * the default provider, split at messages only. */
static void
test_split_no_kex(void **state)
{
	struct fo_tls_worker *w = tls_worker_create(0);
	struct fo_tls_ctx *ctx;
	char err[256] = "";

	(void)state;
	assert_non_null(w);
	ctx = fo_tls_ctx_create(w, &E.cert, 1, NULL, &E.keys, err, sizeof(err));
	assert_non_null(ctx);
	assert_int_equal(handshake_on(ctx, E.cctx, 1, NULL, NULL), 2);
	assert_int_equal(handshake_on(ctx, E.cctx, 0, NULL, NULL), 0);
	assert_int_equal(handshake_on(ctx, E.cctx12, 1, NULL, NULL), 1);
	assert_int_equal(fo_tls_worker_kex_keys(w), 0);
	fo_tls_ctx_free(ctx);
	fo_tls_worker_free(w);
}

static void
test_split_resumed(void **state)
{
	SSL_SESSION *sess = NULL;
	int resumed = 0;

	(void)state;
	assert_int_equal(handshake(E.cctx, 1, &sess, &resumed), 3);
	assert_int_equal(resumed, 0);
	assert_non_null(sess);
	kex_keys();
	/* a resumption still makes an X25519 key pair */
	assert_int_equal(handshake(E.cctx, 1, &sess, &resumed), 2);
	assert_int_equal(resumed, 1);
	assert_int_equal(kex_keys(), 1);
	SSL_SESSION_free(sess);
}

/* Freed while stopped after the key pair, after the ServerHello, after the
 * signature. */
static void
test_split_free_stopped(void **state)
{
	struct th_conn t;
	unsigned i, k;

	(void)state;
	for (i = 0; i < 6; i++) {
		th_conn_open(&t, E.mp, E.ctx, E.cctx, "split.test", NULL);
		assert_int_equal(fo_tls_conn_split(t.srv, 1), 0);
		assert_int_equal(SSL_do_handshake(t.cli), -1); /* the ClientHello */
		th_conn_step(&t);
		for (k = 0; k <= i % 3; k++)
			assert_int_equal(fo_tls_handshake(t.srv), -EINPROGRESS);
		assert_int_equal(t.sio.hs_pauses, i % 3 + 1);
		assert_int_equal(t.sio.tx_len, 0);
		assert_int_equal(SSL_waiting_for_async((SSL *)t.srv), 1);
		th_conn_close(&t); /* fo_tls_conn_free() runs the job to its end */
		assert_null(ASYNC_get_current_job());
	}
	assert_int_equal(fake_pool_in_use(E.mp), 0);
	/* the one job came back every time */
	assert_int_equal(handshake(E.cctx, 1, NULL, NULL), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_tls13),
		cmocka_unit_test(test_split_tls12),
		cmocka_unit_test(test_split_resumed),
		cmocka_unit_test(test_split_p256),
		cmocka_unit_test(test_split_hrr),
		cmocka_unit_test(test_split_no_kex),
		cmocka_unit_test(test_split_free_stopped),
	};

	if (!ASYNC_is_capable()) {
		fprintf(stderr, "test_tls_split: this platform has no asynchronous jobs\n");
		return 1; /* a failure, not a skip: fanout's Debian target has them */
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
