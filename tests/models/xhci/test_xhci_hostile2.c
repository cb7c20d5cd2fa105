/*
 * models/xhci against a hostile driver on the transfer side and the slot
 * commands (test_xhci_rings.c has the command and event rings' own
 * hostile tests): rings that loop through Link TRBs without end, rings
 * and buffers outside memory, wrong cycle bits, garbage input contexts,
 * and a seeded generator of random TRBs, contexts, commands, doorbells
 * and register writes over many seeds. The model must never crash, never
 * touch memory it does not own (the sanitizer build checks), never spin
 * without simulated time moving (xt_driver.h's step bound), and answer
 * with the spec's errors: TRB Error, Parameter Error, Context State
 * Error, Host System Error.
 */
#include "tests/models/xhci/xt_driver.h"

TestSuite(xhci_hostile2, .fini = xd_teardown);

static const char *const profiles[] = {"qemu", "ti-tusb7340"};
#define PROFILES (sizeof profiles / sizeof profiles[0])
#define NORMAL XD_TRB_TYPE(XHCI_TRB_TYPE_NORMAL)
#define NOOP XD_TRB_TYPE(XHCI_TRB_TYPE_NOOP)
#define LINK XD_TRB_TYPE(XHCI_TRB_TYPE_LINK)

/* ---- loops of TRBs that never end ---------------------------------------------------------------- */

/* A transfer ring of No Ops with IOC closed by a Link back to its start
 * without Toggle Cycle: every TRB stays valid, for ever. A controller
 * goes round and round; the model must do so in simulated time. */
static void noop_loop(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t ring = xd_alloc(64, 64);
    xt_put_trb(ring, 0, 0, NOOP | XHCI_TRB_IOC | XHCI_TRB_C);
    xt_put_trb(ring + 16, 0, 0, NOOP | XHCI_TRB_C);
    xt_put_trb(ring + 32, ring, 0, LINK | XHCI_TRB_C);
    cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_STOP_EP, d.slot, XD_DCI_BULK_IN, 0, 0), XHCI_CC_SUCCESS);
    cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_SET_TR_DEQUEUE, d.slot, XD_DCI_BULK_IN, ring | 1u, 0),
                 XHCI_CC_SUCCESS);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    xd_run_for(10 * SIM_MS);
    cr_log_info("%s: %llu events from a ring of No Ops in 10 ms", profile,
                (unsigned long long)xd.events_seen);
    cr_expect_eq(xd_cmd_slot(XHCI_TRB_TYPE_STOP_EP, d.slot, XD_DCI_BULK_IN, 0, 0), XHCI_CC_SUCCESS,
                 "%s: the endpoint can still be stopped", profile);
}

Test(xhci_hostile2, a_transfer_ring_looping_through_a_link_runs_in_simulated_time)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        noop_loop(profiles[p]);
        xd_teardown();
    }
}

/* The same on the command ring: No Op commands and a Link back. */
static void command_loop(const char *profile)
{
    uint64_t ring = xd.cmd.base;
    xt_put_trb(ring, 0, 0, XD_TRB_TYPE(XHCI_TRB_TYPE_NOOP_CMD) | XHCI_TRB_C);
    xt_put_trb(ring + 16, ring, 0, LINK | XHCI_TRB_C);
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xd_run_for(10 * SIM_MS);
    cr_log_info("%s: %llu commands from a looping command ring in 10 ms", profile,
                (unsigned long long)xhci_stats(xt_x)->commands);
}

Test(xhci_hostile2, a_command_ring_looping_through_a_link_runs_in_simulated_time)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        command_loop(profiles[p]);
        xd_teardown();
    }
}

/* ---- memory that is not there --------------------------------------------------------------------- */

#define NOWHERE 0x00007ff000000000ull /* far past the machine's memory */

static bool halted_with_hse(void)
{
    uint32_t sts = xt_op(XHCI_OP_USBSTS);
    return (sts & XHCI_USBSTS_HSE) && (sts & XHCI_USBSTS_HCH);
}

/* What does each unreachable address do? A fresh controller per case. */
enum nowhere { NW_RING, NW_IN_BUFFER, NW_OUT_BUFFER, NW_INPUT_CTX, NW_DCBAA_ENTRY, NW_EP0_RING, NW_COUNT };

static const char *const nowhere_names[NW_COUNT] = {
    "a transfer ring", "an IN buffer", "an OUT buffer", "an input context", "an output context",
    "EP0's ring",
};

