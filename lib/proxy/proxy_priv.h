/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/proxy private definitions, shared by:
 *   proxy_worker.c    create/free, listeners, session and upstream pools, timers, stats
 *   proxy_mbuf.c      mbuf chain helpers (cut at a byte, copy into mbufs, linearise)
 *   proxy_request.c   client side: request heads, routing, errors, request body
 *   proxy_upstream.c  upstream connections: server choice, connect, retries
 *   proxy_upconn.c    an upstream connection's release into the pool, timers, TCP callbacks
 *   proxy_response.c  response heads and bodies towards the client, end of exchange
 *   proxy_tunnel.c    raw splice after 101 Switching Protocols (plain or TLS client side)
 *   proxy_passthrough.c  SNI passthrough: ClientHello read, upstream by name, then the splice
 *   proxy_tls.c       TLS client sessions: handshake, records both ways, 421, HSTS
 *   proxy_tls_hs.c    TLS fairness: deferred handshake queue, half-open bound, timeout,
 *                     KeyUpdate flood
 *   proxy_action.c    redirects, default backends, /healthz (route actions)
 *
 * A session (px_sess) is one client connection. While a request is in
 * flight it owns one upstream connection (px_up). Bytes move through four
 * chains, each bounded:
 *   in      client bytes not parsed/framed yet (head being parsed, pipelined
 *           requests, request body not framed yet);
 *   to_up   framed request bytes fo_tcp_send() refused (backpressure);
 *   rin     upstream bytes not parsed/framed yet;
 *   to_cl   framed response bytes fo_tcp_send() refused.
 * Reading stops while the chain towards the other side is not empty, so the
 * TCP windows close instead of fanout buffering.
 *
 * Functions that may free the session return PX_GONE (-1); callers stop
 * touching it then.
 */
#ifndef PROXY_PRIV_H
#define PROXY_PRIV_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_reciprocal.h>

#include "fo_alog.h"
#include "fo_balance.h"
#include "fo_proxy.h"
#include "fo_tls.h"
#include "fo_timer.h"

#define PX_GONE (-1)
/** Most bytes taken from a connection at once. */
#define PX_RECV_MAX (64u * 1024)
/** Output head buffer (upstream request head, response head, errors). */
#define PX_OUT_MAX (64u * 1024)
/** Segments an unparsed head may span before it is compacted into full mbufs... */
#define PX_HEAD_SEGS_MAX 8
/** ...when they hold fewer bytes than this on average (a head dribbling in). */
#define PX_HEAD_SEG_MIN_FILL 512
/** Error sent: how long the client may keep sending before the connection is closed. */
#define PX_LINGER_MS 5000
/** Timer tick. */
#define PX_TICK_MS 1
/** Endpoints a worker tracks at least (4x the first config's servers when more). */
#define PX_ENDPOINTS_MIN 4096
/** Active health checks a worker runs at once (more are reported "no state", not run). */
#define PX_PROBES_MAX 64
/** Period of px_up_sweep(): next hops of upstream servers checked, failed ones asked again. */
#define PX_SWEEP_MS 1000

/* session phases */
enum px_phase {
	PX_IDLE,     /* between requests: no byte of the next head yet */
	PX_HEAD,     /* reading a request head */
	PX_EXCHANGE, /* request routed: forwarding request and response */
	PX_TUNNEL,   /* after 101: raw bytes both ways */
	PX_LINGER,   /* FIN sent after an error: drain the client until EOF */
	PX_PASS_HELLO, /* SNI passthrough: reading the ClientHello (proxy_passthrough.c) */
	PX_PASS,       /* SNI passthrough: upstream connecting, the ClientHello in to_up */
};

/* request side of an exchange */
enum px_req_state {
	PX_REQ_BODY = 1, /* streaming the body to the upstream */
	PX_REQ_DONE,     /* whole request framed (maybe still in to_up) */
};

/* response side of an exchange */
enum px_resp_state {
	PX_RESP_WAIT = 1, /* upstream connecting or response head not complete */
	PX_RESP_BODY,     /* head sent, streaming the body */
	PX_RESP_DONE,     /* response framed completely (maybe still in to_cl) */
};

/* px_sess.flags */
#define PX_S_CLOSE 0x0001      /* close the client after this response */
#define PX_S_UPGRADE 0x0002    /* request asked for Upgrade (forwarded) */
#define PX_S_STARTED 0x0004    /* a byte of the response reached to_cl/TCP */
#define PX_S_HEAD_REQ 0x0008   /* request method HEAD */
#define PX_S_CL_EOF 0x0010     /* client sent FIN (tunnel, linger) */
#define PX_S_UP_EOF 0x0020     /* upstream sent FIN (tunnel) */
#define PX_S_CL_SHUT 0x0040    /* shutdown sent to the client (tunnel) */
#define PX_S_UP_SHUT 0x0080    /* shutdown sent to the upstream (tunnel) */
#define PX_S_RETRIED 0x0100    /* keep-alive race retry used */
#define PX_S_USED 0x0200       /* the connection served a request before */
#define PX_S_HTTP10 0x0400     /* request is HTTP/1.0 */
#define PX_S_UP_NOREUSE 0x1000 /* upstream connection must not be pooled */
#define PX_S_UP_REUSED 0x2000  /* the upstream connection came from the pool */
#define PX_S_ACCT 0x4000       /* a request is being accounted (px_acct_begin() .. end()) */
#define PX_S_ACCT_HEAD 0x8000  /* ... and its head parsed (s->req valid) */
#define PX_S_PASS_SEEN 0x10000 /* tls passthrough listener: the ClientHello was looked at */
#define PX_S_IN_QUEUED 0x20000 /* s->in: read from TCP by px_cl_finish(), not left over */

/* px_up.state */
enum px_up_state {
	PX_UP_FREE,
	PX_UP_CONNECTING,
	PX_UP_BUSY,
	PX_UP_IDLE,
};

