/*
 * Device slots and their contexts [xHCI 4.5, 4.6, 6.2]: the commands that
 * act on a slot, each checked against the slot and endpoint states the spec
 * allows it in (docs/architecture.md has the table), with the completion
 * code the spec gives for every state that forbids it.
 *
 * The model keeps each slot's and endpoint's context as eight dwords, the
 * way it last evaluated them from an input context, with the state, USB
 * address and dequeue pointer as its own fields; it writes them back into
 * the output device context (the DCBAA entry's) when a command completes
 * or an endpoint halts or stops, as a controller does. Every context is
 * read and written by DMA: a context the driver points into nowhere is a
 * Host System Error, never a host access out of bounds.
 *
 * Choices where the spec leaves room (each documented in
 * docs/architecture.md): a value in an input context the controller cannot
 * use (an endpoint type that does not fit the DCI, a maximum packet size
 * of 0, a dequeue pointer of 0, a root hub port that does not exist) is a
 * Parameter Error, and the command changes nothing; reserved Add/Drop
 * flags (D0, D1; A1 for Configure Endpoint is ignored) are a TRB Error as
 * QEMU has it; endpoint contexts asking for streams are a Resource Error
 * (streams are not modelled); there is no bandwidth accounting.
 */
#include <string.h>

#include "impl/port/check.h"
#include "models/usb/usb_dev.h"
#include "models/xhci/xhci_internal.h"

uint32_t xhci_ctx_bytes(const struct xhci *x)
{
    return (x->p->hccparams1_flags & XHCI_HCCPARAMS1_CSZ) ? XHCI_CTX_BYTES_CSZ : XHCI_CTX_BYTES;
}

static uint32_t field(uint32_t v, uint32_t mask, uint32_t shift)
{
    return (v & mask) >> shift;
}

static uint32_t slot_state_field(enum xhci_slot_state s)
{
    switch (s) {
    case XS_DEFAULT: return XHCI_SLOT_STATE_DEFAULT;
    case XS_ADDRESSED: return XHCI_SLOT_STATE_ADDRESSED;
    case XS_CONFIGURED: return XHCI_SLOT_STATE_CONFIGURED;
    case XS_DISABLED:
    case XS_ENABLED: break;
    }
    return XHCI_SLOT_STATE_DISABLED;
}

/* ---- context memory --------------------------------------------------------------------------- */

