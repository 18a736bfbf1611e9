/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the winning rule sends upstream, besides its "$N" rewrite (inline,
 * route_rewrite.h): a prefix replacement (Gateway API ReplacePrefixMatch),
 * and the escaping copy of what a path piece becomes in a rewritten URI
 * (as nginx 1.22 escapes it) a byte at a time, and as an exported entry.
 */
#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "route_priv.h"
#include "route_rewrite.h"

/* Bytes nginx (1.22, every byte tried) escapes in a rewritten URI it forwards: 1. */
static const uint8_t uri_escaped[256] = {
	[0x00 ... 0x20] = 1,
	['"'] = 1,
	['#'] = 1,
	['%'] = 1,
	['<'] = 1,
	['>'] = 1,
	['?'] = 1,
	['\\'] = 1,
	['^'] = 1,
	['`'] = 1,
	['{'] = 1,
	['|'] = 1,
	['}'] = 1,
	[0x7f ... 0xff] = 1,
};

/* Copy captured bytes, escaping what uri_escaped[] says: byte by byte. n or -ENOSPC. */
ssize_t
route_copy_escaped_scalar(char *out, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (__builtin_expect(!uri_escaped[c], 1)) {
			if (__builtin_expect(n >= cap, 0))
				return -ENOSPC;
			out[n++] = (char)c;
			continue;
		}
		if (cap - n < 3)
			return -ENOSPC;
		out[n++] = '%';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 15];
	}
	return (ssize_t)n;
}

/* route_copy_escaped_inl() for route_expand_prefix() and tests. */
ssize_t
route_copy_escaped(
	char *out, size_t cap, const char *src, size_t len, const char *lo, const char *hi)
{
	return route_copy_escaped_inl(out, cap, src, len, lo, hi);
}

/*
 * rewrite_prefix P (Gateway API ReplacePrefixMatch) of a prefix rule: P
 * when the path is the prefix itself, else P without its final '/'
 * followed by the rest of the path (escaped again, as a capture is). 0 or
 * -ENOSPC.
 */
int
route_expand_prefix(const struct route_rule *r, const char *path, size_t len, char *out, size_t cap,
	size_t *out_len)
{
	const char *pfx = r->conf->rewrite_prefix;
	size_t pl = strlen(pfx);
	ssize_t w;

	if (len <= r->lit_len) {
		if (pl > cap)
			return -ENOSPC;
		memcpy(out, pfx, pl);
		*out_len = pl;
		return 0;
	}
	if (pl > 0 && pfx[pl - 1] == '/')
		pl--;
	if (pl > cap)
		return -ENOSPC;
	memcpy(out, pfx, pl);
	w = route_copy_escaped(
		out + pl, cap - pl, path + r->lit_len, len - r->lit_len, path, path + len);
	if (w < 0)
		return -ENOSPC;
	*out_len = pl + (size_t)w;
	return 0;
}
