/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hierarchical timer wheel (see fo_timer.h).
 *
 * Times are kept in ticks since w->start. A timer due at tick E, armed when
 * the next tick to process is B (w->now_tick), goes to:
 *   level 0 slot E % 256            when E - B < 2^8
 *   level k slot (E >> 8k) % 256    when E - B < 2^(8(k+1)), k = 1..3
 *   level 3 as if due at B + 2^32 - 1 when farther.
 * A level-k slot is cascaded (its timers re-placed relative to the tick being
 * processed) at the ticks that are multiples of 2^8k with that slot index.
 * With E - B >= 2^8k, the first such tick, (E >> 8k) << 8k, is after B and
 * not after E, so a timer never fires late nor misses its cascade, whatever
 * the order of cascades within one tick.
 *
 * fo_timer_run() does not walk ticks one by one: per-level bitmaps of
 * non-empty slots give the next tick at which anything happens (a level-0
 * slot due, or a non-empty slot to cascade), and it jumps there.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "fo_timer.h"

#define SLOT_BITS 8
#define SLOT_MASK (FO_TIMER_SLOTS - 1)
#define BM_WORDS (FO_TIMER_SLOTS / 64)
/* Farthest tick distance the levels can represent. */
#define MAX_DELTA ((UINT64_C(1) << (SLOT_BITS * FO_TIMER_LEVELS)) - 1)

_Static_assert(FO_TIMER_SLOTS == 1 << SLOT_BITS, "slots per level must be 256");

static inline void
bm_set(uint64_t *bm, unsigned slot)
{
	bm[slot >> 6] |= UINT64_C(1) << (slot & 63);
}

static inline void
bm_clear(uint64_t *bm, unsigned slot)
{
	bm[slot >> 6] &= ~(UINT64_C(1) << (slot & 63));
}

/*
 * Distance from @p start to the first set bit of a 256-bit map, going round:
 * 0..255, or -1 when the map is empty.
 */
static int
bm_next(const uint64_t *bm, unsigned start)
{
	unsigned w = start >> 6, b = start & 63, i;
	uint64_t x = bm[w] & (~UINT64_C(0) << b);

	for (i = 0; i <= BM_WORDS; i++) {
		if (x != 0) {
			unsigned pos = ((w & (BM_WORDS - 1)) << 6) + (unsigned)__builtin_ctzll(x);

			return (int)((pos - start) & SLOT_MASK);
		}
		w++;
		/* after a full turn, only the bits below start are left */
		x = i + 1 < BM_WORDS ? bm[w & (BM_WORDS - 1)]
				     : (b != 0 ? bm[start >> 6] & ((UINT64_C(1) << b) - 1) : 0);
	}
	return -1;
}

/* Tick at which a timer expiring at TSC @p expire is due: rounded up. */
static inline uint64_t
expire_tick(const struct fo_timer_wheel *w, uint64_t expire)
{
	uint64_t d;

	if (expire <= w->start)
		return 0;
	d = expire - w->start;
	return d / w->tick + (d % w->tick != 0);
}

