/* sim/mem: a model-based test (seeded random alloc / free / bad free /
 * host and phys look-ups against a page ownership array, with the free
 * list, the byte counts and the memory contents checked after every
 * operation) and tables of edge cases: init arguments, alignment, exact
 * fits, double and partial frees, the free-range capacity. Every model
 * failure prints its seed and operation number. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <string.h>

#include "sim/machine/mem.h"
#include "sim/engine/rng.h"

#define PG ((uint64_t)SIM_PAGE_SIZE)

/* ---- the model ------------------------------------------------------------ */

#define MODEL_PAGES_MAX 512
#define MODEL_ALLOCS_MAX 4096
#define MODEL_OPS 3000
#define OWNER_FREE (-1)
#define OWNER_FIXED (-2) /* below alloc_base: not the allocator's */

struct alloc {
    uint64_t paddr;
    uint64_t len_req;
    uint64_t len_pages_bytes;
    uint8_t tag;
    bool live;
};

struct model {
    uint64_t seed;
    uint32_t op;
    struct sim_rng rng;
    struct sim_mem mem;
    uint64_t size_bytes, alloc_base;
    uint32_t pages;
    int32_t owner[MODEL_PAGES_MAX];
    struct alloc al[MODEL_ALLOCS_MAX];
    uint32_t n_al;
    uint64_t allocated_bytes;
};

#define MCHECK(m, cond, fmt, ...)                                                        \
    cr_assert((cond), "seed %" PRIu64 " op %u: %s: " fmt, (m)->seed, (m)->op, #cond, \
              __VA_ARGS__)

static uint64_t round_page(uint64_t v)
{
    return (v + PG - 1) / PG * PG;
}

/* Index of the first byte of p[0, n) that is not `v`, or n. */
static uint64_t first_not(const uint8_t *p, uint64_t n, uint8_t v)
{
    uint64_t i = 0;
    while (i < n && p[i] == v)
        i++;
    return i;
}

/* First fit by address: the lowest aligned address at or above alloc_base
 * whose pages are all free. */
static bool model_find(const struct model *m, uint64_t len, uint64_t align, uint64_t *out)
{
    uint64_t a = (m->alloc_base + align - 1) / align * align;
    if (m->alloc_base != 0 && a < m->alloc_base)
        return false; /* align so large that rounding up wrapped */
    for (; a < m->size_bytes && len <= m->size_bytes - a; a += align) {
        bool all_free = true;
        for (uint64_t p = a / PG; p < (a + len) / PG && all_free; p++)
            all_free = m->owner[p] == OWNER_FREE;
        if (all_free) {
            *out = a;
            return true;
        }
        if (a + align < a)
            break;
    }
    return false;
}

static uint64_t model_pick_len(struct model *m)
{
    switch (sim_rng_below(&m->rng, 8)) {
    case 0:
        return 0;
    case 1:
        return PG * sim_rng_range(&m->rng, 1, 4); /* exact pages */
    case 2:
        return m->size_bytes - m->alloc_base; /* the whole heap */
    case 3:
        return m->size_bytes + sim_rng_range(&m->rng, 0, 1); /* too big */
    case 4:
        return sim_rng_range(&m->rng, 1, 64 * PG);
    default:
        return sim_rng_range(&m->rng, 1, 3 * PG);
    }
}

static uint64_t model_pick_align(struct model *m)
{
    static const uint64_t aligns[] = {
        1, 2, 512, 4096, 4096, 4096, 8192, 16384, 65536, UINT64_C(1) << 20,
        UINT64_C(1) << 40, UINT64_C(1) << 63, 0, 3, 4097, 12288, UINT64_MAX,
    };
    return aligns[sim_rng_below(&m->rng, sizeof aligns / sizeof aligns[0])];
}

