/*
 * Interrupters and their event rings [xHCI 4.9.4, 4.17, 5.5.2].
 *
 * The event ring: ERSTBA points at a table of ERSTSZ segments; the
 * controller writes events at its enqueue position with its producer cycle
 * bit, moves to the next segment at a segment's end and toggles the cycle
 * bit when it wraps to the first. Software owns ERDP (the dequeue
 * position). The slot just before ERDP is never written (the ring would
 * then look empty); two slots before it, the controller writes an Event
 * Ring Full Error event instead of the event and drops events until ERDP
 * moves (counted in stats.events_dropped).
 *
 * Interrupts: an event sets IMAN.IP (and USBSTS.EINT). The interrupter
 * signals when IP = IE = 1, USBCMD.INTE = 1, ERDP.EHB = 0, the ring is not
 * empty and the moderation counter IMODC is 0; signalling sets EHB, which
 * software clears with its ERDP write. IMODC is loaded from IMODI whenever
 * IP is cleared - by software, or by the controller itself once an MSI or
 * MSI-X message has gone out [5.5.2.1] - and counts down in 250 ns steps.
 * A profile without moderation (QEMU's) ignores IMOD.
 */
#include <string.h>

#include "impl/port/check.h"
#include "models/xhci/xhci_internal.h"
#include "models/xhci/xhci_trace.h"

/* ---- the ring ------------------------------------------------------------------------------ */

static uint64_t enqueue_addr(const struct xhci_intr *in)
{
    return in->seg_base + (uint64_t)in->idx * XHCI_TRB_BYTES;
}

static bool ring_empty(const struct xhci_intr *in)
{
    return !in->ring_valid || (in->erdp & XHCI_ERDP_PTR_MASK) == enqueue_addr(in);
}

/* Loads ERST entry n: a 64-byte-aligned segment of 16..4096 TRBs [6.5]. */
static bool load_segment(struct xhci *x, struct xhci_intr *in, uint32_t n)
{
    uint8_t e[16];
    if (xhci_dma_read(x, (in->erstba & XHCI_ERSTBA_PTR_MASK) + 16ull * n, e, sizeof e) != IOSIM_OK) {
        xhci_host_system_error(x, "the event ring segment table could not be read");
        return false;
    }
    uint64_t base = 0;
    for (int b = 7; b >= 0; b--)
        base = base << 8 | e[b];
    uint32_t trbs = (uint32_t)e[8] | (uint32_t)e[9] << 8;
    if (trbs < 16 || trbs > 4096 || (base & 63) != 0) {
        in->ring_valid = false;
        xhci_host_controller_error(x, "an ERST entry with a segment the spec does not allow");
        return false;
    }
    in->seg = n;
    in->seg_base = base;
    in->seg_trbs = trbs;
    in->idx = 0;
    return true;
}

/* ERSTBA written: the ring (re)starts at segment 0, cycle 1 [4.9.4]. */
static void ring_start(struct xhci *x, struct xhci_intr *in)
{
    in->ring_valid = false;
    in->full = false;
    if (in->erstsz == 0)
        return;
    if (in->erstsz > x->p->erstsz_max) {
        xhci_host_controller_error(x, "ERSTSZ above what the controller takes");
        return;
    }
    in->pcs = true;
    in->ring_valid = load_segment(x, in, 0);
}

/* The base of ERST entry n (0 when it cannot be read). */
static uint64_t segment_base(struct xhci *x, const struct xhci_intr *in, uint32_t n)
{
    uint8_t e[8];
    if (xhci_dma_read(x, (in->erstba & XHCI_ERSTBA_PTR_MASK) + 16ull * n, e, sizeof e) != IOSIM_OK)
        return 0;
    uint64_t base = 0;
    for (int b = 7; b >= 0; b--)
        base = base << 8 | e[b];
    return base;
}

/* Is the slot `ahead` slots past the enqueue position (1 or 2) software's
 * dequeue pointer? Only the current and the next segment are looked at:
 * a segment holds at least 16 TRBs [6.5]. */
