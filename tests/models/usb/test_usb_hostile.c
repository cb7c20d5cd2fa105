/*
 * models/usb/usb_dev against what it cannot trust, with the project's
 * seeded PRNG (every failure prints its seed):
 *   - hostile descriptors: random and mutated blobs (lying bLength and
 *     wTotalLength, zero-length loops, truncation, duplicates) driven by
 *     random control requests, transfers and resets. Every blob sits in
 *     its own exact-size allocation, so AddressSanitizer sees any read
 *     outside it. The device must never crash, answer only the documented
 *     results, serve descriptors byte for byte and enable only endpoints
 *     that a descriptor in the active blob names.
 *   - a model-based test: random request sequences on a well-formed device
 *     against a small reference state machine of chapter 9.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/usb/usb_dev.h"
#include "sim/engine/rng.h"
#include "tests/models/usb/usb_test_util.h"

#define BLOBS_MAX 8u

static uint64_t below(struct sim_rng *r, uint64_t n)
{
    return sim_rng_below(r, n);
}

/* ---- generating hostile blobs -------------------------------------------------------------- */

/* Appends one descriptor with a correct bLength, if it fits. */
static uint32_t put(uint8_t *p, uint32_t at, uint32_t cap, const uint8_t *d, uint32_t n)
{
    if (at + n > cap)
        return at;
    memcpy(p + at, d, n);
    return at + n;
}

/* An endpoint and, half the time, its companion: mostly legal values, some
 * not (number 0, reserved bits, control type, max packet 0 or wild). */
static uint32_t gen_endpoint(struct sim_rng *r, uint8_t *p, uint32_t at, uint32_t cap)
{
    uint8_t addr = (uint8_t)((below(r, 2) ? 0x80 : 0) | (1 + below(r, 4)));
    if (below(r, 16) == 0)
        addr = (uint8_t)sim_rng_next(r);
    uint16_t mps = below(r, 8) ? (uint16_t)(8u << below(r, 8)) : (uint16_t)sim_rng_next(r);
    if (below(r, 16) == 0)
        mps = 0;
    uint8_t ep[7] = {7, USB_DT_ENDPOINT, addr, (uint8_t)below(r, 4), 0, 0,
                     (uint8_t)below(r, 17)};
    usb_put_le16(&ep[USB_EP_MAX_PACKET], mps);
    at = put(p, at, cap, ep, sizeof ep);
    if (below(r, 2)) {
        uint8_t c[6] = {6, USB_DT_SS_EP_COMPANION, (uint8_t)below(r, 20), (uint8_t)below(r, 32),
                        (uint8_t)below(r, 256), 0};
        at = put(p, at, cap, c, sizeof c);
    }
    return at;
}

/* Damage: a byte, a bLength, the length, or wTotalLength. */
static uint32_t mutate(struct sim_rng *r, uint8_t *p, uint32_t len)
{
    static const uint8_t lens[] = {0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 255};
    if (len == 0)
        return 0;
    switch (below(r, 4)) {
    case 0: p[below(r, len)] = (uint8_t)sim_rng_next(r); return len;
    case 1: p[below(r, len)] = lens[below(r, sizeof lens)]; return len;
    case 2: return (uint32_t)below(r, len + 1);
    default:
        if (len >= 4)
            usb_put_le16(&p[USB_CFG_TOTAL_LENGTH], (uint16_t)sim_rng_next(r));
        return len;
    }
}

/* A configuration blob: interfaces with alternate settings, endpoints and
 * companions, other descriptors between them, then a few mutations; or,
 * one time in five, noise. */
