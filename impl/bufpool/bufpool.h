/*
 * bufpool.h - the buffer pool: slices of memory shared with devices and ring
 * peers, carved out of chunks the caller adds.
 *
 * A pool is grown by adding chunks (DMA memory from the port, a peer's
 * shared mapping, anything the caller owns). Chunks need not be adjacent;
 * each carries an opaque `extra` value (its bus address, for drivers) that
 * every slice reports, with its offset, so a driver computes the device
 * address of a slice as extra + offset. Slices have any size and any
 * power-of-two alignment within the pool's options, never span two chunks,
 * and never cross a multiple of the pool's `boundary` when one is set (64 KiB
 * for xHCI data buffers, 4 KiB for page-bound hardware).
 *
 *     struct bufpool pool;
 *     struct bufpool_opts o;
 *     bufpool_opts_default(&o);                 then adjust the limits
 *     bufpool_init(&pool, &o);
 *     uint32_t chunk;
 *     bufpool_chunk_add_dma(&pool, 1 << 20, &chunk);
 *     struct bufpool_slice s;
 *     if (bufpool_alloc(&pool, 512, 64, &s) == IOSIM_OK) {
 *         bufpool_guard(&pool, &s);             lent to a device or a peer
 *         submit(s.extra + s.offset, s.len_bytes);
 *         bufpool_free(&pool, &s);              the owner is done with it...
 *         bufpool_unguard(&pool, &s);           ...memory returns only now
 *     }
 *     bufpool_destroy(&pool);
 *
 * Guards. Whoever lends a slice to a device or a peer (an in-flight ring
 * request) takes a guard. Freeing a guarded slice only marks it released;
 * its memory is reclaimed when the last guard is dropped. A guard holder
 * that learns it can never give the guard back (the peer died, the device
 * hung with the address programmed) calls bufpool_forfeit(): the slice's
 * memory is then leaked on purpose - counted, never handed out again, and
 * its chunk is never returned to the port - because whoever holds the
 * address may still write to it.
 *
 * Errors. Sizes or alignments outside the options fail at once (EMSGSIZE,
 * EINVAL); a pool with no room fails with ENOMEM; a slice handle that is
 * stale (double free), forged or from another pool fails with ENOENT and
 * changes nothing. Nothing here asserts on a value a caller passes (sizes,
 * handles, memory); a NULL pool or out-parameter is a programmer error and
 * is asserted.
 *
 * Ownership. The caller owns the struct bufpool storage and the chunks'
 * memory; the pool borrows each chunk until it is removed, then gives it
 * back through the chunk's close callback (port_dma_free for
 * bufpool_chunk_add_dma). Metadata is allocated once, at init, from the
 * port's kernel memory, sized by slices_max and chunks_max: no operation
 * but init allocates. A slice handle is a value; copies are fine, and every
 * copy goes stale when the slice is reclaimed.
 *
 * Threading. Every public function but init and destroy (which must not
 * race with anything) takes the pool's mutex (impl/sync), so threads -
 * and simulated processes, which share one address space - sharing a pool
 * need nothing else. Close callbacks run after the mutex is dropped; the
 * bufpool_walk callback runs under it and must not call into the pool.
 * BUFPOOL_UNLOCKED leaves serialisation to the caller. Handles may be used
 * from any thread.
 *
 * Data structure and worst case (granule g = align_min; sizes, offsets and
 * alignments below are in granules). Every chunk is a doubly linked list of
 * blocks in address order - slices and free ranges, records outside the
 * memory itself, so a hostile peer or device writing into a slice cannot
 * corrupt the pool. A free range is indexed in the bin (L, r): L its usable
 * length capped at Lmax = size_max + align_max - 1 (every range at least
 * that long fits every request), r its start modulo R = align_max. Bins
 * are doubly linked lists whose links sit in a compact array beside the
 * records, so moving a range between bins touches 8-byte link entries, not
 * other ranges' records. Each L has a bitmap
 * of its non-empty residues (R/64 words), and a three-level bitmap of
 * 64-bit words marks the non-empty L (Lmax < 2^18), so "next non-empty
 * L >= x" is a constant number of word operations. A request of S at
 * alignment 2^k fits a range (L, r) iff L - pad_k(r) >= S, where
 * pad_k(r) = (-r) mod 2^k. Allocation tries
 *   1. tight: the shortest non-empty L >= S, if one of its residues fits
 *      (an AND of its row with the residues whose pad is at most L - S);
 *   2. sure: the shortest non-empty L >= S + 2^k - 1; every range there
 *      fits whatever its r, because pad_k < 2^k (one that is aligned is
 *      preferred, so nothing is padded);
 *   3. window, only when 1 and 2 find nothing: each remaining non-empty L
 *      in [S, S + 2^k - 2] in increasing order, the same AND.
 * A fitting range has L >= S + 2^k - 1 (step 2 finds one) or L in the
 * window (steps 1 and 3 check every one), so allocation fails only when no
 * free range in the pool can hold the request: it is complete, unlike the
 * published Rust crate, which falls back to an O(n) scan of its ranges in
 * case 3. With n the number of slices and free ranges:
 *   alloc: O(R/64) word operations for steps 1-2, O(2^k * R/64) for step 3;
 *   free, guard, unguard, forfeit: O(1); a free merges with at most three
 *     neighbours (two on the right: bufpool_internal.h, bp_mergeable);
 *   bin insert and remove: O(1), plus O(R/64) when a row empties;
 *   chunk add: O(chunks) (the overlap check); chunk remove: O(1).
 * None depends on n: every operation is O(1) in n, with constants fixed by
 * the options: the window step is at most R^2/64 word operations (64 for
 * the defaults, R = 64; 4096 for R = 512; init refuses R > 4096). Memory: a 4-byte head per bin, (Lmax + 1) * R bins,
 * which stay zero pages until touched; R/8 bytes of residue bitmap per L;
 * 32 bytes of record and 8 of bin links per block. init refuses options
 * needing more than 2^24 bins.
 *
 * Boundaries. With a boundary B, free ranges are merged across a multiple of
 * B only when the left one starts at a multiple of B. So every free range
 * either lies inside one B-segment or starts at a multiple of B (usable
 * length min(len, B), placed at its start); full coalescing still holds:
 * a chunk whose slices are all free is one free range.
 */
