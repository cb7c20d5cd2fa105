/* impl/disk/disk_store: the sparse store against a flat reference (reads,
 * writes across pages, flushes and power losses), its bounds, and a huge
 * store that costs only what was written. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/disk/disk_store.h"
#include "tests/impl/splitmix.h"

#define PAGE DISK_STORE_PAGE_BYTES

static void store_write(struct disk_store *s, uint64_t off, const uint8_t *src, uint64_t len)
{
    while (len > 0) {
        uint8_t *p;
        uint32_t n;
        cr_assert_eq(disk_store_span(s, off, len, true, &p, &n), IOSIM_OK);
        cr_assert(n >= 1 && n <= len);
        memcpy(p, src, n);
        off += n, src += n, len -= n;
    }
}

static void store_read(struct disk_store *s, uint64_t off, uint8_t *dst, uint64_t len)
{
    while (len > 0) {
        uint8_t *p;
        uint32_t n;
        cr_assert_eq(disk_store_span(s, off, len, false, &p, &n), IOSIM_OK);
        memcpy(dst, p, n);
        off += n, dst += n, len -= n;
    }
}

Test(disk_store, reads_zeros_when_never_written)
{
    struct disk_store s;
    cr_assert_eq(disk_store_init(&s, 1ull << 40, 4, false), IOSIM_OK);
    uint8_t buf[4096];
    memset(buf, 0xaa, sizeof buf);
    store_read(&s, (1ull << 40) - sizeof buf, buf, sizeof buf);
    for (size_t i = 0; i < sizeof buf; i++)
        cr_assert_eq(buf[i], 0);
    cr_assert_eq(s.pages, 0, "a read allocates nothing");
    disk_store_destroy(&s);
}

Test(disk_store, refuses_ranges_outside_when_hostile)
{
    struct disk_store s;
    cr_assert_eq(disk_store_init(&s, 1u << 20, 4, false), IOSIM_OK);
    uint8_t *p;
    uint32_t n;
    cr_assert_eq(disk_store_span(&s, 0, 0, false, &p, &n), IOSIM_EINVAL);
    cr_assert_eq(disk_store_span(&s, 1u << 20, 1, false, &p, &n), IOSIM_EINVAL);
    cr_assert_eq(disk_store_span(&s, (1u << 20) - 1, 2, true, &p, &n), IOSIM_EINVAL);
    cr_assert_eq(disk_store_span(&s, 512, UINT64_MAX, true, &p, &n), IOSIM_EINVAL);
    cr_assert_eq(disk_store_span(&s, UINT64_MAX, 1, true, &p, &n), IOSIM_EINVAL);
    cr_assert_eq(s.pages, 0);
    disk_store_destroy(&s);
}

Test(disk_store, refuses_a_write_when_pages_run_out)
{
    struct disk_store s;
    cr_assert_eq(disk_store_init(&s, 1ull << 30, 2, false), IOSIM_OK);
    uint8_t *p;
    uint32_t n;
    cr_assert_eq(disk_store_span(&s, 0, 1, true, &p, &n), IOSIM_OK);
    cr_assert_eq(disk_store_span(&s, 10 * PAGE, 1, true, &p, &n), IOSIM_OK);
    cr_assert_eq(disk_store_span(&s, 20 * PAGE, 1, true, &p, &n), IOSIM_ENOSPC);
    cr_assert_eq(disk_store_span(&s, 10 * PAGE + 5, 1, true, &p, &n), IOSIM_OK, "its own page");
    cr_assert_eq(s.pages, 2);
    cr_assert_eq(disk_store_init(&s, 0, 2, false), IOSIM_EINVAL);
    cr_assert_eq(disk_store_init(&s, 1, 0, false), IOSIM_EINVAL);
    cr_assert_eq(disk_store_init(&s, 1, DISK_STORE_PAGES_MAX + 1, false), IOSIM_EINVAL);
}

Test(disk_store, keeps_flushed_writes_and_loses_the_rest_when_the_power_goes)
{
    struct disk_store s;
    cr_assert_eq(disk_store_init(&s, 8 * PAGE, 8, true), IOSIM_OK);
    uint8_t a[512], b[512], got[512];
    memset(a, 1, sizeof a);
    memset(b, 2, sizeof b);
    store_write(&s, 0, a, sizeof a);
    store_write(&s, 3 * PAGE, a, sizeof a);
    disk_store_flush(&s);
    store_write(&s, 0, b, sizeof b);        /* over flushed data */
    store_write(&s, 5 * PAGE, b, sizeof b); /* a page new since the flush */
    store_read(&s, 0, got, sizeof got);
    cr_assert_eq(memcmp(got, b, sizeof b), 0, "reads see the cache");
    disk_store_power_loss(&s);
    store_read(&s, 0, got, sizeof got);
    cr_assert_eq(memcmp(got, a, sizeof a), 0, "back to what was flushed");
    store_read(&s, 3 * PAGE, got, sizeof got);
    cr_assert_eq(memcmp(got, a, sizeof a), 0);
    store_read(&s, 5 * PAGE, got, sizeof got);
    for (size_t i = 0; i < sizeof got; i++)
        cr_assert_eq(got[i], 0, "never flushed: zeros");
    cr_assert_eq(s.lost_pages, 2);
    disk_store_destroy(&s);
}

