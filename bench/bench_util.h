/* Helpers every benchmark shares: the wall clock (benchmarks are the one
 * place it may be read) and the median of repeated measurements. */
#ifndef IOSIM_BENCH_UTIL_H
#define IOSIM_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

static inline double bench_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* wall clock ok: benchmark */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v in place. */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return v[n / 2];
}

#endif /* IOSIM_BENCH_UTIL_H */
