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
#include "fo_route.h"

struct route_ref {
	const struct fo_conf *conf;
	pcre2_code **re; /* per route; NULL unless regex */
	pcre2_match_data *md;
};

static inline void
route_ref_fini(struct route_ref *ref)
{
	unsigned i;

	for (i = 0; ref->re != NULL && i < ref->conf->n_routes; i++)
		pcre2_code_free(ref->re[i]);
	free(ref->re);
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

	ref->conf = conf;
	ref->re = calloc(conf->n_routes + 1, sizeof(*ref->re));
	ref->md = pcre2_match_data_create(16, NULL);
	if (ref->re == NULL || ref->md == NULL)
		goto fail;
	for (i = 0; i < conf->n_routes; i++) {
		if (conf->routes[i].type != FO_CONF_PATH_REGEX)
			continue;
		ref->re[i] = pcre2_compile((PCRE2_SPTR)conf->routes[i].path, PCRE2_ZERO_TERMINATED,
			PCRE2_ANCHORED | PCRE2_CASELESS, &code, &off, NULL);
		if (ref->re[i] == NULL)
			goto fail;
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

/* Priority of route @p i: smaller key wins (fo_route.h's order). */
static inline void
route_ref_key(const struct fo_conf_route *r, unsigned i, size_t key[5])
{
	size_t pl = strlen(r->path);

	key[0] = r->host == NULL ? 2 : strncmp(r->host, "*.", 2) == 0 ? 1 : 0;
	key[1] = key[0] == 1 ? 100000 - strlen(r->host) : 0;
	key[2] = r->type == FO_CONF_PATH_EXACT ? 0 : r->type == FO_CONF_PATH_PREFIX ? 1 : 2;
	if (r->type == FO_CONF_PATH_PREFIX)
		while (pl > 0 && r->path[pl - 1] == '/')
			pl--;
	key[3] = r->type == FO_CONF_PATH_EXACT ? 0 : 100000 - pl;
	key[4] = i;
}

/* Same contract as fo_route_match(). */
static inline int
route_ref_match(const struct route_ref *ref, const char *host, size_t hlen, const char *path,
	size_t len, char *out, size_t cap, struct fo_route_result *res)
{
	size_t best[5], key[5], ov[20], bov[20], n = 0;
	int ng, bng = 0, k;
	unsigned i, win = ~0u;
	const char *t;

	for (i = 0; i < ref->conf->n_routes; i++) {
		if (!route_ref_host(&ref->conf->routes[i], host, hlen) ||
			!route_ref_path(ref, i, path, len, ov, &ng))
			continue;
		route_ref_key(&ref->conf->routes[i], i, key);
		for (k = 0; k < 5 && win != ~0u && key[k] == best[k]; k++)
			;
		if (win == ~0u || (k < 5 && key[k] < best[k])) {
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
	if (res->conf->rewrite == NULL)
		return 0;
	for (t = res->conf->rewrite; *t != '\0'; t++) {
		const char *src = t;
		size_t l = 1;

		if (t[0] == '$' && t[1] >= '0' && t[1] <= '9') {
			int g = *++t - '0';
			size_t j, b = 0, e = 0;

			if (g < bng && bov[2 * g] != PCRE2_UNSET && bov[2 * g + 1] > bov[2 * g]) {
				b = bov[2 * g];
				e = bov[2 * g + 1];
			}
			/* captured bytes, escaped as nginx escapes a rewritten URI */
			for (j = b; j < e; j++) {
				unsigned char c = (unsigned char)path[j];

				if (c > 0x20 && c < 0x7f && !strchr("\"#%<>?\\^`{|}", c)) {
					if (n + 1 > cap)
						return -ENOSPC;
					out[n++] = (char)c;
				} else {
					if (n + 3 > cap)
						return -ENOSPC;
					snprintf(out + n, 4, "%%%02X", c);
					n += 3;
				}
			}
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

#endif /* ROUTE_REF_H */
