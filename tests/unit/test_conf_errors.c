/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf error paths, lexing and structure: every error the lexer and the
 * block/directive parser report, as exact "file:line:col: message" lines;
 * recovery (all errors of a file in one run), limits, file loading and
 * includes. Validation errors of each directive: test_conf_semantic.c.
 *
 * Not covered: "out of memory" and glob(3) failures other than "no match",
 * which need fault injection.
 */
#include "conf_err_harness.h"


/* Inputs after the first line mostly start with a valid interface so that
 * "no interface defined" does not join every expected output. */
static const struct err_case cases[] = {
	{"lexer", "nul byte", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:80;\000\n"),
		"t.conf:2:22: NUL byte in config text\n"},
	{"lexer", "nul in word", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "liste\000n 198.18.0.1:80;\n"),
		"t.conf:2:6: NUL byte in config text\n"},
	{"lexer", "nul in comment", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "# a comment \000 here\n"),
		"t.conf:2:13: NUL byte in config text\n"},
	{"lexer", "control char between tokens", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen \001198.18.0.1:80;\n"),
		"t.conf:2:8: control character 0x01 in config text\n"},
	{"lexer", "control char in quoted string", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "route exact \"/a\tb\" { upstream u; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"),
		"t.conf:2:16: control character 0x09 in config text\n"},
	{"lexer", "del char in word", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:80\177;\n"),
		"t.conf:2:21: control character 0x7f in config text\n"},
	{"lexer", "unterminated string at eof", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "route exact \"/abc"),
		"t.conf:2:13: unterminated string (missing closing \")\n"},
	{"lexer", "unterminated string at newline", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "route exact '/abc { upstream u; }\n"
		  "listen 198.18.0.1:80;\n"),
		"t.conf:2:13: unterminated string (missing closing ')\n"},
	{"lexer", "junk after quoted string", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen \"198.18.0.1:80\"x;\n"),
		"t.conf:2:23: expected whitespace, \";\", \"{\" or \"}\" after quoted string\n"},
	{"lexer", "quote inside word", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:\"80\";\n"),
		"t.conf:2:19: unexpected quote inside a word\n"
		"t.conf:2:22: unexpected quote inside a word\n"},
	{"structure", "unknown directive at top level", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "lissen 198.18.0.1:80;\n"),
		"t.conf:2:1: unknown directive \"lissen\" at top level\n"},
	{"structure", "unknown directive in interface block", 0,
		T("interface net_tap0 {\n"
		  "    adress 198.18.0.1/24;\n"
		  "    address 198.18.0.1/24;\n"
		  "}\n"),
		"t.conf:2:5: unknown directive \"adress\" in interface block\n"},
	{"structure", "unknown directive in upstream block", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u {\n"
		  "\tserver 198.18.0.11:8000;\n"
		  "\tservers 198.18.0.12:8000;\n"
		  "}\n"),
		"t.conf:4:2: unknown directive \"servers\" in upstream block\n"},
	{"structure", "unknown directive in route block", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact / {\n"
		  "\tupstream u;\n"
		  "\thosts a.com;\n"
		  "}\n"),
		"t.conf:5:2: unknown directive \"hosts\" in route block\n"},
	{"structure", "directive in wrong context", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "server 198.18.0.11:8000;\n"),
		"t.conf:2:1: \"server\" directive is not allowed at top level (only in upstream block)\n"},
	{"structure", "main directive inside a block", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24;\n"
		  "\tlisten 198.18.0.1:80;\n"
		  "}\n"),
		"t.conf:3:2: \"listen\" directive is not allowed in interface block (only at top level)\n"},
	{"structure", "directive known in two other contexts", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24;\n"
		  "\tupstream u;\n"
		  "}\n"),
		"t.conf:3:2: \"upstream\" directive is not allowed in interface block (only at top level or in route block)\n"},
	{"structure", "missing semicolon before close brace", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24\n"
		  "}\n"),
		"t.conf:2:23: missing \";\" after \"address\" directive\n"},
	{"structure", "missing semicolon at eof", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:80"),
		"t.conf:2:21: missing \";\" after \"listen\" directive\n"},
	{"structure", "block directive without block", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u;\n"),
		"t.conf:2:1: \"upstream\" directive needs a block (usage: upstream NAME { server ...; })\n"},
	{"structure", "plain directive with block", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:80 { }\n"),
		"t.conf:2:1: \"listen\" directive takes no block (usage: listen A.B.C.D:PORT [http|tls|echo|discard|source SIZE|relay UPSTREAM];)\n"},
	{"structure", "missing argument", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen;\n"),
		"t.conf:2:1: wrong number of arguments in \"listen\" directive (usage: listen A.B.C.D:PORT [http|tls|echo|discard|source SIZE|relay UPSTREAM];)\n"},
	{"structure", "extra argument", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24 198.18.0.2/24;\n"
		  "}\n"),
		"t.conf:2:2: wrong number of arguments in \"address\" directive (usage: address A.B.C.D/N;)\n"},
	{"structure", "route with one argument", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route /a { upstream u; }\n"),
		"t.conf:3:1: wrong number of arguments in \"route\" directive (usage: route exact|prefix|regex PATH { ... })\n"},
	{"structure", "too many arguments counted", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000 a b c d e f g h i; }\n"),
		"t.conf:2:14: wrong number of arguments in \"server\" directive (usage: server A.B.C.D:PORT [weight=N] [drain];)\n"},
	{"structure", "duplicate once directive", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24;\n"
		  "\tmtu 1500;\n"
		  "\tmtu 9000;\n"
		  "}\n"),
		"t.conf:4:2: duplicate \"mtu\" directive (first at t.conf:3:2)\n"},
	{"structure", "missing required directive", 0,
		T("interface net_tap0 {\n"
		  "\tmtu 1500;\n"
		  "}\n"
		  "interface net_tap1 { address 198.18.1.1/24; }\n"),
		"t.conf:1:1: missing \"address\" directive in interface block\n"},
	{"structure", "unterminated block", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u {\n"
		  "\tserver 198.18.0.11:8000;\n"),
		"t.conf:2:1: \"upstream\" block is not closed (missing \"}\")\n"},
	{"structure", "unterminated nested skipped block", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "bogus {\n"
		  "\tx;\n"),
		"t.conf:2:1: unknown directive \"bogus\" at top level\n"
		"t.conf:2:1: \"bogus\" block is not closed (missing \"}\")\n"},
	{"structure", "unterminated http block", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "http {\n"
		  "\tkeepalive_timeout 0;\n"),
		"t.conf:2:1: \"http\" block is not closed (missing \"}\")\n"},
	{"structure", "unexpected close brace", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "}\n"),
		"t.conf:2:1: unexpected \"}\"\n"},
	{"structure", "unexpected semicolon", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  ";\n"),
		"t.conf:2:1: unexpected \";\"\n"},
	{"structure", "unexpected open brace", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "{ listen 1; }\n"
		  "listen 198.18.0.1:80;\n"),
		"t.conf:2:1: unexpected \"{\"\n"},
	{"structure", "no interface", 0,
		T("listen 0.0.0.0:80;\n"),
		"t.conf:1:1: no interface defined (at least one \"interface\" block is required)\n"},
	{"structure", "empty file", 0,
		T(""),
		"t.conf:1:1: no interface defined (at least one \"interface\" block is required)\n"},
	{"structure", "include disabled", 1,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "include \"x.conf\";\n"),
		"t.conf:2:1: \"include\" is disabled for this config\n"},
	{"structure", "include wrong arguments", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "include a b;\n"
		  "include;\n"
		  "include x { }\n"),
		"t.conf:2:1: wrong number of arguments in \"include\" directive (usage: include PATTERN;)\n"
		"t.conf:3:1: wrong number of arguments in \"include\" directive (usage: include PATTERN;)\n"
		"t.conf:4:1: wrong number of arguments in \"include\" directive (usage: include PATTERN;)\n"},
	{"multi", "multiple errors all reported", 0,
		T("interface net_tap0 {\n"
		  "    adress 198.18.0.1/24;\n"
		  "    address 198.18.0.1/24;\n"
		  "    gateway 10.0.0.1;\n"
		  "    vlan 5000;\n"
		  "}\n"
		  "listen 198.18.0.9:80;\n"
		  "upstream django-service {\n"
		  "    server 198.18.0.11:8000 weight=2000;\n"
		  "}\n"
		  "upstream django-service { server 198.18.0.12:8000; }\n"
		  "route regex \"/test01(/|$)(.*\" {\n"
		  "    upstream django;\n"
		  "    rewrite \"/$2\";\n"
		  "}\n"
		  "route regex \"/test02(/|$)(.*)\" {\n"
		  "    upstream flask-service;\n"
		  "    rewrite \"/$3\";\n"
		  "}\n"),
		"t.conf:2:5: unknown directive \"adress\" in interface block\n"
		"t.conf:5:10: invalid vlan \"5000\" (expected 1..4094)\n"
		"t.conf:4:13: gateway 10.0.0.1 is outside 198.18.0.0/24\n"
		"t.conf:9:36: invalid weight \"2000\" (expected 1..1000)\n"
		"t.conf:11:1: duplicate upstream \"django-service\" (first defined at t.conf:8:1)\n"
		"t.conf:12:29: invalid regex: missing closing parenthesis\n"
		"t.conf:18:15: rewrite uses $3 but the regex has 2 capture groups\n"
		"t.conf:7:8: listen address 198.18.0.9 is not an interface address (use 0.0.0.0 or the address of an interface)\n"
		"t.conf:13:14: upstream \"django\" is not defined\n"
		"t.conf:17:14: upstream \"flask-service\" is not defined\n"},
	{"multi", "recovery after bad statement", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:80 echo oops extra;\n"
		  "listen 198.18.0.1:81;\n"
		  "bogus { a; b { c; } d; }\n"
		  "listen 198.18.0.1:0;\n"),
		"t.conf:2:1: wrong number of arguments in \"listen\" directive (usage: listen A.B.C.D:PORT [http|tls|echo|discard|source SIZE|relay UPSTREAM];)\n"
		"t.conf:4:1: unknown directive \"bogus\" at top level\n"
		"t.conf:5:19: invalid port \"0\" (expected 1..65535)\n"},
	{"multi", "errors in every new block are all reported", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "route prefix / { upstream u; client_max_body_size 2t; }\n"
		  "upstream u {\n"
		  "    server 198.18.0.11:8000;\n"
		  "    keepalive 100000;\n"
		  "    connect_timeout 5s;\n"
		  "    connect_timeout 6s;\n"
		  "}\n"
		  "http {\n"
		  "    keepalive_timeout 2h;\n"
		  "    keepalive 32;\n"
		  "}\n"
		  "tcp { keepalive 0; }\n"),
		"t.conf:2:51: invalid client_max_body_size \"2t\" (expected a size such as 4096, 256k or 1m)\n"
		"t.conf:5:15: invalid keepalive \"100000\" (expected 0..65535)\n"
		"t.conf:7:5: duplicate \"connect_timeout\" directive (first at t.conf:6:5)\n"
		"t.conf:10:23: invalid keepalive_timeout \"2h\" (expected 0..1h)\n"
		"t.conf:11:5: \"keepalive\" directive is not allowed in http block (only in upstream block or in tcp block)\n"
		"t.conf:13:17: invalid keepalive \"0\" (expected 1s..24h or off)\n"},

};

