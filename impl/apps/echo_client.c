/*
 * echo_client: rounds of open / write / read / close against an echo
 * server's scheme, checking every answer. Arguments: scheme ("echo"),
 * requests (rounds, 10), window (files in flight per round, 4), entries
 * (ring size, 16), mode ("ring", "sync" or "secondary"). Exit status 0 when
 * every completion was right, 1 at the first wrong one, 2 when set-up failed.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/port/port.h"
#include "impl/uring/uring.h"

#define WINDOW_MAX 8u
#define DATA_BYTES 48u

/* Client memory the kernel and the server may read: DMA memory. */
struct client_mem {
    char path[WINDOW_MAX][48];
    uint8_t out[WINDOW_MAX][DATA_BYTES];
    uint8_t in[WINDOW_MAX][DATA_BYTES];
    char peer[48];
};

struct client {
    struct client_mem *m;
    const char *scheme;
    uint32_t window;
    uint64_t next_tag;
    struct iou *notify_via;  /* secondary mode: the kernel ring that wakes the server */
    int64_t notify_fd;       /* ... about this secondary ring */
};

/* Wakes the secondary ring's server through the kernel ring (a NOP with
 * URING_SQE_NOTIFY_PEER): the way a secondary ring is woken. */
static bool notify_peer(struct client *c)
{
    struct ring_sqe64 q = {.opcode = RING_OP_NOP, .flags = URING_SQE_NOTIFY_PEER,
                           .fd = (uint64_t)c->notify_fd, .user_data = UINT32_MAX};
    struct ring_cqe64 cqe;
    if (iou_submit(c->notify_via, &q) != IOSIM_OK ||
        iou_enter(c->notify_via, 1, PORT_WAIT_FOREVER) < 1 ||
        iou_reap(c->notify_via, &cqe) != IOSIM_OK)
        return false;
    return cqe.user_data == UINT32_MAX && cqe.status == 0;
}

static void pattern(uint8_t *buf, uint32_t round, uint32_t slot)
{
    for (uint32_t i = 0; i < DATA_BYTES; i++)
        buf[i] = (uint8_t)(round * 31 + slot * 7 + i);
}

/* Submits one SQE per window slot, enters once, checks every CQE. */
static bool step(struct iou *u, struct client *c, struct ring_sqe64 *sqes, int64_t *want_min,
                 int64_t *got)
{
    uint64_t base = c->next_tag;
    for (uint32_t i = 0; i < c->window; i++) {
        sqes[i].user_data = base + i;
        (void)iou_submit_wait(u, &sqes[i]);
    }
    c->next_tag += c->window;
    if (c->notify_via != NULL && !notify_peer(c))
        return false;
    uint32_t seen = 0;
    for (uint32_t guard = 0; seen < c->window && guard < 1000000; guard++) {
        struct ring_cqe64 cqe;
        if (iou_reap(u, &cqe) != IOSIM_OK) {
            if (iou_enter(u, 1, PORT_WAIT_FOREVER) < 0)
                return false;
            continue;
        }
        if (cqe.user_data < base || cqe.user_data >= base + c->window)
            return false; /* an answer to something we did not ask now */
        uint32_t i = (uint32_t)(cqe.user_data - base);
        got[i] = (int64_t)cqe.status;
        if (got[i] < want_min[i])
            return false;
        seen++;
    }
    return seen == c->window;
}

