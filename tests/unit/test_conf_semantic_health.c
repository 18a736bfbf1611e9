/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf validation errors of the health directives of an upstream: the
 * health_check block (path, host, interval, timeout, expect, rise, fall),
 * max_ejection_percent and next_upstream. Each row is config text and the
 * exact "file:line:col: message" lines it must produce. Good input:
 * test_conf_health.c.
 */
#include "conf_err_harness.h"

#define IFC "interface a { address 198.18.0.1/24; }\n"

#define BAD_PATH_BYTE(hex)                                                                         \
	"invalid byte 0x" hex " in health_check path (a request target such as /healthz?full=1: "  \
	"letters, digits, \"-._~!$&'()*+,;=:@/?\" and %XX)\n"
#define BAD_HOST(h)                                                                                \
	"invalid health_check host \"" h "\" (expected a host name or address with an optional "   \
	":PORT, such as app.example or 198.18.0.11:8000: letters, digits, \"-._~\", at most 128 "  \
	"bytes)\n"
#define BAD_EXPECT(v)                                                                              \
	"invalid expect \"" v "\" (expected a status or a range of statuses in 100..599, such as " \
	"200 or 200-399)\n"
#define BAD_NU(w)                                                                                  \
	"unknown next_upstream condition \"" w "\" (expected error, timeout, invalid_header, "     \
	"http_500, http_502, http_503, http_504, http_429 or off)\n"

/* Inputs start with a valid interface so that "no interface defined" does
 * not join every expected output. */
