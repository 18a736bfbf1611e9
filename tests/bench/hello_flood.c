/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A TLS handshake flood that costs its sender almost nothing: C connections
 * at a time, each sends one ClientHello (made once by OpenSSL at start: TLS
 * 1.3, X25519, the given SNI), waits for the first bytes of the server's
 * answer -- by then the server has done its key exchange and signed -- and
 * resets (SO_LINGER 0); then the next connection. The server does the
 * expensive half of a full handshake for each, the client none of its
 * crypto: on a machine whose clients share one CPU, the flood takes the
 * proxy's full handshake rate without taking the other clients' CPU (h2load
 * completes every handshake and spends more CPU per handshake than the
 * server). A benchmark tool (tests/bench/tls_bench.py), not a test.
 *
 *   hello_flood ADDR PORT SNI CONNS SECONDS
 *
 * Prints "hello_flood: N answered, E errors, S s, R/s".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#define MAX_CONNS 4096

static unsigned char hello[16384];
static size_t hello_len;

/* The ClientHello OpenSSL sends first for @p sni, into hello[]. */
static int
make_hello(const char *sni)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	BIO *rb, *wb;
	int n;

	if (ctx == NULL)
		return -1;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	ssl = SSL_new(ctx);
	rb = BIO_new(BIO_s_mem());
	wb = BIO_new(BIO_s_mem());
	if (ssl == NULL || rb == NULL || wb == NULL)
		return -1;
	SSL_set_bio(ssl, rb, wb);
	SSL_set_tlsext_host_name(ssl, sni);
	SSL_set_connect_state(ssl);
	(void)SSL_do_handshake(ssl); /* wants to read: the hello is in wb */
	n = BIO_read(wb, hello, sizeof(hello));
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (n <= 5 || hello[0] != 0x16)
		return -1;
	hello_len = (size_t)n;
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A new non-blocking connection to @p sa, registered for writability. */
static int
open_one(int ep, const struct sockaddr_in *sa)
{
	struct epoll_event ev = {.events = EPOLLOUT};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	ev.data.fd = fd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Close with a reset: no FIN_WAIT/TIME_WAIT left on either side. */
static void
reset_one(int ep, int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

int
main(int argc, char **argv)
{
	static struct epoll_event evs[256];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned long answered = 0, errors = 0;
	int conns, ep, i, open_n = 0;
	double secs, t0, t1;

	if (argc != 6 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: hello_flood ADDR PORT SNI CONNS SECONDS\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	conns = atoi(argv[4]);
	secs = atof(argv[5]);
	if (conns < 1 || conns > MAX_CONNS || secs <= 0 || secs > 600) {
		fprintf(stderr, "hello_flood: CONNS 1..%d, SECONDS 0..600\n", MAX_CONNS);
		return 2;
	}
	if (make_hello(argv[3]) != 0) {
		fprintf(stderr, "hello_flood: no ClientHello from OpenSSL\n");
		return 1;
	}
	ep = epoll_create1(0);
	if (ep < 0)
		return 1;
	t0 = now_s();
	t1 = t0 + secs;
	for (i = 0; i < conns; i++)
		if (open_one(ep, &sa) >= 0)
			open_n++;
	while (now_s() < t1) {
		int n = epoll_wait(ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), 100);

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			unsigned char buf[4096];
			ssize_t r;

			if (evs[i].events & EPOLLOUT) {
				struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err != 0 || send(fd, hello, hello_len, MSG_NOSIGNAL) !=
							(ssize_t)hello_len) {
					errors++;
					reset_one(ep, fd);
				} else {
					epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
					continue;
				}
			} else {
				r = recv(fd, buf, sizeof(buf), 0);
				if (r > 0 && buf[0] == 0x16)
					answered++; /* a handshake record: the server has signed */
				else
					errors++;
				reset_one(ep, fd);
			}
			open_n--;
			if (open_one(ep, &sa) >= 0)
				open_n++;
		}
		while (open_n < conns && open_one(ep, &sa) >= 0)
			open_n++;
	}
	secs = now_s() - t0;
	printf("hello_flood: %lu answered, %lu errors, %.2f s, %.0f/s\n", answered, errors, secs,
		(double)answered / secs);
	return 0;
}
