/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http head parser: a table of good and bad requests, recorded fields
 * and the API (the limits: test_http_parse_limits.c). Every case is fed whole, byte by byte and split in
 * two at every offset, each piece copied so that it ends right before a
 * PROT_NONE page; all feedings must agree on the result and on every
 * recorded field (http_parse_harness.h). Responses: test_http_parse_resp.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_http.h"
#include "guard_page.h"
#include "http_parse_harness.h"

/* ---- table ------------------------------------------------------------- */

#define REQ(nm, s, ...)                                                                            \
	{                                                                                          \
		.name = nm, .kind = FO_HTTP_REQUEST, .in = s, .len = sizeof(s) - 1, __VA_ARGS__    \
	}
#define BADREQ(nm, s, e) REQ(nm, s, .err = FO_HTTP_E_##e)
#define GET FO_HTTP_M_GET
#define H11 " HTTP/1.1\r\n"
#define HOST "Host: example.com\r\n"

#define CHROME                                                                                     \
	"GET /static/app.js?v=3 HTTP/1.1\r\n"                                                      \
	"Host: www.example.com\r\n"                                                                \
	"Connection: keep-alive\r\n"                                                               \
	"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", "                         \
	"\"Not-A.Brand\";v=\"99\"\r\n"                                                             \
	"sec-ch-ua-mobile: ?0\r\n"                                                                 \
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "      \
	"Chrome/124.0.0.0 Safari/537.36\r\n"                                                       \
	"sec-ch-ua-platform: \"Linux\"\r\n"                                                        \
	"Accept: */*\r\n"                                                                          \
	"Sec-Fetch-Site: same-origin\r\n"                                                          \
	"Sec-Fetch-Mode: no-cors\r\n"                                                              \
	"Sec-Fetch-Dest: script\r\n"                                                               \
	"Referer: https://www.example.com/index.html\r\n"                                          \
	"Accept-Encoding: gzip, deflate, br, zstd\r\n"                                             \
	"Accept-Language: en-US,en;q=0.9,fr;q=0.8\r\n"                                             \
	"Cookie: _ga=GA1.2.1234567890.1700000000; session=abcdef0123456789\r\n"                    \
	"\r\n"

