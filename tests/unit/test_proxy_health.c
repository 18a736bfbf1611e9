/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy health on the in-process wire, the worker's side of the
 * contract with the control thread: servers the published table marks
 * DOWN get no request (and an upstream with every server down answers 503
 * saying so), an EJECTED one only when nothing else may take it;
 * failures are reported on the obs ring with the worker's streak, and the
 * first response after them as OK; checks queued on the probe ring run on
 * the worker's TCP stack and report the status (or why there is none);
 * a status next_upstream lists is retried on the next server for a GET,
 * never for a POST with a body; retries stay within the budget (3 + 20%
 * of the second's requests), and the budget comes back the next second.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "fo_conf.h"
#include "fo_proxy.h"
#include "fo_route.h"
#include "wire_http.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define A WIRE_IP(198, 18, 0, 11)
#define B WIRE_IP(198, 18, 0, 12)
#define C WIRE_IP(198, 18, 0, 13)

static const char resp_a[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA";
static const char resp_b[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB";
static const char resp_c[] = "HTTP/1.1 503 Busy\r\nContent-Length: 1\r\n\r\nC";

static const char conf_text[] =
	"interface wire0 { address 198.18.0.1/24; }\nlisten 198.18.0.1:80;\n"
	"upstream u { server 198.18.0.11:8000; server 198.18.0.12:8000; }\n"
	/* C answers 503; A behind it */
	"upstream s { server 198.18.0.13:8000; server 198.18.0.11:8000; "
	"next_upstream error timeout http_503; max_fails 0; }\n"
	/* port 9 of A: nothing listens (refused) */
	"upstream dead { server 198.18.0.11:9; server 198.18.0.12:8000; }\n"
	"route prefix /s { upstream s; }\n"
	"route prefix /dead { upstream dead; }\n"
	"route prefix / { upstream u; }\n";

/* health slots: u = A 0, B 1; s = C 2, A 3; dead = A:9 4, B 5 */
#define N_SLOTS 8

struct hb {
	struct wire w;
	struct wire_host *ch, *fh, *ah, *bh, *chh;
	struct wire_origin oa, ob, oc;
	struct wire_client cl;
	struct fo_conf *conf;
	struct fo_route_table *routes;
	struct fo_proxy_snapshot *snap;
	struct fo_proxy_worker *pw;
	uint8_t health[N_SLOTS];
	struct fo_proxy_ep_stats ep[N_SLOTS];
	struct rte_ring *probes, *obs;
	uint32_t wake_pending;
	unsigned wakes;
};

static void
wake(void *arg)
{
	((struct hb *)arg)->wakes++;
}

static unsigned
proxy_poll(struct wire_host *h, void *arg)
{
	(void)h;
	return fo_proxy_poll(arg) + fo_proxy_poll_tls(arg);
}

/* an SPSC ring in plain memory (no EAL in unit tests) */
static struct rte_ring *
ring_new(const char *name, unsigned esize, unsigned count)
{
	ssize_t sz = rte_ring_get_memsize_elem(esize, count);
	struct rte_ring *r;

	assert_true(sz > 0);
	r = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL((size_t)sz, RTE_CACHE_LINE_SIZE));
	assert_non_null(r);
	assert_int_equal(rte_ring_init(r, name, count, RING_F_SP_ENQ | RING_F_SC_DEQ), 0);
	return r;
}

static int
setup(void **state)
{
	struct hb *b = calloc(1, sizeof(*b));
	struct fo_proxy_links l = {0};
	char err[256];
	unsigned i;

	assert_non_null(b);
	assert_int_equal(wire_init(&b->w, 32768, 0), 0);
	b->ch = wire_host_add(&b->w, CLIENT, NULL);
	b->fh = wire_host_add(&b->w, FANOUT, NULL);
	b->ah = wire_host_add(&b->w, A, NULL);
	b->bh = wire_host_add(&b->w, B, NULL);
	b->chh = wire_host_add(&b->w, C, NULL);
	assert_non_null(b->chh);
	assert_int_equal(wire_origin_start(&b->oa, b->ah, 8000, resp_a), 0);
	assert_int_equal(wire_origin_start(&b->ob, b->bh, 8000, resp_b), 0);
	assert_int_equal(wire_origin_start(&b->oc, b->chh, 8000, resp_c), 0);
	b->conf = fo_conf_parse("health.conf", conf_text, strlen(conf_text), 0, stderr, NULL);
	assert_non_null(b->conf);
	b->routes = fo_route_compile(b->conf, err, sizeof(err));
	assert_non_null(b->routes);
	b->snap = fo_proxy_snapshot_create(b->conf, b->routes, 1, 1);
	assert_non_null(b->snap);
	for (i = 0; i < 6; i++) {
		b->snap->hslot[i] = i;
		b->snap->hocc[i] = 100 + i;
	}
	b->pw = fo_proxy_worker_create((const struct fo_proxy_snapshot *const *)&b->snap,
		b->fh->tw, b->fh->net, b->w.mp, 0, 64, 0);
	assert_non_null(b->pw);
	b->probes = ring_new("probes", FO_PROXY_PROBE_RING_ESIZE, 16);
	b->obs = ring_new("obs", FO_PROXY_OBS_RING_ESIZE, 64);
	l.health = b->health;
	l.n_slots = N_SLOTS;
	l.ep_stats = b->ep;
	l.probes = b->probes;
	l.obs = b->obs;
	l.wake = wake;
	l.wake_arg = b;
	l.wake_pending = &b->wake_pending;
	fo_proxy_worker_attach(b->pw, &l);
	b->fh->poll = proxy_poll;
	b->fh->poll_arg = b->pw;
	assert_int_equal(wire_client_open(&b->cl, b->ch, FANOUT, 80, 2), 0);
	wire_run(&b->w, 10000);
	assert_true(b->cl.conns[0].connected && b->cl.conns[1].connected);
	*state = b;
	return 0;
}

static int
teardown(void **state)
{
	struct hb *b = *state;
	unsigned leaked;

	wire_advance(&b->w, 100000);
	wire_run(&b->w, 100000);
	wire_client_free(&b->cl);
	fo_tcp_worker_free(b->fh->tw);
	b->fh->tw = NULL;
	fo_proxy_worker_free(b->pw);
	wire_origin_free(&b->oa);
	wire_origin_free(&b->ob);
	wire_origin_free(&b->oc);
	leaked = wire_free(&b->w);
	fo_proxy_snapshot_free(b->snap);
	fo_route_table_free(b->routes);
	fo_conf_free(b->conf);
	free(b->probes);
	free(b->obs);
	free(b);
	assert_int_equal(leaked, 0);
	return 0;
}

/* one request on client connection 0; @return the body's first byte, or the status's last digit */
static char
req(struct hb *b, const char *method, const char *path, const char *body)
{
	struct wire_client_conn *cc = &b->cl.conns[0];
	char buf[256];
	const char *p;

	cc->rx_len = 0;
	if (body != NULL)
		snprintf(buf, sizeof(buf), "%s %s HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n%s",
			method, path, strlen(body), body);
	else
		snprintf(buf, sizeof(buf), "%s %s HTTP/1.1\r\nHost: h\r\n\r\n", method, path);
	assert_int_equal(wire_client_send(&b->cl, 0, buf, strlen(buf)), 0);
	wire_run(&b->w, 100000);
	cc->rx[cc->rx_len < WIRE_BUF ? cc->rx_len : WIRE_BUF - 1] = '\0';
	p = strstr(cc->rx, "\r\n\r\n");
	assert_non_null(p);
	if (strncmp(cc->rx, "HTTP/1.1 200", 12) != 0 && strncmp(cc->rx, "HTTP/1.1 503 Busy", 17) != 0)
		return cc->rx[11];
	return p[4];
}

static unsigned
obs_take(struct hb *b, struct fo_proxy_obs *o, unsigned max)
{
	return rte_ring_sc_dequeue_burst_elem(b->obs, o, sizeof(*o), max, NULL);
}

static void
test_down_skipped(void **state)
{
	struct hb *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);
	unsigned i;

	b->health[0] = FO_PROXY_HEALTH_DOWN; /* A in u */
	for (i = 0; i < 4; i++)
		assert_int_equal(req(b, "GET", "/x", NULL), 'B');
	assert_true(st->upstream_down_skips >= 1);
	assert_int_equal(b->oa.conns_accepted, 0);
	/* A in upstream s is another slot: not down there (C 503 -> retried on A) */
	assert_int_equal(req(b, "GET", "/s", NULL), 'A');
	/* both down: 503 that says so */
	b->health[1] = FO_PROXY_HEALTH_DOWN;
	assert_int_equal(req(b, "GET", "/x", NULL), '3');
	assert_non_null(strstr(b->cl.conns[0].rx, "no healthy server in upstream u"));
	assert_int_equal(st->upstream_no_healthy, 1);
	/* up again */
	b->health[0] = b->health[1] = 0;
	assert_true(req(b, "GET", "/x", NULL) != '3');
	/* ejected: passed over while B may take it, used when nothing else may */
	b->health[1] = FO_PROXY_HEALTH_EJECTED;
	for (i = 0; i < 3; i++)
		assert_int_equal(req(b, "GET", "/x", NULL), 'A');
	b->health[0] = FO_PROXY_HEALTH_DOWN;
	assert_int_equal(req(b, "GET", "/x", NULL), 'B');
	assert_true(st->upstream_ejected_skips >= 1);
	/* per-endpoint counters of the slots */
	assert_true(b->ep[1].requests >= 5 && b->ep[0].requests >= 3);
	assert_int_equal(b->ep[0].active + b->ep[1].active, 0);
	assert_int_equal(b->ep[0].idle, 1);
	assert_int_equal(b->ep[1].idle, 1);
}

static void
test_failures_reported(void **state)
{
	struct hb *b = *state;
	struct fo_proxy_obs o[16];
	unsigned n, i, connect = 0, ok = 0;

	/* A:9 refuses: retried on B, the failure reported with its streak */
	for (i = 0; i < 4; i++)
		assert_int_equal(req(b, "GET", "/dead", NULL), 'B');
	n = obs_take(b, o, 16);
	for (i = 0; i < n; i++) {
		if (o[i].kind == FO_PROXY_OBS_CONNECT) {
			assert_int_equal(o[i].slot, 4);
			assert_int_equal(o[i].seq, 104); /* the slot's occupant, as the snapshot says */
			assert_int_equal(o[i].streak, connect + 1);
			connect++;
		}
	}
	assert_int_equal(connect, 2); /* every other request starts at A:9 */
	assert_int_equal(b->ep[4].failures, 2);
	/* a 503 next_upstream lists: a failure of C (STATUS 503), retried on A */
	assert_int_equal(req(b, "GET", "/s", NULL), 'A');
	assert_int_equal(req(b, "GET", "/s", NULL), 'A');
	n = obs_take(b, o, 16);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].kind, FO_PROXY_OBS_STATUS);
	assert_int_equal(o[0].slot, 2);
	assert_int_equal(o[0].status, 503);
	/* a POST with a body is never replayed: C's 503 goes to the client */
	for (i = 0, n = 0; i < 2; i++)
		n += req(b, "POST", "/s", "data") == 'C';
	assert_int_equal(n, 1);
	/* C answered 503 each time: failures only, never an OK */
	n = obs_take(b, o, 16);
	for (i = 0; i < n; i++)
		ok += o[i].kind == FO_PROXY_OBS_OK;
	assert_int_equal(ok, 0);
}

