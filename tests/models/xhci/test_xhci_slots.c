/*
 * models/xhci's commands on device slots against the spec's state rules,
 * as a table: every slot command (Address Device with BSR 0 and 1,
 * Configure Endpoint and its deconfigure, Evaluate Context, Reset
 * Endpoint, Stop Endpoint, Set TR Dequeue Pointer, Reset Device, Disable
 * Slot) issued in every slot state (Enabled, Default, Addressed,
 * Configured) and, for the endpoint commands, every endpoint state
 * (Disabled, Running, Halted, Stopped, Error), with the completion code
 * the spec gives and the output device context afterwards (slot state,
 * USB address, endpoint states, dequeue pointer) [xHCI 4.5.3, 4.6.4 -
 * 4.6.11, 4.8.3, ref 1.8]. Each row runs on a fresh controller of both
 * profiles with gadget zero at high speed, reached through the test
 * driver (xt_driver.h).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "tests/models/xhci/xt_driver.h"

TestSuite(xhci_slots, .fini = xd_teardown);

static const char *const profiles[] = {"qemu", "ti-tusb7340"};
#define PROFILES (sizeof profiles / sizeof profiles[0])

/* Where a row starts: a slot state, and for Configured the bulk IN
 * endpoint's (DCI 3) state. */
enum start {
    ST_ENABLED, ST_DEFAULT, ST_ADDRESSED,
    ST_CONF_RUNNING, ST_CONF_DISABLED, ST_CONF_HALTED, ST_CONF_STOPPED, ST_CONF_ERROR,
    ST_COUNT
};

static const char *const start_names[ST_COUNT] = {
    "Enabled", "Default", "Addressed", "Configured/EP Running", "Configured/EP Disabled",
    "Configured/EP Halted", "Configured/EP Stopped", "Configured/EP Error",
};

enum cmd {
    C_ADDR_BSR0, C_ADDR_BSR1, C_CONFIGURE, C_DECONFIGURE, C_EVALUATE, C_RESET_EP, C_STOP_EP,
    C_SET_DEQ, C_RESET_DEVICE, C_DISABLE_SLOT
};

static const char *const cmd_names[] = {
    "Address Device BSR=0", "Address Device BSR=1", "Configure Endpoint", "Configure Endpoint DC=1",
    "Evaluate Context", "Reset Endpoint", "Stop Endpoint", "Set TR Dequeue Pointer", "Reset Device",
    "Disable Slot",
};

#define ANY 0xffu    /* a field the row does not check */
#define ADDR 0xfeu   /* the USB address is the slot's number */
#define DIS XHCI_EP_STATE_DISABLED
#define RUN XHCI_EP_STATE_RUNNING
#define HLT XHCI_EP_STATE_HALTED
#define STP XHCI_EP_STATE_STOPPED
#define ERR XHCI_EP_STATE_ERROR
#define S_DIS XHCI_SLOT_STATE_DISABLED /* also Enabled: they share 0 */
#define S_DEF XHCI_SLOT_STATE_DEFAULT
#define S_ADR XHCI_SLOT_STATE_ADDRESSED
#define S_CFG XHCI_SLOT_STATE_CONFIGURED
#define CSE XHCI_CC_CONTEXT_STATE_ERROR
#define OK XHCI_CC_SUCCESS

struct row {
    enum cmd cmd;
    enum start start;
    uint32_t dci;        /* the endpoint commands' target */
    uint32_t cc;
    uint32_t slot_state, address, ep0_state, ep3_state;
};

/* The table. Slot rules [4.6.5 - 4.6.7, 4.6.11, ref 1.8]: Address Device
 * from Enabled (either BSR) or from Default with BSR=0; Configure
 * Endpoint (either way) from Addressed or Configured; Evaluate Context
 * from Default, Addressed or Configured; Reset Device from Addressed or
 * Configured (the slot goes to Default, address 0, endpoints but EP0
 * disabled); anything else is a Context State Error. Disable Slot works
 * in every enabled state. Endpoint rules [4.6.8 - 4.6.10]: Reset
 * Endpoint only on Halted ("If the endpoint is not in the Halted state
 * ... Context State Error", 4.6.8, a disabled one included), Stop
 * Endpoint only on Running (Endpoint Not Enabled on a disabled one, as
 * QEMU answers, ref 1.8), Set TR Dequeue on Stopped or Error. */
