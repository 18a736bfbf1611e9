/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SNI selection: a sorted table of names (exact DNS names and "*.domain"
 * wildcards), searched by binary search for the exact name, then for the
 * wildcard one label up (RFC 6125 6.4.3: the wildcard stands for exactly
 * one whole left-most label), then the default. A pure function of the
 * table and the name: no allocation, no lock, no OpenSSL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fo_tls.h"
#include "tls_match.h"

#define SNI_MAX 253

struct sni_pair {
	const char *name;
	uint32_t idx;
	unsigned order;
};

static int
pair_cmp(const void *a, const void *b)
{
	const struct sni_pair *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* A DNS name, or "*." and a name of at least two labels. */
static int
sni_name_ok(const char *s)
{
	size_t len = strlen(s), i, label = 0, labels = 1;

	if (len == 0 || len > SNI_MAX)
		return 0;
	if (s[0] == '*') {
		if (s[1] != '.')
			return 0;
		s += 2;
		len -= 2;
		if (len == 0 || strchr(s, '.') == NULL)
			return 0; /* "*.com" would match every name of a TLD */
	}
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (label == 0)
				return 0;
			label = 0;
			labels++;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && labels >= 1;
}

int
fo_tls_sni_build(struct fo_tls_sni *t, const char *const *names, const uint32_t *idx, unsigned n,
	int64_t default_idx, int strict, char *err, size_t errlen)
{
	struct sni_pair *pairs = calloc(n ? n : 1, sizeof(*pairs));
	unsigned i, j, k;

	memset(t, 0, sizeof(*t));
	t->default_idx = default_idx;
	t->strict = strict != 0;
	if (pairs == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!sni_name_ok(names[i])) {
			if (err != NULL)
				snprintf(err, errlen,
					"%s: not a DNS name nor a one-label wildcard "
					"(*.example.com)",
					names[i]);
			free(pairs);
			return -EINVAL;
		}
		pairs[i] = (struct sni_pair){.name = names[i], .idx = idx[i], .order = i};
	}
	qsort(pairs, n, sizeof(*pairs), pair_cmp);
	t->names = calloc(n ? n : 1, sizeof(*t->names));
	if (t->names == NULL) {
		free(pairs);
		return -ENOMEM;
	}
	for (i = 0, j = 0; i < n; i++) {
		if (j > 0 && strcasecmp(t->names[j - 1].name, pairs[i].name) == 0)
			continue; /* listed twice: the first wins (lowest order sorts first) */
		for (k = 0; pairs[i].name[k] != '\0'; k++) {
			char ch = pairs[i].name[k];

			t->names[j].name[k] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		t->names[j].idx = pairs[i].idx;
		j++;
	}
	t->n = j;
	free(pairs);
	return 0;
}

void
fo_tls_sni_release(struct fo_tls_sni *t)
{
	free(t->names);
	t->names = NULL;
	t->n = 0;
}

static const struct fo_tls_sni_name *
sni_find(const struct fo_tls_sni *t, const char *key)
{
	unsigned lo = 0, hi = t->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		int c = strcmp(key, t->names[mid].name);

		if (c == 0)
			return &t->names[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int64_t
tls_sni_fallback(const struct fo_tls_sni *t)
{
	return t->strict || t->default_idx < 0 ? FO_TLS_SNI_REFUSE : t->default_idx;
}

int64_t
tls_sni_match(const struct fo_tls_sni *t, const char *sni, size_t len)
{
	char buf[SNI_MAX + 2]; /* buf[1..]: the name, lower-cased, NUL-terminated; the
				* wildcard key overwrites the end of its first label */
	const struct fo_tls_sni_name *hit;
	char *dot;
	size_t i;

	if (sni == NULL || len == 0)
		return FO_TLS_SNI_REFUSE;
	if (sni[len - 1] == '.')
		len--;
	if (len == 0 || len > SNI_MAX)
		return FO_TLS_SNI_REFUSE;
	for (i = 0; i < len; i++) {
		char ch = sni[i];

		if (ch == '\0' || ch == '*')
			return FO_TLS_SNI_REFUSE; /* never matches a name, nor a wildcard */
		buf[i + 1] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	buf[len + 1] = '\0';
	hit = sni_find(t, buf + 1);
	if (hit != NULL)
		return hit->idx;
	dot = memchr(buf + 1, '.', len);
	if (dot != NULL && dot > buf + 1 && dot[1] != '\0') {
		/* "a.example.com" -> "*.example.com": one label only */
		dot[-1] = '*';
		hit = sni_find(t, dot - 1);
		if (hit != NULL)
			return hit->idx;
	}
	return FO_TLS_SNI_REFUSE;
}

int64_t
fo_tls_sni_select(const struct fo_tls_sni *t, const char *sni, size_t len)
{
	int64_t idx = tls_sni_match(t, sni, len);

	return idx != FO_TLS_SNI_REFUSE ? idx : tls_sni_fallback(t);
}
