/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Gateway API HTTPRoute (gateway.networking.k8s.io/v1 and v1beta1):
 * hostnames, and per rule its matches (path, headers, query parameters,
 * method), filters (request and response header modifiers, RequestRedirect,
 * URLRewrite) and backendRefs. Filters fanout has no equivalent for
 * (RequestMirror, ExtensionRef, CORS...) are recorded and warned about at
 * translation. Everything lives in the import's arena.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_obj.h"

static void *
arr(struct objctx *c, unsigned n, size_t size)
{
	return k8s_zalloc(c->k, (size_t)(n ? n : 1) * size);
}

/** headers[] or queryParams[] of a match. @return 0 or -ENOMEM. */
static int
read_kvs(struct objctx *c, yaml_node_t *seq, const char *field, struct k8s_kv **out, unsigned *n)
{
	char f[K8S_FIELD_MAX + 32];
	const char *type;
	yaml_node_t *it;
	unsigned i, len = ko_len(seq);

	*out = arr(c, len, sizeof(**out));
	if (*out == NULL)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		struct k8s_kv *kv = &(*out)[*n];

		it = ko_item(c, seq, i);
		kfield(f, sizeof(f), "%s[%u]", field, i);
		if (it == NULL || it->type != YAML_MAPPING_NODE) {
			ko_err(c, it, f, "expected a mapping");
			continue;
		}
		kfield(f, sizeof(f), "%s[%u].name", field, i);
		kv->name = ko_str(c, it, "name", f);
		if (kv->name == NULL)
			ko_err(c, it, f, "missing");
		kfield(f, sizeof(f), "%s[%u].value", field, i);
		kv->value = ko_str(c, it, "value", f);
		if (kv->value == NULL)
			ko_err(c, it, f, "missing");
		kfield(f, sizeof(f), "%s[%u].type", field, i);
		type = ko_str(c, it, "type", f);
		if (type == NULL || strcmp(type, "Exact") == 0)
			kv->regex = 0;
		else if (strcmp(type, "RegularExpression") == 0)
			kv->regex = 1;
		else
			ko_err(c, ko_get(c, it, "type"), f,
				"unknown type \"%s\" (expected Exact or RegularExpression)", type);
		if (kv->name != NULL && kv->value != NULL)
			(*n)++;
	}
	return 0;
}

static int
read_match(struct objctx *c, yaml_node_t *mn, struct k8s_hmatch *m)
{
	char f[K8S_FIELD_MAX + 32];
	yaml_node_t *pn, *sq;
	const char *type;
	int rc;

	m->loc = ky_loc(c->kd, mn);
	m->ptype = K8S_HPATH_PREFIX;
	m->path = "/";
	kfield(f, sizeof(f), "%s.path", m->field);
	pn = ko_map(c, mn, "path", f);
	if (pn != NULL) {
		kfield(f, sizeof(f), "%s.path.type", m->field);
		type = ko_str(c, pn, "type", f);
		if (type == NULL || strcmp(type, "PathPrefix") == 0)
			m->ptype = K8S_HPATH_PREFIX;
		else if (strcmp(type, "Exact") == 0)
			m->ptype = K8S_HPATH_EXACT;
		else if (strcmp(type, "RegularExpression") == 0)
			m->ptype = K8S_HPATH_REGEX;
		else
			ko_err(c, ko_get(c, pn, "type"), f,
				"unknown type \"%s\" (expected Exact, PathPrefix or "
				"RegularExpression)",
				type);
		kfield(f, sizeof(f), "%s.path.value", m->field);
		m->path = ko_str(c, pn, "value", f);
		if (m->path == NULL || m->path[0] == '\0')
			m->path = "/";
		else if (m->ptype != K8S_HPATH_REGEX && m->path[0] != '/')
			ko_err(c, ko_get(c, pn, "value"), f, "must start with \"/\"");
	}
	kfield(f, sizeof(f), "%s.headers", m->field);
	sq = ko_seq(c, mn, "headers", f);
	if (sq != NULL && (rc = read_kvs(c, sq, f, &m->headers, &m->n_headers)) != 0)
		return rc;
	kfield(f, sizeof(f), "%s.queryParams", m->field);
	sq = ko_seq(c, mn, "queryParams", f);
	if (sq != NULL && (rc = read_kvs(c, sq, f, &m->query, &m->n_query)) != 0)
		return rc;
	kfield(f, sizeof(f), "%s.method", m->field);
	m->method = ko_str(c, mn, "method", f);
	return 0;
}

