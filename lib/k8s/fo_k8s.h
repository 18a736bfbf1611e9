/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Kubernetes import: read Ingress, Service and EndpointSlice objects from
 * YAML or JSON (files, directories, stdin; multi-document YAML and
 * `kind: List`) and translate them into fanout config text, routing as
 * ingress-nginx does (`match_order ingress-nginx`).
 *
 * The library produces text only: it does not link lib/conf, and the text
 * it writes is meant to pass `fanout --check` (tests check that it does).
 * No DPDK, no EAL: fanoutctl, unit tests and the fuzzer use it as is.
 *
 * Every problem is a diagnostic line kept in the import (see
 * fo_k8s_messages()): "error: FILE:LINE:COL: KIND NS/NAME: FIELD: text" or
 * "warning: ..." with the same shape. Warnings never stop an import unless
 * the options ask for strict mode.
 */
#ifndef FO_K8S_H
#define FO_K8S_H

#include <stddef.h>

/** An import in progress: the objects read so far and the diagnostics. */
struct fo_k8s;

/** Translation options. Zero-initialised is the default. */
struct fo_k8s_opts {
	/** Import only Ingresses of this class (spec.ingressClassName or the
	 * kubernetes.io/ingress.class annotation); NULL: every Ingress. */
	const char *ingress_class;
	/** Warnings are errors: fo_k8s_translate() fails when there is one. */
	int strict;
	/** Written as `include "BASE";` first (the interfaces and listeners
	 * the generated routes need); NULL: a fragment without it. */
	const char *base;
	/** Written in the header comment (what the config was made from);
	 * may be NULL. */
	const char *source;
	/** Where the certificates and keys of TLS Secrets go (the config's
	 * `tls_certificate` lines name DIR/NAMESPACE_SECRET.crt and .key;
	 * see fo_k8s_files()); NULL: "k8s-tls", relative to fanout's working
	 * directory. */
	const char *tls_dir;
	/** "NAMESPACE/NAME" of ingress-nginx's controller ConfigMap (its
	 * --configmap) among the objects read: its HSTS and ssl-redirect keys
	 * become `hsts` and `ssl_redirect`; NULL: ConfigMaps are skipped. */
	const char *configmap;
};

/** A file the config names, for the caller to write (fo_k8s_files()). */
struct fo_k8s_file {
	const char *path; /**< tls_dir/NAMESPACE_SECRET.crt or .key */
	const char *data; /**< the decoded PEM */
	size_t len;
	unsigned mode; /**< 0644 for a chain, 0600 for a key */
};

/** Largest input file read (bytes). */
#define FO_K8S_MAX_FILE (64u << 20)
/** Most objects in one import (after `kind: List` is flattened). */
#define FO_K8S_MAX_OBJECTS 100000u

/**
 * A new, empty import.
 *
 * @return the import, or NULL when out of memory.
 */
struct fo_k8s *fo_k8s_new(void);

/**
 * Free an import and everything it holds. NULL is fine.
 */
void fo_k8s_free(struct fo_k8s *k);

/**
 * The namespace of the objects read from now on that name none (as
 * `kubectl apply -n NS`); "default" until set.
 *
 * @return 0, or -EINVAL when @p ns is not a DNS label (1-63 of a-z, 0-9
 *   and "-", not at either end).
 */
int fo_k8s_set_namespace(struct fo_k8s *k, const char *ns);

/**
 * Read objects from @p path: a regular file, a directory (its `*.yaml`,
 * `*.yml` and `*.json` files in name order, not recursive), or `-` for
 * standard input.
 *
 * @return 0 when everything was read and parsed; -EINVAL when the input
 *   had errors (recorded as diagnostics; the objects read before the first
 *   bad document of a file are kept); -errno when a file cannot be read
 *   (also recorded); -ENOMEM.
 */
int fo_k8s_load_path(struct fo_k8s *k, const char *path);

/**
 * Read objects from a buffer, named @p name in diagnostics.
 *
 * @return 0, -EINVAL (errors recorded) or -ENOMEM.
 */
int fo_k8s_load_buf(struct fo_k8s *k, const char *name, const char *buf, size_t len);

/**
 * Translate the objects read into a config.
 *
 * @param out
 *   On success, the config text (NUL-terminated, free() it); untouched on
 *   failure, so that no half config is ever written.
 * @param out_len
 *   On success, its length without the NUL; may be NULL.
 * @return 0; -EINVAL when there were errors (while reading or
 *   translating, or warnings with opts->strict); -ENOMEM.
 */
int fo_k8s_translate(struct fo_k8s *k, const struct fo_k8s_opts *opts, char **out, size_t *out_len);

/**
 * The files the last successful fo_k8s_translate() wrote `tls_certificate`
 * lines for: the PEM chain and key of every TLS Secret an imported Ingress
 * (spec.tls) or Gateway listener (HTTPS, certificateRefs) names. The
 * library writes nothing: the caller writes them before fanout reads the
 * config.
 *
 * @param files
 *   Set to the array (owned by @p k, valid until the next translation or
 *   fo_k8s_free()); NULL when there is none.
 * @return their number.
 */
unsigned fo_k8s_files(const struct fo_k8s *k, const struct fo_k8s_file **files);

/**
 * Every diagnostic so far, one per line ("error: ..." / "warning: ..." /
 * "note: ..."), in the order they were found.
 *
 * @return a NUL-terminated string owned by @p k (empty when none).
 */
const char *fo_k8s_messages(const struct fo_k8s *k);

/** @return the number of errors recorded so far. */
unsigned fo_k8s_errors(const struct fo_k8s *k);

/** @return the number of warnings recorded so far. */
unsigned fo_k8s_warnings(const struct fo_k8s *k);

#endif /* FO_K8S_H */
