/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanout-loadgen: HTTP/1.1 load on fanout's own stack, over DPDK ports.
 *
 *   fanout-loadgen [EAL args] -- [options]      (options: --help)
 *
 * The usual set-up (scripts/bench --only memif, tests/integ/test_loadgen.py):
 * fanout owns two net_memif ports as the memif *server* (it starts first and
 * stays up; the loadgen connects to it as the memif client for each run):
 *
 *   fanout  --vdev net_memif0,role=server,socket=D/client.sock,socket-abstract=no
 *           --vdev net_memif1,role=server,socket=D/origin.sock,socket-abstract=no
 *   loadgen --vdev net_memif0,role=client,socket=D/client.sock,socket-abstract=no
 *           --vdev net_memif1,role=client,socket=D/origin.sock,socket-abstract=no
 *
 * The clients (port 0, 198.18.0.2) connect to fanout's listener (198.18.0.1:80);
 * fanout's upstreams are the origin's ports on 198.18.1.2 (port 1). With one
 * lcore both roles share one stack and one core; with two, the origin gets
 * the first worker lcore. Results on stdout (human-readable, or --json),
 * logs on stderr. Exit 0 when the run completed (errors are in the report),
 * 1 when it could not run, 2 on bad usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "lg.h"

#define TX_RETRIES 8

/* quit: the stacks' loops stop (a signal, or the end of the runs);
 * signalled: SIGINT/SIGTERM came (no more runs, no lingering) */
static volatile int quit, signalled;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
	signalled = 1;
}

static unsigned
tx_flush(struct lg_stack *st)
{
	unsigned i, total = 0;

	for (i = 0; i < st->n_ports; i++) {
		uint16_t port = st->ports[i];
		struct fo_net_txq *q = &st->net.txq[port];
		uint16_t sent = 0, n = q->n;
		unsigned tries = 0;

		if (n == 0)
			continue;
		total += n;
		do
			sent += rte_eth_tx_burst(port, 0, q->pkts + sent, n - sent);
		while (sent < n && ++tries < TX_RETRIES);
		if (sent < n) {
			rte_pktmbuf_free_bulk(q->pkts + sent, n - sent);
			st->tx_dropped += n - sent;
		}
		q->n = 0;
	}
	return total;
}

/* One iteration of a stack's poll loop. @return 1 when it did something. */
static int
stack_poll(struct lg_stack *st, uint64_t now)
{
	struct rte_mbuf *pkts[FO_BURST];
	int worked = 0;
	unsigned i;

	st->net.now = now;
	for (i = 0; i < st->n_ports; i++) {
		uint16_t n = rte_eth_rx_burst(st->ports[i], 0, pkts, FO_BURST);

		if (n == 0)
			continue;
		fo_net_input(&st->net, st->ports[i], pkts, n);
		if (st->net.tcp_rx.n != 0) {
			fo_tcp_input(st->tcp, st->net.tcp_rx.pkts, st->net.tcp_rx.n);
			st->net.tcp_rx.n = 0;
		}
		worked = 1;
	}
	fo_net_timer(&st->net);
	if (fo_tcp_timer(st->tcp) != 0)
		worked = 1;
	if (st->client != NULL && lg_client_poll(st->client, now) != 0)
		worked = 1;
	if (fo_tcp_flush(st->tcp) != 0)
		worked = 1;
	if (tx_flush(st) != 0)
		worked = 1;
	fo_net_burst_end(&st->net);
	return worked;
}

/* Poll until the client is done (or, without a client here, until told to quit). */
static void
stack_loop(struct lg_stack *st)
{
	uint64_t prev = rte_rdtsc(), now;
	int worked = 0;

	while (!*st->quit && (st->client == NULL || !lg_client_done(st->client))) {
		now = rte_rdtsc();
		if (worked)
			st->busy += now - prev;
		else
			st->idle += now - prev;
		prev = now;
		st->loops++;
		worked = stack_poll(st, now);
	}
}

static int
stack_lcore_main(void *arg)
{
	stack_loop(arg);
	return 0;
}

