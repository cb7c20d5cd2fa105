/* Runtime timing: MFINDEX Wrap events [xHCI 4.14.2, 5.4.1 EWE]: with USBCMD.EWE set, a
 * running controller writes one each time MFINDEX wraps (every 2.048 s),
 * none while halted or with EWE clear. */
#include "tests/models/xhci/xhci_test_util.h"

TestSuite(xhci_runtime, .init = xt_setup, .fini = xt_teardown);

#define WRAP_PS ((sim_time_ps)XHCI_MFINDEX_TICK_NS * SIM_NS * (XHCI_MFINDEX_MASK + 1u))

/* Wrap events among the first n event TRBs of segment 0. */
static uint32_t wraps_in_ring(uint32_t n)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t control = xt_trb_dw(XT_EV_SEG(0) + 16ull * i, 3);
        if ((control & XHCI_TRB_C) && xt_trb_type(control) == XHCI_TRB_TYPE_MFINDEX_WRAP) {
            cr_expect_eq(xt_cc(xt_trb_dw(XT_EV_SEG(0) + 16ull * i, 2)), XHCI_CC_SUCCESS);
            count++;
        }
    }
    return count;
}

Test(xhci_runtime, ewe_gives_one_wrap_event_per_2048_ms_while_running)
{
    xt_start();
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS | XHCI_USBCMD_INTE | XHCI_USBCMD_EWE);
    xt_run_for(WRAP_PS - 2 * SIM_MS);
    cr_expect_eq(wraps_in_ring(16), 0, "not before MFINDEX wraps");
    uint32_t before = xt_rd(xt_profile.rtsoff + XHCI_RT_MFINDEX);
    xt_run_for(4 * SIM_MS);
    cr_expect_lt(xt_rd(xt_profile.rtsoff + XHCI_RT_MFINDEX), before, "MFINDEX wrapped");
    cr_expect_eq(wraps_in_ring(16), 1);
    xt_run_for(2 * WRAP_PS);
    cr_expect_eq(wraps_in_ring(16), 3, "one per wrap");
}

Test(xhci_runtime, no_wrap_events_without_ewe_or_while_halted)
{
    xt_start();
    xt_run_for(3 * WRAP_PS);
    cr_expect_eq(wraps_in_ring(16), 0, "EWE clear");
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_EWE); /* halts, EWE set */
    xt_run_for(3 * WRAP_PS);
    cr_expect_eq(wraps_in_ring(16), 0, "halted");
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCH);
}

Test(xhci_runtime, a_halt_keeps_mfindex_and_the_next_wrap_comes_when_it_reaches_3fffh_again)
{
    xt_start();
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS | XHCI_USBCMD_INTE | XHCI_USBCMD_EWE);
    xt_run_for(WRAP_PS / 2);
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_INTE | XHCI_USBCMD_EWE); /* halt half-way */
    xt_run_for(WRAP_PS);
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS | XHCI_USBCMD_INTE | XHCI_USBCMD_EWE);
    xt_run_for(WRAP_PS / 2 - 2 * SIM_MS);
    cr_expect_eq(wraps_in_ring(16), 0, "MFINDEX stood still while halted");
    xt_run_for(4 * SIM_MS);
    cr_expect_eq(wraps_in_ring(16), 1);
}

/* The profile's irq_ps: the interrupt leaves the controller that long after
 * the interrupter decided to signal (EHB is set at once, so nothing is
 * signalled twice meanwhile). On the TI profile, INTx (no MSI set up). */
Test(xhci_runtime, an_interrupt_leaves_irq_ps_after_the_decision)
{
    xt_teardown();
    xt_profile = *xhci_profile_find("ti-tusb7340");
    xt_setup_profile();
    cr_assert_gt(xt_profile.irq_ps, 0);
    xt_start();
    xt_ir_wr(0, XHCI_IR_IMOD, 0); /* no moderation in the way */
    xt_ir_wr(0, XHCI_IR_IMAN, XHCI_IMAN_IE);
    uint64_t raised = xt_m->count.irq_raised;
    xt_put_trb(XT_CMD_RING, 0, 0, XHCI_TRB_TYPE_NOOP_CMD << XHCI_TRB_TYPE_SHIFT | XHCI_TRB_C);
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    sim_time_ps to_event = xt_profile.doorbell_ps + xt_profile.command_ps + 10 * SIM_NS;
    xt_run_for(to_event);
    cr_expect_eq(xhci_stats(xt_x)->interrupts, 1, "the interrupter decided");
    cr_expect(xt_ir(0, XHCI_IR_ERDP) & XHCI_ERDP_EHB);
    cr_expect_eq(xt_m->count.irq_raised, raised, "not out yet");
    xt_run_for(xt_profile.irq_ps);
    cr_expect_eq(xt_m->count.irq_raised, raised + 1, "out irq_ps later");
}
