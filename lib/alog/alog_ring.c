/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers' side: SPSC rings of access log entries in plain memory, the
 * non-blocking push, and the per-route counters a worker bumps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>

#include "fo_alog.h"

const double fo_alog_lat_bounds[FO_ALOG_LAT_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const double fo_alog_size_bounds[FO_ALOG_SIZE_BUCKETS] = {
	10, 100, 1000, 10000, 100000, 1000000, 10000000};

/* the same bounds in integers, for the worker (microseconds, bytes) */
static const uint64_t lat_us[FO_ALOG_LAT_BUCKETS] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
static const uint64_t size_b[FO_ALOG_SIZE_BUCKETS] = {
	10, 100, 1000, 10000, 100000, 1000000, 10000000};

struct rte_ring *
fo_alog_ring_create(const char *name, unsigned count)
{
	unsigned n = 16;
	ssize_t size;
	struct rte_ring *r;

	if (count > (1u << 20)) {
		errno = EINVAL;
		return NULL;
	}
	while (n < count)
		n <<= 1;
	size = rte_ring_get_memsize_elem(sizeof(struct fo_alog_entry), n);
	if (size < 0) {
		errno = EINVAL;
		return NULL;
	}
	r = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL((size_t)size, RTE_CACHE_LINE_SIZE));
	if (r == NULL)
		return NULL;
	if (rte_ring_init(r, name, n, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		free(r);
		errno = EINVAL;
		return NULL;
	}
	return r;
}

void
fo_alog_ring_free(struct rte_ring *r)
{
	free(r);
}

int
fo_alog_push(struct rte_ring *r, const struct fo_alog_entry *e, struct fo_alog_push_stats *st)
{
	struct rte_ring_zc_data zc;

	/* zero-copy: one memcpy of the entry into its slot (rte_ring's own
	 * element copy loops 16 bytes at a time: 8x the instructions) */
	if (rte_ring_enqueue_zc_burst_elem_start(r, sizeof(*e), 1, &zc, NULL) != 1) {
		st->dropped++;
		return -ENOBUFS;
	}
	memcpy(zc.ptr1, e, sizeof(*e)); /* one element: never split at the ring's end */
	/* the tail moves with release ordering: the consumer sees the whole entry */
	rte_ring_enqueue_zc_elem_finish(r, 1);
	st->pushed++;
	return 0;
}

static unsigned
bucket(const uint64_t *bounds, unsigned n, uint64_t v)
{
	unsigned i;

	for (i = 0; i < n && v > bounds[i]; i++)
		;
	return i;
}

void
fo_alog_rstats_count(struct fo_alog_rstats *r, unsigned status, uint64_t us, uint64_t up_us,
	uint64_t req_bytes, uint64_t resp_bytes)
{
	unsigned c = status >= 100 && status < 600 ? status / 100 : 0, b;

	r->requests[c]++;
	b = bucket(lat_us, FO_ALOG_LAT_BUCKETS, us);
	if (b < FO_ALOG_LAT_BUCKETS)
		r->lat[b]++;
	r->lat_count++;
	r->lat_sum_us += us;
	if (up_us != UINT64_MAX) {
		b = bucket(lat_us, FO_ALOG_LAT_BUCKETS, up_us);
		if (b < FO_ALOG_LAT_BUCKETS)
			r->up_lat[b]++;
		r->up_lat_count++;
		r->up_lat_sum_us += up_us;
	}
	b = bucket(size_b, FO_ALOG_SIZE_BUCKETS, req_bytes);
	if (b < FO_ALOG_SIZE_BUCKETS)
		r->req_size[b]++;
	r->req_bytes += req_bytes;
	b = bucket(size_b, FO_ALOG_SIZE_BUCKETS, resp_bytes);
	if (b < FO_ALOG_SIZE_BUCKETS)
		r->resp_size[b]++;
	r->resp_bytes += resp_bytes;
}

#define RSTATS_WORDS (sizeof(struct fo_alog_rstats) / sizeof(uint64_t))

void
fo_alog_rstats_add(struct fo_alog_rstats *dst, const struct fo_alog_rstats *src)
{
	uint64_t *d = (uint64_t *)dst;
	const volatile uint64_t *s = (const volatile uint64_t *)src;
	size_t i;

	for (i = 0; i < RSTATS_WORDS; i++)
		d[i] += s[i];
}

void
fo_alog_rstats_sub(struct fo_alog_rstats *dst, const struct fo_alog_rstats *src)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;
	size_t i;

	for (i = 0; i < RSTATS_WORDS; i++)
		d[i] = d[i] > s[i] ? d[i] - s[i] : 0;
}
