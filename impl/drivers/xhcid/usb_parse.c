/* xhcid's USB descriptor parser; see usb_parse.h. */
#include "impl/drivers/xhcid/usb_parse.h"

#include <stdbool.h>
#include <string.h>

#include "impl/port/spec/usb_ch9.h"
#include "impl/util/strbuf.h"

/* Every offset is reported as uint32_t; a configuration is at most 0xffff bytes
 * (wTotalLength must equal len) and other descriptors at most 0xff. */
_Static_assert(USB_PARSE_IFACES_MAX <= 0xff && USB_PARSE_EPS_MAX <= 0xff, "counts are bytes");
/* Endpoint (number, direction) slots fit one bit each in a uint32_t. */
_Static_assert(2u * (USB_EP_NUMBER_MAX + 1u) <= 32u, "endpoint slots fit 32 bits");

static uint16_t rd16(const uint8_t *b)
{
    return (uint16_t)(b[0] | (unsigned)b[1] << 8);
}

/* ---- problems --------------------------------------------------------------------------- */

/* EPROTO, with *p (if any) at `off` and `fmt` spelled out (impl/ code
 * may not print: impl/util/strbuf): %s takes s, %u and %x (decimal, 0x and
 * at least two hex digits, as bytes are written in the spec) take a then b.
 * The sentence is cut at USB_PARSE_WHAT_BYTES - 1 characters. */
static enum iosim_err fail_s(struct usb_parse_problem *p, size_t off, const char *fmt,
                             const char *s, uint32_t a, uint32_t b)
{
    if (p == NULL)
        return IOSIM_EPROTO;
    struct strbuf w;
    strbuf_init(&w, p->what, sizeof p->what);
    const uint32_t args[2] = {a, b};
    unsigned next = 0;
    for (; *fmt != '\0'; fmt++) {
        if (fmt[0] != '%' || fmt[1] == '\0') {
            strbuf_putn(&w, fmt, 1);
            continue;
        }
        fmt++;
        if (*fmt == 's') {
            strbuf_put(&w, s);
        } else if (*fmt == 'x' && next < 2) {
            strbuf_put(&w, "0x");
            strbuf_hex(&w, args[next++], 2);
        } else if (next < 2) {
            strbuf_dec(&w, args[next++]);
        }
    }
    p->offset = (uint32_t)off;
    return IOSIM_EPROTO;
}

static enum iosim_err fail(struct usb_parse_problem *p, size_t off, const char *fmt, uint32_t a,
                           uint32_t b)
{
    return fail_s(p, off, fmt, "", a, b);
}

/* ---- common ----------------------------------------------------------------------------- */

static bool speed_ok(enum usb_parse_speed s)
{
    return (unsigned)s <= (unsigned)USB_PARSE_SUPER;
}

static bool pow2_within(uint32_t v, uint32_t lo, uint32_t hi)
{
    return v >= lo && v <= hi && (v & (v - 1u)) == 0;
}

/* The descriptor at `off` has a header inside the buffer and a bLength that advances
 * (0 or 1 would loop forever or split a header) without running past the end. */
static enum iosim_err desc_at(const uint8_t *buf, size_t len, size_t off,
                              struct usb_parse_problem *p)
{
    if (len - off < USB_DESC_HEADER_BYTES)
        return fail(p, off, "%u byte(s) left, less than a descriptor header", (uint32_t)(len - off),
                    0);
    uint8_t bl = buf[off + USB_DESC_LENGTH];
    if (bl < USB_DESC_HEADER_BYTES)
        return fail(p, off, "bLength %u, less than a descriptor header", bl, 0);
    if (bl > len - off)
        return fail(p, off, "bLength %u runs past the end: %u byte(s) left (truncated)", bl,
                    (uint32_t)(len - off));
    return IOSIM_OK;
}

