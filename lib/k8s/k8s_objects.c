/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The object model: Ingress (networking.k8s.io/v1), Service (v1) and
 * EndpointSlice (discovery.k8s.io/v1) read from libyaml trees. Every
 * problem names the object and the field path as kubectl does
 * (spec.rules[0].http.paths[1].backend.service.port.name).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_priv.h"

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

/** The parsing context of one object. */
struct objctx {
	struct fo_k8s *k;
	struct k8s_doc *kd;
	struct k8s_meta *m;
	int bad;
};

static void oerr(struct objctx *c, yaml_node_t *n, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
oerr(struct objctx *c, yaml_node_t *n, const char *field, const char *fmt, ...)
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

static yaml_node_t *
get(struct objctx *c, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = ky_get(&c->kd->doc, map, key);

	return is_null(n) ? NULL : n;
}

static yaml_node_t *
item(struct objctx *c, yaml_node_t *seq, unsigned i)
{
	return yaml_document_get_node(&c->kd->doc, seq->data.sequence.items.start[i]);
}

static unsigned
seq_len(yaml_node_t *n)
{
	return (unsigned)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/** A scalar string field, or NULL (absent); an error when it is not a scalar. */
static const char *
get_str(struct objctx *c, yaml_node_t *map, const char *key, const char *field)
{
	yaml_node_t *n = get(c, map, key);

	if (n == NULL)
		return NULL;
	if (n->type != YAML_SCALAR_NODE) {
		oerr(c, n, field, "expected a string");
		return NULL;
	}
	return ky_str(n);
}

/** A sequence field or NULL (absent); an error when it is something else. */
static yaml_node_t *
get_seq(struct objctx *c, yaml_node_t *map, const char *key, const char *field)
{
	yaml_node_t *n = get(c, map, key);

	if (n != NULL && n->type != YAML_SEQUENCE_NODE) {
		oerr(c, n, field, "expected a list");
		return NULL;
	}
	return n;
}

static yaml_node_t *
get_map(struct objctx *c, yaml_node_t *map, const char *key, const char *field)
{
	yaml_node_t *n = get(c, map, key);

	if (n != NULL && n->type != YAML_MAPPING_NODE) {
		oerr(c, n, field, "expected a mapping");
		return NULL;
	}
	return n;
}

/** An integer field in [lo, hi]. @return 1 when present and valid, 0 when absent, -1 bad. */
static int
get_int(struct objctx *c, yaml_node_t *map, const char *key, const char *field, long lo, long hi,
	long *v)
{
	yaml_node_t *n = get(c, map, key);
	const char *s;
	char *end;

	if (n == NULL)
		return 0;
	s = ky_str(n);
	if (s == NULL || s[0] < '0' || s[0] > '9') {
		oerr(c, n, field, "expected an integer");
		return -1;
	}
	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || *v < lo || *v > hi) {
		oerr(c, n, field, "invalid value \"%s\" (expected %ld..%ld)", s, lo, hi);
		return -1;
	}
	return 1;
}

/** A bool field: 1/0, or @p def when absent; an error otherwise. */
static int
get_bool(struct objctx *c, yaml_node_t *map, const char *key, const char *field, int def)
{
	yaml_node_t *n = get(c, map, key);
	const char *s;

	if (n == NULL)
		return def;
	s = ky_str(n);
	if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0))
		return 1;
	if (s != NULL && (strcmp(s, "false") == 0 || strcmp(s, "False") == 0))
		return 0;
	oerr(c, n, field, "expected true or false");
	return def;
}

static int
read_meta(struct objctx *c, yaml_node_t *obj, const char *kind)
{
	yaml_node_t *md = get_map(c, obj, "metadata", "metadata");
	struct k8s_meta *m = c->m;

	m->kind = kind;
	m->doc = &c->kd->doc;
	m->loc = ky_loc(c->kd, obj);
	m->seq = c->k->n_objects;
	m->ns = "default";
	m->name = "?";
	if (md == NULL) {
		oerr(c, obj, "metadata.name", "missing");
		return -1;
	}
	m->ns = get_str(c, md, "namespace", "metadata.namespace");
	if (m->ns == NULL || m->ns[0] == '\0')
		m->ns = "default";
	m->name = get_str(c, md, "name", "metadata.name");
	if (m->name == NULL || m->name[0] == '\0') {
		m->name = "?";
		oerr(c, md, "metadata.name", "missing");
	}
	m->created = get_str(c, md, "creationTimestamp", "metadata.creationTimestamp");
	m->annotations = get_map(c, md, "annotations", "metadata.annotations");
	return c->bad ? -1 : 0;
}

