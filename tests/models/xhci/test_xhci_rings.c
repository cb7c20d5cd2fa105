/*
 * models/xhci's command ring, event rings and interrupters against the
 * spec's clauses: cycle bits and Link TRBs, the commands modelled so far,
 * Command Stop and Abort, events across several segments and a full ring,
 * EHB, interrupt moderation (IMODI/IMODC), and hostile rings.
 */
#include "tests/models/xhci/xhci_test_util.h"

TestSuite(xhci_rings, .init = xt_setup, .fini = xt_teardown);

#define TYPE(t) ((uint32_t)(t) << XHCI_TRB_TYPE_SHIFT)

/* Puts command `control` (type and fields; the cycle bit is added) at slot i. */
static void cmd(uint32_t i, uint32_t control)
{
    xt_put_trb(XT_CMD_RING + 16ull * i, 0, 0, control | XHCI_TRB_C);
}

static uint64_t ev(uint32_t n) { return XT_EV_SEG(0) + 16ull * n; }

static void expect_completion(uint32_t n, uint64_t trb, uint32_t cc, uint32_t slot)
{
    uint32_t c = xt_trb_dw(ev(n), 3);
    cr_expect_eq(xt_trb_type(c), XHCI_TRB_TYPE_CMD_COMPLETION, "event %u type", n);
    cr_expect_eq(xt_trb_dw(ev(n), 0), (uint32_t)trb, "event %u points at its command", n);
    cr_expect_eq(xt_cc(xt_trb_dw(ev(n), 2)), cc, "event %u completion code %u", n,
                 xt_cc(xt_trb_dw(ev(n), 2)));
    cr_expect_eq(c >> XHCI_TRB_SLOT_ID_SHIFT, slot, "event %u slot", n);
    cr_expect(c & XHCI_TRB_C, "event %u carries the producer cycle state", n);
}

Test(xhci_rings, a_no_op_command_completes_with_success)
{
    xt_start();
    cmd(0, TYPE(XHCI_TRB_TYPE_NOOP_CMD));
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    cr_expect(xt_op(XHCI_OP_CRCR) & XHCI_CRCR_CRR, "the ring runs from the doorbell on");
    xt_run_for(1 * SIM_MS);
    expect_completion(0, XT_CMD_RING, XHCI_CC_SUCCESS, 0);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_EINT);
    cr_expect(xt_ir(0, XHCI_IR_IMAN) & XHCI_IMAN_IP);
}

Test(xhci_rings, enable_slot_hands_out_slots_up_to_max_slots_en)
{
    xt_start();
    xt_op_wr(XHCI_OP_USBCMD, 0);
    xt_run_for(1);
    xt_op_wr(XHCI_OP_CONFIG, 2);
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS);
    xt_run_for(1);
    for (uint32_t i = 0; i < 3; i++)
        cmd(i, TYPE(XHCI_TRB_TYPE_ENABLE_SLOT));
    cmd(3, TYPE(XHCI_TRB_TYPE_DISABLE_SLOT) | 2u << XHCI_TRB_SLOT_ID_SHIFT);
    cmd(4, TYPE(XHCI_TRB_TYPE_DISABLE_SLOT) | 2u << XHCI_TRB_SLOT_ID_SHIFT);
    cmd(5, TYPE(XHCI_TRB_TYPE_DISABLE_SLOT));
    cmd(6, TYPE(XHCI_TRB_TYPE_ENABLE_SLOT));
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_MS);
    expect_completion(0, XT_CMD_RING, XHCI_CC_SUCCESS, 1);
    expect_completion(1, XT_CMD_RING + 16, XHCI_CC_SUCCESS, 2);
    expect_completion(2, XT_CMD_RING + 32, XHCI_CC_NO_SLOTS_AVAILABLE, 0);
    expect_completion(3, XT_CMD_RING + 48, XHCI_CC_SUCCESS, 2);
    expect_completion(4, XT_CMD_RING + 64, XHCI_CC_SLOT_NOT_ENABLED, 2);
    expect_completion(5, XT_CMD_RING + 80, XHCI_CC_TRB_ERROR, 0);
    expect_completion(6, XT_CMD_RING + 96, XHCI_CC_SUCCESS, 2);
}

Test(xhci_rings, non_commands_and_optional_commands_are_trb_errors)
{
    xt_start();
    cmd(0, TYPE(XHCI_TRB_TYPE_NORMAL));
    cmd(1, TYPE(XHCI_TRB_TYPE_FORCE_HEADER));
    cmd(2, TYPE(XHCI_TRB_TYPE_TRANSFER_EVENT));
    cmd(3, TYPE(0));
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_MS);
    for (uint32_t i = 0; i < 4; i++)
        expect_completion(i, XT_CMD_RING + 16ull * i, XHCI_CC_TRB_ERROR, 0);
}

