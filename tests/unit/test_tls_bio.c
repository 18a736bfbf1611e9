/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tls BIO over mbufs: a TLS 1.3 client and server that talk only
 * through fo_tls_io receive chains and send queues, the wire re-cutting
 * every flight into segments of random sizes (1..1460) or of one byte.
 * Checks: the handshake completes, 1 MiB goes each way intact (SHA-256),
 * the BIO copied every wire byte exactly once each way, partial writes
 * when the send queue is full or the pool empty, no mbuf leaked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fake_pool.h"
#include "tls_harness.h"

#define XFER (1u << 20)

struct pair {
	struct rte_mempool *mp;
	SSL_CTX *sctx, *cctx;
	EVP_PKEY *key;
	X509 *cert;
	struct fo_tls_io sio, cio;
	SSL *srv, *cli;
	struct th_wire c2s, s2c;
};

static void
pair_init(struct pair *p, uint32_t seg_min, uint32_t seg_max, uint32_t tx_max, unsigned pool_n)
{
	memset(p, 0, sizeof(*p));
	p->mp = fake_pool_create("tls", pool_n, RTE_MBUF_DEFAULT_BUF_SIZE);
	assert_non_null(p->mp);
	p->key = th_key("EC");
	p->cert = th_cert(p->key, "bio.test", "bio.test", -3600, 86400, NULL, NULL, 0);
	p->sctx = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate(p->sctx, p->cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(p->sctx, p->key), 1);
	SSL_CTX_set_min_proto_version(p->sctx, TLS1_3_VERSION);
	SSL_CTX_set_mode(p->sctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
					  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
					  SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_num_tickets(p->sctx, 0);
	p->cctx = th_client_ctx(NULL, 0);
	fo_tls_io_init(&p->sio, p->mp, tx_max);
	fo_tls_io_init(&p->cio, p->mp, tx_max);
	p->srv = SSL_new(p->sctx);
	BIO *b = tls_bio_new(&p->sio);
	assert_non_null(b);
	SSL_set_bio(p->srv, b, b);
	SSL_set_accept_state(p->srv);
	p->cli = th_client(p->cctx, &p->cio, "bio.test");
	p->c2s = (struct th_wire){.mp = p->mp, .seg_min = seg_min, .seg_max = seg_max, .seed = 7};
	p->s2c = (struct th_wire){.mp = p->mp, .seg_min = seg_min, .seg_max = seg_max, .seed = 11};
}

static void
pair_free(struct pair *p)
{
	SSL_free(p->srv);
	SSL_free(p->cli);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
	X509_free(p->cert);
	EVP_PKEY_free(p->key);
	th_wire_release(&p->c2s);
	th_wire_release(&p->s2c);
	fo_tls_io_release(&p->sio);
	fo_tls_io_release(&p->cio);
	assert_int_equal(fake_pool_in_use(p->mp), 0);
	fake_pool_free(p->mp);
}

static unsigned
pair_step(struct pair *p, unsigned segs)
{
	return th_wire_step(&p->c2s, &p->cio, &p->sio, segs) +
	       th_wire_step(&p->s2c, &p->sio, &p->cio, segs);
}

static int
ssl_progress(SSL *s, int rc)
{
	int e = SSL_get_error(s, rc);

	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
		fprintf(stderr, "ssl error %d\n", e);
		return -1;
	}
	return 0;
}

static void
pair_handshake(struct pair *p, unsigned segs)
{
	int cdone = 0, sdone = 0, i;

	for (i = 0; i < 1000000 && !(cdone && sdone); i++) {
		int rc;

		if (!cdone) {
			rc = SSL_do_handshake(p->cli);
			if (rc == 1)
				cdone = 1;
			else
				assert_int_equal(ssl_progress(p->cli, rc), 0);
		}
		if (!sdone) {
			rc = SSL_do_handshake(p->srv);
			if (rc == 1)
				sdone = 1;
			else
				assert_int_equal(ssl_progress(p->srv, rc), 0);
		}
		pair_step(p, segs);
	}
	assert_true(cdone && sdone);
	assert_int_equal(SSL_version(p->srv), TLS1_3_VERSION);
}

/* One direction's transfer state. */
struct xfer {
	SSL *tx, *rx;
	const uint8_t *src;
	size_t sent, rcvd;
	EVP_MD_CTX *h;
	uint8_t buf[20000];
};

