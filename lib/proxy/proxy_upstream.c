/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Upstream connections: server choice (weighted round-robin per worker and
 * upstream), the per-server idle pools (LIFO: the most recently used
 * connection is the least likely to have been closed by the server),
 * active opens, failures and retries, timeouts.
 *
 * Retries (nginx proxy_next_upstream error timeout, at most `tries`
 * attempts per request): a connection that cannot be opened (refused,
 * unreachable, timed out, no local port) is always safe to retry, on the
 * next server. A request without a body whose method is idempotent (GET,
 * HEAD, OPTIONS, TRACE, PUT, DELETE) is also retried on the next server
 * when the connection is reset or closed, or times out, before the first
 * response byte. Any other request is retried only for the keep-alive race
 * (a pooled connection the server closed before the request reached it:
 * once, on a fresh connection to the same server), never after its bytes
 * may have been processed. Retries after a request was sent are limited to
 * 20% of the worker's requests (+3) per second, so that they cannot
 * multiply an overload. Anything else is a 502 (or 504 on a timeout), or an
 * abort of the client when the response has begun.
 *
 * Passive health (nginx max_fails / fail_timeout, per worker): max_fails
 * consecutive failures of a server (connect refused or timed out, reset or
 * timeout before the response) take it out of rotation for fail_timeout,
 * doubled on each ejection in a row (at most 32x), never more than half of
 * an upstream's servers at once; a response head from it puts it back.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "proxy_priv.h"

/* the request's server number @p idx of its upstream, as written in its config */
static const struct fo_conf_server *
up_conf_server(const struct px_sess *s, unsigned idx)
{
	return &px_upconf(s)->servers[idx];
}

static void
fmt_server(const struct fo_conf_server *cs, char *buf, size_t len)
{
	uint32_t a = rte_be_to_cpu_32(cs->addr);

	snprintf(buf, len, "%u.%u.%u.%u:%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff,
		cs->port);
}

/* this worker's endpoint for the request's server number @p idx (NULL: untracked, table full) */
static struct px_server *
up_server(const struct px_sess *s, unsigned idx)
{
	const struct px_view *v = px_view(s);

	return v->servers[v->ups[s->upstream].first + idx];
}

void
px_up_arm_read(struct px_sess *s)
{
	struct px_up *u = s->up;

	if (u == NULL || u->state != PX_UP_BUSY)
		return;
	px_up_deadline(u, px_upconf(s)->read_timeout_ms);
	u->tkind = PX_UT_READ;
}

static int up_connect(struct px_sess *s, unsigned idx);

/* Does RFC 9110 (9.2.2) let the request be sent twice? */
static int
req_idempotent(const struct px_sess *s)
{
	switch (s->req.method) {
	case FO_HTTP_M_GET:
	case FO_HTTP_M_HEAD:
	case FO_HTTP_M_OPTIONS:
	case FO_HTTP_M_TRACE:
	case FO_HTTP_M_PUT:
	case FO_HTTP_M_DELETE:
		return 1;
	default:
		return 0;
	}
}

/*
 * Keep a reference to the request head for a replay: only a request
 * without a body, whose whole head is one mbuf (what fanout writes), can be
 * sent again as it is; whether it may be is decided at the failure.
 */
static void
up_keep_head(struct px_sess *s)
{
	if (s->retry_head == NULL && s->req_state == PX_REQ_DONE && s->to_up != NULL &&
		s->to_up->nb_segs == 1) {
		rte_mbuf_refcnt_update(s->to_up, 1);
		s->retry_head = s->to_up;
	}
}

/* May a request be sent to @p srv now? */
static int
srv_drained(const struct fo_proxy_worker *pw, const struct px_server *srv)
{
	return srv->drained_gen == pw->cur->gen;
}

static int
srv_usable(const struct fo_proxy_worker *pw, const struct px_server *srv)
{
	return srv != NULL && !srv->unresolved && srv->down_until <= pw->net->now &&
	       !srv_drained(pw, srv);
}

/* The server after the current one that may take the request (the next one when none may). */
static unsigned
up_next(const struct px_sess *s)
{
	unsigned n = px_upconf(s)->n_servers, i;

	for (i = 1; i < n; i++)
		if (srv_usable(s->pw, up_server(s, (s->server + i) % n)))
			return (s->server + i) % n;
	return (s->server + 1) % n;
}

