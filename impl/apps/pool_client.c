/*
 * pool_client: a driver-shaped client of a block scheme. Its buffers are
 * slices of a buffer pool over DMA memory (impl/bufpool); each read request
 * takes a guard on its slice for as long as it is in flight, the way a
 * driver lends a buffer to a device or a peer. A completion drops the guard
 * and the data is checked; a completion saying the peer is gone (negative
 * status: the server died with the request outstanding) means the guard
 * can never come back, so it is forfeited and the slice is leaked, never
 * reused. After that the client allocates `after` more slices and checks
 * that none overlaps a leaked one, and that the pool's accounting agrees.
 *
 * Arguments: scheme ("blk"), requests (16), window (reads in flight, 2),
 * len (bytes per read, 512), after (allocations once the peer is gone, 32).
 * Exit status 0 when everything held, 1 at the first wrong thing, 2 when
 * set-up failed.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/bufpool/bufpool.h"
#include "impl/port/port.h"
#include "impl/uring/uring.h"

#define PC_WINDOW_MAX 8u
#define PC_LEAKS_MAX 16u
#define PC_LEN_MAX 4096u

struct pc_slot {
    bool busy;
    struct bufpool_slice s;
    uint64_t offset;
};

struct pc {
    struct bufpool pool;
    struct iou ring;
    int64_t fd;
    uint32_t len;
    struct pc_slot slot[PC_WINDOW_MAX];
    struct bufpool_slice leaked[PC_LEAKS_MAX];
    uint32_t leaks;
    bool peer_gone;
};

static bool pattern_ok(const struct bufpool_slice *s, uint64_t offset)
{
    uint8_t buf[PC_LEN_MAX];
    port_shm_read(buf, s->host, s->len_bytes);
    for (uint32_t i = 0; i < s->len_bytes; i++)
        if (buf[i] != blk_pattern(offset + i))
            return false;
    return true;
}

/* One request and its answer, for set-up (the open). */
static int64_t call(struct pc *c, struct ring_sqe64 *q)
{
    q->user_data = UINT32_MAX;
    struct ring_cqe64 cqe;
    if (iou_submit(&c->ring, q) != IOSIM_OK || iou_enter(&c->ring, 1, PORT_WAIT_FOREVER) < 1 ||
        iou_reap(&c->ring, &cqe) != IOSIM_OK || cqe.user_data != UINT32_MAX)
        return -1;
    return (int64_t)cqe.status;
}

static bool submit_read(struct pc *c, uint32_t i, uint64_t offset)
{
    struct pc_slot *sl = &c->slot[i];
    if (bufpool_alloc(&c->pool, c->len, 512, &sl->s) != IOSIM_OK)
        return false;
    memset(sl->s.host, 0, c->len);
    /* the request holds a guard until its completion comes back */
    if (bufpool_guard(&c->pool, &sl->s) != IOSIM_OK)
        return false;
    struct ring_sqe64 q = {.opcode = RING_OP_READ, .fd = (uint64_t)c->fd,
                           .addr = port_user_addr(sl->s.host), .len = c->len, .offset = offset,
                           .user_data = i + 1};
    sl->busy = true;
    sl->offset = offset;
    (void)iou_submit_wait(&c->ring, &q);
    return true;
}

/* A completion: data checked and the slice back, or the peer gone and the
 * slice leaked. */
static bool complete(struct pc *c, const struct ring_cqe64 *cqe)
{
    if (cqe->user_data == 0 || cqe->user_data > PC_WINDOW_MAX || !c->slot[cqe->user_data - 1].busy)
        return false;
    struct pc_slot *sl = &c->slot[cqe->user_data - 1];
    int64_t st = (int64_t)cqe->status;
    sl->busy = false;
    if (st == (int64_t)c->len) {
        bool ok = bufpool_unguard(&c->pool, &sl->s) == IOSIM_OK && pattern_ok(&sl->s, sl->offset);
        return bufpool_free(&c->pool, &sl->s) == IOSIM_OK && ok;
    }
    if (st >= 0 || c->leaks == PC_LEAKS_MAX)
        return false;
    /* The peer died holding the buffer: its guard never comes back. */
    c->peer_gone = true;
    c->leaked[c->leaks++] = sl->s;
    return bufpool_forfeit(&c->pool, &sl->s) == IOSIM_OK &&
           bufpool_free(&c->pool, &sl->s) == IOSIM_OK;
}

