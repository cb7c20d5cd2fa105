/* sim/evq: a model-based test against a trivial reference (an unsorted
 * array searched for its minimum), then edge-case tables. Every random
 * sequence is seeded; a failure prints the seed and the step. */
#include <criterion/criterion.h>

#include <stdlib.h>

#include "sim/engine/evq.h"
#include "sim/engine/rng.h"

/* ---- the reference: an unsorted array, O(n) pop ---- */

struct ref_q {
    struct sim_evq_item *items;
    uint32_t len, cap;
    sim_time_ps floor_ps;
};

static bool item_less(struct sim_evq_item a, struct sim_evq_item b)
{
    return a.time_ps < b.time_ps || (a.time_ps == b.time_ps && a.tag < b.tag);
}

static void ref_init(struct ref_q *r, uint32_t cap)
{
    r->items = calloc(cap, sizeof *r->items);
    cr_assert_not_null(r->items);
    r->len = 0;
    r->cap = cap;
    r->floor_ps = 0;
}

static enum iosim_err ref_push(struct ref_q *r, sim_time_ps t, uint64_t tag)
{
    if (t < r->floor_ps)
        return IOSIM_EINVAL;
    if (r->len == r->cap)
        return IOSIM_ENOSPC;
    r->items[r->len++] = (struct sim_evq_item){t, tag};
    return IOSIM_OK;
}

static bool ref_min(const struct ref_q *r, uint32_t *at)
{
    if (r->len == 0)
        return false;
    uint32_t best = 0;
    for (uint32_t i = 1; i < r->len; i++)
        if (item_less(r->items[i], r->items[best]))
            best = i;
    *at = best;
    return true;
}

static bool ref_pop(struct ref_q *r, struct sim_evq_item *out)
{
    uint32_t at;
    if (!ref_min(r, &at))
        return false;
    *out = r->items[at];
    r->items[at] = r->items[--r->len];
    r->floor_ps = out->time_ps;
    return true;
}

/* ---- random operations ---- */

struct gen {
    struct sim_rng rng;
    uint64_t seq;            /* for engine-like growing tags */
    sim_time_ps recent[8];   /* times worth repeating */
};

/* A push time >= floor (or, rarely, below it): a mix of magnitudes so that
 * every level of the radix part is used, plus repeats and the top end. */
static sim_time_ps gen_time(struct gen *g, sim_time_ps floor_ps)
{
    static const uint32_t shifts[] = {0, 4, 8, 12, 16, 24, 32, 40, 48, 56, 62};
    uint64_t pick = sim_rng_below(&g->rng, 100);
    sim_time_ps t;
    if (pick < 10) {
        t = floor_ps;
    } else if (pick < 30) {
        t = g->recent[sim_rng_below(&g->rng, 8)];
    } else if (pick < 33) {
        t = UINT64_MAX - sim_rng_below(&g->rng, 300);
    } else if (pick < 35 && floor_ps > 0) {
        t = floor_ps - 1 - sim_rng_below(&g->rng, floor_ps < 1000 ? floor_ps : 1000);
    } else {
        uint32_t s = shifts[sim_rng_below(&g->rng, sizeof shifts / sizeof shifts[0])];
        uint64_t span = s >= 63 ? UINT64_MAX : (UINT64_C(2) << s) - 1;
        uint64_t off = sim_rng_range(&g->rng, 0, span);
        t = off > UINT64_MAX - floor_ps ? UINT64_MAX : floor_ps + off;
    }
    if (t >= floor_ps)
        g->recent[sim_rng_below(&g->rng, 8)] = t;
    return t;
}

static uint64_t gen_tag(struct gen *g)
{
    switch (sim_rng_below(&g->rng, 3)) {
    case 0:
        return g->seq++ << 16 | sim_rng_below(&g->rng, 1u << 16);
    case 1:
        return sim_rng_below(&g->rng, 64); /* many ties in tag too */
    default:
        return sim_rng_next(&g->rng);
    }
}

static void expect_same_pop(struct sim_evq *q, struct ref_q *r, uint64_t seed, uint32_t step)
{
    struct sim_evq_item a = {0, 0}, b = {0, 0};
    bool got_a = sim_evq_pop(q, &a);
    bool got_b = ref_pop(r, &b);
    cr_assert_eq(got_a, got_b, "seed %llu step %u: pop presence", (unsigned long long)seed, step);
    cr_assert(a.time_ps == b.time_ps && a.tag == b.tag,
              "seed %llu step %u: popped (%llu,%llu), want (%llu,%llu)",
              (unsigned long long)seed, step, (unsigned long long)a.time_ps,
              (unsigned long long)a.tag, (unsigned long long)b.time_ps,
              (unsigned long long)b.tag);
}

