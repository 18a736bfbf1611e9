/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Certificates: PEM chain + key from files, validated before anything
 * serves them, and the self-signed default generated at start (as
 * ingress-nginx does when no default certificate is configured).
 *
 * The objects here live in the default library context and serve
 * validation and listing only: fo_tls_ctx_create() gives each worker its
 * own copy (a DER round trip into the worker's library context), so that no
 * handshake touches an object (and its locks) shared with another worker,
 * nor exports a key across library contexts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "tls_priv.h"

void
tls_err(char *err, size_t errlen, const char *prefix, const char *msg)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (err != NULL && errlen > 0) {
		if (why != NULL)
			snprintf(err, errlen, "%s: %s (%s)", prefix, msg, why);
		else
			snprintf(err, errlen, "%s: %s", prefix, msg);
	}
	ERR_clear_error();
}

static char *
lower_dup(const unsigned char *s, int len)
{
	char *d = malloc((size_t)len + 1);
	int i;

	if (d == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		d[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	d[len] = '\0';
	return d;
}

static int
cert_add_name(struct fo_tls_cert *c, const unsigned char *s, int len)
{
	char **n;

	if (len <= 0 || memchr(s, '\0', (size_t)len) != NULL)
		return 0; /* an embedded NUL is never a usable name */
	n = realloc(c->names, sizeof(*n) * (c->n_names + 1));
	if (n == NULL)
		return -ENOMEM;
	c->names = n;
	n[c->n_names] = lower_dup(s, len);
	if (n[c->n_names] == NULL)
		return -ENOMEM;
	c->n_names++;
	return 0;
}

/* SAN DNS names; the subject CN only when there is none (RFC 6125 6.4.4). */
static int
cert_collect_names(struct fo_tls_cert *c)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(c->leaf, NID_subject_alt_name, NULL, NULL);
	int i, rc = 0;

	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && rc == 0; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS)
			rc = cert_add_name(c, ASN1_STRING_get0_data(g->d.dNSName),
				ASN1_STRING_length(g->d.dNSName));
	}
	GENERAL_NAMES_free(gens);
	if (rc == 0 && c->n_names == 0) {
		const X509_NAME *sub = X509_get_subject_name(c->leaf);
		int idx = X509_NAME_get_index_by_NID(sub, NID_commonName, -1);

		if (idx >= 0) {
			ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(sub, idx));

			rc = cert_add_name(c, ASN1_STRING_get0_data(cn), ASN1_STRING_length(cn));
		}
	}
	return rc;
}

static time_t
asn1_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

