/*
 * models/xhci's transfer rings driven by the test driver (xt_driver.h)
 * with gadget zero on a root port, on both profiles: enumeration at full,
 * high and SuperSpeed, bulk and interrupt data against gadget zero's
 * pattern and loopback, and the transfer clauses of the spec.
 */
#include "tests/models/xhci/xt_driver.h"

TestSuite(xhci_xfer, .fini = xd_teardown);

static const char *const profiles[] = {"qemu", "ti-tusb7340"};
#define PROFILES (sizeof profiles / sizeof profiles[0])

/* ---- enumeration ---------------------------------------------------------------------------- */

static void enumerate_at(const char *profile, enum usb_speed speed, uint32_t want_speed)
{
    xd_setup_named(profile, 2);
    struct usb_zero *z = xd_zero(speed, USB_ZERO_SOURCE_SINK);
    struct xd_dev d;
    xd_plug_and_enumerate(&d, z, xd_port_for(speed, 0));
    struct usb_dev *u = usb_zero_dev(z);
    cr_expect_eq(d.speed, want_speed, "%s: PORTSC speed %u", profile, d.speed);
    cr_expect_eq(usb_le16(d.dev_desc + USB_DEV_VENDOR), USB_ZERO_VENDOR_ID);
    cr_expect_eq(usb_le16(d.dev_desc + USB_DEV_PRODUCT), USB_ZERO_PRODUCT_ID);
    cr_expect_eq(usb_dev_state(u), USB_DEV_CONFIGURED, "%s", profile);
    cr_expect_eq(usb_dev_address(u), d.slot, "the address is the slot's number");
    cr_expect_eq(xd_out_slot_state(&d), XHCI_SLOT_STATE_CONFIGURED, "%s", profile);
    cr_expect_eq(xd_out_address(&d), d.slot);
    const uint32_t dcis[] = {XHCI_DCI_EP0, XD_DCI_BULK_OUT, XD_DCI_BULK_IN, XD_DCI_INTR_IN};
    for (uint32_t i = 0; i < 4; i++)
        cr_expect_eq(xd_out_ep_state(&d, dcis[i]), XHCI_EP_STATE_RUNNING, "%s DCI %u", profile, dcis[i]);
    cr_expect_eq((xd_out_dw(&d, 0, 0) & XHCI_SLOT_DW0_CTX_ENTRIES_MASK) >> XHCI_SLOT_DW0_CTX_ENTRIES_SHIFT,
                 XD_DCI_INTR_IN, "Context Entries: the last DCI");
    /* the bulk IN context as the descriptors (and at SuperSpeed the companion) give it */
    uint32_t dw1 = xd_out_dw(&d, XD_DCI_BULK_IN, 1);
    cr_expect_eq(dw1 >> XHCI_EP_DW1_MAX_PACKET_SHIFT, usb_speed_is_super(speed) ? 1024u : speed == USB_SPEED_HIGH ? 512u : 64u);
    cr_expect_eq((dw1 & XHCI_EP_DW1_MAX_BURST_MASK) >> XHCI_EP_DW1_MAX_BURST_SHIFT,
                 usb_speed_is_super(speed) ? USB_SSC_MAX_BURST_MAX : 0u, "%s: Max Burst", profile);
    cr_expect_eq((dw1 & XHCI_EP_DW1_TYPE_MASK) >> XHCI_EP_DW1_TYPE_SHIFT, XHCI_EP_TYPE_BULK_IN);
}

Test(xhci_xfer, gadget_zero_enumerates_at_high_speed_on_a_usb2_port)
{
    for (uint32_t i = 0; i < PROFILES; i++) {
        enumerate_at(profiles[i], USB_SPEED_HIGH, XHCI_SPEED_HIGH);
        xd_teardown();
    }
}

Test(xhci_xfer, gadget_zero_enumerates_at_superspeed_on_a_usb3_port)
{
    for (uint32_t i = 0; i < PROFILES; i++) {
        enumerate_at(profiles[i], USB_SPEED_SUPER, XHCI_SPEED_SUPER);
        xd_teardown();
    }
}

Test(xhci_xfer, gadget_zero_enumerates_at_full_speed_with_evaluate_context)
{
    for (uint32_t i = 0; i < PROFILES; i++) {
        enumerate_at(profiles[i], USB_SPEED_FULL, XHCI_SPEED_FULL);
        xd_teardown();
    }
}