static const struct row rows[] = {
    /* Address Device, BSR = 0 */
    {C_ADDR_BSR0, ST_ENABLED, 0, OK, S_ADR, ADDR, RUN, DIS},
    {C_ADDR_BSR0, ST_DEFAULT, 0, OK, S_ADR, ADDR, RUN, DIS},
    {C_ADDR_BSR0, ST_ADDRESSED, 0, CSE, S_ADR, ADDR, RUN, DIS},
    {C_ADDR_BSR0, ST_CONF_RUNNING, 0, CSE, S_CFG, ADDR, RUN, RUN},
    /* Address Device, BSR = 1 */
    {C_ADDR_BSR1, ST_ENABLED, 0, OK, S_DEF, 0, RUN, DIS},
    {C_ADDR_BSR1, ST_DEFAULT, 0, CSE, S_DEF, 0, RUN, DIS},
    {C_ADDR_BSR1, ST_ADDRESSED, 0, CSE, S_ADR, ADDR, RUN, DIS},
    {C_ADDR_BSR1, ST_CONF_RUNNING, 0, CSE, S_CFG, ADDR, RUN, RUN},
    /* Configure Endpoint adding the bulk and interrupt endpoints */
    {C_CONFIGURE, ST_ENABLED, 0, CSE, S_DIS, 0, DIS, DIS},
    {C_CONFIGURE, ST_DEFAULT, 0, CSE, S_DEF, 0, RUN, DIS},
    {C_CONFIGURE, ST_ADDRESSED, 0, OK, S_CFG, ADDR, RUN, RUN},
    {C_CONFIGURE, ST_CONF_RUNNING, 0, OK, S_CFG, ADDR, RUN, RUN},
    {C_CONFIGURE, ST_CONF_DISABLED, 0, OK, S_CFG, ADDR, RUN, RUN},
    {C_CONFIGURE, ST_CONF_HALTED, 0, OK, S_CFG, ADDR, RUN, RUN},
    {C_CONFIGURE, ST_CONF_ERROR, 0, OK, S_CFG, ADDR, RUN, RUN},
    /* Configure Endpoint with DC = 1: every endpoint but EP0 dropped */
    {C_DECONFIGURE, ST_ENABLED, 0, CSE, S_DIS, 0, DIS, DIS},
    {C_DECONFIGURE, ST_DEFAULT, 0, CSE, S_DEF, 0, RUN, DIS},
    {C_DECONFIGURE, ST_ADDRESSED, 0, OK, S_ADR, ADDR, RUN, DIS},
    {C_DECONFIGURE, ST_CONF_RUNNING, 0, OK, S_ADR, ADDR, RUN, DIS},
    {C_DECONFIGURE, ST_CONF_HALTED, 0, OK, S_ADR, ADDR, RUN, DIS},
    {C_DECONFIGURE, ST_CONF_STOPPED, 0, OK, S_ADR, ADDR, RUN, DIS},
    /* Evaluate Context (EP0's max packet size) */
    {C_EVALUATE, ST_ENABLED, 0, CSE, S_DIS, 0, DIS, DIS},
    {C_EVALUATE, ST_DEFAULT, 0, OK, S_DEF, 0, RUN, DIS},
    {C_EVALUATE, ST_ADDRESSED, 0, OK, S_ADR, ADDR, RUN, DIS},
    {C_EVALUATE, ST_CONF_RUNNING, 0, OK, S_CFG, ADDR, RUN, RUN},
    {C_EVALUATE, ST_CONF_HALTED, 0, OK, S_CFG, ADDR, RUN, HLT},
    /* Reset Endpoint on DCI 3 in each of its states, and on EP0 */
    {C_RESET_EP, ST_DEFAULT, 3, CSE, S_DEF, 0, RUN, DIS},
    {C_RESET_EP, ST_ADDRESSED, 3, CSE, S_ADR, ADDR, RUN, DIS},
    {C_RESET_EP, ST_ADDRESSED, 1, CSE, S_ADR, ADDR, RUN, DIS},
    {C_RESET_EP, ST_CONF_DISABLED, 3, CSE, S_CFG, ADDR, RUN, DIS},
    {C_RESET_EP, ST_CONF_RUNNING, 3, CSE, S_CFG, ADDR, RUN, RUN},
    {C_RESET_EP, ST_CONF_HALTED, 3, OK, S_CFG, ADDR, RUN, STP},
    {C_RESET_EP, ST_CONF_STOPPED, 3, CSE, S_CFG, ADDR, RUN, STP},
    {C_RESET_EP, ST_CONF_ERROR, 3, CSE, S_CFG, ADDR, RUN, ERR},
    /* Stop Endpoint */
    {C_STOP_EP, ST_DEFAULT, 1, OK, S_DEF, 0, STP, DIS},
    {C_STOP_EP, ST_ADDRESSED, 3, XHCI_CC_EP_NOT_ENABLED, S_ADR, ADDR, RUN, DIS},
    {C_STOP_EP, ST_ADDRESSED, 1, OK, S_ADR, ADDR, STP, DIS},
    {C_STOP_EP, ST_CONF_DISABLED, 3, XHCI_CC_EP_NOT_ENABLED, S_CFG, ADDR, RUN, DIS},
    {C_STOP_EP, ST_CONF_RUNNING, 3, OK, S_CFG, ADDR, RUN, STP},
    {C_STOP_EP, ST_CONF_HALTED, 3, CSE, S_CFG, ADDR, RUN, HLT},
    {C_STOP_EP, ST_CONF_STOPPED, 3, CSE, S_CFG, ADDR, RUN, STP},
    {C_STOP_EP, ST_CONF_ERROR, 3, CSE, S_CFG, ADDR, RUN, ERR},
    /* Set TR Dequeue Pointer */
    {C_SET_DEQ, ST_ADDRESSED, 1, CSE, S_ADR, ADDR, RUN, DIS},
    {C_SET_DEQ, ST_CONF_DISABLED, 3, CSE, S_CFG, ADDR, RUN, DIS},
    {C_SET_DEQ, ST_CONF_RUNNING, 3, CSE, S_CFG, ADDR, RUN, RUN},
    {C_SET_DEQ, ST_CONF_HALTED, 3, CSE, S_CFG, ADDR, RUN, HLT},
    {C_SET_DEQ, ST_CONF_STOPPED, 3, OK, S_CFG, ADDR, RUN, STP},
    {C_SET_DEQ, ST_CONF_ERROR, 3, OK, S_CFG, ADDR, RUN, STP},
    /* Reset Device */
    {C_RESET_DEVICE, ST_ENABLED, 0, CSE, S_DIS, 0, DIS, DIS},
    {C_RESET_DEVICE, ST_DEFAULT, 0, CSE, S_DEF, 0, RUN, DIS},
    {C_RESET_DEVICE, ST_ADDRESSED, 0, OK, S_DEF, 0, RUN, DIS},
    {C_RESET_DEVICE, ST_CONF_RUNNING, 0, OK, S_DEF, 0, RUN, DIS},
    {C_RESET_DEVICE, ST_CONF_HALTED, 0, OK, S_DEF, 0, RUN, DIS},
    /* Disable Slot */
    {C_DISABLE_SLOT, ST_ENABLED, 0, OK, S_DIS, 0, DIS, DIS},
    {C_DISABLE_SLOT, ST_DEFAULT, 0, OK, S_DIS, ANY, ANY, ANY},
    {C_DISABLE_SLOT, ST_ADDRESSED, 0, OK, S_DIS, ANY, ANY, ANY},
    {C_DISABLE_SLOT, ST_CONF_RUNNING, 0, OK, S_DIS, ANY, ANY, ANY},
    {C_DISABLE_SLOT, ST_CONF_ERROR, 0, OK, S_DIS, ANY, ANY, ANY},
};

