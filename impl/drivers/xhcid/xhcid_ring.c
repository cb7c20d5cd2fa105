/*
 * The driver's rings [xHCI 4.9]: TRBs in shared memory, producer rings for
 * commands and transfers, the command queue with its timeouts, and the
 * event ring it consumes. An event the controller writes is trusted for
 * nothing: a completion for a command nobody queued, a port number past
 * the ports, a slot that is not ours are each ignored.
 */
#include <string.h>

#include "impl/drivers/xhcid/xhcid.h"
#include "impl/util/strbuf.h"

/* ---- registers ------------------------------------------------------------------------------ */

uint32_t xhcid_op_rd(struct xhcid *h, uint32_t reg) { return port_mmio_read32(h->regs, h->op + reg); }
void xhcid_op_wr(struct xhcid *h, uint32_t reg, uint32_t v) { port_mmio_write32(h->regs, h->op + reg, v); }

uint32_t xhcid_portsc(struct xhcid *h, uint32_t port)
{
    ASSERT(h->nports <= XHCID_PORTS_MAX);
    ASSERT(port >= 1);
    ASSERT(port <= h->nports);
    return xhcid_op_rd(h, XHCI_OP_PORT_REGS + XHCI_PORT_REGS_STRIDE * (port - 1) + XHCI_PORT_SC);
}

void xhcid_portsc_wr(struct xhcid *h, uint32_t port, uint32_t v)
{
    ASSERT(h->nports <= XHCID_PORTS_MAX);
    ASSERT(port >= 1);
    ASSERT(port <= h->nports);
    xhcid_op_wr(h, XHCI_OP_PORT_REGS + XHCI_PORT_REGS_STRIDE * (port - 1) + XHCI_PORT_SC, v);
}

void xhcid_doorbell(struct xhcid *h, uint32_t slot, uint32_t target)
{
    ASSERT(h->regs != NULL);
    ASSERT(slot == 0 || slot <= h->max_slots); /* only slots the controller gave us */
    ASSERT(slot <= 255); /* doorbell 0 is the host's, 1..255 the slots' [5.6] */
    ASSERT(slot != 0 || target == XHCI_DB_TARGET_COMMAND);
    port_mmio_write32(h->regs, h->db + 4u * slot, target);
}

/* ---- shared memory -------------------------------------------------------------------------- */

void xhcid_put32(void *shared, uint32_t v)
{
    ASSERT(shared != NULL);
    ASSERT(((uintptr_t)shared & 3u) == 0); /* every dword of a TRB or a context is aligned */
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    port_shm_write(shared, b, sizeof b);
}

void xhcid_put64(void *shared, uint64_t v)
{
    ASSERT(shared != NULL);
    ASSERT(((uintptr_t)shared & 3u) == 0);
    xhcid_put32(shared, (uint32_t)v);
    xhcid_put32((uint8_t *)shared + 4, (uint32_t)(v >> 32));
}

