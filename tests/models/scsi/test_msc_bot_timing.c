/* models/scsi/msc_bot with a profile and a fake clock: a READ takes its
 * fixed cost and then streams at the medium's rate (NAKs with the whole
 * packets there are, one wake-up per chunk), a disk pays for seeks, a
 * WRITE is taken no faster than the medium drains it, and no CSW comes
 * before the command's time. The clock here jumps from wake-up to wake-up
 * as the simulator's event list would. */
#include <criterion/criterion.h>
#include <string.h>

#include "impl/port/spec/scsi.h"
#include "impl/port/spec/usb_bot.h"
#include "models/scsi/msc_bot.h"
#include "tests/models/scsi/msc_test_util.h"

static struct msc_bot *m;
static const struct usb_fn_ops *ops;
static uint8_t *data; /* MSC_BOT_XFER_MAX */

/* The fake clock: one pending wake-up, replaced by each new one. */
static sim_time_ps t_now, t_wake;
static void (*wake_fn)(void *);
static void *wake_arg;
static uint32_t wakes_set;

static sim_time_ps fake_now(void *ctx)
{
    (void)ctx;
    return t_now;
}

static enum iosim_err fake_after(void *ctx, sim_time_ps delay, void (*fn)(void *), void *arg)
{
    (void)ctx;
    t_wake = t_now + delay;
    wake_fn = fn;
    wake_arg = arg;
    wakes_set++;
    return IOSIM_OK;
}

/* Time moves to the pending wake-up, which fires. False: none pending. */
static bool run_wake(void)
{
    if (wake_fn == NULL)
        return false;
    void (*fn)(void *) = wake_fn;
    wake_fn = NULL;
    cr_assert_geq(t_wake, t_now, "time never runs back");
    t_now = t_wake;
    fn(wake_arg);
    return true;
}

static void setup_timed(const char *profile, uint64_t blocks)
{
    struct msc_bot_config c = {.luns = 1, .profile = scsi_profile_find(profile)};
    cr_assert_not_null(c.profile);
    c.lu[0] = (struct scsi_lu_config){.media = {.block_bytes = 512, .blocks = blocks}};
    cr_assert_eq(msc_bot_create(&c, &m), IOSIM_OK);
    msc_bot_set_clock(m, &(struct msc_bot_clock){.now = fake_now, .wake_after = fake_after});
    ops = msc_bot_ops();
    t_now = t_wake = 0;
    wake_fn = NULL;
    wakes_set = 0;
    data = malloc(MSC_BOT_XFER_MAX);
    cr_assert_not_null(data);
}

static void teardown_timed(void)
{
    msc_bot_destroy(m);
    free(data);
}

static void send_cbw(uint32_t len, bool in, const uint8_t *cdb, uint8_t cdb_len)
{
    uint8_t b[USB_BOT_CBW_BYTES];
    msc_test_cbw(b, 7, len, in, cdb, cdb_len);
    uint32_t taken;
    cr_assert_eq(ops->out(m, MSC_BOT_EP_OUT, b, sizeof b, &taken), USB_ACK);
}

static void rw10(uint8_t *cdb, uint8_t op, uint32_t lba, uint16_t blocks)
{
    memset(cdb, 0, 10);
    cdb[0] = op;
    for (int i = 0; i < 4; i++)
        cdb[SCSI_RW10_LBA + i] = (uint8_t)(lba >> (24 - 8 * i));
    cdb[SCSI_RW10_BLOCKS] = (uint8_t)(blocks >> 8);
    cdb[SCSI_RW10_BLOCKS + 1] = (uint8_t)blocks;
}

