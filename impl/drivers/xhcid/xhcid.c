/*
 * app_xhcid: the xHCI driver, started by pcid for class 0C0330. This first
 * step is the controller's bring-up in the spec's order [xHCI 4.2]: map
 * BAR 0, take interrupts over the pci: ring (MSI-X, then MSI, then INTx
 * under "auto"), halt, HCRST, wait for CNR to clear, MaxSlotsEn, the DCBAA
 * with scratchpad buffers when HCSPARAMS2 asks for them, a command ring
 * closed by a toggling Link TRB, an event ring of several segments (as many
 * as ERST Max allows, up to `segs`), interrupter 0 with IMOD, run; then a
 * No Op command whose completion it takes from its interrupt - no polling.
 * Ports, enumeration, transfers and the usb: scheme come next (issue 12).
 *
 * Arguments: pci (the function, given by pcid), irq ("auto", "msix",
 * "msi", "intx"; auto), segs (event ring segments, 2), event_trbs (TRBs a
 * segment, 256), imod (IMODI in 250 ns units, 160 = 40 us as Linux has it).
 * Exit status: 0 when the controller came up and answered the No Op, 1 when
 * it did not, 2 when pcid could not be reached.
 */
#include <string.h>

#include "impl/apps/apps.h"
#include "impl/drivers/pcid/pci_client.h"
#include "impl/port/port.h"
#include "impl/port/spec/xhci_regs.h"

#define WAIT_STEP_NS 10000u            /* register polls during reset: 10 us apart */
#define RESET_TIMEOUT_NS 100000000u    /* 100 ms for halt, HCRST and CNR */
#define IRQ_TIMEOUT_NS 100000000u
#define CMD_RING_TRBS 256u             /* one 4 KiB page, the last a Link TRB */
#define PAGE_BYTES 4096u

struct xhcid {
    struct port_bar *regs;
    uint32_t op, rt, db;               /* register block offsets in BAR 0 */
    uint32_t max_slots, ctx_bytes;
    struct port_dma dcbaa, sp_array, sp_pages, cmd, erst, ev;
    uint32_t ev_segs, ev_trbs;
    uint32_t cmd_idx;                  /* command ring enqueue index */
    bool cmd_pcs;
    uint32_t ev_idx;                   /* event ring dequeue index, over all segments */
    bool ev_ccs;
    struct port_irq *irq;
    bool intx;
};

static uint32_t op_rd(struct xhcid *h, uint32_t reg) { return port_mmio_read32(h->regs, h->op + reg); }
static void op_wr(struct xhcid *h, uint32_t reg, uint32_t v) { port_mmio_write32(h->regs, h->op + reg, v); }
static uint32_t ir_reg(struct xhcid *h, uint32_t reg) { return h->rt + XHCI_RT_IR0 + reg; }

/* Polls an operational register until (value & mask) == want. */
static bool wait_op(struct xhcid *h, uint32_t reg, uint32_t mask, uint32_t want)
{
    for (uint64_t waited = 0; waited <= RESET_TIMEOUT_NS; waited += WAIT_STEP_NS) {
        if ((op_rd(h, reg) & mask) == want)
            return true;
        port_sleep_ns(WAIT_STEP_NS);
    }
    return false;
}

static void put64(void *shared, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    port_shm_write(shared, b, sizeof b);
}

static void put_trb(void *shared, uint64_t param, uint32_t status, uint32_t control)
{
    uint8_t b[XHCI_TRB_BYTES];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(param >> (8 * i));
    for (int i = 0; i < 4; i++) {
        b[8 + i] = (uint8_t)(status >> (8 * i));
        b[12 + i] = (uint8_t)(control >> (8 * i));
    }
    port_shm_write(shared, b, sizeof b);
}

static void get_trb(const void *shared, uint64_t *param, uint32_t *status, uint32_t *control)
{
    uint8_t b[XHCI_TRB_BYTES];
    port_shm_read(b, shared, sizeof b);
    *param = 0;
    for (int i = 7; i >= 0; i--)
        *param = *param << 8 | b[i];
    *status = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24;
    *control = (uint32_t)b[12] | (uint32_t)b[13] << 8 | (uint32_t)b[14] << 16 | (uint32_t)b[15] << 24;
}

/* ---- bring-up ------------------------------------------------------------------------------- */

