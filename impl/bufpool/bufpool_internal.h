/*
 * bufpool_internal.h - the buffer pool's records and its free-range index,
 * shared by bufpool.c (slices, chunks, guards) and bufpool_index.c (bins
 * and searches). Not part of the API. The data structure and its bounds
 * are described in bufpool.h.
 *
 * Indices into blocks[] are stored + 1 so that zeroed memory means "none":
 * the metadata comes zeroed from the port and is never initialised in a
 * pass, so untouched pages of the bin table cost nothing.
 */
#ifndef IOSIM_BUFPOOL_INTERNAL_H
#define IOSIM_BUFPOOL_INTERNAL_H

#include "impl/bufpool/bufpool.h"
#include "impl/port/check.h"

#define BP_NONE UINT32_MAX

enum bp_state {
    BP_UNUSED = 0,  /* on the record free list, or never used */
    BP_FREE,        /* a free range, in the index */
    BP_LIVE,        /* a slice its owner holds */
    BP_DEFERRED,    /* released by its owner, guards outstanding */
    BP_LEAKED,      /* released with a forfeited guard: never reused */
};

#define BP_FLAG_FORFEIT 1u /* a guard was forfeited */

/* One block: a slice or a free range. Invariants (bufpool_check):
 * - the blocks of a chunk tile [0, chunk len) in prev/next order;
 * - FREE blocks are exactly the members of the index bins, each in the bin
 *   of its (usable length, residue), which `bin` records;
 * - no two adjacent FREE blocks could be merged (bp_mergeable).
 * Bin membership lives in the index, not here, so moving blocks between
 * bins never touches another block's record. */
struct bp_block {
    uint32_t off;       /* granules from the chunk base */
    uint32_t len;       /* granules */
    uint32_t prev;      /* address-order neighbours in the chunk, index + 1 */
    uint32_t next;
    union {
        uint32_t guards; /* used blocks */
        uint32_t bin;    /* FREE: its bin, L * R + r (kept so leaving it costs no arithmetic) */
    };
    uint32_t free_next; /* UNUSED: the record free list, index + 1 */
    uint32_t gen;       /* bumped whenever a slice is reclaimed */
    uint16_t chunk;     /* chunk slot */
    uint8_t state;      /* enum bp_state */
    uint8_t flags;      /* BP_FLAG_* */
};
_Static_assert(sizeof(struct bp_block) == 32, "a block record is half a cache line");

enum bp_chunk_state { BP_CHUNK_EMPTY = 0, BP_CHUNK_ACTIVE };

struct bp_chunk {
    uint8_t *host;
    uint64_t extra;
    uint32_t len;          /* granules */
    uint32_t first;        /* block at offset 0, index + 1 */
    uint32_t used;         /* slices in it: live, deferred, leaked */
    uint32_t leaked;
    uint16_t gen;          /* chunk ids are slot | gen << 16 */
    uint8_t state;
    bufpool_close_fn *close;
    void *close_ctx;
};

static inline struct bp_block *bp_blk(struct bufpool *p, uint32_t idx1)
{
    return idx1 == 0 ? NULL : &p->blocks[idx1 - 1];
}

/* The block of an index known to be set (an invariant, not input). */
static inline struct bp_block *bp_at(struct bufpool *p, uint32_t idx1)
{
    ASSERT(idx1 != 0 && idx1 <= p->blocks_hwm);
    return &p->blocks[idx1 - 1];
}

static inline uint32_t bp_idx1(const struct bufpool *p, const struct bp_block *b)
{
    return (uint32_t)(b - p->blocks) + 1;
}

/* Does this offset sit on a boundary multiple (chunk starts always do)? */
static inline bool bp_on_boundary(const struct bufpool *p, uint32_t off)
{
    return (off & p->bmask) == 0;
}

/* What a free block can give one slice: a range starting on a boundary
 * multiple spans segments, but a slice gets at most one of them. */
static inline uint32_t bp_usable(const struct bufpool *p, const struct bp_block *b)
{
    if (p->bmask != UINT32_MAX && bp_on_boundary(p, b->off) && b->len > p->bmask)
        return p->bmask + 1;
    return b->len;
}

/* May free neighbours left | right be one range? (bufpool.h, Boundaries) */
static inline bool bp_mergeable(const struct bufpool *p, const struct bp_block *left,
                                const struct bp_block *right)
{
    return !bp_on_boundary(p, right->off) || bp_on_boundary(p, left->off);
}

/* One block's record is sane on its own (for ASSERT): a known state, in an
 * active chunk, inside it; a used block's guards only while it is used. */
static inline bool bp_block_ok(const struct bufpool *p, const struct bp_block *b)
{
    if (b < p->blocks || b >= p->blocks + p->blocks_hwm || b->state > BP_LEAKED)
        return false;
    if (b->state == BP_UNUSED)
        return true;
    const struct bp_chunk *c = &p->chunks[b->chunk];
    return b->chunk < p->opts.chunks_max && c->state == BP_CHUNK_ACTIVE && b->len != 0 &&
           (uint64_t)b->off + b->len <= c->len && c->leaked <= c->used;
}

/* ---- bufpool.c ---------------------------------------------------------------------- */

/* The pool's mutex, unless the pool is BUFPOOL_UNLOCKED. */
void bp_lock(struct bufpool *p);
void bp_unlock(struct bufpool *p);

/* A chunk's id as the API spells it: slot | generation << 16. */
uint32_t bp_chunk_id(const struct bufpool *p, uint32_t slot);

/* ---- bufpool_index.c --------------------------------------------------------------- */

void bpi_insert(struct bufpool *p, struct bp_block *b);
void bpi_remove(struct bufpool *p, struct bp_block *b);

/* A free block that can hold s granules at alignment 2^k granules, or NULL
 * when no free range can (bufpool.h: direct, sure, window). */
struct bp_block *bpi_find(struct bufpool *p, uint32_t s, uint32_t k);

/* The largest usable length over all free blocks, in granules. */
uint32_t bpi_largest(struct bufpool *p);

/* The index's share of init: how much memory it needs (base NULL) or
 * carving it out of base. */
size_t bpi_layout(struct bufpool *p, uint8_t *base, size_t at);

/* Index self-check for bufpool_check: NULL, or what is wrong. */
const char *bpi_check(struct bufpool *p, uint32_t *free_blocks);

#endif /* IOSIM_BUFPOOL_INTERNAL_H */
