/*
 * impl/drivers/pcid assignment, on random machines of models/pci: every
 * assigned BAR aligned to its size, inside its aperture and inside every
 * window above it, no two ranges overlapping, nothing refused when it
 * provably fits; then, with decoding enabled by pcid_enable, the model
 * decodes every BAR exactly where pcid put it (which checks the windows
 * pcid wrote, the way hardware reads them). Plus the edges: exact fits,
 * what does not fit, windows a 32-bit register cannot hold, bad apertures.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "impl/drivers/pcid/pcid_assign.h"
#include "pci_test_machine.h"

static const struct pcid_apertures big = {
    .mem32_base = 0x40000000ull, .mem32_limit = 0xe0000000ull,
    .mem64_base = 1ull << 36, .mem64_limit = 1ull << 40,
    .io_base = 0x1000, .io_limit = 0x10000,
};

static void enumerate(void)
{
    struct pcid_enum_opts o = {.assign_buses = true, .size_bars = true};
    cr_assert_eq(pcid_enumerate(&ecam_cfg, &o, &topo), IOSIM_OK);
}

static uint64_t need_of(const struct pcid_bar *b)
{
    if (b->kind == PCID_BAR_IO)
        return b->size;
    return b->size < PCID_BAR_ALIGN_MIN ? PCID_BAR_ALIGN_MIN : b->size;
}

static bool is_mem(const struct pcid_bar *b)
{
    return (b->kind == PCID_BAR_MEM32 || b->kind == PCID_BAR_MEM64) && b->size != 0;
}

static bool below(uint32_t i, uint32_t bridge)
{
    for (uint32_t p = topo.funcs[i].parent; p != UINT32_MAX; p = topo.funcs[p].parent)
        if (p == bridge)
            return true;
    return false;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/* Every placement rule, for every BAR and window. */
static void expect_placement(const struct pcid_apertures *ap)
{
    for (uint32_t i = 0; i < topo.count; i++) {
        const struct pcid_func *f = &topo.funcs[i];
        for (unsigned k = 0; k < PCI_BAR_COUNT; k++) {
            const struct pcid_bar *b = &f->bar[k];
            if (!b->assigned)
                continue;
            uint64_t n = need_of(b);
            cr_expect_eq(b->addr % n, 0, "%u BAR%u aligned", i, k);
            if (b->kind == PCID_BAR_IO) {
                cr_expect(f->parent == UINT32_MAX, "I/O only on bus 0");
                cr_expect(b->addr >= ap->io_base && b->addr + n <= ap->io_limit);
                continue;
            }
            bool high = f->parent == UINT32_MAX && b->kind == PCID_BAR_MEM64;
            uint64_t lo = high ? ap->mem64_base : ap->mem32_base;
            uint64_t hi = high ? ap->mem64_limit : ap->mem32_limit;
            cr_expect(b->addr >= lo && b->addr + n <= hi, "%u BAR%u in its aperture", i, k);
            for (uint32_t p = f->parent; p != UINT32_MAX; p = topo.funcs[p].parent) {
                const struct pcid_func *w = &topo.funcs[p];
                cr_expect(b->addr >= w->win_base && b->addr + n <= w->win_base + w->win_size,
                          "%u BAR%u inside the window of bridge %u", i, k, p);
            }
            for (uint32_t j = 0; j < topo.count; j++) {
                const struct pcid_func *g = &topo.funcs[j];
                for (unsigned l = 0; l < PCI_BAR_COUNT; l++)
                    if ((j != i || l != k) && g->bar[l].assigned && is_mem(&g->bar[l]))
                        cr_expect(!overlap(b->addr, n, g->bar[l].addr, need_of(&g->bar[l])),
                                  "%u BAR%u overlaps %u BAR%u", i, k, j, l);
                if (g->bridge && g->win_size != 0 && !below(i, j))
                    cr_expect(!overlap(b->addr, n, g->win_base, g->win_size),
                              "%u BAR%u inside the window of bridge %u, which it is not below", i,
                              k, j);
            }
        }
        if (f->bridge && f->win_size != 0) {
            cr_expect_eq(f->win_base % PCID_WINDOW_ALIGN, 0);
            cr_expect_eq(f->win_size % PCID_WINDOW_ALIGN, 0);
            for (uint32_t j = 0; j < topo.count; j++)
                if (j != i && topo.funcs[j].bridge && topo.funcs[j].win_size != 0 &&
                    !below(i, j) && !below(j, i))
                    cr_expect(!overlap(f->win_base, f->win_size, topo.funcs[j].win_base,
                                       topo.funcs[j].win_size),
                              "windows of bridges %u and %u overlap", i, j);
        }
    }
}

