/*
 * models/pci/pci_func, one clause of the specifications per test: every
 * header register's bits (read-only, read-write, write-1-to-clear), BAR
 * sizing for each BAR kind, the capability list, MSI, MSI-X table and PBA
 * semantics, INTx, hostile accesses and reset.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "models/pci/pci_func.h"

/* A function with a bit of everything. */
static struct pci_func_desc rich(void)
{
    struct pci_func_desc d = {
        .vendor = 0x8086, .device = 0x1e31, .subsys_vendor = 0x17aa, .subsys = 0x21f3,
        .class_code = PCI_CLASS_SERIAL_BUS, .subclass = PCI_SUBCLASS_SERIAL_USB,
        .prog_if = PCI_PROG_IF_USB_XHCI, .revision = 4, .int_pin = 1,
        .bar = {{PCI_BAR_MEM64, 64 << 10, false}, {PCI_BAR_NONE, 0, false},
                {PCI_BAR_MEM32, 4096, true}, {PCI_BAR_IO, 32, false},
                {PCI_BAR_MEM64, 8ull << 30, true}, {PCI_BAR_NONE, 0, false}},
        .pm = {true},
        .msi = {true, 3, true, true},
        .msix = {true, 16, 0, 0, 0x2000, 0x3000},
        .pcie = {true, PCI_EXP_TYPE_ENDPOINT, 3, 4},
    };
    return d;
}

static struct pci_func f;

static void init_rich(void)
{
    struct pci_func_desc d = rich();
    cr_assert_eq(pci_func_init(&f, &d), IOSIM_OK, "%s", pci_func_desc_problem(&d));
}

static void fini(void)
{
    pci_func_fini(&f);
}

static uint32_t rd(uint32_t off, unsigned size)
{
    return pci_func_cfg_read(&f, off, size, NULL);
}

/* ---- the header, register by register [LB 6.1, 6.2] ------------------------------------- */

struct reg_row {
    const char *name;
    uint32_t off;
    unsigned size;
    uint32_t reset, rw, w1c;
};

static const struct reg_row header_rows[] = {
    {"vendor id", PCI_VENDOR_ID, 2, 0x8086, 0, 0},
    {"device id", PCI_DEVICE_ID, 2, 0x1e31, 0, 0},
    {"command", PCI_COMMAND, 2, 0,
     PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY |
         PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE, 0},
    {"status", PCI_STATUS, 2, PCI_STATUS_CAP_LIST, 0, PCI_STATUS_W1C},
    {"revision", PCI_REVISION_ID, 1, 4, 0, 0},
    {"programming interface", PCI_PROG_IF, 1, PCI_PROG_IF_USB_XHCI, 0, 0},
    {"subclass", PCI_SUBCLASS, 1, PCI_SUBCLASS_SERIAL_USB, 0, 0},
    {"class", PCI_CLASS, 1, PCI_CLASS_SERIAL_BUS, 0, 0},
    {"cache line size", PCI_CACHE_LINE_SIZE, 1, 0, 0xff, 0},
    {"latency timer (PCIe: hardwired 0)", PCI_LATENCY_TIMER, 1, 0, 0, 0},
    {"header type", PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_NORMAL, 0, 0},
    {"bist", PCI_BIST, 1, 0, 0, 0},
    {"cardbus cis", PCI_CARDBUS_CIS, 4, 0, 0, 0},
    {"subsystem vendor", PCI_SUBSYS_VENDOR_ID, 2, 0x17aa, 0, 0},
    {"subsystem id", PCI_SUBSYS_ID, 2, 0x21f3, 0, 0},
    {"expansion rom (none)", PCI_ROM_BAR, 4, 0, 0, 0},
    {"capabilities pointer", PCI_CAP_PTR, 1, PCI_CAP_FIRST, 0, 0},
    {"interrupt line", PCI_INTERRUPT_LINE, 1, 0, 0xff, 0},
    {"interrupt pin", PCI_INTERRUPT_PIN, 1, 1, 0, 0},
    {"min_gnt", PCI_MIN_GNT, 1, 0, 0, 0},
    {"max_lat", PCI_MAX_LAT, 1, 0, 0, 0},
};

static uint32_t ones(unsigned size)
{
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void check_rows(const struct reg_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct reg_row *r = &rows[i];
        cr_expect_eq(rd(r->off, r->size), r->reset, "%s resets to 0x%x", r->name, r->reset);
        (void)pci_func_cfg_write(&f, r->off, r->size, ones(r->size));
        cr_expect_eq(rd(r->off, r->size), (r->reset & ~r->w1c) | r->rw,
                     "%s after writing ones: 0x%x", r->name, rd(r->off, r->size));
        (void)pci_func_cfg_write(&f, r->off, r->size, 0);
        cr_expect_eq(rd(r->off, r->size), r->reset & ~r->rw & ~r->w1c, "%s after writing zeros",
                     r->name);
        if (r->w1c != 0) { /* set by the device, cleared by writing 1 and only 1 */
            for (unsigned b = 0; b < r->size; b++)
                f.cfg[r->off + b] |= (uint8_t)(r->w1c >> (8 * b));
            (void)pci_func_cfg_write(&f, r->off, r->size, 0);
            cr_expect_eq(rd(r->off, r->size) & r->w1c, r->w1c, "%s: writing 0 keeps W1C bits",
                         r->name);
            (void)pci_func_cfg_write(&f, r->off, r->size, r->w1c & 0x0800u);
            cr_expect_eq(rd(r->off, r->size) & r->w1c, r->w1c & ~0x0800u,
                         "%s: writing 1 clears that bit only", r->name);
        }
    }
}

