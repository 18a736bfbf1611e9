/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/route internals: the compiled table and the per-worker scratch.
 * Shared by route_compile.c (builds the table), route_key.c (the
 * element-boundary key table), route_cache.c (PCRE2 codes and regex
 * database shards, cached by content), route_superset.c (finds a pattern
 * Hyperscan accepts for a regex it rejects) and route_match.c.
 */
#ifndef ROUTE_PRIV_H
#define ROUTE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <hs/hs.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "fo_conf.h"
#include "fo_route.h"
#include "route_pred.h"

/* Host classes, in priority order. */
enum route_host_class {
	ROUTE_HOST_EXACT, /* "api.example.com" */
	ROUTE_HOST_WILD,  /* "*.example.com": exactly one more label */
	ROUTE_HOST_ANY,   /* no host: every request */
};

/* What Hyperscan knows about a rule. */
enum route_hs_mode {
	ROUTE_HS_EXACT,    /* Hyperscan matches exactly the rule's paths */
	ROUTE_HS_SUPERSET, /* Hyperscan matches a superset: confirm with PCRE2 */
	ROUTE_HS_NONE,     /* not in the database: always a candidate, confirm */
};

/* req_host.owner when every host class may match (not match_order ingress-nginx) */
#define ROUTE_NO_OWNER 3u

/* Suffixes of a request's host probed for "**." rules beyond its parent ("c.d" and "d"
 * of "a.b.c.d"): as many as a 253-byte name can have labels */
#define ROUTE_SUFFIXES_MAX 127

/* Largest normalised request host compared against host rules (RFC 1035). */
#define ROUTE_HOST_MAX 253

/*
 * One rule, at its priority rank. Packed (96 bytes): what verifying a
 * candidate reads (type, class, flags, literal, host) comes first, what
 * only the winner or the compiler needs after it.
 */
struct route_rule {
	uint8_t type;      /* enum fo_conf_path_type (ingress-nginx order: maybe REGEX) */
	uint8_t hclass;    /* enum route_host_class */
	uint8_t hs_mode;   /* enum route_hs_mode */
	bool multi;        /* "**.": one or more labels before the host, not exactly one */
	bool rewrite_caps; /* the rewrite uses "$N": the winner needs its captures */
	bool jit;          /* pcre2_jit_compile() succeeded: use pcre2_jit_match() */
	bool keyed;        /* in the key table (else a regex in the Hyperscan database) */
	bool caseful;      /* regex compiled without PCRE2_CASELESS */
	/* exact / prefix: the literal (prefix: trailing '/' removed, "/" -> "") */
	const char *lit;
	/* host (exact) or the part after "*." or "**." (wildcard), lower case */
	const char *host;
	uint32_t lit_len;
	uint32_t host_len;
	uint32_t host_hash;
	uint32_t rx;      /* regex rules: index among them (rank order) */
	uint32_t key_len; /* the priority key: prefix literal or regex pattern length */
	uint32_t index;   /* in conf->routes */
	const struct fo_conf_route *conf;
	/* regex: compiled with PCRE2_ANCHORED (and PCRE2_CASELESS) (shared, cached) */
	pcre2_code *re;
	/* `match` conditions: all must hold (NULL, 0: none) */
	struct route_pred *preds;
	uint32_t n_preds;
	/* the order's keys besides class, type and length (route_compile.c) */
	int32_t priority;
	struct route_pred_counts counts;
	/* a regex "LIT(/|$)(.*)" (ingress-nginx's rewrite-target idiom, the seed's): matched
	 * and its groups found without PCRE2, LIT in lit/lit_len (route_compile.c: a copy in
	 * t->lit_pool, lower case unless caseful, 8 readable bytes past its end) */
	bool fast;
	struct route_obj *re_obj; /* the cached PCRE2 code this rule holds a reference to */
};