/* desc_at at offset 0, of the one type required there, at least `min` bytes long. */
static enum iosim_err desc_first(const uint8_t *buf, size_t len, uint8_t type, uint8_t min,
                                 const char *name, struct usb_parse_problem *p)
{
    enum iosim_err e = desc_at(buf, len, 0, p);
    if (e != IOSIM_OK)
        return e;
    if (buf[USB_DESC_TYPE] != type)
        return fail_s(p, USB_DESC_TYPE, "bDescriptorType %x, not a %s descriptor",
                      name, buf[USB_DESC_TYPE], 0);
    if (buf[USB_DESC_LENGTH] < min)
        return fail_s(p, USB_DESC_LENGTH, "%s descriptor bLength %u, less than %u", name,
                      buf[USB_DESC_LENGTH], min);
    return IOSIM_OK;
}

static bool args_ok(const uint8_t *buf, size_t len, const void *out)
{
    return out != NULL && (buf != NULL || len == 0);
}

/* ---- device ----------------------------------------------------------------------------- */

static const char *const max_packet0_text[4] = {
    [USB_PARSE_LOW] = "low speed: 8",
    [USB_PARSE_FULL] = "full speed: 8, 16, 32, 64",
    [USB_PARSE_HIGH] = "high speed: 64",
    [USB_PARSE_SUPER] = "SuperSpeed: 9, for 512",
};

/* bMaxPacketSize0 per speed [USB2 5.5.3]: low speed 8; full speed 8, 16, 32 or 64; high
 * speed 64; SuperSpeed an exponent, 9 for 512 [USB32 9.6.1]. */
static enum iosim_err max_packet0(uint8_t v, enum usb_parse_speed speed, uint32_t *bytes,
                                  struct usb_parse_problem *p)
{
    bool ok = false;
    *bytes = v;
    switch (speed) {
    case USB_PARSE_LOW: ok = v == USB_LS_CONTROL_MPS; break;
    case USB_PARSE_FULL:
        ok = pow2_within(v, USB_FS_CONTROL_MPS_MIN, USB_FS_CONTROL_MPS_MAX);
        break;
    case USB_PARSE_HIGH: ok = v == USB_HS_CONTROL_MPS; break;
    case USB_PARSE_SUPER:
        ok = v == USB_SS_MAX_PACKET0_EXP;
        *bytes = 1u << USB_SS_MAX_PACKET0_EXP;
        break;
    }
    if (!ok)
        return fail_s(p, USB_DEV_MAX_PACKET0, "bMaxPacketSize0 %u (%s)", max_packet0_text[speed],
                      v, 0);
    return IOSIM_OK;
}

enum iosim_err usb_parse_device(const uint8_t *buf, size_t len, enum usb_parse_speed speed,
                                struct usb_device_info *out, struct usb_parse_problem *p)
{
    if (!args_ok(buf, len, out) || !speed_ok(speed))
        return IOSIM_EINVAL;
    enum iosim_err e = desc_first(buf, len, USB_DT_DEVICE, USB_DT_DEVICE_BYTES, "device", p);
    if (e != IOSIM_OK)
        return e;
    uint32_t mps0;
    e = max_packet0(buf[USB_DEV_MAX_PACKET0], speed, &mps0, p);
    if (e != IOSIM_OK)
        return e;
    if (buf[USB_DEV_NUM_CONFIGS] == 0)
        return fail(p, USB_DEV_NUM_CONFIGS, "bNumConfigurations 0", 0, 0);
    *out = (struct usb_device_info){
        .bcd_usb = rd16(buf + USB_DEV_BCD_USB),
        .vendor = rd16(buf + USB_DEV_VENDOR),
        .product = rd16(buf + USB_DEV_PRODUCT),
        .bcd_device = rd16(buf + USB_DEV_BCD_DEVICE),
        .cls = buf[USB_DEV_CLASS],
        .subclass = buf[USB_DEV_SUBCLASS],
        .protocol = buf[USB_DEV_PROTOCOL],
        .max_packet0 = mps0,
        .num_configs = buf[USB_DEV_NUM_CONFIGS],
        .i_manufacturer = buf[USB_DEV_MANUFACTURER],
        .i_product = buf[USB_DEV_PRODUCT_STRING],
        .i_serial = buf[USB_DEV_SERIAL],
    };
    return IOSIM_OK;
}

