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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fake_pool.c"
#include "../unit/wire.c"
#include "../unit/wire_http.c"
#include "fo_conf.h"
#include "fo_proxy.h"
#include "fo_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
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

static struct fo_conf *conf;
static struct fo_route_table *routes;

static unsigned
proxy_poll(struct wire_host *h, void *arg)
{
	(void)h;
	return fo_proxy_poll(arg);
}

/* The client's side: take and drop what fanout sends. */
static void
cl_readable(struct fo_tcp_conn *c, void *user)
{
	struct rte_mbuf *m;

	(void)user;
	while (fo_tcp_recv(c, &m, UINT32_MAX) > 0)
		rte_pktmbuf_free(m);
}

static void
cl_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	(void)c;
	(void)why;
	*(struct fo_tcp_conn **)user = NULL;
}

static const struct fo_tcp_ops cl_ops = {
	.readable = cl_readable,
	.closed = cl_closed,
};

static void
settle(struct wire *w, unsigned seconds)
{
	unsigned i;

	for (i = 0; i < seconds * 4; i++) {
		wire_advance(w, 250);
		wire_run(w, 2000);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fo_tcp_config cfg = {.max_conns = 64, .max_half_open = 16, .time_wait_ms = 1000};
	struct wire w;
	struct wire_host *ch, *fh, *oh;
	struct wire_origin o;
	struct fo_proxy_snapshot *snap;
	struct fo_proxy_worker *pw;
	struct fo_tcp_conn *c;
	size_t piece, off, resp_len;
	unsigned leaked;

	if (size < 2)
		return 0;
	if (conf == NULL) {
		conf = fo_conf_parse("fuzz.conf", conf_text, sizeof(conf_text) - 1, 0, stderr, NULL);
		routes = conf != NULL ? fo_route_compile(conf, NULL, 0) : NULL;
		if (routes == NULL)
			abort();
	}
	piece = 1 + (data[0] & 0x7f);
	resp_len = data[1];
	if (resp_len > size - 2)
		resp_len = size - 2;
	if (wire_init(&w, 1024, 1) != 0)
		abort();
	ch = wire_host_add(&w, CLIENT, &cfg);
	fh = wire_host_add(&w, FANOUT, &cfg);
	oh = wire_host_add(&w, ORIGIN, &cfg);
	if (ch == NULL || fh == NULL || oh == NULL || wire_origin_start(&o, oh, 8000, ok_response))
		abort();
	if (resp_len != 0) {
		o.response = (const char *)data + 2;
		o.response_len = resp_len;
	}
	snap = fo_proxy_snapshot_create(conf, routes, 1, 1);
	if (snap == NULL)
		abort();
	pw = fo_proxy_worker_create((const struct fo_proxy_snapshot *const *)&snap, fh->tw, fh->net,
		w.mp, 0, 0, 0);
	if (pw == NULL)
		abort();
	fh->poll = proxy_poll;
	fh->poll_arg = pw;

	c = fo_tcp_connect(ch->tw, CLIENT, FANOUT, 80, &cl_ops, &c);
	if (c == NULL)
		abort();
	wire_run(&w, 2000);
	for (off = 2 + resp_len; off < size && c != NULL; off += piece) {
		size_t n = size - off < piece ? size - off : piece;

		if (send_bytes(ch, c, data + off, n) != 0)
			break; /* send buffer full: fanout stopped reading, fine */
		wire_run(&w, 2000);
	}
	settle(&w, 3); /* header, body, read timeouts */
	if (c != NULL) {
		if (data[0] & 0x80) {
			fo_tcp_shutdown(c);
		} else {
			fo_tcp_abort(c);
			c = NULL;
		}
	}
	settle(&w, 10); /* linger, idle pool, TIME_WAIT */
	if (fo_proxy_stats(pw)->sessions != 0) {
		fprintf(stderr, "fuzz_proxy: %" PRIu64 " session(s) left\n",
			fo_proxy_stats(pw)->sessions);
		abort();
	}
	if (getenv("FUZZ_PROXY_VERBOSE") != NULL) {
		const struct fo_proxy_stats *ps = fo_proxy_stats(pw);

		fprintf(stderr,
			"requests %" PRIu64 " 2xx %" PRIu64 " 4xx %" PRIu64 " 5xx %" PRIu64
			" tunnels %" PRIu64 ", origin saw %" PRIu64 "\n",
			ps->requests, ps->responses_2xx, ps->responses_4xx, ps->responses_5xx,
			ps->tunnels, o.requests);
	}
	if (c != NULL)
		fo_tcp_abort(c);
	fo_tcp_worker_free(fh->tw); /* no proxy callbacks after this */
	fh->tw = NULL;
	fo_proxy_worker_free(pw);
	fo_proxy_snapshot_free(snap);
	wire_origin_free(&o);
	leaked = wire_free(&w);
	if (leaked != 0) {
		fprintf(stderr, "fuzz_proxy: %u mbuf(s) leaked\n", leaked);
		abort();
	}
	return 0;
}