/* Gadget zero's endpoints at high speed, as its descriptors give them
 * (what xd_parse_config would read once the device is addressed). */
static void zero_eps(struct xd_dev *d)
{
    d->ep[XD_DCI_BULK_OUT] = (struct xd_ep){.type = XHCI_EP_TYPE_BULK_OUT, .mps = 512};
    d->ep[XD_DCI_BULK_IN] = (struct xd_ep){.type = XHCI_EP_TYPE_BULK_IN, .mps = 512};
    d->ep[XD_DCI_INTR_IN] = (struct xd_ep){.type = XHCI_EP_TYPE_INTERRUPT_IN, .mps = 8, .interval = 3};
}

static void expect_bulk_in_event(struct xd_dev *d, uint32_t cc)
{
    struct xd_event ev;
    cr_assert(xd_wait_xfer(d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev));
    cr_assert_eq(xd_ev_cc(&ev), cc);
}

/* A slot in state `st`, gadget zero behind it. */
static void reach(struct xd_dev *d, struct usb_zero *z, enum start st)
{
    xd_dev_init(d, xd_port_for(USB_SPEED_HIGH, 0));
    xd_port_up(d);
    zero_eps(d);
    cr_assert_eq(xd_enable_slot(d), OK);
    if (st == ST_ENABLED)
        return;
    cr_assert_eq(xd_address(d, st == ST_DEFAULT), OK);
    if (st <= ST_ADDRESSED)
        return;
    cr_assert_eq(xd_control(d, 0, USB_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), OK);
    uint32_t mask = st == ST_CONF_DISABLED ? ~(1u << XD_DCI_BULK_IN) : ~0u;
    cr_assert_eq(xd_configure(d, mask, 3), OK);
    uint64_t buf = xd_alloc(0x20000, 0x10000);
    struct xd_td td;
    switch (st) {
    case ST_CONF_HALTED:
        cr_assert_eq(usb_zero_halt(z, USB_ZERO_EP_BULK_IN), IOSIM_OK);
        xd_queue_td(d, XD_DCI_BULK_IN, buf, 512, XD_IOC, &td);
        xd_doorbell(d, XD_DCI_BULK_IN);
        expect_bulk_in_event(d, XHCI_CC_STALL_ERROR);
        break;
    case ST_CONF_STOPPED:
        cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_STOP_EP, d->slot, XD_DCI_BULK_IN, 0, 0), OK);
        break;
    case ST_CONF_ERROR:
        (void)xd_put(d, XD_DCI_BULK_IN, buf + 0xff00, 0x200, XD_TRB_TYPE(XHCI_TRB_TYPE_NORMAL) | XHCI_TRB_IOC);
        xd_doorbell(d, XD_DCI_BULK_IN);
        expect_bulk_in_event(d, XHCI_CC_TRB_ERROR);
        break;
    case ST_ENABLED:
    case ST_DEFAULT:
    case ST_ADDRESSED:
    case ST_CONF_RUNNING:
    case ST_CONF_DISABLED:
    case ST_COUNT: break;
    }
}

