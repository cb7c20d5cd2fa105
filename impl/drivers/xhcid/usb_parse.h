/*
 * usb_parse.h - xhcid's defensive reader of what a USB device says about itself:
 * the device descriptor, the configuration descriptor with its interfaces and
 * endpoints, and string descriptors.
 *
 * Every byte here comes from the device, and a device may be broken or hostile,
 * so nothing it says is trusted: each function reads only [buf, buf + len),
 * checks every length before it steps over it, and either returns IOSIM_OK with
 * the result checked against chapter 9 of USB 2.0 / USB 3.2 for the device's
 * speed, or IOSIM_EPROTO with the first problem found (the byte offset where it
 * is and a short sentence). Nothing partial is returned: on any error *out is
 * left as it was. The driver configures endpoints straight from the result, so
 * it only holds what an xHCI endpoint context can take (sizes, intervals and
 * bursts in range, no endpoint twice).
 *
 *     struct usb_parse_problem why;
 *     uint16_t total;
 *     // GET_DESCRIPTOR(CONFIGURATION, 0, 9 bytes) -> hdr, then wTotalLength bytes -> all
 *     if (usb_parse_config_total(hdr, 9, &total, &why) != IOSIM_OK) ...refuse the device
 *     struct usb_config_info cfg;
 *     if (usb_parse_config(all, got, USB_PARSE_HIGH, &cfg, &why) != IOSIM_OK)
 *         ...log "config @%u: %s", why.offset, why.what; refuse the device
 *     for (i < cfg.iface_count) for (j < cfg.iface[i].num_eps) configure cfg.iface[i].ep[j]
 *
 * What is kept: alternate setting 0 of each interface (what SET_CONFIGURATION
 * selects [USB2 9.4.7]); alternate settings > 0, class- and vendor-specific and
 * unknown descriptors are stepped over by their bLength and counted in
 * `skipped`. Endpoints of alternate settings > 0 are counted against their
 * interface's bNumEndpoints (and at SuperSpeed need their companion) but their
 * fields are not checked: SET_INTERFACE would have to parse them again anyway.
 *
 * Ownership: every pointer is borrowed for the call; results go to caller
 * storage. No allocation, no global state: safe from any thread on distinct
 * outputs.
 */
#ifndef IOSIM_XHCID_USB_PARSE_H
#define IOSIM_XHCID_USB_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"

/* The speed the port reported: the rules for packet sizes and intervals differ. */
enum usb_parse_speed { USB_PARSE_LOW, USB_PARSE_FULL, USB_PARSE_HIGH, USB_PARSE_SUPER };

#define USB_PARSE_WHAT_BYTES 96u

/* Why a descriptor was refused. Written only when a function returns EPROTO. */
struct usb_parse_problem {
    uint32_t offset;                 /* in the buffer, of the field (or descriptor) at fault */
    char what[USB_PARSE_WHAT_BYTES]; /* e.g. "endpoint 0x81: wMaxPacketSize 0"; NUL-terminated */
};

/* The device descriptor, checked [USB2 9.6.1], [USB32 9.6.1]. */
struct usb_device_info {
    uint16_t bcd_usb, vendor, product, bcd_device;
    uint8_t cls, subclass, protocol;
    uint32_t max_packet0;            /* bytes (at SuperSpeed decoded from the exponent: 9 -> 512) */
    uint8_t num_configs, i_manufacturer, i_product, i_serial;
};

/* The first bLength bytes of buf (at least 18); bytes after it are not read.
 * EINVAL: buf NULL with len > 0, out NULL, speed not one of the enum. */
enum iosim_err usb_parse_device(const uint8_t *buf, size_t len, enum usb_parse_speed speed,
                                struct usb_device_info *out, struct usb_parse_problem *p);

#define USB_PARSE_IFACES_MAX 8u
#define USB_PARSE_EPS_MAX 16u        /* per interface */

struct usb_endpoint_info {
    uint8_t address;                 /* number and USB_EP_ADDR_DIR_IN */
    uint8_t xfer;                    /* USB_EP_XFER_* */
    uint16_t max_packet;             /* bytes, wMaxPacketSize bits 10:0 */
    uint8_t mult;                    /* HS periodic: extra transactions (bits 12:11);
                                        SS isochronous: the companion's Mult */
    uint8_t interval;                /* bInterval as given */
    uint8_t max_burst;               /* SuperSpeed companion, 0 otherwise */
    uint8_t max_streams_log2;        /* SS bulk companion, 0 otherwise */
    uint16_t bytes_per_interval;     /* SS periodic companion, 0 otherwise */
};

struct usb_interface_info {
    uint8_t number, alternate, cls, subclass, protocol, i_interface;
    uint8_t num_eps;                 /* == bNumEndpoints, <= USB_PARSE_EPS_MAX */
    struct usb_endpoint_info ep[USB_PARSE_EPS_MAX]; /* in descriptor order */
};

/* Invariants of a returned configuration: iface_count == num_interfaces; interface numbers
 * are distinct; no two endpoints share an (number, direction) pair, a control endpoint
 * taking both directions of its number; every endpoint number is 1..15. */
struct usb_config_info {
    uint16_t total_length;           /* == len */
    uint8_t num_interfaces, value, i_configuration, attributes, max_power;
    uint8_t iface_count;             /* alternate setting 0 of each interface, in order */
    struct usb_interface_info iface[USB_PARSE_IFACES_MAX];
    uint32_t skipped;                /* descriptors not above: class/vendor/unknown ones, and
                                        alternate settings > 0 with their endpoints */
};

/* `buf` holds what GET_DESCRIPTOR(CONFIGURATION) returned: len bytes, which must be
 * exactly wTotalLength. EINVAL as for usb_parse_device. */
enum iosim_err usb_parse_config(const uint8_t *buf, size_t len, enum usb_parse_speed speed,
                                struct usb_config_info *out, struct usb_parse_problem *p);

/* The header's wTotalLength when at least the 9-byte header is there and sane, to size
 * the second fetch. Bytes after the header are not read. */
enum iosim_err usb_parse_config_total(const uint8_t *buf, size_t len, uint16_t *total,
                                      struct usb_parse_problem *p);

/* A string descriptor [USB2 9.6.7] as printable ASCII: each UTF-16 code unit outside
 * 0x20..0x7e becomes '?' (so a surrogate pair gives two), NUL-terminated, cut to cap - 1
 * characters. EINVAL: out NULL or cap 0. *out is untouched unless OK. */
enum iosim_err usb_parse_string(const uint8_t *buf, size_t len, char *out, size_t cap,
                                struct usb_parse_problem *p);

/* String descriptor 0: its first LANGID, to ask for the other strings in. */
enum iosim_err usb_parse_langid(const uint8_t *buf, size_t len, uint16_t *langid,
                                struct usb_parse_problem *p);

#endif /* IOSIM_XHCID_USB_PARSE_H */