/* ---- configuration header ----------------------------------------------------------------- */

/* The 9-byte header [USB2 9.6.3]: wTotalLength covers at least the header itself. */
static enum iosim_err config_header(const uint8_t *buf, size_t len, uint16_t *total,
                                    struct usb_parse_problem *p)
{
    enum iosim_err e = desc_first(buf, len, USB_DT_CONFIG, USB_DT_CONFIG_BYTES, "configuration", p);
    if (e != IOSIM_OK)
        return e;
    *total = rd16(buf + USB_CFG_TOTAL_LENGTH);
    if (*total < buf[USB_DESC_LENGTH])
        return fail(p, USB_CFG_TOTAL_LENGTH, "wTotalLength %u, shorter than the header's %u bytes",
                    *total, buf[USB_DESC_LENGTH]);
    return IOSIM_OK;
}

enum iosim_err usb_parse_config_total(const uint8_t *buf, size_t len, uint16_t *total,
                                      struct usb_parse_problem *p)
{
    if (!args_ok(buf, len, total))
        return IOSIM_EINVAL;
    uint16_t t;
    enum iosim_err e = config_header(buf, len, &t, p);
    if (e == IOSIM_OK)
        *total = t;
    return e;
}

/* ---- configuration walk ------------------------------------------------------------------- */

/* The walk over what follows the header, one descriptor at a time. Each step
 * advances by a bLength of at least 2 that stays inside the buffer, so there are
 * at most len / 2 steps. */
struct walk {
    const uint8_t *buf;
    size_t len;
    enum usb_parse_speed speed;
    struct usb_parse_problem *p;
    struct usb_config_info *cfg;
    bool iface_open;                /* an interface descriptor has been seen */
    size_t iface_off;               /* of the open interface descriptor */
    struct usb_interface_info *iface; /* the open alternate setting 0, NULL in alt > 0 */
    uint8_t eps_declared, eps_found; /* of the open interface */
    bool want_companion;            /* SuperSpeed: the last descriptor was an endpoint */
    uint8_t want_addr;              /* its address, for the message */
    struct usb_endpoint_info *ep;   /* the last endpoint kept, NULL if skipped */
    uint32_t used;                  /* endpoint slots taken: bit 2 * number + (IN ? 1 : 0) */
};

/* A closing interface has as many endpoint descriptors as it said [USB2 9.6.5]. */
static enum iosim_err close_interface(struct walk *w)
{
    if (!w->iface_open || w->eps_found == w->eps_declared)
        return IOSIM_OK;
    return fail(w->p, w->iface_off + USB_IF_NUM_ENDPOINTS,
                "interface %u: bNumEndpoints %u, but fewer endpoint descriptors follow",
                w->buf[w->iface_off + USB_IF_NUMBER], w->eps_declared);
}

static enum iosim_err on_interface(struct walk *w, size_t off)
{
    const uint8_t *d = w->buf + off;
    enum iosim_err e = close_interface(w);
    if (e != IOSIM_OK)
        return e;
    w->iface_open = true;
    w->iface_off = off;
    w->eps_declared = d[USB_IF_NUM_ENDPOINTS];
    w->eps_found = 0;
    w->iface = NULL;
    if (d[USB_IF_ALTERNATE] != 0) {
        w->cfg->skipped++;
        return IOSIM_OK;
    }
    struct usb_config_info *c = w->cfg;
    if (c->iface_count == c->num_interfaces)
        return fail(w->p, off, "interface %u: more interfaces than bNumInterfaces %u",
                    d[USB_IF_NUMBER], c->num_interfaces);
    for (unsigned i = 0; i < c->iface_count; i++)
        if (c->iface[i].number == d[USB_IF_NUMBER])
            return fail(w->p, off + USB_IF_NUMBER, "interface %u: alternate setting 0 twice",
                        d[USB_IF_NUMBER], 0);
    if (w->eps_declared > USB_PARSE_EPS_MAX)
        return fail(w->p, off + USB_IF_NUM_ENDPOINTS, "interface %u: bNumEndpoints %u, above 16",
                    d[USB_IF_NUMBER], w->eps_declared);
    w->iface = &c->iface[c->iface_count++];
    *w->iface = (struct usb_interface_info){
        .number = d[USB_IF_NUMBER],
        .cls = d[USB_IF_CLASS],
        .subclass = d[USB_IF_SUBCLASS],
        .protocol = d[USB_IF_PROTOCOL],
        .i_interface = d[USB_IF_STRING],
    };
    return IOSIM_OK;
}

