/*
 * models/xhci's transfer error paths, driven by the test driver
 * (xt_driver.h) on both profiles: STALL and the recovery the spec gives
 * (Reset Endpoint, Set TR Dequeue Pointer, CLEAR_FEATURE), NAK parking,
 * Stop Endpoint on a transfer in progress and the doorbell that resumes
 * it, hot unplug in the middle of a transfer and the re-plug, and
 * transaction errors retried CErr times [xHCI 4.6.8 - 4.6.10, 4.10.2].
 */
#include "tests/models/xhci/xt_driver.h"

TestSuite(xhci_xfer_errors, .fini = xd_teardown);

static const char *const profiles[] = {"qemu", "ti-tusb7340"};
#define PROFILES (sizeof profiles / sizeof profiles[0])
#define NORMAL XD_TRB_TYPE(XHCI_TRB_TYPE_NORMAL)
#define RT_VENDOR_IN (USB_RT_DIR_IN | USB_RT_TYPE_VENDOR << USB_RT_TYPE_SHIFT)

/* ---- STALL [4.10.2.1, 4.6.8, 4.6.10] ----------------------------------------------------------- */

static void bulk_stall(const char *profile)
{
    struct xd_dev d;
    struct usb_zero *z = xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t buf = xd_alloc(4096, 64);
    cr_assert_eq(usb_zero_halt(z, USB_ZERO_EP_BULK_IN), IOSIM_OK);
    struct xd_td td;
    struct xd_event ev;
    xd_queue_td(&d, XD_DCI_BULK_IN, buf, 4096, XD_IOC | XD_ISP, &td);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "%s", profile);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_STALL_ERROR);
    cr_expect_eq(ev.param, td.addr[0]);
    cr_expect_eq(xd_ev_len(&ev), 4096, "nothing moved");
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), XHCI_EP_STATE_HALTED);
    cr_expect_eq(xd_out_ep_deq(&d, XD_DCI_BULK_IN), td.addr[0] | 1u, "dequeue on the TRB that stalled");
    /* a doorbell does not restart a halted endpoint */
    xd_doorbell(&d, XD_DCI_BULK_IN);
    xd_run_for(5 * SIM_MS);
    cr_expect_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_IN), 0);
    cr_expect_eq(xd_cmd_slot(XHCI_TRB_TYPE_SET_TR_DEQUEUE, d.slot, XD_DCI_BULK_IN, td.addr[0] + 16, 1),
                 XHCI_CC_CONTEXT_STATE_ERROR, "Set TR Dequeue needs Stopped or Error");
    cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_RESET_EP, d.slot, XD_DCI_BULK_IN, 0, 0), XHCI_CC_SUCCESS);
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), XHCI_EP_STATE_STOPPED, "Reset Endpoint: Stopped");
    cr_assert_eq(xd_set_deq_here(&d, XD_DCI_BULK_IN), XHCI_CC_SUCCESS);
    cr_expect_eq(xd_out_ep_deq(&d, XD_DCI_BULK_IN), xd_ring_enq(&d.ep[XD_DCI_BULK_IN].ring));
    cr_assert_eq(xd_clear_halt(&d, USB_ZERO_EP_BULK_IN), XHCI_CC_SUCCESS);
    uint32_t got = 0;
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, buf, 4096, &got, NULL), XHCI_CC_SUCCESS, "%s", profile);
    xd_expect_pattern(buf, 4096, 0);
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), XHCI_EP_STATE_RUNNING);
}

Test(xhci_xfer_errors, a_stall_halts_the_endpoint_until_reset_endpoint_and_set_tr_dequeue)
{
    xd_each_profile(bulk_stall);
}