/* what px_up.timer is armed for */
enum px_up_timer {
	PX_UT_CONNECT = 1,
	PX_UT_READ,
	PX_UT_SEND,
	PX_UT_IDLE,
};

struct fo_proxy_worker;
struct px_sess;
struct px_server;
struct px_probe;

/** An upstream connection. */
struct px_up {
	struct fo_proxy_worker *pw;
	struct fo_tcp_conn *c;
	struct px_sess *s;         /* owner while busy/connecting */
	struct px_server *srv;     /* pool it belongs to */
	struct px_up *next, *prev; /* idle list of srv (LIFO), or free list */
	struct fo_timer timer;     /* connect / read / send timeout, idle expiry */
	uint64_t deadline;         /* TSC; 0: none (see px_deadline_set()) */
	uint32_t n_requests;
	uint32_t slot; /* health slot of the last request's server (ep_stats gauges), or NONE */
	uint8_t state;
	uint8_t tkind; /* enum px_up_timer */
};

/**
 * An endpoint (address:port) as one worker knows it: its idle pool and
 * next-hop state. Keyed by identity, not by config index, so that pooled
 * connections survive a reload that keeps the endpoint (in any upstream,
 * at any position). Lives while a snapshot view of this worker lists it or
 * a connection of its pool is open.
 */
struct px_server {
	rte_be32_t addr; /* network order */
	uint16_t port;   /* host order */
	uint8_t used;
	uint8_t unresolved; /* next hop FAILED at the last sweep: not chosen while others are fine */
	uint32_t views;     /* views of this worker that list it */
	uint32_t n_up;      /* its connections: connecting, busy or idle */
	uint32_t hnext;     /* hash chain (index), UINT32_MAX: end */
	uint64_t live_gen;  /* generation of the last adopted snapshot listing it */
	uint64_t drained_gen; /* generation of the last adopted snapshot draining it */
	uint8_t fails;      /* consecutive failures seen by this worker (reported as streak) */
	struct px_up *idle; /* LIFO, doubly linked */
	uint32_t n_idle;
	rte_be32_t src; /* source address for active opens */
	struct fo_bal_load load; /* in-flight requests, latency EWMA (balancers) */
};

/** Per upstream of a snapshot and worker: its servers (balancer state: px_view.bal_ups). */
struct px_upstream {
	unsigned first;     /* index of its first server in px_view.servers */
	unsigned n_servers;
};

/** A server of a snapshot, flattened by upstream (what a worker's adoption reads). */
struct px_snap_srv {
	rte_be32_t addr;
	uint16_t port;
	uint16_t pad;
};

/** px_view.state, read by the control thread (fo_proxy_snapshot_busy()). */
enum px_view_state {
	PX_VIEW_NEW = 0, /* not adopted by this worker (yet) */
	PX_VIEW_LIVE,    /* adopted: current, or requests in flight on it */
	PX_VIEW_DONE,    /* released: this worker will not touch the snapshot again */
};

/**
 * A snapshot as one worker sees it (fo_proxy_snapshot.views[worker]).
 * Allocated with the snapshot by the control thread; written by its
 * worker only, from adoption to release.
 */
struct px_view {
	uint32_t refs;               /* this worker's requests on it, +1 while current */
	uint32_t state;              /* enum px_view_state (release store) */
	uint64_t adopted_tsc;        /* when this worker adopted it (before state LIVE) */
	struct px_server **servers;  /* flattened by upstream; NULL: no room left */
	struct px_upstream *ups;     /* [conf->n_upstreams] */
	struct fo_route_scratch *rscratch; /* this worker's, sized for the snapshot's routes */
	struct fo_bal_up *bal_ups;   /* [conf->n_upstreams] balancer state (proxy_balance.c) */
	struct fo_bal_srv *bal_srv;  /* [n_servers] flattened by upstream */
	struct fo_http_mod *mods;    /* a route's response modifiers + Set-Cookie (sticky) */
} __rte_cache_aligned;

/*
 * An http listener, one slot per address:port ever listened on (at most
 * FO_TCP_MAX_LISTENERS, never freed while the worker lives: a half-open
 * connection holds its slot as listen_arg). A reload closes it (open = 0:
 * lib/tcp answers SYNs with RST) or changes its mode; a session copies the
 * mode at accept (s->pass, s->tls), so established connections keep theirs.
 */
struct px_listener {
	struct fo_proxy_worker *pw;
	rte_be32_t addr;
	uint16_t port;
	uint8_t tls;  /* `listen ... tls;` */
	uint8_t pass; /* `listen ... passthrough;` (with tls: `tls passthrough`) */
	uint8_t open; /* listening (lib/tcp has it); 0: a reload removed it */
};

/** TLS state of a session on a TLS listener (proxy_tls.c). */
struct px_tls {
	struct fo_tls_io io;
	struct fo_tls_conn *conn;
	struct fo_proxy_tls *tc; /* the view the session started on (a reference held) */
	struct rte_mbuf *pend; /* records fo_tcp_send() did not take yet */
	int64_t sni_idx;       /* certificate the ClientHello's name selects; -1: none */
	uint8_t sni_seen, done, shut_wanted;
	uint8_t more; /* the last read filled its buffer: the library may hold more plaintext */
	uint8_t hello_bad; /* the first record is no well-formed ClientHello (fo_tls_hello_parse) */
	uint8_t hs_queued; /* on the worker's deferred handshake queue */
	uint8_t hs_failed; /* a tls_failed_* or timeout counter counted its end */
	uint8_t flight_out; /* the server's flight has gone: the client's turn */
	struct px_tls *hs_next, *hs_prev; /* that queue (FIFO, doubly linked) */
	uint64_t hs_loop;  /* the worker's poll loop when it was queued */
	uint64_t rx_plain; /* plaintext bytes read (KeyUpdate allowance) */
	uint32_t ku_seen;  /* io.rx_key_updates already counted */
	/* record sizing (px_tls_send) */
	uint32_t small_left; /* plaintext still to send in segment-sized records */
	uint64_t tx_tsc;     /* last px_tls_send() */
};