#ifndef IOSIM_BUFPOOL_H
#define IOSIM_BUFPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl/port/port.h"
#include "impl/sync/mutex.h"

/* opts.flags */
#define BUFPOOL_UNLOCKED (1u << 0) /* the caller serialises every call */

/* Limits of what init accepts. */
#define BUFPOOL_CHUNKS_MAX 65535u
#define BUFPOOL_SLICES_MAX (1u << 28)
#define BUFPOOL_HEADS_MAX (1u << 24)
#define BUFPOOL_LEN_MAX_GRANULES 0xffffffffu

struct bufpool_opts {
    size_t size_min;     /* smaller requests are rounded up to it; 0 = align_min */
    size_t size_max;     /* larger requests fail with EMSGSIZE; below 4 GiB */
    size_t align_min;    /* the granule, a power of two >= 8: every slice is a multiple */
    size_t align_max;    /* a power of two >= align_min; larger alignments fail (EINVAL) */
    size_t boundary;     /* 0 = none, else a power of two >= align_max and >= size_max */
    uint32_t slices_max; /* slices (live, released-but-guarded, leaked) at once */
    uint32_t chunks_max; /* chunks at once, <= BUFPOOL_CHUNKS_MAX */
    uint32_t flags;      /* BUFPOOL_UNLOCKED */
    const char *name;    /* names the pool in traces; borrowed for its lifetime; NULL = "bufpool" */
};

/* Called when a chunk goes back to its owner (removed, or the pool
 * destroyed): `host`, `len_bytes` and `extra` as added. */
typedef void bufpool_close_fn(void *ctx, void *host, size_t len_bytes, uint64_t extra);