uint32_t xhcid_get32(const void *shared)
{
    ASSERT(shared != NULL);
    ASSERT(((uintptr_t)shared & 3u) == 0);
    uint8_t b[4];
    port_shm_read(b, shared, sizeof b);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The parameter and status first, the control dword (with C) last: the
 * controller may be reading the ring as we write [4.9.2]. */
static void put_trb(void *shared, uint64_t param, uint32_t status, uint32_t control)
{
    ASSERT(shared != NULL);
    ASSERT(((uintptr_t)shared & (XHCI_TRB_BYTES - 1)) == 0);
    xhcid_put64(shared, param);
    xhcid_put32((uint8_t *)shared + 8, status);
    xhcid_put32((uint8_t *)shared + 12, control);
}

/* ---- producer rings ------------------------------------------------------------------------- */

enum iosim_err xhcid_ring_init(struct xhcid_ring *r)
{
    ASSERT(r != NULL);
    enum iosim_err e = port_dma_alloc(XHCI_TRB_BYTES * XHCID_RING_TRBS, XHCID_PAGE_BYTES, &r->mem);
    r->idx = 0;
    r->pcs = true; /* the producer cycle state starts at 1 [4.9.2] */
    ASSERT(r->busy == 0); /* a fresh ring: nothing given out */
    ASSERT(e != IOSIM_OK || (r->mem.bus_addr & (XHCID_PAGE_BYTES - 1)) == 0);
    return e;
}

void xhcid_ring_free(struct xhcid_ring *r)
{
    ASSERT(r != NULL);
    if (r->mem.host != NULL)
        port_dma_free(&r->mem);
    memset(r, 0, sizeof *r);
    ASSERT(r->mem.host == NULL);
}

uint64_t xhcid_ring_put(struct xhcid_ring *r, uint64_t param, uint32_t status, uint32_t control)
{
    ASSERT(r->mem.host != NULL);
    ASSERT(r->idx < XHCID_RING_TRBS - 1);
    ASSERT(r->busy <= XHCID_RING_TRBS - 2); /* callers asked xhcid_ring_room first */
    /* no caller writes a Link TRB itself: the wrap below is the only one */
    ASSERT((control & XHCI_TRB_TYPE_MASK) >> XHCI_TRB_TYPE_SHIFT != XHCI_TRB_TYPE_LINK);
    ASSERT((control & XHCI_TRB_TYPE_MASK) != 0);
    ASSERT((control & XHCI_TRB_C) == 0);
    uint64_t at = r->mem.bus_addr + (uint64_t)XHCI_TRB_BYTES * r->idx;
    put_trb((uint8_t *)r->mem.host + XHCI_TRB_BYTES * r->idx, param, status,
            control | (r->pcs ? XHCI_TRB_C : 0));
    if (++r->idx == XHCID_RING_TRBS - 1) {
        /* chained when the TD goes on past it [4.11.5.1] */
        uint32_t chain = control & XHCI_TRB_CH;
        put_trb((uint8_t *)r->mem.host + XHCI_TRB_BYTES * r->idx, r->mem.bus_addr, 0,
                XHCI_TRB_TYPE_LINK << XHCI_TRB_TYPE_SHIFT | XHCI_TRB_TC | chain |
                    (r->pcs ? XHCI_TRB_C : 0));
        r->idx = 0;
        r->pcs = !r->pcs;
    }
    ASSERT(r->idx < XHCID_RING_TRBS - 1); /* never left on the Link TRB */
    ASSERT(at >= r->mem.bus_addr && at < r->mem.bus_addr + XHCI_TRB_BYTES * (XHCID_RING_TRBS - 1));
    return at;
}

uint32_t xhcid_ring_room(const struct xhcid_ring *r)
{
    ASSERT(r->idx < XHCID_RING_TRBS - 1);
    uint32_t usable = XHCID_RING_TRBS - 2; /* the Link TRB, and one spare */
    ASSERT(r->busy <= usable); /* never more given out than there was room for */
    return r->busy < usable ? usable - r->busy : 0;
}

uint64_t xhcid_ring_deq(const struct xhcid_ring *r)
{
    ASSERT(r->mem.host != NULL);
    ASSERT(r->idx < XHCID_RING_TRBS - 1);
    return (r->mem.bus_addr + (uint64_t)XHCI_TRB_BYTES * r->idx) | (r->pcs ? 1u : 0u);
}

/* ---- commands ------------------------------------------------------------------------------- */

enum iosim_err xhcid_command(struct xhcid *h, uint64_t param, uint32_t status, uint32_t control,
                             uint32_t dev, xhcid_cmd_fn done)
{
    if (h->dead)
        return IOSIM_ESHUTDOWN;
    ASSERT(h->cmd.mem.host != NULL);
    ASSERT((control & XHCI_TRB_TYPE_MASK) != 0);
    /* a device's index, a fix's tag (dev | dci << 16), or none */
    ASSERT(dev == UINT32_MAX || (dev & 0xffffu) < XHCID_SLOTS_MAX);
    for (uint32_t i = 0; i < XHCID_CMDS_MAX; i++) {
        struct xhcid_cmd *c = &h->cmds[i];
        if (c->used)
            continue;
        *c = (struct xhcid_cmd){
            .used = true, .dev = dev, .done = done,
            .type = (control & XHCI_TRB_TYPE_MASK) >> XHCI_TRB_TYPE_SHIFT,
            .deadline_ns = port_clock_ns() + XHCID_CMD_TIMEOUT_NS};
        c->trb = xhcid_ring_put(&h->cmd, param, status, control);
        ASSERT(c->trb != 0 && (c->trb & (XHCI_TRB_BYTES - 1)) == 0);
        ASSERT(c->used);
        ASSERT(c->deadline_ns != XHCID_NO_DEADLINE);
        xhcid_doorbell(h, 0, XHCI_DB_TARGET_COMMAND);
        return IOSIM_OK;
    }
    return IOSIM_ENOSPC;
}

static void cmd_finish(struct xhcid *h, struct xhcid_cmd *c, uint32_t cc, uint32_t slot)
{
    ASSERT(c >= h->cmds && c < h->cmds + XHCID_CMDS_MAX);
    ASSERT(c->used); /* a command completes once */
    struct xhcid_cmd copy = *c;
    c->used = false; /* free before the callback: it may queue the next command */
    ASSERT(copy.used);
    ASSERT(!c->used);
    if (copy.done != NULL)
        copy.done(h, copy.dev, cc, slot);
}

static void cmd_completion(struct xhcid *h, uint64_t trb, uint32_t status, uint32_t control)
{
    ASSERT(h != NULL);
    if ((status & XHCI_EVT_CC_MASK) >> XHCI_EVT_CC_SHIFT == XHCI_CC_CMD_RING_STOPPED) {
        /* the end of an abort: its parameter names the next command TRB,
         * which may be one queued since - not a completion of it */
        h->aborting = false;
        for (uint32_t i = 0; i < XHCID_CMDS_MAX; i++)
            if (h->cmds[i].used) {
                xhcid_doorbell(h, 0, XHCI_DB_TARGET_COMMAND); /* the ring runs again */
                break;
            }
        return;
    }
    for (uint32_t i = 0; i < XHCID_CMDS_MAX; i++) {
        struct xhcid_cmd *c = &h->cmds[i];
        if (c->used && c->trb == trb) {
            cmd_finish(h, c, (status & XHCI_EVT_CC_MASK) >> XHCI_EVT_CC_SHIFT,
                       (control & XHCI_TRB_SLOT_ID_MASK) >> XHCI_TRB_SLOT_ID_SHIFT);
            return;
        }
    }
}

/* A command past its deadline: Command Abort (CRCR.CA) [4.6.1.2]. The
 * controller ends it with Command Aborted, then stops the ring (Command
 * Ring Stopped), which the doorbell restarts; the commands behind it get
 * their time again. No answer to the abort either: the controller is
 * dead, and is reset. */
static void abort_command(struct xhcid *h, const struct xhcid_cmd *c, uint64_t now)
{
    char what[48];
    struct strbuf sb;
    strbuf_init(&sb, what, sizeof what);
    ASSERT(c->used);
    ASSERT(!h->aborting); /* one abort at a time */
    strbuf_put(&sb, "no completion in time for TRB type ");
    strbuf_dec(&sb, c->type);
    xhcid_trace_port(h, 0, XHCI_SPEED_UNDEFINED, "command_abort", what);
    h->aborting = true;
    h->abort_deadline_ns = now + XHCID_ABORT_TIMEOUT_NS;
    for (uint32_t i = 0; i < XHCID_CMDS_MAX; i++)
        if (h->cmds[i].used)
            h->cmds[i].deadline_ns = now + XHCID_CMD_TIMEOUT_NS;
    port_mmio_write32(h->regs, h->op + XHCI_OP_CRCR, XHCI_CRCR_CA);
    ASSERT(h->aborting);
    ASSERT(h->abort_deadline_ns > now);
}

void xhcid_cmd_timeouts(struct xhcid *h, uint64_t now)
{
    ASSERT(h != NULL);
    ASSERT(!h->aborting || h->abort_deadline_ns != 0);
    if (!h->dead && xhcid_cmd_next_deadline(h) <= now)
        xhcid_check_status(h);
    if (!h->dead && h->aborting && now >= h->abort_deadline_ns)
        h->dead = true;
    for (uint32_t i = 0; i < XHCID_CMDS_MAX; i++) {
        struct xhcid_cmd *c = &h->cmds[i];
        if (c->used && h->dead)
            cmd_finish(h, c, XHCI_CC_INVALID, 0);
        else if (c->used && !h->aborting && now >= c->deadline_ns)
            abort_command(h, c, now);
    }
}

uint64_t xhcid_cmd_next_deadline(const struct xhcid *h)
{
    uint64_t next = h->aborting ? h->abort_deadline_ns : XHCID_NO_DEADLINE;
    ASSERT(h != NULL);
    for (uint32_t i = 0; i < XHCID_CMDS_MAX; i++)
        if (h->cmds[i].used && h->cmds[i].deadline_ns < next)
            next = h->cmds[i].deadline_ns;
    ASSERT(!h->aborting || next <= h->abort_deadline_ns);
    return next;
}

/* ---- the event ring ------------------------------------------------------------------------- */

static uint32_t ir_reg(const struct xhcid *h, uint32_t reg) { return h->rt + XHCI_RT_IR0 + reg; }

/* The next event, if the controller wrote one: its cycle bit is ours. */
static bool next_event(struct xhcid *h, uint64_t *param, uint32_t *status, uint32_t *control)
{
    ASSERT(h->ev.host != NULL);
    ASSERT(param != NULL && status != NULL && control != NULL);
    ASSERT(h->ev_trbs != 0);
    ASSERT(h->ev_idx < h->ev_trbs * h->ev_segs);
    const uint8_t *at = (const uint8_t *)h->ev.host + XHCI_TRB_BYTES * h->ev_idx;
    *control = xhcid_get32(at + 12);
    if (((*control & XHCI_TRB_C) != 0) != h->ev_ccs)
        return false;
    *param = xhcid_get32(at) | (uint64_t)xhcid_get32(at + 4) << 32;
    *status = xhcid_get32(at + 8);
    if (++h->ev_idx == h->ev_trbs * h->ev_segs) {
        h->ev_idx = 0;
        h->ev_ccs = !h->ev_ccs; /* the consumer cycle state flips at the wrap [4.9.4] */
    }
    ASSERT(h->ev_idx < h->ev_trbs * h->ev_segs);
    return true;
}

/* Tells the controller how far we read (ERDP with EHB written 1 to clear
 * it, DESI the segment) and, for INTx, clears IMAN.IP (an MSI clears it
 * itself) [4.17.2, 5.5.2.3.3]. */
static void events_done(struct xhcid *h)
{
    uint64_t erdp = h->ev.bus_addr + (uint64_t)XHCI_TRB_BYTES * h->ev_idx;
    ASSERT(h->ev_trbs != 0);
    ASSERT((erdp & (XHCI_TRB_BYTES - 1)) == 0);
    ASSERT(h->ev_idx < h->ev_trbs * h->ev_segs);
    uint32_t desi = h->ev_idx / h->ev_trbs;
    ASSERT(desi < h->ev_segs);
    if (h->intx)
        port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_IMAN), XHCI_IMAN_IE | XHCI_IMAN_IP);
    port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERDP),
                      (uint32_t)erdp | (desi & XHCI_ERDP_DESI_MASK) | XHCI_ERDP_EHB);
    if ((uint32_t)(erdp >> 32) != h->erdp_hi) { /* the ring is one allocation: rarely */
        h->erdp_hi = (uint32_t)(erdp >> 32);
        port_mmio_write32(h->regs, ir_reg(h, XHCI_IR_ERDP + 4), h->erdp_hi);
    }
}

