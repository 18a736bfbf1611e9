/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy's TLS listener and the ClientHello (proxy_tls.c, note_sni()):
 * fanout's proxy worker with a TLS listener on the in-process wire and an
 * OpenSSL client over lib/tcp (proxy_tls_harness.h). The ClientHello is
 * read whole (all its records) before the handshake takes a byte of it, so
 * its name is known for 421 whatever the records:
 *  - a ClientHello over 16 KiB (a 20,000-byte extension, as large
 *    post-quantum key shares), which OpenSSL writes in two records: the
 *    handshake completes, the request is served, counted as fragmented,
 *    and a Host of another certificate than its name is refused (421;
 *    before, OpenSSL took the first record out of the receive chain and
 *    the name was lost);
 *  - a client that fragments its ClientHello at record level (max send
 *    fragment 512: five records);
 *  - a ClientHello over FO_TLS_HELLO_MAX: refused, counted.
 * No session or mbuf left.
 */
#include "proxy_tls_harness.h"

static unsigned char big_ext[65000];
static size_t big_ext_len;

static int
big_add(SSL *s, unsigned int type, unsigned int ctx, const unsigned char **out, size_t *outlen,
	X509 *x, size_t chainidx, int *al, void *arg)
{
	(void)s, (void)type, (void)ctx, (void)x, (void)chainidx, (void)al, (void)arg;
	*out = big_ext;
	*outlen = big_ext_len;
	return 1;
}

/*
 * A client context whose ClientHello carries an extension of @p len bytes
 * (big_ext_len), sent in records of at most @p frag bytes (0: OpenSSL's
 * default, 16 KiB).
 */
static SSL_CTX *
big_ctx(size_t len, unsigned frag)
{
	SSL_CTX *c = th_client_ctx(NULL, 0);

	big_ext_len = len;
	assert_int_equal(SSL_CTX_add_custom_ext(
				 c, 0x1234, SSL_EXT_CLIENT_HELLO, big_add, NULL, NULL, NULL, NULL),
		1);
	if (frag != 0)
		assert_int_equal(SSL_CTX_set_max_send_fragment(c, frag), 1);
	return c;
}

static const char req_a[] = "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n";
static const char req_b[] = "GET / HTTP/1.1\r\nHost: b.test\r\n\r\n";

/* One request with @p sni and @p req from a client of @p cctx (the fixture's after). */
static void
request(struct fix *f, struct tcli *t, SSL_CTX *cctx, const char *sni, const char *req)
{
	SSL_CTX *keep = f->cctx;

	f->cctx = cctx;
	tls_request(f, t, sni, req, strlen(req), 4096, NULL);
	f->cctx = keep;
}

/* No session left, no half-open handshake. */
static void
fix_done(struct fix *f)
{
	const struct fo_proxy_stats *st = fo_proxy_stats(f->x.pw);

	assert_int_equal(st->sessions, 0);
	assert_int_equal(st->tls_handshaking, 0);
	fix_free(f);
}

static void
test_big_hello(void **state)
{
	struct fix *f;
	const struct fo_proxy_stats *st;
	SSL_CTX *cctx;
	struct tcli t;

	(void)state;
	f = fix_new(NULL, 0, ok_response);
	cctx = big_ctx(20000, 0); /* over 16 KiB: OpenSSL writes the ClientHello in two records */
	request(f, &t, cctx, "a.test", req_a);
	assert_true(t.hs_done);
	assert_non_null(strstr(t.rx, "HTTP/1.1 200 OK\r\n"));
	tcli_close(f, &t);
	/* its name counts: a Host of another certificate is misdirected */
	request(f, &t, cctx, "a.test", req_b);
	assert_non_null(strstr(t.rx, "HTTP/1.1 421 "));
	tcli_close(f, &t);
	SSL_CTX_free(cctx);

	/* a client that fragments at record level: 512-byte records */
	cctx = big_ctx(2000, 512);
	request(f, &t, cctx, "b.test", req_a);
	assert_true(t.hs_done);
	assert_non_null(strstr(t.rx, "HTTP/1.1 421 "));
	tcli_close(f, &t);
	SSL_CTX_free(cctx);

	st = fo_proxy_stats(f->x.pw);
	assert_int_equal(st->tls_handshakes, 3);
	assert_int_equal(st->tls_hello_fragmented, 3);
	assert_int_equal(st->tls_misdirected, 2);
	assert_int_equal(st->tls_failed_hello, 0);
	fix_done(f);
}

static void
test_oversized(void **state)
{
	struct fix *f;
	const struct fo_proxy_stats *st;
	SSL_CTX *cctx;
	struct tcli t;

	(void)state;
	f = fix_new(NULL, 0, ok_response);
	/* 65 KB of extensions in 512-byte records: over FO_TLS_HELLO_MAX on the wire */
	cctx = big_ctx(65000, 512);
	request(f, &t, cctx, "a.test", req_a);
	assert_false(t.hs_done);
	assert_true(t.closed || t.hs_failed);
	tcli_close(f, &t);
	SSL_CTX_free(cctx);
	st = fo_proxy_stats(f->x.pw);
	assert_int_equal(st->tls_handshakes, 0);
	assert_int_equal(st->tls_hello_oversized, 1);
	assert_int_equal(st->tls_failed_hello, 1);
	fix_done(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_hello),
		cmocka_unit_test(test_oversized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