static const struct pcase req_cases[] = {
	REQ("minimal", "GET /" H11 HOST "\r\n", .method = GET, .nh = 1, .host = "example.com",
		.path = "/", .query = "", .target = "/"),
	REQ("chrome", CHROME, .method = GET, .nh = 14, .flags = FO_HTTP_F_CONN_KEEP_ALIVE,
		.host = "www.example.com", .path = "/static/app.js", .query = "v=3"),
	REQ("query", "GET /a/b?x=1&y=/?z" H11 HOST "\r\n", .method = GET, .nh = 1, .path = "/a/b",
		.query = "x=1&y=/?z", .target = "/a/b?x=1&y=/?z"),
	REQ("empty query", "GET /a?" H11 HOST "\r\n", .method = GET, .nh = 1, .path = "/a",
		.query = ""),
	REQ("odd path chars", "GET /a|b{c}^`\\\"<>[]~%20 HTTP/1.1\r\n" HOST "\r\n", .method = GET,
		.nh = 1, .path = "/a|b{c}^`\\\"<>[]~%20"),
	REQ("http/1.0 no host", "GET / HTTP/1.0\r\n\r\n", .method = GET, .v10 = 1, .host = ""),
	REQ("http/1.0 host", "HEAD /x HTTP/1.0\r\nHost: h\r\n\r\n", .method = FO_HTTP_M_HEAD,
		.v10 = 1, .nh = 1, .host = "h"),
	REQ("absolute", "GET http://Example.com:8080/p/q?x=1" H11 "Host: other\r\n\r\n",
		.method = GET, .nh = 1, .flags = FO_HTTP_F_ABSOLUTE_FORM,
		.host = "Example.com:8080", .path = "/p/q", .query = "x=1"),
	REQ("absolute uppercase scheme", "GET HTTP://h.example" H11 "Host: x\r\n\r\n",
		.method = GET, .nh = 1, .flags = FO_HTTP_F_ABSOLUTE_FORM, .host = "h.example",
		.path = "", .query = ""),
	REQ("absolute query no path", "GET http://h?q=1" H11 "Host: h\r\n\r\n", .method = GET,
		.nh = 1, .flags = FO_HTTP_F_ABSOLUTE_FORM, .host = "h", .path = "", .query = "q=1"),
	REQ("absolute https", "GET HTTPS://h.example/p" H11 "Host: x\r\n\r\n", .method = GET,
		.nh = 1, .flags = FO_HTTP_F_ABSOLUTE_FORM, .host = "h.example", .path = "/p"),
	REQ("host trailing dot", "GET /" H11 "Host: a.example.\r\n\r\n", .method = GET, .nh = 1,
		.host = "a.example."),
	REQ("absolute ipv6", "GET http://[::1]:81/ HTTP/1.0\r\n\r\n", .method = GET, .v10 = 1,
		.flags = FO_HTTP_F_ABSOLUTE_FORM, .host = "[::1]:81", .path = "/"),
	REQ("asterisk", "OPTIONS *" H11 HOST "\r\n", .method = FO_HTTP_M_OPTIONS, .nh = 1,
		.flags = FO_HTTP_F_ASTERISK_FORM, .path = "*", .target = "*"),
	REQ("post cl", "POST /f" H11 HOST "Content-Length: 5\r\n\r\nhello",
		.method = FO_HTTP_M_POST, .nh = 2, .flags = FO_HTTP_F_CONTENT_LENGTH, .cl = 5,
		.head_len = 58),
	REQ("underscore te", "POST /" H11 HOST "Transfer_Encoding: chunked\r\n\r\n",
		.method = FO_HTTP_M_POST, .nh = 2, .flags = FO_HTTP_F_UNDERSCORE),
	REQ("underscore cl and te",
		"POST /" H11 HOST "Content_Length: 5\r\nTransfer-Encoding: chunked\r\n"
		"X_A_: 1\r\n_: 2\r\n\r\n",
		.method = FO_HTTP_M_POST, .nh = 5,
		.flags = FO_HTTP_F_UNDERSCORE | FO_HTTP_F_CHUNKED),
	REQ("underscore long name",
		"GET /" H11 HOST "X-A-Very-Long-Header-Name-Past-The-Name-Buffer_x: 1\r\n\r\n",
		.method = GET, .nh = 2, .flags = FO_HTTP_F_UNDERSCORE),
	REQ("cl zero", "PUT /f" H11 HOST "Content-Length: 0\r\n\r\n", .method = FO_HTTP_M_PUT,
		.nh = 2, .flags = FO_HTTP_F_CONTENT_LENGTH, .cl = 0),
	REQ("cl list same",
		"POST /" H11 HOST "Content-Length: 7, 7,7\r\nContent-Length: 007\r\n\r\n",
		.method = FO_HTTP_M_POST, .nh = 3, .flags = FO_HTTP_F_CONTENT_LENGTH, .cl = 7),
	REQ("cl max", "POST /" H11 HOST "Content-Length: 9223372036854775807\r\n\r\n",
		.method = FO_HTTP_M_POST, .nh = 2, .flags = FO_HTTP_F_CONTENT_LENGTH,
		.cl = 9223372036854775807ull),
	REQ("cl trailing ws", "POST /" H11 HOST "Content-Length: \t12 \t\r\n\r\n",
		.method = FO_HTTP_M_POST, .nh = 2, .flags = FO_HTTP_F_CONTENT_LENGTH, .cl = 12),
	REQ("chunked", "POST /" H11 HOST "Transfer-Encoding: chunked\r\n\r\n",
		.method = FO_HTTP_M_POST, .nh = 2, .flags = FO_HTTP_F_CHUNKED),
	REQ("chunked case ws", "POST /" H11 HOST "transfer-encoding:\t CHUNKED \t\r\n\r\n",
		.method = FO_HTTP_M_POST, .nh = 2, .flags = FO_HTTP_F_CHUNKED),
	REQ("conn close", "GET /" H11 HOST "Connection: close\r\n\r\n", .method = GET, .nh = 2,
		.flags = FO_HTTP_F_CONN_CLOSE),
	REQ("websocket",
		"GET /ws" H11 HOST "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		.method = GET, .nh = 5,
		.flags = FO_HTTP_F_UPGRADE | FO_HTTP_F_CONN_KEEP_ALIVE | FO_HTTP_F_CONN_UPGRADE),
	REQ("conn other", "GET /" H11 HOST "Connection: Close, X-Secret,,keep alive\r\n\r\n",
		.method = GET, .nh = 2, .flags = FO_HTTP_F_CONN_CLOSE | FO_HTTP_F_CONN_OTHER),
	REQ("conn closed", "GET /" H11 HOST "Connection: closed\r\n\r\n", .method = GET, .nh = 2,
		.flags = FO_HTTP_F_CONN_OTHER),
	/* one-word values (a fast path when whole in one feed): case, trailing OWS */
	REQ("conn keep-alive case ws", "GET /" H11 HOST "Connection: Keep-ALIVE \t\r\n\r\n",
		.method = GET, .nh = 2, .flags = FO_HTTP_F_CONN_KEEP_ALIVE),
	REQ("conn CLOSE", "GET /" H11 HOST "connection:CLOSE\r\n\r\n", .method = GET, .nh = 2,
		.flags = FO_HTTP_F_CONN_CLOSE),
	REQ("conn keep-alivE2", "GET /" H11 HOST "Connection: keep-alivE2\r\n\r\n", .method = GET,
		.nh = 2, .flags = FO_HTTP_F_CONN_OTHER),
	REQ("conn keep alive", "GET /" H11 HOST "Connection: keep\talive\r\n\r\n", .method = GET,
		.nh = 2, .flags = FO_HTTP_F_CONN_OTHER),
	REQ("conn clos\\x05", "GET /" H11 HOST "Connection: clos\x05\r\n\r\n", .method = GET,
		.nh = 2, .err = FO_HTTP_E_bad_header_value),
	REQ("expect", "PUT /" H11 HOST "Expect: 100-Continue\r\nContent-Length: 3\r\n\r\n",
		.method = FO_HTTP_M_PUT, .nh = 3, .cl = 3,
		.flags = FO_HTTP_F_EXPECT_CONTINUE | FO_HTTP_F_CONTENT_LENGTH),
	REQ("expect other", "GET /" H11 HOST "Expect: 100-continued\r\n\r\n", .method = GET,
		.nh = 2, .flags = FO_HTTP_F_EXPECT_OTHER),
	REQ("leading empty lines", "\r\n\n\r\nGET /" H11 HOST "\r\n", .method = GET, .nh = 1,
		.path = "/"),
	REQ("bare lf", "GET /x HTTP/1.1\nHost: a\nX: y\n\n", .method = GET, .nh = 2, .host = "a"),
	REQ("host ipv4 port", "GET /" H11 "Host: 10.0.0.1:8080\r\n\r\n", .method = GET, .nh = 1,
		.host = "10.0.0.1:8080"),
	REQ("host ipv6", "GET /" H11 "Host: [2001:db8::1]:443 \r\n\r\n", .method = GET, .nh = 1,
		.host = "[2001:db8::1]:443"),
	REQ("host empty port", "GET /" H11 "Host: h:\r\n\r\n", .method = GET, .nh = 1,
		.host = "h:"),
	REQ("host sub-delims", "GET /" H11 "Host: a-b_c.d~e%41!$&'()*+,;=\r\n\r\n", .method = GET,
		.nh = 1, .host = "a-b_c.d~e%41!$&'()*+,;="),
	REQ("value obs-text tab", "GET /" H11 HOST "X-Y: \t a\tb\xff\x80 \t \r\nZ:\r\n\r\n",
		.method = GET, .nh = 3),
	REQ("other method", "PROPFIND /dav" H11 HOST "\r\n", .method = FO_HTTP_M_OTHER, .nh = 1),
	REQ("methods", "PATCH /" H11 HOST "\r\n", .method = FO_HTTP_M_PATCH, .nh = 1),
	REQ("delete", "DELETE /" H11 HOST "\r\n", .method = FO_HTTP_M_DELETE, .nh = 1),
	REQ("trace", "TRACE /" H11 HOST "\r\n", .method = FO_HTTP_M_TRACE, .nh = 1),
	REQ("lowercase get", "get /" H11 HOST "\r\n", .method = FO_HTTP_M_OTHER, .nh = 1),
	REQ("long name", "GET /" H11 HOST "X-A-Very-Long-Header-Name-Over-24: 1\r\n\r\n",
		.method = GET, .nh = 2),
	REQ("pipelined", "GET /1" H11 HOST "\r\nGET /2" H11 HOST "\r\n", .method = GET, .nh = 1,
		.head_len = 38, .path = "/1"),
	REQ("te+cl in http/1.0 is te_http10 first",
		"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
		.err = FO_HTTP_E_te_http10),

	/* errors, at least one per enum, and the smuggling classics */
	BADREQ("method char", "G@T /" H11 HOST "\r\n", bad_method),
	BADREQ("method leading space", " GET /" H11 HOST "\r\n", bad_method),
	BADREQ("method tab", "GET\t/" H11 HOST "\r\n", bad_method),
	BADREQ("method lf", "GET\r\n", bad_method),
	BADREQ("target hash", "GET /a#b" H11 HOST "\r\n", bad_target),
	BADREQ("target ctl",
		"GET /a\x01"
		"b" H11 HOST "\r\n",
		bad_target),
	BADREQ("target del", "GET /a\x7f" H11 HOST "\r\n", bad_target),
	BADREQ("target 8bit", "GET /caf\xc3\xa9" H11 HOST "\r\n", bad_target),
	BADREQ("target query 8bit", "GET /a?\xff" H11 HOST "\r\n", bad_target),
	BADREQ("target tab", "GET /a\tb" H11 HOST "\r\n", bad_target),
	BADREQ("target double space", "GET  /" H11 HOST "\r\n", bad_target),
	BADREQ("asterisk not options", "GET *" H11 HOST "\r\n", bad_target),
	BADREQ("asterisk junk", "OPTIONS */" H11 HOST "\r\n", bad_target),
	BADREQ("scheme ftp", "GET ftp://h/" H11 HOST "\r\n", bad_target),
	BADREQ("relative", "GET a/b" H11 HOST "\r\n", bad_target),
	BADREQ("userinfo", "GET http://u@h/" H11 HOST "\r\n", bad_target),
	BADREQ("empty authority", "GET http:///x" H11 HOST "\r\n", bad_target),
	BADREQ("authority bad port", "GET http://h:123456/" H11 HOST "\r\n", bad_target),
	BADREQ("no version", "GET /\r\n\r\n", bad_line),
	BADREQ("no version lf", "GET /x?y\n", bad_line),
	BADREQ("request line bare cr",
		"GET /"
		" HTTP/1.1\rX",
		bad_line),
	BADREQ("empty line bare cr", "\rGET /" H11 HOST "\r\n", bad_line),
	BADREQ("version lower", "GET / http/1.1\r\n" HOST "\r\n", bad_version),
	BADREQ("version junk", "GET / HTTP/1.1x\r\n" HOST "\r\n", bad_version),
	BADREQ("version 11", "GET / HTTP/11\r\n" HOST "\r\n", bad_version),
	BADREQ("version trailing space", "GET / HTTP/1.1 \r\n" HOST "\r\n", bad_version),
	BADREQ("space in target", "GET /a b" H11 HOST "\r\n", bad_version),
	BADREQ("version 1.10", "GET / HTTP/1.10\r\n" HOST "\r\n", bad_version),
	BADREQ("version 2", "GET / HTTP/2.0\r\n" HOST "\r\n", version_not_supported),
	BADREQ("version 0.9", "GET / HTTP/0.9\r\n\r\n", version_not_supported),
	BADREQ("version 1.2", "GET / HTTP/1.2\r\n" HOST "\r\n", version_not_supported),
	BADREQ("connect", "CONNECT example.com:443" H11 HOST "\r\n", connect_method),
	BADREQ("space before colon", "GET /" H11 HOST "Transfer-Encoding : chunked\r\n\r\n",
		bad_header_name),
	BADREQ("tab before colon", "GET /" H11 HOST "Content-Length\t: 1\r\n\r\n", bad_header_name),
	BADREQ("empty name", "GET /" H11 HOST ": x\r\n\r\n", bad_header_name),
	BADREQ("no colon", "GET /" H11 HOST "NoColon\r\n\r\n", bad_header_name),
	BADREQ("name ctl", "GET /" H11 "Ho\x01st: x\r\n\r\n", bad_header_name),
	BADREQ("name 8bit", "GET /" H11 HOST "X\xc3\xa9: x\r\n\r\n", bad_header_name),
	BADREQ("name nul", "GET /" H11 HOST "X\0Y: z\r\n\r\n", bad_header_name),
	BADREQ("bare cr at line start", "GET /" H11 HOST "\rX: y\r\n\r\n", bad_header_name),
	BADREQ("bare cr end", "GET /" H11 HOST "\r\r\n", bad_header_name),
	BADREQ("value nul", "GET /" H11 HOST "X: a\0b\r\n\r\n", bad_header_value),
	BADREQ("value bare cr", "GET /" H11 HOST "X: a\rb\r\n\r\n", bad_header_value),
	BADREQ("value cr cr", "GET /" H11 HOST "X: a\r\r\n\r\n", bad_header_value),
	BADREQ("value del", "GET /" H11 HOST "X: a\x7f\r\n\r\n", bad_header_value),
	BADREQ("value ctl first", "GET /" H11 HOST "X: \x1b[31m\r\n\r\n", bad_header_value),
	BADREQ("obs-fold", "GET /" H11 HOST "X: a\r\n b\r\n\r\n", obs_fold),
	BADREQ("obs-fold te", "POST /" H11 HOST "Transfer-Encoding:\r\n chunked\r\n\r\n", obs_fold),
	BADREQ("ws before first field", "GET /" H11 " Host: h\r\n\r\n", obs_fold),
	BADREQ("tab fold", "GET /" H11 HOST "X: a\r\n\tb\r\n\r\n", obs_fold),
	BADREQ("cl plus", "POST /" H11 HOST "Content-Length: +5\r\n\r\n", bad_content_length),
	BADREQ("cl minus", "POST /" H11 HOST "Content-Length: -1\r\n\r\n", bad_content_length),
	BADREQ("cl empty", "POST /" H11 HOST "Content-Length: \r\n\r\n", bad_content_length),
	BADREQ("cl hex", "POST /" H11 HOST "Content-Length: 0x10\r\n\r\n", bad_content_length),
	BADREQ("cl space inside", "POST /" H11 HOST "Content-Length: 1 2\r\n\r\n",
		bad_content_length),
	BADREQ("cl trailing comma", "POST /" H11 HOST "Content-Length: 5,\r\n\r\n",
		bad_content_length),
	BADREQ("cl empty element", "POST /" H11 HOST "Content-Length: 5,,5\r\n\r\n",
		bad_content_length),
	BADREQ("cl overflow", "POST /" H11 HOST "Content-Length: 99999999999999999999\r\n\r\n",
		bad_content_length),
	BADREQ("cl 2^63", "POST /" H11 HOST "Content-Length: 9223372036854775808\r\n\r\n",
		bad_content_length),
	BADREQ("cl 8bit", "POST /" H11 HOST "Content-Length: 5\xb9\r\n\r\n", bad_content_length),
	BADREQ("cl differing fields",
		"POST /" H11 HOST "Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
		dup_content_length),
	BADREQ("cl differing list", "POST /" H11 HOST "Content-Length: 5, 6\r\n\r\n",
		dup_content_length),
	BADREQ("cl and te",
		"POST /" H11 HOST "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		cl_and_te),
	BADREQ("te and cl",
		"POST /" H11 HOST "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
		cl_and_te),
	BADREQ("te http/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", te_http10),
	BADREQ("te identity", "POST /" H11 HOST "Transfer-Encoding: identity\r\n\r\n",
		te_not_chunked),
	BADREQ("te chunked identity",
		"POST /" H11 HOST "Transfer-Encoding: chunked, identity\r\n\r\n",
		te_chunked_not_last),
	BADREQ("te chunked gzip",
		"POST /" H11 HOST "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n",
		te_chunked_not_last),
	BADREQ("te gzip chunked", "POST /" H11 HOST "Transfer-Encoding: gzip, chunked\r\n\r\n",
		te_not_chunked),
	BADREQ("te xchunked", "POST /" H11 HOST "Transfer-Encoding: xchunked\r\n\r\n",
		te_not_chunked),
	BADREQ("te chunkedx", "POST /" H11 HOST "Transfer-Encoding: chunkedx\r\n\r\n",
		te_not_chunked),
	BADREQ("te space inside", "POST /" H11 HOST "Transfer-Encoding: chun ked\r\n\r\n",
		te_not_chunked),
	BADREQ("te quoted", "POST /" H11 HOST "Transfer-Encoding: \"chunked\"\r\n\r\n",
		te_not_chunked),
	BADREQ("te twice",
		"POST /" H11 HOST
		"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
		te_chunked_twice),
	BADREQ("te chunked, chunked",
		"POST /" H11 HOST "Transfer-Encoding: chunked, chunked\r\n\r\n", te_chunked_twice),
	BADREQ("te chunked,CHUNKED", "POST /" H11 HOST "Transfer-Encoding: chunked,CHUNKED\r\n\r\n",
		te_chunked_twice),
	BADREQ("te chunked twice gzip between",
		"POST /" H11 HOST "Transfer-Encoding: chunked, gzip, chunked\r\n\r\n",
		te_chunked_twice),
	BADREQ("te trailing comma", "POST /" H11 HOST "Transfer-Encoding: chunked,\r\n\r\n",
		te_not_chunked),
	BADREQ("te empty", "POST /" H11 HOST "Transfer-Encoding:\r\n\r\n", te_not_chunked),
	BADREQ("te vertical tab",
		"POST /" H11 HOST "Transfer-Encoding: \x0b"
		"chunked\r\n\r\n",
		bad_header_value),
	BADREQ("missing host", "GET /" H11 "Accept: */*\r\n\r\n", missing_host),
	BADREQ("missing host absolute", "GET http://h/" H11 "\r\n", missing_host),
	/* heads that end past the field-lines fast path, or by an LF alone */
	BADREQ("missing host lf", "GET /" H11 "Accept: */*\n\n", missing_host),
	BADREQ("missing host x-host",
		"GET /" H11 "X-Host: h\r\nUser-Agent: curl/8.0 (x86_64)\r\nAccept: */*\r\n\r\n",
		missing_host),
	BADREQ("two hosts", "GET /" H11 "Host: a\r\nHost: a\r\n\r\n", dup_host),
	BADREQ("two hosts http/1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", dup_host),
	BADREQ("host space", "GET /" H11 "Host: a b\r\n\r\n", bad_host),
	BADREQ("host slash", "GET /" H11 "Host: a/b\r\n\r\n", bad_host),
	BADREQ("host userinfo", "GET /" H11 "Host: u@h\r\n\r\n", bad_host),
	BADREQ("host empty", "GET /" H11 "Host:\r\n\r\n", bad_host),
	BADREQ("host port only", "GET /" H11 "Host: :80\r\n\r\n", bad_host),
	BADREQ("host port letters", "GET /" H11 "Host: h:8a\r\n\r\n", bad_host),
	BADREQ("host port big", "GET /" H11 "Host: h:65536\r\n\r\n", bad_host),
	BADREQ("host port long", "GET /" H11 "Host: h:000080\r\n\r\n", bad_host),
	BADREQ("host ipv6 open", "GET /" H11 "Host: [::1\r\n\r\n", bad_host),
	BADREQ("host ipv6 junk", "GET /" H11 "Host: [::1]x\r\n\r\n", bad_host),
	BADREQ("host empty label", "GET /" H11 "Host: shop.example..\r\n\r\n", bad_host),
	BADREQ("host empty label inside", "GET /" H11 "Host: a..b:80\r\n\r\n", bad_host),
	BADREQ("absolute empty label", "GET http://a..b/" H11 "Host: a\r\n\r\n", bad_target),
	BADREQ("scheme httpss", "GET httpss://h/" H11 "Host: h\r\n\r\n", bad_target),
	BADREQ("scheme ftp", "GET ftp://h/" H11 "Host: h\r\n\r\n", bad_target),
	BADREQ("scheme https no slashes", "GET https:h/" H11 "Host: h\r\n\r\n", bad_target),
	BADREQ("host 8bit", "GET /" H11 "Host: caf\xc3\xa9.example\r\n\r\n", bad_host),
};

static void
test_requests(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++)
		run_case(&req_cases[i]);
}