/** Response modifiers a TLS response can carry (the route's, sticky, HSTS). */
#define PX_TLS_MODS_MAX 64

/** A client connection. */
struct px_sess {
	struct fo_proxy_worker *pw;
	struct fo_tcp_conn *c; /* NULL once gone */
	struct px_listener *l;
	struct px_up *up;
	struct px_tls *tls; /* NULL: plain */
	const struct fo_proxy_snapshot *snap; /* of the current request (a view ref held) */
	const char *allow_upgrade;            /* its route's (in snap), for the 101 */
	const struct fo_conf_actions *act;    /* its route's actions (in snap), or NULL */
	struct px_sess *next;                 /* free list */
	struct px_sess *ready_next;           /* worker's ready list (pipelined input) */
	struct fo_timer timer;                /* client-side timeouts */
	uint64_t deadline;                    /* TSC; 0: none (see px_deadline_set()) */
	struct rte_mbuf *in, *to_up, *rin, *to_cl;
	struct rte_mbuf *retry_head; /* extra reference to the one-mbuf upstream head */
	uint32_t in_fed, rin_fed;    /* bytes of in / rin already fed to the head parser */
	uint32_t client_addr;        /* network order */
	uint32_t n_requests;
	uint32_t flags;
	uint8_t phase, req_state, resp_state;
	uint8_t attempts;  /* upstream attempts for this request (tries) */
	uint8_t ready;     /* on the worker's ready list */
	uint8_t pass;      /* accepted on a passthrough listener (its mode then) */
	uint8_t req_open, resp_open; /* px_body_rechunk() state of each direction */
	unsigned upstream; /* index into conf->upstreams */
	const struct fo_conf_upstream *upc; /* &snap->conf->upstreams[upstream] (px_upconf()) */
	unsigned server;   /* index of the current server in the upstream */
	uint64_t max_body; /* 0: no limit */
	uint64_t bal_key;   /* hash of the request's balance hash key (bal_has_key) */
	uint64_t sticky_id; /* endpoint its sticky cookie names (0: none) */
	uint64_t bal_t0;    /* TSC when the current attempt went to its server (ewma) */
	uint8_t bal_has_key;
	uint8_t fwdc_ok; /* fwdc checked (or made) for this session: its fields cannot change */
	/* accounting of the request in flight (proxy_acct.c) */
	uint64_t t_start;    /* TSC (burst): first byte of its head */
	uint64_t t_up_start; /* TSC: first upstream attempt (0: none) */
	uint64_t out_bytes;  /* bytes of its response(s) sent to the client */
	uint64_t out_head;   /* of those, heads (interim and final) */
	uint32_t rslot;      /* its slot in snap->racct (UINT32_MAX: no route) */
	uint16_t status;     /* status sent to the client (0: none yet) */
	uint16_t client_port; /* host order */
	uint32_t hello_need;  /* TLS, passthrough: ClientHello bytes to wait for before parsing again */
	struct fo_http_parser req_p;
	struct fo_http_body req_b;
	struct fo_http_parser resp_p;
	struct fo_http_body resp_b;
	struct fo_http_msg req;
	struct fo_http_msg resp;
	/* X-Forwarded-For, X-Real-IP, -Port, -Proto of its requests, formatted at the first
	 * (proxy_request.c; not cleared per session: it says what it was made from) */
	struct fo_http_fwd_conn fwdc;
};

struct fo_proxy_worker {
	struct fo_tcp_worker *tw;
	struct fo_net_worker *net;
	struct rte_mempool *pool;
	const struct fo_proxy_snapshot *const *published; /* load with acquire */
	const struct fo_proxy_snapshot *cur;               /* adopted, a view ref held */
	unsigned worker_id;
	uint64_t tsc_ms; /* TSC cycles per ms */
	struct rte_reciprocal_u64 per_ms; /* / tsc_ms as a multiply (no DIV per request) */
	struct fo_timer_wheel wheel;
	struct px_sess *sess, *sess_free;
	unsigned n_sess, sess_used; /* sess_used: high-water of ever-used slots */
	struct px_up *ups, *up_free;
	unsigned n_ups, up_used;
	uint32_t idle_cap, n_idle; /* idle pooled connections, all servers */
	/* endpoint table: srv_cap entries, hashed on address:port */
	struct px_server *servers;
	uint32_t srv_cap, srv_used, srv_free;
	uint32_t *srv_buckets; /* srv_cap of them (a power of two) */
	struct px_listener *listeners; /* FO_TCP_MAX_LISTENERS slots */
	unsigned n_listeners;          /* slots used (open or closed) */
	const struct fo_conf *listen_conf; /* the config the listeners follow */
	struct px_sess *ready; /* sessions to pump from fo_proxy_poll() */
	uint64_t budget_reqs, budget_retries; /* retry budget: this second's requests and retries */
	uint64_t budget_prev;                 /* the last second's requests */
	uint64_t sweep_tsc;    /* next px_up_sweep() (0: at the first poll) */
	uint64_t rid_seed[2], rid_ctr;
	uint64_t canary_rng; /* canary weights' draws (lib/route), never 0 */
	uint8_t *lin;  /* FO_HTTP_HEAD_MAX: head made contiguous */
	uint8_t *hello; /* 2 x FO_TLS_HELLO_MAX: a ClientHello's records made contiguous, then
			 * its handshake message gathered (fo_tls_hello_parse()'s scratch) */
	uint8_t *out;  /* PX_OUT_MAX: heads fanout writes */
	struct rte_mbuf *spare; /* a request head's mbuf, for the next one's (px_mbuf_alloc()) */
	char *rewrite; /* FO_ROUTE_REWRITE_MAX */
	char *npath;   /* FO_HTTP_LINE_MAX: the request path, normalized */
	struct px_probe *probes, *probe_free; /* PX_PROBES_MAX check states, free list */
	struct fo_proxy_links links; /* health table, probe and obs rings (all NULL: none) */
	struct fo_bal_worker bal;    /* random state, EWMA decay (set at the first pick) */
	char cookie[FO_CONF_COOKIE_NAME_MAX + FO_CONF_COOKIE_PATH_MAX + 96]; /* a Set-Cookie value */
	uint64_t wake_tsc;           /* no links.wake() before then */
	struct fo_proxy_stats stats;
	/* TLS (proxy_tls.c; tls NULL: none) */
	struct fo_proxy_tls *tls; /* current view: control thread's release store, acquire loads */
	struct px_tls *tls_sess;  /* [n_sess] */
	uint8_t *tls_stage;       /* 16 KiB: small segments gathered into one record */
	struct fo_http_mod hsts;  /* name and op; the value is the session's view's */
	struct fo_http_mod tls_mods[PX_TLS_MODS_MAX];
	/* handshake fairness (proxy_tls_hs.c) */
	struct px_tls *hs_head, *hs_tail; /* sessions whose next handshake step waits */
	const struct px_tls *hs_cur;      /* the queued one whose step runs now */
	uint64_t hs_loop;                 /* fo_proxy_poll_tls() calls so far */
	uint32_t hs_budget;               /* handshake steps left in this loop iteration */
	/* accounting (proxy_acct.c; all NULL: off) */
	struct {
		struct rte_ring *ring;          /* access log; NULL: off */
		struct fo_alog_entry *stage;    /* [n_sess] with ring: the entries being filled */
		struct fo_alog_push_stats *push;
		struct fo_alog_rstats *rstats;  /* [n_rstats] */
		uint32_t n_rstats;
		uint64_t seq;
	} acct;
};

