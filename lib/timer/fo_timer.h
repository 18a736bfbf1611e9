/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Per-core timer wheel driven by the TSC: O(1) arm, re-arm and cancel,
 * timers embedded in their owner (no allocation), one owner per wheel (no
 * locks). Expiry is checked at tick granularity: a timer fires at the first
 * fo_timer_run() whose time is >= its expiry rounded up to a tick (never
 * early), measured in ticks from the TSC given to fo_timer_wheel_init().
 *
 * Hierarchical (4 levels of 256 slots, Linux's classic cascading wheel) so
 * that timers from milliseconds (delayed ACK) to hours (keep-alive) cost the
 * same. Level k holds timers due within 256^(k+1) ticks; a timer farther than
 * 2^32 ticks (49 days at 1 ms) waits in the top level and is re-placed each
 * time its slot comes round. Occupancy bitmaps let fo_timer_run() jump over
 * empty ticks, so a jump of the clock by hours costs a few steps per armed
 * timer, not one per tick.
 */
#ifndef FO_TIMER_H
#define FO_TIMER_H

#include <stdint.h>

struct fo_timer;

/** Called when a timer fires; the timer is disarmed before the call and may be re-armed. */
typedef void (*fo_timer_fn)(struct fo_timer *t);

/**
 * A timer, embedded in its owner (container_of to get back to it).
 *
 * Armed and linked differ: a timer stopped with fo_timer_stop(), or re-armed
 * later than where it is linked, stays linked in the wheel until its slot
 * comes round, where it is dropped or moved to its expiry (fields private but
 * for @c expire, the expiry of an armed timer).
 */
struct fo_timer {
	struct fo_timer *next;
	struct fo_timer **pprev; /**< NULL when not linked in the wheel */
	uint64_t expire;         /**< TSC at which it fires, when armed */
	uint64_t placed;         /**< TSC of the slot it is linked in */
	fo_timer_fn fn;
	uint8_t armed;
};

#define FO_TIMER_LEVELS 4
#define FO_TIMER_SLOTS 256

/** A wheel: embed it in the per-worker struct (≈ 2 KiB per level). Fields are private. */
struct fo_timer_wheel {
	uint64_t tick;         /**< TSC cycles per tick */
	uint64_t now_tick;     /**< ticks processed so far: the next tick to process */
	uint64_t n_armed;      /**< timers armed now (read-only for users) */
	uint64_t start;        /**< TSC of tick 0 (fo_timer_wheel_init()'s @p now) */
	uint64_t next_tsc;     /**< TSC at which tick now_tick begins: no tick is due before */
	struct fo_timer *late; /**< armed for an already processed tick: fire next run */
	uint64_t bitmap[FO_TIMER_LEVELS][FO_TIMER_SLOTS / 64]; /**< non-empty slots */
	struct fo_timer *slots[FO_TIMER_LEVELS][FO_TIMER_SLOTS];
};

/**
 * Initialise @p w at TSC @p now with ticks of @p tick_cycles (e.g. 1 ms).
 *
 * @return 0, or -EINVAL when tick_cycles is 0.
 */
int fo_timer_wheel_init(struct fo_timer_wheel *w, uint64_t now, uint64_t tick_cycles);

/** Prepare a timer (unarmed) with its callback. */
void fo_timer_init(struct fo_timer *t, fo_timer_fn fn);

/** fo_timer_arm()'s list work: link @p t (unlinked first when linked) for t->expire. */
void fo_timer_place(struct fo_timer_wheel *w, struct fo_timer *t);

/**
 * Arm (or re-arm) @p t to fire at TSC @p expire. Re-arming to a time not
 * earlier than the one it is linked for costs a store (the timer is moved
 * when its slot comes round). Past times fire at the next
 * run: a time whose tick was already processed by fo_timer_run() (including
 * when arming from a callback) fires at the start of the next fo_timer_run(),
 * not during the current one, so a callback re-arming itself in the past
 * cannot loop. Any value is valid: UINT64_MAX means never in practice (such a
 * timer sits in the top level, re-placed every 2^32 ticks).
 */
static inline void
fo_timer_arm(struct fo_timer_wheel *w, struct fo_timer *t, uint64_t expire)
{
	if (!t->armed) {
		t->armed = 1;
		w->n_armed++;
	}
	t->expire = expire;
	/* Its slot comes round no later than @p expire: fire_list() moves it
	 * on then. The usual case of a timer pushed back (retransmission,
	 * delayed ACK, idle) costs no list work, and inline no call. */
	if (t->pprev != NULL && expire >= t->placed)
		return;
	fo_timer_place(w, t);
}

/**
 * Disarm @p t and unlink it from the wheel; no-op when neither. Call it
 * before freeing or re-initialising the memory of a timer that may be
 * linked (armed, or stopped with fo_timer_stop()).
 */
void fo_timer_cancel(struct fo_timer_wheel *w, struct fo_timer *t);

/**
 * Disarm @p t (it will not fire) but leave it linked: O(1) with no list
 * work, for timers stopped and re-armed over and over (a retransmission
 * timer stopped by each ACK, a delayed ACK sent early). The wheel drops it
 * when its slot comes round; a re-arm before that for a time not earlier
 * than its slot costs a store. fo_timer_cancel() before freeing the timer.
 */
static inline void
fo_timer_stop(struct fo_timer_wheel *w, struct fo_timer *t)
{
	if (!t->armed)
		return;
	t->armed = 0;
	w->n_armed--;
}

/** @return non-zero when @p t is armed. */
static inline int
fo_timer_armed(const struct fo_timer *t)
{
	return t->armed;
}

/**
 * Fire every timer due at TSC @p now, in expiry order at tick granularity:
 * first those armed for an already processed tick (in arming order), then
 * tick by tick (timers of one tick in no defined order). Callbacks may arm
 * and cancel any timer of this wheel, including the one firing and those
 * due in the same run; a timer armed from a callback for a later tick that
 * is <= @p now fires in this same run. Must not be called from a callback.
 * A @p now earlier than a previous one processes no tick.
 *
 * @return number of timers fired.
 */
unsigned fo_timer_run(struct fo_timer_wheel *w, uint64_t now);

/**
 * When fo_timer_run() next has something to do: the start of the earliest
 * tick at which a timer fires or a level is cascaded (in the wheel's time
 * unit), 0 when a timer is already late, UINT64_MAX when none is armed. A
 * caller that sleeps may sleep until then.
 */
uint64_t fo_timer_next(const struct fo_timer_wheel *w);

#endif /* FO_TIMER_H */
