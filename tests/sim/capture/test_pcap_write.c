/*
 * The pcap writer (sim/capture/pcap_write.c): seeded random captures
 * written with cap_write_pcap and read back with cap_parse (format told
 * from the content) are the same captures, field for field; the file's
 * header is what Wireshark expects (nanosecond magic, link type 220); an
 * empty capture is a header only; a time past pcap's seconds is refused
 * with the buffer unchanged.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <string.h>

#include "sim/capture/capture.h"
#include "sim/capture/pcap_write.h"
#include "sim/engine/rng.h"

#define SEEDS 32
#define EVENTS_MAX 300
#define DATA_MAX 600u

static struct cap_capture want, got;
static struct cap_buf buf;

static void init(void)
{
    cap_init(&want);
    cap_init(&got);
    cap_buf_init(&buf);
}

static void fini(void)
{
    cap_free(&want);
    cap_free(&got);
    cap_buf_free(&buf);
}

/* A random event of the kinds usbmon records; t_ns in nanoseconds since
 * the epoch, below pcap's limit. */
static void random_event(struct sim_rng *g, uint64_t t_ns, struct cap_event *e, uint8_t *data)
{
    memset(e, 0, sizeof *e);
    e->urb = sim_rng_next(g);
    e->t_ns = t_ns;
    e->kind = "SCE"[sim_rng_below(g, 3)];
    e->xfer = (uint8_t)sim_rng_below(g, 4);
    e->ep = (uint8_t)(sim_rng_below(g, 16) | (sim_rng_below(g, 2) ? CAP_EP_IN : 0));
    e->dev = (uint8_t)sim_rng_below(g, 128);
    e->bus = (uint16_t)sim_rng_below(g, 65536);
    e->status = e->kind == 'S' ? -115 : (int32_t)sim_rng_below(g, 200) - 150;
    e->has_setup = e->kind == 'S' && e->xfer == CAP_XFER_CTRL && sim_rng_below(g, 4) != 0;
    for (int i = 0; i < 8 && e->has_setup; i++)
        e->setup[i] = (uint8_t)sim_rng_next(g);
    e->length = (uint32_t)sim_rng_next(g);
    /* mostly short (usbmon text's 32), sometimes none, sometimes long */
    uint32_t pick = (uint32_t)sim_rng_below(g, 8);
    e->data_len = pick == 0 ? 0 : pick < 6 ? (uint32_t)sim_rng_below(g, 33)
                                           : (uint32_t)sim_rng_below(g, DATA_MAX + 1);
    for (uint32_t i = 0; i < e->data_len; i++)
        data[i] = (uint8_t)sim_rng_next(g);
}

static void random_capture(uint64_t seed, size_t *n)
{
    static uint8_t data[DATA_MAX];
    struct sim_rng g;
    sim_rng_stream(&g, seed, "pcap_write");
    *n = (size_t)sim_rng_below(&g, EVENTS_MAX + 1);
    /* from the epoch (what export writes) or anywhere up to pcap's end */
    uint64_t t = seed % 2 ? 0 : sim_rng_below(&g, 4000000000ull) * 1000000000ull;
    for (size_t i = 0; i < *n; i++) {
        struct cap_event e;
        t += sim_rng_below(&g, 3) == 0 ? 0 : sim_rng_below(&g, 3000000000ull);
        random_event(&g, t, &e, data);
        cr_assert_eq(cap_push(&want, &e, data), IOSIM_OK);
    }
}

static void expect_same(uint64_t seed)
{
    cr_assert_eq(got.n, want.n, "seed %" PRIu64 ": %zu events, want %zu", seed, got.n, want.n);
    for (size_t i = 0; i < want.n; i++) {
        const struct cap_event *g = &got.ev[i], *w = &want.ev[i];
        cr_assert(g->urb == w->urb && g->t_ns == w->t_ns && g->kind == w->kind &&
                      g->xfer == w->xfer && g->ep == w->ep && g->dev == w->dev &&
                      g->bus == w->bus && g->has_setup == w->has_setup &&
                      g->status == w->status && g->length == w->length &&
                      g->data_len == w->data_len,
                  "seed %" PRIu64 " event %zu: t %" PRIu64 "/%" PRIu64 " kind %c/%c status "
                  "%d/%d len %u/%u kept %u/%u",
                  seed, i, g->t_ns, w->t_ns, g->kind, w->kind, g->status, w->status,
                  g->length, w->length, g->data_len, w->data_len);
        if (w->has_setup)
            cr_assert_arr_eq(g->setup, w->setup, 8, "seed %" PRIu64 " event %zu", seed, i);
        if (w->data_len > 0)
            cr_assert_arr_eq(cap_data(&got, g), cap_data(&want, w), w->data_len,
                             "seed %" PRIu64 " event %zu", seed, i);
    }
}

