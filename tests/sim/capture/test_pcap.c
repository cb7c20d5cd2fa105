/*
 * pcap and pcapng (sim/capture/pcap.c, pcapng.c, linktype.c): seeded random
 * events written by a small reference writer - pcap in both byte orders and
 * both time resolutions, link types 189, 220 and 249; pcapng with two
 * sections of different byte order and interfaces of different link types
 * and time resolutions - read back field for field; one row per rule that
 * must be refused, with its byte offset and reason; USBPcap's control
 * stages; random damage to valid captures (never a crash, never a partial
 * capture).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/capture/capture.h"
#include "sim/engine/rng.h"

static struct cap_capture cap;
static struct cap_error err;

static void fini(void) { cap_free(&cap); }

/* ---- the reference writer ------------------------------------------------ */

#define BUF_MAX (1u << 21)

struct wr {
    uint8_t *b;
    size_t n;
    bool big;
};

static void put(struct wr *w, uint64_t v, int bytes)
{
    cr_assert(w->n + (size_t)bytes <= BUF_MAX);
    for (int i = 0; i < bytes; i++) {
        int k = w->big ? bytes - 1 - i : i; /* the byte of v; past the 8th, zero fill */
        w->b[w->n + (size_t)i] = k < 8 ? (uint8_t)(v >> 8 * k) : 0;
    }
    w->n += (size_t)bytes;
}

