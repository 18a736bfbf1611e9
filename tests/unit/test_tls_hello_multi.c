/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tls ClientHello parser, a ClientHello fragmented over several
 * handshake records (RFC 8446 5.1): a real OpenSSL hello re-framed into
 * two and three records, a record boundary at every offset of it (the
 * handshake header split too, and one byte per record), every prefix
 * incomplete with a growing need; refused: another record type in between,
 * a bad version, an empty or oversized record, bytes after the hello;
 * the FO_TLS_HELLO_MAX bound exactly (fits, one byte over) and records of
 * one byte past it; a hello over 16 KiB that OpenSSL itself writes in two
 * records (a 20,000-byte extension, as large post-quantum key shares).
 * Inputs sit right before a PROT_NONE page, the scratch is exact-size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fo_common.h"
#include "guard_page.h"
#include "tls_hello_harness.h"

static uint8_t *scratch; /* FO_TLS_HELLO_MAX */
static uint8_t wire[2 * FO_TLS_HELLO_MAX];

static const unsigned char alpn[] = "\x02h2\x08http/1.1";
static const unsigned char big_ext[20000];

static int
big_add(SSL *s, unsigned int type, unsigned int ctx, const unsigned char **out, size_t *outlen,
	X509 *x, size_t chainidx, int *al, void *arg)
{
	(void)s, (void)type, (void)ctx, (void)x, (void)chainidx, (void)al, (void)arg;
	*out = big_ext;
	*outlen = sizeof(big_ext);
	return 1;
}

/* The first flight of an OpenSSL client, linearised; @p big: with a 20,000-byte extension. */
static size_t
capture(uint8_t *out, size_t cap, const char *sni, int big)
{
	SSL_CTX *c = th_client_ctx(NULL, 0);
	size_t n;

	if (big)
		assert_int_equal(SSL_CTX_add_custom_ext(c, 0x1234, SSL_EXT_CLIENT_HELLO, big_add,
					 NULL, NULL, NULL, NULL),
			1);
	n = th_hello_capture(out, cap, c, sni, alpn, sizeof(alpn) - 1);
	SSL_CTX_free(c);
	return n;
}

/* @p msg (@p len bytes, a handshake message) in records cut at @p cuts
 * (increasing, inside the message). @return wire bytes in wire[]. */
static size_t
frame(const uint8_t *msg, size_t len, const size_t *cuts, unsigned n_cuts)
{
	size_t n = 0, from = 0;

	for (unsigned k = 0; k <= n_cuts; k++) {
		size_t to = k < n_cuts ? cuts[k] : len, l = to - from;

		wire[n] = 0x16;
		wire[n + 1] = 3;
		wire[n + 2] = k == 0 ? 1 : 3;
		wire[n + 3] = (uint8_t)(l >> 8);
		wire[n + 4] = (uint8_t)l;
		memcpy(wire + n + 5, msg + from, l);
		n += 5 + l;
		from = to;
	}
	return n;
}

static int
parse(size_t n, struct fo_tls_hello *h)
{
	return fo_tls_hello_parse(guard_copy(wire, n), n, scratch, h);
}

/* The answer for a re-framed "Shop.Example.com" hello with our ALPN. */
static void
expect_shop(int rc, size_t n, const struct fo_tls_hello *h, unsigned records)
{
	if (rc != (int)n)
		fail_msg("got %d, want %zu", rc, n);
	assert_int_equal(h->records, records);
	assert_int_equal(h->sni_len, 16);
	assert_memory_equal(h->sni, "Shop.Example.com", 16);
	assert_int_equal(h->alpn_len, sizeof(alpn) - 1);
	assert_memory_equal(h->alpn, alpn, sizeof(alpn) - 1);
	assert_int_equal(h->tls13, 1);
	if (records > 1) /* gathered: the pointers are the scratch's */
		assert_true(h->sni >= scratch && h->sni + h->sni_len <= scratch + FO_TLS_HELLO_MAX);
}

static void
test_two_and_three_records(void **state)
{
	static uint8_t buf[4096];
	struct fo_tls_hello h;
	size_t n, w, i, cuts[2];
	uint32_t need = 0;
	int rc;

	(void)state;
	n = capture(buf, sizeof(buf), "Shop.Example.com", 0);
	assert_int_equal(buf[0], 0x16);
	assert_int_equal((size_t)(buf[3] << 8 | buf[4]) + 5, n); /* one record */

	cuts[0] = (n - 5) / 2;
	w = frame(buf + 5, n - 5, cuts, 1);
	expect_shop(parse(w, &h), w, &h, 2);
	/* every prefix is incomplete; what it needs grows and stays within the records */
	for (i = 0; i < w; i++) {
		rc = fo_tls_hello_parse(wire, i, scratch, &h);
		if (rc != -EAGAIN || h.need <= i || h.need > w || h.need < need)
			fail_msg("prefix %zu of %zu: %d, need %u", i, w, rc, h.need);
		need = h.need;
	}
	/* without a scratch it is refused, not misread */
	assert_int_equal(fo_tls_hello_parse(guard_copy(wire, w), w, NULL, &h), -EMSGSIZE);
	/* what follows (the next flight) is not the parser's */
	wire[w] = 0x14;
	expect_shop(parse(w + 1, &h), w, &h, 2);

	cuts[0] = (n - 5) / 3;
	cuts[1] = 2 * (n - 5) / 3;
	w = frame(buf + 5, n - 5, cuts, 2);
	expect_shop(parse(w, &h), w, &h, 3);
	for (i = 0; i < w; i++)
		if (fo_tls_hello_parse(wire, i, scratch, &h) != -EAGAIN)
			fail_msg("prefix %zu of %zu", i, w);
}

