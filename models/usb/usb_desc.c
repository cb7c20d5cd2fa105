/* USB descriptors as raw bytes; see usb_desc.h. */
#include "models/usb/usb_desc.h"

#include <string.h>

#include "impl/port/check.h"

/* The largest single descriptor: bLength is one byte. */
#define DESC_BYTES_MAX 255u

void usb_desc_buf_init(struct usb_desc_buf *b, uint8_t *bytes, uint32_t cap_bytes)
{
    ASSERT(b != NULL);
    ASSERT(bytes != NULL || cap_bytes == 0);
    *b = (struct usb_desc_buf){.bytes = bytes, .cap_bytes = cap_bytes};
}

uint32_t usb_desc_put(struct usb_desc_buf *b, const uint8_t *src, uint32_t n)
{
    ASSERT(b != NULL);
    ASSERT(b->len_bytes <= b->cap_bytes);
    ASSERT(src != NULL || n == 0);
    uint32_t at = b->len_bytes;
    if (n > b->cap_bytes - at) {
        b->overflow = true;
        return at;
    }
    if (n > 0)
        memcpy(b->bytes + at, src, n);
    b->len_bytes = at + n;
    return at;
}

/* The fields a device descriptor and a device qualifier share, at the same
 * offsets [USB2 9.6.1, 9.6.2 table 9-9]: bcdUSB, the class triple and
 * bMaxPacketSize0. */
static void put_device_head(uint8_t *d, uint8_t len, uint8_t type,
                            const struct usb_desc_device_fields *f)
{
    d[USB_DESC_LENGTH] = len;
    d[USB_DESC_TYPE] = type;
    usb_put_le16(&d[USB_DEV_BCD_USB], f->bcd_usb);
    d[USB_DEV_CLASS] = f->dev_class;
    d[USB_DEV_SUBCLASS] = f->dev_subclass;
    d[USB_DEV_PROTOCOL] = f->dev_protocol;
    d[USB_DEV_MAX_PACKET0] = f->max_packet0;
}

uint32_t usb_desc_add_device(struct usb_desc_buf *b, const struct usb_desc_device_fields *f)
{
    ASSERT(f != NULL);
    uint8_t d[USB_DT_DEVICE_BYTES] = {0};
    put_device_head(d, USB_DT_DEVICE_BYTES, USB_DT_DEVICE, f);
    usb_put_le16(&d[USB_DEV_VENDOR], f->vendor);
    usb_put_le16(&d[USB_DEV_PRODUCT], f->product);
    usb_put_le16(&d[USB_DEV_BCD_DEVICE], f->bcd_device);
    d[USB_DEV_MANUFACTURER] = f->i_manufacturer;
    d[USB_DEV_PRODUCT_STRING] = f->i_product;
    d[USB_DEV_SERIAL] = f->i_serial;
    d[USB_DEV_NUM_CONFIGS] = f->num_configs;
    return usb_desc_put(b, d, sizeof d);
}

/* After the shared head the qualifier has bNumConfigurations at 8 and a
 * reserved byte 9. */
#define QUAL_NUM_CONFIGS 8u

uint32_t usb_desc_add_qualifier(struct usb_desc_buf *b, const struct usb_desc_device_fields *f)
{
    ASSERT(f != NULL);
    uint8_t d[USB_DT_DEVICE_QUALIFIER_BYTES] = {0};
    put_device_head(d, USB_DT_DEVICE_QUALIFIER_BYTES, USB_DT_DEVICE_QUALIFIER, f);
    d[QUAL_NUM_CONFIGS] = f->num_configs;
    return usb_desc_put(b, d, sizeof d);
}

uint32_t usb_desc_add_config(struct usb_desc_buf *b, uint8_t type,
                             const struct usb_desc_config_fields *f)
{
    ASSERT(f != NULL);
    ASSERT(type == USB_DT_CONFIG || type == USB_DT_OTHER_SPEED_CONFIG);
    uint8_t d[USB_DT_CONFIG_BYTES] = {0};
    d[USB_DESC_LENGTH] = USB_DT_CONFIG_BYTES;
    d[USB_DESC_TYPE] = type;
    usb_put_le16(&d[USB_CFG_TOTAL_LENGTH], USB_DT_CONFIG_BYTES);
    d[USB_CFG_NUM_INTERFACES] = f->num_interfaces;
    d[USB_CFG_VALUE] = f->value;
    d[USB_CFG_STRING] = f->i_config;
    d[USB_CFG_ATTRIBUTES] = (uint8_t)(f->attributes | USB_CFG_ATTR_ONE);
    d[USB_CFG_MAX_POWER] = f->max_power;
    return usb_desc_put(b, d, sizeof d);
}

