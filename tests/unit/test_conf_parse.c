/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf on good input: the seed config, every directive and its
 * default, lexical details (quotes, escapes, comments, CRLF), includes with
 * globs (fixture tree in conf/good/), limits that are still accepted, and
 * the round trip through fo_conf_dump(). The tcp and http blocks, upstream
 * tuning and route body size are in test_conf_tuning.c.
 * Runs with the working directory tests/unit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf_parse_harness.h"
#include "fo_conf.h"

static void
test_seed_config(void **state)
{
	struct fo_conf *c = load_ok("../../config/fanout.conf");
	const struct fo_conf_upstream *u;
	unsigned i;

	assert_int_equal(c->n_ifaces, 1);
	assert_string_equal(c->ifaces[0].dev, "net_tap0");
	assert_int_equal(c->ifaces[0].addr, ip("198.18.0.1"));
	assert_int_equal(c->ifaces[0].prefix_len, 24);
	assert_int_equal(c->ifaces[0].gateway, 0);
	assert_int_equal(c->ifaces[0].vlan, 0);
	assert_int_equal(c->ifaces[0].mtu, 1500);
	assert_int_equal(c->n_listens, 1);
	assert_int_equal(c->listens[0].addr, ip("198.18.0.1"));
	assert_int_equal(c->listens[0].port, 80);

	assert_int_equal(c->n_upstreams, 2);
	assert_int_equal(fo_conf_upstream_find(c, "django-service"), 0);
	assert_int_equal(fo_conf_upstream_find(c, "flask-service"), 1);
	assert_int_equal(fo_conf_upstream_find(c, "nope"), -1);
	u = &c->upstreams[0];
	assert_int_equal(u->n_servers, 3);
	for (i = 0; i < 3; i++) {
		char a[16];

		snprintf(a, sizeof(a), "198.18.0.%u", 11 + i);
		assert_int_equal(u->servers[i].addr, ip(a));
		assert_int_equal(u->servers[i].port, 8000);
		assert_int_equal(u->servers[i].weight, 1);
		snprintf(a, sizeof(a), "198.18.0.%u", 21 + i);
		assert_int_equal(c->upstreams[1].servers[i].addr, ip(a));
		assert_int_equal(c->upstreams[1].servers[i].port, 8000);
	}
	assert_int_equal(c->upstreams[1].n_servers, 3);

	assert_int_equal(c->n_routes, 2);
	for (i = 0; i < 2; i++) {
		const struct fo_conf_route *r = &c->routes[i];

		assert_int_equal(r->type, FO_CONF_PATH_REGEX);
		assert_string_equal(r->path, i == 0 ? "/test01(/|$)(.*)" : "/test02(/|$)(.*)");
		assert_null(r->host);
		assert_string_equal(r->rewrite, "/$2");
		assert_int_equal(r->upstream, i);
		assert_int_equal(r->n_captures, 2);
		assert_string_equal(r->loc.file, "../../config/fanout.conf");
		assert_int_equal(r->max_body_size, 1u << 20);
	}
	/* the http block spells out the defaults; upstream tuning is commented out */
	assert_loc(&c->http.loc, "../../config/fanout.conf", 34, 1);
	assert_http_defaults(&c->http);
	for (i = 0; i < 2; i++)
		assert_upstream_defaults(&c->upstreams[i]);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_defaults(void **state)
{
	struct fo_conf *c = parse_ok("interface 0 { address 10.1.2.3/8; }");

	assert_int_equal(c->n_ifaces, 1);
	assert_string_equal(c->ifaces[0].dev, "0");
	assert_int_equal(c->ifaces[0].addr, ip("10.1.2.3"));
	assert_int_equal(c->ifaces[0].prefix_len, 8);
	assert_int_equal(c->ifaces[0].gateway, 0);
	assert_int_equal(c->ifaces[0].vlan, 0);
	assert_int_equal(c->ifaces[0].mtu, 1500);
	assert_loc(&c->ifaces[0].loc, "t.conf", 1, 1);
	assert_int_equal(c->n_listens, 0);
	assert_int_equal(c->n_upstreams, 0);
	assert_int_equal(c->n_routes, 0);
	check_round_trip(c);
	fo_conf_free(c);
}

static const char every_directive[] =
	"# every directive, with values at the edges of their ranges\n"
	"interface net_tap0 {\n"
	"\taddress 198.18.0.1/24;\n"
	"\tgateway 198.18.0.254;\n"
	"\tvlan 4094;\n"
	"\tmtu 9000;\n"
	"}\n"
	"interface 0000:01:00.0 {\n"
	"\tmtu 576;\n"
	"\tvlan 1;\n"
	"\taddress 198.19.255.254/31;\n"
	"\tgateway 198.19.255.255;\n"
	"}\n"
	"interface net_af_packet0 { address 203.0.113.9/32; }\n"
	"listen 198.18.0.1:80;\n"
	"listen 198.18.0.1:65535;\n"
	"listen 0.0.0.0:1;\n"
	"route exact / {\n"
	"\tupstream web;          # defined below: forward references are fine\n"
	"}\n"
	"route prefix /static/ {\n"
	"\thost Static.Example.COM;\n"
	"\tupstream web;\n"
	"\trewrite /$0;\n"
	"}\n"
	"route regex \"^/u/([0-9]+)/(.*)$\" {\n"
	"\thost *.example.com;\n"
	"\tupstream api;\n"
	"\trewrite \"/users/$1?rest=$2&x=$$\";\n"
	"}\n"
	"route prefix /static/ {  # same path, other host: not a duplicate\n"
	"\tupstream web;\n"
	"}\n"
	"upstream web {\n"
	"\tserver 198.18.0.11:8000 weight=1000;\n"
	"\tserver 198.18.0.11:8001;\n"
	"\tserver 198.18.0.12:8000 weight=1;\n"
	"}\n"
	"upstream api { server 10.0.0.1:1; }\n";

static void
test_every_directive(void **state)
{
	struct fo_conf *c = parse_ok(every_directive);
	const struct fo_conf_route *r;

	assert_int_equal(c->n_ifaces, 3);
	assert_int_equal(c->ifaces[0].gateway, ip("198.18.0.254"));
	assert_int_equal(c->ifaces[0].vlan, 4094);
	assert_int_equal(c->ifaces[0].mtu, 9000);
	assert_string_equal(c->ifaces[1].dev, "0000:01:00.0");
	assert_int_equal(c->ifaces[1].addr, ip("198.19.255.254"));
	assert_int_equal(c->ifaces[1].prefix_len, 31);
	assert_int_equal(c->ifaces[1].gateway, ip("198.19.255.255"));
	assert_int_equal(c->ifaces[1].vlan, 1);
	assert_int_equal(c->ifaces[1].mtu, 576);
	assert_int_equal(c->ifaces[2].prefix_len, 32);
	assert_loc(&c->ifaces[1].loc, "t.conf", 8, 1);

	assert_int_equal(c->n_listens, 3);
	assert_int_equal(c->listens[1].port, 65535);
	assert_int_equal(c->listens[2].addr, 0);
	assert_int_equal(c->listens[2].port, 1);
	assert_loc(&c->listens[2].loc, "t.conf", 17, 1);

	assert_int_equal(c->n_upstreams, 2);
	assert_string_equal(c->upstreams[0].name, "web");
	assert_int_equal(c->upstreams[0].n_servers, 3);
	assert_int_equal(c->upstreams[0].servers[0].weight, 1000);
	assert_int_equal(c->upstreams[0].servers[1].port, 8001);
	assert_int_equal(c->upstreams[0].servers[1].weight, 1);
	assert_loc(&c->upstreams[0].servers[2].loc, "t.conf", 37, 2);
	assert_int_equal(c->upstreams[1].servers[0].addr, ip("10.0.0.1"));

	assert_int_equal(c->n_routes, 4);
	r = &c->routes[0];
	assert_int_equal(r->type, FO_CONF_PATH_EXACT);
	assert_string_equal(r->path, "/");
	assert_null(r->host);
	assert_null(r->rewrite);
	assert_int_equal(r->upstream, 0);
	assert_int_equal(r->n_captures, 0);
	r = &c->routes[1];
	assert_int_equal(r->type, FO_CONF_PATH_PREFIX);
	assert_string_equal(r->host, "static.example.com"); /* lower-cased */
	assert_string_equal(r->rewrite, "/$0");
	r = &c->routes[2];
	assert_int_equal(r->type, FO_CONF_PATH_REGEX);
	assert_string_equal(r->path, "^/u/([0-9]+)/(.*)$");
	assert_string_equal(r->host, "*.example.com");
	assert_string_equal(r->rewrite, "/users/$1?rest=$2&x=$$");
	assert_int_equal(r->upstream, 1);
	assert_int_equal(r->n_captures, 2);
	assert_loc(&r->loc, "t.conf", 26, 1);
	assert_null(c->routes[3].host);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_lexical_details(void **state)
{
	/* CRLF, tabs, comments everywhere, quotes of both kinds, escapes,
	 * a backslash that is not an escape kept as written, tokens glued to
	 * punctuation, directives split across lines */
	static const char text[] =
		"interface\tnet_tap0{address 198.18.0.1/24;}# comment right after\r\n"
		"upstream 'u' { server\r\n  198.18.0.11:8000\r\n  weight=3 ;}\r\n"
		"route regex \"/a\\\"b\\\\c\\d+'x\" { upstream u; }\n"
		"route regex '/q\\'\"' { upstream u ; } # \"quotes\" in a comment { ;\n"
		"route exact \"/sp#x;{}\" { upstream \"u\"; }\n"
		"route exact /h#ash\n"
		"{ upstream u; }\n"
		"#\n";
	struct fo_conf *c = parse_ok(text);

	assert_int_equal(c->upstreams[0].servers[0].weight, 3);
	assert_string_equal(c->routes[0].path, "/a\"b\\c\\d+'x");
	assert_string_equal(c->routes[1].path, "/q'\"");
	assert_string_equal(c->routes[2].path, "/sp#x;{}");
	assert_string_equal(c->routes[3].path, "/h"); /* '#' ends a bare word */
	assert_loc(&c->routes[0].loc, "t.conf", 5, 1);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_includes_glob(void **state)
{
	struct fo_conf *c = load_ok("conf/good/main.conf");

	assert_int_equal(c->n_ifaces, 1);
	assert_string_equal(c->ifaces[0].dev, "0");
	assert_int_equal(c->ifaces[0].vlan, 100);
	assert_loc(&c->ifaces[0].loc, "conf/good/ifaces.conf", 1, 1);
	assert_int_equal(c->n_listens, 1);
	assert_loc(&c->listens[0].loc, "conf/good/main.conf", 4, 1);
	/* servers included inside the upstream block, glob order */
	assert_int_equal(c->n_upstreams, 1);
	assert_int_equal(c->upstreams[0].n_servers, 2);
	assert_int_equal(c->upstreams[0].servers[0].weight, 5);
	assert_loc(&c->upstreams[0].servers[0].loc, "conf/good/servers/a.inc", 1, 1);
	assert_loc(&c->upstreams[0].servers[1].loc, "conf/good/servers/b.inc", 1, 1);
	/* routes.d/ read in sorted order; README not matched */
	assert_int_equal(c->n_routes, 2);
	assert_string_equal(c->routes[0].path, "/api");
	assert_loc(&c->routes[0].loc, "conf/good/routes.d/10-api.conf", 1, 1);
	assert_string_equal(c->routes[1].path, "^/web/(.*)");
	assert_string_equal(c->routes[1].host, "*.example.com");
	assert_int_equal(c->routes[1].n_captures, 1);
	assert_loc(&c->routes[1].loc, "conf/good/routes.d/20-web.conf", 1, 1);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_include_from_memory(void **state)
{
	/* relative includes resolve against the directory of the given name */
	static const char text[] = "include ifaces.conf;\ninclude 'routes.d/1*.conf';\n"
				   "upstream api { server 198.18.0.9:80; }\n";
	struct fo_conf *c =
		fo_conf_parse("conf/good/virtual.conf", text, strlen(text), 0, NULL, NULL);

	assert_non_null(c);
	assert_int_equal(c->n_ifaces, 1);
	assert_int_equal(c->n_routes, 1);
	assert_loc(&c->routes[0].loc, "conf/good/routes.d/10-api.conf", 1, 1);
	fo_conf_free(c);
}

static void
test_include_sources(void **state)
{
	/* what a watcher looks at: the files read, then the glob patterns, even
	 * one that matches nothing yet */
	static const char text[] = "include ifaces.conf;\ninclude 'routes.d/1*.conf';\n"
				   "include 'later.d/*.conf';\n"
				   "upstream api { server 198.18.0.9:80; }\n";
	struct fo_conf *c =
		fo_conf_parse("conf/good/virtual.conf", text, strlen(text), 0, NULL, NULL);
	int glob = -1;

	assert_non_null(c);
	assert_string_equal(fo_conf_source(c, 0, &glob), "conf/good/virtual.conf");
	assert_int_equal(glob, 0);
	assert_string_equal(fo_conf_source(c, 1, &glob), "conf/good/ifaces.conf");
	assert_int_equal(glob, 0);
	assert_string_equal(fo_conf_source(c, 2, &glob), "conf/good/routes.d/10-api.conf");
	assert_int_equal(glob, 0);
	assert_string_equal(fo_conf_source(c, 3, &glob), "conf/good/routes.d/1*.conf");
	assert_int_equal(glob, 1);
	assert_string_equal(fo_conf_source(c, 4, &glob), "conf/good/later.d/*.conf");
	assert_int_equal(glob, 1);
	assert_null(fo_conf_source(c, 5, NULL));
	fo_conf_free(c);
}

static void
test_include_depth_limit_ok(void **state)
{
	char dir[] = "/tmp/fo-conf-test-XXXXXX", path[128];
	struct fo_conf *c;
	unsigned i;
	FILE *f;

	/* d0 (main) includes d1 ... d16: exactly FO_CONF_INCLUDE_DEPTH_MAX levels */
	assert_non_null(mkdtemp(dir));
	for (i = 0; i <= FO_CONF_INCLUDE_DEPTH_MAX; i++) {
		snprintf(path, sizeof(path), "%s/d%u.conf", dir, i);
		f = fopen(path, "w");
		assert_non_null(f);
		if (i < FO_CONF_INCLUDE_DEPTH_MAX)
			fprintf(f, "include \"%s/d%u.conf\";\n", dir, i + 1); /* absolute */
		else
			fprintf(f, "interface deep { address 198.18.0.1/24; }\n");
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/d0.conf", dir);
	c = load_ok(path);
	assert_string_equal(c->ifaces[0].dev, "deep");
	fo_conf_free(c);
	for (i = 0; i <= FO_CONF_INCLUDE_DEPTH_MAX; i++) {
		snprintf(path, sizeof(path), "%s/d%u.conf", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

static void
test_token_at_limit(void **state)
{
	static const char pre[] = "interface net_tap0 { address 198.18.0.1/24; }\n"
				  "upstream u { server 198.18.0.11:8000; }\nroute exact \"";
	size_t n = strlen(pre);
	char *text = malloc(n + FO_CONF_TOKEN_MAX + 64);
	struct fo_conf *c;

	assert_non_null(text);
	memcpy(text, pre, n);
	text[n] = '/';
	memset(text + n + 1, 'a', FO_CONF_TOKEN_MAX - 1);
	snprintf(text + n + FO_CONF_TOKEN_MAX, 64, "\" { upstream u; }\n");
	c = parse_ok(text);
	assert_int_equal(strlen(c->routes[0].path), FO_CONF_TOKEN_MAX);
	check_round_trip(c);
	fo_conf_free(c);
	free(text);
}

static void
test_many_objects(void **state)
{
	/* arrays grow past several doublings; everything freed (ASan/valgrind) */
	size_t cap = 1 << 20, len = 0;
	char *text = malloc(cap);
	struct fo_conf *c;
	unsigned i;

	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "upstream u {\n");
	for (i = 0; i < 300; i++)
		len += (size_t)snprintf(text + len, cap - len,
			"server 198.18.%u.%u:80 weight=%u;\n", i / 200, 1 + i % 200, 1 + i);
	len += (size_t)snprintf(text + len, cap - len, "}\n");
	for (i = 0; i < 40; i++)
		len += (size_t)snprintf(text + len, cap - len,
			"interface if%u { address 10.%u.0.1/16; }\nlisten 10.%u.0.1:80;\n", i, i,
			i);
	for (i = 0; i < 500; i++)
		len += (size_t)snprintf(text + len, cap - len,
			"route regex \"^/r%u/(a|b)/(.*)\" { upstream u; rewrite /$2/$1; host "
			"h%u.test; }\n",
			i, i % 7);
	c = parse_ok(text);
	assert_int_equal(c->upstreams[0].n_servers, 300);
	assert_int_equal(c->upstreams[0].servers[299].weight, 300);
	assert_int_equal(c->n_ifaces, 40);
	assert_int_equal(c->n_listens, 40);
	assert_int_equal(c->n_routes, 500);
	assert_string_equal(c->routes[499].host, "h2.test");
	check_round_trip(c);
	fo_conf_free(c);
	free(text);
}

static void
test_api_helpers(void **state)
{
	FILE *ro;
	struct fo_conf *c;
	unsigned n = 5;

	assert_string_equal(fo_conf_path_type_name(FO_CONF_PATH_EXACT), "exact");
	assert_string_equal(fo_conf_path_type_name(FO_CONF_PATH_PREFIX), "prefix");
	assert_string_equal(fo_conf_path_type_name(FO_CONF_PATH_REGEX), "regex");
	fo_conf_free(NULL);

	/* NULL error stream and NULL n_errors are fine; NULL name gets a default */
	c = fo_conf_parse(NULL, "interface a { address 1.2.3.4/24; }", 35, 0, NULL, &n);
	assert_non_null(c);
	assert_int_equal(n, 0);
	assert_string_equal(c->ifaces[0].loc.file, "<config>");
	/* the text need not be NUL-terminated: len bounds it */
	fo_conf_free(c);
	c = fo_conf_parse(
		"t.conf", "interface a { address 1.2.3.4/24; }garbage", 35, 0, NULL, NULL);
	assert_non_null(c);

	/* a stream that cannot be written makes fo_conf_dump fail */
	ro = fopen("/dev/null", "r");
	assert_non_null(ro);
	assert_int_equal(fo_conf_dump(c, ro), -EIO);
	fclose(ro);
	fo_conf_free(c);
}

static void
test_dump_text(void **state)
{
	struct fo_conf *c =
		parse_ok("interface net_tap0 { mtu 1400; address 198.18.0.1/24; "
			 "gateway 198.18.0.254; vlan 7; }\n"
			 "listen 0.0.0.0:8080;\n"
			 "route regex '/x\"y\\\\z' { rewrite '/'; upstream b; host A.b; }\n"
			 "upstream b { server 198.18.0.11:80 weight=2; }\n");
	char *text = dump(c);

	assert_string_equal(text, "# fanout configuration (normalised)\n\n"
				  "interface net_tap0 {\n"
				  "\taddress 198.18.0.1/24;\n"
				  "\tgateway 198.18.0.254;\n"
				  "\tvlan 7;\n"
				  "\tmtu 1400;\n"
				  "}\n\n"
				  "listen 0.0.0.0:8080;\n\n"
				  "upstream b {\n"
				  "\tserver 198.18.0.11:80 weight=2;\n"
				  "}\n\n"
				  "route regex \"/x\\\"y\\\\z\" {\n"
				  "\thost a.b;\n"
				  "\tupstream b;\n"
				  "\trewrite \"/\";\n"
				  "}\n\n");
	free(text);
	check_round_trip(c);
	fo_conf_free(c);
}

static void
test_services(void **state)
{
	struct fo_conf *c = parse_ok("interface net_tap0 { address 198.18.0.1/24; }\n"
				     "listen 198.18.0.1:80;\n"
				     "listen 198.18.0.1:81 http;\n"
				     "listen 198.18.0.1:7 echo;\n"
				     "listen 0.0.0.0:9 discard;\n"
				     "listen 198.18.0.1:19 source 64m;\n"
				     "listen 198.18.0.1:20 source 0;\n"
				     "listen 198.18.0.1:21 source 1024g;\n"
				     "listen 198.18.0.1:22 source 12345;\n"
				     "listen 198.18.0.1:8000 relay b;  # defined below\n"
				     "upstream a { server 198.18.0.10:1; }\n"
				     "upstream b { server 198.18.0.11:9000; server 198.18.0.12:9000; }\n");
	const struct fo_conf_listen *l = c->listens;
	char *text;

	assert_int_equal(c->n_listens, 9);
	assert_int_equal(l[0].service, FO_CONF_SVC_HTTP);
	assert_int_equal(l[1].service, FO_CONF_SVC_HTTP);
	assert_int_equal(l[2].service, FO_CONF_SVC_ECHO);
	assert_int_equal(l[2].port, 7);
	assert_int_equal(l[3].service, FO_CONF_SVC_DISCARD);
	assert_int_equal(l[3].addr, 0);
	assert_int_equal(l[4].service, FO_CONF_SVC_SOURCE);
	assert_int_equal(l[4].size, 64ull << 20);
	assert_int_equal(l[5].size, 0);
	assert_int_equal(l[6].size, FO_CONF_SOURCE_MAX);
	assert_int_equal(l[7].size, 12345);
	assert_int_equal(l[8].service, FO_CONF_SVC_RELAY);
	assert_int_equal(l[8].upstream, 1);
	assert_loc(&l[8].loc, "t.conf", 10, 1);
	assert_string_equal(fo_conf_service_name(FO_CONF_SVC_HTTP), "http");
	assert_string_equal(fo_conf_service_name(FO_CONF_SVC_RELAY), "relay");
	text = dump(c);
	assert_non_null(strstr(text, "listen 198.18.0.1:80;\n"
				     "listen 198.18.0.1:81;\n"
				     "listen 198.18.0.1:7 echo;\n"
				     "listen 0.0.0.0:9 discard;\n"
				     "listen 198.18.0.1:19 source 64m;\n"
				     "listen 198.18.0.1:20 source 0;\n"
				     "listen 198.18.0.1:21 source 1024g;\n"
				     "listen 198.18.0.1:22 source 12345;\n"
				     "listen 198.18.0.1:8000 relay b;\n"));
	free(text);
	check_round_trip(c);
	fo_conf_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_config),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_directive),
		cmocka_unit_test(test_lexical_details),
		cmocka_unit_test(test_includes_glob),
		cmocka_unit_test(test_include_from_memory),
		cmocka_unit_test(test_include_sources),
		cmocka_unit_test(test_include_depth_limit_ok),
		cmocka_unit_test(test_token_at_limit),
		cmocka_unit_test(test_many_objects),
		cmocka_unit_test(test_api_helpers),
		cmocka_unit_test(test_dump_text),
		cmocka_unit_test(test_services),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
