/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf: `balance` and `sticky cookie` in an upstream. Values, defaults,
 * the ingress-nginx upstream-hash-by spellings, dump and round trip; then
 * every error, as "file:line:col: message".
 * Runs with the working directory tests/unit.
 */
#include "conf_err_harness.h"
#include "conf_parse_harness.h"

#define IFC "interface a { address 198.18.0.1/24; }\n"
#define UP(body) IFC "upstream u {\n\tserver 198.18.0.11:80;\n" body "}\n"
/* upstream @p name, one server, then @p body: the body starts on the third line */
#define UPN(name, body) "upstream " name " {\n\tserver 198.18.0.11:80;\n" body "}\n"

static void
test_defaults(void **state)
{
	struct fo_conf *c = parse_ok(UP(""));
	const struct fo_conf_balance *b = &c->upstreams[0].balance;
	char *text;

	(void)state;
	assert_int_equal(b->kind, FO_CONF_BAL_ROUND_ROBIN);
	assert_int_equal(b->hash_key, FO_CONF_HASH_NONE);
	assert_false(b->sticky);
	assert_null(b->cookie);
	assert_null(b->loc.file);
	/* nothing written at the defaults */
	text = dump(c);
	assert_null(strstr(text, "balance"));
	assert_null(strstr(text, "sticky"));
	free(text);
	fo_conf_free(c);
}

static void
test_algorithms(void **state)
{
	static const struct {
		const char *text;
		unsigned kind;
	} t[] = {
		{"round_robin", FO_CONF_BAL_ROUND_ROBIN},
		{"least_conn", FO_CONF_BAL_LEAST_CONN},
		{"ewma", FO_CONF_BAL_EWMA},
		{"random", FO_CONF_BAL_RANDOM},
	};
	char text[256];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fo_conf *c;

		snprintf(text, sizeof(text), UP("\tbalance %s;\n"), t[i].text);
		c = parse_ok(text);
		assert_int_equal(c->upstreams[0].balance.kind, t[i].kind);
		assert_loc(&c->upstreams[0].balance.loc, "t.conf", 4, 2);
		check_round_trip(c);
		fo_conf_free(c);
	}
}

static void
test_hash_keys(void **state)
{
	static const struct {
		const char *key;
		unsigned hk;
		const char *name;
		const char *dumped;
	} t[] = {
		{"source_ip", FO_CONF_HASH_SOURCE_IP, NULL, "balance hash source_ip;"},
		{"$remote_addr", FO_CONF_HASH_SOURCE_IP, NULL, "balance hash source_ip;"},
		{"uri", FO_CONF_HASH_URI, NULL, "balance hash uri;"},
		{"$request_uri", FO_CONF_HASH_URI, NULL, "balance hash uri;"},
		{"header X-User", FO_CONF_HASH_HEADER, "x-user", "balance hash header \"x-user\";"},
		{"$http_x_user", FO_CONF_HASH_HEADER, "x-user", "balance hash header \"x-user\";"},
		{"cookie Session_ID", FO_CONF_HASH_COOKIE, "Session_ID",
			"balance hash cookie \"Session_ID\";"},
		{"$cookie_Session_ID", FO_CONF_HASH_COOKIE, "Session_ID",
			"balance hash cookie \"Session_ID\";"},
	};
	char text[256];
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct fo_conf *c;
		char *d;

		snprintf(text, sizeof(text), UP("\tbalance hash %s;\n"), t[i].key);
		c = parse_ok(text);
		assert_int_equal(c->upstreams[0].balance.kind, FO_CONF_BAL_HASH);
		assert_int_equal(c->upstreams[0].balance.hash_key, t[i].hk);
		assert_str_or_null(c->upstreams[0].balance.hash_name, t[i].name);
		d = dump(c);
		assert_non_null(strstr(d, t[i].dumped));
		free(d);
		check_round_trip(c);
		fo_conf_free(c);
	}
}

static void
test_sticky(void **state)
{
	struct fo_conf *c = parse_ok(UP("\tbalance least_conn;\n"
					"\tsticky cookie route path=/app max_age=3600 "
					"samesite=strict secure httponly;\n"));
	const struct fo_conf_balance *b = &c->upstreams[0].balance;
	char *d;

	(void)state;
	assert_int_equal(b->kind, FO_CONF_BAL_LEAST_CONN);
	assert_true(b->sticky);
	assert_string_equal(b->cookie, "route");
	assert_string_equal(b->path, "/app");
	assert_int_equal(b->max_age, 3600);
	assert_int_equal(b->samesite, FO_CONF_SAMESITE_STRICT);
	assert_true(b->secure);
	assert_true(b->httponly);
	assert_loc(&b->sticky_loc, "t.conf", 5, 2);
	d = dump(c);
	assert_non_null(strstr(d, "\tsticky cookie \"route\" \"path=/app\" max_age=3600 "
				  "samesite=strict secure httponly;\n"));
	free(d);
	check_round_trip(c);
	fo_conf_free(c);

	/* the least: a session cookie, Path / */
	c = parse_ok(UP("\tsticky cookie INGRESSCOOKIE;\n"));
	b = &c->upstreams[0].balance;
	assert_true(b->sticky);
	assert_string_equal(b->cookie, "INGRESSCOOKIE");
	assert_null(b->path);
	assert_int_equal(b->max_age, 0);
	assert_int_equal(b->samesite, FO_CONF_SAMESITE_UNSET);
	assert_false(b->secure);
	assert_false(b->httponly);
	check_round_trip(c);
	fo_conf_free(c);

	/* a path with a quote and a brace survives the dump */
	c = parse_ok(UP("\tsticky cookie s 'path=/a\"{b' samesite=none;\n"));
	assert_string_equal(c->upstreams[0].balance.path, "/a\"{b");
	check_round_trip(c);
	fo_conf_free(c);
}

