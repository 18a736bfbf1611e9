/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request accounting on the control thread (lib/alog): the registry of
 * per-route counters (each worker bumps its own array; the sums are what
 * /metrics and `fanoutctl routes` show), each snapshot's route slots, and
 * the access log: one SPSC ring per worker, drained into the file at every
 * control tick (APP_CONTROL_MS) with one write(2), reopened after SIGUSR1.
 *
 * The access log, its format and its ring size are read at start-up: a
 * reload that changes them is refused (as for `metrics`), because the
 * rings and the workers' staging entries are sized once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "app.h"
#include "fo_alog.h"
#include "fo_metrics.h"

/** Route keys the registry holds, at least (more when the first config has more). */
#define ACCT_KEYS_MIN 1024u

static struct {
	struct fo_alog_reg *reg;
	struct fo_alog_writer *w;
	struct rte_ring *rings[FO_MAX_WORKERS];
	struct fo_alog_push_stats *push; /* [n_workers], a cache line each */
	unsigned n_workers;
} ac;

/* one cache line per worker's push counters */
struct push_line {
	struct fo_alog_push_stats s;
} __rte_cache_aligned;

int
acct_init(struct app *app)
{
	const struct fo_conf *c = app->conf;
	unsigned cap = RTE_MAX(ACCT_KEYS_MIN, 4u * (c->n_routes + c->n_default_backends + 1));
	struct fo_alog_clock clk;
	struct timespec ts;
	struct push_line *pl;
	char name[32];
	unsigned w;

	ac.n_workers = app->n_workers;
	ac.reg = fo_alog_reg_create(cap, app->n_workers);
	if (ac.reg == NULL)
		return -ENOMEM;
	if (c->access_log_path[0] == 0) {
		FO_LOG(INFO, "access log off\n");
		return 0;
	}
	pl = aligned_alloc(RTE_CACHE_LINE_SIZE, app->n_workers * sizeof(*pl));
	if (pl == NULL)
		return -ENOMEM;
	memset(pl, 0, app->n_workers * sizeof(*pl));
	ac.push = &pl->s; /* stride: see acct_push() */
	for (w = 0; w < app->n_workers; w++) {
		snprintf(name, sizeof(name), "alog_%u", w);
		ac.rings[w] = fo_alog_ring_create(name, c->access_log_buffer);
		if (ac.rings[w] == NULL)
			return -ENOMEM;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	clk = (struct fo_alog_clock){app->hz, rte_rdtsc(),
		(uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec, 0};
	ac.w = fo_alog_writer_open(c->access_log_path,
		c->access_log_format == FO_CONF_ALOG_JSON ? FO_ALOG_JSON : FO_ALOG_UPSTREAMINFO,
		1u << 20, &clk);
	if (ac.w == NULL) {
		int rc = -errno;

		FO_LOG(ERR, "access_log %s: %s\n", c->access_log_path, strerror(errno));
		return rc;
	}
	for (w = 0; w < app->n_workers; w++)
		fo_alog_writer_add_ring(ac.w, ac.rings[w]);
	FO_LOG(INFO, "access log %s (%s), %u entries per worker\n", c->access_log_path,
		c->access_log_format == FO_CONF_ALOG_JSON ? "json" : "upstreaminfo",
		(unsigned)rte_ring_get_capacity(ac.rings[0]));
	return 0;
}

static struct fo_alog_push_stats *
acct_push(unsigned w)
{
	return &((struct push_line *)ac.push)[w].s;
}

int
acct_attach(struct app *app, unsigned w, struct fo_proxy_worker *pw)
{
	struct fo_proxy_acct_links l = {
		.alog = ac.rings[w],
		.alog_stats = ac.push != NULL ? acct_push(w) : NULL,
		.rstats = fo_alog_reg_worker(ac.reg, w),
		.n_rstats = fo_alog_reg_cap(ac.reg),
	};

	(void)app;
	return fo_proxy_worker_acct(pw, &l);
}

void
acct_snap_ref(struct app *app, struct fo_proxy_snapshot *snap)
{
	struct fo_alog_routes *rt;
	unsigned missed;

	(void)app;
	if (ac.reg == NULL)
		return;
	rt = fo_alog_routes_create(snap->conf);
	if (rt == NULL) {
		FO_LOG(ERR, "generation %" PRIu64 ": no per-route accounting (out of memory)\n",
			snap->gen);
		return;
	}
	missed = fo_alog_reg_ref(ac.reg, rt);
	if (missed != 0)
		FO_LOG(WARNING,
			"generation %" PRIu64 ": %u route(s) not counted per route "
			"(%u route keys in use)\n",
			snap->gen, missed, fo_alog_reg_cap(ac.reg));
	snap->racct = rt;
}

void
acct_snap_unref(struct app *app, struct fo_proxy_snapshot *snap)
{
	struct fo_alog_routes *rt = (struct fo_alog_routes *)(uintptr_t)snap->racct;

	(void)app;
	if (rt == NULL)
		return;
	fo_alog_reg_unref(ac.reg, rt);
	fo_alog_routes_free(rt);
	snap->racct = NULL;
}

void
acct_reopen_ask(void)
{
	if (ac.w != NULL)
		fo_alog_writer_reopen_ask(ac.w);
}

unsigned
acct_drain(void)
{
	unsigned n = 0, k;

	if (ac.w == NULL)
		return 0;
	/* a bounded number of buffers per tick: the control thread has other work */
	for (k = 0; k < 16; k++) {
		unsigned got = fo_alog_writer_drain(ac.w);

		n += got;
		if (got == 0)
			break;
	}
	return n;
}

void
acct_totals(struct acct_totals *t)
{
	unsigned w;

	memset(t, 0, sizeof(*t));
	t->on = ac.w != NULL;
	for (w = 0; ac.push != NULL && w < ac.n_workers; w++) {
		t->pushed += acct_push(w)->pushed;
		t->dropped += acct_push(w)->dropped;
	}
	if (ac.w != NULL) {
		const struct fo_alog_writer_stats *s = fo_alog_writer_stats(ac.w);

		t->written = s->entries;
		t->writes = s->writes;
		t->bytes = s->bytes;
		t->write_errors = s->write_errors;
		t->reopens = s->reopens;
		t->reopen_errors = s->reopen_errors;
	}
	t->keys_full = ac.reg != NULL ? fo_alog_reg_full(ac.reg) : 0;
}

int
acct_route_next(unsigned *it, struct acct_route *r)
{
	const struct fo_alog_route_name *n;

	if (ac.reg == NULL || !fo_alog_reg_next(ac.reg, it, &n, &r->s))
		return 0;
	snprintf(r->route, sizeof(r->route), "%.*s", n->route_len, n->route);
	/* the upstream that served them: the canary's, for a canary's slot */
	if (n->alt_len != 0)
		snprintf(r->upstream, sizeof(r->upstream), "%.*s", n->alt_len, n->alt);
	else
		snprintf(r->upstream, sizeof(r->upstream), "%.*s", n->upstream_len, n->upstream);
	return 1;
}

void
acct_fini(void)
{
	unsigned w;

	fo_alog_writer_close(ac.w); /* what the workers left in the rings is written */
	ac.w = NULL;
	for (w = 0; w < FO_MAX_WORKERS; w++) {
		fo_alog_ring_free(ac.rings[w]);
		ac.rings[w] = NULL;
	}
	free(ac.push);
	ac.push = NULL;
	fo_alog_reg_free(ac.reg);
	ac.reg = NULL;
}
