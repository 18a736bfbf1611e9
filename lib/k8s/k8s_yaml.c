/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading objects out of libyaml trees: fields by key, with their line and
 * column, and every problem recorded with the object and the field path
 * as kubectl names it (spec.rules[0].http.paths[1].backend.service.port.name).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_obj.h"

yaml_node_t *
ky_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *kn;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		kn = yaml_document_get_node(d, p->key);
		if (kn != NULL && kn->type == YAML_SCALAR_NODE &&
			strcmp((const char *)kn->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

const char *
ky_str(yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

struct k8s_loc
ky_loc(const struct k8s_doc *kd, yaml_node_t *n)
{
	struct k8s_loc l = {.file = kd->file, .line = 1, .col = 1};

	if (n != NULL) {
		l.line = (unsigned)n->start_mark.line + 1;
		l.col = (unsigned)n->start_mark.column + 1;
	}
	return l;
}

/** A YAML null ("", "~", "null" plain) counts as absent. */
static int
is_null(yaml_node_t *n)
{
	const char *s = ky_str(n);

	if (n == NULL)
		return 1;
	if (s == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

void
ko_err(struct objctx *c, yaml_node_t *n, const char *field, const char *fmt, ...)
{
	struct k8s_loc loc = ky_loc(c->kd, n);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k8s_diag(c->k, K8S_ERROR, c->m, &loc, field, "%s", msg);
	c->bad = 1;
}

yaml_node_t *
ko_get(struct objctx *c, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = ky_get(&c->kd->doc, map, key);

	return is_null(n) ? NULL : n;
}

yaml_node_t *
ko_item(struct objctx *c, yaml_node_t *seq, unsigned i)
{
	return yaml_document_get_node(&c->kd->doc, seq->data.sequence.items.start[i]);
}

unsigned
ko_len(yaml_node_t *n)
{
	return (unsigned)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/** A scalar string field, or NULL (absent); an error when it is not a scalar. */
const char *
ko_str(struct objctx *c, yaml_node_t *map, const char *key, const char *field)
{
	yaml_node_t *n = ko_get(c, map, key);

	if (n == NULL)
		return NULL;
	if (n->type != YAML_SCALAR_NODE) {
		ko_err(c, n, field, "expected a string");
		return NULL;
	}
	return ky_str(n);
}

/** A sequence field or NULL (absent); an error when it is something else. */
yaml_node_t *
ko_seq(struct objctx *c, yaml_node_t *map, const char *key, const char *field)
{
	yaml_node_t *n = ko_get(c, map, key);

	if (n != NULL && n->type != YAML_SEQUENCE_NODE) {
		ko_err(c, n, field, "expected a list");
		return NULL;
	}
	return n;
}

yaml_node_t *
ko_map(struct objctx *c, yaml_node_t *map, const char *key, const char *field)
{
	yaml_node_t *n = ko_get(c, map, key);

	if (n != NULL && n->type != YAML_MAPPING_NODE) {
		ko_err(c, n, field, "expected a mapping");
		return NULL;
	}
	return n;
}

/** An integer field in [lo, hi]. @return 1 when present and valid, 0 when absent, -1 bad. */
int
ko_int(struct objctx *c, yaml_node_t *map, const char *key, const char *field, long lo, long hi,
	long *v)
{
	yaml_node_t *n = ko_get(c, map, key);
	const char *s;
	char *end;

	if (n == NULL)
		return 0;
	s = ky_str(n);
	if (s == NULL || s[0] < '0' || s[0] > '9') {
		ko_err(c, n, field, "expected an integer");
		return -1;
	}
	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || *v < lo || *v > hi) {
		ko_err(c, n, field, "invalid value \"%s\" (expected %ld..%ld)", s, lo, hi);
		return -1;
	}
	return 1;
}

/** A bool field: 1/0, or @p def when absent; an error otherwise. */
int
ko_bool(struct objctx *c, yaml_node_t *map, const char *key, const char *field, int def)
{
	yaml_node_t *n = ko_get(c, map, key);
	const char *s;

	if (n == NULL)
		return def;
	s = ky_str(n);
	if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0))
		return 1;
	if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "False") == 0))
		return 0;
	ko_err(c, n, field, "expected true or false");
	return def;
}
