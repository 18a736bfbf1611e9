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
 * - Backend health (ctl_health.c): the health registry (one slot per
 *   server identity, surviving reloads), the active-check and passive
 *   (outlier detection) state machines, and the health table the workers
 *   read (lib/proxy's FO_PROXY_HEALTH_* bits).
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
#include "fo_proxy.h"

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
 * Retire @p obj, already unpublished by the caller (its own release store
 * or exchange): freed by @p free_fn after the grace period that starts
 * now, and once @p busy_fn (may be NULL) says 0, as fo_ctl_publish() does
 * for the object it replaces. NULL @p obj is a no-op.
 *
 * @return 0, -EINVAL (NULL r or free_fn), -ENOMEM (the list could not grow).
 */
int fo_ctl_retire(struct fo_ctl_retire *r, void *obj, void (*free_fn)(void *obj),
	int (*busy_fn)(const void *obj));

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
	/** interfaces, listeners of the built-in services (echo, discard, source,
	 *  relay), the tcp block, metrics, access_log: not applied live (restart) */
	FO_CTL_DIFF_RESTART = 1u << 4,
	/** TLS directives (certificates, strict_sni, ssl_redirect, hsts, ticket
	 *  keys): new certificate contexts, built and published live */
	FO_CTL_DIFF_TLS = 1u << 5,
	/** http listeners (`listen A:P [tls] [passthrough];`) added, removed or
	 *  changed mode: each worker opens and closes its own when it adopts the
	 *  snapshot (new connections only) */
	FO_CTL_DIFF_LISTENERS = 1u << 6,
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

struct pollfd;

/**
 * The descriptors a control thread that sleeps in poll(2) waits on for
 * this socket (the listening one, and clients whose request has not
 * arrived), POLLIN, at most @p max. Call fo_ctl_sock_poll() when one is
 * readable (or a client's 5 s are over).
 *
 * @return how many were written to @p fds.
 */
unsigned fo_ctl_sock_pollfds(const struct fo_ctl_sock *s, struct pollfd *fds, unsigned max);

/** Close the socket and remove its file. NULL is a no-op. */
void fo_ctl_sock_close(struct fo_ctl_sock *s);


/* ---- backend health (ctl_health.c) ---- */

/*
 * The control thread owns backend health. Every server of every upstream a
 * published snapshot lists has a health slot, identified by (upstream name,
 * address, port) so that its state survives reloads; the slot's byte in the
 * health table carries FO_PROXY_HEALTH_DOWN (active checks) and
 * FO_PROXY_HEALTH_EJECTED (passive outlier detection), independently.
 * Workers read the table; only this module writes it, with relaxed byte
 * stores (one writer, byte-sized entries: a reader sees the old or the new
 * byte, and nothing else is published through it).
 *
 * Time is always given by the caller (monotonic milliseconds): the module
 * never reads a clock.
 */

/** Health parameters of one upstream (the app fills them from struct fo_conf_upstream). */
struct fo_ctl_health_params {
	/* active checks (check_enabled == 0: none) */
	int check_enabled;
	char path[256]; /**< request target ("" is sent as "/") */
	char host[129]; /**< Host header; "" = "A.B.C.D:PORT" of the server */
	uint32_t interval_ms; /**< from one check's send to the next one's */
	uint32_t timeout_ms;  /**< given to the worker (at most 65535: the probe's field) */
	uint16_t expect_lo, expect_hi; /**< statuses that pass, inclusive */
	uint32_t rise, fall; /**< passes that bring a DOWN server back; failures that take it down */
	/* passive (outlier detection) */
	uint32_t max_fails;            /**< consecutive failures that eject (0: never) */
	uint32_t fail_timeout_ms;      /**< first ejection's length; doubled per ejection in a
					*   row, at most 32x */
	uint32_t max_ejection_percent; /**< 0..100 of the upstream's servers ejected at once */
};

/** Most slots a registry can have. */
#define FO_CTL_HEALTH_CAP_MAX (UINT32_C(1) << 24)

struct fo_ctl_health;

/**
 * Create a health registry of @p cap slots (health table bytes). @p log
 * (may be NULL) gets one line per transition (DOWN, UP, ejected, back,
 * ejection refused), without a trailing newline, e.g. "upstream app: server
 * 198.18.0.12:8000 is DOWN: 3 checks failed in a row (last: connection
 * refused)".
 *
 * @return the registry, or NULL with errno EINVAL (cap 0 or above
 *         FO_CTL_HEALTH_CAP_MAX) or ENOMEM.
 */
struct fo_ctl_health *fo_ctl_health_create(uint32_t cap, void (*log)(void *arg, const char *line),
	void *arg);

/** Free the registry and its table (the workers must be done with it). NULL is a no-op. */
void fo_ctl_health_free(struct fo_ctl_health *h);

/** @return the table the workers read: cap bytes, stable for the registry's life. */
const uint8_t *fo_ctl_health_table(const struct fo_ctl_health *h);

/** @return the number of slots. */
uint32_t fo_ctl_health_cap(const struct fo_ctl_health *h);

/**
 * A snapshot being built lists server @p addr:@p port in upstream
 * @p upstream: find its slot (identity: upstream name, address, port) or
 * create it, and take one more reference. The upstream's params become
 * @p p (the newest config wins; a change of check_enabled or interval
 * reschedules the upstream's checks at once; checks turned off clear DOWN).
 * A new slot starts UP and not ejected (HAProxy's default), and when
 * checks are enabled its first check is due at once.
 *
 * @return the slot, or FO_PROXY_HSLOT_NONE when the table is full
 *         (stats slots_full) or on bad arguments or no memory for a new
 *         upstream's record (stats refs_failed).
 */
uint32_t fo_ctl_health_ref(struct fo_ctl_health *h, const char *upstream, rte_be32_t addr,
	uint16_t port, const struct fo_ctl_health_params *p, uint64_t now_ms);

/**
 * A snapshot that listed @p slot is freed: one reference less. At 0 the
 * slot is freed: its table byte cleared, its check and ejection dropped,
 * and it goes to the tail of the free list (slots are reused FIFO, so a
 * late observation about a freed slot most likely finds it still free).
 * FO_PROXY_HSLOT_NONE, a free slot and an out-of-range slot are no-ops.
 */
void fo_ctl_health_unref(struct fo_ctl_health *h, uint32_t slot);

/**
 * The occupant number of @p slot: it changes each time the slot is taken by
 * a server. A snapshot stores it next to the slot (fo_proxy_snapshot.hocc)
 * and workers send it with their passive reports (fo_proxy_obs.seq), so a
 * late report about a server that has left is not counted against the one
 * that took its slot.
 */
uint32_t fo_ctl_health_occupant(const struct fo_ctl_health *h, uint32_t slot);

/**
 * Find a slot by identity, without taking a reference (fanoutctl).
 *
 * @return the slot, or FO_PROXY_HSLOT_NONE when no snapshot lists it.
 */
uint32_t fo_ctl_health_find(const struct fo_ctl_health *h, const char *upstream, rte_be32_t addr,
	uint16_t port);

/**
 * Feed one observation from a worker's ring.
 *
 * - FO_PROXY_OBS_PROBE: the result of the check in flight. A status in
 *   [expect_lo, expect_hi] passes; any other status, or none (why CONNECT,
 *   RESET, TIMEOUT, BAD), fails; `fall` failures in a row set DOWN, `rise`
 *   passes in a row clear it (0 counts as 1). Status 0 with why NOSTATE
 *   (the worker could not run it) is not counted (checks_nostate). The
 *   next check is due interval_ms after this one was sent.
 * - CONNECT, RESET, TIMEOUT, BAD, STATUS (passive): when max_fails > 0,
 *   the worker's streak >= max_fails and the server is not ejected, it is
 *   ejected for fail_timeout_ms << min(ejections in a row, 5), unless
 *   (ejected + 1) * 100 > max_ejection_percent * servers of its upstream
 *   (ejections_refused: with less than 100 % a lone server is never
 *   ejected).
 * - OK: outside an ejection, the ejections in a row start again from 0.
 *
 * Observations of a free or out-of-range slot, or of an unknown kind, are
 * ignored (observations_ignored); a probe result whose seq is not the one
 * in flight is ignored (checks_stale).
 */
void fo_ctl_health_observe(struct fo_ctl_health *h, const struct fo_proxy_obs *o, uint64_t now_ms);

/**
 * Checks due at @p now_ms, earliest first, at most @p max, rendered into
 * @p out (slot, seq, addr, port, timeout_ms, req and req_len); each is
 * marked in flight and counted in checks_sent. Those beyond @p max stay
 * due for the next call. Runs the registry's timers first (as
 * fo_ctl_health_tick()).
 *
 * @return how many were written to @p out.
 */
unsigned fo_ctl_health_due(struct fo_ctl_health *h, uint64_t now_ms, struct fo_proxy_probe *out,
	unsigned max);

/**
 * A check returned by fo_ctl_health_due() that the caller could not hand
 * to any worker (probe ring full): it is not counted (checks_sent and the
 * slot's seq are taken back) and is due again at the next call. A probe
 * that is not the slot's check in flight is ignored.
 */
void fo_ctl_health_unsend(struct fo_ctl_health *h, const struct fo_proxy_probe *p);

/**
 * Run the timers: ejections whose time is over end (EJECTED cleared),
 * checks whose result did not come back within timeout_ms + 1 s fail
 * (checks_lost, why FO_PROXY_OBS_TIMEOUT: a worker may lose a check, e.g.
 * when it quits), checks that came due are queued for
 * fo_ctl_health_due(). Call every control tick (about 1-10 ms).
 */
void fo_ctl_health_tick(struct fo_ctl_health *h, uint64_t now_ms);

/**
 * When the health state machines next have something to do (a check due,
 * a check lost, an ejection ending), in ms on the callers' clock: @p now_ms
 * or later; UINT64_MAX when nothing is pending. The control thread may
 * sleep until then (observations from the workers wake it up earlier).
 */
uint64_t fo_ctl_health_next(const struct fo_ctl_health *h, uint64_t now_ms);

/** One slot as fanoutctl upstreams shows it (fo_ctl_health_info()). */
struct fo_ctl_health_info {
	uint8_t state;          /**< FO_PROXY_HEALTH_* bits as published */
	uint32_t refs;          /**< snapshots listing it */
	uint64_t checks;        /**< active checks concluded (a result, or lost) */
	uint64_t checks_failed; /**< of those, failed (lost ones included) */
	uint16_t last_status;   /**< last check's HTTP status; 0: none, or failed before a response */
	uint8_t last_why;       /**< FO_PROXY_OBS_* of the last failed check; 0 */
	uint32_t passes, fails; /**< current streaks of active checks (one of them is 0) */
	uint64_t ejections;     /**< passive ejections of this slot */
	uint64_t ejected_ms_left; /**< 0 when not ejected */
	uint64_t failures;      /**< passive failures observed */
};

/**
 * Describe slot @p slot at @p now_ms.
 *
 * @return 0, -EINVAL (NULL argument), -ENOENT (slot free or out of range).
 */
int fo_ctl_health_info(const struct fo_ctl_health *h, uint32_t slot, uint64_t now_ms,
	struct fo_ctl_health_info *out);

/**
 * Totals for fanout's statistics and fanoutctl. Active checks: checks_sent
 * = checks_ok + checks_failed + checks_nostate + those in flight (or
 * dropped with their slot); checks_lost are part of checks_failed;
 * checks_stale are late results of checks already concluded.
 */
struct fo_ctl_health_stats {
	uint64_t checks_sent, checks_ok, checks_failed, checks_lost, checks_nostate, checks_stale;
	uint64_t went_down, went_up; /**< active transitions (checks turned off count as up) */
	uint64_t ejections, ejections_ended;
	uint64_t ejections_refused; /**< over max_ejection_percent */
	uint64_t observations;      /**< all fed to fo_ctl_health_observe() */
	uint64_t failures_observed; /**< passive failures (CONNECT, RESET, TIMEOUT, BAD, STATUS) */
	uint64_t observations_ignored; /**< free or out-of-range slot, unknown kind */
	uint64_t observations_stale;   /**< passive reports about an earlier occupant of the slot */
	uint64_t slots_used;        /**< gauge */
	uint64_t slots_full;        /**< refs refused: no free slot */
	uint64_t refs_failed;       /**< refs refused: bad arguments, no memory */
};

/** @return the totals (valid for the registry's life, updated in place). */
const struct fo_ctl_health_stats *fo_ctl_health_stats(const struct fo_ctl_health *h);

#endif /* FO_CTL_H */
