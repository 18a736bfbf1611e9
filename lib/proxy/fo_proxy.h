/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * fanout proxy: the HTTP/1.1 reverse proxy of one worker, on lib/tcp
 * (connections), lib/http (parsing, framing, head writers) and lib/route
 * (Hyperscan + PCRE2 routing with rewrite).
 *
 * One struct fo_proxy_worker per worker lcore, share-nothing: its
 * listeners (one fo_tcp_listen() per `listen ... http` directive; a
 * snapshot with another config opens, closes and re-modes them when the
 * worker adopts it: new connections only), its
 * client sessions, its upstream connections and their keep-alive pools
 * (per server), its balancer state, its timer wheel, its scratch
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
 * On `listen ... passthrough;` listeners no HTTP is spoken: the client's
 * ClientHello is read (not answered), its server name selects an upstream
 * (`passthrough NAME { upstream U; }`, in the snapshot), and the
 * connection is spliced to one of its servers, TLS and all.
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
	X(refused_closed, "client handshakes completed on a listener a reload removed (reset)")  \
	X(listen_changes, "listeners opened, closed or changed mode by a reload")                  \
	X(listen_failed, "listeners a reload added that could not open (full table: see log)")    \
	X(requests, "request heads parsed completely")                                             \
	X(requests_keepalive, "requests on a client connection that served one before")            \
	X(requests_pipelined, "requests whose head was already buffered behind the previous one")  \
	X(responses_1xx, "1xx interim responses forwarded (100 Continue made by fanout included)") \
	X(responses_2xx, "responses to clients with a 2xx status")                                 \
	X(responses_3xx, "responses to clients with a 3xx status")                                 \
	X(responses_4xx, "responses to clients with a 4xx status")                                 \
	X(responses_5xx, "responses to clients with a 5xx status")                                 \
	X(responses_as_received, "final responses sent on in the buffer they came in, head "        \
				 "unchanged and body whole (no copy)")                              \
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
	X(gen_redirect, "redirects made by fanout (return, redirect, app_root, slash_redirect)")  \
	X(gen_healthz, "200 made by fanout for /healthz (no route; http healthz on)")             \
	X(default_backend, "requests no route took served by a default backend")                  \
	X(canary_requests, "requests sent to a route's canary upstream (header, cookie or weight)") \
	X(continue_sent, "100 Continue sent by fanout for Expect: 100-continue")                   \
	X(upstream_connects, "upstream connections opened (fo_tcp_connect)")                       \
	X(upstream_connected, "upstream connections established")                                  \
	X(upstream_reuses, "requests sent on a pooled keep-alive upstream connection")             \
	X(upstream_retries, "requests retried on another connection or server")                    \
	X(upstream_connect_failed, "upstream connections refused, unreachable or not opened")      \
	X(upstream_unresolved, "server choices passed over: its next hop did not answer ARP")     \
	X(snapshots_adopted, "snapshots (config generations) this worker switched to")          \
	X(snapshot_adopt_cycles, "TSC cycles spent switching to new snapshots (all of them)")  \
	X(snapshot_settle_cycles, "TSC cycles after the switches: idle connections of removed or drained endpoints closed, old snapshots released") \
	X(upstream_ejected_skips, "server choices passed over: ejected by passive health")    \
	X(upstream_down_skips, "server choices passed over: down (active health checks)")      \
	X(upstream_no_healthy, "503: every server of the upstream down or drained")            \
	X(upstream_status_failures, "responses whose status next_upstream counts as a failure") \
	X(health_obs_dropped, "health observations not reported: the obs ring was full")       \
	X(health_wakeups, "control thread woken up to read health observations")               \
	X(probes_started, "active health checks started for the control thread")               \
	X(probes_answered, "active health checks that got a response status line")             \
	X(probes_failed, "active health checks without a response (connect, reset, timeout)")  \
	X(probes_nostate, "active health checks not run: no probe state left")                 \
	X(upstream_drained_skips, "server choices passed over: the server is drained")         \
	X(balance_hash_no_key, "requests to a hash upstream without the key (round-robin)")    \
	X(sticky_hits, "requests sent to the endpoint their sticky cookie names")              \
	X(sticky_moved, "sticky cookies naming an endpoint that may not take the request")     \
	X(sticky_set, "Set-Cookie added for a sticky upstream (no cookie, or a stale one)")    \
	X(retries_budget_exhausted, "retries not made: over the budget (20% of requests + 3/s)")\
	X(upstream_stale_retries, "requests resent after a pooled connection was reset before answering (outside the budget)") \
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
			   "route's allow_upgrade, or HTTP/1.0")                                   \
	X(path_refused, "400: request path refused (bad %XX, NUL or control byte, .. above /)")  \
	X(path_normalized, "requests routed on a path that normalization changed")              \
	X(tls_sessions, "client connections accepted on TLS listeners")                          \
	X(tls_handshakes, "TLS handshakes completed (full and resumed)")                         \
	X(tls_resumed, "TLS handshakes that resumed a session (ticket)")                         \
	X(tls_failed_proto, "TLS handshakes failed: protocol, version or cipher refused")        \
	X(tls_failed_sni, "TLS handshakes refused: unknown name with strict_sni")                \
	X(tls_failed_eof, "TLS handshakes the client closed before the end")                     \
	X(tls_failed_reset, "TLS handshakes that ended unfinished, no failure of their own "     \
			    "counted: the client reset the connection before the end")      \
	X(tls_refused_noconf, "connections on a TLS listener refused: no TLS state (memory)")    \
	X(tls_refused_handshakes, "connections on a TLS listener refused (RST): tls_handshakes_max " \
				  "handshakes already in progress on the worker")                 \
	X(tls_handshake_timeouts, "TLS handshakes not complete within tls_handshake_timeout (RST)") \
	X(tls_handshake_steps, "TLS handshake steps run (each bounded by tls_handshakes_per_poll)") \
	X(tls_handshake_deferred, "TLS handshake steps left for a later poll loop (budget spent)") \
	X(tls_handshake_pieces, "TLS handshake steps that stopped between pieces of the server's "   \
				"flight (tls_handshake_split), the rest for a later poll loop")   \
	X(tls_failed_hello, "TLS handshakes failed: first record not a well-formed ClientHello "   \
			    "(garbage, plain HTTP, bad lengths)")                                  \
	X(tls_key_updates, "TLS 1.3 KeyUpdate messages received from clients")                   \
	X(tls_key_update_flood, "TLS connections reset: more KeyUpdates than 8 + 1 per MiB read")  \
	X(tls_bad_records, "TLS records that failed to decrypt or parse (connection closed)")    \
	X(tls_hello_fragmented, "ClientHellos continued in more than one record, gathered (TLS and passthrough listeners)") \
	X(tls_hello_oversized, "ClientHellos refused: records over 64 KiB (also in tls_failed_hello or pass_bad_hello)") \
	X(tls_misdirected, "421: Host names another TLS certificate than the SNI chose")         \
	X(ssl_redirects, "308 from plain HTTP to https (host with a certificate, ssl_redirect)")  \
	X(pass_sessions, "connections taken by SNI passthrough (passthrough listeners, and passthrough names on tls passthrough ones)") \
	X(pass_spliced, "SNI passthrough connections spliced to a server (ClientHello forwarded)") \
	X(pass_no_sni, "SNI passthrough connections reset: ClientHello without SNI, no passthrough_default") \
	X(pass_unknown_name, "SNI passthrough connections reset: name without passthrough block, no passthrough_default") \
	X(pass_bad_hello, "SNI passthrough connections reset: not a ClientHello, malformed, over 64 KiB, or closed before it ended") \
	X(pass_hello_timeouts, "SNI passthrough connections reset: no whole ClientHello within client_header_timeout") \
	X(pass_connect_failed, "SNI passthrough connections reset: no server of the upstream took the connection")

