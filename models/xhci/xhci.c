/* The xHCI controller: its life, reset, run and halt, DMA, and the BAR's
 * register dispatch; see xhci.h. Ports, interrupters and the command ring
 * have files of their own. */
#include "models/xhci/xhci_internal.h"
#include "models/xhci/xhci_trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/trace/trace.h"

/* ---- small services ------------------------------------------------------------------------- */

void xhci_note(struct xhci *x, const char *what)
{
    struct sim_trace *t = sim_dev_trace(x->m);
    if (t != NULL && !x->destroying)
        sim_trace_log(t, sim_dev_now(x->m), -1, x->name, what);
}

void xhci_after(struct xhci *x, sim_time_ps delay_ps, sim_event_fn fn, uint64_t arg,
                struct sim_event_id *id)
{
    if (sim_dev_after(x->m, delay_ps, fn, x, arg, id) != IOSIM_OK)
        xhci_note(x, "the machine's event list is full: an xHCI step is lost");
}

/* While the controller is destroyed (the run is over) it lets go of its
 * devices without touching memory: the trace is closed. */
enum iosim_err xhci_dma_read(struct xhci *x, uint64_t addr, void *dst, uint32_t len)
{
    return x->destroying ? IOSIM_ESHUTDOWN : pci_fn_dma_read(x->fn, addr, dst, len);
}

enum iosim_err xhci_dma_write(struct xhci *x, uint64_t addr, const void *src, uint32_t len)
{
    return x->destroying ? IOSIM_ESHUTDOWN : pci_fn_dma_write(x->fn, addr, src, len);
}

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

