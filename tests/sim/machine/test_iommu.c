/* sim/iommu: a model-based test (seeded random map / unmap / translate
 * against a list of ranges scanned linearly, the sorted table compared
 * after every operation) and tables of edge cases: empty and wrapping
 * ranges, adjacency, exact unmap, translation at the boundaries, capacity,
 * the disabled (identity) IOMMU. Every model failure prints its seed and
 * operation number. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <string.h>

#include "sim/machine/iommu.h"
#include "sim/engine/rng.h"

/* ---- the model ------------------------------------------------------------ */

#define MODEL_MAPS_MAX 512
#define MODEL_OPS 4000

struct model {
    uint64_t seed;
    uint32_t op;
    struct sim_rng rng;
    struct sim_iommu mmu;
    struct sim_iommu_map ref[MODEL_MAPS_MAX]; /* unordered */
    uint32_t n;
};

#define MCHECK(m, cond, fmt, ...)                                                        \
    cr_assert((cond), "seed %" PRIu64 " op %u: %s: " fmt, (m)->seed, (m)->op, #cond, \
              __VA_ARGS__)

/* Half-open [a, a+alen) and [b, b+blen) share a byte; lengths > 0 and
 * neither range wraps. Written with subtractions so ends at 2^64 are fine. */
static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b ? b - a < alen : a - b < blen;
}

/* base + len does not fit 64 bits: the range wraps, or ends at exactly
 * 2^64, which the IOMMU also refuses (its end would not be representable). */
static bool range_past_top(uint64_t base, uint64_t len)
{
    return len > UINT64_MAX - base;
}

static int32_t ref_find(const struct model *m, uint64_t iova)
{
    for (uint32_t i = 0; i < m->n; i++)
        if (iova >= m->ref[i].iova && iova - m->ref[i].iova < m->ref[i].len)
            return (int32_t)i;
    return -1;
}

/* An address near the interesting places: a small window where ranges
 * collide, the top of the address space, the edges of existing maps. */
static uint64_t pick_addr(struct model *m)
{
    uint32_t kind = (uint32_t)sim_rng_below(&m->rng, 10);
    if (kind < 5 || m->n == 0)
        return sim_rng_below(&m->rng, UINT64_C(1) << 18);
    if (kind < 7)
        return UINT64_MAX - sim_rng_below(&m->rng, UINT64_C(1) << 14);
    if (kind < 8)
        return sim_rng_next(&m->rng);
    const struct sim_iommu_map *r = &m->ref[sim_rng_below(&m->rng, m->n)];
    switch (sim_rng_below(&m->rng, 4)) {
    case 0:
        return r->iova;
    case 1:
        return r->iova - 1;
    case 2:
        return r->iova + r->len - 1;
    default:
        return r->iova + r->len;
    }
}

static uint64_t pick_len(struct model *m)
{
    switch (sim_rng_below(&m->rng, 8)) {
    case 0:
        return 0;
    case 1:
        return 1;
    case 2:
        return sim_rng_range(&m->rng, 1, UINT64_C(1) << 16);
    case 3:
        return UINT64_MAX - sim_rng_below(&m->rng, 4);
    default:
        return 4096 * sim_rng_range(&m->rng, 1, 4);
    }
}

static void model_map(struct model *m)
{
    uint64_t iova = pick_addr(m), len = pick_len(m);
    uint64_t paddr = sim_rng_chance(&m->rng, 100) ? UINT64_MAX - sim_rng_below(&m->rng, 8192)
                                                   : sim_rng_below(&m->rng, UINT64_C(1) << 40);
    enum iosim_err want = IOSIM_OK;
    if (len == 0 || range_past_top(iova, len) || range_past_top(paddr, len))
        want = IOSIM_EINVAL;
    for (uint32_t i = 0; i < m->n && want == IOSIM_OK; i++)
        if (ranges_overlap(iova, len, m->ref[i].iova, m->ref[i].len))
            want = IOSIM_EEXIST;
    if (want == IOSIM_OK && m->n == MODEL_MAPS_MAX)
        return; /* the model is full; the mmu's own limit is tested below */
    enum iosim_err e = sim_iommu_map(&m->mmu, iova, paddr, len);
    MCHECK(m, e == want, "map(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ") gave %s, want %s", iova,
           paddr, len, iosim_err_name(e), iosim_err_name(want));
    if (e == IOSIM_OK)
        m->ref[m->n++] = (struct sim_iommu_map){iova, paddr, len};
}

