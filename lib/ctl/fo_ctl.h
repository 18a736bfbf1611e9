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
 * - The control socket (ctl_sock.c): what `fanoutctl` talks to, a Unix
 *   socket the control thread polls (status, reload, upstreams, drain...),
 *   next to DPDK's telemetry socket.
 *
 * Everything here runs on the control thread only (one writer); nothing
 * here is called by a worker.
 */
#ifndef FO_CTL_H
#define FO_CTL_H

#include <stddef.h>
#include <stdint.h>

#include <rte_rcu_qsbr.h>

#include "fo_conf.h"

/** An object waiting for its grace period. */
struct fo_ctl_retired {
	uint64_t token;            /**< rte_rcu_qsbr_start() after it was unpublished */
	void *obj;
	void (*free_fn)(void *obj);
	/** NULL, or nonzero while workers still hold @p obj past their loop
	 *  (requests in flight on an old snapshot): freed only once it says 0 */
	int (*busy_fn)(const void *obj);
};

/** Objects retired by the control thread, freed after their grace period. */
struct fo_ctl_retire {
	struct rte_rcu_qsbr *qsbr;
	struct fo_ctl_retired *items; /**< oldest first */
	unsigned n, cap;
	uint64_t retired; /**< objects handed to fo_ctl_publish() as old */
	uint64_t freed;   /**< of those, freed */
	uint64_t waited;  /**< times the list was full and the control thread waited */
	uint64_t grown;   /**< times the list was full of busy objects and grew */
	/** the control thread's own reader id when it is also a registered
	 *  reader (single lcore: it runs worker 0's loop), else
	 *  RTE_QSBR_THRID_INVALID: a wait then reports its own quiescence */
	unsigned self;
};

/**
 * Set up a retire list over @p qsbr (workers registered there report
 * quiescence once per loop) with room for @p cap objects in their grace
 * period. @p self: the calling thread's reader id on @p qsbr when it is
 * also a reader (the single-lcore case), else RTE_QSBR_THRID_INVALID.
 *
 * @return 0, -EINVAL (NULL qsbr, cap 0), -ENOMEM.
 */
int fo_ctl_retire_init(struct fo_ctl_retire *r, struct rte_rcu_qsbr *qsbr, unsigned cap,
	unsigned self);

/**
 * Publish @p obj in *@p slot (release store: a worker that loads the
 * pointer with acquire ordering sees the object fully built) and retire
 * what was there: it is freed with @p free_fn once every worker has been
 * quiescent since this call and @p busy_fn (when not NULL) says no worker
 * holds it any more. A NULL old pointer is not retired. When the list is
 * full, objects that can go are freed first, and if none can, the control
 * thread waits for the grace periods (rte_rcu_qsbr_synchronize(), which
 * reports the caller's own quiescence when it is a reader, see
 * fo_ctl_retire_init()) and, if they are all still busy, lets the list
 * grow.
 *
 * @return 0, -EINVAL, -ENOMEM (the list could not grow: @p obj is
 *         published, the old object is leaked rather than freed early).
 */
int fo_ctl_publish(struct fo_ctl_retire *r, void **slot, void *obj, void (*free_fn)(void *obj),
	int (*busy_fn)(const void *obj));

/**
 * Free the retired objects whose grace period is over and that no worker
 * holds (busy_fn), oldest first; never waits. Call every control tick.
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

/* ---- the control socket (ctl_sock.c) ---- */

/** A reply being written (grown with fo_ctl_printf()). */
struct fo_ctl_out {
	char *buf;
	size_t len, cap;
	int truncated; /**< the reply hit its 4 MiB bound */
};

/**
 * Append to a reply, printf-style.
 *
 * @return bytes appended, -ENOSPC (the reply is at its bound: truncated),
 *         -ENOMEM, -EINVAL.
 */
int fo_ctl_printf(struct fo_ctl_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * A command handler: @p argv[0] is the command, @p json is 1 when the
 * client asked for JSON (--json). It writes its reply text to @p out.
 *
 * @return the reply status: 0 success, 1 failure (the text says why), 2
 *         bad usage (the command's usage line is appended).
 */
typedef int (*fo_ctl_cmd_fn)(void *arg, int argc, char **argv, int json,
	struct fo_ctl_out *out);

/** One command of the control socket. */
struct fo_ctl_cmd {
	const char *name;  /**< first word of the request */
	const char *usage; /**< e.g. "drain ADDR:PORT" */
	const char *help;  /**< one line */
	fo_ctl_cmd_fn fn;
};

struct fo_ctl_sock;

/**
 * Listen on the Unix socket @p path (SOCK_SEQPACKET; a stale file there is
 * replaced). Each client sends one request, "CMD [ARG...]" (--json
 * anywhere: JSON reply), and gets one reply message, "<status>\n<text>",
 * then the connection closes. A client silent for @p timeout_ms (0: 5 s)
 * is dropped.
 *
 * @return the socket, or NULL (errno).
 */
struct fo_ctl_sock *fo_ctl_sock_open(const char *path, const struct fo_ctl_cmd *cmds,
	unsigned n_cmds, void *arg, uint32_t timeout_ms);

/**
 * Accept clients and answer those whose request has arrived; never blocks.
 * Call every control tick.
 *
 * @return requests answered.
 */
unsigned fo_ctl_sock_poll(struct fo_ctl_sock *s);

/** Close the socket and remove its file. NULL is a no-op. */
void fo_ctl_sock_close(struct fo_ctl_sock *s);

#endif /* FO_CTL_H */
