/*
 * Transfer rings [xHCI 4.9.2, 4.10, 4.11, 6.4.1]: the doorbell of a slot,
 * walking an endpoint's ring (cycle bit, Link TRBs with Toggle Cycle),
 * Normal, Setup/Data/Status Stage, Event Data and No Op TRBs with CH, IOC,
 * ISP, IDT and BEI, short packets, the 64 KiB boundary rule, and what the
 * device answers (usb_dev.h) turned into completion codes and endpoint
 * states: STALL halts the endpoint (Stall Error), a transaction error is
 * retried CErr times and then halts it (USB Transaction Error), babble
 * halts it (Babble Detected), a malformed TRB is a TRB Error and puts the
 * endpoint in the Error state. Isoch TRBs are refused (TRB Error): the
 * model has no isochronous endpoints.
 *
 * Time. Each TRB is one step: its fetch, the bus time of its packets and
 * the controller's DMA (whichever is slower, as they overlap), and the
 * event it writes; one engine event per TRB however many packets it moves
 * (a control transfer is one step for its whole TD). The packets are timed
 * per speed: high speed puts hs_bulk_per_uframe packets in each 125 us
 * microframe; SuperSpeed sends (max packet + framing) bytes at 5 Gb/s
 * 8b/10b with a gap after each burst of MaxBurst + 1 packets; full and low
 * speed at 12 and 1.5 Mb/s. A NAK (NRDY at SuperSpeed) parks the endpoint
 * until the device's ready hook; the retry comes after ready_retry_ps (an
 * ERDY at SuperSpeed, the next packet slot at high speed).
 *
 * The device's side of a transfer happens when its TRB starts (the bytes
 * leave the device's buffers) and so does the memory side: IN bytes are
 * written to memory at once, because the scratch buffer that carries them
 * is the controller's, shared by every endpoint, and another endpoint's
 * TRB may start before this one's bus time is over. The events come when
 * the bus time ends. So a Stop Endpoint in the middle of a TRB finds the
 * TRB's bytes moved: when the device ended the transfer (ACK: every byte,
 * or a short packet) the TRB completes as it would have; when it NAKed
 * part-way the Stopped event reports the rest as the residue (a real
 * controller stops at a packet boundary; here the boundary is the end of
 * what the device sent).
 */
#include <string.h>

#include "impl/port/check.h"
#include "models/usb/usb_dev.h"
#include "models/xhci/xhci_internal.h"
#include "models/xhci/xhci_trace.h"

#define LINKS_MAX 64u              /* Link TRBs followed in a row before giving up */
#define TRBS_PER_STEP 256u         /* TRBs without bus time in one step (QEMU's TRANSFER_LIMIT) */
#define SS_FRAMING_BYTES 32u       /* DPH, CRCs and framing of a SuperSpeed data packet */
#define SS_PS_PER_BYTE 2000u       /* 5 Gb/s, 8b/10b: 10 bits of 200 ps */
#define SSP_PS_PER_BYTE 825u       /* 10 Gb/s, 128b/132b */
#define FS_PS_PER_BYTE 666667u     /* 12 Mb/s */
#define LS_PS_PER_BYTE 5333333u    /* 1.5 Mb/s */
#define USB2_PACKET_OVERHEAD 13u   /* sync, PID, CRC, handshake, bit stuffing */

static uint32_t trb_type(const struct xhci_trb *t)
{
    return (t->control & XHCI_TRB_TYPE_MASK) >> XHCI_TRB_TYPE_SHIFT;
}

static uint32_t trb_len(const struct xhci_trb *t)
{
    return t->status & XHCI_TRB_LENGTH_MASK;
}

uint8_t xhci_dci_ep_addr(uint32_t dci)
{
    if (dci <= XHCI_DCI_EP0)
        return 0;
    return (uint8_t)((dci / 2u) | ((dci & 1u) ? USB_EP_ADDR_DIR_IN : 0u));
}

static uint32_t dci_of(uint8_t ep_addr)
{
    uint32_t n = ep_addr & USB_EP_ADDR_NUMBER_MASK;
    if (n == 0)
        return XHCI_DCI_EP0;
    return 2u * n + ((ep_addr & USB_EP_ADDR_DIR_IN) ? 1u : 0u);
}

static struct xhci_ep *ep_at(struct xhci *x, uint32_t slot, uint32_t dci)
{
    return &x->slots[slot].ep[dci];
}

static uint32_t ep_type(const struct xhci_ep *ep)
{
    return (ep->ctx[1] & XHCI_EP_DW1_TYPE_MASK) >> XHCI_EP_DW1_TYPE_SHIFT;
}

static uint32_t ep_mps(const struct xhci_ep *ep)
{
    uint32_t mps = (ep->ctx[1] & XHCI_EP_DW1_MAX_PACKET_MASK) >> XHCI_EP_DW1_MAX_PACKET_SHIFT;
    return mps != 0 ? mps : 8u;
}

static struct usb_dev *device_of(struct xhci *x, uint32_t slot)
{
    uint32_t port = x->slots[slot].port;
    if (port == 0 || port > x->nports)
        return NULL;
    const struct xhci_port *pt = &x->ports[port - 1];
    return (pt->portsc & XHCI_PORTSC_PED) ? pt->dev : NULL;
}

static uint32_t speed_of(struct xhci *x, uint32_t slot)
{
    uint32_t port = x->slots[slot].port;
    if (port == 0 || port > x->nports)
        return XHCI_SPEED_HIGH;
    return (x->ports[port - 1].portsc & XHCI_PORTSC_SPEED_MASK) >> XHCI_PORTSC_SPEED_SHIFT;
}

/* ---- time ----------------------------------------------------------------------------------- */

/* Bus time of `bytes` in packets of mps (a zero-length transfer is one
 * packet) at the slot's speed; burst = packets per burst (SuperSpeed). */
