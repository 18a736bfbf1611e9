/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client role: N connections to fanout's listener, each keeping
 * `depth` requests in flight (keep-alive), or one request per connection
 * (`--close`: connect, send, read the response, close, connect again); or,
 * at a fixed rate, requests started on a TSC schedule on whichever
 * connection is idle, their latency measured from the scheduled time (no
 * coordinated omission).
 *
 * Every response is checked as it streams in: its head through lib/http's
 * resumable parser (status, Content-Length framing), its body counted, not
 * copied. The per-request path is: an mbuf from the pool, one memcpy of
 * the prebuilt request, fo_tcp_send; on the way back, fo_tcp_recv, the
 * parser over each segment, one histogram increment. No allocation, lock
 * or system call per request; times are rdtsc.
 *
 * Phases: warm-up (results discarded), measure (the window), drain (no new
 * requests; outstanding ones finish or time out), done. At the window's
 * edges fanout's counters are read from its telemetry socket: a system
 * call, twice per run, never per request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "lg.h"

const char *const lg_err_names[LG_E_MAX] = {LG_ERRORS(FO_XSTR_NAME)};

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
	uint16_t out;     /* requests outstanding */
	uint16_t q_head;  /* oldest outstanding in sent[] */
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
	uint64_t busy0, idle0, busy1, idle1;
};

static void conn_open(struct cconn *k, uint64_t sched);
static void conn_fill(struct cconn *k);

static inline int
counting(const struct lg_client *cl, uint64_t t0)
{
	return cl->phase >= P_MEASURE && t0 >= cl->win_start;
}

static void
err(struct lg_client *cl, enum lg_err e, uint64_t t0)
{
	if (!counting(cl, t0))
		return;
	cl->s.err[e]++;
	cl->s.errors++;
}

/** May another request start now (bounds, phase)? Counts it when so. */
static int
take_request(struct lg_client *cl)
{
	if (cl->phase == P_DRAIN || cl->phase == P_DONE)
		return 0;
	if (cl->phase == P_MEASURE) {
		if (cl->a->requests != 0 && cl->s.issued >= cl->a->requests)
			return 0;
		cl->s.issued++;
	}
	return 1;
}

static void
push_idle(struct cconn *k)
{
	struct lg_client *cl = k->cl;

	if (cl->interval == 0 || k->idle)
		return;
	k->idle = 1;
	cl->idle[cl->n_idle++] = (unsigned)(k - cl->conns);
}

/*
 * Fail what @p k has outstanding with @p e, drop the connection and refill
 * the slot: at once with --close (that is the workload), else a keep-alive
 * connection is reopened by the next timeout scan (10 ms), so that a
 * server refusing connections is not hammered in a tight loop.
 */
static void
conn_fail(struct cconn *k, enum lg_err e, int abort)
{
	struct lg_client *cl = k->cl;

	while (k->out > 0) {
		err(cl, e, k->sent[k->q_head]);
		k->q_head = (uint16_t)((k->q_head + 1) % LG_MAX_DEPTH);
		k->out--;
		cl->in_flight--;
	}
	if (k->c != NULL) {
		if (abort)
			fo_tcp_abort(k->c);
		else
			fo_tcp_close(k->c);
	}
	k->c = NULL;
	k->state = C_FREE;
	conn_fill(k);
}

/* A response is complete: account it, then keep the connection busy. */
static void
resp_done(struct cconn *k, uint64_t now)
{
	struct lg_client *cl = k->cl;
	uint64_t t0 = k->sent[k->q_head];

	k->q_head = (uint16_t)((k->q_head + 1) % LG_MAX_DEPTH);
	k->out--;
	cl->in_flight--;
	if (counting(cl, t0)) {
		if (k->resp_bad) {
			cl->s.err[k->resp_bad - 1]++;
			cl->s.errors++;
		} else {
			cl->s.ok++;
			lg_hist_record(cl->h, now - t0);
			cl->win_end = now;
		}
	}
	k->resp_bad = 0;
	k->in_head = 1;
	fo_http_parser_init(&k->p, FO_HTTP_RESPONSE, &k->msg);
	if (cl->a->close) {
		/* the server closes after a Connection: close response: wait for its
		 * FIN (on_readable), then close and open the next connection */
		k->state = C_CLOSING;
		k->closing_since = now;
		return;
	}
	if (k->msg.flags & FO_HTTP_F_CONN_CLOSE) {
		int reopen = cl->phase < P_DRAIN;

		fo_tcp_close(k->c);
		k->c = NULL;
		k->state = C_FREE;
		if (reopen) {
			/* the server ended a keep-alive connection (its request limit) */
			conn_fail(k, LG_E_eof, 0); /* fails what was pipelined behind */
			conn_open(k, now);
			return;
		}
	}
	conn_fill(k);
}

