/* The controller profiles; see xhci_profile.h and docs/xhci-profiles.md,
 * which gives the source of every value. */
#include "models/xhci/xhci_profile.h"

#include <string.h>

#include "impl/port/check.h"
#include "impl/port/spec/pci_regs.h"
#include "impl/port/spec/xhci_regs.h"

/* ---- qemu-xhci ------------------------------------------------------------------------------- */

/* Supported Protocol USB 2.0 (ports 5..8) then USB 3.0 (ports 1..4):
 * docs/xhci-profiles.md 1.3. */
static const uint32_t qemu_xcap[] = {
    0x02000402, XHCI_PROTO_NAME_USB, 0x00000405, 0x00000000,
    0x03000002, XHCI_PROTO_NAME_USB, 0x00000401, 0x00000000,
};

/* `-device qemu-xhci` with its defaults: MSI-X only, one event ring
 * segment, IMOD stored but ignored, every piece of work done inside the
 * register write (zero latencies). */
static const struct xhci_profile qemu = {
    .name = "qemu",
    .source = "QEMU qemu-xhci defaults (hw/usb/hcd-xhci.c, hcd-xhci-pci.c); docs/xhci-profiles.md 1",
    .vendor = 0x1b36, .device = 0x000d, .subsys_vendor = 0x1af4, .subsys = 0x1100,
    .revision = 0x01, .bar_bytes = 0x4000,
    .msix_vectors = 16, .msix_bar = 0, .msix_table_off = 0x3000, .msix_pba_off = 0x3800,
    .msi_vectors_log2 = 0xff, .pm = false,
    .pcie_type = PCI_EXP_TYPE_RC_ENDPOINT, .pcie_gen = 1, .pcie_width = 1,
    .caplength = 0x40, .hciversion = XHCI_HCIVERSION_1_0,
    .max_slots = 64, .max_intrs = 16,
    .hcsparams2 = 0x0000000fu, .hcsparams3 = 0,
    .hccparams1_flags = XHCI_HCCPARAMS1_AC64 | 7u << XHCI_HCCPARAMS1_MAX_PSA_SHIFT,
    .hccparams2 = 0,
    .rtsoff = 0x1000, .dboff = 0x2000,
    .xecp = 0x20, .xcap = qemu_xcap, .xcap_dwords = sizeof qemu_xcap / sizeof qemu_xcap[0],
    .quirks = XHCI_QUIRK_CSC_AT_RESET | XHCI_QUIRK_MFINDEX_HALTED,
    .imod = false, .imodi_reset = 0, .erstsz_max = 1,
    /* QEMU itself has no bus timing; the bus is USB's whatever the profile */
    .hs_bulk_per_uframe = 10, .ss_burst_gap_ps = 1 * SIM_US,
};

/* ---- TI TUSB7340 --------------------------------------------------------------------------- */

/* USB Legacy Support (both semaphores clear), then Supported Protocol
 * USB 2.0 (ports 1..4, L1 capable) and USB 3.0 (ports 5..8):
 * docs/xhci-profiles.md 2.4; USBLEGCTLSTS and the protocols' dword 3 were
 * not retrieved and read 0. */
static const uint32_t ti_xcap[] = {
    0x00000401, 0x00000000, 0x00000000, 0x00000000,
    0x02000402, XHCI_PROTO_NAME_USB, 0x00010401, 0x00000000,
    0x03000002, XHCI_PROTO_NAME_USB, 0x00000405, 0x00000000,
};

/* The TUSB7340 PCIe-to-USB 3.0 host controller (TI datasheet SLLSE76Q, and
 * two lspci dumps in tests/fixtures/pci): xHCI 0.96, 64-byte contexts, port
 * power control, one scratchpad, up to 2^15 ERST entries, MSI-X in BAR 2.
 * Timing the datasheet does not give is the published figure of another
 * controller, named in docs/xhci-profiles.md 3: HCRST 1.5 ms (Intel), root
 * port reset 50 ms (USB 2.0 TDRSTR), warm reset 12 ms (the USB 3.0 hot to
 * warm reset timeout, as an upper bound). IMOD's reset value is the
 * spec's (the datasheet's was not retrieved). */