static size_t seed_index[SEEDS];

ParameterizedTestParameters(pcap_write, random_captures_read_back_field_for_field)
{
    for (size_t i = 0; i < SEEDS; i++)
        seed_index[i] = i;
    return cr_make_param_array(size_t, seed_index, SEEDS);
}

ParameterizedTest(size_t *k, pcap_write, random_captures_read_back_field_for_field,
                  .init = init, .fini = fini)
{
    uint64_t seed = 1 + *k;
    size_t n;
    random_capture(seed, &n);
    cr_assert_eq(cap_write_pcap(&want, &buf), IOSIM_OK, "seed %" PRIu64, seed);
    struct cap_error err;
    enum iosim_err e = cap_parse(buf.p, buf.n, &got, &err);
    cr_assert_eq(e, IOSIM_OK, "seed %" PRIu64 ": byte %" PRIu64 ": %s", seed, err.offset, err.msg);
    cr_expect_str_eq(got.format, "pcap-220-ns");
    expect_same(seed);
}

Test(pcap_write, header_is_nanosecond_little_endian_link_type_220, .init = init, .fini = fini)
{
    static const uint8_t head[24] = {0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                     0,    0,    0,    0,    0, 0, 4, 0, 220, 0, 0, 0};
    cr_assert_eq(cap_write_pcap(&want, &buf), IOSIM_OK);
    cr_assert_eq(buf.n, 24u, "an empty capture is the file header alone");
    cr_assert_arr_eq(buf.p, head, 24);
    cr_assert_eq(cap_parse(buf.p, buf.n, &got, NULL), IOSIM_OK);
    cr_assert_eq(got.n, 0u);
}

/* One event as Linux's mon_bin.c writes its header: the flags Wireshark
 * reads to know whether setup and data follow. */
Test(pcap_write, flags_are_linux_ones, .init = init, .fini = fini)
{
    static const uint8_t d[4] = {1, 2, 3, 4};
    struct cap_event s = {.urb = 7, .t_ns = 1500000123, .kind = 'S', .xfer = CAP_XFER_CTRL,
                          .ep = CAP_EP_IN, .dev = 3, .bus = 1, .status = -115,
                          .has_setup = true, .setup = {0x80, 6, 0, 2, 0, 0, 0x20, 0},
                          .length = 32};
    struct cap_event c = {.urb = 7, .t_ns = 1500000999, .kind = 'C', .xfer = CAP_XFER_CTRL,
                          .ep = CAP_EP_IN, .dev = 3, .bus = 1, .length = 4, .data_len = 4};
    cr_assert_eq(cap_push(&want, &s, NULL), IOSIM_OK);
    cr_assert_eq(cap_push(&want, &c, d), IOSIM_OK);
    cr_assert_eq(cap_write_pcap(&want, &buf), IOSIM_OK);
    const uint8_t *h1 = buf.p + 24 + 16, *h2 = h1 + 64 + 16;
    cr_expect_eq(h1[14], 0, "setup present");
    cr_expect_eq(h1[15], '<', "IN submission: no data yet");
    cr_expect_eq(h2[14], '-');
    cr_expect_eq(h2[15], 0, "data present");
    cr_expect_eq(h1[16] | h1[17] << 8, 1, "ts_sec");
    cr_expect_eq(h1[24] | h1[25] << 8 | h1[26] << 16, 500000, "ts_usec of 1.500000123 s");
    cr_expect_eq(buf.n, 24u + 2 * (16 + 64) + 4);
}

Test(pcap_write, time_past_pcap_seconds_is_refused_and_buffer_kept, .init = init, .fini = fini)
{
    struct cap_event e = {.t_ns = (0xffffffffull + 1) * 1000000000ull, .kind = 'S'};
    cr_assert_eq(cap_push(&want, &e, NULL), IOSIM_OK);
    cr_assert_eq(cap_write_pcap(&want, &buf), IOSIM_ERANGE);
    cr_assert_eq(buf.n, 0u);
}