/* A slice, as the pool hands it out. Pass it back as is. */
struct bufpool_slice {
    void *host;          /* CPU address, aligned as asked */
    uint64_t extra;      /* the chunk's extra value */
    uint64_t offset;     /* bytes from the chunk's base: device address = extra + offset */
    uint32_t len_bytes;  /* as asked; the slice occupies it rounded up to the granule */
    uint32_t chunk;      /* the chunk id */
    uint32_t id;         /* identity, checked on every call ... */
    uint32_t gen;        /* ... with this generation */
};

struct bufpool_stats {
    uint64_t bytes_total;        /* in all chunks */
    uint64_t bytes_used;         /* slices, live or released-but-guarded (occupied size) */
    uint64_t bytes_deferred;     /* of those, released and waiting for their guards */
    uint64_t bytes_leaked;       /* forfeited: never handed out again */
    uint64_t bytes_free;
    uint64_t largest_free_bytes; /* the longest slice one free range could give */
    uint32_t fragmentation_ppm;  /* 10^6 * (1 - largest_free / free); 0 when nothing is free */
    uint32_t slices;             /* live + released-but-guarded */
    uint32_t slices_leaked;
    uint32_t free_ranges;
    uint32_t chunks;
    uint64_t allocs, frees, alloc_failures, bad_handles, forfeits;
};

/* One block as bufpool_walk reports it. */
enum bufpool_block_state {
    BUFPOOL_BLOCK_FREE = 1,
    BUFPOOL_BLOCK_LIVE,      /* owned by whoever allocated it */
    BUFPOOL_BLOCK_DEFERRED,  /* released, waiting for its guards */
    BUFPOOL_BLOCK_LEAKED,    /* a guard was forfeited and the slice released */
};

typedef void bufpool_walk_fn(void *ctx, uint32_t chunk, uint64_t offset, uint64_t len_bytes,
                             enum bufpool_block_state state, uint32_t guards);

/* ---- internals (read only through the functions below) ---------------------------- */

struct bp_block;
struct bp_chunk;

struct bp_bits {             /* three-level bitmap over [0, 2^18) */
    uint64_t *l0, *l1;
    uint64_t l2;
};

/* Bin-list links of a free block, kept apart from the block records so a
 * bin operation touches 8-byte entries of a compact array. */
struct bp_link {
    uint32_t prev, next;     /* index + 1, 0 at the ends */
};

struct bufpool {
    struct sync_mutex lock;
    struct bufpool_opts opts;
    uint32_t shift;          /* log2(granule) */
    uint32_t size_min_g;     /* in granules */
    uint32_t size_max_g;
    uint32_t res;            /* R: residues, align_max / granule */
    uint32_t res_shift;      /* log2(R) */
    uint32_t classes;        /* K = log2(R) + 1 alignment classes */
    uint32_t row_words;      /* W = ceil(R / 64) */
    uint32_t lmax;           /* the overflow bin */
    uint32_t bmask;          /* boundary in granules - 1, or UINT32_MAX for none */
    struct bp_block *blocks;
    uint32_t blocks_cap, blocks_hwm;
    uint32_t free_rec;       /* record free list, index + 1 */
    uint32_t recs_free;      /* records on it plus never used ones */
    struct bp_chunk *chunks;
    uint32_t *heads;         /* (lmax + 1) * R bins: first member, index + 1 */
    struct bp_link *links;   /* per block: its bin neighbours while FREE */
    uint64_t *rows;          /* (lmax + 1) * W residue bitmaps */
    struct bp_bits nonempty; /* the L whose row has a member */
    struct bufpool_stats st;
    void *mem;
    size_t mem_len;
};

/* ---- set-up ---------------------------------------------------------------------------- */

/* Defaults: granule 64 (a cache line, so no two slices share one), sizes
 * 64 B - 64 KiB, alignment up to 4 KiB, no boundary, 4096 slices, 64
 * chunks, locked. */