static sim_time_ps bus_ps(struct xhci *x, uint32_t slot, uint32_t mps, uint32_t bytes, uint32_t burst)
{
    uint64_t packets = bytes == 0 ? 1u : (bytes + mps - 1u) / mps;
    uint32_t speed = speed_of(x, slot);
    switch (speed) {
    case XHCI_SPEED_SUPER:
    case XHCI_SPEED_SUPER_PLUS: {
        uint64_t per = speed == XHCI_SPEED_SUPER ? SS_PS_PER_BYTE : SSP_PS_PER_BYTE;
        uint64_t bursts = (packets + burst - 1u) / (burst != 0 ? burst : 1u);
        return (sim_time_ps)(((uint64_t)bytes + packets * SS_FRAMING_BYTES) * per +
                             bursts * x->p->ss_burst_gap_ps);
    }
    case XHCI_SPEED_FULL: return (sim_time_ps)(((uint64_t)bytes + packets * USB2_PACKET_OVERHEAD) * FS_PS_PER_BYTE);
    case XHCI_SPEED_LOW: return (sim_time_ps)(((uint64_t)bytes + packets * USB2_PACKET_OVERHEAD) * LS_PS_PER_BYTE);
    default: {
        uint32_t n = x->p->hs_bulk_per_uframe != 0 ? x->p->hs_bulk_per_uframe : 13u;
        return (sim_time_ps)(packets * XHCI_MFINDEX_TICK_NS * SIM_NS / n);
    }
    }
}

static sim_time_ps dma_ps(const struct xhci *x, uint32_t bytes)
{
    return (sim_time_ps)((uint64_t)bytes * x->p->dma_ps_per_kib / 1024u);
}

static sim_time_ps max_ps(sim_time_ps a, sim_time_ps b)
{
    return a > b ? a : b;
}

/* The next microframe boundary from now (retries after a NAK, interrupt
 * endpoints' service intervals are multiples of it). */
static sim_time_ps to_uframe(struct xhci *x, uint32_t interval_uframes)
{
    sim_time_ps unit = (sim_time_ps)XHCI_MFINDEX_TICK_NS * SIM_NS * (interval_uframes ? interval_uframes : 1u);
    sim_time_ps now = sim_dev_now(x->m);
    return (now / unit + 1u) * unit - now;
}

/* How long after a NAKed device says it is ready the controller tries
 * again. SuperSpeed: the device's ERDY puts the endpoint back in the
 * schedule at once [USB 3.2 8.10.1]: 1 us, the model's choice for the
 * ERDY packet and the rescheduling. High speed: a NAKed bulk endpoint is
 * polled again within the microframe's asynchronous schedule, so the
 * next packet slot. Full and low speed: the next microframe, as before.
 * A retry at the next microframe boundary alone quantized every NAKed
 * command's latency to 125 us, which no capture shows (the JMS566
 * enclosure answers reads from its cache in 121 us). */
#define XHCI_ERDY_RETRY_PS (1u * SIM_US)

static sim_time_ps ready_retry_ps(struct xhci *x, uint32_t slot)
{
    switch (speed_of(x, slot)) {
    case XHCI_SPEED_SUPER:
    case XHCI_SPEED_SUPER_PLUS: return XHCI_ERDY_RETRY_PS;
    case XHCI_SPEED_HIGH: return bus_ps(x, slot, 512, 512, 1);
    default: return to_uframe(x, 1);
    }
}

/* ---- events ------------------------------------------------------------------------------------ */

static void transfer_event(struct xhci *x, uint32_t slot, uint32_t dci, const struct xhci_xfer_pos *at,
                           uint32_t cc, uint32_t residue, bool event_data, uint64_t data)
{
    struct xhci_trb ev = {
        .parameter = event_data ? data : at->addr,
        .status = cc << XHCI_EVT_CC_SHIFT | (residue & XHCI_EVT_LENGTH_MASK),
        .control = XHCI_TRB_TYPE_TRANSFER_EVENT << XHCI_TRB_TYPE_SHIFT |
                   dci << XHCI_TRB_EP_ID_SHIFT | slot << XHCI_TRB_SLOT_ID_SHIFT |
                   (event_data ? XHCI_TRB_ED : 0),
    };
    uint32_t intr = (at->trb.status & XHCI_TRB_INTR_TARGET_MASK) >> XHCI_TRB_INTR_TARGET_SHIFT;
    bool interrupt = !(at->trb.control & XHCI_TRB_BEI);
    (void)xhci_event_bei(x, intr, &ev, interrupt);
}

/* The endpoint stops on an error: Halted (or Error for a TRB Error), its
 * context written, an event for the TRB at fault. */
static void td_end(struct xhci *x, uint32_t slot, uint32_t dci, int32_t status);

static void ep_fail(struct xhci *x, uint32_t slot, uint32_t dci, const struct xhci_xfer_pos *at,
                    uint32_t cc, uint32_t residue)
{
    struct xhci_ep *ep = ep_at(x, slot, dci);
    td_end(x, slot, dci, xhci_urb_status(cc));
    ep->state = cc == XHCI_CC_TRB_ERROR ? XHCI_EP_STATE_ERROR : XHCI_EP_STATE_HALTED;
    ep->nak_wait = false;
    ep->td_open = ep->td_short = ep->trb_started = false;
    ep->halt_done = ep->trb_done; /* the retried transaction continues the TRB */
    ep->trb_done = 0;
    ep->errors = 0;
    xhci_ctx_write_ep(x, slot, dci);
    transfer_event(x, slot, dci, at, cc, residue, false, 0);
}

/* ---- the usb_xfer row of a TD ------------------------------------------------------------------- */

