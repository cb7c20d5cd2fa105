/*
 * usbmon text (sim/capture/usbmon_text.c): the kernel documentation's own
 * examples, one row per clause of the format that must be refused (with
 * its line, column and reason), seeded random events written the way
 * mon_text.c writes them and read back field for field, the clock's wrap,
 * and random damage to a valid capture (never a crash, never a partial
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

/* Parses text from a buffer of exactly its length (ASan sees overreads). */
static enum iosim_err parse(const char *text)
{
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    cr_assert(copy != NULL);
    memcpy(copy, text, n);
    enum iosim_err e = cap_parse_usbmon_text(copy, n, &cap, &err);
    free(copy);
    return e;
}

static void fini(void) { cap_free(&cap); }

/* Documentation/usb/usbmon.rst's examples ("u" format). */
Test(usbmon_text, the_documentations_examples, .fini = fini)
{
    cr_assert_eq(parse("d5ea89a0 3575914555 S Ci:1:001:0 s a3 00 0000 0003 0004 4 <\n"
                       "d5ea89a0 3575914560 C Ci:1:001:0 0 4 = 01050000\n"
                       "dd65f0e8 4128379752 S Bo:1:005:2 -115 31 = 55534243 ad000000 00800000 "
                       "80010a28 20000000 20000040 00000000 000000\n"
                       "dd65f0e8 4128379808 C Bo:1:005:2 0 31 >\n"),
                 IOSIM_OK, "%" PRIu64 ":%" PRIu64 ": %s", err.line, err.col, err.msg);
    cr_assert_eq(cap.n, 4);
    cr_expect_str_eq(cap.format, "usbmon-u");
    const struct cap_event *s = &cap.ev[0], *c = &cap.ev[1], *cbw = &cap.ev[2];
    cr_expect_eq(s->urb, 0xd5ea89a0);
    cr_expect_eq(s->t_ns, 3575914555ull * 1000);
    cr_expect_eq(s->kind, 'S');
    cr_expect_eq(s->xfer, CAP_XFER_CTRL);
    cr_expect_eq(s->ep, CAP_EP_IN | 0);
    cr_expect_eq(s->bus, 1);
    cr_expect_eq(s->dev, 1);
    cr_expect(s->has_setup);
    const uint8_t setup[8] = {0xa3, 0x00, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00};
    cr_expect_arr_eq(s->setup, setup, 8);
    cr_expect_eq(s->length, 4);
    cr_expect_eq(s->data_len, 0);
    cr_expect_eq(c->status, 0);
    cr_expect_eq(c->data_len, 4);
    cr_expect_arr_eq(cap_data(&cap, c), ((uint8_t[]){1, 5, 0, 0}), 4);
    cr_expect_eq(cbw->xfer, CAP_XFER_BULK);
    cr_expect_eq(cbw->ep, 2);
    cr_expect_eq(cbw->dev, 5);
    cr_expect_eq(cbw->status, -115);
    cr_expect_eq(cbw->length, 31);
    cr_assert_eq(cbw->data_len, 31);
    const uint8_t *d = cap_data(&cap, cbw);
    cr_expect_arr_eq(d, ((uint8_t[]){'U', 'S', 'B', 'C', 0xad}), 5);
    cr_expect_eq(d[15], 0x28, "the CDB's opcode: READ(10)");
    cr_expect_eq(cap.ev[3].where, 4);
}

Test(usbmon_text, the_t_format_has_no_bus, .fini = fini)
{
    cr_assert_eq(parse("d5ea89a0 3575914555 S Ci:001:00 s a3 00 0000 0003 0004 4 <\n"
                       "d5ea89a0 3575914560 C Ci:001:00 0 4 = 01050000\n"
                       "c1 1000 S Ii:002:01 -115 8 <\n"),
                 IOSIM_OK, "%" PRIu64 ":%" PRIu64 ": %s", err.line, err.col, err.msg);
    cr_expect_str_eq(cap.format, "usbmon-t");
    cr_expect_eq(cap.ev[0].bus, 0);
    cr_expect_eq(cap.ev[2].xfer, CAP_XFER_INTR);
    cr_expect_eq(cap.ev[2].ep, CAP_EP_IN | 1);
}

