/*
 * usb_test_util.h - what the USB device tests share: a host stub that
 * records `ready` calls, control transfers in one line, a device brought
 * to a given chapter 9 state, the "rich" test device (two configurations,
 * interfaces with alternate settings, strings, a qualifier) and a scripted
 * function behind it. Header-only, for tests/models/usb.
 */
#ifndef IOSIM_TESTS_USB_TEST_UTIL_H
#define IOSIM_TESTS_USB_TEST_UTIL_H

#include <criterion/criterion.h>
#include <string.h>

#include "models/usb/usb_desc.h"
#include "models/usb/usb_dev.h"

/* ---- the host side ------------------------------------------------------------------------- */

#define TEST_READY_MAX 256u

struct test_host {
    uint32_t ready_count;
    uint8_t ready_ep[TEST_READY_MAX];
};

static inline void test_host_ready(void *ctx, uint8_t ep_addr)
{
    struct test_host *h = ctx;
    h->ready_ep[h->ready_count % TEST_READY_MAX] = ep_addr; /* the last TEST_READY_MAX */
    h->ready_count++;
}

static inline const struct usb_host_ops *test_host_ops(void)
{
    static const struct usb_host_ops ops = {.ready = test_host_ready};
    return &ops;
}

/* One control transfer. IN: room = wLength unless *len says otherwise (pass
 * NULL for "room = wLength"). OUT: the data stage is wLength bytes of data
 * (zeros when data is NULL). Returns the result; *len gets the bytes moved. */
static inline enum usb_result ctl_len(struct usb_dev *d, uint8_t rt, uint8_t req, uint16_t value,
                                      uint16_t index, uint16_t length, uint8_t *data,
                                      uint32_t *len)
{
    static uint8_t scratch[65536];
    uint8_t raw[USB_SETUP_BYTES];
    usb_setup_encode(&(struct usb_setup){rt, req, value, index, length}, raw);
    uint32_t n = len != NULL ? *len : length;
    if (data == NULL) {
        memset(scratch, 0, n);
        data = scratch;
    }
    enum usb_result r = usb_dev_control(d, raw, data, &n);
    if (len != NULL)
        *len = n;
    return r;
}

static inline enum usb_result ctl(struct usb_dev *d, uint8_t rt, uint8_t req, uint16_t value,
                                  uint16_t index, uint16_t length)
{
    return ctl_len(d, rt, req, value, index, length, NULL, NULL);
}

#define RT_OUT_DEV 0x00u
#define RT_OUT_IF 0x01u
#define RT_OUT_EP 0x02u
#define RT_IN_DEV 0x80u
#define RT_IN_IF 0x81u
#define RT_IN_EP 0x82u
#define RT_VENDOR_IN 0xc0u
#define RT_VENDOR_OUT 0x40u

/* Attach, reset, and walk the device up to `state` (address 7, the
 * configuration with value `config`). */
static inline void to_state(struct usb_dev *d, struct test_host *h, enum usb_dev_state state,
                            uint8_t config)
{
    cr_assert_eq(usb_dev_attach(d, test_host_ops(), h), IOSIM_OK);
    if (state == USB_DEV_POWERED)
        return;
    cr_assert_eq(usb_dev_bus_reset(d), IOSIM_OK);
    if (state >= USB_DEV_ADDRESS)
        cr_assert_eq(ctl(d, RT_OUT_DEV, USB_REQ_SET_ADDRESS, 7, 0, 0), USB_ACK);
    if (state >= USB_DEV_CONFIGURED)
        cr_assert_eq(ctl(d, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, config, 0, 0), USB_ACK);
    cr_assert_eq(usb_dev_state(d), state);
}

/* ---- a scripted function ------------------------------------------------------------------- */

/* Vendor request 0x01 IN answers "ABCD"; 0x02 OUT takes its data; every
 * other request STALLs. IN/OUT answer `result` with up to `give` bytes
 * of 0xa5 (IN) or take `take` bytes (OUT). Everything is counted. */
#define TEST_FN_VENDOR_READ 0x01u
#define TEST_FN_VENDOR_WRITE 0x02u

struct test_fn {
    uint32_t control_calls, in_calls, out_calls, set_config_calls, set_alt_calls, resets;
    uint32_t halt_cleared_calls;
    struct usb_setup last;
    uint8_t last_config, last_if, last_alt, last_cleared;
    uint8_t written[64];
    uint32_t written_len;
    enum usb_result result;
    uint32_t give, take;
};