/* Poll a while without load: ARP, the last FINs and ACKs. */
static void
stack_settle(struct lg_stack *st, uint64_t cycles)
{
	uint64_t end = rte_rdtsc() + cycles;

	while (rte_rdtsc() < end)
		stack_poll(st, rte_rdtsc());
}

static rte_be32_t
prefix_mask(uint8_t len)
{
	return rte_cpu_to_be_32(len == 0 ? 0 : UINT32_MAX << (32 - len));
}

static struct lg_stack *
stack_create(const struct lg_args *a, struct rte_mempool *mp, const struct fo_net_iface *all,
	const uint16_t *ports, unsigned n_ports, unsigned lcore, uint32_t max_conns)
{
	static const uint8_t secret[16] = "fanout-loadgen!";
	struct fo_net_iface ifaces[FO_MAX_PORTS];
	struct fo_tcp_config tc;
	struct lg_stack *st;
	unsigned i;
	int rc;

	st = rte_zmalloc("lg_stack", sizeof(*st), RTE_CACHE_LINE_SIZE);
	if (st == NULL)
		return NULL;
	memset(ifaces, 0, sizeof(ifaces));
	for (i = 0; i < n_ports; i++) {
		ifaces[ports[i]] = all[ports[i]];
		st->ports[i] = ports[i];
	}
	st->n_ports = n_ports;
	st->lcore = lcore;
	st->quit = &quit;
	rc = fo_net_worker_init(&st->net, 0, 1, mp, ifaces, FO_MAX_PORTS, rte_get_tsc_hz());
	if (rc != 0) {
		fprintf(stderr, "fanout-loadgen: fo_net_worker_init: %s\n", strerror(-rc));
		rte_free(st);
		return NULL;
	}
	memset(&tc, 0, sizeof(tc));
	tc.max_conns = max_conns;
	tc.max_half_open = max_conns;
	tc.sndbuf = 64 * 1024;
	tc.rcvbuf = 64 * 1024;
	/* the server closes first (Connection: close), so TIME_WAIT is its; a
	 * connection closed here first (timeouts, errors) frees its port soon
	 * (fo_tcp_connect also reuses TIME_WAIT ports after 1 s, RFC 6191) */
	tc.time_wait_ms = 1000;
	/* a different stretch of ports each run: fanout may still hold the last
	 * run's tuples (TIME_WAIT, or closing) and a SYN on one of them waits */
	tc.local_port_min = (uint16_t)(1024 + rte_rdtsc() % 32768);
	/* 30,000 ports: what fanout keeps in TIME_WAIT (60 s, reused by a new SYN
	 * on the same tuple) stays well under its 65,536 connections */
	tc.local_port_max = (uint16_t)(tc.local_port_min + 29999);
	st->tcp = fo_tcp_worker_create(
		&tc, &st->net, mp, 0, 1, secret, (int)rte_lcore_to_socket_id(lcore));
	if (st->tcp == NULL) {
		fprintf(stderr, "fanout-loadgen: fo_tcp_worker_create: %s\n", strerror(errno));
		rte_free(st);
		return NULL;
	}
	(void)a;
	return st;
}

static void
stack_free(struct lg_stack *st)
{
	if (st == NULL)
		return;
	fo_tcp_worker_free(st->tcp);
	rte_free(st);
}

/* One measured run on the stacks set up by run(): a new client, the same origin. */
static int
run_one(const struct lg_args *a, struct lg_stack *cst, struct lg_stack *ost, struct lg_origin *org,
	struct rte_mempool *mp, int first)
{
	struct lg_client *cl;
	struct lg_report r;