static void
test_lexer(void **state)
{
	run_group("lexer");
}

static void
test_structure(void **state)
{
	run_group("structure");
}

static void
test_multiple_errors(void **state)
{
	run_group("multi");
}

static void
test_token_too_long(void **state)
{
	static const char pre[] = "interface net_tap0 { address 198.18.0.1/24; }\n"
				  "upstream u { server 198.18.0.11:8000; }\n"
				  "route exact ";
	static char text[sizeof(pre) + FO_CONF_TOKEN_MAX + 64];
	size_t n = strlen(pre);
	unsigned errs;
	char *out;

	memcpy(text, pre, n);
	/* quoted: 4097 value bytes */
	text[n] = '"';
	text[n + 1] = '/';
	memset(text + n + 2, 'a', FO_CONF_TOKEN_MAX);
	snprintf(text + n + 2 + FO_CONF_TOKEN_MAX, 62, "\" { upstream u; }\nlisten 198.18.0.1:0;\n");
	out = parse_errors(text, strlen(text), 0, &errs);
	assert_string_equal(out, "t.conf:3:13: token too long (limit 4096 bytes)\n"
				 "t.conf:4:19: invalid port \"0\" (expected 1..65535)\n");
	assert_int_equal(errs, 2);
	free(out);
	/* bare word: 4097 bytes, the statement is dropped whole */
	memset(text + n, 'b', FO_CONF_TOKEN_MAX + 1);
	snprintf(text + n + FO_CONF_TOKEN_MAX + 1, 63, " { upstream u; }\n");
	out = parse_errors(text, strlen(text), 0, &errs);
	assert_string_equal(out, "t.conf:3:13: token too long (limit 4096 bytes)\n");
	free(out);
}