static bool read_caps(struct xhcid *h)
{
    h->op = port_mmio_read8(h->regs, XHCI_CAP_CAPLENGTH);
    h->rt = port_mmio_read32(h->regs, XHCI_CAP_RTSOFF) & ~0x1fu;
    h->db = port_mmio_read32(h->regs, XHCI_CAP_DBOFF) & ~0x3u;
    h->max_slots = port_mmio_read32(h->regs, XHCI_CAP_HCSPARAMS1) & XHCI_HCSPARAMS1_MAX_SLOTS_MASK;
    bool csz = (port_mmio_read32(h->regs, XHCI_CAP_HCCPARAMS1) & XHCI_HCCPARAMS1_CSZ) != 0;
    h->ctx_bytes = csz ? XHCI_CTX_BYTES_CSZ : XHCI_CTX_BYTES;
    return h->op >= XHCI_CAP_NAMED_BYTES && h->max_slots != 0 && h->rt != 0 && h->db != 0;
}

/* Halt, then reset: CNR and HCRST read 0 once the controller is ready [4.2]. */
static bool reset(struct xhcid *h)
{
    op_wr(h, XHCI_OP_USBCMD, op_rd(h, XHCI_OP_USBCMD) & ~XHCI_USBCMD_RS);
    if (!wait_op(h, XHCI_OP_USBSTS, XHCI_USBSTS_HCH, XHCI_USBSTS_HCH) ||
        !wait_op(h, XHCI_OP_USBSTS, XHCI_USBSTS_CNR, 0))
        return false;
    op_wr(h, XHCI_OP_USBCMD, XHCI_USBCMD_HCRST);
    return wait_op(h, XHCI_OP_USBCMD, XHCI_USBCMD_HCRST, 0) &&
           wait_op(h, XHCI_OP_USBSTS, XHCI_USBSTS_CNR, 0);
}

/* The DCBAA, and the scratchpad buffer array in its entry 0 [4.20]. */
static bool device_contexts(struct xhcid *h)
{
    uint32_t p2 = port_mmio_read32(h->regs, XHCI_CAP_HCSPARAMS2);
    uint32_t sp = ((p2 & XHCI_HCSPARAMS2_SPB_HI_MASK) >> XHCI_HCSPARAMS2_SPB_HI_SHIFT) << 5 |
                  (p2 & XHCI_HCSPARAMS2_SPB_LO_MASK) >> 27;
    if (port_dma_alloc(8u * (h->max_slots + 1u), XHCI_DCBAA_ALIGN_BYTES, &h->dcbaa) != IOSIM_OK)
        return false;
    if (sp != 0) {
        if (port_dma_alloc(8u * sp, 64, &h->sp_array) != IOSIM_OK ||
            port_dma_alloc((size_t)PAGE_BYTES * sp, PAGE_BYTES, &h->sp_pages) != IOSIM_OK)
            return false;
        for (uint32_t i = 0; i < sp; i++)
            put64((uint8_t *)h->sp_array.host + 8u * i, h->sp_pages.bus_addr + (uint64_t)PAGE_BYTES * i);
        put64(h->dcbaa.host, h->sp_array.bus_addr);
    }
    op_wr(h, XHCI_OP_CONFIG, h->max_slots);
    port_mmio_write32(h->regs, h->op + XHCI_OP_DCBAAP, (uint32_t)h->dcbaa.bus_addr);
    port_mmio_write32(h->regs, h->op + XHCI_OP_DCBAAP + 4, (uint32_t)(h->dcbaa.bus_addr >> 32));
    return true;
}

static bool command_ring(struct xhcid *h)
{
    if (port_dma_alloc(XHCI_TRB_BYTES * CMD_RING_TRBS, XHCI_COMMAND_RING_ALIGN_BYTES, &h->cmd) != IOSIM_OK)
        return false;
    h->cmd_idx = 0;
    h->cmd_pcs = true;
    uint64_t crcr = h->cmd.bus_addr | XHCI_CRCR_RCS;
    port_mmio_write32(h->regs, h->op + XHCI_OP_CRCR, (uint32_t)crcr);
    port_mmio_write32(h->regs, h->op + XHCI_OP_CRCR + 4, (uint32_t)(crcr >> 32));
    return true;
}

/* ERSTSZ segments of ev_trbs TRBs in one allocation; ERSTBA last, as the
 * spec has it (writing it starts the ring) [4.9.4]. */
