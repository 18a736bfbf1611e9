/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/alog: entries formatted as ingress-nginx's upstreaminfo line and as
 * JSON (every field, missing values, escaping of quotes and control bytes
 * in the target and User-Agent, truncation), the SPSC ring (drops counted
 * when full, never blocking), the writer (one write per drain, reopen on
 * the SIGUSR1 flag after a rename), and the per-route counters (buckets,
 * classes, sums, baselines).
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_ring.h>

#include "fo_alog.h"
#include "fo_conf.h"

#define HZ 1000000000ull /* 1 GHz: 1 cycle = 1 ns */
/* 2026-12-07 05:00:00 UTC */
#define T0 1796619600ull

static struct fo_alog_clock clk = {HZ, 1000, T0 * 1000000000ull, 1};

static void
fill(struct fo_alog_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->t_start = 1000 + 2 * HZ;          /* 05:00:02 */
	e->t_up_start = e->t_start + 100000; /* +100 us */
	e->t_up_head = e->t_start + 1100000; /* +1.1 ms */
	e->t_end = e->t_start + 12345000;    /* +12.345 ms */
	e->seq = 7;
	e->req_len = 78;
	e->bytes_out = 180;
	e->body_out = 5;
	e->client_addr = htonl(0xc6120002); /* 198.18.0.2 */
	e->client_port = 40000;
	e->ep_addr = htonl(0xc6120102); /* 198.18.1.2 */
	e->ep_port = 8080;
	e->status = 200;
	e->up_status = 200;
	e->worker = 1;
	e->http_minor = 1;
	e->flags = FO_ALOG_F_UPSTREAM | FO_ALOG_F_UP_HEAD;
	FO_ALOG_COPY(e, method, "GET", 3);
	FO_ALOG_COPY(e, target, "/api/x?y=1", 10);
	FO_ALOG_COPY(e, host, "a.example", 9);
	FO_ALOG_COPY(e, ua, "curl/7.88", 9);
	FO_ALOG_COPY(e, rid, "0123456789abcdef0123456789abcdef", 32);
	FO_ALOG_COPY(e, route, "a.example /api", 14);
	FO_ALOG_COPY(e, upstream, "api", 3);
}

static char *
fmt(const struct fo_alog_entry *e, enum fo_alog_format f)
{
	static char buf[FO_ALOG_LINE_MAX + 1];
	size_t n = fo_alog_format(e, f, &clk, buf);

	assert_true(n < FO_ALOG_LINE_MAX);
	buf[n] = 0;
	assert_int_equal(buf[n - 1], '\n');
	return buf;
}

static void
test_text(void **state)
{
	struct fo_alog_entry e;

	(void)state;
	fill(&e);
	assert_string_equal(fmt(&e, FO_ALOG_UPSTREAMINFO),
		"198.18.0.2 - - [07/Dec/2026:05:00:02 +0000] \"GET /api/x?y=1 HTTP/1.1\" 200 5 "
		"\"-\" \"curl/7.88\" 78 0.012 [api] [] 198.18.1.2:8080 5 0.012 200 "
		"0123456789abcdef0123456789abcdef\n");
	/* the next second: the cached $time_local moves on */
	e.t_start += HZ;
	e.t_end += HZ;
	assert_non_null(strstr(fmt(&e, FO_ALOG_UPSTREAMINFO), "[07/Dec/2026:05:00:03 +0000]"));
	e.t_start -= HZ;
	e.t_end -= HZ;
	assert_non_null(strstr(fmt(&e, FO_ALOG_UPSTREAMINFO), "[07/Dec/2026:05:00:02 +0000]"));
}

/* a canary took the request: the route's upstream, then the canary's */
static void
test_alt(void **state)
{
	struct fo_alog_entry e;

	(void)state;
	fill(&e);
	FO_ALOG_COPY(&e, alt, "api-canary", 10);
	assert_non_null(
		strstr(fmt(&e, FO_ALOG_UPSTREAMINFO), " [api] [api-canary] 198.18.1.2:8080 "));
	assert_non_null(
		strstr(fmt(&e, FO_ALOG_JSON), "\"proxy_upstream_name\":\"api\",\"proxy_alternative_"
					      "upstream_name\":\"api-canary\","));
}

