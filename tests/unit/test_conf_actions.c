/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf: route actions (return, redirect { }, app_root, slash_redirect,
 * request_header, response_header, forwarded_prefix), default_backend and
 * http healthz. Good input: the model's fields, the round trip through
 * fo_conf_dump(), fo_conf_default_backend_find() and
 * fo_conf_actions_differ(). Bad input: a table of config text and the
 * exact "file:line:col: message" lines it must produce.
 */
#include <limits.h>

#include "conf_err_harness.h"
#include "fo_http.h"

#define IFC "interface net_tap0 { address 198.18.0.1/24; }\n"
#define UP "upstream u { server 198.18.0.11:80; }\n"

static const char good[] =
	IFC UP "upstream fb { server 198.18.0.12:80; }\n"
	"route prefix /old/ {\n"
	"\tredirect { status 308; scheme https; host New.Example; port 8443; prefix /new/; }\n"
	"}\n"
	"route exact /full { redirect { path /x; } }\n"
	"route exact /gone { return 301 \"https://example.com/a?b=1\"; upstream u; }\n"
	"route prefix / {\n"
	"\tupstream u;\n"
	"\tapp_root /app;\n"
	"\trequest_header set X-A \"1 2\";\n"
	"\trequest_header add X-B b;\n"
	"\trequest_header remove X-C;\n"
	"\tforwarded_prefix /p;\n"
	"\tresponse_header set Cache-Control no-store;\n"
	"\tresponse_header add Set-Cookie \"a=\\\"b\\\"\";\n"
	"\tresponse_header remove Server;\n"
	"}\n"
	"route prefix /docs/ { upstream u; slash_redirect on; }\n"
	"route prefix /plain/ { upstream u; slash_redirect off; }\n"
	"default_backend fb;\n"
	"default_backend u host *.example.com;\n"
	"default_backend fb host exact.example.com;\n"
	"http { healthz off; client_max_body_size 2m; }\n";

static struct fo_conf *
parse_good(const char *text)
{
	unsigned n = 77;
	struct fo_conf *c = fo_conf_parse("t.conf", text, strlen(text), 0, stderr, &n);

	assert_non_null(c);
	assert_int_equal(n, 0);
	return c;
}

static char *
dump_str(const struct fo_conf *c)
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
check_mod(const struct fo_http_mod *m, unsigned op, const char *name, const char *value)
{
	assert_int_equal(m->op, op);
	assert_string_equal(m->name, name);
	assert_int_equal(m->name_len, strlen(name));
	if (value == NULL) {
		assert_null(m->value);
	} else {
		assert_string_equal(m->value, value);
		assert_int_equal(m->value_len, strlen(value));
	}
}

