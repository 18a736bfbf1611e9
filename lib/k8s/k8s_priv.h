/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/k8s internals: the documents read (libyaml trees, kept for the
 * import's life so objects point into them), the object model of the
 * kinds imported, diagnostics and a growing text buffer.
 */
#ifndef K8S_PRIV_H
#define K8S_PRIV_H

#include <stdarg.h>
#include <stddef.h>

#include <yaml.h>

#include "fo_k8s.h"

#define K8S_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/** Longest field path kept ("spec.rules[12].http.paths[3].backend..."). */
#define K8S_FIELD_MAX 160

/** A growing NUL-terminated string; oom set once an allocation failed. */
struct k8s_buf {
	char *p;
	size_t len, cap;
	int oom;
};

void kb_printf(struct k8s_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kb_vprintf(struct k8s_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void kb_free(struct k8s_buf *b);
/** snprintf for field paths, which may be cut at @p len (never expected). */
void kfield(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Where something is: file and 1-based line and column. */
struct k8s_loc {
	const char *file;
	unsigned line, col;
};

/** What every object has. Strings point into the document's scalars. */
struct k8s_meta {
	const char *kind, *ns, *name;
	const char *created; /**< metadata.creationTimestamp, or NULL */
	struct k8s_loc loc;  /**< the object's mapping */
	unsigned seq;        /**< order read */
	yaml_document_t *doc;
	yaml_node_t *annotations; /**< metadata.annotations (a mapping) or NULL */
};

enum k8s_path_type { K8S_PATH_EXACT, K8S_PATH_PREFIX, K8S_PATH_IMPL };

struct k8s_backend {
	const char *svc;       /**< NULL: no service backend */
	long port_num;         /**< 0 when the port is given by name */
	const char *port_name; /**< NULL when by number */
	struct k8s_loc loc;
	char field[K8S_FIELD_MAX]; /**< e.g. spec.rules[0].http.paths[1].backend */
};

struct k8s_path {
	const char *path;
	enum k8s_path_type type;
	struct k8s_backend be;
	struct k8s_loc loc;
	char field[K8S_FIELD_MAX];
};

struct k8s_rule {
	const char *host; /**< NULL: every host */
	struct k8s_path *paths;
	unsigned n_paths;
	struct k8s_loc loc;
};

struct k8s_ingress {
	struct k8s_meta m;
	const char *class_name;  /**< spec.ingressClassName */
	const char *class_annot; /**< kubernetes.io/ingress.class */
	struct k8s_backend def;  /**< spec.defaultBackend (svc NULL: none) */
	struct k8s_rule *rules;
	unsigned n_rules;
};

struct k8s_svc_port {
	const char *name; /**< "" when unnamed */
	long port;
	long target_num;         /**< 0 when by name */
	const char *target_name; /**< NULL when by number */
	const char *protocol;
};

struct k8s_service {
	struct k8s_meta m;
	struct k8s_svc_port *ports;
	unsigned n_ports;
};

struct k8s_endpoint {
	const char **addrs;
	unsigned n_addrs;
	int ready, serving, terminating; /**< conditions; absent ready/serving = 1 */
	struct k8s_loc loc;
};

struct k8s_slice_port {
	const char *name; /**< "" when unnamed */
	long port;        /**< 0: absent (every port, which fanout cannot use) */
	const char *protocol;
};

struct k8s_slice {
	struct k8s_meta m;
	const char *service; /**< label kubernetes.io/service-name */
	const char *addr_type;
	struct k8s_slice_port *ports;
	unsigned n_ports;
	struct k8s_endpoint *eps;
	unsigned n_eps;
};

struct k8s_doc {
	yaml_document_t doc;
	char *file;
};

struct fo_k8s {
	struct k8s_doc **docs;
	unsigned n_docs, cap_docs;
	struct k8s_ingress *ing;
	unsigned n_ing, cap_ing;
	struct k8s_service *svc;
	unsigned n_svc, cap_svc;
	struct k8s_slice *sl;
	unsigned n_sl, cap_sl;
	unsigned n_objects, n_other;
	struct k8s_buf msgs;
	unsigned n_err, n_warn;
	int oom;
};

enum k8s_level { K8S_ERROR, K8S_WARNING, K8S_NOTE };

/**
 * Record a diagnostic: "LEVEL: FILE:LINE:COL: KIND NS/NAME: FIELD: text".
 * @p m and @p field may be NULL; @p loc NULL uses the object's.
 */
void k8s_diag(struct fo_k8s *k, enum k8s_level lvl, const struct k8s_meta *m,
	const struct k8s_loc *loc, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/** Grow *@p arr (of @p size-byte elements) to hold one more. @return 0 or -ENOMEM. */
int k8s_grow(void **arr, unsigned *cap, unsigned n, size_t size);

/* yaml helpers (k8s_objects.c) */
yaml_node_t *ky_get(yaml_document_t *d, yaml_node_t *map, const char *key);
const char *ky_str(yaml_node_t *n);
struct k8s_loc ky_loc(const struct k8s_doc *kd, yaml_node_t *n);

/**
 * Add the object at @p node of @p kd (already known to be a mapping with
 * a kind, or @p kind when it has none): Ingress, Service and EndpointSlice
 * are parsed, other kinds are counted and skipped.
 * @return 0, -EINVAL (recorded) or -ENOMEM.
 */
int k8s_add_object(struct fo_k8s *k, struct k8s_doc *kd, yaml_node_t *node, const char *kind);

/** Write the config for everything read (k8s_translate.c). @return 0 or -ENOMEM. */
int k8s_translate_run(struct fo_k8s *k, const struct fo_k8s_opts *o, struct k8s_buf *out);

#endif /* K8S_PRIV_H */
