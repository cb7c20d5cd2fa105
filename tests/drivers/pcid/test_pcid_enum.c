/*
 * impl/drivers/pcid enumeration, checked two ways:
 * - model-based: random machines built from models/pci (multi-function
 *   devices, bridges nested up to three deep, every BAR kind and
 *   capability), enumerated through the ECAM window as the CPU sees it;
 *   what pcid reports must be exactly the descriptors the machine was
 *   built from, bus numbers depth first, registers restored after sizing;
 * - hostile configuration spaces (a raw byte array answering anything):
 *   capability loops, pointers into the header, a 64-bit BAR in the last
 *   slot, nonsense sizing masks, bad MSI-X BIRs, too many functions,
 *   bridge loops and endless bridge chains. Each is a recorded problem,
 *   never a hang or an out-of-bounds read.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pci_test_machine.h"

/* ---- comparing ---------------------------------------------------------------------------- */

static enum pcid_bar_kind kind_of(enum pci_bar_kind k)
{
    switch (k) {
    case PCI_BAR_MEM32: return PCID_BAR_MEM32;
    case PCI_BAR_MEM64: return PCID_BAR_MEM64;
    case PCI_BAR_IO: return PCID_BAR_IO;
    case PCI_BAR_NONE: break;
    }
    return PCID_BAR_NONE;
}

static void expect_same(const struct pcid_func *f, const struct built *b)
{
    const struct pci_func_desc *d = &b->desc;
    cr_expect_eq(f->vendor, d->vendor, "%s vendor", b->name);
    cr_expect_eq(f->device, d->device, "%s device", b->name);
    cr_expect_eq(f->class_code, d->class_code, "%s class", b->name);
    cr_expect_eq(f->subclass, d->subclass, "%s subclass", b->name);
    cr_expect_eq(f->prog_if, d->prog_if, "%s prog-if", b->name);
    cr_expect_eq(f->revision, d->revision, "%s revision", b->name);
    cr_expect_eq(f->bridge, d->bridge, "%s bridge", b->name);
    cr_expect_eq(f->multifunction, d->multifunction, "%s multifunction", b->name);
    cr_expect_eq(f->int_pin, d->int_pin, "%s pin", b->name);
    if (!d->bridge) {
        cr_expect_eq(f->subsys_vendor, d->subsys_vendor, "%s subsystem vendor", b->name);
        cr_expect_eq(f->subsys, d->subsys, "%s subsystem", b->name);
    }
    for (unsigned i = 0; i < PCI_BAR_COUNT; i++) {
        cr_expect_eq(f->bar[i].kind, kind_of(d->bar[i].kind), "%s BAR%u kind", b->name, i);
        cr_expect_eq(f->bar[i].size, d->bar[i].size, "%s BAR%u size", b->name, i);
        if (d->bar[i].kind == PCI_BAR_MEM32 || d->bar[i].kind == PCI_BAR_MEM64)
            cr_expect_eq(f->bar[i].prefetch, d->bar[i].prefetch, "%s BAR%u prefetch", b->name, i);
    }
    cr_expect_eq(f->pm, d->pm.present, "%s PM", b->name);
    cr_expect_eq(f->msi.present, d->msi.present, "%s MSI", b->name);
    if (d->msi.present) {
        cr_expect_eq(f->msi.vectors_log2, d->msi.vectors_log2, "%s MSI vectors", b->name);
        cr_expect_eq(f->msi.addr64, d->msi.addr64, "%s MSI 64-bit", b->name);
        cr_expect_eq(f->msi.masking, d->msi.per_vector_mask, "%s MSI masking", b->name);
    }
    cr_expect_eq(f->msix.present, d->msix.present, "%s MSI-X", b->name);
    if (d->msix.present) {
        cr_expect_eq(f->msix.vectors, d->msix.vectors, "%s MSI-X vectors", b->name);
        cr_expect_eq(f->msix.table_bar, d->msix.table_bar, "%s MSI-X table BIR", b->name);
        cr_expect_eq(f->msix.table_off, d->msix.table_off, "%s MSI-X table offset", b->name);
        cr_expect_eq(f->msix.pba_bar, d->msix.pba_bar, "%s MSI-X PBA BIR", b->name);
        cr_expect_eq(f->msix.pba_off, d->msix.pba_off, "%s MSI-X PBA offset", b->name);
    }
    cr_expect_eq(f->pcie.present, d->pcie.present, "%s PCIe", b->name);
    if (d->pcie.present) {
        cr_expect_eq(f->pcie.type, d->pcie.port_type, "%s port type", b->name);
        cr_expect_eq(f->pcie.max_gen, d->pcie.gen, "%s link speed", b->name);
        cr_expect_eq(f->pcie.max_width, d->pcie.width, "%s link width", b->name);
        cr_expect_eq(f->pcie.gen, d->pcie.gen, "%s current speed", b->name);
        cr_expect_eq(f->pcie.width, d->pcie.width, "%s current width", b->name);
    }
    cr_expect_eq(f->problems, 0, "%s: problems %#x", b->name, f->problems);
}

