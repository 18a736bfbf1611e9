/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctl passive health, driven by the test's clock: the failure streak
 * that ejects, the ejection doubling up to 32x and ending by tick, the
 * max_ejection_percent arithmetic, reports about an earlier occupant of a
 * slot, and the table bytes as a worker reads them.
 */
#include "ctl_health_harness.h"

/* a passive report names the slot's occupant: one about an earlier server is not counted */
static void
test_stale_passive(void **state)
{
	struct fo_ctl_health *h = mk(2);
	struct fo_ctl_health_params q = passive(1, 100);
	struct fo_proxy_obs o = {.kind = FO_PROXY_OBS_CONNECT, .streak = 1};
	uint32_t s, occ;

	(void)state;
	s = fo_ctl_health_ref(h, "a", ip(12), 8000, &q, T0);
	occ = fo_ctl_health_occupant(h, s);
	fo_ctl_health_unref(h, s);
	/* the same slot, another server (FIFO reuse of a 2-slot table: take both) */
	fo_ctl_health_ref(h, "a", ip(13), 8000, &q, T0);
	s = fo_ctl_health_ref(h, "a", ip(14), 8000, &q, T0);
	assert_int_not_equal(fo_ctl_health_occupant(h, s), occ);
	o.slot = s;
	o.seq = occ; /* about ip(12), from an old snapshot */
	fo_ctl_health_observe(h, &o, T0 + 1);
	assert_int_equal(wread(h, s), 0);
	assert_int_equal(fo_ctl_health_stats(h)->observations_stale, 1);
	o.seq = fo_ctl_health_occupant(h, s);
	fo_ctl_health_observe(h, &o, T0 + 2);
	assert_int_equal(wread(h, s), FO_PROXY_HEALTH_EJECTED);
	fo_ctl_health_free(h);
}

/* ---- passive health ---- */

static void
test_passive_threshold(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = passive(3, 100);
	uint32_t s = fo_ctl_health_ref(h, "app", ip(11), 8000, &p, T0);
	struct fo_ctl_health_info i;

	(void)state;
	fail_obs(h, s, FO_PROXY_OBS_CONNECT, 1, T0);
	fail_obs(h, s, FO_PROXY_OBS_CONNECT, 2, T0);
	assert_int_equal(wread(h, s), 0);
	fail_obs(h, s, FO_PROXY_OBS_CONNECT, 3, T0);
	assert_int_equal(wread(h, s), EJECTED);
	assert_string_equal(last_line,
		"upstream app: server 198.18.0.11:8000 ejected for 10.0 s: 3 "
		"connection failure(s) in a row (passive health)");
	/* more failures while ejected: counted, no new ejection */
	fail_obs(h, s, FO_PROXY_OBS_RESET, 4, T0 + 1);
	i = info(h, s, T0 + 2500);
	assert_int_equal(i.ejections, 1);
	assert_int_equal(i.failures, 4);
	assert_int_equal(i.ejected_ms_left, 7500);
	assert_int_equal(fo_ctl_health_stats(h)->failures_observed, 4);
	assert_int_equal(fo_ctl_health_stats(h)->ejections, 1);

	/* max_fails 0: never ejected */
	p = passive(0, 100);
	s = fo_ctl_health_ref(h, "never", ip(12), 8000, &p, T0);
	fail_obs(h, s, FO_PROXY_OBS_TIMEOUT, 255, T0);
	assert_int_equal(wread(h, s), 0);
	/* every failure kind counts; STATUS shows its status in the line */
	p = passive(1, 100);
	s = fo_ctl_health_ref(h, "st", ip(13), 8000, &p, T0);
	fail_obs(h, s, FO_PROXY_OBS_STATUS, 1, T0);
	assert_int_equal(wread(h, s), EJECTED);
	assert_string_equal(last_line, "upstream st: server 198.18.0.13:8000 ejected for 10.0 s: 1 "
				       "status 503 response(s) in a row (passive health)");
	fo_ctl_health_free(h);
}