void bufpool_opts_default(struct bufpool_opts *o);

/* Validates `o` (EINVAL with nothing allocated when it does not hold) and
 * allocates the metadata (ENOMEM). */
enum iosim_err bufpool_init(struct bufpool *p, const struct bufpool_opts *o);

/* Gives every chunk with no live or leaked slice back through its close
 * callback and frees the metadata. Chunks still holding slices are left
 * mapped, deliberately (something may still write to them); returns how
 * many. The pool must not be used again without bufpool_init. */
uint32_t bufpool_destroy(struct bufpool *p);

/* ---- chunks ------------------------------------------------------------------------- */

/* Adds [host, host + len_bytes) to the pool. host must be aligned to
 * align_max and to the boundary, len_bytes a non-zero multiple of the
 * granule; the device view of the chunk must be aligned the same way (the
 * pool aligns offsets). Fails with EINVAL, EEXIST (overlaps a chunk of this
 * pool), ENOSPC (chunks_max). close may be NULL. */
enum iosim_err bufpool_chunk_add(struct bufpool *p, void *host, size_t len_bytes, uint64_t extra,
                                 bufpool_close_fn *close, void *close_ctx, uint32_t *out_chunk);

/* A chunk of DMA memory from the port (extra = its bus address), given back
 * with port_dma_free when removed. */
enum iosim_err bufpool_chunk_add_dma(struct bufpool *p, size_t len_bytes, uint32_t *out_chunk);

/* Gives a chunk back. EBUSY while it holds any slice (live, released but
 * guarded, or leaked), ENOENT for an unknown id. */
enum iosim_err bufpool_chunk_remove(struct bufpool *p, uint32_t chunk);

/* Removes every chunk that holds nothing; returns how many. */
uint32_t bufpool_shrink(struct bufpool *p);

/* ---- slices -------------------------------------------------------------------------- */

/* A slice of len_bytes at an alignment of align_bytes (a power of two; 0
 * means align_min; smaller ones are rounded up to align_min). EINVAL: len 0
 * or a bad alignment; EMSGSIZE: len above size_max; EOVERFLOW: len too
 * large to round; ENOMEM: no free range can hold it; ENOSPC: slices_max. */
enum iosim_err bufpool_alloc(struct bufpool *p, size_t len_bytes, size_t align_bytes,
                             struct bufpool_slice *out);

/* The owner is done with the slice: reclaimed now, or when its last guard
 * is dropped. ENOENT for a stale or foreign handle (and for a slice already
 * released). */
enum iosim_err bufpool_free(struct bufpool *p, const struct bufpool_slice *s);

/* Takes a guard on a live slice (EOVERFLOW past 2^32 - 1 guards). */
enum iosim_err bufpool_guard(struct bufpool *p, const struct bufpool_slice *s);

/* Drops a guard; the last one of a released slice reclaims it. EINVAL when
 * the slice has no guard. */
enum iosim_err bufpool_unguard(struct bufpool *p, const struct bufpool_slice *s);

/* Drops a guard that can never be given back: the slice will be leaked
 * (now, if already released; when released, otherwise). */
enum iosim_err bufpool_forfeit(struct bufpool *p, const struct bufpool_slice *s);

/* ---- introspection --------------------------------------------------------------------- */

/* O(1) but for largest_free_bytes, which walks the ranges in the overflow
 * bin (ranges of at least Lmax granules) when there are any. */
void bufpool_stats_get(struct bufpool *p, struct bufpool_stats *out);

/* Every block of every chunk in address order, chunks by id. O(n). */
void bufpool_walk(struct bufpool *p, bufpool_walk_fn *fn, void *ctx);

/* Checks every invariant of the blocks, the index and the statistics
 * (O(n + bins)); IOSIM_OK or IOSIM_EPROTO, with a description of the first
 * violation in why (may be NULL). For tests and debugging. */
enum iosim_err bufpool_check(struct bufpool *p, char *why, size_t why_len);

#endif /* IOSIM_BUFPOOL_H */