/* ---- data ------------------------------------------------------------------------------------ */

/* A buffer that starts half-way into a 64 KiB block, so big TDs cross
 * boundaries and need several TRBs. */
static uint64_t straddling_buf(uint32_t bytes)
{
    return xd_alloc(bytes + 0x20000u, 0x10000) + 0x8000;
}

static void bulk_in_is_the_pattern_stream(enum usb_speed speed, const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, speed, USB_ZERO_SOURCE_SINK);
    uint64_t buf = straddling_buf(0x20000);
    const uint32_t sizes[] = {1, 511, 512, 513, 4096, 65536, 100000, 0x18000};
    uint64_t pos = 0;
    for (uint32_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint32_t got = 0;
        cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, buf, sizes[i], &got, NULL), XHCI_CC_SUCCESS,
                     "%s: %u bytes", profile, sizes[i]);
        cr_assert_eq(got, sizes[i]);
        xd_expect_pattern(buf, got, pos);
        pos += got;
    }
}

static void bulk_in_hs(const char *p) { bulk_in_is_the_pattern_stream(USB_SPEED_HIGH, p); }
static void bulk_in_ss(const char *p) { bulk_in_is_the_pattern_stream(USB_SPEED_SUPER, p); }

Test(xhci_xfer, bulk_in_data_is_gadget_zeros_pattern_across_tds_and_trbs)
{
    xd_each_profile(bulk_in_hs);
    xd_each_profile(bulk_in_ss);
}

static void fill_pattern(uint64_t pa, uint32_t n, uint64_t from)
{
    uint8_t *b = xt_host(pa, n);
    for (uint32_t i = 0; i < n; i++)
        b[i] = usb_zero_pattern(from + i);
}

static void bulk_out_sinks(const char *profile)
{
    struct xd_dev d;
    struct usb_zero *z = xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t buf = straddling_buf(100000);
    fill_pattern(buf, 100000, 0);
    uint32_t got = 0;
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_OUT, buf, 100000, &got, NULL), XHCI_CC_SUCCESS, "%s", profile);
    cr_expect_eq(got, 100000);
    /* the device's own count, read back through a vendor request on EP0 */
    cr_assert_eq(xd_control(&d, USB_RT_DIR_IN | USB_RT_TYPE_VENDOR << USB_RT_TYPE_SHIFT,
                            USB_ZERO_REQ_COUNTERS, 0, 0, USB_ZERO_COUNTERS_BYTES, &got), XHCI_CC_SUCCESS);
    cr_assert_eq(got, USB_ZERO_COUNTERS_BYTES);
    const uint8_t *c = xt_host(d.buf, USB_ZERO_COUNTERS_BYTES);
    cr_expect_eq(c[USB_ZERO_CNT_OUT_BYTES] | c[USB_ZERO_CNT_OUT_BYTES + 1] << 8 |
                 c[USB_ZERO_CNT_OUT_BYTES + 2] << 16, 100000);
    struct usb_zero_counters k;
    usb_zero_counters(z, &k);
    cr_expect_eq(k.mismatches, 0, "%s: the sink saw the pattern", profile);
}

Test(xhci_xfer, bulk_out_in_source_sink_mode_reaches_the_sink_unchanged)
{
    xd_each_profile(bulk_out_sinks);
}

static void loopback(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_SUPER, USB_ZERO_LOOPBACK);
    struct sim_rng r;
    sim_rng_seed(&r, 11);
    uint64_t out = xd_alloc(8192, 64), in = xd_alloc(8192, 64);
    uint8_t *o = xt_host(out, 3000);
    for (uint32_t i = 0; i < 3000; i++)
        o[i] = (uint8_t)sim_rng_next(&r);
    uint32_t got = 0;
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_OUT, out, 3000, &got, NULL), XHCI_CC_SUCCESS, "%s", profile);
    struct xd_event ev;
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, in, 4096, &got, &ev), XHCI_CC_SHORT_PACKET,
                 "%s: less than asked for is a short packet", profile);
    cr_expect_eq(xd_ev_len(&ev), 4096 - 3000, "the residue");
    cr_assert_eq(got, 3000);
    cr_expect_eq(memcmp(xt_host(in, 3000), o, 3000), 0, "what went out came back");
}

