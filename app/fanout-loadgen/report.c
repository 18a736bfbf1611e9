/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The results: requests/s, new connections/s, latency percentiles, errors
 * by kind, fanout's busy cycles per proxied request (from its workers'
 * TSC accounting, read before and after the window), which side
 * saturated, and what the origin saw. Human-readable or one JSON object.
 */
#include <inttypes.h>
#include <string.h>

#include "lg.h"

static const double pcts[] = {50, 90, 99, 99.9};
static const char *const pct_names[] = {"p50", "p90", "p99", "p99.9"};

#define N_PCTS (sizeof(pcts) / sizeof(pcts[0]))
/* a loop busier than this is saturated: it found work nearly every time */
#define SATURATED 0.95
/* a poller on its CPU less than this share of the time was not given the CPU */
#define CPU_STARVED 0.8

struct derived {
	double secs, rps, cps;
	double us[N_PCTS], max_us, mean_us, min_us;
	int have_fanout;
	double fo_cycles_per_req, fo_busy_share;
	double fo_cpu_share, fo_oncpu_per_req; /* with --fanout-pid; -1: not read */
	uint64_t fo_busy, fo_requests;
	double lg_busy_share;
	/* the loadgen's loop: clients, and the origin when on the same lcore */
	double lg_cycles_per_req, lg_cpu_share, lg_oncpu_per_req;
	const char *saturated;
};

/* SYNs/s the flood achieved while it was on. */
static double
flood_rate(const struct lg_report *r)
{
	const struct lg_flood_stats *fs = r->flood;

	return fs != NULL && fs->last_tsc > fs->first_tsc
		       ? (double)fs->sent * r->hz / (double)(fs->last_tsc - fs->first_tsc)
		       : 0;
}

static void
json_mem(FILE *f, const char *name, const struct lg_fanout_snap *s)
{
	fprintf(f,
		"\"%s\": {\"rss_kb\": %" PRIu64 ", \"rss_anon_kb\": %" PRIu64
		", \"hugetlb_kb\": %" PRIu64 ", \"heap_alloc_bytes\": %" PRIu64
		", \"mbufs_in_use\": %" PRIu64 ", \"mbuf_bytes\": %" PRIu64
		", \"tcp_buffered\": %" PRIu64 ", \"tcp_conns\": %" PRIu64
		", \"sessions\": %" PRIu64 ", \"upstream_idle\": %" PRIu64
		", \"upstream_busy\": %" PRIu64 "}",
		name, s->rss_kb, s->rss_anon_kb, s->hugetlb_kb, s->heap_alloc, s->mbufs_in_use,
		s->mbuf_bytes, s->tcp_buffered, s->tcp_conns, s->sessions, s->upstream_idle,
		s->upstream_busy);
}