static void expect_same_peek(struct sim_evq *q, struct ref_q *r, uint64_t seed, uint32_t step)
{
    struct sim_evq_item a = {0, 0};
    uint32_t at = 0;
    bool got_a = sim_evq_peek(q, &a);
    bool got_b = ref_min(r, &at);
    cr_assert_eq(got_a, got_b, "seed %llu step %u: peek presence", (unsigned long long)seed, step);
    if (got_b)
        cr_assert(a.time_ps == r->items[at].time_ps && a.tag == r->items[at].tag,
                  "seed %llu step %u: peek differs", (unsigned long long)seed, step);
}

/* One seeded run: phases of push-heavy, pop-heavy and balanced traffic,
 * with bursts of one time, checked against the reference at every step. */
static void run_model(uint64_t seed, uint32_t steps)
{
    struct gen g = {.seq = 1};
    sim_rng_stream(&g.rng, seed, "evq-model");
    uint32_t cap = 1 + (uint32_t)sim_rng_below(&g.rng, 3000);
    struct sim_evq q;
    struct ref_q r;
    cr_assert_eq(sim_evq_init(&q, cap), IOSIM_OK, "seed %llu", (unsigned long long)seed);
    ref_init(&r, cap);
    uint32_t push_pct = 50;
    for (uint32_t step = 0; step < steps; step++) {
        if (step % 500 == 0)
            push_pct = (uint32_t)sim_rng_below(&g.rng, 101);
        uint64_t op = sim_rng_below(&g.rng, 100);
        if (op < 5) {
            expect_same_peek(&q, &r, seed, step);
        } else if (op < 5 + push_pct * 95 / 100) {
            uint32_t burst = sim_rng_chance(&g.rng, 50) ? 1 + (uint32_t)sim_rng_below(&g.rng, 100) : 1;
            sim_time_ps t = gen_time(&g, r.floor_ps);
            for (uint32_t k = 0; k < burst; k++) {
                uint64_t tag = gen_tag(&g);
                enum iosim_err want = ref_push(&r, t, tag);
                cr_assert_eq(sim_evq_push(&q, t, tag), want, "seed %llu step %u: push %llu",
                             (unsigned long long)seed, step, (unsigned long long)t);
            }
        } else {
            expect_same_pop(&q, &r, seed, step);
        }
        cr_assert_eq(sim_evq_len(&q), r.len, "seed %llu step %u", (unsigned long long)seed, step);
        cr_assert_eq(sim_evq_floor(&q), r.floor_ps, "seed %llu step %u", (unsigned long long)seed, step);
        if (step % 97 == 0 || cap < 64)
            cr_assert(sim_evq_check(&q), "seed %llu step %u: invariants", (unsigned long long)seed, step);
    }
    while (r.len > 0)
        expect_same_pop(&q, &r, seed, steps);
    cr_assert(sim_evq_check(&q));
    sim_evq_fini(&q);
    free(r.items);
}

Test(evq, pops_match_reference_when_operations_are_random)
{
    for (uint64_t seed = 1; seed <= 300; seed++)
        run_model(seed, 4000);
}

/* Hold model (pop the earliest, push it again a random time later), the
 * engine's steady state, with growing tags; odd seeds peek before every
 * pop, as an engine running up to a deadline does. */
Test(evq, pops_match_reference_when_holding)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct sim_rng rng;
        sim_rng_stream(&rng, seed, "evq-hold");
        uint32_t n = 1 + (uint32_t)sim_rng_below(&rng, 2000);
        uint64_t mean = 1 + sim_rng_below(&rng, 1000000);
        struct sim_evq q;
        struct ref_q r;
        cr_assert_eq(sim_evq_init(&q, n), IOSIM_OK);
        ref_init(&r, n);
        uint64_t tag = 0;
        for (uint32_t i = 0; i < n; i++, tag++) {
            sim_time_ps t = sim_rng_exp(&rng, mean);
            cr_assert_eq(sim_evq_push(&q, t, tag), IOSIM_OK);
            cr_assert_eq(ref_push(&r, t, tag), IOSIM_OK);
        }
        for (uint32_t step = 0; step < 20000; step++, tag++) {
            struct sim_evq_item a, b;
            if (seed % 2)
                expect_same_peek(&q, &r, seed, step);
            cr_assert(sim_evq_pop(&q, &a) && ref_pop(&r, &b));
            cr_assert(a.time_ps == b.time_ps && a.tag == b.tag, "seed %llu step %u",
                      (unsigned long long)seed, step);
            sim_time_ps t = a.time_ps + sim_rng_exp(&rng, mean);
            cr_assert_eq(sim_evq_push(&q, t, tag), IOSIM_OK);
            cr_assert_eq(ref_push(&r, t, tag), IOSIM_OK);
        }
        cr_assert(sim_evq_check(&q), "seed %llu", (unsigned long long)seed);
        sim_evq_fini(&q);
        free(r.items);
    }
}

