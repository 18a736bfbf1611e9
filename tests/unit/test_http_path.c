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

static void
test_cases(void **state)
{
	char out[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);
		ssize_t n = fo_http_path_normalize(cases[i].in, len, out, len);

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
