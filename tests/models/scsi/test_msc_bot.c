/* models/scsi/msc_bot: the thirteen cases of BOT 6.7, one test each, then
 * the CBW validity rule, reset recovery, Get Max LUN and REPORT LUNS -
 * driven through the function's ops as the device framework calls them. */
#include <criterion/criterion.h>
#include <string.h>

#include "impl/port/spec/scsi.h"
#include "impl/port/spec/usb_bot.h"
#include "models/scsi/msc_bot.h"
#include "tests/models/scsi/msc_test_util.h"

static struct msc_bot *m;
static const struct usb_fn_ops *ops;
static uint8_t data[8192];
static uint32_t n;

static void setup_bot(uint32_t luns)
{
    struct msc_bot_config c = {.luns = luns};
    for (uint32_t l = 0; l < luns; l++)
        c.lu[l] = (struct scsi_lu_config){.media = {.block_bytes = 512, .blocks = 1000}};
    cr_assert_eq(msc_bot_create(&c, &m), IOSIM_OK);
    ops = msc_bot_ops();
}

static enum usb_result send_cbw(uint32_t tag, uint32_t len, bool in, const uint8_t *cdb,
                                uint8_t cdb_len)
{
    uint8_t b[USB_BOT_CBW_BYTES];
    msc_test_cbw(b, tag, len, in, cdb, cdb_len);
    uint32_t taken;
    return ops->out(m, MSC_BOT_EP_OUT, b, sizeof b, &taken);
}

static enum usb_result in(uint32_t max)
{
    return ops->in(m, MSC_BOT_EP_IN, data, max, &n);
}

static void expect_csw(uint32_t tag, uint8_t status, uint32_t residue)
{
    cr_assert_eq(in(USB_BOT_CSW_BYTES), USB_ACK);
    cr_assert_eq(n, USB_BOT_CSW_BYTES);
    cr_expect(memcmp(data, "USBS", 4) == 0);
    uint32_t t = (uint32_t)data[4] | (uint32_t)data[5] << 8 | (uint32_t)data[6] << 16 |
                 (uint32_t)data[7] << 24;
    uint32_t r = (uint32_t)data[8] | (uint32_t)data[9] << 8 | (uint32_t)data[10] << 16 |
                 (uint32_t)data[11] << 24;
    cr_expect_eq(t, tag);
    cr_expect_eq(data[USB_BOT_CSW_STATUS], status, "status %u, want %u", data[12], status);
    cr_expect_eq(r, residue, "residue %u, want %u", r, residue);
}

static uint32_t last_case(void)
{
    struct msc_bot_stats st;
    msc_bot_stats_get(m, &st);
    return st.last_case;
}

static const uint8_t tur[6] = {SCSI_OP_TEST_UNIT_READY};

static void past_unit_attention(void)
{
    cr_assert_eq(send_cbw(1, 0, false, tur, 6), USB_ACK);
    expect_csw(1, USB_BOT_CSW_STATUS_FAILED, 0); /* power on */
}

static void read10(uint8_t *cdb, uint32_t lba, uint16_t blocks, uint8_t op)
{
    memset(cdb, 0, 10);
    cdb[0] = op;
    cdb[SCSI_RW10_LBA + 3] = (uint8_t)lba;
    cdb[SCSI_RW10_BLOCKS + 1] = (uint8_t)blocks;
}

Test(msc_bot, case_1_no_data_either_side)
{
    setup_bot(1);
    past_unit_attention();
    cr_expect_eq(last_case(), USB_BOT_CASE_1);
    cr_assert_eq(send_cbw(2, 0, false, tur, 6), USB_ACK);
    expect_csw(2, USB_BOT_CSW_STATUS_PASSED, 0);
    msc_bot_destroy(m);
}

Test(msc_bot, case_6_the_host_and_the_device_agree_on_in)
{
    setup_bot(1);
    uint8_t inq[6] = {SCSI_OP_INQUIRY, 0, 0, 0, 36, 0};
    cr_assert_eq(send_cbw(5, 36, true, inq, 6), USB_ACK);
    cr_assert_eq(in(512), USB_ACK);
    cr_expect_eq(n, 36);
    expect_csw(5, USB_BOT_CSW_STATUS_PASSED, 0);
    cr_expect_eq(last_case(), USB_BOT_CASE_6);
    msc_bot_destroy(m);
}