/* An IN transfer of `len` bytes to its end, retried at each wake-up. */
static uint32_t read_all(uint32_t len)
{
    uint32_t got_total = 0;
    for (uint32_t tries = 0; tries < 10000; tries++) {
        uint32_t got = 0;
        enum usb_result r = ops->in(m, MSC_BOT_EP_IN, data + got_total, len - got_total, &got);
        got_total += got;
        if (r == USB_ACK)
            return got_total;
        cr_assert_eq(r, USB_NAK);
        cr_assert_eq(got % 512u, 0, "NAK moves whole packets only");
        cr_assert(run_wake(), "a NAK promises a wake-up");
    }
    cr_assert_fail("never ended");
    return 0;
}

static void write_all(uint32_t len)
{
    uint32_t sent = 0;
    for (uint32_t tries = 0; tries < 10000; tries++) {
        uint32_t taken = 0;
        enum usb_result r = ops->out(m, MSC_BOT_EP_OUT, data + sent, len - sent, &taken);
        sent += taken;
        if (r == USB_ACK)
            return;
        cr_assert_eq(r, USB_NAK);
        cr_assert(run_wake());
    }
    cr_assert_fail("never ended");
}

static uint8_t csw_status(void)
{
    uint32_t got = 0;
    for (uint32_t tries = 0; tries < 16; tries++) {
        enum usb_result r = ops->in(m, MSC_BOT_EP_IN, data, 13, &got);
        if (r == USB_ACK) {
            cr_assert_eq(got, 13);
            return data[USB_BOT_CSW_STATUS];
        }
        cr_assert_eq(r, USB_NAK);
        cr_assert(run_wake());
    }
    cr_assert_fail("no CSW");
    return 0xff;
}

static void past_unit_attention(void)
{
    uint8_t tur[6] = {SCSI_OP_TEST_UNIT_READY};
    send_cbw(0, false, tur, 6);
    cr_assert_eq(csw_status(), USB_BOT_CSW_STATUS_FAILED);
}

static double ratio(sim_time_ps got, sim_time_ps want) { return (double)got / (double)want; }

Test(msc_bot_timing, a_1_mib_read_takes_its_fixed_cost_then_streams_at_the_medium_rate)
{
    setup_timed("usb3-flash", 1u << 22);
    past_unit_attention();
    const struct scsi_profile *p = scsi_profile_find("usb3-flash");
    uint8_t cdb[10];
    rw10(cdb, SCSI_OP_READ_10, 4096, 2048);
    sim_time_ps t0 = t_now;
    send_cbw(1u << 20, true, cdb, 10);
    cr_assert_eq(read_all(1u << 20), 1u << 20);
    sim_time_ps want = p->read_cmd_ps + (1ull << 20) * p->read_ps_per_kib / 1024u;
    double r = ratio(t_now - t0, want);
    cr_expect(r > 0.99 && r < 1.01, "took %llu ps, want %llu", (unsigned long long)(t_now - t0),
              (unsigned long long)want);
    uint64_t polls = (1ull << 20) * p->read_ps_per_kib / 1024u / MSC_BOT_POLL_PS;
    cr_expect(wakes_set >= polls && wakes_set <= polls + 6, /* + the fixed cost, the CSW */
              "a wake-up a microframe of data: %u, want about %llu", wakes_set,
              (unsigned long long)polls);
    cr_expect_eq(csw_status(), USB_BOT_CSW_STATUS_PASSED);
    teardown_timed();
}

Test(msc_bot_timing, a_nak_carries_the_whole_packets_already_there)
{
    setup_timed("usb3-flash", 1u << 22);
    past_unit_attention();
    const struct scsi_profile *p = scsi_profile_find("usb3-flash");
    uint8_t cdb[10];
    rw10(cdb, SCSI_OP_READ_10, 0, 128); /* 64 KiB */
    sim_time_ps t0 = t_now;
    send_cbw(65536, true, cdb, 10);
    uint32_t got = 99;
    cr_expect_eq(ops->in(m, MSC_BOT_EP_IN, data, 65536, &got), USB_NAK, "before the fixed cost");
    cr_expect_eq(got, 0);
    /* 1300 bytes' worth after the fixed cost: two whole packets */
    t_now = t0 + p->read_cmd_ps + 1300u * p->read_ps_per_kib / 1024u + 1u;
    cr_expect_eq(ops->in(m, MSC_BOT_EP_IN, data, 65536, &got), USB_NAK);
    cr_expect_eq(got, 1024);
    cr_expect_eq(read_all(65536 - 1024), 65536 - 1024);
    cr_expect_eq(csw_status(), USB_BOT_CSW_STATUS_PASSED);
    struct msc_bot_stats st;
    msc_bot_stats_get(m, &st);
    cr_expect_geq(st.naks_in, 2);
    teardown_timed();
}

