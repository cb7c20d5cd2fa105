/* impl/apps/fio_job: job keys one clause at a time, the I/O sequences
 * against what fio does (one pass over every block, the mix, flushes),
 * and the verify format against corruption. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/apps/fio_job.h"
#include "tests/impl/splitmix.h"

static struct fio_job job(const char *const kv[])
{
    struct fio_job j;
    fio_job_defaults(&j);
    const char *why;
    for (size_t i = 0; kv[i] != NULL; i += 2)
        cr_assert_eq(fio_job_set(&j, kv[i], kv[i + 1], &why), IOSIM_OK, "%s=%s: %s", kv[i],
                     kv[i + 1], why);
    cr_assert_eq(fio_job_check(&j, 1ull << 30, &why), IOSIM_OK, "%s", why);
    return j;
}

Test(fio_job, sizes_read_as_fio_reads_them)
{
    static const struct { const char *text; uint64_t want; } ok[] = {
        {"512", 512}, {"4k", 4096}, {"4K", 4096}, {"1m", 1u << 20}, {"2g", 2ull << 30},
        {"1t", 1ull << 40}, {"0x1000", 4096},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 0;
        cr_expect(fio_size_parse(ok[i].text, &v), "%s", ok[i].text);
        cr_expect_eq(v, ok[i].want, "%s", ok[i].text);
    }
    static const char *const bad[] = {"", "k", "4x", "-1", "4kk", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v;
        cr_expect(!fio_size_parse(bad[i], &v), "%s", bad[i]);
    }
}

Test(fio_job, each_bad_key_or_value_is_refused_with_its_sentence)
{
    static const char *const bad[][2] = {
        {"rw", "randomread"}, {"bs", "256"}, {"bs", "2m"}, {"iodepth", "0"},
        {"iodepth", "257"}, {"rwmixread", "101"}, {"verify", "2"}, {"size", "lots"},
        {"direct", "1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fio_job j;
        fio_job_defaults(&j);
        const char *why = NULL;
        cr_expect_eq(fio_job_set(&j, bad[i][0], bad[i][1], &why), IOSIM_EINVAL, "%s=%s",
                     bad[i][0], bad[i][1]);
        cr_expect_not_null(why);
    }
    struct fio_job j;
    fio_job_defaults(&j);
    const char *why;
    j.size = 4096 * 3 + 512;
    cr_expect_eq(fio_job_check(&j, 1u << 20, &why), IOSIM_EINVAL, "size not a multiple of bs");
    fio_job_defaults(&j);
    j.offset = 1u << 20;
    cr_expect_eq(fio_job_check(&j, 1u << 20, &why), IOSIM_EINVAL, "past the end");
    j.offset = 512;
    cr_expect_eq(fio_job_check(&j, 4u << 20, &why), IOSIM_EINVAL, "offset not a multiple of bs");
}

/* A random job visits every block of the region exactly once a pass. */
Test(fio_job, a_random_pass_touches_every_block_once)
{
    static const char *const sizes[] = {"4k", "12k", "1m", "1028k", "40m", NULL};
    for (size_t k = 0; sizes[k] != NULL; k++) {
        for (uint32_t seed = 1; seed <= 5; seed++) {
            char seed_text[16];
            snprintf(seed_text, sizeof seed_text, "%u", seed);
            struct fio_job j = job((const char *const[]){"rw", "randwrite", "size", sizes[k],
                                                         "randseed", seed_text, NULL});
            struct fio_gen g;
            fio_gen_init(&g, &j);
            uint64_t blocks = j.size / j.bs;
            uint8_t *seen = calloc(blocks, 1);
            struct fio_io io;
            uint64_t n = 0;
            while (fio_gen_next(&g, &io)) {
                cr_assert_eq(io.op, FIO_OP_WRITE);
                cr_assert_eq(io.len, j.bs);
                cr_assert_eq(io.offset % j.bs, 0);
                cr_assert_lt(io.offset / j.bs, blocks);
                cr_assert_eq(seen[io.offset / j.bs]++, 0, "block %llu twice",
                             (unsigned long long)(io.offset / j.bs));
                n++;
            }
            cr_expect_eq(n, blocks);
            free(seen);
        }
    }
}

Test(fio_job, sequential_jobs_walk_the_region_and_wrap)
{
    struct fio_job j = job((const char *const[]){"rw", "read", "bs", "8k", "size", "32k",
                                                 "offset", "64k", "number_ios", "6", NULL});
    struct fio_gen g;
    fio_gen_init(&g, &j);
    static const uint64_t want[] = {64, 72, 80, 88, 64, 72};
    struct fio_io io;
    for (size_t i = 0; i < 6; i++) {
        cr_assert(fio_gen_next(&g, &io));
        cr_expect_eq(io.op, FIO_OP_READ);
        cr_expect_eq(io.offset, want[i] * 1024);
    }
    cr_expect(!fio_gen_next(&g, &io));
}

Test(fio_job, a_mixed_job_reads_its_share_and_flushes_every_n_writes)
{
    struct fio_job j = job((const char *const[]){"rw", "randrw", "rwmixread", "70", "size",
                                                 "40m", "fsync", "8", NULL});
    struct fio_gen g;
    fio_gen_init(&g, &j);
    struct fio_io io;
    uint64_t reads = 0, writes = 0, flushes = 0, since = 0;
    while (fio_gen_next(&g, &io)) {
        if (io.op == FIO_OP_FLUSH) {
            cr_assert(since == 8 || (since > 0 && since < 8), "a flush after %llu writes",
                      (unsigned long long)since);
            flushes++;
            since = 0;
        } else if (io.op == FIO_OP_WRITE) {
            cr_assert_lt(since, 8, "eight writes, then a flush");
            since++;
            writes++;
        } else {
            reads++;
        }
    }
    cr_expect_eq(since, 0, "a final flush");
    cr_expect_eq(reads + writes, (40u << 20) / 4096);
    double share = (double)reads / (double)(reads + writes);
    cr_expect(share > 0.68 && share < 0.72, "reads %.3f of the I/Os", share);
    cr_expect_eq(flushes, (writes + 7) / 8);
}

Test(fio_job, a_verified_block_passes_and_any_change_to_it_fails)
{
    uint64_t s = 99;
    static uint8_t b[4096], c[4096];
    for (int round = 0; round < 200; round++) {
        uint32_t bs = below(&s, 2) ? 4096 : 512;
        uint64_t off = (uint64_t)below(&s, 1000000) * bs;
        uint32_t gen = 1 + below(&s, 1000);
        fio_verify_fill(b, bs, off, gen, 7);
        uint32_t got = 0;
        cr_assert(fio_verify_check(b, bs, off, 7, &got));
        cr_assert_eq(got, gen);
        cr_assert(!fio_verify_check(b, bs, off + bs, 7, &got), "another block's data");
        memcpy(c, b, bs);
        c[below(&s, bs)] ^= (uint8_t)(1u << below(&s, 8));
        cr_assert(!fio_verify_check(c, bs, off, 7, &got), "a flipped bit");
        memcpy(c, b, bs / 2); /* half of an older generation: a torn write */
        fio_verify_fill(c, bs, off, gen + 1, 7);
        memcpy(c + bs / 2, b + bs / 2, bs / 2);
        cr_assert(!fio_verify_check(c, bs, off, 7, &got), "torn");
    }
    memset(b, 0, sizeof b);
    uint32_t got = 5;
    cr_expect(fio_verify_check(b, 4096, 0, 7, &got), "never written: zeros");
    cr_expect_eq(got, 0);
}
