/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compiled parts shared between tables and cached by content (control
 * thread): PCRE2-JIT codes keyed by pattern, and shards of the Hyperscan
 * regex database keyed by their sorted patterns; the cache also remembers
 * the last base shard, which route_compile.c keeps while the table's
 * front-less patterns differ from it by little (ROUTE_DELTA_MAX). A compile asks the cache
 * for each; what it finds is shared (reference-counted), what it misses is
 * built and left in the cache. At the end of a successful compile the
 * cache lets go of what that compile did not use, so it holds one table's
 * worth; tables keep their own references, so an old table in a grace
 * period is never affected.
 *
 * A shard's database: each pattern gets the first expression Hyperscan
 * accepts, caseless and anchored at the path start:
 *   ^(?:R); the same in prefilter mode; front parts of R
 *   (route_superset.c, longest first), normal then prefilter; else
 *   nothing (PCRE2 alone decides: the rule is a candidate for every path).
 * hs_expression_info() screens each attempt cheaply; should the database
 * build still reject an expression, that pattern moves on to its next
 * attempt. Ids are indices into the shard's sorted patterns, so a shard's
 * database does not depend on the rest of the table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_priv.h"

/* Give up rebuilding a shard after this many rejected expressions. */
#define ROUTE_HS_RETRIES_MAX 64

struct fo_route_cache {
	struct route_obj **slots; /* open addressing on hash; NULL: empty */
	size_t mask;
	size_t n;
	uint64_t gen;
	bool temp;              /* made by fo_route_compile() for one compile */
	struct route_obj *base; /* the regex database base shard last used (in slots) */
};

