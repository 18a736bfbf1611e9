/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy live reload on the in-process wire: snapshots published by
 * pointer swap while the proxy serves. A pooled upstream connection
 * survives a reload that keeps its endpoint (even at another position);
 * a request in flight finishes on the snapshot it started with, which
 * stays held (fo_proxy_snapshot_busy()) until then; an endpoint the new
 * snapshot drops has its idle connections closed at once, and its busy
 * one closed (not pooled) when its request ends; new routes and new
 * endpoints serve at the next request; a client connection opened before
 * the reloads is still served after them; a drained endpoint gets no new
 * request while its in-flight one finishes; with every server drained, 503.
 */
#include <stdlib.h>

#include "proxy_gen_harness.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define A WIRE_IP(198, 18, 0, 11)
#define B WIRE_IP(198, 18, 0, 12)

static const char resp_a[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA";
static const char resp_b[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB";

#define HEAD "interface wire0 { address 198.18.0.1/24; }\nlisten 198.18.0.1:80;\n"
static const char conf_a[] = HEAD "upstream u { server 198.18.0.11:8000; }\n"
				  "route prefix / { upstream u; }\n";
/* A kept (now second), B added */
static const char conf_ab[] = HEAD "upstream u { server 198.18.0.12:8000; server 198.18.0.11:8000; }\n"
				   "route prefix / { upstream u; }\n";
/* A dropped */
static const char conf_b[] = HEAD "upstream u { server 198.18.0.12:8000; }\n"
				  "route prefix / { upstream u; }\n";
/* A in two upstreams, one without a pool */
static const char conf_shared[] = HEAD "upstream u { server 198.18.0.11:8000; }\n"
				       "upstream z { server 198.18.0.11:8000; keepalive 0; }\n"
				       "route prefix /z { upstream z; }\n"
				       "route prefix / { upstream u; }\n";
/* A drained in the config */
static const char conf_ab_drain_a[] = HEAD "upstream u { server 198.18.0.12:8000; "
					  "server 198.18.0.11:8000 drain; }\n"
					  "route prefix / { upstream u; }\n";
/* routes changed: only /new */
static const char conf_new[] = HEAD "upstream u { server 198.18.0.12:8000; }\n"
				    "route prefix /new { upstream u; }\n";

struct rl {
	struct wire w;
	struct wire_host *ch, *fh, *ah, *bh;
	struct wire_origin oa, ob;
	struct wire_client cl;
	struct pxg gens;
	struct fo_proxy_worker *pw;
};

static void
publish(struct rl *b, const char *text)
{
	pxg_publish(&b->gens, pxg_new(&b->gens, "reload.conf", text));
}

static int
setup(void **state)
{
	struct rl *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	assert_int_equal(wire_init(&b->w, 32768, 0), 0);
	b->ch = wire_host_add(&b->w, CLIENT, NULL);
	b->fh = wire_host_add(&b->w, FANOUT, NULL);
	b->ah = wire_host_add(&b->w, A, NULL);
	b->bh = wire_host_add(&b->w, B, NULL);
	assert_non_null(b->bh);
	assert_int_equal(wire_origin_start(&b->oa, b->ah, 8000, resp_a), 0);
	assert_int_equal(wire_origin_start(&b->ob, b->bh, 8000, resp_b), 0);
	publish(b, conf_a);
	b->pw = pxg_worker(&b->gens, &b->w, b->fh, 64);
	assert_int_equal(wire_client_open(&b->cl, b->ch, FANOUT, 80, 2), 0);
	wire_run(&b->w, 10000);
	assert_true(b->cl.conns[0].connected && b->cl.conns[1].connected);
	*state = b;
	return 0;
}

static int
teardown(void **state)
{
	struct rl *b = *state;
	unsigned leaked;

	wire_advance(&b->w, 100000);
	wire_run(&b->w, 100000);
	wire_client_free(&b->cl);
	fo_tcp_worker_free(b->fh->tw);
	b->fh->tw = NULL;
	fo_proxy_worker_free(b->pw);
	wire_origin_free(&b->oa);
	wire_origin_free(&b->ob);
	leaked = wire_free(&b->w);
	pxg_free(&b->gens);
	free(b);
	assert_int_equal(leaked, 0);
	return 0;
}

/* one request on client connection @p i; @return the body's first byte, or the status */
static char
get(struct rl *b, unsigned i, const char *path)
{
	struct wire_client_conn *cc = &b->cl.conns[i];
	char req[128];
	const char *body;

	cc->rx_len = 0;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: r\r\n\r\n", path);
	assert_int_equal(wire_client_send(&b->cl, i, req, strlen(req)), 0);
	wire_run(&b->w, 100000);
	cc->rx[cc->rx_len < WIRE_BUF ? cc->rx_len : WIRE_BUF - 1] = '\0';
	if (strncmp(cc->rx, "HTTP/1.1 200", 12) != 0)
		return cc->rx_len > 12 ? cc->rx[11] : '?'; /* last digit of the status */
	body = strstr(cc->rx, "\r\n\r\n");
	assert_non_null(body);
	return body[4];
}

static void
test_pool_survives_endpoint_reload(void **state)
{
	struct rl *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);
	struct fo_proxy_snapshot *first = b->gens.published;
	unsigned i, n_a = 0, n_b = 0;

	assert_int_equal(get(b, 0, "/x"), 'A');
	assert_int_equal(b->oa.conns_accepted, 1);
	publish(b, conf_ab);
	for (i = 0; i < 6; i++) {
		char c = get(b, 0, "/x");

		n_a += c == 'A';
		n_b += c == 'B';
	}
	assert_int_equal(n_a + n_b, 6);
	assert_true(n_a > 0 && n_b > 0);
	/* A's pooled connection went on serving: no second connection to A */
	assert_int_equal(b->oa.conns_accepted, 1);
	assert_true(st->upstream_reuses >= n_a);
	assert_int_equal(st->snapshots_adopted, 2);
	/* the first snapshot: released by the worker, free to go */
	assert_int_equal(fo_proxy_snapshot_busy(first), 0);
	assert_int_equal(fo_proxy_snapshot_busy(b->gens.published), 1);
}

/* connections of @p o the origin still has open */
static unsigned
open_conns(const struct wire_origin *o)
{
	unsigned i, n = 0;

	for (i = 0; i < o->n_conns; i++)
		n += o->conns[i].c != NULL;
	return n;
}

static void
test_in_flight_keeps_its_snapshot(void **state)
{
	struct rl *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);
	struct wire_client_conn *cc = &b->cl.conns[1];
	struct fo_proxy_snapshot *first = b->gens.published;
	const char *req = "GET /x HTTP/1.1\r\nHost: r\r\n\r\n";

	/* two requests at once: two connections to A, both pooled */
	assert_int_equal(wire_client_send(&b->cl, 0, req, strlen(req)), 0);
	assert_int_equal(wire_client_send(&b->cl, 1, req, strlen(req)), 0);
	wire_run(&b->w, 100000);
	assert_int_equal(b->oa.conns_accepted, 2);
	assert_int_equal(st->upstream_idle, 2);
	/* a request to A that A holds: in flight on one of them */
	b->oa.hold = 1;
	cc->rx_len = 0;
	assert_int_equal(wire_client_send(&b->cl, 1, req, strlen(req)), 0);
	wire_run(&b->w, 100000);
	assert_int_equal(cc->rx_len, 0);
	/* A dropped from the config: the in-flight request keeps the first snapshot */
	publish(b, conf_b);
	assert_int_equal(get(b, 0, "/x"), 'B'); /* new requests: the new one */
	assert_int_equal(fo_proxy_snapshot_busy(first), 1);
	/* A's idle connection was closed at the switch; the busy one stays */
	assert_int_equal(open_conns(&b->oa), 1);
	/* A answers: the request completes on A, the connection is closed, not pooled */
	assert_int_equal(wire_origin_release(&b->oa), 1);
	wire_run(&b->w, 100000);
	assert_non_null(strstr(cc->rx, "\r\n\r\nA"));
	assert_int_equal(fo_proxy_snapshot_busy(first), 0);
	assert_int_equal(st->upstream_idle, 1); /* B's only */
	/* and the busy one is closed now, not pooled */
	assert_int_equal(open_conns(&b->oa), 0);
}

