/*
 * usb_desc.h - USB descriptors as raw bytes: building them, and walking a
 * blob that may be garbage.
 *
 * A USB device model keeps its descriptors as the bytes it returns for
 * GET_DESCRIPTOR (usb_dev.h serves them unchanged). This module is how a
 * function (gadget zero, later mass storage) writes those bytes without
 * counting offsets by hand, and how the framework reads a configuration it
 * cannot trust. Field offsets and values are those of
 * impl/port/spec/usb_ch9.h; multi-byte fields are little-endian.
 *
 *     uint8_t raw[256];
 *     struct usb_desc_buf b;
 *     usb_desc_buf_init(&b, raw, sizeof raw);
 *     uint32_t cfg = usb_desc_add_config(&b, USB_DT_CONFIG, &(struct usb_desc_config_fields){
 *                                            .num_interfaces = 1, .value = 1, ...});
 *     usb_desc_add_interface(&b, &(struct usb_desc_interface_fields){.num_endpoints = 2, ...});
 *     usb_desc_add_endpoint(&b, 0x81, USB_EP_XFER_BULK, 512, 0);
 *     usb_desc_add_endpoint(&b, 0x01, USB_EP_XFER_BULK, 512, 0);
 *     usb_desc_finish_total(&b, cfg);          wTotalLength = what followed the header
 *     if (b.overflow) ... raw was too small; b.len_bytes is what fitted
 *
 *     struct usb_desc_iter it;
 *     usb_desc_iter_init(&it, blob, usb_desc_config_limit(blob, blob_len));
 *     struct usb_desc_ref r;
 *     while (usb_desc_iter_next(&it, &r)) ... blob[r.off .. r.off + r.len) is one descriptor
 *
 * The walk never reads outside [0, limit) and always ends: a descriptor
 * whose bLength is below 2 (a zero-length loop) or runs past the limit
 * ends it, and every step advances by at least 2 bytes.
 *
 * Ownership: a usb_desc_buf and a usb_desc_iter borrow their bytes; they own
 * nothing and need no clean-up. Pure functions of their arguments; no
 * simulated machine, any thread.
 */
#ifndef IOSIM_MODELS_USB_DESC_H
#define IOSIM_MODELS_USB_DESC_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/spec/usb_ch9.h"

static inline uint16_t usb_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline void usb_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* ---- building ------------------------------------------------------------------------------ */

/* Appends into caller storage. An append that does not fit writes nothing,
 * sets `overflow` and leaves len_bytes as it was (later appends that fit
 * still go in, so check overflow once at the end). */
struct usb_desc_buf {
    uint8_t *bytes;              /* borrowed, cap_bytes long */
    uint32_t len_bytes;
    uint32_t cap_bytes;
    bool overflow;
};

void usb_desc_buf_init(struct usb_desc_buf *b, uint8_t *bytes, uint32_t cap_bytes);

/* Appends n raw bytes; returns the offset they went to (len_bytes on overflow). */
uint32_t usb_desc_put(struct usb_desc_buf *b, const uint8_t *src, uint32_t n);

/* Device descriptor and device qualifier [USB2 9.6.1, 9.6.2]: the
 * qualifier takes bcd_usb, the class triple, max_packet0 and num_configs. */
struct usb_desc_device_fields {
    uint16_t bcd_usb;
    uint8_t dev_class, dev_subclass, dev_protocol;
    uint8_t max_packet0;         /* bytes; at SuperSpeed the exponent (9 = 512) */
    uint16_t vendor, product, bcd_device;
    uint8_t i_manufacturer, i_product, i_serial;
    uint8_t num_configs;
};
uint32_t usb_desc_add_device(struct usb_desc_buf *b, const struct usb_desc_device_fields *f);
uint32_t usb_desc_add_qualifier(struct usb_desc_buf *b, const struct usb_desc_device_fields *f);

/* Configuration header [USB2 9.6.3]; type is USB_DT_CONFIG or
 * USB_DT_OTHER_SPEED_CONFIG. Returns its offset for usb_desc_finish_total. */
struct usb_desc_config_fields {
    uint8_t num_interfaces;
    uint8_t value;               /* bConfigurationValue */
    uint8_t i_config;
    uint8_t attributes;          /* USB_CFG_ATTR_* (USB_CFG_ATTR_ONE is added) */
    uint8_t max_power;           /* in the speed's units (2 mA, 8 mA at SuperSpeed) */
};
uint32_t usb_desc_add_config(struct usb_desc_buf *b, uint8_t type,
                             const struct usb_desc_config_fields *f);