static void ep0_stall(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_SUPER, USB_ZERO_SOURCE_SINK);
    uint64_t data_trb, status_trb;
    xd_queue_control(&d, RT_VENDOR_IN, 0x77, 0, 0, 16, &data_trb, &status_trb);
    xd_doorbell(&d, XHCI_DCI_EP0);
    struct xd_event ev;
    cr_assert(xd_wait_xfer(&d, XHCI_DCI_EP0, XD_TIMEOUT, &ev), "%s", profile);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_STALL_ERROR, "%s: an unknown vendor request", profile);
    cr_expect_eq(ev.param, data_trb, "reported on the data stage");
    cr_expect_eq(xd_out_ep_state(&d, XHCI_DCI_EP0), XHCI_EP_STATE_HALTED);
    cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_RESET_EP, d.slot, XHCI_DCI_EP0, 0, 0), XHCI_CC_SUCCESS);
    cr_assert_eq(xd_set_deq_here(&d, XHCI_DCI_EP0), XHCI_CC_SUCCESS);
    uint32_t got = 0;
    cr_expect_eq(xd_get_descriptor(&d, USB_DT_DEVICE, 0, 18, &got), XHCI_CC_SUCCESS, "EP0 works again");
    cr_expect_eq(got, 18);
    /* no data stage: the status stage carries the stall */
    xd_queue_control(&d, USB_RT_TYPE_VENDOR << USB_RT_TYPE_SHIFT, 0x77, 0, 0, 0, &data_trb, &status_trb);
    xd_doorbell(&d, XHCI_DCI_EP0);
    cr_assert(xd_wait_xfer(&d, XHCI_DCI_EP0, XD_TIMEOUT, &ev));
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_STALL_ERROR);
    cr_expect_eq(ev.param, status_trb);
}

Test(xhci_xfer_errors, a_control_request_the_device_refuses_stalls_ep0)
{
    xd_each_profile(ep0_stall);
}

/* ---- NAK ---------------------------------------------------------------------------------------- */

static void nak_then_data(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_LOOPBACK);
    uint64_t in = xd_alloc(512, 64), out = xd_alloc(512, 64);
    memset(xt_host(out, 512), 0x5a, 512);
    struct xd_td td;
    struct xd_event ev;
    xd_queue_td(&d, XD_DCI_BULK_IN, in, 512, XD_IOC | XD_ISP, &td);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    xd_run_for(10 * SIM_MS);
    cr_expect_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_IN), 0,
                 "%s: nothing to loop back yet: NAKed", profile);
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), XHCI_EP_STATE_RUNNING, "a NAK is no error");
    uint32_t got = 0;
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_OUT, out, 512, &got, &ev), XHCI_CC_SUCCESS);
    sim_time_ps out_done = ev.at_ps;
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "the data arrives");
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
    cr_expect_geq(ev.at_ps, out_done);
    cr_expect_eq(memcmp(xt_host(in, 512), xt_host(out, 512), 512), 0);
}

Test(xhci_xfer_errors, a_nak_parks_the_transfer_until_the_device_has_data)
{
    xd_each_profile(nak_then_data);
}

/* ---- Stop Endpoint [4.6.9] ------------------------------------------------------------------------ */

