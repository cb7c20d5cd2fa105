/*
 * models/pci/pci_root and pci_generic on a machine, accesses made straight
 * on the bus (as the CPU's MMIO would reach it): ECAM addressing, absent
 * functions, multi-function devices, bridges and bus numbers, BAR decoding
 * and its conflicts, bus-master gating of DMA and of interrupt messages,
 * MSI, MSI-X and INTx delivery, link rates.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "models/pci/pci_generic.h"
#include "impl/port/spec/pci_generic_regs.h"
#include "models/pci/pci_root.h"
#include "sim/machine/machine.h"

#define ECAM 0xe0000000ull

static struct sim_machine *m;
static struct pci_root *root;
static struct pci_generic *gens[8];
static uint32_t ngens;

static void setup(void)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.mem_bytes = 16u << 20;
    cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
    struct pci_root_config rc;
    pci_root_config_default(&rc);
    rc.ecam_base = ECAM;
    rc.buses = 16;
    cr_assert_eq(pci_root_create(m, &rc, &root), IOSIM_OK);
    ngens = 0;
}

static void teardown(void)
{
    for (uint32_t i = 0; i < ngens; i++)
        pci_generic_destroy(gens[i]);
    pci_root_destroy(root);
    sim_machine_destroy(m);
}

static struct pci_fn_config gen_cfg(const char *name, uint8_t dev, uint8_t fn)
{
    struct pci_fn_config c = {
        .name = name, .dev = dev, .fn = fn, .intx_line = 11,
        .desc = {.vendor = 0x1234, .device = (uint16_t)(0x100 + dev), .class_code = 0xff,
                 .int_pin = 1,
                 .bar = {{PCI_BAR_MEM32, 4096, false}, {PCI_BAR_NONE, 0, false},
                         {PCI_BAR_MEM64, 1 << 20, true}}},
    };
    return c;
}

static struct pci_fn *add_gen(const struct pci_fn_config *c)
{
    const char *why = NULL;
    cr_assert_eq(pci_generic_create(root, c, 16, &gens[ngens], &why), IOSIM_OK, "%s", why);
    ngens++;
    return pci_root_fn(root, c->name);
}

static uint64_t bus_rd(uint64_t addr, unsigned size)
{
    struct sim_mmio_region *r = sim_bus_find(&m->bus, addr, size);
    if (r == NULL)
        return size == 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
    return r->ops->read(r->ctx, addr - r->base, size);
}

static void bus_wr(uint64_t addr, unsigned size, uint64_t v)
{
    struct sim_mmio_region *r = sim_bus_find(&m->bus, addr, size);
    if (r != NULL)
        r->ops->write(r->ctx, addr - r->base, size, v);
}

static uint64_t cfg_addr(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg)
{
    return ECAM + ((uint64_t)bus << 20 | dev << 15 | fn << 12 | reg);
}

static uint32_t cfg_rd(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg, unsigned size)
{
    return (uint32_t)bus_rd(cfg_addr(bus, dev, fn, reg), size);
}

static void cfg_wr(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg, unsigned size, uint32_t v)
{
    bus_wr(cfg_addr(bus, dev, fn, reg), size, v);
}

static void run_events(void)
{
    while (sim_engine_step(&m->eng, SIM_TIME_MAX)) {
    }
}

/* ---- ECAM and the function table --------------------------------------------------------- */

Test(pci_root, ecam_reaches_each_function_and_empty_slots_read_ones, .init = setup, .fini = teardown)
{
    struct pci_fn_config a = gen_cfg("a", 3, 0);
    add_gen(&a);
    cr_expect_eq(cfg_rd(0, 3, 0, PCI_VENDOR_ID, 2), 0x1234);
    cr_expect_eq(cfg_rd(0, 3, 0, PCI_DEVICE_ID, 2), 0x103);
    cr_expect_eq(cfg_rd(0, 3, 0, PCI_VENDOR_ID, 4), 0x01031234u);
    cr_expect_eq(cfg_rd(0, 4, 0, PCI_VENDOR_ID, 2), 0xffff, "an empty slot");
    cr_expect_eq(cfg_rd(0, 3, 1, PCI_VENDOR_ID, 4), 0xffffffffu, "a function nobody has");
    cr_expect_eq(cfg_rd(5, 3, 0, PCI_VENDOR_ID, 2), 0xffff, "another bus");
    cr_expect_eq(bus_rd(cfg_addr(0, 3, 0, PCI_VENDOR_ID), 8), UINT64_MAX, "8-byte config reads");
    cr_expect_null(sim_bus_find(&m->bus, cfg_addr(16, 0, 0, 0), 4), "the window is 16 buses");
}

