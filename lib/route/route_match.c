/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route matching (workers): one Hyperscan scan of the path marks the
 * candidate rules in a bitmap in the scratch; the candidates are then
 * walked in priority order (the bitmap's bit order) and the first one
 * whose host matches and, when Hyperscan only approximates it, whose PCRE2
 * confirmation succeeds wins. Exact and prefix rules are re-checked with
 * memcmp (Hyperscan's '$' also matches before a final "\n"). No
 * allocation, no lock: the table is read-only, the scratch is the
 * worker's own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fo_route.h"
#include "route_priv.h"

/* PCRE2 JIT stack: the default 32 KiB machine stack, growing to this. */
#define ROUTE_JIT_STACK_START (32u << 10)
#define ROUTE_JIT_STACK_MAX (512u << 10)

struct fo_route_scratch *
fo_route_scratch_alloc(const struct fo_route_table *t)
{
	struct fo_route_scratch *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->mctx = pcre2_match_context_create(NULL);
	s->jstack = pcre2_jit_stack_create(ROUTE_JIT_STACK_START, ROUTE_JIT_STACK_MAX, NULL);
	if (s->mctx == NULL || s->jstack == NULL || fo_route_scratch_update(s, t) != 0) {
		fo_route_scratch_free(s);
		return NULL;
	}
	pcre2_jit_stack_assign(s->mctx, NULL, s->jstack);
	return s;
}

int
fo_route_scratch_update(struct fo_route_scratch *s, const struct fo_route_table *t)
{
	if (t->db != NULL) {
		hs_scratch_t *hs = s->hs;

		/* grows the scratch in place when it is too small for t->db */
		if (hs_alloc_scratch(t->db, &hs) != HS_SUCCESS)
			return -ENOMEM;
		s->hs = hs;
	}
	if (s->cand == NULL || t->n_words > s->n_words) {
		uint64_t *c = calloc(t->n_words ? t->n_words : 1, sizeof(*c));

		if (c == NULL)
			return -ENOMEM;
		free(s->cand);
		s->cand = c;
		s->n_words = t->n_words;
	}
	if (s->md == NULL || t->ovec_pairs > s->md_pairs) {
		pcre2_match_data *md = pcre2_match_data_create(t->ovec_pairs, NULL);

		if (md == NULL)
			return -ENOMEM;
		pcre2_match_data_free(s->md);
		s->md = md;
		s->md_pairs = t->ovec_pairs;
	}
	return 0;
}

void
fo_route_scratch_free(struct fo_route_scratch *s)
{
	if (s == NULL)
		return;
	hs_free_scratch(s->hs);
	free(s->cand);
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mctx);
	pcre2_jit_stack_free(s->jstack);
	free(s);
}

/* The request's host, ready to compare with exact and wildcard rules. */
struct req_host {
	char name[ROUTE_HOST_MAX + 1];
	size_t len; /* 0: no usable host, only rules without host match */
	uint32_t hash;
	size_t parent; /* offset of what follows the first label and its '.'; 0 if none */
	uint32_t parent_hash;
};

/*
 * Lower-case, without ":port" and without one trailing '.' (as nginx);
 * a host longer than any DNS name matches no host rule.
 */
static void
prepare_host(struct req_host *h, const char *host, size_t len)
{
	const char *colon = host != NULL ? memchr(host, ':', len) : NULL;
	const char *dot = NULL;
	size_t i;

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
	for (i = 0; i < len; i++) {
		char c = host[i];

		h->name[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
		if (c == '.' && dot == NULL) {
			dot = &h->name[i];
			/* "*.example.com" needs a non-empty first label and a non-empty rest */
			if (i > 0 && i + 1 < len)
				h->parent = i + 1;
		}
	}
	h->len = len;
	h->hash = route_host_hash(h->name, len);
	if (h->parent != 0)
		h->parent_hash = route_host_hash(h->name + h->parent, len - h->parent);
}

static bool
host_ok(const struct route_rule *r, const struct req_host *h)
{
	switch (r->hclass) {
	case ROUTE_HOST_EXACT:
		return h->len == r->host_len && h->hash == r->host_hash &&
		       memcmp(h->name, r->host, h->len) == 0;
	case ROUTE_HOST_WILD:
		return h->parent != 0 && h->len - h->parent == r->host_len &&
		       h->parent_hash == r->host_hash &&
		       memcmp(h->name + h->parent, r->host, r->host_len) == 0;
	default:
		return true;
	}
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
	void *ctx)
{
	struct fo_route_scratch *s = ctx;
	unsigned w = id >> 6;

	s->cand[w] |= 1ull << (id & 63);
	if (w < s->lo)
		s->lo = w;
	if (w + 1 > s->hi)
		s->hi = w + 1;
	return 0;
}

/* PCRE2 on the path; > 0 on a match (groups >= the result are unset). */
static int
run_regex(const struct route_rule *r, struct fo_route_scratch *s, const char *path, size_t len)
{
	if (r->jit)
		return pcre2_jit_match(r->re, (PCRE2_SPTR)path, len, 0, 0, s->md, s->mctx);
	return pcre2_match(r->re, (PCRE2_SPTR)path, len, 0, 0, s->md, s->mctx);
}

/* Bytes nginx (1.22, every byte tried) escapes in a rewritten URI it forwards: 1. */
static const uint8_t uri_escaped[256] = {
	[0x00 ... 0x20] = 1,
	['"'] = 1,
	['#'] = 1,
	['%'] = 1,
	['<'] = 1,
	['>'] = 1,
	['?'] = 1,
	['\\'] = 1,
	['^'] = 1,
	['`'] = 1,
	['{'] = 1,
	['|'] = 1,
	['}'] = 1,
	[0x7f ... 0xff] = 1,
};

/* Copy captured bytes, escaping what uri_escaped[] says. n or -ENOSPC. */
static ssize_t
copy_capture(char *out, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (__builtin_expect(!uri_escaped[c], 1)) {
			if (__builtin_expect(n >= cap, 0))
				return -ENOSPC;
			out[n++] = (char)c;
			continue;
		}
		if (cap - n < 3)
			return -ENOSPC;
		out[n++] = '%';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 15];
	}
	return (ssize_t)n;
}