static void model_alloc(struct model *m)
{
    uint64_t len = model_pick_len(m), align = model_pick_align(m);
    uint64_t pa = UINT64_C(0xabababab);
    enum iosim_err e = sim_mem_alloc(&m->mem, len, align, &pa);
    bool bad = len == 0 || align == 0 || (align & (align - 1)) != 0 || len > m->size_bytes;
    if (bad) {
        MCHECK(m, e == IOSIM_EINVAL, "len %" PRIu64 " align %" PRIu64 " gave %s", len, align,
               iosim_err_name(e));
        return;
    }
    uint64_t lenp = round_page(len), want;
    bool fits = model_find(m, lenp, align < PG ? PG : align, &want);
    if (!fits) {
        MCHECK(m, e == IOSIM_ENOMEM, "len %" PRIu64 " align %" PRIu64 " gave %s", len, align,
               iosim_err_name(e));
        return;
    }
    MCHECK(m, e == IOSIM_OK, "len %" PRIu64 " align %" PRIu64 " gave %s", len, align,
           iosim_err_name(e));
    MCHECK(m, pa == want, "len %" PRIu64 " align %" PRIu64 " at %#" PRIx64 ", first fit %#" PRIx64,
           len, align, pa, want);
    uint8_t *host = sim_mem_host(&m->mem, pa, lenp);
    MCHECK(m, host != NULL, "pa %#" PRIx64, pa);
    uint64_t nz = first_not(host, lenp, 0);
    MCHECK(m, nz == lenp, "byte %" PRIu64 " of a fresh allocation at %#" PRIx64, nz, pa);
    MCHECK(m, m->n_al < MODEL_ALLOCS_MAX, "%u allocations", m->n_al);
    uint8_t tag = (uint8_t)(1 + m->n_al % 255);
    memset(host, tag, lenp);
    for (uint64_t p = pa / PG; p < (pa + lenp) / PG; p++)
        m->owner[p] = (int32_t)m->n_al;
    m->al[m->n_al++] = (struct alloc){pa, len, lenp, tag, true};
    m->allocated_bytes += lenp;
}

static int32_t model_pick_live(struct model *m)
{
    if (m->n_al == 0)
        return -1;
    uint32_t start = (uint32_t)sim_rng_below(&m->rng, m->n_al);
    for (uint32_t k = 0; k < m->n_al; k++) {
        uint32_t i = (start + k) % m->n_al;
        if (m->al[i].live)
            return (int32_t)i;
    }
    return -1;
}

static void model_free(struct model *m)
{
    int32_t i = model_pick_live(m);
    if (i < 0)
        return;
    struct alloc *a = &m->al[i];
    const uint8_t *host = sim_mem_host(&m->mem, a->paddr, a->len_pages_bytes);
    uint64_t b = first_not(host, a->len_pages_bytes, a->tag);
    MCHECK(m, b == a->len_pages_bytes, "allocation %d byte %" PRIu64 " overwritten", i, b);
    enum iosim_err e = sim_mem_free(&m->mem, a->paddr, a->len_req);
    MCHECK(m, e == IOSIM_OK, "free %#" PRIx64 " gave %s", a->paddr, iosim_err_name(e));
    for (uint64_t p = a->paddr / PG; p < (a->paddr + a->len_pages_bytes) / PG; p++)
        m->owner[p] = OWNER_FREE;
    a->live = false;
    m->allocated_bytes -= a->len_pages_bytes;
}

/* A free the allocator must refuse: a double free of memory that is still
 * free, or an address or length it can see is wrong. */
static void model_bad_free(struct model *m)
{
    uint64_t pa, len;
    switch (sim_rng_below(&m->rng, 6)) {
    case 0: { /* double free, when nobody has the pages again */
        if (m->n_al == 0)
            return;
        const struct alloc *a = &m->al[sim_rng_below(&m->rng, m->n_al)];
        if (a->live)
            return;
        bool any_free = false;
        for (uint64_t p = a->paddr / PG; p < (a->paddr + a->len_pages_bytes) / PG; p++)
            any_free = any_free || m->owner[p] == OWNER_FREE;
        if (!any_free)
            return;
        pa = a->paddr;
        len = a->len_req;
        break;
    }
    case 1: /* not page aligned */
        pa = m->alloc_base + sim_rng_range(&m->rng, 1, PG - 1);
        len = PG;
        break;
    case 2: /* below alloc_base (when there is such memory) */
        if (m->alloc_base == 0)
            return;
        pa = sim_rng_below(&m->rng, m->alloc_base / PG) * PG;
        len = PG;
        break;
    case 3: /* beyond the end, or running past it */
        pa = m->size_bytes - PG * sim_rng_below(&m->rng, 2);
        len = 2 * PG;
        break;
    case 4: /* zero length, or a length that wraps when rounded */
        pa = m->alloc_base;
        len = sim_rng_chance(&m->rng, 500) ? 0 : UINT64_MAX - sim_rng_below(&m->rng, 10);
        break;
    default: { /* a range touching at least one free page */
        uint32_t p = (uint32_t)sim_rng_range(&m->rng, m->alloc_base / PG, m->pages - 1);
        if (m->owner[p] != OWNER_FREE)
            return;
        uint32_t first = (uint32_t)sim_rng_range(&m->rng, m->alloc_base / PG, p);
        pa = (uint64_t)first * PG;
        len = (uint64_t)(p - first + 1) * PG;
        break;
    }
    }
    uint64_t bytes = m->mem.allocated_bytes;
    enum iosim_err e = sim_mem_free(&m->mem, pa, len);
    MCHECK(m, e == IOSIM_EINVAL, "free(%#" PRIx64 ", %" PRIu64 ") gave %s", pa, len,
           iosim_err_name(e));
    MCHECK(m, m->mem.allocated_bytes == bytes, "%" PRIu64, m->mem.allocated_bytes);
}

