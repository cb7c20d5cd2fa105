/* sim/bus: a model-based test (seeded random add / move / enable / find /
 * get / by-name against a linear list of regions, the sorted table
 * compared after every operation) and tables of edge cases: empty and
 * wrapping ranges, adjacency, accesses straddling an end, disabled
 * regions, moves onto themselves and onto others, duplicate names,
 * capacity. Every model failure prints its seed and operation number. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <string.h>

#include "sim/machine/bus.h"
#include "sim/engine/rng.h"

/* A device that remembers the last access, to check routing. */
struct dev {
    uint64_t last_off;
    unsigned last_size;
    uint64_t last_value;
    uint32_t reads, writes;
    uint64_t read_value;
};

static uint64_t dev_read(void *ctx, uint64_t off, unsigned size)
{
    struct dev *d = ctx;
    d->last_off = off;
    d->last_size = size;
    d->reads++;
    return d->read_value;
}

static void dev_write(void *ctx, uint64_t off, unsigned size, uint64_t value)
{
    struct dev *d = ctx;
    d->last_off = off;
    d->last_size = size;
    d->last_value = value;
    d->writes++;
}

static const struct sim_mmio_ops dev_ops = {dev_read, dev_write};

/* ---- the model ------------------------------------------------------------ */

#define MODEL_REGIONS_MAX 256
#define MODEL_OPS 4000

static const char *const names[] = {"xhci", "pci-cfg", "msix", "dma0", "ahci", "uart"};
#define NAMES_N (sizeof names / sizeof names[0])

struct model {
    uint64_t seed;
    uint32_t op;
    struct sim_rng rng;
    struct sim_bus bus;
    struct sim_mmio_region ref[MODEL_REGIONS_MAX]; /* unordered */
    uint32_t n;
    uint32_t ids_issued[4 * MODEL_OPS];
    uint32_t n_ids;
    struct dev devs[4];
};

#define MCHECK(m, cond, fmt, ...)                                                        \
    cr_assert((cond), "seed %" PRIu64 " op %u: %s: " fmt, (m)->seed, (m)->op, #cond, \
              __VA_ARGS__)

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b ? b - a < alen : a - b < blen;
}

/* base + len must fit 64 bits (an end at exactly 2^64 is refused too). */
static bool range_bad(uint64_t base, uint64_t len)
{
    return len == 0 || len > UINT64_MAX - base;
}

static int32_t ref_by_id(const struct model *m, uint32_t id)
{
    for (uint32_t i = 0; i < m->n; i++)
        if (m->ref[i].id == id)
            return (int32_t)i;
    return -1;
}

static bool ref_overlaps(const struct model *m, uint64_t base, uint64_t len, int32_t skip)
{
    for (uint32_t i = 0; i < m->n; i++)
        if ((int32_t)i != skip && ranges_overlap(base, len, m->ref[i].base, m->ref[i].len))
            return true;
    return false;
}

static uint64_t pick_addr(struct model *m)
{
    uint32_t kind = (uint32_t)sim_rng_below(&m->rng, 10);
    if (kind < 6 || m->n == 0)
        return sim_rng_below(&m->rng, UINT64_C(1) << 16);
    if (kind < 7)
        return UINT64_MAX - sim_rng_below(&m->rng, UINT64_C(1) << 12);
    const struct sim_mmio_region *r = &m->ref[sim_rng_below(&m->rng, m->n)];
    static const int64_t deltas[] = {-8, -1, 0, 1, 4};
    switch (sim_rng_below(&m->rng, 2)) {
    case 0:
        return r->base + (uint64_t)deltas[sim_rng_below(&m->rng, 5)];
    default:
        return r->base + r->len + (uint64_t)deltas[sim_rng_below(&m->rng, 5)];
    }
}

static uint64_t pick_len(struct model *m)
{
    switch (sim_rng_below(&m->rng, 8)) {
    case 0:
        return 0;
    case 1:
        return sim_rng_range(&m->rng, 1, 16);
    case 2:
        return UINT64_MAX - sim_rng_below(&m->rng, 3);
    default:
        return 256 * sim_rng_range(&m->rng, 1, 16);
    }
}

static uint32_t pick_id(struct model *m)
{
    if (m->n_ids > 0 && sim_rng_chance(&m->rng, 900))
        return m->ids_issued[sim_rng_below(&m->rng, m->n_ids)]; /* maybe gone */
    return (uint32_t)sim_rng_next(&m->rng);
}

