/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection pool (a preallocated array and a free list), state changes,
 * teardown and the guarded user callbacks.
 *
 * Re-entrancy: a callback may close or abort the connection it is called
 * for. tcp_conn_free() therefore only tears the connection down (state
 * CLOSED, out of the flow table, timers stopped, buffers freed); the TCB
 * itself goes back to the pool when the outermost API entry point returns
 * (tcp_leave -> tcp_conn_reap), so code running after a callback may still
 * look at c->state and see CLOSED.
 *
 * Normal close of a connection the user still holds (no fo_tcp_close or
 * fo_tcp_abort yet) with data or the EOF still to read: the TCB becomes a
 * zombie (tcp_conn_end_normal): CLOSED, out of the flow table, timers and
 * lists, its receive queue kept. fo_tcp_recv() drains it; once the EOF is
 * read, closed(NORMAL) is owed (close_notify) and delivered by the next
 * fo_tcp_flush() (tcp_conn_notify_closed), which then frees the zombie. A
 * TIME_WAIT connection in the same situation stays in TIME_WAIT (and out of
 * the reuse list) until then.
 */
#include <string.h>

#include "tcp_priv.h"

static const char *const tcp_state_names[TCP_STATE_MAX] = {
	[TCP_CLOSED] = "CLOSED",
	[TCP_LISTEN] = "LISTEN",
	[TCP_SYN_SENT] = "SYN_SENT",
	[TCP_SYN_RECEIVED] = "SYN_RECEIVED",
	[TCP_ESTABLISHED] = "ESTABLISHED",
	[TCP_FIN_WAIT_1] = "FIN_WAIT_1",
	[TCP_FIN_WAIT_2] = "FIN_WAIT_2",
	[TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_CLOSING] = "CLOSING",
	[TCP_LAST_ACK] = "LAST_ACK",
	[TCP_TIME_WAIT] = "TIME_WAIT",
};

const char *
tcp_state_name(unsigned state)
{
	return state < TCP_STATE_MAX ? tcp_state_names[state] : "?";
}

static void
tcp_tw_list_del(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (!c->in_tw_list)
		return;
	if (c->tw_prev != NULL)
		c->tw_prev->tw_next = c->tw_next;
	else
		tw->tw_head = c->tw_next;
	if (c->tw_next != NULL)
		c->tw_next->tw_prev = c->tw_prev;
	else
		tw->tw_tail = c->tw_prev;
	c->tw_next = c->tw_prev = NULL;
	c->in_tw_list = 0;
}

void
tcp_tw_list_add(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (c->in_tw_list)
		return;
	c->tw_prev = tw->tw_tail;
	c->tw_next = NULL;
	if (tw->tw_tail != NULL)
		tw->tw_tail->tw_next = c;
	else
		tw->tw_head = c;
	tw->tw_tail = c;
	c->in_tw_list = 1;
}

struct fo_tcp_conn *
tcp_conn_alloc(struct fo_tcp_worker *tw)
{
	struct fo_tcp_conn *c = tw->free_list;

	if (c == NULL && tw->tw_head != NULL) {
		/* pool exhausted: the oldest TIME_WAIT makes room (bounded TIME_WAIT) */
		struct fo_tcp_conn *old = tw->tw_head;

		tcp_conn_free(old);
		tw->stats.time_wait_reused++;
		/* its memory may be reused now: nothing refers to it any more */
		if (tw->dead == old) {
			tw->dead = old->free_next;
			c = old;
		}
	} else if (c != NULL) {
		tw->free_list = c->free_next;
	}
	if (c == NULL)
		return NULL;
	uint32_t idx = c->idx;

	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->tw = tw;
	c->hnext = UINT32_MAX;
	tcp_timers_init(c);
	tw->stats.conns++;
	return c;
}

void
tcp_set_state(struct fo_tcp_conn *c, unsigned state)
{
	struct fo_tcp_worker *tw = c->tw;

	if (c->state == TCP_SYN_RECEIVED && tw->stats.half_open > 0)
		tw->stats.half_open--;
	if (state == TCP_SYN_RECEIVED)
		tw->stats.half_open++;
	if (state == TCP_ESTABLISHED && c->state != TCP_ESTABLISHED)
		tw->stats.established++;
	c->state = (uint8_t)state;
}

void
tcp_conn_free(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (c->state == TCP_CLOSED && !c->in_flow && !c->zombie)
		return; /* already torn down */
	tcp_set_state(c, TCP_CLOSED);
	c->user_gone = 1;
	c->zombie = 0;
	c->close_notify = 0;
	tcp_timers_cancel(c);
	tcp_pending_del(c);
	tcp_tw_list_del(c);
	tcp_nwait_del(c);
	if (c->in_flow)
		tcp_flow_remove(tw, c);
	tcp_sndq_free(tw, &c->snd);
	tcp_rcvq_free(tw, &c->rcv);
	tcp_ooo_free(c);
	c->free_next = tw->dead;
	tw->dead = c;
	tw->stats.closed++;
	if (tw->stats.conns > 0)
		tw->stats.conns--;
}