/* An upper bound on what the 32-bit aperture must hold: every need, plus
 * per bridge its rounding (1 MiB) and the padding its window can cause
 * (at most the largest alignment anywhere). */
static uint64_t low_bound(bool high_exists)
{
    uint64_t sum = 0, max_align = PCID_WINDOW_ALIGN;
    uint32_t bridges = 0;
    for (uint32_t i = 0; i < topo.count; i++) {
        const struct pcid_func *f = &topo.funcs[i];
        bridges += f->bridge;
        for (unsigned k = 0; k < PCI_BAR_COUNT; k++) {
            const struct pcid_bar *b = &f->bar[k];
            if (!is_mem(b) || (high_exists && f->parent == UINT32_MAX && b->kind == PCID_BAR_MEM64))
                continue;
            sum += need_of(b);
            if (need_of(b) > max_align)
                max_align = need_of(b);
        }
    }
    return sum + bridges * (max_align + PCID_WINDOW_ALIGN) + max_align;
}

static void expect_decoded(void)
{
    for (uint32_t i = 0; i < topo.count; i++) {
        const struct pcid_func *f = &topo.funcs[i];
        if (f->problems & PCID_PROB_NO_SPACE)
            continue;
        cr_assert_eq(pcid_enable(&ecam_cfg, &topo, i), IOSIM_OK);
        uint16_t cmd = (uint16_t)ecam_read(NULL, f->bus, f->dev, f->fn, PCI_COMMAND, 2);
        cr_expect(cmd & PCI_COMMAND_MASTER, "bus mastering on");
    }
    for (uint32_t i = 0; i < topo.count; i++) {
        const struct pcid_func *f = &topo.funcs[i];
        if (f->problems & PCID_PROB_NO_SPACE)
            continue; /* never enabled */
        int k = match(i);
        for (unsigned b = 0; b < PCI_BAR_COUNT; b++) {
            if (!f->bar[b].assigned || !is_mem(&f->bar[b]))
                continue;
            uint32_t lo = ecam_read(NULL, f->bus, f->dev, f->fn, (uint16_t)(PCI_BAR0 + 4 * b), 4);
            cr_expect_eq(lo & PCI_BAR_MEM_ADDR_MASK, (uint32_t)f->bar[b].addr, "BAR written");
            struct sim_mmio_region *r = sim_bus_find(&m->bus, f->bar[b].addr, 4);
            char want[48];
            snprintf(want, sizeof want, "%s.bar%u", built[k].name, b);
            cr_assert_not_null(r, "%s at %#llx is decoded", want,
                               (unsigned long long)f->bar[b].addr);
            cr_expect_str_eq(r->name, want);
            cr_expect_eq(r->base, f->bar[b].addr);
            cr_expect_eq(r->len, f->bar[b].size);
        }
    }
}

Test(pcid_assign, random_machines_get_disjoint_decoding_addresses, .init = machine_up,
     .fini = machine_down)
{
    mem64_log_max = 28;
    uint32_t provably_fit = 0;
    for (uint64_t seed = 1; seed <= 60; seed++) {
        if (seed > 1) {
            machine_down();
            machine_up();
        }
        struct sim_rng r;
        sim_rng_seed(&r, seed);
        random_bus(&r, -1, 0);
        enumerate();
        cr_assert_eq(pcid_assign(&ecam_cfg, &big, &topo), IOSIM_OK);
        expect_placement(&big);
        if (low_bound(true) <= big.mem32_limit - big.mem32_base) {
            provably_fit++;
            for (uint32_t i = 0; i < topo.count; i++)
                cr_expect_eq(topo.funcs[i].problems & PCID_PROB_NO_SPACE, 0,
                             "seed %llu: function %u refused though everything fits",
                             (unsigned long long)seed, i);
        }
        expect_decoded();

        /* The same machine assigned again: the same addresses (the topology decides). */
        static struct pcid_topology first;
        first = topo;
        cr_assert_eq(pcid_assign(&ecam_cfg, &big, &topo), IOSIM_OK);
        for (uint32_t i = 0; i < topo.count; i++)
            for (unsigned b = 0; b < PCI_BAR_COUNT; b++)
                cr_expect_eq(topo.funcs[i].bar[b].addr, first.funcs[i].bar[b].addr);
    }
    cr_expect_geq(provably_fit, 50, "the bound applied to most machines (%u)", provably_fit);
}

