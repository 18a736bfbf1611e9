/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy cold paths on the in-process wire (wire.h): a fresh fanout
 * loaded at once with 64 concurrent requests over three origins nobody has
 * resolved yet serves them all with no retransmission and no frame lost to
 * ARP, in a few simulated milliseconds; an endpoint whose address does not
 * answer ARP is passed over while another is fine, and chosen again once
 * it answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proxy_wire_harness.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define N_ORIGINS 3
#define N_REQ 64
#define LATE WIRE_IP(198, 18, 0, 19) /* no host at first: ARP unanswered */

static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static const char request[] = "GET /x HTTP/1.1\r\nHost: cold.test\r\n\r\n";

static const char conf_text[] =
	"interface wire0 { address 198.18.0.1/24; }\n"
	"listen 198.18.0.1:80;\n"
	"upstream three { server 198.18.0.11:8000; server 198.18.0.12:8000; "
	"server 198.18.0.13:8000; }\n"
	"upstream late { server 198.18.0.11:8000; server 198.18.0.19:8000; }\n"
	"route prefix /late { upstream late; }\n"
	"route prefix / { upstream three; }\n";

struct cold {
	struct pxw x; /* first: the harness's callbacks get &b->x */
	struct wire_host *oh[N_ORIGINS], *late_h;
	struct wire_origin o[N_ORIGINS], late_o;
	struct wire_client cl;
};

static int
setup(void **state)
{
	struct cold *b = calloc(1, sizeof(*b));
	unsigned i;

	assert_non_null(b);
	pxw_init(&b->x, "cold.conf", conf_text, CLIENT, FANOUT);
	for (i = 0; i < N_ORIGINS; i++) {
		b->oh[i] = wire_host_add(&b->x.w, WIRE_IP(198, 18, 0, 11 + i), NULL);
		assert_non_null(b->oh[i]);
		assert_int_equal(wire_origin_start(&b->o[i], b->oh[i], 8000, response), 0);
	}
	pxw_start(&b->x, 256);
	*state = b;
	return 0;
}

static void
free_clients(struct pxw *x)
{
	wire_client_free(&((struct cold *)x)->cl);
}

static void
free_origins(struct pxw *x)
{
	struct cold *b = (struct cold *)x;
	unsigned i;

	for (i = 0; i < N_ORIGINS; i++)
		wire_origin_free(&b->o[i]);
	if (b->late_h != NULL)
		wire_origin_free(&b->late_o);
}

static int
teardown(void **state)
{
	struct cold *b = *state;

	pxw_fini(&b->x, 100000, free_clients, free_origins);
	free(b);
	return 0;
}

/* Run until @p want responses (1 ms of simulated time per idle round), bounded. */
static void
run_until(struct cold *b, uint64_t want, unsigned max_ms)
{
	unsigned ms = 0;

	while (b->cl.responses < want && ms < max_ms) {
		if (wire_step(&b->x.w) == 0) {
			wire_advance(&b->x.w, 1);
			ms++;
		}
	}
}

static void
test_fresh_start_64_concurrent(void **state)
{
	struct cold *b = *state;
	const struct fo_tcp_stats *ts = fo_tcp_stats(b->x.fh->tw);
	const uint64_t t0 = b->x.w.now, hz = b->x.fh->net->hz;
	uint64_t served = 0;
	unsigned i;

	/* the clients connect as fanout comes up, and send as soon as they are connected */
	assert_int_equal(wire_client_open(&b->cl, b->x.ch, FANOUT, 80, N_REQ), 0);
	while (b->cl.sent < N_REQ && b->x.w.now - t0 < hz) {
		if (wire_step(&b->x.w) == 0)
			wire_advance(&b->x.w, 1);
		wire_client_loop(&b->cl, request, N_REQ);
	}
	run_until(b, N_REQ, 1000);
	assert_int_equal(b->cl.responses, N_REQ);
	assert_int_equal(b->cl.bad, 0);
	for (i = 0; i < N_ORIGINS; i++) {
		assert_true(b->o[i].requests > 0); /* spread over all three */
		served += b->o[i].requests;
	}
	assert_int_equal(served, N_REQ);
	/* nothing waited for a timer: no retransmission, nothing lost to ARP */
	assert_int_equal(ts->retransmits, 0);
	assert_int_equal(ts->rto_fired, 0);
	assert_int_equal(b->x.fh->net->stats.drop[neigh_queue_full], 0);
	assert_int_equal(b->x.fh->net->stats.drop[neigh_unreachable], 0);
	/* every server's address once (198.18.0.11 is in two upstreams; .19 too) */
	assert_int_equal(b->x.fh->net->stats.neigh_resolve, N_ORIGINS + 1);
	/* simulated time: a few wire rounds, nowhere near an RTO (200 ms) */
	assert_true(b->x.w.now - t0 < hz / 20);
	assert_int_equal(fo_proxy_stats(b->x.pw)->responses_2xx, N_REQ);
}

/* an endpoint whose address never answers ARP is passed over, then comes back */
static void
test_unresolved_endpoint_passed_over(void **state)
{
	struct cold *b = *state;
	const struct fo_proxy_stats *ps = fo_proxy_stats(b->x.pw);
	const char *late_req = "GET /late HTTP/1.1\r\nHost: cold.test\r\n\r\n";
	uint64_t before;
	unsigned i;

	/* start, let LATE's resolution fail (5 requests over 6.2 s) and a sweep see it */
	for (i = 0; i < 75; i++) {
		wire_run(&b->x.w, 1000);
		wire_advance(&b->x.w, 100);
	}
	assert_true(b->x.fh->net->stats.neigh_failed >= 1);

	assert_int_equal(wire_client_open(&b->cl, b->x.ch, FANOUT, 80, 8), 0);
	wire_run(&b->x.w, 10000);
	wire_client_loop(&b->cl, late_req, 40);
	run_until(b, 40, 2000);
	assert_int_equal(b->cl.responses, 40);
	assert_int_equal(b->cl.bad, 0); /* none went to LATE: no 502/504 */
	assert_int_equal(b->o[0].requests, 40);
	assert_true(ps->upstream_unresolved > 0);

	/* LATE comes up; the next sweeps resolve it and it gets its share again */
	b->late_h = wire_host_add(&b->x.w, LATE, NULL);
	assert_non_null(b->late_h);
	assert_int_equal(wire_origin_start(&b->late_o, b->late_h, 8000, response), 0);
	for (i = 0; i < 90; i++) { /* up to one more failed round (7.2 s), then a sweep */
		wire_run(&b->x.w, 1000);
		wire_advance(&b->x.w, 100);
	}
	before = b->o[0].requests;
	b->cl.target = 0;
	b->cl.sent = 0;
	b->cl.responses = 0;
	wire_client_loop(&b->cl, late_req, 40);
	run_until(b, 40, 2000);
	assert_int_equal(b->cl.responses, 40);
	assert_int_equal(b->cl.bad, 0);
	assert_true(b->late_o.requests > 0);
	assert_int_equal(b->late_o.requests + (b->o[0].requests - before), 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_start_64_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_unresolved_endpoint_passed_over, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
