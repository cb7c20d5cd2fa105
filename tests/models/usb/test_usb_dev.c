/*
 * models/usb/usb_dev, chapter 9 as tables: every standard request in every
 * device state (the result and the state after), descriptors served
 * byte for byte, SET_ADDRESS, endpoint halt, which endpoints a
 * configuration and an alternate setting enable, what goes to the
 * function, the bulk/interrupt path, resets and the controller's queries.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "models/usb/usb_dev.h"
#include "tests/models/usb/usb_test_util.h"

static struct rich rich;
static struct test_host host;
static struct usb_dev *dev;

static void make(enum usb_speed sp)
{
    rich_init(&rich, sp);
    host = (struct test_host){0};
    cr_assert_eq(usb_dev_create(&rich.cfg, &dev), IOSIM_OK);
}

static void fini(void)
{
    usb_dev_destroy(dev);
    dev = NULL;
}

/* ---- the state table [USB2 9.4], [USB32 9.4] ---------------------------------------------- */

#define A USB_ACK
#define S USB_STALL
#define DEF USB_DEV_DEFAULT
#define ADR USB_DEV_ADDRESS
#define CFG USB_DEV_CONFIGURED
#define SAME USB_DEV_STATE_COUNT

/* want[i] and after[i] for the device in default, address, configured state;
 * R() for a row that leaves the state as it was. */
struct row {
    const char *name;
    uint8_t rt, req;
    uint16_t value, index, length;
    enum usb_result want[3];
    enum usb_dev_state after[3];
};

#define R(name, rt, req, value, index, length, d, a, c) \
    {name, rt, req, value, index, length, {d, a, c}, {SAME, SAME, SAME}}

