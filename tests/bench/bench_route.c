/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route matching benchmark (not a test): the seed's two rules with typical
 * paths, then generated tables of 10, 1,000, 10,000 and 100,000 mixed
 * rules (hosts: 60% exact over n/50 host names, 10% wildcard, 30% none;
 * paths: 25% exact, 45% prefix, 29% regex with a literal front in the
 * shapes ingress-nginx users write, 1% regex without one). For each size:
 *  - compile s (empty cache), one-rule-change recompile ms through the
 *    cache (a prefix rule's path, then a front-less regex's), databases
 *    and table bytes;
 *  - lookup ns, median and p99, for hits and misses, each lookup timed on
 *    its own with the TSC (timer overhead subtracted);
 *  - the same lookups through a linear PCRE2-JIT first-match loop over
 *    the same rules in priority order (host compared first), the
 *    baseline; fewer lookups for large tables. Its winner must equal the
 *    engine's ("mismatch" counts disagreements; it must print 0).
 * Bounded loops; total run about a minute on 2 vCPUs.
 * Usage: bench_route [lookups-per-size] [max-rules] [min-rules]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "fo_route.h"
#include "route_priv.h"

static const char conf_head[] = "interface net_tap0 { address 198.18.0.1/24; }\n"
				"listen 198.18.0.1:80;\n"
				"upstream django-service { server 198.18.0.11:8000; }\n"
				"upstream flask-service { server 198.18.0.21:8000; }\n";

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double tsc_ns = 1.0; /* ns per TSC tick */
static double tsc_overhead; /* ticks of an empty timed region */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
tsc_calibrate(void)
{
	double t0 = now_ns(), d[1001];
	uint64_t c0 = __rdtsc(), c1;
	unsigned i;

	while (now_ns() - t0 < 50e6)
		;
	c1 = __rdtsc();
	tsc_ns = (now_ns() - t0) / (double)(c1 - c0);
	for (i = 0; i < 1001; i++) {
		uint64_t a = __rdtscp(&(unsigned){0}), b = __rdtscp(&(unsigned){0});

		d[i] = (double)(b - a);
	}
	qsort(d, 1001, sizeof(d[0]), cmp_double);
	tsc_overhead = d[500];
}

static uint64_t rng = 88172645463325252ull;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const words[] = {"api", "users", "v1", "v2", "static", "img", "assets", "orders",
	"cart", "search", "items", "login", "account", "settings", "media", "files"};
#define N_WORDS (sizeof(words) / sizeof(words[0]))
#define W() words[rnd(N_WORDS)]

struct bench_case {
	struct fo_conf *conf;
	struct fo_route_table *t;
	struct fo_route_scratch *s;
	double compile_ms;
};

static int
setup(struct bench_case *c, const char *routes)
{
	size_t hl = strlen(conf_head), rl = strlen(routes);
	char *text = malloc(hl + rl + 1), err[256];
	double t0;

	if (text == NULL)
		return -1;
	memcpy(text, conf_head, hl);
	memcpy(text + hl, routes, rl + 1);
	c->conf = fo_conf_parse("bench.conf", text, hl + rl, 0, stderr, NULL);
	free(text);
	if (c->conf == NULL)
		return -1;
	t0 = now_ns();
	c->t = fo_route_compile(c->conf, err, sizeof(err));
	c->compile_ms = (now_ns() - t0) / 1e6;
	if (c->t == NULL) {
		fprintf(stderr, "bench_route: %s\n", err);
		return -1;
	}
	c->s = fo_route_scratch_alloc(c->t);
	return c->s != NULL ? 0 : -1;
}

static void
teardown(struct bench_case *c)
{
	fo_route_scratch_free(c->s);
	fo_route_table_free(c->t);
	fo_conf_free(c->conf);
}