static void td_begin(struct xhci *x, struct xhci_ep *ep)
{
    if (ep->td.started)
        return;
    ep->td = (struct xhci_td_trace){.started = true, .submit_ps = sim_dev_now(x->m)};
}

/* Keeps the first bytes of the TD's data for its row. */
static void td_data(struct xhci_ep *ep, const uint8_t *b, uint32_t n)
{
    for (uint32_t i = 0; i < n && ep->td.data_len < XHCI_TD_DATA_BYTES; i++)
        ep->td.data[ep->td.data_len++] = b[i];
}

/* The TD ended with usbmon status `status`: its usb_xfer row. */
static void td_end(struct xhci *x, uint32_t slot, uint32_t dci, int32_t status)
{
    struct xhci_ep *ep = ep_at(x, slot, dci);
    if (!ep->td.started)
        return;
    ep->td.started = false;
    bool in = dci == XHCI_DCI_EP0 ? (ep->td.setup[0] & USB_RT_DIR_IN) != 0 : (dci & 1u) != 0;
    uint32_t type = ep_type(ep);
    struct xhci_urb u = {
        .id = ++x->urbs, .devnum = x->slots[slot].address,
        .ep_addr = (uint8_t)((dci / 2u) | (in ? USB_EP_ADDR_DIR_IN : 0u)),
        .xfer = type == XHCI_EP_TYPE_CONTROL ? USB_EP_XFER_CONTROL
                : type == XHCI_EP_TYPE_INTERRUPT_IN || type == XHCI_EP_TYPE_INTERRUPT_OUT
                    ? USB_EP_XFER_INTERRUPT : USB_EP_XFER_BULK,
        .has_setup = ep->td.has_setup, .requested = ep->td.requested, .actual = ep->td.actual,
        .status = status, .submit_ps = ep->td.submit_ps,
        .data = ep->td.data_len != 0 ? ep->td.data : NULL, .data_len = ep->td.data_len,
    };
    for (int i = 0; i < 8; i++)
        u.setup[i] = ep->td.setup[i];
    xhci_trace_xfer(x, &u);
}

/* ---- walking the ring ------------------------------------------------------------------------------ */

enum fetch_result { F_TRB, F_EMPTY, F_FAILED };

/* The TRB at (deq, dcs), following Link TRBs (which it consumes: deq and
 * dcs move past them). */
static enum fetch_result fetch(struct xhci *x, uint32_t slot, uint32_t dci, uint64_t *deq, bool *dcs,
                               struct xhci_xfer_pos *out)
{
    for (uint32_t links = 0; links < LINKS_MAX; links++) {
        if (!xhci_trb_read(x, *deq, &out->trb)) {
            xhci_host_system_error(x, "a transfer ring could not be read");
            return F_FAILED;
        }
        out->addr = *deq;
        if (((out->trb.control & XHCI_TRB_C) != 0) != *dcs)
            return F_EMPTY;
        xhci_trace_trb(x, XHCI_RING_TRANSFER, slot, dci, *deq, &out->trb, false);
        if (trb_type(&out->trb) != XHCI_TRB_TYPE_LINK)
            return F_TRB;
        *deq = out->trb.parameter & XHCI_LINK_PTR_MASK;
        if (out->trb.control & XHCI_TRB_TC)
            *dcs = !*dcs;
    }
    xhci_note(x, "a transfer ring is a loop of Link TRBs: the endpoint waits for its next doorbell");
    return F_EMPTY;
}

static void advance(struct xhci_ep *ep, const struct xhci_xfer_pos *at)
{
    ep->deq = at->addr + XHCI_TRB_BYTES;
    ep->trb_started = false;
    ep->trb_done = 0;
    ep->errors = 0;
}

static void schedule(struct xhci *x, uint32_t slot, uint32_t dci, sim_time_ps delay, sim_event_fn fn);
static void run(struct xhci *x, uint32_t slot, uint32_t dci);

/* A data TRB's length, IDT and buffer are ones the spec allows: at most
 * 64 KiB, immediate data only OUT and at most 8 bytes, a buffer that does
 * not cross a 64 KiB boundary [6.4.1.1]. */
static bool normal_trb_ok(const struct xhci_trb *t, bool in)
{
    uint32_t len = trb_len(t);
    if (len > XHCI_TRB_LENGTH_MAX)
        return false;
    if (t->control & XHCI_TRB_IDT)
        return !in && len <= XHCI_TRB_IDT_MAX_BYTES;
    uint64_t buf = t->parameter;
    return len == 0 || (buf & (XHCI_TRB_BOUNDARY_BYTES - 1u)) + len <= XHCI_TRB_BOUNDARY_BYTES;
}

/* ---- bulk and interrupt: one Normal TRB --------------------------------------------------------------- */

/* What the TRB in flight came to, kept until its step ends. */
static void normal_done(void *ctx, uint64_t arg);

