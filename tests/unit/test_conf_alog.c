/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf `access_log` directive: off when absent, a path with the
 * default format and buffer, both options, `access_log off`, the dump
 * (nothing when off) and its round trip, and the errors with their
 * file:line:col.
 */
#include "conf_err_harness.h"

#define IFC "interface net_tap0 { address 198.18.0.1/24; }\n"

static struct fo_conf *
parse_ok(const char *text)
{
	unsigned n = 99;
	struct fo_conf *c = fo_conf_parse("t.conf", text, strlen(text), 0, stderr, &n);

	assert_non_null(c);
	assert_int_equal(n, 0);
	return c;
}

static char *
dump_text(const struct fo_conf *c)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	assert_non_null(f);
	assert_int_equal(fo_conf_dump(c, f), 0);
	fclose(f);
	return out;
}

static void
round_trip(const struct fo_conf *c)
{
	char *d = dump_text(c);
	struct fo_conf *again = parse_ok(d);

	assert_string_equal(again->access_log_path, c->access_log_path);
	assert_int_equal(again->access_log_format, c->access_log_format);
	assert_int_equal(again->access_log_buffer, c->access_log_buffer);
	fo_conf_free(again);
	free(d);
}

static void
test_default_off(void **state)
{
	struct fo_conf *c = parse_ok(IFC);
	char *d;

	(void)state;
	assert_string_equal(c->access_log_path, "");
	assert_int_equal(c->access_log_buffer, FO_CONF_ALOG_BUFFER_DEFAULT);
	d = dump_text(c);
	assert_null(strstr(d, "access_log"));
	free(d);
	round_trip(c);
	fo_conf_free(c);
}

static void
test_path(void **state)
{
	struct fo_conf *c = parse_ok(IFC "access_log /var/log/fanout/access.log;\n");
	char *d;

	(void)state;
	assert_string_equal(c->access_log_path, "/var/log/fanout/access.log");
	assert_int_equal(c->access_log_format, FO_CONF_ALOG_UPSTREAMINFO);
	assert_int_equal(c->access_log_buffer, 4096);
	d = dump_text(c);
	assert_non_null(strstr(
		d, "access_log \"/var/log/fanout/access.log\" format=upstreaminfo buffer=4096;\n"));
	free(d);
	round_trip(c);
	fo_conf_free(c);
}

static void
test_options(void **state)
{
	struct fo_conf *c =
		parse_ok(IFC "access_log \"/tmp/a b\\\".log\" buffer=16 format=json;\n");

	(void)state;
	assert_string_equal(c->access_log_path, "/tmp/a b\".log");
	assert_int_equal(c->access_log_format, FO_CONF_ALOG_JSON);
	assert_int_equal(c->access_log_buffer, 16);
	round_trip(c);
	fo_conf_free(c);
	c = parse_ok(IFC "access_log /l format=upstreaminfo buffer=65536;\n");
	assert_int_equal(c->access_log_format, FO_CONF_ALOG_UPSTREAMINFO);
	assert_int_equal(c->access_log_buffer, 65536);
	fo_conf_free(c);
}

static void
test_off(void **state)
{
	struct fo_conf *c = parse_ok(IFC "access_log off;\n");
	char *d;

	(void)state;
	assert_string_equal(c->access_log_path, "");
	d = dump_text(c);
	assert_null(strstr(d, "access_log"));
	free(d);
	fo_conf_free(c);
}

static const struct err_case cases[] = {
	{"errors", "relative", 0, T(IFC "access_log logs/a.log;\n"),
		"t.conf:2:12: access_log needs an absolute path, not \"logs/a.log\"\n"},
	{"errors", "format", 0, T(IFC "access_log /a.log format=combined;\n"),
		"t.conf:2:19: unknown access_log format \"combined\" (expected upstreaminfo or "
		"json)\n"},
	{"errors", "buffer small", 0, T(IFC "access_log /a.log buffer=15;\n"),
		"t.conf:2:19: access_log buffer must be 16..65536 entries, not \"15\"\n"},
	{"errors", "buffer large", 0, T(IFC "access_log /a.log buffer=65537;\n"),
		"t.conf:2:19: access_log buffer must be 16..65536 entries, not \"65537\"\n"},
	{"errors", "buffer word", 0, T(IFC "access_log /a.log format=json buffer=many;\n"),
		"t.conf:2:31: access_log buffer must be 16..65536 entries, not \"many\"\n"},
	{"errors", "option", 0, T(IFC "access_log /a.log gzip;\n"),
		"t.conf:2:19: unknown access_log option \"gzip\" (expected format= or buffer=)\n"},
	{"errors", "off option", 0, T(IFC "access_log off format=json;\n"),
		"t.conf:2:16: access_log off takes no option\n"},
	{"errors", "arguments", 0, T(IFC "access_log;\n"),
		"t.conf:2:1: wrong number of arguments in \"access_log\" directive (usage: "
		"access_log PATH [format=upstreaminfo|json] [buffer=N]|off;)\n"},
	{"errors", "twice", 0, T(IFC "access_log off;\naccess_log /a;\n"),
		"t.conf:3:1: duplicate \"access_log\" directive (first at t.conf:2:1)\n"},
	{"errors", "in a block", 0, T(IFC "http { access_log /a; }\n"),
		"t.conf:2:8: \"access_log\" directive is not allowed in http block (only at top "
		"level)\n"},
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
		cmocka_unit_test(test_default_off),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
