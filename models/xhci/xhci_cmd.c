/*
 * The command ring [xHCI 4.6, 5.4.5]: CRCR, the doorbell, fetching TRBs
 * with the consumer cycle state and Link TRBs (with Toggle Cycle), the
 * commands, Command Stop and Command Abort.
 *
 * The ring runs (CRR = 1) from the first doorbell until it is stopped or
 * aborted or the controller halts; an empty ring (a TRB whose cycle bit is
 * not the consumer's) waits for the next doorbell. Each TRB costs the
 * profile's trb_fetch_ps, each command its command_ps; a command completes
 * with a Command Completion Event on the primary interrupter.
 *
 * Commands: No Op and Enable Slot here; the commands on a device slot
 * (Disable Slot, Address Device, Configure Endpoint, Evaluate Context,
 * Reset/Stop Endpoint, Set TR Dequeue Pointer, Reset Device) in
 * xhci_slot.c. The optional ones (Force Event, Negotiate Bandwidth, Set
 * LTV, Get Port Bandwidth, Force Header, Get/Set Extended Property) and
 * anything that is not a command complete with TRB Error, as on a
 * controller without them. A ring of Link TRBs that never reaches a command is a driver bug
 * the controller cannot see the end of: after XHCI_LINKS_MAX in a row it
 * stops fetching (noted) until the next doorbell.
 */
#include "impl/port/check.h"
#include "models/xhci/xhci_internal.h"
#include "models/xhci/xhci_trace.h"

#define XHCI_LINKS_MAX 64u
#define XHCI_CMDS_PER_STEP 256u  /* commands in a row before a microframe's pause (QEMU's COMMAND_LIMIT) */

static uint32_t trb_type(const struct xhci_trb *t)
{
    return (t->control & XHCI_TRB_TYPE_MASK) >> XHCI_TRB_TYPE_SHIFT;
}

static uint32_t trb_slot(const struct xhci_trb *t)
{
    return (t->control & XHCI_TRB_SLOT_ID_MASK) >> XHCI_TRB_SLOT_ID_SHIFT;
}

void xhci_cmd_reset(struct xhci *x)
{
    sim_dev_cancel(x->m, x->cr_work);
    x->cr_work = SIM_EVENT_NONE;
    x->cr_dequeue = 0;
    x->cr_ccs = x->cr_running = x->cr_stop = x->cr_abort = x->cr_busy = false;
    x->cr_burst = 0;
}

uint64_t xhci_crcr_read(const struct xhci *x)
{
    return x->cr_running ? XHCI_CRCR_CRR : 0; /* the pointer reads 0 [5.4.5] */
}

/* The ring stops: Command Ring Stopped, pointing at the next command. */
static void ring_stopped(struct xhci *x)
{
    x->cr_running = x->cr_stop = x->cr_abort = false;
    xhci_event_command(x, x->cr_dequeue, XHCI_CC_CMD_RING_STOPPED, 0);
}

void xhci_crcr_write(struct xhci *x, uint64_t v, bool high_half)
{
    if (!x->cr_running) { /* pointer and RCS only while stopped */
        if (high_half) {
            x->cr_dequeue = (x->cr_dequeue & 0xffffffffull) | (v & ~0xffffffffull);
        } else {
            x->cr_dequeue = (x->cr_dequeue & ~0xffffffffull) | (v & XHCI_CRCR_PTR_MASK & 0xffffffffull);
            x->cr_ccs = (v & XHCI_CRCR_RCS) != 0;
        }
        return;
    }
    if (high_half)
        return;
    if (v & XHCI_CRCR_CA) {
        if (x->cr_busy) { /* the command in progress ends aborted */
            sim_dev_cancel(x->m, x->cr_work);
            x->cr_work = SIM_EVENT_NONE;
            x->cr_busy = false;
            struct xhci_trb t;
            if (xhci_trb_read(x, x->cr_dequeue, &t)) /* its row, as a completed one has */
                xhci_trace_cmd(x, x->cr_dequeue, &t, 0, XHCI_CC_CMD_ABORTED, x->cr_issued_ps);
            xhci_event_command(x, x->cr_dequeue, XHCI_CC_CMD_ABORTED, 0);
            x->cr_dequeue += XHCI_TRB_BYTES;
        }
        ring_stopped(x);
    } else if (v & XHCI_CRCR_CS) {
        if (x->cr_busy)
            x->cr_stop = true; /* after the current command */
        else
            ring_stopped(x);
    }
}

void xhci_cmd_halt(struct xhci *x)
{
    sim_dev_cancel(x->m, x->cr_work);
    x->cr_work = SIM_EVENT_NONE;
    x->cr_running = x->cr_busy = x->cr_stop = x->cr_abort = false;
}

/* ---- the commands ---------------------------------------------------------------------------- */

static uint32_t enable_slot(struct xhci *x, uint32_t *slot)
{
    uint32_t en = x->config & XHCI_CONFIG_MAX_SLOTS_EN_MASK;
    for (uint32_t s = 1; s <= en && s <= x->p->max_slots; s++) {
        if (x->slots[s].state == XS_DISABLED) {
            x->slots[s].state = XS_ENABLED;
            *slot = s;
            return XHCI_CC_SUCCESS;
        }
    }
    return XHCI_CC_NO_SLOTS_AVAILABLE;
}

