/*
 * pci_test_machine.h - for the pcid tests: a simulated machine of
 * models/pci functions built from descriptors (random ones too: every BAR
 * kind, MSI, MSI-X, PCI Express, PM, multi-function devices, bridges three
 * deep), and a struct pcid_cfg that reaches it through the ECAM window as
 * the CPU does. Header-only; one machine per test at a time.
 */
#ifndef IOSIM_TESTS_PCI_TEST_MACHINE_H
#define IOSIM_TESTS_PCI_TEST_MACHINE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "impl/drivers/pcid/pcid_enum.h"
#include "models/pci/pci_root.h"
#include "sim/machine/machine.h"
#include "sim/engine/rng.h"

#define ECAM 0xe0000000ull

static struct pcid_topology topo;

/* ---- a machine of models ----------------------------------------------------------------- */

struct built {
    char name[16];
    int parent;             /* index into built[], -1 for bus 0 */
    uint8_t dev, fn;
    struct pci_func_desc desc;
    bool found;
};

static struct sim_machine *m;
static struct pci_root *root;
static struct built built[PCI_ROOT_FUNCS_MAX];
static int nbuilt;
static uint32_t writes; /* configuration writes pcid made */

static void machine_up(void)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.mem_bytes = 16u << 20;
    cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
    struct pci_root_config rc;
    pci_root_config_default(&rc);
    rc.ecam_base = ECAM;
    rc.buses = 256;
    cr_assert_eq(pci_root_create(m, &rc, &root), IOSIM_OK);
    nbuilt = 0;
    writes = 0;
}

static void machine_down(void)
{
    pci_root_destroy(root);
    sim_machine_destroy(m);
}

static uint64_t ecam_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
    return ECAM + ((uint64_t)bus << PCI_ECAM_BUS_SHIFT | (uint64_t)dev << PCI_ECAM_DEV_SHIFT |
                   (uint64_t)fn << PCI_ECAM_FN_SHIFT | off);
}

static uint32_t ecam_read(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
                          unsigned size)
{
    (void)ctx;
    uint64_t a = ecam_addr(bus, dev, fn, off);
    struct sim_mmio_region *r = sim_bus_find(&m->bus, a, size);
    cr_assert_not_null(r, "the ECAM window covers every bus");
    return (uint32_t)r->ops->read(r->ctx, a - r->base, size);
}

static void ecam_write(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, unsigned size,
                       uint32_t v)
{
    (void)ctx;
    uint64_t a = ecam_addr(bus, dev, fn, off);
    struct sim_mmio_region *r = sim_bus_find(&m->bus, a, size);
    cr_assert_not_null(r);
    r->ops->write(r->ctx, a - r->base, size, v);
    writes++;
}

static const struct pcid_cfg ecam_cfg = {.read = ecam_read, .write = ecam_write};

static void add_built(int parent, uint8_t dev, uint8_t fn, const struct pci_func_desc *d)
{
    cr_assert_lt(nbuilt, (int)PCI_ROOT_FUNCS_MAX);
    struct built *b = &built[nbuilt];
    *b = (struct built){.parent = parent, .dev = dev, .fn = fn, .desc = *d};
    snprintf(b->name, sizeof b->name, "f%d", nbuilt);
    struct pci_fn_config c = {.name = b->name, .behind = parent < 0 ? NULL : built[parent].name,
                              .dev = dev, .fn = fn, .desc = *d, .intx_line = 10};
    const char *why = NULL;
    cr_assert_eq(pci_root_add(root, &c, NULL, &why), IOSIM_OK, "%s", why ? why : "");
    nbuilt++;
}

/* ---- random descriptors ------------------------------------------------------------------ */

static uint64_t pow2(struct sim_rng *r, unsigned lo, unsigned hi)
{
    return 1ull << sim_rng_range(r, lo, hi);
}

static unsigned mem64_log_max = 36; /* the largest 64-bit BAR random_desc makes: 2^this */

static void random_bars(struct sim_rng *r, struct pci_func_desc *d, unsigned slots)
{
    for (unsigned i = 0; i < slots; i++) {
        struct pci_bar_desc *b = &d->bar[i];
        switch (sim_rng_below(r, 4)) {
        case 0: break;
        case 1: *b = (struct pci_bar_desc){PCI_BAR_MEM32, pow2(r, 4, 24), sim_rng_chance(r, 500)}; break;
        case 2:
            if (i + 1 < slots) {
                *b = (struct pci_bar_desc){PCI_BAR_MEM64, pow2(r, 4, mem64_log_max), sim_rng_chance(r, 500)};
                i++;
            }
            break;
        default: *b = (struct pci_bar_desc){PCI_BAR_IO, pow2(r, 2, 8), false}; break;
        }
    }
}