/**
 * Drop the session's extra reference to its one-mbuf upstream head
 * (retry_head, NULL-safe). That mbuf may still sit in the upstream
 * connection's send queue, linked through ->next to what was queued after
 * it: only this one segment's reference goes (rte_pktmbuf_free() would
 * walk into the queue's other segments).
 */
static inline void
px_retry_drop(struct px_sess *s)
{
	if (s->retry_head != NULL)
		rte_pktmbuf_free_seg(s->retry_head);
	s->retry_head = NULL;
}

/** This worker's view of the request's snapshot. */
static inline struct px_view *
px_view(const struct px_sess *s)
{
	return &s->snap->views[s->pw->worker_id];
}

/** This worker's counters of health slot @p slot, or NULL (none, or not attached). */
static inline struct fo_proxy_ep_stats *
px_ep(const struct fo_proxy_worker *pw, uint32_t slot)
{
	return pw->links.ep_stats != NULL && slot < pw->links.n_slots ? &pw->links.ep_stats[slot]
								       : NULL;
}

/** The config of the request's upstream (timeouts, pool sizes). */
static inline const struct fo_conf_upstream *
px_upconf(const struct px_sess *s)
{
	return s->upc;
}

/** The request's upstream is number @p up of its snapshot's config. */
static inline void
px_set_upstream(struct px_sess *s, unsigned up)
{
	s->upstream = up;
	s->upc = &s->snap->conf->upstreams[up];
}

#include "proxy_tls_priv.h" /* proxy_tls.c, proxy_tls_hs.c, proxy_passthrough.c */

/** 308 to https://host/path?query. @return 1 or PX_GONE (proxy_action.c). */
int px_act_https(struct px_sess *s, const uint8_t *head);

/* The client connection: plain sessions pay one test. */
static inline ssize_t
px_cl_recv(struct px_sess *s, struct rte_mbuf **head, uint32_t max)
{
	if (likely(s->tls == NULL))
		return fo_tcp_recv(s->c, head, max);
	return px_tls_recv(s, head, max);
}

static inline uint32_t
px_cl_space(const struct px_sess *s)
{
	if (likely(s->tls == NULL))
		return fo_tcp_send_space(s->c);
	return px_tls_space(s);
}

static inline ssize_t
px_cl_send(struct px_sess *s, struct rte_mbuf *chain)
{
	if (likely(s->tls == NULL))
		return fo_tcp_send(s->c, chain);
	return px_tls_send(s, chain);
}

static inline int
px_cl_shutdown(struct px_sess *s)
{
	if (likely(s->tls == NULL))
		return fo_tcp_shutdown(s->c);
	return px_tls_shutdown(s);
}

/* proxy_snap.c */
/**
 * Adopt the published snapshot when it changed (at the start of
 * fo_proxy_poll()): build this worker's view (endpoints looked up or
 * created by address:port), close the idle connections of endpoints it no
 * longer lists, release the previous one unless requests hold it.
 *
 * @return 1 when a snapshot was adopted, else 0.
 */
unsigned px_snap_adopt(struct fo_proxy_worker *pw);
/** Open, close and re-mode http listeners to follow @p conf. @return 0, or the first error. */
int px_listeners_sync(struct fo_proxy_worker *pw, const struct fo_conf *conf);
/** A request starts on the current snapshot: s->snap set, a view ref taken. */
static inline void
px_snap_hold(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;

	s->snap = pw->cur;
	s->snap->views[pw->worker_id].refs++;
}
/** The request is done with its snapshot (idempotent). */
void px_snap_unref(struct fo_proxy_worker *pw, const struct fo_proxy_snapshot *snap);
static inline void
px_snap_drop(struct px_sess *s)
{
	if (s->snap == NULL)
		return;
	if (--s->snap->views[s->pw->worker_id].refs == 0)
		px_snap_unref(s->pw, s->snap); /* its last request on this worker: released */
	s->snap = NULL;
}
/** A connection of @p srv's went away: free the endpoint when nothing lists or uses it. */
void px_srv_put(struct fo_proxy_worker *pw, struct px_server *srv);
/** Source address for active opens to @p dst (the interface whose subnet holds it...). */
rte_be32_t px_src_for(const struct fo_proxy_worker *pw, const struct fo_conf *conf, rte_be32_t dst);
/** Set up the endpoint table (@p cap entries, rounded up to a power of two). @return 0 or -ENOMEM. */
int px_srv_table_init(struct fo_proxy_worker *pw, uint32_t cap);

