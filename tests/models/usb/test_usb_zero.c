/*
 * models/usb/usb_zero: gadget zero's descriptors at every speed, the
 * source/sink pattern stream across transfers of odd sizes (short packets
 * and the end of a finite stream), loopback ordering with NAK and ready(),
 * the NAK-first-N knob, halting and recovery, the interrupt counter and the
 * vendor requests (control loopback, counters, halt).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "models/usb/usb_desc.h"
#include "models/usb/usb_zero.h"
#include "sim/engine/rng.h"
#include "tests/models/usb/usb_test_util.h"

static struct usb_zero *zero;
static struct usb_dev *dev;
static struct test_host host;

static void up(const struct usb_zero_config *zc)
{
    host = (struct test_host){0};
    cr_assert_eq(usb_zero_create(zc, &zero), IOSIM_OK);
    dev = usb_zero_dev(zero);
    to_state(dev, &host, USB_DEV_CONFIGURED, USB_ZERO_CONFIG_VALUE);
}

static void up_default(void)
{
    struct usb_zero_config zc;
    usb_zero_config_default(&zc);
    up(&zc);
}

static void down(void)
{
    usb_zero_destroy(zero);
    zero = NULL;
    dev = NULL;
}

/* ---- descriptors --------------------------------------------------------------------------- */

static uint32_t get_desc(uint16_t value, uint8_t *buf, uint16_t wl)
{
    uint32_t len = wl;
    cr_assert_eq(ctl_len(dev, RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, value, 0, wl, buf, &len), USB_ACK,
                 "descriptor 0x%04x", value);
    return len;
}

/* Walks a configuration blob and checks its endpoints' max packet sizes
 * and companions. */
static void check_config(const uint8_t *c, uint32_t len, uint16_t bulk_mps, bool ss,
                         uint8_t burst)
{
    cr_assert_eq(usb_le16(&c[USB_CFG_TOTAL_LENGTH]), len);
    cr_assert_eq(c[USB_CFG_NUM_INTERFACES], 1);
    cr_assert_eq(c[USB_CFG_VALUE], USB_ZERO_CONFIG_VALUE);
    cr_assert_eq(c[USB_CFG_ATTRIBUTES], USB_CFG_ATTR_ONE | USB_CFG_ATTR_SELF_POWERED);
    struct usb_desc_iter it;
    usb_desc_iter_init(&it, c, len);
    struct usb_desc_ref r;
    uint32_t ifaces = 0, eps = 0, comps = 0;
    uint8_t last_ep = 0;
    while (usb_desc_iter_next(&it, &r)) {
        const uint8_t *p = &c[r.off];
        if (r.type == USB_DT_INTERFACE) {
            cr_assert_eq(p[USB_IF_ALTERNATE], ifaces);
            cr_assert_eq(p[USB_IF_NUM_ENDPOINTS], 3);
            cr_assert_eq(p[USB_IF_CLASS], USB_CLASS_VENDOR);
            ifaces++;
        } else if (r.type == USB_DT_ENDPOINT) {
            last_ep = p[USB_EP_ADDRESS];
            uint16_t mps = usb_le16(&p[USB_EP_MAX_PACKET]);
            cr_assert_eq(mps, last_ep == USB_ZERO_EP_INTR_IN ? USB_ZERO_INTR_MAX_PACKET : bulk_mps);
            eps++;
        } else if (r.type == USB_DT_SS_EP_COMPANION) {
            cr_assert_eq(p[USB_SSC_MAX_BURST], last_ep == USB_ZERO_EP_INTR_IN ? 0 : burst);
            comps++;
        }
    }
    cr_assert_eq(it.off, len, "the walk reached the end");
    cr_assert_eq(ifaces, 2);
    cr_assert_eq(eps, 6);
    cr_assert_eq(comps, ss ? 6u : 0u);
}