static void stop_parked(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_LOOPBACK);
    uint64_t in = xd_alloc(1024, 64), out = xd_alloc(1024, 64);
    struct xd_td td;
    struct xd_event ev, cmd;
    xd_queue_td(&d, XD_DCI_BULK_IN, in, 1024, XD_IOC | XD_ISP, &td);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    xd_run_for(2 * SIM_MS);
    uint32_t cc = xd_cmd_ev(0, 0, XD_TRB_TYPE(XHCI_TRB_TYPE_STOP_EP) | d.slot << XHCI_TRB_SLOT_ID_SHIFT |
                                      XD_DCI_BULK_IN << XHCI_TRB_EP_ID_SHIFT, &cmd);
    cr_assert_eq(cc, XHCI_CC_SUCCESS, "%s", profile);
    cr_assert(xd_take(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_IN, XD_ANY, &ev),
              "the transfer in progress gets an event");
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_STOPPED);
    cr_expect_eq(ev.param, td.addr[0]);
    cr_expect_eq(xd_ev_len(&ev), 1024, "residue: nothing moved");
    cr_expect_leq(ev.at_ps, cmd.at_ps, "before the command's completion");
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), XHCI_EP_STATE_STOPPED);
    cr_expect_eq(xd_out_ep_deq(&d, XD_DCI_BULK_IN), td.addr[0] | 1u, "dequeue on the stopped TRB");
    xd_doorbell(&d, XD_DCI_BULK_IN);
    xd_run_for(1 * SIM_MS);
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), XHCI_EP_STATE_RUNNING,
                 "the doorbell restarted it, and the output context says so");
    memset(xt_host(out, 1024), 0x3c, 1024);
    uint32_t got = 0;
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_OUT, out, 1024, &got, NULL), XHCI_CC_SUCCESS);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "the doorbell resumed it");
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
    cr_expect_eq(memcmp(xt_host(in, 1024), xt_host(out, 1024), 1024), 0);
}

Test(xhci_xfer_errors, stop_endpoint_on_a_parked_transfer_reports_stopped_and_a_doorbell_resumes)
{
    xd_each_profile(stop_parked);
}

static uint32_t stop_ep(struct xd_dev *d, uint32_t dci)
{
    return xd_cmd_slot(XHCI_TRB_TYPE_STOP_EP, d->slot, dci, 0, 0);
}

/* A partly moved OUT parked on a NAK (the loopback queue is full) and
 * stopped: Stopped with the TRB's residue; the doorbell resumes it at
 * the rest once the device has room. */
static void stop_with_residue(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_LOOPBACK); /* a 16 KiB queue */
    uint64_t out = xd_alloc(20480, 64), in = xd_alloc(20480, 64);
    for (uint32_t i = 0; i < 20480; i++)
        ((uint8_t *)xt_host(out, 20480))[i] = (uint8_t)(i * 7u);
    struct xd_td td;
    struct xd_event ev;
    xd_queue_td(&d, XD_DCI_BULK_OUT, out, 20480, XD_IOC, &td);
    xd_doorbell(&d, XD_DCI_BULK_OUT);
    xd_run_for(2 * SIM_MS);
    cr_assert_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_OUT), 0, "%s: parked", profile);
    cr_assert_eq(stop_ep(&d, XD_DCI_BULK_OUT), XHCI_CC_SUCCESS);
    cr_assert(xd_take(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_OUT, XD_ANY, &ev));
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_STOPPED);
    cr_expect_eq(ev.param, td.addr[0]);
    cr_expect_eq(xd_ev_len(&ev), 4096, "%s: 16 KiB went, 4 KiB did not", profile);
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_OUT), XHCI_EP_STATE_STOPPED);
    xd_doorbell(&d, XD_DCI_BULK_OUT);
    xd_run_for(2 * SIM_MS);
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_OUT), XHCI_EP_STATE_RUNNING, "the doorbell restarted it");
    uint32_t got = 0;
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, in, 16384, &got, NULL), XHCI_CC_SUCCESS);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_OUT, XD_TIMEOUT, &ev), "the rest went once there was room");
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, in + 16384, 4096, &got, NULL), XHCI_CC_SUCCESS);
    cr_expect_eq(memcmp(xt_host(in, 20480), xt_host(out, 20480), 20480), 0, "in order, nothing lost");
}

Test(xhci_xfer_errors, stop_endpoint_reports_the_residue_of_a_partly_moved_trb)
{
    xd_each_profile(stop_with_residue);
}

/* A Stop that lands while a TRB's bus time runs, after the device has
 * ended its transfer (all bytes, or short): the TRB is over on the device's
 * side and completes as it would have; it is not left current to ask the
 * device again for bytes it already ended [4.6.9, 4.10.1.1]. */
