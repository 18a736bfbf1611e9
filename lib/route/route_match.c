/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route matching (workers). Three sources of candidates, one priority
 * order (the rank):
 *  - the key table: the path is hashed element by element once and each
 *    boundary probed for each host class the request can be in (its
 *    exact host, its wildcard parent, no host), best class first; exact
 *    and prefix rules found there are verified on the spot (host, memcmp,
 *    element rule) and the best one is kept; regex rules found there
 *    become candidates;
 *  - the Hyperscan regex database shards, one scan each: candidates;
 *  - the rules PCRE2 alone decides: always candidates.
 * Regex candidates sit in a bitmap over rx indices (rank order among regex
 * rules; up to ROUTE_CANDS_MAX from the key table alone in a sorted list
 * instead) and are tried in order, each only while it ranks before the best
 * exact/prefix rule; the first whose host matches and whose PCRE2
 * confirmation succeeds wins. So PCRE2 captures and the rewrite are
 * computed for the winner only. No allocation, no lock: the table is
 * read-only, the scratch is the worker's own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fo_route.h"
#include "route_priv.h"
#include "route_rewrite.h"

/* The request's host, ready to compare with exact and wildcard rules. */
struct req_host {
	char name[ROUTE_HOST_MAX + 1 + 8]; /* 8 readable bytes past any offset: hashes load words */
	size_t len;                        /* 0: no usable host, only rules without host match */
	uint32_t hash;
	size_t parent; /* offset of what follows the first label and its '.'; 0 if none */
	uint32_t parent_hash;
	unsigned owner; /* match_order ingress-nginx: the host class that may match, or
			   ROUTE_NO_OWNER */
};

/*
 * Lower-case, without ":port" and without one trailing '.' (as nginx);
 * a host longer than any DNS name matches no host rule.
 */
static void
prepare_host(struct req_host *h, const char *host, size_t len)
{
	const char *colon = host != NULL ? memchr(host, ':', len) : NULL;
	const char *dot;
	size_t i = 0;

	h->len = 0;
	h->parent = 0;
	if (host == NULL)
		return;
	if (colon != NULL)
		len = (size_t)(colon - host);
	if (len > 0 && host[len - 1] == '.')
		len--;
	if (len == 0 || len > ROUTE_HOST_MAX)
		return;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, host + i, 8);
		w = route_lower8(w);
		memcpy(h->name + i, &w, 8);
	}
	if (i < len && len >= 8) {
		/* the last 8 bytes again, overlapping what is done */
		uint64_t w;

		memcpy(&w, host + len - 8, 8);
		w = route_lower8(w);
		memcpy(h->name + len - 8, &w, 8);
	} else {
		for (; i < len; i++) {
			char c = host[i];

			h->name[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		}
	}
	h->len = len;
	h->hash = route_host_hash_padded(h->name, len);
	/* "*.example.com" needs a non-empty first label and a non-empty rest */
	dot = memchr(h->name, '.', len);
	if (dot != NULL && dot > h->name && (size_t)(dot - h->name) + 1 < len) {
		h->parent = (size_t)(dot - h->name) + 1;
		h->parent_hash = route_host_hash_padded(h->name + h->parent, len - h->parent);
	}
}

/* Is @p name (@p len bytes, hashed @p hash) in the owners list @p k (only "**." ones with
 * @p multi_only)? */
static bool
owner_has(const struct fo_route_table *t, unsigned k, const char *name, size_t len, uint32_t hash,
	bool multi_only)
{
	const struct route_owner *o = t->owners[k];
	unsigned lo = 0, hi = t->n_owners[k];

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (o[mid].hash < hash)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->n_owners[k] && o[lo].hash == hash; lo++)
		if (o[lo].len == len && memcmp(o[lo].name, name, len) == 0 &&
			(o[lo].multi || !multi_only))
			return true;
	return false;
}

