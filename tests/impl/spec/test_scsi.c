/*
 * impl/port/spec/scsi.h against the reference's section 5 and the public
 * texts it names (Linux scsi_proto.h, sense_codes.h, scsi_common.c; QEMU
 * scsi/utils.c and scsi-disk.c): each row is a fact as its source prints it,
 * and the relations between facts are checked too: every opcode's group code
 * gives its CDB length, the CDB fields lie inside their CDB with the length
 * field where the group puts it, masks of one byte do not overlap, the fixed
 * sense fields fill 18 bytes, the INQUIRY fields lie inside 36, the codes of
 * one kind are distinct.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "impl/port/spec/scsi.h"
#include "impl/port/spec/usb_bot.h"
#include "tests/impl/spec/spec_test_util.h"

/* [ref 5: LX-PROTO], Linux scsi_proto.h */
static const struct fact opcodes[] = {
    FACT(SCSI_OP_TEST_UNIT_READY, 0x00), FACT(SCSI_OP_REQUEST_SENSE, 0x03),
    FACT(SCSI_OP_INQUIRY, 0x12), FACT(SCSI_OP_MODE_SELECT_6, 0x15),
    FACT(SCSI_OP_MODE_SENSE_6, 0x1a), FACT(SCSI_OP_START_STOP_UNIT, 0x1b),
    FACT(SCSI_OP_SEND_DIAGNOSTIC, 0x1d), FACT(SCSI_OP_PREVENT_ALLOW, 0x1e),
    FACT(SCSI_OP_READ_CAPACITY_10, 0x25), FACT(SCSI_OP_READ_10, 0x28),
    FACT(SCSI_OP_WRITE_10, 0x2a), FACT(SCSI_OP_VERIFY_10, 0x2f),
    FACT(SCSI_OP_SYNC_CACHE_10, 0x35), FACT(SCSI_OP_MODE_SENSE_10, 0x5a),
    FACT(SCSI_OP_READ_16, 0x88), FACT(SCSI_OP_WRITE_16, 0x8a),
    FACT(SCSI_OP_SYNC_CACHE_16, 0x91), FACT(SCSI_OP_SERVICE_ACTION_IN_16, 0x9e),
    FACT(SCSI_OP_REPORT_LUNS, 0xa0), FACT(SCSI_OP_READ_12, 0xa8), FACT(SCSI_OP_WRITE_12, 0xaa),
};

/* [ref 5: Q-SCSIU] */
static const struct fact groups[] = {
    FACT(SCSI_CDB_OPCODE, 0), FACT(SCSI_OP_GROUP_MASK, BITS(7, 5)), FACT(SCSI_OP_GROUP_SHIFT, 5),
    FACT(SCSI_GROUP_CDB6, 0), FACT(SCSI_GROUP_CDB10, 1), FACT(SCSI_GROUP_CDB10_2, 2),
    FACT(SCSI_GROUP_CDB16, 4), FACT(SCSI_GROUP_CDB12, 5), FACT(SCSI_CDB6_BYTES, 6),
    FACT(SCSI_CDB10_BYTES, 10), FACT(SCSI_CDB12_BYTES, 12), FACT(SCSI_CDB16_BYTES, 16),
    FACT(SCSI_CDB_MAX_BYTES, 16), FACT(SCSI_CDB6_LENGTH, 4), FACT(SCSI_CDB10_LENGTH, 7),
    FACT(SCSI_CDB10_LENGTH_BYTES, 2), FACT(SCSI_CDB12_LENGTH, 6), FACT(SCSI_CDB12_LENGTH_BYTES, 4),
    FACT(SCSI_CDB16_LENGTH, 10), FACT(SCSI_CDB16_LENGTH_BYTES, 4),
};

/* [ref 5] rows: READ/WRITE(10), (16), INQUIRY, REQUEST SENSE, MODE SENSE, READ CAPACITY(16),
 * SYNCHRONIZE CACHE(10), START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL, REPORT LUNS */