Test(usbmon_text, u_format_extras_interval_iso_filler_setup_error_events, .fini = fini)
{
    cr_assert_eq(parse("a1 10 S Ii:3:002:1 -115:8 4 <\n"
                       "a2 11 S Zi:3:002:3 -115:1:1234 2 0:0:192 0:192:192 384 <\n"
                       "a2 12 C Zi:3:002:3 0:1:1234:0 2 0:0:192 0:192:192 384 = 0102\n"
                       "a3 13 S Co:3:002:0 Z __ __ ____ ____ ____ 0 L\n"
                       "a4 14 E Bo:3:002:2 -19 0\n"
                       "\n   \n"
                       "a5 15 C Bi:3:002:1 -71 0 L\r\n"),
                 IOSIM_OK, "%" PRIu64 ":%" PRIu64 ": %s", err.line, err.col, err.msg);
    cr_assert_eq(cap.n, 6);
    cr_expect_eq(cap.ev[1].xfer, CAP_XFER_ISO);
    cr_expect_eq(cap.ev[1].length, 384);
    cr_expect_eq(cap.ev[2].data_len, 2);
    cr_expect_not(cap.ev[3].has_setup, "a filler setup was not captured");
    cr_expect_eq(cap.ev[4].kind, 'E');
    cr_expect_eq(cap.ev[4].status, -19);
    cr_expect_eq(cap.ev[5].status, -71);
    cr_expect_eq(cap.ev[5].where, 8);
}

Test(usbmon_text, the_clock_wraps_every_4096_seconds, .fini = fini)
{
    cr_assert_eq(parse("a 4095999000 S Bi:1:002:1 -115 512 <\n"
                       "a 500 C Bi:1:002:1 0 512 =\n"
                       "b 400 S Bi:1:002:1 -115 512 <\n"),
                 IOSIM_OK, "%s", err.msg);
    cr_expect_eq(cap.ev[1].t_ns, (4096000000ull + 500) * 1000);
    cr_expect_eq(cap.ev[2].t_ns, (4096000000ull + 400) * 1000, "a small step back is no wrap");
}

struct refusal {
    const char *text;
    uint64_t line, col;
    const char *says;
};

