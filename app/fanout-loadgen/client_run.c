/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The client role's run: set-up, phases (warm-up, the measured window,
 * drain, done), the fixed-rate schedule, timeouts, and the results. The
 * per-request path is in client.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "client_priv.h"

#define OPEN_BURST 32
#define OPEN_WINDOW 256

/* CPU seconds this thread was given (a system call: at the window's edges only). */
static double
thread_cpu_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
		n = snprintf(
			b, LG_REQ_MAX, "GET %s HTTP/1.1\r\nHost: %s\r\n", a->targets[i], a->host);
		used = (size_t)n;
		for (j = 0; j < a->n_headers && used < LG_REQ_MAX; j++)
			used += (size_t)snprintf(
				b + used, LG_REQ_MAX - used, "%s\r\n", a->headers[j]);
		if (used < LG_REQ_MAX && a->close)
			used += (size_t)snprintf(
				b + used, LG_REQ_MAX - used, "Connection: close\r\n");
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
lg_client_create(struct lg_stack *st, const struct lg_args *a, struct rte_mempool *mp, uint64_t hz)
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
	if (a->syn_flood > 0)
		cl->flood = lg_flood_create(st, a, mp, hz);
	if (cl->conns == NULL || cl->idle == NULL || cl->h == NULL || build_requests(cl) != 0 ||
		(a->syn_flood > 0 && cl->flood == NULL)) {
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
	cl->cpu0 = thread_cpu_s();
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
			cconn_park(k); /* connections start with their requests */
			continue;
		}
		if (cl->a->close) {
			cconn_fill(k);
			continue;
		}
		break; /* keep-alive: opened by lg_client_poll, OPEN_BURST at a time */
	}
	return 0;
}

/*
 * Keep-alive connections still to open, at most OPEN_BURST per poll and
 * OPEN_WINDOW handshakes under way: their SYNs leave through lib/net's tx
 * buffer (FO_BURST * 4 frames per port and poll) and the link's ring, and
 * a SYN that finds either full is lost until its retransmission (with
 * thousands of connections, rounds of exponential back-off that end in
 * connect timeouts when the server's core is shared).
 */
static unsigned
open_pending(struct lg_client *cl, uint64_t now)
{
	unsigned n = 0;

	/* the server's MAC first: SYNs queued behind an ARP request overflow its queue */
	if (cl->open_next == 0 &&
		fo_net_neigh_resolve(&cl->st->net, cl->a->server_addr, 0) == -EINPROGRESS)
		return 0;
	while (cl->open_next < cl->n && n < OPEN_BURST && cl->phase < P_DRAIN &&
		cl->open_next - cl->handshakes < OPEN_WINDOW) {
		cconn_open(&cl->conns[cl->open_next++], now);
		n++;
	}
	return n;
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
				cconn_fail(k, LG_E_eof, 1);
			continue;
		}
		if (k->state == C_CONNECTING && k->out == 0) {
			/* keep-alive connection not up yet; its SYN retries go on */
			continue;
		}
		/* signed: requests started after this poll's TSC read look "younger than 0" */
		if (k->out > 0 && (int64_t)(now - k->sent[k->q_head]) > (int64_t)cl->timeout_tsc) {
			enum lg_err e =
				k->state == C_CONNECTING ? LG_E_connect_timeout : LG_E_timeout;

			cconn_fail(k, e, 1);
		}
	}
	/* keep-alive connections that failed come back here */
	if (!cl->a->close)
		for (i = 0; i < cl->open_next; i++)
			if (cl->conns[i].state == C_FREE && cl->phase < P_DRAIN)
				cconn_open(&cl->conns[i], now);
}

/* --idle: connections open, done with their requests, nothing outstanding. */
static unsigned
idle_count(const struct lg_client *cl)
{
	unsigned i, n = 0;

	for (i = 0; i < cl->n; i++) {
		const struct cconn *k = &cl->conns[i];

		n += k->state == C_OPEN && k->out == 0 && k->started >= cl->a->idle_requests;
	}
	return n;
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
		if (!client_take_request(cl)) {
			cl->next_tsc = UINT64_MAX;
			break;
		}
		k = &cl->conns[cl->idle[--cl->n_idle]];
		k->idle = 0;
		cconn_issue(k, cl->next_tsc);
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
					cconn_fill(&cl->conns[i]);
			}
		}
		break;
	case P_MEASURE:
		if (cl->a->idle) {
			/* every connection idle (checked with the timeout scan), or -d over */
			if (now >= cl->stop_at ||
				(now >= cl->next_scan && idle_count(cl) == cl->n)) {
				cl->phase = P_DRAIN;
				cl->drain_end =
					now + (uint64_t)(cl->a->idle_settle * (double)cl->hz);
				work++;
			}
			break;
		}
		if (now >= cl->stop_at ||
			(cl->a->requests != 0 && cl->s.issued >= cl->a->requests)) {
			cl->phase = P_DRAIN;
			cl->drain_end = now + cl->timeout_tsc + cl->hz / 10;
			work++;
		}
		break;
	case P_DRAIN:
		if ((cl->in_flight == 0 && !cl->a->idle) || now >= cl->drain_end) {
			if (cl->a->idle)
				cl->idle_conns = idle_count(cl);
			if (cl->a->fanout_tel != NULL)
				lg_fanout_read(cl->a->fanout_tel, cl->a->fanout_pid, &cl->fo1);
			cl->busy1 = cl->st->busy;
			cl->idle1 = cl->st->idle;
			cl->cpu1 = thread_cpu_s();
			cl->phase = P_DONE;
			work++;
		}
		break;
	case P_DONE:
		return 0;
	}
	if (cl->open_next < cl->n && !cl->a->close)
		work += open_pending(cl, now);
	if (cl->flood != NULL)
		work += lg_flood_poll(cl->flood, now, cl->phase == P_MEASURE);
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
	lg_flood_free(cl->flood);
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
lg_client_fanout(
	const struct lg_client *cl, struct lg_fanout_snap *start, struct lg_fanout_snap *end)
{
	*start = cl->fo0;
	*end = cl->fo1;
}

void
lg_client_loop_share(const struct lg_client *cl, uint64_t *busy, uint64_t *idle, double *cpu_s)
{
	*busy = cl->busy1 - cl->busy0;
	*idle = cl->idle1 - cl->idle0;
	*cpu_s = cl->cpu1 - cl->cpu0;
}

size_t
lg_client_request_len(const struct lg_client *cl)
{
	return cl->req_len[0];
}

const struct lg_flood_stats *
lg_client_flood(const struct lg_client *cl)
{
	return cl->flood != NULL ? lg_flood_stats(cl->flood) : NULL;
}

unsigned
lg_client_idle_conns(const struct lg_client *cl)
{
	return cl->idle_conns;
}
