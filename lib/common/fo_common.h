/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * fanout common definitions: limits shared by every library, logging,
 * TSC helpers and the counter-name tables used for drop reasons.
 *
 * Nothing here needs EAL to be initialised: unit tests include it freely.
 */
#ifndef FO_COMMON_H
#define FO_COMMON_H

#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_branch_prediction.h>
#include <rte_log.h>

/** Most ports fanout drives (one interface block per port). */
#define FO_MAX_PORTS 8
/** Most worker lcores. Per-pair SPSC rings are allocated for this many. */
#define FO_MAX_WORKERS 16
/** Packets per rx/tx burst. */
#define FO_BURST 32

/** Log type registered for fanout (RTE_LOGTYPE_USER1 until registered). */
extern int fo_logtype;

/**
 * Log through DPDK's logging so --log-level applies:
 * FO_LOG(ERR, "port %u: %s\n", port, strerror(-rc)).
 */
#define FO_LOG(level, ...) rte_log(RTE_LOG_##level, fo_logtype, "fanout: " __VA_ARGS__)

/** Count of elements in a fixed array. */
#define FO_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/**
 * Stringify an X-macro list of counter names into a table of strings.
 * Used for drop reasons: the enum and the names come from one list, so
 * a reason can never lack a name (names double as telemetry labels).
 */
#define FO_XSTR_ENUM(name, descr) name,
#define FO_XSTR_NAME(name, descr) #name,

/**
 * Convert milliseconds to TSC cycles at @p hz.
 *
 * @return cycles.
 */
static inline uint64_t
fo_ms_to_tsc(uint64_t ms, uint64_t hz)
{
	return ms * hz / 1000;
}

/**
 * Print "name value" pairs of a counter array, skipping zeros unless @p all.
 *
 * @return number of lines printed.
 */
unsigned fo_counters_print(FILE *f, const char *prefix, const char *const *names,
	const uint64_t *vals, unsigned n, int all);

#endif /* FO_COMMON_H */
