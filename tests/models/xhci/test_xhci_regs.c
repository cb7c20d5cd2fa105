/*
 * models/xhci against the xHCI 1.2 register clauses, with the qemu profile
 * (and test copies of it): what each register reads after reset, which
 * bits are read-only, write-1-to-clear or write-1-to-set, reset and run
 * timing, MFINDEX, and the root-hub ports.
 */
#include "tests/models/xhci/xhci_test_util.h"

TestSuite(xhci_regs, .init = xt_setup, .fini = xt_teardown);

struct cap_fact {
    uint32_t off, value;
    const char *what;
};

/* qemu-xhci's capability registers, as hw/usb/hcd-xhci.c computes them for
 * its defaults (docs/xhci-profiles.md). */
static const struct cap_fact qemu_caps[] = {
    {0x00, 0x01000040, "HCIVERSION 1.00, CAPLENGTH 0x40"},
    {0x04, 0x08001040, "4+4 ports, 16 interrupters, 64 slots"},
    {0x08, 0x0000000f, "HCSPARAMS2"},
    {0x0c, 0x00000000, "HCSPARAMS3"},
    {0x10, 0x00087001, "xECP 0x20, MaxPSASize 7, AC64"},
    {0x14, 0x00002000, "DBOFF"},
    {0x18, 0x00001000, "RTSOFF"},
    {0x1c, 0x00000000, "HCCPARAMS2"},
    {0x20, 0x02000402, "supported protocol USB 2.0, next 4 dwords"},
    {0x24, 0x20425355, "\"USB \""},
    {0x28, 0x00000405, "USB 2 ports 5..8"},
    {0x2c, 0x00000000, "slot type 0"},
    {0x30, 0x03000002, "supported protocol USB 3.0, the last"},
    {0x34, 0x20425355, "\"USB \""},
    {0x38, 0x00000401, "USB 3 ports 1..4"},
    {0x3c, 0x00000000, "slot type 0"},
};

Test(xhci_regs, capability_registers_read_as_qemu_xhci_shows_them)
{
    for (size_t i = 0; i < sizeof qemu_caps / sizeof qemu_caps[0]; i++)
        cr_expect_eq(xt_rd(qemu_caps[i].off), qemu_caps[i].value, "0x%02x %s: 0x%08x",
                     qemu_caps[i].off, qemu_caps[i].what, xt_rd(qemu_caps[i].off));
    cr_expect_eq(xt_bus_rd(XT_BAR + XHCI_CAP_CAPLENGTH, 1), 0x40, "CAPLENGTH is a byte");
    cr_expect_eq(xt_bus_rd(XT_BAR + XHCI_CAP_HCIVERSION, 2), 0x0100, "HCIVERSION is a word");
    xt_wr(XHCI_CAP_HCSPARAMS1, 0);
    cr_expect_eq(xt_rd(XHCI_CAP_HCSPARAMS1), 0x08001040, "read-only");
}

Test(xhci_regs, the_pci_function_is_an_xhci_with_msix_in_bar_0)
{
    cr_expect_eq((uint32_t)xt_bus_rd(XT_ECAM + (4u << 15), 4), 0x000d1b36u);
    cr_expect_eq((uint32_t)xt_bus_rd(XT_ECAM + (4u << 15) + PCI_REVISION_ID, 4), 0x0c033001u);
    struct pci_func *f = pci_fn_func(xhci_fn(xt_x));
    cr_expect(f->desc.msix.present);
    cr_expect_eq(f->desc.msix.vectors, 16);
    cr_expect_eq(f->desc.msix.table_off, 0x3000);
    cr_expect(!f->desc.msi.present, "qemu-xhci has MSI off by default");
    cr_expect_eq(f->desc.bar[0].size, 0x4000);
}

Test(xhci_regs, after_reset_the_controller_is_halted_and_ready)
{
    cr_expect_eq(xt_op(XHCI_OP_USBCMD), 0);
    cr_expect_eq(xt_op(XHCI_OP_USBSTS), XHCI_USBSTS_HCH);
    cr_expect_eq(xt_op(XHCI_OP_PAGESIZE), 1, "4 KiB pages");
    cr_expect_eq(xt_op(XHCI_OP_CRCR), 0);
    cr_expect_eq(xt_op(XHCI_OP_CONFIG), 0);
    cr_expect_eq(xt_ir(0, XHCI_IR_IMAN), 0);
    cr_expect_eq(xt_rd(xt_profile.rtsoff + XHCI_RT_MFINDEX), 0);
}

