/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Built-in services, private part shared by service.c (pool, listeners,
 * discard, source) and service_pipe.c (echo and relay: bytes from one
 * connection to another with backpressure).
 */
#ifndef SERVICE_PRIV_H
#define SERVICE_PRIV_H

#include "service.h"

/** Most bytes taken from a connection at once (then sent on in pieces). */
#define SVC_RECV_MAX (64u * 1024)
/** Most bytes source fills per send. */
#define SVC_SOURCE_CHUNK (64u * 1024)
/**
 * Free mbufs source leaves in the pool for everything else: received
 * segments (the NIC refills its rx ring from the pool), ACKs, headers. A
 * source that filled the pool would leave fanout deaf, unable even to see
 * the ACKs that would free it.
 */
#define SVC_POOL_RESERVE 4096

/* svc_conn.flags */
#define SVC_F_EOF 0x01        /* recv returned 0: the peer sent FIN */
#define SVC_F_FWD_SHUT 0x02   /* EOF passed on: shutdown sent on the other side */
#define SVC_F_CONNECTING 0x04 /* relay upstream: active open not established yet */
#define SVC_F_STALLED 0x08    /* source: on the worker's stalled list */
#define SVC_F_GONE 0x10       /* the TCP connection is gone (closed callback seen) */

struct svc_listener {
	struct svc_worker *sw;
	const struct fo_conf_listen *conf;
	const struct fo_conf_upstream *up; /* relay only */
	unsigned rr_idx, rr_cnt;           /* relay: weighted round-robin position */
};

/**
 * One connection's service state. Echo: peer == self (bytes go back where
 * they came from). Relay: two states, one per connection, peers of each
 * other; pending holds bytes read from this connection not yet queued on
 * the peer.
 */
struct svc_conn {
	struct svc_conn *next; /* free list, or stalled list */
	struct svc_worker *sw;
	struct fo_tcp_conn *c; /* NULL once gone */
	struct svc_conn *peer;
	struct svc_listener *l;
	struct rte_mbuf *pending;
	uint64_t off, total; /* source: bytes generated so far, stream size */
	uint8_t flags;
};

struct svc_worker {
	struct fo_tcp_worker *tw;
	const struct fo_net_worker *net;
	struct rte_mempool *pool;
	struct svc_conn *conns; /* all states, max_conns of them */
	struct svc_conn *free;
	unsigned n_conns, in_use;
	struct svc_conn *stalled; /* source streams waiting for mbufs */
	struct svc_listener *listeners;
	unsigned n_listeners;
	struct svc_stats stats;
};

/* service.c */
struct svc_conn *svc_conn_alloc(struct svc_worker *sw, struct svc_listener *l);
/** Return a state to the pool, freeing what it holds. */
void svc_conn_free(struct svc_conn *s);

/* service_pipe.c */
extern const struct fo_tcp_ops svc_echo_ops;
extern const struct fo_tcp_ops svc_relay_ops;

#endif /* SERVICE_PRIV_H */
