/*
 * impl/port/spec/usb_ch9.h against the tables of USB 2.0 and USB 3.2
 * chapter 9 (and the packet size rules of USB 2.0 chapter 5): each row is a
 * fact as the spec prints it, and the relations between facts are checked
 * too: request codes, descriptor types and feature selectors are distinct,
 * descriptor fields follow one another up to bLength, bit fields of one
 * byte or word do not overlap, packet sizes fit wMaxPacketSize.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "impl/port/spec/usb_ch9.h"
#include "tests/impl/spec/spec_test_util.h"

/* [USB2 9.3, table 9-2] */
static const struct fact setup[] = {
    FACT(USB_SETUP_BYTES, 8), FACT(USB_SETUP_REQUEST_TYPE, 0), FACT(USB_SETUP_REQUEST, 1),
    FACT(USB_SETUP_VALUE, 2), FACT(USB_SETUP_INDEX, 4), FACT(USB_SETUP_LENGTH, 6),
    FACT(USB_RT_DIR_IN, BIT(7)), FACT(USB_RT_TYPE_MASK, BITS(6, 5)), FACT(USB_RT_TYPE_SHIFT, 5),
    FACT(USB_RT_RECIPIENT_MASK, BITS(4, 0)), FACT(USB_RT_TYPE_STANDARD, 0),
    FACT(USB_RT_TYPE_CLASS, 1), FACT(USB_RT_TYPE_VENDOR, 2), FACT(USB_RT_RECIPIENT_DEVICE, 0),
    FACT(USB_RT_RECIPIENT_INTERFACE, 1), FACT(USB_RT_RECIPIENT_ENDPOINT, 2),
    FACT(USB_RT_RECIPIENT_OTHER, 3),
};

/* [USB2 9.4 tables 9-4, 9-6, 9-7, 9.4.5], [USB32 9.4] */
static const struct fact requests[] = {
    FACT(USB_REQ_GET_STATUS, 0), FACT(USB_REQ_CLEAR_FEATURE, 1), FACT(USB_REQ_SET_FEATURE, 3),
    FACT(USB_REQ_SET_ADDRESS, 5), FACT(USB_REQ_GET_DESCRIPTOR, 6),
    FACT(USB_REQ_SET_DESCRIPTOR, 7), FACT(USB_REQ_GET_CONFIGURATION, 8),
    FACT(USB_REQ_SET_CONFIGURATION, 9), FACT(USB_REQ_GET_INTERFACE, 10),
    FACT(USB_REQ_SET_INTERFACE, 11), FACT(USB_REQ_SYNCH_FRAME, 12),
    FACT(USB_REQ_SET_SEL, 48), FACT(USB_REQ_SET_ISOCH_DELAY, 49),
};

static const struct fact features[] = {
    FACT(USB_DESC_TYPE_SHIFT, 8), FACT(USB_ADDRESS_MAX, 127),
    FACT(USB_STATUS_SELF_POWERED, BIT(0)), FACT(USB_STATUS_REMOTE_WAKEUP, BIT(1)),
    FACT(USB_STATUS_U1_ENABLED, BIT(2)), FACT(USB_STATUS_U2_ENABLED, BIT(3)),
    FACT(USB_STATUS_LTM_ENABLED, BIT(4)), FACT(USB_STATUS_HALT, BIT(0)),
    FACT(USB_FEATURE_ENDPOINT_HALT, 0), FACT(USB_FEATURE_FUNCTION_SUSPEND, 0),
    FACT(USB_FEATURE_REMOTE_WAKEUP, 1), FACT(USB_FEATURE_TEST_MODE, 2),
    FACT(USB_FEATURE_U1_ENABLE, 48), FACT(USB_FEATURE_U2_ENABLE, 49),
    FACT(USB_FEATURE_LTM_ENABLE, 50),
    FACT(USB_TEST_J, 1), FACT(USB_TEST_K, 2), FACT(USB_TEST_SE0_NAK, 3),
    FACT(USB_TEST_PACKET, 4), FACT(USB_TEST_FORCE_ENABLE, 5),
};