/* A host that owns its requests (match_order ingress-nginx), by hash. */
struct route_owner {
	uint32_t hash;
	uint16_t len;
	uint16_t multi;   /* "**." */
	const char *name; /* lower case; a wildcard's part after "*." */
};

/*
 * The element-boundary key table (route_key.c). Every exact rule, prefix
 * rule and regex rule with a literal front ending at an element boundary
 * has a key: its literal (exact, prefix) or front, lower case, hashed
 * element by element, mixed with its host class and host hash. A request
 * hashes its lower-cased path once, element by element, and probes the
 * table at each boundary (position 0, each '/', the end). Slots list the
 * ranks whose key hashed there (colliding keys share a slot: every
 * candidate is verified), ascending.
 */
struct route_kslot {
	uint64_t key;   /* 0: empty */
	uint32_t start; /* into kranks; n == 1: the rank itself (one read less) */
	uint32_t n;
};

/*
 * What verifying a key-table candidate reads, one cache line per rank
 * (fo_route_table.vrecs): a probe that finds an exact or prefix rule
 * checks host and literal here, and a winner without rewrite or
 * conditions (ROUTE_VREC_PLAIN) is answered from here too, so such a hit
 * reads its key slot and this line, not the rule, its strings and its
 * route. Hosts point into the table's pool of distinct hosts (few, so
 * cached); the literal's first bytes are inline.
 */
#define ROUTE_VREC_HEAD 22
#define ROUTE_VREC_MULTI 1u /* "**." host */
#define ROUTE_VREC_PREDS 2u /* has `match` conditions: check them on the rule */
#define ROUTE_VREC_PLAIN 4u /* exact/prefix, no rewrite, no rewrite_prefix: res from here */

struct route_vrec {
	uint8_t type;   /* enum fo_conf_path_type (as the rule's) */
	uint8_t hclass; /* enum route_host_class */
	uint8_t flags;  /* ROUTE_VREC_* */
	uint8_t pad;
	uint32_t host_hash;
	uint32_t lit_len;
	uint32_t rx;      /* regex rules: index among them */
	const char *host; /* into the host pool */
	const char *lit;  /* the whole literal (bytes past head[]) */
	uint32_t index;   /* in conf->routes */
	uint32_t upstream;
	uint16_t host_len;
	char head[ROUTE_VREC_HEAD]; /* the literal's first bytes */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct route_vrec) == 64, "a verification record is one cache line");

/* Bloom bits over host hashes (exact hosts, wildcard parents). */
#define ROUTE_BLOOM_WORDS 256

/* A shard of the regex database: a cached object plus this table's ids. */
struct route_shard {
	struct route_obj *obj; /* hs database + per-id mode, shared, cached */
	uint32_t *id_start;    /* per local id: first entry in rx_of (n_ids + 1 of them) */
	uint32_t *rx_of;       /* rx indices of the rules with that pattern */
};

