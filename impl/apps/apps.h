/*
 * apps.h - small programs written against impl/ and the port, run as
 * simulated processes by scenarios (`run: NAME`) and as threads by native
 * tests. They are production-style code: everything through the port, no
 * knowledge of the simulator.
 *
 *   echo_server   serves scheme `scheme` (default "echo"): files that hold
 *                 what was last written to them; over its kernel -> userspace
 *                 ring, and over secondary rings clients offer.
 *   echo_client   drives `requests` open/write/read/close rounds against
 *                 that scheme (`mode`: ring = through a userspace -> kernel
 *                 ring, sync = blocking system calls, secondary = over a
 *                 userspace -> userspace ring set up through a kernel ring),
 *                 checking every completion. Exit status 0 when all held.
 *   blk_server    a slow block daemon: scheme `scheme` (default "blk") whose
 *                 files read as blk_pattern(); every read is held for
 *                 `delay` ns before it is answered.
 *   pool_client   a driver-shaped client of that scheme: read buffers are
 *                 guarded buffer-pool slices; when the peer dies holding one,
 *                 the guard is forfeited and the slice leaked, never reused.
 *
 * Arguments are (key, integer or string) pairs; each app documents its keys.
 * The argument struct is borrowed for the app's lifetime.
 */
#ifndef IOSIM_APPS_H
#define IOSIM_APPS_H

#include <stdint.h>

#define APP_ARGS_MAX 8u

struct app_args {
    uint32_t count;
    const char *key[APP_ARGS_MAX];
    int64_t num[APP_ARGS_MAX];
    const char *str[APP_ARGS_MAX];   /* NULL for numbers */
};

int64_t app_arg_int(const struct app_args *a, const char *key, int64_t fallback);
const char *app_arg_str(const struct app_args *a, const char *key, const char *fallback);

/* Process entry points (struct app_args * as arg). */
int32_t app_echo_server(void *args);
int32_t app_echo_client(void *args);
int32_t app_blk_server(void *args);
int32_t app_pool_client(void *args);

/* What byte `pos` of a blk_server file reads as. */
static inline uint8_t blk_pattern(uint64_t pos)
{
    return (uint8_t)(pos * 7u + (pos >> 8) + 3u);
}

struct iou;

/* A server's start: creates scheme `name` (its socket fd is returned, or -1)
 * and attaches `ring` (entries deep) as the scheme's kernel -> userspace
 * ring. */
int64_t app_scheme_open(const char *name, uint32_t entries, struct iou *ring);

/* The table of apps by name, for the scenario loader. */
struct app_def {
    const char *name;
    int32_t (*main)(void *args);
    const char *const *keys;        /* accepted argument keys, NULL-terminated */
};
extern const struct app_def app_table[];

#endif /* IOSIM_APPS_H */