/* Check @p len response bytes. @return 0, or an error kind + 1 (connection unusable). */
static int
consume(struct cconn *k, const uint8_t *buf, size_t len)
{
	struct lg_client *cl = k->cl;
	const struct lg_args *a = cl->a;
	ssize_t r;
	uint64_t take;

	while (len > 0) {
		if (k->out == 0)
			return LG_E_unexpected_data + 1;
		if (k->in_head) {
			r = fo_http_parse(&k->p, buf, len);
			if (r == -EAGAIN)
				return 0;
			if (r < 0)
				return LG_E_parse_error + 1;
			if (k->msg.status < 200)
				return LG_E_bad_status + 1; /* no interim responses expected */
			if (!(k->msg.flags & FO_HTTP_F_CONTENT_LENGTH) ||
				(k->msg.flags & FO_HTTP_F_CHUNKED))
				return LG_E_bad_framing + 1;
			if (k->msg.status != a->expect_status)
				k->resp_bad = LG_E_bad_status + 1;
			else if (a->expect_length >= 0 &&
				 k->msg.content_length != (uint64_t)a->expect_length)
				k->resp_bad = LG_E_bad_length + 1;
			k->body_left = k->msg.content_length;
			k->in_head = 0;
			buf += r;
			len -= (size_t)r;
		}
		take = k->body_left < len ? k->body_left : len;
		k->body_left -= take;
		buf += take;
		len -= take;
		if (k->body_left == 0) {
			struct fo_tcp_conn *c = k->c;

			resp_done(k, rte_rdtsc());
			if (k->c != c)
				return 0; /* connection closed; the rest is not read */
			if (k->state == C_CLOSING && len > 0)
				return LG_E_unexpected_data + 1;
		}
	}
	return 0;
}

static void
on_readable(struct fo_tcp_conn *c, void *user)
{
	struct cconn *k = user;
	struct lg_client *cl = k->cl;
	struct rte_mbuf *m, *seg;
	ssize_t n;
	int rc = 0;

	for (;;) {
		n = fo_tcp_recv(c, &m, UINT32_MAX);
		if (n == -EAGAIN)
			return;
		if (n == 0) {
			conn_fail(k, LG_E_eof, 0);
			return;
		}
		if (n < 0) {
			conn_fail(k, LG_E_reset, 1);
			return;
		}
		cl->s.bytes_rx += (uint64_t)n;
		for (seg = m; seg != NULL && rc == 0; seg = seg->next) {
			rc = consume(k, rte_pktmbuf_mtod(seg, const uint8_t *), seg->data_len);
			if (k->c != c)
				break; /* closed after its response (--close) */
		}
		rte_pktmbuf_free(m);
		if (rc != 0) {
			conn_fail(k, (enum lg_err)(rc - 1), 1);
			return;
		}
		if (k->c != c)
			return;
	}
}

/*
 * Queue the connection's next request (targets round-robin), started at
 * @p t0; @p track: count it outstanding (not for the request a --close
 * connection was opened with, outstanding since its SYN). @return 0 or -1.
 */
static int
send_one(struct cconn *k, uint64_t t0, int track)
{
	struct lg_client *cl = k->cl;
	unsigned t = k->next_target;
	struct rte_mbuf *m;
	uint16_t len = cl->req_len[t];

	m = rte_pktmbuf_alloc(cl->mp);
	if (m == NULL)
		return -1;
	memcpy(rte_pktmbuf_mtod(m, uint8_t *), cl->req[t], len);
	m->data_len = len;
	m->pkt_len = len;
	if (fo_tcp_send(k->c, m) < 0) {
		rte_pktmbuf_free(m);
		return -1;
	}
	k->next_target = t + 1 == cl->n_req ? 0 : t + 1;
	if (track) {
		k->sent[(k->q_head + k->out) % LG_MAX_DEPTH] = t0;
		k->out++;
		cl->in_flight++;
	}
	return 0;
}

/* Start a request on an open connection, or a connection (--close). */
static void
issue(struct cconn *k, uint64_t sched)
{
	struct lg_client *cl = k->cl;

	if (k->state == C_FREE) {
		conn_open(k, sched);
		return;
	}
	if (send_one(k, sched, 1) != 0) {
		err(cl, LG_E_send_failed, sched);
		conn_fail(k, LG_E_send_failed, 1);
	}
}

