/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Congestion control: NewReno (RFC 5681, RFC 6582) with byte counting in
 * slow start (RFC 3465, L = 2), fast retransmit on the third duplicate
 * ACK, fast recovery with partial ACKs, and a SACK scoreboard (RFC 2018)
 * used to skip retransmitting what the peer already holds and, during
 * recovery, to retransmit the holes below the highest SACKed byte one per
 * duplicate ACK.
 */
#include "tcp_priv.h"

void
tcp_cc_init(struct fo_tcp_conn *c)
{
	/* RFC 6928 initial window */
	c->cwnd = tcp_min32(10u * c->mss, tcp_max32(2u * c->mss, 14600u));
	c->ssthresh = TCP_CWND_MAX;
	c->recover = c->snd_una;
	c->cwnd_cnt = 0;
}

/** Retransmit one segment at @p seq (up to the next SACKed range). @return bytes. */
static uint32_t
tcp_retransmit_at(struct fo_tcp_conn *c, uint32_t seq)
{
	uint32_t snd_end = c->snd_una + c->snd.bytes, len = 0;
	int fin;

	if (tcp_seq_lt(seq, snd_end))
		len = RTE_MIN(snd_end - seq, (uint32_t)c->mss);
	len = tcp_sack_next(c, seq, seq + len) - seq;
	fin = c->fin_queued && seq + len == snd_end && tcp_seq_gt(c->snd_max, snd_end);
	if (len == 0 && !fin)
		return 0;
	if (tcp_send_data(c, seq, len, fin) != 0)
		return 0;
	c->tw->stats.retransmits++;
	c->rtt_active = 0; /* Karn */
	return len + (uint32_t)fin;
}

static uint32_t
tcp_flight(const struct fo_tcp_conn *c)
{
	return c->snd_max - c->snd_una;
}

void
tcp_cc_ack_slow(struct fo_tcp_conn *c, uint32_t acked)
{
	if (c->in_recovery) {
		if (tcp_seq_ge(c->snd_una, c->recover)) {
			/* full ACK: deflate (RFC 6582 3.2 step 3, option 2) */
			c->cwnd = tcp_min32(c->ssthresh, tcp_max32(tcp_flight(c), c->mss) + c->mss);
			c->in_recovery = 0;
			c->dupacks = 0;
			return;
		}
		/* partial ACK: the next hole is lost too */
		if (tcp_seq_lt(c->rexmit_nxt, c->snd_una))
			c->rexmit_nxt = c->snd_una;
		tcp_retransmit_at(c, c->snd_una);
		c->cwnd = c->cwnd > acked ? c->cwnd - acked : c->mss;
		if (acked >= c->mss)
			c->cwnd += c->mss;
		tcp_rtx_arm(c);
		return;
	}
	c->dupacks = 0;
	if (c->cwnd < c->ssthresh) {
		c->cwnd += RTE_MIN(acked, 2u * c->mss);
	} else {
		c->cwnd_cnt += acked;
		if (c->cwnd_cnt >= c->cwnd) {
			c->cwnd_cnt -= c->cwnd;
			c->cwnd += c->mss;
		}
	}
	if (c->cwnd > TCP_CWND_MAX)
		c->cwnd = TCP_CWND_MAX;
}

void
tcp_cc_dupack(struct fo_tcp_conn *c)
{
	uint32_t seq, len;

	c->dupacks++;
	if (c->in_recovery) {
		c->cwnd += c->mss;
		/* SACK: retransmit the next hole below the highest SACKed byte */
		if (c->n_sacked == 0)
			return;
		seq = tcp_seq_max(c->rexmit_nxt, c->snd_una);
		seq = tcp_sack_skip(c, seq);
		if (tcp_seq_lt(seq, c->sacked[c->n_sacked - 1].start)) {
			len = tcp_retransmit_at(c, seq);
			c->rexmit_nxt = seq + (len ? len : 1);
		}
		return;
	}
	if (c->dupacks < 3 || tcp_seq_lt(c->snd_una, c->recover))
		return;
	c->tw->stats.fast_retransmits++;
	c->ssthresh = RTE_MAX(tcp_flight(c) / 2, 2u * c->mss);
	c->recover = c->snd_max;
	c->in_recovery = 1;
	len = tcp_retransmit_at(c, c->snd_una);
	c->rexmit_nxt = c->snd_una + (len ? len : 1);
	c->cwnd = c->ssthresh + 3u * c->mss;
}

