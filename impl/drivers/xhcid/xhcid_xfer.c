/*
 * Transfers for class drivers [xHCI 4.11, 4.12, 6.4.1]: a request becomes a
 * TD of Normal TRBs - one per piece of the buffer that does not cross a
 * 64 KiB boundary, chained, ISP on each, IOC on the last - or a control TD
 * (Setup, Data, Status) on EP0. The buffer is the client's, in its DMA
 * window: the controller moves the data straight there.
 *
 * A TD ends at its last TRB's event, or at a short packet's (the
 * controller skips the rest of the TD). An error halts the endpoint; the
 * host side is mended before anything else runs on it: a transaction
 * error is tried again up to USB_SCHEME_XACT_RETRIES times (Reset Endpoint
 * with TSP, then the doorbell: the ring goes on from the failed TRB, as
 * Linux's soft retry does); any other error, or the last retry, gets
 * Reset Endpoint, Set TR Dequeue Pointer past the failed TD, and for a
 * stall CLEAR_FEATURE(ENDPOINT_HALT) to the device; then the TDs queued
 * behind it run. A client that goes away has its endpoints stopped and its
 * TDs dropped with Set TR Dequeue Pointer before its window may be freed.
 */
#include <string.h>

#include "impl/drivers/xhcid/xhcid_ctx.h"

#define FIX_TAG_SHIFT 16u              /* command callbacks get dev | dci << 16 */

static struct xhcid_ep *ep_of(struct xhcid *h, uint32_t dev, uint32_t dci)
{
    ASSERT(dev < XHCID_SLOTS_MAX);
    ASSERT(dci <= XHCI_DCI_MAX);
    return &h->devs[dev].ep[dci];
}

/* The oldest TD of an endpoint (TDs end in the order they were queued). */
static struct xhcid_td *oldest(struct xhcid *h, uint32_t dev, uint32_t dci, bool skip_first)
{
    struct xhcid_td *best = NULL, *second = NULL;
    ASSERT(dev < XHCID_SLOTS_MAX);
    ASSERT(dci >= XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX);
    for (uint32_t i = 0; i < XHCID_TDS_MAX; i++) {
        struct xhcid_td *t = &h->tds[i];
        if (!t->used || t->dev != dev || t->dci != dci)
            continue;
        if (best == NULL || t->seq < best->seq) {
            second = best;
            best = t;
        } else if (second == NULL || t->seq < second->seq) {
            second = t;
        }
    }
    ASSERT(best == NULL || best->used);
    ASSERT(second == NULL || (best != NULL && second->seq > best->seq)); /* seqs are unique */
    return skip_first ? second : best;
}

/* For assertions: no TD of `dev` is live. */
static bool no_td_of(const struct xhcid *h, uint32_t dev)
{
    for (uint32_t i = 0; i < XHCID_TDS_MAX; i++)
        if (h->tds[i].used && h->tds[i].dev == dev)
            return false;
    return true;
}

static struct xhcid_td *td_new(struct xhcid *h, uint32_t dev, uint32_t dci, uint32_t client,
                               uint64_t user_data)
{
    ASSERT(dev < XHCID_SLOTS_MAX);
    ASSERT(dci >= XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX);
    for (uint32_t i = 0; i < XHCID_TDS_MAX; i++) {
        struct xhcid_td *t = &h->tds[i];
        if (!t->used) {
            *t = (struct xhcid_td){.used = true, .dev = dev, .dci = dci, .client = client,
                                   .user_data = user_data, .seq = h->td_seq++,
                                   .deadline_ns = port_clock_ns() + USB_SCHEME_TIMEOUT_NS};
            ASSERT(t->seq < h->td_seq);
            return t;
        }
    }
    return NULL;
}

/* The TD ends: its TRBs go back to the ring, its client is answered -
 * once, here, whether the TD completed or was taken back (a timeout's
 * ETIMEDOUT; a TD that completed just before its Stop Endpoint keeps its
 * own result). */