static void
test_routes_change(void **state)
{
	struct rl *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);

	publish(b, conf_b);
	assert_int_equal(get(b, 0, "/new/x"), 'B');
	publish(b, conf_new);
	assert_int_equal(get(b, 0, "/x"), '4'); /* 404: no route any more */
	assert_int_equal(get(b, 0, "/new/x"), 'B');
	/* back to the first config: A serves again (a new endpoint entry, a new connection) */
	publish(b, conf_a);
	assert_int_equal(get(b, 0, "/x"), 'A');
	assert_int_equal(get(b, 1, "/x"), 'A'); /* a client connection opened before all this */
	assert_int_equal(st->snapshots_adopted, 4);
	assert_int_equal(st->servers_full, 0);
}

/* an endpoint's pool is shared by its upstreams, but not used by one with keepalive 0 */
static void
test_shared_endpoint_keepalive_0(void **state)
{
	struct rl *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);

	publish(b, conf_shared);
	assert_int_equal(get(b, 0, "/x"), 'A');
	assert_int_equal(st->upstream_idle, 1);
	assert_int_equal(get(b, 0, "/z"), 'A'); /* not on the pooled connection */
	assert_int_equal(b->oa.conns_accepted, 2);
	assert_int_equal(st->upstream_idle, 1); /* and not pooled after */
	assert_int_equal(get(b, 0, "/x"), 'A'); /* u's goes on */
	assert_int_equal(b->oa.conns_accepted, 2);
}

