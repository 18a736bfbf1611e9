/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctl config diff: what a reload must do for each kind of change.
 * An endpoint-only change must not ask for a route recompile; moving,
 * commenting or re-spacing directives changes nothing; health checks,
 * the ejection share and next_upstream are upstream settings; what cannot
 * be applied live (interfaces, service listeners, the tcp block, metrics) is
 * flagged (http listeners: test_ctl_diff_listen.c).
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
	/* TLS handshake limits: read from the snapshot at each use, no restart */
	assert_int_equal(diff(BASE, BASE "http { tls_handshake_timeout 3s; }\n"), FO_CTL_DIFF_HTTP);
	assert_int_equal(diff(BASE, BASE "http { tls_handshakes_max 9; }\n"), FO_CTL_DIFF_HTTP);
	assert_int_equal(diff(BASE, BASE "http { tls_handshakes_per_poll 4; }\n"), FO_CTL_DIFF_HTTP);
	assert_int_equal(diff(BASE, BASE "http { tls_handshake_split off; }\n"), FO_CTL_DIFF_HTTP);
	/* the http block's default body size is every route's default */
	assert_int_equal(diff(BASE, BASE "http { client_max_body_size 2m; }\n"),
		FO_CTL_DIFF_HTTP | FO_CTL_DIFF_ROUTES);
}

/* upstream b with @body after its server, the rest of BASE unchanged */
#define WITH_B(body) IFACE UP_A "upstream b { server 198.18.0.21:8000; " body " }\n" ROUTES
#define HC(body) WITH_B("health_check { " body " }")

/* balance and sticky: upstream settings, compared field by field */
static void
test_balance_settings(void **state)
{
	static const char *const changed[] = {
		WITH_B("balance least_conn;"),
		WITH_B("balance ewma;"),
		WITH_B("balance random;"),
		WITH_B("balance hash uri;"),
		WITH_B("balance hash header x-user;"),
		WITH_B("balance hash cookie x-user;"),
		WITH_B("sticky cookie s;"),
		WITH_B("sticky cookie s path=/a;"),
		WITH_B("sticky cookie s max_age=60;"),
		WITH_B("sticky cookie s samesite=lax;"),
		WITH_B("sticky cookie s secure;"),
		WITH_B("sticky cookie s httponly;"),
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
		assert_int_equal(diff(BASE, changed[i]), FO_CTL_DIFF_UPSTREAM_PARAMS);
		assert_int_equal(diff(changed[i], changed[i]), FO_CTL_DIFF_NONE);
		for (j = 0; j < i; j++)
			assert_int_equal(diff(changed[j], changed[i]), FO_CTL_DIFF_UPSTREAM_PARAMS);
	}
	/* defaults written out, or another spelling of the same key: nothing */
	assert_int_equal(diff(BASE, WITH_B("balance round_robin;")), FO_CTL_DIFF_NONE);
	assert_int_equal(diff(WITH_B("balance hash header x-user;"),
				 WITH_B("balance hash $http_x_user;")),
		FO_CTL_DIFF_NONE);
	assert_int_equal(diff(WITH_B("sticky cookie s;"), WITH_B("sticky cookie s path=/;")),
		FO_CTL_DIFF_NONE);
}

