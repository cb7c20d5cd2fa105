/*
 * sim_shrink (sim/run/shrink.h) against failures whose cause is known: a
 * synthetic test fails exactly when some essential decisions (each of a
 * kind, within a window of choice indices), some essential faults and
 * counts at or above thresholds are all present. From a random superset,
 * shrinking must find exactly the essentials, each decision at the end of
 * its window, and each count at its threshold - within the run budget,
 * the same way every time.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/engine/rng.h"
#include "sim/run/shrink.h"

#define ESSENTIAL_MAX 4u

struct cause {
    uint32_t n;
    struct { uint64_t lo, hi; enum sim_dec_kind kind; } dec[ESSENTIAL_MAX];
    bool fault[SIM_SHRINK_FAULTS_MAX];
    uint64_t count_at_least[SIM_SHRINK_COUNTS_MAX];
    uint32_t calls;
};

static bool has_decision(const struct sim_shrink_cand *c, uint64_t lo, uint64_t hi,
                         enum sim_dec_kind kind)
{
    for (uint32_t i = 0; i < c->dec.n; i++)
        if (c->dec.v[i].kind == kind && c->dec.v[i].at >= lo && c->dec.v[i].at <= hi)
            return true;
    return false;
}

static bool still_fails(void *ctx, const struct sim_shrink_cand *c, uint64_t *choices)
{
    struct cause *k = ctx;
    *choices = 0; /* unknown: no shifting */
    k->calls++;
    for (uint32_t i = 0; i < k->n; i++)
        if (!has_decision(c, k->dec[i].lo, k->dec[i].hi, k->dec[i].kind))
            return false;
    for (uint32_t i = 0; i < c->fault_n; i++)
        if (k->fault[i] && !c->fault_on[i])
            return false;
    for (uint32_t i = 0; i < c->count_n; i++)
        if (c->count[i] < k->count_at_least[i])
            return false;
    return true;
}

/* A failing candidate with noise around the cause, and the cause. */
static void make_case(struct sim_rng *g, struct sim_shrink_cand *c, struct cause *k,
                      uint64_t *horizon)
{
    memset(k, 0, sizeof *k);
    k->n = 1 + (uint32_t)sim_rng_below(g, ESSENTIAL_MAX);
    uint64_t at = 0;
    for (uint32_t i = 0; i < k->n; i++) { /* disjoint windows, in order */
        k->dec[i].lo = at + 1 + sim_rng_below(g, 50);
        k->dec[i].hi = k->dec[i].lo + sim_rng_below(g, 40);
        k->dec[i].kind = (enum sim_dec_kind)(1 + sim_rng_below(g, 3));
        at = k->dec[i].hi;
    }
    *horizon = at + 1 + sim_rng_below(g, 100);
    uint32_t e = 0;
    for (uint64_t a = 0; a < *horizon; a++) { /* noise, and each essential once */
        bool need = e < k->n && a == k->dec[e].lo + (k->dec[e].hi - k->dec[e].lo) / 3;
        if (need)
            sim_dec_push(&c->dec, a, k->dec[e++].kind, 1);
        else if (sim_rng_chance(g, 300))
            sim_dec_push(&c->dec, a, (enum sim_dec_kind)(1 + sim_rng_below(g, 3)), 1);
    }
    cr_assert_eq(e, k->n);
    c->fault_n = (uint32_t)sim_rng_below(g, 12);
    for (uint32_t i = 0; i < c->fault_n; i++) {
        c->fault_on[i] = true;
        k->fault[i] = sim_rng_chance(g, 250);
    }
    c->count_n = (uint32_t)sim_rng_below(g, 3);
    for (uint32_t i = 0; i < c->count_n; i++) {
        c->count_min[i] = 1;
        c->count[i] = 1 + sim_rng_below(g, 1000);
        k->count_at_least[i] = 1 + sim_rng_below(g, c->count[i]);
    }
}