/* proxy_upstream.c */
/**
 * Resolve every server's next hop ahead of traffic (at the first poll, so
 * the first requests find REACHABLE entries), then once a second: servers
 * whose next hop failed resolution are flagged (not chosen while others
 * are fine) and asked again.
 *
 * @return 1 when a sweep ran, else 0.
 */
unsigned px_up_sweep(struct fo_proxy_worker *pw);

/* proxy_worker.c */
struct px_up *px_up_alloc(struct fo_proxy_worker *pw);
void px_up_free(struct px_up *u);
void px_sess_free(struct px_sess *s);
/** Reset the client (if still there) and free the session. @return PX_GONE. */
int px_sess_abort(struct px_sess *s);
/** Pump @p s from the next fo_proxy_poll() (not from inside the current call chain). */
void px_sess_defer(struct px_sess *s);
/**
 * Lazy timers. Most deadlines are pushed back or dropped long before they
 * expire (a keep-alive request sets and clears several), so only the
 * deadline field changes; the wheel is touched when the new deadline is
 * earlier than the armed expiry. A timer that fires early (its deadline
 * moved later, or was cleared) re-arms itself or does nothing: see
 * px_deadline_due().
 */
static inline void
px_deadline_set(struct fo_proxy_worker *pw, struct fo_timer *t, uint64_t *deadline, uint32_t ms)
{
	uint64_t d = pw->net->now + (uint64_t)ms * pw->tsc_ms;

	*deadline = d != 0 ? d : 1;
	if (!fo_timer_armed(t) || t->expire > d)
		fo_timer_arm(&pw->wheel, t, d);
}
/** In a timer callback: 1 when the deadline really passed (then cleared), else re-armed / 0. */
int px_deadline_due(struct fo_proxy_worker *pw, struct fo_timer *t, uint64_t *deadline);
#define px_sess_deadline(s, ms) px_deadline_set((s)->pw, &(s)->timer, &(s)->deadline, (ms))
#define px_up_deadline(u, ms) px_deadline_set((u)->pw, &(u)->timer, &(u)->deadline, (ms))
extern const struct fo_tcp_ops px_client_ops;
extern const struct fo_tcp_ops px_up_ops;

/* proxy_mbuf.c */
/** Bytes of a chain. */
static inline uint32_t
px_len(const struct rte_mbuf *m)
{
	return m == NULL ? 0 : m->pkt_len;
}

/**
 * A head being parsed should be compacted: many segments holding few bytes
 * each (one mbuf per byte would let a slow client pin the pool). Full
 * segments are left alone, so a large head is not copied again and again.
 */
static inline int
px_head_sparse(const struct rte_mbuf *m)
{
	return m->nb_segs > PX_HEAD_SEGS_MAX && m->pkt_len < m->nb_segs * PX_HEAD_SEG_MIN_FILL;
}
/**
 * fo_mbuf_chain_cut() (whole segments, at most @p max bytes, at least one),
 * without the call when all of *@p head fits: a head or a response, mostly.
 */
static inline struct rte_mbuf *
px_chain_cut(struct rte_mbuf **head, uint32_t max)
{
	struct rte_mbuf *m = *head;

	if (likely(m->pkt_len <= max)) {
		*head = NULL;
		return m;
	}
	return fo_mbuf_chain_cut(head, max);
}
/**
 * An mbuf of the worker's pool for an upstream request head: the spare one
 * px_mbuf_drop() kept (reset as rte_pktmbuf_alloc() resets), else the
 * pool's. Each request frees its head's mbuf and takes one: a pool round
 * trip per request saved.
 */
static inline struct rte_mbuf *
px_mbuf_alloc(struct fo_proxy_worker *pw)
{
	struct rte_mbuf *m = pw->spare;

	if (m == NULL)
		return rte_pktmbuf_alloc(pw->pool);
	pw->spare = NULL;
	rte_pktmbuf_reset(m);
	return m;
}
/**
 * Free chain @p m; a single direct segment of the worker's pool that
 * nobody else holds is kept as the spare when there is none.
 */
static inline void
px_mbuf_drop(struct fo_proxy_worker *pw, struct rte_mbuf *m)
{
	if (pw->spare == NULL && m->next == NULL && m->pool == pw->pool && RTE_MBUF_DIRECT(m) &&
		rte_mbuf_refcnt_read(m) == 1) {
		pw->spare = m;
		return;
	}
	rte_pktmbuf_free(m);
}
/** All of *@p head (not empty), which becomes empty. */
static inline struct rte_mbuf *
px_chain_take(struct rte_mbuf **head)
{
	struct rte_mbuf *m = *head;

	*head = NULL;
	return m;
}
/**
 * px_chain_cut() at the room @p room gives, evaluated for a chain only: a
 * single segment goes whole whatever the room (fo_mbuf_chain_cut() keeps at
 * least one), so a one-mbuf head or response asks for none.
 */
#define px_chain_cut_room(head, room)                                                              \
	((*(head))->next == NULL ? px_chain_take(head) : px_chain_cut((head), (room)))
/** fo_mbuf_chain_join(), without the call when @p a is empty (a chain starting). */
static inline struct rte_mbuf *
px_chain_join(struct rte_mbuf *a, struct rte_mbuf *b)
{
	return a == NULL ? b : fo_mbuf_chain_join(a, b);
}
/** Split off the first @p n bytes of *@p head (n <= len): returned; rest left in *head. NULL +
 * errno on mbuf shortage. */
int px_chain_split(
	struct fo_proxy_worker *pw, struct rte_mbuf **head, uint32_t n, struct rte_mbuf **front);