Test(xhci_regs, cnr_holds_register_writes_off_until_power_on_is_over)
{
    xt_teardown();
    xt_profile = *xhci_profile_find("qemu");
    xt_profile.quirks = 0;
    xt_profile.power_on_ps = 2 * SIM_MS;
    xt_setup_profile(); /* runs 1 s: power-on is long over; reset again to look */
    xt_profile.reset_ps = 5 * SIM_MS;
    xt_op_wr(XHCI_OP_CONFIG, 8);
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_HCRST);
    cr_expect(xt_op(XHCI_OP_USBCMD) & XHCI_USBCMD_HCRST, "HCRST reads 1 while resetting");
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_CNR);
    xt_op_wr(XHCI_OP_DNCTRL, 0xffff);
    cr_expect_eq(xt_op(XHCI_OP_DNCTRL), 0, "written while not ready: ignored");
    xt_run_for(4 * SIM_MS);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_CNR, "still resetting at 4 ms");
    xt_run_for(2 * SIM_MS);
    cr_expect_eq(xt_op(XHCI_OP_USBCMD), 0, "HCRST self-clears");
    cr_expect_eq(xt_op(XHCI_OP_USBSTS), XHCI_USBSTS_HCH, "ready and halted");
    cr_expect_eq(xt_op(XHCI_OP_CONFIG), 0, "everything back to its reset value");
}

Test(xhci_regs, run_and_halt_follow_rs_after_their_latencies)
{
    xt_teardown();
    xt_profile = *xhci_profile_find("qemu");
    xt_profile.quirks = 0;
    xt_profile.run_ps = 10 * SIM_US;
    xt_profile.halt_ps = 20 * SIM_US;
    xt_setup_profile();
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS);
    xt_run_for(9 * SIM_US);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCH, "not running yet");
    xt_run_for(2 * SIM_US);
    cr_expect(!(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCH), "running");
    xt_op_wr(XHCI_OP_USBCMD, 0);
    xt_run_for(19 * SIM_US);
    cr_expect(!(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCH), "halting");
    xt_run_for(2 * SIM_US);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_HCH, "halted");
}

Test(xhci_regs, mfindex_counts_microframes_while_running_and_stops_when_halted)
{
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS);
    xt_run_for(1);
    uint32_t mf = xt_profile.rtsoff + XHCI_RT_MFINDEX;
    xt_run_for(1000 * SIM_US);
    cr_expect_eq(xt_rd(mf), 8, "125 us a microframe");
    xt_op_wr(XHCI_OP_USBCMD, 0);
    xt_run_for(1);
    xt_run_for(10 * SIM_MS);
    cr_expect_eq(xt_rd(mf), 8, "frozen while halted");
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS);
    xt_run_for(1);
    xt_run_for(0x4000ull * 125 * SIM_US);
    cr_expect_eq(xt_rd(mf), 8, "wraps at 14 bits");
}

Test(xhci_regs, usbsts_clears_only_its_write_1_to_clear_bits)
{
    xt_op_wr(XHCI_OP_USBSTS, 0xffffffffu);
    cr_expect_eq(xt_op(XHCI_OP_USBSTS), XHCI_USBSTS_HCH, "HCH is read-only");
    cr_expect_eq(XHCI_USBSTS_RW1C,
                 XHCI_USBSTS_HSE | XHCI_USBSTS_EINT | XHCI_USBSTS_PCD | XHCI_USBSTS_SRE);
}

