/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanout: kernel-bypass HTTP load balancer on DPDK.
 *
 *   fanout [EAL args] -- -c FILE [--check] [--idle-sleep USEC]
 *
 * Start-up order: application arguments and the config file first (so
 * `--check` and config errors need no EAL, root or hugepages), then EAL,
 * ports, workers, telemetry; "fanout: ready" on stdout once workers run.
 * SIGINT/SIGTERM: workers leave their loops, ports stop, statistics are
 * printed on stdout as "name value" lines, exit 0.
 *
 * stdout carries only "fanout: ready", `--check` results and statistics;
 * DPDK and fanout logs go to stderr.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "app.h"

/* The only instance; the signal handler sets its quit flag. */
static struct app the_app;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		__atomic_store_n(&the_app.reload_req, 1, __ATOMIC_RELEASE);
	else if (sig == SIGUSR1)
		acct_reopen_ask(); /* logrotate: the access log is reopened at the next drain */
	else
		the_app.quit = 1;
}

static int
signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: tap's SIGIO already interrupts syscalls; ours need not */
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0 ||
		sigaction(SIGHUP, &sa, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
		return -errno;
	return 0;
}

/** Load and validate the config; errors are already printed as file:line:col. */
static struct fo_conf *
conf_load(const char *path)
{
	unsigned n_errors = 0;
	struct fo_conf *conf;

	conf = fo_conf_load(path, stderr, &n_errors);
	if (conf == NULL && n_errors == 0)
		fprintf(stderr, "%s: cannot load the configuration\n", path);
	return conf;
}

/**
 * EAL arguments, plus `--huge-unlink` unless the user chose how hugepages
 * are handled: fanout has no secondary processes, and unlinked hugepage
 * files go back to the system when fanout exits, even when it is killed.
 *
 * @return a NULL-terminated argv (caller frees the array, not the strings),
 *         or NULL when out of memory.
 */
static char **
eal_args(int argc, char **argv, int *out_argc)
{
	static const char *const own[] = {"--no-huge", "--huge-unlink", "--in-memory",
		"--proc-type", "--legacy-mem"};
	char **out = calloc((size_t)argc + 2, sizeof(*out));
	int i, add = 1;
	unsigned j;

	if (out == NULL)
		return NULL;
	for (i = 0; i < argc; i++) {
		out[i] = argv[i];
		for (j = 0; j < FO_ARRAY_SIZE(own); j++)
			if (strncmp(argv[i], own[j], strlen(own[j])) == 0)
				add = 0;
	}
	if (add)
		out[argc++] = (char *)(uintptr_t)"--huge-unlink";
	*out_argc = argc;
	return out;
}

/**
 * Control thread loop when workers run on their own lcores: asleep in
 * poll(2) until fanoutctl, a config file, a worker's health observation
 * (an eventfd), the health state machines' next timer or the periodic
 * control tick needs it. Waking up often for nothing is not free: on a
 * 2-vCPU VM a 1 ms period cost proxied requests a third of their rate and
 * multiplied their p99 (the control thread shares its CPU with others).
 */
static void
control_loop(struct app *app)
{
	uint64_t next = 0, tsc_ms = app->hz / 1000;

	while (!app->quit) {
		/* health, watch, the control socket and its clients, metrics (1 + 4) */
		struct pollfd fds[2 + 16 + 8];
		uint64_t now = rte_rdtsc(), due = next, h_due = health_due(app), w_due = watch_due();
		uint64_t g_due = intr_gate_due();
		unsigned n = 0, i;
		int timeout = 0, h_fd = -1, w_fd = -1, ctl_ready = 0;

		if (health_fd() >= 0) {
			h_fd = (int)n;
			fds[n++] = (struct pollfd){.fd = health_fd(), .events = POLLIN};
		}
		if (watch_fd() >= 0) {
			w_fd = (int)n;
			fds[n++] = (struct pollfd){.fd = watch_fd(), .events = POLLIN};
		}
		n += control_pollfds(fds + n, RTE_DIM(fds) - n);
		due = RTE_MIN(due, h_due);
		due = RTE_MIN(due, w_due);
		due = RTE_MIN(due, g_due);
		if (due > now)
			timeout = (int)RTE_MIN((due - now + tsc_ms - 1) / tsc_ms,
				(uint64_t)APP_CONTROL_MS);
		/* a signal ends the wait too: tap's SIGIO (one per burst of packets:
		 * thousands a second under load) only goes back to sleep */
		if (poll(fds, n, timeout) < 0) {
			app->ctl_eintr++;
			if (!app->quit && !__atomic_load_n(&app->reload_req, __ATOMIC_ACQUIRE) &&
				rte_rdtsc() < due)
				continue;
			for (i = 0; i < n; i++)
				fds[i].revents = 0;
		}
		app->ctl_wakeups++;
		now = rte_rdtsc();
		intr_gate_poll(app, now);
		/* only what is ready: a config directory can be busy with other files */
		if ((h_fd >= 0 && fds[h_fd].revents) || now >= h_due)
			health_poll(app);
		if ((w_fd >= 0 && fds[w_fd].revents) || now >= w_due)
			watch_poll(app);
		for (i = 0; i < n; i++)
			ctl_ready |= (int)i != h_fd && (int)i != w_fd && fds[i].revents != 0;
		if (ctl_ready)
			control_poll(app);
		if (__atomic_load_n(&app->reload_req, __ATOMIC_ACQUIRE))
			reload_tick(app); /* a SIGHUP's, or the watch's, reload at once */
		if (now >= next) {
			control_tick(app);
			next = rte_rdtsc() + APP_CONTROL_MS * tsc_ms;
		}
	}
}

