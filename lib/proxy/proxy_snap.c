/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Snapshots and endpoints. The control thread builds a snapshot (config,
 * routes, one view per worker) and publishes it; each worker adopts the
 * published one at the start of its poll, fills its own view (endpoint
 * pointers into its endpoint table, balancer state), and releases
 * the previous one once no request of its holds it. Endpoints are keyed by
 * address:port so that their pooled connections survive reloads.
 *
 * A view is written by its worker only; the control thread only reads its
 * state (fo_proxy_snapshot_busy()) to know when the snapshot can be freed.
 * No locks, and no allocation on the worker: the control thread allocates
 * views with the snapshot, and the endpoint table is preallocated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "proxy_priv.h"

/* ---- snapshots (control thread) ---- */

struct fo_proxy_snapshot *
fo_proxy_snapshot_create(const struct fo_conf *conf, const struct fo_route_table *routes,
	unsigned n_workers, uint64_t gen)
{
	struct fo_proxy_snapshot *snap;
	struct px_snap_srv *srvs;
	unsigned i, j, k, n_servers = 0;

	if (conf == NULL || routes == NULL || n_workers == 0) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < conf->n_upstreams; i++)
		n_servers += conf->upstreams[i].n_servers;
	snap = calloc(1, sizeof(*snap));
	if (snap == NULL)
		return NULL;
	snap->conf = conf;
	snap->routes = routes;
	snap->gen = gen;
	snap->n_workers = n_workers;
	snap->drained = calloc(n_servers ? n_servers : 1, 1);
	snap->hslot = malloc((n_servers ? n_servers : 1) * sizeof(*snap->hslot));
	snap->hocc = calloc(n_servers ? n_servers : 1, sizeof(*snap->hocc));
	snap->n_servers = n_servers;
	srvs = calloc(n_servers ? n_servers : 1, sizeof(*srvs));
	snap->srvs = srvs;
	snap->views = aligned_alloc(RTE_CACHE_LINE_SIZE, n_workers * sizeof(*snap->views));
	if (snap->views == NULL || snap->drained == NULL || snap->hslot == NULL ||
		snap->hocc == NULL || srvs == NULL)
		goto nomem;
	for (i = 0, n_servers = 0; i < conf->n_upstreams; i++) {
		for (j = 0; j < conf->upstreams[i].n_servers; j++) {
			snap->hslot[n_servers] = FO_PROXY_HSLOT_NONE;
			srvs[n_servers].addr = conf->upstreams[i].servers[j].addr;
			srvs[n_servers].port = conf->upstreams[i].servers[j].port;
			snap->drained[n_servers++] = conf->upstreams[i].servers[j].drain;
		}
	}
	memset(snap->views, 0, n_workers * sizeof(*snap->views));
	if (px_bal_snap_init(snap) != 0 || /* endpoint ids, Maglev tables (proxy_balance.c) */
		px_pass_snap_init(snap) != 0)  /* SNI passthrough names (proxy_passthrough.c) */
		goto nomem;
	for (i = 0; i < n_workers; i++) {
		struct px_view *v = &snap->views[i];

		v->servers = calloc(n_servers ? n_servers : 1, sizeof(*v->servers));
		v->ups = calloc(conf->n_upstreams ? conf->n_upstreams : 1, sizeof(*v->ups));
		v->rscratch = fo_route_scratch_alloc(routes);
		if (v->servers == NULL || v->ups == NULL || v->rscratch == NULL ||
			px_bal_view_init(snap, v, i) != 0)
			goto nomem;
		/* written once by the worker: make sure its pages are mapped now (calloc may
		 * hand out fresh pages it knows are zero without touching them) */
		memset(v->servers, 0, (n_servers ? n_servers : 1) * sizeof(*v->servers));
		/* what the worker's adoption would compute: prepared here, off the fast path */
		for (j = 0, k = 0; j < conf->n_upstreams; j++) {
			unsigned n = conf->upstreams[j].n_servers;

			v->ups[j].first = k;
			v->ups[j].n_servers = n;
			k += n;
		}
	}
	return snap;
nomem:
	fo_proxy_snapshot_free(snap);
	errno = ENOMEM;
	return NULL;
}

unsigned
fo_proxy_snapshot_adopted(const struct fo_proxy_snapshot *snap, uint64_t *last_tsc)
{
	unsigned i, n = 0;
	uint64_t last = 0;

	for (i = 0; i < snap->n_workers; i++) {
		const struct px_view *v = &snap->views[i];

		/* acquire: adopted_tsc was written before the state left NEW */
		if (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == PX_VIEW_NEW)
			continue;
		n++;
		last = RTE_MAX(last, v->adopted_tsc);
	}
	if (last_tsc != NULL)
		*last_tsc = last;
	return n;
}