static const struct fact cdb_fields[] = {
    FACT(SCSI_RW10_FLAGS, 1), FACT(SCSI_RW_FUA, BIT(3)), FACT(SCSI_RW10_LBA, 2),
    FACT(SCSI_RW10_LBA_BYTES, 4), FACT(SCSI_RW10_GROUP, 6), FACT(SCSI_RW10_BLOCKS, 7),
    FACT(SCSI_RW10_BLOCKS_BYTES, 2), FACT(SCSI_RW10_CONTROL, 9),
    FACT(SCSI_RW16_FLAGS, 1), FACT(SCSI_RW16_LBA, 2), FACT(SCSI_RW16_LBA_BYTES, 8),
    FACT(SCSI_RW16_BLOCKS, 10), FACT(SCSI_RW16_BLOCKS_BYTES, 4), FACT(SCSI_RW16_GROUP, 14),
    FACT(SCSI_RW16_CONTROL, 15),
    FACT(SCSI_INQUIRY_FLAGS, 1), FACT(SCSI_INQUIRY_EVPD, BIT(0)), FACT(SCSI_INQUIRY_PAGE_CODE, 2),
    FACT(SCSI_INQUIRY_ALLOC_LENGTH, 3), FACT(SCSI_INQUIRY_ALLOC_LENGTH_BYTES, 2),
    FACT(SCSI_INQUIRY_CONTROL, 5),
    FACT(SCSI_REQUEST_SENSE_FLAGS, 1), FACT(SCSI_REQUEST_SENSE_DESC, BIT(0)),
    FACT(SCSI_REQUEST_SENSE_ALLOC_LENGTH, 4),
    FACT(SCSI_MODE_SENSE_FLAGS, 1), FACT(SCSI_MODE_SENSE_DBD, BIT(3)),
    FACT(SCSI_MODE_SENSE_LLBAA, BIT(4)), FACT(SCSI_MODE_SENSE_PAGE, 2),
    FACT(SCSI_MODE_SENSE_PC_MASK, BITS(7, 6)), FACT(SCSI_MODE_SENSE_PC_SHIFT, 6),
    FACT(SCSI_MODE_SENSE_PAGE_MASK, BITS(5, 0)), FACT(SCSI_MODE_SENSE_SUBPAGE, 3),
    FACT(SCSI_MODE_SENSE6_ALLOC_LENGTH, 4), FACT(SCSI_MODE_SENSE10_ALLOC_LENGTH, 7),
    FACT(SCSI_MODE_SENSE10_ALLOC_LENGTH_BYTES, 2),
    FACT(SCSI_SAI_READ_CAPACITY_16, 0x10), FACT(SCSI_SAI_SERVICE_ACTION, 1),
    FACT(SCSI_SAI_SERVICE_ACTION_MASK, BITS(4, 0)), FACT(SCSI_READ_CAPACITY_16_ALLOC_LENGTH, 10),
    FACT(SCSI_READ_CAPACITY_16_ALLOC_LENGTH_BYTES, 4),
    FACT(SCSI_SYNC_CACHE_FLAGS, 1), FACT(SCSI_SYNC_CACHE_IMMED, BIT(1)),
    FACT(SCSI_SYNC_CACHE_SYNC_NV, BIT(2)), FACT(SCSI_SYNC_CACHE_10_LBA, 2),
    FACT(SCSI_SYNC_CACHE_10_LBA_BYTES, 4), FACT(SCSI_SYNC_CACHE_10_BLOCKS, 7),
    FACT(SCSI_SYNC_CACHE_10_BLOCKS_BYTES, 2),
    FACT(SCSI_START_STOP_FLAGS, 4), FACT(SCSI_START_STOP_START, BIT(0)),
    FACT(SCSI_START_STOP_LOEJ, BIT(1)), FACT(SCSI_START_STOP_POWER_MASK, BITS(7, 4)),
    FACT(SCSI_START_STOP_POWER_SHIFT, 4),
    FACT(SCSI_PREVENT_ALLOW_FIELD, 4), FACT(SCSI_PREVENT_ALLOW_PREVENT, 1),
    FACT(SCSI_PREVENT_ALLOW_ALLOW, 0),
    FACT(SCSI_REPORT_LUNS_SELECT, 2), FACT(SCSI_REPORT_LUNS_SELECT_MAX, 2),
    FACT(SCSI_REPORT_LUNS_ALLOC_LENGTH, 6), FACT(SCSI_REPORT_LUNS_ALLOC_LENGTH_BYTES, 4),
    FACT(SCSI_REPORT_LUNS_ALLOC_MIN, 16),
};

/* Linux scsi_proto.h enum sam_status */
static const struct fact statuses[] = {
    FACT(SCSI_STATUS_GOOD, 0x00), FACT(SCSI_STATUS_CHECK_CONDITION, 0x02),
    FACT(SCSI_STATUS_BUSY, 0x08), FACT(SCSI_STATUS_RESERVATION_CONFLICT, 0x18),
    FACT(SCSI_STATUS_TASK_SET_FULL, 0x28),
};

/* [ref 5: Q-SCSIU, RDX-S, LX-GLUE], Linux scsi_common.c */
static const struct fact sense_format[] = {
    FACT(SCSI_SENSE_RESPONSE, 0), FACT(SCSI_SENSE_VALID, BIT(7)),
    FACT(SCSI_SENSE_RESPONSE_MASK, BITS(6, 0)), FACT(SCSI_SENSE_FIXED_CURRENT, 0x70),
    FACT(SCSI_SENSE_FIXED_DEFERRED, 0x71), FACT(SCSI_SENSE_DESC_CURRENT, 0x72),
    FACT(SCSI_SENSE_DESC_DEFERRED, 0x73), FACT(SCSI_SENSE_KEY_MASK, BITS(3, 0)),
    FACT(SCSI_SENSE_FIXED_BYTES, 18), FACT(SCSI_SENSE_FIXED_KEY, 2),
    FACT(SCSI_SENSE_FIXED_INFO, 3), FACT(SCSI_SENSE_FIXED_INFO_BYTES, 4),
    FACT(SCSI_SENSE_FIXED_ADD_LENGTH, 7), FACT(SCSI_SENSE_FIXED_ADD_LENGTH_18, 10),
    FACT(SCSI_SENSE_FIXED_CMD_INFO, 8), FACT(SCSI_SENSE_FIXED_CMD_INFO_BYTES, 4),
    FACT(SCSI_SENSE_FIXED_ASC, 12), FACT(SCSI_SENSE_FIXED_ASCQ, 13),
    FACT(SCSI_SENSE_FIXED_FRU, 14), FACT(SCSI_SENSE_FIXED_SKS, 15),
    FACT(SCSI_SENSE_FIXED_SKS_BYTES, 3), FACT(SCSI_SENSE_DESC_KEY, 1),
    FACT(SCSI_SENSE_DESC_ASC, 2), FACT(SCSI_SENSE_DESC_ASCQ, 3),
    FACT(SCSI_SENSE_DESC_ADD_LENGTH, 7), FACT(SCSI_SENSE_DESC_HEADER_BYTES, 8),
};

/* [ref 5: LX-PROTO], Linux scsi_proto.h */
static const struct fact sense_keys[] = {
    FACT(SCSI_SENSE_KEY_NO_SENSE, 0x0), FACT(SCSI_SENSE_KEY_RECOVERED_ERROR, 0x1),
    FACT(SCSI_SENSE_KEY_NOT_READY, 0x2), FACT(SCSI_SENSE_KEY_MEDIUM_ERROR, 0x3),
    FACT(SCSI_SENSE_KEY_HARDWARE_ERROR, 0x4), FACT(SCSI_SENSE_KEY_ILLEGAL_REQUEST, 0x5),
    FACT(SCSI_SENSE_KEY_UNIT_ATTENTION, 0x6), FACT(SCSI_SENSE_KEY_DATA_PROTECT, 0x7),
    FACT(SCSI_SENSE_KEY_BLANK_CHECK, 0x8), FACT(SCSI_SENSE_KEY_VENDOR_SPECIFIC, 0x9),
    FACT(SCSI_SENSE_KEY_COPY_ABORTED, 0xa), FACT(SCSI_SENSE_KEY_ABORTED_COMMAND, 0xb),
    FACT(SCSI_SENSE_KEY_VOLUME_OVERFLOW, 0xd), FACT(SCSI_SENSE_KEY_MISCOMPARE, 0xe),
};