/* fanout's own answer (no upstream): '-' for every upstream field */
static void
test_text_missing(void **state)
{
	struct fo_alog_entry e;

	(void)state;
	fill(&e);
	e.flags = 0;
	e.status = 404;
	e.upstream_len = 0;
	e.rid_len = 0;
	e.ua_len = 0;
	e.http_minor = 0;
	assert_string_equal(fmt(&e, FO_ALOG_UPSTREAMINFO),
		"198.18.0.2 - - [07/Dec/2026:05:00:02 +0000] \"GET /api/x?y=1 HTTP/1.0\" 404 5 "
		"\"-\" \"-\" 78 0.012 [] [] - - - - -\n");
}

static void
test_json(void **state)
{
	struct fo_alog_entry e;

	(void)state;
	fill(&e);
	assert_string_equal(fmt(&e, FO_ALOG_JSON),
		"{\"remote_addr\":\"198.18.0.2\",\"remote_port\":40000,\"remote_user\":null,"
		"\"time_local\":\"07/Dec/2026:05:00:02 +0000\",\"request\":\"GET /api/x?y=1 "
		"HTTP/1.1\",\"request_method\":\"GET\",\"request_uri\":\"/api/x?y=1\","
		"\"host\":\"a.example\",\"status\":200,\"body_bytes_sent\":5,\"bytes_sent\":180,"
		"\"http_referer\":null,\"http_user_agent\":\"curl/7.88\",\"request_length\":78,"
		"\"request_time\":0.012345,\"proxy_upstream_name\":\"api\","
		"\"proxy_alternative_upstream_name\":null,\"upstream_addr\":\"198.18.1.2:8080\","
		"\"upstream_response_length\":5,\"upstream_response_time\":0.012245,"
		"\"upstream_header_time\":0.001000,\"upstream_status\":200,"
		"\"req_id\":\"0123456789abcdef0123456789abcdef\",\"route\":\"a.example /api\","
		"\"worker\":1,\"seq\":7}\n");
	e.flags = FO_ALOG_F_ABORTED;
	e.status = 0;
	assert_non_null(strstr(fmt(&e, FO_ALOG_JSON), "\"status\":null,\"body_bytes_sent\":5"));
	assert_non_null(strstr(fmt(&e, FO_ALOG_JSON),
		"\"upstream_addr\":null,\"upstream_response_length\":null,"
		"\"upstream_response_time\":null,\"upstream_header_time\":null,"
		"\"upstream_status\":null"));
	assert_non_null(strstr(fmt(&e, FO_ALOG_JSON), ",\"aborted\":true}\n"));
}

/* quotes, backslashes, control bytes and bytes >= 0x80 in the target and User-Agent */
static void
test_escape(void **state)
{
	static const char ua[] = "a\"b\\c\x01\n\x7f\xc3\xa9";
	struct fo_alog_entry e;
	char *l;

	(void)state;
	fill(&e);
	FO_ALOG_COPY(&e, target, "/q\"\x1b", 4);
	FO_ALOG_COPY(&e, ua, ua, sizeof(ua) - 1);
	l = fmt(&e, FO_ALOG_UPSTREAMINFO);
	assert_non_null(strstr(l, "\"GET /q\\x22\\x1b HTTP/1.1\""));
	assert_non_null(strstr(l, "\"a\\x22b\\x5cc\\x01\\x0a\\x7f\\xc3\\xa9\""));
	assert_null(strchr(l, '\x1b'));
	assert_int_equal(strchr(l, '\n') - l, (long)strlen(l) - 1); /* one line */
	l = fmt(&e, FO_ALOG_JSON);
	assert_non_null(strstr(l, "\"request_uri\":\"/q\\\"\\u001b\""));
	assert_non_null(
		strstr(l, "\"http_user_agent\":\"a\\\"b\\\\c\\u0001\\n\\u007f\\u00c3\\u00a9\""));
	assert_int_equal(strchr(l, '\n') - l, (long)strlen(l) - 1);
	/* a head that did not parse (400): no request line */
	e.method_len = 0;
	assert_non_null(strstr(fmt(&e, FO_ALOG_UPSTREAMINFO), "] \"-\" 200 "));
	assert_non_null(strstr(fmt(&e, FO_ALOG_JSON), "\"request\":\"-\",\"request_method\":null"));
}