static uint32_t issue(struct xd_dev *d, const struct row *r, uint64_t *new_deq)
{
    uint32_t slot = d->slot;
    switch (r->cmd) {
    case C_ADDR_BSR0: return xd_address(d, false);
    case C_ADDR_BSR1: return xd_address(d, true);
    case C_CONFIGURE: return xd_configure(d, ~0u, 3);
    case C_DECONFIGURE: return xd_cmd_slot(XHCI_TRB_TYPE_CONFIGURE_EP, slot, 0, 0, XHCI_TRB_DC);
    case C_EVALUATE:
        xd_in_clear(d);
        xd_in_flags(d, 0, 0x2);
        xd_in_ep(d, XHCI_DCI_EP0, 3);
        return xd_cmd_slot(XHCI_TRB_TYPE_EVALUATE_CTX, slot, 0, d->in_ctx, 0);
    case C_RESET_EP: return xd_cmd_slot(XHCI_TRB_TYPE_RESET_EP, slot, r->dci, 0, 0);
    case C_STOP_EP: return xd_cmd_slot(XHCI_TRB_TYPE_STOP_EP, slot, r->dci, 0, 0);
    case C_SET_DEQ:
        *new_deq = xd_alloc(256, 64) | 1u; /* a fresh ring, cycle 1 */
        return xd_cmd_slot(XHCI_TRB_TYPE_SET_TR_DEQUEUE, slot, r->dci, *new_deq, 0);
    case C_RESET_DEVICE: return xd_cmd_slot(XHCI_TRB_TYPE_RESET_DEVICE, slot, 0, 0, 0);
    case C_DISABLE_SLOT: return xd_cmd_slot(XHCI_TRB_TYPE_DISABLE_SLOT, slot, 0, 0, 0);
    }
    return XHCI_CC_INVALID;
}

static void check_row(const char *profile, const struct row *r)
{
    struct usb_zero *z = xd_zero(USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    cr_assert_eq(xhci_usb_attach(xt_x, xd_port_for(USB_SPEED_HIGH, 0), usb_zero_dev(z)), IOSIM_OK);
    struct xd_dev d;
    reach(&d, z, r->start);
    uint64_t deq3_before = xd_out_ep_deq(&d, XD_DCI_BULK_IN), new_deq = 0;
    uint32_t cc = issue(&d, r, &new_deq);
    const char *what = cmd_names[r->cmd], *in = start_names[r->start];
    cr_expect_eq(cc, r->cc, "%s: %s (DCI %u) in %s: cc %u, want %u", profile, what, r->dci, in, cc, r->cc);
    uint32_t addr = r->address == ADDR ? d.slot : r->address;
    cr_expect_eq(xd_out_slot_state(&d), r->slot_state, "%s: %s in %s: slot state %u", profile, what, in,
                 xd_out_slot_state(&d));
    if (r->address != ANY)
        cr_expect_eq(xd_out_address(&d), addr, "%s: %s in %s: address %u", profile, what, in,
                     xd_out_address(&d));
    if (r->ep0_state != ANY)
        cr_expect_eq(xd_out_ep_state(&d, XHCI_DCI_EP0), r->ep0_state, "%s: %s in %s: EP0 state %u",
                     profile, what, in, xd_out_ep_state(&d, XHCI_DCI_EP0));
    if (r->ep3_state != ANY)
        cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), r->ep3_state, "%s: %s in %s: EP 0x81 state %u",
                     profile, what, in, xd_out_ep_state(&d, XD_DCI_BULK_IN));
    /* the dequeue pointer moves only by Set TR Dequeue (or a new context) */
    if (r->cmd == C_SET_DEQ && cc == OK)
        cr_expect_eq(xd_out_ep_deq(&d, r->dci), new_deq, "%s: %s in %s: dequeue 0x%llx", profile, what,
                     in, (unsigned long long)xd_out_ep_deq(&d, r->dci));
    else if (cc != OK && r->start >= ST_CONF_RUNNING)
        cr_expect_eq(xd_out_ep_deq(&d, XD_DCI_BULK_IN), deq3_before, "%s: %s in %s: a refused command "
                     "leaves the dequeue pointer", profile, what, in);
    if (r->cmd == C_DISABLE_SLOT)
        cr_expect_eq(xd_cmd_slot(XHCI_TRB_TYPE_EVALUATE_CTX, d.slot, 0, d.in_ctx, 0),
                     XHCI_CC_SLOT_NOT_ENABLED, "%s: a disabled slot takes no command", profile);
    if (r->cmd == C_RESET_DEVICE && cc == OK)
        cr_expect_eq((xd_out_dw(&d, 0, 0) & XHCI_SLOT_DW0_CTX_ENTRIES_MASK) >> XHCI_SLOT_DW0_CTX_ENTRIES_SHIFT,
                     1u, "%s: Reset Device leaves Context Entries 1", profile);
}

#define ROWS (sizeof rows / sizeof rows[0])

/* Criterion may run each case in a fresh process image: parameters are
 * indices into the table, never pointers. */
ParameterizedTestParameters(xhci_slots, every_slot_command_in_every_state_completes_as_the_spec_says)
{
    static size_t idx[ROWS];
    for (size_t i = 0; i < ROWS; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, ROWS);
}

