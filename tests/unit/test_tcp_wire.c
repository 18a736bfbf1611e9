/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two lib/tcp stacks talking to each other over the in-process wire
 * (wire.h): ARP resolution, handshakes, keep-alive request/response loops,
 * loss recovery between two instances of our own stack, no leaked mbuf.
 * The same wire carries the proxy tests and benchmarks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "wire_http.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define ORIGIN WIRE_IP(198, 18, 0, 11)

static const char request[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world!";

static void
run_loop(unsigned conns, uint64_t n, uint64_t drop_every)
{
	struct wire w;
	struct wire_host *ch, *oh;
	struct wire_origin o;
	struct wire_client cl;
	unsigned rounds = 0;

	assert_int_equal(wire_init(&w, 16384, 0), 0);
	ch = wire_host_add(&w, CLIENT, NULL);
	oh = wire_host_add(&w, ORIGIN, NULL);
	assert_non_null(ch);
	assert_non_null(oh);
	assert_int_equal(wire_origin_start(&o, oh, 8000, response), 0);
	assert_int_equal(wire_client_open(&cl, ch, ORIGIN, 8000, conns), 0);
	wire_client_loop(&cl, request, n);
	w.drop_every = drop_every;
	/*
	 * Until every connection is up, too (simulated time moves on while
	 * the wire is idle, so the loss cases' retransmission timers run).
	 */
	while ((cl.responses < n || o.conns_accepted < conns) && rounds < 2000000) {
		if (wire_step(&w) == 0)
			wire_advance(&w, 10); /* idle: let retransmission timers run */
		rounds++;
	}
	assert_int_equal(cl.responses, n);
	assert_int_equal(cl.bad, 0);
	assert_int_equal(o.requests, n);
	assert_int_equal(o.conns_accepted, conns);
	if (drop_every != 0)
		assert_true(w.dropped > 0);
	wire_client_free(&cl);
	wire_origin_free(&o);
	assert_int_equal(wire_free(&w), 0);
}

static void
test_keepalive_loop(void **state)
{
	(void)state;
	run_loop(1, 1000, 0);
}

static void
test_many_conns(void **state)
{
	(void)state;
	run_loop(64, 5000, 0);
}

static void
test_lossy(void **state)
{
	(void)state;
	run_loop(8, 2000, 37); /* every 37th frame lost */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepalive_loop),
		cmocka_unit_test(test_many_conns),
		cmocka_unit_test(test_lossy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
