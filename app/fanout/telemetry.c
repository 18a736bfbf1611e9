/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry commands on DPDK's socket (/var/run/dpdk/<prefix>/dpdk_telemetry.v2):
 *   /fanout/stats  totals of every lib/net counter and drop reason, per-worker
 *                  TSC accounting, per-port ethdev statistics, lib/tcp totals
 *                  and the HTTP proxy's counters ("proxy"), and "memory" (resident
 *                  memory, heap, mbufs held, connection gauges)
 *   /fanout/tcp    lib/tcp totals and drop reasons, service counters,
 *                  per-worker connections and busy cycles per segment, listeners
 *   /fanout/neigh  every worker's ARP cache
 *   /fanout/upstreams  every upstream server and the state of its next hop
 *
 * The callbacks run on DPDK's telemetry thread while workers keep writing
 * their counters. Those are naturally aligned uint64_t written by one core
 * only: on x86-64 such loads and stores are single instructions that cannot
 * tear, so a reader sees an old or a new value, never a mix. That benign race
 * is accepted for statistics (no barrier, nothing on the fast path). A
 * neighbour entry is several words: a reply may show an entry in the middle
 * of an update (e.g. the new state with the old MAC); it is a diagnostic view.
 *
 * 22.11's telemetry nests dicts inside dicts, but accepts neither an array
 * of containers as a dict value nor a dict inside an array: per-worker and
 * per-port stats are dicts keyed by worker index / port id, and neighbour
 * entries a dict keyed by a running index.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "app.h"

/** Replies must fit in the telemetry library's 16 KiB output buffer. */
#define NEIGH_MAX_ENTRIES 120

/* Telemetry callbacks carry no context: the app they read, or NULL once
 * shutdown has begun. The lock keeps workers from being freed under a reply. */
static struct app *tel_app;
static rte_spinlock_t tel_lock = RTE_SPINLOCK_INITIALIZER;

const char *
neigh_state_name(uint8_t state)
{
	switch (state) {
	case FO_NEIGH_FREE:
		return "free";
	case FO_NEIGH_INCOMPLETE:
		return "incomplete";
	case FO_NEIGH_REACHABLE:
		return "reachable";
	case FO_NEIGH_FAILED:
		return "failed";
	}
	return "unknown";
}

