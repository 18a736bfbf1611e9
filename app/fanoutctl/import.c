/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanoutctl import: Kubernetes Ingress, Service and EndpointSlice objects
 * (YAML or JSON files, directories, "-" for stdin) to a fanout config,
 * through lib/k8s.
 *
 *   fanoutctl [--file-prefix P] import [--ingress-class C] [--strict] [--base FILE]
 *             [--tls-dir DIR] [--configmap NS/NAME] [-o FILE [--apply]] PATH...
 *
 * The certificates and keys of the TLS Secrets the config names go to DIR
 * (default: k8s-tls next to FILE, or in the working directory without -o)
 * as NAMESPACE_SECRET.crt (0644) and .key (0600), written before the config
 * and each atomically; a file whose content is already right is left alone
 * (no new inode for a certificate that did not change).
 *
 * Diagnostics go to stderr. The config goes to FILE (written to a
 * temporary file in FILE's directory, then renamed over it) or to stdout,
 * and only when the import succeeded: never a half config. --apply then
 * asks the running fanout of prefix P to reload (as `fanoutctl reload`):
 * its config must be FILE or include it.
 * Exit status: 0 written, 1 errors (or warnings with --strict), 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fo_k8s.h"
#include "import.h"

static void
import_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--file-prefix P] import [--ingress-class C] [-n NS] [--strict] [--base "
		"FILE]\n"
		"           [--tls-dir DIR] [--configmap NS/NAME] [-o FILE [--apply]] PATH...\n"
		"  PATH               a YAML or JSON file, a directory (its *.yaml, *.yml,\n"
		"                     *.json), or - for stdin; Ingress, Service, EndpointSlice,\n"
		"                     HTTPRoute (not with Ingresses), Secret, Gateway\n"
		"  --ingress-class C  only Ingresses of class C (ingressClassName or the\n"
		"                     kubernetes.io/ingress.class annotation)\n"
		"  -n, --namespace NS the namespace of objects that name none (default)\n"
		"  --strict           warnings are errors\n"
		"  --base FILE        include FILE first (interfaces, listeners, http block)\n"
		"  --tls-dir DIR      where the TLS Secrets' certificates and keys go\n"
		"                     (default: k8s-tls beside -o FILE, or in the working "
		"directory)\n"
		"  --configmap NS/NAME ingress-nginx's controller ConfigMap (among the objects\n"
		"                     read): its hsts* and ssl-redirect keys\n"
		"  -o FILE            write the config to FILE (atomically) instead of stdout\n"
		"  --apply            then reload the running fanout (--file-prefix P), whose\n"
		"                     config is FILE or includes it\n",
		prog);
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/** FILE.XXXXXX in FILE's directory, then rename: readers see old or new. */
static int
write_atomic(const char *path, const char *text, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	rc = write_all(fd, text, len);
	if (rc == 0 && fchmod(fd, mode) != 0)
		rc = -errno;
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/** @return 1 when @p path holds exactly @p len bytes @p data with mode @p mode. */
static int
same_file(const char *path, const char *data, size_t len, mode_t mode)
{
	char buf[65536];
	struct stat st;
	size_t off = 0;
	ssize_t r;
	int fd, same = 1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || (size_t)st.st_size != len || (st.st_mode & 07777) != mode) {
		close(fd);
		return 0;
	}
	while (same && (r = read(fd, buf, sizeof(buf))) > 0) {
		if (off + (size_t)r > len || memcmp(buf, data + off, (size_t)r) != 0)
			same = 0;
		off += (size_t)r;
	}
	close(fd);
	return same && off == len;
}

/** The TLS files the config names, into @p dir (made 0700 when missing). @return 0 or 1. */
static int
write_tls_files(const char *prog, const char *dir, struct fo_k8s *k)
{
	const struct fo_k8s_file *f;
	unsigned i, n = fo_k8s_files(k, &f);
	int rc;

	if (n == 0)
		return 0;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s import: cannot make the TLS directory %s: %s\n", prog, dir,
			strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (same_file(f[i].path, f[i].data, f[i].len, (mode_t)f[i].mode))
			continue;
		rc = write_atomic(f[i].path, f[i].data, f[i].len, (mode_t)f[i].mode);
		if (rc != 0) {
			fprintf(stderr, "%s import: cannot write %s: %s\n", prog, f[i].path,
				strerror(-rc));
			return 1;
		}
	}
	return 0;
}

/**
 * The TLS directory as an absolute path (the config names the files by it:
 * fanout's working directory is not the importer's): @p arg, or k8s-tls
 * beside @p out_path, or in the working directory. @return 0 or -1 (too long).
 */
