/*
 * xt_driver.h - a small xHCI driver for the model's tests, on top of
 * xhci_test_util.h. It is a test instrument, not a production driver
 * (that is impl/drivers/xhcid): it polls instead of waiting for
 * interrupts, allocates from a bump heap in guest memory it never frees,
 * and asserts (cr_assert) where a real driver would recover. What it does
 * is every step of the spec's initialisation and enumeration in the
 * plainest form, so that a test reads as the spec's sequence [xHCI 4.2,
 * 4.3, 4.6, 4.11]:
 *
 *     xd_setup_named("ti-tusb7340", 2);    controller up: DCBAA, scratchpads,
 *                                          command ring, 2-segment event ring
 *     struct usb_zero *z = xd_zero(USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
 *     struct xd_dev d;
 *     xd_plug_and_enumerate(&d, z, xd_port_for(USB_SPEED_HIGH, 0));  first USB 2 port
 *     struct xd_td td;
 *     xd_queue_td(&d, XD_DCI_BULK_IN, buf, 65536, XD_IOC | XD_ISP, &td);
 *     xd_doorbell(&d, XD_DCI_BULK_IN);
 *     struct xd_event ev;
 *     xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev);
 *     ... xd_teardown() at .fini (destroys gadgets made with xd_zero too)
 *
 * Time. Everything waits by stepping the simulator's engine one event at
 * a time and harvesting the event ring after each, so every event carries
 * the simulated time it was written at (xd_event.at_ps): timing tests
 * measure the model, not the driver's polling period. A wait that runs a
 * very large number of engine events without simulated time moving fails
 * the test (a model stuck in a zero-time loop).
 *
 * Contexts respect HCCPARAMS1.CSZ: 32- or 64-byte contexts, so the same
 * code drives the qemu profile and the TI one. Header-only: every test
 * file that includes it gets its own static driver state (one controller
 * per test, as xhci_test_util.h has it).
 */
#ifndef IOSIM_TESTS_XT_DRIVER_H
#define IOSIM_TESTS_XT_DRIVER_H

#include "models/usb/usb_desc.h"
#include "models/usb/usb_zero.h"
#include "tests/models/xhci/xhci_test_util.h"

#define XD_HEAP_END (16ull << 20)        /* xt_create's machine has 16 MiB */
#define XD_QUEUE_MAX 1024u               /* harvested events nobody took yet */
#define XD_EV_SEGS_MAX 4u
#define XD_TD_TRBS_MAX 64u
#define XD_ZEROS_MAX 8u
#define XD_ANY UINT64_MAX                /* a wildcard for xd_wait_event's fields */
#define XD_TIMEOUT (2 * SIM_S)           /* what a wait allows unless told */
#define XD_STEPS_MAX 20000000ull         /* engine events in one wait before calling it a hang */
#define XD_RING_TRBS 256u                /* a transfer ring's default size (one 4 KiB page) */
#define XD_CTL_BUF_BYTES 4096u
#define XD_ATTACH_DEBOUNCE (100 * SIM_MS) /* TATTDB: the driver's to wait [ref 1.2] */

/* Gadget zero's endpoints as DCIs: EPn OUT = 2n, EPn IN = 2n + 1 [ref 1.5]. */
#define XD_DCI_BULK_OUT 2u
#define XD_DCI_BULK_IN 3u
#define XD_DCI_INTR_IN 5u

#define XD_TRB_TYPE(t) ((uint32_t)(t) << XHCI_TRB_TYPE_SHIFT)

/* Flags for xd_queue_td. */
#define XD_IOC 0x1u                      /* IOC on the TD's last TRB */
#define XD_ISP 0x2u                      /* ISP on every TRB */
#define XD_BEI 0x4u                      /* BEI on the TD's last TRB */
#define XD_IOC_EACH 0x8u                 /* IOC on every TRB */
#define XD_IDT 0x10u                     /* OUT, at most 8 bytes: the data in the TRB itself */

struct xd_event {
    uint64_t param;
    uint32_t status, control;
    sim_time_ps at_ps;                   /* when the driver found it in the ring */
};

/* A producer ring (command or transfer): the last TRB is a Link back to
 * the start with Toggle Cycle [4.9.2]. */
struct xd_ring {
    uint64_t base;
    uint32_t trbs, idx;
    bool pcs;                            /* producer cycle state */
};

struct xd_ep {
    struct xd_ring ring;
    uint32_t type, mps, burst, interval;
};

struct xd_dev {
    uint32_t port, speed, slot;
    uint64_t in_ctx, out_ctx, buf;       /* buf: XD_CTL_BUF_BYTES for control data */
    uint32_t ring_trbs;                  /* for rings made from now on */
    struct xd_ep ep[XHCI_DCI_MAX + 1];
    uint8_t dev_desc[USB_DT_DEVICE_BYTES];
    uint8_t cfg[512];
    uint32_t cfg_len;
};

/* The pieces of one TD as queued, to turn an event's residue into bytes. */
struct xd_td {
    uint32_t n;
    uint64_t addr[XD_TD_TRBS_MAX];
    uint32_t len[XD_TD_TRBS_MAX];
};

struct xd {
    uint32_t ctx_bytes, max_slots, ports, scratchpads;
    uint64_t heap;
    uint64_t dcbaa;
    struct xd_ring cmd;
    /* the event ring, as the consumer walks it */
    uint32_t ev_segs, ev_seg_trbs, ev_seg, ev_idx;
    uint64_t ev_seg_base[XD_EV_SEGS_MAX];
    bool ev_ccs;
    struct xd_event q[XD_QUEUE_MAX];     /* a ring: q_len events from q_head on */
    uint32_t q_head, q_len;
    uint64_t events_seen, events_lost, ip_seen;
    sim_time_ps cmd_timeout_ps;          /* a command's wait for its completion */
    uint64_t seed;                       /* a seeded test's current seed, for failure messages */
    struct usb_zero *zeros[XD_ZEROS_MAX];
    uint32_t zeros_n;
};

static struct xd xd;

/* ---- memory ------------------------------------------------------------------------------- */

static inline sim_time_ps xd_now(void) { return xt_m->eng.now_ps; }

/* Zeroed guest memory, `align` a power of two; never freed. */
static inline uint64_t xd_alloc(uint64_t bytes, uint64_t align)
{
    uint64_t at = (xd.heap + align - 1) & ~(align - 1);
    cr_assert_leq(at + bytes, XD_HEAP_END, "the driver's heap is exhausted");
    xd.heap = at + bytes;
    memset(xt_host(at, bytes), 0, bytes);
    return at;
}