#define FO_PROXY_STAT_FIELD(name, descr) uint64_t name;
#define FO_PROXY_STAT_ONE(name, descr) +1

/** Per-worker proxy counters (one writer: the owning worker). */
struct fo_proxy_stats {
	FO_PROXY_COUNTERS(FO_PROXY_STAT_FIELD)
	uint64_t parse_err[FO_HTTP_E_MAX]; /**< request parse errors by enum fo_http_err */
	uint64_t sessions;                 /**< gauge: client sessions in use */
	uint64_t upstream_busy;            /**< gauge: upstream connections serving a request */
	uint64_t upstream_idle;            /**< gauge: upstream connections in the idle pools */
	uint64_t tls_handshaking;          /**< gauge: TLS handshakes in progress (half-open) */
};

#define FO_PROXY_STATS_N_PLAIN (0 FO_PROXY_COUNTERS(FO_PROXY_STAT_ONE))
/** Names of the plain counters, in struct order. */
extern const char *const fo_proxy_stats_names[FO_PROXY_STATS_N_PLAIN];

/* ---- health: what the control thread publishes and what workers report ---- */

/**
 * Bits of one health-table entry (one byte per health slot). The table is
 * written by the control thread only (lib/ctl's health state machines,
 * relaxed byte stores) and read by every worker when it picks a server.
 */