/* ---- edge cases ---- */

static void pop_expect(struct sim_evq *q, sim_time_ps t, uint64_t tag)
{
    struct sim_evq_item it = {0, 0};
    cr_assert(sim_evq_pop(q, &it), "expected (%llu,%llu), queue empty", (unsigned long long)t,
              (unsigned long long)tag);
    cr_assert(it.time_ps == t && it.tag == tag, "popped (%llu,%llu), want (%llu,%llu)",
              (unsigned long long)it.time_ps, (unsigned long long)it.tag, (unsigned long long)t,
              (unsigned long long)tag);
}

Test(evq, pop_and_peek_fail_when_empty)
{
    struct sim_evq q;
    cr_assert_eq(sim_evq_init(&q, 4), IOSIM_OK);
    struct sim_evq_item it = {7, 7};
    cr_expect_not(sim_evq_pop(&q, &it));
    cr_expect_not(sim_evq_peek(&q, &it));
    cr_expect(it.time_ps == 7 && it.tag == 7, "out untouched");
    cr_expect_eq(sim_evq_len(&q), 0);
    cr_expect_eq(sim_evq_floor(&q), 0);
    cr_assert_eq(sim_evq_push(&q, 3, 1), IOSIM_OK);
    pop_expect(&q, 3, 1);
    cr_expect_not(sim_evq_pop(&q, &it));
    cr_expect_not(sim_evq_peek(&q, &it));
    sim_evq_fini(&q);
}

Test(evq, init_fails_when_capacity_is_out_of_range)
{
    struct sim_evq q;
    cr_expect_eq(sim_evq_init(&q, 0), IOSIM_EINVAL);
    sim_evq_fini(&q);
    cr_expect_eq(sim_evq_init(&q, SIM_EVQ_ITEMS_MAX + 1), IOSIM_EINVAL);
    sim_evq_fini(&q);
}

Test(evq, push_fails_when_below_floor)
{
    struct sim_evq q;
    cr_assert_eq(sim_evq_init(&q, 8), IOSIM_OK);
    cr_assert_eq(sim_evq_push(&q, 1000, 1), IOSIM_OK);
    cr_assert_eq(sim_evq_push(&q, 2000, 2), IOSIM_OK);
    pop_expect(&q, 1000, 1);
    cr_expect_eq(sim_evq_floor(&q), 1000);
    cr_expect_eq(sim_evq_push(&q, 999, 3), IOSIM_EINVAL);
    cr_expect_eq(sim_evq_push(&q, 0, 3), IOSIM_EINVAL);
    cr_expect_eq(sim_evq_len(&q), 1);
    pop_expect(&q, 2000, 2);
    cr_expect_not(sim_evq_pop(&q, &(struct sim_evq_item){0, 0}));
    sim_evq_fini(&q);
}

Test(evq, push_succeeds_when_at_exactly_the_floor)
{
    struct sim_evq q;
    cr_assert_eq(sim_evq_init(&q, 8), IOSIM_OK);
    cr_assert_eq(sim_evq_push(&q, 5000, 10), IOSIM_OK);
    cr_assert_eq(sim_evq_push(&q, 9000, 11), IOSIM_OK);
    pop_expect(&q, 5000, 10);
    /* a smaller tag at the floor time is still legal and pops next */
    cr_expect_eq(sim_evq_push(&q, 5000, 3), IOSIM_OK);
    cr_expect_eq(sim_evq_push(&q, 5000, 12), IOSIM_OK);
    pop_expect(&q, 5000, 3);
    pop_expect(&q, 5000, 12);
    pop_expect(&q, 9000, 11);
    sim_evq_fini(&q);
}

