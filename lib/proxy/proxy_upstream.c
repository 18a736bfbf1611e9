/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Upstream connections: server choice (the upstream's balancer, see
 * proxy_balance.c, over the servers health and drain leave in rotation),
 * taking a connection from the server's idle pool (LIFO: the most recently
 * used connection is the least likely to have been closed by the server)
 * or opening one, failures and retries. Releasing a connection into the
 * pool, its timeouts and lib/tcp's callbacks are in proxy_upconn.c.
 *
 * Retries (nginx proxy_next_upstream, at most `tries` attempts per
 * request, each server at most once): a connection that cannot be opened
 * (refused, unreachable, timed out, no local port) is always retried on
 * the next server: nothing was sent. After the request went out, a request
 * without a body whose method is idempotent (GET, HEAD, OPTIONS, TRACE,
 * PUT, DELETE) is retried on the next server when what happened is in the
 * upstream's next_upstream: `error` (reset or closed before the response
 * head), `timeout` (read or send timeout), `invalid_header`, `http_500`,
 * `http_502`, `http_503`, `http_504`, `http_429` (that status as the final
 * response head). The keep-alive race (a pooled connection the server
 * closed before the request reached it) is retried once on a fresh
 * connection to the same server whatever the request. A request with a
 * body, or a non-idempotent one, is never sent twice. Retries after a
 * request was sent are limited to 20% of the worker's requests (+3) per
 * second (this second's or the last one's, the larger), so that they
 * cannot multiply an overload. Otherwise the client
 * gets 502 (504 on a timeout), or the last server's response, or an abort
 * when its response has begun.
 *
 * Health: the control thread publishes a byte per (upstream, server) —
 * DOWN (active checks) and EJECTED (passive outlier detection) — that the
 * balancer reads. A worker reports every failure of a server (connection
 * refused or timed out, reset, timeout, invalid head, a status
 * next_upstream counts) with its streak of consecutive failures, and the
 * first response after failures, on its obs ring; the control thread
 * ejects (see lib/ctl). Active checks are run here too, on the control
 * thread's behalf (proxy_probe.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>

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

/* the health slot of the request's server number @p idx (FO_PROXY_HSLOT_NONE: none) */
static uint32_t
up_slot(const struct px_sess *s, unsigned idx)
{
	return s->snap->hslot[px_view(s)->ups[s->upstream].first + idx];
}

/* the published health bits of the request's server number @p idx */
static uint8_t
up_health(const struct px_sess *s, unsigned idx)
{
	const struct fo_proxy_worker *pw = s->pw;
	uint32_t slot;

	if (pw->links.health == NULL)
		return 0;
	slot = up_slot(s, idx);
	if (slot >= pw->links.n_slots)
		return 0;
	/* one writer (the control thread), byte-sized: a relaxed load is the
	 * whole protocol; a stale value for a moment is harmless */
	return __atomic_load_n(&pw->links.health[slot], __ATOMIC_RELAXED);
}

