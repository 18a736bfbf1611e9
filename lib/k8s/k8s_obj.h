/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading one object out of a libyaml tree (k8s_yaml.c): the context, and
 * field getters that record a diagnostic (object, field path, line and
 * column) when a field has the wrong shape. A YAML null counts as absent.
 */
#ifndef K8S_OBJ_H
#define K8S_OBJ_H

#include "k8s_priv.h"

/** The parsing context of one object. */
struct objctx {
	struct fo_k8s *k;
	struct k8s_doc *kd;
	struct k8s_meta *m;
	int bad; /**< an error was recorded: the object is not kept */
};

/** Record an error at node @p n (its line and column) for @p field. */
void ko_err(struct objctx *c, yaml_node_t *n, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/** @return the value of @p key in mapping @p map, NULL when absent or null. */
yaml_node_t *ko_get(struct objctx *c, yaml_node_t *map, const char *key);
/** @return item @p i of sequence @p seq (i < ko_len()). */
yaml_node_t *ko_item(struct objctx *c, yaml_node_t *seq, unsigned i);
/** @return the length of sequence @p n. */
unsigned ko_len(yaml_node_t *n);
/** @return a scalar field's text, NULL when absent (an error when not a scalar). */
const char *ko_str(struct objctx *c, yaml_node_t *map, const char *key, const char *field);
/** @return a sequence field, NULL when absent (an error when not a sequence). */
yaml_node_t *ko_seq(struct objctx *c, yaml_node_t *map, const char *key, const char *field);
/** @return a mapping field, NULL when absent (an error when not a mapping). */
yaml_node_t *ko_map(struct objctx *c, yaml_node_t *map, const char *key, const char *field);
/** An integer field in [lo, hi]. @return 1 present and valid, 0 absent, -1 bad (recorded). */
int ko_int(struct objctx *c, yaml_node_t *map, const char *key, const char *field, long lo, long hi,
	long *v);
/** @return a boolean field, @p def when absent (an error when not true or false). */
int ko_bool(struct objctx *c, yaml_node_t *map, const char *key, const char *field, int def);

/** Service spec (k8s_svc.c). @return 0 or -ENOMEM; errors set c->bad. */
int k8s_read_service(struct objctx *c, yaml_node_t *obj, struct k8s_service *s);
/** EndpointSlice (k8s_svc.c). @return 0 or -ENOMEM; errors set c->bad. */
int k8s_read_slice(struct objctx *c, yaml_node_t *obj, struct k8s_slice *s);

/** HTTPRoute spec (k8s_httproute.c). @return 0 or -ENOMEM; errors set c->bad. */
int k8s_read_httproute(struct objctx *c, yaml_node_t *obj, struct k8s_httproute *h);

/** Ingress spec.tls (k8s_tls.c). @return 0 or -ENOMEM; errors set c->bad. */
int k8s_read_ingress_tls(struct objctx *c, yaml_node_t *spec, struct k8s_ingress *ing);
/** Secret (k8s_tls.c): tls.crt and tls.key decoded. @return 0 or -ENOMEM. */
int k8s_read_secret(struct objctx *c, yaml_node_t *obj, struct k8s_secret *s);
/** Gateway (k8s_tls.c): its listeners. @return 0 or -ENOMEM; errors set c->bad. */
int k8s_read_gateway(struct objctx *c, yaml_node_t *obj, struct k8s_gateway *g);

#endif /* K8S_OBJ_H */
