/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accounting of each request, on its worker: the per-route counters
 * (lib/alog's struct fo_alog_rstats, indexed through the snapshot's
 * racct) and the access log entry. No formatting here: a head's strings
 * are copied (bounded) into the session's staging entry when the head is
 * parsed, because its mbufs are gone by the end of the exchange; the
 * numbers are filled at the end and the entry is pushed on the worker's
 * ring, or dropped and counted when the ring is full. Times are the
 * TSC of the burst (net->now): no clock read per request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ring.h>

#include "proxy_priv.h"

int
fo_proxy_worker_acct(struct fo_proxy_worker *pw, const struct fo_proxy_acct_links *l)
{
	pw->acct.rstats = l->rstats;
	pw->acct.n_rstats = l->rstats != NULL ? l->n_rstats : 0;
	if (l->alog == NULL || l->alog_stats == NULL)
		return 0;
	/* pages touched as sessions are first used, as the sessions' own */
	pw->acct.stage = calloc(pw->n_sess, sizeof(*pw->acct.stage));
	if (pw->acct.stage == NULL)
		return -ENOMEM;
	pw->acct.ring = l->alog;
	pw->acct.push = l->alog_stats;
	return 0;
}

static inline struct fo_alog_entry *
stage(const struct px_sess *s)
{
	return &s->pw->acct.stage[s - s->pw->sess];
}

/* User-Agent and Referer (the first of each), in one pass over the fields */
static int
copy_ua_referer(struct fo_alog_entry *e, const uint8_t *head, const struct fo_http_msg *msg)
{
	unsigned i, found = 0;
	int cut = 0;

	e->ua_len = 0;
	e->referer_len = 0;
	for (i = 0; i < msg->n_headers && found != 3; i++) {
		const struct fo_http_hdr *h = &msg->hdrs[i];
		const char *name = (const char *)head + h->name.off;
		const uint8_t *v = head + h->value.off;

		if (h->id != FO_HTTP_H_OTHER)
			continue;
		if (h->name.len == 10 && !(found & 1) && strncasecmp(name, "user-agent", 10) == 0) {
			cut |= FO_ALOG_COPY(e, ua, v, h->value.len);
			found |= 1;
		} else if (h->name.len == 7 && !(found & 2) &&
			   strncasecmp(name, "referer", 7) == 0) {
			cut |= FO_ALOG_COPY(e, referer, v, h->value.len);
			found |= 2;
		}
	}
	return cut;
}

/* the strings of the request, while its head is still in its mbufs */
static void
copy_head(struct px_sess *s, struct fo_alog_entry *e, const uint8_t *head)
{
	const struct fo_http_msg *msg = &s->req;
	int cut = 0;

	e->http_minor = msg->version_minor;
	FO_ALOG_COPY(e, method, head + msg->method_s.off, msg->method_s.len);
	if (FO_ALOG_COPY(e, target, head + msg->target.off, msg->target.len))
		e->flags |= FO_ALOG_F_TRUNC_TARGET;
	cut |= FO_ALOG_COPY(e, host, head + msg->host.off, msg->host.len);
	e->rid_len = 0;
	if (msg->hdr_first[FO_HTTP_H_X_REQUEST_ID] != 0) {
		const struct fo_http_hdr *h =
			&msg->hdrs[msg->hdr_first[FO_HTTP_H_X_REQUEST_ID] - 1];

		cut |= FO_ALOG_COPY(e, rid, head + h->value.off, h->value.len);
	}
	cut |= copy_ua_referer(e, head, msg);
	if (cut)
		e->flags |= FO_ALOG_F_TRUNC_OTHER;
}

void
px_acct_begin_log(struct px_sess *s, const uint8_t *head)
{
	struct fo_proxy_worker *pw = s->pw;
	struct fo_alog_entry *e;

	e = stage(s);
	e->flags = 0;
	e->seq = ++pw->acct.seq;
	e->worker = (uint16_t)pw->worker_id;
	e->client_addr = s->client_addr;
	e->client_port = s->client_port;
	e->up_status = 0;
	e->t_up_head = 0;
	if (head != NULL) {
		copy_head(s, e, head);
		return;
	}
	e->http_minor = 1;
	e->method_len = 0;
	e->target_len = e->host_len = e->ua_len = e->referer_len = 0;
	e->rid_len = 0;
}

