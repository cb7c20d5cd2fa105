/*
 * The buffer pool: options, metadata, chunks, slices and guards. The index
 * of free ranges is bufpool_index.c; the design is in bufpool.h.
 */
#include <string.h>

#include "impl/bufpool/bufpool_internal.h"
#include "impl/port/check.h"

#define BP_ALIGN_MIN 8u
#define BP_RES_MAX 4096u        /* align_max / align_min: bounds the window scan (bufpool.h) */
#define BP_LMAX_MAX ((1u << 18) - 1)
#define BP_BOUNDARY_G_MAX (1u << 31)

static bool pow2(size_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static uint32_t log2u(size_t v)
{
    ASSERT(pow2(v));
    return (uint32_t)__builtin_ctzll((unsigned long long)v);
}

static size_t round_up(size_t v, size_t a)
{
    ASSERT(pow2(a));
    size_t r = (v + a - 1) & ~(a - 1);
    ASSERT(r % a == 0);
    return r;
}

/* ---- locking, tracing ------------------------------------------------------------------- */

void bp_lock(struct bufpool *p)
{
    ASSERT(p != NULL);
    if (!(p->opts.flags & BUFPOOL_UNLOCKED))
        sync_mutex_lock(&p->lock);
}

void bp_unlock(struct bufpool *p)
{
    ASSERT(p != NULL);
    if (!(p->opts.flags & BUFPOOL_UNLOCKED))
        sync_mutex_unlock(&p->lock);
}

uint32_t bp_chunk_id(const struct bufpool *p, uint32_t slot)
{
    ASSERT(slot < p->opts.chunks_max);
    ASSERT(slot <= 0xffffu); /* ids are slot | gen << 16 */
    return slot | (uint32_t)p->chunks[slot].gen << 16;
}

static void trace_block(struct bufpool *p, const char *op, const struct bp_block *b,
                        int32_t status)
{
    ASSERT(op != NULL);
    ASSERT(b->chunk < p->opts.chunks_max);
    const struct bp_chunk *c = &p->chunks[b->chunk];
    uint64_t off = (uint64_t)b->off << p->shift;
    port_trace_bufpool(p->opts.name, op, bp_chunk_id(p, b->chunk), off,
                       (uint64_t)b->len << p->shift, c->extra + off, b->guards, status);
}

static int32_t neg(enum iosim_err e)
{
    ASSERT(e != IOSIM_OK);
    return -iosim_err_errno(e);
}

/* ---- options and metadata --------------------------------------------------------------- */

void bufpool_opts_default(struct bufpool_opts *o)
{
    ASSERT(o != NULL);
    *o = (struct bufpool_opts){.size_min = 64, .size_max = 64u << 10, .align_min = 64,
                               .align_max = 4096, .boundary = 0, .slices_max = 4096,
                               .chunks_max = 64, .flags = 0, .name = "bufpool"};
}

/* The geometry of a pool (bufpool.h), derived from valid options. */
struct bp_geom {
    uint32_t shift, size_min_g, size_max_g, res, classes, row_words, lmax, bmask, blocks_cap;
};

static enum iosim_err geom_of(const struct bufpool_opts *o, struct bp_geom *g)
{
    if (!pow2(o->align_min) || o->align_min < BP_ALIGN_MIN || !pow2(o->align_max) ||
        o->align_max < o->align_min || o->align_max / o->align_min > BP_RES_MAX)
        return IOSIM_EINVAL;
    if (o->size_max == 0 || o->size_min > o->size_max || o->size_max > UINT32_MAX)
        return IOSIM_EINVAL;
    if (o->slices_max == 0 || o->slices_max > BUFPOOL_SLICES_MAX || o->chunks_max == 0 ||
        o->chunks_max > BUFPOOL_CHUNKS_MAX || (o->flags & ~BUFPOOL_UNLOCKED) != 0)
        return IOSIM_EINVAL;
    g->shift = log2u(o->align_min);
    g->res = (uint32_t)(o->align_max >> g->shift);
    g->classes = log2u(g->res) + 1;
    g->row_words = (g->res + 63) / 64;
    size_t smax = round_up(o->size_max, o->align_min) >> g->shift;
    size_t smin = round_up(o->size_min == 0 ? o->align_min : o->size_min, o->align_min) >> g->shift;
    if (smax + g->res - 1 > BP_LMAX_MAX)
        return IOSIM_EINVAL;
    g->size_max_g = (uint32_t)smax;
    g->size_min_g = (uint32_t)smin;
    g->lmax = g->size_max_g + g->res - 1;
    if ((size_t)(g->lmax + 1) * g->res > BUFPOOL_HEADS_MAX)
        return IOSIM_EINVAL;
    g->bmask = UINT32_MAX;
    if (o->boundary != 0) {
        if (!pow2(o->boundary) || o->boundary < o->align_max ||
            o->boundary < (smax << g->shift) || (o->boundary >> g->shift) > BP_BOUNDARY_G_MAX)
            return IOSIM_EINVAL;
        g->bmask = (uint32_t)((o->boundary >> g->shift) - 1);
    }
    /* Free ranges <= 2 per slice + 2 per chunk (each is charged to the used
     * block or chunk start on its left, at most two per), plus the slices. */
    g->blocks_cap = 3 * o->slices_max + 2 * o->chunks_max + 4;
    ASSERT(pow2(g->res) && g->res <= BP_RES_MAX);
    ASSERT(g->size_min_g >= 1 && g->size_min_g <= g->size_max_g);
    ASSERT(g->bmask == UINT32_MAX || g->bmask >= g->size_max_g - 1); /* a slice fits a segment */
    return IOSIM_OK;
}

/* Carves the one metadata allocation into its arrays (or, with base NULL,
 * only measures it). */
static size_t layout(struct bufpool *p, uint8_t *base)
{
    size_t at = 0;
#define BP_CARVE(field, type, count)                                   \
    do {                                                               \
        at = round_up(at, 64);                                         \
        if (base != NULL)                                              \
            p->field = (type *)(void *)(base + at);                    \
        at += sizeof(type) * (size_t)(count);                          \
    } while (0)
    BP_CARVE(blocks, struct bp_block, p->blocks_cap);
    BP_CARVE(chunks, struct bp_chunk, p->opts.chunks_max);
#undef BP_CARVE
    ASSERT(p->blocks_cap > 0 && p->opts.chunks_max > 0);
    size_t end = round_up(bpi_layout(p, base, at), 64);
    ASSERT(end > at);
    return end;
}

enum iosim_err bufpool_init(struct bufpool *p, const struct bufpool_opts *o)
{
    ASSERT(p != NULL && o != NULL);
    struct bp_geom g;
    enum iosim_err e = geom_of(o, &g);
    if (e != IOSIM_OK)
        return e;
    memset(p, 0, sizeof *p);
    p->opts = *o;
    if (p->opts.name == NULL)
        p->opts.name = "bufpool";
    p->shift = g.shift;
    p->size_min_g = g.size_min_g;
    p->size_max_g = g.size_max_g;
    p->res = g.res;
    p->res_shift = g.classes - 1;
    p->classes = g.classes;
    p->row_words = g.row_words;
    p->lmax = g.lmax;
    p->bmask = g.bmask;
    p->blocks_cap = g.blocks_cap;
    p->recs_free = g.blocks_cap;
    p->mem_len = layout(p, NULL);
    e = port_kmem_alloc(p->mem_len, &p->mem);
    if (e != IOSIM_OK) {
        memset(p, 0, sizeof *p);
        return e;
    }
    (void)layout(p, p->mem); /* zeroed memory: every bin empty, every record unused */
    sync_mutex_init(&p->lock);
    ASSERT(p->classes <= 16 && p->lmax <= BP_LMAX_MAX);
    return IOSIM_OK;
}

/* ---- records ------------------------------------------------------------------------------ */

static struct bp_block *rec_alloc(struct bufpool *p)
{
    struct bp_block *b;
    ASSERT(p->recs_free > 0);
    if (p->free_rec != 0) {
        b = &p->blocks[p->free_rec - 1];
        p->free_rec = b->free_next;
    } else {
        ASSERT(p->blocks_hwm < p->blocks_cap);
        b = &p->blocks[p->blocks_hwm++];
    }
    p->recs_free--;
    ASSERT(b->state == BP_UNUSED);
    *b = (struct bp_block){.gen = b->gen};
    return b;
}

static void rec_release(struct bufpool *p, struct bp_block *b)
{
    ASSERT(b->state == BP_FREE);
    b->state = BP_UNUSED;
    b->free_next = p->free_rec;
    p->free_rec = bp_idx1(p, b);
    p->recs_free++;
    ASSERT(p->recs_free <= p->blocks_cap);
    ASSERT(p->free_rec != 0 && p->free_rec <= p->blocks_hwm);
}

/* A new FREE block [off, off + len) of `chunk`, linked right after `left`
 * (NULL: as the chunk's first block), and indexed. */
static struct bp_block *free_block_new(struct bufpool *p, uint16_t chunk, uint32_t off,
                                       uint32_t len, struct bp_block *left)
{
    ASSERT(len > 0);
    ASSERT(chunk < p->opts.chunks_max);
    ASSERT(left == NULL || (left->chunk == chunk && left->off + left->len == off));
    struct bp_block *f = rec_alloc(p);
    struct bp_chunk *c = &p->chunks[chunk];
    ASSERT((uint64_t)off + len <= c->len);
    f->off = off;
    f->len = len;
    f->chunk = chunk;
    f->state = BP_FREE;
    f->prev = left != NULL ? bp_idx1(p, left) : 0;
    f->next = left != NULL ? left->next : c->first;
    if (left != NULL)
        left->next = bp_idx1(p, f);
    else
        c->first = bp_idx1(p, f);
    if (f->next != 0)
        bp_at(p, f->next)->prev = bp_idx1(p, f);
    bpi_insert(p, f);
    p->st.free_ranges++;
    ASSERT(bp_block_ok(p, f));
    return f;
}

/* ---- chunks --------------------------------------------------------------------------- */

static size_t chunk_align(const struct bufpool *p)
{
    size_t a = p->opts.boundary > p->opts.align_max ? p->opts.boundary : p->opts.align_max;
    ASSERT(pow2(a));
    return a;
}

static bool overlaps(const struct bufpool *p, const uint8_t *host, size_t len)
{
    ASSERT(host != NULL && len > 0);
    for (uint32_t i = 0; i < p->opts.chunks_max; i++) {
        const struct bp_chunk *c = &p->chunks[i];
        if (c->state != BP_CHUNK_ACTIVE)
            continue;
        size_t clen = (size_t)c->len << p->shift;
        if ((uintptr_t)host < (uintptr_t)c->host + clen && (uintptr_t)c->host < (uintptr_t)host + len)
            return true;
    }
    return false;
}

static enum iosim_err chunk_add_locked(struct bufpool *p, void *host, size_t len_bytes,
                                       uint64_t extra, bufpool_close_fn *close, void *ctx,
                                       uint32_t *out)
{
    size_t g = (size_t)1 << p->shift;
    if (host == NULL || ((uintptr_t)host & (chunk_align(p) - 1)) != 0 || len_bytes == 0 ||
        (len_bytes & (g - 1)) != 0 || (len_bytes >> p->shift) > BUFPOOL_LEN_MAX_GRANULES ||
        (uintptr_t)host > UINTPTR_MAX - len_bytes)
        return IOSIM_EINVAL;
    if (overlaps(p, host, len_bytes))
        return IOSIM_EEXIST;
    uint32_t slot = 0;
    while (slot < p->opts.chunks_max && p->chunks[slot].state != BP_CHUNK_EMPTY)
        slot++;
    if (slot == p->opts.chunks_max || p->recs_free < 1)
        return IOSIM_ENOSPC;
    struct bp_chunk *c = &p->chunks[slot];
    uint16_t gen = c->gen;
    *c = (struct bp_chunk){.host = host, .extra = extra, .len = (uint32_t)(len_bytes >> p->shift),
                           .gen = gen, .state = BP_CHUNK_ACTIVE, .close = close,
                           .close_ctx = ctx};
    struct bp_block *b = rec_alloc(p);
    ASSERT(slot < p->opts.chunks_max);
    b->len = c->len;
    b->chunk = (uint16_t)slot;
    b->state = BP_FREE;
    c->first = bp_idx1(p, b);
    bpi_insert(p, b);
    ASSERT(bp_block_ok(p, b) && b->off == 0 && b->prev == 0 && b->next == 0);
    p->st.free_ranges++;
    p->st.chunks++;
    p->st.bytes_total += len_bytes;
    p->st.bytes_free += len_bytes;
    *out = bp_chunk_id(p, slot);
    port_trace_bufpool(p->opts.name, "chunk_add", *out, 0, len_bytes, extra, 0, 0);
    return IOSIM_OK;
}

enum iosim_err bufpool_chunk_add(struct bufpool *p, void *host, size_t len_bytes, uint64_t extra,
                                 bufpool_close_fn *close, void *close_ctx, uint32_t *out_chunk)
{
    ASSERT(p != NULL && out_chunk != NULL);
    bp_lock(p);
    enum iosim_err e = chunk_add_locked(p, host, len_bytes, extra, close, close_ctx, out_chunk);
    bp_unlock(p);
    return e;
}

static void dma_close(void *ctx, void *host, size_t len_bytes, uint64_t extra)
{
    (void)ctx;
    ASSERT(host != NULL && len_bytes > 0);
    struct port_dma d = {.host = host, .bus_addr = extra, .len_bytes = len_bytes};
    port_dma_free(&d);
}

enum iosim_err bufpool_chunk_add_dma(struct bufpool *p, size_t len_bytes, uint32_t *out_chunk)
{
    ASSERT(p != NULL && out_chunk != NULL);
    size_t g = (size_t)1 << p->shift;
    if (len_bytes == 0 || len_bytes > SIZE_MAX / 2)
        return IOSIM_EINVAL;
    struct port_dma d;
    enum iosim_err e = port_dma_alloc(round_up(len_bytes, g), chunk_align(p), &d);
    if (e != IOSIM_OK)
        return e;
    e = bufpool_chunk_add(p, d.host, d.len_bytes, d.bus_addr, dma_close, NULL, out_chunk);
    if (e != IOSIM_OK)
        port_dma_free(&d);
    return e;
}

static struct bp_chunk *chunk_lookup(struct bufpool *p, uint32_t id)
{
    uint32_t slot = id & 0xffffu;
    if (slot >= p->opts.chunks_max)
        return NULL;
    struct bp_chunk *c = &p->chunks[slot];
    ASSERT(c->state == BP_CHUNK_EMPTY || c->state == BP_CHUNK_ACTIVE);
    ASSERT(c->state != BP_CHUNK_ACTIVE || c->first != 0);
    return c->state == BP_CHUNK_ACTIVE && c->gen == (id >> 16) ? c : NULL;
}

/* Takes an empty chunk out of the pool; *gone receives what to close. */
static void chunk_take_out(struct bufpool *p, struct bp_chunk *c, struct bp_chunk *gone)
{
    ASSERT(c->used == 0 && c->leaked == 0);
    struct bp_block *b = bp_at(p, c->first);
    ASSERT(b->state == BP_FREE && b->off == 0 && b->len == c->len && b->next == 0);
    uint32_t id = bp_chunk_id(p, (uint32_t)(c - p->chunks));
    bpi_remove(p, b);
    rec_release(p, b);
    p->st.free_ranges--;
    p->st.chunks--;
    p->st.bytes_total -= (uint64_t)c->len << p->shift;
    p->st.bytes_free -= (uint64_t)c->len << p->shift;
    port_trace_bufpool(p->opts.name, "chunk_remove", id, 0, (uint64_t)c->len << p->shift,
                       c->extra, 0, 0);
    *gone = *c;
    uint16_t gen = (uint16_t)(c->gen + 1);
    memset(c, 0, sizeof *c);
    c->gen = gen;
    ASSERT(c->state == BP_CHUNK_EMPTY && c->first == 0);
}

static void chunk_close(const struct bufpool *p, const struct bp_chunk *gone)
{
    ASSERT(gone->host != NULL && gone->len != 0);
    ASSERT(gone->used == 0); /* only empty chunks are taken out */
    if (gone->close != NULL)
        gone->close(gone->close_ctx, gone->host, (size_t)gone->len << p->shift, gone->extra);
}

enum iosim_err bufpool_chunk_remove(struct bufpool *p, uint32_t chunk)
{
    ASSERT(p != NULL);
    bp_lock(p);
    struct bp_chunk *c = chunk_lookup(p, chunk);
    if (c == NULL || c->used != 0) {
        bp_unlock(p);
        return c == NULL ? IOSIM_ENOENT : IOSIM_EBUSY;
    }
    ASSERT(c->leaked == 0); /* leaked slices count as used */
    struct bp_chunk gone;
    chunk_take_out(p, c, &gone);
    ASSERT(chunk_lookup(p, chunk) == NULL); /* the id is dead: the generation moved */
    bp_unlock(p);
    chunk_close(p, &gone);
    return IOSIM_OK;
}

uint32_t bufpool_shrink(struct bufpool *p)
{
    ASSERT(p != NULL);
    uint32_t removed = 0;
    for (uint32_t slot = 0; slot < p->opts.chunks_max; slot++) {
        bp_lock(p);
        struct bp_chunk *c = &p->chunks[slot];
        bool empty = c->state == BP_CHUNK_ACTIVE && c->used == 0;
        struct bp_chunk gone;
        if (empty)
            chunk_take_out(p, c, &gone);
        bp_unlock(p);
        if (empty) {
            chunk_close(p, &gone);
            removed++;
        }
    }
    ASSERT(removed <= p->opts.chunks_max);
    return removed;
}

uint32_t bufpool_destroy(struct bufpool *p)
{
    ASSERT(p != NULL);
    if (p->mem == NULL)
        return 0;
    uint32_t kept = 0;
    for (uint32_t slot = 0; slot < p->opts.chunks_max; slot++) {
        struct bp_chunk *c = &p->chunks[slot];
        if (c->state != BP_CHUNK_ACTIVE)
            continue;
        if (c->used != 0) {
            kept++;
            continue;
        }
        struct bp_chunk gone;
        chunk_take_out(p, c, &gone);
        chunk_close(p, &gone);
    }
    ASSERT(kept <= p->opts.chunks_max);
    port_trace_bufpool(p->opts.name, "destroy", 0, 0, 0, 0, kept, 0);
    port_kmem_free(p->mem, p->mem_len);
    memset(p, 0, sizeof *p);
    return kept;
}

/* ---- slices ------------------------------------------------------------------------------- */

/* Splits the slice [at, at + s) out of free block b (already out of the
 * index): the front pad and the tail become free blocks; a tail that would
 * cross the boundary after a range starting on one is split there. */
static void carve(struct bufpool *p, struct bp_block *b, uint32_t s, uint32_t a)
{
    ASSERT(b->state == BP_FREE && pow2(a));
    ASSERT(s >= 1);
    uint32_t off = b->off, end = b->off + b->len;
    uint32_t at = (uint32_t)(((uint64_t)off + a - 1) & ~(uint64_t)(a - 1));
    ASSERT(at - off + s <= bp_usable(p, b));
    if (at > off)
        (void)free_block_new(p, b->chunk, off, at - off, bp_blk(p, b->prev));
    b->off = at;
    b->len = s;
    ASSERT(b->off % a == 0);
    uint32_t tail = at + s;
    if (tail >= end)
        return;
    uint32_t cut = end;
    uint64_t seg_end = (uint64_t)off + p->bmask + 1;
    if (p->bmask != UINT32_MAX && bp_on_boundary(p, off) && end > seg_end && tail < seg_end)
        cut = (uint32_t)seg_end; /* the rest starts on the next multiple */
    ASSERT(cut > tail && cut <= end);
    struct bp_block *t = free_block_new(p, b->chunk, tail, cut - tail, b);
    if (cut < end)
        (void)free_block_new(p, b->chunk, cut, end - cut, t);
    ASSERT(b->next == bp_idx1(p, t));
}

static enum iosim_err alloc_args(const struct bufpool *p, size_t len, size_t align, uint32_t *s,
                                 uint32_t *k)
{
    if (len == 0 || (align != 0 && !pow2(align)) || align > p->opts.align_max)
        return IOSIM_EINVAL;
    if (len > SIZE_MAX - ((size_t)1 << p->shift))
        return IOSIM_EOVERFLOW;
    if (len > p->opts.size_max)
        return IOSIM_EMSGSIZE;
    size_t g = (size_t)1 << p->shift;
    uint32_t sg = (uint32_t)(round_up(len, g) >> p->shift);
    *s = sg < p->size_min_g ? p->size_min_g : sg;
    *k = align <= g ? 0 : log2u(align) - p->shift;
    ASSERT(*s <= p->size_max_g && *k < p->classes);
    return IOSIM_OK;
}

static void slice_out(struct bufpool *p, const struct bp_block *b, size_t len,
                      struct bufpool_slice *out)
{
    ASSERT(bp_block_ok(p, b));
    ASSERT(b->state == BP_LIVE);
    const struct bp_chunk *c = &p->chunks[b->chunk];
    uint64_t off = (uint64_t)b->off << p->shift;
    ASSERT(len <= ((size_t)b->len << p->shift)); /* the slice holds what was asked */
    *out = (struct bufpool_slice){.host = c->host + off, .extra = c->extra, .offset = off,
                                  .len_bytes = (uint32_t)len, .chunk = bp_chunk_id(p, b->chunk),
                                  .id = bp_idx1(p, b), .gen = b->gen};
}

enum iosim_err bufpool_alloc(struct bufpool *p, size_t len_bytes, size_t align_bytes,
                             struct bufpool_slice *out)
{
    ASSERT(p != NULL && out != NULL);
    uint32_t s, k;
    enum iosim_err e = alloc_args(p, len_bytes, align_bytes, &s, &k);
    if (e != IOSIM_OK)
        return e;
    bp_lock(p);
    struct bp_block *b = NULL;
    if (p->st.slices + p->st.slices_leaked >= p->opts.slices_max || p->recs_free < 2)
        e = IOSIM_ENOSPC;
    else if ((b = bpi_find(p, s, k)) == NULL)
        e = IOSIM_ENOMEM;
    if (e != IOSIM_OK) {
        p->st.alloc_failures++;
        port_trace_bufpool(p->opts.name, "alloc", 0, 0, len_bytes, 0, 0, neg(e));
        bp_unlock(p);
        return e;
    }
    ASSERT(bp_block_ok(p, b) && b->state == BP_FREE);
    ASSERT(p->chunks[b->chunk].used >= p->chunks[b->chunk].leaked);
    bpi_remove(p, b);
    p->st.free_ranges--;
    carve(p, b, s, 1u << k);
    ASSERT(b->len == s);
    b->state = BP_LIVE;
    b->guards = 0;
    b->flags = 0;
    p->chunks[b->chunk].used++;
    p->st.slices++;
    p->st.allocs++;
    p->st.bytes_used += (uint64_t)s << p->shift;
    p->st.bytes_free -= (uint64_t)s << p->shift;
    slice_out(p, b, len_bytes, out);
    ASSERT(((uintptr_t)out->host & ((align_bytes > 0 ? align_bytes : 1) - 1)) == 0);
    ASSERT(p->chunks[b->chunk].used > p->chunks[b->chunk].leaked);
    trace_block(p, "alloc", b, 0);
    bp_unlock(p);
    return IOSIM_OK;
}

/* The used block a handle names, or NULL (counted and traced) when the
 * handle is stale, forged or another pool's. */
static struct bp_block *lookup(struct bufpool *p, const struct bufpool_slice *s)
{
    struct bp_block *b = NULL;
    if (s != NULL && s->id != 0 && s->id <= p->blocks_hwm) {
        b = &p->blocks[s->id - 1];
        const struct bp_chunk *c = &p->chunks[b->chunk];
        bool used = b->state == BP_LIVE || b->state == BP_DEFERRED || b->state == BP_LEAKED;
        if (!used || b->gen != s->gen || s->chunk != bp_chunk_id(p, b->chunk) ||
            s->host != c->host + ((size_t)b->off << p->shift))
            b = NULL;
    }
    ASSERT(b == NULL || bp_block_ok(p, b));
    if (b == NULL) {
        p->st.bad_handles++;
        port_trace_bufpool(p->opts.name, "bad_handle", s != NULL ? s->chunk : 0,
                           s != NULL ? s->offset : 0, s != NULL ? s->len_bytes : 0, 0, 0,
                           neg(IOSIM_ENOENT));
    }
    return b;
}

/* A released slice whose guard was forfeited: its memory stays out of use. */
static void leak(struct bufpool *p, struct bp_block *b)
{
    ASSERT(b->flags & BP_FLAG_FORFEIT);
    ASSERT(bp_block_ok(p, b));
    ASSERT(b->state == BP_LIVE || b->state == BP_DEFERRED); /* a forfeited slice leaks once */
    ASSERT(b->guards == 0);
    uint64_t bytes = (uint64_t)b->len << p->shift;
    if (b->state == BP_DEFERRED)
        p->st.bytes_deferred -= bytes;
    b->state = BP_LEAKED;
    p->chunks[b->chunk].leaked++;
    p->st.slices--;
    p->st.slices_leaked++;
    p->st.bytes_used -= bytes;
    p->st.bytes_leaked += bytes;
    ASSERT(p->chunks[b->chunk].leaked <= p->chunks[b->chunk].used);
    trace_block(p, "leak", b, 0);
}

/* Merges free neighbour n into b (n right after b), releasing n's record. */
static void absorb_right(struct bufpool *p, struct bp_block *b, struct bp_block *n)
{
    ASSERT(b->next == bp_idx1(p, n) && n->state == BP_FREE);
    ASSERT(b->chunk == n->chunk && b->off + b->len == n->off); /* neighbours, touching */
    bpi_remove(p, n);
    ASSERT(bp_mergeable(p, b, n));
    b->len += n->len;
    b->next = n->next;
    if (b->next != 0)
        bp_at(p, b->next)->prev = bp_idx1(p, b);
    rec_release(p, n);
    p->st.free_ranges--;
    ASSERT(b->next == 0 || bp_at(p, b->next)->off == b->off + b->len);
}

/* Gives a released slice's memory back: coalesces and indexes it. */
static void reclaim(struct bufpool *p, struct bp_block *b)
{
    ASSERT(b->guards == 0 && !(b->flags & BP_FLAG_FORFEIT));
    ASSERT(bp_block_ok(p, b));
    ASSERT(b->state == BP_LIVE || b->state == BP_DEFERRED); /* never a leaked or free one */
    ASSERT(p->chunks[b->chunk].used > p->chunks[b->chunk].leaked);
    /* both neighbours are looked at below: start both loads now */
    if (b->prev != 0)
        __builtin_prefetch(&p->blocks[b->prev - 1]);
    if (b->next != 0)
        __builtin_prefetch(&p->blocks[b->next - 1]);
    uint64_t bytes = (uint64_t)b->len << p->shift;
    if (b->state == BP_DEFERRED)
        p->st.bytes_deferred -= bytes;
    p->chunks[b->chunk].used--;
    p->st.slices--;
    p->st.frees++;
    p->st.bytes_used -= bytes;
    p->st.bytes_free += bytes;
    trace_block(p, b->state == BP_DEFERRED ? "reclaim" : "free", b, 0);
    b->state = BP_FREE;
    b->gen++;
    struct bp_block *l = bp_blk(p, b->prev);
    if (l != NULL && l->state == BP_FREE && bp_mergeable(p, l, b)) {
        /* keep b's record: l's goes (it may be the chunk's first) */
        bpi_remove(p, l);
        b->off = l->off;
        b->len += l->len;
        b->prev = l->prev;
        if (b->prev != 0)
            bp_at(p, b->prev)->next = bp_idx1(p, b);
        else
            p->chunks[b->chunk].first = bp_idx1(p, b);
        rec_release(p, l);
        p->st.free_ranges--;
    }
    /* A merge on the left can start b on a boundary multiple, which makes
     * the range after the next one mergeable too: at most two on the right. */
    for (uint32_t i = 0; i < 2; i++) {
        struct bp_block *n = bp_blk(p, b->next);
        if (n == NULL || n->state != BP_FREE || !bp_mergeable(p, b, n))
            break;
        absorb_right(p, b, n);
    }
    ASSERT(b->next == 0 || bp_blk(p, b->next)->state != BP_FREE ||
           !bp_mergeable(p, b, bp_blk(p, b->next)));
    ASSERT(b->prev != 0 || p->chunks[b->chunk].first == bp_idx1(p, b));
    ASSERT(b->prev == 0 || bp_at(p, b->prev)->off + bp_at(p, b->prev)->len == b->off);
    bpi_insert(p, b);
    p->st.free_ranges++;
}

/* The slice is no longer held by its owner or by guards: reclaim or leak. */
static void settle(struct bufpool *p, struct bp_block *b)
{
    ASSERT(b->guards == 0);
    ASSERT(b->state == BP_LIVE || b->state == BP_DEFERRED);
    ASSERT(bp_block_ok(p, b));
    if (b->flags & BP_FLAG_FORFEIT)
        leak(p, b);
    else
        reclaim(p, b);
    ASSERT(b->state == BP_LEAKED || b->state == BP_FREE);
}

enum iosim_err bufpool_free(struct bufpool *p, const struct bufpool_slice *s)
{
    ASSERT(p != NULL);
    bp_lock(p);
    struct bp_block *b = lookup(p, s);
    enum iosim_err e = IOSIM_OK;
    if (b == NULL || b->state != BP_LIVE) {
        e = IOSIM_ENOENT;
        if (b != NULL) { /* released twice */
            p->st.bad_handles++;
            trace_block(p, "free", b, neg(e));
        }
    } else if (b->guards != 0) {
        ASSERT(!(b->flags & BP_FLAG_FORFEIT) || b->guards > 0);
        b->state = BP_DEFERRED;
        p->st.bytes_deferred += (uint64_t)b->len << p->shift;
        trace_block(p, "defer", b, 0);
    } else {
        settle(p, b);
    }
    bp_unlock(p);
    return e;
}

enum iosim_err bufpool_guard(struct bufpool *p, const struct bufpool_slice *s)
{
    ASSERT(p != NULL);
    bp_lock(p);
    struct bp_block *b = lookup(p, s);
    enum iosim_err e = IOSIM_OK;
    if (b == NULL || b->state == BP_LEAKED)
        e = IOSIM_ENOENT;
    else if (b->guards == UINT32_MAX)
        e = IOSIM_EOVERFLOW;
    else
        b->guards++;
    ASSERT(e != IOSIM_OK || (b->state != BP_FREE && b->state != BP_UNUSED && b->guards > 0));
    if (b != NULL)
        trace_block(p, "guard", b, e == IOSIM_OK ? 0 : neg(e));
    bp_unlock(p);
    return e;
}

/* Drops one guard; `forfeit` marks it as never given back. */
static enum iosim_err guard_drop(struct bufpool *p, const struct bufpool_slice *s, bool forfeit)
{
    ASSERT(p != NULL);
    bp_lock(p);
    struct bp_block *b = lookup(p, s);
    enum iosim_err e = IOSIM_OK;
    if (b == NULL) {
        e = IOSIM_ENOENT;
    } else if (b->guards == 0) {
        e = IOSIM_EINVAL;
        trace_block(p, forfeit ? "forfeit" : "unguard", b, neg(e));
    } else {
        ASSERT(b->state == BP_LIVE || b->state == BP_DEFERRED); /* a leaked one has no guards */
        b->guards--;
        if (forfeit) {
            b->flags |= BP_FLAG_FORFEIT;
            p->st.forfeits++;
        }
        trace_block(p, forfeit ? "forfeit" : "unguard", b, 0);
        if (b->guards == 0 && b->state == BP_DEFERRED)
            settle(p, b);
    }
    bp_unlock(p);
    return e;
}

enum iosim_err bufpool_unguard(struct bufpool *p, const struct bufpool_slice *s)
{
    ASSERT(p != NULL);
    ASSERT(p->mem != NULL); /* initialised */
    return guard_drop(p, s, false);
}

enum iosim_err bufpool_forfeit(struct bufpool *p, const struct bufpool_slice *s)
{
    ASSERT(p != NULL);
    ASSERT(p->mem != NULL);
    return guard_drop(p, s, true);
}
