/* A class driver's side of usb:; see usb_client.h. */
#include "impl/drivers/xhcid/usb_client.h"

#include <string.h>

#include "impl/port/port.h"

enum iosim_err usb_client_open(struct usb_client *c, const char *path)
{
    memset(c, 0, sizeof *c);
    c->handle = -1;
    if (path == NULL || strlen(path) >= sizeof c->buf->path)
        return IOSIM_EINVAL;
    enum iosim_err e = port_dma_alloc(sizeof *c->buf, 0, &c->mem);
    if (e != IOSIM_OK)
        return e;
    c->buf = c->mem.host;
    e = iou_peer_open(&c->peer, USB_SCHEME_NAME, c->buf->peer, USB_CLIENT_SLOTS);
    size_t len = strlen(path);
    port_shm_write(c->buf->path, path, len);
    int64_t h = -1;
    if (e == IOSIM_OK)
        e = iou_peer_call(&c->peer, (struct ring_sqe64){.opcode = RING_OP_OPEN,
                                                        .addr = port_user_addr(c->buf->path),
                                                        .len = len},
                          &h, NULL);
    if (e == IOSIM_OK)
        c->handle = h;
    else
        usb_client_close(c);
    return e;
}

void usb_client_close(struct usb_client *c)
{
    if (c->handle >= 0)
        (void)iou_peer_call(&c->peer, (struct ring_sqe64){.opcode = RING_OP_CLOSE,
                                                          .fd = (uint64_t)c->handle},
                            NULL, NULL);
    iou_peer_close(&c->peer);
    port_dma_free(&c->mem);
    c->buf = NULL;
    c->handle = -1;
}

enum iosim_err usb_client_info(struct usb_client *c, struct usb_scheme_info *out)
{
    enum iosim_err e = iou_peer_call(&c->peer, (struct ring_sqe64){
                                         .opcode = RING_OP_READ, .fd = (uint64_t)c->handle,
                                         .offset = USB_SCHEME_INFO,
                                         .addr = port_user_addr(&c->buf->info),
                                         .len = sizeof *out},
                                     NULL, NULL);
    if (e == IOSIM_OK)
        port_shm_read(out, &c->buf->info, sizeof *out);
    return e;
}

enum iosim_err usb_client_window(struct usb_client *c, uint64_t len, void **host)
{
    int64_t st;
    uint64_t addr;
    enum iosim_err e = iou_peer_call(&c->peer, (struct ring_sqe64){.opcode = RING_OP_FMAP,
                                                                   .fd = (uint64_t)c->handle,
                                                                   .len = len},
                                     &st, &addr);
    if (e != IOSIM_OK)
        return e;
    void *p = (uint64_t)st == len ? port_user_ptr(addr, (size_t)len) : NULL;
    if (p == NULL)
        return IOSIM_EPROTO;
    c->window = *host = p;
    c->window_addr = addr;
    c->window_len = len;
    return IOSIM_OK;
}

enum iosim_err usb_client_push(struct usb_client *c, uint8_t opcode, uint8_t ep, const void *buf,
                               uint32_t len, uint64_t *tag)
{
    struct ring_sqe64 q = {.opcode = opcode, .fd = (uint64_t)c->handle,
                           .offset = USB_SCHEME_EP + ep, .addr = port_user_addr(buf), .len = len};
    return iou_peer_push(&c->peer, &q, tag);
}

enum iosim_err usb_client_notify(struct usb_client *c)
{
    return iou_peer_notify(&c->peer);
}

enum iosim_err usb_client_wait_any(struct usb_client *c, uint64_t *tag, int64_t *status)
{
    uint64_t extra;
    return iou_peer_wait_any(&c->peer, tag, status, &extra);
}

enum iosim_err usb_client_reset(struct usb_client *c, uint8_t ep)
{
    return iou_peer_call(&c->peer, (struct ring_sqe64){.opcode = RING_OP_WRITE,
                                                       .fd = (uint64_t)c->handle,
                                                       .offset = USB_SCHEME_RESET + ep},
                         NULL, NULL);
}

enum iosim_err usb_client_poll(struct usb_client *c, uint64_t *tag, int64_t *status)
{
    uint64_t extra;
    return iou_peer_poll(&c->peer, tag, status, &extra);
}

enum iosim_err usb_client_control(struct usb_client *c, const struct usb_scheme_control *ctl,
                                  uint16_t length, int64_t *status)
{
    struct ring_sqe64 q = {.opcode = RING_OP_WRITE, .fd = (uint64_t)c->handle,
                           .offset = USB_SCHEME_CONTROL, .addr = port_user_addr(ctl),
                           .len = sizeof *ctl + length};
    return iou_peer_call(&c->peer, q, status, NULL);
}
