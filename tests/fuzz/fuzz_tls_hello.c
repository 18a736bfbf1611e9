/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the ClientHello parser (lib/tls, SNI passthrough).
 * Each input is the first bytes of a TLS stream, parsed from an exact-size
 * heap copy (ASan sees any over-read). On success every pointer must lie
 * inside the input and the ALPN list must be well formed, and the record
 * one byte shorter must be incomplete (-EAGAIN): the answer may not depend
 * on bytes past the record. The server name found is then run through SNI
 * selection on a small table (exact and wildcard names), which must give
 * a known index or a refusal.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct fo_tls_hello h;
	int rc;

	if (!sni_ready)
		sni_init();
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	rc = fo_tls_hello_parse(buf, size, &h);
	CHECK(rc == -EAGAIN || rc == -EBADMSG || rc == -EMSGSIZE || (rc > 0 && (size_t)rc <= size));
	if (rc > 0) {
		struct fo_tls_hello h2;
		int64_t pick;

		CHECK(h.sni == NULL ||
			(h.sni >= buf && h.sni + h.sni_len <= buf + rc && h.sni_len > 0));
		if (h.alpn != NULL) {
			const uint8_t *p = h.alpn, *end = h.alpn + h.alpn_len;

			CHECK(h.alpn >= buf && end <= buf + rc);
			while (p < end) {
				CHECK(p[0] > 0 && p + 1 + p[0] <= end);
				p += 1 + p[0];
			}
		}
		CHECK(fo_tls_hello_parse(buf, (size_t)rc - 1, &h2) == -EAGAIN);
		pick = fo_tls_sni_select(&sni_table, (const char *)h.sni, h.sni_len);
		CHECK(pick == FO_TLS_SNI_REFUSE || (pick >= 1 && pick <= 3));
	}
	free(buf);
	return 0;
}