/* [ref 5: Q-SCSIU], Linux sense_codes.h, QEMU scsi/utils.c: ASC << 8 | ASCQ */
static const struct fact ascs[] = {
    FACT(SCSI_ASC_NOT_READY, 0x0400), FACT(SCSI_ASC_BECOMING_READY, 0x0401),
    FACT(SCSI_ASC_WRITE_ERROR, 0x0c00), FACT(SCSI_ASC_UNRECOVERED_READ, 0x1100),
    FACT(SCSI_ASC_PARAM_LIST_LENGTH, 0x1a00), FACT(SCSI_ASC_INVALID_OPCODE, 0x2000),
    FACT(SCSI_ASC_LBA_OUT_OF_RANGE, 0x2100), FACT(SCSI_ASC_INVALID_FIELD_IN_CDB, 0x2400),
    FACT(SCSI_ASC_LUN_NOT_SUPPORTED, 0x2500), FACT(SCSI_ASC_WRITE_PROTECTED, 0x2700),
    FACT(SCSI_ASC_MEDIUM_CHANGED, 0x2800), FACT(SCSI_ASC_POWER_ON_RESET, 0x2900),
    FACT(SCSI_ASC_DEVICE_INTERNAL_RESET, 0x2904), FACT(SCSI_ASC_CAPACITY_CHANGED, 0x2a09),
    FACT(SCSI_ASC_MEDIUM_NOT_PRESENT, 0x3a00), FACT(SCSI_ASC_REPORTED_LUNS_CHANGED, 0x3f0e),
    FACT(SCSI_ASC_INTERNAL_TARGET_FAILURE, 0x4400),
    FACT(SCSI_ASC_SHIFT, 8), FACT(SCSI_ASCQ_MASK, BITS(7, 0)),
};

/* [ref 5: Q-SDISK, RDX-S, LX-GLUE], Linux scsi.h / scsi_scan.c */
static const struct fact inquiry[] = {
    FACT(SCSI_INQ_STD_BYTES, 36), FACT(SCSI_INQ_PERIPHERAL, 0),
    FACT(SCSI_INQ_QUALIFIER_MASK, BITS(7, 5)), FACT(SCSI_INQ_QUALIFIER_SHIFT, 5),
    FACT(SCSI_INQ_QUALIFIER_CONNECTED, 0), FACT(SCSI_INQ_QUALIFIER_NOT_CAPABLE, 3),
    FACT(SCSI_INQ_TYPE_MASK, BITS(4, 0)), FACT(SCSI_INQ_TYPE_DISK, 0x00),
    FACT(SCSI_INQ_TYPE_UNKNOWN, 0x1f), FACT(SCSI_INQ_RMB_BYTE, 1), FACT(SCSI_INQ_RMB, BIT(7)),
    FACT(SCSI_INQ_VERSION, 2), FACT(SCSI_INQ_VERSION_SPC4, 0x06), FACT(SCSI_INQ_FORMAT, 3),
    FACT(SCSI_INQ_FORMAT_MASK, BITS(3, 0)), FACT(SCSI_INQ_FORMAT_2, 2),
    FACT(SCSI_INQ_ADD_LENGTH, 4), FACT(SCSI_INQ_VENDOR, 8), FACT(SCSI_INQ_VENDOR_BYTES, 8),
    FACT(SCSI_INQ_PRODUCT, 16), FACT(SCSI_INQ_PRODUCT_BYTES, 16), FACT(SCSI_INQ_REVISION, 32),
    FACT(SCSI_INQ_REVISION_BYTES, 4),
    FACT(SCSI_VPD_PAGE_CODE, 1), FACT(SCSI_VPD_PAGE_LENGTH, 2),
    FACT(SCSI_VPD_PAGE_LENGTH_BYTES, 2), FACT(SCSI_VPD_HEADER_BYTES, 4),
    FACT(SCSI_VPD_SUPPORTED_PAGES, 0x00), FACT(SCSI_VPD_UNIT_SERIAL, 0x80),
    FACT(SCSI_VPD_DEVICE_ID, 0x83), FACT(SCSI_VPD_DESIGNATOR_LENGTH, 3),
    FACT(SCSI_VPD_DESIGNATOR_HEADER_BYTES, 4),
};

/* [ref 5: APPLE-RC, RDX-S, LX-PROTO] */
static const struct fact capacity[] = {
    FACT(SCSI_RC10_DATA_BYTES, 8), FACT(SCSI_RC10_LAST_LBA, 0), FACT(SCSI_RC10_LAST_LBA_BYTES, 4),
    FACT(SCSI_RC10_BLOCK_LENGTH, 4), FACT(SCSI_RC10_BLOCK_LENGTH_BYTES, 4),
    FACT(SCSI_RC10_LBA_USE_16, 0xffffffff), FACT(SCSI_RC16_DATA_BYTES, 32),
    FACT(SCSI_RC16_LAST_LBA, 0), FACT(SCSI_RC16_LAST_LBA_BYTES, 8),
    FACT(SCSI_RC16_BLOCK_LENGTH, 8), FACT(SCSI_RC16_BLOCK_LENGTH_BYTES, 4),
};