static bool ahead_is_dequeue(struct xhci *x, struct xhci_intr *in, uint32_t ahead)
{
    uint64_t deq = in->erdp & XHCI_ERDP_PTR_MASK;
    uint32_t idx = in->idx + ahead;
    if (idx < in->seg_trbs)
        return in->seg_base + (uint64_t)idx * XHCI_TRB_BYTES == deq;
    uint64_t next = segment_base(x, in, (in->seg + 1) % in->erstsz);
    return next + (uint64_t)(idx - in->seg_trbs) * XHCI_TRB_BYTES == deq;
}

static bool write_trb(struct xhci *x, struct xhci_intr *in, const struct xhci_trb *t)
{
    uint32_t intr = (uint32_t)(in - x->intr);
    uint8_t b[XHCI_TRB_BYTES];
    uint32_t control = (t->control & ~XHCI_TRB_C) | (in->pcs ? XHCI_TRB_C : 0);
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(t->parameter >> (8 * i));
    for (int i = 0; i < 4; i++) {
        b[8 + i] = (uint8_t)(t->status >> (8 * i));
        b[12 + i] = (uint8_t)(control >> (8 * i));
    }
    if (x->destroying) /* devices detached as the controller goes: nobody reads events now */
        return false;
    if (xhci_dma_write(x, enqueue_addr(in), b, sizeof b) != IOSIM_OK) {
        xhci_host_system_error(x, "an event could not be written to the event ring");
        return false;
    }
    x->stats.events_written++;
    struct xhci_trb w = {t->parameter, t->status, control};
    xhci_trace_trb(x, XHCI_RING_EVENT, intr, 0, enqueue_addr(in), &w, true);
    return true;
}

static void advance(struct xhci *x, struct xhci_intr *in)
{
    if (++in->idx < in->seg_trbs)
        return;
    uint32_t n = (in->seg + 1) % in->erstsz;
    if (n == 0)
        in->pcs = !in->pcs;
    (void)load_segment(x, in, n);
}

/* ---- interrupts ---------------------------------------------------------------------------- */

static bool imod_counting(const struct xhci *x, const struct xhci_intr *in)
{
    return x->p->imod && sim_dev_now(x->m) < in->imod_until_ps;
}

static void intx_release(struct xhci *x)
{
    for (uint32_t i = 0; i < x->p->max_intrs; i++)
        if (x->intr[i].iman & XHCI_IMAN_IP)
            return;
    pci_fn_intx_clear(x->fn);
}

static void try_signal(struct xhci *x, uint32_t i);

static void imod_expired(void *ctx, uint64_t i)
{
    struct xhci *x = ctx;
    x->intr[i].imod_timer = SIM_EVENT_NONE;
    try_signal(x, (uint32_t)i);
}

/* IMODC := `count`, counting down [5.5.2.2]. */
static void imod_load(struct xhci *x, uint32_t i, uint32_t count)
{
    struct xhci_intr *in = &x->intr[i];
    sim_dev_cancel(x->m, in->imod_timer);
    in->imod_timer = SIM_EVENT_NONE;
    in->imod_until_ps = sim_dev_now(x->m) + (sim_time_ps)count * XHCI_IMOD_UNIT_NS * SIM_NS;
    if (x->p->imod && count != 0)
        xhci_after(x, in->imod_until_ps - sim_dev_now(x->m), imod_expired, i, &in->imod_timer);
}

static void ip_clear(struct xhci *x, uint32_t i)
{
    x->intr[i].iman &= ~XHCI_IMAN_IP;
    imod_load(x, i, x->intr[i].imodi);
    intx_release(x);
}

/* The interrupt leaves the controller: an MSI / MSI-X message clears IP
 * itself [5.5.2.1]. */
static void signal_out(void *ctx, uint64_t i)
{
    struct xhci *x = ctx;
    x->intr[i].irq_out = SIM_EVENT_NONE;
    if (pci_fn_interrupt(x->fn, (uint32_t)i) == PCI_IRQ_MSG)
        ip_clear(x, (uint32_t)i);
}

