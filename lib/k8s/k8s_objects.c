/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The object model: Ingress (networking.k8s.io/v1) read here, Service and
 * EndpointSlice in k8s_svc.c, HTTPRoute in k8s_httproute.c; the dispatch by
 * kind and apiVersion. Every problem names the object and the field path
 * as kubectl does (spec.rules[0].http.paths[1].backend.service.port.name).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_obj.h"

static int
read_meta(struct objctx *c, yaml_node_t *obj, const char *kind)
{
	yaml_node_t *md = ko_map(c, obj, "metadata", "metadata");
	struct k8s_meta *m = c->m;

	m->kind = kind;
	m->doc = &c->kd->doc;
	m->loc = ky_loc(c->kd, obj);
	m->seq = c->k->n_objects;
	m->ns = c->k->ns;
	m->name = "?";
	if (md == NULL) {
		ko_err(c, obj, "metadata.name", "missing");
		return -1;
	}
	m->ns = ko_str(c, md, "namespace", "metadata.namespace");
	if (m->ns == NULL || m->ns[0] == '\0')
		m->ns = c->k->ns;
	m->name = ko_str(c, md, "name", "metadata.name");
	if (m->name == NULL || m->name[0] == '\0') {
		m->name = "?";
		ko_err(c, md, "metadata.name", "missing");
	}
	m->created = ko_str(c, md, "creationTimestamp", "metadata.creationTimestamp");
	m->annotations = ko_map(c, md, "annotations", "metadata.annotations");
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
	sn = ko_map(c, bn, "service", f);
	if (sn == NULL) {
		if (ko_get(c, bn, "resource") != NULL) {
			kfield(f, sizeof(f), "%s.resource", field);
			ko_err(c, ko_get(c, bn, "resource"), f,
				"resource backends are not supported (only service backends)");
		} else if (!c->bad) {
			ko_err(c, bn, f, "missing");
		}
		return;
	}
	kfield(f, sizeof(f), "%s.service.name", field);
	be->svc = ko_str(c, sn, "name", f);
	if (be->svc == NULL || be->svc[0] == '\0') {
		ko_err(c, sn, f, "missing");
		be->svc = NULL;
		return;
	}
	kfield(f, sizeof(f), "%s.service.port", field);
	pn = ko_map(c, sn, "port", f);
	if (pn == NULL) {
		ko_err(c, sn, f, "missing (a port number or name)");
		be->svc = NULL;
		return;
	}
	kfield(f, sizeof(f), "%s.service.port.number", field);
	r = ko_int(c, pn, "number", f, 1, 65535, &be->port_num);
	kfield(f, sizeof(f), "%s.service.port.name", field);
	be->port_name = ko_str(c, pn, "name", f);
	if (be->port_name != NULL && be->port_name[0] == '\0')
		be->port_name = NULL;
	if (r == 0 && be->port_name == NULL) {
		kfield(f, sizeof(f), "%s.service.port", field);
		ko_err(c, pn, f, "needs a number or a name");
	} else if (r == 1 && be->port_name != NULL) {
		kfield(f, sizeof(f), "%s.service.port", field);
		ko_err(c, pn, f, "has both a number and a name (one of them)");
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
	http = ko_map(c, rn, "http", f);
	if (http == NULL)
		return 0; /* a rule without http: only its host (its default backend) */
	kfield(f, sizeof(f), "spec.rules[%u].http.paths", ri);
	paths = ko_seq(c, http, "paths", f);
	if (paths == NULL) {
		if (!c->bad)
			ko_err(c, http, f, "missing");
		return -1;
	}
	n = ko_len(paths);
	rule->paths = calloc(n ? n : 1, sizeof(*rule->paths));
	if (rule->paths == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_path *p = &rule->paths[rule->n_paths];

		pn = ko_item(c, paths, i);
		kfield(p->field, sizeof(p->field), "spec.rules[%u].http.paths[%u]", ri, i);
		p->loc = ky_loc(c->kd, pn);
		if (pn == NULL || pn->type != YAML_MAPPING_NODE) {
			ko_err(c, pn, p->field, "expected a mapping");
			continue;
		}
		kfield(f, sizeof(f), "%s.path", p->field);
		p->path = ko_str(c, pn, "path", f);
		kfield(f, sizeof(f), "%s.pathType", p->field);
		type = ko_str(c, pn, "pathType", f);
		if (type == NULL)
			ko_err(c, pn, f, "missing (Exact, Prefix or ImplementationSpecific)");
		else if (strcmp(type, "Exact") == 0)
			p->type = K8S_PATH_EXACT;
		else if (strcmp(type, "Prefix") == 0)
			p->type = K8S_PATH_PREFIX;
		else if (strcmp(type, "ImplementationSpecific") == 0)
			p->type = K8S_PATH_IMPL;
		else
			ko_err(c, ko_get(c, pn, "pathType"), f,
				"unknown pathType \"%s\" (expected Exact, Prefix or "
				"ImplementationSpecific)",
				type);
		if (p->path == NULL || p->path[0] == '\0') {
			if (type != NULL && p->type != K8S_PATH_IMPL) {
				kfield(f, sizeof(f), "%s.path", p->field);
				ko_err(c, pn, f, "missing (required for pathType %s)", type);
			}
			p->path = "/";
		} else if (p->type != K8S_PATH_IMPL && p->path[0] != '/') {
			kfield(f, sizeof(f), "%s.path", p->field);
			ko_err(c, ko_get(c, pn, "path"), f, "must start with \"/\" (pathType %s)",
				type);
		}
		kfield(f, sizeof(f), "%s.backend", p->field);
		bn = ko_map(c, pn, "backend", f);
		if (bn == NULL) {
			ko_err(c, pn, f, "missing");
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

	spec = ko_map(c, obj, "spec", "spec");
	ing->class_name = ko_str(c, spec, "ingressClassName", "spec.ingressClassName");
	if ((rc = k8s_read_ingress_tls(c, spec, ing)) != 0)
		return rc;
	ing->class_annot =
		ky_str(ky_get(c->m->doc, c->m->annotations, "kubernetes.io/ingress.class"));
	dn = ko_map(c, spec, "defaultBackend", "spec.defaultBackend");
	if (dn != NULL)
		read_backend(c, dn, "spec.defaultBackend", &ing->def);
	rules = ko_seq(c, spec, "rules", "spec.rules");
	if (rules == NULL)
		return 0;
	n = ko_len(rules);
	ing->rules = calloc(n ? n : 1, sizeof(*ing->rules));
	if (ing->rules == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_rule *r = &ing->rules[ing->n_rules];

		rn = ko_item(c, rules, i);
		kfield(f, sizeof(f), "spec.rules[%u]", i);
		if (rn == NULL || rn->type != YAML_MAPPING_NODE) {
			ko_err(c, rn, f, "expected a mapping");
			continue;
		}
		r->loc = ky_loc(c->kd, rn);
		kfield(f, sizeof(f), "spec.rules[%u].host", i);
		r->host = ko_str(c, rn, "host", f);
		if (r->host != NULL && r->host[0] == '\0')
			r->host = NULL;
		ing->n_rules++;
		rc = read_paths(c, rn, i, r);
		if (rc == -ENOMEM)
			return rc;
	}
	return 0;
}

/* --- dispatch */

static int
check_api(struct objctx *c, yaml_node_t *obj, const char *const *ok, unsigned n_ok)
{
	yaml_node_t *an = ko_get(c, obj, "apiVersion");
	const char *api = ky_str(an);
	unsigned i;

	if (api == NULL) {
		ko_err(c, obj, "apiVersion", "missing (expected %s)", ok[0]);
		return -1;
	}
	for (i = 0; i < n_ok; i++)
		if (strcmp(api, ok[i]) == 0)
			return 0;
	ko_err(c, an, "apiVersion", "%s is not supported (expected %s)", api, ok[0]);
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
		meta.ns = k->ns;
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
			rc = k8s_read_service(&c, node, &s);
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
			rc = k8s_read_slice(&c, node, &s);
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
	} else if (strcmp(kind, "HTTPRoute") == 0) {
		static const char *const hr_api[] = {
			"gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"};
		struct k8s_httproute h = {0};

		if (check_api(&c, node, hr_api, 2) == 0 && read_meta(&c, node, "HTTPRoute") == 0) {
			h.m = meta;
			c.m = &h.m;
			rc = k8s_read_httproute(&c, node, &h);
		}
		if (rc == 0 && !c.bad) {
			if (k8s_grow((void **)&k->hr, &k->cap_hr, k->n_hr, sizeof(h)) != 0)
				rc = -ENOMEM;
			else
				k->hr[k->n_hr++] = h;
		}
	} else if (strcmp(kind, "TLSRoute") == 0) {
		static const char *const tr_api[] = {
			"gateway.networking.k8s.io/v1alpha2", "gateway.networking.k8s.io/v1alpha3"};
		struct k8s_httproute h = {0};

		/* hostnames and rules[].backendRefs, as an HTTPRoute's */
		if (check_api(&c, node, tr_api, 2) == 0 && read_meta(&c, node, "TLSRoute") == 0) {
			h.m = meta;
			c.m = &h.m;
			rc = k8s_read_httproute(&c, node, &h);
		}
		if (rc == 0 && !c.bad) {
			if (k8s_grow((void **)&k->tr, &k->cap_tr, k->n_tr, sizeof(h)) != 0)
				rc = -ENOMEM;
			else
				k->tr[k->n_tr++] = h;
		}
	} else if (strcmp(kind, "ConfigMap") == 0) {
		struct k8s_configmap cm = {0};

		/* kept for --configmap, never an error: `kubectl get configmaps -A`
		 * holds many that are not ingress-nginx's */
		cm.m = meta;
		cm.m.doc = &kd->doc;
		cm.m.seq = k->n_objects;
		cm.data = ky_get(&kd->doc, node, "data");
		if (cm.data != NULL && cm.data->type != YAML_MAPPING_NODE)
			cm.data = NULL;
		if (k8s_grow((void **)&k->cm, &k->cap_cm, k->n_cm, sizeof(cm)) != 0)
			rc = -ENOMEM;
		else
			k->cm[k->n_cm++] = cm;
	} else if (strcmp(kind, "Secret") == 0) {
		struct k8s_secret s = {0};

		/* a Secret's content is judged only when something names it */
		if (check_api(&c, node, svc_api, 1) == 0 && read_meta(&c, node, "Secret") == 0) {
			s.m = meta;
			c.m = &s.m;
			rc = k8s_read_secret(&c, node, &s);
		}
		if (rc == 0 && !c.bad) {
			if (k8s_grow((void **)&k->sec, &k->cap_sec, k->n_sec, sizeof(s)) != 0)
				rc = -ENOMEM;
			else
				k->sec[k->n_sec++] = s;
		}
	} else if (strcmp(kind, "Gateway") == 0) {
		static const char *const gw_api[] = {
			"gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"};
		struct k8s_gateway g = {0};

		if (check_api(&c, node, gw_api, 2) == 0 && read_meta(&c, node, "Gateway") == 0) {
			g.m = meta;
			c.m = &g.m;
			rc = k8s_read_gateway(&c, node, &g);
		}
		if (rc == 0 && !c.bad) {
			if (k8s_grow((void **)&k->gw, &k->cap_gw, k->n_gw, sizeof(g)) != 0)
				rc = -ENOMEM;
			else
				k->gw[k->n_gw++] = g;
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