Test(usb_zero_desc, descriptors_follow_the_speed)
{
    static const struct {
        enum usb_speed sp;
        uint16_t bcd, bulk, other_bulk;
        uint8_t mp0;
    } rows[] = {
        {USB_SPEED_FULL, 0x0200, 64, 512, 64},
        {USB_SPEED_HIGH, 0x0200, 512, 64, 64},
        {USB_SPEED_SUPER, 0x0300, 1024, 0, 9},
        {USB_SPEED_SUPER_PLUS, 0x0320, 1024, 0, 9},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct usb_zero_config zc;
        usb_zero_config_default(&zc);
        zc.speed = rows[i].sp;
        zc.ss_max_burst = 7;
        zc.name = "serial-42";
        up(&zc);
        bool ss = rows[i].sp >= USB_SPEED_SUPER;
        uint8_t b[512];
        cr_assert_eq(get_desc(0x0100, b, 255), USB_DT_DEVICE_BYTES);
        cr_assert_eq(usb_le16(&b[USB_DEV_BCD_USB]), rows[i].bcd);
        cr_assert_eq(usb_le16(&b[USB_DEV_VENDOR]), USB_ZERO_VENDOR_ID);
        cr_assert_eq(usb_le16(&b[USB_DEV_PRODUCT]), USB_ZERO_PRODUCT_ID);
        cr_assert_eq(b[USB_DEV_MAX_PACKET0], rows[i].mp0);
        cr_assert_eq(b[USB_DEV_CLASS], USB_CLASS_VENDOR);
        cr_assert_eq(b[USB_DEV_NUM_CONFIGS], 1);
        uint32_t n = get_desc(0x0200, b, 512);
        check_config(b, n, rows[i].bulk, ss, 7);
        uint32_t len = 255;
        enum usb_result bos = ctl_len(dev, RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0f00, 0, 255, b,
                                      &len);
        enum usb_result qual = ctl(dev, RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0600, 0, 10);
        cr_assert_eq(bos, ss ? USB_ACK : USB_STALL);
        cr_assert_eq(qual, ss ? USB_STALL : USB_ACK);
        if (ss) {
            cr_assert_eq(len, USB_DT_BOS_BYTES + USB_DEVCAP_USB2_EXT_BYTES +
                                  USB_DEVCAP_SUPERSPEED_BYTES);
            cr_assert_eq(usb_le16(&b[USB_BOS_TOTAL_LENGTH]), len);
            cr_assert_eq(b[USB_BOS_NUM_CAPS], 2);
        } else {
            n = get_desc(0x0700, b, 512);
            cr_assert_eq(b[USB_DESC_TYPE], USB_DT_OTHER_SPEED_CONFIG);
            check_config(b, n, rows[i].other_bulk, false, 0);
        }
        n = get_desc(0x0303, b, 255);
        const uint8_t serial[] = {20, USB_DT_STRING, 's', 0, 'e', 0, 'r', 0};
        cr_assert_eq(n, 20);
        cr_assert_arr_eq(b, serial, sizeof serial, "the serial number is the name");
        struct usb_ep_info info;
        cr_assert(usb_dev_ep_info(dev, USB_ZERO_EP_BULK_IN, &info));
        cr_assert_eq(info.max_packet_bytes, rows[i].bulk);
        cr_assert_eq(info.max_burst, ss ? 7 : 0);
        cr_assert(usb_dev_ep_info(dev, USB_ZERO_EP_BULK_OUT, &info));
        cr_assert(usb_dev_ep_info(dev, USB_ZERO_EP_INTR_IN, &info));
        cr_assert_eq(info.xfer, USB_EP_XFER_INTERRUPT);
        cr_assert_eq(info.interval, rows[i].sp == USB_SPEED_FULL ? 1 : 4);
        down();
    }
}