/* a target longer than the bound is cut and flagged; a worst case fits a line */
static void
test_truncate(void **state)
{
	char big[1000];
	struct fo_alog_entry e;
	char *l;

	(void)state;
	memset(big, '\x01', sizeof(big));
	fill(&e);
	assert_int_equal(FO_ALOG_COPY(&e, target, big, sizeof(big)), 1);
	assert_int_equal(e.target_len, FO_ALOG_TARGET_MAX);
	assert_int_equal(FO_ALOG_COPY(&e, host, "h", 1), 0);
	e.flags |= FO_ALOG_F_TRUNC_TARGET;
	/* every string at its bound, every byte escaped: still within FO_ALOG_LINE_MAX */
	FO_ALOG_COPY(&e, method, big, sizeof(big));
	FO_ALOG_COPY(&e, host, big, sizeof(big));
	FO_ALOG_COPY(&e, ua, big, sizeof(big));
	FO_ALOG_COPY(&e, referer, big, sizeof(big));
	FO_ALOG_COPY(&e, rid, big, sizeof(big));
	FO_ALOG_COPY(&e, route, big, sizeof(big));
	FO_ALOG_COPY(&e, upstream, big, sizeof(big));
	l = fmt(&e, FO_ALOG_JSON);
	assert_non_null(strstr(l, ",\"truncated\":true}"));
	fmt(&e, FO_ALOG_UPSTREAMINFO);
}