bool xhci_trb_read(struct xhci *x, uint64_t addr, struct xhci_trb *t)
{
    uint8_t b[XHCI_TRB_BYTES];
    if (xhci_dma_read(x, addr, b, sizeof b) != IOSIM_OK)
        return false;
    t->parameter = (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
    t->status = le32(b + 8);
    t->control = le32(b + 12);
    return true;
}

bool xhci_running(const struct xhci *x)
{
    return !(x->usbsts & XHCI_USBSTS_HCH);
}

/* ---- run, halt, reset ------------------------------------------------------------------------ */

/* One microframe a tick from the origin; a halted controller keeps its
 * value (the spec), or, with the QEMU quirk, keeps counting from an origin
 * that HCRST and R/S 0 -> 1 reset. */
static uint32_t mfindex_now(const struct xhci *x)
{
    sim_time_ps ticks = (sim_dev_now(x->m) - x->mfindex_start_ps) / (XHCI_MFINDEX_TICK_NS * SIM_NS);
    if (x->p->quirks & XHCI_QUIRK_MFINDEX_HALTED)
        return (uint32_t)(ticks & XHCI_MFINDEX_MASK);
    if (!xhci_running(x))
        return x->mfindex_frozen;
    return (uint32_t)((ticks + x->mfindex_frozen) & XHCI_MFINDEX_MASK);
}

/* MFINDEX Wrap events [4.14.2, 5.4.1 EWE]: while running with EWE, one
 * each time MFINDEX passes 3FFFh -> 0, every 2.048 s. */
static void wrap_arm(struct xhci *x);

static void mfindex_wrapped(void *ctx, uint64_t arg)
{
    struct xhci *x = ctx;
    (void)arg;
    x->wrap_ev = SIM_EVENT_NONE;
    struct xhci_trb ev = {.status = XHCI_CC_SUCCESS << XHCI_EVT_CC_SHIFT,
                          .control = XHCI_TRB_TYPE_MFINDEX_WRAP << XHCI_TRB_TYPE_SHIFT};
    (void)xhci_event(x, 0, &ev);
    wrap_arm(x);
}

static void wrap_arm(struct xhci *x)
{
    sim_dev_cancel(x->m, x->wrap_ev);
    x->wrap_ev = SIM_EVENT_NONE;
    if (!xhci_running(x) || !(x->usbcmd & XHCI_USBCMD_EWE))
        return;
    sim_time_ps tick = (sim_time_ps)XHCI_MFINDEX_TICK_NS * SIM_NS;
    sim_time_ps period = tick * (XHCI_MFINDEX_MASK + 1u);
    sim_time_ps since = sim_dev_now(x->m) - x->mfindex_start_ps;
    if (!(x->p->quirks & XHCI_QUIRK_MFINDEX_HALTED))
        since += (sim_time_ps)x->mfindex_frozen * tick;
    xhci_after(x, period - since % period, mfindex_wrapped, 0, &x->wrap_ev);
}

static void halt_now(struct xhci *x)
{
    x->mfindex_frozen = mfindex_now(x);
    x->usbsts |= XHCI_USBSTS_HCH;
    xhci_cmd_halt(x);
    wrap_arm(x); /* cancels it */
}

static void run_or_halt_done(void *ctx, uint64_t want_run)
{
    struct xhci *x = ctx;
    x->state_change = SIM_EVENT_NONE;
    bool run = (x->usbcmd & XHCI_USBCMD_RS) != 0;
    if ((bool)want_run != run || run == xhci_running(x))
        return; /* R/S changed again, or nothing to do */
    if (run) {
        x->mfindex_start_ps = sim_dev_now(x->m);
        x->usbsts &= ~XHCI_USBSTS_HCH;
        wrap_arm(x);
    } else {
        halt_now(x);
    }
}

void xhci_host_system_error(struct xhci *x, const char *why)
{
    char msg[160];
    snprintf(msg, sizeof msg, "host system error: %s", why);
    xhci_note(x, msg);
    x->stats.host_system_errors++;
    x->usbsts |= XHCI_USBSTS_HSE;
    x->usbcmd &= ~XHCI_USBCMD_RS;
    if (xhci_running(x))
        halt_now(x);
    if ((x->usbcmd & XHCI_USBCMD_HSEE) && !x->destroying) /* the run is over then */
        (void)pci_fn_interrupt(x->fn, 0);
}

void xhci_host_controller_error(struct xhci *x, const char *why)
{
    char msg[160];
    snprintf(msg, sizeof msg, "host controller error: %s", why);
    xhci_note(x, msg);
    x->usbsts |= XHCI_USBSTS_HCE;
    x->usbcmd &= ~XHCI_USBCMD_RS;
    if (xhci_running(x))
        halt_now(x);
}

/* Everything but the capability registers back to its reset value. */
static void reset_registers(struct xhci *x)
{
    x->usbcmd = 0;
    x->usbsts = XHCI_USBSTS_HCH;
    x->dnctrl = x->config = 0;
    x->dcbaap = 0;
    x->crcr_lo_written = 0;
    x->mfindex_frozen = 0;
    x->mfindex_start_ps = sim_dev_now(x->m); /* the origin, for a profile that counts halted */
    xhci_slots_reset(x);
    wrap_arm(x); /* cancels it */
    xhci_cmd_reset(x);
    xhci_ports_reset(x);
    xhci_intrs_reset(x);
}

static void ready(void *ctx, uint64_t arg)
{
    struct xhci *x = ctx;
    (void)arg;
    x->state_change = SIM_EVENT_NONE;
    reset_registers(x);
    x->usbsts &= ~XHCI_USBSTS_CNR;
}

/* HCRST: CNR and HCRST read 1 until the reset is done [5.4.1, 5.4.2]. */
static void host_reset(struct xhci *x)
{
    if (xhci_running(x))
        xhci_note(x, "HCRST while running (software must halt first): reset anyway");
    sim_dev_cancel(x->m, x->state_change);
    x->usbcmd = XHCI_USBCMD_HCRST;
    x->usbsts |= XHCI_USBSTS_CNR;
    if (xhci_running(x))
        halt_now(x);
    xhci_after(x, x->p->reset_ps, ready, 0, &x->state_change);
}

/* ---- operational registers -------------------------------------------------------------------- */

static void usbcmd_write(struct xhci *x, uint32_t v)
{
    if (v & XHCI_USBCMD_HCRST) {
        host_reset(x);
        return;
    }
    uint32_t keep = XHCI_USBCMD_RS | XHCI_USBCMD_INTE | XHCI_USBCMD_HSEE | XHCI_USBCMD_EWE;
    uint32_t old = x->usbcmd;
    if ((x->usbsts & XHCI_USBSTS_HCE) || (x->usbsts & XHCI_USBSTS_HSE && (v & XHCI_USBCMD_RS)))
        v &= ~XHCI_USBCMD_RS; /* an error halts it until reset */
    x->usbcmd = v & keep;
    if ((old ^ x->usbcmd) & XHCI_USBCMD_EWE)
        wrap_arm(x);
    if ((old ^ x->usbcmd) & XHCI_USBCMD_RS) {
        bool run = (x->usbcmd & XHCI_USBCMD_RS) != 0;
        sim_dev_cancel(x->m, x->state_change);
        xhci_after(x, run ? x->p->run_ps : x->p->halt_ps, run_or_halt_done, run,
                   &x->state_change);
    }
}

static uint32_t op_read(struct xhci *x, uint32_t off)
{
    switch (off) {
    case XHCI_OP_USBCMD: return x->usbcmd;
    case XHCI_OP_USBSTS: return x->usbsts;
    case XHCI_OP_PAGESIZE: return 1; /* 4 KiB pages only */
    case XHCI_OP_DNCTRL: return x->dnctrl;
    case XHCI_OP_CRCR: return (uint32_t)xhci_crcr_read(x);
    case XHCI_OP_CRCR + 4: return (uint32_t)(xhci_crcr_read(x) >> 32);
    case XHCI_OP_DCBAAP: return (uint32_t)x->dcbaap;
    case XHCI_OP_DCBAAP + 4: return (uint32_t)(x->dcbaap >> 32);
    case XHCI_OP_CONFIG: return x->config;
    default: break;
    }
    if (off >= XHCI_OP_PORT_REGS) {
        uint32_t rel = off - XHCI_OP_PORT_REGS;
        return xhci_port_read(x, rel / XHCI_PORT_REGS_STRIDE, rel % XHCI_PORT_REGS_STRIDE);
    }
    return 0;
}

static void op_write(struct xhci *x, uint32_t off, uint32_t v)
{
    switch (off) {
    case XHCI_OP_USBCMD: usbcmd_write(x, v); return;
    case XHCI_OP_USBSTS: x->usbsts &= ~(v & XHCI_USBSTS_RW1C); return;
    case XHCI_OP_DNCTRL: x->dnctrl = v & XHCI_DNCTRL_MASK; return;
    case XHCI_OP_CRCR: x->crcr_lo_written = v; xhci_crcr_write(x, v, false); return;
    case XHCI_OP_CRCR + 4:
        xhci_crcr_write(x, (uint64_t)v << 32 | x->crcr_lo_written, true);
        return;
    case XHCI_OP_DCBAAP: x->dcbaap = (x->dcbaap & ~0xffffffffull) | (v & XHCI_DCBAAP_PTR_MASK); return;
    case XHCI_OP_DCBAAP + 4: x->dcbaap = (x->dcbaap & 0xffffffffull) | (uint64_t)v << 32; return;
    case XHCI_OP_CONFIG:
        if (xhci_running(x))
            xhci_note(x, "CONFIG written while running: ignored");
        else if ((v & XHCI_CONFIG_MAX_SLOTS_EN_MASK) > x->p->max_slots)
            xhci_note(x, "CONFIG.MaxSlotsEn above HCSPARAMS1.MaxSlots: ignored");
        else
            x->config = v & (XHCI_CONFIG_MAX_SLOTS_EN_MASK | XHCI_CONFIG_U3E | XHCI_CONFIG_CIE);
        return;
    default: break;
    }
    if (off >= XHCI_OP_PORT_REGS) {
        uint32_t rel = off - XHCI_OP_PORT_REGS;
        xhci_port_write(x, rel / XHCI_PORT_REGS_STRIDE, rel % XHCI_PORT_REGS_STRIDE, v);
    }
}

/* ---- the BAR -------------------------------------------------------------------------------- */

enum block { BLK_CAP, BLK_OP, BLK_RT, BLK_DB, BLK_NONE };

static enum block block_of(const struct xhci *x, uint64_t off, uint32_t *rel)
{
    const struct xhci_profile *p = x->p;
    uint64_t op_end = p->caplength + XHCI_OP_PORT_REGS +
                      (uint64_t)XHCI_PORT_REGS_STRIDE * x->nports;
    uint64_t rt_end = p->rtsoff + XHCI_RT_IR0 + (uint64_t)XHCI_RT_IR_STRIDE * p->max_intrs;
    uint64_t db_end = p->dboff + (uint64_t)XHCI_DB_BYTES * (p->max_slots + 1u);
    if (off < p->caplength || (off >= p->xecp && off < p->xecp + 4ull * p->xcap_dwords)) {
        *rel = (uint32_t)off;
        return BLK_CAP;
    }
    if (off < op_end) {
        *rel = (uint32_t)(off - p->caplength);
        return BLK_OP;
    }
    if (off >= p->rtsoff && off < rt_end) {
        *rel = (uint32_t)(off - p->rtsoff);
        return BLK_RT;
    }
    if (off >= p->dboff && off < db_end) {
        *rel = (uint32_t)(off - p->dboff);
        return BLK_DB;
    }
    return BLK_NONE;
}

static uint32_t rt_read(struct xhci *x, uint32_t rel)
{
    if (rel < XHCI_RT_IR0)
        return rel == XHCI_RT_MFINDEX ? mfindex_now(x) : 0;
    rel -= XHCI_RT_IR0;
    return xhci_intr_read(x, rel / XHCI_RT_IR_STRIDE, rel % XHCI_RT_IR_STRIDE);
}

static uint32_t dword_read(struct xhci *x, uint64_t off)
{
    uint32_t rel;
    switch (block_of(x, off, &rel)) {
    case BLK_CAP: return xhci_profile_cap_read(x->p, rel);
    case BLK_OP: return op_read(x, rel);
    case BLK_RT: return rt_read(x, rel);
    case BLK_DB: return 0; /* doorbells read 0 [5.6] */
    case BLK_NONE: break;
    }
    return 0;
}

static void doorbell_write(struct xhci *x, uint32_t slot, uint32_t v)
{
    xhci_trace_doorbell(x, slot, v);
    if (!xhci_running(x))
        return; /* a halted controller ignores its doorbells */
    if (slot == 0) {
        if ((v & XHCI_DB_TARGET_MASK) == XHCI_DB_TARGET_COMMAND)
            xhci_cmd_doorbell(x);
        else
            xhci_note(x, "doorbell 0 with a reserved target: ignored");
        return;
    }
    xhci_xfer_doorbell(x, slot, v & XHCI_DB_TARGET_MASK,
                       (v & XHCI_DB_STREAM_ID_MASK) >> XHCI_DB_STREAM_ID_SHIFT);
}

static void dword_write(struct xhci *x, uint64_t off, uint32_t v)
{
    uint32_t rel;
    enum block b = block_of(x, off, &rel);
    if ((x->usbsts & XHCI_USBSTS_CNR) && b != BLK_CAP) {
        xhci_note(x, "a register write while Controller Not Ready: ignored");
        return;
    }
    switch (b) {
    case BLK_OP: op_write(x, rel, v); return;
    case BLK_RT:
        if (rel >= XHCI_RT_IR0)
            xhci_intr_write(x, (rel - XHCI_RT_IR0) / XHCI_RT_IR_STRIDE,
                            (rel - XHCI_RT_IR0) % XHCI_RT_IR_STRIDE, v);
        return;
    case BLK_DB: doorbell_write(x, rel / XHCI_DB_BYTES, v); return;
    case BLK_CAP: /* read-only */
    case BLK_NONE: return;
    }
}

static void note_access(struct xhci *x, const char *what)
{
    if (!x->noted_bad_access) {
        xhci_note(x, what);
        x->noted_bad_access = true;
    }
}

/* Dword registers; qwords as two dwords, low first (the order 64-bit
 * registers take effect in); narrower reads take their bytes of a dword,
 * narrower writes are refused (the spec requires dword access). */
static uint64_t bar_read(void *ctx, unsigned bar, uint64_t off, unsigned size)
{
    struct xhci *x = ctx;
    if (bar != 0)
        return 0;
    if (size == 8)
        return dword_read(x, off) | (uint64_t)dword_read(x, off + 4) << 32;
    uint32_t v = dword_read(x, off & ~3ull) >> (8 * (off & 3));
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void bar_write(void *ctx, unsigned bar, uint64_t off, unsigned size, uint64_t value)
{
    struct xhci *x = ctx;
    if (bar != 0)
        return;
    if (size < 4) {
        note_access(x, "a register write narrower than a dword: ignored");
        return;
    }
    dword_write(x, off, (uint32_t)value);
    if (size == 8)
        dword_write(x, off + 4, (uint32_t)(value >> 32));
}

static const struct pci_dev_ops xhci_ops = {bar_read, bar_write, NULL};

/* ---- life ----------------------------------------------------------------------------------- */

static struct pci_fn_config function_config(struct xhci *x, const struct xhci_config *c)
{
    const struct xhci_profile *p = x->p;
    struct pci_fn_config f = {
        .name = x->name, .behind = c->behind, .dev = c->dev, .fn = c->fn,
        .intx_line = c->intx_line, .ops = &xhci_ops, .ctx = x,
        .desc = {.vendor = p->vendor, .device = p->device, .revision = p->revision,
                 .subsys_vendor = p->subsys_vendor, .subsys = p->subsys,
                 .class_code = PCI_CLASS_SERIAL_BUS, .subclass = 0x03, .prog_if = 0x30,
                 .int_pin = 1, .pm = {p->pm},
                 .bar = {[0] = {PCI_BAR_MEM64, p->bar_bytes, false}}},
    };
    if (p->msix_vectors != 0) {
        f.desc.msix = (struct pci_msix_desc){true, p->msix_vectors, p->msix_bar, p->msix_bar,
                                             p->msix_table_off, p->msix_pba_off};
        if (p->msix_bar != 0)
            f.desc.bar[p->msix_bar] = (struct pci_bar_desc){PCI_BAR_MEM64, p->msix_bar_bytes, false};
    }
    if (p->msi_vectors_log2 != 0xff)
        f.desc.msi = (struct pci_msi_desc){true, p->msi_vectors_log2, true, false};
    if (p->pcie_type != 0xff)
        f.desc.pcie = (struct pci_pcie_desc){true, p->pcie_type, p->pcie_gen, p->pcie_width};
    return f;
}

static void free_parts(struct xhci *x)
{
    free(x->ports);
    free(x->intr);
    free(x->slots);
    free(x->xfer_buf);
    free(x);
}

enum iosim_err xhci_create(struct pci_root *root, const struct xhci_config *c, struct xhci **out,
                           const char **why)
{
    ASSERT(root != NULL && c != NULL && c->profile != NULL && out != NULL);
    const char *problem = xhci_profile_problem(c->profile);
    if (problem != NULL) {
        if (why != NULL)
            *why = problem;
        return IOSIM_EINVAL;
    }
    struct xhci *x = calloc(1, sizeof *x);
    if (x == NULL)
        return IOSIM_ENOMEM;
    x->p = c->profile;
    x->hang_command = c->hang_command;
    x->hang_nth = c->hang_nth;
    x->nports = xhci_profile_ports(x->p); /* counted once: every register access needs it */
    snprintf(x->name, sizeof x->name, "%s", c->name != NULL ? c->name : "xhci");
    x->ports = calloc(x->nports, sizeof *x->ports);
    x->intr = calloc(x->p->max_intrs, sizeof *x->intr);
    x->slots = calloc(x->p->max_slots + 1u, sizeof *x->slots);
    x->xfer_buf = malloc(XHCI_XFER_BUF_BYTES);
    if (x->ports == NULL || x->intr == NULL || x->slots == NULL || x->xfer_buf == NULL) {
        free_parts(x);
        return IOSIM_ENOMEM;
    }
    struct pci_fn_config f = function_config(x, c);
    enum iosim_err e = pci_root_add(root, &f, &x->fn, why);
    if (e != IOSIM_OK) {
        free_parts(x);
        return e;
    }
    x->m = pci_fn_machine(x->fn);
    x->state_change = x->cr_work = x->wrap_ev = SIM_EVENT_NONE;
    for (uint32_t i = 0; i < x->p->max_intrs; i++)
        x->intr[i].imod_timer = x->intr[i].irq_out = SIM_EVENT_NONE;
    for (uint32_t s = 0; s <= x->p->max_slots; s++)
        for (uint32_t dci = 0; dci <= XHCI_DCI_MAX; dci++)
            x->slots[s].ep[dci].work = SIM_EVENT_NONE;
    for (uint32_t i = 0; i < x->nports; i++)
        x->ports[i].reset_done = x->ports[i].connect_ev = SIM_EVENT_NONE;
    reset_registers(x);
    x->usbsts |= XHCI_USBSTS_CNR; /* until power-on is over */
    xhci_after(x, x->p->power_on_ps, ready, 0, &x->state_change);
    *out = x;
    return IOSIM_OK;
}

void xhci_destroy(struct xhci *x)
{
    if (x == NULL)
        return;
    x->destroying = true;
    for (uint32_t i = 0; i < x->nports; i++)
        if (x->ports[i].dev != NULL)
            (void)xhci_usb_detach(x, i + 1);
    xhci_slots_reset(x);
    free_parts(x);
}

struct pci_fn *xhci_fn(struct xhci *x) { return x->fn; }

const struct xhci_stats *xhci_stats(const struct xhci *x) { return &x->stats; }
