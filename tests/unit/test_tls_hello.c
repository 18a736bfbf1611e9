/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/tls ClientHello parser (SNI passthrough): real ClientHellos that
 * OpenSSL writes in this test (TLS 1.3 and 1.2 clients, with and without
 * SNI and ALPN), every truncation of them (-EAGAIN), synthetic ones with
 * each length field wrong (-EBADMSG), a hello continued in a second
 * record that is not there (-EAGAIN), non-TLS input, and every single-byte
 * corruption of a real hello (never a crash, never a pointer outside the
 * input). Inputs sit right before a PROT_NONE page: any over-read
 * crashes. No scratch here: hellos in several records are
 * test_tls_hello_multi's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fo_common.h"
#include "guard_page.h"
#include "tls_hello_harness.h"

/* The first flight of an OpenSSL client, linearised. */
static size_t
capture(uint8_t *out, size_t cap, const char *sni, const unsigned char *alpn, unsigned alpn_len,
	int max_version)
{
	SSL_CTX *c = th_client_ctx(NULL, max_version);
	size_t n = th_hello_capture(out, cap, c, sni, alpn, alpn_len);

	SSL_CTX_free(c);
	return n;
}

static int
parse(const uint8_t *d, size_t n, struct fo_tls_hello *h)
{
	return fo_tls_hello_parse(guard_copy(d, n), n, NULL, h);
}

static const unsigned char alpn[] = "\x02h2\x08http/1.1";

static void
test_real_hellos(void **state)
{
	static uint8_t buf[4096];
	struct fo_tls_hello h;
	size_t n, i;

	(void)state;
	/* TLS 1.3 client, SNI and ALPN */
	n = capture(buf, sizeof(buf), "Shop.Example.com", alpn, sizeof(alpn) - 1, 0);
	assert_int_equal(parse(buf, n, &h), (int)n);
	assert_int_equal(h.sni_len, 16);
	assert_memory_equal(h.sni, "Shop.Example.com", 16); /* as sent: the caller lower-cases */
	assert_int_equal(h.alpn_len, sizeof(alpn) - 1);
	assert_memory_equal(h.alpn, alpn, sizeof(alpn) - 1);
	assert_int_equal(h.tls13, 1);
	assert_int_equal(h.legacy_version, 0x0303);
	/* every prefix is incomplete, never an error */
	for (i = 0; i < n; i++)
		if (parse(buf, i, &h) != -EAGAIN)
			fail_msg("prefix %zu of %zu: not -EAGAIN", i, n);
	/* bytes after the record (the next flight) are not the parser's */
	buf[n] = 0x17;
	assert_int_equal(parse(buf, n + 1, &h), (int)n);

	/* TLS 1.2 only, SNI, no ALPN */
	n = capture(buf, sizeof(buf), "legacy.test", NULL, 0, TLS1_2_VERSION);
	assert_int_equal(parse(buf, n, &h), (int)n);
	assert_int_equal(h.sni_len, 11);
	assert_memory_equal(h.sni, "legacy.test", 11);
	assert_null(h.alpn);
	assert_int_equal(h.tls13, 0);

	/* no SNI */
	n = capture(buf, sizeof(buf), NULL, alpn, sizeof(alpn) - 1, 0);
	assert_int_equal(parse(buf, n, &h), (int)n);
	assert_null(h.sni);
	assert_int_equal(h.sni_len, 0);
	assert_non_null(h.alpn);
}

/* Every single-byte corruption of a real hello: a defined answer, and on
 * success every pointer inside the input. */