/*
 * The offset of the suffix after the one at @p off ("b.c" after "a.b.c"),
 * 0 if none. Suffixes that start with '.' (after an empty label) are
 * skipped: no rule's host does, so at most 127 remain in 253 bytes.
 */
static size_t
next_suffix(const struct req_host *h, size_t off)
{
	for (;;) {
		const char *dot = memchr(h->name + off, '.', h->len - off);

		if (dot == NULL || (size_t)(dot - h->name) + 1 >= h->len)
			return 0;
		off = (size_t)(dot - h->name) + 1;
		if (h->name[off] != '.')
			return off;
	}
}

/* match_order ingress-nginx: the host class that owns the request (its nginx server). */
static void
find_owner(const struct fo_route_table *t, struct req_host *h)
{
	size_t o;

	h->owner = ROUTE_HOST_ANY;
	if (h->len != 0 && owner_has(t, 0, h->name, h->len, h->hash, false)) {
		h->owner = ROUTE_HOST_EXACT;
		return;
	}
	if (h->parent != 0 &&
		owner_has(t, 1, h->name + h->parent, h->len - h->parent, h->parent_hash, false)) {
		h->owner = ROUTE_HOST_WILD;
		return;
	}
	for (o = h->parent; t->has_multi && o != 0 && (o = next_suffix(h, o)) != 0;)
		if (owner_has(t, 1, h->name + o, h->len - o,
			    route_host_hash_padded(h->name + o, h->len - o), true)) {
			h->owner = ROUTE_HOST_WILD;
			return;
		}
}

static inline __attribute__((always_inline)) bool
host_ok(const struct route_rule *r, const struct req_host *h)
{
	if (h->owner != ROUTE_NO_OWNER && r->hclass != h->owner)
		return false; /* another server owns the request */
	switch (r->hclass) {
	case ROUTE_HOST_EXACT:
		return h->len == r->host_len && h->hash == r->host_hash &&
		       memcmp(h->name, r->host, h->len) == 0;
	case ROUTE_HOST_WILD:
		if (r->multi) /* "**.x": one or more labels, then ".x" */
			return h->parent != 0 && h->len - h->parent >= r->host_len &&
			       h->name[h->len - r->host_len - 1] == '.' &&
			       memcmp(h->name + h->len - r->host_len, r->host, r->host_len) == 0;
		return h->parent != 0 && h->len - h->parent == r->host_len &&
		       h->parent_hash == r->host_hash &&
		       memcmp(h->name + h->parent, r->host, r->host_len) == 0;
	default:
		return true;
	}
}

static inline void
cand_mark(struct fo_route_scratch *s, uint32_t rx)
{
	s->cand[rx >> 6] |= 1ull << (rx & 63);
	s->sum[rx >> 12] |= 1ull << ((rx >> 6) & 63);
}

/* The key-table candidates into the bitmap, and later ones straight there. */
static void
cands_spill(const struct fo_route_table *t, struct fo_route_scratch *s)
{
	unsigned i;

	if (s->n_cands == ROUTE_CANDS_SPILLED)
		return;
	for (i = 0; i < s->n_cands; i++)
		cand_mark(s, t->vrecs[s->cands[i]].rx);
	s->n_cands = ROUTE_CANDS_SPILLED;
}

/* A regex rule the key table found: into the sorted list while it has room. */
static inline void
cand_add(const struct fo_route_table *t, struct fo_route_scratch *s, uint32_t rank)
{
	unsigned i = s->n_cands, j;

	if (i < ROUTE_CANDS_MAX) {
		while (i > 0 && s->cands[i - 1] > rank)
			i--;
		if (i > 0 && s->cands[i - 1] == rank)
			return; /* colliding keys can bring a rule twice */
		for (j = s->n_cands; j > i; j--)
			s->cands[j] = s->cands[j - 1];
		s->cands[i] = rank;
		s->n_cands++;
		return;
	}
	cands_spill(t, s);
	cand_mark(s, t->vrecs[rank].rx);
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
	void *ctx)
{
	struct fo_route_scratch *s = ctx;
	const struct route_shard *sh = s->shard;
	uint32_t j;

	for (j = sh->id_start[id]; j < sh->id_start[id + 1]; j++)
		cand_mark(s, sh->rx_of[j]);
	return 0;
}

