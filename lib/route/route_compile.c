/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route compilation (control thread): rules sorted into priority order,
 * one Hyperscan block-mode database whose expression ids are the priority
 * ranks, and PCRE2-JIT codes for every regex rule (to confirm the rules
 * Hyperscan only approximates and to extract the winner's captures).
 *
 * What each rule gives Hyperscan, first that it accepts:
 *  - exact "/a.b":  ^\x2fa\x2eb$            (the match loop re-checks with memcmp:
 *  - prefix "/a/":  ^\x2fa(?:/|$)            Hyperscan's $ also matches before
 *  - prefix "/":    nothing (every path)     a final "\n")
 *  - regex R:       ^(?:R) caseless; else the same in prefilter mode; else
 *                   front parts of R (route_superset.c), normal then
 *                   prefilter; else nothing (the rule is always a
 *                   candidate and PCRE2 decides).
 * hs_expression_info() screens each attempt cheaply; should the database
 * build still reject an expression, that rule moves on to its next attempt.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fo_route.h"
#include "route_priv.h"

/* Give up rebuilding the database after this many rejected expressions. */
#define ROUTE_HS_RETRIES_MAX 64

static void __attribute__((format(printf, 4, 5)))
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

static size_t
rule_key_len(const struct route_rule *r)
{
	if (r->type == FO_CONF_PATH_PREFIX)
		return r->lit_len;
	if (r->type == FO_CONF_PATH_REGEX)
		return strlen(r->conf->path);
	return 0;
}

/* The priority order of fo_route.h; a total order (config index last). */
static int
cmp_rule(const void *a, const void *b)
{
	const struct route_rule *x = a, *y = b;
	size_t lx, ly;

	if (x->hclass != y->hclass)
		return x->hclass < y->hclass ? -1 : 1;
	if (x->hclass == ROUTE_HOST_WILD && x->host_len != y->host_len)
		return x->host_len > y->host_len ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	lx = rule_key_len(x);
	ly = rule_key_len(y);
	if (lx != ly)
		return lx > ly ? -1 : 1;
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

static void
init_rule(struct route_rule *r, const struct fo_conf_route *c, unsigned index)
{
	memset(r, 0, sizeof(*r));
	r->conf = c;
	r->index = index;
	r->type = c->type;
	r->rewrite_caps = has_capture_ref(c->rewrite);
	if (c->host == NULL) {
		r->hclass = ROUTE_HOST_ANY;
	} else {
		/* conf lower-cased and validated it */
		r->hclass = (c->host[0] == '*' && c->host[1] == '.') ? ROUTE_HOST_WILD
								     : ROUTE_HOST_EXACT;
		r->host = c->host + (r->hclass == ROUTE_HOST_WILD ? 2 : 0);
		r->host_len = strlen(r->host);
		r->host_hash = route_host_hash(r->host, r->host_len);
	}
	if (c->type != FO_CONF_PATH_REGEX) {
		r->lit = c->path;
		r->lit_len = strlen(c->path);
		if (c->type == FO_CONF_PATH_PREFIX)
			while (r->lit_len > 0 && r->lit[r->lit_len - 1] == '/')
				r->lit_len--;
	}
}

static int
compile_pcre(struct route_rule *r, char *err, size_t errlen)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int code;

	r->re = pcre2_compile((PCRE2_SPTR)r->conf->path, PCRE2_ZERO_TERMINATED,
		PCRE2_ANCHORED | PCRE2_CASELESS, &code, &off, NULL);
	if (r->re == NULL) {
		if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "error %d", code);
		route_err(err, errlen, r->conf, "regex \"%s\": %s at offset %zu", r->conf->path,
			(const char *)msg, (size_t)off);
		return -EINVAL;
	}
	/* without JIT (e.g. no executable memory) the interpreter still works */
	r->jit = pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE) == 0;
	return 0;
}