/* ns per match over @p n_paths paths, @p iters matches in all; *hits: matches. */
static double
run(struct bench_case *c, char **paths, unsigned n_paths, unsigned iters, unsigned *hits)
{
	static char out[FO_ROUTE_REWRITE_MAX];
	struct fo_route_result res;
	unsigned i, h = 0;
	double t0 = now_ns();

	for (i = 0; i < iters; i++) {
		const char *p = paths[i % n_paths];

		h += fo_route_match(c->t, c->s, "vip", 3, p, strlen(p), out, sizeof(out), &res) ==
		     0;
	}
	*hits = h;
	return (now_ns() - t0) / iters;
}

static int
bench_seed(unsigned iters)
{
	static const char routes[] = "route regex \"/test01(/|$)(.*)\" { upstream django-service; "
				     "rewrite \"/$2\"; }\n"
				     "route regex \"/test02(/|$)(.*)\" { upstream flask-service; "
				     "rewrite \"/$2\"; }\n";
	static const char *const typical[] = {"/test01", "/test01/", "/test01/admin/login/",
		"/test02/", "/test02/static/css/site.css", "/test01/api/v1/users/42",
		"/favicon.ico", "/test03/x"};
	char *paths[8];
	struct bench_case c;
	unsigned i, hits;
	double ns;

	if (setup(&c, routes) != 0)
		return -1;
	for (i = 0; i < 8; i++)
		paths[i] = (char *)typical[i];
	run(&c, paths, 8, iters / 10, &hits); /* warm-up */
	ns = run(&c, paths, 8, iters, &hits);
	printf("seed     rules=2     compile %8.2f ms  match %7.1f ns  (%u%% matched)\n",
		c.compile_ms, ns, (unsigned)(100.0 * hits / iters));
	for (i = 0; i < 8; i++) {
		paths[0] = (char *)typical[i];
		ns = run(&c, paths, 1, iters / 8, &hits);
		printf("           %-30s %7.1f ns  %s\n", typical[i], ns, hits ? "match" : "404");
	}
	teardown(&c);
	return 0;
}

/* A generated table: routes built in memory (no parser), strings owned here. */
struct mixed {
	struct fo_conf conf;
	struct fo_conf_upstream up[2];
	struct fo_conf_route *routes;
	char (*sample)[128]; /* per rule: a path it matches */
	char (*shost)[64];   /* per rule: a Host it matches ("vip": any) */
};

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL) {
		fprintf(stderr, "bench_route: out of memory\n");
		exit(1);
	}
	return d;
}