Test(evq, push_fails_when_full_and_nothing_is_lost)
{
    enum { CAP = 100 };
    struct sim_evq q;
    cr_assert_eq(sim_evq_init(&q, CAP), IOSIM_OK);
    for (uint64_t i = 0; i < CAP; i++)
        cr_assert_eq(sim_evq_push(&q, (i * 7919) % 1000 * 1000, i), IOSIM_OK);
    cr_expect_eq(sim_evq_push(&q, 5, 999), IOSIM_ENOSPC);
    cr_expect_eq(sim_evq_push(&q, UINT64_MAX, 999), IOSIM_ENOSPC);
    cr_expect_eq(sim_evq_len(&q), CAP);
    cr_assert(sim_evq_check(&q));
    struct sim_evq_item prev = {0, 0}, it;
    for (uint32_t i = 0; i < CAP; i++) {
        cr_assert(sim_evq_pop(&q, &it));
        cr_assert(i == 0 || it.time_ps > prev.time_ps, "strictly increasing here");
        prev = it;
    }
    cr_expect_not(sim_evq_pop(&q, &it));
    /* room again */
    cr_expect_eq(sim_evq_push(&q, prev.time_ps, 1), IOSIM_OK);
    sim_evq_fini(&q);
}

/* Ties in time pop in tag order, whatever the push order and however many
 * there are (small buckets are insertion-sorted, big ones heap-sorted). */
Test(evq, ties_pop_in_tag_order_when_times_are_equal)
{
    static const uint32_t counts[] = {2, 17, SIM_EVQ_MOVE_MAX, SIM_EVQ_MOVE_MAX + 1, 1000, 5000};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        for (int order = 0; order < 3; order++) { /* ascending, descending, shuffled */
            uint32_t n = counts[c];
            uint64_t *tags = calloc(n, sizeof *tags);
            cr_assert_not_null(tags);
            for (uint32_t i = 0; i < n; i++)
                tags[i] = order == 1 ? n - i : i + 1;
            struct sim_rng rng;
            sim_rng_seed(&rng, n);
            for (uint32_t i = n; order == 2 && i > 1; i--) {
                uint32_t j = (uint32_t)sim_rng_below(&rng, i);
                uint64_t tmp = tags[i - 1];
                tags[i - 1] = tags[j];
                tags[j] = tmp;
            }
            struct sim_evq q;
            cr_assert_eq(sim_evq_init(&q, n + 1), IOSIM_OK);
            cr_assert_eq(sim_evq_push(&q, 123456789, UINT64_MAX), IOSIM_OK); /* later */
            for (uint32_t i = 0; i < n; i++)
                cr_assert_eq(sim_evq_push(&q, 123456, tags[i]), IOSIM_OK);
            for (uint32_t i = 0; i < n; i++)
                pop_expect(&q, 123456, i + 1);
            pop_expect(&q, 123456789, UINT64_MAX);
            cr_assert(sim_evq_check(&q));
            sim_evq_fini(&q);
            free(tags);
        }
    }
}

Test(evq, times_sort_when_near_uint64_max)
{
    static const sim_time_ps times[] = {UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 255,
                                        UINT64_MAX - 256, UINT64_C(1) << 63, 0,
                                        UINT64_MAX - (UINT64_C(1) << 56), UINT64_MAX};
    enum { N = sizeof times / sizeof times[0] };
    struct sim_evq q;
    cr_assert_eq(sim_evq_init(&q, N + 1), IOSIM_OK);
    for (uint32_t i = 0; i < N; i++)
        cr_assert_eq(sim_evq_push(&q, times[i], i), IOSIM_OK);
    pop_expect(&q, 0, 5);
    pop_expect(&q, UINT64_C(1) << 63, 4);
    pop_expect(&q, UINT64_MAX - (UINT64_C(1) << 56), 6);
    pop_expect(&q, UINT64_MAX - 256, 3);
    pop_expect(&q, UINT64_MAX - 255, 2);
    pop_expect(&q, UINT64_MAX - 1, 1);
    cr_assert_eq(sim_evq_push(&q, UINT64_MAX, 3), IOSIM_OK);
    pop_expect(&q, UINT64_MAX, 0);
    pop_expect(&q, UINT64_MAX, 3);
    pop_expect(&q, UINT64_MAX, 7);
    cr_expect_eq(sim_evq_floor(&q), UINT64_MAX);
    cr_expect_eq(sim_evq_push(&q, UINT64_MAX - 1, 0), IOSIM_EINVAL);
    cr_assert(sim_evq_check(&q));
    sim_evq_fini(&q);
}

/* Peek reports the minimum, including one pushed after the peek, and
 * never removes anything. */