static bool round_ring(struct iou *u, struct client *c, uint32_t r, bool direct)
{
    struct ring_sqe64 q[WINDOW_MAX];
    int64_t want[WINDOW_MAX], fd[WINDOW_MAX], n[WINDOW_MAX];
    for (uint32_t i = 0; i < c->window; i++) {
        int len = 0;
        if (!direct) { /* a kernel ring needs the scheme; a secondary ring is the scheme */
            len = (int)strlen(c->scheme);
            memcpy(c->m->path[i], c->scheme, (size_t)len);
            c->m->path[i][len++] = ':';
        }
        c->m->path[i][len++] = (char)('a' + i);
        c->m->path[i][len] = '\0';
        q[i] = (struct ring_sqe64){.opcode = RING_OP_OPEN, .addr = port_user_addr(c->m->path[i]),
                                   .len = (uint64_t)len};
        want[i] = 0;
    }
    if (!step(u, c, q, want, fd))
        return false;
    for (uint32_t i = 0; i < c->window; i++) {
        pattern(c->m->out[i], r, i);
        q[i] = (struct ring_sqe64){.opcode = RING_OP_WRITE, .fd = (uint64_t)fd[i],
                                   .addr = port_user_addr(c->m->out[i]), .len = DATA_BYTES};
        want[i] = DATA_BYTES;
    }
    if (!step(u, c, q, want, n))
        return false;
    for (uint32_t i = 0; i < c->window; i++) {
        memset(c->m->in[i], 0, DATA_BYTES);
        q[i] = (struct ring_sqe64){.opcode = RING_OP_READ, .fd = (uint64_t)fd[i],
                                   .addr = port_user_addr(c->m->in[i]), .len = DATA_BYTES};
    }
    if (!step(u, c, q, want, n))
        return false;
    for (uint32_t i = 0; i < c->window; i++) {
        uint8_t in[DATA_BYTES];
        port_shm_read(in, c->m->in[i], DATA_BYTES);
        if (memcmp(in, c->m->out[i], DATA_BYTES) != 0)
            return false;
        q[i] = (struct ring_sqe64){.opcode = RING_OP_CLOSE, .fd = (uint64_t)fd[i]};
        want[i] = 0;
    }
    return step(u, c, q, want, n);
}

static bool round_sync(struct client *c, uint32_t r)
{
    char path[48];
    /* the server reads and writes these: memory a process may hand over */
    uint8_t *out = c->m->out[0], *in = c->m->in[0];
    size_t len = strlen(c->scheme);
    memcpy(path, c->scheme, len);
    path[len] = ':';
    path[len + 1] = (char)('a' + r % 26);
    path[len + 2] = '\0';
    int64_t fd = port_sys_open(path, 0);
    if (fd < 0)
        return false;
    pattern(out, r, 0);
    if (port_sys_write((uint64_t)fd, out, DATA_BYTES) != DATA_BYTES)
        return false;
    memset(in, 0, DATA_BYTES);
    if (port_sys_read((uint64_t)fd, in, DATA_BYTES) != DATA_BYTES || memcmp(in, out, DATA_BYTES))
        return false;
    return port_sys_fsync((uint64_t)fd) == 0 && port_sys_close((uint64_t)fd) == 0;
}

/* A secondary ring to the server, set up through the kernel ring `k`. */
static bool open_secondary(struct iou *k, struct iou *sec, struct client *c, uint32_t entries)
{
    if (iou_create(sec, entries, entries, URING_ENTRIES_64) != IOSIM_OK)
        return false;
    struct ring_sqe64 q;
    iou_prep_peer(&q, sec, c->m->peer, c->scheme, 0);
    uint32_t w = c->window;
    c->window = 1;
    int64_t want = 0, fd = -1;
    bool ok = step(k, c, &q, &want, &fd);
    c->window = w;
    if (!ok || iou_adopt_peer(sec, fd) != IOSIM_OK)
        return false;
    c->notify_via = k;
    c->notify_fd = sec->fd;
    return true;
}

int32_t app_echo_client(void *args)
{
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct client_mem), 0, &mem) != IOSIM_OK)
        return 2;
    struct client c = {.m = mem.host, .scheme = app_arg_str(args, "scheme", "echo"),
                       .window = (uint32_t)app_arg_int(args, "window", 4), .next_tag = 1};
    if (c.window == 0 || c.window > WINDOW_MAX)
        return 2;
    uint32_t rounds = (uint32_t)app_arg_int(args, "requests", 10);
    uint32_t entries = (uint32_t)app_arg_int(args, "entries", 16);
    const char *mode = app_arg_str(args, "mode", "ring");
    if (strcmp(mode, "sync") == 0) {
        for (uint32_t r = 0; r < rounds; r++)
            if (!round_sync(&c, r))
                return 1;
        return 0;
    }
    struct iou k, sec;
    if (iou_create(&k, entries, entries, URING_ENTRIES_64) != IOSIM_OK ||
        iou_attach_kernel(&k) != IOSIM_OK)
        return 2;
    bool secondary = strcmp(mode, "secondary") == 0;
    if (secondary && !open_secondary(&k, &sec, &c, entries))
        return 1;
    for (uint32_t r = 0; r < rounds; r++)
        if (!round_ring(secondary ? &sec : &k, &c, r, secondary))
            return 1;
    if (secondary)
        iou_close(&sec);
    iou_close(&k);
    return 0;
}
