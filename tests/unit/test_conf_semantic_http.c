/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf validation errors of the HTTP settings: the http block, the
 * upstream tuning directives and a route's client_max_body_size. Each row
 * is config text and the exact "file:line:col: message" lines it must
 * produce. The other directives are in test_conf_semantic.c.
 */
#include "conf_err_harness.h"

/* Inputs start with a valid interface so that "no interface defined" does
 * not join every expected output. */
static const struct err_case cases[] = {
	{"http", "duplicate http block", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "http { send_timeout 5s; }\n"
		  "http { keepalive_timeout 0; }\n"),
		"t.conf:3:1: duplicate \"http\" directive (first at t.conf:2:1)\n"},
	{"http", "http takes no argument", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "http main { }\n"
		  "http;\n"),
		"t.conf:2:1: wrong number of arguments in \"http\" directive (usage: http { ... })\n"
		"t.conf:3:1: \"http\" directive needs a block (usage: http { ... })\n"},
	{"http", "unknown and misplaced directives", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "http {\n"
		  "\tclient_body_buffer_size 16k;\n"
		  "\tconnect_timeout 5s;\n"
		  "\tkeepalive 10;\n"
		  "\tsndbuf 64k;\n"
		  "}\n"
		  "client_header_timeout 5s;\n"
		  "keepalive_timeout 5s;\n"
		  "client_max_body_size 1m;\n"
		  "tcp { keepalive_requests 5; }\n"),
		"t.conf:3:2: unknown directive \"client_body_buffer_size\" in http block\n"
		"t.conf:4:2: \"connect_timeout\" directive is not allowed in http block (only in upstream block)\n"
		"t.conf:5:2: \"keepalive\" directive is not allowed in http block (only in upstream block or in tcp block)\n"
		"t.conf:6:2: \"sndbuf\" directive is not allowed in http block (only in tcp block)\n"
		"t.conf:8:1: \"client_header_timeout\" directive is not allowed at top level (only in http block)\n"
		"t.conf:9:1: \"keepalive_timeout\" directive is not allowed at top level (only in upstream block or in http block)\n"
		"t.conf:10:1: \"client_max_body_size\" directive is not allowed at top level (only in route block or in http block)\n"
		"t.conf:11:7: \"keepalive_requests\" directive is not allowed in tcp block (only in upstream block or in http block)\n"},
	{"http", "duplicate and argument count", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "http {\n"
		  "\tsend_timeout 5s;\n"
		  "\tsend_timeout 6s;\n"
		  "\tkeepalive_requests;\n"
		  "\tclient_max_body_size 1 m;\n"
		  "\tclient_header_timeout 5s { }\n"
		  "}\n"),
		"t.conf:4:2: duplicate \"send_timeout\" directive (first at t.conf:3:2)\n"
		"t.conf:5:2: wrong number of arguments in \"keepalive_requests\" directive (usage: keepalive_requests N;)\n"
		"t.conf:6:2: wrong number of arguments in \"client_max_body_size\" directive (usage: client_max_body_size SIZE;)\n"
		"t.conf:7:2: \"client_header_timeout\" directive takes no block (usage: client_header_timeout DURATION;)\n"},
	{"http", "durations out of range", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "http {\n"
		  "\tclient_header_timeout 0;\n"
		  "\tclient_body_timeout 3601s;\n"
		  "\tkeepalive_timeout 61m;\n"
		  "\tsend_timeout 0ms;\n"
		  "}\n"),
		"t.conf:3:24: invalid client_header_timeout \"0\" (expected 1ms..1h)\n"
		"t.conf:4:22: invalid client_body_timeout \"3601s\" (expected 1ms..1h)\n"
		"t.conf:5:20: invalid keepalive_timeout \"61m\" (expected 0..1h)\n"
		"t.conf:6:15: invalid send_timeout \"0ms\" (expected 1ms..1h)\n"},
	{"http", "bad duration syntax", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "http {\n"
		  "\tclient_header_timeout 1d;\n"
		  "\tkeepalive_timeout off;\n"
		  "\tsend_timeout -5s;\n"
		  "\tclient_body_timeout 1.5s;\n"
		  "}\n"),
		"t.conf:3:24: invalid client_header_timeout \"1d\" (expected a duration such as 500ms, 5s, 2m or 1h)\n"
		"t.conf:4:20: invalid keepalive_timeout \"off\" (expected a duration such as 500ms, 5s, 2m or 1h)\n"
		"t.conf:5:15: invalid send_timeout \"-5s\" (expected a duration such as 500ms, 5s, 2m or 1h)\n"
		"t.conf:6:22: invalid client_body_timeout \"1.5s\" (expected a duration such as 500ms, 5s, 2m or 1h)\n"},
	{"http", "keepalive_requests and body size", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "http {\n"
		  "\tkeepalive_requests 0;\n"
		  "\tclient_max_body_size 1025g;\n"
		  "}\n"
		  "http { keepalive_requests 1000001; client_max_body_size 1t; }\n"),
		"t.conf:3:21: invalid keepalive_requests \"0\" (expected 1..1000000)\n"
		"t.conf:4:23: invalid client_max_body_size \"1025g\" (expected 0..1024g)\n"
		"t.conf:6:1: duplicate \"http\" directive (first at t.conf:2:1)\n"},
	{"http", "count and size syntax", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "http { keepalive_requests 1k; client_max_body_size 1t; }\n"
		  "http { keepalive_requests 5; }\n"),
		"t.conf:2:27: invalid keepalive_requests \"1k\" (expected 1..1000000)\n"
		"t.conf:2:52: invalid client_max_body_size \"1t\" (expected a size such as 4096, 256k or 1m)\n"
		"t.conf:3:1: duplicate \"http\" directive (first at t.conf:2:1)\n"},
	{"http", "underscores_in_headers", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "http {\n"
		  "\tunderscores_in_headers yes;\n"
		  "\tunderscores_in_headers on;\n"
		  "\tunderscores_in_headers;\n"
		  "}\n"
		  "underscores_in_headers on;\n"
		  "http { underscores_in_headers 1; }\n"
		  "route prefix / { upstream u; underscores_in_headers ON; }\n"
		  "upstream u { server 198.18.0.11:80; }\n"),
		"t.conf:3:25: invalid underscores_in_headers \"yes\" (expected on or off)\n"
		"t.conf:4:2: duplicate \"underscores_in_headers\" directive (first at t.conf:3:2)\n"
		"t.conf:5:2: wrong number of arguments in \"underscores_in_headers\" directive (usage: underscores_in_headers on|off;)\n"
		"t.conf:7:1: \"underscores_in_headers\" directive is not allowed at top level (only in http block)\n"
		"t.conf:8:1: duplicate \"http\" directive (first at t.conf:2:1)\n"
		"t.conf:9:30: \"underscores_in_headers\" directive is not allowed in route block (only in http block)\n"},
	{"http", "TLS handshake limits", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "http {\n"
		  "\ttls_handshake_timeout 0;\n"
		  "\ttls_handshakes_max 0;\n"
		  "\ttls_handshakes_per_poll 1025;\n"
		  "\ttls_handshake_split pieces;\n"
		  "}\n"
		  "tls_handshake_timeout 5s;\n"),
		"t.conf:3:24: invalid tls_handshake_timeout \"0\" (expected 1ms..1h)\n"
		"t.conf:4:21: invalid tls_handshakes_max \"0\" (expected 1..1000000)\n"
		"t.conf:5:26: invalid tls_handshakes_per_poll \"1025\" (expected 1..1024)\n"
		"t.conf:6:22: invalid tls_handshake_split \"pieces\" (expected on or off)\n"
		"t.conf:8:1: \"tls_handshake_timeout\" directive is not allowed at top level (only in http block)\n"},
	{"route", "allow_upgrade", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:80; }\n"
		  "route prefix /a { upstream u; allow_upgrade websocket off; }\n"
		  "route prefix /b { upstream u; allow_upgrade web/socket \"h 2\" \"\"; }\n"
		  "route prefix /c { upstream u; allow_upgrade; }\n"
		  "route prefix /d { upstream u; allow_upgrade h2c; allow_upgrade websocket; }\n"
		  "allow_upgrade websocket;\n"),
		"t.conf:3:50: \"off\" must be alone in \"allow_upgrade\"\n"
		"t.conf:4:46: invalid protocol \"web/socket\" in allow_upgrade (expected a name such as websocket, 1-63 token characters, or off)\n"
		"t.conf:4:57: invalid protocol \"h 2\" in allow_upgrade (expected a name such as websocket, 1-63 token characters, or off)\n"
		"t.conf:4:63: invalid protocol \"\" in allow_upgrade (expected a name such as websocket, 1-63 token characters, or off)\n"
		"t.conf:5:31: wrong number of arguments in \"allow_upgrade\" directive (usage: allow_upgrade PROTOCOL...|off;)\n"
		"t.conf:6:50: duplicate \"allow_upgrade\" directive (first at t.conf:6:31)\n"
		"t.conf:7:1: \"allow_upgrade\" directive is not allowed at top level (only in route block)\n"},
	{"upstream_params", "out of range", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u {\n"
		  "\tserver 198.18.0.11:80;\n"
		  "\tconnect_timeout 0;\n"
		  "\tread_timeout 2h;\n"
		  "\tsend_timeout 3600001ms;\n"
		  "\tkeepalive 65536;\n"
		  "\tkeepalive_timeout 0;\n"
		  "\tkeepalive_requests 0;\n"
		  "\tsyn_rto 61s;\n"
		  "}\n"),
		"t.conf:4:18: invalid connect_timeout \"0\" (expected 1ms..1h)\n"
		"t.conf:5:15: invalid read_timeout \"2h\" (expected 1ms..1h)\n"
		"t.conf:6:15: invalid send_timeout \"3600001ms\" (expected 1ms..1h)\n"
		"t.conf:7:12: invalid keepalive \"65536\" (expected 0..65535)\n"
		"t.conf:8:20: invalid keepalive_timeout \"0\" (expected 1ms..1h)\n"
		"t.conf:9:21: invalid keepalive_requests \"0\" (expected 1..1000000)\n"
		"t.conf:10:10: invalid syn_rto \"61s\" (expected 1ms..1m)\n"},
	{"upstream_params", "syntax", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u {\n"
		  "\tconnect_timeout fast;\n"
		  "\tkeepalive on;\n"
		  "\tread_timeout 5 s;\n"
		  "\tserver 198.18.0.11:80;\n"
		  "\tkeepalive_requests 10m;\n"
		  "}\n"),
		"t.conf:3:18: invalid connect_timeout \"fast\" (expected a duration such as 500ms, 5s, 2m or 1h)\n"
		"t.conf:4:12: invalid keepalive \"on\" (expected 0..65535)\n"
		"t.conf:5:2: wrong number of arguments in \"read_timeout\" directive (usage: read_timeout DURATION;)\n"
		"t.conf:7:21: invalid keepalive_requests \"10m\" (expected 1..1000000)\n"},
	{"upstream_params", "duplicates, per upstream", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream a {\n"
		  "\tserver 198.18.0.11:80;\n"
		  "\tkeepalive 4;\n"
		  "\tsend_timeout 1s;\n"
		  "\tkeepalive 8;\n"
		  "}\n"
		  "upstream b { keepalive 4; server 198.18.0.12:80; send_timeout 1s; send_timeout 2s; }\n"),
		"t.conf:6:2: duplicate \"keepalive\" directive (first at t.conf:4:2)\n"
		"t.conf:8:67: duplicate \"send_timeout\" directive (first at t.conf:8:50)\n"},
	{"upstream_params", "drain option", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream a { server 198.18.0.11:80 drain drain; server 198.18.0.12:80 draining; }\n"),
		"t.conf:2:42: duplicate \"drain\" option\n"
		"t.conf:2:71: unknown server option \"draining\" (expected weight=N or drain)\n"},
	{"upstream_params", "wrong context", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24;\n"
		  "\tconnect_timeout 5s;\n"
		  "}\n"
		  "upstream u {\n"
		  "\tserver 198.18.0.11:80;\n"
		  "\tclient_max_body_size 1m;\n"
		  "\tclient_header_timeout 5s;\n"
		  "}\n"
		  "route exact / { upstream u; read_timeout 5s; }\n"
		  "read_timeout 5s;\n"),
		"t.conf:3:2: \"connect_timeout\" directive is not allowed in interface block (only in upstream block)\n"
		"t.conf:7:2: \"client_max_body_size\" directive is not allowed in upstream block (only in route block or in http block)\n"
		"t.conf:8:2: \"client_header_timeout\" directive is not allowed in upstream block (only in http block)\n"
		"t.conf:10:29: \"read_timeout\" directive is not allowed in route block (only in upstream block)\n"
		"t.conf:11:1: \"read_timeout\" directive is not allowed at top level (only in upstream block)\n"},
	{"upstream_params", "a bad value in an upstream without server", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { keepalive -1; }\n"),
		"t.conf:2:24: invalid keepalive \"-1\" (expected 0..65535)\n"},
	{"route_body", "bad values", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:80; }\n"
		  "route exact /a { upstream u; client_max_body_size -1; }\n"
		  "route exact /b { upstream u; client_max_body_size 1099511627777; }\n"
		  "route exact /c { upstream u; client_max_body_size 10mb; }\n"
		  "route exact /d { upstream u; client_max_body_size; }\n"),
		"t.conf:3:51: invalid client_max_body_size \"-1\" (expected a size such as 4096, 256k or 1m)\n"
		"t.conf:4:51: invalid client_max_body_size \"1099511627777\" (expected 0..1024g)\n"
		"t.conf:5:51: invalid client_max_body_size \"10mb\" (expected a size such as 4096, 256k or 1m)\n"
		"t.conf:6:30: wrong number of arguments in \"client_max_body_size\" directive (usage: client_max_body_size SIZE;)\n"},
	{"route_body", "duplicate in a route, and the route's other errors still reported", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:80; }\n"
		  "route exact /a {\n"
		  "\tclient_max_body_size 0;\n"
		  "\tupstream v;\n"
		  "\tclient_max_body_size 1m;\n"
		  "}\n"
		  "http { client_max_body_size 2m; }\n"),
		"t.conf:6:2: duplicate \"client_max_body_size\" directive (first at t.conf:4:2)\n"
		"t.conf:5:11: upstream \"v\" is not defined\n"},
};

static void
test_http(void **state)
{
	run_group("http");
}

static void
test_upstream_params(void **state)
{
	run_group("upstream_params");
}

static void
test_route_body(void **state)
{
	run_group("route_body");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_upstream_params),
		cmocka_unit_test(test_route_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
