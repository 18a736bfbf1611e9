/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Active health checks, run by a worker on the control thread's behalf:
 * the kernel cannot reach backends behind a NIC DPDK owns, so the checks
 * go out through the worker's own TCP stack. The control thread spreads
 * them over the workers and queues each one, by value, on one worker's
 * probe ring; the worker opens a connection, sends the rendered request,
 * reports the response's status as soon as its head is in (or why there is
 * none) on its obs ring, then reads the rest of the response until the
 * server closes (the check asks it to) and closes in turn, as kubelet's
 * probes end: a check that reset the connection once it had the status
 * would show in the backend's logs as a client that went away (gunicorn
 * does not even log the request). A body over PX_PROBE_DRAIN_MAX, or a
 * response that has not ended by the check's deadline, is cut with a
 * reset; either way the result already went out. No allocation: a fixed
 * pool of probe states, allocated with the worker.
 */
#include <errno.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "proxy_priv.h"

/** Commands taken from the probe ring per poll. */
#define PX_PROBE_BURST 8
/** Bytes of a response body a check reads (and discards) before it resets. */
#define PX_PROBE_DRAIN_MAX (64u * 1024)

/** One check in progress. */
struct px_probe {
	struct fo_proxy_worker *pw;
	struct fo_tcp_conn *c;   /* NULL: free */
	struct px_probe *next;   /* free list */
	struct fo_timer timer;
	uint64_t deadline;
	struct rte_mbuf *rin;    /* response bytes so far */
	uint32_t rin_fed;
	uint32_t slot, seq;
	uint16_t req_len;
	uint8_t connected;
	uint8_t reported;        /* the status went out; reading the rest */
	uint8_t counted;         /* body_left counts the body (Content-Length) */
	uint32_t drained;        /* body bytes read and dropped */
	uint64_t body_left;      /* with counted: body bytes still to come */
	struct fo_http_parser p;
	struct fo_http_msg msg;
	char req[FO_PROXY_PROBE_REQ_MAX];
};

int
px_probe_init(struct fo_proxy_worker *pw)
{
	unsigned i;

	pw->probes = calloc(PX_PROBES_MAX, sizeof(*pw->probes));
	if (pw->probes == NULL)
		return -ENOMEM;
	for (i = 0; i < PX_PROBES_MAX; i++) {
		pw->probes[i].pw = pw;
		pw->probes[i].next = i + 1 < PX_PROBES_MAX ? &pw->probes[i + 1] : NULL;
	}
	pw->probe_free = &pw->probes[0];
	return 0;
}

static void
probe_report(struct fo_proxy_worker *pw, uint32_t slot, uint32_t seq, unsigned status,
	unsigned why)
{
	struct fo_proxy_obs o = {.slot = slot,
		.seq = seq,
		.kind = FO_PROXY_OBS_PROBE,
		.status = (uint16_t)status,
		.why = (uint8_t)why};

	if (why == FO_PROXY_OBS_NOSTATE)
		pw->stats.probes_nostate++;
	else if (status != 0)
		pw->stats.probes_answered++;
	else
		pw->stats.probes_failed++;
	px_obs_push(pw, &o);
}

/* The check is over: report (unless it already did), close (abort when it did not end
 * cleanly), free the state. */
static void
probe_end(struct px_probe *p, unsigned status, unsigned why, int abort)
{
	struct fo_proxy_worker *pw = p->pw;

	if (!p->reported)
		probe_report(pw, p->slot, p->seq, status, why);
	if (p->c != NULL) {
		if (abort)
			fo_tcp_abort(p->c);
		else
			fo_tcp_close(p->c);
	}
	p->c = NULL;
	fo_timer_cancel(&pw->wheel, &p->timer);
	p->deadline = 0;
	rte_pktmbuf_free(p->rin);
	p->rin = NULL;
	p->next = pw->probe_free;
	pw->probe_free = p;
}

static void
probe_timer(struct fo_timer *t)
{
	struct px_probe *p = container_of(t, struct px_probe, timer);

	if (p->c == NULL || !px_deadline_due(p->pw, t, &p->deadline))
		return;
	/* a server that sent the whole response but kept the connection open, despite the
	 * check's Connection: close, gets a FIN; anything else a reset */
	probe_end(p, 0, p->connected ? FO_PROXY_OBS_TIMEOUT : FO_PROXY_OBS_CONNECT,
		!(p->reported && p->counted && p->body_left == 0));
}

static void
probe_connected(struct fo_tcp_conn *c, void *user)
{
	struct px_probe *p = user;
	struct rte_mbuf *m = px_chain_from_buf(p->pw, p->req, p->req_len);

	p->connected = 1;
	if (m == NULL) {
		p->pw->stats.nombuf++;
		probe_end(p, 0, FO_PROXY_OBS_NOSTATE, 1);
		return;
	}
	/* a request of at most FO_PROXY_PROBE_REQ_MAX bytes fits a fresh send buffer */
	if (fo_tcp_send(c, m) < 0) {
		rte_pktmbuf_free(m);
		probe_end(p, 0, FO_PROXY_OBS_RESET, 1);
	}
}