static void normal_start(struct xhci *x, uint32_t slot, uint32_t dci, sim_time_ps spent)
{
    struct xhci_ep *ep = ep_at(x, slot, dci);
    const struct xhci_trb *t = &ep->cur.trb;
    bool in = (dci & 1u) != 0;
    uint32_t left = trb_len(t) - ep->trb_done;
    uint8_t *buf = x->xfer_buf;
    struct usb_dev *d = device_of(x, slot);
    uint32_t moved = 0;
    uint32_t res = USB_XACT_ERR;
    ep->device_ready = false;
    td_begin(x, ep);
    if (!ep->trb_started) /* counted once: a NAK's retry starts it again with trb_done 0 */
        ep->td.requested += trb_len(t);
    if (d != NULL && in) {
        res = usb_dev_in(d, xhci_dci_ep_addr(dci), buf, left, &moved);
    } else if (d != NULL) {
        if (t->control & XHCI_TRB_IDT) {
            for (uint32_t i = 0; i < left; i++)
                buf[i] = (uint8_t)(t->parameter >> (8 * (ep->trb_done + i)));
        } else if (left != 0 &&
                   xhci_dma_read(x, t->parameter + ep->trb_done, buf, left) != IOSIM_OK) {
            xhci_host_system_error(x, "a transfer buffer could not be read");
            return;
        }
        res = usb_dev_out(d, xhci_dci_ep_addr(dci), buf, left, &moved);
    }
    if (moved > left)
        moved = left; /* a device that claims more than it was given */
    /* IN bytes to memory now: buf is shared, and another endpoint's TRB may
     * start before this one's step ends (see the top of the file) */
    if (in && moved != 0 && (res == USB_ACK || res == USB_NAK) &&
        xhci_dma_write(x, t->parameter + ep->trb_done, buf, moved) != IOSIM_OK) {
        xhci_host_system_error(x, "a transfer buffer could not be written");
        return;
    }
    if (res == USB_ACK || res == USB_NAK) { /* its usb_xfer row */
        ep->td.actual += moved;
        td_data(ep, buf, moved);
    }
    ep->cur_result = res;
    ep->cur_moved = moved;
    uint32_t burst = ((ep->ctx[1] & XHCI_EP_DW1_MAX_BURST_MASK) >> XHCI_EP_DW1_MAX_BURST_SHIFT) + 1u;
    sim_time_ps t_bus = res == USB_ACK || res == USB_NAK ? bus_ps(x, slot, ep_mps(ep), moved, burst)
                                                          : bus_ps(x, slot, ep_mps(ep), 0, 1);
    ep->trb_started = ep->step_busy = true;
    schedule(x, slot, dci, spent + max_ps(t_bus, dma_ps(x, moved)) + x->p->event_ps, normal_done);
}

/* A transaction error is retried from the TRB (control: its TD) at the
 * next microframe until CErr of them in a row; CErr 0 counts none, so it
 * retries for ever (a device that is gone is not retried) [4.10.2.7,
 * 6.2.3]. False: the endpoint is to fail with USB Transaction Error. */
static bool xact_retry(struct xhci *x, uint32_t slot, uint32_t dci)
{
    struct xhci_ep *ep = ep_at(x, slot, dci);
    uint32_t cerr = (ep->ctx[1] & XHCI_EP_DW1_CERR_MASK) >> XHCI_EP_DW1_CERR_SHIFT;
    if (device_of(x, slot) == NULL || (cerr != 0 && ++ep->errors >= cerr))
        return false;
    schedule(x, slot, dci, to_uframe(x, 1), NULL);
    return true;
}

/* A short packet or the TRB's end: its events, and whether the TD ends. */
static void normal_complete(struct xhci *x, uint32_t slot, uint32_t dci, uint32_t moved, bool shrt)
{
    struct xhci_ep *ep = ep_at(x, slot, dci);
    struct xhci_xfer_pos at = ep->cur;
    uint32_t residue = trb_len(&at.trb) - ep->trb_done - moved;
    ep->edtla += moved;
    if (shrt && (at.trb.control & (XHCI_TRB_ISP | XHCI_TRB_IOC)))
        transfer_event(x, slot, dci, &at, XHCI_CC_SHORT_PACKET, residue, false, 0);
    else if (!shrt && (at.trb.control & XHCI_TRB_IOC))
        transfer_event(x, slot, dci, &at, XHCI_CC_SUCCESS, 0, false, 0);
    advance(ep, &at);
    bool chained = (at.trb.control & XHCI_TRB_CH) != 0;
    ep->td_open = chained;
    ep->td_short = shrt && chained;
    if (!chained)
        td_end(x, slot, dci, 0);
}

static void normal_done(void *ctx, uint64_t arg)
{
    struct xhci *x = ctx;
    uint32_t slot = (uint32_t)(arg >> 8), dci = (uint32_t)(arg & 0xff);
    struct xhci_ep *ep = ep_at(x, slot, dci);
    ep->work = SIM_EVENT_NONE;
    ep->step_busy = false;
    struct xhci_xfer_pos at = ep->cur;
    uint32_t moved = ep->cur_moved, left = trb_len(&at.trb) - ep->trb_done;
    bool in = (dci & 1u) != 0;
    switch (ep->cur_result) {
    case USB_ACK:
        normal_complete(x, slot, dci, moved, in && moved < left);
        run(x, slot, dci);
        return;
    case USB_NAK:
        ep->trb_done += moved;
        ep->edtla += moved;
        ep->nak_wait = true;
        if (ep->device_ready) { /* ready came inside the call that NAKed */
            ep->nak_wait = false;
            schedule(x, slot, dci, ready_retry_ps(x, slot), NULL);
        }
        return;
    case USB_STALL: ep_fail(x, slot, dci, &at, XHCI_CC_STALL_ERROR, left); return;
    case USB_BABBLE: ep_fail(x, slot, dci, &at, XHCI_CC_BABBLE_DETECTED, left); return;
    default: break;
    }
    if (!xact_retry(x, slot, dci))
        ep_fail(x, slot, dci, &at, XHCI_CC_USB_TRANSACTION_ERROR, left);
}

/* ---- control: a whole Setup [Data] Status TD ---------------------------------------------------------- */

/* May this TRB be the next of a control TD (td->n TRBs so far)? A Data
 * Stage right after the Setup, Normal TRBs after it (its chain), Event
 * Data and No Op anywhere, and the Status Stage last. */
static bool control_trb_ok(const struct xhci_ctl_td *td, const struct xhci_trb *t, bool in)
{
    switch (trb_type(t)) {
    case XHCI_TRB_TYPE_DATA_STAGE: return td->n == 1 && normal_trb_ok(t, in);
    case XHCI_TRB_TYPE_NORMAL:
        return td->n > 1 && trb_type(&td->trbs[1].trb) == XHCI_TRB_TYPE_DATA_STAGE &&
               normal_trb_ok(t, in);
    case XHCI_TRB_TYPE_EVENT_DATA:
    case XHCI_TRB_TYPE_NOOP:
    case XHCI_TRB_TYPE_STATUS_STAGE: return true;
    default: return false;
    }
}