Test(msc_bot, case_5_the_device_sends_less_then_stalls_and_reports_the_residue)
{
    setup_bot(1);
    uint8_t inq[6] = {SCSI_OP_INQUIRY, 0, 0, 0, 36, 0};
    cr_assert_eq(send_cbw(6, 64, true, inq, 6), USB_ACK);
    cr_assert_eq(in(64), USB_ACK);
    cr_expect_eq(n, 36);
    cr_expect_eq(in(64), USB_STALL, "less than asked: Bulk-In halts");
    expect_csw(6, USB_BOT_CSW_STATUS_PASSED, 28);
    cr_expect_eq(last_case(), USB_BOT_CASE_5);
    msc_bot_destroy(m);
}

Test(msc_bot, case_4_the_host_expects_in_the_device_has_nothing)
{
    setup_bot(1);
    past_unit_attention();
    cr_assert_eq(send_cbw(7, 512, true, tur, 6), USB_ACK);
    cr_expect_eq(in(512), USB_STALL);
    expect_csw(7, USB_BOT_CSW_STATUS_PASSED, 512);
    cr_expect_eq(last_case(), USB_BOT_CASE_4);
    msc_bot_destroy(m);
}

Test(msc_bot, case_7_the_device_has_more_than_the_host_takes)
{
    setup_bot(1);
    past_unit_attention();
    uint8_t cdb[10];
    read10(cdb, 0, 8, SCSI_OP_READ_10);
    cr_assert_eq(send_cbw(8, 1024, true, cdb, 10), USB_ACK);
    cr_assert_eq(in(4096), USB_ACK);
    cr_expect_eq(n, 1024, "up to what was asked");
    expect_csw(8, USB_BOT_CSW_STATUS_PHASE_ERROR, 0);
    cr_expect_eq(last_case(), USB_BOT_CASE_7);
    msc_bot_destroy(m);
}

Test(msc_bot, cases_2_and_3_the_host_expects_no_data)
{
    setup_bot(1);
    past_unit_attention();
    uint8_t cdb[10];
    read10(cdb, 0, 1, SCSI_OP_READ_10);
    cr_assert_eq(send_cbw(9, 0, false, cdb, 10), USB_ACK);
    expect_csw(9, USB_BOT_CSW_STATUS_PHASE_ERROR, 0);
    cr_expect_eq(last_case(), USB_BOT_CASE_2);
    read10(cdb, 0, 1, SCSI_OP_WRITE_10);
    cr_assert_eq(send_cbw(10, 0, false, cdb, 10), USB_ACK);
    expect_csw(10, USB_BOT_CSW_STATUS_PHASE_ERROR, 0);
    cr_expect_eq(last_case(), USB_BOT_CASE_3);
    msc_bot_destroy(m);
}

Test(msc_bot, case_12_agreed_out_writes_the_blocks)
{
    setup_bot(1);
    past_unit_attention();
    uint8_t cdb[10];
    read10(cdb, 10, 2, SCSI_OP_WRITE_10);
    cr_assert_eq(send_cbw(11, 1024, false, cdb, 10), USB_ACK);
    memset(data, 0x5c, 1024);
    uint32_t taken;
    cr_assert_eq(ops->out(m, MSC_BOT_EP_OUT, data, 512, &taken), USB_ACK);
    cr_assert_eq(ops->out(m, MSC_BOT_EP_OUT, data + 512, 512, &taken), USB_ACK);
    expect_csw(11, USB_BOT_CSW_STATUS_PASSED, 0);
    cr_expect_eq(last_case(), USB_BOT_CASE_12);
    uint8_t back[512];
    uint64_t bad;
    cr_assert_eq(scsi_media_read(scsi_lu_media(msc_bot_lu(m, 0)), 11, 1, back, &bad), IOSIM_OK);
    cr_expect_eq(back[100], 0x5c);
    msc_bot_destroy(m);
}

Test(msc_bot, cases_9_and_11_the_host_sends_more_than_used)
{
    setup_bot(1);
    past_unit_attention();
    uint32_t taken;
    cr_assert_eq(send_cbw(12, 512, false, tur, 6), USB_ACK);
    cr_assert_eq(ops->out(m, MSC_BOT_EP_OUT, data, 512, &taken), USB_ACK);
    expect_csw(12, USB_BOT_CSW_STATUS_PASSED, 512);
    cr_expect_eq(last_case(), USB_BOT_CASE_9);
    uint8_t cdb[10];
    read10(cdb, 0, 1, SCSI_OP_WRITE_10);
    cr_assert_eq(send_cbw(13, 1024, false, cdb, 10), USB_ACK);
    cr_assert_eq(ops->out(m, MSC_BOT_EP_OUT, data, 1024, &taken), USB_ACK);
    expect_csw(13, USB_BOT_CSW_STATUS_PASSED, 512);
    cr_expect_eq(last_case(), USB_BOT_CASE_11);
    msc_bot_destroy(m);
}

