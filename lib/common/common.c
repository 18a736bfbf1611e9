/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>

#include "fo_common.h"

int fo_logtype = RTE_LOGTYPE_USER1;

RTE_INIT(fo_log_init)
{
	int t = rte_log_register_type_and_pick_level("fanout", RTE_LOG_INFO);

	if (t >= 0)
		fo_logtype = t;
}

unsigned
fo_counters_print(FILE *f, const char *prefix, const char *const *names, const uint64_t *vals,
	unsigned n, int all)
{
	unsigned i, printed = 0;

	for (i = 0; i < n; i++) {
		if (!all && vals[i] == 0)
			continue;
		fprintf(f, "%s%s %" PRIu64 "\n", prefix, names[i], vals[i]);
		printed++;
	}
	return printed;
}