static void
test_too_many_errors(void **state)
{
	char text[4096] = "interface net_tap0 { address 198.18.0.1/24; }\n";
	unsigned i, errs;
	char *out, *last;

	for (i = 0; i < 150; i++)
		memcpy(text + strlen(text), "x;\n", 4);
	out = parse_errors(text, strlen(text), 0, &errs);
	assert_int_equal(errs, FO_CONF_ERRORS_MAX + 1);
	assert_int_equal(count_lines(out), FO_CONF_ERRORS_MAX + 1);
	assert_memory_equal(out, "t.conf:2:1: unknown directive \"x\" at top level\n", 46);
	last = strstr(out, "t.conf:102:1:");
	assert_non_null(last);
	assert_string_equal(last, "t.conf:102:1: too many errors (limit 100), giving up\n");
	free(out);
}

static void
test_text_too_large(void **state)
{
	size_t len = (size_t)FO_CONF_FILE_MAX + 1;
	char *text = malloc(len);
	unsigned errs;
	char *out;

	assert_non_null(text);
	memset(text, ' ', len);
	out = parse_errors(text, len, 0, &errs);
	assert_string_equal(out, "t.conf:1:1: file too large (16777217 bytes, limit 16777216)\n");
	assert_int_equal(errs, 1);
	free(out);
	free(text);
}