/*
 * Closed loop: keep @p k at its depth (--close: open the next connection).
 * Fixed rate: park a ready connection on the idle stack for the schedule.
 */
static void
conn_fill(struct cconn *k)
{
	struct lg_client *cl = k->cl;

	if (cl->interval != 0) {
		if (k->out == 0 && (cl->a->close ? k->state == C_FREE : k->state == C_OPEN))
			push_idle(k);
		return;
	}
	if (k->state == C_FREE) {
		if (cl->a->close && take_request(cl))
			conn_open(k, rte_rdtsc());
		return;
	}
	while (k->out < cl->depth && k->state == C_OPEN && take_request(cl))
		issue(k, rte_rdtsc());
}

static void
on_connected(struct fo_tcp_conn *c, void *user)
{
	struct cconn *k = user;
	struct lg_client *cl = k->cl;

	k->state = C_OPEN;
	if (cl->a->close) {
		/* the request this connection was opened for */
		uint64_t t0 = k->sent[k->q_head];

		if (send_one(k, t0, 0) != 0)
			conn_fail(k, LG_E_send_failed, 1);
		return;
	}
	conn_fill(k);
}

static void
on_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct cconn *k = user;
	enum lg_err e = LG_E_reset;

	if (k->state == C_CONNECTING) {
		if (why == FO_TCP_CLOSE_REFUSED)
			e = LG_E_connect_refused;
		else if (why == FO_TCP_CLOSE_TIMEOUT)
			e = LG_E_connect_timeout;
		else if (why == FO_TCP_CLOSE_UNREACHABLE)
			e = LG_E_unreachable;
		if (k->out == 0) /* keep-alive: a connection error, no request lost */
			err(k->cl, e, rte_rdtsc());
	} else if (why == FO_TCP_CLOSE_NORMAL) {
		e = LG_E_eof;
	} else if (why == FO_TCP_CLOSE_TIMEOUT) {
		e = LG_E_timeout;
	}
	k->c = NULL; /* gone: nothing to close */
	conn_fail(k, e, 0);
}

static const struct fo_tcp_ops client_ops = {
	.connected = on_connected,
	.readable = on_readable,
	.closed = on_closed,
};

/* Open a connection; with --close it carries the request started at @p sched. */
static void
conn_open(struct cconn *k, uint64_t sched)
{
	struct lg_client *cl = k->cl;
	const struct lg_args *a = cl->a;

	k->in_head = 1;
	k->resp_bad = 0;
	k->out = 0;
	k->q_head = 0;
	fo_http_parser_init(&k->p, FO_HTTP_RESPONSE, &k->msg);
	k->sent[0] = sched; /* connect time: the request's start with --close */
	k->c = fo_tcp_connect(cl->st->tcp, a->client_addr, a->server_addr, a->server_port,
		&client_ops, k);
	if (k->c == NULL) {
		err(cl, LG_E_connect_failed, sched);
		k->state = C_FREE;
		if (cl->interval != 0)
			push_idle(k); /* the next tick tries again */
		return;
	}
	k->state = C_CONNECTING;
	fo_tcp_set_syn_rto(k->c, 200); /* a peer one hop away, as fanout's upstreams */
	if (counting(cl, sched))
		cl->s.connects++;
	if (a->close) {
		/* the request is outstanding from the SYN on */
		k->out = 1;
		cl->in_flight++;
	}
}

/* Build each target's request once. */
static int
build_requests(struct lg_client *cl)
{
	const struct lg_args *a = cl->a;
	unsigned i, j;

	for (i = 0; i < a->n_targets; i++) {
		char *b = rte_malloc("lg_req", LG_REQ_MAX, 0);
		int n;
		size_t used;

		if (b == NULL)
			return -ENOMEM;
		n = snprintf(b, LG_REQ_MAX, "GET %s HTTP/1.1\r\nHost: %s\r\n", a->targets[i],
			a->host);
		used = (size_t)n;
		for (j = 0; j < a->n_headers && used < LG_REQ_MAX; j++)
			used += (size_t)snprintf(b + used, LG_REQ_MAX - used, "%s\r\n", a->headers[j]);
		if (used < LG_REQ_MAX && a->close)
			used += (size_t)snprintf(b + used, LG_REQ_MAX - used, "Connection: close\r\n");
		if (used < LG_REQ_MAX)
			used += (size_t)snprintf(b + used, LG_REQ_MAX - used, "\r\n");
		if (used >= LG_REQ_MAX || used > RTE_MBUF_DEFAULT_DATAROOM) {
			fprintf(stderr, "fanout-loadgen: request for %s too long (%zu bytes)\n",
				a->targets[i], used);
			rte_free(b);
			return -EMSGSIZE;
		}
		cl->req[i] = (uint8_t *)b;
		cl->req_len[i] = (uint16_t)used;
	}
	cl->n_req = a->n_targets;
	return 0;
}

