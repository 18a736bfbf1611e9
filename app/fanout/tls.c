/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS listeners (`listen ... tls;`): certificates in generations.
 *
 * A generation (app_tls.h) is what the certificates of `tls_certificate`
 * become once loaded and validated (lib/tls: "file: message" on any error):
 * the SNI table (names from the certificates' SANs; the self-signed
 * default, generated once at start as ingress-nginx's, serves unknown
 * names unless strict_sni) and, for each worker, one context per
 * certificate in that worker's own library context, and the view its
 * proxy reads (struct fo_proxy_tls).
 *
 * Live reload, on the control thread, off the fast path: a reload whose TLS
 * directives changed, or whose certificate or ticket key files changed on
 * disk (tls_live.c watches them), builds a whole new generation first;
 * a bad certificate refuses the reload and the served generation stays.
 * A good one is published: each worker's view is swapped (release store,
 * fo_proxy_worker_tls_set()), new sessions take the new view, sessions
 * already open keep theirs (ptls.refs); the old generation is freed on
 * this thread once every worker has been quiescent since the swap (QSBR)
 * and its last session has ended.
 *
 * The first TLS listener may come by reload (listeners change live): a
 * fanout started without one has no TLS state (no library contexts, no
 * self-signed default: nothing to pay for when it never serves TLS); the
 * reload that adds one builds all of it here, on the control thread, with
 * the first generation (tls_prepare()), and publishes each worker's view
 * before the snapshot whose listener needs it (the proxies' per-session
 * TLS state exists from their creation). Removing the last TLS listener
 * keeps the state: certificates go on reloading, ready for the next one.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "app_tls.h"

/** Names a certificate may serve (more are ignored, logged). */
#define TLS_NAMES_MAX 64
/** Generations and key sets waiting for their grace period, before the list grows. */
#define TLS_RETIRE_CAP 16

static void tls_state_free(struct app_tls *t);

static int
has_tls_listener(const struct fo_conf *conf)
{
	unsigned i;

	for (i = 0; i < conf->n_listens; i++)
		if (conf->listens[i].tls)
			return 1;
	return 0;
}

/* the SNI table: every SAN name of every certificate, the default last */
static int
build_sni(struct tls_gen *g, const struct fo_conf *conf, char *err, size_t errlen)
{
	const char **names = NULL;
	uint32_t *idx = NULL;
	unsigned n = 0, i, k, cnt;
	int rc = -ENOMEM;

	names = calloc((size_t)g->n_certs * TLS_NAMES_MAX + 1, sizeof(*names));
	idx = calloc((size_t)g->n_certs * TLS_NAMES_MAX + 1, sizeof(*idx));
	if (names == NULL || idx == NULL)
		goto out;
	for (i = 0; i < g->n_certs; i++) {
		cnt = fo_tls_cert_names(g->certs[i], names + n, TLS_NAMES_MAX);
		if (cnt > TLS_NAMES_MAX) {
			FO_LOG(WARNING, "%s: %u names, only the first %u are served\n",
				conf->tls.certs[i].chain, cnt, TLS_NAMES_MAX);
			cnt = TLS_NAMES_MAX;
		}
		for (k = 0; k < cnt; k++)
			idx[n + k] = i;
		n += cnt;
	}
	rc = fo_tls_sni_build(
		&g->sni, names, idx, n, g->n_certs, conf->tls.strict_sni, err, errlen);
out:
	free(names);
	free(idx);
	return rc;
}

uint64_t
tls_gen_default_count(const struct tls_gen *g)
{
	uint64_t n = 0;
	unsigned i;

	/* written by the workers (their own maps); an aligned 64-bit load is whole */
	for (i = 0; i < g->t->n_workers; i++)
		n += __atomic_load_n(&g->wk[i].map.served_default, __ATOMIC_RELAXED);
	return n;
}

const char *
tls_gen_file(const struct tls_gen *g, unsigned k)
{
	return k == g->n_certs ? "(default)" : g->files[k];
}