static void stop_after_device_ended(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_LOOPBACK);
    uint64_t out = xd_alloc(4096, 64), in = xd_alloc(8192, 64);
    memset(xt_host(out, 4096), 0x11, 4096);
    const uint32_t queued[] = {4096, 3000}; /* exactly the TRB; short of it */
    for (uint32_t k = 0; k < 2; k++) {
        cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_OUT, out, queued[k], NULL, NULL), XHCI_CC_SUCCESS);
        struct xd_td td;
        struct xd_event ev;
        xd_queue_td(&d, XD_DCI_BULK_IN, in, 4096, XD_IOC | XD_ISP, &td);
        xd_doorbell(&d, XD_DCI_BULK_IN);
        xd_run_for(xt_profile.doorbell_ps + xt_profile.trb_fetch_ps + 20 * SIM_US); /* 8 packets: ~100 us */
        cr_assert_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_IN), 0,
                     "%s: still on the bus", profile);
        cr_assert_eq(stop_ep(&d, XD_DCI_BULK_IN), XHCI_CC_SUCCESS);
        cr_assert(xd_take(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_IN, XD_ANY, &ev),
                  "%s, %u queued: the TRB completed when the stop came", profile, queued[k]);
        cr_expect_eq(xd_ev_cc(&ev), queued[k] == 4096 ? XHCI_CC_SUCCESS : XHCI_CC_SHORT_PACKET,
                     "%s, %u queued: cc %u", profile, queued[k], xd_ev_cc(&ev));
        cr_expect_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_IN), 0, "no Stopped event");
        cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), XHCI_EP_STATE_STOPPED);
        cr_expect_eq(xd_out_ep_deq(&d, XD_DCI_BULK_IN), xd_ring_enq(&d.ep[XD_DCI_BULK_IN].ring),
                     "stopped after the TD");
        xd_doorbell(&d, XD_DCI_BULK_IN);
        xd_run_for(1 * SIM_MS);
        cr_expect_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_IN), 0,
                     "nothing left to do on restart");
        cr_expect_eq(xd_td_bytes(&td, &ev), queued[k]);
    }
}

Test(xhci_xfer_errors, a_stop_after_the_device_ended_the_trb_completes_it)
{
    xd_each_profile(stop_after_device_ended);
}

/* ---- hot unplug [4.19.1, 4.10.2.3] ------------------------------------------------------------- */

static void unplug_mid_transfer(const char *profile)
{
    struct xd_dev d;
    struct usb_zero *z = xd_up(&d, USB_SPEED_HIGH, USB_ZERO_LOOPBACK);
    uint64_t in = xd_alloc(4096, 64);
    struct xd_td td;
    struct xd_event ev;
    xd_queue_td(&d, XD_DCI_BULK_IN, in, 4096, XD_IOC | XD_ISP, &td);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    xd_run_for(1 * SIM_MS);
    cr_assert_eq(xhci_usb_detach(xt_x, d.port), IOSIM_OK);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "%s", profile);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_USB_TRANSACTION_ERROR);
    cr_expect_eq(ev.param, td.addr[0]);
    cr_expect_eq(xd_out_ep_state(&d, XD_DCI_BULK_IN), XHCI_EP_STATE_HALTED);
    cr_assert(xd_wait_event(XHCI_TRB_TYPE_PORT_STATUS_CHANGE, XD_ANY, XD_ANY, XD_ANY, XD_TIMEOUT, &ev));
    cr_expect_eq(xd_ev_port(&ev), d.port);
    uint32_t sc = xt_portsc(d.port);
    cr_expect(sc & XHCI_PORTSC_CSC, "%s: connect status changed", profile);
    cr_expect(!(sc & (XHCI_PORTSC_CCS | XHCI_PORTSC_PED)), "nothing connected, not enabled");
    xd_port_ack(d.port);
    /* a transfer to the gone device fails at once */
    uint32_t got;
    cr_expect_eq(xd_transfer(&d, XD_DCI_BULK_OUT, in, 512, &got, &ev), XHCI_CC_USB_TRANSACTION_ERROR);
    /* the driver lets the slot go; the device comes back and enumerates again */
    cr_assert_eq(xd_cmd_slot(XHCI_TRB_TYPE_DISABLE_SLOT, d.slot, 0, 0, 0), XHCI_CC_SUCCESS);
    uint32_t old_slot = d.slot;
    xd_plug_and_enumerate(&d, z, d.port);
    cr_expect_eq(d.slot, old_slot, "the freed slot is the lowest free one");
    memset(xt_host(in, 512), 0x77, 512);
    cr_expect_eq(xd_transfer(&d, XD_DCI_BULK_OUT, in, 512, &got, NULL), XHCI_CC_SUCCESS);
    cr_expect_eq(xd_transfer(&d, XD_DCI_BULK_IN, in + 1024, 512, &got, NULL), XHCI_CC_SUCCESS);
    cr_expect_eq(memcmp(xt_host(in, 512), xt_host(in + 1024, 512), 512), 0);
}