/* Random writes, reads, flushes and power losses against two flat copies:
 * what reads see and what was durable at the last flush. */
Test(disk_store, matches_a_flat_disk_when_driven_at_random)
{
    const uint64_t bytes = 6 * PAGE + 1024;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        uint64_t rs = seed;
        struct disk_store s;
        bool cache = seed % 2 == 0;
        cr_assert_eq(disk_store_init(&s, bytes, 8, cache), IOSIM_OK);
        uint8_t *cur = calloc(1, bytes), *durable = calloc(1, bytes), *buf = malloc(3 * PAGE);
        for (int op = 0; op < 300; op++) {
            uint64_t off = next_rand(&rs) % bytes;
            uint64_t len = 1 + next_rand(&rs) % (bytes - off < 3 * PAGE ? bytes - off : 3 * PAGE);
            uint32_t what = below(&rs, 10);
            if (what < 4) {
                for (uint64_t i = 0; i < len; i++)
                    buf[i] = (uint8_t)next_rand(&rs);
                store_write(&s, off, buf, len);
                memcpy(cur + off, buf, len);
                if (!cache)
                    memcpy(durable + off, buf, len);
            } else if (what < 8) {
                store_read(&s, off, buf, len);
                cr_assert_eq(memcmp(buf, cur + off, len), 0, "seed %llu op %d",
                             (unsigned long long)seed, op);
            } else if (what == 8) {
                disk_store_flush(&s);
                memcpy(durable, cur, bytes);
            } else {
                disk_store_power_loss(&s);
                memcpy(cur, durable, bytes);
            }
        }
        free(cur), free(durable), free(buf);
        disk_store_destroy(&s);
    }
}

Test(disk_store, writes_itself_back_when_the_cache_is_full)
{
    struct disk_store s;
    cr_assert_eq(disk_store_init(&s, (uint64_t)(DISK_STORE_DIRTY_MAX + 2) * PAGE,
                                 DISK_STORE_DIRTY_MAX + 2, true), IOSIM_OK);
    uint8_t one = 1;
    for (uint32_t i = 0; i <= DISK_STORE_DIRTY_MAX; i++)
        store_write(&s, (uint64_t)i * PAGE, &one, 1);
    cr_assert_eq(s.write_backs, 1);
    cr_assert_eq(s.dirty_count, 1, "only the page after the write-back is dirty");
    disk_store_power_loss(&s);
    uint8_t got;
    store_read(&s, 0, &got, 1);
    cr_assert_eq(got, 1, "written back: durable");
    store_read(&s, (uint64_t)DISK_STORE_DIRTY_MAX * PAGE, &got, 1);
    cr_assert_eq(got, 0, "the last write was still in the cache");
    disk_store_destroy(&s);
}