Test(xhci_xfer, bulk_out_in_loopback_mode_comes_back_on_bulk_in)
{
    xd_each_profile(loopback);
}

static void interrupt_counter(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t buf = xd_alloc(64, 64);
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t got = 0;
        cr_assert_eq(xd_transfer(&d, XD_DCI_INTR_IN, buf, 4, &got, NULL), XHCI_CC_SUCCESS, "%s", profile);
        cr_expect_eq(got, 4);
        cr_expect_eq(xd_rd32(buf), i, "%s: the count of interrupt INs before it", profile);
    }
    struct xd_event ev;
    uint32_t got = 0;
    cr_assert_eq(xd_transfer(&d, XD_DCI_INTR_IN, buf, 8, &got, &ev), XHCI_CC_SHORT_PACKET);
    cr_expect_eq(xd_ev_len(&ev), 4);
    cr_expect_eq(xd_rd32(buf), 3);
    cr_assert_eq(xd_transfer(&d, XD_DCI_INTR_IN, buf, 2, &got, &ev), XHCI_CC_BABBLE_DETECTED,
                 "two bytes of room for a four-byte answer");
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_INTR_IN), XHCI_EP_STATE_HALTED);
}

Test(xhci_xfer, interrupt_in_counts_and_babble_halts_it)
{
    xd_each_profile(interrupt_counter);
}

/* ---- short packets, Event Data [4.10.1.1, 4.11.5.2] ------------------------------------------- */

#define NORMAL XD_TRB_TYPE(XHCI_TRB_TYPE_NORMAL)
#define EVENT_DATA XD_TRB_TYPE(XHCI_TRB_TYPE_EVENT_DATA)

/* Loopback with `n` bytes queued in the device (sent by bulk OUT). */
static void queue_in_device(struct xd_dev *d, uint32_t n)
{
    uint64_t out = xd_alloc(n, 64);
    fill_pattern(out, n, 0);
    cr_assert_eq(xd_transfer(d, XD_DCI_BULK_OUT, out, n, NULL, NULL), XHCI_CC_SUCCESS);
}

static void short_packet_skips_the_td(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_LOOPBACK);
    queue_in_device(&d, 1000);
    uint64_t buf = xd_alloc(4096, 64);
    uint64_t t0 = xd_put(&d, XD_DCI_BULK_IN, buf, 512, NORMAL | XHCI_TRB_CH | XHCI_TRB_ISP);
    uint64_t t1 = xd_put(&d, XD_DCI_BULK_IN, buf + 512, 1024, NORMAL | XHCI_TRB_CH | XHCI_TRB_ISP);
    uint64_t t2 = xd_put(&d, XD_DCI_BULK_IN, buf + 1536, 512, NORMAL | XHCI_TRB_IOC | XHCI_TRB_ISP);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    struct xd_event ev;
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "%s", profile);
    cr_expect_eq(ev.param, t1, "the event names the TRB the short packet ended");
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SHORT_PACKET);
    cr_expect_eq(xd_ev_len(&ev), 1024 - 488, "that TRB's residue");
    xd_run_for(5 * SIM_MS);
    cr_expect_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_IN), 0,
                 "the TD's last TRB (IOC) was skipped: no second event");
    (void)t0;
    (void)t2;
    /* the next TD starts after the skipped one */
    queue_in_device(&d, 100);
    uint32_t got = 0;
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, buf, 100, &got, &ev), XHCI_CC_SUCCESS);
    cr_expect_eq(got, 100);
    cr_expect(ev.param > t2 || ev.param < t0, "a TRB after the skipped TD");
}

Test(xhci_xfer, a_short_packet_reports_its_residue_and_skips_the_rest_of_the_td)
{
    xd_each_profile(short_packet_skips_the_td);
}