/* bEndpointAddress [USB2 9.6.6]: number 1..15 (0 is the default pipe, no interface's),
 * bits 6:4 zero, and no (number, direction) twice in the configuration. A control
 * endpoint is bidirectional [USB2 5.5] and so takes both directions of its number. */
static enum iosim_err check_address(struct walk *w, size_t off, uint8_t addr, uint8_t xfer)
{
    size_t at = off + USB_EP_ADDRESS;
    if (addr & USB_EP_ADDR_RESERVED_MASK)
        return fail(w->p, at, "endpoint %x: reserved address bits 6:4 set", addr, 0);
    unsigned num = addr & USB_EP_ADDR_NUMBER_MASK;
    if (num == 0)
        return fail(w->p, at, "endpoint %x: number 0 is the default control pipe", addr, 0);
    uint32_t slots = xfer == USB_EP_XFER_CONTROL ? 3u : (addr & USB_EP_ADDR_DIR_IN) ? 2u : 1u;
    slots <<= 2u * num;
    if (w->used & slots)
        return fail(w->p, at, "endpoint %x: address used twice in the configuration", addr, 0);
    w->used |= slots;
    return IOSIM_OK;
}

/* The packet sizes a speed allows for a transfer type: min..max, and a power of two
 * when pow2 [USB2 5.5.3, 5.6.3, 5.7.3, 5.8.3], [USB32 9.6.6]. max 0: no such endpoint. */
struct mps_rule {
    uint16_t min, max;
    bool pow2;
    const char *text;
};

/* [speed][USB_EP_XFER_*] */
static const struct mps_rule mps_rules[4][4] = {
    [USB_PARSE_LOW] = {
        {USB_LS_CONTROL_MPS, USB_LS_CONTROL_MPS, false, "low-speed control: 8"},
        {0, 0, false, "low speed has no isochronous endpoints"},
        {0, 0, false, "low speed has no bulk endpoints"},
        {1, USB_LS_INTERRUPT_MPS_MAX, false, "low-speed interrupt: 1..8"},
    },
    [USB_PARSE_FULL] = {
        {USB_FS_CONTROL_MPS_MIN, USB_FS_CONTROL_MPS_MAX, true, "full-speed control: 8, 16, 32, 64"},
        {1, USB_FS_ISOCH_MPS_MAX, false, "full-speed isochronous: 1..1023"},
        {USB_FS_BULK_MPS_MIN, USB_FS_BULK_MPS_MAX, true, "full-speed bulk: 8, 16, 32, 64"},
        {1, USB_FS_INTERRUPT_MPS_MAX, false, "full-speed interrupt: 1..64"},
    },
    [USB_PARSE_HIGH] = {
        {USB_HS_CONTROL_MPS, USB_HS_CONTROL_MPS, false, "high-speed control: 64"},
        {1, USB_HS_ISOCH_MPS_MAX, false, "high-speed isochronous: 1..1024"},
        {USB_HS_BULK_MPS, USB_HS_BULK_MPS, false, "high-speed bulk: 512"},
        {1, USB_HS_INTERRUPT_MPS_MAX, false, "high-speed interrupt: 1..1024"},
    },
    [USB_PARSE_SUPER] = {
        {USB_SS_CONTROL_MPS, USB_SS_CONTROL_MPS, false, "SuperSpeed control: 512"},
        {1, USB_SS_ISOCH_MPS_MAX, false, "SuperSpeed isochronous: 1..1024"},
        {USB_SS_BULK_MPS, USB_SS_BULK_MPS, false, "SuperSpeed bulk: 1024"},
        {1, USB_SS_INTERRUPT_MPS_MAX, false, "SuperSpeed interrupt: 1..1024"},
    },
};

