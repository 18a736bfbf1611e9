/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health state machines: active checks (HAProxy's rise/fall: due every
 * interval, one in flight per server, a result that does not come back is
 * a failure) and passive outlier detection (nginx's max_fails/fail_timeout
 * with Envoy's ejection that doubles on repeat and max_ejection_percent),
 * fed by what the workers report and driven by a timer wheel in
 * milliseconds: the caller's clock, never the system's.
 *
 * Checks that came due wait on a FIFO "ready" list for
 * fo_ctl_health_due(), so nothing here scans all slots.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ctl_health.h"

static void
addr_str(rte_be32_t addr, uint16_t port, char *buf, size_t len)
{
	const uint8_t *b = (const uint8_t *)&addr;

	snprintf(buf, len, "%u.%u.%u.%u:%u", b[0], b[1], b[2], b[3], port);
}

static void __attribute__((format(printf, 3, 4)))
hc_log(struct fo_ctl_health *h, const struct hc_slot *s, const char *fmt, ...)
{
	char line[512], ep[32];
	int n;
	va_list ap;

	if (h->log == NULL)
		return;
	addr_str(s->addr, s->port, ep, sizeof(ep));
	n = snprintf(line, sizeof(line), "upstream %s: server %s ", h->ups[s->up]->name, ep);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(line)) { /* else: a name that long is cut, still logged */
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
	}
	h->log(h->log_arg, line);
}

static const char *
why_str(uint8_t why)
{
	switch (why) {
	case FO_PROXY_OBS_CONNECT:
		return "connection refused";
	case FO_PROXY_OBS_RESET:
		return "connection reset";
	case FO_PROXY_OBS_TIMEOUT:
		return "timeout";
	case FO_PROXY_OBS_BAD:
		return "bad response";
	default:
		return "failure";
	}
}

/* ---- the ready list: checks due, not yet handed out ---- */

static void
ready_add(struct fo_ctl_health *h, struct hc_slot *s, int at_head)
{
	uint32_t i = hc_slot_idx(h, s);

	if (s->ready)
		return;
	s->ready = 1;
	if (at_head) {
		s->rprev = HC_NONE;
		s->rnext = h->ready_head;
		if (h->ready_head != HC_NONE)
			h->slots[h->ready_head].rprev = i;
		else
			h->ready_tail = i;
		h->ready_head = i;
	} else {
		s->rnext = HC_NONE;
		s->rprev = h->ready_tail;
		if (h->ready_tail != HC_NONE)
			h->slots[h->ready_tail].rnext = i;
		else
			h->ready_head = i;
		h->ready_tail = i;
	}
}

static void
ready_del(struct fo_ctl_health *h, struct hc_slot *s)
{
	if (!s->ready)
		return;
	s->ready = 0;
	if (s->rprev != HC_NONE)
		h->slots[s->rprev].rnext = s->rnext;
	else
		h->ready_head = s->rnext;
	if (s->rnext != HC_NONE)
		h->slots[s->rnext].rprev = s->rprev;
	else
		h->ready_tail = s->rprev;
}

/* ---- active checks ---- */

/* Arm the slot's next check: interval after the last one sent, or now. */
void
hc_check_schedule(struct fo_ctl_health *h, struct hc_slot *s)
{
	const struct fo_ctl_health_params *p = hc_params(h, s);

	if (!p->check_enabled || s->inflight || s->ready)
		return;
	fo_timer_arm(&h->wheel, &s->t_check, s->has_sent ? s->sent_ms + p->interval_ms : h->now_ms);
}

/* Checks are off for the slot (or it is freed): forget them; a DOWN server is up. */
void
hc_check_stop(struct fo_ctl_health *h, struct hc_slot *s)
{
	fo_timer_cancel(&h->wheel, &s->t_check);
	fo_timer_cancel(&h->wheel, &s->t_lost);
	ready_del(h, s);
	s->inflight = 0; /* a late result is stale */
	s->has_sent = 0;
	s->passes = s->fails = 0;
	if (s->state & FO_PROXY_HEALTH_DOWN) {
		s->state &= ~FO_PROXY_HEALTH_DOWN;
		hc_publish(h, s);
		h->st.went_up++;
		hc_log(h, s, "is UP: health checks turned off");
	}
}