/* [ref 5: Q-SDISK, RDX-S, LX-SD] */
static const struct fact mode[] = {
    FACT(SCSI_MODE6_HEADER_BYTES, 4), FACT(SCSI_MODE6_DATA_LENGTH, 0),
    FACT(SCSI_MODE6_MEDIUM_TYPE, 1), FACT(SCSI_MODE6_DEVICE_SPECIFIC, 2),
    FACT(SCSI_MODE6_BD_LENGTH, 3), FACT(SCSI_MODE10_HEADER_BYTES, 8),
    FACT(SCSI_MODE10_DATA_LENGTH, 0), FACT(SCSI_MODE10_DATA_LENGTH_BYTES, 2),
    FACT(SCSI_MODE10_MEDIUM_TYPE, 2), FACT(SCSI_MODE10_DEVICE_SPECIFIC, 3),
    FACT(SCSI_MODE10_LONGLBA, 4), FACT(SCSI_MODE10_BD_LENGTH, 6),
    FACT(SCSI_MODE10_BD_LENGTH_BYTES, 2), FACT(SCSI_MODE_WP, BIT(7)),
    FACT(SCSI_MODE_DPOFUA, BIT(4)), FACT(SCSI_MODE_BD_BYTES, 8), FACT(SCSI_MODE_BD_DENSITY, 0),
    FACT(SCSI_MODE_BD_BLOCKS, 1), FACT(SCSI_MODE_BD_BLOCKS_BYTES, 3),
    FACT(SCSI_MODE_BD_BLOCK_LENGTH, 5), FACT(SCSI_MODE_BD_BLOCK_LENGTH_BYTES, 3),
    FACT(SCSI_MODE_PAGE_CACHING, 0x08), FACT(SCSI_MODE_PAGE_ALL, 0x3f),
    FACT(SCSI_CACHING_FLAGS, 2), FACT(SCSI_CACHING_WCE, BIT(2)), FACT(SCSI_CACHING_RCD, BIT(0)),
};

/* [ref 5: Q-SBUS, Q-SCSIU] */
static const struct fact report_luns[] = {
    FACT(SCSI_REPORT_LUNS_LIST_LENGTH, 0), FACT(SCSI_REPORT_LUNS_LIST_LENGTH_BYTES, 4),
    FACT(SCSI_REPORT_LUNS_HEADER_BYTES, 8), FACT(SCSI_REPORT_LUNS_ENTRY_BYTES, 8),
    FACT(SCSI_REPORT_LUNS_ENTRY_LUN, 1),
};

Test(scsi, the_operation_codes_are_the_references) { spec_check_facts(FACTS(opcodes)); }
Test(scsi, the_group_codes_are_the_references) { spec_check_facts(FACTS(groups)); }
Test(scsi, the_cdb_fields_are_the_references) { spec_check_facts(FACTS(cdb_fields)); }
Test(scsi, the_status_codes_are_the_references) { spec_check_facts(FACTS(statuses)); }
Test(scsi, the_sense_data_layout_is_the_references) { spec_check_facts(FACTS(sense_format)); }
Test(scsi, the_sense_keys_are_the_references) { spec_check_facts(FACTS(sense_keys)); }
Test(scsi, the_additional_sense_codes_are_the_references) { spec_check_facts(FACTS(ascs)); }
Test(scsi, the_inquiry_data_is_the_references) { spec_check_facts(FACTS(inquiry)); }
Test(scsi, the_capacity_data_is_the_references) { spec_check_facts(FACTS(capacity)); }
Test(scsi, the_mode_parameters_are_the_references) { spec_check_facts(FACTS(mode)); }
Test(scsi, the_report_luns_data_is_the_references) { spec_check_facts(FACTS(report_luns)); }

/* ---- relations ---------------------------------------------------------------------------- */

/* The CDB length a group code gives, 0 for a group with none [ref 5: Q-SCSIU]. */
static uint64_t cdb_bytes_of(uint64_t opcode)
{
    uint64_t group = (opcode & SCSI_OP_GROUP_MASK) >> SCSI_OP_GROUP_SHIFT;
    switch (group) {
    case SCSI_GROUP_CDB6: return SCSI_CDB6_BYTES;
    case SCSI_GROUP_CDB10:
    case SCSI_GROUP_CDB10_2: return SCSI_CDB10_BYTES;
    case SCSI_GROUP_CDB16: return SCSI_CDB16_BYTES;
    case SCSI_GROUP_CDB12: return SCSI_CDB12_BYTES;
    default: return 0;
    }
}

Test(scsi, every_opcode_has_the_cdb_length_of_its_group)
{
    /* value: the opcode, spec: its CDB's length as the command's own definition gives it */
    static const struct fact lengths[] = {
        FACT(SCSI_OP_TEST_UNIT_READY, 6), FACT(SCSI_OP_REQUEST_SENSE, 6),
        FACT(SCSI_OP_INQUIRY, 6), FACT(SCSI_OP_MODE_SELECT_6, 6), FACT(SCSI_OP_MODE_SENSE_6, 6),
        FACT(SCSI_OP_START_STOP_UNIT, 6), FACT(SCSI_OP_SEND_DIAGNOSTIC, 6),
        FACT(SCSI_OP_PREVENT_ALLOW, 6), FACT(SCSI_OP_READ_CAPACITY_10, 10),
        FACT(SCSI_OP_READ_10, 10), FACT(SCSI_OP_WRITE_10, 10), FACT(SCSI_OP_VERIFY_10, 10),
        FACT(SCSI_OP_SYNC_CACHE_10, 10), FACT(SCSI_OP_MODE_SENSE_10, 10),
        FACT(SCSI_OP_READ_16, 16), FACT(SCSI_OP_WRITE_16, 16), FACT(SCSI_OP_SYNC_CACHE_16, 16),
        FACT(SCSI_OP_SERVICE_ACTION_IN_16, 16), FACT(SCSI_OP_REPORT_LUNS, 12),
        FACT(SCSI_OP_READ_12, 12), FACT(SCSI_OP_WRITE_12, 12),
    };
    cr_expect_eq(sizeof(lengths) / sizeof(lengths[0]), sizeof(opcodes) / sizeof(opcodes[0]),
                 "every opcode of the header has a length here");
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
        cr_expect_eq(cdb_bytes_of(lengths[i].value), lengths[i].spec,
                     "%s (0x%02" PRIx64 ") is in a group of %" PRIu64 "-byte CDBs, not %" PRIu64,
                     lengths[i].what, lengths[i].value, cdb_bytes_of(lengths[i].value),
                     lengths[i].spec);
    spec_check_distinct(FACTS(opcodes));
    spec_check_range(FACTS(opcodes), 0, 0xff);
    cr_expect_eq(SCSI_CDB_MAX_BYTES, SCSI_CDB16_BYTES);
    cr_expect_eq(SCSI_CDB_MAX_BYTES, USB_BOT_CBW_CB_BYTES, "the longest CDB fills CBWCB");
    cr_expect(spec_fits(SCSI_GROUP_CDB12, SCSI_OP_GROUP_MASK, SCSI_OP_GROUP_SHIFT));
    spec_check_field("SCSI_OP_GROUP_MASK", SCSI_OP_GROUP_MASK, SCSI_OP_GROUP_SHIFT);
}

