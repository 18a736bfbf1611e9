/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reload on a change of the config files: inotify on the directories of
 * every file the served config was read from (the main file and its
 * includes; editors and config generators replace files by rename, so the
 * directory is what to watch), and the directory of every glob include,
 * even one that matches nothing yet. An event on one of those files, or
 * on a file a glob include's pattern matches, schedules a
 * reload WATCH_DEBOUNCE_MS after the last event: a burst of writes is one
 * reload. Control thread only; never blocks (IN_NONBLOCK).
 */
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "app.h"

/** Quiet time after the last event before the reload. */
#define WATCH_DEBOUNCE_MS 300
/** Directories and files watched, at most. */
#define WATCH_MAX 64

static struct {
	int fd;
	unsigned n_dirs, n_files;
	int wd[WATCH_MAX];
	char *dirs[WATCH_MAX];
	char *files[WATCH_MAX]; /* base names of the config's files, and glob patterns */
	uint64_t due_tsc;       /* 0: nothing pending */
} w = {.fd = -1};

static void
watch_clear(void)
{
	unsigned i;

	for (i = 0; i < w.n_dirs; i++) {
		inotify_rm_watch(w.fd, w.wd[i]);
		free(w.dirs[i]);
	}
	for (i = 0; i < w.n_files; i++)
		free(w.files[i]);
	w.n_dirs = w.n_files = 0;
}

/** Watch the directory of @p path and remember its base name. */
static void
watch_file(const char *path)
{
	char a[PATH_MAX], b[PATH_MAX];
	const char *dir, *base;
	unsigned i;
	int wd;

	if (path == NULL || strlen(path) >= sizeof(a))
		return;
	memcpy(a, path, strlen(path) + 1);
	memcpy(b, path, strlen(path) + 1);
	dir = dirname(a);
	base = basename(b);
	for (i = 0; i < w.n_files && strcmp(w.files[i], base) != 0; i++)
		;
	if (i == w.n_files && w.n_files < WATCH_MAX)
		w.files[w.n_files++] = strdup(base);
	for (i = 0; i < w.n_dirs; i++)
		if (strcmp(w.dirs[i], dir) == 0)
			return;
	if (w.n_dirs == WATCH_MAX)
		return;
	wd = inotify_add_watch(w.fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE);
	if (wd < 0) {
		FO_LOG(WARNING, "config watch: %s: %s\n", dir, strerror(errno));
		return;
	}
	w.wd[w.n_dirs] = wd;
	w.dirs[w.n_dirs++] = strdup(dir);
}

void
watch_rearm(struct app *app, const struct fo_conf *c)
{
	const char *src;
	unsigned i;

	if (w.fd < 0)
		return;
	watch_clear();
	watch_file(app->args.conf_path);
	/* every file read (the includes), and every glob include's pattern:
	 * its directory is watched even while it matches nothing */
	for (i = 0; (src = fo_conf_source(c, i, NULL)) != NULL; i++)
		watch_file(src);
}

int
watch_init(struct app *app)
{
	w.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w.fd < 0)
		return -errno;
	watch_rearm(app, app->cur_conf);
	return 0;
}

/** Does @p name (an event's file name) concern the config: a file of it, or one a glob matches? */
static int
watch_relevant(const char *name)
{
	unsigned i;

	for (i = 0; i < w.n_files; i++)
		if (fnmatch(w.files[i], name, FNM_PERIOD) == 0)
			return 1;
	return 0;
}

void
watch_poll(struct app *app)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	if (w.fd < 0)
		return;
	while ((n = read(w.fd, buf, sizeof(buf))) > 0) {
		const char *p;

		for (p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->len != 0 && watch_relevant(ev->name))
				w.due_tsc = rte_rdtsc() + WATCH_DEBOUNCE_MS * (rte_get_tsc_hz() / 1000);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (w.due_tsc != 0 && rte_rdtsc() >= w.due_tsc) {
		w.due_tsc = 0;
		app->watch_reloads++;
		__atomic_store_n(&app->reload_req, 1, __ATOMIC_RELEASE);
	}
}

int
watch_fd(void)
{
	return w.fd;
}

uint64_t
watch_due(void)
{
	return w.due_tsc != 0 ? w.due_tsc : UINT64_MAX;
}

void
watch_fini(void)
{
	if (w.fd < 0)
		return;
	watch_clear();
	close(w.fd);
	w.fd = -1;
}