static int
tls_dir_path(const char *arg, const char *out_path, char *dir, size_t len)
{
	const char *slash = out_path ? strrchr(out_path, '/') : NULL;
	char cwd[PATH_MAX] = "", rel[PATH_MAX];
	int n;

	if (arg != NULL)
		n = snprintf(rel, sizeof(rel), "%s", arg);
	else if (slash != NULL)
		n = snprintf(rel, sizeof(rel), "%.*s/k8s-tls", (int)(slash - out_path), out_path);
	else
		n = snprintf(rel, sizeof(rel), "k8s-tls");
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -1;
	if (rel[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	n = snprintf(dir, len, "%s%s%s", cwd, cwd[0] ? "/" : "", rel);
	if (n < 0 || (size_t)n >= len)
		return -1;
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	return 0;
}

int
cmd_import(const char *prog, const char *prefix, int argc, char **argv)
{
	static const struct option opts[] = {
		{"ingress-class", required_argument, NULL, 'c'},
		{"namespace", required_argument, NULL, 'n'},
		{"strict", no_argument, NULL, 's'},
		{"base", required_argument, NULL, 'b'},
		{"output", required_argument, NULL, 'o'},
		{"apply", no_argument, NULL, 'a'},
		{"tls-dir", required_argument, NULL, 't'},
		{"configmap", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct fo_k8s_opts o = {0};
	const char *out_path = NULL, *ns = NULL;
	char base[PATH_MAX], source[1024], tls_dir[PATH_MAX];
	const char *tls_arg = NULL;
	struct fo_k8s *k;
	size_t len, used = 0;
	char *text = NULL;
	int opt, i, rc, apply = 0;

	optind = 1; /* argv[0] is "import" */
	while ((opt = getopt_long(argc, argv, "n:o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o.ingress_class = optarg;
			break;
		case 'n':
			ns = optarg;
			break;
		case 's':
			o.strict = 1;
			break;
		case 'b':
			if (realpath(optarg, base) == NULL) {
				fprintf(stderr, "%s import: --base %s: %s\n", prog, optarg,
					strerror(errno));
				return 1;
			}
			o.base = base;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'a':
			apply = 1;
			break;
		case 't':
			tls_arg = optarg;
			break;
		case 'm':
			o.configmap = optarg;
			break;
		case 'h':
			import_usage(stdout, prog);
			return 0;
		default:
			import_usage(stderr, prog);
			return 2;
		}
	}
	if (apply && out_path == NULL) {
		fprintf(stderr, "%s import: --apply needs -o FILE (the file fanout reads)\n", prog);
		return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "%s import: no PATH to read\n", prog);
		import_usage(stderr, prog);
		return 2;
	}
	if (tls_dir_path(tls_arg, out_path, tls_dir, sizeof(tls_dir)) != 0) {
		fprintf(stderr, "%s import: TLS directory path too long\n", prog);
		return 2;
	}
	o.tls_dir = tls_dir;
	k = fo_k8s_new();
	if (k == NULL) {
		fprintf(stderr, "%s import: out of memory\n", prog);
		return 1;
	}
	if (ns != NULL && fo_k8s_set_namespace(k, ns) != 0) {
		fprintf(stderr, "%s import: invalid namespace \"%s\" (a DNS label)\n", prog, ns);
		fo_k8s_free(k);
		return 2;
	}
	source[0] = '\0';
	for (i = optind; i < argc; i++) {
		fo_k8s_load_path(k, argv[i]);
		if (used < sizeof(source))
			used += (size_t)snprintf(source + used, sizeof(source) - used, "%s%s",
				i > optind ? " " : "", argv[i]);
	}
	o.source = source;
	rc = fo_k8s_translate(k, &o, &text, &len);
	fputs(fo_k8s_messages(k), stderr);
	if (rc != 0) {
		fprintf(stderr, "%s import: %s: no config written\n", prog,
			rc == -ENOMEM      ? "out of memory"
			: fo_k8s_errors(k) ? "errors in the input"
					   : "failed");
		fo_k8s_free(k);
		return 1;
	}
	/* the certificates first: the config never names a file not there yet */
	if (write_tls_files(prog, tls_dir, k) != 0) {
		free(text);
		fo_k8s_free(k);
		return 1;
	}
	if (out_path != NULL) {
		rc = write_atomic(out_path, text, len, 0644);
		if (rc != 0)
			fprintf(stderr, "%s import: cannot write %s: %s\n", prog, out_path,
				strerror(-rc));
	} else {
		rc = write_all(STDOUT_FILENO, text, len);
		if (rc != 0)
			fprintf(stderr, "%s import: cannot write to stdout: %s\n", prog,
				strerror(-rc));
	}
	free(text);
	fo_k8s_free(k);
	if (rc != 0)
		return 1;
	if (apply) {
		char reload[] = "reload";
		char *words[] = {reload};

		return control(prefix, 1, words, 0);
	}
	return 0;
}