/* a full ring drops and counts; the consumer frees room */
static void
test_ring_full(void **state)
{
	struct rte_ring *r = fo_alog_ring_create("t", 16);
	struct fo_alog_push_stats st = {0};
	struct fo_alog_entry e, out;
	unsigned i;

	(void)state;
	assert_non_null(r);
	fill(&e);
	for (i = 0; i < 20; i++) {
		e.seq = i;
		fo_alog_push(r, &e, &st);
	}
	assert_int_equal(st.pushed, 15); /* 16 slots, one kept empty */
	assert_int_equal(st.dropped, 5);
	assert_int_equal(fo_alog_push(r, &e, &st), -ENOBUFS);
	assert_int_equal(rte_ring_sc_dequeue_elem(r, &out, sizeof(out)), 0);
	assert_int_equal(out.seq, 0);
	assert_memory_equal(out.target, e.target, e.target_len);
	assert_int_equal(fo_alog_push(r, &e, &st), 0);
	assert_int_equal(st.dropped, 6);
	fo_alog_ring_free(r);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[1 << 20];
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static unsigned
lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* drains several rings with one write, reopens by path after a rename when asked */
static void
test_writer_reopen(void **state)
{
	char dir[] = "/tmp/test_alog.XXXXXX", path[64], old[64];
	struct rte_ring *r[2] = {fo_alog_ring_create("a", 64), fo_alog_ring_create("b", 64)};
	struct fo_alog_push_stats st = {0};
	struct fo_alog_writer *w;
	struct fo_alog_entry e;
	unsigned i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/access.log", dir);
	snprintf(old, sizeof(old), "%s/access.log.1", dir);
	w = fo_alog_writer_open(path, FO_ALOG_UPSTREAMINFO, 0, &clk);
	assert_non_null(w);
	assert_int_equal(fo_alog_writer_add_ring(w, r[0]), 0);
	assert_int_equal(fo_alog_writer_add_ring(w, r[1]), 0);
	fill(&e);
	for (i = 0; i < 10; i++) {
		e.seq = i;
		fo_alog_push(r[i & 1], &e, &st);
	}
	assert_int_equal(fo_alog_writer_drain(w), 10);
	assert_int_equal(fo_alog_writer_stats(w)->writes, 1);
	assert_int_equal(fo_alog_writer_drain(w), 0);
	assert_int_equal(lines(slurp(path)), 10);
	/* logrotate: rename, then SIGUSR1 (the handler only calls reopen_ask) */
	assert_int_equal(rename(path, old), 0);
	fo_alog_push(r[0], &e, &st);
	fo_alog_writer_reopen_ask(w);
	assert_int_equal(fo_alog_writer_drain(w), 1);
	assert_int_equal(fo_alog_writer_stats(w)->reopens, 1);
	assert_int_equal(lines(slurp(old)), 10);
	assert_int_equal(lines(slurp(path)), 1);
	fo_alog_push(r[1], &e, &st);
	fo_alog_writer_close(w); /* drains what is left */
	assert_int_equal(lines(slurp(path)), 2);
	unlink(path);
	unlink(old);
	rmdir(dir);
	fo_alog_ring_free(r[0]);
	fo_alog_ring_free(r[1]);
}

/* a small buffer: a drain stops when a line might not fit, the rest waits */
static void
test_writer_bounded(void **state)
{
	char path[] = "/tmp/test_alog_b.XXXXXX";
	struct rte_ring *r = fo_alog_ring_create("c", 256);
	struct fo_alog_push_stats st = {0};
	struct fo_alog_writer *w;
	struct fo_alog_entry e;
	unsigned i, n, total = 0, drains = 0;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	w = fo_alog_writer_open(path, FO_ALOG_JSON, 0, &clk);
	assert_non_null(w);
	fo_alog_writer_add_ring(w, r);
	fill(&e);
	for (i = 0; i < 200; i++)
		fo_alog_push(r, &e, &st);
	while ((n = fo_alog_writer_drain(w)) != 0) {
		total += n;
		drains++;
	}
	assert_int_equal(total, 200);
	assert_true(drains > 1);
	assert_int_equal(fo_alog_writer_stats(w)->writes, drains); /* none when empty */
	assert_int_equal(lines(slurp(path)), 200);
	fo_alog_writer_close(w);
	unlink(path);
	fo_alog_ring_free(r);
}

static void
test_rstats(void **state)
{
	struct fo_alog_rstats a, b, sum;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&sum, 0, sizeof(sum));
	fo_alog_rstats_count(&a, 200, 4000, 3000, 50, 500);       /* <= 5 ms, <= 100 B, <= 1000 B */
	fo_alog_rstats_count(&a, 204, 5000, UINT64_MAX, 0, 10);   /* on the bound: first bucket */
	fo_alog_rstats_count(&a, 503, 20000000, 20000000, 10, 1); /* past the last bounds */
	fo_alog_rstats_count(&b, 404, 7000, UINT64_MAX, 0, 0);
	fo_alog_rstats_count(&b, 0, 1, UINT64_MAX, 0, 0);
	assert_int_equal(a.requests[2], 2);
	assert_int_equal(a.requests[5], 1);
	assert_int_equal(a.lat[0], 2);
	assert_int_equal(a.lat_count, 3);
	assert_int_equal(a.lat_sum_us, 20009000);
	assert_int_equal(a.up_lat_count, 2);
	assert_int_equal(a.up_lat[0], 1);
	assert_int_equal(a.up_lat_sum_us, 20003000);
	assert_int_equal(a.req_size[0], 2); /* 0 and 10 */
	assert_int_equal(a.req_size[1], 1);
	assert_int_equal(a.resp_size[2], 1);
	assert_int_equal(a.resp_size[0], 2);
	assert_int_equal(a.req_bytes, 60);
	assert_int_equal(b.requests[4], 1);
	assert_int_equal(b.requests[0], 1);
	assert_int_equal(b.lat[1], 1);
	fo_alog_rstats_add(&sum, &a);
	fo_alog_rstats_add(&sum, &b);
	assert_int_equal(sum.lat_count, 5);
	assert_int_equal(sum.requests[2] + sum.requests[4] + sum.requests[5], 4);
	fo_alog_rstats_sub(&sum, &a);
	assert_memory_equal(&sum, &b, sizeof(b));
	fo_alog_rstats_sub(&sum, &a); /* never below 0 */
	assert_int_equal(sum.lat_count, 0);
}

