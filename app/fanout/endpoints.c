/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Upstream servers as the workers' neighbour caches see them. The control
 * thread looks every tick: a server whose next hop failed ARP resolution on
 * the workers that tried it (and answered on none) is logged once, counted
 * (endpoints.unresolved, a gauge, and endpoints.unresolved_events), and
 * logged again once it answers. The proxy itself passes such a server over
 * (proxy.upstream_unresolved); this is the operator's view of it, also
 * served as /fanout/upstreams (fanoutctl upstreams).
 *
 * The caches belong to the workers: they are read here without locks, a
 * byte of state per entry, which is enough to report (an entry caught in
 * the middle of an update is seen right at the next tick).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "app.h"

static void
fmt_ip(rte_be32_t ip, char *buf, size_t len)
{
	uint32_t a = rte_be_to_cpu_32(ip);

	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

enum ep_state
endpoint_state(const struct app *app, rte_be32_t addr, rte_be32_t *nh_out)
{
	unsigned i, failed = 0, reachable = 0, resolving = 0;
	rte_be32_t nh = 0;

	if (app->n_workers == 0 || app->workers[0] == NULL ||
		fo_net_next_hop(&app->workers[0]->net, addr, &nh) != 0)
		return EP_NO_ROUTE;
	if (nh_out != NULL)
		*nh_out = nh;
	for (i = 0; i < app->n_workers; i++) {
		const struct fo_neigh *e;

		if (app->workers[i] == NULL)
			continue;
		e = fo_net_neigh_lookup(&app->workers[i]->net, nh);
		if (e == NULL)
			continue;
		switch (__atomic_load_n(&e->state, __ATOMIC_RELAXED)) {
		case FO_NEIGH_REACHABLE:
			reachable++;
			break;
		case FO_NEIGH_FAILED:
			failed++;
			break;
		case FO_NEIGH_INCOMPLETE:
			resolving++;
			break;
		default:
			break;
		}
	}
	if (reachable)
		return EP_REACHABLE;
	if (failed)
		return EP_UNRESOLVED;
	return resolving ? EP_RESOLVING : EP_UNKNOWN;
}

enum ep_state
endpoint_report(const struct app *app, unsigned k, rte_be32_t addr, rte_be32_t *nh)
{
	enum ep_state st = endpoint_state(app, addr, nh);

	if (st == EP_RESOLVING && app->ep_unresolved_flags != NULL &&
		__atomic_load_n(&app->ep_unresolved_flags[k], __ATOMIC_RELAXED))
		return EP_UNRESOLVED;
	return st;
}

const char *
endpoint_state_name(enum ep_state s)
{
	static const char *const names[] = {
		[EP_UNKNOWN] = "unknown",
		[EP_RESOLVING] = "resolving",
		[EP_REACHABLE] = "reachable",
		[EP_UNRESOLVED] = "unresolved",
		[EP_NO_ROUTE] = "no_route",
	};

	return (unsigned)s < RTE_DIM(names) ? names[s] : "?";
}

int
endpoints_init(struct app *app)
{
	const struct fo_conf *conf = app->cur_conf != NULL ? app->cur_conf : app->conf;
	unsigned i, n = 0;

	for (i = 0; i < conf->n_upstreams; i++)
		n += conf->upstreams[i].n_servers;
	app->ep_unresolved_flags = calloc(n ? n : 1, 1);
	return app->ep_unresolved_flags == NULL ? -ENOMEM : 0;
}

void
endpoints_reset(struct app *app)
{
	uint8_t *old = app->ep_unresolved_flags;

	/* telemetry reads the flags by the config's server numbering */
	telemetry_lock();
	if (endpoints_init(app) != 0)
		app->ep_unresolved_flags = NULL; /* no reports rather than the old numbering */
	free(old);
	telemetry_unlock();
}

void
endpoints_check(struct app *app)
{
	const struct fo_conf *conf = app->cur_conf != NULL ? app->cur_conf : app->conf;
	unsigned i, j, k = 0, unresolved = 0;

	if (app->ep_unresolved_flags == NULL)
		return;
	for (i = 0; i < conf->n_upstreams; i++) {
		const struct fo_conf_upstream *up = &conf->upstreams[i];

		for (j = 0; j < up->n_servers; j++, k++) {
			const struct fo_conf_server *srv = &up->servers[j];
			uint8_t *flag = &app->ep_unresolved_flags[k];
			char a[16], nh_s[16];
			rte_be32_t nh = 0;
			enum ep_state st = endpoint_state(app, srv->addr, &nh);

			fmt_ip(srv->addr, a, sizeof(a));
			fmt_ip(nh, nh_s, sizeof(nh_s));
			/* asked again after failing: still unresolved until it answers */
			if (st == EP_UNRESOLVED || (st == EP_RESOLVING && *flag)) {
				unresolved++;
				if (!*flag) {
					*flag = 1;
					app->ep_unresolved_events++;
					FO_LOG(WARNING,
						"upstream %s server %s:%u: next hop %s does not "
						"answer ARP; passed over while the upstream has "
						"other servers, asked again every second\n",
						up->name, a, srv->port, nh_s);
				}
			} else if (st == EP_REACHABLE && *flag) {
				*flag = 0;
				FO_LOG(NOTICE, "upstream %s server %s:%u: next hop %s answers again\n",
					up->name, a, srv->port, nh_s);
			}
		}
	}
	app->ep_unresolved = unresolved;
}

void
endpoints_free(struct app *app)
{
	free(app->ep_unresolved_flags);
	app->ep_unresolved_flags = NULL;
}
