/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tls costs on one core, in memory: a server fo_tls_conn and an
 * OpenSSL client joined by the test wire (tests/unit/tls_harness.h), the
 * server's BIO over mbufs from a fake pool. Only the server's calls are
 * timed (the client's work and the wire's copies are not fanout's):
 *   - full TLS 1.3 handshakes, ECDSA P-256 certificate, X25519, with the
 *     server's flight whole and in pieces (fo_tls_conn_split()): CPU per
 *     handshake and the longest single call (what a worker's loop waits
 *     behind), median and p99 over the handshakes;
 *   - resumed handshakes (session ticket; X25519 still runs);
 *   - one 1 KiB application record written (encrypt + BIO copy into the
 *     send queue) and one read (BIO copy out of the receive chain +
 *     decrypt).
 * Times are this thread's CPU time (the machine may be shared).
 * Usage: bench_tls [handshakes] [records] [resumed handshakes (default: as
 * many as full ones)] [the client's TLS 1.3 suites, e.g.
 * TLS_AES_128_GCM_SHA256, or "-" for the default] [certificate PEM, key PEM
 * (default: a self-signed ECDSA P-256 one)]. Not a test: prints numbers. For instruction counts:
 * valgrind --tool=callgrind --toggle-collect=fo_tls_handshake, two counts
 * of one kind (e.g. "20 0 0" and "120 0 0" for full handshakes, "1 0 20"
 * and "1 0 120" for resumed ones), the difference over the difference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_pool.h"
#include "tls_harness.h"

#define REC_BATCH 32

/* This thread's CPU time: the machine is shared, wall time would count
 * other processes' turns on the core. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Server calls of one handshake whose times full_handshakes() keeps apart. */
#define MAX_CALLS 8

/* A handshake where only the server's calls are timed; @return server
 * seconds, the longest call in *@p longest (may be NULL), each call's time
 * in @p calls[] (MAX_CALLS, may be NULL; the calls' count in *@p n_calls). */
static double
timed_handshake(struct th_conn *t, int *resumed, double *longest, double *calls, unsigned *n_calls)
{
	double srv = 0, d, max = 0;
	int sdone = 0, cdone = 0, i;
	unsigned nc = 0;

	for (i = 0; i < 100 && !(sdone && cdone); i++) {
		while (!sdone) {
			double t0 = now_s();
			int rc = fo_tls_handshake(t->srv);

			d = now_s() - t0;
			srv += d;
			max = d > max ? d : max;
			if (calls != NULL && nc < MAX_CALLS)
				calls[nc] = d;
			nc++;
			if (rc == 0)
				sdone = 1;
			else if (rc != -EAGAIN && rc != -EINPROGRESS)
				abort();
			if (rc != -EINPROGRESS)
				break;
		}
		if (!cdone) {
			int rc = SSL_do_handshake(t->cli);

			if (rc == 1)
				cdone = 1;
			else if (SSL_get_error(t->cli, rc) != SSL_ERROR_WANT_READ)
				abort();
		}
		th_conn_step(t);
	}
	if (!(sdone && cdone))
		abort();
	*resumed = fo_tls_conn_resumed(t->srv);
	if (longest != NULL)
		*longest = max;
	if (n_calls != NULL)
		*n_calls = nc;
	return srv;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* @p n full handshakes, the flight whole (@p split 0) or in pieces. */
static void
full_handshakes(struct rte_mempool *mp, struct fo_tls_ctx *ctx, SSL_CTX *cctx, unsigned n,
	int split)
{
	double *longest = calloc(n, sizeof(*longest)), srv = 0, calls[MAX_CALLS];
	double piece_min[MAX_CALLS];
	struct th_conn t;
	unsigned i, k, nc, nc_min = MAX_CALLS;
	int resumed;

	if (longest == NULL || n == 0) {
		free(longest);
		return;
	}
	for (i = 0; i < n; i++) {
		th_conn_open(&t, mp, ctx, cctx, "bench.test", NULL);
		if (fo_tls_conn_split(t.srv, split) != 0)
			abort();
		srv += timed_handshake(&t, &resumed, &longest[i], calls, &nc);
		if (resumed)
			abort();
		th_conn_close(&t);
		nc_min = nc < nc_min ? nc : nc_min;
		for (k = 0; k < nc && k < MAX_CALLS; k++)
			piece_min[k] = i == 0 || calls[k] < piece_min[k] ? calls[k] : piece_min[k];
	}
	qsort(longest, n, sizeof(*longest), cmp_double);
	printf("full handshake, flight %s: server %.1f us each; longest call median %.1f us, "
	       "p99 %.1f us\n",
		split ? "in pieces" : "whole", srv / n * 1e6, longest[n / 2] * 1e6,
		longest[n - 1 - n / 100] * 1e6);
	/* the server's calls in order (the pieces, and those that waited for the
	 * client); minimum over the handshakes */
	printf("  server calls, minimum each, us:");
	for (k = 0; k < nc_min; k++)
		printf(" %.1f", piece_min[k] * 1e6);
	printf("\n");
	free(longest);
}

int
main(int argc, char **argv)
{
	unsigned n_hs = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;
	unsigned n_rec = argc > 2 ? (unsigned)atoi(argv[2]) : 200000;
	unsigned n_res = argc > 3 ? (unsigned)atoi(argv[3]) : n_hs;
	struct rte_mempool *mp = fake_pool_create("bench", 4096, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct fo_tls_worker *w = fo_tls_worker_create();
	struct fo_tls_keys keys = {0};
	struct fo_tls_cert *cert;
	struct fo_tls_ctx *ctx;
	SSL_CTX *cctx = th_client_ctx(NULL, 0);
	SSL_SESSION *sess = NULL;
	struct th_conn t;
	char err[256];
	double srv = 0, wall, wr = 0, rd = 0;
	static uint8_t kib[1024], buf[2048];
	unsigned i;
	int resumed;

	SSL_CTX_set1_groups_list(cctx, "X25519");
	if (argc > 4 && strcmp(argv[4], "-") != 0 && SSL_CTX_set_ciphersuites(cctx, argv[4]) != 1) {
		fprintf(stderr, "bad TLS 1.3 suites: %s\n", argv[4]);
		return 1;
	}
	fo_tls_keys_publish(&keys, fo_tls_keyset_new());
	if (argc > 6)
		cert = fo_tls_cert_load(argv[5], argv[6], time(NULL), err, sizeof(err));
	else
		cert = fo_tls_cert_selfsigned("bench.test", time(NULL), 30, err, sizeof(err));
	if (cert == NULL)
		fprintf(stderr, "%s\n", err);
	if (mp == NULL || w == NULL || cert == NULL)
		return 1;
	ctx = fo_tls_ctx_create(w, &cert, 1, NULL, &keys, err, sizeof(err));
	if (ctx == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}

	/* full handshakes */
	wall = now_s();
	for (i = 0; i < n_hs; i++) {
		th_conn_open(&t, mp, ctx, cctx, "bench.test", NULL);
		srv += timed_handshake(&t, &resumed, NULL, NULL, NULL);
		if (resumed)
			abort();
		if (i == n_hs - 1) {
			th_conn_pingpong(&t, 1);
			sess = SSL_get1_session(t.cli);
		}
		th_conn_close(&t);
	}
	wall = now_s() - wall;
	printf("full handshake (TLS 1.3, %s certificate, X25519): server %.1f us each, %.0f/s per "
	       "core; client+server+wire %.0f/s\n",
		fo_tls_cert_key_type(cert) == FO_TLS_KEY_RSA ? "RSA" : "ECDSA", srv / n_hs * 1e6,
		n_hs / srv, n_hs / wall);
	full_handshakes(mp, ctx, cctx, n_hs, 0);
	full_handshakes(mp, ctx, cctx, n_hs, 1);

	/* resumed handshakes */
	srv = 0;
	for (i = 0; i < n_res; i++) {
		th_conn_open(&t, mp, ctx, cctx, "bench.test", sess);
		srv += timed_handshake(&t, &resumed, NULL, NULL, NULL);
		if (!resumed)
			abort();
		th_conn_close(&t);
	}
	if (n_res > 0)
		printf("resumed handshake (ticket, X25519): server %.1f us each, %.0f/s per core\n",
			srv / n_res * 1e6, n_res / srv);

	/* 1 KiB records each way on one connection, timed in batches of 32
	 * (the clock costs a system call) */
	th_conn_open(&t, mp, ctx, cctx, "bench.test", NULL);
	timed_handshake(&t, &resumed, NULL, NULL, NULL);
	th_conn_pingpong(&t, 1);
	n_rec -= n_rec % REC_BATCH;
	for (i = 0; i < n_rec; i += REC_BATCH) {
		unsigned j;
		double t0 = now_s();

		for (j = 0; j < REC_BATCH; j++)
			if (fo_tls_write(t.srv, kib, sizeof(kib)) != (ssize_t)sizeof(kib))
				abort();
		wr += now_s() - t0;
		th_conn_step(&t);
		for (j = 0; j < REC_BATCH; j++) {
			if (SSL_read(t.cli, buf, sizeof(buf)) != (int)sizeof(kib))
				abort();
			if (SSL_write(t.cli, kib, sizeof(kib)) != (int)sizeof(kib))
				abort();
		}
		th_conn_step(&t);
		t0 = now_s();
		for (j = 0; j < REC_BATCH; j++)
			if (fo_tls_read(t.srv, buf, sizeof(buf)) != (ssize_t)sizeof(kib))
				abort();
		rd += now_s() - t0;
	}
	if (n_rec > 0)
		printf("1 KiB record (%s): write %.0f ns, read %.0f ns; BIO copies %lu B out, "
		       "%lu B in\n",
			SSL_get_cipher_name(t.cli), wr / n_rec * 1e9, rd / n_rec * 1e9,
			(unsigned long)t.sio.tx_copied, (unsigned long)t.sio.rx_copied);
	th_conn_close(&t);

	SSL_SESSION_free(sess);
	SSL_CTX_free(cctx);
	fo_tls_ctx_free(ctx);
	fo_tls_cert_free(cert);
	fo_tls_keyset_free(fo_tls_keys_publish(&keys, NULL));
	fo_tls_worker_free(w);
	fake_pool_free(mp);
	return 0;
}
