/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctl health registry and state machines, driven by the test's clock:
 * slots by identity (surviving a reload's ref-again/unref), FIFO reuse, a
 * full table; active checks (first one at once, interval, rise/fall,
 * expected statuses, NOSTATE, stale and lost results, the rendered request
 * byte for byte, when the next timer is). Passive ejection and the table
 * bytes: test_ctl_health_passive.c.
 */
#include "ctl_health_harness.h"

/* ---- registry ---- */

static void
test_create(void **state)
{
	struct fo_ctl_health *h;
	uint32_t i;

	(void)state;
	errno = 0;
	assert_null(fo_ctl_health_create(0, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(fo_ctl_health_create(FO_CTL_HEALTH_CAP_MAX + 1, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	h = fo_ctl_health_create(100, NULL, NULL); /* no log: transitions still work */
	assert_non_null(h);
	assert_int_equal(fo_ctl_health_cap(h), 100);
	for (i = 0; i < 100; i++)
		assert_int_equal(wread(h, i), 0);
	assert_int_equal((uintptr_t)fo_ctl_health_table(h) % 64, 0);
	fo_ctl_health_free(h);
	fo_ctl_health_free(NULL);
}

static void
test_ref_find_unref(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = passive(0, 0);
	struct fo_ctl_health_info i;

	(void)state;
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(11), 8000, &p, T0), 0);
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(12), 8000, &p, T0), 1);
	/* each part of the identity counts: upstream, address, port */
	assert_int_equal(fo_ctl_health_ref(h, "web", ip(11), 8000, &p, T0), 2);
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(11), 8001, &p, T0), 3);
	/* the same identity again: same slot, one more reference */
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(11), 8000, &p, T0), 0);
	assert_int_equal(info(h, 0, T0).refs, 2);
	assert_int_equal(fo_ctl_health_stats(h)->slots_used, 4);

	assert_int_equal(fo_ctl_health_find(h, "app", ip(11), 8000), 0);
	assert_int_equal(fo_ctl_health_find(h, "web", ip(11), 8000), 2);
	assert_int_equal(fo_ctl_health_find(h, "app", ip(13), 8000), NONE);
	assert_int_equal(fo_ctl_health_find(h, "nope", ip(11), 8000), NONE);
	assert_int_equal(info(h, 0, T0).refs, 2); /* find takes no reference */

	fo_ctl_health_unref(h, 0);
	assert_int_equal(fo_ctl_health_find(h, "app", ip(11), 8000), 0);
	fo_ctl_health_unref(h, 0);
	assert_int_equal(fo_ctl_health_find(h, "app", ip(11), 8000), NONE);
	assert_int_equal(fo_ctl_health_info(h, 0, T0, &i), -ENOENT);
	assert_int_equal(fo_ctl_health_info(h, 99, T0, &i), -ENOENT);
	assert_int_equal(fo_ctl_health_stats(h)->slots_used, 3);
	/* no-ops: NONE, a free slot, out of range */
	fo_ctl_health_unref(h, NONE);
	fo_ctl_health_unref(h, 0);
	fo_ctl_health_unref(h, 1000);
	assert_int_equal(fo_ctl_health_stats(h)->slots_used, 3);

	/* the last server of "web" gone: its record goes, the name comes back fresh */
	fo_ctl_health_unref(h, 2);
	assert_int_equal(fo_ctl_health_find(h, "web", ip(11), 8000), NONE);
	assert_int_not_equal(fo_ctl_health_ref(h, "web", ip(11), 8000, &p, T0), NONE);
	assert_int_equal(fo_ctl_health_find(h, "web", ip(11), 8000),
		fo_ctl_health_find(h, "web", ip(11), 8000));
	assert_int_equal(fo_ctl_health_ref(h, NULL, ip(11), 8000, &p, T0), NONE);
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(11), 8000, NULL, T0), NONE);
	assert_int_equal(fo_ctl_health_stats(h)->refs_failed, 2);
	fo_ctl_health_free(h);
}