static void td_end(struct xhcid *h, struct xhcid_td *t, int64_t status)
{
    struct xhcid_ep *e = ep_of(h, t->dev, t->dci);
    ASSERT(t->used); /* a TD ends once */
    ASSERT(t->ntrbs <= XHCID_TD_TRBS_MAX);
    ASSERT(e->ring.busy >= t->ntrbs); /* its TRBs were counted when it was queued */
    e->ring.busy = e->ring.busy >= t->ntrbs ? e->ring.busy - t->ntrbs : 0;
    if (t->client < XHCID_CLIENTS_MAX) {
        struct xhcid_client *c = &h->clients[t->client];
        c->inflight = c->inflight > 0 ? c->inflight - 1 : 0;
        if (!c->gone)
            xhcid_serve_answer(h, t->client, t->user_data, status);
    }
    t->used = false;
    ASSERT(e->ring.busy <= XHCID_RING_TRBS - 2);
}

/* ---- queueing ------------------------------------------------------------------------------- */

static uint32_t td_size(uint32_t left_after, uint32_t mps)
{
    uint32_t packets = mps == 0 ? 0 : (left_after + mps - 1) / mps;
    ASSERT(mps != 0); /* a configured endpoint has a packet size */
    return packets > XHCI_TRB_TD_SIZE_MAX ? XHCI_TRB_TD_SIZE_MAX : packets;
}

/* The pieces of [bus, bus + len) that do not cross a 64 KiB boundary. */
static uint32_t pieces(uint64_t bus, uint32_t len, uint64_t *addr, uint32_t *plen, uint32_t max)
{
    uint32_t n = 0;
    ASSERT(addr != NULL && plen != NULL);
    ASSERT(max > 0);
    do {
        uint32_t room = XHCI_TRB_BOUNDARY_BYTES - (uint32_t)(bus % XHCI_TRB_BOUNDARY_BYTES);
        uint32_t piece = len < room ? len : room;
        if (n == max)
            return 0;
        addr[n] = bus;
        plen[n++] = piece;
        ASSERT(piece <= XHCI_TRB_BOUNDARY_BYTES);
        ASSERT((bus % XHCI_TRB_BOUNDARY_BYTES) + piece <= XHCI_TRB_BOUNDARY_BYTES);
        bus += piece;
        len -= piece;
    } while (len > 0);
    ASSERT(n >= 1 && n <= max);
    return n;
}

enum iosim_err xhcid_xfer_normal(struct xhcid *h, uint32_t dev, uint32_t dci, uint64_t bus,
                                 uint32_t len, uint32_t client, uint64_t user_data)
{
    struct xhcid_dev *d = &h->devs[dev];
    struct xhcid_ep *e = ep_of(h, dev, dci);
    uint64_t addr[XHCID_TD_TRBS_MAX];
    uint32_t plen[XHCID_TD_TRBS_MAX];
    ASSERT(client < XHCID_CLIENTS_MAX); /* only a client's request is a normal TD */
    ASSERT(dci > XHCI_DCI_EP0);          /* EP0 takes control TDs only */
    uint32_t n = pieces(bus, len, addr, plen, XHCID_TD_TRBS_MAX);
    if (n == 0 || e->type == 0 || d->state != XD_CONFIGURED)
        return IOSIM_EINVAL;
    if (xhcid_ring_room(&e->ring) < n)
        return IOSIM_EBUSY;
    struct xhcid_td *t = td_new(h, dev, dci, client, user_data);
    if (t == NULL)
        return IOSIM_EBUSY;
    uint32_t left = len;
    for (uint32_t i = 0; i < n; i++) {
        left -= plen[i];
        bool last = i + 1 == n;
        uint32_t status = plen[i] | td_size(left, e->mps) << XHCI_TRB_TD_SIZE_SHIFT;
        uint32_t control = XHCI_TRB_TYPE_NORMAL << XHCI_TRB_TYPE_SHIFT | XHCI_TRB_ISP |
                           (last ? XHCI_TRB_IOC : XHCI_TRB_CH);
        t->trb[i] = xhcid_ring_put(&e->ring, addr[i], status, control);
        t->len[i] = plen[i];
    }
    ASSERT(left == 0); /* the pieces cover the buffer exactly */
    ASSERT(n <= XHCID_TD_TRBS_MAX);
    t->ntrbs = n;
    t->total = len;
    e->ring.busy += n;
    ASSERT(e->ring.busy <= XHCID_RING_TRBS - 2);
    if (e->fix == XE_NONE)
        xhcid_doorbell(h, d->slot, dci);
    return IOSIM_OK;
}