Test(pci_header, every_register_has_its_read_only_read_write_and_w1c_bits, .init = init_rich,
     .fini = fini)
{
    check_rows(header_rows, sizeof header_rows / sizeof header_rows[0]);
}

/* The type 1 header [PCI-to-PCI Bridge 1.2, 3.2]: bus numbers and the
 * memory window are software's; the model has no I/O or prefetchable
 * window, which the bridge spec says read-only 0 registers mean. */
static const struct reg_row bridge_rows[] = {
    {"vendor id", PCI_VENDOR_ID, 2, 0x8086, 0, 0},
    {"command", PCI_COMMAND, 2, 0,
     PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
         PCI_COMMAND_INTX_DISABLE, 0},
    {"status", PCI_STATUS, 2, 0, 0, PCI_STATUS_W1C},
    {"class", PCI_CLASS, 1, PCI_CLASS_BRIDGE, 0, 0},
    {"subclass", PCI_SUBCLASS, 1, PCI_SUBCLASS_BRIDGE_PCI, 0, 0},
    {"header type", PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_BRIDGE, 0, 0},
    {"primary bus", PCI_BRIDGE_PRIMARY_BUS, 1, 0, 0xff, 0},
    {"secondary bus", PCI_BRIDGE_SECONDARY_BUS, 1, 0, 0xff, 0},
    {"subordinate bus", PCI_BRIDGE_SUBORDINATE_BUS, 1, 0, 0xff, 0},
    {"I/O base (none)", PCI_BRIDGE_IO_BASE, 1, 0, 0, 0},
    {"I/O limit (none)", PCI_BRIDGE_IO_LIMIT, 1, 0, 0, 0},
    {"memory base", PCI_BRIDGE_MEM_BASE, 2, 0, PCI_BRIDGE_MEM_ADDR_MASK, 0},
    {"memory limit", PCI_BRIDGE_MEM_LIMIT, 2, 0, PCI_BRIDGE_MEM_ADDR_MASK, 0},
    {"prefetchable base (none)", PCI_BRIDGE_PREF_BASE, 2, 0, 0, 0},
    {"prefetchable limit (none)", PCI_BRIDGE_PREF_LIMIT, 2, 0, 0, 0},
    {"prefetchable base upper", PCI_BRIDGE_PREF_BASE_UPPER, 4, 0, 0, 0},
    {"prefetchable limit upper", PCI_BRIDGE_PREF_LIMIT_UPPER, 4, 0, 0, 0},
    {"interrupt line", PCI_INTERRUPT_LINE, 1, 0, 0xff, 0},
    {"bridge control", PCI_BRIDGE_CONTROL, 2, 0, 0x0fff, 0},
};

Test(pci_header, every_bridge_register_has_its_bits, .fini = fini)
{
    struct pci_func_desc d = {.vendor = 0x8086, .device = 0x1901, .bridge = true,
                              .class_code = PCI_CLASS_BRIDGE, .subclass = PCI_SUBCLASS_BRIDGE_PCI};
    cr_assert_eq(pci_func_init(&f, &d), IOSIM_OK);
    check_rows(bridge_rows, sizeof bridge_rows / sizeof bridge_rows[0]);
}