static void
test_passive_backoff(void **state)
{
	static const uint64_t want[] = {10000, 20000, 40000, 80000, 160000, 320000, 320000};
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = passive(1, 100);
	uint32_t s = fo_ctl_health_ref(h, "app", ip(11), 8000, &p, T0);
	uint64_t t = T0;
	unsigned k;

	(void)state;
	for (k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		fail_obs(h, s, FO_PROXY_OBS_RESET, 1, t);
		assert_int_equal(wread(h, s), EJECTED);
		assert_int_equal(info(h, s, t).ejected_ms_left, want[k]);
		/* ends by time: not a millisecond early */
		fo_ctl_health_tick(h, t + want[k] - 1);
		assert_int_equal(wread(h, s), EJECTED);
		fo_ctl_health_tick(h, t + want[k]);
		assert_int_equal(wread(h, s), 0);
		assert_int_equal(info(h, s, t + want[k]).ejected_ms_left, 0);
		t += want[k] + 1;
	}
	assert_string_equal(last_line, "upstream app: server 198.18.0.11:8000 is back after its "
				       "ejection (passive health)");
	assert_int_equal(fo_ctl_health_stats(h)->ejections_ended, 7);
	/* an OK while ejected (a request that was in flight) does not reset the backoff... */
	fail_obs(h, s, FO_PROXY_OBS_RESET, 1, t);
	ok_obs(h, s, t + 1);
	assert_int_equal(info(h, s, t).ejected_ms_left, 320000);
	fo_ctl_health_tick(h, t += 320000);
	fail_obs(h, s, FO_PROXY_OBS_RESET, 1, t);
	assert_int_equal(info(h, s, t).ejected_ms_left, 320000);
	fo_ctl_health_tick(h, t += 320000);
	/* ...an OK after it does */
	ok_obs(h, s, t + 1);
	fail_obs(h, s, FO_PROXY_OBS_RESET, 1, t + 2);
	assert_int_equal(info(h, s, t + 2).ejected_ms_left, 10000);
	assert_string_equal(last_line,
		"upstream app: server 198.18.0.11:8000 ejected for 10.0 s: 1 "
		"reset(s) in a row (passive health)");
	fo_ctl_health_free(h);
}

static void
test_max_ejection_percent(void **state)
{
	struct fo_ctl_health *h = mk(32);
	struct fo_ctl_health_params p = passive(1, 50);
	uint32_t s[10], k, lone;

	(void)state;
	/* 50 % of 3: one */
	for (k = 0; k < 3; k++)
		s[k] = fo_ctl_health_ref(h, "app", ip(11 + k), 8000, &p, T0);
	fail_obs(h, s[0], FO_PROXY_OBS_CONNECT, 1, T0);
	assert_int_equal(wread(h, s[0]), EJECTED);
	fail_obs(h, s[1], FO_PROXY_OBS_CONNECT, 1, T0);
	assert_int_equal(wread(h, s[1]), 0);
	assert_int_equal(fo_ctl_health_stats(h)->ejections_refused, 1);
	assert_string_equal(last_line, "upstream app: server 198.18.0.12:8000 not ejected: 1 of 3 "
				       "servers ejected already, max_ejection_percent 50 (passive "
				       "health)");
	fail_obs(h, s[1], FO_PROXY_OBS_CONNECT, 2, T0); /* refused again: counted, logged once */
	assert_int_equal(fo_ctl_health_stats(h)->ejections_refused, 2);
	assert_int_equal(n_lines, 2);
	/* the first comes back: the second can go */
	fo_ctl_health_tick(h, T0 + 10000);
	fail_obs(h, s[1], FO_PROXY_OBS_CONNECT, 3, T0 + 10000);
	assert_int_equal(wread(h, s[1]), EJECTED);
	assert_int_equal(wread(h, s[0]), 0);
	/* a fourth server makes 50 % two (another upstream's servers do not count) */
	fo_ctl_health_ref(h, "other", ip(30), 80, &p, T0 + 10000);
	fail_obs(h, s[2], FO_PROXY_OBS_CONNECT, 1, T0 + 10000);
	assert_int_equal(wread(h, s[2]), 0);
	s[3] = fo_ctl_health_ref(h, "app", ip(14), 8000, &p, T0 + 10000);
	fail_obs(h, s[2], FO_PROXY_OBS_CONNECT, 1, T0 + 10000);
	assert_int_equal(wread(h, s[2]), EJECTED);
	fail_obs(h, s[3], FO_PROXY_OBS_CONNECT, 1, T0 + 10000);
	assert_int_equal(wread(h, s[3]), 0);
	/* an ejected server unlisted (and another listed): its share is free again */
	fo_ctl_health_unref(h, s[2]);
	assert_int_equal(wread(h, s[2]), 0);
	fo_ctl_health_ref(h, "app", ip(15), 8000, &p, T0 + 10000);
	fail_obs(h, s[3], FO_PROXY_OBS_CONNECT, 1, T0 + 10000);
	assert_int_equal(wread(h, s[3]), EJECTED);

	/* a lone server: never below 100 % */
	p = passive(1, 99);
	lone = fo_ctl_health_ref(h, "lone", ip(40), 80, &p, T0);
	fail_obs(h, lone, FO_PROXY_OBS_CONNECT, 9, T0);
	assert_int_equal(wread(h, lone), 0);
	p = passive(1, 100);
	fo_ctl_health_ref(h, "lone", ip(40), 80, &p, T0);
	fail_obs(h, lone, FO_PROXY_OBS_CONNECT, 9, T0);
	assert_int_equal(wread(h, lone), EJECTED);
	/* 0 %: nobody */
	p = passive(1, 0);
	k = fo_ctl_health_ref(h, "zero", ip(41), 80, &p, T0);
	fo_ctl_health_ref(h, "zero", ip(42), 80, &p, T0);
	fail_obs(h, k, FO_PROXY_OBS_CONNECT, 9, T0);
	assert_int_equal(wread(h, k), 0);
	/* 20 % of 10: two */
	p = passive(1, 20);
	for (k = 0; k < 10; k++)
		s[k] = fo_ctl_health_ref(h, "ten", ip(50 + k), 80, &p, T0);
	for (k = 0; k < 10; k++)
		fail_obs(h, s[k], FO_PROXY_OBS_CONNECT, 1, T0);
	for (k = 0; k < 10; k++)
		assert_int_equal(wread(h, s[k]), k < 2 ? EJECTED : 0);
	fo_ctl_health_free(h);
}