/** Drop the first @p n bytes of *@p head. */
void px_chain_adj(struct rte_mbuf **head, uint32_t n);
/**
 * @p b appended to @p a (either may be NULL); a single-segment @p b of at most
 * PX_APPEND_COPY bytes is copied into the tailroom of @p a's last segment
 * when that one is a direct mbuf of the session's alone, and freed: a
 * response head and a short body go to TCP as one mbuf, so each segment sent
 * slices one piece, not two. @return the chain.
 */
struct rte_mbuf *px_chain_append(struct rte_mbuf *a, struct rte_mbuf *b);
#define PX_APPEND_COPY 512
/** Copy @p len bytes into a fresh chain. NULL when out of mbufs. */
struct rte_mbuf *px_chain_from_buf(struct fo_proxy_worker *pw, const void *buf, uint32_t len);
/** Copy a chain into fresh full mbufs (compaction of a head in many small segments). */
struct rte_mbuf *px_chain_compact(struct fo_proxy_worker *pw, struct rte_mbuf *m);
/** First @p len bytes of @p m contiguous: in place, or copied to @p lin. */
static inline const uint8_t *
px_chain_head(const struct rte_mbuf *m, uint32_t len, uint8_t *lin)
{
	if (likely(m->data_len >= len))
		return rte_pktmbuf_mtod(m, const uint8_t *);
	return rte_pktmbuf_read(m, 0, len, lin);
}
/**
 * Feed the bytes of @p m from offset *@p fed on to a head parser (*fed
 * advances). @return 1 head complete, 0 need more, -EBADMSG (p->err).
 */
static inline int
px_head_feed(struct fo_http_parser *p, const struct rte_mbuf *m, uint32_t *fed)
{
	uint32_t skip = *fed;
	ssize_t n;

	for (; m != NULL; m = m->next) {
		if (skip >= m->data_len) {
			skip -= m->data_len;
			continue;
		}
		n = fo_http_parse(
			p, rte_pktmbuf_mtod_offset(m, const uint8_t *, skip), m->data_len - skip);
		if (n == -EAGAIN) {
			*fed += m->data_len - skip;
			skip = 0;
			continue;
		}
		if (n < 0)
			return -EBADMSG;
		*fed += (uint32_t)n;
		return 1;
	}
	return 0;
}
/**
 * Feed a body framer with a chain; @p body gets the bytes of this message,
 * *@p rest the bytes after it (or NULL). @return 0, -EBADMSG, -ENOBUFS.
 */
int px_body_frame(struct fo_proxy_worker *pw, struct fo_http_body *b, struct rte_mbuf *m,
	struct rte_mbuf **body, struct rte_mbuf **rest, enum fo_http_err *err);
/**
 * Frame a chunked body and re-frame it: @p body gets the data of this
 * message in chunks of fanout's own (hex size lines without extensions,
 * one chunk per data run found in @p m), then "0" CRLF, the trailer lines
 * when @p keep_trailers (else none), and the final CRLF once the message
 * ends; *@p rest the bytes after it (or NULL). Data is moved, not copied.
 * *@p open (per message, 0 at its start): a chunk of ours still needs the
 * CRLF that ends its data. @p m is consumed in every case (freed on error).
 * @return 0, -EBADMSG (@p err set), -ENOBUFS.
 */
int px_body_rechunk(struct fo_proxy_worker *pw, struct fo_http_body *b, uint8_t *open,
	int keep_trailers, struct rte_mbuf *m, struct rte_mbuf **body, struct rte_mbuf **rest,
	enum fo_http_err *err);

/* proxy_request.c */
/** Client readable (or deferred input): parse heads, stream a body, drain. @return 0 / PX_GONE. */
int px_cl_pump(struct px_sess *s);
/** Move framed request bytes to the upstream, reading more body as it drains. 0 / PX_GONE. */
int px_req_pump(struct px_sess *s);
/**
 * Answer with fanout's own error (or reset the client when a response has
 * begun); the upstream connection, if any, is aborted. @return 0 / PX_GONE.
 */
int px_error(struct px_sess *s, unsigned status, const char *detail);
void px_sess_timer(struct fo_timer *t);
void px_sess_start_idle(struct px_sess *s);
/** The response is all queued: pool or close the upstream, then keep-alive or linger. */
int px_cl_finish(struct px_sess *s);

/* proxy_response.c */
/** Queue to_cl on the client. @return 0 all queued, 1 blocked (writable resumes), PX_GONE. */
int px_cl_flush(struct px_sess *s);
/** Upstream readable / client writable: response head and body to the client. 0 / PX_GONE. */
int px_resp_pump(struct px_sess *s);
static inline void
px_count_status(struct fo_proxy_worker *pw, unsigned status)
{
	struct fo_proxy_stats *st = &pw->stats;

	if (status < 200)
		st->responses_1xx++;
	else if (status < 300)
		st->responses_2xx++;
	else if (status < 400)
		st->responses_3xx++;
	else if (status < 500)
		st->responses_4xx++;
	else
		st->responses_5xx++;
}

/* proxy_upstream.c, proxy_upconn.c */
/** Pick the server (the upstream's balancer), take a pooled connection or open one. */
int px_up_start(struct px_sess *s);
/** Is @p srv drained in the worker's current snapshot? (Inline: asked at every release.) */
static inline int
px_srv_drained(const struct fo_proxy_worker *pw, const struct px_server *srv)
{
	return srv->drained_gen == pw->cur->gen;
}
/** The active open to the session's server failed: the next server, or answer @p status. */
int px_up_connect_next(struct px_sess *s, unsigned status, const char *what);
/**
 * The upstream failed before the response began: @p kind (an enum
 * fo_proxy_obs_kind: RESET, TIMEOUT, BAD; 0 for fanout's own trouble) is
 * reported for passive health, then the request is retried when
 * next_upstream, tries and the retry budget allow (or it is the keep-alive
 * race), else answered with @p status.
 */