static const struct row hs_rows[] = {
    R("GET_STATUS device", RT_IN_DEV, USB_REQ_GET_STATUS, 0, 0, 2, S, A, A),
    R("GET_STATUS device wIndex 1", RT_IN_DEV, USB_REQ_GET_STATUS, 0, 1, 2, S, S, S),
    R("GET_STATUS device wLength 1", RT_IN_DEV, USB_REQ_GET_STATUS, 0, 0, 1, S, S, S),
    R("GET_STATUS device wValue 1", RT_IN_DEV, USB_REQ_GET_STATUS, 1, 0, 2, S, S, S),
    R("GET_STATUS OUT", RT_OUT_DEV, USB_REQ_GET_STATUS, 0, 0, 2, S, S, S),
    R("GET_STATUS interface 0", RT_IN_IF, USB_REQ_GET_STATUS, 0, 0, 2, S, S, A),
    R("GET_STATUS interface 9", RT_IN_IF, USB_REQ_GET_STATUS, 0, 9, 2, S, S, S),
    R("GET_STATUS endpoint 0", RT_IN_EP, USB_REQ_GET_STATUS, 0, 0x00, 2, S, A, A),
    R("GET_STATUS endpoint 0x80", RT_IN_EP, USB_REQ_GET_STATUS, 0, 0x80, 2, S, A, A),
    R("GET_STATUS endpoint 0x81", RT_IN_EP, USB_REQ_GET_STATUS, 0, 0x81, 2, S, S, A),
    R("GET_STATUS endpoint 0x01 (wrong direction)",
      RT_IN_EP, USB_REQ_GET_STATUS, 0, 0x01, 2, S, S, S),
    R("GET_STATUS endpoint 0x83 (other setting)",
      RT_IN_EP, USB_REQ_GET_STATUS, 0, 0x83, 2, S, S, S),
    R("GET_STATUS endpoint 0x181 (wIndex high byte)",
      RT_IN_EP, USB_REQ_GET_STATUS, 0, 0x181, 2, S, S, S),
    R("GET_STATUS endpoint 0x91 (reserved bits)",
      RT_IN_EP, USB_REQ_GET_STATUS, 0, 0x91, 2, S, S, S),
    R("CLEAR_FEATURE remote wakeup", RT_OUT_DEV, USB_REQ_CLEAR_FEATURE, 1, 0, 0, S, A, A),
    R("SET_FEATURE remote wakeup", RT_OUT_DEV, USB_REQ_SET_FEATURE, 1, 0, 0, S, A, A),
    R("SET_FEATURE remote wakeup wIndex 1", RT_OUT_DEV, USB_REQ_SET_FEATURE, 1, 1, 0, S, S, S),
    R("SET_FEATURE remote wakeup IN", RT_IN_DEV, USB_REQ_SET_FEATURE, 1, 0, 0, S, S, S),
    R("SET_FEATURE feature 7", RT_OUT_DEV, USB_REQ_SET_FEATURE, 7, 0, 0, S, S, S),
    R("CLEAR_FEATURE test mode", RT_OUT_DEV, USB_REQ_CLEAR_FEATURE, 2, 0x0100, 0, S, S, S),
    R("SET_FEATURE test mode J", RT_OUT_DEV, USB_REQ_SET_FEATURE, 2, 0x0100, 0, A, A, A),
    R("SET_FEATURE test mode force enable", RT_OUT_DEV, USB_REQ_SET_FEATURE, 2, 0x0500, 0, A, A, A),
    R("SET_FEATURE test mode selector 0", RT_OUT_DEV, USB_REQ_SET_FEATURE, 2, 0x0000, 0, S, S, S),
    R("SET_FEATURE test mode selector 6", RT_OUT_DEV, USB_REQ_SET_FEATURE, 2, 0x0600, 0, S, S, S),
    R("SET_FEATURE test mode low byte set", RT_OUT_DEV, USB_REQ_SET_FEATURE, 2, 0x0101, 0, S, S, S),
    R("SET_FEATURE U1 below SuperSpeed", RT_OUT_DEV, USB_REQ_SET_FEATURE, 48, 0, 0, S, S, S),
    R("SET_FEATURE halt 0x81", RT_OUT_EP, USB_REQ_SET_FEATURE, 0, 0x81, 0, S, S, A),
    R("CLEAR_FEATURE halt 0x81", RT_OUT_EP, USB_REQ_CLEAR_FEATURE, 0, 0x81, 0, S, S, A),
    R("CLEAR_FEATURE halt 0x02", RT_OUT_EP, USB_REQ_CLEAR_FEATURE, 0, 0x02, 0, S, S, A),
    R("SET_FEATURE halt endpoint 0", RT_OUT_EP, USB_REQ_SET_FEATURE, 0, 0x00, 0, S, S, S),
    R("CLEAR_FEATURE halt endpoint 0", RT_OUT_EP, USB_REQ_CLEAR_FEATURE, 0, 0x80, 0, S, S, S),
    R("SET_FEATURE halt 0x8f (absent)", RT_OUT_EP, USB_REQ_SET_FEATURE, 0, 0x8f, 0, S, S, S),
    R("SET_FEATURE halt wLength 2", RT_OUT_EP, USB_REQ_SET_FEATURE, 0, 0x81, 2, S, S, S),
    R("SET_FEATURE endpoint feature 1", RT_OUT_EP, USB_REQ_SET_FEATURE, 1, 0x81, 0, S, S, S),
    R("SET_FEATURE interface", RT_OUT_IF, USB_REQ_SET_FEATURE, 0, 0, 0, S, S, S),
    {"SET_ADDRESS 5", RT_OUT_DEV, USB_REQ_SET_ADDRESS, 5, 0, 0, {A, A, S}, {ADR, ADR, SAME}},
    {"SET_ADDRESS 127", RT_OUT_DEV, USB_REQ_SET_ADDRESS, 127, 0, 0, {A, A, S}, {ADR, ADR, SAME}},
    {"SET_ADDRESS 0", RT_OUT_DEV, USB_REQ_SET_ADDRESS, 0, 0, 0, {A, A, S}, {DEF, DEF, SAME}},
    R("SET_ADDRESS 128", RT_OUT_DEV, USB_REQ_SET_ADDRESS, 128, 0, 0, S, S, S),
    R("SET_ADDRESS wIndex 1", RT_OUT_DEV, USB_REQ_SET_ADDRESS, 5, 1, 0, S, S, S),
    R("SET_ADDRESS wLength 1", RT_OUT_DEV, USB_REQ_SET_ADDRESS, 5, 0, 1, S, S, S),
    R("SET_ADDRESS IN", RT_IN_DEV, USB_REQ_SET_ADDRESS, 5, 0, 0, S, S, S),
    R("GET_DESCRIPTOR device", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18, A, A, A),
    R("GET_DESCRIPTOR device wIndex 1", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0100, 1, 18, S, S, S),
    R("GET_DESCRIPTOR device index 1", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0101, 0, 18, S, S, S),
    R("GET_DESCRIPTOR device OUT", RT_OUT_DEV, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18, S, S, S),
    R("GET_DESCRIPTOR config 0", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0200, 0, 255, A, A, A),
    R("GET_DESCRIPTOR config 1", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0201, 0, 255, A, A, A),
    R("GET_DESCRIPTOR config 2 (absent)",
      RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0202, 0, 255, S, S, S),
    R("GET_DESCRIPTOR string 0", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0300, 0, 255, A, A, A),
    R("GET_DESCRIPTOR string 2", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0302, 0x0409, 255, A, A, A),
    R("GET_DESCRIPTOR string 3 (absent)",
      RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0303, 0x0409, 255, S, S, S),
    R("GET_DESCRIPTOR qualifier", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0600, 0, 10, A, A, A),
    R("GET_DESCRIPTOR other speed", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0700, 0, 255, A, A, A),
    R("GET_DESCRIPTOR other speed 1", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0701, 0, 255, S, S, S),
    R("GET_DESCRIPTOR BOS (absent)", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0f00, 0, 255, S, S, S),
    R("GET_DESCRIPTOR interface", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0400, 0, 9, S, S, S),
    R("GET_DESCRIPTOR endpoint", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0500, 0, 7, S, S, S),
    R("GET_DESCRIPTOR wLength 0", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 0, A, A, A),
    R("SET_DESCRIPTOR", RT_OUT_DEV, USB_REQ_SET_DESCRIPTOR, 0x0100, 0, 18, S, S, S),
    R("GET_CONFIGURATION", RT_IN_DEV, USB_REQ_GET_CONFIGURATION, 0, 0, 1, S, A, A),
    R("GET_CONFIGURATION wLength 2", RT_IN_DEV, USB_REQ_GET_CONFIGURATION, 0, 0, 2, S, S, S),
    {"SET_CONFIGURATION 1",
     RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 0, 0, {S, A, A}, {SAME, CFG, CFG}},
    {"SET_CONFIGURATION 2",
     RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 2, 0, 0, {S, A, A}, {SAME, CFG, CFG}},
    {"SET_CONFIGURATION 0",
     RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 0, 0, 0, {S, A, A}, {SAME, ADR, ADR}},
    R("SET_CONFIGURATION 3 (absent)", RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 3, 0, 0, S, S, S),
    R("SET_CONFIGURATION 0x0101", RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 0x0101, 0, 0, S, S, S),
    R("SET_CONFIGURATION wIndex 1", RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 1, 0, S, S, S),
    R("GET_INTERFACE 0", RT_IN_IF, USB_REQ_GET_INTERFACE, 0, 0, 1, S, S, A),
    R("GET_INTERFACE 1", RT_IN_IF, USB_REQ_GET_INTERFACE, 0, 1, 1, S, S, A),
    R("GET_INTERFACE 5 (absent)", RT_IN_IF, USB_REQ_GET_INTERFACE, 0, 5, 1, S, S, S),
    R("GET_INTERFACE wLength 2", RT_IN_IF, USB_REQ_GET_INTERFACE, 0, 0, 2, S, S, S),
    R("SET_INTERFACE 0 alt 1", RT_OUT_IF, USB_REQ_SET_INTERFACE, 1, 0, 0, S, S, A),
    R("SET_INTERFACE 0 alt 0", RT_OUT_IF, USB_REQ_SET_INTERFACE, 0, 0, 0, S, S, A),
    R("SET_INTERFACE 0 alt 2 (absent)", RT_OUT_IF, USB_REQ_SET_INTERFACE, 2, 0, 0, S, S, S),
    R("SET_INTERFACE 1 alt 1 (absent)", RT_OUT_IF, USB_REQ_SET_INTERFACE, 1, 1, 0, S, S, S),
    R("SET_INTERFACE IN", RT_IN_IF, USB_REQ_SET_INTERFACE, 1, 0, 0, S, S, S),
    R("SYNCH_FRAME", RT_IN_EP, USB_REQ_SYNCH_FRAME, 0, 0x81, 2, S, S, S),
    R("SET_SEL below SuperSpeed", RT_OUT_DEV, USB_REQ_SET_SEL, 0, 0, 6, S, S, S),
    R("SET_ISOCH_DELAY below SuperSpeed", RT_OUT_DEV, USB_REQ_SET_ISOCH_DELAY, 40, 0, 0, S, S, S),
    R("reserved type", 0x60, USB_REQ_GET_STATUS, 0, 0, 0, S, S, S),
    R("reserved recipient", 0x84, USB_REQ_GET_STATUS, 0, 0, 2, S, S, S),
    R("vendor read (the function)", RT_VENDOR_IN, TEST_FN_VENDOR_READ, 0, 0, 4, A, A, A),
    R("vendor write (the function)", RT_VENDOR_OUT, TEST_FN_VENDOR_WRITE, 0, 0, 3, A, A, A),
    R("class request the function stalls", 0xa1, 0xfe, 0, 0, 1, S, S, S),
    R("unknown standard request", RT_IN_DEV, 0x02, 0, 0, 2, S, S, S),
    R("GET_DESCRIPTOR to an interface", RT_IN_IF, USB_REQ_GET_DESCRIPTOR, 0x2200, 0, 64, S, S, S),
};