static void isp_without_ioc(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_LOOPBACK);
    queue_in_device(&d, 100);
    uint64_t buf = xd_alloc(4096, 64);
    /* ISP alone: an event only because it is short */
    uint64_t t = xd_put(&d, XD_DCI_BULK_IN, buf, 512, NORMAL | XHCI_TRB_ISP);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    struct xd_event ev;
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "%s", profile);
    cr_expect_eq(ev.param, t);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SHORT_PACKET);
    cr_expect_eq(xd_ev_len(&ev), 412);
    /* ISP on a TRB that is not short: no event; IOC alone when short: Short Packet */
    queue_in_device(&d, 700);
    (void)xd_put(&d, XD_DCI_BULK_IN, buf, 512, NORMAL | XHCI_TRB_ISP);
    t = xd_put(&d, XD_DCI_BULK_IN, buf, 512, NORMAL | XHCI_TRB_IOC);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev));
    cr_expect_eq(ev.param, t, "the full TRB with ISP wrote no event");
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SHORT_PACKET);
    cr_expect_eq(xd_ev_len(&ev), 512 - 188);
}

Test(xhci_xfer, isp_asks_for_an_event_only_when_the_trb_is_short)
{
    xd_each_profile(isp_without_ioc);
}

static void event_data_reports_edtla(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_LOOPBACK);
    uint64_t buf = xd_alloc(4096, 64);
    struct xd_event ev;
    /* whole: Normal 512 + Normal 1024 + Event Data (IOC) */
    queue_in_device(&d, 1536);
    (void)xd_put(&d, XD_DCI_BULK_IN, buf, 512, NORMAL | XHCI_TRB_CH);
    (void)xd_put(&d, XD_DCI_BULK_IN, buf + 512, 1024, NORMAL | XHCI_TRB_CH);
    (void)xd_put(&d, XD_DCI_BULK_IN, 0x1234567800ull, 0, EVENT_DATA | XHCI_TRB_IOC);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "%s", profile);
    cr_expect(ev.control & XHCI_TRB_ED, "an Event Data event");
    cr_expect_eq(ev.param, 0x1234567800ull, "its parameter is the Event Data TRB's");
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
    cr_expect_eq(xd_ev_len(&ev), 1536, "EDTLA: the TD's bytes");
    /* short: the Event Data TRB still runs and says so */
    queue_in_device(&d, 700);
    (void)xd_put(&d, XD_DCI_BULK_IN, buf, 512, NORMAL | XHCI_TRB_CH);
    (void)xd_put(&d, XD_DCI_BULK_IN, buf + 512, 1024, NORMAL | XHCI_TRB_CH);
    (void)xd_put(&d, XD_DCI_BULK_IN, 0xabcdef00ull, 0, EVENT_DATA | XHCI_TRB_IOC);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev));
    cr_expect(ev.control & XHCI_TRB_ED);
    cr_expect_eq(ev.param, 0xabcdef00ull);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SHORT_PACKET);
    cr_expect_eq(xd_ev_len(&ev), 700, "EDTLA counts what moved before the short packet");
}

Test(xhci_xfer, an_event_data_trb_reports_the_td_length_in_edtla)
{
    xd_each_profile(event_data_reports_edtla);
}

/* ---- malformed TRBs: TRB Error and the Error state [6.4.1.1, 4.8.3] --------------------------- */

static void trb_error_then_recover(struct xd_dev *d, uint64_t bad, const char *what)
{
    struct xd_event ev;
    xd_doorbell(d, XD_DCI_BULK_IN);
    cr_assert(xd_wait_xfer(d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "%s", what);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_TRB_ERROR, "%s: cc %u", what, xd_ev_cc(&ev));
    cr_expect_eq(ev.param, bad, "%s", what);
    cr_expect_eq(xd_out_ep_state(d, XD_DCI_BULK_IN), XHCI_EP_STATE_ERROR, "%s", what);
    cr_expect_eq(xd_out_ep_deq(d, XD_DCI_BULK_IN) & ~1ull, bad, "%s: dequeue stays on it", what);
    cr_expect_eq(xd_cmd_slot(XHCI_TRB_TYPE_RESET_EP, d->slot, XD_DCI_BULK_IN, 0, 0),
                 XHCI_CC_CONTEXT_STATE_ERROR, "%s: Reset Endpoint is for Halted", what);
    cr_expect_eq(xd_set_deq_here(d, XD_DCI_BULK_IN), XHCI_CC_SUCCESS, "%s", what);
    cr_expect_eq(xd_out_ep_state(d, XD_DCI_BULK_IN), XHCI_EP_STATE_STOPPED);
    uint64_t buf = xd_alloc(512, 64);
    uint32_t got = 0;
    cr_expect_eq(xd_transfer(d, XD_DCI_BULK_IN, buf, 512, &got, NULL), XHCI_CC_SUCCESS,
                 "%s: the doorbell restarts it", what);
}

