/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanout's own CPU cost per proxied keep-alive request, without a NIC or
 * a kernel in the way: client, fanout and origins are lib/net + lib/tcp
 * hosts on the in-process wire (tests/unit/wire.h), behind a simulated
 * NIC that does checksums (as the target hardware does). Only the
 * fanout host's processing is timed (rdtsc around its rx, TCP, proxy,
 * timers and flush, like the worker loop's busy cycles); the clients',
 * origins' and the wire's copies are not.
 *
 *   bench_proxy [direct|proxy] [requests] [connections] [off|metrics|log] [balance]
 *
 * The two last words (proxy only, either order, each optional):
 * off, metrics or log: accounting -- off, none (the default); metrics,
 * per-route counters; log, per-route counters and the access log (its
 * ring drained into /dev/null by a writer, as the control thread would:
 * that formatting is not in the fanout host's cycles).
 * Anything else: how django-service balances, as after `balance` in its
 * block ("least_conn", "ewma", "random", "hash uri", ...; round_robin by
 * default), or "sticky" (round_robin and `sticky cookie route`, the
 * client's cookie naming the first server): the balancers' cost.
 *
 * direct: the client talks to one origin straight (no fanout): the cost
 * of serving a keep-alive request with lib/tcp alone, for comparison.
 * Not a test: it prints numbers, it passes nothing.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_lcore.h>
#include <rte_ring.h>

#include "fo_alog.h"
#include "fo_balance.h"
#include "fo_conf.h"
#include "fo_proxy.h"
#include "fo_route.h"
#include "wire_http.h"

/* fanout's mbuf pool has a per-lcore cache (app/fanout: APP_POOL_CACHE);
 * so does the bench's, on lcore 0 (set in main: no EAL here), so that an
 * mbuf costs what it costs a worker, not the test pool's checked free list. */
#define BENCH_POOL_CACHE 256

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define ORIGIN(i) WIRE_IP(198, 18, 0, 11 + (i))

static const char response[] = "HTTP/1.1 200 OK\r\nServer: origin\r\nContent-Type: text/plain\r\n"
			       "Content-Length: 12\r\n\r\nhello world!";

/* A typical browser-ish request through the seed's /test01 rule. */
static const char request_tpl[] =
	"GET %s HTTP/1.1\r\n"
	"Host: %s\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
	"Accept-Language: en-US,en;q=0.5\r\n"
	"Accept-Encoding: gzip, deflate\r\n"
	"Connection: keep-alive\r\n"
	"Upgrade-Insecure-Requests: 1\r\n"
	"\r\n";

static double
tsc_hz(void)
{
	struct timespec a, b;
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = __builtin_ia32_rdtsc();
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec) < 2e8);
	t1 = __builtin_ia32_rdtsc();
	return (double)(t1 - t0) / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
}

static int
run_direct(uint64_t n, unsigned conns)
{
	struct wire w;
	struct wire_host *ch, *oh;
	struct wire_origin o;
	struct wire_client cl;
	char req[1024];
	uint64_t warm = n / 10 + 1, c0 = 0, r0 = 0, rounds = 0;
	double hz = tsc_hz();

	snprintf(req, sizeof(req), request_tpl, "/", "origin");
	if (wire_init_cached(&w, 65536, 1, BENCH_POOL_CACHE) != 0)
		return 1;
	ch = wire_host_add(&w, CLIENT, NULL);
	oh = wire_host_add(&w, ORIGIN(0), NULL);
	if (ch == NULL || oh == NULL || wire_origin_start(&o, oh, 8000, response) != 0 ||
		wire_client_open(&cl, ch, ORIGIN(0), 8000, conns) != 0)
		return 1;
	wire_client_loop(&cl, req, n + warm);
	while (cl.responses < n + warm && rounds < 100000000) {
		if (cl.responses >= warm && r0 == 0) {
			r0 = cl.responses;
			c0 = oh->cycles;
		}
		if (wire_step(&w) == 0)
			wire_advance(&w, 10);
		rounds++;
	}
	printf("direct: %" PRIu64 " requests over %u connections (%" PRIu64 " bad)\n",
		cl.responses - r0, conns, cl.bad);
	printf("origin host (lib/tcp + trivial HTTP): %.0f cycles/request (%.2f GHz TSC)\n",
		(double)(oh->cycles - c0) / (double)(cl.responses - r0), hz / 1e9);
	wire_client_free(&cl);
	wire_origin_free(&o);
	return wire_free(&w) != 0;
}