ParameterizedTest(size_t *i, xhci_slots, every_slot_command_in_every_state_completes_as_the_spec_says)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        check_row(profiles[p], &rows[*i]);
        xd_teardown();
    }
}

/* ---- what the commands check in their input contexts -------------------------------------------- */

/* Each case: a slot reached in `start`, the input context made valid for
 * `cmd` and then spoilt by `spoil`, the completion code, and the slot
 * state after (the command refused changes nothing) [4.6.5 - 4.6.7,
 * 6.2.2, 6.2.3, 6.2.5.1, ref 1.8]. The model's choices where the spec
 * leaves room (models/xhci/xhci_slot.c): a value the controller cannot
 * use is a Parameter Error, reserved Add/Drop flags a TRB Error (QEMU's
 * answer), isochronous endpoints and streams a Resource Error. */
enum spoil {
    SP_NONE, SP_DROP_D2, SP_ADD_A0_ONLY, SP_ROOT_PORT_0, SP_ROOT_PORT_BIG, SP_EP0_BULK, SP_EP0_MPS_0,
    SP_EP0_DEQ_0, SP_DROP_D0, SP_EP3_TYPE_OUT, SP_EP3_MPS_0, SP_EP3_DEQ_0, SP_EP3_ISOCH, SP_EP3_STREAMS,
    SP_EVAL_A2, SP_EVAL_DROP, SP_EVAL_MPS_0, SP_EP2_OK_EP3_BAD, SP_COUNT
};

struct input_case {
    enum cmd cmd;
    enum start start;
    enum spoil spoil;
    uint32_t cc, slot_state;
    const char *what;
};

static const struct input_case input_cases[] = {
    {C_ADDR_BSR0, ST_ENABLED, SP_NONE, OK, S_ADR, "valid"},
    {C_ADDR_BSR0, ST_ENABLED, SP_DROP_D2, XHCI_CC_TRB_ERROR, S_DIS, "a drop flag"},
    {C_ADDR_BSR0, ST_ENABLED, SP_ADD_A0_ONLY, XHCI_CC_TRB_ERROR, S_DIS, "A1 clear"},
    {C_ADDR_BSR0, ST_ENABLED, SP_ROOT_PORT_0, XHCI_CC_PARAMETER_ERROR, S_DIS, "root port 0"},
    {C_ADDR_BSR0, ST_ENABLED, SP_ROOT_PORT_BIG, XHCI_CC_PARAMETER_ERROR, S_DIS, "root port past MaxPorts"},
    {C_ADDR_BSR1, ST_ENABLED, SP_EP0_BULK, XHCI_CC_PARAMETER_ERROR, S_DIS, "EP0 not a control endpoint"},
    {C_ADDR_BSR1, ST_ENABLED, SP_EP0_MPS_0, XHCI_CC_PARAMETER_ERROR, S_DIS, "EP0 max packet 0"},
    {C_ADDR_BSR1, ST_ENABLED, SP_EP0_DEQ_0, XHCI_CC_PARAMETER_ERROR, S_DIS, "EP0 dequeue pointer 0"},
    {C_CONFIGURE, ST_ADDRESSED, SP_NONE, OK, S_CFG, "valid"},
    {C_CONFIGURE, ST_ADDRESSED, SP_DROP_D0, XHCI_CC_TRB_ERROR, S_ADR, "D0 (the slot) dropped"},
    {C_CONFIGURE, ST_ADDRESSED, SP_EP3_TYPE_OUT, XHCI_CC_PARAMETER_ERROR, S_ADR, "an OUT type at an IN DCI"},
    {C_CONFIGURE, ST_ADDRESSED, SP_EP3_MPS_0, XHCI_CC_PARAMETER_ERROR, S_ADR, "max packet 0"},
    {C_CONFIGURE, ST_ADDRESSED, SP_EP3_DEQ_0, XHCI_CC_PARAMETER_ERROR, S_ADR, "dequeue pointer 0"},
    {C_CONFIGURE, ST_ADDRESSED, SP_EP3_ISOCH, XHCI_CC_RESOURCE_ERROR, S_ADR, "isochronous"},
    {C_CONFIGURE, ST_ADDRESSED, SP_EP3_STREAMS, XHCI_CC_RESOURCE_ERROR, S_ADR, "streams"},
    {C_CONFIGURE, ST_ADDRESSED, SP_EP2_OK_EP3_BAD, XHCI_CC_PARAMETER_ERROR, S_ADR, "one bad of two"},
    {C_EVALUATE, ST_ADDRESSED, SP_NONE, OK, S_ADR, "valid"},
    {C_EVALUATE, ST_ADDRESSED, SP_EVAL_A2, XHCI_CC_TRB_ERROR, S_ADR, "A2: only slot and EP0 are evaluated"},
    {C_EVALUATE, ST_ADDRESSED, SP_EVAL_DROP, XHCI_CC_TRB_ERROR, S_ADR, "a drop flag"},
    {C_EVALUATE, ST_ADDRESSED, SP_EVAL_MPS_0, XHCI_CC_PARAMETER_ERROR, S_ADR, "EP0 max packet 0"},
};