Test(pci_root, functions_beyond_0_need_a_multifunction_function_0, .init = setup, .fini = teardown)
{
    struct pci_fn_config f0 = gen_cfg("f0", 2, 0), f1 = gen_cfg("f1", 2, 1);
    const char *why = NULL;
    struct pci_generic *g;
    cr_expect_eq(pci_generic_create(root, &f1, 16, &g, &why), IOSIM_EINVAL, "no function 0 yet");
    add_gen(&f0);
    cr_expect_eq(pci_generic_create(root, &f1, 16, &g, &why), IOSIM_EINVAL, "not multi-function");
    struct pci_fn_config m0 = gen_cfg("m0", 5, 0), m1 = gen_cfg("m1", 5, 1), m7 = gen_cfg("m7", 5, 7);
    m0.desc.multifunction = true;
    add_gen(&m0);
    add_gen(&m1);
    add_gen(&m7);
    cr_expect_eq(cfg_rd(0, 5, 0, PCI_HEADER_TYPE, 1), PCI_HEADER_MULTIFUNCTION);
    cr_expect_eq(cfg_rd(0, 5, 7, PCI_VENDOR_ID, 2), 0x1234);
    cr_expect_eq(pci_generic_create(root, &m1, 16, &g, &why), IOSIM_EEXIST);
}

/* ---- bridges -------------------------------------------------------------------------------- */

static void add_bridge(const char *name, const char *behind, uint8_t dev)
{
    struct pci_fn_config b = {.name = name, .behind = behind, .dev = dev,
                              .desc = {.vendor = 0x8086, .device = 0x1901, .bridge = true,
                                       .class_code = PCI_CLASS_BRIDGE,
                                       .subclass = PCI_SUBCLASS_BRIDGE_PCI}};
    const char *why = NULL;
    cr_assert_eq(pci_root_add(root, &b, NULL, &why), IOSIM_OK, "%s", why);
}

Test(pci_bridge, devices_behind_answer_on_the_secondary_bus_once_numbered, .init = setup,
     .fini = teardown)
{
    add_bridge("rp0", NULL, 1);
    add_bridge("sw0", "rp0", 0);
    struct pci_fn_config leaf = gen_cfg("leaf", 0, 0);
    leaf.behind = "sw0";
    add_gen(&leaf);
    cr_expect_eq(cfg_rd(0, 1, 0, PCI_VENDOR_ID, 2), 0x8086);
    cr_expect_eq(cfg_rd(1, 0, 0, PCI_VENDOR_ID, 2), 0xffff, "no bus numbers yet");
    cfg_wr(0, 1, 0, PCI_BRIDGE_PRIMARY_BUS, 4, 0x00040100u); /* primary 0, secondary 1, sub 4 */
    cr_expect_eq(cfg_rd(1, 0, 0, PCI_VENDOR_ID, 2), 0x8086, "the switch on bus 1");
    cr_expect_eq(cfg_rd(2, 0, 0, PCI_VENDOR_ID, 2), 0xffff, "the switch has no numbers yet");
    cfg_wr(1, 0, 0, PCI_BRIDGE_PRIMARY_BUS, 4, 0x00030201u);
    cr_expect_eq(cfg_rd(2, 0, 0, PCI_VENDOR_ID, 2), 0x1234, "the leaf on bus 2");
    cfg_wr(0, 1, 0, PCI_BRIDGE_SUBORDINATE_BUS, 1, 1);
    cr_expect_eq(cfg_rd(2, 0, 0, PCI_VENDOR_ID, 2), 0xffff, "the root port no longer forwards bus 2");
    cfg_wr(0, 1, 0, PCI_BRIDGE_SUBORDINATE_BUS, 1, 9);
    cfg_wr(1, 0, 0, PCI_BRIDGE_SECONDARY_BUS, 1, 7);
    cfg_wr(1, 0, 0, PCI_BRIDGE_SUBORDINATE_BUS, 1, 7);
    cr_expect_eq(cfg_rd(7, 0, 0, PCI_VENDOR_ID, 2), 0x1234, "renumbered: the leaf moves to bus 7");
    cr_expect_eq(cfg_rd(2, 0, 0, PCI_VENDOR_ID, 2), 0xffff);
}