/* A failure of @p srv for the request @p s (passive health). */
static void
srv_fail(struct px_sess *s, struct px_server *srv)
{
	struct fo_proxy_worker *pw = s->pw;
	const struct fo_conf_upstream *cu = px_upconf(s);
	uint64_t now = pw->net->now;
	unsigned i, down = 0;

	if (srv == NULL || cu->max_fails == 0 || srv->down_until > now)
		return;
	if (++srv->fails < cu->max_fails)
		return;
	srv->fails = 0;
	/* never more than half of the upstream out of rotation at once */
	for (i = 0; i < cu->n_servers; i++) {
		const struct px_server *o = up_server(s, i);

		down += o != NULL && o->down_until > now;
	}
	if ((down + 1) * 2 > cu->n_servers)
		return;
	srv->down_until = now + (((uint64_t)cu->fail_timeout_ms * pw->tsc_ms)
					<< RTE_MIN(srv->ejections, 5));
	if (srv->ejections < UINT8_MAX)
		srv->ejections++;
	pw->stats.upstream_ejections++;
}

void
px_up_ok(struct px_sess *s)
{
	if (s->up != NULL && s->up->srv != NULL) {
		s->up->srv->fails = 0;
		s->up->srv->ejections = 0;
	}
}

/* The active open to the current server failed: next server, or 502. */
static int
up_connect_next(struct px_sess *s, const char *what)
{
	struct fo_proxy_worker *pw = s->pw;
	unsigned n = px_upconf(s)->n_servers;
	char detail[160], srv[32];

	pw->stats.upstream_connect_failed++;
	srv_fail(s, up_server(s, s->server));
	/* nothing was sent: always safe, and no budget (it adds no load) */
	if (++s->attempts < RTE_MIN(n, px_upconf(s)->tries)) {
		pw->stats.upstream_retries++;
		return up_connect(s, up_next(s));
	}
	fmt_server(up_conf_server(s, s->server), srv, sizeof(srv));
	snprintf(detail, sizeof(detail), "upstream %s (%s)", what, srv);
	return px_error(s, 502, detail);
}

static int
up_connect(struct px_sess *s, unsigned idx)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_server *srv = up_server(s, idx);
	struct px_up *u;

	s->server = idx;
	if (srv == NULL)
		return up_connect_next(s, "not tracked: the worker's endpoint table is full");
	u = px_up_alloc(pw);
	if (u == NULL)
		return px_error(s, 503, "no upstream connection state left");
	u->srv = srv;
	srv->n_up++;
	u->s = s;
	u->state = PX_UP_CONNECTING;
	u->n_requests = 1;
	s->up = u;
	pw->stats.upstream_busy++;
	u->c = fo_tcp_connect(pw->tw, srv->src, srv->addr, srv->port, &px_up_ops, u);
	if (u->c == NULL) {
		int e = errno;

		s->up = NULL;
		px_up_free(u);
		return up_connect_next(s, e == ENETUNREACH ? "is unreachable"
					  : e == EADDRNOTAVAIL
						  ? "connection impossible: no local port left"
						  : "connection impossible: connection limit");
	}
	pw->stats.upstream_connects++;
	up_keep_head(s);
	fo_tcp_set_syn_rto(u->c, px_upconf(s)->syn_rto_ms);
	px_up_deadline(u, px_upconf(s)->connect_timeout_ms);
	u->tkind = PX_UT_CONNECT;
	return 0;
}

unsigned
px_up_sweep(struct fo_proxy_worker *pw)
{
	unsigned i;

	pw->sweep_tsc = pw->net->now + pw->tsc_ms * PX_SWEEP_MS;
	pw->budget_reqs = pw->budget_retries = 0; /* the retry budget is per second */
	for (i = 0; i < pw->srv_cap; i++) {
		struct px_server *srv = &pw->servers[i];
		int usable;

		if (!srv->used || srv->views == 0)
			continue;
		usable = fo_net_neigh_usable(pw->net, srv->addr);
		/* REACHABLE and resolving next hops cost a lookup; FAILED ones start
		 * over. A failed one stays passed over until it answers. */
		if (fo_net_neigh_resolve(pw->net, srv->addr, 0) == 0)
			srv->unresolved = 0;
		else if (!usable)
			srv->unresolved = 1;
	}
	return 1;
}

/**
 * Weighted round-robin over the servers of @p upst, passing over those
 * whose next hop failed resolution while another one is fine.
 *
 * @return the server's index.
 */
static unsigned
up_pick(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_view *v = px_view(s);
	struct px_upstream *upst = &v->ups[s->upstream];
	const struct fo_conf_upstream *cu = px_upconf(s);
	unsigned idx = upst->rr_idx, fallback = UINT_MAX, tries;

	for (tries = 0;; tries++) {
		const struct px_server *srv = v->servers[upst->first + idx];

		if (tries == upst->n_servers) {
			/* none may take it: any that is not drained (ejected or
			 * unresolved ones may have recovered), or none at all */
			return fallback;
		}
		if (srv_usable(pw, srv)) {
			if (++upst->rr_cnt >= cu->servers[idx].weight) {
				upst->rr_cnt = 0;
				upst->rr_idx = (idx + 1) % upst->n_servers;
			}
			return idx;
		}
		if (srv != NULL && srv_drained(pw, srv)) {
			pw->stats.upstream_drained_skips++;
		} else {
			if (fallback == UINT_MAX)
				fallback = idx;
			if (srv != NULL && srv->unresolved)
				pw->stats.upstream_unresolved++;
			else
				pw->stats.upstream_ejected_skips++;
		}
		idx = (idx + 1) % upst->n_servers;
		upst->rr_idx = idx;
		upst->rr_cnt = 0;
	}
}

