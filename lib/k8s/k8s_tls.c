/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading what TLS termination needs: an Ingress's spec.tls (hosts and
 * secretName), Secrets with tls.crt and tls.key (base64 in `data`, as
 * `kubectl get -o yaml` prints them, or plain in `stringData`, as
 * manifests may write them), and a Gateway's listeners (protocol, port,
 * hostname, tls.mode, tls.certificateRefs).
 *
 * A Secret never makes an import fail by itself: `kubectl get secrets -A`
 * holds many that are not certificates. What is wrong with one (no tls.crt,
 * bad base64, not PEM) is kept with it and reported only when an Ingress
 * or a Gateway names it (k8s_tls_xlate.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_obj.h"

int
k8s_read_ingress_tls(struct objctx *c, yaml_node_t *spec, struct k8s_ingress *ing)
{
	yaml_node_t *seq = ko_seq(c, spec, "tls", "spec.tls"), *en, *hosts;
	char f[K8S_FIELD_MAX];
	unsigned i, j, n;

	if (seq == NULL)
		return 0;
	n = ko_len(seq);
	ing->tls = k8s_zalloc(c->k, (n ? n : 1) * sizeof(*ing->tls));
	if (ing->tls == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_itls *t = &ing->tls[ing->n_tls];

		en = ko_item(c, seq, i);
		kfield(t->field, sizeof(t->field), "spec.tls[%u]", i);
		t->loc = ky_loc(c->kd, en);
		if (en == NULL || en->type != YAML_MAPPING_NODE) {
			ko_err(c, en, t->field, "expected a mapping");
			continue;
		}
		kfield(f, sizeof(f), "spec.tls[%u].secretName", i);
		t->secret = ko_str(c, en, "secretName", f);
		if (t->secret != NULL && t->secret[0] == '\0')
			t->secret = NULL;
		kfield(f, sizeof(f), "spec.tls[%u].hosts", i);
		hosts = ko_seq(c, en, "hosts", f);
		t->n_hosts = 0;
		if (hosts != NULL) {
			t->hosts = k8s_zalloc(c->k, (ko_len(hosts) + 1) * sizeof(*t->hosts));
			if (t->hosts == NULL)
				return -ENOMEM;
			for (j = 0; j < ko_len(hosts); j++) {
				const char *h = ky_str(ko_item(c, hosts, j));

				if (h == NULL) {
					kfield(f, sizeof(f), "spec.tls[%u].hosts[%u]", i, j);
					ko_err(c, ko_item(c, hosts, j), f, "expected a string");
					continue;
				}
				if (h[0] != '\0')
					t->hosts[t->n_hosts++] = h;
			}
		}
		ing->n_tls++;
	}
	return 0;
}

/* --- Secret */

static int
b64_val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/**
 * Standard base64 (RFC 4648, padded, as Kubernetes writes `data`),
 * whitespace ignored (a folded YAML scalar). @return the decoded length,
 * or -1 when @p in is not base64.
 */
static long
b64_decode(const char *in, char *out)
{
	unsigned acc = 0, bits = 0, pad = 0;
	long n = 0, quads = 0;

	for (; *in; in++) {
		unsigned char ch = (unsigned char)*in;
		int v;

		if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		if (ch == '=') {
			pad++;
			quads++;
			continue;
		}
		if (pad > 0 || (v = b64_val(ch)) < 0)
			return -1;
		quads++;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (quads % 4 != 0 || pad > 2)
		return -1;
	out[n] = '\0';
	return n;
}

/** What a PEM text holds, or why it is not one fanout loads. @return NULL: fine. */
static const char *
pem_problem(const char *p, size_t len, int key)
{
	if (strlen(p) != len)
		return "has a NUL byte: not PEM";
	if (!key)
		return strstr(p, "-----BEGIN CERTIFICATE-----") ? NULL : "holds no PEM certificate";
	if (strstr(p, "-----BEGIN ENCRYPTED PRIVATE KEY-----") != NULL ||
		strstr(p, "Proc-Type: 4,ENCRYPTED") != NULL)
		return "is an encrypted key (fanout needs it unencrypted, as ingress-nginx)";
	if (strstr(p, "-----BEGIN ") == NULL || strstr(p, "PRIVATE KEY-----") == NULL)
		return "holds no PEM private key";
	return NULL;
}

/** One of tls.crt / tls.key into *@p out. */
static int
secret_field(struct objctx *c, yaml_node_t *data, yaml_node_t *sdata, const char *key,
	struct k8s_secret *s, char **out, size_t *out_len)
{
	static const char *const fields[2][2] = {
		{"data[tls.crt]", "data[tls.key]"}, {"stringData[tls.crt]", "stringData[tls.key]"}};
	const char *v = ky_str(ky_get(&c->kd->doc, sdata, key));
	int is_key = strcmp(key, "tls.key") == 0, plain = v != NULL;
	char *buf;
	long n;

	/* stringData (the PEM itself) wins over data, as the API server merges them */
	if (v == NULL)
		v = ky_str(ky_get(&c->kd->doc, data, key));
	if (v == NULL) {
		if (s->bad == NULL) {
			s->bad = "missing (a TLS Secret has tls.crt and tls.key)";
			s->bad_field = fields[0][is_key];
		}
		return 0;
	}
	if (plain) {
		n = (long)strlen(v);
		buf = k8s_zalloc(c->k, (size_t)n + 1);
		if (buf == NULL)
			return -ENOMEM;
		memcpy(buf, v, (size_t)n + 1);
	} else {
		buf = k8s_zalloc(c->k, strlen(v) / 4 * 3 + 4);
		if (buf == NULL)
			return -ENOMEM;
		n = b64_decode(v, buf);
		if (n < 0) {
			if (s->bad == NULL) {
				s->bad = "not base64";
				s->bad_field = fields[0][is_key];
			}
			return 0;
		}
	}
	*out = buf;
	*out_len = (size_t)n;
	if (s->bad == NULL && (s->bad = pem_problem(buf, (size_t)n, is_key)) != NULL)
		s->bad_field = fields[plain][is_key];
	return 0;
}

int
k8s_read_secret(struct objctx *c, yaml_node_t *obj, struct k8s_secret *s)
{
	yaml_node_t *data = ky_get(&c->kd->doc, obj, "data");
	yaml_node_t *sdata = ky_get(&c->kd->doc, obj, "stringData");
	int rc;

	s->type = ky_str(ky_get(&c->kd->doc, obj, "type"));
	if (data != NULL && data->type != YAML_MAPPING_NODE)
		data = NULL;
	if (sdata != NULL && sdata->type != YAML_MAPPING_NODE)
		sdata = NULL;
	rc = secret_field(c, data, sdata, "tls.crt", s, &s->crt, &s->crt_len);
	if (rc == 0)
		rc = secret_field(c, data, sdata, "tls.key", s, &s->key, &s->key_len);
	return rc;
}

/* --- Gateway */

static int
read_refs(struct objctx *c, yaml_node_t *tls, struct k8s_listener *l)
{
	yaml_node_t *refs, *rn;
	char f[K8S_FIELD_MAX + 48];
	unsigned i, n;

	kfield(f, sizeof(f), "%s.tls.certificateRefs", l->field);
	refs = ko_seq(c, tls, "certificateRefs", f);
	if (refs == NULL)
		return 0;
	n = ko_len(refs);
	l->refs = k8s_zalloc(c->k, (n ? n : 1) * sizeof(*l->refs));
	if (l->refs == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_certref *r = &l->refs[l->n_refs];
		const char *kind, *group;

		rn = ko_item(c, refs, i);
		kfield(r->field, sizeof(r->field), "%s.tls.certificateRefs[%u]", l->field, i);
		r->loc = ky_loc(c->kd, rn);
		if (rn == NULL || rn->type != YAML_MAPPING_NODE) {
			ko_err(c, rn, r->field, "expected a mapping");
			continue;
		}
		kfield(f, sizeof(f), "%s.kind", r->field);
		kind = ko_str(c, rn, "kind", f);
		kfield(f, sizeof(f), "%s.group", r->field);
		group = ko_str(c, rn, "group", f);
		if ((kind != NULL && strcmp(kind, "Secret") != 0) ||
			(group != NULL && group[0] != '\0')) {
			ko_err(c, rn, r->field, "%s%s%s is not supported (a core Secret only)",
				group && group[0] ? group : "", group && group[0] ? "/" : "",
				kind ? kind : "Secret");
			continue;
		}
		kfield(f, sizeof(f), "%s.name", r->field);
		r->name = ko_str(c, rn, "name", f);
		if (r->name == NULL || r->name[0] == '\0') {
			ko_err(c, rn, f, "missing");
			continue;
		}
		kfield(f, sizeof(f), "%s.namespace", r->field);
		r->ns = ko_str(c, rn, "namespace", f);
		if (r->ns == NULL || r->ns[0] == '\0')
			r->ns = c->m->ns;
		l->n_refs++;
	}
	return 0;
}

int
k8s_read_gateway(struct objctx *c, yaml_node_t *obj, struct k8s_gateway *g)
{
	yaml_node_t *spec = ko_map(c, obj, "spec", "spec"), *ls, *ln, *tls;
	char f[K8S_FIELD_MAX + 16];
	unsigned i, n;
	int rc;

	ls = ko_seq(c, spec, "listeners", "spec.listeners");
	if (ls == NULL) {
		if (!c->bad)
			ko_err(c, spec ? spec : obj, "spec.listeners", "missing");
		return 0;
	}
	n = ko_len(ls);
	g->ls = k8s_zalloc(c->k, (n ? n : 1) * sizeof(*g->ls));
	if (g->ls == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct k8s_listener *l = &g->ls[g->n_ls];

		ln = ko_item(c, ls, i);
		kfield(l->field, sizeof(l->field), "spec.listeners[%u]", i);
		l->loc = ky_loc(c->kd, ln);
		if (ln == NULL || ln->type != YAML_MAPPING_NODE) {
			ko_err(c, ln, l->field, "expected a mapping");
			continue;
		}
		kfield(f, sizeof(f), "%s.name", l->field);
		l->name = ko_str(c, ln, "name", f);
		kfield(f, sizeof(f), "%s.hostname", l->field);
		l->hostname = ko_str(c, ln, "hostname", f);
		kfield(f, sizeof(f), "%s.protocol", l->field);
		l->protocol = ko_str(c, ln, "protocol", f);
		if (l->protocol == NULL) {
			ko_err(c, ln, f, "missing (HTTP, HTTPS, TLS...)");
			continue;
		}
		kfield(f, sizeof(f), "%s.port", l->field);
		if (ko_int(c, ln, "port", f, 1, 65535, &l->port) == 0) {
			ko_err(c, ln, f, "missing");
			continue;
		}
		kfield(f, sizeof(f), "%s.tls", l->field);
		tls = ko_map(c, ln, "tls", f);
		if (tls != NULL) {
			kfield(f, sizeof(f), "%s.tls.mode", l->field);
			l->mode = ko_str(c, tls, "mode", f);
			if (l->mode != NULL && strcmp(l->mode, "Terminate") != 0 &&
				strcmp(l->mode, "Passthrough") != 0) {
				ko_err(c, ko_get(c, tls, "mode"), f,
					"unknown mode \"%s\" (Terminate or Passthrough)", l->mode);
				continue;
			}
			if ((rc = read_refs(c, tls, l)) != 0)
				return rc;
		}
		if (l->mode == NULL)
			l->mode = "Terminate";
		g->n_ls++;
	}
	return 0;
}