enum iosim_err xhcid_xfer_control(struct xhcid *h, uint32_t dev, uint64_t setup, uint64_t bus,
                                  uint32_t len, uint32_t client, uint64_t user_data)
{
    struct xhcid_dev *d = &h->devs[dev];
    struct xhcid_ep *e = ep_of(h, dev, XHCI_DCI_EP0);
    bool in = (setup & USB_RT_DIR_IN) != 0;
    ASSERT(dev < XHCID_SLOTS_MAX);
    ASSERT(client < XHCID_CLIENTS_MAX || client == UINT32_MAX - 1u); /* a client, or xhcid's own */
    if (len > XHCI_TRB_LENGTH_MAX || (bus % XHCI_TRB_BOUNDARY_BYTES) + len > XHCI_TRB_BOUNDARY_BYTES)
        return IOSIM_EINVAL; /* one Data TRB: the data stage may not cross 64 KiB */
    if (xhcid_ring_room(&e->ring) < 3)
        return IOSIM_EBUSY;
    struct xhcid_td *t = td_new(h, dev, XHCI_DCI_EP0, client, user_data);
    if (t == NULL)
        return IOSIM_EBUSY;
    uint32_t trt = len == 0 ? XHCI_TRT_NO_DATA : in ? XHCI_TRT_IN_DATA : XHCI_TRT_OUT_DATA;
    t->control = true;
    t->trb[t->ntrbs] = xhcid_ring_put(&e->ring, setup, XHCI_SETUP_TRB_LENGTH,
                                      XHCI_TRB_TYPE_SETUP_STAGE << XHCI_TRB_TYPE_SHIFT |
                                          XHCI_TRB_IDT | trt << XHCI_TRB_TRT_SHIFT);
    t->len[t->ntrbs++] = 0;
    t->data_trb = UINT32_MAX;
    if (len != 0) {
        t->data_trb = t->ntrbs;
        t->trb[t->ntrbs] = xhcid_ring_put(&e->ring, bus, len,
                                          XHCI_TRB_TYPE_DATA_STAGE << XHCI_TRB_TYPE_SHIFT |
                                              XHCI_TRB_ISP | (in ? XHCI_TRB_DIR_IN : 0));
        t->len[t->ntrbs++] = len;
    }
    bool status_in = len == 0 || !in;
    t->trb[t->ntrbs] = xhcid_ring_put(&e->ring, 0, 0, XHCI_TRB_TYPE_STATUS_STAGE << XHCI_TRB_TYPE_SHIFT |
                                                         XHCI_TRB_IOC | (status_in ? XHCI_TRB_DIR_IN : 0));
    t->len[t->ntrbs++] = 0;
    t->total = t->moved = len;
    ASSERT(t->ntrbs == (len != 0 ? 3u : 2u)); /* setup, data if any, status */
    ASSERT(t->data_trb == (len != 0 ? 1u : UINT32_MAX));
    e->ring.busy += t->ntrbs;
    ASSERT(e->ring.busy <= XHCID_RING_TRBS - 2);
    if (e->fix == XE_NONE)
        xhcid_doorbell(h, d->slot, XHCI_DCI_EP0);
    return IOSIM_OK;
}

/* ---- mending a halted or stopped endpoint --------------------------------------------------- */

/* A client's reset ends without its CLEAR_FEATURE TD (which would answer). */
static void reset_answer(struct xhcid *h, struct xhcid_ep *e, int64_t status)
{
    struct xhcid_client *c = &h->clients[e->reset_client];
    ASSERT(e->reset_client < XHCID_CLIENTS_MAX); /* only a client asks for a reset */
    c->inflight = c->inflight > 0 ? c->inflight - 1 : 0;
    xhcid_serve_answer(h, e->reset_client, e->reset_ud, status);
}

static void fix_step(struct xhcid *h, uint32_t dev, uint32_t dci);
static void fix_over(struct xhcid *h, uint32_t dev, uint32_t dci);