static inline enum usb_result test_fn_control(void *ctx, const struct usb_setup *s, uint8_t *data,
                                              uint32_t *len)
{
    struct test_fn *f = ctx;
    f->control_calls++;
    f->last = *s;
    if (s->request_type == RT_VENDOR_IN && s->request == TEST_FN_VENDOR_READ) {
        uint32_t n = s->length < 4 ? s->length : 4;
        memcpy(data, "ABCD", n);
        *len = n;
        return USB_ACK;
    }
    if (s->request_type == RT_VENDOR_OUT && s->request == TEST_FN_VENDOR_WRITE) {
        f->written_len = *len < sizeof f->written ? *len : sizeof f->written;
        memcpy(f->written, data, f->written_len);
        return USB_ACK;
    }
    return USB_STALL;
}

static inline enum usb_result test_fn_in(void *ctx, uint8_t ep, uint8_t *buf, uint32_t max,
                                         uint32_t *got)
{
    struct test_fn *f = ctx;
    (void)ep;
    f->in_calls++;
    uint32_t n = f->give < max ? f->give : max;
    memset(buf, 0xa5, n);
    *got = n;
    return f->result;
}

static inline enum usb_result test_fn_out(void *ctx, uint8_t ep, const uint8_t *buf, uint32_t len,
                                          uint32_t *taken)
{
    struct test_fn *f = ctx;
    (void)ep;
    (void)buf;
    f->out_calls++;
    *taken = f->result == USB_ACK ? len : (f->take < len ? f->take : len);
    return f->result;
}

static inline void test_fn_set_config(void *ctx, uint8_t v)
{
    struct test_fn *f = ctx;
    f->set_config_calls++;
    f->last_config = v;
}

static inline void test_fn_set_alt(void *ctx, uint8_t i, uint8_t a)
{
    struct test_fn *f = ctx;
    f->set_alt_calls++;
    f->last_if = i;
    f->last_alt = a;
}

static inline void test_fn_halt_cleared(void *ctx, uint8_t ep)
{
    struct test_fn *f = ctx;
    f->halt_cleared_calls++;
    f->last_cleared = ep;
}

static inline void test_fn_reset(void *ctx)
{
    struct test_fn *f = ctx;
    f->resets++;
}

static inline const struct usb_fn_ops *test_fn_ops(void)
{
    static const struct usb_fn_ops ops = {
        .control = test_fn_control, .in = test_fn_in, .out = test_fn_out,
        .set_config = test_fn_set_config, .set_alt = test_fn_set_alt,
        .halt_cleared = test_fn_halt_cleared, .reset = test_fn_reset,
    };
    return &ops;
}

/* ---- the rich test device ------------------------------------------------------------------ */

/*
 * Configuration 1 (index 0):
 *   interface 0 alt 0: 0x81 bulk IN, 0x02 bulk OUT             (max packet: bulk_mps)
 *   interface 0 alt 1: 0x81 bulk IN, 0x83 interrupt IN 64 / 4
 *   interface 1 alt 0: 0x84 interrupt IN 8 / 1, 0x05 bulk OUT
 * Configuration 2 (index 1):
 *   interface 0 alt 0: 0x86 bulk IN
 * At SuperSpeed each endpoint has a companion (bulk burst 3, interrupt 0)
 * and the device a BOS; below it a qualifier and an other-speed
 * configuration. Strings: 0 LANGIDs, 1 "iosim", 2 "rich".
 */
#define RICH_POOL_BYTES 1024u

struct rich {
    uint8_t pool[RICH_POOL_BYTES];
    struct usb_blob configs[2], strings[3];
    struct usb_dev_config cfg;
    struct test_fn fn;
};

static inline struct usb_blob rich_since(const struct usb_desc_buf *b, uint32_t at)
{
    return (struct usb_blob){b->bytes + at, b->len_bytes - at};
}

static inline void rich_ep(struct usb_desc_buf *b, bool ss, uint8_t addr, uint8_t xfer,
                           uint16_t mps, uint8_t interval)
{
    usb_desc_add_endpoint(b, addr, xfer, mps, interval);
    if (ss)
        usb_desc_add_ss_companion(b, xfer == USB_EP_XFER_BULK ? 3 : 0, 0,
                                  xfer == USB_EP_XFER_BULK ? 0 : mps);
}

