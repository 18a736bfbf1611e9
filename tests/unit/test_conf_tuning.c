/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf on good input, the tuning blocks: tcp { } (every directive, its
 * dump, and the tcp-echo example), http { }, the upstream tuning directives
 * and a route's client_max_body_size with what it inherits from http { },
 * each with its defaults and the round trip through fo_conf_dump().
 * Runs with the working directory tests/unit.
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

#include "conf_parse_harness.h"
#include "fo_conf.h"

static void
test_tcp_block(void **state)
{
	struct fo_conf *c = parse_ok("interface net_tap0 { address 198.18.0.1/24; }\n"
				     "tcp {\n"
				     "\tmax_connections 16777216;\n"
				     "\tmax_half_open 1;\n"
				     "\tsyn_cookies always;\n"
				     "\tsndbuf 4096;\n"
				     "\trcvbuf 256M;\n"
				     "\tooo_max 4096;\n"
				     "\ttime_wait 1ms;\n"
				     "\tfin_wait2 90;   # bare number: seconds\n"
				     "\tkeepalive 24h;\n"
				     "\tkeepalive_interval 1s;\n"
				     "\tkeepalive_probes 100;\n"
				     "\tdelayed_ack 500ms;\n"
				     "\trto_min 1ms;\n"
				     "\trto_max 1h;\n"
				     "\trto_initial 1500ms;\n"
				     "\tsyn_retries 20;\n"
				     "\tmax_retries 1;\n"
				     "\tmax_buffered 100000;\n"
				     "\tlocal_port_min 20000;\n"
				     "\tlocal_port_max 29999;\n"
				     "}\n");
	const struct fo_conf_tcp *t = &c->tcp;
	char *text;

	assert_int_equal(t->max_conns, 16777216);
	assert_int_equal(t->max_half_open, 1);
	assert_int_equal(t->syncookies, FO_CONF_SYNCOOKIES_ALWAYS);
	assert_int_equal(t->sndbuf, 4096);
	assert_int_equal(t->rcvbuf, 256u << 20);
	assert_int_equal(t->ooo_max, 4096);
	assert_int_equal(t->time_wait_ms, 1);
	assert_int_equal(t->fin_wait2_ms, 90000);
	assert_int_equal(t->keepalive_ms, 86400000);
	assert_int_equal(t->keepalive_intvl_ms, 1000);
	assert_int_equal(t->keepalive_probes, 100);
	assert_int_equal(t->delack_ms, 500);
	assert_int_equal(t->rto_min_ms, 1);
	assert_int_equal(t->rto_max_ms, 3600000);
	assert_int_equal(t->rto_init_ms, 1500);
	assert_int_equal(t->syn_retries, 20);
	assert_int_equal(t->max_retries, 1);
	assert_int_equal(t->max_buffered, 100000);
	assert_int_equal(t->local_port_min, 20000);
	assert_int_equal(t->local_port_max, 29999);
	assert_loc(&t->loc, "t.conf", 2, 1);
	text = dump(c);
	assert_string_equal(text, "# fanout configuration (normalised)\n\n"
				  "interface net_tap0 {\n"
				  "\taddress 198.18.0.1/24;\n"
				  "\tmtu 1500;\n"
				  "}\n\n"
				  "tcp {\n"
				  "\tmax_connections 16777216;\n"
				  "\tmax_half_open 1;\n"
				  "\tsyn_cookies always;\n"
				  "\tsndbuf 4k;\n"
				  "\trcvbuf 256m;\n"
				  "\tooo_max 4096;\n"
				  "\ttime_wait 1ms;\n"
				  "\tfin_wait2 90s;\n"
				  "\tkeepalive 24h;\n"
				  "\tkeepalive_interval 1s;\n"
				  "\tkeepalive_probes 100;\n"
				  "\tdelayed_ack 500ms;\n"
				  "\trto_min 1ms;\n"
				  "\trto_max 1h;\n"
				  "\trto_initial 1500ms;\n"
				  "\tsyn_retries 20;\n"
				  "\tmax_retries 1;\n"
				  "\tmax_buffered 100000;\n"
				  "\tlocal_port_min 20000;\n"
				  "\tlocal_port_max 29999;\n"
				  "}\n\n");
	free(text);
	check_round_trip(c);
	fo_conf_free(c);

	/* defaults written out are zeros ("not set"); an empty block is no block */
	c = parse_ok("interface a { address 198.18.0.1/24; }\n"
		     "tcp { syn_cookies auto; keepalive off; }\n");
	assert_int_equal(c->tcp.syncookies, FO_CONF_SYNCOOKIES_AUTO);
	assert_int_equal(c->tcp.keepalive_ms, 0);
	text = dump(c);
	assert_null(strstr(text, "tcp"));
	free(text);
	check_round_trip(c);
	fo_conf_free(c);
	c = parse_ok("interface a { address 198.18.0.1/24; }\ntcp { syn_cookies off; }\n");
	assert_int_equal(c->tcp.syncookies, FO_CONF_SYNCOOKIES_OFF);
	check_round_trip(c);
	fo_conf_free(c);
	c = parse_ok("interface a { address 198.18.0.1/24; }\n");
	assert_null(c->tcp.loc.file);
	assert_int_equal(c->tcp.max_conns, 0);
	fo_conf_free(c);
}

