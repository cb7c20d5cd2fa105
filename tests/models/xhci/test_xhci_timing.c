/*
 * models/xhci's bus timing as a driver sees it (xt_driver.h, both
 * profiles): a 64 KiB bulk TD at high speed takes the packets' microframes
 * at the profile's packets per microframe, SuperSpeed is bound by 5 Gb/s
 * with 8b/10b, a stream of 64 KiB TDs runs at the rate those give (the
 * figures go to the log), a NAKed transfer is retried at the next
 * microframe, and an interrupt endpoint is served once per interval.
 * Expectations are computed from the profile's fields and the USB
 * figures (impl/port/spec/usb_ch9.h), not written in as numbers.
 */
#include "tests/models/xhci/xt_driver.h"

TestSuite(xhci_timing, .fini = xd_teardown);

static const char *const profiles[] = {"qemu", "ti-tusb7340"};
#define PROFILES (sizeof profiles / sizeof profiles[0])
#define UFRAME_PS ((sim_time_ps)XHCI_MFINDEX_TICK_NS * SIM_NS)
#define KIB64 0x10000u

/* What the controller adds to a TRB's bus time: the doorbell, the fetch,
 * the event write, and its DMA where that is the slower path. */
static sim_time_ps overhead_ps(uint32_t bytes)
{
    return xt_profile.doorbell_ps + xt_profile.trb_fetch_ps + xt_profile.event_ps +
           (sim_time_ps)bytes * xt_profile.dma_ps_per_kib / 1024u;
}

/* One TD of `bytes` on `dci`, timed from the doorbell to its event. */
static sim_time_ps time_td(struct xd_dev *d, uint32_t dci, uint64_t buf, uint32_t bytes)
{
    struct xd_td td;
    struct xd_event ev;
    xd_queue_td(d, dci, buf, bytes, XD_IOC, &td);
    sim_time_ps t0 = xd_now();
    xd_doorbell(d, dci);
    cr_assert(xd_wait_xfer(d, dci, XD_TIMEOUT, &ev));
    cr_assert_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
    return ev.at_ps - t0;
}

static void hs_64k(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t buf = xd_alloc(KIB64, KIB64);
    uint32_t packets = KIB64 / USB_HS_BULK_MPS;
    sim_time_ps bus = (sim_time_ps)packets * UFRAME_PS / xt_profile.hs_bulk_per_uframe;
    const uint32_t dcis[] = {XD_DCI_BULK_IN, XD_DCI_BULK_OUT};
    for (uint32_t i = 0; i < 2; i++) {
        sim_time_ps t = time_td(&d, dcis[i], buf, KIB64);
        cr_log_info("%s: 64 KiB bulk %s at high speed: %.1f us (%u packets at %u per microframe: %.1f us)",
                    profile, i == 0 ? "IN" : "OUT", t / 1e6, packets, xt_profile.hs_bulk_per_uframe, bus / 1e6);
        cr_expect_geq(t, bus, "%s: not faster than the microframes allow", profile);
        cr_expect_leq(t, bus + overhead_ps(KIB64), "%s: %llu ps", profile, (unsigned long long)t);
    }
}

Test(xhci_timing, a_64k_bulk_td_at_high_speed_takes_its_microframes)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        hs_64k(profiles[p]);
        xd_teardown();
    }
}

/* SuperSpeed: 5 Gb/s with 8b/10b is 2 ns a byte; the model adds packet
 * framing (at most 32 bytes of 1024, USB 3.2 figures) and a gap after
 * each burst of bMaxBurst + 1 packets. */
static void ss_64k(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_SUPER, USB_ZERO_SOURCE_SINK);
    uint64_t buf = xd_alloc(KIB64, KIB64);
    sim_time_ps wire = (sim_time_ps)KIB64 * 10u * SIM_MS / USB_SS_KBPS; /* 10 bits a byte */
    uint32_t burst = d.ep[XD_DCI_BULK_IN].burst + 1u, packets = KIB64 / USB_SS_BULK_MPS;
    sim_time_ps gaps = (sim_time_ps)((packets + burst - 1) / burst) * xt_profile.ss_burst_gap_ps;
    sim_time_ps t = time_td(&d, XD_DCI_BULK_IN, buf, KIB64);
    cr_log_info("%s: 64 KiB bulk IN at SuperSpeed: %.1f us (wire %.1f us, %u bursts)", profile, t / 1e6,
                wire / 1e6, (packets + burst - 1) / burst);
    cr_expect_geq(t, wire + gaps, "%s: not faster than the wire", profile);
    cr_expect_leq(t, wire + wire / 32u + gaps + overhead_ps(KIB64), "%s: %llu ps", profile,
                  (unsigned long long)t);
}

Test(xhci_timing, a_64k_bulk_td_at_superspeed_is_bound_by_the_5_gbps_wire)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        ss_64k(profiles[p]);
        xd_teardown();
    }
}

/* A stream of `n` 64 KiB TDs queued at once; the rate in bytes per second. */
static double stream_rate(enum usb_speed speed, uint32_t n, sim_time_ps *first_ps)
{
    struct xd_dev d;
    (void)xd_up(&d, speed, USB_ZERO_SOURCE_SINK);
    uint64_t buf = xd_alloc(KIB64, KIB64);
    struct xd_td td;
    for (uint32_t i = 0; i < n; i++)
        xd_queue_td(&d, XD_DCI_BULK_IN, buf, KIB64, XD_IOC, &td);
    sim_time_ps t0 = xd_now();
    xd_doorbell(&d, XD_DCI_BULK_IN);
    struct xd_event ev;
    for (uint32_t i = 0; i < n; i++) {
        cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev));
        cr_assert_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
        if (i == 0)
            *first_ps = ev.at_ps - t0;
    }
    xd_expect_pattern(buf, KIB64, (uint64_t)(n - 1) * KIB64);
    return (double)n * KIB64 / ((double)(ev.at_ps - t0) / SIM_S);
}