struct fo_route_table {
	const struct fo_conf *conf;
	struct route_rule *rules; /* priority order */
	unsigned n_rules;
	/* key table */
	struct route_kslot *kslots;
	uint64_t kmask; /* slots - 1 */
	uint32_t *kranks;
	struct route_vrec *vrecs; /* per rank */
	char *host_pool;          /* each distinct rule host once, NUL-terminated */
	unsigned n_keys;          /* ranks in the key table */
	size_t max_klen;          /* longest key: boundaries past it are not probed */
	uint64_t *klens;          /* bit per key length <= max_klen present */
	uint64_t hmask;           /* route_hash_mask when compiled (tests force collisions) */
	uint64_t *kbloom;         /* two bits per key in one word: most probes stop here */
	uint64_t kbloom_mask;     /* words - 1 */
	uint64_t bloom[2][ROUTE_BLOOM_WORDS]; /* exact hosts, wildcard parents */
	bool has_any;                         /* some keyed rule has no host */
	/* regex rules: rx index -> rank */
	uint32_t *rx_rank;
	unsigned n_rx;
	unsigned n_words;           /* 64-bit words of the candidate bitmap (n_rx bits) */
	struct route_shard *shards; /* the Hyperscan regex database, sharded */
	unsigned n_shards;
	/*
	 * The rules in shards or always candidates: best rank per host class,
	 * and bloom bits of their hosts. A request whose best exact/prefix
	 * rule ranks before all of them in its classes needs no scan.
	 */
	uint32_t db_min_rank[3];
	uint64_t db_bloom[2][ROUTE_BLOOM_WORDS / 4];
	unsigned *always; /* rx indices of the ROUTE_HS_NONE rules, ascending */
	unsigned n_always;
	uint32_t ovec_pairs; /* largest capture count + 1 over all regex rules */
	bool has_hosts;      /* some rule has a host */
	/*
	 * Set when some rule's place breaks "host classes best first" (a
	 * priority): then the key table is probed for every class the request
	 * can be in, not only up to the first that has a match.
	 */
	bool cross_class;
	bool has_multi; /* some rule's host is "**.": wildcard classes for every suffix */
	/*
	 * At most ROUTE_LINEAR_MAX rules, each exact, prefix or a fast regex
	 * ("LIT(/|$)(.*)"), none with `match` conditions: each is rejected in
	 * a few compares, so trying them in rank order costs less than hashing
	 * the path and probing the key table (route_match.c).
	 */
	bool linear;
	/* match_order ingress-nginx: the hosts that own their requests, sorted by hash */
	struct route_owner *owners[2]; /* exact hosts, wildcard parents */
	unsigned n_owners[2];
	bool owns;
	/* per conf route index, routes with `canary` blocks only (route_canary.c); NULL: none */
	struct route_canaries **canaries;
	unsigned n_canaries; /* entries of canaries[] (conf->n_routes when it was built) */
	char *lit_pool;      /* fast regex rules' literals */
	struct fo_route_stats stats;
};

struct route_bound {
	uint64_t hash; /* of the lower-cased path up to here, element by element */
	uint32_t len;
};

#define ROUTE_CANDS_MAX 8
#define ROUTE_LINEAR_MAX 8
#define ROUTE_CANDS_SPILLED (ROUTE_CANDS_MAX + 1)

struct fo_route_scratch {
	hs_scratch_t *hs;
	uint64_t *cand; /* candidate bitmap over rx indices; all zero between matches */
	uint64_t *sum;  /* a bit per non-zero word of cand */
	unsigned n_words;
	struct route_bound *bounds; /* the request's element boundaries */
	size_t n_bounds_max;
	const struct route_shard *shard; /* the shard being scanned */
	pcre2_match_data *md;
	uint32_t md_pairs;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;
	const struct fo_route_req *rq; /* the request being matched */
	/*
	 * Regex candidates the key table found, by rank, ascending, distinct:
	 * a request has few, so they skip the bitmap unless there are more
	 * than ROUTE_CANDS_MAX or the regex database is scanned too (then
	 * they go to the bitmap, and n_cands is ROUTE_CANDS_SPILLED).
	 */
	uint32_t cands[ROUTE_CANDS_MAX];
	unsigned n_cands;
	PCRE2_SIZE fov[6]; /* groups of a fast regex rule */
};

/*
 * Compiled objects shared by tables and kept by a cache (route_cache.c):
 * a PCRE2 code, or one shard of the regex database. Reference-counted;
 * taken and released on the control thread only.
 */
enum route_obj_kind {
	ROUTE_OBJ_RE,    /* PCRE2 code, case-insensitive (nginx ~*) */
	ROUTE_OBJ_DB,    /* a regex database shard */
	ROUTE_OBJ_RE_CS, /* PCRE2 code, case-sensitive (case_sensitive on) */
};

