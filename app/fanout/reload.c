/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live reload, on the control thread. The proxy workers serve the
 * snapshot published in app->snap; a reload (SIGHUP, `fanoutctl reload`)
 * parses and validates the config file again, diffs it against the one
 * served (lib/ctl), compiles routes only when they changed, builds a new
 * snapshot and publishes it by pointer swap. Workers adopt it at their next
 * poll; requests in flight finish on the one they started with; the old
 * snapshot, its config and (when no newer snapshot shares them) its routes
 * are freed once no worker holds it (QSBR grace period + the proxy's
 * per-worker views). Http listeners follow the snapshot: each worker opens,
 * closes and re-modes its own when it adopts one with a new config (lib/proxy;
 * new connections only, established ones keep their listener's old mode). A
 * config that does not parse, does not compile, or changes what cannot
 * change live (interfaces, service listeners, tcp) is rejected and the
 * running one stays. TLS certificates (tls.c) are built before
 * anything is published (a bad one rejects the whole reload) and published
 * after the snapshot; a reload whose config is the same but whose
 * certificate files changed publishes new certificates only.
 *
 * Ownership: a generation (struct app_gen, the snapshot's user pointer)
 * owns its config, except the first one, which the app keeps for ports,
 * listeners and services to the end. Compiled routes (struct app_rtab) are
 * shared by the generations that did not change them, counted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "app.h"

/** A parsed config, shared by the generations and route tables that use it. */
struct app_cref {
	struct fo_conf *conf; /* freed with the last reference unless it is the app's first */
	unsigned refs;
};

/** Compiled routes and the config they were compiled from, shared by generations. */
struct app_rtab {
	struct fo_route_table *routes;
	struct app_cref *cref;
	unsigned refs;
};

/** What one published snapshot holds. */
struct app_gen {
	struct app_cref *cref;
	struct app_rtab *rt;
	struct app *app;
};

/** Snapshots waiting for their workers, at most, before the list grows. */
#define RETIRE_CAP 64

static struct app_cref *
cref_new(struct fo_conf *conf)
{
	struct app_cref *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->conf = conf;
	return c;
}

static void
cref_unref(struct app *app, struct app_cref *c)
{
	if (--c->refs != 0)
		return;
	if (c->conf != app->conf)
		fo_conf_free(c->conf);
	free(c);
}

static void
rtab_unref(struct app *app, struct app_rtab *rt)
{
	if (--rt->refs != 0)
		return;
	fo_route_table_free(rt->routes);
	cref_unref(app, rt->cref);
	free(rt);
}

/* fo_ctl retire callbacks */
static void
gen_free(void *obj)
{
	struct fo_proxy_snapshot *snap = obj;
	struct app_gen *g = snap->user;
	struct app *app = g->app;

	health_snap_unref(app, snap);
	acct_snap_unref(app, snap);
	/* the snapshot and the route table point into the config: freed before it */
	fo_proxy_snapshot_free(snap);
	rtab_unref(app, g->rt);
	cref_unref(app, g->cref);
	free(g);
}

static int
gen_busy(const void *obj)
{
	return fo_proxy_snapshot_busy(obj);
}

/** Servers drained by fanoutctl (on top of the config's `drain`): set their flags in @p snap. */
static void
gen_drains(const struct app *app, struct fo_proxy_snapshot *snap)
{
	const struct fo_conf *conf = snap->conf;
	unsigned i, j, d, k = 0;

	for (i = 0; i < conf->n_upstreams; i++)
		for (j = 0; j < conf->upstreams[i].n_servers; j++, k++)
			for (d = 0; d < app->n_drains; d++)
				if (app->drains[d].addr == conf->upstreams[i].servers[j].addr &&
					app->drains[d].port == conf->upstreams[i].servers[j].port)
					snap->drained[k] = 1;
}

/** A snapshot of @p cref's config with @p rt (references taken), generation @p gen. */
static struct fo_proxy_snapshot *
gen_new(struct app *app, struct app_cref *cref, struct app_rtab *rt, uint64_t gen)
{
	struct app_gen *g = calloc(1, sizeof(*g));
	struct fo_proxy_snapshot *snap;

	if (g == NULL)
		return NULL;
	snap = fo_proxy_snapshot_create(cref->conf, rt->routes, app->n_workers, gen);
	if (snap == NULL) {
		free(g);
		return NULL;
	}
	gen_drains(app, snap);
	health_snap_ref(app, snap);
	acct_snap_ref(app, snap);
	g->cref = cref;
	g->rt = rt;
	g->app = app;
	cref->refs++;
	rt->refs++;
	snap->user = g;
	return snap;
}

/** Publish @p snap (made from the served config or a new one) as the next generation. */
static void
gen_publish(struct app *app, struct fo_proxy_snapshot *snap)
{
	int rc;

	/* telemetry and fanoutctl read cur_conf; the old one lives on in its snapshot */
	telemetry_lock();
	app->cur_conf = snap->conf;
	app->routes = ((struct app_gen *)snap->user)->rt->routes;
	app->gen = snap->gen;
	telemetry_unlock();
	rc = fo_ctl_publish(&app->retire, (void **)&app->snap, snap, gen_free, gen_busy);
	app->publish_ms = (double)(rte_rdtsc() - app->reload_t0) * 1e3 / (double)app->hz;
	app->live_pending = 1;
	if (rc != 0)
		FO_LOG(ERR, "reload: retiring the old snapshot: %s\n", strerror(-rc));
}

int
reload_init(struct app *app)
{
	struct app_cref *cref = cref_new(app->conf);
	struct app_rtab *rt = calloc(1, sizeof(*rt));
	int rc;

	if (cref == NULL || rt == NULL) {
		free(cref);
		free(rt);
		return -ENOMEM;
	}
	rt->routes = routes_compile(app->conf);
	if (rt->routes == NULL) {
		free(rt);
		free(cref);
		return -EINVAL;
	}
	rt->cref = cref;
	cref->refs = 1;
	app->gen = 1;
	app->snap = gen_new(app, cref, rt, app->gen);
	if (app->snap == NULL) {
		rt->refs = 1;
		rtab_unref(app, rt);
		return -ENOMEM;
	}
	app->cur_conf = app->conf;
	app->routes = rt->routes;
	rc = fo_ctl_retire_init(&app->retire, app->qsbr, RETIRE_CAP,
		rte_lcore_count() == 1 ? 0 : RTE_QSBR_THRID_INVALID);
	return rc;
}

/** Read the config file again. @return it, or NULL with the errors in @p o. */
static struct fo_conf *
reload_parse(struct app *app, struct fo_ctl_out *o)
{
	char *errs = NULL;
	size_t errs_len = 0;
	FILE *f = open_memstream(&errs, &errs_len);
	struct fo_conf *conf;
	unsigned n_err = 0;

	if (f == NULL)
		return NULL;
	conf = fo_conf_load(app->args.conf_path, f, &n_err);
	fclose(f);
	if (conf == NULL) {
		fo_ctl_printf(o, "%s", errs != NULL ? errs : "");
		fo_ctl_printf(o, "%u error(s): the running configuration stays\n", n_err);
	} else if (errs != NULL && errs[0] != '\0') {
		/* warnings (duplicate_routes first): in the answer and in the log */
		fo_ctl_printf(o, "%s", errs);
		fputs(errs, stderr);
	}
	free(errs);
	return conf;
}

/** Count a reload's outcome; a success's wall-clock time is what metrics show. */
static void
reload_outcome(struct app *app, int ok)
{
	struct timespec ts;

	if (!ok) {
		app->reloads_failed++;
		app->last_reload_failed = 1;
		return;
	}
	app->reloads_ok++;
	app->last_reload_failed = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	app->last_reload_ok_s = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int
reload_run(struct app *app, struct fo_ctl_out *o)
{
	uint64_t t0 = rte_rdtsc();
	struct fo_proxy_snapshot *snap;
	struct app_cref *cref;
	struct app_rtab *rt;
	struct fo_conf *conf;
	struct tls_next tn;
	unsigned diff;
	char what[160];

	app->reloads++;
	if (app->snap == NULL) {
		fo_ctl_printf(o, "nothing to reload: no http listener\n");
		reload_outcome(app, 0);
		return 1;
	}
	conf = reload_parse(app, o);
	if (conf == NULL)
		goto fail;
	diff = fo_ctl_conf_diff(app->cur_conf, conf);
	fo_ctl_diff_str(diff, what, sizeof(what));
	if (diff & FO_CTL_DIFF_RESTART) {
		fo_ctl_printf(o,
			"%s: interfaces, listeners of echo, discard, source or relay, the tcp "
			"block, metrics or access_log changed: these need a restart; the running "
			"configuration stays\n",
			app->args.conf_path);
		fo_conf_free(conf);
		goto fail;
	}
	/* certificates first: a bad one refuses the reload before anything changes */
	if (tls_prepare(app, conf, (diff & FO_CTL_DIFF_TLS) != 0, &tn, o) != 0) {
		fo_conf_free(conf);
		goto fail;
	}
	if (diff == FO_CTL_DIFF_NONE) {
		/* the same config, maybe from other files (an include of a glob that
		 * matches nothing yet): watch those; new certificates in the same files */
		watch_rearm(app, conf);
		fo_conf_free(conf);
		if (tn.gen != NULL)
			tls_commit(app, &tn, o);
		else
			fo_ctl_printf(o, "generation %" PRIu64 ": no change\n", app->gen);
		reload_outcome(app, 1);
		return 0;
	}
	rt = ((struct app_gen *)app->snap->user)->rt;
	cref = cref_new(conf);
	if (cref == NULL) {
		fo_conf_free(conf);
		fo_ctl_printf(o, "out of memory\n");
		goto fail;
	}
	if (diff & FO_CTL_DIFF_ROUTES) {
		rt = calloc(1, sizeof(*rt));
		if (rt == NULL)
			goto nomem;
		rt->routes = routes_compile(conf);
		if (rt->routes == NULL) {
			free(rt);
			free(cref);
			fo_conf_free(conf);
			tls_discard(&tn);
			fo_ctl_printf(o, "%s: routes do not compile (see fanout's log); the running "
				"configuration stays\n", app->args.conf_path);
			goto fail;
		}
		rt->cref = cref;
		cref->refs++;
	}
	snap = gen_new(app, cref, rt, app->gen + 1);
	if (snap == NULL) {
		if (rt->refs == 0) { /* new: frees its routes and takes cref down with it */
			rt->refs = 1;
			rtab_unref(app, rt);
		} else {
			cref->refs++;
			cref_unref(app, cref);
		}
		tls_discard(&tn);
		fo_ctl_printf(o, "out of memory\n");
		goto fail;
	}
	app->reload_t0 = t0; /* what is live is timed from here: a no-op reload changes nothing */
	/* the first TLS listener's state: before the snapshot that opens the listener */
	if (tn.fresh != NULL)
		tls_commit(app, &tn, o);
	gen_publish(app, snap);
	tls_commit(app, &tn, o); /* after the snapshot: its 308s name the new config's hosts */
	endpoints_reset(app);
	watch_rearm(app, app->cur_conf);
	reload_outcome(app, 1);
	FO_LOG(NOTICE, "reload: generation %" PRIu64 " published (%s) in %.1f ms\n", app->gen,
		what, (double)(rte_rdtsc() - t0) * 1e3 / (double)rte_get_tsc_hz());
	fo_ctl_printf(o, "generation %" PRIu64 ": %s (%.1f ms)\n", app->gen, what,
		(double)(rte_rdtsc() - t0) * 1e3 / (double)rte_get_tsc_hz());
	return 0;
nomem:
	free(cref);
	fo_conf_free(conf);
	tls_discard(&tn);
	fo_ctl_printf(o, "out of memory\n");
fail:
	reload_outcome(app, 0);
	FO_LOG(ERR, "reload of %s rejected; generation %" PRIu64 " stays\n", app->args.conf_path,
		app->gen);
	return 1;
}

int
reload_drain(struct app *app, rte_be32_t addr, uint16_t port, int drain, struct fo_ctl_out *o)
{
	const struct fo_conf *conf = app->cur_conf;
	struct app_gen *g;
	struct fo_proxy_snapshot *snap;
	unsigned i, j, d, found = 0;
	uint64_t t0 = rte_rdtsc();

	if (app->snap == NULL) {
		fo_ctl_printf(o, "no http listener: nothing to drain\n");
		return 1;
	}
	for (i = 0; i < conf->n_upstreams; i++)
		for (j = 0; j < conf->upstreams[i].n_servers; j++)
			found += conf->upstreams[i].servers[j].addr == addr &&
				 conf->upstreams[i].servers[j].port == port;
	if (!found) {
		fo_ctl_printf(o, "no server %u.%u.%u.%u:%u in the served config\n",
			rte_be_to_cpu_32(addr) >> 24, (rte_be_to_cpu_32(addr) >> 16) & 0xff,
			(rte_be_to_cpu_32(addr) >> 8) & 0xff, rte_be_to_cpu_32(addr) & 0xff, port);
		return 1;
	}
	for (d = 0; d < app->n_drains; d++)
		if (app->drains[d].addr == addr && app->drains[d].port == port)
			break;
	if (drain && d == app->n_drains) {
		if (app->n_drains == RTE_DIM(app->drains)) {
			fo_ctl_printf(o, "too many drained servers (%u)\n", app->n_drains);
			return 1;
		}
		app->drains[app->n_drains].addr = addr;
		app->drains[app->n_drains++].port = port;
	} else if (!drain && d != app->n_drains) {
		app->drains[d] = app->drains[--app->n_drains];
	}
	/* the same config and routes, the drain flags changed: a new generation */
	g = app->snap->user;
	snap = gen_new(app, g->cref, g->rt, app->gen + 1);
	if (snap == NULL) {
		fo_ctl_printf(o, "out of memory\n");
		return 1;
	}
	app->reload_t0 = t0;
	gen_publish(app, snap);
	FO_LOG(NOTICE, "%s: generation %" PRIu64 " published\n", drain ? "drain" : "undrain",
		app->gen);
	fo_ctl_printf(o, "generation %" PRIu64 ": %u server(s) drained by fanoutctl\n", app->gen,
		app->n_drains);
	return 0;
}

void
reload_tick(struct app *app)
{
	if (app->snap == NULL)
		return;
	fo_ctl_reclaim(&app->retire);
	tls_tick(app); /* old certificates freed, ticket keys rotated, certificate files watched */
	if (app->live_pending) {
		uint64_t last;

		if (fo_proxy_snapshot_adopted(app->snap, &last) == app->n_workers) {
			app->live_pending = 0;
			app->live_ms = (double)(last - app->reload_t0) * 1e3 / (double)app->hz;
			FO_LOG(INFO, "generation %" PRIu64 " live on every worker %.3f ms after its "
				"reload began\n", app->gen, app->live_ms);
		}
	}
	if (__atomic_exchange_n(&app->reload_req, 0, __ATOMIC_ACQ_REL)) {
		struct fo_ctl_out o = {.cap = 4096};

		o.buf = malloc(o.cap);
		if (o.buf == NULL)
			return;
		o.buf[0] = '\0';
		if (reload_run(app, &o) != 0)
			FO_LOG(ERR, "SIGHUP reload:\n%s", o.buf);
		free(o.buf);
	}
}

void
reload_fini(struct app *app)
{
	if (app->snap == NULL)
		return;
	/* workers are stopped: nothing holds a snapshot any more */
	fo_ctl_retire_fini(&app->retire);
	gen_free(app->snap);
	app->snap = NULL;
	app->routes = NULL;
	app->cur_conf = app->conf;
}
