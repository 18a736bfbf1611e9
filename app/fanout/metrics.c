/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus endpoint (lib/metrics) and what it shows: on each scrape,
 * on the control thread, the workers' counters summed (as fanoutctl and
 * /fanout/stats show them), per-worker cycles, the ports' ethdev counters,
 * the mbuf pool, reloads, the control thread's and health checks' totals,
 * and every upstream server's health and counters (as fanoutctl upstreams
 * shows them).
 *
 * Names: fanout_<group>_<counter>_total for the counters of lib/net (net),
 * lib/tcp (tcp), the proxy (proxy) and the built-in services (service);
 * drops and parse errors are one family each with a "reason" label. Reload
 * metrics take ingress-nginx's names so its dashboards map over. Workers
 * write their counters unlocked; reading them here is the benign race
 * telemetry.c describes (aligned 64-bit words, never torn on x86-64).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mempool.h>

#include "app.h"
#include "fo_metrics.h"

static struct fo_metrics_srv *srv;

#define HELP_OF(name, descr) descr,
static const char *const net_help[] = {FO_NET_COUNTERS(HELP_OF)};
static const char *const tcp_help[] = {FO_TCP_COUNTERS(HELP_OF)};
static const char *const proxy_help[] = {FO_PROXY_COUNTERS(HELP_OF)};
static const char *const svc_help[] = {SVC_COUNTERS(HELP_OF)};
#undef HELP_OF

/** One family per counter: fanout_<group>_<name>_total. */
static void
counters(struct fo_metrics_out *o, const char *group, const char *const *names,
	const char *const *help, const uint64_t *v, unsigned n)
{
	char name[128];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "fanout_%s_%s", group, names[i]);
		fo_metrics_family(o, FO_METRICS_COUNTER, name, help[i]);
		fo_metrics_value(o, NULL, 0, v[i]);
	}
}

/** One family of counters by reason (@p names[i] == NULL: no such reason). */
static void
by_reason(struct fo_metrics_out *o, const char *name, const char *help, const char *const *names,
	const uint64_t *v, unsigned first, unsigned n)
{
	struct fo_metrics_label l = {"reason", NULL};
	unsigned i;

	fo_metrics_family(o, FO_METRICS_COUNTER, name, help);
	for (i = first; i < n; i++) {
		l.value = names[i];
		if (l.value != NULL)
			fo_metrics_value(o, &l, 1, v[i]);
	}
}

static void
gauge(struct fo_metrics_out *o, const char *name, const char *help, uint64_t v)
{
	fo_metrics_family(o, FO_METRICS_GAUGE, name, help);
	fo_metrics_value(o, NULL, 0, v);
}

static void
workers(struct fo_metrics_out *o, const struct app *app)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} f[] = {
		{"fanout_worker_busy_cycles", "TSC cycles of loop iterations that did work",
			offsetof(struct app_worker, busy_cycles)},
		{"fanout_worker_idle_cycles", "TSC cycles of empty loop iterations (naps included)",
			offsetof(struct app_worker, idle_cycles)},
		{"fanout_worker_loops", "loop iterations", offsetof(struct app_worker, loops)},
		{"fanout_worker_tx_packets", "packets accepted by the NIC's tx queue",
			offsetof(struct app_worker, tx_pkts)},
		{"fanout_worker_tx_dropped", "packets freed because the tx queue stayed full",
			offsetof(struct app_worker, tx_dropped)},
		{"fanout_worker_tx_linearized", "chains copied into one mbuf (tx_linear ports)",
			offsetof(struct app_worker, tx_linearized)},
		{"fanout_worker_tx_linear_nombuf", "chains dropped: no mbuf to copy them into",
			offsetof(struct app_worker, tx_linear_nombuf)},
		{"fanout_worker_tx_linear_too_long", "chains dropped: longer than one mbuf holds",
			offsetof(struct app_worker, tx_linear_too_long)},
		{"fanout_worker_idle_sleeps", "--idle-sleep naps",
			offsetof(struct app_worker, idle_sleeps)},
	};
	struct fo_metrics_label l = {"worker", NULL};
	double bounds[APP_LOOP_HIST - 1];
	char id[16];
	unsigned i, w;

	for (i = 0; i < RTE_DIM(f); i++) {
		fo_metrics_family(o, FO_METRICS_COUNTER, f[i].name, f[i].help);
		for (w = 0; w < app->n_workers; w++) {
			snprintf(id, sizeof(id), "%u", w);
			l.value = id;
			fo_metrics_value(o, &l, 1,
				*(const uint64_t *)((const char *)app->workers[w] + f[i].off));
		}
	}
	fo_metrics_family(o, FO_METRICS_HISTOGRAM, "fanout_worker_busy_loop_seconds",
		"busy loop iterations by length: what a packet arriving during one waits");
	for (i = 0; i + 1 < APP_LOOP_HIST; i++)
		bounds[i] = loop_bound_s(app, i);
	for (w = 0; w < app->n_workers; w++) {
		const struct app_worker *aw = app->workers[w];
		uint64_t n = 0;

		for (i = 0; i < APP_LOOP_HIST; i++)
			n += aw->loop_hist[i];
		snprintf(id, sizeof(id), "%u", w);
		l.value = id;
		fo_metrics_histogram(o, &l, 1, bounds, aw->loop_hist, APP_LOOP_HIST - 1, n,
			(double)aw->busy_cycles / (double)app->hz);
	}
	gauge(o, "fanout_tsc_hz", "TSC frequency: cycles per second of the *_cycles_total counters",
		app->hz);
}