/** set[] / add[] / remove[] of a header modifier. @return 0 or -ENOMEM. */
static int
read_hdr_mod(struct objctx *c, yaml_node_t *mod, const char *field, struct k8s_hfilter *hf)
{
	static const char *const keys[] = {"set", "add", "remove"};
	char f[K8S_FIELD_MAX + 64];
	yaml_node_t *sq[3], *it;
	unsigned i, j, total = 0;

	for (j = 0; j < 3; j++) {
		kfield(f, sizeof(f), "%s.%s", field, keys[j]);
		sq[j] = ko_seq(c, mod, keys[j], f);
		total += sq[j] ? ko_len(sq[j]) : 0;
	}
	hf->ops = arr(c, total, sizeof(*hf->ops));
	if (hf->ops == NULL)
		return -ENOMEM;
	for (j = 0; j < 3; j++) {
		for (i = 0; sq[j] != NULL && i < ko_len(sq[j]); i++) {
			struct k8s_hdr_op *op = &hf->ops[hf->n_ops];

			it = ko_item(c, sq[j], i);
			kfield(f, sizeof(f), "%s.%s[%u]", field, keys[j], i);
			op->op = keys[j][0] == 's' ? 's' : keys[j][0] == 'a' ? 'a' : 'r';
			if (j == 2) {
				op->name = ky_str(it);
				if (op->name == NULL)
					ko_err(c, it, f, "expected a header name");
			} else if (it == NULL || it->type != YAML_MAPPING_NODE) {
				ko_err(c, it, f, "expected a mapping with name and value");
			} else {
				op->name = ko_str(c, it, "name", f);
				op->value = ko_str(c, it, "value", f);
				if (op->name == NULL || op->value == NULL)
					ko_err(c, it, f, "needs a name and a value");
			}
			if (op->name != NULL && (j == 2 || op->value != NULL))
				hf->n_ops++;
		}
	}
	return 0;
}

/** RequestRedirect / URLRewrite's path. */
static void
read_path_mod(struct objctx *c, yaml_node_t *mod, const char *field, struct k8s_hfilter *hf)
{
	char f[K8S_FIELD_MAX + 64];
	yaml_node_t *pn;
	const char *type;

	kfield(f, sizeof(f), "%s.path", field);
	pn = ko_map(c, mod, "path", f);
	if (pn == NULL)
		return;
	kfield(f, sizeof(f), "%s.path.type", field);
	type = ko_str(c, pn, "type", f);
	if (type != NULL && strcmp(type, "ReplaceFullPath") == 0) {
		kfield(f, sizeof(f), "%s.path.replaceFullPath", field);
		hf->path = ko_str(c, pn, "replaceFullPath", f);
	} else if (type != NULL && strcmp(type, "ReplacePrefixMatch") == 0) {
		kfield(f, sizeof(f), "%s.path.replacePrefixMatch", field);
		hf->path = ko_str(c, pn, "replacePrefixMatch", f);
		hf->prefix = 1;
	} else {
		ko_err(c, pn, f, "expected ReplaceFullPath or ReplacePrefixMatch");
		return;
	}
	if (hf->path == NULL)
		ko_err(c, pn, f, "missing");
	else if (hf->path[0] != '/')
		ko_err(c, pn, f, "\"%s\" must start with \"/\"", hf->path);
}