Test(evq, peek_tracks_minimum_when_pushes_follow)
{
    struct sim_evq q;
    cr_assert_eq(sim_evq_init(&q, 200), IOSIM_OK);
    for (uint64_t i = 0; i < 100; i++)
        cr_assert_eq(sim_evq_push(&q, 1000000 + i * 1000, i), IOSIM_OK);
    struct sim_evq_item it;
    cr_assert(sim_evq_peek(&q, &it));
    cr_expect(it.time_ps == 1000000 && it.tag == 0);
    cr_assert(sim_evq_peek(&q, &it));
    cr_expect(it.time_ps == 1000000 && it.tag == 0);
    cr_assert_eq(sim_evq_push(&q, 5, 500), IOSIM_OK);
    cr_assert(sim_evq_peek(&q, &it));
    cr_expect(it.time_ps == 5 && it.tag == 500);
    cr_assert(sim_evq_check(&q));
    cr_expect_eq(sim_evq_len(&q), 101);
    pop_expect(&q, 5, 500);
    pop_expect(&q, 1000000, 0);
    sim_evq_fini(&q);
}

/* A wide bottom (one far event popped, many pushed into its span) is split
 * back into the radix part; order holds throughout. */
Test(evq, order_holds_when_bottom_overflows)
{
    struct sim_evq q;
    cr_assert_eq(sim_evq_init(&q, 5000), IOSIM_OK);
    sim_time_ps base = UINT64_C(1) << 40;
    cr_assert_eq(sim_evq_push(&q, base, 0), IOSIM_OK);
    cr_assert_eq(sim_evq_push(&q, base + (UINT64_C(1) << 39), 1), IOSIM_OK);
    pop_expect(&q, base, 0);
    struct sim_rng rng;
    sim_rng_seed(&rng, 99);
    struct ref_q r;
    ref_init(&r, 5000);
    r.floor_ps = base;
    cr_assert_eq(ref_push(&r, base + (UINT64_C(1) << 39), 1), IOSIM_OK);
    for (uint64_t i = 0; i < 4000; i++) {
        sim_time_ps t = base + sim_rng_below(&rng, UINT64_C(1) << 30) * (i % 3);
        cr_assert_eq(sim_evq_push(&q, t, 2 + i), IOSIM_OK);
        cr_assert_eq(ref_push(&r, t, 2 + i), IOSIM_OK);
        if (i % 500 == 0)
            cr_assert(sim_evq_check(&q), "step %llu", (unsigned long long)i);
    }
    while (r.len > 0)
        expect_same_pop(&q, &r, 99, 0);
    sim_evq_fini(&q);
    free(r.items);
}

Test(evq, fini_releases_when_partly_used_and_reinit_works)
{
    struct sim_evq q;
    cr_assert_eq(sim_evq_init(&q, 1000), IOSIM_OK);
    for (uint64_t i = 0; i < 700; i++)
        cr_assert_eq(sim_evq_push(&q, (i * 104729) % 100000, i), IOSIM_OK);
    struct sim_evq_item it;
    for (int i = 0; i < 10; i++)
        cr_assert(sim_evq_pop(&q, &it));
    sim_evq_fini(&q); /* ASan reports any leak */
    sim_evq_fini(&q); /* twice is harmless */
    cr_assert_eq(sim_evq_init(&q, 3), IOSIM_OK);
    cr_expect_eq(sim_evq_len(&q), 0);
    cr_expect_eq(sim_evq_floor(&q), 0);
    cr_assert_eq(sim_evq_push(&q, 0, 2), IOSIM_OK);
    cr_assert_eq(sim_evq_push(&q, 0, 1), IOSIM_OK);
    cr_assert_eq(sim_evq_push(&q, 1, 0), IOSIM_OK);
    cr_expect_eq(sim_evq_push(&q, 2, 0), IOSIM_ENOSPC);
    pop_expect(&q, 0, 1);
    pop_expect(&q, 0, 2);
    pop_expect(&q, 1, 0);
    sim_evq_fini(&q);
}

/* Capacity 1 exercises the smallest pool: every push/pop pair reuses the
 * one item's block. */
Test(evq, works_when_capacity_is_one)
{
    struct sim_evq q;
    cr_assert_eq(sim_evq_init(&q, 1), IOSIM_OK);
    sim_time_ps t = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        cr_assert_eq(sim_evq_push(&q, t, i), IOSIM_OK);
        cr_expect_eq(sim_evq_push(&q, t, i + 1), IOSIM_ENOSPC);
        pop_expect(&q, t, i);
        t += (i * 2654435761u) % (UINT64_C(1) << (i % 60));
    }
    cr_assert(sim_evq_check(&q));
    sim_evq_fini(&q);
}