Test(msc_bot, cases_10_and_13_bulk_out_halts_with_a_phase_error)
{
    setup_bot(1);
    past_unit_attention();
    uint32_t taken;
    uint8_t inq[6] = {SCSI_OP_INQUIRY, 0, 0, 0, 36, 0};
    cr_assert_eq(send_cbw(14, 36, false, inq, 6), USB_ACK);
    cr_expect_eq(ops->out(m, MSC_BOT_EP_OUT, data, 36, &taken), USB_STALL);
    expect_csw(14, USB_BOT_CSW_STATUS_PHASE_ERROR, 0);
    cr_expect_eq(last_case(), USB_BOT_CASE_10);
    uint8_t cdb[10];
    read10(cdb, 0, 4, SCSI_OP_WRITE_10);
    cr_assert_eq(send_cbw(15, 1024, false, cdb, 10), USB_ACK);
    cr_expect_eq(ops->out(m, MSC_BOT_EP_OUT, data, 1024, &taken), USB_STALL);
    expect_csw(15, USB_BOT_CSW_STATUS_PHASE_ERROR, 0);
    cr_expect_eq(last_case(), USB_BOT_CASE_13);
    msc_bot_destroy(m);
}

Test(msc_bot, case_8_the_host_expects_in_the_device_wants_out)
{
    setup_bot(1);
    past_unit_attention();
    uint8_t cdb[10];
    read10(cdb, 0, 1, SCSI_OP_WRITE_10);
    cr_assert_eq(send_cbw(16, 512, true, cdb, 10), USB_ACK);
    cr_expect_eq(in(512), USB_STALL);
    expect_csw(16, USB_BOT_CSW_STATUS_PHASE_ERROR, 0);
    cr_expect_eq(last_case(), USB_BOT_CASE_8);
    msc_bot_destroy(m);
}

Test(msc_bot, an_invalid_cbw_halts_both_pipes_until_a_reset)
{
    setup_bot(1);
    uint8_t b[USB_BOT_CBW_BYTES] = {'U', 'S', 'B', 'X'};
    uint32_t taken;
    cr_expect_eq(ops->out(m, MSC_BOT_EP_OUT, b, sizeof b, &taken), USB_STALL, "bad signature");
    cr_expect_eq(in(13), USB_STALL);
    cr_expect_eq(send_cbw(20, 0, false, tur, 6), USB_STALL, "still halted");
    struct usb_setup reset = {.request_type = USB_BOT_REQ_RESET_TYPE, .request = USB_BOT_REQ_RESET};
    uint32_t len = 0;
    cr_assert_eq(ops->control(m, &reset, data, &len), USB_ACK);
    cr_assert_eq(send_cbw(21, 0, false, tur, 6), USB_ACK);
    expect_csw(21, USB_BOT_CSW_STATUS_FAILED, 0); /* the power-on attention, still owed */
    cr_expect_eq(send_cbw(22, 0, false, tur, 0), USB_STALL, "a CB length of 0");
    struct msc_bot_stats st;
    msc_bot_stats_get(m, &st);
    cr_expect_eq(st.invalid_cbws, 2);
    cr_expect_eq(st.resets, 1);
    msc_bot_destroy(m);
}

Test(msc_bot, get_max_lun_and_report_luns_count_the_units)
{
    setup_bot(3);
    struct usb_setup g = {.request_type = USB_BOT_REQ_GET_MAX_LUN_TYPE,
                          .request = USB_BOT_REQ_GET_MAX_LUN, .length = 1};
    uint32_t len = 0;
    cr_assert_eq(ops->control(m, &g, data, &len), USB_ACK);
    cr_expect_eq(len, 1);
    cr_expect_eq(data[0], 2);
    uint8_t rl[12] = {SCSI_OP_REPORT_LUNS};
    rl[SCSI_REPORT_LUNS_ALLOC_LENGTH + 3] = 64;
    cr_assert_eq(send_cbw(30, 64, true, rl, 12), USB_ACK);
    cr_assert_eq(in(64), USB_ACK);
    cr_expect_eq(n, 8 + 3 * 8);
    cr_expect_eq(data[3], 24, "list length");
    cr_expect_eq(data[8 + 2 * 8 + SCSI_REPORT_LUNS_ENTRY_LUN], 2);
    cr_expect_eq(in(64), USB_STALL);
    expect_csw(30, USB_BOT_CSW_STATUS_PASSED, 32);
    struct usb_setup other = {.request_type = 0xc0, .request = 0x42};
    cr_expect_eq(ops->control(m, &other, data, &len), USB_STALL);
    msc_bot_destroy(m);
}