static uint32_t gen_config(struct sim_rng *r, uint8_t *p, uint32_t cap)
{
    if (below(r, 5) == 0) {
        uint32_t len = (uint32_t)below(r, cap + 1);
        for (uint32_t i = 0; i < len; i++)
            p[i] = (uint8_t)sim_rng_next(r);
        return len;
    }
    const uint8_t h[9] = {9, USB_DT_CONFIG, 0, 0, 1, (uint8_t)below(r, 4), 0, 0x80, 50};
    uint32_t at = put(p, 0, cap, h, sizeof h);
    for (uint64_t g = below(r, 8); g > 0; g--) {
        if (below(r, 6) == 0) {
            const uint8_t other[5] = {5, 0x24, 1, 2, 3};
            at = put(p, at, cap, other, sizeof other);
        }
        uint8_t itf[9] = {9, USB_DT_INTERFACE, (uint8_t)below(r, 3), (uint8_t)below(r, 3), 2,
                          0xff, 0, 0, 0};
        at = put(p, at, cap, itf, sizeof itf);
        for (uint64_t e = below(r, 4); e > 0; e--)
            at = gen_endpoint(r, p, at, cap);
    }
    if (at >= 4)
        usb_put_le16(&p[USB_CFG_TOTAL_LENGTH], (uint16_t)at);
    for (uint64_t m = below(r, 4); m > 0; m--)
        at = mutate(r, p, at);
    return at;
}

struct hostile {
    uint8_t *bytes[BLOBS_MAX * 2 + 4]; /* every allocation, for freeing */
    uint32_t allocs;
    struct usb_blob configs[BLOBS_MAX], strings[BLOBS_MAX];
    struct usb_dev_config cfg;
    struct test_fn fn;
};

/* An exact-size copy, so that a read past the blob is an ASan error. */
static struct usb_blob keep(struct hostile *h, const uint8_t *src, uint32_t len)
{
    if (len == 0)
        return (struct usb_blob){NULL, 0};
    uint8_t *p = malloc(len);
    cr_assert_not_null(p);
    memcpy(p, src, len);
    h->bytes[h->allocs++] = p;
    return (struct usb_blob){p, len};
}

static struct usb_blob gen_small(struct hostile *h, struct sim_rng *r, uint8_t type, uint32_t max)
{
    uint8_t tmp[300];
    uint32_t len = (uint32_t)below(r, max + 1);
    for (uint32_t i = 0; i < len; i++)
        tmp[i] = (uint8_t)sim_rng_next(r);
    if (len >= 2 && below(r, 2)) {
        tmp[0] = (uint8_t)len;
        tmp[1] = type;
    }
    return keep(h, tmp, len);
}

static void gen_device(struct hostile *h, struct sim_rng *r)
{
    memset(h, 0, sizeof *h);
    static uint8_t tmp[1024];
    uint32_t nc = (uint32_t)below(r, BLOBS_MAX + 1);
    for (uint32_t i = 0; i < nc; i++)
        h->configs[i] = keep(h, tmp, gen_config(r, tmp, below(r, 4) ? 200 : sizeof tmp));
    uint32_t ns = (uint32_t)below(r, BLOBS_MAX + 1);
    for (uint32_t i = 0; i < ns; i++)
        h->strings[i] = gen_small(h, r, USB_DT_STRING, 40);
    h->fn.result = USB_ACK;
    h->cfg = (struct usb_dev_config){
        .name = "hostile",
        .speed = (enum usb_speed)below(r, USB_SPEED_COUNT),
        .device = gen_small(h, r, USB_DT_DEVICE, 24),
        .configs = nc ? h->configs : NULL, .configs_count = nc,
        .strings = ns ? h->strings : NULL, .strings_count = ns,
        .bos = below(r, 2) ? gen_small(h, r, USB_DT_BOS, 30) : (struct usb_blob){0},
        .qualifier = below(r, 2) ? gen_small(h, r, USB_DT_DEVICE_QUALIFIER, 12)
                                 : (struct usb_blob){0},
        .other_speed = below(r, 2) && nc ? h->configs[0] : (struct usb_blob){0},
        .self_powered = below(r, 2), .remote_wakeup = below(r, 2),
        .ops = below(r, 8) ? test_fn_ops() : NULL, .ctx = &h->fn,
    };
}

