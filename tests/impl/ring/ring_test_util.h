/* Shared set-up for the native ring tests: a ring in ordinary memory. */
#ifndef IOSIM_TEST_RING_UTIL_H
#define IOSIM_TEST_RING_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "impl/ring/ring.h"

struct test_ring {
    struct ring_header *hdr;
    void *entries;
    uint32_t count;
    enum ring_entry_kind kind;
    struct ring_pusher tx;
    struct ring_popper rx;
};

static inline int test_ring_open(struct test_ring *t, uint32_t count, enum ring_entry_kind kind)
{
    memset(t, 0, sizeof *t);
    t->count = count;
    t->kind = kind;
    t->hdr = aligned_alloc(RING_HEADER_BYTES, RING_HEADER_BYTES);
    size_t bytes = (size_t)count * ring_entry_size(kind);
    t->entries = aligned_alloc(64, bytes < 64 ? 64 : (bytes + 63) / 64 * 64);
    if (t->hdr == NULL || t->entries == NULL)
        return -1;
    memset(t->hdr, 0xa5, RING_HEADER_BYTES); /* garbage before init */
    memset(t->entries, 0, bytes);
    if (ring_header_init(t->hdr, count) != IOSIM_OK)
        return -1;
    if (ring_pusher_attach(&t->tx, t->hdr, t->entries, count, kind) != IOSIM_OK)
        return -1;
    if (ring_popper_attach(&t->rx, t->hdr, t->entries, count, kind) != IOSIM_OK)
        return -1;
    return 0;
}

static inline void test_ring_close(struct test_ring *t)
{
    free(t->hdr);
    free(t->entries);
}

/* An SqEntry64 whose fields all derive from v. */
static inline struct ring_sqe64 test_sqe(uint64_t v)
{
    struct ring_sqe64 e;
    memset(&e, 0, sizeof e);
    e.opcode = (uint8_t)v;
    e.flags = (uint8_t)(v >> 8);
    e.priority = (uint16_t)v;
    e.syscall_flags = (uint32_t)v;
    e.fd = v;
    e.len = ~v;
    e.user_data = v * 3;
    e.addr = v ^ 0x5555;
    e.offset = v + 7;
    return e;
}

#endif
