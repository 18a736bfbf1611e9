/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf on good input, the health directives of an upstream: the
 * health_check block (path, host, interval, timeout, expect, rise, fall),
 * max_ejection_percent and next_upstream, with their values, defaults,
 * dump and round trip. Their errors: test_conf_semantic_health.c.
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

#define IFC "interface a { address 198.18.0.1/24; }\n"
#define NU_ALL                                                                                     \
	(FO_CONF_NU_ERROR | FO_CONF_NU_TIMEOUT | FO_CONF_NU_INVALID_HEADER | FO_CONF_NU_HTTP_500 | \
		FO_CONF_NU_HTTP_502 | FO_CONF_NU_HTTP_503 | FO_CONF_NU_HTTP_504 |                  \
		FO_CONF_NU_HTTP_429)

/* dump(), out of line: inlined, gcc 12 takes the memstream's buffer for a dangling pointer */
static __attribute__((noinline)) char *
dump_text(const struct fo_conf *c)
{
	return dump(c);
}

/* The dump of upstream @name alone in @c, from "upstream" to its closing "}\n". */
static char *
dump_upstream_of(const struct fo_conf *c, const char *name)
{
	char *text = dump_text(c), *start, *end, *out;
	char head[96];

	snprintf(head, sizeof(head), "upstream %s {\n", name);
	start = strstr(text, head);
	assert_non_null(start);
	end = strstr(start, "\n}\n");
	assert_non_null(end);
	out = strndup(start, (size_t)(end - start) + 3);
	assert_non_null(out);
	free(text);
	return out;
}

