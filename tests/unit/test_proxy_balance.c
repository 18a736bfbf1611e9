/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The balancers through lib/proxy on the in-process wire (wire.h): smooth
 * weighted round-robin's order, a reload that changes the algorithm
 * (snapshots carry it), least_conn steering around an origin that
 * holds its requests, ewma leaving a slow origin, hash by header, and
 * sticky cookies (set, honoured, moved when the endpoint is drained,
 * replaced when stale). Three origins answer with their letter. Every
 * case ends with no mbuf leaked.
 */
#include <stdlib.h>

#include "proxy_gen_harness.h"

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)
#define NCONN 4

#define HEAD                                                                                       \
	"interface wire0 { address 198.18.0.1/24; }\n"                                             \
	"listen 198.18.0.1:80;\n"
#define ROUTE "route prefix / { upstream u; }\n"
#define ABC(opts)                                                                                  \
	HEAD "upstream u {\n\tserver 198.18.0.11:8000 weight=5;\n\tserver 198.18.0.12:8000;\n"     \
	     "\tserver 198.18.0.13:8000;\n" opts "}\n" ROUTE
#define AB(opts)                                                                                   \
	HEAD "upstream u {\n\tserver 198.18.0.11:8000;\n\tserver 198.18.0.12:8000;\n" opts         \
	     "}\n" ROUTE

static const char *const resp[3] = {
	"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA",
	"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB",
	"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nC",
};

struct bal {
	struct wire w;
	struct wire_host *ch, *fh, *oh[3];
	struct wire_origin o[3];
	struct wire_client cl;
	struct pxg gens;
	const char *text;
	struct fo_proxy_worker *pw;
};

/* A snapshot of the test's config, generation n + 1, server @p drain drained (-1: none). */
static void
publish(struct bal *b, int drain)
{
	struct fo_proxy_snapshot *snap = pxg_new(&b->gens, "bal.conf", b->text);

	if (drain >= 0)
		snap->drained[drain] = 1;
	pxg_publish(&b->gens, snap);
}

static int
setup_with(void **state, const char *text)
{
	struct bal *b = calloc(1, sizeof(*b));
	unsigned i;

	assert_non_null(b);
	b->text = text;
	assert_int_equal(wire_init(&b->w, 32768, 0), 0);
	b->ch = wire_host_add(&b->w, CLIENT, NULL);
	b->fh = wire_host_add(&b->w, FANOUT, NULL);
	for (i = 0; i < 3; i++) {
		b->oh[i] = wire_host_add(&b->w, WIRE_IP(198, 18, 0, 11 + i), NULL);
		assert_non_null(b->oh[i]);
		assert_int_equal(wire_origin_start(&b->o[i], b->oh[i], 8000, resp[i]), 0);
	}
	publish(b, -1);
	b->pw = pxg_worker(&b->gens, &b->w, b->fh, 64);
	assert_int_equal(wire_client_open(&b->cl, b->ch, FANOUT, 80, NCONN), 0);
	wire_run(&b->w, 10000);
	for (i = 0; i < NCONN; i++)
		assert_true(b->cl.conns[i].connected);
	*state = b;
	return 0;
}

static int
teardown(void **state)
{
	struct bal *b = *state;
	unsigned leaked, i;

	for (i = 0; i < 3; i++)
		wire_origin_release(&b->o[i]);
	wire_advance(&b->w, 100000);
	wire_run(&b->w, 100000);
	wire_client_free(&b->cl);
	fo_tcp_worker_free(b->fh->tw);
	b->fh->tw = NULL;
	fo_proxy_worker_free(b->pw);
	for (i = 0; i < 3; i++)
		wire_origin_free(&b->o[i]);
	leaked = wire_free(&b->w);
	pxg_free(&b->gens);
	free(b);
	assert_int_equal(leaked, 0);
	return 0;
}

/* Send a GET with @p hdrs (CRLF-terminated lines) on connection @p i, without waiting. */
static void
send_get(struct bal *b, unsigned i, const char *hdrs)
{
	char req[512];

	b->cl.conns[i].rx_len = 0;
	snprintf(req, sizeof(req), "GET /x HTTP/1.1\r\nHost: b\r\n%s\r\n", hdrs);
	assert_int_equal(wire_client_send(&b->cl, i, req, strlen(req)), 0);
}