int
px_up_start(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	unsigned idx = up_pick(s);
	struct px_server *srv;
	struct px_up *u;

	if (idx == UINT_MAX)
		return px_error(s, 503, "every server of the upstream is drained");
	srv = up_server(s, idx);
	pw->budget_reqs++;
	s->attempts = 0;
	/* the pool is the endpoint's, shared by the upstreams that list it; one
	 * with keepalive 0 takes none of it (a connection per request) */
	u = srv != NULL && px_upconf(s)->keepalive > 0 ? srv->idle : NULL;
	if (u == NULL)
		return up_connect(s, idx);
	/* LIFO pop */
	srv->idle = u->next;
	if (u->next != NULL)
		u->next->prev = NULL;
	u->next = u->prev = NULL;
	srv->n_idle--;
	pw->n_idle--;
	pw->stats.upstream_idle--;
	pw->stats.upstream_busy++;
	pw->stats.upstream_reuses++;
	u->deadline = 0;
	u->tkind = 0;
	u->state = PX_UP_BUSY;
	u->s = s;
	u->n_requests++;
	s->up = u;
	s->server = idx;
	s->flags |= PX_S_UP_REUSED;
	up_keep_head(s);
	return px_req_pump(s);
}

int
px_up_fail(struct px_sess *s, unsigned status, const char *what)
{
	struct fo_proxy_worker *pw = s->pw;
	char detail[160], srv[32];

	if (s->flags & PX_S_STARTED) {
		pw->stats.client_aborts++;
		return px_sess_abort(s);
	}
	if (s->up != NULL)
		srv_fail(s, s->up->srv);
	if (s->retry_head != NULL && s->up != NULL) {
		unsigned next = s->server;
		int race = (s->flags & PX_S_UP_REUSED) && !(s->flags & PX_S_RETRIED);
		/* each server at most once, as nginx: never the same one again */
		int again = req_idempotent(s) &&
			    (uint32_t)s->attempts + 1 < RTE_MIN(px_upconf(s)->tries,
								px_upconf(s)->n_servers);

		if (race || again) {
			struct rte_mbuf *head = s->retry_head;

			if (pw->budget_retries >= 3 + pw->budget_reqs / 5) {
				pw->stats.retries_budget_exhausted++;
				goto fail;
			}
			pw->budget_retries++;
			/* the keep-alive race: the same server on a fresh connection;
			 * otherwise the next one that may take it */
			if (!race)
				next = up_next(s);
			s->retry_head = NULL;
			px_up_release(s, PX_REL_ABORT);
			rte_pktmbuf_free(s->to_up);
			s->to_up = head;
			s->flags |= PX_S_RETRIED;
			s->flags &= ~(uint32_t)(PX_S_UP_EOF | PX_S_UP_NOREUSE | PX_S_UP_REUSED);
			rte_pktmbuf_free(s->rin);
			s->rin = NULL;
			s->rin_fed = 0;
			fo_http_parser_init(&s->resp_p, FO_HTTP_RESPONSE, &s->resp);
			pw->stats.upstream_retries++;
			s->attempts++;
			return up_connect(s, next);
		}
	}
fail:
	fmt_server(up_conf_server(s, s->server), srv, sizeof(srv));
	snprintf(detail, sizeof(detail), "%s (%s)", what, srv);
	return px_error(s, status, detail);
}

void
px_up_release(struct px_sess *s, enum px_release how)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_up *u = s->up;
	struct px_server *srv;

	if (u == NULL)
		return;
	s->up = NULL;
	rte_pktmbuf_free(s->retry_head);
	s->retry_head = NULL;
	srv = u->srv;
	u->deadline = 0;
	/* pooled only while the current snapshot lists the endpoint, undrained */
	if (how == PX_REL_POOL && u->c != NULL && u->state == PX_UP_BUSY &&
		srv->live_gen == pw->cur->gen && !srv_drained(pw, srv) &&
		px_upconf(s)->keepalive > 0 &&
		u->n_requests < px_upconf(s)->keepalive_requests &&
		srv->n_idle < px_upconf(s)->keepalive && pw->n_idle < pw->idle_cap) {
		pw->stats.upstream_busy--;
		pw->stats.upstream_idle++;
		pw->stats.upstream_pooled++;
		u->state = PX_UP_IDLE;
		u->s = NULL;
		u->prev = NULL;
		u->next = srv->idle;
		if (u->next != NULL)
			u->next->prev = u;
		srv->idle = u;
		srv->n_idle++;
		pw->n_idle++;
		px_up_deadline(u, px_upconf(s)->keepalive_timeout_ms);
		u->tkind = PX_UT_IDLE;
		return;
	}
	if (u->c != NULL) {
		if (how == PX_REL_ABORT)
			fo_tcp_abort(u->c);
		else
			fo_tcp_close(u->c);
	}
	px_up_free(u);
}

