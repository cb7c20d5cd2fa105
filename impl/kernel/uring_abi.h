/*
 * uring_abi.h - how a process talks to the kernel's `io_uring:` scheme.
 *
 * Shared by the kernel (impl/kernel) and the userspace library
 * (impl/uring). Facts from the Redox io_uring design (shared/reference/
 * redox-io_uring.md, "Instance life cycle and memory"), with this project's
 * numbers where the reference has none.
 *
 * Life cycle of an instance:
 *   open("io_uring:")                          -> fd, state Initial
 *   write(fd, &create_info, sizeof)            -> state Created (regions allocated)
 *   fmap(fd, URING_OFF_*, len)                 -> the four regions (Created or Attached)
 *   dup(fd, "kernel")                          -> Attached, userspace -> kernel
 *   dup(fd, "scheme:NAME")                     -> Attached, kernel -> userspace for the
 *                                                 caller's scheme NAME (one per scheme)
 *   dup(fd, "peer:NAME")                       -> Attached, userspace -> userspace with the
 *                                                 server of scheme NAME (a secondary ring
 *                                                 when sent through a userspace->kernel ring)
 *   enter(fd, min, timeout)                    -> process and wait (port_sys_enter)
 *   close(fd)                                  -> shuts the opposite ring down
 * Every other transition is refused (-EINVAL), e.g. writing a second
 * create-info, attaching twice, mapping before Created.
 *
 * Roles: the *consumer* of an instance pushes SQEs and pops CQEs; the
 * *producer* pops SQEs and pushes CQEs. dup(..., "kernel") makes the caller
 * the consumer and the kernel the producer; "scheme:" makes the caller the
 * producer and the kernel the consumer; "peer:" makes the caller the
 * consumer and the scheme's server the producer.
 */
#ifndef IOSIM_KERNEL_URING_ABI_H
#define IOSIM_KERNEL_URING_ABI_H

#include <stdint.h>

#include "impl/ring/ring_entries.h"

#define URING_SCHEME "io_uring:"
#define URING_ABI_VERSION 1u

/* fmap offsets of the four regions */
#define URING_OFF_SQ_HEADER 0x0ull
#define URING_OFF_SQ_ENTRIES 0x200000ull
#define URING_OFF_CQ_HEADER 0x80000000ull
#define URING_OFF_CQ_ENTRIES 0x80200000ull

/* Entry layouts of a ring pair. */
#define URING_ENTRIES_64 64u /* SqEntry64 / CqEntry64 */
#define URING_ENTRIES_32 32u /* SqEntry32 / CqEntry32 */

#define URING_ENTRIES_MAX 4096u

/* Written to a fresh instance to create its rings. Every byte defined. */
struct uring_create_info {
    uint32_t version;      /* URING_ABI_VERSION */
    uint32_t flags;        /* 0 */
    uint32_t sq_entries;   /* a power of two, 1..URING_ENTRIES_MAX */
    uint32_t cq_entries;   /* a power of two, 1..URING_ENTRIES_MAX */
    uint32_t entry_bits;   /* URING_ENTRIES_64 or URING_ENTRIES_32 */
    uint32_t reserved;     /* 0 */
};

_Static_assert(sizeof(struct uring_create_info) == 24, "create-info layout");

/* SQE flags */
#define URING_SQE_NOTIFY_PEER 0x1u /* RING_OP_NOP on a u->u instance fd: wake its peer */

/* Requests the kernel hands to a user scheme carry the scheme-local handle
 * in fd and the kernel's request id in user_data; the server answers with a
 * CQE of the same user_data. An OPEN carries the path (addr, len) and the
 * open flags (offset). A DUP whose syscall_flags have URING_DUP_NEW_RING is a
 * userspace->userspace ring a client wants: fd is then a new fd in the
 * server's own table for that instance (the server fmaps it; a non-negative
 * status accepts), len the SQ entries, offset the CQ entries | entry bits
 * << 32, and addr the pid of the process offering it, as the kernel knows
 * it (so a server can tell its clients apart; nothing on the ring itself
 * can be trusted for that). */
#define URING_DUP_NEW_RING 0x1u

#endif /* IOSIM_KERNEL_URING_ABI_H */