/* Handshakes of certificate @p k of @p g, all workers (each writes its own contexts'). */
static void
gen_hs(const struct tls_gen *g, unsigned k, struct fo_tls_hs_count *out)
{
	struct fo_tls_hs_count c;
	unsigned i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < g->t->n_workers; i++) {
		if (g->wk[i].ctxs == NULL || g->wk[i].ctxs[k] == NULL)
			continue;
		fo_tls_ctx_hs_count(g->wk[i].ctxs[k], &c);
		out->full += c.full;
		out->resumed += c.resumed;
		out->failed += c.failed;
	}
}

static struct tls_file_hs *
hs_file(const struct app_tls *t, const char *file)
{
	for (unsigned i = 0; i < t->n_hs_files; i++)
		if (strcmp(t->hs_files[i].file, file) == 0)
			return &t->hs_files[i];
	return NULL;
}

/* Add @p c to @p file's handshakes of replaced generations. */
static void
hs_file_add(struct app_tls *t, const char *file, const struct fo_tls_hs_count *c)
{
	struct tls_file_hs *f = hs_file(t, file), *more;

	if (f == NULL) {
		more = realloc(t->hs_files, (t->n_hs_files + 1) * sizeof(*more));
		if (more == NULL)
			return; /* (the file's count restarts: memory) */
		t->hs_files = more;
		f = &t->hs_files[t->n_hs_files];
		memset(f, 0, sizeof(*f));
		f->file = strdup(file);
		if (f->file == NULL)
			return;
		t->n_hs_files++;
	}
	f->n.full += c->full;
	f->n.resumed += c->resumed;
	f->n.failed += c->failed;
}

void
tls_cert_hs(const struct tls_gen *g, unsigned k, struct fo_tls_hs_count *out)
{
	const struct tls_file_hs *f = hs_file(g->t, tls_gen_file(g, k));

	gen_hs(g, k, out);
	if (f != NULL) {
		out->full += f->n.full;
		out->resumed += f->n.resumed;
		out->failed += f->n.failed;
	}
}

/* @p g is replaced: what it counted so far goes to its files' totals (the rest when freed). */
static void
gen_replaced(struct tls_gen *g)
{
	g->hs_counted = calloc(g->n_certs + 1, sizeof(*g->hs_counted));
	if (g->hs_counted == NULL)
		return;
	for (unsigned k = 0; k <= g->n_certs; k++) {
		gen_hs(g, k, &g->hs_counted[k]);
		hs_file_add(g->t, tls_gen_file(g, k), &g->hs_counted[k]);
	}
}

void
tls_gen_free(void *obj)
{
	struct tls_gen *g = obj;
	unsigned i, k;

	if (g == NULL)
		return;
	/* handshakes that began before its replacement and chose the default since */
	g->t->default_total += tls_gen_default_count(g) - g->default_counted;
	/* and those that ended since, per certificate */
	for (k = 0; g->hs_counted != NULL && k <= g->n_certs; k++) {
		struct fo_tls_hs_count c;

		gen_hs(g, k, &c);
		c.full -= g->hs_counted[k].full;
		c.resumed -= g->hs_counted[k].resumed;
		c.failed -= g->hs_counted[k].failed;
		hs_file_add(g->t, tls_gen_file(g, k), &c);
	}
	free(g->hs_counted);
	for (i = 0; i < g->t->n_workers; i++) {
		for (k = 0; g->wk[i].ctxs != NULL && k <= g->n_certs; k++)
			fo_tls_ctx_free(g->wk[i].ctxs[k]);
		free(g->wk[i].ctxs);
	}
	/* [n_certs], the default, is the app's */
	for (k = 0; g->certs != NULL && k < g->n_certs; k++)
		fo_tls_cert_free(g->certs[k]);
	for (k = 0; g->files != NULL && k < g->n_certs; k++)
		free(g->files[k]);
	free(g->certs);
	free(g->files);
	fo_tls_sni_release(&g->sni);
	free(g);
}

