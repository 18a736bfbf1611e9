/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What changed between two validated configs, field by field. Locations
 * (file:line:col) are not compared: moving a directive changes nothing.
 * Each compared struct has its size pinned below, so that a field added to
 * lib/conf without a line here breaks the build instead of being ignored
 * by live reload.
 */
#include <stdio.h>
#include <string.h>

#include "fo_ctl.h"

#define LOC sizeof(struct fo_conf_loc)
_Static_assert(sizeof(struct fo_conf_iface) == 80 + LOC,
	"fo_conf_iface changed: compare the new field in ifaces_differ()");
/* ... loc, tls (padded to 8) */
_Static_assert(sizeof(struct fo_conf_listen) == 32 + LOC + 8,
	"fo_conf_listen changed: compare the new field in listens_differ()");
_Static_assert(sizeof(struct fo_conf_tcp) == 20 * 4 + LOC,
	"fo_conf_tcp changed: compare the new field in tcp_differs()");
_Static_assert(sizeof(struct fo_conf_http) == 56 + LOC,
	"fo_conf_http changed: compare the new field in http_differs()");
_Static_assert(sizeof(struct fo_conf_tls) == 8 + 4 + 3 + FO_CONF_HSTS_MAX + 1 + 4 + 4 + 8,
	"fo_conf_tls changed: compare the new field in tls_differs()");
_Static_assert(sizeof(struct fo_conf_tls_cert) == 16 + LOC,
	"fo_conf_tls_cert changed: compare the new field in tls_differs()");
_Static_assert(sizeof(struct fo_conf_server) == 16 + LOC,
	"fo_conf_server changed: compare the new field in servers_differ()");
/* enabled (padded to 8), path, host, interval, timeout, expect_lo/hi, rise, fall, padding */
_Static_assert(sizeof(struct fo_conf_health_check) == 8 + 8 + 8 + 4 + 4 + 2 * 2 + 4 + 4 + 4 + LOC,
	"fo_conf_health_check changed: compare the new field in health_checks_differ()");
_Static_assert(sizeof(struct fo_conf_upstream) == FO_CONF_NAME_MAX + 8 + 4 + 10 * 4 + 4 +
			sizeof(struct fo_conf_health_check) + 2 * 4 + LOC +
			sizeof(struct fo_conf_balance),
	"fo_conf_upstream changed: compare the new field in upstream_params_differ()");
/* ... allow_upgrade, actions, matches, n_matches, priority, case_sensitive (padded to 8),
 * rewrite_prefix, rewrite_host, canaries, n_canaries, canary_weight_total, loc,
 * no_ssl_redirect, force_ssl_redirect (padded to 8) */
_Static_assert(sizeof(struct fo_conf_route) == 64 + 8 + 4 + 4 + 8 + 16 + 16 + LOC + 8,
	"fo_conf_route changed: compare the new field in routes_differ()");

static int
str_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

static int
ifaces_differ(const struct fo_conf *a, const struct fo_conf *b)
{
	unsigned i;

	if (a->n_ifaces != b->n_ifaces)
		return 1;
	for (i = 0; i < a->n_ifaces; i++) {
		const struct fo_conf_iface *x = &a->ifaces[i], *y = &b->ifaces[i];

		if (strcmp(x->dev, y->dev) != 0 || x->addr != y->addr ||
			x->prefix_len != y->prefix_len || x->gateway != y->gateway ||
			x->vlan != y->vlan || x->mtu != y->mtu)
			return 1;
	}
	return 0;
}

/* The i-th listener of @p conf whose service is (@p http) or is not (!@p http) the proxy. */
static const struct fo_conf_listen *
nth_listen(const struct fo_conf *conf, int http, unsigned n)
{
	unsigned i;

	for (i = 0; i < conf->n_listens; i++)
		if ((conf->listens[i].service == FO_CONF_SVC_HTTP) == http && n-- == 0)
			return &conf->listens[i];
	return NULL;
}

