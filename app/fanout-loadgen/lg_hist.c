/* SPDX-License-Identifier: BSD-3-Clause */
/* Log-linear latency histogram (lg_hist.h). */
#include <math.h>
#include <string.h>

#include "lg_hist.h"

void
lg_hist_reset(struct lg_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t
lg_hist_bucket_low(unsigned i)
{
	unsigned shift;

	if (i < 2 * LG_HIST_SUB)
		return i;
	shift = i / LG_HIST_SUB - 1;
	return (uint64_t)(i - shift * LG_HIST_SUB) << shift;
}

uint64_t
lg_hist_bucket_high(unsigned i)
{
	unsigned shift;

	if (i < 2 * LG_HIST_SUB)
		return i;
	shift = i / LG_HIST_SUB - 1;
	return lg_hist_bucket_low(i) + ((1ull << shift) - 1);
}

uint64_t
lg_hist_percentile(const struct lg_hist *h, double pct)
{
	uint64_t rank, seen = 0, v;
	unsigned i;

	if (h->count == 0)
		return 0;
	if (pct >= 100.0)
		return h->max;
	rank = (uint64_t)ceil(pct / 100.0 * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < LG_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	if (i == LG_HIST_BUCKETS)
		return h->max;
	v = lg_hist_bucket_high(i);
	return v > h->max ? h->max : v;
}

void
lg_hist_merge(struct lg_hist *dst, const struct lg_hist *src)
{
	unsigned i;

	if (src->count == 0)
		return;
	for (i = 0; i < LG_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}