/*
 * Is there a '\n' or '\r' in path[from..len)? The path is readable
 * [0, len): a last piece shorter than 16 bytes is read as the path's last
 * 16 bytes when it has them.
 */
static inline bool
has_line_break(const char *path, size_t from, size_t len)
{
#ifdef __SSE2__
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	size_t i = from;

	for (; len - i >= 16; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(path + i));

		if (_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr))))
			return true;
	}
	if (i < len && len >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(path + len - 16));
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));

		return (m >> (16 - (len - i))) != 0;
	}
	for (; i < len; i++)
		if (path[i] == '\n' || path[i] == '\r')
			return true;
	return false;
#else
	return memchr(path + from, '\n', len - from) != NULL ||
	       memchr(path + from, '\r', len - from) != NULL;
#endif
}

/*
 * path[0..l) equals a fast rule's literal (of letters, digits and "/-_~",
 * lower case unless @p caseful: route_compile.c), the path lower-cased
 * unless @p caseful; @p len >= l. 8 bytes at a time: 8 bytes from any
 * position of the literal are readable (its pool copy is padded); the
 * path's last piece is read as 8 bytes where the path has them.
 */
static inline bool
lit_eq(const char *path, size_t len, const char *lit, size_t l, bool caseful)
{
	size_t i = 0, j;
	uint64_t a, b;

	for (; l - i >= 8; i += 8) {
		memcpy(&a, path + i, 8);
		memcpy(&b, lit + i, 8);
		if ((caseful ? a : route_lower8(a)) != b)
			return false;
	}
	if (i == l)
		return true;
	if (len - i >= 8) {
		memcpy(&a, path + i, 8);
	} else if (len >= 8) {
		memcpy(&a, path + len - 8, 8);
		a >>= 8 * (8 - (len - i));
	} else {
		/* a path shorter than a word: byte by byte, done at the first difference */
		for (j = i; j < l; j++) {
			char c = path[j];

			if (!caseful && c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != lit[j])
				return false;
		}
		return true;
	}
	memcpy(&b, lit + i, 8);
	/* little-endian: the first l - i bytes */
	return (((caseful ? a : route_lower8(a)) ^ b) & ((1ull << (8 * (l - i))) - 1)) == 0;
}

/*
 * A fast regex rule "LIT(/|$)(.*)" (route_compile.c) against the path:
 * the number of groups set in @p ov (3) on a match, 0 when it does not
 * match, -1 when PCRE2 must decide (a line break after LIT: '$' matches
 * before a final one, '.' none). LIT is compared first: a path that does
 * not start with it does not match whatever follows (no byte of LIT is
 * a line break), and that is how most rules of a table are rejected.
 */
static inline __attribute__((always_inline)) int
fast_match(const struct route_rule *r, const char *path, size_t len, PCRE2_SIZE ov[6])
{
	size_t l = r->lit_len, end;

	if (len < l)
		return 0;
	if (!lit_eq(path, len, r->lit, l, r->caseful))
		return 0;
	if (l < len && path[l] != '/')
		return path[l] == '\n' || path[l] == '\r' ? -1 : 0;
	if (l < len && has_line_break(path, l + 1, len))
		return -1;
	end = len;
	ov[0] = 0;
	ov[1] = end;
	ov[2] = l;
	ov[3] = l < len ? l + 1 : l; /* "/" or "" (the end) */
	ov[4] = ov[3];
	ov[5] = end;
	return 3;
}

