/*
 * models/scsi/scsi_media: the medium against a plain reference (two arrays:
 * what is durable, what the cache holds) under random reads, writes with
 * and without FUA, flushes and power losses; then capacity, ranges, media
 * errors and the sparse layout one clause at a time.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "models/scsi/scsi_media.h"
#include "tests/impl/splitmix.h"

#define REF_BLOCKS 700u                 /* several 64 KiB chunks at either block size */

struct ref {
    uint32_t bs;
    bool cache_on;
    uint8_t *durable, *cached;
    bool held[REF_BLOCKS];
};

static void ref_write(struct ref *r, uint64_t lba, uint32_t n, const uint8_t *in, bool fua)
{
    bool durable = fua || !r->cache_on;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *dst = (durable ? r->durable : r->cached) + (lba + i) * r->bs;
        memcpy(dst, in + (size_t)i * r->bs, r->bs);
        r->held[lba + i] = !durable; /* a durable write leaves no newer cached copy */
    }
}

static void ref_read(const struct ref *r, uint64_t lba, uint32_t n, uint8_t *out)
{
    for (uint32_t i = 0; i < n; i++)
        memcpy(out + (size_t)i * r->bs,
               (r->held[lba + i] ? r->cached : r->durable) + (lba + i) * r->bs, r->bs);
}

static void ref_flush(struct ref *r)
{
    for (uint32_t b = 0; b < REF_BLOCKS; b++)
        if (r->held[b])
            memcpy(r->durable + (size_t)b * r->bs, r->cached + (size_t)b * r->bs, r->bs);
    memset(r->held, 0, sizeof r->held);
}

static void fill(uint8_t *buf, size_t len, uint64_t *seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)next_rand(seed);
}

static void random_ops(uint32_t bs, bool cache_on, uint64_t seed)
{
    struct scsi_media_config c = {.block_bytes = bs, .blocks = REF_BLOCKS, .write_cache = cache_on};
    struct scsi_media *m;
    cr_assert_eq(scsi_media_create(&c, &m), IOSIM_OK);
    struct ref r = {.bs = bs, .cache_on = cache_on, .durable = calloc(REF_BLOCKS, bs),
                    .cached = calloc(REF_BLOCKS, bs)};
    uint8_t *buf = malloc((size_t)40 * bs), *want = malloc((size_t)40 * bs);
    uint64_t bad = 0;
    for (uint32_t op = 0; op < 3000; op++) {
        uint32_t n = 1 + below(&seed, 40);
        uint64_t lba = below(&seed, REF_BLOCKS - n + 1);
        uint32_t kind = below(&seed, 100);
        if (kind < 40) {
            fill(buf, (size_t)n * bs, &seed);
            bool fua = below(&seed, 4) == 0;
            cr_assert_eq(scsi_media_write(m, lba, n, buf, fua, &bad), IOSIM_OK);
            ref_write(&r, lba, n, buf, fua);
        } else if (kind < 90) {
            cr_assert_eq(scsi_media_read(m, lba, n, buf, &bad), IOSIM_OK);
            ref_read(&r, lba, n, want);
            cr_assert(memcmp(buf, want, (size_t)n * bs) == 0, "op %u: read %u at %llu differs",
                      op, n, (unsigned long long)lba);
        } else if (kind < 95) {
            cr_assert_eq(scsi_media_flush(m), IOSIM_OK);
            ref_flush(&r);
        } else {
            scsi_media_power_loss(m);
            memset(r.held, 0, sizeof r.held);
        }
    }
    struct scsi_media_stats st;
    scsi_media_stats_get(m, &st);
    uint64_t held = 0;
    for (uint32_t b = 0; b < REF_BLOCKS; b++)
        held += r.held[b];
    cr_expect_eq(st.blocks_dirty, held);
    free(buf);
    free(want);
    free(r.durable);
    free(r.cached);
    scsi_media_destroy(m);
}

