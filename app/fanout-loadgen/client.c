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
 * Phases (client_run.c): warm-up (results discarded), measure (the
 * window), drain (no new requests; outstanding ones finish or time out),
 * done. At the window's edges fanout's counters are read from its
 * telemetry socket: system calls, twice per run, never per request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "client_priv.h"

const char *const lg_err_names[LG_E_MAX] = {LG_ERRORS(FO_XSTR_NAME)};

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
int
client_take_request(struct lg_client *cl)
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

void
cconn_park(struct cconn *k)
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
void
cconn_fail(struct cconn *k, enum lg_err e, int abort)
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
	cconn_fill(k);
}

/* A response is complete: account it, then keep the connection busy. */
static void
resp_done(struct cconn *k, uint64_t now)
{
	struct lg_client *cl = k->cl;
	uint64_t t0 = k->sent[k->q_head];
	int server_closes;

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
	/* before the parser is reset for the next response, which clears it */
	server_closes = (k->msg.flags & FO_HTTP_F_CONN_CLOSE) != 0;
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
	if (server_closes) {
		int reopen = cl->phase < P_DRAIN;

		fo_tcp_close(k->c);
		k->c = NULL;
		k->state = C_FREE;
		if (reopen) {
			/* the server ended a keep-alive connection (its request limit) */
			cconn_fail(k, LG_E_eof, 0); /* fails what was pipelined behind */
			cconn_open(k, now);
			return;
		}
	}
	cconn_fill(k);
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
			cconn_fail(k, LG_E_eof, 0);
			return;
		}
		if (n < 0) {
			cconn_fail(k, LG_E_reset, 1);
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
			cconn_fail(k, (enum lg_err)(rc - 1), 1);
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
void
cconn_issue(struct cconn *k, uint64_t sched)
{
	struct lg_client *cl = k->cl;

	if (k->state == C_FREE) {
		cconn_open(k, sched);
		return;
	}
	if (send_one(k, sched, 1) != 0) {
		err(cl, LG_E_send_failed, sched);
		cconn_fail(k, LG_E_send_failed, 1);
	}
}

/*
 * Closed loop: keep @p k at its depth (--close: open the next connection).
 * Fixed rate: park a ready connection on the idle stack for the schedule.
 */
void
cconn_fill(struct cconn *k)
{
	struct lg_client *cl = k->cl;

	if (cl->interval != 0) {
		if (k->out == 0 && (cl->a->close ? k->state == C_FREE : k->state == C_OPEN))
			cconn_park(k);
		return;
	}
	if (k->state == C_FREE) {
		if (cl->a->close && client_take_request(cl))
			cconn_open(k, rte_rdtsc());
		return;
	}
	while (k->out < cl->depth && k->state == C_OPEN &&
		(!cl->a->idle || k->started < cl->a->idle_requests) && client_take_request(cl)) {
		k->started++;
		cconn_issue(k, rte_rdtsc());
	}
}

/* The first connect attempt of a keep-alive connection ended: another may start. */
static void
handshake_done(struct cconn *k)
{
	if (k->handshook)
		return;
	k->handshook = 1;
	k->cl->handshakes++;
}

static void
on_connected(struct fo_tcp_conn *c, void *user)
{
	struct cconn *k = user;
	struct lg_client *cl = k->cl;

	k->state = C_OPEN;
	handshake_done(k);
	if (cl->a->close) {
		/* the request this connection was opened for */
		uint64_t t0 = k->sent[k->q_head];

		if (send_one(k, t0, 0) != 0)
			cconn_fail(k, LG_E_send_failed, 1);
		return;
	}
	cconn_fill(k);
}

static void
on_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct cconn *k = user;
	enum lg_err e = LG_E_reset;

	if (k->state == C_CONNECTING) {
		handshake_done(k);
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
	cconn_fail(k, e, 0);
}

static const struct fo_tcp_ops client_ops = {
	.connected = on_connected,
	.readable = on_readable,
	.closed = on_closed,
};

/* Open a connection; with --close it carries the request started at @p sched. */
void
cconn_open(struct cconn *k, uint64_t sched)
{
	struct lg_client *cl = k->cl;
	const struct lg_args *a = cl->a;

	k->in_head = 1;
	k->resp_bad = 0;
	k->out = 0;
	k->q_head = 0;
	fo_http_parser_init(&k->p, FO_HTTP_RESPONSE, &k->msg);
	k->sent[0] = sched; /* connect time: the request's start with --close */
	k->c = fo_tcp_connect(
		cl->st->tcp, a->client_addr, a->server_addr, a->server_port, &client_ops, k);
	if (k->c == NULL) {
		err(cl, LG_E_connect_failed, sched);
		k->state = C_FREE;
		if (cl->interval != 0)
			cconn_park(k); /* the next tick tries again */
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
