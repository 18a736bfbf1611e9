/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf: what decides between routes besides host and path -- a
 * route's `match` conditions (method, header, query, cookie: present,
 * exact or "~ REGEX"), `priority`, `case_sensitive`, and `match_order` --
 * with their values, dump and round trip, duplicate routes told apart by
 * their conditions, and every error with its file:line:col.
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

#define IFC "interface a { address 198.18.0.1/24; }\nupstream u { server 198.18.0.11:80; }\n"

static __attribute__((noinline)) char *
dump_text(const struct fo_conf *c)
{
	return dump(c);
}

static void
test_values(void **state)
{
	struct fo_conf *c = parse_ok(
		IFC "route prefix / {\n"
		    "\tupstream u;\n"
		    "\tmatch method GET HEAD;\n"
		    "\tmatch header X-Env prod;\n"
		    "\tmatch header X-Trace;\n"
		    "\tmatch header User-Agent ~ \".*(curl|wget).*\";\n"
		    "\tmatch query version 2;\n"
		    "\tmatch query debug;\n"
		    "\tmatch cookie canary always;\n"
		    "\tmatch header X-Note \"a b\";\n"
		    "\tmatch header X-Tilde \"~\";\n"
		    "\tpriority -5;\n"
		    "}\n"
		    "route regex /api/v[0-9]+ { upstream u; case_sensitive on; priority 1000000; }\n"
		    "route regex /img { upstream u; case_sensitive off; }\n"
		    "match_order ingress-nginx;\n");
	const struct fo_conf_route *r = &c->routes[0];
	const struct fo_conf_match *m = r->matches;
	char *text;

	(void)state;
	assert_int_equal(c->match_order, FO_CONF_ORDER_INGRESS_NGINX);
	assert_int_equal(r->n_matches, 9);
	assert_int_equal(m[0].kind, FO_CONF_MATCH_METHOD);
	assert_null(m[0].name);
	assert_string_equal(m[0].value, "GET HEAD");
	assert_int_equal(m[1].kind, FO_CONF_MATCH_HEADER);
	assert_int_equal(m[1].op, FO_CONF_MATCH_EXACT);
	assert_string_equal(m[1].name, "x-env"); /* field names compare case-insensitively */
	assert_string_equal(m[1].value, "prod");
	assert_int_equal(m[2].op, FO_CONF_MATCH_PRESENT);
	assert_null(m[2].value);
	assert_int_equal(m[3].op, FO_CONF_MATCH_REGEX);
	assert_string_equal(m[3].value, ".*(curl|wget).*");
	assert_int_equal(m[4].kind, FO_CONF_MATCH_QUERY);
	assert_string_equal(m[4].name, "version");
	assert_int_equal(m[5].op, FO_CONF_MATCH_PRESENT);
	assert_int_equal(m[6].kind, FO_CONF_MATCH_COOKIE);
	assert_string_equal(m[6].value, "always");
	assert_string_equal(m[7].value, "a b");
	assert_int_equal(m[8].op, FO_CONF_MATCH_EXACT);
	assert_string_equal(m[8].value, "~");
	assert_int_equal(r->priority, -5);
	assert_int_equal(r->case_sensitive, 0);
	assert_int_equal(c->routes[1].priority, 1000000);
	assert_int_equal(c->routes[1].case_sensitive, 1);
	assert_int_equal(c->routes[2].case_sensitive, 0);
	assert_int_equal(c->routes[1].n_matches, 0);
	text = dump_text(c);
	assert_non_null(strstr(text, "match_order ingress-nginx;\n"));
	assert_non_null(strstr(text, "\tmatch method GET HEAD;\n\tmatch header x-env prod;\n"
				     "\tmatch header x-trace;\n"
				     "\tmatch header user-agent ~ .*(curl|wget).*;\n"
				     "\tmatch query version 2;\n\tmatch query debug;\n"
				     "\tmatch cookie canary always;\n"
				     "\tmatch header x-note \"a b\";\n"
				     "\tmatch header x-tilde \"~\";\n\tpriority -5;\n"));
	assert_non_null(strstr(text, "\tpriority 1000000;\n\tcase_sensitive on;\n"));
	free(text);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_defaults(void **state)
{
	struct fo_conf *c = parse_ok(IFC "route regex /a { upstream u; }\n");
	char *text;

	(void)state;
	assert_int_equal(c->match_order, FO_CONF_ORDER_GATEWAY);
	assert_int_equal(c->routes[0].n_matches, 0);
	assert_null(c->routes[0].matches);
	assert_int_equal(c->routes[0].priority, 0);
	assert_int_equal(c->routes[0].case_sensitive, 0);
	text = dump_text(c);
	assert_null(strstr(text, "match"));
	assert_null(strstr(text, "priority"));
	assert_null(strstr(text, "case_sensitive"));
	free(text);
	fo_conf_free(c);
}

/* one path twice is no duplicate when the two match different requests (Gateway API) */
static void
test_same_path_other_conditions(void **state)
{
	struct fo_conf *c = parse_ok(IFC "route prefix / { upstream u; match header version one; }\n"
					 "route prefix / { upstream u; match header version two; }\n"
					 "route prefix / { upstream u; match header version ~ two; }\n"
					 "route prefix / { upstream u; match query version two; }\n"
					 "route prefix / { upstream u; }\n");

	(void)state;
	assert_int_equal(c->n_routes, 5);
	fo_conf_free(c);
}

/* duplicate_routes first: the duplicate is a warning (wherever the directive is), both
 * routes are kept, the first wins by config order; the dump keeps the directive */
static void
test_duplicate_first(void **state)
{
	static const char text[] = IFC "route prefix /dup { host d.test; upstream u; }\n"
				       "route prefix /dup { host d.test; upstream u; }\n"
				       "duplicate_routes first;\n";
	char *out = NULL, *dumped;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	unsigned n = 99;
	struct fo_conf *c;

	(void)state;
	assert_non_null(f);
	c = fo_conf_parse("t.conf", text, sizeof(text) - 1, 0, f, &n);
	fclose(f);
	assert_non_null(c);
	assert_int_equal(n, 0);
	assert_string_equal(out, "t.conf:4:1: warning: duplicate route prefix \"/dup\" for host "
				 "\"d.test\" (first defined at t.conf:3:1): the first one wins\n");
	assert_true(c->duplicate_first);
	assert_int_equal(c->n_routes, 2);
	dumped = dump_text(c);
	assert_non_null(strstr(dumped, "duplicate_routes first;\n"));
	free(dumped);
	free(out);
	fo_conf_free(c);
}

static const struct err_case cases[] = {
	{"errors", "match kinds, names and values", 0,
		T(IFC "route prefix / {\n"
		      "\tupstream u;\n"
		      "\tmatch body x;\n"
		      "\tmatch method;\n"
		      "\tmatch method GET G(T;\n"
		      "\tmatch method GET GET;\n"
		      "\tmatch header;\n"
		      "\tmatch header X:y v;\n"
		      "\tmatch header x \"a\x01\";\n"
		      "\tmatch header x \" a\";\n"
		      "\tmatch header x a b;\n"
		      "\tmatch header x ~;\n"
		      "\tmatch header x ~ \"(\";\n"
		      "\tmatch query \"a=b\" c;\n"
		      "\tmatch query a \"b&c\";\n"
		      "\tmatch cookie a \"b;c\";\n"
		      "\tmatch cookie \"\" c;\n"
		      "}\n"),
		"t.conf:5:8: unknown match \"body\" (expected method, header, query or cookie)\n"
		"t.conf:6:8: \"match method\" needs at least one method\n"
		"t.conf:7:20: invalid byte 0x28 in a method (a token: letters, digits, "
		"!#$%&'*+-.^_`|~)\n"
		"t.conf:8:19: method \"GET\" listed twice\n"
		"t.conf:9:8: \"match header\" needs a name\n"
		"t.conf:10:16: invalid byte 0x3a in a header name (a token)\n"
		"t.conf:11:19: control character 0x01 in config text\n"
		"t.conf:12:17: a header value never starts or ends with a space or tab (it is "
		"trimmed)\n"
		"t.conf:13:19: one value expected (quote a value with spaces; \"~ REGEX\" for a "
		"regex)\n"
		"t.conf:14:17: \"~\" takes one regex: match header NAME ~ REGEX;\n"
		"t.conf:15:21: invalid regex: missing closing parenthesis\n"
		"t.conf:16:16: invalid byte 0x3d in a query parameter name\n"
		"t.conf:17:18: invalid byte 0x26 in a query parameter value\n"
		"t.conf:18:19: invalid byte 0x3b in a cookie value (RFC 6265 cookie-octets)\n"
		"t.conf:19:15: empty cookie name\n"},
	{"errors", "two method lists", 0,
		T(IFC "route prefix / { upstream u; match method GET; match method POST; }\n"),
		"t.conf:3:48: a second \"match method\" (list every method in one: match method GET "
		"HEAD;)\n"},
	{"errors", "priority, case_sensitive, match_order", 0,
		T(IFC "route prefix /a { upstream u; priority high; }\n"
		      "route prefix /b { upstream u; priority 1000001; }\n"
		      "route prefix /c { upstream u; priority -; }\n"
		      "route prefix /d { upstream u; priority 1; priority 2; }\n"
		      "route prefix /e { upstream u; case_sensitive on; }\n"
		      "route regex /f { upstream u; case_sensitive yes; }\n"
		      "match_order nginx;\n"
		      "match_order gateway;\n"
		      "match_order gateway;\n"),
		"t.conf:3:40: invalid priority \"high\" (an integer from -1000000 to 1000000; higher "
		"first)\n"
		"t.conf:4:40: invalid priority \"1000001\" (an integer from -1000000 to 1000000; "
		"higher first)\n"
		"t.conf:5:40: invalid priority \"-\" (an integer from -1000000 to 1000000; higher "
		"first)\n"
		"t.conf:6:43: duplicate \"priority\" directive (first at t.conf:6:31)\n"
		"t.conf:7:31: case_sensitive applies to regex routes (exact and prefix paths are "
		"always case-sensitive)\n"
		"t.conf:8:45: invalid case_sensitive \"yes\" (expected on or off)\n"
		"t.conf:9:13: unknown match_order \"nginx\" (expected gateway or ingress-nginx)\n"
		"t.conf:10:1: duplicate \"match_order\" directive (first at t.conf:9:1)\n"
		"t.conf:11:1: duplicate \"match_order\" directive (first at t.conf:9:1)\n"},
	{"errors", "a duplicate has the same conditions", 0,
		T(IFC "route prefix / { upstream u; match header v one; }\n"
		      "route prefix / { upstream u; match header V one; }\n"),
		"t.conf:4:1: duplicate route prefix \"/\" (first defined at t.conf:3:1)\n"},
	{"errors", "rewrite_prefix and rewrite_host", 0,
		T(IFC "route exact /a { upstream u; rewrite_prefix /b; }\n"
		      "route prefix /b { upstream u; rewrite_prefix c; }\n"
		      "route prefix /c { upstream u; rewrite_prefix \"/a b\"; }\n"
		      "route prefix /d { upstream u; rewrite_prefix /x; rewrite /y; }\n"
		      "route prefix /e { upstream u; rewrite_host *.a.test; }\n"
		      "route prefix /f { upstream u; rewrite_host a..b; }\n"),
		"t.conf:3:30: rewrite_prefix needs a prefix route (exact route here)\n"
		"t.conf:4:46: rewrite_prefix \"c\" must start with \"/\"\n"
		"t.conf:5:49: invalid byte 0x20 in rewrite_prefix (printable ASCII without spaces "
		"only)\n"
		"t.conf:6:1: a route has either rewrite or rewrite_prefix, not both\n"
		"t.conf:7:44: invalid rewrite_host \"*.a.test\" (expected a DNS name)\n"
		"t.conf:8:44: invalid rewrite_host \"a..b\" (expected a DNS name)\n"},
	{"errors", "wildcard hosts", 0,
		T(IFC "route prefix /a { upstream u; host **.*.a.test; }\n"
		      "route prefix /b { upstream u; host ***.a.test; }\n"
		      "route prefix /c { upstream u; host **a.test; }\n"),
		"t.conf:3:36: invalid host \"**.*.a.test\" (expected a DNS name, optionally \"*.\" "
		"(one label) or \"**.\" (one or more) first)\n"
		"t.conf:4:36: invalid host \"***.a.test\" (expected a DNS name, optionally \"*.\" "
		"(one label) or \"**.\" (one or more) first)\n"
		"t.conf:5:36: invalid host \"**a.test\" (expected a DNS name, optionally \"*.\" "
		"(one label) or \"**.\" (one or more) first)\n"},
	{"errors", "duplicate_routes", 0,
		T(IFC "duplicate_routes last;\n"
		      "route prefix /a { upstream u; }\n"
		      "route prefix /a { upstream u; }\n"
		      "duplicate_routes error;\n"),
		"t.conf:3:18: unknown duplicate_routes \"last\" (expected error or first)\n"
		"t.conf:6:1: duplicate \"duplicate_routes\" directive (first at t.conf:3:1)\n"
		"t.conf:5:1: duplicate route prefix \"/a\" (first defined at t.conf:4:1)\n"},
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
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_same_path_other_conditions),
		cmocka_unit_test(test_duplicate_first),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
