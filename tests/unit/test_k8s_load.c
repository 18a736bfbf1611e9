/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/k8s reading: YAML and JSON, several documents, kind: List and typed
 * lists, directories, and every input error with its file:line:col, the
 * object's kind/namespace/name and the field path; an input with errors
 * gives no config at all.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "k8s_harness.h"

#define SVC                                                                                        \
	"apiVersion: v1\nkind: Service\nmetadata: {name: app}\n"                                   \
	"spec: {ports: [{port: 80, targetPort: 8000}]}\n"
#define ING_BODY                                                                                   \
	"spec:\n  rules:\n  - http:\n      paths:\n      - path: /a\n"                             \
	"        pathType: Prefix\n        backend:\n          service:\n"                         \
	"            name: app\n            port: {number: 80}\n"

static void
test_multi_document(void **state)
{
	char *out = k8s_import(
		"# a comment\n---\n" SVC "---\n---\n"
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\n---\n"
		"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n" ING_BODY
		"...\n",
		NULL, 0);

	(void)state;
	k8s_has(out, "route prefix \"/a\" {\n\tupstream default-app-80;\n}");
	free(out);
}

/* kubectl get -o json prints JSON; libyaml reads it as YAML. */
static void
test_json(void **state)
{
	char *out = k8s_import(
		"{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
		" {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"app\","
		"  \"namespace\": \"web\"}, \"spec\": {\"ports\": [{\"port\": 80,"
		"  \"targetPort\": 8000, \"protocol\": \"TCP\"}]}},\n"
		" {\"apiVersion\": \"discovery.k8s.io/v1\", \"kind\": \"EndpointSlice\","
		"  \"metadata\": {\"name\": \"app-x\", \"namespace\": \"web\", \"labels\":"
		"  {\"kubernetes.io/service-name\": \"app\"}}, \"addressType\": \"IPv4\","
		"  \"ports\": [{\"name\": \"\", \"port\": 8000, \"protocol\": \"TCP\"}],"
		"  \"endpoints\": [{\"addresses\": [\"198.18.0.11\"], \"conditions\":"
		"  {\"ready\": true, \"serving\": true, \"terminating\": false}}]},\n"
		" {\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"Ingress\", \"metadata\":"
		"  {\"name\": \"i\", \"namespace\": \"web\"}, \"spec\": {\"rules\": [{\"host\":"
		"  \"a.example\", \"http\": {\"paths\": [{\"path\": \"/\", \"pathType\": \"Exact\","
		"  \"backend\": {\"service\": {\"name\": \"app\", \"port\": {\"number\": "
		"80}}}}]}}]}}\n"
		"]}\n",
		NULL, 0);

	(void)state;
	k8s_has(out, "upstream web-app-80 {\n\tserver 198.18.0.11:8000;\n}");
	k8s_has(out, "route exact \"/\" {\n\thost a.example;\n\tupstream web-app-80;\n}");
	free(out);
}

/* The API's typed lists leave out each item's kind and apiVersion. */
static void
test_typed_list(void **state)
{
	char *out = k8s_import(
		"apiVersion: v1\nkind: ServiceList\nitems:\n"
		"- apiVersion: v1\n  metadata: {name: app}\n  spec: {ports: [{port: 80}]}\n"
		"---\napiVersion: networking.k8s.io/v1\nkind: IngressList\nitems:\n"
		"- apiVersion: networking.k8s.io/v1\n  metadata: {name: i}\n"
		"  spec: {defaultBackend: {service: {name: app, port: {number: 80}}}}\n",
		NULL, 0);

	(void)state;
	k8s_has(out, "default_backend default-app-80;");
	free(out);
}

static void
test_yaml_errors(void **state)
{
	(void)state;
	k8s_import(SVC "---\nkind: Ingress\nmetadata: {name: [x\n", NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "error: in.yaml:8:1: invalid YAML: ");
	assert_int_equal(k8s_count("error"), 1);
	k8s_import("a: b\n c: d\n", NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "error: in.yaml:2:3: invalid YAML: mapping values are not allowed "
			       "in this context");
	k8s_import("- 1\n- 2\n", NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "error: in.yaml:1:1: not a Kubernetes object");
	k8s_import("apiVersion: v1\nmetadata: {name: x}\n", NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "error: in.yaml:1:1: kind: missing");
	k8s_import("apiVersion: v1\nkind: List\nitems: [1]\n", NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "error: in.yaml:3:9: items[]: a list item is not a Kubernetes "
			       "object");
}