static void nowhere_case(const char *profile, enum nowhere w)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t hse0 = xhci_stats(xt_x)->host_system_errors;
    switch (w) {
    case NW_RING:
        cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_STOP_EP, d.slot, XD_DCI_BULK_IN, 0, 0), XHCI_CC_SUCCESS);
        cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_SET_TR_DEQUEUE, d.slot, XD_DCI_BULK_IN, NOWHERE | 1u, 0),
                     XHCI_CC_SUCCESS, "the pointer is the driver's business until it is used");
        xd_doorbell(&d, XD_DCI_BULK_IN);
        break;
    case NW_IN_BUFFER:
    case NW_OUT_BUFFER: {
        uint32_t dci = w == NW_IN_BUFFER ? XD_DCI_BULK_IN : XD_DCI_BULK_OUT;
        (void)xd_put(&d, dci, NOWHERE, 512, NORMAL | XHCI_TRB_IOC);
        xd_doorbell(&d, dci);
        break;
    }
    case NW_INPUT_CTX: /* and a No Op behind it, which a halted controller never runs */
        (void)xd_ring_put(&xd.cmd, NOWHERE, 0, XD_TRB_TYPE(XHCI_TRB_TYPE_EVALUATE_CTX) |
                                               d.slot << XHCI_TRB_SLOT_ID_SHIFT);
        (void)xd_ring_put(&xd.cmd, 0, 0, XD_TRB_TYPE(XHCI_TRB_TYPE_NOOP_CMD));
        xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
        break;
    case NW_DCBAA_ENTRY:
        xd_wr64(xd.dcbaa + 8ull * d.slot, NOWHERE);
        (void)xd_ring_put(&xd.cmd, 0, 0, XD_TRB_TYPE(XHCI_TRB_TYPE_RESET_DEVICE) |
                                         d.slot << XHCI_TRB_SLOT_ID_SHIFT);
        xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
        break;
    case NW_EP0_RING:
        (void)xd_ring_put(&d.ep[XHCI_DCI_EP0].ring, NOWHERE, 0, LINK);
        xd_doorbell(&d, XHCI_DCI_EP0);
        break;
    case NW_COUNT: break;
    }
    xd_run_for(5 * SIM_MS);
    if (w == NW_DCBAA_ENTRY) {
        /* the output context was read at Address Device: writing it back fails now, or not at all */
        cr_expect(halted_with_hse() || xd_count(XHCI_TRB_TYPE_CMD_COMPLETION, XD_ANY, XD_ANY) == 1,
                  "%s: %s", profile, nowhere_names[w]);
        return;
    }
    cr_expect(halted_with_hse(), "%s: %s outside memory: Host System Error, halted (USBSTS 0x%x)", profile,
              nowhere_names[w], xt_op(XHCI_OP_USBSTS));
    cr_expect_eq(xhci_stats(xt_x)->host_system_errors, hse0 + 1, "%s: %s", profile, nowhere_names[w]);
    cr_expect_eq(xd_count(XHCI_TRB_TYPE_CMD_COMPLETION, XD_ANY, XD_ANY), 0,
                 "%s: %s: a halted controller completes no command", profile, nowhere_names[w]);
}

Test(xhci_hostile2, memory_that_is_not_there_is_a_host_system_error)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        for (uint32_t w = 0; w < NW_COUNT; w++) {
            xd_setup_named(profiles[p], 1);
            nowhere_case(profiles[p], (enum nowhere)w);
            xd_teardown();
        }
    }
}

/* ---- cycle bits, links, doorbells ----------------------------------------------------------------- */

static void wrong_cycle(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t buf = xd_alloc(512, 64);
    struct xd_ring *r = &d.ep[XD_DCI_BULK_IN].ring;
    uint64_t at = r->base + 16ull * r->idx;
    xt_put_trb(at, buf, 512, NORMAL | XHCI_TRB_IOC | (r->pcs ? 0 : XHCI_TRB_C)); /* not yet produced */
    xd_doorbell(&d, XD_DCI_BULK_IN);
    xd_run_for(2 * SIM_MS);
    cr_expect_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_IN), 0,
                 "%s: a TRB with the other cycle bit is not the controller's", profile);
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), XHCI_EP_STATE_RUNNING);
    uint32_t got = 0;
    cr_expect_eq(xd_transfer(&d, XD_DCI_BULK_IN, buf, 512, &got, NULL), XHCI_CC_SUCCESS,
                 "%s: written properly, it runs", profile);
}