Test(msc_bot_timing, no_csw_before_the_command_s_time)
{
    setup_timed("usb2-flash", 1000);
    uint8_t tur[6] = {SCSI_OP_TEST_UNIT_READY};
    send_cbw(0, false, tur, 6);
    uint32_t got;
    cr_expect_eq(ops->in(m, MSC_BOT_EP_IN, data, 13, &got), USB_NAK);
    cr_expect_eq(t_wake, MSC_BOT_CMD_PS);
    t_now = MSC_BOT_CMD_PS - 1;
    cr_expect_eq(ops->in(m, MSC_BOT_EP_IN, data, 13, &got), USB_NAK, "one picosecond early");
    cr_expect_eq(csw_status(), USB_BOT_CSW_STATUS_FAILED, "the power-on attention");
    cr_expect_eq(t_now, MSC_BOT_CMD_PS);
    teardown_timed();
}

/* Time for a READ of `blocks` at lba, the CBW at the current time. */
static sim_time_ps timed_read(uint32_t lba, uint16_t blocks)
{
    uint8_t cdb[10];
    rw10(cdb, SCSI_OP_READ_10, lba, blocks);
    sim_time_ps t0 = t_now;
    send_cbw(blocks * 512u, true, cdb, 10);
    read_all(blocks * 512u);
    cr_assert_eq(csw_status(), USB_BOT_CSW_STATUS_PASSED);
    return t_now - t0;
}

Test(msc_bot_timing, a_disk_pays_seek_and_rotation_for_a_random_read_and_not_a_sequential_one)
{
    setup_timed("usb-hdd", 1u << 24);
    past_unit_attention();
    const struct scsi_profile *p = scsi_profile_find("usb-hdd");
    sim_time_ps data_ps = 4096ull * p->read_ps_per_kib / 1024u;
    sim_time_ps first = timed_read(1000, 8);
    cr_expect_geq(first, p->read_cmd_ps + p->seek_read_ps + p->revolution_ps / 2, "unknown head");
    sim_time_ps seq = timed_read(1008, 8);
    cr_expect_leq(seq, p->read_cmd_ps + data_ps + 1, "the next block: no seek");
    sim_time_ps rnd = timed_read(8000000, 8);
    sim_time_ps want = p->read_cmd_ps + p->seek_read_ps + p->revolution_ps / 2 + data_ps;
    cr_expect_leq(rnd, want + 1);
    cr_expect_geq(rnd, want - 1);
    sim_time_ps near = timed_read(8000100, 8);
    cr_expect_eq(near > p->read_cmd_ps + p->track_ps && near < rnd, true, "a short move");
    teardown_timed();
}

