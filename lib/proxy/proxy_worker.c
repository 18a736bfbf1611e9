/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's proxy: creation (every table and buffer it will use), the
 * http listeners, the session and upstream-connection pools, the timer
 * wheel, counters.
 *
 * Sessions are handed out from a free list first, then from the part of
 * the array never used yet: the array is calloc'ed (pages mapped on first
 * touch), so a worker that never sees max_sessions clients never commits
 * their memory. Upstream connection states: one per session (a session
 * holds at most one) plus the idle pool capacity, so an allocation never
 * fails while pooling respects its cap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_random.h>

#include "proxy_priv.h"

const char *const fo_proxy_stats_names[FO_PROXY_STATS_N_PLAIN] = {FO_PROXY_COUNTERS(FO_XSTR_NAME)};

_Static_assert(
	offsetof(struct fo_proxy_stats, parse_err) == FO_PROXY_STATS_N_PLAIN * sizeof(uint64_t),
	"fo_proxy_stats: plain counters must be the leading uint64_t fields");

int
px_deadline_due(struct fo_proxy_worker *pw, struct fo_timer *t, uint64_t *deadline)
{
	if (*deadline == 0)
		return 0; /* cleared since armed */
	if (*deadline > pw->net->now) {
		fo_timer_arm(&pw->wheel, t, *deadline); /* pushed back since armed */
		return 0;
	}
	*deadline = 0;
	return 1;
}

/* ---- upstream connection states ---- */

struct px_up *
px_up_alloc(struct fo_proxy_worker *pw)
{
	struct px_up *u = pw->up_free;

	if (u != NULL) {
		pw->up_free = u->next;
	} else if (pw->up_used < pw->n_ups) {
		u = &pw->ups[pw->up_used++];
	} else {
		return NULL;
	}
	memset(u, 0, sizeof(*u));
	u->pw = pw;
	u->slot = FO_PROXY_HSLOT_NONE;
	fo_timer_init(&u->timer, px_up_timer);
	return u;
}

void
px_up_free(struct px_up *u)
{
	struct fo_proxy_worker *pw = u->pw;

	struct px_server *srv = u->srv;

	fo_timer_cancel(&pw->wheel, &u->timer);
	if (u->state == PX_UP_IDLE) {
		if (u->prev != NULL)
			u->prev->next = u->next;
		else
			srv->idle = u->next;
		if (u->next != NULL)
			u->next->prev = u->prev;
		srv->n_idle--;
		pw->n_idle--;
		pw->stats.upstream_idle--;
		if (px_ep(pw, u->slot) != NULL)
			px_ep(pw, u->slot)->idle--;
	} else if (u->state == PX_UP_BUSY || u->state == PX_UP_CONNECTING) {
		pw->stats.upstream_busy--;
		if (px_ep(pw, u->slot) != NULL)
			px_ep(pw, u->slot)->active--;
		srv->load.inflight--; /* least_conn */
	}
	u->state = PX_UP_FREE;
	u->c = NULL;
	u->s = NULL;
	u->srv = NULL;
	u->prev = NULL;
	u->next = pw->up_free;
	pw->up_free = u;
	if (srv != NULL) {
		srv->n_up--;
		px_srv_put(pw, srv); /* an endpoint no snapshot lists goes with its last connection */
	}
}

/* ---- sessions ---- */

static struct px_sess *
sess_alloc(struct fo_proxy_worker *pw)
{
	struct px_sess *s = pw->sess_free;

	if (s != NULL) {
		pw->sess_free = s->next;
	} else if (pw->sess_used < pw->n_sess) {
		s = &pw->sess[pw->sess_used++];
	} else {
		return NULL;
	}
	/* everything before the parsers; parsers and messages are (re)initialised per use */
	memset(s, 0, offsetof(struct px_sess, req_p));
	s->pw = pw;
	fo_timer_init(&s->timer, px_sess_timer);
	pw->stats.sessions++;
	return s;
}

void
px_sess_free(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;

	fo_timer_cancel(&pw->wheel, &s->timer);
	if (s->ready) {
		struct px_sess **pp;

		for (pp = &pw->ready; *pp != NULL; pp = &(*pp)->ready_next) {
			if (*pp == s) {
				*pp = s->ready_next;
				break;
			}
		}
		s->ready = 0;
	}
	if (s->flags & PX_S_ACCT) { /* reset, timed out, or a tunnel that closed */
		px_acct_ep(s, 0);
		px_acct_end(s, s->phase != PX_TUNNEL);
	}
	if (s->up != NULL) {
		struct px_up *u = s->up;

		s->up = NULL;
		if (u->c != NULL)
			fo_tcp_abort(u->c);
		px_up_free(u);
	}
	if (s->tls != NULL)
		px_tls_release(s);
	rte_pktmbuf_free(s->in);
	rte_pktmbuf_free(s->to_up);
	rte_pktmbuf_free(s->rin);
	rte_pktmbuf_free(s->to_cl);
	px_retry_drop(s);
	s->in = s->to_up = s->rin = s->to_cl = NULL;
	px_snap_drop(s);
	s->c = NULL;
	s->next = pw->sess_free;
	pw->sess_free = s;
	pw->stats.sessions--;
}

