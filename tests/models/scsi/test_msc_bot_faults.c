/* models/scsi/msc_bot's BOT fault rules, seen from a host through the USB
 * device framework (usb_dev: real halts and CLEAR_FEATURE): for each of
 * the thirteen cases of BOT 6.7 and each CSW fault, what the host gets
 * (data, STALLs, the CSW), then that reset recovery - Bulk-Only Mass
 * Storage Reset and clearing both halts - brings the device back. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../usb/usb_test_util.h"
#include "impl/port/spec/scsi.h"
#include "impl/port/spec/usb_bot.h"
#include "models/scsi/msc_bot.h"
#include "models/scsi/msc_desc.h"
#include "tests/models/scsi/msc_test_util.h"

struct rig {
    struct msc_bot *bot;
    struct msc_descs descs;
    struct usb_dev_config cfg;
    struct usb_dev *d;
    struct test_host host;
    uint32_t fired;
    char kind[32];
};

static struct rig g;
static uint8_t buf[8192];

static void on_fired(void *ctx, uint32_t rule, uint64_t command, uint8_t opcode, const char *kind)
{
    (void)rule, (void)command, (void)opcode;
    struct rig *r = ctx;
    r->fired++;
    snprintf(r->kind, sizeof r->kind, "%s", kind);
}

static void rig_up(struct msc_fault_rule rule)
{
    memset(&g, 0, sizeof g);
    struct msc_bot_config c = {.luns = 1, .fault_count = 1};
    c.faults[0] = rule;
    c.lu[0] = (struct scsi_lu_config){.media = {.block_bytes = 512, .blocks = 1000}};
    cr_assert_eq(msc_bot_create(&c, &g.bot), IOSIM_OK);
    msc_bot_set_fault_hook(g.bot, &(struct msc_bot_fault_hook){.fired = on_fired, .ctx = &g});
    cr_assert_eq(msc_build_descs(&g.descs, &(struct msc_desc_fields){.speed = USB_SPEED_HIGH,
                                                                    .serial = "F1"}), IOSIM_OK);
    g.cfg = (struct usb_dev_config){
        .name = "msc", .speed = USB_SPEED_HIGH, .device = g.descs.device,
        .configs = &g.descs.config, .configs_count = 1, .strings = g.descs.strings,
        .strings_count = MSC_DESC_STRINGS, .qualifier = g.descs.qualifier,
        .other_speed = g.descs.other_speed, .ops = msc_bot_ops(), .ctx = g.bot};
    cr_assert_eq(usb_dev_create(&g.cfg, &g.d), IOSIM_OK);
    msc_bot_bind(g.bot, g.d);
    to_state(g.d, &g.host, USB_DEV_CONFIGURED, 1);
    /* a pattern on blocks 0..15: block b's bytes are b + 1 */
    uint8_t blk[512];
    for (uint32_t b = 0; b < 16; b++) {
        memset(blk, (int)(b + 1), sizeof blk);
        uint64_t bad;
        cr_assert_eq(scsi_media_write(scsi_lu_media(msc_bot_lu(g.bot, 0)), b, 1, blk, true, &bad),
                     IOSIM_OK);
    }
}

static void rig_down(void)
{
    usb_dev_destroy(g.d);
    msc_bot_destroy(g.bot);
}

static uint32_t get32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void send_cbw(uint32_t tag, uint32_t len, bool in, const uint8_t *cdb, uint8_t cdb_len)
{
    uint8_t b[USB_BOT_CBW_BYTES];
    msc_test_cbw(b, tag, len, in, cdb, cdb_len);
    uint32_t taken;
    cr_assert_eq(usb_dev_out(g.d, MSC_BOT_EP_OUT, b, sizeof b, &taken), USB_ACK);
}

static void clear_halt(uint8_t ep)
{
    cr_assert_eq(ctl(g.d, RT_OUT_EP, USB_REQ_CLEAR_FEATURE, USB_FEATURE_ENDPOINT_HALT, ep, 0),
                 USB_ACK);
}

/* What the host saw of one command. */
struct seen {
    uint32_t data;                      /* bytes of the data phase */
    bool stall_in, stall_out;
    enum usb_result csw_result;         /* ACK, or NAK for a CSW that does not come */
    uint32_t sig, tag, residue;
    uint8_t status;
};