Test(usb_zero_desc, create_refuses_what_cannot_be_built)
{
    struct usb_zero_config zc;
    struct usb_zero *z = NULL;
    usb_zero_config_default(&zc);
    zc.speed = USB_SPEED_LOW;
    cr_assert_eq(usb_zero_create(&zc, &z), IOSIM_EINVAL, "no bulk at low speed");
    usb_zero_config_default(&zc);
    zc.name = NULL;
    cr_assert_eq(usb_zero_create(&zc, &z), IOSIM_EINVAL);
    usb_zero_config_default(&zc);
    zc.mode = USB_ZERO_MODE_COUNT;
    cr_assert_eq(usb_zero_create(&zc, &z), IOSIM_EINVAL);
    usb_zero_config_default(&zc);
    zc.loop_queue_bytes = 511;
    cr_assert_eq(usb_zero_create(&zc, &z), IOSIM_EINVAL, "the queue holds a packet");
    zc.loop_queue_bytes = USB_ZERO_LOOP_QUEUE_MAX_BYTES + 1;
    cr_assert_eq(usb_zero_create(&zc, &z), IOSIM_EINVAL);
    usb_zero_config_default(&zc);
    zc.ss_max_burst = 16;
    cr_assert_eq(usb_zero_create(&zc, &z), IOSIM_EINVAL);
    cr_assert_null(z);
    usb_zero_config_default(&zc);
    zc.speed = USB_SPEED_FULL;
    zc.loop_queue_bytes = 64;
    cr_assert_eq(usb_zero_create(&zc, &z), IOSIM_OK, "64 bytes hold a full-speed packet");
    cr_assert_eq(usb_dev_state(usb_zero_dev(z)), USB_DEV_DETACHED);
    usb_zero_destroy(z);
}

/* ---- source/sink --------------------------------------------------------------------------- */

static enum usb_result in(uint8_t ep, uint8_t *buf, uint32_t max, uint32_t *got)
{
    return usb_dev_in(dev, ep, buf, max, got);
}

static enum usb_result out(const uint8_t *buf, uint32_t len, uint32_t *taken)
{
    return usb_dev_out(dev, USB_ZERO_EP_BULK_OUT, buf, len, taken);
}

Test(usb_zero_source, the_pattern_runs_on_across_transfers_of_odd_sizes)
{
    up_default();
    static const uint32_t sizes[] = {512, 1, 511, 1000, 513, 4096, 7, 63, 64, 65, 0, 2048};
    static uint8_t buf[4096];
    uint64_t pos = 0;
    for (uint32_t round = 0; round < 3; round++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            uint32_t got = 0;
            cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, sizes[k], &got), USB_ACK);
            cr_assert_eq(got, sizes[k], "an endless source fills every transfer");
            for (uint32_t i = 0; i < got; i++)
                cr_assert_eq(buf[i], (pos + i) % 63, "stream byte %llu",
                             (unsigned long long)(pos + i));
            pos += got;
        }
    }
    struct usb_zero_counters c;
    usb_zero_counters(zero, &c);
    cr_assert_eq(c.in_bytes, pos);
    cr_assert_eq(host.ready_count, 0);
    down();
}

Test(usb_zero_source, a_finite_stream_ends_with_a_short_or_zero_length_packet_then_naks)
{
    static const struct {
        uint64_t len;
        uint32_t max;
        uint32_t gets[4]; /* then NAK */
        uint32_t n;
    } rows[] = {
        {1000, 512, {512, 488}, 2},
        {1024, 512, {512, 512, 0}, 3},
        {1, 512, {1}, 1},
        {4096, 4096, {4096, 0}, 2},
        {100, 7, {7, 7, 7, 7}, 4}, /* still running: no NAK yet */
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        struct usb_zero_config zc;
        usb_zero_config_default(&zc);
        zc.in_stream_bytes = rows[r].len;
        up(&zc);
        uint8_t buf[4096];
        uint64_t pos = 0;
        for (uint32_t k = 0; k < rows[r].n; k++) {
            uint32_t got;
            cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, rows[r].max, &got), USB_ACK, "row %zu", r);
            cr_assert_eq(got, rows[r].gets[k], "row %zu transfer %u: %u bytes", r, k, got);
            for (uint32_t i = 0; i < got; i++)
                cr_assert_eq(buf[i], usb_zero_pattern(pos + i));
            pos += got;
        }
        uint32_t got = 99;
        enum usb_result last = in(USB_ZERO_EP_BULK_IN, buf, rows[r].max, &got);
        if (pos == rows[r].len && rows[r].gets[rows[r].n - 1] < rows[r].max) {
            cr_assert_eq(last, USB_NAK, "row %zu: the stream is over", r);
            cr_assert_eq(got, 0);
            cr_assert_eq(host.ready_count, 0, "an ended stream promises nothing");
        } else {
            cr_assert_eq(last, USB_ACK, "row %zu", r);
        }
        /* a restart (SET_INTERFACE to the same setting) rearms the stream */
        cr_assert_eq(ctl(dev, RT_OUT_IF, USB_REQ_SET_INTERFACE, 0, 0, 0), USB_ACK);
        cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 1, &got), USB_ACK);
        cr_assert_eq(got, 1);
        cr_assert_eq(buf[0], 0);
        down();
    }
}