static void
test_load_errors(void **state)
{
	char dir[] = "/tmp/fo-conf-test-XXXXXX", path[64];
	unsigned errs;
	char *out;
	int fd;

	out = load_errors("conf/nonexistent.conf", &errs);
	assert_string_equal(out, "conf/nonexistent.conf:1:1: cannot read file: No such file or directory\n");
	assert_int_equal(errs, 1);
	free(out);
	out = load_errors("conf", &errs);
	assert_string_equal(out, "conf:1:1: cannot read file: Is a directory\n");
	free(out);
	out = load_errors("/dev/null", &errs);
	assert_string_equal(out, "/dev/null:1:1: cannot read file: not a regular file\n");
	free(out);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)FO_CONF_FILE_MAX + 1), 0); /* sparse */
	close(fd);
	out = load_errors(path, &errs);
	assert_non_null(strstr(out, "/big.conf:1:1: cannot read file: file too large (limit 16 MiB)\n"));
	assert_int_equal(errs, 1);
	free(out);
	unlink(path);
	rmdir(dir);
}

static void
test_include_fixtures(void **state)
{
	unsigned errs;
	char *out;

	out = load_errors("conf/bad/missing.conf", &errs);
	assert_string_equal(out, "conf/bad/missing.conf:2:9: cannot read included file "
				 "\"conf/bad/does-not-exist.conf\": No such file or directory\n");
	assert_int_equal(errs, 1); /* the glob matching nothing is not an error */
	free(out);

	out = load_errors("conf/bad/cycle-a.conf", &errs);
	assert_string_equal(out, "conf/bad/cycle-b.conf:2:9: include cycle: "
				 "\"conf/bad/cycle-a.conf\" is already being read\n");
	free(out);

	out = load_errors("conf/bad/self.conf", &errs);
	assert_string_equal(out, "conf/bad/self.conf:2:9: include cycle: "
				 "\"conf/bad/self.conf\" is already being read\n");
	free(out);

	out = load_errors("conf/bad/errors-in-include.conf", &errs);
	assert_string_equal(out,
		"conf/bad/sub/broken.conf:2:2: unknown directive \"servr\" in upstream block\n"
		"conf/bad/sub/broken.conf:4:1: unexpected \"}\"\n"
		"conf/bad/errors-in-include.conf:3:9: cannot read included file \"conf/bad/sub\": "
		"Is a directory\n"
		"conf/bad/errors-in-include.conf:4:19: invalid port \"0\" (expected 1..65535)\n");
	assert_int_equal(errs, 4);
	free(out);
}

