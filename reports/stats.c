/* Percentiles and the KS distance; see stats.h. */
#include "reports/stats.h"

#include <assert.h>
#include <stdlib.h>

static int i64_cmp(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

void stats_sort(int64_t *v, size_t n)
{
    /* equal integers are indistinguishable: qsort's instability is harmless */
    if (n > 1)
        qsort(v, n, sizeof *v, i64_cmp);
}

int64_t stats_percentile(const int64_t *sorted, size_t n, double p)
{
    assert(sorted != NULL && n > 0);
    assert(p > 0 && p <= 100);
    /* rank = ceil(p/100 * n), computed in integers of per-mille-of-percent
     * so that 90% of 10 samples is rank 9, not 9.000000001 -> 10 */
    uint64_t pm = (uint64_t)(p * 1000.0 + 0.5);
    uint64_t rank = ((uint64_t)n * pm + 100000u - 1u) / 100000u;
    rank = rank == 0 ? 1 : rank > n ? n : rank;
    return sorted[rank - 1];
}

double stats_ks(const int64_t *a, size_t na, const int64_t *b, size_t nb)
{
    if (na == 0 || nb == 0)
        return 0.0;
    size_t i = 0, j = 0;
    double d = 0.0;
    while (i < na && j < nb) {
        /* step past every sample equal to the smaller value, on both sides:
         * the empirical CDFs only jump there */
        int64_t x = a[i] < b[j] ? a[i] : b[j];
        while (i < na && a[i] == x)
            i++;
        while (j < nb && b[j] == x)
            j++;
        double diff = (double)i / (double)na - (double)j / (double)nb;
        diff = diff < 0 ? -diff : diff;
        d = diff > d ? diff : d;
    }
    assert(d >= 0.0 && d <= 1.0);
    return d;
}