int
fo_proxy_snapshot_busy(const struct fo_proxy_snapshot *snap)
{
	unsigned i;

	for (i = 0; i < snap->n_workers; i++)
		/* acquire: pairs with the worker's release of PX_VIEW_DONE, after
		 * its last access to the snapshot */
		if (__atomic_load_n(&snap->views[i].state, __ATOMIC_ACQUIRE) == PX_VIEW_LIVE)
			return 1;
	return 0;
}

void
fo_proxy_snapshot_free(struct fo_proxy_snapshot *snap)
{
	unsigned i;

	if (snap == NULL)
		return;
	for (i = 0; snap->views != NULL && i < snap->n_workers; i++) {
		free(snap->views[i].servers);
		free(snap->views[i].ups);
		fo_route_scratch_free(snap->views[i].rscratch);
		px_bal_view_free(&snap->views[i]);
	}
	px_bal_snap_free(snap);
	px_pass_snap_free(snap);
	free(snap->views);
	free(snap->drained);
	free(snap->hslot);
	free(snap->hocc);
	free((void *)(uintptr_t)snap->srvs);
	free(snap);
}

/* ---- the endpoint table (worker) ---- */

static uint32_t
srv_hash(const struct fo_proxy_worker *pw, rte_be32_t addr, uint16_t port)
{
	uint32_t h = (rte_be_to_cpu_32(addr) * 2654435761u) ^ ((uint32_t)port * 40503u);

	return (h ^ (h >> 15)) & (pw->srv_cap - 1);
}

int
px_srv_table_init(struct fo_proxy_worker *pw, uint32_t cap)
{
	uint32_t i;

	pw->srv_cap = 1;
	while (pw->srv_cap < cap)
		pw->srv_cap <<= 1;
	pw->servers = calloc(pw->srv_cap, sizeof(*pw->servers));
	pw->srv_buckets = malloc(pw->srv_cap * sizeof(*pw->srv_buckets));
	if (pw->servers == NULL || pw->srv_buckets == NULL)
		return -ENOMEM;
	for (i = 0; i < pw->srv_cap; i++) {
		pw->srv_buckets[i] = UINT32_MAX;
		pw->servers[i].hnext = i + 1 < pw->srv_cap ? i + 1 : UINT32_MAX; /* free list */
	}
	pw->srv_free = 0;
	return 0;
}

/* the interface whose subnet holds @p dst, else the first http listener's address, else the
 * first interface's (as the relay service does) */
rte_be32_t
px_src_for(const struct fo_proxy_worker *pw, const struct fo_conf *conf, rte_be32_t dst)
{
	rte_be32_t first, a = fo_net_src_for(pw->net, dst, &first);
	unsigned i;

	if (a != 0)
		return a;
	for (i = 0; i < conf->n_listens; i++)
		if (conf->listens[i].service == FO_CONF_SVC_HTTP && conf->listens[i].addr != 0)
			return conf->listens[i].addr;
	return first;
}

/** The endpoint @p addr:@p port, created when absent. @return it, or NULL (table full). */
static struct px_server *
srv_get(struct fo_proxy_worker *pw, const struct fo_conf *conf, rte_be32_t addr, uint16_t port)
{
	uint32_t b = srv_hash(pw, addr, port), i;
	struct px_server *srv;

	for (i = pw->srv_buckets[b]; i != UINT32_MAX; i = pw->servers[i].hnext)
		if (pw->servers[i].addr == addr && pw->servers[i].port == port)
			return &pw->servers[i];
	i = pw->srv_free;
	if (i == UINT32_MAX)
		return NULL;
	srv = &pw->servers[i];
	pw->srv_free = srv->hnext;
	memset(srv, 0, sizeof(*srv));
	srv->addr = addr;
	srv->port = port;
	srv->used = 1;
	srv->src = px_src_for(pw, conf, addr);
	srv->hnext = pw->srv_buckets[b];
	pw->srv_buckets[b] = i;
	pw->srv_used++;
	return srv;
}

/** Close @p srv's idle connections (nothing will be sent on them). */
static void
srv_close_idle(struct fo_proxy_worker *pw, struct px_server *srv)
{
	while (srv->idle != NULL) {
		struct px_up *u = srv->idle;

		pw->stats.upstream_idle_closed++;
		fo_tcp_close(u->c);
		px_up_free(u); /* unlinks it; may free srv when it was the last one */
		if (!srv->used)
			return;
	}
}