/* Gathers the control TD that starts at the Setup TRB in ep->cur into
 * x->slots[slot].ctl: false when the ring does not hold all of it yet
 * (the endpoint waits for a doorbell) or on a TRB Error (cc set). */
static bool control_collect(struct xhci *x, uint32_t slot, uint32_t *cc, struct xhci_xfer_pos *bad)
{
    struct xhci_slot *s = &x->slots[slot];
    struct xhci_ep *ep = &s->ep[XHCI_DCI_EP0];
    struct xhci_ctl_td *td = &s->ctl;
    *cc = XHCI_CC_SUCCESS;
    td->n = 0;
    td->trbs[td->n++] = ep->cur;
    uint64_t deq = ep->cur.addr + XHCI_TRB_BYTES;
    bool dcs = ep->dcs;
    const struct xhci_trb *setup = &ep->cur.trb;
    if (!(setup->control & XHCI_TRB_IDT) || trb_len(setup) != XHCI_SETUP_TRB_LENGTH) {
        *cc = XHCI_CC_TRB_ERROR;
        *bad = ep->cur;
        return false;
    }
    bool in = (setup->parameter & USB_RT_DIR_IN) != 0;
    while (td->n < XHCI_CTL_TD_TRBS) {
        struct xhci_xfer_pos p;
        enum fetch_result f = fetch(x, slot, XHCI_DCI_EP0, &deq, &dcs, &p);
        if (f != F_TRB)
            return false; /* not all there yet (or the controller failed) */
        uint32_t type = trb_type(&p.trb);
        if (!control_trb_ok(td, &p.trb, in)) {
            *cc = XHCI_CC_TRB_ERROR;
            *bad = p;
            return false;
        }
        td->trbs[td->n++] = p;
        deq = p.addr + XHCI_TRB_BYTES;
        if (type == XHCI_TRB_TYPE_STATUS_STAGE) {
            td->next_deq = deq;
            td->next_dcs = dcs;
            return true;
        }
    }
    *cc = XHCI_CC_TRB_ERROR; /* a data stage longer than the model takes */
    *bad = td->trbs[td->n - 1];
    return false;
}

static void control_done(void *ctx, uint64_t arg);

/* The IN data stage's bytes (`moved` of them in x->xfer_buf) to the data
 * stage's TRBs in order, now, as normal_start does for the same reason:
 * the scratch buffer is shared by every endpoint. False: a DMA failed. */
static bool control_in_write(struct xhci *x, const struct xhci_ctl_td *td, uint32_t moved)
{
    uint32_t at = 0;
    for (uint32_t i = 1; i < td->n && at < moved; i++) {
        const struct xhci_trb *t = &td->trbs[i].trb;
        uint32_t type = trb_type(t), n = trb_len(t);
        if (type != XHCI_TRB_TYPE_DATA_STAGE && type != XHCI_TRB_TYPE_NORMAL)
            continue;
        n = n < moved - at ? n : moved - at;
        if (n != 0 && xhci_dma_write(x, t->parameter, x->xfer_buf + at, n) != IOSIM_OK)
            return false;
        at += n;
    }
    return true;
}

static void control_start(struct xhci *x, uint32_t slot, sim_time_ps spent)
{
    struct xhci_slot *s = &x->slots[slot];
    struct xhci_ctl_td *td = &s->ctl;
    struct xhci_ep *ep = &s->ep[XHCI_DCI_EP0];
    uint8_t setup[USB_SETUP_BYTES];
    for (uint32_t i = 0; i < USB_SETUP_BYTES; i++)
        setup[i] = (uint8_t)(td->trbs[0].trb.parameter >> (8 * i));
    bool in = (setup[0] & USB_RT_DIR_IN) != 0;
    uint32_t room = 0;
    for (uint32_t i = 1; i < td->n; i++) {
        uint32_t type = trb_type(&td->trbs[i].trb);
        if (type == XHCI_TRB_TYPE_DATA_STAGE || type == XHCI_TRB_TYPE_NORMAL)
            room += trb_len(&td->trbs[i].trb);
    }
    if (room > XHCI_XFER_BUF_BYTES)
        room = XHCI_XFER_BUF_BYTES;
    uint8_t *buf = x->xfer_buf;
    if (!in) { /* gather the OUT data stage */
        uint32_t at = 0;
        for (uint32_t i = 1; i < td->n && at < room; i++) {
            const struct xhci_trb *t = &td->trbs[i].trb;
            uint32_t type = trb_type(t), n = trb_len(t);
            if (type != XHCI_TRB_TYPE_DATA_STAGE && type != XHCI_TRB_TYPE_NORMAL)
                continue;
            n = n > room - at ? room - at : n;
            if (t->control & XHCI_TRB_IDT) {
                for (uint32_t k = 0; k < n && k < 8; k++)
                    buf[at + k] = (uint8_t)(t->parameter >> (8 * k));
            } else if (n != 0 && xhci_dma_read(x, t->parameter, buf + at, n) != IOSIM_OK) {
                xhci_host_system_error(x, "a control data stage could not be read");
                return;
            }
            at += n;
        }
    }
    td_begin(x, ep);
    ep->td.has_setup = true;
    memcpy(ep->td.setup, setup, sizeof setup);
    ep->td.requested = room;
    if (!in && ep->td.data_len == 0) /* once, though a retry sends it again */
        td_data(ep, buf, room);
    uint32_t len = room;
    struct usb_dev *d = device_of(x, slot);
    ep->device_ready = false;
    ep->cur_result = d != NULL ? usb_dev_control(d, setup, buf, &len) : USB_XACT_ERR;
    ep->cur_moved = len > room ? room : len;
    if (in && ep->cur_result == USB_ACK && !control_in_write(x, td, ep->cur_moved)) {
        xhci_host_system_error(x, "a control data stage could not be written");
        return;
    }
    if (in && ep->cur_result == USB_ACK)
        td_data(ep, buf, ep->cur_moved);
    sim_time_ps t_bus = bus_ps(x, slot, ep_mps(ep), 8, 1) + bus_ps(x, slot, ep_mps(ep), ep->cur_moved, 1) +
                        bus_ps(x, slot, ep_mps(ep), 0, 1);
    ep->step_busy = true;
    schedule(x, slot, XHCI_DCI_EP0, spent + max_ps(t_bus, dma_ps(x, ep->cur_moved)) + x->p->event_ps,
             control_done);
}