#define FO_PROXY_HEALTH_DOWN 0x01    /**< active checks failed `fall` times in a row */
#define FO_PROXY_HEALTH_EJECTED 0x02 /**< passive outlier detection took it out for a while */
/** fo_proxy_snapshot.hslot value of a server without a health slot (never down). */
#define FO_PROXY_HSLOT_NONE UINT32_MAX

/** What a worker saw, as fo_proxy_obs.kind. */
enum fo_proxy_obs_kind {
	FO_PROXY_OBS_CONNECT = 1, /**< connection refused, unreachable or timed out */
	FO_PROXY_OBS_RESET,       /**< reset or closed before the response ended */
	FO_PROXY_OBS_TIMEOUT,     /**< read or send timeout */
	FO_PROXY_OBS_BAD,         /**< response head that does not parse */
	FO_PROXY_OBS_STATUS,      /**< a status next_upstream counts as a failure (http_5xx) */
	FO_PROXY_OBS_OK,          /**< a response after failures: the worker's streak ended */
	FO_PROXY_OBS_PROBE,       /**< result of an active check (status, or why it failed) */
	FO_PROXY_OBS_NOSTATE,     /**< (why only) the worker had no probe state left: not run */
};

/**
 * One observation, worker → control thread, on the worker's SPSC obs ring
 * (16-byte elements). Passive health: each failure of an endpoint (with the
 * worker's streak of consecutive failures of it), and the first success
 * after failures. Active health: each probe's result.
 */
struct fo_proxy_obs {
	uint32_t slot;   /**< health slot (fo_proxy_snapshot.hslot) */
	uint32_t seq;    /**< PROBE: the probe's seq; passive: the slot's occupant (hocc) */
	uint8_t kind;    /**< enum fo_proxy_obs_kind */
	uint8_t streak;  /**< passive failures: the worker's consecutive failures (saturates) */
	uint16_t status; /**< HTTP status (STATUS; PROBE: 0 when no response) */
	uint8_t why;     /**< PROBE without status: CONNECT, RESET, TIMEOUT, BAD or NOSTATE */
	uint8_t worker;  /**< the reporting worker */
	uint16_t pad;
};

/** Longest rendered health-check request (fo_proxy_probe.req). */
#define FO_PROXY_PROBE_REQ_MAX 492

/**
 * An active health check for a worker to run, control thread → worker, by
 * value on the worker's SPSC probe ring (512-byte elements): open a
 * connection to addr:port from the worker's own TCP stack, send req as
 * is, read the response's status line, close, and report a
 * FO_PROXY_OBS_PROBE with the same slot and seq.
 */
struct fo_proxy_probe {
	uint32_t slot, seq;
	rte_be32_t addr;     /**< network order */
	uint16_t port;       /**< host order */
	uint16_t timeout_ms; /**< connect + response head */
	uint16_t req_len;
	uint16_t pad;
	char req[FO_PROXY_PROBE_REQ_MAX];
};

