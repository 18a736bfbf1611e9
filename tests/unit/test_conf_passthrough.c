/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf SNI passthrough: `listen A:P passthrough;` and `tls passthrough`,
 * `passthrough NAME { upstream U; }` (exact and one-label wildcard names,
 * lower-cased, a trailing dot dropped), `passthrough_default U;`; the dump
 * and its round trip, fo_conf_passthrough_differ() (live reload), and every
 * error with its file:line:col.
 */
#include "conf_err_harness.h"
#include "conf_parse_harness.h"

#define IFC "interface net_tap0 { address 198.18.0.1/24; }\n"
#define UPS                                                                                        \
	"upstream a { server 198.18.0.2:8443; server 198.18.0.3:8443; }\n"                       \
	"upstream b { server 198.18.0.4:8443; }\n"

static void
same_pass(const struct fo_conf *a, const struct fo_conf *b)
{
	unsigned i;

	assert_int_equal(a->n_listens, b->n_listens);
	for (i = 0; i < a->n_listens; i++) {
		assert_int_equal(a->listens[i].tls, b->listens[i].tls);
		assert_int_equal(a->listens[i].passthrough, b->listens[i].passthrough);
	}
	assert_int_equal(fo_conf_passthrough_differ(a, b), 0);
}

static void
round_trip(const struct fo_conf *c)
{
	char *d = dump(c);
	struct fo_conf *again = parse_ok(d);

	same_pass(c, again);
	fo_conf_free(again);
	free(d);
}

static void
test_none(void **state)
{
	struct fo_conf *c = parse_ok(IFC "listen 198.18.0.1:443 tls;\n" UPS);

	(void)state;
	assert_int_equal(c->n_passthroughs, 0);
	assert_int_equal(c->has_pass_default, 0);
	assert_int_equal(c->listens[0].passthrough, 0);
	fo_conf_free(c);
}

static void
test_all(void **state)
{
	struct fo_conf *c, *d;
	char *text;

	(void)state;
	c = parse_ok(IFC "listen 198.18.0.1:443 passthrough;\n"
			 "listen 198.18.0.1:8443 tls passthrough;\n"
			 "listen 198.18.0.1:80;\n" UPS
			 "passthrough Secure.Example.COM. { upstream b; }\n"
			 "passthrough *.apps.example.com { upstream a; }\n"
			 "passthrough_default a;\n");
	assert_int_equal(c->listens[0].passthrough, 1);
	assert_int_equal(c->listens[0].tls, 0);
	assert_int_equal(c->listens[1].passthrough, 1);
	assert_int_equal(c->listens[1].tls, 1);
	assert_int_equal(c->listens[2].passthrough, 0);
	assert_int_equal(c->n_passthroughs, 2);
	assert_string_equal(c->passthroughs[0].name, "secure.example.com");
	assert_int_equal(c->passthroughs[0].upstream, 1);
	assert_string_equal(c->passthroughs[1].name, "*.apps.example.com");
	assert_int_equal(c->passthroughs[1].upstream, 0);
	assert_int_equal(c->passthroughs[1].loc.line, 8);
	assert_int_equal(c->has_pass_default, 1);
	assert_int_equal(c->pass_default, 0);
	text = dump(c);
	assert_non_null(strstr(text, "listen 198.18.0.1:443 passthrough;\n"));
	assert_non_null(strstr(text, "listen 198.18.0.1:8443 tls passthrough;\n"));
	assert_non_null(strstr(text, "passthrough secure.example.com {\n\tupstream b;\n}\n"));
	assert_non_null(strstr(text, "passthrough_default a;\n"));
	free(text);
	round_trip(c);

	/* what a reload compares: a name, its upstream, the default */
	d = parse_ok(IFC "listen 198.18.0.1:443 passthrough;\n" UPS
			 "passthrough secure.example.com { upstream a; }\n");
	assert_int_equal(fo_conf_passthrough_differ(c, d), 1);
	fo_conf_free(d);
	d = parse_ok(IFC "listen 198.18.0.1:443 passthrough;\n" UPS
			 "passthrough secure.example.com { upstream b; }\n"
			 "passthrough *.apps.example.com { upstream a; }\n");
	assert_int_equal(fo_conf_passthrough_differ(c, d), 1); /* no default */
	fo_conf_free(d);
	d = parse_ok(IFC "listen 198.18.0.1:443 passthrough;\n" UPS
			 "passthrough secure.example.com { upstream b; }\n"
			 "passthrough *.apps.example.com { upstream a; }\n"
			 "passthrough_default a;\n");
	assert_int_equal(fo_conf_passthrough_differ(c, d), 0);
	fo_conf_free(d);
	fo_conf_free(c);

	/* only a default: every ClientHello goes there */
	c = parse_ok(IFC "listen 198.18.0.1:443 passthrough;\n" UPS "passthrough_default b;\n");
	assert_int_equal(c->n_passthroughs, 0);
	assert_int_equal(c->pass_default, 1);
	round_trip(c);
	fo_conf_free(c);
	/* names without a passthrough listener parse (a listener may come with a restart) */
	c = parse_ok(IFC "listen 198.18.0.1:80;\n" UPS "passthrough x.example.com { upstream a; }\n");
	fo_conf_free(c);
}