static void
reloads(struct fo_metrics_out *o, const struct app *app)
{
	gauge(o, "fanout_config_generation", "generation of the served config snapshot", app->gen);
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_config_reloads",
		"config reloads, by result (ok: published or no change; failed: rejected)");
	fo_metrics_value(o, &(struct fo_metrics_label){"result", "ok"}, 1, app->reloads_ok);
	fo_metrics_value(o, &(struct fo_metrics_label){"result", "failed"}, 1, app->reloads_failed);
	gauge(o, "fanout_config_last_reload_successful",
		"1 when the last reload (or start-up) succeeded, 0 when it was rejected",
		app->last_reload_failed ? 0 : 1);
	fo_metrics_family(o, FO_METRICS_GAUGE,
		"fanout_config_last_reload_success_timestamp_seconds",
		"Unix time of the last successful reload (start-up at first)");
	fo_metrics_value_f(o, NULL, 0, app->last_reload_ok_s);
	gauge(o, "fanout_upstream_servers_unresolved",
		"upstream servers whose next hop did not answer ARP at the last check",
		app->ep_unresolved);
}

/** One upstream server as fanoutctl upstreams shows it. */
struct ep_row {
	char upstream[64], server[24];
	uint64_t v[10];
};

enum {
	EP_UP,
	EP_DOWN,
	EP_EJECTED,
	EP_DRAINED,
	EP_ACTIVE,
	EP_IDLE,
	EP_REQUESTS,
	EP_FAILURES,
	EP_EJECTIONS,
	EP_CHECKS_FAILED,
	EP_N
};

static const struct {
	const char *name, *help;
	enum fo_metrics_type type;
} ep_fam[EP_N] = {
	[EP_UP] = {"fanout_upstream_server_up",
		"1 when the server takes requests (not down, not ejected; drained aside)",
		FO_METRICS_GAUGE},
	[EP_DOWN] = {"fanout_upstream_server_down", "1 when active health checks hold it down",
		FO_METRICS_GAUGE},
	[EP_EJECTED] = {"fanout_upstream_server_ejected",
		"1 while passive health (outlier detection) has it ejected", FO_METRICS_GAUGE},
	[EP_DRAINED] = {"fanout_upstream_server_drained",
		"1 when drained (config or fanoutctl drain)", FO_METRICS_GAUGE},
	[EP_ACTIVE] = {"fanout_upstream_server_active_connections",
		"connections connecting or serving a request", FO_METRICS_GAUGE},
	[EP_IDLE] = {"fanout_upstream_server_idle_connections", "idle pooled connections",
		FO_METRICS_GAUGE},
	[EP_REQUESTS] = {"fanout_upstream_server_requests",
		"requests sent to the server (retries included)", FO_METRICS_COUNTER},
	[EP_FAILURES] = {"fanout_upstream_server_failures",
		"failures seen (connect, reset, timeout, bad head, counted 5xx)",
		FO_METRICS_COUNTER},
	[EP_EJECTIONS] = {"fanout_upstream_server_ejections", "passive health ejections",
		FO_METRICS_COUNTER},
	[EP_CHECKS_FAILED] = {"fanout_upstream_server_health_checks_failed",
		"active health checks that failed", FO_METRICS_COUNTER},
};

