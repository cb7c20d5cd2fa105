/*
 * impl/port/spec/usb_bot.h against the Bulk-Only Transport 1.0 and the
 * reference's section 4: each row is a fact as the spec (or the reference)
 * prints it, and the relations between facts are checked too: the CBW and
 * CSW fields follow one another up to 31 and 13 bytes, the signatures are
 * their ASCII bytes read little-endian, the request types are class requests
 * to an interface, the masks of one byte do not overlap, the thirteen cases
 * are distinct and numbered 1..13, the interface codes agree with usb_ch9.h.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "impl/port/spec/usb_bot.h"
#include "impl/port/spec/usb_ch9.h"
#include "tests/impl/spec/spec_test_util.h"

/* USB-IF mass storage codes [ref 3], Linux include/linux/usb/storage.h */
static const struct fact interface_codes[] = {
    FACT(USB_BOT_CLASS, 0x08), FACT(USB_BOT_SUBCLASS_RBC, 0x01),
    FACT(USB_BOT_SUBCLASS_MMC, 0x02), FACT(USB_BOT_SUBCLASS_QIC157, 0x03),
    FACT(USB_BOT_SUBCLASS_UFI, 0x04), FACT(USB_BOT_SUBCLASS_SFF8070I, 0x05),
    FACT(USB_BOT_SUBCLASS_SCSI, 0x06), FACT(USB_BOT_SUBCLASS_LOCKABLE, 0x07),
    FACT(USB_BOT_PROTOCOL_CBI, 0x00), FACT(USB_BOT_PROTOCOL_CB, 0x01),
    FACT(USB_BOT_PROTOCOL_BOT, 0x50), FACT(USB_BOT_PROTOCOL_UAS, 0x62),
};

/* [BOT 3.1, 3.2] */
static const struct fact requests[] = {
    FACT(USB_BOT_REQ_RESET, 0xff), FACT(USB_BOT_REQ_RESET_TYPE, 0x21),
    FACT(USB_BOT_REQ_GET_MAX_LUN, 0xfe), FACT(USB_BOT_REQ_GET_MAX_LUN_TYPE, 0xa1),
    FACT(USB_BOT_GET_MAX_LUN_BYTES, 1), FACT(USB_BOT_MAX_LUN, 15),
};

/* [BOT 5.1] */
static const struct fact cbw[] = {
    FACT(USB_BOT_CBW_BYTES, 31), FACT(USB_BOT_CBW_SIGNATURE_VALUE, 0x43425355),
    FACT(USB_BOT_CBW_SIGNATURE, 0), FACT(USB_BOT_CBW_TAG, 4), FACT(USB_BOT_CBW_DATA_LENGTH, 8),
    FACT(USB_BOT_CBW_FLAGS, 12), FACT(USB_BOT_CBW_LUN, 13), FACT(USB_BOT_CBW_CB_LENGTH, 14),
    FACT(USB_BOT_CBW_CB, 15), FACT(USB_BOT_CBW_CB_BYTES, 16),
    FACT(USB_BOT_CBW_FLAGS_DATA_IN, BIT(7)), FACT(USB_BOT_CBW_FLAGS_RESERVED_MASK, BITS(6, 0)),
    FACT(USB_BOT_CBW_LUN_MASK, BITS(3, 0)), FACT(USB_BOT_CBW_CB_LENGTH_MASK, BITS(4, 0)),
    FACT(USB_BOT_CBW_CB_LENGTH_MIN, 1), FACT(USB_BOT_CBW_CB_LENGTH_MAX, 16),
};

/* [BOT 5.2] */
static const struct fact csw[] = {
    FACT(USB_BOT_CSW_BYTES, 13), FACT(USB_BOT_CSW_SIGNATURE_VALUE, 0x53425355),
    FACT(USB_BOT_CSW_SIGNATURE, 0), FACT(USB_BOT_CSW_TAG, 4), FACT(USB_BOT_CSW_DATA_RESIDUE, 8),
    FACT(USB_BOT_CSW_STATUS, 12), FACT(USB_BOT_CSW_STATUS_PASSED, 0),
    FACT(USB_BOT_CSW_STATUS_FAILED, 1), FACT(USB_BOT_CSW_STATUS_PHASE_ERROR, 2),
};