	cl = lg_client_create(cst, a, mp, rte_get_tsc_hz());
	if (cl == NULL)
		return -ENOMEM;
	cst->client = cl;
	if (org != NULL)
		lg_origin_reset_stats(org);
	if (!first)
		fputs(a->json ? "" : "\n", stdout);
	lg_client_start(cl);
	stack_loop(cst);
	/* the final reading is taken; now close and let the FINs go */
	lg_client_stop(cl);
	stack_settle(cst, rte_get_tsc_hz() / 20);

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.hz = (double)rte_get_tsc_hz();
	r.cs = lg_client_stats(cl);
	r.h = lg_client_hist(cl);
	lg_client_window(cl, &r.win_start, &r.win_end);
	lg_client_loop_share(cl, &r.lg_busy, &r.lg_idle, &r.lg_cpu_s);
	lg_client_fanout(cl, &r.fo0, &r.fo1);
	r.os = org != NULL ? lg_origin_stats(org) : NULL;
	r.request_len = lg_client_request_len(cl);
	r.lcores = ost != NULL && ost != cst ? 2 : 1;
	r.flood = lg_client_flood(cl);
	r.idle_conns = lg_client_idle_conns(cl);
	if (a->json)
		lg_report_json(stdout, &r);
	else
		lg_report_print(stdout, &r);
	fflush(stdout);
	cst->client = NULL;
	lg_client_free(cl);
	return 0;
}