static int
endpoints(struct fo_metrics_out *o, const struct app *app)
{
	const struct fo_conf *conf = app->cur_conf;
	uint64_t now = health_now_ms(app);
	unsigned i, j, k = 0, n = 0, f;
	struct ep_row *rows;

	for (i = 0; i < conf->n_upstreams; i++)
		n += conf->upstreams[i].n_servers;
	if (n == 0)
		return 0;
	rows = calloc(n, sizeof(*rows));
	if (rows == NULL)
		return -ENOMEM;
	for (i = 0; i < conf->n_upstreams; i++) {
		const struct fo_conf_upstream *up = &conf->upstreams[i];

		for (j = 0; j < up->n_servers; j++, k++) {
			const struct fo_conf_server *srv_c = &up->servers[j];
			uint32_t slot =
				app->snap != NULL ? app->snap->hslot[k] : FO_PROXY_HSLOT_NONE;
			uint32_t a = ntohl(srv_c->addr);
			struct fo_ctl_health_info hi;
			struct fo_proxy_ep_stats es;
			struct ep_row *r = &rows[k];

			memset(&hi, 0, sizeof(hi));
			if (slot != FO_PROXY_HSLOT_NONE)
				fo_ctl_health_info(app->health, slot, now, &hi);
			health_ep_sum(app, slot, &es);
			snprintf(r->upstream, sizeof(r->upstream), "%s", up->name);
			snprintf(r->server, sizeof(r->server), "%u.%u.%u.%u:%u", a >> 24,
				(a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff, srv_c->port);
			r->v[EP_DOWN] = (hi.state & FO_PROXY_HEALTH_DOWN) != 0;
			r->v[EP_EJECTED] = (hi.state & FO_PROXY_HEALTH_EJECTED) != 0;
			r->v[EP_UP] = !r->v[EP_DOWN] && !r->v[EP_EJECTED];
			r->v[EP_DRAINED] = app->snap != NULL && app->snap->drained[k];
			r->v[EP_ACTIVE] = es.active;
			r->v[EP_IDLE] = es.idle;
			r->v[EP_REQUESTS] = es.requests;
			r->v[EP_FAILURES] = es.failures;
			r->v[EP_EJECTIONS] = hi.ejections;
			r->v[EP_CHECKS_FAILED] = hi.checks_failed;
		}
	}
	for (f = 0; f < EP_N; f++) {
		fo_metrics_family(o, ep_fam[f].type, ep_fam[f].name, ep_fam[f].help);
		for (k = 0; k < n; k++) {
			const struct fo_metrics_label l[2] = {
				{"upstream", rows[k].upstream}, {"server", rows[k].server}};

			fo_metrics_value(o, l, 2, rows[k].v[f]);
		}
	}
	free(rows);
	return 0;
}

static void
self(struct fo_metrics_out *o)
{
	const struct fo_metrics_srv_stats *s = fo_metrics_stats(srv);

	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_metrics_requests",
		"requests to this endpoint, by answer (scrapes include this one)");
	fo_metrics_value(o, &(struct fo_metrics_label){"code", "200"}, 1, s->scrapes + 1);
	fo_metrics_value(o, &(struct fo_metrics_label){"code", "404"}, 1, s->not_found);
	fo_metrics_value(o, &(struct fo_metrics_label){"code", "400"}, 1, s->bad);
	fo_metrics_value(o, &(struct fo_metrics_label){"code", "500"}, 1, s->failed);
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_metrics_timeouts",
		"connections to this endpoint closed at their deadline");
	fo_metrics_value(o, NULL, 0, s->timeouts);
}

