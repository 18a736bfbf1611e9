/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "fanout-kex": a provider built into lib/tls, loaded into every worker's
 * library context, whose only algorithm is an X25519 key manager. It
 * exists to put a pause between the two halves of the ServerHello's key
 * exchange (conn_msg_cb() in tls_ctx.c explains the pieces).
 *
 * libssl 3.0 makes the server's key share in one call,
 * tls_construct_stoc_key_share(): ssl_generate_pkey() (a key pair:
 * EVP_PKEY_keygen, i.e. this key manager's gen) then ssl_derive() (the
 * shared secret) then the handshake secret; TLS 1.2 makes its key pair in
 * ServerKeyExchange before signing it. Nothing is called between the key
 * pair and the derivation but the key manager that generates the pair: its
 * gen pauses the handshake's ASYNC_JOB when the handshake is split.
 *
 * The arithmetic stays the default provider's (fetched in the same library
 * context with "provider=default"): gen is its keygen, whose key's bytes
 * are kept (struct kx_key). The provider has no key exchange: the default
 * provider's X25519 exchange takes our keys through export
 * (evp_pkey_export_to_provider(), cached in the EVP_PKEY after the first
 * use), for our private key and for the client's share.
 *
 * How libssl picks it: contexts are created with the property query
 * "?fanout.kex=yes" (an optional preference, everything else falls back to
 * the default provider), and the provider announces the TLS group x25519
 * (capability "TLS-GROUP") as the default provider does, because
 * ssl_load_groups() keeps a group only from the provider that the key
 * manager fetch with the context's query returns. Without this provider
 * (it failed to load) the default provider serves X25519 as before.
 *
 * Functions libssl 3.0 calls on the server: gen_init/gen_set_params/
 * gen_set_template/gen/gen_cleanup (the client's key share is a
 * parameter-only "key" made by paramgen, the server's is a key pair made
 * from it as template, or by group name in TLS 1.2), set_params of the
 * encoded public key (the client's share), get_params (encoded public key,
 * bits, security bits, size), has and validate (EVP_PKEY_derive_set_peer
 * checks the peer), dup (EVP_PKEY_copy_parameters in TLS 1.2), export
 * (to the default provider's exchange), free.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/async.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "tls_priv.h"

#define KX_NAME "fanout-kex"

__thread struct fo_tls_io *tls_kex_io;

struct kx_prov {
	OSSL_LIB_CTX *libctx; /* the worker's, where the default provider is */
	uint64_t generated;   /* key pairs (the worker writes, any thread reads) */
	/* The default provider's X25519 contexts, made on first use and kept:
	 * a new one costs more than an X25519 import (a fetch, and a walk over
	 * every algorithm name in 3.0). Only the worker owning the library
	 * context uses them, one call at a time (a job pauses only between
	 * calls). */
	EVP_PKEY_CTX *gen; /* keygen_init done */
	EVP_PKEY_CTX *imp; /* fromdata_init done */
};

/*
 * An X25519 key is two strings of 32 bytes (RFC 7748): held as such, so
 * that a client's share, an export to the default provider's exchange, a
 * dup or a comparison costs no EVP_PKEY (each one costs a walk over every
 * algorithm name in 3.0). Only the arithmetic goes to the default
 * provider: the key pair (gen) and a public key from a private one.
 */
#define KX_LEN 32

struct kx_key {
	struct kx_prov *p;
	uint8_t pub[KX_LEN];
	uint8_t priv[KX_LEN];
	uint8_t has_pub, has_priv;
};

struct kx_gen {
	struct kx_prov *p;
	EVP_PKEY_CTX *ctx; /* p->gen for a key pair; NULL: parameters only */
};

/* @p *c, made by @p init on first use; NULL when that failed. */
static EVP_PKEY_CTX *
kx_ctx(struct kx_prov *p, EVP_PKEY_CTX **c, int (*init)(EVP_PKEY_CTX *))
{
	if (*c == NULL) {
		*c = EVP_PKEY_CTX_new_from_name(p->libctx, "X25519", "provider=default");
		if (*c != NULL && init(*c) <= 0) {
			EVP_PKEY_CTX_free(*c);
			*c = NULL;
		}
	}
	return *c;
}

/* Copy a default-provider key's bytes into @p k: 1, or 0. */
static int
kx_take(struct kx_key *k, EVP_PKEY *pk)
{
	size_t np = KX_LEN, ns = KX_LEN;

	if (EVP_PKEY_get_raw_public_key(pk, k->pub, &np) != 1 || np != KX_LEN ||
		EVP_PKEY_get_raw_private_key(pk, k->priv, &ns) != 1 || ns != KX_LEN) {
		OPENSSL_cleanse(k->priv, sizeof(k->priv));
		return 0;
	}
	k->has_pub = k->has_priv = 1;
	return 1;
}

/* The public key of @p priv into @p pub, by the default provider: 1, or 0. */
static int
kx_pub_of(struct kx_prov *p, const uint8_t *priv, uint8_t *pub)
{
	EVP_PKEY_CTX *c = kx_ctx(p, &p->imp, EVP_PKEY_fromdata_init);
	OSSL_PARAM params[] = {
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, (void *)priv, KX_LEN),
		OSSL_PARAM_END,
	};
	EVP_PKEY *pk = NULL;
	size_t n = KX_LEN;
	int ok;

	ok = c != NULL && EVP_PKEY_fromdata(c, &pk, EVP_PKEY_KEYPAIR, params) == 1 &&
	     EVP_PKEY_get_raw_public_key(pk, pub, &n) == 1 && n == KX_LEN;
	EVP_PKEY_free(pk);
	return ok;
}

