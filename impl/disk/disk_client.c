/* A process's side of disk:; see disk_client.h. */
#include "impl/disk/disk_client.h"

#include <string.h>

#include "impl/port/check.h"
#include "impl/port/port.h"
#include "impl/util/strbuf.h"

/* The rings to the scheme, tried until it exists or wait_ns have passed. */
static enum iosim_err attach_rings(struct disk_client *c, const char *scheme, uint64_t wait_ns)
{
    ASSERT(c->buf != NULL); /* the shared page the rings live in */
    ASSERT(scheme != NULL);
    uint64_t start = port_clock_ns();
    for (;;) {
        enum iosim_err e = iou_peer_open(&c->peer, scheme, c->buf->peer, DISK_CLIENT_SLOTS);
        if (e == IOSIM_OK)
            return IOSIM_OK;
        iou_peer_close(&c->peer);
        /* only a scheme that is not there yet is worth waiting for */
        if (e != IOSIM_ENOENT || port_clock_ns() - start >= wait_ns)
            return e;
        port_sleep_ns(DISK_CLIENT_RETRY_NS);
    }
}

static enum iosim_err open_lun(struct disk_client *c, uint32_t lun)
{
    char text[sizeof c->buf->lun];
    struct strbuf sb;
    strbuf_init(&sb, text, sizeof text);
    strbuf_dec(&sb, lun);
    ASSERT(!sb.truncated && sb.len > 0); /* a uint32_t's digits fit */
    ASSERT(c->handle < 0); /* opened once */
    port_shm_write(c->buf->lun, text, sb.len);
    int64_t h = -1;
    enum iosim_err e = iou_peer_call(&c->peer, (struct ring_sqe64){
                                         .opcode = RING_OP_OPEN,
                                         .addr = port_user_addr(c->buf->lun), .len = sb.len},
                                     &h, NULL);
    if (e == IOSIM_OK && h < 0)
        e = IOSIM_EPROTO;
    if (e == IOSIM_OK)
        c->handle = h;
    ASSERT(e != IOSIM_OK || c->handle >= 0);
    return e;
}

enum iosim_err disk_client_open(struct disk_client *c, const char *scheme, uint32_t lun,
                                uint64_t wait_ns)
{
    ASSERT(c != NULL);
    memset(c, 0, sizeof *c);
    c->handle = -1;
    if (scheme == NULL || strlen(scheme) >= DISK_SCHEME_NAME_BYTES)
        return IOSIM_EINVAL;
    enum iosim_err e = port_dma_alloc(sizeof *c->buf, 0, &c->mem);
    if (e != IOSIM_OK)
        return e;
    c->buf = c->mem.host;
    e = attach_rings(c, scheme, wait_ns);
    if (e == IOSIM_OK)
        e = open_lun(c, lun);
    if (e != IOSIM_OK)
        disk_client_close(c);
    ASSERT(e != IOSIM_OK || (c->buf != NULL && c->handle >= 0));
    ASSERT(e == IOSIM_OK || c->buf == NULL);
    return e;
}

void disk_client_close(struct disk_client *c)
{
    ASSERT(c != NULL);
    if (c->handle >= 0)
        (void)iou_peer_call(&c->peer, (struct ring_sqe64){.opcode = RING_OP_CLOSE,
                                                          .fd = (uint64_t)c->handle},
                            NULL, NULL);
    iou_peer_close(&c->peer);
    port_dma_free(&c->mem);
    c->buf = NULL;
    c->handle = -1;
    c->window = NULL;
}

enum iosim_err disk_client_info(struct disk_client *c, struct disk_scheme_info *out)
{
    ASSERT(c != NULL);
    ASSERT(out != NULL);
    ASSERT(c->buf != NULL && c->handle >= 0); /* an open client */
    int64_t st = 0;
    enum iosim_err e = iou_peer_call(&c->peer, (struct ring_sqe64){
                                         .opcode = RING_OP_READ, .fd = (uint64_t)c->handle,
                                         .offset = DISK_SCHEME_INFO,
                                         .addr = port_user_addr(&c->buf->info),
                                         .len = sizeof *out},
                                     &st, NULL);
    if (e == IOSIM_OK && st != (int64_t)sizeof *out)
        e = IOSIM_EPROTO;
    if (e == IOSIM_OK)
        port_shm_read(out, &c->buf->info, sizeof *out);
    return e;
}

enum iosim_err disk_client_window(struct disk_client *c, uint64_t len, void **host)
{
    ASSERT(c != NULL);
    ASSERT(host != NULL);
    ASSERT(c->buf != NULL);
    int64_t st;
    uint64_t addr;
    /* fd 0: the window is the client's (its ring's), not a unit's */
    enum iosim_err e = iou_peer_call(&c->peer, (struct ring_sqe64){.opcode = RING_OP_FMAP,
                                                                   .fd = 0, .len = len},
                                     &st, &addr);
    if (e != IOSIM_OK)
        return e;
    void *p = (uint64_t)st == len ? port_user_ptr(addr, (size_t)len) : NULL;
    if (p == NULL)
        return IOSIM_EPROTO; /* the server said a size or place we cannot use */
    c->window = *host = p;
    c->window_addr = addr;
    c->window_len = len;
    ASSERT(c->window != NULL && c->window_len == len);
    return IOSIM_OK;
}

enum iosim_err disk_client_push(struct disk_client *c, uint8_t opcode, uint64_t offset,
                                const void *buf, uint32_t len, uint64_t *tag)
{
    ASSERT(c != NULL);
    ASSERT(tag != NULL);
    ASSERT(c->handle >= 0);
    struct ring_sqe64 q = {.opcode = opcode, .fd = (uint64_t)c->handle};
    if (opcode != RING_OP_FSYNC) {
        q.offset = offset;
        q.addr = port_user_addr(buf);
        q.len = len;
    }
    return iou_peer_push(&c->peer, &q, tag);
}

enum iosim_err disk_client_notify(struct disk_client *c)
{
    ASSERT(c != NULL && c->buf != NULL);
    return iou_peer_notify(&c->peer);
}

enum iosim_err disk_client_wait_any(struct disk_client *c, uint64_t *tag, int64_t *status)
{
    ASSERT(c != NULL && c->buf != NULL);
    ASSERT(tag != NULL && status != NULL);
    uint64_t extra;
    return iou_peer_wait_any(&c->peer, tag, status, &extra);
}

enum iosim_err disk_client_poll(struct disk_client *c, uint64_t *tag, int64_t *status)
{
    ASSERT(c != NULL && c->buf != NULL);
    ASSERT(tag != NULL && status != NULL);
    uint64_t extra;
    return iou_peer_poll(&c->peer, tag, status, &extra);
}