static void
test_ok_after_failure(void **state)
{
	struct hb *b = *state;
	struct fo_proxy_obs o[16];
	unsigned n;

	/* B held: a request times out on it (read_timeout 60 s, advanced) */
	b->ob.hold = 1;
	b->health[0] = FO_PROXY_HEALTH_DOWN; /* only B in u */
	assert_int_equal(wire_client_send(&b->cl, 0, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n", 28), 0);
	wire_run(&b->w, 100000);
	wire_advance(&b->w, 61000);
	wire_run(&b->w, 100000);
	n = obs_take(b, o, 16);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].kind, FO_PROXY_OBS_TIMEOUT);
	assert_int_equal(o[0].slot, 1);
	assert_int_equal(o[0].streak, 1);
	b->ob.hold = 0;
	wire_origin_release(&b->ob);
	wire_run(&b->w, 100000);
	/* the next response from B ends the streak: one OK */
	assert_int_equal(req(b, "GET", "/x", NULL), 'B');
	n = obs_take(b, o, 16);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].kind, FO_PROXY_OBS_OK);
	assert_int_equal(o[0].slot, 1);
	/* and no more while it goes on answering */
	assert_int_equal(req(b, "GET", "/x", NULL), 'B');
	assert_int_equal(obs_take(b, o, 16), 0);
}