static void model_add(struct model *m)
{
    struct dev *d = &m->devs[sim_rng_below(&m->rng, 4)];
    struct sim_mmio_region r = {
        .name = names[sim_rng_below(&m->rng, NAMES_N)],
        .base = pick_addr(m),
        .len = pick_len(m),
        .ops = &dev_ops,
        .ctx = d,
        .read_req_ps = sim_rng_below(&m->rng, 1000),
        .read_resp_ps = sim_rng_below(&m->rng, 1000),
        .write_ps = sim_rng_below(&m->rng, 1000),
        .enabled = sim_rng_chance(&m->rng, 700),
        .id = (uint32_t)sim_rng_next(&m->rng), /* ignored by add */
    };
    enum iosim_err want = IOSIM_OK;
    if (range_bad(r.base, r.len))
        want = IOSIM_EINVAL;
    else if (ref_overlaps(m, r.base, r.len, -1))
        want = IOSIM_EEXIST;
    else if (m->n == MODEL_REGIONS_MAX)
        return;
    uint32_t id = 0xabcdef;
    enum iosim_err e = sim_bus_add(&m->bus, &r, &id);
    MCHECK(m, e == want, "add(%#" PRIx64 ", %#" PRIx64 ") gave %s, want %s", r.base, r.len,
           iosim_err_name(e), iosim_err_name(want));
    if (e != IOSIM_OK) {
        MCHECK(m, id == 0xabcdef, "id written on failure: %u", id);
        return;
    }
    for (uint32_t i = 0; i < m->n_ids; i++)
        MCHECK(m, m->ids_issued[i] != id, "id %u issued twice", id);
    r.id = id;
    m->ref[m->n++] = r;
    m->ids_issued[m->n_ids++] = id;
}

static void model_move(struct model *m)
{
    uint32_t id = pick_id(m);
    int32_t i = ref_by_id(m, id);
    uint64_t nb = pick_addr(m);
    enum iosim_err want = IOSIM_OK;
    if (i < 0)
        want = IOSIM_ENOENT;
    else if (range_bad(nb, m->ref[i].len))
        want = IOSIM_EINVAL;
    else if (ref_overlaps(m, nb, m->ref[i].len, i))
        want = IOSIM_EEXIST;
    enum iosim_err e = sim_bus_move(&m->bus, id, nb);
    MCHECK(m, e == want, "move(%u, %#" PRIx64 ") gave %s, want %s", id, nb, iosim_err_name(e),
           iosim_err_name(want));
    if (e == IOSIM_OK)
        m->ref[i].base = nb;
}

static void model_toggle(struct model *m)
{
    uint32_t id = pick_id(m);
    int32_t i = ref_by_id(m, id);
    struct sim_mmio_region *r = sim_bus_get(&m->bus, id);
    MCHECK(m, (r != NULL) == (i >= 0), "get(%u)", id);
    if (r == NULL)
        return;
    MCHECK(m, r->id == id && r->base == m->ref[i].base, "get(%u) gave region %u", id, r->id);
    r->enabled = !r->enabled;
    m->ref[i].enabled = r->enabled;
}

static void model_find(struct model *m)
{
    static const uint64_t sizes[] = {1, 2, 4, 8, 3, 16, 4096};
    uint64_t addr = pick_addr(m), size = sizes[sim_rng_below(&m->rng, 7)];
    int32_t want = -1;
    for (uint32_t i = 0; i < m->n; i++) {
        const struct sim_mmio_region *r = &m->ref[i];
        if (r->enabled && addr >= r->base && addr - r->base < r->len &&
            size <= r->len - (addr - r->base))
            want = (int32_t)i;
    }
    struct sim_mmio_region *got = sim_bus_find(&m->bus, addr, size);
    MCHECK(m, (got != NULL) == (want >= 0), "find(%#" PRIx64 ", %" PRIu64 ")", addr, size);
    if (got == NULL)
        return;
    MCHECK(m, got->id == m->ref[want].id, "find(%#" PRIx64 ") gave region %u", addr, got->id);
    /* route one access, as the machine would */
    struct dev *d = got->ctx;
    uint32_t reads = d->reads;
    d->read_value = addr ^ 0x5555;
    uint64_t v = got->ops->read(got->ctx, addr - got->base, (unsigned)size);
    MCHECK(m, v == (addr ^ 0x5555) && d->reads == reads + 1 && d->last_off == addr - got->base,
           "read at %#" PRIx64, addr);
}