static inline uint32_t xd_rd32(uint64_t pa) { return xt_trb_dw(pa, 0); }

static inline void xd_wr32(uint64_t pa, uint32_t v)
{
    uint8_t *b = xt_host(pa, 4);
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static inline void xd_wr64(uint64_t pa, uint64_t v)
{
    xd_wr32(pa, (uint32_t)v);
    xd_wr32(pa + 4, (uint32_t)(v >> 32));
}

/* ---- events ------------------------------------------------------------------------------- */

static inline uint32_t xd_ev_type(const struct xd_event *e) { return xt_trb_type(e->control); }
static inline uint32_t xd_ev_cc(const struct xd_event *e) { return xt_cc(e->status); }
static inline uint32_t xd_ev_len(const struct xd_event *e) { return e->status & XHCI_EVT_LENGTH_MASK; }
static inline uint32_t xd_ev_slot(const struct xd_event *e) { return e->control >> XHCI_TRB_SLOT_ID_SHIFT; }
static inline uint32_t xd_ev_dci(const struct xd_event *e)
{
    return (e->control & XHCI_TRB_EP_ID_MASK) >> XHCI_TRB_EP_ID_SHIFT;
}
static inline uint32_t xd_ev_port(const struct xd_event *e)
{
    return (uint32_t)(e->param >> XHCI_EVT_PORT_ID_SHIFT) & 0xffu;
}

/* Queued event i, 0 the oldest. */
static inline struct xd_event *xd_q_at(uint32_t i)
{
    return &xd.q[(xd.q_head + i) % XD_QUEUE_MAX];
}

static inline void xd_push(const struct xd_event *e)
{
    if (xd.q_len == XD_QUEUE_MAX) { /* the oldest nobody wanted goes */
        xd.q_head = (xd.q_head + 1) % XD_QUEUE_MAX;
        xd.q_len--;
        xd.events_lost++;
    }
    *xd_q_at(xd.q_len++) = *e;
}

static inline void xd_q_clear(void)
{
    xd.q_head = xd.q_len = 0;
}

static inline uint64_t xd_ev_deq(void)
{
    return xd.ev_seg_base[xd.ev_seg] + (uint64_t)XHCI_TRB_BYTES * xd.ev_idx;
}

/* Takes what the controller produced (cycle bit = consumer cycle state),
 * then, as an interrupt handler would, clears IP and EINT and hands the
 * ring back with ERDP (EHB written 1 to clear it, DESI = the segment). */
static inline void xd_harvest(void)
{
    uint32_t n = 0, cap = xd.ev_segs * xd.ev_seg_trbs;
    while (n < cap) {
        uint64_t at = xd_ev_deq();
        uint32_t c = xt_trb_dw(at, 3);
        if (((c & XHCI_TRB_C) != 0) != xd.ev_ccs)
            break;
        struct xd_event e = {(uint64_t)xt_trb_dw(at, 0) | (uint64_t)xt_trb_dw(at, 1) << 32,
                             xt_trb_dw(at, 2), c, xd_now()};
        xd_push(&e);
        xd.events_seen++;
        n++;
        if (++xd.ev_idx == xd.ev_seg_trbs) {
            xd.ev_idx = 0;
            xd.ev_seg = (xd.ev_seg + 1) % xd.ev_segs;
            if (xd.ev_seg == 0)
                xd.ev_ccs = !xd.ev_ccs;
        }
    }
    if (n == 0)
        return;
    if (xt_ir(0, XHCI_IR_IMAN) & XHCI_IMAN_IP) {
        xd.ip_seen++;
        xt_op_wr(XHCI_OP_USBSTS, XHCI_USBSTS_EINT);
        xt_ir_wr(0, XHCI_IR_IMAN, XHCI_IMAN_IE | XHCI_IMAN_IP);
    }
    uint64_t deq = xd_ev_deq();
    xt_ir_wr(0, XHCI_IR_ERDP, (uint32_t)deq | XHCI_ERDP_EHB | (xd.ev_seg & XHCI_ERDP_DESI_MASK));
    xt_ir_wr(0, XHCI_IR_ERDP + 4, (uint32_t)(deq >> 32));
}

static inline bool xd_matches(const struct xd_event *e, uint32_t type, uint64_t slot, uint64_t dci,
                              uint64_t param)
{
    return xd_ev_type(e) == type && (slot == XD_ANY || xd_ev_slot(e) == slot) &&
           (dci == XD_ANY || xd_ev_dci(e) == dci) && (param == XD_ANY || e->param == param);
}

/* Removes the oldest queued event from index `from` on that matches
 * into *out. */
static inline bool xd_take_from(uint32_t from, uint32_t type, uint64_t slot, uint64_t dci, uint64_t param,
                                struct xd_event *out)
{
    for (uint32_t i = from; i < xd.q_len; i++) {
        if (!xd_matches(xd_q_at(i), type, slot, dci, param))
            continue;
        if (out != NULL)
            *out = *xd_q_at(i);
        if (i == 0) {
            xd.q_head = (xd.q_head + 1) % XD_QUEUE_MAX;
        } else {
            for (uint32_t k = i; k + 1 < xd.q_len; k++)
                *xd_q_at(k) = *xd_q_at(k + 1);
        }
        xd.q_len--;
        return true;
    }
    return false;
}

static inline bool xd_take(uint32_t type, uint64_t slot, uint64_t dci, uint64_t param,
                           struct xd_event *out)
{
    return xd_take_from(0, type, slot, dci, param, out);
}

/* How many queued events match (without taking them). */
static inline uint32_t xd_count(uint32_t type, uint64_t slot, uint64_t dci)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < xd.q_len; i++)
        n += xd_matches(xd_q_at(i), type, slot, dci, XD_ANY);
    return n;
}

/* One engine event (or time moves to `until`); false when time reached it. */
static inline bool xd_step(sim_time_ps until, uint64_t *steps)
{
    cr_assert_lt(++*steps, XD_STEPS_MAX, "the model ran %llu events without reaching %llu ps: a hang "
                 "(seed %llu)", (unsigned long long)*steps, (unsigned long long)until,
                 (unsigned long long)xd.seed);
    if (!sim_engine_step(&xt_m->eng, until) && xt_m->eng.now_ps < until)
        xt_m->eng.now_ps = until;
    xd_harvest();
    return xd_now() < until;
}

/* Runs the machine for `ps`, harvesting events as they come. */
static inline void xd_run_for(sim_time_ps ps)
{
    sim_time_ps until = xd_now() + ps;
    uint64_t steps = 0;
    xd_harvest();
    while (xd_now() < until && xd_step(until, &steps)) {
    }
}

