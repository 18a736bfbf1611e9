/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ingress-nginx annotations of one Ingress that the config can express
 * (k8s_annot.c reads them; k8s_translate.c writes them).
 */
#ifndef K8S_ANNOT_H
#define K8S_ANNOT_H

#include "k8s_priv.h"

/** The balancing and affinity annotations (k8s_balance.c). */
enum k8s_ba {
	K8S_BA_LOAD_BALANCE,
	K8S_BA_HASH_BY,
	K8S_BA_HASH_SUBSET,
	K8S_BA_HASH_SUBSET_SIZE,
	K8S_BA_AFFINITY,
	K8S_BA_MODE,
	K8S_BA_CANARY_BEHAVIOR,
	K8S_BA_CK_NAME,
	K8S_BA_CK_PATH,
	K8S_BA_CK_MAX_AGE,
	K8S_BA_CK_EXPIRES,
	K8S_BA_CK_SAMESITE,
	K8S_BA_CK_COND_NONE,
	K8S_BA_CK_SECURE,
	K8S_BA_CK_DOMAIN,
	K8S_BA_CK_PARTITIONED,
	K8S_BA_CK_CHANGE,
	K8S_BA_N
};

/** How an Ingress's upstreams spread requests, as the config writes it. */
struct k8s_bal {
	const char *raw[K8S_BA_N]; /**< the annotations as given (NULL: unset) */
	struct k8s_loc loc[K8S_BA_N];
	enum k8s_ba by;       /**< the annotation that decides (valid when set) */
	int set;              /**< 1: something to write */
	char lb[24];          /**< `balance` argument without hash ("": unset) */
	char hash[80];        /**< `balance hash` key ("": no hash) */
	int sticky;           /**< affinity: cookie */
	const char *cookie;   /**< session-cookie-name (INGRESSCOOKIE) */
	const char *path;     /**< session-cookie-path (NULL: the route's path) */
	long max_age;         /**< session-cookie-max-age / -expires (0: session cookie) */
	const char *samesite; /**< "lax", "strict", "none" or NULL */
	int secure;
	int legacy; /**< affinity-canary-behavior: legacy */
};

struct k8s_ann {
	int use_regex;       /**< use-regex: "true" */
	const char *rewrite; /**< rewrite-target */
	struct k8s_loc rewrite_field;
	const char *app_root;           /**< app-root */
	const char *perm_url;           /**< permanent-redirect */
	int perm_code;                  /**< permanent-redirect-code (0: 301) */
	const char *temp_url;           /**< temporal-redirect */
	int temp_code;                  /**< temporal-redirect-code (0: 302) */
	const char *body_size;          /**< proxy-body-size, an nginx size */
	long connect_s, read_s, send_s; /**< proxy-*-timeout in seconds (0: unset) */
	char next_upstream[128];        /**< proxy-next-upstream, what fanout keeps ("": unset) */
	long tries;                     /**< proxy-next-upstream-tries (0: unset) */
	const char *fwd_prefix;         /**< x-forwarded-prefix */
	int canary;                     /**< canary: "true" */
	const char *canary_header;      /**< canary-by-header */
	const char *canary_value;       /**< canary-by-header-value */
	const char *canary_pattern;     /**< canary-by-header-pattern */
	const char *canary_cookie;      /**< canary-by-cookie */
	struct k8s_loc canary_loc;      /**< where the first canary-by-* is */
	long canary_weight;             /**< canary-weight (0: unset or 0) */
	long canary_total;              /**< canary-weight-total as used: >= 100 */
	struct k8s_loc weight_loc;      /**< canary-weight (file NULL: unset) */
	struct k8s_loc total_loc;       /**< canary-weight-total (file NULL: unset) */
	struct k8s_bal bal;             /**< load-balance, upstream-hash-by, affinity... */
	int ssl_redirect_off;           /**< ssl-redirect: "false" (and no force-ssl-redirect) */
	int force_ssl;                  /**< force-ssl-redirect: "true" */
	int passthrough;                /**< ssl-passthrough: "true" */
	struct k8s_loc force_loc;       /**< where force-ssl-redirect is */
};

/** Read @p ing's annotations into @p a, warning about what is not mapped. */
void k8s_annotations(struct fo_k8s *k, const struct k8s_ingress *ing, struct k8s_ann *a);

/** @return the balancing annotation named @p name (no prefix), or K8S_BA_N. */
enum k8s_ba k8s_bal_which(const char *name);

/** Check @p ing's balancing annotations (read into b->raw) and decide, warning. */
void k8s_bal_resolve(struct fo_k8s *k, const struct k8s_ingress *ing, struct k8s_bal *b);

/** @return 1 when @p s is an HTTP token (a header or cookie name), else 0. */
int k8s_token(const char *s);

/** @return 1 when @p s is printable ASCII without spaces (0x21..0x7e), else 0. */
int k8s_printable(const char *s);

#endif /* K8S_ANNOT_H */
