/*
 * usb_parse_test_util.h - what the tests of impl/drivers/xhcid/usb_parse
 * share: a descriptor builder, field-by-field comparison of results, and
 * the valid fixtures (a gadget per speed, device, string and LANGID
 * descriptors) the clause rows break one thing of.
 */
#ifndef IOSIM_TESTS_USB_PARSE_TEST_UTIL_H
#define IOSIM_TESTS_USB_PARSE_TEST_UTIL_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/drivers/xhcid/usb_parse.h"
#include "impl/port/spec/usb_ch9.h"
#include "tests/impl/splitmix.h"

/* speeds, short */
#define LS USB_PARSE_LOW
#define FS USB_PARSE_FULL
#define HS USB_PARSE_HIGH
#define SS USB_PARSE_SUPER

/* ---- builders ----------------------------------------------------------------------------- */

#define CB_BYTES 8192u
#define CB_DESCS 512u

/* Descriptors appended one after the other; `at` remembers where each starts. */
struct cb {
    uint8_t b[CB_BYTES];
    size_t n;
    size_t at[CB_DESCS];
    unsigned descs;
};

static inline size_t put(struct cb *c, const uint8_t *d, size_t n)
{
    cr_assert_leq(c->n + n, CB_BYTES, "builder full");
    cr_assert_lt(c->descs, CB_DESCS, "builder full");
    size_t at = c->n;
    memcpy(c->b + at, d, n);
    c->n += n;
    c->at[c->descs++] = at;
    return at;
}

/* All of `from`, each of its descriptors remembered where it lands. */
static inline void cb_append(struct cb *c, const struct cb *from)
{
    cr_assert_leq(c->n + from->n, CB_BYTES, "builder full");
    cr_assert_leq(c->descs + from->descs, CB_DESCS, "builder full");
    memcpy(c->b + c->n, from->b, from->n);
    for (unsigned k = 0; k < from->descs; k++)
        c->at[c->descs++] = c->n + from->at[k];
    c->n += from->n;
}