static void on_fix(struct xhcid *h, uint32_t tag, uint32_t cc, uint32_t slot)
{
    (void)slot;
    uint32_t dev = tag & 0xffffu, dci = tag >> FIX_TAG_SHIFT;
    ASSERT(dev < XHCID_SLOTS_MAX);
    ASSERT(dci >= XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX);
    struct xhcid_ep *e = ep_of(h, dev, dci);
    if (h->devs[dev].state != XD_CONFIGURED) {
        e->fix = XE_NONE; /* the device went: its TDs were failed */
        if (e->reset_waiting) {
            e->reset_waiting = false;
            reset_answer(h, e, -(int64_t)iosim_err_errno(IOSIM_ENODEV));
        }
        return;
    }
    if (e->fix == XE_RECONFIG && cc != XHCI_CC_SUCCESS) {
        e->fix = XE_NONE;
        reset_answer(h, e, -(int64_t)iosim_err_errno(IOSIM_EIO));
        return;
    }
    /* otherwise a Context State Error means the state was already right */
    fix_step(h, dev, dci);
}

static bool fix_command(struct xhcid *h, uint32_t dev, uint32_t dci, uint32_t type,
                        uint64_t param, uint32_t flags)
{
    uint32_t epid = type == XHCI_TRB_TYPE_CONFIGURE_EP ? 0 : dci << XHCI_TRB_EP_ID_SHIFT;
    ASSERT(dev < XHCID_SLOTS_MAX);
    ASSERT(dci >= XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX);
    ASSERT(h->devs[dev].slot != 0); /* the endpoint's device holds a slot */
    ASSERT(type == XHCI_TRB_TYPE_RESET_EP || type == XHCI_TRB_TYPE_STOP_EP ||
           type == XHCI_TRB_TYPE_SET_TR_DEQUEUE || type == XHCI_TRB_TYPE_CONFIGURE_EP);
    uint32_t control = type << XHCI_TRB_TYPE_SHIFT | h->devs[dev].slot << XHCI_TRB_SLOT_ID_SHIFT |
                       epid | flags;
    return xhcid_command(h, param, 0, control, dev | dci << FIX_TAG_SHIFT,
                         on_fix) == IOSIM_OK;
}

/* Where the ring goes on: the first TRB of the oldest live TD (a retried
 * one included), else where the next TD will be written; with its DCS. */
static uint64_t resume_at(struct xhcid *h, uint32_t dev, uint32_t dci)
{
    struct xhcid_ep *e = ep_of(h, dev, dci);
    for (;;) {
        struct xhcid_td *t = oldest(h, dev, dci, false);
        if (t == NULL)
            return xhcid_ring_deq(&e->ring);
        if (t->stopping) {
            td_end(h, t, t->stop_status);
            continue;
        }
        const uint8_t *at = (const uint8_t *)e->ring.mem.host + (t->trb[0] - e->ring.mem.bus_addr);
        ASSERT(t->ntrbs >= 1);
        /* a TD's first TRB lies in its endpoint's ring, never on the Link TRB */
        ASSERT(t->trb[0] >= e->ring.mem.bus_addr);
        ASSERT(t->trb[0] < e->ring.mem.bus_addr + XHCI_TRB_BYTES * (XHCID_RING_TRBS - 1));
        return t->trb[0] | (xhcid_get32(at + 12) & XHCI_TRB_C);
    }
}

static uint64_t clear_halt_setup(uint32_t dci);

static void clear_halt(struct xhcid *h, uint32_t dev, uint32_t dci)
{
    /* an internal request: no client; its user data is the DCI it mends */
    ASSERT(dci > XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX); /* EP0's halt is no device halt */
    ASSERT(ep_of(h, dev, dci)->fix == XE_CLEAR_HALT);
    if (xhcid_xfer_control(h, dev, clear_halt_setup(dci), 0, 0, UINT32_MAX - 1u, dci) != IOSIM_OK)
        fix_over(h, dev, dci);
}

static uint64_t clear_halt_setup(uint32_t dci)
{
    uint8_t address = (uint8_t)(dci / 2u | (dci % 2u ? USB_EP_ADDR_DIR_IN : 0));
    ASSERT(dci > XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX);
    ASSERT((address & USB_EP_ADDR_NUMBER_MASK) != 0);
    return (uint64_t)USB_RT_RECIPIENT_ENDPOINT | (uint64_t)USB_REQ_CLEAR_FEATURE << 8 |
           (uint64_t)USB_FEATURE_ENDPOINT_HALT << 16 | (uint64_t)address << 32;
}