/* --- Ingress */

static void
read_backend(struct objctx *c, yaml_node_t *bn, const char *field, struct k8s_backend *be)
{
	yaml_node_t *sn, *pn;
	char f[K8S_FIELD_MAX + 64];
	int r;

	memset(be, 0, sizeof(*be));
	kfield(be->field, sizeof(be->field), "%s", field);
	be->loc = ky_loc(c->kd, bn);
	kfield(f, sizeof(f), "%s.service", field);
	sn = get_map(c, bn, "service", f);
	if (sn == NULL) {
		if (get(c, bn, "resource") != NULL) {
			kfield(f, sizeof(f), "%s.resource", field);
			oerr(c, get(c, bn, "resource"), f,
				"resource backends are not supported (only service backends)");
		} else if (!c->bad) {
			oerr(c, bn, f, "missing");
		}
		return;
	}
	kfield(f, sizeof(f), "%s.service.name", field);
	be->svc = get_str(c, sn, "name", f);
	if (be->svc == NULL || be->svc[0] == '\0') {
		oerr(c, sn, f, "missing");
		be->svc = NULL;
		return;
	}
	kfield(f, sizeof(f), "%s.service.port", field);
	pn = get_map(c, sn, "port", f);
	if (pn == NULL) {
		oerr(c, sn, f, "missing (a port number or name)");
		be->svc = NULL;
		return;
	}
	kfield(f, sizeof(f), "%s.service.port.number", field);
	r = get_int(c, pn, "number", f, 1, 65535, &be->port_num);
	kfield(f, sizeof(f), "%s.service.port.name", field);
	be->port_name = get_str(c, pn, "name", f);
	if (be->port_name != NULL && be->port_name[0] == '\0')
		be->port_name = NULL;
	if (r == 0 && be->port_name == NULL) {
		kfield(f, sizeof(f), "%s.service.port", field);
		oerr(c, pn, f, "needs a number or a name");
	} else if (r == 1 && be->port_name != NULL) {
		kfield(f, sizeof(f), "%s.service.port", field);
		oerr(c, pn, f, "has both a number and a name (one of them)");
	}
	if (r < 0 || c->bad)
		be->svc = NULL;
	if (be->port_name != NULL)
		be->port_num = 0;
}

static int
read_paths(struct objctx *c, yaml_node_t *rn, unsigned ri, struct k8s_rule *rule)
{
	yaml_node_t *http, *paths, *pn, *bn;
	char f[K8S_FIELD_MAX];
	const char *type;
	unsigned i, n;

	kfield(f, sizeof(f), "spec.rules[%u].http", ri);
	http = get_map(c, rn, "http", f);
	if (http == NULL)
		return 0; /* a rule without http: only its host (its default backend) */
	kfield(f, sizeof(f), "spec.rules[%u].http.paths", ri);
	paths = get_seq(c, http, "paths", f);
	if (paths == NULL) {
		if (!c->bad)
			oerr(c, http, f, "missing");
		return -1;
	}
	n = seq_len(paths);
	rule->paths = calloc(n ? n : 1, sizeof(*rule->paths));
	if (rule->paths == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_path *p = &rule->paths[rule->n_paths];

		pn = item(c, paths, i);
		kfield(p->field, sizeof(p->field), "spec.rules[%u].http.paths[%u]", ri, i);
		p->loc = ky_loc(c->kd, pn);
		if (pn == NULL || pn->type != YAML_MAPPING_NODE) {
			oerr(c, pn, p->field, "expected a mapping");
			continue;
		}
		kfield(f, sizeof(f), "%s.path", p->field);
		p->path = get_str(c, pn, "path", f);
		kfield(f, sizeof(f), "%s.pathType", p->field);
		type = get_str(c, pn, "pathType", f);
		if (type == NULL)
			oerr(c, pn, f, "missing (Exact, Prefix or ImplementationSpecific)");
		else if (strcmp(type, "Exact") == 0)
			p->type = K8S_PATH_EXACT;
		else if (strcmp(type, "Prefix") == 0)
			p->type = K8S_PATH_PREFIX;
		else if (strcmp(type, "ImplementationSpecific") == 0)
			p->type = K8S_PATH_IMPL;
		else
			oerr(c, get(c, pn, "pathType"), f,
				"unknown pathType \"%s\" (expected Exact, Prefix or "
				"ImplementationSpecific)",
				type);
		if (p->path == NULL || p->path[0] == '\0') {
			if (type != NULL && p->type != K8S_PATH_IMPL) {
				kfield(f, sizeof(f), "%s.path", p->field);
				oerr(c, pn, f, "missing (required for pathType %s)", type);
			}
			p->path = "/";
		} else if (p->type != K8S_PATH_IMPL && p->path[0] != '/') {
			kfield(f, sizeof(f), "%s.path", p->field);
			oerr(c, get(c, pn, "path"), f, "must start with \"/\" (pathType %s)", type);
		}
		kfield(f, sizeof(f), "%s.backend", p->field);
		bn = get_map(c, pn, "backend", f);
		if (bn == NULL) {
			oerr(c, pn, f, "missing");
			continue;
		}
		read_backend(c, bn, f, &p->be);
		rule->n_paths++;
	}
	return 0;
}

