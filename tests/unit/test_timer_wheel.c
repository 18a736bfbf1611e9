/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the hierarchical timer wheel (lib/timer). Time is a fake TSC:
 * numbers, no clock, no timing assertions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_timer.h"

#define HZ UINT64_C(1000000000) /* fake TSC at 1 GHz */
#define MS (HZ / 1000)
#define START UINT64_C(123456789) /* the wheel's origin, not 0 on purpose */

enum action {
	ACT_LOG,       /* just record */
	ACT_CANCEL,    /* cancel ->other */
	ACT_ARM_OTHER, /* arm ->other at ->arg */
	ACT_PERIODIC,  /* re-arm self at expire + ->arg, ->count times */
	ACT_PAST,      /* re-arm self at START (long past), ->count times */
	ACT_CANCEL_SELF,
};

struct tt {
	struct fo_timer t;
	unsigned id;
	enum action act;
	struct tt *other;
	uint64_t arg;
	unsigned count;
	unsigned fired;
	/* reference model */
	int m_armed;
	uint64_t m_tick;
};

#define MAX_LOG 400000
static struct fo_timer_wheel W;
static unsigned log_id[MAX_LOG];
static uint64_t log_expire[MAX_LOG];
static unsigned n_log;

static struct tt *
tt_of(struct fo_timer *t)
{
	return (struct tt *)((char *)t - offsetof(struct tt, t));
}

static void
cb(struct fo_timer *t)
{
	struct tt *x = tt_of(t);

	assert_false(fo_timer_armed(t)); /* disarmed before the call */
	assert_true(n_log < MAX_LOG);
	log_id[n_log] = x->id;
	log_expire[n_log] = t->expire;
	n_log++;
	x->fired++;
	switch (x->act) {
	case ACT_LOG:
		break;
	case ACT_CANCEL:
		fo_timer_cancel(&W, &x->other->t);
		break;
	case ACT_ARM_OTHER:
		fo_timer_arm(&W, &x->other->t, x->arg);
		break;
	case ACT_PERIODIC:
		if (x->count > 0) {
			x->count--;
			fo_timer_arm(&W, t, t->expire + x->arg);
		}
		break;
	case ACT_PAST:
		if (x->count > 0) {
			x->count--;
			fo_timer_arm(&W, t, START);
		}
		break;
	case ACT_CANCEL_SELF:
		fo_timer_cancel(&W, t); /* not armed: no-op */
		break;
	}
}

static void
tt_init(struct tt *x, unsigned id)
{
	memset(x, 0, sizeof(*x));
	x->id = id;
	fo_timer_init(&x->t, cb);
}

static int
setup(void **state)
{
	(void)state;
	n_log = 0;
	return fo_timer_wheel_init(&W, START, MS);
}

static void
test_init(void **state)
{
	struct fo_timer_wheel w;
	struct tt a;

	(void)state;
	assert_int_equal(fo_timer_wheel_init(&w, 0, 0), -EINVAL);
	assert_int_equal(fo_timer_wheel_init(&w, 0, 1), 0);
	assert_int_equal(w.n_armed, 0);
	tt_init(&a, 0);
	assert_false(fo_timer_armed(&a.t));
	assert_int_equal(fo_timer_run(&W, START + 1000 * MS), 0);
	/* cancel of an unarmed timer is a no-op */
	fo_timer_cancel(&W, &a.t);
	assert_int_equal(W.n_armed, 0);
}