Test(xhci_rings, a_link_trb_with_toggle_cycle_wraps_the_ring)
{
    xt_start();
    cmd(0, TYPE(XHCI_TRB_TYPE_NOOP_CMD));
    xt_put_trb(XT_CMD_RING + 16, XT_CMD_RING, 0,
               TYPE(XHCI_TRB_TYPE_LINK) | XHCI_TRB_TC | XHCI_TRB_C);
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_MS);
    cr_expect_eq(xhci_stats(xt_x)->commands, 1, "after the link the old TRB's cycle is stale");
    xt_put_trb(XT_CMD_RING, 0, 0, TYPE(XHCI_TRB_TYPE_NOOP_CMD)); /* cycle 0 now */
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_MS);
    cr_expect_eq(xhci_stats(xt_x)->commands, 2);
    expect_completion(1, XT_CMD_RING, XHCI_CC_SUCCESS, 0);
}

Test(xhci_rings, command_stop_and_abort_stop_the_ring_with_command_ring_stopped)
{
    xt_start();
    cmd(0, TYPE(XHCI_TRB_TYPE_NOOP_CMD));
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_MS);
    xt_op_wr(XHCI_OP_CRCR, XHCI_CRCR_CS);
    xt_run_for(1 * SIM_MS);
    expect_completion(1, XT_CMD_RING + 16, XHCI_CC_CMD_RING_STOPPED, 0);
    cr_expect(!(xt_op(XHCI_OP_CRCR) & XHCI_CRCR_CRR));
    xt_op_wr(XHCI_OP_CRCR, ((uint32_t)XT_CMD_RING + 0x200) | XHCI_CRCR_RCS);
    xt_op_wr(XHCI_OP_CRCR + 4, 0);
    xt_put_trb(XT_CMD_RING + 0x200, 0, 0, TYPE(XHCI_TRB_TYPE_NOOP_CMD) | XHCI_TRB_C);
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_op_wr(XHCI_OP_CRCR, XHCI_CRCR_CA);
    xt_run_for(1 * SIM_MS);
    cr_expect_eq(xt_cc(xt_trb_dw(ev(2), 2)), XHCI_CC_CMD_RING_STOPPED,
                 "nothing was executing yet: the ring just stops");
}

Test(xhci_rings, abort_ends_a_slow_command_as_aborted)
{
    xt_teardown();
    xt_profile = *xhci_profile_find("ti-tusb7340");
    xt_setup_profile();
    xt_start();
    cmd(0, TYPE(XHCI_TRB_TYPE_NOOP_CMD));
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(xt_profile.doorbell_ps + 1); /* fetched, executing for command_ps */
    xt_op_wr(XHCI_OP_CRCR, XHCI_CRCR_CA);
    xt_run_for(1 * SIM_MS);
    expect_completion(0, XT_CMD_RING, XHCI_CC_CMD_ABORTED, 0);
    expect_completion(1, XT_CMD_RING + 16, XHCI_CC_CMD_RING_STOPPED, 0);
    cr_expect_eq(xhci_stats(xt_x)->commands, 2);
}

Test(xhci_rings, the_crcr_pointer_is_ignored_while_the_ring_runs)
{
    xt_start();
    cmd(0, TYPE(XHCI_TRB_TYPE_NOOP_CMD));
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_MS);
    xt_op_wr(XHCI_OP_CRCR, (uint32_t)XT_CMD_RING + 0x400);
    cmd(1, TYPE(XHCI_TRB_TYPE_NOOP_CMD));
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_MS);
    expect_completion(1, XT_CMD_RING + 16, XHCI_CC_SUCCESS, 0);
}

/* ---- event rings -------------------------------------------------------------------------- */

Test(xhci_rings, events_cross_segments_and_toggle_the_cycle_at_the_wrap)
{
    xt_teardown();
    xt_profile = *xhci_profile_find("qemu");
    xt_profile.quirks = 0;
    xt_profile.erstsz_max = 4;
    xt_setup_profile();
    xt_start();
    xt_event_ring(0, 2, 16);
    for (uint32_t i = 0; i < 20; i++) {
        cmd(i, TYPE(XHCI_TRB_TYPE_NOOP_CMD));
        xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
        xt_run_for(10 * SIM_US);
        uint64_t at = i < 16 ? XT_EV_SEG(0) + 16ull * i : XT_EV_SEG(1) + 16ull * (i - 16);
        cr_expect_eq(xt_trb_dw(at, 0), (uint32_t)(XT_CMD_RING + 16ull * i), "event %u", i);
        /* software consumes it */
        uint64_t next = i + 1 < 16 ? at + 16 : i + 1 == 16 ? XT_EV_SEG(1) : at + 16;
        xt_ir_wr(0, XHCI_IR_ERDP, (uint32_t)next | XHCI_ERDP_EHB);
    }
    cr_expect_eq(xhci_stats(xt_x)->events_written, 20);
    cr_expect_eq(xhci_stats(xt_x)->events_dropped, 0);
    /* 12 more fill segment 1 and wrap to segment 0 with the cycle bit 0 */
    for (uint32_t i = 20; i < 33; i++) {
        cmd(i, TYPE(XHCI_TRB_TYPE_NOOP_CMD));
        xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
        xt_run_for(10 * SIM_US);
        xt_ir_wr(0, XHCI_IR_ERDP, ((uint32_t)XT_EV_SEG(1) + 16u * ((i - 15) % 16)) | XHCI_ERDP_EHB);
    }
    cr_expect(!(xt_trb_dw(XT_EV_SEG(0), 3) & XHCI_TRB_C), "the wrapped event has cycle 0");
}