static void model_by_name(struct model *m)
{
    const char *name = sim_rng_chance(&m->rng, 100) ? "nope" : names[sim_rng_below(&m->rng, NAMES_N)];
    int32_t want = -1;
    for (uint32_t i = 0; i < m->n; i++)
        if (strcmp(m->ref[i].name, name) == 0 && (want < 0 || m->ref[i].base < m->ref[want].base))
            want = (int32_t)i;
    /* a different pointer with the same text must match too */
    char copy[16];
    strcpy(copy, name);
    struct sim_mmio_region *got = sim_bus_by_name(&m->bus, copy);
    MCHECK(m, (got != NULL) == (want >= 0), "by_name(%s)", name);
    if (got != NULL)
        MCHECK(m, got->id == m->ref[want].id, "by_name(%s) gave region %u", name, got->id);
}

static void model_check(struct model *m)
{
    MCHECK(m, m->bus.count == m->n, "count %u, model %u", m->bus.count, m->n);
    for (uint32_t i = 0; i < m->bus.count; i++) {
        const struct sim_mmio_region *t = &m->bus.regions[i];
        if (i > 0)
            MCHECK(m, m->bus.regions[i - 1].base < t->base, "region %u out of order", i);
        int32_t r = ref_by_id(m, t->id);
        MCHECK(m, r >= 0, "region %u (id %u) not in the model", i, t->id);
        const struct sim_mmio_region *w = &m->ref[r];
        MCHECK(m, t->base == w->base && t->len == w->len && t->enabled == w->enabled,
               "region id %u placement", t->id);
        MCHECK(m, t->name == w->name && t->ops == w->ops && t->ctx == w->ctx,
               "region id %u borrowed pointers", t->id);
        MCHECK(m, t->read_req_ps == w->read_req_ps && t->read_resp_ps == w->read_resp_ps &&
                      t->write_ps == w->write_ps,
               "region id %u latencies", t->id);
    }
}

static void model_run(uint64_t seed)
{
    static struct model m;
    memset(&m, 0, sizeof m);
    m.seed = seed;
    sim_rng_stream(&m.rng, seed, "bus-model");
    cr_assert_eq(sim_bus_init(&m.bus), IOSIM_OK);
    for (m.op = 0; m.op < MODEL_OPS; m.op++) {
        uint32_t kind = (uint32_t)sim_rng_below(&m.rng, 100);
        if (kind < 30)
            model_add(&m);
        else if (kind < 50)
            model_move(&m);
        else if (kind < 60)
            model_toggle(&m);
        else if (kind < 90)
            model_find(&m);
        else
            model_by_name(&m);
        model_check(&m);
    }
    sim_bus_fini(&m.bus);
}

Test(bus_model, regions_match_linear_list_when_ops_are_random)
{
    static const uint64_t seeds[] = {1, 2, 3, 5, 8, 13, 0xb05, 271828};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
        model_run(seeds[i]);
}

/* ---- edge cases ------------------------------------------------------------ */

static struct sim_mmio_region region(const char *name, uint64_t base, uint64_t len, void *ctx)
{
    return (struct sim_mmio_region){
        .name = name, .base = base, .len = len, .ops = &dev_ops, .ctx = ctx, .enabled = true};
}

static uint32_t add_ok(struct sim_bus *bus, const char *name, uint64_t base, uint64_t len,
                       void *ctx)
{
    struct sim_mmio_region r = region(name, base, len, ctx);
    uint32_t id = UINT32_MAX;
    enum iosim_err e = sim_bus_add(bus, &r, &id);
    cr_assert_eq(e, IOSIM_OK, "add %s gave %s", name, iosim_err_name(e));
    return id;
}

