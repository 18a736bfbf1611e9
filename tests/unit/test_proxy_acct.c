/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request accounting on the in-process wire (wire.h): the access log entry
 * each kind of request ends with (proxied, a route's own answer, no route,
 * a head that does not parse, a client that resets before the answer),
 * the per-route counters the worker bumps, and a ring that fills while
 * nobody drains it: entries dropped and counted, requests served all the
 * same. Every case ends with no mbuf leaked.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_ring.h>

#include "fo_alog.h"
#include "proxy_wire_harness.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define ORIGIN WIRE_IP(198, 18, 0, 11)

static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\norigin";

static const char conf_text[] =
	"interface wire0 { address 198.18.0.1/24; }\n"
	"listen 198.18.0.1:80;\n"
	"upstream origin { server 198.18.0.11:8000; }\n"
	"upstream canary { server 198.18.0.11:8000; }\n"
	"route prefix /plain { upstream origin; canary canary { header x-canary; } }\n"
	"route exact /gone { return 301 /there; }\n"
	"http { healthz off; }\n";

struct bench {
	struct pxw x; /* first: the harness's callbacks get &b->x */
	struct wire_host *oh;
	struct wire_origin o;
	struct wire_client cl;
	struct rte_ring *ring;
	struct fo_alog_push_stats push;
	struct fo_alog_reg *reg;
	struct fo_alog_routes *rt;
};

static int
setup(void **state)
{
	struct bench *b = calloc(1, sizeof(*b));
	struct fo_proxy_acct_links l;

	assert_non_null(b);
	pxw_init(&b->x, "wire.conf", conf_text, CLIENT, FANOUT);
	b->oh = wire_host_add(&b->x.w, ORIGIN, NULL);
	assert_non_null(b->oh);
	assert_int_equal(wire_origin_start(&b->o, b->oh, 8000, response), 0);
	pxw_start(&b->x, 64);
	/* what the control thread does (app/fanout/acct.c) */
	b->reg = fo_alog_reg_create(16, 1);
	b->rt = fo_alog_routes_create(b->x.conf);
	b->ring = fo_alog_ring_create("t", 16);
	assert_non_null(b->reg);
	assert_non_null(b->rt);
	assert_non_null(b->ring);
	assert_int_equal(fo_alog_reg_ref(b->reg, b->rt), 0);
	b->x.snap->racct = b->rt;
	l = (struct fo_proxy_acct_links){
		b->ring, &b->push, fo_alog_reg_worker(b->reg, 0), fo_alog_reg_cap(b->reg)};
	assert_int_equal(fo_proxy_worker_acct(b->x.pw, &l), 0);
	assert_int_equal(wire_client_open(&b->cl, b->x.ch, FANOUT, 80, 2), 0);
	wire_run(&b->x.w, 10000);
	assert_true(b->cl.conns[0].connected);
	*state = b;
	return 0;
}

static void
free_clients(struct pxw *x)
{
	wire_client_free(&((struct bench *)x)->cl);
}

static void
free_origins(struct pxw *x)
{
	wire_origin_free(&((struct bench *)x)->o);
}

static int
teardown(void **state)
{
	struct bench *b = *state;

	pxw_fini(&b->x, 10000, free_clients, free_origins);
	fo_alog_reg_unref(b->reg, b->rt);
	fo_alog_routes_free(b->rt);
	fo_alog_reg_free(b->reg);
	fo_alog_ring_free(b->ring);
	free(b);
	return 0;
}

static const char *
exchange(struct bench *b, unsigned conn, const char *req)
{
	struct wire_client_conn *cc = &b->cl.conns[conn];

	cc->rx_len = 0;
	assert_int_equal(wire_client_send(&b->cl, conn, req, strlen(req)), 0);
	wire_run(&b->x.w, 100000);
	cc->rx[cc->rx_len < WIRE_BUF ? cc->rx_len : WIRE_BUF - 1] = '\0';
	return cc->rx;
}

/* the next entry on the ring (one must be there) */
static void
next_entry(struct bench *b, struct fo_alog_entry *e)
{
	assert_int_equal(rte_ring_sc_dequeue_elem(b->ring, e, sizeof(*e)), 0);
}

static void
check_str(const char *s, unsigned len, const char *want)
{
	if (len != strlen(want) || memcmp(s, want, len) != 0)
		fail_msg("got \"%.*s\", want \"%s\"", (int)len, s, want);
}

/* the worker's counters of the route in slot @p slot */
static const struct fo_alog_rstats *
rstats(struct bench *b, unsigned slot)
{
	return &fo_alog_reg_worker(b->reg, 0)[b->rt->key[slot]];
}