/* [USB2 9.4 table 9-5], [USB32 9.4]: every type this header knows, each once */
static const struct fact descriptor_types[] = {
    FACT(USB_DT_DEVICE, 1), FACT(USB_DT_CONFIG, 2), FACT(USB_DT_STRING, 3),
    FACT(USB_DT_INTERFACE, 4), FACT(USB_DT_ENDPOINT, 5), FACT(USB_DT_DEVICE_QUALIFIER, 6),
    FACT(USB_DT_OTHER_SPEED_CONFIG, 7), FACT(USB_DT_INTERFACE_POWER, 8), FACT(USB_DT_OTG, 9),
    FACT(USB_DT_DEBUG, 10), FACT(USB_DT_INTERFACE_ASSOCIATION, 11), FACT(USB_DT_BOS, 15),
    FACT(USB_DT_DEVICE_CAPABILITY, 16), FACT(USB_DT_SS_EP_COMPANION, 48),
    FACT(USB_DT_SSP_ISOCH_EP_COMPANION, 49),
};

/* [USB2 9.6.1 table 9-8, 9.6.3 table 9-10, 9.6.5 table 9-12, 9.6.6 table 9-13],
 * [USB32 9.6.2, 9.6.3, 9.6.7] */
static const struct fact descriptors[] = {
    FACT(USB_DESC_HEADER_BYTES, 2), FACT(USB_DT_DEVICE_BYTES, 18), FACT(USB_DT_CONFIG_BYTES, 9),
    FACT(USB_DT_INTERFACE_BYTES, 9), FACT(USB_DT_ENDPOINT_BYTES, 7),
    FACT(USB_DT_DEVICE_QUALIFIER_BYTES, 10), FACT(USB_DT_INTERFACE_ASSOCIATION_BYTES, 8),
    FACT(USB_DT_BOS_BYTES, 5), FACT(USB_DT_SS_EP_COMPANION_BYTES, 6),
    FACT(USB_DT_SSP_ISOCH_EP_COMPANION_BYTES, 8), FACT(USB_STRING_MAX_BYTES, 254),
    FACT(USB_DESC_LENGTH, 0), FACT(USB_DESC_TYPE, 1),
    FACT(USB_DEV_BCD_USB, 2), FACT(USB_DEV_CLASS, 4), FACT(USB_DEV_SUBCLASS, 5),
    FACT(USB_DEV_PROTOCOL, 6), FACT(USB_DEV_MAX_PACKET0, 7), FACT(USB_DEV_VENDOR, 8),
    FACT(USB_DEV_PRODUCT, 10), FACT(USB_DEV_BCD_DEVICE, 12), FACT(USB_DEV_MANUFACTURER, 14),
    FACT(USB_DEV_PRODUCT_STRING, 15), FACT(USB_DEV_SERIAL, 16), FACT(USB_DEV_NUM_CONFIGS, 17),
    FACT(USB_CFG_TOTAL_LENGTH, 2), FACT(USB_CFG_NUM_INTERFACES, 4), FACT(USB_CFG_VALUE, 5),
    FACT(USB_CFG_STRING, 6), FACT(USB_CFG_ATTRIBUTES, 7), FACT(USB_CFG_MAX_POWER, 8),
    FACT(USB_CFG_ATTR_ONE, BIT(7)), FACT(USB_CFG_ATTR_SELF_POWERED, BIT(6)),
    FACT(USB_CFG_ATTR_REMOTE_WAKEUP, BIT(5)), FACT(USB_CFG_MAX_POWER_UNIT_MA, 2),
    FACT(USB_CFG_MAX_POWER_UNIT_SS_MA, 8),
    FACT(USB_IF_NUMBER, 2), FACT(USB_IF_ALTERNATE, 3), FACT(USB_IF_NUM_ENDPOINTS, 4),
    FACT(USB_IF_CLASS, 5), FACT(USB_IF_SUBCLASS, 6), FACT(USB_IF_PROTOCOL, 7),
    FACT(USB_IF_STRING, 8),
    FACT(USB_EP_ADDRESS, 2), FACT(USB_EP_ATTRIBUTES, 3), FACT(USB_EP_MAX_PACKET, 4),
    FACT(USB_EP_INTERVAL, 6), FACT(USB_EP_ADDR_NUMBER_MASK, BITS(3, 0)),
    FACT(USB_EP_ADDR_DIR_IN, BIT(7)), FACT(USB_EP_NUMBER_MAX, 15),
    FACT(USB_EP_XFER_MASK, BITS(1, 0)), FACT(USB_EP_XFER_CONTROL, 0),
    FACT(USB_EP_XFER_ISOCH, 1), FACT(USB_EP_XFER_BULK, 2), FACT(USB_EP_XFER_INTERRUPT, 3),
    FACT(USB_EP_SYNC_MASK, BITS(3, 2)), FACT(USB_EP_SYNC_SHIFT, 2), FACT(USB_EP_SYNC_NONE, 0),
    FACT(USB_EP_SYNC_ASYNC, 1), FACT(USB_EP_SYNC_ADAPTIVE, 2), FACT(USB_EP_SYNC_SYNC, 3),
    FACT(USB_EP_USAGE_MASK, BITS(5, 4)), FACT(USB_EP_USAGE_SHIFT, 4),
    FACT(USB_EP_USAGE_DATA, 0), FACT(USB_EP_USAGE_FEEDBACK, 1),
    FACT(USB_EP_USAGE_IMPLICIT_FEEDBACK, 2), FACT(USB_EP_MPS_SIZE_MASK, BITS(10, 0)),
    FACT(USB_EP_MPS_MULT_MASK, BITS(12, 11)), FACT(USB_EP_MPS_MULT_SHIFT, 11),
    FACT(USB_EP_MPS_MULT_MAX, 2), FACT(USB_EP_MPS_RESERVED_MASK, BITS(15, 13)),
    FACT(USB_EP_ADDR_RESERVED_MASK, BITS(6, 4)), FACT(USB_EP_INTERVAL_EXP_MIN, 1),
    FACT(USB_EP_INTERVAL_EXP_MAX, 16), FACT(USB_EP_INTERVAL_FRAMES_MIN, 1),
    FACT(USB_EP_INTERVAL_FRAMES_MAX, 255),
    FACT(USB_SSC_MAX_BURST, 2), FACT(USB_SSC_ATTRIBUTES, 3), FACT(USB_SSC_BYTES_PER_INTERVAL, 4),
    FACT(USB_SSC_MAX_BURST_MAX, 15), FACT(USB_SSC_BULK_MAX_STREAMS_MASK, BITS(4, 0)),
    FACT(USB_SSC_ISOCH_MULT_MASK, BITS(1, 0)), FACT(USB_SSC_SSP_ISOCH_COMPANION, BIT(7)),
    FACT(USB_SSC_BULK_MAX_STREAMS_MAX, 16), FACT(USB_SSC_ISOCH_MULT_MAX, 2),
    FACT(USB_BOS_TOTAL_LENGTH, 2), FACT(USB_BOS_NUM_CAPS, 4), FACT(USB_DEVCAP_TYPE, 2),
    FACT(USB_DEVCAP_USB2_EXT, 2), FACT(USB_DEVCAP_SUPERSPEED, 3),
    FACT(USB_DEVCAP_CONTAINER_ID, 4), FACT(USB_DEVCAP_USB2_EXT_BYTES, 7),
    FACT(USB_DEVCAP_SUPERSPEED_BYTES, 10), FACT(USB_DEVCAP_CONTAINER_ID_BYTES, 20),
    FACT(USB_DEVCAP_USB2_EXT_LPM, BIT(1)), FACT(USB_STRING_LANGIDS, 0),
    FACT(USB_STRING_CODE_UNIT_BYTES, 2),
};

