/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading config files and `include PATTERN;`: paths relative to the
 * including file's directory, glob(3) patterns expanded in sorted order
 * (matching nothing is fine, as in nginx; a literal name must exist),
 * nesting limited to FO_CONF_INCLUDE_DEPTH_MAX, cycles caught by comparing
 * realpath()s of the files being read. An included file is parsed in the
 * context of the include (so `include` works inside blocks too).
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_priv.h"

/* Read a whole regular file, at most FO_CONF_FILE_MAX bytes. 0 or -errno. */
int
conf_read_file(const char *path, char **text, size_t *len)
{
	struct stat st;
	ssize_t r;
	size_t got = 0;
	char *buf;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
	} else if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
	} else if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
	} else if ((unsigned long long)st.st_size > FO_CONF_FILE_MAX) {
		rc = -EFBIG;
	}
	if (rc != 0) {
		close(fd);
		return rc;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*text = buf;
	*len = got;
	return 0;
}

const char *
conf_read_error(int rc)
{
	if (rc == -EINVAL)
		return "not a regular file";
	if (rc == -EFBIG)
		return "file too large (limit 16 MiB)";
	return strerror(-rc);
}

static void
include_file(
	struct conf_parser *p, struct conf_block *blk, const char *path, const struct conf_tok *arg)
{
	char *text = NULL, *real;
	const char *name;
	size_t len = 0;
	unsigned i;
	int rc;

	if (++p->n_files_read > FO_CONF_FILES_MAX) {
		conf_err(p, &arg->loc, "too many files (limit %u)", FO_CONF_FILES_MAX);
		return;
	}
	rc = conf_read_file(path, &text, &len);
	if (rc != 0) {
		conf_err(p, &arg->loc, "cannot read included file \"%s\": %s", path,
			conf_read_error(rc));
		return;
	}
	real = realpath(path, NULL);
	for (i = 0; real != NULL && i <= p->depth; i++) {
		if (p->stack[i] != NULL && strcmp(p->stack[i], real) == 0) {
			conf_err(p, &arg->loc, "include cycle: \"%s\" is already being read", path);
			goto out;
		}
	}
	name = conf_add_file(p, path, &arg->loc);
	if (name == NULL)
		goto out;
	p->stack[++p->depth] = real;
	conf_parse_text(p, name, text, len, blk);
	p->stack[p->depth--] = NULL;
out:
	free(real);
	free(text);
}

/* `include PATTERN;` -- relative to the including file, glob(3) sorted. */
void
conf_do_include(struct conf_parser *p, struct conf_block *blk, const struct conf_stmt *st)
{
	const struct conf_tok *arg = &st->tok[1];
	const char *file = st->tok[0].loc.file, *slash = strrchr(file, '/');
	char *path;
	glob_t g;
	size_t i;
	int rc;

	if (p->flags & FO_CONF_F_NO_INCLUDE) {
		conf_err(p, &st->tok[0].loc, "\"include\" is disabled for this config");
		return;
	}
	if (st->has_block || st->n_args != 1) {
		conf_err(p, &st->tok[0].loc,
			"wrong number of arguments in \"include\" directive (usage: include "
			"PATTERN;)");
		return;
	}
	if (p->depth >= FO_CONF_INCLUDE_DEPTH_MAX) {
		conf_err(p, &arg->loc, "includes nested too deeply (limit %u)",
			FO_CONF_INCLUDE_DEPTH_MAX);
		return;
	}
	if (arg->val[0] == '/' || slash == NULL) {
		path = strdup(arg->val);
	} else {
		int dir_len = (int)(slash - file);

		path = malloc((size_t)dir_len + arg->len + 2);
		if (path != NULL)
			snprintf(path, (size_t)dir_len + arg->len + 2, "%.*s/%s", dir_len, file,
				arg->val);
	}
	if (path == NULL) {
		conf_oom(p, &arg->loc);
		return;
	}
	if (strpbrk(arg->val, "*?[") == NULL) {
		include_file(p, blk, path, arg); /* a literal name must exist */
		free(path);
		return;
	}
	/* what a config watcher must look at: files that match it later too */
	if (conf_push(&p->c->globs, p->c->n_globs, sizeof(*p->c->globs)) == 0 &&
		(p->c->globs[p->c->n_globs] = strdup(path)) != NULL)
		p->c->n_globs++;
	rc = glob(path, 0, NULL, &g);
	if (rc == 0) {
		for (i = 0; i < g.gl_pathc && !p->stop; i++)
			include_file(p, blk, g.gl_pathv[i], arg);
	} else if (rc != GLOB_NOMATCH) { /* matching nothing is fine, as in nginx */
		conf_err(p, &arg->loc, "cannot expand \"%s\": %s", path,
			rc == GLOB_NOSPACE ? "out of memory" : "read error");
	}
	if (rc == 0 || rc == GLOB_NOMATCH)
		globfree(&g);
	free(path);
}