/* Each field (value: offset, spec: size) ends inside a CDB of `cdb` bytes. */
static void check_inside(const char *what, const struct fact *f, size_t n, uint64_t bytes)
{
    for (size_t i = 0; i < n; i++)
        cr_expect_leq(f[i].value + f[i].spec, bytes, "%s: %s (%" PRIu64 "+%" PRIu64
                      ") runs past %" PRIu64 " bytes", what, f[i].what, f[i].value, f[i].spec,
                      bytes);
}

/* Fields follow one another without gaps from `at` up to `length`. */
static void check_fields_reach(const char *what, const struct fact *f, size_t n, uint64_t at,
                               uint64_t length)
{
    for (size_t i = 0; i < n; i++) {
        cr_expect_eq(f[i].value, at, "%s.%s is at %" PRIu64 ", the field before ends at %" PRIu64,
                     what, f[i].what, f[i].value, at);
        at = f[i].value + f[i].spec;
    }
    cr_expect_eq(at, length, "%s's fields end at %" PRIu64 ", not %" PRIu64, what, at, length);
}

#define FIELD_AT(offset, bytes) {#offset, offset, bytes}
#define RESERVED_AT(offset, bytes) {"reserved", offset, bytes}

Test(scsi, cdb_fields_lie_inside_their_cdb)
{
    static const struct fact rw10[] = {
        FIELD_AT(SCSI_CDB_OPCODE, 1), FIELD_AT(SCSI_RW10_FLAGS, 1),
        FIELD_AT(SCSI_RW10_LBA, SCSI_RW10_LBA_BYTES), FIELD_AT(SCSI_RW10_GROUP, 1),
        FIELD_AT(SCSI_RW10_BLOCKS, SCSI_RW10_BLOCKS_BYTES), FIELD_AT(SCSI_RW10_CONTROL, 1),
    };
    static const struct fact rw16[] = {
        FIELD_AT(SCSI_CDB_OPCODE, 1), FIELD_AT(SCSI_RW16_FLAGS, 1),
        FIELD_AT(SCSI_RW16_LBA, SCSI_RW16_LBA_BYTES),
        FIELD_AT(SCSI_RW16_BLOCKS, SCSI_RW16_BLOCKS_BYTES), FIELD_AT(SCSI_RW16_GROUP, 1),
        FIELD_AT(SCSI_RW16_CONTROL, 1),
    };
    static const struct fact inquiry_cdb[] = {
        FIELD_AT(SCSI_CDB_OPCODE, 1), FIELD_AT(SCSI_INQUIRY_FLAGS, 1),
        FIELD_AT(SCSI_INQUIRY_PAGE_CODE, 1),
        FIELD_AT(SCSI_INQUIRY_ALLOC_LENGTH, SCSI_INQUIRY_ALLOC_LENGTH_BYTES),
        FIELD_AT(SCSI_INQUIRY_CONTROL, 1),
    };
    static const struct fact cdb6[] = {
        FIELD_AT(SCSI_REQUEST_SENSE_FLAGS, 1), FIELD_AT(SCSI_REQUEST_SENSE_ALLOC_LENGTH, 1),
        FIELD_AT(SCSI_MODE_SENSE_FLAGS, 1), FIELD_AT(SCSI_MODE_SENSE_PAGE, 1),
        FIELD_AT(SCSI_MODE_SENSE_SUBPAGE, 1), FIELD_AT(SCSI_MODE_SENSE6_ALLOC_LENGTH, 1),
        FIELD_AT(SCSI_START_STOP_FLAGS, 1), FIELD_AT(SCSI_PREVENT_ALLOW_FIELD, 1),
    };
    static const struct fact cdb10[] = {
        FIELD_AT(SCSI_MODE_SENSE10_ALLOC_LENGTH, SCSI_MODE_SENSE10_ALLOC_LENGTH_BYTES),
        FIELD_AT(SCSI_SYNC_CACHE_FLAGS, 1),
        FIELD_AT(SCSI_SYNC_CACHE_10_LBA, SCSI_SYNC_CACHE_10_LBA_BYTES),
        FIELD_AT(SCSI_SYNC_CACHE_10_BLOCKS, SCSI_SYNC_CACHE_10_BLOCKS_BYTES),
    };
    static const struct fact cdb12[] = {
        FIELD_AT(SCSI_REPORT_LUNS_SELECT, 1),
        FIELD_AT(SCSI_REPORT_LUNS_ALLOC_LENGTH, SCSI_REPORT_LUNS_ALLOC_LENGTH_BYTES),
    };
    static const struct fact cdb16[] = {
        FIELD_AT(SCSI_SAI_SERVICE_ACTION, 1),
        FIELD_AT(SCSI_READ_CAPACITY_16_ALLOC_LENGTH, SCSI_READ_CAPACITY_16_ALLOC_LENGTH_BYTES),
    };
    check_fields_reach("READ/WRITE(10)", FACTS(rw10), 0, SCSI_CDB10_BYTES);
    check_fields_reach("READ/WRITE(16)", FACTS(rw16), 0, SCSI_CDB16_BYTES);
    check_fields_reach("INQUIRY", FACTS(inquiry_cdb), 0, SCSI_CDB6_BYTES);
    check_inside("6-byte CDBs", FACTS(cdb6), SCSI_CDB6_BYTES);
    check_inside("10-byte CDBs", FACTS(cdb10), SCSI_CDB10_BYTES);
    check_inside("12-byte CDBs", FACTS(cdb12), SCSI_CDB12_BYTES);
    check_inside("16-byte CDBs", FACTS(cdb16), SCSI_CDB16_BYTES);
}