static int
run(struct lg_args *runs, unsigned n_runs)
{
	struct lg_args *a = &runs[0];
	struct fo_net_iface ifaces[FO_MAX_PORTS];
	struct lg_stack *cst = NULL, *ost = NULL;
	struct rte_mempool *mp;
	struct lg_origin *org = NULL;
	uint16_t ports[2], n_ports = 0, pid, nb = rte_eth_dev_count_avail();
	unsigned worker_lcore = RTE_MAX_LCORE, i;
	int rc = 1;

	if (a->origin && a->client && nb == 1)
		a->origin_port = a->client_port; /* one port for both: one segment */
	if ((a->client && a->client_port >= nb) || (a->origin && a->origin_port >= nb)) {
		fprintf(stderr,
			"fanout-loadgen: %u port(s) from EAL; --client-port %u / "
			"--origin-port %u out of range (add --vdev net_memif...)\n",
			nb, a->client_port, a->origin_port);
		return 1;
	}
	mp = rte_pktmbuf_pool_create(
		"lg_mbuf", a->mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (mp == NULL) {
		fprintf(stderr, "fanout-loadgen: mbuf pool of %u: %s\n", a->mbufs,
			rte_strerror(rte_errno));
		return 1;
	}
	memset(ifaces, 0, sizeof(ifaces));
	if (a->client)
		ports[n_ports++] = a->client_port;
	if (a->origin && (!a->client || a->origin_port != a->client_port))
		ports[n_ports++] = a->origin_port;
	for (i = 0; i < n_ports; i++) {
		struct fo_net_iface *ifc = &ifaces[ports[i]];
		int is_client = a->client && ports[i] == a->client_port;

		pid = ports[i];
		ifc->port_id = pid;
		ifc->configured = 1;
		ifc->mtu = RTE_ETHER_MTU;
		ifc->addr = is_client ? a->client_addr : a->origin_addr;
		ifc->prefix_len = is_client ? a->client_prefix : a->origin_prefix;
		ifc->netmask = prefix_mask(ifc->prefix_len);
		rc = lg_port_start(pid, mp, ifc);
		if (rc != 0) {
			fprintf(stderr, "fanout-loadgen: port %u: %s\n", pid, strerror(-rc));
			return 1;
		}
	}
	if (a->client && a->origin && a->client_port == a->origin_port &&
		a->client_addr != a->origin_addr)
		fprintf(stderr,
			"fanout-loadgen: one port: the origin answers on the client's "
			"address %s\n",
			"(--client-addr)");
	for (i = 0; i < n_ports; i++)
		if (lg_port_wait_link(ports[i]) != 0) {
			fprintf(stderr,
				"fanout-loadgen: port %u: link down after 10 s (is the "
				"memif server up?)\n",
				ports[i]);
			return 1;
		}

	if (a->client && a->origin && n_ports == 2 && rte_lcore_count() >= 2) {
		worker_lcore = rte_get_next_lcore(-1, 1, 0);
		cst = stack_create(a, mp, ifaces, &ports[0], 1, rte_lcore_id(), a->conns + 1024);
		ost = stack_create(
			a, mp, ifaces, &ports[1], 1, worker_lcore, a->max_origin_conns + 1024);
	} else {
		cst = stack_create(a, mp, ifaces, ports, n_ports, rte_lcore_id(),
			(a->client ? a->conns : 0) + (a->origin ? a->max_origin_conns : 0) + 1024);
		ost = a->origin ? cst : NULL;
		if (!a->client) {
			ost = cst;
			cst = NULL;
		}
	}
	if ((a->client && cst == NULL) || (a->origin && ost == NULL))
		goto out;
	if (a->origin) {
		org = lg_origin_create(ost, a, mp);
		if (org == NULL)
			goto out;
		ost->origin = org;
	}
	/* announce ourselves: fanout learns the origin's MAC before it asks */
	for (i = 0; i < n_ports; i++) {
		struct lg_stack *st =
			cst != NULL && (ports[i] == a->client_port || ost == NULL) ? cst : ost;

		fo_net_announce(&st->net, ports[i]);
	}
	if (ost != NULL && ost != cst && worker_lcore != RTE_MAX_LCORE) {
		rc = rte_eal_remote_launch(stack_lcore_main, ost, worker_lcore);
		if (rc != 0)
			goto out;
	}
	if (!a->client) {
		/* origin only: serve until SIGINT/SIGTERM */
		fprintf(stderr, "fanout-loadgen: origin ready\n");
		stack_loop(ost);
		rc = 0;
		goto out;
	}
	if (ost == cst)
		stack_settle(cst, rte_get_tsc_hz() / 20);
	for (i = 0; i < n_runs && !signalled; i++)
		if (run_one(&runs[i], cst, ost, org, mp, i == 0) != 0)
			goto out;
	quit = 1;
	rte_eal_mp_wait_lcore();
	if (org != NULL) {
		lg_origin_stop(org);
		stack_settle(ost, rte_get_tsc_hz() / 20);
	}
	if (a->linger > 0) {
		/* no more polling: the peer may stop first without racing our rx */
		uint64_t end = rte_rdtsc() + (uint64_t)(a->linger * (double)rte_get_tsc_hz());

		/* what a script waits for before it stops the peer (the reports come
		 * before the last polls that close the connections) */
		fputs(LG_LINGER_LINE "\n", stderr);
		fflush(stderr);

		while (!signalled && rte_rdtsc() < end)
			rte_delay_us_sleep(10 * 1000);
		/*
		 * The PMD tears a memif connection down on its interrupt thread
		 * (link down first, shared memory unmapped after): stopping the
		 * port at the same time crashed here about once in thirty runs.
		 * Let that finish before rte_eth_dev_stop().
		 */
		for (i = 0; i < n_ports; i++)
			lg_port_wait_down(ports[i], 2000);
		rte_delay_us_sleep(200 * 1000);
	}
	rc = 0;
out:
	quit = 1;
	rte_eal_mp_wait_lcore();
	for (i = 0; i < n_ports; i++)
		rte_eth_dev_stop(ports[i]);
	lg_origin_free(org);
	if (ost != cst)
		stack_free(ost);
	stack_free(cst);
	for (i = 0; i < n_ports; i++)
		rte_eth_dev_close(ports[i]);
	rte_mempool_free(mp);
	return rc;
}

#define MAX_RUNS 256

int
main(int argc, char **argv)
{
	static struct lg_args runs[MAX_RUNS];
	unsigned n_runs = 0;
	int n, rc, i, start;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	(void)i;
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "fanout-loadgen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	/* argv[n] is "--" (or the program name when there was none): it stands
	 * for argv[0] of each run's option list, split at "--next" */
	start = n;
	for (i = n + 1; i <= argc; i++) {
		char *saved;

		if (i < argc && strcmp(argv[i], "--next") != 0)
			continue;
		if (n_runs == MAX_RUNS) {
			fprintf(stderr, "fanout-loadgen: at most %u runs\n", MAX_RUNS);
			rte_eal_cleanup();
			return 2;
		}
		saved = argv[start];
		argv[start] = argv[0];
		rc = lg_args_parse(&runs[n_runs], i - start, argv + start);
		argv[start] = saved;
		if (rc != 0) {
			lg_usage(stderr);
			rte_eal_cleanup();
			return 2;
		}
		if (n_runs > 0)
			lg_args_inherit(&runs[n_runs], &runs[0]);
		n_runs++;
		start = i;
	}
	rc = run(runs, n_runs);
	rte_eal_cleanup();
	return rc;
}