static int
read_ingress(struct objctx *c, yaml_node_t *obj, struct k8s_ingress *ing)
{
	yaml_node_t *spec, *rules, *rn, *dn;
	char f[K8S_FIELD_MAX];
	unsigned i, n;
	int rc;

	spec = get_map(c, obj, "spec", "spec");
	ing->class_name = get_str(c, spec, "ingressClassName", "spec.ingressClassName");
	ing->class_annot =
		ky_str(ky_get(c->m->doc, c->m->annotations, "kubernetes.io/ingress.class"));
	dn = get_map(c, spec, "defaultBackend", "spec.defaultBackend");
	if (dn != NULL)
		read_backend(c, dn, "spec.defaultBackend", &ing->def);
	rules = get_seq(c, spec, "rules", "spec.rules");
	if (rules == NULL)
		return 0;
	n = seq_len(rules);
	ing->rules = calloc(n ? n : 1, sizeof(*ing->rules));
	if (ing->rules == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_rule *r = &ing->rules[ing->n_rules];

		rn = item(c, rules, i);
		kfield(f, sizeof(f), "spec.rules[%u]", i);
		if (rn == NULL || rn->type != YAML_MAPPING_NODE) {
			oerr(c, rn, f, "expected a mapping");
			continue;
		}
		r->loc = ky_loc(c->kd, rn);
		kfield(f, sizeof(f), "spec.rules[%u].host", i);
		r->host = get_str(c, rn, "host", f);
		if (r->host != NULL && r->host[0] == '\0')
			r->host = NULL;
		ing->n_rules++;
		rc = read_paths(c, rn, i, r);
		if (rc == -ENOMEM)
			return rc;
	}
	return 0;
}

/* --- Service */

static int
read_service(struct objctx *c, yaml_node_t *obj, struct k8s_service *s)
{
	yaml_node_t *spec = get_map(c, obj, "spec", "spec"), *ports, *pn, *tn;
	char f[K8S_FIELD_MAX];
	unsigned i, n;

	ports = get_seq(c, spec, "ports", "spec.ports");
	if (ports == NULL)
		return 0;
	n = seq_len(ports);
	s->ports = calloc(n ? n : 1, sizeof(*s->ports));
	if (s->ports == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_svc_port *p = &s->ports[s->n_ports];

		pn = item(c, ports, i);
		kfield(f, sizeof(f), "spec.ports[%u]", i);
		if (pn == NULL || pn->type != YAML_MAPPING_NODE) {
			oerr(c, pn, f, "expected a mapping");
			continue;
		}
		kfield(f, sizeof(f), "spec.ports[%u].name", i);
		p->name = get_str(c, pn, "name", f);
		if (p->name == NULL)
			p->name = "";
		kfield(f, sizeof(f), "spec.ports[%u].protocol", i);
		p->protocol = get_str(c, pn, "protocol", f);
		if (p->protocol == NULL)
			p->protocol = "TCP";
		kfield(f, sizeof(f), "spec.ports[%u].port", i);
		if (get_int(c, pn, "port", f, 1, 65535, &p->port) == 0) {
			oerr(c, pn, f, "missing");
			continue;
		}
		kfield(f, sizeof(f), "spec.ports[%u].targetPort", i);
		tn = get(c, pn, "targetPort");
		if (tn == NULL) {
			p->target_num = p->port;
		} else if (ky_str(tn) != NULL && ky_str(tn)[0] >= '0' && ky_str(tn)[0] <= '9') {
			if (get_int(c, pn, "targetPort", f, 1, 65535, &p->target_num) < 0)
				continue;
		} else {
			p->target_name = get_str(c, pn, "targetPort", f);
			if (p->target_name == NULL)
				continue;
		}
		s->n_ports++;
	}
	return 0;
}

/* --- EndpointSlice */