static struct pci_func_desc ep(uint64_t bar0, enum pci_bar_kind kind)
{
    struct pci_func_desc d = {.vendor = 0x1234, .device = 0x11, .class_code = 0xff,
                              .bar = {{kind, bar0, false}}};
    return d;
}

static struct pci_func_desc bridge(void)
{
    struct pci_func_desc d = {.vendor = 0x8086, .device = 0x7000, .bridge = true,
                              .class_code = PCI_CLASS_BRIDGE, .subclass = PCI_SUBCLASS_BRIDGE_PCI};
    return d;
}

Test(pcid_assign, an_exact_fit_is_packed_without_holes, .init = machine_up, .fini = machine_down)
{
    /* 1 MiB + 512 KiB + 256 KiB + 4 x 64 KiB = 2 MiB, behind a bridge too. */
    static const uint64_t sizes[] = {64 << 10, 1 << 20, 64 << 10, 256 << 10, 64 << 10, 512 << 10, 64 << 10};
    for (uint8_t d = 0; d < 7; d++) {
        struct pci_func_desc e = ep(sizes[d], PCI_BAR_MEM32);
        add_built(-1, (uint8_t)(d + 1), 0, &e);
    }
    struct pci_func_desc b = bridge(), e = ep(1 << 20, PCI_BAR_MEM32);
    add_built(-1, 20, 0, &b);
    add_built(nbuilt - 1, 0, 0, &e);
    enumerate();
    struct pcid_apertures ap = {.mem32_base = 0x80000000ull, .mem32_limit = 0x80300000ull};
    cr_assert_eq(pcid_assign(&ecam_cfg, &ap, &topo), IOSIM_OK);
    for (uint32_t i = 0; i < topo.count; i++)
        cr_expect_eq(topo.funcs[i].problems, 0, "function %u", i);
    expect_placement(&ap);
    expect_decoded();
    const struct pcid_func *br = pcid_topology_find(&topo, 0, 20, 0);
    cr_expect_eq(br->win_size, 1 << 20);
    cr_expect_eq(ecam_read(NULL, 0, 20, 0, PCI_BRIDGE_MEM_BASE, 2),
                 (uint32_t)(br->win_base >> 16) & 0xfff0u);
    cr_expect_eq(ecam_read(NULL, 0, 20, 0, PCI_BRIDGE_MEM_LIMIT, 2),
                 (uint32_t)((br->win_base + br->win_size - 1) >> 16) & 0xfff0u);
}

Test(pcid_assign, what_does_not_fit_is_refused_and_never_enabled, .init = machine_up,
     .fini = machine_down)
{
    struct pci_func_desc small = ep(4096, PCI_BAR_MEM32), huge = ep(256 << 20, PCI_BAR_MEM32);
    add_built(-1, 1, 0, &small);
    add_built(-1, 2, 0, &huge);
    enumerate();
    struct pcid_apertures ap = {.mem32_base = 0xc0000000ull, .mem32_limit = 0xc8000000ull};
    cr_assert_eq(pcid_assign(&ecam_cfg, &ap, &topo), IOSIM_OK);
    const struct pcid_func *a = pcid_topology_find(&topo, 0, 1, 0);
    const struct pcid_func *b = pcid_topology_find(&topo, 0, 2, 0);
    cr_expect(a->bar[0].assigned);
    cr_expect_not(b->bar[0].assigned);
    cr_expect(b->problems & PCID_PROB_NO_SPACE);
    cr_expect_eq(pcid_enable(&ecam_cfg, &topo, (uint32_t)(b - topo.funcs)), IOSIM_ENOSPC);
    cr_expect_eq(ecam_read(NULL, 0, 2, 0, PCI_COMMAND, 2), 0, "left alone");
    cr_expect_eq(pcid_enable(&ecam_cfg, &topo, (uint32_t)(a - topo.funcs)), IOSIM_OK);
    cr_expect_not_null(sim_bus_find(&m->bus, a->bar[0].addr, 4));
}

