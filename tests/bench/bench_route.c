/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Route matching benchmark (not a test): compile time and nanoseconds per
 * fo_route_match() for the seed's two rules with typical paths, and for
 * generated tables of 10, 100 and 1000 rules (1/3 prefixes, 2/3 regexes
 * in the shapes ingress-nginx users write) against 20-80-byte paths, about
 * half of which match. Loops are bounded; prints one line per case.
 * Usage: bench_route [iterations-per-case]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* A path of 20..80 bytes under service @p svc. */
static void
gen_path(char *buf, size_t cap, unsigned svc)
{
	size_t want = 20 + rnd(61), o;

	o = (size_t)snprintf(buf, cap, "/svc%u", svc);
	while (o < want && o + 16 < cap)
		o += (size_t)snprintf(buf + o, cap - o, "/%s", words[rnd(N_WORDS)]);
	if (rnd(4) == 0 && o + 8 < cap)
		o += (size_t)snprintf(buf + o, cap - o, "/%u", rnd(100000));
	buf[o < want ? o : want] = '\0';
}

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

static void
print_modes(const struct bench_case *c, char *buf, size_t cap)
{
	unsigned m[3] = {0, 0, 0}, i;

	for (i = 0; i < c->t->n_rules; i++)
		m[c->t->rules[i].hs_mode]++;
	snprintf(buf, cap, "hyperscan exact %u, superset %u, pcre2 only %u", m[0], m[1], m[2]);
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
	char *paths[8], modes[96];
	struct bench_case c;
	unsigned i, hits;
	double ns;

	if (setup(&c, routes) != 0)
		return -1;
	for (i = 0; i < 8; i++)
		paths[i] = (char *)typical[i];
	run(&c, paths, 8, iters / 10, &hits); /* warm-up */
	ns = run(&c, paths, 8, iters, &hits);
	print_modes(&c, modes, sizeof(modes));
	printf("seed     rules=2     compile %8.2f ms  match %7.1f ns  (%u%% matched; %s)\n",
		c.compile_ms, ns, (unsigned)(100.0 * hits / iters), modes);
	for (i = 0; i < 8; i++) {
		paths[0] = (char *)typical[i];
		ns = run(&c, paths, 1, iters / 8, &hits);
		printf("           %-30s %7.1f ns  %s\n", typical[i], ns, hits ? "match" : "404");
	}
	teardown(&c);
	return 0;
}

static int
bench_rules(unsigned n_rules, unsigned iters)
{
	enum { N_PATHS = 4096 };
	size_t cap = 256 * (size_t)n_rules + 1, o = 0;
	char *routes = malloc(cap), **paths = calloc(N_PATHS, sizeof(*paths)), modes[96];
	char(*sample)[160] = calloc(n_rules, sizeof(*sample));
	struct bench_case c;
	unsigned i, hits;
	double ns;
	int rc = -1;

	if (routes == NULL || paths == NULL || sample == NULL)
		goto out;
	routes[0] = '\0';
	for (i = 0; i < n_rules; i++) {
		const char *up = i & 1 ? "flask-service" : "django-service";
		char p[96];

		gen_path(p, sizeof(p), i);
		p[20 + rnd(20)] = '\0';
		/* sample[i]: a path rule i matches, the start of the matching requests */
		switch (i % 6) {
		case 0:
		case 3:
			o += (size_t)snprintf(routes + o, cap - o,
				"route prefix \"%s\" { upstream %s; }\n", p, up);
			snprintf(sample[i], sizeof(sample[i]), "%.60s/%s", p, words[rnd(N_WORDS)]);
			break;
		case 1:
			o += (size_t)snprintf(routes + o, cap - o,
				"route regex \"/svc%u(/|$)(.*)\" { upstream %s; rewrite \"/$2\"; "
				"}\n",
				i, up);
			snprintf(sample[i], sizeof(sample[i]), "/svc%u/%s/%s", i,
				words[rnd(N_WORDS)], words[rnd(N_WORDS)]);
			break;
		case 2:
			o += (size_t)snprintf(routes + o, cap - o,
				"route regex \"/svc%u/(v[0-9]+)/([a-z]+)/[0-9]+$\" { upstream %s; "
				"rewrite \"/$2/$1\"; }\n",
				i, up);
			snprintf(sample[i], sizeof(sample[i]), "/svc%u/v%u/%s/%u", i, rnd(9),
				words[rnd(N_WORDS)], rnd(1000000));
			break;
		case 4:
			o += (size_t)snprintf(routes + o, cap - o,
				"route regex \"/svc%u/.*\\.(css|js|png)\" { upstream %s; }\n", i,
				up);
			snprintf(sample[i], sizeof(sample[i]), "/svc%u/%s/%s/site.css", i,
				words[rnd(N_WORDS)], words[rnd(N_WORDS)]);
			break;
		default:
			o += (size_t)snprintf(routes + o, cap - o,
				"route regex \"%s[^/]*/(.*)\" { upstream %s; rewrite \"/x/$1\"; "
				"}\n",
				p, up);
			snprintf(sample[i], sizeof(sample[i]), "%.60sq/%s/%s", p,
				words[rnd(N_WORDS)], words[rnd(N_WORDS)]);
			break;
		}
	}
	if (setup(&c, routes) != 0)
		goto out;
	for (i = 0; i < N_PATHS; i++) {
		paths[i] = malloc(96);
		if (paths[i] == NULL)
			goto out_case;
		/* half a rule's sample path, half under a service that has no rule */
		if (rnd(2))
			snprintf(paths[i], 96, "%.80s", sample[rnd(n_rules)]);
		else
			gen_path(paths[i], 96, n_rules + rnd(1000));
	}
	run(&c, paths, N_PATHS, iters / 10, &hits);
	ns = run(&c, paths, N_PATHS, iters, &hits);
	print_modes(&c, modes, sizeof(modes));
	printf("mixed    rules=%-5u compile %8.2f ms  match %7.1f ns  (%u%% matched; %s)\n",
		n_rules, c.compile_ms, ns, (unsigned)(100.0 * hits / iters), modes);
	rc = 0;
out_case:
	teardown(&c);
out:
	for (i = 0; paths != NULL && i < N_PATHS; i++)
		free(paths[i]);
	free(paths);
	free(sample);
	free(routes);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned iters = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 1000000;
	static const unsigned sizes[] = {10, 100, 1000};
	unsigned i;

	if (iters < 1000)
		iters = 1000;
	if (bench_seed(iters) != 0)
		return 1;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (bench_rules(sizes[i], iters) != 0)
			return 1;
	return 0;
}
