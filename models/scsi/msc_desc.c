/* The mass-storage device's descriptors; see msc_desc.h. */
#include "models/scsi/msc_desc.h"

#include "impl/port/check.h"
#include "impl/port/spec/usb_bot.h"
#include "models/scsi/msc_bot.h"
#include "models/usb/usb_desc.h"

#define BCD_USB_2 0x0200u
#define BCD_USB_3 0x0300u
#define BCD_DEVICE 0x0100u
#define LANGID_EN_US 0x0409u
#define MAX_POWER_UNITS 250u             /* 500 mA below SuperSpeed (2 mA units) */
#define MAX_POWER_UNITS_SS 112u          /* 896 mA at SuperSpeed (8 mA units) */

enum { STR_LANGIDS, STR_MANUFACTURER, STR_PRODUCT, STR_SERIAL };

static struct usb_blob since(const struct usb_desc_buf *b, uint32_t at)
{
    return (struct usb_blob){b->bytes + at, b->len_bytes - at};
}

static uint16_t bulk_packet(enum usb_speed speed)
{
    return speed == USB_SPEED_FULL ? USB_FS_BULK_MPS_MAX
           : speed == USB_SPEED_HIGH ? USB_HS_BULK_MPS : USB_SS_BULK_MPS;
}

static struct usb_desc_device_fields device_fields(const struct msc_desc_fields *f,
                                                   enum usb_speed speed)
{
    return (struct usb_desc_device_fields){
        .bcd_usb = usb_speed_is_super(speed) ? BCD_USB_3 : BCD_USB_2,
        .max_packet0 = usb_speed_is_super(speed) ? USB_SS_MAX_PACKET0_EXP : USB_HS_CONTROL_MPS,
        .vendor = f->vendor != 0 ? f->vendor : MSC_DESC_VENDOR,
        .product = f->product != 0 ? f->product : MSC_DESC_PRODUCT, .bcd_device = BCD_DEVICE,
        .i_manufacturer = STR_MANUFACTURER, .i_product = STR_PRODUCT, .i_serial = STR_SERIAL,
        .num_configs = 1};
}

static struct usb_blob add_config(struct usb_desc_buf *b, uint8_t type, enum usb_speed speed)
{
    bool ss = usb_speed_is_super(speed);
    uint32_t at = usb_desc_add_config(b, type, &(struct usb_desc_config_fields){
                                                   .num_interfaces = 1,
                                                   .value = MSC_DESC_CONFIG_VALUE,
                                                   .max_power = ss ? MAX_POWER_UNITS_SS
                                                                   : MAX_POWER_UNITS});
    usb_desc_add_interface(b, &(struct usb_desc_interface_fields){
                                  .number = MSC_DESC_INTERFACE, .num_endpoints = 2,
                                  .if_class = USB_BOT_CLASS, .if_subclass = USB_BOT_SUBCLASS_SCSI,
                                  .if_protocol = USB_BOT_PROTOCOL_BOT});
    static const uint8_t eps[] = {MSC_BOT_EP_IN, MSC_BOT_EP_OUT};
    for (uint32_t i = 0; i < 2; i++) {
        usb_desc_add_endpoint(b, eps[i], USB_EP_XFER_BULK, bulk_packet(speed), 0);
        if (ss)
            usb_desc_add_ss_companion(b, MSC_DESC_SS_MAX_BURST, 0, 0);
    }
    usb_desc_finish_total(b, at);
    return since(b, at);
}

static struct usb_blob add_bos(struct usb_desc_buf *b)
{
    return since(b, usb_desc_add_bos_5g(b));
}

enum iosim_err msc_build_descs(struct msc_descs *o, const struct msc_desc_fields *f)
{
    ASSERT(o != NULL && f != NULL);
    if (f->speed == USB_SPEED_LOW || f->speed >= USB_SPEED_COUNT)
        return IOSIM_EINVAL;
    struct usb_desc_buf b;
    usb_desc_buf_init(&b, o->pool, sizeof o->pool);
    struct usb_desc_device_fields dev = device_fields(f, f->speed);
    o->device = since(&b, usb_desc_add_device(&b, &dev));
    o->config = add_config(&b, USB_DT_CONFIG, f->speed);
    o->bos = o->qualifier = o->other_speed = (struct usb_blob){0};
    if (usb_speed_is_super(f->speed)) {
        o->bos = add_bos(&b);
    } else {
        enum usb_speed other = f->speed == USB_SPEED_HIGH ? USB_SPEED_FULL : USB_SPEED_HIGH;
        struct usb_desc_device_fields q = device_fields(f, other);
        o->qualifier = since(&b, usb_desc_add_qualifier(&b, &q));
        o->other_speed = add_config(&b, USB_DT_OTHER_SPEED_CONFIG, other);
    }
    static const uint16_t langids[] = {LANGID_EN_US};
    o->strings[STR_LANGIDS] = since(&b, usb_desc_add_langids(&b, langids, 1));
    o->strings[STR_MANUFACTURER] =
        since(&b, usb_desc_add_string(&b, f->manufacturer != NULL ? f->manufacturer : "QEMU"));
    o->strings[STR_PRODUCT] = since(
        &b, usb_desc_add_string(&b, f->product_name != NULL ? f->product_name : "QEMU USB HARDDRIVE"));
    o->strings[STR_SERIAL] = since(&b, usb_desc_add_string(&b, f->serial != NULL ? f->serial : "1"));
    return b.overflow ? IOSIM_ENOSPC : IOSIM_OK;
}