/* A replaced generation is busy while a session on any worker holds its view. */
static int
gen_busy(const void *obj)
{
	const struct tls_gen *g = obj;
	unsigned i;

	for (i = 0; i < g->t->n_workers; i++)
		/* acquire: pairs with the worker's release store when a session ends */
		if (__atomic_load_n(&g->wk[i].ptls.refs, __ATOMIC_ACQUIRE) != 0)
			return 1;
	return 0;
}

/* Every worker's contexts and view. */
static int
gen_build_workers(struct tls_gen *g, const struct fo_conf *conf, char *err, size_t errlen)
{
	struct app_tls *t = g->t;
	struct fo_tls_ctx_config cfg = {.ticket_period = conf->tls.ticket_rotate_s};
	unsigned i, k;
	int rc;

	for (i = 0; i < t->n_workers; i++) {
		struct tls_gen_worker *w = &g->wk[i];

		w->ctxs = calloc(g->n_certs + 1, sizeof(*w->ctxs));
		if (w->ctxs == NULL)
			return -ENOMEM;
		for (k = 0; k <= g->n_certs; k++) {
			w->ctxs[k] = fo_tls_ctx_create(
				t->w[i], &g->certs[k], 1, &cfg, &t->keys, err, errlen);
			if (w->ctxs[k] == NULL)
				return -EINVAL;
		}
		w->map.sni = &g->sni;
		w->map.ctxs = w->ctxs;
		w->map.n_ctxs = g->n_certs + 1;
		/* the default's context is the entry: the ClientHello callback switches */
		rc = fo_tls_ctx_set_sni(w->ctxs[g->n_certs], &w->map);
		if (rc != 0)
			return rc;
		w->ptls.entry = w->ctxs[g->n_certs];
		w->ptls.sni = &g->sni;
		w->ptls.hsts = g->hsts[0] != 0 ? g->hsts : NULL;
		w->ptls.ssl_redirect = !conf->tls.ssl_redirect_off;
	}
	return 0;
}

struct tls_gen *
tls_gen_build(struct app_tls *t, const struct fo_conf *conf, char *err, size_t errlen)
{
	struct tls_gen *g = calloc(1, sizeof(*g) + t->n_workers * sizeof(g->wk[0]));
	time_t now = time(NULL);
	unsigned i;
	int rc;

	if (g == NULL)
		goto nomem;
	g->t = t;
	g->n_certs = conf->tls.n_certs;
	g->strict = conf->tls.strict_sni;
	g->loaded = now;
	g->certs = calloc(g->n_certs + 1, sizeof(*g->certs));
	g->files = calloc(g->n_certs + 1, sizeof(*g->files));
	if (g->certs == NULL || g->files == NULL)
		goto nomem;
	for (i = 0; i < g->n_certs; i++) {
		g->files[i] = strdup(conf->tls.certs[i].chain);
		if (g->files[i] == NULL)
			goto nomem;
		g->certs[i] = fo_tls_cert_load(
			conf->tls.certs[i].chain, conf->tls.certs[i].key, now, err, errlen);
		if (g->certs[i] == NULL)
			goto fail;
	}
	g->certs[g->n_certs] = t->dflt;
	rc = build_sni(g, conf, err, errlen);
	if (rc == -ENOMEM)
		goto nomem;
	if (rc != 0)
		goto fail;
	if (!conf->tls.hsts_off)
		snprintf(g->hsts, sizeof(g->hsts), "%s",
			conf->tls.hsts[0] != 0 ? conf->tls.hsts : FO_CONF_HSTS_DEFAULT);
	rc = gen_build_workers(g, conf, err, errlen);
	if (rc == -ENOMEM)
		goto nomem;
	if (rc != 0)
		goto fail;
	g->id = ++t->next_id;
	return g;
nomem:
	snprintf(err, errlen, "tls: out of memory");
fail:
	tls_gen_free(g);
	return NULL;
}

