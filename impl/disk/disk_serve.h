/*
 * disk_serve.h - what every disk: server does the same way: take its
 * scheme's name. The servers (usbscsid, ramdisk) keep their own requests.
 *
 *     char name[DISK_SCHEME_NAME_BYTES];
 *     int64_t sock;
 *     struct iou ring;
 *     disk_serve_open(NULL, 16, &ring, name, &sock);   "disk", or "disk1", ...
 *
 * Ownership: the caller's; close the ring (iou_close) and the socket
 * (port_sys_close) when done.
 */
#ifndef IOSIM_DISK_SERVE_H
#define IOSIM_DISK_SERVE_H

#include <stdint.h>

#include "impl/disk/disk_scheme.h"
#include "impl/port/err.h"
#include "impl/uring/uring.h"

#define DISK_SERVE_NAMES_MAX 16u          /* "disk", "disk1" ... "disk15" */

/* Creates scheme `want` (EEXIST when taken), or with NULL the first free
 * of "disk", "disk1", ...; attaches `ring` (entries deep) as its kernel ->
 * userspace ring. EINVAL: a name too long. */
enum iosim_err disk_serve_open(const char *want, uint32_t entries, struct iou *ring,
                               char name[DISK_SCHEME_NAME_BYTES], int64_t *sock);

#endif /* IOSIM_DISK_SERVE_H */