static void fix_step(struct xhcid *h, uint32_t dev, uint32_t dci)
{
    struct xhcid_ep *e = ep_of(h, dev, dci);
    ASSERT(h->devs[dev].state == XD_CONFIGURED); /* on_fix and internal_done see to it */
    ASSERT(dci >= XHCI_DCI_EP0);
    if (e->fix == XE_RECONFIG) { /* the host side is reset: now the device's */
        e->fix = XE_NONE;
        if (xhcid_xfer_control(h, dev, clear_halt_setup(dci), 0, 0, e->reset_client,
                               e->reset_ud) != IOSIM_OK)
            reset_answer(h, e, -(int64_t)iosim_err_errno(IOSIM_EBUSY));
        return;
    }
    if (e->fix == XE_RESET && e->retry) {
        /* a soft retry: the dequeue pointer still names the failed TRB */
        e->retry = false;
        xhcid_doorbell(h, h->devs[dev].slot, dci);
        fix_over(h, dev, dci);
        return;
    }
    if (e->fix == XE_RESET || e->fix == XE_STOP) {
        e->fix = XE_SET_DEQ;
        if (!fix_command(h, dev, dci, XHCI_TRB_TYPE_SET_TR_DEQUEUE, resume_at(h, dev, dci), 0))
            fix_over(h, dev, dci);
        return;
    }
    if (e->fix == XE_SET_DEQ && e->stalled) {
        e->stalled = false;
        e->fix = XE_CLEAR_HALT;
        clear_halt(h, dev, dci);
        return;
    }
    if (oldest(h, dev, dci, false) != NULL)
        xhcid_doorbell(h, h->devs[dev].slot, dci);
    fix_over(h, dev, dci);
}

static void fix_start(struct xhcid *h, uint32_t dev, uint32_t dci, uint32_t type)
{
    struct xhcid_ep *e = ep_of(h, dev, dci);
    if (e->fix != XE_NONE)
        return; /* already on its way */
    ASSERT(type == XHCI_TRB_TYPE_RESET_EP || type == XHCI_TRB_TYPE_STOP_EP);
    ASSERT(dci >= XHCI_DCI_EP0);
    e->fix = type == XHCI_TRB_TYPE_RESET_EP ? XE_RESET : XE_STOP;
    /* a retry keeps the transfer state (TSP) [4.6.8]; a failure resets it */
    uint32_t flags = e->fix == XE_RESET && e->retry ? XHCI_TRB_TSP : 0;
    if (!fix_command(h, dev, dci, type, 0, flags))
        fix_over(h, dev, dci);
}

/* A client's reset: Configure Endpoint dropping and adding the endpoint,
 * then CLEAR_FEATURE(ENDPOINT_HALT) (fix_step); answered at the end. */
static enum iosim_err reconfig_start(struct xhcid *h, uint32_t dev, uint32_t dci)
{
    struct xhcid_dev *d = &h->devs[dev];
    struct xhcid_ep *e = ep_of(h, dev, dci);
    if (oldest(h, dev, dci, false) != NULL)
        return IOSIM_EBUSY;
    ASSERT(e->fix == XE_NONE); /* nothing else mends it meanwhile */
    ASSERT(!e->reset_waiting);
    ASSERT(dci > XHCI_DCI_EP0);
    uint32_t last = XHCI_DCI_EP0;
    for (uint32_t i = 2; i <= XHCI_DCI_MAX; i++)
        last = d->ep[i].type != 0 ? i : last;
    xhcid_ctx_clear(h, d, 1u << dci, 1u << dci | 1u); /* dropped and added: state anew */
    xhcid_ctx_slot(h, d, last);
    xhcid_ctx_ep(h, d, dci);
    e->fix = XE_RECONFIG;
    ASSERT(last >= dci); /* the slot context covers the endpoint */
    if (!fix_command(h, dev, dci, XHCI_TRB_TYPE_CONFIGURE_EP, d->in_ctx.bus_addr, 0)) {
        e->fix = XE_NONE;
        return IOSIM_EBUSY;
    }
    return IOSIM_OK;
}

/* The fix in flight is over (done or given up): a client's reset that
 * waited for it starts now. */
static void fix_over(struct xhcid *h, uint32_t dev, uint32_t dci)
{
    struct xhcid_ep *e = ep_of(h, dev, dci);
    e->fix = XE_NONE;
    if (!e->reset_waiting)
        return;
    e->reset_waiting = false;
    ASSERT(e->fix == XE_NONE);
    ASSERT(e->type != 0); /* only a configured endpoint had a reset waiting */
    if (reconfig_start(h, dev, dci) != IOSIM_OK)
        reset_answer(h, e, -(int64_t)iosim_err_errno(IOSIM_EBUSY));
}

