/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the winning rule sends upstream: its rewrite with "$N" expanded
 * from the normalized path (captures escaped again as nginx 1.22 escapes
 * a rewritten URI), a prefix replacement (Gateway API ReplacePrefixMatch),
 * and the groups of a "LIT(/|$)(.*)" regex found without PCRE2. Called
 * for the winner only (route_match.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "route_priv.h"

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

/* Copy captured bytes, escaping what uri_escaped[] says. n or -ENOSPC. */
static ssize_t
copy_capture(char *out, size_t cap, const char *src, size_t len)
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

/*
 * The rewrite with "$N" replaced by group N (an unset group, or one the
 * pattern does not have, by nothing); any other '$' is literal. The path
 * is the normalized one (decoded): what a group copies is escaped again
 * as nginx escapes a rewritten URI (uri_escaped[]), so that a decoded
 * "%3F" cannot start a query.
 * @p g0 / @p g0_len: group 0 of exact and prefix rules; @p ngroups: the
 * match's result for regex rules. 0 or -ENOSPC.
 */
int
route_expand_rewrite(const struct route_rule *r, const PCRE2_SIZE *ov, int ngroups,
	const char *path, size_t g0_len, char *out, size_t cap, size_t *out_len)
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
			w = copy_capture(out + n, cap - n, src, len);
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
	w = copy_capture(out + pl, cap - pl, path + r->lit_len, len - r->lit_len);
	if (w < 0)
		return -ENOSPC;
	*out_len = pl + (size_t)w;
	return 0;
}

/*
 * A fast regex rule "LIT(/|$)(.*)" (route_compile.c) against the path:
 * the number of groups set in @p ov (3) on a match, 0 when it does not
 * match, -1 when PCRE2 must decide (a line break in the path).
 */
int
route_fast_match(const struct route_rule *r, const char *path, size_t len, PCRE2_SIZE ov[6])
{
	size_t l = r->lit_len, i, end;

	if (len < l)
		return 0;
	if (memchr(path + l, '\n', len - l) != NULL || memchr(path + l, '\r', len - l) != NULL)
		return -1;
	if (r->caseful) {
		if (memcmp(path, r->lit, l) != 0)
			return 0;
	} else {
		for (i = 0; i < l; i++) {
			unsigned char a = (unsigned char)path[i], b = (unsigned char)r->lit[i];

			if (a != b && (a | 0x20) != (b | 0x20))
				return 0;
			if (a != b && !((a | 0x20) >= 'a' && (a | 0x20) <= 'z'))
				return 0;
		}
	}
	if (l < len && path[l] != '/')
		return 0;
	end = len;
	ov[0] = 0;
	ov[1] = end;
	ov[2] = l;
	ov[3] = l < len ? l + 1 : l; /* "/" or "" (the end) */
	ov[4] = ov[3];
	ov[5] = end;
	return 3;
}