Test(usb_zero_sink, out_data_is_checked_against_the_pattern)
{
    up_default();
    static uint8_t buf[8192];
    for (uint32_t i = 0; i < sizeof buf; i++)
        buf[i] = usb_zero_pattern(i);
    static const uint32_t sizes[] = {1, 511, 512, 1000, 0, 3000, 3168};
    uint32_t pos = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint32_t taken;
        cr_assert_eq(out(buf + pos, sizes[k], &taken), USB_ACK);
        cr_assert_eq(taken, sizes[k]);
        pos += sizes[k];
    }
    struct usb_zero_counters c;
    usb_zero_counters(zero, &c);
    cr_assert_eq(c.out_bytes, pos);
    cr_assert_eq(c.mismatches, 0);
    uint8_t bad[100];
    for (uint32_t i = 0; i < sizeof bad; i++)
        bad[i] = usb_zero_pattern(pos + i);
    bad[0] ^= 1;
    bad[50] = 0xff;
    bad[99] = (uint8_t)(bad[99] + 1);
    uint32_t taken;
    cr_assert_eq(out(bad, sizeof bad, &taken), USB_ACK);
    usb_zero_counters(zero, &c);
    cr_assert_eq(c.mismatches, 3);
    /* the vendor request reads the same counters, little-endian */
    uint8_t wire[USB_ZERO_COUNTERS_BYTES];
    uint32_t len = sizeof wire;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_IN, USB_ZERO_REQ_COUNTERS, 0, 0, sizeof wire, wire, &len),
                 USB_ACK);
    cr_assert_eq(len, USB_ZERO_COUNTERS_BYTES);
    uint64_t w = 0;
    for (int i = 7; i >= 0; i--)
        w = w << 8 | wire[USB_ZERO_CNT_MISMATCHES + i];
    cr_assert_eq(w, 3);
    w = 0;
    for (int i = 7; i >= 0; i--)
        w = w << 8 | wire[USB_ZERO_CNT_OUT_BYTES + i];
    cr_assert_eq(w, pos + sizeof bad);
    len = 4;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_IN, USB_ZERO_REQ_COUNTERS, 0, 0, 4, wire, &len), USB_ACK);
    cr_assert_eq(len, 4, "truncated to wLength");
    down();
}

/* ---- loopback ------------------------------------------------------------------------------ */

static void to_loopback(void)
{
    cr_assert_eq(ctl(dev, RT_OUT_IF, USB_REQ_SET_INTERFACE, 1, USB_ZERO_INTERFACE, 0), USB_ACK);
    cr_assert_eq(usb_zero_mode(zero), USB_ZERO_LOOPBACK);
}

Test(usb_zero_loop, alternate_setting_1_runs_the_other_mode)
{
    up_default();
    cr_assert_eq(usb_zero_mode(zero), USB_ZERO_SOURCE_SINK);
    to_loopback();
    cr_assert_eq(ctl(dev, RT_OUT_IF, USB_REQ_SET_INTERFACE, 0, USB_ZERO_INTERFACE, 0), USB_ACK);
    cr_assert_eq(usb_zero_mode(zero), USB_ZERO_SOURCE_SINK);
    down();
    struct usb_zero_config zc;
    usb_zero_config_default(&zc);
    zc.mode = USB_ZERO_LOOPBACK;
    up(&zc);
    cr_assert_eq(usb_zero_mode(zero), USB_ZERO_LOOPBACK);
    cr_assert_eq(ctl(dev, RT_OUT_IF, USB_REQ_SET_INTERFACE, 1, USB_ZERO_INTERFACE, 0), USB_ACK);
    cr_assert_eq(usb_zero_mode(zero), USB_ZERO_SOURCE_SINK);
    down();
}