static void model_lookup(struct model *m)
{
    uint64_t pa = sim_rng_below(&m->rng, m->size_bytes + 2 * PG);
    uint64_t len = sim_rng_chance(&m->rng, 100) ? UINT64_MAX - sim_rng_below(&m->rng, 3)
                                                 : sim_rng_below(&m->rng, 4 * PG);
    uint8_t *h = sim_mem_host(&m->mem, pa, len);
    bool ram = pa < m->size_bytes && len <= m->size_bytes - pa;
    MCHECK(m, (h != NULL) == ram, "host(%#" PRIx64 ", %" PRIu64 ")", pa, len);
    if (h == NULL)
        return;
    uint64_t back = UINT64_MAX;
    MCHECK(m, sim_mem_phys(&m->mem, h, &back), "phys of host(%#" PRIx64 ")", pa);
    MCHECK(m, back == pa, "phys %#" PRIx64 " for %#" PRIx64, back, pa);
    uint8_t *base = sim_mem_host(&m->mem, 0, 0);
    MCHECK(m, h == base + pa, "host(%#" PRIx64 ") is not base + pa", pa);
}

/* The allocator's free list must be exactly the maximal runs of free pages
 * at or above alloc_base, in address order. */
static void model_check(struct model *m)
{
    uint32_t r = 0;
    uint32_t p = (uint32_t)(m->alloc_base / PG);
    while (p < m->pages) {
        if (m->owner[p] != OWNER_FREE) {
            p++;
            continue;
        }
        uint32_t q = p;
        while (q < m->pages && m->owner[q] == OWNER_FREE)
            q++;
        MCHECK(m, r < m->mem.free_count, "free run %u missing", r);
        MCHECK(m, m->mem.free[r].base == (uint64_t)p * PG, "run %u base %#" PRIx64, r,
               m->mem.free[r].base);
        MCHECK(m, m->mem.free[r].len == (uint64_t)(q - p) * PG, "run %u len %" PRIu64, r,
               m->mem.free[r].len);
        r++;
        p = q;
    }
    MCHECK(m, r == m->mem.free_count, "free_count %u, runs %u", m->mem.free_count, r);
    MCHECK(m, m->mem.allocated_bytes == m->allocated_bytes, "allocated %" PRIu64,
           m->mem.allocated_bytes);
    const uint8_t *h = sim_mem_host(&m->mem, 0, m->size_bytes);
    for (uint32_t i = 0; i < m->n_al; i++) {
        const struct alloc *a = &m->al[i];
        if (!a->live)
            continue;
        MCHECK(m, h[a->paddr] == a->tag, "allocation %u first byte", i);
        MCHECK(m, h[a->paddr + a->len_pages_bytes - 1] == a->tag, "allocation %u last byte", i);
    }
}