Test(pci_bridge, a_bar_behind_a_bridge_decodes_only_inside_its_enabled_window, .init = setup,
     .fini = teardown)
{
    add_bridge("rp0", NULL, 1);
    struct pci_fn_config leaf = gen_cfg("leaf", 0, 0);
    leaf.behind = "rp0";
    add_gen(&leaf);
    cfg_wr(0, 1, 0, PCI_BRIDGE_PRIMARY_BUS, 4, 0x00010100u);
    cfg_wr(1, 0, 0, PCI_BAR0, 4, 0xfe100000u);
    cfg_wr(1, 0, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    cr_expect_null(sim_bus_find(&m->bus, 0xfe100000u, 4), "the bridge forwards nothing yet");
    cfg_wr(0, 1, 0, PCI_BRIDGE_MEM_BASE, 4, 0xfe10fe10u); /* window fe100000 - fe1fffff */
    cfg_wr(0, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    cr_expect_eq(bus_rd(0xfe100000u + PCIGEN_REG_ID, 4), 0x01001234u, "now it decodes");
    cfg_wr(0, 1, 0, PCI_BRIDGE_MEM_BASE, 4, 0xfe20fe20u);
    cr_expect_null(sim_bus_find(&m->bus, 0xfe100000u, 4), "outside the moved window");
}

/* ---- BAR decoding --------------------------------------------------------------------------- */

Test(pci_bar_decode, memory_enable_places_moves_and_removes_the_bar, .init = setup, .fini = teardown)
{
    struct pci_fn_config a = gen_cfg("a", 3, 0);
    add_gen(&a);
    cfg_wr(0, 3, 0, PCI_BAR0, 4, 0xfebf0000u);
    cr_expect_null(sim_bus_find(&m->bus, 0xfebf0000u, 4), "memory space off");
    cfg_wr(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    cr_expect_eq(bus_rd(0xfebf0000u, 4), 0x01031234u);
    bus_wr(0xfebf0000u + PCIGEN_REG_SCRATCH, 4, 0x5a5a);
    cfg_wr(0, 3, 0, PCI_BAR0, 4, 0xfeb00000u);
    cr_expect_null(sim_bus_find(&m->bus, 0xfebf0000u, 4), "moved away");
    cr_expect_eq(bus_rd(0xfeb00000u + PCIGEN_REG_SCRATCH, 4), 0x5a5a, "same device, new place");
    cfg_wr(0, 3, 0, PCI_BAR0 + 8, 4, 0x00000000u);
    cfg_wr(0, 3, 0, PCI_BAR0 + 12, 4, 0x00000001u); /* BAR 2 at 4 GiB */
    cr_expect_not_null(sim_bus_find(&m->bus, 0x100000000ull, 4), "a 64-bit BAR above 4 GiB");
    cfg_wr(0, 3, 0, PCI_COMMAND, 2, 0);
    cr_expect_null(sim_bus_find(&m->bus, 0xfeb00000u, 4));
    cr_expect_null(sim_bus_find(&m->bus, 0x100000000ull, 4));
}

Test(pci_bar_decode, an_overlapping_bar_does_not_decode_and_is_logged, .init = setup, .fini = teardown)
{
    struct pci_fn_config a = gen_cfg("a", 3, 0), b = gen_cfg("b", 4, 0);
    add_gen(&a);
    add_gen(&b);
    cfg_wr(0, 3, 0, PCI_BAR0, 4, 0xfe000000u);
    cfg_wr(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    cfg_wr(0, 4, 0, PCI_BAR0, 4, 0xfe000000u); /* the same place: a hostile enumerator */
    cfg_wr(0, 4, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    cr_expect_eq(bus_rd(0xfe000000u, 4), 0x01031234u, "the first one keeps it");
    cfg_wr(0, 4, 0, PCI_BAR0, 4, 0xfe001000u);
    cr_expect_eq(bus_rd(0xfe001000u, 4), 0x01041234u, "moved off: it decodes");
}

/* ---- DMA and bus mastering ---------------------------------------------------------------------- */

Test(pci_dma, dma_with_bus_mastering_off_never_reaches_memory, .init = setup, .fini = teardown)
{
    struct pci_fn_config a = gen_cfg("a", 3, 0);
    add_gen(&a);
    uint32_t *word = (uint32_t *)sim_mem_host(&m->mem, 0x8000, 4);
    *word = 0xcafe;
    cfg_wr(0, 3, 0, PCI_BAR0, 4, 0xfe000000u);
    cfg_wr(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    bus_wr(0xfe000000u + PCIGEN_REG_DMA_ADDR_LO, 4, 0x8000);
    bus_wr(0xfe000000u + PCIGEN_REG_DMA_GO, 4, PCIGEN_DMA_GO_READ);
    run_events();
    cr_expect_eq(bus_rd(0xfe000000u + PCIGEN_REG_DMA_STATUS, 4), PCIGEN_DMA_NO_MASTER);
    cr_expect_eq(m->count.dma_errors, 1);
    cr_expect_eq(m->count.dma_reads, 0);
    cfg_wr(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    bus_wr(0xfe000000u + PCIGEN_REG_DMA_GO, 4, PCIGEN_DMA_GO_READ);
    run_events();
    cr_expect_eq(bus_rd(0xfe000000u + PCIGEN_REG_DMA_STATUS, 4), PCIGEN_DMA_OK);
    cr_expect_eq(bus_rd(0xfe000000u + PCIGEN_REG_DMA_DATA, 4), 0xcafe);
    cr_expect_eq(m->count.dma_reads, 1);
}

/* ---- interrupts ------------------------------------------------------------------------------- */

Test(pci_irq, msi_arrives_on_the_line_its_data_names_after_the_message_latency, .init = setup,
     .fini = teardown)
{
    struct pci_fn_config a = gen_cfg("a", 3, 0);
    a.desc.msi = (struct pci_msi_desc){true, 2, true, false};
    add_gen(&a);
    uint32_t cap = pci_fn_func(pci_root_fn(root, "a"))->cap_msi;
    cfg_wr(0, 3, 0, cap + PCI_MSI_ADDR_LO, 4, PCI_MSI_X86_BASE);
    cfg_wr(0, 3, 0, cap + PCI_MSI_DATA_64, 2, 40);
    cfg_wr(0, 3, 0, cap + PCI_MSI_CTRL, 2, PCI_MSI_CTRL_ENABLE | 2u << 4);
    cfg_wr(0, 3, 0, PCI_BAR0, 4, 0xfe000000u);
    cfg_wr(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    bus_wr(0xfe000000u + PCIGEN_REG_IRQ, 4, 3);
    cr_expect_not(m->irq[43].pending, "not yet: the message is on its way");
    sim_time_ps t0 = m->eng.now_ps;
    run_events();
    cr_expect(m->irq[43].pending, "vector 3 of data 40");
    cr_expect_eq(m->eng.now_ps - t0, 1 * SIM_US);
    cr_expect_not(m->irq[11].pending, "not INTx");
}

Test(pci_irq, messages_need_bus_mastering, .init = setup, .fini = teardown)
{
    struct pci_fn_config a = gen_cfg("a", 3, 0);
    a.desc.msi = (struct pci_msi_desc){true, 0, false, false};
    add_gen(&a);
    uint32_t cap = pci_fn_func(pci_root_fn(root, "a"))->cap_msi;
    cfg_wr(0, 3, 0, cap + PCI_MSI_ADDR_LO, 4, PCI_MSI_X86_BASE);
    cfg_wr(0, 3, 0, cap + PCI_MSI_DATA_32, 2, 50);
    cfg_wr(0, 3, 0, cap + PCI_MSI_CTRL, 2, PCI_MSI_CTRL_ENABLE);
    pci_fn_interrupt(pci_root_fn(root, "a"), 0);
    run_events();
    cr_expect_not(m->irq[50].pending);
}

Test(pci_irq, a_message_outside_the_interrupt_window_is_a_memory_write, .init = setup,
     .fini = teardown)
{
    struct pci_fn_config a = gen_cfg("a", 3, 0);
    a.desc.msi = (struct pci_msi_desc){true, 0, true, false};
    add_gen(&a);
    uint32_t cap = pci_fn_func(pci_root_fn(root, "a"))->cap_msi;
    cfg_wr(0, 3, 0, cap + PCI_MSI_ADDR_LO, 4, 0x9000);
    cfg_wr(0, 3, 0, cap + PCI_MSI_DATA_64, 2, 0x4242);
    cfg_wr(0, 3, 0, cap + PCI_MSI_CTRL, 2, PCI_MSI_CTRL_ENABLE);
    cfg_wr(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    pci_fn_interrupt(pci_root_fn(root, "a"), 0);
    run_events();
    cr_expect_eq(*(uint32_t *)sim_mem_host(&m->mem, 0x9000, 4), 0x4242);
    cr_expect_eq(m->count.dma_writes, 1);
}

Test(pci_irq, an_msix_vector_unmasked_through_its_bar_delivers_what_was_pending, .init = setup,
     .fini = teardown)
{
    struct pci_fn_config a = gen_cfg("a", 3, 0);
    a.desc.msix = (struct pci_msix_desc){true, 4, 0, 0, 0x800, 0xc00};
    add_gen(&a);
    uint32_t cap = pci_fn_func(pci_root_fn(root, "a"))->cap_msix;
    cfg_wr(0, 3, 0, PCI_BAR0, 4, 0xfe000000u);
    cfg_wr(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    cfg_wr(0, 3, 0, cap + PCI_MSIX_CTRL, 2, PCI_MSIX_CTRL_ENABLE);
    uint64_t e2 = 0xfe000000u + 0x800 + 2 * 16;
    bus_wr(e2 + PCI_MSIX_ENTRY_ADDR_LO, 4, PCI_MSI_X86_BASE);
    bus_wr(e2 + PCI_MSIX_ENTRY_DATA, 4, 60);
    bus_wr(0xfe000000u + PCIGEN_REG_IRQ, 4, 2);
    run_events();
    cr_expect_not(m->irq[60].pending, "masked after reset");
    cr_expect_eq(bus_rd(0xfe000000u + 0xc00, 4), 1u << 2, "pending, as the PBA shows");
    bus_wr(e2 + PCI_MSIX_ENTRY_CTRL, 4, 0);
    run_events();
    cr_expect(m->irq[60].pending);
    cr_expect_eq(bus_rd(0xfe000000u + 0xc00, 4), 0);
}

Test(pci_irq, intx_raises_the_functions_line_unless_disabled, .init = setup, .fini = teardown)
{
    struct pci_fn_config a = gen_cfg("a", 3, 0);
    add_gen(&a);
    struct pci_fn *f = pci_root_fn(root, "a");
    cfg_wr(0, 3, 0, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    pci_fn_interrupt(f, 0);
    cr_expect_not(m->irq[11].pending);
    cr_expect(cfg_rd(0, 3, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    cfg_wr(0, 3, 0, PCI_COMMAND, 2, 0);
    cr_expect(m->irq[11].pending, "asserted as soon as it is allowed");
}

/* ---- link timing [PCIe 4.2] -------------------------------------------------------------------- */

Test(pci_link, rates_follow_the_generations_encodings)
{
    static const struct {
        uint8_t gen, width;
        uint64_t bytes_per_s;
    } rows[] = {{1, 1, 250000000ull}, {2, 1, 500000000ull}, {3, 1, 984615384ull},
                {4, 1, 1969230769ull}, {5, 1, 3938461538ull}, {3, 16, 15753846144ull},
                {2, 4, 2000000000ull}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_expect_eq(pci_link_bytes_per_s(rows[i].gen, rows[i].width), rows[i].bytes_per_s,
                     "gen %u x%u", rows[i].gen, rows[i].width);
}

/* [LB 6.2.4]: firmware writes the pin's routing into Interrupt Line; the
 * model starts as firmware left it. */
Test(pci_root, interrupt_line_starts_as_firmware_left_it, .init = setup, .fini = teardown)
{
    struct pci_fn_config a = gen_cfg("a", 3, 0), b = gen_cfg("b", 4, 0), c = gen_cfg("c", 5, 0);
    a.intx_line = 11;
    b.intx_line = 300; /* no 8-bit encoding */
    c.desc.int_pin = 0;
    c.intx_line = 9;
    add_gen(&a);
    add_gen(&b);
    add_gen(&c);
    cr_expect_eq(cfg_rd(0, 3, 0, PCI_INTERRUPT_LINE, 1), 11);
    cr_expect_eq(cfg_rd(0, 4, 0, PCI_INTERRUPT_LINE, 1), 0xff, "unknown");
    cr_expect_eq(cfg_rd(0, 5, 0, PCI_INTERRUPT_LINE, 1), 0, "no pin, nothing routed");
    cfg_wr(0, 3, 0, PCI_INTERRUPT_LINE, 1, 5);
    cr_expect_eq(cfg_rd(0, 3, 0, PCI_INTERRUPT_LINE, 1), 5, "still software's register");
}