Test(xhci_xfer_errors, unplugging_mid_transfer_is_a_transaction_error_and_a_port_change)
{
    xd_each_profile(unplug_mid_transfer);
}

/* ---- transaction errors and CErr [4.10.2.7, 6.2.3] ------------------------------------------------ */

/* A high-speed device with one bulk IN endpoint whose function fails
 * the first `fail_in` IN transactions (no answer: USB_XACT_ERR) and the
 * first `fail_ctl` vendor requests, then answers. */
struct flaky {
    uint8_t pool[128];
    struct usb_blob config;
    struct usb_dev *dev;
    uint32_t fail_in, fail_ctl, in_calls, ctl_calls;
};

static enum usb_result flaky_in(void *ctx, uint8_t ep, uint8_t *buf, uint32_t max, uint32_t *got)
{
    struct flaky *f = ctx;
    (void)ep;
    if (f->in_calls++ < f->fail_in)
        return USB_XACT_ERR;
    memset(buf, 0xa5, max);
    *got = max;
    return USB_ACK;
}

static enum usb_result flaky_control(void *ctx, const struct usb_setup *s, uint8_t *data, uint32_t *len)
{
    struct flaky *f = ctx;
    if (f->ctl_calls++ < f->fail_ctl)
        return USB_XACT_ERR;
    uint32_t n = s->length < 4 ? s->length : 4;
    memcpy(data, "ABCD", n);
    *len = n;
    return USB_ACK;
}

static const struct usb_fn_ops flaky_ops = {.control = flaky_control, .in = flaky_in};

static struct flaky *flaky_create(void)
{
    static struct flaky f;
    memset(&f, 0, sizeof f);
    struct usb_desc_buf b;
    usb_desc_buf_init(&b, f.pool, sizeof f.pool);
    uint32_t dev = usb_desc_add_device(&b, &(struct usb_desc_device_fields){
                                               .bcd_usb = 0x0200, .max_packet0 = 64, .vendor = 0x1234,
                                               .product = 0x5678, .num_configs = 1});
    uint32_t cfg = usb_desc_add_config(&b, USB_DT_CONFIG, &(struct usb_desc_config_fields){
                                                              .num_interfaces = 1, .value = 1});
    usb_desc_add_interface(&b, &(struct usb_desc_interface_fields){.num_endpoints = 1, .if_class = 0xff});
    usb_desc_add_endpoint(&b, 0x81, USB_EP_XFER_BULK, 512, 0);
    usb_desc_finish_total(&b, cfg);
    cr_assert(!b.overflow);
    f.config = (struct usb_blob){f.pool + cfg, b.len_bytes - cfg};
    struct usb_dev_config c = {.name = "flaky", .speed = USB_SPEED_HIGH,
                               .device = {f.pool + dev, USB_DT_DEVICE_BYTES},
                               .configs = &f.config, .configs_count = 1,
                               .ops = &flaky_ops, .ctx = &f};
    cr_assert_eq(usb_dev_create(&c, &f.dev), IOSIM_OK);
    return &f;
}

