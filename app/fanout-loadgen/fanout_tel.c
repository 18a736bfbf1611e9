/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fanout's counters, read from its DPDK telemetry socket (the one
 * `dpdk-telemetry.py` and the integration tests use): one SOCK_SEQPACKET
 * connection, "/fanout/stats", a reply in JSON. Only the few numbers the
 * report needs are picked out (the sums of the workers' busy_cycles and
 * idle_cycles, proxy and TCP counters, the "memory" section), by key,
 * without a JSON library.
 * Called twice per run, at the edges of the measured window.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "lg.h"

#define TEL_REPLY_MAX (1 << 18)

static char reply[TEL_REPLY_MAX];

/* Sum of every number that follows "key": in [from, end). */
static uint64_t
sum_key(const char *from, const char *end, const char *key, unsigned *count)
{
	size_t kl = strlen(key);
	uint64_t sum = 0;
	const char *p;

	for (p = from; p != NULL && p < end; p++) {
		p = strstr(p, key);
		if (p == NULL || p >= end)
			break;
		if (p[kl] == ':') {
			sum += strtoull(p + kl + 1, NULL, 10);
			if (count != NULL)
				(*count)++;
		}
	}
	return sum;
}

/* The number after "key": inside the object that starts at "obj":{ . */
static uint64_t
obj_key(const char *obj, const char *key)
{
	const char *o = strstr(reply, obj), *end;

	if (o == NULL)
		return 0;
	end = strchr(o, '}'); /* nested dicts ("parse_err") come after the counters */
	if (end == NULL)
		end = o + strlen(o);
	return sum_key(o, end, key, NULL);
}

/* The number after the first "key": anywhere in the reply (0: absent). */
static uint64_t
first_key(const char *key)
{
	const char *p = strstr(reply, key);

	return p != NULL && p[strlen(key)] == ':' ? strtoull(p + strlen(key) + 1, NULL, 10) : 0;
}

/* CPU seconds (utime + stime) of @p pid's DPDK worker threads. */
static double
worker_cpu_s(int pid)
{
	char path[320], buf[512];
	struct dirent *e;
	double ticks = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		unsigned long ut, st;
		const char *p;
		FILE *f;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "/proc/%d/task/%s/comm", pid, e->d_name);
		f = fopen(buf, "r");
		if (f == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (strncmp(buf, "rte-worker", 10) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		p = strrchr(buf, ')'); /* the name may hold spaces */
		/* after ")": state, then 10 fields, then utime and stime */
		if (p != NULL &&
			sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
				&st) == 2)
			ticks += (double)(ut + st);
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
	}
	closedir(d);
	return ticks / (double)sysconf(_SC_CLK_TCK);
}

int
lg_fanout_read(const char *path, int pid, struct lg_fanout_snap *s)
{
	struct sockaddr_un sun;
	struct timeval tv = {.tv_sec = 5};
	ssize_t n;
	int fd;
	const char *w;

	memset(s, 0, sizeof(*s));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		goto fail;
	n = recv(fd, reply, sizeof(reply) - 1, 0); /* the greeting */
	if (n <= 0)
		goto fail;
	if (send(fd, "/fanout/stats", 13, 0) != 13)
		goto fail;
	n = recv(fd, reply, sizeof(reply) - 1, 0);
	if (n <= 0)
		goto fail;
	reply[n] = '\0';
	close(fd);
	w = strstr(reply, "\"workers\":");
	if (w == NULL)
		return -EBADMSG;
	s->busy = sum_key(w, reply + n, "\"busy_cycles\"", &s->n_workers);
	s->idle = sum_key(w, reply + n, "\"idle_cycles\"", NULL);
	s->requests = obj_key("\"proxy\":", "\"requests\"");
	s->accepted = obj_key("\"proxy\":", "\"accepted\"");
	s->upstream_connects = obj_key("\"proxy\":", "\"upstream_connects\"");
	s->upstream_reuses = obj_key("\"proxy\":", "\"upstream_reuses\"");
	s->syncookies_sent = obj_key("\"tcp\":", "\"syncookies_sent\"");
	s->syncookies_ok = obj_key("\"tcp\":", "\"syncookies_ok\"");
	s->passive_opens = obj_key("\"tcp\":", "\"passive_opens\"");
	s->half_open = obj_key("\"tcp\":", "\"half_open\"");
	s->rx_pkts = first_key("\"rx_pkts\"");
	if (strstr(reply, "\"memory\":") != NULL) {
		s->mem_ok = 1;
		s->rss_kb = obj_key("\"memory\":", "\"rss_kb\"");
		s->rss_anon_kb = obj_key("\"memory\":", "\"rss_anon_kb\"");
		s->hugetlb_kb = obj_key("\"memory\":", "\"hugetlb_kb\"");
		s->heap_alloc = obj_key("\"memory\":", "\"heap_alloc_bytes\"");
		s->mbufs_in_use = obj_key("\"memory\":", "\"mbufs_in_use\"");
		s->mbuf_bytes = obj_key("\"memory\":", "\"mbuf_bytes\"");
		s->tcp_buffered = obj_key("\"memory\":", "\"tcp_buffered\"");
		s->tcp_conns = obj_key("\"memory\":", "\"tcp_conns\"");
		s->sessions = obj_key("\"memory\":", "\"sessions\"");
		s->upstream_idle = obj_key("\"memory\":", "\"upstream_idle\"");
		s->upstream_busy = obj_key("\"memory\":", "\"upstream_busy\"");
	}
	if (pid > 0)
		s->cpu_s = worker_cpu_s(pid);
	s->tsc = rte_rdtsc();
	s->ok = s->n_workers > 0;
	return s->ok ? 0 : -EBADMSG;
fail:
	n = -errno;
	close(fd);
	return n ? (int)n : -EIO;
}