#define LP IFC "listen 198.18.0.1:443 passthrough;\n" UPS

static const struct err_case cases[] = {
	{"errors", "listen arg", 0, T(IFC "listen 198.18.0.1:443 passthrough x;\n"),
		"t.conf:2:35: service \"passthrough\" takes no argument\n"},
	{"errors", "tls twice", 0,
		T(IFC "listen 198.18.0.1:443 tls;\nlisten 198.18.0.1:443 passthrough;\n"),
		"t.conf:3:1: duplicate listen 198.18.0.1:443 (first defined at t.conf:2:1)\n"},
	{"errors", "nothing", 0, T(LP),
		"t.conf:2:1: passthrough listener without anything to splice to (add passthrough "
		"NAME { upstream U; } or passthrough_default U;)\n"},
	{"errors", "mixed nothing", 0,
		T(IFC "listen 198.18.0.1:443 tls passthrough;\n" UPS "passthrough_default a;\n"),
		"t.conf:2:1: passthrough listener without anything to splice to (add passthrough "
		"NAME { upstream U; })\n"},
	{"errors", "bad name", 0, T(LP "passthrough a_b.example.com { upstream a; }\n"),
		"t.conf:5:13: invalid passthrough name \"a_b.example.com\" (expected a DNS name, or "
		"\"*.\" and a name of two labels or more, e.g. *.apps.example.com)\n"},
	{"errors", "tld wildcard", 0, T(LP "passthrough *.com { upstream a; }\n"),
		"t.conf:5:13: invalid passthrough name \"*.com\" (expected a DNS name, or \"*.\" and "
		"a name of two labels or more, e.g. *.apps.example.com)\n"},
	/* "*" alone, and "*." whose dot is dropped: nothing after the star to search
	 * (a fuzz_conf find: read past the name) */
	{"errors", "star alone", 0, T(LP "passthrough * { upstream a; }\n"),
		"t.conf:5:13: invalid passthrough name \"*\" (expected a DNS name, or \"*.\" and "
		"a name of two labels or more, e.g. *.apps.example.com)\n"},
	{"errors", "star dot", 0, T(LP "passthrough *. { upstream a; }\n"),
		"t.conf:5:13: invalid passthrough name \"*.\" (expected a DNS name, or \"*.\" and "
		"a name of two labels or more, e.g. *.apps.example.com)\n"},
	{"errors", "inner wildcard", 0, T(LP "passthrough a.*.example.com { upstream a; }\n"),
		"t.conf:5:13: invalid passthrough name \"a.*.example.com\" (expected a DNS name, or "
		"\"*.\" and a name of two labels or more, e.g. *.apps.example.com)\n"},
	{"errors", "twice", 0,
		T(LP "passthrough x.example.com { upstream a; }\n"
		     "passthrough X.example.com. { upstream b; }\n"),
		"t.conf:6:13: duplicate passthrough x.example.com (first defined at t.conf:5:1)\n"},
	{"errors", "no upstream", 0, T(LP "passthrough x.example.com { }\n"),
		"t.conf:5:1: passthrough block without upstream (upstream NAME;)\n"},
	{"errors", "undefined", 0, T(LP "passthrough x.example.com { upstream c; }\n"),
		"t.conf:5:38: upstream \"c\" is not defined\n"},
	{"errors", "default undefined", 0, T(LP "passthrough_default zz;\n"),
		"t.conf:5:21: upstream \"zz\" is not defined\n"},
	{"errors", "default twice", 0, T(LP "passthrough_default a;\npassthrough_default b;\n"),
		"t.conf:6:1: duplicate \"passthrough_default\" directive (first at t.conf:5:1)\n"},
	{"errors", "unknown inside", 0,
		T(LP "passthrough x.example.com { upstream a; host y; }\n"),
		"t.conf:5:41: \"host\" directive is not allowed in passthrough block (only in "
		"route block or in health_check block)\n"},
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
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
