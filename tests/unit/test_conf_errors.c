/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf error paths: every error the parser can report, each checked
 * as the exact "file:line:col: message" lines written to the error stream,
 * plus error counts, recovery (all errors of a file reported in one run),
 * includes, file-level errors and limits.
 *
 * Not covered: "out of memory" and glob(3) failures other than "no match",
 * which need fault injection.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fo_conf.h"

#define T(s) s, sizeof(s) - 1

struct err_case {
	const char *group;
	const char *name;
	unsigned flags;
	const char *text;
	size_t len;
	const char *want;
};

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
		"t.conf:2:1: \"listen\" directive takes no block (usage: listen A.B.C.D:PORT [http|echo|discard|source SIZE|relay UPSTREAM];)\n"},
	{"structure", "missing argument", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen;\n"),
		"t.conf:2:1: wrong number of arguments in \"listen\" directive (usage: listen A.B.C.D:PORT [http|echo|discard|source SIZE|relay UPSTREAM];)\n"},
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
		"t.conf:2:14: wrong number of arguments in \"server\" directive (usage: server A.B.C.D:PORT [weight=N];)\n"},
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
	{"interface", "bad device name", 0,
		T("interface \"net tap\" { address 198.18.0.1/24; }\n"),
		"t.conf:1:11: invalid interface device \"net tap\" (letters, digits, \"_-.:\"; at most 63 bytes)\n"},
	{"interface", "device name too long", 0,
		T("interface dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd { address 198.18.0.1/24; }\n"),
		"t.conf:1:11: invalid interface device \"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\" (letters, digits, \"_-.:\"; at most 63 bytes)\n"},
	{"interface", "duplicate device", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "interface net_tap0 { address 198.18.1.1/24; }\n"),
		"t.conf:2:1: duplicate interface \"net_tap0\" (first defined at t.conf:1:1)\n"},
	{"interface", "address without prefix", 0,
		T("interface net_tap0 { address 198.18.0.1; }\n"),
		"t.conf:1:30: missing prefix length in \"198.18.0.1\" (expected A.B.C.D/N)\n"},
	{"interface", "address bad octet", 0,
		T("interface net_tap0 { address 198.18.0.256/24; }\n"),
		"t.conf:1:30: invalid IPv4 address \"198.18.0.256\"\n"},
	{"interface", "address leading zero", 0,
		T("interface net_tap0 { address 198.018.0.1/24; }\n"),
		"t.conf:1:30: invalid IPv4 address \"198.018.0.1\"\n"},
	{"interface", "address three parts", 0,
		T("interface net_tap0 { address 198.18.1/24; }\n"),
		"t.conf:1:30: invalid IPv4 address \"198.18.1\"\n"},
	{"interface", "address five parts", 0,
		T("interface net_tap0 { address 198.18.0.1.5/24; }\n"),
		"t.conf:1:30: invalid IPv4 address \"198.18.0.1.5\"\n"},
	{"interface", "address empty part", 0,
		T("interface net_tap0 { address 198..0.1/24; }\n"),
		"t.conf:1:30: invalid IPv4 address \"198..0.1\"\n"},
	{"interface", "address trailing dot", 0,
		T("interface net_tap0 { address 198.18.0.1./24; }\n"),
		"t.conf:1:30: invalid IPv4 address \"198.18.0.1.\"\n"},
	{"interface", "address sign", 0,
		T("interface net_tap0 { address +198.18.0.1/24; }\n"),
		"t.conf:1:30: invalid IPv4 address \"+198.18.0.1\"\n"},
	{"interface", "prefix too long", 0,
		T("interface net_tap0 { address 198.18.0.1/33; }\n"),
		"t.conf:1:41: invalid prefix length \"33\" (expected 1..32)\n"},
	{"interface", "prefix zero", 0,
		T("interface net_tap0 { address 198.18.0.1/0; }\n"),
		"t.conf:1:41: invalid prefix length \"0\" (expected 1..32)\n"},
	{"interface", "prefix empty", 0,
		T("interface net_tap0 { address 198.18.0.1/; }\n"),
		"t.conf:1:41: invalid prefix length \"\" (expected 1..32)\n"},
	{"interface", "prefix not a number", 0,
		T("interface net_tap0 { address 198.18.0.1/2x; }\n"),
		"t.conf:1:41: invalid prefix length \"2x\" (expected 1..32)\n"},
	{"interface", "prefix huge", 0,
		T("interface net_tap0 { address 198.18.0.1/99999999999999999999999; }\n"),
		"t.conf:1:41: invalid prefix length \"99999999999999999999999\" (expected 1..32)\n"},
	{"interface", "address not unicast", 0,
		T("interface a { address 0.0.0.0/8; }\n"
		  "interface b { address 127.0.0.1/8; }\n"
		  "interface c { address 224.0.0.1/24; }\n"
		  "interface d { address 255.255.255.255/32; }\n"),
		"t.conf:1:23: address 0.0.0.0 is not a unicast host address\n"
		"t.conf:2:23: address 127.0.0.1 is not a unicast host address\n"
		"t.conf:3:23: address 224.0.0.1 is not a unicast host address\n"
		"t.conf:4:23: address 255.255.255.255 is not a unicast host address\n"},
	{"interface", "address is network", 0,
		T("interface net_tap0 { address 198.18.0.0/24; }\n"),
		"t.conf:1:30: address 198.18.0.0 is the network address of 198.18.0.0/24\n"},
	{"interface", "address is broadcast", 0,
		T("interface net_tap0 { address 198.18.0.255/24; }\n"),
		"t.conf:1:30: address 198.18.0.255 is the broadcast address of 198.18.0.0/24\n"},
	{"interface", "gateway bad address", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24;\n"
		  "\tgateway 198.18.0;\n"
		  "}\n"),
		"t.conf:3:10: invalid IPv4 address \"198.18.0\"\n"},
	{"interface", "gateway outside subnet", 0,
		T("interface net_tap0 {\n"
		  "\tgateway 198.18.1.254;\n"
		  "\taddress 198.18.0.1/24;\n"
		  "}\n"),
		"t.conf:2:10: gateway 198.18.1.254 is outside 198.18.0.0/24\n"},
	{"interface", "gateway is own address", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24;\n"
		  "\tgateway 198.18.0.1;\n"
		  "}\n"),
		"t.conf:3:10: gateway 198.18.0.1 is the interface's own address\n"},
	{"interface", "gateway is network", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24;\n"
		  "\tgateway 198.18.0.0;\n"
		  "}\n"),
		"t.conf:3:10: gateway 198.18.0.0 is the network address of 198.18.0.0/24\n"},
	{"interface", "gateway is broadcast", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24;\n"
		  "\tgateway 198.18.0.255;\n"
		  "}\n"),
		"t.conf:3:10: gateway 198.18.0.255 is the broadcast address of 198.18.0.0/24\n"},
	{"interface", "gateway with /32", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/32;\n"
		  "\tgateway 198.18.0.2;\n"
		  "}\n"),
		"t.conf:3:10: gateway 198.18.0.2 is outside 198.18.0.1/32\n"},
	{"interface", "vlan out of range", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24;\n"
		  "\tvlan 0;\n"
		  "}\n"
		  "interface net_tap1 {\n"
		  "\taddress 198.18.1.1/24;\n"
		  "\tvlan 4095;\n"
		  "}\n"),
		"t.conf:3:7: invalid vlan \"0\" (expected 1..4094)\n"
		"t.conf:7:7: invalid vlan \"4095\" (expected 1..4094)\n"},
	{"interface", "vlan not a number", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24;\n"
		  "\tvlan -1;\n"
		  "}\n"),
		"t.conf:3:7: invalid vlan \"-1\" (expected 1..4094)\n"},
	{"interface", "mtu out of range", 0,
		T("interface net_tap0 {\n"
		  "\taddress 198.18.0.1/24;\n"
		  "\tmtu 575;\n"
		  "}\n"
		  "interface net_tap1 {\n"
		  "\taddress 198.18.1.1/24;\n"
		  "\tmtu 9001;\n"
		  "}\n"),
		"t.conf:3:6: invalid mtu \"575\" (expected 576..9000)\n"
		"t.conf:7:6: invalid mtu \"9001\" (expected 576..9000)\n"},
	{"interface", "duplicate address", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "interface net_tap1 {\n"
		  "\taddress 198.18.0.1/16;\n"
		  "}\n"),
		"t.conf:3:10: duplicate address 198.18.0.1 (already on interface \"net_tap0\" at t.conf:1:1)\n"},
	{"listen", "missing port", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1;\n"),
		"t.conf:2:8: missing port in \"198.18.0.1\" (expected A.B.C.D:PORT)\n"},
	{"listen", "bad address", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.x:80;\n"),
		"t.conf:2:8: invalid IPv4 address \"198.18.0.x\"\n"},
	{"listen", "port zero", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:0;\n"),
		"t.conf:2:19: invalid port \"0\" (expected 1..65535)\n"},
	{"listen", "port too big", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:65536;\n"),
		"t.conf:2:19: invalid port \"65536\" (expected 1..65535)\n"},
	{"listen", "port empty", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:;\n"),
		"t.conf:2:19: invalid port \"\" (expected 1..65535)\n"},
	{"listen", "not an interface address", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.2:80;\n"),
		"t.conf:2:8: listen address 198.18.0.2 is not an interface address (use 0.0.0.0 or the address of an interface)\n"},
	{"listen", "duplicate", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:80;\n"
		  "listen 198.18.0.1:80;\n"),
		"t.conf:3:1: duplicate listen 198.18.0.1:80 (first defined at t.conf:2:1)\n"},
	{"listen", "overlap any then specific", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 0.0.0.0:80;\n"
		  "listen 198.18.0.1:80;\n"),
		"t.conf:3:1: listen 198.18.0.1:80 overlaps listen 0.0.0.0:80 at t.conf:2:1\n"},
	{"listen", "overlap specific then any", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:80;\n"
		  "listen 0.0.0.0:80;\n"),
		"t.conf:3:1: listen 0.0.0.0:80 overlaps listen 198.18.0.1:80 at t.conf:2:1\n"},
	{"upstream", "bad name", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream \"a b\" { server 198.18.0.11:8000; }\n"),
		"t.conf:2:10: invalid upstream name \"a b\" (letters, digits, \"_-.\"; at most 63 bytes)\n"},
	{"upstream", "name too long", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu { server 198.18.0.11:8000; }\n"),
		"t.conf:2:10: invalid upstream name \"uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu\" (letters, digits, \"_-.\"; at most 63 bytes)\n"},
	{"upstream", "duplicate", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "upstream u { server 198.18.0.12:8000; }\n"),
		"t.conf:3:1: duplicate upstream \"u\" (first defined at t.conf:2:1)\n"},
	{"upstream", "no servers", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u {\n"
		  "}\n"),
		"t.conf:2:1: missing \"server\" directive in upstream block\n"},
	{"upstream", "server missing port", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11; }\n"),
		"t.conf:2:21: missing port in \"198.18.0.11\" (expected A.B.C.D:PORT)\n"},
	{"upstream", "server bad address", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0:8000; }\n"),
		"t.conf:2:21: invalid IPv4 address \"198.18.0\"\n"},
	{"upstream", "server bad port", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:http; }\n"),
		"t.conf:2:33: invalid port \"http\" (expected 1..65535)\n"},
	{"upstream", "server not unicast", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 0.0.0.0:8000; server 224.1.1.1:80; }\n"),
		"t.conf:2:21: server address 0.0.0.0 is not a unicast address\n"
		"t.conf:2:42: server address 224.1.1.1 is not a unicast address\n"},
	{"upstream", "weight out of range", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u {\n"
		  "\tserver 198.18.0.11:8000 weight=0;\n"
		  "\tserver 198.18.0.12:8000 weight=1001;\n"
		  "\tserver 198.18.0.13:8000 weight=;\n"
		  "}\n"),
		"t.conf:3:33: invalid weight \"0\" (expected 1..1000)\n"
		"t.conf:4:33: invalid weight \"1001\" (expected 1..1000)\n"
		"t.conf:5:33: invalid weight \"\" (expected 1..1000)\n"},
	{"upstream", "duplicate weight", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u {\n"
		  "\tserver 198.18.0.11:8000 weight=2 weight=3;\n"
		  "}\n"),
		"t.conf:3:35: duplicate \"weight\" option\n"},
	{"upstream", "unknown option", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u {\n"
		  "\tserver 198.18.0.11:8000 backup;\n"
		  "\tserver 198.18.0.12:8000 Weight=2;\n"
		  "}\n"),
		"t.conf:3:26: unknown server option \"backup\" (expected weight=N)\n"
		"t.conf:4:26: unknown server option \"Weight=2\" (expected weight=N)\n"},
	{"upstream", "duplicate server", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u {\n"
		  "\tserver 198.18.0.11:8000;\n"
		  "\tserver 198.18.0.11:8000 weight=2;\n"
		  "}\n"),
		"t.conf:4:2: duplicate server 198.18.0.11:8000 (first defined at t.conf:3:2)\n"},
	{"route", "unknown type", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route glob /a* { upstream u; }\n"),
		"t.conf:3:7: unknown path type \"glob\" (expected exact, prefix or regex)\n"},
	{"route", "exact path without slash", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact a { upstream u; }\n"),
		"t.conf:3:13: exact path \"a\" must start with \"/\"\n"},
	{"route", "prefix path without slash", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route prefix \"\" { upstream u; }\n"),
		"t.conf:3:14: prefix path \"\" must start with \"/\"\n"},
	{"route", "space in path", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route prefix \"/a b\" { upstream u; }\n"),
		"t.conf:3:17: invalid byte 0x20 in path (printable ASCII without spaces only)\n"},
	{"route", "non-ascii in path", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact \"/caf\303\251\" { upstream u; }\n"),
		"t.conf:3:18: invalid byte 0xc3 in path (printable ASCII without spaces only)\n"},
	{"route", "empty regex", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route regex '' { upstream u; }\n"),
		"t.conf:3:13: empty regex\n"},
	{"route", "regex missing paren", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route regex \"/a(b\" { upstream u; }\n"),
		"t.conf:3:18: invalid regex: missing closing parenthesis\n"},
	{"route", "regex bad quantifier", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route regex \"/a/*+?x{2,1}\" { upstream u; }\n"),
		"t.conf:3:19: invalid regex: quantifier does not follow a repeatable item\n"},
	{"route", "regex error after escape", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route regex \"/\\\"a\\\"/[z-a]\" { upstream u; }\n"),
		"t.conf:3:24: invalid regex: range out of order in character class\n"},
	{"route", "regex bare word error", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route regex /x(?<n>a)(?<n>b) { upstream u; }\n"),
		"t.conf:3:27: invalid regex: two named subpatterns have the same name (PCRE2_DUPNAMES not set)\n"},
	{"route", "missing upstream", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact / {\n"
		  "\trewrite /x;\n"
		  "}\n"),
		"t.conf:3:1: missing \"upstream\" directive in route block\n"},
	{"route", "undefined upstream", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact / {\n"
		  "\tupstream django;\n"
		  "}\n"),
		"t.conf:4:11: upstream \"django\" is not defined\n"},
	{"route", "duplicate upstream directive", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact / {\n"
		  "\tupstream u;\n"
		  "\tupstream u;\n"
		  "}\n"),
		"t.conf:5:2: duplicate \"upstream\" directive (first at t.conf:4:2)\n"},
	{"route", "bad hosts", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact /1 { upstream u; host a..b; }\n"
		  "route exact /2 { upstream u; host -a.com; }\n"
		  "route exact /3 { upstream u; host a-.com; }\n"
		  "route exact /4 { upstream u; host a_b.com; }\n"
		  "route exact /5 { upstream u; host *; }\n"
		  "route exact /6 { upstream u; host a.*.com; }\n"
		  "route exact /7 { upstream u; host a.com:80; }\n"
		  "route exact /8 { upstream u; host aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com; }\n"
		  "route exact /9 { upstream u; host ''; }\n"
		  "route exact /10 { upstream u; host a.com.; }\n"),
		"t.conf:3:35: invalid host \"a..b\" (expected a DNS name, optionally \"*.\" first)\n"
		"t.conf:4:35: invalid host \"-a.com\" (expected a DNS name, optionally \"*.\" first)\n"
		"t.conf:5:35: invalid host \"a-.com\" (expected a DNS name, optionally \"*.\" first)\n"
		"t.conf:6:35: invalid host \"a_b.com\" (expected a DNS name, optionally \"*.\" first)\n"
		"t.conf:7:35: invalid host \"*\" (expected a DNS name, optionally \"*.\" first)\n"
		"t.conf:8:35: invalid host \"a.*.com\" (expected a DNS name, optionally \"*.\" first)\n"
		"t.conf:9:35: invalid host \"a.com:80\" (expected a DNS name, optionally \"*.\" first)\n"
		"t.conf:10:35: invalid host \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com\" (expected a DNS name, optionally \"*.\" first)\n"
		"t.conf:11:35: invalid host \"\" (expected a DNS name, optionally \"*.\" first)\n"
		"t.conf:12:36: invalid host \"a.com.\" (expected a DNS name, optionally \"*.\" first)\n"},
	{"route", "host too long", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact /1 { upstream u; host aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; }\n"),
		"t.conf:3:35: invalid host \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" (expected a DNS name, optionally \"*.\" first)\n"},
	{"route", "empty rewrite", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact / { upstream u; rewrite ''; }\n"),
		"t.conf:3:37: empty rewrite\n"},
	{"route", "space in rewrite", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact / { upstream u; rewrite '/a b'; }\n"),
		"t.conf:3:40: invalid byte 0x20 in rewrite (printable ASCII without spaces only)\n"},
	{"route", "capture in exact route", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact /a { upstream u; rewrite /b/$0/$1; }\n"),
		"t.conf:3:44: rewrite uses $1 but exact routes have no capture groups (only $0)\n"},
	{"route", "capture in prefix route", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route prefix /a { upstream u; rewrite '/$9'; }\n"),
		"t.conf:3:41: rewrite uses $9 but prefix routes have no capture groups (only $0)\n"},
	{"route", "capture beyond regex groups", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route regex \"/a/(.*)\" { upstream u; rewrite \"/$1/$2\"; }\n"
		  "route regex \"/b\" { upstream u; rewrite \"/$1\"; }\n"),
		"t.conf:3:50: rewrite uses $2 but the regex has 1 capture group\n"
		"t.conf:4:42: rewrite uses $1 but the regex has 0 capture groups\n"},
	{"route", "duplicate route", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route prefix /a { upstream u; }\n"
		  "route prefix /a {\n"
		  "\tupstream u;\n"
		  "}\n"),
		"t.conf:4:1: duplicate route prefix \"/a\" (first defined at t.conf:3:1)\n"},
	{"route", "duplicate route with host", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route prefix /a { upstream u; host A.com; }\n"
		  "route prefix /a { host a.COM; upstream u; }\n"),
		"t.conf:4:1: duplicate route prefix \"/a\" for host \"a.com\" (first defined at t.conf:3:1)\n"},
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
	{"service", "unknown service", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:7 echoo;\n"
		  "listen 198.18.0.1:8 HTTP;\n"),
		"t.conf:2:21: unknown service \"echoo\" (expected http, echo, discard, source SIZE or relay UPSTREAM)\n"
		"t.conf:3:21: unknown service \"HTTP\" (expected http, echo, discard, source SIZE or relay UPSTREAM)\n"},
	{"service", "argument to a service that takes none", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:7 echo 5;\n"
		  "listen 198.18.0.1:9 discard x;\n"
		  "listen 198.18.0.1:80 http 1;\n"),
		"t.conf:2:26: service \"echo\" takes no argument\n"
		"t.conf:3:29: service \"discard\" takes no argument\n"
		"t.conf:4:27: service \"http\" takes no argument\n"},
	{"service", "source without size", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:19 source;\n"),
		"t.conf:2:22: service \"source\" needs a size (e.g. source 64m)\n"},
	{"service", "relay without upstream", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:8080 relay;\n"),
		"t.conf:2:24: service \"relay\" needs an upstream (e.g. relay backends)\n"},
	{"service", "bad source sizes", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:1 source 64x;\n"
		  "listen 198.18.0.1:2 source m;\n"
		  "listen 198.18.0.1:3 source -1;\n"
		  "listen 198.18.0.1:4 source 1025g;\n"
		  "listen 198.18.0.1:5 source 1099511627777;\n"
		  "listen 198.18.0.1:6 source 64mb;\n"),
		"t.conf:2:28: invalid source size \"64x\" (expected a size such as 4096, 256k, 64m or 1g)\n"
		"t.conf:3:28: invalid source size \"m\" (expected a size such as 4096, 256k, 64m or 1g)\n"
		"t.conf:4:28: invalid source size \"-1\" (expected a size such as 4096, 256k, 64m or 1g)\n"
		"t.conf:5:28: invalid source size \"1025g\" (expected 0..1024g)\n"
		"t.conf:6:28: invalid source size \"1099511627777\" (expected 0..1024g)\n"
		"t.conf:7:28: invalid source size \"64mb\" (expected a size such as 4096, 256k, 64m or 1g)\n"},
	{"service", "relay to an undefined upstream", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "listen 198.18.0.1:8080 relay v;\n"),
		"t.conf:3:30: upstream \"v\" is not defined\n"},
	{"service", "too many arguments", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:19 source 1m 2m 3m;\n"),
		"t.conf:2:1: wrong number of arguments in \"listen\" directive (usage: listen A.B.C.D:PORT [http|echo|discard|source SIZE|relay UPSTREAM];)\n"},
	{"service", "bad service does not hide a duplicate", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:7 echo;\n"
		  "listen 198.18.0.1:7 discard;\n"
		  "listen 0.0.0.0:7 source 1k;\n"),
		"t.conf:3:1: duplicate listen 198.18.0.1:7 (first defined at t.conf:2:1)\n"
		"t.conf:4:1: listen 0.0.0.0:7 overlaps listen 198.18.0.1:7 at t.conf:2:1\n"},
	{"tcp", "duplicate tcp block", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp { sndbuf 64k; }\n"
		  "tcp { rcvbuf 64k; }\n"),
		"t.conf:3:1: duplicate \"tcp\" directive (first at t.conf:2:1)\n"},
	{"tcp", "tcp takes no argument", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp fast { }\n"
		  "tcp;\n"),
		"t.conf:2:1: wrong number of arguments in \"tcp\" directive (usage: tcp { ... })\n"
		"t.conf:3:1: \"tcp\" directive needs a block (usage: tcp { ... })\n"},
	{"tcp", "unknown and misplaced directives", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp {\n"
		  "\tmax_conns 10;\n"
		  "\tmtu 1500;\n"
		  "}\n"
		  "sndbuf 64k;\n"),
		"t.conf:3:2: unknown directive \"max_conns\" in tcp block\n"
		"t.conf:4:2: \"mtu\" directive is not allowed in tcp block (only in interface block)\n"
		"t.conf:6:1: \"sndbuf\" directive is not allowed at top level (only in tcp block)\n"},
	{"tcp", "duplicate and argument count", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp {\n"
		  "\tooo_max 8;\n"
		  "\tooo_max 9;\n"
		  "\tsyn_retries;\n"
		  "\trto_min 1s 2s;\n"
		  "}\n"),
		"t.conf:4:2: duplicate \"ooo_max\" directive (first at t.conf:3:2)\n"
		"t.conf:5:2: wrong number of arguments in \"syn_retries\" directive (usage: syn_retries VALUE;)\n"
		"t.conf:6:2: wrong number of arguments in \"rto_min\" directive (usage: rto_min VALUE;)\n"},
	{"tcp", "counts out of range", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp {\n"
		  "\tmax_connections 0;\n"
		  "\tmax_half_open 16777217;\n"
		  "\tooo_max 4097;\n"
		  "\tkeepalive_probes 1k;\n"
		  "\tsyn_retries 21;\n"
		  "\tmax_retries -1;\n"
		  "}\n"),
		"t.conf:3:18: invalid max_connections \"0\" (expected 1..16777216)\n"
		"t.conf:4:16: invalid max_half_open \"16777217\" (expected 1..16777216)\n"
		"t.conf:5:10: invalid ooo_max \"4097\" (expected 1..4096)\n"
		"t.conf:6:19: invalid keepalive_probes \"1k\" (expected 1..100)\n"
		"t.conf:7:14: invalid syn_retries \"21\" (expected 1..20)\n"
		"t.conf:8:14: invalid max_retries \"-1\" (expected 1..50)\n"},
	{"tcp", "sizes", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp {\n"
		  "\tsndbuf 4095;\n"
		  "\trcvbuf 257m;\n"
		  "}\n"
		  "tcp { sndbuf 1t; }\n"),
		"t.conf:3:9: invalid sndbuf \"4095\" (expected 4k..256m)\n"
		"t.conf:4:9: invalid rcvbuf \"257m\" (expected 4k..256m)\n"
		"t.conf:6:1: duplicate \"tcp\" directive (first at t.conf:2:1)\n"},
	{"tcp", "bad size syntax", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp { sndbuf 1t; rcvbuf 64 k; }\n"),
		"t.conf:2:14: invalid sndbuf \"1t\" (expected a size such as 4096, 256k or 1m)\n"
		"t.conf:2:18: wrong number of arguments in \"rcvbuf\" directive (usage: rcvbuf VALUE;)\n"},
	{"tcp", "durations", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp {\n"
		  "\ttime_wait 0ms;\n"
		  "\tfin_wait2 2h;\n"
		  "\tkeepalive 500ms;\n"
		  "\tkeepalive_interval 1d;\n"
		  "\tdelayed_ack 501ms;\n"
		  "\trto_min 5 s;\n"
		  "\trto_max 99999999999999999999h;\n"
		  "\trto_initial 1.5s;\n"
		  "}\n"),
		"t.conf:3:12: invalid time_wait \"0ms\" (expected 1ms..10m)\n"
		"t.conf:4:12: invalid fin_wait2 \"2h\" (expected 1ms..1h)\n"
		"t.conf:5:12: invalid keepalive \"500ms\" (expected 1s..24h or off)\n"
		"t.conf:6:21: invalid keepalive_interval \"1d\" (expected a duration such as 500ms, 5s, 2m or 1h)\n"
		"t.conf:7:14: invalid delayed_ack \"501ms\" (expected 1ms..500ms)\n"
		"t.conf:8:2: wrong number of arguments in \"rto_min\" directive (usage: rto_min VALUE;)\n"
		"t.conf:9:10: invalid rto_max \"99999999999999999999h\" (expected 1ms..1h)\n"
		"t.conf:10:14: invalid rto_initial \"1.5s\" (expected a duration such as 500ms, 5s, 2m or 1h)\n"},
	{"tcp", "keepalive and syn_cookies words", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp {\n"
		  "\tkeepalive never;\n"
		  "\tsyn_cookies on;\n"
		  "}\n"),
		"t.conf:3:12: invalid keepalive \"never\" (expected a duration such as 500ms, 5s, 2m or 1h, or off)\n"
		"t.conf:4:14: invalid syn_cookies \"on\" (expected auto, always or off)\n"},
	{"tcp", "inconsistent values", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp {\n"
		  "\tmax_connections 100;\n"
		  "\tmax_half_open 101;\n"
		  "\trto_min 2s;\n"
		  "\trto_max 1s;\n"
		  "\trto_initial 1500ms;\n"
		  "}\n"),
		"t.conf:4:16: max_half_open 101 exceeds max_connections 100\n"
		"t.conf:5:10: rto_min 2s exceeds rto_max 1s\n"
		"t.conf:7:14: rto_initial 1500ms is below rto_min 2s\n"
		"t.conf:7:14: rto_initial 1500ms exceeds rto_max 1s\n"},
	{"multi", "recovery after bad statement", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "listen 198.18.0.1:80 echo oops extra;\n"
		  "listen 198.18.0.1:81;\n"
		  "bogus { a; b { c; } d; }\n"
		  "listen 198.18.0.1:0;\n"),
		"t.conf:2:1: wrong number of arguments in \"listen\" directive (usage: listen A.B.C.D:PORT [http|echo|discard|source SIZE|relay UPSTREAM];)\n"
		"t.conf:4:1: unknown directive \"bogus\" at top level\n"
		"t.conf:5:19: invalid port \"0\" (expected 1..65535)\n"},

};