void
px_acct_ep_log(struct px_sess *s, unsigned status)
{
	struct fo_alog_entry *e;

	if (!(s->flags & PX_S_ACCT) || s->up == NULL || s->up->srv == NULL)
		return;
	e = stage(s);
	e->flags |= FO_ALOG_F_UPSTREAM;
	e->ep_addr = s->up->srv->addr;
	e->ep_port = s->up->srv->port;
	if (status != 0) {
		e->flags |= FO_ALOG_F_UP_HEAD;
		e->up_status = (uint16_t)status;
		e->t_up_head = s->pw->net->now;
	}
}

void
px_acct_rid_log(struct px_sess *s, const char *rid, size_t len)
{
	FO_ALOG_COPY(stage(s), rid, rid, len);
}

uint32_t
px_acct_default_slot(const struct px_sess *s, const struct fo_conf_route *r)
{
	const struct fo_alog_routes *rt = s->snap->racct;

	return rt != NULL ? fo_alog_routes_default_slot(rt, s->snap->conf, r) : UINT32_MAX;
}

void
px_acct_end_count(struct px_sess *s, int aborted)
{
	struct fo_proxy_worker *pw = s->pw;
	const struct fo_proxy_snapshot *snap = s->snap != NULL ? s->snap : pw->cur;
	const struct fo_alog_routes *rt = snap != NULL ? snap->racct : NULL;
	uint64_t now = pw->net->now, us, up_us = UINT64_MAX, req_len;
	unsigned status = s->status;
	uint32_t slot = 0;
	struct fo_alog_entry *e;

	if (status == 0 && aborted)
		status = 499; /* nginx's "client closed request": nothing was answered */
	req_len = ((s->flags & PX_S_ACCT_HEAD) ? s->req.head_len : 0) + s->req_b.total;
	s->flags &= ~(PX_S_ACCT | PX_S_ACCT_HEAD);
	if (rt != NULL) {
		slot = s->rslot < rt->n ? s->rslot : rt->n - 1;
		if (rt->key[slot] < pw->acct.n_rstats) {
			/* the durations only when counted (metrics off: no division) */
			us = rte_reciprocal_divide_u64((now - s->t_start) * 1000, &pw->per_ms);
			if (s->t_up_start != 0)
				up_us = rte_reciprocal_divide_u64(
					(now - s->t_up_start) * 1000, &pw->per_ms);
			fo_alog_rstats_count(&pw->acct.rstats[rt->key[slot]], status, us, up_us,
				req_len, s->out_bytes);
		}
	}
	if (pw->acct.ring == NULL)
		return;
	e = stage(s);
	e->t_start = s->t_start;
	e->t_up_start = s->t_up_start;
	e->t_end = now;
	e->req_len = req_len;
	e->bytes_out = s->out_bytes;
	e->body_out = s->out_bytes > s->out_head ? s->out_bytes - s->out_head : 0;
	e->status = (uint16_t)status;
	if (aborted)
		e->flags |= FO_ALOG_F_ABORTED;
	if (s->t_up_start == 0)
		e->flags &= (uint8_t) ~(FO_ALOG_F_UPSTREAM | FO_ALOG_F_UP_HEAD);
	if (rt != NULL) {
		const struct fo_alog_route_name *n = &rt->name[slot];

		memcpy(e->route, n->route, n->route_len);
		e->route_len = n->route_len;
		memcpy(e->upstream, n->upstream, n->upstream_len);
		e->upstream_len = n->upstream_len;
		memcpy(e->alt, n->alt, n->alt_len);
		e->alt_len = n->alt_len;
	} else {
		e->route_len = e->upstream_len = e->alt_len = 0;
	}
	fo_alog_push(pw->acct.ring, e, pw->acct.push);
}
