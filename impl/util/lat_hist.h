/*
 * lat_hist.h - latency percentiles the way fio reports them (p50, p90, p99,
 * p99.9 of completion latencies), in constant memory: a log-linear
 * histogram, exact below 128 and with 64 sub-buckets per power of two
 * above, so a reported percentile is never below the true one and at most
 * 1/64 (1.6 %) above it, whatever the range of the values.
 *
 *     struct lat_hist h;
 *     lat_hist_init(&h);
 *     lat_hist_add(&h, completion_ns - submit_ns);      for every I/O
 *     uint64_t p99 = lat_hist_percentile(&h, 99000);     parts per 100000
 *
 * Caller storage (about 30 KiB); no allocation. Not thread-safe: one
 * histogram per producer, merged with lat_hist_merge.
 */
#ifndef IOSIM_LAT_HIST_H
#define IOSIM_LAT_HIST_H

#include <stdint.h>

#define LAT_HIST_SUB_BITS 6u                 /* 64 sub-buckets a power of two */
#define LAT_HIST_EXACT (2u << LAT_HIST_SUB_BITS) /* values below this are exact */
#define LAT_HIST_BUCKETS (LAT_HIST_EXACT + (64u - LAT_HIST_SUB_BITS - 1u) * (1u << LAT_HIST_SUB_BITS))
#define LAT_HIST_PER_100K 100000u

struct lat_hist {
    uint64_t count, min, max, sum;
    uint64_t bucket[LAT_HIST_BUCKETS];
};

void lat_hist_init(struct lat_hist *h);
void lat_hist_add(struct lat_hist *h, uint64_t v);
void lat_hist_merge(struct lat_hist *into, const struct lat_hist *from);
/* The smallest bucket bound at or above `per_100k` parts in 100000 of the
 * values (99900: p99.9); 0 for an empty histogram. Above the true value by
 * less than 1/64 of it; the maximum for per_100k >= 100000. */
uint64_t lat_hist_percentile(const struct lat_hist *h, uint32_t per_100k);

#endif /* IOSIM_LAT_HIST_H */
