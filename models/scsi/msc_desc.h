/*
 * msc_desc.h - the descriptors of the simulated USB mass-storage device:
 * one configuration with one interface 08h/06h/50h (mass storage, SCSI
 * transparent, Bulk-Only) and its two bulk endpoints, built for the speed
 * it runs at (64-byte packets at full speed, 512 at high speed, 1024 with
 * bursts of 16 at SuperSpeed), with the strings a host reads.
 *
 *     struct msc_descs d;
 *     msc_build_descs(&d, &(struct msc_desc_fields){.speed = USB_SPEED_HIGH, ...});
 *     ... d.device, d.config, d.strings[] for a struct usb_dev_config ...
 *
 * The identity defaults to QEMU's usb-storage (46F4:0001, "QEMU USB
 * HARDDRIVE", usb-stack.md section 4). Caller storage; the blobs point
 * into it.
 */
#ifndef IOSIM_MSC_DESC_H
#define IOSIM_MSC_DESC_H

#include <stdint.h>

#include "models/usb/usb_dev.h"

#define MSC_DESC_VENDOR 0x46f4u
#define MSC_DESC_PRODUCT 0x0001u
#define MSC_DESC_INTERFACE 0u
#define MSC_DESC_CONFIG_VALUE 1u
#define MSC_DESC_STRINGS 4u              /* LANGIDs, manufacturer, product, serial */
#define MSC_DESC_SS_MAX_BURST 15u

struct msc_desc_fields {
    enum usb_speed speed;
    uint16_t vendor, product;            /* 0: the defaults */
    const char *manufacturer, *product_name, *serial; /* NULL: the defaults */
};

struct msc_descs {
    uint8_t pool[512];
    struct usb_blob device, config, bos, qualifier, other_speed;
    struct usb_blob strings[MSC_DESC_STRINGS];
};

/* IOSIM_OK, or ENOSPC when the strings do not fit the pool; EINVAL at low
 * speed (no bulk endpoints there). */
enum iosim_err msc_build_descs(struct msc_descs *o, const struct msc_desc_fields *f);

#endif /* IOSIM_MSC_DESC_H */