/* fo_timer_next(): when a sleeper must wake up; never after the first expiry */
static void
test_next(void **state)
{
	struct tt a, b;
	uint64_t n;

	(void)state;
	assert_int_equal(fo_timer_next(&W), UINT64_MAX); /* nothing armed */
	tt_init(&a, 1);
	tt_init(&b, 2);
	fo_timer_arm(&W, &a.t, START + 50 * MS);
	assert_int_equal(fo_timer_next(&W), START + 50 * MS);
	/* far away (level 1 and up): a cascade point no later than the expiry */
	fo_timer_cancel(&W, &a.t);
	fo_timer_arm(&W, &b.t, START + 5000 * MS);
	n = fo_timer_next(&W);
	assert_true(n > START && n <= START + 5000 * MS);
	/* running until the returned time fires nothing early, and gets closer */
	while (b.fired == 0) {
		uint64_t prev = n;

		assert_int_equal(fo_timer_run(&W, n - 1), 0);
		fo_timer_run(&W, n);
		n = fo_timer_next(&W);
		assert_true(b.fired || n > prev);
	}
	assert_int_equal(log_expire[0], START + 5000 * MS);
	assert_int_equal(fo_timer_next(&W), UINT64_MAX);
	/* armed in the past: late, wake now */
	fo_timer_arm(&W, &a.t, START);
	assert_int_equal(fo_timer_next(&W), 0);
}

static void
test_ordering(void **state)
{
	static const uint64_t ticks[] = {
		700,
		3,
		256,
		255,
		1,
		65536,
		70000,
		512,
		257,
		0,
		65535,
		100000,
		3,
		4096,
		16777216,
		16777215,
		20000000,
		511,
	};
	struct tt x[sizeof(ticks) / sizeof(ticks[0])];
	unsigned i, n = (unsigned)(sizeof(ticks) / sizeof(ticks[0]));
	uint64_t now;

	(void)state;
	for (i = 0; i < n; i++) {
		tt_init(&x[i], i);
		fo_timer_arm(&W, &x[i].t, START + ticks[i] * MS);
	}
	assert_int_equal(W.n_armed, n);
	/* in big irregular steps: all fire, in order, none early */
	for (now = START; n_log < n; now += 777 * MS + 13) {
		unsigned before = n_log;

		fo_timer_run(&W, now);
		for (i = before; i < n_log; i++)
			assert_true(log_expire[i] <= now);
	}
	for (i = 1; i < n; i++)
		assert_true(log_expire[i - 1] <= log_expire[i]);
	assert_int_equal(W.n_armed, 0);
	for (i = 0; i < n; i++)
		assert_int_equal(x[i].fired, 1);
}

static void
test_ordering_per_tick(void **state)
{
	struct tt x[300];
	unsigned i;
	uint64_t tick;

	(void)state;
	/* one timer per tick 0..299 armed in reverse: running tick by tick
	 * fires exactly one per run, the right one */
	for (i = 300; i-- > 0;) {
		tt_init(&x[i], i);
		fo_timer_arm(&W, &x[i].t, START + i * MS);
	}
	for (tick = 0; tick < 300; tick++) {
		assert_int_equal(fo_timer_run(&W, START + tick * MS + MS / 2), 1);
		assert_int_equal(log_id[n_log - 1], tick);
	}
}

static void
test_tick_rounding(void **state)
{
	struct tt a, b, c, d;

	(void)state;
	tt_init(&a, 1);
	tt_init(&b, 2);
	tt_init(&c, 3);
	tt_init(&d, 4);
	fo_timer_arm(&W, &a.t, START + 1);      /* rounds up to tick 1 */
	fo_timer_arm(&W, &b.t, START + MS);     /* exactly tick 1 */
	fo_timer_arm(&W, &c.t, START);          /* tick 0: due now */
	fo_timer_arm(&W, &d.t, START + MS + 1); /* tick 2 */
	assert_int_equal(fo_timer_run(&W, START), 1);
	assert_int_equal(c.fired, 1);
	assert_int_equal(fo_timer_run(&W, START + MS - 1), 0); /* never early */
	assert_int_equal(fo_timer_run(&W, START + MS), 2);
	assert_int_equal(a.fired + b.fired, 2);
	assert_int_equal(fo_timer_run(&W, START + 2 * MS - 1), 0);
	assert_int_equal(fo_timer_run(&W, START + 2 * MS), 1);
	assert_int_equal(d.fired, 1);
	/* a TSC before the wheel's origin is tick 0, i.e. long past */
	fo_timer_arm(&W, &a.t, 5);
	assert_int_equal(fo_timer_run(&W, START + 2 * MS), 1);
	assert_int_equal(a.fired, 2);
	/* time going backwards processes nothing */
	fo_timer_arm(&W, &b.t, START + 10 * MS);
	assert_int_equal(fo_timer_run(&W, START - 100), 0);
	assert_int_equal(fo_timer_run(&W, START + 10 * MS), 1);
}

