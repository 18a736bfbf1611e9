/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The element-boundary key table: exact paths, prefixes and regex literal
 * fronts found by hashing the request path once, element by element.
 *
 * A key is a lower-case string hashed in elements: the string is cut
 * before each '/' after its first byte ("/api/v1" -> "/api", "/v1") and
 * each element is folded into the hash 8 bytes at a time, then its length.
 * The hash of a path's first l bytes, when l is an element boundary (0,
 * before a '/', the end), is then a by-product of hashing the path: the
 * request computes one hash per boundary in one pass. Keys are mixed with
 * the kind (exact path or not) and the host class and host hash of the
 * rule, so one probe finds the candidates of one host class at one
 * boundary. Everything found is verified by the matcher: a collision
 * costs a failed check, never a wrong result.
 *
 * What has a key:
 *  - exact "/a/b": "/a/b" (kind exact, probed at the end of the path);
 *  - prefix "/a/b/": "/a/b" (a path element-by-element under it has a
 *    boundary there); "/": the empty key, probed at position 0;
 *  - regex: its literal front (the bytes every match starts with, e.g.
 *    "/a/b/v" for "/a/b/v[0-9]+"), lower-cased (regexes are caseless),
 *    cut at its last '/' ("/a/b"), or whole when what follows guarantees
 *    a boundary: "(/|$)", "(?:/|$)" or "$" ("/test01(/|$)(.*)" ->
 *    "/test01"). '$' also matches before a final '\n', so a path ending in
 *    "\n" has a boundary there too. A regex without such a front (none,
 *    top-level '|', a quantified first item, ...) has no key and goes to
 *    the Hyperscan database.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "route_priv.h"

uint64_t route_hash_mask;

uint64_t
route_key_hash(const char *s, size_t len)
{
	uint64_t h = ROUTE_HASH_SEED;
	size_t a = 0, b;

	while (a < len) {
		b = route_next_slash(s, a + 1, len);
		h = route_hash_elem(h, s + a, b - a, s, s + len);
		a = b;
	}
	return h;
}

/* Bytes of a regex that are special outside a class. */
static bool
is_meta(char c)
{
	return strchr("\\^$.|?*+()[]{}", c) != NULL;
}

