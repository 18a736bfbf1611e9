/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fo_http_path_normalize(): nginx's reading of a request path (every %XX
 * decoded, "//" merged, dot segments resolved), including the targets on
 * which fanout and nginx rendered as ingress-nginx used to disagree, and
 * the paths that must be refused (above the root, bad escapes, NUL and
 * control characters).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fo_http.h"

static const struct {
	const char *in;
	const char *out; /* NULL: -EINVAL */
} cases[] = {
	{"/", "/"},
	{"/test01/x", "/test01/x"},
	/* the seed's disagreements with nginx */
	{"//test01", "/test01"},
	{"/test01/./a", "/test01/a"},
	{"/test01/%2e%2e/x", "/x"},
	{"/test01/../test02/x", "/test02/x"},
	{"/test01%2Fa", "/test01/a"}, /* %2F separates, as in nginx */
	{"/test01/%7Euser", "/test01/~user"},
	{"/test01/%41%62", "/test01/Ab"},
	/* slashes and dot segments */
	{"/a//b///c", "/a/b/c"},
	{"/a/b/", "/a/b/"},
	{"/./", "/"},
	{"/.", "/"},
	{"/a/.", "/a/"},
	{"/a/./", "/a/"},
	{"/a/..", "/"},
	{"/a/../", "/"},
	{"/a/b/../c", "/a/c"},
	{"/a/..//b", "/b"},
	{"/a/b/../../c/./d/..", "/c/"},
	{"/%2e", "/"},
	{"/a%2F..%2Fb", "/b"},
	{"/..a", "/..a"}, /* not a dot segment */
	{"/a..", "/a.."},
	{"/.../x", "/.../x"},
	/* bytes other than separators and dots pass as they decode */
	{"/%c3%a9t%C3%A9", "/\xc3\xa9t\xc3\xa9"},
	{"/\xc3\xa9", "/\xc3\xa9"},
	{"/a%25b", "/a%b"},
	{"/a%3Fb%23c", "/a?b#c"},
	/* refused */
	{"/..", NULL},
	{"/../x", NULL},
	{"/a/../..", NULL},
	{"/%2E%2E", NULL},
	{"/a/%2e%2e/%2e%2e/b", NULL},
	{"/%00", NULL},
	{"/a%0ab", NULL},
	{"/a%7f", NULL},
	{"/a\x01", NULL},
	{"/%zz", NULL},
	{"/a%", NULL},
	{"/a%4", NULL},
	{"/a%4g", NULL},
	{"a/b", NULL},
	{"*", NULL},
};

static int
target_bytes(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static void
test_cases(void **state)
{
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);
		ssize_t n = fo_http_path_normalize(cases[i].in, len, out, len);

		/* the cheap test never calls a path of target bytes (0x21-0x7e, what the
		 * parser lets through) plain when it normalizes to something else */
		if (fo_http_path_plain(cases[i].in, len) && target_bytes(cases[i].in, len))
			assert_true(n == (ssize_t)len && memcmp(out, cases[i].in, len) == 0);
		if (cases[i].out == NULL) {
			if (n != -EINVAL)
				print_error("\"%s\": %zd, want -EINVAL\n", cases[i].in, n);
			assert_int_equal(n, -EINVAL);
			continue;
		}
		if (n < 0 || (size_t)n != strlen(cases[i].out) ||
			memcmp(out, cases[i].out, (size_t)n) != 0)
			print_error("\"%s\": %zd \"%.*s\", want \"%s\"\n", cases[i].in, n,
				n > 0 ? (int)n : 0, out, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
		assert_memory_equal(out, cases[i].out, (size_t)n);
	}
}

static void
test_plain(void **state)
{
	(void)state;
	assert_true(fo_http_path_plain("/", 1));
	assert_true(fo_http_path_plain("/test01/api/items", 17));
	assert_true(fo_http_path_plain("/a/b./c", 7));
	assert_false(fo_http_path_plain("", 0));
	assert_false(fo_http_path_plain("a/b", 3));
	assert_false(fo_http_path_plain("//a", 3));
	assert_false(fo_http_path_plain("/a//", 4));
	assert_false(fo_http_path_plain("/a/./b", 6));
	assert_false(fo_http_path_plain("/a/..", 5));
	assert_false(fo_http_path_plain("/.well-known", 12));
	assert_false(fo_http_path_plain("/a%41", 5));
	/* only what is given is read */
	assert_true(fo_http_path_plain("/a//b", 2));
}

/* Every length up to 64 (the 16-byte blocks and their overlapping last one), with '%',
 * "//" or "/." at every position, and without. */
static void
test_plain_positions(void **state)
{
	static const char *const bad[] = {"%", "//", "/."};
	char p[80];
	size_t len, pos, k;

	(void)state;
	for (len = 2; len <= 64; len++) {
		memset(p, 'a', sizeof(p));
		p[0] = '/';
		for (pos = 4; pos < len; pos += 5)
			p[pos] = '/';
		assert_true(fo_http_path_plain(p, len));
		for (k = 0; k < 3; k++) {
			size_t bl = strlen(bad[k]);

			for (pos = 1; pos + bl <= len; pos++) {
				char q[80];

				memcpy(q, p, sizeof(q));
				memcpy(q + pos, bad[k], bl);
				if (fo_http_path_plain(q, len))
					fail_msg("len %zu: \"%s\" at %zu called plain", len, bad[k], pos);
				/* the bytes after the path are not read */
				if (k == 0)
					assert_true(fo_http_path_plain(q, pos));
			}
		}
	}
}

static void
test_bounds(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(fo_http_path_normalize("", 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(fo_http_path_normalize("/abc", 4, out, 0), -ENOSPC);
	assert_int_equal(fo_http_path_normalize("/abcdefghij", 11, out, 8), -ENOSPC);
	/* only what is given is read: a path cut inside an escape is refused */
	assert_int_equal(fo_http_path_normalize("/a%41", 4, out, sizeof(out)), -EINVAL);
	assert_int_equal(fo_http_path_normalize("/a%41", 5, out, sizeof(out)), 3);
	assert_memory_equal(out, "/aA", 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_plain_positions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