Test(msc_bot_timing, a_write_is_taken_no_faster_than_the_medium_and_its_csw_waits_for_it)
{
    setup_timed("usb3-flash", 1u << 22);
    past_unit_attention();
    const struct scsi_profile *p = scsi_profile_find("usb3-flash");
    uint8_t cdb[10];
    rw10(cdb, SCSI_OP_WRITE_10, 0, 2048);
    memset(data, 0xa5, 1u << 20);
    sim_time_ps t0 = t_now;
    send_cbw(1u << 20, false, cdb, 10);
    write_all(1u << 20);
    cr_expect_lt(t_now - t0, p->write_cmd_ps + (1ull << 20) * p->write_ps_per_kib / 1024u,
                 "the last data went in before the medium had it all");
    cr_expect_eq(csw_status(), USB_BOT_CSW_STATUS_PASSED);
    sim_time_ps want = p->write_cmd_ps + (1ull << 20) * p->write_ps_per_kib / 1024u;
    double r = ratio(t_now - t0, want);
    cr_expect(r > 0.99 && r < 1.01, "took %llu ps, want %llu", (unsigned long long)(t_now - t0),
              (unsigned long long)want);
    uint8_t back[512];
    uint64_t bad;
    cr_assert_eq(scsi_media_read(scsi_lu_media(msc_bot_lu(m, 0)), 2047, 1, back, &bad), IOSIM_OK);
    cr_expect_eq(back[511], 0xa5);
    teardown_timed();
}

Test(msc_bot_timing, synchronize_cache_pays_for_the_dirty_blocks)
{
    struct msc_bot_config c = {.luns = 1, .profile = scsi_profile_find("usb-hdd")};
    c.lu[0] = (struct scsi_lu_config){.media = {.block_bytes = 512, .blocks = 1u << 20,
                                                .write_cache = true}};
    cr_assert_eq(msc_bot_create(&c, &m), IOSIM_OK);
    msc_bot_set_clock(m, &(struct msc_bot_clock){.now = fake_now, .wake_after = fake_after});
    ops = msc_bot_ops();
    t_now = 0;
    wake_fn = NULL;
    data = malloc(MSC_BOT_XFER_MAX);
    past_unit_attention();
    uint8_t sync[10] = {SCSI_OP_SYNC_CACHE_10};
    sim_time_ps t0 = t_now;
    send_cbw(0, false, sync, 10);
    cr_expect_eq(csw_status(), USB_BOT_CSW_STATUS_PASSED);
    cr_expect_eq(t_now - t0, c.profile->flush_ps, "nothing cached");
    uint8_t cdb[10];
    rw10(cdb, SCSI_OP_WRITE_10, 0, 256);
    send_cbw(131072, false, cdb, 10);
    write_all(131072);
    cr_expect_eq(csw_status(), USB_BOT_CSW_STATUS_PASSED);
    t0 = t_now;
    send_cbw(0, false, sync, 10);
    cr_expect_eq(csw_status(), USB_BOT_CSW_STATUS_PASSED);
    cr_expect_eq(t_now - t0, c.profile->flush_ps + 131072ull * c.profile->write_ps_per_kib / 1024u);
    teardown_timed();
}

Test(msc_bot_timing, a_power_loss_drops_the_cache_and_resets_the_units)
{
    struct msc_bot_config c = {.luns = 1};
    c.lu[0] = (struct scsi_lu_config){.media = {.block_bytes = 512, .blocks = 100,
                                                .write_cache = true}};
    cr_assert_eq(msc_bot_create(&c, &m), IOSIM_OK);
    ops = msc_bot_ops();
    data = malloc(MSC_BOT_XFER_MAX);
    past_unit_attention();
    uint8_t cdb[10];
    rw10(cdb, SCSI_OP_WRITE_10, 5, 1);
    send_cbw(512, false, cdb, 10);
    memset(data, 0x77, 512);
    write_all(512);
    cr_expect_eq(csw_status(), USB_BOT_CSW_STATUS_PASSED);
    msc_bot_power_loss(m);
    uint8_t back[512];
    uint64_t bad;
    cr_assert_eq(scsi_media_read(scsi_lu_media(msc_bot_lu(m, 0)), 5, 1, back, &bad), IOSIM_OK);
    cr_expect_eq(back[0], 0, "the cached write is gone");
    past_unit_attention(); /* and the unit says it was reset */
    struct msc_bot_stats st;
    msc_bot_stats_get(m, &st);
    cr_expect_eq(st.power_losses, 1);
    teardown_timed();
}