static void
test_object_errors(void **state)
{
	(void)state;
	k8s_import("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old, "
		   "namespace: n}\n",
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs,
		"error: in.yaml:1:13: Ingress n/old: apiVersion: "
		"extensions/v1beta1 is not supported (expected networking.k8s.io/v1)");
	k8s_import("apiVersion: v1\nkind: Service\nmetadata: {namespace: n}\n", NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "Service n/?: metadata.name: missing");
	k8s_import("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n"
		   "  - {port: 70000}\n",
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "error: in.yaml:6:12: Service default/s: spec.ports[0].port: "
			       "invalid value \"70000\" (expected 1..65535)");
	k8s_import(SVC "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
		       "spec:\n  rules:\n  - http:\n      paths:\n      - path: /a\n"
		       "        backend: {service: {name: app, port: {number: 80, name: http}}}\n",
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "Ingress default/i: spec.rules[0].http.paths[0].pathType: missing");
	k8s_has(k8s_last_msgs, "Ingress default/i: spec.rules[0].http.paths[0].backend.service."
			       "port: has both a number and a name");
	k8s_import(SVC
		"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
		"spec:\n  rules:\n  - http:\n      paths:\n      - path: /a\n"
		"        pathType: Exact\n        backend: {resource: {kind: Bucket, name: b}}\n",
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].http.paths[0].backend.resource: resource backends "
			       "are not supported");
	k8s_import(SVC
		"---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
		"spec:\n  rules:\n  - http:\n      paths:\n      - path: /a\n"
		"        pathType: Exact\n        backend: {service: {name: app, port: {}}}\n",
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "spec.rules[0].http.paths[0].backend.service.port: needs a number "
			       "or a name");
	k8s_import("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\n"
		   "addressType: IPv4\nendpoints:\n- addresses: [198.18.0.1]\n"
		   "  conditions: {ready: maybe}\n",
		NULL, -EINVAL);
	k8s_has(k8s_last_msgs, "EndpointSlice default/e: endpoints[0].conditions.ready: expected "
			       "true or false");
}

/* A directory: its manifests in name order, other files left alone;
 * a missing path is an error. */
static void
test_directory(void **state)
{
	char dir[] = "/tmp/k8s_test_XXXXXX", path[256];
	struct fo_k8s *k = fo_k8s_new();
	char *out = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	f = fopen(path, "w");
	fputs("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n" ING_BODY, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/a.json", dir);
	f = fopen(path, "w");
	fputs("{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"app\"},"
	      " \"spec\": {\"ports\": [{\"port\": 80}]}}",
		f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	f = fopen(path, "w");
	fputs("not: [yaml\n", f);
	fclose(f);
	assert_int_equal(fo_k8s_load_path(k, dir), 0);
	assert_int_equal(fo_k8s_translate(k, NULL, &out, NULL), 0);
	k8s_has(out, "route prefix \"/a\"");
	free(out);
	out = NULL;
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	assert_int_equal(fo_k8s_load_path(k, path), -ENOENT);
	k8s_has(fo_k8s_messages(k), "missing.yaml:1:1: cannot read: No such file or directory");
	assert_int_equal(fo_k8s_translate(k, NULL, &out, NULL), -EINVAL);
	assert_null(out);
	fo_k8s_free(k);
	snprintf(path, sizeof(path), "%s/a.json", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	unlink(path);
	rmdir(dir);
}

static void
test_nothing(void **state)
{
	char *out = k8s_import("", NULL, 0);

	(void)state;
	k8s_has(k8s_last_msgs, "warning: no Ingress or HTTPRoute to import");
	k8s_lacks(out, "\nroute ");
	free(out);
}

/* Input that is not a manifest file at all. */
static void
test_not_files(void **state)
{
	struct fo_k8s *k = fo_k8s_new();

	(void)state;
	assert_int_equal(fo_k8s_load_path(k, "/dev/null"), -EINVAL);
	k8s_has(fo_k8s_messages(k), "error: /dev/null:1:1: not a regular file");
	assert_int_equal(fo_k8s_load_buf(k, "l.yaml", "apiVersion: v1\nkind: List\nitems: x\n", 34),
		-EINVAL);
	k8s_has(fo_k8s_messages(k), "error: l.yaml:3:8: items: List items must be a list");
	assert_int_equal(fo_k8s_errors(k), 2);
	fo_k8s_free(k);
}

/* Objects that name no namespace get the one set (kubectl apply -n). */
static void
test_namespace(void **state)
{
	static const char text[] = SVC "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\n"
				       "metadata: {name: i}\n" ING_BODY;
	struct fo_k8s *k = fo_k8s_new();
	char *out = NULL;

	(void)state;
	assert_int_equal(fo_k8s_set_namespace(k, "Web"), -EINVAL);
	assert_int_equal(fo_k8s_set_namespace(k, "-web"), -EINVAL);
	assert_int_equal(fo_k8s_set_namespace(k, ""), -EINVAL);
	assert_int_equal(fo_k8s_set_namespace(k, "web-1"), 0);
	assert_int_equal(fo_k8s_load_buf(k, "n.yaml", text, strlen(text)), 0);
	assert_int_equal(fo_k8s_translate(k, NULL, &out, NULL), 0);
	k8s_has(out, "route prefix \"/a\" {\n\tupstream web-1-app-80;\n}");
	free(out);
	fo_k8s_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_multi_document),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_typed_list),
		cmocka_unit_test(test_yaml_errors),
		cmocka_unit_test(test_object_errors),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_not_files),
		cmocka_unit_test(test_namespace),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(k8s_last_msgs);
	return rc;
}