static void *
kx_new(void *provctx)
{
	struct kx_key *k = OPENSSL_zalloc(sizeof(*k));

	if (k != NULL)
		k->p = provctx;
	return k;
}

static void
kx_free(void *keydata)
{
	OPENSSL_clear_free(keydata, sizeof(struct kx_key));
}

static int
kx_has(const void *keydata, int selection)
{
	const struct kx_key *k = keydata;
	int ok = k != NULL; /* X25519 has no domain parameters: always "there" */

	if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0)
		ok = ok && k->has_pub;
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0)
		ok = ok && k->has_priv;
	return ok;
}

/* As the default provider's: the public keys, else the private ones. */
static int
kx_match(const void *a, const void *b, int selection)
{
	const struct kx_key *x = a, *y = b;

	if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0)
		return 1;
	if ((selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) != 0 && x->has_pub && y->has_pub)
		return CRYPTO_memcmp(x->pub, y->pub, KX_LEN) == 0;
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && x->has_priv && y->has_priv)
		return CRYPTO_memcmp(x->priv, y->priv, KX_LEN) == 0;
	return 0;
}

static int
kx_validate(const void *keydata, int selection, int checktype)
{
	const struct kx_key *k = keydata;
	uint8_t pub[KX_LEN];

	(void)checktype;
	if (!kx_has(keydata, selection))
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != OSSL_KEYMGMT_SELECT_KEYPAIR)
		return 1; /* a public key is any 32 bytes (RFC 7748) */
	return kx_pub_of(k->p, k->priv, pub) && CRYPTO_memcmp(pub, k->pub, KX_LEN) == 0;
}

/* @p p's 32 bytes into @p out: 1; 0 when it is not 32 bytes. */
static int
kx_get32(const OSSL_PARAM *p, uint8_t *out)
{
	size_t n = 0;
	void *o = out;

	return OSSL_PARAM_get_octet_string(p, &o, KX_LEN, &n) == 1 && n == KX_LEN;
}

static int
kx_import(void *keydata, int selection, const OSSL_PARAM params[])
{
	struct kx_key *k = keydata;
	const OSSL_PARAM *pub, *priv = NULL;
	struct kx_key t = {0};

	if (k == NULL)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0)
		return 1; /* no parameters to take */
	pub = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PUB_KEY);
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0)
		priv = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_PRIV_KEY);
	if (pub == NULL && priv == NULL)
		return 0;
	if ((pub != NULL && !kx_get32(pub, t.pub)) || (priv != NULL && !kx_get32(priv, t.priv)) ||
		(pub == NULL && !kx_pub_of(k->p, t.priv, t.pub))) {
		OPENSSL_cleanse(&t, sizeof(t));
		return 0;
	}
	memcpy(k->pub, t.pub, KX_LEN);
	memcpy(k->priv, t.priv, KX_LEN);
	k->has_pub = 1;
	k->has_priv = priv != NULL;
	OPENSSL_cleanse(&t, sizeof(t));
	return 1;
}