Test(bus, add_validates_range_when_empty_or_wrapping)
{
    static const struct {
        uint64_t base, len;
        enum iosim_err want;
    } cases[] = {
        {0x1000, 0, IOSIM_EINVAL},
        {0, 1, IOSIM_OK},
        {0, UINT64_MAX, IOSIM_OK},
        {1, UINT64_MAX, IOSIM_EINVAL},
        {UINT64_MAX, 1, IOSIM_EINVAL},        /* ends at 2^64 */
        {UINT64_MAX - 1, 1, IOSIM_OK},
        {UINT64_MAX - 0xfff, 0x1000, IOSIM_EINVAL},
        {UINT64_MAX - 0x1000, 0x1000, IOSIM_OK},
        {UINT64_MAX - 0xfff, 0x2000, IOSIM_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sim_bus bus;
        cr_assert_eq(sim_bus_init(&bus), IOSIM_OK);
        struct sim_mmio_region r = region("r", cases[i].base, cases[i].len, NULL);
        enum iosim_err e = sim_bus_add(&bus, &r, NULL); /* id out-param may be NULL */
        cr_assert_eq(e, cases[i].want, "case %zu gave %s", i, iosim_err_name(e));
        cr_assert_eq(bus.count, e == IOSIM_OK ? 1u : 0u, "case %zu", i);
        sim_bus_fini(&bus);
    }
}

Test(bus, add_refuses_when_overlapping_even_a_disabled_region)
{
    struct sim_bus bus;
    cr_assert_eq(sim_bus_init(&bus), IOSIM_OK);
    (void)add_ok(&bus, "a", 0x1000, 0x1000, NULL);
    struct sim_mmio_region off = region("off", 0x3000, 0x1000, NULL);
    off.enabled = false;
    cr_assert_eq(sim_bus_add(&bus, &off, NULL), IOSIM_OK);
    static const struct {
        uint64_t base, len;
        enum iosim_err want;
    } cases[] = {
        {0x1000, 0x1000, IOSIM_EEXIST}, {0x1fff, 1, IOSIM_EEXIST},   {0x0, 0x1001, IOSIM_EEXIST},
        {0x3800, 8, IOSIM_EEXIST},      {0x1fff, 0x1002, IOSIM_EEXIST}, {0x2000, 0x1001, IOSIM_EEXIST},
        {0x2000, 0x1000, IOSIM_OK},     {0x0, 0x1000, IOSIM_OK},     {0x4000, 0x10, IOSIM_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t before = bus.count;
        struct sim_mmio_region r = region("x", cases[i].base, cases[i].len, NULL);
        enum iosim_err e = sim_bus_add(&bus, &r, NULL);
        cr_assert_eq(e, cases[i].want, "case %zu gave %s", i, iosim_err_name(e));
        cr_assert_eq(bus.count, before + (e == IOSIM_OK), "case %zu", i);
    }
    sim_bus_fini(&bus);
}

Test(bus, find_refuses_when_access_straddles_or_region_is_off)
{
    struct sim_bus bus;
    cr_assert_eq(sim_bus_init(&bus), IOSIM_OK);
    struct dev da = {0}, db = {0};
    uint32_t a = add_ok(&bus, "a", 0x1000, 0x100, &da);
    uint32_t b = add_ok(&bus, "b", 0x1100, 4, &db); /* adjacent, smaller than 8 */
    (void)a;
    static const struct {
        uint64_t addr, size;
        int which; /* 0 none, 1 a, 2 b */
    } cases[] = {
        {0xfff, 1, 0},  {0xffc, 8, 0},  {0x1000, 1, 1}, {0x1000, 8, 1},  {0x10f8, 8, 1},
        {0x10f9, 8, 0}, {0x10ff, 1, 1}, {0x10ff, 2, 0}, {0x1100, 4, 2},  {0x1100, 8, 0},
        {0x1102, 2, 2}, {0x1103, 2, 0}, {0x1104, 1, 0}, {UINT64_MAX, 8, 0},
        {0x1000, 0x100, 1}, {0x1000, 0x101, 0}, {0x1000, UINT64_MAX, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sim_mmio_region *r = sim_bus_find(&bus, cases[i].addr, cases[i].size);
        const char *want = cases[i].which == 0 ? NULL : cases[i].which == 1 ? "a" : "b";
        if (want == NULL)
            cr_assert_null(r, "case %zu found %s", i, r ? r->name : "");
        else
            cr_assert(r != NULL && strcmp(r->name, want) == 0, "case %zu", i);
    }
    sim_bus_get(&bus, b)->enabled = false;
    cr_assert_null(sim_bus_find(&bus, 0x1100, 4), "disabled region decoded");
    cr_assert_not_null(sim_bus_find(&bus, 0x1000, 4));
    sim_bus_get(&bus, b)->enabled = true;
    struct sim_mmio_region *r = sim_bus_find(&bus, 0x1102, 2);
    cr_assert_not_null(r);
    r->ops->write(r->ctx, 0x1102 - r->base, 2, 0xbeef);
    cr_assert_eq(db.writes, 1);
    cr_assert_eq(db.last_off, 2);
    cr_assert_eq(db.last_value, 0xbeef);
    cr_assert_eq(da.writes, 0);
    sim_bus_fini(&bus);
}

Test(bus, move_keeps_region_when_new_place_is_taken_or_wraps)
{
    struct sim_bus bus;
    cr_assert_eq(sim_bus_init(&bus), IOSIM_OK);
    struct dev d = {0};
    uint32_t a = add_ok(&bus, "bar0", 0x1000, 0x1000, &d);
    uint32_t b = add_ok(&bus, "bar1", 0x4000, 0x1000, NULL);
    sim_bus_get(&bus, a)->write_ps = 77;
    const struct {
        uint32_t id;
        uint64_t base;
        enum iosim_err want;
        uint64_t a_base_after;
    } steps[] = {
        {a, 0x4800, IOSIM_EEXIST, 0x1000},
        {a, 0x3001, IOSIM_EEXIST, 0x1000},
        {a, UINT64_MAX - 0xfff, IOSIM_EINVAL, 0x1000},
        {a, UINT64_MAX, IOSIM_EINVAL, 0x1000},
        {UINT32_MAX - 5, 0x9000, IOSIM_ENOENT, 0x1000},
        {a, 0x1800, IOSIM_OK, 0x1800},        /* overlaps only its old self */
        {a, 0x3000, IOSIM_OK, 0x3000},        /* adjacent below bar1 */
        {a, 0x1000, IOSIM_OK, 0x1000},
        {a, 0x5000, IOSIM_OK, 0x5000},        /* now above bar1: order changes */
        {a, UINT64_MAX - 0x1000, IOSIM_OK, UINT64_MAX - 0x1000},
        {a, 0x5000, IOSIM_OK, 0x5000},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        enum iosim_err e = sim_bus_move(&bus, steps[i].id, steps[i].base);
        cr_assert_eq(e, steps[i].want, "step %zu gave %s", i, iosim_err_name(e));
        struct sim_mmio_region *r = sim_bus_get(&bus, a);
        cr_assert_not_null(r, "step %zu", i);
        cr_assert_eq(r->base, steps[i].a_base_after, "step %zu", i);
        cr_assert_eq(r->len, 0x1000, "step %zu", i);
        cr_assert_eq(r->write_ps, 77, "step %zu", i);
        cr_assert_eq(r->ctx, &d, "step %zu", i);
        cr_assert_eq(bus.count, 2, "step %zu", i);
        cr_assert(bus.regions[0].base < bus.regions[1].base, "step %zu: order", i);
        cr_assert_eq(sim_bus_find(&bus, steps[i].a_base_after, 4), r, "step %zu", i);
    }
    cr_assert_eq(bus.regions[0].id, b, "bar1 is first in address order now");
    sim_bus_fini(&bus);
}

Test(bus, by_name_gives_lowest_address_when_names_repeat)
{
    struct sim_bus bus;
    cr_assert_eq(sim_bus_init(&bus), IOSIM_OK);
    uint32_t hi = add_ok(&bus, "dup", 0x9000, 0x10, NULL);
    uint32_t lo = add_ok(&bus, "dup", 0x2000, 0x10, NULL);
    (void)add_ok(&bus, "dupe", 0x1000, 0x10, NULL);
    (void)add_ok(&bus, "du", 0x0, 0x10, NULL);
    cr_assert_eq(sim_bus_by_name(&bus, "dup")->id, lo);
    cr_assert_eq(sim_bus_by_name(&bus, "dupe")->base, 0x1000);
    cr_assert_eq(sim_bus_by_name(&bus, "du")->base, 0x0);
    cr_assert_null(sim_bus_by_name(&bus, "d"));
    cr_assert_null(sim_bus_by_name(&bus, ""));
    cr_assert_eq(sim_bus_move(&bus, lo, 0xa000), IOSIM_OK);
    cr_assert_eq(sim_bus_by_name(&bus, "dup")->id, hi);
    sim_bus_get(&bus, hi)->enabled = false;
    cr_assert_eq(sim_bus_by_name(&bus, "dup")->id, hi, "by_name ignores enable");
    sim_bus_fini(&bus);
}

Test(bus, ids_stay_stable_when_regions_move_and_unknown_ids_give_null)
{
    struct sim_bus bus;
    cr_assert_eq(sim_bus_init(&bus), IOSIM_OK);
    uint32_t ids[8];
    for (uint32_t i = 0; i < 8; i++)
        ids[i] = add_ok(&bus, "r", (uint64_t)(8 - i) * 0x1000, 0x100, NULL);
    for (uint32_t i = 0; i < 8; i++)
        for (uint32_t j = 0; j < i; j++)
            cr_assert_neq(ids[i], ids[j]);
    cr_assert_eq(sim_bus_move(&bus, ids[0], 0x100000), IOSIM_OK);
    cr_assert_eq(sim_bus_move(&bus, ids[7], 0x200000), IOSIM_OK);
    for (uint32_t i = 0; i < 8; i++) {
        struct sim_mmio_region *r = sim_bus_get(&bus, ids[i]);
        cr_assert_not_null(r);
        cr_assert_eq(r->id, ids[i]);
        uint64_t want = i == 0 ? 0x100000 : i == 7 ? 0x200000 : (uint64_t)(8 - i) * 0x1000;
        cr_assert_eq(r->base, want, "region %u", i);
    }
    uint32_t unknown = 0;
    for (bool clash = true; clash;) {
        unknown++;
        clash = false;
        for (uint32_t i = 0; i < 8; i++)
            clash = clash || ids[i] == unknown;
    }
    cr_assert_null(sim_bus_get(&bus, unknown));
    cr_assert_null(sim_bus_get(&bus, UINT32_MAX));
    sim_bus_fini(&bus);
}

Test(bus, add_fails_with_enospc_when_full)
{
    struct sim_bus bus;
    cr_assert_eq(sim_bus_init(&bus), IOSIM_OK);
    for (uint64_t i = 0; i < SIM_BUS_REGIONS_MAX; i++)
        (void)add_ok(&bus, "r", (SIM_BUS_REGIONS_MAX - i) * 0x100, 0x80, NULL);
    struct sim_mmio_region r = region("more", 0x1000000, 0x10, NULL);
    cr_assert_eq(sim_bus_add(&bus, &r, NULL), IOSIM_ENOSPC);
    r.base = 0x180; /* in a gap */
    cr_assert_eq(sim_bus_add(&bus, &r, NULL), IOSIM_ENOSPC);
    cr_assert_eq(bus.count, SIM_BUS_REGIONS_MAX);
    /* a move in a full bus still works */
    uint32_t last = bus.regions[SIM_BUS_REGIONS_MAX - 1].id;
    cr_assert_eq(sim_bus_move(&bus, last, 0x0), IOSIM_OK);
    cr_assert_eq(bus.regions[0].id, last);
    cr_assert_eq(sim_bus_move(&bus, last, 0x200), IOSIM_EEXIST);
    cr_assert_eq(bus.regions[0].id, last);
    cr_assert_eq(bus.count, SIM_BUS_REGIONS_MAX);
    for (uint32_t i = 1; i < bus.count; i++)
        cr_assert(bus.regions[i - 1].base < bus.regions[i].base);
    sim_bus_fini(&bus);
}

Test(bus, remove_frees_the_place_and_unknown_ids_give_enoent)
{
    struct sim_bus bus;
    cr_assert_eq(sim_bus_init(&bus), IOSIM_OK);
    uint32_t a = add_ok(&bus, "bar0", 0x1000, 0x1000, NULL);
    uint32_t b = add_ok(&bus, "bar1", 0x2000, 0x1000, NULL);
    cr_expect_eq(sim_bus_remove(&bus, a), IOSIM_OK);
    cr_expect_eq(sim_bus_remove(&bus, a), IOSIM_ENOENT);
    cr_expect_null(sim_bus_get(&bus, a));
    cr_expect_null(sim_bus_find(&bus, 0x1000, 4));
    cr_expect_eq(bus.count, 1);
    uint32_t c = add_ok(&bus, "bar0again", 0x1800, 0x800, NULL); /* the place is free again */
    cr_expect_neq(c, a, "ids are not reused");
    cr_expect_eq(sim_bus_get(&bus, b)->base, 0x2000);
    sim_bus_fini(&bus);
}
