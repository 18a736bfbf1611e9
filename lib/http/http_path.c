/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request path normalization, as nginx does it before it picks a location
 * (ngx_http_parse_complex_uri with merge_slashes on): every %XX is decoded
 * (%2F too: a decoded '/' separates segments, as in nginx), "//" is merged,
 * "." and ".." segments are resolved. A path that climbs above the root,
 * a '%' not followed by two hex digits, and a decoded NUL or control
 * character are errors (400): a proxy that routes on one reading of a path
 * and forwards another hands its backends a request it did not check.
 *
 * One pass, no allocation; the output is never longer than the input.
 */
#include <errno.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fo_http.h"

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

ssize_t
fo_http_path_normalize(const char *in, size_t len, char *out, size_t cap)
{
	size_t i = 1, n = 0;

	if (len == 0 || in[0] != '/')
		return -EINVAL;
	if (cap == 0)
		return -ENOSPC;
	out[n++] = '/';
	for (;;) {
		size_t seg = n; /* the segment starts here; out[n - 1] == '/' */
		int end = 0;

		for (;;) {
			unsigned char c;

			if (i >= len) {
				end = 1;
				break;
			}
			c = (unsigned char)in[i++];
			if (c == '%') {
				int hi = i < len ? hexval((unsigned char)in[i]) : -1;
				int lo = i + 1 < len ? hexval((unsigned char)in[i + 1]) : -1;

				if (hi < 0 || lo < 0)
					return -EINVAL;
				c = (unsigned char)(hi << 4 | lo);
				i += 2;
			}
			if (c == '/')
				break;
			if (c < 0x20 || c == 0x7f)
				return -EINVAL;
			if (n >= cap)
				return -ENOSPC;
			out[n++] = (char)c;
		}
		if (n - seg == 1 && out[seg] == '.') {
			n = seg;
		} else if (n - seg == 2 && out[seg] == '.' && out[seg + 1] == '.') {
			n = seg;
			if (n == 1)
				return -EINVAL; /* above the root */
			/* drop the segment before: back to the '/' that starts it */
			n--;
			while (out[n - 1] != '/')
				n--;
		}
		if (end)
			return (ssize_t)n;
		if (out[n - 1] != '/') {
			if (n >= cap)
				return -ENOSPC;
			out[n++] = '/';
		}
	}
}

int
fo_http_path_plain(const char *in, size_t len)
{
	size_t i = 0;

	if (len == 0 || in[0] != '/')
		return 0;
#ifdef __SSE2__
	if (len >= 17) {
		const __m128i pct = _mm_set1_epi8('%'), sl = _mm_set1_epi8('/');
		const __m128i dot = _mm_set1_epi8('.');

		/* 16 bytes and the 16 after each by one: '%', or '/' before '/' or '.';
		 * the last block overlaps the one before it */
		for (;;) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(in + i));
			__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(in + i + 1));
			__m128i bad = _mm_or_si128(_mm_cmpeq_epi8(x, pct),
				_mm_and_si128(_mm_cmpeq_epi8(x, sl),
					_mm_or_si128(_mm_cmpeq_epi8(y, sl), _mm_cmpeq_epi8(y, dot))));

			if (_mm_movemask_epi8(bad) != 0)
				return 0;
			if (i == len - 17)
				break;
			i = i + 16 <= len - 17 ? i + 16 : len - 17;
		}
		/* the last byte: a '%' there is no escape, but no plain path either */
		return in[len - 1] != '%';
	}
#endif
	for (; i < len; i++) {
		if (in[i] == '%')
			return 0;
		if (in[i] == '/' && i + 1 < len && (in[i + 1] == '/' || in[i + 1] == '.'))
			return 0;
	}
	return 1;
}