static int
kx_export(void *keydata, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
	struct kx_key *k = keydata;
	OSSL_PARAM params[3], *p = params;
	int ok;

	if (k == NULL)
		return 0;
	if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0 && k->has_pub) {
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, k->pub, KX_LEN);
		if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && k->has_priv)
			*p++ = OSSL_PARAM_construct_octet_string(
				OSSL_PKEY_PARAM_PRIV_KEY, k->priv, KX_LEN);
	}
	*p = OSSL_PARAM_construct_end();
	ok = cb(params, cbarg);
	return ok;
}

static const OSSL_PARAM kx_key_types[] = {
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0),
	OSSL_PARAM_END,
};

static const OSSL_PARAM *
kx_imexport_types(int selection)
{
	return (selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0 ? kx_key_types : NULL;
}

static void *
kx_dup(const void *keydata, int selection)
{
	const struct kx_key *k = keydata;
	struct kx_key *d = kx_new(k->p);

	if (d == NULL || (selection & OSSL_KEYMGMT_SELECT_KEYPAIR) == 0)
		return d;
	if (k->has_pub) {
		memcpy(d->pub, k->pub, KX_LEN);
		d->has_pub = 1;
	}
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) != 0 && k->has_priv) {
		memcpy(d->priv, k->priv, KX_LEN);
		d->has_priv = 1;
	}
	return d;
}

static int
kx_get_params(void *keydata, OSSL_PARAM params[])
{
	struct kx_key *k = keydata;
	OSSL_PARAM *p;

	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_BITS)) != NULL &&
		!OSSL_PARAM_set_int(p, 253))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_SECURITY_BITS)) != NULL &&
		!OSSL_PARAM_set_int(p, 128))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_MAX_SIZE)) != NULL &&
		!OSSL_PARAM_set_int(p, KX_LEN))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY)) != NULL &&
		(!k->has_pub || !OSSL_PARAM_set_octet_string(p, k->pub, KX_LEN)))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PUB_KEY)) != NULL &&
		(!k->has_pub || !OSSL_PARAM_set_octet_string(p, k->pub, KX_LEN)))
		return 0;
	if ((p = OSSL_PARAM_locate(params, OSSL_PKEY_PARAM_PRIV_KEY)) != NULL &&
		(!k->has_priv || !OSSL_PARAM_set_octet_string(p, k->priv, KX_LEN)))
		return 0;
	return 1;
}

static const OSSL_PARAM *
kx_gettable_params(void *provctx)
{
	static const OSSL_PARAM gettable[] = {
		OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
		OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)provctx;
	return gettable;
}

/* The client's share: X25519's encoding is the raw public key; a
 * public-only key now, as the default provider's set_params makes it. */
static int
kx_set_params(void *keydata, const OSSL_PARAM params[])
{
	struct kx_key *k = keydata;
	const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY);
	uint8_t pub[KX_LEN];

	if (p == NULL)
		return 1;
	if (!kx_get32(p, pub))
		return 0;
	memcpy(k->pub, pub, KX_LEN);
	OPENSSL_cleanse(k->priv, KX_LEN);
	k->has_pub = 1;
	k->has_priv = 0;
	return 1;
}

static const OSSL_PARAM *
kx_settable_params(void *provctx)
{
	static const OSSL_PARAM settable[] = {
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)provctx;
	return settable;
}

static void
kx_gen_cleanup(void *genctx)
{
	struct kx_gen *g = genctx;

	OPENSSL_free(g); /* g->ctx is the provider's */
}

static int
kx_gen_set_params(void *genctx, const OSSL_PARAM params[])
{
	struct kx_gen *g = genctx;
	const OSSL_PARAM *p;

	if (params == NULL || params[0].key == NULL)
		return 1;
	if (g->ctx != NULL)
		return EVP_PKEY_CTX_set_params(g->ctx, params);
	/* parameters only: the group name must still be X25519's */
	p = OSSL_PARAM_locate_const(params, OSSL_PKEY_PARAM_GROUP_NAME);
	return p == NULL || (p->data_type == OSSL_PARAM_UTF8_STRING &&
				    OPENSSL_strcasecmp(p->data, "x25519") == 0);
}