static const struct err_case cases[] = {
	{"block", "structure", 0,
		T(IFC "upstream u {\n"
		      "\tserver 198.18.0.11:80;\n"
		      "\thealth_check { }\n"
		      "\thealth_check { path /x; }\n"
		      "}\n"
		      "upstream v { health_check on { } }\n"
		      "upstream w { health_check; }\n"
		      "health_check { }\n"),
		"t.conf:5:2: duplicate \"health_check\" directive (first at t.conf:4:2)\n"
		"t.conf:7:14: wrong number of arguments in \"health_check\" directive (usage: "
		"health_check { ... })\n"
		"t.conf:8:14: \"health_check\" directive needs a block (usage: health_check { ... })\n"
		"t.conf:9:1: \"health_check\" directive is not allowed at top level (only in upstream "
		"block)\n"},
	{"block", "unknown, misplaced, duplicate and argument counts", 0,
		T(IFC "upstream u {\n"
		      "\tinterval 1s;\n"
		      "\thealth_check {\n"
		      "\t\tport 8080;\n"
		      "\t\tserver 198.18.0.11:80;\n"
		      "\t\trise 2;\n"
		      "\t\trise 3;\n"
		      "\t\tpath;\n"
		      "\t\texpect 200 300;\n"
		      "\t\thealth_check { }\n"
		      "\t}\n"
		      "}\n"
		      "host example.com;\n"),
		"t.conf:3:2: \"interval\" directive is not allowed in upstream block (only in "
		"health_check block)\n"
		"t.conf:5:3: unknown directive \"port\" in health_check block\n"
		"t.conf:6:3: \"server\" directive is not allowed in health_check block (only in "
		"upstream block)\n"
		"t.conf:8:3: duplicate \"rise\" directive (first at t.conf:7:3)\n"
		"t.conf:9:3: wrong number of arguments in \"path\" directive (usage: path /TARGET;)\n"
		"t.conf:10:3: wrong number of arguments in \"expect\" directive (usage: expect "
		"STATUS|LO-HI;)\n"
		"t.conf:11:3: \"health_check\" directive is not allowed in health_check block (only "
		"in upstream block)\n"
		"t.conf:14:1: \"host\" directive is not allowed at top level (only in route block or "
		"in health_check block)\n"},
	{"path", "path", 0,
		T(IFC "upstream a { health_check { path healthz; } }\n"
		      "upstream b { health_check { path ''; } }\n"
		      "upstream c { health_check { path \"/a b\"; } }\n"
		      "upstream d { health_check { path \"/caf\303\251\"; } }\n"
		      "upstream e { health_check { path \"/a#b\"; } }\n"
		      "upstream f { health_check { path \"/a\\\"b\"; } }\n"
		      "upstream g { health_check { path /a%2; } }\n"
		      "upstream h { health_check { path /a%zz/b; } }\n"
		      "upstream i { health_check { path http://x/; } }\n"
		      "upstream j { health_check { path /a<b>; } }\n"
		      "upstream k { health_check { path \"/a\\b\"; } }\n"),
		"t.conf:2:34: health_check path \"healthz\" must start with \"/\"\n"
		"t.conf:3:34: health_check path \"\" must start with \"/\"\n"
		"t.conf:4:37: " BAD_PATH_BYTE("20")
		"t.conf:5:39: " BAD_PATH_BYTE("c3")
		"t.conf:6:37: " BAD_PATH_BYTE("23")
		"t.conf:7:37: " BAD_PATH_BYTE("22")
		"t.conf:8:36: invalid escape in health_check path (expected %XX, two hex digits)\n"
		"t.conf:9:36: invalid escape in health_check path (expected %XX, two hex digits)\n"
		"t.conf:10:34: health_check path \"http://x/\" must start with \"/\"\n"
		"t.conf:11:36: " BAD_PATH_BYTE("3c")
		"t.conf:12:37: " BAD_PATH_BYTE("5c")},
	{"host", "host", 0,
		T(IFC "upstream a { health_check { host \"a b\"; } }\n"
		      "upstream b { health_check { host ''; } }\n"
		      "upstream c { health_check { host app.example:; } }\n"
		      "upstream d { health_check { host app.example:0; } }\n"
		      "upstream e { health_check { host app.example:65536; } }\n"
		      "upstream f { health_check { host :80; } }\n"
		      "upstream g { health_check { host a:80:81; } }\n"
		      "upstream h { health_check { host a/b; } }\n"
		      "upstream i { health_check { host \"[::1]:80\"; } }\n"
		      "upstream j { health_check { host caf\303\251; } }\n"
		      "upstream k { health_check { host a:http; } }\n"),
		"t.conf:2:34: " BAD_HOST("a b")
		"t.conf:3:34: " BAD_HOST("")
		"t.conf:4:34: " BAD_HOST("app.example:")
		"t.conf:5:34: " BAD_HOST("app.example:0")
		"t.conf:6:34: " BAD_HOST("app.example:65536")
		"t.conf:7:34: " BAD_HOST(":80")
		"t.conf:8:34: " BAD_HOST("a:80:81")
		"t.conf:9:34: " BAD_HOST("a/b")
		"t.conf:10:34: " BAD_HOST("[::1]:80")
		"t.conf:11:34: " BAD_HOST("caf\303\251")
		"t.conf:12:34: " BAD_HOST("a:http")},
	{"expect", "expect", 0,
		T(IFC "upstream u { health_check {\n"
		      "\texpect 600;\n"
		      "} }\n"
		      "upstream a { health_check { expect 99; } }\n"
		      "upstream b { health_check { expect 2xx; } }\n"
		      "upstream c { health_check { expect 399-200; } }\n"
		      "upstream d { health_check { expect 200-; } }\n"
		      "upstream e { health_check { expect -; } }\n"
		      "upstream f { health_check { expect 200-300-400; } }\n"
		      "upstream g { health_check { expect 200-600; } }\n"
		      "upstream h { health_check { expect \" 200\"; } }\n"
		      "upstream i { health_check { expect 0200; } }\n"),
		"t.conf:3:9: " BAD_EXPECT("600")
		"t.conf:5:36: " BAD_EXPECT("99")
		"t.conf:6:36: " BAD_EXPECT("2xx")
		"t.conf:7:36: invalid expect \"399-200\" (the first status of a range must not exceed "
		"the second)\n"
		"t.conf:8:36: " BAD_EXPECT("200-")
		"t.conf:9:36: " BAD_EXPECT("-")
		"t.conf:10:36: " BAD_EXPECT("200-300-400")
		"t.conf:11:36: " BAD_EXPECT("200-600")
		"t.conf:12:36: " BAD_EXPECT(" 200")
		"t.conf:13:36: " BAD_EXPECT("0200")},
	{"numbers", "interval, timeout, rise, fall", 0,
		T(IFC "upstream u {\n"
		      "\thealth_check {\n"
		      "\t\tinterval 99ms;\n"
		      "\t\ttimeout 9ms;\n"
		      "\t\trise 0;\n"
		      "\t\tfall 101;\n"
		      "\t}\n"
		      "}\n"
		      "upstream v {\n"
		      "\thealth_check {\n"
		      "\t\tinterval 61m;\n"
		      "\t\ttimeout 61s;\n"
		      "\t\trise -1;\n"
		      "\t\tfall 3x;\n"
		      "\t}\n"
		      "}\n"
		      "upstream w { health_check { interval 1.5s; timeout 1d; interval 2s; } }\n"),
		"t.conf:4:12: invalid interval \"99ms\" (expected 100ms..1h)\n"
		"t.conf:5:11: invalid timeout \"9ms\" (expected 10ms..1m)\n"
		"t.conf:6:8: invalid rise \"0\" (expected 1..100)\n"
		"t.conf:7:8: invalid fall \"101\" (expected 1..100)\n"
		"t.conf:12:12: invalid interval \"61m\" (expected 100ms..1h)\n"
		"t.conf:13:11: invalid timeout \"61s\" (expected 10ms..1m)\n"
		"t.conf:14:8: invalid rise \"-1\" (expected 1..100)\n"
		"t.conf:15:8: invalid fall \"3x\" (expected 1..100)\n"
		"t.conf:18:38: invalid interval \"1.5s\" (expected a duration such as 500ms, 5s, 2m or "
		"1h)\n"
		"t.conf:18:52: invalid timeout \"1d\" (expected a duration such as 500ms, 5s, 2m or "
		"1h)\n"
		"t.conf:18:56: duplicate \"interval\" directive (first at t.conf:18:29)\n"},
	{"max_ejection_percent", "max_ejection_percent", 0,
		T(IFC "upstream a { max_ejection_percent 101; }\n"
		      "upstream b { max_ejection_percent -1; }\n"
		      "upstream c { max_ejection_percent 5%; }\n"
		      "upstream d { max_ejection_percent; }\n"
		      "upstream e { max_ejection_percent 10 20; }\n"
		      "upstream f { max_ejection_percent 10; max_ejection_percent 20; }\n"
		      "max_ejection_percent 10;\n"),
		"t.conf:2:35: invalid max_ejection_percent \"101\" (expected 0..100)\n"
		"t.conf:3:35: invalid max_ejection_percent \"-1\" (expected 0..100)\n"
		"t.conf:4:35: invalid max_ejection_percent \"5%\" (expected 0..100)\n"
		"t.conf:5:14: wrong number of arguments in \"max_ejection_percent\" directive (usage: "
		"max_ejection_percent N;)\n"
		"t.conf:6:14: wrong number of arguments in \"max_ejection_percent\" directive (usage: "
		"max_ejection_percent N;)\n"
		"t.conf:7:39: duplicate \"max_ejection_percent\" directive (first at t.conf:7:14)\n"
		"t.conf:8:1: \"max_ejection_percent\" directive is not allowed at top level (only in "
		"upstream block)\n"},
	{"next_upstream", "next_upstream", 0,
		T(IFC "upstream a { next_upstream http_404 error http_5xx; }\n"
		      "upstream b { next_upstream error timeout error; }\n"
		      "upstream c { next_upstream off error; }\n"
		      "upstream d { next_upstream timeout off; }\n"
		      "upstream e { next_upstream off off; }\n"
		      "upstream f { next_upstream; }\n"
		      "upstream g { next_upstream error; next_upstream timeout; }\n"
		      "upstream h { next_upstream Error HTTP_502; }\n"
		      "upstream i { next_upstream error bogus error; }\n"
		      "upstream j { next_upstream error non_idempotent; }\n"
		      "next_upstream off;\n"),
		"t.conf:2:28: " BAD_NU("http_404")
		"t.conf:2:43: " BAD_NU("http_5xx")
		"t.conf:3:42: duplicate \"error\" in next_upstream\n"
		"t.conf:4:28: \"off\" must be alone in \"next_upstream\"\n"
		"t.conf:5:36: \"off\" must be alone in \"next_upstream\"\n"
		"t.conf:6:28: \"off\" must be alone in \"next_upstream\"\n"
		"t.conf:6:32: \"off\" must be alone in \"next_upstream\"\n"
		"t.conf:7:14: wrong number of arguments in \"next_upstream\" directive (usage: "
		"next_upstream CONDITION...|off;)\n"
		"t.conf:8:35: duplicate \"next_upstream\" directive (first at t.conf:8:14)\n"
		"t.conf:9:28: " BAD_NU("Error")
		"t.conf:9:34: " BAD_NU("HTTP_502")
		"t.conf:10:34: " BAD_NU("bogus")
		"t.conf:10:40: duplicate \"error\" in next_upstream\n"
		"t.conf:11:34: \"non_idempotent\" is not supported: fanout never sends a "
		"non-idempotent request twice (RFC 9110, 9.2.2)\n"
		"t.conf:12:1: \"next_upstream\" directive is not allowed at top level (only in upstream "
		"block)\n"},
	/* next_upstream may list its nine words (and a few repeats: 12 kept); a server's
	 * options and allow_upgrade's protocols stay at 8 */
	{"limits", "argument counts", 0,
		T(IFC "upstream a { next_upstream error error error error error error error error "
		      "error error error error; }\n"
		      "upstream b { next_upstream error error error error error error error error "
		      "error error error error error; }\n"
		      "upstream c { server 198.18.0.11:80 drain drain drain drain drain drain drain "
		      "drain; }\n"
		      "route exact /x { upstream c; allow_upgrade a b c d e f g h i; }\n"),
		"t.conf:2:34: duplicate \"error\" in next_upstream\n"
		"t.conf:2:40: duplicate \"error\" in next_upstream\n"
		"t.conf:2:46: duplicate \"error\" in next_upstream\n"
		"t.conf:2:52: duplicate \"error\" in next_upstream\n"
		"t.conf:2:58: duplicate \"error\" in next_upstream\n"
		"t.conf:2:64: duplicate \"error\" in next_upstream\n"
		"t.conf:2:70: duplicate \"error\" in next_upstream\n"
		"t.conf:2:76: duplicate \"error\" in next_upstream\n"
		"t.conf:2:82: duplicate \"error\" in next_upstream\n"
		"t.conf:2:88: duplicate \"error\" in next_upstream\n"
		"t.conf:2:94: duplicate \"error\" in next_upstream\n"
		"t.conf:3:14: wrong number of arguments in \"next_upstream\" directive (usage: "
		"next_upstream CONDITION...|off;)\n"
		"t.conf:4:14: wrong number of arguments in \"server\" directive (usage: server "
		"A.B.C.D:PORT [weight=N] [drain];)\n"
		"t.conf:5:30: wrong number of arguments in \"allow_upgrade\" directive (usage: "
		"allow_upgrade PROTOCOL...|off;)\n"},
};