static void
test_past_fires_next_run(void **state)
{
	struct tt a, b;

	(void)state;
	tt_init(&a, 1);
	tt_init(&b, 2);
	assert_int_equal(fo_timer_run(&W, START + 50 * MS + 10), 0);
	/* tick 50 is processed: a time inside it or before fires at the next
	 * run, even one at the same clock */
	fo_timer_arm(&W, &a.t, START + 50 * MS);
	fo_timer_arm(&W, &b.t, START + 3 * MS);
	assert_int_equal(W.n_armed, 2);
	assert_int_equal(fo_timer_run(&W, START + 50 * MS + 10), 2);
	assert_int_equal(W.n_armed, 0);
	/* next tick, not yet processed: waits for its tick */
	fo_timer_arm(&W, &a.t, START + 51 * MS);
	assert_int_equal(fo_timer_run(&W, START + 50 * MS + 20), 0);
	assert_int_equal(fo_timer_run(&W, START + 51 * MS), 1);
	/* re-arm / cancel of a late timer */
	fo_timer_arm(&W, &a.t, START);
	fo_timer_cancel(&W, &a.t);
	fo_timer_arm(&W, &b.t, START);
	fo_timer_arm(&W, &b.t, START + 60 * MS);
	assert_int_equal(W.n_armed, 1);
	assert_int_equal(fo_timer_run(&W, START + 59 * MS), 0);
	assert_int_equal(fo_timer_run(&W, START + 60 * MS), 1);
	assert_int_equal(a.fired, 2);
	assert_int_equal(b.fired, 2);
}

static void
test_rearm(void **state)
{
	struct tt a;

	(void)state;
	tt_init(&a, 1);
	fo_timer_arm(&W, &a.t, START + 100 * MS);
	fo_timer_arm(&W, &a.t, START + 50 * MS); /* earlier */
	assert_int_equal(W.n_armed, 1);
	assert_true(fo_timer_armed(&a.t));
	assert_int_equal(fo_timer_run(&W, START + 49 * MS), 0);
	assert_int_equal(fo_timer_run(&W, START + 50 * MS), 1);
	assert_int_equal(fo_timer_run(&W, START + 200 * MS), 0); /* not twice */
	fo_timer_arm(&W, &a.t, START + 300 * MS);
	fo_timer_arm(&W, &a.t, START + 100000 * MS); /* later: other level */
	fo_timer_arm(&W, &a.t, START + 400 * MS);    /* and back */
	assert_int_equal(W.n_armed, 1);
	assert_int_equal(fo_timer_run(&W, START + 399 * MS), 0);
	assert_int_equal(fo_timer_run(&W, START + 1000000 * MS), 1);
	assert_int_equal(a.fired, 2);
	assert_int_equal(W.n_armed, 0);
}

/* fo_timer_stop(): disarmed at once, unlinked when its slot comes round or
 * by fo_timer_cancel(); a re-arm, earlier or later than where it lies, fires
 * at the new time only. */
