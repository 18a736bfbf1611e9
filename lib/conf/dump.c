/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing a config back as text (fo_conf_dump), lookups, and freeing.
 *
 * The dump is normalised: one directive per line, blocks indented with a
 * tab, defaults written out (mtu, weight), strings always quoted. In the
 * `tcp` block only the values that were set are written (zero = default);
 * in the `http` block, the tuning lines of upstreams (next_upstream
 * included) and their `health_check` block (written whenever it was) only
 * the values that differ from the default, and a route's client_max_body_size only
 * when it differs from the http block's (so configs without them dump as
 * before). Sizes and durations are in their largest exact unit (256k, 2m).
 * Parsing the dump gives back an equal config; dumping that gives the same
 * text.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

void
conf_free_priv(struct conf_priv *c)
{
	struct fo_conf *pub = &c->pub;
	unsigned i;

	for (i = 0; i < pub->n_upstreams; i++) {
		free(pub->upstreams[i].servers);
		free(pub->upstreams[i].health_check.path);
		free(pub->upstreams[i].health_check.host);
		conf_free_balance(&pub->upstreams[i].balance);
	}
	conf_free_actions(pub);
	conf_free_tls(pub);
	conf_free_pass(pub);
	for (i = 0; i < pub->n_routes; i++) {
		free(pub->routes[i].path);
		free(pub->routes[i].host);
		free(pub->routes[i].rewrite);
		free(pub->routes[i].allow_upgrade);
		conf_free_matches(&pub->routes[i]);
		conf_free_canaries(&pub->routes[i]);
		free(pub->routes[i].rewrite_prefix);
		free(pub->routes[i].rewrite_host);
	}
	for (i = 0; i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	for (i = 0; i < c->n_globs; i++)
		free(c->globs[i]);
	free(c->globs);
	free(pub->ifaces);
	free(pub->listens);
	free(pub->upstreams);
	free(pub->routes);
	free(c);
}

const char *
fo_conf_source(const struct fo_conf *conf, unsigned i, int *is_glob)
{
	const struct conf_priv *c = (const struct conf_priv *)conf;

	if (is_glob != NULL)
		*is_glob = i >= c->n_files;
	if (i < c->n_files)
		return c->files[i];
	i -= c->n_files;
	return i < c->n_globs ? c->globs[i] : NULL;
}

void
fo_conf_free(struct fo_conf *conf)
{
	if (conf != NULL)
		conf_free_priv((struct conf_priv *)conf);
}

int
fo_conf_upstream_find(const struct fo_conf *conf, const char *name)
{
	unsigned i;

	for (i = 0; i < conf->n_upstreams; i++)
		if (strcmp(conf->upstreams[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *
fo_conf_path_type_name(enum fo_conf_path_type t)
{
	switch (t) {
	case FO_CONF_PATH_EXACT:
		return "exact";
	case FO_CONF_PATH_PREFIX:
		return "prefix";
	case FO_CONF_PATH_REGEX:
		return "regex";
	}
	return "?";
}

/* "..." with the two escapes the lexer knows for double quotes. */
static void
put_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void
dump_iface(FILE *out, const struct fo_conf_iface *ifc)
{
	char a[16];

	/* device names are restricted to characters that need no quotes */
	fprintf(out, "interface %s {\n", ifc->dev);
	fprintf(out, "\taddress %s/%u;\n", conf_ip4_str(ifc->addr, a), ifc->prefix_len);
	if (ifc->gateway != 0)
		fprintf(out, "\tgateway %s;\n", conf_ip4_str(ifc->gateway, a));
	if (ifc->vlan != 0)
		fprintf(out, "\tvlan %u;\n", ifc->vlan);
	fprintf(out, "\tmtu %u;\n", ifc->mtu);
	fprintf(out, "}\n\n");
}

/* "<indent>NAME VALUE;" for each value of @obj that is not the table's default; counts only
 * when @out is NULL. */
unsigned
conf_dump_params(
	FILE *out, const char *indent, const void *obj, const struct conf_param *tab, unsigned n)
{
	unsigned i, written = 0;
	uint64_t v;
	char buf[24];

	for (i = 0; i < n; i++) {
		v = conf_param_get(obj, &tab[i]);
		if (v == tab[i].def)
			continue;
		if (out != NULL)
			fprintf(out, "%s%s %s;\n", indent, tab[i].name,
				conf_param_str(&tab[i], v, buf));
		written++;
	}
	return written;
}

static void
dump_upstream(FILE *out, const struct fo_conf_upstream *u)
{
	char a[16];
	unsigned i;

	fprintf(out, "upstream %s {\n", u->name);
	for (i = 0; i < u->n_servers; i++)
		fprintf(out, "\tserver %s:%u weight=%u%s;\n", conf_ip4_str(u->servers[i].addr, a),
			u->servers[i].port, u->servers[i].weight, u->servers[i].drain ? " drain" : "");
	conf_dump_params(out, "\t", u, conf_up_params, CONF_UP_N);
	conf_dump_health(out, u);
	conf_dump_balance(out, u);
	fprintf(out, "}\n\n");
}

/* The `http` block with the values that differ from the defaults; nothing when none does. */
static void
dump_http(FILE *out, const struct fo_conf_http *http)
{
	if (conf_dump_params(NULL, "", http, conf_http_params, CONF_HTTP_N) == 0)
		return;
	fprintf(out, "http {\n");
	conf_dump_params(out, "\t", http, conf_http_params, CONF_HTTP_N);
	fprintf(out, "}\n\n");
}

static void
dump_route(FILE *out, const struct fo_conf *conf, const struct fo_conf_route *r)
{
	char sz[24];

	fprintf(out, "route %s ", fo_conf_path_type_name(r->type));
	put_quoted(out, r->path);
	fprintf(out, " {\n");
	if (r->host != NULL)
		fprintf(out, "\thost %s;\n", r->host);
	if (r->upstream < conf->n_upstreams) /* a route that only redirects has none */
		fprintf(out, "\tupstream %s;\n", conf->upstreams[r->upstream].name);
	conf_dump_matches(out, r);
	if (r->rewrite_prefix != NULL)
		fprintf(out, "\trewrite_prefix %s;\n", r->rewrite_prefix);
	if (r->rewrite_host != NULL)
		fprintf(out, "\trewrite_host %s;\n", r->rewrite_host);
	if (r->rewrite != NULL) {
		fprintf(out, "\trewrite ");
		put_quoted(out, r->rewrite);
		fprintf(out, ";\n");
	}
	if (r->allow_upgrade != NULL)
		fprintf(out, "\tallow_upgrade %s;\n", r->allow_upgrade[0] ? r->allow_upgrade : "off");
	if (r->max_body_size != conf->http.max_body_size)
		fprintf(out, "\tclient_max_body_size %s;\n",
			conf_param_str(&conf_http_params[CONF_HTTP_client_max_body_size],
				r->max_body_size, sz));
	conf_dump_actions(out, r);
	conf_dump_canaries(out, conf, r);
	if (r->no_ssl_redirect)
		fprintf(out, "\tssl_redirect off;\n");
	if (r->force_ssl_redirect)
		fprintf(out, "\tforce_ssl_redirect on;\n");
	fprintf(out, "}\n\n");
}

/* `listen A:P;` for http (the default), else with the service. */
static void
dump_listen(FILE *out, const struct fo_conf *conf, const struct fo_conf_listen *l)
{
	char a[16], sz[24];

	fprintf(out, "listen %s:%u", conf_ip4_str(l->addr, a), l->port);
	switch (l->service) {
	case FO_CONF_SVC_HTTP:
		if (l->tls)
			fprintf(out, " tls");
		if (l->passthrough)
			fprintf(out, " passthrough");
		break;
	case FO_CONF_SVC_SOURCE:
		fprintf(out, " source %s", conf_size_str(l->size, sz));
		break;
	case FO_CONF_SVC_RELAY:
		fprintf(out, " relay %s", conf->upstreams[l->upstream].name);
		break;
	default:
		fprintf(out, " %s", fo_conf_service_name(l->service));
		break;
	}
	fprintf(out, ";\n");
}

/* The `tcp` block with the values that were set; nothing when none was. */
static void
dump_tcp(FILE *out, const struct fo_conf_tcp *tcp)
{
	static const char *const cookies[] = {"auto", "always", "off"};
	struct fo_conf_tcp t = *tcp;
	unsigned i, any = 0;
	uint32_t v;
	char buf[24];

	for (i = 0; i < CONF_TCP_N; i++)
		any |= *conf_tcp_field(&t, i) != 0;
	if (!any)
		return;
	fprintf(out, "tcp {\n");
	for (i = 0; i < CONF_TCP_N; i++) {
		v = *conf_tcp_field(&t, i);
		if (v == 0)
			continue;
		if (conf_tcp_params[i].kind == CONF_VAL_SYNCOOKIES)
			snprintf(buf, sizeof(buf), "%s", v < 3 ? cookies[v] : "auto");
		else
			conf_param_str(&conf_tcp_params[i], v, buf);
		fprintf(out, "\t%s %s;\n", conf_tcp_params[i].name, buf);
	}
	fprintf(out, "}\n\n");
}

int
fo_conf_dump(const struct fo_conf *conf, FILE *out)
{
	char ma[16];
	unsigned i;

	fprintf(out, "# fanout configuration (normalised)\n\n");
	for (i = 0; i < conf->n_ifaces; i++)
		dump_iface(out, &conf->ifaces[i]);
	dump_tcp(out, &conf->tcp);
	dump_http(out, &conf->http);
	if (conf->match_order != FO_CONF_ORDER_GATEWAY)
		fprintf(out, "match_order ingress-nginx;\n\n");
	if (conf->duplicate_first)
		fprintf(out, "duplicate_routes first;\n\n");
	/* the default (127.0.0.1:9091) is left out, as the other defaults */
	if (conf->metrics_port == 0)
		fprintf(out, "metrics off;\n\n");
	else if (conf->metrics_addr != htonl(FO_CONF_METRICS_ADDR) ||
		conf->metrics_port != FO_CONF_METRICS_PORT)
		fprintf(out, "metrics %s:%u;\n\n", conf_ip4_str(conf->metrics_addr, ma),
			conf->metrics_port);
	conf_dump_access_log(out, conf);
	conf_dump_tls(out, conf);
	for (i = 0; i < conf->n_listens; i++)
		dump_listen(out, conf, &conf->listens[i]);
	if (conf->n_listens != 0)
		fputc('\n', out);
	for (i = 0; i < conf->n_upstreams; i++)
		dump_upstream(out, &conf->upstreams[i]);
	for (i = 0; i < conf->n_routes; i++)
		dump_route(out, conf, &conf->routes[i]);
	conf_dump_default_backends(out, conf);
	conf_dump_pass(out, conf);
	if (fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}