void
route_err(char *err, size_t errlen, const struct fo_conf_route *r, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (err == NULL || errlen == 0)
		return;
	if (r != NULL && r->loc.file != NULL)
		n = snprintf(err, errlen, "%s:%u:%u: ", r->loc.file, r->loc.line, r->loc.col);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static uint64_t
content_hash(enum route_obj_kind kind, const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull ^ (uint64_t)kind;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

void
route_obj_unref(struct route_obj *o)
{
	if (o == NULL || --o->refs != 0)
		return;
	pcre2_code_free(o->re);
	hs_free_database(o->db);
	free(o->modes);
	free(o->pats);
	free(o->key);
	free(o);
}

struct fo_route_cache *
fo_route_cache_create(void)
{
	struct fo_route_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->slots = calloc(64, sizeof(*c->slots));
	if (c->slots == NULL) {
		free(c);
		return NULL;
	}
	c->mask = 63;
	return c;
}

void
fo_route_cache_free(struct fo_route_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i <= c->mask; i++)
		route_obj_unref(c->slots[i]);
	free(c->slots);
	free(c);
}

static struct route_obj *
cache_find(
	struct fo_route_cache *c, enum route_obj_kind kind, uint64_t h, const char *key, size_t len)
{
	size_t i;

	for (i = h & c->mask; c->slots[i] != NULL; i = (i + 1) & c->mask) {
		struct route_obj *o = c->slots[i];

		if (o->hash == h && o->kind == kind && o->key_len == len &&
			memcmp(o->key, key, len) == 0) {
			o->used = c->gen;
			o->refs++; /* the caller's */
			return o;
		}
	}
	return NULL;
}

/* Rebuild the slots with the objects @p keep says, at a size for them. 0 or -ENOMEM. */
static int
cache_rehash(struct fo_route_cache *c, bool drop_unused)
{
	size_t cap = 64, i, j, n = 0;
	struct route_obj **slots;

	for (i = 0; i <= c->mask; i++)
		n += c->slots[i] != NULL && (!drop_unused || c->slots[i]->used == c->gen);
	while (cap < 2 * n + 2)
		cap <<= 1;
	slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -ENOMEM;
	for (i = 0; i <= c->mask; i++) {
		struct route_obj *o = c->slots[i];

		if (o == NULL)
			continue;
		if (drop_unused && o->used != c->gen) {
			if (o == c->base)
				c->base = NULL;
			route_obj_unref(o);
			continue;
		}
		for (j = o->hash & (cap - 1); slots[j] != NULL; j = (j + 1) & (cap - 1))
			;
		slots[j] = o;
	}
	free(c->slots);
	c->slots = slots;
	c->mask = cap - 1;
	c->n = n;
	return 0;
}

/* Keep @p o in the cache (its own reference; the caller keeps the one it has). */
static void
cache_put(struct fo_route_cache *c, struct route_obj *o)
{
	size_t i;

	/* a cache that cannot grow still works, it just remembers less */
	if (2 * (c->n + 1) > c->mask + 1 && cache_rehash(c, false) != 0)
		return;
	if (2 * (c->n + 1) > c->mask + 1)
		return;
	for (i = o->hash & c->mask; c->slots[i] != NULL; i = (i + 1) & c->mask)
		;
	c->slots[i] = o;
	c->n++;
	o->refs++;
	o->used = c->gen;
}

static struct route_obj *
obj_new(enum route_obj_kind kind, uint64_t h, const char *key, size_t len)
{
	struct route_obj *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->key = malloc(len + 1);
	if (o->key == NULL) {
		free(o);
		return NULL;
	}
	memcpy(o->key, key, len);
	o->key[len] = '\0';
	o->key_len = len;
	o->kind = kind;
	o->hash = h;
	o->refs = 1;
	return o;
}

struct fo_route_cache *
route_cache_begin(struct fo_route_cache *c)
{
	if (c == NULL) {
		c = fo_route_cache_create();
		if (c == NULL)
			return NULL;
		c->temp = true;
	}
	c->gen++;
	return c;
}

void
route_cache_end(struct fo_route_cache *c, bool ok)
{
	if (c == NULL)
		return;
	if (c->temp)
		fo_route_cache_free(c);
	else if (ok)
		(void)cache_rehash(c, true); /* on ENOMEM it keeps more than it needs */
}

struct route_obj *
route_cache_re(struct fo_route_cache *c, const char *pat, bool caseful, char *err, size_t errlen,
	const struct fo_conf_route *r, bool *built)
{
	enum route_obj_kind kind = caseful ? ROUTE_OBJ_RE_CS : ROUTE_OBJ_RE;
	size_t len = strlen(pat);
	uint64_t h = content_hash(kind, pat, len);
	struct route_obj *o = cache_find(c, kind, h, pat, len);
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int code;

	*built = false;
	if (o != NULL)
		return o;
	o = obj_new(kind, h, pat, len);
	if (o == NULL)
		return NULL;
	o->re = pcre2_compile((PCRE2_SPTR)pat, len, PCRE2_ANCHORED | (caseful ? 0 : PCRE2_CASELESS),
		&code, &off, NULL);
	if (o->re == NULL) {
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		if (r != NULL && r->type != FO_CONF_PATH_REGEX)
			route_err(err, errlen, r,
				"%s path \"%s\" is a regex here (match_order ingress-nginx: its host has a "
				"regex route, as use-regex makes every path of a host one): %s at offset "
				"%zu",
				fo_conf_path_type_name(r->type), pat, (const char *)msg, (size_t)off);
		else
			route_err(err, errlen, r, "regex \"%s\": %s at offset %zu", pat,
				(const char *)msg, (size_t)off);
		route_obj_unref(o);
		errno = EINVAL;
		return NULL;
	}
	/* without JIT (e.g. no executable memory) the interpreter still works */
	o->jit = pcre2_jit_compile(o->re, PCRE2_JIT_COMPLETE) == 0;
	pcre2_pattern_info(o->re, PCRE2_INFO_CAPTURECOUNT, &o->ncap);
	*built = true;
	cache_put(c, o);
	return o;
}

static char *
wrap_expr(const char *pat, size_t len)
{
	size_t hl = strlen(ROUTE_HS_WRAP_HEAD), tl = strlen(ROUTE_HS_WRAP_TAIL);
	char *e = malloc(hl + len + tl + 1);

	if (e == NULL)
		return NULL;
	memcpy(e, ROUTE_HS_WRAP_HEAD, hl);
	memcpy(e + hl, pat, len);
	memcpy(e + hl + len, ROUTE_HS_WRAP_TAIL, tl + 1);
	return e;
}

/*
 * Attempt @p step for @p pat: *expr (malloc'd), *flags, *mode.
 * Returns 1, 0 when there are no more attempts, or -ENOMEM.
 */
static int
pattern_attempt(const char *pat, unsigned step, char **expr, unsigned *flags, uint8_t *mode)
{
	size_t len = strlen(pat), *cuts, cut;
	unsigned n_cuts, j;

	*expr = NULL;
	*flags = ROUTE_HS_REGEX_FLAGS | ((step & 1) ? HS_FLAG_PREFILTER : 0);
	*mode = step == 0 ? ROUTE_HS_EXACT : ROUTE_HS_SUPERSET;
	if (step < 2) {
		*expr = wrap_expr(pat, len);
		return *expr != NULL ? 1 : -ENOMEM;
	}
	cuts = malloc((len + 1) * sizeof(*cuts));
	if (cuts == NULL)
		return -ENOMEM;
	n_cuts = route_superset_cuts(pat, len, cuts, (unsigned)len + 1);
	j = (step - 2) / 2;
	cut = j < n_cuts ? cuts[n_cuts - 1 - j] : 0;
	free(cuts);
	if (j >= n_cuts)
		return 0;
	*expr = wrap_expr(pat, cut);
	return *expr != NULL ? 1 : -ENOMEM;
}

/*
 * From attempt *step on, the first expression Hyperscan's parser accepts;
 * the mode becomes ROUTE_HS_NONE when none does. 0 or -ENOMEM.
 */
static int
plan_pattern(const char *pat, unsigned *step, char **expr, unsigned *flags, uint8_t *mode)
{
	hs_compile_error_t *ce;
	hs_expr_info_t *info;
	int rc;

	for (;; (*step)++) {
		rc = pattern_attempt(pat, *step, expr, flags, mode);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			*mode = ROUTE_HS_NONE;
			return 0;
		}
		info = NULL;
		if (hs_expression_info(*expr, *flags, &info, &ce) == HS_SUCCESS) {
			free(info);
			return 0;
		}
		hs_free_compile_error(ce);
		free(*expr);
		*expr = NULL;
	}
}

