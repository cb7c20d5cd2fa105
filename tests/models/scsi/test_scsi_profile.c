/* models/scsi/scsi_profile: each profile gives back, at queue depth 1, the
 * public figures it was derived from (docs/scsi-profiles.md), within 2 %. */
#include <criterion/criterion.h>

#include "models/scsi/scsi_profile.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

static double mb_per_s(const struct scsi_profile *p, bool write, uint64_t bytes)
{
    sim_time_ps t = scsi_profile_access_ps(p, write, 0, 0, bytes); /* sequential: no seek */
    return (double)bytes / ((double)t / (double)SIM_S) / 1e6;
}

static double iops_4k_random(const struct scsi_profile *p, bool write)
{
    sim_time_ps t = scsi_profile_access_ps(p, write, UINT64_MAX, 12345678, 4 * KIB);
    return (double)SIM_S / (double)t;
}

static void near(double got, double want, const char *what)
{
    cr_expect(got > want * 0.98 && got < want * 1.02, "%s: %.1f, the source says %.1f", what, got,
              want);
}

Test(scsi_profile, usb3_flash_gives_back_the_lexar_s75_figures)
{
    const struct scsi_profile *p = scsi_profile_find("usb3-flash");
    cr_assert_not_null(p);
    near(mb_per_s(p, false, MIB), 136.0, "seq read 1 MiB QD1");
    near(mb_per_s(p, true, MIB), 98.0, "seq write 1 MiB QD1");
    near(iops_4k_random(p, false), 1010.0, "4K random read QD1");
    near(iops_4k_random(p, true), 141.0, "4K random write QD1");
}

Test(scsi_profile, the_others_stream_at_their_sources_rates)
{
    const struct scsi_profile *p = scsi_profile_find("usb2-flash");
    cr_assert_not_null(p);
    /* HD Tach reads in large requests: the command cost is under 15 % */
    cr_expect(mb_per_s(p, false, 16 * MIB) > 28.9 * 0.85);
    p = scsi_profile_find("usb3-ssd-bridge");
    cr_assert_not_null(p);
    near(mb_per_s(p, false, 64 * MIB), 284.0, "BOT read, 30 % under UASP's 369.2");
    p = scsi_profile_find("usb-hdd");
    cr_assert_not_null(p);
    near(mb_per_s(p, false, 64 * MIB), 101.0, "portable 5400 rpm read");
    near(mb_per_s(p, true, 64 * MIB), 90.0, "portable 5400 rpm write");
}

Test(scsi_profile, a_disk_pays_seek_and_half_a_turn_but_not_for_the_next_block)
{
    const struct scsi_profile *p = scsi_profile_find("usb-hdd");
    cr_assert_not_null(p);
    sim_time_ps next = scsi_profile_access_ps(p, false, 100, 100, 4 * KIB);
    sim_time_ps close = scsi_profile_access_ps(p, false, 100, 200, 4 * KIB);
    sim_time_ps far = scsi_profile_access_ps(p, false, 100, 100000000, 4 * KIB);
    cr_expect_eq(close - next, p->track_ps + p->revolution_ps / 2);
    cr_expect_eq(far - next, p->seek_read_ps + p->revolution_ps / 2);
    double iops = (double)SIM_S / (double)far;
    cr_expect(iops > 50 && iops < 60, "random 4K reads of a 5400 rpm disk: %.1f IOPS", iops);
    const struct scsi_profile *f = scsi_profile_find("usb3-flash");
    cr_expect_eq(scsi_profile_access_ps(f, false, 0, 1u << 30, 4 * KIB),
                 scsi_profile_access_ps(f, false, 0, 0, 4 * KIB), "flash has no head");
}

Test(scsi_profile, every_profile_is_named_and_complete)
{
    size_t n = 0;
    for (; scsi_profiles[n] != NULL; n++) {
        const struct scsi_profile *p = scsi_profiles[n];
        cr_expect_eq(scsi_profile_find(p->name), p);
        cr_expect(p->read_cmd_ps > 0 && p->write_cmd_ps > 0 && p->read_ps_per_kib > 0 &&
                  p->write_ps_per_kib > 0 && p->flush_ps > 0, "%s", p->name);
        cr_expect(p->block_bytes == 512 || p->block_bytes == 4096, "%s", p->name);
        cr_expect((p->revolution_ps == 0) == (p->seek_read_ps == 0), "%s", p->name);
    }
    cr_expect_eq(n, 4);
    cr_expect_null(scsi_profile_find("floppy"));
}
