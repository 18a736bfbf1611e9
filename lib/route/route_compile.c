/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route compilation (control thread): rules sorted into priority order
 * (the rank), PCRE2-JIT codes for every regex rule (route_cache.c), the
 * element-boundary key table for exact and prefix rules and for the regex
 * rules with a literal front (route_key.c), and the Hyperscan database
 * for the other regex rules: a base shard and a delta shard of the
 * patterns the cached base lacks (route_cache.c builds them). Each regex rule
 * also has an rx index (its place among the regex rules, in rank order):
 * the matcher's candidate bitmap is over rx indices.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fo_route.h"
#include "route_priv.h"

_Static_assert(sizeof(struct route_rule) == 96, "struct route_rule grew: keep it packed");

/* The priority order of fo_route.h; a total order (config index last). */
static int
cmp_rule(const void *a, const void *b)
{
	const struct route_rule *x = a, *y = b;
	size_t lx, ly;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->hclass != y->hclass)
		return x->hclass < y->hclass ? -1 : 1;
	if (x->hclass == ROUTE_HOST_WILD && x->host_len != y->host_len)
		return x->host_len > y->host_len ? -1 : 1;
	if (x->hclass == ROUTE_HOST_WILD && x->multi != y->multi)
		return x->multi ? 1 : -1; /* "*.x" is the narrower */
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	lx = x->key_len;
	ly = y->key_len;
	if (lx != ly)
		return lx > ly ? -1 : 1;
	/* Gateway API: then a method match, more header matches, more query matches (the
	 * counts are all zero with match_order ingress-nginx: config order decides) */
	if ((x->counts.method != 0) != (y->counts.method != 0))
		return x->counts.method != 0 ? -1 : 1;
	if (x->counts.header != y->counts.header)
		return x->counts.header > y->counts.header ? -1 : 1;
	if (x->counts.query != y->counts.query)
		return x->counts.query > y->counts.query ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static bool
has_capture_ref(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (s[0] == '$' && s[1] >= '0' && s[1] <= '9')
			return true;
	return false;
}

/*
 * @p as_regex: match_order ingress-nginx, and a rule of this route's host
 * is a regex: the path is a case-insensitive regex too (nginx ~* "^P").
 */
static void
init_rule(struct route_rule *r, const struct fo_conf_route *c, unsigned index, bool as_regex,
	bool gateway)
{
	memset(r, 0, sizeof(*r));
	r->conf = c;
	r->index = index;
	r->type = as_regex ? FO_CONF_PATH_REGEX : c->type;
	r->priority = c->priority;
	r->caseful = c->type == FO_CONF_PATH_REGEX && c->case_sensitive;
	if (gateway)
		route_preds_count(c, &r->counts);
	r->rewrite_caps = has_capture_ref(c->rewrite);
	if (c->host == NULL) {
		r->hclass = ROUTE_HOST_ANY;
	} else {
		/* conf lower-cased and validated it */
		r->multi = strncmp(c->host, "**.", 3) == 0;
		r->hclass = (r->multi || (c->host[0] == '*' && c->host[1] == '.')) ? ROUTE_HOST_WILD
										    : ROUTE_HOST_EXACT;
		r->host = c->host + (r->multi ? 3 : r->hclass == ROUTE_HOST_WILD ? 2 : 0);
		r->host_len = strlen(r->host);
		r->host_hash = route_host_hash(r->host, r->host_len);
	}
	if (r->type != FO_CONF_PATH_REGEX) {
		r->lit = c->path;
		r->lit_len = strlen(c->path);
		if (c->type == FO_CONF_PATH_PREFIX)
			while (r->lit_len > 0 && r->lit[r->lit_len - 1] == '/')
				r->lit_len--;
		r->key_len = c->type == FO_CONF_PATH_PREFIX ? r->lit_len : 0;
	} else {
		r->key_len = strlen(c->path);
	}
}