/* [USB2 5.5.3, 5.6.3, 5.7.3, 5.8.3], [USB32 9.6.1, 9.6.6] */
static const struct fact speeds[] = {
    FACT(USB_LS_KBPS, 1500), FACT(USB_FS_KBPS, 12 * 1000), FACT(USB_HS_KBPS, 480 * 1000),
    FACT(USB_SS_KBPS, 5 * 1000 * 1000), FACT(USB_FRAME_US, 1000), FACT(USB_MICROFRAME_US, 125),
    FACT(USB_LS_CONTROL_MPS, 8), FACT(USB_LS_INTERRUPT_MPS_MAX, 8),
    FACT(USB_FS_CONTROL_MPS_MAX, 64), FACT(USB_FS_BULK_MPS_MAX, 64),
    FACT(USB_FS_INTERRUPT_MPS_MAX, 64), FACT(USB_FS_ISOCH_MPS_MAX, 1023),
    FACT(USB_HS_CONTROL_MPS, 64), FACT(USB_HS_BULK_MPS, 512),
    FACT(USB_HS_INTERRUPT_MPS_MAX, 1024), FACT(USB_HS_ISOCH_MPS_MAX, 1024),
    FACT(USB_SS_CONTROL_MPS, 512), FACT(USB_SS_BULK_MPS, 1024),
    FACT(USB_SS_INTERRUPT_MPS_MAX, 1024), FACT(USB_SS_ISOCH_MPS_MAX, 1024),
    FACT(USB_FS_CONTROL_MPS_MIN, 8), FACT(USB_SS_MAX_PACKET0_EXP, 9),
    FACT(USB_FS_BULK_MPS_MIN, 8),
};