Test(shrink, finds_exactly_the_cause_as_late_as_it_goes)
{
    struct sim_rng g;
    sim_rng_seed(&g, 2026);
    for (int round = 0; round < 300; round++) {
        struct sim_shrink_cand c = {0};
        struct cause k;
        uint64_t horizon;
        make_case(&g, &c, &k, &horizon);
        uint64_t ch;
        cr_assert(still_fails(&k, &c, &ch));
        struct sim_shrink_stats st;
        cr_assert_eq(sim_shrink(&c, horizon, 100000, still_fails, &k, &st), IOSIM_OK);
        cr_assert(!st.budget_out);
        cr_assert(still_fails(&k, &c, &ch), "round %d: the result no longer fails", round);
        cr_assert_eq(c.dec.n, k.n, "round %d: %u decisions left, cause has %u", round, c.dec.n,
                     k.n);
        for (uint32_t i = 0; i < k.n; i++) {
            cr_assert_eq(c.dec.v[i].kind, k.dec[i].kind);
            cr_assert_eq(c.dec.v[i].at, k.dec[i].hi, "round %d: decision %u at %llu, not %llu",
                         round, i, (unsigned long long)c.dec.v[i].at,
                         (unsigned long long)k.dec[i].hi);
        }
        for (uint32_t i = 0; i < c.fault_n; i++)
            cr_assert_eq(c.fault_on[i], k.fault[i], "round %d: fault %u", round, i);
        for (uint32_t i = 0; i < c.count_n; i++)
            cr_assert_eq(c.count[i], k.count_at_least[i], "round %d: count %u", round, i);
        cr_assert_eq(st.dec_after, k.n);
        cr_assert_eq(st.runs, k.calls - 2); /* every call but the two checks here */
        sim_shrink_cand_free(&c);
    }
}

Test(shrink, stops_at_the_budget_with_a_failing_candidate)
{
    struct sim_rng g;
    sim_rng_seed(&g, 7);
    for (int round = 0; round < 100; round++) {
        struct sim_shrink_cand c = {0};
        struct cause k;
        uint64_t horizon;
        make_case(&g, &c, &k, &horizon);
        uint32_t before = c.dec.n;
        struct sim_shrink_stats st;
        uint32_t budget = 1 + (uint32_t)sim_rng_below(&g, 30);
        cr_assert_eq(sim_shrink(&c, horizon, budget, still_fails, &k, &st), IOSIM_OK);
        cr_assert_leq(st.runs, budget);
        cr_assert_leq(c.dec.n, before);
        uint64_t ch;
        cr_assert(still_fails(&k, &c, &ch), "round %d: cut short, the result must still fail", round);
        sim_shrink_cand_free(&c);
    }
}

Test(shrink, is_deterministic)
{
    struct sim_rng g1, g2;
    sim_rng_seed(&g1, 99);
    sim_rng_seed(&g2, 99);
    for (int round = 0; round < 50; round++) {
        struct sim_shrink_cand a = {0}, b = {0};
        struct cause ka, kb;
        uint64_t ha, hb;
        make_case(&g1, &a, &ka, &ha);
        make_case(&g2, &b, &kb, &hb);
        struct sim_shrink_stats sa, sb;
        sim_shrink(&a, ha, 40, still_fails, &ka, &sa);
        sim_shrink(&b, hb, 40, still_fails, &kb, &sb);
        cr_assert_eq(sa.runs, sb.runs);
        cr_assert_eq(a.dec.n, b.dec.n);
        for (uint32_t i = 0; i < a.dec.n; i++) {
            cr_assert_eq(a.dec.v[i].at, b.dec.v[i].at);
            cr_assert_eq(a.dec.v[i].kind, b.dec.v[i].kind);
        }
        sim_shrink_cand_free(&a);
        sim_shrink_cand_free(&b);
    }
}

Test(shrink, a_run_that_needs_nothing_shrinks_to_nothing)
{
    struct sim_shrink_cand c = {0};
    for (uint64_t a = 0; a < 100; a += 3)
        sim_dec_push(&c.dec, a, SIM_DEC_PREEMPT, 1);
    struct cause k = {0};
    struct sim_shrink_stats st;
    cr_assert_eq(sim_shrink(&c, 100, 1000, still_fails, &k, &st), IOSIM_OK);
    cr_assert_eq(c.dec.n, 0);
    cr_assert_eq(st.runs, 1, "one try removes everything");
    sim_shrink_cand_free(&c);
}