static void
xfer_step(struct xfer *x, size_t chunk)
{
	int rc;

	if (x->sent < XFER) {
		size_t n = RTE_MIN(chunk, XFER - x->sent);

		rc = SSL_write(x->tx, x->src + x->sent, (int)n);
		if (rc > 0)
			x->sent += (size_t)rc;
		else
			assert_int_equal(ssl_progress(x->tx, rc), 0);
	}
	for (;;) {
		rc = SSL_read(x->rx, x->buf, (int)sizeof(x->buf));
		if (rc <= 0) {
			assert_int_equal(ssl_progress(x->rx, rc), 0);
			break;
		}
		EVP_DigestUpdate(x->h, x->buf, (size_t)rc);
		x->rcvd += (size_t)rc;
	}
}

static void
digest(const uint8_t *d, size_t n, uint8_t out[32])
{
	unsigned l = 32;

	EVP_Digest(d, n, out, &l, EVP_sha256(), NULL);
}

static void
run_transfer(uint32_t seg_min, uint32_t seg_max, unsigned segs_per_step, unsigned pool_n)
{
	struct pair p;
	struct xfer up = {0}, down = {0};
	uint8_t *a = malloc(XFER), *b = malloc(XFER);
	uint8_t ha[32], hb[32], got[32];
	unsigned i, l = 32;
	unsigned seed = 99;
	long iter;

	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < XFER; i++) {
		a[i] = (uint8_t)th_rand(&seed);
		b[i] = (uint8_t)th_rand(&seed);
	}
	digest(a, XFER, ha);
	digest(b, XFER, hb);
	pair_init(&p, seg_min, seg_max, 0, pool_n);
	pair_handshake(&p, segs_per_step);

	up = (struct xfer){.tx = p.cli, .rx = p.srv, .src = a, .h = EVP_MD_CTX_new()};
	down = (struct xfer){.tx = p.srv, .rx = p.cli, .src = b, .h = EVP_MD_CTX_new()};
	EVP_DigestInit_ex(up.h, EVP_sha256(), NULL);
	EVP_DigestInit_ex(down.h, EVP_sha256(), NULL);
	for (iter = 0; iter < 50000000 && (up.rcvd < XFER || down.rcvd < XFER); iter++) {
		/* odd chunk sizes: records of every length, not only 16 KiB */
		xfer_step(&up, 1 + th_rand(&seed) % 40000);
		xfer_step(&down, 1 + th_rand(&seed) % 40000);
		pair_step(&p, segs_per_step);
	}
	assert_int_equal(up.rcvd, XFER);
	assert_int_equal(down.rcvd, XFER);
	EVP_DigestFinal_ex(up.h, got, &l);
	assert_memory_equal(got, ha, 32);
	EVP_DigestFinal_ex(down.h, got, &l);
	assert_memory_equal(got, hb, 32);

	/* Exactly one copy per wire byte each way, in the BIO: every byte a
	 * sender's BIO wrote was taken by the wire once, every byte the wire
	 * delivered was read by the receiver's BIO once (nothing left over). */
	assert_int_equal(p.cio.tx_copied, p.c2s.taken);
	assert_int_equal(p.sio.tx_copied, p.s2c.taken);
	assert_int_equal(p.c2s.bytes, p.c2s.taken);
	assert_int_equal(p.s2c.bytes, p.s2c.taken);
	assert_int_equal(p.sio.rx_copied, p.c2s.bytes);
	assert_int_equal(p.cio.rx_copied, p.s2c.bytes);
	assert_int_equal(p.sio.rx_len, 0);
	assert_int_equal(p.cio.rx_len, 0);
	/* and the records carried the data with TLS overhead only */
	assert_true(p.c2s.bytes > XFER && p.c2s.bytes < XFER + XFER / 50);
	if (seg_max == 1)
		assert_int_equal(p.c2s.segs, p.c2s.bytes);

	fprintf(stderr, "seg %u..%u: c2s %lu bytes %lu segs, s2c %lu bytes %lu segs\n", seg_min,
		seg_max, (unsigned long)p.c2s.bytes, (unsigned long)p.c2s.segs,
		(unsigned long)p.s2c.bytes, (unsigned long)p.s2c.segs);
	EVP_MD_CTX_free(up.h);
	EVP_MD_CTX_free(down.h);
	pair_free(&p);
	free(a);
	free(b);
}

static void
test_random_segments(void **state)
{
	(void)state;
	run_transfer(1, 1460, 64, 4096);
}