Test(xhci_rings, a_full_ring_gets_an_event_ring_full_event_and_drops_the_rest)
{
    xt_start();
    xt_event_ring(0, 1, 16);
    for (uint32_t i = 0; i < 20; i++)
        cmd(i, TYPE(XHCI_TRB_TYPE_NOOP_CMD));
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_MS);
    /* ERDP never moved: 14 completions fit, the 15th slot says the ring is full */
    cr_expect_eq(xt_trb_type(xt_trb_dw(ev(14), 3)), XHCI_TRB_TYPE_HC_EVENT);
    cr_expect_eq(xt_cc(xt_trb_dw(ev(14), 2)), XHCI_CC_EVENT_RING_FULL);
    cr_expect_eq(xt_trb_dw(ev(15), 3), 0, "the last slot stays software's");
    cr_expect_eq(xhci_stats(xt_x)->events_written, 15);
    cr_expect_eq(xhci_stats(xt_x)->events_dropped, 6);
    xt_ir_wr(0, XHCI_IR_ERDP, (uint32_t)ev(15) | XHCI_ERDP_EHB);
    cmd(20, TYPE(XHCI_TRB_TYPE_NOOP_CMD));
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_MS);
    cr_expect_eq(xt_trb_dw(ev(15), 0), (uint32_t)(XT_CMD_RING + 16 * 20), "room again");
}

Test(xhci_rings, qemu_takes_one_segment_only)
{
    xt_start();
    xt_event_ring(0, 2, 16);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCE, "HCE, as qemu-xhci has it");
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCH, "halted");
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS);
    xt_run_for(1 * SIM_MS);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCH, "R/S refused until HCRST");
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_HCRST);
    xt_run_for(1 * SIM_S);
    cr_expect_eq(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCE, 0, "HCRST clears it");
}

Test(xhci_rings, a_segment_of_fewer_than_16_trbs_is_a_host_controller_error)
{
    xt_profile = *xhci_profile_find("ti-tusb7340");
    xt_teardown();
    xt_setup_profile();
    xt_start();
    cr_expect_eq(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCE, 0);
    xt_event_ring(0, 1, 8);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCE);
}

/* ---- interrupts -------------------------------------------------------------------------- */

static void noop_now(uint32_t i)
{
    cmd(i, TYPE(XHCI_TRB_TYPE_NOOP_CMD));
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_US);
}

Test(xhci_rings, an_interrupt_needs_ie_and_inte_and_sets_ehb)
{
    xt_start();
    noop_now(0);
    cr_expect_eq(xhci_stats(xt_x)->interrupts, 0, "IMAN.IE is 0");
    xt_ir_wr(0, XHCI_IR_IMAN, XHCI_IMAN_IE);
    cr_expect_eq(xhci_stats(xt_x)->interrupts, 1, "pending, and now enabled");
    cr_expect(xt_ir(0, XHCI_IR_ERDP) & XHCI_ERDP_EHB);
    noop_now(1);
    cr_expect_eq(xhci_stats(xt_x)->interrupts, 1, "EHB holds the next one back");
    xt_ir_wr(0, XHCI_IR_IMAN, XHCI_IMAN_IE | XHCI_IMAN_IP); /* INTx: software clears IP */
    xt_ir_wr(0, XHCI_IR_ERDP, (uint32_t)ev(2) | XHCI_ERDP_EHB);
    cr_expect(!(xt_ir(0, XHCI_IR_ERDP) & XHCI_ERDP_EHB), "EHB is write-1-to-clear");
    noop_now(2);
    cr_expect_eq(xhci_stats(xt_x)->interrupts, 2);
}