static void malformed(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t blk = xd_alloc(0x20000, 0x10000);
    uint64_t bad = xd_put(&d, XD_DCI_BULK_IN, blk + 0xf000, 0x2000, NORMAL | XHCI_TRB_IOC);
    trb_error_then_recover(&d, bad, "a buffer across a 64 KiB boundary");
    bad = xd_put(&d, XD_DCI_BULK_IN, blk, 0x10001, NORMAL | XHCI_TRB_IOC);
    trb_error_then_recover(&d, bad, "more than 64 KiB in one TRB");
    bad = xd_put(&d, XD_DCI_BULK_IN, 0x0102030405060708ull, 8, NORMAL | XHCI_TRB_IOC | XHCI_TRB_IDT);
    trb_error_then_recover(&d, bad, "immediate data on an IN endpoint");
    bad = xd_put(&d, XD_DCI_BULK_IN, blk, 64, XD_TRB_TYPE(XHCI_TRB_TYPE_SETUP_STAGE) | XHCI_TRB_IOC);
    trb_error_then_recover(&d, bad, "a Setup Stage TRB on a bulk ring");
    bad = xd_put(&d, XD_DCI_BULK_IN, blk, 64, XD_TRB_TYPE(XHCI_TRB_TYPE_ISOCH) | XHCI_TRB_IOC);
    trb_error_then_recover(&d, bad, "an Isoch TRB (no isochronous endpoints)");
    (void)profile;
}

Test(xhci_xfer, malformed_trbs_are_trb_errors_that_put_the_endpoint_in_error)
{
    xd_each_profile(malformed);
}

static void immediate_data(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_LOOPBACK);
    struct xd_event ev;
    (void)xd_put(&d, XD_DCI_BULK_OUT, 0x4f4c4c4548ull, 5, NORMAL | XHCI_TRB_IDT | XHCI_TRB_IOC); /* "HELLO" */
    xd_doorbell(&d, XD_DCI_BULK_OUT);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_OUT, XD_TIMEOUT, &ev), "%s", profile);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
    uint64_t buf = xd_alloc(64, 64);
    uint32_t got = 0;
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, buf, 64, &got, NULL), XHCI_CC_SHORT_PACKET);
    cr_assert_eq(got, 5);
    cr_expect_eq(memcmp(xt_host(buf, 5), "HELLO", 5), 0, "the parameter's bytes went out");
    /* the driver's own immediate TD: 8 bytes from memory into the TRB */
    uint64_t src = xd_alloc(8, 8);
    memcpy(xt_host(src, 8), "iosim-8b", 8);
    struct xd_td td;
    xd_queue_td(&d, XD_DCI_BULK_OUT, src, 8, XD_IOC | XD_IDT, &td);
    xd_doorbell(&d, XD_DCI_BULK_OUT);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_OUT, XD_TIMEOUT, &ev));
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, buf, 64, &got, NULL), XHCI_CC_SHORT_PACKET);
    cr_expect_eq(memcmp(xt_host(buf, 8), "iosim-8b", 8), 0, "%s", profile);
    uint64_t bad = xd_put(&d, XD_DCI_BULK_OUT, 0, 9, NORMAL | XHCI_TRB_IDT | XHCI_TRB_IOC);
    xd_doorbell(&d, XD_DCI_BULK_OUT);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_OUT, XD_TIMEOUT, &ev));
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_TRB_ERROR, "IDT holds at most 8 bytes");
    cr_expect_eq(ev.param, bad);
}

Test(xhci_xfer, immediate_data_is_out_only_and_at_most_8_bytes)
{
    xd_each_profile(immediate_data);
}

/* ---- rings: Link TRBs with toggle, TDs across them [4.9.2, 4.11.5.1] ---------------------------- */