void
tcp_cc_rto(struct fo_tcp_conn *c)
{
	c->ssthresh = RTE_MAX(tcp_flight(c) / 2, 2u * c->mss);
	c->cwnd = c->mss;
	c->cwnd_cnt = 0;
	c->recover = c->snd_max;
	c->in_recovery = 0;
	c->dupacks = 0;
	/* the receiver may renege on SACKed data (RFC 2018 8): forget it */
	c->n_sacked = 0;
	c->snd_nxt = c->snd_una;
	c->rtt_active = 0;
}

/* ---- SACK scoreboard: sorted, disjoint ranges within (SND.UNA, SND.MAX] ---- */

void
tcp_sack_update(struct fo_tcp_conn *c, const struct tcp_opts *o)
{
	struct tcp_sack_blk r[TCP_MAX_SACK + 4];
	unsigned n = 0, i, j;

	for (i = 0; i < c->n_sacked; i++)
		r[n++] = c->sacked[i];
	for (i = 0; o != NULL && i < o->n_sack; i++) {
		struct tcp_sack_blk b = o->sack[i];

		/* RFC 2018: ignore blocks outside what is outstanding (also D-SACKs) */
		if (!tcp_seq_lt(b.start, b.end) || tcp_seq_lt(b.start, c->snd_una) ||
			tcp_seq_gt(b.end, c->snd_max))
			continue;
		r[n++] = b;
	}
	/* trim below SND.UNA */
	for (i = 0, j = 0; i < n; i++) {
		if (tcp_seq_le(r[i].end, c->snd_una))
			continue;
		if (tcp_seq_lt(r[i].start, c->snd_una))
			r[i].start = c->snd_una;
		r[j++] = r[i];
	}
	n = j;
	/* insertion sort by start, then merge overlapping or adjacent ranges */
	for (i = 1; i < n; i++) {
		struct tcp_sack_blk t = r[i];

		for (j = i; j > 0 && tcp_seq_gt(r[j - 1].start, t.start); j--)
			r[j] = r[j - 1];
		r[j] = t;
	}
	c->n_sacked = 0;
	for (i = 0; i < n; i++) {
		struct tcp_sack_blk *last = c->n_sacked ? &c->sacked[c->n_sacked - 1] : NULL;

		if (last != NULL && tcp_seq_le(r[i].start, last->end)) {
			last->end = tcp_seq_max(last->end, r[i].end);
			continue;
		}
		if (c->n_sacked == TCP_MAX_SACK) {
			/* keep the highest range: recovery retransmits below it */
			c->sacked[TCP_MAX_SACK - 1] = r[n - 1];
			break;
		}
		c->sacked[c->n_sacked++] = r[i];
	}
}

uint32_t
tcp_sack_skip(const struct fo_tcp_conn *c, uint32_t seq)
{
	unsigned i;

	for (i = 0; i < c->n_sacked; i++)
		if (tcp_seq_in(seq, c->sacked[i].start, c->sacked[i].end))
			seq = c->sacked[i].end;
	return seq;
}

uint32_t
tcp_sack_next(const struct fo_tcp_conn *c, uint32_t seq, uint32_t limit)
{
	unsigned i;

	for (i = 0; i < c->n_sacked; i++)
		if (tcp_seq_gt(c->sacked[i].start, seq) && tcp_seq_lt(c->sacked[i].start, limit))
			return c->sacked[i].start;
	return limit;
}
