/* reports/stats: nearest-rank percentiles and the two-sample KS distance
 * against plain references on seeded random samples. */
#include <criterion/criterion.h>
#include <math.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include "reports/stats.h"

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* The smallest sample with at least p% of the samples at or below it,
 * by counting (what nearest rank means). */
static int64_t pct_ref(const int64_t *v, size_t n, double p)
{
    for (size_t i = 0; i < n; i++) {
        size_t at_or_below = 0;
        for (size_t j = 0; j < n; j++)
            at_or_below += v[j] <= v[i];
        if ((double)at_or_below * 100.0 >= p * (double)n - 1e-9) {
            int64_t best = v[i];
            for (size_t j = 0; j < n; j++) { /* the smallest such sample */
                size_t c = 0;
                for (size_t k = 0; k < n; k++)
                    c += v[k] <= v[j];
                if (v[j] < best && (double)c * 100.0 >= p * (double)n - 1e-9)
                    best = v[j];
            }
            return best;
        }
    }
    return v[n - 1];
}

/* sup |F_a - F_b| evaluated at every sample of either side. */
static double ks_ref(const int64_t *a, size_t na, const int64_t *b, size_t nb)
{
    double d = 0;
    for (size_t s = 0; s < na + nb; s++) {
        int64_t x = s < na ? a[s] : b[s - na];
        size_t ca = 0, cb = 0;
        for (size_t i = 0; i < na; i++)
            ca += a[i] <= x;
        for (size_t i = 0; i < nb; i++)
            cb += b[i] <= x;
        double diff = fabs((double)ca / (double)na - (double)cb / (double)nb);
        d = diff > d ? diff : d;
    }
    return d;
}

Test(stats, percentiles_match_the_counting_reference_on_random_samples)
{
    static const double ps[] = {1, 10, 25, 50, 90, 95, 99, 99.9, 100};
    int64_t v[200];
    for (uint64_t seed = 1; seed <= 200; seed++) {
        uint64_t s = seed * 7919;
        size_t n = 1 + (size_t)(rnd(&s) % 200);
        uint64_t range = 1 + rnd(&s) % 50; /* small ranges: many ties */
        for (size_t i = 0; i < n; i++)
            v[i] = (int64_t)(rnd(&s) % range) * 1000;
        stats_sort(v, n);
        for (size_t i = 1; i < n; i++)
            cr_assert_leq(v[i - 1], v[i]);
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++)
            cr_assert_eq(stats_percentile(v, n, ps[k]), pct_ref(v, n, ps[k]),
                         "seed %" PRIu64 " n %zu p %g", seed, n, ps[k]);
    }
}

Test(stats, p90_of_ten_samples_is_the_ninth)
{
    const int64_t v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    cr_assert_eq(stats_percentile(v, 10, 90), 9);
    cr_assert_eq(stats_percentile(v, 10, 50), 5);
    cr_assert_eq(stats_percentile(v, 10, 100), 10);
    cr_assert_eq(stats_percentile(v, 1, 1), 1);
}

Test(stats, ks_matches_the_reference_on_random_samples)
{
    int64_t a[150], b[150];
    for (uint64_t seed = 1; seed <= 300; seed++) {
        uint64_t s = seed * 104729;
        size_t na = 1 + (size_t)(rnd(&s) % 150), nb = 1 + (size_t)(rnd(&s) % 150);
        uint64_t ra = 1 + rnd(&s) % 40, rb = 1 + rnd(&s) % 40;
        int64_t shift = (int64_t)(rnd(&s) % 10);
        for (size_t i = 0; i < na; i++)
            a[i] = (int64_t)(rnd(&s) % ra);
        for (size_t i = 0; i < nb; i++)
            b[i] = (int64_t)(rnd(&s) % rb) + shift;
        stats_sort(a, na);
        stats_sort(b, nb);
        double got = stats_ks(a, na, b, nb), want = ks_ref(a, na, b, nb);
        cr_assert(fabs(got - want) < 1e-12, "seed %" PRIu64 ": ks %g, reference %g", seed, got,
                  want);
        cr_assert(stats_ks(a, na, a, na) == 0.0);
    }
}

Test(stats, ks_is_one_when_samples_are_disjoint_and_zero_when_one_is_empty)
{
    const int64_t a[] = {1, 2, 3}, b[] = {10, 20};
    cr_assert(stats_ks(a, 3, b, 2) == 1.0);
    cr_assert(stats_ks(a, 3, b, 0) == 0.0);
}
