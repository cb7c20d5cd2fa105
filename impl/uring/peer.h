/*
 * peer.h - a client's secondary ring to a scheme server (the seed's
 * driver <-> daemon path: a driver to pcid over `pci:`, a class driver to
 * xhcid over `usb:`).
 *
 * The client offers a userspace -> userspace ring to scheme `name` through
 * its own kernel ring (iou_prep_peer); the kernel tells the server which
 * process offers it. Requests then go straight onto the secondary ring;
 * a NOP with URING_SQE_NOTIFY_PEER through the kernel ring wakes the
 * server (which sleeps on its scheme's ring), so the client blocks only
 * itself. Answers are matched by tag, in whatever order they come:
 *
 *     struct iou_peer p;
 *     iou_peer_open(&p, "usb", path, 16);     path: 48 bytes of DMA memory
 *     uint64_t tag;
 *     iou_peer_push(&p, &sqe, &tag);          ... more ...
 *     iou_peer_notify(&p);                    one wake for the lot
 *     iou_peer_wait(&p, tag, &status, &extra);
 *     iou_peer_close(&p);
 *
 * Errors: EPROTO for an answer to a question never asked or more answers
 * than questions; ESHUTDOWN when a ring went down.
 *
 * Ownership: caller storage; `path` is borrowed during open only. One
 * process per struct iou_peer.
 */
#ifndef IOSIM_URING_PEER_H
#define IOSIM_URING_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "impl/uring/uring.h"

#define IOU_PEER_SLOTS_MAX 64u
#define IOU_PEER_PATH_BYTES 48u

struct iou_peer_answer {
    uint64_t tag;
    int64_t status;
    uint64_t extra;
    bool done;
};

struct iou_peer {
    struct iou k;                 /* ours to the kernel */
    struct iou ring;              /* the secondary ring to the server */
    uint64_t next_tag;
    uint32_t slots;               /* the secondary ring's depth */
    struct iou_peer_answer answers[IOU_PEER_SLOTS_MAX]; /* arrived, not yet waited for */
};

/* Both rings, the secondary `slots` (<= IOU_PEER_SLOTS_MAX) deep and
 * attached to scheme `name`. `path`: IOU_PEER_PATH_BYTES of memory the
 * kernel may read (DMA memory). */
enum iosim_err iou_peer_open(struct iou_peer *p, const char *name, char *path, uint32_t slots);
void iou_peer_close(struct iou_peer *p);

/* Puts an SQE on the secondary ring (user_data becomes the tag; while the
 * ring is full it enters to let answers out). No wake-up: iou_peer_notify. */
enum iosim_err iou_peer_push(struct iou_peer *p, struct ring_sqe64 *sqe, uint64_t *tag);
enum iosim_err iou_peer_notify(struct iou_peer *p);
/* push + notify. */
enum iosim_err iou_peer_submit(struct iou_peer *p, struct ring_sqe64 *sqe, uint64_t *tag);
/* Waits for tag's answer. */
enum iosim_err iou_peer_wait(struct iou_peer *p, uint64_t tag, int64_t *status, uint64_t *extra);
/* Waits for any answer (the oldest kept one first). */
enum iosim_err iou_peer_wait_any(struct iou_peer *p, uint64_t *tag, int64_t *status,
                                 uint64_t *extra);
/* An answer that is already there (the oldest kept one first), without
 * waiting: IOSIM_EAGAIN when none is. */
enum iosim_err iou_peer_poll(struct iou_peer *p, uint64_t *tag, int64_t *status, uint64_t *extra);
/* One request, its answer; the status as enum iosim_err. */
enum iosim_err iou_peer_call(struct iou_peer *p, struct ring_sqe64 sqe, int64_t *status,
                             uint64_t *extra);

#endif /* IOSIM_URING_PEER_H */
