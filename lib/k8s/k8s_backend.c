/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ingress backends to upstreams: the Service and its port, the upstream
 * named namespace-service-port as ingress-nginx names it, its servers from
 * the Service's EndpointSlices (ready: served; terminating: drained; not
 * ready: left out), and its per-upstream settings from annotations.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_xlate.h"

static const struct k8s_service *
find_service(const struct fo_k8s *k, const char *ns, const char *name)
{
	unsigned i;

	for (i = 0; i < k->n_svc; i++)
		if (strcmp(k->svc[i].m.ns, ns) == 0 && strcmp(k->svc[i].m.name, name) == 0)
			return &k->svc[i];
	return NULL;
}

static void
list_ports(const struct k8s_service *s, char *buf, size_t len)
{
	size_t used = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < s->n_ports && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%ld%s%s", i ? ", " : "",
			s->ports[i].port, s->ports[i].name[0] ? "/" : "", s->ports[i].name);
	if (s->n_ports == 0)
		snprintf(buf, len, "none");
}

/** The field of a backend's port: an Ingress's service.port.number|name, an HTTPRoute's port. */
static const char *
port_field(const struct k8s_backend *be)
{
	if (be->flat)
		return ".port";
	return be->port_name ? ".service.port.name" : ".service.port.number";
}

/** ingress-nginx's upstream name; names over 63 bytes keep 54 and a hash. */
static void
upstream_name(char *out, const char *ns, const char *svc, const char *ref)
{
	char full[512];
	uint32_t h = 2166136261u;
	size_t i, n;

	n = (size_t)snprintf(full, sizeof(full), "%s-%s-%s", ns, svc, ref);
	if (n >= sizeof(full))
		n = sizeof(full) - 1;
	if (n <= 63) {
		memcpy(out, full, n + 1);
		return;
	}
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)full[i]) * 16777619u;
	snprintf(out, 64, "%.54s-%08x", full, h);
}

/** What the config accepts as a server address: IPv4 unicast. */
static int
unicast4(const char *s)
{
	struct in_addr a;
	uint32_t v;

	if (inet_pton(AF_INET, s, &a) != 1)
		return 0;
	v = ntohl(a.s_addr);
	return (v >> 24) != 0 && (v >> 24) != 127 && (v >> 29) != 7;
}

static int
add_server(struct k8s_upstream *u, const char *addr, long port, int drain, int ready)
{
	unsigned i;

	for (i = 0; i < u->n_srv; i++) {
		if (strcmp(u->srv[i].addr, addr) == 0 && u->srv[i].port == port) {
			/* the same endpoint in two slices (a move between them):
			 * the better state wins */
			if (ready > u->srv[i].ready || (ready == u->srv[i].ready && !drain)) {
				u->srv[i].ready = ready;
				u->srv[i].drain = drain;
			}
			return 0;
		}
	}
	if (k8s_grow((void **)&u->srv, &u->cap_srv, u->n_srv, sizeof(*u->srv)) != 0)
		return -ENOMEM;
	snprintf(u->srv[u->n_srv].addr, sizeof(u->srv[0].addr), "%s", addr);
	u->srv[u->n_srv].port = port;
	u->srv[u->n_srv].drain = drain;
	u->srv[u->n_srv].ready = ready;
	u->n_srv++;
	return 0;
}

