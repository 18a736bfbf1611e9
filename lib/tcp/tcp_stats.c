/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter names (from the X-macro lists of fo_tcp.h) and aggregation.
 */
#include "fo_tcp.h"

const char *const fo_tcp_drop_names[FO_TCP_DROP_MAX] = {FO_TCP_DROPS(FO_XSTR_NAME)};

const char *const fo_tcp_stats_names[FO_TCP_STATS_N_PLAIN] = {FO_TCP_COUNTERS(FO_XSTR_NAME)};

void
fo_tcp_stats_add(struct fo_tcp_stats *dst, const struct fo_tcp_stats *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;
	unsigned i;

	/* the struct is nothing but uint64_t counters and gauges */
	for (i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] += s[i];
}