/* fast_match() for tests, which do not see it inline. */
int
route_fast_match(const struct route_rule *r, const char *path, size_t len, PCRE2_SIZE ov[6])
{
	return fast_match(r, path, len, ov);
}

/* PCRE2 on the path; > 0 on a match (groups >= the result are unset). */
static int
run_regex(const struct route_rule *r, struct fo_route_scratch *s, const char *path, size_t len)
{
	if (r->jit)
		return pcre2_jit_match(r->re, (PCRE2_SPTR)path, len, 0, 0, s->md, s->mctx);
	return pcre2_match(r->re, (PCRE2_SPTR)path, len, 0, 0, s->md, s->mctx);
}

/*
 * Rule @p r against the request. 0 (a match, *res filled), -ENOENT (not
 * this rule) or -ENOSPC.
 */
static inline __attribute__((always_inline)) int
try_rule_inl(const struct fo_route_table *t, struct fo_route_scratch *s, const struct route_rule *r,
	const struct req_host *h, const char *path, size_t len, char *out, size_t cap,
	struct fo_route_result *res)
{
	size_t g0_len = len;
	const PCRE2_SIZE *ov = NULL;
	int ngroups = 0;

	if (!host_ok(r, h))
		return -ENOENT;
	/* conditions first: their regexes use s->md, which then holds the path's groups */
	if (r->n_preds != 0 && !route_preds_ok(r->preds, r->n_preds, s->rq, s->md, s->mctx))
		return -ENOENT;
	switch (r->type) {
	case FO_CONF_PATH_EXACT:
		if (len != r->lit_len || memcmp(path, r->lit, len) != 0)
			return -ENOENT;
		break;
	case FO_CONF_PATH_PREFIX:
		/* "/" (an empty literal) matches every path */
		if (r->lit_len > 0 && (len < r->lit_len || memcmp(path, r->lit, r->lit_len) != 0 ||
					      (len > r->lit_len && path[r->lit_len] != '/')))
			return -ENOENT;
		g0_len = r->lit_len;
		break;
	default:
		/*
		 * An exactly compiled rule needs PCRE2 only for its captures; if
		 * PCRE2 disagrees with Hyperscan there, PCRE2 is the reference.
		 */
		ov = s->fov;
		if (r->fast && (ngroups = fast_match(r, path, len, s->fov)) >= 0) {
			if (ngroups == 0)
				return -ENOENT;
			break;
		}
		if (r->hs_mode != ROUTE_HS_EXACT || r->rewrite_caps) {
			ngroups = run_regex(r, s, path, len);
			if (ngroups <= 0)
				return -ENOENT;
			ov = pcre2_get_ovector_pointer(s->md);
		}
		break;
	}
	res->route = r->index;
	res->upstream = r->conf->upstream;
	res->conf = r->conf;
	res->canary = 0;
	if (r->conf->n_canaries != 0 &&
		(res->canary = route_canary_pick(t, s, r->conf, r->index, s->rq)) != 0)
		res->upstream = r->conf->canaries[res->canary - 1].upstream;
	res->path = path;
	res->path_len = len;
	if (r->conf->rewrite == NULL) {
		if (r->conf->rewrite_prefix == NULL || r->type != FO_CONF_PATH_PREFIX)
			return 0;
		res->path = out;
		res->path_len = 0;
		return route_expand_prefix(r, path, len, out, cap, &res->path_len);
	}
	res->path = out;
	res->path_len = 0;
	return route_expand_rewrite(
		r, ov, ngroups, path, len, g0_len, out, cap, &res->path_len);
}

/* try_rule_inl() where a call costs less than its code (candidates, the vrec's rule). */
static int
try_rule(const struct fo_route_table *t, struct fo_route_scratch *s, const struct route_rule *r,
	const struct req_host *h, const char *path, size_t len, char *out, size_t cap,
	struct fo_route_result *res)
{
	return try_rule_inl(t, s, r, h, path, len, out, cap, res);
}