static void small_ring(const char *profile)
{
    struct xd_dev d;
    struct usb_zero *z = xd_zero(USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    cr_assert_eq(xhci_usb_attach(xt_x, xd_port_for(USB_SPEED_HIGH, 0), usb_zero_dev(z)), IOSIM_OK);
    xd_dev_init(&d, xd_port_for(USB_SPEED_HIGH, 0));
    d.ring_trbs = 8; /* 7 TRBs and the Link */
    xd_port_up(&d);
    cr_assert_eq(xd_enable_slot(&d), XHCI_CC_SUCCESS);
    cr_assert_eq(xd_address(&d, false), XHCI_CC_SUCCESS);
    xd_describe_and_configure(&d, 3);
    uint64_t buf = straddling_buf(0x50000);
    uint64_t pos = 0;
    uint32_t wraps = 0;
    bool pcs = d.ep[XD_DCI_BULK_IN].ring.pcs;
    for (uint32_t i = 0; i < 24; i++) {
        uint32_t n = 0x10000u + 0x2800u * i; /* 2 to 4 TRBs: many TDs span the Link */
        uint32_t got = 0;
        cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, buf, n, &got, NULL), XHCI_CC_SUCCESS,
                     "%s: TD %u", profile, i);
        cr_assert_eq(got, n);
        xd_expect_pattern(buf, n, pos);
        pos += n;
        wraps += d.ep[XD_DCI_BULK_IN].ring.pcs != pcs;
        pcs = d.ep[XD_DCI_BULK_IN].ring.pcs;
    }
    cr_expect_geq(wraps, 8, "the ring wrapped (%u times), the cycle bit toggling", wraps);
    cr_expect_eq(xd_out_ep_state(&d, XHCI_DCI_EP0), XHCI_EP_STATE_RUNNING);
}

Test(xhci_xfer, link_trbs_toggle_the_cycle_and_tds_cross_them)
{
    xd_each_profile(small_ring);
}

/* ---- BEI [4.17.5] ------------------------------------------------------------------------------ */

static void bei(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t buf = xd_alloc(4096, 64);
    uint64_t irqs = xhci_stats(xt_x)->interrupts, ips = xd.ip_seen;
    struct xd_td td;
    struct xd_event ev;
    xd_queue_td(&d, XD_DCI_BULK_IN, buf, 4096, XD_IOC | XD_BEI, &td);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "%s: the event is written", profile);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
    cr_expect_eq(xhci_stats(xt_x)->interrupts, irqs, "%s: BEI: no interrupt", profile);
    cr_expect_eq(xd.ip_seen, ips, "nor IMAN.IP");
    xd_queue_td(&d, XD_DCI_BULK_IN, buf, 4096, XD_IOC, &td);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev));
    cr_expect_eq(xhci_stats(xt_x)->interrupts, irqs + 1, "without BEI it interrupts");
    cr_expect_eq(xd.ip_seen, ips + 1);
}

Test(xhci_xfer, bei_writes_the_event_without_an_interrupt)
{
    xd_each_profile(bei);
}

/* ---- several endpoints at once ---------------------------------------------------------------- */

/* Bulk IN and bulk OUT in flight together (and a control transfer beside
 * a bulk OUT): each TRB's data stays its own. */
static void concurrent(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t in = xd_alloc(0x10000, 0x10000), out = xd_alloc(0x10000, 0x10000);
    memset(xt_host(out, 0x10000), 0x42, 0x10000); /* the sink counts, does not refuse */
    memset(xt_host(in, 0x10000), 0xee, 0x10000);
    struct xd_td ti, to;
    struct xd_event ev;
    xd_queue_td(&d, XD_DCI_BULK_IN, in, 0x10000, XD_IOC, &ti);
    xd_queue_td(&d, XD_DCI_BULK_OUT, out, 0x10000, XD_IOC, &to);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    xd_doorbell(&d, XD_DCI_BULK_OUT);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "%s", profile);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_OUT, XD_TIMEOUT, &ev), "%s", profile);
    xd_expect_pattern(in, 0x10000, 0);
    /* EP0 IN beside a bulk OUT of other bytes */
    uint64_t data_trb, status_trb;
    xd_queue_control(&d, USB_RT_DIR_IN, USB_REQ_GET_DESCRIPTOR, USB_DT_DEVICE << USB_DESC_TYPE_SHIFT, 0,
                     USB_DT_DEVICE_BYTES, &data_trb, &status_trb);
    xd_queue_td(&d, XD_DCI_BULK_OUT, out, 0x10000, XD_IOC, &to);
    xd_doorbell(&d, XHCI_DCI_EP0);
    xd_doorbell(&d, XD_DCI_BULK_OUT);
    cr_assert(xd_wait_xfer(&d, XHCI_DCI_EP0, XD_TIMEOUT, &ev));
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_OUT, XD_TIMEOUT, &ev));
    cr_expect_eq(memcmp(xt_host(d.buf, USB_DT_DEVICE_BYTES), d.dev_desc, USB_DT_DEVICE_BYTES), 0,
                 "%s: the device descriptor as read alone", profile);
}

