/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for fo_http_path_normalize(): each input is a path (any
 * bytes). The result must equal a reference that works the other way
 * round (decode everything first, then split on '/' and resolve segments
 * with a stack), and must be normalized: starts with '/', no "//", no "."
 * or ".." segment, no control byte, never longer than the input; any
 * disagreement aborts.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fo_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXP 4096

static int
hexv(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* the reference: @return length, or -1 for a refused path */
static long
ref_normalize(const uint8_t *in, size_t len, char *out)
{
	static char dec[MAXP];
	static size_t seg_off[MAXP], seg_len[MAXP];
	size_t d = 0, i, n_seg = 0, start, o = 0;
	int trailing = 0;

	if (len == 0 || in[0] != '/')
		return -1;
	for (i = 0; i < len; i++) {
		uint8_t c = in[i];

		if (c == '%') {
			if (i + 2 >= len || hexv(in[i + 1]) < 0 || hexv(in[i + 2]) < 0)
				return -1;
			c = (uint8_t)(hexv(in[i + 1]) << 4 | hexv(in[i + 2]));
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		dec[d++] = (char)c;
	}
	/* segments after the leading '/' */
	start = 1;
	for (i = 1; i <= d; i++) {
		if (i < d && dec[i] != '/')
			continue;
		{
			size_t l = i - start;
			const char *s = dec + start;

			trailing = 0;
			if (l == 0 || (l == 1 && s[0] == '.')) {
				trailing = 1;
			} else if (l == 2 && s[0] == '.' && s[1] == '.') {
				if (n_seg == 0)
					return -1;
				n_seg--;
				trailing = 1;
			} else {
				seg_off[n_seg] = start;
				seg_len[n_seg++] = l;
			}
		}
		start = i + 1;
	}
	out[o++] = '/';
	for (i = 0; i < n_seg; i++) {
		memcpy(out + o, dec + seg_off[i], seg_len[i]);
		o += seg_len[i];
		if (i + 1 < n_seg || trailing)
			out[o++] = '/';
	}
	return (long)o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[MAXP], ref[MAXP + 1];
	ssize_t n;
	long r;
	size_t i;

	if (size == 0 || size > MAXP)
		return 0;
	n = fo_http_path_normalize((const char *)data, size, out, size);
	r = ref_normalize(data, size, ref);
	/* a path the cheap test calls plain (of target bytes, as the parser allows) is its own
	 * normal form */
	if (fo_http_path_plain((const char *)data, size)) {
		for (i = 0; i < size && data[i] >= 0x21 && data[i] <= 0x7e; i++)
			;
		if (i == size && (n != (ssize_t)size || memcmp(out, data, size) != 0))
			abort();
	}
	if ((n < 0) != (r < 0))
		abort();
	if (n < 0) {
		if (n != -EINVAL)
			abort();
		return 0;
	}
	if ((long)n != r || memcmp(out, ref, (size_t)n) != 0 || (size_t)n > size || out[0] != '/')
		abort();
	for (i = 0; i < (size_t)n; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c < 0x20 || c == 0x7f)
			abort();
		if (c == '/' && i + 1 < (size_t)n && out[i + 1] == '/')
			abort();
	}
	return 0;
}