/* ---- recorded fields --------------------------------------------------- */

static void
test_header_ids(void **state)
{
	static const struct {
		const char *name;
		int id;
	} names[] = {
		{"hOsT", FO_HTTP_H_HOST},
		{"CONTENT-LENGTH", FO_HTTP_H_CONTENT_LENGTH},
		{"connection", FO_HTTP_H_CONNECTION},
		{"Keep-Alive", FO_HTTP_H_KEEP_ALIVE},
		{"Proxy-Connection", FO_HTTP_H_PROXY_CONNECTION},
		{"te", FO_HTTP_H_TE},
		{"Trailer", FO_HTTP_H_TRAILER},
		{"UPGRADE", FO_HTTP_H_UPGRADE},
		{"expect", FO_HTTP_H_EXPECT},
		{"X-Forwarded-For", FO_HTTP_H_X_FORWARDED_FOR},
		{"x-forwarded-proto", FO_HTTP_H_X_FORWARDED_PROTO},
		{"X-Forwarded-Host", FO_HTTP_H_X_FORWARDED_HOST},
		{"X-FORWARDED-PORT", FO_HTTP_H_X_FORWARDED_PORT},
		{"X-Real-IP", FO_HTTP_H_X_REAL_IP},
		{"x-request-id", FO_HTTP_H_X_REQUEST_ID},
		/* near misses */
		{"Hosts", FO_HTTP_H_OTHER},
		{"Content-Lengt", FO_HTTP_H_OTHER},
		{"X-Forwarded-Fox", FO_HTTP_H_OTHER},
		{"X-Forwarded-Prot", FO_HTTP_H_OTHER},
		{"Trailers", FO_HTTP_H_OTHER},
		{"Upgrade-Insecure-Requests", FO_HTTP_H_OTHER},
		{"Keep-Alivf", FO_HTTP_H_OTHER},
		{"Connectiom", FO_HTTP_H_OTHER},
		{"tf", FO_HTTP_H_OTHER},
		{"Expecu", FO_HTTP_H_OTHER},
		{"Proxy-Connectiom", FO_HTTP_H_OTHER},
		{"X-Request-Ie", FO_HTTP_H_OTHER},
		{"X-Real-IQ", FO_HTTP_H_OTHER},
		{"T-ansfer-Encoding", FO_HTTP_H_OTHER},
		{"X-Forwarded-Hosu", FO_HTTP_H_OTHER},
		{"Y-Forwarded-Host", FO_HTTP_H_OTHER},
	};
	static struct presult r;
	char buf[2048];
	size_t i, n;

	(void)state;
	/* a request with every name once (Transfer-Encoding apart: it needs a body) */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s: %s\r\n", names[i].name,
			names[i].id == FO_HTTP_H_CONTENT_LENGTH ? "0" : "h");
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)buf, n, "ids", &r);
	assert_int_equal(r.err, FO_HTTP_E_NONE);
	assert_int_equal(r.rc, n);
	assert_int_equal(r.msg.n_headers, sizeof(names) / sizeof(names[0]));
	for (i = 0; i < r.msg.n_headers; i++) {
		size_t k = i;

		if (r.msg.hdrs[i].id != names[k].id) {
			print_error("%s: id %d, want %d\n", names[k].name, r.msg.hdrs[i].id,
				names[k].id);
			fail();
		}
		assert_int_equal(r.msg.hdrs[i].name.len, strlen(names[k].name));
		assert_memory_equal(
			buf + r.msg.hdrs[i].name.off, names[k].name, strlen(names[k].name));
		if (names[k].id != FO_HTTP_H_OTHER)
			assert_int_equal(r.msg.hdr_first[names[k].id], i + 1);
	}
	assert_int_equal(r.msg.hdr_first[FO_HTTP_H_TRANSFER_ENCODING], 0);
	assert_int_equal(r.msg.hdr_first[FO_HTTP_H_OTHER], 16);

	n = (size_t)snprintf(buf, sizeof(buf),
		"POST / HTTP/1.1\r\nHost: h\r\nTRANSFER-ENCODING: chunked\r\n\r\n");
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)buf, n, "te id", &r);
	assert_int_equal(r.err, FO_HTTP_E_NONE);
	assert_int_equal(r.msg.hdrs[1].id, FO_HTTP_H_TRANSFER_ENCODING);
	assert_int_equal(r.msg.hdr_first[FO_HTTP_H_TRANSFER_ENCODING], 2);
}

