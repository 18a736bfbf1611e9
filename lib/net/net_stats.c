/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter names (telemetry/statistics labels) and totals.
 */
#include <stddef.h>

#include "fo_net.h"

const char *const fo_net_drop_names[FO_NET_DROP_MAX] = {FO_NET_DROPS(FO_XSTR_NAME)};

const char *const fo_net_stats_names[FO_NET_STATS_N_PLAIN] = {FO_NET_COUNTERS(FO_XSTR_NAME)};

/* the plain counters are read as an array of FO_NET_STATS_N_PLAIN, then drop[] */
_Static_assert(offsetof(struct fo_net_stats, drop) == FO_NET_STATS_N_PLAIN * sizeof(uint64_t),
	"fo_net_stats: plain counters and their names out of step");
_Static_assert(
	sizeof(struct fo_net_stats) == (FO_NET_STATS_N_PLAIN + FO_NET_DROP_MAX) * sizeof(uint64_t),
	"fo_net_stats must be an array of uint64_t");

void
fo_net_stats_add(struct fo_net_stats *dst, const struct fo_net_stats *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;
	size_t i;

	for (i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] += s[i];
}