Test(usb_zero_loop, an_empty_queue_naks_and_data_makes_it_ready)
{
    up_default();
    to_loopback();
    uint8_t buf[2048];
    uint32_t n;
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 512, &n), USB_NAK);
    cr_assert_eq(n, 0);
    cr_assert_eq(host.ready_count, 0);
    const uint8_t msg[] = "hello, loopback";
    cr_assert_eq(out(msg, sizeof msg, &n), USB_ACK);
    cr_assert_eq(n, sizeof msg);
    cr_assert_eq(host.ready_count, 1, "the waiting IN is told");
    cr_assert_eq(host.ready_ep[0], USB_ZERO_EP_BULK_IN);
    cr_assert_eq(out(msg, 4, &n), USB_ACK);
    cr_assert_eq(host.ready_count, 1, "told once");
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 512, &n), USB_ACK);
    cr_assert_eq(n, sizeof msg + 4, "everything queued, ending short");
    cr_assert_eq(memcmp(buf, msg, sizeof msg), 0);
    cr_assert_eq(memcmp(buf + sizeof msg, msg, 4), 0);
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 512, &n), USB_NAK);
    down();
}

Test(usb_zero_loop, a_full_queue_takes_whole_packets_naks_and_readies_when_drained)
{
    struct usb_zero_config zc;
    usb_zero_config_default(&zc);
    zc.loop_queue_bytes = 1300; /* two 512-byte packets and change */
    up(&zc);
    to_loopback();
    static uint8_t data[4096];
    for (uint32_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    uint32_t n;
    cr_assert_eq(out(data, 2048, &n), USB_NAK);
    cr_assert_eq(n, 1024, "the whole packets that fit");
    cr_assert_eq(out(data + 1024, 1024, &n), USB_NAK);
    cr_assert_eq(n, 0, "276 bytes free: no packet fits");
    cr_assert_eq(out(data + 1024, 200, &n), USB_ACK, "a short last packet that fits");
    cr_assert_eq(n, 200);
    uint8_t buf[4096];
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 100, &n), USB_ACK);
    cr_assert_eq(host.ready_count, 0, "76 + 100 bytes free: still no packet");
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf + 100, 1024, &n), USB_ACK);
    cr_assert_eq(n, 1024);
    cr_assert_eq(host.ready_count, 1);
    cr_assert_eq(host.ready_ep[0], USB_ZERO_EP_BULK_OUT);
    cr_assert_eq(memcmp(buf, data, 1124), 0, "in order");
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 4096, &n), USB_ACK);
    cr_assert_eq(n, 100);
    cr_assert_eq(memcmp(buf, data + 1124, 100), 0);
    down();
}

/* A host that moves random amounts both ways, against a reference FIFO of
 * the same capacity that also knows when a ready() is owed. */
struct loop_ref {
    uint32_t cap, mps, queued;
    bool owe_in, owe_out;        /* a NAK that awaits ready() */
};

static void loop_step_out(struct loop_ref *ref, const uint8_t *data, uint32_t len, uint64_t seed)
{
    uint32_t before = host.ready_count, n;
    uint32_t room = ref->cap - ref->queued;
    uint32_t want_n = len <= room ? len : room / ref->mps * ref->mps;
    enum usb_result r = out(data, len, &n);
    cr_assert_eq(r, len <= room ? USB_ACK : USB_NAK, "seed %llu", (unsigned long long)seed);
    cr_assert_eq(n, want_n, "seed %llu: took %u of %u", (unsigned long long)seed, n, len);
    ref->queued += n;
    bool tell = n > 0 && ref->owe_in;
    cr_assert_eq(host.ready_count, before + tell, "seed %llu: ready after OUT",
                 (unsigned long long)seed);
    if (tell) {
        cr_assert_eq(host.ready_ep[before % TEST_READY_MAX], USB_ZERO_EP_BULK_IN);
        ref->owe_in = false;
    }
    ref->owe_out |= r == USB_NAK;
}

