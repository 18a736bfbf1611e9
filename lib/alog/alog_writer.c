/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The access log writer (control thread): drains the workers' rings into
 * one buffer, one write(2) per drain, and reopens the file when asked
 * (SIGUSR1 after logrotate renamed it). Workers never wait for it: what
 * it does not take in time stays in the rings, and what does not fit
 * there is dropped and counted by the workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_ring_peek_zc.h>

#include "fo_alog.h"

#define WRITER_RINGS 128

struct fo_alog_writer {
	char *path;
	int fd;
	enum fo_alog_format fmt;
	struct fo_alog_clock clk;
	volatile sig_atomic_t reopen; /* set by fo_alog_writer_reopen_ask() */
	struct rte_ring *rings[WRITER_RINGS];
	unsigned n_rings, next_ring;
	char *buf;
	size_t cap;
	struct fo_alog_writer_stats st;
};

static int
open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

struct fo_alog_writer *
fo_alog_writer_open(
	const char *path, enum fo_alog_format fmt, size_t buf_size, const struct fo_alog_clock *clk)
{
	struct fo_alog_writer *w = calloc(1, sizeof(*w));
	int err;

	if (w == NULL)
		return NULL;
	w->fmt = fmt;
	w->clk = *clk;
	w->clk.cached_len = 0;
	w->cap = buf_size < 4 * FO_ALOG_LINE_MAX ? 4 * FO_ALOG_LINE_MAX : buf_size;
	w->buf = malloc(w->cap);
	w->path = strdup(path);
	w->fd = -1;
	if (w->buf == NULL || w->path == NULL) {
		err = ENOMEM;
		goto fail;
	}
	w->fd = open_log(path);
	if (w->fd < 0) {
		err = errno;
		goto fail;
	}
	return w;
fail:
	free(w->buf);
	free(w->path);
	free(w);
	errno = err;
	return NULL;
}

int
fo_alog_writer_add_ring(struct fo_alog_writer *w, struct rte_ring *r)
{
	if (w->n_rings == WRITER_RINGS)
		return -ENOSPC;
	w->rings[w->n_rings++] = r;
	return 0;
}

void
fo_alog_writer_reopen_ask(struct fo_alog_writer *w)
{
	w->reopen = 1;
}

static void
do_reopen(struct fo_alog_writer *w)
{
	int fd;

	w->reopen = 0;
	fd = open_log(w->path);
	if (fd < 0) {
		w->st.reopen_errors++; /* keep writing to the old file rather than nowhere */
		return;
	}
	close(w->fd);
	w->fd = fd;
	w->st.reopens++;
}

static void
flush(struct fo_alog_writer *w, size_t len)
{
	ssize_t n;

	if (len == 0)
		return;
	n = write(w->fd, w->buf, len);
	w->st.writes++;
	if (n < 0 || (size_t)n != len)
		w->st.write_errors++;
	if (n > 0)
		w->st.bytes += (uint64_t)n;
}

unsigned
fo_alog_writer_drain(struct fo_alog_writer *w)
{
	struct rte_ring_zc_data zc;
	size_t len = 0;
	unsigned n = 0, empty = 0, i;

	if (w->reopen)
		do_reopen(w);
	/* round robin over the rings, one entry each, so that a busy worker
	 * does not starve the others' lines when the buffer is the limit */
	while (w->n_rings != 0 && empty < w->n_rings && w->cap - len >= FO_ALOG_LINE_MAX) {
		i = w->next_ring;
		w->next_ring = (i + 1) % w->n_rings;
		/* formatted in place in its slot, then the slot is given back */
		if (rte_ring_dequeue_zc_burst_elem_start(
			    w->rings[i], sizeof(struct fo_alog_entry), 1, &zc, NULL) != 1) {
			empty++;
			continue;
		}
		empty = 0;
		len += fo_alog_format(zc.ptr1, w->fmt, &w->clk, w->buf + len);
		rte_ring_dequeue_zc_elem_finish(w->rings[i], 1);
		n++;
	}
	flush(w, len);
	w->st.entries += n;
	return n;
}

const struct fo_alog_writer_stats *
fo_alog_writer_stats(const struct fo_alog_writer *w)
{
	return &w->st;
}

void
fo_alog_writer_close(struct fo_alog_writer *w)
{
	if (w == NULL)
		return;
	while (fo_alog_writer_drain(w) != 0)
		;
	close(w->fd);
	free(w->buf);
	free(w->path);
	free(w);
}
