/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the proxy fuzz targets share (fuzz_proxy.c, fuzz_pass.c): the
 * in-process wire (tests/unit/wire.h, its sources included here, as the
 * targets build from one file) with a client host and fanout's host, fanout's
 * proxy worker on a config parsed once, a client that sends the input in
 * pieces and drops what it gets, time moved on past the timeouts, and the
 * checks at the end: no session left, no mbuf leaked. Each target adds its
 * own back-ends (pxf_host()) between pxf_open() and pxf_start(). Include from
 * one file only.
 */
#ifndef FUZZ_PROXY_COMMON_H
#define FUZZ_PROXY_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fake_pool.c"
#include "../unit/wire.c"
#include "../unit/wire_http.c"
#include "fo_conf.h"
#include "fo_proxy.h"
#include "fo_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CLIENT WIRE_IP(198, 18, 0, 2)
#define FANOUT WIRE_IP(198, 18, 0, 1)

struct pxf {
	struct wire w;
	struct wire_host *ch, *fh; /* the client, fanout */
	struct fo_proxy_snapshot *snap;
	struct fo_proxy_worker *pw;
	struct fo_tcp_conn *c; /* the client's connection; NULL once closed */
};

/* every host's TCP: few connections, a short TIME_WAIT */
static const struct fo_tcp_config pxf_tcp = {
	.max_conns = 64, .max_half_open = 16, .time_wait_ms = 1000};

/* the target's config, parsed and compiled by the first pxf_open() */
static struct fo_conf *pxf_conf;
static struct fo_route_table *pxf_routes;

static unsigned
pxf_poll(struct wire_host *h, void *arg)
{
	(void)h;
	return fo_proxy_poll(arg) + fo_proxy_poll_tls(arg);
}

/* The client's side: take and drop what fanout sends. */
static void
pxf_cl_readable(struct fo_tcp_conn *c, void *user)
{
	struct rte_mbuf *m;

	(void)user;
	while (fo_tcp_recv(c, &m, UINT32_MAX) > 0)
		rte_pktmbuf_free(m);
}

static void
pxf_cl_closed(struct fo_tcp_conn *c, void *user, enum fo_tcp_close_reason why)
{
	(void)c;
	(void)why;
	*(struct fo_tcp_conn **)user = NULL;
}

static const struct fo_tcp_ops pxf_cl_ops = {
	.readable = pxf_cl_readable,
	.closed = pxf_cl_closed,
};

static void
pxf_settle(struct wire *w, unsigned seconds)
{
	unsigned i;

	for (i = 0; i < seconds * 4; i++) {
		wire_advance(w, 250);
		wire_run(w, 2000);
	}
}

/* A host on the wire at @p addr; aborts when there is no room. */
static struct wire_host *
pxf_host(struct pxf *z, rte_be32_t addr)
{
	struct wire_host *h = wire_host_add(&z->w, addr, &pxf_tcp);

	if (h == NULL)
		abort();
	return h;
}

/* The wire with the client and fanout; @p conf_text parsed on the first call. */
static void
pxf_open(struct pxf *z, const char *conf_text)
{
	if (pxf_conf == NULL) {
		pxf_conf =
			fo_conf_parse("fuzz.conf", conf_text, strlen(conf_text), 0, stderr, NULL);
		pxf_routes = pxf_conf != NULL ? fo_route_compile(pxf_conf, NULL, 0) : NULL;
		if (pxf_routes == NULL)
			abort();
	}
	memset(z, 0, sizeof(*z));
	if (wire_init(&z->w, 1024, 1) != 0)
		abort();
	z->ch = pxf_host(z, CLIENT);
	z->fh = pxf_host(z, FANOUT);
}

/* fanout's proxy worker on a snapshot of the config, polled by fanout's host. */
static void
pxf_start(struct pxf *z)
{
	z->snap = fo_proxy_snapshot_create(pxf_conf, pxf_routes, 1, 1);
	if (z->snap == NULL)
		abort();
	z->pw = fo_proxy_worker_create((const struct fo_proxy_snapshot *const *)&z->snap, z->fh->tw,
		z->fh->net, z->w.mp, 0, 0, 0);
	if (z->pw == NULL)
		abort();
	z->fh->poll = pxf_poll;
	z->fh->poll_arg = z->pw;
}

/*
 * The client connects to fanout's @p port and sends @p d in pieces of @p piece
 * bytes, the wire running between pieces, until its send buffer is full or the
 * connection closed; then @p io_s seconds pass (fanout's timeouts on the
 * exchange); then the client half-closes (@p fin) or resets, and @p end_s
 * seconds pass (linger, idle, TIME_WAIT). Aborts when a session is left.
 * @return the bytes the client sent.
 */
static size_t
pxf_client(struct pxf *z, uint16_t port, const uint8_t *d, size_t n, size_t piece, int fin,
	unsigned io_s, unsigned end_s, const char *name)
{
	size_t off, sent = 0;

	z->c = fo_tcp_connect(z->ch->tw, CLIENT, FANOUT, port, &pxf_cl_ops, &z->c);
	if (z->c == NULL)
		abort();
	wire_run(&z->w, 2000);
	for (off = 0; off < n && z->c != NULL; off += piece) {
		size_t k = n - off < piece ? n - off : piece;

		if (send_bytes(z->ch, z->c, d + off, k) != 0)
			break; /* send buffer full: fanout stopped reading, fine */
		sent += k;
		wire_run(&z->w, 2000);
	}
	pxf_settle(&z->w, io_s);
	if (z->c != NULL) {
		if (fin) {
			fo_tcp_shutdown(z->c);
		} else {
			fo_tcp_abort(z->c);
			z->c = NULL;
		}
	}
	pxf_settle(&z->w, end_s);
	if (fo_proxy_stats(z->pw)->sessions != 0) {
		fprintf(stderr, "%s: %" PRIu64 " session(s) left\n", name,
			fo_proxy_stats(z->pw)->sessions);
		abort();
	}
	return sent;
}

/* fanout's side gone: no proxy callbacks after this. The target frees its
 * back-ends, then calls pxf_free(). */
static void
pxf_stop(struct pxf *z)
{
	if (z->c != NULL)
		fo_tcp_abort(z->c);
	fo_tcp_worker_free(z->fh->tw);
	z->fh->tw = NULL;
	fo_proxy_worker_free(z->pw);
	fo_proxy_snapshot_free(z->snap);
}

/* The wire freed; aborts when an mbuf was not back in the pool. */
static void
pxf_free(struct pxf *z, const char *name)
{
	unsigned leaked = wire_free(&z->w);

	if (leaked != 0) {
		fprintf(stderr, "%s: %u mbuf(s) leaked\n", name, leaked);
		abort();
	}
}

#endif /* FUZZ_PROXY_COMMON_H */