Test(xhci_hostile2, trbs_with_the_wrong_cycle_bit_are_not_run)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        wrong_cycle(profiles[p]);
        xd_teardown();
    }
}

static void link_to_link(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t ring = xd_alloc(64, 64);
    xt_put_trb(ring, ring + 16, 0, LINK | XHCI_TRB_C);
    xt_put_trb(ring + 16, ring, 0, LINK | XHCI_TRB_TC | XHCI_TRB_C);
    cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_STOP_EP, d.slot, XD_DCI_BULK_IN, 0, 0), XHCI_CC_SUCCESS);
    cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_SET_TR_DEQUEUE, d.slot, XD_DCI_BULK_IN, ring | 1u, 0),
                 XHCI_CC_SUCCESS);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    xd_run_for(2 * SIM_MS);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    xd_run_for(2 * SIM_MS);
    cr_expect_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, XD_ANY, XD_ANY), 0, "%s", profile);
    cr_expect(!(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HSE), "%s: a driver bug, not a system error", profile);
    cr_expect_eq(xd_cmd_slot(XHCI_TRB_TYPE_STOP_EP, d.slot, XD_DCI_BULK_IN, 0, 0), XHCI_CC_SUCCESS);
}

Test(xhci_hostile2, a_ring_of_nothing_but_link_trbs_goes_nowhere)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        link_to_link(profiles[p]);
        xd_teardown();
    }
}

static void odd_doorbells(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t buf = xd_alloc(512, 64);
    struct xd_td td;
    xd_queue_td(&d, XD_DCI_BULK_IN, buf, 512, XD_IOC, &td);
    xt_ring_doorbell(d.slot, 0);                                   /* target 0: reserved */
    xt_ring_doorbell(d.slot, 32);                                  /* past DCI 31 */
    xt_ring_doorbell(d.slot, XD_DCI_BULK_IN | 5u << XHCI_DB_STREAM_ID_SHIFT); /* a stream */
    xt_ring_doorbell(d.slot + 1, XD_DCI_BULK_IN);                  /* a disabled slot */
    xt_ring_doorbell(0, XD_DCI_BULK_IN);                           /* the command doorbell, wrong target */
    xt_wr(xt_profile.dboff + XHCI_DB_BYTES * (xt_profile.max_slots + 1u), XD_DCI_BULK_IN); /* past the array */
    xd_run_for(2 * SIM_MS);
    cr_expect_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, XD_ANY, XD_ANY), 0, "%s: all ignored", profile);
    cr_expect_eq(xd_count(XHCI_TRB_TYPE_CMD_COMPLETION, XD_ANY, XD_ANY), 0);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    struct xd_event ev;
    cr_expect(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "%s: the right doorbell still works", profile);
}

Test(xhci_hostile2, doorbells_for_no_endpoint_are_ignored)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        odd_doorbells(profiles[p]);
        xd_teardown();
    }
}

/* Control TDs that are not: a Setup without IDT, a Data or Status stage
 * with no Setup before it, a data stage longer than the model gathers. */