/* Runs the command; returns its completion code, *slot for the event. */
static uint32_t execute(struct xhci *x, const struct xhci_trb *t, uint32_t *slot)
{
    *slot = 0;
    switch (trb_type(t)) {
    case XHCI_TRB_TYPE_NOOP_CMD: return XHCI_CC_SUCCESS;
    case XHCI_TRB_TYPE_ENABLE_SLOT: return enable_slot(x, slot);
    case XHCI_TRB_TYPE_DISABLE_SLOT:
    case XHCI_TRB_TYPE_ADDRESS_DEVICE:
    case XHCI_TRB_TYPE_CONFIGURE_EP:
    case XHCI_TRB_TYPE_EVALUATE_CTX:
    case XHCI_TRB_TYPE_RESET_EP:
    case XHCI_TRB_TYPE_STOP_EP:
    case XHCI_TRB_TYPE_SET_TR_DEQUEUE:
    case XHCI_TRB_TYPE_RESET_DEVICE:
        *slot = trb_slot(t);
        if (*slot == 0 || *slot > x->p->max_slots)
            return XHCI_CC_TRB_ERROR;
        if (x->slots[*slot].state == XS_DISABLED)
            return XHCI_CC_SLOT_NOT_ENABLED;
        return xhci_slot_command(x, t, *slot);
    default:
        return XHCI_CC_TRB_ERROR; /* optional commands it lacks, and non-commands */
    }
}

static void fetch(void *ctx, uint64_t arg);

static void command_done(void *ctx, uint64_t arg)
{
    struct xhci *x = ctx;
    (void)arg;
    x->cr_work = SIM_EVENT_NONE;
    x->cr_busy = false;
    struct xhci_trb t;
    uint32_t slot = 0, cc = XHCI_CC_TRB_ERROR;
    if (!xhci_trb_read(x, x->cr_dequeue, &t)) {
        xhci_host_system_error(x, "a command TRB could not be read");
        return;
    }
    cc = execute(x, &t, &slot);
    if (!xhci_running(x))
        return; /* a memory access of the command failed: Host System Error,
                   halted; a halted controller completes nothing [5.4.2] */
    xhci_trace_cmd(x, x->cr_dequeue, &t, slot, cc, x->cr_issued_ps);
    xhci_event_command(x, x->cr_dequeue, cc, slot);
    x->cr_dequeue += XHCI_TRB_BYTES;
    if (x->cr_stop) {
        ring_stopped(x);
        return;
    }
    /* A ring of commands closed by a Link TRB that does not toggle the
     * cycle never empties; on a profile whose commands take no time it
     * would run for ever without time moving. So after XHCI_CMDS_PER_STEP
     * commands in a row the next fetch waits for the next microframe. */
    sim_time_ps next = x->p->trb_fetch_ps;
    if (++x->cr_burst == XHCI_CMDS_PER_STEP) {
        sim_time_ps unit = (sim_time_ps)XHCI_MFINDEX_TICK_NS * SIM_NS, now = sim_dev_now(x->m);
        next = (now / unit + 1u) * unit - now;
        x->cr_burst = 0;
    }
    xhci_after(x, next, fetch, 0, &x->cr_work);
}

/* The scenario's hang fault: this command never completes on its own. */
static bool hangs(struct xhci *x, uint32_t type)
{
    if (x->hang_command == 0 || type != x->hang_command || ++x->hang_seen != x->hang_nth)
        return false;
    xhci_trace_fault(x, "xhci_command_hang", xhci_trb_type_name(type));
    return true;
}

/* Fetches the TRB at the dequeue pointer: follows Link TRBs, starts a
 * command, or finds the ring empty and waits for the next doorbell. */
static void fetch(void *ctx, uint64_t arg)
{
    struct xhci *x = ctx;
    (void)arg;
    x->cr_work = SIM_EVENT_NONE;
    for (uint32_t links = 0; links < XHCI_LINKS_MAX; links++) {
        struct xhci_trb t;
        if (!xhci_trb_read(x, x->cr_dequeue, &t)) {
            xhci_host_system_error(x, "the command ring could not be read");
            return;
        }
        if (((t.control & XHCI_TRB_C) != 0) != x->cr_ccs) {
            x->cr_burst = 0;
            return; /* empty: software has not produced this TRB */
        }
        xhci_trace_trb(x, XHCI_RING_COMMAND, 0, 0, x->cr_dequeue, &t, false);
        if (trb_type(&t) != XHCI_TRB_TYPE_LINK) {
            x->cr_busy = true;
            x->cr_issued_ps = sim_dev_now(x->m);
            if (!hangs(x, trb_type(&t)))
                xhci_after(x, x->p->command_ps, command_done, 0, &x->cr_work);
            return;
        }
        x->cr_dequeue = t.parameter & XHCI_LINK_PTR_MASK;
        if (t.control & XHCI_TRB_TC)
            x->cr_ccs = !x->cr_ccs;
    }
    xhci_note(x, "the command ring is a loop of Link TRBs: fetching stops until the next doorbell");
}

void xhci_cmd_doorbell(struct xhci *x)
{
    x->cr_running = true;
    if (x->cr_busy || x->cr_work.slot != SIM_EVENT_NONE.slot)
        return; /* already working; it will find the new command */
    xhci_after(x, x->p->doorbell_ps, fetch, 0, &x->cr_work);
}
