/*
 * usb_null.h - the null function: what a USB device runs when a scenario
 * gives only its descriptors (`type: usb_device`), so that its endpoints
 * answer something and fault rules (usb_fault.h) have transfers to act on.
 *
 *     struct usb_dev_config cfg = {..., .ops = &usb_null_ops, .ctx = NULL};
 *
 * Every bulk or interrupt IN is answered at once with a zero-length packet
 * (ACK, nothing moved); every OUT is taken whole and dropped (ACK). Class
 * and vendor requests STALL, as for a device without a function. It keeps
 * no state (ctx is unused), so it is the same for every device and never
 * NAKs: a host that polls it gets an answer every time.
 */
#ifndef IOSIM_MODELS_USB_NULL_H
#define IOSIM_MODELS_USB_NULL_H

#include "models/usb/usb_dev.h"

extern const struct usb_fn_ops usb_null_ops;

#endif /* IOSIM_MODELS_USB_NULL_H */
