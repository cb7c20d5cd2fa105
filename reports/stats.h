/*
 * stats.h - order statistics of latency samples, for `iosim compare`:
 * nearest-rank percentiles and the two-sample Kolmogorov-Smirnov distance,
 * both exact over sorted integer samples (picoseconds), so the same
 * samples give the same figures on every host.
 *
 *     stats_sort(a, na);  stats_sort(b, nb);
 *     int64_t p90 = stats_percentile(a, na, 90.0);
 *     double d = stats_ks(a, na, b, nb);   // 0: same distribution .. 1: disjoint
 *
 * Arrays are borrowed; nothing is allocated.
 */
#ifndef IOSIM_REPORTS_STATS_H
#define IOSIM_REPORTS_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Sorts v ascending (in place). */
void stats_sort(int64_t *v, size_t n);

/* The nearest-rank percentile p (0 < p <= 100) of sorted v (n > 0): the
 * smallest sample with at least p% of the samples at or below it. */
int64_t stats_percentile(const int64_t *sorted, size_t n, double p);

/* sup over x of |F_a(x) - F_b(x)| for the empirical distributions of two
 * sorted samples; 0 when either is empty. */
double stats_ks(const int64_t *a, size_t na, const int64_t *b, size_t nb);

#endif /* IOSIM_REPORTS_STATS_H */
