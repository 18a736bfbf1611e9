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
#include "proxy_wire_fixture.h"

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

/*
 * On a kept connection the idle deadline (keepalive_timeout, 5 s) is the
 * later one: a head that stops halfway still gets client_header_timeout
 * (2 s) from its first bytes, whatever its first segment held.
 */
static void
test_header_timeout_408_kept(void **state)
{
	struct bench *b = *state;
	char st[64];

	assert_string_equal(exchange(b, "GET /test01 HTTP/1.1\r\nHost: a\r\n\r\n"), response);
	wire_advance(&b->w, 1000);
	exchange(b, "GET /test01 HTTP/1.1\r\n");
	wire_advance(&b->w, 1000);
	exchange(b, "Host: a\r\n");
	assert_int_equal(b->cl.conns[0].rx_len, 0);
	wire_advance(&b->w, 1100);
	assert_string_equal(statuses(exchange(b, NULL), st, sizeof(st)), "408");
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(stats(b)->client_timeouts, 1);
	assert_int_equal(b->o.requests, 1);
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

/*
 * A whole response in one segment whose head goes on unchanged is sent in
 * the buffer it came in: the client gets the origin's bytes exactly. A
 * head fanout must change (Connection: close for an HTTP/1.0 client), a
 * HEAD answered with a body (bytes beyond the response), a chunked body
 * and an interim response take the copying path, still correct.
 */
static void
test_response_as_received(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	rx = exchange(b, "GET /test01/a HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(rx, response);
	assert_int_equal(stats(b)->responses_as_received, 1);
	rx = exchange(b, "GET /test01/b HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(rx, response);
	assert_int_equal(stats(b)->responses_as_received, 2);
	/* the origin's HEAD answer carries a body: the head alone goes on */
	rx = exchange(b, "HEAD /test01/c HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(rx, "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
	assert_int_equal(stats(b)->responses_as_received, 2);
	rx = exchange(b, "GET /chunky HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	rx = exchange(b, "GET /hints HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_string_equal(statuses(rx, st, sizeof(st)), "103 200");
	/* the final 200 came whole after the 103 in its buffer */
	assert_int_equal(stats(b)->responses_as_received, 3);
	rx = exchange(b, "GET /test01/d HTTP/1.0\r\nHost: a\r\n\r\n");
	assert_string_equal(
		rx, "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\nhello world!");
	assert_int_equal(stats(b)->responses_as_received, 3);
	assert_int_equal(stats(b)->responses_2xx, 6);
}

/*
 * Whole responses without a body (204, Content-Length: 0) and with one go
 * as received and end the exchange at once: the keep-alive connections on
 * both sides serve the next request, each byte as the origin sent it.
 */
static void
test_response_as_received_empty(void **state)
{
	static const char no_content[] = "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n";
	static const char zero[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct bench *b = *state;
	const char *rx;
	unsigned i;

	for (i = 0; i < 2; i++) {
		b->o.response = no_content;
		b->o.response_len = sizeof(no_content) - 1;
		rx = exchange(b, "GET /test01/a HTTP/1.1\r\nHost: a\r\n\r\n");
		assert_string_equal(rx, no_content);
		b->o.response = zero;
		b->o.response_len = sizeof(zero) - 1;
		rx = exchange(b, "GET /test01/b HTTP/1.1\r\nHost: a\r\n\r\n");
		assert_string_equal(rx, zero);
		b->o.response = response;
		b->o.response_len = sizeof(response) - 1;
		rx = exchange(b, "GET /test01/c HTTP/1.1\r\nHost: a\r\n\r\n");
		assert_string_equal(rx, response);
	}
	assert_int_equal(stats(b)->responses_as_received, 6);
	assert_int_equal(stats(b)->responses_2xx, 6);
	assert_int_equal(stats(b)->requests_keepalive, 5);
	assert_int_equal(stats(b)->upstream_reuses, 5);
	assert_int_equal(b->o.conns_accepted, 1);
	assert_false(b->cl.conns[0].eof);
}

/*
 * The next request reaches fanout while the first is in flight: it waits
 * in TCP (not read behind the first head), px_cl_finish() takes it from
 * there, and it is served without another byte from the client. Not
 * counted as pipelined (nothing was left over behind a head).
 */
static void
test_next_request_queued_in_tcp(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	b->o.hold = 1;
	rx = exchange(b, "GET /test01/one HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(rx[0], '\0');
	rx = exchange(b, "GET /test01/two HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(rx[0], '\0');
	assert_int_equal(b->o.requests, 1);
	assert_int_equal(wire_origin_release(&b->o), 1);
	rx = exchange(b, NULL);
	assert_string_equal(statuses(rx, st, sizeof(st)), "200 200");
	assert_int_equal(b->o.requests, 2);
	assert_true(strncmp(b->o.last_head, "GET /two HTTP/1.1\r\n", 19) == 0);
	assert_int_equal(stats(b)->requests, 2);
	assert_int_equal(stats(b)->requests_keepalive, 1);
	assert_int_equal(stats(b)->requests_pipelined, 0);
	assert_false(b->cl.conns[0].eof);
}

/* The client's FIN came while its request was in flight: after the response, closed quietly. */
static void
test_eof_queued_in_tcp(void **state)
{
	struct bench *b = *state;
	char st[64];
	const char *rx;

	b->o.hold = 1;
	rx = exchange(b, "GET /test01/one HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(rx[0], '\0');
	assert_int_equal(fo_tcp_shutdown(b->cl.conns[0].c), 0);
	exchange(b, NULL);
	assert_int_equal(stats(b)->sessions, 1);
	assert_int_equal(wire_origin_release(&b->o), 1);
	rx = exchange(b, NULL);
	assert_string_equal(statuses(rx, st, sizeof(st)), "200");
	assert_true(b->cl.conns[0].eof);
	assert_int_equal(stats(b)->client_idle_closed, 1);
	assert_int_equal(stats(b)->client_resets, 0);
	assert_int_equal(stats(b)->sessions, 0);
}

/* A tunnel where nothing moves ends after the upstream's read_timeout (60 s). */
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
		cmocka_unit_test_setup_teardown(test_header_timeout_408_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_keepalive_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_timeout_504, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interim_1xx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_as_received, setup, teardown),
		cmocka_unit_test_setup_teardown(test_response_as_received_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_request_queued_in_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eof_queued_in_tcp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