Test(xhci_regs, crcr_reads_0_but_for_crr_and_dcbaap_keeps_its_alignment)
{
    xt_op_wr(XHCI_OP_CRCR, 0x12345678u | XHCI_CRCR_RCS);
    cr_expect_eq(xt_op(XHCI_OP_CRCR), 0, "the pointer reads 0 [5.4.5]");
    xt_op_wr(XHCI_OP_DCBAAP, 0xabcdef7fu);
    xt_op_wr(XHCI_OP_DCBAAP + 4, 0x1);
    cr_expect_eq(xt_op(XHCI_OP_DCBAAP), 0xabcdef40u, "bits 5:0 are reserved");
    cr_expect_eq(xt_op(XHCI_OP_DCBAAP + 4), 1);
}

Test(xhci_regs, config_takes_max_slots_en_up_to_max_slots_and_only_while_halted)
{
    xt_op_wr(XHCI_OP_CONFIG, 65);
    cr_expect_eq(xt_op(XHCI_OP_CONFIG), 0, "above MaxSlots");
    xt_op_wr(XHCI_OP_CONFIG, 64);
    cr_expect_eq(xt_op(XHCI_OP_CONFIG), 64);
    xt_op_wr(XHCI_OP_USBCMD, XHCI_USBCMD_RS);
    xt_run_for(1);
    xt_op_wr(XHCI_OP_CONFIG, 3);
    cr_expect_eq(xt_op(XHCI_OP_CONFIG), 64, "while running");
}

Test(xhci_regs, narrow_writes_are_refused_and_unknown_offsets_read_0)
{
    xt_bus_wr(XT_BAR + xt_profile.caplength + XHCI_OP_DNCTRL, 2, 0xffff);
    cr_expect_eq(xt_op(XHCI_OP_DNCTRL), 0);
    cr_expect_eq(xt_rd(0x800), 0, "between the port registers and the runtime block");
    xt_wr(0x800, 0xffffffffu);
}

/* ---- ports ------------------------------------------------------------------------------ */

#define RX_DETECT (XHCI_PLS_RX_DETECT << XHCI_PORTSC_PLS_SHIFT)
#define U0 (XHCI_PLS_U0 << XHCI_PORTSC_PLS_SHIFT)
#define SPEED(s) ((uint32_t)(s) << XHCI_PORTSC_SPEED_SHIFT)

Test(xhci_regs, every_port_is_powered_and_looking_for_a_device)
{
    for (uint32_t p = 1; p <= 8; p++)
        cr_expect_eq(xt_portsc(p), XHCI_PORTSC_PP | RX_DETECT, "port %u: 0x%08x", p, xt_portsc(p));
}

Test(xhci_regs, a_usb3_device_trains_to_u0_and_the_port_is_enabled)
{
    cr_assert_eq(xhci_port_connect(xt_x, 2, XHCI_SPEED_SUPER), IOSIM_OK);
    cr_expect_eq(xt_portsc(2), XHCI_PORTSC_PP | XHCI_PORTSC_CCS | XHCI_PORTSC_PED | U0 |
                                   SPEED(XHCI_SPEED_SUPER) | XHCI_PORTSC_CSC);
    cr_expect_eq(xhci_port_connect(xt_x, 2, XHCI_SPEED_SUPER), IOSIM_EBUSY);
    cr_expect_eq(xhci_port_connect(xt_x, 5, XHCI_SPEED_SUPER), IOSIM_EINVAL, "a USB 2 port");
    cr_expect_eq(xhci_port_connect(xt_x, 9, XHCI_SPEED_HIGH), IOSIM_EINVAL, "no such port");
    xt_portsc_wr(2, XHCI_PORTSC_PP | XHCI_PORTSC_CSC);
    cr_expect(!(xt_portsc(2) & XHCI_PORTSC_CSC), "CSC is write-1-to-clear");
    cr_expect(xt_portsc(2) & XHCI_PORTSC_PED, "writing PED 0 leaves it alone");
}