static void
test_health_settings(void **state)
{
	static const char *const changed[] = {
		HC(""),
		HC("path /healthz;"),
		HC("host app.example;"),
		HC("interval 1s;"),
		HC("timeout 1s;"),
		HC("expect 200;"),
		HC("expect 100-399;"),
		HC("rise 3;"),
		HC("fall 2;"),
		WITH_B("max_ejection_percent 34;"),
		WITH_B("next_upstream error;"),
		WITH_B("next_upstream error timeout http_502;"),
		WITH_B("next_upstream off;"),
	};
	static const char hc_full[] = HC("path /healthz; host app.example; interval 1s; "
					 "timeout 500ms; expect 200-299; rise 3; fall 2;");
	size_t i;

	(void)state;
	/* each health setting alone is an upstream setting: no route, endpoint or restart */
	for (i = 0; i < sizeof(changed) / sizeof(changed[0]); i++) {
		assert_int_equal(diff(BASE, changed[i]), FO_CTL_DIFF_UPSTREAM_PARAMS);
		assert_int_equal(diff(changed[i], BASE), FO_CTL_DIFF_UPSTREAM_PARAMS);
		assert_int_equal(diff(changed[i], changed[i]), FO_CTL_DIFF_NONE);
	}
	/* one field of a full block at a time, strings by content */
	assert_int_equal(diff(hc_full, hc_full), FO_CTL_DIFF_NONE);
	assert_int_equal(diff(hc_full, HC("path /healthz; host app.example; interval 1s; "
					  "timeout 500ms; expect 200-299; rise 3; fall 2;")),
		FO_CTL_DIFF_NONE);
	assert_int_equal(diff(hc_full, HC("path /healthy; host app.example; interval 1s; "
					  "timeout 500ms; expect 200-299; rise 3; fall 2;")),
		FO_CTL_DIFF_UPSTREAM_PARAMS);
	assert_int_equal(diff(hc_full, HC("path /healthz; host app.example:80; interval 1s; "
					  "timeout 500ms; expect 200-299; rise 3; fall 2;")),
		FO_CTL_DIFF_UPSTREAM_PARAMS);
	assert_int_equal(diff(hc_full, HC("path /healthz; interval 1s; "
					  "timeout 500ms; expect 200-299; rise 3; fall 2;")),
		FO_CTL_DIFF_UPSTREAM_PARAMS);
	assert_int_equal(diff(hc_full, HC("path /healthz; host app.example; interval 1s; "
					  "timeout 500ms; expect 200-298; rise 3; fall 2;")),
		FO_CTL_DIFF_UPSTREAM_PARAMS);
	assert_int_equal(diff(hc_full, HC("path /healthz; host app.example; interval 1s; "
					  "timeout 500ms; expect 201-299; rise 3; fall 2;")),
		FO_CTL_DIFF_UPSTREAM_PARAMS);
	/* the defaults written out, or the lines moved: nothing */
	assert_int_equal(diff(HC(""), HC("path /; interval 5s; timeout 2s; expect 200-399; "
					 "rise 2; fall 3;")),
		FO_CTL_DIFF_NONE);
	assert_int_equal(diff(BASE, WITH_B("max_ejection_percent 50; next_upstream timeout error;")),
		FO_CTL_DIFF_NONE);
	assert_int_equal(diff(hc_full, IFACE UP_A "upstream b {\n"
						  "\thealth_check { fall 2; rise 3; expect 200-299; "
						  "timeout 500ms; interval 1s; host app.example; "
						  "path /healthz; }\n"
						  "\tserver 198.18.0.21:8000;\n"
						  "}\n" ROUTES),
		FO_CTL_DIFF_NONE);
	/* with a server change too */
	assert_int_equal(diff(BASE, IFACE UP_A "upstream b { server 198.18.0.22:8000; "
					       "health_check { } }\n" ROUTES),
		FO_CTL_DIFF_UPSTREAM_PARAMS | FO_CTL_DIFF_ENDPOINTS);
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

/* Route actions and default backends: the route table points into the conf, so a recompile. */
static void
test_actions(void **state)
{
	(void)state;
	assert_int_equal(diff(BASE, BASE "route exact /r { return 301 /x; }\n"), FO_CTL_DIFF_ROUTES);
	assert_int_equal(diff(IFACE UP_A UP_B "route prefix /b { upstream b; }\n",
				 IFACE UP_A UP_B "route prefix /b { upstream b; "
						 "response_header set X-A 1; }\n"),
		FO_CTL_DIFF_ROUTES);
	assert_int_equal(diff(BASE, BASE "default_backend b;\n"), FO_CTL_DIFF_ROUTES);
	assert_int_equal(diff(BASE "default_backend b;\n", BASE "default_backend a;\n"),
		FO_CTL_DIFF_ROUTES);
	assert_int_equal(diff(BASE, BASE "http { healthz off; }\n"), FO_CTL_DIFF_ROUTES);
	assert_int_equal(diff(BASE "default_backend b host x.example;\n",
				 "default_backend b host x.example;\n" BASE),
		FO_CTL_DIFF_NONE);
}

static void
test_restart(void **state)
{
	(void)state;
	assert_int_equal(diff(BASE, "interface net_tap0 { address 198.18.0.5/24; }\n"
				    "listen 198.18.0.5:80;\n" UP_A UP_B ROUTES),
		FO_CTL_DIFF_RESTART | FO_CTL_DIFF_LISTENERS);
	assert_int_equal(diff(BASE, BASE "listen 198.18.0.1:81;\n"), FO_CTL_DIFF_LISTENERS);
	assert_int_equal(diff(BASE, BASE "tcp { max_connections 1000; }\n"), FO_CTL_DIFF_RESTART);
	assert_int_equal(diff(BASE "listen 198.18.0.1:9000 relay b;\n",
				  BASE "listen 198.18.0.1:9000 relay a;\n"),
		FO_CTL_DIFF_RESTART);
}

/* TLS directives are built and published live (new certificate contexts); a TLS
 * listener added or removed is a listener change, live too */
static void
test_tls(void **state)
{
	const char *tls = BASE "listen 198.18.0.1:443 tls;\ntls_certificate /a.pem /a.key;\n";
	char buf[128];

	(void)state;
	assert_int_equal(diff(tls, tls), FO_CTL_DIFF_NONE);
	assert_int_equal(diff(tls, "tls_certificate /a.pem /a.key;\n" BASE
				   "listen 198.18.0.1:443 tls;\n"),
		FO_CTL_DIFF_NONE);
	assert_int_equal(diff(tls, BASE "listen 198.18.0.1:443 tls;\n"), FO_CTL_DIFF_TLS);
	assert_int_equal(diff(tls, BASE "listen 198.18.0.1:443 tls;\ntls_certificate /b.pem /a.key;\n"),
		FO_CTL_DIFF_TLS);
	assert_int_equal(diff(tls, BASE "listen 198.18.0.1:443 tls;\ntls_certificate /a.pem /b.key;\n"),
		FO_CTL_DIFF_TLS);
	assert_int_equal(diff(tls, "tls_certificate /a.pem /a.key;\ntls_certificate /c.pem /c.key;\n"
				   BASE "listen 198.18.0.1:443 tls;\n"),
		FO_CTL_DIFF_TLS);
	assert_int_equal(diff(tls, "strict_sni on;\n" BASE "listen 198.18.0.1:443 tls;\n"
				   "tls_certificate /a.pem /a.key;\n"),
		FO_CTL_DIFF_TLS);
	assert_int_equal(diff(tls, "hsts off;\n" BASE "listen 198.18.0.1:443 tls;\n"
				   "tls_certificate /a.pem /a.key;\n"),
		FO_CTL_DIFF_TLS);
	assert_int_equal(diff(tls, "ssl_redirect off;\n" BASE "listen 198.18.0.1:443 tls;\n"
				   "tls_certificate /a.pem /a.key;\n"),
		FO_CTL_DIFF_TLS);
	assert_int_equal(diff(tls, "tls_ticket_rotate 1h;\n" BASE "listen 198.18.0.1:443 tls;\n"
				   "tls_certificate /a.pem /a.key;\n"),
		FO_CTL_DIFF_TLS);
	assert_int_equal(diff(tls, "tls_ticket_key_file /k;\n" BASE "listen 198.18.0.1:443 tls;\n"
				   "tls_certificate /a.pem /a.key;\n"),
		FO_CTL_DIFF_TLS);
	assert_int_equal(diff("tls_ticket_key_file /k;\n" BASE, "tls_ticket_key_file /j;\n" BASE),
		FO_CTL_DIFF_TLS);
	/* the first TLS listener, or the last one gone: listeners change, live */
	assert_int_equal(diff(BASE "tls_certificate /a.pem /a.key;\n", tls), FO_CTL_DIFF_LISTENERS);
	assert_int_equal(diff(tls, BASE "tls_certificate /a.pem /a.key;\n"), FO_CTL_DIFF_LISTENERS);
	assert_string_equal(fo_ctl_diff_str(FO_CTL_DIFF_TLS | FO_CTL_DIFF_ROUTES, buf, sizeof(buf)),
		"routes, tls");
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

/* The metrics endpoint is opened once, at start-up: a new address or `off` needs a restart;
 * writing the default out changes nothing */
static void
test_metrics(void **state)
{
	(void)state;
	assert_int_equal(diff(BASE, "metrics 127.0.0.1:9091;\n" BASE), FO_CTL_DIFF_NONE);
	assert_int_equal(diff(BASE, "metrics 127.0.0.1:9100;\n" BASE), FO_CTL_DIFF_RESTART);
	assert_int_equal(diff(BASE, "metrics 127.0.0.2:9091;\n" BASE), FO_CTL_DIFF_RESTART);
	assert_int_equal(diff("metrics off;\n" BASE, BASE), FO_CTL_DIFF_RESTART);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_endpoints_only),
		cmocka_unit_test(test_upstream_params_and_http),
		cmocka_unit_test(test_health_settings),
		cmocka_unit_test(test_balance_settings),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_diff_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