Test(xhci_timing, a_stream_of_64k_tds_runs_at_the_bus_rate)
{
    const uint32_t n = 64;
    for (uint32_t p = 0; p < PROFILES; p++) {
        sim_time_ps first = 0;
        xd_setup_named(profiles[p], 1);
        double hs = stream_rate(USB_SPEED_HIGH, n, &first);
        xd_teardown();
        xd_setup_named(profiles[p], 1);
        double ss = stream_rate(USB_SPEED_SUPER, n, &first);
        xd_teardown();
        const struct xhci_profile *pr = xhci_profile_find(profiles[p]);
        double hs_bus = (double)pr->hs_bulk_per_uframe * USB_HS_BULK_MPS / (XHCI_MFINDEX_TICK_NS * 1e-9);
        double hs_max = 13.0 * USB_HS_BULK_MPS / (XHCI_MFINDEX_TICK_NS * 1e-9); /* USB 2.0: 13 a microframe */
        double ss_wire = USB_SS_KBPS * 1000.0 / 10.0;                         /* 8b/10b */
        cr_log_info("%s: %u x 64 KiB bulk IN: high speed %.2f MB/s (bus %.2f), SuperSpeed %.2f MB/s (wire %.2f)",
                    profiles[p], n, hs / 1e6, hs_bus / 1e6, ss / 1e6, ss_wire / 1e6);
        cr_expect_leq(hs, hs_max, "%s: high speed above USB 2.0's bulk maximum", profiles[p]);
        cr_expect_geq(hs, hs_bus * 0.98, "%s: high speed well below its bus rate", profiles[p]);
        cr_expect_leq(hs, hs_bus * 1.0001, "%s", profiles[p]);
        /* the controller's DMA overlaps the bus: the slower of the two bounds it */
        double dma = pr->dma_ps_per_kib != 0 ? 1024.0 / ((double)pr->dma_ps_per_kib * 1e-12) : ss_wire;
        double ss_bound = dma < ss_wire ? dma : ss_wire;
        cr_log_info("%s: SuperSpeed bound %.2f MB/s (DMA %.2f)", profiles[p], ss_bound / 1e6, dma / 1e6);
        cr_expect_leq(ss, ss_bound, "%s: SuperSpeed above the wire or the DMA", profiles[p]);
        cr_expect_geq(ss, ss_bound * 0.8, "%s: SuperSpeed far below its bound", profiles[p]);
        cr_expect_gt(ss, 5.0 * hs, "%s: SuperSpeed much faster than high speed", profiles[p]);
    }
}

/* ---- NAK retries and periodic service ------------------------------------------------------------ */

static void nak_retry_at_next_uframe(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_LOOPBACK);
    uint64_t in = xd_alloc(512, 64), out = xd_alloc(512, 64);
    struct xd_td td;
    struct xd_event ev;
    xd_queue_td(&d, XD_DCI_BULK_IN, in, 512, XD_IOC, &td);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    xd_run_for(1 * SIM_MS + 37 * SIM_US); /* parked, mid-microframe */
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_OUT, out, 512, NULL, &ev), XHCI_CC_SUCCESS);
    sim_time_ps ready = ev.at_ps;
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev));
    sim_time_ps one_packet = UFRAME_PS / xt_profile.hs_bulk_per_uframe;
    cr_expect_leq(ev.at_ps - ready, UFRAME_PS + one_packet + overhead_ps(512),
                  "%s: retried by the next microframe: %llu ps", profile, (unsigned long long)(ev.at_ps - ready));
}

Test(xhci_timing, a_naked_transfer_is_retried_at_the_next_microframe)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        nak_retry_at_next_uframe(profiles[p]);
        xd_teardown();
    }
}

/* Gadget zero's interrupt IN has bInterval 4 at high speed: 2^(4-1)
 * microframes, 1 ms; the controller serves it at most once an interval
 * [xHCI 4.14.2, 6.2.3.6]. */
static void interrupt_interval(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint32_t interval = d.ep[XD_DCI_INTR_IN].interval;
    sim_time_ps period = UFRAME_PS << interval;
    uint64_t buf = xd_alloc(64, 64);
    struct xd_td td;
    const uint32_t n = 8;
    for (uint32_t i = 0; i < n; i++)
        xd_queue_td(&d, XD_DCI_INTR_IN, buf + 4 * i, 4, XD_IOC, &td);
    xd_doorbell(&d, XD_DCI_INTR_IN);
    sim_time_ps at[8];
    for (uint32_t i = 0; i < n; i++) {
        struct xd_event ev;
        cr_assert(xd_wait_xfer(&d, XD_DCI_INTR_IN, XD_TIMEOUT, &ev));
        cr_assert_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
        at[i] = ev.at_ps;
        cr_expect_eq(xd_rd32(buf + 4 * i), i);
    }
    for (uint32_t i = 1; i < n; i++)
        cr_expect_geq(at[i] - at[i - 1], period - overhead_ps(4), "%s: TD %u %llu ps after the one before",
                      profile, i, (unsigned long long)(at[i] - at[i - 1]));
    cr_log_info("%s: %u interrupt INs (Interval %u) over %.3f ms", profile, n, interval,
                (at[n - 1] - at[0]) / 1e9);
}

Test(xhci_timing, an_interrupt_endpoint_is_served_once_per_interval)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        interrupt_interval(profiles[p]);
        xd_teardown();
    }
}