static void
test_model(void **state)
{
	struct fo_conf *c = parse_good(good);
	const struct fo_conf_actions *a;

	assert_int_equal(c->n_routes, 6);
	a = c->routes[0].actions;
	assert_non_null(a);
	assert_int_equal(c->routes[0].upstream, UINT_MAX); /* none: it only redirects */
	assert_int_equal(a->redirect.kind, FO_CONF_REDIR_PARTS);
	assert_int_equal(a->redirect.status, 308);
	assert_string_equal(a->redirect.scheme, "https");
	assert_string_equal(a->redirect.host, "new.example");
	assert_int_equal(a->redirect.port, 8443);
	assert_int_equal(a->redirect.path_kind, FO_CONF_RPATH_PREFIX);
	assert_string_equal(a->redirect.path, "/new/");
	assert_int_equal(a->redirect.loc.line, 5);
	assert_int_equal(a->redirect.loc.col, 2);
	a = c->routes[1].actions;
	assert_int_equal(a->redirect.status, 302); /* Gateway API's default */
	assert_int_equal(a->redirect.path_kind, FO_CONF_RPATH_FULL);
	assert_null(a->redirect.scheme);
	assert_int_equal(a->redirect.port, 0);
	a = c->routes[2].actions;
	assert_int_equal(a->redirect.kind, FO_CONF_REDIR_URL);
	assert_string_equal(a->redirect.url, "https://example.com/a?b=1");
	assert_int_equal(c->routes[2].upstream, 0);
	a = c->routes[3].actions;
	assert_int_equal(a->redirect.kind, FO_CONF_REDIR_NONE);
	assert_string_equal(a->app_root, "/app");
	assert_int_equal(a->n_req_mods, 4);
	check_mod(&a->req_mods[0], FO_HTTP_MOD_SET, "X-A", "1 2");
	check_mod(&a->req_mods[1], FO_HTTP_MOD_ADD, "X-B", "b");
	check_mod(&a->req_mods[2], FO_HTTP_MOD_REMOVE, "X-C", NULL);
	check_mod(&a->req_mods[3], FO_HTTP_MOD_SET, "X-Forwarded-Prefix", "/p");
	assert_int_equal(a->n_resp_mods, 3);
	check_mod(&a->resp_mods[0], FO_HTTP_MOD_SET, "Cache-Control", "no-store");
	check_mod(&a->resp_mods[1], FO_HTTP_MOD_ADD, "Set-Cookie", "a=\"b\"");
	check_mod(&a->resp_mods[2], FO_HTTP_MOD_REMOVE, "Server", NULL);
	assert_true(c->routes[4].actions->slash_redirect);
	assert_null(c->routes[5].actions); /* slash_redirect off: nothing to do */
	assert_int_equal(c->n_default_backends, 3);
	assert_non_null(c->default_backend);
	assert_null(c->default_backend->host);
	assert_int_equal(c->default_backend->route.upstream, 1);
	assert_string_equal(c->default_backends[1].host, "*.example.com");
	assert_int_equal(c->default_backends[1].route.upstream, 0);
	assert_int_equal(c->default_backends[1].route.type, FO_CONF_PATH_PREFIX);
	assert_string_equal(c->default_backends[1].route.path, "/");
	assert_int_equal(c->default_backends[1].route.max_body_size, 2u << 20);
	assert_null(c->default_backends[1].route.actions);
	assert_int_equal(c->http.healthz, 0);
	fo_conf_free(c);
	c = parse_good(IFC UP "route prefix / { upstream u; }\n");
	assert_int_equal(c->http.healthz, 1);
	assert_null(c->routes[0].actions);
	assert_int_equal(c->n_default_backends, 0);
	assert_null(c->default_backend);
	fo_conf_free(c);
}

static void
test_round_trip(void **state)
{
	struct fo_conf *a = parse_good(good), *b;
	char *t1 = dump_str(a), *t2;

	b = parse_good(t1);
	t2 = dump_str(b);
	assert_string_equal(t1, t2);
	assert_int_equal(fo_conf_actions_differ(a, b), 0);
	assert_non_null(strstr(t1, "route prefix \"/old/\" {\n\tredirect {\n\t\tstatus 308;\n"
				   "\t\tscheme https;\n\t\thost new.example;\n\t\tport 8443;\n"
				   "\t\tprefix \"/new/\";\n\t}\n}\n"));
	assert_non_null(strstr(t1, "\tforwarded_prefix \"/p\";\n"));
	assert_non_null(strstr(t1, "\tresponse_header add Set-Cookie \"a=\\\"b\\\"\";\n"));
	assert_non_null(strstr(t1, "default_backend fb;\ndefault_backend u host *.example.com;\n"));
	assert_non_null(strstr(t1, "\thealthz off;\n"));
	free(t1);
	free(t2);
	fo_conf_free(a);
	fo_conf_free(b);
}

static void
test_differ(void **state)
{
	static const char *const variants[] = {
		IFC UP "route exact /a { return 302 /b; }\n",
		IFC UP "route exact /a { return 301 /b; }\n",
		IFC UP "route exact /a { return 301 /c; }\n",
		IFC UP "route exact /a { redirect { path /c; } }\n",
		IFC UP "route exact /a { redirect { path /c; port 81; } }\n",
		IFC UP "route exact /a { upstream u; }\n",
		IFC UP "route exact /a { upstream u; app_root /x; }\n",
		IFC UP "route exact /a { upstream u; request_header set X-A 1; }\n",
		IFC UP "route exact /a { upstream u; request_header set X-A 2; }\n",
		IFC UP "route exact /a { upstream u; request_header add X-A 2; }\n",
		IFC UP "route exact /a { upstream u; response_header add X-A 2; }\n",
		IFC UP "route exact /a { upstream u; }\ndefault_backend u;\n",
		IFC UP "route exact /a { upstream u; }\ndefault_backend u host a.example;\n",
		IFC UP "route exact /a { upstream u; }\nhttp { healthz off; }\n",
	};
	struct fo_conf *c[sizeof(variants) / sizeof(variants[0])];
	size_t n = sizeof(variants) / sizeof(variants[0]), i, j;

	for (i = 0; i < n; i++)
		c[i] = parse_good(variants[i]);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (fo_conf_actions_differ(c[i], c[j]) != (i != j))
				fail_msg("variants %zu and %zu", i, j);
	for (i = 0; i < n; i++)
		fo_conf_free(c[i]);
}