/* One IN on the flaky device with CErr `cerr`, failing `fail` times:
 * the completion code, *calls the transactions tried, *took_ps the time. */
static uint32_t flaky_in_once(const char *profile, uint32_t cerr, uint32_t fail, uint32_t *calls,
                              sim_time_ps *took_ps)
{
    xd_setup_named(profile, 1);
    struct flaky *f = flaky_create();
    struct xd_dev d;
    uint32_t port = xd_port_for(USB_SPEED_HIGH, 0);
    cr_assert_eq(xhci_usb_attach(xt_x, port, f->dev), IOSIM_OK);
    xd_dev_init(&d, port);
    xd_port_up(&d);
    cr_assert_eq(xd_enable_slot(&d), XHCI_CC_SUCCESS);
    cr_assert_eq(xd_address(&d, false), XHCI_CC_SUCCESS);
    xd_describe_and_configure(&d, cerr);
    f->fail_in = fail;
    uint64_t buf = xd_alloc(512, 64);
    struct xd_event ev;
    sim_time_ps t0 = xd_now();
    uint32_t cc = xd_transfer(&d, XD_DCI_BULK_IN, buf, 512, NULL, &ev);
    *took_ps = ev.at_ps - t0;
    *calls = f->in_calls;
    uint32_t state = xd_out_ep_state(&d, XD_DCI_BULK_IN);
    cr_expect_eq(state, cc == XHCI_CC_SUCCESS ? XHCI_EP_STATE_RUNNING : XHCI_EP_STATE_HALTED,
                 "%s CErr %u fail %u: state %u", profile, cerr, fail, state);
    xd_teardown();
    usb_dev_destroy(f->dev);
    return cc;
}

Test(xhci_xfer_errors, transaction_errors_are_retried_cerr_times_then_halt)
{
    static const struct {
        uint32_t cerr, fail, cc, calls;
    } rows[] = {
        {3, 0, XHCI_CC_SUCCESS, 1},
        {3, 1, XHCI_CC_SUCCESS, 2},
        {3, 2, XHCI_CC_SUCCESS, 3},
        {3, 3, XHCI_CC_USB_TRANSACTION_ERROR, 3},
        {3, 9, XHCI_CC_USB_TRANSACTION_ERROR, 3},
        {2, 1, XHCI_CC_SUCCESS, 2},
        {2, 2, XHCI_CC_USB_TRANSACTION_ERROR, 2},
        {1, 1, XHCI_CC_USB_TRANSACTION_ERROR, 1},
        {0, 40, XHCI_CC_SUCCESS, 41}, /* CErr 0: errors are not counted */
    };
    for (uint32_t p = 0; p < PROFILES; p++) {
        for (uint32_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            uint32_t calls = 0;
            sim_time_ps took = 0;
            uint32_t cc = flaky_in_once(profiles[p], rows[i].cerr, rows[i].fail, &calls, &took);
            cr_expect_eq(cc, rows[i].cc, "%s CErr %u, %u failures: cc %u", profiles[p], rows[i].cerr,
                         rows[i].fail, cc);
            cr_expect_eq(calls, rows[i].calls, "%s CErr %u, %u failures: %u tries", profiles[p],
                         rows[i].cerr, rows[i].fail, calls);
            if (calls > 1)
                cr_expect_geq(took, (sim_time_ps)(calls - 1) * XHCI_MFINDEX_TICK_NS * SIM_NS - 
                                        XHCI_MFINDEX_TICK_NS * SIM_NS,
                              "one try per microframe");
        }
    }
}