static bool overlaps_leak(const struct pc *c, const struct bufpool_slice *s)
{
    for (uint32_t i = 0; i < c->leaks; i++) {
        const struct bufpool_slice *l = &c->leaked[i];
        if (l->chunk == s->chunk && s->offset < l->offset + l->len_bytes &&
            l->offset < s->offset + s->len_bytes)
            return true;
    }
    return false;
}

static bool reads(struct pc *c, uint32_t requests, uint32_t window)
{
    uint32_t issued = 0, in_flight = 0;
    while ((issued < requests && !c->peer_gone) || in_flight > 0) {
        for (uint32_t i = 0; i < window && issued < requests && !c->peer_gone; i++) {
            if (c->slot[i].busy)
                continue;
            if (!submit_read(c, i, (uint64_t)issued * c->len))
                return false;
            issued++;
            in_flight++;
        }
        if (iou_enter(&c->ring, 1, PORT_WAIT_FOREVER) < 0)
            return false;
        struct ring_cqe64 cqe;
        while (iou_reap(&c->ring, &cqe) == IOSIM_OK) {
            if (!complete(c, &cqe))
                return false;
            in_flight--;
        }
    }
    return true;
}

static bool after_peer(struct pc *c, uint32_t after)
{
    for (uint32_t i = 0; i < after; i++) {
        struct bufpool_slice s;
        if (bufpool_alloc(&c->pool, c->len, 512, &s) != IOSIM_OK || overlaps_leak(c, &s) ||
            bufpool_free(&c->pool, &s) != IOSIM_OK)
            return false;
    }
    struct bufpool_stats st;
    bufpool_stats_get(&c->pool, &st);
    uint64_t occ = ((uint64_t)c->len + 63) / 64 * 64;
    return st.slices_leaked == c->leaks && st.bytes_leaked == c->leaks * occ;
}

static enum iosim_err setup(struct pc *c, const char *scheme)
{
    struct bufpool_opts o;
    bufpool_opts_default(&o);
    o.size_max = PC_LEN_MAX;
    o.boundary = 4096; /* page-bound hardware: no buffer crosses a page */
    o.slices_max = 64;
    o.chunks_max = 2;
    o.name = "pool_client";
    enum iosim_err e = bufpool_init(&c->pool, &o);
    uint32_t chunk;
    if (e == IOSIM_OK)
        e = bufpool_chunk_add_dma(&c->pool, 64u << 10, &chunk);
    if (e == IOSIM_OK)
        e = iou_create(&c->ring, 16, 16, URING_ENTRIES_64);
    if (e == IOSIM_OK)
        e = iou_attach_kernel(&c->ring);
    if (e != IOSIM_OK)
        return e;
    /* the path is memory the kernel reads: a slice too */
    struct bufpool_slice path;
    size_t n = strlen(scheme);
    if (n > 40 || bufpool_alloc(&c->pool, 64, 0, &path) != IOSIM_OK)
        return IOSIM_EINVAL;
    memcpy(path.host, scheme, n);
    memcpy((char *)path.host + n, ":disk", 6);
    struct ring_sqe64 q = {.opcode = RING_OP_OPEN, .addr = port_user_addr(path.host),
                           .len = n + 5};
    c->fd = call(c, &q);
    (void)bufpool_free(&c->pool, &path);
    return c->fd >= 0 ? IOSIM_OK : IOSIM_ENOENT;
}

int32_t app_pool_client(void *args)
{
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct pc), 0, &mem) != IOSIM_OK)
        return 2;
    struct pc *c = mem.host;
    c->len = (uint32_t)app_arg_int(args, "len", 512);
    uint32_t window = (uint32_t)app_arg_int(args, "window", 2);
    uint32_t requests = (uint32_t)app_arg_int(args, "requests", 16);
    uint32_t after = (uint32_t)app_arg_int(args, "after", 32);
    if (c->len == 0 || c->len > PC_LEN_MAX || window == 0 || window > PC_WINDOW_MAX)
        return 2;
    if (setup(c, app_arg_str(args, "scheme", "blk")) != IOSIM_OK)
        return 2;
    bool ok = reads(c, requests, window) && after_peer(c, after);
    iou_close(&c->ring);
    (void)bufpool_destroy(&c->pool); /* a chunk holding a leak stays mapped */
    return ok ? 0 : 1;
}