static void
test_spans(void **state)
{
	static const char in[] = "GET /p?q HTTP/1.1\r\n"
				 "Host:  h.example \t\r\n"
				 "X-Empty:\r\n"
				 "X-Ws: \t \r\n"
				 "X-Mid: a  b\n"
				 "\r\n";
	static struct presult r;
	const struct fo_http_msg *m = &r.msg;

	(void)state;
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)in, sizeof(in) - 1, "spans", &r);
	assert_int_equal(r.err, FO_HTTP_E_NONE);
	assert_int_equal(m->method_s.off, 0);
	assert_int_equal(m->method_s.len, 3);
	assert_int_equal(m->target.off, 4);
	assert_int_equal(m->target.len, 4);
	assert_int_equal(m->n_headers, 4);
	/* Host: value trimmed, line with its CRLF */
	assert_int_equal(m->hdrs[0].name.off, 19);
	assert_int_equal(m->hdrs[0].name.len, 4);
	assert_int_equal(m->hdrs[0].value.off, 26);
	assert_int_equal(m->hdrs[0].value.len, 9);
	assert_int_equal(m->hdrs[0].line.off, 19);
	assert_int_equal(m->hdrs[0].line.len, 20);
	assert_int_equal(m->host.off, 26);
	assert_int_equal(m->host.len, 9);
	/* empty values: length 0, offset at the line end */
	assert_int_equal(m->hdrs[1].value.len, 0);
	assert_int_equal(m->hdrs[1].value.off, 39 + 8);
	assert_int_equal(m->hdrs[1].line.len, 10);
	assert_int_equal(m->hdrs[2].value.len, 0);
	/* inner whitespace kept, bare LF line */
	assert_int_equal(m->hdrs[3].value.len, 4);
	assert_memory_equal(in + m->hdrs[3].value.off, "a  b", 4);
	assert_int_equal(m->hdrs[3].line.len, 12);
	assert_int_equal(m->head_len, sizeof(in) - 1);
}