/* The head is in: report it, set up reading the rest of the response. */
static void
probe_head_done(struct px_probe *p)
{
	const struct fo_http_msg *msg = &p->msg;
	uint32_t have = rte_pktmbuf_pkt_len(p->rin) - p->rin_fed;

	probe_report(p->pw, p->slot, p->seq, msg->status, 0);
	p->reported = 1;
	p->drained = have;
	rte_pktmbuf_free(p->rin);
	p->rin = NULL;
	if (msg->status == 204 || msg->status == 304 || msg->status < 200) {
		/* no body (a 1xx ends the check too: a GET is not answered with one) */
		p->counted = 1;
		p->body_left = 0;
	} else if ((msg->flags & (FO_HTTP_F_CONTENT_LENGTH | FO_HTTP_F_CHUNKED)) ==
		FO_HTTP_F_CONTENT_LENGTH) {
		p->counted = 1;
		p->body_left = msg->content_length > have ? msg->content_length - have : 0;
	}
	/* else chunked or delimited by the close: read to the end */
}

/* Body bytes @n came after the status went out. */
static void
probe_drain(struct px_probe *p, struct rte_mbuf *m, uint32_t n)
{
	rte_pktmbuf_free(m);
	p->drained += n;
	if (p->counted)
		p->body_left = n < p->body_left ? p->body_left - n : 0;
}

static void
probe_readable(struct fo_tcp_conn *c, void *user)
{
	struct px_probe *p = user;
	struct rte_mbuf *m;
	ssize_t n;
	int rc;

	for (;;) {
		n = fo_tcp_recv(c, &m, PX_RECV_MAX);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			/* EOF or reset: before a whole head, the check failed; after, the response
			 * ended (a close-delimited body) or the server gave up on it */
			probe_end(p, 0, FO_PROXY_OBS_RESET, n < 0);
			return;
		}
		if (p->reported) {
			probe_drain(p, m, (uint32_t)n);
			if (p->drained > PX_PROBE_DRAIN_MAX) {
				probe_end(p, 0, 0, 1);
				return;
			}
			continue;
		}
		p->rin = fo_mbuf_chain_join(p->rin, m);
		if (px_head_sparse(p->rin)) {
			p->rin = px_chain_compact(p->pw, p->rin);
			if (p->rin == NULL) {
				probe_end(p, 0, FO_PROXY_OBS_NOSTATE, 1);
				return;
			}
		}
		rc = px_head_feed(&p->p, p->rin, &p->rin_fed);
		if (rc < 0) {
			probe_end(p, 0, FO_PROXY_OBS_BAD, 1);
			return;
		}
		if (rc == 1)
			probe_head_done(p);
	}
}

static void
probe_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct px_probe *p = user;

	(void)c;
	p->c = NULL; /* gone: nothing to close */
	probe_end(p, 0,
		!p->connected && why != FO_TCP_CLOSE_NORMAL ? FO_PROXY_OBS_CONNECT
							    : FO_PROXY_OBS_RESET,
		0);
}

static const struct fo_tcp_ops probe_ops = {
	.connected = probe_connected,
	.readable = probe_readable,
	.closed = probe_closed,
};

/* Start the check @p cmd says. */
static void
probe_start(struct fo_proxy_worker *pw, const struct fo_proxy_probe *cmd)
{
	struct px_probe *p = pw->probe_free;
	rte_be32_t src;

	if (p == NULL || cmd->req_len == 0 || cmd->req_len > FO_PROXY_PROBE_REQ_MAX) {
		probe_report(pw, cmd->slot, cmd->seq, 0, FO_PROXY_OBS_NOSTATE);
		return;
	}
	pw->probe_free = p->next;
	p->next = NULL;
	p->slot = cmd->slot;
	p->seq = cmd->seq;
	p->req_len = cmd->req_len;
	p->connected = 0;
	p->reported = 0;
	p->counted = 0;
	p->drained = 0;
	p->body_left = 0;
	p->rin = NULL;
	p->rin_fed = 0;
	memcpy(p->req, cmd->req, cmd->req_len);
	fo_http_parser_init(&p->p, FO_HTTP_RESPONSE, &p->msg);
	fo_timer_init(&p->timer, probe_timer);
	pw->stats.probes_started++;
	src = px_src_for(pw, pw->cur->conf, cmd->addr);
	p->c = fo_tcp_connect(pw->tw, src, cmd->addr, cmd->port, &probe_ops, p);
	if (p->c == NULL) {
		probe_end(p, 0, FO_PROXY_OBS_CONNECT, 0);
		return;
	}
	fo_tcp_set_syn_rto(p->c, 200);
	px_deadline_set(pw, &p->timer, &p->deadline, cmd->timeout_ms ? cmd->timeout_ms : 1000);
}

unsigned
px_probe_poll(struct fo_proxy_worker *pw)
{
	struct fo_proxy_probe cmd[PX_PROBE_BURST];
	unsigned i, n;

	if (pw->links.probes == NULL || rte_ring_count(pw->links.probes) == 0)
		return 0;
	n = rte_ring_sc_dequeue_burst_elem(pw->links.probes, cmd, sizeof(cmd[0]), PX_PROBE_BURST,
		NULL);
	for (i = 0; i < n; i++)
		probe_start(pw, &cmd[i]);
	return n;
}

void
px_probe_fini(struct fo_proxy_worker *pw)
{
	unsigned i;

	for (i = 0; pw->probes != NULL && i < PX_PROBES_MAX; i++)
		rte_pktmbuf_free(pw->probes[i].rin);
	free(pw->probes);
	pw->probes = NULL;
}