/* USB-IF class codes; mass storage subclass and protocol codes */
static const struct fact classes[] = {
    FACT(USB_CLASS_PER_INTERFACE, 0x00), FACT(USB_CLASS_MASS_STORAGE, 0x08),
    FACT(USB_CLASS_VENDOR, 0xff), FACT(USB_MSC_SUBCLASS_SCSI, 0x06),
    FACT(USB_MSC_PROTOCOL_BOT, 0x50), FACT(USB_MSC_PROTOCOL_UAS, 0x62),
};

Test(usb_ch9, the_setup_packet_is_the_specs) { spec_check_facts(FACTS(setup)); }
Test(usb_ch9, the_request_codes_are_the_specs) { spec_check_facts(FACTS(requests)); }
Test(usb_ch9, the_features_and_status_bits_are_the_specs) { spec_check_facts(FACTS(features)); }
Test(usb_ch9, the_descriptor_types_are_the_specs) { spec_check_facts(FACTS(descriptor_types)); }
Test(usb_ch9, the_descriptor_layouts_are_the_specs) { spec_check_facts(FACTS(descriptors)); }
Test(usb_ch9, the_speeds_and_packet_sizes_are_the_specs) { spec_check_facts(FACTS(speeds)); }
Test(usb_ch9, the_class_codes_are_the_references) { spec_check_facts(FACTS(classes)); }

/* ---- relations ---------------------------------------------------------------------------- */

Test(usb_ch9, codes_of_one_kind_are_distinct)
{
    spec_check_distinct(FACTS(requests));
    spec_check_distinct(FACTS(descriptor_types));
    spec_check_distinct(ROWS(ROW(USB_FEATURE_REMOTE_WAKEUP), ROW(USB_FEATURE_TEST_MODE),
                             ROW(USB_FEATURE_U1_ENABLE), ROW(USB_FEATURE_U2_ENABLE),
                             ROW(USB_FEATURE_LTM_ENABLE)));
    spec_check_distinct(ROWS(ROW(USB_TEST_J), ROW(USB_TEST_K), ROW(USB_TEST_SE0_NAK),
                             ROW(USB_TEST_PACKET), ROW(USB_TEST_FORCE_ENABLE)));
    spec_check_distinct(ROWS(ROW(USB_DEVCAP_USB2_EXT), ROW(USB_DEVCAP_SUPERSPEED),
                             ROW(USB_DEVCAP_CONTAINER_ID)));
    spec_check_distinct(ROWS(ROW(USB_EP_XFER_CONTROL), ROW(USB_EP_XFER_ISOCH),
                             ROW(USB_EP_XFER_BULK), ROW(USB_EP_XFER_INTERRUPT)));
    spec_check_range(FACTS(requests), 0, 0xff);
    spec_check_range(FACTS(descriptor_types), 1, 0xff);
}

/* Fields follow one another without gaps from `at`, the last one ending at the length of
 * their packet or descriptor; value: the field's offset, spec: its size. */
static void check_fields_reach(const char *what, const struct fact *f, size_t n, uint64_t at,
                               uint64_t length)
{
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(f[i].value, at, "%s.%s is at %" PRIu64 ", the field before ends at %" PRIu64,
                     what, f[i].what, f[i].value, at);
        at = f[i].value + f[i].spec;
    }
    cr_expect_eq(at, length, "%s's fields end at %" PRIu64 ", bLength is %" PRIu64, what, at,
                 length);
}

