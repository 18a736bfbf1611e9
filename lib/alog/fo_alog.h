/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/alog: the access log and the per-route request counters.
 *
 * Access log: a worker fills a fixed-size binary entry per request (struct
 * fo_alog_entry: addresses, lengths, TSC timestamps, bounded copies of the
 * method, target, Host, User-Agent, Referer, request id, route and
 * upstream names) and pushes it on its own single-producer ring with
 * fo_alog_push(), which never blocks: a full ring drops the entry and
 * counts it. The control thread drains every ring with
 * fo_alog_writer_drain(), formats the entries (ingress-nginx's
 * `upstreaminfo` text, or one JSON object per line) into one buffer and
 * writes it with one write(2) per drain. fo_alog_writer_reopen_ask() only
 * sets a flag (async-signal-safe, for SIGUSR1): the next drain reopens the
 * file by its path (logrotate's rename + signal convention).
 *
 * Per-route counters: struct fo_alog_rstats, one per (route key, worker),
 * bumped by the owning worker with fo_alog_rstats_count() (plain adds, no
 * atomics), summed by the control thread with fo_alog_rstats_add() (a
 * tearing-tolerant read of aligned 64-bit words, as the other counters).
 *
 * No EAL needed: rings are rte_ring structures in plain memory
 * (rte_ring_init()), so unit tests run without hugepages.
 */
#ifndef FO_ALOG_H
#define FO_ALOG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds of the copied strings (longer values are cut, and flagged). */
#define FO_ALOG_METHOD_MAX 16
#define FO_ALOG_TARGET_MAX 256
#define FO_ALOG_HOST_MAX 96
#define FO_ALOG_UA_MAX 128
#define FO_ALOG_REFERER_MAX 96
#define FO_ALOG_RID_MAX 64
#define FO_ALOG_ROUTE_MAX 96
#define FO_ALOG_UPSTREAM_MAX 64

/* fo_alog_entry.flags */
#define FO_ALOG_F_TRUNC_TARGET 0x01 /**< target longer than FO_ALOG_TARGET_MAX */
#define FO_ALOG_F_TRUNC_OTHER 0x02  /**< Host, User-Agent, Referer or request id cut */
#define FO_ALOG_F_ABORTED 0x04      /**< connection reset before the response ended */
#define FO_ALOG_F_UPSTREAM 0x08     /**< an upstream server was tried (ep_*, t_up_start valid) */
#define FO_ALOG_F_UP_HEAD 0x10      /**< an upstream response head came (up_status, t_up_head) */

/**
 * One request, as the worker saw it: binary fields only (formatting is
 * the control thread's). Strings are not NUL-terminated; *_len say how
 * many bytes are valid. Exactly 1024 bytes (the ring's element size).
 */
struct fo_alog_entry {
	uint64_t t_start;     /**< TSC (the burst clock): the first byte of the request head */
	uint64_t t_up_start;  /**< TSC: the first upstream attempt began */
	uint64_t t_up_head;   /**< TSC: the upstream response head was complete */
	uint64_t t_end;       /**< TSC: the response was all queued (or the request ended) */
	uint64_t seq;         /**< the worker's request number (1, 2, ...) */
	uint64_t req_len;     /**< request line + header section + body bytes */
	uint64_t bytes_out;   /**< bytes queued to the client for this request (heads included) */
	uint64_t body_out;    /**< of those, after the final response head */
	uint32_t client_addr; /**< network order */
	uint32_t ep_addr;     /**< upstream server, network order (FO_ALOG_F_UPSTREAM) */
	uint16_t client_port; /**< host order */
	uint16_t ep_port;     /**< host order */
	uint16_t status;      /**< status sent to the client (0: none, connection reset) */
	uint16_t up_status;   /**< status of the upstream's response (FO_ALOG_F_UP_HEAD) */
	uint16_t worker;
	uint8_t flags;      /**< FO_ALOG_F_* */
	uint8_t http_minor; /**< HTTP/1.x of the request */
	uint16_t target_len, host_len, ua_len, referer_len;
	uint8_t method_len, rid_len, route_len, upstream_len, alt_len;
	char method[FO_ALOG_METHOD_MAX];
	char target[FO_ALOG_TARGET_MAX];
	char host[FO_ALOG_HOST_MAX];
	char ua[FO_ALOG_UA_MAX];
	char referer[FO_ALOG_REFERER_MAX];
	char rid[FO_ALOG_RID_MAX];
	char route[FO_ALOG_ROUTE_MAX];
	char upstream[FO_ALOG_UPSTREAM_MAX]; /**< the route's upstream ($proxy_upstream_name) */
	char alt[FO_ALOG_UPSTREAM_MAX]; /**< the canary that took it ($proxy_alternative_upstream_name) */
	uint8_t pad[47];
};

_Static_assert(sizeof(struct fo_alog_entry) == 1024, "access log entries are 1024 bytes");

/** Copy at most @p cap bytes of @p src into @p dst; *@p len gets the count. @return 1 if cut. */
static inline int
fo_alog_copy(char *dst, size_t cap, const void *src, size_t n, void *len, size_t len_size)
{
	size_t k = n < cap ? n : cap;

	__builtin_memcpy(dst, src, k);
	if (len_size == 1)
		*(uint8_t *)len = (uint8_t)k;
	else
		*(uint16_t *)len = (uint16_t)k;
	return k < n;
}
#define FO_ALOG_COPY(e, field, src, n)                                                             \
	fo_alog_copy((e)->field, sizeof((e)->field), (src), (n), &(e)->field##_len,                \
		sizeof((e)->field##_len))

/** Output formats. */
enum fo_alog_format {
	FO_ALOG_UPSTREAMINFO, /**< ingress-nginx's default log_format upstreaminfo */
	FO_ALOG_JSON,         /**< one JSON object per line, keys named after those fields */
};

/* ---- the rings (one per worker) ---- */

struct rte_ring;

/**
 * An SPSC ring in plain memory of @p count rounded up to a power of two
 * (at least 16) slots; it holds one entry less than that.
 *
 * @return the ring, or NULL (errno ENOMEM, EINVAL).
 */
struct rte_ring *fo_alog_ring_create(const char *name, unsigned count);
void fo_alog_ring_free(struct rte_ring *r);

/** What a worker counts about its pushes (its own, read by the control thread). */
struct fo_alog_push_stats {
	uint64_t pushed;  /**< entries queued */
	uint64_t dropped; /**< entries dropped: the ring was full (access_log_dropped) */
};

/**
 * Queue @p e on @p r (single producer: the owning worker). Never blocks.
 * @return 0 queued, -ENOBUFS dropped (counted in @p st).
 */
int fo_alog_push(struct rte_ring *r, const struct fo_alog_entry *e, struct fo_alog_push_stats *st);

/* ---- formatting (control thread) ---- */

/** TSC to wall-clock conversion: ns = unix_ns + (tsc - tsc0) * 1e9 / hz. */
struct fo_alog_clock {
	uint64_t hz, tsc0, unix_ns;
	int utc; /**< 1: times in UTC (+0000), 0: local time */
	/* private: $time_local of the last second formatted (zero it with the rest) */
	int64_t cached_sec;
	char cached[47];
	uint8_t cached_len;
};

/** Longest line fo_alog_format() writes (every field at its bound, all escaped). */
#define FO_ALOG_LINE_MAX 8192

/**
 * Format @p e as one line (ending in '\n') into @p buf (at least
 * FO_ALOG_LINE_MAX bytes). Text: strings between quotes escaped as nginx
 * does (", \ and bytes outside 0x20..0x7e as \xHH), missing values '-'.
 * JSON: strings escaped per RFC 8259 (bytes >= 0x80 as \u00XX, so the
 * line is valid JSON whatever the client sent), missing values null.
 *
 * @return the line's length.
 */
size_t fo_alog_format(const struct fo_alog_entry *e, enum fo_alog_format fmt,
	struct fo_alog_clock *clk, char *buf);

/* ---- the writer (control thread) ---- */

struct fo_alog_writer;

/** What the writer has done. */
struct fo_alog_writer_stats {
	uint64_t entries;       /**< entries formatted and written */
	uint64_t writes;        /**< write(2) calls */
	uint64_t bytes;         /**< bytes written */
	uint64_t write_errors;  /**< write(2) failures or short writes (those lines are lost) */
	uint64_t reopens;       /**< files reopened (SIGUSR1) */
	uint64_t reopen_errors; /**< reopens that failed (the old descriptor stays) */
};

/**
 * Open @p path for appending (created 0644) and prepare a buffer of
 * @p buf_size bytes (at least 4 * FO_ALOG_LINE_MAX is used).
 *
 * @return the writer, or NULL with errno set.
 */
struct fo_alog_writer *fo_alog_writer_open(const char *path, enum fo_alog_format fmt,
	size_t buf_size, const struct fo_alog_clock *clk);
/** Drain @p r too (at most FO_MAX_WORKERS rings). @return 0 or -ENOSPC. */
int fo_alog_writer_add_ring(struct fo_alog_writer *w, struct rte_ring *r);
/**
 * Reopen the file at the next drain. Only stores to a flag: may be called
 * from a signal handler.
 */
void fo_alog_writer_reopen_ask(struct fo_alog_writer *w);
/**
 * Reopen when asked, then take entries from every ring (round robin) while
 * the buffer has room for one more line, format them and write the
 * buffer with one write(2).
 *
 * @return entries written.
 */
unsigned fo_alog_writer_drain(struct fo_alog_writer *w);
const struct fo_alog_writer_stats *fo_alog_writer_stats(const struct fo_alog_writer *w);
/** Drain what is left, close the file and free. NULL is a no-op. */
void fo_alog_writer_close(struct fo_alog_writer *w);

/* ---- per-route counters ---- */

/** Upper bounds of the latency buckets, seconds (ingress-nginx's, Prometheus' defaults). */
#define FO_ALOG_LAT_BUCKETS 11
extern const double fo_alog_lat_bounds[FO_ALOG_LAT_BUCKETS];
/** Upper bounds of the size buckets, bytes. */
#define FO_ALOG_SIZE_BUCKETS 7
extern const double fo_alog_size_bounds[FO_ALOG_SIZE_BUCKETS];

/** Status classes counted: 1xx..5xx (index status / 100 - 1), and 0 for none. */
#define FO_ALOG_CLASSES 6

/**
 * One route's counters on one worker. Buckets are not cumulative (the
 * renderer adds them up); the +Inf bucket is the count.
 */
struct fo_alog_rstats {
	uint64_t requests[FO_ALOG_CLASSES]; /**< by class: [0] no status, [1] 1xx ... [5] 5xx */
	uint64_t lat[FO_ALOG_LAT_BUCKETS];  /**< request time, first bucket it fits, else none */
	uint64_t lat_count, lat_sum_us;
	uint64_t up_lat[FO_ALOG_LAT_BUCKETS]; /**< upstream response time (until its last byte) */
	uint64_t up_lat_count, up_lat_sum_us;
	uint64_t req_size[FO_ALOG_SIZE_BUCKETS];
	uint64_t req_bytes;
	uint64_t resp_size[FO_ALOG_SIZE_BUCKETS];
	uint64_t resp_bytes;
} __attribute__((aligned(64)));

/**
 * Count one request: @p status (0: none), @p us its time in microseconds,
 * @p up_us the upstream's (UINT64_MAX: no upstream), request and response
 * bytes.
 */
void fo_alog_rstats_count(struct fo_alog_rstats *r, unsigned status, uint64_t us, uint64_t up_us,
	uint64_t req_bytes, uint64_t resp_bytes);
/** @p dst += @p src (each field). */
void fo_alog_rstats_add(struct fo_alog_rstats *dst, const struct fo_alog_rstats *src);
/** @p dst -= @p src (a baseline taken away; fields never go below 0). */
void fo_alog_rstats_sub(struct fo_alog_rstats *dst, const struct fo_alog_rstats *src);

/* ---- route keys: which counters a request of a snapshot bumps ---- */

struct fo_conf;

/**
 * A slot's labels: the route's key (see fo_alog_routes_create()), its
 * upstream's name and, for a canary's slot, the canary's upstream (else
 * empty). The upstream that serves the slot's requests is alt when set.
 */
struct fo_alog_route_name {
	char route[FO_ALOG_ROUTE_MAX];
	char upstream[FO_ALOG_UPSTREAM_MAX];
	char alt[FO_ALOG_UPSTREAM_MAX];
	uint8_t route_len, upstream_len, alt_len;
};

/**
 * The accounting slots of one config (one snapshot): its routes in config
 * order, then its default backends, then its routes' canaries (route by
 * route, canary by canary), then one for requests no route took (404,
 * /healthz, heads that did not parse). key[i]: the registry index
 * whose counters slot i's requests bump (UINT32_MAX: not counted, the
 * registry was full). Built and freed by the control thread; workers read it.
 */
struct fo_alog_routes {
	uint32_t n, n_routes, n_defaults;
	uint32_t *key;                   /**< [n] */
	struct fo_alog_route_name *name; /**< [n] */
	uint32_t *canary_first;          /**< [n_routes]: the slot of each route's first canary */
};

/** The slot of route @p route's canary @p k (1: its first; 0: the route itself). */
static inline uint32_t
fo_alog_routes_slot(const struct fo_alog_routes *rt, uint32_t route, unsigned k)
{
	return k == 0 || route >= rt->n_routes ? route : rt->canary_first[route] + k - 1;
}

/**
 * The slots of @p conf with their labels. Route key: host (or "*") and
 * path, with nginx's location modifier for exact ("= ") and regex ("~ ")
 * routes: "a.example /api", "* = /healthz", "* ~ ^/v[0-9]+/". Default
 * backends: "default_backend" and its host; the last slot: "". Keys
 * longer than FO_ALOG_ROUTE_MAX are cut. key[] all UINT32_MAX.
 *
 * @return the slots, or NULL (ENOMEM).
 */
struct fo_alog_routes *fo_alog_routes_create(const struct fo_conf *conf);
void fo_alog_routes_free(struct fo_alog_routes *rt);
/** The slot of the default backend whose route is @p route (in @p conf), or the last slot. */
uint32_t fo_alog_routes_default_slot(
	const struct fo_alog_routes *rt, const struct fo_conf *conf, const void *route);

/**
 * The registry: (route key, upstream) -> index into every worker's
 * counter array, stable across reloads for as long as some snapshot
 * lists the pair, so counters go on where a reload keeps a route. An
 * index no snapshot uses any more is freed; when reused, the counts it
 * holds become the new pair's baseline (subtracted when read), so the
 * workers' arrays never need clearing and stay a fixed size.
 */
struct fo_alog_reg;

/**
 * A registry of @p cap indices over @p n_workers counter arrays (each
 * @p cap struct fo_alog_rstats, allocated here; fo_alog_reg_worker()).
 * @return the registry, or NULL (ENOMEM).
 */
struct fo_alog_reg *fo_alog_reg_create(unsigned cap, unsigned n_workers);
void fo_alog_reg_free(struct fo_alog_reg *reg);
/** Worker @p w's counter array ([fo_alog_reg_cap()]): written by that worker only. */
struct fo_alog_rstats *fo_alog_reg_worker(struct fo_alog_reg *reg, unsigned w);
unsigned fo_alog_reg_cap(const struct fo_alog_reg *reg);
/** Fill @p rt->key (control thread, before publishing). @return slots left uncounted (full). */
unsigned fo_alog_reg_ref(struct fo_alog_reg *reg, struct fo_alog_routes *rt);
/** @p rt's snapshot is gone (no worker writes through it any more): let its keys go. */
void fo_alog_reg_unref(struct fo_alog_reg *reg, const struct fo_alog_routes *rt);
/**
 * The next index in use from @p *it (start at 0): its labels and its
 * counters summed over the workers, baseline taken away.
 * @return 1 (and *it advanced), or 0 at the end.
 */
int fo_alog_reg_next(const struct fo_alog_reg *reg, unsigned *it,
	const struct fo_alog_route_name **name, struct fo_alog_rstats *sum);
/** Slots refused since creation: the registry was full. */
uint64_t fo_alog_reg_full(const struct fo_alog_reg *reg);

#endif /* FO_ALOG_H */
