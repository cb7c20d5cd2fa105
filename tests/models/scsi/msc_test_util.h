/* What the Bulk-Only tests (test_msc_bot*.c) share: a host's CBW, built
 * as BOT 5.1 lays it out, and the little-endian fields it uses. */
#ifndef IOSIM_TEST_MSC_TEST_UTIL_H
#define IOSIM_TEST_MSC_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "impl/port/spec/usb_bot.h"

static inline void put32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* A valid CBW for LUN 0: tag, the host's length and direction, the CDB. */
static inline void msc_test_cbw(uint8_t b[USB_BOT_CBW_BYTES], uint32_t tag, uint32_t len, bool in,
                                const uint8_t *cdb, uint8_t cdb_len)
{
    memset(b, 0, USB_BOT_CBW_BYTES);
    put32(b + USB_BOT_CBW_SIGNATURE, USB_BOT_CBW_SIGNATURE_VALUE);
    put32(b + USB_BOT_CBW_TAG, tag);
    put32(b + USB_BOT_CBW_DATA_LENGTH, len);
    b[USB_BOT_CBW_FLAGS] = in ? USB_BOT_CBW_FLAGS_DATA_IN : 0;
    b[USB_BOT_CBW_CB_LENGTH] = cdb_len;
    memcpy(b + USB_BOT_CBW_CB, cdb, cdb_len);
}

#endif /* IOSIM_TEST_MSC_TEST_UTIL_H */
