/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/route internals: the compiled table and the per-worker scratch.
 * Shared by route_compile.c (builds the table), route_superset.c (finds a
 * pattern Hyperscan accepts for a regex it rejects) and route_match.c.
 */
#ifndef ROUTE_PRIV_H
#define ROUTE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "fo_conf.h"

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

/* Largest normalised request host compared against host rules (RFC 1035). */
#define ROUTE_HOST_MAX 253

/* One rule, at its priority rank (its Hyperscan id is that rank). */
struct route_rule {
	const struct fo_conf_route *conf;
	unsigned index; /* in conf->routes */
	enum fo_conf_path_type type;
	enum route_host_class hclass;
	enum route_hs_mode hs_mode;
	bool rewrite_caps; /* the rewrite uses "$N": the winner needs its captures */
	/* exact / prefix: the literal (prefix: trailing '/' removed, "/" -> "") */
	const char *lit;
	size_t lit_len;
	/* host (exact) or the part after "*." (wildcard), lower case */
	const char *host;
	size_t host_len;
	uint32_t host_hash;
	/* regex: compiled with PCRE2_ANCHORED | PCRE2_CASELESS */
	pcre2_code *re;
	bool jit; /* pcre2_jit_compile() succeeded: use pcre2_jit_match() */
};

struct fo_route_table {
	const struct fo_conf *conf;
	struct route_rule *rules; /* priority order */
	unsigned n_rules;
	unsigned n_words;  /* 64-bit words of a candidate bitmap */
	hs_database_t *db; /* NULL when no rule is in Hyperscan */
	unsigned *always;  /* ranks of the ROUTE_HS_NONE rules, ascending */
	unsigned n_always;
	uint32_t ovec_pairs; /* largest capture count + 1 over all regex rules */
	bool has_hosts;      /* some rule has a host */
};

struct fo_route_scratch {
	hs_scratch_t *hs;
	uint64_t *cand; /* candidate bitmap; all zero between matches */
	unsigned n_words;
	unsigned lo, hi; /* words touched during the current scan */
	pcre2_match_data *md;
	uint32_t md_pairs;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;
};

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

/* FNV-1a over a lower-case host, as route_match.c and route_compile.c both hash. */
static inline uint32_t
route_host_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

#endif /* ROUTE_PRIV_H */