static void
test_stop(void **state)
{
	struct tt a, b;

	(void)state;
	tt_init(&a, 1);
	tt_init(&b, 2);
	fo_timer_arm(&W, &a.t, START + 10 * MS);
	fo_timer_stop(&W, &a.t);
	assert_false(fo_timer_armed(&a.t));
	assert_int_equal(W.n_armed, 0);
	fo_timer_stop(&W, &a.t); /* twice: no-op */
	assert_int_equal(W.n_armed, 0);
	assert_non_null(a.t.pprev); /* still linked */
	assert_int_equal(fo_timer_run(&W, START + 10 * MS), 0);
	assert_null(a.t.pprev); /* dropped when its slot came round */
	assert_int_equal(a.fired, 0);

	/* stopped, re-armed later: fires at the later time, not the first */
	fo_timer_arm(&W, &a.t, START + 20 * MS);
	fo_timer_stop(&W, &a.t);
	fo_timer_arm(&W, &a.t, START + 30 * MS);
	assert_int_equal(W.n_armed, 1);
	assert_int_equal(fo_timer_run(&W, START + 29 * MS), 0);
	assert_true(fo_timer_armed(&a.t));
	assert_int_equal(fo_timer_run(&W, START + 30 * MS), 1);
	assert_int_equal(log_expire[0], START + 30 * MS);

	/* pushed back without a stop, across levels: once, at the end */
	fo_timer_arm(&W, &a.t, START + 40 * MS);
	fo_timer_arm(&W, &a.t, START + 70000 * MS);
	fo_timer_arm(&W, &a.t, START + 90000 * MS);
	assert_int_equal(fo_timer_run(&W, START + 89999 * MS), 0);
	assert_int_equal(fo_timer_run(&W, START + 90000 * MS), 1);
	assert_int_equal(a.fired, 2);

	/* stopped, re-armed earlier than where it lies: moved */
	fo_timer_arm(&W, &a.t, START + 100000 * MS);
	fo_timer_stop(&W, &a.t);
	fo_timer_arm(&W, &a.t, START + 90005 * MS);
	assert_int_equal(fo_timer_run(&W, START + 90005 * MS), 1);
	assert_int_equal(a.fired, 3);
	assert_int_equal(fo_timer_run(&W, START + 200000 * MS), 0);

	/* cancel after stop unlinks (the owner may free it) */
	fo_timer_arm(&W, &b.t, START + 300000 * MS);
	fo_timer_stop(&W, &b.t);
	assert_non_null(b.t.pprev);
	fo_timer_cancel(&W, &b.t);
	assert_null(b.t.pprev);
	assert_int_equal(W.n_armed, 0);
	assert_int_equal(fo_timer_next(&W), UINT64_MAX);
	assert_int_equal(b.fired, 0);
}

static void
test_cancel(void **state)
{
	struct tt a, b, c, d, e;

	(void)state;
	tt_init(&a, 1);
	tt_init(&b, 2);
	tt_init(&c, 3);
	tt_init(&d, 4);
	tt_init(&e, 5);
	/* same slot: cancel the middle, first and last of a list */
	fo_timer_arm(&W, &a.t, START + 10 * MS);
	fo_timer_arm(&W, &b.t, START + 10 * MS);
	fo_timer_arm(&W, &c.t, START + 10 * MS);
	fo_timer_arm(&W, &d.t, START + 70000 * MS);
	fo_timer_cancel(&W, &b.t);
	assert_false(fo_timer_armed(&b.t));
	assert_int_equal(W.n_armed, 3);
	fo_timer_cancel(&W, &b.t);
	assert_int_equal(W.n_armed, 3);
	fo_timer_cancel(&W, &d.t);
	assert_int_equal(fo_timer_run(&W, START + 100000 * MS), 2);
	assert_int_equal(a.fired + c.fired, 2);
	assert_int_equal(b.fired + d.fired, 0);

	/* in a callback: cancel a timer of the same tick, one of a later tick,
	 * and itself (already disarmed) */
	n_log = 0;
	a.act = ACT_CANCEL;
	a.other = &b;
	c.act = ACT_CANCEL;
	c.other = &d;
	e.act = ACT_CANCEL_SELF;
	fo_timer_arm(&W, &b.t, START + 100010 * MS);
	fo_timer_arm(&W, &a.t, START + 100010 * MS); /* head of the list: fires first */
	fo_timer_arm(&W, &c.t, START + 100011 * MS);
	fo_timer_arm(&W, &d.t, START + 100500 * MS);
	fo_timer_arm(&W, &e.t, START + 100011 * MS);
	assert_int_equal(fo_timer_run(&W, START + 200000 * MS), 3);
	assert_int_equal(b.fired + d.fired, 0);
	assert_int_equal(e.fired, 1);
	assert_int_equal(W.n_armed, 0);
}

static struct tt *group[8];

static void
cb_cancel_group(struct fo_timer *t)
{
	unsigned i;

	cb(t);
	for (i = 0; i < 8; i++)
		fo_timer_cancel(&W, &group[i]->t);
}