/** The control thread, active health checks and passive health totals. */
static void
control(struct fo_metrics_out *o, const struct app *app)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} hs[] = {
#define H(f, help) {"fanout_health_" #f, help, offsetof(struct fo_ctl_health_stats, f)}
		H(checks_sent, "active health checks sent"),
		H(checks_ok, "active health checks passed"),
		H(checks_failed, "active health checks failed"),
		H(checks_lost, "active health checks without an answer from the worker"),
		H(checks_nostate, "active health checks not run: no probe state left"),
		H(went_down, "servers marked down by active checks"),
		H(went_up, "servers marked up again"),
		H(ejections, "passive health ejections"),
		H(ejections_ended, "passive health ejections that ended"),
		H(ejections_refused, "ejections refused: over max_ejection_percent"),
		H(observations, "observations of the workers read"),
		H(failures_observed, "passive failures observed"),
		H(observations_stale, "observations about an earlier occupant of the slot"),
		H(slots_full, "servers not tracked: no free health slot"),
#undef H
	};
	unsigned i;

	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_config_watch_reloads",
		"reloads asked by a change of the config files");
	fo_metrics_value(o, NULL, 0, app->watch_reloads);
	gauge(o, "fanout_config_drains", "servers drained by fanoutctl drain", app->n_drains);
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_control_wakeups",
		"times the control thread woke up");
	fo_metrics_value(o, NULL, 0, app->ctl_wakeups);
	fo_metrics_family(
		o, FO_METRICS_COUNTER, "fanout_control_wakeups_signal", "of those, for a signal");
	fo_metrics_value(o, NULL, 0, app->ctl_eintr);
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_upstream_servers_unresolved_events",
		"upstream servers that became unresolved (no ARP answer)");
	fo_metrics_value(o, NULL, 0, app->ep_unresolved_events);
	if (app->pool != NULL) {
		gauge(o, "fanout_mbuf_pool_size", "mbufs in the pool", app->pool->size);
		/* approximate while workers run (per-lcore caches are read unlocked) */
		gauge(o, "fanout_mbuf_pool_available", "mbufs free in the pool",
			rte_mempool_avail_count(app->pool));
		gauge(o, "fanout_mbuf_pool_tcp", "mbufs of the pool set aside for TCP data",
			app->n_tcp_mbufs);
	}
	if (app->health == NULL)
		return;
	for (i = 0; i < RTE_DIM(hs); i++) {
		fo_metrics_family(o, FO_METRICS_COUNTER, hs[i].name, hs[i].help);
		fo_metrics_value(o, NULL, 0,
			*(const uint64_t *)((const char *)fo_ctl_health_stats(app->health) +
					    hs[i].off));
	}
	gauge(o, "fanout_health_slots_used", "health slots in use",
		fo_ctl_health_stats(app->health)->slots_used);
}

/** ethdev statistics of every started port. */
static void
ports(struct fo_metrics_out *o, const struct app *app)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} f[] = {
		{"fanout_port_rx_packets", "packets received by the NIC",
			offsetof(struct rte_eth_stats, ipackets)},
		{"fanout_port_tx_packets", "packets sent by the NIC",
			offsetof(struct rte_eth_stats, opackets)},
		{"fanout_port_rx_bytes", "bytes received", offsetof(struct rte_eth_stats, ibytes)},
		{"fanout_port_tx_bytes", "bytes sent", offsetof(struct rte_eth_stats, obytes)},
		{"fanout_port_rx_missed", "packets the NIC dropped: rx queues full",
			offsetof(struct rte_eth_stats, imissed)},
		{"fanout_port_rx_errors", "erroneous packets received",
			offsetof(struct rte_eth_stats, ierrors)},
		{"fanout_port_tx_errors", "packets the NIC failed to send",
			offsetof(struct rte_eth_stats, oerrors)},
		{"fanout_port_rx_nombuf", "rx mbuf allocation failures",
			offsetof(struct rte_eth_stats, rx_nombuf)},
	};
	struct rte_eth_stats st[FO_MAX_PORTS];
	int ok[FO_MAX_PORTS];
	char id[FO_MAX_PORTS][8];
	unsigned i, p;

	for (p = 0; p < app->n_active; p++) {
		ok[p] = rte_eth_stats_get(app->active[p], &st[p]) == 0;
		snprintf(id[p], sizeof(id[p]), "%u", app->active[p]);
	}
	fo_metrics_family(o, FO_METRICS_GAUGE, "fanout_port_link_up", "1 when the link is up");
	for (p = 0; p < app->n_active; p++) {
		const struct app_port *ap = &app->ports[app->active[p]];
		const struct fo_metrics_label l[2] = {{"port", id[p]}, {"name", ap->name}};

		fo_metrics_value(o, l, 2, ap->link_up ? 1 : 0);
	}
	for (i = 0; i < RTE_DIM(f); i++) {
		fo_metrics_family(o, FO_METRICS_COUNTER, f[i].name, f[i].help);
		for (p = 0; p < app->n_active; p++) {
			const struct fo_metrics_label l[2] = {
				{"port", id[p]}, {"name", app->ports[app->active[p]].name}};

			if (ok[p])
				fo_metrics_value(o, l, 2,
					*(const uint64_t *)((const char *)&st[p] + f[i].off));
		}
	}
}

