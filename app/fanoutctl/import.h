/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef FANOUTCTL_IMPORT_H
#define FANOUTCTL_IMPORT_H

/**
 * fanoutctl import: @p argv[0] is "import".
 * @return the exit status (0 written, 1 failed, 2 bad usage).
 */
int cmd_import(const char *prog, int argc, char **argv);

#endif