/* Waits up to `timeout` for an event of `type` (fields XD_ANY or a value). */
static inline bool xd_wait_event(uint32_t type, uint64_t slot, uint64_t dci, uint64_t param,
                                 sim_time_ps timeout, struct xd_event *out)
{
    sim_time_ps until = xd_now() + timeout;
    uint64_t steps = 0;
    uint32_t seen = 0; /* queued events already looked at: only new ones are after a step */
    xd_harvest();
    for (;;) {
        if (xd_take_from(seen, type, slot, dci, param, out))
            return true;
        seen = xd.q_len;
        if (xd_now() >= until)
            return false;
        uint64_t lost = xd.events_lost;
        (void)xd_step(until, &steps);
        lost = xd.events_lost - lost; /* the oldest went: indices moved down */
        seen = seen > lost ? seen - (uint32_t)lost : 0;
    }
}

/* ---- rings ---------------------------------------------------------------------------------- */

static inline void xd_ring_init(struct xd_ring *r, uint32_t trbs)
{
    cr_assert_geq(trbs, 2u);
    r->base = xd_alloc((uint64_t)trbs * XHCI_TRB_BYTES, 64);
    r->trbs = trbs;
    r->idx = 0;
    r->pcs = true;
}

/* Where the producer writes next, with its cycle state in bit 0: what a
 * dequeue pointer given to the controller says. */
static inline uint64_t xd_ring_enq(const struct xd_ring *r)
{
    return r->base + (uint64_t)XHCI_TRB_BYTES * r->idx + (r->pcs ? 1u : 0u);
}

/* Writes one TRB with the producer's cycle bit (`control` must leave C
 * clear); at the ring's end a Link TRB back to the start, chained when the
 * TD goes on across it [4.11.5.1], and the cycle state toggles. Returns
 * the TRB's address. */
static inline uint64_t xd_ring_put(struct xd_ring *r, uint64_t param, uint32_t status, uint32_t control)
{
    uint64_t at = r->base + (uint64_t)XHCI_TRB_BYTES * r->idx;
    xt_put_trb(at, param, status, control | (r->pcs ? XHCI_TRB_C : 0));
    if (++r->idx == r->trbs - 1) {
        uint32_t link = XD_TRB_TYPE(XHCI_TRB_TYPE_LINK) | XHCI_TRB_TC | (control & XHCI_TRB_CH);
        xt_put_trb(r->base + (uint64_t)XHCI_TRB_BYTES * r->idx, r->base, 0,
                   link | (r->pcs ? XHCI_TRB_C : 0));
        r->idx = 0;
        r->pcs = !r->pcs;
    }
    return at;
}

/* ---- commands ---------------------------------------------------------------------------------- */

/* Puts a command on the ring, rings doorbell 0 and waits for its
 * completion event; returns the completion code (XHCI_CC_INVALID when
 * none came: the controller halted, say). */
static inline uint32_t xd_cmd_ev(uint64_t param, uint32_t status, uint32_t control, struct xd_event *ev)
{
    uint64_t at = xd_ring_put(&xd.cmd, param, status, control);
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    struct xd_event e;
    if (!xd_wait_event(XHCI_TRB_TYPE_CMD_COMPLETION, XD_ANY, XD_ANY, at, xd.cmd_timeout_ps, &e))
        return XHCI_CC_INVALID;
    if (ev != NULL)
        *ev = e;
    return xd_ev_cc(&e);
}

static inline uint32_t xd_cmd(uint64_t param, uint32_t status, uint32_t control)
{
    return xd_cmd_ev(param, status, control, NULL);
}

static inline uint32_t xd_cmd_slot(uint32_t type, uint32_t slot, uint32_t dci, uint64_t param,
                                   uint32_t flags)
{
    return xd_cmd(param, 0, XD_TRB_TYPE(type) | slot << XHCI_TRB_SLOT_ID_SHIFT |
                                dci << XHCI_TRB_EP_ID_SHIFT | flags);
}

/* ---- bring-up [4.2] ------------------------------------------------------------------------------- */

static inline uint32_t xd_cap(uint32_t off) { return xt_rd(off); }

/* Waits (polling) until (reg & mask) == want. */
static inline void xd_wait_op(uint32_t reg, uint32_t mask, uint32_t want, const char *what)
{
    sim_time_ps until = xd_now() + XD_TIMEOUT;
    uint64_t steps = 0;
    while ((xt_op(reg) & mask) != want) {
        cr_assert_lt(xd_now(), until, "timed out waiting for %s", what);
        (void)xd_step(xd_now() + 10 * SIM_US, &steps);
    }
}

/* Scratchpads [4.20]: the array in DCBAA entry 0, one page each. */
static inline void xd_scratchpads(void)
{
    uint32_t p2 = xd_cap(XHCI_CAP_HCSPARAMS2);
    xd.scratchpads = ((p2 & XHCI_HCSPARAMS2_SPB_HI_MASK) >> XHCI_HCSPARAMS2_SPB_HI_SHIFT) << XHCI_SPB_HI_POS |
                     (p2 & XHCI_HCSPARAMS2_SPB_LO_MASK) >> XHCI_HCSPARAMS2_SPB_LO_SHIFT;
    if (xd.scratchpads == 0)
        return;
    uint64_t array = xd_alloc(8ull * xd.scratchpads, 64);
    for (uint32_t i = 0; i < xd.scratchpads; i++)
        xd_wr64(array + 8ull * i, xd_alloc(4096, 4096));
    xd_wr64(xd.dcbaa + 8ull * XHCI_DCBAA_SCRATCHPAD, array);
}

/* Interrupter 0's event ring: `segs` segments (as many as ERST Max allows)
 * of `trbs` TRBs each [4.9.4, 6.5]. */
