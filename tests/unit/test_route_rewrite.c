/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/route: the escaping copy of rewrite captures. The 16-byte path
 * (route_copy_escaped) against the byte-by-byte one
 * (route_copy_escaped_scalar) and against nginx's set of escaped bytes:
 * every byte value, every length and position in a window, every output
 * capacity around the result, and random strings. The match of a fast
 * "LIT(/|$)(.*)" rule (8 and 16 bytes at a time) against the byte loop it
 * replaced, on paths held in buffers of their exact size.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "route_priv.h"

/* What nginx 1.22 escapes in a rewritten URI (written out independently of lib/route). */
static int
nginx_escapes(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || strchr("\"#%<>?\\^`{|}", c) != NULL;
}

/* Both copies of src[0..len) (readable [lo, hi)) with capacity cap agree. */
static void
check_same(const char *src, size_t len, const char *lo, const char *hi, size_t cap)
{
	char a[3 * 80 + 32], b[sizeof(a)];
	ssize_t ra, rb;

	assert_true(cap <= 3 * 80);
	memset(a, 'X', sizeof(a));
	memset(b, 'X', sizeof(b));
	ra = route_copy_escaped(a, cap, src, len, lo, hi);
	rb = route_copy_escaped_scalar(b, cap, src, len);
	assert_int_equal(ra, rb);
	if (ra >= 0)
		assert_memory_equal(a, b, (size_t)ra);
	/* nothing written past the capacity */
	for (size_t k = cap; k < sizeof(a); k++)
		assert_int_equal(a[k], 'X');
}

static void
test_each_byte(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		char buf[40], out[160];
		ssize_t w;

		/* the byte at every position of a 16-byte block, and alone */
		for (unsigned pos = 0; pos < 33; pos++) {
			memset(buf, 'a', sizeof(buf));
			buf[pos] = (char)c;
			w = route_copy_escaped(out, sizeof(out), buf, 33, buf, buf + sizeof(buf));
			assert_int_equal(w, 33 + (nginx_escapes((unsigned char)c) ? 2 : 0));
			if (nginx_escapes((unsigned char)c)) {
				char hex[4];

				snprintf(hex, sizeof(hex), "%%%02X", c);
				assert_memory_equal(out + pos, hex, 3);
			} else {
				assert_int_equal((unsigned char)out[pos], c);
			}
			check_same(buf, 33, buf, buf + sizeof(buf), 120);
		}
		buf[0] = (char)c;
		w = route_copy_escaped_scalar(out, sizeof(out), buf, 1);
		assert_int_equal(w, nginx_escapes((unsigned char)c) ? 3 : 1);
	}
}

/* Every length, offset and readable window, every capacity around the result. */
static void
test_windows(void **state)
{
	char buf[64];
	unsigned seed = 7;

	(void)state;
	for (unsigned round = 0; round < 40; round++) {
		for (size_t k = 0; k < sizeof(buf); k++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly plain bytes, some escaped ones, rounds without any */
			buf[k] = (char)((round & 3) == 0 || (seed >> 16) % 5 != 0
						? 'a' + (seed >> 20) % 26
						: (seed >> 8) & 0xff);
		}
		for (size_t off = 0; off < 24; off++)
			for (size_t len = 0; off + len <= 40; len++) {
				const char *src = buf + off;
				char tmp[3 * 80];
				ssize_t full =
					route_copy_escaped_scalar(tmp, sizeof(tmp), src, len);

				/* windows: exactly the string, the whole buffer, one side each */
				for (size_t cap = full > 20 ? (size_t)full - 20 : 0;
					cap <= (size_t)full + 17; cap++) {
					check_same(src, len, src, src + len, cap);
					check_same(src, len, buf, buf + sizeof(buf), cap);
					check_same(src, len, buf, src + len, cap);
					check_same(src, len, src, buf + sizeof(buf), cap);
				}
			}
	}
}

static void
test_random(void **state)
{
	char buf[80];
	unsigned seed = 12345;

	(void)state;
	for (unsigned round = 0; round < 20000; round++) {
		size_t off, len, cap;

		for (size_t k = 0; k < sizeof(buf); k++) {
			seed = seed * 1103515245u + 12345u;
			buf[k] = (char)(seed >> 16);
			if ((round & 1) && (seed >> 28) != 0)
				buf[k] = (char)('0' + (seed >> 8) % 64);
		}
		seed = seed * 1103515245u + 12345u;
		off = (seed >> 16) % sizeof(buf);
		len = (seed >> 8) % (sizeof(buf) - off + 1);
		cap = (seed >> 4) % (3 * 80 + 1);
		check_same(buf + off, len, buf, buf + sizeof(buf), cap);
		check_same(buf + off, len, buf + off, buf + off + len, cap);
	}
}

/*
 * route_fast_match(), a byte at a time: the reference. -1 (PCRE2 decides)
 * when LIT matches and a line break follows it; a path without LIT does
 * not match whatever follows.
 */
