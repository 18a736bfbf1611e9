/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ingress-nginx annotations of an Ingress, read into what the config can
 * express. Every annotation is either mapped, or reported as a warning
 * naming the object and the annotation: none is dropped silently, except
 * kubectl's and Helm's bookkeeping (kubectl.kubernetes.io/...,
 * meta.helm.sh/...), which says nothing about routing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "k8s_annot.h"

#define NGINX_PREFIX "nginx.ingress.kubernetes.io/"

struct actx {
	struct fo_k8s *k;
	const struct k8s_ingress *ing;
	struct k8s_loc loc;
	char field[K8S_FIELD_MAX];
};

static void awarn(struct actx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
awarn(struct actx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k8s_diag(c->k, K8S_WARNING, &c->ing->m, &c->loc, c->field, "%s", msg);
}

/** Seconds "N" (ingress-nginx takes an integer) within 1..3600. @return 0 or -1 (warned). */
static int
seconds(struct actx *c, const char *v, long *out)
{
	char *end;
	long n;

	if (v[0] < '0' || v[0] > '9')
		goto bad;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || n < 1 || n > 3600 || (*end != '\0' && strcmp(end, "s") != 0))
		goto bad;
	*out = n;
	return 0;
bad:
	awarn(c, "invalid value \"%s\" (expected seconds, 1..3600): ignored", v);
	return -1;
}

/** An nginx size: digits and an optional k, m or g. */
static int
size_ok(const char *v)
{
	size_t i = 0;

	while (v[i] >= '0' && v[i] <= '9')
		i++;
	if (i == 0 || i > 13)
		return 0;
	if (v[i] != '\0' && strchr("kKmMgG", v[i]) != NULL)
		i++;
	return v[i] == '\0';
}

/** Printable ASCII without spaces, as every path-like value of the config. */
int
k8s_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static void
next_upstream(struct actx *c, const char *v, struct k8s_ann *a)
{
	static const char *const kept[] = {"error", "timeout", "invalid_header", "http_500",
		"http_502", "http_503", "http_504", "http_429"};
	char words[256], *w, *save = NULL;
	size_t used = 0;
	unsigned i;

	snprintf(words, sizeof(words), "%s", v);
	a->next_upstream[0] = '\0';
	for (w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (strcmp(w, "off") == 0) {
			snprintf(a->next_upstream, sizeof(a->next_upstream), "off");
			return;
		}
		for (i = 0; i < K8S_ARRAY_SIZE(kept); i++)
			if (strcmp(w, kept[i]) == 0)
				break;
		if (i == K8S_ARRAY_SIZE(kept)) {
			awarn(c,
				"\"%s\" is not supported (fanout retries on error, timeout, "
				"invalid_header, http_500, http_502, http_503, http_504, "
				"http_429; it never sends a non-idempotent request twice): "
				"dropped",
				w);
			continue;
		}
		if (strstr(a->next_upstream, kept[i]) != NULL)
			continue;
		used += (size_t)snprintf(a->next_upstream + used, sizeof(a->next_upstream) - used,
			"%s%s", used ? " " : "", w);
	}
}

static int
redirect_code(struct actx *c, const char *v, int def)
{
	if (strcmp(v, "301") == 0 || strcmp(v, "302") == 0 || strcmp(v, "303") == 0 ||
		strcmp(v, "307") == 0 || strcmp(v, "308") == 0)
		return atoi(v);
	awarn(c, "invalid code \"%s\" (expected 301, 302, 303, 307 or 308): %d used", v, def);
	return def;
}

int
k8s_token(const char *s)
{
	if (*s == '\0' || strlen(s) > 256)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			    (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s) != NULL))
			return 0;
	return 1;
}

/** A header value the config can match: visible ASCII and inner spaces. */
static int
value_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/** A regex the config compiles as fanout does (PCRE2, no options). */
static int
regex_ok(struct actx *c, const char *v)
{
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off;
	pcre2_code *re;
	int code;

	re = pcre2_compile((PCRE2_SPTR)v, PCRE2_ZERO_TERMINATED, 0, &code, &off, NULL);
	if (re != NULL) {
		pcre2_code_free(re);
		return 1;
	}
	if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "error %d", code);
	awarn(c, "invalid regex \"%s\" (%s at offset %zu): ignored (as ingress-nginx)", v,
		(const char *)msg, (size_t)off);
	return 0;
}