static inline void rich_iface(struct usb_desc_buf *b, uint8_t num, uint8_t alt, uint8_t eps)
{
    usb_desc_add_interface(b, &(struct usb_desc_interface_fields){
                                  .number = num, .alternate = alt, .num_endpoints = eps,
                                  .if_class = USB_CLASS_VENDOR});
}

static inline uint16_t rich_bulk_mps(enum usb_speed sp)
{
    return sp >= USB_SPEED_SUPER ? 1024 : sp == USB_SPEED_HIGH ? 512 : 64;
}

static inline struct usb_blob rich_config1(struct usb_desc_buf *b, uint8_t type, enum usb_speed sp)
{
    bool ss = sp >= USB_SPEED_SUPER;
    uint16_t mps = rich_bulk_mps(sp);
    uint32_t at = usb_desc_add_config(b, type, &(struct usb_desc_config_fields){
                                                   .num_interfaces = 2, .value = 1});
    rich_iface(b, 0, 0, 2);
    rich_ep(b, ss, 0x81, USB_EP_XFER_BULK, mps, 0);
    rich_ep(b, ss, 0x02, USB_EP_XFER_BULK, mps, 0);
    rich_iface(b, 0, 1, 2);
    rich_ep(b, ss, 0x81, USB_EP_XFER_BULK, mps, 0);
    rich_ep(b, ss, 0x83, USB_EP_XFER_INTERRUPT, 64, 4);
    rich_iface(b, 1, 0, 2);
    rich_ep(b, ss, 0x84, USB_EP_XFER_INTERRUPT, 8, 1);
    rich_ep(b, ss, 0x05, USB_EP_XFER_BULK, mps, 0);
    usb_desc_finish_total(b, at);
    return rich_since(b, at);
}

static inline void rich_init(struct rich *r, enum usb_speed sp)
{
    memset(r, 0, sizeof *r);
    struct usb_desc_buf b;
    usb_desc_buf_init(&b, r->pool, sizeof r->pool);
    bool ss = sp >= USB_SPEED_SUPER;
    struct usb_desc_device_fields dev = {
        .bcd_usb = ss ? 0x0300 : 0x0200, .max_packet0 = ss ? 9 : 64, .vendor = 0x1234,
        .product = 0x5678, .i_manufacturer = 1, .i_product = 2, .num_configs = 2};
    struct usb_blob device = rich_since(&b, usb_desc_add_device(&b, &dev));
    r->configs[0] = rich_config1(&b, USB_DT_CONFIG, sp);
    uint32_t at = usb_desc_add_config(&b, USB_DT_CONFIG, &(struct usb_desc_config_fields){
                                                            .num_interfaces = 1, .value = 2});
    rich_iface(&b, 0, 0, 1);
    rich_ep(&b, ss, 0x86, USB_EP_XFER_BULK, rich_bulk_mps(sp), 0);
    usb_desc_finish_total(&b, at);
    r->configs[1] = rich_since(&b, at);
    static const uint16_t langs[] = {0x0409};
    r->strings[0] = rich_since(&b, usb_desc_add_langids(&b, langs, 1));
    r->strings[1] = rich_since(&b, usb_desc_add_string(&b, "iosim"));
    r->strings[2] = rich_since(&b, usb_desc_add_string(&b, "rich"));
    struct usb_blob qual = {0}, other = {0}, bos = {0};
    if (ss) {
        at = usb_desc_add_bos(&b, 1);
        usb_desc_add_usb2_ext(&b, USB_DEVCAP_USB2_EXT_LPM);
        usb_desc_finish_total(&b, at);
        bos = rich_since(&b, at);
    } else {
        qual = rich_since(&b, usb_desc_add_qualifier(&b, &dev));
        other = rich_config1(&b, USB_DT_OTHER_SPEED_CONFIG,
                             sp == USB_SPEED_HIGH ? USB_SPEED_FULL : USB_SPEED_HIGH);
    }
    cr_assert(!b.overflow);
    r->fn.result = USB_ACK;
    r->cfg = (struct usb_dev_config){
        .name = "rich", .speed = sp, .device = device, .configs = r->configs,
        .configs_count = 2, .strings = r->strings, .strings_count = 3, .bos = bos,
        .qualifier = qual, .other_speed = other, .remote_wakeup = true,
        .ops = test_fn_ops(), .ctx = &r->fn};
}

#endif /* IOSIM_TESTS_USB_TEST_UTIL_H */