static bool periodic(uint8_t xfer)
{
    return xfer == USB_EP_XFER_ISOCH || xfer == USB_EP_XFER_INTERRUPT;
}

/* wMaxPacketSize [USB2 9.6.6]: bits 15:13 zero; bits 12:11 (extra transactions a
 * microframe) only on high-speed periodic endpoints and at most 2; the size by rule. */
static enum iosim_err check_mps(struct walk *w, size_t off, uint8_t addr, uint8_t xfer,
                                uint16_t raw)
{
    size_t at = off + USB_EP_MAX_PACKET;
    uint32_t size = raw & USB_EP_MPS_SIZE_MASK;
    uint32_t mult = (raw & USB_EP_MPS_MULT_MASK) >> USB_EP_MPS_MULT_SHIFT;
    const struct mps_rule *r = &mps_rules[w->speed][xfer];
    if (raw & USB_EP_MPS_RESERVED_MASK)
        return fail(w->p, at, "endpoint %x: wMaxPacketSize %x has reserved bits 15:13 set", addr,
                    raw);
    if (size == 0)
        return fail(w->p, at, "endpoint %x: wMaxPacketSize 0", addr, 0);
    if (mult != 0 && !(w->speed == USB_PARSE_HIGH && periodic(xfer)))
        return fail(w->p, at, "endpoint %x: wMaxPacketSize bits 12:11 = %u, not HS periodic", addr,
                    mult);
    if (mult > USB_EP_MPS_MULT_MAX)
        return fail(w->p, at, "endpoint %x: %u extra transactions a microframe, above 2", addr,
                    mult);
    if (r->max == 0)
        return fail_s(w->p, at, "endpoint %x: %s", r->text, addr, 0);
    if (size < r->min || size > r->max || (r->pow2 && !pow2_within(size, r->min, r->max)))
        return fail_s(w->p, at, "endpoint %x: wMaxPacketSize %u (%s)", r->text, addr, size);
    return IOSIM_OK;
}

/* bInterval [USB2 9.6.6], [USB32 9.6.6]: an exponent 1..16 for high-speed and SuperSpeed
 * periodic and full-speed isochronous endpoints, frames 1..255 for full- and low-speed
 * interrupt ones; for control and bulk it is a NAK rate or unused, any value. */
static enum iosim_err check_interval(struct walk *w, size_t off, uint8_t addr, uint8_t xfer,
                                     uint8_t iv)
{
    if (!periodic(xfer))
        return IOSIM_OK;
    bool frames = w->speed <= USB_PARSE_FULL && xfer == USB_EP_XFER_INTERRUPT;
    uint8_t lo = frames ? USB_EP_INTERVAL_FRAMES_MIN : USB_EP_INTERVAL_EXP_MIN;
    uint8_t hi = frames ? USB_EP_INTERVAL_FRAMES_MAX : USB_EP_INTERVAL_EXP_MAX;
    if (iv < lo || iv > hi)
        return fail_s(w->p, off + USB_EP_INTERVAL, "endpoint %x: bInterval %u outside %s",
                      frames ? "1..255" : "1..16", addr, iv);
    return IOSIM_OK;
}

