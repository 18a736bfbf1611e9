/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The translation's state: upstreams (k8s_backend.c), routes and default
 * backends (k8s_translate.c) before they are written out.
 */
#ifndef K8S_XLATE_H
#define K8S_XLATE_H

#include "k8s_annot.h"

struct k8s_server {
	char addr[16];
	long port;
	int drain; /**< terminating: in the config, drained */
	int ready; /**< 0: not ready and not terminating (written as a comment) */
};

struct k8s_upstream {
	char name[64];
	const struct k8s_service *svc;
	const struct k8s_svc_port *sp;
	struct k8s_server *srv;
	unsigned n_srv, cap_srv;
	long connect_s, read_s, send_s, tries;
	char next_upstream[128];
	const struct k8s_ingress *set_by; /**< first Ingress that set a setting */
	const struct k8s_bal *bal;        /**< balancing (NULL: round_robin) */
	const struct k8s_ingress *bal_by; /**< the Ingress it is from (the oldest) */
	char cookie_path[136];            /**< sticky without session-cookie-path */
};

struct k8s_route {
	const struct k8s_ingress *ing;
	const struct k8s_ann *ann;
	const struct k8s_path *p;
	const char *host;
	const char *type; /**< "exact", "prefix" or "regex" */
	int up;
	int app_root;
	unsigned cy_first, cy_n; /**< its canaries in x->cys (k8s_canary_fit) */
	long cy_total;           /**< their canary_weight_total */
};

/**
 * A `canary` block of a route: a canary Ingress's path (ingress-nginx's
 * canary annotations) or an HTTPRoute rule's other weighted backendRefs.
 */
struct k8s_canary {
	int route;                     /**< Ingress: index in x->routes; -1: an HTTPRoute's */
	unsigned seq;                  /**< order added (canary Ingresses oldest first) */
	const struct k8s_ingress *ing; /**< the canary Ingress; NULL: HTTPRoute */
	const struct k8s_ann *ann;     /**< its annotations (header, cookie, weight) */
	const struct k8s_path *p;      /**< its path */
	const struct k8s_hbackend *hb; /**< HTTPRoute: the backendRef */
	int up;
	long weight; /**< of the route's cy_total */
};

struct k8s_defb {
	const struct k8s_ingress *ing;
	const char *host; /**< NULL: the global one */
	int up;
};

/** An HTTPRoute match for one of its hostnames (k8s_gateway.c). */
struct k8s_groute {
	const struct k8s_httproute *h;
	const struct k8s_hrule *r;
	const struct k8s_hmatch *m;
	const char *host;        /**< NULL: every host */
	int wild;                /**< host is "*.X": written "**.X" (any number of labels) */
	int up;                  /**< -1: a redirect, no upstream */
	unsigned cy_first, cy_n; /**< the rule's other weighted backends in x->cys */
	long cy_total;           /**< the sum of the rule's weights */
};

/** A TLS Secret the config names (k8s_tls_xlate.c). */
struct k8s_tlscert {
	const char *ns, *name;
	const struct k8s_meta *by; /**< the first object naming it */
	const char *by_field;
	char hosts[256]; /**< the hosts it is named for (a comment) */
	int usable;      /**< found, with a PEM chain and key */
};

/** A `passthrough NAME { upstream U; }` block (k8s_pass.c); host NULL: passthrough_default. */
struct k8s_pass {
	const char *host;
	int up;
	const struct k8s_meta *by;
	const char *by_field;
};

struct k8s_xlate {
	struct fo_k8s *k;
	const struct fo_k8s_opts *o;
	struct k8s_upstream *ups;
	unsigned n_ups, cap_ups;
	struct k8s_route *routes;
	unsigned n_routes, cap_routes;
	struct k8s_defb *defs;
	unsigned n_defs, cap_defs;
	struct k8s_groute *groutes;
	unsigned n_groutes, cap_groutes;
	struct k8s_canary *cys;
	unsigned n_cys, cap_cys;
	int gateway; /**< HTTPRoutes: match_order gateway */
	struct k8s_tlscert *certs;
	unsigned n_certs, cap_certs;
	struct k8s_pass *pass;
	unsigned n_pass, cap_pass;
	const struct k8s_configmap *cm; /**< opts->configmap, found */
	char hsts[96];                  /**< its `hsts` value ("": the default, "off") */
	int ssl_redirect_off;           /**< its ssl-redirect: "false" */
};

/**
 * The upstream of an Ingress backend, added on first use.
 * @return its index in x->ups; -EINVAL (recorded: no such Service, port
 *   or endpoint port); -ENOMEM.
 */
