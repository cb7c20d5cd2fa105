/*
 * uring.h - a process's side of io_uring instances (the userspace library,
 * like Redox's redox-iou or Linux's liburing).
 *
 * Sets an instance up through the `io_uring:` scheme (open, create-info,
 * fmap of the four regions), attaches it in one of the three modes, and
 * wraps the ring handles of the caller's role:
 *
 *     struct iou u;
 *     iou_create(&u, 64, 64, URING_ENTRIES_64);
 *     iou_attach_kernel(&u);                         we are the consumer
 *     iou_submit(&u, &(struct ring_sqe64){ .opcode = RING_OP_NOP, .user_data = 1 });
 *     iou_enter(&u, 1, PORT_WAIT_FOREVER);           the kernel takes it and completes it
 *     struct ring_cqe64 cqe; iou_reap(&u, &cqe);
 *     iou_close(&u);
 *
 * A server attaches its scheme's ring (iou_attach_scheme) or accepts a
 * secondary ring a client offered (iou_accept_peer) and is then the
 * producer: iou_next_request / iou_reply.
 *
 * Entries are always given and returned in the 64-bit layouts; a 32-bit
 * instance converts (and truncates) at the edge.
 *
 * Ownership: struct iou is caller storage; the regions are the kernel's and
 * stay valid while the instance's fd is open. One thread or process per
 * struct iou.
 */
#ifndef IOSIM_URING_H
#define IOSIM_URING_H

#include <stdint.h>

#include "impl/kernel/uring_abi.h"
#include "impl/port/err.h"
#include "impl/ring/ring.h"

enum iou_role { IOU_NONE, IOU_CONSUMER, IOU_PRODUCER };

struct iou {
    int64_t fd;                 /* the fd everything goes through (the attached one once attached) */
    int64_t setup_fd;           /* the fd of the open, -1 once closed */
    struct uring_create_info ci;
    struct ring_header *sq_hdr, *cq_hdr;
    void *sq_ents, *cq_ents;
    enum iou_role role;
    struct ring_pusher push;    /* consumer: SQ; producer: CQ */
    struct ring_popper pop;     /* consumer: CQ; producer: SQ */
};

/* open + create-info + fmap. entry_bits: URING_ENTRIES_64 or _32. */
enum iosim_err iou_create(struct iou *u, uint32_t sq_entries, uint32_t cq_entries,
                          uint32_t entry_bits);

/* userspace -> kernel: we are the consumer, the kernel serves. */
enum iosim_err iou_attach_kernel(struct iou *u);

/* kernel -> userspace: we serve our scheme `name` over this instance. */
enum iosim_err iou_attach_scheme(struct iou *u, const char *name);

/* userspace -> userspace with the server of scheme `name`, set up by a
 * blocking system call (the ring-driven way is a RING_OP_DUP SQE on a
 * kernel ring, see iou_prep_peer). We are the consumer. */
enum iosim_err iou_attach_peer(struct iou *u, const char *name);

/* The server's side of a secondary ring a client offered: `fd` came in a
 * RING_OP_DUP request with URING_DUP_NEW_RING. We are the producer. */
enum iosim_err iou_accept_peer(struct iou *u, int64_t fd, uint32_t sq_entries,
                               uint32_t cq_entries, uint32_t entry_bits);

/* For the consumer of an attached-to-kernel ring that wants a secondary
 * ring: after iou_create(secondary), an SQE that asks the kernel to attach
 * `secondary` to scheme `name`'s server. `path` must be memory the kernel may
 * read (e.g. a DMA buffer) and stay valid until the CQE comes back; its CQE
 * status is the secondary's attached fd. */
void iou_prep_peer(struct ring_sqe64 *sqe, const struct iou *secondary, char *path,
                   const char *name, uint64_t user_data);

/* Adopts the attached fd a ring-driven peer attach returned. */
enum iosim_err iou_adopt_peer(struct iou *u, int64_t attached_fd);

/* consumer */
enum iosim_err iou_submit(struct iou *u, const struct ring_sqe64 *sqe);
enum iosim_err iou_reap(struct iou *u, struct ring_cqe64 *cqe);
/* iou_submit that, while the SQ is full, enters to wait for a completion
 * (which frees an entry). Any other error is returned. */
enum iosim_err iou_submit_wait(struct iou *u, const struct ring_sqe64 *sqe);

/* producer */
enum iosim_err iou_next_request(struct iou *u, struct ring_sqe64 *sqe);
enum iosim_err iou_reply(struct iou *u, uint64_t user_data, int64_t status, uint64_t extra);
/* iou_reply that, while the CQ is full, enters (for up to poll_ns each
 * time) so the consumer can take answers. Any other error is returned. */
enum iosim_err iou_reply_wait(struct iou *u, uint64_t user_data, int64_t status, uint64_t extra,
                              uint64_t poll_ns);

/* Let the kernel do its part and wait for at least min entries for us
 * (CQEs for a consumer, SQEs for a producer). Returns how many, or -errno. */
int64_t iou_enter(struct iou *u, uint64_t min, uint64_t timeout_ns);

/* Closes the instance's fds (the kernel shuts the opposite ring down). */
void iou_close(struct iou *u);

#endif /* IOSIM_URING_H */