static const struct refusal refusals[] = {
    {"", 0, 1, "no usbmon events"},
    {"\n\n", 2, 1, "no usbmon events"},
    {"zz 1 S Bi:1:002:1 -115 4 <\n", 1, 1, "URB tag"},
    {"11223344556677889 1 S Bi:1:002:1 -115 4 <\n", 1, 1, "URB tag"},
    {"a 1x S Bi:1:002:1 -115 4 <\n", 1, 3, "timestamp"},
    {"a 1 X Bi:1:002:1 -115 4 <\n", 1, 5, "event type"},
    {"a 1 SC Bi:1:002:1 -115 4 <\n", 1, 5, "event type"},
    {"a 1 S Xi:1:002:1 -115 4 <\n", 1, 7, "the type is one of"},
    {"a 1 S Bx:1:002:1 -115 4 <\n", 1, 7, "the type is one of"},
    {"a 1 S Bi1:002:1 -115 4 <\n", 1, 7, "address: want"},
    {"a 1 S Bi:1:2:002:1 -115 4 <\n", 1, 7, "address: want"},
    {"a 1 S Bi:70000:002:1 -115 4 <\n", 1, 10, "the bus"},
    {"a 1 S Bi:1:128:1 -115 4 <\n", 1, 12, "the device"},
    {"a 1 S Bi:1:002:16 -115 4 <\n", 1, 16, "the endpoint"},
    {"a 1 S Bi:1:002: -115 4 <\n", 1, 16, "the endpoint"},
    {"a 1 S Bi:1:002:1 -115 4 <\nb 2 S Bi:002:01 -115 4 <\n", 2, 7, "\"t\" address in a \"u\""},
    {"a 1 S Bi:002:01 -115 4 <\nb 2 S Bi:1:002:1 -115 4 <\n", 2, 7, "\"u\" address in a \"t\""},
    {"a 1 S Bi:1:002:1 s 80 06 0100 0000 0012 18 <\n", 1, 18, "control submissions only"},
    {"a 1 C Ci:1:002:0 s 80 06 0100 0000 0012 18 <\n", 1, 18, "control submissions only"},
    {"a 1 S Ci:1:002:0 s 80 06 0100 0000\n", 1, 18, "five setup words"},
    {"a 1 S Ci:1:002:0 s 8 06 0100 0000 0012 18 <\n", 1, 20, "two hex digits"},
    {"a 1 S Ci:1:002:0 s 80 06 010 0000 0012 18 <\n", 1, 26, "four hex digits"},
    {"a 1 S Ci:1:002:0 s 80 06 0100 00g0 0012 18 <\n", 1, 31, "four hex digits"},
    {"a 1 S Bi:1:002:1 -1x5 4 <\n", 1, 18, "status: want a decimal"},
    {"a 1 S Bi:1:002:1 99999999999 4 <\n", 1, 18, "status: want a decimal"},
    {"a 1 S Ii:1:002:1 -115:8:1:2:3 4 <\n", 1, 29, "at most status:interval"},
    {"a 1 S Ii:1:002:1 -115: 4 <\n", 1, 23, "at most status:interval"},
    {"a 1 S Zi:1:002:1 -115:1:2 x <\n", 1, 27, "number of descriptors"},
    {"a 1 S Zi:1:002:1 -115:1:2 2 0:0:8 4 <\n", 1, 35, "status:offset:length"},
    {"a 1 S Zi:1:002:1 -115:1:2 1 0:x:8 8 <\n", 1, 31, "decimal numbers"},
    {"a 1 S Bi:1:002:1 -115\n", 1, 1, "ends before the data length"},
    {"a 1 S Bi:1:002:1 -115 4k <\n", 1, 23, "data length"},
    {"a 1 S Bi:1:002:1 -115 4 <<\n", 1, 25, "data tag"},
    {"a 1 C Bi:1:002:1 0 4 > 0102\n", 1, 24, "follow only the '=' tag"},
    {"a 1 C Bi:1:002:1 0 4 = 010\n", 1, 24, "one to four bytes"},
    {"a 1 C Bi:1:002:1 0 4 = 0102030405\n", 1, 24, "one to four bytes"},
    {"a 1 C Bi:1:002:1 0 4 = 01zz\n", 1, 24, "hex digits"},
    {"a 1 C Bi:1:002:1 0 40 = 00000000 00000000 00000000 00000000 00000000 00000000 "
     "00000000 00000000 00\n", 1, 97, "more than 32 bytes"},
    {"a 1 S Bi:1:002:1\n", 1, 7, "want at least"},
    {"a 1 S Bi:1:002:1 -115 4 <\na 2 S Bi\0:1:002:1 -115 4 <\n", 2, 1, "NUL"},
};

/* Criterion runs each parameter in a process of its own: the parameters
 * are indices into the table, which every process has. */
static size_t refusal_index[sizeof refusals / sizeof refusals[0]];

ParameterizedTestParameters(usbmon_text, refusals)
{
    for (size_t i = 0; i < sizeof refusal_index / sizeof refusal_index[0]; i++)
        refusal_index[i] = i;
    return cr_make_param_array(size_t, refusal_index,
                               sizeof refusal_index / sizeof refusal_index[0]);
}