static void bad_control(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t buf = xd_alloc(0x10000, 0x10000);
    const uint64_t get_dev = 0x0012000001000680ull; /* GET_DESCRIPTOR(DEVICE), 18 bytes */
    struct { const char *what; uint32_t n; } cases[] = {
        {"a Setup TRB without IDT", 0}, {"a Data Stage without a Setup", 1},
        {"a Status Stage without a Setup", 2}, {"a Setup of length 7", 3}, {"40 data TRBs", 4},
    };
    for (uint32_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint64_t bad = 0;
        switch (cases[k].n) {
        case 0:
            bad = xd_put(&d, XHCI_DCI_EP0, get_dev, 8, XD_TRB_TYPE(XHCI_TRB_TYPE_SETUP_STAGE) |
                                                          XHCI_TRT_IN_DATA << XHCI_TRB_TRT_SHIFT);
            break;
        case 1: bad = xd_put(&d, XHCI_DCI_EP0, buf, 18, XD_TRB_TYPE(XHCI_TRB_TYPE_DATA_STAGE) | XHCI_TRB_DIR_IN); break;
        case 2: bad = xd_put(&d, XHCI_DCI_EP0, 0, 0, XD_TRB_TYPE(XHCI_TRB_TYPE_STATUS_STAGE) | XHCI_TRB_IOC); break;
        case 3:
            bad = xd_put(&d, XHCI_DCI_EP0, get_dev, 7, XD_TRB_TYPE(XHCI_TRB_TYPE_SETUP_STAGE) | XHCI_TRB_IDT |
                                                          XHCI_TRT_IN_DATA << XHCI_TRB_TRT_SHIFT);
            break;
        case 4:
            (void)xd_put(&d, XHCI_DCI_EP0, get_dev, 8, XD_TRB_TYPE(XHCI_TRB_TYPE_SETUP_STAGE) | XHCI_TRB_IDT |
                                                          XHCI_TRT_IN_DATA << XHCI_TRB_TRT_SHIFT);
            (void)xd_put(&d, XHCI_DCI_EP0, buf, 1, XD_TRB_TYPE(XHCI_TRB_TYPE_DATA_STAGE) | XHCI_TRB_DIR_IN | XHCI_TRB_CH);
            for (uint32_t i = 0; i < 40; i++)
                bad = xd_put(&d, XHCI_DCI_EP0, buf + i, 1, NORMAL | XHCI_TRB_CH);
            break;
        }
        xd_doorbell(&d, XHCI_DCI_EP0);
        struct xd_event ev;
        cr_assert(xd_wait_xfer(&d, XHCI_DCI_EP0, XD_TIMEOUT, &ev), "%s: %s", profile, cases[k].what);
        cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_TRB_ERROR, "%s: %s: cc %u", profile, cases[k].what, xd_ev_cc(&ev));
        if (cases[k].n != 4)
            cr_expect_eq(ev.param, bad, "%s: %s: the event names it", profile, cases[k].what);
        cr_expect_eq(xd_out_ep_state(&d, XHCI_DCI_EP0), XHCI_EP_STATE_ERROR);
        cr_assert_eq(xd_set_deq_here(&d, XHCI_DCI_EP0), XHCI_CC_SUCCESS);
        uint32_t got = 0;
        cr_expect_eq(xd_get_descriptor(&d, USB_DT_DEVICE, 0, 18, &got), XHCI_CC_SUCCESS,
                     "%s: after %s EP0 works again", profile, cases[k].what);
    }
}

Test(xhci_hostile2, malformed_control_tds_are_trb_errors)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        bad_control(profiles[p]);
        xd_teardown();
    }
}

/* ---- a seeded hostile driver ------------------------------------------------------------------------ */

/* After an enumeration done properly, a driver gone wrong: random TRBs
 * on the endpoints' rings (any type, any flags, lengths and buffers in
 * memory, across 64 KiB, outside memory, the wrong cycle bit, Links to
 * anywhere), random doorbells, random commands on random slots with
 * garbage or half-valid input contexts, random register and PORTSC
 * writes, unplugs and re-plugs. Every event it gets must be one the
 * controller may write, and every command completion a code the spec
 * gives that command. */
struct hostile {
    struct sim_rng r;
    struct xd_dev d;
    struct usb_zero *z;
    bool plugged;
    uint64_t data;    /* 128 KiB of buffers, 64 KiB aligned */
    uint64_t seed;
    uint32_t commands, completions, transfer_events, resets;
};

static uint8_t ep_addr_of(uint32_t dci)
{
    return (uint8_t)((dci / 2u) | ((dci & 1u) ? USB_EP_ADDR_DIR_IN : 0u));
}

static uint64_t pick(struct hostile *h, const uint64_t *v, uint32_t n)
{
    return v[sim_rng_below(&h->r, n)];
}

static uint64_t any_pointer(struct hostile *h)
{
    switch (sim_rng_below(&h->r, 6)) {
    case 0: return h->data + sim_rng_below(&h->r, 0x20000);
    case 1: return h->data + 0xff00 + sim_rng_below(&h->r, 0x100); /* about to cross 64 KiB */
    case 2: return NOWHERE + sim_rng_below(&h->r, 0x1000) * 16;
    case 3: return 0;
    case 4: return h->d.ep[XD_DCI_BULK_IN].ring.base + 16 * sim_rng_below(&h->r, XD_RING_TRBS);
    default: return sim_rng_next(&h->r);
    }
}

static uint32_t any_length(struct hostile *h)
{
    static const uint64_t lengths[] = {0, 1, 8, 9, 512, 4096, 0xffff, 0x10000, 0x10001, 0x1ffff};
    return sim_rng_below(&h->r, 4) == 0 ? (uint32_t)sim_rng_below(&h->r, 0x20000)
                                        : (uint32_t)pick(h, lengths, 10);
}