static void *
kx_gen_init(void *provctx, int selection, const OSSL_PARAM params[])
{
	struct kx_gen *g = OPENSSL_zalloc(sizeof(*g));

	if (g == NULL)
		return NULL;
	g->p = provctx;
	if ((selection & OSSL_KEYMGMT_SELECT_KEYPAIR) != 0) {
		g->ctx = kx_ctx(g->p, &g->p->gen, EVP_PKEY_keygen_init);
		if (g->ctx == NULL)
			goto fail;
	}
	if (!kx_gen_set_params(g, params))
		goto fail;
	return g;
fail:
	kx_gen_cleanup(g);
	return NULL;
}

static int
kx_gen_set_template(void *genctx, void *templ)
{
	(void)genctx, (void)templ; /* X25519 has no parameters to copy */
	return 1;
}

static const OSSL_PARAM *
kx_gen_settable_params(void *genctx, void *provctx)
{
	static const OSSL_PARAM settable[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
		OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_PROPERTIES, NULL, 0),
		OSSL_PARAM_END,
	};

	(void)genctx, (void)provctx;
	return settable;
}

static void *
kx_gen(void *genctx, OSSL_CALLBACK *cb, void *cbarg)
{
	struct kx_gen *g = genctx;
	struct kx_key *k = kx_new(g->p);
	EVP_PKEY *pk = NULL;

	(void)cb, (void)cbarg;
	if (k == NULL || g->ctx == NULL)
		return k; /* parameters only: an empty key */
	if (EVP_PKEY_generate(g->ctx, &pk) <= 0 || !kx_take(k, pk)) {
		EVP_PKEY_free(pk);
		kx_free(k);
		return NULL;
	}
	EVP_PKEY_free(pk);
	__atomic_store_n(&g->p->generated, g->p->generated + 1, __ATOMIC_RELAXED);
	/* the pause: the handshake holds its key pair, the next piece derives
	 * the shared secret (tls_kex_io: set by fo_tls_handshake() for a split
	 * handshake, never while fo_tls_conn_free() drains a stopped job) */
	tls_hs_pause(tls_kex_io);
	return k;
}

static const OSSL_DISPATCH kx_keymgmt[] = {
	{OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))kx_new},
	{OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))kx_free},
	{OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))kx_has},
	{OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))kx_match},
	{OSSL_FUNC_KEYMGMT_VALIDATE, (void (*)(void))kx_validate},
	{OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))kx_import},
	{OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))kx_imexport_types},
	{OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))kx_export},
	{OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))kx_imexport_types},
	{OSSL_FUNC_KEYMGMT_DUP, (void (*)(void))kx_dup},
	{OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))kx_get_params},
	{OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, (void (*)(void))kx_gettable_params},
	{OSSL_FUNC_KEYMGMT_SET_PARAMS, (void (*)(void))kx_set_params},
	{OSSL_FUNC_KEYMGMT_SETTABLE_PARAMS, (void (*)(void))kx_settable_params},
	{OSSL_FUNC_KEYMGMT_GEN_INIT, (void (*)(void))kx_gen_init},
	{OSSL_FUNC_KEYMGMT_GEN_SET_TEMPLATE, (void (*)(void))kx_gen_set_template},
	{OSSL_FUNC_KEYMGMT_GEN_SET_PARAMS, (void (*)(void))kx_gen_set_params},
	{OSSL_FUNC_KEYMGMT_GEN_SETTABLE_PARAMS, (void (*)(void))kx_gen_settable_params},
	{OSSL_FUNC_KEYMGMT_GEN, (void (*)(void))kx_gen},
	{OSSL_FUNC_KEYMGMT_GEN_CLEANUP, (void (*)(void))kx_gen_cleanup},
	{0, NULL},
};

static const OSSL_ALGORITHM kx_keymgmts[] = {
	{"X25519:1.3.101.110", TLS_KEX_PROPERTY, kx_keymgmt,
		"X25519, pausing after key generation"},
	{NULL, NULL, NULL, NULL},
};

