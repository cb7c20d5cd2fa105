/*
 * outfile.h - a file a command writes whole or not at all: written as
 * PATH.tmp, then renamed over PATH; on any error neither is left and the
 * reason is said on stderr as `WHO: PATH: why`. For `iosim export`,
 * `iosim replay-capture` and `iosim calibrate`, whose outputs other
 * tools read: a half-written one would be worse than none.
 *
 *     static bool put(FILE *f, void *ctx) { ... return true; }   // false: already said why
 *     if (!cli_outfile_write("out.yaml", "iosim calibrate", put, &ctx)) ... exit 2 ...
 */
#ifndef IOSIM_SIM_CLI_OUTFILE_H
#define IOSIM_SIM_CLI_OUTFILE_H

#include <stdbool.h>
#include <stdio.h>

typedef bool cli_outfile_fn(FILE *f, void *ctx);

bool cli_outfile_write(const char *path, const char *who, cli_outfile_fn *put, void *ctx);

#endif /* IOSIM_SIM_CLI_OUTFILE_H */