static void
test_fifo_reuse_and_full(void **state)
{
	struct fo_ctl_health *h = mk(4);
	struct fo_ctl_health_params p = passive(0, 0);

	(void)state;
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(1), 80, &p, T0), 0);
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(2), 80, &p, T0), 1);
	fo_ctl_health_unref(h, 0);
	/* a freed slot is reused last */
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(3), 80, &p, T0), 2);
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(4), 80, &p, T0), 3);
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(5), 80, &p, T0), 0);
	/* full: counted, nothing changed; a known identity still gets its slot */
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(6), 80, &p, T0), NONE);
	assert_int_equal(fo_ctl_health_ref(h, "other", ip(6), 80, &p, T0), NONE);
	assert_int_equal(fo_ctl_health_stats(h)->slots_full, 2);
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(2), 80, &p, T0), 1);
	assert_int_equal(fo_ctl_health_stats(h)->slots_used, 4);
	/* freed in the order 3, 1 (1 had two refs): reused in that order */
	fo_ctl_health_unref(h, 3);
	fo_ctl_health_unref(h, 1);
	fo_ctl_health_unref(h, 1);
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(7), 80, &p, T0), 3);
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(8), 80, &p, T0), 1);
	assert_int_equal(fo_ctl_health_find(h, "app", ip(2), 80), NONE);
	fo_ctl_health_free(h);
}

/* A reload lists the same server again (ref), then frees the old snapshot (unref). */
static void
test_state_survives_reload(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active();
	uint32_t s = fo_ctl_health_ref(h, "app", ip(12), 8000, &p, T0);
	uint64_t t = T0;

	(void)state;
	p.fall = 1;
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(12), 8000, &p, T0), s); /* params: fall 1 */
	fo_ctl_health_unref(h, s);
	check(h, t, 0, FO_PROXY_OBS_CONNECT);
	assert_int_equal(wread(h, s), DOWN);

	/* reload: new snapshot refs it (new params win), old one unrefs it */
	p.rise = 1;
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(12), 8000, &p, t + 10), s);
	fo_ctl_health_unref(h, s);
	assert_int_equal(wread(h, s), DOWN);
	assert_int_equal(info(h, s, t).checks, 1);
	assert_int_equal(info(h, s, t).refs, 1);
	/* rise 1 (the new params) applies to the next result; no extra check */
	assert_int_equal(n_due(h, t + 999), 0);
	check(h, t + 1000, 200, 0);
	assert_int_equal(wread(h, s), 0);
	fo_ctl_health_free(h);
}

/* ---- active checks ---- */

/* The first check of a fresh registry listing one server with @p p. */
static struct fo_proxy_probe
first_probe(const struct fo_ctl_health_params *p, const char *up, rte_be32_t a, uint16_t port)
{
	struct fo_ctl_health *h = mk(4);
	struct fo_proxy_probe pr;

	assert_int_equal(fo_ctl_health_ref(h, up, a, port, p, T0), 0);
	pr = due1(h, T0);
	fo_ctl_health_free(h);
	return pr;
}