#define FIELD_AT(offset, bytes) {#offset, offset, bytes}
/* after the bLength and bDescriptorType every descriptor opens with */
#define CHECK_FIELDS(what, table, length)                                                       \
    check_fields_reach(what, FACTS(table), USB_DESC_HEADER_BYTES, length)

Test(usb_ch9, descriptor_fields_fill_their_descriptor)
{
    static const struct fact device[] = {
        FIELD_AT(USB_DEV_BCD_USB, 2), FIELD_AT(USB_DEV_CLASS, 1), FIELD_AT(USB_DEV_SUBCLASS, 1),
        FIELD_AT(USB_DEV_PROTOCOL, 1), FIELD_AT(USB_DEV_MAX_PACKET0, 1),
        FIELD_AT(USB_DEV_VENDOR, 2), FIELD_AT(USB_DEV_PRODUCT, 2),
        FIELD_AT(USB_DEV_BCD_DEVICE, 2), FIELD_AT(USB_DEV_MANUFACTURER, 1),
        FIELD_AT(USB_DEV_PRODUCT_STRING, 1), FIELD_AT(USB_DEV_SERIAL, 1),
        FIELD_AT(USB_DEV_NUM_CONFIGS, 1),
    };
    static const struct fact config[] = {
        FIELD_AT(USB_CFG_TOTAL_LENGTH, 2), FIELD_AT(USB_CFG_NUM_INTERFACES, 1),
        FIELD_AT(USB_CFG_VALUE, 1), FIELD_AT(USB_CFG_STRING, 1),
        FIELD_AT(USB_CFG_ATTRIBUTES, 1), FIELD_AT(USB_CFG_MAX_POWER, 1),
    };
    static const struct fact interface[] = {
        FIELD_AT(USB_IF_NUMBER, 1), FIELD_AT(USB_IF_ALTERNATE, 1),
        FIELD_AT(USB_IF_NUM_ENDPOINTS, 1), FIELD_AT(USB_IF_CLASS, 1),
        FIELD_AT(USB_IF_SUBCLASS, 1), FIELD_AT(USB_IF_PROTOCOL, 1), FIELD_AT(USB_IF_STRING, 1),
    };
    static const struct fact endpoint[] = {
        FIELD_AT(USB_EP_ADDRESS, 1), FIELD_AT(USB_EP_ATTRIBUTES, 1),
        FIELD_AT(USB_EP_MAX_PACKET, 2), FIELD_AT(USB_EP_INTERVAL, 1),
    };
    static const struct fact companion[] = {
        FIELD_AT(USB_SSC_MAX_BURST, 1), FIELD_AT(USB_SSC_ATTRIBUTES, 1),
        FIELD_AT(USB_SSC_BYTES_PER_INTERVAL, 2),
    };
    static const struct fact bos[] = {
        FIELD_AT(USB_BOS_TOTAL_LENGTH, 2), FIELD_AT(USB_BOS_NUM_CAPS, 1),
    };
    CHECK_FIELDS("device", device, USB_DT_DEVICE_BYTES);
    CHECK_FIELDS("configuration", config, USB_DT_CONFIG_BYTES);
    CHECK_FIELDS("interface", interface, USB_DT_INTERFACE_BYTES);
    CHECK_FIELDS("endpoint", endpoint, USB_DT_ENDPOINT_BYTES);
    CHECK_FIELDS("SuperSpeed endpoint companion", companion, USB_DT_SS_EP_COMPANION_BYTES);
    CHECK_FIELDS("BOS", bos, USB_DT_BOS_BYTES);
    cr_expect_eq(USB_DESC_LENGTH, 0u);
    cr_expect_eq(USB_DESC_TYPE + 1u, USB_DESC_HEADER_BYTES);
    cr_expect_eq(USB_DEVCAP_TYPE, USB_DESC_HEADER_BYTES, "a capability's type follows its header");
    cr_expect_eq(USB_STRING_MAX_BYTES % 2u, 0, "whole UTF-16 code units");
    cr_expect_leq(USB_STRING_MAX_BYTES, 0xffu, "bLength is one byte");
}