Test(scsi_media, matches_the_reference_under_random_operations)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        random_ops(512, true, seed);
        random_ops(4096, true, seed);
        random_ops(512, false, seed);
        random_ops(4096, false, seed);
    }
}

static struct scsi_media *make(uint32_t bs, uint64_t blocks, bool cache)
{
    struct scsi_media_config c = {.block_bytes = bs, .blocks = blocks, .write_cache = cache};
    struct scsi_media *m = NULL;
    cr_assert_eq(scsi_media_create(&c, &m), IOSIM_OK);
    return m;
}

Test(scsi_media, a_power_loss_keeps_what_was_flushed_or_written_with_fua_and_nothing_else)
{
    struct scsi_media *m = make(512, 64, true);
    uint8_t a[512], b[512], c[512], out[512], zero[512] = {0};
    uint64_t bad;
    memset(a, 0xa1, sizeof a);
    memset(b, 0xb2, sizeof b);
    memset(c, 0xc3, sizeof c);
    cr_assert_eq(scsi_media_write(m, 1, 1, a, false, &bad), IOSIM_OK);
    cr_assert_eq(scsi_media_flush(m), IOSIM_OK);
    cr_assert_eq(scsi_media_write(m, 1, 1, b, false, &bad), IOSIM_OK); /* over a, cached */
    cr_assert_eq(scsi_media_write(m, 2, 1, c, true, &bad), IOSIM_OK);  /* FUA: durable */
    cr_assert_eq(scsi_media_write(m, 3, 1, c, false, &bad), IOSIM_OK); /* never flushed */
    scsi_media_power_loss(m);
    cr_assert_eq(scsi_media_read(m, 1, 1, out, &bad), IOSIM_OK);
    cr_expect(memcmp(out, a, sizeof a) == 0, "the flushed data, not the lost newer write");
    cr_assert_eq(scsi_media_read(m, 2, 1, out, &bad), IOSIM_OK);
    cr_expect(memcmp(out, c, sizeof c) == 0);
    cr_assert_eq(scsi_media_read(m, 3, 1, out, &bad), IOSIM_OK);
    cr_expect(memcmp(out, zero, sizeof zero) == 0, "never written durably: zeros");
    struct scsi_media_stats st;
    scsi_media_stats_get(m, &st);
    cr_expect_eq(st.blocks_lost, 2);
    cr_expect_eq(st.power_losses, 1);
    scsi_media_destroy(m);
}

Test(scsi_media, terabytes_take_memory_only_where_written)
{
    uint64_t blocks = 1ull << 31; /* 8 TiB of 4096-byte blocks */
    struct scsi_media *m = make(4096, blocks, false);
    uint8_t in[4096], out[4096];
    uint64_t bad;
    memset(in, 0x5a, sizeof in);
    cr_assert_eq(scsi_media_write(m, blocks - 1, 1, in, false, &bad), IOSIM_OK);
    cr_assert_eq(scsi_media_write(m, 0, 1, in, false, &bad), IOSIM_OK);
    cr_assert_eq(scsi_media_read(m, blocks - 1, 1, out, &bad), IOSIM_OK);
    cr_expect(memcmp(in, out, sizeof in) == 0);
    cr_assert_eq(scsi_media_read(m, blocks / 2, 1, out, &bad), IOSIM_OK);
    cr_expect_eq(out[0], 0);
    struct scsi_media_stats st;
    scsi_media_stats_get(m, &st);
    cr_expect_eq(st.chunks_durable, 2);
    scsi_media_destroy(m);
}