/** Servers of @p u from the slices of its Service. @return 0, -EINVAL or -ENOMEM. */
static int
resolve_endpoints(struct k8s_xlate *x, struct k8s_upstream *u, const struct k8s_meta *m,
	const struct k8s_backend *be)
{
	const struct k8s_service *s = u->svc;
	const struct k8s_svc_port *sp = u->sp;
	unsigned i, j, e, a, slices = 0, with_ports = 0, matched = 0;
	char field[K8S_FIELD_MAX + 32];
	int rc;

	for (i = 0; i < x->k->n_sl; i++) {
		const struct k8s_slice *sl = &x->k->sl[i];
		const struct k8s_slice_port *p = NULL;

		if (sl->service == NULL || strcmp(sl->m.ns, s->m.ns) != 0 ||
			strcmp(sl->service, s->m.name) != 0)
			continue;
		slices++;
		if (sl->addr_type == NULL || strcmp(sl->addr_type, "IPv4") != 0) {
			k8s_diag(x->k, K8S_WARNING, &sl->m, NULL, "addressType",
				"%s endpoints are not supported (fanout's upstreams are IPv4): "
				"skipped",
				sl->addr_type ? sl->addr_type : "?");
			continue;
		}
		if (sl->n_ports > 0 && sl->n_eps > 0)
			with_ports++;
		for (j = 0; j < sl->n_ports; j++)
			if (strcmp(sl->ports[j].name, sp->name) == 0 &&
				strcmp(sl->ports[j].protocol, "TCP") == 0)
				p = &sl->ports[j];
		if (p == NULL)
			continue;
		matched++;
		if (sp->target_name == NULL && p->port != sp->target_num)
			k8s_diag(x->k, K8S_WARNING, &sl->m, NULL, "ports",
				"port \"%s\" is %ld but Service %s/%s's targetPort is %ld: %ld "
				"used",
				sp->name, p->port, s->m.ns, s->m.name, sp->target_num, p->port);
		for (e = 0; e < sl->n_eps; e++) {
			const struct k8s_endpoint *ep = &sl->eps[e];

			for (a = 0; a < ep->n_addrs; a++) {
				if (!unicast4(ep->addrs[a])) {
					snprintf(field, sizeof(field),
						"endpoints[%u].addresses[%u]", e, a);
					k8s_diag(x->k, K8S_WARNING, &sl->m, &ep->loc, field,
						"\"%s\" is not an IPv4 unicast address: skipped",
						ep->addrs[a]);
					continue;
				}
				rc = add_server(u, ep->addrs[a], p->port, ep->terminating,
					ep->ready && !ep->terminating);
				if (rc != 0)
					return rc;
			}
		}
	}
	if (s->type != NULL && strcmp(s->type, "ExternalName") == 0) {
		k8s_diag(x->k, K8S_WARNING, m, &be->loc, be->field,
			"Service %s/%s is an ExternalName Service (a DNS name, no endpoints), "
			"which "
			"fanout cannot proxy to: upstream %s has no server (its routes answer 503)",
			s->m.ns, s->m.name, u->name);
	} else if (slices == 0) {
		k8s_diag(x->k, K8S_WARNING, m, &be->loc, be->field,
			"no EndpointSlice for Service %s/%s: upstream %s has no server (its routes "
			"answer 503)",
			s->m.ns, s->m.name, u->name);
	} else if (matched == 0 && with_ports > 0) {
		snprintf(field, sizeof(field), "%s%s", be->field, port_field(be));
		k8s_diag(x->k, K8S_ERROR, m, &be->loc, field,
			"Service %s/%s port %ld%s%s%s has no endpoint port: no EndpointSlice of "
			"the "
			"Service has a TCP port named \"%s\"",
			s->m.ns, s->m.name, sp->port, sp->name[0] ? " (" : "", sp->name,
			sp->name[0] ? ")" : "", sp->name);
		return -EINVAL;
	}
	return 0;
}

