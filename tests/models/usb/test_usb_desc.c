/*
 * models/usb/usb_desc: each builder's bytes against the layout of its
 * descriptor [USB2 9.6], [USB32 9.6], overflow behaviour, and the walk's
 * guarantees on garbage (bLength below 2, truncation, wTotalLength that
 * lies, zero-length loops).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "models/usb/usb_desc.h"

static uint8_t raw[512];
static struct usb_desc_buf b;

static void fresh(uint32_t cap)
{
    memset(raw, 0xee, sizeof raw);
    usb_desc_buf_init(&b, raw, cap);
}

Test(usb_desc_build, device_and_qualifier_put_each_field_at_its_offset)
{
    fresh(sizeof raw);
    struct usb_desc_device_fields f = {
        .bcd_usb = 0x0210, .dev_class = 0xef, .dev_subclass = 2, .dev_protocol = 1,
        .max_packet0 = 64, .vendor = 0x0525, .product = 0xa4a0, .bcd_device = 0x0317,
        .i_manufacturer = 1, .i_product = 2, .i_serial = 3, .num_configs = 2};
    cr_assert_eq(usb_desc_add_device(&b, &f), 0);
    const uint8_t dev[] = {18, 1, 0x10, 0x02, 0xef, 2, 1, 64, 0x25, 0x05, 0xa0, 0xa4,
                           0x17, 0x03, 1, 2, 3, 2};
    cr_assert_arr_eq(raw, dev, sizeof dev);
    cr_assert_eq(usb_desc_add_qualifier(&b, &f), 18);
    const uint8_t qual[] = {10, 6, 0x10, 0x02, 0xef, 2, 1, 64, 2, 0};
    cr_assert_arr_eq(raw + 18, qual, sizeof qual);
    cr_assert_eq(b.len_bytes, 28);
    cr_assert(!b.overflow);
}

Test(usb_desc_build, a_configuration_totals_what_follows_its_header)
{
    fresh(sizeof raw);
    uint32_t at = usb_desc_add_config(&b, USB_DT_CONFIG, &(struct usb_desc_config_fields){
                                                            .num_interfaces = 1, .value = 3,
                                                            .i_config = 4,
                                                            .attributes = USB_CFG_ATTR_SELF_POWERED,
                                                            .max_power = 50});
    usb_desc_add_interface(&b, &(struct usb_desc_interface_fields){
                                   .number = 0, .alternate = 1, .num_endpoints = 1,
                                   .if_class = 8, .if_subclass = 6, .if_protocol = 0x50,
                                   .i_interface = 5});
    usb_desc_add_endpoint(&b, 0x81, USB_EP_XFER_BULK, 1024, 0);
    usb_desc_add_ss_companion(&b, 15, 4, 0);
    usb_desc_finish_total(&b, at);
    const uint8_t want[] = {
        9, 2, 31, 0, 1, 3, 4, 0xc0, 50,         /* header: wTotalLength 9+9+7+6 */
        9, 4, 0, 1, 1, 8, 6, 0x50, 5,           /* interface */
        7, 5, 0x81, 2, 0x00, 0x04, 0,           /* endpoint */
        6, 0x30, 15, 4, 0, 0,                   /* companion */
    };
    cr_assert_eq(b.len_bytes, sizeof want);
    cr_assert_arr_eq(raw, want, sizeof want);
    fresh(sizeof raw);
    at = usb_desc_add_config(&b, USB_DT_OTHER_SPEED_CONFIG, &(struct usb_desc_config_fields){0});
    usb_desc_finish_total(&b, at);
    const uint8_t other[] = {9, 7, 9, 0, 0, 0, 0, 0x80, 0};
    cr_assert_arr_eq(raw, other, sizeof other);
}

Test(usb_desc_build, a_bos_totals_its_capabilities)
{
    fresh(sizeof raw);
    uint32_t at = usb_desc_add_bos(&b, 2);
    usb_desc_add_usb2_ext(&b, USB_DEVCAP_USB2_EXT_LPM);
    usb_desc_add_ss_cap(&b, &(struct usb_desc_ss_cap_fields){
                                .attributes = 2, .speeds_supported = 0x000e,
                                .functionality_support = 1, .u1_exit_lat_us = 10,
                                .u2_exit_lat_us = 0x01f4});
    usb_desc_finish_total(&b, at);
    const uint8_t want[] = {
        5, 0x0f, 22, 0, 2,
        7, 0x10, 2, 2, 0, 0, 0,
        10, 0x10, 3, 2, 0x0e, 0, 1, 10, 0xf4, 0x01,
    };
    cr_assert_eq(b.len_bytes, sizeof want);
    cr_assert_arr_eq(raw, want, sizeof want);
}

Test(usb_desc_build, strings_are_utf16le_and_cut_at_126_characters)
{
    fresh(sizeof raw);
    const uint16_t langs[] = {0x0409, 0x0407};
    usb_desc_add_langids(&b, langs, 2);
    usb_desc_add_string(&b, "Ab");
    usb_desc_add_string(&b, "");
    const uint8_t want[] = {6, 3, 0x09, 0x04, 0x07, 0x04, 6, 3, 'A', 0, 'b', 0, 2, 3};
    cr_assert_eq(b.len_bytes, sizeof want);
    cr_assert_arr_eq(raw, want, sizeof want);
    fresh(sizeof raw);
    char text[201];
    memset(text, 'x', 200);
    text[200] = '\0';
    usb_desc_add_string(&b, text);
    cr_assert_eq(b.len_bytes, USB_STRING_MAX_BYTES);
    cr_assert_eq(raw[0], USB_STRING_MAX_BYTES);
    cr_assert_eq(raw[USB_STRING_MAX_BYTES - 2], 'x');
    cr_assert_eq(raw[USB_STRING_MAX_BYTES], 0xee, "nothing past bLength");
}