static struct fo_conf *
conf_of(const char *routes)
{
	char text[2048];
	unsigned n = 99;
	struct fo_conf *c;

	snprintf(text, sizeof(text),
		"interface net_tap0 { address 198.18.0.1/24; }\n"
		"upstream u1 { server 198.18.0.2:80; }\nupstream u2 { server 198.18.0.3:80; }\n%s",
		routes);
	c = fo_conf_parse("t.conf", text, strlen(text), 0, stderr, &n);
	assert_non_null(c);
	return c;
}

static void
bump(struct fo_alog_reg *reg, unsigned w, const struct fo_alog_routes *rt, unsigned slot,
	unsigned status)
{
	assert_true(rt->key[slot] < fo_alog_reg_cap(reg));
	fo_alog_rstats_count(&fo_alog_reg_worker(reg, w)[rt->key[slot]], status, 1000, 500, 10, 20);
}

/* the count of @p route / @p up in the registry, UINT64_MAX when not listed */
static uint64_t
reg_count(const struct fo_alog_reg *reg, const char *route, const char *up)
{
	const struct fo_alog_route_name *nm;
	struct fo_alog_rstats sum;
	unsigned it = 0;

	while (fo_alog_reg_next(reg, &it, &nm, &sum))
		if (nm->route_len == strlen(route) &&
			memcmp(nm->route, route, nm->route_len) == 0 &&
			nm->upstream_len == strlen(up) &&
			memcmp(nm->upstream, up, nm->upstream_len) == 0)
			return sum.lat_count;
	return UINT64_MAX;
}

/* a route's canaries have slots of their own: the route's key, its upstream and the canary's */
static void
test_routes_canary(void **state)
{
	struct fo_conf *c = conf_of("route prefix /a { upstream u1; canary u2 { weight 10; } "
				    "canary u1 { header x-c; } }\n"
				    "route prefix /b { upstream u2; }\n");
	struct fo_alog_routes *rt = fo_alog_routes_create(c);
	struct fo_alog_reg *reg = fo_alog_reg_create(8, 1);

	(void)state;
	assert_non_null(rt);
	assert_int_equal(rt->n, 5); /* /a, /b, /a's two canaries, no route */
	assert_int_equal(fo_alog_routes_slot(rt, 0, 0), 0);
	assert_int_equal(fo_alog_routes_slot(rt, 1, 0), 1);
	assert_int_equal(fo_alog_routes_slot(rt, 0, 1), 2);
	assert_int_equal(fo_alog_routes_slot(rt, 0, 2), 3);
	assert_memory_equal(rt->name[2].route, "* /a", 4);
	assert_memory_equal(rt->name[2].upstream, "u1", 2);
	assert_int_equal(rt->name[2].alt_len, 2);
	assert_memory_equal(rt->name[2].alt, "u2", 2);
	assert_memory_equal(rt->name[3].alt, "u1", 2);
	assert_int_equal(rt->name[0].alt_len, 0);
	/* the route and each canary count apart */
	assert_int_equal(fo_alog_reg_ref(reg, rt), 0);
	assert_int_not_equal(rt->key[0], rt->key[2]);
	assert_int_not_equal(rt->key[2], rt->key[3]);
	fo_alog_reg_unref(reg, rt);
	fo_alog_reg_free(reg);
	fo_alog_routes_free(rt);
	fo_conf_free(c);
}

/* labels; counters kept across a reload that keeps a route, dropped with the route,
 * a freed index reused from zero, a full registry counted */