/* A client's reset while xhcid mends the endpoint itself (a stall it is
 * clearing: Reset Endpoint, Set TR Dequeue, CLEAR_FEATURE) waits for that
 * to end - a class driver's reset recovery right after a stall (BOT
 * 5.3.4) meets exactly that - instead of being refused. */
enum iosim_err xhcid_xfer_reset(struct xhcid *h, uint32_t dev, uint32_t dci, uint32_t client,
                                uint64_t user_data)
{
    struct xhcid_ep *e = ep_of(h, dev, dci);
    if (e->type == 0 || dci == XHCI_DCI_EP0)
        return IOSIM_EINVAL;
    if (e->fix == XE_RECONFIG || e->reset_waiting || oldest(h, dev, dci, false) != NULL)
        return IOSIM_EBUSY;
    e->reset_client = client;
    e->reset_ud = user_data;
    ASSERT(client < XHCID_CLIENTS_MAX);
    ASSERT(dci > XHCI_DCI_EP0);
    if (e->fix != XE_NONE) {
        e->reset_waiting = true;
        return IOSIM_OK;
    }
    return reconfig_start(h, dev, dci);
}

/* ---- events --------------------------------------------------------------------------------- */

static int64_t error_of(uint32_t cc)
{
    ASSERT(cc != XHCI_CC_SUCCESS); /* only failures come here */
    ASSERT(cc != XHCI_CC_SHORT_PACKET);
    return -(int64_t)iosim_err_errno(cc == XHCI_CC_STALL_ERROR ? IOSIM_EPIPE : IOSIM_EIO);
}

static void td_failed(struct xhcid *h, struct xhcid_td *t, uint32_t cc)
{
    struct xhcid_ep *e = ep_of(h, t->dev, t->dci);
    uint32_t dev = t->dev, dci = t->dci;
    bool xact = cc == XHCI_CC_USB_TRANSACTION_ERROR;
    ASSERT(t->used);
    ASSERT(cc != XHCI_CC_SUCCESS && cc != XHCI_CC_SHORT_PACKET);
    ASSERT(t->retries <= USB_SCHEME_XACT_RETRIES);
    if (xact && t->retries < USB_SCHEME_XACT_RETRIES && !t->stopping) {
        t->retries++; /* it stays first and runs again from the failed TRB */
        e->retry = true;
    } else {
        e->stalled = cc == XHCI_CC_STALL_ERROR && dci != XHCI_DCI_EP0;
        td_end(h, t, error_of(cc));
    }
    fix_start(h, dev, dci, XHCI_TRB_TYPE_RESET_EP);
}

static void internal_done(struct xhcid *h, struct xhcid_td *t)
{
    uint32_t dev = t->dev, dci = (uint32_t)t->user_data;
    ASSERT(t->used);
    ASSERT(t->control); /* xhcid's own requests are CLEAR_FEATUREs on EP0 */
    ASSERT(t->client == UINT32_MAX - 1u);
    t->client = UINT32_MAX;
    td_end(h, t, 0);
    if (ep_of(h, dev, dci)->fix == XE_CLEAR_HALT)
        fix_step(h, dev, dci);
}

static void td_done(struct xhcid *h, struct xhcid_td *t, uint32_t bytes)
{
    ASSERT(t->used);
    ASSERT(bytes <= t->total); /* never more than the TD asked for */
    if (t->client == UINT32_MAX - 1u)
        internal_done(h, t);
    else
        td_end(h, t, bytes);
}

static int32_t trb_index(const struct xhcid_td *t, uint64_t trb)
{
    ASSERT(t->used);
    ASSERT(t->ntrbs <= XHCID_TD_TRBS_MAX);
    for (uint32_t i = 0; i < t->ntrbs; i++)
        if (t->trb[i] == trb)
            return (int32_t)i;
    return -1;
}