void
px_srv_put(struct fo_proxy_worker *pw, struct px_server *srv)
{
	uint32_t idx = (uint32_t)(srv - pw->servers), *pp;

	if (srv->views != 0 || srv->n_up != 0 || !srv->used)
		return;
	for (pp = &pw->srv_buckets[srv_hash(pw, srv->addr, srv->port)]; *pp != idx;
		pp = &pw->servers[*pp].hnext)
		;
	*pp = srv->hnext;
	srv->used = 0;
	srv->hnext = pw->srv_free;
	pw->srv_free = idx;
	pw->srv_used--;
}

/* ---- views (worker) ---- */

/** The worker is done with @p snap: drop its endpoints, tell the control thread. */
static void
view_release(struct fo_proxy_worker *pw, const struct fo_proxy_snapshot *snap)
{
	struct px_view *v = &snap->views[pw->worker_id];
	unsigned i;

	for (i = 0; i < snap->n_servers; i++) {
		struct px_server *srv = v->servers[i];

		if (srv == NULL)
			continue;
		srv->views--;
		if (srv->views == 0)
			srv_close_idle(pw, srv);
		if (srv->used)
			px_srv_put(pw, srv);
	}
	/* release: every access to the snapshot above happens before the control
	 * thread sees DONE and frees it */
	__atomic_store_n(&v->state, PX_VIEW_DONE, __ATOMIC_RELEASE);
}

static void
view_unref(struct fo_proxy_worker *pw, const struct fo_proxy_snapshot *snap)
{
	struct px_view *v = &snap->views[pw->worker_id];

	if (--v->refs == 0)
		view_release(pw, snap);
}

/* After a switch: close the idle connections of endpoints @p snap no longer lists or drains,
 * release @p old unless requests hold it. */
static void
snap_settle(struct fo_proxy_worker *pw, const struct fo_proxy_snapshot *snap,
	const struct fo_proxy_snapshot *old)
{
	const struct px_view *v = &snap->views[pw->worker_id];
	unsigned i;

	if (old != NULL) {
		const struct px_view *ov = &old->views[pw->worker_id];

		/* endpoints the new snapshot does not list get no new request */
		for (i = 0; i < old->n_servers; i++)
			if (ov->servers[i] != NULL && ov->servers[i]->live_gen != snap->gen)
				srv_close_idle(pw, ov->servers[i]);
	}
	/* drained endpoints get no new request either */
	for (i = 0; i < snap->n_servers; i++)
		if (v->servers[i] != NULL && v->servers[i]->drained_gen == snap->gen)
			srv_close_idle(pw, v->servers[i]);
	if (old != NULL)
		view_unref(pw, old);
}

unsigned
px_snap_adopt(struct fo_proxy_worker *pw)
{
	/* acquire: pairs with the control thread's release store of the pointer */
	const struct fo_proxy_snapshot *snap = __atomic_load_n(pw->published, __ATOMIC_ACQUIRE);
	const struct fo_proxy_snapshot *old = pw->cur;
	const struct px_snap_srv *ss;
	struct px_view *v;
	unsigned k, n;
	uint64_t t0, t1;

	if (likely(snap == old))
		return 0;
	/*
	 * The swap: the control thread prepared everything it could (servers
	 * flattened, per-upstream positions); the worker only maps each server
	 * to its own endpoint (pool, next hop), by address:port. The closing
	 * of idle connections the new snapshot makes useless, and the release
	 * of the old one, come after (snap_settle(), timed apart).
	 */
	t0 = rte_rdtsc();
	v = &snap->views[pw->worker_id];
	ss = snap->srvs;
	n = snap->n_servers;
	for (k = 0; k < n; k++) {
		struct px_server *srv = srv_get(pw, snap->conf, ss[k].addr, ss[k].port);

		v->servers[k] = srv;
		if (srv == NULL) {
			pw->stats.servers_full++;
			continue;
		}
		srv->views++;
		srv->live_gen = snap->gen;
		if (snap->drained[k])
			srv->drained_gen = snap->gen;
	}
	v->refs = 1; /* current */
	v->adopted_tsc = t0;
	__atomic_store_n(&v->state, PX_VIEW_LIVE, __ATOMIC_RELEASE);
	pw->cur = snap;
	pw->stats.snapshots_adopted++;
	/* a reload's listeners (rare: only a new config; failures counted and logged) */
	if (unlikely(snap->conf != pw->listen_conf))
		px_listeners_sync(pw, snap->conf);
	t1 = rte_rdtsc();
	pw->stats.snapshot_adopt_cycles += t1 - t0;
	snap_settle(pw, snap, old);
	pw->sweep_tsc = 0; /* resolve the new endpoints' next hops now */
	pw->stats.snapshot_settle_cycles += rte_rdtsc() - t1;
	return 1;
}

void
px_snap_unref(struct fo_proxy_worker *pw, const struct fo_proxy_snapshot *snap)
{
	view_release(pw, snap);
}
