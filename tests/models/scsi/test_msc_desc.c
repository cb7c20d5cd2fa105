/* models/scsi/msc_desc: the storage device's descriptors at each speed,
 * read back by the driver's own defensive parser (impl/drivers/xhcid/
 * usb_parse.h): a mass-storage interface with two bulk endpoints sized
 * for the speed, SuperSpeed companions, and nothing the parser refuses. */
#include <criterion/criterion.h>

#include "impl/drivers/xhcid/usb_parse.h"
#include "impl/port/spec/usb_bot.h"
#include "models/scsi/msc_bot.h"
#include "models/scsi/msc_desc.h"

static void check_speed(enum usb_speed speed, enum usb_parse_speed ps, uint16_t mps)
{
    struct msc_descs d;
    cr_assert_eq(msc_build_descs(&d, &(struct msc_desc_fields){.speed = speed}), IOSIM_OK);
    struct usb_device_info dev;
    struct usb_parse_problem p = {0};
    cr_assert_eq(usb_parse_device(d.device.bytes, d.device.len_bytes, ps, &dev, &p), IOSIM_OK,
                 "%s", p.what);
    cr_expect_eq(dev.vendor, MSC_DESC_VENDOR);
    cr_expect_eq(dev.product, MSC_DESC_PRODUCT);
    struct usb_config_info c;
    cr_assert_eq(usb_parse_config(d.config.bytes, d.config.len_bytes, ps, &c, &p), IOSIM_OK,
                 "%s", p.what);
    cr_assert_eq(c.iface_count, 1);
    const struct usb_interface_info *in = &c.iface[0];
    cr_expect_eq(in->cls, USB_BOT_CLASS);
    cr_expect_eq(in->subclass, USB_BOT_SUBCLASS_SCSI);
    cr_expect_eq(in->protocol, USB_BOT_PROTOCOL_BOT);
    cr_assert_eq(in->num_eps, 2);
    cr_expect_eq(in->ep[0].address, MSC_BOT_EP_IN);
    cr_expect_eq(in->ep[1].address, MSC_BOT_EP_OUT);
    for (uint32_t i = 0; i < 2; i++) {
        cr_expect_eq(in->ep[i].xfer, USB_EP_XFER_BULK);
        cr_expect_eq(in->ep[i].max_packet, mps);
        cr_expect_eq(in->ep[i].max_burst, ps == USB_PARSE_SUPER ? MSC_DESC_SS_MAX_BURST : 0);
    }
    char text[64];
    cr_assert_eq(usb_parse_string(d.strings[2].bytes, d.strings[2].len_bytes, text, sizeof text, &p),
                 IOSIM_OK);
    cr_expect_str_eq(text, "QEMU USB HARDDRIVE");
}

Test(msc_desc, the_driver_parses_the_device_at_every_speed)
{
    check_speed(USB_SPEED_FULL, USB_PARSE_FULL, 64);
    check_speed(USB_SPEED_HIGH, USB_PARSE_HIGH, 512);
    check_speed(USB_SPEED_SUPER, USB_PARSE_SUPER, 1024);
}

Test(msc_desc, low_speed_has_no_bulk_and_is_refused)
{
    struct msc_descs d;
    cr_expect_eq(msc_build_descs(&d, &(struct msc_desc_fields){.speed = USB_SPEED_LOW}),
                 IOSIM_EINVAL);
}