/* host_ok() on a verification record. */
static inline bool
vrec_host_ok(const struct route_vrec *v, const struct req_host *h)
{
	if (h->owner != ROUTE_NO_OWNER && v->hclass != h->owner)
		return false; /* another server owns the request */
	switch (v->hclass) {
	case ROUTE_HOST_EXACT:
		return h->len == v->host_len && h->hash == v->host_hash &&
		       memcmp(h->name, v->host, h->len) == 0;
	case ROUTE_HOST_WILD:
		if (v->flags & ROUTE_VREC_MULTI)
			return h->parent != 0 && h->len - h->parent >= v->host_len &&
			       h->name[h->len - v->host_len - 1] == '.' &&
			       memcmp(h->name + h->len - v->host_len, v->host, v->host_len) == 0;
		return h->parent != 0 && h->len - h->parent == v->host_len &&
		       h->parent_hash == v->host_hash &&
		       memcmp(h->name + h->parent, v->host, v->host_len) == 0;
	default:
		return true;
	}
}

/* The first @p n bytes of the path equal the record's literal (n <= lit_len). */
static inline bool
vrec_lit_eq(const struct route_vrec *v, const char *path, size_t n)
{
	size_t head = n < ROUTE_VREC_HEAD ? n : ROUTE_VREC_HEAD;

	return memcmp(path, v->head, head) == 0 &&
	       (n <= ROUTE_VREC_HEAD || memcmp(path + ROUTE_VREC_HEAD, v->lit + ROUTE_VREC_HEAD,
						n - ROUTE_VREC_HEAD) == 0);
}

/* An exact or prefix rule found in the key table, by its record: does it really match? */
static bool
vrec_ok(const struct fo_route_table *t, struct fo_route_scratch *s, const struct route_vrec *v,
	uint32_t rank, const struct req_host *h, const char *path, size_t len)
{
	const struct route_rule *r;

	if (!vrec_host_ok(v, h))
		return false;
	if (v->type == FO_CONF_PATH_EXACT) {
		if (len != v->lit_len || !vrec_lit_eq(v, path, len))
			return false;
	} else if (v->lit_len != 0 && (len < v->lit_len || !vrec_lit_eq(v, path, v->lit_len) ||
					      (len != v->lit_len && path[v->lit_len] != '/'))) {
		return false;
	}
	if (!(v->flags & ROUTE_VREC_PREDS))
		return true;
	r = &t->rules[rank];
	return route_preds_ok(r->preds, r->n_preds, s->rq, s->md, s->mctx);
}

/*
 * Could a rule of the regex database (or an always candidate) rank before
 * @p best for this request? Only rules of host classes the request can be
 * in can match it.
 */
static bool
db_needed(const struct fo_route_table *t, const struct req_host *h, uint32_t best)
{
	if (t->db_min_rank[ROUTE_HOST_ANY] < best)
		return true;
	if (h->len != 0 && t->db_min_rank[ROUTE_HOST_EXACT] < best &&
		route_bloom_has(t->db_bloom[0], ROUTE_BLOOM_WORDS / 4, h->hash))
		return true;
	return h->parent != 0 && t->db_min_rank[ROUTE_HOST_WILD] < best &&
	       (t->has_multi ||
		       route_bloom_has(t->db_bloom[1], ROUTE_BLOOM_WORDS / 4, h->parent_hash));
}

/*
 * Probe one key for host class @p cls: regex rules become candidates, the
 * first exact/prefix rule of that class that matches lowers *best. (A
 * colliding key may bring rules of another class: find_keyed() stops
 * after the first class with a best, so those must wait for their own.)
 */