/** One filter. @return 1 kept, 0 not one fanout has (warned later), -ENOMEM. */
static int
read_filter(struct objctx *c, yaml_node_t *fn, struct k8s_hfilter *hf)
{
	char f[K8S_FIELD_MAX + 64];
	const char *type;
	yaml_node_t *mod;

	hf->loc = ky_loc(c->kd, fn);
	kfield(f, sizeof(f), "%s.type", hf->field);
	type = ko_str(c, fn, "type", f);
	if (type == NULL) {
		ko_err(c, fn, f, "missing");
		return 0;
	}
	if (strcmp(type, "RequestHeaderModifier") == 0 ||
		strcmp(type, "ResponseHeaderModifier") == 0) {
		const char *key = type[1] == 'e' && type[2] == 'q' ? "requestHeaderModifier"
								   : "responseHeaderModifier";

		hf->type = key[2] == 'q' ? K8S_HF_REQ_HEADER : K8S_HF_RESP_HEADER;
		kfield(f, sizeof(f), "%s.%s", hf->field, key);
		mod = ko_map(c, fn, key, f);
		if (mod == NULL) {
			ko_err(c, fn, f, "missing");
			return 0;
		}
		return read_hdr_mod(c, mod, f, hf) == 0 ? 1 : -ENOMEM;
	}
	if (strcmp(type, "RequestRedirect") == 0 || strcmp(type, "URLRewrite") == 0) {
		const char *key = type[0] == 'R' ? "requestRedirect" : "urlRewrite";

		hf->type = type[0] == 'R' ? K8S_HF_REDIRECT : K8S_HF_REWRITE;
		kfield(f, sizeof(f), "%s.%s", hf->field, key);
		mod = ko_map(c, fn, key, f);
		if (mod == NULL) {
			ko_err(c, fn, f, "missing");
			return 0;
		}
		read_path_mod(c, mod, f, hf);
		kfield(f, sizeof(f), "%s.%s.hostname", hf->field, key);
		hf->hostname = ko_str(c, mod, "hostname", f);
		if (hf->type == K8S_HF_REDIRECT) {
			kfield(f, sizeof(f), "%s.%s.scheme", hf->field, key);
			hf->scheme = ko_str(c, mod, "scheme", f);
			if (hf->scheme != NULL && strcmp(hf->scheme, "http") != 0 &&
				strcmp(hf->scheme, "https") != 0)
				ko_err(c, ko_get(c, mod, "scheme"), f, "expected http or https");
			kfield(f, sizeof(f), "%s.%s.port", hf->field, key);
			ko_int(c, mod, "port", f, 1, 65535, &hf->port);
			kfield(f, sizeof(f), "%s.%s.statusCode", hf->field, key);
			if (ko_int(c, mod, "statusCode", f, 301, 302, &hf->status) == 0)
				hf->status = 302;
		}
		return 1;
	}
	return 0;
}

static int
read_backend_ref(struct objctx *c, yaml_node_t *bn, struct k8s_hbackend *hb)
{
	char f[K8S_FIELD_MAX + 64];
	const char *kind, *group;

	hb->be.loc = ky_loc(c->kd, bn);
	hb->be.flat = 1;
	hb->weight = 1;
	kfield(f, sizeof(f), "%s.kind", hb->be.field);
	kind = ko_str(c, bn, "kind", f);
	kfield(f, sizeof(f), "%s.group", hb->be.field);
	group = ko_str(c, bn, "group", f);
	if ((kind != NULL && strcmp(kind, "Service") != 0) || (group != NULL && group[0] != '\0')) {
		ko_err(c, bn, hb->be.field,
			"only Service backends are supported (this one is %s%s%s)",
			group && group[0] ? group : "", group && group[0] ? "/" : "",
			kind ? kind : "Service");
		return 0;
	}
	kfield(f, sizeof(f), "%s.name", hb->be.field);
	hb->be.svc = ko_str(c, bn, "name", f);
	if (hb->be.svc == NULL)
		ko_err(c, bn, f, "missing");
	kfield(f, sizeof(f), "%s.namespace", hb->be.field);
	hb->ns = ko_str(c, bn, "namespace", f);
	kfield(f, sizeof(f), "%s.port", hb->be.field);
	if (ko_int(c, bn, "port", f, 1, 65535, &hb->be.port_num) == 0)
		ko_err(c, bn, f, "missing (required for a Service)");
	kfield(f, sizeof(f), "%s.weight", hb->be.field);
	ko_int(c, bn, "weight", f, 0, 1000000, &hb->weight);
	if (ko_get(c, bn, "filters") != NULL)
		hb->weight = -1; /* per-backend filters: warned about at translation */
	return 1;
}

