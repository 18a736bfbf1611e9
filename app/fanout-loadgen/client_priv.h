/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client role's private state, shared by client.c (connections, the
 * request and response path) and client_run.c (set-up, phases, fixed-rate
 * schedule, timeouts, results).
 */
#ifndef LG_CLIENT_PRIV_H
#define LG_CLIENT_PRIV_H

#include "lg.h"

/* C_CLOSING: --close, response read, waiting for the server's FIN (so that
 * TIME_WAIT stays on the server's side, as with any HTTP/1.1 client) */
enum cstate { C_FREE, C_CONNECTING, C_OPEN, C_CLOSING };
enum phase { P_IDLE, P_WARMUP, P_MEASURE, P_DRAIN, P_DONE };

struct cconn {
	struct lg_client *cl;
	struct fo_tcp_conn *c;
	uint8_t state;
	uint8_t in_head;  /* 1: parsing a head; 0: in a body */
	uint8_t resp_bad; /* the response being read failed a check (its kind) + 1 */
	uint8_t idle;     /* on the idle stack (fixed rate) */
	uint8_t handshook; /* keep-alive: its first connect attempt ended (up or failed) */
	uint16_t out;     /* requests outstanding */
	uint16_t q_head;  /* oldest outstanding in sent[] */
	uint32_t started; /* --idle: requests started on this connection */
	uint64_t body_left;
	uint64_t sent[LG_MAX_DEPTH]; /* start TSC of each outstanding request */
	uint64_t closing_since;      /* C_CLOSING: TSC of the response */
	unsigned next_target;
	struct fo_http_parser p;
	struct fo_http_msg msg;
};

struct lg_client {
	struct lg_stack *st;
	const struct lg_args *a;
	struct rte_mempool *mp;
	uint64_t hz;
	struct cconn *conns;
	unsigned n;
	unsigned depth;
	/* prebuilt requests, one per target */
	uint8_t *req[LG_MAX_TARGETS];
	uint16_t req_len[LG_MAX_TARGETS];
	unsigned n_req;
	/* phases */
	enum phase phase;
	uint64_t t_begin, win_start, win_end, warm_end, stop_at, drain_end;
	uint64_t timeout_tsc, next_scan;
	uint64_t in_flight; /* all connections */
	/* fixed rate */
	uint64_t interval, next_tsc;
	unsigned *idle;
	unsigned n_idle;
	struct lg_client_stats s;
	struct lg_hist *h;
	struct lg_fanout_snap fo0, fo1;
	struct lg_flood *flood; /* --syn-flood, else NULL */
	unsigned idle_conns;    /* --idle: open and idle when fanout was read */
	unsigned open_next;     /* keep-alive: conns[] from here on not opened yet */
	unsigned handshakes;    /* keep-alive: first connect attempts that ended */
	uint64_t busy0, idle0, busy1, idle1;
	double cpu0, cpu1; /* this thread's CPU seconds at the window's edges */
};

/** Open a connection; with --close it carries the request started at @p sched. */
void cconn_open(struct cconn *k, uint64_t sched);
/** Closed loop: keep @p k at its depth; fixed rate: park it when ready. */
void cconn_fill(struct cconn *k);
/** Fail what @p k has outstanding with @p e, drop the connection, refill. */
void cconn_fail(struct cconn *k, enum lg_err e, int abort);
/** Start a request on @p k (or its connection, --close), started at @p sched. */
void cconn_issue(struct cconn *k, uint64_t sched);
/** Put a ready connection on the fixed-rate idle stack. */
void cconn_park(struct cconn *k);
/** May another request start now (bounds, phase)? Counts it when so. @return 1/0. */
int client_take_request(struct lg_client *cl);

#endif /* LG_CLIENT_PRIV_H */