/* which fields have a '_' in their name; a reused msg forgets the last message's */
static void
test_underscore_flags(void **state)
{
	static const char in1[] = "GET / HTTP/1.1\r\nHost: h\r\nX_A: 1\r\nX-B: a_b\r\n_: 3\r\n\r\n";
	static const char in2[] = "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nX-B: a_b\r\nY: 3\r\n\r\n";
	static struct presult r;
	const struct fo_http_msg *m = &r.msg;

	(void)state;
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)in1, sizeof(in1) - 1, "underscores", &r);
	assert_int_equal(r.err, FO_HTTP_E_NONE);
	assert_int_equal(m->n_headers, 4);
	assert_false(fo_http_hdr_underscore((const uint8_t *)in1, &m->hdrs[0]));
	assert_true(fo_http_hdr_underscore((const uint8_t *)in1, &m->hdrs[1]));
	assert_false(fo_http_hdr_underscore((const uint8_t *)in1, &m->hdrs[2])); /* value only */
	assert_true(fo_http_hdr_underscore((const uint8_t *)in1, &m->hdrs[3]));
	assert_true(m->flags & FO_HTTP_F_UNDERSCORE);
	parse_whole(FO_HTTP_REQUEST, (const uint8_t *)in2, sizeof(in2) - 1, &r);
	assert_int_equal(r.rc, sizeof(in2) - 1);
	assert_false(m->flags & FO_HTTP_F_UNDERSCORE);
}

