/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP wiring: one lib/tcp stack per worker with the config's limits and
 * timers, a secret shared by all of them (SYN cookies and ISNs must verify
 * on whichever worker the ACK reaches), SPSC rings between every pair of
 * workers for segments that reach the wrong one, and the ownership hash of
 * the NIC when it does RSS. Then the built-in services and their listeners,
 * the compiled routes and the HTTP proxy workers. Control thread, start-up
 * only.
 */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "app.h"

void
tcp_config_from_conf(struct fo_tcp_config *cfg, const struct fo_conf_tcp *ct)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_conns = ct->max_conns;
	cfg->max_half_open = ct->max_half_open;
	cfg->sndbuf = ct->sndbuf;
	cfg->rcvbuf = ct->rcvbuf;
	cfg->ooo_max = ct->ooo_max;
	switch (ct->syncookies) {
	case FO_CONF_SYNCOOKIES_ALWAYS:
		cfg->syncookies = FO_TCP_SYNCOOKIES_ALWAYS;
		break;
	case FO_CONF_SYNCOOKIES_OFF:
		cfg->syncookies = FO_TCP_SYNCOOKIES_OFF;
		break;
	default:
		cfg->syncookies = FO_TCP_SYNCOOKIES_AUTO;
		break;
	}
	cfg->rto_min_ms = ct->rto_min_ms;
	cfg->rto_max_ms = ct->rto_max_ms;
	cfg->rto_init_ms = ct->rto_init_ms;
	cfg->delack_ms = ct->delack_ms;
	cfg->time_wait_ms = ct->time_wait_ms;
	cfg->fin_wait2_ms = ct->fin_wait2_ms;
	cfg->keepalive_ms = ct->keepalive_ms;
	cfg->keepalive_intvl_ms = ct->keepalive_intvl_ms;
	cfg->keepalive_probes = ct->keepalive_probes;
	cfg->syn_retries = ct->syn_retries;
	cfg->max_retries = ct->max_retries;
	cfg->max_buffered = ct->max_buffered;
	cfg->local_port_min = (uint16_t)ct->local_port_min;
	cfg->local_port_max = (uint16_t)ct->local_port_max;
}

static int
tcp_rings_create(struct app *app)
{
	unsigned i, j;
	int rc;

	/* rings of mbuf pointers, as fo_tcp_peers wants */
	rc = ring_mesh_create(app, "fo_tcp", sizeof(void *), APP_TCP_RING_SIZE, app->tcp_rings);
	if (rc != 0)
		return rc;
	for (i = 0; i < app->n_workers; i++) {
		for (j = 0; j < app->n_workers; j++) {
			fo_tcp_peers(app->workers[i]->tcp)->to_peer[j] = app->tcp_rings[i][j];
			fo_tcp_peers(app->workers[j]->tcp)->from_peer[i] = app->tcp_rings[i][j];
		}
	}
	return 0;
}

/*
 * With RSS, the NIC decides which worker (queue) gets a flow: give lib/tcp
 * the NIC's own key and redirection table so that fo_tcp_owner() agrees and
 * active opens pick ports whose replies come back to the opener. Without
 * RSS (virtual NICs), lib/tcp's default hash stands and hand-off does the rest.
 */
