/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Built-in TCP services selected by `listen ADDR:PORT SERVICE;`: echo,
 * discard, source SIZE and relay UPSTREAM. They exist so that integration
 * tests and benchmarks can exercise lib/tcp without HTTP, and they use only
 * the public fo_tcp.h API (they are its first user).
 *
 * Per worker, share-nothing: each worker has its own listeners (one
 * fo_tcp_listen() per worker and listen directive), its own pool of
 * connection states (allocated once, sized to the TCP connection limit) and
 * its own counters. Nothing allocates after svc_worker_create() except mbufs
 * for the source service.
 *
 * Source pattern: byte i of the stream (i from 0) is
 *     (i * 7 + i / 4096) & 0xff
 * so that a test can regenerate the expected stream (and its sha256), and a
 * misplaced 4 KiB block or a shifted byte changes it.
 */
#ifndef SERVICE_H
#define SERVICE_H

#include <stdint.h>
#include <stdio.h>

#include "fo_conf.h"
#include "fo_net.h"
#include "fo_tcp.h"

struct rte_mempool;
struct svc_worker;

/** Service counters, X(name, description): printed as svc.<name>. */
#define SVC_COUNTERS(X)                                                                            \
	X(accepted, "connections accepted by a service")                                           \
	X(refused_nostate, "connections reset: no service state left (limit)")                     \
	X(echo_bytes, "bytes echoed (queued for send)")                                            \
	X(discard_bytes, "bytes read and dropped by discard")                                      \
	X(source_bytes, "bytes queued by source")                                                  \
	X(source_done, "source streams fully queued")                                              \
	X(source_nombuf, "source stalls: mbuf pool down to its reserve (retried)")                 \
	X(relay_opened, "relay sessions whose upstream connection was started")                    \
	X(relay_connected, "relay upstream connections established")                               \
	X(relay_connect_failed, "relay upstream connections that failed (client reset)")           \
	X(relay_bytes, "bytes relayed, both directions")                                           \
	X(aborted, "connections aborted by a service (error, peer reset)")

struct svc_stats {
	SVC_COUNTERS(FO_TCP_STAT_FIELD)
};
#define SVC_STATS_N (0 SVC_COUNTERS(FO_TCP_STAT_ONE))
extern const char *const svc_stats_names[SVC_STATS_N];

/**
 * Create a worker's service state and its listeners (fo_tcp_listen() for
 * every non-http listen directive).
 *
 * @param max_conns connection states to preallocate (the TCP limit).
 * @return the state, or NULL (logged).
 */
struct svc_worker *svc_worker_create(const struct fo_conf *conf, struct fo_tcp_worker *tw,
	const struct fo_net_worker *net, struct rte_mempool *pool, unsigned max_conns, int socket);

/** Free a worker's service state (after fo_tcp_worker_free(): no more callbacks). */
void svc_worker_free(struct svc_worker *sw);

/**
 * Retry work that waits for something other than a TCP event (source
 * streams stalled on an empty mbuf pool). Cheap when there is none.
 *
 * @return connections that made progress.
 */
unsigned svc_poll(struct svc_worker *sw);

/** This worker's service counters. */
const struct svc_stats *svc_worker_stats(const struct svc_worker *sw);

/** Connection states in use (gauge). */
unsigned svc_worker_in_use(const struct svc_worker *sw);

#endif /* SERVICE_H */
