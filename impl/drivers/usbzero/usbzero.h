/*
 * usbzero.h - the state of gadget zero's class driver (usbzero.c), shared
 * with its probe of xhcid's usb: (usbzero_probe.c). Internal to usbzero.
 */
#ifndef IOSIM_USBZERO_H
#define IOSIM_USBZERO_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/bufpool/bufpool.h"
#include "impl/drivers/xhcid/usb_client.h"

#define UZ_DEPTH_MAX 16u
#define UZ_CHECK_CHUNK 4096u
#define UZ_EP_BULK_IN 0x81u
#define UZ_EP_BULK_OUT 0x01u
#define UZ_BOUNDARY 0x10000u            /* a slice within 64 KiB is one TRB for xhcid */

struct uz_req {
    bool busy;
    uint64_t tag;
    struct bufpool_slice s;
};

struct uz {
    struct usb_client c;
    struct bufpool pool;
    struct uz_req req[UZ_DEPTH_MAX];
    uint32_t depth, len;
    uint64_t want, asked, got;         /* bytes: to move, asked for, arrived (in order) */
    uint32_t errors, errors_max;       /* requests that failed and were asked again */
    bool check, gone, broken, pool_up;
    uint64_t detach_tag;               /* the READ of USB_SCHEME_DETACH, 0: none */
    bool detached;                     /* its answer came */
};

/* Every usb: request but the stream, each answer checked: the list, the
 * raw device descriptor against the info, vendor control requests through
 * EP0 (write a buffer, read it back), xhcid's own requests refused,
 * interrupt IN counting up, and hostile requests each refused with its
 * error. False at the first answer that is not as usb_scheme.h says. */
bool usbzero_probe(struct uz *z);

#endif /* IOSIM_USBZERO_H */