struct hs_build {
	const char *const *pats;
	unsigned n;
	char **exprs;    /* per id; NULL for ROUTE_HS_NONE */
	unsigned *flags; /* per id */
	unsigned *steps; /* per id: the attempt in use */
	uint8_t *modes;
};

/* Build the database from the planned expressions; on a rejected one, re-plan it. */
static int
build_db(struct hs_build *b, hs_database_t **db, char *err, size_t errlen)
{
	const char **ex = malloc(b->n * sizeof(*ex));
	unsigned *fl = malloc(b->n * sizeof(*fl)), *ids = malloc(b->n * sizeof(*ids));
	unsigned n, i, tries;
	hs_compile_error_t *ce;
	int rc = -ENOMEM;

	if (ex == NULL || fl == NULL || ids == NULL)
		goto out;
	for (tries = 0;; tries++) {
		for (i = n = 0; i < b->n; i++) {
			if (b->exprs[i] == NULL)
				continue;
			ex[n] = b->exprs[i];
			fl[n] = b->flags[i];
			ids[n++] = i;
		}
		if (n == 0) {
			rc = 0;
			break;
		}
		if (hs_compile_multi(ex, fl, ids, n, HS_MODE_BLOCK, NULL, db, &ce) == HS_SUCCESS) {
			rc = 0;
			break;
		}
		if (ce->expression < 0 || (unsigned)ce->expression >= n ||
			tries >= ROUTE_HS_RETRIES_MAX) {
			route_err(err, errlen, NULL, "route table: hyperscan: %s", ce->message);
			hs_free_compile_error(ce);
			rc = -EINVAL;
			break;
		}
		i = ids[ce->expression];
		hs_free_compile_error(ce);
		free(b->exprs[i]);
		b->exprs[i] = NULL;
		b->steps[i]++;
		rc = plan_pattern(
			b->pats[i], &b->steps[i], &b->exprs[i], &b->flags[i], &b->modes[i]);
		if (rc < 0)
			break;
	}
out:
	free(ex);
	free(fl);
	free(ids);
	return rc;
}