void usb_desc_finish_total(struct usb_desc_buf *b, uint32_t header_off)
{
    ASSERT(b != NULL);
    ASSERT(USB_CFG_TOTAL_LENGTH == USB_BOS_TOTAL_LENGTH);
    /* a header that never went in (overflow) has nothing to patch */
    if (header_off + USB_CFG_TOTAL_LENGTH + 2 > b->len_bytes)
        return;
    uint32_t total = b->len_bytes - header_off;
    usb_put_le16(&b->bytes[header_off + USB_CFG_TOTAL_LENGTH],
                 total > UINT16_MAX ? UINT16_MAX : (uint16_t)total);
}

uint32_t usb_desc_add_interface(struct usb_desc_buf *b, const struct usb_desc_interface_fields *f)
{
    ASSERT(f != NULL);
    uint8_t d[USB_DT_INTERFACE_BYTES] = {0};
    d[USB_DESC_LENGTH] = USB_DT_INTERFACE_BYTES;
    d[USB_DESC_TYPE] = USB_DT_INTERFACE;
    d[USB_IF_NUMBER] = f->number;
    d[USB_IF_ALTERNATE] = f->alternate;
    d[USB_IF_NUM_ENDPOINTS] = f->num_endpoints;
    d[USB_IF_CLASS] = f->if_class;
    d[USB_IF_SUBCLASS] = f->if_subclass;
    d[USB_IF_PROTOCOL] = f->if_protocol;
    d[USB_IF_STRING] = f->i_interface;
    return usb_desc_put(b, d, sizeof d);
}

uint32_t usb_desc_add_endpoint(struct usb_desc_buf *b, uint8_t address, uint8_t xfer,
                               uint16_t max_packet, uint8_t interval)
{
    ASSERT(xfer <= USB_EP_XFER_MASK);
    uint8_t d[USB_DT_ENDPOINT_BYTES] = {0};
    d[USB_DESC_LENGTH] = USB_DT_ENDPOINT_BYTES;
    d[USB_DESC_TYPE] = USB_DT_ENDPOINT;
    d[USB_EP_ADDRESS] = address;
    d[USB_EP_ATTRIBUTES] = xfer;
    usb_put_le16(&d[USB_EP_MAX_PACKET], max_packet);
    d[USB_EP_INTERVAL] = interval;
    return usb_desc_put(b, d, sizeof d);
}

uint32_t usb_desc_add_ss_companion(struct usb_desc_buf *b, uint8_t max_burst, uint8_t attributes,
                                   uint16_t bytes_per_interval)
{
    ASSERT(max_burst <= USB_SSC_MAX_BURST_MAX);
    uint8_t d[USB_DT_SS_EP_COMPANION_BYTES] = {0};
    d[USB_DESC_LENGTH] = USB_DT_SS_EP_COMPANION_BYTES;
    d[USB_DESC_TYPE] = USB_DT_SS_EP_COMPANION;
    d[USB_SSC_MAX_BURST] = max_burst;
    d[USB_SSC_ATTRIBUTES] = attributes;
    usb_put_le16(&d[USB_SSC_BYTES_PER_INTERVAL], bytes_per_interval);
    return usb_desc_put(b, d, sizeof d);
}

uint32_t usb_desc_add_bos(struct usb_desc_buf *b, uint8_t num_caps)
{
    uint8_t d[USB_DT_BOS_BYTES] = {0};
    d[USB_DESC_LENGTH] = USB_DT_BOS_BYTES;
    d[USB_DESC_TYPE] = USB_DT_BOS;
    usb_put_le16(&d[USB_BOS_TOTAL_LENGTH], USB_DT_BOS_BYTES);
    d[USB_BOS_NUM_CAPS] = num_caps;
    return usb_desc_put(b, d, sizeof d);
}

/* Device capability bodies start after bDevCapabilityType [USB32 9.6.2.1,
 * 9.6.2.2]: the USB 2.0 extension's bmAttributes is 32 bits at 3; the
 * SuperSpeed capability has bmAttributes at 3, wSpeedsSupported at 4,
 * bFunctionalitySupport at 6, bU1DevExitLat at 7, wU2DevExitLat at 8. */
#define DEVCAP_BODY 3u

uint32_t usb_desc_add_usb2_ext(struct usb_desc_buf *b, uint32_t attributes)
{
    uint8_t d[USB_DEVCAP_USB2_EXT_BYTES] = {0};
    d[USB_DESC_LENGTH] = USB_DEVCAP_USB2_EXT_BYTES;
    d[USB_DESC_TYPE] = USB_DT_DEVICE_CAPABILITY;
    d[USB_DEVCAP_TYPE] = USB_DEVCAP_USB2_EXT;
    usb_put_le16(&d[DEVCAP_BODY], (uint16_t)attributes);
    usb_put_le16(&d[DEVCAP_BODY + 2], (uint16_t)(attributes >> 16));
    return usb_desc_put(b, d, sizeof d);
}