struct route_obj {
	enum route_obj_kind kind;
	unsigned refs;
	uint64_t hash;
	char *key; /* pattern, or the shard's patterns each followed by '\0' */
	size_t key_len;
	uint64_t used; /* the cache generation that last used it */
	/* ROUTE_OBJ_RE */
	pcre2_code *re;
	bool jit;
	uint32_t ncap;
	/* ROUTE_OBJ_DB: ids are indices into the shard's sorted patterns */
	hs_database_t *db; /* NULL when no pattern of the shard is in Hyperscan */
	size_t db_bytes;
	unsigned n_ids;
	uint8_t *modes;    /* enum route_hs_mode per id */
	const char **pats; /* per id, sorted (into key) */
};

/*
 * The regex database: a base shard and a delta shard. With a cache, a
 * compile keeps the last base while at most ROUTE_DELTA_MAX of its
 * patterns are new (those go to the delta shard) and at most
 * ROUTE_DELTA_MAX + a quarter of the base's are gone (their ids map to no
 * rule); beyond that it builds a new base of every pattern.
 */
#define ROUTE_SHARDS_MAX 2
#define ROUTE_DELTA_MAX 32

/* Tests set it to a small mask to make every key collide; 0 means ~0. */
extern uint64_t route_hash_mask;

#define ROUTE_HASH_SEED 0x243f6a8885a308d3ull
#define ROUTE_HASH_MUL 0x9e3779b97f4a7c15ull

/* ASCII upper case to lower case in 8 bytes at once (other bytes kept). */
static inline uint64_t
route_lower8(uint64_t x)
{
	uint64_t seven = x & 0x7f7f7f7f7f7f7f7full;
	uint64_t ge_a = seven + 0x3f3f3f3f3f3f3f3full; /* high bit: byte >= 'A' */
	uint64_t gt_z = seven + 0x2525252525252525ull; /* high bit: byte > 'Z' */

	return x | (((ge_a ^ gt_z) & ~x & 0x8080808080808080ull) >> 2);
}

static inline uint64_t
route_hash_fold(uint64_t h, uint64_t w)
{
	h = (h ^ w) * ROUTE_HASH_MUL;
	return h ^ (h >> 29);
}

/* A path hash mixed with a key kind (host class, exact) and host hash. */
static inline uint64_t
route_key_mix(uint64_t h, unsigned kind, uint32_t host_hash, uint64_t mask)
{
	uint64_t k = route_hash_fold(h, ((uint64_t)host_hash << 8) | kind) & mask;

	return k != 0 ? k : 1; /* 0 marks an empty slot */
}

/* Bloom bits of a host hash in @p words words. */
static inline void
route_bloom_set(uint64_t *bloom, unsigned words, uint32_t h)
{
	unsigned bit = (h ^ (h >> 16)) % (words * 64);

	bloom[bit >> 6] |= 1ull << (bit & 63);
}

static inline bool
route_bloom_has(const uint64_t *bloom, unsigned words, uint32_t h)
{
	unsigned bit = (h ^ (h >> 16)) % (words * 64);

	return (bloom[bit >> 6] >> (bit & 63)) & 1;
}

/*
 * Fold the element s[0..n) into @p h; [lo, hi) is readable memory around
 * it, so the last bytes are read as one 8-byte word when it fits there.
 */
static inline uint64_t
route_hash_elem(uint64_t h, const char *s, size_t n, const char *lo, const char *hi)
{
	size_t i = 0, rem;
	uint64_t w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = route_hash_fold(h, route_lower8(w));
	}
	rem = n - i;
	if (rem > 0) {
		if (hi - (s + i) >= 8) {
			memcpy(&w, s + i, 8);
			w &= (1ull << (8 * rem)) - 1;
		} else if ((s + n) - lo >= 8) {
			memcpy(&w, s + n - 8, 8);
			w >>= 8 * (8 - rem);
		} else {
			unsigned sh = 0;

			for (w = 0; i < n; i++, sh += 8)
				w |= (uint64_t)(uint8_t)s[i] << sh;
		}
		h = route_hash_fold(h, route_lower8(w));
	}
	return route_hash_fold(h, n | (1ull << 63));
}

