/*
 * usb_client.h - a class driver's side of `usb:` (usb_scheme.h): the
 * secondary ring to xhcid (impl/uring/peer.h), the interface it was
 * started for, and its DMA window.
 *
 *     struct usb_client c;
 *     usb_client_open(&c, app_arg_str(args, "usb", NULL));  "P.I", given by xhcid
 *     struct usb_scheme_info info;
 *     usb_client_info(&c, &info);
 *     void *win;
 *     usb_client_window(&c, 1 << 20, &win);          buffers are carved from it
 *     uint64_t tag;
 *     usb_client_push(&c, RING_OP_READ, 0x81, buf, len, &tag);   bulk IN, no copy
 *     usb_client_notify(&c);
 *     usb_client_wait_any(&c, &tag, &status);        bytes moved, or -errno
 *     usb_client_close(&c);
 *
 * Buffers passed to push must lie in the window (xhcid refuses others
 * with EFAULT); a buffer pool over the window (usb_client_pool) gives
 * slices that never cross 64 KiB when asked for no more than that.
 *
 * Ownership: caller storage plus one small DMA buffer, freed by close.
 * The window is xhcid's memory: it stays valid until the client closes.
 */
#ifndef IOSIM_USB_CLIENT_H
#define IOSIM_USB_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "impl/drivers/xhcid/usb_scheme.h"
#include "impl/port/dma.h"
#include "impl/port/err.h"
#include "impl/uring/peer.h"

#define USB_CLIENT_SLOTS 32u          /* requests in flight at once */

struct usb_client_buf {               /* in the DMA buffer: what xhcid reads and writes */
    char path[16];
    char peer[IOU_PEER_PATH_BYTES];
    struct usb_scheme_info info;
};

struct usb_client {
    struct iou_peer peer;
    struct port_dma mem;
    struct usb_client_buf *buf;
    int64_t handle;
    void *window;                     /* NULL until usb_client_window */
    uint64_t window_addr, window_len; /* its user address and size */
};

/* Sets up the rings and opens interface `path` ("P.I"). */
enum iosim_err usb_client_open(struct usb_client *c, const char *path);
void usb_client_close(struct usb_client *c);

enum iosim_err usb_client_info(struct usb_client *c, struct usb_scheme_info *out);
/* Asks xhcid for a DMA window of `len` bytes; *host is where it is. */
enum iosim_err usb_client_window(struct usb_client *c, uint64_t len, void **host);

/* A transfer on endpoint `ep` (RING_OP_READ for IN, RING_OP_WRITE for OUT)
 * of `len` bytes at `buf` (in the window). */
enum iosim_err usb_client_push(struct usb_client *c, uint8_t opcode, uint8_t ep, const void *buf,
                               uint32_t len, uint64_t *tag);
enum iosim_err usb_client_notify(struct usb_client *c);
enum iosim_err usb_client_wait_any(struct usb_client *c, uint64_t *tag, int64_t *status);
/* An answer that is already there, or IOSIM_EAGAIN. */
enum iosim_err usb_client_poll(struct usb_client *c, uint64_t *tag, int64_t *status);
/* Resets endpoint `ep` on both sides (its halt and data toggle): no
 * transfer of it may be in flight (EBUSY). */
enum iosim_err usb_client_reset(struct usb_client *c, uint8_t ep);
/* A control transfer: `ctl` (in the window, written with port_shm_write)
 * is the setup, its data stage of `length` bytes (ctl->length) follows it.
 * *status: the data stage's bytes. */
enum iosim_err usb_client_control(struct usb_client *c, const struct usb_scheme_control *ctl,
                                  uint16_t length, int64_t *status);

#endif /* IOSIM_USB_CLIENT_H */