static void
test_first_check_and_request(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active();
	uint32_t s = fo_ctl_health_ref(h, "app", ip(12), 8000, &p, T0);
	const char *want = "GET /healthz HTTP/1.1\r\n"
			   "Host: 198.18.0.12:8000\r\n"
			   "User-Agent: fanout-health-check\r\n"
			   "Connection: close\r\n"
			   "\r\n";
	struct fo_proxy_probe pr;
	char big[512];

	(void)state;
	assert_int_equal(wread(h, s), 0); /* starts UP */
	pr = due1(h, T0);                 /* due at once */
	assert_int_equal(pr.slot, s);
	assert_int_equal(pr.seq, 1);
	assert_int_equal(pr.addr, ip(12));
	assert_int_equal(pr.port, 8000);
	assert_int_equal(pr.timeout_ms, 500);
	assert_int_equal(pr.req_len, strlen(want));
	assert_memory_equal(pr.req, want, strlen(want));
	assert_int_equal(fo_ctl_health_stats(h)->checks_sent, 1);
	result(h, &pr, 200, 0, T0 + 5);
	assert_int_equal(due1(h, T0 + 1000).seq, 2);
	fo_ctl_health_free(h);

	/* a Host of its own; an empty path is "/" */
	snprintf(p.host, sizeof(p.host), "app.example");
	snprintf(p.path, sizeof(p.path), "/z?a=1");
	pr = first_probe(&p, "web", ip(13), 80);
	want = "GET /z?a=1 HTTP/1.1\r\nHost: app.example\r\nUser-Agent: fanout-health-check\r\n"
	       "Connection: close\r\n\r\n";
	assert_int_equal(pr.req_len, strlen(want));
	assert_memory_equal(pr.req, want, strlen(want));
	p.path[0] = '\0';
	p.host[0] = '\0';
	pr = first_probe(&p, "web", ip(13), 80);
	want = "GET / HTTP/1.1\r\nHost: 198.18.0.13:80\r\nUser-Agent: fanout-health-check\r\n"
	       "Connection: close\r\n\r\n";
	assert_int_equal(pr.req_len, strlen(want));
	assert_memory_equal(pr.req, want, strlen(want));

	/* the longest path and host still fit */
	p.path[0] = '/';
	memset(p.path + 1, 'p', sizeof(p.path) - 2);
	p.path[sizeof(p.path) - 1] = '\0';
	memset(p.host, 'h', sizeof(p.host) - 1);
	p.host[sizeof(p.host) - 1] = '\0';
	p.timeout_ms = 100000; /* beyond the probe's 16 bits: the most it can carry */
	pr = first_probe(&p, "long", ip(14), 80);
	snprintf(big, sizeof(big),
		"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: fanout-health-check\r\nConnection: "
		"close\r\n\r\n",
		p.path, p.host);
	assert_int_equal(strlen(big), 460);
	assert_true(strlen(big) <= FO_PROXY_PROBE_REQ_MAX);
	assert_int_equal(pr.req_len, strlen(big));
	assert_memory_equal(pr.req, big, strlen(big));
	assert_int_equal(pr.timeout_ms, 65535);

	/* no checks configured: never due */
	h = mk(8);
	p = passive(1, 50);
	fo_ctl_health_ref(h, "quiet", ip(15), 80, &p, T0);
	assert_int_equal(n_due(h, T0), 0);
	assert_int_equal(n_due(h, T0 + 100000), 0);
	assert_int_equal(fo_ctl_health_stats(h)->checks_sent, 0);
	fo_ctl_health_free(h);
}

static void
test_interval(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active();
	struct fo_proxy_probe pr;

	(void)state;
	fo_ctl_health_ref(h, "app", ip(12), 8000, &p, T0);
	pr = due1(h, T0 + 3);
	result(h, &pr, 200, 0, T0 + 250);
	/* next one interval after the previous one was sent, not after its result */
	assert_int_equal(n_due(h, T0 + 1002), 0);
	pr = due1(h, T0 + 1003);
	assert_int_equal(pr.seq, 2);
	result(h, &pr, 200, 0, T0 + 1004);
	/* a late caller gets it late, once */
	assert_int_equal(n_due(h, T0 + 2500), 1);
	assert_int_equal(n_due(h, T0 + 2501), 0);
	assert_int_equal(fo_ctl_health_stats(h)->checks_sent, 3);
	assert_int_equal(fo_ctl_health_stats(h)->checks_ok, 2);
	fo_ctl_health_free(h);
}