static const struct row ss_rows[] = {
    R("SET_SEL", RT_OUT_DEV, USB_REQ_SET_SEL, 0, 0, 6, S, A, A),
    R("SET_SEL wLength 5", RT_OUT_DEV, USB_REQ_SET_SEL, 0, 0, 5, S, S, S),
    R("SET_SEL wValue 1", RT_OUT_DEV, USB_REQ_SET_SEL, 1, 0, 6, S, S, S),
    R("SET_ISOCH_DELAY", RT_OUT_DEV, USB_REQ_SET_ISOCH_DELAY, 40, 0, 0, A, A, A),
    R("SET_ISOCH_DELAY wIndex 1", RT_OUT_DEV, USB_REQ_SET_ISOCH_DELAY, 40, 1, 0, S, S, S),
    R("SET_FEATURE U1", RT_OUT_DEV, USB_REQ_SET_FEATURE, 48, 0, 0, S, S, A),
    R("SET_FEATURE U2", RT_OUT_DEV, USB_REQ_SET_FEATURE, 49, 0, 0, S, S, A),
    R("CLEAR_FEATURE U2", RT_OUT_DEV, USB_REQ_CLEAR_FEATURE, 49, 0, 0, S, S, A),
    R("SET_FEATURE LTM", RT_OUT_DEV, USB_REQ_SET_FEATURE, 50, 0, 0, S, S, S),
    R("SET_FEATURE test mode at SuperSpeed",
      RT_OUT_DEV, USB_REQ_SET_FEATURE, 2, 0x0100, 0, S, S, S),
    R("GET_DESCRIPTOR BOS", RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0f00, 0, 255, A, A, A),
    R("GET_DESCRIPTOR qualifier (absent at SuperSpeed)",
      RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0600, 0, 10, S, S, S),
    R("SET_FEATURE halt 0x84", RT_OUT_EP, USB_REQ_SET_FEATURE, 0, 0x84, 0, S, S, A),
};

static void run_rows(enum usb_speed sp, const struct row *rows, size_t n)
{
    static const enum usb_dev_state states[3] = {DEF, ADR, CFG};
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        for (uint32_t st = 0; st < 3; st++) {
            make(sp);
            to_state(dev, &host, states[st], 1);
            enum usb_result got = ctl(dev, r->rt, r->req, r->value, r->index, r->length);
            enum usb_dev_state want_state = r->after[st] == SAME ? states[st] : r->after[st];
            cr_assert_eq(got, r->want[st], "%s in %s state: %s, want %s", r->name,
                         usb_dev_state_name(states[st]), usb_result_name(got),
                         usb_result_name(r->want[st]));
            cr_assert_eq(usb_dev_state(dev), want_state, "%s in %s state: now %s, want %s",
                         r->name, usb_dev_state_name(states[st]),
                         usb_dev_state_name(usb_dev_state(dev)), usb_dev_state_name(want_state));
            fini();
        }
    }
}

Test(usb_dev_ch9, every_standard_request_in_every_state_at_high_speed)
{
    run_rows(USB_SPEED_HIGH, hs_rows, sizeof hs_rows / sizeof hs_rows[0]);
}

Test(usb_dev_ch9, superspeed_requests_in_every_state)
{
    run_rows(USB_SPEED_SUPER, ss_rows, sizeof ss_rows / sizeof ss_rows[0]);
    run_rows(USB_SPEED_SUPER_PLUS, ss_rows, sizeof ss_rows / sizeof ss_rows[0]);
}

Test(usb_dev_ch9, nothing_answers_when_detached_powered_or_in_test_mode)
{
    for (uint32_t mode = 0; mode < 3; mode++) {
        for (size_t i = 0; i < sizeof hs_rows / sizeof hs_rows[0]; i++) {
            const struct row *r = &hs_rows[i];
            make(USB_SPEED_HIGH);
            if (mode == 1)
                to_state(dev, &host, USB_DEV_POWERED, 1);
            if (mode == 2) {
                to_state(dev, &host, USB_DEV_CONFIGURED, 1);
                cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_FEATURE, USB_FEATURE_TEST_MODE,
                                 USB_TEST_PACKET << 8, 0), USB_ACK);
                cr_assert_eq(usb_dev_test_mode(dev), USB_TEST_PACKET);
            }
            uint32_t len = r->length;
            cr_assert_eq(ctl_len(dev, r->rt, r->req, r->value, r->index, r->length, NULL, &len),
                         USB_XACT_ERR, "%s (mode %u)", r->name, mode);
            cr_assert_eq(len, 0);
            uint8_t buf[64];
            cr_assert_eq(usb_dev_in(dev, 0x81, buf, sizeof buf, &len), USB_XACT_ERR);
            cr_assert_eq(usb_dev_out(dev, 0x02, buf, sizeof buf, &len), USB_XACT_ERR);
            cr_assert_eq(rich.fn.control_calls + rich.fn.in_calls + rich.fn.out_calls, 0);
            fini();
        }
    }
}

Test(usb_dev_ch9, test_mode_survives_bus_reset_and_ends_with_a_power_cycle)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_ADDRESS, 1);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_FEATURE, 2, USB_TEST_K << 8, 0), USB_ACK);
    cr_assert_eq(usb_dev_bus_reset(dev), IOSIM_OK);
    cr_assert_eq(usb_dev_test_mode(dev), USB_TEST_K);
    cr_assert_eq(ctl(dev, RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18), USB_XACT_ERR);
    usb_dev_detach(dev);
    cr_assert_eq(usb_dev_test_mode(dev), 0);
    to_state(dev, &host, USB_DEV_DEFAULT, 1);
    cr_assert_eq(ctl(dev, RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18), USB_ACK);
    fini();
}

/* ---- descriptors, served raw [USB2 9.4.3] ------------------------------------------------- */

static void check_served(uint16_t value, uint16_t windex, const struct usb_blob *b)
{
    static const uint16_t lengths[] = {0, 1, 2, 7, 8, 9, 10, 17, 18, 64, 255, 256, 4096, 65535};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        uint16_t wl = lengths[i];
        uint8_t buf[65535];
        memset(buf, 0xee, sizeof buf);
        uint32_t len = wl;
        cr_assert_eq(ctl_len(dev, RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, value, windex, wl, buf, &len),
                     USB_ACK, "descriptor 0x%04x wLength %u", value, wl);
        uint32_t want = wl < b->len_bytes ? wl : b->len_bytes;
        cr_assert_eq(len, want, "descriptor 0x%04x wLength %u: %u bytes, want %u", value, wl, len,
                     want);
        cr_assert_eq(memcmp(buf, b->bytes, want), 0, "descriptor 0x%04x wLength %u", value, wl);
        cr_assert_eq(buf[want], 0xee, "nothing written past the answer");
    }
}