/* The default control endpoint counts errors too (its CErr is 3) [4.10.2.7]. */
static void flaky_control_once(const char *profile)
{
    struct flaky *f = flaky_create();
    struct xd_dev d;
    uint32_t port = xd_port_for(USB_SPEED_HIGH, 0);
    cr_assert_eq(xhci_usb_attach(xt_x, port, f->dev), IOSIM_OK);
    xd_dev_init(&d, port);
    xd_port_up(&d);
    cr_assert_eq(xd_enable_slot(&d), XHCI_CC_SUCCESS);
    cr_assert_eq(xd_address(&d, false), XHCI_CC_SUCCESS);
    f->fail_ctl = 2;
    uint32_t got = 0;
    cr_expect_eq(xd_control(&d, RT_VENDOR_IN, 0x01, 0, 0, 4, &got), XHCI_CC_SUCCESS,
                 "%s: two errors, the third try answers", profile);
    cr_expect_eq(f->ctl_calls, 3);
    cr_expect_eq(memcmp(xt_host(d.buf, 4), "ABCD", 4), 0);
    f->fail_ctl = 100;
    f->ctl_calls = 0;
    cr_expect_eq(xd_control(&d, RT_VENDOR_IN, 0x01, 0, 0, 4, &got), XHCI_CC_USB_TRANSACTION_ERROR);
    cr_expect_eq(f->ctl_calls, 3, "%s: CErr tries", profile);
    cr_expect_eq(xd_out_ep_state(&d, XHCI_DCI_EP0), XHCI_EP_STATE_HALTED);
    xd_teardown();
    usb_dev_destroy(f->dev);
}

Test(xhci_xfer_errors, control_transaction_errors_are_retried_too)
{
    for (uint32_t p = 0; p < PROFILES; p++) {
        xd_setup_named(profiles[p], 1);
        flaky_control_once(profiles[p]);
    }
}

/* ---- Stop Endpoint while the endpoint waits between tries ------------------------------------------- */

/* A bulk OUT parked on a NAK with part of its TRB taken; the device makes
 * room (its ready hook) and the retry waits for the next packet slot; a
 * Stop in that wait reports the residue once, and the restart sends only
 * the rest. */
static void stop_before_retry(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_LOOPBACK); /* a 16 KiB queue */
    uint64_t out = xd_alloc(20480, 64), in = xd_alloc(20480, 64);
    for (uint32_t i = 0; i < 20480; i++)
        ((uint8_t *)xt_host(out, 20480))[i] = (uint8_t)(i * 13u);
    struct xd_td td;
    struct xd_event ev;
    xd_queue_td(&d, XD_DCI_BULK_OUT, out, 20480, XD_IOC, &td);
    xd_doorbell(&d, XD_DCI_BULK_OUT);
    xd_run_for(1 * SIM_MS + 10 * SIM_US); /* parked; mid-microframe */
    /* drain 512 bytes: the device calls ready, the OUT retry waits for the next packet slot */
    struct xd_td ti;
    xd_queue_td(&d, XD_DCI_BULK_IN, in, 512, XD_IOC, &ti);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "%s", profile);
    cr_assert_eq(stop_ep(&d, XD_DCI_BULK_OUT), XHCI_CC_SUCCESS);
    cr_assert(xd_take(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_OUT, XD_ANY, &ev), "%s", profile);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_STOPPED, "%s: cc %u", profile, xd_ev_cc(&ev));
    /* the retry comes a packet slot after ready, so one more packet may go before the stop */
    cr_expect(xd_ev_len(&ev) == 4096 || xd_ev_len(&ev) == 3584,
              "%s: 16 KiB (or a packet more) went before the stop: residue %u", profile, xd_ev_len(&ev));
    xd_doorbell(&d, XD_DCI_BULK_OUT);
    uint32_t got = 0;
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, in + 512, 16384 - 512, &got, NULL), XHCI_CC_SUCCESS);
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_OUT, XD_TIMEOUT, &ev), "%s: the rest went", profile);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, in + 16384, 4096, &got, &ev), XHCI_CC_SUCCESS, "%s", profile);
    cr_expect_eq(memcmp(xt_host(in, 20480), xt_host(out, 20480), 20480), 0, "%s: in order, once", profile);
}