/* One transfer TRB of any kind on an endpoint that has a ring. */
static void random_trb(struct hostile *h)
{
    static const uint64_t dcis[] = {XHCI_DCI_EP0, XD_DCI_BULK_OUT, XD_DCI_BULK_IN, XD_DCI_INTR_IN};
    static const uint64_t types[] = {
        XHCI_TRB_TYPE_NORMAL, XHCI_TRB_TYPE_NORMAL, XHCI_TRB_TYPE_NORMAL, XHCI_TRB_TYPE_SETUP_STAGE,
        XHCI_TRB_TYPE_DATA_STAGE, XHCI_TRB_TYPE_STATUS_STAGE, XHCI_TRB_TYPE_EVENT_DATA,
        XHCI_TRB_TYPE_NOOP, XHCI_TRB_TYPE_LINK, XHCI_TRB_TYPE_ISOCH,
    };
    uint32_t dci = (uint32_t)pick(h, dcis, 4);
    struct xd_ring *ring = &h->d.ep[dci].ring;
    if (ring->base == 0)
        return;
    uint32_t type = sim_rng_below(&h->r, 5) == 0 ? (uint32_t)sim_rng_below(&h->r, 64)
                                                 : (uint32_t)pick(h, types, 10);
    uint32_t control = XD_TRB_TYPE(type) | ((uint32_t)sim_rng_next(&h->r) & 0x3fffe & ~XHCI_TRB_TYPE_MASK);
    uint32_t status = any_length(h);
    if (sim_rng_chance(&h->r, 100))
        status |= (uint32_t)sim_rng_below(&h->r, 1024) << XHCI_TRB_INTR_TARGET_SHIFT;
    uint64_t at = xd_ring_put(ring, any_pointer(h), status, control);
    if (sim_rng_chance(&h->r, 100)) { /* the wrong cycle bit */
        uint8_t *c = xt_host(at + 12, 1);
        *c ^= XHCI_TRB_C;
    }
}

static void random_doorbell(struct hostile *h)
{
    if (sim_rng_chance(&h->r, 700)) {
        static const uint64_t targets[] = {XHCI_DCI_EP0, XD_DCI_BULK_OUT, XD_DCI_BULK_IN, XD_DCI_INTR_IN};
        uint32_t target = sim_rng_chance(&h->r, 800) ? (uint32_t)pick(h, targets, 4)
                                                     : (uint32_t)sim_rng_below(&h->r, 256);
        xt_ring_doorbell(h->d.slot, target);
        return;
    }
    uint32_t slot = (uint32_t)sim_rng_below(&h->r, xt_profile.max_slots + 2u);
    xt_ring_doorbell(slot, (uint32_t)sim_rng_next(&h->r));
}

/* An input context: random bytes, then, half the time, the fields a
 * controller checks first made plausible. */
static void random_input_context(struct hostile *h)
{
    struct xd_dev *d = &h->d;
    uint32_t bytes = XHCI_INPUT_CTX_ENTRIES * xd.ctx_bytes;
    uint8_t *b = xt_host(d->in_ctx, bytes);
    for (uint32_t i = 0; i < bytes; i++)
        b[i] = (uint8_t)sim_rng_next(&h->r);
    if (sim_rng_chance(&h->r, 500))
        return;
    xd_in_flags(d, sim_rng_chance(&h->r, 800) ? 0 : (uint32_t)sim_rng_next(&h->r),
                (uint32_t)sim_rng_below(&h->r, 64) | 1u);
    xd_in_slot(d, (uint32_t)sim_rng_below(&h->r, 32));
    for (uint32_t dci = 1; dci <= 5; dci++) {
        uint64_t c = xd_in_at(d, dci + 1);
        uint32_t type = (uint32_t)sim_rng_below(&h->r, 8);
        xd_wr32(c, (uint32_t)sim_rng_below(&h->r, 16) << XHCI_EP_DW0_INTERVAL_SHIFT);
        xd_wr32(c + 4, type << XHCI_EP_DW1_TYPE_SHIFT | 3u << XHCI_EP_DW1_CERR_SHIFT |
                           (uint32_t)sim_rng_below(&h->r, 1025) << XHCI_EP_DW1_MAX_PACKET_SHIFT);
        xd_wr64(c + 8, any_pointer(h) | 1u);
    }
}

/* The completion codes each command may end with, here (a register write
 * may also stop or abort the ring). */