int
px_sess_abort(struct px_sess *s)
{
	if (s->c != NULL)
		fo_tcp_abort(s->c);
	px_sess_free(s);
	return PX_GONE;
}

void
px_sess_defer(struct px_sess *s)
{
	if (s->ready)
		return;
	s->ready = 1;
	s->ready_next = s->pw->ready;
	s->pw->ready = s;
}

static int
px_accept(struct fo_tcp_conn *c, void *listen_arg)
{
	struct px_listener *l = listen_arg;
	struct fo_proxy_worker *pw = l->pw;
	/* acquire: a view published after start (the first TLS listener added live) */
	const struct fo_proxy_tls *tc = __atomic_load_n(&pw->tls, __ATOMIC_ACQUIRE);
	struct fo_tcp_info info;
	struct px_sess *s;

	if (unlikely(!l->open)) {
		/* the handshake began before a reload removed the listener: a closed port */
		pw->stats.refused_closed++;
		return -ECONNREFUSED;
	}
	if (l->tls && tc != NULL && !px_tls_hs_room(pw))
		return -EBUSY; /* tls_handshakes_max half-open already (counted) */
	s = sess_alloc(pw);
	if (s == NULL) {
		pw->stats.refused_nostate++;
		return -ENOMEM;
	}
	s->c = c;
	s->l = l;
	s->pass = l->pass; /* the listener's mode may change on reload: the session keeps its own */
	if (l->tls && (tc == NULL || px_tls_accept(s) != 0)) {
		pw->stats.tls_refused_noconf++;
		s->c = NULL;
		px_sess_free(s);
		return -ENOMEM;
	}
	pw->stats.accepted++;
	fo_tcp_info(c, &info);
	s->client_addr = info.remote_addr;
	s->client_port = info.remote_port;
	fo_tcp_set_user(c, s);
	if (unlikely(s->pass && s->tls == NULL)) {
		px_pass_accept(s);
		return 0;
	}
	px_sess_start_idle(s);
	if (s->tls != NULL)
		px_tls_hs_begin(s); /* its own, shorter, deadline */
	return 0;
}

static void
px_cl_readable(struct fo_tcp_conn *c, void *user)
{
	struct px_sess *s = user;

	(void)c;
	/* `tls passthrough`: the ClientHello decides before the handshake reads it */
	if (unlikely(s->pass) && s->tls != NULL && !s->tls->done &&
		!(s->flags & PX_S_PASS_SEEN) && px_pass_peek(s) != 0)
		return;
	px_cl_pump(s);
}

/* Send space on the client: resume what writes into it. */
static void
px_cl_writable(struct fo_tcp_conn *c, void *user)
{
	struct px_sess *s = user;

	(void)c;
	if (s->tls != NULL && px_tls_writable(s) != 0) {
		s->pw->stats.client_resets++;
		px_sess_abort(s);
		return;
	}
	if (s->phase == PX_TUNNEL)
		px_tunnel_pump(s);
	else if (s->phase == PX_EXCHANGE)
		px_resp_pump(s);
}

static void
px_cl_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	struct px_sess *s = user;

	(void)c;
	s->c = NULL;
	if (why != FO_TCP_CLOSE_NORMAL)
		s->pw->stats.client_resets++;
	if (s->phase == PX_TUNNEL) {
		px_tunnel_closed(s, 0, why);
		return;
	}
	px_sess_free(s); /* an upstream exchange in progress is aborted */
}

const struct fo_tcp_ops px_client_ops = {
	.accept = px_accept,
	.readable = px_cl_readable,
	.writable = px_cl_writable,
	.closed = px_cl_closed,
};

/* ---- listeners ---- */

static const struct fo_conf_listen *
conf_listen(const struct fo_conf *conf, rte_be32_t addr, uint16_t port)
{
	unsigned i;

	for (i = 0; i < conf->n_listens; i++)
		if (conf->listens[i].service == FO_CONF_SVC_HTTP &&
			conf->listens[i].addr == addr && conf->listens[i].port == port)
			return &conf->listens[i];
	return NULL;
}