int
tls_check(const struct fo_conf *conf)
{
	time_t now = time(NULL);
	char err[512];
	unsigned i, bad = 0;

	for (i = 0; i < conf->tls.n_certs; i++) {
		struct fo_tls_cert *c = fo_tls_cert_load(
			conf->tls.certs[i].chain, conf->tls.certs[i].key, now, err, sizeof(err));

		if (c == NULL) {
			fprintf(stderr, "%s\n", err);
			bad++;
		}
		fo_tls_cert_free(c);
	}
	if (conf->tls.ticket_key_file != NULL) {
		struct fo_tls_keyset *ks =
			fo_tls_keyset_load(conf->tls.ticket_key_file, err, sizeof(err));

		if (ks == NULL) {
			fprintf(stderr, "%s\n", err);
			bad++;
		}
		fo_tls_keyset_free(ks);
	}
	return bad != 0 ? -EINVAL : 0;
}

/* Everything but the generation: library contexts, the default certificate, ticket keys. */
static struct app_tls *
tls_state_new(struct app *app, const struct fo_conf *conf, char *err, size_t errlen)
{
	struct app_tls *t = calloc(1, sizeof(*t));
	struct fo_tls_keyset *ks;
	unsigned i;

	if (t == NULL)
		goto nomem;
	t->app = app;
	t->n_workers = app->n_workers;
	if (fo_ctl_retire_init(&t->retire, app->qsbr, TLS_RETIRE_CAP,
		    rte_lcore_count() == 1 ? 0 : RTE_QSBR_THRID_INVALID) != 0)
		goto nomem;
	for (i = 0; i < t->n_workers; i++) {
		t->w[i] = fo_tls_worker_create();
		if (t->w[i] == NULL)
			goto nomem;
	}
	/* the default for unknown names, as ingress-nginx's "Kubernetes Ingress Controller
	 * Fake Certificate": generated at each start, the same for every generation */
	t->dflt = fo_tls_cert_selfsigned("fanout-default.invalid", time(NULL), 365, err, errlen);
	if (t->dflt == NULL)
		goto fail;
	t->served_hash = t->attempted_hash = t->pending_hash = tls_files_hash(conf);
	ks = tls_keys_for(conf, err, errlen);
	if (ks == NULL)
		goto fail;
	fo_tls_keys_publish(&t->keys, ks);
	t->key_file = conf->tls.ticket_key_file != NULL;
	t->period_s = conf->tls.ticket_rotate_s != 0 ? conf->tls.ticket_rotate_s
						     : FO_CONF_TICKET_ROTATE_DEFAULT;
	t->next_rotate_ms = health_now_ms(app) + (uint64_t)t->period_s * 1000;
	return t;
nomem:
	snprintf(err, errlen, "tls: out of memory");
fail:
	tls_state_free(t);
	return NULL;
}

static void
tls_log_served(const struct app_tls *t, const struct fo_conf *conf)
{
	if (t->key_file)
		FO_LOG(INFO,
			"TLS: %u certificate(s) and a self-signed default, %u name(s)%s; "
			"ticket keys from %s\n",
			t->gen->n_certs, t->gen->sni.n, conf->tls.strict_sni ? ", strict_sni" : "",
			conf->tls.ticket_key_file);
	else
		FO_LOG(INFO,
			"TLS: %u certificate(s) and a self-signed default, %u name(s)%s; "
			"ticket keys rotated every %u s\n",
			t->gen->n_certs, t->gen->sni.n, conf->tls.strict_sni ? ", strict_sni" : "",
			t->period_s);
}

