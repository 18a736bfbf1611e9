/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The winner's rewrite, inline in route_match.c's try_rule() (a call cost
 * about as much as expanding "/$2"): the escaping copy of a group, 16
 * bytes at a time where SSSE3 is built in, and the expansion of "$N".
 * route_rewrite.c has the byte-at-a-time copy and the exported entries.
 */
#ifndef ROUTE_REWRITE_H
#define ROUTE_REWRITE_H

#include <errno.h>
#include <string.h>
#include <sys/types.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __SSSE3__
#include <tmmintrin.h>
#endif

#include "route_priv.h"

#ifdef __SSSE3__
/*
 * uri_escaped[] of 16 bytes at once (bit i: byte i is escaped): a byte is
 * escaped when the bits its low nibble selects and those its high nibble
 * selects meet. Bit 0: every byte of the high nibbles 0, 1, 8..f; bits
 * 1..5: the escaped bytes of the high nibbles 2, 3, 5, 6, 7 (none in 4).
 */
static inline unsigned
escaped16(__m128i v)
{
	const __m128i by_lo = _mm_setr_epi8(0x13, 0x01, 0x03, 0x03, 0x01, 0x03, 0x01, 0x01, 0x01,
		0x01, 0x01, 0x21, 0x2d, 0x21, 0x0d, 0x25);
	const __m128i by_hi = _mm_setr_epi8(0x01, 0x01, 0x02, 0x04, 0x00, 0x08, 0x10, 0x20, 0x01,
		0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01);
	const __m128i nib = _mm_set1_epi8(0x0f);
	__m128i lo = _mm_shuffle_epi8(by_lo, _mm_and_si128(v, nib));
	__m128i hi = _mm_shuffle_epi8(by_hi, _mm_and_si128(_mm_srli_epi16(v, 4), nib));
	__m128i none = _mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128());

	return ~(unsigned)_mm_movemask_epi8(none) & 0xffffu;
}

/* @p n (at most 16) bytes, in at most two loads and two stores that stay within them */
static inline void
copy_upto16(char *d, const char *s, size_t n)
{
	uint64_t a, b;
	uint32_t x, y;
	uint16_t p, q;

	if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else if (n >= 2) {
		memcpy(&p, s, 2);
		memcpy(&q, s + n - 2, 2);
		memcpy(d, &p, 2);
		memcpy(d + n - 2, &q, 2);
	} else if (n == 1) {
		d[0] = s[0];
	}
}
#endif

/*
 * route_copy_escaped_scalar()'s result, found 16 bytes at a time: runs of
 * bytes kept as they are copied whole. [lo, hi) is readable memory around
 * src[0..len) (the path it is cut from): a last piece shorter than 16
 * bytes is read as the 16 bytes that start (or end) with it when they
 * fit there, else byte by byte.
 */
static inline __attribute__((always_inline)) ssize_t
route_copy_escaped_inl(
	char *out, size_t cap, const char *src, size_t len, const char *lo, const char *hi)
{
#ifdef __SSSE3__
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, n = 0;

	while (i < len) {
		size_t rem = len - i, k = 16, run;
		unsigned m;
		__m128i v;

		if (rem >= 16) {
			v = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
			m = escaped16(v);
			if (m == 0 && cap - n >= 16) {
				_mm_storeu_si128((__m128i *)(void *)(out + n), v);
				n += 16;
				i += 16;
				continue;
			}
		} else if (hi - (src + i) >= 16) {
			v = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
			m = escaped16(v) & ((1u << rem) - 1);
			k = rem;
		} else if ((src + len) - lo >= 16) {
			v = _mm_loadu_si128((const __m128i *)(const void *)(src + len - 16));
			m = escaped16(v) >> (16 - rem);
			k = rem;
		} else {
			ssize_t w = route_copy_escaped_scalar(out + n, cap - n, src + i, rem);

			return w < 0 ? w : (ssize_t)n + w;
		}
		run = m != 0 ? (size_t)__builtin_ctz(m) : k;
		if (run > cap - n)
			return -ENOSPC;
		copy_upto16(out + n, src + i, run);
		n += run;
		i += run;
		if (m != 0) {
			unsigned char c = (unsigned char)src[i++];

			if (cap - n < 3)
				return -ENOSPC;
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	return (ssize_t)n;
#else
	(void)lo;
	(void)hi;
	return route_copy_escaped_scalar(out, cap, src, len);
#endif
}

/*
 * The rewrite with "$N" replaced by group N (an unset group, or one the
 * pattern does not have, by nothing); any other '$' is literal. The path
 * is the normalized one (decoded): what a group copies is escaped again
 * as nginx escapes a rewritten URI (uri_escaped[]), so that a decoded
 * "%3F" cannot start a query.
 * @p path_len: the whole path's (readable around the groups);
 * @p g0 / @p g0_len: group 0 of exact and prefix rules; @p ngroups: the
 * match's result for regex rules. 0 or -ENOSPC.
 */
static inline __attribute__((always_inline)) int
route_expand_rewrite(const struct route_rule *r, const PCRE2_SIZE *ov, int ngroups,
	const char *path, size_t path_len, size_t g0_len, char *out, size_t cap, size_t *out_len)
{
	const char *tpl = r->conf->rewrite;
	size_t n = 0;

	for (; *tpl != '\0'; tpl++) {
		const char *src = tpl;
		size_t len = 1;

		if (tpl[0] == '$' && tpl[1] >= '0' && tpl[1] <= '9') {
			int g = tpl[1] - '0';
			ssize_t w;

			tpl++;
			src = path;
			len = 0;
			if (ov == NULL) {
				len = g == 0 ? g0_len : 0;
			} else if (g < ngroups && ov[2 * g] != PCRE2_UNSET &&
				   ov[2 * g + 1] > ov[2 * g]) {
				src = path + ov[2 * g];
				len = ov[2 * g + 1] - ov[2 * g];
			}
			w = route_copy_escaped_inl(
				out + n, cap - n, src, len, path, path + path_len);
			if (w < 0)
				return -ENOSPC;
			n += (size_t)w;
			continue;
		}
		if (len > cap - n)
			return -ENOSPC;
		memcpy(out + n, src, len);
		n += len;
	}
	*out_len = n;
	return 0;
}

#endif /* ROUTE_REWRITE_H */