static inline void xd_event_ring(uint32_t segs, uint32_t trbs)
{
    uint32_t erst_max = (xd_cap(XHCI_CAP_HCSPARAMS2) & XHCI_HCSPARAMS2_ERST_MAX_MASK) >>
                        XHCI_HCSPARAMS2_ERST_MAX_SHIFT;
    if (segs > (1u << erst_max))
        segs = 1u << erst_max;
    cr_assert(segs >= 1 && segs <= XD_EV_SEGS_MAX);
    uint64_t erst = xd_alloc((uint64_t)XHCI_ERST_ENTRY_BYTES * segs, 64);
    for (uint32_t s = 0; s < segs; s++) {
        xd.ev_seg_base[s] = xd_alloc((uint64_t)trbs * XHCI_TRB_BYTES, 64);
        xd_wr64(erst + XHCI_ERST_ENTRY_BYTES * s + XHCI_ERST_SEG_BASE, xd.ev_seg_base[s]);
        xd_wr32(erst + XHCI_ERST_ENTRY_BYTES * s + XHCI_ERST_SEG_SIZE, trbs);
    }
    xd.ev_segs = segs;
    xd.ev_seg_trbs = trbs;
    xd.ev_seg = xd.ev_idx = 0;
    xd.ev_ccs = true;
    xt_ir_wr(0, XHCI_IR_ERSTSZ, segs);
    xt_ir_wr(0, XHCI_IR_ERDP, (uint32_t)xd.ev_seg_base[0]);
    xt_ir_wr(0, XHCI_IR_ERDP + 4, (uint32_t)(xd.ev_seg_base[0] >> 32));
    xt_ir_wr(0, XHCI_IR_ERSTBA, (uint32_t)erst);
    xt_ir_wr(0, XHCI_IR_ERSTBA + 4, (uint32_t)(erst >> 32)); /* the high half starts the ring */
}

/* Clears every change bit of every port (a QEMU-like controller sets CSC
 * on all of them at reset), so the next change raises an event. */
static inline void xd_ports_quiet(void)
{
    for (uint32_t p = 1; p <= xd.ports; p++) {
        uint32_t sc = xt_portsc(p);
        xt_portsc_wr(p, (sc & XHCI_PORTSC_PP) | (sc & XHCI_PORTSC_CHANGE));
    }
}

/* The controller from power-on to running [4.2]: CNR, MaxSlotsEn, DCBAA
 * (+ scratchpads), the command ring, interrupter 0 and its event ring,
 * then R/S. The profile must be in xt_profile and the machine created. */
static inline void xd_init(uint32_t ev_segs)
{
    struct usb_zero *zeros[XD_ZEROS_MAX]; /* gadgets outlive a re-initialisation */
    uint32_t zeros_n = xd.zeros_n;
    memcpy(zeros, xd.zeros, sizeof zeros);
    memset(&xd, 0, sizeof xd);
    memcpy(xd.zeros, zeros, sizeof zeros);
    xd.zeros_n = zeros_n;
    xd.heap = XT_MEM;
    xd.cmd_timeout_ps = XD_TIMEOUT;
    xd_wait_op(XHCI_OP_USBSTS, XHCI_USBSTS_CNR, 0, "CNR to clear");
    xd_wait_op(XHCI_OP_USBSTS, XHCI_USBSTS_HCH, XHCI_USBSTS_HCH, "the controller to be halted");
    uint32_t p1 = xd_cap(XHCI_CAP_HCSPARAMS1);
    xd.max_slots = p1 & XHCI_HCSPARAMS1_MAX_SLOTS_MASK;
    xd.ports = (p1 & XHCI_HCSPARAMS1_MAX_PORTS_MASK) >> XHCI_HCSPARAMS1_MAX_PORTS_SHIFT;
    xd.ctx_bytes = (xd_cap(XHCI_CAP_HCCPARAMS1) & XHCI_HCCPARAMS1_CSZ) ? XHCI_CTX_BYTES_CSZ
                                                                      : XHCI_CTX_BYTES;
    xt_op_wr(XHCI_OP_CONFIG, xd.max_slots);
    xd.dcbaa = xd_alloc((uint64_t)XHCI_DCBAA_ENTRY_BYTES * (xd.max_slots + 1u), 64);
    xd_scratchpads();
    xt_op_wr(XHCI_OP_DCBAAP, (uint32_t)xd.dcbaa);
    xt_op_wr(XHCI_OP_DCBAAP + 4, (uint32_t)(xd.dcbaa >> 32));
    xd_ring_init(&xd.cmd, 64);
    xt_op_wr(XHCI_OP_CRCR, (uint32_t)xd.cmd.base | XHCI_CRCR_RCS);
    xt_op_wr(XHCI_OP_CRCR + 4, (uint32_t)(xd.cmd.base >> 32));
    xd_event_ring(ev_segs, 256);
    xt_ir_wr(0, XHCI_IR_IMOD, 0);
    xt_ir_wr(0, XHCI_IR_IMAN, XHCI_IMAN_IE);
    xd_ports_quiet();
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS | XHCI_USBCMD_INTE);
    xd_wait_op(XHCI_OP_USBSTS, XHCI_USBSTS_HCH, 0, "the controller to run");
}

/* A controller of profile `name` (its quirks as they are), brought up. */
static inline void xd_setup_named(const char *name, uint32_t ev_segs)
{
    const struct xhci_profile *p = xhci_profile_find(name);
    cr_assert_not_null(p, "no profile %s", name);
    xt_profile = *p;
    xt_create(); /* power-on not waited for: xd_init polls CNR as a driver does */
    xd_init(ev_segs);
}

/* Everything down (also safe when nothing is up: tests loop over
 * profiles and tear down between them, then the suite's .fini runs). */
static inline void xd_teardown(void)
{
    if (xt_m != NULL)
        xt_teardown();
    xt_x = NULL;
    xt_root = NULL;
    xt_m = NULL;
    for (uint32_t i = 0; i < xd.zeros_n; i++)
        usb_zero_destroy(xd.zeros[i]);
    xd.zeros_n = 0;
}

/* ---- ports [4.3, 5.4.8] --------------------------------------------------------------------------- */

/* A PORTSC write that changes nothing but `bits`: the RWS bits written
 * back as read, the RW1C/RW1S ones 0 [ref 1.3]. */
static inline void xd_portsc_set(uint32_t port, uint32_t bits)
{
    uint32_t keep = XHCI_PORTSC_PP | XHCI_PORTSC_PIC_MASK | XHCI_PORTSC_WCE | XHCI_PORTSC_WDE |
                    XHCI_PORTSC_WOE;
    xt_portsc_wr(port, (xt_portsc(port) & keep) | bits);
}

static inline void xd_port_ack(uint32_t port)
{
    xd_portsc_set(port, xt_portsc(port) & XHCI_PORTSC_CHANGE);
}

/* Waits up to `timeout` until (PORTSC & mask) == want. */
static inline bool xd_wait_port(uint32_t port, uint32_t mask, uint32_t want, sim_time_ps timeout)
{
    sim_time_ps until = xd_now() + timeout;
    uint64_t steps = 0;
    xd_harvest();
    while ((xt_portsc(port) & mask) != want) {
        if (xd_now() >= until)
            return false;
        (void)xd_step(until, &steps);
    }
    return true;
}

/* Port reset [4.3.1]: PR, wait for PRC, acknowledge the changes. Returns
 * PORTSC after it. */