static void
test_routes_reload(void **state)
{
	struct fo_conf *c1 = conf_of("route prefix /a { upstream u1; }\n"
				     "route exact /b { host b.example; upstream u2; }\n"
				     "default_backend u2;\n");
	struct fo_conf *c2 = conf_of("route exact /b { host b.example; upstream u2; }\n"
				     "route regex ^/c { upstream u1; }\n");
	struct fo_conf *c3 = conf_of("route exact /b { host b.example; upstream u2; }\n"
				     "route prefix /a { upstream u2; }\n");
	struct fo_alog_routes *r1 = fo_alog_routes_create(c1), *r2, *r3;
	struct fo_alog_reg *reg = fo_alog_reg_create(5, 2);

	(void)state;
	assert_non_null(r1);
	assert_non_null(reg);
	assert_int_equal(r1->n, 4);
	assert_memory_equal(r1->name[0].route, "* /a", 4);
	assert_memory_equal(r1->name[0].upstream, "u1", 2);
	assert_memory_equal(r1->name[1].route, "b.example = /b", 14);
	assert_memory_equal(r1->name[2].route, "default_backend", 15);
	assert_memory_equal(r1->name[2].upstream, "u2", 2);
	assert_int_equal(r1->name[3].route_len, 0);
	assert_int_equal(fo_alog_routes_default_slot(r1, c1, &c1->default_backends[0].route), 2);
	assert_int_equal(fo_alog_routes_default_slot(r1, c1, NULL), 3);
	assert_int_equal(fo_alog_reg_ref(reg, r1), 0);
	bump(reg, 0, r1, 0, 200);
	bump(reg, 1, r1, 0, 200);
	bump(reg, 1, r1, 1, 404);
	bump(reg, 0, r1, 3, 404);
	assert_int_equal(reg_count(reg, "* /a", "u1"), 2);
	assert_int_equal(reg_count(reg, "b.example = /b", "u2"), 1);
	assert_int_equal(reg_count(reg, "", ""), 1);

	/* reload to c2: the new snapshot is referenced before the old one goes */
	r2 = fo_alog_routes_create(c2);
	assert_int_equal(r2->n, 3);
	assert_memory_equal(r2->name[1].route, "* ~ ^/c", 7);
	assert_int_equal(fo_alog_reg_ref(reg, r2), 0); /* /b and "" kept, ^/c takes a free one */
	assert_int_equal(r2->key[0], r1->key[1]);
	assert_int_equal(r2->key[2], r1->key[3]);
	bump(reg, 0, r2, 0, 200);
	fo_alog_reg_unref(reg, r1);
	assert_int_equal(reg_count(reg, "b.example = /b", "u2"), 2); /* went on */
	assert_int_equal(reg_count(reg, "* /a", "u1"), UINT64_MAX);  /* gone with its route */
	assert_int_equal(reg_count(reg, "* ~ ^/c", "u1"), 0);

	/* c3: /a comes back with another upstream, in a freed index: counts from zero */
	r3 = fo_alog_routes_create(c3);
	assert_int_equal(fo_alog_reg_ref(reg, r3), 0);
	assert_int_equal(reg_count(reg, "* /a", "u2"), 0);
	bump(reg, 1, r3, 1, 503);
	assert_int_equal(reg_count(reg, "* /a", "u2"), 1);
	assert_int_equal(reg_count(reg, "b.example = /b", "u2"), 2);
	/* the registry holds 5: a config with more pairs leaves some uncounted */
	fo_alog_routes_free(r1);
	r1 = fo_alog_routes_create(c1); /* * /a u1, /b, default u2, "" : /a u1 and default new */
	assert_int_equal(fo_alog_reg_ref(reg, r1), 1);
	assert_int_equal(fo_alog_reg_full(reg), 1);
	assert_int_equal(r1->key[2], UINT32_MAX);
	fo_alog_reg_unref(reg, r1);
	fo_alog_reg_unref(reg, r2);
	fo_alog_reg_unref(reg, r3);
	fo_alog_routes_free(r1);
	fo_alog_routes_free(r2);
	fo_alog_routes_free(r3);
	fo_alog_reg_free(reg);
	fo_conf_free(c1);
	fo_conf_free(c2);
	fo_conf_free(c3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_missing),
		cmocka_unit_test(test_alt),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_ring_full),
		cmocka_unit_test(test_writer_reopen),
		cmocka_unit_test(test_writer_bounded),
		cmocka_unit_test(test_rstats),
		cmocka_unit_test(test_routes_reload),
		cmocka_unit_test(test_routes_canary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
