/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanoutctl: talk to a running fanout.
 *
 *   fanoutctl [--file-prefix P] [--json] status|reload|upstreams|certs
 *   fanoutctl [--file-prefix P | --socket PATH] stats|tcp|neigh|raw CMD [PARAMS...]
 *   fanoutctl import [OPTIONS] PATH...   (Kubernetes objects to a config: import.c)
 *
 * status, reload, upstreams, certs (and routes, drain) go to fanout's control socket,
 * <runtime dir>/<prefix>/fanout.sock (SOCK_SEQPACKET): one request "CMD
 * [ARG...] [--json]", one reply "<status>\n<text>"; the text is printed on
 * stdout (stderr when the status is not 0) and the status is the exit code.
 * The others go to DPDK's telemetry socket, <runtime dir>/<prefix>/
 * dpdk_telemetry.v2: on connect the server sends a JSON greeting, then
 * answers each "cmd[,params]" message with one JSON message, printed on
 * stdout.
 * Exit status: 0 success, 1 fanout not running, no answer or the command
 * failed, 2 bad usage. Plain C, no EAL.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "import.h"

/** Larger than the telemetry library's largest reply (16 KiB). */
#define REPLY_MAX (64 * 1024)
/** The control socket's largest reply (lib/ctl) and its status line. */
#define CTL_REPLY_MAX ((4 << 20) + 64)
/** Longest command message the server accepts is 1 KiB. */
#define CMD_MAX 1024
#define TIMEOUT_S 5
/** ...but a reload recompiles routes, seconds for tens of thousands of them. */
#define RELOAD_TIMEOUT_S 120

static const char *prog = "fanoutctl";

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--file-prefix P | --socket PATH] [--json] COMMAND\n"
		"commands (control socket; tables, or JSON with --json):\n"
		"  status             version, uptime, config, generation, reloads, workers,\n"
		"                     traffic totals\n"
		"  reload             read the config file again and apply it (as SIGHUP); exit 1\n"
		"                     with its file:line:col errors when it is rejected\n"
		"  upstreams          every upstream server: weight, drained, next hop and its state\n"
		"  routes             requests per route and upstream by status class, times, bytes\n"
		"                     (as fanout_requests_total...), the access log's counters\n"
		"  certs              TLS certificates served: names, issuer, serial, not-after,\n"
		"                     which is the default; ticket keys\n"
		"  drain A.B.C.D:PORT no new request to that server, those in flight finish\n"
		"  undrain A.B.C.D:PORT  back in rotation\n"
		"commands (DPDK telemetry, JSON):\n"
		"  stats              counters, drop reasons, workers, ports (/fanout/stats)\n"
		"  neigh              ARP caches (/fanout/neigh)\n"
		"  tcp                TCP counters, drop reasons, services, per-worker cycles per\n"
		"                     segment, listeners (/fanout/tcp)\n"
		"  raw CMD [PARAMS]   any telemetry command, e.g. raw /ethdev/stats 0\n"
		"offline:\n"
		"  import [--ingress-class C] [-n NS] [--strict] [--base FILE] [--tls-dir DIR]\n"
		"         [--configmap NS/NAME] [-o FILE [--apply]]\n"
		"         PATH...     Kubernetes Ingress, HTTPRoute, TLSRoute, Gateway, Service,\n"
		"                     EndpointSlice, Secret (YAML, JSON)\n"
		"                     to a fanout config (import --help)\n"
		"options:\n"
		"  --file-prefix P    fanout's EAL --file-prefix (default \"rte\")\n"
		"  --socket PATH      telemetry socket path\n"
		"  --json             JSON instead of tables (control socket commands)\n",
		prog);
}

/**
 * @p name in DPDK's runtime directory of @p prefix: /var/run/dpdk/<prefix>
 * for root, else $XDG_RUNTIME_DIR/dpdk/<prefix>.
 */
static int
socket_path(char *buf, size_t len, const char *prefix, const char *name)
{
	const char *base = "/var/run";
	int n;

	if (getuid() != 0) {
		base = getenv("XDG_RUNTIME_DIR");
		if (base == NULL)
			base = "/tmp";
	}
	n = snprintf(buf, len, "%s/dpdk/%s/%s", base, prefix, name);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

static int
sock_open(const char *path, unsigned timeout_s)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = timeout_s};
	int s, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (s < 0)
		return -errno;
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
		connect(s, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		err = errno;
		close(s);
		return -err;
	}
	return s;
}