static inline uint32_t xd_port_reset(uint32_t port)
{
    xd_portsc_set(port, XHCI_PORTSC_PR);
    cr_assert(xd_wait_port(port, XHCI_PORTSC_PRC, XHCI_PORTSC_PRC, XD_TIMEOUT),
              "port %u: no PRC", port);
    uint32_t sc = xt_portsc(port);
    xd_port_ack(port);
    return sc;
}

/* A port of the protocol `speed` needs: qemu has USB 3 ports first, TI USB 2. */
static inline uint32_t xd_port_for(enum usb_speed speed, uint32_t nth)
{
    bool want3 = usb_speed_is_super(speed);
    for (uint32_t p = 1; p <= xhci_profile_ports(&xt_profile); p++)
        if (xhci_profile_port_usb3(&xt_profile, p) == want3 && nth-- == 0)
            return p;
    cr_assert_fail("no port for that speed");
    return 0;
}

/* ---- contexts [6.2] --------------------------------------------------------------------------- */

static inline uint64_t xd_in_at(const struct xd_dev *d, uint32_t index)
{
    return d->in_ctx + (uint64_t)index * xd.ctx_bytes;
}

/* Output device context: the slot at 0, DCI i at i contexts [6.2.1]. */
static inline uint32_t xd_out_dw(const struct xd_dev *d, uint32_t dci, uint32_t dw)
{
    return xd_rd32(d->out_ctx + (uint64_t)dci * xd.ctx_bytes + 4u * dw);
}

static inline uint32_t xd_out_slot_state(const struct xd_dev *d)
{
    return (xd_out_dw(d, 0, 3) & XHCI_SLOT_DW3_STATE_MASK) >> XHCI_SLOT_DW3_STATE_SHIFT;
}

static inline uint32_t xd_out_address(const struct xd_dev *d)
{
    return xd_out_dw(d, 0, 3) & XHCI_SLOT_DW3_ADDRESS_MASK;
}

static inline uint32_t xd_out_ep_state(const struct xd_dev *d, uint32_t dci)
{
    return xd_out_dw(d, dci, 0) & XHCI_EP_DW0_STATE_MASK;
}

/* The TR dequeue pointer with DCS in bit 0, as the output context says. */
static inline uint64_t xd_out_ep_deq(const struct xd_dev *d, uint32_t dci)
{
    return (uint64_t)xd_out_dw(d, dci, 2) | (uint64_t)xd_out_dw(d, dci, 3) << 32;
}

static inline uint32_t xd_ep0_mps(uint32_t speed)
{
    switch (speed) {
    case XHCI_SPEED_LOW:
    case XHCI_SPEED_FULL: return 8;
    case XHCI_SPEED_HIGH: return 64;
    default: return 512;
    }
}

/* Input slot context: speed, root port, Context Entries. */
static inline void xd_in_slot(struct xd_dev *d, uint32_t entries)
{
    uint64_t s = xd_in_at(d, 1);
    xd_wr32(s, d->speed << XHCI_SLOT_DW0_SPEED_SHIFT | entries << XHCI_SLOT_DW0_CTX_ENTRIES_SHIFT);
    xd_wr32(s + 4, d->port << XHCI_SLOT_DW1_ROOT_PORT_SHIFT);
}

/* Input endpoint context for `dci` from d->ep[dci], dequeuing at its
 * ring's enqueue position [6.2.3]. */
static inline void xd_in_ep(struct xd_dev *d, uint32_t dci, uint32_t cerr)
{
    const struct xd_ep *e = &d->ep[dci];
    uint64_t c = xd_in_at(d, dci + 1);
    bool periodic = e->type == XHCI_EP_TYPE_INTERRUPT_IN || e->type == XHCI_EP_TYPE_INTERRUPT_OUT;
    uint32_t esit = periodic ? e->mps * (e->burst + 1u) : 0;
    xd_wr32(c, e->interval << XHCI_EP_DW0_INTERVAL_SHIFT);
    xd_wr32(c + 4, cerr << XHCI_EP_DW1_CERR_SHIFT | e->type << XHCI_EP_DW1_TYPE_SHIFT |
                       e->burst << XHCI_EP_DW1_MAX_BURST_SHIFT | e->mps << XHCI_EP_DW1_MAX_PACKET_SHIFT);
    xd_wr64(c + 8, xd_ring_enq(&e->ring));
    xd_wr32(c + 16, (periodic ? esit : 3072u) | esit << XHCI_EP_DW4_MAX_ESIT_LO_SHIFT);
}

static inline void xd_in_clear(struct xd_dev *d)
{
    memset(xt_host(d->in_ctx, (uint64_t)XHCI_INPUT_CTX_ENTRIES * xd.ctx_bytes), 0,
           (uint64_t)XHCI_INPUT_CTX_ENTRIES * xd.ctx_bytes);
}

static inline void xd_in_flags(struct xd_dev *d, uint32_t drop, uint32_t add)
{
    xd_wr32(d->in_ctx + 4u * XHCI_ICC_DW_DROP, drop);
    xd_wr32(d->in_ctx + 4u * XHCI_ICC_DW_ADD, add);
}

/* ---- a device: slot, address, control transfers [4.3.2 - 4.3.5] ------------------------------ */

static inline void xd_dev_init(struct xd_dev *d, uint32_t port)
{
    memset(d, 0, sizeof *d);
    d->port = port;
    d->ring_trbs = XD_RING_TRBS;
    d->in_ctx = xd_alloc((uint64_t)XHCI_INPUT_CTX_ENTRIES * xd.ctx_bytes, 64);
    d->out_ctx = xd_alloc((uint64_t)XHCI_DEVICE_CTX_ENTRIES * xd.ctx_bytes, 64);
    d->buf = xd_alloc(XD_CTL_BUF_BYTES, 64);
}

static inline uint32_t xd_enable_slot(struct xd_dev *d)
{
    struct xd_event ev;
    uint32_t cc = xd_cmd_ev(0, 0, XD_TRB_TYPE(XHCI_TRB_TYPE_ENABLE_SLOT), &ev);
    if (cc == XHCI_CC_SUCCESS) {
        d->slot = xd_ev_slot(&ev);
        xd_wr64(xd.dcbaa + 8ull * d->slot, d->out_ctx);
    }
    return cc;
}

/* Address Device [4.6.5] with BSR as given: slot and EP0 contexts (EP0's
 * ring made on first use; its dequeue pointer is where the ring is now). */