/* fo_ctl_health_next(): a sleeping control thread never misses what is due */
static void
test_next(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active(), q = passive(1, 100);
	struct fo_proxy_probe pr;
	uint32_t s;

	(void)state;
	assert_int_equal(fo_ctl_health_next(h, T0), UINT64_MAX); /* nothing at all */
	fo_ctl_health_ref(h, "app", ip(12), 8000, &p, T0);
	assert_int_equal(fo_ctl_health_next(h, T0), T0); /* the first check, at once */
	pr = due1(h, T0);
	/* in flight: its loss (timeout + 1 s) is the next thing; no later than that */
	assert_true(fo_ctl_health_next(h, T0) > T0 &&
		    fo_ctl_health_next(h, T0) <= T0 + 500 + 1000);
	result(h, &pr, 200, 0, T0 + 10);
	/* answered: the next check, one interval after it was sent */
	assert_true(fo_ctl_health_next(h, T0 + 10) > T0 + 10 &&
		    fo_ctl_health_next(h, T0 + 10) <= T0 + 1000);
	assert_int_equal(n_due(h, fo_ctl_health_next(h, T0 + 10) - 1), 0);
	/* an ejection's end is a timer too */
	s = fo_ctl_health_ref(h, "lone", ip(13), 8000, &q, T0 + 20);
	fail_obs(h, s, FO_PROXY_OBS_CONNECT, 1, T0 + 20);
	assert_int_equal(wread(h, s), FO_PROXY_HEALTH_EJECTED);
	assert_true(fo_ctl_health_next(h, T0 + 20) <= T0 + 1000);
	fo_ctl_health_free(h);
}

static void
test_fall_rise(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active();
	uint32_t s = fo_ctl_health_ref(h, "app", ip(12), 8000, &p, T0);
	struct fo_ctl_health_info i;
	uint64_t t = T0;

	(void)state;
	/* a pass in between restarts the count */
	check(h, t, 0, FO_PROXY_OBS_CONNECT);
	check(h, t += 1000, 0, FO_PROXY_OBS_RESET);
	check(h, t += 1000, 200, 0);
	check(h, t += 1000, 0, FO_PROXY_OBS_TIMEOUT);
	check(h, t += 1000, 0, FO_PROXY_OBS_BAD);
	assert_int_equal(wread(h, s), 0);
	assert_int_equal(n_lines, 0);
	check(h, t += 1000, 0, FO_PROXY_OBS_CONNECT);
	assert_int_equal(wread(h, s), DOWN);
	assert_string_equal(last_line, "upstream app: server 198.18.0.12:8000 is DOWN: 3 checks "
				       "failed in a row (last: connection refused)");
	i = info(h, s, t);
	assert_int_equal(i.state, DOWN);
	assert_int_equal(i.checks, 6);
	assert_int_equal(i.checks_failed, 5);
	assert_int_equal(i.fails, 3);
	assert_int_equal(i.passes, 0);
	assert_int_equal(i.last_status, 0);
	assert_int_equal(i.last_why, FO_PROXY_OBS_CONNECT);
	/* more failures: no new transition */
	check(h, t += 1000, 0, FO_PROXY_OBS_CONNECT);
	assert_int_equal(n_lines, 1);
	/* rise 2 */
	check(h, t += 1000, 204, 0);
	assert_int_equal(wread(h, s), DOWN);
	check(h, t += 1000, 302, 0);
	assert_int_equal(wread(h, s), 0);
	assert_string_equal(
		last_line, "upstream app: server 198.18.0.12:8000 is UP: 2 checks passed");
	i = info(h, s, t);
	assert_int_equal(i.passes, 2);
	assert_int_equal(i.fails, 0);
	assert_int_equal(i.last_status, 302);
	assert_int_equal(fo_ctl_health_stats(h)->went_down, 1);
	assert_int_equal(fo_ctl_health_stats(h)->went_up, 1);
	assert_int_equal(fo_ctl_health_stats(h)->checks_ok, 3);
	assert_int_equal(fo_ctl_health_stats(h)->checks_failed, 6);
	/* a status that fails takes it down with the status in the line (fall 3) */
	check(h, t += 1000, 503, 0);
	check(h, t += 1000, 503, 0);
	check(h, t += 1000, 500, 0);
	assert_int_equal(wread(h, s), DOWN);
	assert_string_equal(last_line, "upstream app: server 198.18.0.12:8000 is DOWN: 3 checks "
				       "failed in a row (last: status 500)");
	assert_int_equal(info(h, s, t).last_why, FO_PROXY_OBS_STATUS);
	assert_int_equal(info(h, s, t).last_status, 500);
	fo_ctl_health_free(h);
}