Test(usb_dev_desc, every_descriptor_is_served_exactly_and_truncated_to_wlength)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_DEFAULT, 1);
    check_served(0x0100, 0, &rich.cfg.device);
    check_served(0x0200, 0, &rich.configs[0]);
    check_served(0x0201, 0, &rich.configs[1]);
    check_served(0x0300, 0, &rich.strings[0]);
    check_served(0x0301, 0x0409, &rich.strings[1]);
    check_served(0x0302, 0x0407, &rich.strings[2]); /* any LANGID */
    check_served(0x0600, 0, &rich.cfg.qualifier);
    check_served(0x0700, 0, &rich.cfg.other_speed);
    fini();
    make(USB_SPEED_SUPER);
    to_state(dev, &host, USB_DEV_CONFIGURED, 2);
    check_served(0x0f00, 0, &rich.cfg.bos);
    check_served(0x0100, 0, &rich.cfg.device);
    fini();
}

Test(usb_dev_desc, string_zero_lists_the_langids)
{
    make(USB_SPEED_FULL);
    to_state(dev, &host, USB_DEV_DEFAULT, 1);
    uint8_t buf[8];
    uint32_t len = sizeof buf;
    cr_assert_eq(ctl_len(dev, RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0300, 0, 8, buf, &len), USB_ACK);
    cr_assert_eq(len, 4);
    const uint8_t want[] = {4, USB_DT_STRING, 0x09, 0x04};
    cr_assert_arr_eq(buf, want, 4);
    len = sizeof buf;
    cr_assert_eq(ctl_len(dev, RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0302, 0x0409, 8, buf, &len),
                 USB_ACK);
    const uint8_t rich_str[] = {10, USB_DT_STRING, 'r', 0, 'i', 0, 'c', 0};
    cr_assert_eq(len, 8);
    cr_assert_arr_eq(buf, rich_str, 8);
    fini();
}

Test(usb_dev_desc, an_answer_longer_than_the_room_babbles)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_DEFAULT, 1);
    uint8_t buf[18];
    uint32_t len = 8; /* the host's data stage is shorter than its wLength */
    cr_assert_eq(ctl_len(dev, RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 18, buf, &len),
                 USB_BABBLE);
    cr_assert_eq(len, 8);
    cr_assert_eq(memcmp(buf, rich.cfg.device.bytes, 8), 0);
    len = 8; /* wLength 8 fits */
    cr_assert_eq(ctl_len(dev, RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0x0100, 0, 8, buf, &len), USB_ACK);
    cr_assert_eq(len, 8);
    fini();
}

Test(usb_dev_desc, an_out_data_stage_other_than_wlength_stalls)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_ADDRESS, 1);
    uint8_t data[8] = {1, 2, 3};
    uint32_t len = 2;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_OUT, TEST_FN_VENDOR_WRITE, 0, 0, 3, data, &len), USB_STALL);
    len = 4;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_OUT, TEST_FN_VENDOR_WRITE, 0, 0, 3, data, &len), USB_STALL);
    cr_assert_eq(rich.fn.control_calls, 0);
    len = 3;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_OUT, TEST_FN_VENDOR_WRITE, 0, 0, 3, data, &len), USB_ACK);
    cr_assert_eq(len, 3);
    cr_assert_eq(rich.fn.written_len, 3);
    cr_assert_arr_eq(rich.fn.written, data, 3);
    fini();
}

/* ---- ep0 max packet size [USB2 9.6.1, 5.5.3], [USB32 9.6.1] ------------------------------- */

Test(usb_dev_ep0, max_packet_is_the_descriptors_when_legal_else_the_speeds_default)
{
    static const struct {
        enum usb_speed sp;
        int desc; /* bMaxPacketSize0, or -1: no device descriptor */
        uint16_t want;
    } rows[] = {
        {USB_SPEED_LOW, 8, 8}, {USB_SPEED_LOW, 64, 8}, {USB_SPEED_FULL, 8, 8},
        {USB_SPEED_FULL, 16, 16}, {USB_SPEED_FULL, 32, 32}, {USB_SPEED_FULL, 64, 64},
        {USB_SPEED_FULL, 9, 64}, {USB_SPEED_FULL, 0, 64}, {USB_SPEED_FULL, -1, 64},
        {USB_SPEED_HIGH, 64, 64}, {USB_SPEED_HIGH, 8, 64}, {USB_SPEED_HIGH, -1, 64},
        {USB_SPEED_SUPER, 9, 512}, {USB_SPEED_SUPER, 64, 512}, {USB_SPEED_SUPER_PLUS, 9, 512},
        {USB_SPEED_SUPER_PLUS, 0, 512},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint8_t dd[USB_DT_DEVICE_BYTES] = {18, USB_DT_DEVICE};
        dd[USB_DEV_MAX_PACKET0] = (uint8_t)rows[i].desc;
        struct usb_dev_config c = {.name = "ep0", .speed = rows[i].sp};
        if (rows[i].desc >= 0)
            c.device = (struct usb_blob){dd, sizeof dd};
        struct usb_dev *d;
        cr_assert_eq(usb_dev_create(&c, &d), IOSIM_OK);
        cr_assert_eq(usb_dev_ep0_max_packet(d), rows[i].want, "row %zu: %u", i,
                     usb_dev_ep0_max_packet(d));
        usb_dev_destroy(d);
    }
    /* a device descriptor cut before bMaxPacketSize0 */
    uint8_t cut[7] = {18, USB_DT_DEVICE, 0, 2, 0, 0, 0};
    struct usb_dev_config c = {.name = "cut", .speed = USB_SPEED_FULL, .device = {cut, 7}};
    struct usb_dev *d;
    cr_assert_eq(usb_dev_create(&c, &d), IOSIM_OK);
    cr_assert_eq(usb_dev_ep0_max_packet(d), 64);
    usb_dev_destroy(d);
}

/* ---- SET_ADDRESS [USB2 9.4.6] -------------------------------------------------------------- */

Test(usb_dev_address, every_address_0_to_127_is_taken_and_the_rest_stall)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_DEFAULT, 1);
    for (uint32_t a = 1; a <= USB_ADDRESS_MAX; a++) {
        cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_ADDRESS, (uint16_t)a, 0, 0), USB_ACK);
        cr_assert_eq(usb_dev_address(dev), a);
        cr_assert_eq(usb_dev_state(dev), USB_DEV_ADDRESS);
    }
    for (uint32_t a = 128; a <= 0xffff; a += 97) {
        cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_ADDRESS, (uint16_t)a, 0, 0), USB_STALL);
        cr_assert_eq(usb_dev_address(dev), USB_ADDRESS_MAX, "a refused address changes nothing");
    }
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_ADDRESS, 0, 0, 0), USB_ACK);
    cr_assert_eq(usb_dev_state(dev), USB_DEV_DEFAULT);
    cr_assert_eq(usb_dev_address(dev), 0);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_ADDRESS, 0, 0, 0), USB_ACK, "0 in default state");
    cr_assert_eq(usb_dev_state(dev), USB_DEV_DEFAULT);
    fini();
}

