/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which server of its upstream takes a request: the upstream's `balance`
 * algorithm (lib/balance) over the servers health, drain and next hops
 * leave (proxy_upstream.c says which may), after the endpoint a sticky
 * cookie names; and the Set-Cookie that pins a client.
 *
 * The control thread prepares everything with the snapshot: each
 * endpoint's identity (a hash of address:port, what a sticky cookie
 * carries, so that it means the same endpoint on every worker and after
 * any reload or restart), the Maglev table of each `hash` upstream (shared
 * read-only by the workers), and per worker the balancer state of every
 * upstream. Workers keep each endpoint's in-flight count and latency EWMA
 * in their endpoint table (struct px_server), so they survive reloads.
 *
 * A request of a `hash` upstream without its key (no such header or
 * cookie) goes round-robin (counted: balance_hash_no_key).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_priv.h"

struct px_bal_snap {
	uint64_t *ids;     /* [n_servers] endpoint identities, flattened by upstream */
	uint16_t **maglev; /* [n_upstreams] the Maglev table of a hash upstream, else NULL */
	unsigned n_upstreams; /* of maglev[]: freed without the config, which may be gone first */
	unsigned mods_cap;    /* the most response modifiers of a route, + 1 */
};

/* ---- control thread ---- */

int
px_bal_snap_init(struct fo_proxy_snapshot *snap)
{
	const struct fo_conf *conf = snap->conf;
	struct px_bal_snap *bs = calloc(1, sizeof(*bs));
	unsigned i, j, first = 0;

	snap->bal = bs;
	if (bs == NULL)
		return -ENOMEM;
	bs->ids = calloc(snap->n_servers ? snap->n_servers : 1, sizeof(*bs->ids));
	bs->maglev = calloc(conf->n_upstreams ? conf->n_upstreams : 1, sizeof(*bs->maglev));
	if (bs->ids == NULL || bs->maglev == NULL)
		return -ENOMEM;
	bs->n_upstreams = conf->n_upstreams;
	for (i = 0; i < snap->n_servers; i++)
		bs->ids[i] = fo_bal_endpoint_id(snap->srvs[i].addr, snap->srvs[i].port);
	bs->mods_cap = 1;
	for (i = 0; i < conf->n_routes; i++)
		if (conf->routes[i].actions != NULL &&
			conf->routes[i].actions->n_resp_mods + 1 > bs->mods_cap)
			bs->mods_cap = conf->routes[i].actions->n_resp_mods + 1;
	for (i = 0; i < conf->n_upstreams; first += conf->upstreams[i].n_servers, i++) {
		const struct fo_conf_upstream *u = &conf->upstreams[i];
		uint32_t w[FO_BAL_MAGLEV_SERVERS_MAX < 4096 ? FO_BAL_MAGLEV_SERVERS_MAX : 4096];
		uint32_t *weights = w;
		int rc;

		/* beyond what a table holds, the key picks modulo the servers (fo_bal_hash()) */
		if (u->balance.kind != FO_CONF_BAL_HASH || u->n_servers == 0 ||
			u->n_servers > FO_BAL_MAGLEV_SERVERS_MAX)
			continue;
		if (u->n_servers > sizeof(w) / sizeof(w[0])) {
			weights = malloc(u->n_servers * sizeof(*weights));
			if (weights == NULL)
				return -ENOMEM;
		}
		for (j = 0; j < u->n_servers; j++)
			weights[j] = u->servers[j].weight;
		bs->maglev[i] = malloc(FO_BAL_MAGLEV_SIZE * sizeof(uint16_t));
		rc = bs->maglev[i] == NULL ? -ENOMEM
					   : fo_bal_maglev_build(bs->maglev[i], FO_BAL_MAGLEV_SIZE,
						     bs->ids + first, weights, u->n_servers);
		if (weights != w)
			free(weights);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
px_bal_snap_free(struct fo_proxy_snapshot *snap)
{
	struct px_bal_snap *bs = snap->bal;
	unsigned i;

	if (bs == NULL)
		return;
	for (i = 0; bs->maglev != NULL && i < bs->n_upstreams; i++)
		free(bs->maglev[i]);
	free(bs->maglev);
	free(bs->ids);
	free(bs);
	snap->bal = NULL;
}

int
px_bal_view_init(const struct fo_proxy_snapshot *snap, struct px_view *v, unsigned worker)
{
	const struct fo_conf *conf = snap->conf;
	const struct px_bal_snap *bs = snap->bal;
	unsigned j, k, first = 0;

	v->bal_ups = calloc(conf->n_upstreams ? conf->n_upstreams : 1, sizeof(*v->bal_ups));
	v->bal_srv = calloc(snap->n_servers ? snap->n_servers : 1, sizeof(*v->bal_srv));
	v->mods = calloc(bs->mods_cap, sizeof(*v->mods));
	if (v->bal_ups == NULL || v->bal_srv == NULL || v->mods == NULL)
		return -ENOMEM;
	for (j = 0; j < conf->n_upstreams; j++) {
		const struct fo_conf_upstream *u = &conf->upstreams[j];

		for (k = 0; k < u->n_servers; k++)
			v->bal_srv[first + k].weight = u->servers[k].weight;
		/* workers start at different points of the round-robin sequence:
		 * fewer simultaneous first hits on one server */
		fo_bal_up_init(&v->bal_ups[j], &v->bal_srv[first], u->n_servers, worker);
		v->bal_ups[j].maglev = bs->maglev[j];
		v->bal_ups[j].maglev_size = bs->maglev[j] != NULL ? FO_BAL_MAGLEV_SIZE : 0;
		first += u->n_servers;
	}
	return 0;
}

void
px_bal_view_free(struct px_view *v)
{
	free(v->bal_ups);
	free(v->bal_srv);
	free(v->mods);
}

/* ---- request side (worker) ---- */

static int
name_is(const uint8_t *head, const struct fo_http_span *n, const char *lower, size_t len)
{
	size_t i;

	if (n->len != len)
		return 0;
	for (i = 0; i < len; i++) {
		uint8_t c = head[n->off + i];

		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (uint8_t)lower[i])
			return 0;
	}
	return 1;
}

/*
 * The value of the first cookie named @p name (case-sensitive) in the
 * request's Cookie fields ("a=1; b=2", RFC 6265 4.2.1; lenient about
 * spaces). @return its length, *val set, or -1 when absent.
 */
static long
cookie_find(const uint8_t *head, const struct fo_http_msg *msg, const char *name, size_t nlen,
	const uint8_t **val)
{
	unsigned h;

	for (h = 0; h < msg->n_headers; h++) {
		const struct fo_http_hdr *f = &msg->hdrs[h];
		const uint8_t *p, *end;

		if (!name_is(head, &f->name, "cookie", 6))
			continue;
		p = head + f->value.off;
		end = p + f->value.len;
		while (p < end) {
			const uint8_t *n0, *v0, *v1;

			while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
				p++;
			n0 = p;
			while (p < end && *p != '=' && *p != ';')
				p++;
			if (p == end || *p != '=')
				continue;
			v0 = ++p;
			while (p < end && *p != ';')
				p++;
			v1 = p;
			while (v1 > v0 && (v1[-1] == ' ' || v1[-1] == '\t'))
				v1--;
			if ((size_t)(v0 - 1 - n0) == nlen && memcmp(n0, name, nlen) == 0) {
				*val = v0;
				return v1 - v0;
			}
		}
	}
	return -1;
}

/* 16 hex digits (what px_bal_resp_mods() writes), else 0 */
static uint64_t
sticky_parse(const uint8_t *v, long len)
{
	uint64_t id = 0;
	long i;

	if (len != 16)
		return 0;
	for (i = 0; i < 16; i++) {
		uint8_t c = v[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return 0;
		id = id << 4 | d;
	}
	return id;
}

void
px_bal_read_req(struct px_sess *s, const uint8_t *head)
{
	const struct fo_conf_balance *b = &px_upconf(s)->balance;
	const struct fo_http_msg *msg = &s->req;
	const uint8_t *val = NULL;
	long len = -1;
	unsigned h;

	/* (neither is read for an upstream that neither hashes nor sticks) */
	s->bal_has_key = 0;
	s->sticky_id = 0;
	if (b->sticky) {
		len = cookie_find(head, msg, b->cookie, strlen(b->cookie), &val);
		if (len >= 0)
			s->sticky_id = sticky_parse(val, len);
	}
	if (b->kind != FO_CONF_BAL_HASH)
		return;
	len = -1;
	switch (b->hash_key) {
	case FO_CONF_HASH_SOURCE_IP:
		val = (const uint8_t *)&s->client_addr;
		len = sizeof(s->client_addr);
		break;
	case FO_CONF_HASH_URI:
		val = head + msg->target.off;
		len = msg->target.len;
		break;
	case FO_CONF_HASH_HEADER: {
		size_t nlen = strlen(b->hash_name);

		for (h = 0; h < msg->n_headers; h++)
			if (name_is(head, &msg->hdrs[h].name, b->hash_name, nlen)) {
				val = head + msg->hdrs[h].value.off;
				len = msg->hdrs[h].value.len;
				break;
			}
		break;
	}
	case FO_CONF_HASH_COOKIE:
		len = cookie_find(head, msg, b->hash_name, strlen(b->hash_name), &val);
		break;
	default:
		break;
	}
	if (len >= 0) {
		s->bal_key = fo_bal_hash64(val, (size_t)len);
		s->bal_has_key = 1;
	}
}

static void
bal_worker_ready(struct fo_proxy_worker *pw)
{
	if (unlikely(pw->bal.rng == 0))
		fo_bal_worker_init(&pw->bal, pw->worker_id, (double)pw->tsc_ms * 1000.0);
}

uint32_t
px_bal_pick(struct px_sess *s, fo_bal_usable_fn ok, void *arg)
{
	struct fo_proxy_worker *pw = s->pw;
	const struct fo_conf_balance *b = &px_upconf(s)->balance;
	struct px_view *v = px_view(s);
	struct fo_bal_up *bu = &v->bal_ups[s->upstream];

	if (unlikely(s->sticky_id != 0) && b->sticky) {
		const uint64_t *ids = s->snap->bal->ids + v->ups[s->upstream].first;
		unsigned i;

		for (i = 0; i < bu->n; i++)
			if (ids[i] == s->sticky_id)
				break;
		if (i < bu->n && ok(arg, i) != NULL) {
			pw->stats.sticky_hits++;
			return i;
		}
		/* drained, down, ejected, or no longer listed: the balancer picks */
		pw->stats.sticky_moved++;
	}
	switch (b->kind) {
	case FO_CONF_BAL_LEAST_CONN:
		return fo_bal_least_conn(bu, ok, arg);
	case FO_CONF_BAL_EWMA:
		bal_worker_ready(pw);
		return fo_bal_ewma(&pw->bal, bu, pw->net->now, ok, arg);
	case FO_CONF_BAL_RANDOM:
		bal_worker_ready(pw);
		return fo_bal_random(&pw->bal, bu, ok, arg);
	case FO_CONF_BAL_HASH:
		if (s->bal_has_key)
			return fo_bal_hash(bu, s->bal_key, ok, arg);
		pw->stats.balance_hash_no_key++;
		return fo_bal_round_robin(bu, ok, arg);
	default:
		return fo_bal_round_robin(bu, ok, arg);
	}
}

void
px_bal_sample(struct px_sess *s)
{
	struct fo_proxy_worker *pw = s->pw;
	uint64_t now = pw->net->now;

	if (s->up == NULL)
		return;
	bal_worker_ready(pw);
	/* connect (when the connection was opened for it) + time to the response head */
	fo_bal_ewma_update(
		&s->up->srv->load, now, now > s->bal_t0 ? now - s->bal_t0 : 0, pw->bal.decay);
}

/* ---- response side (worker) ---- */

/* Append [p, + n) at *at in pw->cookie (sized for the longest value lib/conf allows). */
static void
put(char *buf, size_t *at, const char *p, size_t n)
{
	memcpy(buf + *at, p, n);
	*at += n;
}

#define PUT_LIT(buf, at, lit) put((buf), (at), (lit), sizeof(lit) - 1)

static void
put_u32(char *buf, size_t *at, uint32_t v)
{
	char d[10];
	size_t n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		buf[(*at)++] = d[--n];
}

void
px_bal_sticky_mods(struct px_sess *s, const struct fo_http_mod **mods, unsigned *n_mods)
{
	static const char hex[] = "0123456789abcdef";
	static const char *const samesite[] = {
		[FO_CONF_SAMESITE_LAX] = "; SameSite=Lax",
		[FO_CONF_SAMESITE_STRICT] = "; SameSite=Strict",
		[FO_CONF_SAMESITE_NONE] = "; SameSite=None",
	};
	const struct fo_conf_balance *b = &px_upconf(s)->balance;
	struct fo_proxy_worker *pw = s->pw;
	struct px_view *v;
	struct fo_http_mod *m;
	char *buf = pw->cookie;
	size_t at = 0;
	uint64_t id;
	int i;

	v = px_view(s);
	id = s->snap->bal->ids[v->ups[s->upstream].first + s->server];
	if (id == s->sticky_id)
		return; /* the client's cookie already names the server that answered */
	put(buf, &at, b->cookie, strlen(b->cookie));
	buf[at++] = '=';
	for (i = 60; i >= 0; i -= 4)
		buf[at++] = hex[(id >> i) & 0xf];
	PUT_LIT(buf, &at, "; Path=");
	if (b->path != NULL)
		put(buf, &at, b->path, strlen(b->path));
	else
		buf[at++] = '/';
	if (b->max_age != 0) {
		PUT_LIT(buf, &at, "; Max-Age=");
		put_u32(buf, &at, b->max_age);
	}
	if (b->samesite != FO_CONF_SAMESITE_UNSET)
		put(buf, &at, samesite[b->samesite], strlen(samesite[b->samesite]));
	if (b->secure)
		PUT_LIT(buf, &at, "; Secure");
	if (b->httponly)
		PUT_LIT(buf, &at, "; HttpOnly");
	/* the route's modifiers first (px_bal_snap_init() sized v->mods for the most) */
	if (*n_mods != 0)
		memcpy(v->mods, *mods, *n_mods * sizeof(**mods));
	m = &v->mods[*n_mods];
	m->name = "Set-Cookie";
	m->name_len = 10;
	m->value = buf;
	m->value_len = (uint16_t)at;
	m->op = FO_HTTP_MOD_ADD;
	*mods = v->mods;
	*n_mods += 1;
	pw->stats.sticky_set++;
}
