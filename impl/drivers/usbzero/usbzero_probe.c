/*
 * usbzero's probe of usb: (usbzero.h): the requests a class driver makes
 * besides its stream, and the ones a broken or hostile one would, each
 * answer checked against usb_scheme.h. Gadget zero's vendor requests
 * (models/usb/usb_zero.h, as Linux's usbtest has them) give control
 * transfers something to carry: 0x5b writes its control buffer, 0x5c
 * reads it back; interrupt IN 0x82 answers a count that goes up by one.
 */
#include <string.h>

#include "impl/drivers/usbzero/usbzero.h"
#include "impl/port/port.h"
#include "impl/port/spec/usb_ch9.h"

#define UZ_EP_INTR_IN 0x82u
#define UZ_VENDOR_WRITE 0x5bu
#define UZ_VENDOR_READ 0x5cu
#define UZ_CTL_BYTES 64u
#define UZ_VENDOR_DEVICE_OUT 0x40u   /* bmRequestType: vendor, device, OUT */
#define UZ_VENDOR_DEVICE_IN 0xc0u

static int64_t errno_of(enum iosim_err e) { return -(int64_t)iosim_err_errno(e); }

/* One raw request; its status (a result or -errno). */
static int64_t raw(struct uz *z, struct ring_sqe64 q)
{
    int64_t st = 0;
    enum iosim_err e = iou_peer_call(&z->c.peer, q, &st, NULL);
    return e == IOSIM_OK || st < 0 ? st : errno_of(e);
}

static bool listed(struct uz *z, const struct usb_scheme_info *info, const struct bufpool_slice *s)
{
    int64_t n = raw(z, (struct ring_sqe64){.opcode = RING_OP_READ, .fd = (uint64_t)z->c.handle,
                                           .offset = USB_SCHEME_LIST,
                                           .addr = port_user_addr(s->host), .len = s->len_bytes});
    struct usb_scheme_entry e;
    for (int64_t at = 0; n > 0 && at + (int64_t)sizeof e <= n; at += (int64_t)sizeof e) {
        port_shm_read(&e, (const uint8_t *)s->host + at, sizeof e);
        if (e.port == info->port && e.iface == info->iface && e.vendor == info->vendor &&
            e.product == info->product && e.if_class == info->if_class)
            return true;
    }
    return false;
}

static bool descriptor(struct uz *z, const struct usb_scheme_info *info,
                       const struct bufpool_slice *s)
{
    uint8_t d[USB_DT_DEVICE_BYTES];
    int64_t n = raw(z, (struct ring_sqe64){.opcode = RING_OP_READ, .fd = (uint64_t)z->c.handle,
                                           .offset = USB_SCHEME_DESC + (USB_DT_DEVICE << 8),
                                           .addr = port_user_addr(s->host), .len = sizeof d});
    if (n != (int64_t)sizeof d)
        return false;
    port_shm_read(d, s->host, sizeof d);
    return d[USB_DESC_TYPE] == USB_DT_DEVICE &&
           (uint16_t)(d[USB_DEV_VENDOR] | d[USB_DEV_VENDOR + 1] << 8) == info->vendor &&
           (uint16_t)(d[USB_DEV_PRODUCT] | d[USB_DEV_PRODUCT + 1] << 8) == info->product;
}

/* A control transfer through EP0; the setup and data in slice s. */
static int64_t control(struct uz *z, const struct bufpool_slice *s, uint8_t rt, uint8_t req,
                       uint16_t length)
{
    struct usb_scheme_control ctl = {.request_type = rt, .request = req, .length = length};
    port_shm_write(s->host, &ctl, sizeof ctl);
    int64_t st = 0;
    enum iosim_err e = usb_client_control(&z->c, s->host, length, &st);
    return e == IOSIM_OK || st < 0 ? st : errno_of(e);
}

