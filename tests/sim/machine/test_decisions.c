/*
 * The schedule-decision list (sim/machine/decisions.h): its text form
 * against a reference model on random lists, one test per rule of the
 * syntax, and the replay cursor.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sim/engine/rng.h"
#include "sim/machine/decisions.h"

/* A random well-formed list: increasing indices, any kind and value. */
static void random_list(struct sim_rng *g, struct sim_decisions *d, uint32_t n)
{
    uint64_t at = sim_rng_below(g, 4);
    for (uint32_t i = 0; i < n; i++) {
        enum sim_dec_kind k = (enum sim_dec_kind)(1 + sim_rng_below(g, 3));
        uint64_t v = k == SIM_DEC_PREEMPT ? 1 + sim_rng_below(g, 3)
                                          : 1 + sim_rng_below(g, UINT64_MAX - 1);
        cr_assert_eq(sim_dec_push(d, at, k, v), IOSIM_OK);
        at += 1 + sim_rng_below(g, 1000);
    }
}

Test(decisions, text_round_trip_on_random_lists)
{
    struct sim_rng g;
    sim_rng_seed(&g, 42);
    static char text[1 << 16];
    for (int round = 0; round < 500; round++) {
        struct sim_decisions a = {0}, b = {0};
        random_list(&g, &a, (uint32_t)sim_rng_below(&g, 60));
        size_t len = sim_dec_format(&a, text, sizeof text);
        cr_assert_lt(len, sizeof text);
        cr_assert_eq(strlen(text), len);
        char msg[128];
        cr_assert_eq(sim_dec_parse(text, &b, msg, sizeof msg), IOSIM_OK, "%s: %s", text, msg);
        cr_assert_eq(b.n, a.n);
        for (uint32_t i = 0; i < a.n; i++) {
            cr_assert_eq(b.v[i].at, a.v[i].at);
            cr_assert_eq(b.v[i].kind, a.v[i].kind);
            cr_assert_eq(b.v[i].value, a.v[i].value);
        }
        sim_dec_free(&a);
        sim_dec_free(&b);
    }
}

Test(decisions, a_short_buffer_gets_whole_entries_and_the_length_needed)
{
    struct sim_decisions d = {0};
    sim_dec_push(&d, 5, SIM_DEC_PREEMPT, 1);
    sim_dec_push(&d, 17, SIM_DEC_PICK, 2);
    char full[64], part[8];
    size_t need = sim_dec_format(&d, full, sizeof full);
    cr_assert_str_eq(full, "p5,k17=2");
    cr_assert_eq(sim_dec_format(&d, part, sizeof part), need);
    cr_assert_str_eq(part, "p5");
    cr_assert_eq(sim_dec_format(&d, NULL, 0), need);
    sim_dec_free(&d);
}

Test(decisions, none_is_the_empty_schedule)
{
    struct sim_decisions d = {0};
    char text[16], msg[128];
    sim_dec_format(&d, text, sizeof text);
    cr_assert_str_eq(text, "none");
    cr_assert_eq(sim_dec_parse("none", &d, msg, sizeof msg), IOSIM_OK);
    cr_assert_eq(d.n, 0);
    cr_assert_eq(sim_dec_parse("", &d, msg, sizeof msg), IOSIM_OK);
    cr_assert_eq(d.n, 0);
}

Test(decisions, a_preemption_reason_other_than_random_is_written)
{
    struct sim_decisions d = {0};
    char msg[128], text[32];
    cr_assert_eq(sim_dec_parse("p3=2,p9", &d, msg, sizeof msg), IOSIM_OK);
    cr_assert_eq(d.v[0].value, 2);
    cr_assert_eq(d.v[1].value, 1);
    sim_dec_format(&d, text, sizeof text);
    cr_assert_str_eq(text, "p3=2,p9");
    sim_dec_free(&d);
}

/* One row per rule of the syntax: the text, the byte the error names. */
static const struct {
    const char *text;
    const char *why;
} bad[] = {
    {"x1", "byte 0: expected p, s or k"},
    {"p", "byte 1: expected a choice index"},
    {"s4", "byte 2: expected =value"},
    {"k4=0", "byte 4: expected a value of at least 1"},
    {"k4=", "byte 3: expected a value of at least 1"},
    {"p4,p4", "byte 5: choice indices must increase"},
    {"p9,p3", "byte 5: choice indices must increase"},
    {"p1;p2", "byte 2: expected , between entries"},
    {"p1,", "byte 2: expected an entry after ,"},
    {"p99999999999999999999", "byte 1: expected a choice index"},
    {"s1=99999999999999999999", "byte 3: expected a value of at least 1"},
};

Test(decisions, each_malformed_text_is_refused_naming_the_byte)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sim_decisions d = {0};
        char msg[128];
        cr_assert_eq(sim_dec_parse(bad[i].text, &d, msg, sizeof msg), IOSIM_EINVAL, "%s",
                     bad[i].text);
        cr_assert(strstr(msg, bad[i].why) != NULL, "%s: got '%s'", bad[i].text, msg);
        cr_assert_eq(d.n, 0);
        sim_dec_free(&d);
    }
}

Test(decisions, the_cursor_finds_each_entry_once_in_order)
{
    struct sim_decisions d = {0};
    char msg[64];
    cr_assert_eq(sim_dec_parse("p2,k5=1,s9=7", &d, msg, sizeof msg), IOSIM_OK);
    uint32_t pos = 0;
    int found = 0;
    for (uint64_t at = 0; at < 12; at++) {
        const struct sim_dec *e = sim_dec_lookup(&d, at, &pos);
        if (e != NULL) {
            cr_assert_eq(e->at, at);
            found++;
        } else {
            cr_assert(at != 2 && at != 5 && at != 9);
        }
    }
    cr_assert_eq(found, 3);
    sim_dec_free(&d);
}

Test(decisions, copy_is_independent)
{
    struct sim_decisions a = {0}, b = {0};
    sim_dec_push(&a, 1, SIM_DEC_STALL, 40);
    cr_assert_eq(sim_dec_copy(&b, &a), IOSIM_OK);
    a.v[0].value = 3;
    cr_assert_eq(b.v[0].value, 40);
    sim_dec_free(&a);
    sim_dec_free(&b);
}