static enum iosim_err keep_endpoint(struct walk *w, size_t off)
{
    const uint8_t *d = w->buf + off;
    uint8_t addr = d[USB_EP_ADDRESS];
    uint8_t xfer = d[USB_EP_ATTRIBUTES] & USB_EP_XFER_MASK;
    uint16_t raw = rd16(d + USB_EP_MAX_PACKET);
    enum iosim_err e = check_address(w, off, addr, xfer);
    if (e == IOSIM_OK)
        e = check_mps(w, off, addr, xfer, raw);
    if (e == IOSIM_OK)
        e = check_interval(w, off, addr, xfer, d[USB_EP_INTERVAL]);
    if (e != IOSIM_OK)
        return e;
    w->ep = &w->iface->ep[w->iface->num_eps++];
    *w->ep = (struct usb_endpoint_info){
        .address = addr,
        .xfer = xfer,
        .max_packet = (uint16_t)(raw & USB_EP_MPS_SIZE_MASK),
        .mult = (uint8_t)((raw & USB_EP_MPS_MULT_MASK) >> USB_EP_MPS_MULT_SHIFT),
        .interval = d[USB_EP_INTERVAL],
    };
    return IOSIM_OK;
}

static enum iosim_err on_endpoint(struct walk *w, size_t off)
{
    uint8_t addr = w->buf[off + USB_EP_ADDRESS];
    if (!w->iface_open)
        return fail(w->p, off, "endpoint %x before any interface descriptor", addr, 0);
    if (w->eps_found == w->eps_declared)
        return fail(w->p, off, "endpoint %x: more endpoints than bNumEndpoints %u", addr,
                    w->eps_declared);
    w->eps_found++;
    /* at SuperSpeed every endpoint descriptor is followed by its companion [USB32 9.6.7] */
    w->want_companion = w->speed == USB_PARSE_SUPER;
    w->want_addr = addr;
    w->ep = NULL;
    if (w->iface == NULL) {
        w->cfg->skipped++;
        return IOSIM_OK;
    }
    return keep_endpoint(w, off);
}

/* The companion's fields [USB32 9.6.7]: bMaxBurst 0..15 (0 for control, as Linux forces
 * [ref 3: LX-CFG]); bulk MaxStreams 0..16; isochronous Mult 0..2. */
static enum iosim_err keep_companion(struct walk *w, size_t off)
{
    const uint8_t *d = w->buf + off;
    struct usb_endpoint_info *ep = w->ep;
    uint8_t burst = d[USB_SSC_MAX_BURST], attr = d[USB_SSC_ATTRIBUTES];
    uint8_t streams = attr & USB_SSC_BULK_MAX_STREAMS_MASK, mult = attr & USB_SSC_ISOCH_MULT_MASK;
    if (burst > USB_SSC_MAX_BURST_MAX)
        return fail(w->p, off + USB_SSC_MAX_BURST, "endpoint %x: bMaxBurst %u, above 15",
                    ep->address, burst);
    if (ep->xfer == USB_EP_XFER_CONTROL && burst != 0)
        return fail(w->p, off + USB_SSC_MAX_BURST, "endpoint %x: control with bMaxBurst %u",
                    ep->address, burst);
    if (ep->xfer == USB_EP_XFER_BULK && streams > USB_SSC_BULK_MAX_STREAMS_MAX)
        return fail(w->p, off + USB_SSC_ATTRIBUTES, "endpoint %x: MaxStreams %u, above 16",
                    ep->address, streams);
    if (ep->xfer == USB_EP_XFER_ISOCH && mult > USB_SSC_ISOCH_MULT_MAX)
        return fail(w->p, off + USB_SSC_ATTRIBUTES, "endpoint %x: Mult %u, above 2", ep->address,
                    mult);
    ep->max_burst = burst;
    ep->max_streams_log2 = ep->xfer == USB_EP_XFER_BULK ? streams : 0;
    ep->mult = ep->xfer == USB_EP_XFER_ISOCH ? mult : 0;
    ep->bytes_per_interval = periodic(ep->xfer) ? rd16(d + USB_SSC_BYTES_PER_INTERVAL) : 0;
    return IOSIM_OK;
}

