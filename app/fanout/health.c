/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend health on the control thread: lib/ctl's state machines
 * (fo_ctl_health) fed from the workers' observation rings, their table
 * published to the workers, and the active checks they ask for queued on
 * the workers' probe rings, spread round-robin (each check runs on one
 * worker, never on all of them).
 *
 * Every snapshot maps each of its servers to a health slot, keyed by
 * (upstream name, address, port), so health survives reloads that keep
 * the server; a slot lives while a snapshot lists it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "app.h"

/** Health slots: (upstream, server) pairs listed by the snapshots alive at once. */
#define HEALTH_SLOTS 16384
/** Per worker: checks queued and not yet taken, observations not yet read. */
#define HEALTH_PROBE_RING 256
#define HEALTH_OBS_RING 8192
/** Observations read per worker per poll, at most (the rest waits a millisecond). */
#define HEALTH_OBS_BURST 1024
/** Checks handed out per poll, at most. */
#define HEALTH_DUE_BURST 32

static struct rte_ring *probe_rings[FO_MAX_WORKERS], *obs_rings[FO_MAX_WORKERS];
/* workers wake a sleeping control thread through it (see fo_proxy_links.wake) */
static int wake_fd = -1;
static uint32_t wake_pending[FO_MAX_WORKERS];
static struct fo_proxy_ep_stats *ep_stats[FO_MAX_WORKERS];
static unsigned next_worker;

static void
health_log(void *arg, const char *line)
{
	(void)arg;
	FO_LOG(NOTICE, "health: %s\n", line);
}

uint64_t
health_now_ms(const struct app *app)
{
	return rte_rdtsc() / (app->hz / 1000);
}

/* fo_proxy_links.wake: called by a worker (rarely: see lib/proxy) */
static void
health_wake(void *arg)
{
	uint64_t one = 1;

	(void)arg;
	if (write(wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, the control thread is woken anyway */
	}
}

int
health_init(struct app *app)
{
	app->health = fo_ctl_health_create(HEALTH_SLOTS, health_log, app);
	if (app->health == NULL)
		return -ENOMEM;
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return wake_fd < 0 ? -errno : 0;
}

int
health_fd(void)
{
	return wake_fd;
}

uint64_t
health_due(const struct app *app)
{
	uint64_t now = health_now_ms(app), next;

	if (app->health == NULL)
		return UINT64_MAX;
	next = fo_ctl_health_next(app->health, now);
	return next == UINT64_MAX ? UINT64_MAX : next * (app->hz / 1000);
}

int
health_attach(struct app *app, unsigned w, struct fo_proxy_worker *pw)
{
	int socket = (int)rte_lcore_to_socket_id(app->workers[w]->lcore_id);
	struct fo_proxy_links l = {0};
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "fo_probe%u", w);
	probe_rings[w] = rte_ring_create_elem(name, FO_PROXY_PROBE_RING_ESIZE, HEALTH_PROBE_RING,
		socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "fo_obs%u", w);
	obs_rings[w] = rte_ring_create_elem(name, FO_PROXY_OBS_RING_ESIZE, HEALTH_OBS_RING, socket,
		RING_F_SP_ENQ | RING_F_SC_DEQ);
	ep_stats[w] = rte_zmalloc_socket("fo_ep_stats",
		(size_t)fo_ctl_health_cap(app->health) * sizeof(struct fo_proxy_ep_stats),
		RTE_CACHE_LINE_SIZE, socket);
	if (probe_rings[w] == NULL || obs_rings[w] == NULL || ep_stats[w] == NULL)
		return -ENOMEM;
	l.health = fo_ctl_health_table(app->health);
	l.n_slots = fo_ctl_health_cap(app->health);
	l.ep_stats = ep_stats[w];
	l.probes = probe_rings[w];
	l.obs = obs_rings[w];
	l.wake = health_wake;
	l.wake_arg = NULL;
	l.wake_pending = &wake_pending[w];
	fo_proxy_worker_attach(pw, &l);
	return 0;
}

/** Health parameters of @p up, as lib/ctl takes them. */
static void
health_params(const struct fo_conf_upstream *up, struct fo_ctl_health_params *p)
{
	const struct fo_conf_health_check *hc = &up->health_check;

	memset(p, 0, sizeof(*p));
	p->check_enabled = hc->enabled;
	if (hc->path != NULL)
		snprintf(p->path, sizeof(p->path), "%s", hc->path);
	if (hc->host != NULL)
		snprintf(p->host, sizeof(p->host), "%s", hc->host);
	p->interval_ms = hc->interval_ms;
	p->timeout_ms = hc->timeout_ms;
	p->expect_lo = hc->expect_lo;
	p->expect_hi = hc->expect_hi;
	p->rise = hc->rise;
	p->fall = hc->fall;
	p->max_fails = up->max_fails;
	p->fail_timeout_ms = up->fail_timeout_ms;
	p->max_ejection_percent = up->max_ejection_percent;
}