static void
test_default_backend_find(void **state)
{
	struct fo_conf *c = parse_good(good);
	const struct fo_conf_default_backend *g = c->default_backend, *w = &c->default_backends[1],
					     *e = &c->default_backends[2];
	static const struct {
		const char *host;
		int which; /* 0: global, 1: wildcard, 2: exact */
	} cases[] = {
		{"exact.example.com", 2},
		{"EXACT.Example.COM:8080", 2},
		{"exact.example.com.", 2},
		{"a.example.com", 1},
		{"b.example.com:80", 1},
		{"example.com", 0},
		{"a.b.example.com", 0}, /* Ingress wildcards: one label */
		{".example.com", 0},
		{"x", 0},
		{"[::1]:80", 0},
		{"", 0},
	};
	const struct fo_conf_default_backend *want[] = {g, w, e};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *h = cases[i].host;

		if (fo_conf_default_backend_find(c, h, strlen(h), 1) != want[cases[i].which])
			fail_msg("host \"%s\"", h);
		if (fo_conf_default_backend_find(c, h, strlen(h), 0) !=
			(cases[i].which ? want[cases[i].which] : NULL))
			fail_msg("host \"%s\", per-host only", h);
	}
	assert_ptr_equal(fo_conf_default_backend_find(c, NULL, 0, 1), g);
	fo_conf_free(c);
}