static struct px_listener *
listener_slot(struct fo_proxy_worker *pw, rte_be32_t addr, uint16_t port)
{
	struct px_listener *l;
	unsigned i;

	for (i = 0; i < pw->n_listeners; i++)
		if (pw->listeners[i].addr == addr && pw->listeners[i].port == port)
			return &pw->listeners[i];
	if (pw->n_listeners == FO_TCP_MAX_LISTENERS)
		return NULL;
	l = &pw->listeners[pw->n_listeners++];
	l->pw = pw;
	l->addr = addr;
	l->port = port;
	return l;
}

/*
 * At creation and when a snapshot with another config is adopted (this
 * worker's thread: lib/tcp's table is its own). Closed first, so that a
 * listener moving from an address to 0.0.0.0 on the same port opens.
 */
int
px_listeners_sync(struct fo_proxy_worker *pw, const struct fo_conf *conf)
{
	int live = pw->listen_conf != NULL, first = 0, rc;
	unsigned i;

	for (i = 0; i < pw->n_listeners; i++) {
		struct px_listener *l = &pw->listeners[i];

		if (!l->open || conf_listen(conf, l->addr, l->port) != NULL)
			continue;
		fo_tcp_unlisten(pw->tw, l->addr, l->port);
		l->open = 0;
		pw->stats.listen_changes++;
	}
	for (i = 0; i < conf->n_listens; i++) {
		const struct fo_conf_listen *cl = &conf->listens[i];
		struct px_listener *l;

		if (cl->service != FO_CONF_SVC_HTTP)
			continue;
		l = listener_slot(pw, cl->addr, cl->port);
		rc = l == NULL ? -ENOSPC : 0;
		if (l != NULL && !l->open) {
			rc = fo_tcp_listen(pw->tw, cl->addr, cl->port, &px_client_ops, l);
			l->open = rc == 0;
			pw->stats.listen_changes += live && rc == 0;
		} else if (l != NULL && (l->tls != cl->tls || l->pass != cl->passthrough)) {
			pw->stats.listen_changes++;
		}
		if (rc != 0) {
			if (pw->worker_id == 0 || !live)
				FO_LOG(ERR, "%s:%u:%u: listen: %s\n", cl->loc.file, cl->loc.line,
					cl->loc.col, strerror(-rc));
			pw->stats.listen_failed += live;
			first = first != 0 ? first : rc;
			continue;
		}
		l->tls = cl->tls;
		l->pass = cl->passthrough;
	}
	pw->listen_conf = conf;
	return first;
}

/* ---- creation ---- */

static void *
zalloc(size_t n, size_t size)
{
	return calloc(n != 0 ? n : 1, size);
}

struct fo_proxy_worker *
fo_proxy_worker_create(const struct fo_proxy_snapshot *const *published, struct fo_tcp_worker *tw,
	struct fo_net_worker *net, struct rte_mempool *pool, unsigned worker_id,
	unsigned max_sessions, int socket)
{
	const struct fo_proxy_snapshot *snap = published != NULL ? *published : NULL;
	const struct fo_conf *conf;
	struct fo_proxy_worker *pw;
	uint64_t idle = 0, n_servers = 0;
	unsigned i;
	int rc;

	(void)socket; /* start-up only; pages land where the worker first touches them */
	if (snap == NULL || snap->conf == NULL || snap->routes == NULL || tw == NULL ||
		net == NULL || pool == NULL || worker_id >= snap->n_workers) {
		errno = EINVAL;
		return NULL;
	}
	conf = snap->conf;
	pw = zalloc(1, sizeof(*pw));
	if (pw == NULL)
		goto nomem;
	pw->tw = tw;
	pw->net = net;
	pw->pool = pool;
	pw->published = published;
	pw->worker_id = worker_id;
	pw->tsc_ms = net->hz / 1000;
	pw->per_ms = rte_reciprocal_value_u64(RTE_MAX(pw->tsc_ms, 1ull));
	if (max_sessions == 0)
		max_sessions = FO_PROXY_SESSIONS_CAP;
	pw->n_sess = max_sessions;
	pw->sess = zalloc(max_sessions, sizeof(*pw->sess));
	for (i = 0; i < conf->n_upstreams; i++) {
		n_servers += conf->upstreams[i].n_servers;
		idle += (uint64_t)conf->upstreams[i].n_servers * conf->upstreams[i].keepalive;
	}
	/* idle connections beyond the sessions' count would only hold TCBs */
	pw->idle_cap = (uint32_t)RTE_MIN(idle, (uint64_t)max_sessions);
	pw->n_ups = max_sessions + pw->idle_cap;
	pw->ups = zalloc(pw->n_ups, sizeof(*pw->ups));
	pw->listeners = zalloc(FO_TCP_MAX_LISTENERS, sizeof(*pw->listeners));
	pw->lin = malloc(FO_HTTP_HEAD_MAX);
	pw->hello = malloc(2 * FO_TLS_HELLO_MAX);
	pw->out = malloc(PX_OUT_MAX);
	pw->rewrite = malloc(FO_ROUTE_REWRITE_MAX);
	pw->npath = malloc(FO_HTTP_LINE_MAX);
	if (pw->sess == NULL || pw->ups == NULL || pw->listeners == NULL || pw->lin == NULL ||
		pw->hello == NULL || pw->out == NULL || pw->rewrite == NULL || pw->npath == NULL ||
		/* endpoints: room for reloads that add some, and for old and new at once */
		px_srv_table_init(pw, (uint32_t)RTE_MAX(4 * n_servers, (uint64_t)PX_ENDPOINTS_MIN)) !=
			0 ||
		px_probe_init(pw) != 0)
		goto nomem;
	if (fo_timer_wheel_init(&pw->wheel, net->now, pw->tsc_ms * PX_TICK_MS) != 0) {
		errno = EINVAL;
		goto fail;
	}
	rc = px_tls_init(pw);
	if (rc != 0)
		goto nomem;
	pw->hs_budget = conf->http.tls_handshakes_per_poll;
	/* the listeners of the first snapshot's config, then the snapshot itself
	 * (which then sees them up to date), before any client can connect */
	rc = px_listeners_sync(pw, conf);
	if (rc != 0) {
		errno = -rc;
		goto fail;
	}
	px_snap_adopt(pw);
	pw->rid_seed[0] = rte_rand();
	pw->rid_seed[1] = rte_rand() ^ ((uint64_t)worker_id << 56);
	pw->canary_rng = rte_rand() | 1;
	return pw;
nomem:
	FO_LOG(ERR, "proxy worker %u: out of memory (%u sessions)\n", worker_id, max_sessions);
	errno = ENOMEM;
fail:
	fo_proxy_worker_free(pw);
	return NULL;
}

