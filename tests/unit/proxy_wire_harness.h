/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the lib/proxy tests on the in-process wire (wire.h): a config
 * parsed and its routes compiled, the wire with a client host and the
 * fanout host, fanout's proxy worker on a snapshot of that config, and the
 * teardown that checks no mbuf leaked. Each test adds its own origins
 * (wire_origin_start) between pxw_init() and pxw_start(), and frees them
 * and its clients from the callback pxw_fini() calls once the wire is
 * quiet.
 */
#ifndef PROXY_WIRE_HARNESS_H
#define PROXY_WIRE_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fo_conf.h"
#include "fo_proxy.h"
#include "fo_route.h"
#include "wire_http.h"

struct pxw {
	struct wire w;
	struct wire_host *ch, *fh; /* the client, fanout */
	struct fo_conf *conf;
	struct fo_route_table *routes;
	struct fo_proxy_snapshot *snap;
	struct fo_proxy_worker *pw;
};

static inline unsigned
pxw_poll(struct wire_host *h, void *arg)
{
	(void)h;
	return fo_proxy_poll(arg) + fo_proxy_poll_tls(arg);
}

/* Parse @p text as @p name, compile its routes, start the wire with the client and fanout. */
static inline void
pxw_init(struct pxw *x, const char *name, const char *text, rte_be32_t client, rte_be32_t fanout)
{
	char err[256];

	x->conf = fo_conf_parse(name, text, strlen(text), 0, stderr, NULL);
	assert_non_null(x->conf);
	x->routes = fo_route_compile(x->conf, err, sizeof(err));
	if (x->routes == NULL)
		fail_msg("compile: %s", err);
	assert_int_equal(wire_init(&x->w, 32768, 0), 0);
	x->ch = wire_host_add(&x->w, client, NULL);
	x->fh = wire_host_add(&x->w, fanout, NULL);
	assert_non_null(x->ch);
	assert_non_null(x->fh);
}

/* fanout's proxy worker, @p max_sessions sessions, on a snapshot of the config. */
static inline void
pxw_start(struct pxw *x, uint32_t max_sessions)
{
	x->snap = fo_proxy_snapshot_create(x->conf, x->routes, 1, 1);
	assert_non_null(x->snap);
	x->pw = fo_proxy_worker_create((const struct fo_proxy_snapshot *const *)&x->snap, x->fh->tw,
		x->fh->net, x->w.mp, 0, max_sessions, 0);
	assert_non_null(x->pw);
	x->fh->poll = pxw_poll;
	x->fh->poll_arg = x->pw;
}

/*
 * Let closes finish (@p settle_ms of simulated time), free what the test
 * added (@p free_clients before fanout's stack goes away, @p free_origins
 * after it), then the wire: no mbuf may be left.
 */
static inline void
pxw_fini(struct pxw *x, uint64_t settle_ms, void (*free_clients)(struct pxw *),
	void (*free_origins)(struct pxw *))
{
	unsigned leaked;

	wire_advance(&x->w, settle_ms);
	wire_run(&x->w, 100000);
	free_clients(x);
	fo_tcp_worker_free(x->fh->tw); /* no callbacks into the proxy after this */
	x->fh->tw = NULL;
	fo_proxy_worker_free(x->pw);
	free_origins(x);
	leaked = wire_free(&x->w);
	fo_proxy_snapshot_free(x->snap);
	fo_route_table_free(x->routes);
	fo_conf_free(x->conf);
	assert_int_equal(leaked, 0);
}

#endif /* PROXY_WIRE_HARNESS_H */