static void
test_one_byte_segments(void **state)
{
	(void)state;
	/* up to 2000 one-byte segments in flight per direction */
	run_transfer(1, 1, 1000, 8192);
}

static void
test_full_segments(void **state)
{
	(void)state;
	run_transfer(1460, 1460, 64, 4096);
}

/* The send queue bound makes writes partial; SSL_write reports WANT_WRITE
 * and completes once the queue is taken. */
static void
test_partial_writes(void **state)
{
	struct pair p;
	static uint8_t data[16384], out[16384];
	int rc, wants = 0, i;
	size_t rcvd = 0;
	BIO *wb;

	(void)state;
	for (i = 0; i < (int)sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	pair_init(&p, 1, 1460, 1000, 4096);
	pair_handshake(&p, 64);
	/* the client's queue is bounded at 1000 bytes: a 16 KiB record cannot fit */
	rc = SSL_write(p.cli, data, sizeof(data));
	assert_int_equal(rc, -1);
	assert_int_equal(SSL_get_error(p.cli, rc), SSL_ERROR_WANT_WRITE);
	wb = SSL_get_wbio(p.cli);
	assert_true(BIO_should_retry(wb) && BIO_should_write(wb));
	assert_int_equal(p.cio.tx_len, 1000);
	for (i = 0; i < 100 && rc <= 0; i++) {
		pair_step(&p, 64);
		rc = SSL_write(p.cli, data, sizeof(data));
		if (rc <= 0) {
			assert_int_equal(SSL_get_error(p.cli, rc), SSL_ERROR_WANT_WRITE);
			wants++;
		}
	}
	assert_int_equal(rc, (int)sizeof(data));
	assert_true(wants >= 10); /* 16 KiB + overhead through a 1000-byte queue */
	for (i = 0; i < 1000 && rcvd < sizeof(data); i++) {
		pair_step(&p, 64);
		rc = SSL_read(p.srv, out + rcvd, (int)(sizeof(out) - rcvd));
		if (rc > 0)
			rcvd += (size_t)rc;
	}
	assert_int_equal(rcvd, sizeof(data));
	assert_memory_equal(out, data, sizeof(data));

	/* An empty pool: nothing written, retry, counted. */
	fake_pool_fail_next(p.mp, 1);
	rc = SSL_write(p.cli, data, 100);
	assert_int_equal(rc, -1);
	assert_int_equal(SSL_get_error(p.cli, rc), SSL_ERROR_WANT_WRITE);
	assert_int_equal(p.cio.tx_nombuf, 1);
	assert_int_equal(SSL_write(p.cli, data, 100), 100);
	pair_free(&p);
}

/* EOF from the peer: with no data, the BIO reports EOF, not retry. */
static void
test_rx_eof_and_empty_segments(void **state)
{
	struct rte_mempool *mp = fake_pool_create("eof", 16, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct fo_tls_io io;
	struct rte_mbuf *a, *b;
	BIO *bio;
	char buf[8];

	(void)state;
	fo_tls_io_init(&io, mp, 0);
	bio = tls_bio_new(&io);
	assert_int_equal(BIO_read(bio, buf, sizeof(buf)), -1);
	assert_true(BIO_should_retry(bio) && BIO_should_read(bio));
	/* an empty segment then "abc": the empty one is skipped and freed */
	a = rte_pktmbuf_alloc(mp);
	b = rte_pktmbuf_alloc(mp);
	memcpy(rte_pktmbuf_append(b, 3), "abc", 3);
	rte_pktmbuf_chain(a, b);
	fo_tls_io_rx_append(&io, a);
	assert_int_equal(BIO_pending(bio), 3);
	assert_int_equal(BIO_read(bio, buf, 2), 2);
	assert_int_equal(fake_pool_in_use(mp), 1);
	fo_tls_io_rx_eof(&io);
	assert_int_equal(BIO_eof(bio), 0);
	assert_int_equal(BIO_read(bio, buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'c');
	assert_int_equal(fake_pool_in_use(mp), 0);
	assert_int_equal(BIO_read(bio, buf, sizeof(buf)), 0);
	assert_false(BIO_should_retry(bio));
	assert_int_equal(BIO_eof(bio), 1);
	BIO_free(bio);
	fo_tls_io_release(&io);
	fake_pool_free(mp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rx_eof_and_empty_segments),
		cmocka_unit_test(test_partial_writes),
		cmocka_unit_test(test_full_segments),
		cmocka_unit_test(test_random_segments),
		cmocka_unit_test(test_one_byte_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