/* The shard's database and modes into @p o. 0, -ENOMEM or -EINVAL. */
static int
shard_compile(struct route_obj *o, const char *const *pats, unsigned n, char *err, size_t errlen)
{
	struct hs_build b = {.pats = pats, .n = n};
	unsigned i;
	int rc = -ENOMEM;

	b.exprs = calloc(n ? n : 1, sizeof(*b.exprs));
	b.flags = calloc(n ? n : 1, sizeof(*b.flags));
	b.steps = calloc(n ? n : 1, sizeof(*b.steps));
	o->modes = calloc(n ? n : 1, sizeof(*o->modes));
	o->n_ids = n;
	b.modes = o->modes;
	if (b.exprs == NULL || b.flags == NULL || b.steps == NULL || o->modes == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if (plan_pattern(pats[i], &b.steps[i], &b.exprs[i], &b.flags[i], &b.modes[i]) != 0)
			goto out;
	rc = build_db(&b, &o->db, err, errlen);
	if (rc == 0 && o->db != NULL && hs_database_size(o->db, &o->db_bytes) != HS_SUCCESS)
		o->db_bytes = 0;
out:
	for (i = 0; b.exprs != NULL && i < n; i++)
		free(b.exprs[i]);
	free(b.exprs);
	free(b.flags);
	free(b.steps);
	return rc;
}

struct route_obj *
route_cache_base(struct fo_route_cache *c)
{
	return c->base;
}

void
route_cache_set_base(struct fo_route_cache *c, struct route_obj *o)
{
	c->base = o;
}

void
route_cache_take(struct fo_route_cache *c, struct route_obj *o)
{
	o->refs++;
	o->used = c->gen;
}

struct route_obj *
route_cache_db(struct fo_route_cache *c, const char *const *pats, unsigned n, char *err,
	size_t errlen, bool *built)
{
	size_t len = 0, o_ = 0;
	unsigned i;
	char *key;
	uint64_t h;
	struct route_obj *o;
	int rc;

	*built = false;
	for (i = 0; i < n; i++)
		len += strlen(pats[i]) + 1;
	key = malloc(len + 1);
	if (key == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		size_t l = strlen(pats[i]) + 1;

		memcpy(key + o_, pats[i], l);
		o_ += l;
	}
	h = content_hash(ROUTE_OBJ_DB, key, len);
	o = cache_find(c, ROUTE_OBJ_DB, h, key, len);
	if (o == NULL) {
		o = obj_new(ROUTE_OBJ_DB, h, key, len);
		rc = o != NULL ? shard_compile(o, pats, n, err, errlen) : -ENOMEM;
		if (rc == 0) {
			/* the shard's patterns, pointing into its own key */
			o->pats = calloc(n ? n : 1, sizeof(*o->pats));
			rc = o->pats != NULL ? 0 : -ENOMEM;
			for (i = 0, o_ = 0; rc == 0 && i < n; i++) {
				o->pats[i] = o->key + o_;
				o_ += strlen(o->key + o_) + 1;
			}
		}
		if (rc != 0) {
			route_obj_unref(o);
			o = NULL;
			errno = -rc;
		} else {
			*built = true;
			cache_put(c, o);
		}
	}
	free(key);
	return o;
}
