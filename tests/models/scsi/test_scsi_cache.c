/* models/scsi/scsi_cache: a drive's segmented read cache, one clause a
 * test, and against a reference (a list of ranges kept the slow, obvious
 * way) on random reads and writes. */
#include <criterion/criterion.h>

#include "models/scsi/scsi_cache.h"
#include "tests/impl/splitmix.h"

Test(scsi_cache, a_miss_brings_its_blocks_and_the_read_ahead)
{
    struct scsi_cache c;
    scsi_cache_init(&c, 4, 100);
    cr_expect(!scsi_cache_hit(&c, 10, 1), "empty: every read misses");
    scsi_cache_fill(&c, 10, 8, 1000);
    cr_expect(scsi_cache_hit(&c, 10, 8), "the same blocks again");
    cr_expect(scsi_cache_hit(&c, 18, 100), "the read-ahead after them");
    cr_expect(!scsi_cache_hit(&c, 18, 101), "one past the read-ahead");
    cr_expect(!scsi_cache_hit(&c, 9, 2), "one before");
    scsi_cache_fill(&c, 950, 8, 1000);
    cr_expect(scsi_cache_hit(&c, 958, 42) && !scsi_cache_hit(&c, 999, 2), "clipped at the disk's end");
}

Test(scsi_cache, oldest_replaced_and_a_stream_keeps_its_segment)
{
    struct scsi_cache c;
    scsi_cache_init(&c, 2, 0);
    scsi_cache_fill(&c, 0, 10, 1000);
    scsi_cache_fill(&c, 10, 10, 1000); /* continues the first: refills it */
    cr_expect_eq(c.n, 1);
    scsi_cache_fill(&c, 100, 10, 1000);
    scsi_cache_fill(&c, 200, 10, 1000); /* replaces the oldest */
    cr_expect(!scsi_cache_hit(&c, 10, 10) && scsi_cache_hit(&c, 100, 10) &&
              scsi_cache_hit(&c, 200, 10));
}

Test(scsi_cache, a_write_drops_what_it_overlaps_and_clear_forgets_all)
{
    struct scsi_cache c;
    scsi_cache_init(&c, 4, 0);
    scsi_cache_fill(&c, 0, 10, 1000);
    scsi_cache_fill(&c, 100, 10, 1000);
    scsi_cache_invalidate(&c, 9, 1);
    cr_expect(!scsi_cache_hit(&c, 0, 1) && scsi_cache_hit(&c, 100, 10));
    scsi_cache_invalidate(&c, 110, 5);
    cr_expect(scsi_cache_hit(&c, 100, 10), "a write next to a segment leaves it");
    scsi_cache_clear(&c);
    cr_expect(!scsi_cache_hit(&c, 100, 10));
    scsi_cache_init(&c, 0, 100);
    scsi_cache_fill(&c, 0, 10, 1000);
    cr_expect(!scsi_cache_hit(&c, 0, 1), "no segments: no cache");
}

/* The reference: at most S ranges, the oldest-filled replaced, a fill
 * starting inside a range replacing that range. */
struct ref {
    uint64_t lo[8], hi[8], age[8];
    uint32_t n, s;
    uint64_t clock;
};

static bool ref_hit(const struct ref *r, uint64_t lba, uint64_t n)
{
    for (uint32_t i = 0; i < r->n; i++)
        if (lba >= r->lo[i] && lba + n <= r->hi[i])
            return true;
    return false;
}

Test(scsi_cache, random_reads_and_writes_against_a_reference)
{
    uint64_t rng = 0xcac4e;
    for (int round = 0; round < 200; round++) {
        uint32_t segs = 1 + (uint32_t)(next_rand(&rng) % 8);
        uint64_t ra = next_rand(&rng) % 64, disk = 2000;
        struct scsi_cache c;
        scsi_cache_init(&c, segs, ra);
        struct ref r = {.s = segs};
        for (int op = 0; op < 300; op++) {
            uint64_t x = next_rand(&rng), lba = x % disk, n = 1 + (x >> 16) % 32;
            n = lba + n > disk ? disk - lba : n;
            bool hit = scsi_cache_hit(&c, lba, n);
            cr_assert_eq(hit, ref_hit(&r, lba, n), "round %d op %d", round, op);
            if ((x >> 40) % 4 == 0) { /* a write */
                scsi_cache_invalidate(&c, lba, n);
                for (uint32_t i = 0; i < r.n;)
                    if (r.lo[i] < lba + n && lba < r.hi[i]) {
                        r.n--;
                        r.lo[i] = r.lo[r.n], r.hi[i] = r.hi[r.n], r.age[i] = r.age[r.n];
                    } else {
                        i++;
                    }
                continue;
            }
            if (hit)
                continue;
            scsi_cache_fill(&c, lba, n, disk);
            uint32_t k = r.n;
            for (uint32_t i = 0; i < r.n && k == r.n; i++)
                if (lba >= r.lo[i] && lba <= r.hi[i])
                    k = i;
            if (k == r.n && r.n == r.s) { /* full: the one filled longest ago */
                k = 0;
                for (uint32_t i = 1; i < r.n; i++)
                    k = r.age[i] < r.age[k] ? i : k;
            } else if (k == r.n) {
                r.n++;
            }
            r.lo[k] = lba;
            r.hi[k] = lba + n + ra < disk ? lba + n + ra : disk;
            r.age[k] = ++r.clock;
        }
    }
}