static inline uint32_t xd_address(struct xd_dev *d, bool bsr)
{
    struct xd_ep *ep0 = &d->ep[XHCI_DCI_EP0];
    if (ep0->ring.base == 0)
        xd_ring_init(&ep0->ring, d->ring_trbs);
    if (ep0->mps == 0)
        ep0->mps = xd_ep0_mps(d->speed);
    ep0->type = XHCI_EP_TYPE_CONTROL;
    xd_in_clear(d);
    xd_in_flags(d, 0, 0x3);
    xd_in_slot(d, 1);
    xd_in_ep(d, XHCI_DCI_EP0, 3);
    return xd_cmd_slot(XHCI_TRB_TYPE_ADDRESS_DEVICE, d->slot, 0, d->in_ctx, bsr ? XHCI_TRB_BSR : 0);
}

static inline void xd_doorbell(const struct xd_dev *d, uint32_t dci)
{
    xt_ring_doorbell(d->slot, dci);
}

static inline bool xd_wait_xfer(const struct xd_dev *d, uint32_t dci, sim_time_ps timeout,
                                struct xd_event *ev)
{
    return xd_wait_event(XHCI_TRB_TYPE_TRANSFER_EVENT, d->slot, dci, XD_ANY, timeout, ev);
}

/* Queues a Setup [Data] Status TD on EP0 [4.11.2.2]; *status_trb gets the
 * Status TRB's address, *data_trb the Data TRB's (0 without one). */
static inline void xd_queue_control(struct xd_dev *d, uint8_t rt, uint8_t req, uint16_t value,
                                    uint16_t index, uint16_t length, uint64_t *data_trb,
                                    uint64_t *status_trb)
{
    struct xd_ring *r = &d->ep[XHCI_DCI_EP0].ring;
    bool in = (rt & USB_RT_DIR_IN) != 0;
    uint64_t setup = (uint64_t)rt | (uint64_t)req << 8 | (uint64_t)value << 16 |
                     (uint64_t)index << 32 | (uint64_t)length << 48;
    uint32_t trt = length == 0 ? XHCI_TRT_NO_DATA : in ? XHCI_TRT_IN_DATA : XHCI_TRT_OUT_DATA;
    xd_ring_put(r, setup, XHCI_SETUP_TRB_LENGTH,
                XD_TRB_TYPE(XHCI_TRB_TYPE_SETUP_STAGE) | XHCI_TRB_IDT | trt << XHCI_TRB_TRT_SHIFT);
    *data_trb = 0;
    if (length != 0)
        *data_trb = xd_ring_put(r, d->buf, length, XD_TRB_TYPE(XHCI_TRB_TYPE_DATA_STAGE) |
                                                     XHCI_TRB_ISP | (in ? XHCI_TRB_DIR_IN : 0));
    /* the status stage goes the other way; IN when there is no data [4.11.2.2] */
    bool status_in = length == 0 || !in;
    *status_trb = xd_ring_put(r, 0, 0, XD_TRB_TYPE(XHCI_TRB_TYPE_STATUS_STAGE) | XHCI_TRB_IOC |
                                           (status_in ? XHCI_TRB_DIR_IN : 0));
}

/* One control transfer on EP0 with d->buf as its data stage (OUT data
 * already there; IN data lands there). Returns the completion code of the
 * TD (Success, or the error that ended it); *got the data stage's bytes. */
static inline uint32_t xd_control(struct xd_dev *d, uint8_t rt, uint8_t req, uint16_t value,
                                  uint16_t index, uint16_t length, uint32_t *got)
{
    cr_assert_leq(length, XD_CTL_BUF_BYTES);
    uint64_t data_trb, status_trb;
    xd_queue_control(d, rt, req, value, index, length, &data_trb, &status_trb);
    xd_doorbell(d, XHCI_DCI_EP0);
    uint32_t n = length;
    for (;;) {
        struct xd_event ev;
        if (!xd_wait_xfer(d, XHCI_DCI_EP0, XD_TIMEOUT, &ev))
            return XHCI_CC_INVALID;
        uint32_t cc = xd_ev_cc(&ev);
        if (ev.param == data_trb && cc == XHCI_CC_SHORT_PACKET) {
            n = length - xd_ev_len(&ev);
            continue; /* the status stage's event follows */
        }
        if (got != NULL)
            *got = cc == XHCI_CC_SUCCESS ? n : 0;
        return cc;
    }
}

static inline uint32_t xd_get_descriptor(struct xd_dev *d, uint8_t type, uint8_t index,
                                         uint16_t length, uint32_t *got)
{
    return xd_control(d, USB_RT_DIR_IN, USB_REQ_GET_DESCRIPTOR,
                      (uint16_t)(type << USB_DESC_TYPE_SHIFT | index), 0, length, got);
}

/* ---- endpoints: Configure Endpoint [4.3.5, 4.6.6] --------------------------------------------- */

/* The endpoint context Interval for a descriptor's bInterval [6.2.3.6]:
 * an exponent of 125 us; full/low-speed interrupt intervals are frames. */
static inline uint32_t xd_interval(uint32_t speed, uint8_t xfer, uint8_t binterval)
{
    if (xfer != USB_EP_XFER_INTERRUPT || binterval == 0)
        return 0;
    if (speed == XHCI_SPEED_FULL || speed == XHCI_SPEED_LOW) {
        uint32_t e = 3; /* 1 frame = 8 microframes */
        while ((1u << (e + 1)) <= 8u * binterval && e < 10)
            e++;
        return e;
    }
    return binterval - 1u;
}

/* Fills d->ep[] from the configuration descriptor (alternate setting 0). */
static inline void xd_parse_config(struct xd_dev *d)
{
    struct usb_desc_iter it;
    struct usb_desc_ref ref;
    uint32_t last_dci = 0;
    bool alt0 = false;
    usb_desc_iter_init(&it, d->cfg, d->cfg_len);
    while (usb_desc_iter_next(&it, &ref)) {
        const uint8_t *b = d->cfg + ref.off;
        if (ref.type == USB_DT_INTERFACE && ref.len >= USB_DT_INTERFACE_BYTES)
            alt0 = b[USB_IF_ALTERNATE] == 0;
        if (ref.type == USB_DT_ENDPOINT && ref.len >= USB_DT_ENDPOINT_BYTES && alt0) {
            uint8_t a = b[USB_EP_ADDRESS], xfer = b[USB_EP_ATTRIBUTES] & USB_EP_XFER_MASK;
            bool in = (a & USB_EP_ADDR_DIR_IN) != 0;
            last_dci = 2u * (a & USB_EP_ADDR_NUMBER_MASK) + (in ? 1u : 0u);
            struct xd_ep *e = &d->ep[last_dci];
            e->type = xfer == USB_EP_XFER_BULK ? (in ? XHCI_EP_TYPE_BULK_IN : XHCI_EP_TYPE_BULK_OUT)
                                               : (in ? XHCI_EP_TYPE_INTERRUPT_IN : XHCI_EP_TYPE_INTERRUPT_OUT);
            e->mps = usb_le16(b + USB_EP_MAX_PACKET) & USB_EP_MPS_SIZE_MASK;
            e->interval = xd_interval(d->speed, xfer, b[USB_EP_INTERVAL]);
            e->burst = 0;
        }
        if (ref.type == USB_DT_SS_EP_COMPANION && ref.len >= USB_DT_SS_EP_COMPANION_BYTES &&
            alt0 && last_dci != 0)
            d->ep[last_dci].burst = b[USB_SSC_MAX_BURST];
    }
}