/* Bridges numbered depth first: secondary is the next bus, subordinate the
 * last bus below; the registers hold what pcid reports. */
static void expect_bus_numbers(void)
{
    uint32_t next = 1;
    for (uint32_t i = 0; i < topo.count; i++) {
        const struct pcid_func *f = &topo.funcs[i];
        if (f->parent != UINT32_MAX)
            cr_expect_eq(f->bus, topo.funcs[f->parent].secondary, "on its bridge's bus");
        if (!f->bridge)
            continue;
        cr_expect_eq(f->secondary, next++, "secondary numbers in depth-first order");
        uint8_t last = f->secondary;
        for (uint32_t j = i + 1; j < topo.count; j++)
            for (uint32_t p = topo.funcs[j].parent; p != UINT32_MAX; p = topo.funcs[p].parent)
                if (p == i && topo.funcs[j].bus > last)
                    last = topo.funcs[j].bus;
        cr_expect_eq(f->subordinate, last, "subordinate: the last bus below");
        cr_expect_eq(ecam_read(NULL, f->bus, f->dev, f->fn, PCI_BRIDGE_PRIMARY_BUS, 1), f->bus);
        cr_expect_eq(ecam_read(NULL, f->bus, f->dev, f->fn, PCI_BRIDGE_SECONDARY_BUS, 1), f->secondary);
        cr_expect_eq(ecam_read(NULL, f->bus, f->dev, f->fn, PCI_BRIDGE_SUBORDINATE_BUS, 1), f->subordinate);
    }
}

/* Sizing left every BAR and command register as it found them (zero). */
static void expect_restored(void)
{
    for (uint32_t i = 0; i < topo.count; i++) {
        const struct pcid_func *f = &topo.funcs[i];
        cr_expect_eq(ecam_read(NULL, f->bus, f->dev, f->fn, PCI_COMMAND, 2), 0);
        for (unsigned k = 0; k < (f->bridge ? 2u : PCI_BAR_COUNT); k++) {
            uint32_t v = ecam_read(NULL, f->bus, f->dev, f->fn, (uint16_t)(PCI_BAR0 + 4 * k), 4);
            uint32_t flags = f->bar[k].kind == PCID_BAR_IO ? 0x3u : 0xfu;
            cr_expect_eq(v & ~flags, 0, "%02x:%02x.%x BAR%u restored", f->bus, f->dev, f->fn, k);
        }
    }
}