static void
test_every_boundary(void **state)
{
	static uint8_t buf[4096];
	struct fo_tls_hello h;
	size_t n, m, w, k, cuts[4096];

	(void)state;
	n = capture(buf, sizeof(buf), "Shop.Example.com", 0);
	m = n - 5;
	for (k = 1; k < m; k++) {
		/* two records cut at k (k < 4: the handshake header split) */
		cuts[0] = k;
		w = frame(buf + 5, m, cuts, 1);
		expect_shop(parse(w, &h), w, &h, 2);
		/* three, a one-byte record in the middle */
		if (k + 1 < m) {
			cuts[1] = k + 1;
			w = frame(buf + 5, m, cuts, 2);
			expect_shop(parse(w, &h), w, &h, 3);
		}
	}
	/* one byte per record */
	for (k = 0; k + 1 < m; k++)
		cuts[k] = k + 1;
	w = frame(buf + 5, m, cuts, (unsigned)(m - 1));
	assert_true(w <= FO_TLS_HELLO_MAX);
	expect_shop(parse(w, &h), w, &h, (unsigned)m);
}

static void
test_refused(void **state)
{
	static uint8_t buf[4096];
	struct fo_tls_hello h;
	size_t n, m, w, r2, cuts[1];
	static const uint8_t types[] = {0x14, 0x15, 0x17, 0x18, 0x00, 0xff};

	(void)state;
	n = capture(buf, sizeof(buf), "Shop.Example.com", 0);
	m = n - 5;
	cuts[0] = 100;
	w = frame(buf + 5, m, cuts, 1);
	r2 = 5 + 100; /* the second record's header */
	/* another record type between the fragments: refused at its first byte */
	for (size_t i = 0; i < sizeof(types); i++) {
		frame(buf + 5, m, cuts, 1);
		wire[r2] = types[i];
		assert_int_equal(parse(r2 + 1, &h), -EBADMSG);
		assert_int_equal(parse(w, &h), -EBADMSG);
	}
	frame(buf + 5, m, cuts, 1);
	wire[r2 + 1] = 2; /* not TLS 1.x */
	assert_int_equal(parse(r2 + 2, &h), -EBADMSG);
	frame(buf + 5, m, cuts, 1);
	wire[r2 + 3] = 0x40; /* over 2^14 */
	wire[r2 + 4] = 0x01;
	assert_int_equal(parse(w, &h), -EBADMSG);
	/* an empty record in between (RFC 8446 5.1: no zero-length handshake fragment) */
	frame(buf + 5, m, cuts, 1);
	memmove(wire + r2 + 5, wire + r2, w - r2);
	memcpy(wire + r2, "\x16\x03\x03\x00\x00", 5);
	assert_int_equal(parse(w + 5, &h), -EBADMSG);
	/* a byte after the hello in its last record */
	frame(buf + 5, m, cuts, 1);
	wire[w] = 0x14;
	wire[r2 + 3] = (uint8_t)((m - 100 + 1) >> 8); /* the second record one byte longer */
	wire[r2 + 4] = (uint8_t)(m - 100 + 1);
	assert_int_equal(parse(w + 1, &h), -EBADMSG);
	/* the first fragment is not a ClientHello's */
	frame(buf + 5, m, cuts, 1);
	wire[5] = 2;
	assert_int_equal(parse(6, &h), -EBADMSG);
}