/** Receive one message, NUL-terminated. @return its length or -errno. */
static ssize_t
recv_msg(int s, char *buf, size_t len)
{
	ssize_t n;

	do {
		n = recv(s, buf, len - 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	buf[n] = '\0';
	return n;
}

/**
 * A control socket command: send "@p words [--json]", print the reply.
 * @return the exit status.
 */
int
control(const char *prefix, int argc, char **argv, int json)
{
	char path[PATH_MAX], msg[CMD_MAX], *reply, *text;
	size_t used = 0;
	ssize_t n;
	int s, i, status;

	if (socket_path(path, sizeof(path), prefix, "fanout.sock") != 0) {
		fprintf(stderr, "%s: file prefix too long\n", prog);
		return 2;
	}
	for (i = 0; i < argc && used < sizeof(msg); i++)
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", i ? " " : "", argv[i]);
	if (json && used < sizeof(msg))
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, " --json");
	if (used >= sizeof(msg)) {
		fprintf(stderr, "%s: command too long\n", prog);
		return 2;
	}
	s = sock_open(path, argc > 0 && strcmp(argv[0], "reload") == 0 ? RELOAD_TIMEOUT_S : TIMEOUT_S);
	if (s < 0) {
		if (s == -ENOENT || s == -ECONNREFUSED)
			fprintf(stderr, "%s: fanout is not running (no control socket at %s)\n",
				prog, path);
		else
			fprintf(stderr, "%s: cannot connect to %s: %s\n", prog, path, strerror(-s));
		return 1;
	}
	reply = malloc(CTL_REPLY_MAX);
	if (reply == NULL) {
		close(s);
		return 1;
	}
	n = send(s, msg, used, 0) < 0 ? -errno : recv_msg(s, reply, CTL_REPLY_MAX);
	close(s);
	if (n < 0 || (text = strchr(reply, '\n')) == NULL) {
		fprintf(stderr, "%s: no answer from %s: %s\n", prog, path,
			n == -EAGAIN ? "timed out" : n < 0 ? strerror((int)-n) : "malformed reply");
		free(reply);
		return 1;
	}
	*text++ = '\0';
	status = atoi(reply);
	fputs(text, status == 0 ? stdout : stderr);
	free(reply);
	return status >= 0 && status <= 2 ? status : 1;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"file-prefix", required_argument, NULL, 'p'},
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *prefix = "rte", *path_opt = NULL, *what, *cmd;
	char path[PATH_MAX], msg[CMD_MAX], *reply;
	size_t used;
	ssize_t n;
	int opt, s, i, is_raw = 0, json = 0;

	if (argc > 0)
		prog = argv[0];
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			prefix = optarg;
			break;
		case 's':
			path_opt = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: missing command\n", prog);
		usage(stderr);
		return 2;
	}
	what = argv[optind];
	if (strcmp(what, "import") == 0)
		return cmd_import(prog, prefix, argc - optind, argv + optind);
	if (strcmp(what, "status") == 0 || strcmp(what, "upstreams") == 0 ||
		strcmp(what, "reload") == 0 || strcmp(what, "drain") == 0 ||
		strcmp(what, "undrain") == 0 || strcmp(what, "routes") == 0 ||
		strcmp(what, "certs") == 0)
		return control(prefix, argc - optind, argv + optind, json);
	optind++;
	if (strcmp(what, "stats") == 0) {
		cmd = "/fanout/stats";
	} else if (strcmp(what, "neigh") == 0) {
		cmd = "/fanout/neigh";
	} else if (strcmp(what, "tcp") == 0) {
		cmd = "/fanout/tcp";
	} else if (strcmp(what, "raw") == 0 && optind < argc) {
		cmd = argv[optind++];
		is_raw = 1;
	} else {
		fprintf(stderr, "%s: unknown command \"%s\"\n", prog, what);
		usage(stderr);
		return 2;
	}
	if (!is_raw && optind < argc) {
		fprintf(stderr, "%s: %s takes no parameters\n", prog, what);
		return 2;
	}
	/* "cmd" or "cmd,param1,param2" */
	used = (size_t)snprintf(msg, sizeof(msg), "%s", cmd);
	for (i = optind; i < argc && used < sizeof(msg); i++)
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, ",%s", argv[i]);
	if (used >= sizeof(msg)) {
		fprintf(stderr, "%s: command too long\n", prog);
		return 2;
	}

	if (path_opt != NULL) {
		if (strlen(path_opt) >= sizeof(path)) {
			fprintf(stderr, "%s: socket path too long\n", prog);
			return 2;
		}
		memcpy(path, path_opt, strlen(path_opt) + 1);
	} else if (socket_path(path, sizeof(path), prefix, "dpdk_telemetry.v2") != 0) {
		fprintf(stderr, "%s: file prefix too long\n", prog);
		return 2;
	}

	s = sock_open(path, TIMEOUT_S);
	if (s < 0) {
		if (s == -ENOENT || s == -ECONNREFUSED)
			fprintf(stderr, "%s: fanout is not running (no telemetry socket at %s)\n",
				prog, path);
		else
			fprintf(stderr, "%s: cannot connect to %s: %s\n", prog, path, strerror(-s));
		return 1;
	}
	reply = malloc(REPLY_MAX);
	if (reply == NULL) {
		close(s);
		return 1;
	}
	/* greeting: {"version":...,"pid":...,"max_output_len":...} */
	n = recv_msg(s, reply, REPLY_MAX);
	if (n >= 0 && send(s, msg, used, 0) < 0)
		n = -errno;
	if (n >= 0)
		n = recv_msg(s, reply, REPLY_MAX);
	close(s);
	if (n < 0) {
		fprintf(stderr, "%s: no answer from %s: %s\n", prog, path,
			n == -EAGAIN ? "timed out" : strerror((int)-n));
		free(reply);
		return 1;
	}
	/* a callback that fails (fanout shutting down, not a fanout process)
	 * or an unknown command yields {"cmd":null} */
	if (!is_raw && strstr(reply, ":null}") != NULL) {
		fprintf(stderr,
			"%s: %s: no data (is this a fanout process? is it shutting "
			"down?)\n",
			prog, cmd);
		free(reply);
		return 1;
	}
	printf("%s\n", reply);
	free(reply);
	return 0;
}
