/*
 * impl/drivers/xhcid/usb_parse under random inputs:
 *
 *   3. a model-based test: random valid configurations against the generator's model;
 *   4. a hostile test: random mutations of valid inputs, each in an exactly-sized
 *      malloc buffer (AddressSanitizer sees any overread), parse OK or EPROTO, and an
 *      OK result keeps the invariants usb_parse.h promises.
 */
#include "tests/impl/xhcid/usb_parse_test_util.h"
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