static bool cc_allowed(uint32_t type, uint32_t cc)
{
    if (cc == XHCI_CC_CMD_RING_STOPPED || cc == XHCI_CC_CMD_ABORTED)
        return true;
    bool slot_cmd = cc == XHCI_CC_SUCCESS || cc == XHCI_CC_TRB_ERROR || cc == XHCI_CC_SLOT_NOT_ENABLED ||
                    cc == XHCI_CC_CONTEXT_STATE_ERROR;
    switch (type) {
    case XHCI_TRB_TYPE_NOOP_CMD: return cc == XHCI_CC_SUCCESS;
    case XHCI_TRB_TYPE_ENABLE_SLOT: return cc == XHCI_CC_SUCCESS || cc == XHCI_CC_NO_SLOTS_AVAILABLE;
    case XHCI_TRB_TYPE_DISABLE_SLOT:
    case XHCI_TRB_TYPE_RESET_DEVICE:
    case XHCI_TRB_TYPE_RESET_EP: return slot_cmd;
    case XHCI_TRB_TYPE_ADDRESS_DEVICE:
        return slot_cmd || cc == XHCI_CC_PARAMETER_ERROR || cc == XHCI_CC_USB_TRANSACTION_ERROR;
    case XHCI_TRB_TYPE_CONFIGURE_EP: return slot_cmd || cc == XHCI_CC_PARAMETER_ERROR || cc == XHCI_CC_RESOURCE_ERROR;
    case XHCI_TRB_TYPE_EVALUATE_CTX: return slot_cmd || cc == XHCI_CC_PARAMETER_ERROR;
    case XHCI_TRB_TYPE_STOP_EP: return slot_cmd || cc == XHCI_CC_EP_NOT_ENABLED;
    case XHCI_TRB_TYPE_SET_TR_DEQUEUE: return slot_cmd || cc == XHCI_CC_INVALID_STREAM_ID;
    default: return cc == XHCI_CC_TRB_ERROR;
    }
}

static void random_command(struct hostile *h)
{
    static const uint64_t types[] = {
        XHCI_TRB_TYPE_ENABLE_SLOT, XHCI_TRB_TYPE_DISABLE_SLOT, XHCI_TRB_TYPE_ADDRESS_DEVICE,
        XHCI_TRB_TYPE_CONFIGURE_EP, XHCI_TRB_TYPE_EVALUATE_CTX, XHCI_TRB_TYPE_RESET_EP,
        XHCI_TRB_TYPE_STOP_EP, XHCI_TRB_TYPE_SET_TR_DEQUEUE, XHCI_TRB_TYPE_RESET_DEVICE,
        XHCI_TRB_TYPE_NOOP_CMD,
    };
    static const uint64_t dcis[] = {XHCI_DCI_EP0, XD_DCI_BULK_OUT, XD_DCI_BULK_IN, XD_DCI_INTR_IN};
    uint32_t type = sim_rng_chance(&h->r, 750) ? (uint32_t)pick(h, types, 10) : (uint32_t)sim_rng_below(&h->r, 64);
    uint32_t slot = sim_rng_chance(&h->r, 700) ? h->d.slot : (uint32_t)sim_rng_below(&h->r, 256);
    uint32_t dci = sim_rng_chance(&h->r, 700) ? (uint32_t)pick(h, dcis, 4) : (uint32_t)sim_rng_below(&h->r, 32);
    uint64_t param = h->d.in_ctx;
    if (type == XHCI_TRB_TYPE_SET_TR_DEQUEUE)
        param = any_pointer(h) | sim_rng_below(&h->r, 2);
    else if (sim_rng_chance(&h->r, 150))
        param = any_pointer(h);
    else
        random_input_context(h);
    uint32_t control = XD_TRB_TYPE(type) | slot << XHCI_TRB_SLOT_ID_SHIFT | dci << XHCI_TRB_EP_ID_SHIFT |
                       ((uint32_t)sim_rng_next(&h->r) & (XHCI_TRB_BSR | XHCI_TRB_SP));
    uint32_t status = sim_rng_chance(&h->r, 100) ? (uint32_t)sim_rng_next(&h->r) : 0;
    uint64_t at = xd_ring_put(&xd.cmd, param, status, control);
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    h->commands++;
    struct xd_event ev;
    if (!xd_wait_event(XHCI_TRB_TYPE_CMD_COMPLETION, XD_ANY, XD_ANY, at, 5 * SIM_MS, &ev))
        return; /* halted, reset, or a ring the registers moved away */
    h->completions++;
    cr_assert(cc_allowed(type, xd_ev_cc(&ev)), "seed %llu: command type %u on slot %u: cc %u",
              (unsigned long long)h->seed, type, slot, xd_ev_cc(&ev));
}

