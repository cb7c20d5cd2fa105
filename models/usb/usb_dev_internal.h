/*
 * usb_dev_internal.h - what the parts of the USB device framework share
 * (usb_dev.c: transfers, life cycle, queries; usb_dev_walk.c: the active
 * configuration; usb_dev_std.c: the standard requests). Not for device
 * models or controllers: they use usb_dev.h.
 */
#ifndef IOSIM_MODELS_USB_DEV_INTERNAL_H
#define IOSIM_MODELS_USB_DEV_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "models/usb/usb_dev.h"

#define USB_DEV_NO_CONFIG UINT32_MAX
#define USB_DEV_EP_SLOT_IN 16u
#define USB_DEV_EP_ADDR_RESERVED 0x70u /* bEndpointAddress 6:4 [USB2 table 9-13] */
#define USB_DEV_IFACES 256u            /* bInterfaceNumber is a byte */
#define USB_DEV_SEL_BYTES 6u           /* SET_SEL data stage [USB32 9.4.12] */

/* A standard request the framework leaves to the function (private: never
 * returned to the controller). */
#define USB_DEV_FORWARD ((enum usb_result)USB_RESULT_COUNT)

/* An interface setting the active configuration has. */
struct usb_alt {
    uint8_t interface, alternate;
};

/*
 * Invariants:
 *   state == DETACHED  <=> host == NULL (attach sets both, detach clears both);
 *   state != CONFIGURED => cfg_index == USB_DEV_NO_CONFIG, config_value == 0, no
 *   endpoint present, alts_count == 0;
 *   state == CONFIGURED => cfg_index < cfg.configs_count and the blob's
 *   byte 5 == config_value != 0;
 *   eps[s].present => s is the slot of eps[s].addr, number 1..15;
 *   depth > 0 only while a function op runs.
 */
struct usb_dev {
    struct usb_dev_config cfg;       /* copied; what it points to is borrowed */
    const struct usb_host_ops *host; /* borrowed between attach and detach */
    void *host_ctx;
    enum usb_dev_state state;
    uint8_t address;
    uint8_t test_mode;               /* selector; 0 none */
    bool remote_wakeup_on, u1_on, u2_on;
    uint8_t sel[USB_DEV_SEL_BYTES];          /* SET_SEL: kept, not used */
    uint16_t isoch_delay_ns;         /* SET_ISOCH_DELAY: kept, not used */
    /* the active configuration */
    uint32_t cfg_index;
    uint8_t config_value;
    uint32_t alts_count;
    struct usb_alt alts[USB_DEV_ALTS_MAX];
    uint8_t cur_alt[USB_DEV_IFACES];
    struct usb_ep_info eps[USB_DEV_EP_SLOTS];
    uint32_t depth;                  /* function ops running (re-entry guard) */
    uint8_t ctrl[USB_DEV_CTRL_BYTES_MAX]; /* a function's control data stage */
};

/* A control answer: bytes the device would send in an IN data stage. */
struct usb_reply {
    const uint8_t *bytes;
    uint32_t len_bytes;
    uint8_t small[2];
};


/* The device takes part in bus traffic. */
static inline bool usb_dev_answering(const struct usb_dev *d)
{
    return d->state >= USB_DEV_DEFAULT && d->test_mode == 0;
}

static inline bool usb_blob_present(const struct usb_blob *b)
{
    return b->bytes != NULL && b->len_bytes > 0;
}

/* The active configuration (usb_dev_walk.c). */
struct usb_ep_info *usb_dev_active_ep(struct usb_dev *d, uint8_t addr);
uint32_t usb_dev_active_slot(const struct usb_dev *d, uint8_t addr);
bool usb_dev_iface_exists(const struct usb_dev *d, uint32_t iface);
bool usb_dev_alt_exists(const struct usb_dev *d, uint32_t iface, uint32_t alt);
uint32_t usb_dev_find_config(const struct usb_dev *d, uint8_t value);
void usb_dev_forget_config(struct usb_dev *d);
void usb_dev_configure(struct usb_dev *d, uint32_t index, uint8_t value);
void usb_dev_select_alt(struct usb_dev *d, uint8_t iface, uint8_t alt);

/* A standard request (usb_dev_std.c): its answer, or USB_DEV_FORWARD when
 * the function is to answer it. data: an OUT data stage (wLength bytes). */
enum usb_result usb_dev_standard_request(struct usb_dev *d, const struct usb_setup *s,
                                         const uint8_t *data, struct usb_reply *r);

#endif /* IOSIM_MODELS_USB_DEV_INTERNAL_H */