static void
queue_probe(struct hb *b, uint32_t slot, uint32_t seq, rte_be32_t addr, uint16_t port)
{
	struct fo_proxy_probe p;
	int n;

	memset(&p, 0, sizeof(p));
	p.slot = slot;
	p.seq = seq;
	p.addr = addr;
	p.port = port;
	p.timeout_ms = 500;
	n = snprintf(p.req, sizeof(p.req),
		"GET /healthz HTTP/1.1\r\nHost: h\r\nUser-Agent: fanout-health-check\r\n"
		"Connection: close\r\n\r\n");
	p.req_len = (uint16_t)n;
	assert_int_equal(rte_ring_sp_enqueue_elem(b->probes, &p, sizeof(p)), 0);
}

static void
test_probes(void **state)
{
	struct hb *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);
	struct fo_proxy_obs o[8];
	unsigned n, i;

	b->ob.honour_close = 1; /* B closes after answering, as asked; C keeps the connection */
	queue_probe(b, 1, 7, B, 8000);  /* 200 */
	queue_probe(b, 2, 8, C, 8000);  /* 503 */
	queue_probe(b, 4, 9, A, 9);     /* refused */
	wire_run(&b->w, 100000);
	n = obs_take(b, o, 8);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_int_equal(o[i].kind, FO_PROXY_OBS_PROBE);
		if (o[i].slot == 1) {
			assert_int_equal(o[i].seq, 7);
			assert_int_equal(o[i].status, 200);
		} else if (o[i].slot == 2) {
			assert_int_equal(o[i].seq, 8);
			assert_int_equal(o[i].status, 503);
		} else {
			assert_int_equal(o[i].slot, 4);
			assert_int_equal(o[i].seq, 9);
			assert_int_equal(o[i].status, 0);
			assert_int_equal(o[i].why, FO_PROXY_OBS_CONNECT);
		}
	}
	assert_non_null(strstr(b->ob.last_head, "GET /healthz HTTP/1.1\r\n"));
	assert_non_null(strstr(b->ob.last_head, "User-Agent: fanout-health-check\r\n"));
	assert_int_equal(st->probes_started, 3);
	assert_int_equal(st->probes_answered, 2);
	assert_int_equal(st->probes_failed, 1);
	/* the check read B's whole response and closed after B did: a FIN, no reset */
	assert_int_equal(b->ob.eofs, 1);
	assert_int_equal(b->ob.closed_reset, 0);
	/* C answered in full but kept the connection: closed with a FIN at the deadline,
	 * the result (already reported) unchanged */
	assert_int_equal(b->oc.eofs, 0);
	wire_advance(&b->w, 600);
	wire_run(&b->w, 100000);
	assert_int_equal(b->oc.eofs, 1);
	assert_int_equal(b->oc.closed_reset, 0);
	assert_int_equal(obs_take(b, o, 8), 0);
	/* an origin that never answers: TIMEOUT after timeout_ms, and a reset */
	b->ob.hold = 1;
	queue_probe(b, 1, 10, B, 8000);
	wire_run(&b->w, 100000);
	assert_int_equal(obs_take(b, o, 8), 0);
	wire_advance(&b->w, 600);
	wire_run(&b->w, 100000);
	assert_int_equal(obs_take(b, o, 8), 1);
	assert_int_equal(o[0].seq, 10);
	assert_int_equal(o[0].status, 0);
	assert_int_equal(o[0].why, FO_PROXY_OBS_TIMEOUT);
	assert_int_equal(b->ob.closed_reset, 1);
	b->ob.hold = 0;
}