int
k8s_backend_upstream(struct k8s_xlate *x, const struct k8s_meta *m, const struct k8s_backend *be)
{
	const struct k8s_service *s;
	const struct k8s_svc_port *sp = NULL;
	char field[K8S_FIELD_MAX + 32], ref[32], name[64], ports[256];
	struct k8s_upstream *u;
	unsigned i;
	int rc;

	s = find_service(x->k, m->ns, be->svc);
	if (s == NULL) {
		snprintf(field, sizeof(field), "%s%s", be->field,
			be->flat ? ".name" : ".service.name");
		k8s_diag(x->k, K8S_ERROR, m, &be->loc, field, "Service %s/%s not found", m->ns,
			be->svc);
		return -EINVAL;
	}
	for (i = 0; i < s->n_ports && sp == NULL; i++)
		if (be->port_name ? strcmp(s->ports[i].name, be->port_name) == 0
				  : s->ports[i].port == be->port_num)
			sp = &s->ports[i];
	if (sp == NULL) {
		list_ports(s, ports, sizeof(ports));
		snprintf(field, sizeof(field), "%s%s", be->field, port_field(be));
		if (be->port_name != NULL)
			k8s_diag(x->k, K8S_ERROR, m, &be->loc, field,
				"Service %s/%s has no port named \"%s\" (ports: %s)", s->m.ns,
				s->m.name, be->port_name, ports);
		else
			k8s_diag(x->k, K8S_ERROR, m, &be->loc, field,
				"Service %s/%s has no port %ld (ports: %s)", s->m.ns, s->m.name,
				be->port_num, ports);
		return -EINVAL;
	}
	if (strcmp(sp->protocol, "TCP") != 0) {
		snprintf(field, sizeof(field), "%s%s", be->field,
			be->flat ? ".port" : ".service.port");
		k8s_diag(x->k, K8S_ERROR, m, &be->loc, field,
			"Service %s/%s port %ld is %s (HTTP needs TCP)", s->m.ns, s->m.name,
			sp->port, sp->protocol);
		return -EINVAL;
	}
	if (be->port_name != NULL)
		snprintf(ref, sizeof(ref), "%.31s", be->port_name);
	else
		snprintf(ref, sizeof(ref), "%ld", be->port_num);
	upstream_name(name, s->m.ns, s->m.name, ref);
	for (i = 0; i < x->n_ups; i++)
		if (strcmp(x->ups[i].name, name) == 0)
			break;
	if (i < x->n_ups) {
		if (x->ups[i].svc == s)
			return (int)i;
		k8s_diag(x->k, K8S_ERROR, m, &be->loc, be->field,
			"upstream name %s of Service %s/%s is also that of Service %s/%s", name,
			s->m.ns, s->m.name, x->ups[i].svc->m.ns, x->ups[i].svc->m.name);
		return -EINVAL;
	}
	if (k8s_grow((void **)&x->ups, &x->cap_ups, x->n_ups, sizeof(*x->ups)) != 0)
		return -ENOMEM;
	u = &x->ups[x->n_ups];
	memset(u, 0, sizeof(*u));
	memcpy(u->name, name, sizeof(u->name));
	u->svc = s;
	u->sp = sp;
	rc = resolve_endpoints(x, u, m, be);
	if (rc != 0) {
		free(u->srv);
		return rc;
	}
	return (int)x->n_ups++;
}

static void
set_long(struct k8s_xlate *x, struct k8s_upstream *u, const struct k8s_ingress *ing,
	const char *annot, long *cur, long v)
{
	char field[K8S_FIELD_MAX];

	if (v == 0 || *cur == v)
		return;
	if (*cur != 0) {
		snprintf(field, sizeof(field),
			"metadata.annotations[nginx.ingress.kubernetes.io/%s]", annot);
		k8s_diag(x->k, K8S_WARNING, &ing->m, NULL, field,
			"upstream %s already has %s %ld from Ingress %s/%s (older; the setting is "
			"per upstream in fanout): ignored",
			u->name, annot, *cur, u->set_by->m.ns, u->set_by->m.name);
		return;
	}
	*cur = v;
	if (u->set_by == NULL)
		u->set_by = ing;
}

void
k8s_upstream_settings(
	struct k8s_xlate *x, int up, const struct k8s_ingress *ing, const struct k8s_ann *a)
{
	struct k8s_upstream *u = &x->ups[up];

	set_long(x, u, ing, "proxy-connect-timeout", &u->connect_s, a->connect_s);
	set_long(x, u, ing, "proxy-read-timeout", &u->read_s, a->read_s);
	set_long(x, u, ing, "proxy-send-timeout", &u->send_s, a->send_s);
	set_long(x, u, ing, "proxy-next-upstream-tries", &u->tries, a->tries);
	if (a->next_upstream[0] != '\0' && strcmp(u->next_upstream, a->next_upstream) != 0) {
		if (u->next_upstream[0] != '\0') {
			k8s_diag(x->k, K8S_WARNING, &ing->m, NULL,
				"metadata.annotations[nginx.ingress.kubernetes.io/"
				"proxy-next-upstream]",
				"upstream %s already has next_upstream \"%s\" from Ingress %s/%s "
				"(older; the setting is per upstream in fanout): ignored",
				u->name, u->next_upstream, u->set_by->m.ns, u->set_by->m.name);
		} else {
			memcpy(u->next_upstream, a->next_upstream, sizeof(u->next_upstream));
			if (u->set_by == NULL)
				u->set_by = ing;
		}
	}
}