/*
 * The rewrite with "$N" replaced by group N (an unset group, or one the
 * pattern does not have, by nothing); any other '$' is literal. The path
 * is the normalized one (decoded): what a group copies is escaped again
 * as nginx escapes a rewritten URI (uri_escaped[]), so that a decoded
 * "%3F" cannot start a query.
 * @p g0 / @p g0_len: group 0 of exact and prefix rules; @p ngroups: the
 * match's result for regex rules. 0 or -ENOSPC.
 */
static int
expand_rewrite(const struct route_rule *r, const struct fo_route_scratch *s, int ngroups,
	const char *path, size_t g0_len, char *out, size_t cap, size_t *out_len)
{
	const char *tpl = r->conf->rewrite;
	PCRE2_SIZE *ov = r->type == FO_CONF_PATH_REGEX ? pcre2_get_ovector_pointer(s->md) : NULL;
	size_t n = 0;

	for (; *tpl != '\0'; tpl++) {
		const char *src = tpl;
		size_t len = 1;

		if (tpl[0] == '$' && tpl[1] >= '0' && tpl[1] <= '9') {
			int g = tpl[1] - '0';
			ssize_t w;

			tpl++;
			src = path;
			len = 0;
			if (ov == NULL) {
				len = g == 0 ? g0_len : 0;
			} else if (g < ngroups && ov[2 * g] != PCRE2_UNSET &&
				   ov[2 * g + 1] > ov[2 * g]) {
				src = path + ov[2 * g];
				len = ov[2 * g + 1] - ov[2 * g];
			}
			w = copy_capture(out + n, cap - n, src, len);
			if (w < 0)
				return -ENOSPC;
			n += (size_t)w;
			continue;
		}
		if (len > cap - n)
			return -ENOSPC;
		memcpy(out + n, src, len);
		n += len;
	}
	*out_len = n;
	return 0;
}

/*
 * Rule @p r against the request. 0 (a match, *res filled), -ENOENT (not
 * this rule) or -ENOSPC.
 */
static int
try_rule(struct fo_route_scratch *s, const struct route_rule *r, const struct req_host *h,
	const char *path, size_t len, char *out, size_t cap, struct fo_route_result *res)
{
	size_t g0_len = len;
	int ngroups = 0;

	if (!host_ok(r, h))
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
		if (r->hs_mode != ROUTE_HS_EXACT || r->rewrite_caps) {
			ngroups = run_regex(r, s, path, len);
			if (ngroups <= 0)
				return -ENOENT;
		}
		break;
	}
	res->route = r->index;
	res->upstream = r->conf->upstream;
	res->conf = r->conf;
	res->path = path;
	res->path_len = len;
	if (r->conf->rewrite == NULL)
		return 0;
	res->path = out;
	res->path_len = 0;
	return expand_rewrite(r, s, ngroups, path, g0_len, out, cap, &res->path_len);
}

int
fo_route_match(const struct fo_route_table *t, struct fo_route_scratch *s, const char *host,
	size_t host_len, const char *path, size_t path_len, char *out, size_t cap,
	struct fo_route_result *res)
{
	struct req_host h;
	unsigned i, w;
	int rc = -ENOENT;

	if (path == NULL)
		path = "";
	if (path_len > UINT32_MAX)
		return -ENOENT; /* Hyperscan's limit; far beyond any request line */
	h.len = 0;
	h.parent = 0;
	if (t->has_hosts)
		prepare_host(&h, host, host_len);
	s->lo = t->n_words;
	s->hi = 0;
	/* a scan error can only be a bad argument: then no rule matches */
	if (t->db != NULL)
		hs_scan(t->db, path, (unsigned)path_len, 0, s->hs, on_match, s);
	for (i = 0; i < t->n_always; i++)
		on_match(t->always[i], 0, 0, 0, s);
	for (w = s->lo; w < s->hi && rc == -ENOENT; w++) {
		uint64_t bits = s->cand[w];

		while (bits != 0 && rc == -ENOENT) {
			const struct route_rule *r =
				&t->rules[w * 64 + (unsigned)__builtin_ctzll(bits)];

			bits &= bits - 1;
			rc = try_rule(s, r, &h, path, path_len, out, cap, res);
		}
	}
	if (s->hi > s->lo)
		memset(&s->cand[s->lo], 0, (s->hi - s->lo) * sizeof(*s->cand));
	return rc;
}
