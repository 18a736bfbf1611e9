/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Application arguments: everything after EAL's `--`. Parsed before
 * rte_eal_init() so that `--check` needs neither EAL nor root.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"

/** Longest --idle-sleep accepted (1 s): longer naps would starve the NIC. */
#define IDLE_SLEEP_MAX_US 1000000

enum {
	OPT_CHECK = 256,
	OPT_IDLE_SLEEP,
};

static const struct option long_opts[] = {
	{"config", required_argument, NULL, 'c'},
	{"check", no_argument, NULL, OPT_CHECK},
	{"idle-sleep", required_argument, NULL, OPT_IDLE_SLEEP},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

void
args_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL args] -- -c FILE [--check] [--idle-sleep USEC]\n"
		"  -c, --config FILE    configuration file\n"
		"      --check          validate FILE and exit (0: valid, 1: errors); needs no "
		"EAL\n"
		"      --idle-sleep USEC  after %u empty polls, sleep USEC microseconds (0..%u)\n"
		"  -h, --help           this help\n"
		"EAL args: e.g. -l 0 --no-pci --vdev net_tap0,iface=fo0 --file-prefix fo\n",
		prog, APP_IDLE_SPINS, IDLE_SLEEP_MAX_US);
}

static int
parse_uint(const char *s, unsigned long max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

int
args_parse(struct app_args *a, int argc, char **argv)
{
	const char *prog = argc > 0 ? argv[0] : "fanout";
	int opt;

	memset(a, 0, sizeof(*a));
	/* 0 makes glibc reinitialise getopt; EAL parses its own part later */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:h", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			a->conf_path = optarg;
			break;
		case OPT_CHECK:
			a->check = 1;
			break;
		case OPT_IDLE_SLEEP:
			if (parse_uint(optarg, IDLE_SLEEP_MAX_US, &a->idle_sleep_us) < 0) {
				fprintf(stderr,
					"%s: --idle-sleep: \"%s\" is not a number of "
					"microseconds in 0..%u\n",
					prog, optarg, IDLE_SLEEP_MAX_US);
				goto usage;
			}
			break;
		case 'h':
			args_usage(stdout, prog);
			return 1;
		case ':':
			fprintf(stderr, "%s: option %s needs an argument\n", prog,
				argv[optind - 1]);
			goto usage;
		default:
			if (optopt != 0)
				fprintf(stderr, "%s: unknown option -%c\n", prog, optopt);
			else
				fprintf(stderr, "%s: unknown option %s\n", prog, argv[optind - 1]);
			goto usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", prog, argv[optind]);
		goto usage;
	}
	if (a->conf_path == NULL) {
		fprintf(stderr, "%s: missing -c FILE\n", prog);
		goto usage;
	}
	optind = 0;
	return 0;
usage:
	args_usage(stderr, prog);
	optind = 0;
	return -EINVAL;
}