Test(scsi_media, many_chunks_grow_the_table_and_keep_every_one)
{
    struct scsi_media *m = make(512, 1u << 20, false);
    uint8_t in[512], out[512];
    uint64_t bad;
    for (uint32_t k = 0; k < 300; k++) { /* one block in each of 300 chunks */
        memset(in, (int)(k & 0xff), sizeof in);
        cr_assert_eq(scsi_media_write(m, (uint64_t)k * 128 + 5, 1, in, false, &bad), IOSIM_OK);
    }
    for (uint32_t k = 0; k < 300; k++) {
        cr_assert_eq(scsi_media_read(m, (uint64_t)k * 128 + 5, 1, out, &bad), IOSIM_OK);
        cr_expect_eq(out[100], (uint8_t)k);
    }
    struct scsi_media_stats st;
    scsi_media_stats_get(m, &st);
    cr_expect_eq(st.chunks_durable, 300);
    scsi_media_destroy(m);
}

Test(scsi_media, requests_past_the_end_are_refused_whole)
{
    struct scsi_media *m = make(512, 100, true);
    uint8_t buf[2 * 512];
    uint64_t bad = 0;
    cr_expect_eq(scsi_media_read(m, 99, 2, buf, &bad), IOSIM_ERANGE);
    cr_expect_eq(scsi_media_write(m, 100, 1, buf, false, &bad), IOSIM_ERANGE);
    cr_expect_eq(scsi_media_read(m, UINT64_MAX, 1, buf, &bad), IOSIM_ERANGE);
    cr_expect_eq(scsi_media_read(m, 1, UINT32_MAX, buf, &bad), IOSIM_ERANGE);
    cr_expect_eq(scsi_media_read(m, 99, 1, buf, &bad), IOSIM_OK);
    cr_expect_eq(scsi_media_read(m, 100, 0, buf, &bad), IOSIM_ERANGE);
    cr_expect_eq(scsi_media_read(m, 99, 0, buf, &bad), IOSIM_OK);
    struct scsi_media_stats st;
    scsi_media_stats_get(m, &st);
    cr_expect_eq(st.blocks_dirty, 0);
    scsi_media_destroy(m);
}

Test(scsi_media, media_errors_stop_at_their_first_block)
{
    struct scsi_media *m = make(512, 100, false);
    uint8_t buf[10 * 512];
    uint64_t bad = 0;
    memset(buf, 7, sizeof buf);
    cr_assert_eq(scsi_media_add_error(m, 20, 5, SCSI_MEDIA_ERR_READ), IOSIM_OK);
    cr_assert_eq(scsi_media_add_error(m, 60, 1, SCSI_MEDIA_ERR_WRITE), IOSIM_OK);
    cr_expect_eq(scsi_media_write(m, 15, 10, buf, false, &bad), IOSIM_OK, "reads only");
    cr_expect_eq(scsi_media_read(m, 15, 10, buf, &bad), IOSIM_EIO);
    cr_expect_eq(bad, 20);
    cr_expect_eq(buf[0], 7, "the blocks before it were read");
    cr_expect_eq(scsi_media_write(m, 55, 10, buf, false, &bad), IOSIM_EIO);
    cr_expect_eq(bad, 60);
    cr_expect_eq(scsi_media_read(m, 55, 5, buf, &bad), IOSIM_OK, "written up to it");
    cr_expect_eq(scsi_media_add_error(m, 99, 2, SCSI_MEDIA_ERR_READ), IOSIM_ERANGE);
    cr_expect_eq(scsi_media_add_error(m, 1, 1, 0), IOSIM_EINVAL);
    cr_expect_eq(scsi_media_add_error(m, 1, 0, SCSI_MEDIA_ERR_READ), IOSIM_EINVAL);
    for (uint32_t i = 2; i < SCSI_MEDIA_ERRORS_MAX; i++)
        cr_assert_eq(scsi_media_add_error(m, i, 1, SCSI_MEDIA_ERR_READ), IOSIM_OK);
    cr_expect_eq(scsi_media_add_error(m, 90, 1, SCSI_MEDIA_ERR_READ), IOSIM_ENOSPC);
    scsi_media_destroy(m);
}

