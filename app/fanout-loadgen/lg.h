/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanout-loadgen: closed-loop (or fixed-rate) HTTP/1.1 clients and a
 * trivial origin on fanout's own lib/net + lib/tcp + lib/http, over DPDK
 * ports (net_memif to a fanout between them). See main.c.
 *
 * A "stack" is one lib/net + lib/tcp worker polling some ports on one
 * lcore: the client and the origin share one stack (one lcore, two ports)
 * or get one each (two lcores). Nothing on a stack's loop allocates, locks
 * or makes a system call per request; time is the TSC.
 */
#ifndef LG_H
#define LG_H

#include <stdint.h>
#include <stdio.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "fo_http.h"
#include "fo_net.h"
#include "fo_tcp.h"
#include "lg_hist.h"

#define LG_MAX_TARGETS 16
#define LG_MAX_HEADERS 16
#define LG_MAX_LISTEN 16
#define LG_MAX_DEPTH 64
#define LG_REQ_MAX 4096      /**< bytes of one request */
#define LG_ORIGIN_TARGETS 16 /**< distinct request targets the origin counts */
#define LG_TARGET_MAX 120    /**< bytes of a target the origin keeps */

struct lg_args {
	int client, origin; /**< roles */
	uint16_t client_port, origin_port;
	rte_be32_t client_addr, origin_addr;
	uint8_t client_prefix, origin_prefix;
	rte_be32_t server_addr; /**< fanout's listener */
	uint16_t server_port;
	unsigned conns, depth;
	int close;   /**< one request per connection */
	double rate; /**< requests/s in total; 0: closed loop */
	const char *targets[LG_MAX_TARGETS];
	unsigned n_targets;
	const char *host;
	const char *headers[LG_MAX_HEADERS];
	unsigned n_headers;
	uint64_t requests; /**< 0: bounded by duration */
	double duration, warmup, timeout;
	unsigned expect_status;
	int64_t expect_length; /**< -1: any (but framing still checked) */
	int expect_length_set;
	uint16_t listen[LG_MAX_LISTEN];
	unsigned n_listen;
	uint32_t body_size;
	const char *fanout_tel; /**< fanout's telemetry socket path, or NULL */
	int fanout_pid;         /**< fanout's pid: its worker threads' CPU time (0: not read) */
	double linger; /**< after the last run: stop polling, wait this long or for a signal */
	int json;
	uint32_t mbufs;
	uint32_t max_origin_conns;
	double syn_flood;     /**< SYNs/s at the server during the window (flood.c); 0: none */
	rte_be32_t flood_src; /**< the flood's source addresses: this prefix */
	uint8_t flood_prefix;
	int idle;               /**< --idle: open, make idle_requests each, hold, read, close */
	unsigned idle_requests; /**< requests per connection before it idles (0 or more) */
	double idle_settle;     /**< seconds all connections stay idle before fanout is read */
	unsigned origin_hold;   /**< origin: hold responses until a run's Nth request (0: no) */
};

/** On stderr once the last run is over and nothing polls any more (--linger). */
#define LG_LINGER_LINE "fanout-loadgen: lingering"

int lg_args_parse(struct lg_args *a, int argc, char **argv);
/** Run @p a after @p first: the options every run shares are @p first's. */
void lg_args_inherit(struct lg_args *a, const struct lg_args *first);
void lg_usage(FILE *f);

/* Errors of the client, by kind: X(name, description). */
#define LG_ERRORS(X)                                                                               \
	X(connect_refused, "connection refused (RST to the SYN)")                                  \
	X(connect_timeout, "no SYN-ACK within the timeout")                                        \
	X(connect_failed, "fo_tcp_connect failed (no port, no route, table full)")                 \
	X(unreachable, "ARP for the server gave up")                                               \
	X(reset, "connection reset with requests outstanding")                                     \
	X(eof, "server closed with requests outstanding, or mid-response")                         \
	X(timeout, "no complete response within the timeout")                                      \
	X(bad_status, "status other than the expected one")                                        \
	X(bad_length, "Content-Length other than the expected one")                                \
	X(bad_framing, "response neither Content-Length framed nor expected")                      \
	X(parse_error, "malformed response head")                                                  \
	X(unexpected_data, "bytes from the server with no request outstanding")                    \
	X(send_failed, "request could not be queued (no mbuf, send buffer full)")

