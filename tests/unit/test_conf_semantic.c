/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf validation errors, directive by directive (interface, listen,
 * upstream, route, services, tcp): each row is config text and the exact
 * "file:line:col: message" lines it must produce. The http block, upstream
 * tuning and route body size are in test_conf_semantic_http.c.
 */
#include "conf_err_harness.h"

/* Inputs after the first line mostly start with a valid interface so that
 * "no interface defined" does not join every expected output. */
static const struct err_case cases[] = {
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
	{"upstream", "relay to an upstream without server", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u {\n"
		  "}\n"
		  "listen 198.18.0.1:7 relay u;\n"),
		"t.conf:4:27: relay upstream \"u\" has no server (only HTTP routes may use an "
		"empty upstream: they answer 503)\n"},
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
		"t.conf:3:26: unknown server option \"backup\" (expected weight=N or drain)\n"
		"t.conf:4:26: unknown server option \"Weight=2\" (expected weight=N or drain)\n"},
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
		"t.conf:3:35: invalid host \"a..b\" (expected a DNS name, optionally \"*.\" (one label) or \"**.\" (one or more) first)\n"
		"t.conf:4:35: invalid host \"-a.com\" (expected a DNS name, optionally \"*.\" (one label) or \"**.\" (one or more) first)\n"
		"t.conf:5:35: invalid host \"a-.com\" (expected a DNS name, optionally \"*.\" (one label) or \"**.\" (one or more) first)\n"
		"t.conf:6:35: invalid host \"a_b.com\" (expected a DNS name, optionally \"*.\" (one label) or \"**.\" (one or more) first)\n"
		"t.conf:7:35: invalid host \"*\" (expected a DNS name, optionally \"*.\" (one label) or \"**.\" (one or more) first)\n"
		"t.conf:8:35: invalid host \"a.*.com\" (expected a DNS name, optionally \"*.\" (one label) or \"**.\" (one or more) first)\n"
		"t.conf:9:35: invalid host \"a.com:80\" (expected a DNS name, optionally \"*.\" (one label) or \"**.\" (one or more) first)\n"
		"t.conf:10:35: invalid host \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com\" (expected a DNS name, optionally \"*.\" (one label) or \"**.\" (one or more) first)\n"
		"t.conf:11:35: invalid host \"\" (expected a DNS name, optionally \"*.\" (one label) or \"**.\" (one or more) first)\n"
		"t.conf:12:36: invalid host \"a.com.\" (expected a DNS name, optionally \"*.\" (one label) or \"**.\" (one or more) first)\n"},
	{"route", "host too long", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "upstream u { server 198.18.0.11:8000; }\n"
		  "route exact /1 { upstream u; host aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; }\n"),
		"t.conf:3:35: invalid host \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" (expected a DNS name, optionally \"*.\" (one label) or \"**.\" (one or more) first)\n"},
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
		"t.conf:2:1: wrong number of arguments in \"listen\" directive (usage: listen A.B.C.D:PORT [http|tls|echo|discard|source SIZE|relay UPSTREAM];)\n"},
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
		  "\tmax_buffered 63;\n"
		  "\tlocal_port_min 1023;\n"
		  "\tlocal_port_max 65536;\n"
		  "}\n"),
		"t.conf:3:18: invalid max_connections \"0\" (expected 1..16777216)\n"
		"t.conf:4:16: invalid max_half_open \"16777217\" (expected 1..16777216)\n"
		"t.conf:5:10: invalid ooo_max \"4097\" (expected 1..4096)\n"
		"t.conf:6:19: invalid keepalive_probes \"1k\" (expected 1..100)\n"
		"t.conf:7:14: invalid syn_retries \"21\" (expected 1..20)\n"
		"t.conf:8:14: invalid max_retries \"-1\" (expected 1..50)\n"
		"t.conf:9:15: invalid max_buffered \"63\" (expected 64..16777216)\n"
		"t.conf:10:17: invalid local_port_min \"1023\" (expected 1024..65535)\n"
		"t.conf:11:17: invalid local_port_max \"65536\" (expected 1024..65535)\n"},
	{"tcp", "local port range upside down", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp { local_port_min 30000; local_port_max 20000; }\n"
		  "tcp { local_port_max 5000; }\n"),
		"t.conf:2:22: local_port_min 30000 exceeds local_port_max 20000\n"
		"t.conf:3:1: duplicate \"tcp\" directive (first at t.conf:2:1)\n"},
	{"tcp", "local port max below the default min", 0,
		T("interface net_tap0 { address 198.18.0.1/24; }\n"
		  "tcp { local_port_max 5000; }\n"),
		"t.conf:2:22: local_port_min 10000 (default) exceeds local_port_max 5000\n"},
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
};

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interface),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_upstream),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_tcp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
