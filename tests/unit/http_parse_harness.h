/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the lib/http head parser tests (test_http_parse.c for requests,
 * limits and the API, test_http_parse_resp.c for responses): the feeding
 * harness, which parses an input whole, byte by byte and split in two at
 * every offset, each piece copied so that it ends right before a PROT_NONE
 * page, and checks that all feedings agree on the result and on every
 * recorded field; and the table case with its checks.
 */
#ifndef HTTP_PARSE_HARNESS_H
#define HTTP_PARSE_HARNESS_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fo_http.h"
#include "guard_page.h"

/* ---- feeding ----------------------------------------------------------- */

struct presult {
	ssize_t rc; /* bytes of the input in the head, or -EBADMSG / -EAGAIN */
	enum fo_http_err err;
	struct fo_http_msg msg;
};

/* errors some case of this executable provoked (checked once all have run) */
static int err_seen[FO_HTTP_E_MAX];

/* Feed in[0, len) as pieces ending at cuts[0..n), each at a guard page. */
static inline void
parse_cuts(int kind, const uint8_t *in, size_t len, const size_t *cuts, size_t n,
	struct presult *r)
{
	struct fo_http_parser p;
	size_t start = 0, i;

	fo_http_parser_init(&p, kind, &r->msg);
	r->rc = -EAGAIN;
	r->err = FO_HTTP_E_NONE;
	for (i = 0; i < n; i++) {
		size_t piece = cuts[i] - start;
		ssize_t rc = fo_http_parse(&p, guard_copy(in + start, piece), piece);

		if (rc == -EAGAIN) {
			start = cuts[i];
			continue;
		}
		if (rc == -EBADMSG) {
			assert_int_not_equal(p.err, FO_HTTP_E_NONE);
			r->rc = rc;
			r->err = p.err;
			return;
		}
		assert_true(rc > 0 && (size_t)rc <= piece);
		r->rc = (ssize_t)start + rc;
		assert_int_equal(r->msg.head_len, r->rc);
		return;
	}
	assert_true(cuts[n - 1] == len);
}

static inline void
parse_whole(int kind, const uint8_t *in, size_t len, struct presult *r)
{
	parse_cuts(kind, in, len, &len, 1, r);
}

static inline int
span_eq(const struct fo_http_span a, const struct fo_http_span b)
{
	return a.off == b.off && a.len == b.len;
}

/* every recorded field, hdrs[] up to n_headers (the rest is undefined) */
static inline void
assert_same(const struct presult *a, const struct presult *b, const char *name, const char *how,
	size_t at)
{
	const struct fo_http_msg *x = &a->msg, *y = &b->msg;
	unsigned i;
	int same = a->rc == b->rc && a->err == b->err;

	if (same && a->rc >= 0) {
		same = x->version_minor == y->version_minor && x->method == y->method &&
		       x->status == y->status && x->n_headers == y->n_headers &&
		       x->flags == y->flags && x->head_len == y->head_len &&
		       x->content_length == y->content_length && span_eq(x->method_s, y->method_s) &&
		       span_eq(x->target, y->target) && span_eq(x->path, y->path) &&
		       span_eq(x->query, y->query) && span_eq(x->host, y->host) &&
		       span_eq(x->reason, y->reason) &&
		       memcmp(x->hdr_first, y->hdr_first, sizeof(x->hdr_first)) == 0;
		for (i = 0; same && i < x->n_headers; i++)
			same = span_eq(x->hdrs[i].name, y->hdrs[i].name) &&
			       span_eq(x->hdrs[i].value, y->hdrs[i].value) &&
			       span_eq(x->hdrs[i].line, y->hdrs[i].line) && x->hdrs[i].id == y->hdrs[i].id;
	}
	if (!same) {
		print_error("%s: %s at %zu differs from whole: rc %zd/%zd err %s/%s\n", name, how, at,
			b->rc, a->rc, fo_http_err_name(b->err), fo_http_err_name(a->err));
		fail();
	}
}