static void model_run(uint64_t seed)
{
    static struct model m;
    memset(&m, 0, sizeof m);
    m.seed = seed;
    sim_rng_stream(&m.rng, seed, "mem-model");
    m.pages = (uint32_t)sim_rng_range(&m.rng, 1, MODEL_PAGES_MAX);
    uint32_t fixed = (uint32_t)sim_rng_below(&m.rng, m.pages < 16 ? m.pages : 16);
    m.size_bytes = m.pages * PG;
    m.alloc_base = fixed * PG;
    for (uint32_t p = 0; p < m.pages; p++)
        m.owner[p] = p < fixed ? OWNER_FIXED : OWNER_FREE;
    enum iosim_err e = sim_mem_init(&m.mem, m.size_bytes, m.alloc_base);
    cr_assert_eq(e, IOSIM_OK, "seed %" PRIu64 ": init gave %s", seed, iosim_err_name(e));
    model_check(&m);
    for (m.op = 0; m.op < MODEL_OPS && m.n_al < MODEL_ALLOCS_MAX; m.op++) {
        uint32_t kind = (uint32_t)sim_rng_below(&m.rng, 100);
        if (kind < 45)
            model_alloc(&m);
        else if (kind < 80)
            model_free(&m);
        else if (kind < 90)
            model_bad_free(&m);
        else
            model_lookup(&m);
        model_check(&m);
    }
    /* free everything: one free range again */
    for (int32_t i; (i = model_pick_live(&m)) >= 0;) {
        model_free(&m);
        model_check(&m);
    }
    cr_assert_eq(m.mem.free_count, 1, "seed %" PRIu64, seed);
    cr_assert_eq(m.mem.allocated_bytes, 0, "seed %" PRIu64, seed);
    sim_mem_fini(&m.mem);
}

Test(mem_model, allocator_matches_page_ownership_when_ops_are_random)
{
    static const uint64_t seeds[] = {1, 2, 3, 4, 5, 99, 2024, 0xc0ffee, 31337, 600613};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        model_run(seeds[i]);
}

/* ---- edge cases ------------------------------------------------------------ */

Test(mem, init_validates_arguments_when_sizes_are_odd)
{
    static const struct {
        uint64_t size, base;
        enum iosim_err want;
    } cases[] = {
        {0, 0, IOSIM_EINVAL},
        {PG, 0, IOSIM_OK},
        {PG, PG, IOSIM_EINVAL},          /* alloc_base == size: no heap */
        {2 * PG, PG, IOSIM_OK},
        {2 * PG, 3 * PG, IOSIM_EINVAL},
        {PG + 1, 0, IOSIM_EINVAL},
        {PG - 1, 0, IOSIM_EINVAL},
        {4 * PG, 1, IOSIM_EINVAL},
        {4 * PG, PG / 2, IOSIM_EINVAL},
        {SIM_MEM_BYTES_MAX + PG, 0, IOSIM_EINVAL},
        {UINT64_MAX - PG + 1, 0, IOSIM_EINVAL},
        {UINT64_C(64) << 30, UINT64_C(1) << 20, IOSIM_OK}, /* 64 GiB costs nothing */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sim_mem mem;
        memset(&mem, 0x5a, sizeof mem);
        enum iosim_err e = sim_mem_init(&mem, cases[i].size, cases[i].base);
        cr_assert_eq(e, cases[i].want, "case %zu gave %s", i, iosim_err_name(e));
        if (e == IOSIM_OK) {
            cr_assert_eq(mem.free_count, 1);
            cr_assert_eq(mem.free[0].base, cases[i].base);
            cr_assert_eq(mem.free[0].len, cases[i].size - cases[i].base);
        }
        sim_mem_fini(&mem); /* also fine after a failed init */
    }
}