int k8s_backend_upstream(
	struct k8s_xlate *x, const struct k8s_meta *m, const struct k8s_backend *be);

/** Apply @p a's per-upstream settings to upstream @p up (the oldest Ingress's win). */
void k8s_upstream_settings(
	struct k8s_xlate *x, int up, const struct k8s_ingress *ing, const struct k8s_ann *a);

/**
 * Apply the balancing of Ingress @p ing (@p b) to upstream @p up, reached
 * by its path @p p (a regex when @p regex; NULL: its default backend): the
 * oldest Ingress's wins.
 */
void k8s_upstream_balance(struct k8s_xlate *x, int up, const struct k8s_ingress *ing,
	const struct k8s_bal *b, const struct k8s_path *p, int regex);

/** Write upstream @p u's `balance` or `sticky` line (nothing at the default). */
void k8s_balance_emit(struct k8s_buf *b, const struct k8s_upstream *u);

/** Largest canary_weight_total the config takes. */
#define K8S_CANARY_TOTAL_MAX 1000000L

/**
 * A canary Ingress (k8s_canary.c), after every main Ingress: each of its
 * paths becomes a canary of the main route with the same host, path and
 * pathType. @return 0 or -ENOMEM.
 */
int k8s_canary_add(struct k8s_xlate *x, const struct k8s_ingress *ing, const struct k8s_ann *a);

/**
 * After every canary Ingress: group the canaries by route, put their
 * weights on one total per route (the least common multiple of their
 * canary-weight-totals) and check they fit (errors recorded).
 * @return 0 or -ENOMEM.
 */
int k8s_canary_fit(struct k8s_xlate *x);

/** Add a canary (an HTTPRoute's weighted backend). @return its index, or -ENOMEM. */
int k8s_canary_push(struct k8s_xlate *x, const struct k8s_canary *c);

/** Greatest common divisor of @p a and @p b (> 0). */
long k8s_gcd(long a, long b);

/** Write a route's `canary_weight_total` and `canary` blocks. */
void k8s_canary_emit(
	const struct k8s_xlate *x, struct k8s_buf *b, unsigned first, unsigned n, long total);

/** Write @p s as a config string ("..." with \\ and " escaped). */
void k8s_put_q(struct k8s_buf *b, const char *s);

/** @return 1 when @p h is a DNS name the config takes, optionally "*." first. */
int k8s_host_ok(const char *h);

/**
 * The HTTPRoutes (k8s_gateway.c), after the Ingresses: @p n_ing Ingresses
 * were imported (both kinds in one config is an error: their match orders
 * differ). @return 0 or -ENOMEM.
 */
int k8s_gateway_add(struct k8s_xlate *x, unsigned n_ing);

/** Write the HTTPRoutes' routes. */
void k8s_gateway_emit(const struct k8s_xlate *x, struct k8s_buf *b);

/**
 * The TLS of Ingress @p ing (k8s_tls_xlate.c): each spec.tls entry's
 * Secret becomes a certificate of the config (warned about when missing or
 * unusable: its hosts get fanout's default certificate). Also checks
 * force-ssl-redirect. @return 0 or -ENOMEM.
 */
int k8s_tls_ingress(struct k8s_xlate *x, const struct k8s_ingress *ing, const struct k8s_ann *a);

/** The Gateways' HTTPS listeners' certificateRefs, likewise. @return 0 or -ENOMEM. */
int k8s_tls_gateways(struct k8s_xlate *x);

/**
 * Write a `tls_certificate` line per usable Secret and list its two files
 * (x->k->files). @return 0 or -ENOMEM.
 */
int k8s_tls_emit(struct k8s_xlate *x, struct k8s_buf *b);

/**
 * ssl-passthrough on Ingress @p ing (k8s_pass.c): each host's "/" backend
 * becomes a `passthrough HOST { upstream U; }`. @return 0 or -ENOMEM.
 */
int k8s_pass_ingress(struct k8s_xlate *x, const struct k8s_ingress *ing);

/** TLSRoutes to passthrough blocks (oldest first). @return 0 or -ENOMEM. */
int k8s_pass_tlsroutes(struct k8s_xlate *x);

/** Write the passthrough blocks and passthrough_default. */
void k8s_pass_emit(const struct k8s_xlate *x, struct k8s_buf *b);

/** Read opts->configmap (k8s_configmap.c; errors recorded). @return 0. */
int k8s_configmap(struct k8s_xlate *x);

/** Write what the ConfigMap sets (`hsts`, `ssl_redirect`). */
void k8s_configmap_emit(const struct k8s_xlate *x, struct k8s_buf *b);

#endif /* K8S_XLATE_H */