static void
derive(const struct lg_report *r, struct derived *d)
{
	const struct lg_hist *h = r->h;
	unsigned i;

	memset(d, 0, sizeof(*d));
	d->secs = r->win_end > r->win_start ? (double)(r->win_end - r->win_start) / r->hz : 0;
	if (d->secs > 0) {
		d->rps = (double)r->cs->ok / d->secs;
		d->cps = (double)r->cs->connects / d->secs;
	}
	for (i = 0; i < N_PCTS; i++)
		d->us[i] = (double)lg_hist_percentile(h, pcts[i]) / r->hz * 1e6;
	d->max_us = (double)h->max / r->hz * 1e6;
	d->min_us = h->count ? (double)h->min / r->hz * 1e6 : 0;
	d->mean_us = h->count ? (double)h->sum / (double)h->count / r->hz * 1e6 : 0;
	d->have_fanout = r->fo0.ok && r->fo1.ok;
	if (d->have_fanout) {
		uint64_t busy = r->fo1.busy - r->fo0.busy, idle = r->fo1.idle - r->fo0.idle;

		d->fo_busy = busy;
		d->fo_requests = r->fo1.requests - r->fo0.requests;
		d->fo_cycles_per_req = r->cs->ok ? (double)busy / (double)r->cs->ok : 0;
		d->fo_busy_share = busy + idle ? (double)busy / (double)(busy + idle) : 0;
	}
	d->fo_cpu_share = -1;
	d->fo_oncpu_per_req = -1;
	if (d->have_fanout && r->a->fanout_pid > 0 && r->fo1.tsc > r->fo0.tsc) {
		double wall = (double)(r->fo1.tsc - r->fo0.tsc) / r->hz;

		/* busy TSC cycles include time the worker was descheduled
		 * mid-iteration; scaled by the share of wall time the kernel ran
		 * it (other tenants' preemption taken as uniform in time) */
		d->fo_cpu_share = (r->fo1.cpu_s - r->fo0.cpu_s) / wall;
		if (r->cs->ok)
			d->fo_oncpu_per_req = (double)d->fo_busy *
					      (d->fo_cpu_share < 1 ? d->fo_cpu_share : 1) /
					      (double)r->cs->ok;
	}
	if (r->lg_busy + r->lg_idle) {
		double wall = (double)(r->lg_busy + r->lg_idle) / r->hz;

		d->lg_busy_share = (double)r->lg_busy / (double)(r->lg_busy + r->lg_idle);
		d->lg_cpu_share = r->lg_cpu_s / wall;
	}
	if (r->cs->ok) {
		d->lg_cycles_per_req = (double)r->lg_busy / (double)r->cs->ok;
		d->lg_oncpu_per_req =
			d->lg_cycles_per_req * (d->lg_cpu_share < 1 ? d->lg_cpu_share : 1);
	}
	if (d->have_fanout && d->fo_busy_share >= SATURATED)
		d->saturated = "fanout";
	else if (d->lg_busy_share >= SATURATED)
		d->saturated = "loadgen";
	else if ((d->fo_cpu_share >= 0 && d->fo_cpu_share < CPU_STARVED) ||
		 (d->lg_cpu_share > 0 && d->lg_cpu_share < CPU_STARVED))
		d->saturated =
			"none (CPU-starved: other processes ran on fanout's or the loadgen's "
			"CPU)";
	else if (r->a->rate > 0)
		d->saturated = "none (fixed rate)";
	else
		d->saturated = "none (latency-bound: too few requests in flight)";
}