static void
test_corruptions(void **state)
{
	static uint8_t buf[4096];
	size_t n, i;
	unsigned v;

	(void)state;
	n = capture(buf, sizeof(buf), "a.example.com", alpn, sizeof(alpn) - 1, 0);
	for (i = 0; i < n; i++) {
		uint8_t orig = buf[i];

		for (v = 0; v < 3; v++) {
			static const uint8_t vals[] = {0x00, 0xff, 0x01};
			const uint8_t *g;
			struct fo_tls_hello h;
			int rc;

			buf[i] = (uint8_t)(v == 2 ? orig + 1 : vals[v]);
			g = guard_copy(buf, n);
			rc = fo_tls_hello_parse(g, n, NULL, &h);
			assert_true(
				rc == (int)n || rc == -EBADMSG || rc == -EAGAIN || rc == -EMSGSIZE);
			if (rc > 0 && h.sni != NULL)
				assert_true(h.sni >= g && h.sni + h.sni_len <= g + n);
			if (rc > 0 && h.alpn != NULL)
				assert_true(h.alpn >= g && h.alpn + h.alpn_len <= g + n);
		}
		buf[i] = orig;
	}
}

/* A synthetic ClientHello whose fields the cases below break one by one. */
struct hb {
	uint8_t b[1024];
	size_t n;
	size_t rec_len_at, hs_len_at, sid_at, cs_at, comp_at, ext_at, sni_at, sni_list_at, alpn_at;
};

static void
put(struct hb *x, const void *d, size_t n)
{
	memcpy(x->b + x->n, d, n);
	x->n += n;
}

static void
put16(struct hb *x, unsigned v)
{
	x->b[x->n++] = (uint8_t)(v >> 8);
	x->b[x->n++] = (uint8_t)v;
}

static void
set16(struct hb *x, size_t at, unsigned v)
{
	x->b[at] = (uint8_t)(v >> 8);
	x->b[at + 1] = (uint8_t)v;
}

static int hb_dup_sni; /* hb_build() writes server_name twice */

static void
hb_build(struct hb *x)
{
	static const uint8_t random[32];
	size_t ext_start;

	memset(x, 0, sizeof(*x));
	put(x, "\x16\x03\x01", 3);
	x->rec_len_at = x->n;
	put16(x, 0);
	put(x, "\x01", 1);
	x->hs_len_at = x->n;
	put(x, "\0\0\0", 3);
	put16(x, 0x0303);
	put(x, random, 32);
	x->sid_at = x->n;
	put(x,
		"\x04"
		"abcd",
		5);
	x->cs_at = x->n;
	put16(x, 4);
	put(x, "\x13\x01\x13\x02", 4);
	x->comp_at = x->n;
	put(x, "\x01\x00", 2);
	x->ext_at = x->n;
	put16(x, 0);
	ext_start = x->n;
	/* server_name: list of one host_name "x.test" */
	x->sni_at = x->n;
	put16(x, 0);
	put16(x, 2 + 1 + 2 + 6);
	x->sni_list_at = x->n;
	put16(x, 1 + 2 + 6);
	put(x, "\x00\x00\x06x.test", 9);
	if (hb_dup_sni)
		put(x, x->b + x->sni_at, 15);
	/* ALPN: "http/1.1" */
	x->alpn_at = x->n;
	put16(x, 16);
	put16(x, 2 + 9);
	put16(x, 9);
	put(x, "\x08http/1.1", 9);
	/* supported_versions: 1.3, 1.2 */
	put16(x, 43);
	put16(x, 5);
	put(x, "\x04\x03\x04\x03\x03", 5);
	set16(x, x->ext_at, (unsigned)(x->n - ext_start));
	set16(x, x->rec_len_at, (unsigned)(x->n - 5));
	x->b[x->hs_len_at + 2] = (uint8_t)(x->n - 9);
	x->b[x->hs_len_at + 1] = (uint8_t)((x->n - 9) >> 8);
}