/* A check concluded: @p status 0 with @p why when it failed before a response. */
static void
check_result(struct fo_ctl_health *h, struct hc_slot *s, uint16_t status, uint8_t why, int lost)
{
	const struct fo_ctl_health_params *p = hc_params(h, s);
	uint32_t rise = p->rise ? p->rise : 1, fall = p->fall ? p->fall : 1;
	int pass = status != 0 && status >= p->expect_lo && status <= p->expect_hi;

	s->inflight = 0;
	fo_timer_cancel(&h->wheel, &s->t_lost);
	s->checks++;
	s->last_status = status;
	if (pass) {
		h->st.checks_ok++;
		s->fails = 0;
		s->passes++;
		if ((s->state & FO_PROXY_HEALTH_DOWN) && s->passes >= rise) {
			s->state &= ~FO_PROXY_HEALTH_DOWN;
			hc_publish(h, s);
			h->st.went_up++;
			hc_log(h, s, "is UP: %" PRIu32 " check%s passed", s->passes,
				s->passes == 1 ? "" : "s");
		}
	} else {
		h->st.checks_failed++;
		s->checks_failed++;
		s->last_why = status != 0 ? FO_PROXY_OBS_STATUS : why;
		s->passes = 0;
		s->fails++;
		if (!(s->state & FO_PROXY_HEALTH_DOWN) && s->fails >= fall) {
			char last[48];

			if (status != 0)
				snprintf(last, sizeof(last), "status %u", status);
			else
				snprintf(last, sizeof(last), "%s",
					lost ? "no result (lost)" : why_str(why));
			s->state |= FO_PROXY_HEALTH_DOWN;
			hc_publish(h, s);
			h->st.went_down++;
			hc_log(h, s, "is DOWN: %" PRIu32 " check%s failed in a row (last: %s)",
				s->fails, s->fails == 1 ? "" : "s", last);
		}
	}
	hc_check_schedule(h, s);
}

void
hc_on_check_due(struct fo_timer *t)
{
	struct hc_slot *s = (struct hc_slot *)((char *)t - offsetof(struct hc_slot, t_check));

	ready_add(s->h, s, 0);
}

void
hc_on_check_lost(struct fo_timer *t)
{
	struct hc_slot *s = (struct hc_slot *)((char *)t - offsetof(struct hc_slot, t_lost));

	s->h->st.checks_lost++;
	check_result(s->h, s, 0, FO_PROXY_OBS_TIMEOUT, 1);
}

static void
probe_render(const struct fo_ctl_health *h, const struct hc_slot *s, struct fo_proxy_probe *out)
{
	const struct fo_ctl_health_params *p = hc_params(h, s);
	char ep[32];
	int n;

	addr_str(s->addr, s->port, ep, sizeof(ep));
	memset(out, 0, offsetof(struct fo_proxy_probe, req));
	out->slot = hc_slot_idx(h, s);
	out->seq = s->seq;
	out->addr = s->addr;
	out->port = s->port;
	out->timeout_ms = p->timeout_ms > UINT16_MAX ? UINT16_MAX : (uint16_t)p->timeout_ms;
	/* at most 4 + 255 + 17 + 128 + 56 bytes: always fits FO_PROXY_PROBE_REQ_MAX */
	n = snprintf(out->req, sizeof(out->req),
		"GET %.255s HTTP/1.1\r\nHost: %.128s\r\nUser-Agent: fanout-health-check\r\n"
		"Connection: close\r\n\r\n",
		p->path[0] ? p->path : "/", p->host[0] ? p->host : ep);
	out->req_len = n > 0 && (size_t)n < sizeof(out->req) ? (uint16_t)n : 0;
}

/* ---- passive health ---- */

void
hc_on_eject_end(struct fo_timer *t)
{
	struct hc_slot *s = (struct hc_slot *)((char *)t - offsetof(struct hc_slot, t_eject));
	struct fo_ctl_health *h = s->h;

	s->state &= ~FO_PROXY_HEALTH_EJECTED;
	hc_publish(h, s);
	h->ups[s->up]->n_ejected--;
	h->st.ejections_ended++;
	s->refused = 0;
	hc_log(h, s, "is back after its ejection (passive health)");
}

static const char *
fail_str(uint8_t kind, uint16_t status, char *buf, size_t len)
{
	switch (kind) {
	case FO_PROXY_OBS_CONNECT:
		return "connection failure(s)";
	case FO_PROXY_OBS_RESET:
		return "reset(s)";
	case FO_PROXY_OBS_TIMEOUT:
		return "timeout(s)";
	case FO_PROXY_OBS_BAD:
		return "bad response(s)";
	default:
		snprintf(buf, len, "status %u response(s)", status);
		return buf;
	}
}

static void
passive_failure(struct fo_ctl_health *h, struct hc_slot *s, const struct fo_proxy_obs *o)
{
	struct hc_up *up = h->ups[s->up];
	uint32_t pct = up->p.max_ejection_percent > 100 ? 100 : up->p.max_ejection_percent;
	uint64_t len;
	char what[32];

	h->st.failures_observed++;
	s->failures++;
	if (up->p.max_fails == 0 || o->streak < up->p.max_fails ||
		(s->state & FO_PROXY_HEALTH_EJECTED))
		return;
	/* (ejected + 1) / members <= pct / 100, in integers */
	if ((uint64_t)(up->n_ejected + 1) * 100 > (uint64_t)pct * up->n_members) {
		h->st.ejections_refused++;
		if (!s->refused)
			hc_log(h, s,
				"not ejected: %" PRIu32 " of %" PRIu32
				" servers ejected already, max_ejection_percent %" PRIu32
				" (passive health)",
				up->n_ejected, up->n_members, pct);
		s->refused = 1;
		return;
	}
	len = (uint64_t)up->p.fail_timeout_ms
	      << (s->in_a_row < HC_EJECT_SHIFT_MAX ? s->in_a_row : HC_EJECT_SHIFT_MAX);
	if (s->in_a_row <= HC_EJECT_SHIFT_MAX)
		s->in_a_row++;
	s->ejections++;
	h->st.ejections++;
	up->n_ejected++;
	s->refused = 0;
	s->state |= FO_PROXY_HEALTH_EJECTED;
	s->eject_until_ms = h->now_ms + len;
	fo_timer_arm(&h->wheel, &s->t_eject, s->eject_until_ms);
	hc_publish(h, s);
	hc_log(h, s, "ejected for %" PRIu64 ".%" PRIu64 " s: %u %s in a row (passive health)",
		len / 1000, len % 1000 / 100, o->streak,
		fail_str(o->kind, o->status, what, sizeof(what)));
}