void xhcid_xfer_event(struct xhcid *h, uint32_t dev, uint32_t dci, uint64_t trb, uint32_t cc,
                      uint32_t residue)
{
    struct xhcid_td *t = oldest(h, dev, dci, false);
    int32_t k = t != NULL ? trb_index(t, trb) : -1;
    ASSERT(dev < XHCID_SLOTS_MAX);
    ASSERT(dci >= XHCI_DCI_EP0 && dci <= XHCI_DCI_MAX);
    if (k < 0)
        return; /* stale (the rest of a short TD), or not ours */
    bool last = (uint32_t)k + 1 == t->ntrbs;
    uint32_t got = residue <= t->len[k] ? t->len[k] - residue : 0;
    ASSERT((uint32_t)k < t->ntrbs);
    ASSERT(got <= t->len[k]); /* the residue is the device's: bounded, never trusted */
    if (cc == XHCI_CC_SHORT_PACKET && t->control && (uint32_t)k == t->data_trb) {
        t->moved = got; /* the status stage's event follows */
        return;
    }
    if (cc == XHCI_CC_SUCCESS || cc == XHCI_CC_SHORT_PACKET) {
        if (t->control) {
            if (last)
                td_done(h, t, t->moved);
            return;
        }
        if (cc == XHCI_CC_SUCCESS && !last)
            return;
        uint32_t before = 0;
        for (int32_t i = 0; i < k; i++)
            before += t->len[i];
        td_done(h, t, cc == XHCI_CC_SUCCESS ? t->total : before + got);
        return;
    }
    if (cc == XHCI_CC_STOPPED || cc == XHCI_CC_STOPPED_LENGTH_INVALID ||
        cc == XHCI_CC_STOPPED_SHORT_PACKET)
        return; /* our Stop Endpoint: Set TR Dequeue Pointer decides what runs */
    td_failed(h, t, cc);
}

/* ---- a device or a client going ------------------------------------------------------------- */

void xhcid_xfer_fail_dev(struct xhcid *h, uint32_t dev, int64_t status)
{
    for (uint32_t i = 0; i < XHCID_TDS_MAX; i++)
        if (h->tds[i].used && h->tds[i].dev == dev)
            td_end(h, &h->tds[i], status);
    ASSERT(dev < XHCID_SLOTS_MAX);
    ASSERT(no_td_of(h, dev)); /* every TD of it ended, none was queued meanwhile */
    for (uint32_t dci = 0; dci <= XHCI_DCI_MAX; dci++) {
        struct xhcid_ep *e = ep_of(h, dev, dci);
        if (e->fix == XE_RECONFIG || e->reset_waiting) /* a reset waited on a command the
                                                           slot took with it */
            reset_answer(h, e, status);
        e->fix = XE_NONE;
        e->reset_waiting = false;
    }
}

/* Takes a TD back from the controller: Stop Endpoint, then Set TR Dequeue
 * Pointer past it; it ends with `status` then. */
static void take_back(struct xhcid *h, struct xhcid_td *t, enum iosim_err status)
{
    ASSERT(t->used);
    ASSERT(!t->stopping); /* taken back once */
    t->stopping = true;
    t->stop_status = -(int64_t)iosim_err_errno(status);
    fix_start(h, t->dev, t->dci, XHCI_TRB_TYPE_STOP_EP);
}

void xhcid_xfer_drop_client(struct xhcid *h, uint32_t client)
{
    ASSERT(client < XHCID_CLIENTS_MAX);
    for (uint32_t i = 0; i < XHCID_TDS_MAX; i++) {
        struct xhcid_td *t = &h->tds[i];
        if (t->used && t->client == client && !t->stopping)
            take_back(h, t, IOSIM_ECANCELED);
    }
}

void xhcid_xfer_timeouts(struct xhcid *h, uint64_t now)
{
    ASSERT(h != NULL);
    for (uint32_t i = 0; i < XHCID_TDS_MAX; i++) {
        struct xhcid_td *t = &h->tds[i];
        if (t->used && !t->stopping && now >= t->deadline_ns)
            take_back(h, t, IOSIM_ETIMEDOUT);
    }
}

uint64_t xhcid_xfer_next_deadline(const struct xhcid *h)
{
    uint64_t next = XHCID_NO_DEADLINE;
    for (uint32_t i = 0; i < XHCID_TDS_MAX; i++) {
        const struct xhcid_td *t = &h->tds[i];
        if (t->used && !t->stopping && t->deadline_ns < next)
            next = t->deadline_ns;
    }
    ASSERT(next == XHCID_NO_DEADLINE || next >= USB_SCHEME_TIMEOUT_NS);
    return next;
}
