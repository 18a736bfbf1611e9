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
	int flat;                  /**< an HTTPRoute backendRef: name and port, no service. */
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

/** One entry of an Ingress's spec.tls (k8s_tls.c). */
struct k8s_itls {
	const char **hosts;
	unsigned n_hosts;
	const char *secret; /**< secretName; NULL: the default certificate */
	struct k8s_loc loc;
	char field[K8S_FIELD_MAX];
};

struct k8s_ingress {
	struct k8s_meta m;
	const char *class_name;  /**< spec.ingressClassName */
	const char *class_annot; /**< kubernetes.io/ingress.class */
	struct k8s_itls *tls;    /**< spec.tls (arena) */
	unsigned n_tls;
	struct k8s_backend def; /**< spec.defaultBackend (svc NULL: none) */
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
	const char *type; /**< spec.type; NULL: ClusterIP */
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

/* HTTPRoute (gateway.networking.k8s.io/v1), read by k8s_httproute.c into
 * the import's arena (freed with it). */
enum k8s_hpath { K8S_HPATH_PREFIX, K8S_HPATH_EXACT, K8S_HPATH_REGEX };

struct k8s_kv {
	const char *name, *value;
	int regex; /**< RegularExpression (else Exact) */
};

struct k8s_hmatch {
	enum k8s_hpath ptype;
	const char *path;
	struct k8s_kv *headers, *query;
	unsigned n_headers, n_query;
	const char *method;
	struct k8s_loc loc;
	char field[K8S_FIELD_MAX];
};

enum k8s_hfilter_type { K8S_HF_REQ_HEADER, K8S_HF_RESP_HEADER, K8S_HF_REDIRECT, K8S_HF_REWRITE };

struct k8s_hdr_op {
	char op; /**< 's'et, 'a'dd, 'r'emove */
	const char *name, *value;
};

struct k8s_hfilter {
	enum k8s_hfilter_type type;
	struct k8s_hdr_op *ops; /**< header modifiers */
	unsigned n_ops;
	const char *scheme, *hostname; /**< redirect, rewrite (hostname) */
	long port, status;             /**< redirect; 0: unset */
	int prefix;                    /**< path: ReplacePrefixMatch (else ReplaceFullPath) */
	const char *path;              /**< NULL: the path is kept */
	struct k8s_loc loc;
	char field[K8S_FIELD_MAX];
};

struct k8s_hbackend {
	struct k8s_backend be; /**< svc, port_num; field and loc */
	const char *ns;        /**< NULL: the route's */
	long weight;
};

struct k8s_hrule {
	struct k8s_hmatch *matches;
	unsigned n_matches;
	struct k8s_hfilter *filters;
	unsigned n_filters;
	struct k8s_hbackend *backends;
	unsigned n_backends;
	struct k8s_loc loc;
	int bad_filter;       /**< 1 + index of a filter fanout cannot do: rule left out */
	const char *bad_type; /**< that filter's type */
};

struct k8s_httproute {
	struct k8s_meta m;
	const char **hostnames;
	unsigned n_hostnames;
	struct k8s_hrule *rules;
	unsigned n_rules;
};

/* Secret (v1) with tls.crt and tls.key, and Gateway listeners
 * (gateway.networking.k8s.io/v1) that terminate TLS: k8s_tls.c. */
struct k8s_secret {
	struct k8s_meta m;
	const char *type; /**< type; NULL: Opaque */
	char *crt, *key;  /**< decoded PEM (arena, NUL-terminated); NULL: absent */
	size_t crt_len, key_len;
	const char *bad;       /**< why crt/key cannot be used (NULL: they can) */
	const char *bad_field; /**< the field it is about */
};

struct k8s_certref {
	const char *ns, *name; /**< the Secret's */
	struct k8s_loc loc;
	char field[K8S_FIELD_MAX];
};

struct k8s_listener {
	const char *name, *protocol, *hostname, *mode; /**< mode: tls.mode (Terminate) */
	long port;
	struct k8s_certref *refs;
	unsigned n_refs;
	struct k8s_loc loc;
	char field[K8S_FIELD_MAX];
};

struct k8s_gateway {
	struct k8s_meta m;
	struct k8s_listener *ls;
	unsigned n_ls;
};

/** A ConfigMap (v1): its data, read only when it is opts->configmap. */
struct k8s_configmap {
	struct k8s_meta m;
	yaml_node_t *data; /**< a mapping, or NULL */
};

/** A file the config names (a certificate chain or key) for the caller to write. */
struct k8s_file {
	char *path; /**< malloc()ed */
	const char *data;
	size_t len;
	unsigned mode;
};

/** Zeroed memory from the import's arena (freed by fo_k8s_free). @return NULL: no memory. */
void *k8s_zalloc(struct fo_k8s *k, size_t size);

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
	struct k8s_httproute *hr;
	unsigned n_hr, cap_hr;
	struct k8s_secret *sec;
	unsigned n_sec, cap_sec;
	struct k8s_gateway *gw;
	unsigned n_gw, cap_gw;
	struct k8s_httproute *tr; /**< TLSRoutes (read as HTTPRoutes: hostnames, backendRefs) */
	unsigned n_tr, cap_tr;
	struct k8s_configmap *cm;
	unsigned n_cm, cap_cm;
	struct k8s_file *files; /**< written by the last translation */
	unsigned n_files, cap_files;
	struct fo_k8s_file *pub_files; /**< fo_k8s_files()'s view of them */
	struct k8s_arena *arena;
	char ns[64]; /**< the namespace of objects that name none */
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

/** Forget the files of the last translation (k8s.c). */
void k8s_files_reset(struct fo_k8s *k);

/** Write the config for everything read (k8s_translate.c). @return 0 or -ENOMEM. */
int k8s_translate_run(struct fo_k8s *k, const struct fo_k8s_opts *o, struct k8s_buf *out);

#endif /* K8S_PRIV_H */