/* The first '/' in p[from..len), or len; a word at a time. */
static inline size_t
route_next_slash(const char *p, size_t from, size_t len)
{
	size_t i = from;

	for (; i + 8 <= len; i += 8) {
		uint64_t w, x, m;

		memcpy(&w, p + i, 8);
		x = w ^ 0x2f2f2f2f2f2f2f2full;
		m = (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
		if (m != 0)
			return i + (size_t)__builtin_ctzll(m) / 8;
	}
	for (; i < len; i++)
		if (p[i] == '/')
			return i;
	return len;
}

static inline bool
route_klen_present(const struct fo_route_table *t, size_t l)
{
	return (t->klens[l >> 6] >> (l & 63)) & 1;
}

/*
 * The request path's element boundaries that some key's length has, each
 * with the hash of the path up to it, into b[0..*n). Inline: it runs once
 * per request, for few boundaries. Elements that start at or past the
 * longest key end past it: they are not looked at.
 */
static inline void
route_path_bounds(const struct fo_route_table *t, struct route_bound *b, size_t *n,
	const char *path, size_t len)
{
	size_t a = 0, e, k = 0, lim = len < t->max_klen ? len : t->max_klen;
	uint64_t h = ROUTE_HASH_SEED;

	if (route_klen_present(t, 0))
		b[k++] = (struct route_bound){h, 0};
	/*
	 * a >= lim: the next boundary is past lim, and so is a final newline's
	 * (len - 1 >= a, and path[a] is '/' when a > 0; when a == 0 that
	 * boundary is position 0, already there)
	 */
	while (a < lim) {
		e = route_next_slash(path, a + 1, len);
		/* '$' in a regex front's "(/|$)" also matches before a final newline */
		if (e == len && path[len - 1] == '\n' && len - 1 <= t->max_klen &&
			route_klen_present(t, len - 1)) {
			uint64_t hn = h;

			if (len - 1 > a)
				hn = route_hash_elem(h, path + a, len - 1 - a, path, path + len);
			b[k++] = (struct route_bound){hn, (uint32_t)(len - 1)};
		}
		if (e > lim)
			break;
		h = route_hash_elem(h, path + a, e - a, path, path + len);
		a = e;
		if (route_klen_present(t, a))
			b[k++] = (struct route_bound){h, (uint32_t)a};
	}
	*n = k;
}

/* route_key.c */
uint64_t route_key_hash(const char *s, size_t len);
size_t route_regex_key(const char *pat, size_t len, char *key, size_t cap);
int route_keys_build(struct fo_route_table *t);
int route_vrecs_build(struct fo_route_table *t);

/* Two bits of one word per key: a probe that misses (most do) reads one word. */
static inline uint64_t
route_kbloom_bits(uint64_t key)
{
	return (1ull << (key & 63)) | (1ull << ((key >> 6) & 63));
}

/*
 * The slot of @p key, or NULL (also when the key bloom says no). The bloom
 * word is chosen by @p path_hash, the key's path hash before the host
 * class and host are mixed in: the probes of all host classes at one
 * boundary read one word.
 */
static inline const struct route_kslot *
route_key_find(const struct fo_route_table *t, uint64_t key, uint64_t path_hash)
{
	uint64_t j, bits = route_kbloom_bits(key);

	if ((t->kbloom[(path_hash >> 32) & t->kbloom_mask] & bits) != bits)
		return NULL;
	for (j = key & t->kmask; t->kslots[j].n != 0; j = (j + 1) & t->kmask)
		if (t->kslots[j].key == key)
			return &t->kslots[j];
	return NULL;
}

/* Key kinds mixed into a key: which host class, exact path or prefix. */
#define ROUTE_KIND_PREFIX 0u
#define ROUTE_KIND_EXACT 1u

/* route_rewrite.c (route_rewrite.h: the winner's rewrite), route_match.c: a fast regex's groups */
int route_expand_prefix(const struct route_rule *r, const char *path, size_t len, char *out,
	size_t cap, size_t *out_len);
int route_fast_match(const struct route_rule *r, const char *path, size_t len, PCRE2_SIZE ov[6]);
/*
 * src[0..len) into out[0..cap), the bytes nginx escapes in a rewritten URI
 * as %XX: the bytes written or -ENOSPC. route_copy_escaped() reads [lo, hi)
 * (readable memory around src[0..len)) 16 bytes at a time where SSSE3 is
 * built in; route_copy_escaped_scalar() a byte at a time (both give the
 * same result).
 */
ssize_t route_copy_escaped(char *out, size_t cap, const char *src, size_t len, const char *lo,
	const char *hi);
ssize_t route_copy_escaped_scalar(char *out, size_t cap, const char *src, size_t len);

/* route_canary.c */
struct route_canaries;
int route_canaries_compile(struct fo_route_table *t, char *err, size_t errlen);
void route_canaries_free(struct fo_route_table *t);
unsigned route_canary_pick(const struct fo_route_table *t, struct fo_route_scratch *s,
	const struct fo_conf_route *c, unsigned index, const struct fo_route_req *rq);

/* route_cache.c */
struct route_obj *route_cache_re(struct fo_route_cache *c, const char *pat, bool caseful, char *err,
	size_t errlen, const struct fo_conf_route *r, bool *built);
struct route_obj *route_cache_db(struct fo_route_cache *c, const char *const *pats, unsigned n,
	char *err, size_t errlen, bool *built);
void route_obj_unref(struct route_obj *o);
struct route_obj *route_cache_base(struct fo_route_cache *c);
void route_cache_set_base(struct fo_route_cache *c, struct route_obj *o);
void route_cache_take(struct fo_route_cache *c, struct route_obj *o);
struct fo_route_cache *route_cache_begin(struct fo_route_cache *c);
void route_cache_end(struct fo_route_cache *c, bool ok);
void route_err(char *err, size_t errlen, const struct fo_conf_route *r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The wrapper every regex is given to Hyperscan in: anchored at the path start. */
#define ROUTE_HS_WRAP_HEAD "^(?:"
#define ROUTE_HS_WRAP_TAIL ")"

/* Hyperscan flags of a regex rule (caseless like nginx "location ~*"). */
#define ROUTE_HS_REGEX_FLAGS (HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY)

/*
 * Byte offsets at which @p pat may be cut so that the part before the cut,
 * matched anchored at the start of a subject, accepts a superset of what
 * the whole pattern accepts (top-level concatenation boundaries). Written
 * ascending into @p cuts (at most @p max; the pattern's length itself is
 * not included). Returns how many.
 */
unsigned route_superset_cuts(const char *pat, size_t len, size_t *cuts, unsigned max);

/* A lower-case host hashed 8 bytes at a time, as route_match.c and route_key.c both do. */
static inline uint32_t
route_host_hash(const char *s, size_t n)
{
	uint64_t h = 0x452821e638d01377ull, w;
	size_t i = 0;
	unsigned sh = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	for (w = 0; i < n; i++, sh += 8)
		w |= (uint64_t)(uint8_t)s[i] << sh;
	h = (h ^ w ^ ((uint64_t)n << 56)) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

/*
 * route_host_hash() of s[0..n) when 8 bytes from any offset up to n are
 * readable (a request's host in its padded buffer): the last partial word
 * is one masked load instead of a loop over its bytes. Same result.
 */
static inline uint32_t
route_host_hash_padded(const char *s, size_t n)
{
	uint64_t h = 0x452821e638d01377ull, w = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	w = 0;
	if (i < n) {
		memcpy(&w, s + i, 8);
		w &= ~0ull >> (8 * (8 - (n - i)));
	}
	h = (h ^ w ^ ((uint64_t)n << 56)) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

#endif /* ROUTE_PRIV_H */