static enum iosim_err on_companion(struct walk *w, size_t off)
{
    if (w->speed != USB_PARSE_SUPER)
        return fail(w->p, off, "SuperSpeed endpoint companion below SuperSpeed", 0, 0);
    if (!w->want_companion)
        return fail(w->p, off, "SuperSpeed endpoint companion not right after an endpoint", 0, 0);
    w->want_companion = false;
    if (w->ep == NULL) {
        w->cfg->skipped++;
        return IOSIM_OK;
    }
    return keep_companion(w, off);
}

/* The least bLength of the types the walk reads fields of; 2 for those it steps over. */
static uint8_t min_length(uint8_t type, const char **name)
{
    switch (type) {
    case USB_DT_INTERFACE: *name = "interface"; return USB_DT_INTERFACE_BYTES;
    case USB_DT_ENDPOINT: *name = "endpoint"; return USB_DT_ENDPOINT_BYTES;
    case USB_DT_SS_EP_COMPANION: *name = "SuperSpeed endpoint companion";
        return USB_DT_SS_EP_COMPANION_BYTES;
    default: *name = "other"; return USB_DESC_HEADER_BYTES;
    }
}

static enum iosim_err walk_one(struct walk *w, size_t off)
{
    enum iosim_err e = desc_at(w->buf, w->len, off, w->p);
    if (e != IOSIM_OK)
        return e;
    uint8_t bl = w->buf[off + USB_DESC_LENGTH], type = w->buf[off + USB_DESC_TYPE];
    if (w->want_companion && type != USB_DT_SS_EP_COMPANION)
        return fail(w->p, off, "endpoint %x has no SuperSpeed companion right after it",
                    w->want_addr, 0);
    const char *name;
    uint8_t min = min_length(type, &name);
    if (bl < min)
        return fail_s(w->p, off, "%s descriptor bLength %u, less than %u", name, bl, min);
    switch (type) {
    case USB_DT_INTERFACE: return on_interface(w, off);
    case USB_DT_ENDPOINT: return on_endpoint(w, off);
    case USB_DT_SS_EP_COMPANION: return on_companion(w, off);
    default:
        /* class-specific (HID 0x21, CS_INTERFACE 0x24, ...), IADs, vendor and unknown
         * types: the driver of the interface reads them, not this one */
        w->cfg->skipped++;
        return IOSIM_OK;
    }
}

static enum iosim_err walk_end(struct walk *w)
{
    if (w->want_companion)
        return fail(w->p, w->len, "endpoint %x has no SuperSpeed companion: the configuration ends",
                    w->want_addr, 0);
    enum iosim_err e = close_interface(w);
    if (e != IOSIM_OK)
        return e;
    if (w->cfg->iface_count != w->cfg->num_interfaces)
        return fail(w->p, USB_CFG_NUM_INTERFACES, "bNumInterfaces %u, but %u interface(s) found",
                    w->cfg->num_interfaces, w->cfg->iface_count);
    return IOSIM_OK;
}

/* wTotalLength is the fetch's size: more than was returned is a truncated fetch, less
 * means the device's total lies about what it sent [USB2 9.6.3]. */
static enum iosim_err check_total(uint16_t total, size_t len, struct usb_parse_problem *p)
{
    if (total > len)
        return fail(p, USB_CFG_TOTAL_LENGTH, "wTotalLength %u but %u bytes fetched (truncated)",
                    total, (uint32_t)len);
    if (total < len)
        return fail(p, USB_CFG_TOTAL_LENGTH, "wTotalLength %u but %u bytes returned (total lies)",
                    total, (uint32_t)len);
    return IOSIM_OK;
}

