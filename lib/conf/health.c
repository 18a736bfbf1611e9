/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health directives of an upstream that are not plain numbers: the
 * `health_check { }` block (its path, host and expect; interval, timeout,
 * rise and fall are rows of CONF_HC_PARAMS, handled in params.c) and
 * `next_upstream`, with their defaults and their dump.
 *
 * What the checks send is written into a request line and a Host header
 * by the data plane, so path and host are held to what may stand there
 * (RFC 9112 origin-form, RFC 9110 Host) when the config is read, never
 * when a check is sent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf_priv.h"

/* Indices into hc_dirs[], for blk->seen[]: the table rows, then the words. */
enum { HC_PATH = CONF_HC_N, HC_HOST, HC_EXPECT, HC_N };

static struct fo_conf_health_check *
hc_of(struct conf_parser *p, const struct conf_block *blk)
{
	return &p->c->pub.upstreams[blk->obj].health_check;
}

/* Every field of @u's health_check at its default (the block absent), and next_upstream's. */
int
conf_upstream_health_init(struct fo_conf_upstream *u)
{
	struct fo_conf_health_check *hc = &u->health_check;

	memset(hc, 0, sizeof(*hc));
	conf_params_init(hc, conf_hc_params, CONF_HC_N);
	hc->expect_lo = CONF_HC_EXPECT_LO;
	hc->expect_hi = CONF_HC_EXPECT_HI;
	u->next_upstream = CONF_NU_DEFAULT;
	hc->path = strdup(CONF_HC_PATH_DEFAULT);
	return hc->path == NULL ? -ENOMEM : 0;
}

/* `health_check { ... }`: an empty block turns checks on with every default. */
void
conf_h_health_check(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	struct fo_conf_health_check *hc = hc_of(p, blk);

	hc->enabled = true;
	hc->loc = st->tok[0].loc;
	inner->obj = blk->obj;
}

static bool
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* pchar of RFC 3986 3.3 (but pct-encoded), '/' and '?': the bytes of an origin-form target */
static bool
is_target_char(unsigned char c)
{
	return is_alnum(c) || (c != 0 && strchr("-._~!$&'()*+,;=:@/?", c) != NULL);
}

/*
 * path TARGET;: an origin-form request target (absolute path and optional
 * query), as written on the request line of each check.
 */
static void
h_hc_path(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	struct fo_conf_health_check *hc = hc_of(p, blk);
	struct fo_conf_loc loc;
	char *path;
	size_t i;

	if (t->val[0] != '/') {
		conf_err(p, &t->loc, "health_check path \"%s\" must start with \"/\"", t->val);
		return;
	}
	if (t->len > CONF_HC_PATH_MAX) {
		conf_err(p, &t->loc, "health_check path is too long (%zu bytes, at most %u)",
			t->len, CONF_HC_PATH_MAX);
		return;
	}
	for (i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->val[i];

		if (c == '%' && (i + 2 >= t->len || !is_hex((unsigned char)t->val[i + 1]) ||
					!is_hex((unsigned char)t->val[i + 2]))) {
			loc = conf_tok_loc_at(t, i);
			conf_err(p, &loc,
				"invalid escape in health_check path (expected %%XX, two hex "
				"digits)");
			return;
		}
		if (c != '%' && !is_target_char(c)) {
			loc = conf_tok_loc_at(t, i);
			conf_err(p, &loc,
				"invalid byte 0x%02x in health_check path (a request target "
				"such as /healthz?full=1: letters, digits, "
				"\"-._~!$&'()*+,;=:@/?\" and %%XX)",
				c);
			return;
		}
	}
	path = strdup(t->val);
	if (path == NULL) {
		conf_oom(p, &t->loc);
		return;
	}
	free(hc->path);
	hc->path = path;
}

/*
 * NAME[:PORT], NAME of letters, digits and "-._~" (a DNS name or an IPv4
 * address; RFC 3986 unreserved, so the Host header needs no escaping).
 * 0 or -EINVAL.
 */
