/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the lib/ctl health tests (test_ctl_health.c, active checks and
 * the registry; test_ctl_health_passive.c, passive ejection and the table):
 * a registry with a transition log, parameter sets, and one-line ways to
 * send a check, answer it and report what a worker saw, on the test's clock.
 */
#ifndef CTL_HEALTH_HARNESS_H
#define CTL_HEALTH_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_byteorder.h>

#include "fo_ctl.h"

#define T0 1000000u /* a clock that does not start at 0 */
#define NONE FO_PROXY_HSLOT_NONE
#define DOWN FO_PROXY_HEALTH_DOWN
#define EJECTED FO_PROXY_HEALTH_EJECTED

static inline rte_be32_t
ip(unsigned d)
{
	return rte_cpu_to_be_32(UINT32_C(198) << 24 | UINT32_C(18) << 16 | d); /* 198.18.0.d */
}

/* ---- transition log ---- */

static char last_line[512];
static unsigned n_lines;

static inline void
log_line(void *arg, const char *line)
{
	(void)arg;
	snprintf(last_line, sizeof(last_line), "%s", line);
	n_lines++;
}

static inline struct fo_ctl_health *
mk(uint32_t cap)
{
	struct fo_ctl_health *h = fo_ctl_health_create(cap, log_line, NULL);

	assert_non_null(h);
	last_line[0] = '\0';
	n_lines = 0;
	return h;
}

/* Checks every 1 s (timeout 500 ms, 200-399, rise 2, fall 3); passive off. */
static inline struct fo_ctl_health_params
active(void)
{
	struct fo_ctl_health_params p;

	memset(&p, 0, sizeof(p));
	p.check_enabled = 1;
	snprintf(p.path, sizeof(p.path), "/healthz");
	p.interval_ms = 1000;
	p.timeout_ms = 500;
	p.expect_lo = 200;
	p.expect_hi = 399;
	p.rise = 2;
	p.fall = 3;
	return p;
}

/* No checks; eject after @p max_fails for 10 s, at most @p pct percent. */
static inline struct fo_ctl_health_params
passive(uint32_t max_fails, uint32_t pct)
{
	struct fo_ctl_health_params p;

	memset(&p, 0, sizeof(p));
	p.max_fails = max_fails;
	p.fail_timeout_ms = 10000;
	p.max_ejection_percent = pct;
	return p;
}

/* What a worker reads when it picks a server. */
static inline uint8_t
wread(const struct fo_ctl_health *h, uint32_t slot)
{
	return __atomic_load_n(&fo_ctl_health_table(h)[slot], __ATOMIC_RELAXED);
}

static inline struct fo_ctl_health_info
info(const struct fo_ctl_health *h, uint32_t slot, uint64_t now)
{
	struct fo_ctl_health_info i;

	assert_int_equal(fo_ctl_health_info(h, slot, now, &i), 0);
	return i;
}

/* The one check due at @p now (asserts there is exactly one). */
static inline struct fo_proxy_probe
due1(struct fo_ctl_health *h, uint64_t now)
{
	struct fo_proxy_probe pr[4];

	assert_int_equal(fo_ctl_health_due(h, now, pr, 4), 1);
	return pr[0];
}

static inline unsigned
n_due(struct fo_ctl_health *h, uint64_t now)
{
	struct fo_proxy_probe pr[8];

	return fo_ctl_health_due(h, now, pr, 8);
}

static inline void
result(struct fo_ctl_health *h, const struct fo_proxy_probe *pr, uint16_t status, uint8_t why,
	uint64_t now)
{
	struct fo_proxy_obs o = {.slot = pr->slot,
		.seq = pr->seq,
		.kind = FO_PROXY_OBS_PROBE,
		.status = status,
		.why = why};

	fo_ctl_health_observe(h, &o, now);
}

/* Send the due check at @p now and answer it at once. */
static inline void
check(struct fo_ctl_health *h, uint64_t now, uint16_t status, uint8_t why)
{
	struct fo_proxy_probe pr = due1(h, now);

	result(h, &pr, status, why, now);
}

static inline void
fail_obs(struct fo_ctl_health *h, uint32_t slot, uint8_t kind, uint8_t streak, uint64_t now)
{
	struct fo_proxy_obs o = {.slot = slot,
		.kind = kind,
		.streak = streak,
		.status = kind == FO_PROXY_OBS_STATUS ? 503 : 0};

	fo_ctl_health_observe(h, &o, now);
}

static inline void
ok_obs(struct fo_ctl_health *h, uint32_t slot, uint64_t now)
{
	struct fo_proxy_obs o = {.slot = slot, .kind = FO_PROXY_OBS_OK};

	fo_ctl_health_observe(h, &o, now);
}

#endif /* CTL_HEALTH_HARNESS_H */