Test(xhci_regs, a_usb2_device_is_enabled_by_a_port_reset_after_its_duration)
{
    xt_teardown();
    xt_profile = *xhci_profile_find("qemu");
    xt_profile.quirks = 0;
    xt_profile.usb2_port_reset_ps = 50 * SIM_MS;
    xt_setup_profile();
    cr_assert_eq(xhci_port_connect(xt_x, 6, XHCI_SPEED_HIGH), IOSIM_OK);
    cr_expect(!(xt_portsc(6) & XHCI_PORTSC_PED), "a USB 2 port waits for its reset");
    xt_portsc_wr(6, XHCI_PORTSC_PP | XHCI_PORTSC_PR | XHCI_PORTSC_CSC);
    cr_expect(xt_portsc(6) & XHCI_PORTSC_PR, "PR reads 1 during the reset");
    xt_run_for(49 * SIM_MS);
    cr_expect(!(xt_portsc(6) & XHCI_PORTSC_PED));
    xt_run_for(2 * SIM_MS);
    cr_expect_eq(xt_portsc(6), XHCI_PORTSC_PP | XHCI_PORTSC_CCS | XHCI_PORTSC_PED | U0 |
                                   SPEED(XHCI_SPEED_HIGH) | XHCI_PORTSC_PRC);
}

Test(xhci_regs, writing_ped_1_disables_the_port)
{
    cr_assert_eq(xhci_port_connect(xt_x, 1, XHCI_SPEED_SUPER), IOSIM_OK);
    xt_portsc_wr(1, XHCI_PORTSC_PP | XHCI_PORTSC_PED);
    cr_expect(!(xt_portsc(1) & XHCI_PORTSC_PED));
    cr_expect_eq((xt_portsc(1) & XHCI_PORTSC_PLS_MASK) >> XHCI_PORTSC_PLS_SHIFT, XHCI_PLS_DISABLED);
    cr_expect(xt_portsc(1) & XHCI_PORTSC_CCS, "still connected");
}

Test(xhci_regs, a_warm_reset_is_usb3_only_and_sets_wrc_and_prc)
{
    cr_assert_eq(xhci_port_connect(xt_x, 3, XHCI_SPEED_SUPER), IOSIM_OK);
    xt_portsc_wr(3, XHCI_PORTSC_PP | XHCI_PORTSC_WPR);
    xt_run_for(1 * SIM_MS);
    cr_expect(xt_portsc(3) & XHCI_PORTSC_WRC);
    cr_expect(xt_portsc(3) & XHCI_PORTSC_PRC);
    cr_expect(xt_portsc(3) & XHCI_PORTSC_PED);
    cr_assert_eq(xhci_port_connect(xt_x, 7, XHCI_SPEED_HIGH), IOSIM_OK);
    xt_portsc_wr(7, XHCI_PORTSC_PP | XHCI_PORTSC_WPR);
    xt_run_for(1 * SIM_MS);
    cr_expect(!(xt_portsc(7) & XHCI_PORTSC_WRC), "WPR is reserved on a USB 2 port");
}

Test(xhci_regs, link_state_writes_move_between_u0_and_u3_only_with_lws)
{
    cr_assert_eq(xhci_port_connect(xt_x, 1, XHCI_SPEED_SUPER), IOSIM_OK);
    uint32_t u3 = XHCI_PLS_U3 << XHCI_PORTSC_PLS_SHIFT;
    xt_portsc_wr(1, XHCI_PORTSC_PP | u3);
    cr_expect_eq(xt_portsc(1) & XHCI_PORTSC_PLS_MASK, U0, "no LWS: PLS is not written");
    xt_portsc_wr(1, XHCI_PORTSC_PP | XHCI_PORTSC_LWS | u3);
    cr_expect_eq(xt_portsc(1) & XHCI_PORTSC_PLS_MASK, u3);
    cr_expect(!(xt_portsc(1) & XHCI_PORTSC_LWS), "LWS reads 0");
    xt_portsc_wr(1, XHCI_PORTSC_PP | XHCI_PORTSC_LWS | U0);
    cr_expect_eq(xt_portsc(1) & XHCI_PORTSC_PLS_MASK, U0);
    cr_expect(xt_portsc(1) & XHCI_PORTSC_PLC, "resume completed");
}

Test(xhci_regs, a_device_leaving_clears_the_port_and_sets_csc)
{
    cr_assert_eq(xhci_port_connect(xt_x, 4, XHCI_SPEED_SUPER), IOSIM_OK);
    xt_portsc_wr(4, XHCI_PORTSC_PP | XHCI_PORTSC_CSC);
    cr_assert_eq(xhci_port_disconnect(xt_x, 4), IOSIM_OK);
    cr_expect_eq(xt_portsc(4), XHCI_PORTSC_PP | RX_DETECT | XHCI_PORTSC_CSC);
    cr_expect_eq(xhci_port_disconnect(xt_x, 4), IOSIM_ENOENT);
}