/*
 * Listeners of the proxy (@p http: address, port, tls, passthrough) or of
 * the built-in services (the others: echo, discard, source, relay).
 * @return 1 when the two lists differ.
 */
static int
listens_differ(const struct fo_conf *a, const struct fo_conf *b, int http)
{
	const struct fo_conf_listen *x, *y;
	unsigned i;

	for (i = 0;; i++) {
		x = nth_listen(a, http, i);
		y = nth_listen(b, http, i);
		if (x == NULL || y == NULL)
			return x != y;
		if (x->addr != y->addr || x->port != y->port || x->service != y->service ||
			x->size != y->size || x->tls != y->tls || x->passthrough != y->passthrough)
			return 1;
		/* a relay names its upstream by index: compare the names */
		if (x->service == FO_CONF_SVC_RELAY &&
			strcmp(a->upstreams[x->upstream].name, b->upstreams[y->upstream].name) != 0)
			return 1;
	}
}

static int
tcp_differs(const struct fo_conf_tcp *x, const struct fo_conf_tcp *y)
{
	return x->max_conns != y->max_conns || x->max_half_open != y->max_half_open ||
	       x->sndbuf != y->sndbuf || x->rcvbuf != y->rcvbuf || x->ooo_max != y->ooo_max ||
	       x->syncookies != y->syncookies || x->rto_min_ms != y->rto_min_ms ||
	       x->rto_max_ms != y->rto_max_ms || x->rto_init_ms != y->rto_init_ms ||
	       x->delack_ms != y->delack_ms || x->time_wait_ms != y->time_wait_ms ||
	       x->fin_wait2_ms != y->fin_wait2_ms || x->keepalive_ms != y->keepalive_ms ||
	       x->keepalive_intvl_ms != y->keepalive_intvl_ms ||
	       x->keepalive_probes != y->keepalive_probes || x->syn_retries != y->syn_retries ||
	       x->max_retries != y->max_retries || x->max_buffered != y->max_buffered ||
	       x->local_port_min != y->local_port_min || x->local_port_max != y->local_port_max;
}

static int
http_differs(const struct fo_conf_http *x, const struct fo_conf_http *y)
{
	return x->client_header_timeout_ms != y->client_header_timeout_ms ||
	       x->client_body_timeout_ms != y->client_body_timeout_ms ||
	       x->keepalive_timeout_ms != y->keepalive_timeout_ms ||
	       x->keepalive_requests != y->keepalive_requests ||
	       x->send_timeout_ms != y->send_timeout_ms || x->max_body_size != y->max_body_size ||
	       x->underscores_in_headers != y->underscores_in_headers ||
	       x->tls_handshake_timeout_ms != y->tls_handshake_timeout_ms ||
	       x->tls_handshakes_max != y->tls_handshakes_max ||
	       x->tls_handshakes_per_poll != y->tls_handshakes_per_poll ||
	       x->tls_handshake_split != y->tls_handshake_split;
}

static int
servers_differ(const struct fo_conf_upstream *x, const struct fo_conf_upstream *y)
{
	unsigned i;

	if (x->n_servers != y->n_servers)
		return 1;
	for (i = 0; i < x->n_servers; i++)
		if (x->servers[i].addr != y->servers[i].addr ||
			x->servers[i].port != y->servers[i].port ||
			x->servers[i].weight != y->servers[i].weight ||
			x->servers[i].drain != y->servers[i].drain)
			return 1;
	return 0;
}

/* The block's location aside; strings by content (host NULL = the server's address). */
static int
health_checks_differ(const struct fo_conf_health_check *x, const struct fo_conf_health_check *y)
{
	return x->enabled != y->enabled || str_differ(x->path, y->path) ||
	       str_differ(x->host, y->host) || x->interval_ms != y->interval_ms ||
	       x->timeout_ms != y->timeout_ms || x->expect_lo != y->expect_lo ||
	       x->expect_hi != y->expect_hi || x->rise != y->rise || x->fall != y->fall;
}