static void
test_proxied(void **state)
{
	static const char req[] = "GET /plain/x?q=1 HTTP/1.1\r\nHost: a.example\r\n"
				  "User-Agent: t \"1\"\r\nReferer: http://r/\r\n\r\n";
	struct bench *b = *state;
	struct fo_alog_entry e;
	const char *rx = exchange(b, 0, req);

	assert_non_null(strstr(rx, "200 OK"));
	next_entry(b, &e);
	assert_int_equal(rte_ring_count(b->ring), 0);
	check_str(e.method, e.method_len, "GET");
	check_str(e.target, e.target_len, "/plain/x?q=1");
	check_str(e.host, e.host_len, "a.example");
	check_str(e.ua, e.ua_len, "t \"1\"");
	check_str(e.referer, e.referer_len, "http://r/");
	check_str(e.route, e.route_len, "* /plain");
	check_str(e.upstream, e.upstream_len, "origin");
	assert_int_equal(e.rid_len, 32); /* the X-Request-ID fanout made and forwarded */
	assert_non_null(strstr(b->o.last_head, "X-Request-ID: "));
	assert_memory_equal(strstr(b->o.last_head, "X-Request-ID: ") + 14, e.rid, 32);
	assert_int_equal(e.status, 200);
	assert_int_equal(e.up_status, 200);
	assert_int_equal(e.flags, FO_ALOG_F_UPSTREAM | FO_ALOG_F_UP_HEAD);
	assert_int_equal(e.ep_addr, ORIGIN);
	assert_int_equal(e.ep_port, 8000);
	assert_int_equal(e.client_addr, CLIENT);
	assert_int_not_equal(e.client_port, 0);
	assert_int_equal(e.req_len, sizeof(req) - 1);
	assert_int_equal(e.body_out, 6);
	assert_int_equal(e.bytes_out, b->cl.conns[0].rx_len);
	assert_int_equal(e.http_minor, 1);
	assert_int_equal(e.seq, 1);
	assert_true(
		e.t_start <= e.t_up_start && e.t_up_start <= e.t_up_head && e.t_up_head <= e.t_end);
	assert_int_equal(rstats(b, 0)->requests[2], 1);
	assert_int_equal(rstats(b, 0)->up_lat_count, 1);
	assert_int_equal(rstats(b, 0)->req_bytes, sizeof(req) - 1);
	assert_int_equal(rstats(b, 0)->resp_bytes, b->cl.conns[0].rx_len);
	assert_int_equal(b->push.pushed, 1);
}

/* a canary takes the request: logged with the route's upstream and the canary's, counted apart */
static void
test_canary(void **state)
{
	struct bench *b = *state;
	struct fo_alog_entry e;

	assert_non_null(strstr(
		exchange(b, 0, "GET /plain/c HTTP/1.1\r\nHost: a\r\nX-Canary: always\r\n\r\n"),
		"200 OK"));
	next_entry(b, &e);
	check_str(e.route, e.route_len, "* /plain");
	check_str(e.upstream, e.upstream_len, "origin");
	check_str(e.alt, e.alt_len, "canary");
	assert_int_equal(rstats(b, fo_alog_routes_slot(b->rt, 0, 1))->requests[2], 1);
	assert_int_equal(rstats(b, 0)->requests[2], 0);
	assert_non_null(
		strstr(exchange(b, 0, "GET /plain/c HTTP/1.1\r\nHost: a\r\n\r\n"), "200 OK"));
	next_entry(b, &e);
	assert_int_equal(e.alt_len, 0);
	assert_int_equal(rstats(b, 0)->requests[2], 1);
}

/* a route's own answer, no route, a head that does not parse */
static void
test_answered(void **state)
{
	struct bench *b = *state;
	struct fo_alog_entry e;
	const char *rx;

	rx = exchange(b, 0, "GET /gone HTTP/1.1\r\nHost: a\r\nX-Request-ID: abc\r\n\r\n");
	assert_non_null(strstr(rx, "301"));
	next_entry(b, &e);
	assert_int_equal(e.status, 301);
	assert_int_equal(e.flags, 0);
	check_str(e.route, e.route_len, "* = /gone");
	check_str(e.upstream, e.upstream_len, "");
	check_str(e.rid, e.rid_len, "abc"); /* the client's */
	assert_true(e.body_out < e.bytes_out);
	rx = exchange(b, 0, "HEAD /nowhere HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(rx, "404"));
	next_entry(b, &e);
	assert_int_equal(e.status, 404);
	check_str(e.method, e.method_len, "HEAD");
	check_str(e.route, e.route_len, "");
	assert_int_equal(e.http_minor, 0);
	assert_int_equal(e.body_out, 0); /* HEAD: the head only */
	rx = exchange(b, 1, "GET /a\x01 HTTP/1.1\r\n\r\n");
	assert_non_null(strstr(rx, "400"));
	next_entry(b, &e);
	assert_int_equal(e.status, 400);
	assert_int_equal(e.method_len, 0);
	assert_int_equal(e.req_len, 0);
	assert_int_equal(rstats(b, 1)->requests[3], 1);
	assert_int_equal(rstats(b, b->rt->n - 1)->requests[4], 2);
	assert_int_equal(rte_ring_count(b->ring), 0);
}

/* the client resets while the origin holds the response: 499, aborted */
static void
test_client_reset(void **state)
{
	struct bench *b = *state;
	struct fo_alog_entry e;

	b->o.hold = 1;
	exchange(b, 0, "GET /plain/slow HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(rte_ring_count(b->ring), 0);
	fo_tcp_abort(b->cl.conns[0].c);
	b->cl.conns[0].c = NULL;
	b->cl.conns[0].closed = 1;
	wire_run(&b->x.w, 100000);
	next_entry(b, &e);
	assert_int_equal(e.status, 499);
	assert_int_equal(e.flags, FO_ALOG_F_ABORTED | FO_ALOG_F_UPSTREAM);
	assert_int_equal(e.bytes_out, 0);
	assert_int_equal(rstats(b, 0)->requests[4], 1);
	wire_origin_release(&b->o);
	wire_run(&b->x.w, 100000);
}

/* nobody drains: 15 entries fit, the rest are dropped and counted; every request is served */
static void
test_ring_full(void **state)
{
	static const char req[] = "GET /plain/f HTTP/1.1\r\nHost: a\r\n\r\n";
	struct bench *b = *state;
	unsigned i;

	for (i = 0; i < 20; i++)
		assert_non_null(strstr(exchange(b, 0, req), "200 OK"));
	assert_int_equal(b->push.pushed, 15);
	assert_int_equal(b->push.dropped, 5);
	assert_int_equal(rte_ring_count(b->ring), 15);
	assert_int_equal(rstats(b, 0)->requests[2], 20); /* the counters miss nothing */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_proxied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_canary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_full, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
