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
 *   port0.ipackets 12          rte_eth_stats_get() of every port
 *   worker0.busy_cycles 1234   per worker TSC accounting
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include <rte_ethdev.h>

#include "app.h"

/* fo_counters_print() walks the plain counters as an array */
_Static_assert(offsetof(struct fo_net_stats, drop) == FO_NET_STATS_N_PLAIN * sizeof(uint64_t),
	"fo_net_stats: plain counters must be the leading uint64_t fields");

void
stats_totals(const struct app *app, struct app_totals *t)
{
	unsigned i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < app->n_workers; i++) {
		const struct app_worker *w = app->workers[i];

		if (w == NULL)
			continue;
		fo_net_stats_add(&t->net, &w->net.stats);
		t->tx_pkts += w->tx_pkts;
		t->tx_dropped += w->tx_dropped;
	}
	for (i = 0; i < FO_NET_DROP_MAX; i++)
		t->drops_total += t->net.drop[i];
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
	unsigned i;

	for (i = 0; i < app->n_workers; i++) {
		const struct app_worker *w = app->workers[i];
		uint64_t total;

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
		fprintf(f, "worker%u.tx_sent %" PRIu64 "\n", i, w->tx_pkts);
		fprintf(f, "worker%u.tx_dropped %" PRIu64 "\n", i, w->tx_dropped);
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
	print_ports(app, f);
	print_workers(app, f);
	fflush(f);
}