static void
format_ip(char *buf, size_t len, rte_be32_t ip)
{
	uint32_t a = rte_be_to_cpu_32(ip);

	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/** Add @p c to @p d under @p name; @p c is freed on failure. */
static int
add_container(struct rte_tel_data *d, const char *name, struct rte_tel_data *c)
{
	int rc = rte_tel_data_add_dict_container(d, name, c, 0);

	if (rc != 0)
		rte_tel_data_free(c);
	return rc;
}

/** Add @p n counters named @p names to dict @p d. */
static void
add_u64s(struct rte_tel_data *d, const char *const *names, const uint64_t *v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		rte_tel_data_add_dict_u64(d, names[i], v[i]);
}

/** A new dict of @p n named counters, or NULL. */
static struct rte_tel_data *
u64_dict(const char *const *names, const uint64_t *v, unsigned n)
{
	struct rte_tel_data *d = rte_tel_data_alloc();

	if (d != NULL) {
		rte_tel_data_start_dict(d);
		add_u64s(d, names, v, n);
	}
	return d;
}

static int
stats_workers(const struct app *app, struct rte_tel_data *d)
{
	struct rte_tel_data *all = rte_tel_data_alloc(), *one, *hist;
	char key[16];
	unsigned i, b;

	if (all == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(all);
	for (i = 0; i < app->n_workers; i++) {
		const struct app_worker *w = app->workers[i];

		one = rte_tel_data_alloc();
		if (one == NULL)
			break;
		rte_tel_data_start_dict(one);
		rte_tel_data_add_dict_int(one, "lcore", (int)w->lcore_id);
		rte_tel_data_add_dict_u64(one, "busy_cycles", w->busy_cycles);
		rte_tel_data_add_dict_u64(one, "idle_cycles", w->idle_cycles);
		rte_tel_data_add_dict_u64(one, "loops", w->loops);
		rte_tel_data_add_dict_u64(one, "idle_sleeps", w->idle_sleeps);
		rte_tel_data_add_dict_u64(one, "tx_sent", w->tx_pkts);
		rte_tel_data_add_dict_u64(one, "tx_dropped", w->tx_dropped);
		rte_tel_data_add_dict_u64(one, "tx_linearized", w->tx_linearized);
		hist = rte_tel_data_alloc();
		if (hist != NULL) {
			/* [b]: busy iterations of 2^(10+b) to 2^(11+b) TSC cycles */
			rte_tel_data_start_array(hist, RTE_TEL_U64_VAL);
			for (b = 0; b < APP_LOOP_HIST; b++)
				rte_tel_data_add_array_u64(hist, w->loop_hist[b]);
			add_container(one, "busy_loop_hist", hist);
		}
		snprintf(key, sizeof(key), "%u", i);
		add_container(all, key, one);
	}
	return add_container(d, "workers", all);
}

static int
stats_ports(const struct app *app, struct rte_tel_data *d)
{
	struct rte_tel_data *all = rte_tel_data_alloc(), *one;
	struct rte_eth_stats s;
	char key[16];
	uint16_t i;

	if (all == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(all);
	for (i = 0; i < app->n_active; i++) {
		const struct app_port *p = &app->ports[app->active[i]];

		if (rte_eth_stats_get(p->port_id, &s) != 0)
			continue;
		one = rte_tel_data_alloc();
		if (one == NULL)
			break;
		rte_tel_data_start_dict(one);
		rte_tel_data_add_dict_int(one, "port", p->port_id);
		rte_tel_data_add_dict_string(one, "name", p->name);
		rte_tel_data_add_dict_int(one, "configured", p->iface.configured);
		rte_tel_data_add_dict_int(one, "link_up", p->link_up);
		rte_tel_data_add_dict_u64(one, "ipackets", s.ipackets);
		rte_tel_data_add_dict_u64(one, "opackets", s.opackets);
		rte_tel_data_add_dict_u64(one, "ibytes", s.ibytes);
		rte_tel_data_add_dict_u64(one, "obytes", s.obytes);
		rte_tel_data_add_dict_u64(one, "imissed", s.imissed);
		rte_tel_data_add_dict_u64(one, "ierrors", s.ierrors);
		rte_tel_data_add_dict_u64(one, "oerrors", s.oerrors);
		rte_tel_data_add_dict_u64(one, "rx_nombuf", s.rx_nombuf);
		snprintf(key, sizeof(key), "%u", p->port_id);
		add_container(all, key, one);
	}
	return add_container(d, "ports", all);
}

/** Every lib/tcp counter, the gauges and a "drop" dict, as a dict. */
static struct rte_tel_data *
tcp_dict(const struct fo_tcp_stats *s, uint64_t drops_total)
{
	struct rte_tel_data *t = u64_dict(fo_tcp_stats_names, &s->seg_rx, FO_TCP_STATS_N_PLAIN);
	struct rte_tel_data *drop;

	if (t == NULL)
		return NULL;
	rte_tel_data_add_dict_u64(t, "conns", s->conns);
	rte_tel_data_add_dict_u64(t, "half_open", s->half_open);
	rte_tel_data_add_dict_u64(t, "buffered", s->buffered);
	drop = u64_dict(fo_tcp_drop_names, s->drop, FO_TCP_DROP_MAX);
	if (drop != NULL)
		add_container(t, "drop", drop);
	rte_tel_data_add_dict_u64(t, "drops_total", drops_total);
	return t;
}

/** Every proxy counter, a "parse_err" dict and the gauges, as a dict. */
static struct rte_tel_data *
proxy_dict(const struct fo_proxy_stats *p)
{
	struct rte_tel_data *t =
		u64_dict(fo_proxy_stats_names, &p->accepted, FO_PROXY_STATS_N_PLAIN);
	struct rte_tel_data *pe;
	unsigned i;

	if (t == NULL)
		return NULL;
	rte_tel_data_add_dict_u64(t, "sessions", p->sessions);
	rte_tel_data_add_dict_u64(t, "upstream_busy", p->upstream_busy);
	rte_tel_data_add_dict_u64(t, "upstream_idle", p->upstream_idle);
	rte_tel_data_add_dict_u64(t, "tls_handshaking", p->tls_handshaking);
	pe = rte_tel_data_alloc();
	if (pe != NULL) {
		rte_tel_data_start_dict(pe);
		for (i = 1; i < FO_HTTP_E_MAX; i++)
			rte_tel_data_add_dict_u64(
				pe, fo_http_err_name((enum fo_http_err)i), p->parse_err[i]);
		add_container(t, "parse_err", pe);
	}
	return t;
}

/* "Name:   123 kB" lines of /proc/self/status, in KiB (0 when absent). */
static void
proc_status_kb(uint64_t *rss, uint64_t *anon, uint64_t *huge)
{
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long v;

	*rss = *anon = *huge = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %llu", &v) == 1)
			*rss = v;
		else if (sscanf(line, "RssAnon: %llu", &v) == 1)
			*anon = v;
		else if (sscanf(line, "HugetlbPages: %llu", &v) == 1)
			*huge = v;
	}
	fclose(f);
}

/*
 * "memory": what fanout's connections cost, for scripts/bench --only memory:
 * the process's resident memory (its tables are calloc'ed and paged in as
 * connections first use them), EAL heap bytes allocated, mbufs out of the
 * pool and the bytes of one (header, data room, trailer), and the gauges
 * that say how many connections hold it. Read on the telemetry thread
 * (a /proc read: never on a worker).
 */
static void
stats_memory(const struct app *app, const struct app_totals *t, struct rte_tel_data *d)
{
	struct rte_tel_data *m = rte_tel_data_alloc();
	struct rte_malloc_socket_stats ms;
	uint64_t rss, anon, huge, heap = 0, obj = 0, avail = 0;
	int s;

	if (m == NULL)
		return;
	proc_status_kb(&rss, &anon, &huge);
	for (s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &ms) == 0)
			heap += ms.heap_allocsz_bytes;
	if (app->pool != NULL) {
		obj = app->pool->header_size + app->pool->elt_size + app->pool->trailer_size;
		avail = rte_mempool_avail_count(app->pool);
	}
	rte_tel_data_start_dict(m);
	rte_tel_data_add_dict_u64(m, "rss_kb", rss);
	rte_tel_data_add_dict_u64(m, "rss_anon_kb", anon);
	rte_tel_data_add_dict_u64(m, "hugetlb_kb", huge);
	rte_tel_data_add_dict_u64(m, "heap_alloc_bytes", heap);
	rte_tel_data_add_dict_u64(m, "mbufs_in_use",
		app->pool != NULL ? app->pool->size - RTE_MIN(avail, (uint64_t)app->pool->size)
				  : 0);
	rte_tel_data_add_dict_u64(m, "mbuf_bytes", obj);
	rte_tel_data_add_dict_u64(m, "tcp_buffered", t->tcp.buffered);
	rte_tel_data_add_dict_u64(m, "tcp_conns", t->tcp.conns);
	rte_tel_data_add_dict_u64(m, "sessions", t->proxy.sessions);
	rte_tel_data_add_dict_u64(m, "upstream_idle", t->proxy.upstream_idle);
	rte_tel_data_add_dict_u64(m, "upstream_busy", t->proxy.upstream_busy);
	add_container(d, "memory", m);
}

static int
cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *drop;
	struct app_totals t;
	int rc = 0;

	rte_spinlock_lock(&tel_lock);
	if (tel_app == NULL) {
		rc = -ESHUTDOWN;
		goto out;
	}
	stats_totals(tel_app, &t);
	rte_tel_data_start_dict(d);
	add_u64s(d, fo_net_stats_names, &t.net.rx_pkts, FO_NET_STATS_N_PLAIN);
	drop = u64_dict(fo_net_drop_names, t.net.drop, FO_NET_DROP_MAX);
	if (drop == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	add_container(d, "drop", drop);
	rte_tel_data_add_dict_u64(d, "drops_total", t.drops_total);
	rte_tel_data_add_dict_u64(d, "tx_sent", t.tx_pkts);
	rte_tel_data_add_dict_u64(d, "tx_dropped", t.tx_dropped);
	rte_tel_data_add_dict_u64(d, "tx_linearized", t.tx_linearized);
	rte_tel_data_add_dict_u64(d, "tx_linear_nombuf", t.tx_linear_nombuf);
	rte_tel_data_add_dict_u64(d, "tx_linear_too_long", t.tx_linear_too_long);
	{
		/* as fanout_access_log_*_total (read unlocked, as the workers' counters) */
		struct acct_totals at;

		acct_totals(&at);
		rte_tel_data_add_dict_u64(d, "access_log_written", at.written);
		rte_tel_data_add_dict_u64(d, "access_log_dropped", at.dropped);
		rte_tel_data_add_dict_u64(d, "access_log_write_errors", at.write_errors);
		rte_tel_data_add_dict_u64(d, "access_log_reopens", at.reopens);
		rte_tel_data_add_dict_u64(d, "route_keys_full", at.keys_full);
	}
	rte_tel_data_add_dict_int(d, "n_workers", (int)tel_app->n_workers);
	/* approximate while workers run (per-lcore caches are read unlocked) */
	rte_tel_data_add_dict_u64(d, "mbuf_pool_size", tel_app->pool ? tel_app->pool->size : 0);
	rte_tel_data_add_dict_u64(
		d, "mbuf_pool_avail", tel_app->pool ? rte_mempool_avail_count(tel_app->pool) : 0);
	rte_tel_data_add_dict_u64(d, "mbuf_pool_tcp", tel_app->n_tcp_mbufs);
	drop = tcp_dict(&t.tcp, t.tcp_drops_total);
	if (drop != NULL)
		add_container(d, "tcp", drop);
	drop = proxy_dict(&t.proxy);
	if (drop != NULL)
		add_container(d, "proxy", drop);
	stats_workers(tel_app, d);
	stats_ports(tel_app, d);
	stats_memory(tel_app, &t, d);
out:
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

/*
 * /fanout/tcp: {"totals": {every counter, "drop": {...}}, "services": {...},
 * "workers": {"0": {"conns": .., "busy_cycles_per_segment": ..}},
 * "listeners": {"0": {"addr": .., "port": .., "service": ..}}}.
 */
static int
cmd_tcp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *c, *one;
	struct app_totals t;
	char key[16], ip[16];
	unsigned i;
	int rc = 0;

	rte_spinlock_lock(&tel_lock);
	if (tel_app == NULL) {
		rc = -ESHUTDOWN;
		goto out;
	}
	stats_totals(tel_app, &t);
	rte_tel_data_start_dict(d);
	c = tcp_dict(&t.tcp, t.tcp_drops_total);
	if (c != NULL)
		add_container(d, "totals", c);
	c = u64_dict(svc_stats_names, &t.svc.accepted, SVC_STATS_N);
	if (c != NULL) {
		rte_tel_data_add_dict_u64(c, "in_use", t.svc_in_use);
		add_container(d, "services", c);
	}
	c = rte_tel_data_alloc();
	if (c != NULL) {
		rte_tel_data_start_dict(c);
		for (i = 0; i < tel_app->n_workers; i++) {
			const struct app_worker *w = tel_app->workers[i];
			const struct fo_tcp_stats *s = fo_tcp_stats(w->tcp);
			uint64_t segs = tcp_worker_segments(w);

			one = rte_tel_data_alloc();
			if (one == NULL)
				break;
			rte_tel_data_start_dict(one);
			rte_tel_data_add_dict_u64(one, "conns", s->conns);
			rte_tel_data_add_dict_u64(one, "half_open", s->half_open);
			rte_tel_data_add_dict_u64(one, "buffered", s->buffered);
			rte_tel_data_add_dict_u64(one, "seg_rx", s->seg_rx);
			rte_tel_data_add_dict_u64(one, "seg_tx", s->seg_tx);
			rte_tel_data_add_dict_u64(one, "handoff_tx", s->handoff_tx);
			rte_tel_data_add_dict_u64(one, "passive_opens", s->passive_opens);
			rte_tel_data_add_dict_u64(one, "handoff_rx", s->handoff_rx);
			rte_tel_data_add_dict_u64(one, "busy_cycles", w->busy_cycles);
			rte_tel_data_add_dict_u64(
				one, "busy_cycles_per_segment", segs ? w->busy_cycles / segs : 0);
			snprintf(key, sizeof(key), "%u", i);
			add_container(c, key, one);
		}
		add_container(d, "workers", c);
	}
	c = rte_tel_data_alloc();
	if (c != NULL) {
		rte_tel_data_start_dict(c);
		/* the served config's: http listeners change on reload */
		for (i = 0; i < tel_app->cur_conf->n_listens && i < 32; i++) {
			const struct fo_conf_listen *l = &tel_app->cur_conf->listens[i];

			one = rte_tel_data_alloc();
			if (one == NULL)
				break;
			rte_tel_data_start_dict(one);
			format_ip(ip, sizeof(ip), l->addr);
			rte_tel_data_add_dict_string(one, "addr", ip);
			rte_tel_data_add_dict_int(one, "port", l->port);
			rte_tel_data_add_dict_string(
				one, "service", fo_conf_service_name(l->service));
			rte_tel_data_add_dict_int(one, "open",
				l->service != FO_CONF_SVC_HTTP || tel_app->routes != NULL);
			snprintf(key, sizeof(key), "%u", i);
			add_container(c, key, one);
		}
		add_container(d, "listeners", c);
	}
out:
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

/** Add one neighbour entry as a dict under key @p idx of @p d. */
static int
neigh_add(struct rte_tel_data *d, unsigned idx, unsigned worker, const struct fo_neigh *n)
{
	struct rte_tel_data *e = rte_tel_data_alloc();
	char ip[16], mac[RTE_ETHER_ADDR_FMT_SIZE], key[16];

	if (e == NULL)
		return -ENOMEM;
	format_ip(ip, sizeof(ip), n->ip);
	rte_ether_format_addr(mac, sizeof(mac), &n->mac);
	rte_tel_data_start_dict(e);
	rte_tel_data_add_dict_int(e, "worker", (int)worker);
	rte_tel_data_add_dict_string(e, "ip", ip);
	rte_tel_data_add_dict_string(e, "mac", mac);
	rte_tel_data_add_dict_string(e, "state", neigh_state_name(n->state));
	rte_tel_data_add_dict_int(e, "port", n->port_id);
	snprintf(key, sizeof(key), "%u", idx);
	return add_container(d, key, e);
}

/*
 * {"0": {"worker": 0, "ip": "198.18.0.2", "mac": "..", "state": "reachable",
 * "port": 0}, "1": {...}, "truncated": N}. 22.11 rejects dicts inside arrays,
 * hence a dict keyed by a running index; "truncated" appears only when some
 * entries did not fit in a reply.
 */
static int
cmd_neigh(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned w, i, shown = 0, skipped = 0;
	int rc = 0;

	rte_spinlock_lock(&tel_lock);
	if (tel_app == NULL) {
		rc = -ESHUTDOWN;
		goto out;
	}
	rte_tel_data_start_dict(d);
	for (w = 0; w < tel_app->n_workers; w++) {
		const struct fo_net_worker *nw = &tel_app->workers[w]->net;

		for (i = 0; i < FO_NEIGH_SIZE; i++) {
			const struct fo_neigh *n = &nw->neigh[i];

			if (n->state == FO_NEIGH_FREE)
				continue;
			if (shown == NEIGH_MAX_ENTRIES || neigh_add(d, shown, w, n) != 0) {
				skipped++;
				continue;
			}
			shown++;
		}
	}
	if (skipped != 0)
		rte_tel_data_add_dict_u64(d, "truncated", skipped);
out:
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

/*
 * {"0": {"upstream": "django", "server": "198.18.0.11:8000", "next_hop":
 * "198.18.0.11", "state": "reachable"}, ..., "unresolved": N, "truncated": N}
 * (a dict keyed by a running index, as /fanout/neigh).
 */
static int
cmd_upstreams(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned i, j, k = 0, shown = 0, skipped = 0;
	int rc = 0;

	rte_spinlock_lock(&tel_lock);
	if (tel_app == NULL) {
		rc = -ESHUTDOWN;
		goto out;
	}
	rte_tel_data_start_dict(d);
	for (i = 0; i < tel_app->cur_conf->n_upstreams; i++) {
		const struct fo_conf_upstream *up = &tel_app->cur_conf->upstreams[i];

		for (j = 0; j < up->n_servers; j++, k++) {
			const struct fo_conf_server *srv = &up->servers[j];
			struct rte_tel_data *e;
			char ip[16], nh_s[16], addr[24], key[16];
			rte_be32_t nh = 0;
			enum ep_state st = endpoint_report(tel_app, k, srv->addr, &nh);

			if (shown == NEIGH_MAX_ENTRIES || (e = rte_tel_data_alloc()) == NULL) {
				skipped++;
				continue;
			}
			format_ip(ip, sizeof(ip), srv->addr);
			format_ip(nh_s, sizeof(nh_s), nh);
			snprintf(addr, sizeof(addr), "%s:%u", ip, srv->port);
			rte_tel_data_start_dict(e);
			rte_tel_data_add_dict_string(e, "upstream", up->name);
			rte_tel_data_add_dict_string(e, "server", addr);
			rte_tel_data_add_dict_string(e, "next_hop", nh_s);
			rte_tel_data_add_dict_string(e, "state", endpoint_state_name(st));
			snprintf(key, sizeof(key), "%u", shown);
			if (add_container(d, key, e) != 0) {
				skipped++;
				continue;
			}
			shown++;
		}
	}
	rte_tel_data_add_dict_u64(d, "unresolved", tel_app->ep_unresolved);
	if (skipped != 0)
		rte_tel_data_add_dict_u64(d, "truncated", skipped);
out:
	rte_spinlock_unlock(&tel_lock);
	return rc;
}

int
telemetry_init(struct app *app)
{
	int rc;

	rte_spinlock_lock(&tel_lock);
	tel_app = app;
	rte_spinlock_unlock(&tel_lock);
	rc = rte_telemetry_register_cmd("/fanout/stats", cmd_stats,
		"fanout counters: lib/net totals, drop reasons, workers, ports. No parameters");
	if (rc != 0)
		return rc;
	rc = rte_telemetry_register_cmd("/fanout/tcp", cmd_tcp,
		"fanout TCP: totals, drop reasons, services, per-worker connections and cycles "
		"per segment, listeners. No parameters");
	if (rc != 0)
		return rc;
	rc = rte_telemetry_register_cmd(
		"/fanout/neigh", cmd_neigh, "fanout ARP caches of every worker. No parameters");
	if (rc != 0)
		return rc;
	return rte_telemetry_register_cmd("/fanout/upstreams", cmd_upstreams,
		"fanout upstream servers and whether their next hop answers ARP. No parameters");
}

void
telemetry_lock(void)
{
	rte_spinlock_lock(&tel_lock);
}

void
telemetry_unlock(void)
{
	rte_spinlock_unlock(&tel_lock);
}

void
telemetry_detach(void)
{
	rte_spinlock_lock(&tel_lock);
	tel_app = NULL;
	rte_spinlock_unlock(&tel_lock);
}
