/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics: merge the workers' counters and print them as "name value"
 * lines (at shutdown). Names are stable: tests and scripts parse them.
 *
 *   rx_pkts 12                 every lib/net counter (fo_net_stats_names)
 *   drop.eth_truncated 0       every drop reason, zeros included
 *   drops_total 3              sum of the drop reasons above
 *   tx_sent 9                  packets the NICs accepted
 *   tx_dropped 0               packets freed because a tx queue stayed full
 *   tx_linearized 0            chains copied into one mbuf for a port without
 *                              multi-segment tx; tx_linear_nombuf and
 *                              tx_linear_too_long: chains dropped instead
 *   mbuf_pool.avail 70000      free mbufs (size, and the share set aside for TCP)
 *   port0.ipackets 12          rte_eth_stats_get() of every port
 *   tcp.seg_rx 10              every lib/tcp counter (fo_tcp_stats_names), gauges
 *   tcp.drop.tcp_bad_cksum 0   every TCP drop reason, zeros included
 *   svc.echo_bytes 100         built-in service counters (svc_stats_names)
 *   proxy.requests 42          HTTP proxy counters (fo_proxy_stats_names), zeros
 *   proxy.parse_err.bad_method 0  included; request parse errors by reason;
 *   proxy.sessions 0           gauges: sessions, upstream_busy, upstream_idle, tls_handshaking
 *   endpoints.unresolved 0     upstream servers whose next hop does not answer
 *                              ARP (gauge), and how often one stopped answering
 *   ctl.generation 3           the config generation served; reloads applied,
 *                              rejected, asked by the file watch; servers
 *                              drained by fanoutctl
 *   worker0.busy_cycles 1234   per worker TSC accounting, and busy cycles per
 *                              TCP segment handled (received + sent)
 */
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "app.h"

/* fo_counters_print() walks the plain counters as an array */
_Static_assert(offsetof(struct fo_net_stats, drop) == FO_NET_STATS_N_PLAIN * sizeof(uint64_t),
	"fo_net_stats: plain counters must be the leading uint64_t fields");
_Static_assert(offsetof(struct fo_tcp_stats, conns) == FO_TCP_STATS_N_PLAIN * sizeof(uint64_t),
	"fo_tcp_stats: plain counters must be the leading uint64_t fields");
_Static_assert(sizeof(struct svc_stats) == SVC_STATS_N * sizeof(uint64_t),
	"svc_stats: only uint64_t counters");

void
stats_totals(const struct app *app, struct app_totals *t)
{
	unsigned i, j;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < app->n_workers; i++) {
		const struct app_worker *w = app->workers[i];

		if (w == NULL)
			continue;
		fo_net_stats_add(&t->net, &w->net.stats);
		t->tx_pkts += w->tx_pkts;
		t->tx_dropped += w->tx_dropped;
		t->tx_linearized += w->tx_linearized;
		t->tx_linear_nombuf += w->tx_linear_nombuf;
		t->tx_linear_too_long += w->tx_linear_too_long;
		if (w->tcp != NULL)
			fo_tcp_stats_add(&t->tcp, fo_tcp_stats(w->tcp));
		if (w->svc != NULL) {
			const uint64_t *src = &svc_worker_stats(w->svc)->accepted;
			uint64_t *dst = &t->svc.accepted;

			for (j = 0; j < SVC_STATS_N; j++)
				dst[j] += src[j];
			t->svc_in_use += svc_worker_in_use(w->svc);
		}
		if (w->proxy != NULL)
			fo_proxy_stats_add(&t->proxy, fo_proxy_stats(w->proxy));
	}
	for (i = 0; i < FO_NET_DROP_MAX; i++)
		t->drops_total += t->net.drop[i];
	for (i = 0; i < FO_TCP_DROP_MAX; i++)
		t->tcp_drops_total += t->tcp.drop[i];
}

static void
print_proxy(const struct fo_proxy_stats *p, FILE *f)
{
	unsigned i;

	fo_counters_print(f, "proxy.", fo_proxy_stats_names, &p->accepted, FO_PROXY_STATS_N_PLAIN,
		1);
	for (i = 1; i < FO_HTTP_E_MAX; i++)
		fprintf(f, "proxy.parse_err.%s %" PRIu64 "\n", fo_http_err_name((enum fo_http_err)i),
			p->parse_err[i]);
	fprintf(f, "proxy.sessions %" PRIu64 "\n", p->sessions);
	fprintf(f, "proxy.upstream_busy %" PRIu64 "\n", p->upstream_busy);
	fprintf(f, "proxy.upstream_idle %" PRIu64 "\n", p->upstream_idle);
	fprintf(f, "proxy.tls_handshaking %" PRIu64 "\n", p->tls_handshaking);
}