/* ---- the table as workers see it ---- */

static void
test_table_bits(void **state)
{
	struct fo_ctl_health *h = mk(8);
	struct fo_ctl_health_params p = active();
	const uint8_t *table = fo_ctl_health_table(h);
	struct fo_proxy_probe pr[2];
	uint32_t s, other;
	uint64_t t = T0;

	(void)state;
	p.fall = p.rise = 1;
	p.max_fails = 1;
	p.fail_timeout_ms = 5000;
	p.max_ejection_percent = 100;
	s = fo_ctl_health_ref(h, "app", ip(11), 8000, &p, t);
	other = fo_ctl_health_ref(h, "app", ip(12), 8000, &p, t);
	(void)n_due(h, t); /* both in flight */
	/* independent bits: DOWN and EJECTED together, cleared one at a time */
	fail_obs(h, s, FO_PROXY_OBS_CONNECT, 1, t);
	assert_int_equal(wread(h, s), EJECTED);
	fo_ctl_health_tick(h, t + 1500); /* both checks lost */
	assert_int_equal(wread(h, s), EJECTED | DOWN);
	assert_int_equal(wread(h, other), DOWN);
	assert_int_equal(fo_ctl_health_due(h, t + 2000, pr, 2), 2);
	assert_int_equal(pr[0].slot, s);
	result(h, &pr[0], 200, 0, t + 2000);
	assert_int_equal(wread(h, s), EJECTED);
	fo_ctl_health_tick(h, T0 + 5000);
	assert_int_equal(wread(h, s), 0);
	assert_int_equal(wread(h, other), DOWN);
	/* the same table for the registry's life; a freed slot reads 0 */
	assert_ptr_equal(fo_ctl_health_table(h), table);
	fo_ctl_health_unref(h, other);
	assert_int_equal(table[other], 0);
	fo_ctl_health_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stale_passive),
		cmocka_unit_test(test_passive_threshold),
		cmocka_unit_test(test_passive_backoff),
		cmocka_unit_test(test_max_ejection_percent),
		cmocka_unit_test(test_table_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
