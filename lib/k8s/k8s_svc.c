/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service (v1) and EndpointSlice (discovery.k8s.io/v1) objects: the ports a
 * Service has, and the endpoints (addresses, ready / serving / terminating)
 * and ports of its slices.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_obj.h"

int
k8s_read_service(struct objctx *c, yaml_node_t *obj, struct k8s_service *s)
{
	yaml_node_t *spec = ko_map(c, obj, "spec", "spec"), *ports, *pn, *tn;
	char f[K8S_FIELD_MAX];
	unsigned i, n;

	s->type = ko_str(c, spec, "type", "spec.type");
	ports = ko_seq(c, spec, "ports", "spec.ports");
	if (ports == NULL)
		return 0;
	n = ko_len(ports);
	s->ports = calloc(n ? n : 1, sizeof(*s->ports));
	if (s->ports == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_svc_port *p = &s->ports[s->n_ports];

		pn = ko_item(c, ports, i);
		kfield(f, sizeof(f), "spec.ports[%u]", i);
		if (pn == NULL || pn->type != YAML_MAPPING_NODE) {
			ko_err(c, pn, f, "expected a mapping");
			continue;
		}
		kfield(f, sizeof(f), "spec.ports[%u].name", i);
		p->name = ko_str(c, pn, "name", f);
		if (p->name == NULL)
			p->name = "";
		kfield(f, sizeof(f), "spec.ports[%u].protocol", i);
		p->protocol = ko_str(c, pn, "protocol", f);
		if (p->protocol == NULL)
			p->protocol = "TCP";
		kfield(f, sizeof(f), "spec.ports[%u].port", i);
		if (ko_int(c, pn, "port", f, 1, 65535, &p->port) == 0) {
			ko_err(c, pn, f, "missing");
			continue;
		}
		kfield(f, sizeof(f), "spec.ports[%u].targetPort", i);
		tn = ko_get(c, pn, "targetPort");
		if (tn == NULL) {
			p->target_num = p->port;
		} else if (ky_str(tn) != NULL && ky_str(tn)[0] >= '0' && ky_str(tn)[0] <= '9') {
			if (ko_int(c, pn, "targetPort", f, 1, 65535, &p->target_num) < 0)
				continue;
		} else {
			p->target_name = ko_str(c, pn, "targetPort", f);
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
	addrs = ko_seq(c, en, "addresses", f);
	if (addrs == NULL) {
		if (!c->bad)
			ko_err(c, en, f, "missing");
		return -1;
	}
	n = ko_len(addrs);
	ep->addrs = calloc(n ? n : 1, sizeof(*ep->addrs));
	if (ep->addrs == NULL)
		return -ENOMEM;
	for (j = 0; j < n; j++) {
		an = ko_item(c, addrs, j);
		if (ky_str(an) == NULL) {
			kfield(f, sizeof(f), "endpoints[%u].addresses[%u]", i, j);
			ko_err(c, an, f, "expected a string");
			continue;
		}
		ep->addrs[ep->n_addrs++] = ky_str(an);
	}
	kfield(f, sizeof(f), "endpoints[%u].conditions", i);
	cond = ko_map(c, en, "conditions", f);
	/* API semantics: an unknown ready or serving state is to be taken as
	 * true; terminating absent is false */
	kfield(f, sizeof(f), "endpoints[%u].conditions.ready", i);
	ep->ready = ko_bool(c, cond, "ready", f, 1);
	kfield(f, sizeof(f), "endpoints[%u].conditions.serving", i);
	ep->serving = ko_bool(c, cond, "serving", f, ep->ready);
	kfield(f, sizeof(f), "endpoints[%u].conditions.terminating", i);
	ep->terminating = ko_bool(c, cond, "terminating", f, 0);
	return 0;
}

int
k8s_read_slice(struct objctx *c, yaml_node_t *obj, struct k8s_slice *s)
{
	yaml_node_t *md = ko_get(c, obj, "metadata"), *labels, *ports, *eps, *pn;
	char f[K8S_FIELD_MAX];
	unsigned i, n;
	int rc;

	labels = ko_map(c, md, "labels", "metadata.labels");
	s->service = ky_str(ky_get(&c->kd->doc, labels, "kubernetes.io/service-name"));
	s->addr_type = ko_str(c, obj, "addressType", "addressType");
	if (s->addr_type == NULL)
		ko_err(c, obj, "addressType", "missing (IPv4, IPv6 or FQDN)");
	ports = ko_seq(c, obj, "ports", "ports");
	n = ports ? ko_len(ports) : 0;
	s->ports = calloc(n ? n : 1, sizeof(*s->ports));
	if (s->ports == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_slice_port *p = &s->ports[s->n_ports];

		pn = ko_item(c, ports, i);
		kfield(f, sizeof(f), "ports[%u]", i);
		if (pn == NULL || pn->type != YAML_MAPPING_NODE) {
			ko_err(c, pn, f, "expected a mapping");
			continue;
		}
		kfield(f, sizeof(f), "ports[%u].name", i);
		p->name = ko_str(c, pn, "name", f);
		if (p->name == NULL)
			p->name = "";
		kfield(f, sizeof(f), "ports[%u].protocol", i);
		p->protocol = ko_str(c, pn, "protocol", f);
		if (p->protocol == NULL)
			p->protocol = "TCP";
		kfield(f, sizeof(f), "ports[%u].port", i);
		if (ko_int(c, pn, "port", f, 1, 65535, &p->port) < 0)
			continue;
		s->n_ports++;
	}
	eps = ko_seq(c, obj, "endpoints", "endpoints");
	n = eps ? ko_len(eps) : 0;
	s->eps = calloc(n ? n : 1, sizeof(*s->eps));
	if (s->eps == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		pn = ko_item(c, eps, i);
		kfield(f, sizeof(f), "endpoints[%u]", i);
		if (pn == NULL || pn->type != YAML_MAPPING_NODE) {
			ko_err(c, pn, f, "expected a mapping");
			continue;
		}
		rc = read_endpoint(c, pn, i, &s->eps[s->n_eps]);
		if (rc == -ENOMEM)
			return rc;
		s->n_eps++;
	}
	return 0;
}