static void free_device(struct hostile *h)
{
    for (uint32_t i = 0; i < h->allocs; i++)
        free(h->bytes[i]);
    h->allocs = 0;
}

/* ---- random requests ----------------------------------------------------------------------- */

/* An endpoint address: one the device has enabled (when it has any), a
 * small one, or any byte. */
static uint8_t pick_ep(struct sim_rng *r, struct usb_dev *d)
{
    uint8_t have[32];
    uint32_t n = 0;
    for (uint32_t a = 0; a < 256 && n < 32; a++) {
        struct usb_ep_info i;
        if (usb_dev_ep_info(d, (uint8_t)a, &i))
            have[n++] = (uint8_t)a;
    }
    uint64_t k = below(r, 4);
    if (k < 2 && n > 0)
        return have[below(r, n)];
    if (k < 3)
        return (uint8_t)((below(r, 2) ? 0x80 : 0) | below(r, 4));
    return (uint8_t)sim_rng_next(r);
}

/* A bConfigurationValue some blob has, or a small number. */
static uint16_t pick_config(struct sim_rng *r, const struct hostile *h)
{
    if (h->cfg.configs_count > 0 && below(r, 4) != 0) {
        const struct usb_blob *c = &h->configs[below(r, h->cfg.configs_count)];
        if (c->len_bytes > USB_CFG_VALUE)
            return c->bytes[USB_CFG_VALUE];
    }
    return (uint16_t)below(r, 4);
}

/* A well-formed request of a random kind (chapter 9, vendor or class),
 * then, one time in four, one field replaced by noise. */
static struct usb_setup gen_setup(struct sim_rng *r, const struct hostile *h, struct usb_dev *d)
{
    static const uint16_t lens[] = {0, 1, 2, 6, 7, 8, 9, 18, 64, 255, 4096, 65535};
    uint16_t len = below(r, 4) ? lens[below(r, sizeof lens / sizeof lens[0])]
                               : (uint16_t)below(r, 1025);
    uint8_t ep = pick_ep(r, d), iface = (uint8_t)below(r, 4), small = (uint8_t)below(r, 4);
    uint16_t feature = below(r, 2) ? USB_FEATURE_REMOTE_WAKEUP
                     : below(r, 2) ? (uint16_t)(USB_FEATURE_U1_ENABLE + below(r, 3))
                                   : (uint16_t)below(r, 4);
    struct usb_setup s;
    switch (below(r, 16)) {
    case 0: case 1: case 2:
        s = (struct usb_setup){0x80, USB_REQ_GET_DESCRIPTOR,
                               (uint16_t)(below(r, 0x11) << 8 | small),
                               below(r, 2) ? 0 : 0x0409, len};
        break;
    case 3: s = (struct usb_setup){0x00, USB_REQ_SET_ADDRESS, (uint16_t)below(r, 130), 0, 0}; break;
    case 4: case 5:
        s = (struct usb_setup){0x00, USB_REQ_SET_CONFIGURATION, pick_config(r, h), 0, 0};
        break;
    case 6: s = (struct usb_setup){0x80, USB_REQ_GET_CONFIGURATION, 0, 0, 1}; break;
    case 7:
        s = (struct usb_setup){(uint8_t)(0x80 | below(r, 3)), USB_REQ_GET_STATUS, 0,
                               below(r, 2) ? ep : iface, 2};
        break;
    case 8: case 9:
        s = (struct usb_setup){0x02, below(r, 2) ? USB_REQ_SET_FEATURE : USB_REQ_CLEAR_FEATURE,
                               USB_FEATURE_ENDPOINT_HALT, ep, 0};
        break;
    case 10:
        s = (struct usb_setup){0x00, below(r, 2) ? USB_REQ_SET_FEATURE : USB_REQ_CLEAR_FEATURE,
                               feature, 0, 0};
        break;
    case 11: s = (struct usb_setup){0x81, USB_REQ_GET_INTERFACE, 0, iface, 1}; break;
    case 12: s = (struct usb_setup){0x01, USB_REQ_SET_INTERFACE, small, iface, 0}; break;
    case 13:
        s = below(r, 2) ? (struct usb_setup){0x00, USB_REQ_SET_SEL, 0, 0, 6}
                        : (struct usb_setup){0x00, USB_REQ_SET_ISOCH_DELAY, 40, 0, 0};
        break;
    default:
        s = (struct usb_setup){(uint8_t)sim_rng_next(r), (uint8_t)sim_rng_next(r),
                               (uint16_t)sim_rng_next(r), (uint16_t)sim_rng_next(r), len};
        break;
    }
    switch (below(r, 24)) {
    case 0: s.request_type = (uint8_t)sim_rng_next(r); break;
    case 1: s.request = (uint8_t)sim_rng_next(r); break;
    case 2: s.value = (uint16_t)sim_rng_next(r); break;
    case 3: s.index = (uint16_t)sim_rng_next(r); break;
    case 4: s.length = len; break;
    case 5: /* test mode ends the run's usefulness: rare */
        if (below(r, 8) == 0)
            s = (struct usb_setup){0x00, USB_REQ_SET_FEATURE, USB_FEATURE_TEST_MODE,
                                   (uint16_t)(below(r, 7) << 8), 0};
        break;
    default: break;
    }
    return s;
}