static const OSSL_ALGORITHM *
kx_query(void *provctx, int operation_id, int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	return operation_id == OSSL_OP_KEYMGMT ? kx_keymgmts : NULL;
}

/* The default provider's x25519 entry (providers/common/capabilities.c). */
static unsigned kx_group_id = 29, kx_group_secbits = 128;
static int kx_group_mintls = TLS1_VERSION, kx_group_maxtls = 0;
static int kx_group_mindtls = DTLS1_VERSION, kx_group_maxdtls = 0;

static const OSSL_PARAM kx_group[] = {
	OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME, "x25519", sizeof("x25519")),
	OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_NAME_INTERNAL, "X25519", sizeof("X25519")),
	OSSL_PARAM_utf8_string(OSSL_CAPABILITY_TLS_GROUP_ALG, "X25519", sizeof("X25519")),
	OSSL_PARAM_uint(OSSL_CAPABILITY_TLS_GROUP_ID, &kx_group_id),
	OSSL_PARAM_uint(OSSL_CAPABILITY_TLS_GROUP_SECURITY_BITS, &kx_group_secbits),
	OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MIN_TLS, &kx_group_mintls),
	OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MAX_TLS, &kx_group_maxtls),
	OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MIN_DTLS, &kx_group_mindtls),
	OSSL_PARAM_int(OSSL_CAPABILITY_TLS_GROUP_MAX_DTLS, &kx_group_maxdtls),
	OSSL_PARAM_END,
};

static int
kx_capabilities(void *provctx, const char *capability, OSSL_CALLBACK *cb, void *arg)
{
	(void)provctx;
	if (OPENSSL_strcasecmp(capability, "TLS-GROUP") == 0)
		return cb(kx_group, arg);
	return 1; /* nothing else */
}

static void
kx_teardown(void *provctx)
{
	struct kx_prov *p = provctx;

	EVP_PKEY_CTX_free(p->gen);
	EVP_PKEY_CTX_free(p->imp);
	OPENSSL_free(p);
}

static const OSSL_DISPATCH kx_prov_dispatch[] = {
	{OSSL_FUNC_PROVIDER_TEARDOWN, (void (*)(void))kx_teardown},
	{OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))kx_query},
	{OSSL_FUNC_PROVIDER_GET_CAPABILITIES, (void (*)(void))kx_capabilities},
	{0, NULL},
};

static int
kx_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in, const OSSL_DISPATCH **out,
	void **provctx)
{
	OSSL_FUNC_core_get_libctx_fn *get_libctx = NULL;
	struct kx_prov *p;

	for (; in->function_id != 0; in++)
		if (in->function_id == OSSL_FUNC_CORE_GET_LIBCTX)
			get_libctx = OSSL_FUNC_core_get_libctx(in);
	if (get_libctx == NULL)
		return 0;
	p = OPENSSL_zalloc(sizeof(*p));
	if (p == NULL)
		return 0;
	/* A built-in provider's core context is the library context that
	 * loaded it (provider-base(7)): the worker's, where "default" is. */
	p->libctx = (OSSL_LIB_CTX *)get_libctx(handle);
	*provctx = p;
	*out = kx_prov_dispatch;
	return 1;
}

int
tls_kex_load(struct fo_tls_worker *w)
{
	if (!OSSL_PROVIDER_add_builtin(w->libctx, KX_NAME, kx_init))
		return -ENOMEM;
	w->prov_kex = OSSL_PROVIDER_load(w->libctx, KX_NAME);
	return w->prov_kex != NULL ? 0 : -ENOENT;
}

void
tls_kex_unload(struct fo_tls_worker *w)
{
	if (w->prov_kex != NULL)
		OSSL_PROVIDER_unload(w->prov_kex);
	if (w->prov_default != NULL)
		OSSL_PROVIDER_unload(w->prov_default);
	w->prov_kex = w->prov_default = NULL;
}

uint64_t
fo_tls_worker_kex_keys(const struct fo_tls_worker *w)
{
	const struct kx_prov *p;

	if (w == NULL || w->prov_kex == NULL)
		return 0;
	p = OSSL_PROVIDER_get0_provider_ctx(w->prov_kex);
	return p != NULL ? __atomic_load_n(&p->generated, __ATOMIC_RELAXED) : 0;
}
