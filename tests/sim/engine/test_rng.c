/* sim/rng: reference vectors, stream independence, distribution checks.
 * Every check uses fixed seeds, so a failure is a bug, never bad luck. */
#include <criterion/criterion.h>

#include "sim/engine/rng.h"

Test(rng, splitmix64_matches_published_outputs_for_seed_zero)
{
    uint64_t st = 0;
    cr_expect_eq(sim_splitmix64(&st), 0xe220a8397b1dcdafull);
    cr_expect_eq(sim_splitmix64(&st), 0x6e789e6aa1b965f4ull);
    cr_expect_eq(sim_splitmix64(&st), 0x06c45d188009454full);
}

Test(rng, xoshiro256ss_matches_reference_for_state_1234)
{
    struct sim_rng r = {.s = {1, 2, 3, 4}};
    const uint64_t want[] = {11520u, 0u, 1509978240u, 1215971899390074240ull,
                             0x10e0b61ce1009d80ull, 0x0870021ce143ad00ull};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect_eq(sim_rng_next(&r), want[i], "output %zu", i);
}

Test(rng, same_seed_and_name_give_same_stream)
{
    struct sim_rng a, b;
    sim_rng_stream(&a, 42, "scheduler");
    sim_rng_stream(&b, 42, "scheduler");
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(sim_rng_next(&a), sim_rng_next(&b));
}

Test(rng, streams_differ_by_name_and_by_seed)
{
    struct sim_rng a, b, c;
    sim_rng_stream(&a, 42, "scheduler");
    sim_rng_stream(&b, 42, "faults");
    sim_rng_stream(&c, 43, "scheduler");
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < 64; i++) {
        uint64_t x = sim_rng_next(&a);
        same_ab += x == sim_rng_next(&b);
        same_ac += x == sim_rng_next(&c);
    }
    cr_expect_eq(same_ab, 0);
    cr_expect_eq(same_ac, 0);
}

Test(rng, drawing_from_one_stream_does_not_shift_another)
{
    struct sim_rng s1, f1, s2, f2;
    sim_rng_stream(&s1, 7, "scheduler");
    sim_rng_stream(&f1, 7, "faults");
    sim_rng_stream(&s2, 7, "scheduler");
    sim_rng_stream(&f2, 7, "faults");
    for (int i = 0; i < 100; i++)
        (void)sim_rng_next(&f2); /* extra fault draws */
    for (int i = 0; i < 100; i++)
        cr_assert_eq(sim_rng_next(&s1), sim_rng_next(&s2));
    (void)f1;
}

Test(rng, below_stays_in_range_and_is_roughly_uniform)
{
    struct sim_rng r;
    sim_rng_seed(&r, 1);
    enum { K = 10, N = 100000 };
    unsigned count[K] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t v = sim_rng_below(&r, K);
        cr_assert_lt(v, K);
        count[v]++;
    }
    /* chi-square with 9 degrees of freedom; 27.9 is the 0.1% critical value */
    double chi = 0;
    for (int k = 0; k < K; k++) {
        double d = (double)count[k] - N / (double)K;
        chi += d * d / (N / (double)K);
    }
    cr_expect_lt(chi, 27.9, "chi-square %f", chi);
}

Test(rng, below_one_is_always_zero_and_range_is_inclusive)
{
    struct sim_rng r;
    sim_rng_seed(&r, 9);
    bool saw_lo = false, saw_hi = false;
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(sim_rng_below(&r, 1), 0);
        uint64_t v = sim_rng_range(&r, 5, 7);
        cr_assert(v >= 5 && v <= 7);
        saw_lo |= v == 5;
        saw_hi |= v == 7;
    }
    cr_expect(saw_lo && saw_hi);
    (void)sim_rng_range(&r, 0, UINT64_MAX);
}

Test(rng, chance_honours_its_bounds)
{
    struct sim_rng r;
    sim_rng_seed(&r, 3);
    int hits = 0;
    for (int i = 0; i < 10000; i++) {
        cr_assert(!sim_rng_chance(&r, 0));
        cr_assert(sim_rng_chance(&r, 1000));
        hits += sim_rng_chance(&r, 250);
    }
    cr_expect(hits > 2300 && hits < 2700, "hits %d", hits);
}

Test(rng, exp_has_the_requested_mean)
{
    struct sim_rng r;
    sim_rng_seed(&r, 11);
    const uint64_t mean = 1000000;
    __extension__ unsigned __int128 sum = 0;
    enum { N = 200000 };
    for (int i = 0; i < N; i++)
        sum += sim_rng_exp(&r, mean);
    double got = (double)sum / N;
    cr_expect(got > 0.99 * (double)mean && got < 1.01 * (double)mean, "mean %f", got);
}

Test(rng, unit_is_in_half_open_interval)
{
    struct sim_rng r;
    sim_rng_seed(&r, 5);
    for (int i = 0; i < 10000; i++) {
        double u = sim_rng_unit(&r);
        cr_assert(u >= 0.0 && u < 1.0);
    }
}