Test(usb_dev_address, configured_devices_keep_their_address)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_ADDRESS, 9, 0, 0), USB_STALL);
    cr_assert_eq(usb_dev_address(dev), 7);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 0, 0, 0), USB_ACK);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_ADDRESS, 9, 0, 0), USB_ACK);
    cr_assert_eq(usb_dev_address(dev), 9);
    fini();
}

/* ---- configurations and interfaces [USB2 9.4.7, 9.4.10] ---------------------------------- */

static void check_eps(const uint8_t *want, size_t n, const char *what)
{
    for (uint32_t a = 0; a < 256; a++) {
        bool expect = false;
        for (size_t i = 0; i < n; i++)
            expect |= want[i] == a;
        struct usb_ep_info info;
        cr_assert_eq(usb_dev_ep_info(dev, (uint8_t)a, &info), expect, "%s: endpoint 0x%02x %s",
                     what, a, expect ? "missing" : "enabled");
        cr_assert_eq(info.present, expect);
    }
}

Test(usb_dev_config, set_configuration_enables_exactly_the_endpoints_of_its_blob)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_ADDRESS, 1);
    check_eps(NULL, 0, "address state");
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 0, 0), USB_ACK);
    const uint8_t c1[] = {0x81, 0x02, 0x84, 0x05};
    check_eps(c1, sizeof c1, "configuration 1");
    cr_assert_eq(rich.fn.last_config, 1);
    struct usb_ep_info i;
    cr_assert(usb_dev_ep_info(dev, 0x84, &i));
    cr_assert_eq(i.xfer, USB_EP_XFER_INTERRUPT);
    cr_assert_eq(i.max_packet_bytes, 8);
    cr_assert_eq(i.interval, 1);
    cr_assert_eq(i.interface, 1);
    cr_assert_eq(i.alternate, 0);
    cr_assert(usb_dev_ep_info(dev, 0x02, &i));
    cr_assert_eq(i.xfer, USB_EP_XFER_BULK);
    cr_assert_eq(i.max_packet_bytes, 512);
    cr_assert_eq(i.max_burst, 0, "no companions below SuperSpeed");
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 2, 0, 0), USB_ACK);
    const uint8_t c2[] = {0x86};
    check_eps(c2, sizeof c2, "configuration 2");
    cr_assert_eq(usb_dev_config_value(dev), 2);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 0, 0, 0), USB_ACK);
    check_eps(NULL, 0, "deconfigured");
    cr_assert_eq(usb_dev_config_value(dev), 0);
    cr_assert_eq(rich.fn.set_config_calls, 3);
    cr_assert_eq(rich.fn.last_config, 0);
    fini();
}

Test(usb_dev_config, get_configuration_and_get_interface_report_the_choice)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_ADDRESS, 1);
    uint8_t b[2] = {0xee};
    uint32_t len = 1;
    cr_assert_eq(ctl_len(dev, RT_IN_DEV, USB_REQ_GET_CONFIGURATION, 0, 0, 1, b, &len), USB_ACK);
    cr_assert_eq(len, 1);
    cr_assert_eq(b[0], 0);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 0, 0), USB_ACK);
    len = 1;
    cr_assert_eq(ctl_len(dev, RT_IN_DEV, USB_REQ_GET_CONFIGURATION, 0, 0, 1, b, &len), USB_ACK);
    cr_assert_eq(b[0], 1);
    cr_assert_eq(ctl(dev, RT_OUT_IF, USB_REQ_SET_INTERFACE, 1, 0, 0), USB_ACK);
    len = 1;
    cr_assert_eq(ctl_len(dev, RT_IN_IF, USB_REQ_GET_INTERFACE, 0, 0, 1, b, &len), USB_ACK);
    cr_assert_eq(b[0], 1);
    uint8_t alt = 9;
    cr_assert(usb_dev_alt(dev, 0, &alt));
    cr_assert_eq(alt, 1);
    cr_assert(!usb_dev_alt(dev, 2, &alt));
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 0, 0), USB_ACK);
    cr_assert(usb_dev_alt(dev, 0, &alt));
    cr_assert_eq(alt, 0, "SET_CONFIGURATION selects alternate setting 0 again");
    fini();
}

Test(usb_dev_config, set_interface_swaps_that_interfaces_endpoints_only)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    cr_assert_eq(ctl(dev, RT_OUT_EP, USB_REQ_SET_FEATURE, 0, 0x84, 0), USB_ACK);
    cr_assert_eq(ctl(dev, RT_OUT_EP, USB_REQ_SET_FEATURE, 0, 0x81, 0), USB_ACK);
    cr_assert_eq(ctl(dev, RT_OUT_IF, USB_REQ_SET_INTERFACE, 1, 0, 0), USB_ACK);
    const uint8_t alt1[] = {0x81, 0x83, 0x84, 0x05};
    check_eps(alt1, sizeof alt1, "interface 0 alt 1");
    cr_assert_eq(rich.fn.set_alt_calls, 1);
    cr_assert_eq(rich.fn.last_if, 0);
    cr_assert_eq(rich.fn.last_alt, 1);
    struct usb_ep_info i;
    cr_assert(usb_dev_ep_info(dev, 0x84, &i));
    cr_assert(i.halted, "interface 1's endpoint keeps its halt");
    cr_assert(usb_dev_ep_info(dev, 0x81, &i));
    cr_assert(!i.halted, "interface 0's endpoints start afresh");
    cr_assert_eq(i.alternate, 1);
    cr_assert(usb_dev_ep_info(dev, 0x83, &i));
    cr_assert_eq(i.max_packet_bytes, 64);
    cr_assert_eq(i.interval, 4);
    cr_assert_eq(ctl(dev, RT_OUT_IF, USB_REQ_SET_INTERFACE, 0, 0, 0), USB_ACK);
    const uint8_t alt0[] = {0x81, 0x02, 0x84, 0x05};
    check_eps(alt0, sizeof alt0, "interface 0 alt 0 again");
    fini();
}

/* ---- endpoint halt [USB2 9.4.5, 9.4.1, 9.4.9, 8.4.5] -------------------------------------- */

static uint16_t ep_status(uint8_t ep)
{
    uint8_t b[2];
    uint32_t len = 2;
    cr_assert_eq(ctl_len(dev, RT_IN_EP, USB_REQ_GET_STATUS, 0, ep, 2, b, &len), USB_ACK);
    cr_assert_eq(len, 2);
    return (uint16_t)(b[0] | b[1] << 8);
}

