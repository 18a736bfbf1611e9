/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Directive schema (one table per context) and the handlers that turn
 * checked statements into the config model.
 *
 * To add a directive: add an entry to its context's table (name, usage,
 * argument counts, CONF_D_* flags) and write its handler. The parser has
 * already checked the context, block or no block, the argument count and
 * ONCE before a handler runs; handlers check the values. Numeric
 * directives (the tcp and http blocks, upstream timeouts and pool, route
 * body size) are rows of the tables in conf_priv.h, handled in params.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

/* Indices into each table, used for blk->seen[] / blk->arg[]. */
enum {
	MAIN_INTERFACE,
	MAIN_LISTEN,
	MAIN_UPSTREAM,
	MAIN_ROUTE,
	MAIN_TCP,
	MAIN_HTTP,
	MAIN_DEFAULT_BACKEND,
	MAIN_MATCH_ORDER,
	MAIN_DUPLICATE_ROUTES,
	MAIN_METRICS,
	MAIN_ACCESS_LOG,
	MAIN_TLS_CERTIFICATE,
	MAIN_STRICT_SNI,
	MAIN_SSL_REDIRECT,
	MAIN_HSTS,
	MAIN_TICKET_ROTATE,
	MAIN_TICKET_KEY_FILE,
	MAIN_PASSTHROUGH,
	MAIN_PASSTHROUGH_DEFAULT,
	MAIN_N
};
/* upstream: server, then the CONF_UP_PARAMS table, then the health directives (health.c) */
enum {
	UP_SERVER,
	UP_PARAMS,
	UP_HEALTH_CHECK = UP_PARAMS + CONF_UP_N,
	UP_NEXT_UPSTREAM,
	UP_BALANCE, /* balance.c */
	UP_STICKY,
	UP_N
};
enum {
	RT_HOST,
	RT_UPSTREAM,
	RT_REWRITE,
	RT_MAX_BODY,
	RT_ALLOW_UPGRADE,
	/* actions.c */
	RT_REDIRECT,
	RT_RETURN,
	RT_APP_ROOT,
	RT_SLASH_REDIRECT,
	RT_REQUEST_HEADER,
	RT_RESPONSE_HEADER,
	RT_FORWARDED_PREFIX,
	/* match.c */
	RT_MATCH,
	RT_PRIORITY,
	RT_CASE_SENSITIVE,
	RT_REWRITE_PREFIX,
	RT_REWRITE_HOST,
	RT_CANARY,
	RT_CANARY_WEIGHT_TOTAL,
	RT_SSL_REDIRECT,
	RT_FORCE_SSL_REDIRECT,
	RT_N
};

static struct fo_conf *
pub(struct conf_parser *p)
{
	return &p->c->pub;
}

int
conf_parse_num(struct conf_parser *p, const struct conf_tok *t, size_t off, const char *what,
	unsigned long min, unsigned long max, unsigned long *out)
{
	struct fo_conf_loc loc;

	if (conf_parse_uint(t->val + off, t->len - off, max, out) == 0 && *out >= min)
		return 0;
	loc = conf_tok_loc_at(t, off);
	conf_err(p, &loc, "invalid %s \"%s\" (expected %lu..%lu)", what, t->val + off, min, max);
	return -1;
}