static void loop_step_in(struct loop_ref *ref, uint8_t *buf, uint32_t max, uint32_t *got,
                         uint64_t seed)
{
    uint32_t before = host.ready_count;
    enum usb_result r = in(USB_ZERO_EP_BULK_IN, buf, max, got);
    cr_assert_eq(r, ref->queued == 0 ? USB_NAK : USB_ACK, "seed %llu", (unsigned long long)seed);
    cr_assert_eq(*got, ref->queued < max ? ref->queued : max, "seed %llu",
                 (unsigned long long)seed);
    ref->queued -= *got;
    ref->owe_in |= r == USB_NAK;
    bool tell = ref->owe_out && ref->cap - ref->queued >= ref->mps && r == USB_ACK;
    cr_assert_eq(host.ready_count, before + tell, "seed %llu: ready after IN",
                 (unsigned long long)seed);
    if (tell) {
        cr_assert_eq(host.ready_ep[before % TEST_READY_MAX], USB_ZERO_EP_BULK_OUT);
        ref->owe_out = false;
    }
}

Test(usb_zero_loop, order_and_ready_hold_over_random_transfers)
{
    static uint8_t sent[1 << 20], got_all[1 << 20];
    for (uint64_t seed = 1; seed <= 40; seed++) {
        struct usb_zero_config zc;
        usb_zero_config_default(&zc);
        struct sim_rng rng;
        sim_rng_seed(&rng, seed);
        zc.speed = seed % 2 ? USB_SPEED_FULL : USB_SPEED_SUPER;
        struct loop_ref ref = {.mps = zc.speed == USB_SPEED_FULL ? 64 : 1024};
        ref.cap = zc.loop_queue_bytes = (uint32_t)sim_rng_range(&rng, ref.mps, 8 * ref.mps);
        up(&zc);
        to_loopback();
        uint32_t sent_n = 0, got_n = 0;
        for (uint32_t step = 0; step < 3000 && sent_n < sizeof sent - 65536; step++) {
            uint32_t len = (uint32_t)sim_rng_below(&rng, 3 * ref.mps);
            if (sim_rng_chance(&rng, 500)) {
                for (uint32_t i = 0; i < len; i++)
                    sent[sent_n + i] = (uint8_t)sim_rng_next(&rng);
                loop_step_out(&ref, sent + sent_n, len, seed);
                sent_n = got_n + ref.queued;
            } else {
                uint32_t n;
                loop_step_in(&ref, got_all + got_n, len, &n, seed);
                got_n += n;
            }
        }
        cr_assert_gt(got_n, 0, "seed %llu moved data", (unsigned long long)seed);
        cr_assert_eq(memcmp(sent, got_all, got_n), 0, "seed %llu: order", (unsigned long long)seed);
        down();
    }
}

/* ---- knobs --------------------------------------------------------------------------------- */

Test(usb_zero_knobs, the_first_n_in_attempts_nak_each_with_a_ready)
{
    struct usb_zero_config zc;
    usb_zero_config_default(&zc);
    zc.in_nak_first = 3;
    up(&zc);
    uint8_t buf[512];
    uint32_t n;
    for (uint32_t k = 0; k < 3; k++) {
        cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 512, &n), USB_NAK, "attempt %u", k);
        cr_assert_eq(n, 0);
        cr_assert_eq(host.ready_count, k + 1);
        cr_assert_eq(host.ready_ep[k], USB_ZERO_EP_BULK_IN);
    }
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 512, &n), USB_ACK);
    cr_assert_eq(buf[0], 0, "the stream starts after the NAKs");
    cr_assert_eq(in(USB_ZERO_EP_INTR_IN, buf, 8, &n), USB_ACK, "the interrupt endpoint: no NAKs");
    struct usb_zero_counters c;
    usb_zero_counters(zero, &c);
    cr_assert_eq(c.in_naks, 3);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 0, 0), USB_ACK);
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 512, &n), USB_NAK, "rearmed by SET_CONFIGURATION");
    to_loopback();
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 512, &n), USB_NAK);
    cr_assert_eq(host.ready_count, 5, "NAK-first in loopback too");
    down();
}

static uint16_t halt_status(uint8_t ep)
{
    uint8_t b[2];
    uint32_t len = 2;
    cr_assert_eq(ctl_len(dev, RT_IN_EP, USB_REQ_GET_STATUS, 0, ep, 2, b, &len), USB_ACK);
    return (uint16_t)(b[0] | b[1] << 8);
}

