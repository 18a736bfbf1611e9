/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test oracle for lib/route, not part of the library: the routing
 * semantics of fo_route.h written the slow, obvious way (every route
 * tried, PCRE2's interpreter for regexes, the best priority key kept), for
 * tests/unit/test_route_match.c and tests/fuzz/fuzz_route.c to check
 * fo_route_match() against. It shares no code with the library.
 */
#ifndef ROUTE_REF_H
#define ROUTE_REF_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "fo_conf.h"
#include "fo_http.h"
#include "fo_route.h"

struct route_ref {
	const struct fo_conf *conf;
	pcre2_code **re; /* per route; NULL unless matched as a regex */
	pcre2_code **cre; /* per route and condition (flattened): regex conditions */
	bool *as_regex;   /* per route: matched as a regex (its own type, or ingress-nginx) */
	pcre2_match_data *md;
};

static inline void
route_ref_fini(struct route_ref *ref)
{
	unsigned i;

	for (i = 0; ref->re != NULL && i < ref->conf->n_routes; i++)
		pcre2_code_free(ref->re[i]);
	for (i = 0; ref->cre != NULL && i < ref->conf->n_routes * 8; i++)
		pcre2_code_free(ref->cre[i]);
	free(ref->re);
	free(ref->cre);
	free(ref->as_regex);
	pcre2_match_data_free(ref->md);
	memset(ref, 0, sizeof(*ref));
}

/* 0 or -1. */
static inline int
route_ref_init(struct route_ref *ref, const struct fo_conf *conf)
{
	unsigned i;
	PCRE2_SIZE off;
	int code;

	unsigned j;

	ref->conf = conf;
	ref->re = calloc(conf->n_routes + 1, sizeof(*ref->re));
	ref->cre = calloc(conf->n_routes * 8 + 1, sizeof(*ref->cre));
	ref->as_regex = calloc(conf->n_routes + 1, sizeof(*ref->as_regex));
	ref->md = pcre2_match_data_create(16, NULL);
	if (ref->re == NULL || ref->cre == NULL || ref->as_regex == NULL || ref->md == NULL)
		goto fail;
	for (i = 0; i < conf->n_routes; i++) {
		const struct fo_conf_route *r = &conf->routes[i];

		ref->as_regex[i] = r->type == FO_CONF_PATH_REGEX;
		/* ingress-nginx: a host with a regex route has only regex routes */
		for (j = 0; j < conf->n_routes && !ref->as_regex[i] &&
			    conf->match_order == FO_CONF_ORDER_INGRESS_NGINX;
			j++)
			ref->as_regex[i] = conf->routes[j].type == FO_CONF_PATH_REGEX &&
					   (r->host == NULL) == (conf->routes[j].host == NULL) &&
					   (r->host == NULL || strcmp(r->host, conf->routes[j].host) == 0);
		if (ref->as_regex[i]) {
			bool cs = r->type == FO_CONF_PATH_REGEX && r->case_sensitive;

			ref->re[i] = pcre2_compile((PCRE2_SPTR)r->path, PCRE2_ZERO_TERMINATED,
				PCRE2_ANCHORED | (cs ? 0 : PCRE2_CASELESS), &code, &off, NULL);
			if (ref->re[i] == NULL)
				goto fail;
		}
		if (r->n_matches > 8)
			goto fail; /* the reference keeps 8 conditions per route */
		for (j = 0; j < r->n_matches; j++) {
			if (r->matches[j].op != FO_CONF_MATCH_REGEX)
				continue;
			ref->cre[i * 8 + j] = pcre2_compile((PCRE2_SPTR)r->matches[j].value,
				PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED | PCRE2_ENDANCHORED, &code, &off,
				NULL);
			if (ref->cre[i * 8 + j] == NULL)
				goto fail;
		}
	}
	return 0;
fail:
	route_ref_fini(ref);
	return -1;
}

static inline char
route_ref_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Does route @p r accept the request's host? */
static inline bool
route_ref_host(const struct fo_conf_route *r, const char *host, size_t hlen)
{
	char h[512];
	size_t n = 0, i, sl;

	if (r->host == NULL)
		return true;
	if (host == NULL)
		return false;
	for (i = 0; i < hlen && host[i] != ':'; i++)
		if (n < sizeof(h))
			h[n++] = route_ref_lower(host[i]);
	if (i > sizeof(h))
		return false;
	if (n > 0 && h[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	if (strncmp(r->host, "**.", 3) == 0) {
		/* one or more labels (the first not empty), a '.', then "example.com" */
		sl = strlen(r->host) - 2; /* ".example.com" */
		return n > sl && h[0] != '.' && memcmp(h + n - sl, r->host + 2, sl) == 0;
	}
	if (strncmp(r->host, "*.", 2) != 0)
		return strlen(r->host) == n && memcmp(r->host, h, n) == 0;
	/* "*.example.com": one non-empty label, a '.', then "example.com" */
	sl = strlen(r->host) - 1; /* ".example.com" */
	if (n <= sl || memcmp(h + n - sl, r->host + 1, sl) != 0)
		return false;
	return memchr(h, '.', n - sl) == NULL;
}

/*
 * Does route @p r accept the path? On a match, the groups go to *ov
 * (pairs, *ng of them; exact and prefix: group 0 only).
 */
static inline bool
route_ref_path(const struct route_ref *ref, unsigned i, const char *path, size_t len, size_t ov[20],
	int *ng)
{
	const struct fo_conf_route *r = &ref->conf->routes[i];
	size_t pl = strlen(r->path), g;
	int rc;

	*ng = 1;
	ov[0] = 0;
	if (ref->as_regex[i])
		goto regex;
	if (r->type == FO_CONF_PATH_EXACT) {
		ov[1] = len;
		return pl == len && memcmp(r->path, path, len) == 0;
	}
	if (r->type == FO_CONF_PATH_PREFIX) {
		while (pl > 0 && r->path[pl - 1] == '/')
			pl--;
		ov[1] = pl;
		if (pl == 0)
			return true;
		return len >= pl && memcmp(r->path, path, pl) == 0 &&
		       (len == pl || path[pl] == '/');
	}
regex:
	rc = pcre2_match(ref->re[i], (PCRE2_SPTR)path, len, 0, 0, ref->md, NULL);
	if (rc <= 0)
		return false;
	*ng = rc > 10 ? 10 : rc;
	for (g = 0; g < (size_t)*ng; g++) {
		ov[2 * g] = pcre2_get_ovector_pointer(ref->md)[2 * g];
		ov[2 * g + 1] = pcre2_get_ovector_pointer(ref->md)[2 * g + 1];
	}
	return true;
}

#define ROUTE_REF_KEYS 9

/* Priority of route @p i: smaller key wins (fo_route.h's order). */
static inline void
route_ref_key(const struct route_ref *ref, unsigned i, size_t key[ROUTE_REF_KEYS])
{
	const struct fo_conf_route *r = &ref->conf->routes[i];
	bool gw = ref->conf->match_order == FO_CONF_ORDER_GATEWAY;
	size_t pl = strlen(r->path), nm = 0, nh = 0, nq = 0, j;

	for (j = 0; j < r->n_matches; j++) {
		nm += r->matches[j].kind == FO_CONF_MATCH_METHOD;
		nh += r->matches[j].kind == FO_CONF_MATCH_HEADER;
		nq += r->matches[j].kind == FO_CONF_MATCH_QUERY;
	}
	key[0] = (size_t)(10000000 - r->priority);
	key[1] = r->host == NULL ? 2 : r->host[0] == '*' ? 1 : 0;
	/* wildcards: the longer suffix first, then "*." before "**." */
	key[2] = key[1] != 1 ? 0
		: r->host[1] == '*' ? (100000 - (strlen(r->host) - 3)) * 2 + 1
				    : (100000 - (strlen(r->host) - 2)) * 2;
	key[3] = ref->as_regex[i] ? 2 : r->type == FO_CONF_PATH_EXACT ? 0 : 1;
	if (!ref->as_regex[i] && r->type == FO_CONF_PATH_PREFIX)
		while (pl > 0 && r->path[pl - 1] == '/')
			pl--;
	key[4] = key[3] == 0 ? 0 : 100000 - pl;
	key[5] = gw && nm == 0;
	key[6] = gw ? 100 - nh : 0;
	key[7] = gw ? 100 - nq : 0;
	key[8] = i;
}

/* match_order ingress-nginx: the host class (0 exact, 1 wildcard, 2 none) that owns it. */
static inline int
route_ref_owner(const struct route_ref *ref, const char *host, size_t hlen)
{
	unsigned i;
	int best = 2;

	for (i = 0; i < ref->conf->n_routes; i++) {
		const struct fo_conf_route *r = &ref->conf->routes[i];
		int cls;

		if (r->host == NULL || !route_ref_host(r, host, hlen))
			continue;
		cls = r->host[0] == '*' ? 1 : 0;
		if (cls < best)
			best = cls;
	}
	return best;
}

/* One value against an exact or regex condition (present: found is enough). */
static inline bool
route_ref_value(const struct route_ref *ref, unsigned i, unsigned j, const char *v, size_t len)
{
	const struct fo_conf_match *m = &ref->conf->routes[i].matches[j];

	if (m->op == FO_CONF_MATCH_PRESENT)
		return true;
	if (m->op == FO_CONF_MATCH_EXACT)
		return strlen(m->value) == len && memcmp(m->value, v, len) == 0;
	return pcre2_match(ref->cre[i * 8 + j], (PCRE2_SPTR)v, len, 0, 0, ref->md, NULL) >= 0;
}

/* Condition @p j of route @p i against the request. */
static inline bool
route_ref_cond(const struct route_ref *ref, unsigned i, unsigned j, const struct fo_route_req *rq)
{
	const struct fo_conf_match *m = &ref->conf->routes[i].matches[j];
	char name[256], buf[1024];
	size_t k, nl = m->name != NULL ? strlen(m->name) : 0;
	unsigned h;

	if (m->kind == FO_CONF_MATCH_METHOD) {
		char ms[64];
		const char *w;

		if (rq->method == NULL || rq->method_len == 0 || rq->method_len >= sizeof(ms) - 2)
			return false;
		snprintf(ms, sizeof(ms), " %.*s ", (int)rq->method_len, rq->method);
		snprintf(buf, sizeof(buf), " %s ", m->value);
		w = strstr(buf, ms);
		return w != NULL;
	}
	if (m->kind == FO_CONF_MATCH_QUERY) {
		size_t s = 0;

		if (rq->query == NULL)
			return false;
		while (s <= rq->query_len) {
			size_t e = s, q;

			while (e < rq->query_len && rq->query[e] != '&')
				e++;
			for (q = s; q < e && rq->query[q] != '='; q++)
				;
			if (q - s == nl && memcmp(rq->query + s, m->name, nl) == 0)
				return route_ref_value(
					ref, i, j, q < e ? rq->query + q + 1 : "", q < e ? e - q - 1 : 0);
			s = e + 1;
		}
		return false;
	}
	if (rq->msg == NULL)
		return false;
	for (h = 0; h < rq->msg->n_headers; h++) {
		const struct fo_http_hdr *f = &rq->msg->hdrs[h];
		const char *v = (const char *)rq->head + f->value.off;

		if (f->name.len >= sizeof(name))
			continue;
		for (k = 0; k < f->name.len; k++)
			name[k] = route_ref_lower((char)rq->head[f->name.off + k]);
		name[k] = '\0';
		if (m->kind == FO_CONF_MATCH_HEADER) {
			if (strcmp(name, m->name) == 0 && route_ref_value(ref, i, j, v, f->value.len))
				return true;
			continue;
		}
		if (strcmp(name, "cookie") != 0 || f->value.len >= sizeof(buf))
			continue;
		/* "a=1; b=2": the first cookie of that name decides */
		memcpy(buf, v, f->value.len);
		buf[f->value.len] = '\0';
		for (char *save = NULL, *c = strtok_r(buf, ";", &save); c != NULL;
			c = strtok_r(NULL, ";", &save)) {
			char *eq, *end;

			while (*c == ' ' || *c == '\t')
				c++;
			eq = strchr(c, '=');
			if (eq == NULL || (size_t)(eq - c) != nl || memcmp(c, m->name, nl) != 0)
				continue;
			end = eq + 1 + strlen(eq + 1);
			while (end > eq + 1 && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			return route_ref_value(ref, i, j, eq + 1, (size_t)(end - eq - 1));
		}
	}
	return false;
}

/* Append @p len bytes of the path at @p src to out (*n used), escaped as nginx escapes a
 * rewritten URI. 0 or -ENOSPC. */
static inline int
route_ref_escape(const char *src, size_t len, char *out, size_t cap, size_t *n)
{
	size_t j;

	for (j = 0; j < len; j++) {
		unsigned char c = (unsigned char)src[j];

		if (c > 0x20 && c < 0x7f && !strchr("\"#%<>?\\^`{|}", c)) {
			if (*n + 1 > cap)
				return -ENOSPC;
			out[(*n)++] = (char)c;
		} else {
			char hex[4];

			if (*n + 3 > cap)
				return -ENOSPC;
			/* (snprintf() into out would write its NUL past a full buffer) */
			snprintf(hex, sizeof(hex), "%02X", c);
			out[(*n)++] = '%';
			out[(*n)++] = hex[0];
			out[(*n)++] = hex[1];
		}
	}
	return 0;
}

/* Same contract as fo_route_match_req(). */
static inline int
route_ref_match_req(const struct route_ref *ref, const struct fo_route_req *rq, char *out,
	size_t cap, struct fo_route_result *res)
{
	size_t best[ROUTE_REF_KEYS], key[ROUTE_REF_KEYS], ov[20], bov[20], n = 0;
	const char *path = rq->path != NULL ? rq->path : "";
	size_t len = rq->path_len;
	int ng, bng = 0, k, owner = -1;
	unsigned i, j, win = ~0u;
	const char *t;

	if (ref->conf->match_order == FO_CONF_ORDER_INGRESS_NGINX)
		owner = route_ref_owner(ref, rq->host, rq->host_len);
	for (i = 0; i < ref->conf->n_routes; i++) {
		const struct fo_conf_route *r = &ref->conf->routes[i];
		int cls = r->host == NULL ? 2 : r->host[0] == '*' ? 1 : 0;

		if (owner >= 0 && cls != owner)
			continue;
		if (!route_ref_host(r, rq->host, rq->host_len))
			continue;
		for (j = 0; j < r->n_matches && route_ref_cond(ref, i, j, rq); j++)
			;
		if (j < r->n_matches || !route_ref_path(ref, i, path, len, ov, &ng))
			continue;
		route_ref_key(ref, i, key);
		for (k = 0; k < ROUTE_REF_KEYS && win != ~0u && key[k] == best[k]; k++)
			;
		if (win == ~0u || (k < ROUTE_REF_KEYS && key[k] < best[k])) {
			win = i;
			memcpy(best, key, sizeof(best));
			memcpy(bov, ov, sizeof(bov));
			bng = ng;
		}
	}
	if (win == ~0u)
		return -ENOENT;
	res->route = win;
	res->conf = &ref->conf->routes[win];
	res->upstream = res->conf->upstream;
	res->path = path;
	res->path_len = len;
	if (res->conf->rewrite == NULL && res->conf->rewrite_prefix != NULL &&
		!ref->as_regex[win]) {
		/* ReplacePrefixMatch: the prefix (its trailing '/'s dropped) replaced */
		const char *p = res->conf->rewrite_prefix;
		size_t pl = strlen(p), lit = strlen(res->conf->path);

		while (lit > 0 && res->conf->path[lit - 1] == '/')
			lit--;
		if (len <= lit) {
			if (pl > cap)
				return -ENOSPC;
			memcpy(out, p, pl);
			n = pl;
		} else {
			if (pl > 0 && p[pl - 1] == '/')
				pl--;
			if (pl > cap)
				return -ENOSPC;
			memcpy(out, p, pl);
			n = pl;
			if (route_ref_escape(path + lit, len - lit, out, cap, &n) != 0)
				return -ENOSPC;
		}
		res->path = out;
		res->path_len = n;
		return 0;
	}
	if (res->conf->rewrite == NULL)
		return 0;
	for (t = res->conf->rewrite; *t != '\0'; t++) {
		const char *src = t;
		size_t l = 1;

		if (t[0] == '$' && t[1] >= '0' && t[1] <= '9') {
			int g = *++t - '0';
			size_t b = 0, e = 0;

			if (g < bng && bov[2 * g] != PCRE2_UNSET && bov[2 * g + 1] > bov[2 * g]) {
				b = bov[2 * g];
				e = bov[2 * g + 1];
			}
			if (route_ref_escape(path + b, e - b, out, cap, &n) != 0)
				return -ENOSPC;
			continue;
		}
		if (n + l > cap)
			return -ENOSPC;
		memcpy(out + n, src, l);
		n += l;
	}
	res->path = out;
	res->path_len = n;
	return 0;
}

/* Same contract as fo_route_match(). */
static inline int
route_ref_match(const struct route_ref *ref, const char *host, size_t hlen, const char *path,
	size_t len, char *out, size_t cap, struct fo_route_result *res)
{
	struct fo_route_req rq = {.host = host, .host_len = hlen, .path = path, .path_len = len};

	return route_ref_match_req(ref, &rq, out, cap, res);
}

#endif /* ROUTE_REF_H */
