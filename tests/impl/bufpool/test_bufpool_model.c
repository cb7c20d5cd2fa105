/*
 * impl/bufpool against a brute-force reference: a map of the owner of every
 * byte of every chunk. Random alloc / free / double free / guard / unguard /
 * forfeit / grow / shrink / foreign-handle sequences under several option
 * sets; after every step the pool's self-check must pass and its answers
 * must be the reference's: an allocation succeeds exactly when some free
 * run of bytes can hold it (aligned, inside one chunk, not crossing the
 * boundary), lands on free bytes only, and the accounting is exact. At the
 * end everything is released and every chunk must be one free range again.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/impl/bufpool/bufpool_test_util.h"

#define M_SLICES 64u
#define M_CHUNKS 4u

struct m_slice {
    struct bufpool_slice h;
    uint32_t chunk_ix;
    size_t occ;           /* bytes it occupies */
    uint32_t guards;
    bool used;            /* live, released-with-guards or leaked */
    bool released, forfeited, leaked;
};

struct m_chunk {
    uint8_t *mem;
    size_t len;
    uint32_t id;
    bool active;
    uint32_t *owner;      /* per byte: slice index + 1, or 0 when free */
    struct tb_closes closes;
};

struct model {
    struct bufpool pool;
    struct bufpool_opts o;
    struct m_slice s[M_SLICES * 4];
    uint32_t ns;
    struct m_chunk c[M_CHUNKS];
    uint64_t rs, seed;
    uint32_t step;
    size_t gran, calign;
};

