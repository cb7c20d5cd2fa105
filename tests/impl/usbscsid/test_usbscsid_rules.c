/* usbscsid's pure rules: the CSW checks of BOT 6.3 (one test per clause),
 * what each sense key means for a disk: request, and the READ/WRITE CDBs
 * it builds (SBC: (10) while LBA and length fit, (16) past them). */
#include <criterion/criterion.h>
#include <string.h>

#include "impl/drivers/usbscsid/usbscsid.h"
#include "impl/port/spec/scsi.h"
#include "impl/port/spec/usb_bot.h"

static void put_le32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* A CSW that answers a 4096-byte Data-In command tagged 7, passed. */
static struct uscsi_cmd cmd = {.dir = USCSI_IN, .len = 4096, .tag = 7};
static uint8_t csw[USB_BOT_CSW_BYTES];

static void good_csw(void)
{
    memset(csw, 0, sizeof csw);
    put_le32(csw + USB_BOT_CSW_SIGNATURE, USB_BOT_CSW_SIGNATURE_VALUE);
    put_le32(csw + USB_BOT_CSW_TAG, 7);
    put_le32(csw + USB_BOT_CSW_DATA_RESIDUE, 0);
    csw[USB_BOT_CSW_STATUS] = USB_BOT_CSW_STATUS_PASSED;
}

Test(usbscsid_csw, a_good_csw_has_no_problem)
{
    good_csw();
    cr_expect_null(uscsi_csw_problem(&cmd, csw, sizeof csw));
    csw[USB_BOT_CSW_STATUS] = USB_BOT_CSW_STATUS_FAILED;
    cr_expect_null(uscsi_csw_problem(&cmd, csw, sizeof csw), "failed is meaningful");
}

Test(usbscsid_csw, bot_6_3_1_valid_only_when_13_bytes)
{
    good_csw();
    cr_expect_str_eq(uscsi_csw_problem(&cmd, csw, 12), "bad_csw");
    cr_expect_str_eq(uscsi_csw_problem(&cmd, csw, 0), "bad_csw");
}

Test(usbscsid_csw, bot_6_3_1_valid_only_with_the_signature)
{
    good_csw();
    csw[USB_BOT_CSW_SIGNATURE + 3] ^= 0x01;
    cr_expect_str_eq(uscsi_csw_problem(&cmd, csw, sizeof csw), "bad_csw");
}

Test(usbscsid_csw, bot_6_3_1_valid_only_with_the_cbws_tag)
{
    good_csw();
    put_le32(csw + USB_BOT_CSW_TAG, 8);
    cr_expect_str_eq(uscsi_csw_problem(&cmd, csw, sizeof csw), "bad_csw");
}

Test(usbscsid_csw, bot_6_3_2_meaningful_only_with_a_status_of_at_most_2)
{
    good_csw();
    for (unsigned st = 3; st < 256; st++) {
        csw[USB_BOT_CSW_STATUS] = (uint8_t)st;
        cr_expect_str_eq(uscsi_csw_problem(&cmd, csw, sizeof csw), "bad_csw", "status %u", st);
    }
}

Test(usbscsid_csw, bot_6_3_2_meaningful_only_with_a_residue_within_the_length)
{
    good_csw();
    put_le32(csw + USB_BOT_CSW_DATA_RESIDUE, 4096);
    cr_expect_null(uscsi_csw_problem(&cmd, csw, sizeof csw));
    put_le32(csw + USB_BOT_CSW_DATA_RESIDUE, 4097);
    cr_expect_str_eq(uscsi_csw_problem(&cmd, csw, sizeof csw), "bad_csw");
    struct uscsi_cmd none = {.dir = USCSI_NONE, .len = 4096, .tag = 7}; /* no data: 0 expected */
    put_le32(csw + USB_BOT_CSW_DATA_RESIDUE, 1);
    cr_expect_str_eq(uscsi_csw_problem(&none, csw, sizeof csw), "bad_csw");
}

Test(usbscsid_csw, bot_6_3_a_phase_error_is_named_so)
{
    good_csw();
    csw[USB_BOT_CSW_STATUS] = USB_BOT_CSW_STATUS_PHASE_ERROR;
    put_le32(csw + USB_BOT_CSW_DATA_RESIDUE, 0xffffffffu); /* the residue means nothing then */
    cr_expect_str_eq(uscsi_csw_problem(&cmd, csw, sizeof csw), "phase_error");
}

/* ---- sense -------------------------------------------------------------------------------- */

