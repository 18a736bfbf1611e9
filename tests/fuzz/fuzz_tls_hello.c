/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the ClientHello parser (lib/tls, SNI passthrough).
 * Each input is the first bytes of a TLS stream, parsed from an exact-size
 * heap copy (ASan sees any over-read), with an exact-size scratch for a
 * ClientHello fragmented over several records. On success every pointer
 * must lie inside the input or the scratch and the ALPN list must be well
 * formed, and the records one byte shorter must be incomplete (-EAGAIN):
 * the answer may not depend on bytes past them. A ClientHello found in one
 * record is then re-framed into two or three records (boundaries taken
 * from its own bytes), which must give the same answer. The server name
 * found is run through SNI selection on a small table (exact and wildcard
 * names), which must give a known index or a refusal.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fo_tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_tls_hello: check failed: %s\n", #c);                 \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static struct fo_tls_sni sni_table;
static int sni_ready;

static void
sni_init(void)
{
	static const char *const names[] = {"shop.example.com", "*.example.com", "a.test"};
	static const uint32_t idx[] = {1, 2, 3};

	CHECK(fo_tls_sni_build(&sni_table, names, idx, 3, 0, 1, NULL, 0) == 0);
	sni_ready = 1;
}

static uint8_t *scratch;

/* [p, p + n) inside the input's records or the scratch */
static int
inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return (p >= buf && p + n <= buf + len) ||
	       (p >= scratch && p + n <= scratch + FO_TLS_HELLO_MAX);
}

/* The handshake message of a one-record hello (@p buf, @p len) in 2 or 3
 * records, cut where its own bytes say: same answer. */
static void
reframe(const uint8_t *buf, size_t len, const struct fo_tls_hello *h)
{
	size_t msg = len - 5, cut[3], n = 0, k;
	uint8_t *out = malloc(len + 10);
	struct fo_tls_hello h2;
	int rc;

	CHECK(out != NULL);
	cut[0] = 0;
	cut[1] = 1 + buf[len - 1] % (msg - 1);
	cut[2] = cut[1] + (buf[len - 2] % 2 ? (msg - cut[1]) / 2 : 0);
	for (k = 0; k < 3; k++) {
		size_t end = k == 2 ? msg : cut[k + 1], l = end - cut[k];

		if (l == 0)
			continue;
		out[n] = 0x16;
		out[n + 1] = buf[1];
		out[n + 2] = buf[2];
		out[n + 3] = (uint8_t)(l >> 8);
		out[n + 4] = (uint8_t)l;
		memcpy(out + n + 5, buf + 5 + cut[k], l);
		n += 5 + l;
	}
	rc = fo_tls_hello_parse(out, n, scratch, &h2);
	CHECK(rc == (int)n && h2.records >= 2);
	CHECK(h2.sni_len == h->sni_len && (h->sni == NULL) == (h2.sni == NULL));
	CHECK(h->sni == NULL || memcmp(h->sni, h2.sni, h->sni_len) == 0);
	CHECK(h2.alpn_len == h->alpn_len && (h->alpn == NULL) == (h2.alpn == NULL));
	CHECK(h->alpn == NULL || memcmp(h->alpn, h2.alpn, h->alpn_len) == 0);
	CHECK(h2.tls13 == h->tls13 && h2.legacy_version == h->legacy_version);
	CHECK(fo_tls_hello_parse(out, n - 1, scratch, &h2) == -EAGAIN);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct fo_tls_hello h;
	int rc;

	if (!sni_ready)
		sni_init();
	if (scratch == NULL)
		scratch = malloc(FO_TLS_HELLO_MAX);
	if (buf == NULL || scratch == NULL) {
		free(buf);
		return 0;
	}
	memcpy(buf, data, size);
	rc = fo_tls_hello_parse(buf, size, scratch, &h);
	CHECK(rc == -EAGAIN || rc == -EBADMSG || rc == -EMSGSIZE || (rc > 0 && (size_t)rc <= size));
	CHECK(rc != -EAGAIN ||
		(size < FO_TLS_HELLO_MAX && h.need > size && h.need <= FO_TLS_HELLO_MAX));
	if (rc > 0) {
		struct fo_tls_hello h2;
		int64_t pick;

		CHECK(h.records >= 1);
		CHECK(h.sni == NULL ||
			(inside(h.sni, h.sni_len, buf, (size_t)rc) && h.sni_len > 0));
		if (h.alpn != NULL) {
			const uint8_t *p = h.alpn, *end = h.alpn + h.alpn_len;

			CHECK(inside(h.alpn, h.alpn_len, buf, (size_t)rc));
			while (p < end) {
				CHECK(p[0] > 0 && p + 1 + p[0] <= end);
				p += 1 + p[0];
			}
		}
		CHECK(fo_tls_hello_parse(buf, (size_t)rc - 1, scratch, &h2) == -EAGAIN);
		/* without a scratch: one record parses the same, more are refused */
		CHECK(fo_tls_hello_parse(buf, (size_t)rc, NULL, &h2) ==
			(h.records == 1 ? rc : -EMSGSIZE));
		if (h.records == 1 && rc >= 8)
			reframe(buf, (size_t)rc, &h);
		pick = fo_tls_sni_select(&sni_table, (const char *)h.sni, h.sni_len);
		CHECK(pick == FO_TLS_SNI_REFUSE || (pick >= 1 && pick <= 3));
	}
	free(buf);
	return 0;
}