#define KEYS                                                                                       \
	"source_ip, uri, header NAME, cookie NAME, $remote_addr, $request_uri, $http_NAME or "     \
	"$cookie_NAME"
#define TOKCH "letters, digits and \"!#$%&'*+-.^_`|~\""

static const struct err_case cases[] = {
	{"balance", "algorithm and arguments", 0,
		T(IFC UPN("u1", "\tbalance fastest;\n") UPN("u2", "\tbalance;\n") UPN(
			"u3", "\tbalance hash;\n") UPN("u4", "\tbalance ewma now;\n") UPN("u5",
			"\tbalance round_robin;\n\tbalance random;\n") "balance ewma;\n"),
		"t.conf:4:10: unknown balance algorithm \"fastest\" (expected round_robin, "
		"least_conn, ewma, random or hash)\n"
		"t.conf:8:2: wrong number of arguments in \"balance\" directive (usage: balance "
		"round_robin|least_conn|ewma|random|hash KEY...;)\n"
		"t.conf:12:10: balance hash needs a key (" KEYS ")\n"
		"t.conf:16:15: balance ewma takes no argument (only hash takes a key)\n"
		"t.conf:21:2: duplicate \"balance\" directive (first at t.conf:20:2)\n"
		"t.conf:23:1: \"balance\" directive is not allowed at top level (only in upstream "
		"block)\n"},
	{"balance", "hash keys", 0,
		T(IFC UPN("u6", "\tbalance hash $host;\n") UPN("u7", "\tbalance hash header;\n")
				UPN("u8", "\tbalance hash uri extra;\n")
					UPN("u9", "\tbalance hash header x-a extra;\n")
						UPN("u10", "\tbalance hash header \"a b\";\n") UPN(
							"u11", "\tbalance hash $cookie_a:b;\n")
							UPN("u12", "\tbalance hash $http_;\n")),
		"t.conf:4:15: unknown balance hash key \"$host\" (expected " KEYS ")\n"
		"t.conf:8:15: balance hash header needs a NAME (balance hash header NAME;)\n"
		"t.conf:12:19: unexpected \"extra\" after the balance hash key\n"
		"t.conf:16:26: unexpected \"extra\" after the balance hash key\n"
		"t.conf:20:24: invalid header name \"a b\" in balance hash (1..64 " TOKCH ")\n"
		"t.conf:24:24: invalid cookie name \"a:b\" in balance hash (1..64 " TOKCH ")\n"
		"t.conf:28:15: unknown balance hash key \"$http_\" (expected " KEYS ")\n"},
	{"sticky", "kind, name and options", 0,
		T(IFC UPN("u13", "\tsticky ip;\n") UPN("u14", "\tsticky cookie;\n") UPN(
			"u15", "\tsticky cookie a=b;\n") UPN("u16", "\tsticky cookie s ttl=5;\n")
				UPN("u17", "\tsticky cookie s secure secure;\n") UPN(
					"u18", "\tsticky cookie s max_age=-1 max_age=5;\n")
					UPN("u19", "\tsticky cookie s samesite=always;\n") UPN(
						"u20", "\tsticky cookie s path=app;\n") UPN("u21",
						"\tsticky cookie s \"path=/a b\";\n") UPN("u22",
						"\tsticky cookie s \"path=/a;b\";\n") UPN("u23",
						"\tsticky cookie s;\n\tsticky cookie t;\n")),
		"t.conf:4:9: unknown sticky kind \"ip\" (expected cookie)\n"
		"t.conf:8:9: sticky cookie needs a NAME (sticky cookie NAME ...;)\n"
		"t.conf:12:17: invalid sticky cookie name \"a=b\" (1..64 " TOKCH ")\n"
		"t.conf:16:18: unknown sticky option \"ttl=5\" (expected path=/P, "
		"max_age=SECONDS, samesite=lax|strict|none, secure or httponly)\n"
		"t.conf:20:25: duplicate sticky option \"secure\"\n"
		"t.conf:24:18: invalid sticky cookie max_age \"-1\" (seconds, 0..2147483647; 0: a "
		"session cookie)\n"
		"t.conf:24:29: duplicate sticky option \"max_age\"\n"
		"t.conf:28:18: invalid sticky cookie samesite \"always\" (expected lax, strict or "
		"none)\n"
		"t.conf:32:18: invalid sticky cookie path \"app\" (starts with \"/\", at most 128 "
		"bytes)\n"
		"t.conf:36:26: invalid byte 0x20 in sticky cookie path (no space, control, \";\", "
		"\",\" or non-ASCII byte)\n"
		"t.conf:40:26: invalid byte 0x3b in sticky cookie path (no space, control, \";\", "
		"\",\" or non-ASCII byte)\n"
		"t.conf:45:2: duplicate \"sticky\" directive (first at t.conf:44:2)\n"},
};

static void
test_balance_errors(void **state)
{
	(void)state;
	run_group("balance");
}

static void
test_sticky_errors(void **state)
{
	(void)state;
	run_group("sticky");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_algorithms),
		cmocka_unit_test(test_hash_keys),
		cmocka_unit_test(test_sticky),
		cmocka_unit_test(test_balance_errors),
		cmocka_unit_test(test_sticky_errors),
	};

	return cmocka_run_group_tests_name("conf_balance", tests, NULL, NULL);
}
