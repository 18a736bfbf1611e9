/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanout executable: private definitions shared by main.c, args.c, port.c,
 * worker.c, stats.c and telemetry.c.
 *
 * Threads: the main lcore is the control thread (with `-l 0` only, it also
 * runs worker 0's loop and interleaves control work); every EAL worker lcore
 * runs one worker. DPDK's telemetry thread reads counters (see telemetry.c).
 */
#ifndef APP_H
#define APP_H

#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>

#include "fo_alog.h"
#include "fo_common.h"
#include "fo_conf.h"
#include "fo_net.h"
#include "fo_proxy.h"
#include "fo_ctl.h"
#include "fo_route.h"
#include "fo_tcp.h"
#include "service.h"

struct rte_mempool;
struct rte_ring;
struct rte_rcu_qsbr;
struct app;

/** Consecutive empty loop iterations before an --idle-sleep nap. */
#define APP_IDLE_SPINS 256
/** Period of control work (link polling, quit check) in milliseconds. */
#define APP_CONTROL_MS 100
/** How long start-up waits for links to come up, in milliseconds. */
#define APP_LINK_WAIT_MS 2000
/** rte_eth_tx_burst retries before the remaining packets are dropped. */
#define APP_TX_RETRIES 4
/** rx/tx descriptors per queue (adjusted to what the port accepts). */
#define APP_NB_RXD 1024
#define APP_NB_TXD 1024
/** mbuf pool per-lcore cache. */
#define APP_POOL_CACHE 256
/** mbufs added to the pool for data buffered by TCP (send and receive queues). */
#define APP_TCP_MBUFS 65536
/** ... but never fewer than this (halved from APP_TCP_MBUFS while memory is short). */
#define APP_TCP_MBUFS_MIN 4096
/** Share of free EAL memory the TCP mbufs may take without hugepages, in percent. */
#define APP_TCP_MBUFS_MEM_PCT 40
/** Segments in flight from one worker to another (hand-off to the owner). */
#define APP_TCP_RING_SIZE 2048

/** Command-line options after the `--`. */
struct app_args {
	const char *conf_path;
	int check;              /**< --check: validate the config and exit */
	unsigned idle_sleep_us; /**< --idle-sleep: 0 = never sleep */
};

/** One DPDK port as the app drives it. */
struct app_port {
	uint16_t port_id;
	char name[RTE_ETH_NAME_MAX_LEN];
	int started;
	int link_up; /**< last link state seen by the control thread */
	uint16_t nb_queues;
	int rss; /**< configured with RSS (several queues, NIC hashes) */
	/** no RTE_ETH_TX_OFFLOAD_MULTI_SEGS: chained frames are copied into one
	 *  mbuf before tx (the PMD would send garbage after the first segment) */
	int tx_linear;
	int memif; /**< net_memif: polled only while intr_gate.c holds the EAL interrupt thread */
	/** workers skip this port's rx and tx bursts (set by intr_gate.c; one
	 *  load per burst) */
	int paused;
	/** layer 2-3 view given to every worker; iface.configured == 0 when
	 *  no interface block names this port */
	struct fo_net_iface iface;
	const struct fo_conf_iface *conf; /**< NULL when unconfigured */
};

/** Busy loop iterations by length (struct app_worker.loop_hist): the first
 *  bucket ends at 2^11 TSC cycles (≈0.8 µs at 2.6 GHz), the last starts at
 *  2^29 (≈0.2 s). */
#define APP_LOOP_HIST_LOG2 10
#define APP_LOOP_HIST 20

/**
 * One worker: its lib/net state plus what the app itself counts. Allocated
 * with rte_zmalloc_socket() on the worker's socket; written by its lcore
 * only (the control and telemetry threads merely read the counters).
 */
struct app_worker {
	struct fo_net_worker net; /**< first: cache-aligned */
	struct app *app;          /**< read-only back pointer */
	unsigned id;              /**< 0..n_workers-1 = queue index on every port */
	unsigned lcore_id;
	uint64_t busy_cycles; /**< TSC cycles of loop iterations that did work */
	uint64_t idle_cycles; /**< TSC cycles of empty iterations (naps included) */
	uint64_t loops;
	/** busy iterations by length: [i] counts those of [2^(APP_LOOP_HIST_LOG2 + i),
	 *  2^(APP_LOOP_HIST_LOG2 + i + 1)) TSC cycles, [0] the shorter ones too and
	 *  the last the longer ones: what a packet that arrives during one waits */
	uint64_t loop_hist[APP_LOOP_HIST];
	uint64_t tx_pkts;            /**< packets accepted by rte_eth_tx_burst */
	uint64_t tx_dropped;         /**< packets freed because the tx queue stayed full */
	uint64_t tx_linearized;      /**< chains copied into one mbuf (tx_linear ports) */
	uint64_t tx_linear_nombuf;   /**< chains dropped: no mbuf to copy them into */
	uint64_t tx_linear_too_long; /**< chains dropped: longer than one mbuf holds */
	uint64_t idle_sleeps;
	struct fo_tcp_worker *tcp; /**< this worker's TCP stack */
	struct svc_worker *svc;    /**< built-in services (echo, source...) */
	struct fo_proxy_worker *proxy; /**< HTTP proxy; NULL without http listeners */
} __rte_cache_aligned;

/** Everything the executable owns. A single instance lives in main.c. */
struct app {
	struct app_args args;
	struct fo_conf *conf;

	struct app_port ports[FO_MAX_PORTS];
	uint16_t n_ports;              /**< ports[] holds port ids 0..n_ports-1 */
	uint16_t active[FO_MAX_PORTS]; /**< ids of the started ports, polled by workers */
	uint16_t n_active;
	struct rte_mempool *pool;

	unsigned n_workers;
	struct app_worker *workers[FO_MAX_WORKERS];
	struct rte_ring *rings[FO_MAX_WORKERS][FO_MAX_WORKERS]; /**< [from][to] */
	/** TCP segment hand-off, SPSC rings of mbuf pointers, [from][to] */
	struct rte_ring *tcp_rings[FO_MAX_WORKERS][FO_MAX_WORKERS];
	uint32_t n_tcp_mbufs; /**< mbufs of the pool set aside for TCP data */
	struct rte_rcu_qsbr *qsbr;
	uint64_t hz;
	/** routes of the served generation (NULL without http listeners) */
	struct fo_route_table *routes;
	/** what the proxy workers serve, published by pointer swap (reload.c);
	 *  NULL without http listeners */
	struct fo_proxy_snapshot *snap;
	/** TLS listeners' certificates and per-worker contexts (tls.c); NULL: none */
	struct app_tls *tls;
	/** the served config (conf is the first one, kept for ports, listeners
	 *  and services to the end); changed under telemetry_lock() */
	const struct fo_conf *cur_conf;
	uint64_t gen;             /**< generation of snap */
	struct fo_ctl_retire retire; /**< snapshots waiting for the workers to let go */
	uint64_t reloads, reloads_ok, reloads_failed;
	/** the last reload was rejected (metrics: fanout_config_last_reload_successful) */
	int last_reload_failed;
	/** wall-clock time of the last successful reload, or of start-up (seconds) */
	double last_reload_ok_s;
	/** the last published generation: when its reload began (TSC), and
	 *  whether every worker has adopted it yet (then live_ms is set) */
	uint64_t reload_t0;
	int live_pending;
	double publish_ms; /**< last reload: parse + diff + compile + publish */
	double live_ms;    /**< last reload: from its start to the last worker's adoption */
	/** SIGHUP or a changed config file: the control thread reloads at its next tick */
	int reload_req;
	uint64_t watch_reloads; /**< reloads asked by a change of the config files */
	/** servers drained by fanoutctl drain, on top of the config's `drain` */
	struct {
		rte_be32_t addr;
		uint16_t port;
	} drains[64];
	unsigned n_drains;

	/** set by SIGINT/SIGTERM; workers poll it once per loop */
	volatile int quit;
	/** ports (bit = port id) for which worker 0 must send a gratuitous
	 *  ARP; set by the control thread, cleared by worker 0 (atomics) */
	uint32_t announce_mask;
	uint64_t next_control_tsc; /**< single-lcore mode: next control tick */

	/** backend health (health.c): state machines, the table workers read */
	struct fo_ctl_health *health;
	uint64_t next_health_tsc; /**< single-lcore mode: next health_poll() */
	uint64_t ctl_wakeups;     /**< control thread: times it woke up (poll(2) returned) */
	uint64_t ctl_eintr;       /**< ... of those, for a signal */

	/** per upstream server, in config order: 1 while its next hop does not
	 *  answer ARP (endpoints.c, control thread only) */
	uint8_t *ep_unresolved_flags;
	uint64_t ep_unresolved;        /**< gauge: servers unresolved at the last check */
	uint64_t ep_unresolved_events; /**< servers that became unresolved */
};

/* reload.c */
/** Compile the routes and publish the first snapshot. @return 0 or -errno. */
int reload_init(struct app *app);
/**
 * Reload the config file (control thread): validate, diff, compile routes
 * if they changed, publish a new snapshot. What happened goes to @p o.
 *
 * @return 0 (published, or no change), 1 (rejected: the running config stays).
 */
int reload_run(struct app *app, struct fo_ctl_out *o);
/**
 * fanoutctl drain/undrain: (un)mark @p addr:@p port drained and publish the
 * served config again with it.
 * @return 0, or 1 (not a server of the config, too many) with why in @p o.
 */
int reload_drain(struct app *app, rte_be32_t addr, uint16_t port, int drain, struct fo_ctl_out *o);
/** Every control tick: free what the workers let go; a SIGHUP's reload. */
void reload_tick(struct app *app);
/** At exit, workers stopped: free every snapshot. */
void reload_fini(struct app *app);

/* health.c */
/** Single-lcore mode: period of health_poll() and control_poll() in worker 0's loop
 *  (with its own lcore, the control thread sleeps in poll(2) until there is work). */
#define APP_HEALTH_MS 1
/** Create the health state machines (before the first snapshot). @return 0 or -ENOMEM. */
int health_init(struct app *app);
/** Give worker @p w's proxy the health table and its rings. @return 0 or -ENOMEM. */
int health_attach(struct app *app, unsigned w, struct fo_proxy_worker *pw);
/** A snapshot being built: a health slot for each of its servers. */
void health_snap_ref(struct app *app, struct fo_proxy_snapshot *snap);
/** A snapshot being freed: its slots let go. */
void health_snap_unref(struct app *app, struct fo_proxy_snapshot *snap);
/** Control thread, every APP_HEALTH_MS. @return observations read + checks sent. */
unsigned health_poll(struct app *app);
/** The workers' counters of health slot @p slot, summed. */
void health_ep_sum(const struct app *app, uint32_t slot, struct fo_proxy_ep_stats *out);
/** Monotonic milliseconds (TSC). */
uint64_t health_now_ms(const struct app *app);
/** The descriptor workers wake the control thread with (an eventfd; -1: none). */
int health_fd(void);
/** TSC at which health_poll() next has timed work (UINT64_MAX: none). */
uint64_t health_due(const struct app *app);
/** After the workers and snapshots are gone. */
void health_free(struct app *app);

/* watch.c */
/** Watch the config files (inotify). @return 0 or -errno (no watching then). */
int watch_init(struct app *app);
/** After a reload: watch the files @p conf (the new config) came from. */
void watch_rearm(struct app *app, const struct fo_conf *conf);
/** Every control tick: a change of a config file asks a reload (debounced). */
void watch_poll(struct app *app);
void watch_fini(void);
/** The inotify descriptor to sleep on (-1: none). */
int watch_fd(void);
/** TSC at which a debounced reload is due (UINT64_MAX: none pending). */
uint64_t watch_due(void);

/* control.c */
/** Open the control socket (<runtime dir>/fanout.sock). @return 0 or -errno. */
int control_init(struct app *app);
/** Answer fanoutctl's requests (control thread, every tick; never blocks). */
void control_poll(struct app *app);
struct pollfd;
/** The control socket's descriptors to sleep on (poll(2), POLLIN). @return how many. */
unsigned control_pollfds(struct pollfd *fds, unsigned max);
void control_fini(void);

/* metrics.c */
/** Open the Prometheus endpoint of the config's `metrics` directive. @return 0 or -errno. */
int metrics_init(struct app *app);
/** Serve scrapes (control thread; called by control_poll(), never blocks). */
unsigned metrics_poll(void);
/** The endpoint's descriptors to sleep on. @return how many. */
unsigned metrics_pollfds(struct pollfd *fds, unsigned max);
void metrics_fini(void);

/* acct.c: per-route counters and the access log */
/** What the access log did, summed over the workers. */
struct acct_totals {
	int on;                /**< an access log is configured */
	uint64_t pushed;       /**< entries the workers queued */
	uint64_t dropped;      /**< entries dropped: a worker's ring was full */
	uint64_t written;      /**< entries written to the file */
	uint64_t writes, bytes, write_errors, reopens, reopen_errors;
	uint64_t keys_full;    /**< route slots not counted: the registry was full */
};
/** The end of loop_hist bucket @p b (< APP_LOOP_HIST - 1), in seconds. */
static inline double
loop_bound_s(const struct app *app, unsigned b)
{
	return (double)(UINT64_C(1) << (APP_LOOP_HIST_LOG2 + b + 1)) / (double)app->hz;
}

/** One route key and its counters summed over the workers. */
struct acct_route {
	char route[FO_ALOG_ROUTE_MAX + 1];
	char upstream[FO_ALOG_UPSTREAM_MAX + 1];
	struct fo_alog_rstats s;
};
/** The registry, and with `access_log` the rings and the file. @return 0 or -errno. */
int acct_init(struct app *app);
/** `fanout --check`: every tls_certificate loaded and validated ("file: message"). @return 0 or -EINVAL. */
int tls_check(const struct fo_conf *conf);
/** TLS: certificates loaded and checked, contexts per worker (tls.c). @return 0 or -errno. */
int tls_init(struct app *app);
/** Free the TLS state, after the proxies (their connections hold contexts). */
void tls_free(struct app *app);
/** Give worker @p w's proxy its TLS contexts. @return 0 or -ENOMEM. */
int tls_attach(struct app *app, unsigned w, struct fo_proxy_worker *pw);
struct tls_gen;
struct fo_tls_keyset;
/** A TLS change a reload applies: built by tls_prepare(), then tls_commit() or tls_discard(). */
struct tls_next {
	struct tls_gen *gen;      /**< new certificate contexts; NULL: nothing changes */
	struct fo_tls_keyset *ks; /**< new ticket keys (a key file read again), or NULL */
	uint64_t hash;            /**< the files' signature it was built from */
	uint32_t period_s;
	int key_file;
	double build_ms; /**< loading, validating and building the contexts */
	/** the whole TLS state, built for the first TLS listener a reload adds
	 *  (app->tls was NULL); it becomes app->tls on commit, freed on discard */
	struct app_tls *fresh;
	const struct fo_conf *conf; /**< (fresh) the config it was built for */
};
/**
 * Reload (control thread): when the TLS directives changed (@p changed) or
 * the certificate or ticket key files of @p conf changed on disk, build a
 * new generation of certificate contexts (not published yet).
 *
 * @return 0 (*@p n filled, gen NULL when nothing changes), or -EINVAL: a
 *         certificate or key file is bad, "file: message" written to @p o
 *         and counted; the served generation stays.
 */
int tls_prepare(struct app *app, const struct fo_conf *conf, int changed, struct tls_next *n,
	struct fo_ctl_out *o);
/** Publish what tls_prepare() built (new sessions get it; open ones keep theirs). */
void tls_commit(struct app *app, struct tls_next *n, struct fo_ctl_out *o);
/** Drop what tls_prepare() built (the reload failed elsewhere). */
void tls_discard(struct tls_next *n);
/**
 * Every control tick: free generations nobody uses any more, rotate the
 * ticket keys when due, and rebuild the certificates when their files (or
 * the ticket key file) changed on disk (stat(2) once a second; a change
 * applies once the files have been still for a second).
 */
void tls_tick(struct app *app);
/** `fanoutctl certs`: every certificate served. @return 0, or 1 (no TLS listener). */
int tls_certs(const struct app *app, int json, struct fo_ctl_out *o);
struct fo_metrics_out;
/** TLS metrics: certificate expiry, reloads, ticket key rotations. */
void tls_metrics(struct fo_metrics_out *o, const struct app *app);
/** Give worker @p w's proxy its counters and ring. @return 0 or -ENOMEM. */
int acct_attach(struct app *app, unsigned w, struct fo_proxy_worker *pw);
/** A snapshot being built: its route slots and their counter indices. */
void acct_snap_ref(struct app *app, struct fo_proxy_snapshot *snap);
/** A snapshot being freed (no worker writes through it). */
void acct_snap_unref(struct app *app, struct fo_proxy_snapshot *snap);
/** SIGUSR1: reopen the access log at the next drain (async-signal-safe). */
void acct_reopen_ask(void);
/** Control tick: write what the workers logged. @return entries written. */
unsigned acct_drain(void);
void acct_totals(struct acct_totals *t);
/** The next route key from *@p it (0 first). @return 1, or 0 at the end. */
int acct_route_next(unsigned *it, struct acct_route *r);
/** Workers stopped, snapshots freed: write the rest, close, free. */
void acct_fini(void);

/* endpoints.c */
/** An upstream server's next hop as the workers see it. */
enum ep_state {
	EP_UNKNOWN,    /**< in no worker's cache yet */
	EP_RESOLVING,  /**< ARP requests under way */
	EP_REACHABLE,  /**< some worker has its MAC */
	EP_UNRESOLVED, /**< resolution failed, no worker has its MAC */
	EP_NO_ROUTE,   /**< no interface or gateway reaches it */
};
/** State of @p addr's next hop (stored in *@p nh when not NULL and routed). */
enum ep_state endpoint_state(const struct app *app, rte_be32_t addr, rte_be32_t *nh);
/**
 * The state to report for server number @p k (config order) at @p addr:
 * one that failed resolution stays EP_UNRESOLVED while it is asked again.
 */
enum ep_state endpoint_report(const struct app *app, unsigned k, rte_be32_t addr, rte_be32_t *nh);
const char *endpoint_state_name(enum ep_state s);
/** @return 0 or -ENOMEM. */
int endpoints_init(struct app *app);
/** Control thread, every tick: log servers that stop (or start again) answering ARP. */
void endpoints_check(struct app *app);
/** After a reload: track the servers of the new config (control thread). */
void endpoints_reset(struct app *app);
void endpoints_free(struct app *app);

/* args.c */
/**
 * Parse the application arguments (those after EAL's `--`).
 *
 * @return 0 on success, 1 when -h was given (usage printed on stdout),
 *         -EINVAL on bad usage (a message and the usage are on stderr).
 */
int args_parse(struct app_args *a, int argc, char **argv);
void args_usage(FILE *f, const char *prog);

/* port.c */
/**
 * Map config interfaces to ports, create the mbuf pool, configure and start
 * every port with one rx and one tx queue per worker, wait for links.
 *
 * @return 0, or -errno (the reason has been logged / printed).
 */
int ports_init(struct app *app);
/** Stop every started port (statistics stay readable until close). */
void ports_stop(struct app *app);
/** Close every port and free the mbuf pool. */
void ports_close(struct app *app);
/**
 * Poll link states; for a configured port whose link went up, ask worker 0
 * for a gratuitous ARP. Control thread only.
 */
void ports_poll_links(struct app *app);

/* intr_gate.c: net_memif's teardown kept away from polling workers */
/**
 * With a net_memif port: hold the EAL interrupt thread whenever workers
 * poll those ports, let it run in short windows while they leave them
 * alone. Call once the ports are started and the QSBR variable exists,
 * before the workers start. @return 0, or -errno.
 */
int intr_gate_init(struct app *app);
/** The next window, when due (control thread, or the single lcore's worker). */
void intr_gate_poll(struct app *app, uint64_t now);
/** TSC time of the next window (UINT64_MAX: none). */
uint64_t intr_gate_due(void);
/** Workers stopped: hold the thread while the ports are stopped and closed. */
void intr_gate_hold(struct app *app);
/** After the ports are closed: let the thread go for good. */
void intr_gate_fini(struct app *app);

/* worker.c */
/**
 * Allocate the workers (one per EAL worker lcore, or one on the main lcore),
 * their neighbour rings and the QSBR variable; initialise lib/net state.
 *
 * @return 0, or -errno.
 */
/**
 * Create an SPSC ring from every worker i to every other worker j in
 * mesh[i][j] (NULL on the diagonal), on j's socket.
 *
 * @return 0, or -errno (rings made so far stay in @p mesh for the caller to free).
 */
int ring_mesh_create(struct app *app, const char *prefix, unsigned esize, unsigned count,
	struct rte_ring *mesh[FO_MAX_WORKERS][FO_MAX_WORKERS]);
int workers_init(struct app *app);
/** Launch worker loops on the worker lcores. @return 0 or -errno. */
int workers_launch(struct app *app);
/**
 * Run worker 0's loop on the main lcore with control work interleaved
 * (single-lcore mode); returns when app->quit is set.
 */
void workers_run_main(struct app *app);
/** Wait for every worker lcore to leave its loop. */
void workers_wait(struct app *app);
/** Free workers, rings and the QSBR variable. */
void workers_free(struct app *app);
/** Control work done every APP_CONTROL_MS (in either threading mode). */
void control_tick(struct app *app);

/* tcp.c */
/** lib/tcp's config from the config file's `tcp { }` block (1:1). */
void tcp_config_from_conf(struct fo_tcp_config *cfg, const struct fo_conf_tcp *ct);
/**
 * Create every worker's TCP stack (shared secret from rte_rand()), the
 * hand-off rings, the RSS ownership hash of the first port doing RSS, the
 * built-in services with their listeners, the compiled routes and the HTTP
 * proxy of every worker with its listeners. After workers_init().
 *
 * @return 0, or -errno (logged).
 */
int tcp_init(struct app *app);
/**
 * Compile the routes of @p conf (Hyperscan + PCRE2), reporting a failure
 * as "file:line:col: message" on stderr.
 *
 * @return the table, or NULL.
 */
struct fo_route_table *routes_compile(const struct fo_conf *conf);
/** Free services, proxies, routes, TCP stacks and hand-off rings (workers stopped). */
void tcp_free(struct app *app);
/** Segments a worker's TCP stack handled (received + sent). */
uint64_t tcp_worker_segments(const struct app_worker *w);

/* stats.c */
/** Merged counters of every worker. */
struct app_totals {
	struct fo_net_stats net;
	struct fo_tcp_stats tcp;
	struct svc_stats svc;
	struct fo_proxy_stats proxy;
	uint64_t svc_in_use;      /**< service connection states in use */
	uint64_t tcp_drops_total; /**< sum of tcp.drop[] */
	uint64_t drops_total;     /**< sum of net.drop[] */
	uint64_t tx_pkts;
	uint64_t tx_dropped;
	uint64_t tx_linearized;
	uint64_t tx_linear_nombuf;
	uint64_t tx_linear_too_long;
};
void stats_totals(const struct app *app, struct app_totals *t);
/** Print all statistics as "name value" lines. */
void stats_print(const struct app *app, FILE *f);

/* telemetry.c */
/** Register /fanout/stats, /fanout/tcp and /fanout/neigh. @return 0 or -errno. */
int telemetry_init(struct app *app);
/** Make the telemetry commands answer null from now on (before freeing workers). */
void telemetry_detach(void);
/** Hold off telemetry callbacks while the control thread swaps what they read. */
void telemetry_lock(void);
void telemetry_unlock(void);

/** Name of a neighbour state ("incomplete", "reachable"...). */
const char *neigh_state_name(uint8_t state);

#endif /* APP_H */
