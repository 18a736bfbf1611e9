/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Workers: one per EAL worker lcore (or one on the main lcore with `-l 0`),
 * each polling its own queue on every port, DPDK l3fwd style:
 *   rx burst -> fo_net_input -> fo_tcp_input, neighbour updates and TCP
 *   segments from peers, timers, service retries, proxy timers and deferred
 *   requests, fo_tcp_flush, tx flush,
 *   bulk free of drops, QSBR quiescent report.
 * Nothing here allocates after workers_init().
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "app.h"

/** Neighbour updates in flight from one worker to another. */
#define NEIGH_RING_SIZE 256

/**
 * For a port without multi-segment tx: replace every chain of @p pkts by a
 * one-mbuf copy (the chain is freed, releasing TCP's indirect references).
 * A chain that cannot be copied is dropped and counted by reason.
 *
 * @return how many packets are left in @p pkts (in order).
 */
static uint16_t
tx_linearize(const struct app *app, struct app_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *drops[FO_BURST * 4];
	uint16_t i, kept = 0, n_drop = 0;
	int rc;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (m->nb_segs > 1) {
			rc = fo_mbuf_linearize(&m, app->pool);
			if (unlikely(rc != 0)) {
				if (rc == -ENOBUFS)
					w->tx_linear_nombuf++;
				else
					w->tx_linear_too_long++;
				drops[n_drop++] = m;
				continue;
			}
			w->tx_linearized++;
		}
		pkts[kept++] = m;
	}
	if (n_drop != 0)
		rte_pktmbuf_free_bulk(drops, n_drop);
	return kept;
}

/**
 * Send what lib/net queued on every port. A queue the NIC keeps full is
 * retried a few times, then its leftovers are freed and counted: a worker
 * must never wait for the wire. On a port that cannot send chains, chains
 * are first copied into single mbufs.
 *
 * @return packets handed to the NIC or dropped (0: nothing was queued).
 */
static unsigned
tx_flush(const struct app *app, struct app_worker *w)
{
	unsigned total = 0, i;

	for (i = 0; i < app->n_active; i++) {
		uint16_t port = app->active[i];
		struct fo_net_txq *txq = &w->net.txq[port];
		uint16_t n = txq->n, sent = 0;
		unsigned tries = 0;

		/* a paused port (intr_gate.c) keeps its frames for later */
		if (n == 0 || unlikely(__atomic_load_n(&app->ports[port].paused, __ATOMIC_ACQUIRE)))
			continue;
		total += n;
		/* one flag test per port and burst; the copy only where needed */
		if (unlikely(app->ports[port].tx_linear)) {
			n = tx_linearize(app, w, txq->pkts, n);
			if (n == 0) {
				txq->n = 0;
				continue;
			}
		}
		do {
			sent += rte_eth_tx_burst(port, (uint16_t)w->id, txq->pkts + sent, n - sent);
		} while (sent < n && ++tries < APP_TX_RETRIES);
		if (unlikely(sent < n)) {
			rte_pktmbuf_free_bulk(txq->pkts + sent, n - sent);
			w->tx_dropped += n - sent;
		}
		w->tx_pkts += sent;
		txq->n = 0;
	}
	return total;
}

/** Worker 0 sends the gratuitous ARPs the control thread asked for. */
static unsigned
announce_pending(struct app *app, struct app_worker *w)
{
	uint32_t mask;
	uint16_t port;
	unsigned n = 0;
	int rc;

	if (likely(__atomic_load_n(&app->announce_mask, __ATOMIC_RELAXED) == 0))
		return 0;
	/* acquire pairs with the control thread's release in ports_poll_links() */
	mask = __atomic_exchange_n(&app->announce_mask, 0, __ATOMIC_ACQUIRE);
	for (port = 0; port < FO_MAX_PORTS; port++) {
		if (!(mask & (1u << port)))
			continue;
		rc = fo_net_announce(&w->net, port);
		if (rc != 0)
			FO_LOG(WARNING, "port %u: gratuitous ARP not sent: %s\n", port,
				strerror(-rc));
		else
			n++;
	}
	return n;
}

/** The loop_hist bucket of an iteration of @p cycles: a bit scan, no division. */
static inline unsigned
loop_bucket(uint64_t cycles)
{
	unsigned b = 63u - (unsigned)__builtin_clzll(cycles | 1);

	b = b > APP_LOOP_HIST_LOG2 ? b - APP_LOOP_HIST_LOG2 : 0;
	return b < APP_LOOP_HIST ? b : APP_LOOP_HIST - 1;
}