static void
canary_by(struct actx *c, const char *name, const char *v, struct k8s_ann *a)
{
	const char **slot;
	int ok;

	if (strcmp(name, "canary-by-header") == 0) {
		slot = &a->canary_header;
		ok = k8s_token(v);
	} else if (strcmp(name, "canary-by-header-value") == 0) {
		slot = &a->canary_value;
		ok = value_ok(v);
	} else if (strcmp(name, "canary-by-header-pattern") == 0) {
		slot = &a->canary_pattern;
		ok = value_ok(v);
		if (ok && !regex_ok(c, v))
			return;
	} else {
		slot = &a->canary_cookie;
		ok = k8s_token(v);
	}
	if (!ok) {
		awarn(c, "invalid value \"%s\": ignored", v);
		return;
	}
	*slot = v;
	if (a->canary_loc.file == NULL)
		a->canary_loc = c->loc;
}

/*
 * canary-weight and canary-weight-total: integers, as ingress-nginx reads
 * them (a value that does not parse is its default: weight 0, total 100).
 * Its balancer draws from 100 when the total is below 100, so does the
 * import. Whether the weights fit their total is checked with the other
 * canaries of the same path (k8s_canary.c).
 */
static void
canary_num(struct actx *c, const char *name, const char *v, struct k8s_ann *a)
{
	int total = strcmp(name, "canary-weight-total") == 0;
	size_t n = strspn(v, "0123456789");
	long x;

	if (n == 0 || n > 9 || v[n] != '\0' || (total && atol(v) == 0)) {
		awarn(c, "invalid value \"%s\" (expected %s): %s used (as ingress-nginx)", v,
			total ? "a number above 0" : "a number", total ? "100" : "0");
		return;
	}
	x = atol(v);
	if (!total) {
		a->canary_weight = x;
		a->weight_loc = c->loc;
		return;
	}
	a->total_loc = c->loc;
	if (x < 100) {
		awarn(c,
			"%ld: ingress-nginx draws from 100 when canary-weight-total is below 100, "
			"so does the import: 100 used",
			x);
		x = 100;
	}
	a->canary_total = x;
}

/*
 * The location annotations a canary Ingress does not have: ingress-nginx
 * serves canary requests from the main Ingress's location, with its
 * settings (only balancing and affinity are the canary's own: k8s_balance.c).
 */