/* The blob a GET_DESCRIPTOR names, resolved independently of the device. */
static const struct usb_blob *expected_desc(const struct hostile *h, const struct usb_setup *s)
{
    uint8_t type = (uint8_t)(s->value >> 8), index = (uint8_t)s->value;
    if (type == USB_DT_STRING)
        return index < h->cfg.strings_count ? &h->strings[index] : NULL;
    if (s->index != 0)
        return NULL;
    if (type == USB_DT_CONFIG)
        return index < h->cfg.configs_count ? &h->configs[index] : NULL;
    if (index != 0)
        return NULL;
    return type == USB_DT_DEVICE ? &h->cfg.device
         : type == USB_DT_BOS ? &h->cfg.bos
         : type == USB_DT_DEVICE_QUALIFIER ? &h->cfg.qualifier
         : type == USB_DT_OTHER_SPEED_CONFIG ? &h->cfg.other_speed : NULL;
}

static void check_control(struct usb_dev *d, const struct hostile *h, const struct usb_setup *s,
                          struct sim_rng *r, uint64_t seed)
{
    static uint8_t data[65536];
    uint8_t raw[8];
    usb_setup_encode(s, raw);
    bool in = s->request_type & USB_RT_DIR_IN;
    uint32_t room = in ? (below(r, 4) ? s->length : (uint32_t)below(r, s->length + 1u))
                       : (below(r, 8) ? s->length : (uint32_t)below(r, 70000u) % 65536u);
    uint32_t len = room;
    memset(data, 0xee, room < sizeof data ? room + 1 : sizeof data);
    enum usb_dev_state before = usb_dev_state(d);
    enum usb_result res = usb_dev_control(d, raw, data, &len);
    cr_assert(res == USB_ACK || res == USB_STALL || res == USB_XACT_ERR || res == USB_BABBLE,
              "seed %llu: control answered %s", (unsigned long long)seed, usb_result_name(res));
    cr_assert_leq(len, room, "seed %llu", (unsigned long long)seed);
    if (res == USB_BABBLE)
        cr_assert_eq(len, room, "seed %llu: babble fills the room", (unsigned long long)seed);
    if (in && res == USB_ACK)
        cr_assert_leq(len, s->length, "seed %llu: never past wLength", (unsigned long long)seed);
    if (before < USB_DEV_DEFAULT)
        cr_assert_eq(res, USB_XACT_ERR, "seed %llu", (unsigned long long)seed);
    bool get_desc = s->request_type == 0x80 && s->request == USB_REQ_GET_DESCRIPTOR;
    if (get_desc && res != USB_XACT_ERR && usb_dev_test_mode(d) == 0) {
        const struct usb_blob *b = expected_desc(h, s);
        bool there = b != NULL && b->len_bytes > 0;
        cr_assert_eq(res == USB_STALL, !there, "seed %llu: descriptor 0x%04x",
                     (unsigned long long)seed, s->value);
        uint32_t want = there ? (b->len_bytes < s->length ? b->len_bytes : s->length) : 0;
        if (there && want <= room) {
            cr_assert_eq(len, want, "seed %llu", (unsigned long long)seed);
            cr_assert_eq(memcmp(data, b->bytes, want), 0, "seed %llu: served raw",
                         (unsigned long long)seed);
        }
    }
}