/*
 * Every byte value inside a field name, at offsets where the name scanner
 * looks at 16 bytes at a time (whole feed) and byte by byte (the last
 * bytes of a piece, byte-by-byte feeds): all feedings agree
 * (parse_all_ways), and a byte ends or breaks the name exactly when it is
 * not a name byte (tchar, '_' flagged).
 */
static void
test_name_bytes(void **state)
{
	static const char *const reqs[] = {"GET / HTTP/1.1\r\nHost: h\r\nXQy: 1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX-0123456789abcdef-0123Qy: 1\r\n\r\n"};
	static struct presult r;
	static const char tchar_extra[] = "!#$%&'*+-.^_`|~";
	char in[128];
	unsigned c, f;

	(void)state;
	for (f = 0; f < 2; f++) {
		for (c = 0; c < 256; c++) {
			int len = snprintf(in, sizeof(in), "%s", reqs[f]);
			char *at = memchr(in + 24, 'Q', (size_t)len - 24);
			size_t name_len = (size_t)(strchr(at, ':') - (in + 25));
			int tchar = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
				    (c >= 'A' && c <= 'Z') ||
				    (c != 0 && strchr(tchar_extra, (int)c));

			*at = (char)c;
			parse_all_ways(
				FO_HTTP_REQUEST, (const uint8_t *)in, (size_t)len, "name byte", &r);
			if (tchar) {
				assert_int_equal(r.err, FO_HTTP_E_NONE);
				assert_int_equal(r.msg.n_headers, 2);
				assert_int_equal(r.msg.hdrs[1].name.len, name_len);
				assert_int_equal(
					fo_http_hdr_underscore((const uint8_t *)in, &r.msg.hdrs[1]),
					c == '_');
			} else if (c == ':') {
				/* ends the name: "X" (or "X-...-0123") and the value "y: 1" */
				assert_int_equal(r.err, FO_HTTP_E_NONE);
				assert_int_equal(r.msg.hdrs[1].name.len, (size_t)(at - (in + 25)));
			} else {
				assert_int_not_equal(r.err, FO_HTTP_E_NONE);
			}
		}
	}
}