Test(usb_desc_build, an_append_that_does_not_fit_writes_nothing_and_marks_overflow)
{
    fresh(10);
    struct usb_desc_device_fields f = {0};
    cr_assert_eq(usb_desc_add_device(&b, &f), 0);
    cr_assert(b.overflow);
    cr_assert_eq(b.len_bytes, 0);
    cr_assert_eq(raw[0], 0xee);
    cr_assert_eq(usb_desc_add_endpoint(&b, 1, USB_EP_XFER_BULK, 64, 0), 0, "a smaller one fits");
    cr_assert_eq(b.len_bytes, 7);
    uint32_t at = usb_desc_add_config(&b, USB_DT_CONFIG, &(struct usb_desc_config_fields){0});
    cr_assert_eq(at, 7, "not appended");
    usb_desc_finish_total(&b, at); /* nothing to patch: must not write */
    cr_assert_eq(raw[7], 0xee);
    cr_assert_eq(raw[9], 0xee);
    cr_assert(b.overflow, "overflow stays set");
}

/* ---- the walk ------------------------------------------------------------------------------ */

static uint32_t walk(const uint8_t *p, uint32_t limit, struct usb_desc_ref *refs, uint32_t max)
{
    struct usb_desc_iter it;
    usb_desc_iter_init(&it, p, limit);
    uint32_t n = 0;
    struct usb_desc_ref r;
    while (usb_desc_iter_next(&it, &r)) {
        cr_assert_geq(r.len, 2);
        cr_assert_leq(r.off + r.len, limit);
        if (n < max)
            refs[n] = r;
        n++;
        cr_assert_leq(n, limit / 2, "every step advances at least 2 bytes");
    }
    cr_assert_eq(it.off, limit, "an ended walk stays at the limit");
    cr_assert(!usb_desc_iter_next(&it, &r));
    return n;
}

Test(usb_desc_walk, visits_each_descriptor_once_in_order)
{
    const uint8_t p[] = {9, 2, 23, 0, 1, 1, 0, 0x80, 0, 9, 4, 0, 0, 1, 0xff, 0, 0, 0,
                         5, 0x24, 1, 2, 3};
    struct usb_desc_ref r[8];
    cr_assert_eq(walk(p, sizeof p, r, 8), 3);
    cr_assert_eq(r[0].off, 0);
    cr_assert_eq(r[0].type, USB_DT_CONFIG);
    cr_assert_eq(r[1].off, 9);
    cr_assert_eq(r[1].type, USB_DT_INTERFACE);
    cr_assert_eq(r[2].off, 18);
    cr_assert_eq(r[2].len, 5);
    cr_assert_eq(r[2].type, 0x24);
}

Test(usb_desc_walk, garbage_ends_the_walk)
{
    struct usb_desc_ref r[8];
    const uint8_t zero_len[] = {9, 2, 30, 0, 1, 1, 0, 0x80, 0, 0, 4, 9, 4, 0, 0, 0, 0, 0, 0};
    cr_assert_eq(walk(zero_len, sizeof zero_len, r, 8), 1, "bLength 0: a loop, ended");
    const uint8_t one_len[] = {2, 9, 1, 4, 9, 4};
    cr_assert_eq(walk(one_len, sizeof one_len, r, 8), 1, "bLength 1");
    const uint8_t truncated[] = {2, 9, 9, 4, 0, 0};
    cr_assert_eq(walk(truncated, sizeof truncated, r, 8), 1, "runs past the end");
    const uint8_t odd_tail[] = {2, 9, 2, 9, 7};
    cr_assert_eq(walk(odd_tail, sizeof odd_tail, r, 8), 2, "one byte left: not a header");
    static const uint8_t zeros[65535];
    cr_assert_eq(walk(zeros, sizeof zeros, r, 8), 0);
    static uint8_t twos[65535];
    memset(twos, 2, sizeof twos);
    cr_assert_eq(walk(twos, sizeof twos, r, 8), sizeof twos / 2, "the longest walk");
    cr_assert_eq(walk(NULL, 0, r, 8), 0);
}

Test(usb_desc_walk, the_limit_is_wtotallength_or_the_blob_whichever_is_less)
{
    uint8_t p[40] = {9, 2, 18, 0};
    cr_assert_eq(usb_desc_config_limit(p, sizeof p), 18);
    p[2] = 200;
    cr_assert_eq(usb_desc_config_limit(p, sizeof p), 40);
    p[2] = 0;
    cr_assert_eq(usb_desc_config_limit(p, sizeof p), 0);
    cr_assert_eq(usb_desc_config_limit(p, 3), 3, "too short to have wTotalLength");
    cr_assert_eq(usb_desc_config_limit(NULL, 0), 0);
    const uint8_t le[] = {9, 2, 0x01, 0x01};
    cr_assert_eq(usb_desc_config_limit(le, 4), 4);
    uint8_t big[300] = {9, 2, 0x01, 0x01};
    cr_assert_eq(usb_desc_config_limit(big, sizeof big), 257, "little-endian");
}