Test(usb_dev_halt, set_clear_and_get_status_agree_and_gate_transfers)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    uint8_t buf[512];
    uint32_t n;
    rich.fn.give = 10;
    cr_assert_eq(ep_status(0x81), 0);
    cr_assert_eq(ctl(dev, RT_OUT_EP, USB_REQ_SET_FEATURE, 0, 0x81, 0), USB_ACK);
    cr_assert_eq(ep_status(0x81), USB_STATUS_HALT);
    cr_assert_eq(ep_status(0x02), 0, "only the endpoint named");
    for (int k = 0; k < 3; k++)
        cr_assert_eq(usb_dev_in(dev, 0x81, buf, sizeof buf, &n), USB_STALL, "halted stays halted");
    cr_assert_eq(rich.fn.in_calls, 0, "a halted endpoint never reaches the function");
    cr_assert_eq(usb_dev_out(dev, 0x02, buf, 10, &n), USB_ACK);
    cr_assert_eq(ctl(dev, RT_OUT_EP, USB_REQ_CLEAR_FEATURE, 0, 0x81, 0), USB_ACK);
    cr_assert_eq(rich.fn.halt_cleared_calls, 1);
    cr_assert_eq(rich.fn.last_cleared, 0x81);
    cr_assert_eq(ep_status(0x81), 0);
    cr_assert_eq(usb_dev_in(dev, 0x81, buf, sizeof buf, &n), USB_ACK);
    cr_assert_eq(n, 10);
    cr_assert_eq(ep_status(0x00), 0, "endpoint 0 reports no halt");
    fini();
}

Test(usb_dev_halt, a_function_stall_or_usb_dev_halt_halts_until_cleared_or_reconfigured)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    uint8_t buf[64];
    uint32_t n;
    rich.fn.result = USB_STALL;
    cr_assert_eq(usb_dev_out(dev, 0x02, buf, sizeof buf, &n), USB_STALL);
    cr_assert_eq(ep_status(0x02), USB_STATUS_HALT);
    rich.fn.result = USB_ACK;
    cr_assert_eq(usb_dev_out(dev, 0x02, buf, sizeof buf, &n), USB_STALL);
    cr_assert_eq(rich.fn.out_calls, 1);
    cr_assert_eq(usb_dev_halt(dev, 0x84), IOSIM_OK);
    cr_assert_eq(ep_status(0x84), USB_STATUS_HALT);
    cr_assert_eq(usb_dev_halt(dev, 0x83), IOSIM_ENOENT, "not in the active setting");
    cr_assert_eq(usb_dev_halt(dev, 0x00), IOSIM_ENOENT);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 0, 0), USB_ACK);
    cr_assert_eq(ep_status(0x02), 0, "SET_CONFIGURATION clears halts, even to the same value");
    cr_assert_eq(ep_status(0x84), 0);
    cr_assert_eq(usb_dev_out(dev, 0x02, buf, sizeof buf, &n), USB_ACK);
    usb_dev_detach(dev);
    cr_assert_eq(usb_dev_halt(dev, 0x02), IOSIM_ENODEV);
    fini();
}

Test(usb_dev_halt, clear_feature_resets_the_toggle_even_when_not_halted)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    uint8_t buf[1024];
    uint32_t n;
    struct usb_ep_info i;
    rich.fn.give = 512;
    cr_assert_eq(usb_dev_in(dev, 0x81, buf, 512, &n), USB_ACK);
    cr_assert(usb_dev_ep_info(dev, 0x81, &i));
    cr_assert_eq(i.seq, 1);
    cr_assert_eq(ctl(dev, RT_OUT_EP, USB_REQ_CLEAR_FEATURE, 0, 0x81, 0), USB_ACK);
    cr_assert(usb_dev_ep_info(dev, 0x81, &i));
    cr_assert_eq(i.seq, 0);
    fini();
}

/* ---- data toggles and sequence numbers ---------------------------------------------------- */

Test(usb_dev_io, the_toggle_advances_by_the_packets_each_transfer_moved)
{
    static const struct {
        bool in;
        enum usb_result res;
        uint32_t give, max, packets;
    } rows[] = {
        {true, USB_ACK, 512, 512, 1},     {true, USB_ACK, 1024, 1024, 2},
        {true, USB_ACK, 100, 512, 1},     {true, USB_ACK, 0, 512, 1},
        {true, USB_ACK, 512, 1024, 2},    {true, USB_ACK, 600, 1024, 2},
        {true, USB_NAK, 0, 512, 0},       {true, USB_NAK, 1024, 4096, 2},
        {true, USB_STALL, 0, 512, 0},     {false, USB_ACK, 0, 0, 1},
        {false, USB_ACK, 513, 513, 2},    {false, USB_ACK, 1536, 1536, 3},
        {false, USB_NAK, 512, 1024, 1},   {false, USB_XACT_ERR, 0, 512, 0},
    };
    for (uint32_t sp = 0; sp < 2; sp++) {
        uint32_t mod = sp == 0 ? 2 : 32;
        for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
            make(sp == 0 ? USB_SPEED_HIGH : USB_SPEED_SUPER);
            to_state(dev, &host, USB_DEV_CONFIGURED, 1);
            uint8_t buf[4096] = {0};
            uint32_t n;
            uint8_t ep = rows[k].in ? 0x81 : 0x02;
            uint32_t mps = sp == 0 ? 512 : 1024;
            rich.fn.result = rows[k].res;
            rich.fn.give = rows[k].give * mps / 512;
            rich.fn.take = rows[k].give * mps / 512;
            uint32_t max = rows[k].max * mps / 512;
            enum usb_result got = rows[k].in ? usb_dev_in(dev, ep, buf, max, &n)
                                             : usb_dev_out(dev, ep, buf, max, &n);
            cr_assert_eq(got, rows[k].res);
            struct usb_ep_info i;
            cr_assert(usb_dev_ep_info(dev, ep, &i));
            cr_assert_eq(i.seq, rows[k].packets % mod, "row %zu speed %u: seq %u", k, sp, i.seq);
            fini();
        }
    }
}

/* ---- the bulk/interrupt path --------------------------------------------------------------- */