/** The access log's counters (0 when it is off). */
static void
access_log(struct fo_metrics_out *o)
{
	struct acct_totals t;

	acct_totals(&t);
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_access_log_entries",
		"access log entries, by result (written; dropped: a worker's ring was full)");
	fo_metrics_value(o, &(struct fo_metrics_label){"result", "written"}, 1, t.written);
	fo_metrics_value(o, &(struct fo_metrics_label){"result", "dropped"}, 1, t.dropped);
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_access_log_write_errors",
		"write(2) calls to the access log that failed or wrote short");
	fo_metrics_value(o, NULL, 0, t.write_errors);
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_access_log_written_bytes",
		"bytes written to the access log");
	fo_metrics_value(o, NULL, 0, t.bytes);
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_access_log_reopens",
		"access log reopens (SIGUSR1), by result");
	fo_metrics_value(o, &(struct fo_metrics_label){"result", "ok"}, 1, t.reopens);
	fo_metrics_value(o, &(struct fo_metrics_label){"result", "failed"}, 1, t.reopen_errors);
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_route_keys_full",
		"routes of published configs not counted per route: the route key table was full");
	fo_metrics_value(o, NULL, 0, t.keys_full);
}

/**
 * Per route and upstream: requests by status class, and ingress-nginx's
 * histograms (its default buckets) of request and upstream time and of
 * request and response size.
 */
static int
routes(struct fo_metrics_out *o)
{
	static const char *const cls[FO_ALOG_CLASSES] = {"", "1xx", "2xx", "3xx", "4xx", "5xx"};
	struct acct_route *r = NULL, *nr;
	unsigned it = 0, n = 0, cap = 0, i, c;

	for (;;) {
		if (n == cap) {
			cap = cap != 0 ? 2 * cap : 64;
			nr = realloc(r, cap * sizeof(*r));
			if (nr == NULL) {
				free(r);
				return -ENOMEM;
			}
			r = nr;
		}
		if (!acct_route_next(&it, &r[n]))
			break;
		n++;
	}
	fo_metrics_family(o, FO_METRICS_COUNTER, "fanout_requests",
		"requests answered, by route, upstream and status class (499: the client left "
		"before an answer)");
	for (i = 0; i < n; i++) {
		for (c = 1; c < FO_ALOG_CLASSES; c++) {
			const struct fo_metrics_label l[3] = {{"route", r[i].route},
				{"upstream", r[i].upstream}, {"status", cls[c]}};

			if (r[i].s.requests[c] != 0)
				fo_metrics_value(o, l, 3, r[i].s.requests[c]);
		}
	}
	fo_metrics_family(o, FO_METRICS_HISTOGRAM, "fanout_request_duration_seconds",
		"time from the first byte of a request to the end of its response");
	for (i = 0; i < n; i++) {
		const struct fo_metrics_label l[2] = {
			{"route", r[i].route}, {"upstream", r[i].upstream}};

		fo_metrics_histogram(o, l, 2, fo_alog_lat_bounds, r[i].s.lat, FO_ALOG_LAT_BUCKETS,
			r[i].s.lat_count, (double)r[i].s.lat_sum_us * 1e-6);
	}
	fo_metrics_family(o, FO_METRICS_HISTOGRAM, "fanout_upstream_response_duration_seconds",
		"time from the first upstream attempt to the end of the response");
	for (i = 0; i < n; i++) {
		const struct fo_metrics_label l[2] = {
			{"route", r[i].route}, {"upstream", r[i].upstream}};

		fo_metrics_histogram(o, l, 2, fo_alog_lat_bounds, r[i].s.up_lat,
			FO_ALOG_LAT_BUCKETS, r[i].s.up_lat_count,
			(double)r[i].s.up_lat_sum_us * 1e-6);
	}
	fo_metrics_family(o, FO_METRICS_HISTOGRAM, "fanout_request_size_bytes",
		"request length: request line, header section and body");
	for (i = 0; i < n; i++) {
		const struct fo_metrics_label l[2] = {
			{"route", r[i].route}, {"upstream", r[i].upstream}};

		fo_metrics_histogram(o, l, 2, fo_alog_size_bounds, r[i].s.req_size,
			FO_ALOG_SIZE_BUCKETS, r[i].s.lat_count, (double)r[i].s.req_bytes);
	}
	fo_metrics_family(o, FO_METRICS_HISTOGRAM, "fanout_response_size_bytes",
		"bytes sent to the client for a request (heads and body)");
	for (i = 0; i < n; i++) {
		const struct fo_metrics_label l[2] = {
			{"route", r[i].route}, {"upstream", r[i].upstream}};

		fo_metrics_histogram(o, l, 2, fo_alog_size_bounds, r[i].s.resp_size,
			FO_ALOG_SIZE_BUCKETS, r[i].s.lat_count, (double)r[i].s.resp_bytes);
	}
	free(r);
	return 0;
}