Test(xhci_regs, a_port_change_sets_pcd_and_reports_the_port_while_running)
{
    xt_start();
    cr_assert_eq(xhci_port_connect(xt_x, 2, XHCI_SPEED_SUPER), IOSIM_OK);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_PCD);
    cr_expect_eq(xt_trb_type(xt_trb_dw(XT_EV_SEG(0), 3)), XHCI_TRB_TYPE_PORT_STATUS_CHANGE);
    cr_expect_eq(xt_trb_dw(XT_EV_SEG(0), 0) >> XHCI_EVT_PORT_ID_SHIFT, 2, "the port's number");
    cr_expect(xt_trb_dw(XT_EV_SEG(0), 3) & XHCI_TRB_C, "the producer's cycle bit");
    cr_assert_eq(xhci_port_connect(xt_x, 3, XHCI_SPEED_SUPER), IOSIM_OK);
    cr_expect_eq(xt_trb_dw(XT_EV_SEG(0) + 16, 0) >> XHCI_EVT_PORT_ID_SHIFT, 3);
    xt_portsc_wr(3, XHCI_PORTSC_PP | XHCI_PORTSC_WPR);
    xt_run_for(1 * SIM_MS);
    cr_expect_eq(xhci_stats(xt_x)->events_written, 3,
                 "the reset's PRC reports port 3 again; its CSC was still set");
}

/* ---- the profiles themselves ---------------------------------------------------------------- */

Test(xhci_profiles, every_built_in_profile_is_possible)
{
    for (uint32_t i = 0; xhci_profiles[i] != NULL; i++)
        cr_expect_null(xhci_profile_problem(xhci_profiles[i]), "%s: %s", xhci_profiles[i]->name,
                       xhci_profile_problem(xhci_profiles[i]));
    cr_expect_null(xhci_profile_find("nec-upd720200"));
}

Test(xhci_profiles, protocol_capabilities_say_which_ports_are_usb3)
{
    const struct xhci_profile *q = xhci_profile_find("qemu"), *t = xhci_profile_find("ti-tusb7340");
    cr_assert_not_null(t);
    cr_expect_eq(xhci_profile_ports(q), 8);
    cr_expect(xhci_profile_port_usb3(q, 1) && xhci_profile_port_usb3(q, 4));
    cr_expect(!xhci_profile_port_usb3(q, 5) && !xhci_profile_port_usb3(q, 8));
    cr_expect(!xhci_profile_port_usb3(t, 1) && !xhci_profile_port_usb3(t, 4), "TI: USB 2 first");
    cr_expect(xhci_profile_port_usb3(t, 5) && xhci_profile_port_usb3(t, 8));
}

static const uint32_t overlapping[] = {0x02000402, 0x20425355, 0x00000401, 0,
                                       0x03000002, 0x20425355, 0x00000402, 0};
static const uint32_t looping[] = {0x00000001};
static const uint32_t gap[] = {0x02000002, 0x20425355, 0x00000202, 0};

Test(xhci_profiles, impossible_profiles_are_refused_with_why)
{
    struct xhci_profile p = *xhci_profile_find("qemu");
    p.xcap = overlapping;
    cr_expect_not_null(xhci_profile_problem(&p), "ports 1..4 twice");
    p.xcap = looping;
    p.xcap_dwords = 1;
    cr_expect_not_null(xhci_profile_problem(&p), "a capability pointing at itself");
    p.xcap = gap;
    p.xcap_dwords = 4;
    cr_expect_not_null(xhci_profile_problem(&p), "port 1 belongs to no protocol");
    p = *xhci_profile_find("qemu");
    p.dboff = 0x1010;
    cr_expect_not_null(xhci_profile_problem(&p), "doorbells on the interrupters");
    p = *xhci_profile_find("qemu");
    p.bar_bytes = 0x3000;
    cr_expect_not_null(xhci_profile_problem(&p));
    p = *xhci_profile_find("qemu");
    p.hs_bulk_per_uframe = 14;
    cr_expect_not_null(xhci_profile_problem(&p), "more than 13 bulk packets a microframe");
    p.hs_bulk_per_uframe = 0;
    cr_expect_not_null(xhci_profile_problem(&p), "no bulk packets at all");
    p.hs_bulk_per_uframe = 13;
    cr_expect_null(xhci_profile_problem(&p), "13 is the spec's maximum");
}