static void
test_cancel_other_in_same_tick(void **state)
{
	struct tt x[8];
	unsigned i, total = 0;

	(void)state;
	/* whichever of a tick's list fires first cancels all the others: those
	 * later in the list being walked, and earlier ones (already fired) */
	for (i = 0; i < 8; i++) {
		tt_init(&x[i], i);
		x[i].t.fn = cb_cancel_group;
		group[i] = &x[i];
		fo_timer_arm(&W, &x[i].t, START + 5 * MS);
	}
	assert_int_equal(fo_timer_run(&W, START + 5 * MS), 1);
	for (i = 0; i < 8; i++)
		total += x[i].fired;
	assert_int_equal(total, 1);
	assert_int_equal(W.n_armed, 0);
	assert_int_equal(fo_timer_run(&W, START + 500 * MS), 0);
}

static void
test_arm_in_callback(void **state)
{
	struct tt a, b, p, q;

	(void)state;
	tt_init(&a, 1);
	tt_init(&b, 2);
	tt_init(&p, 3);
	tt_init(&q, 4);
	/* a arms b 5 ticks later: b fires in the same run */
	a.act = ACT_ARM_OTHER;
	a.other = &b;
	a.arg = START + 15 * MS;
	fo_timer_arm(&W, &a.t, START + 10 * MS);
	/* periodic timer: 10 ticks, 99 re-arms from its own callback */
	p.act = ACT_PERIODIC;
	p.arg = 10 * MS;
	p.count = 99;
	fo_timer_arm(&W, &p.t, START + 10 * MS);
	assert_int_equal(fo_timer_run(&W, START + 20 * MS), 4); /* a, p, b, p */
	assert_int_equal(b.fired, 1);
	assert_int_equal(fo_timer_run(&W, START + 2000 * MS), 98);
	assert_int_equal(p.fired, 100);
	assert_int_equal(W.n_armed, 0);
	for (unsigned i = 1; i < n_log; i++)
		assert_true(log_expire[i - 1] <= log_expire[i]);

	/* a callback arming itself in the past does not loop: once per run */
	q.act = ACT_PAST;
	q.count = 1000000;
	fo_timer_arm(&W, &q.t, START + 2001 * MS);
	assert_int_equal(fo_timer_run(&W, START + 3000 * MS), 1);
	assert_int_equal(fo_timer_run(&W, START + 3000 * MS), 1);
	assert_int_equal(fo_timer_run(&W, START + 3001 * MS), 1);
	assert_int_equal(q.fired, 3);
	assert_true(fo_timer_armed(&q.t));
	fo_timer_cancel(&W, &q.t);
	assert_int_equal(W.n_armed, 0);
}

static void
test_far_timers(void **state)
{
	/* hours and days at a 1 ms tick, beyond 2^32 ticks (49.7 days) too */
	static const uint64_t ms[] = {
		3ull * 3600 * 1000,
		10ull * 24 * 3600 * 1000,
		(1ull << 32) - 1,
		1ull << 32,
		(1ull << 32) + 1,
		60ull * 24 * 3600 * 1000,
		3ull << 32,
		1ull << 40,
	}; /* ascending */
	enum { N = sizeof(ms) / sizeof(ms[0]) };
	struct tt x[N], never;
	unsigned i;

	(void)state;
	for (i = 0; i < N; i++) {
		tt_init(&x[i], i);
		fo_timer_arm(&W, &x[i].t, START + ms[i] * MS);
	}
	tt_init(&never, 99);
	fo_timer_arm(&W, &never.t, UINT64_MAX);
	for (i = 0; i < N; i++) {
		/* the run just before its tick fires nothing, the one at its tick
		 * fires exactly it */
		assert_int_equal(fo_timer_run(&W, START + ms[i] * MS - 1), 0);
		assert_int_equal(x[i].fired, 0);
		assert_int_equal(fo_timer_run(&W, START + ms[i] * MS), 1);
		assert_int_equal(x[i].fired, 1);
	}
	assert_int_equal(W.n_armed, 1);
	assert_int_equal(never.fired, 0);
	fo_timer_cancel(&W, &never.t);
	assert_int_equal(W.n_armed, 0);
}

