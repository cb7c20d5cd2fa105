/* The null function; see usb_null.h. */
#include "models/usb/usb_null.h"

#include "impl/port/check.h"

static enum usb_result null_in(void *ctx, uint8_t ep_addr, uint8_t *buf, uint32_t max_bytes,
                               uint32_t *got_bytes)
{
    (void)ctx;
    (void)ep_addr;
    (void)buf;
    (void)max_bytes;
    ASSERT(got_bytes != NULL);
    *got_bytes = 0; /* a zero-length packet ends the transfer */
    return USB_ACK;
}

static enum usb_result null_out(void *ctx, uint8_t ep_addr, const uint8_t *buf,
                                uint32_t len_bytes, uint32_t *taken_bytes)
{
    (void)ctx;
    (void)ep_addr;
    (void)buf;
    ASSERT(taken_bytes != NULL);
    *taken_bytes = len_bytes;
    return USB_ACK;
}

const struct usb_fn_ops usb_null_ops = {.in = null_in, .out = null_out};