static int
run(struct app *app)
{
	int rc;

	app->hz = rte_get_tsc_hz();
	app->n_workers = rte_lcore_count() > 1 ? rte_lcore_count() - 1 : 1;
	if (app->n_workers > FO_MAX_WORKERS) {
		FO_LOG(ERR, "%u worker lcores; fanout supports at most %u\n", app->n_workers,
			FO_MAX_WORKERS);
		return -E2BIG;
	}
	rc = ports_init(app);
	if (rc != 0)
		return rc;
	rc = workers_init(app);
	if (rc != 0)
		return rc;
	rc = tcp_init(app);
	if (rc != 0)
		return rc;
	rc = endpoints_init(app);
	if (rc != 0)
		return rc;
	rc = telemetry_init(app);
	if (rc != 0)
		FO_LOG(WARNING, "telemetry commands not registered: %s\n", strerror(-rc));
	if (app->snap != NULL && (rc = watch_init(app)) != 0)
		FO_LOG(WARNING, "config files not watched (reload with SIGHUP or fanoutctl): %s\n",
			strerror(-rc));
	rc = control_init(app);
	if (rc != 0)
		FO_LOG(WARNING, "no control socket (fanoutctl status/upstreams): %s\n",
			strerror(-rc));
	rc = metrics_init(app);
	if (rc != 0)
		FO_LOG(WARNING, "no metrics endpoint: %s\n", strerror(-rc));
	rc = intr_gate_init(app);
	if (rc != 0)
		return rc;
	rc = workers_launch(app);
	if (rc != 0) {
		app->quit = 1;
		return rc;
	}

	printf("fanout: ready\n");
	fflush(stdout);
	FO_LOG(INFO, "%u worker(s), %u port(s); %s\n", app->n_workers, app->n_active,
		rte_lcore_count() == 1 ? "single lcore: control work interleaved in worker 0"
				       : "control thread on the main lcore");

	if (rte_lcore_count() == 1)
		workers_run_main(app);
	else
		control_loop(app);
	FO_LOG(INFO, "shutting down\n");
	return 0;
}

int
main(int argc, char **argv)
{
	struct app *app = &the_app;
	int dashdash, eal_argc, app_argc, i, rc, ret;
	char **app_argv, **eal_argv;

	/* Application part first: after `--`, or everything when there is none. */
	for (dashdash = 1; dashdash < argc; dashdash++)
		if (strcmp(argv[dashdash], "--") == 0)
			break;
	if (dashdash == argc) {
		eal_argc = 1;
		dashdash = 0;
	} else {
		eal_argc = dashdash;
	}
	app_argc = argc - dashdash;
	app_argv = calloc((size_t)app_argc + 1, sizeof(*app_argv));
	if (app_argv == NULL)
		return 1;
	app_argv[0] = argv[0];
	for (i = 1; i < app_argc; i++)
		app_argv[i] = argv[dashdash + i];
	rc = args_parse(&app->args, app_argc, app_argv);
	free(app_argv);
	if (rc == 1)
		return 0;
	if (rc < 0)
		return 2;

	app->conf = conf_load(app->args.conf_path);
	if (app->conf == NULL)
		return 1;
	app->cur_conf = app->conf;
	if (app->args.check) {
		/* routes too: a rule neither Hyperscan nor PCRE2 takes fails here */
		struct fo_route_table *rt = routes_compile(app->conf);

		int tls_bad = tls_check(app->conf) != 0; /* certificates: "file: message" */

		fo_route_table_free(rt); /* before the conf it points into */
		fo_conf_free(app->conf);
		if (rt == NULL || tls_bad)
			return 1;
		printf("%s: ok\n", app->args.conf_path);
		return 0;
	}

	rc = signals_install();
	if (rc != 0) {
		fprintf(stderr, "fanout: sigaction: %s\n", strerror(-rc));
		return 1;
	}
	/* stdout is for "fanout: ready" and statistics */
	rte_openlog_stream(stderr);
	eal_argv = eal_args(eal_argc, argv, &eal_argc);
	if (eal_argv == NULL || rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "fanout: EAL initialisation failed: %s\n",
			eal_argv == NULL ? "out of memory" : rte_strerror(rte_errno));
		free(eal_argv);
		fo_conf_free(app->conf);
		return 1;
	}

	rc = run(app);
	ret = rc == 0 ? 0 : 1;
	if (rc != 0)
		FO_LOG(ERR, "start-up failed: %s\n", strerror(-rc));

	workers_wait(app);
	intr_gate_hold(app);
	ports_stop(app);
	if (rc == 0) {
		endpoints_check(app); /* the workers are stopped: a last, exact look */
		stats_print(app, stdout);
	}
	telemetry_detach();
	control_fini();
	metrics_fini();
	watch_fini();
	endpoints_free(app);
	tcp_free(app); /* its mbufs go back to the pool before the pool goes */
	tls_free(app); /* after the proxies: their connections held its contexts */
	reload_fini(app); /* the snapshots, after the proxies that used them */
	acct_fini(); /* the access log's last lines, after the workers wrote them */
	health_free(app);
	ports_close(app);
	intr_gate_fini(app);
	workers_free(app);
	fo_conf_free(app->conf);
	rte_eal_cleanup();
	free(eal_argv);
	return ret;
}