static bool event_ring(struct xhcid *h, uint32_t segs, uint32_t trbs, uint32_t imod)
{
    uint32_t p2 = port_mmio_read32(h->regs, XHCI_CAP_HCSPARAMS2);
    uint32_t erst_max = 1u << ((p2 & XHCI_HCSPARAMS2_ERST_MAX_MASK) >> XHCI_HCSPARAMS2_ERST_MAX_SHIFT);
    h->ev_segs = segs < 1 ? 1 : segs > erst_max ? erst_max : segs;
    h->ev_trbs = trbs < XHCI_ERST_SEG_TRBS_MIN ? XHCI_ERST_SEG_TRBS_MIN
                 : trbs > XHCI_ERST_SEG_TRBS_MAX ? XHCI_ERST_SEG_TRBS_MAX : trbs;
    if (port_dma_alloc((size_t)XHCI_ERST_ENTRY_BYTES * h->ev_segs, XHCI_ERST_ALIGN_BYTES, &h->erst) != IOSIM_OK ||
        port_dma_alloc((size_t)XHCI_TRB_BYTES * h->ev_trbs * h->ev_segs, XHCI_EVENT_RING_ALIGN_BYTES,
                       &h->ev) != IOSIM_OK)
        return false;
    for (uint32_t s = 0; s < h->ev_segs; s++) {
        uint8_t *e = (uint8_t *)h->erst.host + XHCI_ERST_ENTRY_BYTES * s;
        put64(e + XHCI_ERST_SEG_BASE, h->ev.bus_addr + (uint64_t)XHCI_TRB_BYTES * h->ev_trbs * s);
        uint8_t size[8] = {(uint8_t)h->ev_trbs, (uint8_t)(h->ev_trbs >> 8)};
        port_shm_write(e + XHCI_ERST_SEG_SIZE, size, sizeof size);
    }
    h->ev_idx = 0;
    h->ev_ccs = true;
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERSTSZ), h->ev_segs);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERDP), (uint32_t)h->ev.bus_addr);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERDP + 4), (uint32_t)(h->ev.bus_addr >> 32));
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_IMOD), imod & XHCI_IMOD_IMODI_MASK);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERSTBA), (uint32_t)h->erst.bus_addr);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERSTBA + 4), (uint32_t)(h->erst.bus_addr >> 32));
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_IMAN), XHCI_IMAN_IE);
    return true;
}

static bool run(struct xhcid *h)
{
    op_wr(h, XHCI_OP_USBCMD, XHCI_USBCMD_RS | XHCI_USBCMD_INTE | XHCI_USBCMD_HSEE);
    return wait_op(h, XHCI_OP_USBSTS, XHCI_USBSTS_HCH, 0);
}

/* ---- commands and events -------------------------------------------------------------------- */

static uint64_t command(struct xhcid *h, uint64_t param, uint32_t status, uint32_t control)
{
    uint64_t at = h->cmd.bus_addr + (uint64_t)XHCI_TRB_BYTES * h->cmd_idx;
    put_trb((uint8_t *)h->cmd.host + XHCI_TRB_BYTES * h->cmd_idx, param, status,
            control | (h->cmd_pcs ? XHCI_TRB_C : 0));
    if (++h->cmd_idx == CMD_RING_TRBS - 1) { /* the Link TRB back to the start */
        put_trb((uint8_t *)h->cmd.host + XHCI_TRB_BYTES * h->cmd_idx, h->cmd.bus_addr, 0,
                XHCI_TRB_TYPE_LINK << XHCI_TRB_TYPE_SHIFT | XHCI_TRB_TC |
                    (h->cmd_pcs ? XHCI_TRB_C : 0));
        h->cmd_idx = 0;
        h->cmd_pcs = !h->cmd_pcs;
    }
    port_mmio_write32(h->regs, h->db, XHCI_DB_TARGET_COMMAND);
    return at;
}

/* The next event, if the controller wrote one: its cycle bit is ours. */
static bool next_event(struct xhcid *h, uint64_t *param, uint32_t *status, uint32_t *control)
{
    get_trb((const uint8_t *)h->ev.host + XHCI_TRB_BYTES * h->ev_idx, param, status, control);
    if (((*control & XHCI_TRB_C) != 0) != h->ev_ccs)
        return false;
    if (++h->ev_idx == h->ev_trbs * h->ev_segs) {
        h->ev_idx = 0;
        h->ev_ccs = !h->ev_ccs;
    }
    return true;
}

/* Tells the controller how far we read (ERDP with EHB cleared) and, for
 * INTx, clears IMAN.IP (an MSI clears it itself) [4.17.2]. */
