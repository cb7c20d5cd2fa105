/*
 * ring_entries.h - the entry formats of io_uring-style rings.
 *
 * Facts from the Redox io_uring design (reference: shared/reference/
 * redox-io_uring.md, "Entries"): four fixed layouts, every byte defined,
 * little-endian integers, no padding the compiler could leave undefined.
 * Redox calls them SqEntry64, CqEntry64, SqEntry32 and CqEntry32; here they
 * are struct ring_sqe64, ring_cqe64, ring_sqe32 and ring_cqe32. The 64-bit
 * forms carry 64-bit file descriptors, lengths and addresses; the 32-bit
 * forms halve the ring's memory for 32-bit address spaces.
 *
 * Reserved fields must be zero: the side writing an entry refuses to push
 * one with a reserved field set, and the side reading treats one as a broken
 * ring (a peer that writes garbage).
 *
 * Completion status follows the system-call convention: a non-negative
 * result, or a negated errno (iosim_err_errno) stored in two's complement.
 */
#ifndef IOSIM_RING_ENTRIES_H
#define IOSIM_RING_ENTRIES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Opcodes (the kernel dispatches on these; values are this project's). */
enum ring_op {
    RING_OP_NOP = 0,
    RING_OP_OPEN = 1,     /* addr: path, len: path length, offset: flags */
    RING_OP_CLOSE = 2,    /* fd */
    RING_OP_READ = 3,     /* fd, addr: buffer, len, offset */
    RING_OP_WRITE = 4,    /* fd, addr: buffer, len, offset */
    RING_OP_FSYNC = 5,    /* fd */
    RING_OP_FMAP = 6,     /* fd, offset, len; completion extra: address */
    RING_OP_FUNMAP = 7,   /* addr, len */
    RING_OP_DUP = 8,      /* fd, addr/len: suffix */
    RING_OP_COUNT
};

/* SqEntry64: 64 bytes, 64-byte aligned. */
struct ring_sqe64 {
    _Alignas(64) uint8_t opcode;
    uint8_t flags;
    uint16_t priority;
    uint32_t syscall_flags;
    uint64_t fd;
    uint64_t len;
    uint64_t user_data;
    uint64_t addr;
    uint64_t offset;
    uint64_t reserved[2];
};

/* CqEntry64: 32 bytes, 32-byte aligned. */
struct ring_cqe64 {
    _Alignas(32) uint64_t user_data;
    uint64_t status;
    uint64_t flags;
    uint64_t extra;
};

/* SqEntry32: 32 bytes. */
struct ring_sqe32 {
    _Alignas(32) uint8_t opcode;
    uint8_t flags;
    uint16_t priority;
    uint32_t syscall_flags;
    uint32_t fd;
    uint32_t len;
    uint32_t user_data;
    uint32_t addr;
    uint64_t offset;
};

/* CqEntry32: 16 bytes. */
struct ring_cqe32 {
    _Alignas(16) uint32_t user_data;
    uint32_t status;
    uint32_t flags;
    uint32_t extra;
};

_Static_assert(sizeof(struct ring_sqe64) == 64 && _Alignof(struct ring_sqe64) == 64, "SqEntry64");
_Static_assert(sizeof(struct ring_cqe64) == 32 && _Alignof(struct ring_cqe64) == 32, "CqEntry64");
_Static_assert(sizeof(struct ring_sqe32) == 32 && _Alignof(struct ring_sqe32) == 32, "SqEntry32");
_Static_assert(sizeof(struct ring_cqe32) == 16 && _Alignof(struct ring_cqe32) == 16, "CqEntry32");
_Static_assert(offsetof(struct ring_sqe64, fd) == 8 && offsetof(struct ring_sqe64, len) == 16 &&
                   offsetof(struct ring_sqe64, user_data) == 24 &&
                   offsetof(struct ring_sqe64, addr) == 32 &&
                   offsetof(struct ring_sqe64, offset) == 40 &&
                   offsetof(struct ring_sqe64, reserved) == 48,
               "SqEntry64 field order");
_Static_assert(offsetof(struct ring_sqe32, fd) == 8 && offsetof(struct ring_sqe32, len) == 12 &&
                   offsetof(struct ring_sqe32, user_data) == 16 &&
                   offsetof(struct ring_sqe32, addr) == 20 &&
                   offsetof(struct ring_sqe32, offset) == 24,
               "SqEntry32 field order");

/* Which layout a ring carries. */
enum ring_entry_kind {
    RING_SQE64,
    RING_CQE64,
    RING_SQE32,
    RING_CQE32,
};

static inline uint32_t ring_entry_size(enum ring_entry_kind k)
{
    return k == RING_SQE64 ? 64 : k == RING_CQE32 ? 16 : 32;
}

/* True when every reserved byte of an entry of kind k is zero. `entry`
 * need not be aligned (callers pass byte buffers). */
static inline int ring_entry_reserved_clear(enum ring_entry_kind k, const void *entry)
{
    if (k != RING_SQE64)
        return 1; /* only SqEntry64 has reserved fields */
    uint64_t r[2];
    memcpy(r, (const unsigned char *)entry + offsetof(struct ring_sqe64, reserved), sizeof r);
    return r[0] == 0 && r[1] == 0;
}

#endif /* IOSIM_RING_ENTRIES_H */