static void
print_ports(const struct app *app, FILE *f)
{
	struct rte_eth_stats s;
	char prefix[32];
	uint16_t i;

	for (i = 0; i < app->n_active; i++) {
		uint16_t pid = app->active[i];

		if (rte_eth_stats_get(pid, &s) != 0)
			continue;
		snprintf(prefix, sizeof(prefix), "port%u.", pid);
		fprintf(f, "%sipackets %" PRIu64 "\n", prefix, s.ipackets);
		fprintf(f, "%sopackets %" PRIu64 "\n", prefix, s.opackets);
		fprintf(f, "%sibytes %" PRIu64 "\n", prefix, s.ibytes);
		fprintf(f, "%sobytes %" PRIu64 "\n", prefix, s.obytes);
		fprintf(f, "%simissed %" PRIu64 "\n", prefix, s.imissed);
		fprintf(f, "%sierrors %" PRIu64 "\n", prefix, s.ierrors);
		fprintf(f, "%soerrors %" PRIu64 "\n", prefix, s.oerrors);
		fprintf(f, "%srx_nombuf %" PRIu64 "\n", prefix, s.rx_nombuf);
	}
}

static void
print_workers(const struct app *app, FILE *f)
{
	unsigned i, b;

	for (i = 0; i < app->n_workers; i++) {
		const struct app_worker *w = app->workers[i];
		uint64_t total, segs;

		if (w == NULL)
			continue;
		total = w->busy_cycles + w->idle_cycles;
		fprintf(f, "worker%u.lcore %u\n", i, w->lcore_id);
		fprintf(f, "worker%u.loops %" PRIu64 "\n", i, w->loops);
		fprintf(f, "worker%u.busy_cycles %" PRIu64 "\n", i, w->busy_cycles);
		fprintf(f, "worker%u.idle_cycles %" PRIu64 "\n", i, w->idle_cycles);
		fprintf(f, "worker%u.busy_pct %.2f\n", i,
			total ? 100.0 * (double)w->busy_cycles / (double)total : 0.0);
		fprintf(f, "worker%u.idle_sleeps %" PRIu64 "\n", i, w->idle_sleeps);
		/* busy iterations by length, the non-empty buckets: "under N µs" */
		for (b = 0; b < APP_LOOP_HIST; b++)
			if (w->loop_hist[b] != 0)
				fprintf(f, "worker%u.busy_loops_under_us.%.1f %" PRIu64 "\n", i,
					b + 1 < APP_LOOP_HIST ? loop_bound_s(app, b) * 1e6 : INFINITY,
					w->loop_hist[b]);
		fprintf(f, "worker%u.tx_sent %" PRIu64 "\n", i, w->tx_pkts);
		fprintf(f, "worker%u.tx_dropped %" PRIu64 "\n", i, w->tx_dropped);
		fprintf(f, "worker%u.tx_linearized %" PRIu64 "\n", i, w->tx_linearized);
		segs = tcp_worker_segments(w);
		fprintf(f, "worker%u.tcp_segments %" PRIu64 "\n", i, segs);
		fprintf(f, "worker%u.busy_cycles_per_segment %.1f\n", i,
			segs ? (double)w->busy_cycles / (double)segs : 0.0);
		if (w->tcp != NULL) {
			fprintf(f, "worker%u.tcp_conns %" PRIu64 "\n", i,
				fo_tcp_stats(w->tcp)->conns);
			fprintf(f, "worker%u.tcp_handoff_tx %" PRIu64 "\n", i,
				fo_tcp_stats(w->tcp)->handoff_tx);
		}
	}
}