/* Rule @p i of @p n, written into @p m (path, host, rewrite) with its sample request. */
static void
gen_rule(struct mixed *m, unsigned i, unsigned n)
{
	struct fo_conf_route *r = &m->routes[i];
	unsigned hk = i % 10, ty = rnd(100), hosts = n / 50 ? n / 50 : 1,
		 wild = n / 200 ? n / 200 : 1;
	char p[96], h[64];
	const char *w1 = W(), *w2 = W();

	memset(r, 0, sizeof(*r));
	r->upstream = i & 1;
	r->loc = (struct fo_conf_loc){"bench.conf", i + 1, 1};
	if (hk < 6) {
		snprintf(h, sizeof(h), "h%u.example.com", rnd(hosts));
		r->host = xstrdup(h);
		snprintf(m->shost[i], sizeof(m->shost[i]), "%s", h);
	} else if (hk == 6) {
		unsigned k = rnd(wild);

		snprintf(h, sizeof(h), "*.w%u.example.org", k);
		r->host = xstrdup(h);
		snprintf(m->shost[i], sizeof(m->shost[i]), "x%u.w%u.example.org", rnd(50), k);
	} else {
		snprintf(m->shost[i], sizeof(m->shost[i]), "vip");
	}
	if (ty < 25) {
		r->type = FO_CONF_PATH_EXACT;
		snprintf(p, sizeof(p), "/s%u/%s/%s", i, w1, w2);
		snprintf(m->sample[i], sizeof(m->sample[i]), "%s", p);
	} else if (ty < 70) {
		r->type = FO_CONF_PATH_PREFIX;
		snprintf(p, sizeof(p), ty & 1 ? "/s%u/%s" : "/s%u", i, w1);
		snprintf(m->sample[i], sizeof(m->sample[i]), "%.96s/%s/%u", p, w2, rnd(100000));
	} else if (ty < 99) {
		r->type = FO_CONF_PATH_REGEX;
		switch (ty % 3) {
		case 0:
			snprintf(p, sizeof(p), "/s%u(/|$)(.*)", i);
			r->rewrite = xstrdup("/$2");
			snprintf(m->sample[i], sizeof(m->sample[i]), "/s%u/%s/%s", i, w1, w2);
			break;
		case 1:
			snprintf(p, sizeof(p), "/s%u/(v[0-9]+)/([a-z]+)/[0-9]+$", i);
			r->rewrite = xstrdup("/$2/$1");
			snprintf(m->sample[i], sizeof(m->sample[i]), "/s%u/v%u/%s/%u", i, rnd(9),
				w1, rnd(1000000));
			break;
		default:
			snprintf(p, sizeof(p), "/s%u/.*\\.(css|js|png)", i);
			snprintf(m->sample[i], sizeof(m->sample[i]), "/s%u/%s/%s/site.css", i, w1,
				w2);
			break;
		}
	} else {
		/* no literal front: the Hyperscan regex database */
		r->type = FO_CONF_PATH_REGEX;
		snprintf(p, sizeof(p), "/[a-z]+/r%u/([0-9]+)$", i);
		r->rewrite = xstrdup("/n/$1");
		snprintf(m->sample[i], sizeof(m->sample[i]), "/%s/r%u/%u", w1, i, rnd(100000));
	}
	r->path = xstrdup(p);
}

static void
mixed_free(struct mixed *m)
{
	unsigned i;

	for (i = 0; i < m->conf.n_routes; i++) {
		free(m->routes[i].path);
		free(m->routes[i].host);
		free(m->routes[i].rewrite);
	}
	free(m->routes);
	free(m->sample);
	free(m->shost);
}

static void
mixed_init(struct mixed *m, unsigned n)
{
	unsigned i;

	memset(m, 0, sizeof(*m));
	snprintf(m->up[0].name, sizeof(m->up[0].name), "django-service");
	snprintf(m->up[1].name, sizeof(m->up[1].name), "flask-service");
	m->routes = calloc(n, sizeof(*m->routes));
	m->sample = calloc(n, sizeof(*m->sample));
	m->shost = calloc(n, sizeof(*m->shost));
	if (m->routes == NULL || m->sample == NULL || m->shost == NULL) {
		fprintf(stderr, "bench_route: out of memory\n");
		exit(1);
	}
	for (i = 0; i < n; i++)
		gen_rule(m, i, n);
	m->conf.upstreams = m->up;
	m->conf.n_upstreams = 2;
	m->conf.routes = m->routes;
	m->conf.n_routes = n;
}

/* The baseline: every rule as a PCRE2-JIT code, tried in priority order. */
struct linear {
	const struct fo_route_table *t;
	pcre2_code **re; /* per rank */
	pcre2_match_data *md;
};

