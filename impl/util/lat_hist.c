/* Log-linear latency histogram; see lat_hist.h. */
#include "impl/util/lat_hist.h"

#include <string.h>

#include "impl/port/check.h"

#define SUB (1u << LAT_HIST_SUB_BITS)

static uint32_t msb(uint64_t v)
{
    uint32_t n = 0;
    while (v >>= 1)
        n++;
    return n;
}

/* Below LAT_HIST_EXACT a value is its own bucket; above, its top
 * LAT_HIST_SUB_BITS + 1 bits choose it within its power of two. */
static uint32_t index_of(uint64_t v)
{
    if (v < LAT_HIST_EXACT)
        return (uint32_t)v;
    uint32_t shift = msb(v) - LAT_HIST_SUB_BITS;
    uint32_t top = (uint32_t)(v >> shift); /* SUB .. 2 * SUB - 1 */
    return LAT_HIST_EXACT + (shift - 1u) * SUB + (top - SUB);
}

/* The largest value that falls in bucket i. */
static uint64_t high_of(uint32_t i)
{
    if (i < LAT_HIST_EXACT)
        return i;
    uint32_t shift = (i - LAT_HIST_EXACT) / SUB + 1u;
    uint64_t top = (i - LAT_HIST_EXACT) % SUB + SUB;
    return ((top + 1u) << shift) - 1u;
}

void lat_hist_init(struct lat_hist *h)
{
    ASSERT(h != NULL);
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

void lat_hist_add(struct lat_hist *h, uint64_t v)
{
    ASSERT(h != NULL);
    uint32_t i = index_of(v);
    ASSERT(i < LAT_HIST_BUCKETS);
    h->bucket[i]++;
    h->count++;
    h->sum += v;
    h->min = v < h->min ? v : h->min;
    h->max = v > h->max ? v : h->max;
}

void lat_hist_merge(struct lat_hist *into, const struct lat_hist *from)
{
    ASSERT(into != NULL && from != NULL);
    for (uint32_t i = 0; i < LAT_HIST_BUCKETS; i++)
        into->bucket[i] += from->bucket[i];
    into->count += from->count;
    into->sum += from->sum;
    into->min = from->min < into->min ? from->min : into->min;
    into->max = from->max > into->max ? from->max : into->max;
}

uint64_t lat_hist_percentile(const struct lat_hist *h, uint32_t per_100k)
{
    ASSERT(h != NULL);
    if (h->count == 0)
        return 0;
    if (per_100k >= LAT_HIST_PER_100K)
        return h->max;
    /* the rank of the value asked for, 1-based: ceil(count * p) */
    uint64_t rank = (h->count / LAT_HIST_PER_100K) * per_100k +
                    ((h->count % LAT_HIST_PER_100K) * per_100k + LAT_HIST_PER_100K - 1) /
                        LAT_HIST_PER_100K;
    rank = rank == 0 ? 1 : rank;
    uint64_t seen = 0;
    for (uint32_t i = 0; i < LAT_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            uint64_t v = high_of(i);
            return v < h->max ? v : h->max; /* never beyond what was seen */
        }
    }
    return h->max;
}