/** Per endpoint (health slot) and worker, written by that worker only. */
struct fo_proxy_ep_stats {
	uint64_t requests; /**< requests sent to it (retries included) */
	uint64_t failures; /**< failures seen (connect, reset, timeout, bad head, counted 5xx) */
	uint32_t active;   /**< connections connecting or busy (gauge) */
	uint32_t idle;     /**< idle pooled connections (gauge) */
};

/** What the control thread gives a worker's proxy (fo_proxy_worker_attach()). */
struct fo_proxy_links {
	const uint8_t *health;            /**< health table, FO_PROXY_HEALTH_* per slot */
	uint32_t n_slots;                 /**< entries of health and ep_stats */
	struct fo_proxy_ep_stats *ep_stats; /**< this worker's, [n_slots]; may be NULL */
	struct rte_ring *probes;          /**< fo_proxy_probe elements in (single consumer) */
	struct rte_ring *obs;             /**< fo_proxy_obs elements out (single producer) */
	/** when not NULL: called after an observation is queued, so that a
	 *  control thread asleep wakes up (an eventfd write), at most once a
	 *  millisecond and only while *wake_pending is 0 (the worker sets it
	 *  to 1; the control thread clears it before it drains the ring) */
	void (*wake)(void *arg);
	void *wake_arg;
	uint32_t *wake_pending;
};

_Static_assert(sizeof(struct fo_proxy_obs) == 16, "obs ring elements are 16 bytes");
_Static_assert(sizeof(struct fo_proxy_probe) == 512, "probe ring elements are 512 bytes");

#define FO_PROXY_PROBE_RING_ESIZE ((unsigned)sizeof(struct fo_proxy_probe))
#define FO_PROXY_OBS_RING_ESIZE ((unsigned)sizeof(struct fo_proxy_obs))

struct px_view;
struct px_snap_srv;
struct fo_tls_sni;
struct fo_alog_routes;
struct fo_alog_rstats;
struct fo_alog_push_stats;

/**
 * What a request is served with: the config, its compiled routes, and one
 * view per worker (that worker's endpoints and balancer state for
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
	/** per server of conf, flattened by upstream: its health slot, or
	 *  FO_PROXY_HSLOT_NONE (the default); set by the creator before
	 *  publishing (lib/ctl's health registry) */
	uint32_t *hslot;
	/** per server: the occupant number of its slot (0: unknown), sent with
	 *  passive reports so that the control thread can tell stale ones */
	uint32_t *hocc;
	/** per-route accounting slots (labels, counter indices) of conf, set by
	 *  the creator before publishing; NULL (the default): requests are
	 *  neither counted per route nor named in the access log */
	const struct fo_alog_routes *racct;
	unsigned n_servers;                /**< servers of conf (all upstreams) */
	const struct px_snap_srv *srvs;    /**< [n_servers] flattened for the workers, private */
	struct px_view *views;  /**< [n_workers], private to lib/proxy */
	struct px_bal_snap *bal; /**< balancer tables (endpoint ids, Maglev), private */
	struct fo_tls_sni *pass; /**< SNI passthrough names -> upstream index; NULL: none, private */
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

/**
 * How many workers adopted @p snap (they serve new requests with it, or
 * did); *@p last_tsc (when not NULL) gets the TSC at which the last of
 * them did. Read by the control thread: the time a reload took to be live
 * everywhere.
 */
unsigned fo_proxy_snapshot_adopted(const struct fo_proxy_snapshot *snap, uint64_t *last_tsc);

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
 * the per-session TLS state (served once a view is set), and one
 * fo_tcp_listen() per http listen directive of the first snapshot's config
 * (later ones follow the snapshots adopted: listen_changes, listen_failed).
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
 * Connect a worker's proxy to the control thread's health table, probe
 * ring and observation ring (before the worker runs). Without it every
 * server is healthy, and nothing is reported or probed.
 */
void fo_proxy_worker_attach(struct fo_proxy_worker *pw, const struct fo_proxy_links *links);