/* A register of the controller's own blocks, any value. */
static void random_register(struct hostile *h)
{
    static const uint64_t ops[] = {XHCI_OP_USBCMD, XHCI_OP_USBSTS, XHCI_OP_DNCTRL, XHCI_OP_CRCR, XHCI_OP_CRCR + 4,
                                   XHCI_OP_DCBAAP, XHCI_OP_CONFIG};
    uint32_t v = (uint32_t)sim_rng_next(&h->r);
    switch (sim_rng_below(&h->r, 4)) {
    case 0: xt_op_wr((uint32_t)pick(h, ops, 7), v & (sim_rng_chance(&h->r, 500) ? 0xfu : ~0u)); break;
    case 1: xt_portsc_wr(1 + (uint32_t)sim_rng_below(&h->r, xhci_profile_ports(&xt_profile)), v); break;
    case 2: xt_ir_wr((uint32_t)sim_rng_below(&h->r, 2), (uint32_t)sim_rng_below(&h->r, 8) * 4, v); break;
    default: {
        unsigned size = 1u << sim_rng_below(&h->r, 4); /* 1, 2, 4 or 8 bytes, naturally aligned */
        xt_bus_wr(XT_BAR + (sim_rng_below(&h->r, xt_profile.bar_bytes) & ~(uint64_t)(size - 1)), size, v);
        break;
    }
    }
}

static void plug_or_unplug(struct hostile *h)
{
    if (h->plugged)
        cr_assert_eq(xhci_usb_detach(xt_x, h->d.port), IOSIM_OK);
    else
        cr_assert_eq(xhci_usb_attach(xt_x, h->d.port, usb_zero_dev(h->z)), IOSIM_OK);
    h->plugged = !h->plugged;
}

/* A driver that notices: a controller halted by a Host System Error (or
 * by a register write) is reset (HCRST) and brought up again, and the
 * device enumerated anew; an endpoint left Halted or in Error is reset
 * and moved past what it holds. */
static void recover(struct hostile *h)
{
    if (xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCH) {
        xt_op_wr(XHCI_OP_USBCMD, 0);
        xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_HCRST);
        xd_init(1);
        xd.cmd_timeout_ps = 5 * SIM_MS;
        xd.seed = h->seed;
        if (!h->plugged)
            plug_or_unplug(h);
        xd_enumerate(&h->d, h->d.port);
        h->data = xd_alloc(0x20000, 0x10000);
        h->resets++;
        return;
    }
    static const uint32_t dcis[] = {XHCI_DCI_EP0, XD_DCI_BULK_OUT, XD_DCI_BULK_IN, XD_DCI_INTR_IN};
    for (uint32_t i = 0; i < 4; i++) {
        uint32_t dci = dcis[i], state = xd_out_ep_state(&h->d, dci);
        if (state == XHCI_EP_STATE_HALTED)
            (void)xd_cmd_slot(XHCI_TRB_TYPE_RESET_EP, h->d.slot, dci, 0, 0);
        if (state == XHCI_EP_STATE_HALTED || state == XHCI_EP_STATE_ERROR || state == XHCI_EP_STATE_STOPPED)
            (void)xd_set_deq_here(&h->d, dci);
        if (dci != XHCI_DCI_EP0 && h->plugged && state != XHCI_EP_STATE_RUNNING)
            (void)xd_clear_halt(&h->d, ep_addr_of(dci));
        xd_doorbell(&h->d, dci);
    }
}

/* Every queued event is one the controller may write: its type, and for
 * a transfer event a slot and endpoint that exist and a defined code. */
static void check_and_drain(struct hostile *h)
{
    for (uint32_t i = 0; i < xd.q_len; i++) {
        const struct xd_event *e = xd_q_at(i);
        uint32_t t = xd_ev_type(e), cc = xd_ev_cc(e);
        cr_assert(t == XHCI_TRB_TYPE_TRANSFER_EVENT || t == XHCI_TRB_TYPE_CMD_COMPLETION ||
                      t == XHCI_TRB_TYPE_PORT_STATUS_CHANGE || t == XHCI_TRB_TYPE_HC_EVENT ||
                      t == XHCI_TRB_TYPE_MFINDEX_WRAP,
                  "seed %llu: event type %u", (unsigned long long)h->seed, t);
        cr_assert(cc >= XHCI_CC_SUCCESS && cc <= XHCI_CC_SPLIT_TRANSACTION && cc != 30,
                  "seed %llu: completion code %u", (unsigned long long)h->seed, cc);
        if (t != XHCI_TRB_TYPE_TRANSFER_EVENT)
            continue;
        h->transfer_events++;
        cr_assert(xd_ev_slot(e) >= 1 && xd_ev_slot(e) <= xt_profile.max_slots && xd_ev_dci(e) >= 1,
                  "seed %llu: a transfer event for slot %u DCI %u", (unsigned long long)h->seed, xd_ev_slot(e),
                  xd_ev_dci(e));
        /* a residue is at most a TRB's length (EDTLA, with ED, may be more) */
        cr_assert(xd_ev_len(e) <= XHCI_TRB_LENGTH_MASK || (e->control & XHCI_TRB_ED),
                  "seed %llu: a residue of %u bytes", (unsigned long long)h->seed, xd_ev_len(e));
    }
    xd_q_clear();
}

