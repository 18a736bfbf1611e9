/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-request pickers: smooth weighted round-robin, least connections,
 * two random choices on a latency EWMA, weighted random. Each works on one
 * worker's state only; none allocates. Consistent hashing is in
 * balance_maglev.c.
 */
#include <math.h>
#include <string.h>

#include "fo_balance.h"

/* xorshift64* (Vigna): small state, good enough to spread requests */
uint64_t
fo_bal_rand(struct fo_bal_worker *w)
{
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

void
fo_bal_worker_init(struct fo_bal_worker *w, uint64_t seed, double ticks_per_s)
{
	/* splitmix64 of the seed: neighbouring seeds give unrelated states */
	uint64_t z = seed + 0x9E3779B97F4A7C15ull;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	w->rng = z != 0 ? z : 1;
	w->decay = FO_BAL_EWMA_DECAY_S * ticks_per_s;
}

static uint32_t
weight_of(const struct fo_bal_srv *s)
{
	return s->weight != 0 ? s->weight : 1;
}

void
fo_bal_up_init(struct fo_bal_up *u, struct fo_bal_srv *srv, unsigned n, unsigned skew)
{
	uint32_t total = 0;
	unsigned i, k;

	u->srv = srv;
	u->n = n;
	u->same_weight = n != 0 ? weight_of(&srv[0]) : 0;
	for (i = 0; i < n; i++) {
		total += weight_of(&srv[i]);
		srv[i].cum = total;
		srv[i].cur = 0;
		if (weight_of(&srv[i]) != u->same_weight)
			u->same_weight = 0;
	}
	u->total = total;
	u->next = n != 0 ? skew % n : 0;
	if (total == 0)
		return;
	/* the round-robin sequence with every server usable, @p skew steps on */
	for (k = 0; k < skew % total; k++) {
		unsigned best = 0;

		for (i = 0; i < n; i++) {
			srv[i].cur += weight_of(&srv[i]);
			if (srv[i].cur > srv[best].cur)
				best = i;
		}
		srv[best].cur -= total;
	}
}

/* The first server after @p from (wrapping, @p from itself last) that may take the request. */
static uint32_t
scan_from(const struct fo_bal_up *u, unsigned from, unsigned skip, fo_bal_usable_fn ok, void *arg)
{
	unsigned k;

	for (k = 1; k <= u->n; k++) {
		unsigned i = (from + k) % u->n;

		if (i != skip && ok(arg, i) != NULL)
			return i;
	}
	return FO_BAL_NONE;
}

/*
 * fo_bal_round_robin() when every server has the same weight: smooth
 * round-robin then visits the usable servers in index order, one step
 * per pick, so a cursor gives that order asking one server per pick
 * while all are usable (nginx asks each of them every time). A server
 * found unusable is passed over; the next pick starts after the chosen
 * one. Every server is asked at most once per pick.
 */
static uint32_t
round_robin_same(struct fo_bal_up *u, fo_bal_usable_fn ok, void *arg)
{
	unsigned n = u->n, i = u->next, k;

	if (i >= n)
		i = 0; /* n shrank under a cursor set before (not by fo_bal_up_init) */
	for (k = 0; k < n; k++) {
		if (ok(arg, i) != NULL) {
			u->next = i + 1 < n ? i + 1 : 0;
			return i;
		}
		if (++i == n)
			i = 0;
	}
	return FO_BAL_NONE;
}

uint32_t
fo_bal_round_robin(struct fo_bal_up *u, fo_bal_usable_fn ok, void *arg)
{
	/* in locals: the compiler cannot know that ok() leaves *u alone */
	struct fo_bal_srv *srv = u->srv;
	unsigned i, n = u->n;
	uint32_t best = FO_BAL_NONE;
	int64_t total = 0, best_cur = 0;

	if (u->same_weight != 0)
		return round_robin_same(u, ok, arg);
	for (i = 0; i < n; i++) {
		struct fo_bal_srv *s = &srv[i];
		int64_t w;

		if (ok(arg, i) == NULL)
			continue;
		w = weight_of(s);
		s->cur += w;
		total += w;
		if (best == FO_BAL_NONE || s->cur > best_cur) {
			best = i;
			best_cur = s->cur;
		}
	}
	if (best != FO_BAL_NONE)
		srv[best].cur -= total;
	return best;
}

/* Servers whose usability the first pass of least_conn remembers (the rest are asked again). */
#define LC_BITS 1024u

uint32_t
fo_bal_least_conn(struct fo_bal_up *u, fo_bal_usable_fn ok, void *arg)
{
	uint64_t usable[LC_BITS / 64];
	uint32_t best = FO_BAL_NONE, conns[LC_BITS];
	uint64_t best_c = 0, best_w = 1;
	int64_t total = 0;
	unsigned i, many = 0;

	memset(usable, 0, sizeof(usable));
	for (i = 0; i < u->n; i++) {
		const struct fo_bal_load *l = ok(arg, i);
		uint64_t c, w = weight_of(&u->srv[i]);

		if (l == NULL)
			continue;
		c = l->inflight;
		if (i < LC_BITS) {
			usable[i / 64] |= 1ull << (i % 64);
			conns[i] = l->inflight;
		}
		/* c/w < best_c/best_w, without division */
		if (best == FO_BAL_NONE || c * best_w < best_c * w) {
			best = i;
			best_c = c;
			best_w = w;
			many = 0;
		} else if (c * best_w == best_c * w) {
			many = 1;
		}
	}
	if (!many)
		return best;
	/* equals: smooth round-robin among them (nginx) */
	{
		uint32_t pick = FO_BAL_NONE;

		for (i = best; i < u->n; i++) {
			struct fo_bal_srv *s = &u->srv[i];
			uint64_t c, w = weight_of(s);

			if (i < LC_BITS) {
				if (!(usable[i / 64] & (1ull << (i % 64))))
					continue;
				c = conns[i];
			} else {
				const struct fo_bal_load *l = ok(arg, i);

				if (l == NULL)
					continue;
				c = l->inflight;
			}
			if (c * best_w != best_c * w)
				continue;
			s->cur += (int64_t)w;
			total += (int64_t)w;
			if (pick == FO_BAL_NONE || s->cur > u->srv[pick].cur)
				pick = i;
		}
		u->srv[pick].cur -= total;
		return pick;
	}
}

double
fo_bal_ewma_score(const struct fo_bal_load *l, uint64_t now, double decay)
{
	double dt;

	if (l->ewma_t == 0)
		return 0;
	dt = now > l->ewma_t ? (double)(now - l->ewma_t) : 0;
	return l->ewma * exp(-dt / decay);
}

void
fo_bal_ewma_update(struct fo_bal_load *l, uint64_t now, uint64_t rtt, double decay)
{
	double dt = now > l->ewma_t ? (double)(now - l->ewma_t) : 0, w;

	/* never measured: ewma_t 0 makes dt huge, so the first sample is taken whole */
	w = l->ewma_t == 0 ? 0 : exp(-dt / decay);
	l->ewma = l->ewma * w + (double)rtt * (1.0 - w);
	l->ewma_t = now != 0 ? now : 1;
}

uint32_t
fo_bal_ewma(
	struct fo_bal_worker *w, struct fo_bal_up *u, uint64_t now, fo_bal_usable_fn ok, void *arg)
{
	const struct fo_bal_load *la, *lb;
	unsigned a, b;

	if (u->n == 0)
		return FO_BAL_NONE;
	if (u->n == 1)
		return ok(arg, 0) != NULL ? 0 : FO_BAL_NONE;
	/* two different servers, uniformly */
	a = (unsigned)(fo_bal_rand(w) % u->n);
	b = (unsigned)(fo_bal_rand(w) % (u->n - 1));
	if (b >= a)
		b++;
	la = ok(arg, a);
	lb = ok(arg, b);
	if (la != NULL && lb != NULL)
		return fo_bal_ewma_score(lb, now, w->decay) < fo_bal_ewma_score(la, now, w->decay)
			       ? b
			       : a;
	if (la != NULL)
		return a;
	if (lb != NULL)
		return b;
	return scan_from(u, a, b, ok, arg);
}

uint32_t
fo_bal_random(struct fo_bal_worker *w, struct fo_bal_up *u, fo_bal_usable_fn ok, void *arg)
{
	unsigned tries, i = 0;

	if (u->n == 0 || u->total == 0)
		return FO_BAL_NONE;
	for (tries = 0; tries < 4; tries++) {
		uint32_t r = (uint32_t)(fo_bal_rand(w) % u->total);
		unsigned lo = 0, hi = u->n - 1;

		/* the first server whose cumulated weight is above r */
		while (lo < hi) {
			unsigned mid = (lo + hi) / 2;

			if (u->srv[mid].cum > r)
				hi = mid;
			else
				lo = mid + 1;
		}
		i = lo;
		if (ok(arg, i) != NULL)
			return i;
	}
	return scan_from(u, i, i, ok, arg);
}