/* One command as a correct host runs it [BOT 5.3, 6.7]: CBW, data (a
 * STALL is cleared), CSW (a STALL on it is cleared and the CSW read again). */
static struct seen command(uint32_t tag, uint32_t len, bool in, const uint8_t *cdb, uint8_t n)
{
    struct seen s = {0};
    send_cbw(tag, len, in, cdb, n);
    if (len != 0 && in) {
        enum usb_result r = usb_dev_in(g.d, MSC_BOT_EP_IN, buf, len, &s.data);
        if (r == USB_STALL) {
            s.stall_in = true;
            clear_halt(MSC_BOT_EP_IN);
        }
    } else if (len != 0) {
        memset(buf, 0xee, len);
        uint32_t taken = 0;
        enum usb_result r = usb_dev_out(g.d, MSC_BOT_EP_OUT, buf, len, &taken);
        s.data = taken;
        if (r == USB_STALL) {
            s.stall_out = true;
            clear_halt(MSC_BOT_EP_OUT);
        }
    }
    uint8_t csw[64];
    uint32_t got = 0;
    s.csw_result = usb_dev_in(g.d, MSC_BOT_EP_IN, csw, sizeof csw, &got);
    if (s.csw_result == USB_STALL) {
        s.stall_in = true;
        clear_halt(MSC_BOT_EP_IN);
        s.csw_result = usb_dev_in(g.d, MSC_BOT_EP_IN, csw, sizeof csw, &got);
    }
    if (s.csw_result == USB_ACK) {
        cr_assert_eq(got, USB_BOT_CSW_BYTES);
        s.sig = get32(csw + USB_BOT_CSW_SIGNATURE);
        s.tag = get32(csw + USB_BOT_CSW_TAG);
        s.residue = get32(csw + USB_BOT_CSW_DATA_RESIDUE);
        s.status = csw[USB_BOT_CSW_STATUS];
    }
    return s;
}

static const uint8_t tur[6] = {SCSI_OP_TEST_UNIT_READY};

static void rw10(uint8_t *cdb, uint8_t op, uint16_t blocks)
{
    memset(cdb, 0, 10);
    cdb[0] = op;
    cdb[SCSI_RW10_BLOCKS + 1] = (uint8_t)blocks;
}

/* Reset recovery [BOT 5.3.4], then a command goes through. */
static void reset_recovery_works(uint32_t tag)
{
    cr_assert_eq(ctl(g.d, USB_BOT_REQ_RESET_TYPE, USB_BOT_REQ_RESET, 0, 0, 0), USB_ACK);
    clear_halt(MSC_BOT_EP_IN);
    clear_halt(MSC_BOT_EP_OUT);
    struct seen s = command(tag, 0, false, tur, 6);
    cr_expect_eq(s.csw_result, USB_ACK, "tag %u: the device answers again", tag);
    cr_expect_eq(s.sig, USB_BOT_CSW_SIGNATURE_VALUE);
    cr_expect_eq(s.tag, tag);
    cr_expect_eq(s.status, USB_BOT_CSW_STATUS_PASSED);
}

struct case_row {
    uint8_t bot_case;
    uint8_t op;                         /* TUR, READ(10) or WRITE(10) of 8 blocks */
    uint32_t host_len;
    bool host_in;
    uint32_t data;                      /* bytes the data phase moves */
    bool stall_in, stall_out;
    uint8_t status;
    uint32_t residue;
};

