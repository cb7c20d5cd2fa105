/*
 * usb_scheme.h - the `usb:` scheme xhcid serves, as a class driver speaks
 * it. Shared by xhcid (xhcid_serve.c) and the class drivers' library
 * (usb_client.h).
 *
 * A class driver reaches xhcid over a userspace -> userspace ring it offers
 * to scheme "usb" through its kernel ring (impl/uring/peer.h), as drivers
 * reach pcid over `pci:`. The kernel tells xhcid which process offers the
 * ring; xhcid binds the ring to that process. One ring per process; a
 * process may open several interfaces on it.
 *
 * Data buffers are zero-copy: a client asks xhcid for a DMA window (FMAP)
 * and gets its address; it carves its buffers out of it (a buffer pool
 * whose chunk is the window, 64 KiB boundary) and names them by address in
 * its requests. xhcid programs the controller with the window's bus
 * address plus the buffer's offset - no copy - after checking the whole
 * buffer lies inside that client's window. The window lives until the
 * client's ring goes; if transfers into it are still on the controller
 * then, xhcid stops their endpoints before it frees it.
 *
 * Requests are SqEntry64s; user_data comes back in the CQE; status is a
 * result or a negative errno.
 *
 *   OPEN   addr/len: "P.I" - root port P's device, interface I (decimal),
 *          the one xhcid started the client for -> a handle
 *   READ   fd, offset USB_SCHEME_LIST, addr, len: one struct
 *          usb_scheme_entry per interface of every configured device, in
 *          port order (as many as fit)  -> bytes written
 *   READ   fd, offset USB_SCHEME_INFO, addr, len >= sizeof(struct
 *          usb_scheme_info)         -> sizeof, the info in addr
 *   READ   fd, offset USB_SCHEME_DESC + (type << 8 | index): the device's
 *          descriptor as it gave it (type 1: device, 2: configuration 0)
 *                                   -> bytes copied (at most len)
 *   FMAP   fd 0, len: the window's size (<= USB_SCHEME_WINDOW_MAX); once a
 *          client                   -> len; CQE extra: its address
 *   READ / WRITE fd (an interface), offset USB_SCHEME_EP + endpoint
 *          address (0x81: EP1 IN), addr/len a buffer in the window (len
 *          <= USB_SCHEME_XFER_MAX; 0 allowed for OUT): a bulk or interrupt
 *          transfer, IN for READ, OUT for WRITE -> bytes moved
 *   WRITE  fd, offset USB_SCHEME_CONTROL, addr: struct usb_scheme_control
 *          in the window, its data stage following it -> data bytes moved.
 *          Standard requests that change the device's state
 *          (SET_ADDRESS, SET_CONFIGURATION, SET_INTERFACE) are xhcid's:
 *          -EACCES.
 *   WRITE  fd, offset USB_SCHEME_RESET + endpoint address, len 0: resets
 *          the endpoint on both sides (Configure Endpoint dropping and
 *          adding it: the host's toggle; CLEAR_FEATURE(ENDPOINT_HALT): the
 *          device's); none of its transfers may be in flight (EBUSY) -> 0
 *   READ   fd, offset USB_SCHEME_DETACH: completes (0) when the device is
 *          gone; a way to be told
 *   CLOSE  fd                       -> 0; its transfers end -ECANCELED
 *
 * Transfer errors: EPIPE (the endpoint stalled; xhcid has already reset
 * the host side and cleared the device's halt, so the next transfer runs),
 * EIO (transaction errors after USB_SCHEME_XACT_RETRIES retries, babble,
 * a data buffer error), ENODEV (the device went away: every request of it
 * ends so, once), ETIMEDOUT (USB_SCHEME_TIMEOUT_NS without an answer; the
 * endpoint is stopped and the transfer taken back), ECANCELED (closed).
 * Request errors: EBADF, EINVAL (sizes, offsets, an endpoint the interface
 * does not have, the wrong direction), EFAULT (a buffer outside the
 * window), EACCES, EBUSY (a second window, too many requests in flight),
 * ENOSYS (other opcodes).
 */
#ifndef IOSIM_USB_SCHEME_H
#define IOSIM_USB_SCHEME_H

#include <stdint.h>

#define USB_SCHEME_NAME "usb"

/* READ / WRITE offsets: what the request is about */
#define USB_SCHEME_EP 0x000ull                 /* + endpoint address */
#define USB_SCHEME_RESET 0x100ull              /* + endpoint address */
#define USB_SCHEME_CONTROL 0x200ull
#define USB_SCHEME_DETACH 0x300ull
#define USB_SCHEME_INFO 0x400ull
#define USB_SCHEME_LIST 0x500ull
#define USB_SCHEME_DESC 0x10000ull             /* + type << 8 | index */

#define USB_SCHEME_WINDOW_MAX (8ull << 20)
#define USB_SCHEME_XFER_MAX (1u << 20)         /* one request: at most 1 MiB */
#define USB_SCHEME_INFLIGHT_MAX 64u            /* requests of one client at once */
#define USB_SCHEME_XACT_RETRIES 3u
#define USB_SCHEME_TIMEOUT_NS 5000000000ull    /* 5 s */

struct usb_scheme_ep {
    uint8_t address;      /* bEndpointAddress */
    uint8_t xfer;         /* USB_EP_XFER_* */
    uint16_t max_packet;
    uint8_t interval;     /* bInterval */
    uint8_t max_burst;
    uint8_t reserved[2];
};

/* What xhcid knows of the device and the opened interface. Every byte
 * defined. */
struct usb_scheme_info {
    uint8_t port, speed;          /* root port; XHCI_SPEED_* (1 full, 2 low, 3 high, 4 super) */
    uint8_t slot, iface;          /* iface: the interface opened (0xff: the device) */
    uint16_t vendor, product;
    uint8_t dev_class, dev_subclass, dev_protocol, num_eps;
    uint8_t if_class, if_subclass, if_protocol, reserved0;
    char manufacturer[64], product_name[64], serial[64];
    struct usb_scheme_ep ep[16];
};

/* One interface of a configured device, as USB_SCHEME_LIST gives it. */
struct usb_scheme_entry {
    uint8_t port, iface, speed, if_class, if_subclass, if_protocol;
    uint16_t vendor, product;
};

/* A control transfer: the setup packet's fields, then (in the window,
 * right after this struct) its data stage of `length` bytes. */
struct usb_scheme_control {
    uint8_t request_type, request;
    uint16_t value, index, length;
};

_Static_assert(sizeof(struct usb_scheme_ep) == 8, "usb_scheme_ep layout");
_Static_assert(sizeof(struct usb_scheme_info) == 16 + 3 * 64 + 16 * 8, "usb_scheme_info layout");
_Static_assert(sizeof(struct usb_scheme_control) == 8, "usb_scheme_control layout");
_Static_assert(sizeof(struct usb_scheme_entry) == 10, "usb_scheme_entry layout");

#endif /* IOSIM_USB_SCHEME_H */