/*
 * Every byte value in a Host value, where the Host check looks at 16 bytes
 * at a time (whole feed: positions 0, 5, 15) and past them (16, 18), and
 * byte by byte (pieces, byte-by-byte feeds): all feedings agree, and the
 * value is taken exactly when the byte is a reg-name byte (OWS at either
 * end is skipped, a ':' at the end is an empty port, an LF ends the line). Then empty labels around the 16-byte boundary.
 */
static void
test_host_bytes(void **state)
{
	static const char host_extra[] = "-._~%!$&'()*+,;=";
	static const unsigned at[] = {0, 5, 15, 16, 18};
	static const char *const dots[] = {"abcdefghijklm..pqrs", "abcdefghijklmn..qrs",
		"abcdefghijklmno..rs", "abcdefghijklmnop..s", "..cdefghijklmnopqrs",
		"abcdefghijklmnopqr..", "a.b.c.d.e.f.g.h..i"};
	static struct presult r;
	char in[128];
	unsigned c, i;
	int len;

	(void)state;
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		for (c = 0; c < 256; c++) {
			int host = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
				   (c >= 'A' && c <= 'Z') || (c != 0 && strchr(host_extra, (int)c));
			/* OWS before or after the value is not part of it */
			int ows = (at[i] == 0 || at[i] == 18) && (c == ' ' || c == '\t');
			int bare_lf = at[i] == 18 && c == '\n'; /* ends the line there */
			int empty_port = at[i] == 18 && c == ':'; /* "h:" is host and empty port */
			char v[] = "abcdefghijklmnopqrs";

			v[at[i]] = (char)c;
			/* built with memcpy: c may be a NUL */
			memcpy(in, "GET / HTTP/1.1\r\nHost: ", 22);
			memcpy(in + 22, v, 19);
			memcpy(in + 41, "\r\n\r\n", 4);
			len = 45;
			parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)in, (size_t)len, "host byte", &r);
			if (host || ows || empty_port || bare_lf) {
				assert_int_equal(r.err, FO_HTTP_E_NONE);
				assert_int_equal(r.msg.host.len, ows || bare_lf ? 18 : 19);
			} else {
				assert_int_not_equal(r.err, FO_HTTP_E_NONE);
			}
		}
	}
	for (i = 0; i < sizeof(dots) / sizeof(dots[0]); i++) {
		len = snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", dots[i]);
		parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)in, (size_t)len, "host dots", &r);
		assert_int_equal(r.err, FO_HTTP_E_bad_host);
	}
	len = snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: .b.c.d.e.f.g.h.i.j.k.l.m.:80\r\n\r\n");
	parse_all_ways(FO_HTTP_REQUEST, (const uint8_t *)in, (size_t)len, "host one dots", &r);
	assert_int_equal(r.err, FO_HTTP_E_NONE);
}