/* kind, hash_key, sticky, samesite, secure, httponly, pad, max_age, three strings, two locs */
_Static_assert(sizeof(struct fo_conf_balance) == 8 + 4 + 4 + 3 * 8 + 2 * LOC,
	"fo_conf_balance changed: compare the new field in balance_differs()");

/* `balance` and `sticky`; locations aside, a NULL path is "/" */
static int
balance_differs(const struct fo_conf_balance *x, const struct fo_conf_balance *y)
{
	return x->kind != y->kind || x->hash_key != y->hash_key || x->sticky != y->sticky ||
	       x->samesite != y->samesite || x->secure != y->secure ||
	       x->httponly != y->httponly || x->max_age != y->max_age ||
	       str_differ(x->hash_name, y->hash_name) || str_differ(x->cookie, y->cookie) ||
	       str_differ(x->path != NULL ? x->path : "/", y->path != NULL ? y->path : "/");
}

static int
upstream_params_differ(const struct fo_conf_upstream *x, const struct fo_conf_upstream *y)
{
	return health_checks_differ(&x->health_check, &y->health_check) ||
	       balance_differs(&x->balance, &y->balance) ||
	       x->max_ejection_percent != y->max_ejection_percent ||
	       x->next_upstream != y->next_upstream ||
	       x->connect_timeout_ms != y->connect_timeout_ms || x->syn_rto_ms != y->syn_rto_ms ||
	       x->read_timeout_ms != y->read_timeout_ms || x->send_timeout_ms != y->send_timeout_ms ||
	       x->keepalive != y->keepalive || x->keepalive_timeout_ms != y->keepalive_timeout_ms ||
	       x->keepalive_requests != y->keepalive_requests || x->max_fails != y->max_fails ||
	       x->fail_timeout_ms != y->fail_timeout_ms || x->tries != y->tries;
}

_Static_assert(sizeof(struct fo_conf_match) == 4 + 4 + 8 + 8 + LOC,
	"fo_conf_match changed: compare the new field in matches_differ()");

static int
matches_differ(const struct fo_conf_route *x, const struct fo_conf_route *y)
{
	unsigned i;

	if (x->n_matches != y->n_matches)
		return 1;
	for (i = 0; i < x->n_matches; i++) {
		const struct fo_conf_match *m = &x->matches[i], *n = &y->matches[i];

		if (m->kind != n->kind || m->op != n->op || str_differ(m->name, n->name) ||
			str_differ(m->value, n->value))
			return 1;
	}
	return 0;
}

static int
routes_differ(const struct fo_conf *a, const struct fo_conf *b)
{
	unsigned i;

	if (a->n_routes != b->n_routes || a->match_order != b->match_order)
		return 1;
	for (i = 0; i < a->n_routes; i++) {
		const struct fo_conf_route *x = &a->routes[i], *y = &b->routes[i];

		/* upstreams are compared by position (the route table holds indexes);
		 * the caller has checked that the upstream names line up */
		if (x->type != y->type || strcmp(x->path, y->path) != 0 ||
			str_differ(x->host, y->host) || str_differ(x->rewrite, y->rewrite) ||
			x->upstream != y->upstream || x->n_captures != y->n_captures ||
			x->max_body_size != y->max_body_size ||
			str_differ(x->allow_upgrade, y->allow_upgrade) || matches_differ(x, y) ||
			x->priority != y->priority || x->case_sensitive != y->case_sensitive ||
			str_differ(x->rewrite_prefix, y->rewrite_prefix) ||
			str_differ(x->rewrite_host, y->rewrite_host) ||
			fo_conf_canaries_differ(x, y) || x->no_ssl_redirect != y->no_ssl_redirect ||
			x->force_ssl_redirect != y->force_ssl_redirect)
			return 1;
	}
	return 0;
}