Test(xhci_xfer_errors, a_stop_while_a_nak_retry_waits_counts_the_moved_bytes_once)
{
    xd_each_profile(stop_before_retry);
}

/* An interrupt TD waiting for its service opportunity has not started: a
 * Stop then completes nothing, and after the doorbell it runs. */
static void stop_before_service(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t buf = xd_alloc(64, 64);
    struct xd_td t0, t1;
    struct xd_event ev;
    xd_queue_td(&d, XD_DCI_INTR_IN, buf, 4, XD_IOC, &t0);
    xd_queue_td(&d, XD_DCI_INTR_IN, buf + 4, 4, XD_IOC, &t1);
    xd_doorbell(&d, XD_DCI_INTR_IN);
    cr_assert(xd_wait_xfer(&d, XD_DCI_INTR_IN, XD_TIMEOUT, &ev), "%s", profile);
    cr_assert_eq(ev.param, t0.addr[0]);
    cr_assert_eq(stop_ep(&d, XD_DCI_INTR_IN), XHCI_CC_SUCCESS, "%s: the second waits for its interval", profile);
    cr_expect_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_INTR_IN), 0,
                 "%s: nothing had started: no event", profile);
    cr_expect_eq(xd_out_ep_deq(&d, XD_DCI_INTR_IN) & ~15ull, t1.addr[0], "stopped on the second TD");
    xd_doorbell(&d, XD_DCI_INTR_IN);
    cr_assert(xd_wait_xfer(&d, XD_DCI_INTR_IN, XD_TIMEOUT, &ev));
    cr_expect_eq(ev.param, t1.addr[0]);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
    cr_expect_eq(xd_rd32(buf + 4), 1, "%s: the device's second answer", profile);
}

Test(xhci_xfer_errors, a_stop_while_an_interrupt_td_waits_for_its_interval_completes_nothing)
{
    xd_each_profile(stop_before_service);
}

/* Unplugged between the doorbell and the controller's first look at the
 * ring: the TD that was to run fails (USB Transaction Error, the event
 * naming it), not the TRB that completed before it. */
static void unplug_after_doorbell(const char *profile)
{
    struct xd_dev d;
    (void)xd_up(&d, USB_SPEED_HIGH, USB_ZERO_SOURCE_SINK);
    uint64_t buf = xd_alloc(1024, 64);
    struct xd_td td;
    struct xd_event ev;
    uint32_t got = 0;
    cr_assert_eq(xd_transfer(&d, XD_DCI_BULK_IN, buf, 512, &got, NULL), XHCI_CC_SUCCESS);
    xd_queue_td(&d, XD_DCI_BULK_IN, buf, 512, XD_IOC, &td);
    xd_doorbell(&d, XD_DCI_BULK_IN);
    cr_assert_eq(xhci_usb_detach(xt_x, d.port), IOSIM_OK); /* no simulated time in between */
    cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev), "%s", profile);
    cr_expect_eq(xd_ev_cc(&ev), XHCI_CC_USB_TRANSACTION_ERROR, "%s: cc %u", profile, xd_ev_cc(&ev));
    cr_expect_eq(ev.param, td.addr[0], "%s: the event names the TD that could not run", profile);
    cr_expect_eq(xd_out_ep_deq(&d, XD_DCI_BULK_IN) & ~15ull, td.addr[0], "%s: dequeue on it", profile);
    cr_expect_eq(xd_count(XHCI_TRB_TYPE_TRANSFER_EVENT, d.slot, XD_DCI_BULK_IN), 0, "one event");
}

Test(xhci_xfer_errors, an_unplug_right_after_the_doorbell_fails_the_td_that_was_to_run)
{
    xd_each_profile(unplug_after_doorbell);
}