/* A ClientHello message of exactly @p len bytes (SNI "big.test", then padding) in msg. */
static void
big_msg(uint8_t *msg, size_t len)
{
	size_t n = 0, pad;

	memset(msg, 0, len);
	msg[n++] = 1;
	msg[n++] = (uint8_t)((len - 4) >> 16);
	msg[n++] = (uint8_t)((len - 4) >> 8);
	msg[n++] = (uint8_t)(len - 4);
	msg[n++] = 3;
	msg[n++] = 3;
	n += 32;                                        /* random */
	msg[n++] = 0;                                   /* session id */
	memcpy(msg + n, "\x00\x02\x13\x01\x01\x00", 6); /* a suite, null compression */
	n += 6;
	msg[n] = (uint8_t)((len - n - 2) >> 8);
	msg[n + 1] = (uint8_t)(len - n - 2);
	n += 2;
	memcpy(msg + n,
		"\x00\x00\x00\x0d\x00\x0b\x00\x00\x08"
		"big.test",
		17);
	n += 17;
	pad = len - n - 4; /* padding (RFC 7685) */
	msg[n] = 0;
	msg[n + 1] = 21;
	msg[n + 2] = (uint8_t)(pad >> 8);
	msg[n + 3] = (uint8_t)pad;
}

static void
test_bound(void **state)
{
	static uint8_t msg[FO_TLS_HELLO_MAX];
	struct fo_tls_hello h;
	size_t cuts[FO_TLS_HELLO_MAX / 5], w, k, m;
	int rc;

	(void)state;
	/* four full-size records, 65,536 bytes on the wire: accepted */
	m = FO_TLS_HELLO_MAX - 4 * 5;
	big_msg(msg, m);
	for (k = 0; k < 3; k++)
		cuts[k] = (k + 1) * 16384;
	w = frame(msg, m, cuts, 3);
	assert_int_equal(w, FO_TLS_HELLO_MAX);
	rc = parse(w, &h);
	assert_int_equal(rc, (int)w);
	assert_int_equal(h.records, 4);
	assert_int_equal(h.sni_len, 8);
	assert_memory_equal(h.sni, "big.test", 8);
	for (k = 0; k < w; k += 61)
		assert_int_equal(fo_tls_hello_parse(wire, k, scratch, &h), -EAGAIN);

	/* one byte more: refused once the last record's header says so */
	big_msg(msg, m + 1);
	w = frame(msg, m + 1, cuts, 3);
	assert_int_equal(parse(3 * (16384 + 5) + 5, &h), -EMSGSIZE);
	assert_int_equal(parse(w, &h), -EMSGSIZE);
	/* a message that cannot fit: refused from its handshake header */
	big_msg(msg, FO_TLS_HELLO_MAX - 4);
	w = frame(msg, FO_TLS_HELLO_MAX - 4, cuts, 3);
	assert_int_equal(parse(9, &h), -EMSGSIZE);

	/* a 12,000-byte hello in one-byte records (72,000 bytes): refused at the bound */
	big_msg(msg, 12000);
	for (k = 0; k + 1 < 12000; k++)
		cuts[k] = k + 1;
	w = frame(msg, 12000, cuts, 11999);
	assert_true(w > FO_TLS_HELLO_MAX);
	assert_int_equal(fo_tls_hello_parse(wire, FO_TLS_HELLO_MAX, scratch, &h), -EMSGSIZE);
	assert_int_equal(fo_tls_hello_parse(wire, FO_TLS_HELLO_MAX - 6, scratch, &h), -EAGAIN);
	assert_int_equal(fo_tls_hello_parse(wire, w, scratch, &h), -EMSGSIZE);
	/* ... and the same hello in 2,000-byte records is fine */
	for (k = 0; k < 5; k++)
		cuts[k] = (k + 1) * 2000;
	w = frame(msg, 12000, cuts, 5);
	assert_int_equal(parse(w, &h), (int)w);
	assert_int_equal(h.records, 6);
}

static void
test_openssl_big_hello(void **state)
{
	static uint8_t buf[32768];
	struct fo_tls_hello h;
	size_t n, r1;
	int rc;

	(void)state;
	n = capture(buf, sizeof(buf), "Shop.Example.com", 1);
	assert_true(n > 20000);
	r1 = (size_t)(buf[3] << 8 | buf[4]);
	assert_true(r1 + 5 < n); /* OpenSSL wrote it in two records */
	rc = fo_tls_hello_parse(guard_copy(buf, n), n, scratch, &h);
	assert_int_equal(rc, (int)n);
	assert_int_equal(h.records, 2);
	assert_int_equal(h.sni_len, 16);
	assert_memory_equal(h.sni, "Shop.Example.com", 16);
	assert_int_equal(h.alpn_len, sizeof(alpn) - 1);
	assert_int_equal(fo_tls_hello_parse(guard_copy(buf, r1 + 5), r1 + 5, scratch, &h), -EAGAIN);
	assert_int_equal(h.need, r1 + 10); /* the next record's header */
	assert_int_equal(
		fo_tls_hello_parse(guard_copy(buf, r1 + 10), r1 + 10, scratch, &h), -EAGAIN);
	assert_int_equal(h.need, n); /* then all of it */
}

static int
setup(void **state)
{
	(void)state;
	scratch = malloc(FO_TLS_HELLO_MAX);
	return scratch == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	free(scratch);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_and_three_records),
		cmocka_unit_test(test_every_boundary),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_openssl_big_hello),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
