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
 *   ring_fill     drives rings exactly to full and holds them there: as a
 *                 client, a userspace -> kernel ring whose CQ it stops
 *                 reaping (the kernel must never take an SQE whose
 *                 completion would not fit); as a server, its scheme's
 *                 kernel -> userspace ring, SQ and CQ each filled exactly.
 *   pcid          the PCI daemon (impl/drivers/pcid/pcid.h): enumerates,
 *                 assigns, starts drivers, serves `pci:`.
 *   pcitest       the generic PCI device's driver, started by pcid.
 *   xhcid         the xHCI driver, started by pcid: brings the controller up,
 *                 enumerates and configures what is plugged into its ports,
 *                 starts class drivers and serves them `usb:`.
 *   usbzero       gadget zero's class driver, started by xhcid: streams its
 *                 bulk IN (and OUT) through usb:, checking every byte.
 *   usbscsid      the mass-storage class driver, started by xhcid: SCSI over
 *                 Bulk-Only Transport through usb:, its units served as disk:.
 *   ramdisk       serves disk: (impl/disk/disk_scheme.h) from sparse memory:
 *                 the reference server of the contract usbscsid serves.
 *   fio           the disk workload: an fio job (fio_job.h) against a disk:
 *                 unit, reported in the trace tables fio_io and fio_result.
 *   diskprobe     a hostile client of disk: checking that a server answers
 *                 every bad request as the contract says, then still works.
 *
 * Arguments are (key, integer or string) pairs; each app documents its keys.
 * The argument struct is borrowed for the app's lifetime.
 */
#ifndef IOSIM_APPS_H
#define IOSIM_APPS_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"

#define APP_ARGS_MAX 16u

struct app_args {
    uint32_t count;
    const char *key[APP_ARGS_MAX];
    int64_t num[APP_ARGS_MAX];
    const char *str[APP_ARGS_MAX];   /* NULL for numbers */
};

int64_t app_arg_int(const struct app_args *a, const char *key, int64_t fallback);
const char *app_arg_str(const struct app_args *a, const char *key, const char *fallback);

/* Arguments as a command line carries them (port_sys_spawn, pcid's driver
 * table): "key=value key=value", separated by blanks; a value that is a
 * whole decimal or 0x-hex integer (optionally negative) is a number, any
 * other a string (without blanks). The store owns the strings. */
#define APP_ARGS_TEXT_MAX 512u
struct app_args_store {
    struct app_args args;
    char text[APP_ARGS_TEXT_MAX];
};
/* IOSIM_OK, or EINVAL (a token without '=' or with an empty key, more than
 * APP_ARGS_MAX pairs, a duplicate key) / EMSGSIZE (text too long). */
enum iosim_err app_args_parse(const char *text, struct app_args_store *out);

/* Process entry points (struct app_args * as arg). */
int32_t app_echo_server(void *args);
int32_t app_echo_client(void *args);
int32_t app_blk_server(void *args);
int32_t app_pool_client(void *args);
int32_t app_ring_fill(void *args);
int32_t app_pcid(void *args);      /* impl/drivers/pcid/pcid_main.c */
int32_t app_pcitest(void *args);   /* impl/drivers/pcitest/pcitest.c */
int32_t app_xhcid(void *args);     /* impl/drivers/xhcid/xhcid.c */
int32_t app_usbzero(void *args);   /* impl/drivers/usbzero/usbzero.c */
int32_t app_usbscsid(void *args);  /* impl/drivers/usbscsid/usbscsid.c */
int32_t app_ramdisk(void *args);   /* impl/apps/ramdisk.c */
int32_t app_fio(void *args);       /* impl/apps/fio.c */
int32_t app_diskprobe(void *args); /* impl/apps/diskprobe.c */

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

/* What an app's argument check found wrong: which argument, where in its
 * text (1-based; 0 when the whole value is wrong) and why. */
struct app_arg_problem {
    uint32_t arg;                   /* index into app_args */
    uint32_t line, col;
    char msg[128];
};

/* The table of apps by name, for the scenario loader. */
struct app_def {
    const char *name;
    int32_t (*main)(void *args);
    const char *const *keys;        /* accepted argument keys, NULL-terminated */
    /* NULL, or a check of the arguments' values before anything runs (a
     * scenario refuses a bad driver table at load time): false and *p
     * filled when one is wrong. */
    bool (*check)(const struct app_args *a, struct app_arg_problem *p);
};
extern const struct app_def app_table[];

/* pcid's check: its driver table parses. */
bool app_pcid_check(const struct app_args *a, struct app_arg_problem *p);
/* xhcid's check: its class-driver table parses. */
bool app_xhcid_check(const struct app_args *a, struct app_arg_problem *p);

/* fio's check: every job key parses (fio_job_set), iodepth fits disk:. */
bool app_fio_check(const struct app_args *a, struct app_arg_problem *p);

/* The app called `name`, or NULL. */
const struct app_def *app_find(const char *name);

/* Does `app` take every key of `a`? NULL when it does, else the first key
 * it does not take. */
const char *app_args_unknown_key(const struct app_def *app, const struct app_args *a);

#endif /* IOSIM_APPS_H */