Test(pcid_enum, random_machines_are_found_exactly, .init = machine_up, .fini = machine_down)
{
    for (uint64_t seed = 1; seed <= 60; seed++) {
        if (seed > 1) {
            machine_down();
            machine_up();
        }
        struct sim_rng r;
        sim_rng_seed(&r, seed);
        random_bus(&r, -1, 0);
        struct pcid_enum_opts o = {.assign_buses = true, .size_bars = true};
        cr_assert_eq(pcid_enumerate(&ecam_cfg, &o, &topo), IOSIM_OK);
        cr_assert_eq(topo.count, (uint32_t)nbuilt, "seed %llu: every function, once",
                     (unsigned long long)seed);
        cr_expect_eq(topo.problems, 0);
        for (uint32_t i = 0; i < topo.count; i++) {
            int k = match(i);
            cr_expect_not(built[k].found, "seed %llu: %s found twice", (unsigned long long)seed,
                          built[k].name);
            built[k].found = true;
            expect_same(&topo.funcs[i], &built[k]);
            cr_expect_eq(pcid_topology_find(&topo, topo.funcs[i].bus, topo.funcs[i].dev,
                                            topo.funcs[i].fn), &topo.funcs[i]);
        }
        expect_bus_numbers();
        expect_restored();

        /* Again, following the numbers now in the bridges: the same machine, no writes. */
        static struct pcid_topology again;
        writes = 0;
        o = (struct pcid_enum_opts){0};
        cr_assert_eq(pcid_enumerate(&(struct pcid_cfg){.read = ecam_read}, &o, &again), IOSIM_OK);
        cr_expect_eq(writes, 0);
        cr_assert_eq(again.count, topo.count);
        for (uint32_t i = 0; i < topo.count; i++) {
            cr_expect_eq(again.funcs[i].bus, topo.funcs[i].bus);
            cr_expect_eq(again.funcs[i].secondary, topo.funcs[i].secondary);
            cr_expect_eq(again.funcs[i].subordinate, topo.funcs[i].subordinate);
            cr_expect_eq(again.funcs[i].parent, topo.funcs[i].parent);
            cr_expect_eq(again.funcs[i].msix.vectors, topo.funcs[i].msix.vectors);
        }
        cr_expect_eq(again.last_bus, topo.last_bus);
    }
}

Test(pcid_enum, unnumbered_bridges_hide_what_is_behind_them, .init = machine_up, .fini = machine_down)
{
    struct sim_rng r;
    sim_rng_seed(&r, 7);
    struct pci_func_desc br = random_desc(&r, true, false), ep = random_desc(&r, false, false);
    add_built(-1, 1, 0, &br);
    add_built(0, 0, 0, &ep);
    struct pcid_enum_opts o = {.size_bars = true};
    cr_assert_eq(pcid_enumerate(&ecam_cfg, &o, &topo), IOSIM_OK);
    cr_expect_eq(topo.count, 1, "the bridge, not the endpoint behind it (it has no bus yet)");
    o.assign_buses = true;
    cr_assert_eq(pcid_enumerate(&ecam_cfg, &o, &topo), IOSIM_OK);
    cr_expect_eq(topo.count, 2);
    cr_expect_eq(topo.last_bus, 1);
}

Test(pcid_enum, bad_accessors_are_refused)
{
    struct pcid_enum_opts o = {.size_bars = true};
    cr_expect_eq(pcid_enumerate(NULL, &o, &topo), IOSIM_EINVAL);
    cr_expect_eq(pcid_enumerate(&(struct pcid_cfg){0}, &o, &topo), IOSIM_EINVAL);
    cr_expect_eq(pcid_enumerate(&(struct pcid_cfg){.read = ecam_read}, &o, &topo), IOSIM_EINVAL,
                 "sizing needs writes");
}

/* ---- hostile configuration spaces ---------------------------------------------------------- */

/* A configuration space that is just bytes. Writes land except on BARs,
 * where all ones reads back `sizing[i]` (what the "hardware" claims). */
struct raw_fn {
    uint8_t cfg[PCI_CFG_EXT_SIZE];
    uint32_t sizing[PCI_BAR_COUNT];
    bool sizing_now[PCI_BAR_COUNT];
};

struct raw {
    struct raw_fn *fn[PCI_BUSES][PCI_DEVS_PER_BUS][PCI_FNS_PER_DEV];
    struct raw_fn *everywhere; /* answers at every address when set */
    uint64_t reads;
};

static struct raw_fn *raw_at(struct raw *w, uint8_t bus, uint8_t dev, uint8_t fn)
{
    return w->everywhere ? w->everywhere : w->fn[bus][dev][fn];
}

static uint32_t raw_read(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, unsigned size)
{
    struct raw *w = ctx;
    cr_assert(size == 1 || size == 2 || size == 4);
    cr_assert_eq(off % size, 0, "aligned");
    cr_assert_leq(off + size, PCI_CFG_EXT_SIZE, "inside the space");
    cr_assert_lt(dev, PCI_DEVS_PER_BUS);
    cr_assert_lt(fn, PCI_FNS_PER_DEV);
    w->reads++;
    struct raw_fn *f = raw_at(w, bus, dev, fn);
    if (f == NULL)
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    unsigned bar = (off - PCI_BAR0) / 4;
    if (off >= PCI_BAR0 && bar < PCI_BAR_COUNT && f->sizing_now[bar] && size == 4)
        return f->sizing[bar];
    uint32_t v = 0;
    memcpy(&v, &f->cfg[off], size);
    return v;
}