int px_up_fail(struct px_sess *s, unsigned status, const char *what, unsigned kind);
/**
 * A final response head came with a status next_upstream lists (http_5xx):
 * counted as a failure of the server, and retried elsewhere when allowed.
 *
 * @return 1 retried (the response is dropped), 0 forward it, 2 forward it
 *         (it counted as a failure), PX_GONE.
 */
int px_up_status_listed(struct px_sess *s, unsigned status);
static inline int
px_up_status(struct px_sess *s, unsigned status)
{
	/* next_upstream names 429 and 500..504 at most */
	if (status != 429 && status - 500u > 4u)
		return 0;
	return px_up_status_listed(s, status);
}
/* how px_up_release() ends a session's upstream connection */
enum px_release {
	PX_REL_POOL,  /* back to the idle pool if allowed, else close */
	PX_REL_CLOSE, /* FIN (exchange complete) */
	PX_REL_ABORT, /* RST (exchange incomplete: never let a partial request be served) */
};
void px_up_release(struct px_sess *s, enum px_release how);
/**
 * px_up_release(s, PX_REL_POOL) when the connection (s->up, not NULL) may
 * go back to its server's idle pool: pooled, @return 1; else nothing done,
 * 0. Pooled only while the current snapshot lists the endpoint, undrained.
 */
static inline int
px_up_pool(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_up *u = s->up;
	struct px_server *srv = u->srv;
	const struct fo_conf_upstream *uc = px_upconf(s);
	struct fo_proxy_ep_stats *ep;

	if (u->c == NULL || u->state != PX_UP_BUSY || srv->live_gen != pw->cur->gen ||
		px_srv_drained(pw, srv) || uc->keepalive == 0 ||
		u->n_requests >= uc->keepalive_requests || srv->n_idle >= uc->keepalive ||
		pw->n_idle >= pw->idle_cap)
		return 0;
	s->up = NULL;
	px_retry_drop(s);
	pw->stats.upstream_busy--;
	pw->stats.upstream_idle++;
	pw->stats.upstream_pooled++;
	srv->load.inflight--;
	ep = px_ep(pw, u->slot);
	if (ep != NULL) {
		ep->active--;
		ep->idle++;
	}
	u->state = PX_UP_IDLE;
	u->s = NULL;
	u->prev = NULL;
	u->next = srv->idle;
	if (u->next != NULL)
		u->next->prev = u;
	srv->idle = u;
	srv->n_idle++;
	pw->n_idle++;
	px_up_deadline(u, uc->keepalive_timeout_ms);
	u->tkind = PX_UT_IDLE;
	return 1;
}
void px_up_timer(struct fo_timer *t);
static inline void
px_up_arm_read(struct px_sess *s)
{
	struct px_up *u = s->up;

	if (u == NULL || u->state != PX_UP_BUSY)
		return;
	px_up_deadline(u, px_upconf(s)->read_timeout_ms);
	u->tkind = PX_UT_READ;
}
/** A response head came from the request's server: its failure streak (if any) ends. */
void px_up_ok_streak(struct px_sess *s);
static inline void px_up_ok(struct px_sess *s); /* (after px_bal_head()) */
/* proxy_probe.c */
/** Run the active health checks the control thread queued for this worker. @return started. */
unsigned px_probe_poll(struct fo_proxy_worker *pw);
/** Allocate the probe states. @return 0 or -ENOMEM. */
int px_probe_init(struct fo_proxy_worker *pw);
/** Free them (the TCP stack is gone: connections need no closing). */
void px_probe_fini(struct fo_proxy_worker *pw);
/** Report @p o on the obs ring (dropped and counted when it is full). */
void px_obs_push(struct fo_proxy_worker *pw, struct fo_proxy_obs *o);

/* proxy_balance.c */
struct px_bal_snap;
/** Balancer tables of @p snap (its srvs filled): endpoint ids, Maglev tables. @return 0, -ENOMEM. */
int px_bal_snap_init(struct fo_proxy_snapshot *snap);
void px_bal_snap_free(struct fo_proxy_snapshot *snap);
/** Worker @p worker's balancer state in @p v (after px_bal_snap_init()). @return 0, -ENOMEM. */
int px_bal_view_init(const struct fo_proxy_snapshot *snap, struct px_view *v, unsigned worker);
void px_bal_view_free(struct px_view *v);
/** px_bal_req() for an upstream that hashes or sticks. */
void px_bal_read_req(struct px_sess *s, const uint8_t *head);
/**
 * What the request's upstream balances on, read from its head: the hash
 * key (s->bal_key) and the endpoint its sticky cookie names (s->sticky_id).
 * Nothing (one test, inline) for an upstream that neither hashes nor sticks.
 */
static inline void
px_bal_req(struct px_sess *s, const uint8_t *head)
{
	const struct fo_conf_balance *b = &px_upconf(s)->balance;

	if (b->kind == FO_CONF_BAL_HASH || b->sticky)
		px_bal_read_req(s, head);
}
/**
 * The request's server by its upstream's balancer (its sticky cookie's
 * endpoint first), asking @p ok about each candidate.
 *
 * @return its index, or FO_BAL_NONE.
 */
uint32_t px_bal_pick(struct px_sess *s, fo_bal_usable_fn ok, void *arg);
/** px_bal_head() for an ewma upstream. */
void px_bal_sample(struct px_sess *s);
/** A response head came from the request's server: its latency sample (ewma). */
static inline void
px_bal_head(struct px_sess *s)
{
	if (px_upconf(s)->balance.kind == FO_CONF_BAL_EWMA)
		px_bal_sample(s);
}
/* px_up_ok(): the ewma sample, and the end of a failure streak (rare: out of line) */
static inline void
px_up_ok(struct px_sess *s)
{
	const struct px_server *srv = s->up != NULL ? s->up->srv : NULL;

	px_bal_head(s);
	if (srv != NULL && srv->fails != 0)
		px_up_ok_streak(s);
}
/** px_bal_resp_mods() for a sticky upstream. */
void px_bal_sticky_mods(struct px_sess *s, const struct fo_http_mod **mods, unsigned *n_mods);
/**
 * The final response goes to a client of a sticky upstream without a
 * cookie naming the server that answered: *mods (the route's) becomes
 * the route's + a Set-Cookie naming it.
 */