Test(scsi_media, sizes_outside_the_rules_are_refused)
{
    struct scsi_media *m = NULL;
    struct scsi_media_config c = {.block_bytes = 1024, .blocks = 10};
    cr_expect_eq(scsi_media_create(&c, &m), IOSIM_EINVAL);
    c = (struct scsi_media_config){.block_bytes = 512, .blocks = 0};
    cr_expect_eq(scsi_media_create(&c, &m), IOSIM_EINVAL);
    c = (struct scsi_media_config){.block_bytes = 512, .blocks = (1ull << 48) + 1};
    cr_expect_eq(scsi_media_create(&c, &m), IOSIM_EINVAL);
    cr_expect_null(m);
}

/* ---- initial contents ---------------------------------------------------------------------- */

Test(scsi_media, loaded_blocks_read_back_and_zero_blocks_take_no_memory)
{
    struct scsi_media *m = make(512, 1u << 20, true);
    uint8_t image[4 * 512] = {0}, out[4 * 512];
    uint64_t bad;
    memset(image + 512, 0xa5, 512); /* block 1 only */
    cr_assert_eq(scsi_media_load(m, 0, 4, image), IOSIM_OK);
    cr_assert_eq(scsi_media_load(m, 128 * 10, 4, (uint8_t[4 * 512]){0}), IOSIM_OK);
    struct scsi_media_stats st;
    scsi_media_stats_get(m, &st);
    cr_expect_eq(st.chunks_durable, 1, "the all-zero load made no chunk");
    cr_expect_eq(st.chunks_cached, 0, "loading bypasses the cache");
    cr_expect_eq(st.blocks_dirty, 0);
    cr_assert_eq(scsi_media_read(m, 0, 4, out, &bad), IOSIM_OK);
    cr_expect(memcmp(out, image, sizeof image) == 0);
    scsi_media_power_loss(m);
    cr_assert_eq(scsi_media_read(m, 1, 1, out, &bad), IOSIM_OK);
    cr_expect_eq(out[0], 0xa5, "durable: a power loss keeps it");
    scsi_media_destroy(m);
}

Test(scsi_media, a_load_overwrites_with_zeros_where_data_is_held)
{
    struct scsi_media *m = make(512, 100, false);
    uint8_t in[512], out[512];
    uint64_t bad;
    memset(in, 3, sizeof in);
    cr_assert_eq(scsi_media_load(m, 7, 1, in), IOSIM_OK);
    memset(in, 0, sizeof in);
    cr_assert_eq(scsi_media_load(m, 7, 1, in), IOSIM_OK);
    cr_assert_eq(scsi_media_read(m, 7, 1, out, &bad), IOSIM_OK);
    cr_expect_eq(out[0], 0);
    cr_expect_eq(scsi_media_load(m, 99, 2, out), IOSIM_ERANGE);
    scsi_media_destroy(m);
}

Test(scsi_media, loaded_blocks_ignore_error_ranges_and_a_cached_write_reads_over_them)
{
    struct scsi_media *m = make(512, 100, true);
    uint8_t in[512], out[512];
    uint64_t bad;
    cr_assert_eq(scsi_media_add_error(m, 5, 1, SCSI_MEDIA_ERR_WRITE), IOSIM_OK);
    memset(in, 1, sizeof in);
    cr_assert_eq(scsi_media_load(m, 5, 1, in), IOSIM_OK);
    cr_assert_eq(scsi_media_load(m, 6, 1, in), IOSIM_OK);
    memset(in, 2, sizeof in);
    cr_assert_eq(scsi_media_write(m, 6, 1, in, false, &bad), IOSIM_OK);
    cr_assert_eq(scsi_media_read(m, 6, 1, out, &bad), IOSIM_OK);
    cr_expect_eq(out[0], 2);
    scsi_media_power_loss(m);
    cr_assert_eq(scsi_media_read(m, 6, 1, out, &bad), IOSIM_OK);
    cr_expect_eq(out[0], 1, "the image's block is back");
    cr_assert_eq(scsi_media_read(m, 5, 1, out, &bad), IOSIM_OK);
    cr_expect_eq(out[0], 1);
    scsi_media_destroy(m);
}