void
px_obs_push(struct fo_proxy_worker *pw, struct fo_proxy_obs *o)
{
	if (pw->links.obs == NULL)
		return;
	o->worker = (uint8_t)pw->worker_id;
	if (rte_ring_sp_enqueue_elem(pw->links.obs, o, sizeof(*o)) != 0) {
		pw->stats.health_obs_dropped++;
		return;
	}
	/* failures and check results are rare: a wake-up (a system call) now and
	 * then, never more than once a millisecond, none while one is pending */
	if (pw->links.wake != NULL && pw->net->now >= pw->wake_tsc &&
		!__atomic_load_n(pw->links.wake_pending, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(pw->links.wake_pending, 1, __ATOMIC_RELEASE);
		pw->wake_tsc = pw->net->now + pw->tsc_ms;
		pw->stats.health_wakeups++;
		pw->links.wake(pw->links.wake_arg);
	}
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

/* May the request's server number @p idx take a new request now? */
static int
up_usable(const struct px_sess *s, unsigned idx)
{
	const struct px_server *srv = up_server(s, idx);

	return srv != NULL && !srv->unresolved && up_health(s, idx) == 0 &&
	       !px_srv_drained(s->pw, srv);
}

/* The server after the current one that may take the request (the next one when none may). */
static unsigned
up_next(const struct px_sess *s)
{
	unsigned n = px_upconf(s)->n_servers, i;

	for (i = 1; i < n; i++)
		if (up_usable(s, (s->server + i) % n))
			return (s->server + i) % n;
	return (s->server + 1) % n;
}

/* A failure of the request's server number @p idx (passive health): report it. */
static void
up_failed(struct px_sess *s, unsigned idx, unsigned kind, unsigned status)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_server *srv = up_server(s, idx);
	uint32_t slot = up_slot(s, idx);
	struct fo_proxy_ep_stats *ep = px_ep(pw, slot);
	struct fo_proxy_obs o = {.slot = slot,
		.seq = s->snap->hocc[px_view(s)->ups[s->upstream].first + idx],
		.kind = (uint8_t)kind,
		.status = (uint16_t)status};

	if (ep != NULL)
		ep->failures++;
	if (srv != NULL && srv->fails < UINT8_MAX)
		srv->fails++;
	if (slot == FO_PROXY_HSLOT_NONE)
		return;
	o.streak = srv != NULL ? srv->fails : 1;
	px_obs_push(pw, &o);
}

void
px_up_ok_streak(struct px_sess *s)
{
	struct px_server *srv = s->up->srv;
	struct fo_proxy_obs o = {.slot = up_slot(s, s->server),
		.seq = s->snap->hocc[px_view(s)->ups[s->upstream].first + s->server],
		.kind = FO_PROXY_OBS_OK};

	srv->fails = 0;
	if (o.slot != FO_PROXY_HSLOT_NONE)
		px_obs_push(s->pw, &o);
}

/* The request goes to server @p idx on @p u: counters and gauges of its health slot. */
static inline void
up_ep_attach(struct px_sess *s, struct px_up *u, unsigned idx)
{
	struct fo_proxy_ep_stats *ep;

	u->srv->load.inflight++;     /* least_conn; back down in px_up_free() or when pooled */
	s->bal_t0 = s->pw->net->now; /* ewma: this attempt's latency starts */
	u->slot = up_slot(s, idx);
	ep = px_ep(s->pw, u->slot);
	if (ep != NULL) {
		ep->requests++;
		ep->active++;
	}
}

/* The active open to the current server failed: next server, or @p status. */
int
px_up_connect_next(struct px_sess *s, unsigned status, const char *what)
{
	struct fo_proxy_worker *pw = s->pw;
	unsigned n = px_upconf(s)->n_servers;
	char detail[160], srv[32];

	pw->stats.upstream_connect_failed++;
	up_failed(s, s->server, FO_PROXY_OBS_CONNECT, 0);
	/* nothing was sent: always safe, and no budget (it adds no load) */
	if (++s->attempts < RTE_MIN(n, px_upconf(s)->tries)) {
		pw->stats.upstream_retries++;
		return up_connect(s, up_next(s));
	}
	fmt_server(up_conf_server(s, s->server), srv, sizeof(srv));
	snprintf(detail, sizeof(detail), "upstream %s (%s)", what, srv);
	return px_error(s, status, detail);
}

static int
up_connect(struct px_sess *s, unsigned idx)
{
	struct fo_proxy_worker *pw = s->pw;
	struct px_server *srv = up_server(s, idx);
	struct px_up *u;

	s->server = idx;
	if (srv == NULL)
		return px_up_connect_next(
			s, 502, "not tracked: the worker's endpoint table is full");
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
	up_ep_attach(s, u, idx);
	u->c = fo_tcp_connect(pw->tw, srv->src, srv->addr, srv->port, &px_up_ops, u);
	if (u->c == NULL) {
		int e = errno;

		s->up = NULL;
		px_up_free(u);
		return px_up_connect_next(s, 502,
			e == ENETUNREACH     ? "is unreachable"
			: e == EADDRNOTAVAIL ? "connection impossible: no local port left"
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
	/* the retry budget is per second, from this second's requests or the
	 * last one's (more): a burst of failures just after the turn of the
	 * second (a replica killed under load) is not held to 3 retries */
	pw->budget_prev = pw->budget_reqs;
	pw->budget_reqs = pw->budget_retries = 0;
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

/* What up_pick_ok() reads, looked up once per pick; and the fallback it finds. */
struct up_pick_ctx {
	struct fo_proxy_worker *pw;
	struct px_server *const *srv; /* the upstream's, in this worker's view */
	const uint32_t *hslot;        /* their health slots */
	uint64_t gen;                 /* the worker's current snapshot (drains) */
	unsigned fallback; /* the first ejected or unresolved server, UINT_MAX: none yet */
};

/*
 * May the request's server number @p idx take it? The balancer asks;
 * each refusal is counted by its reason.
 */
static struct fo_bal_load *
up_pick_ok(void *arg, unsigned idx)
{
	struct up_pick_ctx *c = arg;
	struct fo_proxy_worker *pw = c->pw;
	struct px_server *srv = c->srv[idx];
	uint8_t h = 0;

	/* as up_health(): one writer, byte-sized, a relaxed load */
	if (pw->links.health != NULL && c->hslot[idx] < pw->links.n_slots)
		h = __atomic_load_n(&pw->links.health[c->hslot[idx]], __ATOMIC_RELAXED);
	if (srv != NULL && !srv->unresolved && h == 0 && srv->drained_gen != c->gen)
		return &srv->load;
	if (srv != NULL && srv->drained_gen == c->gen) {
		pw->stats.upstream_drained_skips++;
	} else if (h & FO_PROXY_HEALTH_DOWN) {
		pw->stats.upstream_down_skips++;
	} else {
		if (c->fallback == UINT_MAX)
			c->fallback = idx;
		if (srv != NULL && srv->unresolved)
			pw->stats.upstream_unresolved++;
		else
			pw->stats.upstream_ejected_skips++;
	}
	return NULL;
}

/**
 * The upstream's balancer over the servers of the request's upstream that
 * may take it. When none may: one that is neither DOWN nor drained (an
 * ejected or unresolved one may have recovered; passive health never
 * ejects a whole upstream by itself), else none.
 *
 * @return the server's index, or UINT_MAX (every server down or drained).
 */
static unsigned
up_pick(struct px_sess *s)
{
	const struct px_view *v = px_view(s);
	unsigned first = v->ups[s->upstream].first;
	struct up_pick_ctx c = {
		s->pw, v->servers + first, s->snap->hslot + first, s->pw->cur->gen, UINT_MAX};
	struct fo_bal_up *bu = &v->bal_ups[s->upstream];
	uint32_t idx;

	/*
	 * Equal-weight round-robin, no sticky cookie: the server its cursor
	 * names is asked here (no refusal to count when it may take the
	 * request); when it may not, the balancer asks it again and counts.
	 */
	if (bu->same_weight != 0 && s->sticky_id == 0 &&
		px_upconf(s)->balance.kind == FO_CONF_BAL_ROUND_ROBIN) {
		unsigned i = fo_bal_rr_first(bu);
		const struct px_server *srv = c.srv[i];
		const struct fo_proxy_links *l = &s->pw->links;

		if (srv != NULL && !srv->unresolved && srv->drained_gen != c.gen &&
			(l->health == NULL || c.hslot[i] >= l->n_slots ||
				__atomic_load_n(&l->health[c.hslot[i]], __ATOMIC_RELAXED) == 0))
			return fo_bal_rr_take(bu, i);
	}
	idx = px_bal_pick(s, up_pick_ok, &c);
	return idx != FO_BAL_NONE ? idx : c.fallback;
}

int
px_up_start(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	unsigned idx = up_pick(s);
	struct px_server *srv;
	struct px_up *u;

	if (idx == UINT_MAX) {
		char detail[128];

		pw->stats.upstream_no_healthy++;
		snprintf(detail, sizeof(detail),
			"no healthy server in upstream %s (every one is down or drained)",
			px_upconf(s)->name);
		return px_error(s, 503, detail);
	}
	srv = up_server(s, idx);
	pw->budget_reqs++;
	s->attempts = 0;
	/* the pool is the endpoint's, shared by the upstreams that list it; one
	 * with keepalive 0 takes none of it (a connection per request); an SNI
	 * passthrough splice never does (it is a new TLS connection) */
	u = srv != NULL && px_upconf(s)->keepalive > 0 && s->phase != PX_PASS ? srv->idle : NULL;
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
	if (px_ep(pw, u->slot) != NULL)
		px_ep(pw, u->slot)->idle--;
	u->deadline = 0;
	u->tkind = 0;
	u->state = PX_UP_BUSY;
	u->s = s;
	u->n_requests++;
	s->up = u;
	s->server = idx;
	s->flags |= PX_S_UP_REUSED;
	up_ep_attach(s, u, idx);
	up_keep_head(s);
	return px_req_pump(s);
}

/* next_upstream bit of a failure kind (fanout's own trouble: as `error`) */
static unsigned
nu_bit(unsigned kind)
{
	switch (kind) {
	case FO_PROXY_OBS_TIMEOUT:
		return FO_CONF_NU_TIMEOUT;
	case FO_PROXY_OBS_BAD:
		return FO_CONF_NU_INVALID_HEADER;
	default:
		return FO_CONF_NU_ERROR;
	}
}

/* next_upstream bit of a response status (0: never a failure) */
static unsigned
nu_status_bit(unsigned status)
{
	switch (status) {
	case 500:
		return FO_CONF_NU_HTTP_500;
	case 502:
		return FO_CONF_NU_HTTP_502;
	case 503:
		return FO_CONF_NU_HTTP_503;
	case 504:
		return FO_CONF_NU_HTTP_504;
	case 429:
		return FO_CONF_NU_HTTP_429;
	default:
		return 0;
	}
}

/*
 * Send the request again: on a fresh connection to the same server (@p
 * race) or to the next one that may take it, when it can be replayed and
 * @p allowed by next_upstream, tries and the budget.
 *
 * @return 1 not retried (the caller answers), 0 retried, PX_GONE.
 */
static int
up_retry(struct px_sess *s, int race, int allowed)
{
	struct fo_proxy_worker *pw = s->pw;
	unsigned next = s->server;
	struct rte_mbuf *head;
	/* each server at most once, as nginx: never the same one again */
	int again =
		allowed && req_idempotent(s) &&
		(uint32_t)s->attempts + 1 < RTE_MIN(px_upconf(s)->tries, px_upconf(s)->n_servers);

	if (s->retry_head == NULL || s->up == NULL || !(race || again))
		return 1;
	/*
	 * The keep-alive race is outside the budget: the server closed the
	 * pooled connection before it read the request, so resending it on a
	 * fresh one adds no load (at most once per request: PX_S_RETRIED).
	 * Counting it let a burst of stale pooled connections (an upstream
	 * restarted between two bursts) answer 502s.
	 */
	if (race) {
		pw->stats.upstream_stale_retries++;
	} else if (pw->budget_retries >= 3 + RTE_MAX(pw->budget_reqs, pw->budget_prev) / 5) {
		pw->stats.retries_budget_exhausted++;
		return 1;
	} else {
		pw->budget_retries++;
	}
	if (!race)
		next = up_next(s);
	head = s->retry_head;
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
	return up_connect(s, next) < 0 ? PX_GONE : 0;
}

int
px_up_fail(struct px_sess *s, unsigned status, const char *what, unsigned kind)
{
	struct fo_proxy_worker *pw = s->pw;
	char detail[160], srv[32];
	int race, rc;

	if (s->flags & PX_S_STARTED) {
		pw->stats.client_aborts++;
		return px_sess_abort(s);
	}
	/* a pooled connection reset before its first response byte: the server
	 * closed it while idle (the keep-alive race), not a failure of it */
	race = kind == FO_PROXY_OBS_RESET && (s->flags & PX_S_UP_REUSED) &&
	       !(s->flags & PX_S_RETRIED) && s->rin == NULL;
	if (s->up != NULL && kind != 0 && !race)
		up_failed(s, s->server, kind, 0);
	rc = up_retry(s, race, (px_upconf(s)->next_upstream & nu_bit(kind)) != 0);
	if (rc <= 0)
		return rc;
	fmt_server(up_conf_server(s, s->server), srv, sizeof(srv));
	snprintf(detail, sizeof(detail), "%s (%s)", what, srv);
	return px_error(s, status, detail);
}

int
px_up_status_listed(struct px_sess *s, unsigned status)
{
	unsigned bit = nu_status_bit(status);
	int rc;

	if (bit == 0 || !(px_upconf(s)->next_upstream & bit))
		return 0;
	up_failed(s, s->server, FO_PROXY_OBS_STATUS, status);
	s->pw->stats.upstream_status_failures++;
	rc = up_retry(s, 0, 1);
	return rc == 1 ? 2 : rc == PX_GONE ? PX_GONE : 1;
}
