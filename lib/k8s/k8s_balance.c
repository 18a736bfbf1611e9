/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ingress-nginx's balancing and affinity annotations, as an upstream's
 * `balance` or `sticky cookie` line.
 *
 * ingress-nginx picks one balancer per backend, in this order: affinity
 * cookie (its sticky balancer), upstream-hash-by (consistent hashing),
 * load-balance; so does the import, and the annotations the chosen one
 * makes moot are warned about. load-balance: today's ingress-nginx runs
 * round_robin and ewma (anything else falls back to round_robin, logged);
 * up to 0.23 it also took least_conn and ip_hash (plain nginx): those are
 * imported as what they asked for, with a warning. upstream-hash-by is an
 * nginx expression: the variables `balance hash` takes ($remote_addr,
 * $binary_remote_addr, $request_uri, $http_NAME, $cookie_NAME, also as
 * ${...}) are mapped, anything else (several variables, text, $host...) is
 * warned about and the upstream balances as if it were not set.
 *
 * Upstreams are per Service port in fanout, balancing per Ingress in
 * ingress-nginx: the oldest Ingress that sets any decides, a newer one that
 * asks for something else is warned about (as timeouts and retries).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "k8s_xlate.h"

#define NGINX_PREFIX "nginx.ingress.kubernetes.io/"

static const char *const ba_names[K8S_BA_N] = {
	[K8S_BA_LOAD_BALANCE] = "load-balance",
	[K8S_BA_HASH_BY] = "upstream-hash-by",
	[K8S_BA_HASH_SUBSET] = "upstream-hash-by-subset",
	[K8S_BA_HASH_SUBSET_SIZE] = "upstream-hash-by-subset-size",
	[K8S_BA_AFFINITY] = "affinity",
	[K8S_BA_MODE] = "affinity-mode",
	[K8S_BA_CANARY_BEHAVIOR] = "affinity-canary-behavior",
	[K8S_BA_CK_NAME] = "session-cookie-name",
	[K8S_BA_CK_PATH] = "session-cookie-path",
	[K8S_BA_CK_MAX_AGE] = "session-cookie-max-age",
	[K8S_BA_CK_EXPIRES] = "session-cookie-expires",
	[K8S_BA_CK_SAMESITE] = "session-cookie-samesite",
	[K8S_BA_CK_COND_NONE] = "session-cookie-conditional-samesite-none",
	[K8S_BA_CK_SECURE] = "session-cookie-secure",
	[K8S_BA_CK_DOMAIN] = "session-cookie-domain",
	[K8S_BA_CK_PARTITIONED] = "session-cookie-partitioned",
	[K8S_BA_CK_CHANGE] = "session-cookie-change-on-failure",
};

enum k8s_ba
k8s_bal_which(const char *name)
{
	unsigned i;

	for (i = 0; i < K8S_BA_N; i++)
		if (strcmp(name, ba_names[i]) == 0)
			return (enum k8s_ba)i;
	return K8S_BA_N;
}

struct bctx {
	struct fo_k8s *k;
	const struct k8s_ingress *ing;
	struct k8s_bal *b;
};