void
health_snap_ref(struct app *app, struct fo_proxy_snapshot *snap)
{
	const struct fo_conf *conf = snap->conf;
	uint64_t now = health_now_ms(app);
	unsigned i, j, k = 0;

	if (app->health == NULL)
		return;
	for (i = 0; i < conf->n_upstreams; i++) {
		const struct fo_conf_upstream *up = &conf->upstreams[i];
		struct fo_ctl_health_params p;

		health_params(up, &p);
		for (j = 0; j < up->n_servers; j++, k++) {
			snap->hslot[k] = fo_ctl_health_ref(app->health, up->name,
				up->servers[j].addr, up->servers[j].port, &p, now);
			snap->hocc[k] = fo_ctl_health_occupant(app->health, snap->hslot[k]);
		}
	}
}

void
health_snap_unref(struct app *app, struct fo_proxy_snapshot *snap)
{
	const struct fo_conf *conf = snap->conf;
	unsigned i, k = 0;

	if (app->health == NULL)
		return;
	for (i = 0; i < conf->n_upstreams; i++)
		k += conf->upstreams[i].n_servers;
	for (i = 0; i < k; i++)
		fo_ctl_health_unref(app->health, snap->hslot[i]);
}

unsigned
health_poll(struct app *app)
{
	struct fo_proxy_obs obs[64];
	struct fo_proxy_probe due[HEALTH_DUE_BURST];
	uint64_t now;
	unsigned w, n, i, total = 0, got;

	if (app->health == NULL || obs_rings[0] == NULL)
		return 0;
	if (wake_fd >= 0) {
		uint64_t v;

		if (read(wake_fd, &v, sizeof(v)) < 0) {
			/* EAGAIN: nobody woke us */
		}
	}
	now = health_now_ms(app);
	for (w = 0; w < app->n_workers; w++) {
		/* cleared before the ring is read: what comes after wakes us again */
		__atomic_store_n(&wake_pending[w], 0, __ATOMIC_RELEASE);
		for (got = 0; got < HEALTH_OBS_BURST; got += n) {
			n = rte_ring_sc_dequeue_burst_elem(obs_rings[w], obs, sizeof(obs[0]),
				RTE_DIM(obs), NULL);
			if (n == 0)
				break;
			for (i = 0; i < n; i++)
				fo_ctl_health_observe(app->health, &obs[i], now);
		}
		total += got;
	}
	fo_ctl_health_tick(app->health, now);
	n = fo_ctl_health_due(app->health, now, due, HEALTH_DUE_BURST);
	for (i = 0; i < n; i++) {
		unsigned tries;

		/* round-robin over the workers; a full ring passes to the next */
		for (tries = 0; tries < app->n_workers; tries++) {
			w = next_worker++ % app->n_workers;
			if (rte_ring_sp_enqueue_elem(probe_rings[w], &due[i], sizeof(due[i])) == 0)
				break;
		}
		if (tries == app->n_workers)
			fo_ctl_health_unsend(app->health, &due[i]);
	}
	return total + n;
}

void
health_ep_sum(const struct app *app, uint32_t slot, struct fo_proxy_ep_stats *out)
{
	unsigned w;

	memset(out, 0, sizeof(*out));
	if (app->health == NULL || slot >= fo_ctl_health_cap(app->health))
		return;
	for (w = 0; w < app->n_workers; w++) {
		const struct fo_proxy_ep_stats *e;

		if (ep_stats[w] == NULL)
			continue;
		e = &ep_stats[w][slot];
		out->requests += e->requests;
		out->failures += e->failures;
		out->active += e->active;
		out->idle += e->idle;
	}
}

void
health_free(struct app *app)
{
	unsigned w;

	for (w = 0; w < FO_MAX_WORKERS; w++) {
		rte_ring_free(probe_rings[w]);
		rte_ring_free(obs_rings[w]);
		rte_free(ep_stats[w]);
		probe_rings[w] = obs_rings[w] = NULL;
		ep_stats[w] = NULL;
	}
	fo_ctl_health_free(app->health);
	app->health = NULL;
	if (wake_fd >= 0)
		close(wake_fd);
	wake_fd = -1;
}
