/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The import object: diagnostics, the text buffer, and the public entry
 * points that do not read input (k8s_load.c reads, k8s_translate.c writes).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_priv.h"

void
kb_vprintf(struct k8s_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	size_t need;
	char *np;
	int n;

	if (b->oom)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if (b->p != NULL && (size_t)n < b->cap - b->len) {
		b->len += (size_t)n;
		return;
	}
	need = b->len + (size_t)n + 1;
	if (need < 256)
		need = 256;
	if (need < b->cap * 2)
		need = b->cap * 2;
	np = realloc(b->p, need);
	if (np == NULL) {
		b->oom = 1;
		return;
	}
	b->p = np;
	b->cap = need;
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	b->len += (size_t)n;
}

void
kb_printf(struct k8s_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kb_vprintf(b, fmt, ap);
	va_end(ap);
}

void
kfield(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

void
kb_free(struct k8s_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int
k8s_grow(void **arr, unsigned *cap, unsigned n, size_t size)
{
	unsigned ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	p = realloc(*arr, (size_t)ncap * size);
	if (p == NULL)
		return -ENOMEM;
	memset((char *)p + (size_t)*cap * size, 0, (size_t)(ncap - *cap) * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

void
k8s_diag(struct fo_k8s *k, enum k8s_level lvl, const struct k8s_meta *m, const struct k8s_loc *loc,
	const char *field, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "note"};
	va_list ap;

	if (loc == NULL && m != NULL)
		loc = &m->loc;
	kb_printf(&k->msgs, "%s: ", names[lvl]);
	if (loc != NULL && loc->file != NULL)
		kb_printf(&k->msgs, "%s:%u:%u: ", loc->file, loc->line, loc->col);
	if (m != NULL)
		kb_printf(&k->msgs, "%s %s/%s: ", m->kind, m->ns, m->name);
	if (field != NULL && field[0] != '\0')
		kb_printf(&k->msgs, "%s: ", field);
	va_start(ap, fmt);
	kb_vprintf(&k->msgs, fmt, ap);
	va_end(ap);
	kb_printf(&k->msgs, "\n");
	if (lvl == K8S_ERROR)
		k->n_err++;
	else if (lvl == K8S_WARNING)
		k->n_warn++;
}

/** A block of the arena; objects never outlive the import. */
struct k8s_arena {
	struct k8s_arena *next;
	size_t used, cap;
	max_align_t data[];
};

void *
k8s_zalloc(struct fo_k8s *k, size_t size)
{
	struct k8s_arena *a = k->arena;
	size_t cap;
	char *p;

	size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (size == 0)
		size = sizeof(max_align_t);
	if (a == NULL || a->cap - a->used < size) {
		cap = size > 32768 ? size : 32768;
		a = calloc(1, sizeof(*a) + cap);
		if (a == NULL) {
			k->oom = 1;
			return NULL;
		}
		a->cap = cap;
		a->next = k->arena;
		k->arena = a;
	}
	p = (char *)a->data + a->used;
	a->used += size;
	return p;
}

struct fo_k8s *
fo_k8s_new(void)
{
	struct fo_k8s *k = calloc(1, sizeof(struct fo_k8s));

	if (k != NULL)
		memcpy(k->ns, "default", sizeof("default"));
	return k;
}

int
fo_k8s_set_namespace(struct fo_k8s *k, const char *ns)
{
	size_t n = strlen(ns), i;

	/* a DNS label, as Kubernetes requires of namespaces */
	if (n == 0 || n > 63 || ns[0] == '-' || ns[n - 1] == '-')
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!((ns[i] >= 'a' && ns[i] <= 'z') || (ns[i] >= '0' && ns[i] <= '9') ||
			    ns[i] == '-'))
			return -EINVAL;
	memcpy(k->ns, ns, n + 1);
	return 0;
}

void
fo_k8s_free(struct fo_k8s *k)
{
	unsigned i, j;

	if (k == NULL)
		return;
	for (i = 0; i < k->n_ing; i++) {
		for (j = 0; j < k->ing[i].n_rules; j++)
			free(k->ing[i].rules[j].paths);
		free(k->ing[i].rules);
	}
	free(k->ing);
	for (i = 0; i < k->n_svc; i++)
		free(k->svc[i].ports);
	free(k->svc);
	for (i = 0; i < k->n_sl; i++) {
		for (j = 0; j < k->sl[i].n_eps; j++)
			free(k->sl[i].eps[j].addrs);
		free(k->sl[i].eps);
		free(k->sl[i].ports);
	}
	free(k->sl);
	free(k->hr);
	free(k->sec);
	free(k->gw);
	free(k->tr);
	free(k->cm);
	k8s_files_reset(k);
	free(k->files);
	free(k->pub_files);
	while (k->arena != NULL) {
		struct k8s_arena *next = k->arena->next;

		free(k->arena);
		k->arena = next;
	}
	for (i = 0; i < k->n_docs; i++) {
		yaml_document_delete(&k->docs[i]->doc);
		free(k->docs[i]->file);
		free(k->docs[i]);
	}
	free(k->docs);
	kb_free(&k->msgs);
	free(k);
}

void
k8s_files_reset(struct fo_k8s *k)
{
	unsigned i;

	for (i = 0; i < k->n_files; i++)
		free(k->files[i].path);
	k->n_files = 0;
}

unsigned
fo_k8s_files(const struct fo_k8s *k, const struct fo_k8s_file **files)
{
	*files = k->n_files > 0 ? k->pub_files : NULL;
	return k->n_files;
}

const char *
fo_k8s_messages(const struct fo_k8s *k)
{
	return k->msgs.p != NULL ? k->msgs.p : "";
}

unsigned
fo_k8s_errors(const struct fo_k8s *k)
{
	return k->n_err;
}

unsigned
fo_k8s_warnings(const struct fo_k8s *k)
{
	return k->n_warn;
}

int
fo_k8s_translate(struct fo_k8s *k, const struct fo_k8s_opts *opts, char **out, size_t *out_len)
{
	static const struct fo_k8s_opts defaults;
	struct k8s_buf b = {0};
	int rc;

	if (opts == NULL)
		opts = &defaults;
	k8s_files_reset(k);
	rc = k8s_translate_run(k, opts, &b);
	if (rc == 0 && (b.oom || k->oom || k->msgs.oom))
		rc = -ENOMEM;
	if (rc == 0 && k->n_err > 0)
		rc = -EINVAL;
	if (rc == 0 && opts->strict && k->n_warn > 0) {
		k8s_diag(k, K8S_ERROR, NULL, NULL, NULL,
			"%u warning%s and --strict: no config written", k->n_warn,
			k->n_warn == 1 ? "" : "s");
		rc = -EINVAL;
	}
	if (rc != 0) {
		k8s_files_reset(k); /* no file for a config not written */
		kb_free(&b);
		return rc;
	}
	if (b.p == NULL)
		kb_printf(&b, "%s", "");
	if (b.oom) {
		k8s_files_reset(k);
		kb_free(&b);
		return -ENOMEM;
	}
	*out = b.p;
	if (out_len != NULL)
		*out_len = b.len;
	return 0;
}
