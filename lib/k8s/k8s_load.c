/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading input: files, directories and standard input, every YAML
 * document of each (JSON is YAML to libyaml), `kind: List` and typed lists
 * (IngressList...) flattened into their items.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "k8s_priv.h"

/** Read all of @p fd (at most FO_K8S_MAX_FILE). @return 0 or -errno (-EFBIG). */
static int
read_all(int fd, char **out, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= FO_K8S_MAX_FILE) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

static void
file_error(struct fo_k8s *k, const char *path, int err)
{
	struct k8s_loc loc = {.file = path, .line = 1, .col = 1};

	if (err == -EFBIG)
		k8s_diag(k, K8S_ERROR, NULL, &loc, NULL, "file too large (limit %u bytes)",
			FO_K8S_MAX_FILE);
	else
		k8s_diag(k, K8S_ERROR, NULL, &loc, NULL, "cannot read: %s", strerror(-err));
}

static int
load_fd(struct fo_k8s *k, const char *name, int fd)
{
	size_t len = 0;
	char *buf = NULL;
	int rc;

	rc = read_all(fd, &buf, &len);
	if (rc != 0) {
		file_error(k, name, rc);
		return rc;
	}
	rc = fo_k8s_load_buf(k, name, buf, len);
	free(buf);
	return rc;
}

static int
load_file(struct fo_k8s *k, const char *path)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		file_error(k, path, rc);
		return rc;
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		struct k8s_loc loc = {.file = path, .line = 1, .col = 1};

		k8s_diag(k, K8S_ERROR, NULL, &loc, NULL, "not a regular file");
		close(fd);
		return -EINVAL;
	}
	rc = load_fd(k, path, fd);
	close(fd);
	return rc;
}

static int
manifest_name(const struct dirent *d)
{
	static const char *const exts[] = {".yaml", ".yml", ".json"};
	size_t n = strlen(d->d_name), e, i;

	if (d->d_name[0] == '.')
		return 0;
	for (i = 0; i < K8S_ARRAY_SIZE(exts); i++) {
		e = strlen(exts[i]);
		if (n > e && strcmp(d->d_name + n - e, exts[i]) == 0)
			return 1;
	}
	return 0;
}

static int
load_dir(struct fo_k8s *k, const char *path)
{
	struct dirent **ents;
	char sub[4096];
	struct stat st;
	int n, i, rc = 0, r;

	n = scandir(path, &ents, manifest_name, alphasort);
	if (n < 0) {
		rc = -errno;
		file_error(k, path, rc);
		return rc;
	}
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name) >=
			sizeof(sub)) {
			file_error(k, path, -ENAMETOOLONG);
			r = -ENAMETOOLONG;
		} else if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			r = 0; /* not recursive, as kubectl apply -f DIR */
		} else {
			r = load_file(k, sub);
		}
		if (r != 0 && (rc == 0 || r == -ENOMEM))
			rc = r;
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
fo_k8s_load_path(struct fo_k8s *k, const char *path)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return load_fd(k, "<stdin>", STDIN_FILENO);
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return load_dir(k, path);
	return load_file(k, path);
}

/** "IngressList" -> "Ingress" for items that lack their kind (typed lists). */
static int
add_list(struct fo_k8s *k, struct k8s_doc *kd, yaml_node_t *root, const char *kind)
{
	yaml_node_t *items = ky_get(&kd->doc, root, "items"), *it;
	yaml_node_item_t *p;
	char item_kind[128];
	size_t kl = strlen(kind);
	int rc = 0, r;

	if (items == NULL)
		return 0;
	if (items->type != YAML_SEQUENCE_NODE) {
		struct k8s_loc loc = ky_loc(kd, items);

		k8s_diag(k, K8S_ERROR, NULL, &loc, "items", "%s items must be a list", kind);
		return -EINVAL;
	}
	snprintf(item_kind, sizeof(item_kind), "%.*s", (int)(kl - 4), kind);
	for (p = items->data.sequence.items.start; p < items->data.sequence.items.top; p++) {
		it = yaml_document_get_node(&kd->doc, *p);
		if (it == NULL || it->type != YAML_MAPPING_NODE) {
			struct k8s_loc loc = ky_loc(kd, it);

			k8s_diag(k, K8S_ERROR, NULL, &loc, "items[]",
				"a list item is not a Kubernetes object (expected a mapping)");
			rc = -EINVAL;
			continue;
		}
		/* typed lists from the API omit each item's kind: IngressList -> Ingress */
		r = k8s_add_object(k, kd, it, item_kind);
		if (r == -ENOMEM)
			return r;
		if (r != 0)
			rc = r;
	}
	return rc;
}

static int
add_document(struct fo_k8s *k, struct k8s_doc *kd)
{
	yaml_node_t *root = yaml_document_get_root_node(&kd->doc), *kn;
	struct k8s_loc loc = ky_loc(kd, root);
	const char *kind;
	size_t kl;

	if (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0)
		return 0; /* an empty document ("---" and nothing) */
	if (root->type != YAML_MAPPING_NODE) {
		k8s_diag(k, K8S_ERROR, NULL, &loc, NULL,
			"not a Kubernetes object (expected a mapping with apiVersion and kind)");
		return -EINVAL;
	}
	kn = ky_get(&kd->doc, root, "kind");
	kind = ky_str(kn);
	if (kind == NULL || kind[0] == '\0') {
		k8s_diag(k, K8S_ERROR, NULL, &loc, "kind", "missing (not a Kubernetes object)");
		return -EINVAL;
	}
	kl = strlen(kind);
	if (kl >= 4 && kl < 100 && strcmp(kind + kl - 4, "List") == 0)
		return add_list(k, kd, root, kind);
	return k8s_add_object(k, kd, root, NULL);
}

int
fo_k8s_load_buf(struct fo_k8s *k, const char *name, const char *buf, size_t len)
{
	yaml_parser_t parser;
	struct k8s_doc *kd;
	int rc = 0, r;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		if (k8s_grow((void **)&k->docs, &k->cap_docs, k->n_docs, sizeof(*k->docs)) != 0) {
			rc = -ENOMEM;
			break;
		}
		kd = calloc(1, sizeof(*kd));
		if (kd == NULL || (kd->file = strdup(name)) == NULL) {
			free(kd);
			rc = -ENOMEM;
			break;
		}
		if (!yaml_parser_load(&parser, &kd->doc)) {
			struct k8s_loc loc = {
				.file = name,
				.line = (unsigned)parser.problem_mark.line + 1,
				.col = (unsigned)parser.problem_mark.column + 1,
			};

			if (parser.error == YAML_MEMORY_ERROR)
				rc = -ENOMEM;
			else
				rc = -EINVAL;
			k8s_diag(k, K8S_ERROR, NULL, &loc, NULL, "invalid YAML: %s%s%s",
				parser.problem ? parser.problem : "parse error",
				parser.context ? " " : "", parser.context ? parser.context : "");
			free(kd->file);
			free(kd);
			break;
		}
		if (yaml_document_get_root_node(&kd->doc) == NULL) { /* end of stream */
			yaml_document_delete(&kd->doc);
			free(kd->file);
			free(kd);
			break;
		}
		k->docs[k->n_docs++] = kd;
		r = add_document(k, kd);
		if (r == -ENOMEM) {
			rc = r;
			break;
		}
		if (r != 0)
			rc = r;
	}
	yaml_parser_delete(&parser);
	if (rc == -ENOMEM)
		k->oom = 1;
	return rc;
}