/* What connection @p i received: the body's letter, or '?' (none, or not a 200). */
static char
got(struct bal *b, unsigned i)
{
	struct wire_client_conn *cc = &b->cl.conns[i];
	const char *body;

	cc->rx[cc->rx_len < WIRE_BUF ? cc->rx_len : WIRE_BUF - 1] = '\0';
	if (strncmp(cc->rx, "HTTP/1.1 200", 12) != 0)
		return '?';
	body = strstr(cc->rx, "\r\n\r\n");
	return body != NULL ? body[4] : '?';
}

/* One request with @p hdrs on connection 0, run to the end: its origin's letter. */
static char
get(struct bal *b, const char *hdrs)
{
	send_get(b, 0, hdrs);
	wire_run(&b->w, 100000);
	return got(b, 0);
}

/* The value of the Set-Cookie field of connection 0's last response into @p out (0: none). */
static int
set_cookie(struct bal *b, char *out, size_t cap)
{
	const char *p = strstr(b->cl.conns[0].rx, "\r\nSet-Cookie: "), *e;

	if (p == NULL)
		return 0;
	p += 14;
	e = strstr(p, "\r\n");
	assert_non_null(e);
	assert_true((size_t)(e - p) < cap);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 1;
}

static int
setup_rr(void **state)
{
	return setup_with(state, ABC(""));
}

/* weights 5,1,1: nginx's smooth order, one request at a time */
static void
test_round_robin_order(void **state)
{
	struct bal *b = *state;
	char seq[15];
	unsigned i;

	for (i = 0; i < 14; i++)
		seq[i] = (char)(get(b, "") - 'A' + 'a');
	seq[14] = '\0';
	assert_string_equal(seq, "aabacaaaabacaa");
	assert_int_equal(b->o[0].requests, 10);
	assert_int_equal(b->o[1].requests, 2);
	assert_int_equal(b->o[2].requests, 2);
}

static int
setup_rr_same(void **state)
{
	return setup_with(state,
		HEAD "upstream u {\n\tserver 198.18.0.11:8000;\n"
		     "\tserver 198.18.0.12:8000;\n\tserver 198.18.0.13:8000;\n}\n" ROUTE);
}

/*
 * Equal weights: the cursor's server is taken without the balancer when it
 * may take the request (lib/proxy's shortcut); a drained one is passed over,
 * each pass counted once, and the order goes on as round-robin's.
 */
static void
test_round_robin_same_weight(void **state)
{
	struct bal *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);
	char seq[7], c;
	uint64_t skips;
	unsigned i, n_c = 0;

	for (i = 0; i < 6; i++)
		seq[i] = get(b, "");
	seq[6] = '\0';
	/* a rotation of "ABC", twice */
	assert_non_null(strchr("ABC", seq[0]));
	for (i = 1; i < 6; i++)
		assert_int_equal(seq[i], "ABC"[(seq[i - 1] - 'A' + 1) % 3]);
	assert_int_equal(st->upstream_drained_skips, 0);

	publish(b, 1); /* B drained */
	c = get(b, "");
	assert_true(c == 'A' || c == 'C');
	skips = st->upstream_drained_skips;
	for (i = 0; i < 6; i++) {
		char next = get(b, "");

		/* after A the cursor names B: passed over (counted once), C takes it */
		assert_int_equal(next, c == 'A' ? 'C' : 'A');
		n_c += next == 'C';
		c = next;
	}
	assert_int_equal(n_c, 3);
	assert_int_equal(st->upstream_drained_skips - skips, 3);
}

