/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * fanout routing: the config's routes compiled into an element-boundary
 * hash (exact paths, prefixes, and regexes whose literal front ends at an
 * element boundary), a small Hyperscan database for the other regexes,
 * and PCRE2-JIT codes to confirm candidates Hyperscan or the hash only
 * approximate and to extract the winner's capture groups for its rewrite.
 *
 * Engine (lib/route/README.md has the measurements behind it):
 *  - keys: a request's lower-cased path is hashed element by element
 *    once; at each element boundary (the start, each '/', the end) the
 *    hash, mixed with each host class the request can be in, is probed in
 *    one open-addressing table. A prefix rule "/a/b" is found at the
 *    boundary after "/a/b", an exact rule at the end, a regex rule
 *    "/a/b(/|$)(.*)" or "/a/b/[0-9]+" by its literal front cut at its last
 *    boundary ("/a/b"). Candidates are verified (memcmp and the element
 *    rule; PCRE2 for regexes), so hash collisions cost time, never
 *    results. Cost: one hash pass over the path and a probe per boundary
 *    per host class, whatever the number of rules.
 *  - regex database: the regex rules without such a front ("[a-z]+/x",
 *    "/(a+)/\1", "/x(?=y)") go to Hyperscan as before (exact, prefilter
 *    or front part, else PCRE2 alone), in a base shard and, after a
 *    cached recompile, a delta shard with the patterns added since (one
 *    scan each).
 *  - small tables (at most 8 rules, each exact, prefix or "LIT(/|$)(.*)",
 *    none with `match` conditions): no lookup, each rule is tried in
 *    priority order, the first that matches wins (a rule is rejected in a
 *    compare or two, cheaper than hashing the path).
 *  - cache: fo_route_compile_cached() takes PCRE2 codes and database
 *    shards from a struct fo_route_cache by content, so a reload that
 *    changes one route recompiles that route's regex (if any) and at most
 *    a delta shard of the new front-less patterns; everything else of the
 *    table is rebuilt in milliseconds.
 *
 * Compilation (fo_route_compile) runs on the control thread and may take
 * long for large rule sets; the result is an immutable table that workers
 * share read-only. Each worker owns a scratch (Hyperscan scratch + PCRE2
 * match data), so matching takes no lock and allocates nothing.
 *
 * Priority (what wins when several rules match a request): a route's
 * `priority` first (higher first, 0 by default: an explicit priority
 * overrides everything below); then rules with a host before rules for
 * any host (an exact host before a wildcard "*.example.com", wildcards
 * longest first); within the same host class, exact paths, then prefix
 * paths (longest first), then regex paths (longest pattern first); then,
 * with `match_order gateway` (the default), Gateway API's tie-breaks: a
 * method condition, then more header conditions, then more query
 * conditions; ties in config order. A rule whose `match` conditions
 * (method, header, query, cookie: route_pred.c) do not all hold is passed
 * over for the next one.
 *
 * `match_order ingress-nginx` orders and matches as ingress-nginx renders
 * Ingresses into nginx server blocks: a host (exact, else wildcard, else
 * none) that has rules owns its requests -- a path none of them matches
 * gets no host-less rule (404 or the host's default backend), where
 * gateway order falls through to the rules without host; and once one
 * rule of a host is a regex (use-regex, rewrite-target), every path of
 * that host is a case-insensitive regex anchored at its start (nginx
 * `location ~* "^P"`, so prefix "/foo" also takes "/foobar" and exact
 * "/Docs" takes "/docs/x"), all ordered by path length, longest first.
 *
 * Matching semantics:
 *  - exact:  the path equals the pattern;
 *  - prefix: the pattern is a prefix of the path element by element
 *            ("/a" matches "/a", "/a/" and "/a/b", not "/ab"; a trailing
 *            '/' in the pattern is ignored, "/" matches every path);
 *  - regex:  PCRE2 anchored at the start of the path, case-insensitive
 *            (nginx "location ~*", which ingress-nginx uses for regex
 *            paths), not anchored at the end;
 *  - host:   case-insensitive, the request's port (":8080") and one
 *            trailing '.' ignored (as nginx); "*.example.com" matches
 *            exactly one more, non-empty label. A request without a Host,
 *            or with one longer than 253 bytes, matches only rules without
 *            host. A request whose host has no matching path falls through
 *            to the rules without host (gateway order; not with
 *            ingress-nginx order, above).
 * The path is matched as the caller gives it; the query string is not
 * part of it. lib/proxy gives the path normalized as nginx reads it
 * (fo_http_path_normalize(): %XX decoded, "//" merged, dot segments
 * resolved), so routes see decoded bytes.
 *
 * Rewrite: "$N" (one digit) is replaced by group N of the winner's match,
 * an unset group by nothing; any other '$' is literal (no escaping). What
 * a group copies is escaped again as nginx (1.22) escapes a rewritten URI:
 * space, '"', '#', '%', '<', '>', '?', '\', '^', '`', '{', '|', '}',
 * control and non-ASCII bytes become %XX (upper case), so a decoded "%3F"
 * cannot start a query in the rewritten path. For
 * regex rules $0 is PCRE2's whole match (anchored, not to the path's end);
 * for exact rules $0 is the path; for prefix rules $0 is the matched
 * prefix without trailing '/' ("/api/" on "/api/v1/x" gives "/api").
 *
 * In the regex database, Hyperscan cannot compile every PCRE construct (e.g. "^/test01(/|$)(.*)"
 * fails with "Embedded end anchors not supported", also in prefilter
 * mode). Such a rule is given to Hyperscan in prefilter mode (a pattern
 * matching a superset) or, when even that fails, as the longest front part
 * of the regex Hyperscan accepts ("^/test01(/|$)" for the seed), and
 * marked "confirm": its candidates are confirmed with PCRE2 JIT in
 * priority order. A regex with no usable front part (e.g. a leading
 * recursive group) is a candidate for every path and PCRE2 alone decides.
 * Only the winner's captures are computed. A PCRE2 error at match time
 * (e.g. the JIT stack limit, 512 KiB) counts as "does not match".
 */
#ifndef FO_ROUTE_H
#define FO_ROUTE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fo_conf.h"

struct fo_http_msg;

/** Longest rewritten path fo_route_match() produces (bytes). */
#define FO_ROUTE_REWRITE_MAX 8192

struct fo_route_table;
struct fo_route_scratch;
struct fo_route_cache;

/**
 * Compile the routes of @p conf. @p conf must outlive the table (the
 * table points into it).
 *
 * @param err    on failure, a one-line message ("file:line:col: ..." when
 *               a rule is at fault); may be NULL. Set to "" on success.
 * @return the table, or NULL with errno set: ENOMEM, or EINVAL (a regex
 *         PCRE2 rejects with PCRE2_ANCHORED | PCRE2_CASELESS, or Hyperscan
 *         rejecting the whole database, e.g. too large).
 */
struct fo_route_table *fo_route_compile(const struct fo_conf *conf, char *err, size_t errlen);

/**
 * A cache of compiled parts for fo_route_compile_cached(): owned by the
 * control thread (tables compiled with it must be freed on that thread
 * too). It keeps what the last successful compile used.
 * @return the cache, or NULL (ENOMEM).
 */
struct fo_route_cache *fo_route_cache_create(void);

/** Free a cache; tables compiled with it stay valid. NULL is a no-op. */
void fo_route_cache_free(struct fo_route_cache *c);

/**
 * fo_route_compile() taking PCRE2 codes and regex database shards from
 * @p c when a previous compile built them from the same content, and
 * leaving the new ones in it. @p c may be NULL (then it is
 * fo_route_compile()). Same results as fo_route_compile() in every case.
 */
struct fo_route_table *fo_route_compile_cached(
	const struct fo_conf *conf, struct fo_route_cache *c, char *err, size_t errlen);

/** What a compile built (for benchmarks, tests and logs). */
struct fo_route_stats {
	unsigned keyed;        /**< rules in the key table */
	unsigned regex_hs;     /**< regex rules in the Hyperscan database */
	unsigned regex_pcre;   /**< regex rules PCRE2 alone decides (always candidates) */
	unsigned shards;       /**< regex database shards */
	unsigned shards_built; /**< ... of which this compile built (not from the cache) */
	unsigned re_built;     /**< PCRE2 codes this compile built (not from the cache) */
	size_t db_bytes;       /**< Hyperscan databases */
	size_t table_bytes;    /**< key table, rules and maps (not PCRE2 codes) */
};

/** The stats of @p t's compile. */
const struct fo_route_stats *fo_route_stats(const struct fo_route_table *t);

/** Free a table (no scratch may be in use on it). NULL is a no-op. */
void fo_route_table_free(struct fo_route_table *t);

/** Rules in the table. */
unsigned fo_route_count(const struct fo_route_table *t);

/**
 * Allocate a worker's scratch for @p t (at start-up, or on the control
 * thread when a new table is published; fo_route_scratch_update()).
 *
 * @return the scratch, or NULL (ENOMEM).
 */
struct fo_route_scratch *fo_route_scratch_alloc(const struct fo_route_table *t);

/**
 * Make @p s large enough for @p t too (control thread, before publishing
 * @p t). It may reallocate the scratch's parts, so no worker may be
 * matching with @p s meanwhile; for a scratch in use, allocate a new one
 * for @p t and free the old after the grace period instead. A scratch
 * large enough for several tables works with each of them.
 * @return 0 or -ENOMEM (@p s still works with the tables it worked with).
 */
int fo_route_scratch_update(struct fo_route_scratch *s, const struct fo_route_table *t);

/** Free a scratch. NULL is a no-op. */
void fo_route_scratch_free(struct fo_route_scratch *s);

/** A match. */
struct fo_route_result {
	unsigned route;    /**< index into conf->routes */
	unsigned upstream; /**< index into conf->upstreams */
	const struct fo_conf_route *conf;
	/**
	 * Path to send upstream: the rewrite expanded into the caller's
	 * buffer, or the request's own path when the route has no rewrite.
	 */
	const char *path;
	size_t path_len;
	/** 0: @c upstream is the route's; k: its canaries[k - 1]'s (by header, cookie or
	 *  weight, as ingress-nginx chooses a canary) */
	unsigned canary;
};

/** A request as routing sees it (fo_route_match_req()). */
struct fo_route_req {
	const char *host; /**< Host value as received (port allowed); NULL: none */
	size_t host_len;
	const char *path; /**< the path (no query), normalized by the caller */
	size_t path_len;
	const char *method; /**< the method token; NULL: none (method conditions fail) */
	size_t method_len;
	const char *query; /**< after '?', without it; NULL: none */
	size_t query_len;
	/** header fields, for header and cookie conditions; NULL: none */
	const struct fo_http_msg *msg;
	const uint8_t *head; /**< the bytes msg's spans point into */
	/** a PRNG state (xorshift64*, never 0) that canary weights draw from, advanced
	 *  only when the winning route has canaries; NULL: weights choose no canary */
	uint64_t *rng;
};

/**
 * Find the route for a request: fo_route_match() with the method, query
 * and header fields that `match` conditions look at. Same results.
 */
int fo_route_match_req(const struct fo_route_table *t, struct fo_route_scratch *s,
	const struct fo_route_req *rq, char *out, size_t cap, struct fo_route_result *res);

/**
 * Find the route for a request (no method, query or header fields: a
 * route with `match` conditions never wins here).
 *
 * @param host     Host header value as received (port allowed), may be
 *                 NULL/0 (then only rules without host match).
 * @param path     the request path (no query), as received.
 * @param out      buffer for the rewritten path (FO_ROUTE_REWRITE_MAX is
 *                 always enough).
 * @return 0 and *res filled; -ENOENT when no rule matches; -ENOSPC when
 *         the rewrite does not fit in @p cap (res->route, upstream and conf
 *         are filled, res->path is not usable; nothing is written past
 *         @p cap).
 */
int fo_route_match(const struct fo_route_table *t, struct fo_route_scratch *s, const char *host,
	size_t host_len, const char *path, size_t path_len, char *out, size_t cap,
	struct fo_route_result *res);

#endif /* FO_ROUTE_H */