/* The data stage's TRBs account for the moved bytes in order; events for
 * those with IOC (or ISP when short), then the Status stage's. */
static void control_done(void *ctx, uint64_t arg)
{
    struct xhci *x = ctx;
    uint32_t slot = (uint32_t)(arg >> 8);
    struct xhci_slot *s = &x->slots[slot];
    struct xhci_ep *ep = &s->ep[XHCI_DCI_EP0];
    struct xhci_ctl_td *td = &s->ctl;
    ep->work = SIM_EVENT_NONE;
    ep->step_busy = false;
    bool in = (td->trbs[0].trb.parameter & USB_RT_DIR_IN) != 0;
    uint32_t left = ep->cur_moved;
    /* the stage a failure is reported on: the data stage, else the status stage */
    struct xhci_xfer_pos *fault = &td->trbs[td->n - 1];
    if (td->n > 2 && trb_type(&td->trbs[1].trb) == XHCI_TRB_TYPE_DATA_STAGE)
        fault = &td->trbs[1];
    if (ep->cur_result == USB_XACT_ERR && xact_retry(x, slot, XHCI_DCI_EP0))
        return; /* EP0 counts errors like any endpoint; the TD is sent again */
    if (ep->cur_result != USB_ACK) {
        uint32_t cc = ep->cur_result == USB_STALL ? XHCI_CC_STALL_ERROR
                      : ep->cur_result == USB_BABBLE ? XHCI_CC_BABBLE_DETECTED
                                                     : XHCI_CC_USB_TRANSACTION_ERROR;
        ep->deq = fault->addr; /* the stage at fault */
        ep_fail(x, slot, XHCI_DCI_EP0, fault, cc, trb_len(&fault->trb));
        return;
    }
    bool shrt = false;
    ep->edtla = 0;
    ep->td.actual = ep->cur_moved;
    for (uint32_t i = 1; i < td->n; i++) {
        struct xhci_xfer_pos *p = &td->trbs[i];
        uint32_t type = trb_type(&p->trb);
        if (type == XHCI_TRB_TYPE_DATA_STAGE || type == XHCI_TRB_TYPE_NORMAL) {
            if (shrt)
                continue;
            uint32_t n = trb_len(&p->trb), got = left < n ? left : n; /* written at the start */
            left -= got;
            ep->edtla += got;
            shrt = in && got < n;
            if (shrt && (p->trb.control & (XHCI_TRB_ISP | XHCI_TRB_IOC)))
                transfer_event(x, slot, XHCI_DCI_EP0, p, XHCI_CC_SHORT_PACKET, n - got, false, 0);
            else if (!shrt && (p->trb.control & XHCI_TRB_IOC))
                transfer_event(x, slot, XHCI_DCI_EP0, p, XHCI_CC_SUCCESS, 0, false, 0);
        } else if (type == XHCI_TRB_TYPE_EVENT_DATA) {
            if (p->trb.control & XHCI_TRB_IOC)
                transfer_event(x, slot, XHCI_DCI_EP0, p, shrt ? XHCI_CC_SHORT_PACKET : XHCI_CC_SUCCESS,
                               ep->edtla, true, p->trb.parameter);
            ep->edtla = 0;
        } else if (p->trb.control & XHCI_TRB_IOC) { /* Status stage, No Op */
            transfer_event(x, slot, XHCI_DCI_EP0, p, XHCI_CC_SUCCESS, 0, false, 0);
        }
    }
    ep->deq = td->next_deq;
    ep->dcs = td->next_dcs;
    ep->trb_done = 0;
    ep->errors = 0;
    td_end(x, slot, XHCI_DCI_EP0, 0);
    run(x, slot, XHCI_DCI_EP0);
}

/* ---- the engine ------------------------------------------------------------------------------------- */

static void run_event(void *ctx, uint64_t arg)
{
    struct xhci *x = ctx;
    uint32_t slot = (uint32_t)(arg >> 8), dci = (uint32_t)(arg & 0xff);
    ep_at(x, slot, dci)->work = SIM_EVENT_NONE;
    run(x, slot, dci);
}

static void schedule(struct xhci *x, uint32_t slot, uint32_t dci, sim_time_ps delay, sim_event_fn fn)
{
    struct xhci_ep *ep = ep_at(x, slot, dci);
    ASSERT(ep->work.slot == SIM_EVENT_NONE.slot);
    xhci_after(x, delay, fn != NULL ? fn : run_event, (uint64_t)slot << 8 | dci, &ep->work);
}

/* One Event Data TRB: its event (with IOC) carries the bytes of the TD so far. */
static void event_data(struct xhci *x, uint32_t slot, uint32_t dci, const struct xhci_xfer_pos *p)
{
    struct xhci_ep *ep = ep_at(x, slot, dci);
    if (p->trb.control & XHCI_TRB_IOC)
        transfer_event(x, slot, dci, p, ep->td_short ? XHCI_CC_SHORT_PACKET : XHCI_CC_SUCCESS,
                       ep->edtla, true, p->trb.parameter);
    ep->edtla = 0;
}

