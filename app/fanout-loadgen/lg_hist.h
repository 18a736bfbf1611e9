/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histogram of fanout-loadgen, HdrHistogram-style log-linear
 * buckets: values below 2 * LG_HIST_SUB are counted exactly; above, each
 * power of two [2^k, 2^(k+1)) is split into LG_HIST_SUB equal buckets, so
 * a value is known to within 1 / LG_HIST_SUB (0.8 %) of itself. Recording
 * is a count-leading-zeros, a shift and an increment: no allocation, no
 * branch on the value's size but one. Plain C, no EAL (unit-tested alone).
 */
#ifndef LG_HIST_H
#define LG_HIST_H

#include <stdint.h>

#define LG_HIST_SUB_BITS 7
#define LG_HIST_SUB (1u << LG_HIST_SUB_BITS)
/** Buckets: values up to 2^64 - 1 (shift 0..63 - LG_HIST_SUB_BITS). */
#define LG_HIST_BUCKETS ((64 - LG_HIST_SUB_BITS) * LG_HIST_SUB + LG_HIST_SUB)

struct lg_hist {
	uint64_t count;
	uint64_t min, max; /**< exact; min is UINT64_MAX while count is 0 */
	uint64_t sum;      /**< wraps only past 2^64 (not in a run) */
	uint64_t b[LG_HIST_BUCKETS];
};

/** Index of the bucket holding @p v. */
static inline unsigned
lg_hist_index(uint64_t v)
{
	unsigned shift;

	if (v < 2 * LG_HIST_SUB)
		return (unsigned)v;
	shift = (unsigned)(63 - __builtin_clzll(v)) - LG_HIST_SUB_BITS;
	return shift * LG_HIST_SUB + (unsigned)(v >> shift);
}

static inline void
lg_hist_record(struct lg_hist *h, uint64_t v)
{
	h->b[lg_hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/** Empty @p h. */
void lg_hist_reset(struct lg_hist *h);

/** Smallest value bucket @p i holds. */
uint64_t lg_hist_bucket_low(unsigned i);

/** Largest value bucket @p i holds. */
uint64_t lg_hist_bucket_high(unsigned i);

/**
 * The value at percentile @p pct (0 < pct <= 100): the highest value of
 * the bucket holding the ceil(pct / 100 * count)-th smallest value,
 * capped at the largest value recorded (so p100 is the exact max).
 * @return that value; 0 when @p h is empty.
 */
uint64_t lg_hist_percentile(const struct lg_hist *h, double pct);

/** Add @p src's counts to @p dst. */
void lg_hist_merge(struct lg_hist *dst, const struct lg_hist *src);

#endif /* LG_HIST_H */
