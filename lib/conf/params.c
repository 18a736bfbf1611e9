/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Table-driven numeric directives: the `tcp { }` and `http { }` blocks,
 * the tuning directives of `upstream` blocks (timeouts, connection pool,
 * passive health), the numbers of their `health_check { }` blocks and
 * `client_max_body_size` in routes. Each table (conf_priv.h) gives a
 * directive's field, kind, range and default; one parser, one range
 * message and one dump serve them all, so every value reads and fails the
 * same way.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "conf_priv.h"

#define TCP_PARAM(dir, field, kind, min, max)                                                      \
	[CONF_TCP_##dir] = {#dir, offsetof(struct fo_conf_tcp, field),                             \
		sizeof(((struct fo_conf_tcp *)0)->field), kind, min, max, 0},
const struct conf_param conf_tcp_params[CONF_TCP_N] = {CONF_TCP_PARAMS(TCP_PARAM)};

#define HTTP_PARAM(dir, field, kind, usage, min, max, def)                                         \
	[CONF_HTTP_##dir] = {#dir, offsetof(struct fo_conf_http, field),                           \
		sizeof(((struct fo_conf_http *)0)->field), kind, min, max, def},
const struct conf_param conf_http_params[CONF_HTTP_N] = {CONF_HTTP_PARAMS(HTTP_PARAM)};

#define UP_PARAM(dir, field, kind, usage, min, max, def)                                           \
	[CONF_UP_##dir] = {#dir, offsetof(struct fo_conf_upstream, field),                         \
		sizeof(((struct fo_conf_upstream *)0)->field), kind, min, max, def},
const struct conf_param conf_up_params[CONF_UP_N] = {CONF_UP_PARAMS(UP_PARAM)};

#define HC_PARAM(dir, field, kind, usage, min, max, def)                                           \
	[CONF_HC_##dir] = {#dir, offsetof(struct fo_conf_health_check, field),                     \
		sizeof(((struct fo_conf_health_check *)0)->field), kind, min, max, def},
const struct conf_param conf_hc_params[CONF_HC_N] = {CONF_HC_PARAMS(HC_PARAM)};