static enum iosim_err config_fields(const uint8_t *buf, size_t len, struct usb_config_info *c,
                                    struct usb_parse_problem *p)
{
    enum iosim_err e = config_header(buf, len, &c->total_length, p);
    if (e == IOSIM_OK)
        e = check_total(c->total_length, len, p);
    if (e != IOSIM_OK)
        return e;
    c->num_interfaces = buf[USB_CFG_NUM_INTERFACES];
    c->value = buf[USB_CFG_VALUE];
    c->i_configuration = buf[USB_CFG_STRING];
    c->attributes = buf[USB_CFG_ATTRIBUTES];
    c->max_power = buf[USB_CFG_MAX_POWER];
    if (c->num_interfaces == 0 || c->num_interfaces > USB_PARSE_IFACES_MAX)
        return fail(p, USB_CFG_NUM_INTERFACES, "bNumInterfaces %u, not 1..%u", c->num_interfaces,
                    USB_PARSE_IFACES_MAX);
    return IOSIM_OK;
}

enum iosim_err usb_parse_config(const uint8_t *buf, size_t len, enum usb_parse_speed speed,
                                struct usb_config_info *out, struct usb_parse_problem *p)
{
    if (!args_ok(buf, len, out) || !speed_ok(speed))
        return IOSIM_EINVAL;
    struct usb_config_info c;
    memset(&c, 0, sizeof c);
    enum iosim_err e = config_fields(buf, len, &c, p);
    if (e != IOSIM_OK)
        return e;
    struct walk w = {.buf = buf, .len = len, .speed = speed, .p = p, .cfg = &c};
    for (size_t off = buf[USB_DESC_LENGTH]; off < len; off += buf[off + USB_DESC_LENGTH]) {
        e = walk_one(&w, off);
        if (e != IOSIM_OK)
            return e;
    }
    e = walk_end(&w);
    if (e == IOSIM_OK)
        *out = c;
    return e;
}

/* ---- strings ---------------------------------------------------------------------------- */

/* A string descriptor [USB2 9.6.7]: whole UTF-16LE code units after the header. */
static enum iosim_err string_units(const uint8_t *buf, size_t len, size_t *units,
                                   struct usb_parse_problem *p)
{
    enum iosim_err e = desc_first(buf, len, USB_DT_STRING, USB_DESC_HEADER_BYTES, "string", p);
    if (e != IOSIM_OK)
        return e;
    uint8_t bl = buf[USB_DESC_LENGTH];
    if ((bl - USB_DESC_HEADER_BYTES) % USB_STRING_CODE_UNIT_BYTES != 0)
        return fail(p, USB_DESC_LENGTH, "string bLength %u is odd: half a code unit", bl, 0);
    *units = (bl - USB_DESC_HEADER_BYTES) / USB_STRING_CODE_UNIT_BYTES;
    return IOSIM_OK;
}

enum iosim_err usb_parse_string(const uint8_t *buf, size_t len, char *out, size_t cap,
                                struct usb_parse_problem *p)
{
    if (!args_ok(buf, len, out) || cap == 0)
        return IOSIM_EINVAL;
    size_t units;
    enum iosim_err e = string_units(buf, len, &units, p);
    if (e != IOSIM_OK)
        return e;
    size_t n = units < cap - 1 ? units : cap - 1;
    for (size_t i = 0; i < n; i++) {
        uint16_t u = rd16(buf + USB_DESC_HEADER_BYTES + i * USB_STRING_CODE_UNIT_BYTES);
        out[i] = u >= 0x20 && u <= 0x7e ? (char)u : '?';
    }
    out[n] = '\0';
    return IOSIM_OK;
}

enum iosim_err usb_parse_langid(const uint8_t *buf, size_t len, uint16_t *langid,
                                struct usb_parse_problem *p)
{
    if (!args_ok(buf, len, langid))
        return IOSIM_EINVAL;
    size_t units;
    enum iosim_err e = string_units(buf, len, &units, p);
    if (e != IOSIM_OK)
        return e;
    if (units == 0)
        return fail(p, USB_DESC_LENGTH, "string descriptor 0 lists no LANGID", 0, 0);
    *langid = rd16(buf + USB_DESC_HEADER_BYTES);
    return IOSIM_OK;
}