Test(mem, host_and_phys_refuse_when_outside_ram)
{
    struct sim_mem mem;
    cr_assert_eq(sim_mem_init(&mem, 4 * PG, 0), IOSIM_OK);
    uint8_t *base = sim_mem_host(&mem, 0, 4 * PG);
    cr_assert_not_null(base);
    static const struct {
        uint64_t pa, len;
        bool ok;
    } cases[] = {
        {0, 0, true},           {0, 4 * PG, true},      {0, 4 * PG + 1, false},
        {4 * PG - 1, 1, true},  {4 * PG - 1, 2, false}, {4 * PG, 0, false},
        {4 * PG, 1, false},     {PG, 3 * PG, true},     {PG, UINT64_MAX, false},
        {UINT64_MAX, 1, false}, {UINT64_MAX, 0, false}, {1, UINT64_MAX - 1, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *h = sim_mem_host(&mem, cases[i].pa, cases[i].len);
        cr_assert_eq(h != NULL, cases[i].ok, "case %zu", i);
        if (h != NULL)
            cr_assert_eq(h, base + cases[i].pa, "case %zu", i);
    }
    uint64_t pa = 7;
    cr_assert(sim_mem_phys(&mem, base + 4 * PG - 1, &pa));
    cr_assert_eq(pa, 4 * PG - 1);
    pa = 7;
    cr_assert_not(sim_mem_phys(&mem, base + 4 * PG, &pa));
    cr_assert_not(sim_mem_phys(&mem, (const void *)((uintptr_t)base - 1), &pa));
    cr_assert_not(sim_mem_phys(&mem, &mem, &pa));
    cr_assert_eq(pa, 7, "pa written on failure");
    sim_mem_fini(&mem);
}

Test(mem, alloc_takes_the_whole_heap_when_it_fits_exactly)
{
    struct sim_mem mem;
    cr_assert_eq(sim_mem_init(&mem, 8 * PG, 2 * PG), IOSIM_OK);
    uint64_t pa = 0;
    cr_assert_eq(sim_mem_alloc(&mem, 6 * PG + 1, PG, &pa), IOSIM_ENOMEM);
    cr_assert_eq(sim_mem_alloc(&mem, 6 * PG, PG, &pa), IOSIM_OK);
    cr_assert_eq(pa, 2 * PG);
    cr_assert_eq(mem.free_count, 0);
    cr_assert_eq(sim_mem_alloc(&mem, 1, 1, &pa), IOSIM_ENOMEM);
    cr_assert_eq(sim_mem_free(&mem, 2 * PG, 6 * PG), IOSIM_OK);
    cr_assert_eq(mem.free_count, 1);
    cr_assert_eq(mem.allocated_bytes, 0);
    sim_mem_fini(&mem);
}

Test(mem, alloc_validates_arguments_when_len_or_align_are_bad)
{
    struct sim_mem mem;
    cr_assert_eq(sim_mem_init(&mem, 16 * PG, 0), IOSIM_OK);
    static const struct {
        uint64_t len, align;
        enum iosim_err want;
        uint64_t pa; /* when OK, on a fresh heap */
    } cases[] = {
        {0, PG, IOSIM_EINVAL, 0},
        {1, 0, IOSIM_EINVAL, 0},
        {1, 3, IOSIM_EINVAL, 0},
        {1, PG + 1, IOSIM_EINVAL, 0},
        {1, UINT64_MAX, IOSIM_EINVAL, 0},
        {16 * PG + 1, PG, IOSIM_EINVAL, 0},
        {UINT64_MAX, PG, IOSIM_EINVAL, 0},
        {UINT64_MAX - PG + 2, PG, IOSIM_EINVAL, 0}, /* would wrap when rounded */
        {1, 1, IOSIM_OK, 0},
        {PG, 2, IOSIM_OK, 0},
        {16 * PG, PG, IOSIM_OK, 0},
        {PG, UINT64_C(1) << 63, IOSIM_OK, 0}, /* 0 is aligned to anything */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t pa = 12345;
        enum iosim_err e = sim_mem_alloc(&mem, cases[i].len, cases[i].align, &pa);
        cr_assert_eq(e, cases[i].want, "case %zu gave %s", i, iosim_err_name(e));
        if (e == IOSIM_OK) {
            cr_assert_eq(pa, cases[i].pa, "case %zu", i);
            cr_assert_eq(sim_mem_free(&mem, pa, cases[i].len), IOSIM_OK, "case %zu", i);
        } else {
            cr_assert_eq(pa, 12345, "case %zu wrote pa on failure", i);
        }
        cr_assert_eq(mem.free_count, 1, "case %zu", i);
        cr_assert_eq(mem.allocated_bytes, 0, "case %zu", i);
    }
    sim_mem_fini(&mem);
}

Test(mem, alloc_fills_the_lowest_aligned_gap_when_aligned)
{
    struct sim_mem mem;
    cr_assert_eq(sim_mem_init(&mem, 64 * PG, PG), IOSIM_OK);
    uint64_t a, b, c, d;
    cr_assert_eq(sim_mem_alloc(&mem, 1, 1, &a), IOSIM_OK);
    cr_assert_eq(a, PG);
    cr_assert_eq(sim_mem_alloc(&mem, PG, 16 * PG, &b), IOSIM_OK);
    cr_assert_eq(b, 16 * PG);
    cr_assert_eq(mem.free_count, 2); /* [2, 16) and [17, 64) pages */
    cr_assert_eq(sim_mem_alloc(&mem, 14 * PG, PG, &c), IOSIM_OK);
    cr_assert_eq(c, 2 * PG, "the gap is an exact fit");
    cr_assert_eq(sim_mem_alloc(&mem, PG, 2 * PG, &d), IOSIM_OK);
    cr_assert_eq(d, 18 * PG, "17 is not 8 KiB aligned");
    cr_assert_eq(mem.free_count, 2); /* page 17 and [19, 64) */
    cr_assert_eq(sim_mem_alloc(&mem, PG, UINT64_C(1) << 40, &d), IOSIM_ENOMEM);
    cr_assert_eq(sim_mem_alloc(&mem, PG, UINT64_C(1) << 63, &d), IOSIM_ENOMEM);
    sim_mem_fini(&mem);
}

Test(mem, alloc_zeroes_when_memory_is_reused)
{
    struct sim_mem mem;
    cr_assert_eq(sim_mem_init(&mem, 8 * PG, 0), IOSIM_OK);
    uint64_t pa, pb;
    cr_assert_eq(sim_mem_alloc(&mem, 3 * PG, PG, &pa), IOSIM_OK);
    memset(sim_mem_host(&mem, pa, 3 * PG), 0xee, 3 * PG);
    cr_assert_eq(sim_mem_free(&mem, pa, 3 * PG), IOSIM_OK);
    cr_assert_eq(sim_mem_alloc(&mem, 100, PG, &pb), IOSIM_OK);
    cr_assert_eq(pb, pa);
    const uint8_t *h = sim_mem_host(&mem, pb, PG);
    for (uint64_t i = 0; i < PG; i++)
        cr_assert_eq(h[i], 0, "byte %" PRIu64 " of the rounded-up page", i);
    cr_assert_eq(mem.allocated_bytes, PG, "len is rounded to pages");
    sim_mem_fini(&mem);
}

Test(mem, free_refuses_when_range_is_wrong_or_already_free)
{
    struct sim_mem mem;
    cr_assert_eq(sim_mem_init(&mem, 16 * PG, 2 * PG), IOSIM_OK);
    uint64_t a, b;
    cr_assert_eq(sim_mem_alloc(&mem, 2 * PG, PG, &a), IOSIM_OK); /* pages 2-3 */
    cr_assert_eq(sim_mem_alloc(&mem, 2 * PG, PG, &b), IOSIM_OK); /* pages 4-5 */
    cr_assert_eq(sim_mem_free(&mem, a, 2 * PG), IOSIM_OK);
    static const struct {
        uint64_t pa, len;
    } bad[] = {
        {2 * PG, 2 * PG},      /* double free */
        {3 * PG, PG},          /* inside a free range */
        {3 * PG, 2 * PG},      /* straddles free and allocated */
        {5 * PG, 2 * PG},      /* straddles allocated and the free tail */
        {6 * PG, PG},          /* the free tail */
        {4 * PG, 13 * PG},     /* past the end */
        {4 * PG + 1, PG},      /* unaligned */
        {0, PG},               /* below alloc_base */
        {PG, 2 * PG},          /* starts below alloc_base */
        {16 * PG, PG},         /* at the end */
        {UINT64_MAX - PG + 1, PG},
        {4 * PG, 0},           /* zero length */
        {4 * PG, UINT64_MAX},  /* rounds to zero */
        {4 * PG, UINT64_MAX - 2 * PG},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum iosim_err e = sim_mem_free(&mem, bad[i].pa, bad[i].len);
        cr_assert_eq(e, IOSIM_EINVAL, "case %zu gave %s", i, iosim_err_name(e));
        cr_assert_eq(mem.allocated_bytes, 2 * PG, "case %zu", i);
        cr_assert_eq(mem.free_count, 2, "case %zu", i);
    }
    cr_assert_eq(sim_mem_free(&mem, b, 1), IOSIM_OK, "len 1 rounds to the first page");
    cr_assert_eq(sim_mem_free(&mem, b + PG, PG), IOSIM_OK);
    cr_assert_eq(mem.free_count, 1);
    cr_assert_eq(mem.free[0].base, 2 * PG);
    cr_assert_eq(mem.free[0].len, 14 * PG);
    sim_mem_fini(&mem);
}

Test(mem, free_coalesces_when_neighbours_are_free)
{
    struct sim_mem mem;
    cr_assert_eq(sim_mem_init(&mem, 5 * PG, 0), IOSIM_OK);
    uint64_t p[5];
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(sim_mem_alloc(&mem, PG, PG, &p[i]), IOSIM_OK);
        cr_assert_eq(p[i], (uint64_t)i * PG);
    }
    /* order: isolated, join next, join prev, join both, join prev at end */
    static const struct {
        uint32_t page, ranges;
    } steps[] = {{1, 1}, {0, 1}, {3, 2}, {2, 1}, {4, 1}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        cr_assert_eq(sim_mem_free(&mem, steps[i].page * PG, PG), IOSIM_OK, "step %zu", i);
        cr_assert_eq(mem.free_count, steps[i].ranges, "step %zu", i);
    }
    cr_assert_eq(mem.free[0].base, 0);
    cr_assert_eq(mem.free[0].len, 5 * PG);
    sim_mem_fini(&mem);
}