void
lg_report_print(FILE *f, const struct lg_report *r)
{
	const struct lg_args *a = r->a;
	const struct lg_client_stats *s = r->cs;
	struct derived d;
	unsigned i;

	derive(r, &d);
	fprintf(f,
		"fanout-loadgen: %u connection(s), %s, depth %u%s, %zu-byte requests, %u "
		"lcore(s)\n",
		a->conns, a->close ? "one request per connection" : "keep-alive", a->depth,
		a->rate > 0 ? ", fixed rate" : ", closed loop", r->request_len, r->lcores);
	fprintf(f, "window       %.3f s (after %.1f s of warm-up)\n", d.secs, a->warmup);
	fprintf(f, "requests     %" PRIu64 " started, %" PRIu64 " ok, %" PRIu64 " errors\n",
		s->issued, s->ok, s->errors);
	fprintf(f, "rate         %.0f requests/s, %.0f new connections/s\n", d.rps, d.cps);
	fprintf(f, "latency us   min %.1f", d.min_us);
	for (i = 0; i < N_PCTS; i++)
		fprintf(f, "  %s %.1f", pct_names[i], d.us[i]);
	fprintf(f, "  max %.1f  mean %.1f\n", d.max_us, d.mean_us);
	if (s->errors) {
		fputs("errors      ", f);
		for (i = 0; i < LG_E_MAX; i++)
			if (s->err[i])
				fprintf(f, " %s %" PRIu64, lg_err_names[i], s->err[i]);
		fputc('\n', f);
	}
	if (s->rate_lag)
		fprintf(f, "rate lag     %" PRIu64 " requests started late (no idle connection)\n",
			s->rate_lag);
	if (d.have_fanout)
		fprintf(f,
			"fanout       %.0f busy cycles per proxied request (%u worker(s), busy "
			"%.1f %%,"
			" proxy.requests +%" PRIu64 ")\n",
			d.fo_cycles_per_req, r->fo1.n_workers, 100 * d.fo_busy_share,
			d.fo_requests);
	else if (a->fanout_tel != NULL)
		fprintf(f, "fanout       counters not read from %s\n", a->fanout_tel);
	if (d.fo_cpu_share >= 0)
		fprintf(f,
			"fanout       on CPU %.1f %% of the window: %.0f busy cycles per request "
			"on-CPU\n",
			100 * d.fo_cpu_share, d.fo_oncpu_per_req);
	fprintf(f,
		"loadgen      %.0f busy cycles per request (busy %.1f %%), on CPU %.1f %%: %.0f "
		"on-CPU%s\n",
		d.lg_cycles_per_req, 100 * d.lg_busy_share, 100 * d.lg_cpu_share,
		d.lg_oncpu_per_req,
		r->lcores == 1 && r->os != NULL ? " (clients and origin)" : " (clients)");
	fprintf(f, "saturated    %s\n", d.saturated);
	if (r->flood != NULL)
		fprintf(f,
			"syn flood    %" PRIu64 " SYNs sent (%.0f/s), %" PRIu64
			" refused by the tx ring; fanout: %.0f SYN cookies/s, %" PRIu64
			" cookie connections\n",
			r->flood->sent, flood_rate(r), r->flood->tx_dropped,
			d.secs > 0 && d.have_fanout
				? (double)(r->fo1.syncookies_sent - r->fo0.syncookies_sent) / d.secs
				: 0,
			r->fo1.syncookies_ok - r->fo0.syncookies_ok);
	if (a->idle && d.have_fanout && r->fo1.mem_ok)
		fprintf(f,
			"idle         %u connections idle; fanout: rss %+" PRId64
			" KiB, mbufs %+" PRId64 ", tcp conns %+" PRId64 ", sessions %+" PRId64
			", upstream idle %+" PRId64 "\n",
			r->idle_conns, (int64_t)(r->fo1.rss_kb - r->fo0.rss_kb),
			(int64_t)(r->fo1.mbufs_in_use - r->fo0.mbufs_in_use),
			(int64_t)(r->fo1.tcp_conns - r->fo0.tcp_conns),
			(int64_t)(r->fo1.sessions - r->fo0.sessions),
			(int64_t)(r->fo1.upstream_idle - r->fo0.upstream_idle));
	if (r->os != NULL) {
		fprintf(f, "origin       %" PRIu64 " requests (per port:", r->os->requests);
		for (i = 0; i < a->n_listen; i++)
			fprintf(f, " %u=%" PRIu64, a->listen[i], r->os->per_listen[i]);
		fprintf(f, "), %" PRIu64 " connections accepted, %" PRIu64 " bad requests\n",
			r->os->conns_accepted, r->os->bad_requests);
		for (i = 0; i < r->os->n_targets; i++)
			fprintf(f, "  target %s  %" PRIu64 "\n", r->os->targets[i],
				r->os->target_hits[i]);
	}
}

/* A JSON string of a target (targets are 0x21-0x7e: only " and \ need escaping). */
static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