/* Names, type and expiry from leaf and key. */
static int
cert_finish(struct fo_tls_cert *c, const char *key_file, char *err, size_t errlen)
{
	switch (EVP_PKEY_get_base_id(c->key)) {
	case EVP_PKEY_RSA:
		c->type = FO_TLS_KEY_RSA;
		break;
	case EVP_PKEY_EC:
		c->type = FO_TLS_KEY_ECDSA;
		break;
	default:
		tls_err(err, errlen, key_file, "key is neither RSA nor ECDSA");
		return -EINVAL;
	}
	c->not_after = asn1_to_time(X509_get0_notAfter(c->leaf));
	if (cert_collect_names(c) < 0) {
		tls_err(err, errlen, key_file, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void
fo_tls_cert_free(struct fo_tls_cert *c)
{
	unsigned i;

	if (c == NULL)
		return;
	X509_free(c->leaf);
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->key);
	for (i = 0; i < c->n_names; i++)
		free(c->names[i]);
	free(c->names);
	free(c);
}

static int
cert_check_time(const struct fo_tls_cert *c, const char *file, time_t now, char *err, size_t errlen)
{
	char msg[160];
	struct tm tm;

	if (X509_cmp_time(X509_get0_notBefore(c->leaf), &now) > 0) {
		time_t nb = asn1_to_time(X509_get0_notBefore(c->leaf));

		gmtime_r(&nb, &tm);
		strftime(msg, sizeof(msg), "certificate not valid before %Y-%m-%dT%H:%M:%SZ", &tm);
		tls_err(err, errlen, file, msg);
		return -EINVAL;
	}
	if (X509_cmp_time(X509_get0_notAfter(c->leaf), &now) < 0) {
		gmtime_r(&c->not_after, &tm);
		strftime(msg, sizeof(msg), "certificate expired on %Y-%m-%dT%H:%M:%SZ", &tm);
		tls_err(err, errlen, file, msg);
		return -EINVAL;
	}
	return 0;
}

/* Each certificate must be issued (names and signature) by the next one. */
static int
cert_check_chain(const struct fo_tls_cert *c, const char *file, char *err, size_t errlen)
{
	X509 *sub = c->leaf;
	int i;

	for (i = 0; i < sk_X509_num(c->chain); i++) {
		X509 *iss = sk_X509_value(c->chain, i);
		char msg[128];

		if (X509_check_issued(iss, sub) != X509_V_OK ||
			X509_verify(sub, X509_get0_pubkey(iss)) != 1) {
			snprintf(msg, sizeof(msg),
				"certificate %d is not issued by certificate %d: chain out of "
				"order "
				"(leaf first, then each issuer)",
				i + 1, i + 2);
			tls_err(err, errlen, file, msg);
			return -EINVAL;
		}
		sub = iss;
	}
	return 0;
}

struct fo_tls_cert *
fo_tls_cert_load(const char *cert_file, const char *key_file, time_t now, char *err, size_t errlen)
{
	struct fo_tls_cert *c = calloc(1, sizeof(*c));
	BIO *b = NULL;
	X509 *x;
	char msg[300];

	if (c == NULL) {
		tls_err(err, errlen, cert_file, "out of memory");
		return NULL;
	}
	c->chain = sk_X509_new_null();
	b = BIO_new_file(cert_file, "r");
	if (b == NULL || c->chain == NULL) {
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		ERR_clear_error();
		tls_err(err, errlen, cert_file, msg);
		goto fail;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (c->leaf == NULL)
			c->leaf = x;
		else
			sk_X509_push(c->chain, x);
	}
	ERR_clear_error(); /* the end of the file is reported as an error */
	BIO_free(b);
	b = NULL;
	if (c->leaf == NULL) {
		tls_err(err, errlen, cert_file, "no PEM certificate in the file");
		goto fail;
	}
	b = BIO_new_file(key_file, "r");
	if (b == NULL) {
		snprintf(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		ERR_clear_error();
		tls_err(err, errlen, key_file, msg);
		goto fail;
	}
	c->key = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	BIO_free(b);
	b = NULL;
	if (c->key == NULL) {
		tls_err(err, errlen, key_file, "no usable PEM private key (missing or encrypted)");
		goto fail;
	}
	if (X509_check_private_key(c->leaf, c->key) != 1) {
		snprintf(msg, sizeof(msg), "private key does not match the certificate of %s",
			cert_file);
		ERR_clear_error();
		tls_err(err, errlen, key_file, msg);
		goto fail;
	}
	if (cert_check_time(c, cert_file, now, err, errlen) < 0 ||
		cert_check_chain(c, cert_file, err, errlen) < 0 ||
		cert_finish(c, key_file, err, errlen) < 0)
		goto fail;
	return c;
fail:
	BIO_free(b);
	fo_tls_cert_free(c);
	return NULL;
}

struct fo_tls_cert *
fo_tls_cert_selfsigned(const char *name, time_t now, unsigned days, char *err, size_t errlen)
{
	struct fo_tls_cert *c = calloc(1, sizeof(*c));
	X509_NAME *sub = X509_NAME_new();
	X509_EXTENSION *ext = NULL;
	BIGNUM *serial = BN_new();
	X509V3_CTX v3;
	char san[300];
	int ok;

	if (c == NULL || sub == NULL || serial == NULL || name == NULL || name[0] == '\0' ||
		strlen(name) > 253)
		goto fail;
	c->chain = sk_X509_new_null();
	c->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	c->leaf = X509_new();
	if (c->chain == NULL || c->key == NULL || c->leaf == NULL)
		goto fail;
	snprintf(san, sizeof(san), "DNS:%s", name);
	ok = X509_set_version(c->leaf, X509_VERSION_3) &&
	     BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
	     BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(c->leaf)) != NULL &&
	     X509_time_adj_ex(X509_getm_notBefore(c->leaf), 0, -3600, &now) != NULL &&
	     X509_time_adj_ex(X509_getm_notAfter(c->leaf), (int)days, 0, &now) != NULL &&
	     X509_NAME_add_entry_by_txt(
		     sub, "O", MBSTRING_ASC, (const unsigned char *)"fanout", -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(
		     sub, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0) &&
	     X509_set_subject_name(c->leaf, sub) && X509_set_issuer_name(c->leaf, sub) &&
	     X509_set_pubkey(c->leaf, c->key);
	if (!ok)
		goto fail;
	X509V3_set_ctx(&v3, c->leaf, c->leaf, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	if (ext == NULL || !X509_add_ext(c->leaf, ext, -1))
		goto fail;
	if (X509_sign(c->leaf, c->key, EVP_sha256()) <= 0)
		goto fail;
	if (cert_finish(c, "self-signed", err, errlen) < 0)
		goto fail_quiet;
	X509_EXTENSION_free(ext);
	X509_NAME_free(sub);
	BN_free(serial);
	return c;
fail:
	tls_err(err, errlen, "self-signed", "cannot generate the default certificate");
fail_quiet:
	X509_EXTENSION_free(ext);
	X509_NAME_free(sub);
	BN_free(serial);
	fo_tls_cert_free(c);
	return NULL;
}

unsigned
fo_tls_cert_names(const struct fo_tls_cert *c, const char **names, unsigned max)
{
	unsigned i;

	for (i = 0; i < c->n_names && i < max; i++)
		names[i] = c->names[i];
	return c->n_names;
}

enum fo_tls_key_type
fo_tls_cert_key_type(const struct fo_tls_cert *c)
{
	return c->type;
}

time_t
fo_tls_cert_not_after(const struct fo_tls_cert *c)
{
	return c->not_after;
}

/* One-line RFC 2253 form of @p n ("CN=a.test,O=Example"), cut to @p len. */
static void
name_str(const X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int k = 0;

	buf[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0)
		k = BIO_read(b, buf, (int)len - 1);
	buf[k > 0 ? k : 0] = '\0';
	BIO_free(b);
	ERR_clear_error();
}

int
fo_tls_cert_info(const struct fo_tls_cert *c, struct fo_tls_cert_info *out)
{
	const ASN1_INTEGER *sn;
	BIGNUM *bn;
	char *hex;

	if (c == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	name_str(X509_get_subject_name(c->leaf), out->subject, sizeof(out->subject));
	name_str(X509_get_issuer_name(c->leaf), out->issuer, sizeof(out->issuer));
	sn = X509_get0_serialNumber(c->leaf);
	bn = sn != NULL ? ASN1_INTEGER_to_BN(sn, NULL) : NULL;
	hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	snprintf(out->serial, sizeof(out->serial), "%s", hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	out->not_before = asn1_to_time(X509_get0_notBefore(c->leaf));
	out->not_after = c->not_after;
	out->type = c->type;
	out->n_chain = (unsigned)sk_X509_num(c->chain);
	ERR_clear_error();
	return 0;
}