static void
write_file(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	va_list ap;

	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

static void
test_include_too_deep(void **state)
{
	char dir[] = "/tmp/fo-conf-test-XXXXXX", path[128], want[256];
	unsigned i, errs;
	char *out;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d0.conf", dir);
	write_file(path, "interface net_tap0 { address 198.18.0.1/24; }\ninclude \"d1.conf\";\n");
	for (i = 1; i <= FO_CONF_INCLUDE_DEPTH_MAX + 1; i++) {
		snprintf(path, sizeof(path), "%s/d%u.conf", dir, i);
		write_file(path, "include \"d%u.conf\";\n", i + 1);
	}
	snprintf(path, sizeof(path), "%s/d0.conf", dir);
	out = load_errors(path, &errs);
	snprintf(want, sizeof(want), "%s/d16.conf:1:9: includes nested too deeply (limit 16)\n", dir);
	assert_string_equal(out, want);
	assert_int_equal(errs, 1);
	free(out);
	for (i = 0; i <= FO_CONF_INCLUDE_DEPTH_MAX + 1; i++) {
		snprintf(path, sizeof(path), "%s/d%u.conf", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

static void
test_include_too_many_files(void **state)
{
	char dir[] = "/tmp/fo-conf-test-XXXXXX", path[128], want[256];
	unsigned i, errs;
	char *out;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/e.inc", dir);
	write_file(path, "# empty\n");
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "interface net_tap0 { address 198.18.0.1/24; }\n");
	for (i = 0; i < FO_CONF_FILES_MAX + 5; i++)
		fprintf(f, "include e.inc;\n");
	fclose(f);
	out = load_errors(path, &errs);
	/* the main file counts: the 1024th include is the 1025th file */
	snprintf(want, sizeof(want), "%s/main.conf:1025:9: too many files (limit 1024)\n", dir);
	assert_memory_equal(out, want, strlen(want));
	assert_int_equal(errs, 6);
	free(out);
	unlink(path);
	snprintf(path, sizeof(path), "%s/e.inc", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lexer),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_token_too_long),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_text_too_large),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_include_fixtures),
		cmocka_unit_test(test_include_too_deep),
		cmocka_unit_test(test_include_too_many_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}