struct lg_client *
lg_client_create(struct lg_stack *st, const struct lg_args *a, struct rte_mempool *mp,
	uint64_t hz)
{
	struct lg_client *cl = rte_zmalloc("lg_client", sizeof(*cl), RTE_CACHE_LINE_SIZE);
	unsigned i;

	if (cl == NULL)
		return NULL;
	cl->st = st;
	cl->a = a;
	cl->mp = mp;
	cl->hz = hz;
	cl->n = a->conns;
	cl->depth = a->close ? 1 : a->depth;
	cl->conns = rte_zmalloc("lg_conns", sizeof(*cl->conns) * cl->n, RTE_CACHE_LINE_SIZE);
	cl->idle = rte_zmalloc("lg_idle", sizeof(*cl->idle) * cl->n, 0);
	cl->h = rte_zmalloc("lg_hist", sizeof(*cl->h), RTE_CACHE_LINE_SIZE);
	if (cl->conns == NULL || cl->idle == NULL || cl->h == NULL || build_requests(cl) != 0) {
		lg_client_free(cl);
		return NULL;
	}
	for (i = 0; i < cl->n; i++) {
		cl->conns[i].cl = cl;
		cl->conns[i].next_target = i % cl->n_req;
	}
	lg_hist_reset(cl->h);
	cl->timeout_tsc = (uint64_t)(a->timeout * (double)hz);
	if (a->rate > 0)
		cl->interval = (uint64_t)((double)hz / a->rate);
	if (cl->interval == 0 && a->rate > 0)
		cl->interval = 1;
	return cl;
}

static void
window_open(struct lg_client *cl, uint64_t now)
{
	memset(&cl->s, 0, sizeof(cl->s));
	lg_hist_reset(cl->h);
	if (cl->a->fanout_tel != NULL)
		lg_fanout_read(cl->a->fanout_tel, cl->a->fanout_pid, &cl->fo0);
	now = rte_rdtsc(); /* after the socket round trip */
	cl->win_start = now;
	cl->win_end = now;
	cl->busy0 = cl->st->busy;
	cl->idle0 = cl->st->idle;
	cl->phase = P_MEASURE;
	cl->stop_at = cl->a->duration > 0 ? now + (uint64_t)(cl->a->duration * (double)cl->hz)
					  : UINT64_MAX;
	cl->next_tsc = now;
}

int
lg_client_start(struct lg_client *cl)
{
	uint64_t now = rte_rdtsc();
	unsigned i;

	cl->t_begin = now;
	if (cl->a->warmup > 0) {
		cl->phase = P_WARMUP;
		cl->warm_end = now + (uint64_t)(cl->a->warmup * (double)cl->hz);
		cl->next_tsc = now;
	} else {
		window_open(cl, now);
	}
	cl->next_scan = now;
	for (i = 0; i < cl->n; i++) {
		struct cconn *k = &cl->conns[i];

		if (cl->a->close && cl->interval != 0) {
			push_idle(k); /* connections start with their requests */
			continue;
		}
		if (cl->a->close) {
			conn_fill(k);
			continue;
		}
		conn_open(k, rte_rdtsc());
	}
	return 0;
}

/* Requests and connections whose response is late: fail them, reconnect. */
static void
scan_timeouts(struct lg_client *cl, uint64_t now)
{
	unsigned i;

	for (i = 0; i < cl->n; i++) {
		struct cconn *k = &cl->conns[i];

		if (k->state == C_FREE)
			continue;
		if (k->state == C_CLOSING) {
			/* no FIN after the response: not a failed request, just move on */
			if ((int64_t)(now - k->closing_since) > (int64_t)cl->timeout_tsc)
				conn_fail(k, LG_E_eof, 1);
			continue;
		}
		if (k->state == C_CONNECTING && k->out == 0) {
			/* keep-alive connection not up yet; its SYN retries go on */
			continue;
		}
		/* signed: requests started after this poll's TSC read look "younger than 0" */
		if (k->out > 0 && (int64_t)(now - k->sent[k->q_head]) > (int64_t)cl->timeout_tsc) {
			enum lg_err e = k->state == C_CONNECTING ? LG_E_connect_timeout
								 : LG_E_timeout;

			conn_fail(k, e, 1);
		}
	}
	/* keep-alive connections that failed come back here */
	if (!cl->a->close)
		for (i = 0; i < cl->n; i++)
			if (cl->conns[i].state == C_FREE && cl->phase < P_DRAIN)
				conn_open(&cl->conns[i], now);
}