Test(usb_dev_io, only_enabled_endpoints_in_their_direction_reach_the_function)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_ADDRESS, 1);
    uint8_t buf[64];
    uint32_t n = 99;
    cr_assert_eq(usb_dev_in(dev, 0x81, buf, sizeof buf, &n), USB_STALL, "not configured");
    cr_assert_eq(n, 0);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 0, 0), USB_ACK);
    cr_assert_eq(usb_dev_in(dev, 0x01, buf, sizeof buf, &n), USB_STALL, "an OUT address");
    cr_assert_eq(usb_dev_in(dev, 0x02, buf, sizeof buf, &n), USB_STALL);
    cr_assert_eq(usb_dev_out(dev, 0x81, buf, sizeof buf, &n), USB_STALL, "an IN address");
    cr_assert_eq(usb_dev_in(dev, 0x83, buf, sizeof buf, &n), USB_STALL, "another setting");
    cr_assert_eq(usb_dev_in(dev, 0x80, buf, sizeof buf, &n), USB_STALL, "endpoint 0");
    cr_assert_eq(usb_dev_in(dev, 0xf1, buf, sizeof buf, &n), USB_STALL, "reserved bits");
    cr_assert_eq(rich.fn.in_calls + rich.fn.out_calls, 0);
    rich.fn.give = 5;
    cr_assert_eq(usb_dev_in(dev, 0x84, buf, sizeof buf, &n), USB_ACK);
    cr_assert_eq(n, 5);
    cr_assert_eq(usb_dev_out(dev, 0x05, buf, 17, &n), USB_ACK);
    cr_assert_eq(n, 17);
    fini();
}

Test(usb_dev_io, nak_errors_and_babble_pass_through_and_ready_reaches_the_host)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    uint8_t buf[1024];
    uint32_t n;
    rich.fn.result = USB_NAK;
    rich.fn.give = 512;
    cr_assert_eq(usb_dev_in(dev, 0x81, buf, 1024, &n), USB_NAK);
    cr_assert_eq(n, 512, "whole packets before the NAK");
    cr_assert(usb_dev_ready(dev, 0x81));
    cr_assert_eq(host.ready_count, 1);
    cr_assert_eq(host.ready_ep[0], 0x81);
    cr_assert(!usb_dev_ready(dev, 0x83), "not an endpoint of the configuration");
    cr_assert(!usb_dev_ready(dev, 0x00));
    cr_assert_eq(host.ready_count, 1);
    rich.fn.result = USB_XACT_ERR;
    cr_assert_eq(usb_dev_out(dev, 0x02, buf, 64, &n), USB_XACT_ERR);
    rich.fn.result = USB_BABBLE;
    rich.fn.give = 8;
    cr_assert_eq(usb_dev_in(dev, 0x84, buf, 8, &n), USB_BABBLE);
    cr_assert_eq(n, 8);
    struct usb_ep_info i;
    cr_assert(usb_dev_ep_info(dev, 0x84, &i));
    cr_assert(!i.halted, "only STALL halts");
    usb_dev_detach(dev);
    cr_assert(!usb_dev_ready(dev, 0x81));
    fini();
}

/* ---- the function's requests --------------------------------------------------------------- */

Test(usb_dev_fn, class_vendor_and_unknown_standard_requests_go_to_the_function)
{
    make(USB_SPEED_HIGH);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    uint8_t b[8];
    uint32_t len = 8;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_IN, TEST_FN_VENDOR_READ, 0, 0, 8, b, &len), USB_ACK);
    cr_assert_eq(len, 4, "the function's short answer");
    cr_assert_eq(memcmp(b, "ABCD", 4), 0);
    len = 2;
    cr_assert_eq(ctl_len(dev, RT_VENDOR_IN, TEST_FN_VENDOR_READ, 0, 0, 2, b, &len), USB_ACK);
    cr_assert_eq(len, 2, "truncated to wLength");
    cr_assert_eq(rich.fn.control_calls, 2);
    cr_assert_eq(ctl(dev, RT_IN_IF, USB_REQ_GET_DESCRIPTOR, 0x2200, 0, 64), USB_STALL);
    cr_assert_eq(rich.fn.control_calls, 3, "an interface's class descriptor is the function's");
    cr_assert_eq(rich.fn.last.request_type, RT_IN_IF);
    cr_assert_eq(ctl(dev, 0xa3, 0x00, 0, 1, 4), USB_STALL);
    cr_assert_eq(rich.fn.control_calls, 4, "class request to 'other'");
    cr_assert_eq(ctl(dev, RT_IN_DEV, 0x02, 0, 0, 2), USB_STALL);
    cr_assert_eq(rich.fn.control_calls, 5, "an unknown standard request");
    cr_assert_eq(ctl(dev, RT_IN_DEV, USB_REQ_GET_STATUS, 0, 0, 2), USB_ACK);
    cr_assert_eq(rich.fn.control_calls, 5, "the framework's own");
    fini();
}

Test(usb_dev_fn, a_device_without_ops_stalls_what_the_framework_does_not_answer)
{
    rich_init(&rich, USB_SPEED_HIGH);
    rich.cfg.ops = NULL;
    cr_assert_eq(usb_dev_create(&rich.cfg, &dev), IOSIM_OK);
    host = (struct test_host){0};
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    cr_assert_eq(ctl(dev, RT_VENDOR_IN, TEST_FN_VENDOR_READ, 0, 0, 4), USB_STALL);
    uint8_t buf[8];
    uint32_t n;
    cr_assert_eq(usb_dev_in(dev, 0x81, buf, 8, &n), USB_STALL);
    struct usb_ep_info i;
    cr_assert(usb_dev_ep_info(dev, 0x81, &i));
    cr_assert(!i.halted, "nobody answered: not a halt");
    fini();
}

/* ---- status, features, resets ------------------------------------------------------------- */

static uint16_t dev_status(void)
{
    uint8_t b[2];
    uint32_t len = 2;
    cr_assert_eq(ctl_len(dev, RT_IN_DEV, USB_REQ_GET_STATUS, 0, 0, 2, b, &len), USB_ACK);
    return (uint16_t)(b[0] | b[1] << 8);
}

Test(usb_dev_status, device_status_reports_power_wakeup_and_u1_u2)
{
    make(USB_SPEED_SUPER);
    rich.cfg.self_powered = true;
    usb_dev_destroy(dev);
    cr_assert_eq(usb_dev_create(&rich.cfg, &dev), IOSIM_OK);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    cr_assert_eq(dev_status(), USB_STATUS_SELF_POWERED);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_FEATURE, USB_FEATURE_REMOTE_WAKEUP, 0, 0),
                 USB_ACK);
    cr_assert(usb_dev_remote_wakeup_enabled(dev));
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_FEATURE, USB_FEATURE_U1_ENABLE, 0, 0), USB_ACK);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_FEATURE, USB_FEATURE_U2_ENABLE, 0, 0), USB_ACK);
    cr_assert_eq(dev_status(), USB_STATUS_SELF_POWERED | USB_STATUS_REMOTE_WAKEUP |
                                   USB_STATUS_U1_ENABLED | USB_STATUS_U2_ENABLED);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_CLEAR_FEATURE, USB_FEATURE_U1_ENABLE, 0, 0), USB_ACK);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 0, 0, 0), USB_ACK);
    cr_assert_eq(dev_status(), USB_STATUS_SELF_POWERED | USB_STATUS_REMOTE_WAKEUP,
                 "U2 goes with the configuration, remote wakeup stays");
    cr_assert_eq(usb_dev_bus_reset(dev), IOSIM_OK);
    cr_assert(!usb_dev_remote_wakeup_enabled(dev));
    fini();
}