static void try_signal(struct xhci *x, uint32_t i)
{
    struct xhci_intr *in = &x->intr[i];
    if (!(in->iman & XHCI_IMAN_IP) || !(in->iman & XHCI_IMAN_IE) ||
        !(x->usbcmd & XHCI_USBCMD_INTE) || (in->erdp & XHCI_ERDP_EHB) || ring_empty(in) ||
        imod_counting(x, in))
        return;
    in->erdp |= XHCI_ERDP_EHB; /* no second signal until software clears it */
    x->stats.interrupts++;
    if (x->p->irq_ps == 0)
        signal_out(x, i);
    else if (in->irq_out.slot == SIM_EVENT_NONE.slot)
        xhci_after(x, x->p->irq_ps, signal_out, i, &in->irq_out);
}

static void pend(struct xhci *x, uint32_t i)
{
    struct xhci_intr *in = &x->intr[i];
    if (!(in->iman & XHCI_IMAN_IP)) {
        in->iman |= XHCI_IMAN_IP;
        x->usbsts |= XHCI_USBSTS_EINT;
    }
    try_signal(x, i);
}

bool xhci_event(struct xhci *x, uint32_t i, const struct xhci_trb *ev)
{
    return xhci_event_bei(x, i, ev, true);
}

bool xhci_event_bei(struct xhci *x, uint32_t i, const struct xhci_trb *ev, bool interrupt)
{
    if (i >= x->p->max_intrs)
        i = 0; /* an interrupter target out of range goes to the primary */
    struct xhci_intr *in = &x->intr[i];
    if (!in->ring_valid || in->full || ahead_is_dequeue(x, in, 1)) {
        /* no ring, or no room: the slot before ERDP would make it look empty */
        x->stats.events_dropped++;
        xhci_trace_event(x, i, ev, "dropped");
        return false;
    }
    if (ahead_is_dequeue(x, in, 2)) { /* the last usable slot: say the ring is full */
        struct xhci_trb full = {.status = (uint32_t)XHCI_CC_EVENT_RING_FULL << XHCI_EVT_CC_SHIFT,
                                .control = XHCI_TRB_TYPE_HC_EVENT << XHCI_TRB_TYPE_SHIFT};
        if (write_trb(x, in, &full))
            advance(x, in);
        in->full = true;
        x->stats.events_dropped++;
        xhci_trace_event(x, i, ev, "ring_full");
        xhci_note(x, "event ring full: events are dropped until ERDP moves");
        pend(x, i);
        return false;
    }
    if (!write_trb(x, in, ev))
        return false;
    xhci_trace_event(x, i, ev, "written");
    advance(x, in);
    if (interrupt)
        pend(x, i);
    return true;
}

void xhci_event_command(struct xhci *x, uint64_t trb_addr, uint32_t cc, uint32_t slot)
{
    struct xhci_trb ev = {.parameter = trb_addr, .status = cc << XHCI_EVT_CC_SHIFT,
                          .control = XHCI_TRB_TYPE_CMD_COMPLETION << XHCI_TRB_TYPE_SHIFT |
                                     slot << XHCI_TRB_SLOT_ID_SHIFT};
    x->stats.commands++;
    (void)xhci_event(x, 0, &ev);
}

/* Port Status Change events go to the primary interrupter, and only while
 * the controller runs (a driver scans PORTSC when it starts it). */
void xhci_event_port(struct xhci *x, uint32_t port)
{
    if (!xhci_running(x))
        return;
    struct xhci_trb ev = {.parameter = (uint64_t)(port + 1) << XHCI_EVT_PORT_ID_SHIFT,
                          .status = (uint32_t)XHCI_CC_SUCCESS << XHCI_EVT_CC_SHIFT,
                          .control = XHCI_TRB_TYPE_PORT_STATUS_CHANGE << XHCI_TRB_TYPE_SHIFT};
    (void)xhci_event(x, 0, &ev);
}

