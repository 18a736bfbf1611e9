/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS listeners (`listen ... tls;`): at start, on the control thread, the
 * certificates of `tls_certificate` are loaded and validated (lib/tls:
 * "file: message" on any error, which stops fanout), a self-signed
 * default is generated (as ingress-nginx's), and each worker gets its own
 * library context, one context per certificate, the SNI table (names from
 * the certificates' SANs; the default serves unknown names unless
 * strict_sni) and one ticket key set shared by all workers.
 *
 * Certificates are loaded at start only: live certificate reload, ticket
 * key rotation and a key file are later slices (a change of the tls
 * directives asks for a restart, lib/ctl's diff).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "fo_tls.h"

/** Names a certificate may serve (more are ignored, logged). */
#define TLS_NAMES_MAX 64

struct app_tls_worker {
	struct fo_tls_worker *w;
	struct fo_tls_ctx **ctxs; /* [n_certs + 1]: the default last */
	struct fo_tls_sni_map map;
	struct fo_proxy_tls ptls;
};

struct app_tls {
	struct fo_tls_cert **certs; /* [n_certs + 1] */
	unsigned n_certs;
	struct fo_tls_sni sni;
	struct fo_tls_keys keys;
	char hsts[FO_CONF_HSTS_MAX];
	struct app_tls_worker wk[FO_MAX_WORKERS];
};

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
build_sni(struct app_tls *t, const struct fo_conf *conf, char *err, size_t errlen)
{
	const char **names = NULL;
	uint32_t *idx = NULL;
	unsigned n = 0, i, k, cnt;
	int rc = -ENOMEM;

	names = calloc((size_t)t->n_certs * TLS_NAMES_MAX + 1, sizeof(*names));
	idx = calloc((size_t)t->n_certs * TLS_NAMES_MAX + 1, sizeof(*idx));
	if (names == NULL || idx == NULL)
		goto out;
	for (i = 0; i < t->n_certs; i++) {
		cnt = fo_tls_cert_names(t->certs[i], names + n, TLS_NAMES_MAX);
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
		&t->sni, names, idx, n, t->n_certs, conf->tls.strict_sni, err, errlen);
out:
	free(names);
	free(idx);
	return rc;
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
	return bad != 0 ? -EINVAL : 0;
}

int
tls_init(struct app *app)
{
	const struct fo_conf *conf = app->conf;
	struct app_tls *t;
	struct fo_tls_keyset *ks;
	time_t now = time(NULL);
	char err[512];
	unsigned i, k;
	int rc;

	if (!has_tls_listener(conf))
		return 0;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	app->tls = t;
	t->n_certs = conf->tls.n_certs;
	t->certs = calloc(t->n_certs + 1, sizeof(*t->certs));
	if (t->certs == NULL)
		return -ENOMEM;
	for (i = 0; i < t->n_certs; i++) {
		t->certs[i] = fo_tls_cert_load(
			conf->tls.certs[i].chain, conf->tls.certs[i].key, now, err, sizeof(err));
		if (t->certs[i] == NULL) {
			FO_LOG(ERR, "%s\n", err);
			return -EINVAL;
		}
	}
	/* the default for unknown names, as ingress-nginx's "Kubernetes Ingress Controller
	 * Fake Certificate": generated at each start */
	t->certs[t->n_certs] =
		fo_tls_cert_selfsigned("fanout-default.invalid", now, 365, err, sizeof(err));
	if (t->certs[t->n_certs] == NULL) {
		FO_LOG(ERR, "self-signed default certificate: %s\n", err);
		return -EINVAL;
	}
	rc = build_sni(t, conf, err, sizeof(err));
	if (rc != 0) {
		FO_LOG(ERR, "tls: %s\n", rc == -EINVAL ? err : strerror(-rc));
		return rc;
	}
	ks = fo_tls_keyset_new();
	if (ks == NULL)
		return -ENOMEM;
	fo_tls_keys_publish(&t->keys, ks);
	if (!conf->tls.hsts_off)
		snprintf(t->hsts, sizeof(t->hsts), "%s",
			conf->tls.hsts[0] != 0 ? conf->tls.hsts : FO_CONF_HSTS_DEFAULT);
	for (i = 0; i < app->n_workers; i++) {
		struct app_tls_worker *w = &t->wk[i];

		w->w = fo_tls_worker_create();
		w->ctxs = calloc(t->n_certs + 1, sizeof(*w->ctxs));
		if (w->w == NULL || w->ctxs == NULL)
			return -ENOMEM;
		for (k = 0; k <= t->n_certs; k++) {
			w->ctxs[k] = fo_tls_ctx_create(
				w->w, &t->certs[k], 1, NULL, &t->keys, err, sizeof(err));
			if (w->ctxs[k] == NULL) {
				FO_LOG(ERR, "tls: %s\n", err);
				return -EINVAL;
			}
		}
		w->map.sni = &t->sni;
		w->map.ctxs = w->ctxs;
		w->map.n_ctxs = t->n_certs + 1;
		/* the default's context is the entry: the ClientHello callback switches */
		rc = fo_tls_ctx_set_sni(w->ctxs[t->n_certs], &w->map);
		if (rc != 0)
			return rc;
		w->ptls.entry = w->ctxs[t->n_certs];
		w->ptls.sni = &t->sni;
		w->ptls.hsts = t->hsts[0] != 0 ? t->hsts : NULL;
		w->ptls.ssl_redirect = !conf->tls.ssl_redirect_off;
	}
	FO_LOG(INFO, "TLS: %u certificate(s) and a self-signed default, %u name(s)%s\n", t->n_certs,
		t->sni.n, conf->tls.strict_sni ? ", strict_sni" : "");
	return 0;
}

int
tls_attach(struct app *app, unsigned w, struct fo_proxy_worker *pw)
{
	if (app->tls == NULL)
		return 0;
	return fo_proxy_worker_tls(pw, &app->tls->wk[w].ptls);
}

void
tls_free(struct app *app)
{
	struct app_tls *t = app->tls;
	unsigned i, k;

	if (t == NULL)
		return;
	for (i = 0; i < FO_MAX_WORKERS; i++) {
		struct app_tls_worker *w = &t->wk[i];

		for (k = 0; w->ctxs != NULL && k <= t->n_certs; k++)
			fo_tls_ctx_free(w->ctxs[k]);
		free(w->ctxs);
		fo_tls_worker_free(w->w);
	}
	for (k = 0; t->certs != NULL && k <= t->n_certs; k++)
		fo_tls_cert_free(t->certs[k]);
	free(t->certs);
	fo_tls_sni_release(&t->sni);
	fo_tls_keyset_free(fo_tls_keys_publish(&t->keys, NULL));
	free(t);
	app->tls = NULL;
}