Test(usb_zero_knobs, a_halted_endpoint_stalls_until_the_host_clears_it)
{
    up_default();
    uint8_t buf[1024];
    uint32_t n;
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 100, &n), USB_ACK);
    cr_assert_eq(usb_zero_halt(zero, USB_ZERO_EP_BULK_IN), IOSIM_OK);
    cr_assert_eq(halt_status(USB_ZERO_EP_BULK_IN), USB_STATUS_HALT);
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 100, &n), USB_STALL);
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 100, &n), USB_STALL);
    cr_assert_eq(ctl(dev, RT_OUT_EP, USB_REQ_CLEAR_FEATURE, 0, USB_ZERO_EP_BULK_IN, 0), USB_ACK);
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 100, &n), USB_ACK);
    cr_assert_eq(buf[0], 100 % 63, "clearing a halt does not restart the stream");
    /* the vendor request halts too */
    cr_assert_eq(ctl(dev, RT_VENDOR_OUT, USB_ZERO_REQ_HALT, 0, USB_ZERO_EP_BULK_OUT, 0), USB_ACK);
    cr_assert_eq(out(buf, 10, &n), USB_STALL);
    cr_assert_eq(halt_status(USB_ZERO_EP_BULK_OUT), USB_STATUS_HALT);
    cr_assert_eq(ctl(dev, RT_VENDOR_OUT, USB_ZERO_REQ_HALT, 0, 0x8f, 0), USB_STALL, "no such");
    cr_assert_eq(ctl(dev, RT_VENDOR_OUT, USB_ZERO_REQ_HALT, 0, 0x100 | USB_ZERO_EP_BULK_IN, 0),
                 USB_STALL);
    cr_assert_eq(ctl(dev, RT_VENDOR_OUT, USB_ZERO_REQ_HALT, 1, USB_ZERO_EP_BULK_IN, 0), USB_STALL);
    cr_assert_eq(ctl(dev, RT_OUT_IF, USB_REQ_SET_INTERFACE, 0, 0, 0), USB_ACK);
    cr_assert_eq(halt_status(USB_ZERO_EP_BULK_OUT), 0, "SET_INTERFACE clears it");
    usb_dev_detach(dev);
    cr_assert_eq(usb_zero_halt(zero, USB_ZERO_EP_BULK_IN), IOSIM_ENODEV);
    down();
}

Test(usb_zero_knobs, the_interrupt_endpoint_counts)
{
    up_default();
    uint8_t buf[16];
    uint32_t n;
    for (uint32_t k = 0; k < 300; k++) {
        cr_assert_eq(in(USB_ZERO_EP_INTR_IN, buf, 8, &n), USB_ACK);
        cr_assert_eq(n, 4);
        cr_assert_eq(buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24, k);
    }
    cr_assert_eq(in(USB_ZERO_EP_INTR_IN, buf, 3, &n), USB_BABBLE, "a 4-byte answer into 3");
    cr_assert_eq(n, 3);
    to_loopback();
    cr_assert_eq(in(USB_ZERO_EP_INTR_IN, buf, 8, &n), USB_ACK);
    cr_assert_eq(buf[0] | buf[1] << 8, 301, "one count across restarts");
    struct usb_zero_counters c;
    usb_zero_counters(zero, &c);
    cr_assert_eq(c.intr_in, 302);
    down();
}

/* ---- control loopback and other vendor requests -------------------------------------------- */

