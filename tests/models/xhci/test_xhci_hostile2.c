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

static struct usb_zero *up(struct xd_dev *d, enum usb_speed speed, enum usb_zero_mode mode)
{
    struct usb_zero *z = xd_zero(speed, mode);
    xd_plug_and_enumerate(d, z, xd_port_for(speed, 0));
    return z;
}

/* ---- loops of TRBs that never end ---------------------------------------------------------------- */

/* A transfer ring of No Ops with IOC closed by a Link back to its start
 * without Toggle Cycle: every TRB stays valid, for ever. A controller
 * goes round and round; the model must do so in simulated time. */
static void noop_loop(const char *profile)
{
    struct xd_dev d;
    (void)up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
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

Test(xhci_hostile2, a_transfer_ring_looping_through_a_link_runs_in_simulated_time, .timeout = 20)
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

Test(xhci_hostile2, a_command_ring_looping_through_a_link_runs_in_simulated_time, .timeout = 20)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        command_loop(profiles[p]);
        xd_teardown();
    }
}