/* The seed's fan-out, origins on the wire; %s: django-service's balancing. */
static const char seed_conf[] =
	"interface wire0 { address 198.18.0.1/24; }\n"
	"listen 198.18.0.1:80;\n"
	"http { keepalive_requests 1000000; }\n"
	"upstream django-service { server 198.18.0.11:8000; server 198.18.0.12:8000; "
	"server 198.18.0.13:8000; keepalive_requests 1000000; %s }\n"
	"upstream flask-service { server 198.18.0.14:8000; server 198.18.0.15:8000; "
	"server 198.18.0.16:8000; keepalive_requests 1000000; }\n"
	"route regex \"/test01(/|$)(.*)\" { upstream django-service; rewrite \"/$2\"; }\n"
	"route regex \"/test02(/|$)(.*)\" { upstream flask-service; rewrite \"/$2\"; }\n";

static unsigned
proxy_poll(struct wire_host *h, void *arg)
{
	return fo_proxy_poll(arg) + fo_proxy_poll_tls(arg);
}

static int
run_proxy(uint64_t n, unsigned conns, const char *acct, const char *balance)
{
	struct fo_alog_reg *reg = NULL;
	struct fo_alog_routes *rt = NULL;
	struct fo_alog_writer *lw = NULL;
	struct rte_ring *ring = NULL;
	struct fo_alog_push_stats push = {0};
	struct fo_proxy_acct_links links = {0};
	struct wire w;
	struct wire_host *ch, *fh, *oh[6];
	struct wire_origin o[6];
	struct wire_client cl;
	struct fo_conf *conf;
	struct fo_route_table *routes;
	struct fo_proxy_snapshot *snap;
	struct fo_proxy_worker *pw;
	const struct fo_proxy_stats *ps;
	char req[1280], err[256], text[1024], bal[128], cookie[64] = "";
	uint64_t warm = n / 10 + 1, c0 = 0, r0 = 0, rounds = 0, served = 0, fr0 = 0, ft0 = 0;
	double hz = tsc_hz();
	unsigned i;

	if (strcmp(balance, "sticky") == 0) {
		snprintf(bal, sizeof(bal), "sticky cookie route;");
		snprintf(cookie, sizeof(cookie), "Cookie: route=%016" PRIx64 "\r\n",
			fo_bal_endpoint_id(ORIGIN(0), 8000));
	} else {
		snprintf(bal, sizeof(bal), "balance %s;", balance);
	}
	snprintf(text, sizeof(text), seed_conf, bal);
	conf = fo_conf_parse("bench.conf", text, strlen(text), 0, stderr, NULL);
	if (conf == NULL)
		return 1;
	routes = fo_route_compile(conf, err, sizeof(err));
	if (routes == NULL) {
		fprintf(stderr, "routes: %s\n", err);
		return 1;
	}
	snprintf(req, sizeof(req), request_tpl, "/test01/api/items?page=2", "shop.example.com");
	if (cookie[0] != '\0') /* before the empty line */
		snprintf(req + strlen(req) - 2, sizeof(req) - strlen(req) + 2, "%s\r\n", cookie);
	if (wire_init_cached(&w, 131072, 1, BENCH_POOL_CACHE) != 0)
		return 1;
	ch = wire_host_add(&w, CLIENT, NULL);
	fh = wire_host_add(&w, FANOUT, NULL);
	if (ch == NULL || fh == NULL)
		return 1;
	for (i = 0; i < 6; i++) {
		oh[i] = wire_host_add(&w, ORIGIN(i), NULL);
		if (oh[i] == NULL || wire_origin_start(&o[i], oh[i], 8000, response) != 0)
			return 1;
	}
	snap = fo_proxy_snapshot_create(conf, routes, 1, 1);
	if (snap == NULL)
		abort();
	pw = fo_proxy_worker_create(
		(const struct fo_proxy_snapshot *const *)&snap, fh->tw, fh->net, w.mp, 0, 0, 0);
	if (pw == NULL) {
		fprintf(stderr, "fo_proxy_worker_create failed\n");
		return 1;
	}
	if (strcmp(acct, "off") != 0) {
		reg = fo_alog_reg_create(64, 1);
		rt = fo_alog_routes_create(conf);
		if (reg == NULL || rt == NULL)
			abort();
		fo_alog_reg_ref(reg, rt);
		snap->racct = rt;
		links.rstats = fo_alog_reg_worker(reg, 0);
		links.n_rstats = fo_alog_reg_cap(reg);
	}
	if (strcmp(acct, "log") == 0) {
		struct fo_alog_clock clk = {(uint64_t)hz, 0, 0, 1};

		ring = fo_alog_ring_create("bench", 4096);
		lw = fo_alog_writer_open("/dev/null", FO_ALOG_UPSTREAMINFO, 1u << 20, &clk);
		if (ring == NULL || lw == NULL)
			abort();
		fo_alog_writer_add_ring(lw, ring);
		links.alog = ring;
		links.alog_stats = &push;
	}
	if (fo_proxy_worker_acct(pw, &links) != 0)
		abort();
	fh->poll = proxy_poll;
	fh->poll_arg = pw;
	fh->profiled = true;
	if (wire_client_open(&cl, ch, FANOUT, 80, conns) != 0)
		return 1;
	wire_client_loop(&cl, req, n + warm);
	while (cl.responses < n + warm && rounds < 100000000) {
		if (cl.responses >= warm && r0 == 0) {
			r0 = cl.responses;
			c0 = fh->cycles;
			fr0 = fh->frames_rx;
			ft0 = fh->frames_tx;
		}
		if (wire_step(&w) == 0)
			wire_advance(&w, 10);
		rounds++;
		if (ring != NULL && rte_ring_count(ring) >= 2048)
			fo_alog_writer_drain(lw); /* the control thread's part, not timed */
	}
	ps = fo_proxy_stats(pw);
	for (i = 0; i < 3; i++)
		served += o[i].requests;
	printf("proxy: %" PRIu64 " requests over %u client connections (%" PRIu64 " bad, %" PRIu64
	       " reached django-service origins)\n",
		cl.responses - r0, conns, cl.bad, served);
	printf("balance %s: origins served %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", balance,
		o[0].requests, o[1].requests, o[2].requests);
	printf("upstream connects %" PRIu64 ", reuses %" PRIu64 "; last head at origin:\n%s",
		ps->upstream_connects, ps->upstream_reuses, o[0].last_head);
	printf("fanout host (net + tcp + http + route + proxy): %.0f cycles/request "
	       "(%.2f GHz TSC), accounting %s\n",
		(double)(fh->cycles - c0) / (double)(cl.responses - r0), hz / 1e9, acct);
	printf("fanout host frames per request: %.2f in, %.2f out\n",
		(double)(fh->frames_rx - fr0) / (double)(cl.responses - r0),
		(double)(fh->frames_tx - ft0) / (double)(cl.responses - r0));
	if (ring != NULL) {
		fo_alog_writer_close(lw);
		printf("access log: %" PRIu64 " entries queued, %" PRIu64 " dropped\n", push.pushed,
			push.dropped);
		fo_alog_ring_free(ring);
	}
	wire_client_free(&cl);
	fo_tcp_worker_free(fh->tw); /* no callbacks into the proxy after this */
	fh->tw = NULL;
	fo_proxy_worker_free(pw);
	for (i = 0; i < 6; i++)
		wire_origin_free(&o[i]);
	i = wire_free(&w);
	fo_proxy_snapshot_free(snap);
	if (rt != NULL)
		fo_alog_reg_unref(reg, rt);
	fo_alog_routes_free(rt);
	fo_alog_reg_free(reg);
	fo_route_table_free(routes);
	fo_conf_free(conf);
	return i != 0;
}

int
main(int argc, char **argv)
{
	RTE_PER_LCORE(_lcore_id) = 0;
	const char *mode = argc > 1 ? argv[1] : "direct";
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 0) : 200000;
	unsigned conns = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 16;
	const char *acct = "off", *balance = "round_robin";
	int i;

	if (strcmp(mode, "direct") == 0)
		return run_direct(n, conns);
	for (i = 4; i < argc && i < 6; i++) {
		if (strcmp(argv[i], "off") == 0 || strcmp(argv[i], "metrics") == 0 ||
			strcmp(argv[i], "log") == 0)
			acct = argv[i];
		else
			balance = argv[i];
	}
	if (strcmp(mode, "proxy") == 0)
		return run_proxy(n, conns, acct, balance);
	fprintf(stderr, "usage: bench_proxy [direct|proxy] [requests] [connections] "
			"[off|metrics|log] [balance]\n");
	return 2;
}