/* Configure Endpoint adding the parsed endpoints whose DCI bit is in
 * `mask`, each on a fresh ring, with CErr `cerr`. */
static inline uint32_t xd_configure(struct xd_dev *d, uint32_t mask, uint32_t cerr)
{
    uint32_t add = 1u, last = 1;
    xd_in_clear(d);
    for (uint32_t dci = 2; dci <= XHCI_DCI_MAX; dci++) {
        if (d->ep[dci].type == 0 || !(mask & 1u << dci))
            continue;
        xd_ring_init(&d->ep[dci].ring, d->ring_trbs);
        xd_in_ep(d, dci, cerr);
        add |= 1u << dci;
        last = dci;
    }
    xd_in_flags(d, 0, add);
    xd_in_slot(d, last);
    return xd_cmd_slot(XHCI_TRB_TYPE_CONFIGURE_EP, d->slot, 0, d->in_ctx, 0);
}

/* ---- enumeration ---------------------------------------------------------------------------- */

/* Waits for a connection on d->port, resets a USB 2 port (a USB 3 one is
 * enabled by link training), and takes the port's speed [4.3]. */
static inline void xd_port_up(struct xd_dev *d)
{
    cr_assert(xd_wait_port(d->port, XHCI_PORTSC_CCS, XHCI_PORTSC_CCS, XD_TIMEOUT),
              "port %u: nothing connects", d->port);
    xd_run_for(XD_ATTACH_DEBOUNCE);
    xd_port_ack(d->port);
    uint32_t sc = xt_portsc(d->port);
    if (!(sc & XHCI_PORTSC_PED))
        sc = xd_port_reset(d->port);
    cr_assert(sc & XHCI_PORTSC_PED, "port %u not enabled: 0x%08x", d->port, sc);
    d->speed = (sc & XHCI_PORTSC_SPEED_MASK) >> XHCI_PORTSC_SPEED_SHIFT;
}

/* Device and configuration descriptors into d, the configuration set. */
static inline void xd_describe_and_configure(struct xd_dev *d, uint32_t cerr)
{
    uint32_t got = 0;
    cr_assert_eq(xd_get_descriptor(d, USB_DT_DEVICE, 0, USB_DT_DEVICE_BYTES, &got), XHCI_CC_SUCCESS);
    cr_assert_eq(got, USB_DT_DEVICE_BYTES);
    memcpy(d->dev_desc, xt_host(d->buf, got), got);
    cr_assert_eq(xd_get_descriptor(d, USB_DT_CONFIG, 0, USB_DT_CONFIG_BYTES, &got), XHCI_CC_SUCCESS);
    uint16_t total = usb_le16(xt_host(d->buf + USB_CFG_TOTAL_LENGTH, 2));
    cr_assert_leq(total, sizeof d->cfg);
    cr_assert_eq(xd_get_descriptor(d, USB_DT_CONFIG, 0, total, &got), XHCI_CC_SUCCESS);
    d->cfg_len = got;
    memcpy(d->cfg, xt_host(d->buf, got), got);
    uint8_t value = d->cfg[USB_CFG_VALUE];
    cr_assert_eq(xd_control(d, 0, USB_REQ_SET_CONFIGURATION, value, 0, 0, NULL), XHCI_CC_SUCCESS);
    xd_parse_config(d);
    cr_assert_eq(xd_configure(d, ~0u, cerr), XHCI_CC_SUCCESS);
}

/* The whole of it for a device already plugged into `port`. At full speed
 * EP0's max packet size is learnt from the first 8 bytes of the device
 * descriptor and given to the controller with Evaluate Context [4.6.7]. */
static inline void xd_enumerate(struct xd_dev *d, uint32_t port)
{
    xd_dev_init(d, port);
    xd_port_up(d);
    cr_assert_eq(xd_enable_slot(d), XHCI_CC_SUCCESS);
    cr_assert_eq(xd_address(d, false), XHCI_CC_SUCCESS);
    if (d->speed == XHCI_SPEED_FULL) {
        uint32_t got = 0;
        cr_assert_eq(xd_get_descriptor(d, USB_DT_DEVICE, 0, 8, &got), XHCI_CC_SUCCESS);
        uint32_t mps0 = *(uint8_t *)xt_host(d->buf + USB_DEV_MAX_PACKET0, 1);
        if (mps0 != d->ep[XHCI_DCI_EP0].mps) {
            d->ep[XHCI_DCI_EP0].mps = mps0;
            xd_in_clear(d);
            xd_in_flags(d, 0, 0x2);
            xd_in_ep(d, XHCI_DCI_EP0, 3);
            cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_EVALUATE_CTX, d->slot, 0, d->in_ctx, 0),
                         XHCI_CC_SUCCESS);
        }
    }
    xd_describe_and_configure(d, 3);
}

/* Gadget zero at `speed` in `mode`, owned by the driver (xd_teardown). */
static inline struct usb_zero *xd_zero_cfg(const struct usb_zero_config *c)
{
    cr_assert_lt(xd.zeros_n, XD_ZEROS_MAX);
    struct usb_zero *z;
    cr_assert_eq(usb_zero_create(c, &z), IOSIM_OK);
    xd.zeros[xd.zeros_n++] = z;
    return z;
}

static inline struct usb_zero *xd_zero(enum usb_speed speed, enum usb_zero_mode mode)
{
    struct usb_zero_config c;
    usb_zero_config_default(&c);
    c.speed = speed;
    c.mode = mode;
    return xd_zero_cfg(&c);
}

static inline void xd_plug_and_enumerate(struct xd_dev *d, struct usb_zero *z, uint32_t port)
{
    cr_assert_eq(xhci_usb_attach(xt_x, port, usb_zero_dev(z)), IOSIM_OK);
    xd_enumerate(d, port);
}

/* ---- transfers: Normal TRB TDs [4.11.2.1, 4.11.7.1] ---------------------------------------------- */

