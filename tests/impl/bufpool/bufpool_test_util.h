/* Shared helpers of the native buffer-pool tests: chunks in ordinary
 * memory, a close callback that counts, a seeded generator. */
#ifndef IOSIM_TEST_BUFPOOL_UTIL_H
#define IOSIM_TEST_BUFPOOL_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "impl/bufpool/bufpool.h"
#include "tests/impl/splitmix.h"

static inline uint64_t tb_rand(uint64_t *s) { return next_rand(s); }
static inline uint32_t tb_below(uint64_t *s, uint32_t n) { return below(s, n); }

/* Counts close callbacks; the test checks each chunk is closed once, with
 * what was added. */
struct tb_closes {
    uint32_t count;
    void *last_host;
    size_t last_len;
    uint64_t last_extra;
};

static inline void tb_close(void *ctx, void *host, size_t len, uint64_t extra)
{
    struct tb_closes *c = ctx;
    c->count++;
    c->last_host = host;
    c->last_len = len;
    c->last_extra = extra;
}

/* Memory for a chunk, aligned to `align` (a power of two). */
static inline void *tb_chunk_mem(size_t len, size_t align)
{
    void *p = aligned_alloc(align, (len + align - 1) / align * align);
    if (p != NULL)
        memset(p, 0x5a, len);
    return p;
}

static inline struct bufpool_opts tb_opts(size_t gran, size_t amax, size_t smax, size_t boundary)
{
    struct bufpool_opts o;
    bufpool_opts_default(&o);
    o.align_min = gran;
    o.size_min = 0;
    o.align_max = amax;
    o.size_max = smax;
    o.boundary = boundary;
    o.slices_max = 64;
    o.chunks_max = 4;
    o.name = "test";
    return o;
}

#endif /* IOSIM_TEST_BUFPOOL_UTIL_H */
