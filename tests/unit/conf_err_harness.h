/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the lib/conf error tests: a table row is config text and the
 * exact "file:line:col: message" lines it must produce; check_case() also
 * checks the error count, with and without an error stream.
 */
#ifndef CONF_ERR_HARNESS_H
#define CONF_ERR_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "fo_conf.h"

#define T(s) s, sizeof(s) - 1

struct err_case {
	const char *group;
	const char *name;
	unsigned flags;
	const char *text;
	size_t len;
	const char *want;
};

static inline unsigned
count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Parse @text as "t.conf"; return what was written on the error stream. */
static inline char *
parse_errors(const char *text, size_t len, unsigned flags, unsigned *n_errors)
{
	struct fo_conf *conf;
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	assert_non_null(f);
	conf = fo_conf_parse("t.conf", text, len, flags, f, n_errors);
	assert_int_equal(fclose(f), 0);
	assert_null(conf);
	return out;
}

static inline char *
load_errors(const char *path, unsigned *n_errors)
{
	struct fo_conf *conf;
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	assert_non_null(f);
	conf = fo_conf_load(path, f, n_errors);
	assert_int_equal(fclose(f), 0);
	assert_null(conf);
	return out;
}

static inline void
check_case(const struct err_case *c)
{
	unsigned n = 12345, n_quiet = 54321;
	char *out = parse_errors(c->text, c->len, c->flags, &n);

	if (strcmp(out, c->want) != 0)
		print_error("case [%s] %s:\n--- want\n%s--- got\n%s", c->group, c->name, c->want, out);
	assert_string_equal(out, c->want);
	assert_int_equal(n, count_lines(c->want));
	/* with no error stream, the same errors are counted */
	assert_null(fo_conf_parse("t.conf", c->text, c->len, c->flags, NULL, &n_quiet));
	assert_int_equal(n_quiet, n);
	free(out);
}

static inline void
run_table(const struct err_case *cases, size_t n_cases, const char *group)
{
	size_t i;
	unsigned ran = 0;

	for (i = 0; i < n_cases; i++) {
		if (strcmp(cases[i].group, group) == 0) {
			check_case(&cases[i]);
			ran++;
		}
	}
	assert_true(ran > 0);
}

/* every row of group @g in this file's `cases` table */
#define run_group(g) run_table(cases, sizeof(cases) / sizeof(cases[0]), (g))

#endif /* CONF_ERR_HARNESS_H */