#define INPUT_CASES (sizeof input_cases / sizeof input_cases[0])

static void wr_field(uint64_t pa, uint32_t mask, uint32_t v)
{
    xd_wr32(pa, (xd_rd32(pa) & ~mask) | (v & mask));
}

/* The valid input context for c->cmd, made as the driver makes it, then
 * spoilt; the command issued. */
static uint32_t issue_spoilt(struct xd_dev *d, const struct input_case *c)
{
    uint32_t type = c->cmd == C_CONFIGURE ? XHCI_TRB_TYPE_CONFIGURE_EP
                  : c->cmd == C_EVALUATE ? XHCI_TRB_TYPE_EVALUATE_CTX : XHCI_TRB_TYPE_ADDRESS_DEVICE;
    uint32_t flags = c->cmd == C_ADDR_BSR1 ? XHCI_TRB_BSR : 0;
    xd_in_clear(d);
    if (c->cmd == C_CONFIGURE) {
        xd_ring_init(&d->ep[XD_DCI_BULK_OUT].ring, 16);
        xd_ring_init(&d->ep[XD_DCI_BULK_IN].ring, 16);
        xd_in_ep(d, XD_DCI_BULK_OUT, 3);
        xd_in_ep(d, XD_DCI_BULK_IN, 3);
        xd_in_flags(d, 0, 1u | 1u << XD_DCI_BULK_IN);
        xd_in_slot(d, XD_DCI_BULK_IN);
    } else {
        if (d->ep[XHCI_DCI_EP0].ring.base == 0)
            xd_ring_init(&d->ep[XHCI_DCI_EP0].ring, 16);
        d->ep[XHCI_DCI_EP0].type = XHCI_EP_TYPE_CONTROL;
        d->ep[XHCI_DCI_EP0].mps = 64;
        xd_in_ep(d, XHCI_DCI_EP0, 3);
        xd_in_slot(d, 1);
        xd_in_flags(d, 0, c->cmd == C_EVALUATE ? 0x2 : 0x3);
    }
    uint64_t icc = d->in_ctx, slot = xd_in_at(d, 1), ep0 = xd_in_at(d, 2), ep3 = xd_in_at(d, 4);
    switch (c->spoil) {
    case SP_NONE: break;
    case SP_DROP_D2: xd_wr32(icc, 1u << 2); break;
    case SP_ADD_A0_ONLY: xd_wr32(icc + 4, 0x1); break;
    case SP_ROOT_PORT_0: wr_field(slot + 4, XHCI_SLOT_DW1_ROOT_PORT_MASK, 0); break;
    case SP_ROOT_PORT_BIG: wr_field(slot + 4, XHCI_SLOT_DW1_ROOT_PORT_MASK, 200u << 16); break;
    case SP_EP0_BULK: wr_field(ep0 + 4, XHCI_EP_DW1_TYPE_MASK, XHCI_EP_TYPE_BULK_IN << 3); break;
    case SP_EP0_MPS_0:
    case SP_EVAL_MPS_0: wr_field(ep0 + 4, XHCI_EP_DW1_MAX_PACKET_MASK, 0); break;
    case SP_EP0_DEQ_0: xd_wr64(ep0 + 8, 0); break;
    case SP_DROP_D0: xd_wr32(icc, 0x1); break;
    case SP_EP3_TYPE_OUT: wr_field(ep3 + 4, XHCI_EP_DW1_TYPE_MASK, XHCI_EP_TYPE_BULK_OUT << 3); break;
    case SP_EP3_MPS_0: wr_field(ep3 + 4, XHCI_EP_DW1_MAX_PACKET_MASK, 0); break;
    case SP_EP3_DEQ_0: xd_wr64(ep3 + 8, 0); break;
    case SP_EP3_ISOCH: wr_field(ep3 + 4, XHCI_EP_DW1_TYPE_MASK, XHCI_EP_TYPE_ISOCH_IN << 3); break;
    case SP_EP3_STREAMS: wr_field(ep3, XHCI_EP_DW0_MAX_PSTREAMS_MASK, 2u << 10); break;
    case SP_EVAL_A2: xd_wr32(icc + 4, 0x6); break;
    case SP_EVAL_DROP: xd_wr32(icc, 1u << 3); break;
    case SP_EP2_OK_EP3_BAD:
        xd_wr32(icc + 4, 1u | 1u << XD_DCI_BULK_OUT | 1u << XD_DCI_BULK_IN);
        xd_wr64(ep3 + 8, 0);
        break;
    case SP_COUNT: break;
    }
    return xd_cmd_slot(type, d->slot, 0, d->in_ctx, flags);
}

ParameterizedTestParameters(xhci_slots, input_contexts_are_checked_before_anything_changes)
{
    static size_t idx[INPUT_CASES];
    for (size_t i = 0; i < INPUT_CASES; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, INPUT_CASES);
}