/* ---- what the workers report and what they are sent ---- */

void
hc_clock(struct fo_ctl_health *h, uint64_t now_ms)
{
	if (!h->clock_set) {
		fo_timer_wheel_init(&h->wheel, now_ms, 1); /* one tick per ms */
		h->clock_set = 1;
	}
	h->now_ms = now_ms;
}

void
fo_ctl_health_observe(struct fo_ctl_health *h, const struct fo_proxy_obs *o, uint64_t now_ms)
{
	struct hc_slot *s;

	h->st.observations++;
	if (o->slot >= h->cap || h->slots[o->slot].refs == 0) {
		h->st.observations_ignored++;
		return;
	}
	hc_clock(h, now_ms);
	s = &h->slots[o->slot];
	switch (o->kind) {
	case FO_PROXY_OBS_CONNECT:
	case FO_PROXY_OBS_RESET:
	case FO_PROXY_OBS_TIMEOUT:
	case FO_PROXY_OBS_BAD:
	case FO_PROXY_OBS_STATUS:
		/* seq: the occupant the worker's snapshot named (0: not said) */
		if (o->seq != 0 && o->seq != s->occ) {
			h->st.observations_stale++;
			break;
		}
		passive_failure(h, s, o);
		break;
	case FO_PROXY_OBS_OK:
		if (o->seq != 0 && o->seq != s->occ) {
			h->st.observations_stale++;
			break;
		}
		if (!(s->state & FO_PROXY_HEALTH_EJECTED))
			s->in_a_row = 0;
		s->refused = 0;
		break;
	case FO_PROXY_OBS_PROBE:
		if (!s->inflight || o->seq != s->seq) {
			h->st.checks_stale++;
		} else if (o->status == 0 && o->why == FO_PROXY_OBS_NOSTATE) {
			/* not run: not a result; the next check at the next interval */
			h->st.checks_nostate++;
			s->inflight = 0;
			fo_timer_cancel(&h->wheel, &s->t_lost);
			hc_check_schedule(h, s);
		} else {
			uint8_t why = o->why >= FO_PROXY_OBS_CONNECT && o->why <= FO_PROXY_OBS_BAD
					      ? o->why
					      : FO_PROXY_OBS_BAD;

			check_result(h, s, o->status, why, 0);
		}
		break;
	default:
		h->st.observations_ignored++;
		break;
	}
}

void
fo_ctl_health_tick(struct fo_ctl_health *h, uint64_t now_ms)
{
	hc_clock(h, now_ms);
	fo_timer_run(&h->wheel, now_ms);
}

uint64_t
fo_ctl_health_next(const struct fo_ctl_health *h, uint64_t now_ms)
{
	uint64_t next;

	if (h->ready_head != HC_NONE)
		return now_ms; /* checks waiting for a worker */
	if (!h->clock_set)
		return UINT64_MAX;
	next = fo_timer_next(&h->wheel);
	return next == UINT64_MAX ? UINT64_MAX : RTE_MAX(next, now_ms);
}

unsigned
fo_ctl_health_due(
	struct fo_ctl_health *h, uint64_t now_ms, struct fo_proxy_probe *out, unsigned max)
{
	unsigned n = 0;

	fo_ctl_health_tick(h, now_ms);
	while (n < max && h->ready_head != HC_NONE) {
		struct hc_slot *s = &h->slots[h->ready_head];

		ready_del(h, s);
		s->seq++;
		s->inflight = 1;
		s->prev_sent_ms = s->sent_ms;
		s->prev_has_sent = s->has_sent;
		s->sent_ms = now_ms;
		s->has_sent = 1;
		probe_render(h, s, &out[n++]);
		fo_timer_arm(
			&h->wheel, &s->t_lost, now_ms + out[n - 1].timeout_ms + HC_LOST_GRACE_MS);
		h->st.checks_sent++;
	}
	return n;
}

void
fo_ctl_health_unsend(struct fo_ctl_health *h, const struct fo_proxy_probe *p)
{
	struct hc_slot *s;

	if (h == NULL || p == NULL || p->slot >= h->cap)
		return;
	s = &h->slots[p->slot];
	if (s->refs == 0 || !s->inflight || s->seq != p->seq)
		return;
	fo_timer_cancel(&h->wheel, &s->t_lost);
	s->inflight = 0;
	s->seq--;
	s->sent_ms = s->prev_sent_ms;
	s->has_sent = s->prev_has_sent;
	h->st.checks_sent--;
	ready_add(h, s, 1);
}