static void
probe(const struct fo_route_table *t, struct fo_route_scratch *s, uint64_t key, uint64_t path_hash,
	enum route_host_class cls, const struct req_host *h, const char *path, size_t len,
	uint32_t *best)
{
	const struct route_kslot *slot = route_key_find(t, key, path_hash);
	uint32_t j;

	for (j = 0; slot != NULL && j < slot->n; j++) {
		uint32_t rank = slot->n == 1 ? slot->start : t->kranks[slot->start + j];
		const struct route_vrec *v = &t->vrecs[rank];

		if (rank >= *best)
			break; /* ascending */
		if (v->type == FO_CONF_PATH_REGEX) {
			cand_add(t, s, rank);
		} else if (v->hclass == cls && vrec_ok(t, s, v, rank, h, path, len)) {
			*best = rank;
			break;
		}
	}
}

/*
 * The key table for the request: host classes best first, and in each
 * the exact path then the boundaries longest first. Returns the rank of
 * the best exact/prefix rule that matches, UINT32_MAX if none.
 */
static uint32_t
find_keyed(const struct fo_route_table *t, struct fo_route_scratch *s, const struct req_host *h,
	const char *path, size_t len)
{
	unsigned kind[3 + ROUTE_SUFFIXES_MAX], n_cls = 0, c, k;
	uint32_t hh[3 + ROUTE_SUFFIXES_MAX], best = UINT32_MAX;
	size_t nb, i, o;

	if (h->len != 0 && route_bloom_has(t->bloom[0], ROUTE_BLOOM_WORDS, h->hash)) {
		kind[n_cls] = ROUTE_HOST_EXACT << 1;
		hh[n_cls++] = h->hash;
	}
	if (h->parent != 0 && route_bloom_has(t->bloom[1], ROUTE_BLOOM_WORDS, h->parent_hash)) {
		kind[n_cls] = ROUTE_HOST_WILD << 1;
		hh[n_cls++] = h->parent_hash;
	}
	/* "**." rules: every shorter suffix too, longest first (as their ranks go) */
	for (o = h->parent, k = 0; t->has_multi && o != 0 && k < ROUTE_SUFFIXES_MAX; k++) {
		uint32_t sh;

		o = next_suffix(h, o);
		if (o == 0)
			break;
		sh = route_host_hash_padded(h->name + o, h->len - o);
		if (route_bloom_has(t->bloom[1], ROUTE_BLOOM_WORDS, sh)) {
			kind[n_cls] = ROUTE_HOST_WILD << 1;
			hh[n_cls++] = sh;
		}
	}
	if (t->has_any) {
		kind[n_cls] = ROUTE_HOST_ANY << 1;
		hh[n_cls++] = 0;
	}
	if (n_cls == 0)
		return best;
	route_path_bounds(t, s->bounds, &nb, path, len);
	for (c = 0; c < n_cls && (best == UINT32_MAX || t->cross_class); c++) {
		if (nb > 0 && s->bounds[nb - 1].len == len)
			probe(t, s,
				route_key_mix(s->bounds[nb - 1].hash, kind[c] | ROUTE_KIND_EXACT,
					hh[c], t->hmask),
				s->bounds[nb - 1].hash, kind[c] >> 1, h, path, len, &best);
		for (i = nb; i-- > 0;)
			probe(t, s, route_key_mix(s->bounds[i].hash, kind[c], hh[c], t->hmask),
				s->bounds[i].hash, kind[c] >> 1, h, path, len, &best);
	}
	return best;
}

int
fo_route_match(const struct fo_route_table *t, struct fo_route_scratch *s, const char *host,
	size_t host_len, const char *path, size_t path_len, char *out, size_t cap,
	struct fo_route_result *res)
{
	struct fo_route_req rq = {
		.host = host, .host_len = host_len, .path = path, .path_len = path_len};

	return fo_route_match_req(t, s, &rq, out, cap, res);
}