Test(scsi, length_fields_sit_where_the_group_puts_them)
{
    cr_expect_eq(SCSI_REQUEST_SENSE_ALLOC_LENGTH, SCSI_CDB6_LENGTH);
    cr_expect_eq(SCSI_MODE_SENSE6_ALLOC_LENGTH, SCSI_CDB6_LENGTH);
    cr_expect_eq(SCSI_RW10_BLOCKS, SCSI_CDB10_LENGTH);
    cr_expect_eq(SCSI_RW10_BLOCKS_BYTES, SCSI_CDB10_LENGTH_BYTES);
    cr_expect_eq(SCSI_MODE_SENSE10_ALLOC_LENGTH, SCSI_CDB10_LENGTH);
    cr_expect_eq(SCSI_MODE_SENSE10_ALLOC_LENGTH_BYTES, SCSI_CDB10_LENGTH_BYTES);
    cr_expect_eq(SCSI_SYNC_CACHE_10_BLOCKS, SCSI_CDB10_LENGTH);
    cr_expect_eq(SCSI_REPORT_LUNS_ALLOC_LENGTH, SCSI_CDB12_LENGTH);
    cr_expect_eq(SCSI_REPORT_LUNS_ALLOC_LENGTH_BYTES, SCSI_CDB12_LENGTH_BYTES);
    cr_expect_eq(SCSI_RW16_BLOCKS, SCSI_CDB16_LENGTH);
    cr_expect_eq(SCSI_RW16_BLOCKS_BYTES, SCSI_CDB16_LENGTH_BYTES);
    cr_expect_eq(SCSI_READ_CAPACITY_16_ALLOC_LENGTH, SCSI_CDB16_LENGTH);
    cr_expect_eq(SCSI_READ_CAPACITY_16_ALLOC_LENGTH_BYTES, SCSI_CDB16_LENGTH_BYTES);
    cr_expect_eq(SCSI_SYNC_CACHE_10_LBA, SCSI_RW10_LBA, "SYNCHRONIZE CACHE(10) reads like (10)");
    cr_expect_eq(SCSI_RW16_FLAGS, SCSI_RW10_FLAGS);
    cr_expect_eq(SCSI_CDB6_LENGTH + 2u, SCSI_CDB6_BYTES, "6-byte: length, then control");
    cr_expect_eq(SCSI_CDB10_LENGTH + SCSI_CDB10_LENGTH_BYTES + 1u, SCSI_CDB10_BYTES);
    cr_expect_eq(SCSI_CDB12_LENGTH + SCSI_CDB12_LENGTH_BYTES + 2u, SCSI_CDB12_BYTES);
    cr_expect_eq(SCSI_CDB16_LENGTH + SCSI_CDB16_LENGTH_BYTES + 2u, SCSI_CDB16_BYTES);
    cr_expect(spec_fits(SCSI_SAI_READ_CAPACITY_16, SCSI_SAI_SERVICE_ACTION_MASK, 0));
    cr_expect_geq(SCSI_REPORT_LUNS_ALLOC_MIN,
                  SCSI_REPORT_LUNS_HEADER_BYTES + SCSI_REPORT_LUNS_ENTRY_BYTES,
                  "room for the header and one LUN");
}

Test(scsi, bit_fields_of_one_byte_do_not_overlap)
{
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(SCSI_MODE_SENSE_PC_MASK),
                                          ROW(SCSI_MODE_SENSE_PAGE_MASK))),
                 BITS(7, 0), "MODE SENSE byte 2 is page control and page code");
    spec_check_disjoint(ROWS(ROW(SCSI_MODE_SENSE_DBD), ROW(SCSI_MODE_SENSE_LLBAA)));
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(SCSI_START_STOP_START), ROW(SCSI_START_STOP_LOEJ),
                                          ROW(SCSI_START_STOP_POWER_MASK))),
                 BITS(7, 4) | BITS(1, 0));
    spec_check_disjoint(ROWS(ROW(SCSI_SYNC_CACHE_IMMED), ROW(SCSI_SYNC_CACHE_SYNC_NV)));
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(SCSI_SENSE_VALID), ROW(SCSI_SENSE_RESPONSE_MASK))),
                 BITS(7, 0), "sense byte 0 is VALID and the response code");
    cr_expect_eq(spec_check_disjoint(ROWS(ROW(SCSI_INQ_QUALIFIER_MASK), ROW(SCSI_INQ_TYPE_MASK))),
                 BITS(7, 0), "INQUIRY byte 0 is qualifier and type");
    spec_check_disjoint(ROWS(ROW(SCSI_MODE_WP), ROW(SCSI_MODE_DPOFUA)));
    spec_check_disjoint(ROWS(ROW(SCSI_CACHING_WCE), ROW(SCSI_CACHING_RCD)));
    static const struct field fields[] = {
        FIELD(SCSI_OP_GROUP_MASK, SCSI_OP_GROUP_SHIFT),
        FIELD(SCSI_MODE_SENSE_PC_MASK, SCSI_MODE_SENSE_PC_SHIFT),
        FIELD0(SCSI_MODE_SENSE_PAGE_MASK), FIELD0(SCSI_SAI_SERVICE_ACTION_MASK),
        FIELD(SCSI_START_STOP_POWER_MASK, SCSI_START_STOP_POWER_SHIFT),
        FIELD0(SCSI_SENSE_RESPONSE_MASK), FIELD0(SCSI_SENSE_KEY_MASK),
        FIELD(SCSI_INQ_QUALIFIER_MASK, SCSI_INQ_QUALIFIER_SHIFT), FIELD0(SCSI_INQ_TYPE_MASK),
        FIELD0(SCSI_INQ_FORMAT_MASK),
    };
    spec_check_fields(FACTS(fields));
    cr_expect(spec_fits(SCSI_MODE_PAGE_CACHING, SCSI_MODE_SENSE_PAGE_MASK, 0));
    cr_expect_eq(SCSI_MODE_PAGE_ALL, SCSI_MODE_SENSE_PAGE_MASK, "return-all is the top page code");
    cr_expect_neq(SCSI_PREVENT_ALLOW_PREVENT, SCSI_PREVENT_ALLOW_ALLOW);
}

