/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanoutctl's side in fanout: the control socket (lib/ctl) at
 * <runtime dir>/fanout.sock, polled by the control thread every tick, and
 * its commands. Text tables by default, JSON with --json.
 *
 *   status      version, pid, uptime, config, generation, reloads, workers,
 *               ports, traffic totals
 *   reload      reload the config file (as SIGHUP), say what changed or why not
 *   upstreams   every upstream server: weight, drained or not, next hop and its state
 *   drain A:P   no new request to that server (in every upstream); undrain A:P
 *   certs       TLS certificates served (names, issuer, serial, expiry, the default)
 *
 * The Prometheus endpoint (metrics.c) is polled with the control socket.
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "app.h"
#include "fo_ctl.h"

static struct fo_ctl_sock *ctl_sock;
static uint64_t start_tsc;

static void
fmt_ip(rte_be32_t ip, char *buf, size_t len)
{
	uint32_t a = rte_be_to_cpu_32(ip);

	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/** Servers of the served config: @p n[0] down, @p n[1] ejected. */
static void
health_count(const struct app *app, unsigned n[2])
{
	const struct fo_conf *conf = app->cur_conf;
	const uint8_t *table = app->health != NULL ? fo_ctl_health_table(app->health) : NULL;
	unsigned i, k = 0;

	n[0] = n[1] = 0;
	if (table == NULL || app->snap == NULL)
		return;
	for (i = 0; i < conf->n_upstreams; i++)
		k += conf->upstreams[i].n_servers;
	for (i = 0; i < k; i++) {
		uint32_t slot = app->snap->hslot[i];

		if (slot == FO_PROXY_HSLOT_NONE)
			continue;
		n[0] += (table[slot] & FO_PROXY_HEALTH_DOWN) != 0;
		n[1] += (table[slot] & FO_PROXY_HEALTH_EJECTED) != 0;
	}
}

static int
cmd_status(void *arg, int argc, char **argv, int json, struct fo_ctl_out *o)
{
	const struct app *app = arg;
	struct app_totals t;
	unsigned hc[2];
	double up = (double)(rte_rdtsc() - start_tsc) / (double)app->hz;

	(void)argv;
	if (argc != 1)
		return 2;
	stats_totals(app, &t);
	health_count(app, hc);
	if (json) {
		fo_ctl_printf(o,
			"{\"version\": \"%s\", \"pid\": %d, \"uptime_s\": %.1f, \"config\": \"%s\", "
			"\"generation\": %" PRIu64 ", \"reloads_ok\": %" PRIu64 ", "
			"\"reloads_failed\": %" PRIu64 ", \"watch_reloads\": %" PRIu64 ", "
			"\"workers\": %u, \"ports\": %u, \"connections\": %" PRIu64 ", "
			"\"requests\": %" PRIu64 ", \"responses_5xx\": %" PRIu64 ", "
			"\"endpoints_unresolved\": %" PRIu64 ", \"last_reload_publish_ms\": %.3f, "
			"\"last_reload_live_ms\": %.3f, \"snapshot_adopt_cycles\": %" PRIu64 ", "
			"\"snapshots_adopted\": %" PRIu64 ", \"servers_down\": %u, "
			"\"servers_ejected\": %u}\n",
			FO_VERSION, (int)getpid(), up, app->args.conf_path, app->gen,
			app->reloads_ok, app->reloads_failed, app->watch_reloads, app->n_workers,
			app->n_active, t.tcp.conns, t.proxy.requests, t.proxy.responses_5xx,
			app->ep_unresolved, app->publish_ms, app->live_pending ? -1.0 : app->live_ms,
			t.proxy.snapshot_adopt_cycles, t.proxy.snapshots_adopted, hc[0], hc[1]);
		return 0;
	}
	fo_ctl_printf(o, "fanout %s, pid %d, up %.1f s\n", FO_VERSION, (int)getpid(), up);
	fo_ctl_printf(o, "config      %s, generation %" PRIu64 " (reloads: %" PRIu64
		" applied, %" PRIu64 " rejected)\n", app->args.conf_path, app->gen, app->reloads_ok,
		app->reloads_failed);
	if (app->reloads_ok > 0)
		fo_ctl_printf(o, "last reload published in %.3f ms, live on every worker %s%.3f ms "
			"after it began\n", app->publish_ms, app->live_pending ? "(not yet) " : "",
			app->live_ms);
	fo_ctl_printf(o, "workers     %u, ports %u\n", app->n_workers, app->n_active);
	fo_ctl_printf(o, "connections %" PRIu64 " open\n", t.tcp.conns);
	fo_ctl_printf(o, "requests    %" PRIu64 " (%" PRIu64 " answered 5xx)\n", t.proxy.requests,
		t.proxy.responses_5xx);
	fo_ctl_printf(o, "upstream servers whose next hop does not answer ARP: %" PRIu64 "\n",
		app->ep_unresolved);
	fo_ctl_printf(o, "upstream servers down (health checks) %u, ejected (passive health) %u\n",
		hc[0], hc[1]);
	return 0;
}

/** "up", "down", "ejected", "down+ejected", or "-" (no health slot). */
static const char *
health_name(uint8_t state, int known)
{
	if (!known)
		return "-";
	switch (state & (FO_PROXY_HEALTH_DOWN | FO_PROXY_HEALTH_EJECTED)) {
	case 0:
		return "up";
	case FO_PROXY_HEALTH_DOWN:
		return "down";
	case FO_PROXY_HEALTH_EJECTED:
		return "ejected";
	default:
		return "down+ejected";
	}
}

/** The last active check of a server: its status, why it failed, or "-" (none). */
static const char *
check_name(const struct fo_ctl_health_info *hi, char *buf, size_t len)
{
	static const char *const why[] = {
		[FO_PROXY_OBS_CONNECT] = "connect",
		[FO_PROXY_OBS_RESET] = "reset",
		[FO_PROXY_OBS_TIMEOUT] = "timeout",
		[FO_PROXY_OBS_BAD] = "bad-response",
	};

	if (hi->checks == 0)
		return "-";
	if (hi->last_status != 0)
		snprintf(buf, len, "%u", hi->last_status);
	else
		snprintf(buf, len, "%s",
			hi->last_why < RTE_DIM(why) && why[hi->last_why] != NULL ? why[hi->last_why]
										 : "failed");
	return buf;
}

static int
cmd_upstreams(void *arg, int argc, char **argv, int json, struct fo_ctl_out *o)
{
	const struct app *app = arg;
	const struct fo_conf *conf = app->cur_conf;
	uint64_t now = health_now_ms(app);
	unsigned i, j, k = 0, first = 1;

	(void)argv;
	if (argc != 1)
		return 2;
	if (json)
		fo_ctl_printf(o, "[");
	else
		fo_ctl_printf(o, "%-16s %-21s %6s %7s %-12s %6s %5s %9s %7s %-12s %-15s %s\n",
			"UPSTREAM", "SERVER", "WEIGHT", "DRAINED", "HEALTH", "ACTIVE", "IDLE",
			"REQUESTS", "FAILS", "CHECK", "NEXT HOP", "STATE");
	for (i = 0; i < conf->n_upstreams; i++) {
		const struct fo_conf_upstream *up = &conf->upstreams[i];

		for (j = 0; j < up->n_servers; j++, k++) {
			const struct fo_conf_server *srv = &up->servers[j];
			char ip[16], nh_s[16], addr[24], chk[24];
			rte_be32_t nh = 0;
			enum ep_state st = endpoint_report(app, k, srv->addr, &nh);
			int drained = app->snap != NULL && app->snap->drained[k];
			uint32_t slot = app->snap != NULL ? app->snap->hslot[k] : FO_PROXY_HSLOT_NONE;
			struct fo_ctl_health_info hi;
			struct fo_proxy_ep_stats es;
			int known;

			memset(&hi, 0, sizeof(hi));
			known = slot != FO_PROXY_HSLOT_NONE &&
				fo_ctl_health_info(app->health, slot, now, &hi) == 0;
			health_ep_sum(app, slot, &es);
			fmt_ip(srv->addr, ip, sizeof(ip));
			fmt_ip(nh, nh_s, sizeof(nh_s));
			snprintf(addr, sizeof(addr), "%s:%u", ip, srv->port);
			if (json)
				fo_ctl_printf(o,
					"%s\n {\"upstream\": \"%s\", \"server\": \"%s\", "
					"\"weight\": %u, \"drained\": %s, \"health\": \"%s\", "
					"\"active\": %u, \"idle\": %u, \"requests\": %" PRIu64 ", "
					"\"failures\": %" PRIu64 ", \"checks\": %" PRIu64 ", "
					"\"checks_failed\": %" PRIu64 ", \"last_check\": \"%s\", "
					"\"ejections\": %" PRIu64 ", \"ejected_ms_left\": %" PRIu64 ", "
					"\"next_hop\": \"%s\", \"state\": \"%s\"}",
					first ? "" : ",", up->name, addr, srv->weight,
					drained ? "true" : "false", health_name(hi.state, known),
					es.active, es.idle, es.requests, es.failures, hi.checks,
					hi.checks_failed, check_name(&hi, chk, sizeof(chk)),
					hi.ejections, hi.ejected_ms_left, nh_s,
					endpoint_state_name(st));
			else
				fo_ctl_printf(o,
					"%-16s %-21s %6u %7s %-12s %6u %5u %9" PRIu64 " %7" PRIu64
					" %-12s %-15s %s\n",
					up->name, addr, srv->weight, drained ? "yes" : "no",
					health_name(hi.state, known), es.active, es.idle, es.requests,
					es.failures, check_name(&hi, chk, sizeof(chk)), nh_s,
					endpoint_state_name(st));
			first = 0;
		}
	}
	if (json)
		fo_ctl_printf(o, "%s]\n", first ? "" : "\n");
	return 0;
}

static int
cmd_reload(void *arg, int argc, char **argv, int json, struct fo_ctl_out *o)
{
	(void)argv, (void)json;
	if (argc != 1)
		return 2;
	return reload_run(arg, o);
}

/* "A.B.C.D:PORT" -> network-order address, host-order port. @return 0 or -1. */
static int
parse_endpoint(const char *s, rte_be32_t *addr, uint16_t *port)
{
	unsigned a, b, c, d, p;
	char end;

	if (sscanf(s, "%u.%u.%u.%u:%u%c", &a, &b, &c, &d, &p, &end) != 5 || a > 255 || b > 255 ||
		c > 255 || d > 255 || p == 0 || p > 65535)
		return -1;
	*addr = rte_cpu_to_be_32(a << 24 | b << 16 | c << 8 | d);
	*port = (uint16_t)p;
	return 0;
}

static int
cmd_drain(void *arg, int argc, char **argv, int json, struct fo_ctl_out *o)
{
	rte_be32_t addr;
	uint16_t port;

	(void)json;
	if (argc != 2 || parse_endpoint(argv[1], &addr, &port) != 0)
		return 2;
	return reload_drain(arg, addr, port, strcmp(argv[0], "drain") == 0, o);
}

/* A JSON string's contents (route keys may hold regex metacharacters). */
static void
json_str(struct fo_ctl_out *o, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fo_ctl_printf(o, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fo_ctl_printf(o, "\\u%04x", (unsigned char)*s);
		else
			fo_ctl_printf(o, "%c", *s);
	}
}

/* Per route and upstream: the numbers of fanout_requests_total and the histograms' sums. */
static int
cmd_routes(void *arg, int argc, char **argv, int json, struct fo_ctl_out *o)
{
	struct acct_totals t;
	struct acct_route r;
	unsigned it = 0, first = 1;

	(void)arg, (void)argv;
	if (argc != 1)
		return 2;
	acct_totals(&t);
	if (json)
		fo_ctl_printf(o, "{\"access_log\": {\"on\": %s, \"written\": %" PRIu64
			", \"dropped\": %" PRIu64 ", \"write_errors\": %" PRIu64
			", \"reopens\": %" PRIu64 "}, \"routes\": [",
			t.on ? "true" : "false", t.written, t.dropped, t.write_errors, t.reopens);
	else
		fo_ctl_printf(o, "%-32s %-16s %9s %7s %7s %7s %7s %7s %10s %10s\n", "ROUTE",
			"UPSTREAM", "REQUESTS", "1XX", "2XX", "3XX", "4XX", "5XX", "AVG_MS",
			"UP_AVG_MS");
	while (acct_route_next(&it, &r)) {
		const uint64_t *q = r.s.requests;
		double avg = r.s.lat_count ? (double)r.s.lat_sum_us / 1e3 / (double)r.s.lat_count
					   : 0,
		       up = r.s.up_lat_count
				    ? (double)r.s.up_lat_sum_us / 1e3 / (double)r.s.up_lat_count
				    : 0;

		if (json) {
			fo_ctl_printf(o, "%s\n {\"route\": \"", first ? "" : ",");
			json_str(o, r.route);
			fo_ctl_printf(o, "\", \"upstream\": \"");
			json_str(o, r.upstream);
			fo_ctl_printf(o,
				"\", \"requests\": %" PRIu64 ", \"1xx\": %" PRIu64
				", \"2xx\": %" PRIu64 ", \"3xx\": %" PRIu64 ", \"4xx\": %" PRIu64
				", \"5xx\": %" PRIu64 ", \"duration_seconds_sum\": %.6f"
				", \"upstream_requests\": %" PRIu64
				", \"upstream_duration_seconds_sum\": %.6f"
				", \"request_bytes\": %" PRIu64 ", \"response_bytes\": %" PRIu64
				"}",
				r.s.lat_count, q[1], q[2], q[3], q[4], q[5],
				(double)r.s.lat_sum_us * 1e-6, r.s.up_lat_count,
				(double)r.s.up_lat_sum_us * 1e-6, r.s.req_bytes, r.s.resp_bytes);
		} else {
			fo_ctl_printf(o,
				"%-32s %-16s %9" PRIu64 " %7" PRIu64 " %7" PRIu64 " %7" PRIu64
				" %7" PRIu64 " %7" PRIu64 " %10.3f %10.3f\n",
				r.route[0] ? r.route : "(no route)", r.upstream[0] ? r.upstream : "-",
				r.s.lat_count, q[1], q[2], q[3], q[4], q[5], avg, up);
		}
		first = 0;
	}
	if (json)
		fo_ctl_printf(o, "%s]}\n", first ? "" : "\n");
	else
		fo_ctl_printf(o, "access log: %s, %" PRIu64 " written, %" PRIu64
			" dropped (ring full), %" PRIu64 " write errors, %" PRIu64 " reopens\n",
			t.on ? "on" : "off", t.written, t.dropped, t.write_errors, t.reopens);
	return 0;
}

static int
cmd_certs(void *arg, int argc, char **argv, int json, struct fo_ctl_out *o)
{
	(void)argv;
	if (argc != 1)
		return 2;
	return tls_certs(arg, json, o);
}

static const struct fo_ctl_cmd commands[] = {
	{"certs", "certs", "TLS certificates served: names, issuer, serial, expiry, the default; "
		"ticket keys", cmd_certs},
	{"drain", "drain A.B.C.D:PORT", "no new request to that server; those in flight finish",
		cmd_drain},
	{"undrain", "undrain A.B.C.D:PORT", "back in rotation", cmd_drain},
	{"reload", "reload", "read the config file again and apply it (as SIGHUP)", cmd_reload},
	{"status", "status", "version, uptime, config, workers, traffic totals", cmd_status},
	{"upstreams", "upstreams", "every upstream server: weight, next hop and its state",
		cmd_upstreams},
	{"routes", "routes", "requests per route and upstream by status class, times, bytes; "
		"the access log's counters", cmd_routes},
};

int
control_init(struct app *app)
{
	char path[PATH_MAX];

	start_tsc = rte_rdtsc();
	if (snprintf(path, sizeof(path), "%s/fanout.sock", rte_eal_get_runtime_dir()) >=
		(int)sizeof(path))
		return -ENAMETOOLONG;
	ctl_sock = fo_ctl_sock_open(path, commands, RTE_DIM(commands), app, 0);
	if (ctl_sock == NULL)
		return -errno;
	FO_LOG(INFO, "control socket %s (fanoutctl)\n", path);
	return 0;
}

void
control_poll(struct app *app)
{
	(void)app;
	if (ctl_sock != NULL)
		fo_ctl_sock_poll(ctl_sock);
	metrics_poll(); /* connections past their deadline are closed here too */
}

unsigned
control_pollfds(struct pollfd *fds, unsigned max)
{
	/* the metrics endpoint first: a few descriptors, never crowded out */
	unsigned n = metrics_pollfds(fds, max);

	return n + fo_ctl_sock_pollfds(ctl_sock, fds + n, max - n);
}

void
control_fini(void)
{
	fo_ctl_sock_close(ctl_sock);
	ctl_sock = NULL;
}