static void
test_retry_budget(void **state)
{
	struct hb *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);
	unsigned i, forwarded = 0;
	uint64_t retries0 = st->upstream_retries;

	/* let the first sweep pass: the budget is per second from then on */
	wire_advance(&b->w, 1100);
	wire_run(&b->w, 100000);
	/* every other GET to s starts at C (503, retried on A): 20 requests want 10 retries;
	 * the budget allows 3 + 20% of the requests in the second */
	for (i = 0; i < 20; i++)
		forwarded += req(b, "GET", "/s", NULL) == 'C';
	assert_int_equal(st->upstream_retries - retries0 + forwarded, 10);
	assert_true(st->upstream_retries - retries0 <= 3 + 20 / 5);
	assert_true(forwarded >= 3);
	assert_int_equal(st->retries_budget_exhausted, forwarded);
	/* the next second: retries again */
	wire_advance(&b->w, 1100);
	wire_run(&b->w, 100000);
	for (i = 0, forwarded = 0; i < 4; i++)
		forwarded += req(b, "GET", "/s", NULL) == 'C';
	assert_int_equal(forwarded, 0);
}

/* the control thread is woken when a report is queued: once while it has not read them */
static void
test_wake(void **state)
{
	struct hb *b = *state;
	struct fo_proxy_obs o[16];

	assert_int_equal(req(b, "GET", "/dead", NULL), 'B'); /* A:9 refused: a report, a wake-up */
	assert_int_equal(b->wakes, 1);
	assert_int_equal(b->wake_pending, 1);
	wire_advance(&b->w, 5);
	assert_int_equal(req(b, "GET", "/dead", NULL), 'B');
	assert_int_equal(req(b, "GET", "/dead", NULL), 'B');
	assert_int_equal(b->wakes, 1); /* pending: no second one */
	assert_true(obs_take(b, o, 16) >= 1);
	b->wake_pending = 0; /* the control thread read the ring */
	assert_int_equal(req(b, "GET", "/dead", NULL), 'B');
	assert_int_equal(req(b, "GET", "/dead", NULL), 'B');
	assert_int_equal(b->wakes, 2);
	assert_int_equal(fo_proxy_stats(b->pw)->health_wakeups, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_down_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ok_after_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wake, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