static void
worker_loop(struct app *app, struct app_worker *w, int is_main)
{
	const uint64_t control_period = fo_ms_to_tsc(APP_CONTROL_MS, app->hz);
	const unsigned idle_sleep_us = app->args.idle_sleep_us;
	struct fo_net_worker *nw = &w->net;
	struct fo_tcp_worker *tw = w->tcp;
	struct rte_mbuf *pkts[FO_BURST];
	uint16_t q = (uint16_t)w->id, n;
	uint64_t prev, now;
	unsigned empty = 0, i;
	int worked = 0;

	rte_rcu_qsbr_thread_register(app->qsbr, w->id);
	rte_rcu_qsbr_thread_online(app->qsbr, w->id);
	FO_LOG(INFO, "worker %u on lcore %u polls queue %u of %u port(s)%s\n", w->id, w->lcore_id,
		q, app->n_active, is_main ? " (main lcore, control work interleaved)" : "");

	prev = rte_rdtsc();
	while (!app->quit) {
		/* one TSC read per iteration: the previous iteration's length goes
		 * to busy or idle depending on whether it did anything (a nap is
		 * part of an empty iteration, hence idle) */
		now = rte_rdtsc();
		if (worked) {
			w->busy_cycles += now - prev;
			w->loop_hist[loop_bucket(now - prev)]++;
		} else {
			w->idle_cycles += now - prev;
		}
		prev = now;
		worked = 0;
		nw->now = now;
		w->loops++;

		if (w->id == 0 && announce_pending(app, w) != 0)
			worked = 1;
		for (i = 0; i < app->n_active; i++) {
			uint16_t port = app->active[i];

			/* acquire (a plain load on x86): see intr_gate.c */
			if (unlikely(__atomic_load_n(&app->ports[port].paused, __ATOMIC_ACQUIRE)))
				continue;
			n = rte_eth_rx_burst(port, q, pkts, FO_BURST);
			if (n == 0)
				continue;
			fo_net_input(nw, port, pkts, n);
			/* segments lib/net queued for TCP: consumed whole */
			if (nw->tcp_rx.n != 0) {
				fo_tcp_input(tw, nw->tcp_rx.pkts, nw->tcp_rx.n);
				nw->tcp_rx.n = 0;
			}
			worked = 1;
		}
		if (fo_net_peer_poll(nw) != 0)
			worked = 1;
		if (fo_tcp_peer_poll(tw) != 0)
			worked = 1;
		fo_net_timer(nw);
		if (fo_tcp_timer(tw) != 0)
			worked = 1;
		if (svc_poll(w->svc) != 0)
			worked = 1;
		/* proxy timeouts and pipelined requests, before the flush that sends */
		if (w->proxy != NULL && fo_proxy_poll(w->proxy) != 0)
			worked = 1;
		/* ACKs and data owed, before the tx flush that sends them */
		if (fo_tcp_flush(tw) != 0)
			worked = 1;
		if (tx_flush(app, w) != 0)
			worked = 1;
		/* a TLS handshake step (up to ≈70 µs) after what this iteration
		 * made for other clients has left, then its own flight */
		if (w->proxy != NULL && fo_proxy_poll_tls(w->proxy) != 0) {
			worked = 1;
			fo_tcp_flush(tw);
			tx_flush(app, w);
		}
		fo_net_burst_end(nw);
		rte_rcu_qsbr_quiescent(app->qsbr, w->id);

		if (is_main && now >= app->next_health_tsc) {
			intr_gate_poll(app, now);
			health_poll(app);
			control_poll(app);
			app->next_health_tsc = now + fo_ms_to_tsc(APP_HEALTH_MS, app->hz);
		}
		if (is_main && now >= app->next_control_tsc) {
			control_tick(app);
			app->next_control_tsc = now + control_period;
		}
		if (worked) {
			empty = 0;
		} else if (idle_sleep_us != 0 && ++empty >= APP_IDLE_SPINS) {
			/* stays asleep-between-polls until work shows up again;
			 * rte_delay_us_sleep() resumes after EINTR (tap's SIGIO) */
			w->idle_sleeps++;
			rte_delay_us_sleep(idle_sleep_us);
		}
	}
	now = rte_rdtsc();
	if (worked) {
		w->busy_cycles += now - prev;
		w->loop_hist[loop_bucket(now - prev)]++;
	} else {
		w->idle_cycles += now - prev;
	}

	rte_rcu_qsbr_thread_offline(app->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(app->qsbr, w->id);
	FO_LOG(INFO, "worker %u on lcore %u stops\n", w->id, w->lcore_id);
}

static int
worker_lcore_main(void *arg)
{
	struct app_worker *w = arg;

	worker_loop(w->app, w, 0);
	return 0;
}

void
control_tick(struct app *app)
{
	ports_poll_links(app);
	watch_poll(app);
	reload_tick(app);
	endpoints_check(app);
	acct_drain(); /* the access log: what the workers queued since the last tick */
	control_poll(app); /* clients silent past their deadline are dropped */
}

int
ring_mesh_create(struct app *app, const char *prefix, unsigned esize, unsigned count,
	struct rte_ring *mesh[FO_MAX_WORKERS][FO_MAX_WORKERS])
{
	char name[RTE_RING_NAMESIZE];
	unsigned i, j;

	for (i = 0; i < app->n_workers; i++) {
		for (j = 0; j < app->n_workers; j++) {
			struct rte_ring *r;

			if (i == j)
				continue;
			if (snprintf(name, sizeof(name), "%s_%u_%u", prefix, i, j) >= (int)sizeof(name))
				return -ENAMETOOLONG;
			/* one producer (worker i), one consumer (worker j) */
			r = rte_ring_create_elem(name, esize, count,
				(int)rte_lcore_to_socket_id(app->workers[j]->lcore_id),
				RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (r == NULL) {
				FO_LOG(ERR, "ring %s: %s\n", name, rte_strerror(rte_errno));
				return rte_errno ? -rte_errno : -ENOMEM;
			}
			mesh[i][j] = r;
		}
	}
	return 0;
}

static int
rings_create(struct app *app)
{
	unsigned i, j;
	int rc;

	rc = ring_mesh_create(app, "fo_nb", sizeof(struct fo_neigh_msg), NEIGH_RING_SIZE,
		app->rings);
	if (rc != 0)
		return rc;
	for (i = 0; i < app->n_workers; i++) {
		for (j = 0; j < app->n_workers; j++) {
			app->workers[i]->net.to_peer[j] = app->rings[i][j];
			app->workers[j]->net.from_peer[i] = app->rings[i][j];
		}
	}
	return 0;
}

int
workers_init(struct app *app)
{
	struct fo_net_iface ifaces[FO_MAX_PORTS];
	unsigned lcores[FO_MAX_WORKERS], lcore, i, n = 0;
	size_t sz;
	int rc;

	if (rte_lcore_count() == 1) {
		lcores[n++] = rte_get_main_lcore();
	} else {
		RTE_LCORE_FOREACH_WORKER(lcore)
		{
			if (n == FO_MAX_WORKERS) {
				FO_LOG(ERR, "at most %u worker lcores\n", FO_MAX_WORKERS);
				return -E2BIG;
			}
			lcores[n++] = lcore;
		}
	}
	if (n != app->n_workers) {
		FO_LOG(ERR, "%u worker lcores, %u expected\n", n, app->n_workers);
		return -EINVAL;
	}

	sz = rte_rcu_qsbr_get_memsize(n);
	app->qsbr = rte_zmalloc("fo_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (app->qsbr == NULL)
		return -ENOMEM;
	rc = rte_rcu_qsbr_init(app->qsbr, n);
	if (rc != 0)
		return -rte_errno;

	memset(ifaces, 0, sizeof(ifaces));
	for (i = 0; i < app->n_ports; i++) {
		ifaces[i] = app->ports[i].iface;
		ifaces[i].port_id = (uint16_t)i;
	}

	for (i = 0; i < n; i++) {
		int socket = (int)rte_lcore_to_socket_id(lcores[i]);
		struct app_worker *w;

		w = rte_zmalloc_socket("fo_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket);
		if (w == NULL)
			w = rte_zmalloc("fo_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
		if (w == NULL) {
			FO_LOG(ERR, "worker %u: out of memory (%zu bytes)\n", i, sizeof(*w));
			return -ENOMEM;
		}
		app->workers[i] = w;
		w->app = app;
		w->id = i;
		w->lcore_id = lcores[i];
		rc = fo_net_worker_init(&w->net, i, n, app->pool, ifaces, app->n_ports, app->hz);
		if (rc != 0) {
			FO_LOG(ERR, "worker %u: fo_net_worker_init: %s\n", i, strerror(-rc));
			return rc;
		}
	}
	return rings_create(app);
}

int
workers_launch(struct app *app)
{
	unsigned i;
	int rc;

	if (rte_lcore_count() == 1)
		return 0;
	for (i = 0; i < app->n_workers; i++) {
		struct app_worker *w = app->workers[i];

		rc = rte_eal_remote_launch(worker_lcore_main, w, w->lcore_id);
		if (rc != 0) {
			FO_LOG(ERR, "worker %u: cannot launch on lcore %u: %s\n", i, w->lcore_id,
				strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void
workers_run_main(struct app *app)
{
	app->next_control_tsc = rte_rdtsc() + fo_ms_to_tsc(APP_CONTROL_MS, app->hz);
	worker_loop(app, app->workers[0], 1);
}

void
workers_wait(struct app *app)
{
	if (rte_lcore_count() > 1)
		rte_eal_mp_wait_lcore();
}

void
workers_free(struct app *app)
{
	unsigned i, j;

	for (i = 0; i < FO_MAX_WORKERS; i++)
		for (j = 0; j < FO_MAX_WORKERS; j++) {
			rte_ring_free(app->rings[i][j]);
			app->rings[i][j] = NULL;
		}
	for (i = 0; i < FO_MAX_WORKERS; i++) {
		rte_free(app->workers[i]);
		app->workers[i] = NULL;
	}
	rte_free(app->qsbr);
	app->qsbr = NULL;
}