static int
location_setting(const char *name)
{
	static const char *const names[] = {"rewrite-target", "use-regex", "app-root",
		"permanent-redirect", "permanent-redirect-code", "temporal-redirect",
		"temporal-redirect-code", "proxy-body-size", "proxy-connect-timeout",
		"proxy-read-timeout", "proxy-send-timeout", "proxy-next-upstream",
		"proxy-next-upstream-tries", "proxy-next-upstream-timeout", "x-forwarded-prefix",
		"ssl-redirect", "force-ssl-redirect", "ssl-passthrough"};
	unsigned i;

	for (i = 0; i < K8S_ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			return 1;
	return 0;
}

static void
one(struct actx *c, const char *key, const char *v, struct k8s_ann *a)
{
	const char *name = key + strlen(NGINX_PREFIX);

	if (a->canary && location_setting(name)) {
		awarn(c, "ignored on a canary Ingress: its requests are served with the main "
			 "Ingress's settings (as ingress-nginx)");
	} else if (strcmp(name, "rewrite-target") == 0) {
		a->rewrite = v;
		a->rewrite_field = c->loc;
	} else if (strcmp(name, "use-regex") == 0) {
		if (strcmp(v, "true") == 0)
			a->use_regex = 1;
		else if (strcmp(v, "false") != 0)
			awarn(c, "invalid value \"%s\" (expected true or false): ignored", v);
	} else if (strcmp(name, "app-root") == 0) {
		if (v[0] != '/' || strcmp(v, "/") == 0 || !k8s_printable(v) ||
			strpbrk(v, "?#") != NULL)
			awarn(c,
				"invalid value \"%s\" (a path other than \"/\", printable "
				"ASCII without spaces, \"?\" or \"#\"): ignored",
				v);
		else
			a->app_root = v;
	} else if (strcmp(name, "permanent-redirect") == 0 ||
		   strcmp(name, "temporal-redirect") == 0) {
		int temporal = name[0] == 't';

		if ((strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0 &&
			    v[0] != '/') ||
			!k8s_printable(v)) {
			awarn(c,
				"invalid URL \"%s\" (http://, https:// or a path; printable "
				"ASCII without spaces): ignored",
				v);
		} else if (temporal) {
			a->temp_url = v;
		} else {
			a->perm_url = v;
		}
	} else if (strcmp(name, "permanent-redirect-code") == 0) {
		a->perm_code = redirect_code(c, v, 301);
	} else if (strcmp(name, "temporal-redirect-code") == 0) {
		a->temp_code = redirect_code(c, v, 302);
	} else if (strcmp(name, "proxy-body-size") == 0) {
		if (!size_ok(v))
			awarn(c, "invalid size \"%s\" (expected N, Nk, Nm or Ng): ignored", v);
		else
			a->body_size = v;
	} else if (strcmp(name, "proxy-connect-timeout") == 0) {
		seconds(c, v, &a->connect_s);
	} else if (strcmp(name, "proxy-read-timeout") == 0) {
		seconds(c, v, &a->read_s);
	} else if (strcmp(name, "proxy-send-timeout") == 0) {
		seconds(c, v, &a->send_s);
	} else if (strcmp(name, "proxy-next-upstream") == 0) {
		next_upstream(c, v, a);
	} else if (strcmp(name, "proxy-next-upstream-tries") == 0) {
		long n = atol(v);

		if (v[0] < '0' || v[0] > '9' || v[strspn(v, "0123456789")] != '\0') {
			awarn(c, "invalid value \"%s\" (expected a number): ignored", v);
		} else if (n == 0 || n > 16) {
			awarn(c, "%s tries: fanout makes at most 16 attempts, 16 used",
				n == 0 ? "unlimited" : v);
			a->tries = 16;
		} else {
			a->tries = n;
		}
	} else if (strcmp(name, "proxy-next-upstream-timeout") == 0) {
		awarn(c, "not supported (fanout bounds retries by \"tries\" and each attempt's "
			 "timeouts, not by a total time): ignored");
	} else if (strcmp(name, "x-forwarded-prefix") == 0) {
		if (!k8s_printable(v))
			awarn(c, "invalid value \"%s\": ignored", v);
		else
			a->fwd_prefix = v;
	} else if (strcmp(name, "ssl-redirect") == 0 || strcmp(name, "force-ssl-redirect") == 0) {
		/* ssl-redirect "false": this Ingress's routes are not sent to
		 * https (the route's `ssl_redirect off`); force-ssl-redirect
		 * "true" wins over it, as in ingress-nginx */
		int force = name[0] == 'f';

		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
			awarn(c, "invalid value \"%s\" (expected true or false): ignored", v);
		} else if (force) {
			a->force_ssl = strcmp(v, "true") == 0;
			a->force_loc = c->loc;
		} else {
			a->ssl_redirect_off = strcmp(v, "false") == 0;
		}
	} else if (strcmp(name, "ssl-passthrough") == 0) {
		if (strcmp(v, "true") == 0)
			a->passthrough = 1;
		else if (strcmp(v, "false") != 0)
			awarn(c, "invalid value \"%s\" (expected true or false): ignored", v);
	} else if (strcmp(name, "canary") == 0) {
		/* read before the others (k8s_annotations) */
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			awarn(c, "invalid value \"%s\" (expected true or false): not a canary", v);
	} else if (strcmp(name, "canary-by-header") == 0 ||
		   strcmp(name, "canary-by-header-value") == 0 ||
		   strcmp(name, "canary-by-header-pattern") == 0 ||
		   strcmp(name, "canary-by-cookie") == 0) {
		canary_by(c, name, v, a);
	} else if (strcmp(name, "canary-weight") == 0 || strcmp(name, "canary-weight-total") == 0) {
		canary_num(c, name, v, a);
	} else if (k8s_bal_which(name) != K8S_BA_N) {
		/* decided together once all are read (k8s_bal_resolve) */
		a->bal.raw[k8s_bal_which(name)] = v;
		a->bal.loc[k8s_bal_which(name)] = c->loc;
	} else {
		awarn(c, "ingress-nginx annotation not supported by fanout: ignored");
	}
}