#define PASS USB_BOT_CSW_STATUS_PASSED
#define PHASE USB_BOT_CSW_STATUS_PHASE_ERROR
static const struct case_row rows[] = {
    {1, SCSI_OP_TEST_UNIT_READY, 0, false, 0, false, false, PASS, 0},
    {2, SCSI_OP_TEST_UNIT_READY, 0, false, 0, false, false, PHASE, 0},
    {3, SCSI_OP_TEST_UNIT_READY, 0, false, 0, false, false, PHASE, 0},
    {4, SCSI_OP_READ_10, 4096, true, 0, true, false, PASS, 4096},
    {5, SCSI_OP_READ_10, 4096, true, 2048, true, false, PASS, 2048},
    {6, SCSI_OP_READ_10, 4096, true, 4096, false, false, PASS, 0},
    {7, SCSI_OP_READ_10, 4096, true, 4096, false, false, PHASE, 0},
    {8, SCSI_OP_READ_10, 4096, true, 0, true, false, PHASE, 0},
    {9, SCSI_OP_WRITE_10, 4096, false, 4096, false, false, PASS, 4096},
    {10, SCSI_OP_WRITE_10, 4096, false, 0, false, true, PHASE, 0},
    {11, SCSI_OP_WRITE_10, 4096, false, 4096, false, false, PASS, 2048},
    {12, SCSI_OP_WRITE_10, 4096, false, 4096, false, false, PASS, 0},
    {13, SCSI_OP_WRITE_10, 4096, false, 0, false, true, PHASE, 0},
};

/* Blocks of the pattern the medium still holds from block 0 on. */
static uint32_t pattern_blocks(void)
{
    uint8_t blk[512];
    uint64_t bad;
    uint32_t n = 0;
    while (n < 16 && scsi_media_read(scsi_lu_media(msc_bot_lu(g.bot, 0)), n, 1, blk, &bad) ==
                         IOSIM_OK && blk[0] == n + 1)
        n++;
    return n;
}

Test(msc_bot_faults, each_of_the_thirteen_cases_as_the_host_sees_it_then_reset_recovery)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct case_row *w = &rows[i];
        /* TUR rules count from the second TUR: the first takes the power-on attention */
        rig_up((struct msc_fault_rule){.command = w->op == SCSI_OP_TEST_UNIT_READY ? 2 : 1,
                                       .count = 1, .bot_case = w->bot_case, .opcode = w->op});
        cr_assert_eq(command(1, 0, false, tur, 6).status, USB_BOT_CSW_STATUS_FAILED);
        uint8_t cdb[10];
        rw10(cdb, w->op, 8);
        struct seen s = command(100 + (uint32_t)i, w->host_len, w->host_in, cdb,
                                w->op == SCSI_OP_TEST_UNIT_READY ? 6 : 10);
        uint8_t c = w->bot_case;
        cr_expect_eq(s.data, w->data, "case %u: data %u", c, s.data);
        cr_expect_eq(s.stall_in, w->stall_in, "case %u: Bulk-In STALL", c);
        cr_expect_eq(s.stall_out, w->stall_out, "case %u: Bulk-Out STALL", c);
        cr_expect_eq(s.csw_result, USB_ACK, "case %u", c);
        cr_expect_eq(s.tag, 100 + i, "case %u", c);
        cr_expect_eq(s.status, w->status, "case %u: status %u", c, s.status);
        cr_expect_eq(s.residue, w->residue, "case %u: residue %u", c, s.residue);
        struct msc_bot_stats st;
        msc_bot_stats_get(g.bot, &st);
        cr_expect_eq(st.last_case, c, "case %u: the device's own account", c);
        cr_expect_eq(g.fired, 1, "case %u", c);
        cr_expect_eq(st.case_faults, 1, "case %u", c);
        if (c == 5 || c == 7) /* what a READ sends is its blocks' data */
            for (uint32_t b = 0; b < s.data / 512u; b++)
                cr_expect_eq(buf[b * 512u + 17], b + 1, "case %u block %u", c, b);
        if (c == 9)
            cr_expect_eq(pattern_blocks(), 16, "case 9 uses none of the data");
        if (c == 11)
            cr_expect_eq(pattern_blocks(), 0, "case 11 wrote the first half");
        if (c == 11) {
            uint8_t blk[512];
            uint64_t bad;
            scsi_media_read(scsi_lu_media(msc_bot_lu(g.bot, 0)), 4, 1, blk, &bad);
            cr_expect_eq(blk[0], 5, "... and not block 4");
        }
        reset_recovery_works(200 + (uint32_t)i);
        rig_down();
    }
}

