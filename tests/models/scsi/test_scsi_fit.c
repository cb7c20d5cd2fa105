/* models/scsi/scsi_fit: a profile fitted to times a known profile made
 * gives those times back (the fit's own model is the device model's), on
 * random workloads of a disk with a read cache and without. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "models/scsi/scsi_fit.h"
#include "tests/impl/splitmix.h"

#define DISK (1ull << 31)

/* A host's mix: runs of sequential reads, re-reads, short hops, far
 * seeks, some writes and flushes. */
static void workload(uint64_t *rng, struct scsi_fit_req *r, size_t n)
{
    uint64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = next_rand(rng);
        uint32_t blocks = 8u << (x % 6); /* 4 KiB .. 128 KiB */
        switch ((x >> 8) % 8) {
        case 0: at = (x >> 16) % (DISK - 4096); break;           /* far */
        case 1: at = at > 300 ? at - 300 : at + 300; break;      /* near */
        case 2: at = at > 64 ? at - 64 : 0; break;               /* a re-read */
        default: break;                                          /* the next blocks */
        }
        char op = (x >> 32) % 16 == 0 ? 'w' : (x >> 32) % 16 == 1 ? 'f' : 'r';
        r[i] = (struct scsi_fit_req){.op = op, .lba = op == 'f' ? 0 : at,
                                     .blocks = op == 'f' ? 0 : blocks};
        at += op == 'f' ? 0 : blocks;
    }
}

static void fit_gives_back(const struct scsi_profile *truth, uint64_t seed)
{
    static struct scsi_fit_req r[3000];
    static sim_time_ps pred[3000];
    uint64_t rng = seed;
    size_t n = 1000 + next_rand(&rng) % 2000;
    workload(&rng, r, n);
    cr_assert_eq(scsi_fit_predict(truth, r, n, DISK, pred), IOSIM_OK);
    for (size_t i = 0; i < n; i++)
        r[i].device_ps = pred[i];
    struct scsi_profile got;
    struct scsi_fit_stats st;
    cr_assert_eq(scsi_fit(scsi_profile_find("usb-hdd"), r, n, DISK, &got, &st), IOSIM_OK);
    cr_expect_eq(st.shapes, 64, "8 segment counts x 9 read-aheads, less read-ahead without a cache");
    cr_assert_eq(scsi_fit_predict(&got, r, n, DISK, pred), IOSIM_OK);
    size_t within = 0;
    for (size_t i = 0; i < n; i++) {
        sim_time_ps a = pred[i], b = r[i].device_ps, d = a > b ? a - b : b - a;
        within += d * 100 <= b; /* 1 % */
    }
    cr_expect_geq(within * 100, n * 98, "seed %llu: %zu of %zu requests within 1 %% (score %llu, "
                  "cache %u x %u KiB)", (unsigned long long)seed, within, n,
                  (unsigned long long)st.score, st.cache_segments, st.readahead_kib);
}

Test(scsi_fit, gives_back_a_disk_with_a_read_cache)
{
    struct scsi_profile truth = *scsi_profile_find("usb-hdd");
    truth.cache_segments = 8;
    truth.readahead_kib = 256;
    truth.hit_cmd_ps = 90 * SIM_US;
    truth.hit_ps_per_kib = 3 * SIM_US;
    truth.read_cmd_ps = truth.hit_cmd_ps;
    truth.seek_read_ps = 7 * SIM_MS;
    truth.track_ps = 800 * SIM_US;
    for (uint64_t seed = 1; seed <= 5; seed++)
        fit_gives_back(&truth, seed);
}

Test(scsi_fit, gives_back_a_disk_without_one)
{
    struct scsi_profile truth = *scsi_profile_find("usb-hdd");
    truth.read_cmd_ps = 150 * SIM_US;
    truth.write_cmd_ps = 400 * SIM_US;
    truth.flush_ps = 3 * SIM_MS;
    for (uint64_t seed = 11; seed <= 15; seed++)
        fit_gives_back(&truth, seed);
}

Test(scsi_fit, nothing_to_fit_keeps_the_base)
{
    struct scsi_profile got;
    struct scsi_fit_stats st;
    const struct scsi_profile *base = scsi_profile_find("usb-hdd");
    cr_assert_eq(scsi_fit(base, NULL, 0, DISK, &got, &st), IOSIM_OK);
    cr_expect_eq(got.read_cmd_ps, base->read_cmd_ps);
    cr_expect_eq(got.cache_segments, 0);
}

/* What a hostile capture may say - times of centuries, transfers of 2^32
 * blocks, LBAs near 2^64 - fits to something and never overflows a signed
 * integer (the sanitizer build runs this too). */
Test(scsi_fit, extreme_times_and_sizes_stay_in_range)
{
    static struct scsi_fit_req r[64];
    uint64_t rng = 0xbad;
    for (size_t i = 0; i < 64; i++) {
        uint64_t x = next_rand(&rng);
        r[i] = (struct scsi_fit_req){.op = "rwf"[x % 3], .lba = x % 2 ? UINT64_MAX - (x >> 40) : x >> 20,
                                     .blocks = x % 5 ? UINT32_MAX : (uint32_t)(x >> 33),
                                     .device_ps = x % 7 ? UINT64_MAX - x % 1000 : x >> 8};
    }
    struct scsi_profile got;
    struct scsi_fit_stats st;
    cr_assert_eq(scsi_fit(scsi_profile_find("usb-hdd"), r, 64, UINT64_MAX, &got, &st), IOSIM_OK);
    cr_expect_eq(st.shapes, 64);
}