/* [BOT 6.7]: case n is n */
static const struct fact cases[] = {
    FACT(USB_BOT_CASE_1, 1),   FACT(USB_BOT_CASE_2, 2),   FACT(USB_BOT_CASE_3, 3),
    FACT(USB_BOT_CASE_4, 4),   FACT(USB_BOT_CASE_5, 5),   FACT(USB_BOT_CASE_6, 6),
    FACT(USB_BOT_CASE_7, 7),   FACT(USB_BOT_CASE_8, 8),   FACT(USB_BOT_CASE_9, 9),
    FACT(USB_BOT_CASE_10, 10), FACT(USB_BOT_CASE_11, 11), FACT(USB_BOT_CASE_12, 12),
    FACT(USB_BOT_CASE_13, 13),
};

Test(usb_bot, the_interface_codes_are_the_references) { spec_check_facts(FACTS(interface_codes)); }
Test(usb_bot, the_class_requests_are_the_specs) { spec_check_facts(FACTS(requests)); }
Test(usb_bot, the_cbw_is_the_specs) { spec_check_facts(FACTS(cbw)); }
Test(usb_bot, the_csw_is_the_specs) { spec_check_facts(FACTS(csw)); }
Test(usb_bot, the_thirteen_cases_are_the_specs) { spec_check_facts(FACTS(cases)); }

/* ---- relations ---------------------------------------------------------------------------- */

/* Fields follow one another without gaps from 0, the last ending at the wrapper's length;
 * value: the field's offset, spec: its size. */
static void check_fields_reach(const char *what, const struct fact *f, size_t n, uint64_t length)
{
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(f[i].value, at, "%s.%s is at %" PRIu64 ", the field before ends at %" PRIu64,
                     what, f[i].what, f[i].value, at);
        at = f[i].value + f[i].spec;
    }
    cr_expect_eq(at, length, "%s's fields end at %" PRIu64 ", it is %" PRIu64 " bytes", what, at,
                 length);
}

#define FIELD_AT(offset, bytes) {#offset, offset, bytes}

Test(usb_bot, wrapper_fields_fill_their_wrapper)
{
    static const struct fact cbw_fields[] = {
        FIELD_AT(USB_BOT_CBW_SIGNATURE, 4), FIELD_AT(USB_BOT_CBW_TAG, 4),
        FIELD_AT(USB_BOT_CBW_DATA_LENGTH, 4), FIELD_AT(USB_BOT_CBW_FLAGS, 1),
        FIELD_AT(USB_BOT_CBW_LUN, 1), FIELD_AT(USB_BOT_CBW_CB_LENGTH, 1),
        FIELD_AT(USB_BOT_CBW_CB, USB_BOT_CBW_CB_BYTES),
    };
    static const struct fact csw_fields[] = {
        FIELD_AT(USB_BOT_CSW_SIGNATURE, 4), FIELD_AT(USB_BOT_CSW_TAG, 4),
        FIELD_AT(USB_BOT_CSW_DATA_RESIDUE, 4), FIELD_AT(USB_BOT_CSW_STATUS, 1),
    };
    check_fields_reach("CBW", FACTS(cbw_fields), USB_BOT_CBW_BYTES);
    check_fields_reach("CSW", FACTS(csw_fields), USB_BOT_CSW_BYTES);
    cr_expect_eq(USB_BOT_CBW_TAG, USB_BOT_CSW_TAG, "the tag sits where the CSW echoes it");
    cr_expect_eq(USB_BOT_CBW_DATA_LENGTH, USB_BOT_CSW_DATA_RESIDUE,
                 "the residue answers the transfer length from the same offset");
    cr_expect_eq(USB_BOT_CBW_CB_BYTES, USB_BOT_CBW_CB_LENGTH_MAX, "CBWCB holds the longest CB");
}

