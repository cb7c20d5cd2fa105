/* Gadget zero's descriptors, built for the speed it runs at; see usb_zero.h. */
#include "impl/port/check.h"
#include "models/usb/usb_desc.h"
#include "models/usb/usb_zero_internal.h"

#define BCD_USB_2 0x0200u
#define BCD_USB_3 0x0300u
#define BCD_USB_32 0x0320u               /* SuperSpeed Plus */
#define BCD_DEVICE 0x0100u
#define LANGID_EN_US 0x0409u
#define MAX_POWER_UNITS 1u               /* 2 mA below SuperSpeed, 8 mA at it */
#define INTR_INTERVAL_FS 1u              /* frames: 1 ms */
#define INTR_INTERVAL_HS 4u              /* 2^(4-1) microframes: 1 ms */

/* What was appended to b since offset at. */
static struct usb_blob since(const struct usb_desc_buf *b, uint32_t at)
{
    return (struct usb_blob){b->bytes + at, b->len_bytes - at};
}

/* String indices (iManufacturer, ...); USB_ZERO_STRINGS of them. */
enum { STR_LANGIDS, STR_MANUFACTURER, STR_PRODUCT, STR_SERIAL, STR_SOURCE_SINK, STR_LOOPBACK };
_Static_assert(STR_LOOPBACK + 1 == USB_ZERO_STRINGS, "every string has a slot");

uint16_t usb_zero_bulk_max_packet(enum usb_speed speed)
{
    switch (speed) {
    case USB_SPEED_FULL: return USB_FS_BULK_MPS_MAX;
    case USB_SPEED_HIGH: return USB_HS_BULK_MPS;
    case USB_SPEED_SUPER:
    case USB_SPEED_SUPER_PLUS: return USB_SS_BULK_MPS;
    case USB_SPEED_LOW:
    case USB_SPEED_COUNT: break;
    }
    return 0; /* no bulk endpoints at low speed */
}

static struct usb_desc_device_fields device_fields(enum usb_speed speed)
{
    uint16_t bcd = speed == USB_SPEED_SUPER_PLUS ? BCD_USB_32
                 : speed == USB_SPEED_SUPER ? BCD_USB_3 : BCD_USB_2;
    return (struct usb_desc_device_fields){
        .bcd_usb = bcd,
        .dev_class = USB_CLASS_VENDOR,
        .max_packet0 = usb_speed_is_super(speed) ? USB_SS_MAX_PACKET0_EXP : USB_HS_CONTROL_MPS,
        .vendor = USB_ZERO_VENDOR_ID,
        .product = USB_ZERO_PRODUCT_ID,
        .bcd_device = BCD_DEVICE,
        .i_manufacturer = STR_MANUFACTURER,
        .i_product = STR_PRODUCT,
        .i_serial = STR_SERIAL,
        .num_configs = 1,
    };
}

/* One alternate setting: the interface and its three endpoints. */
static void add_setting(struct usb_desc_buf *b, enum usb_speed speed, uint8_t alt,
                        enum usb_zero_mode mode, uint8_t max_burst)
{
    usb_desc_add_interface(b, &(struct usb_desc_interface_fields){
                                  .number = USB_ZERO_INTERFACE, .alternate = alt,
                                  .num_endpoints = 3, .if_class = USB_CLASS_VENDOR,
                                  .i_interface = mode == USB_ZERO_LOOPBACK ? STR_LOOPBACK
                                                                           : STR_SOURCE_SINK});
    uint16_t bulk = usb_zero_bulk_max_packet(speed);
    static const uint8_t bulk_eps[] = {USB_ZERO_EP_BULK_IN, USB_ZERO_EP_BULK_OUT};
    for (uint32_t i = 0; i < 2; i++) {
        usb_desc_add_endpoint(b, bulk_eps[i], USB_EP_XFER_BULK, bulk, 0);
        if (usb_speed_is_super(speed))
            usb_desc_add_ss_companion(b, max_burst, 0, 0);
    }
    uint8_t interval = speed == USB_SPEED_FULL ? INTR_INTERVAL_FS : INTR_INTERVAL_HS;
    usb_desc_add_endpoint(b, USB_ZERO_EP_INTR_IN, USB_EP_XFER_INTERRUPT,
                          USB_ZERO_INTR_MAX_PACKET, interval);
    if (usb_speed_is_super(speed))
        usb_desc_add_ss_companion(b, 0, 0, USB_ZERO_INTR_MAX_PACKET);
}

/* The configuration as it is at `speed` (type CONFIG, or OTHER_SPEED_CONFIG
 * for the speed the device is not running at). */
static struct usb_blob add_config(struct usb_desc_buf *b, uint8_t type, enum usb_speed speed,
                                  const struct usb_zero_config *cfg)
{
    uint32_t at = usb_desc_add_config(b, type, &(struct usb_desc_config_fields){
                                                   .num_interfaces = 1,
                                                   .value = USB_ZERO_CONFIG_VALUE,
                                                   .attributes = USB_CFG_ATTR_SELF_POWERED,
                                                   .max_power = MAX_POWER_UNITS});
    enum usb_zero_mode other = cfg->mode == USB_ZERO_LOOPBACK ? USB_ZERO_SOURCE_SINK
                                                              : USB_ZERO_LOOPBACK;
    add_setting(b, speed, 0, cfg->mode, cfg->ss_max_burst);
    add_setting(b, speed, 1, other, cfg->ss_max_burst);
    usb_desc_finish_total(b, at);
    return since(b, at);
}

static struct usb_blob add_bos(struct usb_desc_buf *b)
{
    return since(b, usb_desc_add_bos_5g(b));
}

static void add_strings(struct usb_desc_buf *b, struct usb_zero_descs *o, const char *serial)
{
    static const uint16_t langids[] = {LANGID_EN_US};
    o->strings[STR_LANGIDS] = since(b, usb_desc_add_langids(b, langids, 1));
    o->strings[STR_MANUFACTURER] = since(b, usb_desc_add_string(b, "iosim"));
    o->strings[STR_PRODUCT] = since(b, usb_desc_add_string(b, "Gadget Zero"));
    o->strings[STR_SERIAL] = since(b, usb_desc_add_string(b, serial));
    o->strings[STR_SOURCE_SINK] = since(b, usb_desc_add_string(b, "source and sink data"));
    o->strings[STR_LOOPBACK] = since(b, usb_desc_add_string(b, "loop input to output"));
}

enum iosim_err usb_zero_build_descs(struct usb_zero_descs *o, const struct usb_zero_config *cfg)
{
    ASSERT(o != NULL);
    ASSERT(cfg != NULL);
    struct usb_desc_buf b;
    usb_desc_buf_init(&b, o->pool, sizeof o->pool);
    struct usb_desc_device_fields dev = device_fields(cfg->speed);
    o->device = since(&b, usb_desc_add_device(&b, &dev));
    o->config = add_config(&b, USB_DT_CONFIG, cfg->speed, cfg);
    if (usb_speed_is_super(cfg->speed)) {
        o->bos = add_bos(&b);
    } else {
        enum usb_speed other = cfg->speed == USB_SPEED_HIGH ? USB_SPEED_FULL : USB_SPEED_HIGH;
        struct usb_desc_device_fields q = device_fields(other);
        o->qualifier = since(&b, usb_desc_add_qualifier(&b, &q));
        o->other_speed = add_config(&b, USB_DT_OTHER_SPEED_CONFIG, other, cfg);
    }
    add_strings(&b, o, cfg->name);
    ASSERT(b.len_bytes <= sizeof o->pool);
    return b.overflow ? IOSIM_ENOSPC : IOSIM_OK;
}