/* Fields are uint32_t (syn_cookies: an enum of that size) or uint64_t. */
#define CHECK_WIDTH(dir, field, kind, usage, min, max, def)                                        \
	_Static_assert((max) <= UINT32_MAX || sizeof(((struct fo_conf_http *)0)->field) == 8,      \
		#dir " does not fit its field");
CONF_HTTP_PARAMS(CHECK_WIDTH)
#undef CHECK_WIDTH
#define CHECK_WIDTH(dir, field, kind, usage, min, max, def)                                        \
	_Static_assert(sizeof(((struct fo_conf_upstream *)0)->field) == 4 && (max) <= UINT32_MAX,  \
		#dir " does not fit its field");
CONF_UP_PARAMS(CHECK_WIDTH)
#undef CHECK_WIDTH
#define CHECK_WIDTH(dir, field, kind, usage, min, max, def)                                        \
	_Static_assert(                                                                            \
		sizeof(((struct fo_conf_health_check *)0)->field) == 4 && (max) <= UINT32_MAX,     \
		#dir " does not fit its field");
CONF_HC_PARAMS(CHECK_WIDTH)
_Static_assert(sizeof(enum fo_conf_syncookies) == sizeof(uint32_t),
	"syn_cookies is stored through a uint32_t pointer");

static struct fo_conf *
pub(struct conf_parser *p)
{
	return &p->c->pub;
}

/* The field of @cp in the struct at @obj. */
uint64_t
conf_param_get(const void *obj, const struct conf_param *cp)
{
	const char *f = (const char *)obj + cp->off;
	uint64_t v64;
	uint32_t v32;

	if (cp->size == sizeof(v64)) {
		memcpy(&v64, f, sizeof(v64));
		return v64;
	}
	memcpy(&v32, f, sizeof(v32));
	return v32;
}

void
conf_param_set(void *obj, const struct conf_param *cp, uint64_t v)
{
	char *f = (char *)obj + cp->off;
	uint32_t v32 = (uint32_t)v; /* the range fits the field (checked above) */

	if (cp->size == sizeof(v))
		memcpy(f, &v, sizeof(v));
	else
		memcpy(f, &v32, sizeof(v32));
}

/* Every field of a table at its default. */
void
conf_params_init(void *obj, const struct conf_param *tab, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		conf_param_set(obj, &tab[i], tab[i].def);
}

/* A value as written in a config: 256k, 1m, 75s, 500ms, 1000; 0 for a zero size or duration. */
const char *
conf_param_str(const struct conf_param *cp, uint64_t v, char buf[24])
{
	if (cp->kind == CONF_VAL_ONOFF)
		return v != 0 ? "on" : "off";
	if (cp->kind == CONF_VAL_SIZE)
		return conf_size_str(v, buf);
	if ((cp->kind == CONF_VAL_DURATION || cp->kind == CONF_VAL_KEEPALIVE) && v != 0)
		return conf_duration_str(v, buf);
	snprintf(buf, 24, "%llu", (unsigned long long)v);
	return buf;
}

/* "4k..256m", "1ms..1h", "0..1h", "1s..24h or off": the range in the unit of the directive. */
static void
range_str(const struct conf_param *cp, char *buf, size_t len)
{
	char lo[24], hi[24];

	snprintf(buf, len, "%s..%s%s", conf_param_str(cp, cp->min, lo),
		conf_param_str(cp, cp->max, hi), cp->kind == CONF_VAL_KEEPALIVE ? " or off" : "");
}

/*
 * The value of @t for a count, size or duration directive (the words of
 * keepalive and syn_cookies are the caller's). Returns 0, or -1 after
 * reporting: a malformed value gets an example of the syntax, one out of
 * range gets the range.
 */
static int
parse_param(
	struct conf_parser *p, const struct conf_param *cp, const struct conf_tok *t, uint64_t *v)
{
	unsigned long num = 0;
	char range[64];
	int rc;

	switch (cp->kind) {
	case CONF_VAL_COUNT:
		rc = conf_parse_uint(t->val, t->len, (unsigned long)cp->max, &num);
		*v = num;
		break;
	case CONF_VAL_SIZE:
		rc = conf_parse_size(t->val, t->len, cp->max, v);
		if (rc == -EINVAL) {
			conf_err(p, &t->loc,
				"invalid %s \"%s\" (expected a size such as 4096, 256k or 1m)",
				cp->name, t->val);
			return -1;
		}
		break;
	default:
		rc = conf_parse_duration(t->val, t->len, cp->max, v);
		if (rc == -EINVAL) {
			conf_err(p, &t->loc,
				"invalid %s \"%s\" (expected a duration such as 500ms, 5s, 2m or "
				"1h%s)",
				cp->name, t->val, cp->kind == CONF_VAL_KEEPALIVE ? ", or off" : "");
			return -1;
		}
		break;
	}
	if (rc == 0 && *v < cp->min)
		rc = -ERANGE;
	if (rc != 0) {
		range_str(cp, range, sizeof(range));
		conf_err(p, &t->loc, "invalid %s \"%s\" (expected %s)", cp->name, t->val, range);
		return -1;
	}
	return 0;
}

/* The entry of a directive the schema already matched to this table. */
static const struct conf_param *
find_param(const struct conf_param *tab, const char *name)
{
	while (strcmp(tab->name, name) != 0)
		tab++;
	return tab;
}

void
conf_h_tcp(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	pub(p)->tcp.loc = st->tok[0].loc;
	inner->obj = 0;
}

void
conf_h_tcp_param(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	static const char *const cookies[] = {"auto", "always", "off"};
	const struct conf_param *cp = find_param(conf_tcp_params, st->tok[0].val);
	const struct conf_tok *t = &st->tok[1];
	uint64_t v;

	if (cp->kind == CONF_VAL_SYNCOOKIES) {
		for (v = 0; v < 3 && strcmp(t->val, cookies[v]) != 0; v++)
			;
		if (v == 3) {
			conf_err(p, &t->loc,
				"invalid syn_cookies \"%s\" (expected auto, always or off)",
				t->val);
			return;
		}
	} else if (cp->kind == CONF_VAL_KEEPALIVE && strcmp(t->val, "off") == 0) {
		v = 0;
	} else if (parse_param(p, cp, t, &v) != 0) {
		return;
	}
	conf_param_set(&pub(p)->tcp, cp, v);
}

/* Checks between tcp values, when both were written. */
void
conf_tcp_end(struct conf_parser *p, struct conf_block *blk)
{
	const struct fo_conf_tcp *t = &pub(p)->tcp;
	char a[24], b[24];

	if (t->max_half_open != 0 && t->max_conns != 0 && t->max_half_open > t->max_conns)
		conf_err(p, &blk->arg[CONF_TCP_max_half_open],
			"max_half_open %u exceeds max_connections %u", t->max_half_open,
			t->max_conns);
	if (t->rto_min_ms != 0 && t->rto_max_ms != 0 && t->rto_min_ms > t->rto_max_ms)
		conf_err(p, &blk->arg[CONF_TCP_rto_min], "rto_min %s exceeds rto_max %s",
			conf_duration_str(t->rto_min_ms, a), conf_duration_str(t->rto_max_ms, b));
	if (t->rto_init_ms != 0 && t->rto_min_ms != 0 && t->rto_init_ms < t->rto_min_ms)
		conf_err(p, &blk->arg[CONF_TCP_rto_initial], "rto_initial %s is below rto_min %s",
			conf_duration_str(t->rto_init_ms, a), conf_duration_str(t->rto_min_ms, b));
	if (t->rto_init_ms != 0 && t->rto_max_ms != 0 && t->rto_init_ms > t->rto_max_ms)
		conf_err(p, &blk->arg[CONF_TCP_rto_initial], "rto_initial %s exceeds rto_max %s",
			conf_duration_str(t->rto_init_ms, a), conf_duration_str(t->rto_max_ms, b));
	/* lib/tcp's defaults (10000, 65535) stand in for an unset end of the range */
	if ((t->local_port_min != 0 || t->local_port_max != 0) &&
		(t->local_port_min ? t->local_port_min : 10000u) >
			(t->local_port_max ? t->local_port_max : 65535u))
		conf_err(p,
			&blk->arg[t->local_port_min != 0 ? CONF_TCP_local_port_min
							 : CONF_TCP_local_port_max],
			"local_port_min %u%s exceeds local_port_max %u%s",
			t->local_port_min ? t->local_port_min : 10000u,
			t->local_port_min ? "" : " (default)",
			t->local_port_max ? t->local_port_max : 65535u,
			t->local_port_max ? "" : " (default)");
}

/* The defaults were set when the parser was made: the block only overrides. */
void
conf_h_http(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	pub(p)->http.loc = st->tok[0].loc;
	inner->obj = 0;
}

void
conf_h_http_param(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_param *cp = find_param(conf_http_params, st->tok[0].val);
	const struct conf_tok *t = &st->tok[1];
	uint64_t v;

	if (cp->kind == CONF_VAL_ONOFF) {
		if (strcmp(t->val, "on") != 0 && strcmp(t->val, "off") != 0) {
			conf_err(p, &t->loc, "invalid %s \"%s\" (expected on or off)", cp->name,
				t->val);
			return;
		}
		conf_param_set(&pub(p)->http, cp, strcmp(t->val, "on") == 0);
		return;
	}
	if (parse_param(p, cp, t, &v) == 0)
		conf_param_set(&pub(p)->http, cp, v);
}

/* In an upstream block (h_upstream set the defaults). */
void
conf_h_up_param(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_param *cp = find_param(conf_up_params, st->tok[0].val);
	uint64_t v;

	if (parse_param(p, cp, &st->tok[1], &v) == 0)
		conf_param_set(&pub(p)->upstreams[blk->obj], cp, v);
}

/* In a health_check block, whose obj is the upstream (conf_upstream_health_init() set defaults). */
void
conf_h_hc_param(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_param *cp = find_param(conf_hc_params, st->tok[0].val);
	uint64_t v;

	if (parse_param(p, cp, &st->tok[1], &v) == 0)
		conf_param_set(&pub(p)->upstreams[blk->obj].health_check, cp, v);
}

/*
 * client_max_body_size in a route: same syntax and range as in the http
 * block. A route without one takes the http block's, which may come later
 * in the file: conf_validate_final() fills it in.
 */
void
conf_h_route_body_size(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	uint64_t v;

	if (parse_param(p, &conf_http_params[CONF_HTTP_client_max_body_size], &st->tok[1], &v) == 0)
		pub(p)->routes[blk->obj].max_body_size = v;
}
