/*
 * usb_zero_internal.h - what gadget zero's two files share (usb_zero.c:
 * the function; usb_zero_desc.c: its descriptors). Not for other models.
 */
#ifndef IOSIM_MODELS_USB_ZERO_INTERNAL_H
#define IOSIM_MODELS_USB_ZERO_INTERNAL_H

#include <stdint.h>

#include "models/usb/usb_zero.h"

#define USB_ZERO_STRINGS 6u
#define USB_ZERO_DESC_POOL_BYTES 1024u

/* Every descriptor of one gadget, in one pool it owns; the blobs point
 * into the pool (absent ones are {NULL, 0}). */
struct usb_zero_descs {
    uint8_t pool[USB_ZERO_DESC_POOL_BYTES];
    struct usb_blob device, config, bos, qualifier, other_speed;
    struct usb_blob strings[USB_ZERO_STRINGS];
};

/* Builds them for cfg (validated); ENOSPC if the pool is too small (a
 * programmer bug: the pool is sized for the largest set). */
enum iosim_err usb_zero_build_descs(struct usb_zero_descs *o, const struct usb_zero_config *cfg);

/* The bulk endpoints' max packet size at a speed; 0 at low speed. */
uint16_t usb_zero_bulk_max_packet(enum usb_speed speed);

#endif /* IOSIM_MODELS_USB_ZERO_INTERNAL_H */
