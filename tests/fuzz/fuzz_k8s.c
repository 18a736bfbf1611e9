/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the Kubernetes importer: any bytes are read as YAML
 * or JSON objects (fo_k8s_load_buf, no file system access) and translated
 * twice, with the default options and with a class filter, strict mode, a
 * base, a TLS directory and a controller ConfigMap. Must not crash, hang or
 * leak; a config is only returned without errors, and the certificate files
 * it names are listed (inside the TLS directory) only then.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fo_k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fo_k8s_opts strict = {.ingress_class = "nginx",
		.strict = 1,
		.base = "/etc/fanout/base.conf",
		.tls_dir = "/etc/fanout/k8s-tls",
		.configmap = "ingress-nginx/ingress-nginx-controller"};
	const struct fo_k8s_file *files;
	struct fo_k8s *k = fo_k8s_new();
	char *out = NULL;
	size_t len = 0;

	if (k == NULL)
		return 0;
	fo_k8s_load_buf(k, "fuzz.yaml", (const char *)data, size);
	if (fo_k8s_translate(k, NULL, &out, &len) == 0) {
		if (fo_k8s_errors(k) != 0 || strlen(out) != len)
			abort();
		free(out);
		out = NULL;
	}
	if (fo_k8s_translate(k, &strict, &out, &len) == 0) {
		if (fo_k8s_warnings(k) != 0 && fo_k8s_errors(k) == 0)
			abort(); /* strict with a warning must fail */
		/* every file named is listed, under the directory, a PEM */
		for (unsigned i = 0, n = fo_k8s_files(k, &files); i < n; i++)
			if (strncmp(files[i].path, "/etc/fanout/k8s-tls/", 20) != 0 ||
				strstr(files[i].path, "..") != NULL ||
				strstr(out, files[i].path) == NULL ||
				strstr(files[i].data, "-----BEGIN ") == NULL)
				abort();
		free(out);
	} else if (fo_k8s_files(k, &files) != 0) {
		abort(); /* no file for a config not written */
	}
	(void)fo_k8s_messages(k);
	fo_k8s_free(k);
	return 0;
}
