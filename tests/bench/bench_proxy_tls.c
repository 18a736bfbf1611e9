/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanout's cost per keep-alive request over TLS against plain HTTP, on the
 * in-process wire (tests/unit/wire.h): one client connection in a closed
 * loop (the browser-ish GET of bench_proxy, a 12-byte response), fanout's
 * proxy with a plain and a TLS listener (an ECDSA P-256 self-signed
 * certificate, TLS 1.3, TLS_AES_256_GCM_SHA384), one origin.
 *
 *   bench_proxy_tls plain|tls [requests]
 *
 * The fanout host is profiled (wire_profiled_round): run it under
 * `valgrind --tool=callgrind --toggle-collect=wire_profiled_round` for two
 * request counts; the difference over the difference of requests is the
 * instructions per request, the handshake and start-up cancelled out.
 * It also prints the fanout host's TSC cycles per request. Not a test.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fo_conf.h"
#include "fo_proxy.h"
#include "fo_route.h"
#include "tls_harness.h"
#include "wire_http.h"

/* fanout's mbuf pool has a per-lcore cache (app/fanout: APP_POOL_CACHE);
 * so does the bench's, on lcore 0 (set in main: no EAL here), so that an
 * mbuf costs what it costs a worker, not the test pool's checked free list. */
#define BENCH_POOL_CACHE 256

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define ORIGIN WIRE_IP(198, 18, 0, 11)

static const char response[] = "HTTP/1.1 200 OK\r\nServer: origin\r\nContent-Type: text/plain\r\n"
			       "Content-Length: 12\r\n\r\nhello world!";
static const char request[] =
	"GET /test01/ HTTP/1.1\r\n"
	"Host: a.test\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
	"Accept-Language: en-US,en;q=0.5\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"Connection: keep-alive\r\n"
	"Upgrade-Insecure-Requests: 1\r\n"
	"\r\n";
static const char conf_text[] = "interface wire0 { address 198.18.0.1/24; }\n"
				"listen 198.18.0.1:80;\n"
				"listen 198.18.0.1:443 tls;\n"
				"ssl_redirect off;\n"
				"upstream origin { server 198.18.0.11:8000; }\n"
				"route prefix / { upstream origin; }\n";

/* closed-loop TLS client */
struct tcli {
	struct fo_tcp_conn *c;
	struct fo_tls_io io;
	struct rte_mbuf *pending;
	SSL *ssl;
	int established, hs_done;
	size_t sent, got, resp_len;
	uint64_t responses, target;
	char rx[4096];
};

static void
tcli_connected(struct fo_tcp_conn *c, void *user)
{
	(void)c;
	((struct tcli *)user)->established = 1;
}

static const struct fo_tcp_ops tcli_ops = {.connected = tcli_connected};

static void
tcli_io(struct tcli *t)
{
	struct rte_mbuf *m;
	uint32_t len;

	while (fo_tcp_recv(t->c, &m, 1u << 20) > 0)
		fo_tls_io_rx_append(&t->io, m);
	for (;;) {
		if (t->pending == NULL)
			t->pending = fo_tls_io_tx_take(&t->io, &len);
		if (t->pending == NULL || fo_tcp_send(t->c, t->pending) < 0)
			break;
		t->pending = NULL;
	}
}

static unsigned
tcli_poll(struct wire_host *h, void *arg)
{
	struct tcli *t = arg;
	int rc;

	(void)h;
	if (!t->established)
		return 0;
	tcli_io(t);
	if (!t->hs_done && SSL_do_handshake(t->ssl) == 1)
		t->hs_done = 1;
	while (t->hs_done && t->responses < t->target) {
		if (t->sent < sizeof(request) - 1) {
			rc = SSL_write(
				t->ssl, request + t->sent, (int)(sizeof(request) - 1 - t->sent));
			if (rc <= 0)
				break;
			t->sent += (size_t)rc;
			continue;
		}
		rc = SSL_read(t->ssl, t->rx + t->got, (int)(sizeof(t->rx) - t->got));
		if (rc <= 0)
			break;
		t->got += (size_t)rc;
		if (t->got >= t->resp_len) {
			t->responses++;
			t->got = 0;
			t->sent = 0;
		}
	}
	tcli_io(t);
	return 1;
}

static unsigned
proxy_poll(struct wire_host *h, void *arg)
{
	(void)h;
	return fo_proxy_poll(arg) + fo_proxy_poll_tls(arg);
}