static void
test_expect_range(void **state)
{
	static const struct {
		uint16_t status;
		int pass;
	} cases[] = {{200, 1}, {299, 1}, {250, 1}, {199, 0}, {300, 0}, {404, 0}, {101, 0}};
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active();
	uint32_t s;
	uint64_t t = T0;
	unsigned k;

	(void)state;
	p.expect_lo = 200;
	p.expect_hi = 299;
	p.fall = p.rise = 1;
	s = fo_ctl_health_ref(h, "app", ip(12), 8000, &p, t);
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++, t += 1000) {
		check(h, t, cases[k].status, 0);
		assert_int_equal(wread(h, s), cases[k].pass ? 0 : DOWN);
		assert_int_equal(info(h, s, t).last_status, cases[k].status);
	}
	/* one status only */
	p.expect_lo = p.expect_hi = 204;
	fo_ctl_health_ref(h, "app", ip(12), 8000, &p, t);
	check(h, t, 200, 0);
	assert_int_equal(wread(h, s), DOWN);
	check(h, t += 1000, 204, 0);
	assert_int_equal(wread(h, s), 0);
	fo_ctl_health_free(h);
}

static void
test_nostate_not_counted(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active();
	uint32_t s;
	struct fo_proxy_probe pr;
	int k;

	(void)state;
	p.fall = 1;
	s = fo_ctl_health_ref(h, "app", ip(12), 8000, &p, T0);
	for (k = 0; k < 5; k++)
		check(h, T0 + 1000 * k, 0, FO_PROXY_OBS_NOSTATE);
	assert_int_equal(wread(h, s), 0);
	assert_int_equal(info(h, s, T0).checks, 0);
	assert_int_equal(info(h, s, T0).fails, 0);
	assert_int_equal(fo_ctl_health_stats(h)->checks_nostate, 5);
	assert_int_equal(fo_ctl_health_stats(h)->checks_failed, 0);
	/* the next one at the next interval, not at once */
	assert_int_equal(n_due(h, T0 + 4999), 0);
	pr = due1(h, T0 + 5000);
	assert_int_equal(pr.seq, 6);
	fo_ctl_health_free(h);
}

static void
test_stale_results(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active();
	uint32_t s;
	struct fo_proxy_probe pr, old;
	struct fo_proxy_obs o = {.kind = FO_PROXY_OBS_PROBE, .status = 200};

	(void)state;
	p.fall = 1;
	s = fo_ctl_health_ref(h, "app", ip(12), 8000, &p, T0);
	pr = due1(h, T0);
	old = pr;
	old.seq = pr.seq - 1;
	result(h, &old, 0, FO_PROXY_OBS_CONNECT, T0 + 1);
	old.seq = pr.seq + 1;
	result(h, &old, 0, FO_PROXY_OBS_CONNECT, T0 + 1);
	assert_int_equal(fo_ctl_health_stats(h)->checks_stale, 2);
	assert_int_equal(wread(h, s), 0);
	assert_int_equal(info(h, s, T0).checks, 0);
	/* still in flight: the right seq counts, once */
	result(h, &pr, 0, FO_PROXY_OBS_CONNECT, T0 + 2);
	assert_int_equal(wread(h, s), DOWN);
	result(h, &pr, 200, 0, T0 + 3);
	assert_int_equal(fo_ctl_health_stats(h)->checks_stale, 3);
	assert_int_equal(wread(h, s), DOWN);
	assert_int_equal(info(h, s, T0).checks, 1);
	/* a free slot and an out-of-range one: ignored */
	o.slot = 5;
	fo_ctl_health_observe(h, &o, T0 + 4);
	o.slot = 1000;
	fo_ctl_health_observe(h, &o, T0 + 4);
	o.slot = s;
	o.kind = 99;
	fo_ctl_health_observe(h, &o, T0 + 4);
	assert_int_equal(fo_ctl_health_stats(h)->observations_ignored, 3);
	assert_int_equal(fo_ctl_health_stats(h)->observations, 7);
	fo_ctl_health_free(h);
}

