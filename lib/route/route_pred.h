/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/route internals: a route's `match` conditions (method, header,
 * query, cookie), compiled once with the table and checked against a
 * request once its host and path have made the route a candidate.
 */
#ifndef ROUTE_PRED_H
#define ROUTE_PRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "fo_conf.h"
#include "fo_route.h"

/* One compiled condition. Strings point into the config. */
struct route_pred {
	uint8_t kind; /* enum fo_conf_match_kind */
	uint8_t op;   /* enum fo_conf_match_op */
	bool jit;
	const char *name; /* header (lower case), parameter or cookie name */
	size_t name_len;
	const char *value; /* EXACT value, or the methods (one space between) */
	size_t value_len;
	pcre2_code *re; /* REGEX: anchored at both ends */
};

/* How many of a route's conditions look at each kind, for the order (Gateway API
 * precedence counts header and query matches). */
struct route_pred_counts {
	uint8_t method, header, query, cookie; /* saturated at 255 */
};

/*
 * Compile the conditions of @r into a new array (*out, *n; NULL and 0
 * when it has none). 0, -ENOMEM, or -EINVAL with @err set to
 * "file:line:col: message" (a regex PCRE2 rejects).
 */
int route_preds_compile(const struct fo_conf_route *r, struct route_pred **out, unsigned *n,
	char *err, size_t errlen);

void route_preds_free(struct route_pred *p, unsigned n);

void route_preds_count(const struct fo_conf_route *r, struct route_pred_counts *c);

/*
 * Whether every condition holds for @rq. @md / @mctx: match data (any
 * size) and context for the regexes; what they held is lost.
 */
bool route_preds_ok(const struct route_pred *p, unsigned n, const struct fo_route_req *rq,
	pcre2_match_data *md, pcre2_match_context *mctx);

/* Header field @p name (lower case, @p len bytes) of @p rq, the first of that name: its
 * value into *v / *vlen. */
bool route_req_header(const struct fo_route_req *rq, const char *name, size_t len, const char **v,
	size_t *vlen);

/* Cookie @p name of @p rq's Cookie fields, the first of that name: its value (trimmed). */
bool route_req_cookie(const struct fo_route_req *rq, const char *name, size_t len, const char **v,
	size_t *vlen);

#endif /* ROUTE_PRED_H */
