/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How an upstream spreads its requests: `balance` (the algorithm, and the
 * key of `hash`) and `sticky cookie` (session affinity), with their dump.
 *
 * `balance hash` also takes ingress-nginx's upstream-hash-by spellings
 * ($remote_addr, $request_uri, $http_NAME, $cookie_NAME) so that an
 * imported annotation can be passed through as written. A sticky cookie's
 * name and path are written into a Set-Cookie field by the data plane, so
 * they are held here to what may stand there (RFC 6265 4.1.1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

#define KEYS_HELP                                                                                  \
	"source_ip, uri, header NAME, cookie NAME, $remote_addr, $request_uri, $http_NAME or "     \
	"$cookie_NAME"

static const char *const kind_names[] = {
	[FO_CONF_BAL_ROUND_ROBIN] = "round_robin",
	[FO_CONF_BAL_LEAST_CONN] = "least_conn",
	[FO_CONF_BAL_EWMA] = "ewma",
	[FO_CONF_BAL_RANDOM] = "random",
	[FO_CONF_BAL_HASH] = "hash",
};
#define N_KINDS (sizeof(kind_names) / sizeof(kind_names[0]))

static const char *const samesite_names[] = {
	[FO_CONF_SAMESITE_LAX] = "lax",
	[FO_CONF_SAMESITE_STRICT] = "strict",
	[FO_CONF_SAMESITE_NONE] = "none",
};

static struct fo_conf_balance *
bal_of(struct conf_parser *p, const struct conf_block *blk)
{
	return &p->c->pub.upstreams[blk->obj].balance;
}

/* RFC 9110 tchar: what a field name or a cookie name is made of */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The first byte of [s, + n) that is not a tchar, or n; n 0 or over @p max: -1. */
static long
bad_token_at(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n == 0 || n > max)
		return -1;
	for (i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return (long)i;
	return (long)n;
}

/* A header or cookie name for `hash` (@p what: "header" or "cookie"), stored in b->hash_name. */
static void
set_hash_name(struct conf_parser *p, struct fo_conf_balance *b, const struct conf_tok *t,
	size_t off, bool header)
{
	const char *name = t->val + off;
	size_t n = t->len - off, i;
	long bad = bad_token_at(name, n, FO_CONF_COOKIE_NAME_MAX);
	char *copy;

	if (bad != (long)n) {
		struct fo_conf_loc loc = conf_tok_loc_at(t, bad > 0 ? off + (size_t)bad : off);

		conf_err(p, &loc,
			"invalid %s name \"%s\" in balance hash (1..%u letters, digits and "
			"\"!#$%%&'*+-.^_`|~\")",
			header ? "header" : "cookie", name, FO_CONF_COOKIE_NAME_MAX);
		return;
	}
	copy = strndup(name, n);
	if (copy == NULL) {
		conf_oom(p, &t->loc);
		return;
	}
	if (header)
		for (i = 0; i < n; i++) {
			/* nginx's $http_x_user is the field x-user */
			if (off != 0 && copy[i] == '_')
				copy[i] = '-';
			if (copy[i] >= 'A' && copy[i] <= 'Z')
				copy[i] = (char)(copy[i] - 'A' + 'a');
		}
	free(b->hash_name);
	b->hash_name = copy;
}

/* The key of `balance hash KEY...` from tok[2] on. */
static void
balance_hash_key(struct conf_parser *p, struct fo_conf_balance *b, const struct conf_stmt *st)
{
	const struct conf_tok *k = &st->tok[2];
	unsigned want = 3; /* tokens: balance hash KEY */

	if (strcmp(k->val, "source_ip") == 0 || strcmp(k->val, "$remote_addr") == 0) {
		b->hash_key = FO_CONF_HASH_SOURCE_IP;
	} else if (strcmp(k->val, "uri") == 0 || strcmp(k->val, "$request_uri") == 0) {
		b->hash_key = FO_CONF_HASH_URI;
	} else if (strcmp(k->val, "header") == 0 || strcmp(k->val, "cookie") == 0) {
		bool header = k->val[0] == 'h';

		want = 4;
		if (st->n_args < 3) {
			conf_err(p, &k->loc, "balance hash %s needs a NAME (balance hash %s NAME;)",
				k->val, k->val);
			return;
		}
		b->hash_key = header ? FO_CONF_HASH_HEADER : FO_CONF_HASH_COOKIE;
		set_hash_name(p, b, &st->tok[3], 0, header);
	} else if (strncmp(k->val, "$http_", 6) == 0 && k->len > 6) {
		b->hash_key = FO_CONF_HASH_HEADER;
		set_hash_name(p, b, k, 6, true);
	} else if (strncmp(k->val, "$cookie_", 8) == 0 && k->len > 8) {
		b->hash_key = FO_CONF_HASH_COOKIE;
		set_hash_name(p, b, k, 8, false);
	} else {
		conf_err(p, &k->loc, "unknown balance hash key \"%s\" (expected " KEYS_HELP ")",
			k->val);
		return;
	}
	if (st->n_args + 1 > want)
		conf_err(p, &st->tok[want].loc, "unexpected \"%s\" after the balance hash key",
			st->tok[want].val);
}

/* `balance round_robin|least_conn|ewma|random|hash KEY...;` */
void
conf_h_balance(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_balance *b = bal_of(p, blk);
	const struct conf_tok *a = &st->tok[1];
	unsigned k;

	(void)inner;
	for (k = 0; k < N_KINDS; k++)
		if (strcmp(a->val, kind_names[k]) == 0)
			break;
	if (k == N_KINDS) {
		conf_err(p, &a->loc,
			"unknown balance algorithm \"%s\" (expected round_robin, least_conn, ewma, "
			"random or hash)",
			a->val);
		return;
	}
	b->loc = st->tok[0].loc;
	b->kind = (uint8_t)k;
	if (k == FO_CONF_BAL_HASH) {
		if (st->n_args < 2) {
			conf_err(p, &a->loc, "balance hash needs a key (" KEYS_HELP ")");
			return;
		}
		balance_hash_key(p, b, st);
	} else if (st->n_args > 1) {
		conf_err(p, &st->tok[2].loc, "balance %s takes no argument (only hash takes a key)",
			a->val);
	}
}

/* path=P of a sticky cookie: '/' then cookie-av bytes (no CTL, ';' or non-ASCII). */
static void
sticky_path(struct conf_parser *p, struct fo_conf_balance *b, const struct conf_tok *o)
{
	const char *v = o->val + 5;
	size_t n = o->len - 5, i;
	char *copy;

	if (n == 0 || v[0] != '/' || n > FO_CONF_COOKIE_PATH_MAX) {
		conf_err(p, &o->loc,
			"invalid sticky cookie path \"%s\" (starts with \"/\", at most %u bytes)",
			v, FO_CONF_COOKIE_PATH_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c <= 0x20 || c >= 0x7f || c == ';' || c == ',') {
			struct fo_conf_loc loc = conf_tok_loc_at(o, 5 + i);

			conf_err(p, &loc,
				"invalid byte 0x%02x in sticky cookie path (no space, control, "
				"\";\", \",\" or non-ASCII byte)",
				c);
			return;
		}
	}
	copy = strdup(v);
	if (copy == NULL) {
		conf_oom(p, &o->loc);
		return;
	}
	free(b->path);
	b->path = copy;
}

/* One option of `sticky cookie NAME OPTION...`; @p seen: bit per option, for duplicates. */
static void
sticky_option(
	struct conf_parser *p, struct fo_conf_balance *b, const struct conf_tok *o, unsigned *seen)
{
	static const char *const opts[] = {"path=", "max_age=", "samesite=", "secure", "httponly"};
	unsigned i;

	for (i = 0; i < 5; i++) {
		size_t n = strlen(opts[i]);

		if (opts[i][n - 1] == '=' ? strncmp(o->val, opts[i], n) == 0
					  : strcmp(o->val, opts[i]) == 0)
			break;
	}
	if (i == 5) {
		conf_err(p, &o->loc,
			"unknown sticky option \"%s\" (expected path=/P, max_age=SECONDS, "
			"samesite=lax|strict|none, secure or httponly)",
			o->val);
		return;
	}
	if (*seen & (1u << i)) {
		conf_err(p, &o->loc, "duplicate sticky option \"%.*s\"", (int)strcspn(opts[i], "="),
			opts[i]);
		return;
	}
	*seen |= 1u << i;
	switch (i) {
	case 0:
		sticky_path(p, b, o);
		break;
	case 1: {
		unsigned long v;

		if (conf_parse_uint(o->val + 8, o->len - 8, INT32_MAX, &v) != 0)
			conf_err(p, &o->loc,
				"invalid sticky cookie max_age \"%s\" (seconds, 0..%d; 0: a "
				"session cookie)",
				o->val + 8, INT32_MAX);
		else
			b->max_age = (uint32_t)v;
		break;
	}
	case 2: {
		unsigned k;

		for (k = FO_CONF_SAMESITE_LAX; k <= FO_CONF_SAMESITE_NONE; k++)
			if (strcmp(o->val + 9, samesite_names[k]) == 0)
				break;
		if (k > FO_CONF_SAMESITE_NONE)
			conf_err(p, &o->loc,
				"invalid sticky cookie samesite \"%s\" (expected lax, strict or "
				"none)",
				o->val + 9);
		else
			b->samesite = (uint8_t)k;
		break;
	}
	case 3:
		b->secure = 1;
		break;
	default:
		b->httponly = 1;
		break;
	}
}

/* `sticky cookie NAME [path=/P] [max_age=SECONDS] [samesite=...] [secure] [httponly];` */
void
conf_h_sticky(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_balance *b = bal_of(p, blk);
	const struct conf_tok *name;
	unsigned i, seen = 0;
	long bad;

	(void)inner;
	if (strcmp(st->tok[1].val, "cookie") != 0) {
		conf_err(p, &st->tok[1].loc, "unknown sticky kind \"%s\" (expected cookie)",
			st->tok[1].val);
		return;
	}
	if (st->n_args < 2) {
		conf_err(
			p, &st->tok[1].loc, "sticky cookie needs a NAME (sticky cookie NAME ...;)");
		return;
	}
	name = &st->tok[2];
	bad = bad_token_at(name->val, name->len, FO_CONF_COOKIE_NAME_MAX);
	if (bad != (long)name->len) {
		struct fo_conf_loc loc = conf_tok_loc_at(name, bad > 0 ? (size_t)bad : 0);

		conf_err(p, &loc,
			"invalid sticky cookie name \"%s\" (1..%u letters, digits and "
			"\"!#$%%&'*+-.^_`|~\")",
			name->val, FO_CONF_COOKIE_NAME_MAX);
		return;
	}
	b->cookie = strdup(name->val);
	if (b->cookie == NULL) {
		conf_oom(p, &name->loc);
		return;
	}
	b->sticky = 1;
	b->sticky_loc = st->tok[0].loc;
	for (i = 3; i < st->n; i++)
		sticky_option(p, b, &st->tok[i], &seen);
}

void
conf_free_balance(struct fo_conf_balance *b)
{
	free(b->hash_name);
	free(b->cookie);
	free(b->path);
	b->hash_name = b->cookie = b->path = NULL;
}

/* `balance` and `sticky` of @u in the upstream's dump (nothing at the defaults). */
void
conf_dump_balance(FILE *out, const struct fo_conf_upstream *u)
{
	const struct fo_conf_balance *b = &u->balance;

	if (b->kind != FO_CONF_BAL_ROUND_ROBIN) {
		fprintf(out, "\tbalance %s", kind_names[b->kind]);
		switch (b->hash_key) {
		case FO_CONF_HASH_SOURCE_IP:
			fprintf(out, " source_ip");
			break;
		case FO_CONF_HASH_URI:
			fprintf(out, " uri");
			break;
		case FO_CONF_HASH_HEADER:
			fprintf(out, " header \"%s\"", b->hash_name);
			break;
		case FO_CONF_HASH_COOKIE:
			fprintf(out, " cookie \"%s\"", b->hash_name);
			break;
		default:
			break;
		}
		fprintf(out, ";\n");
	}
	if (!b->sticky)
		return;
	/* quoted: a name may hold '#' or '\'', a path '{' or '"' (escaped) */
	fprintf(out, "\tsticky cookie \"%s\"", b->cookie);
	if (b->path != NULL) {
		const char *c;

		fprintf(out, " \"path=");
		for (c = b->path; *c != '\0'; c++)
			fprintf(out, "%s%c", *c == '"' || *c == '\\' ? "\\" : "", *c);
		fprintf(out, "\"");
	}
	if (b->max_age != 0)
		fprintf(out, " max_age=%u", b->max_age);
	if (b->samesite != FO_CONF_SAMESITE_UNSET)
		fprintf(out, " samesite=%s", samesite_names[b->samesite]);
	if (b->secure)
		fprintf(out, " secure");
	if (b->httponly)
		fprintf(out, " httponly");
	fprintf(out, ";\n");
}
