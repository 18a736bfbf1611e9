/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * fanout control plane: what the control thread does so that the workers
 * can go on serving, lock-free, while the configuration changes.
 *
 * - Publish and retire (ctl_retire.c): the control thread publishes an
 *   immutable object (a snapshot of routes and endpoints) by pointer swap
 *   with release ordering; workers load it with acquire ordering and hold
 *   it only within one poll-loop iteration; the old object is freed once
 *   every worker has reported a quiescent state after the swap (DPDK's
 *   rte_rcu_qsbr: workers call rte_rcu_qsbr_quiescent() once per loop).
 *   Never blocks unless the retire list is full.
 * - Config diff (ctl_diff.c): what changed between two validated configs,
 *   so that an endpoint-only change republishes the endpoint tables without
 *   recompiling routes, and a change that cannot be applied live (ports,
 *   addresses, TCP limits) is reported instead.
 *
 * Everything here runs on the control thread only (one writer); nothing
 * here is called by a worker.
 */
#ifndef FO_CTL_H
#define FO_CTL_H

#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "fo_conf.h"

/** An object waiting for its grace period. */
struct fo_ctl_retired {
	uint64_t token;            /**< rte_rcu_qsbr_start() after it was unpublished */
	void *obj;
	void (*free_fn)(void *obj);
};

/** Objects retired by the control thread, freed after their grace period. */
struct fo_ctl_retire {
	struct rte_rcu_qsbr *qsbr;
	struct fo_ctl_retired *items; /**< oldest first */
	unsigned n, cap;
	uint64_t retired; /**< objects handed to fo_ctl_publish() as old */
	uint64_t freed;   /**< of those, freed */
	uint64_t waited;  /**< times the list was full and the control thread waited */
};

/**
 * Set up a retire list over @p qsbr (workers registered there report
 * quiescence once per loop) with room for @p cap objects in their grace
 * period.
 *
 * @return 0, -EINVAL (NULL qsbr, cap 0), -ENOMEM.
 */
int fo_ctl_retire_init(struct fo_ctl_retire *r, struct rte_rcu_qsbr *qsbr, unsigned cap);

/**
 * Publish @p obj in *@p slot (release store: a worker that loads the
 * pointer with acquire ordering sees the object fully built) and retire
 * what was there: it is freed with @p free_fn once every worker has been
 * quiescent since this call. A NULL old pointer is not retired. When the
 * list is full, objects whose grace period is over are freed first, and if
 * none is, the control thread waits for the oldest one
 * (rte_rcu_qsbr_synchronize()): never call this from a registered reader
 * thread other than through the single-lcore control path, which reports
 * its own quiescence first.
 *
 * @return 0, or -EINVAL.
 */
int fo_ctl_publish(struct fo_ctl_retire *r, void **slot, void *obj, void (*free_fn)(void *obj));

/**
 * Free the retired objects whose grace period is over, oldest first;
 * never waits. Call every control tick.
 *
 * @return objects freed.
 */
unsigned fo_ctl_reclaim(struct fo_ctl_retire *r);

/**
 * Wait for every grace period and free everything retired (shutdown, with
 * the workers stopped or still reporting), then release the list.
 */
void fo_ctl_retire_fini(struct fo_ctl_retire *r);

/** What differs between two configs (fo_ctl_conf_diff()). */
enum fo_ctl_diff {
	FO_CTL_DIFF_NONE = 0,
	/** server lists (addresses, ports, weights) of existing upstreams */
	FO_CTL_DIFF_ENDPOINTS = 1u << 0,
	/** upstream tuning: timeouts, syn_rto, keep-alive pool */
	FO_CTL_DIFF_UPSTREAM_PARAMS = 1u << 1,
	/** the http block (client-side timeouts and limits) */
	FO_CTL_DIFF_HTTP = 1u << 2,
	/** routes, or the set or order of upstreams they name: recompile */
	FO_CTL_DIFF_ROUTES = 1u << 3,
	/** interfaces, listeners, the tcp block: not applied live (restart) */
	FO_CTL_DIFF_RESTART = 1u << 4,
};

/**
 * Compare two validated configs.
 *
 * @return a mask of enum fo_ctl_diff; FO_CTL_DIFF_NONE when they serve
 *         the same (locations and comments are not compared).
 */
unsigned fo_ctl_conf_diff(const struct fo_conf *old_conf, const struct fo_conf *new_conf);

/**
 * Describe a diff mask for a log line: "endpoints, routes" (or "nothing").
 *
 * @return @p buf.
 */
const char *fo_ctl_diff_str(unsigned diff, char *buf, size_t len);

#endif /* FO_CTL_H */