static unsigned
count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Parse @text as "t.conf"; return what was written on the error stream. */
static char *
parse_errors(const char *text, size_t len, unsigned flags, unsigned *n_errors)
{
	struct fo_conf *conf;
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	assert_non_null(f);
	conf = fo_conf_parse("t.conf", text, len, flags, f, n_errors);
	assert_int_equal(fclose(f), 0);
	assert_null(conf);
	return out;
}

static char *
load_errors(const char *path, unsigned *n_errors)
{
	struct fo_conf *conf;
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);

	assert_non_null(f);
	conf = fo_conf_load(path, f, n_errors);
	assert_int_equal(fclose(f), 0);
	assert_null(conf);
	return out;
}

static void
check_case(const struct err_case *c)
{
	unsigned n = 12345, n_quiet = 54321;
	char *out = parse_errors(c->text, c->len, c->flags, &n);

	if (strcmp(out, c->want) != 0)
		print_error("case [%s] %s:\n--- want\n%s--- got\n%s", c->group, c->name, c->want, out);
	assert_string_equal(out, c->want);
	assert_int_equal(n, count_lines(c->want));
	/* with no error stream, the same errors are counted */
	assert_null(fo_conf_parse("t.conf", c->text, c->len, c->flags, NULL, &n_quiet));
	assert_int_equal(n_quiet, n);
	free(out);
}

static void
run_group(const char *group)
{
	size_t i;
	unsigned ran = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].group, group) == 0) {
			check_case(&cases[i]);
			ran++;
		}
	}
	assert_true(ran > 0);
}

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
test_interface(void **state)
{
	run_group("interface");
}

static void
test_listen(void **state)
{
	run_group("listen");
}

static void
test_upstream(void **state)
{
	run_group("upstream");
}

static void
test_route(void **state)
{
	run_group("route");
}

static void
test_service(void **state)
{
	run_group("service");
}

static void
test_tcp(void **state)
{
	run_group("tcp");
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
		"conf/bad/sub/broken.conf:1:1: missing \"server\" directive in upstream block\n"
		"conf/bad/sub/broken.conf:4:1: unexpected \"}\"\n"
		"conf/bad/errors-in-include.conf:3:9: cannot read included file \"conf/bad/sub\": "
		"Is a directory\n"
		"conf/bad/errors-in-include.conf:4:19: invalid port \"0\" (expected 1..65535)\n");
	assert_int_equal(errs, 5);
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
		cmocka_unit_test(test_interface),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_upstream),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_tcp),
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