int
main(int argc, char **argv)
{
	int tls = argc > 1 && strcmp(argv[1], "tls") == 0;
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000, c0;
	struct wire w;
	struct wire_host *ch, *fh, *oh;
	struct wire_origin o;
	struct wire_client cl;
	struct fo_conf *conf =
		fo_conf_parse("b.conf", conf_text, strlen(conf_text), 0, stderr, NULL);
	struct fo_route_table *routes;
	struct fo_proxy_snapshot *snap;
	struct fo_proxy_worker *pw;
	struct fo_tls_worker *tw = fo_tls_worker_create();
	struct fo_tls_cert *cert;
	struct fo_tls_ctx *ctx;
	struct fo_tls_keys keys = {0};
	struct fo_tls_sni sni;
	const char *name = "a.test";
	uint32_t idx = 0;
	struct fo_proxy_tls ptls;
	struct tcli t;
	char err[256];
	SSL_CTX *cctx;

	RTE_PER_LCORE(_lcore_id) = 0; /* the pool's cache: see BENCH_POOL_CACHE */
	routes = conf != NULL ? fo_route_compile(conf, err, sizeof(err)) : NULL;
	if (routes == NULL || wire_init_cached(&w, 65536, 1, BENCH_POOL_CACHE) != 0)
		return 1;
	ch = wire_host_add(&w, CLIENT, NULL);
	fh = wire_host_add(&w, FANOUT, NULL);
	oh = wire_host_add(&w, ORIGIN, NULL);
	if (ch == NULL || fh == NULL || oh == NULL || wire_origin_start(&o, oh, 8000, response))
		return 1;
	snap = fo_proxy_snapshot_create(conf, routes, 1, 1);
	pw = fo_proxy_worker_create(
		(const struct fo_proxy_snapshot *const *)&snap, fh->tw, fh->net, w.mp, 0, 64, 0);
	cert = fo_tls_cert_selfsigned("a.test", time(NULL), 1, err, sizeof(err));
	fo_tls_keys_publish(&keys, fo_tls_keyset_new());
	ctx = fo_tls_ctx_create(tw, &cert, 1, NULL, &keys, err, sizeof(err));
	if (pw == NULL || ctx == NULL ||
		fo_tls_sni_build(&sni, &name, &idx, 1, 0, 0, err, sizeof(err)) != 0)
		return 1;
	ptls = (struct fo_proxy_tls){.entry = ctx, .sni = &sni, .hsts = NULL, .ssl_redirect = 0};
	if (fo_proxy_worker_tls(pw, &ptls) != 0)
		return 1;
	fh->poll = proxy_poll;
	fh->poll_arg = pw;
	fh->profiled = true;
	if (tls) {
		memset(&t, 0, sizeof(t));
		cctx = th_client_ctx(NULL, 0);
		fo_tls_io_init(&t.io, w.mp, 0);
		t.ssl = th_client(cctx, &t.io, "a.test");
		t.resp_len = sizeof(response) - 1;
		t.target = n;
		ch->poll = tcli_poll;
		ch->poll_arg = &t;
		t.c = fo_tcp_connect(ch->tw, CLIENT, FANOUT, 443, &tcli_ops, &t);
		c0 = fh->cycles;
		for (uint64_t r = 0; t.responses < n && r < 100000000; r++)
			if (wire_step(&w) == 0)
				wire_advance(&w, 1);
		if (t.responses < n)
			fprintf(stderr, "stuck: %" PRIu64 " responses\n", t.responses);
	} else {
		memset(&cl, 0, sizeof(cl));
		if (wire_client_open(&cl, ch, FANOUT, 80, 1) != 0)
			return 1;
		wire_client_loop(&cl, request, n);
		c0 = fh->cycles;
		for (uint64_t r = 0; cl.responses < n && r < 100000000; r++)
			if (wire_step(&w) == 0)
				wire_advance(&w, 1);
		if (cl.responses < n)
			fprintf(stderr,
				"stuck: %" PRIu64 " responses, %" PRIu64 " bad, rx %.200s\n",
				cl.responses, cl.bad, cl.conns[0].rx);
	}
	printf("%s: %" PRIu64
	       " requests, fanout host %.0f TSC cycles/request (handshake included)\n",
		tls ? "tls" : "plain", n, (double)(fh->cycles - c0) / (double)n);
	(void)o;
	return 0;
}