/* ---- registers ----------------------------------------------------------------------------- */

void xhci_intrs_reset(struct xhci *x)
{
    for (uint32_t i = 0; i < x->p->max_intrs; i++) {
        sim_dev_cancel(x->m, x->intr[i].imod_timer);
        sim_dev_cancel(x->m, x->intr[i].irq_out);
        x->intr[i] = (struct xhci_intr){.imodi = x->p->imodi_reset, .imod_timer = SIM_EVENT_NONE,
                                        .irq_out = SIM_EVENT_NONE};
    }
}

static uint32_t imodc_now(const struct xhci *x, const struct xhci_intr *in)
{
    if (!imod_counting(x, in))
        return 0;
    sim_time_ps left = in->imod_until_ps - sim_dev_now(x->m);
    sim_time_ps unit = XHCI_IMOD_UNIT_NS * SIM_NS;
    return (uint32_t)((left + unit - 1) / unit) & 0xffffu;
}

uint32_t xhci_intr_read(struct xhci *x, uint32_t i, uint32_t reg)
{
    if (i >= x->p->max_intrs)
        return 0;
    const struct xhci_intr *in = &x->intr[i];
    switch (reg) {
    case XHCI_IR_IMAN: return in->iman;
    case XHCI_IR_IMOD: return in->imodi | imodc_now(x, in) << XHCI_IMOD_IMODC_SHIFT;
    case XHCI_IR_ERSTSZ: return in->erstsz;
    case XHCI_IR_ERSTBA: return (uint32_t)in->erstba;
    case XHCI_IR_ERSTBA + 4: return (uint32_t)(in->erstba >> 32);
    case XHCI_IR_ERDP: return (uint32_t)in->erdp;
    case XHCI_IR_ERDP + 4: return (uint32_t)(in->erdp >> 32);
    default: return 0;
    }
}

static void erdp_written(struct xhci *x, uint32_t i)
{
    struct xhci_intr *in = &x->intr[i];
    if (in->full && !ahead_is_dequeue(x, in, 1))
        in->full = false; /* software made room */
    if (!ring_empty(in))
        pend(x, i); /* events left behind ERDP still want an interrupt */
}

void xhci_intr_write(struct xhci *x, uint32_t i, uint32_t reg, uint32_t v)
{
    if (i >= x->p->max_intrs)
        return;
    struct xhci_intr *in = &x->intr[i];
    switch (reg) {
    case XHCI_IR_IMAN:
        in->iman = (in->iman & XHCI_IMAN_IP) | (v & XHCI_IMAN_IE);
        if (v & XHCI_IMAN_IP & in->iman)
            ip_clear(x, i);
        try_signal(x, i);
        return;
    case XHCI_IR_IMOD:
        in->imodi = v & XHCI_IMOD_IMODI_MASK;
        imod_load(x, i, (v & XHCI_IMOD_IMODC_MASK) >> XHCI_IMOD_IMODC_SHIFT);
        try_signal(x, i);
        return;
    case XHCI_IR_ERSTSZ: in->erstsz = v & XHCI_ERSTSZ_MASK; return;
    case XHCI_IR_ERSTBA: in->erstba = (in->erstba & ~0xffffffffull) | (v & XHCI_ERSTBA_PTR_MASK); return;
    case XHCI_IR_ERSTBA + 4:
        in->erstba = (in->erstba & 0xffffffffull) | (uint64_t)v << 32;
        ring_start(x, in);
        return;
    case XHCI_IR_ERDP: {
        uint64_t ehb = in->erdp & XHCI_ERDP_EHB & ~(uint64_t)(v & XHCI_ERDP_EHB);
        in->erdp = (in->erdp & ~0xffffffffull) | (v & ~(uint32_t)XHCI_ERDP_EHB) | ehb;
        erdp_written(x, i);
        return;
    }
    case XHCI_IR_ERDP + 4:
        in->erdp = (in->erdp & 0xffffffffull) | (uint64_t)v << 32;
        erdp_written(x, i);
        return;
    default: return;
    }
}