static void raw_write(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, unsigned size,
                      uint32_t v)
{
    struct raw *w = ctx;
    struct raw_fn *f = raw_at(w, bus, dev, fn);
    cr_assert_leq(off + size, PCI_CFG_EXT_SIZE);
    if (f == NULL)
        return;
    unsigned bar = (off - PCI_BAR0) / 4;
    if (off >= PCI_BAR0 && bar < PCI_BAR_COUNT && size == 4) {
        f->sizing_now[bar] = v == 0xffffffffu;
        if (f->sizing_now[bar])
            return;
    }
    if (w->everywhere == NULL)
        memcpy(&f->cfg[off], &v, size);
}

static struct raw *raw_new(void)
{
    struct raw *w = calloc(1, sizeof *w);
    cr_assert_not_null(w);
    return w;
}

static void raw_free(struct raw *w)
{
    for (unsigned b = 0; b < PCI_BUSES; b++)
        for (unsigned d = 0; d < PCI_DEVS_PER_BUS; d++)
            for (unsigned f = 0; f < PCI_FNS_PER_DEV; f++)
                free(w->fn[b][d][f]);
    free(w->everywhere);
    free(w);
}

static struct raw_fn *raw_fn_new(uint16_t vendor, uint8_t header_type)
{
    struct raw_fn *f = calloc(1, sizeof *f);
    cr_assert_not_null(f);
    f->cfg[PCI_VENDOR_ID] = (uint8_t)vendor;
    f->cfg[PCI_VENDOR_ID + 1] = (uint8_t)(vendor >> 8);
    f->cfg[PCI_HEADER_TYPE] = header_type;
    return f;
}

static struct raw_fn *raw_put(struct raw *w, uint8_t bus, uint8_t dev, uint8_t fn, uint8_t htype)
{
    struct raw_fn *f = raw_fn_new(0x1af4, htype);
    w->fn[bus][dev][fn] = f;
    return f;
}

static void put32(struct raw_fn *f, uint16_t off, uint32_t v)
{
    memcpy(&f->cfg[off], &v, 4);
}

static void caps(struct raw_fn *f, uint8_t first)
{
    f->cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
    f->cfg[PCI_CAP_PTR] = first;
}

static void cap(struct raw_fn *f, uint8_t at, uint8_t id, uint8_t next)
{
    f->cfg[at + PCI_CAP_ID] = id;
    f->cfg[at + PCI_CAP_NEXT] = next;
}

static const struct pcid_func *enum_raw(struct raw *w, bool assign)
{
    struct pcid_cfg c = {.read = raw_read, .write = raw_write, .ctx = w};
    struct pcid_enum_opts o = {.assign_buses = assign, .size_bars = true};
    cr_assert_eq(pcid_enumerate(&c, &o, &topo), IOSIM_OK);
    return topo.count > 0 ? &topo.funcs[0] : NULL;
}

Test(pcid_enum_hostile, a_capability_list_that_loops_is_cut)
{
    struct raw *w = raw_new();
    struct raw_fn *f = raw_put(w, 0, 0, 0, 0);
    caps(f, 0x40);
    cap(f, 0x40, PCI_CAP_ID_PM, 0x50);
    cap(f, 0x50, PCI_CAP_ID_MSI, 0x40);
    const struct pcid_func *p = enum_raw(w, false);
    cr_expect(p->pm && p->msi.present);
    cr_expect(p->problems & PCID_PROB_CAP_LOOP);
    raw_free(w);
}

Test(pcid_enum_hostile, a_capability_that_points_to_itself_is_a_loop)
{
    struct raw *w = raw_new();
    struct raw_fn *f = raw_put(w, 0, 0, 0, 0);
    caps(f, 0xfc);
    cap(f, 0xfc, 0x09, 0xfc);
    cr_expect(enum_raw(w, false)->problems & PCID_PROB_CAP_LOOP);
    raw_free(w);
}