static void
test_block_errors(void **state)
{
	(void)state;
	run_group("block");
}

static void
test_path_errors(void **state)
{
	(void)state;
	run_group("path");
}

static void
test_host_errors(void **state)
{
	(void)state;
	run_group("host");
}

static void
test_expect_errors(void **state)
{
	(void)state;
	run_group("expect");
}

static void
test_number_errors(void **state)
{
	(void)state;
	run_group("numbers");
	run_group("max_ejection_percent");
}

static void
test_next_upstream_errors(void **state)
{
	(void)state;
	run_group("next_upstream");
	run_group("limits");
}

/* One byte over: a 256-byte path, a 129-byte host. */
static void
test_length_errors(void **state)
{
	char path[257], host[130], text[1024], want[512];
	struct err_case c = {"lengths", "one byte over", 0, text, 0, want};

	(void)state;
	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	c.len = (size_t)snprintf(text, sizeof(text),
		IFC "upstream u { health_check {\n\tpath %s;\n\thost %s;\n} }\n", path, host);
	snprintf(want, sizeof(want),
		"t.conf:3:7: health_check path is too long (256 bytes, at most 255)\n"
		"t.conf:4:7: " BAD_HOST("%s"),
		host);
	check_case(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_errors),
		cmocka_unit_test(test_path_errors),
		cmocka_unit_test(test_host_errors),
		cmocka_unit_test(test_expect_errors),
		cmocka_unit_test(test_number_errors),
		cmocka_unit_test(test_next_upstream_errors),
		cmocka_unit_test(test_length_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