static void
test_tcp_echo_example(void **state)
{
	struct fo_conf *c = load_ok("../../config/tcp-echo.conf");

	assert_int_equal(c->n_listens, 4);
	assert_int_equal(c->listens[0].service, FO_CONF_SVC_ECHO);
	assert_int_equal(c->listens[0].port, 7);
	assert_int_equal(c->listens[1].service, FO_CONF_SVC_DISCARD);
	assert_int_equal(c->listens[2].service, FO_CONF_SVC_SOURCE);
	assert_int_equal(c->listens[2].size, 64u << 20);
	assert_int_equal(c->listens[3].service, FO_CONF_SVC_RELAY);
	assert_int_equal(c->listens[3].upstream, 0);
	/* the block spells out lib/tcp's defaults */
	assert_int_equal(c->tcp.max_conns, 65536);
	assert_int_equal(c->tcp.max_half_open, 4096);
	assert_int_equal(c->tcp.sndbuf, 256u << 10);
	assert_int_equal(c->tcp.rcvbuf, 256u << 10);
	assert_int_equal(c->tcp.ooo_max, 64);
	assert_int_equal(c->tcp.time_wait_ms, 60000);
	assert_int_equal(c->tcp.keepalive_ms, 0);
	assert_int_equal(c->tcp.keepalive_intvl_ms, 75000);
	assert_int_equal(c->tcp.delack_ms, 40);
	assert_int_equal(c->tcp.rto_init_ms, 1000);
	assert_int_equal(c->tcp.max_retries, 15);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_http_defaults(void **state)
{
	/* no http block, no tuning lines: every field holds its default */
	struct fo_conf *c = parse_ok("interface a { address 198.18.0.1/24; }\n"
				     "route prefix / { upstream u; }\n"
				     "upstream u { server 198.18.0.11:80; }\n");
	char *text;

	assert_null(c->http.loc.file);
	assert_http_defaults(&c->http);
	assert_upstream_defaults(&c->upstreams[0]);
	assert_int_equal(c->routes[0].max_body_size, 1u << 20);
	/* defaults are not written back: the dump is what it was before these settings */
	text = dump(c);
	assert_string_equal(text, "# fanout configuration (normalised)\n\n"
				  "interface a {\n"
				  "\taddress 198.18.0.1/24;\n"
				  "\tmtu 1500;\n"
				  "}\n\n"
				  "upstream u {\n"
				  "\tserver 198.18.0.11:80 weight=1;\n"
				  "}\n\n"
				  "route prefix \"/\" {\n"
				  "\tupstream u;\n"
				  "}\n\n");
	free(text);
	check_round_trip(c);
	fo_conf_free(c);

	/* an empty block, or one spelling out the defaults, is no block */
	c = parse_ok("interface a { address 198.18.0.1/24; }\nhttp { }\n");
	assert_loc(&c->http.loc, "t.conf", 2, 1);
	assert_http_defaults(&c->http);
	fo_conf_free(c);
	c = parse_ok("interface a { address 198.18.0.1/24; }\n"
		     "http { client_header_timeout 1m; keepalive_timeout 75; "
		     "client_max_body_size 1024k; underscores_in_headers off; }\n");
	assert_http_defaults(&c->http);
	text = dump(c);
	assert_null(strstr(text, "http"));
	free(text);
	fo_conf_free(c);
}

static void
test_http_block(void **state)
{
	struct fo_conf *c = parse_ok("interface net_tap0 { address 198.18.0.1/24; }\n"
				     "http {\n"
				     "\tclient_header_timeout 1ms;\n"
				     "\tclient_body_timeout 1h;\n"
				     "\tkeepalive_timeout 0;\n"
				     "\tkeepalive_requests 1000000;\n"
				     "\tsend_timeout 90;   # bare number: seconds\n"
				     "\tclient_max_body_size 1024g;\n"
				     "\tunderscores_in_headers on;\n"
				     "}\n");
	const struct fo_conf_http *h = &c->http;
	char *text;

	assert_int_equal(h->client_header_timeout_ms, 1);
	assert_int_equal(h->client_body_timeout_ms, 3600000);
	assert_int_equal(h->keepalive_timeout_ms, 0);
	assert_int_equal(h->keepalive_requests, 1000000);
	assert_int_equal(h->send_timeout_ms, 90000);
	assert_int_equal(h->max_body_size, 1ull << 40);
	assert_int_equal(h->underscores_in_headers, 1);
	assert_loc(&h->loc, "t.conf", 2, 1);
	text = dump(c);
	assert_string_equal(text, "# fanout configuration (normalised)\n\n"
				  "interface net_tap0 {\n"
				  "\taddress 198.18.0.1/24;\n"
				  "\tmtu 1500;\n"
				  "}\n\n"
				  "http {\n"
				  "\tclient_header_timeout 1ms;\n"
				  "\tclient_body_timeout 1h;\n"
				  "\tkeepalive_timeout 0;\n"
				  "\tkeepalive_requests 1000000;\n"
				  "\tsend_timeout 90s;\n"
				  "\tclient_max_body_size 1024g;\n"
				  "\tunderscores_in_headers on;\n"
				  "}\n\n");
	free(text);
	check_round_trip(c);
	fo_conf_free(c);

	/* the other ends of the ranges; only the non-default values are written */
	c = parse_ok("interface net_tap0 { address 198.18.0.1/24; }\n"
		     "http {\n"
		     "\tclient_body_timeout 1ms;\n"
		     "\tkeepalive_timeout 1h;\n"
		     "\tkeepalive_requests 1;\n"
		     "\tsend_timeout 60s;\n"
		     "\tclient_max_body_size 0;\n"
		     "}\n");
	assert_int_equal(c->http.client_header_timeout_ms, 60000);
	assert_int_equal(c->http.client_body_timeout_ms, 1);
	assert_int_equal(c->http.keepalive_timeout_ms, 3600000);
	assert_int_equal(c->http.keepalive_requests, 1);
	assert_int_equal(c->http.send_timeout_ms, 60000);
	assert_int_equal(c->http.max_body_size, 0);
	text = dump(c);
	assert_non_null(strstr(text, "http {\n"
				     "\tclient_body_timeout 1ms;\n"
				     "\tkeepalive_timeout 1h;\n"
				     "\tkeepalive_requests 1;\n"
				     "\tclient_max_body_size 0;\n"
				     "}\n\n"));
	free(text);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_upstream_params(void **state)
{
	struct fo_conf *c = parse_ok("interface net_tap0 { address 198.18.0.1/24; }\n"
				     "upstream a {\n"
				     "\tkeepalive_requests 1000000;\n"
				     "\tconnect_timeout 1ms;\n"
				     "\tserver 198.18.0.11:80;\n"
				     "\tsyn_rto 1m;\n"
				     "\tread_timeout 1h;\n"
				     "\tsend_timeout 2500ms;\n"
				     "\tkeepalive 0;\n"
				     "\tkeepalive_timeout 1ms;\n"
				     "}\n"
				     "upstream b {\n"
				     "\tserver 198.18.0.12:80;\n"
				     "\tkeepalive 65535;\n"
				     "\tkeepalive_requests 1;\n"
				     "\tkeepalive_timeout 1h;\n"
				     "\tconnect_timeout 5s;  # the default, written\n"
				     "\tsyn_rto 1ms;\n"
				     "}\n"
				     "upstream c { server 198.18.0.13:80; }\n"
				     "upstream d { server 198.18.0.14:80 drain weight=3; server 198.18.0.15:80; }\n");
	const struct fo_conf_upstream *u = c->upstreams;
	char *text;

	assert_int_equal(c->n_upstreams, 4);
	assert_int_equal(u[0].connect_timeout_ms, 1);
	assert_int_equal(u[0].syn_rto_ms, 60000);
	assert_int_equal(u[0].read_timeout_ms, 3600000);
	assert_int_equal(u[0].send_timeout_ms, 2500);
	assert_int_equal(u[0].keepalive, 0);
	assert_int_equal(u[0].keepalive_timeout_ms, 1);
	assert_int_equal(u[0].keepalive_requests, 1000000);
	assert_int_equal(u[0].n_servers, 1);
	assert_int_equal(u[1].connect_timeout_ms, 5000);
	assert_int_equal(u[1].syn_rto_ms, 1);
	assert_int_equal(u[1].read_timeout_ms, 60000);
	assert_int_equal(u[1].send_timeout_ms, 60000);
	assert_int_equal(u[1].keepalive, 65535);
	assert_int_equal(u[1].keepalive_timeout_ms, 3600000);
	assert_int_equal(u[1].keepalive_requests, 1);
	assert_upstream_defaults(&u[2]);
	assert_int_equal(u[3].servers[0].drain, 1);
	assert_int_equal(u[3].servers[0].weight, 3);
	assert_int_equal(u[3].servers[1].drain, 0);
	/* client-side settings are not touched by upstream ones of the same name */
	assert_http_defaults(&c->http);
	text = dump(c);
	assert_non_null(strstr(text, "upstream a {\n"
				     "\tserver 198.18.0.11:80 weight=1;\n"
				     "\tconnect_timeout 1ms;\n"
				     "\tsyn_rto 1m;\n"
				     "\tread_timeout 1h;\n"
				     "\tsend_timeout 2500ms;\n"
				     "\tkeepalive 0;\n"
				     "\tkeepalive_timeout 1ms;\n"
				     "\tkeepalive_requests 1000000;\n"
				     "}\n\n"
				     "upstream b {\n"
				     "\tserver 198.18.0.12:80 weight=1;\n"
				     "\tsyn_rto 1ms;\n"
				     "\tkeepalive 65535;\n"
				     "\tkeepalive_timeout 1h;\n"
				     "\tkeepalive_requests 1;\n"
				     "}\n\n"
				     "upstream c {\n"
				     "\tserver 198.18.0.13:80 weight=1;\n"
				     "}\n\n"));
	free(text);
	check_round_trip(c);
	fo_conf_free(c);
}

/* routes[i].max_body_size for a config whose http block is @http, before or after the routes */
static void
check_route_body_sizes(const char *http, bool http_first, uint64_t inherited)
{
	static const char ifc[] = "interface a { address 198.18.0.1/24; }\n"
				  "upstream u { server 198.18.0.11:80; }\n";
	static const char routes[] = "route prefix /a { upstream u; }\n"
				     "route prefix /b { upstream u; client_max_body_size 0; }\n"
				     "route prefix /c { client_max_body_size 2m; upstream u; }\n"
				     "route prefix /d { upstream u; client_max_body_size 10m; }\n"
				     "route prefix /e { upstream u; }\n";
	char text[1024];
	struct fo_conf *c;
	char *out;

	snprintf(text, sizeof(text), "%s%s%s", ifc, http_first ? http : routes,
		http_first ? routes : http);
	c = parse_ok(text);
	assert_int_equal(c->n_routes, 5);
	assert_int_equal(c->routes[0].max_body_size, inherited);
	assert_int_equal(c->routes[1].max_body_size, 0);
	assert_int_equal(c->routes[2].max_body_size, 2u << 20);
	assert_int_equal(c->routes[3].max_body_size, 10u << 20);
	assert_int_equal(c->routes[4].max_body_size, inherited);
	assert_int_equal(c->http.max_body_size, inherited);
	/* a route's own value is written only where it differs from the inherited one */
	out = dump(c);
	assert_non_null(strstr(out, "route prefix \"/a\" {\n\tupstream u;\n}\n"));
	if (inherited == 0)
		assert_non_null(strstr(out, "route prefix \"/b\" {\n\tupstream u;\n}\n"));
	else
		assert_non_null(strstr(out, "route prefix \"/b\" {\n\tupstream u;\n"
					    "\tclient_max_body_size 0;\n}\n"));
	assert_non_null(strstr(out, "route prefix \"/c\" {\n\tupstream u;\n"
				    "\tclient_max_body_size 2m;\n}\n"));
	if (inherited == 10u << 20)
		assert_non_null(strstr(out, "route prefix \"/d\" {\n\tupstream u;\n}\n"));
	else
		assert_non_null(strstr(out, "route prefix \"/d\" {\n\tupstream u;\n"
					    "\tclient_max_body_size 10m;\n}\n"));
	free(out);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_route_body_size(void **state)
{
	check_route_body_sizes("", true, 1u << 20);
	check_route_body_sizes("http { client_max_body_size 10m; }\n", true, 10u << 20);
	check_route_body_sizes("http { client_max_body_size 10m; }\n", false, 10u << 20);
	check_route_body_sizes("http { client_max_body_size 0; }\n", false, 0);
	check_route_body_sizes("http { client_max_body_size 1g; }\n", true, 1u << 30);
	check_route_body_sizes("http { client_max_body_size 12345; }\n", false, 12345);
}

static void
test_route_allow_upgrade(void **state)
{
	struct fo_conf *c = parse_ok("interface a { address 198.18.0.1/24; }\n"
				     "upstream u { server 198.18.0.11:80; }\n"
				     "route prefix /a { upstream u; }\n"
				     "route prefix /b { upstream u; allow_upgrade off; }\n"
				     "route prefix /c { allow_upgrade WebSocket h2c x-Custom.1; upstream u; }\n"
				     "route prefix /d { upstream u; allow_upgrade websocket; }\n");
	char *out;

	assert_null(c->routes[0].allow_upgrade); /* websocket, by default */
	assert_string_equal(c->routes[1].allow_upgrade, "");
	assert_string_equal(c->routes[2].allow_upgrade, "websocket h2c x-custom.1");
	assert_string_equal(c->routes[3].allow_upgrade, "websocket");
	out = dump(c);
	assert_non_null(strstr(out, "route prefix \"/a\" {\n\tupstream u;\n}\n"));
	assert_non_null(strstr(out, "route prefix \"/b\" {\n\tupstream u;\n\tallow_upgrade off;\n}\n"));
	assert_non_null(strstr(out, "route prefix \"/c\" {\n\tupstream u;\n"
				    "\tallow_upgrade websocket h2c x-custom.1;\n}\n"));
	free(out);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_http_in_include(void **state)
{
	/* settings may come from included files, in any context */
	static const char text[] = "include ifaces.conf;\n"
				   "route exact /x { upstream api; include body.inc; }\n"
				   "upstream api { server 198.18.0.9:80; include pool.inc; }\n"
				   "include http.inc;\n";
	struct fo_conf *c =
		fo_conf_parse("conf/good/virtual.conf", text, strlen(text), 0, NULL, NULL);

	assert_non_null(c);
	assert_int_equal(c->http.client_header_timeout_ms, 10000);
	assert_int_equal(c->http.max_body_size, 8u << 20);
	assert_loc(&c->http.loc, "conf/good/http.inc", 2, 1);
	assert_int_equal(c->upstreams[0].keepalive, 8);
	assert_int_equal(c->upstreams[0].read_timeout_ms, 30000);
	assert_int_equal(c->routes[0].max_body_size, 64u << 10);
	fo_conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_block),
		cmocka_unit_test(test_tcp_echo_example),
		cmocka_unit_test(test_http_defaults),
		cmocka_unit_test(test_http_block),
		cmocka_unit_test(test_upstream_params),
		cmocka_unit_test(test_route_body_size),
		cmocka_unit_test(test_route_allow_upgrade),
		cmocka_unit_test(test_http_in_include),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