/* Queues a TD of Normal TRBs for `len` bytes at `pa`, one TRB per piece
 * that does not cross a 64 KiB boundary [6.4.1.1], chained, TD Size the
 * packets left after each piece (at most 31) [4.11.2.4]. A zero-length TD
 * is one TRB of length 0. With XD_IDT the (at most 8) bytes at pa go in
 * the TRB's parameter [4.11.7.1]. */
static inline void xd_queue_td(struct xd_dev *d, uint32_t dci, uint64_t pa, uint32_t len, uint32_t flags,
                               struct xd_td *td)
{
    struct xd_ep *e = &d->ep[dci];
    cr_assert_neq(e->ring.base, 0, "DCI %u has no ring", dci);
    if (flags & XD_IDT) {
        cr_assert_leq(len, XHCI_TRB_IDT_MAX_BYTES);
        uint64_t data = 0;
        const uint8_t *b = xt_host(pa, len);
        for (uint32_t i = 0; i < len; i++)
            data |= (uint64_t)b[i] << (8 * i);
        uint32_t c = XD_TRB_TYPE(XHCI_TRB_TYPE_NORMAL) | XHCI_TRB_IDT | ((flags & XD_IOC) ? XHCI_TRB_IOC : 0);
        td->n = 1;
        td->len[0] = len;
        td->addr[0] = xd_ring_put(&e->ring, data, len, c);
        return;
    }
    uint32_t mps = e->mps != 0 ? e->mps : 512u, left = len;
    td->n = 0;
    do {
        uint32_t piece = XHCI_TRB_BOUNDARY_BYTES - (uint32_t)(pa & (XHCI_TRB_BOUNDARY_BYTES - 1u));
        piece = left < piece ? left : piece;
        left -= piece;
        uint32_t td_size = (left + mps - 1u) / mps;
        td_size = td_size > XHCI_TRB_TD_SIZE_MAX ? XHCI_TRB_TD_SIZE_MAX : td_size;
        bool last = left == 0;
        uint32_t c = XD_TRB_TYPE(XHCI_TRB_TYPE_NORMAL) | (last ? 0 : XHCI_TRB_CH) |
                     ((flags & XD_ISP) ? XHCI_TRB_ISP : 0) |
                     (((last && (flags & XD_IOC)) || (flags & XD_IOC_EACH)) ? XHCI_TRB_IOC : 0) |
                     ((last && (flags & XD_BEI)) ? XHCI_TRB_BEI : 0);
        cr_assert_lt(td->n, XD_TD_TRBS_MAX);
        td->len[td->n] = piece;
        td->addr[td->n++] = xd_ring_put(&e->ring, pa, piece | td_size << XHCI_TRB_TD_SIZE_SHIFT, c);
        pa += piece;
    } while (left != 0);
}

/* Bytes a TD moved, from the event that ended it. */
static inline uint32_t xd_td_bytes(const struct xd_td *td, const struct xd_event *ev)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < td->n; i++) {
        if (td->addr[i] == ev->param)
            return sum + td->len[i] - xd_ev_len(ev);
        sum += td->len[i];
    }
    cr_assert_fail("the event points at no TRB of the TD");
    return 0;
}

/* Queue, ring, wait: one bulk/interrupt TD with IOC and ISP; returns the
 * event's completion code, *got the bytes moved. */
static inline uint32_t xd_transfer(struct xd_dev *d, uint32_t dci, uint64_t pa, uint32_t len, uint32_t *got,
                                   struct xd_event *out)
{
    struct xd_td td;
    struct xd_event ev;
    xd_queue_td(d, dci, pa, len, XD_IOC | XD_ISP, &td);
    xd_doorbell(d, dci);
    cr_assert(xd_wait_xfer(d, dci, XD_TIMEOUT, &ev), "no event for DCI %u", dci);
    if (got != NULL)
        *got = xd_td_bytes(&td, &ev);
    if (out != NULL)
        *out = ev;
    return xd_ev_cc(&ev);
}

/* Puts a raw TRB on an endpoint's ring (the test builds its fields). */
static inline uint64_t xd_put(struct xd_dev *d, uint32_t dci, uint64_t param, uint32_t status,
                              uint32_t control)
{
    return xd_ring_put(&d->ep[dci].ring, param, status, control);
}

/* Set TR Dequeue Pointer to where the endpoint's ring is now (everything
 * queued and not done is skipped) [4.6.10]. */
static inline uint32_t xd_set_deq_here(struct xd_dev *d, uint32_t dci)
{
    return xd_cmd_slot(XHCI_TRB_TYPE_SET_TR_DEQUEUE, d->slot, dci, xd_ring_enq(&d->ep[dci].ring), 0);
}

/* Clears a halt on the device's side: CLEAR_FEATURE(ENDPOINT_HALT). */
static inline uint32_t xd_clear_halt(struct xd_dev *d, uint8_t ep_addr)
{
    return xd_control(d, USB_RT_RECIPIENT_ENDPOINT, USB_REQ_CLEAR_FEATURE, USB_FEATURE_ENDPOINT_HALT,
                      ep_addr, 0, NULL);
}

/* Checks that n bytes at pa are the gadget-zero pattern from stream
 * position `from`. */
static inline void xd_expect_pattern(uint64_t pa, uint32_t n, uint64_t from)
{
    const uint8_t *b = xt_host(pa, n);
    for (uint32_t i = 0; i < n; i++)
        cr_assert_eq(b[i], usb_zero_pattern(from + i), "byte %u of the stream at %llu: %u", i,
                     (unsigned long long)from, b[i]);
}

/* ---- shared by the test files ------------------------------------------------------------------- */

/* The profiles every test runs on: the same driver for both. */
#define XD_PROFILES 2u
static inline const char *xd_profile_name(uint32_t i)
{
    return i == 0 ? "qemu" : "ti-tusb7340";
}

/* Runs body once per profile, each on a controller brought up with a
 * two-segment event ring and torn down after. */
static inline void xd_each_profile(void (*body)(const char *profile))
{
    for (uint32_t i = 0; i < XD_PROFILES; i++) {
        xd_setup_named(xd_profile_name(i), 2);
        body(xd_profile_name(i));
        xd_teardown();
    }
}

/* Gadget zero at `speed` in `mode`, plugged into the first port of that
 * speed and enumerated into *d. */
static inline struct usb_zero *xd_up(struct xd_dev *d, enum usb_speed speed, enum usb_zero_mode mode)
{
    struct usb_zero *z = xd_zero(speed, mode);
    xd_plug_and_enumerate(d, z, xd_port_for(speed, 0));
    return z;
}

#endif /* IOSIM_TESTS_XT_DRIVER_H */
