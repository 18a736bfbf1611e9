/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * fanout routing: the config's routes compiled into one Hyperscan database
 * (all rules matched in one scan of the path) plus PCRE2-JIT codes to
 * confirm the rules Hyperscan can only approximate and to extract the
 * winner's capture groups for its rewrite.
 *
 * Compilation (fo_route_compile) runs on the control thread and may take
 * long for large rule sets; the result is an immutable table that workers
 * share read-only. Each worker owns a scratch (Hyperscan scratch + PCRE2
 * match data), so matching takes no lock and allocates nothing.
 *
 * Priority (what wins when several rules match), as ingress-nginx renders
 * an Ingress: rules with a host before rules for any host (an exact host
 * before a wildcard "*.example.com", wildcards longest first); within the
 * same host class, exact paths, then prefix paths (longest first), then
 * regex paths (longest pattern first); ties in config order.
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
 *            to the rules without host.
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
 * Hyperscan cannot compile every PCRE construct (e.g. "^/test01(/|$)(.*)"
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

/** Longest rewritten path fo_route_match() produces (bytes). */
#define FO_ROUTE_REWRITE_MAX 8192

struct fo_route_table;
struct fo_route_scratch;

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
};

/**
 * Find the route for a request.
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
