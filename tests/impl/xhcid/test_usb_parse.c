/*
 * impl/drivers/xhcid/usb_parse: what a device says about itself, checked.
 *
 *   1. every refusal clause of the parser, one table row each: a valid descriptor set
 *      for the speed (a gadget with two interfaces, an alternate setting, class
 *      descriptors and SuperSpeed companions), one thing broken, EPROTO at the offset
 *      of what was broken; the unbroken set parses with every field checked;
 *   2. gadget-zero-like configurations at full, high and SuperSpeed, written out byte
 *      by byte as a device would send them, parse to exactly the expected structs.
 *
 * The random tests (model-based and hostile) are in test_usb_parse_random.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "tests/impl/xhcid/usb_parse_test_util.h"
/* ---- 1. one row per refusal clause -------------------------------------------------------- */


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