void
stats_print(const struct app *app, FILE *f)
{
	struct app_totals t;

	stats_totals(app, &t);
	fo_counters_print(f, "", fo_net_stats_names, &t.net.rx_pkts, FO_NET_STATS_N_PLAIN, 1);
	fo_counters_print(f, "drop.", fo_net_drop_names, t.net.drop, FO_NET_DROP_MAX, 1);
	fprintf(f, "drops_total %" PRIu64 "\n", t.drops_total);
	fprintf(f, "tx_sent %" PRIu64 "\n", t.tx_pkts);
	fprintf(f, "tx_dropped %" PRIu64 "\n", t.tx_dropped);
	fprintf(f, "tx_linearized %" PRIu64 "\n", t.tx_linearized);
	fprintf(f, "tx_linear_nombuf %" PRIu64 "\n", t.tx_linear_nombuf);
	fprintf(f, "tx_linear_too_long %" PRIu64 "\n", t.tx_linear_too_long);
	if (app->pool != NULL) {
		fprintf(f, "mbuf_pool.size %u\n", app->pool->size);
		fprintf(f, "mbuf_pool.avail %u\n", rte_mempool_avail_count(app->pool));
		fprintf(f, "mbuf_pool.tcp %u\n", app->n_tcp_mbufs);
	}
	fo_counters_print(f, "tcp.", fo_tcp_stats_names, &t.tcp.seg_rx, FO_TCP_STATS_N_PLAIN, 1);
	fprintf(f, "tcp.conns %" PRIu64 "\n", t.tcp.conns);
	fprintf(f, "tcp.half_open %" PRIu64 "\n", t.tcp.half_open);
	fprintf(f, "tcp.buffered %" PRIu64 "\n", t.tcp.buffered);
	fo_counters_print(f, "tcp.drop.", fo_tcp_drop_names, t.tcp.drop, FO_TCP_DROP_MAX, 1);
	fprintf(f, "tcp.drops_total %" PRIu64 "\n", t.tcp_drops_total);
	fo_counters_print(f, "svc.", svc_stats_names, &t.svc.accepted, SVC_STATS_N, 1);
	fprintf(f, "svc.in_use %" PRIu64 "\n", t.svc_in_use);
	print_proxy(&t.proxy, f);
	fprintf(f, "endpoints.unresolved %" PRIu64 "\n", app->ep_unresolved);
	fprintf(f, "endpoints.unresolved_events %" PRIu64 "\n", app->ep_unresolved_events);
	fprintf(f, "ctl.generation %" PRIu64 "\n", app->gen);
	fprintf(f, "ctl.reloads_ok %" PRIu64 "\n", app->reloads_ok);
	fprintf(f, "ctl.reloads_failed %" PRIu64 "\n", app->reloads_failed);
	fprintf(f, "ctl.watch_reloads %" PRIu64 "\n", app->watch_reloads);
	fprintf(f, "ctl.drained %u\n", app->n_drains);
	fprintf(f, "ctl.wakeups %" PRIu64 "\n", app->ctl_wakeups);
	fprintf(f, "ctl.wakeups_signal %" PRIu64 "\n", app->ctl_eintr);
	if (app->health != NULL) {
		const struct fo_ctl_health_stats *h = fo_ctl_health_stats(app->health);

		fprintf(f, "health.checks_sent %" PRIu64 "\n", h->checks_sent);
		fprintf(f, "health.checks_ok %" PRIu64 "\n", h->checks_ok);
		fprintf(f, "health.checks_failed %" PRIu64 "\n", h->checks_failed);
		fprintf(f, "health.checks_lost %" PRIu64 "\n", h->checks_lost);
		fprintf(f, "health.checks_nostate %" PRIu64 "\n", h->checks_nostate);
		fprintf(f, "health.went_down %" PRIu64 "\n", h->went_down);
		fprintf(f, "health.went_up %" PRIu64 "\n", h->went_up);
		fprintf(f, "health.ejections %" PRIu64 "\n", h->ejections);
		fprintf(f, "health.ejections_ended %" PRIu64 "\n", h->ejections_ended);
		fprintf(f, "health.ejections_refused %" PRIu64 "\n", h->ejections_refused);
		fprintf(f, "health.observations %" PRIu64 "\n", h->observations);
		fprintf(f, "health.failures_observed %" PRIu64 "\n", h->failures_observed);
		fprintf(f, "health.observations_stale %" PRIu64 "\n", h->observations_stale);
		fprintf(f, "health.slots_used %" PRIu64 "\n", h->slots_used);
		fprintf(f, "health.slots_full %" PRIu64 "\n", h->slots_full);
	}
	print_ports(app, f);
	print_workers(app, f);
	fflush(f);
}