/* The free list has SIM_MEM_RANGES_MAX entries. A free that would need one
 * more must fail cleanly (nothing changes) and succeed once a neighbour
 * frees up a slot. */
Test(mem, free_fails_cleanly_when_free_ranges_are_at_capacity)
{
    struct sim_mem mem;
    uint64_t pages = 2 * (uint64_t)SIM_MEM_RANGES_MAX + 16;
    cr_assert_eq(sim_mem_init(&mem, pages * PG, 0), IOSIM_OK);
    uint64_t pa;
    for (uint64_t i = 0; i < 2 * (uint64_t)SIM_MEM_RANGES_MAX + 2; i++) {
        cr_assert_eq(sim_mem_alloc(&mem, PG, PG, &pa), IOSIM_OK);
        cr_assert_eq(pa, i * PG);
    }
    cr_assert_eq(mem.free_count, 1); /* the 14-page tail */
    uint64_t i = 0;
    for (; mem.free_count < SIM_MEM_RANGES_MAX; i += 2)
        cr_assert_eq(sim_mem_free(&mem, i * PG, PG), IOSIM_OK, "page %" PRIu64, i);
    uint64_t bytes = mem.allocated_bytes;
    enum iosim_err e = sim_mem_free(&mem, i * PG, PG);
    cr_assert_neq(e, IOSIM_OK, "a %uth free range", SIM_MEM_RANGES_MAX + 1);
    cr_assert_eq(mem.free_count, SIM_MEM_RANGES_MAX);
    cr_assert_eq(mem.allocated_bytes, bytes);
    /* joins do not need a slot */
    cr_assert_eq(sim_mem_free(&mem, PG, PG), IOSIM_OK); /* joins pages 0 and 2 */
    cr_assert_eq(mem.free_count, SIM_MEM_RANGES_MAX - 1);
    cr_assert_eq(sim_mem_free(&mem, i * PG, PG), IOSIM_OK);
    cr_assert_eq(mem.free_count, SIM_MEM_RANGES_MAX);
    /* An allocation that splits a range needs a slot too. Only the tail
     * [8194, 8208) holds 4 pages; 4-page alignment puts them at 8196,
     * leaving free pages on both sides. */
    bytes = mem.allocated_bytes;
    e = sim_mem_alloc(&mem, 4 * PG, 4 * PG, &pa);
    cr_assert_neq(e, IOSIM_OK, "split with a full free list gave %#" PRIx64, pa);
    cr_assert_eq(mem.free_count, SIM_MEM_RANGES_MAX);
    cr_assert_eq(mem.allocated_bytes, bytes);
    cr_assert_eq(sim_mem_alloc(&mem, 4 * PG, 2 * PG, &pa), IOSIM_OK, "no split needed");
    cr_assert_eq(pa, (2 * (uint64_t)SIM_MEM_RANGES_MAX + 2) * PG);
    sim_mem_fini(&mem);
}