static void put_bytes(struct wr *w, const uint8_t *p, size_t n)
{
    cr_assert(w->n + n <= BUF_MAX);
    if (n == 0)
        return; /* p may be NULL then */
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void patch32(struct wr *w, size_t at, uint32_t v)
{
    size_t n = w->n;
    w->n = at;
    put(w, v, 4);
    w->n = n;
}

#define DATA_MAX 64u

/* A random event that link type lt can carry; t_ns a multiple of unit_ns. */
static void random_event(struct sim_rng *g, uint32_t lt, uint64_t t_ns, struct cap_event *e,
                         uint8_t *data, uint32_t *ndesc)
{
    memset(e, 0, sizeof *e);
    e->urb = sim_rng_next(g);
    e->t_ns = t_ns;
    e->ep = (uint8_t)(sim_rng_below(g, 16) | (sim_rng_below(g, 2) ? CAP_EP_IN : 0));
    e->dev = (uint8_t)sim_rng_below(g, 128);
    e->bus = (uint16_t)sim_rng_below(g, 65536);
    e->data_len = (uint32_t)sim_rng_below(g, DATA_MAX + 1);
    for (uint32_t i = 0; i < e->data_len; i++)
        data[i] = (uint8_t)sim_rng_next(g);
    *ndesc = 0;
    if (lt != 249) {
        e->kind = "SCE"[sim_rng_below(g, 3)];
        e->xfer = (uint8_t)sim_rng_below(g, 4);
        e->has_setup = e->kind == 'S' && e->xfer == CAP_XFER_CTRL && sim_rng_below(g, 2);
        e->status = (int32_t)sim_rng_below(g, 200) - 150;
        e->length = (uint32_t)sim_rng_next(g);
        if (lt == 220 && e->xfer == CAP_XFER_ISO)
            *ndesc = (uint32_t)sim_rng_below(g, 4);
    } else {
        static const int32_t st[] = {0, -32, -71};
        e->kind = "SC"[sim_rng_below(g, 2)];
        e->xfer = (uint8_t)(1 + sim_rng_below(g, 3));
        e->status = e->kind == 'S' ? -115 : st[sim_rng_below(g, 3)];
        e->has_setup = e->kind == 'S' && e->xfer == CAP_XFER_CTRL;
        e->length = e->data_len;
    }
    for (int i = 0; i < 8 && e->has_setup; i++)
        e->setup[i] = (uint8_t)sim_rng_next(g);
    if (lt == 249 && e->has_setup)
        e->length = (uint32_t)(e->setup[6] | e->setup[7] << 8);
}

/* The packet of one event as link type lt: its bytes appended to w. */
static void write_packet(struct wr *w, uint32_t lt, const struct cap_event *e, const uint8_t *data,
                         uint32_t ndesc)
{
    if (lt == 249) {
        static const uint32_t usbd[] = {0, 0xC0000004u, 0xC0000011u};
        bool ctrl = e->xfer == CAP_XFER_CTRL;
        bool le = w->big;
        w->big = false;
        put(w, ctrl ? 28 : 27, 2);
        put(w, e->urb, 8);
        put(w, e->status == 0 || e->status == -115 ? 0 : usbd[e->status == -32 ? 1 : 2], 4);
        put(w, 9, 2);
        put(w, e->kind == 'C', 1);
        put(w, e->bus, 2);
        put(w, e->dev, 2);
        put(w, e->ep, 1);
        put(w, e->xfer, 1);
        put(w, e->data_len + (e->has_setup ? 8 : 0), 4);
        if (ctrl)
            put(w, e->has_setup ? 0 : 1, 1);
        if (e->has_setup)
            put_bytes(w, e->setup, 8);
        put_bytes(w, data, e->data_len);
        w->big = le;
        return;
    }
    put(w, e->urb, 8);
    put(w, (uint8_t)e->kind, 1);
    put(w, e->xfer, 1);
    put(w, e->ep, 1);
    put(w, e->dev, 1);
    put(w, e->bus, 2);
    put(w, e->has_setup ? 0 : '-', 1);
    put(w, e->data_len ? 0 : '<', 1);
    put(w, e->t_ns / 1000000000u, 8);
    put(w, e->t_ns / 1000 % 1000000, 4);
    put(w, (uint32_t)e->status, 4);
    put(w, e->length, 4);
    put(w, e->data_len, 4);
    if (e->has_setup)
        put_bytes(w, e->setup, 8);
    else
        put(w, 0, 8);
    if (lt == 220) {
        put(w, 8, 4);
        put(w, 0, 4);
        put(w, 0, 4);
        put(w, ndesc, 4);
        for (uint32_t i = 0; i < ndesc; i++) {
            put(w, 0, 4);
            put(w, i * 8, 4);
            put(w, 8, 4);
            put(w, 0, 4);
        }
    }
    put_bytes(w, data, e->data_len);
}

static size_t packet_len(uint32_t lt, const struct cap_event *e, uint32_t ndesc)
{
    if (lt == 249)
        return (e->xfer == CAP_XFER_CTRL ? 28 : 27) + (e->has_setup ? 8 : 0) + e->data_len;
    return (lt == 220 ? 64 + 16 * ndesc : 48) + e->data_len;
}

#define MODEL_EVENTS 150

static struct cap_event want[MODEL_EVENTS];
static uint8_t want_data[MODEL_EVENTS][DATA_MAX];

static void expect_events(const char *what, uint64_t seed)
{
    cr_assert_eq(cap.n, MODEL_EVENTS, "%s seed %" PRIu64, what, seed);
    for (int i = 0; i < MODEL_EVENTS; i++) {
        const struct cap_event *g = &cap.ev[i], *w = &want[i];
        cr_assert(g->urb == w->urb && g->t_ns == w->t_ns && g->kind == w->kind &&
                      g->xfer == w->xfer && g->ep == w->ep && g->dev == w->dev &&
                      g->bus == w->bus && g->has_setup == w->has_setup &&
                      g->status == w->status && g->length == w->length &&
                      g->data_len == w->data_len && g->where == w->where,
                  "%s seed %" PRIu64 " event %d: t %" PRIu64 "/%" PRIu64 " where %" PRIu64
                  "/%" PRIu64 " status %d/%d len %u/%u",
                  what, seed, i, g->t_ns, w->t_ns, g->where, w->where, g->status, w->status,
                  g->data_len, w->data_len);
        cr_assert_arr_eq(g->setup, w->setup, 8);
        cr_assert_arr_eq(cap_data(&cap, g), want_data[i], w->data_len);
    }
}

/* A pcap file of MODEL_EVENTS random events. */
static size_t write_pcap(uint8_t *buf, uint64_t seed, bool big, bool ns, uint32_t lt)
{
    struct sim_rng g;
    sim_rng_stream(&g, seed, "pcap");
    struct wr w = {.b = buf, .big = big};
    put(&w, ns ? 0xa1b23c4du : 0xa1b2c3d4u, 4);
    put(&w, 2, 2);
    put(&w, 4, 2);
    put(&w, 0, 8);
    put(&w, 262144, 4);
    put(&w, lt | 0x10000000u, 4); /* FCS bits: not the link type */
    uint64_t t = sim_rng_below(&g, 1ull << 40) * 1000;
    for (int i = 0; i < MODEL_EVENTS; i++) {
        uint32_t ndesc;
        t += (sim_rng_below(&g, 5000000) + 1) * (ns ? 1 : 1000);
        random_event(&g, lt, t, &want[i], want_data[i], &ndesc);
        want[i].t_ns = t;
        want[i].where = w.n;
        size_t n = packet_len(lt, &want[i], ndesc);
        put(&w, t / 1000000000u, 4);
        put(&w, ns ? t % 1000000000u : t / 1000 % 1000000, 4);
        put(&w, n, 4);
        put(&w, n + sim_rng_below(&g, 2), 4);
        write_packet(&w, lt, &want[i], want_data[i], ndesc);
    }
    return w.n;
}

Test(pcap, random_events_read_back_field_for_field, .fini = fini)
{
    static uint8_t buf[BUF_MAX];
    static const uint32_t lts[] = {189, 220, 249};
    for (uint64_t seed = 1; seed <= 24; seed++) {
        bool big = seed & 1, ns = seed & 2;
        uint32_t lt = lts[seed % 3];
        size_t n = write_pcap(buf, seed, big, ns, lt);
        uint8_t *exact = malloc(n);
        memcpy(exact, buf, n);
        enum iosim_err e = cap_parse_pcap(exact, n, &cap, &err);
        free(exact);
        cr_assert_eq(e, IOSIM_OK, "seed %" PRIu64 ": byte %" PRIu64 ": %s", seed, err.offset,
                     err.msg);
        expect_events("pcap", seed);
        char fmt[24];
        snprintf(fmt, sizeof fmt, "pcap-%u%s", lt, ns ? "-ns" : "");
        cr_expect_str_eq(cap.format, fmt);
        cap_free(&cap);
    }
}

/* ---- pcapng --------------------------------------------------------------- */

static void ng_block_begin(struct wr *w, uint32_t type, size_t *start)
{
    *start = w->n;
    put(w, type, 4);
    put(w, 0, 4);
}

static void ng_block_end(struct wr *w, size_t start)
{
    while (w->n % 4 != 0)
        put(w, 0, 1);
    uint32_t total = (uint32_t)(w->n - start + 4);
    put(w, total, 4);
    patch32(w, start + 4, total);
}

static void ng_shb(struct wr *w)
{
    size_t s;
    ng_block_begin(w, 0x0a0d0d0au, &s);
    put(w, 0x1a2b3c4du, 4);
    put(w, 1, 2);
    put(w, 0, 2);
    put(w, UINT64_MAX, 8);
    ng_block_end(w, s);
}

/* tsresol 0xff = no option; tsoffset 0 = no option. */
static void ng_idb(struct wr *w, uint32_t lt, uint8_t tsresol, int64_t tsoffset)
{
    size_t s;
    ng_block_begin(w, 1, &s);
    put(w, lt, 2);
    put(w, 0, 2);
    put(w, 0, 4);
    put(w, 1, 2); /* a comment, skipped */
    put(w, 3, 2);
    put_bytes(w, (const uint8_t *)"usb\0", 4);
    if (tsresol != 0xff) {
        put(w, 9, 2);
        put(w, 1, 2);
        put(w, tsresol, 1);
        put(w, 0, 3);
    }
    if (tsoffset != 0) {
        put(w, 14, 2);
        put(w, 8, 2);
        put(w, (uint64_t)tsoffset, 8);
    }
    put(w, 0, 4);
    ng_block_end(w, s);
}

struct ng_if {
    uint32_t lt;
    uint8_t tsresol;        /* 0xff: absent (microseconds) */
    int64_t tsoffset_s;
    uint64_t unit_ns;
};

/* Two sections, little- then big-endian (or the other way), of two USB
 * interfaces each and an Ethernet one nothing is sent on. */
static size_t write_pcapng(uint8_t *buf, uint64_t seed)
{
    static const struct ng_if ifs[2][3] = {
        {{189, 0xff, 0, 1000}, {1, 0xff, 0, 1000}, {249, 9, 0, 1}},
        {{220, 3, 100, 1000000}, {1, 9, 0, 1}, {249, 6, -5, 1000}},
    };
    struct sim_rng g;
    sim_rng_stream(&g, seed, "pcapng");
    struct wr w = {.b = buf, .big = seed & 1};
    uint64_t t = 1000000000000ull + sim_rng_below(&g, 1000) * 1000000;
    for (int i = 0; i < MODEL_EVENTS; i++) {
        int sec = i >= MODEL_EVENTS / 2;
        if (i == 0 || i == MODEL_EVENTS / 2) {
            w.big = (seed & 1) ^ (uint64_t)sec;
            ng_shb(&w);
            for (int k = 0; k < 3; k++)
                ng_idb(&w, ifs[sec][k].lt, ifs[sec][k].tsresol, ifs[sec][k].tsoffset_s);
            size_t s; /* an Interface Statistics Block: skipped */
            ng_block_begin(&w, 5, &s);
            put(&w, 0, 12);
            ng_block_end(&w, s);
        }
        uint32_t id = sim_rng_below(&g, 2) ? 2 : 0, ndesc;
        const struct ng_if *f = &ifs[sec][id];
        t += (sim_rng_below(&g, 5000) + 1) * 1000000;
        random_event(&g, f->lt, t, &want[i], want_data[i], &ndesc);
        size_t s;
        ng_block_begin(&w, 6, &s);
        want[i].where = s;
        size_t n = packet_len(f->lt, &want[i], ndesc);
        uint64_t ts = (t - (uint64_t)f->tsoffset_s * 1000000000u) / f->unit_ns;
        put(&w, id, 4);
        put(&w, ts >> 32, 4);
        put(&w, ts & 0xffffffffu, 4);
        put(&w, n, 4);
        put(&w, n, 4);
        write_packet(&w, f->lt, &want[i], want_data[i], ndesc);
        ng_block_end(&w, s);
    }
    return w.n;
}

Test(pcapng, two_sections_of_different_byte_order_read_back_field_for_field, .fini = fini)
{
    static uint8_t buf[BUF_MAX];
    for (uint64_t seed = 1; seed <= 16; seed++) {
        size_t n = write_pcapng(buf, seed);
        uint8_t *exact = malloc(n);
        memcpy(exact, buf, n);
        enum iosim_err e = cap_parse_pcapng(exact, n, &cap, &err);
        free(exact);
        cr_assert_eq(e, IOSIM_OK, "seed %" PRIu64 ": byte %" PRIu64 ": %s", seed, err.offset,
                     err.msg);
        expect_events("pcapng", seed);
        cr_expect_str_eq(cap.format, "pcapng");
        cap_free(&cap);
    }
}

Test(pcapng, binary_time_resolution_and_simple_packets, .fini = fini)
{
    static uint8_t buf[4096];
    struct wr w = {.b = buf};
    ng_shb(&w);
    ng_idb(&w, 189, 0x80 | 20, 0); /* 2^-20 s */
    struct cap_event e = {.urb = 7, .kind = 'C', .xfer = CAP_XFER_BULK, .ep = 0x81, .dev = 3,
                          .bus = 2, .length = 4, .data_len = 4};
    const uint8_t d[4] = {1, 2, 3, 4};
    size_t s;
    ng_block_begin(&w, 6, &s);
    uint64_t ts = 3ull << 20 | 1u << 19; /* 3.5 s */
    put(&w, 0, 4);
    put(&w, ts >> 32, 4);
    put(&w, ts & 0xffffffffu, 4);
    put(&w, 52, 4);
    put(&w, 52, 4);
    write_packet(&w, 189, &e, d, 0);
    ng_block_end(&w, s);
    ng_block_begin(&w, 3, &s); /* a simple packet: interface 0, no time */
    put(&w, 52, 4);
    e.urb = 8;
    write_packet(&w, 189, &e, d, 0);
    ng_block_end(&w, s);
    cr_assert_eq(cap_parse_pcapng(buf, w.n, &cap, &err), IOSIM_OK, "byte %" PRIu64 ": %s",
                 err.offset, err.msg);
    cr_assert_eq(cap.n, 2);
    cr_expect_eq(cap.ev[0].t_ns, 3500000000ull);
    cr_expect_eq(cap.ev[1].urb, 8);
    cr_expect_eq(cap.ev[1].t_ns, 3500000000ull, "a simple packet takes the time before it");
    cr_expect_eq(cap.ev[1].data_len, 4);
}

/* ---- USBPcap's control stages ---------------------------------------------- */

static void usbpcap_ctrl(struct wr *w, uint64_t irp, bool completion, uint8_t stage,
                         uint32_t usbd, const uint8_t *data, uint32_t n)
{
    put(w, 0, 4);
    put(w, 0, 4);
    put(w, 28 + n, 4);
    put(w, 28 + n, 4);
    put(w, 28, 2);
    put(w, irp, 8);
    put(w, usbd, 4);
    put(w, 8, 2);
    put(w, completion, 1);
    put(w, 1, 2);
    put(w, 5, 2);
    put(w, 0x00, 1);
    put(w, CAP_XFER_CTRL, 1);
    put(w, n, 4);
    put(w, stage, 1);
    put_bytes(w, data, n);
}

Test(pcap, usbpcap_control_stages_make_one_submission_and_one_completion, .fini = fini)
{
    static uint8_t buf[4096];
    struct wr w = {.b = buf};
    put(&w, 0xa1b2c3d4u, 4);
    put(&w, 2, 2);
    put(&w, 4, 2);
    put(&w, 0, 8);
    put(&w, 65535, 4);
    put(&w, 249, 4);
    const uint8_t set_cfg[8] = {0x00, 0x09, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};
    const uint8_t get_desc[8] = {0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00};
    const uint8_t out_req[8] = {0x21, 0x09, 0x00, 0x02, 0x00, 0x00, 0x02, 0x00};
    const uint8_t desc[18] = {0x12, 0x01}, out[2] = {0xaa, 0xbb};
    usbpcap_ctrl(&w, 1, false, 0, 0, set_cfg, 8);       /* SET_CONFIGURATION */
    usbpcap_ctrl(&w, 1, true, 2, 0, NULL, 0);           /* its status stage */
    usbpcap_ctrl(&w, 2, false, 0, 0, get_desc, 8);      /* GET_DESCRIPTOR */
    usbpcap_ctrl(&w, 2, true, 1, 0, desc, 18);          /* IN data */
    usbpcap_ctrl(&w, 2, true, 2, 0xC0000004u, NULL, 0); /* then a stalled status */
    usbpcap_ctrl(&w, 3, false, 0, 0, out_req, 8);       /* SET_REPORT */
    usbpcap_ctrl(&w, 3, false, 1, 0, out, 2);           /* its OUT data */
    usbpcap_ctrl(&w, 3, true, 2, 0xC0000011u, NULL, 0);
    cr_assert_eq(cap_parse_pcap(buf, w.n, &cap, &err), IOSIM_OK, "byte %" PRIu64 ": %s",
                 err.offset, err.msg);
    cr_assert_eq(cap.n, 6);
    cr_expect(cap.ev[0].kind == 'S' && cap.ev[0].has_setup && cap.ev[0].length == 0);
    cr_expect(cap.ev[1].kind == 'C' && cap.ev[1].status == 0 && cap.ev[1].data_len == 0);
    cr_expect(cap.ev[2].has_setup && cap.ev[2].length == 18 && cap.ev[2].status == -115);
    cr_expect(cap.ev[3].kind == 'C' && cap.ev[3].data_len == 18 && cap.ev[3].status == -32,
              "the status stage ends the data stage's completion");
    cr_expect(cap.ev[4].kind == 'S' && cap.ev[4].data_len == 2 && cap.ev[4].length == 2,
              "OUT data joins its setup");
    cr_expect_arr_eq(cap_data(&cap, &cap.ev[4]), out, 2);
    cr_expect(cap.ev[5].kind == 'C' && cap.ev[5].status == -71 && cap.ev[5].urb == 3);
}

Test(pcap, usbmon_mmapped_isochronous_descriptors_are_skipped, .fini = fini)
{
    static uint8_t buf[4096];
    struct wr w = {.b = buf, .big = true};
    put(&w, 0xa1b2c3d4u, 4);
    put(&w, 2, 2);
    put(&w, 4, 2);
    put(&w, 0, 8);
    put(&w, 0, 4); /* snap length 0: none */
    put(&w, 220, 4);
    struct cap_event e = {.urb = 9, .kind = 'C', .xfer = CAP_XFER_ISO, .ep = 0x83, .dev = 4,
                          .bus = 1, .length = 16, .data_len = 16};
    uint8_t d[16] = {0xde, 0xad};
    put(&w, 0, 8);
    put(&w, 64 + 32 + 16, 4);
    put(&w, 64 + 32 + 16, 4);
    write_packet(&w, 220, &e, d, 2);
    cr_assert_eq(cap_parse_pcap(buf, w.n, &cap, &err), IOSIM_OK, "%s", err.msg);
    cr_assert_eq(cap.n, 1);
    cr_expect_eq(cap.ev[0].data_len, 16);
    cr_expect_arr_eq(cap_data(&cap, &cap.ev[0]), d, 16);
    buf[24 + 16 + 60 + 3] = 7; /* 7 descriptors: 112 bytes, 48 after the header */
    cr_assert_eq(cap_parse_pcap(buf, w.n, &cap, &err), IOSIM_EPARSE);
    cr_expect_eq(err.offset, 24 + 16 + 60);
    cr_expect(strstr(err.msg, "7 isochronous descriptors") != NULL, "%s", err.msg);
}

/* ---- refusals --------------------------------------------------------------- */

enum base { PCAP_189, PCAP_249, PCAPNG_189 };

/* The valid captures the rows damage (little-endian):
 * PCAP_189   file header 0..23, record header 24..39 (caplen at 32), usbmon
 *            header 40..87, 4 data bytes 88..91
 * PCAP_249   record header 24..39, a control SETUP record: USBPcap header
 *            40..67 (stage at 67), setup packet 68..75
 * PCAPNG_189 SHB 0..27, IDB 28..47 (link type at 36), EPB 48..131
 *            (interface at 56, caplen at 68, packet 76..127, tail 128) */
static size_t base_capture(enum base b, uint8_t *buf)
{
    struct wr w = {.b = buf};
    struct cap_event e = {.urb = 1, .kind = 'S', .xfer = CAP_XFER_BULK, .ep = 2, .dev = 5,
                          .bus = 1, .length = 4, .data_len = 4, .status = -115};
    const uint8_t d[4] = {0x55, 0x53, 0x42, 0x43};
    if (b == PCAPNG_189) {
        ng_shb(&w);
        ng_idb(&w, 189, 0xff, 0);
        w.n = 28 + 16; /* no options: a 20-byte IDB */
        put(&w, 20, 4);
        patch32(&w, 32, 20);
        size_t s;
        ng_block_begin(&w, 6, &s);
        put(&w, 0, 12);
        put(&w, 52, 4);
        put(&w, 52, 4);
        write_packet(&w, 189, &e, d, 0);
        ng_block_end(&w, s);
        return w.n;
    }
    put(&w, 0xa1b2c3d4u, 4);
    put(&w, 2, 2);
    put(&w, 4, 2);
    put(&w, 0, 8);
    put(&w, 65535, 4);
    put(&w, b == PCAP_189 ? 189 : 249, 4);
    if (b == PCAP_189) {
        put(&w, 1, 4);
        put(&w, 5, 4);
        put(&w, 52, 4);
        put(&w, 52, 4);
        write_packet(&w, 189, &e, d, 0);
    } else {
        const uint8_t setup[8] = {0x80, 6, 0, 1, 0, 0, 0x12, 0};
        usbpcap_ctrl(&w, 1, false, 0, 0, setup, 8);
    }
    return w.n;
}

struct refusal {
    enum base base;
    long cut;           /* the file's new length, or -1 */
    size_t at;          /* a patch: little-endian value of width bytes at `at` */
    int width;
    uint32_t value;
    uint64_t offset;
    const char *says;
};

static const struct refusal refusals[] = {
    {PCAP_189, -1, 0, 4, 0x12345678, 0, "pcap magic 0x12345678"},
    {PCAP_189, 2, 0, 0, 0, 0, "truncated (2 of 24 bytes)"},
    {PCAP_189, 20, 0, 0, 0, 20, "truncated (20 of 24 bytes)"},
    {PCAP_189, -1, 4, 2, 3, 4, "pcap version 3.4: want 2.4"},
    {PCAP_189, -1, 20, 4, 1, 20, "link type 1 (Ethernet) is not a USB capture"},
    {PCAP_189, -1, 20, 4, 4242, 20, "link type 4242 is not a USB capture"},
    {PCAP_189, 30, 0, 0, 0, 24, "pcap record at byte 24: truncated header (6 of 16 bytes)"},
    {PCAP_189, 80, 0, 0, 0, 32, "captured length 52 runs past the end of the file (40 bytes left)"},
    {PCAP_189, -1, 16, 4, 40, 32, "pcap record at byte 24: captured length 52 exceeds the snap length 40"},
    {PCAP_189, -1, 36, 4, 10, 32, "captured length 52 exceeds the original length 10"},
    {PCAP_189, -1, 28, 4, 1000000, 28, "1000000 microseconds is not under a second"},
    {PCAP_189, -1, 32, 4, 20, 40, "20 captured bytes, fewer than the 48-byte usbmon header"},
    {PCAP_189, -1, 20, 4, 220, 40, "fewer than the 64-byte usbmon header"},
    {PCAP_189, -1, 48, 1, 'X', 48, "usbmon event type 0x58"},
    {PCAP_189, -1, 49, 1, 7, 49, "usbmon transfer type 7"},
    {PCAP_189, -1, 50, 1, 0x90, 50, "endpoint 16"},
    {PCAP_189, -1, 51, 1, 200, 51, "device address 200"},
    {PCAP_249, -1, 40, 2, 20, 40, "USBPcap header length 20"},
    {PCAP_249, -1, 40, 2, 27, 40, "control header length 27"},
    {PCAP_249, -1, 62, 1, 9, 62, "USBPcap transfer type 9"},
    {PCAP_249, -1, 59, 2, 300, 59, "device address 300"},
    {PCAP_249, -1, 61, 1, 0x1f, 61, "endpoint 31"},
    {PCAP_249, -1, 63, 4, 7, 63, "USBPcap data length 7, but 8 bytes follow"},
    {PCAP_249, -1, 63, 4, 9, 63, "USBPcap data length 9, but 8 bytes follow"},
    {PCAP_249, -1, 67, 1, 5, 67, "control stage 5"},
    {PCAP_249, -1, 56, 1, 1, 56, "a SETUP stage on the completion path"},
    {PCAP_249, -1, 67, 1, 1, 67, "an OUT DATA stage not right after its SETUP stage"},
    {PCAPNG_189, 0, 0, 0, 0, 0, "pcapng: an empty file"},
    {PCAPNG_189, -1, 8, 4, 0x11223344, 8, "byte-order magic 0x11223344"},
    {PCAPNG_189, -1, 12, 2, 2, 12, "section version 2"},
    {PCAPNG_189, -1, 0, 4, 1, 0, "does not open with a section header block"},
    {PCAPNG_189, -1, 52, 4, 85, 52, "pcapng block at byte 48: total length 85 is not a multiple of 4"},
    {PCAPNG_189, -1, 52, 4, 8, 52, "total length 8 is under 12"},
    {PCAPNG_189, -1, 52, 4, 88, 52, "total length 88 runs past the end of the file (84 bytes left)"},
    {PCAPNG_189, 120, 0, 0, 0, 52, "total length 84 runs past the end of the file (72 bytes left)"},
    {PCAPNG_189, 56, 0, 0, 0, 48, "truncated (8 bytes left, a block has at least 12)"},
    {PCAPNG_189, -1, 128, 4, 88, 128, "trailing total length 88 does not match the leading 84"},
    {PCAPNG_189, -1, 56, 4, 3, 56, "interface 3 is not described (the section has 1)"},
    {PCAPNG_189, -1, 36, 2, 1, 76, "pcapng block at byte 48: link type 1 (Ethernet) is not a USB capture"},
    {PCAPNG_189, -1, 68, 4, 60, 68, "captured length 60 exceeds the block's 52 bytes"},
    {PCAPNG_189, -1, 72, 4, 50, 68, "captured length 52 exceeds the original length 50"},
    {PCAPNG_189, -1, 40, 4, 30, 68, "captured length 52 exceeds the snap length 30"},
};

/* Criterion runs each parameter in a process of its own: the parameters
 * are indices into the table, which every process has. */
static size_t refusal_index[sizeof refusals / sizeof refusals[0]];

ParameterizedTestParameters(capture_binary, refusals)
{
    for (size_t i = 0; i < sizeof refusal_index / sizeof refusal_index[0]; i++)
        refusal_index[i] = i;
    return cr_make_param_array(size_t, refusal_index,
                               sizeof refusal_index / sizeof refusal_index[0]);
}

ParameterizedTest(size_t *k, capture_binary, refusals, .fini = fini)
{
    static uint8_t buf[4096];
    const struct refusal *r = &refusals[*k];
    size_t n = base_capture(r->base, buf);
    for (int i = 0; i < r->width; i++)
        buf[r->at + (size_t)i] = (uint8_t)(r->value >> 8 * i);
    if (r->cut >= 0)
        n = (size_t)r->cut;
    uint8_t *exact = malloc(n ? n : 1);
    memcpy(exact, buf, n);
    cap_init(&cap);
    enum iosim_err e = r->base == PCAPNG_189 ? cap_parse_pcapng(exact, n, &cap, &err)
                                             : cap_parse_pcap(exact, n, &cap, &err);
    free(exact);
    cr_assert_eq(e, IOSIM_EPARSE, "row %zu accepted", *k);
    cr_expect_eq(cap.n, 0, "nothing half-parsed");
    cr_expect(strstr(err.msg, r->says) != NULL, "row %zu: '%s' does not say '%s'", *k, err.msg,
              r->says);
    cr_expect_eq(err.offset, r->offset, "row %zu: %s: offset %" PRIu64, *k, err.msg, err.offset);
    cr_expect_eq(err.line, 0);
}

Test(capture_binary, the_unpatched_bases_are_valid, .fini = fini)
{
    static uint8_t buf[4096];
    for (int b = PCAP_189; b <= PCAPNG_189; b++) {
        size_t n = base_capture((enum base)b, buf);
        enum iosim_err e = b == PCAPNG_189 ? cap_parse_pcapng(buf, n, &cap, &err)
                                           : cap_parse_pcap(buf, n, &cap, &err);
        cr_assert_eq(e, IOSIM_OK, "base %d: byte %" PRIu64 ": %s", b, err.offset, err.msg);
        cr_expect_eq(cap.n, 1);
        cap_free(&cap);
    }
}

/* Random damage: a byte changed, removed or duplicated, the file cut. The
 * readers answer (parse or refuse), never crash or read out of bounds
 * (ASan builds), and a refusal leaves nothing and names a byte inside. */
Test(capture_binary, random_damage_is_parsed_or_refused_cleanly, .fini = fini)
{
    static uint8_t good[BUF_MAX];
    static uint8_t bad[BUF_MAX + 1];
    struct sim_rng g;
    sim_rng_stream(&g, 7, "pcap-damage");
    int refused = 0, rounds = 0;
    for (int which = 0; which < 4; which++) {
        size_t n = which < 3 ? write_pcap(good, 100 + (uint64_t)which, which & 1, false,
                                          (uint32_t[]){189, 220, 249}[which])
                             : write_pcapng(good, 5);
        for (int round = 0; round < 1500; round++, rounds++) {
            size_t m = n, at = (size_t)sim_rng_below(&g, n);
            memcpy(bad, good, n);
            switch (sim_rng_below(&g, 4)) {
            case 0: bad[at] = (uint8_t)sim_rng_next(&g); break;
            case 1: memmove(bad + at, bad + at + 1, n - at - 1); m--; break;
            case 2: memmove(bad + at + 1, bad + at, n - at); m++; break;
            default: m = at; break;
            }
            uint8_t *exact = malloc(m ? m : 1);
            memcpy(exact, bad, m);
            enum iosim_err e = which < 3 ? cap_parse_pcap(exact, m, &cap, &err)
                                         : cap_parse_pcapng(exact, m, &cap, &err);
            free(exact);
            cr_assert(e == IOSIM_OK || e == IOSIM_EPARSE, "round %d: %d", round, e);
            if (e == IOSIM_EPARSE) {
                refused++;
                cr_assert_eq(cap.n, 0);
                cr_assert(err.offset <= m && err.msg[0] != '\0', "round %d: %s", round, err.msg);
            }
            cap_free(&cap);
        }
    }
    cr_log_info("%d of %d damaged captures refused", refused, rounds);
    cr_expect(refused > 0);
}