static bool
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t
route_regex_key(const char *pat, size_t len, char *key, size_t cap)
{
	static const char *const tails[] = {"(/|$)", "(?:/|$)", "($|/)", "(?:$|/)", "$"};
	size_t i = 0, n = 0, cuts[1], k, j;

	/* only a pattern the scanner reads to its end with no top-level '|' */
	if (route_superset_cuts(pat, len, cuts, 1) == 0)
		return 0;
	while (i < len && n < cap) {
		char c = pat[i];
		size_t step = 1;

		if (c == '\\' && i + 1 < len && !is_alnum(pat[i + 1]) &&
			(unsigned char)pat[i + 1] < 0x80) {
			c = pat[i + 1];
			step = 2;
		} else if (c != '\0' && is_meta(c)) {
			break;
		}
		/* a quantified item is optional or repeated: the front ends before it */
		if (i + step < len && strchr("*+?{", pat[i + step]) != NULL)
			break;
		key[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		i += step;
	}
	for (j = 0; j < sizeof(tails) / sizeof(tails[0]); j++) {
		size_t tl = strlen(tails[j]);

		if (n > 0 && len - i >= tl && memcmp(pat + i, tails[j], tl) == 0)
			return n;
	}
	for (k = n; k > 1; k--)
		if (key[k - 1] == '/')
			return k - 1 > 0 ? k - 1 : 0;
	return 0;
}

struct key_ent {
	uint64_t key;
	uint64_t path_hash; /* the key before host class and host are mixed in */
	uint32_t rank;
};

static int
cmp_ent(const void *a, const void *b)
{
	const struct key_ent *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

static unsigned
host_kind(const struct route_rule *r)
{
	return (unsigned)r->hclass << 1;
}

/* The key of rule @p r into *key and its length into *len, or false. */
static bool
rule_key(struct fo_route_table *t, const struct route_rule *r, char *buf, uint64_t *key,
	uint64_t *path_hash, size_t *len)
{
	unsigned kind = host_kind(r);
	const char *k = r->lit;
	size_t n = r->lit_len;

	if (r->type == FO_CONF_PATH_REGEX) {
		n = route_regex_key(r->conf->path, r->key_len, buf, r->key_len);
		if (n == 0)
			return false;
		k = buf;
	} else if (r->type == FO_CONF_PATH_EXACT) {
		kind |= ROUTE_KIND_EXACT;
	}
	*path_hash = route_key_hash(k, n);
	*key = route_key_mix(*path_hash, kind, r->host_hash, t->hmask);
	*len = n;
	if (n > t->max_klen)
		t->max_klen = n;
	return true;
}

int
route_keys_build(struct fo_route_table *t)
{
	struct key_ent *ents = calloc(t->n_rules ? t->n_rules : 1, sizeof(*ents));
	size_t *lens = calloc(t->n_rules ? t->n_rules : 1, sizeof(*lens)), maxpat = 1, slots = 8;
	char *buf;
	unsigned i, n = 0, d;
	int rc = -ENOMEM;

	for (i = 0; i < t->n_rules; i++)
		if (t->rules[i].type == FO_CONF_PATH_REGEX && t->rules[i].key_len >= maxpat)
			maxpat = t->rules[i].key_len + 1;
	buf = malloc(maxpat + 1);
	if (ents == NULL || lens == NULL || buf == NULL)
		goto out;
	t->hmask = route_hash_mask != 0 ? route_hash_mask : ~0ull;
	for (i = 0; i < t->n_rules; i++) {
		struct route_rule *r = &t->rules[i];

		if (!rule_key(t, r, buf, &ents[n].key, &ents[n].path_hash, &lens[n]))
			continue;
		r->keyed = true;
		ents[n++].rank = i;
		if (r->hclass == ROUTE_HOST_ANY)
			t->has_any = true;
		else
			route_bloom_set(t->bloom[r->hclass == ROUTE_HOST_WILD], ROUTE_BLOOM_WORDS,
				r->host_hash);
		if (r->type == FO_CONF_PATH_REGEX)
			r->hs_mode = ROUTE_HS_SUPERSET;
	}
	t->n_keys = n;
	t->stats.keyed = n;
	t->klens = calloc(t->max_klen / 64 + 1, sizeof(*t->klens));
	if (t->klens == NULL)
		goto out;
	for (i = 0; i < n; i++)
		t->klens[lens[i] >> 6] |= 1ull << (lens[i] & 63);
	qsort(ents, n, sizeof(*ents), cmp_ent);
	for (i = d = 0; i < n; i++)
		d += i == 0 || ents[i].key != ents[i - 1].key;
	while (slots < 2 * (size_t)d)
		slots <<= 1;
	t->kslots = calloc(slots, sizeof(*t->kslots));
	t->kranks = malloc((n ? n : 1) * sizeof(*t->kranks));
	/* about 16 bits per key: a false positive rate of a few percent */
	t->kbloom = calloc(slots / 8, sizeof(*t->kbloom));
	if (t->kslots == NULL || t->kranks == NULL || t->kbloom == NULL)
		goto out;
	t->kmask = slots - 1;
	t->kbloom_mask = slots / 8 - 1;
	for (i = 0; i < n; i++) {
		struct route_kslot *s;
		uint64_t j;

		t->kranks[i] = ents[i].rank;
		/* colliding keys may have other path hashes: each sets its own word */
		t->kbloom[(ents[i].path_hash >> 32) & t->kbloom_mask] |=
			route_kbloom_bits(ents[i].key);
		if (i > 0 && ents[i].key == ents[i - 1].key)
			continue;
		for (j = ents[i].key & t->kmask; t->kslots[j].n != 0; j = (j + 1) & t->kmask)
			;
		s = &t->kslots[j];
		s->key = ents[i].key;
		while (i + s->n < n && ents[i + s->n].key == s->key)
			s->n++;
		s->start = s->n == 1 ? ents[i].rank : i;
	}
	t->stats.table_bytes += slots * sizeof(*t->kslots) + n * sizeof(*t->kranks) +
				slots / 8 * sizeof(*t->kbloom);
	rc = 0;
out:
	free(ents);
	free(lens);
	free(buf);
	return rc;
}

struct host_ent {
	uint32_t hash;
	uint32_t rank;
};

static const struct fo_route_table *host_sort_t; /* qsort has no context argument */

static bool
same_host(const struct route_rule *a, const struct route_rule *b)
{
	return a->host_hash == b->host_hash && a->host_len == b->host_len &&
	       memcmp(a->host, b->host, a->host_len) == 0;
}

static int
cmp_host(const void *a, const void *b)
{
	const struct host_ent *x = a, *y = b;
	const struct route_rule *rx = &host_sort_t->rules[x->rank],
				*ry = &host_sort_t->rules[y->rank];
	int c;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (rx->host_len != ry->host_len)
		return rx->host_len < ry->host_len ? -1 : 1;
	c = memcmp(rx->host, ry->host, rx->host_len);
	return c != 0 ? c : (x->rank > y->rank) - (x->rank < y->rank);
}

/*
 * Every distinct rule host once in t->host_pool, and each rule's host
 * pointed there: a table has far fewer hosts than rules, so the strings a
 * host check compares stay in cache.
 */
static int
host_pool_build(struct fo_route_table *t)
{
	struct host_ent *e = calloc(t->n_rules ? t->n_rules : 1, sizeof(*e));
	size_t bytes = 0, off = 0;
	unsigned i, n = 0;
	char *pool;

	if (e == NULL)
		return -ENOMEM;
	for (i = 0; i < t->n_rules; i++)
		if (t->rules[i].host != NULL)
			e[n++] = (struct host_ent){t->rules[i].host_hash, i};
	host_sort_t = t;
	qsort(e, n, sizeof(*e), cmp_host);
	for (i = 0; i < n; i++)
		if (i == 0 || !same_host(&t->rules[e[i - 1].rank], &t->rules[e[i].rank]))
			bytes += t->rules[e[i].rank].host_len + 1;
	pool = malloc(bytes ? bytes : 1);
	if (pool == NULL) {
		free(e);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct route_rule *r = &t->rules[e[i].rank];
		const struct route_rule *p = i > 0 ? &t->rules[e[i - 1].rank] : NULL;

		if (p != NULL && same_host(p, r)) {
			r->host = p->host; /* pooled with the one before */
			continue;
		}
		memcpy(pool + off, r->host, r->host_len);
		pool[off + r->host_len] = '\0';
		r->host = pool + off;
		off += r->host_len + 1;
	}
	t->host_pool = pool;
	t->stats.table_bytes += bytes;
	free(e);
	return 0;
}

int
route_vrecs_build(struct fo_route_table *t)
{
	unsigned i;
	int rc = host_pool_build(t);

	if (rc != 0)
		return rc;
	t->vrecs = aligned_alloc(64, (t->n_rules ? t->n_rules : 1) * sizeof(*t->vrecs));
	if (t->vrecs == NULL)
		return -ENOMEM;
	for (i = 0; i < t->n_rules; i++) {
		const struct route_rule *r = &t->rules[i];
		struct route_vrec *v = &t->vrecs[i];
		const struct fo_conf_route *c = r->conf;

		memset(v, 0, sizeof(*v));
		v->type = r->type;
		v->hclass = r->hclass;
		v->flags = (r->multi ? ROUTE_VREC_MULTI : 0) | (r->n_preds ? ROUTE_VREC_PREDS : 0);
		if (r->type != FO_CONF_PATH_REGEX && c->rewrite == NULL &&
			c->rewrite_prefix == NULL && c->n_canaries == 0)
			v->flags |= ROUTE_VREC_PLAIN;
		v->host_len = (uint16_t)r->host_len; /* at most 253 bytes (conf) */
		v->host_hash = r->host_hash;
		v->host = r->host;
		v->rx = r->rx;
		v->index = r->index;
		v->upstream = c->upstream;
		if (r->type != FO_CONF_PATH_REGEX) {
			v->lit = r->lit;
			v->lit_len = r->lit_len;
			memcpy(v->head, r->lit,
				r->lit_len < ROUTE_VREC_HEAD ? r->lit_len : ROUTE_VREC_HEAD);
		}
	}
	t->stats.table_bytes += t->n_rules * sizeof(*t->vrecs);
	return 0;
}