static void random_msix(struct sim_rng *r, struct pci_func_desc *d, unsigned slots)
{
    unsigned mem[PCI_BAR_COUNT], n = 0;
    for (unsigned i = 0; i < slots; i++)
        if ((d->bar[i].kind == PCI_BAR_MEM32 || d->bar[i].kind == PCI_BAR_MEM64) &&
            d->bar[i].size >= 64)
            mem[n++] = i;
    if (n == 0)
        return;
    unsigned bar = mem[sim_rng_below(r, n)];
    uint64_t cap = d->bar[bar].size / 32;
    uint16_t vectors = (uint16_t)sim_rng_range(r, 1, cap < PCI_MSIX_VECTORS_MAX ? cap : PCI_MSIX_VECTORS_MAX);
    d->msix = (struct pci_msix_desc){true, vectors, (uint8_t)bar, (uint8_t)bar, 0,
                                     (uint32_t)vectors * PCI_MSIX_ENTRY_SIZE};
}

static struct pci_func_desc random_desc(struct sim_rng *r, bool bridge, bool multifunction)
{
    static const uint8_t widths[] = {1, 2, 4, 8, 16};
    struct pci_func_desc d = {
        .vendor = (uint16_t)sim_rng_range(r, 1, 0xfffe), .device = (uint16_t)sim_rng_next(r),
        .subsys_vendor = (uint16_t)sim_rng_next(r), .subsys = (uint16_t)sim_rng_next(r),
        .class_code = (uint8_t)sim_rng_below(r, 0x13), .subclass = (uint8_t)sim_rng_next(r),
        .prog_if = (uint8_t)sim_rng_next(r), .revision = (uint8_t)sim_rng_next(r),
        .bridge = bridge, .multifunction = multifunction,
        .int_pin = (uint8_t)sim_rng_below(r, 5)};
    if (bridge) {
        d.class_code = PCI_CLASS_BRIDGE;
        d.subclass = PCI_SUBCLASS_BRIDGE_PCI;
        d.subsys_vendor = d.subsys = 0;
    }
    unsigned slots = bridge ? 2 : PCI_BAR_COUNT;
    random_bars(r, &d, slots);
    d.pm.present = sim_rng_chance(r, 500);
    if (sim_rng_chance(r, 500))
        d.msi = (struct pci_msi_desc){true, (uint8_t)sim_rng_below(r, 6), sim_rng_chance(r, 500),
                                      sim_rng_chance(r, 500)};
    if (sim_rng_chance(r, 500))
        random_msix(r, &d, slots);
    if (sim_rng_chance(r, 600))
        d.pcie = (struct pci_pcie_desc){true, bridge ? PCI_EXP_TYPE_ROOT_PORT : PCI_EXP_TYPE_ENDPOINT,
                                        (uint8_t)sim_rng_range(r, 1, 5), widths[sim_rng_below(r, 5)]};
    cr_assert_null(pci_func_desc_problem(&d), "generator: %s", pci_func_desc_problem(&d));
    return d;
}

/* One bus's worth of devices (recursing into bridges), within the root's budget. */
static void random_bus(struct sim_rng *r, int parent, unsigned depth)
{
    unsigned devices = (unsigned)sim_rng_range(r, 1, depth == 0 ? 6 : 3);
    uint32_t used = 0;
    for (unsigned k = 0; k < devices && nbuilt < (int)PCI_ROOT_FUNCS_MAX - 10; k++) {
        uint8_t dev;
        do
            dev = (uint8_t)sim_rng_below(r, PCI_DEVS_PER_BUS);
        while (used >> dev & 1);
        used |= 1u << dev;
        bool multi = sim_rng_chance(r, 300);
        uint8_t fns = multi ? (uint8_t)sim_rng_range(r, 2, 4) : 1;
        uint8_t at = 0;
        for (uint8_t fn = 0; fn < fns; fn++) {
            if (fn > 0)
                at = (uint8_t)(at + 1 + sim_rng_below(r, 3)); /* gaps between functions */
            if (at >= PCI_FNS_PER_DEV)
                break;
            bool bridge = depth < 3 && sim_rng_chance(r, depth == 0 ? 250 : 150);
            struct pci_func_desc d = random_desc(r, bridge, multi && fn == 0);
            add_built(parent, dev, at, &d);
            if (bridge)
                random_bus(r, nbuilt - 1, depth + 1);
        }
    }
}

/* The built function pcid's function i is, by the path of (dev, fn) from bus 0. */
static int match(uint32_t i)
{
    const struct pcid_func *f = &topo.funcs[i];
    int parent = f->parent == UINT32_MAX ? -1 : match(f->parent);
    for (int k = 0; k < nbuilt; k++)
        if (built[k].parent == parent && built[k].dev == f->dev && built[k].fn == f->fn)
            return k;
    cr_assert_fail("pcid found %02x:%02x.%x, which the machine does not have", f->bus, f->dev, f->fn);
    return -1;
}

#endif /* IOSIM_TESTS_PCI_TEST_MACHINE_H */
