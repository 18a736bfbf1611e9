/* SPDX-License-Identifier: BSD-3-Clause */
/* fanout-loadgen's own options (after EAL's and "--"). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "lg.h"

void
lg_usage(FILE *f)
{
	fputs("usage: fanout-loadgen [EAL args] -- [options]\n"
	      "roles and addresses:\n"
	      "  --roles client,origin   what runs here (default both)\n"
	      "  --client-port N         DPDK port of the clients (default 0)\n"
	      "  --client-addr A/LEN     their address (default 198.18.0.2/24)\n"
	      "  --server A:P            where the clients connect: fanout's listener\n"
	      "                          (default 198.18.0.1:80)\n"
	      "  --origin-port N         DPDK port of the origin (default 1; 0 with one port)\n"
	      "  --origin-addr A/LEN     its address (default 198.18.1.2/24)\n"
	      "  --listen P[,P...]       origin ports, one per upstream server (default 8000)\n"
	      "  --body-size N           origin response body bytes (default 64)\n"
	      "  --origin-hold N         hold each run's responses until its Nth request came,\n"
	      "                          then answer them all (fanout: N upstream connections\n"
	      "                          at once; with --idle, N pooled after)\n"
	      "load:\n"
	      "  -c, --connections N     client connections (default 16)\n"
	      "  --depth N               requests in flight per connection, pipelined (default 1,\n"
	      "                          at most 64)\n"
	      "  --close                 one request per connection (Connection: close)\n"
	      "  --rate R                R requests/s in total on a fixed schedule (default:\n"
	      "                          closed loop)\n"
	      "  -t, --target PATH       request target; repeat for a list used round-robin\n"
	      "                          (default /)\n"
	      "  --host NAME             Host header (default localhost)\n"
	      "  -H, --header 'N: V'     extra request header (repeatable)\n"
	      "  -n, --requests N        stop after N requests (after the warm-up)\n"
	      "  -d, --duration S        stop after S seconds (default 10 when -n is not given)\n"
	      "  --warmup S              load for S seconds first, results discarded (default 0)\n"
	      "  --timeout S             a response later than this is an error (default 5)\n"
	      "  --syn-flood RATE        also send RATE SYNs/s from spoofed sources at the server\n"
	      "                          during the measured window (a SYN flood)\n"
	      "  --flood-src A/LEN       the flood's source addresses (default 198.19.0.0/16)\n"
	      "  --idle                  open the connections, make --idle-requests requests on\n"
	      "                          each, then hold them all idle (memory per connection):\n"
	      "                          fanout's counters are read before the first connection\n"
	      "                          and after --idle-settle S of all of them idle\n"
	      "  --idle-requests N       requests per connection before it idles (default 1)\n"
	      "  --idle-settle S         (default 1)\n"
	      "checks and output:\n"
	      "  --expect-status N       (default 200)\n"
	      "  --expect-length N       response Content-Length (default: --body-size when the\n"
	      "                          origin runs here, else any)\n"
	      "  --fanout-prefix P       fanout's --file-prefix: read its worker busy/idle cycles\n"
	      "                          from /var/run/dpdk/P/dpdk_telemetry.v2 around the run\n"
	      "  --fanout-telemetry PATH the same, by socket path\n"
	      "  --fanout-pid PID        also read fanout's worker threads' CPU time (/proc), for\n"
	      "                          busy cycles per request counted on-CPU only\n"
	      "  --json                  print the results as one JSON object\n"
	      "  --mbufs N               mbuf pool size (default 32768)\n"
	      "  --origin-conns N        origin connection slots (default 16384)\n"
	      "  --linger S              after the last run stop polling, then wait S seconds\n"
	      "                          or for SIGTERM (lets the memif peer stop first)\n"
	      "several runs: OPTIONS --next OPTIONS ...: one report each; roles, ports,\n"
	      "addresses, --listen, --body-size, --origin-hold, --mbufs, --origin-conns, "
	      "--fanout-*, --json\n"
	      "and --linger come from the first run's options\n",
		f);
}

static int
parse_addr(const char *s, rte_be32_t *addr, uint8_t *prefix)
{
	char buf[64];
	char *slash;
	struct in_addr in;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		long p = strtol(slash + 1, NULL, 10);

		if (prefix == NULL || p < 1 || p > 32)
			return -EINVAL;
		*slash = '\0';
		*prefix = (uint8_t)p;
	}
	if (inet_pton(AF_INET, buf, &in) != 1)
		return -EINVAL;
	*addr = in.s_addr;
	return 0;
}

static int
parse_u64(const char *s, uint64_t *v, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

static int
parse_secs(const char *s, double *v)
{
	char *end;

	*v = strtod(s, &end);
	if (end == s || *end != '\0' || *v < 0)
		return -EINVAL;
	return 0;
}

enum {
	O_ROLES = 256,
	O_CPORT,
	O_CADDR,
	O_SERVER,
	O_OPORT,
	O_OADDR,
	O_LISTEN,
	O_BODY,
	O_DEPTH,
	O_CLOSE,
	O_RATE,
	O_HOST,
	O_WARMUP,
	O_TIMEOUT,
	O_ESTATUS,
	O_ELEN,
	O_FPREFIX,
	O_FTEL,
	O_JSON,
	O_MBUFS,
	O_OCONNS,
	O_FPID,
	O_LINGER,
	O_SYNFLOOD,
	O_FLOODSRC,
	O_IDLE,
	O_IDLEREQ,
	O_IDLESETTLE,
	O_OHOLD,
};

static const struct option opts[] = {
	{"roles", required_argument, NULL, O_ROLES},
	{"client-port", required_argument, NULL, O_CPORT},
	{"client-addr", required_argument, NULL, O_CADDR},
	{"server", required_argument, NULL, O_SERVER},
	{"origin-port", required_argument, NULL, O_OPORT},
	{"origin-addr", required_argument, NULL, O_OADDR},
	{"listen", required_argument, NULL, O_LISTEN},
	{"body-size", required_argument, NULL, O_BODY},
	{"connections", required_argument, NULL, 'c'},
	{"depth", required_argument, NULL, O_DEPTH},
	{"close", no_argument, NULL, O_CLOSE},
	{"rate", required_argument, NULL, O_RATE},
	{"target", required_argument, NULL, 't'},
	{"host", required_argument, NULL, O_HOST},
	{"header", required_argument, NULL, 'H'},
	{"requests", required_argument, NULL, 'n'},
	{"duration", required_argument, NULL, 'd'},
	{"warmup", required_argument, NULL, O_WARMUP},
	{"timeout", required_argument, NULL, O_TIMEOUT},
	{"expect-status", required_argument, NULL, O_ESTATUS},
	{"expect-length", required_argument, NULL, O_ELEN},
	{"fanout-prefix", required_argument, NULL, O_FPREFIX},
	{"fanout-telemetry", required_argument, NULL, O_FTEL},
	{"json", no_argument, NULL, O_JSON},
	{"mbufs", required_argument, NULL, O_MBUFS},
	{"origin-conns", required_argument, NULL, O_OCONNS},
	{"fanout-pid", required_argument, NULL, O_FPID},
	{"linger", required_argument, NULL, O_LINGER},
	{"syn-flood", required_argument, NULL, O_SYNFLOOD},
	{"flood-src", required_argument, NULL, O_FLOODSRC},
	{"idle", no_argument, NULL, O_IDLE},
	{"idle-requests", required_argument, NULL, O_IDLEREQ},
	{"idle-settle", required_argument, NULL, O_IDLESETTLE},
	{"origin-hold", required_argument, NULL, O_OHOLD},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static char tel_path[512];

static int
parse_listen(struct lg_args *a, const char *s)
{
	char buf[256], *tok, *save = NULL;
	uint64_t v = 0;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	a->n_listen = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (a->n_listen == LG_MAX_LISTEN || parse_u64(tok, &v, 1, 65535) != 0)
			return -EINVAL;
		a->listen[a->n_listen++] = (uint16_t)v;
	}
	return a->n_listen ? 0 : -EINVAL;
}

int
lg_args_parse(struct lg_args *a, int argc, char **argv)
{
	int c, elen_set = 0;
	uint64_t v = 0;
	char *colon;

	memset(a, 0, sizeof(*a));
	a->client = a->origin = 1;
	a->client_port = 0;
	a->origin_port = 1;
	parse_addr("198.18.0.2/24", &a->client_addr, &a->client_prefix);
	parse_addr("198.18.1.2/24", &a->origin_addr, &a->origin_prefix);
	parse_addr("198.18.0.1", &a->server_addr, NULL);
	a->server_port = 80;
	a->listen[0] = 8000;
	a->n_listen = 1;
	a->body_size = 64;
	a->conns = 16;
	a->depth = 1;
	a->host = "localhost";
	a->timeout = 5;
	a->expect_status = 200;
	a->expect_length = -1;
	a->mbufs = 32768;
	a->max_origin_conns = 16384;
	parse_addr("198.19.0.0/16", &a->flood_src, &a->flood_prefix);
	a->idle_requests = 1;
	a->idle_settle = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:H:n:d:h", opts, NULL)) != -1) {
		int rc = 0;

		switch (c) {
		case O_ROLES:
			a->client = strstr(optarg, "client") != NULL;
			a->origin = strstr(optarg, "origin") != NULL;
			rc = a->client || a->origin ? 0 : -EINVAL;
			break;
		case O_CPORT:
			rc = parse_u64(optarg, &v, 0, FO_MAX_PORTS - 1);
			a->client_port = (uint16_t)v;
			break;
		case O_OPORT:
			rc = parse_u64(optarg, &v, 0, FO_MAX_PORTS - 1);
			a->origin_port = (uint16_t)v;
			break;
		case O_CADDR:
			rc = parse_addr(optarg, &a->client_addr, &a->client_prefix);
			break;
		case O_OADDR:
			rc = parse_addr(optarg, &a->origin_addr, &a->origin_prefix);
			break;
		case O_SERVER:
			colon = strrchr(optarg, ':');
			if (colon == NULL) {
				rc = -EINVAL;
				break;
			}
			*colon = '\0';
			rc = parse_addr(optarg, &a->server_addr, NULL);
			if (rc == 0)
				rc = parse_u64(colon + 1, &v, 1, 65535);
			a->server_port = (uint16_t)v;
			break;
		case O_LISTEN:
			rc = parse_listen(a, optarg);
			break;
		case O_BODY:
			rc = parse_u64(optarg, &v, 0, 16 << 20);
			a->body_size = (uint32_t)v;
			break;
		case 'c':
			rc = parse_u64(optarg, &v, 1, 60000);
			a->conns = (unsigned)v;
			break;
		case O_DEPTH:
			rc = parse_u64(optarg, &v, 1, LG_MAX_DEPTH);
			a->depth = (unsigned)v;
			break;
		case O_CLOSE:
			a->close = 1;
			break;
		case O_RATE:
			rc = parse_secs(optarg, &a->rate);
			break;
		case 't':
			if (a->n_targets == LG_MAX_TARGETS || optarg[0] != '/')
				rc = -EINVAL;
			else
				a->targets[a->n_targets++] = optarg;
			break;
		case O_HOST:
			a->host = optarg;
			break;
		case 'H':
			if (a->n_headers == LG_MAX_HEADERS || strchr(optarg, ':') == NULL)
				rc = -EINVAL;
			else
				a->headers[a->n_headers++] = optarg;
			break;
		case 'n':
			rc = parse_u64(optarg, &a->requests, 1, UINT64_MAX);
			break;
		case 'd':
			rc = parse_secs(optarg, &a->duration);
			break;
		case O_WARMUP:
			rc = parse_secs(optarg, &a->warmup);
			break;
		case O_TIMEOUT:
			rc = parse_secs(optarg, &a->timeout);
			if (rc == 0 && a->timeout <= 0)
				rc = -EINVAL;
			break;
		case O_ESTATUS:
			rc = parse_u64(optarg, &v, 100, 999);
			a->expect_status = (unsigned)v;
			break;
		case O_ELEN:
			rc = parse_u64(optarg, &v, 0, INT64_MAX);
			a->expect_length = (int64_t)v;
			elen_set = 1;
			break;
		case O_FPREFIX:
			if ((size_t)snprintf(tel_path, sizeof(tel_path),
				    "/var/run/dpdk/%s/dpdk_telemetry.v2",
				    optarg) >= sizeof(tel_path))
				rc = -EINVAL;
			a->fanout_tel = tel_path;
			break;
		case O_FTEL:
			a->fanout_tel = optarg;
			break;
		case O_JSON:
			a->json = 1;
			break;
		case O_MBUFS:
			rc = parse_u64(optarg, &v, 4096, 1u << 24);
			a->mbufs = (uint32_t)v;
			break;
		case O_OCONNS:
			rc = parse_u64(optarg, &v, 1, 1u << 20);
			a->max_origin_conns = (uint32_t)v;
			break;
		case O_FPID:
			rc = parse_u64(optarg, &v, 1, INT32_MAX);
			a->fanout_pid = (int)v;
			break;
		case O_LINGER:
			rc = parse_secs(optarg, &a->linger);
			break;
		case O_SYNFLOOD:
			rc = parse_secs(optarg, &a->syn_flood);
			if (rc == 0 && (a->syn_flood < 1 || a->syn_flood > 1e8))
				rc = -EINVAL;
			break;
		case O_FLOODSRC:
			rc = parse_addr(optarg, &a->flood_src, &a->flood_prefix);
			break;
		case O_IDLE:
			a->idle = 1;
			break;
		case O_IDLEREQ:
			rc = parse_u64(optarg, &v, 0, 1000);
			a->idle_requests = (unsigned)v;
			break;
		case O_IDLESETTLE:
			rc = parse_secs(optarg, &a->idle_settle);
			break;
		case O_OHOLD:
			rc = parse_u64(optarg, &v, 0, 1u << 20);
			a->origin_hold = (unsigned)v;
			break;
		case 'h':
			lg_usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
		if (rc != 0) {
			fprintf(stderr, "fanout-loadgen: bad value for %s: \"%s\"\n",
				argv[optind - 1], optarg ? optarg : "");
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fanout-loadgen: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	if (a->n_targets == 0) {
		a->targets[0] = "/";
		a->n_targets = 1;
	}
	if (a->requests == 0 && a->duration == 0)
		a->duration = 10;
	a->expect_length_set = elen_set;
	if (!elen_set && a->origin)
		a->expect_length = a->body_size;
	if (a->close)
		a->depth = 1;
	if (a->idle && (a->close || a->rate > 0 || a->syn_flood > 0)) {
		fprintf(stderr, "fanout-loadgen: --idle goes with neither --close, --rate nor "
				"--syn-flood\n");
		return -EINVAL;
	}
	if (a->idle) {
		/* bounded by -d (default 10 s): all connections idle by then, or not */
		a->depth = 1;
		a->requests = 0;
		a->warmup = 0;
	}
	return 0;
}

void
lg_args_inherit(struct lg_args *a, const struct lg_args *first)
{
	a->client = first->client;
	a->origin = first->origin;
	a->client_port = first->client_port;
	a->origin_port = first->origin_port;
	a->client_addr = first->client_addr;
	a->origin_addr = first->origin_addr;
	a->client_prefix = first->client_prefix;
	a->origin_prefix = first->origin_prefix;
	memcpy(a->listen, first->listen, sizeof(a->listen));
	a->n_listen = first->n_listen;
	a->body_size = first->body_size;
	a->mbufs = first->mbufs;
	a->max_origin_conns = first->max_origin_conns;
	a->origin_hold = first->origin_hold;
	a->fanout_tel = first->fanout_tel;
	a->fanout_pid = first->fanout_pid;
	a->json = first->json;
	a->linger = first->linger;
	if (!a->expect_length_set)
		a->expect_length = a->origin ? (int64_t)a->body_size : first->expect_length;
}