ParameterizedTest(size_t *i, xhci_slots, input_contexts_are_checked_before_anything_changes)
{
    const struct input_case *c = &input_cases[*i];
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        struct usb_zero *z = xd_zero(USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
        cr_assert_eq(xhci_usb_attach(xt_x, xd_port_for(USB_SPEED_HIGH, 0), usb_zero_dev(z)), IOSIM_OK);
        struct xd_dev d;
        reach(&d, z, c->start);
        uint32_t cc = issue_spoilt(&d, c);
        cr_expect_eq(cc, c->cc, "%s: %s, %s: cc %u", profiles[p], cmd_names[c->cmd], c->what, cc);
        cr_expect_eq(xd_out_slot_state(&d), c->slot_state, "%s: %s, %s: slot state %u", profiles[p],
                     cmd_names[c->cmd], c->what, xd_out_slot_state(&d));
        if (c->cmd == C_CONFIGURE && cc != OK) {
            cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_OUT), DIS, "%s: %s: nothing enabled", profiles[p],
                         c->what);
            cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), DIS, "%s: %s: nothing enabled", profiles[p],
                         c->what);
        }
        xd_teardown();
    }
}

/* Evaluate Context takes the slot's Max Exit Latency and Interrupter
 * Target (A0) and EP0's Max Packet Size (A1), nothing else [4.6.7]. */
static void evaluate_fields(const char *profile)
{
    struct usb_zero *z = xd_zero(USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    cr_assert_eq(xhci_usb_attach(xt_x, xd_port_for(USB_SPEED_HIGH, 0), usb_zero_dev(z)), IOSIM_OK);
    struct xd_dev d;
    reach(&d, z, ST_ADDRESSED);
    d.ep[XHCI_DCI_EP0].mps = 32;
    xd_in_clear(&d);
    xd_in_flags(&d, 0, 0x3);
    xd_in_slot(&d, 1);
    xd_in_ep(&d, XHCI_DCI_EP0, 3);
    uint64_t slot = xd_in_at(&d, 1);
    wr_field(slot + 4, XHCI_SLOT_DW1_MAX_EXIT_LAT_MASK, 0x1234);
    wr_field(slot + 4, XHCI_SLOT_DW1_ROOT_PORT_MASK, 7u << XHCI_SLOT_DW1_ROOT_PORT_SHIFT); /* not evaluated */
    xd_wr32(slot + 8, 5u << XHCI_SLOT_DW2_INTR_TARGET_SHIFT);
    cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_EVALUATE_CTX, d.slot, 0, d.in_ctx, 0), OK, "%s", profile);
    cr_expect_eq(xd_out_dw(&d, 0, 1) & XHCI_SLOT_DW1_MAX_EXIT_LAT_MASK, 0x1234);
    cr_expect_eq((xd_out_dw(&d, 0, 1) & XHCI_SLOT_DW1_ROOT_PORT_MASK) >> XHCI_SLOT_DW1_ROOT_PORT_SHIFT, d.port,
                 "%s: the root port is not the command's to change", profile);
    cr_expect_eq(xd_out_dw(&d, 0, 2) >> XHCI_SLOT_DW2_INTR_TARGET_SHIFT, 5);
    cr_expect_eq(xd_out_dw(&d, XHCI_DCI_EP0, 1) >> XHCI_EP_DW1_MAX_PACKET_SHIFT, 32);
    uint32_t got = 0;
    cr_expect_eq(xd_get_descriptor(&d, USB_DT_DEVICE, 0, 18, &got), OK, "EP0 works at 32-byte packets");
}

Test(xhci_slots, evaluate_context_takes_exit_latency_interrupter_and_ep0_packet_size)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        evaluate_fields(profiles[p]);
        xd_teardown();
    }
}

/* ---- slot IDs, endpoint IDs, Set TR Dequeue's fields, dropping ---------------------------------- */