Test(usb_dev_status, remote_wakeup_stalls_on_a_device_without_it)
{
    make(USB_SPEED_HIGH);
    rich.cfg.remote_wakeup = false;
    usb_dev_destroy(dev);
    cr_assert_eq(usb_dev_create(&rich.cfg, &dev), IOSIM_OK);
    to_state(dev, &host, USB_DEV_ADDRESS, 1);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_FEATURE, USB_FEATURE_REMOTE_WAKEUP, 0, 0),
                 USB_STALL);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_CLEAR_FEATURE, USB_FEATURE_REMOTE_WAKEUP, 0, 0),
                 USB_STALL);
    cr_assert_eq(dev_status(), 0);
    fini();
}

Test(usb_dev_life, bus_reset_forgets_everything_and_tells_the_function)
{
    make(USB_SPEED_HIGH);
    cr_assert_eq(usb_dev_bus_reset(dev), IOSIM_ENODEV, "detached");
    cr_assert_eq(usb_dev_state(dev), USB_DEV_DETACHED);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    cr_assert_eq(usb_dev_attach(dev, test_host_ops(), &host), IOSIM_EBUSY);
    cr_assert_eq(ctl(dev, RT_OUT_EP, USB_REQ_SET_FEATURE, 0, 0x81, 0), USB_ACK);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_FEATURE, 1, 0, 0), USB_ACK);
    uint32_t resets = rich.fn.resets;
    cr_assert_eq(usb_dev_bus_reset(dev), IOSIM_OK);
    cr_assert_eq(rich.fn.resets, resets + 1);
    cr_assert_eq(usb_dev_state(dev), USB_DEV_DEFAULT);
    cr_assert_eq(usb_dev_address(dev), 0);
    cr_assert_eq(usb_dev_config_value(dev), 0);
    cr_assert(!usb_dev_remote_wakeup_enabled(dev));
    check_eps(NULL, 0, "after reset");
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_ADDRESS, 3, 0, 0), USB_ACK);
    cr_assert_eq(ctl(dev, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, 1, 0, 0), USB_ACK);
    cr_assert_eq(ep_status(0x81), 0, "the halt went with the reset");
    usb_dev_detach(dev);
    cr_assert_eq(usb_dev_state(dev), USB_DEV_DETACHED);
    cr_assert_eq(rich.fn.resets, resets + 2);
    cr_assert_eq(ctl(dev, RT_IN_DEV, USB_REQ_GET_STATUS, 0, 0, 2), USB_XACT_ERR);
    usb_dev_detach(dev); /* no-op */
    cr_assert_eq(rich.fn.resets, resets + 2);
    fini();
}

Test(usb_dev_life, create_refuses_impossible_configurations)
{
    struct usb_dev *d = NULL;
    struct usb_dev_config c = {.name = NULL};
    cr_assert_eq(usb_dev_create(&c, &d), IOSIM_EINVAL);
    c = (struct usb_dev_config){.name = "x", .speed = USB_SPEED_COUNT};
    cr_assert_eq(usb_dev_create(&c, &d), IOSIM_EINVAL);
    c = (struct usb_dev_config){.name = "x", .configs_count = 1};
    cr_assert_eq(usb_dev_create(&c, &d), IOSIM_EINVAL);
    c = (struct usb_dev_config){.name = "x", .device = {NULL, 18}};
    cr_assert_eq(usb_dev_create(&c, &d), IOSIM_EINVAL);
    struct usb_blob bad[1] = {{NULL, 4}};
    c = (struct usb_dev_config){.name = "x", .strings = bad, .strings_count = 1};
    cr_assert_eq(usb_dev_create(&c, &d), IOSIM_EINVAL);
    c = (struct usb_dev_config){.name = "empty"};
    cr_assert_eq(usb_dev_create(&c, &d), IOSIM_OK, "a device with nothing is legal");
    cr_assert_str_eq(usb_dev_name(d), "empty");
    cr_assert_eq(usb_dev_speed(d), USB_SPEED_LOW);
    struct test_host h = {0};
    cr_assert_eq(usb_dev_attach(d, test_host_ops(), &h), IOSIM_OK);
    cr_assert_eq(usb_dev_bus_reset(d), IOSIM_OK);
    uint8_t raw[8] = {RT_IN_DEV, USB_REQ_GET_DESCRIPTOR, 0, 1, 0, 0, 18, 0};
    uint8_t buf[18];
    uint32_t len = 18;
    cr_assert_eq(usb_dev_control(d, raw, buf, &len), USB_STALL, "no device descriptor");
    usb_dev_destroy(d);
}

Test(usb_dev_life, superspeed_companions_give_the_burst)
{
    make(USB_SPEED_SUPER);
    to_state(dev, &host, USB_DEV_CONFIGURED, 1);
    struct usb_ep_info i;
    cr_assert(usb_dev_ep_info(dev, 0x81, &i));
    cr_assert_eq(i.max_packet_bytes, 1024);
    cr_assert_eq(i.max_burst, 3);
    cr_assert(usb_dev_ep_info(dev, 0x84, &i));
    cr_assert_eq(i.max_burst, 0);
    cr_assert_eq(i.bytes_per_interval, 8);
    cr_assert_eq(usb_dev_ep0_max_packet(dev), 512);
    fini();
}

Test(usb_dev_life, names)
{
    cr_assert_str_eq(usb_result_name(USB_ACK), "ACK");
    cr_assert_str_eq(usb_result_name(USB_BABBLE), "BABBLE");
    cr_assert_str_eq(usb_result_name(USB_RESULT_COUNT), "?");
    cr_assert_str_eq(usb_dev_state_name(USB_DEV_CONFIGURED), "configured");
    cr_assert_str_eq(usb_speed_name(USB_SPEED_SUPER_PLUS), "super_plus");
    uint8_t raw[8] = {0xc1, 0x5b, 0x34, 0x12, 0x78, 0x56, 0xbc, 0x9a};
    struct usb_setup s;
    usb_setup_decode(raw, &s);
    cr_assert_eq(s.request_type, 0xc1);
    cr_assert_eq(s.request, 0x5b);
    cr_assert_eq(s.value, 0x1234);
    cr_assert_eq(s.index, 0x5678);
    cr_assert_eq(s.length, 0x9abc);
    cr_assert(usb_setup_in(&s));
    cr_assert_eq(usb_setup_type(&s), USB_RT_TYPE_VENDOR);
    cr_assert_eq(usb_setup_recipient(&s), USB_RT_RECIPIENT_INTERFACE);
    uint8_t back[8];
    usb_setup_encode(&s, back);
    cr_assert_arr_eq(back, raw, 8);
}