ParameterizedTest(size_t *k, usbmon_text, refusals, .fini = fini)
{
    const struct refusal *r = &refusals[*k];
    /* the NUL row holds its NUL inside: measure it past the NUL */
    size_t n = strlen(r->text);
    if (strstr(r->says, "NUL") != NULL)
        n = strlen(r->text) + 1 + strlen(r->text + strlen(r->text) + 1);
    char *copy = malloc(n ? n : 1);
    memcpy(copy, r->text, n);
    cap_init(&cap);
    enum iosim_err e = cap_parse_usbmon_text(copy, n, &cap, &err);
    free(copy);
    cr_assert_eq(e, IOSIM_EPARSE, "row %zu accepted: %s", *k, r->text);
    cr_expect_eq(cap.n, 0, "nothing half-parsed");
    cr_expect(strstr(err.msg, r->says) != NULL, "row %zu: '%s' does not say '%s'", *k, err.msg,
              r->says);
    cr_expect_eq(err.line, r->line, "row %zu: %s: line %" PRIu64, *k, err.msg, err.line);
    cr_expect_eq(err.col, r->col, "row %zu: %s: column %" PRIu64, *k, err.msg, err.col);
}

/* ---- the model: random events written as mon_text.c writes them ---------- */

static const char type_letter[] = "ZICB";

static size_t write_event(char *buf, size_t cap_, const struct cap_event *e, const uint8_t *data,
                          bool u)
{
    size_t n = (size_t)snprintf(buf, cap_, "%llx %llu %c %c%c:", (unsigned long long)e->urb,
                                (unsigned long long)(e->t_ns / 1000), e->kind,
                                type_letter[e->xfer], e->ep & CAP_EP_IN ? 'i' : 'o');
    if (u)
        n += (size_t)snprintf(buf + n, cap_ - n, "%u:%03u:%u", e->bus, e->dev, e->ep & 0x7f);
    else
        n += (size_t)snprintf(buf + n, cap_ - n, "%03u:%02u", e->dev, e->ep & 0x7f);
    if (e->has_setup)
        n += (size_t)snprintf(buf + n, cap_ - n, " s %02x %02x %04x %04x %04x", e->setup[0],
                              e->setup[1], e->setup[2] | e->setup[3] << 8,
                              e->setup[4] | e->setup[5] << 8, e->setup[6] | e->setup[7] << 8);
    else
        n += (size_t)snprintf(buf + n, cap_ - n, " %d", e->status);
    n += (size_t)snprintf(buf + n, cap_ - n, " %u", e->length);
    if (e->data_len == 0) {
        n += (size_t)snprintf(buf + n, cap_ - n, " %c", e->kind == 'S' ? '<' : '>');
    } else {
        n += (size_t)snprintf(buf + n, cap_ - n, " =");
        for (uint32_t i = 0; i < e->data_len; i++)
            n += (size_t)snprintf(buf + n, cap_ - n, "%s%02x", i % 4 == 0 ? " " : "", data[i]);
    }
    n += (size_t)snprintf(buf + n, cap_ - n, "\n");
    return n;
}

static void random_event(struct sim_rng *g, struct cap_event *e, uint8_t *data, uint64_t t_us,
                         bool u)
{
    memset(e, 0, sizeof *e);
    e->urb = sim_rng_next(g);
    e->t_ns = t_us * 1000;
    e->kind = "SCE"[sim_rng_below(g, 3)];
    e->xfer = (uint8_t)(1 + sim_rng_below(g, 3)); /* no isochronous here */
    e->ep = (uint8_t)(sim_rng_below(g, 16) | (sim_rng_below(g, 2) ? CAP_EP_IN : 0));
    e->dev = (uint8_t)sim_rng_below(g, 128);
    e->bus = u ? (uint16_t)sim_rng_below(g, 65536) : 0;
    e->has_setup = e->kind == 'S' && e->xfer == CAP_XFER_CTRL && sim_rng_below(g, 2);
    for (int i = 0; i < 8 && e->has_setup; i++)
        e->setup[i] = (uint8_t)sim_rng_next(g);
    e->status = e->has_setup ? 0 : (int32_t)sim_rng_below(g, 200) - 150;
    e->length = (uint32_t)sim_rng_below(g, 1u << 20);
    e->data_len = (uint32_t)sim_rng_below(g, CAP_TEXT_DATA_MAX + 1);
    for (uint32_t i = 0; i < e->data_len; i++)
        data[i] = (uint8_t)sim_rng_next(g);
}