/* 0x5b then 0x5c: what went out through EP0 comes back. */
static bool vendor_round_trip(struct uz *z, const struct bufpool_slice *s)
{
    uint8_t out[UZ_CTL_BYTES], back[UZ_CTL_BYTES];
    for (uint32_t i = 0; i < sizeof out; i++)
        out[i] = (uint8_t)(0xa5 ^ i * 7u);
    port_shm_write((uint8_t *)s->host + sizeof(struct usb_scheme_control), out, sizeof out);
    if (control(z, s, UZ_VENDOR_DEVICE_OUT, UZ_VENDOR_WRITE, sizeof out) != (int64_t)sizeof out)
        return false;
    port_shm_write((uint8_t *)s->host + sizeof(struct usb_scheme_control), &(uint8_t[UZ_CTL_BYTES]){0},
                   sizeof back);
    if (control(z, s, UZ_VENDOR_DEVICE_IN, UZ_VENDOR_READ, sizeof back) != (int64_t)sizeof back)
        return false;
    port_shm_read(back, (const uint8_t *)s->host + sizeof(struct usb_scheme_control), sizeof back);
    /* and SET_CONFIGURATION is xhcid's, not the class driver's */
    return memcmp(out, back, sizeof out) == 0 &&
           control(z, s, 0, USB_REQ_SET_CONFIGURATION, 0) == errno_of(IOSIM_EACCES);
}

/* Interrupt IN: each answer a 32-bit count, one more than the last. */
static bool interrupts(struct uz *z, const struct bufpool_slice *s)
{
    uint32_t last = 0;
    for (uint32_t i = 0; i < 4; i++) {
        uint64_t tag;
        int64_t st;
        if (usb_client_push(&z->c, RING_OP_READ, UZ_EP_INTR_IN, s->host, 8, &tag) != IOSIM_OK ||
            usb_client_notify(&z->c) != IOSIM_OK || usb_client_wait_any(&z->c, &tag, &st) != IOSIM_OK ||
            st != 4)
            return false;
        uint8_t b[4];
        port_shm_read(b, s->host, sizeof b);
        uint32_t count = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                         (uint32_t)b[3] << 24;
        if (i > 0 && count != last + 1)
            return false;
        last = count;
    }
    return true;
}

/* Requests a broken or hostile class driver would make: each refused. */
static bool refusals(struct uz *z, const struct bufpool_slice *s)
{
    uint64_t fd = (uint64_t)z->c.handle, in = port_user_addr(s->host);
    static uint8_t outside[64]; /* host memory, not the window: never a DMA target */
    const struct { struct ring_sqe64 q; enum iosim_err want; } cases[] = {
        {{.opcode = RING_OP_READ, .fd = 7, .offset = UZ_EP_BULK_IN, .addr = in, .len = 512},
         IOSIM_EBADF},
        {{.opcode = RING_OP_READ, .fd = fd, .offset = UZ_EP_BULK_IN,
          .addr = port_user_addr(outside), .len = sizeof outside}, IOSIM_EFAULT},
        {{.opcode = RING_OP_READ, .fd = fd, .offset = UZ_EP_BULK_IN, .addr = in,
          .len = USB_SCHEME_XFER_MAX + 1}, IOSIM_EINVAL},
        {{.opcode = RING_OP_WRITE, .fd = fd, .offset = UZ_EP_BULK_IN, .addr = in, .len = 512},
         IOSIM_EINVAL},
        {{.opcode = RING_OP_READ, .fd = fd, .offset = 0x8f, .addr = in, .len = 512}, IOSIM_EINVAL},
        {{.opcode = RING_OP_READ, .fd = fd, .offset = UZ_EP_BULK_IN, .addr = in, .len = 0},
         IOSIM_EINVAL},
        {{.opcode = RING_OP_FSYNC, .fd = fd}, IOSIM_ENOSYS},
        {{.opcode = RING_OP_FMAP, .fd = fd, .len = 4096}, IOSIM_EBUSY},
        {{.opcode = RING_OP_READ, .fd = fd, .offset = 0x7fff, .addr = in, .len = 8}, IOSIM_EINVAL},
        {{.opcode = RING_OP_CLOSE, .fd = 0}, IOSIM_EBADF},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (raw(z, cases[i].q) != errno_of(cases[i].want))
            return false;
    /* an interface it was not started for */
    char *path = (char *)s->host;
    port_shm_write(path, "9.0", 3);
    return raw(z, (struct ring_sqe64){.opcode = RING_OP_OPEN, .addr = in, .len = 3}) ==
           errno_of(IOSIM_EACCES);
}

bool usbzero_probe(struct uz *z)
{
    struct usb_scheme_info info;
    struct bufpool_slice s;
    if (usb_client_info(&z->c, &info) != IOSIM_OK ||
        bufpool_alloc(&z->pool, 4096, 64, &s) != IOSIM_OK)
        return false;
    bool ok = listed(z, &info, &s) && descriptor(z, &info, &s) && vendor_round_trip(z, &s) &&
              interrupts(z, &s) && refusals(z, &s);
    (void)bufpool_free(&z->pool, &s);
    return ok;
}