/* Writes wTotalLength of the header at `header_off` (a configuration or a
 * BOS: both keep it at offset 2) as everything from it to the end. */
void usb_desc_finish_total(struct usb_desc_buf *b, uint32_t header_off);

struct usb_desc_interface_fields {
    uint8_t number, alternate, num_endpoints;
    uint8_t if_class, if_subclass, if_protocol;
    uint8_t i_interface;
};
uint32_t usb_desc_add_interface(struct usb_desc_buf *b, const struct usb_desc_interface_fields *f);

/* Endpoint [USB2 9.6.6]: address with USB_EP_ADDR_DIR_IN for IN; xfer is
 * USB_EP_XFER_*; max_packet is the whole wMaxPacketSize word. */
uint32_t usb_desc_add_endpoint(struct usb_desc_buf *b, uint8_t address, uint8_t xfer,
                               uint16_t max_packet, uint8_t interval);

/* SuperSpeed endpoint companion [USB32 9.6.7]. */
uint32_t usb_desc_add_ss_companion(struct usb_desc_buf *b, uint8_t max_burst, uint8_t attributes,
                                   uint16_t bytes_per_interval);

/* BOS header [USB32 9.6.2] (finish with usb_desc_finish_total) and two
 * device capabilities: USB 2.0 extension (bmAttributes, e.g.
 * USB_DEVCAP_USB2_EXT_LPM) and SuperSpeed USB. */
uint32_t usb_desc_add_bos(struct usb_desc_buf *b, uint8_t num_caps);
uint32_t usb_desc_add_usb2_ext(struct usb_desc_buf *b, uint32_t attributes);
struct usb_desc_ss_cap_fields {
    uint8_t attributes;          /* bit 1: LTM capable */
    uint16_t speeds_supported;   /* bit 0 low, 1 full, 2 high, 3 5 Gb/s */
    uint8_t functionality_support; /* lowest speed with all functionality (same coding) */
    uint8_t u1_exit_lat_us;      /* bU1DevExitLat, at most 10 */
    uint16_t u2_exit_lat_us;     /* wU2DevExitLat, at most 2047 */
};
uint32_t usb_desc_add_ss_cap(struct usb_desc_buf *b, const struct usb_desc_ss_cap_fields *f);
/* The whole BOS of a 5 Gb/s device that also runs at full and high speed
 * (USB 2.0 extension with LPM, SuperSpeed capability: U1 exit 10 us, U2
 * 500 us - within their bounds, no model reads them), total finished;
 * returns where it starts. Gadget zero's and the mass-storage device's. */
uint32_t usb_desc_add_bos_5g(struct usb_desc_buf *b);

/* String descriptors [USB2 9.6.7]: string 0 lists LANGIDs; the others are
 * UTF-16LE. `ascii` is 7-bit text; longer than 126 characters is cut there
 * (USB_STRING_MAX_BYTES). */
uint32_t usb_desc_add_langids(struct usb_desc_buf *b, const uint16_t *langids, uint32_t count);
uint32_t usb_desc_add_string(struct usb_desc_buf *b, const char *ascii);

/* ---- walking ------------------------------------------------------------------------------- */

/* How much of a configuration blob a host would read and the framework
 * walks: min(len_bytes, wTotalLength); the whole blob when it is too short
 * to hold wTotalLength. */
uint32_t usb_desc_config_limit(const uint8_t *blob, uint32_t len_bytes);

struct usb_desc_iter {
    const uint8_t *bytes;        /* borrowed */
    uint32_t limit_bytes;
    uint32_t off;                /* the next descriptor; limit_bytes once ended */
};

/* One descriptor of a walk: blob[off], off + len <= limit, len >= 2. */
struct usb_desc_ref {
    uint32_t off;
    uint8_t len;                 /* bLength */
    uint8_t type;                /* bDescriptorType */
};

void usb_desc_iter_init(struct usb_desc_iter *it, const uint8_t *bytes, uint32_t limit_bytes);

/* The next whole descriptor, or false at the end (the limit, a bLength
 * below 2, or a descriptor running past the limit: nothing after garbage
 * is trusted). */
bool usb_desc_iter_next(struct usb_desc_iter *it, struct usb_desc_ref *out);

#endif /* IOSIM_MODELS_USB_DESC_H */
