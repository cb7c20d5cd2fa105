/*
 * blk_server: a slow block-device daemon. Serves a scheme (default "blk")
 * whose files read as a fixed pattern: byte i of a read at `offset` is
 * blk_pattern(offset + i). Each read holds its request for `delay` (ns,
 * default 50000) before answering, the way a device holds a buffer while
 * the transfer is in flight, so a scenario can kill it with requests
 * outstanding. Arguments: scheme ("blk"), entries (ring size, 16), delay.
 * Runs until the kernel shuts its ring down.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/port/port.h"
#include "impl/uring/uring.h"

#define BLK_FILES 8u
#define BLK_READ_MAX 65536u

struct blk {
    struct iou ring;
    bool open[BLK_FILES];
    uint64_t delay_ns;
};

static int64_t err(enum iosim_err e)
{
    return -(int64_t)iosim_err_errno(e);
}

static int64_t blk_read(struct blk *s, const struct ring_sqe64 *q)
{
    if (q->fd >= BLK_FILES || !s->open[q->fd])
        return err(IOSIM_EBADF);
    if (q->len == 0 || q->len > BLK_READ_MAX)
        return err(IOSIM_EINVAL);
    void *user = port_user_ptr(q->addr, q->len); /* checked: the address came from a peer */
    if (user == NULL)
        return err(IOSIM_EFAULT);
    port_sleep_ns(s->delay_ns); /* the transfer */
    uint8_t chunk[256];
    for (uint64_t done = 0; done < q->len; done += sizeof chunk) {
        uint64_t n = q->len - done < sizeof chunk ? q->len - done : sizeof chunk;
        for (uint64_t i = 0; i < n; i++)
            chunk[i] = blk_pattern(q->offset + done + i);
        port_shm_write((uint8_t *)user + done, chunk, n);
    }
    return (int64_t)q->len;
}

static int64_t blk_handle(struct blk *s, const struct ring_sqe64 *q)
{
    switch (q->opcode) {
    case RING_OP_OPEN:
        for (uint32_t i = 0; i < BLK_FILES; i++) {
            if (!s->open[i]) {
                s->open[i] = true;
                return i;
            }
        }
        return err(IOSIM_ENOSPC);
    case RING_OP_READ: return blk_read(s, q);
    case RING_OP_CLOSE:
        if (q->fd >= BLK_FILES || !s->open[q->fd])
            return err(IOSIM_EBADF);
        s->open[q->fd] = false;
        return 0;
    default: return err(IOSIM_ENOSYS);
    }
}

int32_t app_blk_server(void *args)
{
    struct port_dma mem;
    if (port_dma_alloc(sizeof(struct blk), 0, &mem) != IOSIM_OK)
        return 2;
    struct blk *s = mem.host; /* zeroed; the process's memory, freed when it ends */
    const char *name = app_arg_str(args, "scheme", "blk");
    uint32_t entries = (uint32_t)app_arg_int(args, "entries", 16);
    s->delay_ns = (uint64_t)app_arg_int(args, "delay", 50000);
    int64_t sock = app_scheme_open(name, entries, &s->ring);
    if (sock < 0)
        return 2;
    for (;;) {
        int64_t n = iou_enter(&s->ring, 1, PORT_WAIT_FOREVER);
        if (n < 0)
            break;
        struct ring_sqe64 q;
        enum iosim_err e;
        while ((e = iou_next_request(&s->ring, &q)) == IOSIM_OK) {
            int64_t st = blk_handle(s, &q);
            (void)iou_reply_wait(&s->ring, q.user_data, st, 0, 5000);
            (void)iou_enter(&s->ring, 0, 0); /* hand the answer to the kernel now */
        }
        if (e != IOSIM_EAGAIN)
            break;
    }
    iou_close(&s->ring);
    (void)port_sys_close((uint64_t)sock);
    return 0;
}