static void model_unmap(struct model *m)
{
    uint64_t iova, len;
    if (m->n > 0 && sim_rng_chance(&m->rng, 600)) {
        const struct sim_iommu_map *r = &m->ref[sim_rng_below(&m->rng, m->n)];
        iova = r->iova;
        len = r->len;
        switch (sim_rng_below(&m->rng, 5)) {
        case 0:
            len++;
            break;
        case 1:
            len--;
            break;
        case 2:
            iova++;
            break;
        default:
            break;
        }
    } else {
        iova = pick_addr(m);
        len = pick_len(m);
    }
    int32_t hit = -1;
    for (uint32_t i = 0; i < m->n; i++)
        if (m->ref[i].iova == iova && m->ref[i].len == len)
            hit = (int32_t)i;
    enum iosim_err e = sim_iommu_unmap(&m->mmu, iova, len);
    MCHECK(m, e == (hit >= 0 ? IOSIM_OK : IOSIM_ENOENT), "unmap(%#" PRIx64 ", %#" PRIx64 ") gave %s",
           iova, len, iosim_err_name(e));
    if (hit >= 0)
        m->ref[hit] = m->ref[--m->n];
}

static void model_translate(struct model *m, uint64_t iova)
{
    uint64_t pa = 1, span = 2;
    enum iosim_err e = sim_iommu_translate(&m->mmu, iova, &pa, &span);
    int32_t i = ref_find(m, iova);
    if (i < 0) {
        MCHECK(m, e == IOSIM_EACCES, "translate(%#" PRIx64 ") gave %s", iova, iosim_err_name(e));
        return;
    }
    const struct sim_iommu_map *r = &m->ref[i];
    MCHECK(m, e == IOSIM_OK, "translate(%#" PRIx64 ") gave %s", iova, iosim_err_name(e));
    MCHECK(m, pa == r->paddr + (iova - r->iova), "translate(%#" PRIx64 ") pa %#" PRIx64, iova, pa);
    MCHECK(m, span == r->len - (iova - r->iova), "translate(%#" PRIx64 ") span %#" PRIx64, iova,
           span);
}

/* The table must hold exactly the model's ranges, sorted by iova. */
static void model_check(struct model *m)
{
    MCHECK(m, m->mmu.count == m->n, "count %u, model %u", m->mmu.count, m->n);
    for (uint32_t i = 0; i < m->mmu.count; i++) {
        const struct sim_iommu_map *t = &m->mmu.maps[i];
        if (i > 0)
            MCHECK(m, m->mmu.maps[i - 1].iova < t->iova, "entry %u out of order", i);
        int32_t r = ref_find(m, t->iova);
        MCHECK(m, r >= 0, "entry %u (%#" PRIx64 ") not in the model", i, t->iova);
        MCHECK(m, m->ref[r].iova == t->iova && m->ref[r].len == t->len &&
                      m->ref[r].paddr == t->paddr,
               "entry %u differs", i);
    }
}

static void model_run(uint64_t seed)
{
    static struct model m;
    memset(&m, 0, sizeof m);
    m.seed = seed;
    sim_rng_stream(&m.rng, seed, "iommu-model");
    cr_assert_eq(sim_iommu_init(&m.mmu, true), IOSIM_OK);
    for (m.op = 0; m.op < MODEL_OPS; m.op++) {
        uint32_t kind = (uint32_t)sim_rng_below(&m.rng, 100);
        if (kind < 45)
            model_map(&m);
        else if (kind < 70)
            model_unmap(&m);
        else
            model_translate(&m, pick_addr(&m));
        model_check(&m);
    }
    /* every edge of every mapping, then unmap all */
    for (uint32_t i = 0; i < m.n; i++) {
        const struct sim_iommu_map r = m.ref[i];
        model_translate(&m, r.iova);
        model_translate(&m, r.iova - 1);
        model_translate(&m, r.iova + r.len - 1);
        model_translate(&m, r.iova + r.len);
    }
    while (m.n > 0) {
        cr_assert_eq(sim_iommu_unmap(&m.mmu, m.ref[0].iova, m.ref[0].len), IOSIM_OK);
        m.ref[0] = m.ref[--m.n];
        model_check(&m);
    }
    sim_iommu_fini(&m.mmu);
}