static void bwarn(const struct bctx *c, enum k8s_ba a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
bwarn(const struct bctx *c, enum k8s_ba a, const char *fmt, ...)
{
	char msg[512], field[K8S_FIELD_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(field, sizeof(field), "metadata.annotations[" NGINX_PREFIX "%s]", ba_names[a]);
	k8s_diag(c->k, K8S_WARNING, &c->ing->m, &c->b->loc[a], field, "%s", msg);
}

/** "true" 1, "false" 0, else -1 (warned). */
static int
boolean(const struct bctx *c, enum k8s_ba a)
{
	const char *v = c->b->raw[a];

	if (strcmp(v, "true") == 0)
		return 1;
	if (strcmp(v, "false") == 0)
		return 0;
	bwarn(c, a, "invalid value \"%s\" (expected true or false): ignored", v);
	return -1;
}

/** [A-Za-z0-9_]{1,64}: what an nginx variable's name part may be and the config takes. */
static int
var_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/** upstream-hash-by as a `balance hash` key in @p out. @return 0, or -1 (not expressible). */
static int
hash_key(const char *v, char *out, size_t len)
{
	char var[72];
	size_t n = strlen(v);

	/* one variable, $name or ${name}, and nothing else */
	if (n < 2 || v[0] != '$')
		return -1;
	if (v[1] == '{') {
		if (n < 4 || v[n - 1] != '}' || n - 3 >= sizeof(var))
			return -1;
		memcpy(var, v + 2, n - 3);
		var[n - 3] = '\0';
	} else {
		if (n - 1 >= sizeof(var))
			return -1;
		memcpy(var, v + 1, n);
	}
	if (strcmp(var, "remote_addr") == 0 || strcmp(var, "binary_remote_addr") == 0) {
		snprintf(out, len, "$remote_addr");
	} else if (strcmp(var, "request_uri") == 0) {
		snprintf(out, len, "$request_uri");
	} else if (strncmp(var, "http_", 5) == 0 && var_name_ok(var + 5, strlen(var + 5))) {
		snprintf(out, len, "$%s", var);
	} else if (strncmp(var, "cookie_", 7) == 0 && var_name_ok(var + 7, strlen(var + 7))) {
		snprintf(out, len, "$%s", var);
	} else {
		return -1;
	}
	return 0;
}

static void
load_balance(const struct bctx *c)
{
	struct k8s_bal *b = c->b;
	const char *v = b->raw[K8S_BA_LOAD_BALANCE];

	if (strcmp(v, "round_robin") == 0 || strcmp(v, "ewma") == 0) {
		snprintf(b->lb, sizeof(b->lb), "%s", v);
	} else if (strcmp(v, "least_conn") == 0) {
		snprintf(b->lb, sizeof(b->lb), "least_conn");
		bwarn(c, K8S_BA_LOAD_BALANCE,
			"least_conn: ingress-nginx ran it up to 0.23 only (today it falls back to "
			"round_robin); fanout does least_conn");
	} else if (strcmp(v, "ip_hash") == 0) {
		snprintf(b->lb, sizeof(b->lb), "hash $remote_addr");
		bwarn(c, K8S_BA_LOAD_BALANCE,
			"ip_hash: ingress-nginx ran it up to 0.23 only (today it falls back to "
			"round_robin); fanout hashes the client's whole address "
			"(balance hash $remote_addr)");
	} else {
		bwarn(c, K8S_BA_LOAD_BALANCE,
			"\"%s\" is not an algorithm of ingress-nginx (round_robin, ewma): "
			"round_robin used (as ingress-nginx)",
			v);
	}
}

/** upstream-hash-by into b->hash. @return upstream-hash-by-subset: 1 "true", else 0. */
static int
hash_by(const struct bctx *c)
{
	struct k8s_bal *b = c->b;
	const char *v = b->raw[K8S_BA_HASH_BY];
	int subset = b->raw[K8S_BA_HASH_SUBSET] ? boolean(c, K8S_BA_HASH_SUBSET) : 0;

	if (b->raw[K8S_BA_HASH_SUBSET_SIZE] != NULL)
		bwarn(c, K8S_BA_HASH_SUBSET_SIZE, "ignored: fanout has no subset hashing");
	if (v != NULL && hash_key(v, b->hash, sizeof(b->hash)) != 0) {
		b->hash[0] = '\0';
		bwarn(c, K8S_BA_HASH_BY,
			"\"%s\" cannot be imported (fanout hashes on one of $remote_addr, "
			"$binary_remote_addr, $request_uri, $http_NAME, $cookie_NAME, not on "
			"other variables, text or combinations): ignored, the upstream is not "
			"hashed",
			v);
	}
	return subset == 1;
}

/** A seconds value of session-cookie-max-age or -expires: > 0, else -1 (warned). */
static long
cookie_seconds(const struct bctx *c, enum k8s_ba a)
{
	const char *v = c->b->raw[a];
	size_t n = strspn(v, "0123456789");
	long s;

	if (n == 0 || n > 10 || v[n] != '\0' || (s = atol(v)) <= 0 || s > 2147483647L) {
		bwarn(c, a,
			"invalid value \"%s\" (expected seconds, 1..2147483647): ignored (the "
			"cookie lasts the browser session)",
			v);
		return -1;
	}
	return s;
}

/** A sticky cookie path the config takes: '/' first, at most 128 bytes, no ';' or ','. */
static int
cookie_path_ok(const char *p)
{
	return p[0] == '/' && strlen(p) <= 128 && k8s_printable(p) && strpbrk(p, ";,") == NULL;
}

static void
cookie(const struct bctx *c)
{
	static const char *const samesite[] = {"lax", "strict", "none"};
	struct k8s_bal *b = c->b;
	const char *v;
	long age = 0, exp = 0;
	unsigned i;

	b->cookie = "INGRESSCOOKIE";
	if ((v = b->raw[K8S_BA_CK_NAME]) != NULL) {
		if (k8s_token(v) && strlen(v) <= 64)
			b->cookie = v;
		else
			bwarn(c, K8S_BA_CK_NAME,
				"invalid cookie name \"%s\" (1..64 letters, digits and "
				"\"!#$%%&'*+-.^_`|~\"): INGRESSCOOKIE used",
				v);
	}
	if ((v = b->raw[K8S_BA_CK_PATH]) != NULL) {
		if (cookie_path_ok(v))
			b->path = v;
		else
			bwarn(c, K8S_BA_CK_PATH,
				"invalid cookie path \"%s\" (\"/\" first, at most 128 bytes, no "
				"space, \";\" or \",\"): the path of the Ingress used",
				v);
	}
	if (b->raw[K8S_BA_CK_MAX_AGE] != NULL)
		age = cookie_seconds(c, K8S_BA_CK_MAX_AGE);
	if (b->raw[K8S_BA_CK_EXPIRES] != NULL)
		exp = cookie_seconds(c, K8S_BA_CK_EXPIRES);
	/* Expires is Max-Age for browsers that predate it; a browser that
	 * knows Max-Age uses it over Expires (RFC 6265 5.3) */
	if (age > 0) {
		b->max_age = age;
		if (exp > 0 && exp != age)
			bwarn(c, K8S_BA_CK_EXPIRES,
				"%ld differs from session-cookie-max-age %ld, which browsers use: "
				"max_age=%ld",
				exp, age, age);
	} else if (exp > 0) {
		b->max_age = exp;
	}
	if ((v = b->raw[K8S_BA_CK_SAMESITE]) != NULL) {
		for (i = 0; i < K8S_ARRAY_SIZE(samesite); i++)
			if (strcasecmp(v, samesite[i]) == 0)
				b->samesite = samesite[i];
		if (b->samesite == NULL)
			bwarn(c, K8S_BA_CK_SAMESITE,
				"invalid value \"%s\" (expected None, Lax or Strict): ignored", v);
	}
	if (b->raw[K8S_BA_CK_COND_NONE] != NULL && boolean(c, K8S_BA_CK_COND_NONE) == 1)
		bwarn(c, K8S_BA_CK_COND_NONE,
			"not supported: fanout sends SameSite=None to every browser");
	if (b->raw[K8S_BA_CK_SECURE] != NULL)
		b->secure = boolean(c, K8S_BA_CK_SECURE) == 1;
	if (b->raw[K8S_BA_CK_DOMAIN] != NULL)
		bwarn(c, K8S_BA_CK_DOMAIN,
			"not supported: fanout's sticky cookie has no Domain (host-only): "
			"ignored");
	if (b->raw[K8S_BA_CK_PARTITIONED] != NULL && boolean(c, K8S_BA_CK_PARTITIONED) == 1)
		bwarn(c, K8S_BA_CK_PARTITIONED, "not supported: the cookie is not Partitioned");
	if (b->raw[K8S_BA_CK_CHANGE] != NULL && boolean(c, K8S_BA_CK_CHANGE) == 0)
		bwarn(c, K8S_BA_CK_CHANGE,
			"\"false\" is not supported: when the cookie's server fails, fanout "
			"retries on another server and sets the cookie to the one that "
			"answered (as \"true\")");
	if ((v = b->raw[K8S_BA_MODE]) != NULL) {
		if (strcmp(v, "balanced") == 0)
			bwarn(c, K8S_BA_MODE,
				"balanced is not supported: fanout's cookie names its server, so "
				"sessions stay where they are when servers are added (as "
				"persistent)");
		else if (strcmp(v, "persistent") != 0)
			bwarn(c, K8S_BA_MODE,
				"invalid value \"%s\" (expected balanced or persistent): "
				"persistent used",
				v);
	}
	if ((v = b->raw[K8S_BA_CANARY_BEHAVIOR]) != NULL) {
		if (strcmp(v, "legacy") == 0)
			b->legacy = 1;
		else if (strcmp(v, "sticky") == 0)
			bwarn(c, K8S_BA_CANARY_BEHAVIOR,
				"sticky is not supported: fanout decides the canary of each "
				"request before the cookie (as legacy)");
		else
			bwarn(c, K8S_BA_CANARY_BEHAVIOR,
				"invalid value \"%s\" (expected sticky or legacy): ignored", v);
	}
}

void
k8s_bal_resolve(struct fo_k8s *k, const struct k8s_ingress *ing, struct k8s_bal *b)
{
	struct bctx c = {.k = k, .ing = ing, .b = b};
	const char *aff = b->raw[K8S_BA_AFFINITY];
	unsigned i;
	int subset;

	if (aff != NULL) {
		if (strcmp(aff, "cookie") == 0)
			b->sticky = 1;
		else
			bwarn(&c, K8S_BA_AFFINITY,
				"invalid value \"%s\" (ingress-nginx has only cookie): ignored",
				aff);
	}
	if (b->raw[K8S_BA_LOAD_BALANCE] != NULL)
		load_balance(&c);
	subset = hash_by(&c);
	if (b->sticky) {
		b->by = K8S_BA_AFFINITY;
		cookie(&c);
		if (b->hash[0] != '\0')
			bwarn(&c, K8S_BA_HASH_BY,
				"ignored: affinity: cookie decides (as ingress-nginx)");
		if (b->lb[0] != '\0')
			bwarn(&c, K8S_BA_LOAD_BALANCE,
				"ignored: affinity: cookie decides (as ingress-nginx)");
		b->hash[0] = b->lb[0] = '\0';
	} else {
		for (i = K8S_BA_MODE; i < K8S_BA_N; i++)
			if (b->raw[i] != NULL)
				bwarn(&c, (enum k8s_ba)i,
					"without affinity: cookie: ignored (as ingress-nginx)");
		if (b->hash[0] != '\0') {
			b->by = K8S_BA_HASH_BY;
			if (b->lb[0] != '\0')
				bwarn(&c, K8S_BA_LOAD_BALANCE,
					"ignored: upstream-hash-by decides (as ingress-nginx)");
			b->lb[0] = '\0';
		} else if (b->lb[0] != '\0') {
			b->by = K8S_BA_LOAD_BALANCE;
		}
	}
	if (subset && b->by == K8S_BA_HASH_BY)
		bwarn(&c, K8S_BA_HASH_SUBSET,
			"fanout has no subset hashing: each key goes to one server "
			"(balance hash %s), not to a random one of a subset",
			b->hash);
	else if (subset)
		bwarn(&c, K8S_BA_HASH_SUBSET, "ignored: no upstream-hash-by is imported");
	b->set = b->sticky || b->hash[0] != '\0' || b->lb[0] != '\0';
}

static int
str_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/** The same balancing (cookie path aside when neither gives one). */
static int
bal_same(const struct k8s_bal *a, const struct k8s_bal *b)
{
	return a->sticky == b->sticky && strcmp(a->lb, b->lb) == 0 &&
	       strcmp(a->hash, b->hash) == 0 && str_same(a->cookie, b->cookie) &&
	       str_same(a->path, b->path) && a->max_age == b->max_age &&
	       str_same(a->samesite, b->samesite) && a->secure == b->secure;
}

void
k8s_upstream_balance(struct k8s_xlate *x, int up, const struct k8s_ingress *ing,
	const struct k8s_bal *b, const struct k8s_path *p, int regex)
{
	struct k8s_upstream *u = &x->ups[up];
	const char *want;
	char field[K8S_FIELD_MAX];

	if (!b->set)
		return;
	if (u->bal != NULL && !bal_same(u->bal, b)) {
		snprintf(field, sizeof(field), "metadata.annotations[" NGINX_PREFIX "%s]",
			ba_names[b->by]);
		k8s_diag(x->k, K8S_WARNING, &ing->m, &b->loc[b->by], field,
			"upstream %s already has its balancing (%s) from Ingress %s/%s (older; "
			"balancing is per upstream in fanout): ignored",
			u->name, ba_names[u->bal->by], u->bal_by->m.ns, u->bal_by->m.name);
		return;
	}
	if (u->bal == NULL) {
		u->bal = b;
		u->bal_by = ing;
	}
	if (!b->sticky || b->path != NULL)
		return;
	/* ingress-nginx's cookie path is the location's path (a default
	 * backend's: "/"); one path per upstream here: several paths share "/" */
	want = p != NULL ? p->path : "/";
	if (p != NULL && regex) {
		want = "/";
		k8s_diag(x->k, K8S_WARNING, &ing->m, &p->loc, p->field,
			"a regex path without session-cookie-path (ingress-nginx then writes "
			"the regex as the cookie's Path): Path=/ used");
	} else if (!cookie_path_ok(want)) {
		want = "/";
	}
	if (u->cookie_path[0] == '\0')
		snprintf(u->cookie_path, sizeof(u->cookie_path), "%s", want);
	else if (strcmp(u->cookie_path, want) != 0)
		snprintf(u->cookie_path, sizeof(u->cookie_path), "/");
}

void
k8s_balance_emit(struct k8s_buf *b, const struct k8s_upstream *u)
{
	const struct k8s_bal *s = u->bal;
	char path[160];

	if (s == NULL)
		return;
	if (!s->sticky) {
		kb_printf(b, "\tbalance %s%s;\n", s->hash[0] ? "hash " : "",
			s->hash[0] ? s->hash : s->lb);
		return;
	}
	kb_printf(b, "\tsticky cookie ");
	k8s_put_q(b, s->cookie);
	snprintf(path, sizeof(path), "path=%s",
		s->path             ? s->path
		: u->cookie_path[0] ? u->cookie_path
				    : "/");
	kb_printf(b, " ");
	k8s_put_q(b, path);
	if (s->max_age > 0)
		kb_printf(b, " max_age=%ld", s->max_age);
	if (s->samesite != NULL)
		kb_printf(b, " samesite=%s", s->samesite);
	/* ingress-nginx's sticky cookie is always HttpOnly */
	kb_printf(b, "%s httponly;\n", s->secure ? " secure" : "");
}