Test(scsi, sense_fields_lie_inside_their_format)
{
    static const struct fact fixed[] = {
        FIELD_AT(SCSI_SENSE_FIXED_KEY, 1),
        FIELD_AT(SCSI_SENSE_FIXED_INFO, SCSI_SENSE_FIXED_INFO_BYTES),
        FIELD_AT(SCSI_SENSE_FIXED_ADD_LENGTH, 1),
        FIELD_AT(SCSI_SENSE_FIXED_CMD_INFO, SCSI_SENSE_FIXED_CMD_INFO_BYTES),
        FIELD_AT(SCSI_SENSE_FIXED_ASC, 1), FIELD_AT(SCSI_SENSE_FIXED_ASCQ, 1),
        FIELD_AT(SCSI_SENSE_FIXED_FRU, 1),
        FIELD_AT(SCSI_SENSE_FIXED_SKS, SCSI_SENSE_FIXED_SKS_BYTES),
    };
    check_fields_reach("fixed sense", FACTS(fixed), 2, SCSI_SENSE_FIXED_BYTES);
    cr_expect_eq(SCSI_SENSE_FIXED_ADD_LENGTH_18,
                 SCSI_SENSE_FIXED_BYTES - (SCSI_SENSE_FIXED_ADD_LENGTH + 1u),
                 "the additional length counts what follows it");
    cr_expect_lt(SCSI_SENSE_RESPONSE, SCSI_SENSE_FIXED_KEY);
    static const struct fact desc[] = {
        FIELD_AT(SCSI_SENSE_RESPONSE, 1), FIELD_AT(SCSI_SENSE_DESC_KEY, 1),
        FIELD_AT(SCSI_SENSE_DESC_ASC, 1), FIELD_AT(SCSI_SENSE_DESC_ASCQ, 1),
        RESERVED_AT(4, 3), FIELD_AT(SCSI_SENSE_DESC_ADD_LENGTH, 1),
    };
    check_fields_reach("descriptor sense header", FACTS(desc), 0, SCSI_SENSE_DESC_HEADER_BYTES);
    static const struct fact codes[] = {
        ROW(SCSI_SENSE_FIXED_CURRENT), ROW(SCSI_SENSE_FIXED_DEFERRED),
        ROW(SCSI_SENSE_DESC_CURRENT), ROW(SCSI_SENSE_DESC_DEFERRED),
    };
    spec_check_distinct(FACTS(codes));
    spec_check_range(FACTS(codes), 0x70, SCSI_SENSE_RESPONSE_MASK);
    cr_expect_lt(SCSI_SENSE_FIXED_DEFERRED, SCSI_SENSE_DESC_CURRENT, "72h and up: descriptors");
    cr_expect_eq(SCSI_SENSE_FIXED_CURRENT ^ SCSI_SENSE_DESC_CURRENT, BIT(1),
                 "bit 1 tells the formats apart (as QEMU reads it)");
    cr_expect_eq(SCSI_SENSE_FIXED_DEFERRED ^ SCSI_SENSE_DESC_DEFERRED, BIT(1));
}

Test(scsi, codes_of_one_kind_are_distinct_and_fit_their_field)
{
    spec_check_distinct(FACTS(statuses));
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        cr_expect_eq(statuses[i].value & 1u, 0, "%s: status bit 0 is not used (LX-PROTO 0xfe)",
                     statuses[i].what);
    spec_check_distinct(FACTS(sense_keys));
    spec_check_range(FACTS(sense_keys), 0, SCSI_SENSE_KEY_MASK);
    uint64_t seen = 0;
    for (size_t i = 0; i < sizeof(sense_keys) / sizeof(sense_keys[0]); i++)
        seen |= BIT(sense_keys[i].value);
    cr_expect_eq(seen, BITS(14, 0) & ~BIT(0xc), "keys 0..Eh but Ch are named");

    static const struct fact codes[] = {
        ROW(SCSI_ASC_NOT_READY), ROW(SCSI_ASC_BECOMING_READY), ROW(SCSI_ASC_WRITE_ERROR),
        ROW(SCSI_ASC_UNRECOVERED_READ), ROW(SCSI_ASC_PARAM_LIST_LENGTH),
        ROW(SCSI_ASC_INVALID_OPCODE), ROW(SCSI_ASC_LBA_OUT_OF_RANGE),
        ROW(SCSI_ASC_INVALID_FIELD_IN_CDB), ROW(SCSI_ASC_LUN_NOT_SUPPORTED),
        ROW(SCSI_ASC_WRITE_PROTECTED), ROW(SCSI_ASC_MEDIUM_CHANGED), ROW(SCSI_ASC_POWER_ON_RESET),
        ROW(SCSI_ASC_DEVICE_INTERNAL_RESET), ROW(SCSI_ASC_CAPACITY_CHANGED),
        ROW(SCSI_ASC_MEDIUM_NOT_PRESENT), ROW(SCSI_ASC_REPORTED_LUNS_CHANGED),
        ROW(SCSI_ASC_INTERNAL_TARGET_FAILURE),
    };
    spec_check_distinct(FACTS(codes));
    spec_check_range(FACTS(codes), 0, 0xffff);
    cr_expect_eq(SCSI_ASC_OF(SCSI_ASC_REPORTED_LUNS_CHANGED), 0x3fu);
    cr_expect_eq(SCSI_ASCQ_OF(SCSI_ASC_REPORTED_LUNS_CHANGED), 0x0eu);
    cr_expect_eq(SCSI_ASC_OF(SCSI_ASC_BECOMING_READY), SCSI_ASC_OF(SCSI_ASC_NOT_READY));
    cr_expect_eq(SCSI_ASCQ_OF(SCSI_ASC_BECOMING_READY), 1u);
    cr_expect_eq(SCSI_ASCQ_OF(SCSI_ASC_INVALID_FIELD_IN_CDB), 0u);
    cr_expect_eq(SCSI_ASC_SHIFT, 8u, "ASC is the high byte");
}