static const struct xhci_profile ti_tusb7340 = {
    .name = "ti-tusb7340",
    .source = "TI TUSB7340 datasheet SLLSE76Q and lspci dumps; docs/xhci-profiles.md 2",
    .vendor = 0x104c, .device = 0x8241, .subsys_vendor = 0, .subsys = 0,
    .revision = 0x02, .bar_bytes = 0x10000,
    .msix_vectors = 8, .msix_bar = 2, .msix_bar_bytes = 0x2000, .msix_table_off = 0,
    .msix_pba_off = 0x1000,
    .msi_vectors_log2 = 3, .pm = true,
    .pcie_type = PCI_EXP_TYPE_ENDPOINT, .pcie_gen = 2, .pcie_width = 1,
    .caplength = 0x20, .hciversion = 0x0096,
    .max_slots = 64, .max_intrs = 8,
    .hcsparams2 = 0x0c0000f1u, .hcsparams3 = 0x07ff000au,
    .hccparams1_flags = 0x0000f06du,
    .hccparams2 = 0,
    .rtsoff = 0x4a0, .dboff = 0x5c0,
    .xecp = 0x9c0, .xcap = ti_xcap, .xcap_dwords = sizeof ti_xcap / sizeof ti_xcap[0],
    .quirks = 0,
    .imod = true, .imodi_reset = XHCI_IMOD_IMODI_DEFAULT, .erstsz_max = 1u << 15,
    .power_on_ps = 1 * SIM_MS,
    .reset_ps = 1500 * SIM_US,
    .run_ps = 1 * SIM_US, .halt_ps = 1 * SIM_US,
    .connect_ps = 100 * SIM_US,
    .usb2_port_reset_ps = 50 * SIM_MS, .usb3_port_reset_ps = 50 * SIM_MS,
    .warm_reset_ps = 12 * SIM_MS,
    .doorbell_ps = 500 * SIM_NS, .trb_fetch_ps = 500 * SIM_NS, .command_ps = 1 * SIM_US,
    .event_ps = 250 * SIM_NS, .irq_ps = 250 * SIM_NS,
    .dma_ps_per_kib = 2560000, /* PCIe 2.0 x1: ~400 MB/s of payload (2.5 ns a byte) */
    .hs_bulk_per_uframe = 10, .ss_burst_gap_ps = 1 * SIM_US,
};

const struct xhci_profile *const xhci_profiles[] = {&qemu, &ti_tusb7340, NULL};

const struct xhci_profile *xhci_profile_find(const char *name)
{
    ASSERT(name != NULL);
    for (uint32_t i = 0; xhci_profiles[i] != NULL; i++)
        if (strcmp(xhci_profiles[i]->name, name) == 0)
            return xhci_profiles[i];
    return NULL;
}

/* ---- the extended capabilities -------------------------------------------------------------- */

/* Calls fn for each Supported Protocol capability: its major revision,
 * first port and count. Returns false when the list runs off its dwords or
 * does not end. */
static bool each_protocol(const struct xhci_profile *p,
                          void (*fn)(void *ctx, uint32_t major, uint32_t first, uint32_t count),
                          void *ctx)
{
    uint32_t at = 0;
    for (uint32_t n = 0; n < p->xcap_dwords; n++) {
        if (at >= p->xcap_dwords)
            return false;
        uint32_t dw = p->xcap[at];
        if ((dw & XHCI_XCAP_ID_MASK) == XHCI_XCAP_PROTOCOL) {
            if (at + 2 >= p->xcap_dwords)
                return false;
            uint32_t ports = p->xcap[at + 2];
            fn(ctx, (dw & XHCI_PROTO_MAJOR_MASK) >> XHCI_PROTO_MAJOR_SHIFT,
               ports & XHCI_PROTO_PORT_OFFSET_MASK,
               (ports & XHCI_PROTO_PORT_COUNT_MASK) >> XHCI_PROTO_PORT_COUNT_SHIFT);
        }
        uint32_t next = (dw & XHCI_XCAP_NEXT_MASK) >> XHCI_XCAP_NEXT_SHIFT;
        if (next == 0)
            return true;
        at += next;
    }
    return false; /* a loop */
}

struct port_census {
    uint32_t ports;                  /* every protocol's ports */
    uint32_t usb3_bits[8];           /* bit n: port n is USB 3 */
    uint32_t seen_bits[8];           /* bit n: some protocol covers port n */
    bool overlap, bad;
};

static void census_add(void *ctx, uint32_t major, uint32_t first, uint32_t count)
{
    struct port_census *c = ctx;
    c->ports += count;
    for (uint32_t port = first; port < first + count; port++) {
        if (port == 0 || port > XHCI_MAX_PORTS) {
            c->bad = true;
            continue;
        }
        uint32_t bit = 1u << (port % 32);
        c->overlap = c->overlap || (c->seen_bits[port / 32] & bit) != 0;
        c->seen_bits[port / 32] |= bit;
        if (major == XHCI_PROTO_MAJOR_USB3)
            c->usb3_bits[port / 32] |= bit;
    }
}

static struct port_census census(const struct xhci_profile *p, bool *ok)
{
    struct port_census c = {0};
    *ok = each_protocol(p, census_add, &c) && !c.overlap && !c.bad;
    for (uint32_t port = 1; *ok && port <= c.ports; port++)
        *ok = (c.seen_bits[port / 32] >> (port % 32)) & 1u;
    return c;
}

uint32_t xhci_profile_ports(const struct xhci_profile *p)
{
    bool ok;
    return census(p, &ok).ports;
}

