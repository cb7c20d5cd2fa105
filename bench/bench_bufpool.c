/*
 * bench_bufpool: impl/bufpool beside glibc and jemalloc, ns per alloc+free
 * pair, and an adversarial case that makes a naive aligned allocator scan.
 *
 * Workload (the same seeded sequence for every allocator): fill N live
 * slices, then PAIRS times free a uniformly chosen live one and allocate a
 * replacement. Sizes are uniform in [16 B, 64 KiB], alignments 2^j B with j
 * uniform in [3, 12] (8 B - 4 KiB).
 *
 *   bufpool.iosim.1e3 / 1e5 / 1e6      the pool (granule 8 B, align_max
 *                                      4 KiB, size_max 64 KiB, locked)
 *   bufpool.glibc.*                    glibc's memalign (aligned_alloc's
 *                                      engine, reached as __libc_memalign
 *                                      because this binary links jemalloc)
 *   bufpool.jemalloc.*                 jemalloc's aligned_alloc (Debian
 *                                      libjemalloc, linked statically)
 *   bufpool.unlocked.iosim.*           the pool with BUFPOOL_UNLOCKED
 *   bufpool.logsize.{iosim,glibc,jemalloc}.*
 *                                      sizes log-uniform instead (2^e + U[0, 2^e),
 *                                      e uniform in [4, 15]): small slices dominate
 *   bufpool.adversarial.1e3 / 1e5      N free ranges, none aligned enough for
 *                                      the requests: ns per alloc+free of a
 *                                      4 KiB-aligned slice that only the last
 *                                      range can hold
 *   bufpool.adversarial.naive.1e3/1e5  the same for a first-fit scan over the
 *                                      free ranges (the published crate's
 *                                      fallback), for contrast
 *
 * Times are the median of ROUNDS runs. Memory for the pool comes from
 * MAP_NORESERVE mappings it never touches (it keeps no metadata inside).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "impl/bufpool/bufpool.h"
#include "bench/bench_util.h"

#define ROUNDS 3
#define SIZE_MIN 16u
#define SIZE_MAX_B 65536u
#define CHUNK_BYTES (1ull << 34)  /* 16 GiB of address space per chunk */

extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);


/* ---- the workload ------------------------------------------------------------------ */

struct wl {
    uint64_t s;
    int logsize;
};

static inline uint64_t wl_next(struct wl *w)
{
    uint64_t x = w->s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return w->s = x;
}

static inline size_t wl_size(struct wl *w)
{
    uint64_t r = wl_next(w);
    if (!w->logsize)
        return SIZE_MIN + (size_t)(r % (SIZE_MAX_B - SIZE_MIN + 1));
    uint32_t e = 4 + (uint32_t)(r % 12);
    size_t v = ((size_t)1 << e) + (size_t)((r >> 8) % ((uint64_t)1 << e));
    return v > SIZE_MAX_B ? SIZE_MAX_B : v;
}

static inline size_t wl_align(struct wl *w)
{
    return (size_t)8 << (wl_next(w) % 10);
}


static void die(const char *what)
{
    fprintf(stderr, "bench_bufpool: %s\n", what);
    exit(1);
}

/* ---- the pool ----------------------------------------------------------------------------- */