static void
test_defaults(void **state)
{
	struct fo_conf *c = parse_ok(IFC "upstream u { server 198.18.0.11:80; }\n"
					 "upstream e { server 198.18.0.12:80; health_check { } }\n"
					 "upstream w {\n"
					 "\tserver 198.18.0.13:80;\n"
					 "\tmax_ejection_percent 50;\n"
					 "\tnext_upstream timeout error;\n"
					 "\thealth_check { path /; expect 200-399; interval 5s; "
					 "timeout 2000ms; rise 2; fall 3; }\n"
					 "}\n");
	char *text;

	(void)state;
	/* no block: every value at its default, checks off */
	assert_upstream_defaults(&c->upstreams[0]);
	assert_false(c->upstreams[0].health_check.enabled);
	assert_null(c->upstreams[0].health_check.loc.file);
	/* an empty block: checks on, every default */
	assert_upstream_defaults(&c->upstreams[1]);
	assert_true(c->upstreams[1].health_check.enabled);
	assert_loc(&c->upstreams[1].health_check.loc, "t.conf", 3, 37);
	/* the defaults written out */
	assert_upstream_defaults(&c->upstreams[2]);
	assert_true(c->upstreams[2].health_check.enabled);
	assert_loc(&c->upstreams[2].health_check.loc, "t.conf", 8, 2);
	/* defaults are not dumped; an enabled block is, even empty */
	text = dump_upstream_of(c, "u");
	assert_string_equal(text, "upstream u {\n\tserver 198.18.0.11:80 weight=1;\n}\n");
	free(text);
	text = dump_upstream_of(c, "e");
	assert_string_equal(text, "upstream e {\n"
				  "\tserver 198.18.0.12:80 weight=1;\n"
				  "\thealth_check {\n"
				  "\t}\n"
				  "}\n");
	free(text);
	text = dump_upstream_of(c, "w");
	assert_string_equal(text, "upstream w {\n"
				  "\tserver 198.18.0.13:80 weight=1;\n"
				  "\thealth_check {\n"
				  "\t}\n"
				  "}\n");
	free(text);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_health_check_block(void **state)
{
	struct fo_conf *c = parse_ok(IFC "upstream app {\n"
					 "\tserver 198.18.0.11:8000;\n"
					 "\thealth_check {\n"
					 "\t\tfall 100;\n"
					 "\t\tpath \"/healthz?full=1;x=%2F~@:!$&'()*+,\";\n"
					 "\t\thost App-1.example_x~:8080;\n"
					 "\t\tinterval 100ms;\n"
					 "\t\ttimeout 10ms;\n"
					 "\t\texpect 100-599;\n"
					 "\t\trise 100;\n"
					 "\t}\n"
					 "\tserver 198.18.0.12:8000;\n"
					 "}\n"
					 "upstream b {\n"
					 "\thealth_check {\n"
					 "\t\tinterval 1h;\n"
					 "\t\ttimeout 60s;\n"
					 "\t\texpect 204;\n"
					 "\t\trise 1;\n"
					 "\t\tfall 1;\n"
					 "\t\thost 198.18.0.99;\n"
					 "\t}\n"
					 "}\n");
	const struct fo_conf_health_check *h = &c->upstreams[0].health_check;
	char *text;

	(void)state;
	assert_true(h->enabled);
	assert_string_equal(h->path, "/healthz?full=1;x=%2F~@:!$&'()*+,");
	assert_string_equal(h->host, "App-1.example_x~:8080"); /* as written */
	assert_int_equal(h->interval_ms, 100);
	assert_int_equal(h->timeout_ms, 10);
	assert_int_equal(h->expect_lo, 100);
	assert_int_equal(h->expect_hi, 599);
	assert_int_equal(h->rise, 100);
	assert_int_equal(h->fall, 100);
	assert_loc(&h->loc, "t.conf", 4, 2);
	assert_int_equal(c->upstreams[0].n_servers, 2);
	h = &c->upstreams[1].health_check;
	assert_string_equal(h->path, "/");
	assert_string_equal(h->host, "198.18.0.99");
	assert_int_equal(h->interval_ms, 3600000);
	assert_int_equal(h->timeout_ms, 60000); /* longer than an interval may be: allowed */
	assert_int_equal(h->expect_lo, 204);
	assert_int_equal(h->expect_hi, 204);
	assert_int_equal(h->rise, 1);
	assert_int_equal(h->fall, 1);
	/* the other upstream settings are untouched */
	assert_int_equal(c->upstreams[0].max_ejection_percent, 50);
	assert_int_equal(c->upstreams[0].next_upstream, FO_CONF_NU_ERROR | FO_CONF_NU_TIMEOUT);
	text = dump_upstream_of(c, "app");
	assert_string_equal(text, "upstream app {\n"
				  "\tserver 198.18.0.11:8000 weight=1;\n"
				  "\tserver 198.18.0.12:8000 weight=1;\n"
				  "\thealth_check {\n"
				  "\t\tpath \"/healthz?full=1;x=%2F~@:!$&'()*+,\";\n"
				  "\t\thost App-1.example_x~:8080;\n"
				  "\t\texpect 100-599;\n"
				  "\t\tinterval 100ms;\n"
				  "\t\ttimeout 10ms;\n"
				  "\t\trise 100;\n"
				  "\t\tfall 100;\n"
				  "\t}\n"
				  "}\n");
	free(text);
	text = dump_upstream_of(c, "b");
	assert_string_equal(text, "upstream b {\n"
				  "\thealth_check {\n"
				  "\t\thost 198.18.0.99;\n"
				  "\t\texpect 204;\n"
				  "\t\tinterval 1h;\n"
				  "\t\ttimeout 1m;\n"
				  "\t\trise 1;\n"
				  "\t\tfall 1;\n"
				  "\t}\n"
				  "}\n");
	free(text);
	check_round_trip(c);
	fo_conf_free(c);
}

/* The longest path (255 bytes) and host (128 bytes) are accepted. */
static void
test_health_check_lengths(void **state)
{
	char path[256], host[129], text[1024];
	struct fo_conf *c;

	(void)state;
	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	memset(host, 'h', sizeof(host) - 1);
	memcpy(host + sizeof(host) - 7, ":65535", 7);
	snprintf(text, sizeof(text),
		IFC "upstream u { health_check { path %s; host %s; expect 599; } }\n", path, host);
	c = parse_ok(text);
	assert_int_equal(strlen(c->upstreams[0].health_check.path), 255);
	assert_string_equal(c->upstreams[0].health_check.path, path);
	assert_int_equal(strlen(c->upstreams[0].health_check.host), 128);
	assert_string_equal(c->upstreams[0].health_check.host, host);
	assert_int_equal(c->upstreams[0].health_check.expect_lo, 599);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_max_ejection_percent(void **state)
{
	struct fo_conf *c = parse_ok(IFC "upstream a { max_ejection_percent 0; }\n"
					 "upstream b { max_ejection_percent 100; }\n"
					 "upstream c { max_ejection_percent 34; }\n"
					 "upstream d { max_ejection_percent 50; }\n");
	char *text;

	(void)state;
	assert_int_equal(c->upstreams[0].max_ejection_percent, 0);
	assert_int_equal(c->upstreams[1].max_ejection_percent, 100);
	assert_int_equal(c->upstreams[2].max_ejection_percent, 34);
	assert_upstream_defaults(&c->upstreams[3]);
	text = dump_upstream_of(c, "a");
	assert_string_equal(text, "upstream a {\n\tmax_ejection_percent 0;\n}\n");
	free(text);
	text = dump_upstream_of(c, "c");
	assert_string_equal(text, "upstream c {\n\tmax_ejection_percent 34;\n}\n");
	free(text);
	text = dump_upstream_of(c, "d");
	assert_string_equal(text, "upstream d {\n}\n");
	free(text);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_next_upstream(void **state)
{
	static const struct {
		const char *words;
		uint32_t bits;
		const char *dumped; /* NULL: the default, not written */
	} rows[] = {
		{"error", FO_CONF_NU_ERROR, "error"},
		{"timeout", FO_CONF_NU_TIMEOUT, "timeout"},
		{"invalid_header", FO_CONF_NU_INVALID_HEADER, "invalid_header"},
		{"http_500", FO_CONF_NU_HTTP_500, "http_500"},
		{"http_502", FO_CONF_NU_HTTP_502, "http_502"},
		{"http_503", FO_CONF_NU_HTTP_503, "http_503"},
		{"http_504", FO_CONF_NU_HTTP_504, "http_504"},
		{"http_429", FO_CONF_NU_HTTP_429, "http_429"},
		{"off", 0, "off"},
		{"timeout error", FO_CONF_NU_ERROR | FO_CONF_NU_TIMEOUT, NULL},
		{"error timeout http_502 http_503 http_504",
			FO_CONF_NU_ERROR | FO_CONF_NU_TIMEOUT | FO_CONF_NU_HTTP_502 |
				FO_CONF_NU_HTTP_503 | FO_CONF_NU_HTTP_504,
			"error timeout http_502 http_503 http_504"},
		/* all eight (as many as a server's options), in any order */
		{"http_429 http_504 http_503 http_502 http_500 invalid_header "
		 "timeout error",
			NU_ALL,
			"error timeout invalid_header http_500 http_502 http_503 http_504 "
			"http_429"},
	};
	char text[512], want[256];
	struct fo_conf *c;
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(text, sizeof(text),
			IFC "upstream u {\n\tserver 198.18.0.11:80;\n\tnext_upstream %s;\n}\n",
			rows[i].words);
		c = parse_ok(text);
		assert_int_equal(c->upstreams[0].next_upstream, rows[i].bits);
		out = dump_upstream_of(c, "u");
		if (rows[i].dumped == NULL)
			snprintf(want, sizeof(want),
				"upstream u {\n\tserver 198.18.0.11:80 weight=1;\n}\n");
		else
			snprintf(want, sizeof(want),
				"upstream u {\n\tserver 198.18.0.11:80 weight=1;\n"
				"\tnext_upstream %s;\n}\n",
				rows[i].dumped);
		assert_string_equal(out, want);
		free(out);
		check_round_trip(c);
		fo_conf_free(c);
	}
}

/* Everything at once, and the order of the upstream's dump. */
static void
test_all_together(void **state)
{
	struct fo_conf *c = parse_ok(IFC "upstream u {\n"
					 "\thealth_check { path /healthz; interval 1s; }\n"
					 "\tnext_upstream error http_502;\n"
					 "\tmax_ejection_percent 34;\n"
					 "\tserver 198.18.0.11:80;\n"
					 "\ttries 2;\n"
					 "}\n"
					 "route prefix / { upstream u; }\n");
	char *text;

	(void)state;
	text = dump_upstream_of(c, "u");
	assert_string_equal(text, "upstream u {\n"
				  "\tserver 198.18.0.11:80 weight=1;\n"
				  "\ttries 2;\n"
				  "\tmax_ejection_percent 34;\n"
				  "\tnext_upstream error http_502;\n"
				  "\thealth_check {\n"
				  "\t\tpath \"/healthz\";\n"
				  "\t\tinterval 1s;\n"
				  "\t}\n"
				  "}\n");
	free(text);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_health_in_include(void **state)
{
	/* an upstream's health directives from a file, a block's lines from another */
	static const char text[] = "include ifaces.conf;\n"
				   "upstream api { server 198.18.0.9:80; include health.inc; }\n";
	struct fo_conf *c =
		fo_conf_parse("conf/good/virtual.conf", text, strlen(text), 0, stderr, NULL);
	const struct fo_conf_health_check *h;

	(void)state;
	assert_non_null(c);
	h = &c->upstreams[0].health_check;
	assert_int_equal(c->upstreams[0].max_ejection_percent, 25);
	assert_true(h->enabled);
	assert_loc(&h->loc, "conf/good/health.inc", 3, 1);
	assert_string_equal(h->path, "/ready");
	assert_int_equal(h->interval_ms, 250);
	assert_int_equal(h->fall, 1);
	assert_int_equal(h->rise, 2);
	fo_conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_health_check_block),
		cmocka_unit_test(test_health_check_lengths),
		cmocka_unit_test(test_max_ejection_percent),
		cmocka_unit_test(test_next_upstream),
		cmocka_unit_test(test_all_together),
		cmocka_unit_test(test_health_in_include),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