/* A slot freed with a check in flight and reused: the old result cannot hit the new server. */
static void
test_stale_after_reuse(void **state)
{
	struct fo_ctl_health *h = mk(1);
	struct fo_ctl_health_params p = active();
	struct fo_proxy_probe old, pr;

	(void)state;
	p.fall = 1;
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(12), 8000, &p, T0), 0);
	old = due1(h, T0);
	fo_ctl_health_unref(h, 0);
	assert_int_equal(fo_ctl_health_ref(h, "app", ip(13), 8000, &p, T0 + 1), 0);
	pr = due1(h, T0 + 1);
	assert_int_not_equal(pr.seq, old.seq);
	result(h, &old, 0, FO_PROXY_OBS_CONNECT, T0 + 2);
	assert_int_equal(wread(h, 0), 0);
	assert_int_equal(fo_ctl_health_stats(h)->checks_stale, 1);
	result(h, &pr, 0, FO_PROXY_OBS_CONNECT, T0 + 2);
	assert_int_equal(wread(h, 0), DOWN);
	fo_ctl_health_free(h);
}

static void
test_lost_check(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active();
	uint32_t s;
	struct fo_proxy_probe pr;

	(void)state;
	p.fall = 1;
	s = fo_ctl_health_ref(h, "app", ip(12), 8000, &p, T0);
	pr = due1(h, T0);
	/* lost at timeout (500) + 1 s after it was sent; until then, in flight:
	 * no second check, though the interval is over */
	assert_int_equal(n_due(h, T0 + 1499), 0);
	assert_int_equal(wread(h, s), 0);
	assert_int_equal(fo_ctl_health_stats(h)->checks_lost, 0);
	fo_ctl_health_tick(h, T0 + 1500);
	assert_int_equal(wread(h, s), DOWN);
	assert_int_equal(fo_ctl_health_stats(h)->checks_lost, 1);
	assert_int_equal(fo_ctl_health_stats(h)->checks_failed, 1);
	assert_int_equal(info(h, s, T0).last_why, FO_PROXY_OBS_TIMEOUT);
	assert_int_equal(info(h, s, T0).checks_failed, 1);
	assert_string_equal(last_line, "upstream app: server 198.18.0.12:8000 is DOWN: 1 check "
				       "failed in a row (last: no result (lost))");
	/* its result after all: stale */
	result(h, &pr, 200, 0, T0 + 1600);
	assert_int_equal(fo_ctl_health_stats(h)->checks_stale, 1);
	assert_int_equal(wread(h, s), DOWN);
	/* the next one was due at T0 + 1000 already: at once */
	assert_int_equal(due1(h, T0 + 1600).seq, 2);
	fo_ctl_health_free(h);
}

