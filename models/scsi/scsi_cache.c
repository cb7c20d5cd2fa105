/* A disk drive's segmented read cache; see scsi_cache.h. */
#include "models/scsi/scsi_cache.h"

#include <stddef.h>

#include "impl/port/check.h"

void scsi_cache_init(struct scsi_cache *c, uint32_t segments, uint64_t readahead_blocks)
{
    ASSERT(c != NULL && segments <= SCSI_CACHE_SEGMENTS_MAX);
    c->segments = segments;
    c->readahead = readahead_blocks;
    scsi_cache_clear(c);
}

void scsi_cache_clear(struct scsi_cache *c)
{
    c->n = 0;
    c->clock = 0;
}

bool scsi_cache_hit(const struct scsi_cache *c, uint64_t lba, uint64_t n)
{
    ASSERT(c->n <= c->segments);
    for (uint32_t i = 0; i < c->n; i++)
        if (lba >= c->lo[i] && n <= c->hi[i] - c->lo[i] && lba - c->lo[i] <= c->hi[i] - c->lo[i] - n)
            return true;
    return false;
}

/* The segment a read starting at lba continues, or the one to replace. */
static uint32_t slot_for(struct scsi_cache *c, uint64_t lba)
{
    for (uint32_t i = 0; i < c->n; i++)
        if (lba >= c->lo[i] && lba <= c->hi[i])
            return i;
    if (c->n < c->segments)
        return c->n++;
    uint32_t s = 0; /* all in use: the one filled longest ago */
    for (uint32_t i = 1; i < c->n; i++)
        s = c->filled[i] < c->filled[s] ? i : s;
    return s;
}

void scsi_cache_fill(struct scsi_cache *c, uint64_t lba, uint64_t n, uint64_t disk_blocks)
{
    ASSERT(c != NULL && c->n <= c->segments);
    if (c->segments == 0 || lba >= disk_blocks)
        return;
    uint64_t room = disk_blocks - lba, want = n + c->readahead;
    want = want < n ? UINT64_MAX : want; /* no wrap past 2^64 */
    uint32_t s = slot_for(c, lba);
    c->lo[s] = lba;
    c->hi[s] = lba + (want < room ? want : room);
    c->filled[s] = ++c->clock;
}

void scsi_cache_invalidate(struct scsi_cache *c, uint64_t lba, uint64_t n)
{
    ASSERT(c != NULL && c->n <= c->segments);
    uint64_t end = n > UINT64_MAX - lba ? UINT64_MAX : lba + n;
    for (uint32_t i = 0; i < c->n;) {
        if (c->lo[i] < end && lba < c->hi[i]) {
            /* dropped: the last filled segment takes its place */
            c->n--;
            c->lo[i] = c->lo[c->n];
            c->hi[i] = c->hi[c->n];
            c->filled[i] = c->filled[c->n];
            continue;
        }
        i++;
    }
}