/* Does the active blob hold an endpoint descriptor for addr (at most
 * wTotalLength in)? A loose, independent check of the walk. */
static bool blob_names_ep(const struct usb_blob *b, uint8_t addr)
{
    uint32_t limit = b->len_bytes;
    if (limit >= 4 && usb_le16(&b->bytes[2]) < limit)
        limit = usb_le16(&b->bytes[2]);
    for (uint32_t i = 0; i + USB_DT_ENDPOINT_BYTES <= limit; i++)
        if (b->bytes[i] >= 7 && b->bytes[i + 1] == USB_DT_ENDPOINT && b->bytes[i + 2] == addr)
            return true;
    return false;
}

static void check_invariants(struct usb_dev *d, const struct hostile *h, uint64_t seed)
{
    enum usb_dev_state st = usb_dev_state(d);
    cr_assert_lt((unsigned)st, USB_DEV_STATE_COUNT, "seed %llu", (unsigned long long)seed);
    cr_assert_leq(usb_dev_address(d), USB_ADDRESS_MAX, "seed %llu", (unsigned long long)seed);
    uint8_t value = usb_dev_config_value(d);
    cr_assert_eq(st == USB_DEV_CONFIGURED, value != 0, "seed %llu", (unsigned long long)seed);
    const struct usb_blob *active = NULL;
    for (uint32_t i = 0; i < h->cfg.configs_count && active == NULL; i++)
        if (h->configs[i].len_bytes >= 9 && h->configs[i].bytes[USB_CFG_VALUE] == value)
            active = &h->configs[i];
    cr_assert(value == 0 || active != NULL, "seed %llu", (unsigned long long)seed);
    uint32_t mod = usb_dev_speed(d) >= USB_SPEED_SUPER ? 32 : 2;
    for (uint32_t a = 0; a < 256; a++) {
        struct usb_ep_info i;
        if (!usb_dev_ep_info(d, (uint8_t)a, &i))
            continue;
        cr_assert_eq(st, USB_DEV_CONFIGURED, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(i.addr, a);
        cr_assert((a & 0x0f) != 0 && (a & 0x70) == 0, "seed %llu: 0x%02x", (unsigned long long)seed,
                  a);
        cr_assert_neq(i.xfer, USB_EP_XFER_CONTROL);
        cr_assert(i.max_packet_bytes > 0 && i.max_packet_bytes <= 2047);
        cr_assert_leq(i.max_burst, 15);
        cr_assert_lt(i.seq, mod);
        cr_assert(blob_names_ep(active, (uint8_t)a), "seed %llu: 0x%02x is in no descriptor",
                  (unsigned long long)seed, a);
    }
}

static void random_io(struct usb_dev *d, struct hostile *h, struct sim_rng *r, uint64_t seed)
{
    static uint8_t buf[4096];
    static const enum usb_result results[] = {USB_ACK, USB_ACK, USB_ACK, USB_NAK, USB_STALL,
                                              USB_XACT_ERR, USB_BABBLE};
    uint8_t ep = pick_ep(r, d);
    uint32_t max = (uint32_t)below(r, sizeof buf + 1);
    struct usb_ep_info info;
    bool present = usb_dev_ep_info(d, ep, &info);
    h->fn.result = results[below(r, sizeof results / sizeof results[0])];
    /* NAK promises whole packets */
    uint32_t mps = present ? info.max_packet_bytes : 1;
    bool nak = h->fn.result == USB_NAK;
    h->fn.give = nak ? (uint32_t)below(r, 3) * mps : (uint32_t)below(r, max + 1);
    h->fn.take = nak ? (uint32_t)below(r, 3) * mps : 0;
    if (nak && h->fn.take >= max)
        h->fn.take = 0;
    if (nak && h->fn.give > max)
        h->fn.give = 0;
    uint32_t n = 0;
    enum usb_result res = ep & 0x80 ? usb_dev_in(d, ep, buf, max, &n)
                                    : usb_dev_out(d, ep, buf, max, &n);
    cr_assert_lt((unsigned)res, USB_RESULT_COUNT, "seed %llu", (unsigned long long)seed);
    cr_assert_leq(n, max, "seed %llu", (unsigned long long)seed);
    if (!present || info.halted || h->cfg.ops == NULL)
        cr_assert(res == USB_STALL || res == USB_XACT_ERR, "seed %llu: 0x%02x answered %s",
                  (unsigned long long)seed, ep, usb_result_name(res));
}

static void hostile_run(uint64_t seed, uint32_t steps)
{
    struct sim_rng r;
    sim_rng_stream(&r, seed, "usb-hostile");
    static struct hostile h;
    gen_device(&h, &r);
    struct usb_dev *d;
    cr_assert_eq(usb_dev_create(&h.cfg, &d), IOSIM_OK, "seed %llu", (unsigned long long)seed);
    struct test_host host = {0};
    cr_assert_eq(usb_dev_attach(d, test_host_ops(), &host), IOSIM_OK);
    cr_assert_eq(usb_dev_bus_reset(d), IOSIM_OK);
    for (uint32_t step = 0; step < steps; step++) {
        uint64_t op = below(&r, 100);
        if (op < 70) {
            struct usb_setup s = gen_setup(&r, &h, d);
            check_control(d, &h, &s, &r, seed);
        } else if (op < 95) {
            random_io(d, &h, &r, seed);
        } else if (op < 98) {
            (void)usb_dev_bus_reset(d);
        } else if (op < 99) {
            (void)usb_dev_ready(d, (uint8_t)sim_rng_next(&r));
            (void)usb_dev_halt(d, (uint8_t)sim_rng_next(&r));
        } else {
            usb_dev_detach(d);
            cr_assert_eq(usb_dev_attach(d, test_host_ops(), &host), IOSIM_OK);
            if (below(&r, 4) != 0)
                cr_assert_eq(usb_dev_bus_reset(d), IOSIM_OK);
        }
        check_invariants(d, &h, seed);
        cr_assert_eq(usb_dev_ep0_max_packet(d) % 8, 0, "seed %llu", (unsigned long long)seed);
    }
    usb_dev_destroy(d);
    free_device(&h);
}

Test(usb_hostile, random_blobs_and_requests_never_break_the_framework)
{
    for (uint64_t seed = 1; seed <= 1000; seed++)
        hostile_run(seed, 500);
}

/* ---- the model-based test ------------------------------------------------------------------ */

/* The rich device's configuration 1 and 2, as the reference knows them. */
struct ref {
    enum usb_dev_state state;
    uint8_t address, config, alt0;
    bool halted[256];
};

static bool ref_ep_active(const struct ref *m, uint8_t ep)
{
    if (m->state != USB_DEV_CONFIGURED)
        return false;
    if (m->config == 2)
        return ep == 0x86;
    if (ep == 0x81 || ep == 0x84 || ep == 0x05)
        return true;
    return ep == (m->alt0 == 0 ? 0x02 : 0x83);
}

static void ref_unhalt_all(struct ref *m)
{
    memset(m->halted, 0, sizeof m->halted);
}

static enum usb_result ref_set_interface(struct ref *m, uint16_t iface, uint16_t alt)
{
    bool ok = m->state == USB_DEV_CONFIGURED &&
              (m->config == 1 ? (iface == 0 && alt <= 1) || (iface == 1 && alt == 0)
                              : iface == 0 && alt == 0);
    if (!ok)
        return USB_STALL;
    static const uint8_t if0[] = {0x81, 0x02, 0x83, 0x86}, if1[] = {0x84, 0x05};
    const uint8_t *eps = iface == 0 ? if0 : if1;
    for (uint32_t i = 0; i < (iface == 0 ? 4u : 2u); i++)
        m->halted[eps[i]] = false;
    if (m->config == 1 && iface == 0)
        m->alt0 = (uint8_t)alt;
    return USB_ACK;
}

/* One random operation on both; returns the reference's answer. */
static enum usb_result ref_step(struct ref *m, struct usb_dev *d, struct sim_rng *r,
                                enum usb_result *got, char *what, size_t what_len)
{
    static const uint8_t eps[] = {0x81, 0x02, 0x83, 0x84, 0x05, 0x86, 0x01, 0x82, 0x00, 0x80};
    uint8_t ep = eps[below(r, sizeof eps)];
    uint16_t v = (uint16_t)below(r, 4), i = (uint16_t)below(r, 3);
    uint8_t buf[64];
    uint32_t n;
    switch (below(r, 11)) {
    case 0: {
        uint16_t a = below(r, 2) ? (uint16_t)below(r, 4) : (uint16_t)below(r, 200);
        snprintf(what, what_len, "SET_ADDRESS %u", a);
        *got = ctl(d, RT_OUT_DEV, USB_REQ_SET_ADDRESS, a, 0, 0);
        if (a > 127 || m->state == USB_DEV_CONFIGURED)
            return USB_STALL;
        m->address = (uint8_t)a;
        m->state = a ? USB_DEV_ADDRESS : USB_DEV_DEFAULT;
        return USB_ACK;
    }
    case 1:
        snprintf(what, what_len, "SET_CONFIGURATION %u", v);
        *got = ctl(d, RT_OUT_DEV, USB_REQ_SET_CONFIGURATION, v, 0, 0);
        if (m->state == USB_DEV_DEFAULT || v > 2)
            return USB_STALL;
        m->state = v ? USB_DEV_CONFIGURED : USB_DEV_ADDRESS;
        m->config = (uint8_t)v;
        m->alt0 = 0;
        ref_unhalt_all(m);
        return USB_ACK;
    case 2:
        snprintf(what, what_len, "SET_INTERFACE %u alt %u", i, v);
        *got = ctl(d, RT_OUT_IF, USB_REQ_SET_INTERFACE, v, i, 0);
        return ref_set_interface(m, i, v);
    case 3:
    case 4: {
        bool set = below(r, 2);
        snprintf(what, what_len, "%s_FEATURE(HALT) 0x%02x", set ? "SET" : "CLEAR", ep);
        *got = ctl(d, RT_OUT_EP, set ? USB_REQ_SET_FEATURE : USB_REQ_CLEAR_FEATURE, 0, ep, 0);
        if (!ref_ep_active(m, ep))
            return USB_STALL;
        m->halted[ep] = set;
        return USB_ACK;
    }
    case 5: {
        snprintf(what, what_len, "GET_STATUS 0x%02x", ep);
        uint8_t st[2] = {0xee, 0xee};
        n = 2;
        *got = ctl_len(d, RT_IN_EP, USB_REQ_GET_STATUS, 0, ep, 2, st, &n);
        if (m->state == USB_DEV_DEFAULT || ((ep & 0x0f) != 0 && !ref_ep_active(m, ep)))
            return USB_STALL;
        cr_assert_eq(st[0], (ep & 0x0f) != 0 && m->halted[ep], "%s", what);
        return USB_ACK;
    }
    case 6: {
        snprintf(what, what_len, "GET_CONFIGURATION");
        n = 1;
        *got = ctl_len(d, RT_IN_DEV, USB_REQ_GET_CONFIGURATION, 0, 0, 1, buf, &n);
        if (m->state == USB_DEV_DEFAULT)
            return USB_STALL;
        cr_assert_eq(buf[0], m->config);
        return USB_ACK;
    }
    case 7: {
        snprintf(what, what_len, "GET_INTERFACE %u", i);
        n = 1;
        *got = ctl_len(d, RT_IN_IF, USB_REQ_GET_INTERFACE, 0, i, 1, buf, &n);
        bool exists = m->state == USB_DEV_CONFIGURED && (i == 0 || (i == 1 && m->config == 1));
        if (!exists)
            return USB_STALL;
        cr_assert_eq(buf[0], i == 0 && m->config == 1 ? m->alt0 : 0);
        return USB_ACK;
    }
    case 8:
        snprintf(what, what_len, "bus reset");
        cr_assert_eq(usb_dev_bus_reset(d), IOSIM_OK);
        *m = (struct ref){.state = USB_DEV_DEFAULT};
        *got = USB_ACK;
        return USB_ACK;
    default:
        snprintf(what, what_len, "%s 0x%02x", ep & 0x80 ? "IN" : "OUT", ep);
        *got = ep & 0x80 ? usb_dev_in(d, ep, buf, sizeof buf, &n)
                         : usb_dev_out(d, ep, buf, sizeof buf, &n);
        return ref_ep_active(m, ep) && !m->halted[ep] ? USB_ACK : USB_STALL;
    }
}

static void model_run(uint64_t seed, uint32_t steps)
{
    struct sim_rng r;
    sim_rng_stream(&r, seed, "usb-model");
    static struct rich rich;
    rich_init(&rich, below(&r, 2) ? USB_SPEED_HIGH : USB_SPEED_SUPER);
    struct usb_dev *d;
    cr_assert_eq(usb_dev_create(&rich.cfg, &d), IOSIM_OK);
    struct test_host host = {0};
    to_state(d, &host, USB_DEV_DEFAULT, 1);
    struct ref m = {.state = USB_DEV_DEFAULT};
    for (uint32_t step = 0; step < steps; step++) {
        char what[64];
        enum usb_result got;
        enum usb_result want = ref_step(&m, d, &r, &got, what, sizeof what);
        cr_assert_eq(got, want, "seed %llu step %u: %s answered %s, want %s",
                     (unsigned long long)seed, step, what, usb_result_name(got),
                     usb_result_name(want));
        cr_assert_eq(usb_dev_state(d), m.state, "seed %llu step %u: %s", (unsigned long long)seed,
                     step, what);
        cr_assert_eq(usb_dev_address(d), m.address, "seed %llu step %u", (unsigned long long)seed,
                     step);
        cr_assert_eq(usb_dev_config_value(d), m.config, "seed %llu step %u",
                     (unsigned long long)seed, step);
        for (uint32_t a = 0x01; a <= 0x86; a++) {
            struct usb_ep_info info;
            bool present = usb_dev_ep_info(d, (uint8_t)a, &info);
            cr_assert_eq(present, ref_ep_active(&m, (uint8_t)a), "seed %llu step %u: 0x%02x",
                         (unsigned long long)seed, step, a);
            cr_assert_eq(info.halted, present && m.halted[a], "seed %llu step %u: 0x%02x halt",
                         (unsigned long long)seed, step, a);
        }
    }
    usb_dev_destroy(d);
}

Test(usb_model, matches_a_reference_state_machine_on_random_requests)
{
    for (uint64_t seed = 1; seed <= 200; seed++)
        model_run(seed, 400);
}