Test(usb_ch9, setup_fields_fill_the_setup_packet)
{
    static const struct fact fields[] = {
        FIELD_AT(USB_SETUP_REQUEST_TYPE, 1), FIELD_AT(USB_SETUP_REQUEST, 1),
        FIELD_AT(USB_SETUP_VALUE, 2), FIELD_AT(USB_SETUP_INDEX, 2), FIELD_AT(USB_SETUP_LENGTH, 2),
    };
    check_fields_reach("setup packet", FACTS(fields), 0, USB_SETUP_BYTES);
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(USB_RT_DIR_IN), ROW(USB_RT_TYPE_MASK),
                                          ROW(USB_RT_RECIPIENT_MASK))),
                 BITS(7, 0), "bmRequestType has no other bits");
    cr_expect(spec_fits(USB_RT_TYPE_VENDOR, USB_RT_TYPE_MASK, USB_RT_TYPE_SHIFT));
    cr_expect(spec_fits(USB_RT_RECIPIENT_OTHER, USB_RT_RECIPIENT_MASK, 0));
    cr_expect_eq(USB_DESC_TYPE_SHIFT, 8u, "GET_DESCRIPTOR's type is wValue's high byte");
    cr_expect_eq(USB_ADDRESS_MAX, BITS(6, 0), "addresses are 7 bits");
}

Test(usb_ch9, bit_fields_of_one_byte_or_word_do_not_overlap)
{
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(USB_EP_ADDR_NUMBER_MASK), ROW(USB_EP_ADDR_DIR_IN))),
                 BITS(7, 0) & ~BITS(6, 4), "bEndpointAddress: all but reserved 6:4");
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(USB_EP_ADDR_NUMBER_MASK), ROW(USB_EP_ADDR_DIR_IN),
                                          ROW(USB_EP_ADDR_RESERVED_MASK))),
                 BITS(7, 0), "bEndpointAddress has no other bits");
    cr_expect_eq(USB_EP_NUMBER_MAX, USB_EP_ADDR_NUMBER_MASK);
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(USB_EP_XFER_MASK), ROW(USB_EP_SYNC_MASK),
                                          ROW(USB_EP_USAGE_MASK))),
                 BITS(5, 0));
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(USB_EP_MPS_SIZE_MASK), ROW(USB_EP_MPS_MULT_MASK))),
                 BITS(12, 0));
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(USB_EP_MPS_SIZE_MASK), ROW(USB_EP_MPS_MULT_MASK),
                                          ROW(USB_EP_MPS_RESERVED_MASK))),
                 BITS(15, 0), "wMaxPacketSize has no other bits");
    cr_expect(spec_fits(USB_EP_MPS_MULT_MAX, USB_EP_MPS_MULT_MASK, USB_EP_MPS_MULT_SHIFT));
    cr_expect(spec_fits(USB_SSC_BULK_MAX_STREAMS_MAX, USB_SSC_BULK_MAX_STREAMS_MASK, 0));
    cr_expect(spec_fits(USB_SSC_ISOCH_MULT_MAX, USB_SSC_ISOCH_MULT_MASK, 0));
    cr_expect_lt(USB_EP_MPS_MULT_MAX, USB_EP_MPS_MULT_MASK >> USB_EP_MPS_MULT_SHIFT,
                 "the top value of the field is reserved");
    cr_expect_lt(USB_SSC_ISOCH_MULT_MAX, USB_SSC_ISOCH_MULT_MASK, "Mult 3 is reserved");
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(USB_CFG_ATTR_ONE), ROW(USB_CFG_ATTR_SELF_POWERED),
                                          ROW(USB_CFG_ATTR_REMOTE_WAKEUP))),
                 BITS(7, 5));
    spec_check_disjoint(ROWS(ROW(USB_STATUS_SELF_POWERED), ROW(USB_STATUS_REMOTE_WAKEUP),
                             ROW(USB_STATUS_U1_ENABLED), ROW(USB_STATUS_U2_ENABLED),
                             ROW(USB_STATUS_LTM_ENABLED)));
    spec_check_disjoint(ROWS(ROW(USB_SSC_ISOCH_MULT_MASK), ROW(USB_SSC_SSP_ISOCH_COMPANION)));
    spec_check_disjoint(ROWS(ROW(USB_SSC_BULK_MAX_STREAMS_MASK), ROW(USB_SSC_SSP_ISOCH_COMPANION)));
    static const struct field fields[] = {
        FIELD(USB_RT_TYPE_MASK, USB_RT_TYPE_SHIFT), FIELD0(USB_RT_RECIPIENT_MASK),
        FIELD0(USB_EP_ADDR_NUMBER_MASK), FIELD0(USB_EP_XFER_MASK),
        FIELD(USB_EP_SYNC_MASK, USB_EP_SYNC_SHIFT), FIELD(USB_EP_USAGE_MASK, USB_EP_USAGE_SHIFT),
        FIELD0(USB_EP_MPS_SIZE_MASK), FIELD(USB_EP_MPS_MULT_MASK, USB_EP_MPS_MULT_SHIFT),
        FIELD0(USB_SSC_BULK_MAX_STREAMS_MASK), FIELD0(USB_SSC_ISOCH_MULT_MASK),
    };
    spec_check_fields(FACTS(fields));
    cr_expect(spec_fits(USB_EP_SYNC_SYNC, USB_EP_SYNC_MASK, USB_EP_SYNC_SHIFT));
    cr_expect(spec_fits(USB_EP_USAGE_IMPLICIT_FEEDBACK, USB_EP_USAGE_MASK, USB_EP_USAGE_SHIFT));
    cr_expect(spec_fits(USB_EP_XFER_INTERRUPT, USB_EP_XFER_MASK, 0));
}