Test(usb_zero_vendor, control_write_then_read_loops_data_back)
{
    up_default();
    static uint8_t w[USB_ZERO_CTRL_BUF_BYTES], r[USB_ZERO_CTRL_BUF_BYTES + 1];
    for (uint32_t i = 0; i < sizeof w; i++)
        w[i] = (uint8_t)(i ^ 0x5a);
    uint32_t len = 100;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_OUT, USB_ZERO_REQ_CTRL_WRITE, 0, 0, 100, w, &len), USB_ACK);
    len = 100;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_IN, USB_ZERO_REQ_CTRL_READ, 0, 0, 100, r, &len), USB_ACK);
    cr_assert_eq(len, 100);
    cr_assert_arr_eq(r, w, 100);
    len = sizeof w;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_IN, USB_ZERO_REQ_CTRL_READ, 0, 0, sizeof w, r, &len),
                 USB_ACK);
    cr_assert_eq(len, sizeof w);
    cr_assert_eq(r[100], 0, "never written: 0");
    len = sizeof w;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_OUT, USB_ZERO_REQ_CTRL_WRITE, 0, 0, sizeof w, w, &len),
                 USB_ACK);
    len = sizeof w;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_IN, USB_ZERO_REQ_CTRL_READ, 0, 0, sizeof w, r, &len),
                 USB_ACK);
    cr_assert_arr_eq(r, w, sizeof w);
    cr_assert_eq(ctl(dev, RT_VENDOR_IN, USB_ZERO_REQ_CTRL_READ, 0, 0, sizeof w + 1), USB_STALL);
    cr_assert_eq(ctl(dev, RT_VENDOR_OUT, USB_ZERO_REQ_CTRL_WRITE, 0, 0, sizeof w + 1), USB_STALL);
    cr_assert_eq(ctl(dev, RT_VENDOR_IN, USB_ZERO_REQ_CTRL_READ, 1, 0, 8), USB_STALL, "wValue");
    cr_assert_eq(ctl(dev, RT_VENDOR_IN, USB_ZERO_REQ_CTRL_READ, 0, 1, 8), USB_STALL, "wIndex");
    cr_assert_eq(ctl(dev, RT_VENDOR_OUT, USB_ZERO_REQ_CTRL_READ, 0, 0, 8), USB_STALL, "direction");
    cr_assert_eq(ctl(dev, RT_VENDOR_IN, USB_ZERO_REQ_CTRL_WRITE, 0, 0, 8), USB_STALL, "direction");
    cr_assert_eq(ctl(dev, 0xc1, USB_ZERO_REQ_CTRL_READ, 0, 0, 8), USB_STALL, "recipient");
    cr_assert_eq(ctl(dev, 0xa0, USB_ZERO_REQ_CTRL_READ, 0, 0, 8), USB_STALL, "class");
    cr_assert_eq(ctl(dev, RT_VENDOR_IN, 0x77, 0, 0, 8), USB_STALL, "unknown");
    down();
}

Test(usb_zero_vendor, vendor_requests_work_before_configuration)
{
    struct usb_zero_config zc;
    usb_zero_config_default(&zc);
    cr_assert_eq(usb_zero_create(&zc, &zero), IOSIM_OK);
    dev = usb_zero_dev(zero);
    host = (struct test_host){0};
    to_state(dev, &host, USB_DEV_DEFAULT, 1);
    uint8_t w[4] = {1, 2, 3, 4}, r[4];
    uint32_t len = 4;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_OUT, USB_ZERO_REQ_CTRL_WRITE, 0, 0, 4, w, &len), USB_ACK);
    cr_assert_eq(ctl_len(dev, RT_VENDOR_IN, USB_ZERO_REQ_CTRL_READ, 0, 0, 4, r, &len), USB_ACK);
    cr_assert_arr_eq(r, w, 4);
    cr_assert_eq(ctl(dev, RT_VENDOR_OUT, USB_ZERO_REQ_HALT, 0, USB_ZERO_EP_BULK_IN, 0), USB_STALL,
                 "no endpoints before SET_CONFIGURATION");
    down();
}

Test(usb_zero_life, bus_reset_restarts_the_stream_and_keeps_the_counters)
{
    up_default();
    uint8_t buf[64];
    uint32_t n;
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 10, &n), USB_ACK);
    cr_assert_eq(usb_dev_bus_reset(dev), IOSIM_OK);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_ADDRESS, 9, 0, 0), USB_ACK);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 0, 0), USB_ACK);
    cr_assert_eq(in(USB_ZERO_EP_BULK_IN, buf, 10, &n), USB_ACK);
    cr_assert_eq(buf[0], 0);
    struct usb_zero_counters c;
    usb_zero_counters(zero, &c);
    cr_assert_eq(c.in_bytes, 20);
    down();
}