/*
 * A regex "LIT(/|$)(.*)" with LIT of letters, digits and "/-_~" only (no
 * regex syntax): the rewrite-target idiom of ingress-nginx's docs and the
 * seed. Its match is LIT (with or without case), then '/' or the end, and
 * the groups follow from that (route_match.c); PCRE2 is kept for paths
 * with a line break, where '$' and '.' have their own rules.
 */
static void
fast_form(struct route_rule *r)
{
	static const char tail[] = "(/|$)(.*)";
	const char *p = r->conf->path;
	size_t len = strlen(p), tl = sizeof(tail) - 1, i;

	if (r->conf->type != FO_CONF_PATH_REGEX || len <= tl || strcmp(p + len - tl, tail) != 0)
		return;
	for (i = 0; i < len - tl; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '/' || c == '-' || c == '_' || c == '~'))
			return;
	}
	r->fast = true;
	r->lit = p;
	r->lit_len = (uint32_t)(len - tl);
}

/*
 * The fast rules' literals copied into one pool, lower case unless the
 * rule is case-sensitive (the path alone is lower-cased when matching),
 * each followed by 8 zero bytes (read a word at a time). 0 or -ENOMEM.
 */
static int
fast_lits_build(struct fo_route_table *t)
{
	size_t n = 0, o = 0, k;
	unsigned i;

	for (i = 0; i < t->n_rules; i++)
		n += t->rules[i].fast ? t->rules[i].lit_len + 8 : 0;
	if (n == 0)
		return 0;
	t->lit_pool = calloc(n, 1);
	if (t->lit_pool == NULL)
		return -ENOMEM;
	for (i = 0; i < t->n_rules; i++) {
		struct route_rule *r = &t->rules[i];

		if (!r->fast)
			continue;
		for (k = 0; k < r->lit_len; k++) {
			char c = r->lit[k];

			t->lit_pool[o + k] =
				!r->caseful && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
		r->lit = t->lit_pool + o;
		o += r->lit_len + 8;
	}
	t->stats.table_bytes += n;
	return 0;
}

/* PCRE2 codes (from the cache) and rx indices of the regex rules. */
static int
compile_regexes(struct fo_route_table *t, struct fo_route_cache *c, char *err, size_t errlen)
{
	unsigned i;
	bool built;

	for (i = 0; i < t->n_rules; i++)
		t->n_rx += t->rules[i].type == FO_CONF_PATH_REGEX;
	t->n_words = (t->n_rx + 63) / 64;
	t->rx_rank = calloc(t->n_rx ? t->n_rx : 1, sizeof(*t->rx_rank));
	if (t->rx_rank == NULL)
		return -ENOMEM;
	t->n_rx = 0;
	for (i = 0; i < t->n_rules; i++) {
		struct route_rule *r = &t->rules[i];
		struct route_obj *o;

		if (r->type != FO_CONF_PATH_REGEX)
			continue;
		o = route_cache_re(c, r->conf->path, r->caseful, err, errlen, r->conf, &built);
		if (o == NULL)
			return errno == EINVAL ? -EINVAL : -ENOMEM;
		r->re_obj = o;
		r->re = o->re;
		r->jit = o->jit;
		t->stats.re_built += built;
		if (o->ncap + 1 > t->ovec_pairs)
			t->ovec_pairs = o->ncap + 1;
		r->rx = t->n_rx;
		t->rx_rank[t->n_rx++] = i;
		fast_form(r);
	}
	return fast_lits_build(t);
}

struct db_pat {
	const char *pat;
	uint32_t rx;
};

static int
cmp_pat(const void *a, const void *b)
{
	const struct db_pat *x = a, *y = b;
	int c = strcmp(x->pat, y->pat);

	if (c != 0)
		return c;
	return x->rx < y->rx ? -1 : x->rx > y->rx;
}

/*
 * Shard @p k (its database object already set): the map from its ids to
 * the rx indices of this table's rules with that pattern (none for a
 * pattern no rule has any more), and those rules' modes. @p dp: n
 * (pattern, rx) pairs, sorted like the shard's patterns.
 */
static int
map_shard(struct fo_route_table *t, unsigned k, const struct db_pat *dp, unsigned n)
{
	struct route_shard *sh = &t->shards[k];
	const struct route_obj *o = sh->obj;
	unsigned i = 0, j, m = 0;

	sh->id_start = calloc(o->n_ids + 1, sizeof(*sh->id_start));
	sh->rx_of = calloc(n ? n : 1, sizeof(*sh->rx_of));
	if (sh->id_start == NULL || sh->rx_of == NULL)
		return -ENOMEM;
	t->stats.db_bytes += o->db_bytes;
	for (j = 0; j < o->n_ids; j++) {
		sh->id_start[j] = m;
		while (i < n && strcmp(dp[i].pat, o->pats[j]) < 0)
			i++;
		for (; i < n && strcmp(dp[i].pat, o->pats[j]) == 0; i++) {
			sh->rx_of[m++] = dp[i].rx;
			t->rules[t->rx_rank[dp[i].rx]].hs_mode = (enum route_hs_mode)o->modes[j];
		}
	}
	sh->id_start[o->n_ids] = m;
	return 0;
}

/*
 * The patterns of @p pats (sorted, distinct, @p u of them) that the cached
 * base @p b lacks, into @p delta; how many, or UINT_MAX when the base is
 * too far from them (see ROUTE_DELTA_MAX).
 */
static unsigned
base_delta(const struct route_obj *b, const char **pats, unsigned u, const char **delta)
{
	unsigned i = 0, j = 0, nd = 0, dead = 0;

	while (i < u || j < b->n_ids) {
		int c = i == u ? 1 : j == b->n_ids ? -1 : strcmp(pats[i], b->pats[j]);

		if (c < 0) {
			if (nd == ROUTE_DELTA_MAX)
				return UINT_MAX;
			delta[nd++] = pats[i++];
		} else if (c > 0) {
			dead++;
			j++;
		} else {
			i++;
			j++;
		}
	}
	return dead <= ROUTE_DELTA_MAX + b->n_ids / 4 ? nd : UINT_MAX;
}

/* The regex rules without a key: base and delta shards, always-candidates. */
static int
compile_db(struct fo_route_table *t, struct fo_route_cache *c, char *err, size_t errlen)
{
	struct db_pat *dp = calloc(t->n_rx ? t->n_rx : 1, sizeof(*dp));
	const char **pats = calloc(t->n_rx ? t->n_rx : 1, sizeof(*pats));
	const char **delta = calloc(ROUTE_DELTA_MAX, sizeof(*delta));
	struct route_obj *base;
	unsigned i, n = 0, u = 0, nd = UINT_MAX, k;
	bool built;
	int rc = -ENOMEM;

	t->shards = calloc(ROUTE_SHARDS_MAX, sizeof(*t->shards));
	if (dp == NULL || pats == NULL || delta == NULL || t->shards == NULL)
		goto out;
	for (i = 0; i < t->n_rx; i++) {
		const struct route_rule *r = &t->rules[t->rx_rank[i]];

		if (!r->keyed)
			dp[n++] = (struct db_pat){r->conf->path, i};
	}
	qsort(dp, n, sizeof(*dp), cmp_pat);
	for (i = 0; i < n; i++)
		if (u == 0 || strcmp(dp[i].pat, pats[u - 1]) != 0)
			pats[u++] = dp[i].pat;
	t->always = calloc(n ? n : 1, sizeof(*t->always));
	if (t->always == NULL)
		goto out;
	if (u > 0) {
		base = route_cache_base(c);
		if (base != NULL)
			nd = base_delta(base, pats, u, delta);
		if (nd != UINT_MAX) {
			route_cache_take(c, base);
		} else {
			nd = 0;
			base = route_cache_db(c, pats, u, err, errlen, &built);
			if (base == NULL) {
				rc = errno == EINVAL ? -EINVAL : -ENOMEM;
				goto out;
			}
			t->stats.shards_built += built;
			route_cache_set_base(c, base);
		}
		t->shards[t->n_shards++].obj = base;
		if (nd > 0) {
			struct route_obj *d = route_cache_db(c, delta, nd, err, errlen, &built);

			if (d == NULL) {
				rc = errno == EINVAL ? -EINVAL : -ENOMEM;
				goto out;
			}
			t->stats.shards_built += built;
			t->shards[t->n_shards++].obj = d;
		}
	}
	t->stats.shards = t->n_shards;
	for (k = 0; k < t->n_shards; k++) {
		rc = map_shard(t, k, dp, n);
		if (rc != 0)
			goto out;
	}
	for (k = 0; k < 3; k++)
		t->db_min_rank[k] = UINT32_MAX;
	for (i = 0; i < t->n_rx; i++) {
		const struct route_rule *r = &t->rules[t->rx_rank[i]];

		if (r->keyed)
			continue;
		if (t->rx_rank[i] < t->db_min_rank[r->hclass])
			t->db_min_rank[r->hclass] = t->rx_rank[i];
		if (r->hclass != ROUTE_HOST_ANY)
			route_bloom_set(t->db_bloom[r->hclass == ROUTE_HOST_WILD],
				ROUTE_BLOOM_WORDS / 4, r->host_hash);
		if (r->hs_mode == ROUTE_HS_NONE)
			t->always[t->n_always++] = i;
		else
			t->stats.regex_hs++;
	}
	t->stats.regex_pcre = t->n_always;
	rc = 0;
out:
	free(dp);
	free(pats);
	free(delta);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * match_order ingress-nginx: the hosts ("" for none) that have a regex
 * rule, sorted (*out, *n); every path of such a host becomes a regex.
 */
static int
regex_hosts(const struct fo_conf *conf, const char ***out, unsigned *n)
{
	const char **h = calloc(conf->n_routes ? conf->n_routes : 1, sizeof(*h));
	unsigned i;

	*out = h;
	*n = 0;
	if (h == NULL)
		return -ENOMEM;
	for (i = 0; i < conf->n_routes; i++)
		if (conf->routes[i].type == FO_CONF_PATH_REGEX)
			h[(*n)++] = conf->routes[i].host != NULL ? conf->routes[i].host : "";
	qsort(h, *n, sizeof(*h), cmp_str);
	return 0;
}

static int
cmp_owner(const void *a, const void *b)
{
	const struct route_owner *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* match_order ingress-nginx: the exact hosts and wildcard parents that own requests. */
static int
build_owners(struct fo_route_table *t)
{
	unsigned i, k;

	for (k = 0; k < 2; k++) {
		t->owners[k] = calloc(t->n_rules ? t->n_rules : 1, sizeof(*t->owners[k]));
		if (t->owners[k] == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < t->n_rules; i++) {
		const struct route_rule *r = &t->rules[i];

		if (r->hclass == ROUTE_HOST_ANY)
			continue;
		k = r->hclass == ROUTE_HOST_WILD;
		t->owners[k][t->n_owners[k]++] =
			(struct route_owner){r->host_hash, (uint16_t)r->host_len, r->multi, r->host};
	}
	for (k = 0; k < 2; k++)
		qsort(t->owners[k], t->n_owners[k], sizeof(*t->owners[k]), cmp_owner);
	t->owns = true;
	return 0;
}

/* `match` conditions of every rule; the regex confirmations case_sensitive needs. */
static int
compile_rule_extras(struct fo_route_table *t, char *err, size_t errlen)
{
	unsigned i;
	int rc;

	/* (tests that force key collisions want the key table, whatever the size) */
	t->linear = t->n_rules <= ROUTE_LINEAR_MAX && t->hmask == ~0ull;
	for (i = 0; i < t->n_rules; i++) {
		struct route_rule *r = &t->rules[i];

		rc = route_preds_compile(r->conf, &r->preds, &r->n_preds, err, errlen);
		if (rc != 0)
			return rc;
		t->linear &= r->n_preds == 0 && (r->type != FO_CONF_PATH_REGEX || r->fast);
		t->has_multi |= r->multi;
		t->cross_class |= r->priority != 0;
		/* Hyperscan matched its pattern without case: PCRE2 must confirm */
		if (r->caseful && r->hs_mode == ROUTE_HS_EXACT)
			r->hs_mode = ROUTE_HS_SUPERSET;
	}
	return t->conf->match_order == FO_CONF_ORDER_INGRESS_NGINX ? build_owners(t) : 0;
}

struct fo_route_table *
fo_route_compile(const struct fo_conf *conf, char *err, size_t errlen)
{
	return fo_route_compile_cached(conf, NULL, err, errlen);
}

struct fo_route_table *
fo_route_compile_cached(
	const struct fo_conf *conf, struct fo_route_cache *cache, char *err, size_t errlen)
{
	struct fo_route_cache *c;
	struct fo_route_table *t = NULL;
	bool nginx = conf->match_order == FO_CONF_ORDER_INGRESS_NGINX;
	const char **rxh = NULL;
	unsigned i, n_rxh = 0;
	int rc = -ENOMEM;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	c = route_cache_begin(cache);
	if (c == NULL)
		goto fail;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto fail;
	t->conf = conf;
	t->n_rules = conf->n_routes;
	t->ovec_pairs = 1;
	t->rules = calloc(t->n_rules ? t->n_rules : 1, sizeof(*t->rules));
	if (t->rules == NULL || (nginx && regex_hosts(conf, &rxh, &n_rxh) != 0))
		goto fail;
	for (i = 0; i < t->n_rules; i++) {
		const struct fo_conf_route *cr = &conf->routes[i];
		const char *host = cr->host != NULL ? cr->host : "";

		if (cr->path == NULL) {
			rc = -EINVAL;
			route_err(err, errlen, cr, "route without a path");
			goto fail;
		}
		init_rule(&t->rules[i], cr, i,
			nginx && bsearch(&host, rxh, n_rxh, sizeof(*rxh), cmp_str) != NULL, !nginx);
		t->has_hosts |= cr->host != NULL;
	}
	qsort(t->rules, t->n_rules, sizeof(*t->rules), cmp_rule);
	rc = compile_regexes(t, c, err, errlen);
	if (rc == 0)
		rc = route_keys_build(t);
	if (rc == 0)
		rc = compile_db(t, c, err, errlen);
	if (rc == 0)
		rc = compile_rule_extras(t, err, errlen);
	if (rc == 0)
		rc = route_canaries_compile(t, err, errlen);
	if (rc == 0)
		rc = route_vrecs_build(t);
	if (rc != 0)
		goto fail;
	free(rxh);
	t->stats.table_bytes += t->n_rules * sizeof(*t->rules) + t->n_rx * sizeof(*t->rx_rank);
	route_cache_end(c, true);
	return t;
fail:
	free(rxh);
	if (rc == -ENOMEM && err != NULL && errlen > 0 && err[0] == '\0')
		route_err(err, errlen, NULL, "route table: out of memory");
	fo_route_table_free(t);
	route_cache_end(c, false);
	errno = -rc;
	return NULL;
}

void
fo_route_table_free(struct fo_route_table *t)
{
	unsigned i;

	if (t == NULL)
		return;
	for (i = 0; t->rules != NULL && i < t->n_rules; i++) {
		route_obj_unref(t->rules[i].re_obj);
		route_preds_free(t->rules[i].preds, t->rules[i].n_preds);
	}
	route_canaries_free(t);
	free(t->owners[0]);
	free(t->owners[1]);
	for (i = 0; t->shards != NULL && i < t->n_shards; i++) {
		route_obj_unref(t->shards[i].obj);
		free(t->shards[i].id_start);
		free(t->shards[i].rx_of);
	}
	free(t->shards);
	free(t->kslots);
	free(t->kranks);
	free(t->vrecs);
	free(t->lit_pool);
	free(t->host_pool);
	free(t->kbloom);
	free(t->klens);
	free(t->rx_rank);
	free(t->always);
	free(t->rules);
	free(t);
}

unsigned
fo_route_count(const struct fo_route_table *t)
{
	return t->n_rules;
}

const struct fo_route_stats *
fo_route_stats(const struct fo_route_table *t)
{
	return &t->stats;
}