static void dispatch(struct xhcid *h, uint64_t param, uint32_t status, uint32_t control)
{
    uint32_t type = (control & XHCI_TRB_TYPE_MASK) >> XHCI_TRB_TYPE_SHIFT;
    uint32_t slot = (control & XHCI_TRB_SLOT_ID_MASK) >> XHCI_TRB_SLOT_ID_SHIFT;
    ASSERT(h != NULL);
    ASSERT(h->nports <= XHCID_PORTS_MAX);
    switch (type) {
    case XHCI_TRB_TYPE_CMD_COMPLETION:
        cmd_completion(h, param, status, control);
        break;
    case XHCI_TRB_TYPE_PORT_STATUS_CHANGE: {
        uint32_t port = (uint32_t)((param & XHCI_EVT_PORT_ID_MASK) >> XHCI_EVT_PORT_ID_SHIFT);
        if (port >= 1 && port <= h->nports)
            xhcid_port_change(h, port);
        break;
    }
    case XHCI_TRB_TYPE_TRANSFER_EVENT:
        xhcid_dev_transfer(h, slot, (control & XHCI_TRB_EP_ID_MASK) >> XHCI_TRB_EP_ID_SHIFT,
                           param, (status & XHCI_EVT_CC_MASK) >> XHCI_EVT_CC_SHIFT,
                           status & XHCI_EVT_LENGTH_MASK);
        break;
    default: /* MFINDEX wrap, host controller events, vendor events: nothing to do */
        break;
    }
}

void xhcid_events(struct xhcid *h)
{
    uint64_t param;
    uint32_t status, control, n = 0;
    ASSERT(h->ev_trbs != 0);
    ASSERT(h->ev_segs != 0);
    /* a bound: a controller that keeps writing cannot keep us here forever */
    while (n < h->ev_trbs * h->ev_segs && next_event(h, &param, &status, &control)) {
        dispatch(h, param, status, control);
        n++;
    }
    ASSERT(n <= h->ev_trbs * h->ev_segs);
    events_done(h);
    if (n == 0) /* an interrupt with no event: the controller may have failed */
        xhcid_check_status(h);
}

void xhcid_check_status(struct xhcid *h)
{
    uint32_t sts = xhcid_op_rd(h, XHCI_OP_USBSTS);
    ASSERT(h->regs != NULL);
    if (sts & (XHCI_USBSTS_HSE | XHCI_USBSTS_HCE))
        h->dead = true;
}
