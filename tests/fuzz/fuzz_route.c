/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for route matching: a fixed rule set (the seed's two
 * rules plus exact, prefix and regex paths, hosts, rewrites, and regexes
 * Hyperscan takes exactly, only as a front part or prefilter, or not at
 * all) is compiled once; each input is a request:
 *   byte 0        host length (255: no Host header)
 *   next bytes    the host
 *   the rest      the path (any bytes: the matcher must not rely on the
 *                 HTTP parser's checks)
 * The winner and its rewritten path must equal what the reference matcher
 * (route_ref.h: every rule tried in priority order with PCRE2's
 * interpreter) says, with a roomy buffer and with a tiny one (-ENOSPC);
 * any disagreement aborts. The same rules are compiled twice: normally,
 * and with every key of the element-boundary table hashed into 4 values
 * (route_hash_mask), so that collisions are exercised on every input; a
 * third, small table (fuzz_conf_small) is matched rule by rule in rank
 * order instead of looked up (t->linear).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fo_route.h"
#include "route_priv.h"
#include "route_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_conf[] =
	"interface net_tap0 { address 198.18.0.1/24; }\n"
	"listen 198.18.0.1:80;\n"
	"upstream django-service { server 198.18.0.11:8000; }\n"
	"upstream flask-service { server 198.18.0.21:8000; }\n"
	"upstream u2 { server 198.18.0.31:8000; }\n"
	"upstream u3 { server 198.18.0.41:8000; }\n"
	"route regex \"/test01(/|$)(.*)\" { upstream django-service; rewrite \"/$2\"; }\n"
	"route regex \"/test02(/|$)(.*)\" { upstream flask-service; rewrite \"/$2\"; }\n"
	"route exact /exact { upstream u2; }\n"
	"route exact /a/b { host api.example.com; upstream u3; rewrite \"/x$0\"; }\n"
	"route prefix /api { upstream u2; }\n"
	"route prefix /api/v1/ { upstream u3; rewrite /v1; }\n"
	"route prefix / { host *.example.com; upstream u2; rewrite \"/w$0\"; }\n"
	"route prefix /static { host static.test; upstream u3; }\n"
	"route prefix /s { host *.b.example.com; upstream u3; }\n"
	"route regex \"/img/[0-9]+\\.(png|jpg)$\" { upstream u2; rewrite \"/i.$1\"; }\n"
	"route regex \"/u/(\\d+)/(\\w+)\" { upstream u3; rewrite \"/user/$1?n=$2\"; }\n"
	"route regex \"/x(?=y)\" { upstream u2; }\n"
	"route regex \"/(a+)/\\1\" { upstream u3; rewrite \"/$1\"; }\n"
	"route regex \"(/c|/d(?1))\" { upstream u2; rewrite \"$1$0\"; }\n"
	"route regex \"/sp/\\s\\S\" { upstream u2; }\n"
	"route regex \"/dot/.z\" { upstream u3; }\n"
	"route regex \"/end$\" { upstream u2; }\n"
	"route regex \"/nl/x\\Z\" { upstream u2; }\n"
	"route regex \"/w\\b\" { upstream u3; }\n"
	"route regex \"/case/(?-i)AbC\" { upstream u2; }\n"
	"route regex \"/cls/[^/]+/[[:alpha:]]+\" { upstream u3; }\n"
	"route regex \"/rep/(ab){2,4}x\" { upstream u2; rewrite \"/$1\"; }\n"
	"route regex \"/alt/(a|b|)c\" { upstream u3; }\n"
	"route regex \"/hex/\\x41\\x{42}\" { upstream u2; }\n"
	"route regex \"/esc/\\Q.*\\E\" { upstream u3; }\n"
	"route regex \"/opt/(?s).x\" { upstream u2; }\n"
	"route regex \"/lazy/.*?z(.?)\" { upstream u3; rewrite \"$1\"; }\n"
	"route regex \"[a-z]+\" { upstream u2; }\n"
	"route regex \"/ws/\\v|/hs/\\h\" { upstream u3; }\n"
	"route regex \"/cond/(?(?=a)ab|cd)\" { upstream u2; }\n"
	"route regex \"/atom/(?>a+)b\" { upstream u3; }\n"
	"route regex \"/look/(?<=k/)z\" { host api.example.com; upstream u2; }\n"
	"route regex \"/api/(v[0-9]+)/(.*)\" { host *.example.com; upstream u3; rewrite "
	"\"/$2/$1\"; }\n"
	"route regex \"/empty/(x*)\" { upstream u2; rewrite \"/[$1]\"; }\n"
	"route regex \"/\" { host static.test; upstream u2; }\n"
	"route exact /api/v1 { host api.example.com; upstream u2; }\n"
	"route prefix /api/v1/users { host *.example.com; upstream u3; rewrite \"/u$0\"; }\n"
	"route regex \"/api/v1/(x+)$\" { upstream u3; rewrite \"/$1\"; }\n"
	"route regex \"/Ver(?:/|$)\" { host *.b.example.com; upstream u2; }\n"
	"route regex \"/f/g/h/[a-c]+/(.*)\" { upstream u2; rewrite \"/$1\"; }\n";

/* The same rules in ingress-nginx's order, with priorities and "**." wildcards. */
static const char fuzz_conf_more[] =
	"match_order ingress-nginx;\n"
	"route prefix /p { host **.example.com; upstream u2; priority 2; }\n"
	"route prefix / { host **.b.example.com; upstream u3; rewrite \"/m$0\"; }\n"
	"route regex \"/CS/[a-z]+\" { host cs.test; upstream u2; case_sensitive on; }\n"
	"route prefix /cs { host cs.test; upstream u3; priority -1; }\n";

/*
 * A small table (at most ROUTE_LINEAR_MAX rules, each exact, prefix or
 * "LIT(/|$)(.*)"): its rules are tried in rank order, not looked up.
 */
static const char fuzz_conf_small[] =
	"interface net_tap0 { address 198.18.0.1/24; }\n"
	"listen 198.18.0.1:80;\n"
	"upstream u1 { server 198.18.0.11:8000; }\n"
	"upstream u2 { server 198.18.0.21:8000; }\n"
	"route regex \"/test01(/|$)(.*)\" { upstream u1; rewrite \"/$2\"; }\n"
	"route regex \"/Test02/x(/|$)(.*)\" { upstream u2; rewrite \"/a$1b$0c$2\"; }\n"
	"route regex \"/CS(/|$)(.*)\" { upstream u1; case_sensitive on; }\n"
	"route exact /exact { host api.example.com; upstream u2; }\n"
	"route prefix /api/v1/ { upstream u1; rewrite_prefix /v1/; }\n"
	"route prefix /test01/p { host *.example.com; upstream u2; priority 1; }\n"
	"route prefix / { host **.b.example.com; upstream u1; rewrite \"/m$0\"; }\n";

struct fuzz_state {
	struct fo_conf *conf, *conf2, *conf3;
	struct fo_route_table *t, *tc, *t2, *t3; /* tc: keys forced to collide; t2: conf2's */
	struct fo_route_scratch *s;
	struct route_ref ref, ref2, ref3;
};

static struct fuzz_state *
fuzz_setup(void)
{
	static struct fuzz_state st;
	char err[256];

	if (st.s != NULL)
		return &st;
	st.conf = fo_conf_parse("fuzz.conf", fuzz_conf, strlen(fuzz_conf), 0, stderr, NULL);
	if (st.conf == NULL)
		abort();
	st.t = fo_route_compile(st.conf, err, sizeof(err));
	route_hash_mask = 3;
	st.tc = fo_route_compile(st.conf, err, sizeof(err));
	route_hash_mask = 0;
	if (st.t == NULL || st.tc == NULL) {
		fprintf(stderr, "fuzz_route: %s\n", err);
		abort();
	}
	{
		static char text[sizeof(fuzz_conf) + sizeof(fuzz_conf_more)];

		snprintf(text, sizeof(text), "%s%s", fuzz_conf, fuzz_conf_more);
		st.conf2 = fo_conf_parse("fuzz2.conf", text, strlen(text), 0, stderr, NULL);
		if (st.conf2 == NULL || (st.t2 = fo_route_compile(st.conf2, err, sizeof(err))) == NULL)
			abort();
	}
	st.conf3 = fo_conf_parse(
		"fuzz3.conf", fuzz_conf_small, strlen(fuzz_conf_small), 0, stderr, NULL);
	if (st.conf3 == NULL || (st.t3 = fo_route_compile(st.conf3, err, sizeof(err))) == NULL ||
		!st.t3->linear)
		abort();
	st.s = fo_route_scratch_alloc(st.t);
	if (st.s == NULL || fo_route_scratch_update(st.s, st.tc) != 0 ||
		fo_route_scratch_update(st.s, st.t2) != 0 ||
		fo_route_scratch_update(st.s, st.t3) != 0 ||
		route_ref_init(&st.ref, st.conf) != 0 || route_ref_init(&st.ref2, st.conf2) != 0 ||
		route_ref_init(&st.ref3, st.conf3) != 0)
		abort();
	return &st;
}

static void
compare(struct fuzz_state *st, const struct fo_route_table *t, const struct route_ref *ref,
	const char *host, size_t hl, const char *path, size_t pl, size_t cap)
{
	static char out_a[FO_ROUTE_REWRITE_MAX], out_b[FO_ROUTE_REWRITE_MAX];
	struct fo_route_result a, b;
	int ra = fo_route_match(t, st->s, host, hl, path, pl, out_a, cap, &a);
	int rb = route_ref_match(ref, host, hl, path, pl, out_b, cap, &b);

	if (ra == rb && (ra == -ENOENT || (a.route == b.route && a.upstream == b.upstream &&
						  a.conf == b.conf)))
		if (ra != 0 ||
			(a.path_len == b.path_len && memcmp(a.path, b.path, a.path_len) == 0))
			return;
	fprintf(stderr,
		"fuzz_route: host \"%.*s\" path \"%.*s\" cap %zu: route_match %d/%u \"%.*s\", "
		"reference %d/%u \"%.*s\"\n",
		host ? (int)hl : 0, host ? host : "", (int)pl, path, cap, ra, ra ? 0 : a.route,
		ra ? 0 : (int)a.path_len, ra ? "" : a.path, rb, rb ? 0 : b.route,
		rb ? 0 : (int)b.path_len, rb ? "" : b.path);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_state *st = fuzz_setup();
	const char *host = NULL, *path;
	size_t hl = 0, pl;

	if (size == 0 || size > 4096)
		return 0;
	if (data[0] != 255) {
		hl = data[0] < size - 1 ? data[0] : size - 1;
		host = (const char *)data + 1;
	}
	path = (const char *)data + 1 + hl;
	pl = size - 1 - hl;
	compare(st, st->t, &st->ref, host, hl, path, pl, FO_ROUTE_REWRITE_MAX);
	compare(st, st->t, &st->ref, host, hl, path, pl, pl % 8);
	compare(st, st->tc, &st->ref, host, hl, path, pl, FO_ROUTE_REWRITE_MAX);
	compare(st, st->t2, &st->ref2, host, hl, path, pl, FO_ROUTE_REWRITE_MAX);
	compare(st, st->t3, &st->ref3, host, hl, path, pl, FO_ROUTE_REWRITE_MAX);
	compare(st, st->t3, &st->ref3, host, hl, path, pl, pl % 8);
	return 0;
}