static int
linear_init(struct linear *l, const struct fo_route_table *t)
{
	unsigned i;
	char pat[512];
	PCRE2_SIZE off;
	int code;

	l->t = t;
	l->re = calloc(t->n_rules + 1, sizeof(*l->re));
	l->md = pcre2_match_data_create(16, NULL);
	if (l->re == NULL || l->md == NULL)
		return -1;
	for (i = 0; i < t->n_rules; i++) {
		const struct route_rule *r = &t->rules[i];
		uint32_t opt = PCRE2_ANCHORED;

		if (r->type == FO_CONF_PATH_EXACT)
			snprintf(pat, sizeof(pat), "\\Q%.*s\\E\\z", (int)r->lit_len, r->lit);
		else if (r->type == FO_CONF_PATH_PREFIX)
			snprintf(pat, sizeof(pat), "\\Q%.*s\\E(?:/|\\z)", (int)r->lit_len, r->lit);
		else {
			snprintf(pat, sizeof(pat), "%s", r->conf->path);
			opt |= PCRE2_CASELESS;
		}
		l->re[i] = pcre2_compile(
			(PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opt, &code, &off, NULL);
		if (l->re[i] == NULL)
			return -1;
		pcre2_jit_compile(l->re[i], PCRE2_JIT_COMPLETE);
	}
	return 0;
}

static void
linear_fini(struct linear *l)
{
	unsigned i;

	for (i = 0; l->re != NULL && i < l->t->n_rules; i++)
		pcre2_code_free(l->re[i]);
	free(l->re);
	pcre2_match_data_free(l->md);
}

/* The config index of the first rule (priority order) matching, or -1. */
static int
linear_match(const struct linear *l, const char *host, const char *path, size_t len)
{
	size_t hl = strlen(host), i;
	const char *dot = strchr(host, '.');

	for (i = 0; i < l->t->n_rules; i++) {
		const struct route_rule *r = &l->t->rules[i];

		if (r->hclass == ROUTE_HOST_EXACT &&
			(hl != r->host_len || memcmp(host, r->host, hl) != 0))
			continue;
		if (r->hclass == ROUTE_HOST_WILD &&
			(dot == NULL || strlen(dot + 1) != r->host_len ||
				memcmp(dot + 1, r->host, r->host_len) != 0))
			continue;
		if (pcre2_jit_match(l->re[i], (PCRE2_SPTR)path, len, 0, 0, l->md, NULL) > 0)
			return (int)r->index;
	}
	return -1;
}

struct req {
	const char *host;
	char path[128];
};

/* Median and p99 (ns) of @p d[0..n). */
static void
stats(double *d, unsigned n, double *med, double *p99)
{
	qsort(d, n, sizeof(*d), cmp_double);
	*med = d[n / 2];
	*p99 = d[(unsigned)((double)n * 0.99)];
}

static const char *const kind_name[4] = {"exact", "prefix", "regex", "LIT(/|$)(.*)"};

/* The winner's kind for the per-kind medians: kind_name[] index. */
static unsigned
winner_kind(const struct fo_conf_route *r)
{
	if (r->type != FO_CONF_PATH_REGEX)
		return r->type == FO_CONF_PATH_EXACT ? 0 : 1;
	return strstr(r->path, "(/|$)") != NULL ? 3 : 2;
}

/* One-rule-change recompile through the cache: rule @p k gets path @p p. */
static double
recompile_ms(struct mixed *m, struct fo_route_cache *cache, unsigned k, const char *p,
	const struct fo_route_stats **st, struct fo_route_table **keep)
{
	char *old = m->routes[k].path, err[256];
	struct fo_route_table *t;
	double t0;

	m->routes[k].path = (char *)p;
	t0 = now_ns();
	t = fo_route_compile_cached(&m->conf, cache, err, sizeof(err));
	t0 = (now_ns() - t0) / 1e6;
	m->routes[k].path = old;
	if (t == NULL) {
		fprintf(stderr, "bench_route: %s\n", err);
		exit(1);
	}
	*st = fo_route_stats(t);
	fo_route_table_free(*keep);
	*keep = t;
	return t0;
}

static int
bench_mixed(unsigned n, unsigned lookups)
{
	static char out[FO_ROUTE_REWRITE_MAX];
	enum { N_REQ = 4096 };
	struct mixed m;
	struct fo_route_cache *cache = fo_route_cache_create();
	struct fo_route_table *t, *t2 = NULL;
	struct fo_route_scratch *s;
	struct fo_route_result res;
	const struct fo_route_stats *st, *st2;
	struct req *rq = calloc(N_REQ, sizeof(*rq));
	double *dh = calloc(lookups, sizeof(*dh)), *dm = calloc(lookups, sizeof(*dm));
	double *dk[4] = {calloc(lookups, sizeof(double)), calloc(lookups, sizeof(double)),
		calloc(lookups, sizeof(double)), calloc(lookups, sizeof(double))};
	unsigned nk[4] = {0};
	double compile_s, t0, hmed, hp99, mmed, mp99, lhmed, lhp99, lmmed, lmp99, ch_pre, ch_re;
	unsigned i, nh = 0, nm = 0, lin_n, lnh = 0, lnm = 0, mismatch = 0, k_pre, k_re;
	char err[256], p_pre[64], p_re[64];
	struct linear lin = {0};

	if (cache == NULL || rq == NULL || dh == NULL || dm == NULL || dk[0] == NULL ||
		dk[1] == NULL || dk[2] == NULL || dk[3] == NULL)
		return -1;
	mixed_init(&m, n);
	t0 = now_ns();
	t = fo_route_compile_cached(&m.conf, cache, err, sizeof(err));
	compile_s = (now_ns() - t0) / 1e9;
	if (t == NULL) {
		fprintf(stderr, "bench_route: %s\n", err);
		return -1;
	}
	st = fo_route_stats(t);
	s = fo_route_scratch_alloc(t);
	if (s == NULL)
		return -1;
	/* requests: half a rule's sample, half a miss (unknown service, known or unknown host) */
	for (i = 0; i < N_REQ; i++) {
		unsigned j = rnd(n);

		if (i & 1) {
			rq[i].host = m.shost[j];
			snprintf(rq[i].path, sizeof(rq[i].path), "%s", m.sample[j]);
		} else {
			rq[i].host = rnd(2) ? m.shost[j] : "other.example.net";
			snprintf(rq[i].path, sizeof(rq[i].path), "/s%u/%s/%s/%u", n + rnd(1000000),
				W(), W(), rnd(1000));
		}
	}
	for (i = 0; i < N_REQ; i++) /* warm-up */
		fo_route_match(t, s, rq[i].host, strlen(rq[i].host), rq[i].path, strlen(rq[i].path),
			out, sizeof(out), &res);
	for (i = 0; i < lookups; i++) {
		const struct req *q = &rq[rnd(N_REQ)];
		unsigned aux;
		uint64_t a = __rdtscp(&aux);
		int rc = fo_route_match(t, s, q->host, strlen(q->host), q->path, strlen(q->path),
			out, sizeof(out), &res);
		double d = ((double)(__rdtscp(&aux) - a) - tsc_overhead) * tsc_ns;

		if (rc == 0) {
			unsigned k = winner_kind(&m.routes[res.route]);

			dk[k][nk[k]++] = d;
			dh[nh++] = d;
		} else {
			dm[nm++] = d;
		}
	}
	for (i = 0; i < 4; i++) {
		double kmed = 0, kp99 = 0;

		if (nk[i] != 0)
			stats(dk[i], nk[i], &kmed, &kp99);
		printf("%s%s %.0f / %.0f (%u)%s", i == 0 ? "# hits by winner, ns median / p99: " : "",
			kind_name[i], kmed, kp99, nk[i], i == 3 ? "\n" : ", ");
	}
	stats(dh, nh, &hmed, &hp99);
	stats(dm, nm, &mmed, &mp99);
	/* one rule changed: a prefix rule's path, then a front-less regex's */
	for (k_pre = n / 2; k_pre < n && m.routes[k_pre].type != FO_CONF_PATH_PREFIX; k_pre++)
		;
	for (k_re = n / 3; k_re < n && (m.routes[k_re].type != FO_CONF_PATH_REGEX ||
					       m.routes[k_re].path[1] != '[');
		k_re++)
		;
	snprintf(p_pre, sizeof(p_pre), "/changed/s%u", k_pre);
	snprintf(p_re, sizeof(p_re), "/[a-z]+/changed%u/([0-9]+)$", k_re);
	ch_pre = k_pre < n ? recompile_ms(&m, cache, k_pre, p_pre, &st2, &t2) : -1;
	printf("# %u rules: prefix change: %u PCRE2 and %u of %u shards compiled\n", n,
		k_pre < n ? st2->re_built : 0, k_pre < n ? st2->shards_built : 0,
		k_pre < n ? st2->shards : 0);
	ch_re = k_re < n ? recompile_ms(&m, cache, k_re, p_re, &st2, &t2) : -1;
	if (k_re < n)
		printf("# %u rules: regex change: %u PCRE2 and %u of %u shards compiled\n", n,
			st2->re_built, st2->shards_built, st2->shards);
	/* the baseline, on fewer lookups when each takes long */
	if (linear_init(&lin, t) != 0) {
		fprintf(stderr, "bench_route: baseline does not compile\n");
		return -1;
	}
	lin_n = n >= 100000 ? 400 : n >= 10000 ? 4000 : lookups;
	if (lin_n > lookups)
		lin_n = lookups;
	for (i = 0; i < lin_n; i++) {
		const struct req *q = &rq[rnd(N_REQ)];
		size_t pl = strlen(q->path);
		unsigned aux;
		uint64_t a = __rdtscp(&aux);
		int w = linear_match(&lin, q->host, q->path, pl);
		double d = ((double)(__rdtscp(&aux) - a) - tsc_overhead) * tsc_ns;
		int rc = fo_route_match(
			t, s, q->host, strlen(q->host), q->path, pl, out, sizeof(out), &res);

		mismatch += (rc == 0 ? (int)res.route : -1) != w;
		if (w >= 0)
			dh[lnh++] = d;
		else
			dm[lnm++] = d;
	}
	stats(dh, lnh ? lnh : 1, &lhmed, &lhp99);
	stats(dm, lnm ? lnm : 1, &lmmed, &lmp99);
	printf("| %6u | %5.0f / %5.0f | %5.0f / %5.0f | %7.3f | %7.1f / %6.1f | %6.1f / %5.1f | "
	       "%9.0f / %9.0f | %u |\n",
		n, hmed, hp99, mmed, mp99, compile_s, (double)(st->db_bytes) / 1024,
		(double)st->table_bytes / 1024, ch_pre, ch_re, lhmed, lmmed, mismatch);
	printf("# %u rules: keyed %u, regex in Hyperscan %u (%u shards), PCRE2 only %u; %u hit "
	       "and %u miss lookups (baseline %u)\n",
		n, st->keyed, st->regex_hs, st->shards, st->regex_pcre, nh, nm, lin_n);
	fflush(stdout);
	linear_fini(&lin);
	fo_route_table_free(t2);
	fo_route_scratch_free(s);
	fo_route_table_free(t);
	fo_route_cache_free(cache);
	mixed_free(&m);
	free(rq);
	free(dh);
	free(dm);
	for (i = 0; i < 4; i++)
		free(dk[i]);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned lookups = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 200000;
	unsigned max = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 100000;
	unsigned min = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 0;
	static const unsigned sizes[] = {10, 1000, 10000, 100000};
	unsigned i;

	if (lookups < 1000)
		lookups = 1000;
	tsc_calibrate();
	if (min == 0 && bench_seed(lookups * 5) != 0)
		return 1;
	printf("\nmixed rules: lookup ns median / p99 (hits, misses), compile s (empty cache),\n"
	       "Hyperscan database / key table and rules KiB, one-rule-change recompile ms\n"
	       "(prefix / front-less regex), linear PCRE2-JIT first-match median ns (hits / "
	       "misses), winner mismatches engine vs linear\n\n"
	       "| rules  | hit ns med/p99 | miss ns med/p99 | compile s | db / table KiB   | "
	       "1-change ms   | linear PCRE2 ns hit/miss | mismatch |\n"
	       "|--------|----------------|-----------------|-----------|------------------|----"
	       "-----------|--------------------------|----------|\n");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && sizes[i] <= max; i++)
		if (sizes[i] >= min && bench_mixed(sizes[i], lookups) != 0)
			return 1;
	return 0;
}
