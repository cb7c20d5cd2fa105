/*
 * The buffer pool's introspection: statistics, the walk over every block,
 * and the self-check of every invariant (bufpool_internal.h lists them).
 */
#include <string.h>

#include "impl/bufpool/bufpool_internal.h"
#include "impl/port/check.h"

/* ---- introspection ----------------------------------------------------------------------- */

void bufpool_stats_get(struct bufpool *p, struct bufpool_stats *out)
{
    ASSERT(p != NULL && out != NULL);
    bp_lock(p);
    *out = p->st;
    out->largest_free_bytes = (uint64_t)bpi_largest(p) << p->shift;
    bp_unlock(p);
    out->fragmentation_ppm =
        out->bytes_free == 0 ? 0
                             : (uint32_t)(1000000u - out->largest_free_bytes * 1000000u /
                                                         out->bytes_free);
}

static enum bufpool_block_state walk_state(uint8_t s)
{
    switch (s) {
    case BP_LIVE: return BUFPOOL_BLOCK_LIVE;
    case BP_DEFERRED: return BUFPOOL_BLOCK_DEFERRED;
    case BP_LEAKED: return BUFPOOL_BLOCK_LEAKED;
    default: return BUFPOOL_BLOCK_FREE;
    }
}

void bufpool_walk(struct bufpool *p, bufpool_walk_fn *fn, void *ctx)
{
    ASSERT(p != NULL && fn != NULL);
    bp_lock(p);
    for (uint32_t slot = 0; slot < p->opts.chunks_max; slot++) {
        if (p->chunks[slot].state != BP_CHUNK_ACTIVE)
            continue;
        uint32_t steps = 0;
        for (struct bp_block *b = bp_blk(p, p->chunks[slot].first); b != NULL && steps++ < p->blocks_cap;
             b = bp_blk(p, b->next))
            fn(ctx, bp_chunk_id(p, slot), (uint64_t)b->off << p->shift, (uint64_t)b->len << p->shift,
               walk_state(b->state), b->state == BP_FREE ? 0 : b->guards);
    }
    bp_unlock(p);
}

/* ---- self-check -------------------------------------------------------------------------- */

struct bp_tally {
    uint64_t free_g, used_g, deferred_g, leaked_g, total_g;
    uint32_t free_blocks, slices, leaked, chunks;
};

static const char *check_chunk(struct bufpool *p, uint32_t slot, struct bp_tally *t)
{
    const struct bp_chunk *c = &p->chunks[slot];
    uint32_t expect_off = 0, prev = 0, used = 0, leaked = 0, steps = 0;
    const struct bp_block *last = NULL;
    for (const struct bp_block *b = bp_blk(p, c->first); b != NULL; b = bp_blk(p, b->next)) {
        if (++steps > p->blocks_cap)
            return "a chunk's block list loops";
        if (b->chunk != slot || b->prev != prev || b->off != expect_off || b->len == 0)
            return "a chunk's blocks do not tile it";
        switch (b->state) {
        case BP_FREE:
            t->free_g += b->len;
            t->free_blocks++;
            if (last != NULL && last->state == BP_FREE && bp_mergeable(p, last, b))
                return "two mergeable free ranges are adjacent";
            if (bp_on_boundary(p, b->off) ? false
                                          : ((b->off & ~p->bmask) != ((b->off + b->len - 1) & ~p->bmask)))
                return "a free range crosses a boundary it may not";
            break;
        case BP_LIVE:
        case BP_DEFERRED:
        case BP_LEAKED:
            used++;
            if (b->state == BP_LEAKED) {
                leaked++;
                t->leaked_g += b->len;
            } else {
                t->used_g += b->len;
                t->slices++;
                if (b->state == BP_DEFERRED)
                    t->deferred_g += b->len;
            }
            if (p->bmask != UINT32_MAX &&
                (b->off & ~p->bmask) != ((b->off + b->len - 1) & ~p->bmask))
                return "a slice crosses the boundary";
            if (b->state == BP_DEFERRED && b->guards == 0)
                return "a released slice without guards was not settled";
            break;
        default:
            return "an unused record is linked into a chunk";
        }
        expect_off += b->len;
        prev = bp_idx1(p, b);
        last = b;
    }
    if (expect_off != c->len)
        return "a chunk's blocks do not add up to its length";
    if (used != c->used || leaked != c->leaked)
        return "a chunk's slice counts are wrong";
    t->total_g += c->len;
    t->chunks++;
    t->leaked += leaked;
    return NULL;
}

static const char *check_all(struct bufpool *p)
{
    struct bp_tally t = {0};
    for (uint32_t slot = 0; slot < p->opts.chunks_max; slot++) {
        if (p->chunks[slot].state != BP_CHUNK_ACTIVE)
            continue;
        const char *why = check_chunk(p, slot, &t);
        if (why != NULL)
            return why;
    }
    uint32_t members = 0;
    const char *why = bpi_check(p, &members);
    if (why != NULL)
        return why;
    if (members != t.free_blocks)
        return "the index does not hold exactly the free ranges";
    const struct bufpool_stats *s = &p->st;
    if (s->bytes_free != t.free_g << p->shift || s->bytes_used != t.used_g << p->shift ||
        s->bytes_deferred != t.deferred_g << p->shift || s->bytes_leaked != t.leaked_g << p->shift ||
        s->bytes_total != t.total_g << p->shift)
        return "the byte counts are wrong";
    if (s->slices != t.slices || s->slices_leaked != t.leaked || s->free_ranges != t.free_blocks ||
        s->chunks != t.chunks)
        return "the slice, range or chunk counts are wrong";
    uint32_t on_list = 0;
    for (uint32_t r = p->free_rec; r != 0 && on_list <= p->blocks_cap; r = p->blocks[r - 1].free_next) {
        if (r > p->blocks_hwm || p->blocks[r - 1].state != BP_UNUSED)
            return "the record free list holds a record in use";
        on_list++;
    }
    if (on_list + t.free_blocks + t.slices + t.leaked != p->blocks_hwm ||
        p->recs_free != on_list + p->blocks_cap - p->blocks_hwm)
        return "records are lost";
    return NULL;
}

enum iosim_err bufpool_check(struct bufpool *p, char *why, size_t why_len)
{
    ASSERT(p != NULL);
    bp_lock(p);
    const char *w = check_all(p);
    bp_unlock(p);
    if (w != NULL && why != NULL && why_len > 0) {
        size_t n = strlen(w) < why_len - 1 ? strlen(w) : why_len - 1;
        memcpy(why, w, n);
        why[n] = '\0';
    }
    return w == NULL ? IOSIM_OK : IOSIM_EPROTO;
}