int
tls_init(struct app *app)
{
	const struct fo_conf *conf = app->conf;
	struct app_tls *t;
	char err[512];

	if (!has_tls_listener(conf))
		return 0; /* built by the reload that adds the first one, if any */
	t = tls_state_new(app, conf, err, sizeof(err));
	if (t == NULL) {
		FO_LOG(ERR, "%s\n", err);
		return -EINVAL;
	}
	app->tls = t;
	t->gen = tls_gen_build(t, conf, err, sizeof(err));
	if (t->gen == NULL) {
		FO_LOG(ERR, "%s\n", err);
		return -EINVAL;
	}
	tls_log_served(t, conf);
	return 0;
}

int
tls_attach(struct app *app, unsigned w, struct fo_proxy_worker *pw)
{
	if (app->tls == NULL)
		return 0;
	return fo_proxy_worker_tls(pw, &app->tls->gen->wk[w].ptls);
}

int
tls_prepare(struct app *app, const struct fo_conf *conf, int changed, struct tls_next *n,
	struct fo_ctl_out *o)
{
	struct app_tls *t = app->tls;
	char err[512];
	uint64_t t0;

	memset(n, 0, sizeof(*n));
	if (t == NULL) {
		if (!has_tls_listener(conf))
			return 0; /* no TLS listener yet: the directives wait for the first */
		/* the first one: the whole state, off the workers' path */
		t0 = rte_rdtsc();
		t = n->fresh = tls_state_new(app, conf, err, sizeof(err));
		if (t == NULL) {
			fo_ctl_printf(o, "%s\n", err);
			FO_LOG(ERR, "TLS for the first TLS listener: %s\n", err);
			return -EINVAL;
		}
		n->hash = t->served_hash;
		n->gen = tls_gen_build(t, conf, err, sizeof(err));
		if (n->gen == NULL) {
			fo_ctl_printf(o, "%s\n", err);
			FO_LOG(ERR, "TLS for the first TLS listener: %s\n", err);
			tls_discard(n);
			return -EINVAL;
		}
		n->build_ms = (double)(rte_rdtsc() - t0) * 1e3 / (double)app->hz;
		n->key_file = t->key_file;
		n->period_s = t->period_s;
		n->conf = conf;
		return 0;
	}
	n->hash = tls_files_hash(conf);
	if (!changed && n->hash == t->served_hash)
		return 0;
	t->attempted_hash = n->hash;
	/* new ticket keys only from a key file (read again), or when one is dropped:
	 * fanout's own keys survive certificate changes */
	if (conf->tls.ticket_key_file != NULL || t->key_file) {
		n->ks = tls_keys_for(conf, err, sizeof(err));
		if (n->ks == NULL)
			goto fail;
	}
	t0 = rte_rdtsc();
	n->gen = tls_gen_build(t, conf, err, sizeof(err));
	if (n->gen == NULL)
		goto fail;
	n->build_ms = (double)(rte_rdtsc() - t0) * 1e3 / (double)app->hz;
	n->key_file = conf->tls.ticket_key_file != NULL;
	n->period_s = conf->tls.ticket_rotate_s != 0 ? conf->tls.ticket_rotate_s
						     : FO_CONF_TICKET_ROTATE_DEFAULT;
	return 0;
fail:
	fo_tls_keyset_free(n->ks);
	n->ks = NULL;
	t->reloads_failed++;
	snprintf(t->last_err, sizeof(t->last_err), "%s", err);
	fo_ctl_printf(o, "%s\n", err);
	fo_ctl_printf(o, "TLS certificates of generation %" PRIu64 " stay\n", t->gen->id);
	FO_LOG(ERR, "TLS reload refused: %s\n", err);
	return -EINVAL;
}

static int
keys_same(const struct fo_tls_keyset *a, const struct fo_tls_keyset *b)
{
	return a != NULL && memcmp(&a->prev, &b->prev, sizeof(a->prev)) == 0 &&
	       memcmp(&a->cur, &b->cur, sizeof(a->cur)) == 0 &&
	       memcmp(&a->next, &b->next, sizeof(a->next)) == 0;
}