/* A.B.C.D:PORT; reports and returns -1 when malformed. */
static int
parse_addr_port(struct conf_parser *p, const struct conf_tok *t, uint32_t *addr, uint16_t *port)
{
	const char *colon = strrchr(t->val, ':');
	unsigned long v;

	if (colon == NULL) {
		conf_err(p, &t->loc, "missing port in \"%s\" (expected A.B.C.D:PORT)", t->val);
		return -1;
	}
	if (conf_ip4_parse(t->val, (size_t)(colon - t->val), addr) != 0) {
		conf_err(
			p, &t->loc, "invalid IPv4 address \"%.*s\"", (int)(colon - t->val), t->val);
		return -1;
	}
	if (conf_parse_num(p, t, (size_t)(colon - t->val) + 1, "port", 1, 65535, &v) != 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* Add a reference to an upstream by name, resolved by conf_validate_final(). */
static void
add_ref(struct conf_parser *p, const struct conf_tok *t, unsigned idx, bool listen)
{
	struct conf_ref *ref;

	if (conf_push(&p->refs, p->n_refs, sizeof(*p->refs)) != 0) {
		conf_oom(p, &t->loc);
		return;
	}
	ref = &p->refs[p->n_refs];
	ref->idx = idx;
	ref->listen = listen;
	ref->dflt = false;
	ref->canary = 0;
	ref->pass = false;
	ref->loc = t->loc;
	ref->name = strdup(t->val);
	if (ref->name == NULL)
		conf_oom(p, &t->loc);
	else
		p->n_refs++; /* may be defined later */
}

#define N_SERVICES (sizeof(service_names) / sizeof(service_names[0]))

static const char *const service_names[] = {
	[FO_CONF_SVC_HTTP] = "http",
	[FO_CONF_SVC_ECHO] = "echo",
	[FO_CONF_SVC_DISCARD] = "discard",
	[FO_CONF_SVC_SOURCE] = "source",
	[FO_CONF_SVC_RELAY] = "relay",
};

const char *
fo_conf_service_name(enum fo_conf_service s)
{
	return (unsigned)s < N_SERVICES ? service_names[s] : "?";
}

/*
 * The service part of a listen statement (tokens 2..), into @l.
 * Returns 0, or -1 after reporting.
 */
static int
parse_service(struct conf_parser *p, const struct conf_stmt *st, struct fo_conf_listen *l)
{
	const struct conf_tok *t = &st->tok[2];
	unsigned i;
	int rc;

	l->service = FO_CONF_SVC_HTTP;
	if (st->n_args < 2)
		return 0;
	if (strcmp(t->val, "passthrough") == 0 && !t->quoted) {
		/* SNI passthrough: `listen A:443 passthrough;` */
		if (st->n_args > 2) {
			conf_err(p, &st->tok[3].loc, "service \"passthrough\" takes no argument");
			return -1;
		}
		l->passthrough = 1;
		return 0;
	}
	if (strcmp(t->val, "tls") == 0 && !t->quoted) {
		/* HTTP over TLS: `listen A:443 tls;`; with `passthrough`, some names spliced */
		if (st->n_args == 3 && strcmp(st->tok[3].val, "passthrough") == 0 &&
			!st->tok[3].quoted) {
			l->tls = 1;
			l->passthrough = 1;
			return 0;
		}
		if (st->n_args > 2) {
			conf_err(p, &st->tok[3].loc, "service \"tls\" takes no argument");
			return -1;
		}
		l->tls = 1;
		return 0;
	}
	for (i = 0; i < N_SERVICES && strcmp(t->val, service_names[i]) != 0; i++)
		;
	if (i == N_SERVICES) {
		conf_err(p, &t->loc,
			"unknown service \"%s\" (expected http, echo, discard, source SIZE or "
			"relay UPSTREAM)",
			t->val);
		return -1;
	}
	l->service = (enum fo_conf_service)i;
	if (i == FO_CONF_SVC_SOURCE || i == FO_CONF_SVC_RELAY) {
		if (st->n_args < 3) {
			conf_err(p, &t->loc, "service \"%s\" needs %s", t->val,
				i == FO_CONF_SVC_SOURCE ? "a size (e.g. source 64m)"
							: "an upstream (e.g. relay backends)");
			return -1;
		}
	} else if (st->n_args > 2) {
		conf_err(p, &st->tok[3].loc, "service \"%s\" takes no argument", t->val);
		return -1;
	}
	if (i != FO_CONF_SVC_SOURCE)
		return 0;
	t = &st->tok[3];
	rc = conf_parse_size(t->val, t->len, FO_CONF_SOURCE_MAX, &l->size);
	if (rc == -ERANGE)
		conf_err(p, &t->loc, "invalid source size \"%s\" (expected 0..1024g)", t->val);
	else if (rc != 0)
		conf_err(p, &t->loc,
			"invalid source size \"%s\" (expected a size such as 4096, 256k, 64m or "
			"1g)",
			t->val);
	return rc == 0 ? 0 : -1;
}

static void
h_listen(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf *c = pub(p);
	struct fo_conf_listen *l, nl;
	uint32_t addr;
	uint16_t port;
	char a[16], b[16];
	unsigned i;

	if (parse_addr_port(p, &st->tok[1], &addr, &port) != 0)
		return;
	memset(&nl, 0, sizeof(nl));
	if (parse_service(p, st, &nl) != 0)
		return;
	conf_ip4_str(addr, a);
	for (i = 0; i < c->n_listens; i++) {
		l = &c->listens[i];
		if (l->port != port || (l->addr != addr && l->addr != 0 && addr != 0))
			continue;
		if (l->addr == addr)
			conf_err(p, &st->tok[0].loc,
				"duplicate listen %s:%u (first defined at %s:%u:%u)", a, port,
				l->loc.file, l->loc.line, l->loc.col);
		else
			conf_err(p, &st->tok[0].loc,
				"listen %s:%u overlaps listen %s:%u at %s:%u:%u", a, port,
				conf_ip4_str(l->addr, b), l->port, l->loc.file, l->loc.line,
				l->loc.col);
		return;
	}
	if (conf_push(&c->listens, c->n_listens, sizeof(*c->listens)) != 0 ||
		conf_push(&p->listen_args, c->n_listens, sizeof(*p->listen_args)) != 0) {
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	if (nl.service == FO_CONF_SVC_RELAY)
		add_ref(p, &st->tok[3], c->n_listens, true);
	l = &c->listens[c->n_listens];
	*l = nl;
	l->addr = addr;
	l->port = port;
	l->loc = st->tok[0].loc;
	p->listen_args[c->n_listens++] = st->tok[1].loc;
}

static void
h_upstream(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *name = &st->tok[1];
	struct fo_conf *c = pub(p);
	struct fo_conf_upstream *u;
	int i;

	if (conf_check_name(name->val, "") != 0)
		conf_err(p, &name->loc,
			"invalid upstream name \"%s\" (letters, digits, \"_-.\"; at most %u bytes)",
			name->val, FO_CONF_NAME_MAX - 1);
	i = fo_conf_upstream_find(c, name->val);
	if (i >= 0)
		conf_err(p, &st->tok[0].loc,
			"duplicate upstream \"%s\" (first defined at %s:%u:%u)", name->val,
			c->upstreams[i].loc.file, c->upstreams[i].loc.line,
			c->upstreams[i].loc.col);
	if (conf_push(&c->upstreams, c->n_upstreams, sizeof(*c->upstreams)) != 0) {
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	u = &c->upstreams[c->n_upstreams];
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name->val);
	conf_params_init(u, conf_up_params, CONF_UP_N);
	u->loc = st->tok[0].loc;
	c->n_upstreams++; /* even without its default path: freed with the rest */
	if (conf_upstream_health_init(u) != 0) {
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	inner->obj = (int)c->n_upstreams - 1;
}

static void
h_server(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_upstream *u = &pub(p)->upstreams[blk->obj];
	unsigned errors = p->n_errors, i;
	unsigned long weight = 1;
	bool have_weight = false, drain = false;
	struct fo_conf_server *s;
	uint32_t addr;
	uint16_t port;
	char a[16];

	if (parse_addr_port(p, &st->tok[1], &addr, &port) != 0)
		return;
	conf_ip4_str(addr, a);
	if (!conf_ip4_is_unicast(addr))
		conf_err(p, &st->tok[1].loc, "server address %s is not a unicast address", a);
	for (i = 2; i < st->n; i++) {
		const struct conf_tok *o = &st->tok[i];

		if (strcmp(o->val, "drain") == 0) {
			if (drain)
				conf_err(p, &o->loc, "duplicate \"drain\" option");
			drain = true;
		} else if (strncmp(o->val, "weight=", 7) != 0)
			conf_err(p, &o->loc,
				"unknown server option \"%s\" (expected weight=N or drain)",
				o->val);
		else if (have_weight)
			conf_err(p, &o->loc, "duplicate \"weight\" option");
		else if (conf_parse_num(p, o, 7, "weight", 1, 1000, &weight) == 0)
			have_weight = true;
	}
	if (p->n_errors != errors)
		return;
	for (i = 0; i < u->n_servers; i++) {
		s = &u->servers[i];
		if (s->addr == addr && s->port == port) {
			conf_err(p, &st->tok[0].loc,
				"duplicate server %s:%u (first defined at %s:%u:%u)", a, port,
				s->loc.file, s->loc.line, s->loc.col);
			return;
		}
	}
	if (conf_push(&u->servers, u->n_servers, sizeof(*u->servers)) != 0) {
		conf_oom(p, &st->tok[0].loc);
		return;
	}
	s = &u->servers[u->n_servers++];
	s->addr = addr;
	s->port = port;
	s->weight = (uint16_t)weight;
	s->drain = drain;
	s->loc = st->tok[0].loc;
}

static void
h_route_upstream(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	add_ref(p, &st->tok[1], (unsigned)blk->obj, false);
}

static void
route_end(struct conf_parser *p, struct conf_block *blk)
{
	struct fo_conf *c = pub(p);
	const struct fo_conf_route *r = &c->routes[blk->obj];
	long first;
#define SEEN(i) (blk->seen[i] ? &blk->first[i] : NULL)
	const struct conf_route_seen seen = {SEEN(RT_REDIRECT), SEEN(RT_RETURN), SEEN(RT_APP_ROOT),
		SEEN(RT_SLASH_REDIRECT), blk->tried[RT_UPSTREAM],
		blk->tried[RT_REDIRECT] || blk->tried[RT_RETURN]};
#undef SEEN

	conf_actions_route_end(p, blk, &seen);
	conf_canary_route_end(p, blk);
	if (r->path == NULL)
		return;
	if (r->rewrite != NULL && r->rewrite_prefix != NULL)
		conf_err(p, &r->loc, "a route has either rewrite or rewrite_prefix, not both");
	first = conf_route_seen(p, (unsigned)blk->obj);
	if (first < 0)
		return;
	/* an error, or a warning with duplicate_routes first: known at the end */
	if (conf_push(&p->dups, p->n_dups, sizeof(*p->dups)) != 0) {
		conf_oom(p, &r->loc);
		return;
	}
	p->dups[p->n_dups++] = (struct conf_dup){(unsigned)blk->obj, (unsigned)first};
}

/* metrics A.B.C.D:PORT | off: the Prometheus endpoint, a kernel socket (any local address) */
static void
h_metrics(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf *c = pub(p);
	uint32_t addr;
	uint16_t port;

	(void)blk, (void)inner;
	if (strcmp(st->tok[1].val, "off") == 0) {
		c->metrics_addr = 0;
		c->metrics_port = 0;
		return;
	}
	if (parse_addr_port(p, &st->tok[1], &addr, &port) != 0)
		return;
	c->metrics_addr = addr;
	c->metrics_port = port;
}

static const struct conf_ctx ctx_upstream, ctx_route, ctx_tcp, ctx_http;

static const struct conf_directive main_dirs[MAIN_N] = {
	[MAIN_INTERFACE] = {"interface", "interface DEVICE { ... }", 1, 1, CONF_D_BLOCK,
		&conf_ctx_interface, conf_h_interface},
	[MAIN_LISTEN] = {"listen",
		"listen A.B.C.D:PORT [http|tls|echo|discard|source SIZE|relay UPSTREAM];", 1, 3, 0,
		NULL, h_listen},
	[MAIN_UPSTREAM] = {"upstream", "upstream NAME { server ...; }", 1, 1, CONF_D_BLOCK,
		&ctx_upstream, h_upstream},
	[MAIN_ROUTE] = {"route", "route exact|prefix|regex PATH { ... }", 2, 2, CONF_D_BLOCK,
		&ctx_route, conf_h_route},
	[MAIN_TCP] = {"tcp", "tcp { ... }", 0, 0, CONF_D_BLOCK | CONF_D_ONCE, &ctx_tcp, conf_h_tcp},
	[MAIN_HTTP] = {"http", "http { ... }", 0, 0, CONF_D_BLOCK | CONF_D_ONCE, &ctx_http,
		conf_h_http},
	[MAIN_DEFAULT_BACKEND] = {"default_backend", "default_backend UPSTREAM [host NAME];", 1, 3,
		0, NULL, conf_h_default_backend},
	[MAIN_MATCH_ORDER] = {"match_order", "match_order gateway|ingress-nginx;", 1, 1,
		CONF_D_ONCE, NULL, conf_h_match_order},
	[MAIN_DUPLICATE_ROUTES] = {"duplicate_routes", "duplicate_routes error|first;", 1, 1,
		CONF_D_ONCE, NULL, conf_h_duplicate_routes},
	[MAIN_METRICS] = {"metrics", "metrics A.B.C.D:PORT|off;", 1, 1, CONF_D_ONCE, NULL,
		h_metrics},
	[MAIN_ACCESS_LOG] = {"access_log",
		"access_log PATH [format=upstreaminfo|json] [buffer=N]|off;", 1, 3, CONF_D_ONCE,
		NULL, conf_h_access_log},
	[MAIN_TLS_CERTIFICATE] = {"tls_certificate", "tls_certificate CHAIN.pem KEY.pem;", 2, 2,
		0, NULL, conf_h_tls_certificate},
	[MAIN_STRICT_SNI] = {"strict_sni", "strict_sni on|off;", 1, 1, CONF_D_ONCE, NULL,
		conf_h_tls_flag},
	[MAIN_SSL_REDIRECT] = {"ssl_redirect", "ssl_redirect on|off;", 1, 1, CONF_D_ONCE, NULL,
		conf_h_tls_flag},
	[MAIN_HSTS] = {"hsts", "hsts VALUE|off;", 1, 1, CONF_D_ONCE, NULL, conf_h_hsts},
	[MAIN_TICKET_ROTATE] = {"tls_ticket_rotate", "tls_ticket_rotate DURATION;", 1, 1,
		CONF_D_ONCE, NULL, conf_h_ticket_rotate},
	[MAIN_TICKET_KEY_FILE] = {"tls_ticket_key_file", "tls_ticket_key_file PATH;", 1, 1,
		CONF_D_ONCE, NULL, conf_h_ticket_key_file},
	[MAIN_PASSTHROUGH] = {"passthrough", "passthrough NAME { upstream UPSTREAM; }", 1, 1,
		CONF_D_BLOCK, &conf_ctx_passthrough, conf_h_passthrough},
	[MAIN_PASSTHROUGH_DEFAULT] = {"passthrough_default", "passthrough_default UPSTREAM;", 1, 1,
		CONF_D_ONCE, NULL, conf_h_passthrough_default},
};

#define UP_DIR(dir, field, kind, usage, min, max, def)                                             \
	[UP_PARAMS + CONF_UP_##dir] = {                                                            \
		#dir, #dir " " usage ";", 1, 1, CONF_D_ONCE, NULL, conf_h_up_param},
static const struct conf_directive upstream_dirs[UP_N] = {
	[UP_SERVER] = {"server", "server A.B.C.D:PORT [weight=N] [drain];", 1, CONF_LIST_MAX, 0,
		NULL, h_server},
	CONF_UP_PARAMS(UP_DIR)[UP_HEALTH_CHECK] = {"health_check", "health_check { ... }", 0, 0,
		CONF_D_BLOCK | CONF_D_ONCE, &conf_ctx_health_check, conf_h_health_check},
	[UP_NEXT_UPSTREAM] = {"next_upstream", "next_upstream CONDITION...|off;", 1, CONF_ARGS_MAX,
		CONF_D_ONCE, NULL, conf_h_next_upstream},
	[UP_BALANCE] = {"balance", "balance round_robin|least_conn|ewma|random|hash KEY...;", 1, 4,
		CONF_D_ONCE, NULL, conf_h_balance},
	[UP_STICKY] = {"sticky", "sticky cookie NAME [path=/P] [max_age=SECONDS] "
		"[samesite=lax|strict|none] [secure] [httponly];", 1, 7, CONF_D_ONCE, NULL,
		conf_h_sticky},
};

static const struct conf_directive route_dirs[RT_N] = {
	[RT_HOST] = {"host", "host NAME;", 1, 1, CONF_D_ONCE, NULL, conf_h_host},
	/* required unless the route redirects: conf_actions_route_end() */
	[RT_UPSTREAM] = {"upstream", "upstream NAME;", 1, 1, CONF_D_ONCE, NULL, h_route_upstream},
	[RT_REWRITE] = {"rewrite", "rewrite TARGET;", 1, 1, CONF_D_ONCE, NULL, conf_h_rewrite},
	[RT_MAX_BODY] = {"client_max_body_size", "client_max_body_size SIZE;", 1, 1, CONF_D_ONCE,
		NULL, conf_h_route_body_size},
	[RT_ALLOW_UPGRADE] = {"allow_upgrade", "allow_upgrade PROTOCOL...|off;", 1, CONF_LIST_MAX,
		CONF_D_ONCE, NULL, conf_h_allow_upgrade},
	[RT_REDIRECT] = {"redirect", "redirect { status N; scheme S; host H; port N; path P; }", 0,
		0, CONF_D_BLOCK | CONF_D_ONCE, &conf_ctx_redirect, conf_h_redirect},
	[RT_RETURN] = {"return", "return 301|302|303|307|308 URL;", 2, 2, CONF_D_ONCE, NULL,
		conf_h_return},
	[RT_APP_ROOT] = {"app_root", "app_root PATH;", 1, 1, CONF_D_ONCE, NULL, conf_h_app_root},
	[RT_SLASH_REDIRECT] = {"slash_redirect", "slash_redirect on|off;", 1, 1, CONF_D_ONCE, NULL,
		conf_h_slash_redirect},
	[RT_REQUEST_HEADER] = {"request_header", "request_header set|add NAME VALUE | remove NAME;",
		2, 3, 0, NULL, conf_h_header_mod},
	[RT_RESPONSE_HEADER] = {"response_header",
		"response_header set|add NAME VALUE | remove NAME;", 2, 3, 0, NULL,
		conf_h_header_mod},
	[RT_FORWARDED_PREFIX] = {"forwarded_prefix", "forwarded_prefix VALUE;", 1, 1, CONF_D_ONCE,
		NULL, conf_h_forwarded_prefix},
	[RT_MATCH] = {"match",
		"match method M...; or match header|query|cookie NAME [VALUE|~ REGEX];", 1,
		CONF_ARGS_MAX, 0, NULL, conf_h_match},
	[RT_PRIORITY] = {"priority", "priority N;", 1, 1, CONF_D_ONCE, NULL, conf_h_priority},
	[RT_CASE_SENSITIVE] = {"case_sensitive", "case_sensitive on|off;", 1, 1, CONF_D_ONCE, NULL,
		conf_h_case_sensitive},
	[RT_REWRITE_PREFIX] = {"rewrite_prefix", "rewrite_prefix /PATH;", 1, 1, CONF_D_ONCE, NULL,
		conf_h_rewrite_prefix},
	[RT_REWRITE_HOST] = {"rewrite_host", "rewrite_host NAME;", 1, 1, CONF_D_ONCE, NULL,
		conf_h_rewrite_host},
	[RT_CANARY] = {"canary",
		"canary UPSTREAM { weight N; header NAME [VALUE|~ REGEX]; cookie NAME; }", 1, 1,
		CONF_D_BLOCK, &conf_ctx_canary, conf_h_canary},
	[RT_CANARY_WEIGHT_TOTAL] = {"canary_weight_total", "canary_weight_total N;", 1, 1,
		CONF_D_ONCE, NULL, conf_h_canary_weight_total},
	[RT_SSL_REDIRECT] = {"ssl_redirect", "ssl_redirect on|off;", 1, 1, CONF_D_ONCE, NULL,
		conf_h_route_ssl_redirect},
	[RT_FORCE_SSL_REDIRECT] = {"force_ssl_redirect", "force_ssl_redirect on|off;", 1, 1,
		CONF_D_ONCE, NULL, conf_h_route_force_ssl_redirect},
};

#define TCP_DIR(dir, field, kind, min, max)                                                        \
	[CONF_TCP_##dir] = {#dir, #dir " VALUE;", 1, 1, CONF_D_ONCE, NULL, conf_h_tcp_param},
static const struct conf_directive tcp_dirs[CONF_TCP_N] = {CONF_TCP_PARAMS(TCP_DIR)};

#define HTTP_DIR(dir, field, kind, usage, min, max, def)                                           \
	[CONF_HTTP_##dir] = {#dir, #dir " " usage ";", 1, 1, CONF_D_ONCE, NULL, conf_h_http_param},
static const struct conf_directive http_dirs[CONF_HTTP_N] = {CONF_HTTP_PARAMS(HTTP_DIR)};

const struct conf_ctx conf_ctx_main = {"main", "at top level", main_dirs, MAIN_N, NULL};
static const struct conf_ctx ctx_upstream = {
	"upstream", "in upstream block", upstream_dirs, UP_N, NULL};
static const struct conf_ctx ctx_route = {"route", "in route block", route_dirs, RT_N, route_end};
static const struct conf_ctx ctx_tcp = {"tcp", "in tcp block", tcp_dirs, CONF_TCP_N, conf_tcp_end};
static const struct conf_ctx ctx_http = {"http", "in http block", http_dirs, CONF_HTTP_N, NULL};

const struct conf_ctx *const conf_ctxs[] = {&conf_ctx_main, &conf_ctx_interface, &ctx_upstream,
	&ctx_route, &ctx_tcp, &ctx_http, &conf_ctx_health_check};
const unsigned conf_n_ctxs = sizeof(conf_ctxs) / sizeof(conf_ctxs[0]);

_Static_assert(MAIN_N <= CONF_CTX_DIRS_MAX &&
		       UP_N <= CONF_CTX_DIRS_MAX && RT_N <= CONF_CTX_DIRS_MAX &&
		       CONF_TCP_N <= CONF_CTX_DIRS_MAX && CONF_HTTP_N <= CONF_CTX_DIRS_MAX,
	"raise CONF_CTX_DIRS_MAX");