static inline void
px_bal_resp_mods(struct px_sess *s, const struct fo_http_mod **mods, unsigned *n_mods)
{
	if (px_upconf(s)->balance.sticky)
		px_bal_sticky_mods(s, mods, n_mods);
}

/* proxy_action.c */
/**
 * The request was routed (@p rc: fo_route_match()'s 0, or -ENOENT, on the
 * normalized @p path): a default backend (of the host, else global) may
 * take it, /healthz may be answered, the route's redirect may answer.
 * @p rc and @p res are updated when a default backend takes the request.
 *
 * @return 0 forward per *@p rc / *@p res; 1 answered; PX_GONE.
 */
int px_act_route(struct px_sess *s, const uint8_t *head, const char *path, size_t path_len, int *rc,
	struct fo_route_result *res);

/* proxy_route.c */
/**
 * Route the request whose head (contiguous) is @p head: its path read as
 * nginx does, with its method, query and fields. @return
 * fo_route_match_req()'s result (0, -ENOENT, -ENOSPC), or -EINVAL when the
 * path cannot be read (counted: path_refused; the caller answers 400).
 * *path, *path_len: the path routed on (normalized, or the request's).
 */
int px_route_request(struct px_sess *s, const uint8_t *head, struct fo_route_result *res,
	const char **path, size_t *path_len);

/** Does px_act_route() have anything to do? (One test for a route without actions.) */
static inline int
px_act_wanted(const struct fo_conf *conf, int rc, const struct fo_route_result *res)
{
	return rc == -ENOENT || (rc == 0 && (res->conf->actions != NULL ||
						    (res->conf->host == NULL &&
							    conf->n_default_backends != 0)));
}

/** The route's header modifiers for the forwarded request (and, kept in s, the response). */
static inline void
px_act_fwd(struct px_sess *s, const struct fo_conf_route *r, struct fo_http_fwd *fwd)
{
	s->act = r->actions;
	if (s->act != NULL) {
		fwd->mods = s->act->req_mods;
		fwd->n_mods = s->act->n_req_mods;
	}
}

/** Bytes of the head at the start of a response fanout wrote itself (@p n bytes in @p buf). */
static inline uint32_t
px_head_len(const uint8_t *buf, uint32_t n)
{
	const uint8_t *e = memmem(buf, n, "\r\n\r\n", 4);

	return e != NULL ? (uint32_t)(e - buf) + 4 : n;
}

/* proxy_acct.c */
/**
 * A request starts (its head parsed: @p head contiguous; or NULL when it
 * did not parse and fanout answers it): reset its accounting, copy its
 * strings into the staging entry when the access log is on.
 */
void px_acct_begin_log(struct px_sess *s, const uint8_t *head);
static inline void
px_acct_begin(struct px_sess *s, const uint8_t *head)
{
	struct fo_proxy_worker *pw = s->pw;

	if (s->phase == PX_IDLE)
		s->t_start = pw->net->now; /* answered before a byte of a head (timeouts) */
	s->flags |= PX_S_ACCT | (head != NULL ? PX_S_ACCT_HEAD : 0);
	s->status = 0;
	s->rslot = UINT32_MAX;
	s->t_up_start = 0;
	s->out_bytes = 0;
	s->out_head = 0;
	s->req_b.total = 0; /* body bytes of this request, once framing starts */
	if (pw->acct.ring != NULL)
		px_acct_begin_log(s, head); /* the access log's staging entry */
}
/** The X-Request-ID fanout made for the request (the client sent none). */
void px_acct_rid_log(struct px_sess *s, const char *rid, size_t len);
static inline void
px_acct_rid(struct px_sess *s, const char *rid, size_t len)
{
	if (s->pw->acct.ring != NULL)
		px_acct_rid_log(s, rid, len);
}
/** The upstream connection s->up serves the request: note its server, and @p status (0: none). */
void px_acct_ep_log(struct px_sess *s, unsigned status);
static inline void
px_acct_ep(struct px_sess *s, unsigned status)
{
	if (s->pw->acct.ring != NULL)
		px_acct_ep_log(s, status); /* (the access log's alone) */
}
/** The request ended (@p aborted: reset before its response was all sent): count it, log it. */
void px_acct_end_count(struct px_sess *s, int aborted);
static inline void
px_acct_end(struct px_sess *s, int aborted)
{
	const struct fo_proxy_worker *pw = s->pw;

	/* neither per-route counters nor the access log: nothing to count or log */
	if (pw->acct.n_rstats == 0 && pw->acct.ring == NULL) {
		s->flags &= ~(PX_S_ACCT | PX_S_ACCT_HEAD);
		return;
	}
	px_acct_end_count(s, aborted);
}
/** The slot of the route (or its canary) @p res names in the request's snapshot. */
static inline uint32_t
px_acct_route_slot(const struct px_sess *s, const struct fo_route_result *res)
{
	const struct fo_alog_routes *rt = s->snap->racct;

	return rt != NULL ? fo_alog_routes_slot(rt, res->route, res->canary) : res->route;
}
/** The slot of default backend route @p r in the request's snapshot. */
uint32_t px_acct_default_slot(const struct px_sess *s, const struct fo_conf_route *r);

/* proxy_tunnel.c */
int px_tunnel_start(struct px_sess *s);
int px_tunnel_pump(struct px_sess *s);
void px_tunnel_closed(struct px_sess *s, int from_upstream, enum fo_tcp_close_reason why);

#endif /* PROXY_PRIV_H */