static int
read_endpoint(struct objctx *c, yaml_node_t *en, unsigned i, struct k8s_endpoint *ep)
{
	yaml_node_t *addrs, *cond, *an;
	char f[K8S_FIELD_MAX];
	unsigned j, n;

	ep->loc = ky_loc(c->kd, en);
	kfield(f, sizeof(f), "endpoints[%u].addresses", i);
	addrs = get_seq(c, en, "addresses", f);
	if (addrs == NULL) {
		if (!c->bad)
			oerr(c, en, f, "missing");
		return -1;
	}
	n = seq_len(addrs);
	ep->addrs = calloc(n ? n : 1, sizeof(*ep->addrs));
	if (ep->addrs == NULL)
		return -ENOMEM;
	for (j = 0; j < n; j++) {
		an = item(c, addrs, j);
		if (ky_str(an) == NULL) {
			kfield(f, sizeof(f), "endpoints[%u].addresses[%u]", i, j);
			oerr(c, an, f, "expected a string");
			continue;
		}
		ep->addrs[ep->n_addrs++] = ky_str(an);
	}
	kfield(f, sizeof(f), "endpoints[%u].conditions", i);
	cond = get_map(c, en, "conditions", f);
	/* API semantics: an unknown ready or serving state is to be taken as
	 * true; terminating absent is false */
	kfield(f, sizeof(f), "endpoints[%u].conditions.ready", i);
	ep->ready = get_bool(c, cond, "ready", f, 1);
	kfield(f, sizeof(f), "endpoints[%u].conditions.serving", i);
	ep->serving = get_bool(c, cond, "serving", f, ep->ready);
	kfield(f, sizeof(f), "endpoints[%u].conditions.terminating", i);
	ep->terminating = get_bool(c, cond, "terminating", f, 0);
	return 0;
}

static int
read_slice(struct objctx *c, yaml_node_t *obj, struct k8s_slice *s)
{
	yaml_node_t *md = get(c, obj, "metadata"), *labels, *ports, *eps, *pn;
	char f[K8S_FIELD_MAX];
	unsigned i, n;
	int rc;

	labels = get_map(c, md, "labels", "metadata.labels");
	s->service = ky_str(ky_get(&c->kd->doc, labels, "kubernetes.io/service-name"));
	s->addr_type = get_str(c, obj, "addressType", "addressType");
	if (s->addr_type == NULL)
		oerr(c, obj, "addressType", "missing (IPv4, IPv6 or FQDN)");
	ports = get_seq(c, obj, "ports", "ports");
	n = ports ? seq_len(ports) : 0;
	s->ports = calloc(n ? n : 1, sizeof(*s->ports));
	if (s->ports == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_slice_port *p = &s->ports[s->n_ports];

		pn = item(c, ports, i);
		kfield(f, sizeof(f), "ports[%u]", i);
		if (pn == NULL || pn->type != YAML_MAPPING_NODE) {
			oerr(c, pn, f, "expected a mapping");
			continue;
		}
		kfield(f, sizeof(f), "ports[%u].name", i);
		p->name = get_str(c, pn, "name", f);
		if (p->name == NULL)
			p->name = "";
		kfield(f, sizeof(f), "ports[%u].protocol", i);
		p->protocol = get_str(c, pn, "protocol", f);
		if (p->protocol == NULL)
			p->protocol = "TCP";
		kfield(f, sizeof(f), "ports[%u].port", i);
		if (get_int(c, pn, "port", f, 1, 65535, &p->port) < 0)
			continue;
		s->n_ports++;
	}
	eps = get_seq(c, obj, "endpoints", "endpoints");
	n = eps ? seq_len(eps) : 0;
	s->eps = calloc(n ? n : 1, sizeof(*s->eps));
	if (s->eps == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		pn = item(c, eps, i);
		kfield(f, sizeof(f), "endpoints[%u]", i);
		if (pn == NULL || pn->type != YAML_MAPPING_NODE) {
			oerr(c, pn, f, "expected a mapping");
			continue;
		}
		rc = read_endpoint(c, pn, i, &s->eps[s->n_eps]);
		if (rc == -ENOMEM)
			return rc;
		s->n_eps++;
	}
	return 0;
}

/* --- dispatch */

static int
check_api(struct objctx *c, yaml_node_t *obj, const char *const *ok, unsigned n_ok)
{
	yaml_node_t *an = get(c, obj, "apiVersion");
	const char *api = ky_str(an);
	unsigned i;

	if (api == NULL) {
		oerr(c, obj, "apiVersion", "missing (expected %s)", ok[0]);
		return -1;
	}
	for (i = 0; i < n_ok; i++)
		if (strcmp(api, ok[i]) == 0)
			return 0;
	oerr(c, an, "apiVersion", "%s is not supported (expected %s)", api, ok[0]);
	return -1;
}