uint32_t usb_desc_add_ss_cap(struct usb_desc_buf *b, const struct usb_desc_ss_cap_fields *f)
{
    ASSERT(f != NULL);
    uint8_t d[USB_DEVCAP_SUPERSPEED_BYTES] = {0};
    d[USB_DESC_LENGTH] = USB_DEVCAP_SUPERSPEED_BYTES;
    d[USB_DESC_TYPE] = USB_DT_DEVICE_CAPABILITY;
    d[USB_DEVCAP_TYPE] = USB_DEVCAP_SUPERSPEED;
    d[DEVCAP_BODY] = f->attributes;
    usb_put_le16(&d[DEVCAP_BODY + 1], f->speeds_supported);
    d[DEVCAP_BODY + 3] = f->functionality_support;
    d[DEVCAP_BODY + 4] = f->u1_exit_lat_us;
    usb_put_le16(&d[DEVCAP_BODY + 5], f->u2_exit_lat_us);
    return usb_desc_put(b, d, sizeof d);
}

/* A string descriptor is its header and 16-bit units; both builders
 * assemble it in one bounded local buffer. */
static uint32_t put_units(struct usb_desc_buf *b, const uint16_t *units, uint32_t count)
{
    uint8_t d[USB_STRING_MAX_BYTES];
    uint32_t max_units = (USB_STRING_MAX_BYTES - USB_DESC_HEADER_BYTES) / 2;
    if (count > max_units)
        count = max_units;
    d[USB_DESC_LENGTH] = (uint8_t)(USB_DESC_HEADER_BYTES + 2 * count);
    d[USB_DESC_TYPE] = USB_DT_STRING;
    for (uint32_t i = 0; i < count; i++)
        usb_put_le16(&d[USB_DESC_HEADER_BYTES + 2 * i], units[i]);
    ASSERT(d[USB_DESC_LENGTH] <= DESC_BYTES_MAX);
    return usb_desc_put(b, d, d[USB_DESC_LENGTH]);
}

uint32_t usb_desc_add_langids(struct usb_desc_buf *b, const uint16_t *langids, uint32_t count)
{
    ASSERT(langids != NULL || count == 0);
    return put_units(b, langids, count);
}

uint32_t usb_desc_add_string(struct usb_desc_buf *b, const char *ascii)
{
    ASSERT(ascii != NULL);
    uint16_t units[(USB_STRING_MAX_BYTES - USB_DESC_HEADER_BYTES) / 2];
    uint32_t n = 0;
    while (n < sizeof units / sizeof units[0] && ascii[n] != '\0') {
        units[n] = (uint8_t)ascii[n] & 0x7fu; /* 7-bit text is its own UTF-16 */
        n++;
    }
    return put_units(b, units, n);
}

uint32_t usb_desc_config_limit(const uint8_t *blob, uint32_t len_bytes)
{
    ASSERT(blob != NULL || len_bytes == 0);
    if (len_bytes < USB_CFG_TOTAL_LENGTH + 2)
        return len_bytes;
    uint32_t total = usb_le16(&blob[USB_CFG_TOTAL_LENGTH]);
    return total < len_bytes ? total : len_bytes;
}

void usb_desc_iter_init(struct usb_desc_iter *it, const uint8_t *bytes, uint32_t limit_bytes)
{
    ASSERT(it != NULL);
    ASSERT(bytes != NULL || limit_bytes == 0);
    *it = (struct usb_desc_iter){.bytes = bytes, .limit_bytes = limit_bytes};
}

bool usb_desc_iter_next(struct usb_desc_iter *it, struct usb_desc_ref *out)
{
    ASSERT(it != NULL);
    ASSERT(out != NULL);
    ASSERT(it->off <= it->limit_bytes);
    uint32_t left = it->limit_bytes - it->off;
    uint8_t len = left < USB_DESC_HEADER_BYTES ? 0 : it->bytes[it->off + USB_DESC_LENGTH];
    if (len < USB_DESC_HEADER_BYTES || len > left) {
        it->off = it->limit_bytes; /* ended for good: nothing after garbage is trusted */
        return false;
    }
    *out = (struct usb_desc_ref){it->off, len, it->bytes[it->off + USB_DESC_TYPE]};
    it->off += len;
    return true;
}

uint32_t usb_desc_add_bos_5g(struct usb_desc_buf *b)
{
    uint32_t at = usb_desc_add_bos(b, 2);
    usb_desc_add_usb2_ext(b, USB_DEVCAP_USB2_EXT_LPM);
    usb_desc_add_ss_cap(b, &(struct usb_desc_ss_cap_fields){
                               .speeds_supported = 0x000eu,   /* full, high, 5 Gb/s */
                               .functionality_support = 1u,   /* everything from full speed */
                               .u1_exit_lat_us = 10u, .u2_exit_lat_us = 500u});
    usb_desc_finish_total(b, at);
    return at;
}