static unsigned
rate_tick(struct lg_client *cl, uint64_t now)
{
	unsigned n = 0;

	while (now >= cl->next_tsc && cl->phase < P_DRAIN) {
		struct cconn *k;

		if (cl->n_idle == 0) {
			/* behind schedule: what starts late counts its latency from
			 * its slot, so the lag shows in the percentiles */
			if (now - cl->next_tsc > cl->hz / 100 && cl->phase == P_MEASURE)
				cl->s.rate_lag++;
			break;
		}
		if (!take_request(cl)) {
			cl->next_tsc = UINT64_MAX;
			break;
		}
		k = &cl->conns[cl->idle[--cl->n_idle]];
		k->idle = 0;
		issue(k, cl->next_tsc);
		cl->next_tsc += cl->interval;
		n++;
	}
	return n;
}

unsigned
lg_client_poll(struct lg_client *cl, uint64_t now)
{
	unsigned work = 0;

	switch (cl->phase) {
	case P_IDLE: /* not started */
		return 0;
	case P_WARMUP:
		if (now >= cl->warm_end) {
			window_open(cl, now);
			work++;
			/* closed loop: connections idle at the switch get going */
			if (cl->interval == 0) {
				unsigned i;

				for (i = 0; i < cl->n; i++)
					conn_fill(&cl->conns[i]);
			}
		}
		break;
	case P_MEASURE:
		if (now >= cl->stop_at ||
			(cl->a->requests != 0 && cl->s.issued >= cl->a->requests)) {
			cl->phase = P_DRAIN;
			cl->drain_end = now + cl->timeout_tsc + cl->hz / 10;
			work++;
		}
		break;
	case P_DRAIN:
		if (cl->in_flight == 0 || now >= cl->drain_end) {
			if (cl->a->fanout_tel != NULL)
				lg_fanout_read(cl->a->fanout_tel, cl->a->fanout_pid, &cl->fo1);
			cl->busy1 = cl->st->busy;
			cl->idle1 = cl->st->idle;
			cl->phase = P_DONE;
			work++;
		}
		break;
	case P_DONE:
		return 0;
	}
	if (cl->interval != 0)
		work += rate_tick(cl, now);
	if (now >= cl->next_scan) {
		scan_timeouts(cl, now);
		cl->next_scan = now + cl->hz / 100;
	}
	return work;
}

int
lg_client_done(const struct lg_client *cl)
{
	return cl->phase == P_DONE;
}

void
lg_client_stop(struct lg_client *cl)
{
	unsigned i;

	for (i = 0; i < cl->n; i++) {
		struct cconn *k = &cl->conns[i];

		if (k->c != NULL)
			fo_tcp_close(k->c);
		k->c = NULL;
		k->state = C_FREE;
	}
}

void
lg_client_free(struct lg_client *cl)
{
	unsigned i;

	if (cl == NULL)
		return;
	for (i = 0; i < LG_MAX_TARGETS; i++)
		rte_free(cl->req[i]);
	rte_free(cl->conns);
	rte_free(cl->idle);
	rte_free(cl->h);
	rte_free(cl);
}

const struct lg_client_stats *
lg_client_stats(const struct lg_client *cl)
{
	return &cl->s;
}

const struct lg_hist *
lg_client_hist(const struct lg_client *cl)
{
	return cl->h;
}

void
lg_client_window(const struct lg_client *cl, uint64_t *start, uint64_t *end)
{
	*start = cl->win_start;
	*end = cl->win_end;
}

void
lg_client_fanout(const struct lg_client *cl, struct lg_fanout_snap *start,
	struct lg_fanout_snap *end)
{
	*start = cl->fo0;
	*end = cl->fo1;
}

void
lg_client_loop_share(const struct lg_client *cl, uint64_t *busy, uint64_t *idle)
{
	*busy = cl->busy1 - cl->busy0;
	*idle = cl->idle1 - cl->idle0;
}

size_t
lg_client_request_len(const struct lg_client *cl)
{
	return cl->req_len[0];
}
