/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FANOUTCTL_IMPORT_H
#define FANOUTCTL_IMPORT_H

/**
 * fanoutctl import: @p argv[0] is "import"; @p prefix is fanout's file
 * prefix (for --apply).
 * @return the exit status (0 written, 1 failed, 2 bad usage).
 */
int cmd_import(const char *prog, const char *prefix, int argc, char **argv);

/**
 * A control socket command (fanoutctl.c): send "@p argv... [--json]" to the
 * fanout of @p prefix, print its reply.
 * @return the exit status (0, 1 failed or not running, 2 bad usage).
 */
int control(const char *prefix, int argc, char **argv, int json);

#endif