#define MODEL_EVENTS 200

Test(usbmon_text, random_events_read_back_field_for_field, .fini = fini)
{
    static char text[MODEL_EVENTS * 200];
    static struct cap_event want[MODEL_EVENTS];
    static uint8_t data[MODEL_EVENTS][CAP_TEXT_DATA_MAX];
    for (uint64_t seed = 1; seed <= 40; seed++) {
        struct sim_rng g;
        sim_rng_stream(&g, seed, "usbmon");
        bool u = seed % 2;
        size_t n = 0;
        uint64_t t = sim_rng_below(&g, 1000000);
        for (int i = 0; i < MODEL_EVENTS; i++) {
            t += sim_rng_below(&g, 5000);
            random_event(&g, &want[i], data[i], t, u);
            n += write_event(text + n, sizeof text - n, &want[i], data[i], u);
        }
        cr_assert_eq(cap_parse_usbmon_text(text, n, &cap, &err), IOSIM_OK,
                     "seed %" PRIu64 ": %" PRIu64 ":%" PRIu64 ": %s", seed, err.line, err.col,
                     err.msg);
        cr_assert_eq(cap.n, MODEL_EVENTS);
        for (int i = 0; i < MODEL_EVENTS; i++) {
            const struct cap_event *g2 = &cap.ev[i], *w = &want[i];
            cr_assert(g2->urb == w->urb && g2->t_ns == w->t_ns && g2->kind == w->kind &&
                          g2->xfer == w->xfer && g2->ep == w->ep && g2->dev == w->dev &&
                          g2->bus == w->bus && g2->has_setup == w->has_setup &&
                          g2->status == w->status && g2->length == w->length &&
                          g2->data_len == w->data_len && g2->where == (uint64_t)i + 1,
                      "seed %" PRIu64 " event %d", seed, i);
            cr_assert_arr_eq(g2->setup, w->setup, 8);
            cr_assert_arr_eq(cap_data(&cap, g2), data[i], w->data_len);
        }
        cap_free(&cap);
    }
}

/* Random damage: a byte changed, removed or duplicated, a line cut. The
 * parser must answer (parse or refuse), never crash or read out of bounds
 * (ASan builds), and a refusal leaves nothing and names a line it has. */
Test(usbmon_text, random_damage_is_parsed_or_refused_cleanly, .fini = fini)
{
    static char text[64 * 200], bad[64 * 200 + 1];
    static struct cap_event ev;
    static uint8_t data[CAP_TEXT_DATA_MAX];
    struct sim_rng g;
    sim_rng_stream(&g, 99, "usbmon-damage");
    size_t n = 0;
    for (int i = 0; i < 64; i++) {
        random_event(&g, &ev, data, (uint64_t)i * 100, true);
        n += write_event(text + n, sizeof text - n, &ev, data, true);
    }
    uint64_t lines = 64;
    static const char junk[] = " :=<-sZx0\n\t\0f9";
    for (int round = 0; round < 4000; round++) {
        size_t m = n, at = (size_t)sim_rng_below(&g, n);
        memcpy(bad, text, n);
        switch (sim_rng_below(&g, 4)) {
        case 0: bad[at] = junk[sim_rng_below(&g, sizeof junk - 1)]; break;
        case 1: memmove(bad + at, bad + at + 1, n - at - 1); m--; break;
        case 2: memmove(bad + at + 1, bad + at, n - at); m++; break;
        default: m = at; break;
        }
        enum iosim_err e = cap_parse_usbmon_text(bad, m, &cap, &err);
        cr_assert(e == IOSIM_OK || e == IOSIM_EPARSE, "round %d: %d", round, e);
        if (e == IOSIM_EPARSE) {
            cr_assert_eq(cap.n, 0);
            cr_assert(err.line <= lines + 1 && err.msg[0] != '\0', "round %d", round);
        }
        cap_free(&cap);
    }
}
