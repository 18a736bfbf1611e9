/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A route's `match` conditions against a request (Gateway API
 * HTTPRouteMatch): the method is one of a list; a header field (name
 * case-insensitive) is there, has a value, or has a value a regex matches
 * whole -- any field of that name will do; a query parameter (name
 * case-sensitive, the first of that name, value as sent, not decoded)
 * likewise; a cookie of the Cookie fields likewise. All of a route's
 * conditions must hold.
 *
 * Only routes that have conditions pay for them, and only once host and
 * path made them a candidate: the fields are walked, nothing is copied or
 * allocated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fo_http.h"
#include "route_pred.h"

int
route_preds_compile(const struct fo_conf_route *r, struct route_pred **out, unsigned *n, char *err,
	size_t errlen)
{
	struct route_pred *p;
	unsigned i;

	*out = NULL;
	*n = 0;
	if (r->n_matches == 0)
		return 0;
	p = calloc(r->n_matches, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	for (i = 0; i < r->n_matches; i++) {
		const struct fo_conf_match *m = &r->matches[i];

		p[i].kind = (uint8_t)m->kind;
		p[i].op = (uint8_t)m->op;
		p[i].name = m->name;
		p[i].name_len = m->name != NULL ? strlen(m->name) : 0;
		p[i].value = m->value;
		p[i].value_len = m->value != NULL ? strlen(m->value) : 0;
		if (m->op == FO_CONF_MATCH_REGEX) {
			PCRE2_SIZE off;
			int code;

			p[i].re = pcre2_compile((PCRE2_SPTR)m->value, p[i].value_len,
				PCRE2_ANCHORED | PCRE2_ENDANCHORED, &code, &off, NULL);
			if (p[i].re == NULL) {
				PCRE2_UCHAR msg[160];

				pcre2_get_error_message(code, msg, sizeof(msg));
				snprintf(err, errlen, "%s:%u:%u: invalid regex in match %s: %s",
					m->loc.file, m->loc.line, m->loc.col,
					fo_conf_match_kind_name(m->kind), (const char *)msg);
				route_preds_free(p, r->n_matches);
				return -EINVAL;
			}
			p[i].jit = pcre2_jit_compile(p[i].re, PCRE2_JIT_COMPLETE) == 0;
		}
	}
	*out = p;
	*n = r->n_matches;
	return 0;
}

void
route_preds_free(struct route_pred *p, unsigned n)
{
	unsigned i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++)
		pcre2_code_free(p[i].re);
	free(p);
}

void
route_preds_count(const struct fo_conf_route *r, struct route_pred_counts *c)
{
	unsigned i;

	uint8_t *n;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < r->n_matches; i++) {
		switch (r->matches[i].kind) {
		case FO_CONF_MATCH_METHOD:
			n = &c->method;
			break;
		case FO_CONF_MATCH_HEADER:
			n = &c->header;
			break;
		case FO_CONF_MATCH_QUERY:
			n = &c->query;
			break;
		default:
			n = &c->cookie;
			break;
		}
		if (*n < UINT8_MAX)
			(*n)++;
	}
}

/* A value against an EXACT or REGEX condition (PRESENT: the caller found one). */
static bool
value_ok(const struct route_pred *p, const char *v, size_t len, pcre2_match_data *md,
	pcre2_match_context *mctx)
{
	int rc;

	if (p->op == FO_CONF_MATCH_PRESENT)
		return true;
	if (p->op == FO_CONF_MATCH_EXACT)
		return len == p->value_len && memcmp(v, p->value, len) == 0;
	rc = p->jit ? pcre2_jit_match(p->re, (PCRE2_SPTR)v, len, 0, 0, md, mctx)
		    : pcre2_match(p->re, (PCRE2_SPTR)v, len, 0, 0, md, mctx);
	return rc >= 0; /* a match error (JIT stack) counts as no match */
}

static bool
method_ok(const struct route_pred *p, const struct fo_route_req *rq)
{
	const char *s = p->value, *end = p->value + p->value_len;

	if (rq->method == NULL)
		return false;
	while (s < end) {
		const char *sp = memchr(s, ' ', (size_t)(end - s));
		size_t len = (size_t)((sp != NULL ? sp : end) - s);

		if (len == rq->method_len && memcmp(s, rq->method, len) == 0)
			return true;
		s += len + 1;
	}
	return false;
}

static bool
name_is(const uint8_t *head, const struct fo_http_span *name, const char *lower, size_t len)
{
	size_t i;

	if (name->len != len)
		return false;
	for (i = 0; i < len; i++) {
		uint8_t c = head[name->off + i];

		if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (uint8_t)lower[i])
			return false;
	}
	return true;
}