#define LG_ERR_ENUM(name, descr) LG_E_##name,
enum lg_err {
	LG_ERRORS(LG_ERR_ENUM)
	LG_E_MAX
};
extern const char *const lg_err_names[LG_E_MAX];

struct lg_client_stats {
	uint64_t issued;   /**< requests started in the window */
	uint64_t ok;       /**< responses checked OK in the window */
	uint64_t connects; /**< connections opened in the window */
	uint64_t errors;   /**< sum of err[] */
	uint64_t err[LG_E_MAX];
	uint64_t bytes_rx; /**< response bytes (heads and bodies) */
	uint64_t rate_lag; /**< fixed rate: requests started late (no idle connection) */
};

struct lg_client;
struct lg_origin;
struct lg_stack;
struct lg_flood;

/** The SYN flood's counters (flood.c). */
struct lg_flood_stats {
	uint64_t sent;                /**< SYNs the port took */
	uint64_t tx_dropped;          /**< SYNs due but refused by a full tx ring */
	uint64_t nombuf;              /**< polls that found no mbufs for a burst */
	uint64_t first_tsc, last_tsc; /**< first and last poll with the flood on */
};

struct lg_origin_stats {
	uint64_t requests, conns_accepted, conns_refused, bad_requests, send_blocked;
	uint64_t per_listen[LG_MAX_LISTEN];
	unsigned n_targets;
	uint64_t target_hits[LG_ORIGIN_TARGETS];
	char targets[LG_ORIGIN_TARGETS][LG_TARGET_MAX + 1];
	uint64_t other_targets; /**< requests past the first LG_ORIGIN_TARGETS distinct targets */
};

/** fanout's counters read from its telemetry socket (/fanout/stats). */
struct lg_fanout_snap {
	int ok;
	unsigned n_workers;
	uint64_t busy, idle; /**< all workers' loop cycles */
	uint64_t requests;   /**< proxy.requests */
	uint64_t accepted;   /**< proxy.accepted */
	uint64_t upstream_connects, upstream_reuses;
	uint64_t syncookies_sent, syncookies_ok; /**< tcp.syncookies_* */
	uint64_t passive_opens, half_open;       /**< tcp.passive_opens, gauge tcp.half_open */
	uint64_t rx_pkts;                        /**< lib/net's rx_pkts */
	/* gauges (fanout's "memory" section; all 0 when it has none) */
	uint64_t tcp_conns, sessions, upstream_idle, upstream_busy;
	uint64_t mem_ok;                          /**< 1: the memory section was there */
	uint64_t rss_kb, rss_anon_kb, hugetlb_kb; /**< its process (/proc/self/status) */
	uint64_t heap_alloc;                      /**< bytes allocated from EAL's heaps */
	uint64_t mbufs_in_use, mbuf_bytes;        /**< mbufs not in the pool; bytes of one */
	uint64_t tcp_buffered;                    /**< tcp.buffered: mbufs in TCP queues */
	double cpu_s; /**< CPU seconds of its worker threads (rte-worker-*), with --fanout-pid */
	uint64_t tsc; /**< when read */
};
int lg_fanout_read(const char *path, int pid, struct lg_fanout_snap *s);

/* A stack: one lib/net + lib/tcp worker polling its ports. */
struct lg_stack {
	struct fo_net_worker net; /* first: cache-aligned */
	struct fo_tcp_worker *tcp;
	uint16_t ports[2];
	unsigned n_ports;
	unsigned lcore;
	struct lg_client *client;   /**< NULL: no client role here */
	struct lg_origin *origin;   /**< NULL: no origin role here */
	uint64_t busy, idle, loops; /**< TSC accounting of the loop, like fanout's workers */
	uint64_t tx_dropped;
	volatile int *quit;
};

