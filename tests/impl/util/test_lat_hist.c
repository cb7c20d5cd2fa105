/* impl/util/lat_hist: percentiles against the exact ones of the sorted
 * values, over value ranges from nanoseconds to hours. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "impl/util/lat_hist.h"
#include "tests/impl/splitmix.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The value of rank ceil(n * p / 100000) of sorted v. */
static uint64_t exact(const uint64_t *v, size_t n, uint32_t per_100k)
{
    uint64_t rank = ((uint64_t)n * per_100k + 99999u) / 100000u;
    return v[rank == 0 ? 0 : rank - 1];
}

static struct lat_hist h;

Test(lat_hist, percentiles_are_never_below_and_at_most_a_64th_above_the_exact_ones)
{
    static const uint32_t ps[] = {1, 50000, 90000, 99000, 99900, 99990, 100000};
    static uint64_t v[20000];
    for (uint64_t seed = 1; seed <= 40; seed++) {
        uint64_t s = seed;
        size_t n = 1 + below(&s, 20000);
        uint32_t span = 1 + below(&s, 63); /* values below 2^span */
        lat_hist_init(&h);
        for (size_t i = 0; i < n; i++) {
            v[i] = next_rand(&s) >> (64 - span);
            lat_hist_add(&h, v[i]);
        }
        qsort(v, n, sizeof v[0], cmp_u64);
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
            uint64_t want = exact(v, n, ps[k]), got = lat_hist_percentile(&h, ps[k]);
            cr_assert_geq(got, want, "seed %llu p%u", (unsigned long long)seed, ps[k]);
            cr_assert_leq(got - want, want / 64, "seed %llu p%u: %llu for %llu",
                          (unsigned long long)seed, ps[k], (unsigned long long)got,
                          (unsigned long long)want);
        }
        cr_assert_eq(h.count, n);
        cr_assert_eq(h.min, v[0]);
        cr_assert_eq(h.max, v[n - 1]);
    }
}

Test(lat_hist, small_values_are_exact_and_the_extremes_fit)
{
    lat_hist_init(&h);
    cr_expect_eq(lat_hist_percentile(&h, 50000), 0, "empty");
    for (uint64_t x = 0; x < LAT_HIST_EXACT; x++)
        lat_hist_add(&h, x);
    cr_expect_eq(lat_hist_percentile(&h, 50000), LAT_HIST_EXACT / 2 - 1);
    lat_hist_add(&h, UINT64_MAX);
    cr_expect_eq(lat_hist_percentile(&h, 100000), UINT64_MAX);
    cr_expect_eq(h.max, UINT64_MAX);
}

Test(lat_hist, merging_two_is_adding_both)
{
    static struct lat_hist a, b, all;
    lat_hist_init(&a);
    lat_hist_init(&b);
    lat_hist_init(&all);
    uint64_t s = 7;
    for (int i = 0; i < 5000; i++) {
        uint64_t x = next_rand(&s) >> 40;
        lat_hist_add(i % 2 ? &a : &b, x);
        lat_hist_add(&all, x);
    }
    lat_hist_merge(&a, &b);
    cr_expect_eq(a.count, all.count);
    cr_expect_eq(a.sum, all.sum);
    for (uint32_t p = 0; p <= 100000; p += 2500)
        cr_expect_eq(lat_hist_percentile(&a, p), lat_hist_percentile(&all, p));
}