Test(xhci_xfer, transfers_on_several_endpoints_at_once_keep_their_data)
{
    xd_each_profile(concurrent);
}

/* ---- enumeration the older way, and the event ring's segments ------------------------------------- */

/* Address Device with BSR=1 first: the slot is Default and the device
 * still at address 0, where the driver reads the first 8 bytes of the
 * device descriptor; then BSR=0 sends SET_ADDRESS [4.6.5, 4.3.4]. */
static void bsr_first(const char *profile)
{
    struct usb_zero *z = xd_zero(USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint32_t port = xd_port_for(USB_SPEED_HIGH, 0);
    cr_assert_eq(xhci_usb_attach(xt_x, port, usb_zero_dev(z)), IOSIM_OK);
    struct xd_dev d;
    xd_dev_init(&d, port);
    xd_port_up(&d);
    cr_assert_eq(xd_enable_slot(&d), XHCI_CC_SUCCESS);
    cr_assert_eq(xd_address(&d, true), XHCI_CC_SUCCESS, "%s", profile);
    cr_expect_eq(xd_out_slot_state(&d), XHCI_SLOT_STATE_DEFAULT);
    cr_expect_eq(usb_dev_state(usb_zero_dev(z)), USB_DEV_DEFAULT, "no SET_ADDRESS went out");
    uint32_t got = 0;
    cr_assert_eq(xd_get_descriptor(&d, USB_DT_DEVICE, 0, 8, &got), XHCI_CC_SUCCESS, "%s: EP0 at address 0", profile);
    cr_expect_eq(got, 8);
    cr_expect_eq(*(uint8_t *)xt_host(d.buf + USB_DEV_MAX_PACKET0, 1), 64);
    cr_assert_eq(xd_address(&d, false), XHCI_CC_SUCCESS);
    cr_expect_eq(xd_out_slot_state(&d), XHCI_SLOT_STATE_ADDRESSED);
    cr_expect_eq(usb_dev_address(usb_zero_dev(z)), d.slot);
    xd_describe_and_configure(&d, 3);
    uint64_t buf = xd_alloc(4096, 64);
    cr_expect_eq(xd_transfer(&d, XD_DCI_BULK_IN, buf, 4096, &got, NULL), XHCI_CC_SUCCESS);
    xd_expect_pattern(buf, 4096, 0);
}

Test(xhci_xfer, enumeration_with_bsr_reads_the_descriptor_at_address_0_first)
{
    xd_each_profile(bsr_first);
}

/* More events than one segment holds: the driver follows the controller
 * from segment to segment and through the cycle toggle at the wrap (qemu
 * takes one segment, TI several) [4.9.4]. */
static void event_segments(const char *profile)
{
    const uint32_t n = 3 * 256 + 10;
    uint64_t first = xd.events_seen;
    for (uint32_t i = 0; i < n; i++)
        cr_assert_eq(xd_cmd(0, 0, XD_TRB_TYPE(XHCI_TRB_TYPE_NOOP_CMD)), XHCI_CC_SUCCESS, "%s: No Op %u",
                     profile, i);
    cr_expect_eq(xd.events_seen - first, n, "%s: every completion seen once", profile);
    cr_expect_eq(xhci_stats(xt_x)->events_dropped, 0, "%s: nothing dropped", profile);
    cr_log_info("%s: %u completions over %u event ring segment(s)", profile, n, xd.ev_segs);
}

Test(xhci_xfer, the_event_ring_wraps_across_its_segments)
{
    xd_each_profile(event_segments);
}