/* a reload that changes the balancing: the next snapshot hashes, the one after is round-robin */
static void
test_reload_changes_balance(void **state)
{
	struct bal *b = *state;
	char first;
	unsigned i, seen[3] = {0};

	b->text = ABC("\tbalance hash header x-user;\n");
	publish(b, -1);
	first = get(b, "X-User: u1\r\n");
	for (i = 0; i < 20; i++)
		assert_int_equal(get(b, "X-User: u1\r\n"), first);
	b->text = ABC("");
	publish(b, -1);
	for (i = 0; i < 7; i++)
		seen[get(b, "X-User: u1\r\n") - 'A']++;
	/* weights 5, 1, 1 again, whatever the header */
	assert_int_equal(seen[0], 5);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 1);
}

static int
setup_lc(void **state)
{
	return setup_with(state, AB("\tbalance least_conn;\n"));
}

/* A holds its requests: once one is in flight there, new ones go to B */
static void
test_least_conn_steers(void **state)
{
	struct bal *b = *state;
	unsigned i;

	b->o[0].hold = 1;
	for (i = 0; i < NCONN; i++) {
		send_get(b, i, "");
		wire_run(&b->w, 100000);
	}
	/* the first one went to either (ties: round-robin); A got at most one */
	assert_true(b->o[0].requests <= 1);
	assert_int_equal(b->o[0].requests + b->o[1].requests, NCONN);
	/* the rest of a burst of three more, one per free connection, all to B */
	for (i = 0; i < NCONN; i++)
		if (got(b, i) == 'B') {
			send_get(b, i, "");
			wire_run(&b->w, 100000);
			assert_int_equal(got(b, i), 'B');
		}
	assert_true(b->o[0].requests <= 1);
	wire_origin_release(&b->o[0]);
	wire_run(&b->w, 100000);
}

static int
setup_ewma(void **state)
{
	return setup_with(state, AB("\tbalance ewma;\n"));
}

/* A takes 50 ms once: afterwards B gets everything (two servers: both are drawn) */
static void
test_ewma_prefers_fast(void **state)
{
	struct bal *b = *state;
	unsigned i, to_a = 0;

	b->o[0].hold = 1;
	/* until a request lands on A (held: no answer yet) */
	for (i = 0; i < 40 && b->o[0].requests == 0; i++)
		get(b, "");
	assert_int_equal(b->o[0].requests, 1);
	wire_advance(&b->w, 50);
	b->o[0].hold = 0;
	wire_origin_release(&b->o[0]);
	wire_run(&b->w, 100000);
	assert_int_equal(got(b, 0), 'A');
	for (i = 0; i < 50; i++)
		to_a += get(b, "") == 'A';
	assert_int_equal(to_a, 0);
}

static int
setup_hash(void **state)
{
	return setup_with(state, ABC("\tbalance hash header x-user;\n"));
}

static void
test_hash_header(void **state)
{
	struct bal *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);
	char first[40], hdr[64];
	unsigned u, i, used[3] = {0};

	for (u = 0; u < 40; u++) {
		snprintf(hdr, sizeof(hdr), "X-User: user-%u\r\n", u);
		first[u] = get(b, hdr);
		assert_true(first[u] >= 'A' && first[u] <= 'C');
		used[first[u] - 'A'] = 1;
	}
	/* the same user, the same origin, whatever else happened in between */
	for (i = 0; i < 3; i++)
		for (u = 0; u < 40; u++) {
			snprintf(hdr, sizeof(hdr), "x-user: user-%u\r\n", u);
			assert_int_equal(get(b, hdr), first[u]);
		}
	assert_true(used[0] && used[1] && used[2]);
	/* without the header: round-robin, counted */
	assert_int_equal(st->balance_hash_no_key, 0);
	get(b, "");
	assert_int_equal(st->balance_hash_no_key, 1);
}

static int
setup_hash_cookie(void **state)
{
	return setup_with(state, ABC("\tbalance hash $cookie_sid;\n"));
}

