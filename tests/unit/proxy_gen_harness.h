/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the lib/proxy tests that publish new configs while the proxy
 * serves on the in-process wire (test_proxy_reload.c, test_proxy_listen.c,
 * test_proxy_balance.c): the generations a test makes (a config parsed,
 * its routes compiled, a snapshot of generation n + 1), the pointer
 * fanout's proxy worker reads its snapshot from, stored as the control
 * thread does, the worker on it, and every generation freed once the
 * worker is gone.
 */
#ifndef PROXY_GEN_HARNESS_H
#define PROXY_GEN_HARNESS_H

#include "proxy_wire_harness.h"

#define PXG_MAX 8

struct pxg {
	struct {
		struct fo_conf *conf;
		struct fo_route_table *routes;
		struct fo_proxy_snapshot *snap;
	} g[PXG_MAX];
	unsigned n;
	struct fo_proxy_snapshot *published; /* what the worker adopts at its next poll */
};

/* @p text parsed as @p name, its routes, the snapshot of the next generation (not published). */
static inline struct fo_proxy_snapshot *
pxg_new(struct pxg *s, const char *name, const char *text)
{
	char err[256];

	assert_true(s->n < PXG_MAX);
	s->g[s->n].conf = fo_conf_parse(name, text, strlen(text), 0, stderr, NULL);
	assert_non_null(s->g[s->n].conf);
	s->g[s->n].routes = fo_route_compile(s->g[s->n].conf, err, sizeof(err));
	if (s->g[s->n].routes == NULL)
		fail_msg("compile: %s", err);
	s->g[s->n].snap = fo_proxy_snapshot_create(s->g[s->n].conf, s->g[s->n].routes, 1, s->n + 1);
	assert_non_null(s->g[s->n].snap);
	return s->g[s->n++].snap;
}

/* the control thread's side: a release store, the worker adopts @p snap at its next poll */
static inline void
pxg_publish(struct pxg *s, struct fo_proxy_snapshot *snap)
{
	__atomic_store_n(&s->published, snap, __ATOMIC_RELEASE);
}

/* fanout's proxy worker on @p fh (@p max_sessions sessions), on what @p s publishes. */
static inline struct fo_proxy_worker *
pxg_worker(struct pxg *s, struct wire *w, struct wire_host *fh, uint32_t max_sessions)
{
	struct fo_proxy_worker *pw;

	pw = fo_proxy_worker_create((const struct fo_proxy_snapshot *const *)&s->published, fh->tw,
		fh->net, w->mp, 0, max_sessions, 0);
	assert_non_null(pw);
	fh->poll = pxw_poll;
	fh->poll_arg = pw;
	return pw;
}

/* Every generation, once the worker that may hold them is freed. */
static inline void
pxg_free(struct pxg *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++) {
		fo_proxy_snapshot_free(s->g[i].snap);
		fo_route_table_free(s->g[i].routes);
		fo_conf_free(s->g[i].conf);
	}
	s->n = 0;
}

#endif /* PROXY_GEN_HARNESS_H */
