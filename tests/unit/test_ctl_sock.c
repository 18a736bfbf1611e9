/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ctl control socket, client and server in one thread: dispatch and
 * arguments, --json, statuses (ok, failed, usage), unknown and empty
 * requests, a 1 MiB reply in one message, a silent client dropped at its
 * deadline, more clients at once than the pending table holds, and a
 * stale socket file replaced at open.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fo_ctl.h"

#define BIG (1u << 20)

static char sock_path[108];

static int
cmd_echo(void *arg, int argc, char **argv, int json, struct fo_ctl_out *o)
{
	int i;

	(void)arg;
	fo_ctl_printf(o, "json=%d", json);
	for (i = 1; i < argc; i++)
		fo_ctl_printf(o, " %s", argv[i]);
	return 0;
}

static int
cmd_big(void *arg, int argc, char **argv, int json, struct fo_ctl_out *o)
{
	unsigned i;

	(void)arg, (void)argc, (void)argv, (void)json;
	for (i = 0; i < BIG / 64; i++)
		fo_ctl_printf(o, "%063u\n", i);
	return 0;
}

static int
cmd_fail(void *arg, int argc, char **argv, int json, struct fo_ctl_out *o)
{
	(void)arg, (void)argv, (void)json;
	if (argc != 2)
		return 2;
	fo_ctl_printf(o, "no such thing\n");
	return 1;
}

static const struct fo_ctl_cmd cmds[] = {
	{"echo", "echo [WORD...]", "say it back", cmd_echo},
	{"big", "big", "1 MiB of text", cmd_big},
	{"fail", "fail THING", "always fails", cmd_fail},
};

static int
client_connect(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	assert_true(fd >= 0);
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Send @p req, let the server poll, read the whole reply. @return its length. */
static ssize_t
ask(struct fo_ctl_sock *s, const char *req, char *reply, size_t len)
{
	int fd = client_connect();
	ssize_t n;

	assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
	assert_int_equal(fo_ctl_sock_poll(s), 1);
	n = recv(fd, reply, len - 1, 0);
	close(fd);
	assert_true(n >= 0);
	reply[n] = '\0';
	return n;
}

static struct fo_ctl_sock *
open_sock(uint32_t timeout_ms)
{
	struct fo_ctl_sock *s;

	snprintf(sock_path, sizeof(sock_path), "/tmp/fo-ctl-test-%d.sock", (int)getpid());
	s = fo_ctl_sock_open(sock_path, cmds, sizeof(cmds) / sizeof(cmds[0]), NULL, timeout_ms);
	assert_non_null(s);
	return s;
}

static void
test_dispatch(void **state)
{
	struct fo_ctl_sock *s = open_sock(0);
	char reply[4096];

	(void)state;
	ask(s, "echo a b", reply, sizeof(reply));
	assert_string_equal(reply, "0\njson=0 a b");
	ask(s, "  echo --json  x\n", reply, sizeof(reply));
	assert_string_equal(reply, "0\njson=1 x");
	ask(s, "fail it", reply, sizeof(reply));
	assert_string_equal(reply, "1\nno such thing\n");
	ask(s, "fail", reply, sizeof(reply));
	assert_string_equal(reply, "2\nusage: fail THING\n");
	ask(s, "nope", reply, sizeof(reply));
	assert_non_null(strstr(reply, "2\nunknown command \"nope\"\ncommands:\n"));
	assert_non_null(strstr(reply, "  echo [WORD...]         say it back\n"));
	ask(s, " ", reply, sizeof(reply));
	assert_non_null(strstr(reply, "2\nempty request\n"));
	fo_ctl_sock_close(s);
	assert_int_equal(access(sock_path, F_OK), -1); /* the file is gone */
}

static void
test_big_reply(void **state)
{
	struct fo_ctl_sock *s = open_sock(0);
	char *reply = malloc(BIG + 64), last[65];
	ssize_t n;

	(void)state;
	assert_non_null(reply);
	n = ask(s, "big", reply, BIG + 64);
	assert_int_equal(n, 2 + BIG);
	assert_memory_equal(reply, "0\n", 2);
	snprintf(last, sizeof(last), "%063u\n", BIG / 64 - 1);
	assert_memory_equal(reply + 2 + BIG - 64, last, 64);
	free(reply);
	fo_ctl_sock_close(s);
}

static void
test_silent_and_many(void **state)
{
	struct fo_ctl_sock *s = open_sock(50);
	struct timespec ts = {0, 60 * 1000000L};
	int silent = client_connect(), fds[20];
	char reply[256];
	unsigned i, served = 0, rounds;

	(void)state;
	assert_int_equal(fo_ctl_sock_poll(s), 0); /* accepted, waiting for its request */
	nanosleep(&ts, NULL);
	assert_int_equal(fo_ctl_sock_poll(s), 0); /* past its deadline: dropped */
	assert_int_equal(recv(silent, reply, sizeof(reply), 0), 0);
	close(silent);

	/* more clients at once than the pending table holds: all answered */
	for (i = 0; i < 20; i++) {
		fds[i] = client_connect();
		assert_int_equal(send(fds[i], "echo hi", 7, 0), 7);
	}
	for (rounds = 0; served < 20 && rounds < 10; rounds++)
		served += fo_ctl_sock_poll(s);
	assert_int_equal(served, 20);
	for (i = 0; i < 20; i++) {
		ssize_t n = recv(fds[i], reply, sizeof(reply) - 1, 0);

		assert_true(n > 0);
		reply[n] = '\0';
		assert_string_equal(reply, "0\njson=0 hi");
		close(fds[i]);
	}
	fo_ctl_sock_close(s);
}

static void
test_stale_file_replaced(void **state)
{
	struct fo_ctl_sock *s;
	FILE *f;
	char reply[256];

	(void)state;
	snprintf(sock_path, sizeof(sock_path), "/tmp/fo-ctl-test-%d.sock", (int)getpid());
	f = fopen(sock_path, "w");
	assert_non_null(f);
	fclose(f);
	s = fo_ctl_sock_open(sock_path, cmds, 3, NULL, 0);
	assert_non_null(s);
	ask(s, "echo ok", reply, sizeof(reply));
	assert_string_equal(reply, "0\njson=0 ok");
	fo_ctl_sock_close(s);
	errno = 0;
	assert_null(fo_ctl_sock_open(NULL, cmds, 3, NULL, 0));
	assert_int_equal(errno, EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_big_reply),
		cmocka_unit_test(test_silent_and_many),
		cmocka_unit_test(test_stale_file_replaced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
