/*
 * disk_client.h - a process's side of `disk:` (disk_scheme.h): the
 * secondary ring to the server (impl/uring/peer.h), one LUN opened on it,
 * and, when asked, the server's DMA window for zero-copy buffers.
 *
 *     struct disk_client c;
 *     disk_client_open(&c, "disk", 0, 10 * 1000 * 1000);  wait up to 10 ms for it
 *     struct disk_scheme_info info;
 *     disk_client_info(&c, &info);
 *     void *win;
 *     disk_client_window(&c, 1 << 20, &win);      buffers carved from it move without a copy
 *     uint64_t tag;
 *     disk_client_push(&c, RING_OP_READ, offset, buf, len, &tag);   ... more ...
 *     disk_client_notify(&c);                     one wake of the server for the lot
 *     disk_client_wait_any(&c, &tag, &status);    bytes moved, or -errno
 *     disk_client_close(&c);
 *
 * open retries while the scheme is not there yet (ENOENT), sleeping 1 ms
 * of the port's time between tries, so a workload started with its server
 * can wait for it to come up; after wait_ns it gives up with the last
 * error. Buffers for push may be anywhere the process may hand over (the
 * server copies them once) or in the window (no copy). At most
 * DISK_CLIENT_SLOTS requests in flight.
 *
 * Ownership: caller storage plus one small DMA buffer, freed by close. The
 * window is the server's memory: valid until the client closes (or the
 * server goes). One process per struct disk_client.
 */
#ifndef IOSIM_DISK_CLIENT_H
#define IOSIM_DISK_CLIENT_H

#include <stdint.h>

#include "impl/disk/disk_scheme.h"
#include "impl/port/dma.h"
#include "impl/port/err.h"
#include "impl/uring/peer.h"

#define DISK_CLIENT_SLOTS 64u             /* = DISK_SCHEME_INFLIGHT_MAX, IOU_PEER_SLOTS_MAX */
#define DISK_CLIENT_RETRY_NS 1000000u     /* between tries of open */

_Static_assert(DISK_CLIENT_SLOTS <= IOU_PEER_SLOTS_MAX &&
                   DISK_CLIENT_SLOTS <= DISK_SCHEME_INFLIGHT_MAX,
               "the ring holds what the server takes at once");

struct disk_client_buf {                  /* in the DMA buffer: what the server reads and writes */
    char lun[8];
    char peer[IOU_PEER_PATH_BYTES];
    struct disk_scheme_info info;
};

struct disk_client {
    struct iou_peer peer;
    struct port_dma mem;
    struct disk_client_buf *buf;
    int64_t handle;                       /* the LUN's, -1 when not open */
    void *window;                         /* NULL until disk_client_window */
    uint64_t window_addr, window_len;     /* its user address and size */
};

/* Sets up the rings to scheme `scheme` and opens unit `lun`; tries again
 * every DISK_CLIENT_RETRY_NS while the scheme does not exist, for up to
 * wait_ns. On error everything is undone. */
enum iosim_err disk_client_open(struct disk_client *c, const char *scheme, uint32_t lun,
                                uint64_t wait_ns);
void disk_client_close(struct disk_client *c);

enum iosim_err disk_client_info(struct disk_client *c, struct disk_scheme_info *out);
/* Asks for a window of `len` bytes of the server's DMA memory; *host is it. */
enum iosim_err disk_client_window(struct disk_client *c, uint64_t len, void **host);

/* RING_OP_READ / RING_OP_WRITE of `len` bytes at byte `offset` of the LUN
 * into / from `buf`, or RING_OP_FSYNC (offset, buf, len ignored). Pushed,
 * not yet notified. */
enum iosim_err disk_client_push(struct disk_client *c, uint8_t opcode, uint64_t offset,
                                const void *buf, uint32_t len, uint64_t *tag);
enum iosim_err disk_client_notify(struct disk_client *c);
/* The next answer (the oldest kept first): its tag and status. */
enum iosim_err disk_client_wait_any(struct disk_client *c, uint64_t *tag, int64_t *status);
/* An answer that is already there, or IOSIM_EAGAIN. */
enum iosim_err disk_client_poll(struct disk_client *c, uint64_t *tag, int64_t *status);

#endif /* IOSIM_DISK_CLIENT_H */