static bool ctx_read(struct xhci *x, uint64_t addr, uint32_t dw[8])
{
    uint8_t b[32];
    if (xhci_dma_read(x, addr, b, sizeof b) != IOSIM_OK) {
        xhci_host_system_error(x, "a context could not be read");
        return false;
    }
    for (int i = 0; i < 8; i++)
        dw[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 |
                (uint32_t)b[4 * i + 3] << 24;
    return true;
}

static void ctx_write(struct xhci *x, uint64_t addr, const uint32_t dw[8])
{
    uint8_t b[32];
    for (int i = 0; i < 8; i++)
        for (int k = 0; k < 4; k++)
            b[4 * i + k] = (uint8_t)(dw[i] >> (8 * k));
    if (xhci_dma_write(x, addr, b, sizeof b) != IOSIM_OK)
        xhci_host_system_error(x, "a context could not be written");
}

void xhci_ctx_write_slot(struct xhci *x, uint32_t slot)
{
    struct xhci_slot *s = &x->slots[slot];
    if (s->out_ctx == 0)
        return;
    uint32_t dw[8];
    memcpy(dw, s->ctx, sizeof dw);
    dw[3] = (dw[3] & ~(XHCI_SLOT_DW3_STATE_MASK | XHCI_SLOT_DW3_ADDRESS_MASK)) |
            slot_state_field(s->state) << XHCI_SLOT_DW3_STATE_SHIFT | s->address;
    dw[4] = dw[5] = dw[6] = dw[7] = 0; /* the xHC's own */
    ctx_write(x, s->out_ctx, dw);
}

void xhci_ctx_write_ep(struct xhci *x, uint32_t slot, uint32_t dci)
{
    struct xhci_slot *s = &x->slots[slot];
    const struct xhci_ep *ep = &s->ep[dci];
    if (s->out_ctx == 0)
        return;
    uint32_t dw[8];
    memcpy(dw, ep->ctx, sizeof dw);
    dw[0] = (dw[0] & ~XHCI_EP_DW0_STATE_MASK) | ep->state;
    dw[2] = (uint32_t)(ep->deq & XHCI_EP_DEQ_PTR_MASK) | (ep->dcs ? XHCI_EP_DW2_DCS : 0);
    dw[3] = (uint32_t)(ep->deq >> 32);
    dw[5] = dw[6] = dw[7] = 0;
    ctx_write(x, s->out_ctx + (uint64_t)dci * xhci_ctx_bytes(x), dw);
}

/* ---- life of a slot ----------------------------------------------------------------------------- */

static void ep_disable(struct xhci *x, uint32_t slot, uint32_t dci)
{
    xhci_xfer_stop(x, slot, dci, false);
    struct xhci_ep *ep = &x->slots[slot].ep[dci];
    *ep = (struct xhci_ep){.work = SIM_EVENT_NONE};
}

static void slot_free(struct xhci *x, uint32_t slot)
{
    for (uint32_t dci = 1; dci <= XHCI_DCI_MAX; dci++)
        ep_disable(x, slot, dci);
    x->slots[slot] = (struct xhci_slot){.state = XS_DISABLED};
    for (uint32_t dci = 0; dci <= XHCI_DCI_MAX; dci++)
        x->slots[slot].ep[dci].work = SIM_EVENT_NONE;
}

void xhci_slots_reset(struct xhci *x)
{
    for (uint32_t s = 0; s <= x->p->max_slots; s++)
        slot_free(x, s);
}

/* The endpoint type an input endpoint context may have at DCI dci: EP0 is
 * control; odd DCIs are IN endpoints, even ones OUT [4.5.1]. Isochronous
 * endpoints are refused (not modelled). */
static bool ep_type_fits(uint32_t dci, uint32_t type)
{
    if (dci == XHCI_DCI_EP0)
        return type == XHCI_EP_TYPE_CONTROL;
    if (dci & 1u)
        return type == XHCI_EP_TYPE_BULK_IN || type == XHCI_EP_TYPE_INTERRUPT_IN;
    return type == XHCI_EP_TYPE_BULK_OUT || type == XHCI_EP_TYPE_INTERRUPT_OUT;
}

/* Checks an input endpoint context; the completion code that refuses it,
 * or SUCCESS. */
static uint32_t ep_ctx_check(uint32_t dci, const uint32_t dw[8])
{
    uint32_t type = field(dw[1], XHCI_EP_DW1_TYPE_MASK, XHCI_EP_DW1_TYPE_SHIFT);
    uint64_t deq = ((uint64_t)dw[3] << 32 | dw[2]) & XHCI_EP_DEQ_PTR_MASK;
    if (type == XHCI_EP_TYPE_ISOCH_IN || type == XHCI_EP_TYPE_ISOCH_OUT)
        return XHCI_CC_RESOURCE_ERROR; /* isochronous transfers are not modelled */
    if (field(dw[0], XHCI_EP_DW0_MAX_PSTREAMS_MASK, XHCI_EP_DW0_MAX_PSTREAMS_SHIFT) != 0)
        return XHCI_CC_RESOURCE_ERROR; /* nor are streams */
    if (!ep_type_fits(dci, type) || field(dw[1], XHCI_EP_DW1_MAX_PACKET_MASK,
                                          XHCI_EP_DW1_MAX_PACKET_SHIFT) == 0 || deq == 0)
        return XHCI_CC_PARAMETER_ERROR;
    return XHCI_CC_SUCCESS;
}

/* Endpoint dci takes the input context dw: Running at its dequeue pointer. */
static void ep_enable(struct xhci *x, uint32_t slot, uint32_t dci, const uint32_t dw[8])
{
    ep_disable(x, slot, dci);
    struct xhci_ep *ep = &x->slots[slot].ep[dci];
    memcpy(ep->ctx, dw, sizeof ep->ctx);
    ep->state = XHCI_EP_STATE_RUNNING;
    ep->deq = ((uint64_t)dw[3] << 32 | dw[2]) & XHCI_EP_DEQ_PTR_MASK;
    ep->dcs = (dw[2] & XHCI_EP_DW2_DCS) != 0;
}

/* The input context at `in`: control context, slot context, and endpoint
 * context dci at (dci + 1) contexts in [6.2.5]. */
static uint64_t in_ctx_at(const struct xhci *x, uint64_t in, uint32_t index)
{
    return in + (uint64_t)index * xhci_ctx_bytes(x);
}

/* ---- Address Device [4.6.5] ----------------------------------------------------------------------- */

static uint32_t address_device(struct xhci *x, uint32_t slot, uint64_t in, bool bsr)
{
    struct xhci_slot *s = &x->slots[slot];
    if (!(s->state == XS_ENABLED || (s->state == XS_DEFAULT && !bsr)))
        return XHCI_CC_CONTEXT_STATE_ERROR;
    uint32_t icc[8], sc[8], ep0[8];
    if (!ctx_read(x, in, icc) || !ctx_read(x, in_ctx_at(x, in, 1), sc) ||
        !ctx_read(x, in_ctx_at(x, in, 2), ep0))
        return XHCI_CC_INVALID; /* the controller halted: no completion is written */
    if (icc[XHCI_ICC_DW_DROP] != 0 || (icc[XHCI_ICC_DW_ADD] & 3u) != 3u)
        return XHCI_CC_TRB_ERROR;
    uint32_t port = field(sc[1], XHCI_SLOT_DW1_ROOT_PORT_MASK, XHCI_SLOT_DW1_ROOT_PORT_SHIFT);
    if (port == 0 || port > x->nports ||
        ep_ctx_check(XHCI_DCI_EP0, ep0) != XHCI_CC_SUCCESS)
        return XHCI_CC_PARAMETER_ERROR;
    uint8_t dcbaa[8];
    if (xhci_dma_read(x, (x->dcbaap & XHCI_DCBAAP_PTR_MASK) + 8ull * slot, dcbaa, 8) != IOSIM_OK) {
        xhci_host_system_error(x, "the DCBAA could not be read");
        return XHCI_CC_INVALID;
    }
    uint64_t out = 0;
    for (int b = 7; b >= 0; b--)
        out = out << 8 | dcbaa[b];
    s->out_ctx = out & ~63ull;
    s->port = port;
    memcpy(s->ctx, sc, sizeof s->ctx);
    ep_enable(x, slot, XHCI_DCI_EP0, ep0);
    uint32_t cc = XHCI_CC_SUCCESS;
    if (bsr) {
        s->state = XS_DEFAULT;
        s->address = 0;
    } else {
        /* SET_ADDRESS on the default pipe; the address is the slot's
         * number, as QEMU and crosvm choose it [ref 1.9]. */
        struct usb_dev *d = x->ports[port - 1].dev;
        uint8_t setup[8] = {0, USB_REQ_SET_ADDRESS, (uint8_t)slot, 0, 0, 0, 0, 0};
        uint32_t len = 0;
        bool enabled = (x->ports[port - 1].portsc & XHCI_PORTSC_PED) != 0;
        if (d != NULL && enabled && usb_dev_control(d, setup, NULL, &len) == USB_ACK) {
            s->state = XS_ADDRESSED;
            s->address = (uint8_t)slot;
        } else {
            s->state = XS_DEFAULT; /* the slot is left for Disable Slot [ref 1.8] */
            s->address = 0;
            cc = XHCI_CC_USB_TRANSACTION_ERROR;
        }
    }
    s->ctx[0] = (s->ctx[0] & ~XHCI_SLOT_DW0_CTX_ENTRIES_MASK) | 1u << XHCI_SLOT_DW0_CTX_ENTRIES_SHIFT;
    xhci_ctx_write_slot(x, slot);
    xhci_ctx_write_ep(x, slot, XHCI_DCI_EP0);
    return cc;
}

/* ---- Configure Endpoint [4.6.6] ------------------------------------------------------------------- */

static bool any_ep_enabled(const struct xhci_slot *s)
{
    for (uint32_t dci = 2; dci <= XHCI_DCI_MAX; dci++)
        if (s->ep[dci].state != XHCI_EP_STATE_DISABLED)
            return true;
    return false;
}

static void deconfigure(struct xhci *x, uint32_t slot)
{
    for (uint32_t dci = 2; dci <= XHCI_DCI_MAX; dci++) {
        if (x->slots[slot].ep[dci].state != XHCI_EP_STATE_DISABLED) {
            ep_disable(x, slot, dci);
            xhci_ctx_write_ep(x, slot, dci);
        }
    }
    x->slots[slot].state = XS_ADDRESSED;
    xhci_ctx_write_slot(x, slot);
}

static uint32_t configure_ep(struct xhci *x, uint32_t slot, uint64_t in, bool dc)
{
    struct xhci_slot *s = &x->slots[slot];
    if (s->state != XS_ADDRESSED && s->state != XS_CONFIGURED)
        return XHCI_CC_CONTEXT_STATE_ERROR;
    if (dc) {
        deconfigure(x, slot);
        return XHCI_CC_SUCCESS;
    }
    uint32_t icc[8], sc[8];
    if (!ctx_read(x, in, icc) || !ctx_read(x, in_ctx_at(x, in, 1), sc))
        return XHCI_CC_INVALID;
    uint32_t drop = icc[XHCI_ICC_DW_DROP], add = icc[XHCI_ICC_DW_ADD] & ~2u; /* A1 ignored */
    if (drop & XHCI_ICC_DROP_RSVD)
        return XHCI_CC_TRB_ERROR;
    /* every added context is checked before anything changes */
    uint32_t eps[XHCI_DCI_MAX + 1][8];
    for (uint32_t dci = 2; dci <= XHCI_DCI_MAX; dci++) {
        if (!(add & 1u << dci))
            continue;
        if (!ctx_read(x, in_ctx_at(x, in, dci + 1), eps[dci]))
            return XHCI_CC_INVALID;
        uint32_t cc = ep_ctx_check(dci, eps[dci]);
        if (cc != XHCI_CC_SUCCESS)
            return cc;
    }
    for (uint32_t dci = 2; dci <= XHCI_DCI_MAX; dci++) {
        if ((drop | add) & 1u << dci) {
            if (add & 1u << dci)
                ep_enable(x, slot, dci, eps[dci]);
            else
                ep_disable(x, slot, dci);
            xhci_ctx_write_ep(x, slot, dci);
        }
    }
    if (add & 1u) /* A0: the slot context's Context Entries */
        s->ctx[0] = (s->ctx[0] & ~XHCI_SLOT_DW0_CTX_ENTRIES_MASK) |
                    (sc[0] & XHCI_SLOT_DW0_CTX_ENTRIES_MASK);
    s->state = any_ep_enabled(s) ? XS_CONFIGURED : XS_ADDRESSED;
    xhci_ctx_write_slot(x, slot);
    return XHCI_CC_SUCCESS;
}

/* ---- Evaluate Context [4.6.7] --------------------------------------------------------------------- */

static uint32_t evaluate_ctx(struct xhci *x, uint32_t slot, uint64_t in)
{
    struct xhci_slot *s = &x->slots[slot];
    if (s->state == XS_ENABLED)
        return XHCI_CC_CONTEXT_STATE_ERROR;
    uint32_t icc[8], sc[8], ep0[8];
    if (!ctx_read(x, in, icc) || !ctx_read(x, in_ctx_at(x, in, 1), sc) ||
        !ctx_read(x, in_ctx_at(x, in, 2), ep0))
        return XHCI_CC_INVALID;
    uint32_t add = icc[XHCI_ICC_DW_ADD];
    if (icc[XHCI_ICC_DW_DROP] != 0 || (add & ~3u) != 0)
        return XHCI_CC_TRB_ERROR; /* only the slot and EP0 are evaluated */
    if ((add & 2u) && field(ep0[1], XHCI_EP_DW1_MAX_PACKET_MASK, XHCI_EP_DW1_MAX_PACKET_SHIFT) == 0)
        return XHCI_CC_PARAMETER_ERROR;
    if (add & 1u) { /* Max Exit Latency and Interrupter Target */
        s->ctx[1] = (s->ctx[1] & ~XHCI_SLOT_DW1_MAX_EXIT_LAT_MASK) |
                    (sc[1] & XHCI_SLOT_DW1_MAX_EXIT_LAT_MASK);
        s->ctx[2] = (s->ctx[2] & ~XHCI_SLOT_DW2_INTR_TARGET_MASK) |
                    (sc[2] & XHCI_SLOT_DW2_INTR_TARGET_MASK);
        xhci_ctx_write_slot(x, slot);
    }
    if (add & 2u) { /* EP0's Max Packet Size */
        struct xhci_ep *ep = &s->ep[XHCI_DCI_EP0];
        ep->ctx[1] = (ep->ctx[1] & ~XHCI_EP_DW1_MAX_PACKET_MASK) |
                     (ep0[1] & XHCI_EP_DW1_MAX_PACKET_MASK);
        xhci_ctx_write_ep(x, slot, XHCI_DCI_EP0);
    }
    return XHCI_CC_SUCCESS;
}

/* ---- endpoint commands [4.6.8, 4.6.9, 4.6.10] ------------------------------------------------------ */

#define EP_IN(state) (1u << (state))

/* The endpoint a command names, when it is in one of the states `legal`
 * (EP_IN masks); otherwise the completion code that refuses it: TRB Error
 * for DCI 0, `disabled_cc` for a disabled endpoint, Context State Error for
 * any other state the command is not legal in. */
static uint32_t ep_of(struct xhci *x, uint32_t slot, const struct xhci_trb *t, uint32_t legal,
                      uint32_t disabled_cc, struct xhci_ep **out, uint32_t *dci)
{
    *dci = field(t->control, XHCI_TRB_EP_ID_MASK, XHCI_TRB_EP_ID_SHIFT);
    if (*dci == 0)
        return XHCI_CC_TRB_ERROR;
    *out = &x->slots[slot].ep[*dci];
    if ((*out)->state == XHCI_EP_STATE_DISABLED)
        return disabled_cc;
    return (legal & EP_IN((*out)->state)) ? XHCI_CC_SUCCESS : XHCI_CC_CONTEXT_STATE_ERROR;
}

static uint32_t reset_ep(struct xhci *x, uint32_t slot, const struct xhci_trb *t)
{
    struct xhci_ep *ep;
    uint32_t dci, cc = ep_of(x, slot, t, EP_IN(XHCI_EP_STATE_HALTED), XHCI_CC_CONTEXT_STATE_ERROR,
                             &ep, &dci);
    if (cc != XHCI_CC_SUCCESS)
        return cc;
    ep->state = XHCI_EP_STATE_STOPPED;
    ep->errors = 0;
    /* TSP (a soft retry): the transaction that failed is tried again and
     * the TRB goes on where it stopped - the bytes it moved stay moved;
     * without TSP the TRB starts over [4.6.8, 4.6.8.1] */
    ep->trb_done = (t->control & XHCI_TRB_TSP) != 0 ? ep->halt_done : 0;
    ep->halt_done = 0;
    xhci_ctx_write_ep(x, slot, dci);
    return XHCI_CC_SUCCESS;
}

static uint32_t stop_ep(struct xhci *x, uint32_t slot, const struct xhci_trb *t)
{
    struct xhci_ep *ep;
    uint32_t dci, cc = ep_of(x, slot, t, EP_IN(XHCI_EP_STATE_RUNNING), XHCI_CC_EP_NOT_ENABLED,
                             &ep, &dci);
    if (cc != XHCI_CC_SUCCESS)
        return cc;
    xhci_xfer_stop(x, slot, dci, true); /* Stopped, unless the TRB in flight failed */
    xhci_ctx_write_ep(x, slot, dci);
    return XHCI_CC_SUCCESS;
}

static uint32_t set_tr_dequeue(struct xhci *x, uint32_t slot, const struct xhci_trb *t)
{
    struct xhci_ep *ep;
    uint32_t dci, cc = ep_of(x, slot, t, EP_IN(XHCI_EP_STATE_STOPPED) | EP_IN(XHCI_EP_STATE_ERROR),
                             XHCI_CC_CONTEXT_STATE_ERROR, &ep, &dci);
    if (cc != XHCI_CC_SUCCESS)
        return cc;
    if ((t->status & XHCI_SET_DEQ_STREAM_MASK) != 0)
        return XHCI_CC_INVALID_STREAM_ID; /* no streams */
    uint64_t p = t->parameter & XHCI_SET_DEQ_PTR_MASK;
    if (p == 0)
        return XHCI_CC_TRB_ERROR;
    xhci_xfer_td_cancel(x, slot, dci);
    ep->deq = p;
    ep->dcs = (t->parameter & XHCI_SET_DEQ_DCS) != 0;
    ep->td_open = ep->td_short = ep->trb_started = false;
    ep->trb_done = ep->edtla = ep->halt_done = 0;
    ep->state = XHCI_EP_STATE_STOPPED;
    xhci_ctx_write_ep(x, slot, dci);
    return XHCI_CC_SUCCESS;
}

/* ---- Reset Device [4.6.11], Disable Slot [4.6.4] -------------------------------------------------- */

static uint32_t reset_device(struct xhci *x, uint32_t slot)
{
    struct xhci_slot *s = &x->slots[slot];
    if (s->state != XS_ADDRESSED && s->state != XS_CONFIGURED)
        return XHCI_CC_CONTEXT_STATE_ERROR;
    for (uint32_t dci = 2; dci <= XHCI_DCI_MAX; dci++)
        if (s->ep[dci].state != XHCI_EP_STATE_DISABLED) {
            ep_disable(x, slot, dci);
            xhci_ctx_write_ep(x, slot, dci);
        }
    xhci_xfer_stop(x, slot, XHCI_DCI_EP0, false);
    s->state = XS_DEFAULT;
    s->address = 0;
    s->ctx[0] = (s->ctx[0] & ~XHCI_SLOT_DW0_CTX_ENTRIES_MASK) | 1u << XHCI_SLOT_DW0_CTX_ENTRIES_SHIFT;
    xhci_ctx_write_slot(x, slot);
    return XHCI_CC_SUCCESS;
}

static uint32_t disable_slot(struct xhci *x, uint32_t slot)
{
    struct xhci_slot *s = &x->slots[slot];
    if (s->out_ctx != 0) { /* the output context says Disabled */
        s->state = XS_DISABLED;
        xhci_ctx_write_slot(x, slot);
    }
    slot_free(x, slot);
    return XHCI_CC_SUCCESS;
}

uint32_t xhci_slot_command(struct xhci *x, const struct xhci_trb *t, uint32_t slot)
{
    ASSERT(slot >= 1 && slot <= x->p->max_slots && x->slots[slot].state != XS_DISABLED);
    uint64_t in = t->parameter & ~15ull;
    switch ((t->control & XHCI_TRB_TYPE_MASK) >> XHCI_TRB_TYPE_SHIFT) {
    case XHCI_TRB_TYPE_DISABLE_SLOT: return disable_slot(x, slot);
    case XHCI_TRB_TYPE_ADDRESS_DEVICE:
        return address_device(x, slot, in, (t->control & XHCI_TRB_BSR) != 0);
    case XHCI_TRB_TYPE_CONFIGURE_EP: return configure_ep(x, slot, in, (t->control & XHCI_TRB_DC) != 0);
    case XHCI_TRB_TYPE_EVALUATE_CTX: return evaluate_ctx(x, slot, in);
    case XHCI_TRB_TYPE_RESET_EP: return reset_ep(x, slot, t);
    case XHCI_TRB_TYPE_STOP_EP: return stop_ep(x, slot, t);
    case XHCI_TRB_TYPE_SET_TR_DEQUEUE: return set_tr_dequeue(x, slot, t);
    case XHCI_TRB_TYPE_RESET_DEVICE: return reset_device(x, slot);
    default: return XHCI_CC_TRB_ERROR;
    }
}
