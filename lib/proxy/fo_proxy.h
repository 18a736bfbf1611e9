/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * fanout proxy: the HTTP/1.1 reverse proxy of one worker, on lib/tcp
 * (connections), lib/http (parsing, framing, head writers) and lib/route
 * (Hyperscan + PCRE2 routing with rewrite).
 *
 * One struct fo_proxy_worker per worker lcore, share-nothing: its
 * listeners (one fo_tcp_listen() per `listen ... http` directive), its
 * client sessions, its upstream connections and their keep-alive pools
 * (per server), its round-robin positions, its timer wheel, its scratch
 * buffers and its counters. Everything is allocated by
 * fo_proxy_worker_create(); afterwards the only allocations are mbufs.
 *
 * A client connection is a session. Requests are parsed incrementally
 * over the mbufs lib/tcp hands out (zero-copy when the head lies in one
 * segment), routed, and forwarded on a pooled or fresh upstream connection
 * with their rewritten head; bodies (chunked ones re-framed with chunk
 * lines of fanout's, see px_body_rechunk()) are streamed both ways with
 * backpressure (a peer that does not read stops the other side's reads:
 * nothing is buffered without bound). Pipelined requests are processed one
 * after the other, so responses stay in order. After a 101 to an Upgrade
 * request the two connections are spliced as a raw tunnel.
 *
 * Routes, config and endpoints are read through an immutable snapshot
 * (struct fo_proxy_snapshot) that the control thread publishes by pointer
 * swap; a worker adopts the published one (acquire) at the start of each
 * fo_proxy_poll(), and each request keeps the one it started with.
 */
#ifndef FO_PROXY_H
#define FO_PROXY_H

#include <stdint.h>

#include "fo_conf.h"
#include "fo_http.h"
#include "fo_net.h"
#include "fo_route.h"
#include "fo_tcp.h"

struct rte_mempool;
struct fo_proxy_worker;

/**
 * Counters, X(name, description); printed as proxy.<name>, telemetry
 * labels. All are per-worker uint64_t written by the owning worker only.
 */
#define FO_PROXY_COUNTERS(X)                                                                       \
	X(accepted, "client connections accepted")                                                 \
	X(refused_nostate, "client connections reset: no session left (max_sessions)")             \
	X(requests, "request heads parsed completely")                                             \
	X(requests_keepalive, "requests on a client connection that served one before")            \
	X(requests_pipelined, "requests whose head was already buffered behind the previous one")  \
	X(responses_1xx, "1xx interim responses forwarded (100 Continue made by fanout included)") \
	X(responses_2xx, "responses to clients with a 2xx status")                                 \
	X(responses_3xx, "responses to clients with a 3xx status")                                 \
	X(responses_4xx, "responses to clients with a 4xx status")                                 \
	X(responses_5xx, "responses to clients with a 5xx status")                                 \
	X(gen_400, "400 made by fanout (malformed request)")                                       \
	X(gen_404, "404 made by fanout (no route)")                                                \
	X(gen_405, "405 made by fanout (CONNECT)")                                                 \
	X(gen_408, "408 made by fanout (client header or body timeout)")                           \
	X(gen_413, "413 made by fanout (body larger than client_max_body_size)")                   \
	X(gen_414, "414 made by fanout (request line or rewritten path too long)")                 \
	X(gen_417, "417 made by fanout (Expect other than 100-continue)")                          \
	X(gen_431, "431 made by fanout (header section too large)")                                \
	X(gen_500, "500 made by fanout (internal: out of mbufs, head too large)")                  \
	X(gen_501, "501 made by fanout (transfer coding other than chunked)")                      \
	X(gen_502, "502 made by fanout (upstream refused, reset, closed or answered garbage)")     \
	X(gen_503, "503 made by fanout (upstream without server, no connection left)")             \
	X(gen_504, "504 made by fanout (upstream connect or read timeout)")                        \
	X(gen_505, "505 made by fanout (HTTP version not supported)")                              \
	X(continue_sent, "100 Continue sent by fanout for Expect: 100-continue")                   \
	X(upstream_connects, "upstream connections opened (fo_tcp_connect)")                       \
	X(upstream_connected, "upstream connections established")                                  \
	X(upstream_reuses, "requests sent on a pooled keep-alive upstream connection")             \
	X(upstream_retries, "requests retried on another connection or server")                    \
	X(upstream_connect_failed, "upstream connections refused, unreachable or not opened")      \
	X(upstream_unresolved, "server choices passed over: its next hop did not answer ARP")     \
	X(snapshots_adopted, "snapshots (config generations) this worker switched to")          \
	X(upstream_ejections, "servers taken out of rotation after max_fails failures")         \
	X(upstream_ejected_skips, "server choices passed over: the server was ejected")        \
	X(upstream_drained_skips, "server choices passed over: the server is drained")         \
	X(retries_budget_exhausted, "retries not made: over the budget (20% of requests + 3/s)")\
	X(servers_full, "endpoints not tracked: the worker's endpoint table was full (503)")    \
	X(upstream_timeouts, "upstream connect, read or send timeouts")                            \
	X(upstream_resets, "upstream connections reset or closed before the response ended")       \
	X(upstream_bad_response, "upstream responses that failed to parse (502)")                  \
	X(upstream_pooled, "upstream connections put back in the idle pool")                       \
	X(upstream_idle_closed, "idle pooled connections closed (timeout, peer close, data)")      \
	X(client_timeouts, "client header, body, idle-with-data or send timeouts")                 \
	X(client_idle_closed, "idle client connections closed (keepalive_timeout, EOF)")           \
	X(client_aborts, "client connections reset by fanout (response already started)")          \
	X(client_resets, "client connections reset or timed out by the peer / TCP")                \
	X(tunnels, "connections spliced after 101 Switching Protocols")                            \
	X(bytes_client_in, "bytes read from clients")                                              \
	X(bytes_client_out, "bytes queued to clients (heads and bodies)")                          \
	X(bytes_upstream_in, "bytes read from upstreams")                                          \
	X(bytes_upstream_out, "bytes queued to upstreams (heads and bodies)")                      \
	X(nombuf, "mbuf allocations that failed (500 or abort)")                                 \
	X(underscore_headers_dropped, "request header fields with '_' in the name not forwarded "    \
				      "(underscores_in_headers off)")                      \
	X(upgrade_refused, "Upgrade requests served as plain HTTP/1.1: a protocol not in the "     \
			   "route's allow_upgrade, or HTTP/1.0")

#define FO_PROXY_STAT_FIELD(name, descr) uint64_t name;
#define FO_PROXY_STAT_ONE(name, descr) +1

/** Per-worker proxy counters (one writer: the owning worker). */
struct fo_proxy_stats {
	FO_PROXY_COUNTERS(FO_PROXY_STAT_FIELD)
	uint64_t parse_err[FO_HTTP_E_MAX]; /**< request parse errors by enum fo_http_err */
	uint64_t sessions;                 /**< gauge: client sessions in use */
	uint64_t upstream_busy;            /**< gauge: upstream connections serving a request */
	uint64_t upstream_idle;            /**< gauge: upstream connections in the idle pools */
};

#define FO_PROXY_STATS_N_PLAIN (0 FO_PROXY_COUNTERS(FO_PROXY_STAT_ONE))
/** Names of the plain counters, in struct order. */
extern const char *const fo_proxy_stats_names[FO_PROXY_STATS_N_PLAIN];

struct px_view;

/**
 * What a request is served with: the config, its compiled routes, and one
 * view per worker (that worker's endpoints and round-robin positions for
 * this config). Built by the control thread with fo_proxy_snapshot_create()
 * and published by pointer swap (release); each worker adopts the
 * published one at the start of its next fo_proxy_poll() and serves every
 * request that starts afterwards with it. A request keeps the snapshot it
 * started with to its end (a WebSocket tunnel, to its close), so the
 * control thread frees a retired snapshot only after a QSBR grace period
 * AND once fo_proxy_snapshot_busy() says no worker holds it.
 *
 * Pooled upstream connections belong to endpoints (address:port), not to
 * snapshots: a reload that keeps an endpoint keeps its pool; an endpoint a
 * new snapshot no longer lists has its idle connections closed at once and
 * its busy ones closed when their request ends.
 */
struct fo_proxy_snapshot {
	const struct fo_conf *conf;
	const struct fo_route_table *routes;
	uint64_t gen;           /**< generation, increasing with each publish */
	unsigned n_workers;
	/** per server of conf, flattened by upstream: 1 = drained (no new
	 *  request; its idle connections are closed, those in flight finish).
	 *  Filled from the servers' `drain` option by fo_proxy_snapshot_create();
	 *  the creator may set more before publishing (fanoutctl drain). */
	uint8_t *drained;
	struct px_view *views;  /**< [n_workers], private to lib/proxy */
	void *user;             /**< the creator's (e.g. what owns conf and routes) */
};

/**
 * Build a snapshot for @p n_workers workers over @p conf and @p routes
 * (compiled from a config whose routes and upstream order equal @p conf's;
 * both must outlive the snapshot). Control thread only: it allocates.
 *
 * @return the snapshot, or NULL (errno ENOMEM, EINVAL).
 */
struct fo_proxy_snapshot *fo_proxy_snapshot_create(const struct fo_conf *conf,
	const struct fo_route_table *routes, unsigned n_workers, uint64_t gen);

/**
 * Does a worker still hold @p snap (adopted it, and has not released it:
 * it is current there, or requests are in flight on it)? Read by the
 * control thread (acquire); only meaningful for a snapshot that is no
 * longer published and whose QSBR grace period is over.
 *
 * @return 1 held, 0 not.
 */
int fo_proxy_snapshot_busy(const struct fo_proxy_snapshot *snap);

/** Free a snapshot's own memory (not conf, routes or user). NULL is a no-op. */
void fo_proxy_snapshot_free(struct fo_proxy_snapshot *snap);

/**
 * max_sessions when the caller passes 0. The app passes half the TCP
 * connection limit (each proxied request holds a client and an upstream
 * connection), at most this many (a session is ~3.3 KiB, touched on first use).
 */
#define FO_PROXY_SESSIONS_CAP 16384

/**
 * Create a worker's proxy: sessions, upstream connection states, pools,
 * timer wheel (1 ms ticks from net->now), scratch buffers, route scratch,
 * and one fo_tcp_listen() per http listen directive.
 *
 * @param published    where the control thread publishes the snapshot to
 *                     serve (release store); holds one already. Loaded with
 *                     acquire at the start of every fo_proxy_poll().
 * @param tw           this worker's TCP stack.
 * @param net          this worker's lib/net state (clock, interfaces; the
 *                     next hops of upstream servers are resolved through it).
 * @param pool         mbufs for heads fanout writes and body splits.
 * @param worker_id    0..n_workers-1 (X-Request-ID uniqueness).
 * @param max_sessions client sessions to preallocate (0: default above).
 * @param socket       NUMA socket for the allocations.
 * @return the worker, or NULL (logged; errno ENOMEM, EINVAL, or the
 *         listen error).
 */
struct fo_proxy_worker *fo_proxy_worker_create(const struct fo_proxy_snapshot *const *published,
	struct fo_tcp_worker *tw, struct fo_net_worker *net, struct rte_mempool *pool,
	unsigned worker_id, unsigned max_sessions, int socket);

/**
 * Free a worker's proxy. Call after fo_tcp_worker_free() (no more TCP
 * callbacks); mbufs held by sessions are freed. NULL is a no-op.
 */
void fo_proxy_worker_free(struct fo_proxy_worker *pw);

/**
 * Run the proxy's timers (client header/body/idle/send timeouts, upstream
 * connect/read/send timeouts, idle pool expiry) at net->now. Call once per
 * poll-loop iteration, before fo_tcp_flush(). The first call resolves the
 * next hop of every upstream server (so the first requests do not wait for
 * ARP); then once a second servers whose next hop failed resolution are
 * asked again, and passed over by the balancer while other servers of
 * their upstream are fine.
 *
 * @return timers fired (0: nothing to do).
 */
unsigned fo_proxy_poll(struct fo_proxy_worker *pw);

/** This worker's counters. */
const struct fo_proxy_stats *fo_proxy_stats(const struct fo_proxy_worker *pw);

/** Add @p src's counters (and gauges) to @p dst. */
void fo_proxy_stats_add(struct fo_proxy_stats *dst, const struct fo_proxy_stats *src);

#endif /* FO_PROXY_H */
