/* Store buffer; see storebuf.h. */
#include "sim/machine/storebuf.h"

#include <stdbool.h>
#include <string.h>

#include "impl/port/check.h"

static bool overlap(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    return a < b + blen && b < a + alen;
}

static void entry_store(struct sim_storebuf *sb, const struct sim_sb_entry *e)
{
    if (sb->commit != NULL)
        sb->commit(sb->commit_ctx, sb->owner, e->host, e->data, e->len_bytes);
    else
        memcpy(e->host, e->data, e->len_bytes);
}

static void entry_commit(struct sim_storebuf *sb, uint32_t i)
{
    ASSERT(i < sb->count);
    struct sim_sb_entry *e = &sb->entries[i];
    entry_store(sb, e);
    memmove(&sb->entries[i], &sb->entries[i + 1], (sb->count - i - 1) * sizeof *e);
    sb->count--;
    sb->drained++;
}

void sim_sb_drain_all(struct sim_storebuf *sb)
{
    ASSERT(sb != NULL);
    for (uint32_t i = 0; i < sb->count; i++)
        entry_store(sb, &sb->entries[i]);
    sb->drained += sb->count;
    sb->count = 0;
}

/* The latest due time of buffered entries overlapping [p, p+len). */
static sim_time_ps overlap_due(const struct sim_storebuf *sb, const uint8_t *p, size_t len)
{
    sim_time_ps due = 0;
    for (uint32_t i = 0; i < sb->count; i++) {
        const struct sim_sb_entry *e = &sb->entries[i];
        if (overlap(e->host, e->len_bytes, p, len) && e->due_ps > due)
            due = e->due_ps;
    }
    return due;
}

void sim_sb_write(struct sim_storebuf *sb, void *host, const void *src, size_t len_bytes,
                  sim_time_ps due_ps)
{
    ASSERT(sb != NULL && host != NULL && src != NULL);
    uint8_t *dst = host;
    const uint8_t *from = src;
    while (len_bytes > 0) {
        uint32_t n = len_bytes < SIM_SB_ENTRY_BYTES ? (uint32_t)len_bytes : SIM_SB_ENTRY_BYTES;
        if (sb->count == SIM_SB_ENTRIES)
            entry_commit(sb, 0);
        sim_time_ps older = overlap_due(sb, dst, n);
        struct sim_sb_entry *e = &sb->entries[sb->count++];
        e->host = dst;
        e->len_bytes = n;
        e->due_ps = due_ps > older ? due_ps : older;
        memcpy(e->data, from, n);
        dst += n;
        from += n;
        len_bytes -= n;
    }
    ASSERT(sb->count <= SIM_SB_ENTRIES);
}

void sim_sb_read(const struct sim_storebuf *sb, const void *host, void *dst, size_t len_bytes)
{
    ASSERT(sb != NULL && host != NULL && dst != NULL);
    memcpy(dst, host, len_bytes);
    sim_sb_overlay(sb, host, dst, len_bytes);
}

void sim_sb_overlay(const struct sim_storebuf *sb, const void *host, void *dst,
                    size_t len_bytes)
{
    ASSERT(sb != NULL && host != NULL && dst != NULL);
    const uint8_t *h = host;
    uint8_t *out = dst;
    /* oldest to newest, so the newest store to each byte wins */
    for (uint32_t i = 0; i < sb->count; i++) {
        const struct sim_sb_entry *e = &sb->entries[i];
        if (!overlap(e->host, e->len_bytes, h, len_bytes))
            continue;
        const uint8_t *lo = e->host > h ? e->host : h;
        const uint8_t *hi_e = e->host + e->len_bytes, *hi_r = h + len_bytes;
        const uint8_t *hi = hi_e < hi_r ? hi_e : hi_r;
        memcpy(out + (lo - h), e->data + (lo - e->host), (size_t)(hi - lo));
    }
}

void sim_sb_drain_due(struct sim_storebuf *sb, sim_time_ps now_ps)
{
    ASSERT(sb != NULL);
    /* index order is program order; an overlapping newer entry is never due
     * before an older one, so draining in index order keeps coherence */
    uint32_t i = 0;
    while (i < sb->count) {
        if (sb->entries[i].due_ps <= now_ps)
            entry_commit(sb, i);
        else
            i++;
    }
}

sim_time_ps sim_sb_next_due(const struct sim_storebuf *sb)
{
    sim_time_ps due = SIM_TIME_MAX;
    for (uint32_t i = 0; i < sb->count; i++)
        if (sb->entries[i].due_ps < due)
            due = sb->entries[i].due_ps;
    return due;
}