/* "^" + @p lit with every non-alphanumeric byte as \xHH + @p tail; malloc'd. */
static char *
literal_expr(const char *lit, size_t len, const char *tail)
{
	size_t cap = 1 + 4 * len + strlen(tail) + 1, n = 0, i;
	char *e = malloc(cap);

	if (e == NULL)
		return NULL;
	e[n++] = '^';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)lit[i];

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			e[n++] = (char)c;
		else
			n += (size_t)snprintf(e + n, cap - n, "\\x%02x", c);
	}
	memcpy(e + n, tail, strlen(tail) + 1);
	return e;
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
 * Attempt @p step for rule @p r: *expr (malloc'd), *flags, *mode.
 * Returns 1, 0 when there are no more attempts, or -ENOMEM.
 */
static int
rule_attempt(const struct route_rule *r, unsigned step, char **expr, unsigned *flags,
	enum route_hs_mode *mode)
{
	const char *pat = r->conf->path;
	size_t len = strlen(pat), *cuts, cut;
	unsigned n_cuts, j;

	*expr = NULL;
	if (r->type != FO_CONF_PATH_REGEX) {
		if (step > 0 || r->lit_len == 0)
			return 0;
		*flags = HS_FLAG_SINGLEMATCH;
		*mode = ROUTE_HS_EXACT;
		*expr = literal_expr(
			r->lit, r->lit_len, r->type == FO_CONF_PATH_EXACT ? "$" : "(?:/|$)");
		return *expr != NULL ? 1 : -ENOMEM;
	}
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
 * the rule becomes ROUTE_HS_NONE when none does. 0 or -ENOMEM.
 */
static int
plan_rule(struct route_rule *r, unsigned *step, char **expr, unsigned *flags)
{
	hs_compile_error_t *ce;
	hs_expr_info_t *info;
	int rc;

	for (;; (*step)++) {
		rc = rule_attempt(r, *step, expr, flags, &r->hs_mode);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			r->hs_mode = ROUTE_HS_NONE;
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
	char **exprs;    /* per rank; NULL for ROUTE_HS_NONE */
	unsigned *flags; /* per rank */
	unsigned *steps; /* per rank: the attempt in use */
};

/* Build the database from the planned expressions; on a rejected one, re-plan it. */
static int
build_db(struct fo_route_table *t, struct hs_build *b, char *err, size_t errlen)
{
	const char **ex = malloc(t->n_rules * sizeof(*ex));
	unsigned *fl = malloc(t->n_rules * sizeof(*fl)), *ids = malloc(t->n_rules * sizeof(*ids));
	unsigned n, i, tries;
	hs_compile_error_t *ce;
	int rc = -ENOMEM;

	if (ex == NULL || fl == NULL || ids == NULL)
		goto out;
	for (tries = 0;; tries++) {
		for (i = n = 0; i < t->n_rules; i++) {
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
		if (hs_compile_multi(ex, fl, ids, n, HS_MODE_BLOCK, NULL, &t->db, &ce) ==
			HS_SUCCESS) {
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
		rc = plan_rule(&t->rules[i], &b->steps[i], &b->exprs[i], &b->flags[i]);
		if (rc < 0)
			break;
	}
out:
	free(ex);
	free(fl);
	free(ids);
	return rc;
}

static int
compile_hs(struct fo_route_table *t, char *err, size_t errlen)
{
	struct hs_build b;
	unsigned i, n_always = 0;
	int rc = -ENOMEM;

	b.exprs = calloc(t->n_rules, sizeof(*b.exprs));
	b.flags = calloc(t->n_rules, sizeof(*b.flags));
	b.steps = calloc(t->n_rules, sizeof(*b.steps));
	if (b.exprs == NULL || b.flags == NULL || b.steps == NULL)
		goto out;
	for (i = 0; i < t->n_rules; i++)
		if (plan_rule(&t->rules[i], &b.steps[i], &b.exprs[i], &b.flags[i]) != 0)
			goto out;
	rc = build_db(t, &b, err, errlen);
	if (rc != 0)
		goto out;
	for (i = 0; i < t->n_rules; i++)
		n_always += t->rules[i].hs_mode == ROUTE_HS_NONE;
	t->always = calloc(n_always ? n_always : 1, sizeof(*t->always));
	if (t->always == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < t->n_rules; i++)
		if (t->rules[i].hs_mode == ROUTE_HS_NONE)
			t->always[t->n_always++] = i;
out:
	for (i = 0; b.exprs != NULL && i < t->n_rules; i++)
		free(b.exprs[i]);
	free(b.exprs);
	free(b.flags);
	free(b.steps);
	return rc;
}

struct fo_route_table *
fo_route_compile(const struct fo_conf *conf, char *err, size_t errlen)
{
	struct fo_route_table *t;
	unsigned i;
	int rc = -ENOMEM;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto fail;
	t->conf = conf;
	t->n_rules = conf->n_routes;
	t->n_words = (t->n_rules + 63) / 64;
	t->ovec_pairs = 1;
	t->rules = calloc(t->n_rules ? t->n_rules : 1, sizeof(*t->rules));
	if (t->rules == NULL)
		goto fail;
	for (i = 0; i < t->n_rules; i++) {
		if (conf->routes[i].path == NULL) {
			rc = -EINVAL;
			route_err(err, errlen, &conf->routes[i], "route without a path");
			goto fail;
		}
		init_rule(&t->rules[i], &conf->routes[i], i);
		t->has_hosts |= conf->routes[i].host != NULL;
	}
	qsort(t->rules, t->n_rules, sizeof(*t->rules), cmp_rule);
	for (i = 0; i < t->n_rules; i++) {
		struct route_rule *r = &t->rules[i];
		uint32_t ncap = 0;

		if (r->type != FO_CONF_PATH_REGEX)
			continue;
		rc = compile_pcre(r, err, errlen);
		if (rc != 0)
			goto fail;
		pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &ncap);
		if (ncap + 1 > t->ovec_pairs)
			t->ovec_pairs = ncap + 1;
	}
	rc = compile_hs(t, err, errlen);
	if (rc != 0)
		goto fail;
	return t;
fail:
	if (rc == -ENOMEM && err != NULL && errlen > 0 && err[0] == '\0')
		route_err(err, errlen, NULL, "route table: out of memory");
	fo_route_table_free(t);
	errno = -rc;
	return NULL;
}

void
fo_route_table_free(struct fo_route_table *t)
{
	unsigned i;

	if (t == NULL)
		return;
	for (i = 0; t->rules != NULL && i < t->n_rules; i++)
		pcre2_code_free(t->rules[i].re);
	hs_free_database(t->db);
	free(t->always);
	free(t->rules);
	free(t);
}

unsigned
fo_route_count(const struct fo_route_table *t)
{
	return t->n_rules;
}
