/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the whole HTTP proxy (also run by replay_proxy over
 * corpus/proxy/): a client, fanout's proxy and an origin, each a lib/tcp
 * host on the in-process wire (tests/unit/wire.h), fresh for every input.
 * The client sends arbitrary bytes to fanout in pieces; the origin answers
 * every request head that reaches it with arbitrary bytes. Input:
 *
 *   [flags][resp_len][resp_len bytes: the origin's response][client bytes...]
 *
 *   flags & 0x7f: the client sends in pieces of 1 + (flags & 0x7f) bytes,
 *                 the wire running between pieces
 *   flags & 0x80: the client half-closes (FIN) after its bytes, else it
 *                 resets the connection at the end
 *   resp_len 0:   the origin sends a valid 200 with a 2-byte body
 *
 * Then time moves on past every timeout (header, body, read, idle pool,
 * linger, TIME_WAIT). Invariants (abort on violation): no session is left,
 * and every mbuf is back in the pool once everything is freed. Sanitizers
 * catch the rest.
 */
#include "fuzz_proxy_common.h"

#define ORIGIN WIRE_IP(198, 18, 0, 11)

static const char conf_text[] =
	"interface wire0 { address 198.18.0.1/24; }\n"
	"listen 198.18.0.1:80;\n"
	"http { client_header_timeout 1s; client_body_timeout 1s; keepalive_timeout 1s; "
	"send_timeout 1s; client_max_body_size 64k; }\n"
	"upstream origin { server 198.18.0.11:8000; connect_timeout 1s; read_timeout 1s; "
	"send_timeout 1s; keepalive_timeout 2s;\n"
	/* hash key and sticky cookie read from fuzzed Cookie fields; Set-Cookie after the
	 * response modifiers of /m */
	"balance hash $cookie_k; sticky cookie s path=/p max_age=9 samesite=lax secure httponly; }\n"
	"upstream empty { }\n"
	"route regex \"/test01(/|$)(.*)\" { upstream origin; rewrite \"/$2\"; }\n"
	"route prefix /empty { upstream empty; }\n"
	"route prefix / { upstream origin; }\n"
	/* route actions: redirects built from request bytes, header modifiers, default backend */
	"route prefix /r/ { redirect { status 308; scheme https; prefix /n/; } }\n"
	"route prefix /k { redirect { port 8080; } }\n"
	"route exact /gone { return 301 /x; }\n"
	"route prefix /s/ { upstream origin; slash_redirect on; }\n"
	"route prefix / { host app.example; upstream origin; app_root /a; }\n"
	"route prefix /m { upstream origin; request_header set X-A 1; request_header remove "
	"Accept; request_header add X-B 2; forwarded_prefix /m; response_header set X-C 3; "
	"response_header remove Server; response_header add X-D 4; }\n"
	"default_backend origin host *.dflt.example;\n"
	/* conditions on the method, header fields, query and cookies of fuzzed heads */
	"route prefix /c { upstream origin; match method POST GET; match header x-v ~ \"[a-z]+1\"; "
	"match cookie c ~ \"(a|b)+\"; priority 1; }\n"
	"route prefix /c { upstream empty; match query q; match header x-w; }\n"
	"route regex \"/C/[0-9]+\" { upstream origin; case_sensitive on; match query q 1; }\n";

static const char ok_response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxf z;
	struct wire_host *oh;
	struct wire_origin o;
	size_t resp_len;

	if (size < 2)
		return 0;
	resp_len = data[1];
	if (resp_len > size - 2)
		resp_len = size - 2;
	pxf_open(&z, conf_text);
	oh = pxf_host(&z, ORIGIN);
	if (wire_origin_start(&o, oh, 8000, ok_response))
		abort();
	if (resp_len != 0) {
		o.response = (const char *)data + 2;
		o.response_len = resp_len;
	}
	pxf_start(&z);
	/* header, body, read timeouts; then linger, idle pool, TIME_WAIT */
	pxf_client(&z, 80, data + 2 + resp_len, size - 2 - resp_len, 1 + (data[0] & 0x7f),
		data[0] & 0x80, 3, 10, "fuzz_proxy");
	if (getenv("FUZZ_PROXY_VERBOSE") != NULL) {
		const struct fo_proxy_stats *ps = fo_proxy_stats(z.pw);

		fprintf(stderr,
			"requests %" PRIu64 " 2xx %" PRIu64 " 4xx %" PRIu64 " 5xx %" PRIu64
			" tunnels %" PRIu64 ", origin saw %" PRIu64 "\n",
			ps->requests, ps->responses_2xx, ps->responses_4xx, ps->responses_5xx,
			ps->tunnels, o.requests);
	}
	pxf_stop(&z);
	wire_origin_free(&o);
	pxf_free(&z, "fuzz_proxy");
	return 0;
}