void
lg_report_json(FILE *f, const struct lg_report *r)
{
	const struct lg_args *a = r->a;
	const struct lg_client_stats *s = r->cs;
	struct derived d;
	unsigned i;

	derive(r, &d);
	fprintf(f,
		"{\"connections\": %u, \"mode\": \"%s\", \"depth\": %u, \"rate\": %.1f, "
		"\"request_bytes\": %zu, \"lcores\": %u, \"tsc_hz\": %.0f,\n",
		a->conns, a->close ? "close" : "keepalive", a->depth, a->rate, r->request_len,
		r->lcores, r->hz);
	fprintf(f,
		" \"seconds\": %.6f, \"issued\": %" PRIu64 ", \"ok\": %" PRIu64
		", \"errors\": %" PRIu64 ", \"connects\": %" PRIu64 ", \"rate_lag\": %" PRIu64
		",\n",
		d.secs, s->issued, s->ok, s->errors, s->connects, s->rate_lag);
	fprintf(f, " \"requests_per_s\": %.1f, \"connections_per_s\": %.1f,\n", d.rps, d.cps);
	fprintf(f, " \"latency_us\": {\"min\": %.2f", d.min_us);
	for (i = 0; i < N_PCTS; i++)
		fprintf(f, ", \"%s\": %.2f", pct_names[i], d.us[i]);
	fprintf(f, ", \"max\": %.2f, \"mean\": %.2f},\n", d.max_us, d.mean_us);
	fputs(" \"error_kinds\": {", f);
	for (i = 0; i < LG_E_MAX; i++)
		fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", lg_err_names[i], s->err[i]);
	fputs("},\n", f);
	if (d.have_fanout)
		fprintf(f,
			" \"fanout\": {\"workers\": %u, \"busy_cycles\": %" PRIu64
			", \"busy_share\": %.4f, \"cycles_per_request\": %.1f, "
			"\"proxy_requests\": %" PRIu64 ", \"upstream_connects\": %" PRIu64
			", \"upstream_reuses\": %" PRIu64 ", \"cpu_share\": %.4f, "
			"\"oncpu_cycles_per_request\": %.1f},\n",
			r->fo1.n_workers, d.fo_busy, d.fo_busy_share, d.fo_cycles_per_req,
			d.fo_requests, r->fo1.upstream_connects - r->fo0.upstream_connects,
			r->fo1.upstream_reuses - r->fo0.upstream_reuses, d.fo_cpu_share,
			d.fo_oncpu_per_req);
	else
		fputs(" \"fanout\": null,\n", f);
	fprintf(f,
		" \"loadgen_busy_share\": %.4f, \"loadgen_cycles_per_request\": %.1f, "
		"\"loadgen_cpu_share\": %.4f, \"loadgen_oncpu_cycles_per_request\": %.1f, "
		"\"saturated\": \"%s\"",
		d.lg_busy_share, d.lg_cycles_per_req, d.lg_cpu_share, d.lg_oncpu_per_req,
		d.saturated);
	if (r->flood != NULL)
		fprintf(f,
			",\n \"flood\": {\"requested_per_s\": %.1f, \"sent\": %" PRIu64
			", \"sent_per_s\": %.1f, \"tx_dropped\": %" PRIu64 ", \"nombuf\": %" PRIu64
			", \"seconds\": %.6f, \"fanout_syncookies_sent\": %" PRIu64
			", \"fanout_syncookies_ok\": %" PRIu64
			", \"fanout_passive_opens\": %" PRIu64 ", \"fanout_rx_pkts\": %" PRIu64
			", \"fanout_half_open\": %" PRIu64 "}",
			a->syn_flood, r->flood->sent, flood_rate(r), r->flood->tx_dropped,
			r->flood->nombuf,
			r->flood->last_tsc > r->flood->first_tsc
				? (double)(r->flood->last_tsc - r->flood->first_tsc) / r->hz
				: 0,
			r->fo1.syncookies_sent - r->fo0.syncookies_sent,
			r->fo1.syncookies_ok - r->fo0.syncookies_ok,
			r->fo1.passive_opens - r->fo0.passive_opens,
			r->fo1.rx_pkts - r->fo0.rx_pkts, r->fo1.half_open);
	if (a->idle) {
		fprintf(f, ",\n \"idle\": {\"connections\": %u, \"requests_each\": %u, ",
			r->idle_conns, a->idle_requests);
		if (d.have_fanout && r->fo1.mem_ok) {
			json_mem(f, "fanout_before", &r->fo0);
			fputs(", ", f);
			json_mem(f, "fanout_after", &r->fo1);
		} else {
			fputs("\"fanout_before\": null, \"fanout_after\": null", f);
		}
		fputc('}', f);
	}
	if (r->os != NULL) {
		fprintf(f,
			",\n \"origin\": {\"requests\": %" PRIu64 ", \"conns_accepted\": %" PRIu64
			", \"conns_refused\": %" PRIu64 ", \"bad_requests\": %" PRIu64
			", \"per_port\": {",
			r->os->requests, r->os->conns_accepted, r->os->conns_refused,
			r->os->bad_requests);
		for (i = 0; i < a->n_listen; i++)
			fprintf(f, "%s\"%u\": %" PRIu64, i ? ", " : "", a->listen[i],
				r->os->per_listen[i]);
		fputs("}, \"targets\": {", f);
		for (i = 0; i < r->os->n_targets; i++) {
			fputs(i ? ", " : "", f);
			json_str(f, r->os->targets[i]);
			fprintf(f, ": %" PRIu64, r->os->target_hits[i]);
		}
		fprintf(f, "}, \"other_targets\": %" PRIu64 "}", r->os->other_targets);
	}
	fputs("}\n", f);
}