void
tcp_conn_drop(struct fo_tcp_conn *c, enum fo_tcp_close_reason why)
{
	int tell = !c->user_gone && !(c->passive && c->state == TCP_SYN_RECEIVED);
	const struct fo_tcp_ops *ops = c->ops;
	void *user = c->user;

	tcp_conn_free(c);
	if (tell && ops != NULL && ops->closed != NULL) {
		struct fo_tcp_worker *tw = c->tw;

		tcp_enter(tw);
		ops->closed(c, user, why);
		tcp_leave(tw);
	}
}

/** The user still holds @p c and has something left to read. */
static int
tcp_conn_unread(const struct fo_tcp_conn *c)
{
	return !c->user_gone && (c->rcv.bytes > 0 || !c->eof_read);
}

void
tcp_conn_end_normal(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (!tcp_conn_unread(c)) {
		tcp_conn_drop(c, FO_TCP_CLOSE_NORMAL);
		return;
	}
	/* zombie: the stack is done with it, the user is not */
	tcp_set_state(c, TCP_CLOSED);
	tcp_timers_cancel(c);
	tcp_pending_del(c);
	tcp_tw_list_del(c);
	tcp_nwait_del(c);
	if (c->in_flow)
		tcp_flow_remove(tw, c);
	tcp_sndq_free(tw, &c->snd);
	tcp_ooo_free(c);
	c->zombie = 1;
	if (c->close_notify)
		tcp_pending_add(c); /* still owed at the next flush */
}

void
tcp_conn_eof_read(struct fo_tcp_conn *c)
{
	c->eof_read = 1;
	if (c->user_gone || c->rcv.bytes > 0 || c->close_notify)
		return;
	if (c->zombie || c->state == TCP_TIME_WAIT) {
		c->close_notify = 1;
		tcp_pending_add(c);
	}
}

void
tcp_conn_notify_closed(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	if (!c->close_notify)
		return;
	c->close_notify = 0;
	if (c->user_gone)
		return;
	c->user_gone = 1;
	if (c->ops != NULL && c->ops->closed != NULL) {
		tcp_enter(tw);
		c->ops->closed(c, c->user, FO_TCP_CLOSE_NORMAL);
		tcp_leave(tw);
	}
	if (c->zombie) {
		tcp_conn_free(c);
	} else if (c->state == TCP_TIME_WAIT) {
		tcp_rcvq_free(tw, &c->rcv);
		tcp_tw_list_add(c);
	}
}

void
tcp_conn_reap(struct fo_tcp_worker *tw)
{
	while (tw->dead != NULL) {
		struct fo_tcp_conn *c = tw->dead;

		tw->dead = c->free_next;
		c->free_next = tw->free_list;
		tw->free_list = c;
	}
}

void
tcp_enter_time_wait(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;
	int tell = !c->user_gone;

	tcp_set_state(c, TCP_TIME_WAIT);
	c->tw_tsc = tw->net->now;
	tcp_rtx_stop(c);
	fo_timer_cancel(&tw->wheel, &c->t_delack);
	tcp_keep_arm(c, TCP_KEEP_TIME_WAIT, tw->cfg.time_wait_ms);
	/* nothing of the payload we sent matters any more */
	tcp_sndq_free(tw, &c->snd);
	tcp_ooo_free(c);
	if (tcp_conn_unread(c))
		return; /* closed(NORMAL) once the user read the EOF; not reusable before */
	tcp_tw_list_add(c);
	c->user_gone = 1;
	if (tell && c->ops != NULL && c->ops->closed != NULL) {
		tcp_enter(tw);
		c->ops->closed(c, c->user, FO_TCP_CLOSE_NORMAL);
		tcp_leave(tw);
	}
	/* the user had its chance to read: what is left is dropped */
	if (c->state == TCP_TIME_WAIT)
		tcp_rcvq_free(tw, &c->rcv);
}

void
tcp_conn_init_params(struct fo_tcp_conn *c)
{
	struct fo_tcp_worker *tw = c->tw;

	c->rto_ms = tw->cfg.rto_init_ms;
	c->mss = TCP_DEFAULT_MSS;
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->snd.cur_seq = c->iss + 1;
}

/* ---- guarded callbacks: nothing is called once the user is gone ---- */

void
tcp_cb_readable(struct fo_tcp_conn *c)
{
	if (c->user_gone || c->ops == NULL || c->ops->readable == NULL)
		return;
	tcp_enter(c->tw);
	c->ops->readable(c, c->user);
	tcp_leave(c->tw);
}

void
tcp_cb_writable(struct fo_tcp_conn *c)
{
	if (c->user_gone || c->ops == NULL || c->ops->writable == NULL || !c->want_write)
		return;
	c->want_write = 0;
	c->write_lowat = 0;
	tcp_enter(c->tw);
	c->ops->writable(c, c->user);
	tcp_leave(c->tw);
}

void
tcp_cb_connected(struct fo_tcp_conn *c)
{
	if (c->user_gone || c->ops == NULL || c->ops->connected == NULL)
		return;
	tcp_enter(c->tw);
	c->ops->connected(c, c->user);
	tcp_leave(c->tw);
}

int
tcp_cb_accept(struct fo_tcp_conn *c)
{
	int rc = 0;

	c->tw->stats.passive_opens++;
	if (c->ops == NULL || c->ops->accept == NULL)
		return 0;
	tcp_enter(c->tw);
	rc = c->ops->accept(c, c->listen_arg);
	tcp_leave(c->tw);
	return rc < 0 ? rc : 0;
}