static int
check_hc_host(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t name = colon ? (size_t)(colon - s) : n, i;
	unsigned long port;

	if (n == 0 || n > CONF_HC_HOST_MAX || name == 0)
		return -EINVAL;
	for (i = 0; i < name; i++)
		if (!is_alnum((unsigned char)s[i]) && strchr("-._~", s[i]) == NULL)
			return -EINVAL;
	if (colon == NULL)
		return 0;
	if (conf_parse_uint(colon + 1, n - name - 1, 65535, &port) != 0 || port == 0)
		return -EINVAL;
	return 0;
}

/* host NAME[:PORT];: the Host header of each check (default: the server's ADDR:PORT). */
static void
h_hc_host(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	struct fo_conf_health_check *hc = hc_of(p, blk);

	if (check_hc_host(t->val, t->len) != 0) {
		conf_err(p, &t->loc,
			"invalid health_check host \"%s\" (expected a host name or address with "
			"an optional :PORT, such as app.example or 198.18.0.11:8000: letters, "
			"digits, \"-._~\", at most %u bytes)",
			t->val, CONF_HC_HOST_MAX);
		return;
	}
	hc->host = strdup(t->val);
	if (hc->host == NULL)
		conf_oom(p, &t->loc);
}

/* A status code: three digits (RFC 9110 15), 100..599. 0 or -EINVAL. */
static int
parse_status(const char *s, size_t n, unsigned long *out)
{
	if (n != 3 || conf_parse_uint(s, n, 599, out) != 0 || *out < 100)
		return -EINVAL;
	return 0;
}

/* expect STATUS; or expect LO-HI;: the statuses that pass. */
static void
h_hc_expect(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	const struct conf_tok *t = &st->tok[1];
	struct fo_conf_health_check *hc = hc_of(p, blk);
	const char *dash = strchr(t->val, '-');
	size_t n_lo = dash ? (size_t)(dash - t->val) : t->len;
	unsigned long lo, hi;

	if (parse_status(t->val, n_lo, &lo) != 0 ||
		(dash != NULL && parse_status(dash + 1, t->len - n_lo - 1, &hi) != 0)) {
		conf_err(p, &t->loc,
			"invalid expect \"%s\" (expected a status or a range of statuses in "
			"100..599, such as 200 or 200-399)",
			t->val);
		return;
	}
	if (dash == NULL)
		hi = lo;
	if (lo > hi) {
		conf_err(p, &t->loc,
			"invalid expect \"%s\" (the first status of a range must not exceed the "
			"second)",
			t->val);
		return;
	}
	hc->expect_lo = (uint16_t)lo;
	hc->expect_hi = (uint16_t)hi;
}

/* nginx's names for proxy_next_upstream, in the order of the bits (and of the dump) */
static const struct {
	const char *name;
	uint32_t bit;
} nu_words[] = {
	{"error", FO_CONF_NU_ERROR},
	{"timeout", FO_CONF_NU_TIMEOUT},
	{"invalid_header", FO_CONF_NU_INVALID_HEADER},
	{"http_500", FO_CONF_NU_HTTP_500},
	{"http_502", FO_CONF_NU_HTTP_502},
	{"http_503", FO_CONF_NU_HTTP_503},
	{"http_504", FO_CONF_NU_HTTP_504},
	{"http_429", FO_CONF_NU_HTTP_429},
};
#define N_NU_WORDS (sizeof(nu_words) / sizeof(nu_words[0]))
_Static_assert(N_NU_WORDS <= CONF_ARGS_MAX, "next_upstream may list every word");

/*
 * next_upstream WORD...; or next_upstream off;: which failures before the
 * response head send a request to the next server. Each error is reported
 * at its word; nothing is set unless every word is good.
 */
void
conf_h_next_upstream(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st,
	struct conf_block *inner)
{
	bool bad = false; /* not p->n_errors: it stops counting at FO_CONF_ERRORS_MAX */
	uint32_t bits = 0;
	unsigned a, w;

