/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: a Unix SOCK_SEQPACKET listener polled by the control
 * thread (never by a worker). One request message per connection, "CMD
 * [ARG...]" (words separated by spaces, "--json" anywhere asks for JSON),
 * one reply message "<status>\n<text>" (status 0 ok, 1 failed, 2 usage),
 * then the server closes. Nothing blocks: a client that connected but has
 * not sent its request yet waits in a small table until its deadline.
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fo_ctl.h"

/** Clients connected and not answered yet, at most. */
#define CTL_PENDING_MAX 16
/** Longest request, bytes. */
#define CTL_REQ_MAX 1024
/** Most words in a request. */
#define CTL_ARGS_MAX 16
/** Room for the largest reply (the kernel's send buffer is raised to it). */
#define CTL_REPLY_MAX (4u << 20)

struct ctl_pending {
	int fd;
	uint64_t deadline_ms;
};

struct fo_ctl_sock {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const struct fo_ctl_cmd *cmds;
	unsigned n_cmds;
	void *arg;
	uint32_t timeout_ms;
	struct ctl_pending pend[CTL_PENDING_MAX];
	unsigned n_pend;
	uint64_t served, rejected;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
fo_ctl_printf(struct fo_ctl_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = o->cap - o->len;

		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < room) {
			o->len += (size_t)n;
			return n;
		}
		if (o->len + (size_t)n + 1 > CTL_REPLY_MAX) {
			o->truncated = 1;
			return -ENOSPC;
		}
		size_t cap = o->cap * 2 > o->len + (size_t)n + 1 ? o->cap * 2 : o->len + (size_t)n + 1;
		char *b = realloc(o->buf, cap);

		if (b == NULL)
			return -ENOMEM;
		o->buf = b;
		o->cap = cap;
	}
}

struct fo_ctl_sock *
fo_ctl_sock_open(const char *path, const struct fo_ctl_cmd *cmds, unsigned n_cmds, void *arg,
	uint32_t timeout_ms)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct fo_ctl_sock *s;

	if (path == NULL || cmds == NULL || n_cmds == 0 || strlen(path) >= sizeof(sun.sun_path)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	memcpy(s->path, path, strlen(path) + 1);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	s->cmds = cmds;
	s->n_cmds = n_cmds;
	s->arg = arg;
	s->timeout_ms = timeout_ms ? timeout_ms : 5000;
	s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		goto fail;
	/* a stale socket of a dead run; a live fanout with the same prefix
	 * would have failed EAL initialisation before getting here */
	unlink(path);
	if (bind(s->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 || listen(s->fd, 64) != 0)
		goto fail;
	return s;
fail:
	{
		int e = errno;

		if (s->fd >= 0)
			close(s->fd);
		free(s);
		errno = e;
	}
	return NULL;
}

/** Split @p req in place into words; "--json" is taken out and reported. */
static int
ctl_split(char *req, char **argv, int *json)
{
	int argc = 0;
	char *save = NULL, *w;

	*json = 0;
	for (w = strtok_r(req, " \t\r\n", &save); w != NULL; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (strcmp(w, "--json") == 0) {
			*json = 1;
			continue;
		}
		if (argc == CTL_ARGS_MAX)
			return -E2BIG;
		argv[argc++] = w;
	}
	return argc;
}

static void
ctl_usage(const struct fo_ctl_sock *s, struct fo_ctl_out *o)
{
	unsigned i;

	fo_ctl_printf(o, "commands:\n");
	for (i = 0; i < s->n_cmds; i++)
		fo_ctl_printf(o, "  %-22s %s\n", s->cmds[i].usage, s->cmds[i].help);
}

/** Answer the request in @p req on @p fd. */
static void
ctl_serve(struct fo_ctl_sock *s, int fd, char *req)
{
	struct fo_ctl_out o = {0};
	char *argv[CTL_ARGS_MAX], head[16];
	int argc, json, status = 2;
	unsigned i;
	struct iovec iov[2];
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

	o.cap = 4096;
	o.buf = malloc(o.cap);
	if (o.buf == NULL)
		return;
	o.buf[0] = '\0';
	argc = ctl_split(req, argv, &json);
	if (argc <= 0) {
		fo_ctl_printf(&o, argc == 0 ? "empty request\n" : "too many words\n");
		ctl_usage(s, &o);
	} else {
		for (i = 0; i < s->n_cmds && strcmp(s->cmds[i].name, argv[0]) != 0; i++)
			;
		if (i == s->n_cmds) {
			fo_ctl_printf(&o, "unknown command \"%s\"\n", argv[0]);
			ctl_usage(s, &o);
		} else {
			status = s->cmds[i].fn(s->arg, argc, argv, json, &o);
			if (status == 2)
				fo_ctl_printf(&o, "usage: %s\n", s->cmds[i].usage);
		}
	}
	if (o.truncated)
		fo_ctl_printf(&o, "\n(reply truncated)\n");
	snprintf(head, sizeof(head), "%d\n", status);
	iov[0].iov_base = head;
	iov[0].iov_len = strlen(head);
	iov[1].iov_base = o.buf;
	iov[1].iov_len = o.len;
	if (sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EMSGSIZE) {
		/* over what the socket buffer takes in one message (net.core.wmem_max) */
		char note[160];
		int k = snprintf(note, sizeof(note),
			"1\nreply of %zu bytes too large for the control socket; raise "
			"net.core.wmem_max\n", o.len);

		iov[0].iov_base = note;
		iov[0].iov_len = (size_t)k;
		mh.msg_iovlen = 1;
		(void)sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		s->rejected++;
	} else {
		s->served++;
	}
	free(o.buf);
}

unsigned
fo_ctl_sock_poll(struct fo_ctl_sock *s)
{
	uint64_t now = now_ms();
	unsigned i, done = 0;
	int fd;

	while (s->n_pend < CTL_PENDING_MAX &&
		(fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int sndbuf = CTL_REPLY_MAX + 4096;

		/* beyond net.core.wmem_max when allowed (root), else up to it */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) != 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		s->pend[s->n_pend].fd = fd;
		s->pend[s->n_pend].deadline_ms = now + s->timeout_ms;
		s->n_pend++;
	}
	for (i = 0; i < s->n_pend;) {
		struct ctl_pending *p = &s->pend[i];
		char req[CTL_REQ_MAX + 1];
		ssize_t n = recv(p->fd, req, CTL_REQ_MAX, MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR) && now < p->deadline_ms) {
			i++;
			continue;
		}
		if (n > 0) {
			req[n] = '\0';
			ctl_serve(s, p->fd, req);
			done++;
		} else {
			s->rejected++; /* closed, error, or silent past its deadline */
		}
		close(p->fd);
		*p = s->pend[--s->n_pend];
	}
	return done;
}

unsigned
fo_ctl_sock_pollfds(const struct fo_ctl_sock *s, struct pollfd *fds, unsigned max)
{
	unsigned i, n = 0;

	if (s == NULL || max == 0)
		return 0;
	fds[n].fd = s->fd;
	fds[n++].events = POLLIN;
	for (i = 0; i < s->n_pend && n < max; i++) {
		fds[n].fd = s->pend[i].fd;
		fds[n++].events = POLLIN;
	}
	return n;
}

void
fo_ctl_sock_close(struct fo_ctl_sock *s)
{
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_pend; i++)
		close(s->pend[i].fd);
	close(s->fd);
	unlink(s->path);
	free(s);
}