static void
test_large_jumps(void **state)
{
	struct fo_timer_wheel *w = &W;
	static struct tt x[2000];
	unsigned i;

	(void)state;
	/* a 1-cycle tick makes hours 10^13 ticks: a walk tick by tick would
	 * never end (the suite's timeout catches that) */
	assert_int_equal(fo_timer_wheel_init(w, START, 1), 0);
	for (i = 0; i < 2000; i++) {
		tt_init(&x[i], i);
		/* spread from 1 tick to ~3 hours, every level and the clamp */
		fo_timer_arm(
			w, &x[i].t, START + 1 + ((uint64_t)i * i * i * 1361u) % (3 * 3600 * HZ));
	}
	assert_int_equal(fo_timer_run(w, START + 3 * 3600 * HZ), 2000);
	for (i = 1; i < n_log; i++)
		assert_true(log_expire[i - 1] <= log_expire[i]);
	/* an empty wheel jumps any distance at once */
	assert_int_equal(fo_timer_run(w, UINT64_MAX - 5), 0);
	assert_int_equal(w->now_tick, UINT64_MAX - 5 - START + 1);
	/* and keeps working near the end of time */
	fo_timer_arm(w, &x[0].t, UINT64_MAX - 2);
	assert_int_equal(fo_timer_run(w, UINT64_MAX - 3), 0);
	assert_int_equal(fo_timer_run(w, UINT64_MAX - 2), 1);
}

/* 100k timers, random arm / re-arm / cancel and runs at random increasing
 * times, against a model: every armed timer fires in the first run whose
 * tick reaches its own, in tick order. */
#define N_RAND 100000
static struct tt rt[N_RAND];
static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static uint64_t
tick_of_expire(uint64_t expire, uint64_t tick)
{
	if (expire <= START)
		return 0;
	return (expire - START + tick - 1) / tick;
}

static uint64_t
rnd_delay(void)
{
	switch (rnd() % 8) {
	case 0:
		return rnd() % 4; /* due now or next ticks */
	case 1:
	case 2:
		return rnd() % 300; /* level 0/1 */
	case 3:
	case 4:
		return rnd() % 100000; /* level 1/2 */
	case 5:
		return rnd() % (1ull << 26); /* level 2/3 */
	case 6:
		return rnd() % (1ull << 33); /* level 3 and beyond 2^32 */
	default:
		return rnd() % 1000;
	}
}