static uint32_t le32(const char *four)
{
    const unsigned char *b = (const unsigned char *)four;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

Test(usb_bot, signatures_are_their_ascii_read_little_endian)
{
    cr_expect_eq(USB_BOT_CBW_SIGNATURE_VALUE, le32("USBC"));
    cr_expect_eq(USB_BOT_CSW_SIGNATURE_VALUE, le32("USBS"));
    cr_expect_neq(USB_BOT_CBW_SIGNATURE_VALUE, USB_BOT_CSW_SIGNATURE_VALUE);
    cr_expect_eq(USB_BOT_CBW_SIGNATURE_VALUE & 0xffu, (uint32_t)'U', "'U' goes first on the wire");
    cr_expect_eq(USB_BOT_CBW_SIGNATURE_VALUE ^ USB_BOT_CSW_SIGNATURE_VALUE,
                 (uint32_t)('C' ^ 'S') << 24, "they differ in the last letter only");
}

Test(usb_bot, masks_of_one_byte_do_not_overlap)
{
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(USB_BOT_CBW_FLAGS_DATA_IN),
                                          ROW(USB_BOT_CBW_FLAGS_RESERVED_MASK))),
                 BITS(7, 0), "bmCBWFlags has no other bits");
    static const struct field fields[] = {
        FIELD0(USB_BOT_CBW_LUN_MASK), FIELD0(USB_BOT_CBW_CB_LENGTH_MASK),
        FIELD0(USB_BOT_CBW_FLAGS_RESERVED_MASK),
    };
    spec_check_fields(FACTS(fields));
    cr_expect(spec_fits(USB_BOT_MAX_LUN, USB_BOT_CBW_LUN_MASK, 0), "LUN 15 fits bCBWLUN");
    cr_expect_eq(USB_BOT_MAX_LUN, USB_BOT_CBW_LUN_MASK, "bCBWLUN is exactly wide enough");
    cr_expect(spec_fits(USB_BOT_CBW_CB_LENGTH_MAX, USB_BOT_CBW_CB_LENGTH_MASK, 0));
    cr_expect_lt(USB_BOT_CBW_CB_LENGTH_MASK >> 1, USB_BOT_CBW_CB_LENGTH_MAX,
                 "16 needs all five bits");
    cr_expect_geq(USB_BOT_CBW_CB_LENGTH_MIN, 1u);
    cr_expect_lt(USB_BOT_CBW_CB_LENGTH_MIN, USB_BOT_CBW_CB_LENGTH_MAX);
}

Test(usb_bot, requests_are_class_requests_to_an_interface)
{
    uint64_t out = USB_RT_TYPE_CLASS << USB_RT_TYPE_SHIFT | USB_RT_RECIPIENT_INTERFACE;
    cr_expect_eq(USB_BOT_REQ_RESET_TYPE, out, "reset: class, interface, host to device");
    cr_expect_eq(USB_BOT_REQ_GET_MAX_LUN_TYPE, USB_RT_DIR_IN | out,
                 "Get Max LUN: class, interface, device to host");
    cr_expect_eq(USB_BOT_REQ_RESET_TYPE & USB_RT_DIR_IN, 0u);
    cr_expect_neq(USB_BOT_REQ_RESET, USB_BOT_REQ_GET_MAX_LUN);
    cr_expect_leq(USB_BOT_MAX_LUN, 0xffu, "one byte answers Get Max LUN");
    cr_expect_eq(USB_BOT_GET_MAX_LUN_BYTES, 1u);
    spec_check_distinct(ROWS(ROW(USB_BOT_CSW_STATUS_PASSED), ROW(USB_BOT_CSW_STATUS_FAILED),
                             ROW(USB_BOT_CSW_STATUS_PHASE_ERROR)));
}

Test(usb_bot, the_interface_codes_agree_with_usb_ch9)
{
    cr_expect_eq(USB_BOT_CLASS, USB_CLASS_MASS_STORAGE);
    cr_expect_eq(USB_BOT_SUBCLASS_SCSI, USB_MSC_SUBCLASS_SCSI);
    cr_expect_eq(USB_BOT_PROTOCOL_BOT, USB_MSC_PROTOCOL_BOT);
    cr_expect_eq(USB_BOT_PROTOCOL_UAS, USB_MSC_PROTOCOL_UAS);
    spec_check_distinct(ROWS(ROW(USB_BOT_SUBCLASS_RBC), ROW(USB_BOT_SUBCLASS_MMC),
                             ROW(USB_BOT_SUBCLASS_QIC157), ROW(USB_BOT_SUBCLASS_UFI),
                             ROW(USB_BOT_SUBCLASS_SFF8070I), ROW(USB_BOT_SUBCLASS_SCSI),
                             ROW(USB_BOT_SUBCLASS_LOCKABLE)));
    spec_check_distinct(ROWS(ROW(USB_BOT_PROTOCOL_CBI), ROW(USB_BOT_PROTOCOL_CB),
                             ROW(USB_BOT_PROTOCOL_BOT), ROW(USB_BOT_PROTOCOL_UAS)));
}

Test(usb_bot, the_thirteen_cases_are_distinct_and_numbered_1_to_13)
{
    size_t n = sizeof(cases) / sizeof(cases[0]);
    cr_expect_eq(n, USB_BOT_CASES);
    spec_check_distinct(FACTS(cases));
    spec_check_range(FACTS(cases), 1, USB_BOT_CASES);
    uint64_t seen = 0;
    for (size_t i = 0; i < n; i++)
        seen |= BIT(cases[i].value);
    cr_expect_eq(seen, BITS(13, 1), "every number from 1 to 13 is a case");
}