void
tls_commit(struct app *app, struct tls_next *n, struct fo_ctl_out *o)
{
	struct app_tls *t = app->tls;
	struct tls_gen *old;
	unsigned i;
	int rc;

	if (n->fresh != NULL) {
		/* the first TLS listener's state: every worker's first view, nothing to retire */
		t = app->tls = n->fresh;
		t->gen = n->gen;
		for (i = 0; i < t->n_workers; i++)
			fo_proxy_worker_tls_set(app->workers[i]->proxy, &t->gen->wk[i].ptls);
		t->reloads_ok++;
		tls_log_served(t, n->conf);
		FO_LOG(NOTICE, "TLS: state for the first TLS listener built in %.1f ms\n",
			n->build_ms);
		fo_ctl_printf(o,
			"TLS certificates: generation %" PRIu64 " (%u certificate(s), the first TLS "
			"listener's state built in %.1f ms)\n",
			t->gen->id, t->gen->n_certs, n->build_ms);
		memset(n, 0, sizeof(*n));
		return;
	}
	if (t == NULL || n->gen == NULL)
		return;
	if (n->ks != NULL && keys_same(t->keys.set, n->ks))
		fo_tls_keyset_free(n->ks); /* the key file is the same: tickets go on as they are */
	else if (n->ks != NULL)
		tls_keys_publish(t, n->ks);
	if (n->period_s != t->period_s || n->key_file != t->key_file)
		t->next_rotate_ms = health_now_ms(app) + (uint64_t)n->period_s * 1000;
	t->period_s = n->period_s;
	t->key_file = n->key_file;
	old = t->gen;
	/* the counter stays monotonic: what the old one counted so far, now; the rest when freed */
	old->default_counted = tls_gen_default_count(old);
	t->default_total += old->default_counted;
	gen_replaced(old);
	t->gen = n->gen;
	for (i = 0; i < t->n_workers; i++)
		fo_proxy_worker_tls_set(app->workers[i]->proxy, &n->gen->wk[i].ptls);
	/* after every store: the grace period covers them all */
	rc = fo_ctl_retire(&t->retire, old, tls_gen_free, gen_busy);
	if (rc != 0)
		FO_LOG(ERR, "TLS: retiring generation %" PRIu64 ": %s\n", old->id, strerror(-rc));
	t->served_hash = n->hash;
	t->reloads_ok++;
	FO_LOG(NOTICE,
		"TLS: certificates generation %" PRIu64 " published (%u certificate(s), "
		"%u name(s), %u context(s) built in %.1f ms)\n",
		t->gen->id, t->gen->n_certs, t->gen->sni.n, (t->gen->n_certs + 1) * t->n_workers,
		n->build_ms);
	fo_ctl_printf(o,
		"TLS certificates: generation %" PRIu64 " (%u certificate(s), built in "
		"%.1f ms)\n",
		t->gen->id, t->gen->n_certs, n->build_ms);
	memset(n, 0, sizeof(*n));
}

void
tls_discard(struct tls_next *n)
{
	tls_gen_free(n->gen); /* (before its state: it counts into it) */
	fo_tls_keyset_free(n->ks);
	tls_state_free(n->fresh);
	memset(n, 0, sizeof(*n));
}

static void
tls_state_free(struct app_tls *t)
{
	unsigned i;

	if (t == NULL)
		return;
	/* the proxies are gone, or never saw it: no session holds a view any more */
	fo_ctl_retire_fini(&t->retire);
	tls_gen_free(t->gen);
	for (i = 0; i < t->n_hs_files; i++)
		free(t->hs_files[i].file);
	free(t->hs_files);
	for (i = 0; i < FO_MAX_WORKERS; i++)
		fo_tls_worker_free(t->w[i]);
	fo_tls_cert_free(t->dflt);
	fo_tls_keyset_free(fo_tls_keys_publish(&t->keys, NULL));
	free(t);
}

void
tls_free(struct app *app)
{
	tls_state_free(app->tls);
	app->tls = NULL;
}
