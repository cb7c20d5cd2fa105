/*
 * impl/drivers/xhcid/usb_parse: what a device says about itself, checked.
 *
 *   1. every refusal clause of the parser, one table row each: a valid descriptor set
 *      for the speed (a gadget with two interfaces, an alternate setting, class
 *      descriptors and SuperSpeed companions), one thing broken, EPROTO at the offset
 *      of what was broken; the unbroken set parses with every field checked;
 *   2. gadget-zero-like configurations at full, high and SuperSpeed, written out byte
 *      by byte as a device would send them, parse to exactly the expected structs;
 *   3. a model-based test: random valid configurations against the generator's model;
 *   4. a hostile test: random mutations of valid inputs, each in an exactly-sized
 *      malloc buffer (AddressSanitizer sees any overread), parse OK or EPROTO, and an
 *      OK result keeps the invariants usb_parse.h promises.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/drivers/xhcid/usb_parse.h"
#include "impl/port/spec/usb_ch9.h"
#include "tests/impl/splitmix.h"

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

static size_t put(struct cb *c, const uint8_t *d, size_t n)
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
static void cb_append(struct cb *c, const struct cb *from)
{
    cr_assert_leq(c->n + from->n, CB_BYTES, "builder full");
    cr_assert_leq(c->descs + from->descs, CB_DESCS, "builder full");
    memcpy(c->b + c->n, from->b, from->n);
    for (unsigned k = 0; k < from->descs; k++)
        c->at[c->descs++] = c->n + from->at[k];
    c->n += from->n;
}

static void set16(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

/* `pad` extra bytes after the descriptor's fields, counted in its bLength (audio endpoints
 * are 9 bytes, for instance). */
static size_t add_config(struct cb *c, uint8_t num_ifaces, uint8_t value, uint8_t istr,
                         uint8_t attrs, uint8_t power)
{
    const uint8_t d[] = {9, USB_DT_CONFIG, 0, 0, num_ifaces, value, istr, attrs, power};
    return put(c, d, sizeof d);
}

/* wTotalLength = everything built */
static void end_config(struct cb *c)
{
    set16(c->b + USB_CFG_TOTAL_LENGTH, (uint32_t)c->n);
}

static size_t add_iface_pad(struct cb *c, const struct usb_interface_info *i, uint8_t neps,
                            uint8_t pad)
{
    uint8_t d[32] = {(uint8_t)(9 + pad), USB_DT_INTERFACE, i->number, i->alternate, neps,
                     i->cls, i->subclass, i->protocol, i->i_interface};
    return put(c, d, 9u + pad);
}

static size_t add_iface(struct cb *c, uint8_t num, uint8_t alt, uint8_t neps, uint8_t cls,
                        uint8_t istr)
{
    struct usb_interface_info i = {.number = num, .alternate = alt, .cls = cls,
                                   .i_interface = istr};
    return add_iface_pad(c, &i, neps, 0);
}

static size_t add_ep_pad(struct cb *c, uint8_t addr, uint8_t attrs, uint16_t mps, uint8_t iv,
                         uint8_t pad)
{
    uint8_t d[32] = {(uint8_t)(7 + pad), USB_DT_ENDPOINT, addr, attrs, 0, 0, iv};
    set16(d + USB_EP_MAX_PACKET, mps);
    return put(c, d, 7u + pad);
}

static size_t add_ep(struct cb *c, uint8_t addr, uint8_t attrs, uint16_t mps, uint8_t iv)
{
    return add_ep_pad(c, addr, attrs, mps, iv, 0);
}

static size_t add_ssc(struct cb *c, uint8_t burst, uint8_t attrs, uint16_t bpi)
{
    uint8_t d[6] = {6, USB_DT_SS_EP_COMPANION, burst, attrs, 0, 0};
    set16(d + USB_SSC_BYTES_PER_INTERVAL, bpi);
    return put(c, d, sizeof d);
}

/* A descriptor the parser steps over: class-specific, vendor, unknown. */
static size_t add_other(struct cb *c, uint8_t type, uint8_t len)
{
    uint8_t d[256];
    memset(d, 0xa5, sizeof d);
    d[0] = len;
    d[1] = type;
    return put(c, d, len);
}

/* Insert or remove bytes inside a configuration, keeping wTotalLength = the size. */
static void cb_insert(struct cb *c, size_t at, const uint8_t *d, size_t n)
{
    cr_assert_leq(c->n + n, CB_BYTES);
    memmove(c->b + at + n, c->b + at, c->n - at);
    memcpy(c->b + at, d, n);
    c->n += n;
    end_config(c);
}

static void cb_cut(struct cb *c, size_t at, size_t n)
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