static void hostile_run(uint64_t seed, uint32_t ops, struct hostile *h)
{
    memset(h, 0, sizeof *h);
    h->seed = seed;
    sim_rng_stream(&h->r, seed, "hostile-xhci");
    xd_setup_named(profiles[seed % PROFILES], 1);
    struct usb_zero_config zc;
    usb_zero_config_default(&zc);
    zc.speed = (seed / 2) % 2 ? USB_SPEED_SUPER : USB_SPEED_HIGH;
    zc.mode = (seed / 4) % 2 ? USB_ZERO_LOOPBACK : USB_ZERO_SOURCE_SINK;
    zc.in_nak_first = (uint32_t)sim_rng_below(&h->r, 4);
    zc.loop_queue_bytes = sim_rng_chance(&h->r, 500) ? 2048u : 16384u; /* small: OUTs park */
    h->z = xd_zero_cfg(&zc);
    xd_plug_and_enumerate(&h->d, h->z, xd_port_for(zc.speed, 0));
    h->plugged = true;
    h->data = xd_alloc(0x20000, 0x10000);
    xd.cmd_timeout_ps = 5 * SIM_MS; /* a driver gone wrong may wait for nothing */
    xd.seed = seed;
    for (uint32_t k = 0; k < ops; k++) {
        uint64_t what = sim_rng_below(&h->r, 100);
        if (what < 30)
            random_trb(h);
        else if (what < 45)
            random_doorbell(h);
        else if (what < 65)
            random_command(h);
        else if (what < 69)
            random_register(h);
        else if (what < 71)
            plug_or_unplug(h);
        else if (what < 80)
            recover(h);
        else if (what < 88 && h->d.ep[XD_DCI_BULK_IN].ring.base != 0) {
            struct xd_td td; /* a proper TD among the rest */
            uint32_t dci = sim_rng_chance(&h->r, 500) ? XD_DCI_BULK_IN : XD_DCI_BULK_OUT;
            xd_queue_td(&h->d, dci, h->data, (uint32_t)sim_rng_range(&h->r, 1, 0x18000), XD_IOC | XD_ISP, &td);
            xd_doorbell(&h->d, dci);
        } else
            xd_run_for(sim_rng_below(&h->r, 2000) * SIM_US);
        check_and_drain(h);
        /* the output context, whatever happened, holds states that exist */
        cr_assert_leq(xd_out_slot_state(&h->d), XHCI_SLOT_STATE_CONFIGURED, "seed %llu", (unsigned long long)seed);
        for (uint32_t dci = 1; dci <= XHCI_DCI_MAX; dci++)
            cr_assert_leq(xd_out_ep_state(&h->d, dci), XHCI_EP_STATE_ERROR, "seed %llu DCI %u",
                          (unsigned long long)seed, dci);
    }
    xd_run_for(20 * SIM_MS);
    check_and_drain(h);
    xd_teardown();
}

Test(xhci_hostile2, a_seeded_hostile_driver_never_breaks_the_model)
{
    const uint64_t seeds = 400;
    uint64_t commands = 0, completions = 0, transfers = 0, resets = 0;
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        struct hostile h;
        hostile_run(seed, 200, &h);
        commands += h.commands;
        completions += h.completions;
        transfers += h.transfer_events;
        resets += h.resets;
    }
    cr_log_info("%llu seeds: %llu commands (%llu completed), %llu transfer events, %llu controller resets",
                (unsigned long long)seeds, (unsigned long long)commands, (unsigned long long)completions,
                (unsigned long long)transfers, (unsigned long long)resets);
    cr_expect_gt(completions, commands / 2, "most commands reached the controller");
    cr_expect_gt(transfers, 3 * seeds, "transfers ran");
}