Test(usbscsid_sense, each_key_maps_to_its_request_error)
{
    static const struct {
        uint8_t key, asc;
        enum iosim_err want;
        bool retry;
    } rows[] = {
        {SCSI_SENSE_KEY_NO_SENSE, 0, IOSIM_OK, false},
        {SCSI_SENSE_KEY_RECOVERED_ERROR, 0x17, IOSIM_OK, false},
        {SCSI_SENSE_KEY_NOT_READY, SCSI_ASC_OF(SCSI_ASC_MEDIUM_NOT_PRESENT), IOSIM_ENODEV, false},
        {SCSI_SENSE_KEY_NOT_READY, SCSI_ASC_OF(SCSI_ASC_BECOMING_READY), IOSIM_EIO, false},
        {SCSI_SENSE_KEY_MEDIUM_ERROR, SCSI_ASC_OF(SCSI_ASC_UNRECOVERED_READ), IOSIM_EIO, false},
        {SCSI_SENSE_KEY_HARDWARE_ERROR, 0x44, IOSIM_EIO, false},
        {SCSI_SENSE_KEY_ILLEGAL_REQUEST, SCSI_ASC_OF(SCSI_ASC_LBA_OUT_OF_RANGE), IOSIM_EINVAL,
         false},
        {SCSI_SENSE_KEY_UNIT_ATTENTION, SCSI_ASC_OF(SCSI_ASC_POWER_ON_RESET), IOSIM_EIO, true},
        {SCSI_SENSE_KEY_UNIT_ATTENTION, SCSI_ASC_OF(SCSI_ASC_MEDIUM_CHANGED), IOSIM_EIO, true},
        {SCSI_SENSE_KEY_DATA_PROTECT, SCSI_ASC_OF(SCSI_ASC_WRITE_PROTECTED), IOSIM_EACCES, false},
        {SCSI_SENSE_KEY_ABORTED_COMMAND, 0, IOSIM_EIO, true},
        {SCSI_SENSE_KEY_MISCOMPARE, 0x1d, IOSIM_EIO, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct uscsi_cmd c = {.sense_key = rows[i].key, .asc = rows[i].asc};
        cr_expect_eq(uscsi_sense_error(&c), rows[i].want, "row %zu", i);
        cr_expect_eq(uscsi_sense_retry(&c), rows[i].retry, "row %zu", i);
    }
}

/* ---- CDBs --------------------------------------------------------------------------------- */

static uint64_t be(const uint8_t *b, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | b[i];
    return v;
}

Test(usbscsid_cdb, read_10_and_write_10_carry_lba_and_length_big_endian)
{
    struct uscsi_cmd c = {0};
    uscsi_cdb_rw(&c, false, false, 0x12345678u, 0xabcd);
    cr_expect_eq(c.cdb[SCSI_CDB_OPCODE], SCSI_OP_READ_10);
    cr_expect_eq(c.cdb_len, SCSI_CDB10_BYTES);
    cr_expect_eq(c.dir, USCSI_IN);
    cr_expect_eq(be(c.cdb + SCSI_RW10_LBA, 4), 0x12345678u);
    cr_expect_eq(be(c.cdb + SCSI_RW10_BLOCKS, 2), 0xabcd);
    cr_expect_eq(c.cdb[SCSI_RW10_FLAGS], 0, "no FUA, no DPO");
    uscsi_cdb_rw(&c, true, false, 1, 1);
    cr_expect_eq(c.cdb[SCSI_CDB_OPCODE], SCSI_OP_WRITE_10);
    cr_expect_eq(c.dir, USCSI_OUT);
}

Test(usbscsid_cdb, read_16_and_write_16_reach_past_2_tib)
{
    struct uscsi_cmd c = {0};
    uscsi_cdb_rw(&c, true, true, 0x123456789aull, 0x10000);
    cr_expect_eq(c.cdb[SCSI_CDB_OPCODE], SCSI_OP_WRITE_16);
    cr_expect_eq(c.cdb_len, SCSI_CDB16_BYTES);
    cr_expect_eq(be(c.cdb + SCSI_RW16_LBA, 8), 0x123456789aull);
    cr_expect_eq(be(c.cdb + SCSI_RW16_BLOCKS, 4), 0x10000);
    uscsi_cdb_rw(&c, false, true, 0, 8);
    cr_expect_eq(c.cdb[SCSI_CDB_OPCODE], SCSI_OP_READ_16);
}

Test(usbscsid_cdb, every_opcode_it_sends_has_a_trace_name)
{
    static const uint8_t sent[] = {SCSI_OP_TEST_UNIT_READY, SCSI_OP_REQUEST_SENSE,
                                   SCSI_OP_INQUIRY, SCSI_OP_MODE_SENSE_6,
                                   SCSI_OP_READ_CAPACITY_10, SCSI_OP_SERVICE_ACTION_IN_16,
                                   SCSI_OP_READ_10, SCSI_OP_WRITE_10, SCSI_OP_READ_16,
                                   SCSI_OP_WRITE_16, SCSI_OP_SYNC_CACHE_10};
    for (size_t i = 0; i < sizeof sent; i++)
        cr_expect_str_neq(uscsi_op_name(sent[i]), "unknown", "opcode %02x", sent[i]);
    cr_expect_str_eq(uscsi_op_name(0xff), "unknown");
    cr_expect_str_eq(uscsi_op_name(SCSI_OP_READ_10), "read_10");
}
