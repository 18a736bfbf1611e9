/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL interrupt thread, held while workers poll net_memif ports.
 *
 * DPDK 22.11's net_memif tears a connection down on the EAL interrupt
 * thread when its peer closes the control socket or says goodbye
 * (memif_disconnect(): the "connected" flag cleared, then the shared
 * regions unmapped and freed, the ring configuration zeroed) and tells
 * nobody: no RTE_ETH_EVENT_INTR_LSC or other event, before or after. Its
 * rx and tx bursts test the flag once, on entry, then walk the rings in
 * those regions; a worker in a burst when the teardown runs reads
 * unmapped or freed memory (fanout died in eth_memif_rx about once in a
 * dozen peer restarts, mostly when the interrupt thread preempted the
 * worker on a shared CPU). Reading the link state on the fast path does
 * not help: it changes in the same instant as the flag, with the same race.
 *
 * So the interrupt thread runs only while no worker polls a memif port.
 * An eventfd of ours, registered as an EAL interrupt source, parks it in
 * gate_cb() (a callback on that thread runs alone: nothing else of the
 * EAL's or a PMD's runs while it waits). While it is parked the workers
 * poll the memif ports whose link is up. Every period the control thread
 * opens a window: it pauses those ports (app_port.paused), waits, bounded,
 * until every worker has reported a quiescent state since (app->qsbr, the
 * one fanout's snapshots use: a worker reports once per loop, after its
 * bursts), then lets the interrupt thread go and asks it to park again.
 * Between the two it runs whatever came meanwhile (the peer's messages, a
 * disconnect, alarms). Parked again, ports whose link is up are polled
 * again. When no memif link is up the thread is not held at all (the
 * memif handshake runs at its own pace); a link that comes up is polled
 * once the thread is parked.
 *
 * A disconnect is thus handled at most one period late (the workers poll a
 * departed peer's rings meanwhile: still mapped by us, so harmless) and
 * the workers' fast path costs one load of a per-port flag per burst.
 * Installed only when a port is net_memif; control thread only (or the
 * single lcore's worker, between its iterations).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "app.h"

/** period between windows while every memif link is up */
#define GATE_PERIOD_MS APP_CONTROL_MS
/** period while a memif link is down (a peer handshaking or gone) */
#define GATE_PERIOD_DOWN_MS 10
/** bound on the workers' quiescent reports and on the thread's parking */
#define GATE_WAIT_MS 200

static struct {
	int on;
	int efd;
	struct rte_intr_handle *ih;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int want_park; /**< control: hold the thread */
	int parked;    /**< interrupt thread: in gate_cb(), waiting */
	int stop;
	uint64_t rel_seq;   /**< control: let the parked thread go once */
	int held;           /**< control's view: parked, workers may poll memif ports */
	uint64_t due;       /**< next window (TSC) */
	uint64_t windows, late; /**< windows opened; bounded waits that ran out */
} gate = {.efd = -1, .mu = PTHREAD_MUTEX_INITIALIZER};

static int
is_memif(uint16_t pid)
{
	struct rte_eth_dev_info info;

	return rte_eth_dev_info_get(pid, &info) == 0 && strcmp(info.driver_name, "net_memif") == 0;
}

/** On the interrupt thread: park while the control thread wants it held. */
static void
gate_cb(void *arg)
{
	uint64_t v, seq;
	ssize_t r;

	(void)arg;
	r = read(gate.efd, &v, sizeof(v)); /* level-triggered: drain */
	(void)r;
	pthread_mutex_lock(&gate.mu);
	seq = gate.rel_seq;
	while (gate.want_park && gate.rel_seq == seq && !gate.stop) {
		if (!gate.parked) {
			gate.parked = 1;
			pthread_cond_broadcast(&gate.cv);
		}
		pthread_cond_wait(&gate.cv, &gate.mu);
	}
	gate.parked = 0;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
}

/** With gate.mu held: wait until gate.parked == @p want, up to GATE_WAIT_MS. */
static int
wait_parked(int want)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += (long)GATE_WAIT_MS * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	while (gate.parked != want)
		if (pthread_cond_timedwait(&gate.cv, &gate.mu, &ts) == ETIMEDOUT)
			break;
	return gate.parked == want;
}

static void
kick(void)
{
	uint64_t one = 1;
	ssize_t r = write(gate.efd, &one, sizeof(one));

	(void)r; /* the counter cannot overflow: gate_cb drains it */
}

/** Hold the interrupt thread (bounded). @return 1 when it is parked. */
static int
park(void)
{
	int ok;

	pthread_mutex_lock(&gate.mu);
	gate.want_park = 1;
	if (!gate.parked)
		kick();
	ok = wait_parked(1);
	pthread_mutex_unlock(&gate.mu);
	return ok;
}

/** Let the parked thread run what is pending, then hold it again. */
static int
cycle(void)
{
	int ok;

	pthread_mutex_lock(&gate.mu);
	gate.rel_seq++;
	pthread_cond_broadcast(&gate.cv);
	ok = wait_parked(0);
	if (ok) {
		/* queued behind what became ready while it was parked */
		kick();
		ok = wait_parked(1);
	}
	pthread_mutex_unlock(&gate.mu);
	return ok;
}

static void
unpark(void)
{
	pthread_mutex_lock(&gate.mu);
	gate.want_park = 0;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
}

static void
set_paused(struct app *app, uint16_t pid, int v)
{
	/* release: what the interrupt thread mapped before it parked (the
	 * mutex) is visible to a worker that sees the port unpaused */
	__atomic_store_n(&app->ports[pid].paused, v, __ATOMIC_RELEASE);
}

/**
 * Pause every polled memif port and wait (bounded) until each worker has
 * been quiescent since: none is in a burst on one of them any more.
 * @return 1, or 0 (timed out: the ports polled again).
 */
static int
pause_memif(struct app *app)
{
	uint32_t mask = 0;
	uint64_t token, end;
	uint16_t i;

	for (i = 0; i < app->n_active; i++) {
		uint16_t pid = app->active[i];

		if (app->ports[pid].memif && !app->ports[pid].paused) {
			set_paused(app, pid, 1);
			mask |= 1u << pid;
		}
	}
	/* single lcore: the caller is the only worker, between two iterations */
	if (mask == 0 || rte_lcore_count() == 1)
		return 1;
	/* start() is a release: a worker that reports this token (after an
	 * acquire load of it) sees the flags; its bursts came before */
	token = rte_rcu_qsbr_start(app->qsbr);
	end = rte_rdtsc() + fo_ms_to_tsc(GATE_WAIT_MS, app->hz);
	while (rte_rcu_qsbr_check(app->qsbr, token, false) == 0) {
		if (rte_rdtsc() > end) {
			for (i = 0; i < FO_MAX_PORTS; i++)
				if (mask & (1u << i))
					set_paused(app, i, 0);
			return 0;
		}
		rte_delay_us_sleep(20);
	}
	return 1;
}

/** With the thread parked: poll the memif ports whose link is up. @return how many. */
static unsigned
resume_memif(struct app *app, unsigned *down)
{
	struct rte_eth_link link;
	unsigned up = 0;
	uint16_t i;

	*down = 0;
	for (i = 0; i < app->n_active; i++) {
		uint16_t pid = app->active[i];

		if (!app->ports[pid].memif)
			continue;
		if (rte_eth_link_get_nowait(pid, &link) == 0 && link.link_status == RTE_ETH_LINK_UP) {
			set_paused(app, pid, 0);
			up++;
		} else {
			(*down)++;
		}
	}
	return up;
}

static int
memif_link_up_any(const struct app *app)
{
	struct rte_eth_link link;
	uint16_t i;

	for (i = 0; i < app->n_active; i++)
		if (app->ports[app->active[i]].memif &&
			rte_eth_link_get_nowait(app->active[i], &link) == 0 &&
			link.link_status == RTE_ETH_LINK_UP)
			return 1;
	return 0;
}

void
intr_gate_poll(struct app *app, uint64_t now)
{
	unsigned up, down;

	if (!gate.on || now < gate.due)
		return;
	gate.due = now + fo_ms_to_tsc(GATE_PERIOD_DOWN_MS, app->hz);
	if (gate.held) {
		if (!pause_memif(app)) {
			gate.late++;
			return; /* a worker did not answer in time: next period */
		}
		gate.held = 0;
		gate.windows++;
		if (!cycle()) {
			gate.late++;
			return; /* busy in another callback: ports stay paused */
		}
	} else if (!memif_link_up_any(app)) {
		unpark(); /* nothing to poll: the handshakes run freely */
		return;
	} else if (!park()) {
		gate.late++;
		return;
	}
	gate.held = 1;
	up = resume_memif(app, &down);
	if (up == 0) {
		/* every peer gone: free the thread for their reconnection */
		gate.held = 0;
		unpark();
	} else if (down == 0) {
		gate.due = now + fo_ms_to_tsc(GATE_PERIOD_MS, app->hz);
	}
}

uint64_t
intr_gate_due(void)
{
	return gate.on ? gate.due : UINT64_MAX;
}

int
intr_gate_init(struct app *app)
{
	pthread_condattr_t ca;
	uint16_t i;
	int rc, any = 0;

	for (i = 0; i < app->n_active; i++) {
		struct app_port *p = &app->ports[app->active[i]];

		p->memif = is_memif(p->port_id);
		p->paused = p->memif; /* polled once the thread is held */
		any |= p->memif;
	}
	if (!any)
		return 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&gate.cv, &ca);
	pthread_condattr_destroy(&ca);
	gate.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (gate.efd < 0)
		return -errno;
	gate.ih = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (gate.ih == NULL || rte_intr_fd_set(gate.ih, gate.efd) != 0 ||
		rte_intr_type_set(gate.ih, RTE_INTR_HANDLE_EXT) != 0) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = rte_intr_callback_register(gate.ih, gate_cb, NULL);
	if (rc != 0)
		goto fail;
	gate.on = 1;
	gate.due = 0;
	intr_gate_poll(app, rte_rdtsc());
	FO_LOG(INFO, "net_memif: the EAL interrupt thread runs only while workers leave memif "
		     "ports alone (windows every %u ms, %u ms while a link is down)\n",
		GATE_PERIOD_MS, GATE_PERIOD_DOWN_MS);
	return 0;
fail:
	rte_intr_instance_free(gate.ih);
	gate.ih = NULL;
	close(gate.efd);
	gate.efd = -1;
	return rc;
}

void
intr_gate_hold(struct app *app)
{
	(void)app;
	/* the workers have stopped: keep the PMD's handlers off the ports
	 * while the control thread stops and closes them */
	if (gate.on && !park())
		FO_LOG(WARNING, "net_memif: interrupt thread not held for the ports' shutdown\n");
}

void
intr_gate_fini(struct app *app)
{
	(void)app;
	if (!gate.on)
		return;
	pthread_mutex_lock(&gate.mu);
	gate.stop = 1;
	pthread_cond_broadcast(&gate.cv);
	pthread_mutex_unlock(&gate.mu);
	rte_intr_callback_unregister_sync(gate.ih, gate_cb, NULL);
	rte_intr_instance_free(gate.ih);
	gate.ih = NULL;
	close(gate.efd);
	gate.efd = -1;
	gate.on = 0;
	FO_LOG(INFO, "net_memif: %" PRIu64 " interrupt thread windows, %" PRIu64 " late\n",
		gate.windows, gate.late);
}