Test(scsi, inquiry_fields_lie_inside_36_bytes)
{
    static const struct fact names[] = {
        FIELD_AT(SCSI_INQ_VENDOR, SCSI_INQ_VENDOR_BYTES),
        FIELD_AT(SCSI_INQ_PRODUCT, SCSI_INQ_PRODUCT_BYTES),
        FIELD_AT(SCSI_INQ_REVISION, SCSI_INQ_REVISION_BYTES),
    };
    check_fields_reach("INQUIRY identification", FACTS(names), 8, SCSI_INQ_STD_BYTES);
    static const struct fact head[] = {
        FIELD_AT(SCSI_INQ_PERIPHERAL, 1), FIELD_AT(SCSI_INQ_RMB_BYTE, 1),
        FIELD_AT(SCSI_INQ_VERSION, 1), FIELD_AT(SCSI_INQ_FORMAT, 1),
        FIELD_AT(SCSI_INQ_ADD_LENGTH, 1),
    };
    check_fields_reach("INQUIRY header", FACTS(head), 0, SCSI_INQ_ADD_LENGTH + 1u);
    cr_expect_eq(SCSI_INQ_STD_BYTES - (SCSI_INQ_ADD_LENGTH + 1u), 31u,
                 "36 bytes: additional length 31 (n - 5)");
    cr_expect_eq(SCSI_INQ_QUALIFIER_NOT_CAPABLE << SCSI_INQ_QUALIFIER_SHIFT | SCSI_INQ_TYPE_UNKNOWN,
                 0x7fu, "7Fh: no logical unit (Linux TYPE_NO_LUN)");
    cr_expect(spec_fits(SCSI_INQ_QUALIFIER_NOT_CAPABLE, SCSI_INQ_QUALIFIER_MASK,
                        SCSI_INQ_QUALIFIER_SHIFT));
    cr_expect(spec_fits(SCSI_INQ_TYPE_UNKNOWN, SCSI_INQ_TYPE_MASK, 0));
    cr_expect(spec_fits(SCSI_INQ_FORMAT_2, SCSI_INQ_FORMAT_MASK, 0));
    static const struct fact vpd[] = {
        RESERVED_AT(0, 1), FIELD_AT(SCSI_VPD_PAGE_CODE, 1),
        FIELD_AT(SCSI_VPD_PAGE_LENGTH, SCSI_VPD_PAGE_LENGTH_BYTES),
    };
    check_fields_reach("VPD header", FACTS(vpd), 0, SCSI_VPD_HEADER_BYTES);
    cr_expect_eq(SCSI_VPD_DESIGNATOR_LENGTH + 1u, SCSI_VPD_DESIGNATOR_HEADER_BYTES);
    spec_check_distinct(ROWS(ROW(SCSI_VPD_SUPPORTED_PAGES), ROW(SCSI_VPD_UNIT_SERIAL),
                             ROW(SCSI_VPD_DEVICE_ID)));
}

Test(scsi, returned_data_fields_fill_their_data)
{
    static const struct fact rc10[] = {
        FIELD_AT(SCSI_RC10_LAST_LBA, SCSI_RC10_LAST_LBA_BYTES),
        FIELD_AT(SCSI_RC10_BLOCK_LENGTH, SCSI_RC10_BLOCK_LENGTH_BYTES),
    };
    static const struct fact rc16[] = {
        FIELD_AT(SCSI_RC16_LAST_LBA, SCSI_RC16_LAST_LBA_BYTES),
        FIELD_AT(SCSI_RC16_BLOCK_LENGTH, SCSI_RC16_BLOCK_LENGTH_BYTES),
    };
    static const struct fact mode6[] = {
        FIELD_AT(SCSI_MODE6_DATA_LENGTH, 1), FIELD_AT(SCSI_MODE6_MEDIUM_TYPE, 1),
        FIELD_AT(SCSI_MODE6_DEVICE_SPECIFIC, 1), FIELD_AT(SCSI_MODE6_BD_LENGTH, 1),
    };
    static const struct fact mode10[] = {
        FIELD_AT(SCSI_MODE10_DATA_LENGTH, SCSI_MODE10_DATA_LENGTH_BYTES),
        FIELD_AT(SCSI_MODE10_MEDIUM_TYPE, 1), FIELD_AT(SCSI_MODE10_DEVICE_SPECIFIC, 1),
        FIELD_AT(SCSI_MODE10_LONGLBA, 1), RESERVED_AT(5, 1),
        FIELD_AT(SCSI_MODE10_BD_LENGTH, SCSI_MODE10_BD_LENGTH_BYTES),
    };
    static const struct fact bd[] = {
        FIELD_AT(SCSI_MODE_BD_DENSITY, 1), FIELD_AT(SCSI_MODE_BD_BLOCKS, SCSI_MODE_BD_BLOCKS_BYTES),
        RESERVED_AT(4, 1), FIELD_AT(SCSI_MODE_BD_BLOCK_LENGTH, SCSI_MODE_BD_BLOCK_LENGTH_BYTES),
    };
    static const struct fact luns[] = {
        FIELD_AT(SCSI_REPORT_LUNS_LIST_LENGTH, SCSI_REPORT_LUNS_LIST_LENGTH_BYTES),
        RESERVED_AT(4, 4),
    };
    check_fields_reach("READ CAPACITY(10) data", FACTS(rc10), 0, SCSI_RC10_DATA_BYTES);
    check_fields_reach("READ CAPACITY(16) data, named part", FACTS(rc16), 0, 12);
    cr_expect_leq(12u, SCSI_RC16_DATA_BYTES);
    cr_expect_eq(SCSI_RC10_LBA_USE_16, BITS(8 * SCSI_RC10_LAST_LBA_BYTES - 1, 0),
                 "the all-ones LBA of four bytes");
    check_fields_reach("MODE SENSE(6) header", FACTS(mode6), 0, SCSI_MODE6_HEADER_BYTES);
    check_fields_reach("MODE SENSE(10) header", FACTS(mode10), 0, SCSI_MODE10_HEADER_BYTES);
    check_fields_reach("short block descriptor", FACTS(bd), 0, SCSI_MODE_BD_BYTES);
    check_fields_reach("REPORT LUNS header", FACTS(luns), 0, SCSI_REPORT_LUNS_HEADER_BYTES);
    cr_expect_lt(SCSI_REPORT_LUNS_ENTRY_LUN, SCSI_REPORT_LUNS_ENTRY_BYTES);
}
