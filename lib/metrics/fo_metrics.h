/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/metrics: Prometheus text exposition (format 0.0.4) and a small HTTP/1.1
 * server for it on a kernel TCP socket, driven by the caller's poll(2) loop.
 *
 * The library knows no counter of its own: on each scrape it calls the
 * caller's render function, which writes metric families into a
 * struct fo_metrics_out with fo_metrics_family() and fo_metrics_value*().
 * No DPDK, no other fanout library: it sits below everything that has
 * numbers to show.
 *
 * The server never blocks: non-blocking sockets, at most
 * FO_METRICS_MAX_CONNS connections, requests of at most FO_METRICS_REQ_MAX
 * bytes, each connection closed FO_METRICS_DEADLINE_MS after it was accepted
 * whatever state it is in, one response per connection (Connection: close).
 */
#ifndef FO_METRICS_H
#define FO_METRICS_H

#include <stddef.h>
#include <stdint.h>

/** Connections served at once; more wait in the kernel's backlog. */
#define FO_METRICS_MAX_CONNS 4
/** Largest request head read; a longer one is answered 431 and closed. */
#define FO_METRICS_REQ_MAX 4096
/** A connection is closed this long after it was accepted, done or not. */
#define FO_METRICS_DEADLINE_MS 5000
/** Largest exposition rendered; a render that would grow past it fails (500). */
#define FO_METRICS_BODY_MAX (16u << 20)

/** Metric family types of the 0.0.4 text format that fanout uses. */
enum fo_metrics_type {
	FO_METRICS_COUNTER, /**< name gets "_total" if it has not */
	FO_METRICS_GAUGE,
	FO_METRICS_HISTOGRAM, /**< samples with fo_metrics_histogram() only */
};

/** One label of a sample: its name and its raw (unescaped) value. */
struct fo_metrics_label {
	const char *name;
	const char *value;
};

/**
 * The exposition being written: a growing buffer and the current family.
 * Errors (out of memory, past FO_METRICS_BODY_MAX) are sticky in err.
 */
struct fo_metrics_out {
	char *buf;
	size_t len, cap;
	int err;        /**< 0 or -ENOMEM / -E2BIG from the first failed write */
	char name[128]; /**< current family's name, sanitized, "_total" added */
};

/** Start an empty exposition (no allocation until something is written). */
void fo_metrics_out_init(struct fo_metrics_out *o);
/** Free the buffer; @p o can be initialized again. */
void fo_metrics_out_free(struct fo_metrics_out *o);

/**
 * Begin a metric family: its "# HELP" and "# TYPE" lines. Characters not
 * allowed in a metric name become '_' (a leading digit gets a '_' in
 * front); a counter's name gets "_total" unless it ends with it. HELP text
 * is escaped (backslash, newline). Each family must be begun once only.
 */
void fo_metrics_family(
	struct fo_metrics_out *o, enum fo_metrics_type type, const char *name, const char *help);
/**
 * One sample of the current family: name{labels} value. Label names are
 * sanitized as metric names (no ':'); values are escaped (backslash, double
 * quote, newline). @p n may be 0 (@p labels then unused).
 */
void fo_metrics_value(
	struct fo_metrics_out *o, const struct fo_metrics_label *labels, unsigned n, uint64_t v);
/** As fo_metrics_value() with a float value (NaN, +Inf and -Inf as the format spells them). */
void fo_metrics_value_f(
	struct fo_metrics_out *o, const struct fo_metrics_label *labels, unsigned n, double v);

/** Labels a histogram sample may have besides "le". */
#define FO_METRICS_HIST_LABELS_MAX 7

/**
 * One histogram of the current family (begun as FO_METRICS_HISTOGRAM):
 * name_bucket{labels,le="B"} for each bound (cumulative counts from the
 * per-bucket @p counts: counts[i] observations fell in (bounds[i-1],
 * bounds[i]]), name_bucket{le="+Inf"} @p count, name_sum @p sum,
 * name_count @p count. At most FO_METRICS_HIST_LABELS_MAX labels (else
 * err = -E2BIG).
 */
void fo_metrics_histogram(struct fo_metrics_out *o, const struct fo_metrics_label *labels, unsigned n,
	const double *bounds, const uint64_t *counts, unsigned n_bounds, uint64_t count, double sum);

/**
 * Write the exposition into @p o (called once per scrape, on the thread
 * that calls fo_metrics_poll()). @return 0, or -errno (the scrape gets 500).
 */
typedef int (*fo_metrics_render_fn)(void *arg, struct fo_metrics_out *o);

struct fo_metrics_srv;

/** What the server has done since it was opened. */
struct fo_metrics_srv_stats {
	uint64_t accepted;  /**< connections accepted */
	uint64_t scrapes;   /**< 200 responses to GET /metrics */
	uint64_t not_found; /**< 404: another path or method */
	uint64_t bad;       /**< 400 (malformed) or 431 (head too large) */
	uint64_t failed;    /**< 500: the render failed */
	uint64_t timeouts;  /**< connections closed at their deadline */
};

/**
 * Listen on @p addr:@p port (both in host order) with a non-blocking socket
 * (SO_REUSEADDR).
 *
 * @return the server, or NULL with errno set (EADDRINUSE, EACCES, ENOMEM...).
 */
struct fo_metrics_srv *fo_metrics_open(
	uint32_t addr, uint16_t port, fo_metrics_render_fn fn, void *arg);
/**
 * The descriptors to sleep on: the listening socket (POLLIN, unless
 * FO_METRICS_MAX_CONNS connections are open) and every connection (POLLIN
 * while reading its request, POLLOUT while writing its response).
 *
 * @return how many entries of @p fds were filled (at most @p max).
 */
struct pollfd;
unsigned fo_metrics_pollfds(const struct fo_metrics_srv *s, struct pollfd *fds, unsigned max);
/**
 * Accept, read, answer and close what is ready, and close connections past
 * their deadline. Never blocks. @p s may be NULL (nothing to do).
 *
 * @return how many connections made progress.
 */
unsigned fo_metrics_poll(struct fo_metrics_srv *s);
/** Bound port (host order): the configured one, or the kernel's pick for port 0. */
uint16_t fo_metrics_port(const struct fo_metrics_srv *s);
const struct fo_metrics_srv_stats *fo_metrics_stats(const struct fo_metrics_srv *s);
/** Close every connection and the listening socket. @p s may be NULL. */
void fo_metrics_close(struct fo_metrics_srv *s);

#endif /* FO_METRICS_H */