/* An interrupt endpoint is served once per service interval, 2^Interval
 * microframes [4.14.2, 6.2.3.6]: a TD starts at a service opportunity (a
 * multiple of the interval) no earlier than one interval after the last.
 * True: the endpoint waits for it (its step is scheduled). */
static bool periodic_wait(struct xhci *x, uint32_t slot, uint32_t dci)
{
    struct xhci_ep *ep = ep_at(x, slot, dci);
    if (ep_type(ep) != XHCI_EP_TYPE_INTERRUPT_IN && ep_type(ep) != XHCI_EP_TYPE_INTERRUPT_OUT)
        return false;
    uint32_t interval = (ep->ctx[0] & XHCI_EP_DW0_INTERVAL_MASK) >> XHCI_EP_DW0_INTERVAL_SHIFT;
    sim_time_ps period = (sim_time_ps)XHCI_MFINDEX_TICK_NS * SIM_NS << (interval < 15u ? interval : 15u);
    sim_time_ps now = sim_dev_now(x->m);
    sim_time_ps at = (now + period - 1u) / period * period;
    if (at < ep->next_service_ps)
        at = ep->next_service_ps;
    if (at > now) {
        schedule(x, slot, dci, at - now, NULL);
        return true;
    }
    ep->next_service_ps = at + period;
    return false;
}

/* Runs the endpoint's ring from its dequeue pointer until a TRB takes bus
 * time (its step is scheduled), the ring is empty, or the endpoint stops.
 * TRBs that take no bus time (No Op, Event Data, the rest of a short TD)
 * are bounded per step: a ring of them closed by a Link TRB that does not
 * toggle the cycle is valid for ever, and would otherwise be walked for
 * ever inside one event; after TRBS_PER_STEP the walk goes on at the next
 * microframe, so a looping ring costs simulated time as on hardware. */
static void run(struct xhci *x, uint32_t slot, uint32_t dci)
{
    struct xhci_ep *ep = ep_at(x, slot, dci);
    sim_time_ps spent = 0;
    for (uint32_t trbs = 0;; trbs++) {
        if (ep->state != XHCI_EP_STATE_RUNNING || ep->nak_wait || !xhci_running(x))
            return;
        if (trbs == TRBS_PER_STEP) {
            schedule(x, slot, dci, to_uframe(x, 1), NULL);
            return;
        }
        struct xhci_xfer_pos p;
        enum fetch_result f = fetch(x, slot, dci, &ep->deq, &ep->dcs, &p);
        if (f != F_TRB)
            return;
        spent += x->p->trb_fetch_ps;
        ep->cur = p;
        uint32_t type = trb_type(&p.trb);
        if (!ep->td_open)
            ep->edtla = 0;
        if (ep->td_short && type != XHCI_TRB_TYPE_EVENT_DATA) { /* the rest of a short TD */
            if (type == XHCI_TRB_TYPE_NORMAL)
                ep->td.requested += trb_len(&p.trb);
            advance(ep, &p);
            ep->td_open = ep->td_short = (p.trb.control & XHCI_TRB_CH) != 0;
            if (!ep->td_open)
                td_end(x, slot, dci, 0);
            continue;
        }
        bool control = ep_type(ep) == XHCI_EP_TYPE_CONTROL;
        if (type == XHCI_TRB_TYPE_NOOP || type == XHCI_TRB_TYPE_EVENT_DATA) {
            if (type == XHCI_TRB_TYPE_EVENT_DATA)
                event_data(x, slot, dci, &p);
            else if (p.trb.control & XHCI_TRB_IOC)
                transfer_event(x, slot, dci, &p, XHCI_CC_SUCCESS, 0, false, 0);
            advance(ep, &p);
            ep->td_open = (p.trb.control & XHCI_TRB_CH) != 0;
            if (!ep->td_open) {
                ep->td_short = false;
                td_end(x, slot, dci, 0);
            }
            continue;
        }
        if (control && type == XHCI_TRB_TYPE_SETUP_STAGE) {
            uint32_t cc;
            struct xhci_xfer_pos bad;
            if (control_collect(x, slot, &cc, &bad)) {
                control_start(x, slot, spent + x->p->trb_fetch_ps * (x->slots[slot].ctl.n - 1u));
            } else if (cc != XHCI_CC_SUCCESS) {
                ep->deq = bad.addr;
                ep_fail(x, slot, dci, &bad, cc, 0);
            }
            return;
        }
        if (!control && type == XHCI_TRB_TYPE_NORMAL && normal_trb_ok(&p.trb, (dci & 1u) != 0)) {
            if (!ep->td_open && periodic_wait(x, slot, dci))
                return;
            ep->td_open = true;
            normal_start(x, slot, dci, spent);
            return;
        }
        ep_fail(x, slot, dci, &p, XHCI_CC_TRB_ERROR, 0);
        return;
    }
}

/* ---- what the rest of the controller calls ---------------------------------------------------------- */