static const struct err_case cases[] = {
	{"redirect", "redirect values", 0,
		T(IFC UP "route prefix /a/ {\n"
			 "\tredirect { status 300; scheme ftp; host *.x.example; port 0; path a?b; }\n"
			 "}\n"
			 "route exact /b { redirect { status 301; } }\n"
			 "route exact /c { redirect { prefix /x; } }\n"
			 "route prefix /d { redirect { path /x; prefix /y; } upstream u; }\n"
			 "route prefix /e { redirect { path \"/x y\"; port 65536; host \"bad host\"; } }\n"
			 "route prefix /f { redirect { path \"/x#y\"; status; } }\n"
			 "route prefix /g { redirect { port 80; port 81; } redirect { } }\n"),
		"t.conf:4:20: invalid redirect status \"300\" (expected 301, 302, 303, 307 or 308)\n"
		"t.conf:4:32: invalid redirect scheme \"ftp\" (expected http or https)\n"
		"t.conf:4:42: invalid redirect host \"*.x.example\" (expected a DNS name)\n"
		"t.conf:4:60: invalid redirect port \"0\" (expected 1..65535)\n"
		"t.conf:4:68: redirect path \"a?b\" must start with \"/\"\n"
		"t.conf:6:18: redirect does not change the URL (set scheme, host, port, path or prefix)\n"
		"t.conf:7:29: redirect prefix replaces the matched prefix: it needs a prefix route (this one is exact)\n"
		"t.conf:8:39: a redirect has \"path\" or \"prefix\", not both (path at t.conf:8:30)\n"
		"t.conf:9:38: invalid byte 0x20 in redirect path (printable ASCII without spaces, \"?\" or \"#\")\n"
		"t.conf:9:48: invalid redirect port \"65536\" (expected 1..65535)\n"
		"t.conf:9:60: invalid redirect host \"bad host\" (expected a DNS name)\n"
		"t.conf:10:38: invalid byte 0x23 in redirect path (printable ASCII without spaces, \"?\" or \"#\")\n"
		"t.conf:10:43: wrong number of arguments in \"status\" directive (usage: status 301|302|303|307|308;)\n"
		"t.conf:11:39: duplicate \"port\" directive (first at t.conf:11:30)\n"
		"t.conf:11:50: duplicate \"redirect\" directive (first at t.conf:11:19)\n"},
	{"return", "return and what excludes it", 0,
		T(IFC UP "route exact /a { return 200 /x; }\n"
			 "route exact /b { return 301 ftp://x; }\n"
			 "route exact /c { return 302 \"http://x/a b\"; }\n"
			 "route exact /d { return 301 http://; }\n"
			 "route exact /e { return 301; }\n"
			 "route exact /f { return 301 /x; redirect { port 81; } }\n"
			 "route exact /g { redirect { port 81; } return 301 /x; app_root /z; slash_redirect on; }\n"
			 "route exact /h { }\n"
			 "route exact /i { return 301 /x; return 302 /y; }\n"
			 "route prefix /j/ { return 308 HTTPS://a/; slash_redirect on; }\n"),
		"t.conf:3:25: invalid return status \"200\" (expected 301, 302, 303, 307 or 308)\n"
		"t.conf:4:29: invalid return URL \"ftp://x\" (expected http://..., https://... or a path starting with \"/\")\n"
		"t.conf:5:40: invalid byte 0x20 in return URL (printable ASCII without spaces only)\n"
		"t.conf:6:29: invalid return URL \"http://\" (expected http://..., https://... or a path starting with \"/\")\n"
		"t.conf:7:18: wrong number of arguments in \"return\" directive (usage: return 301|302|303|307|308 URL;)\n"
		"t.conf:8:33: a route has \"return\" or \"redirect\", not both (first at t.conf:8:18)\n"
		"t.conf:9:83: slash_redirect needs a prefix route whose path ends with \"/\" (this one is exact \"/g\")\n"
		"t.conf:9:40: a route has \"return\" or \"redirect\", not both (first at t.conf:9:18)\n"
		"t.conf:9:55: \"app_root\" is never used: the route always redirects (\"redirect\" at t.conf:9:18)\n"
		"t.conf:9:68: \"slash_redirect\" is never used: the route always redirects (\"redirect\" at t.conf:9:18)\n"
		"t.conf:10:1: missing \"upstream\" directive in route block\n"
		"t.conf:11:33: duplicate \"return\" directive (first at t.conf:11:18)\n"
		"t.conf:12:43: \"slash_redirect\" is never used: the route always redirects (\"return\" at t.conf:12:20)\n"},
	{"app_root", "app_root and slash_redirect", 0,
		T(IFC UP "route prefix / { upstream u; app_root /; }\n"
			 "route prefix /a { upstream u; app_root x; }\n"
			 "route prefix /b { upstream u; app_root \"/a?b\"; }\n"
			 "route prefix /c { upstream u; slash_redirect on; }\n"
			 "route exact /d/ { upstream u; slash_redirect on; }\n"
			 "route prefix / { upstream u; host h.example; slash_redirect on; }\n"
			 "route prefix /e/ { upstream u; slash_redirect yes; }\n"
			 "route prefix /f/ { upstream u; slash_redirect off; slash_redirect on; }\n"),
		"t.conf:3:39: app_root \"/\" would redirect \"/\" to itself\n"
		"t.conf:4:40: app_root \"x\" must start with \"/\"\n"
		"t.conf:5:43: invalid byte 0x3f in app_root (printable ASCII without spaces, \"?\" or \"#\")\n"
		"t.conf:6:46: slash_redirect needs a prefix route whose path ends with \"/\" (this one is prefix \"/c\")\n"
		"t.conf:7:46: slash_redirect needs a prefix route whose path ends with \"/\" (this one is exact \"/d/\")\n"
		"t.conf:8:61: slash_redirect needs a prefix route whose path ends with \"/\" (this one is prefix \"/\")\n"
		"t.conf:9:47: invalid slash_redirect \"yes\" (expected on or off)\n"
		"t.conf:10:52: duplicate \"slash_redirect\" directive (first at t.conf:10:32)\n"},
	{"headers", "header modifiers", 0,
		T(IFC UP "route prefix / {\n"
			 "\tupstream u;\n"
			 "\trequest_header put X-A 1;\n"
			 "\trequest_header set X-A;\n"
			 "\trequest_header remove X-A 1;\n"
			 "\trequest_header set \"X A\" 1;\n"
			 "\tresponse_header set X-A \"caf\xc3\xa9\";\n"
			 "\trequest_header set X-A \" a\";\n"
			 "\tresponse_header set Content-Length 5;\n"
			 "\trequest_header add Host h;\n"
			 "\tresponse_header remove Connection;\n"
			 "\trequest_header set x-forwarded-for 1.2.3.4;\n"
			 "\trequest_header set X-B 1;\n"
			 "\trequest_header remove x-b;\n"
			 "\trequest_header add X-B 2;\n"
			 "\tforwarded_prefix /p;\n"
			 "\trequest_header set X-Forwarded-Prefix /q;\n"
			 "\tforwarded_prefix /r;\n"
			 "\trequest_header;\n"
			 "\tresponse_header set X-Ok \"tab\\tinside\";\n"
			 "\tforwarded_prefix \"/a \";\n"
			 "\tresponse_header add X-Upgrade \"\";\n"
			 "\tresponse_header set Upgrade h2c;\n"
			 "}\n"
			 "route prefix /fp { upstream u; forwarded_prefix \"/a \"; }\n"),
		"t.conf:5:17: unknown request_header operation \"put\" (expected set, add or remove)\n"
		"t.conf:6:17: request_header set needs a field name and a value\n"
		"t.conf:7:28: request_header remove takes a field name only\n"
		"t.conf:8:23: invalid field name \"X A\" in request_header (1-256 token characters: letters, digits, \"!#$%&'*+-.^_`|~\")\n"
		"t.conf:9:30: invalid byte 0xc3 in response_header value (visible ASCII, spaces and tabs only)\n"
		"t.conf:10:25: request_header value must not begin or end with a space or tab\n"
		"t.conf:11:22: field \"Content-Length\" cannot be modified (fanout interprets or writes it itself)\n"
		"t.conf:12:21: field \"Host\" cannot be modified (fanout interprets or writes it itself)\n"
		"t.conf:13:25: field \"Connection\" cannot be modified (fanout interprets or writes it itself)\n"
		"t.conf:14:21: field \"x-forwarded-for\" cannot be modified (fanout interprets or writes it itself)\n"
		"t.conf:16:24: field \"x-b\" is already set or removed by this route's request_header (one set or remove per field)\n"
		"t.conf:19:21: field \"X-Forwarded-Prefix\" is already set or removed by this route's request_header (one set or remove per field)\n"
		"t.conf:20:2: duplicate \"forwarded_prefix\" directive (first at t.conf:18:2)\n"
		"t.conf:21:2: wrong number of arguments in \"request_header\" directive (usage: request_header set|add NAME VALUE | remove NAME;)\n"
		"t.conf:23:2: duplicate \"forwarded_prefix\" directive (first at t.conf:18:2)\n"
		"t.conf:25:22: field \"Upgrade\" cannot be modified (fanout interprets or writes it itself)\n"
		"t.conf:27:49: forwarded_prefix value must not begin or end with a space or tab\n"},
	{"default_backend", "default_backend", 0,
		T(IFC UP "default_backend u;\n"
			 "default_backend nope host a.example;\n"
			 "default_backend u hots a.example;\n"
			 "default_backend u host;\n"
			 "default_backend u host \"a b\";\n"
			 "default_backend u host A.Example;\n"
			 "default_backend u host a.example;\n"
			 "default_backend u;\n"
			 "default_backend;\n"
			 "route exact /x { default_backend u; }\n"
			 "default_backend u host *.a.example extra;\n"
			 "http { healthz yes; }\n"),
		"t.conf:5:19: unknown default_backend option \"hots\" (expected host NAME)\n"
		"t.conf:6:19: default_backend host needs a name\n"
		"t.conf:7:24: invalid host \"a b\" (expected a DNS name, optionally \"*.\" first)\n"
		"t.conf:8:1: duplicate default_backend for host \"a.example\" (first at t.conf:4:1)\n"
		"t.conf:9:1: duplicate default_backend for host \"a.example\" (first at t.conf:4:1)\n"
		"t.conf:10:1: duplicate default_backend (first at t.conf:3:1)\n"
		"t.conf:11:1: wrong number of arguments in \"default_backend\" directive (usage: default_backend UPSTREAM [host NAME];)\n"
		"t.conf:12:18: \"default_backend\" directive is not allowed in route block (only at top level)\n"
		"t.conf:12:1: missing \"upstream\" directive in route block\n"
		"t.conf:13:1: wrong number of arguments in \"default_backend\" directive (usage: default_backend UPSTREAM [host NAME];)\n"
		"t.conf:14:16: invalid healthz \"yes\" (expected on or off)\n"
		"t.conf:4:17: upstream \"nope\" is not defined\n"},
	{"modifier_limit", "65 modifiers", 0,
		T(IFC UP "route prefix / { upstream u;\n"
#define M1(k) "request_header add X-" k " 1; "
#define M8(k) M1(k "a") M1(k "b") M1(k "c") M1(k "d") M1(k "e") M1(k "f") M1(k "g") M1(k "h")
#define M64(k) M8(k "a") M8(k "b") M8(k "c") M8(k "d") M8(k "e") M8(k "f") M8(k "g") M8(k "h")
			 M64("x") "\n"
			 "request_header add X-Over 1;\n}\n"),
		"t.conf:5:20: too many request_header modifiers in a route (at most 64)\n"},
};

static void
test_errors(void **state)
{
	run_group("redirect");
	run_group("return");
	run_group("app_root");
	run_group("headers");
	run_group("default_backend");
	run_group("modifier_limit");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_differ),
		cmocka_unit_test(test_default_backend_find),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