int
k8s_add_object(struct fo_k8s *k, struct k8s_doc *kd, yaml_node_t *node, const char *kind)
{
	static const char *const ing_api[] = {"networking.k8s.io/v1"};
	static const char *const svc_api[] = {"v1"};
	static const char *const sl_api[] = {"discovery.k8s.io/v1", "discovery.k8s.io/v1beta1"};
	struct objctx c = {.k = k, .kd = kd};
	const char *own = ky_str(ky_get(&kd->doc, node, "kind"));
	struct k8s_meta meta;
	int rc = 0;

	if (own != NULL && own[0] != '\0')
		kind = own;
	if (kind == NULL || kind[0] == '\0') {
		struct k8s_loc loc = ky_loc(kd, node);

		k8s_diag(k, K8S_ERROR, NULL, &loc, "kind", "missing (not a Kubernetes object)");
		return -EINVAL;
	}
	if (++k->n_objects > FO_K8S_MAX_OBJECTS) {
		struct k8s_loc loc = ky_loc(kd, node);

		if (k->n_objects == FO_K8S_MAX_OBJECTS + 1)
			k8s_diag(k, K8S_ERROR, NULL, &loc, NULL, "too many objects (limit %u)",
				FO_K8S_MAX_OBJECTS);
		return -EINVAL;
	}
	/* enough to name the object in an error before its metadata is read */
	memset(&meta, 0, sizeof(meta));
	meta.kind = kind;
	meta.loc = ky_loc(kd, node);
	meta.ns = ky_str(ky_get(&kd->doc, ky_get(&kd->doc, node, "metadata"), "namespace"));
	if (meta.ns == NULL || meta.ns[0] == '\0')
		meta.ns = "default";
	meta.name = ky_str(ky_get(&kd->doc, ky_get(&kd->doc, node, "metadata"), "name"));
	if (meta.name == NULL || meta.name[0] == '\0')
		meta.name = "?";
	c.m = &meta;
	if (strcmp(kind, "Ingress") == 0) {
		struct k8s_ingress ing = {0};

		if (check_api(&c, node, ing_api, 1) == 0 && read_meta(&c, node, "Ingress") == 0) {
			ing.m = meta;
			c.m = &ing.m;
			rc = read_ingress(&c, node, &ing);
		}
		if (rc == 0 && !c.bad) {
			if (k8s_grow((void **)&k->ing, &k->cap_ing, k->n_ing, sizeof(ing)) != 0)
				rc = -ENOMEM;
			else
				k->ing[k->n_ing++] = ing;
		}
		if (rc != 0 || c.bad) {
			for (unsigned i = 0; i < ing.n_rules; i++)
				free(ing.rules[i].paths);
			free(ing.rules);
		}
	} else if (strcmp(kind, "Service") == 0) {
		struct k8s_service s = {0};

		if (check_api(&c, node, svc_api, 1) == 0 && read_meta(&c, node, "Service") == 0) {
			s.m = meta;
			c.m = &s.m;
			rc = read_service(&c, node, &s);
		}
		if (rc == 0 && !c.bad) {
			if (k8s_grow((void **)&k->svc, &k->cap_svc, k->n_svc, sizeof(s)) != 0)
				rc = -ENOMEM;
			else
				k->svc[k->n_svc++] = s;
		}
		if (rc != 0 || c.bad)
			free(s.ports);
	} else if (strcmp(kind, "EndpointSlice") == 0) {
		struct k8s_slice s = {0};

		if (check_api(&c, node, sl_api, 2) == 0 &&
			read_meta(&c, node, "EndpointSlice") == 0) {
			s.m = meta;
			c.m = &s.m;
			rc = read_slice(&c, node, &s);
		}
		if (rc == 0 && !c.bad) {
			if (k8s_grow((void **)&k->sl, &k->cap_sl, k->n_sl, sizeof(s)) != 0)
				rc = -ENOMEM;
			else
				k->sl[k->n_sl++] = s;
		}
		if (rc != 0 || c.bad) {
			for (unsigned i = 0; i < s.n_eps; i++)
				free(s.eps[i].addrs);
			free(s.eps);
			free(s.ports);
		}
	} else {
		k->n_other++; /* Deployments and the like: not the importer's business */
		return 0;
	}
	if (rc == -ENOMEM) {
		k->oom = 1;
		return rc;
	}
	return c.bad ? -EINVAL : 0;
}