int
fo_route_match_req(const struct fo_route_table *t, struct fo_route_scratch *s,
	const struct fo_route_req *rq, char *out, size_t cap, struct fo_route_result *res)
{
	unsigned n_sum = (t->n_words + 63) / 64, sw, k;
	const char *path = rq->path;
	size_t path_len = rq->path_len;
	struct req_host h;
	uint32_t best = UINT32_MAX;
	bool stop = false;
	int rc = -ENOENT;

	if (path == NULL)
		path = "";
	if (path_len > UINT32_MAX)
		return -ENOENT; /* Hyperscan's limit; far beyond any request line */
	s->rq = rq;
	s->n_cands = 0;
	h.len = 0;
	h.parent = 0;
	h.owner = ROUTE_NO_OWNER;
	if (t->has_hosts)
		prepare_host(&h, rq->host, rq->host_len);
	if (t->owns)
		find_owner(t, &h);
	if (t->linear) {
		/* few rules, each cheap to reject: the first in rank order that matches wins */
		for (k = 0; k < t->n_rules; k++) {
			rc = try_rule_inl(t, s, &t->rules[k], &h, path, path_len, out, cap, res);
			if (rc != -ENOENT)
				break;
		}
		return rc;
	}
	if (t->n_keys != 0)
		best = find_keyed(t, s, &h, path, path_len);
	/*
	 * The regex database only when one of its rules could still win: in
	 * a host class, regex rules rank after exact and prefix ones, so a hit
	 * there usually makes the scan useless.
	 */
	if ((t->n_shards != 0 || t->n_always != 0) && db_needed(t, &h, best)) {
		cands_spill(t, s);
		/* a scan error can only be a bad argument: then no rule matches */
		for (k = 0; k < t->n_shards; k++) {
			if (t->shards[k].obj->db == NULL)
				continue;
			s->shard = &t->shards[k];
			hs_scan(t->shards[k].obj->db, path, (unsigned)path_len, 0, s->hs, on_match,
				s);
		}
		for (k = 0; k < t->n_always; k++)
			cand_mark(s, t->always[k]);
	}
	/* regex candidates in rank order, while they rank before the best literal rule */
	if (s->n_cands != ROUTE_CANDS_SPILLED) {
		for (k = 0; k < s->n_cands && s->cands[k] < best; k++) {
			rc = try_rule(
				t, s, &t->rules[s->cands[k]], &h, path, path_len, out, cap, res);
			if (rc != -ENOENT)
				break;
		}
		goto literal;
	}
	for (sw = 0; sw < n_sum && !stop; sw++) {
		uint64_t sb = s->sum[sw];

		while (sb != 0 && !stop) {
			unsigned w = sw * 64 + (unsigned)__builtin_ctzll(sb);
			uint64_t bits = s->cand[w];

			sb &= sb - 1;
			while (bits != 0) {
				uint32_t rank =
					t->rx_rank[w * 64 + (unsigned)__builtin_ctzll(bits)];

				bits &= bits - 1;
				if (rank >= best) {
					stop = true;
					break;
				}
				rc = try_rule(
					t, s, &t->rules[rank], &h, path, path_len, out, cap, res);
				if (rc != -ENOENT) {
					stop = true;
					break;
				}
			}
		}
	}
	for (sw = 0; sw < n_sum; sw++) {
		uint64_t sb = s->sum[sw];

		for (; sb != 0; sb &= sb - 1)
			s->cand[sw * 64 + (unsigned)__builtin_ctzll(sb)] = 0;
		s->sum[sw] = 0;
	}
literal:
	if (rc == -ENOENT && best != UINT32_MAX) {
		const struct route_vrec *v = &t->vrecs[best];

		if (!(v->flags & ROUTE_VREC_PLAIN))
			return try_rule(t, s, &t->rules[best], &h, path, path_len, out, cap, res);
		/* verified by its probe; nothing to expand: the rule is not read */
		res->route = v->index;
		res->upstream = v->upstream;
		res->conf = &t->conf->routes[v->index];
		res->canary = 0;
		res->path = path;
		res->path_len = path_len;
		rc = 0;
	}
	return rc;
}