static bool
header_ok(const struct route_pred *p, const struct fo_route_req *rq, pcre2_match_data *md,
	pcre2_match_context *mctx)
{
	unsigned i;

	if (rq->msg == NULL)
		return false;
	for (i = 0; i < rq->msg->n_headers; i++) {
		const struct fo_http_hdr *h = &rq->msg->hdrs[i];

		if (name_is(rq->head, &h->name, p->name, p->name_len) &&
			value_ok(p, (const char *)rq->head + h->value.off, h->value.len, md, mctx))
			return true;
	}
	return false;
}

static bool
query_ok(const struct route_pred *p, const struct fo_route_req *rq, pcre2_match_data *md,
	pcre2_match_context *mctx)
{
	const char *s = rq->query, *end = rq->query + rq->query_len;

	if (rq->query == NULL)
		return false;
	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *pend = amp != NULL ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(pend - s));
		const char *nend = eq != NULL ? eq : pend;

		if ((size_t)(nend - s) == p->name_len && memcmp(s, p->name, p->name_len) == 0) {
			/* the first parameter of that name decides (Gateway API) */
			if (eq == NULL)
				return value_ok(p, "", 0, md, mctx);
			return value_ok(p, eq + 1, (size_t)(pend - eq - 1), md, mctx);
		}
		s = pend + 1;
	}
	return false;
}

/*
 * The cookie named @p name in one Cookie field value ("a=1; b=2"): its
 * value (spaces and tabs around it trimmed) into *v / *vlen.
 */
static bool
cookie_find(const char *s, size_t len, const char *name, size_t nlen, const char **v, size_t *vlen)
{
	const char *end = s + len;

	while (s < end) {
		const char *semi = memchr(s, ';', (size_t)(end - s));
		const char *cend = semi != NULL ? semi : end;
		const char *eq;

		while (s < cend && (*s == ' ' || *s == '\t'))
			s++;
		eq = memchr(s, '=', (size_t)(cend - s));
		if (eq != NULL && (size_t)(eq - s) == nlen && memcmp(s, name, nlen) == 0) {
			const char *val = eq + 1, *vend = cend;

			while (vend > val && (vend[-1] == ' ' || vend[-1] == '\t'))
				vend--;
			*v = val;
			*vlen = (size_t)(vend - val);
			return true;
		}
		s = cend + 1;
	}
	return false;
}

bool
route_req_cookie(
	const struct fo_route_req *rq, const char *name, size_t len, const char **v, size_t *vlen)
{
	unsigned i;

	if (rq->msg == NULL)
		return false;
	for (i = 0; i < rq->msg->n_headers; i++) {
		const struct fo_http_hdr *h = &rq->msg->hdrs[i];

		/* the first cookie of that name decides */
		if (name_is(rq->head, &h->name, "cookie", 6) &&
			cookie_find((const char *)rq->head + h->value.off, h->value.len, name, len,
				v, vlen))
			return true;
	}
	return false;
}

bool
route_req_header(
	const struct fo_route_req *rq, const char *name, size_t len, const char **v, size_t *vlen)
{
	unsigned i;

	if (rq->msg == NULL)
		return false;
	for (i = 0; i < rq->msg->n_headers; i++) {
		const struct fo_http_hdr *h = &rq->msg->hdrs[i];

		if (name_is(rq->head, &h->name, name, len)) {
			*v = (const char *)rq->head + h->value.off;
			*vlen = h->value.len;
			return true;
		}
	}
	return false;
}

static bool
cookie_ok(const struct route_pred *p, const struct fo_route_req *rq, pcre2_match_data *md,
	pcre2_match_context *mctx)
{
	const char *v;
	size_t vlen;

	return route_req_cookie(rq, p->name, p->name_len, &v, &vlen) &&
	       value_ok(p, v, vlen, md, mctx);
}

bool
route_preds_ok(const struct route_pred *p, unsigned n, const struct fo_route_req *rq,
	pcre2_match_data *md, pcre2_match_context *mctx)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		bool ok;

		switch (p[i].kind) {
		case FO_CONF_MATCH_METHOD:
			ok = method_ok(&p[i], rq);
			break;
		case FO_CONF_MATCH_HEADER:
			ok = header_ok(&p[i], rq, md, mctx);
			break;
		case FO_CONF_MATCH_QUERY:
			ok = query_ok(&p[i], rq, md, mctx);
			break;
		default:
			ok = cookie_ok(&p[i], rq, md, mctx);
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}