/* client.c */
struct lg_client *lg_client_create(
	struct lg_stack *st, const struct lg_args *a, struct rte_mempool *mp, uint64_t hz);
/** Open the connections (load starts as they connect). @return 0 or -errno. */
int lg_client_start(struct lg_client *cl);
/** Timers, rate tokens, phase changes. @return work done (0: none). */
unsigned lg_client_poll(struct lg_client *cl, uint64_t now);
/** 1 once the run is over (bound reached and drained, or drain timed out). */
int lg_client_done(const struct lg_client *cl);
/** Close every connection (after the final reading). */
void lg_client_stop(struct lg_client *cl);
void lg_client_free(struct lg_client *cl);
const struct lg_client_stats *lg_client_stats(const struct lg_client *cl);
const struct lg_hist *lg_client_hist(const struct lg_client *cl);
/** TSC of the measured window: start and last completion. */
void lg_client_window(const struct lg_client *cl, uint64_t *start, uint64_t *end);
/** fanout's counters at the window's start and end (when a socket was given). */
void lg_client_fanout(
	const struct lg_client *cl, struct lg_fanout_snap *start, struct lg_fanout_snap *end);
/** The loop's busy/idle cycles during the window, and the CPU seconds its thread got. */
void lg_client_loop_share(
	const struct lg_client *cl, uint64_t *busy, uint64_t *idle, double *cpu_s);
size_t lg_client_request_len(const struct lg_client *cl);
/** The SYN flood's counters, or NULL without --syn-flood. */
const struct lg_flood_stats *lg_client_flood(const struct lg_client *cl);
/** --idle: connections open with nothing outstanding when fanout was read. */
unsigned lg_client_idle_conns(const struct lg_client *cl);

/* origin.c */
struct lg_origin *lg_origin_create(
	struct lg_stack *st, const struct lg_args *a, struct rte_mempool *mp);
/** Close every connection (FIN), at the end of a run. */
void lg_origin_stop(struct lg_origin *o);
/** Zero the counters (between runs; connections stay). */
void lg_origin_reset_stats(struct lg_origin *o);
void lg_origin_free(struct lg_origin *o);
const struct lg_origin_stats *lg_origin_stats(const struct lg_origin *o);

/* flood.c */
struct lg_flood *lg_flood_create(
	struct lg_stack *st, const struct lg_args *a, struct rte_mempool *mp, uint64_t hz);
/** Send the SYNs due (@p on: 1 in the window, 0 stops). @return frames attempted. */
unsigned lg_flood_poll(struct lg_flood *f, uint64_t now, int on);
const struct lg_flood_stats *lg_flood_stats(const struct lg_flood *f);
void lg_flood_free(struct lg_flood *f);

/* port.c */
/** Configure and start @p pid (one queue pair); fills ifc->mac and offloads. @return 0/-errno. */
int lg_port_start(uint16_t pid, struct rte_mempool *mp, struct fo_net_iface *ifc);
/** Wait for the link (a memif peer). @return 0, -ETIMEDOUT. */
int lg_port_wait_link(uint16_t pid);
/** Wait for the link to go down (the memif peer left). @return 0, -ETIMEDOUT. */
int lg_port_wait_down(uint16_t pid, unsigned ms);

/* report.c */
struct lg_report {
	const struct lg_args *a;
	double hz;
	const struct lg_client_stats *cs;
	const struct lg_hist *h;
	uint64_t win_start, win_end;
	uint64_t lg_busy, lg_idle;
	double lg_cpu_s;
	struct lg_fanout_snap fo0, fo1;
	const struct lg_origin_stats *os;
	size_t request_len;
	unsigned lcores;
	const struct lg_flood_stats *flood; /**< NULL: no --syn-flood */
	unsigned idle_conns;                /**< --idle: connections open and idle at fo1 */
};
void lg_report_print(FILE *f, const struct lg_report *r);
void lg_report_json(FILE *f, const struct lg_report *r);

#endif /* LG_H */