static void ids_and_fields(const char *profile)
{
    struct usb_zero *z = xd_zero(USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    cr_assert_eq(xhci_usb_attach(xt_x, xd_port_for(USB_SPEED_HIGH, 0), usb_zero_dev(z)), IOSIM_OK);
    struct xd_dev d;
    reach(&d, z, ST_CONF_STOPPED);
    static const uint32_t slot_cmds[] = {
        XHCI_TRB_TYPE_DISABLE_SLOT, XHCI_TRB_TYPE_ADDRESS_DEVICE, XHCI_TRB_TYPE_CONFIGURE_EP,
        XHCI_TRB_TYPE_EVALUATE_CTX, XHCI_TRB_TYPE_RESET_EP, XHCI_TRB_TYPE_STOP_EP,
        XHCI_TRB_TYPE_SET_TR_DEQUEUE, XHCI_TRB_TYPE_RESET_DEVICE,
    };
    for (uint32_t i = 0; i < sizeof slot_cmds / sizeof slot_cmds[0]; i++) {
        uint32_t t = slot_cmds[i];
        cr_expect_eq(xd_cmd_slot(t, 0, 3, d.in_ctx, 0), XHCI_CC_TRB_ERROR, "%s: type %u, slot 0", profile, t);
        cr_expect_eq(xd_cmd_slot(t, xd.max_slots + 1, 3, d.in_ctx, 0), XHCI_CC_TRB_ERROR,
                     "%s: type %u, slot past MaxSlots", profile, t);
        cr_expect_eq(xd_cmd_slot(t, d.slot + 1, 3, d.in_ctx, 0), XHCI_CC_SLOT_NOT_ENABLED,
                     "%s: type %u, a slot never enabled", profile, t);
    }
    cr_expect_eq(xd_cmd_slot(XHCI_TRB_TYPE_STOP_EP, d.slot, 0, 0, 0), XHCI_CC_TRB_ERROR, "DCI 0: no endpoint");
    cr_expect_eq(xd_cmd_slot(XHCI_TRB_TYPE_RESET_EP, d.slot, 0, 0, 0), XHCI_CC_TRB_ERROR);
    uint64_t ring = xd_alloc(256, 64) | 1u;
    cr_expect_eq(xd_cmd(ring, 1u << XHCI_SET_DEQ_STREAM_SHIFT,
                        XD_TRB_TYPE(XHCI_TRB_TYPE_SET_TR_DEQUEUE) | d.slot << XHCI_TRB_SLOT_ID_SHIFT |
                            XD_DCI_BULK_IN << XHCI_TRB_EP_ID_SHIFT),
                 XHCI_CC_INVALID_STREAM_ID, "%s: a stream ID on an endpoint without streams", profile);
    cr_expect_eq(xd_cmd_slot(XHCI_TRB_TYPE_SET_TR_DEQUEUE, d.slot, XD_DCI_BULK_IN, 1, 0), XHCI_CC_TRB_ERROR,
                 "dequeue pointer 0");
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), STP, "refused: still Stopped");
    /* dropping endpoints one by one; the last leaves the slot Addressed */
    const uint32_t dcis[] = {XD_DCI_BULK_IN, XD_DCI_BULK_OUT, XD_DCI_INTR_IN};
    for (uint32_t i = 0; i < 3; i++) {
        xd_in_clear(&d);
        xd_in_flags(&d, 1u << dcis[i], 0x1);
        xd_in_slot(&d, XD_DCI_INTR_IN);
        cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_CONFIGURE_EP, d.slot, 0, d.in_ctx, 0), OK, "%s", profile);
        cr_expect_eq(xd_out_ep_state(&d, dcis[i]), DIS, "%s: DCI %u dropped", profile, dcis[i]);
        cr_expect_eq(xd_out_slot_state(&d), i < 2 ? S_CFG : S_ADR, "%s: after dropping %u", profile, i + 1);
    }
}

Test(xhci_slots, slot_ids_endpoint_ids_and_set_tr_dequeue_fields_are_checked)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        ids_and_fields(profiles[p]);
        xd_teardown();
    }
}

/* ---- Address Device and the device behind the port [4.6.5] -------------------------------------- */

static void address_needs_a_device(const char *profile)
{
    struct xd_dev d;
    /* no device on the port at all */
    xd_dev_init(&d, xd_port_for(USB_SPEED_HIGH, 1));
    d.speed = XHCI_SPEED_HIGH;
    cr_assert_eq(xd_enable_slot(&d), OK);
    cr_expect_eq(xd_address(&d, false), XHCI_CC_USB_TRANSACTION_ERROR, "%s: SET_ADDRESS unanswered", profile);
    cr_expect_eq(xd_out_slot_state(&d), S_DEF, "the slot is left in Default [ref 1.8]");
    cr_expect_eq(xd_out_address(&d), 0);
    cr_expect_eq(xd_address(&d, true), CSE, "Default takes BSR=0 only");
    /* a device there, but its USB 2 port not yet reset: not enabled, no answer */
    struct usb_zero *z = xd_zero(USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    cr_assert_eq(xhci_usb_attach(xt_x, d.port, usb_zero_dev(z)), IOSIM_OK);
    cr_assert(xd_wait_port(d.port, XHCI_PORTSC_CCS, XHCI_PORTSC_CCS, XD_TIMEOUT));
    cr_expect_eq(xd_address(&d, false), XHCI_CC_USB_TRANSACTION_ERROR, "%s: port not enabled", profile);
    (void)xd_port_reset(d.port);
    cr_expect_eq(xd_address(&d, false), OK, "%s: Default -> Addressed once the port is up", profile);
    cr_expect_eq(xd_out_slot_state(&d), S_ADR);
    cr_expect_eq(xd_out_address(&d), d.slot);
    cr_expect_eq(usb_dev_address(usb_zero_dev(z)), d.slot, "the device took the address");
    /* 64-byte contexts on the profile that has them: the EP0 context sits 64 bytes in */
    cr_expect_eq(xd.ctx_bytes, (xt_profile.hccparams1_flags & XHCI_HCCPARAMS1_CSZ) ? 64u : 32u);
    cr_expect_eq((xd_out_dw(&d, XHCI_DCI_EP0, 1) & XHCI_EP_DW1_TYPE_MASK) >> XHCI_EP_DW1_TYPE_SHIFT,
                 XHCI_EP_TYPE_CONTROL, "%s: EP0's context where CSZ puts it", profile);
}

Test(xhci_slots, address_device_without_an_answering_device_is_a_transaction_error)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        address_needs_a_device(profiles[p]);
        xd_teardown();
    }
}
