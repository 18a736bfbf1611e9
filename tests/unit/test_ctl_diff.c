/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctl config diff: what a reload must do for each kind of change.
 * An endpoint-only change must not ask for a route recompile; moving,
 * commenting or re-spacing directives changes nothing; what cannot be
 * applied live (interfaces, listeners, the tcp block) is flagged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_ctl.h"

#define IFACE "interface net_tap0 { address 198.18.0.1/24; }\nlisten 198.18.0.1:80;\n"
#define UP_A "upstream a { server 198.18.0.11:8000; server 198.18.0.12:8000; }\n"
#define UP_B "upstream b { server 198.18.0.21:8000; }\n"
#define ROUTES "route regex \"/test01(/|$)(.*)\" { upstream a; rewrite \"/$2\"; }\n" \
	       "route prefix /b { upstream b; }\n"
#define BASE IFACE UP_A UP_B ROUTES

static struct fo_conf *
conf(const char *text)
{
	struct fo_conf *c = fo_conf_parse("t.conf", text, strlen(text), 0, stderr, NULL);

	assert_non_null(c);
	return c;
}

static unsigned
diff(const char *a, const char *b)
{
	struct fo_conf *x = conf(a), *y = conf(b);
	unsigned d = fo_ctl_conf_diff(x, y);

	fo_conf_free(x);
	fo_conf_free(y);
	return d;
}

static void
test_same(void **state)
{
	(void)state;
	assert_int_equal(diff(BASE, BASE), FO_CTL_DIFF_NONE);
	/* comments, spacing, order of independent top-level blocks */
	assert_int_equal(diff(BASE, "# a comment\n" IFACE "\n\n" UP_A "  " UP_B ROUTES),
		FO_CTL_DIFF_NONE);
	assert_int_equal(diff(BASE, IFACE UP_A UP_B "\n\n# moved down\n" ROUTES), FO_CTL_DIFF_NONE);
}

static void
test_endpoints_only(void **state)
{
	(void)state;
	/* a server added, removed, re-weighted, re-addressed: no route recompile */
	assert_int_equal(diff(BASE, IFACE "upstream a { server 198.18.0.11:8000; server "
					  "198.18.0.12:8000; server 198.18.0.13:8000; }\n" UP_B ROUTES),
		FO_CTL_DIFF_ENDPOINTS);
	assert_int_equal(diff(BASE, IFACE "upstream a { server 198.18.0.11:8000; }\n" UP_B ROUTES),
		FO_CTL_DIFF_ENDPOINTS);
	assert_int_equal(diff(BASE, IFACE "upstream a { server 198.18.0.11:8000 weight=3; server "
					  "198.18.0.12:8000; }\n" UP_B ROUTES),
		FO_CTL_DIFF_ENDPOINTS);
	assert_int_equal(diff(BASE, IFACE UP_A "upstream b { server 198.18.0.22:8000; }\n" ROUTES),
		FO_CTL_DIFF_ENDPOINTS);
	assert_int_equal(diff(BASE, IFACE UP_A "upstream b { }\n" ROUTES), FO_CTL_DIFF_ENDPOINTS);
	assert_int_equal(diff(BASE, IFACE UP_A "upstream b { server 198.18.0.21:8000 drain; }\n" ROUTES),
		FO_CTL_DIFF_ENDPOINTS);
}

static void
test_upstream_params_and_http(void **state)
{
	(void)state;
	assert_int_equal(diff(BASE, IFACE UP_A "upstream b { server 198.18.0.21:8000; "
					       "read_timeout 5s; }\n" ROUTES),
		FO_CTL_DIFF_UPSTREAM_PARAMS);
	assert_int_equal(diff(BASE, IFACE UP_A "upstream b { server 198.18.0.22:8000; "
					       "syn_rto 50ms; }\n" ROUTES),
		FO_CTL_DIFF_UPSTREAM_PARAMS | FO_CTL_DIFF_ENDPOINTS);
	assert_int_equal(diff(BASE, BASE "http { keepalive_timeout 10s; }\n"), FO_CTL_DIFF_HTTP);
	assert_int_equal(diff(BASE, BASE "http { underscores_in_headers on; }\n"), FO_CTL_DIFF_HTTP);
	/* the http block's default body size is every route's default */
	assert_int_equal(diff(BASE, BASE "http { client_max_body_size 2m; }\n"),
		FO_CTL_DIFF_HTTP | FO_CTL_DIFF_ROUTES);
}