Test(pcid_enum_hostile, a_capability_pointer_into_the_header_is_refused)
{
    struct raw *w = raw_new();
    struct raw_fn *f = raw_put(w, 0, 0, 0, 0);
    caps(f, 0x40);
    cap(f, 0x40, PCI_CAP_ID_MSIX, 0x10); /* "next" is BAR0 */
    f->cfg[0x40 + PCI_MSIX_TABLE] = 7;   /* and its BIR is no BAR */
    const struct pcid_func *p = enum_raw(w, false);
    cr_expect(p->problems & PCID_PROB_CAP_PTR);
    cr_expect(p->problems & PCID_PROB_MSIX_BIR);
    raw_free(w);
}

Test(pcid_enum_hostile, the_low_pointer_bits_are_ignored)
{
    struct raw *w = raw_new();
    struct raw_fn *f = raw_put(w, 0, 0, 0, 0);
    caps(f, 0x43); /* bits 1:0 reserved [LB 6.7] */
    cap(f, 0x40, PCI_CAP_ID_PCIE, 0x03);
    const struct pcid_func *p = enum_raw(w, false);
    cr_expect(p->pcie.present);
    cr_expect_eq(p->problems, 0);
    raw_free(w);
}

Test(pcid_enum_hostile, a_long_chain_of_distinct_capabilities_ends)
{
    struct raw *w = raw_new();
    struct raw_fn *f = raw_put(w, 0, 0, 0, 0);
    caps(f, 0x40);
    for (unsigned at = 0x40; at < 0x100; at += 4)
        cap(f, (uint8_t)at, 0x09, (uint8_t)(at + 4 < 0x100 ? at + 4 : 0));
    cr_expect_eq(enum_raw(w, false)->problems, 0, "48 capabilities fill the space legally");
    raw_free(w);
}

Test(pcid_enum_hostile, a_64_bit_bar_in_the_last_slot)
{
    struct raw *w = raw_new();
    struct raw_fn *f = raw_put(w, 0, 0, 0, 0);
    put32(f, PCI_BAR0 + 20, PCI_BAR_MEM_TYPE_64);
    f->sizing[5] = 0xfffff000u | PCI_BAR_MEM_TYPE_64;
    const struct pcid_func *p = enum_raw(w, false);
    cr_expect(p->problems & PCID_PROB_BAR_64_LAST);
    cr_expect_eq(p->bar[5].kind, PCID_BAR_MEM32, "treated as the 32 bits it has");
    cr_expect_eq(p->bar[5].size, 4096);
    raw_free(w);
}

Test(pcid_enum_hostile, sizing_masks_hardware_cannot_have)
{
    struct raw *w = raw_new();
    struct raw_fn *f = raw_put(w, 0, 0, 0, 0);
    f->sizing[0] = 0xff00f000u; /* holes in the address bits */
    f->sizing[1] = 0xfffffff0u; /* 16 bytes: legal */
    f->sizing[2] = 0x0000f000u; /* top bits not writable */
    put32(f, PCI_BAR0 + 12, PCI_BAR_SPACE_IO);
    f->sizing[3] = 0x0000ffe1u; /* I/O, 32 bytes, bits 31:16 hardwired 0: legal */
    const struct pcid_func *p = enum_raw(w, false);
    cr_expect(p->problems & PCID_PROB_BAR_MASK);
    cr_expect_eq(p->bar[0].size, 4096, "the lowest writable bit still sizes it");
    cr_expect_eq(p->bar[1].size, 16);
    cr_expect_eq(p->bar[3].kind, PCID_BAR_IO);
    cr_expect_eq(p->bar[3].size, 32);
    raw_free(w);
}

Test(pcid_enum_hostile, functions_past_the_table_are_counted_not_written)
{
    /* Everything answers everywhere, and every function is a bridge: 256
     * functions fill the table on bus 0 alone. */
    struct raw *w = raw_new();
    w->everywhere = raw_fn_new(0x1af4, PCI_HEADER_MULTIFUNCTION | PCI_HEADER_TYPE_BRIDGE);
    enum_raw(w, true);
    cr_expect_eq(topo.count, PCID_FUNCS_MAX);
    cr_expect(topo.problems & PCID_PROB_TOO_MANY);
    raw_free(w);
}