static void
tcp_rss_setup(struct app *app)
{
	struct rte_eth_rss_reta_entry64
		reta_conf[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	uint16_t reta[RTE_ETH_RSS_RETA_SIZE_512];
	struct rte_eth_rss_conf rss_conf;
	struct rte_eth_dev_info info;
	uint8_t key[64];
	unsigned i, w;
	uint16_t k;
	int rc;

	for (k = 0; k < app->n_active; k++) {
		const struct app_port *p = &app->ports[app->active[k]];

		if (!p->rss)
			continue;
		if (rte_eth_dev_info_get(p->port_id, &info) != 0 || info.reta_size == 0 ||
			info.reta_size > RTE_ETH_RSS_RETA_SIZE_512 || info.hash_key_size == 0 ||
			info.hash_key_size > sizeof(key)) {
			FO_LOG(WARNING,
				"port %u (%s): RSS key/RETA sizes unusable; TCP keeps "
				"its default ownership hash (hand-off)\n",
				p->port_id, p->name);
			return;
		}
		memset(&rss_conf, 0, sizeof(rss_conf));
		rss_conf.rss_key = key;
		rss_conf.rss_key_len = info.hash_key_size;
		rc = rte_eth_dev_rss_hash_conf_get(p->port_id, &rss_conf);
		memset(reta_conf, 0, sizeof(reta_conf));
		for (i = 0; i < info.reta_size; i++)
			reta_conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |=
				1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		if (rc == 0)
			rc = rte_eth_dev_rss_reta_query(p->port_id, reta_conf, info.reta_size);
		if (rc != 0) {
			FO_LOG(WARNING,
				"port %u (%s): cannot read the RSS key or RETA (%s); TCP "
				"keeps its default ownership hash (hand-off)\n",
				p->port_id, p->name, strerror(-rc));
			return;
		}
		for (i = 0; i < info.reta_size; i++)
			reta[i] = reta_conf[i / RTE_ETH_RETA_GROUP_SIZE]
					  .reta[i % RTE_ETH_RETA_GROUP_SIZE];
		for (w = 0; w < app->n_workers; w++) {
			rc = fo_tcp_set_rss(app->workers[w]->tcp, key, rss_conf.rss_key_len, reta,
				info.reta_size);
			if (rc != 0) {
				FO_LOG(WARNING,
					"port %u (%s): fo_tcp_set_rss: %s; TCP keeps its "
					"default ownership hash\n",
					p->port_id, p->name, strerror(-rc));
				return;
			}
		}
		FO_LOG(INFO,
			"TCP ownership follows port %u (%s) RSS: %u-byte key, %u RETA "
			"entries\n",
			p->port_id, p->name, rss_conf.rss_key_len, info.reta_size);
		return; /* one hash for all ports: the first RSS port's */
	}
}

static int
conf_has_http(const struct fo_conf *conf)
{
	unsigned i;

	for (i = 0; i < conf->n_listens; i++)
		if (conf->listens[i].service == FO_CONF_SVC_HTTP)
			return 1;
	return 0;
}

/*
 * Compiled PCRE2 codes and regex database shards of the last compile,
 * kept by content: a reload that changes one route recompiles only what
 * that route touches (lib/route). Control thread only, like every compile
 * and every table free; without it (ENOMEM) everything is compiled.
 */
static struct fo_route_cache *route_cache;

struct fo_route_table *
routes_compile(const struct fo_conf *conf)
{
	struct fo_route_table *t;
	char err[512];

	err[0] = '\0';
	if (route_cache == NULL)
		route_cache = fo_route_cache_create();
	t = fo_route_compile_cached(conf, route_cache, err, sizeof(err));
	if (t == NULL)
		fprintf(stderr, "%s\n", err[0] != '\0' ? err : "routes: compilation failed");
	return t;
}

/*
 * Routes compiled once here, on the control thread (Hyperscan compile
 * times grow with the rule count: never on a worker), then one proxy per
 * worker with its listeners, before the ports start forwarding to workers.
 * Each proxied request holds a client and an upstream connection: sessions
 * are sized to half the TCP limit, capped (FO_PROXY_SESSIONS_CAP).
 */
static int
proxy_init(struct app *app, unsigned max_conns)
{
	unsigned i, max_sessions = RTE_MIN(max_conns / 2, (unsigned)FO_PROXY_SESSIONS_CAP);
	int rc;

	if (!conf_has_http(app->conf))
		return 0;
	rc = health_init(app); /* before the first snapshot: it maps servers to health slots */
	if (rc != 0)
		return rc;
	rc = acct_init(app); /* before the first snapshot too: its route keys */
	if (rc != 0)
		return rc;
	rc = reload_init(app); /* routes compiled, the first snapshot published */
	if (rc != 0)
		return rc;
	rc = tls_init(app); /* certificates: loaded and checked at start only */
	if (rc != 0)
		return rc;
	for (i = 0; i < app->n_workers; i++) {
		struct app_worker *w = app->workers[i];

		w->proxy = fo_proxy_worker_create(
			(const struct fo_proxy_snapshot *const *)&app->snap, w->tcp, &w->net, app->pool, i,
			RTE_MAX(max_sessions, 1u), (int)rte_lcore_to_socket_id(w->lcore_id));
		if (w->proxy == NULL)
			return errno != 0 ? -errno : -ENOMEM;
		rc = health_attach(app, i, w->proxy);
		if (rc != 0)
			return rc;
		rc = acct_attach(app, i, w->proxy);
		if (rc != 0)
			return rc;
		rc = tls_attach(app, i, w->proxy);
		if (rc != 0)
			return rc;
	}
	FO_LOG(INFO, "HTTP proxy: %u route(s), %u session(s) per worker\n",
		fo_route_count(app->routes), max_sessions);
	if (app->conf->n_passthroughs != 0 || app->conf->has_pass_default)
		FO_LOG(INFO, "SNI passthrough: %u name(s)%s%s\n", app->conf->n_passthroughs,
			app->conf->has_pass_default ? ", default upstream " : "",
			app->conf->has_pass_default
				? app->conf->upstreams[app->conf->pass_default].name
				: "");
	return 0;
}

int
tcp_init(struct app *app)
{
	const struct fo_conf *conf = app->conf;
	struct fo_tcp_config cfg;
	uint64_t r0 = rte_rand(), r1 = rte_rand();
	uint8_t secret[16];
	unsigned i, max_conns;
	int rc;

	memcpy(secret, &r0, 8);
	memcpy(secret + 8, &r1, 8);
	tcp_config_from_conf(&cfg, &conf->tcp);
	/* state for every connection lib/tcp may hold (its default limit) */
	max_conns = cfg.max_conns != 0 ? cfg.max_conns : 65536;
	for (i = 0; i < app->n_workers; i++) {
		struct app_worker *w = app->workers[i];
		int socket = (int)rte_lcore_to_socket_id(w->lcore_id);

		w->tcp = fo_tcp_worker_create(
			&cfg, &w->net, app->pool, i, app->n_workers, secret, socket);
		if (w->tcp == NULL) {
			rc = errno != 0 ? -errno : -ENOMEM;
			FO_LOG(ERR, "worker %u: fo_tcp_worker_create: %s\n", i, strerror(-rc));
			return rc;
		}
	}
	memset(secret, 0, sizeof(secret));
	rc = tcp_rings_create(app);
	if (rc != 0)
		return rc;
	tcp_rss_setup(app);

	for (i = 0; i < app->n_workers; i++) {
		struct app_worker *w = app->workers[i];

		w->svc = svc_worker_create(conf, w->tcp, &w->net, app->pool, max_conns,
			(int)rte_lcore_to_socket_id(w->lcore_id));
		if (w->svc == NULL)
			return -ENOMEM;
	}
	return proxy_init(app, max_conns);
}

void
tcp_free(struct app *app)
{
	unsigned i, j;

	for (i = 0; i < FO_MAX_WORKERS; i++) {
		struct app_worker *w = app->workers[i];

		if (w == NULL)
			continue;
		fo_tcp_worker_free(w->tcp); /* no callbacks: services and proxies freed after */
		w->tcp = NULL;
		svc_worker_free(w->svc);
		w->svc = NULL;
		fo_proxy_worker_free(w->proxy); /* before the snapshots (reload_fini()) */
		w->proxy = NULL;
	}
	for (i = 0; i < FO_MAX_WORKERS; i++) {
		for (j = 0; j < FO_MAX_WORKERS; j++) {
			struct rte_ring *r = app->tcp_rings[i][j];
			void *m;

			if (r == NULL)
				continue;
			while (rte_ring_dequeue(r, &m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(r);
			app->tcp_rings[i][j] = NULL;
		}
	}
	fo_route_cache_free(route_cache); /* tables compiled with it stay valid */
	route_cache = NULL;
}

uint64_t
tcp_worker_segments(const struct app_worker *w)
{
	const struct fo_tcp_stats *s;

	if (w->tcp == NULL)
		return 0;
	s = fo_tcp_stats(w->tcp);
	return s->seg_rx + s->seg_tx;
}