#define M_ASSERT(m, cond)                                                                     \
    cr_assert(cond, "seed %llu step %u: %s", (unsigned long long)(m)->seed, (m)->step,        \
              #cond)

static void m_check_pool(struct model *m)
{
    char why[128] = "";
    enum iosim_err e = bufpool_check(&m->pool, why, sizeof why);
    cr_assert_eq(e, IOSIM_OK, "seed %llu step %u: bufpool_check: %s", (unsigned long long)m->seed,
                 m->step, why);
    uint64_t used = 0, leaked = 0, total = 0;
    uint32_t slices = 0, nleaked = 0;
    for (uint32_t i = 0; i < m->ns; i++) {
        if (!m->s[i].used)
            continue;
        if (m->s[i].leaked) {
            leaked += m->s[i].occ;
            nleaked++;
        } else {
            used += m->s[i].occ;
            slices++;
        }
    }
    for (uint32_t i = 0; i < M_CHUNKS; i++)
        if (m->c[i].active)
            total += m->c[i].len;
    struct bufpool_stats st;
    bufpool_stats_get(&m->pool, &st);
    M_ASSERT(m, st.bytes_used == used);
    M_ASSERT(m, st.bytes_leaked == leaked);
    M_ASSERT(m, st.bytes_total == total);
    M_ASSERT(m, st.bytes_free == total - used - leaked);
    M_ASSERT(m, st.slices == slices);
    M_ASSERT(m, st.slices_leaked == nleaked);
}

/* The walk must agree with the byte map: free blocks hold free bytes only,
 * used blocks are exactly one slice. */
struct walk_ctx {
    struct model *m;
    uint32_t blocks[M_CHUNKS];
};

static struct m_chunk *m_chunk_by_id(struct model *m, uint32_t id)
{
    for (uint32_t i = 0; i < M_CHUNKS; i++)
        if (m->c[i].active && m->c[i].id == id)
            return &m->c[i];
    return NULL;
}

static void walk_one(void *ctx, uint32_t chunk, uint64_t off, uint64_t len,
                     enum bufpool_block_state st, uint32_t guards)
{
    struct walk_ctx *w = ctx;
    struct model *m = w->m;
    struct m_chunk *c = m_chunk_by_id(m, chunk);
    M_ASSERT(m, c != NULL);
    M_ASSERT(m, off + len <= c->len);
    w->blocks[c - m->c]++;
    uint32_t first = c->owner[off];
    if (st == BUFPOOL_BLOCK_FREE) {
        for (uint64_t i = 0; i < len; i++)
            M_ASSERT(m, c->owner[off + i] == 0);
        return;
    }
    M_ASSERT(m, first != 0);
    struct m_slice *s = &m->s[first - 1];
    M_ASSERT(m, s->h.offset == off && s->occ == len && s->guards == guards);
    M_ASSERT(m, (st == BUFPOOL_BLOCK_LEAKED) == s->leaked);
    M_ASSERT(m, (st == BUFPOOL_BLOCK_DEFERRED) == (s->released && !s->leaked));
}

static void m_check_walk(struct model *m)
{
    struct walk_ctx w = {.m = m};
    bufpool_walk(&m->pool, walk_one, &w);
}

/* Brute force: can some aligned run of free bytes hold occ at align? */
static bool m_fits(const struct model *m, size_t occ, size_t align)
{
    size_t b = m->o.boundary;
    for (uint32_t i = 0; i < M_CHUNKS; i++) {
        const struct m_chunk *c = &m->c[i];
        if (!c->active)
            continue;
        size_t run_end = c->len; /* first used byte at or after p */
        static size_t next_used[1 << 17];
        for (size_t p = c->len; p-- > 0;) {
            if (c->owner[p] != 0)
                run_end = p;
            next_used[p] = run_end;
        }
        for (size_t p = 0; p + occ <= c->len; p += align) {
            if (b != 0 && p / b != (p + occ - 1) / b)
                continue;
            if (next_used[p] >= p + occ)
                return true;
        }
    }
    return false;
}

static size_t m_occ(const struct model *m, size_t len)
{
    size_t min = m->o.size_min == 0 ? m->gran : m->o.size_min;
    size_t l = len < min ? min : len;
    return (l + m->gran - 1) / m->gran * m->gran;
}

static void m_alloc(struct model *m)
{
    size_t len;
    uint32_t kind = tb_below(&m->rs, 20);
    if (kind == 0)
        len = 0;
    else if (kind == 1)
        len = m->o.size_max + 1 + tb_below(&m->rs, 64);
    else if (kind < 10)
        len = 1 + tb_below(&m->rs, (uint32_t)(4 * m->gran));
    else
        len = 1 + tb_below(&m->rs, (uint32_t)m->o.size_max);
    size_t align;
    uint32_t ak = tb_below(&m->rs, 16);
    if (ak == 0)
        align = 0;
    else if (ak == 1)
        align = 3 * m->gran;
    else if (ak == 2)
        align = m->o.align_max * 2;
    else
        align = (size_t)1 << tb_below(&m->rs, 1 + (uint32_t)__builtin_ctzll(m->o.align_max));

    enum iosim_err want;
    size_t eff_align = align < m->gran ? m->gran : align;
    uint32_t in_use = 0;
    for (uint32_t i = 0; i < m->ns; i++)
        in_use += m->s[i].used;
    if (len == 0 || (align != 0 && (align & (align - 1)) != 0) || align > m->o.align_max)
        want = IOSIM_EINVAL;
    else if (len > m->o.size_max)
        want = IOSIM_EMSGSIZE;
    else if (in_use >= m->o.slices_max)
        want = IOSIM_ENOSPC;
    else
        want = m_fits(m, m_occ(m, len), eff_align) ? IOSIM_OK : IOSIM_ENOMEM;

    struct bufpool_slice h;
    enum iosim_err got = bufpool_alloc(&m->pool, len, align, &h);
    cr_assert_eq(got, want, "seed %llu step %u: alloc(%zu, %zu) = %s, reference says %s",
                 (unsigned long long)m->seed, m->step, len, align, iosim_err_name(got),
                 iosim_err_name(want));
    if (got != IOSIM_OK)
        return;
    struct m_chunk *c = m_chunk_by_id(m, h.chunk);
    M_ASSERT(m, c != NULL);
    size_t occ = m_occ(m, len);
    M_ASSERT(m, h.len_bytes == len);
    M_ASSERT(m, (uint8_t *)h.host == c->mem + h.offset);
    M_ASSERT(m, ((uintptr_t)h.host & (eff_align - 1)) == 0);
    M_ASSERT(m, h.offset + occ <= c->len);
    M_ASSERT(m, m->o.boundary == 0 || h.offset / m->o.boundary == (h.offset + occ - 1) / m->o.boundary);
    M_ASSERT(m, m->ns < sizeof m->s / sizeof m->s[0]);
    uint32_t ix = m->ns++;
    for (size_t i = 0; i < occ; i++) {
        M_ASSERT(m, c->owner[h.offset + i] == 0);
        c->owner[h.offset + i] = ix + 1;
    }
    memset(h.host, 0xee, len); /* the pool keeps nothing inside slices */
    m->s[ix] = (struct m_slice){.h = h, .chunk_ix = (uint32_t)(c - m->c), .occ = occ, .used = true};
}

static void m_settle(struct model *m, struct m_slice *s)
{
    if (s->forfeited) {
        s->leaked = true;
        return;
    }
    struct m_chunk *c = &m->c[s->chunk_ix];
    for (size_t i = 0; i < s->occ; i++)
        c->owner[s->h.offset + i] = 0;
    s->used = false;
}

/* A random slice satisfying pred, or NULL. */
static struct m_slice *m_pick(struct model *m, bool (*pred)(const struct m_slice *))
{
    if (m->ns == 0)
        return NULL;
    uint32_t start = tb_below(&m->rs, m->ns);
    for (uint32_t i = 0; i < m->ns; i++) {
        struct m_slice *s = &m->s[(start + i) % m->ns];
        if (pred(s))
            return s;
    }
    return NULL;
}

static bool p_owned(const struct m_slice *s) { return s->used && !s->released; }
static bool p_gone(const struct m_slice *s) { return !s->used || s->released; }
static bool p_guardable(const struct m_slice *s) { return s->used && !s->leaked; }
static bool p_any_used(const struct m_slice *s) { return s->used; }

static void m_free(struct model *m)
{
    struct m_slice *s = m_pick(m, p_owned);
    if (s == NULL)
        return;
    M_ASSERT(m, bufpool_free(&m->pool, &s->h) == IOSIM_OK);
    s->released = true;
    if (s->guards == 0)
        m_settle(m, s);
}

static void m_free_again(struct model *m)
{
    struct m_slice *s = m_pick(m, p_gone);
    if (s == NULL)
        return;
    struct bufpool_stats before, after;
    bufpool_stats_get(&m->pool, &before);
    M_ASSERT(m, bufpool_free(&m->pool, &s->h) == IOSIM_ENOENT);
    bufpool_stats_get(&m->pool, &after);
    M_ASSERT(m, after.bytes_used == before.bytes_used && after.bytes_free == before.bytes_free);
    M_ASSERT(m, after.bad_handles == before.bad_handles + 1);
}

static void m_guard(struct model *m)
{
    struct m_slice *s = m_pick(m, p_guardable);
    if (s == NULL)
        return;
    M_ASSERT(m, bufpool_guard(&m->pool, &s->h) == IOSIM_OK);
    s->guards++;
}

static void m_unguard(struct model *m, bool forfeit)
{
    struct m_slice *s = m_pick(m, p_any_used);
    if (s == NULL)
        return;
    enum iosim_err got = forfeit ? bufpool_forfeit(&m->pool, &s->h)
                                 : bufpool_unguard(&m->pool, &s->h);
    if (s->guards == 0) {
        M_ASSERT(m, got == IOSIM_EINVAL);
        return;
    }
    M_ASSERT(m, got == IOSIM_OK);
    s->guards--;
    s->forfeited |= forfeit;
    if (s->guards == 0 && s->released && !s->leaked)
        m_settle(m, s);
}

static void m_grow(struct model *m)
{
    uint32_t slot = 0;
    while (slot < M_CHUNKS && m->c[slot].active)
        slot++;
    size_t len = m->calign * (1 + tb_below(&m->rs, 4));
    if (len < 2 * m->o.size_max)
        len = 2 * m->o.size_max / m->calign * m->calign;
    uint32_t kind = tb_below(&m->rs, 8);
    if (kind == 0 && slot > 0) { /* overlapping an existing chunk */
        struct m_chunk *c = &m->c[tb_below(&m->rs, slot)];
        uint32_t id;
        if (c->active)
            M_ASSERT(m, bufpool_chunk_add(&m->pool, c->mem, c->len, 0, NULL, NULL, &id) ==
                            IOSIM_EEXIST);
        return;
    }
    if (slot == M_CHUNKS)
        return;
    struct m_chunk *c = &m->c[slot];
    c->mem = tb_chunk_mem(len, m->calign);
    cr_assert_not_null(c->mem);
    uint32_t id;
    if (kind == 1) { /* misaligned, or a length that is not a multiple of the granule */
        bool shift = m->calign > m->gran;
        M_ASSERT(m, bufpool_chunk_add(&m->pool, c->mem + (shift ? m->gran : 0),
                                      shift ? len - m->calign : len - 1, 0, NULL, NULL,
                                      &id) == IOSIM_EINVAL);
        free(c->mem);
        return;
    }
    c->len = len;
    c->owner = calloc(len, sizeof *c->owner);
    c->closes = (struct tb_closes){0};
    M_ASSERT(m, bufpool_chunk_add(&m->pool, c->mem, len, 0x1000u * (slot + 1), tb_close,
                                  &c->closes, &c->id) == IOSIM_OK);
    c->active = true;
}

static void m_chunk_gone(struct m_chunk *c)
{
    free(c->mem);
    free(c->owner);
    c->mem = NULL;
    c->owner = NULL;
    c->active = false;
}

static void m_shrink(struct model *m)
{
    struct m_chunk *c = &m->c[tb_below(&m->rs, M_CHUNKS)];
    if (!c->active)
        return;
    bool busy = false;
    for (size_t i = 0; i < c->len && !busy; i++)
        busy = c->owner[i] != 0;
    enum iosim_err got = bufpool_chunk_remove(&m->pool, c->id);
    M_ASSERT(m, got == (busy ? IOSIM_EBUSY : IOSIM_OK));
    if (got != IOSIM_OK)
        return;
    M_ASSERT(m, c->closes.count == 1 && c->closes.last_host == c->mem &&
                    c->closes.last_len == c->len);
    M_ASSERT(m, bufpool_chunk_remove(&m->pool, c->id) == IOSIM_ENOENT);
    m_chunk_gone(c);
}

static void m_foreign(struct model *m)
{
    struct bufpool_slice forged = {.host = m->c[0].mem, .id = 1 + tb_below(&m->rs, 1000),
                                   .gen = (uint32_t)tb_rand(&m->rs), .chunk = m->c[0].id};
    struct m_slice *s = m_pick(m, p_any_used);
    if (s != NULL && tb_below(&m->rs, 2) == 0) {
        forged = s->h;
        forged.host = (uint8_t *)forged.host + m->gran; /* a pointer inside it */
    }
    M_ASSERT(m, bufpool_free(&m->pool, &forged) == IOSIM_ENOENT);
    M_ASSERT(m, bufpool_guard(&m->pool, &forged) == IOSIM_ENOENT);
}

static void m_step(struct model *m)
{
    uint32_t op = tb_below(&m->rs, 100);
    if (op < 34)
        m_alloc(m);
    else if (op < 56)
        m_free(m);
    else if (op < 60)
        m_free_again(m);
    else if (op < 72)
        m_guard(m);
    else if (op < 84)
        m_unguard(m, false);
    else if (op < 86)
        m_unguard(m, true);
    else if (op < 91)
        m_grow(m);
    else if (op < 95)
        m_shrink(m);
    else
        m_foreign(m);
}

/* Everything back: owners free, guards dropped. Leaked slices stay; their
 * chunks may not go. Then every chunk without a leak is one free range. */
static void m_finish(struct model *m)
{
    for (uint32_t i = 0; i < m->ns; i++) {
        struct m_slice *s = &m->s[i];
        if (!s->used)
            continue;
        if (!s->released) {
            M_ASSERT(m, bufpool_free(&m->pool, &s->h) == IOSIM_OK);
            s->released = true;
        }
        while (s->guards > 0) {
            M_ASSERT(m, bufpool_unguard(&m->pool, &s->h) == IOSIM_OK);
            s->guards--;
        }
        if (!s->leaked)
            m_settle(m, s);
    }
    m_check_pool(m);
    struct walk_ctx w = {.m = m};
    bufpool_walk(&m->pool, walk_one, &w);
    for (uint32_t i = 0; i < M_CHUNKS; i++) {
        struct m_chunk *c = &m->c[i];
        if (!c->active)
            continue;
        bool leaks = false;
        for (size_t b = 0; b < c->len; b++)
            leaks |= c->owner[b] != 0;
        if (!leaks)
            M_ASSERT(m, w.blocks[i] == 1); /* fully coalesced */
        M_ASSERT(m, bufpool_chunk_remove(&m->pool, c->id) == (leaks ? IOSIM_EBUSY : IOSIM_OK));
    }
    uint32_t kept_want = 0;
    for (uint32_t i = 0; i < M_CHUNKS; i++)
        if (m->c[i].active && m->c[i].closes.count == 0)
            kept_want++;
    M_ASSERT(m, bufpool_destroy(&m->pool) == kept_want);
    for (uint32_t i = 0; i < M_CHUNKS; i++)
        if (m->c[i].active)
            m_chunk_gone(&m->c[i]);
}

static void model_run(const struct bufpool_opts *o, uint64_t seed, uint32_t steps)
{
    static struct model m;
    memset(&m, 0, sizeof m);
    m.o = *o;
    m.seed = m.rs = seed;
    m.gran = o->align_min;
    m.calign = o->boundary > o->align_max ? o->boundary : o->align_max;
    cr_assert_eq(bufpool_init(&m.pool, o), IOSIM_OK);
    for (uint32_t i = 0; i < 2; i++)
        m_grow(&m);
    for (m.step = 0; m.step < steps; m.step++) {
        if (m.ns + 4 >= sizeof m.s / sizeof m.s[0]) {
            /* compact: forget slices that are gone */
            uint32_t n = 0;
            for (uint32_t i = 0; i < m.ns; i++) {
                if (!m.s[i].used)
                    continue;
                struct m_slice s = m.s[i];
                struct m_chunk *c = &m.c[s.chunk_ix];
                for (size_t b = 0; b < s.occ; b++)
                    c->owner[s.h.offset + b] = n + 1;
                m.s[n++] = s;
            }
            m.ns = n;
        }
        m_step(&m);
        m_check_pool(&m);
        if (m.step % 8 == 0)
            m_check_walk(&m);
    }
    m_finish(&m);
}

struct opt_case {
    size_t gran, amax, smax, boundary, smin;
};

static const struct opt_case cases[] = {
    {8, 512, 2048, 0, 0},       /* fine granule, no boundary */
    {16, 1024, 1024, 1024, 0},  /* boundary == size_max: many boundary splits */
    {64, 4096, 4096, 4096, 0},  /* driver-like: cache lines, page boundary */
    {8, 8, 256, 0, 0},          /* one alignment class */
    {8, 2048, 512, 2048, 64},   /* size_min, boundary above size_max */
    {32, 256, 8192, 0, 0},      /* large slices, small alignments */
};

static void run_case(uint32_t ci, uint32_t seeds, uint32_t steps)
{
    const struct opt_case *k = &cases[ci];
    struct bufpool_opts o = tb_opts(k->gran, k->amax, k->smax, k->boundary);
    o.size_min = k->smin;
    o.slices_max = 48;
    o.chunks_max = M_CHUNKS;
    for (uint64_t seed = 1; seed <= seeds; seed++)
        model_run(&o, seed * 1000 + ci, steps);
}

Test(bufpool_model, fine_granule) { run_case(0, 24, 1500); }
Test(bufpool_model, boundary_equals_size_max) { run_case(1, 24, 1500); }
Test(bufpool_model, driver_like) { run_case(2, 24, 1500); }
Test(bufpool_model, single_alignment_class) { run_case(3, 24, 1500); }
Test(bufpool_model, size_min_and_boundary) { run_case(4, 24, 1500); }
Test(bufpool_model, large_slices) { run_case(5, 24, 1500); }
