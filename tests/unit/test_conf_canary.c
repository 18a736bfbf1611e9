/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf: a route's `canary` blocks (header always/never, exact value or
 * "~ REGEX", cookie, weight) and `canary_weight_total` -- their values,
 * dump and round trip, the reload comparison, and every error with its
 * file:line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf_err_harness.h"
#include "conf_parse_harness.h"
#include "fo_conf.h"

#define IFC                                                                                        \
	"interface a { address 198.18.0.1/24; }\nupstream u { server 198.18.0.11:80; }\n"          \
	"upstream v2 { server 198.18.0.12:80; }\n"

static void
test_values(void **state)
{
	/* the canary's upstream may be defined after the route */
	struct fo_conf *c =
		parse_ok(IFC "route prefix /api {\n"
			     "\tupstream u;\n"
			     "\tcanary v2 { header X-Canary; cookie beta; weight 10; }\n"
			     "\tcanary v3 { header X-Ver \"v 3\"; }\n"
			     "\tcanary v2 { header X-Ver ~ \"^v[45]\"; weight 0; }\n"
			     "\tcanary_weight_total 1000;\n"
			     "}\n"
			     "upstream v3 { server 198.18.0.13:80; }\n"
			     "route prefix /b { upstream u; }\n");
	const struct fo_conf_route *r = &c->routes[0];
	const struct fo_conf_canary *k = r->canaries;
	char *text;

	(void)state;
	assert_int_equal(r->n_canaries, 3);
	assert_int_equal(r->canary_weight_total, 1000);
	assert_int_equal(k[0].upstream, 1);
	assert_string_equal(k[0].header, "x-canary"); /* field names compare case-insensitively */
	assert_int_equal(k[0].header_op, FO_CONF_CANARY_ALWAYS_NEVER);
	assert_null(k[0].header_value);
	assert_string_equal(k[0].cookie, "beta");
	assert_int_equal(k[0].weight, 10);
	assert_int_equal(k[1].upstream, 2);
	assert_int_equal(k[1].header_op, FO_CONF_CANARY_VALUE);
	assert_string_equal(k[1].header_value, "v 3");
	assert_null(k[1].cookie);
	assert_int_equal(k[1].weight, 0);
	assert_int_equal(k[2].header_op, FO_CONF_CANARY_PATTERN);
	assert_string_equal(k[2].header_value, "^v[45]");
	/* a route without canaries: the default total */
	assert_int_equal(c->routes[1].n_canaries, 0);
	assert_int_equal(c->routes[1].canary_weight_total, 100);
	text = dump(c);
	assert_non_null(strstr(text, "\tcanary_weight_total 1000;\n"
				     "\tcanary v2 {\n\t\theader x-canary;\n\t\tcookie beta;\n"
				     "\t\tweight 10;\n\t}\n"
				     "\tcanary v3 {\n\t\theader x-ver \"v 3\";\n\t}\n"
				     "\tcanary v2 {\n\t\theader x-ver ~ \"^v[45]\";\n\t}\n"));
	free(text);
	check_round_trip(c);
	fo_conf_free(c);
}

/* what a reload compares: any change to a canary is a route change */
static void
test_differ(void **state)
{
	static const char *const variants[] = {
		"canary v2 { header x; weight 10; }",
		"canary v2 { header x; weight 11; }",
		"canary v2 { header y; weight 10; }",
		"canary v2 { header x always; weight 10; }",
		"canary v2 { header x ~ always; weight 10; }",
		"canary v2 { header x; cookie c; weight 10; }",
		"canary u { header x; weight 10; }",
		"canary v2 { header x; weight 10; } canary_weight_total 50;",
		"canary v2 { header x; weight 10; } canary v2 { cookie c; }",
		"",
	};
	struct fo_conf *c[10];
	char text[512];
	unsigned i, j;

	(void)state;
	for (i = 0; i < 10; i++) {
		snprintf(
			text, sizeof(text), IFC "route prefix / { upstream u; %s }\n", variants[i]);
		c[i] = parse_ok(text);
	}
	for (i = 0; i < 10; i++)
		for (j = 0; j < 10; j++)
			assert_int_equal(
				fo_conf_canaries_differ(&c[i]->routes[0], &c[j]->routes[0]),
				i != j);
	for (i = 0; i < 10; i++)
		fo_conf_free(c[i]);
}