static void
test_unsend_and_max(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active();
	struct fo_proxy_probe pr[8], bogus, first;
	unsigned k;

	(void)state;
	for (k = 0; k < 5; k++)
		assert_int_equal(fo_ctl_health_ref(h, "app", ip(20 + k), 80, &p, T0 + k), k);
	/* earliest first, at most max per call, the rest on the next call */
	assert_int_equal(fo_ctl_health_due(h, T0 + 10, pr, 2), 2);
	assert_int_equal(pr[0].slot, 0);
	assert_int_equal(pr[1].slot, 1);
	first = pr[0];
	assert_int_equal(fo_ctl_health_due(h, T0 + 10, pr, 0), 0);
	/* the ring was full for slot 1: taken back, first in line next time */
	fo_ctl_health_unsend(h, &pr[1]);
	assert_int_equal(fo_ctl_health_stats(h)->checks_sent, 1);
	bogus = pr[0];
	bogus.seq += 7;
	fo_ctl_health_unsend(h, &bogus); /* not the check in flight: ignored */
	bogus.slot = 7;
	fo_ctl_health_unsend(h, &bogus); /* a free slot: ignored */
	assert_int_equal(fo_ctl_health_stats(h)->checks_sent, 1);
	assert_int_equal(fo_ctl_health_due(h, T0 + 11, pr, 8), 4);
	assert_int_equal(pr[0].slot, 1);
	assert_int_equal(pr[0].seq, 1); /* its seq taken back too */
	assert_int_equal(pr[1].slot, 2);
	assert_int_equal(pr[3].slot, 4);
	assert_int_equal(fo_ctl_health_stats(h)->checks_sent, 5);
	/* interval counted from the send that happened */
	for (k = 0; k < 4; k++)
		result(h, &pr[k], 200, 0, T0 + 12);
	result(h, &first, 200, 0, T0 + 12);
	assert_int_equal(fo_ctl_health_due(h, T0 + 1010, pr, 8), 1); /* slot 0, sent at +10 */
	assert_int_equal(pr[0].slot, 0);
	fo_ctl_health_free(h);
}

static void
test_checks_turned_off_and_on(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active();
	uint32_t s, s2;
	struct fo_proxy_probe pr[2];
	uint64_t t = T0;

	(void)state;
	p.fall = 1;
	s = fo_ctl_health_ref(h, "app", ip(12), 8000, &p, t);
	s2 = fo_ctl_health_ref(h, "app", ip(13), 8000, &p, t);
	assert_int_equal(fo_ctl_health_due(h, t, pr, 2), 2);
	t += 1000;
	fo_ctl_health_tick(h, t + 600); /* both lost: DOWN */
	assert_int_equal(wread(h, s), DOWN);
	assert_int_equal(wread(h, s2), DOWN);
	assert_int_equal(fo_ctl_health_due(h, t + 600, pr, 2), 2); /* the next ones */
	/* a reload without health_check: both up at once, nothing due any more */
	p.check_enabled = 0;
	fo_ctl_health_ref(h, "app", ip(12), 8000, &p, t + 700);
	assert_int_equal(wread(h, s), 0);
	assert_int_equal(wread(h, s2), 0);
	assert_string_equal(
		last_line, "upstream app: server 198.18.0.12:8000 is UP: health checks turned off");
	assert_int_equal(fo_ctl_health_stats(h)->went_up, 2);
	assert_int_equal(n_due(h, t + 100000), 0);
	result(h, &pr[0], 0, FO_PROXY_OBS_CONNECT, t + 800); /* in flight before: stale now */
	assert_int_equal(wread(h, pr[0].slot), 0);
	assert_int_equal(fo_ctl_health_stats(h)->checks_stale, 1);
	/* on again: due at once */
	p.check_enabled = 1;
	fo_ctl_health_ref(h, "app", ip(13), 8000, &p, t + 100001);
	assert_int_equal(n_due(h, t + 100001), 2);
	fo_ctl_health_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_ref_find_unref),
		cmocka_unit_test(test_fifo_reuse_and_full),
		cmocka_unit_test(test_state_survives_reload),
		cmocka_unit_test(test_first_check_and_request),
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_fall_rise),
		cmocka_unit_test(test_expect_range),
		cmocka_unit_test(test_nostate_not_counted),
		cmocka_unit_test(test_stale_results),
		cmocka_unit_test(test_stale_after_reuse),
		cmocka_unit_test(test_lost_check),
		cmocka_unit_test(test_unsend_and_max),
		cmocka_unit_test(test_checks_turned_off_and_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