/* The TI TUSB7340 as its datasheet and real hosts show it (docs/xhci-profiles.md 2). */
static const struct cap_fact ti_caps[] = {
    {0x000, 0x00960020, "HCIVERSION 0.96, CAPLENGTH 0x20"},
    {0x004, 0x08000840, "8 ports, 8 interrupters, 64 slots"},
    {0x008, 0x0c0000f1, "1 scratchpad, SPR, ERST Max 15, IST 1"},
    {0x00c, 0x07ff000a, "U2 2047 us, U1 10 us"},
    {0x010, 0x0270f06d, "xECP 0x9c0, MaxPSA 15, LTC, LHRC, PPC, CSZ, AC64"},
    {0x014, 0x000005c0, "DBOFF"},
    {0x018, 0x000004a0, "RTSOFF"},
    {0x9c0, 0x00000401, "USB legacy support"},
    {0x9d0, 0x02000402, "USB 2.0"},
    {0x9d8, 0x00010401, "ports 1..4, L1 capable"},
    {0x9e0, 0x03000002, "USB 3.0, the last"},
    {0x9e8, 0x00000405, "ports 5..8"},
};

Test(xhci_profiles, ti_tusb7340_reads_as_its_datasheet_says)
{
    xt_profile = *xhci_profile_find("ti-tusb7340");
    xt_setup_profile();
    for (size_t i = 0; i < sizeof ti_caps / sizeof ti_caps[0]; i++)
        cr_expect_eq(xt_rd(ti_caps[i].off), ti_caps[i].value, "0x%03x %s: 0x%08x", ti_caps[i].off,
                     ti_caps[i].what, xt_rd(ti_caps[i].off));
    struct pci_func *f = pci_fn_func(xhci_fn(xt_x));
    cr_expect_eq(f->desc.bar[2].size, 0x2000, "MSI-X in a BAR of its own");
    cr_expect_eq(f->desc.msix.table_bar, 2);
    cr_expect(f->desc.msi.present && f->desc.pm.present && f->desc.pcie.present);
    cr_expect_eq(xt_ir(0, XHCI_IR_IMOD), XHCI_IMOD_IMODI_DEFAULT, "the spec's reset value");
    xt_teardown();
}

Test(xhci_profiles, ti_tusb7340_is_not_ready_until_power_on_is_over)
{
    xt_profile = *xhci_profile_find("ti-tusb7340");
    xt_create();
    cr_expect_eq(xt_op(XHCI_OP_USBSTS), XHCI_USBSTS_HCH | XHCI_USBSTS_CNR, "0x801 at reset");
    xt_run_for(999 * SIM_US);
    cr_expect(xt_op(XHCI_OP_USBSTS) & XHCI_USBSTS_CNR);
    xt_run_for(2 * SIM_US);
    cr_expect_eq(xt_op(XHCI_OP_USBSTS), XHCI_USBSTS_HCH);
    xt_teardown();
}

/* ---- QEMU's quirks, kept by its profile ------------------------------------------------------ */

Test(xhci_profiles, qemu_sets_csc_on_every_port_at_reset_and_counts_mfindex_halted)
{
    xt_profile = *xhci_profile_find("qemu");
    xt_setup_profile();
    cr_expect_eq(xt_portsc(1), 0x000202a0u, "as docs/xhci-profiles.md 1.5 derives it");
    uint32_t before = xt_rd(xt_profile.rtsoff + XHCI_RT_MFINDEX);
    xt_run_for(1 * SIM_MS);
    cr_expect_eq((xt_rd(xt_profile.rtsoff + XHCI_RT_MFINDEX) - before) & XHCI_MFINDEX_MASK, 8,
                 "halted, and still counting");
    xt_teardown();
}
