/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanout-loadgen's latency histogram (app/fanout-loadgen/lg_hist.c):
 * bucket boundaries (exact below 2 * LG_HIST_SUB, then LG_HIST_SUB buckets
 * per power of two, contiguous, every value in exactly the bucket whose
 * bounds hold it), and percentiles against a sorted-array reference: the
 * reported value is never below the true one, and above it by at most
 * the bucket's width (1 / LG_HIST_SUB of the value).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "lg_hist.h"

static struct lg_hist h, h2;

static void
test_small_values_exact(void **state)
{
	uint64_t v;

	(void)state;
	for (v = 0; v < 2 * LG_HIST_SUB; v++) {
		assert_int_equal(lg_hist_index(v), v);
		assert_int_equal(lg_hist_bucket_low((unsigned)v), v);
		assert_int_equal(lg_hist_bucket_high((unsigned)v), v);
	}
}

static void
test_bucket_boundaries(void **state)
{
	unsigned i;

	(void)state;
	/* contiguous: each bucket starts right after the previous one ends */
	for (i = 1; i < LG_HIST_BUCKETS; i++)
		assert_true(lg_hist_bucket_low(i) == lg_hist_bucket_high(i - 1) + 1);
	assert_true(lg_hist_bucket_high(LG_HIST_BUCKETS - 1) == UINT64_MAX);
	/* both ends of every bucket map back to it, and the values around them do not */
	for (i = 0; i < LG_HIST_BUCKETS; i++) {
		uint64_t lo = lg_hist_bucket_low(i), hi = lg_hist_bucket_high(i);

		assert_int_equal(lg_hist_index(lo), i);
		assert_int_equal(lg_hist_index(hi), i);
		if (i > 0)
			assert_int_equal(lg_hist_index(lo - 1), i - 1);
		if (i + 1 < LG_HIST_BUCKETS)
			assert_int_equal(lg_hist_index(hi + 1), i + 1);
		/* relative width: at most 1 / LG_HIST_SUB of the bucket's low end */
		if (lo >= 2 * LG_HIST_SUB)
			assert_true((hi - lo + 1) * LG_HIST_SUB <= lo);
	}
	/* the first log bucket: 2 * SUB .. 2 * SUB + 1 (width 2) */
	assert_int_equal(lg_hist_index(2 * LG_HIST_SUB), 2 * LG_HIST_SUB);
	assert_int_equal(lg_hist_index(2 * LG_HIST_SUB + 1), 2 * LG_HIST_SUB);
	assert_int_equal(lg_hist_index(2 * LG_HIST_SUB + 2), 2 * LG_HIST_SUB + 1);
	assert_int_equal(lg_hist_index(UINT64_MAX), LG_HIST_BUCKETS - 1);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The reference: the ceil(pct / 100 * n)-th smallest value. */
static uint64_t
ref_pct(const uint64_t *sorted, size_t n, double pct)
{
	size_t rank = (size_t)ceil(pct / 100.0 * (double)n);

	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

static void
check_against_reference(uint64_t *vals, size_t n)
{
	static const double pcts[] = {0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};
	unsigned i;
	size_t j;

	lg_hist_reset(&h);
	for (j = 0; j < n; j++)
		lg_hist_record(&h, vals[j]);
	qsort(vals, n, sizeof(vals[0]), cmp_u64);
	assert_int_equal(h.count, n);
	assert_true(h.min == vals[0]);
	assert_true(h.max == vals[n - 1]);
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		uint64_t want = ref_pct(vals, n, pcts[i]);
		uint64_t got = lg_hist_percentile(&h, pcts[i]);

		/* same bucket as the reference, reported at its high end (capped at max) */
		assert_true(got >= want);
		assert_int_equal(lg_hist_index(got), lg_hist_index(want));
		if (want < 2 * LG_HIST_SUB)
			assert_true(got == want);
		else
			assert_true((got - want) * LG_HIST_SUB <= want);
	}
	assert_true(lg_hist_percentile(&h, 100) == vals[n - 1]);
}

static uint64_t rng = 88172645463325252ull;

static uint64_t
xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
test_percentiles_uniform(void **state)
{
	static uint64_t vals[100000];
	size_t j;

	(void)state;
	for (j = 0; j < 100000; j++)
		vals[j] = 1000 + xorshift() % 100000; /* 1k..101k cycles */
	check_against_reference(vals, 100000);
}

static void
test_percentiles_long_tail(void **state)
{
	static uint64_t vals[50000];
	size_t j;

	(void)state;
	/* latency-like: most small, a tail over six orders of magnitude */
	for (j = 0; j < 50000; j++) {
		uint64_t r = xorshift();

		vals[j] = (r % 1000 == 0) ? (r >> 20) % 100000000000ull : 5000 + (r >> 40) % 3000;
	}
	check_against_reference(vals, 50000);
}

static void
test_percentiles_small_and_few(void **state)
{
	uint64_t one[1] = {42}, few[5] = {3, 300, 7, 255, 256}, big[3] = {UINT64_MAX, 1, 1u << 31};

	(void)state;
	check_against_reference(one, 1);
	check_against_reference(few, 5);
	check_against_reference(big, 3);
	/* p50 of {3, 7, 255, 256, 300}: the 3rd value, 255, exact (below 2 * SUB) */
	lg_hist_reset(&h);
	lg_hist_record(&h, 3);
	lg_hist_record(&h, 7);
	lg_hist_record(&h, 255);
	lg_hist_record(&h, 256);
	lg_hist_record(&h, 300);
	assert_int_equal(lg_hist_percentile(&h, 50), 255);
	assert_int_equal(lg_hist_percentile(&h, 60), 255);
	assert_int_equal(lg_hist_percentile(&h, 61), 257); /* 256's bucket is 256..257 */
	assert_int_equal(lg_hist_percentile(&h, 100), 300);
}

static void
test_empty_and_merge(void **state)
{
	(void)state;
	lg_hist_reset(&h);
	assert_int_equal(lg_hist_percentile(&h, 50), 0);
	assert_int_equal(lg_hist_percentile(&h, 100), 0);
	lg_hist_reset(&h2);
	lg_hist_record(&h, 10);
	lg_hist_record(&h2, 1000000);
	lg_hist_record(&h2, 20);
	lg_hist_merge(&h, &h2);
	assert_int_equal(h.count, 3);
	assert_int_equal(h.min, 10);
	assert_int_equal(h.max, 1000000);
	assert_int_equal(h.sum, 1000030);
	assert_int_equal(lg_hist_percentile(&h, 50), 20);
	assert_int_equal(lg_hist_percentile(&h, 100), 1000000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_bucket_boundaries),
		cmocka_unit_test(test_percentiles_uniform),
		cmocka_unit_test(test_percentiles_long_tail),
		cmocka_unit_test(test_percentiles_small_and_few),
		cmocka_unit_test(test_empty_and_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
