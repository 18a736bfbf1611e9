/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy on the in-process wire (wire.h): a client host, the fanout
 * host (lib/net + lib/tcp + lib/proxy) and origin hosts, all real TCP
 * stacks exchanging frames, with simulated time. Deterministic cases the
 * namespace tests cannot force: the keep-alive race retry, a pooled
 * connection closed by its server, timers of every kind (header, idle,
 * upstream read), refused connections and failover; plus routing with
 * rewrite, keep-alive, pipelining, bodies, errors and smuggling. Every
 * case ends with no session left and no mbuf leaked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_conf.h"
#include "fo_proxy.h"
#include "fo_route.h"
#include "wire_http.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define ORIGIN WIRE_IP(198, 18, 0, 11)
#define DEAD WIRE_IP(198, 18, 0, 12)   /* a host with no listener: RST */
#define SINK WIRE_IP(198, 18, 0, 13)   /* accepts, reads, never answers */
#define HINTS WIRE_IP(198, 18, 0, 14)  /* 103 Early Hints, then 200 */
#define SWITCH WIRE_IP(198, 18, 0, 15) /* 101 to every head it reads */
#define CHUNKY WIRE_IP(198, 18, 0, 16) /* a chunked response with extensions and trailers */

static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world!";
static const char hints[] = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
			    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static const char chunky[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			     "5;ext=1\r\nhello\r\n006 ; q=\"a b\"\r\n world\r\n0;z\r\nX-T: 1\r\n\r\n";
static const char switching[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n"
				"Connection: Upgrade\r\n\r\n";

static const char conf_text[] =
	"interface wire0 { address 198.18.0.1/24; }\n"
	"listen 198.18.0.1:80;\n"
	"http { client_header_timeout 2s; keepalive_timeout 5s; }\n"
	"upstream origin { server 198.18.0.11:8000; }\n"
	"upstream failover { server 198.18.0.12:8000; server 198.18.0.11:8000; }\n"
	"upstream dead { server 198.18.0.12:8000; }\n"
	"upstream sink { server 198.18.0.13:8000; read_timeout 3s; }\n"
	"upstream hints { server 198.18.0.14:8000; }\n"
	"upstream switch { server 198.18.0.15:8000; }\n"
	"upstream empty { }\n"
	"upstream chunky { server 198.18.0.16:8000; }\n"
	"route regex \"/test01(/|$)(.*)\" { upstream origin; rewrite \"/$2\"; "
	"client_max_body_size 200k; }\n"
	"route prefix /failover { upstream failover; }\n"
	"route prefix /dead { upstream dead; }\n"
	"route prefix /sink { upstream sink; }\n"
	"route prefix /hints { upstream hints; }\n"
	"route prefix /switch { upstream switch; allow_upgrade echo websocket; }\n"
	"route prefix /other-switch { upstream switch; allow_upgrade other; }\n"
	"route prefix /empty { upstream empty; }\n"
	"route prefix /chunky { upstream chunky; }\n"
	"route prefix /hosted { host example.test; upstream origin; }\n";

struct bench {
	struct wire w;
	struct wire_host *ch, *fh, *oh, *dh, *sh, *hh, *swh, *kh;
	struct wire_origin o, ho, swo, ko;
	struct wire_client cl;
	struct fo_conf *conf;
	struct fo_route_table *routes;
	struct fo_proxy_snapshot *snap;
	struct fo_proxy_worker *pw;
};

static unsigned
proxy_poll(struct wire_host *h, void *arg)
{
	(void)h;
	return fo_proxy_poll(arg);
}

/* SINK: accept, read and drop, never answer */
static void
sink_readable(struct fo_tcp_conn *c, void *user)
{
	struct rte_mbuf *m;
	ssize_t n;

	(void)user;
	while ((n = fo_tcp_recv(c, &m, UINT32_MAX)) > 0)
		rte_pktmbuf_free(m);
	if (n == 0)
		fo_tcp_close(c);
}

static int
sink_accept(struct fo_tcp_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

static const struct fo_tcp_ops sink_ops = {
	.accept = sink_accept,
	.readable = sink_readable,
};

static int
setup(void **state)
{
	struct bench *b = calloc(1, sizeof(*b));
	char err[256];

	assert_non_null(b);
	b->conf = fo_conf_parse("wire.conf", conf_text, sizeof(conf_text) - 1, 0, stderr, NULL);
	assert_non_null(b->conf);
	b->routes = fo_route_compile(b->conf, err, sizeof(err));
	assert_non_null(b->routes);
	assert_int_equal(wire_init(&b->w, 32768, 0), 0);
	b->ch = wire_host_add(&b->w, CLIENT, NULL);
	b->fh = wire_host_add(&b->w, FANOUT, NULL);
	b->oh = wire_host_add(&b->w, ORIGIN, NULL);
	b->dh = wire_host_add(&b->w, DEAD, NULL);
	b->sh = wire_host_add(&b->w, SINK, NULL);
	b->hh = wire_host_add(&b->w, HINTS, NULL);
	b->swh = wire_host_add(&b->w, SWITCH, NULL);
	b->kh = wire_host_add(&b->w, CHUNKY, NULL);
	assert_non_null(b->kh);
	assert_int_equal(wire_origin_start(&b->o, b->oh, 8000, response), 0);
	assert_int_equal(wire_origin_start(&b->ho, b->hh, 8000, hints), 0);
	assert_int_equal(wire_origin_start(&b->swo, b->swh, 8000, switching), 0);
	assert_int_equal(wire_origin_start(&b->ko, b->kh, 8000, chunky), 0);
	assert_int_equal(fo_tcp_listen(b->sh->tw, 0, 8000, &sink_ops, NULL), 0);
	b->snap = fo_proxy_snapshot_create(b->conf, b->routes, 1, 1);
	assert_non_null(b->snap);
	b->pw = fo_proxy_worker_create((const struct fo_proxy_snapshot *const *)&b->snap,
		b->fh->tw, b->fh->net, b->w.mp, 0, 64, 0);
	assert_non_null(b->pw);
	b->fh->poll = proxy_poll;
	b->fh->poll_arg = b->pw;
	assert_int_equal(wire_client_open(&b->cl, b->ch, FANOUT, 80, 1), 0);
	wire_run(&b->w, 10000);
	assert_true(b->cl.conns[0].connected);
	*state = b;
	return 0;
}

static int
teardown(void **state)
{
	struct bench *b = *state;
	unsigned leaked;

	/* let closes finish, then no session may be left */
	wire_advance(&b->w, 10000);
	wire_run(&b->w, 100000);
	wire_client_free(&b->cl);
	fo_tcp_worker_free(b->fh->tw); /* no callbacks into the proxy after this */
	b->fh->tw = NULL;
	fo_proxy_worker_free(b->pw);
	wire_origin_free(&b->o);
	wire_origin_free(&b->ho);
	wire_origin_free(&b->swo);
	wire_origin_free(&b->ko);
	leaked = wire_free(&b->w);
	fo_proxy_snapshot_free(b->snap);
	fo_route_table_free(b->routes);
	fo_conf_free(b->conf);
	free(b);
	assert_int_equal(leaked, 0);
	return 0;
}

static const struct fo_proxy_stats *
stats(struct bench *b)
{
	return fo_proxy_stats(b->pw);
}

static void
send_str(struct bench *b, const char *s)
{
	assert_int_equal(wire_client_send(&b->cl, 0, s, strlen(s)), 0);
}

/* Run until quiet; return what the client received since the last call. */
static const char *
exchange(struct bench *b, const char *req)
{
	struct wire_client_conn *cc = &b->cl.conns[0];

	cc->rx_len = 0;
	if (req != NULL)
		send_str(b, req);
	wire_run(&b->w, 100000);
	cc->rx[cc->rx_len < WIRE_BUF ? cc->rx_len : WIRE_BUF - 1] = '\0';
	return cc->rx;
}

/* Statuses of the responses in @p rx, in order, as "200 404 ...". */
static const char *
statuses(const char *rx, char *out, size_t len)
{
	const char *p = rx;
	size_t used = 0;

	out[0] = '\0';
	while ((p = strstr(p, "HTTP/1.1 ")) != NULL && used + 5 < len) {
		used += (size_t)snprintf(out + used, len - used, "%s%.3s", used ? " " : "", p + 9);
		p += 9;
	}
	return out;
}

static void
test_get_rewrite_keepalive(void **state)
{
	struct bench *b = *state;
	char st[64];
	int i;

	for (i = 0; i < 3; i++) {
		const char *rx =
			exchange(b, "GET /test01/x/y?q=1 HTTP/1.1\r\nHost: a.example\r\n\r\n");

		assert_string_equal(statuses(rx, st, sizeof(st)), "200");
		assert_non_null(strstr(rx, "hello world!"));
	}
	assert_true(
		strncmp(b->o.last_head, "GET /x/y?q=1 HTTP/1.1\r\nHost: a.example\r\n", 40) == 0);
	assert_non_null(strstr(b->o.last_head, "X-Forwarded-For: 198.18.0.2\r\n"));
	assert_non_null(strstr(b->o.last_head, "X-Request-ID: "));
	assert_int_equal(stats(b)->requests, 3);
	assert_int_equal(stats(b)->requests_keepalive, 2);
	assert_int_equal(stats(b)->upstream_connects, 1);
	assert_int_equal(stats(b)->upstream_reuses, 2);
	assert_int_equal(stats(b)->upstream_idle, 1);
	assert_int_equal(b->o.conns_accepted, 1);
}

static void
test_pipelined_in_order(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n"
			 "GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n"
			 "POST /test01/p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
			 "HEAD /test01 HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200 404 200 200");
	assert_int_equal(b->o.requests, 3);
	assert_int_equal(stats(b)->requests_pipelined, 3);
	assert_int_equal(stats(b)->gen_404, 1);
	assert_false(b->cl.conns[0].eof);
}

static void
test_body_limit_413(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "POST /test01 HTTP/1.1\r\nHost: a\r\nContent-Length: 300000\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "413");
	assert_non_null(strstr(rx, "Connection: close"));
	assert_int_equal(b->o.requests, 0);
	assert_true(b->cl.conns[0].eof);
}

/* A service without endpoints (an upstream with no server): 503, connection kept. */
static void
test_no_endpoint_503(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /empty/a HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "503");
	assert_non_null(strstr(rx, "no server"));
	assert_false(b->cl.conns[0].eof);
	rx = exchange(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_int_equal(stats(b)->gen_503, 1);
	assert_int_equal(stats(b)->upstream_connects, 1);
}

static void
test_smuggling_400(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "POST /test01 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
			 "GET /test01/smuggled HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "400");
	assert_int_equal(b->o.requests, 0);
	assert_int_equal(stats(b)->parse_err[FO_HTTP_E_cl_and_te], 1);
	assert_true(b->cl.conns[0].eof);
}

static void
test_refused_failover(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	/* first server refuses (RST): the next one answers */
	rx = exchange(b, "GET /failover HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_int_equal(stats(b)->upstream_connect_failed, 1);
	assert_int_equal(stats(b)->upstream_retries, 1);
	/* a single server that refuses: 502 saying so, connection kept */
	rx = exchange(b, "GET /dead HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "502");
	assert_non_null(strstr(rx, "refused the connection (198.18.0.12:8000)"));
	assert_false(b->cl.conns[0].eof);
	assert_int_equal(stats(b)->gen_502, 1);
}

static void
test_pooled_closed_by_server(void **state)
{
	struct bench *b = *state;
	char st[64];
	unsigned i;

	exchange(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(stats(b)->upstream_idle, 1);
	for (i = 0; i < b->o.n_conns; i++) {
		if (b->o.conns[i].c != NULL) {
			fo_tcp_close(b->o.conns[i].c);
			b->o.conns[i].c = NULL;
		}
	}
	wire_run(&b->w, 100000);
	assert_int_equal(stats(b)->upstream_idle, 0);
	assert_int_equal(stats(b)->upstream_idle_closed, 1);
	assert_string_equal(
		statuses(exchange(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n"), st, sizeof(st)),
		"200");
	assert_int_equal(stats(b)->upstream_connects, 2);
}

static void
test_keepalive_race_retry(void **state)
{
	struct bench *b = *state;
	struct wire_client_conn *cc = &b->cl.conns[0];
	char st[64];
	unsigned i;

	exchange(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n");
	/* the server closes the pooled connection while the next request is on its way */
	cc->rx_len = 0;
	send_str(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n");
	wire_step(&b->w); /* request to fanout */
	wire_step(&b->w); /* fanout sends it on the pooled connection */
	for (i = 0; i < b->o.n_conns; i++) {
		if (b->o.conns[i].c != NULL) {
			fo_tcp_abort(b->o.conns[i].c); /* the request finds an RST */
			b->o.conns[i].c = NULL;
		}
	}
	wire_run(&b->w, 100000);
	cc->rx[cc->rx_len] = '\0';
	assert_string_equal(statuses(cc->rx, st, sizeof(st)), "200");
	assert_int_equal(stats(b)->upstream_retries, 1);
	assert_int_equal(stats(b)->gen_502, 0);
	assert_int_equal(stats(b)->upstream_connects, 2);
}

/*
 * Many keep-alive races within one second (an upstream that restarted
 * between two bursts resets every pooled connection): each is resent on a
 * fresh connection, none is refused by the retry budget (3 + 20 % of the
 * second's requests: 12 races in 25 requests exceed it even when a budget
 * second ends halfway).
 */
static void
test_keepalive_races_outside_budget(void **state)
{
	struct bench *b = *state;
	struct wire_client_conn *cc = &b->cl.conns[0];
	char st[64];
	unsigned i, k;
	uint64_t t0;

	exchange(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n");
	t0 = b->w.now;
	for (k = 0; k < 12; k++) {
		cc->rx_len = 0;
		send_str(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n");
		wire_step(&b->w);
		wire_step(&b->w);
		for (i = 0; i < b->o.n_conns; i++) {
			if (b->o.conns[i].c != NULL) {
				fo_tcp_abort(b->o.conns[i].c);
				b->o.conns[i].c = NULL;
			}
		}
		wire_run(&b->w, 100000);
		cc->rx[cc->rx_len] = '\0';
		assert_string_equal(statuses(cc->rx, st, sizeof(st)), "200");
		exchange(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n");
	}
	assert_true(b->w.now - t0 < 1000000000ull); /* all within one second */
	assert_int_equal(stats(b)->upstream_stale_retries, 12);
	assert_int_equal(stats(b)->retries_budget_exhausted, 0);
	assert_int_equal(stats(b)->gen_502, 0);
}

static void
test_header_timeout_408(void **state)
{
	struct bench *b = *state;
	char st[64];

	exchange(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n");
	assert_int_equal(b->cl.conns[0].rx_len, 0);
	wire_advance(&b->w, 2100);
	assert_string_equal(statuses(exchange(b, NULL), st, sizeof(st)), "408");
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(stats(b)->client_timeouts, 1);
	assert_int_equal(b->o.requests, 0);
}

static void
test_idle_keepalive_timeout(void **state)
{
	struct bench *b = *state;

	exchange(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n");
	wire_advance(&b->w, 4000);
	exchange(b, NULL);
	assert_false(b->cl.conns[0].eof); /* 4 s < keepalive_timeout 5 s */
	wire_advance(&b->w, 1500);
	exchange(b, NULL);
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(b->cl.conns[0].rx_len, 0); /* closed without a word */
	assert_int_equal(stats(b)->client_idle_closed, 1);
	assert_int_equal(stats(b)->sessions, 0);
}

static void
test_read_timeout_504(void **state)
{
	struct bench *b = *state;
	char st[64];

	exchange(b, "GET /sink HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(b->cl.conns[0].rx_len, 0);
	wire_advance(&b->w, 2900);
	assert_int_equal(exchange(b, NULL)[0], '\0');
	wire_advance(&b->w, 200);
	assert_string_equal(statuses(exchange(b, NULL), st, sizeof(st)), "504");
	assert_int_equal(stats(b)->upstream_timeouts, 1);
	assert_false(b->cl.conns[0].eof); /* whole request read: the connection goes on */
	assert_string_equal(
		statuses(exchange(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n"), st, sizeof(st)),
		"200");
}

static void
test_interim_1xx(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /hints HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "103 200");
	assert_non_null(strstr(rx, "Link: </a.css>; rel=preload\r\n"));
	assert_int_equal(stats(b)->responses_1xx, 1);
	/* HTTP/1.0 clients do not get interim responses */
	rx = exchange(b, "GET /hints HTTP/1.0\r\nHost: a\r\n\r\n");
	assert_non_null(strstr(rx, " 200 OK\r\n"));
	assert_null(strstr(rx, "103"));
	assert_true(b->cl.conns[0].eof);
}

/* A tunnel where nothing moves ends after the upstream's read_timeout (60 s). */
static void
test_tunnel_idle_timeout(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /switch HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\n"
			 "Connection: Upgrade\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "101");
	wire_advance(&b->w, 50000);
	exchange(b, NULL);
	assert_int_equal(stats(b)->sessions, 1); /* 50 s: still open */
	rx = exchange(b, "ping\r\n\r\n");     /* activity moves the deadline */
	assert_string_equal(rx, switching);
	wire_advance(&b->w, 50000);
	exchange(b, NULL);
	assert_int_equal(stats(b)->sessions, 1);
	wire_advance(&b->w, 11000);
	exchange(b, NULL);
	assert_int_equal(stats(b)->sessions, 0);
	assert_int_equal(stats(b)->client_timeouts, 1);
	assert_true(b->cl.conns[0].closed != 0);
}

static void
test_upgrade_tunnel(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	/* without an Upgrade request, a 101 is a bad gateway */
	rx = exchange(b, "GET /switch HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "502");
	rx = exchange(b, "GET /switch HTTP/1.1\r\nHost: a\r\nUpgrade: echo\r\n"
			 "Connection: Upgrade\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "101");
	assert_non_null(strstr(b->swo.last_head, "Upgrade: echo\r\n"));
	assert_int_equal(stats(b)->tunnels, 1);
	/* raw bytes now: the origin answers any "head" with its fixed bytes */
	rx = exchange(b, "ping\r\n\r\n");
	assert_string_equal(rx, switching);
	assert_int_equal(b->swo.requests, 3);
	/* the client's FIN goes through; the origin closes; so does the tunnel */
	fo_tcp_shutdown(b->cl.conns[0].c);
	exchange(b, NULL);
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(stats(b)->sessions, 0);
}

/*
 * A chunked request goes upstream with fanout's own chunk lines: sizes in
 * plain hex, no extensions, no trailers; the data as sent.
 */
static void
test_chunked_request_reframed(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "POST /test01/up HTTP/1.1\r\nHost: a\r\ntransfer-encoding:  Chunked\r\n\r\n"
			 "4;a=b\r\nwiki\r\n0005 ; x = \"q;\\\"\"\r\npedia\r\n0;end\r\nT: 1\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_non_null(strstr(b->o.last_head, "\r\nTransfer-Encoding: chunked\r\n"));
	assert_null(strstr(b->o.last_head, "transfer-encoding"));
	assert_string_equal(b->o.last_body, "4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n");
	/* a body in pieces: each piece of data is a chunk of its own */
	send_str(b, "POST /test01/up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "a;x\r\n01234");
	exchange(b, NULL);
	rx = exchange(b, "56789\r\n0\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_string_equal(b->o.last_body, "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n");
	assert_int_equal(b->o.requests, 2);
	assert_false(b->cl.conns[0].eof);
}

/*
 * Data of a chunked body in canonical form (bare lowercase hex sizes, no
 * extensions); @return its length, or -1 when the framing is anything else.
 */
static long
dechunk(const char *in, size_t len, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	for (;;) {
		size_t n = 0, j = i;

		while (j < len && ((in[j] >= '0' && in[j] <= '9') || (in[j] >= 'a' && in[j] <= 'f')))
			n = n * 16 + (size_t)(in[j] <= '9' ? in[j] - '0' : in[j] - 'a' + 10), j++;
		if (j == i || j + 2 > len || memcmp(in + j, "\r\n", 2) != 0)
			return -1;
		i = j + 2;
		if (n == 0)
			return i + 2 == len && memcmp(in + i, "\r\n", 2) == 0 ? (long)o : -1;
		if (i + n + 2 > len || o + n > cap || memcmp(in + i + n, "\r\n", 2) != 0)
			return -1;
		memcpy(out + o, in + i, n);
		o += n;
		i += n + 2;
	}
}

/* A body over several segments and TCP segments: the data goes on intact, re-framed. */
static void
test_chunked_request_large(void **state)
{
	struct bench *b = *state;
	static char req[8192], data[6000], got[8192];
	char st[64];
	const char *rx;
	size_t i, n;
	long dl;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	n = (size_t)snprintf(req, sizeof(req),
		"POST /test01/big HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
		"1000;big=\"yes\"\r\n");
	memcpy(req + n, data, 4096);
	n += 4096;
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n770\r\n");
	memcpy(req + n, data + 4096, sizeof(data) - 4096);
	n += sizeof(data) - 4096;
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n0\r\n\r\n");
	assert_int_equal(wire_client_send(&b->cl, 0, req, n), 0);
	rx = exchange(b, NULL);
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	dl = dechunk(b->o.last_body, b->o.last_body_len, got, sizeof(got));
	assert_int_equal(dl, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	assert_null(strstr(b->o.last_body, "big"));
}

/* Chunk lines a backend could read differently never get past fanout. */
static void
test_chunk_ext_smuggling_400(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "POST /test01/up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "1;a=\"\r\nx\r\n0\r\n\r\n"
			 "GET /test01/smuggled HTTP/1.1\r\nHost: a\r\n\r\n\"\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "400");
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(stats(b)->parse_err[FO_HTTP_E_bad_chunk], 1);
	assert_null(strstr(b->o.last_head, "smuggled"));
	assert_int_equal(b->o.last_body_len, 0); /* nothing of the body went on */
}

static void
test_chunk_size_413(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	/* 0x40000 = 256 KiB in one chunk, over the route's 200k: refused at its size line */
	rx = exchange(b, "POST /test01/up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "40000\r\nxyz");
	assert_string_equal(statuses(rx, st, sizeof(st)), "413");
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(stats(b)->gen_413, 1);
	assert_int_equal(b->o.last_body_len, 0);
}

/*
 * absolute-form: the target's authority is the host (RFC 9112 3.2.2), for
 * routing and for the upstream; Content-Length goes on once, canonical.
 */
static void
test_absolute_form_and_content_length(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /hosted/x HTTP/1.1\r\nHost: other.invalid\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "404");
	rx = exchange(b, "POST http://example.test/hosted/x?y HTTP/1.1\r\nHost: other.invalid\r\n"
			 "Content-Length: 010\r\ncontent-length: 10\r\n\r\n0123456789");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_true(strncmp(b->o.last_head, "POST /hosted/x?y HTTP/1.1\r\nHost: example.test\r\n"
					    "Content-Length: 10\r\nX-Forwarded-For: ",
			    72) == 0);
	assert_null(strstr(b->o.last_head, "other.invalid"));
	assert_non_null(strstr(b->o.last_head, "\r\nX-Forwarded-Host: example.test\r\n"));
	assert_string_equal(b->o.last_body, "0123456789");
	assert_false(b->cl.conns[0].eof);
}

/* Transfer_Encoding is Transfer-Encoding to some servers: dropped and counted. */
static void
test_underscores_dropped(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "POST /test01/u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
			 "Transfer_Encoding: chunked\r\nX_Y: 1\r\nX-Z: a_b\r\n\r\nhello");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_null(strstr(b->o.last_head, "Transfer_Encoding"));
	assert_null(strstr(b->o.last_head, "X_Y"));
	assert_non_null(strstr(b->o.last_head, "\r\nX-Z: a_b\r\n"));
	assert_string_equal(b->o.last_body, "hello");
	assert_int_equal(stats(b)->underscore_headers_dropped, 2);
	/* underscores_in_headers on: they go on (the snapshot's conf, read per request) */
	b->conf->http.underscores_in_headers = 1;
	rx = exchange(b, "GET /test01/u HTTP/1.1\r\nHost: a\r\nX_Y: 1\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_non_null(strstr(b->o.last_head, "\r\nX_Y: 1\r\n"));
	assert_int_equal(stats(b)->underscore_headers_dropped, 2);
}

/*
 * Upgrade: only the route's protocols (websocket by default); otherwise the
 * request is served as plain HTTP/1.1, so no backend can switch to h2c.
 */
static void
test_upgrade_not_allowed(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /test01/x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\n"
			 "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_null(strstr(b->o.last_head, "pgrade"));
	assert_null(strstr(b->o.last_head, "HTTP2-Settings"));
	assert_null(strstr(b->o.last_head, "h2c"));
	assert_int_equal(stats(b)->upgrade_refused, 1);
	/* a backend that switches anyway is a bad gateway, not a tunnel */
	rx = exchange(b, "GET /switch HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n"
			 "Upgrade: websocket, h2c\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "502");
	assert_null(strstr(b->swo.last_head, "pgrade"));
	/* HTTP/1.0 Upgrade is ignored (RFC 9110 7.8) */
	rx = exchange(b, "GET /switch HTTP/1.0\r\nHost: a\r\nConnection: upgrade\r\n"
			 "Upgrade: echo\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "502");
	assert_null(strstr(b->swo.last_head, "pgrade"));
	assert_int_equal(stats(b)->upgrade_refused, 3);
	assert_int_equal(stats(b)->tunnels, 0);
}

/* A 101 to a protocol the route does not allow is refused too. */
static void
test_upgrade_101_other_protocol(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /other-switch HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n"
			 "Upgrade: OTHER/2\r\n\r\n");
	assert_non_null(strstr(b->swo.last_head, "\r\nUpgrade: OTHER/2\r\n"));
	assert_string_equal(statuses(rx, st, sizeof(st)), "502"); /* it answered Upgrade: echo */
	assert_non_null(strstr(rx, "does not allow"));
	assert_int_equal(stats(b)->tunnels, 0);
	assert_int_equal(stats(b)->upgrade_refused, 0);
}

/* A chunked response reaches the client re-framed, its trailers kept. */
static void
test_chunked_response_reframed(void **state)
{
	struct bench *b = *state;
	const char *rx;

	rx = exchange(b, "GET /chunky HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(rx, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				"5\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n");
	assert_int_equal(stats(b)->upstream_pooled, 1);
	assert_false(b->cl.conns[0].eof);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_rewrite_keepalive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_limit_413, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_endpoint_503, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smuggling_400, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_failover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pooled_closed_by_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keepalive_race_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_keepalive_races_outside_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_timeout_408, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_keepalive_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_timeout_504, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interim_1xx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_tunnel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunked_request_reframed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunked_request_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunk_ext_smuggling_400, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunk_size_413, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunked_response_reframed, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_absolute_form_and_content_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_underscores_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_not_allowed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_101_other_protocol, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