static void
test_synthetic_lengths(void **state)
{
	struct hb x;
	struct fo_tls_hello h;

	(void)state;
	hb_build(&x);
	assert_int_equal(parse(x.b, x.n, &h), (int)x.n);
	assert_int_equal(h.sni_len, 6);
	assert_memory_equal(h.sni, "x.test", 6);
	assert_int_equal(h.tls13, 1);

#define BROKEN(stmt, want)                                                                         \
	do {                                                                                       \
		hb_build(&x);                                                                      \
		stmt;                                                                              \
		if (parse(x.b, x.n, &h) != (want))                                                 \
			fail_msg("%s: got %d, want %d", #stmt, parse(x.b, x.n, &h), (want));       \
	} while (0)

	BROKEN(x.b[0] = 0x17, -EBADMSG);                  /* application data */
	BROKEN(x.b[1] = 0x02, -EBADMSG);                  /* SSL 2 era version */
	BROKEN(x.b[5] = 0x02, -EBADMSG);                  /* ServerHello */
	BROKEN(set16(&x, x.rec_len_at, 16385), -EBADMSG); /* record over 2^14 */
	BROKEN(set16(&x, x.rec_len_at, 3), -EBADMSG);     /* a fragment, then no record */
	BROKEN(set16(&x, x.rec_len_at, 0), -EBADMSG);     /* empty handshake record */
	BROKEN(x.b[x.hs_len_at + 2] += 1, -EAGAIN);       /* continues in a next record */
	BROKEN(x.b[x.hs_len_at + 2] -= 1, -EBADMSG);      /* a byte after the hello */
	BROKEN(x.b[x.sid_at] = 33, -EBADMSG);             /* session id over 32 */
	BROKEN(x.b[x.sid_at] = 200, -EBADMSG);            /* session id past the end */
	BROKEN(set16(&x, x.cs_at, 3), -EBADMSG);          /* odd cipher suites */
	BROKEN(set16(&x, x.cs_at, 0), -EBADMSG);          /* no cipher suite */
	BROKEN(set16(&x, x.cs_at, 0xfffe), -EBADMSG);     /* past the end */
	BROKEN(x.b[x.comp_at] = 0, -EBADMSG);             /* no compression method */
	BROKEN(set16(&x, x.ext_at, x.b[x.ext_at + 1] + 1), -EBADMSG); /* extensions past end */
	BROKEN(set16(&x, x.ext_at, x.b[x.ext_at + 1] - 1), -EBADMSG); /* a byte after them */
	BROKEN(set16(&x, x.sni_at + 2, 12), -EBADMSG);                /* extension past the list */
	BROKEN(set16(&x, x.sni_list_at, 10), -EBADMSG);     /* name list past the extension */
	BROKEN(set16(&x, x.sni_list_at, 8), -EBADMSG);      /* name list short of it */
	BROKEN(set16(&x, x.sni_list_at + 3, 7), -EBADMSG);  /* host name past the list */
	BROKEN(set16(&x, x.sni_list_at + 3, 0), -EBADMSG);  /* empty host name */
	BROKEN(x.b[x.sni_list_at + 2] = 1, -EBADMSG);       /* no host_name entry */
	BROKEN(set16(&x, x.alpn_at + 6, 0x0909), -EBADMSG); /* ALPN name past its list */
	BROKEN(x.b[x.alpn_at + 6] = 0, -EBADMSG);           /* empty ALPN name */
	hb_dup_sni = 1;
	BROKEN((void)0, -EBADMSG); /* server_name twice */
	hb_dup_sni = 0;

	/* no extensions at all: a valid TLS 1.2 hello without SNI */
	hb_build(&x);
	x.n = x.ext_at;
	set16(&x, x.rec_len_at, (unsigned)(x.n - 5));
	x.b[x.hs_len_at + 2] = (uint8_t)(x.n - 9);
	x.b[x.hs_len_at + 1] = 0;
	assert_int_equal(parse(x.b, x.n, &h), (int)x.n);
	assert_null(h.sni);
	assert_null(h.alpn);

	/* plain HTTP is refused at its first byte */
	assert_int_equal(parse((const uint8_t *)"G", 1, &h), -EBADMSG);
	assert_int_equal(parse((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &h), -EBADMSG);
	assert_int_equal(parse(x.b, 0, &h), -EAGAIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_hellos),
		cmocka_unit_test(test_synthetic_lengths),
		cmocka_unit_test(test_corruptions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
