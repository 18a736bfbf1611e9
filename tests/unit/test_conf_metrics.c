/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf `metrics` directive: the default endpoint (127.0.0.1:9091) when
 * the directive is absent, an address of its own, `metrics off`, the dump
 * (nothing for the default, the directive otherwise) and its round trip,
 * and the errors with their file:line:col.
 */
#include <arpa/inet.h>

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

/* The dump parses back to the same endpoint. */
static void
round_trip(const struct fo_conf *c)
{
	char *d = dump_text(c);
	struct fo_conf *again = parse_ok(d);

	assert_int_equal(again->metrics_addr, c->metrics_addr);
	assert_int_equal(again->metrics_port, c->metrics_port);
	fo_conf_free(again);
	free(d);
}

static void
test_default(void **state)
{
	struct fo_conf *c = parse_ok(IFC);
	char *d;

	(void)state;
	assert_int_equal(c->metrics_addr, htonl(0x7f000001));
	assert_int_equal(c->metrics_port, 9091);
	d = dump_text(c);
	assert_null(strstr(d, "metrics"));
	free(d);
	round_trip(c);
	fo_conf_free(c);
}

static void
test_address(void **state)
{
	struct fo_conf *c = parse_ok(IFC "metrics 0.0.0.0:9100;\n");
	char *d;

	(void)state;
	assert_int_equal(c->metrics_addr, 0);
	assert_int_equal(c->metrics_port, 9100);
	d = dump_text(c);
	assert_non_null(strstr(d, "metrics 0.0.0.0:9100;\n"));
	free(d);
	round_trip(c);
	fo_conf_free(c);
	/* any address: the endpoint is a kernel socket, not an interface of fanout's */
	c = parse_ok("metrics 198.19.7.1:9091;\n" IFC);
	assert_int_equal(c->metrics_addr, htonl(0xc6130701));
	round_trip(c);
	fo_conf_free(c);
}

static void
test_off(void **state)
{
	struct fo_conf *c = parse_ok(IFC "metrics off;\n");
	char *d;

	(void)state;
	assert_int_equal(c->metrics_port, 0);
	d = dump_text(c);
	assert_non_null(strstr(d, "metrics off;\n"));
	free(d);
	round_trip(c);
	fo_conf_free(c);
}

static const struct err_case cases[] = {
	{"errors", "address and port", 0, T(IFC "metrics 127.0.0.1;\n"),
		"t.conf:2:9: missing port in \"127.0.0.1\" (expected A.B.C.D:PORT)\n"},
	{"errors", "address", 0, T(IFC "metrics 1.2.3:80;\n"),
		"t.conf:2:9: invalid IPv4 address \"1.2.3\"\n"},
	{"errors", "port 0", 0, T(IFC "metrics 127.0.0.1:0;\n"),
		"t.conf:2:19: invalid port \"0\" (expected 1..65535)\n"},
	{"errors", "port too large", 0, T(IFC "metrics 127.0.0.1:70000;\n"),
		"t.conf:2:19: invalid port \"70000\" (expected 1..65535)\n"},
	{"errors", "arguments", 0, T(IFC "metrics;\nmetrics off now;\n"),
		"t.conf:2:1: wrong number of arguments in \"metrics\" directive (usage: metrics "
		"A.B.C.D:PORT|off;)\n"
		"t.conf:3:1: wrong number of arguments in \"metrics\" directive (usage: metrics "
		"A.B.C.D:PORT|off;)\n"},
	{"errors", "twice", 0, T(IFC "metrics off;\nmetrics 127.0.0.1:9100;\n"),
		"t.conf:3:1: duplicate \"metrics\" directive (first at t.conf:2:1)\n"},
	{"errors", "in a block", 0, T(IFC "upstream u { server 198.18.0.2:80; metrics off; }\n"),
		"t.conf:2:36: \"metrics\" directive is not allowed in upstream block (only at top "
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
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