Test(usb_ch9, packet_sizes_fit_wmaxpacketsize_and_grow_with_speed)
{
    static const struct fact sizes[] = {
        ROW(USB_LS_CONTROL_MPS), ROW(USB_LS_INTERRUPT_MPS_MAX), ROW(USB_FS_CONTROL_MPS_MAX),
        ROW(USB_FS_BULK_MPS_MAX), ROW(USB_FS_INTERRUPT_MPS_MAX), ROW(USB_FS_ISOCH_MPS_MAX),
        ROW(USB_HS_CONTROL_MPS), ROW(USB_HS_BULK_MPS), ROW(USB_HS_INTERRUPT_MPS_MAX),
        ROW(USB_HS_ISOCH_MPS_MAX), ROW(USB_SS_CONTROL_MPS), ROW(USB_SS_BULK_MPS),
        ROW(USB_SS_INTERRUPT_MPS_MAX), ROW(USB_SS_ISOCH_MPS_MAX),
    };
    spec_check_range(FACTS(sizes), USB_FS_CONTROL_MPS_MIN, USB_EP_MPS_SIZE_MASK);
    cr_expect_eq(1u << USB_SS_MAX_PACKET0_EXP, USB_SS_CONTROL_MPS,
                 "bMaxPacketSize0 = 9 means 512 bytes");
    cr_expect_leq(USB_HS_CONTROL_MPS, 0xffu, "below SuperSpeed bMaxPacketSize0 is the size");
    cr_expect_eq(USB_FS_CONTROL_MPS_MAX, USB_HS_CONTROL_MPS);
    cr_expect_eq(USB_SS_BULK_MPS, 2u * USB_HS_BULK_MPS);
    cr_expect_eq(USB_HS_BULK_MPS, 8u * USB_FS_BULK_MPS_MAX);
    cr_expect_eq(USB_LS_CONTROL_MPS, USB_FS_CONTROL_MPS_MIN);
    cr_expect_eq(USB_HS_KBPS, 40u * USB_FS_KBPS);
    cr_expect_eq(USB_FS_KBPS, 8u * USB_LS_KBPS);
    cr_expect_eq(USB_FRAME_US, 8u * USB_MICROFRAME_US, "8 microframes a frame");
    cr_expect_eq(USB_SSC_MAX_BURST_MAX + 1u, 16u, "bursts of 1 to 16 packets");
    cr_expect_eq(USB_FS_BULK_MPS_MIN, USB_FS_CONTROL_MPS_MIN, "8, 16, 32 or 64 for both");
    cr_expect_leq(USB_EP_INTERVAL_FRAMES_MAX, 0xffu, "bInterval is one byte");
    cr_expect_eq(USB_EP_INTERVAL_EXP_MAX, 16u, "2^15 microframes = 4.096 s at most");
    cr_expect_eq(USB_EP_INTERVAL_EXP_MIN, USB_EP_INTERVAL_FRAMES_MIN, "0 is never a period");
    cr_expect_eq((USB_STRING_MAX_BYTES - USB_DESC_HEADER_BYTES) % USB_STRING_CODE_UNIT_BYTES, 0,
                 "a string is whole code units after its header");
}