Test(msc_bot_faults, a_rule_counts_only_commands_its_direction_fits)
{
    rig_up((struct msc_fault_rule){.command = 2, .count = 1, .bot_case = 5,
                                   .opcode = MSC_FAULT_OPCODE_ANY});
    (void)command(1, 0, false, tur, 6); /* no data: case 5 does not count it */
    uint8_t cdb[10];
    rw10(cdb, SCSI_OP_READ_10, 8);
    cr_expect_eq(command(2, 4096, true, cdb, 10).residue, 0, "the first Data-In command");
    cr_expect_eq(command(3, 4096, true, cdb, 10).residue, 2048, "the second");
    cr_expect_eq(command(4, 4096, true, cdb, 10).residue, 0, "count 1: over");
    cr_expect_str_eq(g.kind, "msc_case_5");
    rig_down();
}

Test(msc_bot_faults, csw_faults_as_the_host_sees_them_then_reset_recovery)
{
    static const struct {
        enum msc_fault_csw f;
        const char *kind;
    } faults[] = {{MSC_FAULT_CSW_BAD_SIGNATURE, "msc_csw_bad_signature"},
                  {MSC_FAULT_CSW_BAD_TAG, "msc_csw_bad_tag"},
                  {MSC_FAULT_CSW_BAD_RESIDUE, "msc_csw_bad_residue"},
                  {MSC_FAULT_CSW_NONE, "msc_csw_none"}};
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        rig_up((struct msc_fault_rule){.command = 2, .count = 1, .csw = faults[i].f,
                                       .opcode = MSC_FAULT_OPCODE_ANY});
        (void)command(1, 0, false, tur, 6);
        uint8_t cdb[10];
        rw10(cdb, SCSI_OP_READ_10, 2);
        struct seen s = command(50, 1024, true, cdb, 10);
        cr_expect_eq(s.data, 1024, "the data is fine");
        cr_expect_str_eq(g.kind, faults[i].kind);
        switch (faults[i].f) {
        case MSC_FAULT_CSW_BAD_SIGNATURE:
            cr_expect_neq(s.sig, USB_BOT_CSW_SIGNATURE_VALUE);
            cr_expect_eq(s.tag, 50);
            break;
        case MSC_FAULT_CSW_BAD_TAG:
            cr_expect_eq(s.sig, USB_BOT_CSW_SIGNATURE_VALUE);
            cr_expect_neq(s.tag, 50);
            break;
        case MSC_FAULT_CSW_BAD_RESIDUE:
            cr_expect_eq(s.tag, 50);
            cr_expect_gt(s.residue, 1024, "more than the CBW asked: meaningless");
            break;
        case MSC_FAULT_CSW_NONE:
        case MSC_FAULT_CSW_OK:
        case MSC_FAULT_CSW_COUNT: {
            cr_expect_eq(s.csw_result, USB_NAK, "no CSW");
            uint32_t got;
            cr_expect_eq(usb_dev_in(g.d, MSC_BOT_EP_IN, buf, 13, &got), USB_NAK, "nor later");
            cr_expect_eq(got, 0);
            break;
        }
        }
        struct msc_bot_stats st;
        msc_bot_stats_get(g.bot, &st);
        cr_expect_eq(st.csw_faults, 1);
        cr_expect_eq(st.faults_fired, 1);
        reset_recovery_works(60);
        rig_down();
    }
}

Test(msc_bot_faults, a_silent_device_answers_again_after_a_bus_reset)
{
    rig_up((struct msc_fault_rule){.command = 1, .count = 1, .csw = MSC_FAULT_CSW_NONE,
                                   .opcode = MSC_FAULT_OPCODE_ANY});
    struct seen s = command(1, 0, false, tur, 6);
    cr_expect_eq(s.csw_result, USB_NAK);
    cr_assert_eq(usb_dev_bus_reset(g.d), IOSIM_OK);
    cr_assert_eq(ctl(g.d, RT_OUT_DEV, USB_REQ_SET_ADDRESS, 7, 0, 0), USB_ACK);
    cr_assert_eq(ctl(g.d, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 0, 0), USB_ACK);
    s = command(2, 0, false, tur, 6);
    cr_expect_eq(s.csw_result, USB_ACK);
    cr_expect_eq(s.status, USB_BOT_CSW_STATUS_FAILED, "the reset's unit attention");
    rig_down();
}