	for (a = 1; a < st->n; a++) {
		const struct conf_tok *t = &st->tok[a];

		if (strcmp(t->val, "off") == 0) {
			if (st->n_args != 1) {
				conf_err(p, &t->loc, "\"off\" must be alone in \"next_upstream\"");
				bad = true;
			}
			continue;
		}
		if (strcmp(t->val, "non_idempotent") == 0) {
			/* nginx has it; replaying a POST can do its effect twice */
			conf_err(p, &t->loc,
				"\"non_idempotent\" is not supported: fanout never sends a "
				"non-idempotent request twice (RFC 9110, 9.2.2)");
			bad = true;
			continue;
		}
		for (w = 0; w < N_NU_WORDS && strcmp(t->val, nu_words[w].name) != 0; w++)
			;
		if (w == N_NU_WORDS) {
			conf_err(p, &t->loc,
				"unknown next_upstream condition \"%s\" (expected error, timeout, "
				"invalid_header, http_500, http_502, http_503, http_504, http_429 "
				"or off)",
				t->val);
			bad = true;
		} else if (bits & nu_words[w].bit) {
			conf_err(p, &t->loc, "duplicate \"%s\" in next_upstream", t->val);
			bad = true;
		}
		if (w < N_NU_WORDS)
			bits |= nu_words[w].bit;
	}
	if (!bad)
		p->c->pub.upstreams[blk->obj].next_upstream = bits;
}

/* `next_upstream` and the `health_check` block of @u, in the upstream's dump. */
void
conf_dump_health(FILE *out, const struct fo_conf_upstream *u)
{
	const struct fo_conf_health_check *hc = &u->health_check;
	unsigned w;

	if (u->next_upstream != CONF_NU_DEFAULT) {
		fprintf(out, "\tnext_upstream");
		for (w = 0; w < N_NU_WORDS; w++)
			if (u->next_upstream & nu_words[w].bit)
				fprintf(out, " %s", nu_words[w].name);
		fprintf(out, "%s;\n", u->next_upstream == 0 ? " off" : "");
	}
	if (!hc->enabled)
		return;
	fprintf(out, "\thealth_check {\n");
	/* quoted for its ';' and '\''; a request target has no '"' or '\\' to escape */
	if (strcmp(hc->path, CONF_HC_PATH_DEFAULT) != 0)
		fprintf(out, "\t\tpath \"%s\";\n", hc->path);
	if (hc->host != NULL)
		fprintf(out, "\t\thost %s;\n", hc->host);
	if (hc->expect_lo != CONF_HC_EXPECT_LO || hc->expect_hi != CONF_HC_EXPECT_HI) {
		if (hc->expect_lo == hc->expect_hi)
			fprintf(out, "\t\texpect %u;\n", hc->expect_lo);
		else
			fprintf(out, "\t\texpect %u-%u;\n", hc->expect_lo, hc->expect_hi);
	}
	conf_dump_params(out, "\t\t", hc, conf_hc_params, CONF_HC_N);
	fprintf(out, "\t}\n");
}

#define HC_DIR(dir, field, kind, usage, min, max, def)                                             \
	[CONF_HC_##dir] = {#dir, #dir " " usage ";", 1, 1, CONF_D_ONCE, NULL, conf_h_hc_param},
static const struct conf_directive hc_dirs[HC_N] = {
	[HC_PATH] = {"path", "path /TARGET;", 1, 1, CONF_D_ONCE, NULL, h_hc_path},
	[HC_HOST] = {"host", "host NAME[:PORT];", 1, 1, CONF_D_ONCE, NULL, h_hc_host},
	[HC_EXPECT] = {"expect", "expect STATUS|LO-HI;", 1, 1, CONF_D_ONCE, NULL, h_hc_expect},
	CONF_HC_PARAMS(HC_DIR)};

const struct conf_ctx conf_ctx_health_check = {
	"health_check", "in health_check block", hc_dirs, HC_N, NULL};

_Static_assert(HC_N <= CONF_CTX_DIRS_MAX, "raise CONF_CTX_DIRS_MAX");
