/* impl/apps/fio_job: job keys one clause at a time, the I/O sequences
 * against what fio does (one pass over every block, the mix, flushes),
 * and the verify format against corruption. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
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

/* ---- iolog --------------------------------------------------------------------------------- */

/* One clause of the iolog's grammar a row: the text, and where and why it
 * is refused (line 0: accepted). */
struct iolog_row {
    const char *text;
    uint32_t line, col;
    const char *why;
};

static const struct iolog_row iolog_rows[] = {
    {"r 0 4096 0\n", 0, 0, NULL},
    {"", 0, 0, NULL},                                       /* no I/O at all */
    {"# a comment\n\n  \t\nw 512 512 10 # why\nf 0 0 0", 0, 0, NULL},
    {"r 0 1048576 3600000000000\r\n", 0, 0, NULL},          /* the largest, an hour */
    {"x 0 512 0", 1, 1, "iolog: each line is `r|w|f OFFSET LEN THINK`"},
    {"read 0 512 0", 1, 1, "iolog: each line is `r|w|f OFFSET LEN THINK`"},
    {"r 0 4096 0\n\n  r -1 512 0", 3, 5, "iolog: the offset, a number of bytes"},
    {"r 0 abc 0", 1, 5, "iolog: the length, a number of bytes"},
    {"r 0 4294967296 0", 1, 5, "iolog: the length, a number of bytes"},
    {"r 0 512", 1, 8, "iolog: the think time, nanoseconds up to an hour"},
    {"r 0 512 3600000000001", 1, 9, "iolog: the think time, nanoseconds up to an hour"},
    {"r 0 512 0 9", 1, 11, "iolog: more than four fields on a line"},
    {"r 100 512 0", 1, 1, "iolog: offset and length are multiples of 512"},
    {"w 0 1000 0", 1, 1, "iolog: offset and length are multiples of 512"},
    {"r 0 0 0", 1, 1, "iolog: a read or write is 512 bytes to 1m"},
    {"w 0 2097152 0", 1, 1, "iolog: a read or write is 512 bytes to 1m"},
    {"f 512 0 0", 1, 1, "iolog: a flush is `f 0 0 THINK`"},
    {"r 18446744073709551104 1024 0", 1, 1, "iolog: offset + length past 2^64"},
};

ParameterizedTestParameters(fio_job, iolog_clauses)
{
    static size_t idx[sizeof iolog_rows / sizeof iolog_rows[0]];
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof idx / sizeof idx[0]);
}

ParameterizedTest(size_t *i, fio_job, iolog_clauses)
{
    const struct iolog_row *r = &iolog_rows[*i];
    struct fio_job j;
    fio_job_defaults(&j);
    const char *why = NULL;
    enum iosim_err e = fio_job_set(&j, "iolog", r->text, &why);
    if (r->line == 0) {
        cr_assert_eq(e, IOSIM_OK, "row %zu: %s", *i, why);
        cr_expect_eq(fio_job_check(&j, 1ull << 40, &why), IOSIM_OK, "row %zu: %s", *i, why);
        return;
    }
    cr_assert_eq(e, IOSIM_EINVAL, "row %zu", *i);
    cr_expect_str_eq(why, r->why, "row %zu", *i);
    cr_expect_eq(j.iolog_line, r->line, "row %zu", *i);
    cr_expect_eq(j.iolog_col, r->col, "row %zu", *i);
    cr_expect_null(j.iolog, "row %zu: a refused log is not the job's", *i);
}

Test(fio_job, an_iolog_job_checks_the_disk_the_depth_and_verify)
{
    struct fio_job j;
    fio_job_defaults(&j);
    const char *why;
    cr_assert_eq(fio_job_set(&j, "iolog", "r 0 512 0\nw 1048064 512 0\n", &why), IOSIM_OK);
    cr_expect_eq(fio_job_check(&j, 1u << 20, &why), IOSIM_OK, "%s", why);
    cr_expect_eq(fio_job_check(&j, (1u << 20) - 512, &why), IOSIM_EINVAL);
    cr_expect_str_eq(why, "iolog: an I/O past the end of the disk");
    j.iodepth = 2;
    cr_expect_eq(fio_job_check(&j, 1u << 20, &why), IOSIM_EINVAL);
    cr_expect_str_eq(why, "iodepth: an iolog runs one I/O at a time (1)");
    j.iodepth = 1;
    j.verify = true;
    cr_expect_eq(fio_job_check(&j, 1u << 20, &why), IOSIM_EINVAL);
    cr_expect_str_eq(why, "verify: not with an iolog");
}

/* Model-based: random logs (with comments, blank lines, stray blanks)
 * give back exactly their entries, in order, and their largest length. */
Test(fio_job, a_random_iolog_generates_exactly_its_entries)
{
    static char text[1 << 16];
    static struct fio_io want[512];
    uint64_t rng = 0x10c;
    for (int round = 0; round < 200; round++) {
        size_t n = next_rand(&rng) % 512, used = 0;
        uint32_t max_len = 0;
        for (size_t k = 0; k < n; k++) {
            uint64_t r = next_rand(&rng);
            enum fio_op op = (enum fio_op)(r % 3);
            uint32_t len = op == FIO_OP_FLUSH ? 0 : (uint32_t)(1 + (r >> 8) % 2048) * 512;
            uint64_t off = op == FIO_OP_FLUSH ? 0 : ((r >> 20) % 1000000) * 512;
            want[k] = (struct fio_io){.op = op, .offset = off, .len = len,
                                      .think_ns = (r >> 40) % 5000000};
            max_len = len > max_len ? len : max_len;
            if (r % 7 == 0)
                used += (size_t)snprintf(text + used, sizeof text - used, "# entry %zu\n\n", k);
            used += (size_t)snprintf(text + used, sizeof text - used, "%s%c %" PRIu64 "  %u\t%" PRIu64 "%s\n",
                                     r % 5 == 0 ? "  " : "", "rwf"[op], off, len,
                                     want[k].think_ns, r % 11 == 0 ? " # think" : "");
        }
        struct fio_job j;
        fio_job_defaults(&j);
        const char *why;
        cr_assert_eq(fio_job_set(&j, "iolog", text, &why), IOSIM_OK, "round %d: %s (line %u col %u)",
                     round, why, j.iolog_line, j.iolog_col);
        cr_assert_eq(j.iolog_ios, n);
        cr_expect_eq(fio_job_max_len(&j), max_len > 512 ? max_len : 512);
        struct fio_gen g;
        fio_gen_init(&g, &j);
        struct fio_io io;
        for (size_t k = 0; k < n; k++) {
            cr_assert(fio_gen_next(&g, &io), "round %d entry %zu", round, k);
            cr_assert(io.op == want[k].op && io.offset == want[k].offset && io.len == want[k].len &&
                          io.think_ns == want[k].think_ns,
                      "round %d entry %zu", round, k);
        }
        cr_expect(!fio_gen_next(&g, &io), "round %d: nothing after the last", round);
        text[0] = '\0';
    }
}
