/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the lib/proxy tests whose TLS listeners need only what
 * app/fanout builds with no certificate configured (test_proxy_listen.c,
 * test_proxy_passthrough.c): one TLS worker, one self-signed certificate,
 * its context the default for every name (an empty SNI table), the ticket
 * keys, and the view fo_proxy_worker_tls() takes.
 */
#ifndef MINI_TLS_HARNESS_H
#define MINI_TLS_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fo_proxy.h"
#include "fo_tls.h"

struct mini_tls {
	struct fo_tls_worker *w;
	struct fo_tls_cert *cert;
	struct fo_tls_ctx *ctx;
	struct fo_tls_sni sni;
	struct fo_tls_keys keys;
	struct fo_proxy_tls ptls;
};

/* The view, its certificate self-signed for @p name. */
static inline void
mini_tls_init(struct mini_tls *t, const char *name)
{
	char err[256];

	memset(t, 0, sizeof(*t));
	t->w = fo_tls_worker_create();
	assert_non_null(t->w);
	t->cert = fo_tls_cert_selfsigned(name, time(NULL), 1, err, sizeof(err));
	assert_non_null(t->cert);
	fo_tls_keys_publish(&t->keys, fo_tls_keyset_new());
	t->ctx = fo_tls_ctx_create(t->w, &t->cert, 1, NULL, &t->keys, err, sizeof(err));
	assert_non_null(t->ctx);
	assert_int_equal(fo_tls_sni_build(&t->sni, NULL, NULL, 0, 0, 0, err, sizeof(err)), 0);
	t->ptls.entry = t->ctx;
	t->ptls.sni = &t->sni;
}

static inline void
mini_tls_fini(struct mini_tls *t)
{
	fo_tls_ctx_free(t->ctx);
	fo_tls_cert_free(t->cert);
	fo_tls_sni_release(&t->sni);
	fo_tls_keyset_free(fo_tls_keys_publish(&t->keys, NULL));
	fo_tls_worker_free(t->w);
}

#endif /* MINI_TLS_HARNESS_H */