static int
read_rule(struct objctx *c, yaml_node_t *rn, unsigned ri, struct k8s_hrule *r)
{
	char f[K8S_FIELD_MAX];
	yaml_node_t *sq, *it;
	unsigned i, n;
	int rc;

	r->loc = ky_loc(c->kd, rn);
	kfield(f, sizeof(f), "spec.rules[%u].matches", ri);
	sq = ko_seq(c, rn, "matches", f);
	n = sq ? ko_len(sq) : 0;
	r->matches = arr(c, n ? n : 1, sizeof(*r->matches));
	if (r->matches == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_hmatch *m = &r->matches[r->n_matches];

		it = ko_item(c, sq, i);
		kfield(m->field, sizeof(m->field), "spec.rules[%u].matches[%u]", ri, i);
		if (it == NULL || it->type != YAML_MAPPING_NODE) {
			ko_err(c, it, m->field, "expected a mapping");
			continue;
		}
		if ((rc = read_match(c, it, m)) != 0)
			return rc;
		r->n_matches++;
	}
	if (n == 0) { /* no match: every request, as PathPrefix "/" */
		r->matches[0].ptype = K8S_HPATH_PREFIX;
		r->matches[0].path = "/";
		r->matches[0].loc = r->loc;
		kfield(r->matches[0].field, sizeof(r->matches[0].field), "spec.rules[%u]", ri);
		r->n_matches = 1;
	}
	kfield(f, sizeof(f), "spec.rules[%u].filters", ri);
	sq = ko_seq(c, rn, "filters", f);
	n = sq ? ko_len(sq) : 0;
	r->filters = arr(c, n, sizeof(*r->filters));
	if (r->filters == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_hfilter *hf = &r->filters[r->n_filters];

		kfield(hf->field, sizeof(hf->field), "spec.rules[%u].filters[%u]", ri, i);
		rc = read_filter(c, ko_item(c, sq, i), hf);
		if (rc < 0)
			return rc;
		if (rc == 1)
			r->n_filters++;
		else if (!c->bad && r->bad_filter == 0) {
			r->bad_filter = (int)i + 1;
			r->bad_type = ky_str(ky_get(&c->kd->doc, ko_item(c, sq, i), "type"));
		}
	}
	kfield(f, sizeof(f), "spec.rules[%u].backendRefs", ri);
	sq = ko_seq(c, rn, "backendRefs", f);
	n = sq ? ko_len(sq) : 0;
	r->backends = arr(c, n, sizeof(*r->backends));
	if (r->backends == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_hbackend *hb = &r->backends[r->n_backends];

		kfield(hb->be.field, sizeof(hb->be.field), "spec.rules[%u].backendRefs[%u]", ri, i);
		it = ko_item(c, sq, i);
		if (it == NULL || it->type != YAML_MAPPING_NODE) {
			ko_err(c, it, hb->be.field, "expected a mapping");
			continue;
		}
		r->n_backends += (unsigned)read_backend_ref(c, it, hb);
	}
	return 0;
}

int
k8s_read_httproute(struct objctx *c, yaml_node_t *obj, struct k8s_httproute *h)
{
	yaml_node_t *spec = ko_map(c, obj, "spec", "spec"), *sq, *it;
	char f[K8S_FIELD_MAX];
	unsigned i, n;
	int rc;

	sq = ko_seq(c, spec, "hostnames", "spec.hostnames");
	n = sq ? ko_len(sq) : 0;
	h->hostnames = arr(c, n, sizeof(*h->hostnames));
	if (h->hostnames == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		it = ko_item(c, sq, i);
		if (ky_str(it) == NULL) {
			kfield(f, sizeof(f), "spec.hostnames[%u]", i);
			ko_err(c, it, f, "expected a string");
			continue;
		}
		h->hostnames[h->n_hostnames++] = ky_str(it);
	}
	sq = ko_seq(c, spec, "rules", "spec.rules");
	n = sq ? ko_len(sq) : 0;
	h->rules = arr(c, n, sizeof(*h->rules));
	if (h->rules == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		it = ko_item(c, sq, i);
		if (it == NULL || it->type != YAML_MAPPING_NODE) {
			kfield(f, sizeof(f), "spec.rules[%u]", i);
			ko_err(c, it, f, "expected a mapping");
			continue;
		}
		if ((rc = read_rule(c, it, i, &h->rules[h->n_rules])) != 0)
			return rc;
		h->n_rules++;
	}
	return 0;
}