static void
run_random(uint64_t tick)
{
	uint64_t now = START, armed = 0, total = 0, late = 0;
	unsigned round, i;

	assert_int_equal(fo_timer_wheel_init(&W, START, tick), 0);
	for (i = 0; i < N_RAND; i++)
		tt_init(&rt[i], i);
	for (round = 0; round < 600; round++) {
		uint64_t base_tick = W.now_tick, target;
		unsigned ops = round < 100 ? 1000 : 200, fired, expect = 0;

		for (i = 0; i < ops; i++) {
			struct tt *x = &rt[rnd() % N_RAND];

			if (rnd() % 5 == 0) {
				/* stopped (left linked) or cancelled (unlinked) */
				if (rnd() % 2)
					fo_timer_stop(&W, &x->t);
				else
					fo_timer_cancel(&W, &x->t);
				armed -= x->m_armed;
				x->m_armed = 0;
			} else {
				/* sometimes in the past, mostly ahead */
				uint64_t e = now + rnd_delay() * tick + rnd() % tick;

				if (rnd() % 16 == 0)
					e = now - (rnd() % (now - START + 1));
				fo_timer_arm(&W, &x->t, e);
				armed += !x->m_armed;
				x->m_armed = 1;
				x->m_tick = tick_of_expire(e, tick);
			}
		}
		assert_int_equal(W.n_armed, armed);
		/* advance: small, medium, or large steps */
		switch (rnd() % 4) {
		case 0:
			now += rnd() % (3 * tick);
			break;
		case 1:
			now += rnd() % (1000 * tick);
			break;
		case 2:
			now += rnd() % (100000 * tick);
			break;
		default:
			now += rnd() % ((1ull << 28) * tick);
			break;
		}
		target = (now - START) / tick;
		n_log = 0;
		fired = fo_timer_run(&W, now);
		assert_int_equal(fired, n_log);
		for (i = 0; i < n_log; i++) {
			struct tt *x = &rt[log_id[i]];

			assert_true(x->m_armed);
			assert_true(x->m_tick <= target); /* never early */
			assert_int_equal(x->fired, 1);
			x->fired = 0;
			x->m_armed = 0;
			/* tick order; timers of processed ticks first */
			if (i > 0) {
				struct tt *y = &rt[log_id[i - 1]];
				uint64_t ex = x->m_tick < base_tick ? base_tick : x->m_tick;
				uint64_t ey = y->m_tick < base_tick ? base_tick : y->m_tick;

				assert_true(ey <= ex);
			}
		}
		armed -= n_log;
		total += n_log;
		for (i = 0; i < n_log; i++)
			late += rt[log_id[i]].m_tick < base_tick;
		/* nothing due was left behind */
		for (i = 0; i < N_RAND; i++) {
			if (rt[i].m_armed) {
				assert_true(rt[i].m_tick > target);
				expect++;
			}
		}
		assert_int_equal(expect, armed);
		assert_int_equal(W.n_armed, armed);
	}
	/* the test exercised something: most arms fired, some of them late */
	assert_true(total > 100000);
	assert_true(late > 1000);
	/* a final jump past everything fires all that is left */
	n_log = 0;
	assert_int_equal(fo_timer_run(&W, now + (1ull << 34) * tick), armed);
	assert_int_equal(W.n_armed, 0);
}

static void
test_random_vs_model(void **state)
{
	(void)state;
	run_random(1);
	run_random(MS);
	run_random(777);
}

static void
test_counters(void **state)
{
	static struct tt x[1000];
	unsigned i, early = 0;

	(void)state;
	for (i = 0; i < 1000; i++) {
		tt_init(&x[i], i);
		fo_timer_arm(&W, &x[i].t, START + (i % 500) * MS * 300);
	}
	assert_int_equal(W.n_armed, 1000);
	for (i = 0; i < 1000; i++)
		fo_timer_arm(&W, &x[i].t, START + (i % 7) * MS); /* re-arm: no change */
	assert_int_equal(W.n_armed, 1000);
	for (i = 0; i < 1000; i += 2)
		fo_timer_cancel(&W, &x[i].t);
	assert_int_equal(W.n_armed, 500);
	for (i = 1; i < 1000; i += 2)
		early += i % 7 <= 3;
	assert_int_equal(fo_timer_run(&W, START + 3 * MS), early);
	assert_int_equal(W.n_armed, 500 - early);
	assert_int_equal(fo_timer_run(&W, START + 1000 * MS), 500 - early);
	assert_int_equal(W.n_armed, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(x[i].fired, i % 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init, setup),
		cmocka_unit_test_setup(test_next, setup),
		cmocka_unit_test_setup(test_ordering, setup),
		cmocka_unit_test_setup(test_ordering_per_tick, setup),
		cmocka_unit_test_setup(test_tick_rounding, setup),
		cmocka_unit_test_setup(test_past_fires_next_run, setup),
		cmocka_unit_test_setup(test_rearm, setup),
		cmocka_unit_test_setup(test_cancel, setup),
		cmocka_unit_test_setup(test_stop, setup),
		cmocka_unit_test_setup(test_cancel_other_in_same_tick, setup),
		cmocka_unit_test_setup(test_arm_in_callback, setup),
		cmocka_unit_test_setup(test_far_timers, setup),
		cmocka_unit_test_setup(test_large_jumps, setup),
		cmocka_unit_test_setup(test_random_vs_model, setup),
		cmocka_unit_test_setup(test_counters, setup),
	};

	return cmocka_run_group_tests_name("timer_wheel", tests, NULL, NULL);
}