Test(pci_header, command_memory_and_io_are_hardwired_when_no_bar_needs_them)
{
    struct pci_func_desc d = {.vendor = 0x1af4, .device = 0x1000};
    cr_assert_eq(pci_func_init(&f, &d), IOSIM_OK);
    (void)pci_func_cfg_write(&f, PCI_COMMAND, 2, 0xffff);
    cr_expect_eq(rd(PCI_COMMAND, 2), PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
                                         PCI_COMMAND_INTX_DISABLE);
    cr_expect_eq(rd(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0, "no capabilities, no list bit");
    cr_expect_eq(rd(PCI_CAP_PTR, 1), 0);
    pci_func_fini(&f);
}

Test(pci_header, a_multifunction_device_sets_header_type_bit_7)
{
    struct pci_func_desc d = {.vendor = 0x8086, .device = 0x2922, .multifunction = true};
    cr_assert_eq(pci_func_init(&f, &d), IOSIM_OK);
    cr_expect_eq(rd(PCI_HEADER_TYPE, 1), PCI_HEADER_MULTIFUNCTION | PCI_HEADER_TYPE_NORMAL);
    pci_func_fini(&f);
}

Test(pci_header, a_bridge_has_writable_bus_numbers_and_a_memory_window)
{
    struct pci_func_desc d = {.vendor = 0x8086, .device = 0x1901, .bridge = true,
                              .class_code = PCI_CLASS_BRIDGE, .subclass = PCI_SUBCLASS_BRIDGE_PCI};
    cr_assert_eq(pci_func_init(&f, &d), IOSIM_OK);
    cr_expect_eq(rd(PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_BRIDGE);
    cr_expect_eq(pci_func_cfg_write(&f, PCI_BRIDGE_PRIMARY_BUS, 4, 0x00050100u) & PCI_FUNC_CHG_BUS,
                 PCI_FUNC_CHG_BUS);
    cr_expect_eq(rd(PCI_BRIDGE_SECONDARY_BUS, 1), 1);
    cr_expect_eq(rd(PCI_BRIDGE_SUBORDINATE_BUS, 1), 5);
    (void)pci_func_cfg_write(&f, PCI_BRIDGE_MEM_BASE, 4, 0xffffffffu);
    cr_expect_eq(rd(PCI_BRIDGE_MEM_BASE, 4), 0xfff0fff0u, "1 MiB granular window");
    pci_func_fini(&f);
}

/* ---- BAR sizing [LB 6.2.5.1] ------------------------------------------------------------------ */

struct bar_row {
    const char *name;
    unsigned bar;
    uint32_t reset_lo, sized_lo, reset_hi, sized_hi;
    bool has_hi;
};

static const struct bar_row bar_rows[] = {
    {"64-bit memory, 64 KiB", 0, PCI_BAR_MEM_TYPE_64, 0xffff0000u | PCI_BAR_MEM_TYPE_64, 0,
     0xffffffffu, true},
    {"32-bit prefetchable memory, 4 KiB", 2, PCI_BAR_MEM_PREFETCH,
     0xfffff000u | PCI_BAR_MEM_PREFETCH, 0, 0, false},
    {"I/O, 32 bytes", 3, PCI_BAR_SPACE_IO, 0xffffffe0u | PCI_BAR_SPACE_IO, 0, 0, false},
    {"64-bit prefetchable memory, 8 GiB", 4, PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH,
     PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH, 0, 0xfffffffeu, true},
};

Test(pci_bar, sizing_reads_back_the_size_mask_and_the_type_bits, .init = init_rich, .fini = fini)
{
    for (size_t i = 0; i < sizeof bar_rows / sizeof bar_rows[0]; i++) {
        const struct bar_row *r = &bar_rows[i];
        uint32_t lo = PCI_BAR0 + 4 * r->bar;
        cr_expect_eq(rd(lo, 4), r->reset_lo, "%s resets", r->name);
        uint32_t chg = pci_func_cfg_write(&f, lo, 4, 0xffffffffu) & (PCI_FUNC_CHG_BAR0 << r->bar);
        cr_expect_eq(chg != 0, r->sized_lo != r->reset_lo, "%s: a change is reported if any",
                     r->name);
        cr_expect_eq(rd(lo, 4), r->sized_lo, "%s: low half sized 0x%08x", r->name, rd(lo, 4));
        if (r->has_hi) {
            cr_expect_eq(rd(lo + 4, 4), r->reset_hi, "%s: high half resets", r->name);
            (void)pci_func_cfg_write(&f, lo + 4, 4, 0xffffffffu);
            cr_expect_eq(rd(lo + 4, 4), r->sized_hi, "%s: high half sized", r->name);
        }
    }
}

Test(pci_bar, empty_slots_read_0_and_ignore_writes)
{
    struct pci_func_desc d = {.vendor = 0x1af4, .device = 0x1000,
                              .bar = {[1] = {PCI_BAR_MEM32, 4096, false}}};
    cr_assert_eq(pci_func_init(&f, &d), IOSIM_OK);
    for (unsigned i = 0; i < PCI_BAR_COUNT; i++) {
        if (i == 1)
            continue;
        cr_expect_eq(pci_func_cfg_write(&f, PCI_BAR0 + 4 * i, 4, 0xffffffffu), 0, "BAR %u", i);
        cr_expect_eq(rd(PCI_BAR0 + 4 * i, 4), 0, "BAR %u", i);
    }
    pci_func_fini(&f);
}

Test(pci_bar, a_programmed_64_bit_bar_decodes_above_4_gib, .init = init_rich, .fini = fini)
{
    (void)pci_func_cfg_write(&f, PCI_BAR0 + 16, 4, 0x00000000u);
    (void)pci_func_cfg_write(&f, PCI_BAR0 + 20, 4, 0x00000004u); /* 16 GiB */
    uint64_t addr, size;
    enum pci_bar_kind kind;
    cr_assert(pci_func_bar(&f, 4, &addr, &size, &kind));
    cr_expect_eq(addr, 0x400000000ull);
    cr_expect_eq(size, 8ull << 30);
    cr_expect_eq(kind, PCI_BAR_MEM64);
    cr_expect_not(pci_func_bar(&f, 5, &addr, &size, &kind), "the high half is not a BAR");
    (void)pci_func_cfg_write(&f, PCI_BAR0 + 20, 4, 0x00000005u); /* misaligned for 8 GiB */
    cr_assert(pci_func_bar(&f, 4, &addr, &size, &kind));
    cr_expect_eq(addr, 0x400000000ull, "bit 32 of an 8 GiB BAR is read-only");
}

Test(pci_bar, writes_below_the_size_are_ignored, .init = init_rich, .fini = fini)
{
    (void)pci_func_cfg_write(&f, PCI_BAR0 + 8, 4, 0xfebc1234u);
    cr_expect_eq(rd(PCI_BAR0 + 8, 4), 0xfebc1000u | PCI_BAR_MEM_PREFETCH);
    (void)pci_func_cfg_write(&f, PCI_BAR0 + 12, 2, 0xe01fu);
    cr_expect_eq(rd(PCI_BAR0 + 12, 4), 0xe000u | PCI_BAR_SPACE_IO, "byte-wise writes too");
}

/* ---- capability list [LB 6.7] -------------------------------------------------------------------- */

Test(pci_caps, the_list_links_every_capability_once_and_ends, .init = init_rich, .fini = fini)
{
    static const uint8_t want[] = {PCI_CAP_ID_PM, PCI_CAP_ID_MSI, PCI_CAP_ID_PCIE, PCI_CAP_ID_MSIX};
    uint32_t at = rd(PCI_CAP_PTR, 1) & PCI_CAP_PTR_MASK, n = 0;
    while (at != 0 && n < PCI_CAPS_MAX) {
        cr_assert_lt(n, sizeof want);
        cr_expect_eq(rd(at + PCI_CAP_ID, 1), want[n], "capability %u", n);
        cr_expect_eq(at % 4, 0, "capabilities are dword aligned");
        cr_expect_geq(at, PCI_CAP_FIRST);
        (void)pci_func_cfg_write(&f, at, 2, 0xffff); /* id and next are read-only */
        at = rd(at + PCI_CAP_NEXT, 1) & PCI_CAP_PTR_MASK;
        n++;
    }
    cr_expect_eq(n, sizeof want);
}

Test(pci_caps, each_capability_reports_what_the_device_has, .init = init_rich, .fini = fini)
{
    cr_expect_eq(rd(f.cap_pm + PCI_PM_PMC, 2) & 7, PCI_PM_PMC_VERSION_1_2);
    uint32_t msi = rd(f.cap_msi + PCI_MSI_CTRL, 2);
    cr_expect_eq((msi & PCI_MSI_CTRL_MMC_MASK) >> PCI_MSI_CTRL_MMC_SHIFT, 3);
    cr_expect(msi & PCI_MSI_CTRL_64BIT);
    cr_expect(msi & PCI_MSI_CTRL_PVM);
    uint32_t lnk = rd(f.cap_pcie + PCI_EXP_LNKCAP, 4);
    cr_expect_eq(lnk & PCI_EXP_LNK_SPEED_MASK, 3, "8 GT/s");
    cr_expect_eq((lnk & PCI_EXP_LNK_WIDTH_MASK) >> PCI_EXP_LNK_WIDTH_SHIFT, 4, "x4");
    cr_expect_eq(rd(f.cap_pcie + PCI_EXP_LNKSTA, 2), lnk & 0x3ff, "trained at its maximum");
    cr_expect_eq(rd(f.cap_pcie + PCI_EXP_CAPS, 2) >> PCI_EXP_CAPS_TYPE_SHIFT & 0xf,
                 PCI_EXP_TYPE_ENDPOINT);
    cr_expect_eq(rd(f.cap_msix + PCI_MSIX_CTRL, 2) & PCI_MSIX_CTRL_SIZE_MASK, 15);
    cr_expect_eq(rd(f.cap_msix + PCI_MSIX_TABLE, 4), 0x2000u | 0);
    cr_expect_eq(rd(f.cap_msix + PCI_MSIX_PBA, 4), 0x3000u | 0);
}

Test(pci_caps, pm_state_is_writable_and_pme_status_is_w1c, .init = init_rich, .fini = fini)
{
    uint32_t csr = f.cap_pm + PCI_PM_CSR;
    (void)pci_func_cfg_write(&f, csr, 2, 0xffff);
    cr_expect_eq(rd(csr, 2), PCI_PM_CSR_STATE_MASK | PCI_PM_CSR_PME_ENABLE | PCI_PM_CSR_NO_SOFT_RESET);
    f.cfg[csr + 1] |= 0x80;
    (void)pci_func_cfg_write(&f, csr, 2, PCI_PM_CSR_PME_STATUS);
    cr_expect_eq(rd(csr, 2) & PCI_PM_CSR_PME_STATUS, 0);
}

/* ---- MSI [LB 6.8.1] ------------------------------------------------------------------------------- */

Test(pci_msi, vectors_allocated_are_capped_by_those_requested_and_data_carries_the_vector,
     .init = init_rich, .fini = fini)
{
    uint32_t c = f.cap_msi;
    (void)pci_func_cfg_write(&f, c + PCI_MSI_ADDR_LO, 4, 0xfee00003u);
    cr_expect_eq(rd(c + PCI_MSI_ADDR_LO, 4), 0xfee00000u, "address bits 1:0 are 0");
    (void)pci_func_cfg_write(&f, c + PCI_MSI_DATA_64, 2, 0x4041);
    (void)pci_func_cfg_write(&f, c + PCI_MSI_CTRL, 2, PCI_MSI_CTRL_ENABLE | 2u << 4); /* 4 vectors */
    struct pci_msg m;
    cr_assert_eq(pci_func_signal(&f, 3, &m), PCI_IRQ_MSG);
    cr_expect_eq(m.addr, 0xfee00000u);
    cr_expect_eq(m.data, 0x4043, "data with its two low bits replaced by the vector");
    cr_expect_eq(pci_func_signal(&f, 4, &m), PCI_IRQ_NONE, "beyond the enabled vectors");
    (void)pci_func_cfg_write(&f, c + PCI_MSI_CTRL, 2, PCI_MSI_CTRL_ENABLE | 7u << 4);
    cr_expect_eq(pci_func_signal(&f, 7, &m), PCI_IRQ_MSG, "8 vectors requested, 8 given");
    cr_expect_eq(pci_func_signal(&f, 8, &m), PCI_IRQ_NONE, "not more than requested");
}

Test(pci_msi, a_masked_vector_goes_pending_and_fires_when_unmasked, .init = init_rich, .fini = fini)
{
    uint32_t c = f.cap_msi;
    (void)pci_func_cfg_write(&f, c + PCI_MSI_CTRL, 2, PCI_MSI_CTRL_ENABLE | 3u << 4);
    (void)pci_func_cfg_write(&f, c + PCI_MSI_MASK_64, 4, 0x4);
    struct pci_msg m;
    uint32_t v;
    cr_expect_eq(pci_func_signal(&f, 2, &m), PCI_IRQ_NONE);
    cr_expect_eq(rd(c + PCI_MSI_PENDING_64, 4), 0x4);
    (void)pci_func_cfg_write(&f, c + PCI_MSI_PENDING_64, 4, 0); /* read-only */
    cr_expect_eq(rd(c + PCI_MSI_PENDING_64, 4), 0x4);
    cr_expect_not(pci_func_take_unmasked(&f, &v, &m), "still masked");
    (void)pci_func_cfg_write(&f, c + PCI_MSI_MASK_64, 4, 0);
    cr_assert(pci_func_take_unmasked(&f, &v, &m));
    cr_expect_eq(v, 2);
    cr_expect_eq(rd(c + PCI_MSI_PENDING_64, 4), 0);
    cr_expect_not(pci_func_take_unmasked(&f, &v, &m));
}

/* ---- MSI-X [LB 6.8.2] ----------------------------------------------------------------------------- */

static uint64_t xr(uint64_t off, unsigned size, bool *bad)
{
    return pci_func_msix_read(&f, 0, off, size, bad);
}

Test(pci_msix, every_vector_is_masked_after_reset_and_entries_are_read_write, .init = init_rich,
     .fini = fini)
{
    bool bad = false;
    for (uint32_t v = 0; v < 16; v++)
        cr_expect_eq(xr(0x2000 + 16 * v + PCI_MSIX_ENTRY_CTRL, 4, &bad), 1, "vector %u", v);
    cr_expect_not(pci_func_msix_write(&f, 0, 0x2010, 8, 0x00000001fee00007ull, &bad));
    cr_expect_eq(xr(0x2010, 8, &bad), 0x00000001fee00004ull, "address bits 1:0 are 0");
    (void)pci_func_msix_write(&f, 0, 0x201c, 4, 0xfffffffeu, &bad);
    cr_expect_eq(xr(0x201c, 4, &bad), 0, "reserved control bits read 0; unmasked");
    cr_expect_not(bad);
}

Test(pci_msix, a_masked_vector_sets_its_pending_bit_and_fires_when_unmasked, .init = init_rich,
     .fini = fini)
{
    bool bad = false;
    (void)pci_func_cfg_write(&f, f.cap_msix + PCI_MSIX_CTRL, 2, PCI_MSIX_CTRL_ENABLE);
    (void)pci_func_msix_write(&f, 0, 0x2000 + 16 * 5, 4, 0xfee01000u, &bad);
    (void)pci_func_msix_write(&f, 0, 0x2000 + 16 * 5 + 8, 4, 77, &bad);
    struct pci_msg m;
    uint32_t v;
    cr_expect_eq(pci_func_signal(&f, 5, &m), PCI_IRQ_NONE);
    cr_expect_eq(xr(0x3000, 8, &bad), 1u << 5, "pending bit 5");
    cr_expect(pci_func_msix_write(&f, 0, 0x2000 + 16 * 5 + 12, 4, 0, &bad), "an unmask");
    cr_assert(pci_func_take_unmasked(&f, &v, &m));
    cr_expect_eq(v, 5);
    cr_expect_eq(m.addr, 0xfee01000u);
    cr_expect_eq(m.data, 77);
    cr_expect_eq(xr(0x3000, 8, &bad), 0);
    cr_expect_eq(pci_func_signal(&f, 5, &m), PCI_IRQ_MSG, "unmasked now: sent at once");
    cr_expect_not(bad);
}

Test(pci_msix, the_function_mask_holds_every_vector, .init = init_rich, .fini = fini)
{
    bool bad = false;
    (void)pci_func_cfg_write(&f, f.cap_msix + PCI_MSIX_CTRL, 2,
                             PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_FUNC_MASK);
    (void)pci_func_msix_write(&f, 0, 0x2000 + 12, 4, 0, &bad);
    struct pci_msg m;
    uint32_t v;
    cr_expect_eq(pci_func_signal(&f, 0, &m), PCI_IRQ_NONE);
    cr_expect_not(pci_func_take_unmasked(&f, &v, &m));
    (void)pci_func_cfg_write(&f, f.cap_msix + PCI_MSIX_CTRL, 2, PCI_MSIX_CTRL_ENABLE);
    cr_expect(pci_func_take_unmasked(&f, &v, &m));
    cr_expect_eq(v, 0);
}

Test(pci_msix, table_accesses_are_dword_or_qword_and_the_pba_is_read_only, .init = init_rich,
     .fini = fini)
{
    bool bad = false;
    cr_expect_eq(xr(0x2001, 1, &bad), 0xffffffffu);
    cr_expect(bad, "a byte access");
    bad = false;
    cr_expect_eq(xr(0x2004, 8, &bad), UINT64_MAX);
    cr_expect(bad, "a misaligned qword");
    bad = false;
    cr_expect_not(pci_func_msix_write(&f, 0, 0x3000, 4, 0xffffffffu, &bad));
    cr_expect(bad, "the PBA is read-only");
    bad = false;
    cr_expect_eq(xr(0x3000, 4, &bad), 0);
    cr_expect(pci_func_msix_owns(&f, 0, 0x20fc, 4));
    cr_expect_not(pci_func_msix_owns(&f, 0, 0x2100, 4), "past the 16 entries");
    cr_expect_not(pci_func_msix_owns(&f, 2, 0x2000, 4), "another BAR");
}

Test(pci_msix, msix_takes_precedence_over_msi_and_intx, .init = init_rich, .fini = fini)
{
    bool bad = false;
    struct pci_msg m;
    cr_expect_eq(pci_func_signal(&f, 0, &m), PCI_IRQ_INTX, "nothing enabled: INTx");
    (void)pci_func_cfg_write(&f, f.cap_msi + PCI_MSI_CTRL, 2, PCI_MSI_CTRL_ENABLE);
    cr_expect_eq(pci_func_signal(&f, 0, &m), PCI_IRQ_MSG, "MSI");
    (void)pci_func_cfg_write(&f, f.cap_msix + PCI_MSIX_CTRL, 2, PCI_MSIX_CTRL_ENABLE);
    (void)pci_func_msix_write(&f, 0, 0x2000 + 8, 4, 0x99, &bad);
    (void)pci_func_msix_write(&f, 0, 0x2000 + 12, 4, 0, &bad);
    cr_expect_eq(pci_func_signal(&f, 0, &m), PCI_IRQ_MSG);
    cr_expect_eq(m.data, 0x99, "the MSI-X entry, not MSI's data");
}

/* ---- INTx [LB 6.2.2, 6.2.3] ----------------------------------------------------------------------- */

Test(pci_intx, the_status_bit_follows_the_request_and_the_pin_obeys_intx_disable,
     .init = init_rich, .fini = fini)
{
    struct pci_msg m;
    (void)pci_func_cfg_write(&f, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
    cr_expect_eq(pci_func_signal(&f, 0, &m), PCI_IRQ_NONE);
    cr_expect(rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, "status shows the request anyway");
    cr_expect_not(f.intx_asserted);
    (void)pci_func_cfg_write(&f, PCI_STATUS, 2, PCI_STATUS_INTERRUPT); /* read-only */
    cr_expect(rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    pci_func_intx_clear(&f);
    cr_expect_eq(rd(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
    (void)pci_func_cfg_write(&f, PCI_COMMAND, 2, 0);
    cr_expect_eq(pci_func_signal(&f, 0, &m), PCI_IRQ_INTX);
    cr_expect(f.intx_asserted);
}

/* ---- hostile drivers ------------------------------------------------------------------------------- */

Test(pci_hostile, misaligned_wrong_size_and_out_of_range_accesses_read_ones_and_change_nothing,
     .init = init_rich, .fini = fini)
{
    static const struct {
        uint32_t off;
        unsigned size;
    } bad_access[] = {{0x01, 2}, {0x02, 4}, {0x05, 2}, {0x10, 3}, {0x10, 8}, {0x1000, 1}, {0xfff, 2}};
    uint8_t before[PCI_CFG_EXT_SIZE];
    memcpy(before, f.cfg, sizeof before);
    for (size_t i = 0; i < sizeof bad_access / sizeof bad_access[0]; i++) {
        bool bad = false;
        cr_expect_eq(pci_func_cfg_read(&f, bad_access[i].off, bad_access[i].size, &bad),
                     0xffffffffu);
        cr_expect(bad);
        cr_expect_eq(pci_func_cfg_write(&f, bad_access[i].off, bad_access[i].size, 0),
                     PCI_FUNC_CHG_BAD);
    }
    cr_expect_eq(memcmp(before, f.cfg, sizeof before), 0);
}

Test(pci_hostile, random_writes_never_touch_read_only_state, .init = init_rich, .fini = fini)
{
    uint8_t ro_before[PCI_CFG_EXT_SIZE];
    for (uint32_t i = 0; i < PCI_CFG_EXT_SIZE; i++)
        ro_before[i] = (uint8_t)(f.cfg[i] & ~f.rw[i] & ~f.w1c[i]);
    uint64_t s = 42;
    for (uint32_t n = 0; n < 200000; n++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        unsigned size = 1u << ((s >> 40) % 3);
        uint32_t off = (uint32_t)((s >> 20) % PCI_CFG_EXT_SIZE) & ~(size - 1);
        (void)pci_func_cfg_write(&f, off, size, (uint32_t)(s >> 11));
        struct pci_msg m;
        (void)pci_func_signal(&f, (uint32_t)(s >> 50) % 40, &m);
    }
    for (uint32_t i = 0; i < PCI_CFG_EXT_SIZE; i++) {
        if (i == PCI_STATUS && f.desc.int_pin != 0)
            continue; /* the interrupt status bit is the device's to set */
        if (f.cap_msi != 0 && i >= f.cap_msi + PCI_MSI_PENDING_64 && i < f.cap_msi + 24u)
            continue; /* MSI pending bits likewise */
        cr_assert_eq(f.cfg[i] & ~f.rw[i] & ~f.w1c[i], ro_before[i], "read-only byte 0x%x moved", i);
    }
}

/* ---- reset ------------------------------------------------------------------------------------------- */

Test(pci_reset, reset_state_is_the_freshly_initialised_state, .init = init_rich, .fini = fini)
{
    static struct pci_func fresh;
    struct pci_func_desc d = rich();
    cr_assert_eq(pci_func_init(&fresh, &d), IOSIM_OK);
    bool bad = false;
    (void)pci_func_cfg_write(&f, PCI_COMMAND, 2, 0xffff);
    (void)pci_func_cfg_write(&f, PCI_BAR0, 4, 0xfe000000u);
    (void)pci_func_cfg_write(&f, f.cap_msix + PCI_MSIX_CTRL, 2, PCI_MSIX_CTRL_ENABLE);
    (void)pci_func_msix_write(&f, 0, 0x2000, 8, 0xfee00000u, &bad);
    struct pci_msg m;
    (void)pci_func_signal(&f, 3, &m);
    pci_func_reset(&f);
    cr_expect_eq(memcmp(f.cfg, fresh.cfg, sizeof f.cfg), 0);
    cr_expect_eq(memcmp(f.rw, fresh.rw, sizeof f.rw), 0);
    cr_expect_eq(memcmp(f.w1c, fresh.w1c, sizeof f.w1c), 0);
    cr_expect_eq(memcmp(f.msix_table, fresh.msix_table, 16 * 16), 0);
    cr_expect_eq(memcmp(f.msix_pending, fresh.msix_pending, sizeof f.msix_pending), 0);
    pci_func_fini(&fresh);
}

/* ---- descriptors ---------------------------------------------------------------------------------- */

Test(pci_desc, impossible_functions_are_refused_with_a_reason)
{
    struct pci_func_desc base = {.vendor = 0x8086, .device = 1};
    struct {
        const char *what;
        struct pci_func_desc d;
    } bad[8];
    for (int i = 0; i < 8; i++)
        bad[i].d = base;
    bad[0].what = "vendor 0xffff";
    bad[0].d.vendor = 0xffff;
    bad[1].what = "BAR size not a power of two";
    bad[1].d.bar[0] = (struct pci_bar_desc){PCI_BAR_MEM32, 3000, false};
    bad[2].what = "64-bit BAR in the last slot";
    bad[2].d.bar[5] = (struct pci_bar_desc){PCI_BAR_MEM64, 4096, false};
    bad[3].what = "I/O BAR of 512 bytes";
    bad[3].d.bar[0] = (struct pci_bar_desc){PCI_BAR_IO, 512, false};
    bad[4].what = "MSI-X table outside its BAR";
    bad[4].d.bar[0] = (struct pci_bar_desc){PCI_BAR_MEM32, 4096, false};
    bad[4].d.msix = (struct pci_msix_desc){true, 512, 0, 0, 0, 0x800};
    bad[5].what = "interrupt pin 5";
    bad[5].d.int_pin = 5;
    bad[6].what = "PCIe generation 6";
    bad[6].d.pcie = (struct pci_pcie_desc){true, 0, 6, 1};
    bad[7].what = "bridge with BAR 2";
    bad[7].d.bridge = true;
    bad[7].d.bar[2] = (struct pci_bar_desc){PCI_BAR_MEM32, 4096, false};
    for (int i = 0; i < 8; i++) {
        cr_expect_neq(pci_func_desc_problem(&bad[i].d), NULL, "%s", bad[i].what);
        cr_expect_eq(pci_func_init(&f, &bad[i].d), IOSIM_EINVAL, "%s", bad[i].what);
    }
    struct pci_func_desc good = rich();
    cr_expect_eq(pci_func_desc_problem(&good), NULL);
}

/* ---- a function from a real one's dump ----------------------------------------------------- */

/* An xHCI-like dump: PM at 0x70, MSI at 0x80, an unknown capability (0x09,
 * vendor specific) at 0x90 in the chain, MSI-X at 0xa0; the BIOS left BAR 0
 * assigned and memory decoding on, and a W1C error bit set. */
static void make_image(uint8_t img[256])
{
    memset(img, 0, 256);
    static const uint8_t head[64] = {
        0x86, 0x80, 0x31, 0x1e, 0x06, 0x04, 0x90, 0x22, 0x04, 0x30, 0x03, 0x0c, 0x00, 0x00, 0x00, 0x00,
        0x04, 0x00, 0xf2, 0xf7, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xaa, 0x17, 0xf3, 0x21,
        0, 0, 0, 0, 0x70, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0x01, 0, 0};
    memcpy(img, head, sizeof head);
    img[0x70] = PCI_CAP_ID_PM, img[0x71] = 0x80, img[0x72] = 0xc2, img[0x73] = 0xc1;
    img[0x80] = PCI_CAP_ID_MSI, img[0x81] = 0x90, img[0x82] = 0x86 | 0x01; /* 8 vectors, 64-bit, enabled */
    img[0x90] = 0x09, img[0x91] = 0xa0, img[0x92] = 0x0c, img[0x93] = 0x5a;
    img[0xa0] = PCI_CAP_ID_MSIX, img[0xa1] = 0x00, img[0xa2] = 0x07, img[0xa3] = 0x80; /* 8, enabled */
    img[0xa4] = 0x00, img[0xa5] = 0x20; /* table: BAR 0 + 0x2000 */
    img[0xa8] = 0x00, img[0xa9] = 0x30; /* PBA: BAR 0 + 0x3000 */
}

static struct pci_func_desc image_desc(void)
{
    struct pci_func_desc d = {
        .vendor = 0x8086, .device = 0x1e31, .class_code = 0x0c, .subclass = 0x03,
        .prog_if = 0x30, .revision = 4, .int_pin = 1,
        .bar = {{PCI_BAR_MEM64, 64 << 10, false}},
        .pm = {true}, .msi = {true, 3, true, false}, .msix = {true, 8, 0, 0, 0x2000, 0x3000},
        .at = {.pm = 0x70, .msi = 0x80, .msix = 0xa0}};
    return d;
}

Test(pci_func_image, read_only_bits_are_the_dumps_writable_ones_are_at_reset)
{
    uint8_t img[256];
    make_image(img);
    struct pci_func_desc d = image_desc();
    cr_assert_eq(pci_func_init_image(&f, &d, img, sizeof img), IOSIM_OK, "%s",
                 pci_func_desc_problem(&d));
    cr_expect_eq(rd(PCI_VENDOR_ID, 4), 0x1e318086u);
    cr_expect_eq(rd(PCI_SUBSYS_VENDOR_ID, 4), 0x21f317aau);
    cr_expect_eq(rd(PCI_COMMAND, 2), 0, "decoding off out of reset, though the dump had it on");
    cr_expect_eq(rd(PCI_STATUS, 2), 0x0290, "RO bits kept, the W1C error bit cleared");
    cr_expect_eq(rd(PCI_BAR0, 4), PCI_BAR_MEM_TYPE_64, "the BIOS's address is gone, the type is not");
    cr_expect_eq(rd(PCI_CAP_PTR, 1), 0x70);
    cr_expect_eq(rd(0x71, 1), 0x80, "the dump's chain");
    cr_expect_eq(rd(0x91, 1), 0xa0, "through a capability the model does not know");
    cr_expect_eq(rd(0x92, 2), 0x5a0c, "whose contents are the dump's");
    cr_expect_eq(rd(0x82, 2), 0x0086, "MSI: 8 vectors and 64-bit from the dump, enable at reset");
    cr_expect_eq(rd(0xa2, 2), 0x0007, "MSI-X: 8 vectors, disabled");
    cr_expect_eq(rd(0xa4, 4), 0x2000);
    /* the model's behaviour at the dump's offsets */
    pci_func_cfg_write(&f, PCI_BAR0, 4, 0xffffffffu);
    pci_func_cfg_write(&f, PCI_BAR0 + 4, 4, 0xffffffffu);
    cr_expect_eq(rd(PCI_BAR0, 4), 0xffff0004u, "64 KiB by sizing");
    cr_expect_eq(rd(PCI_BAR0 + 4, 4), 0xffffffffu);
    pci_func_cfg_write(&f, 0xa2, 2, PCI_MSIX_CTRL_ENABLE);
    cr_expect_eq(rd(0xa2, 2), 0x8007);
    cr_expect(pci_func_msix_owns(&f, 0, 0x2000, 4), "the table where the dump says");
    pci_func_cfg_write(&f, 0x92, 2, 0xffff);
    cr_expect_eq(rd(0x92, 2), 0x5a0c, "an unknown capability is read-only");
    pci_func_reset(&f);
    cr_expect_eq(rd(0xa2, 2), 0x0007, "reset goes back to the dump");
    fini();
}

Test(pci_func_image, placed_capabilities_must_fit_and_not_overlap)
{
    struct pci_func_desc d = image_desc();
    d.at.msi = 0x74; /* inside PM */
    cr_expect_str_eq(pci_func_desc_problem(&d), "placed capabilities overlap");
    d = image_desc();
    d.at.msix = 0xfc;
    cr_expect_str_eq(pci_func_desc_problem(&d),
                     "a placed capability sits at a dword from 0x40 and fits below 0x100");
    d = image_desc();
    d.at.pm = 0x3c;
    cr_expect_neq(pci_func_desc_problem(&d), NULL, "in the header");
    uint8_t img[256];
    make_image(img);
    cr_expect_eq(pci_func_init_image(&f, &d, img, sizeof img), IOSIM_EINVAL);
    d = image_desc();
    cr_expect_eq(pci_func_init_image(&f, &d, NULL, 0), IOSIM_EINVAL);
    cr_expect_eq(pci_func_init_image(&f, &d, img, PCI_CFG_EXT_SIZE + 1), IOSIM_EINVAL);
}