Test(pcid_assign, a_window_no_32_bit_register_can_hold, .init = machine_up, .fini = machine_down)
{
    struct pci_func_desc b = bridge(), e = ep(8ull << 30, PCI_BAR_MEM64), ok = ep(4096, PCI_BAR_MEM32);
    add_built(-1, 1, 0, &b);
    add_built(0, 0, 0, &e);
    add_built(-1, 2, 0, &ok);
    enumerate();
    cr_assert_eq(pcid_assign(&ecam_cfg, &big, &topo), IOSIM_OK);
    const struct pcid_func *br = pcid_topology_find(&topo, 0, 1, 0);
    const struct pcid_func *be = pcid_topology_find(&topo, 1, 0, 0);
    cr_expect(br->problems & PCID_PROB_NO_SPACE);
    cr_expect(be->problems & PCID_PROB_NO_SPACE);
    cr_expect_eq(br->win_size, 0);
    cr_expect_eq(ecam_read(NULL, 0, 1, 0, PCI_BRIDGE_MEM_BASE, 2), 0xfff0, "the window closed");
    cr_expect_eq(pcid_enable(&ecam_cfg, &topo, (uint32_t)(be - topo.funcs)), IOSIM_ENOSPC);
    cr_expect(pcid_topology_find(&topo, 0, 2, 0)->bar[0].assigned, "the rest is fine");
}

Test(pcid_assign, 64_bit_bars_on_bus_0_go_above_4_gib, .init = machine_up, .fini = machine_down)
{
    struct pci_func_desc e = ep(1ull << 33, PCI_BAR_MEM64);
    e.bar[2] = (struct pci_bar_desc){PCI_BAR_MEM32, 4096, false};
    e.bar[3] = (struct pci_bar_desc){PCI_BAR_IO, 32, false};
    add_built(-1, 5, 0, &e);
    enumerate();
    cr_assert_eq(pcid_assign(&ecam_cfg, &big, &topo), IOSIM_OK);
    const struct pcid_func *f = &topo.funcs[0];
    cr_expect_geq(f->bar[0].addr, 1ull << 36);
    cr_expect_lt(f->bar[2].addr, 1ull << 32);
    cr_expect(f->bar[3].assigned);
    cr_expect_geq(f->bar[3].addr, big.io_base);
    cr_expect_eq(ecam_read(NULL, 0, 5, 0, PCI_BAR0 + 4, 4), (uint32_t)(f->bar[0].addr >> 32),
                 "the upper half written");
    expect_decoded();
    uint16_t cmd = (uint16_t)ecam_read(NULL, 0, 5, 0, PCI_COMMAND, 2);
    cr_expect_eq(cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

Test(pcid_assign, without_a_high_aperture_64_bit_bars_stay_low, .init = machine_up,
     .fini = machine_down)
{
    struct pci_func_desc e = ep(1 << 20, PCI_BAR_MEM64);
    add_built(-1, 5, 0, &e);
    enumerate();
    struct pcid_apertures ap = {.mem32_base = 0xc0000000ull, .mem32_limit = 0xd0000000ull};
    cr_assert_eq(pcid_assign(&ecam_cfg, &ap, &topo), IOSIM_OK);
    cr_expect_eq(topo.funcs[0].bar[0].addr, 0xc0000000ull);
}

Test(pcid_assign, bad_apertures_are_refused, .init = machine_up, .fini = machine_down)
{
    struct pcid_apertures ap = big;
    ap.mem32_limit = 1ull << 33;
    cr_expect_eq(pcid_assign(&ecam_cfg, &ap, &topo), IOSIM_EINVAL, "mem32 above 4 GiB");
    ap = big;
    ap.mem64_base = ap.mem64_limit + 1;
    cr_expect_eq(pcid_assign(&ecam_cfg, &ap, &topo), IOSIM_EINVAL);
    cr_expect_eq(pcid_assign(&(struct pcid_cfg){.read = ecam_read}, &big, &topo), IOSIM_EINVAL);
    cr_expect_eq(pcid_enable(&ecam_cfg, &topo, 0), IOSIM_EINVAL, "no such function");
}