bool xhci_profile_port_usb3(const struct xhci_profile *p, uint32_t port)
{
    bool ok;
    struct port_census c = census(p, &ok);
    ASSERT(port >= 1 && port <= c.ports);
    return (c.usb3_bits[port / 32] >> (port % 32)) & 1u;
}

uint32_t xhci_profile_cap_read(const struct xhci_profile *p, uint32_t off)
{
    ASSERT(off % 4 == 0);
    if (off >= p->xecp && off < p->xecp + 4u * p->xcap_dwords)
        return p->xcap[(off - p->xecp) / 4u];
    switch (off) {
    case XHCI_CAP_CAPLENGTH: return p->caplength | (uint32_t)p->hciversion << 16;
    case XHCI_CAP_HCSPARAMS1:
        return p->max_slots | (uint32_t)p->max_intrs << XHCI_HCSPARAMS1_MAX_INTRS_SHIFT |
               xhci_profile_ports(p) << XHCI_HCSPARAMS1_MAX_PORTS_SHIFT;
    case XHCI_CAP_HCSPARAMS2: return p->hcsparams2;
    case XHCI_CAP_HCSPARAMS3: return p->hcsparams3;
    case XHCI_CAP_HCCPARAMS1: return p->hccparams1_flags | (p->xecp / 4u) << XHCI_HCCPARAMS1_XECP_SHIFT;
    case XHCI_CAP_DBOFF: return p->dboff;
    case XHCI_CAP_RTSOFF: return p->rtsoff;
    case XHCI_CAP_HCCPARAMS2: return p->hccparams2;
    default: return 0;
    }
}

/* ---- checks ---------------------------------------------------------------------------------- */

static bool overlaps(uint32_t a, uint32_t a_end, uint32_t b, uint32_t b_end)
{
    return a < b_end && b < a_end;
}

/* The register blocks of BAR 0 may not overlap each other, the extended
 * capabilities, an MSI-X table kept in BAR 0, or the BAR's end. */
static const char *layout_problem(const struct xhci_profile *p)
{
    uint32_t op_end = p->caplength + XHCI_OP_PORT_REGS +
                      XHCI_PORT_REGS_STRIDE * xhci_profile_ports(p);
    uint32_t rt_end = p->rtsoff + XHCI_RT_IR0 + XHCI_RT_IR_STRIDE * (uint32_t)p->max_intrs;
    uint32_t db_end = p->dboff + XHCI_DB_BYTES * (p->max_slots + 1u);
    uint32_t x_end = p->xecp + 4u * p->xcap_dwords;
    uint32_t blocks[][2] = {{p->caplength, op_end}, {p->rtsoff, rt_end}, {p->dboff, db_end},
                            {p->xecp, x_end},
                            {p->msix_table_off, p->msix_pba_off + 8u}};
    uint32_t n = p->msix_vectors != 0 && p->msix_bar == 0 ? 5 : 4;
    for (uint32_t i = 0; i < n; i++) {
        if (blocks[i][1] > p->bar_bytes)
            return "a register block passes the BAR's end";
        for (uint32_t k = 0; k < i; k++)
            if (overlaps(blocks[i][0], blocks[i][1], blocks[k][0], blocks[k][1]))
                return "register blocks of BAR 0 overlap";
    }
    if (p->xecp < XHCI_CAP_NAMED_BYTES)
        return "the extended capabilities overlap the named capability registers";
    return NULL;
}

static bool power_of_two(uint32_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

const char *xhci_profile_problem(const struct xhci_profile *p)
{
    ASSERT(p != NULL);
    bool ok;
    (void)census(p, &ok);
    if (!ok)
        return "the Supported Protocol capabilities leave ports out, overlap, or the list does not end";
    if (!power_of_two(p->bar_bytes) || (p->msix_bar != 0 && !power_of_two(p->msix_bar_bytes)))
        return "a BAR size is not a power of two";
    if (p->msix_bar != 0 && p->msix_bar != 2)
        return "MSI-X lives in BAR 0 or BAR 2";
    if (p->max_slots == 0 || p->max_intrs == 0 || p->max_intrs > XHCI_MAX_INTRS ||
        xhci_profile_ports(p) == 0 || xhci_profile_ports(p) > XHCI_MAX_PORTS)
        return "slots, interrupters or ports out of the spec's ranges";
    if (p->caplength % 4 != 0 || p->rtsoff % 32 != 0 || p->dboff % 4 != 0 || p->xecp % 4 != 0)
        return "CAPLENGTH, RTSOFF, DBOFF or xECP misaligned";
    if (p->erstsz_max == 0)
        return "no event ring segment";
    if (p->hs_bulk_per_uframe == 0 || p->hs_bulk_per_uframe > XHCI_HS_BULK_PER_UFRAME_MAX)
        return "high-speed bulk packets per microframe outside 1..13";
    return layout_problem(p);
}