/* a drained endpoint: no new request, its in-flight one finishes, its idle one closes; all drained: 503 */
static void
test_drain(void **state)
{
	struct rl *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);
	struct wire_client_conn *cc = &b->cl.conns[1];
	const char *req = "GET /x HTTP/1.1\r\nHost: r\r\n\r\n";
	unsigned i;

	/* two connections to A, one idle, one busy with a held request */
	assert_int_equal(wire_client_send(&b->cl, 0, req, strlen(req)), 0);
	assert_int_equal(wire_client_send(&b->cl, 1, req, strlen(req)), 0);
	wire_run(&b->w, 100000);
	b->oa.hold = 1;
	cc->rx_len = 0;
	assert_int_equal(wire_client_send(&b->cl, 1, req, strlen(req)), 0);
	wire_run(&b->w, 100000);
	publish(b, conf_ab_drain_a);
	for (i = 0; i < 4; i++)
		assert_int_equal(get(b, 0, "/x"), 'B'); /* only B now */
	assert_int_equal(open_conns(&b->oa), 1);     /* the idle one closed, the busy one not */
	assert_true(st->upstream_drained_skips > 0);
	assert_int_equal(wire_origin_release(&b->oa), 1);
	wire_run(&b->w, 100000);
	assert_non_null(strstr(cc->rx, "\r\n\r\nA")); /* the in-flight request completes */
	assert_int_equal(open_conns(&b->oa), 0);         /* and its connection is not pooled */
	/* every server drained: 503 (B drained too, as fanoutctl drain does before publishing) */
	publish(b, conf_ab_drain_a);
	b->gens.published->drained[0] = 1;
	assert_int_equal(get(b, 0, "/x"), '3');
	assert_int_equal(st->gen_503, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool_survives_endpoint_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_flight_keeps_its_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_routes_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_endpoint_keepalive_0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drain, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