/** The exposition (control thread, once per scrape). */
static int
render(void *arg, struct fo_metrics_out *o)
{
	const struct app *app = arg;
	const char *perr[FO_HTTP_E_MAX];
	struct app_totals t;
	unsigned i;

	stats_totals(app, &t);
	counters(o, "net", fo_net_stats_names, net_help, &t.net.rx_pkts, FO_NET_STATS_N_PLAIN);
	by_reason(o, "fanout_net_drops", "frames dropped by lib/net, by reason", fo_net_drop_names,
		t.net.drop, 0, FO_NET_DROP_MAX);
	counters(o, "tcp", fo_tcp_stats_names, tcp_help, &t.tcp.seg_rx, FO_TCP_STATS_N_PLAIN);
	by_reason(o, "fanout_tcp_drops", "segments dropped by lib/tcp, by reason",
		fo_tcp_drop_names, t.tcp.drop, 0, FO_TCP_DROP_MAX);
	gauge(o, "fanout_tcp_connections", "TCP connections allocated now", t.tcp.conns);
	gauge(o, "fanout_tcp_half_open", "TCP connections in SYN_RECEIVED now", t.tcp.half_open);
	gauge(o, "fanout_tcp_buffered", "mbufs held by TCP send and receive queues now",
		t.tcp.buffered);
	counters(o, "proxy", fo_proxy_stats_names, proxy_help, &t.proxy.accepted,
		FO_PROXY_STATS_N_PLAIN);
	perr[0] = NULL;
	for (i = 1; i < FO_HTTP_E_MAX; i++)
		perr[i] = fo_http_err_name((enum fo_http_err)i);
	by_reason(o, "fanout_proxy_parse_errors", "request heads refused by the parser, by reason",
		perr, t.proxy.parse_err, 1, FO_HTTP_E_MAX);
	gauge(o, "fanout_proxy_sessions", "client sessions in use", t.proxy.sessions);
	gauge(o, "fanout_proxy_upstream_busy", "upstream connections serving a request",
		t.proxy.upstream_busy);
	gauge(o, "fanout_proxy_upstream_idle", "upstream connections in the idle pools",
		t.proxy.upstream_idle);
	gauge(o, "fanout_proxy_tls_handshaking", "TLS handshakes in progress (half-open)",
		t.proxy.tls_handshaking);
	counters(o, "service", svc_stats_names, svc_help, &t.svc.accepted, SVC_STATS_N);
	gauge(o, "fanout_service_in_use", "service connection states in use", t.svc_in_use);
	workers(o, app);
	ports(o, app);
	reloads(o, app);
	tls_metrics(o, app);
	control(o, app);
	self(o);
	access_log(o);
	if (routes(o) != 0)
		return -ENOMEM;
	return endpoints(o, app);
}

int
metrics_init(struct app *app)
{
	const struct fo_conf *c = app->cur_conf;
	struct timespec ts;
	char a[16];
	uint32_t h = ntohl(c->metrics_addr);

	clock_gettime(CLOCK_REALTIME, &ts);
	app->last_reload_ok_s = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
	if (c->metrics_port == 0) {
		FO_LOG(INFO, "metrics off\n");
		return 0;
	}
	snprintf(a, sizeof(a), "%u.%u.%u.%u", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
	srv = fo_metrics_open(h, c->metrics_port, render, app);
	if (srv == NULL)
		return -errno;
	FO_LOG(INFO, "metrics on http://%s:%u/metrics\n", a, c->metrics_port);
	return 0;
}

unsigned
metrics_poll(void)
{
	return fo_metrics_poll(srv);
}

unsigned
metrics_pollfds(struct pollfd *fds, unsigned max)
{
	return fo_metrics_pollfds(srv, fds, max);
}

void
metrics_fini(void)
{
	fo_metrics_close(srv);
	srv = NULL;
}