static bool ep_differs(const struct usb_endpoint_info *g, const struct usb_endpoint_info *w,
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

static bool iface_differs(const struct usb_interface_info *g, const struct usb_interface_info *w,
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

static bool config_differs(const struct usb_config_info *g, const struct usb_config_info *w,
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

static void expect_config_eq(const struct usb_config_info *g, const struct usb_config_info *w,
                             const char *ctx)
{
    char why[160] = "";
    cr_expect(!config_differs(g, w, why, sizeof why), "%s: %s", ctx, why);
}

/* A problem is a place inside (or just at the end of) the input and a sentence. */
static void expect_problem_sane(const struct usb_parse_problem *p, size_t len, const char *ctx)
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

static const uint16_t bulk_mps[4] = {8, 64, 512, 1024};

static size_t ssc_if(struct fx *f, uint8_t burst, uint8_t attrs, uint16_t bpi)
{
    return f->speed == USB_PARSE_SUPER ? add_ssc(&f->c, burst, attrs, bpi) : 0;
}

static void build_gadget(struct fx *f, enum usb_parse_speed s)
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
static void gadget_want(enum usb_parse_speed s, struct usb_config_info *w)
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
static void build_device(struct fx *f, enum usb_parse_speed s)
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
static void build_string(struct fx *f)
{
    const uint8_t d[] = {14, USB_DT_STRING, 'G', 0, 'a', 0, 'd', 0, 'g', 0, 'e', 0, 't', 0};
    memset(f, 0, sizeof *f);
    put(&f->c, d, sizeof d);
    f->len = f->c.n;
}

/* string 0: US English, then German */
static void build_langids(struct fx *f)
{
    const uint8_t d[] = {6, USB_DT_STRING, 0x09, 0x04, 0x07, 0x04};
    memset(f, 0, sizeof *f);
    put(&f->c, d, sizeof d);
    f->len = f->c.n;
}

enum kind { K_DEVICE, K_CONFIG, K_TOTAL, K_STRING, K_LANGID };

static void build(struct fx *f, enum kind k, enum usb_parse_speed s)
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

static enum iosim_err parse(const struct fx *f, enum kind k, const uint8_t *buf,
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

/* ---- 1. one row per refusal clause -------------------------------------------------------- */

#define LS USB_PARSE_LOW
#define FS USB_PARSE_FULL
#define HS USB_PARSE_HIGH
#define SS USB_PARSE_SUPER

static size_t poke8(struct fx *f, size_t at, uint8_t v)
{
    f->c.b[at] = v;
    return at;
}

static size_t poke16(struct fx *f, size_t at, uint16_t v)
{
    set16(f->c.b + at, v);
    return at;
}

/* A case breaks one thing in the valid fixture and returns where the parser must say
 * it went wrong. */
struct bad_case {
    const char *clause;
    enum kind kind;
    enum usb_parse_speed speed;
    size_t (*breaks)(struct fx *f);
};

/* any descriptor */
static size_t dev_len_1(struct fx *f) { f->len = 1; return 0; }
static size_t dev_blength_0(struct fx *f) { return poke8(f, 0, 0); }
static size_t dev_truncated(struct fx *f) { f->len = 17; return 0; }
static size_t dev_short(struct fx *f) { return poke8(f, 0, 17); }
static size_t dev_type(struct fx *f) { return poke8(f, USB_DESC_TYPE, USB_DT_CONFIG); }
static size_t cfg_header_short(struct fx *f) { return poke8(f, 0, 8); }
static size_t cfg_type(struct fx *f) { return poke8(f, USB_DESC_TYPE, USB_DT_DEVICE); }
static size_t cfg_other_blength_0(struct fx *f) { return poke8(f, f->cs, 0); }
static size_t cfg_other_blength_1(struct fx *f) { return poke8(f, f->hid, 1); }
static size_t cfg_last_past_end(struct fx *f)
{
    size_t last = f->c.at[f->c.descs - 1];
    return poke8(f, last, (uint8_t)(f->c.n - last + 1));
}
static size_t cfg_one_byte_left(struct fx *f)
{
    size_t at = f->c.n;
    const uint8_t z = 0;
    cb_insert(&f->c, at, &z, 1);
    f->len = f->c.n;
    return at;
}
static size_t cfg_iface_short(struct fx *f) { return poke8(f, f->if1, 8); }
static size_t cfg_ep_short(struct fx *f) { return poke8(f, f->ep_out, 6); }
static size_t cfg_ssc_short(struct fx *f) { return poke8(f, f->ssc_out, 5); }

/* device */
static size_t dev_mps0(struct fx *f, uint8_t v) { return poke8(f, USB_DEV_MAX_PACKET0, v); }
static size_t dev_mps0_ls_64(struct fx *f) { return dev_mps0(f, 64); }
static size_t dev_mps0_fs_12(struct fx *f) { return dev_mps0(f, 12); }
static size_t dev_mps0_fs_128(struct fx *f) { return dev_mps0(f, 128); }
static size_t dev_mps0_fs_4(struct fx *f) { return dev_mps0(f, 4); }
static size_t dev_mps0_hs_8(struct fx *f) { return dev_mps0(f, 8); }
static size_t dev_mps0_ss_64(struct fx *f) { return dev_mps0(f, 64); }
static size_t dev_mps0_ss_8(struct fx *f) { return dev_mps0(f, 8); }
static size_t dev_no_configs(struct fx *f) { return poke8(f, USB_DEV_NUM_CONFIGS, 0); }

/* configuration header */
static size_t cfg_total_below_header(struct fx *f) { return poke16(f, USB_CFG_TOTAL_LENGTH, 8); }
static size_t cfg_total_below_blength(struct fx *f)
{
    /* a 12-byte header (3 bytes of padding) claiming a total of 11 */
    const uint8_t pad[3] = {0};
    cb_insert(&f->c, USB_DT_CONFIG_BYTES, pad, sizeof pad);
    f->len = f->c.n;
    poke8(f, 0, 12);
    return poke16(f, USB_CFG_TOTAL_LENGTH, 11);
}
static size_t cfg_truncated_fetch(struct fx *f) { f->len = USB_DT_CONFIG_BYTES; return 2; }
static size_t cfg_total_lies(struct fx *f) { return poke16(f, 2, (uint16_t)(f->c.n - 7)); }
static size_t cfg_no_ifaces(struct fx *f) { return poke8(f, USB_CFG_NUM_INTERFACES, 0); }
static size_t cfg_too_many_ifaces(struct fx *f)
{
    return poke8(f, USB_CFG_NUM_INTERFACES, USB_PARSE_IFACES_MAX + 1);
}
static size_t cfg_fewer_ifaces(struct fx *f) { return poke8(f, USB_CFG_NUM_INTERFACES, 3); }
static size_t cfg_more_ifaces(struct fx *f)
{
    poke8(f, USB_CFG_NUM_INTERFACES, 1);
    return f->if1;
}

/* interfaces and endpoint counts */
static size_t ep_before_iface(struct fx *f)
{
    const uint8_t ep[7] = {7, USB_DT_ENDPOINT, 0x85, USB_EP_XFER_INTERRUPT, 8, 0, 4};
    cb_insert(&f->c, f->if0, ep, sizeof ep);
    f->len = f->c.n;
    return f->if0;
}
static size_t more_eps(struct fx *f)
{
    poke8(f, f->if0 + USB_IF_NUM_ENDPOINTS, 2);
    return f->ep_int;
}
static size_t fewer_eps(struct fx *f) { return poke8(f, f->if0 + USB_IF_NUM_ENDPOINTS, 4); }
static size_t fewer_eps_in_alt(struct fx *f) { return poke8(f, f->alt1 + USB_IF_NUM_ENDPOINTS, 2); }
static size_t fewer_eps_at_end(struct fx *f) { return poke8(f, f->if1 + USB_IF_NUM_ENDPOINTS, 2); }
static size_t more_eps_in_alt(struct fx *f)
{
    poke8(f, f->alt1 + USB_IF_NUM_ENDPOINTS, 0);
    return f->alt_ep;
}
static size_t too_many_eps(struct fx *f)
{
    return poke8(f, f->if0 + USB_IF_NUM_ENDPOINTS, USB_PARSE_EPS_MAX + 1);
}
static size_t dup_iface(struct fx *f) { return poke8(f, f->if1 + USB_IF_NUMBER, 0); }

/* endpoint addresses */
static size_t dup_addr(struct fx *f) { return poke8(f, f->ep_out + USB_EP_ADDRESS, 0x81); }
static size_t dup_addr_across(struct fx *f) { return poke8(f, f->ep_iso + USB_EP_ADDRESS, 0x83); }
static size_t control_takes_both(struct fx *f)
{
    /* a control endpoint 3 where 0x83 (interrupt IN) already is: both are DCI 7 */
    poke8(f, f->ep_iso + USB_EP_ATTRIBUTES, USB_EP_XFER_CONTROL);
    poke16(f, f->ep_iso + USB_EP_MAX_PACKET, 64);
    return poke8(f, f->ep_iso + USB_EP_ADDRESS, 0x03);
}
static size_t ep_number_0(struct fx *f) { return poke8(f, f->ep_in + USB_EP_ADDRESS, 0x80); }
static size_t ep_reserved(struct fx *f) { return poke8(f, f->ep_in + USB_EP_ADDRESS, 0x91); }

/* wMaxPacketSize */
static size_t mps(struct fx *f, size_t ep, uint16_t v)
{
    return poke16(f, ep + USB_EP_MAX_PACKET, v);
}
static size_t mps_xfer(struct fx *f, size_t ep, uint8_t xfer, uint16_t v)
{
    poke8(f, ep + USB_EP_ATTRIBUTES, xfer);
    return mps(f, ep, v);
}
static size_t mps_0(struct fx *f) { return mps(f, f->ep_in, 0); }
static size_t mps_reserved(struct fx *f) { return mps(f, f->ep_int, 0x2040); }
static size_t mps_ls_int_16(struct fx *f) { return mps(f, f->ep_int, 16); }
static size_t mps_ls_bulk(struct fx *f) { return mps_xfer(f, f->ep_in, USB_EP_XFER_BULK, 8); }
static size_t mps_ls_isoch(struct fx *f) { return mps_xfer(f, f->ep_in, USB_EP_XFER_ISOCH, 8); }
static size_t mps_ls_control_16(struct fx *f)
{
    return mps_xfer(f, f->ep_iso, USB_EP_XFER_CONTROL, 16);
}
static size_t mps_fs_bulk_12(struct fx *f) { return mps(f, f->ep_in, 12); }
static size_t mps_fs_bulk_128(struct fx *f) { return mps(f, f->ep_in, 128); }
static size_t mps_fs_bulk_4(struct fx *f) { return mps(f, f->ep_in, 4); }
static size_t mps_fs_int_65(struct fx *f) { return mps(f, f->ep_int, 65); }
static size_t mps_fs_isoch_1024(struct fx *f) { return mps(f, f->ep_iso, 1024); }
static size_t mps_fs_mult(struct fx *f) { return mps(f, f->ep_int, 0x0840); }
static size_t mps_hs_bulk_256(struct fx *f) { return mps(f, f->ep_in, 256); }
static size_t mps_hs_bulk_1024(struct fx *f) { return mps(f, f->ep_in, 1024); }
static size_t mps_hs_bulk_mult(struct fx *f) { return mps(f, f->ep_in, 0x0a00); }
static size_t mps_hs_int_1025(struct fx *f) { return mps(f, f->ep_int, 1025); }
static size_t mps_hs_isoch_1025(struct fx *f) { return mps(f, f->ep_iso, 0x1401); }
static size_t mps_hs_mult_3(struct fx *f) { return mps(f, f->ep_int, 0x1840); }
static size_t mps_hs_control_8(struct fx *f)
{
    poke8(f, f->ep_iso + USB_EP_ADDRESS, 0x05);
    return mps_xfer(f, f->ep_iso, USB_EP_XFER_CONTROL, 8);
}
static size_t mps_ss_bulk_512(struct fx *f) { return mps(f, f->ep_in, 512); }
static size_t mps_ss_int_1025(struct fx *f) { return mps(f, f->ep_int, 1025); }
static size_t mps_ss_isoch_1025(struct fx *f) { return mps(f, f->ep_iso, 1025); }
static size_t mps_ss_mult(struct fx *f) { return mps(f, f->ep_int, 0x0840); }

/* bInterval */
static size_t iv(struct fx *f, size_t ep, uint8_t v) { return poke8(f, ep + USB_EP_INTERVAL, v); }
static size_t iv_int_0(struct fx *f) { return iv(f, f->ep_int, 0); }
static size_t iv_int_17(struct fx *f) { return iv(f, f->ep_int, 17); }
static size_t iv_iso_0(struct fx *f) { return iv(f, f->ep_iso, 0); }
static size_t iv_iso_17(struct fx *f) { return iv(f, f->ep_iso, 17); }

/* SuperSpeed companions */
static size_t ssc_missing(struct fx *f)
{
    cb_cut(&f->c, f->ssc_in, USB_DT_SS_EP_COMPANION_BYTES);
    f->len = f->c.n;
    return f->ssc_in;               /* where ep_out now is */
}
static size_t ssc_missing_at_end(struct fx *f)
{
    cb_cut(&f->c, f->ssc_iso, USB_DT_SS_EP_COMPANION_BYTES);
    f->len = f->c.n;
    return f->c.n;
}
static size_t ssc_missing_in_alt(struct fx *f)
{
    cb_cut(&f->c, f->alt_ssc, USB_DT_SS_EP_COMPANION_BYTES);
    f->len = f->c.n;
    return f->alt_ssc;
}
static const uint8_t a_companion[6] = {6, USB_DT_SS_EP_COMPANION, 0, 0, 0, 0};
static size_t ssc_after_iface(struct fx *f)
{
    size_t at = f->if1 + USB_DT_INTERFACE_BYTES;
    cb_insert(&f->c, at, a_companion, sizeof a_companion);
    f->len = f->c.n;
    return at;
}
static size_t ssc_twice(struct fx *f)
{
    size_t at = f->ssc_out + USB_DT_SS_EP_COMPANION_BYTES;
    cb_insert(&f->c, at, a_companion, sizeof a_companion);
    f->len = f->c.n;
    return at;
}
static size_t ssc_below_ss(struct fx *f)
{
    size_t at = f->ep_in + USB_DT_ENDPOINT_BYTES;
    cb_insert(&f->c, at, a_companion, sizeof a_companion);
    f->len = f->c.n;
    return at;
}
static size_t ssc_burst_16(struct fx *f) { return poke8(f, f->ssc_in + USB_SSC_MAX_BURST, 16); }
static size_t ssc_streams_17(struct fx *f) { return poke8(f, f->ssc_in + USB_SSC_ATTRIBUTES, 17); }
static size_t ssc_isoch_mult_3(struct fx *f)
{
    return poke8(f, f->ssc_iso + USB_SSC_ATTRIBUTES, 3);
}
static size_t ssc_control_burst(struct fx *f)
{
    poke8(f, f->ep_iso + USB_EP_ADDRESS, 0x05);
    mps_xfer(f, f->ep_iso, USB_EP_XFER_CONTROL, 512);
    return poke8(f, f->ssc_iso + USB_SSC_MAX_BURST, 1);
}

/* strings */
static size_t str_len_1(struct fx *f) { f->len = 1; return 0; }
static size_t str_blength_0(struct fx *f) { return poke8(f, 0, 0); }
static size_t str_blength_1(struct fx *f) { return poke8(f, 0, 1); }
static size_t str_odd(struct fx *f) { return poke8(f, 0, 5); }
static size_t str_truncated(struct fx *f) { f->len = f->c.n - 1; return 0; }
static size_t str_type(struct fx *f) { return poke8(f, USB_DESC_TYPE, USB_DT_CONFIG); }
static size_t langid_none(struct fx *f) { return poke8(f, 0, 2); }
static size_t langid_odd(struct fx *f) { return poke8(f, 0, 5); }

/* the header alone */
static size_t total_len_1(struct fx *f) { f->len = 1; return 0; }
static size_t total_len_8(struct fx *f) { f->len = 8; return 0; }

static const struct bad_case bad_cases[] = {
    /* any descriptor */
    {"len < 2 (device)", K_DEVICE, FS, dev_len_1},
    {"len < 2 (one byte after the last descriptor)", K_CONFIG, HS, cfg_one_byte_left},
    {"len < 2 (string)", K_STRING, FS, str_len_1},
    {"len < 2 (configuration header)", K_TOTAL, FS, total_len_1},
    {"bLength 0 would never advance (device)", K_DEVICE, HS, dev_blength_0},
    {"bLength 0 would never advance (class descriptor)", K_CONFIG, HS, cfg_other_blength_0},
    {"bLength 1 splits a header (class descriptor)", K_CONFIG, FS, cfg_other_blength_1},
    {"bLength 0 (string)", K_STRING, FS, str_blength_0},
    {"bLength 1 (string)", K_STRING, FS, str_blength_1},
    {"bLength past the end (device, 17 bytes)", K_DEVICE, HS, dev_truncated},
    {"bLength past the end (last endpoint)", K_CONFIG, SS, cfg_last_past_end},
    {"bLength past the end (string)", K_STRING, FS, str_truncated},
    {"bLength past the end (header, 8 bytes)", K_TOTAL, HS, total_len_8},
    {"device bLength < 18", K_DEVICE, FS, dev_short},
    {"configuration bLength < 9", K_CONFIG, HS, cfg_header_short},
    {"configuration bLength < 9 (header alone)", K_TOTAL, HS, cfg_header_short},
    {"interface bLength < 9", K_CONFIG, HS, cfg_iface_short},
    {"endpoint bLength < 7", K_CONFIG, FS, cfg_ep_short},
    {"companion bLength < 6", K_CONFIG, SS, cfg_ssc_short},
    {"device bDescriptorType wrong", K_DEVICE, HS, dev_type},
    {"configuration bDescriptorType wrong", K_CONFIG, HS, cfg_type},
    {"configuration bDescriptorType wrong (header alone)", K_TOTAL, HS, cfg_type},
    {"string bDescriptorType wrong", K_STRING, HS, str_type},
    /* device */
    {"bMaxPacketSize0 64 at low speed", K_DEVICE, LS, dev_mps0_ls_64},
    {"bMaxPacketSize0 12 at full speed", K_DEVICE, FS, dev_mps0_fs_12},
    {"bMaxPacketSize0 128 at full speed", K_DEVICE, FS, dev_mps0_fs_128},
    {"bMaxPacketSize0 4 at full speed", K_DEVICE, FS, dev_mps0_fs_4},
    {"bMaxPacketSize0 8 at high speed", K_DEVICE, HS, dev_mps0_hs_8},
    {"bMaxPacketSize0 64 (not the exponent 9) at SuperSpeed", K_DEVICE, SS, dev_mps0_ss_64},
    {"bMaxPacketSize0 8 (exponent 8) at SuperSpeed", K_DEVICE, SS, dev_mps0_ss_8},
    {"bNumConfigurations 0", K_DEVICE, HS, dev_no_configs},
    /* configuration */
    {"wTotalLength < 9", K_CONFIG, HS, cfg_total_below_header},
    {"wTotalLength < 9 (header alone)", K_TOTAL, HS, cfg_total_below_header},
    {"wTotalLength < a longer header's bLength", K_CONFIG, FS, cfg_total_below_blength},
    {"wTotalLength > len: truncated fetch", K_CONFIG, HS, cfg_truncated_fetch},
    {"wTotalLength < len: the total lies", K_CONFIG, HS, cfg_total_lies},
    {"bNumInterfaces 0", K_CONFIG, HS, cfg_no_ifaces},
    {"bNumInterfaces > USB_PARSE_IFACES_MAX", K_CONFIG, HS, cfg_too_many_ifaces},
    {"fewer interfaces than bNumInterfaces", K_CONFIG, SS, cfg_fewer_ifaces},
    {"more interfaces than bNumInterfaces", K_CONFIG, FS, cfg_more_ifaces},
    {"endpoint before any interface", K_CONFIG, HS, ep_before_iface},
    {"more endpoints than bNumEndpoints", K_CONFIG, HS, more_eps},
    {"more endpoints than bNumEndpoints (alternate setting)", K_CONFIG, FS, more_eps_in_alt},
    {"fewer endpoints than bNumEndpoints", K_CONFIG, HS, fewer_eps},
    {"fewer endpoints than bNumEndpoints (alternate setting)", K_CONFIG, SS, fewer_eps_in_alt},
    {"fewer endpoints than bNumEndpoints (last interface)", K_CONFIG, LS, fewer_eps_at_end},
    {"bNumEndpoints > USB_PARSE_EPS_MAX", K_CONFIG, HS, too_many_eps},
    {"interface number twice (alternate setting 0)", K_CONFIG, HS, dup_iface},
    {"endpoint address twice in an interface", K_CONFIG, HS, dup_addr},
    {"endpoint address twice across interfaces", K_CONFIG, FS, dup_addr_across},
    {"control endpoint on a number whose IN is taken", K_CONFIG, HS, control_takes_both},
    {"endpoint number 0", K_CONFIG, HS, ep_number_0},
    {"endpoint address reserved bits 6:4", K_CONFIG, FS, ep_reserved},
    {"wMaxPacketSize 0", K_CONFIG, HS, mps_0},
    {"wMaxPacketSize reserved bits 15:13", K_CONFIG, HS, mps_reserved},
    {"low speed: interrupt wMaxPacketSize 16", K_CONFIG, LS, mps_ls_int_16},
    {"low speed: a bulk endpoint", K_CONFIG, LS, mps_ls_bulk},
    {"low speed: an isochronous endpoint", K_CONFIG, LS, mps_ls_isoch},
    {"low speed: control wMaxPacketSize 16", K_CONFIG, LS, mps_ls_control_16},
    {"full speed: bulk wMaxPacketSize 12", K_CONFIG, FS, mps_fs_bulk_12},
    {"full speed: bulk wMaxPacketSize 128", K_CONFIG, FS, mps_fs_bulk_128},
    {"full speed: bulk wMaxPacketSize 4", K_CONFIG, FS, mps_fs_bulk_4},
    {"full speed: interrupt wMaxPacketSize 65", K_CONFIG, FS, mps_fs_int_65},
    {"full speed: isochronous wMaxPacketSize 1024", K_CONFIG, FS, mps_fs_isoch_1024},
    {"full speed: extra transactions (bits 12:11)", K_CONFIG, FS, mps_fs_mult},
    {"high speed: bulk wMaxPacketSize 256", K_CONFIG, HS, mps_hs_bulk_256},
    {"high speed: bulk wMaxPacketSize 1024", K_CONFIG, HS, mps_hs_bulk_1024},
    {"high speed: bulk with extra transactions", K_CONFIG, HS, mps_hs_bulk_mult},
    {"high speed: interrupt wMaxPacketSize 1025", K_CONFIG, HS, mps_hs_int_1025},
    {"high speed: isochronous wMaxPacketSize 1025", K_CONFIG, HS, mps_hs_isoch_1025},
    {"high speed: 3 extra transactions (reserved)", K_CONFIG, HS, mps_hs_mult_3},
    {"high speed: control wMaxPacketSize 8", K_CONFIG, HS, mps_hs_control_8},
    {"SuperSpeed: bulk wMaxPacketSize 512", K_CONFIG, SS, mps_ss_bulk_512},
    {"SuperSpeed: interrupt wMaxPacketSize 1025", K_CONFIG, SS, mps_ss_int_1025},
    {"SuperSpeed: isochronous wMaxPacketSize 1025", K_CONFIG, SS, mps_ss_isoch_1025},
    {"SuperSpeed: wMaxPacketSize bits 12:11", K_CONFIG, SS, mps_ss_mult},
    {"high speed: interrupt bInterval 0", K_CONFIG, HS, iv_int_0},
    {"high speed: interrupt bInterval 17", K_CONFIG, HS, iv_int_17},
    {"high speed: isochronous bInterval 0", K_CONFIG, HS, iv_iso_0},
    {"high speed: isochronous bInterval 17", K_CONFIG, HS, iv_iso_17},
    {"SuperSpeed: interrupt bInterval 17", K_CONFIG, SS, iv_int_17},
    {"SuperSpeed: isochronous bInterval 0", K_CONFIG, SS, iv_iso_0},
    {"full speed: interrupt bInterval 0", K_CONFIG, FS, iv_int_0},
    {"full speed: isochronous bInterval 17", K_CONFIG, FS, iv_iso_17},
    {"low speed: interrupt bInterval 0", K_CONFIG, LS, iv_int_0},
    {"SuperSpeed: endpoint without its companion", K_CONFIG, SS, ssc_missing},
    {"SuperSpeed: last endpoint without its companion", K_CONFIG, SS, ssc_missing_at_end},
    {"SuperSpeed: alternate setting's endpoint without companion", K_CONFIG, SS,
     ssc_missing_in_alt},
    {"SuperSpeed: companion after an interface", K_CONFIG, SS, ssc_after_iface},
    {"SuperSpeed: two companions for one endpoint", K_CONFIG, SS, ssc_twice},
    {"SuperSpeed: bMaxBurst 16", K_CONFIG, SS, ssc_burst_16},
    {"SuperSpeed: bulk MaxStreams 17", K_CONFIG, SS, ssc_streams_17},
    {"SuperSpeed: isochronous Mult 3", K_CONFIG, SS, ssc_isoch_mult_3},
    {"SuperSpeed: control endpoint with bMaxBurst 1", K_CONFIG, SS, ssc_control_burst},
    {"companion at high speed", K_CONFIG, HS, ssc_below_ss},
    {"companion at full speed", K_CONFIG, FS, ssc_below_ss},
    /* strings */
    {"string bLength odd", K_STRING, FS, str_odd},
    {"string 0 without any LANGID", K_LANGID, FS, langid_none},
    {"string 0 bLength odd", K_LANGID, FS, langid_odd},
};

#define BAD_CASES (sizeof bad_cases / sizeof bad_cases[0])

/* Criterion may run each case in a fresh process image: parameters are indices. */
ParameterizedTestParameters(usb_parse, each_clause_refuses_where_it_breaks)
{
    static size_t idx[BAD_CASES];
    for (size_t i = 0; i < BAD_CASES; i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, BAD_CASES);
}

ParameterizedTest(size_t *i, usb_parse, each_clause_refuses_where_it_breaks)
{
    const struct bad_case *bc = &bad_cases[*i];
    static struct fx f;
    build(&f, bc->kind, bc->speed);
    struct usb_parse_problem p;
    memset(&p, 0, sizeof p);
    cr_assert_eq(parse(&f, bc->kind, f.c.b, &p), IOSIM_OK, "%s: the unbroken input fails: %s",
                 bc->clause, p.what);
    size_t want = bc->breaks(&f);
    memset(&p, 0x55, sizeof p);
    cr_assert_eq(parse(&f, bc->kind, f.c.b, &p), IOSIM_EPROTO, "%s: accepted", bc->clause);
    cr_expect_eq(p.offset, want, "%s: offset %u, expected %zu (%s)", bc->clause, p.offset, want,
                 p.what);
    expect_problem_sane(&p, f.len, bc->clause);
    cr_log_info("%-56s @%-3u %s", bc->clause, p.offset, p.what);
    /* without a problem to fill, the same answer */
    cr_expect_eq(parse(&f, bc->kind, f.c.b, NULL), IOSIM_EPROTO, "%s: p NULL", bc->clause);
}

/* ---- 1b. the unbroken fixtures, every field ----------------------------------------------- */

Test(usb_parse, the_gadget_parses_with_every_field_at_each_speed)
{
    static struct fx f;
    const char *names[4] = {"low speed", "full speed", "high speed", "SuperSpeed"};
    for (unsigned s = LS; s <= SS; s++) {
        build_gadget(&f, (enum usb_parse_speed)s);
        struct usb_config_info got, want;
        struct usb_parse_problem p = {0};
        cr_assert_eq(usb_parse_config(f.c.b, f.len, (enum usb_parse_speed)s, &got, &p), IOSIM_OK,
                     "%s: @%u %s", names[s], p.offset, p.what);
        gadget_want((enum usb_parse_speed)s, &want);
        expect_config_eq(&got, &want, names[s]);
        uint16_t total = 0;
        cr_assert_eq(usb_parse_config_total(f.c.b, USB_DT_CONFIG_BYTES, &total, &p), IOSIM_OK);
        cr_expect_eq(total, want.total_length, "%s: the header alone gives the total", names[s]);
    }
}

Test(usb_parse, device_descriptors_parse_with_every_field_at_each_speed)
{
    static struct fx f;
    static const uint32_t mps0[4] = {8, 64, 64, 512};
    for (unsigned s = LS; s <= SS; s++) {
        build_device(&f, (enum usb_parse_speed)s);
        struct usb_device_info d;
        struct usb_parse_problem p = {0};
        cr_assert_eq(usb_parse_device(f.c.b, f.len, (enum usb_parse_speed)s, &d, &p), IOSIM_OK,
                     "speed %u: %s", s, p.what);
        cr_expect_eq(d.bcd_usb, s == SS ? 0x0300 : 0x0200);
        cr_expect_eq(d.vendor, 0x0525);
        cr_expect_eq(d.product, 0xa4a0);
        cr_expect_eq(d.bcd_device, 0x0317);
        cr_expect_eq(d.cls, 0xff);
        cr_expect_eq(d.subclass, 0);
        cr_expect_eq(d.protocol, 0);
        cr_expect_eq(d.max_packet0, mps0[s], "speed %u: max_packet0 %u", s, d.max_packet0);
        cr_expect_eq(d.num_configs, 1);
        cr_expect_eq(d.i_manufacturer, 1);
        cr_expect_eq(d.i_product, 2);
        cr_expect_eq(d.i_serial, 3);
    }
}

Test(usb_parse, every_full_speed_max_packet0_is_accepted)
{
    static struct fx f;
    for (uint32_t v = 8; v <= 64; v *= 2) {
        build_device(&f, FS);
        f.c.b[USB_DEV_MAX_PACKET0] = (uint8_t)v;
        struct usb_device_info d;
        cr_assert_eq(usb_parse_device(f.c.b, f.len, FS, &d, NULL), IOSIM_OK, "%u", v);
        cr_expect_eq(d.max_packet0, v);
    }
}

Test(usb_parse, strings_become_printable_ascii_cut_to_cap)
{
    static struct fx f;
    build_string(&f);
    char s[16];
    cr_assert_eq(usb_parse_string(f.c.b, f.len, s, sizeof s, NULL), IOSIM_OK);
    cr_expect_str_eq(s, "Gadget");
    memset(s, 'x', sizeof s);
    cr_assert_eq(usb_parse_string(f.c.b, f.len, s, 4, NULL), IOSIM_OK);
    cr_expect_str_eq(s, "Gad", "3 characters and the NUL");
    cr_expect_eq(s[4], 'x', "nothing written past cap");
    cr_assert_eq(usb_parse_string(f.c.b, f.len, s, 1, NULL), IOSIM_OK);
    cr_expect_str_eq(s, "");
    /* u with umlaut, a control character, a surrogate pair (U+1F600), DEL */
    const uint8_t odd[] = {14, USB_DT_STRING, 0xfc, 0x00, 0x07, 0x00, 'o', 0,
                           0x3d, 0xd8, 0x00, 0xde, 0x7f, 0x00};
    cr_assert_eq(usb_parse_string(odd, sizeof odd, s, sizeof s, NULL), IOSIM_OK);
    cr_expect_str_eq(s, "??o???");
    const uint8_t empty[] = {2, USB_DT_STRING};
    cr_assert_eq(usb_parse_string(empty, sizeof empty, s, sizeof s, NULL), IOSIM_OK);
    cr_expect_str_eq(s, "");
}

Test(usb_parse, string_0_gives_its_first_langid)
{
    static struct fx f;
    build_langids(&f);
    uint16_t id = 0;
    cr_assert_eq(usb_parse_langid(f.c.b, f.len, &id, NULL), IOSIM_OK);
    cr_expect_eq(id, 0x0409);
}

Test(usb_parse, bytes_after_the_descriptor_are_not_needed)
{
    /* the device and the header are read up to their bLength, nothing after */
    static struct fx f;
    build_device(&f, HS);
    struct usb_device_info d;
    cr_expect_eq(usb_parse_device(f.c.b, 18, HS, &d, NULL), IOSIM_OK);
    build_gadget(&f, HS);
    uint16_t total;
    cr_expect_eq(usb_parse_config_total(f.c.b, 9, &total, NULL), IOSIM_OK);
    cr_expect_eq(total, 85);
}

Test(usb_parse, messages_name_the_endpoint_and_the_value)
{
    static struct fx f;
    build_gadget(&f, HS);
    mps_0(&f);
    struct usb_config_info c;
    struct usb_parse_problem p;
    cr_assert_eq(usb_parse_config(f.c.b, f.len, HS, &c, &p), IOSIM_EPROTO);
    cr_expect_str_eq(p.what, "endpoint 0x81: wMaxPacketSize 0");
    build_gadget(&f, FS);
    mps_fs_bulk_12(&f);
    cr_assert_eq(usb_parse_config(f.c.b, f.len, FS, &c, &p), IOSIM_EPROTO);
    cr_expect_str_eq(p.what, "endpoint 0x81: wMaxPacketSize 12 (full-speed bulk: 8, 16, 32, 64)");
    build_gadget(&f, HS);
    cfg_truncated_fetch(&f);
    cr_assert_eq(usb_parse_config(f.c.b, f.len, HS, &c, &p), IOSIM_EPROTO);
    cr_expect_str_eq(p.what, "wTotalLength 85 but 9 bytes fetched (truncated)");
    build_gadget(&f, HS);
    cfg_total_lies(&f);
    cr_assert_eq(usb_parse_config(f.c.b, f.len, HS, &c, &p), IOSIM_EPROTO);
    cr_expect_str_eq(p.what, "wTotalLength 78 but 85 bytes returned (total lies)");
}

Test(usb_parse, nothing_is_written_on_error)
{
    static struct fx f;
    build_gadget(&f, HS);
    mps_hs_bulk_256(&f);
    struct usb_config_info c;
    memset(&c, 0x5a, sizeof c);
    struct usb_config_info before = c;
    cr_assert_eq(usb_parse_config(f.c.b, f.len, HS, &c, NULL), IOSIM_EPROTO);
    cr_expect_eq(memcmp(&c, &before, sizeof c), 0, "config written on error");
    build_string(&f);
    str_odd(&f);
    char s[8] = "keep";
    cr_assert_eq(usb_parse_string(f.c.b, f.len, s, sizeof s, NULL), IOSIM_EPROTO);
    cr_expect_str_eq(s, "keep");
    build_device(&f, HS);
    dev_no_configs(&f);
    struct usb_device_info d, d0;
    memset(&d, 0x5a, sizeof d);
    d0 = d;
    cr_assert_eq(usb_parse_device(f.c.b, f.len, HS, &d, NULL), IOSIM_EPROTO);
    cr_expect_eq(memcmp(&d, &d0, sizeof d), 0, "device written on error");
}

Test(usb_parse, misuse_is_einval_not_eproto)
{
    static struct fx f;
    build_gadget(&f, HS);
    struct usb_config_info c;
    struct usb_device_info d;
    uint16_t u;
    char s[4];
    cr_expect_eq(usb_parse_config(NULL, 9, HS, &c, NULL), IOSIM_EINVAL);
    cr_expect_eq(usb_parse_config(f.c.b, f.len, HS, NULL, NULL), IOSIM_EINVAL);
    cr_expect_eq(usb_parse_config(f.c.b, f.len, (enum usb_parse_speed)4, &c, NULL), IOSIM_EINVAL);
    cr_expect_eq(usb_parse_device(f.c.b, f.len, (enum usb_parse_speed)9, &d, NULL), IOSIM_EINVAL);
    cr_expect_eq(usb_parse_device(f.c.b, f.len, HS, NULL, NULL), IOSIM_EINVAL);
    cr_expect_eq(usb_parse_config_total(f.c.b, f.len, NULL, NULL), IOSIM_EINVAL);
    cr_expect_eq(usb_parse_string(f.c.b, f.len, s, 0, NULL), IOSIM_EINVAL);
    cr_expect_eq(usb_parse_string(f.c.b, f.len, NULL, 4, NULL), IOSIM_EINVAL);
    cr_expect_eq(usb_parse_langid(NULL, 4, &u, NULL), IOSIM_EINVAL);
    /* nothing fetched at all is the device's fault */
    cr_expect_eq(usb_parse_config(NULL, 0, HS, &c, NULL), IOSIM_EPROTO);
    cr_expect_eq(usb_parse_device(NULL, 0, HS, &d, NULL), IOSIM_EPROTO);
}

Test(usb_parse, edges_of_the_ranges_are_accepted)
{
    static struct fx f;
    struct usb_config_info c;
    struct usb_parse_problem p = {0};
    build_gadget(&f, FS);
    iv(&f, f.ep_int, 255);          /* full-speed interrupt: 255 frames */
    cr_expect_eq(usb_parse_config(f.c.b, f.len, FS, &c, &p), IOSIM_OK, "%s", p.what);
    build_gadget(&f, FS);
    iv(&f, f.ep_iso, 16);
    mps(&f, f.ep_int, 1);
    cr_expect_eq(usb_parse_config(f.c.b, f.len, FS, &c, &p), IOSIM_OK, "%s", p.what);
    build_gadget(&f, HS);
    iv(&f, f.ep_int, 16);
    mps(&f, f.ep_int, 0x1400);      /* 1024, 2 extra transactions */
    cr_expect_eq(usb_parse_config(f.c.b, f.len, HS, &c, &p), IOSIM_OK, "%s", p.what);
    cr_expect_eq(c.iface[0].ep[2].mult, 2);
    cr_expect_eq(c.iface[0].ep[2].max_packet, 1024);
    build_gadget(&f, SS);
    poke8(&f, f.ssc_in + USB_SSC_ATTRIBUTES, 16);
    poke8(&f, f.ssc_iso + USB_SSC_ATTRIBUTES, 2);
    cr_expect_eq(usb_parse_config(f.c.b, f.len, SS, &c, &p), IOSIM_OK, "%s", p.what);
    cr_expect_eq(c.iface[0].ep[0].max_streams_log2, 16);
    cr_expect_eq(c.iface[1].ep[0].mult, 2);
    build_gadget(&f, HS);
    poke8(&f, f.if0 + USB_IF_NUM_ENDPOINTS, 0);  /* the alternate setting needs none */
    cb_cut(&f.c, f.ep_in, f.alt1 - f.ep_in);
    f.len = f.c.n;
    cr_expect_eq(usb_parse_config(f.c.b, f.len, HS, &c, &p), IOSIM_OK, "%s", p.what);
    cr_expect_eq(c.iface[0].num_eps, 0);
}

/* ---- 2. gadget zero, as sent on the wire -------------------------------------------------- */

/* vendor interface: bulk IN 0x81, bulk OUT 0x01, interrupt IN 0x83 */
static const uint8_t gz_fs[] = {
    9, 2, 39, 0, 1, 1, 0, 0x80, 50,     /* configuration 1, 39 bytes, 1 interface, 100 mA */
    9, 4, 0, 0, 3, 0xff, 0, 0, 0,       /* interface 0, vendor, 3 endpoints */
    7, 5, 0x81, 2, 64, 0, 0,            /* bulk IN 64 */
    7, 5, 0x01, 2, 64, 0, 0,            /* bulk OUT 64 */
    7, 5, 0x83, 3, 16, 0, 10,           /* interrupt IN 16, every 10 frames */
};
static const uint8_t gz_hs[] = {
    9, 2, 39, 0, 1, 1, 0, 0x80, 50,
    9, 4, 0, 0, 3, 0xff, 0, 0, 0,
    7, 5, 0x81, 2, 0x00, 0x02, 0,       /* bulk IN 512 */
    7, 5, 0x01, 2, 0x00, 0x02, 1,       /* bulk OUT 512, NAK rate 1 */
    7, 5, 0x83, 3, 64, 0, 4,            /* interrupt IN 64, every 2^3 microframes */
};
static const uint8_t gz_ss[] = {
    9, 2, 57, 0, 1, 1, 0, 0x80, 12,     /* 96 mA at 8 mA a unit */
    9, 4, 0, 0, 3, 0xff, 0, 0, 0,
    7, 5, 0x81, 2, 0x00, 0x04, 0,       /* bulk IN 1024 */
    6, 0x30, 15, 0, 0, 0,               /* bursts of 16 */
    7, 5, 0x01, 2, 0x00, 0x04, 0,       /* bulk OUT 1024 */
    6, 0x30, 15, 0, 0, 0,
    7, 5, 0x83, 3, 64, 0, 4,            /* interrupt IN 64 */
    6, 0x30, 0, 0, 64, 0,               /* 64 bytes an interval */
};

static void check_gadget_zero(const uint8_t *bytes, size_t n, enum usb_parse_speed s,
                              const struct usb_config_info *want)
{
    uint8_t *buf = malloc(n);
    cr_assert_not_null(buf);
    memcpy(buf, bytes, n);
    struct usb_config_info got;
    struct usb_parse_problem p = {0};
    enum iosim_err e = usb_parse_config(buf, n, s, &got, &p);
    free(buf);
    cr_assert_eq(e, IOSIM_OK, "@%u %s", p.offset, p.what);
    expect_config_eq(&got, want, "gadget zero");
}

Test(usb_parse, gadget_zero_at_full_speed_parses_to_the_expected_struct)
{
    const struct usb_config_info want = {
        .total_length = 39, .num_interfaces = 1, .value = 1, .attributes = 0x80,
        .max_power = 50, .iface_count = 1, .skipped = 0,
        .iface = {{.number = 0, .cls = 0xff, .num_eps = 3,
                   .ep = {{.address = 0x81, .xfer = 2, .max_packet = 64},
                          {.address = 0x01, .xfer = 2, .max_packet = 64},
                          {.address = 0x83, .xfer = 3, .max_packet = 16, .interval = 10}}}},
    };
    check_gadget_zero(gz_fs, sizeof gz_fs, FS, &want);
}

Test(usb_parse, gadget_zero_at_high_speed_parses_to_the_expected_struct)
{
    const struct usb_config_info want = {
        .total_length = 39, .num_interfaces = 1, .value = 1, .attributes = 0x80,
        .max_power = 50, .iface_count = 1, .skipped = 0,
        .iface = {{.number = 0, .cls = 0xff, .num_eps = 3,
                   .ep = {{.address = 0x81, .xfer = 2, .max_packet = 512},
                          {.address = 0x01, .xfer = 2, .max_packet = 512, .interval = 1},
                          {.address = 0x83, .xfer = 3, .max_packet = 64, .interval = 4}}}},
    };
    check_gadget_zero(gz_hs, sizeof gz_hs, HS, &want);
}

Test(usb_parse, gadget_zero_at_superspeed_parses_to_the_expected_struct)
{
    const struct usb_config_info want = {
        .total_length = 57, .num_interfaces = 1, .value = 1, .attributes = 0x80,
        .max_power = 12, .iface_count = 1, .skipped = 0,
        .iface = {{.number = 0, .cls = 0xff, .num_eps = 3,
                   .ep = {{.address = 0x81, .xfer = 2, .max_packet = 1024, .max_burst = 15},
                          {.address = 0x01, .xfer = 2, .max_packet = 1024, .max_burst = 15},
                          {.address = 0x83, .xfer = 3, .max_packet = 64, .interval = 4,
                           .bytes_per_interval = 64}}}},
    };
    check_gadget_zero(gz_ss, sizeof gz_ss, SS, &want);
}

Test(usb_parse, gadget_zero_is_refused_at_the_wrong_speed)
{
    struct usb_config_info c;
    struct usb_parse_problem p;
    cr_expect_eq(usb_parse_config(gz_hs, sizeof gz_hs, FS, &c, &p), IOSIM_EPROTO);
    cr_expect_eq(p.offset, 18 + USB_EP_MAX_PACKET, "512 is no full-speed bulk size");
    cr_expect_eq(usb_parse_config(gz_fs, sizeof gz_fs, HS, &c, &p), IOSIM_EPROTO);
    cr_expect_eq(p.offset, 18 + USB_EP_MAX_PACKET, "64 is no high-speed bulk size");
    cr_expect_eq(usb_parse_config(gz_ss, sizeof gz_ss, HS, &c, &p), IOSIM_EPROTO);
    cr_expect_eq(p.offset, 18 + USB_EP_MAX_PACKET, "1024 is no high-speed bulk size either");
    cr_expect_eq(usb_parse_config(gz_hs, sizeof gz_hs, SS, &c, &p), IOSIM_EPROTO);
    cr_expect_eq(p.offset, 18 + USB_EP_MAX_PACKET, "512 is no SuperSpeed bulk size");
}

/* ---- 3. model-based: random valid configurations ------------------------------------------ */


static uint32_t between(uint64_t *s, uint32_t lo, uint32_t hi)
{
    return lo + below(s, hi - lo + 1);
}

static bool one_in(uint64_t *s, uint32_t n)
{
    return below(s, n) == 0;
}

/* 0..2 descriptors the parser steps over: class-specific, IADs, vendor, unknown; never an
 * interface, endpoint or companion (those are the walk's own). */
static uint32_t add_others(uint64_t *r, struct cb *c)
{
    static const uint8_t types[] = {0x21, 0x24, 0x25, 0x0b, 0x08, 0xff, 0x41, 0x02, 0x01, 0x0f};
    uint32_t k = one_in(r, 2) ? 0 : between(r, 1, 2);
    for (uint32_t i = 0; i < k; i++)
        add_other(c, types[below(r, sizeof types)], (uint8_t)between(r, 2, 24));
    return k;
}

/* A free (number, direction) slot for an endpoint of type xfer, or false. A control
 * endpoint takes both directions of its number. */
static bool pick_address(uint64_t *r, uint32_t *used, uint8_t *xfer, uint8_t *addr)
{
    uint32_t free_slots[32], n = 0;
    for (uint32_t slot = 2; slot < 32; slot++)
        if (!(*used & (1u << slot)))
            free_slots[n++] = slot;
    if (n == 0)
        return false;
    uint32_t slot = free_slots[below(r, n)], num = slot / 2;
    if (*xfer == USB_EP_XFER_CONTROL && (*used & (3u << 2 * num)) != 0)
        *xfer = USB_EP_XFER_INTERRUPT;
    *used |= *xfer == USB_EP_XFER_CONTROL ? 3u << 2 * num : 1u << slot;
    *addr = (uint8_t)(num | ((slot & 1) ? USB_EP_ADDR_DIR_IN : 0));
    return true;
}

static uint8_t random_xfer(uint64_t *r, enum usb_parse_speed s)
{
    if (one_in(r, 16))
        return USB_EP_XFER_CONTROL;
    if (s == LS)
        return USB_EP_XFER_INTERRUPT;
    return (uint8_t)between(r, USB_EP_XFER_ISOCH, USB_EP_XFER_INTERRUPT);
}

/* wMaxPacketSize and its size and mult, by the speed's rules. */
static uint16_t random_mps(uint64_t *r, enum usb_parse_speed s, uint8_t xfer,
                           struct usb_endpoint_info *m)
{
    static const uint16_t control[4] = {8, 0, 64, 512};
    uint16_t size;
    m->mult = 0;
    if (xfer == USB_EP_XFER_CONTROL && s != FS)
        size = control[s];
    else if ((xfer == USB_EP_XFER_CONTROL || xfer == USB_EP_XFER_BULK) && s == FS)
        size = (uint16_t)(8u << below(r, 4));
    else if (xfer == USB_EP_XFER_BULK)
        size = bulk_mps[s];
    else if (s == LS)
        size = (uint16_t)between(r, 1, 8);
    else if (s == FS)
        size = (uint16_t)between(r, 1, xfer == USB_EP_XFER_ISOCH ? 1023 : 64);
    else
        size = (uint16_t)between(r, 1, 1024);
    if (s == HS && (xfer == USB_EP_XFER_ISOCH || xfer == USB_EP_XFER_INTERRUPT))
        m->mult = (uint8_t)below(r, 3);
    m->max_packet = size;
    return (uint16_t)(size | m->mult << USB_EP_MPS_MULT_SHIFT);
}

static uint8_t random_interval(uint64_t *r, enum usb_parse_speed s, uint8_t xfer)
{
    if (xfer == USB_EP_XFER_CONTROL || xfer == USB_EP_XFER_BULK)
        return (uint8_t)below(r, 256); /* NAK rate or unused: anything goes */
    if (s <= FS && xfer == USB_EP_XFER_INTERRUPT)
        return (uint8_t)between(r, 1, 255);
    return (uint8_t)between(r, 1, 16);
}

/* The companion, and what of it the model keeps. */
static void random_companion(uint64_t *r, struct cb *c, struct usb_endpoint_info *m)
{
    uint8_t burst = m->xfer == USB_EP_XFER_CONTROL ? 0 : (uint8_t)below(r, 16);
    uint8_t attrs = 0;
    uint16_t bpi = (uint16_t)below(r, 0x10000);
    if (m->xfer == USB_EP_XFER_BULK) {
        m->max_streams_log2 = (uint8_t)below(r, 17);
        attrs = m->max_streams_log2;
    } else if (m->xfer == USB_EP_XFER_ISOCH) {
        m->mult = (uint8_t)below(r, 3);
        attrs = m->mult;
    }
    m->max_burst = burst;
    m->bytes_per_interval = (m->xfer == USB_EP_XFER_ISOCH || m->xfer == USB_EP_XFER_INTERRUPT)
                                ? bpi : 0;
    add_ssc(c, burst, attrs, bpi);
}

static bool random_endpoint(uint64_t *r, enum usb_parse_speed s, struct cb *c, uint32_t *used,
                            struct usb_endpoint_info *m)
{
    memset(m, 0, sizeof *m);
    uint8_t xfer = random_xfer(r, s);
    if (!pick_address(r, used, &xfer, &m->address))
        return false;
    m->xfer = xfer;
    uint16_t raw = random_mps(r, s, xfer, m);
    m->interval = random_interval(r, s, xfer);
    /* bits 7:2 of bmAttributes (sync, usage, reserved) are not the parser's business */
    uint8_t attrs = (uint8_t)(xfer | (below(r, 64) << 2));
    add_ep_pad(c, m->address, attrs, raw, m->interval, one_in(r, 6) ? 2 : 0);
    if (s == SS)
        random_companion(r, c, m);
    return true;
}

/* An alternate setting > 0: skipped whole, its endpoints' fields never read. */
static uint32_t random_alt(uint64_t *r, enum usb_parse_speed s, struct cb *c, uint8_t number)
{
    struct usb_interface_info alt = {.number = number, .alternate = (uint8_t)between(r, 1, 255),
                                     .cls = (uint8_t)below(r, 256)};
    uint8_t neps = (uint8_t)below(r, 5);
    uint32_t skipped = 1;
    add_iface_pad(c, &alt, neps, one_in(r, 8) ? 3 : 0);
    skipped += add_others(r, c);
    for (uint8_t j = 0; j < neps; j++) {
        add_ep(c, (uint8_t)below(r, 256), (uint8_t)below(r, 256), (uint16_t)below(r, 0x10000),
               (uint8_t)below(r, 256));
        skipped++;
        if (s == SS) {
            add_ssc(c, (uint8_t)below(r, 256), (uint8_t)below(r, 256), (uint16_t)below(r, 0x10000));
            skipped++;
        }
        skipped += add_others(r, c);
    }
    return skipped;
}

static void random_interface(uint64_t *r, enum usb_parse_speed s, struct cb *c, uint32_t *used,
                             struct usb_config_info *m, struct usb_interface_info *i)
{
    i->cls = (uint8_t)below(r, 256);
    i->subclass = (uint8_t)below(r, 256);
    i->protocol = (uint8_t)below(r, 256);
    i->i_interface = (uint8_t)below(r, 256);
    uint32_t want = one_in(r, 8) ? below(r, USB_PARSE_EPS_MAX + 1) : below(r, 5);
    struct cb eps = {.n = 0};
    while (i->num_eps < want && random_endpoint(r, s, &eps, used, &i->ep[i->num_eps])) {
        i->num_eps++;
        m->skipped += add_others(r, &eps);
    }
    add_iface_pad(c, i, i->num_eps, one_in(r, 8) ? 3 : 0);
    m->skipped += add_others(r, c);
    cb_append(c, &eps);
    for (uint32_t k = one_in(r, 3) ? between(r, 1, 2) : 0; k > 0; k--)
        m->skipped += random_alt(r, s, c, i->number);
}

/* A valid configuration for speed s and its model: what the parser must return. */
static void random_config(uint64_t *r, enum usb_parse_speed s, struct cb *c,
                          struct usb_config_info *m)
{
    memset(m, 0, sizeof *m);
    c->n = 0;
    c->descs = 0;
    m->num_interfaces = (uint8_t)between(r, 1, USB_PARSE_IFACES_MAX);
    m->iface_count = m->num_interfaces;
    m->value = (uint8_t)below(r, 256);
    m->i_configuration = (uint8_t)below(r, 256);
    m->attributes = (uint8_t)below(r, 256);
    m->max_power = (uint8_t)below(r, 256);
    add_config(c, m->num_interfaces, m->value, m->i_configuration, m->attributes, m->max_power);
    m->skipped += add_others(r, c);
    uint32_t used = 0;
    bool taken[256] = {false};
    for (unsigned k = 0; k < m->num_interfaces; k++) {
        struct usb_interface_info *i = &m->iface[k];
        do
            i->number = (uint8_t)(one_in(r, 4) ? below(r, 256) : below(r, 16));
        while (taken[i->number]);
        taken[i->number] = true;
        random_interface(r, s, c, &used, m, i);
    }
    end_config(c);
    m->total_length = (uint16_t)c->n;
}

static uint64_t seed_of(uint64_t base, uint32_t it)
{
    uint64_t s = base ^ ((uint64_t)it * 0xd1342543de82ef95ull);
    next_rand(&s);
    return s;
}

Test(usb_parse, random_valid_configurations_parse_to_their_model)
{
    static const uint64_t base = 0x5eed0001u;
    static struct cb c;
    static struct usb_config_info model, got;
    for (uint32_t it = 0; it < 2000; it++) {
        for (unsigned s = LS; s <= SS; s++) {
            uint64_t r = seed_of(base, it * 4 + s);
            random_config(&r, (enum usb_parse_speed)s, &c, &model);
            uint8_t *buf = malloc(c.n);
            cr_assert_not_null(buf);
            memcpy(buf, c.b, c.n);
            struct usb_parse_problem p = {0};
            enum iosim_err e = usb_parse_config(buf, c.n, (enum usb_parse_speed)s, &got, &p);
            free(buf);
            char ctx[96];
            snprintf(ctx, sizeof ctx, "seed 0x%llx iteration %u speed %u",
                     (unsigned long long)base, it, s);
            cr_assert_eq(e, IOSIM_OK, "%s: refused @%u: %s", ctx, p.offset, p.what);
            char why[160] = "";
            cr_assert(!config_differs(&got, &model, why, sizeof why), "%s: %s", ctx, why);
        }
    }
}

/* ---- 4. hostile: mutations of valid inputs ------------------------------------------------ */

/* A valid device descriptor for speed s, other fields random. */
static void random_device(uint64_t *r, enum usb_parse_speed s, struct cb *c)
{
    static const uint8_t mps0[4] = {8, 16, 64, 9};
    uint8_t d[18];
    for (unsigned k = 0; k < sizeof d; k++)
        d[k] = (uint8_t)below(r, 256);
    d[USB_DESC_LENGTH] = 18;
    d[USB_DESC_TYPE] = USB_DT_DEVICE;
    d[USB_DEV_MAX_PACKET0] = mps0[s];
    d[USB_DEV_NUM_CONFIGS] = (uint8_t)between(r, 1, 255);
    c->n = 0;
    c->descs = 0;
    put(c, d, sizeof d);
}

/* A valid string descriptor of up to 126 random code units. */
static void random_string(uint64_t *r, struct cb *c)
{
    uint8_t d[USB_STRING_MAX_BYTES];
    uint8_t units = (uint8_t)below(r, 127);
    d[USB_DESC_LENGTH] = (uint8_t)(USB_DESC_HEADER_BYTES + 2u * units);
    d[USB_DESC_TYPE] = USB_DT_STRING;
    for (unsigned k = 0; k < 2u * units; k++)
        d[USB_DESC_HEADER_BYTES + k] = one_in(r, 2) ? (uint8_t)between(r, 0x20, 0x7e)
                                                    : (uint8_t)below(r, 256);
    c->n = 0;
    c->descs = 0;
    put(c, d, d[USB_DESC_LENGTH]);
}

/* One mutation of what a device sends: a byte, a length, a total, a type, a cut. */
static void mutate(uint64_t *r, struct cb *c, size_t *len)
{
    size_t desc = c->descs ? c->at[below(r, c->descs)] : 0;
    switch (below(r, 7)) {
    case 0:                         /* any byte */
        if (*len > 0)
            c->b[below(r, (uint32_t)*len)] = (uint8_t)below(r, 256);
        break;
    case 1:                         /* one bit */
        if (*len > 0)
            c->b[below(r, (uint32_t)*len)] ^= (uint8_t)(1u << below(r, 8));
        break;
    case 2:                         /* a truncated fetch */
        *len = below(r, (uint32_t)*len + 1);
        break;
    case 3:                         /* cut, the total saying so (the walk then meets the cut) */
        *len = below(r, (uint32_t)*len + 1);
        if (*len >= 4)
            set16(c->b + USB_CFG_TOTAL_LENGTH, (uint32_t)*len);
        break;
    case 4:                         /* a random bLength */
        if (desc < *len)
            c->b[desc + USB_DESC_LENGTH] = (uint8_t)(one_in(r, 2) ? below(r, 256) : below(r, 12));
        break;
    case 5:                         /* a random total */
        if (*len >= 4)
            set16(c->b + USB_CFG_TOTAL_LENGTH, one_in(r, 2) ? below(r, 0x10000)
                                                            : (uint32_t)*len + below(r, 5) - 2);
        break;
    default: {                      /* a descriptor of another type */
        static const uint8_t types[] = {USB_DT_INTERFACE, USB_DT_ENDPOINT,
                                        USB_DT_SS_EP_COMPANION, USB_DT_CONFIG, USB_DT_DEVICE,
                                        USB_DT_STRING, 0x24};
        if (desc + 1 < *len)
            c->b[desc + USB_DESC_TYPE] = types[below(r, sizeof types)];
        break;
    }
    }
}

/* What usb_parse.h promises of a configuration it returns. */
static void check_config_invariants(const struct usb_config_info *c, size_t len,
                                    enum usb_parse_speed s, const char *ctx)
{
    cr_assert_eq(c->total_length, len, "%s: total %u for %zu bytes", ctx, c->total_length, len);
    cr_assert(c->num_interfaces >= 1 && c->num_interfaces <= USB_PARSE_IFACES_MAX, "%s", ctx);
    cr_assert_eq(c->iface_count, c->num_interfaces, "%s", ctx);
    cr_assert_leq(c->skipped, len / 2, "%s: %u skipped", ctx, c->skipped);
    uint32_t used = 0;
    for (unsigned i = 0; i < c->iface_count; i++) {
        const struct usb_interface_info *f = &c->iface[i];
        for (unsigned k = 0; k < i; k++)
            cr_assert_neq(c->iface[k].number, f->number, "%s: interface %u twice", ctx,
                          f->number);
        cr_assert_eq(f->alternate, 0, "%s", ctx);
        cr_assert_leq(f->num_eps, USB_PARSE_EPS_MAX, "%s", ctx);
        for (unsigned j = 0; j < f->num_eps; j++) {
            const struct usb_endpoint_info *e = &f->ep[j];
            unsigned num = e->address & USB_EP_ADDR_NUMBER_MASK;
            cr_assert(num >= 1 && (e->address & USB_EP_ADDR_RESERVED_MASK) == 0, "%s: %#x", ctx,
                      e->address);
            uint32_t slots = e->xfer == USB_EP_XFER_CONTROL ? 3u
                             : (e->address & USB_EP_ADDR_DIR_IN) ? 2u : 1u;
            slots <<= 2 * num;
            cr_assert_eq(used & slots, 0, "%s: endpoint %#x twice", ctx, e->address);
            used |= slots;
            cr_assert(e->max_packet >= 1 && e->max_packet <= 1024, "%s: mps %u", ctx,
                      e->max_packet);
            cr_assert_leq(e->xfer, USB_EP_XFER_INTERRUPT, "%s", ctx);
            cr_assert_leq(e->mult, 2, "%s", ctx);
            cr_assert_leq(e->max_burst, 15, "%s", ctx);
            cr_assert_leq(e->max_streams_log2, 16, "%s", ctx);
            if (s != SS)
                cr_assert(e->max_burst == 0 && e->max_streams_log2 == 0 &&
                          e->bytes_per_interval == 0, "%s: companion fields below SS", ctx);
        }
    }
}

/* Parse len bytes of c as `kind` from an exactly-sized heap copy, so that AddressSanitizer
 * catches a read one byte past the end; OK or EPROTO, and either one sane. */
static enum iosim_err parse_hostile(const struct cb *c, size_t len, unsigned kind,
                                    enum usb_parse_speed s, uint64_t *r, const char *ctx)
{
    uint8_t *buf = malloc(len ? len : 1);
    cr_assert_not_null(buf);
    memcpy(buf, c->b, len);
    struct usb_parse_problem p;
    memset(&p, 0x55, sizeof p);
    enum iosim_err e;
    static struct usb_config_info cfg;
    struct usb_device_info dev;
    uint16_t u16;
    if (kind == 0) {
        e = usb_parse_config(buf, len, s, &cfg, &p);
        if (e == IOSIM_OK)
            check_config_invariants(&cfg, len, s, ctx);
    } else if (kind == 1) {
        e = usb_parse_device(buf, len, s, &dev, &p);
        if (e == IOSIM_OK)
            cr_assert(dev.num_configs > 0 && (dev.max_packet0 == 512 ||
                      (dev.max_packet0 >= 8 && dev.max_packet0 <= 64)), "%s", ctx);
    } else if (kind == 2) {
        size_t cap = between(r, 1, 40);
        char *out = malloc(cap);
        cr_assert_not_null(out);
        e = usb_parse_string(buf, len, out, cap, &p);
        if (e == IOSIM_OK) {
            size_t n = strnlen(out, cap);
            cr_assert_lt(n, cap, "%s: not terminated", ctx);
            for (size_t k = 0; k < n; k++)
                cr_assert(out[k] >= 0x20 && out[k] <= 0x7e, "%s: %#x", ctx, out[k]);
        }
        free(out);
    } else if (kind == 3) {
        e = usb_parse_langid(buf, len, &u16, &p);
    } else {
        e = usb_parse_config_total(buf, len, &u16, &p);
        if (e == IOSIM_OK)
            cr_assert_geq(u16, USB_DT_CONFIG_BYTES, "%s", ctx);
    }
    free(buf);
    cr_assert(e == IOSIM_OK || e == IOSIM_EPROTO, "%s: %s", ctx, iosim_err_name(e));
    if (e == IOSIM_EPROTO) {
        cr_assert_leq(p.offset, len, "%s: offset %u of %zu", ctx, p.offset, len);
        cr_assert_neq(p.what[0], '\0', "%s", ctx);
        cr_assert_neq(memchr(p.what, '\0', sizeof p.what), NULL, "%s", ctx);
        cr_assert_null(strchr(p.what, '%'), "%s: %s", ctx, p.what);
    }
    return e;
}

Test(usb_parse, hostile_mutations_are_refused_or_parse_to_a_consistent_result)
{
    static const uint64_t base = 0xbad5eedu;
    static struct cb c;
    static struct usb_config_info model;
    uint32_t refused = 0, accepted = 0;
    for (uint32_t it = 0; it < 20000; it++) {
        uint64_t r = seed_of(base, it);
        enum usb_parse_speed s = (enum usb_parse_speed)below(&r, 4);
        unsigned kind = below(&r, 8);   /* 0..3 configurations, then the others */
        kind = kind < 4 ? 0 : kind - 3; /* 0 config, 1 device, 2 string, 3 langid, 4 total */
        if (kind == 0 || kind == 4)
            random_config(&r, s, &c, &model);
        else if (kind == 1)
            random_device(&r, s, &c);
        else
            random_string(&r, &c);
        size_t len = c.n;
        for (uint32_t m = between(&r, 1, 3); m > 0; m--)
            mutate(&r, &c, &len);
        if (one_in(&r, 4))
            s = (enum usb_parse_speed)below(&r, 4);  /* and sometimes the wrong speed */
        char ctx[96];
        snprintf(ctx, sizeof ctx, "seed 0x%llx iteration %u kind %u speed %u",
                 (unsigned long long)base, it, kind, (unsigned)s);
        enum iosim_err e = parse_hostile(&c, len, kind, s, &r, ctx);
        if (kind == 0 && e == IOSIM_OK)
            accepted++;
        else if (kind == 0)
            refused++;
    }
    cr_log_info("hostile: %u configurations refused, %u accepted", refused, accepted);
    cr_expect_gt(refused, 1000, "mutations break configurations");
    cr_expect_gt(accepted, 100, "some mutations keep a configuration valid (bytes not read)");
}

Test(usb_parse, every_truncation_of_a_valid_configuration_is_handled)
{
    static const uint64_t base = 0x7a11u;
    static struct cb c, cut;
    static struct usb_config_info model;
    for (uint32_t it = 0; it < 200; it++) {
        uint64_t r = seed_of(base, it);
        enum usb_parse_speed s = (enum usb_parse_speed)(it % 4);
        random_config(&r, s, &c, &model);
        for (size_t len = 0; len <= c.n; len++) {
            char ctx[96];
            snprintf(ctx, sizeof ctx, "seed 0x%llx iteration %u length %zu of %zu",
                     (unsigned long long)base, it, len, c.n);
            /* as fetched: only the whole configuration matches its total */
            enum iosim_err e = parse_hostile(&c, len, 0, s, &r, ctx);
            cr_assert_eq(e == IOSIM_OK, len == c.n, "%s: %s", ctx, iosim_err_name(e));
            /* with the total rewritten to the cut: the walk itself meets the end */
            cut = c;
            if (len >= 4)
                set16(cut.b + USB_CFG_TOTAL_LENGTH, (uint32_t)len);
            parse_hostile(&cut, len, 0, s, &r, ctx);
            parse_hostile(&c, len, 4, s, &r, ctx);
        }
    }
}