/* TLS settings: new certificate contexts, built and published live (the files'
 * contents are the application's to compare: the same paths may hold new certificates) */
static int
tls_differs(const struct fo_conf_tls *a, const struct fo_conf_tls *b)
{
	unsigned i;

	if (a->n_certs != b->n_certs || a->strict_sni != b->strict_sni ||
		a->ssl_redirect_off != b->ssl_redirect_off || a->hsts_off != b->hsts_off ||
		strcmp(a->hsts, b->hsts) != 0 || a->ticket_rotate_s != b->ticket_rotate_s ||
		str_differ(a->ticket_key_file, b->ticket_key_file))
		return 1;
	for (i = 0; i < a->n_certs; i++)
		if (strcmp(a->certs[i].chain, b->certs[i].chain) != 0 ||
			strcmp(a->certs[i].key, b->certs[i].key) != 0)
			return 1;
	return 0;
}

unsigned
fo_ctl_conf_diff(const struct fo_conf *a, const struct fo_conf *b)
{
	unsigned d = FO_CTL_DIFF_NONE, i;
	int names_line_up = a->n_upstreams == b->n_upstreams;

	/* the metrics socket is opened once, at start-up; so are the access log
	 * file and its rings (their size is the workers' staging memory) */
	if (ifaces_differ(a, b) || tcp_differs(&a->tcp, &b->tcp) ||
		a->metrics_addr != b->metrics_addr || a->metrics_port != b->metrics_port ||
		strcmp(a->access_log_path, b->access_log_path) != 0 ||
		a->access_log_format != b->access_log_format ||
		a->access_log_buffer != b->access_log_buffer)
		d |= FO_CTL_DIFF_RESTART;
	if (tls_differs(&a->tls, &b->tls))
		d |= FO_CTL_DIFF_TLS;
	if (http_differs(&a->http, &b->http))
		d |= FO_CTL_DIFF_HTTP;
	for (i = 0; names_line_up && i < a->n_upstreams; i++)
		if (strcmp(a->upstreams[i].name, b->upstreams[i].name) != 0)
			names_line_up = 0;
	if (!names_line_up) {
		/* upstreams added, removed or reordered: the routes' indexes move */
		d |= FO_CTL_DIFF_ROUTES | FO_CTL_DIFF_ENDPOINTS | FO_CTL_DIFF_UPSTREAM_PARAMS;
	} else {
		for (i = 0; i < a->n_upstreams; i++) {
			if (servers_differ(&a->upstreams[i], &b->upstreams[i]))
				d |= FO_CTL_DIFF_ENDPOINTS;
			if (upstream_params_differ(&a->upstreams[i], &b->upstreams[i]))
				d |= FO_CTL_DIFF_UPSTREAM_PARAMS;
		}
		/* actions: compared by lib/conf (redirects, header modifiers, default backends) */
		if (routes_differ(a, b) || fo_conf_actions_differ(a, b) ||
			fo_conf_passthrough_differ(a, b))
			d |= FO_CTL_DIFF_ROUTES;
	}
	/* listeners last: a relay's upstream is looked up by name on both sides. The
	 * proxy's change live (each worker opens and closes its own); services' do not */
	if (listens_differ(a, b, 0))
		d |= FO_CTL_DIFF_RESTART;
	if (listens_differ(a, b, 1))
		d |= FO_CTL_DIFF_LISTENERS;
	return d;
}

const char *
fo_ctl_diff_str(unsigned diff, char *buf, size_t len)
{
	static const char *const names[] = {"endpoints", "upstream settings", "http", "routes",
		"needs a restart (interfaces, service listeners, tcp, metrics or access_log)", "tls",
		"listeners"};
	size_t used = 0;
	unsigned i;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(diff & (1u << i)))
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
			used ? ", " : "", names[i]);
		if (used >= len)
			break;
	}
	if (diff == FO_CTL_DIFF_NONE)
		snprintf(buf, len, "nothing");
	return buf;
}