/*
 * Whole, byte by byte, and in two pieces split at every offset (every
 * @p stride-th for long inputs, plus the last few): all the same as whole.
 */
static inline void
parse_all_ways(int kind, const uint8_t *in, size_t len, const char *name, struct presult *whole)
{
	static struct presult r;
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	size_t i, stride = len > 4096 ? 53 : 1;

	assert_non_null(cuts);
	parse_whole(kind, in, len, whole);
	for (i = 0; i < len; i++)
		cuts[i] = i + 1;
	if (len != 0) {
		parse_cuts(kind, in, len, cuts, len, &r);
		assert_same(whole, &r, name, "byte by byte", 0);
	}
	for (i = 0; i <= len; i++) {
		size_t two[2] = {i, len};

		if (i % stride != 0 && i + 4 < len)
			continue;
		parse_cuts(kind, in, len, two, 2, &r);
		assert_same(whole, &r, name, "split", i);
	}
	free(cuts);
}

/*
 * The one error only a status line can produce. Each executable checks that
 * its own cases provoked the errors it owns: test_http_parse.c all the others,
 * test_http_parse_resp.c this one.
 */
static inline int
resp_only_err(int e)
{
	return e == FO_HTTP_E_bad_status_line;
}

/* ---- table cases ------------------------------------------------------- */

struct pcase {
	const char *name;
	int kind;
	const char *in;
	size_t len;
	enum fo_http_err err;
	/* checked on success: */
	int method;
	int v10;		/* HTTP/1.0 */
	uint32_t flags;		/* exact */
	uint64_t cl;
	int nh;			/* n_headers */
	size_t head_len;	/* 0: the whole input */
	unsigned status;
	const char *host, *path, *query, *target, *reason; /* NULL: unchecked */
};

static inline void
check_str(const struct pcase *c, const struct fo_http_span s, const char *want, const char *what)
{
	if (want == NULL)
		return;
	if (s.len != strlen(want) || memcmp(c->in + s.off, want, s.len) != 0) {
		print_error("%s: %s is \"%.*s\", want \"%s\"\n", c->name, what, (int)s.len,
			c->in + s.off, want);
		fail();
	}
}

static inline void
run_case(const struct pcase *c)
{
	static struct presult r;
	const struct fo_http_msg *m = &r.msg;

	parse_all_ways(c->kind, (const uint8_t *)c->in, c->len, c->name, &r);
	if (r.err != c->err) {
		print_error("%s: error %s, want %s\n", c->name, fo_http_err_name(r.err),
			fo_http_err_name(c->err));
		fail();
	}
	err_seen[r.err] = 1;
	if (c->err != FO_HTTP_E_NONE) {
		assert_int_equal(r.rc, -EBADMSG);
		return;
	}
	if (r.rc != (ssize_t)(c->head_len ? c->head_len : c->len)) {
		print_error("%s: consumed %zd, want %zu\n", c->name, r.rc,
			c->head_len ? c->head_len : c->len);
		fail();
	}
	if (m->flags != c->flags) {
		print_error("%s: flags %#x, want %#x\n", c->name, m->flags, c->flags);
		fail();
	}
	assert_int_equal(m->version_minor, c->v10 ? 0 : 1);
	assert_int_equal(m->n_headers, c->nh);
	if (c->flags & FO_HTTP_F_CONTENT_LENGTH)
		assert_int_equal(m->content_length, c->cl);
	if (c->kind == FO_HTTP_REQUEST) {
		assert_int_equal(m->method, c->method);
		check_str(c, m->host, c->host, "host");
		check_str(c, m->path, c->path, "path");
		check_str(c, m->query, c->query, "query");
		check_str(c, m->target, c->target, "target");
	} else {
		assert_int_equal(m->status, c->status);
		check_str(c, m->reason, c->reason, "reason");
	}
}

#endif /* HTTP_PARSE_HARNESS_H */