/** What the control thread gives a worker's proxy for accounting (fo_proxy_worker_acct()). */
struct fo_proxy_acct_links {
	struct rte_ring *alog;                /**< access log entries out (single producer); NULL: off */
	struct fo_alog_push_stats *alog_stats; /**< this worker's push counters (with alog) */
	struct fo_alog_rstats *rstats;        /**< this worker's per-route counters; NULL: none */
	uint32_t n_rstats;                    /**< entries of rstats */
};

/**
 * Account each request of this worker: bump rstats[key] (the key of its
 * route in the snapshot's racct) and, with an access log ring, push one
 * entry per request (a full ring drops it: alog_stats->dropped). Before
 * the worker runs. With alog, one staging entry (1 KiB) per session is
 * allocated: the request's strings are copied there when its head is
 * parsed, the rest is filled and the entry pushed when it ends.
 *
 * @return 0, or -ENOMEM.
 */
int fo_proxy_worker_acct(struct fo_proxy_worker *pw, const struct fo_proxy_acct_links *links);

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

/**
 * Run this loop iteration's TLS handshake steps: at most
 * `tls_handshakes_per_poll` from the worker's queue of handshakes that have
 * bytes to read (TCP's callbacks and fo_proxy_poll() only queue them). A
 * step costs up to ≈70 µs of CPU; call it once per iteration *after* the
 * iteration's fo_tcp_flush() and transmit burst, then flush and transmit
 * again when it ran a step: so what the iteration made for other clients
 * (a forwarded request, a response) leaves before the step, not after it.
 *
 * @return steps run (0: nothing to do).
 */
unsigned fo_proxy_poll_tls(struct fo_proxy_worker *pw);

struct fo_tls_ctx;

/** What a worker's TLS listeners serve (fo_proxy_worker_tls()); built on the control thread. */
struct fo_proxy_tls {
	struct fo_tls_ctx *entry;     /**< this worker's context for new connections (SNI
				       *   selection installed with fo_tls_ctx_set_sni()) */
	const struct fo_tls_sni *sni; /**< names -> certificate index; default_idx: the default
				       *   certificate (names it serves are no TLS host) */
	const char *hsts;             /**< Strict-Transport-Security on HTTPS responses; NULL: none */
	uint8_t ssl_redirect;         /**< 308 to https for plain requests to a TLS host */
	/** TLS sessions started on this view and still open: each keeps the view
	 *  (its contexts, SNI table, HSTS) it started with. Written by the
	 *  worker only (a release store when a session ends); the control
	 *  thread frees a replaced view once this is 0 (acquire load) after a
	 *  grace period (no session starts on it after that). */
	uint32_t refs;
};

/**
 * Serve TLS listeners (`listen ... tls;`) with @p tls (which must outlive
 * the sessions started on it: see refs), and apply ssl_redirect on plain
 * ones. Before the worker runs; while it runs, fo_proxy_worker_tls_set()
 * (the first view of a fanout whose first TLS listener came by reload).
 * Until a view is set, connections on TLS listeners are refused
 * (tls_refused_noconf). The per-session TLS state is the worker's from
 * its creation, whether or not it ever serves TLS.
 *
 * @return 0.
 */
int fo_proxy_worker_tls(struct fo_proxy_worker *pw, struct fo_proxy_tls *tls);

/**
 * Control thread, while the worker runs: new TLS sessions (and the 308s of
 * plain ones) use @p tls from the worker's next poll on (release store);
 * sessions already open keep the view they started with. The old view may
 * be freed once the worker has passed a quiescent state after this call
 * (QSBR) and its refs is 0. The first view too (none set at start).
 */
void fo_proxy_worker_tls_set(struct fo_proxy_worker *pw, struct fo_proxy_tls *tls);

/** This worker's counters. */
const struct fo_proxy_stats *fo_proxy_stats(const struct fo_proxy_worker *pw);

/** Add @p src's counters (and gauges) to @p dst. */
void fo_proxy_stats_add(struct fo_proxy_stats *dst, const struct fo_proxy_stats *src);

#endif /* FO_PROXY_H */