static void *map_noreserve(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void unmap(void *ctx, void *host, size_t len, uint64_t extra)
{
    (void)ctx, (void)extra;
    munmap(host, len);
}

static void pool_open(struct bufpool *p, size_t n, uint32_t flags, size_t total)
{
    struct bufpool_opts o;
    bufpool_opts_default(&o);
    o.align_min = 8;
    o.size_min = 0;
    o.align_max = 4096;
    o.size_max = SIZE_MAX_B;
    o.slices_max = (uint32_t)(n + 16);
    o.chunks_max = 16;
    o.flags = flags;
    o.name = "bench";
    if (bufpool_init(p, &o) != IOSIM_OK)
        die("bufpool_init");
    for (size_t added = 0; added < total; added += CHUNK_BYTES) {
        void *m = map_noreserve(CHUNK_BYTES);
        uint32_t id;
        if (m == NULL || bufpool_chunk_add(p, m, CHUNK_BYTES, (uint64_t)(uintptr_t)m, unmap,
                                           NULL, &id) != IOSIM_OK)
            die("chunk");
    }
}

static double run_pool(size_t n, size_t pairs, uint32_t flags, int logsize)
{
    struct bufpool p;
    struct wl w = {.s = 0x243f6a8885a308d3ull, .logsize = logsize};
    size_t mean = logsize ? 8192 : 33000;
    pool_open(&p, n, flags, n * mean * 3 / 2 + (1u << 24));
    struct bufpool_slice *v = malloc(n * sizeof *v);
    if (v == NULL)
        die("out of memory");
    for (size_t i = 0; i < n; i++)
        if (bufpool_alloc(&p, wl_size(&w), wl_align(&w), &v[i]) != IOSIM_OK)
            die("pool fill");
    double t0 = bench_wall_now();
    for (size_t i = 0; i < pairs; i++) {
        size_t k = (size_t)(wl_next(&w) % n);
        if (bufpool_free(&p, &v[k]) != IOSIM_OK ||
            bufpool_alloc(&p, wl_size(&w), wl_align(&w), &v[k]) != IOSIM_OK)
            die("pool pair");
    }
    double ns = (bench_wall_now() - t0) * 1e9 / (double)pairs;
    for (size_t i = 0; i < n; i++)
        (void)bufpool_free(&p, &v[i]);
    free(v);
    if (bufpool_destroy(&p) != 0)
        die("pool destroy kept chunks");
    return ns;
}

/* ---- malloc-style allocators --------------------------------------------------------------- */

static void *glibc_alloc(size_t align, size_t len)
{
    return __libc_memalign(align, len);
}

static void *je_alloc(size_t align, size_t len)
{
    return aligned_alloc(align, (len + align - 1) & ~(align - 1));
}

static double run_malloc(size_t n, size_t pairs, int je, int logsize)
{
    struct wl w = {.s = 0x243f6a8885a308d3ull, .logsize = logsize};
    void **v = malloc(n * sizeof *v);
    if (v == NULL)
        die("out of memory");
    void *(*al)(size_t, size_t) = je ? je_alloc : glibc_alloc;
    void (*fr)(void *) = je ? free : __libc_free;
    for (size_t i = 0; i < n; i++) {
        size_t len = wl_size(&w);
        if ((v[i] = al(wl_align(&w), len)) == NULL)
            die("malloc fill");
    }
    double t0 = bench_wall_now();
    for (size_t i = 0; i < pairs; i++) {
        size_t k = (size_t)(wl_next(&w) % n);
        fr(v[k]);
        size_t len = wl_size(&w);
        if ((v[k] = al(wl_align(&w), len)) == NULL)
            die("malloc pair");
    }
    double ns = (bench_wall_now() - t0) * 1e9 / (double)pairs;
    for (size_t i = 0; i < n; i++)
        fr(v[i]);
    free(v);
    return ns;
}

/* ---- adversarial: many free ranges, none aligned enough --------------------------------------- */

/*
 * Carves n free ranges of 4 KiB + 128 B, each starting 64 B past a 4 KiB
 * multiple, separated by live 64 B slices, and one more range of the same
 * length starting 128 B before a 4 KiB multiple. A request for 4 KiB at 4 KiB
 * alignment fits only that last one, with 128 B of padding: no range is
 * aligned enough to hold it directly and none is long enough to hold it
 * wherever it starts, which is where a naive allocator falls back to
 * scanning every range (the contrast line does exactly that scan).
 */
struct adv_range {
    uint64_t start, end;
};

static void adv_free_range(struct bufpool *p, struct bufpool_slice *cell, uint64_t start,
                           uint64_t end)
{
    for (uint64_t c = start / 64; c < end / 64; c++)
        if (bufpool_free(p, &cell[c]) != IOSIM_OK)
            die("adversarial carve");
}

static double run_adversarial(size_t n, size_t pairs, int naive, uint64_t *sink)
{
    const uint64_t stride = 8192, len = 4096 + 128;
    size_t total = (n + 2) * stride;
    size_t cells = total / 64;
    struct bufpool p;
    struct bufpool_opts o;
    bufpool_opts_default(&o);
    o.align_min = 64;
    o.size_min = 64;
    o.align_max = 4096;
    o.size_max = 8192;
    o.slices_max = (uint32_t)(cells + 16);
    o.chunks_max = 2;
    o.flags = BUFPOOL_UNLOCKED;
    o.name = "adversarial";
    if (bufpool_init(&p, &o) != IOSIM_OK)
        die("adversarial init");
    void *m = map_noreserve(total);
    uint32_t id;
    if (m == NULL || bufpool_chunk_add(&p, m, total, 0, unmap, NULL, &id) != IOSIM_OK)
        die("adversarial chunk");
    struct bufpool_slice *cell = malloc(cells * sizeof *cell);
    struct adv_range *ranges = malloc((n + 1) * sizeof *ranges);
    if (cell == NULL || ranges == NULL)
        die("out of memory");
    for (size_t i = 0; i < cells; i++)
        if (bufpool_alloc(&p, 64, 64, &cell[i]) != IOSIM_OK || cell[i].offset != i * 64)
            die("adversarial fill");
    for (size_t r = 0; r < n; r++)
        ranges[r] = (struct adv_range){r * stride + 64, r * stride + 64 + len};
    ranges[n] = (struct adv_range){n * stride + 4096 - 128, n * stride + 4096 - 128 + len};
    for (size_t r = 0; r <= n; r++)
        adv_free_range(&p, cell, ranges[r].start, ranges[r].end);
    const uint64_t want = n * stride + 4096;
    double t0 = bench_wall_now();
    for (size_t i = 0; i < pairs; i++) {
        if (naive) { /* first fit over the ranges, as a scan does */
            for (size_t r = 0; r <= n; r++) {
                uint64_t at = (ranges[r].start + 4095) & ~4095ull;
                if (at + 4096 <= ranges[r].end) {
                    *sink += at;
                    break;
                }
            }
        } else {
            struct bufpool_slice s;
            if (bufpool_alloc(&p, 4096, 4096, &s) != IOSIM_OK || s.offset != want)
                die("adversarial: the one range that fits was not found");
            *sink += s.offset;
            if (bufpool_free(&p, &s) != IOSIM_OK)
                die("adversarial free");
        }
    }
    double ns = (bench_wall_now() - t0) * 1e9 / (double)pairs;
    free(cell);
    free(ranges);
    (void)bufpool_destroy(&p); /* the 64 B cells are still live: the chunk stays mapped */
    munmap(m, total);
    return ns;
}

/* ---- main ------------------------------------------------------------------------------------ */

static void line(const char *name, const char *n, double v)
{
    printf("bench: %s.%s %.1f ns\n", name, n, v);
    fflush(stdout);
}

int main(void)
{
    static const struct {
        const char *tag;
        size_t n, pairs;
    } sizes[] = {{"1e3", 1000, 4000000}, {"1e5", 100000, 3000000}, {"1e6", 1000000, 3000000}};
    for (int logsize = 0; logsize <= 1; logsize++) {
        const char *pre = logsize ? "bufpool.logsize." : "bufpool.";
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            double t[4][ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                t[0][r] = run_pool(sizes[i].n, sizes[i].pairs, 0, logsize);
                t[1][r] = run_malloc(sizes[i].n, sizes[i].pairs, 0, logsize);
                t[2][r] = run_malloc(sizes[i].n, sizes[i].pairs, 1, logsize);
                t[3][r] = logsize ? 0 : run_pool(sizes[i].n, sizes[i].pairs, BUFPOOL_UNLOCKED, 0);
            }
            static const char *names[] = {"iosim", "glibc", "jemalloc", "unlocked.iosim"};
            for (int a = 0; a < (logsize ? 3 : 4); a++) {
                char name[64];
                snprintf(name, sizeof name, "%s%s", pre, names[a]);
                line(name, sizes[i].tag, bench_median(t[a], ROUNDS));
            }
        }
    }
    uint64_t sink = 0;
    static const struct {
        const char *tag;
        size_t n, pairs;
    } adv[] = {{"1e3", 1000, 2000000}, {"1e5", 100000, 2000000}};
    for (size_t i = 0; i < sizeof adv / sizeof adv[0]; i++) {
        double a[ROUNDS], b[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            a[r] = run_adversarial(adv[i].n, adv[i].pairs, 0, &sink);
            b[r] = run_adversarial(adv[i].n, adv[i].pairs / (adv[i].n / 100), 1, &sink);
        }
        line("bufpool.adversarial", adv[i].tag, bench_median(a, ROUNDS));
        line("bufpool.adversarial.naive", adv[i].tag, bench_median(b, ROUNDS));
    }
    return sink == 42 ? 1 : 0;
}