void
fo_proxy_worker_attach(struct fo_proxy_worker *pw, const struct fo_proxy_links *links)
{
	pw->links = *links;
}

void
fo_proxy_worker_free(struct fo_proxy_worker *p)
{
	struct fo_proxy_worker *pw = p;
	unsigned i;

	if (pw == NULL)
		return;
	/* TCP is gone: drop the mbufs sessions hold, no connection calls */
	for (i = 0; pw->sess != NULL && i < pw->sess_used; i++) {
		struct px_sess *s = &pw->sess[i];

		rte_pktmbuf_free(s->in);
		rte_pktmbuf_free(s->to_up);
		rte_pktmbuf_free(s->rin);
		rte_pktmbuf_free(s->to_cl);
		px_retry_drop(s);
		if (s->tls != NULL)
			px_tls_release(s);
	}
	rte_pktmbuf_free(pw->spare);
	free(pw->sess);
	free(pw->tls_sess);
	free(pw->tls_stage);
	free(pw->ups);
	free(pw->servers);
	free(pw->srv_buckets);
	free(pw->listeners);
	free(pw->lin);
	free(pw->hello);
	free(pw->out);
	free(pw->rewrite);
	free(pw->npath);
	free(pw->acct.stage);
	px_probe_fini(pw);
	free(pw);
}

unsigned
fo_proxy_poll(struct fo_proxy_worker *p)
{
	struct fo_proxy_worker *pw = p;
	struct px_sess *list, *s;
	unsigned n;

	n = px_snap_adopt(pw);
	n += fo_timer_run(&pw->wheel, pw->net->now);
	n += px_probe_poll(pw);
	if (unlikely(pw->net->now >= pw->sweep_tsc))
		n += px_up_sweep(pw);
	if (likely(pw->ready == NULL))
		return n;
	/* detached first: sessions deferred again while pumping wait for the next poll */
	list = pw->ready;
	pw->ready = NULL;
	while (list != NULL) {
		s = list;
		list = s->ready_next;
		s->ready = 0;
		s->ready_next = NULL;
		px_cl_pump(s);
		n++;
	}
	return n;
}

unsigned
fo_proxy_poll_tls(struct fo_proxy_worker *p)
{
	return px_tls_hs_run(p); /* at most tls_handshakes_per_poll steps */
}

const struct fo_proxy_stats *
fo_proxy_stats(const struct fo_proxy_worker *p)
{
	return &p->stats;
}

void
fo_proxy_stats_add(struct fo_proxy_stats *dst, const struct fo_proxy_stats *src)
{
	const uint64_t *s = (const uint64_t *)src;
	uint64_t *d = (uint64_t *)dst;
	size_t i;

	/* only uint64_t fields: counters, parse errors, gauges */
	for (i = 0; i < sizeof(*src) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

_Static_assert(sizeof(struct fo_proxy_stats) % sizeof(uint64_t) == 0,
	"fo_proxy_stats: only uint64_t fields");