void
k8s_annotations(struct fo_k8s *k, const struct k8s_ingress *ing, struct k8s_ann *a)
{
	yaml_document_t *d = ing->m.doc;
	yaml_node_t *map = ing->m.annotations, *kn, *vn;
	struct actx c = {.k = k, .ing = ing};
	yaml_node_pair_t *p;
	const char *key, *v;

	memset(a, 0, sizeof(*a));
	a->canary_total = 100;
	if (map == NULL)
		return;
	/* canary: "true" first: it changes what the other annotations mean */
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		key = ky_str(yaml_document_get_node(d, p->key));
		v = ky_str(yaml_document_get_node(d, p->value));
		if (key != NULL && v != NULL && strcmp(key, NGINX_PREFIX "canary") == 0)
			a->canary = strcmp(v, "true") == 0;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		kn = yaml_document_get_node(d, p->key);
		vn = yaml_document_get_node(d, p->value);
		key = ky_str(kn);
		if (key == NULL)
			continue;
		c.loc = (struct k8s_loc){.file = ing->m.loc.file,
			.line = (unsigned)kn->start_mark.line + 1,
			.col = (unsigned)kn->start_mark.column + 1};
		snprintf(c.field, sizeof(c.field), "metadata.annotations[%s]", key);
		if (strcmp(key, "kubernetes.io/ingress.class") == 0 ||
			strncmp(key, "kubectl.kubernetes.io/", 22) == 0 ||
			strncmp(key, "meta.helm.sh/", 13) == 0)
			continue;
		if (strncmp(key, NGINX_PREFIX, strlen(NGINX_PREFIX)) != 0) {
			awarn(&c, "annotation not known to fanout: ignored");
			continue;
		}
		v = ky_str(vn);
		if (v == NULL) {
			awarn(&c, "expected a string value: ignored");
			continue;
		}
		one(&c, key, v, a);
	}
	c.loc = a->canary_loc;
	snprintf(c.field, sizeof(c.field), "metadata.annotations");
	if ((a->canary_loc.file != NULL || a->weight_loc.file != NULL ||
		    a->total_loc.file != NULL) &&
		!a->canary) {
		if (a->canary_loc.file == NULL)
			c.loc = a->weight_loc.file != NULL ? a->weight_loc : a->total_loc;
		awarn(&c, "canary-by-* or canary-weight* without canary: \"true\": ignored (as "
			  "ingress-nginx)");
		a->canary_header = a->canary_value = a->canary_pattern = a->canary_cookie = NULL;
		a->canary_weight = 0;
	} else if (a->canary_header == NULL && (a->canary_value || a->canary_pattern)) {
		awarn(&c, "canary-by-header-value or -pattern without canary-by-header: ignored");
		a->canary_value = a->canary_pattern = NULL;
	} else if (a->canary_value != NULL && a->canary_pattern != NULL) {
		awarn(&c, "canary-by-header-value and -pattern: the value is used (as "
			  "ingress-nginx)");
		a->canary_pattern = NULL;
	}
	k8s_bal_resolve(k, ing, &a->bal);
	if (a->force_ssl)
		a->ssl_redirect_off = 0;
	if (a->perm_url != NULL && a->temp_url != NULL) {
		c.loc = ing->m.loc;
		snprintf(c.field, sizeof(c.field), "metadata.annotations");
		awarn(&c, "both permanent-redirect and temporal-redirect: temporal-redirect used "
			  "(as ingress-nginx)");
	}
}