void xhci_xfer_doorbell(struct xhci *x, uint32_t slot, uint32_t dci, uint32_t stream)
{
    if (slot == 0 || slot > x->p->max_slots || dci == 0 || dci > XHCI_DCI_MAX) {
        xhci_note(x, "a doorbell for no endpoint: ignored");
        return;
    }
    struct xhci_slot *s = &x->slots[slot];
    struct xhci_ep *ep = &s->ep[dci];
    if (s->state < XS_DEFAULT || ep->state == XHCI_EP_STATE_DISABLED) {
        xhci_note(x, "a doorbell for a disabled endpoint: ignored");
        return;
    }
    if (stream != 0) {
        xhci_note(x, "a doorbell with a stream ID (streams are not modelled): ignored");
        return;
    }
    if (ep->state == XHCI_EP_STATE_STOPPED) {
        ep->state = XHCI_EP_STATE_RUNNING; /* a doorbell restarts a stopped endpoint [4.6.9] */
        /* and the output context says so: software reads the EP State there
         * (Linux, after a Stop Endpoint's Context State Error, to tell a
         * halted endpoint from one a doorbell restarted) [4.8.3] */
        xhci_ctx_write_ep(x, slot, dci);
    }
    if (ep->state != XHCI_EP_STATE_RUNNING || ep->nak_wait || ep->work.slot != SIM_EVENT_NONE.slot)
        return; /* halted (ignored), waiting for the device, or busy */
    schedule(x, slot, dci, x->p->doorbell_ps, NULL);
}

void xhci_xfer_stop(struct xhci *x, uint32_t slot, uint32_t dci, bool report)
{
    struct xhci_ep *ep = ep_at(x, slot, dci);
    /* Only a scheduled step holds a device result. Other pending work (a
     * doorbell's delay, a retry after a NAK or an error, a service
     * interval, the walk's next microframe) holds none: a result left
     * from an earlier TRB must not be taken for cur's. */
    bool in_flight = ep->step_busy;
    sim_dev_cancel(x->m, ep->work);
    ep->work = SIM_EVENT_NONE;
    ep->step_busy = false;
    if (report && ep->state == XHCI_EP_STATE_RUNNING) {
        ep->state = XHCI_EP_STATE_STOPPED; /* run() goes no further */
        uint32_t type = trb_type(&ep->cur.trb);
        if (in_flight && type == XHCI_TRB_TYPE_SETUP_STAGE) {
            control_done(x, (uint64_t)slot << 8 | dci); /* a control TD ends as a whole */
        } else if (in_flight && type == XHCI_TRB_TYPE_NORMAL) {
            bool data = ep->cur_result == USB_ACK || ep->cur_result == USB_NAK;
            uint32_t moved = data ? ep->cur_moved : 0, left = trb_len(&ep->cur.trb) - ep->trb_done;
            if (ep->cur_result == USB_ACK) {
                /* The device ended this TRB's transfer when it started (every
                 * byte, or a short packet): a stop cannot split a transfer the
                 * device has finished, so the TRB completes as it would have
                 * (its events, a short packet skipping the TD's rest) and the
                 * endpoint stops after it. Left current, it would ask the
                 * device again for bytes it already ended: a loopback or a
                 * finite stream then NAKs for ever [4.6.9, 4.10.1.1]. */
                normal_complete(x, slot, dci, moved, (dci & 1u) && moved < left);
            } else { /* NAKed part-way: what moved is in memory; the TRB resumes at the rest */
                ep->trb_done += moved;
                ep->edtla += moved;
                transfer_event(x, slot, dci, &ep->cur, XHCI_CC_STOPPED,
                               trb_len(&ep->cur.trb) - ep->trb_done, false, 0);
            }
        } else if (ep->trb_started && type == XHCI_TRB_TYPE_NORMAL) {
            /* parked on a NAK or waiting to be tried again: what moved is counted */
            transfer_event(x, slot, dci, &ep->cur, XHCI_CC_STOPPED,
                           trb_len(&ep->cur.trb) - ep->trb_done, false, 0);
        }
    }
    if (!report)
        td_end(x, slot, dci, -108); /* ESHUTDOWN: the endpoint went away */
    ep->nak_wait = ep->device_ready = false;
}

void xhci_xfer_td_cancel(struct xhci *x, uint32_t slot, uint32_t dci)
{
    td_end(x, slot, dci, -2); /* ENOENT: the driver moved the dequeue pointer past it */
}

void xhci_xfer_port_gone(struct xhci *x, uint32_t port_no)
{
    for (uint32_t s = 1; s <= x->p->max_slots; s++) {
        if (x->slots[s].state < XS_DEFAULT || x->slots[s].port != port_no)
            continue;
        for (uint32_t dci = 1; dci <= XHCI_DCI_MAX; dci++) {
            struct xhci_ep *ep = &x->slots[s].ep[dci];
            /* a step in flight or a TRB parked on a NAK ends now; other
             * pending work (a doorbell's delay, a retry, an interval)
             * runs and finds no device, failing the TRB it was to run */
            bool busy = ep->step_busy || ep->nak_wait;
            if (ep->state != XHCI_EP_STATE_RUNNING || !busy)
                continue;
            sim_dev_cancel(x->m, ep->work);
            ep->work = SIM_EVENT_NONE;
            ep->step_busy = false;
            struct xhci_xfer_pos at = ep->cur;
            if (trb_type(&at.trb) == XHCI_TRB_TYPE_SETUP_STAGE)
                at = x->slots[s].ctl.trbs[x->slots[s].ctl.n - 1];
            ep->deq = at.addr;
            ep_fail(x, s, dci, &at, XHCI_CC_USB_TRANSACTION_ERROR, trb_len(&at.trb) - ep->trb_done);
        }
    }
}

void xhci_xfer_device_ready(struct xhci *x, uint32_t port, uint8_t ep_addr)
{
    uint32_t dci = dci_of(ep_addr);
    for (uint32_t s = 1; s <= x->p->max_slots; s++) {
        if (x->slots[s].state < XS_DEFAULT || x->slots[s].port != port + 1)
            continue;
        struct xhci_ep *ep = &x->slots[s].ep[dci];
        if (!ep->nak_wait) {
            ep->device_ready = true; /* maybe inside the call that is about to NAK */
            continue;
        }
        ep->nak_wait = false;
        if (ep->work.slot == SIM_EVENT_NONE.slot)
            schedule(x, s, dci, ready_retry_ps(x, s), NULL);
    }
}