static void events_done(struct xhcid *h)
{
    uint64_t erdp = h->ev.bus_addr + (uint64_t)XHCI_TRB_BYTES * h->ev_idx;
    uint32_t desi = h->ev_idx / h->ev_trbs;
    if (h->intx)
        port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_IMAN), XHCI_IMAN_IE | XHCI_IMAN_IP);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERDP),
                      (uint32_t)erdp | (desi & XHCI_ERDP_DESI_MASK) | XHCI_ERDP_EHB);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERDP + 4), (uint32_t)(erdp >> 32));
}

/* Waits on the interrupt for the completion of the command at `trb`. */
static bool command_completion(struct xhcid *h, uint64_t trb, uint32_t *cc)
{
    for (;;) {
        uint64_t param;
        uint32_t status, control;
        bool got = false;
        while (next_event(h, &param, &status, &control)) {
            got = true;
            uint32_t type = (control & XHCI_TRB_TYPE_MASK) >> XHCI_TRB_TYPE_SHIFT;
            if (type == XHCI_TRB_TYPE_CMD_COMPLETION && param == trb) {
                *cc = (status & XHCI_EVT_CC_MASK) >> XHCI_EVT_CC_SHIFT;
                events_done(h);
                return true;
            }
        }
        if (got)
            events_done(h);
        if (port_irq_wait(h->irq, IRQ_TIMEOUT_NS) != IOSIM_OK)
            return false;
    }
}

/* ---- the driver ----------------------------------------------------------------------------- */

static uint32_t irq_mode(const char *s)
{
    if (strcmp(s, "msix") == 0)
        return PCI_SCHEME_IRQ_MSIX;
    if (strcmp(s, "msi") == 0)
        return PCI_SCHEME_IRQ_MSI;
    if (strcmp(s, "intx") == 0)
        return PCI_SCHEME_IRQ_INTX;
    return PCI_SCHEME_IRQ_AUTO;
}

static bool bring_up(struct xhcid *h, void *args)
{
    return read_caps(h) && reset(h) && device_contexts(h) && command_ring(h) &&
           event_ring(h, (uint32_t)app_arg_int(args, "segs", 2),
                      (uint32_t)app_arg_int(args, "event_trbs", 256),
                      (uint32_t)app_arg_int(args, "imod", 160)) &&
           run(h);
}

static int32_t drive(struct pci_client *pc, struct xhcid *h, void *args)
{
    if (pci_client_map_bar(pc, 0, &h->regs) != IOSIM_OK)
        return 1;
    struct pci_client_irq irq;
    if (pci_client_irq(pc, irq_mode(app_arg_str(args, "irq", "auto")), 1, &irq) != IOSIM_OK ||
        port_irq_open(irq.first, &h->irq) != IOSIM_OK)
        return 1;
    h->intx = irq.mode == PCI_SCHEME_IRQ_INTX;
    uint32_t cc = 0;
    if (!bring_up(h, args))
        return 1;
    uint64_t at = command(h, 0, 0, XHCI_TRB_TYPE_NOOP_CMD << XHCI_TRB_TYPE_SHIFT);
    if (!command_completion(h, at, &cc) || cc != XHCI_CC_SUCCESS)
        return 1;
    return 0;
}

static void release(struct xhcid *h)
{
    if (h->regs != NULL) { /* halted before its memory goes */
        port_mmio_write32(h->regs, h->op + XHCI_OP_USBCMD, 0);
        (void)wait_op(h, XHCI_OP_USBSTS, XHCI_USBSTS_HCH, XHCI_USBSTS_HCH);
    }
    if (h->irq != NULL)
        port_irq_close(h->irq);
    struct port_dma *bufs[] = {&h->ev, &h->erst, &h->cmd, &h->sp_pages, &h->sp_array, &h->dcbaa};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i]->host != NULL)
            port_dma_free(bufs[i]);
    if (h->regs != NULL)
        port_bar_unmap(h->regs);
}

int32_t app_xhcid(void *args)
{
    const char *bdf = app_arg_str(args, "pci", NULL);
    struct pci_client pc;
    if (bdf == NULL || strlen(bdf) != 7 || pci_client_open(&pc, bdf) != IOSIM_OK)
        return 2;
    struct xhcid h;
    memset(&h, 0, sizeof h);
    int32_t st = drive(&pc, &h, args);
    release(&h);
    pci_client_close(&pc);
    return st;
}