Test(iommu_model, table_matches_range_list_when_ops_are_random)
{
    static const uint64_t seeds[] = {1, 2, 3, 7, 11, 4242, 0xfeedface, 123456789};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        model_run(seeds[i]);
}

/* ---- edge cases ------------------------------------------------------------ */

static void mmu_up(struct sim_iommu *mmu)
{
    cr_assert_eq(sim_iommu_init(mmu, true), IOSIM_OK);
}

Test(iommu, map_validates_range_when_empty_or_wrapping)
{
    static const struct {
        uint64_t iova, paddr, len;
        enum iosim_err want;
    } cases[] = {
        {0x1000, 0x2000, 0, IOSIM_EINVAL},
        {0, 0, 1, IOSIM_OK},
        {0, 0, UINT64_MAX, IOSIM_OK},                 /* [0, 2^64 - 1) */
        {1, 0, UINT64_MAX, IOSIM_EINVAL},             /* ends at 2^64 */
        {UINT64_MAX, 0, 1, IOSIM_EINVAL},             /* ends at 2^64 */
        {UINT64_MAX - 1, 0, 1, IOSIM_OK},             /* last representable end */
        {UINT64_MAX - 0xfff, 0, 0x1000, IOSIM_EINVAL},
        {UINT64_MAX - 0x1000, 0, 0x1000, IOSIM_OK},
        {UINT64_MAX - 0xfff, 0, 0x2000, IOSIM_EINVAL}, /* wraps */
        {0, UINT64_MAX - 0xfff, 0x1000, IOSIM_EINVAL},
        {0, UINT64_MAX - 0x1000, 0x1000, IOSIM_OK},
        {0, UINT64_MAX, 2, IOSIM_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sim_iommu mmu;
        mmu_up(&mmu);
        enum iosim_err e = sim_iommu_map(&mmu, cases[i].iova, cases[i].paddr, cases[i].len);
        cr_assert_eq(e, cases[i].want, "case %zu gave %s", i, iosim_err_name(e));
        cr_assert_eq(mmu.count, e == IOSIM_OK ? 1u : 0u, "case %zu", i);
        uint64_t pa, span;
        e = sim_iommu_translate(&mmu, cases[i].iova, &pa, &span);
        if (cases[i].want == IOSIM_OK) {
            cr_assert_eq(e, IOSIM_OK, "case %zu", i);
            cr_assert_eq(pa, cases[i].paddr, "case %zu", i);
            cr_assert_eq(span, cases[i].len, "case %zu", i);
        } else {
            cr_assert_eq(e, IOSIM_EACCES, "case %zu", i);
        }
        sim_iommu_fini(&mmu);
    }
}

Test(iommu, map_refuses_when_ranges_overlap_but_not_when_adjacent)
{
    struct sim_iommu mmu;
    mmu_up(&mmu);
    cr_assert_eq(sim_iommu_map(&mmu, 0x10000, 0xa0000, 0x1000), IOSIM_OK);
    cr_assert_eq(sim_iommu_map(&mmu, 0x20000, 0xb0000, 0x1000), IOSIM_OK);
    static const struct {
        uint64_t iova, len;
        enum iosim_err want;
    } cases[] = {
        {0x10000, 0x1000, IOSIM_EEXIST},   /* identical */
        {0x10800, 0x10, IOSIM_EEXIST},     /* inside */
        {0x0, 0x100000, IOSIM_EEXIST},     /* covers both */
        {0xf000, 0x1001, IOSIM_EEXIST},    /* one byte into the start */
        {0x10fff, 0x1, IOSIM_EEXIST},      /* the last byte */
        {0x10fff, 0xf002, IOSIM_EEXIST},   /* last byte of one to first of the next */
        {0x11000, 0xf001, IOSIM_EEXIST},   /* the gap plus one byte */
        {0x11000, 0xf000, IOSIM_OK},       /* the gap exactly */
        {0xf000, 0x1000, IOSIM_OK},        /* adjacent below */
        {0x21000, 0x1000, IOSIM_OK},       /* adjacent above */
        {0x0, 0xf000, IOSIM_OK},
        {0x0, 0x1, IOSIM_EEXIST},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t before = mmu.count;
        enum iosim_err e = sim_iommu_map(&mmu, cases[i].iova, 0x100000 * (i + 1), cases[i].len);
        cr_assert_eq(e, cases[i].want, "case %zu gave %s", i, iosim_err_name(e));
        cr_assert_eq(mmu.count, before + (e == IOSIM_OK), "case %zu", i);
    }
    /* [0, 0x22000) is now mapped without a hole */
    uint64_t pa, span;
    for (uint64_t iova = 0; iova < 0x22000; iova += 0x800)
        cr_assert_eq(sim_iommu_translate(&mmu, iova, &pa, &span), IOSIM_OK, "%#" PRIx64, iova);
    cr_assert_eq(sim_iommu_translate(&mmu, 0x22000, &pa, &span), IOSIM_EACCES);
    sim_iommu_fini(&mmu);
}

Test(iommu, unmap_fails_with_enoent_when_start_or_length_differ)
{
    struct sim_iommu mmu;
    mmu_up(&mmu);
    cr_assert_eq(sim_iommu_map(&mmu, 0x4000, 0x9000, 0x2000), IOSIM_OK);
    static const struct {
        uint64_t iova, len;
    } wrong[] = {
        {0x4000, 0x1000}, {0x4000, 0x2001}, {0x4000, 0}, {0x5000, 0x1000},
        {0x3000, 0x3000}, {0x6000, 0x1000}, {0, 0x2000}, {UINT64_MAX, 1},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        enum iosim_err e = sim_iommu_unmap(&mmu, wrong[i].iova, wrong[i].len);
        cr_assert_eq(e, IOSIM_ENOENT, "case %zu gave %s", i, iosim_err_name(e));
        cr_assert_eq(mmu.count, 1, "case %zu", i);
    }
    cr_assert_eq(sim_iommu_unmap(&mmu, 0x4000, 0x2000), IOSIM_OK);
    cr_assert_eq(sim_iommu_unmap(&mmu, 0x4000, 0x2000), IOSIM_ENOENT, "double unmap");
    uint64_t pa, span;
    cr_assert_eq(sim_iommu_translate(&mmu, 0x4000, &pa, &span), IOSIM_EACCES);
    cr_assert_eq(sim_iommu_unmap(&mmu, 0, 1), IOSIM_ENOENT, "empty table");
    sim_iommu_fini(&mmu);
}

Test(iommu, translate_gives_offset_and_span_when_at_mapping_edges)
{
    struct sim_iommu mmu;
    mmu_up(&mmu);
    cr_assert_eq(sim_iommu_map(&mmu, 0x1000, 0x80000, 0x1000), IOSIM_OK);
    cr_assert_eq(sim_iommu_map(&mmu, 0x2000, 0x40000, 0x3000), IOSIM_OK);
    cr_assert_eq(sim_iommu_map(&mmu, UINT64_MAX - 0x100, 0x7, 0x100), IOSIM_OK);
    static const struct {
        uint64_t iova;
        enum iosim_err want;
        uint64_t pa, span;
    } cases[] = {
        {0x0, IOSIM_EACCES, 0, 0},
        {0xfff, IOSIM_EACCES, 0, 0},
        {0x1000, IOSIM_OK, 0x80000, 0x1000},
        {0x1fff, IOSIM_OK, 0x80fff, 1},
        {0x2000, IOSIM_OK, 0x40000, 0x3000}, /* the span stops at the mapping */
        {0x4fff, IOSIM_OK, 0x42fff, 1},
        {0x5000, IOSIM_EACCES, 0, 0},
        {UINT64_MAX - 0x101, IOSIM_EACCES, 0, 0},
        {UINT64_MAX - 0x100, IOSIM_OK, 0x7, 0x100},
        {UINT64_MAX - 1, IOSIM_OK, 0x106, 1},
        {UINT64_MAX, IOSIM_EACCES, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t pa = 0xdead, span = 0xbeef;
        enum iosim_err e = sim_iommu_translate(&mmu, cases[i].iova, &pa, &span);
        cr_assert_eq(e, cases[i].want, "case %zu gave %s", i, iosim_err_name(e));
        if (e == IOSIM_OK) {
            cr_assert_eq(pa, cases[i].pa, "case %zu pa %#" PRIx64, i, pa);
            cr_assert_eq(span, cases[i].span, "case %zu span %#" PRIx64, i, span);
        } else {
            cr_assert(pa == 0xdead && span == 0xbeef, "case %zu wrote outputs on failure", i);
        }
    }
    sim_iommu_fini(&mmu);
}

Test(iommu, map_fails_with_enospc_when_table_is_full)
{
    struct sim_iommu mmu;
    mmu_up(&mmu);
    for (uint64_t i = 0; i < SIM_IOMMU_MAPS_MAX; i++)
        cr_assert_eq(sim_iommu_map(&mmu, i * 0x2000, i * 0x1000, 0x1000), IOSIM_OK, "%" PRIu64,
                     i);
    cr_assert_eq(mmu.count, SIM_IOMMU_MAPS_MAX);
    uint64_t end = (uint64_t)SIM_IOMMU_MAPS_MAX * 0x2000;
    cr_assert_eq(sim_iommu_map(&mmu, end, 0, 0x1000), IOSIM_ENOSPC);
    cr_assert_eq(sim_iommu_map(&mmu, 0x1000, 0, 0x1000), IOSIM_ENOSPC, "a gap, but full");
    cr_assert_eq(mmu.count, SIM_IOMMU_MAPS_MAX);
    uint64_t pa, span;
    cr_assert_eq(sim_iommu_translate(&mmu, end - 0x2000 + 0xfff, &pa, &span), IOSIM_OK);
    cr_assert_eq(pa, (uint64_t)(SIM_IOMMU_MAPS_MAX - 1) * 0x1000 + 0xfff);
    cr_assert_eq(sim_iommu_unmap(&mmu, 0x2000, 0x1000), IOSIM_OK);
    cr_assert_eq(sim_iommu_map(&mmu, 0x1000, 0, 0x1000), IOSIM_OK);
    cr_assert_eq(sim_iommu_translate(&mmu, 0x1800, &pa, &span), IOSIM_OK);
    cr_assert_eq(pa, 0x800);
    cr_assert_eq(sim_iommu_translate(&mmu, 0x2000, &pa, &span), IOSIM_EACCES);
    sim_iommu_fini(&mmu);
}

Test(iommu, disabled_mmu_is_identity_when_translating)
{
    struct sim_iommu mmu;
    cr_assert_eq(sim_iommu_init(&mmu, false), IOSIM_OK);
    cr_assert_eq(sim_iommu_map(&mmu, 0x1000, 0x5000, 0x1000), IOSIM_OK);
    cr_assert_eq(sim_iommu_unmap(&mmu, 0x7000, 0x10), IOSIM_OK);
    static const uint64_t iovas[] = {0, 1, 0x1000, UINT64_C(1) << 40, UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof iovas / sizeof iovas[0]; i++) {
        uint64_t pa = 0, span = 0;
        cr_assert_eq(sim_iommu_translate(&mmu, iovas[i], &pa, &span), IOSIM_OK, "case %zu", i);
        cr_assert_eq(pa, iovas[i], "case %zu: identity", i);
        cr_assert_eq(span, UINT64_MAX - iovas[i], "case %zu", i);
    }
    cr_assert_eq(mmu.count, 0);
    sim_iommu_fini(&mmu);
    sim_iommu_fini(&mmu); /* fini leaves a zeroed struct, safe to fini again */
}