/* the cookie among others, in any Cookie field: the same origin; other cookies alone: no key */
static void
test_hash_cookie(void **state)
{
	struct bal *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);
	char first[20], hdr[128];
	unsigned u;

	for (u = 0; u < 20; u++) {
		snprintf(hdr, sizeof(hdr), "Cookie: sid=s%u\r\n", u);
		first[u] = get(b, hdr);
		assert_true(first[u] >= 'A' && first[u] <= 'C');
	}
	for (u = 0; u < 20; u++) {
		snprintf(hdr, sizeof(hdr), "Cookie: a=1;sid=s%u ; b=2\r\n", u);
		assert_int_equal(get(b, hdr), first[u]);
		snprintf(hdr, sizeof(hdr), "Cookie: a=1\r\nCookie: xsid=1; sid=s%u\r\n", u);
		assert_int_equal(get(b, hdr), first[u]);
	}
	assert_int_equal(st->balance_hash_no_key, 0);
	get(b, "Cookie: sidx=s1; xsid=s1\r\n");
	assert_int_equal(st->balance_hash_no_key, 1);
}

static int
setup_sticky(void **state)
{
	return setup_with(state, ABC("\tsticky cookie route max_age=60 samesite=lax httponly;\n"));
}

static void
test_sticky_cookie(void **state)
{
	struct bal *b = *state;
	const struct fo_proxy_stats *st = fo_proxy_stats(b->pw);
	char cookie[256], again[256], hdr[300], first, moved;
	unsigned i, k;
	uint64_t before;

	/* no cookie: one is set, naming the origin that answered */
	first = get(b, "");
	assert_true(first >= 'A' && first <= 'C');
	assert_true(set_cookie(b, cookie, sizeof(cookie)));
	assert_int_equal(strlen(cookie), strlen("route=0123456789abcdef; Path=/; Max-Age=60; "
						"SameSite=Lax; HttpOnly"));
	assert_int_equal(strncmp(cookie, "route=", 6), 0);
	assert_string_equal(cookie + 22, "; Path=/; Max-Age=60; SameSite=Lax; HttpOnly");
	cookie[22] = '\0';
	snprintf(hdr, sizeof(hdr), "Cookie: a=1; %s; b=2\r\n", cookie);
	/* with it: the same origin every time, no new cookie */
	for (i = 0; i < 30; i++) {
		assert_int_equal(get(b, hdr), first);
		assert_false(set_cookie(b, again, sizeof(again)));
	}
	assert_int_equal(st->sticky_hits, 30);
	assert_int_equal(st->sticky_set, 1);
	/* a stale cookie (no such endpoint): the balancer picks, a new cookie */
	get(b, "Cookie: route=00000000000000ff\r\n");
	assert_true(set_cookie(b, again, sizeof(again)));
	assert_int_equal(st->sticky_moved, 1);
	/* its endpoint drained: moved elsewhere, with a cookie naming the new one */
	k = (unsigned)(first - 'A');
	before = b->o[k].requests;
	publish(b, (int)k);
	moved = get(b, hdr);
	assert_true(moved >= 'A' && moved <= 'C');
	assert_int_not_equal(moved, first);
	assert_true(set_cookie(b, again, sizeof(again)));
	assert_int_not_equal(strncmp(again, cookie, 22), 0);
	assert_int_equal(st->sticky_moved, 2);
	/* and the new cookie holds there */
	again[22] = '\0';
	snprintf(hdr, sizeof(hdr), "Cookie: %s\r\n", again);
	for (i = 0; i < 10; i++) {
		assert_int_equal(get(b, hdr), moved);
		assert_false(set_cookie(b, cookie, sizeof(cookie)));
	}
	assert_int_equal(b->o[k].requests, before); /* nothing more for the drained one */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_robin_order, setup_rr, teardown),
		cmocka_unit_test_setup_teardown(
			test_round_robin_same_weight, setup_rr_same, teardown),
		cmocka_unit_test_setup_teardown(test_reload_changes_balance, setup_rr, teardown),
		cmocka_unit_test_setup_teardown(test_least_conn_steers, setup_lc, teardown),
		cmocka_unit_test_setup_teardown(test_ewma_prefers_fast, setup_ewma, teardown),
		cmocka_unit_test_setup_teardown(test_hash_header, setup_hash, teardown),
		cmocka_unit_test_setup_teardown(test_hash_cookie, setup_hash_cookie, teardown),
		cmocka_unit_test_setup_teardown(test_sticky_cookie, setup_sticky, teardown),
	};

	return cmocka_run_group_tests_name("proxy_balance", tests, NULL, NULL);
}