static inline void set16(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

/* `pad` extra bytes after the descriptor's fields, counted in its bLength (audio endpoints
 * are 9 bytes, for instance). */
static inline size_t add_config(struct cb *c, uint8_t num_ifaces, uint8_t value, uint8_t istr,
                         uint8_t attrs, uint8_t power)
{
    const uint8_t d[] = {9, USB_DT_CONFIG, 0, 0, num_ifaces, value, istr, attrs, power};
    return put(c, d, sizeof d);
}

/* wTotalLength = everything built */
static inline void end_config(struct cb *c)
{
    set16(c->b + USB_CFG_TOTAL_LENGTH, (uint32_t)c->n);
}

static inline size_t add_iface_pad(struct cb *c, const struct usb_interface_info *i, uint8_t neps,
                            uint8_t pad)
{
    uint8_t d[32] = {(uint8_t)(9 + pad), USB_DT_INTERFACE, i->number, i->alternate, neps,
                     i->cls, i->subclass, i->protocol, i->i_interface};
    return put(c, d, 9u + pad);
}

static inline size_t add_iface(struct cb *c, uint8_t num, uint8_t alt, uint8_t neps, uint8_t cls,
                        uint8_t istr)
{
    struct usb_interface_info i = {.number = num, .alternate = alt, .cls = cls,
                                   .i_interface = istr};
    return add_iface_pad(c, &i, neps, 0);
}

static inline size_t add_ep_pad(struct cb *c, uint8_t addr, uint8_t attrs, uint16_t mps, uint8_t iv,
                         uint8_t pad)
{
    uint8_t d[32] = {(uint8_t)(7 + pad), USB_DT_ENDPOINT, addr, attrs, 0, 0, iv};
    set16(d + USB_EP_MAX_PACKET, mps);
    return put(c, d, 7u + pad);
}

static inline size_t add_ep(struct cb *c, uint8_t addr, uint8_t attrs, uint16_t mps, uint8_t iv)
{
    return add_ep_pad(c, addr, attrs, mps, iv, 0);
}

static inline size_t add_ssc(struct cb *c, uint8_t burst, uint8_t attrs, uint16_t bpi)
{
    uint8_t d[6] = {6, USB_DT_SS_EP_COMPANION, burst, attrs, 0, 0};
    set16(d + USB_SSC_BYTES_PER_INTERVAL, bpi);
    return put(c, d, sizeof d);
}

/* A descriptor the parser steps over: class-specific, vendor, unknown. */
static inline size_t add_other(struct cb *c, uint8_t type, uint8_t len)
{
    uint8_t d[256];
    memset(d, 0xa5, sizeof d);
    d[0] = len;
    d[1] = type;
    return put(c, d, len);
}

/* Insert or remove bytes inside a configuration, keeping wTotalLength = the size. */
static inline void cb_insert(struct cb *c, size_t at, const uint8_t *d, size_t n)
{
    cr_assert_leq(c->n + n, CB_BYTES);
    memmove(c->b + at + n, c->b + at, c->n - at);
    memcpy(c->b + at, d, n);
    c->n += n;
    end_config(c);
}

static inline void cb_cut(struct cb *c, size_t at, size_t n)
{
    memmove(c->b + at, c->b + at + n, c->n - at - n);
    c->n -= n;
    end_config(c);
}

/* ---- comparing results -------------------------------------------------------------------- */

/* The first field where got differs from want, spelled out in why: name, got, expected. */
#define CMP(gv, wv, ...)                                                                        \
    do {                                                                                        \
        if ((gv) != (wv)) {                                                                     \
            int k_ = snprintf(why, cap, __VA_ARGS__);                                           \
            if (k_ >= 0 && (size_t)k_ < cap)                                                    \
                snprintf(why + k_, cap - (size_t)k_, " is %u, expected %u", (unsigned)(gv),     \
                         (unsigned)(wv));                                                       \
            return true;                                                                        \
        }                                                                                       \
    } while (0)

static inline bool ep_differs(const struct usb_endpoint_info *g, const struct usb_endpoint_info *w,
                       unsigned i, unsigned j, char *why, size_t cap)
{
#define EP_CMP(f) CMP(g->f, w->f, "iface[%u].ep[%u]." #f, i, j)
    EP_CMP(address);
    EP_CMP(xfer);
    EP_CMP(max_packet);
    EP_CMP(mult);
    EP_CMP(interval);
    EP_CMP(max_burst);
    EP_CMP(max_streams_log2);
    EP_CMP(bytes_per_interval);
#undef EP_CMP
    return false;
}

static inline bool iface_differs(const struct usb_interface_info *g, const struct usb_interface_info *w,
                          unsigned i, char *why, size_t cap)
{
#define IF_CMP(f) CMP(g->f, w->f, "iface[%u]." #f, i)
    IF_CMP(number);
    IF_CMP(alternate);
    IF_CMP(cls);
    IF_CMP(subclass);
    IF_CMP(protocol);
    IF_CMP(i_interface);
    IF_CMP(num_eps);
#undef IF_CMP
    for (unsigned j = 0; j < w->num_eps && j < USB_PARSE_EPS_MAX; j++)
        if (ep_differs(&g->ep[j], &w->ep[j], i, j, why, cap))
            return true;
    return false;
}

static inline bool config_differs(const struct usb_config_info *g, const struct usb_config_info *w,
                           char *why, size_t cap)
{
#define CFG_CMP(f) CMP(g->f, w->f, #f)
    CFG_CMP(total_length);
    CFG_CMP(num_interfaces);
    CFG_CMP(value);
    CFG_CMP(i_configuration);
    CFG_CMP(attributes);
    CFG_CMP(max_power);
    CFG_CMP(iface_count);
    CFG_CMP(skipped);
#undef CFG_CMP
    for (unsigned i = 0; i < w->iface_count && i < USB_PARSE_IFACES_MAX; i++)
        if (iface_differs(&g->iface[i], &w->iface[i], i, why, cap))
            return true;
    return false;
}

static inline void expect_config_eq(const struct usb_config_info *g, const struct usb_config_info *w,
                             const char *ctx)
{
    char why[160] = "";
    cr_expect(!config_differs(g, w, why, sizeof why), "%s: %s", ctx, why);
}

/* A problem is a place inside (or just at the end of) the input and a sentence. */
static inline void expect_problem_sane(const struct usb_parse_problem *p, size_t len, const char *ctx)
{
    cr_expect_leq(p->offset, len, "%s: offset %u past the input (%zu bytes)", ctx, p->offset,
                  len);
    cr_expect_neq(p->what[0], '\0', "%s: no sentence", ctx);
    cr_expect_neq(memchr(p->what, '\0', sizeof p->what), NULL, "%s: sentence not terminated",
                  ctx);
    cr_expect_eq(strchr(p->what, '%'), NULL, "%s: unexpanded format in '%s'", ctx, p->what);
}

/* ---- the valid fixture: a gadget, per speed ----------------------------------------------- */

/*
 * configuration 1, 2 interfaces:
 *   interface 0 alt 0, vendor, 3 endpoints; a CS_INTERFACE descriptor
 *     0x81 bulk IN, 0x01 bulk OUT, 0x83 interrupt IN (low speed: all three interrupt)
 *   interface 0 alt 1, 1 endpoint 0x81 (skipped)
 *   interface 1 alt 0, vendor, 1 endpoint; a HID-like descriptor
 *     0x84 isochronous IN (low speed: interrupt)
 * at SuperSpeed each endpoint followed by its companion.
 */
struct fx {
    struct cb c;
    size_t len;                     /* handed to the parser: c.n unless a case says */
    enum usb_parse_speed speed;
    size_t if0, cs, ep_in, ssc_in, ep_out, ssc_out, ep_int, ssc_int;
    size_t alt1, alt_ep, alt_ssc, if1, hid, ep_iso, ssc_iso; /* companions 0 below SS */
};

static const uint16_t bulk_mps[4] __attribute__((unused)) = {8, 64, 512, 1024};

static inline size_t ssc_if(struct fx *f, uint8_t burst, uint8_t attrs, uint16_t bpi)
{
    return f->speed == USB_PARSE_SUPER ? add_ssc(&f->c, burst, attrs, bpi) : 0;
}

static inline void build_gadget(struct fx *f, enum usb_parse_speed s)
{
    memset(f, 0, sizeof *f);
    f->speed = s;
    struct cb *c = &f->c;
    bool ls = s == USB_PARSE_LOW, fast = s >= USB_PARSE_HIGH;
    uint8_t bulk = ls ? USB_EP_XFER_INTERRUPT : USB_EP_XFER_BULK, bulk_iv = ls ? 10 : 0;
    add_config(c, 2, 1, 4, USB_CFG_ATTR_ONE | USB_CFG_ATTR_SELF_POWERED, 50);
    f->if0 = add_iface(c, 0, 0, 3, USB_CLASS_VENDOR, 5);
    f->cs = add_other(c, 0x24, 5);
    f->ep_in = add_ep(c, 0x81, bulk, bulk_mps[s], bulk_iv);
    f->ssc_in = ssc_if(f, 15, 4, 0);
    f->ep_out = add_ep(c, 0x01, bulk, bulk_mps[s], bulk_iv);
    f->ssc_out = ssc_if(f, 15, 0, 0);
    f->ep_int = add_ep(c, 0x83, USB_EP_XFER_INTERRUPT, ls ? 8 : 64, fast ? 4 : 10);
    f->ssc_int = ssc_if(f, 0, 0, 64);
    f->alt1 = add_iface(c, 0, 1, 1, USB_CLASS_VENDOR, 6);
    f->alt_ep = add_ep(c, 0x81, bulk, bulk_mps[s], bulk_iv);
    f->alt_ssc = ssc_if(f, 0, 0, 0);
    f->if1 = add_iface(c, 1, 0, 1, USB_CLASS_VENDOR, 7);
    f->hid = add_other(c, 0x21, 9);
    if (ls)
        f->ep_iso = add_ep(c, 0x84, USB_EP_XFER_INTERRUPT, 8, 10);
    else
        f->ep_iso = add_ep(c, 0x84, USB_EP_XFER_ISOCH | USB_EP_SYNC_ASYNC << USB_EP_SYNC_SHIFT,
                           s == USB_PARSE_FULL ? 1023 : s == USB_PARSE_HIGH ? 0x1400 : 1024, 1);
    f->ssc_iso = ssc_if(f, 2, 1, 6144);
    end_config(c);
    f->len = c->n;
}

/* What build_gadget's configuration must parse to, written out per speed. */
static inline void gadget_want(enum usb_parse_speed s, struct usb_config_info *w)
{
    bool ls = s == USB_PARSE_LOW, fs = s == USB_PARSE_FULL, ss = s == USB_PARSE_SUPER;
    uint8_t bulk = ls ? USB_EP_XFER_INTERRUPT : USB_EP_XFER_BULK, bulk_iv = ls ? 10 : 0;
    memset(w, 0, sizeof *w);
    w->total_length = ss ? 115 : 85;
    w->num_interfaces = 2;
    w->value = 1;
    w->i_configuration = 4;
    w->attributes = 0xc0;
    w->max_power = 50;
    w->iface_count = 2;
    w->skipped = ss ? 5 : 4;        /* CS, alt 1, its endpoint (and companion), HID */
    w->iface[0] = (struct usb_interface_info){.number = 0, .cls = 0xff, .i_interface = 5,
                                              .num_eps = 3};
    w->iface[0].ep[0] = (struct usb_endpoint_info){.address = 0x81, .xfer = bulk,
                                                   .max_packet = bulk_mps[s], .interval = bulk_iv,
                                                   .max_burst = ss ? 15 : 0,
                                                   .max_streams_log2 = ss ? 4 : 0};
    w->iface[0].ep[1] = (struct usb_endpoint_info){.address = 0x01, .xfer = bulk,
                                                   .max_packet = bulk_mps[s], .interval = bulk_iv,
                                                   .max_burst = ss ? 15 : 0};
    w->iface[0].ep[2] = (struct usb_endpoint_info){.address = 0x83, .xfer = 3,
                                                   .max_packet = ls ? 8 : 64,
                                                   .interval = (ls || fs) ? 10 : 4,
                                                   .bytes_per_interval = ss ? 64 : 0};
    w->iface[1] = (struct usb_interface_info){.number = 1, .cls = 0xff, .i_interface = 7,
                                              .num_eps = 1};
    if (ls)
        w->iface[1].ep[0] = (struct usb_endpoint_info){.address = 0x84, .xfer = 3,
                                                       .max_packet = 8, .interval = 10};
    else
        w->iface[1].ep[0] = (struct usb_endpoint_info){
            .address = 0x84, .xfer = 1, .max_packet = fs ? 1023 : 1024,
            .mult = s == USB_PARSE_HIGH ? 2 : ss ? 1 : 0, .interval = 1, .max_burst = ss ? 2 : 0,
            .bytes_per_interval = ss ? 6144 : 0};
}

/* Gadget zero's device descriptor (Linux's g_zero: 0525:a4a0), per speed. */
static inline void build_device(struct fx *f, enum usb_parse_speed s)
{
    static const uint8_t mps0[4] = {8, 64, 64, 9};
    const uint8_t d[18] = {18, USB_DT_DEVICE, 0x00, s == USB_PARSE_SUPER ? 0x03 : 0x02,
                           0xff, 0, 0, mps0[s], 0x25, 0x05, 0xa0, 0xa4, 0x17, 0x03, 1, 2, 3, 1};
    memset(f, 0, sizeof *f);
    f->speed = s;
    put(&f->c, d, sizeof d);
    f->len = f->c.n;
}

/* "Gadget" in UTF-16LE */
static inline void build_string(struct fx *f)
{
    const uint8_t d[] = {14, USB_DT_STRING, 'G', 0, 'a', 0, 'd', 0, 'g', 0, 'e', 0, 't', 0};
    memset(f, 0, sizeof *f);
    put(&f->c, d, sizeof d);
    f->len = f->c.n;
}

/* string 0: US English, then German */
static inline void build_langids(struct fx *f)
{
    const uint8_t d[] = {6, USB_DT_STRING, 0x09, 0x04, 0x07, 0x04};
    memset(f, 0, sizeof *f);
    put(&f->c, d, sizeof d);
    f->len = f->c.n;
}

enum kind { K_DEVICE, K_CONFIG, K_TOTAL, K_STRING, K_LANGID };

static inline void build(struct fx *f, enum kind k, enum usb_parse_speed s)
{
    switch (k) {
    case K_DEVICE: build_device(f, s); break;
    case K_CONFIG:
    case K_TOTAL: build_gadget(f, s); break;
    case K_STRING: build_string(f); break;
    case K_LANGID: build_langids(f); break;
    }
    f->speed = s;
}

static inline enum iosim_err parse(const struct fx *f, enum kind k, const uint8_t *buf,
                            struct usb_parse_problem *p)
{
    struct usb_device_info dev;
    struct usb_config_info cfg;
    uint16_t u16;
    char s[64];
    switch (k) {
    case K_DEVICE: return usb_parse_device(buf, f->len, f->speed, &dev, p);
    case K_CONFIG: return usb_parse_config(buf, f->len, f->speed, &cfg, p);
    case K_TOTAL: return usb_parse_config_total(buf, f->len, &u16, p);
    case K_STRING: return usb_parse_string(buf, f->len, s, sizeof s, p);
    case K_LANGID: return usb_parse_langid(buf, f->len, &u16, p);
    }
    return IOSIM_EINVAL;
}


#endif /* IOSIM_TESTS_USB_PARSE_TEST_UTIL_H */