static int
ref_fast_match(
	const char *lit, size_t l, bool caseful, const char *path, size_t len, PCRE2_SIZE ov[6])
{
	size_t i;
	bool brk;

	if (len < l)
		return 0;
	brk = memchr(path + l, '\n', len - l) != NULL || memchr(path + l, '\r', len - l) != NULL;
	if (caseful) {
		if (memcmp(path, lit, l) != 0)
			return 0;
	} else {
		for (i = 0; i < l; i++) {
			unsigned char a = (unsigned char)path[i], b = (unsigned char)lit[i];

			if (a != b && (a | 0x20) != (b | 0x20))
				return 0;
			if (a != b && !((a | 0x20) >= 'a' && (a | 0x20) <= 'z'))
				return 0;
		}
	}
	if (l < len && path[l] != '/' && path[l] != '\n' && path[l] != '\r')
		return 0; /* neither '/' nor the end, nor a final newline '$' may take */
	if (brk)
		return -1;
	if (l < len && path[l] != '/')
		return 0;
	ov[0] = 0;
	ov[1] = len;
	ov[2] = l;
	ov[3] = l < len ? l + 1 : l;
	ov[4] = ov[3];
	ov[5] = len;
	return 3;
}

static void
test_fast_match(void **state)
{
	static const char lit_chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_~";
	static const char odd[] = "\n\r/@`[{ZzAa\x80\xc1\xe1%?";
	unsigned seed = 99, matched = 0, broken = 0;

	(void)state;
	for (unsigned round = 0; round < 60000; round++) {
		size_t l, len, k;
		char *pat, *path, lit[24 + 8];
		struct route_rule r;
		PCRE2_SIZE ov[6], rov[6];
		int rc, ref;
		bool r_caseful = round % 5 == 0;

		seed = seed * 1103515245u + 12345u;
		l = 1 + (seed >> 16) % 24;
		pat = malloc(l + sizeof("(/|$)(.*)"));
		assert_non_null(pat);
		for (k = 0; k < l; k++) {
			seed = seed * 1103515245u + 12345u;
			pat[k] = lit_chars[(seed >> 16) % (sizeof(lit_chars) - 1)];
		}
		memcpy(pat + l, "(/|$)(.*)", sizeof("(/|$)(.*)"));
		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % 4 == 0 ? (seed >> 8) % (l + 1) : l + (seed >> 4) % 40;
		path = malloc(len ? len : 1);
		assert_non_null(path);
		for (k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			if (k < l)
				path[k] = (seed >> 16) % 2 ||
							  !((pat[k] | 0x20) >= 'a' &&
								  (pat[k] | 0x20) <= 'z') ||
							  r_caseful
						  ? pat[k]
						  : (char)(pat[k] ^ 0x20);
			else
				path[k] = k == l ? '/' : 'a' + (seed >> 20) % 26;
			/* now and then a byte that breaks the match or the fast form */
			if ((seed >> 8) % 53 == 0)
				path[k] = odd[(seed >> 24) % (sizeof(odd) - 1)];
		}
		/* the rule's literal as compiled: lower case unless caseful, then 8 zero bytes */
		memset(lit, 0, sizeof(lit));
		for (k = 0; k < l; k++)
			lit[k] = !r_caseful && pat[k] >= 'A' && pat[k] <= 'Z'
					 ? (char)(pat[k] | 0x20)
					 : pat[k];
		memset(&r, 0, sizeof(r));
		r.fast = true;
		r.lit = lit;
		r.lit_len = (uint32_t)l;
		r.caseful = r_caseful;
		memset(ov, 0xa5, sizeof(ov));
		memset(rov, 0xa5, sizeof(rov));
		rc = route_fast_match(&r, path, len, ov);
		ref = ref_fast_match(pat, l, r.caseful, path, len, rov);
		assert_int_equal(rc, ref);
		if (ref == 3)
			assert_memory_equal(ov, rov, sizeof(ov));
		{
			/* and PCRE2 itself, where the fast form decides */
			int code, prc;
			PCRE2_SIZE off;
			pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
				PCRE2_ANCHORED | (r_caseful ? 0 : PCRE2_CASELESS), &code, &off,
				NULL);
			pcre2_match_data *md = pcre2_match_data_create(4, NULL);

			assert_non_null(re);
			assert_non_null(md);
			prc = pcre2_match(re, (PCRE2_SPTR)path, len, 0, 0, md, NULL);
			if (rc == 0)
				assert_true(prc < 0);
			if (rc == 3) {
				assert_int_equal(prc, 3);
				assert_memory_equal(ov, pcre2_get_ovector_pointer(md), sizeof(ov));
			}
			pcre2_match_data_free(md);
			pcre2_code_free(re);
		}
		matched += ref == 3;
		broken += ref == -1;
		free(path);
		free(pat);
	}
	/* both outcomes (and PCRE2's) well covered */
	printf("fast match: %u matched, %u with a line break of 60000\n", matched, broken);
	assert_true(matched > 10000);
	assert_true(broken > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_byte),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_fast_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