static const struct err_case cases[] = {
	{"errors", "canary blocks", 0,
		T(IFC "route prefix / {\n"
		      "\tupstream u;\n"
		      "\tcanary nope { weight 5; }\n"
		      "\tcanary v2 { }\n"
		      "\tcanary v2 { weight 101; }\n"
		      "\tcanary v2 { header X:y; }\n"
		      "\tcanary v2 { header x a b; }\n"
		      "\tcanary v2 { header x ~; }\n"
		      "\tcanary v2 { header x ~ \"(\"; }\n"
		      "\tcanary v2 { header x \" a\"; }\n"
		      "\tcanary v2 { header x; header y; }\n"
		      "\tcanary v2 { cookie \"a;b\"; weight -1; }\n"
		      "\tcanary_weight_total 0;\n"
		      "}\n"
		      "route prefix /b {\n"
		      "\tupstream u;\n"
		      "\tcanary_weight_total 10;\n"
		      "\tcanary v2 { weight 6; }\n"
		      "\tcanary u { weight 5; }\n"
		      "}\n"),
		"t.conf:7:2: canary takes no request (set weight, header or cookie)\n"
		"t.conf:9:22: byte 0x3a is not allowed in a header name (a token)\n"
		"t.conf:10:25: one value expected (quote a value with spaces; \"~ REGEX\" for a "
		"regex)\n"
		"t.conf:11:23: \"~\" takes one regex: header NAME ~ REGEX;\n"
		"t.conf:12:27: invalid regex: missing closing parenthesis\n"
		"t.conf:13:23: a header value never starts or ends with a space or tab (it is "
		"trimmed)\n"
		"t.conf:14:24: duplicate \"header\" directive (first at t.conf:14:14)\n"
		"t.conf:15:23: byte 0x3b is not allowed in a cookie name (a token)\n"
		"t.conf:15:35: invalid canary weight \"-1\" (expected 0..1000000)\n"
		"t.conf:16:22: invalid canary_weight_total \"0\" (expected 1..1000000)\n"
		"t.conf:8:2: canary weight 101 is more than the route's canary_weight_total 100\n"
		"t.conf:22:2: the route's canary weights add up to 11, more than its "
		"canary_weight_total 10\n"
		"t.conf:6:9: upstream \"nope\" is not defined\n"},
	{"errors", "too many canaries", 0,
		T(IFC "route prefix / {\n"
		      "\tupstream u;\n"
		      "\tcanary v2 { cookie c1; } canary v2 { cookie c2; } canary v2 { cookie c3; "
		      "}\n"
		      "\tcanary v2 { cookie c4; } canary v2 { cookie c5; } canary v2 { cookie c6; "
		      "}\n"
		      "\tcanary v2 { cookie c7; } canary v2 { cookie c8; } canary v2 { cookie c9; "
		      "}\n"
		      "\tcanary v2 { cookie d1; } canary v2 { cookie d2; } canary v2 { cookie d3; "
		      "}\n"
		      "\tcanary v2 { cookie d4; } canary v2 { cookie d5; } canary v2 { cookie d6; "
		      "}\n"
		      "\tcanary v2 { cookie d7; } canary v2 { cookie d8; }\n"
		      "}\n"),
		"t.conf:11:27: more than 16 canaries in one route\n"},
	{"errors", "canary outside a route", 0, T(IFC "canary v2 { weight 1; }\n"),
		"t.conf:4:1: \"canary\" directive is not allowed at top level (only in route "
		"block)\n"},
};

static void
test_errors(void **state)
{
	(void)state;
	run_group("errors");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_differ),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