static inline void
list_add(struct fo_timer **head, struct fo_timer *t)
{
	t->next = *head;
	if (t->next != NULL)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

/* Place @p t, due at tick @p e >= w->now_tick, in the wheel. */
static void
wheel_add(struct fo_timer_wheel *w, struct fo_timer *t, uint64_t e)
{
	uint64_t delta;
	unsigned level, slot;

	if (e < w->now_tick) /* cannot happen (see top); never park it 49 days */
		e = w->now_tick;
	delta = e - w->now_tick;

	if (delta > MAX_DELTA) {
		delta = MAX_DELTA;
		e = w->now_tick + MAX_DELTA;
	}
	for (level = 0; level < FO_TIMER_LEVELS - 1; level++)
		if (delta >> (SLOT_BITS * (level + 1)) == 0)
			break;
	slot = (unsigned)(e >> (SLOT_BITS * level)) & SLOT_MASK;
	list_add(&w->slots[level][slot], t);
	bm_set(w->bitmap[level], slot);
}

/*
 * Unlink @p t (armed). When it was alone in a wheel slot, clear the slot's
 * bit: only the first timer of a list has pprev pointing into w->slots.
 */
static void
unlink_timer(struct fo_timer_wheel *w, struct fo_timer *t)
{
	uintptr_t p = (uintptr_t)t->pprev;
	uintptr_t lo = (uintptr_t)&w->slots[0][0];
	uintptr_t hi = (uintptr_t)&w->slots[FO_TIMER_LEVELS - 1][FO_TIMER_SLOTS - 1];

	*t->pprev = t->next;
	if (t->next != NULL)
		t->next->pprev = t->pprev;
	if (p >= lo && p <= hi && t->next == NULL) {
		size_t idx = (p - lo) / sizeof(struct fo_timer *);

		bm_clear(w->bitmap[idx / FO_TIMER_SLOTS], (unsigned)(idx % FO_TIMER_SLOTS));
	}
	t->next = NULL;
	t->pprev = NULL;
}

int
fo_timer_wheel_init(struct fo_timer_wheel *w, uint64_t now, uint64_t tick_cycles)
{
	unsigned l, s;

	if (tick_cycles == 0)
		return -EINVAL;
	w->tick = tick_cycles;
	w->now_tick = 0;
	w->n_armed = 0;
	w->start = now;
	w->next_tsc = now;
	w->late = NULL;
	for (l = 0; l < FO_TIMER_LEVELS; l++) {
		for (s = 0; s < BM_WORDS; s++)
			w->bitmap[l][s] = 0;
		for (s = 0; s < FO_TIMER_SLOTS; s++)
			w->slots[l][s] = NULL;
	}
	return 0;
}

void
fo_timer_init(struct fo_timer *t, fo_timer_fn fn)
{
	t->next = NULL;
	t->pprev = NULL;
	t->expire = 0;
	t->placed = 0;
	t->fn = fn;
	t->armed = 0;
}

/* Link @p t (unlinked) where its expiry @p t->expire is due. */
static void
place(struct fo_timer_wheel *w, struct fo_timer *t)
{
	uint64_t e = expire_tick(w, t->expire);

	t->placed = t->expire;
	if (e < w->now_tick)
		list_add(&w->late, t);
	else
		wheel_add(w, t, e);
}

void
fo_timer_place(struct fo_timer_wheel *w, struct fo_timer *t)
{
	if (t->pprev != NULL)
		unlink_timer(w, t);
	place(w, t);
}

void
fo_timer_cancel(struct fo_timer_wheel *w, struct fo_timer *t)
{
	fo_timer_stop(w, t);
	if (t->pprev != NULL)
		unlink_timer(w, t);
}

/* Move a list out to a local head, so that callbacks arming timers into the
 * same slot (or the late list) add to a fresh list, not to the one walked. */
static inline void
list_take(struct fo_timer **from, struct fo_timer **to)
{
	*to = *from;
	*from = NULL;
	if (*to != NULL)
		(*to)->pprev = to;
}

/*
 * Fire every timer of @p list (a local head) that is due: armed, and its
 * expiry's tick processed (< w->now_tick). A stopped timer is dropped; one
 * pushed back since it was linked is linked again at its expiry, which is
 * a tick not processed yet, so it cannot come back in this call. Callbacks
 * may unlink any timer.
 */
static unsigned
fire_list(struct fo_timer_wheel *w, struct fo_timer **list)
{
	struct fo_timer *t;
	unsigned n = 0;

	while ((t = *list) != NULL) {
		unlink_timer(w, t);
		if (!t->armed)
			continue;
		if (expire_tick(w, t->expire) >= w->now_tick) {
			place(w, t);
			continue;
		}
		t->armed = 0;
		w->n_armed--;
		t->fn(t);
		n++;
	}
	return n;
}

static void
cascade(struct fo_timer_wheel *w, unsigned level, unsigned slot)
{
	struct fo_timer *list, *t;

	list_take(&w->slots[level][slot], &list);
	bm_clear(w->bitmap[level], slot);
	while ((t = list) != NULL) {
		list = t->next;
		t->next = NULL;
		t->pprev = NULL;
		if (!t->armed)
			continue; /* stopped: dropped */
		t->placed = t->expire;
		wheel_add(w, t, expire_tick(w, t->expire));
	}
}

/* Earliest tick >= w->now_tick at which a level-0 slot is due or a
 * non-empty slot is cascaded; UINT64_MAX when the wheel is empty. */
static uint64_t
next_event(const struct fo_timer_wheel *w)
{
	uint64_t t = w->now_tick, best = UINT64_MAX;
	unsigned level;
	int d;

	d = bm_next(w->bitmap[0], (unsigned)(t & SLOT_MASK));
	if (d >= 0)
		best = t + (unsigned)d;
	for (level = 1; level < FO_TIMER_LEVELS; level++) {
		unsigned shift = SLOT_BITS * level;
		/* index of the first multiple of 2^shift at or after t */
		uint64_t b = (t + (UINT64_C(1) << shift) - 1) >> shift;
		uint64_t when;

		d = bm_next(w->bitmap[level], (unsigned)(b & SLOT_MASK));
		if (d < 0)
			continue;
		when = (b + (unsigned)d) << shift;
		if (when < best)
			best = when;
	}
	return best;
}

uint64_t
fo_timer_next(const struct fo_timer_wheel *w)
{
	uint64_t n;

	if (w->late != NULL)
		return 0;
	n = next_event(w);
	return n == UINT64_MAX ? UINT64_MAX : w->start + n * w->tick;
}

unsigned
fo_timer_run(struct fo_timer_wheel *w, uint64_t now)
{
	struct fo_timer *list;
	unsigned fired = 0;
	uint64_t target, n;

	list_take(&w->late, &list);
	fired += fire_list(w, &list);
	/* most calls (a poll loop's) come within the tick already processed:
	 * no tick to process, and no division to find that out */
	if (now < w->next_tsc)
		return fired;
	target = (now - w->start) / w->tick;

	while (w->now_tick <= target) {
		unsigned slot;

		n = next_event(w);
		if (n > target) {
			w->now_tick = target + 1;
			break;
		}
		w->now_tick = n;
		/* Cascades due at tick n, every level whose boundary it is. */
		if ((n & SLOT_MASK) == 0) {
			unsigned level;

			for (level = 1; level < FO_TIMER_LEVELS; level++) {
				uint64_t idx = n >> (SLOT_BITS * level);

				cascade(w, level, (unsigned)(idx & SLOT_MASK));
				if ((idx & SLOT_MASK) != 0)
					break;
			}
		}
		w->now_tick = n + 1;
		slot = (unsigned)(n & SLOT_MASK);
		list_take(&w->slots[0][slot], &list);
		bm_clear(w->bitmap[0], slot);
		fired += fire_list(w, &list);
	}
	w->next_tsc = w->start + w->now_tick * w->tick;
	return fired;
}
