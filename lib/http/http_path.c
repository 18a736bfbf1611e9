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