static void
test_routes(void **state)
{
	(void)state;
	assert_int_equal(diff(BASE, IFACE UP_A UP_B
				     "route regex \"/test01(/|$)(.*)\" { upstream a; rewrite \"/x$2\"; }\n"
				     "route prefix /b { upstream b; }\n"),
		FO_CTL_DIFF_ROUTES);
	assert_int_equal(diff(BASE, BASE "route exact /c { upstream b; }\n"), FO_CTL_DIFF_ROUTES);
	assert_int_equal(diff(BASE, IFACE UP_A UP_B
				     "route regex \"/test01(/|$)(.*)\" { upstream a; rewrite \"/$2\"; }\n"
				     "route prefix /b { upstream b; allow_upgrade websocket h2c; }\n"),
		FO_CTL_DIFF_ROUTES);
	assert_int_equal(diff(BASE, IFACE UP_A UP_B
				     "route regex \"/test01(/|$)(.*)\" { upstream b; rewrite \"/$2\"; }\n"
				     "route prefix /b { upstream b; }\n"),
		FO_CTL_DIFF_ROUTES);
	assert_int_equal(diff(BASE, IFACE UP_A UP_B
				     "route regex \"/test01(/|$)(.*)\" { upstream a; rewrite \"/$2\"; "
				     "host example.com; }\nroute prefix /b { upstream b; }\n"),
		FO_CTL_DIFF_ROUTES);
	/* an upstream added or the upstreams reordered: the routes' indexes move */
	assert_int_equal(diff(BASE, IFACE UP_A UP_B "upstream c { server 198.18.0.31:80; }\n" ROUTES),
		FO_CTL_DIFF_ROUTES | FO_CTL_DIFF_ENDPOINTS | FO_CTL_DIFF_UPSTREAM_PARAMS);
	assert_int_equal(diff(BASE, IFACE UP_B UP_A ROUTES) & FO_CTL_DIFF_ROUTES,
		FO_CTL_DIFF_ROUTES);
}

static void
test_restart(void **state)
{
	(void)state;
	assert_int_equal(diff(BASE, "interface net_tap0 { address 198.18.0.5/24; }\n"
				    "listen 198.18.0.5:80;\n" UP_A UP_B ROUTES),
		FO_CTL_DIFF_RESTART);
	assert_int_equal(diff(BASE, BASE "listen 198.18.0.1:81;\n"), FO_CTL_DIFF_RESTART);
	assert_int_equal(diff(BASE, BASE "tcp { max_connections 1000; }\n"), FO_CTL_DIFF_RESTART);
	assert_int_equal(diff(BASE "listen 198.18.0.1:9000 relay b;\n",
				  BASE "listen 198.18.0.1:9000 relay a;\n"),
		FO_CTL_DIFF_RESTART);
}

static void
test_diff_str(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(fo_ctl_diff_str(FO_CTL_DIFF_NONE, buf, sizeof(buf)), "nothing");
	assert_string_equal(fo_ctl_diff_str(FO_CTL_DIFF_ENDPOINTS, buf, sizeof(buf)), "endpoints");
	assert_string_equal(
		fo_ctl_diff_str(FO_CTL_DIFF_ENDPOINTS | FO_CTL_DIFF_ROUTES, buf, sizeof(buf)),
		"endpoints, routes");
	assert_string_equal(fo_ctl_diff_str(FO_CTL_DIFF_ROUTES | FO_CTL_DIFF_ENDPOINTS, buf, 12),
		"endpoints, ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_endpoints_only),
		cmocka_unit_test(test_upstream_params_and_http),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_diff_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