Test(pcid_enum_hostile, bridges_that_loop_back_are_not_followed)
{
    struct raw *w = raw_new();
    struct raw_fn *b0 = raw_put(w, 0, 1, 0, PCI_HEADER_TYPE_BRIDGE);
    b0->cfg[PCI_BRIDGE_SECONDARY_BUS] = 1;
    b0->cfg[PCI_BRIDGE_SUBORDINATE_BUS] = 1;
    struct raw_fn *b1 = raw_put(w, 1, 0, 0, PCI_HEADER_TYPE_BRIDGE);
    b1->cfg[PCI_BRIDGE_SECONDARY_BUS] = 0; /* back to the root */
    b1->cfg[PCI_BRIDGE_SUBORDINATE_BUS] = 255;
    struct raw_fn *b2 = raw_put(w, 1, 1, 0, PCI_HEADER_TYPE_BRIDGE);
    b2->cfg[PCI_BRIDGE_SECONDARY_BUS] = 1; /* to itself */
    b2->cfg[PCI_BRIDGE_SUBORDINATE_BUS] = 1;
    enum_raw(w, false);
    cr_expect_eq(topo.count, 3);
    raw_free(w);
}

Test(pcid_enum_hostile, an_endless_chain_of_bridges_is_cut)
{
    /* Every bus has a bridge at 0.0 whose secondary is the next bus. */
    struct raw *w = raw_new();
    for (unsigned b = 0; b < PCI_BUSES; b++) {
        struct raw_fn *f = raw_put(w, (uint8_t)b, 0, 0, PCI_HEADER_TYPE_BRIDGE);
        f->cfg[PCI_BRIDGE_SECONDARY_BUS] = (uint8_t)(b + 1);
        f->cfg[PCI_BRIDGE_SUBORDINATE_BUS] = 0xff;
    }
    enum_raw(w, false);
    cr_expect_eq(topo.count, PCID_BRIDGE_DEPTH_MAX + 1);
    cr_expect(topo.problems & PCID_PROB_BUSES);
    enum_raw(w, true);
    cr_expect_eq(topo.count, PCID_BRIDGE_DEPTH_MAX + 1, "numbering them, too");
    cr_expect(topo.problems & PCID_PROB_BUSES);
    raw_free(w);
}

Test(pcid_enum_hostile, bus_numbers_run_out)
{
    /* 31 devices of 8 bridge functions on bus 0, each with a bridge behind
     * it: more bridges than bus numbers. */
    struct raw *w = raw_new();
    w->everywhere = raw_fn_new(0x1af4, PCI_HEADER_MULTIFUNCTION | PCI_HEADER_TYPE_BRIDGE);
    struct pcid_cfg c = {.read = raw_read, .write = raw_write, .ctx = w};
    struct pcid_enum_opts o = {.assign_buses = true};
    cr_assert_eq(pcid_enumerate(&c, &o, &topo), IOSIM_OK);
    cr_expect(topo.problems & (PCID_PROB_BUSES | PCID_PROB_TOO_MANY));
    cr_expect_leq(topo.last_bus, 255);
    raw_free(w);
}

Test(pcid_enum_hostile, vendor_zero_and_all_ones_are_absent)
{
    struct raw *w = raw_new();
    raw_put(w, 0, 0, 0, PCI_HEADER_MULTIFUNCTION);
    struct raw_fn *z = raw_put(w, 0, 0, 1, 0);
    z->cfg[PCI_VENDOR_ID] = z->cfg[PCI_VENDOR_ID + 1] = 0;
    raw_put(w, 0, 0, 2, 0);
    raw_put(w, 0, 3, 1, 0); /* function 1 of a device without function 0 */
    enum_raw(w, false);
    cr_expect_eq(topo.count, 2);
    cr_expect_eq(topo.funcs[1].fn, 2);
    raw_free(w);
}

Test(pcid_enum_hostile, a_single_function_device_answering_everywhere_is_one_function)
{
    /* Some devices decode only the device number: functions 1..7 alias 0. */
    struct raw *w = raw_new();
    struct raw_fn *f = raw_put(w, 0, 4, 0, 0);
    for (uint8_t fn = 1; fn < PCI_FNS_PER_DEV; fn++)
        w->fn[0][4][fn] = raw_fn_new(0x1af4, 0);
    enum_raw(w, false);
    cr_expect_eq(topo.count, 1, "without the multi-function bit only function 0 is read");
    (void)f;
    raw_free(w);
}