/* ---- API behaviour ----------------------------------------------------- */

static void
test_pipelined_and_reuse(void **state)
{
	static const char two[] = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.0\r\n\r\n";
	static struct fo_http_msg m;
	struct fo_http_parser p;
	const uint8_t *g = guard_copy(two, sizeof(two) - 1);
	ssize_t rc;

	(void)state;
	fo_http_parser_init(&p, FO_HTTP_REQUEST, &m);
	rc = fo_http_parse(&p, g, sizeof(two) - 1);
	assert_int_equal(rc, 28);
	assert_int_equal(m.method, FO_HTTP_M_GET);
	/* done: feeding more is refused until re-initialised */
	assert_int_equal(fo_http_parse(&p, g + rc, 5), -EBADMSG);
	fo_http_parser_init(&p, FO_HTTP_REQUEST, &m);
	rc = fo_http_parse(&p, g + 28, sizeof(two) - 1 - 28);
	assert_int_equal(rc, sizeof(two) - 1 - 28);
	assert_int_equal(m.method, FO_HTTP_M_POST);
	assert_int_equal(m.version_minor, 0);
	assert_int_equal(m.n_headers, 0);
	assert_int_equal(m.flags, 0);
	assert_int_equal(m.hdr_first[FO_HTTP_H_HOST], 0);
	assert_int_equal(m.path.off, 5);

	/* empty feeds are harmless */
	fo_http_parser_init(&p, FO_HTTP_RESPONSE, &m);
	assert_int_equal(fo_http_parse(&p, g, 0), -EAGAIN);
	/* an error sticks */
	assert_int_equal(fo_http_parse(&p, guard_copy("X", 1), 1), -EBADMSG);
	assert_int_equal(p.err, FO_HTTP_E_bad_status_line);
	assert_int_equal(
		fo_http_parse(&p, guard_copy("HTTP/1.1 200 OK\r\n\r\n", 19), 19), -EBADMSG);
}

static void
test_err_tables(void **state)
{
	int e;

	(void)state;
	assert_string_equal(fo_http_err_name(FO_HTTP_E_NONE), "none");
	assert_string_equal(fo_http_err_name(FO_HTTP_E_dup_content_length), "dup_content_length");
	assert_string_equal(
		fo_http_err_descr(FO_HTTP_E_obs_fold), "obsolete line folding in a header field");
	assert_int_equal(fo_http_err_status(FO_HTTP_E_line_too_long), 414);
	assert_int_equal(fo_http_err_status(FO_HTTP_E_too_many_headers), 431);
	assert_int_equal(fo_http_err_status(FO_HTTP_E_te_not_chunked), 501);
	assert_int_equal(fo_http_err_status(FO_HTTP_E_te_chunked_twice), 400);
	assert_int_equal(fo_http_err_status(FO_HTTP_E_te_chunked_not_last), 400);
	assert_int_equal(fo_http_err_status(FO_HTTP_E_version_not_supported), 505);
	assert_int_equal(fo_http_err_status(FO_HTTP_E_connect_method), 405);
	assert_string_equal(fo_http_err_name(FO_HTTP_E_MAX), "unknown");
	for (e = FO_HTTP_E_NONE + 1; e < FO_HTTP_E_MAX; e++) {
		assert_non_null(fo_http_err_name(e));
		assert_true(strlen(fo_http_err_descr(e)) > 5);
		assert_true(fo_http_err_status(e) >= 400 && fo_http_err_status(e) <= 505);
	}
}

/* every error of the parser was provoked by some case above (run last) */
static void
test_error_coverage(void **state)
{
	int e, missing = 0;

	(void)state;
	for (e = FO_HTTP_E_NONE + 1; e < FO_HTTP_E_MAX; e++) {
		/* chunk framing errors come from fo_http_body_feed: test_http_body */
		if (e == FO_HTTP_E_bad_chunk || e == FO_HTTP_E_chunk_too_large ||
			e == FO_HTTP_E_body_too_large || e == FO_HTTP_E_trailers_too_large)
			continue;
		/* the status line's own error: test_http_parse_resp checks it */
		if (resp_only_err(e))
			continue;
		/* the limits: test_http_parse_limits provokes and asserts each */
		if (e == FO_HTTP_E_line_too_long || e == FO_HTTP_E_headers_too_large ||
			e == FO_HTTP_E_too_many_headers)
			continue;
		if (!err_seen[e]) {
			print_error("no case provokes %s\n", fo_http_err_name(e));
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_header_ids),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_underscore_flags),
		cmocka_unit_test(test_name_bytes),
		cmocka_unit_test(test_host_bytes),
		cmocka_unit_test(test_pipelined_and_reuse),
		cmocka_unit_test(test_err_tables),
		cmocka_unit_test(test_error_coverage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