Test(xhci_rings, imod_holds_interrupts_imodi_apart_and_imodc_counts_down)
{
    xt_teardown();
    xt_profile = *xhci_profile_find("ti-tusb7340");
    xt_setup_profile();
    xt_start();
    xt_ir_wr(0, XHCI_IR_IMOD, 400); /* 100 us */
    xt_ir_wr(0, XHCI_IR_IMAN, XHCI_IMAN_IE);
    noop_now(0);
    xt_run_for(10 * SIM_US);
    cr_expect_eq(xhci_stats(xt_x)->interrupts, 1, "IMODC was 0: at once");
    xt_ir_wr(0, XHCI_IR_IMAN, XHCI_IMAN_IE | XHCI_IMAN_IP);
    cr_expect_eq(xt_ir(0, XHCI_IR_IMOD) >> XHCI_IMOD_IMODC_SHIFT, 400, "reloaded when IP clears");
    xt_ir_wr(0, XHCI_IR_ERDP, (uint32_t)ev(1) | XHCI_ERDP_EHB);
    xt_run_for(50 * SIM_US);
    cr_expect_eq(xt_ir(0, XHCI_IR_IMOD) >> XHCI_IMOD_IMODC_SHIFT, 200, "counting in 250 ns");
    noop_now(1);
    cr_expect_eq(xhci_stats(xt_x)->interrupts, 1, "held back by IMODC");
    xt_run_for(60 * SIM_US);
    cr_expect_eq(xhci_stats(xt_x)->interrupts, 2, "IMODC reached 0");
}

Test(xhci_rings, qemu_ignores_imod)
{
    xt_start();
    xt_ir_wr(0, XHCI_IR_IMOD, 4000);
    xt_ir_wr(0, XHCI_IR_IMAN, XHCI_IMAN_IE);
    noop_now(0);
    xt_ir_wr(0, XHCI_IR_IMAN, XHCI_IMAN_IE | XHCI_IMAN_IP);
    xt_ir_wr(0, XHCI_IR_ERDP, (uint32_t)ev(1) | XHCI_ERDP_EHB);
    noop_now(1);
    cr_expect_eq(xhci_stats(xt_x)->interrupts, 2, "no moderation on QEMU");
}

/* ---- hostile drivers ------------------------------------------------------------------------- */

Test(xhci_rings, a_command_ring_outside_memory_is_a_host_system_error)
{
    xt_start();
    xt_op_wr(XHCI_OP_CRCR, XHCI_CRCR_CS);
    xt_run_for(1 * SIM_MS);
    xt_op_wr(XHCI_OP_CRCR, 0xfff00000u | XHCI_CRCR_RCS);
    xt_op_wr(XHCI_OP_CRCR + 4, 0x7);
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_MS);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HSE);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCH, "the controller halted");
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS);
    xt_run_for(1 * SIM_MS);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCH, "until HSE is cleared or a reset");
}

Test(xhci_rings, an_erst_outside_memory_is_a_host_system_error)
{
    xt_ir_wr(0, XHCI_IR_ERSTSZ, 1);
    xt_ir_wr(0, XHCI_IR_ERSTBA, 0xffff0000u);
    xt_ir_wr(0, XHCI_IR_ERSTBA + 4, 0x10);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HSE);
}

Test(xhci_rings, a_loop_of_link_trbs_stops_fetching_but_not_the_simulation)
{
    xt_start();
    xt_put_trb(XT_CMD_RING, XT_CMD_RING + 16, 0, TYPE(XHCI_TRB_TYPE_LINK) | XHCI_TRB_C);
    xt_put_trb(XT_CMD_RING + 16, XT_CMD_RING, 0, TYPE(XHCI_TRB_TYPE_LINK) | XHCI_TRB_C);
    xt_ring_doorbell(0, XHCI_DB_TARGET_COMMAND);
    xt_run_for(1 * SIM_MS);
    cr_expect_eq(xhci_stats(xt_x)->commands, 0);
    cr_expect(!(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HSE));
}

Test(xhci_rings, random_registers_and_rings_never_crash_the_model)
{
    struct sim_rng r;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        sim_rng_seed(&r, seed);
        xt_start();
        uint8_t *mem = xt_host(XT_MEM, 0x10000);
        for (uint32_t i = 0; i < 0x10000; i++)
            mem[i] = (uint8_t)sim_rng_next(&r);
        for (uint32_t k = 0; k < 300; k++) {
            uint64_t off = sim_rng_below(&r, 0x4000) & ~3ull;
            uint32_t v = (uint32_t)sim_rng_next(&r);
            if (sim_rng_below(&r, 4) == 0)
                v = (uint32_t)(XT_MEM + (sim_rng_below(&r, 0x1000) << 4));
            xt_wr(off, v);
            (void)xt_rd(sim_rng_below(&r, 0x4000) & ~3ull);
            if (sim_rng_below(&r, 8) == 0)
                xt_ring_doorbell(0, 0);
            xt_run_for(sim_rng_below(&r, 100) * SIM_US);
        }
        xt_teardown();
        xt_setup();
    }
}
