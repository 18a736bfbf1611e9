/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the config parser: any bytes go through
 * fo_conf_parse() with includes disabled (no file system access) and the
 * result, if any, is dumped and freed. Errors go to /dev/null so that the
 * formatting code runs too. Must not crash, hang or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fo_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct fo_conf *conf;

	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	conf = fo_conf_parse(
		"fuzz.conf", (const char *)data, size, FO_CONF_F_NO_INCLUDE, devnull, NULL);
	if (conf != NULL) {
		if (devnull != NULL)
			fo_conf_dump(conf, devnull);
		fo_conf_free(conf);
	}
	return 0;
}