void
px_up_timer(struct fo_timer *t)
{
	struct px_up *u = container_of(t, struct px_up, timer);
	struct fo_proxy_worker *pw = u->pw;
	struct px_sess *s = u->s;

	if (!px_deadline_due(pw, t, &u->deadline))
		return;
	if (u->state == PX_UP_IDLE) {
		pw->stats.upstream_idle_closed++;
		fo_tcp_close(u->c);
		px_up_free(u);
		return;
	}
	if (s == NULL || s->phase == PX_TUNNEL)
		return;
	pw->stats.upstream_timeouts++;
	if (u->state == PX_UP_CONNECTING) {
		px_up_fail(s, 504, "upstream did not accept the connection within connect_timeout");
		return;
	}
	if (u->tkind == PX_UT_SEND)
		px_up_fail(s, 504, "upstream did not take the request within send_timeout");
	else
		px_up_fail(s, 504, "upstream did not respond within read_timeout");
}

/* ---- TCP callbacks of upstream connections ---- */

static void
up_connected(struct fo_tcp_conn *c, void *user)
{
	struct px_up *u = user;
	struct fo_proxy_worker *pw = u->pw;

	(void)c;
	u->deadline = 0;
	u->tkind = 0;
	u->state = PX_UP_BUSY;
	pw->stats.upstream_connected++;
	px_req_pump(u->s);
}

/* Data or FIN on an idle pooled connection: the server closed it (or is out of step). */
static void
up_idle_readable(struct px_up *u)
{
	struct rte_mbuf *m;
	ssize_t n;

	n = fo_tcp_recv(u->c, &m, UINT32_MAX);
	if (n == -EAGAIN)
		return;
	if (n > 0)
		rte_pktmbuf_free(m);
	u->pw->stats.upstream_idle_closed++;
	if (n == 0)
		fo_tcp_close(u->c);
	else
		fo_tcp_abort(u->c);
	px_up_free(u);
}

static void
up_readable(struct fo_tcp_conn *c, void *user)
{
	struct px_up *u = user;

	(void)c;
	if (u->state == PX_UP_IDLE) {
		up_idle_readable(u);
		return;
	}
	if (u->s->phase == PX_TUNNEL)
		px_tunnel_pump(u->s);
	else
		px_resp_pump(u->s);
}

static void
up_writable(struct fo_tcp_conn *c, void *user)
{
	struct px_up *u = user;

	(void)c;
	if (u->state != PX_UP_BUSY)
		return;
	if (u->s->phase == PX_TUNNEL)
		px_tunnel_pump(u->s);
	else
		px_req_pump(u->s);
}

static void
up_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct px_up *u = user;
	struct fo_proxy_worker *pw = u->pw;
	struct px_sess *s = u->s;

	(void)c;
	u->c = NULL;
	if (u->state == PX_UP_IDLE) {
		pw->stats.upstream_idle_closed++;
		px_up_free(u);
		return;
	}
	if (s->phase == PX_TUNNEL) {
		if (why != FO_TCP_CLOSE_NORMAL)
			pw->stats.upstream_resets++;
		px_tunnel_closed(s, 1, why);
		return;
	}
	if (why == FO_TCP_CLOSE_NORMAL && (s->flags & PX_S_UP_EOF))
		return; /* EOF already taken into account */
	if (u->state == PX_UP_CONNECTING) {
		s->up = NULL;
		px_up_free(u);
		up_connect_next(s, why == FO_TCP_CLOSE_REFUSED ? "refused the connection"
				   : why == FO_TCP_CLOSE_TIMEOUT
					   ? "did not answer the connection request"
					   : "is unreachable");
		return;
	}
	pw->stats.upstream_resets++;
	px_up_fail(s, 502,
		why == FO_TCP_CLOSE_TIMEOUT ? "upstream connection timed out"
					    : "upstream reset the connection");
}

const struct fo_tcp_ops px_up_ops = {
	.connected = up_connected,
	.readable = up_readable,
	.writable = up_writable,
	.closed = up_closed,
};
