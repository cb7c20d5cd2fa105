/*
 * bench_bufpool: impl/bufpool beside glibc and jemalloc, ns per alloc+free
 * pair, and an adversarial case that makes a naive aligned allocator scan.
 *
 * Two workloads, the same seeded sequence for every allocator. Both first
 * fill N live slices and then free and reallocate N uniformly chosen ones,
 * so the pool (or heap) is fragmented the way long use leaves it.
 *   pairs    (the named lines): allocate a slice and free it again, PAIRS
 *            times, with the N slices live around it: what an alloc+free
 *            pair costs in a pool of N live slices (the search, the split,
 *            the coalescing).
 *   replace  (bufpool.replace.*): free a uniformly chosen live slice and
 *            allocate its replacement, PAIRS times. Every pair touches
 *            metadata chosen at random among N, so this figure is dominated
 *            at 10^6 by the machine's cache misses, for every allocator.
 * Sizes are uniform in [16 B, 64 KiB] (log-uniform for bufpool.logsize.*:
 * 2^e + U[0, 2^e) with e uniform in [4, 15]); alignments 2^j B with j
 * uniform in [3, 12] (8 B - 4 KiB).
 *
 *   bufpool.iosim.1e3 / 1e5 / 1e6      the pool with its default options
 *                                      (granule 64 B: smaller alignments are
 *                                      rounded up to it; align_max 4 KiB,
 *                                      size_max 64 KiB), locked
 *   bufpool.glibc.*                    glibc's memalign (aligned_alloc's
 *                                      engine, reached as __libc_memalign
 *                                      because this binary links jemalloc)
 *   bufpool.jemalloc.*                 jemalloc's aligned_alloc (Debian
 *                                      libjemalloc, linked statically)
 *   bufpool.unlocked.iosim.*           the pool with BUFPOOL_UNLOCKED
 *   bufpool.g8.iosim.*                 the pool with an 8 B granule
 *   bufpool.replace.{iosim,glibc,jemalloc}.*  the replace workload
 *   bufpool.replace.floor.*            what memory alone costs in it: per pair,
 *                                      a 40-byte handle and five 32-byte
 *                                      records chosen at random among 1.5 N
 *                                      (the victim, its two neighbours, the
 *                                      block given out and its neighbour),
 *                                      with no other work
 *   bufpool.logsize.{iosim,glibc,jemalloc}.*  pairs, log-uniform sizes
 *   bufpool.fit.u95 / u98              what fragmentation costs: 2*10^6 random
 *                                      replacements of 20000 slices in a pool
 *                                      whose size they fill to 95 / 98 % on
 *                                      average; the percentage of requests that
 *                                      found no room (a policy that trades
 *                                      fit for speed shows here: reusing the
 *                                      last freed range first, tried once,
 *                                      failed 4 % of requests already at 90 %)
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
 * Every run of every allocator gives its memory back when done (glibc and
 * jemalloc: see run_malloc; jemalloc keeps its metadata, about 220 MiB at
 * 10^6, for the next run), so the process peaks at what one run needs:
 * about 5.4 GiB, in glibc's runs of the replace workload at 10^6, whose
 * chunk headers sit in the slices' own pages.
 */
#include <jemalloc/jemalloc.h>
#include <malloc.h>
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

enum wl_mode { WL_REPLACE, WL_PAIRS };

struct wl {
    uint64_t s;
    int logsize;
    enum wl_mode mode;
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

static void pool_open(struct bufpool *p, size_t n, size_t gran, uint32_t flags, size_t total)
{
    struct bufpool_opts o;
    bufpool_opts_default(&o);
    o.align_min = gran;
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

static void pool_replace(struct bufpool *p, struct bufpool_slice *v, size_t n, struct wl *w)
{
    size_t k = (size_t)(wl_next(w) % n);
    if (bufpool_free(p, &v[k]) != IOSIM_OK ||
        bufpool_alloc(p, wl_size(w), wl_align(w), &v[k]) != IOSIM_OK)
        die("pool pair");
}

static double run_pool(size_t n, size_t pairs, size_t gran, uint32_t flags, struct wl w)
{
    struct bufpool p;
    size_t mean = w.logsize ? 8192 : 33000;
    pool_open(&p, n + 1, gran, flags, n * mean * 3 / 2 + (1u << 24));
    struct bufpool_slice *v = malloc(n * sizeof *v);
    if (v == NULL)
        die("out of memory");
    for (size_t i = 0; i < n; i++)
        if (bufpool_alloc(&p, wl_size(&w), wl_align(&w), &v[i]) != IOSIM_OK)
            die("pool fill");
    for (size_t i = 0; i < n; i++) /* fragment it */
        pool_replace(&p, v, n, &w);
    double t0 = bench_wall_now();
    if (w.mode == WL_PAIRS) {
        for (size_t i = 0; i < pairs; i++) {
            struct bufpool_slice t;
            if (bufpool_alloc(&p, wl_size(&w), wl_align(&w), &t) != IOSIM_OK ||
                bufpool_free(&p, &t) != IOSIM_OK)
                die("pool pair");
        }
    } else {
        for (size_t i = 0; i < pairs; i++)
            pool_replace(&p, v, n, &w);
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

/*
 * A run of glibc or jemalloc gives back its memory before the next one
 * starts, as a run of the pool does (it builds and destroys its own pool).
 * glibc keeps the pages it wrote its chunk headers into after everything is
 * freed (5.1 GiB after a replace run at 10^6; the next run on the same heap
 * writes into others: 9.3 GiB after two) until malloc_trim(0) hands them
 * back. jemalloc writes nothing into the slices; it is asked to purge the
 * pages it holds freed. Its metadata (about 220 MiB at 10^6) stays in the
 * arena, where the next run reuses it: destroying it would mean running in
 * an arena made for each run (arenas.create), and that made
 * bufpool.replace.jemalloc.1e5 slower than in the automatic arena (about
 * 1000 ns against 780 on the development VM).
 */
static void je_purge(void)
{
    char name[48];
    snprintf(name, sizeof name, "arena.%u.purge", (unsigned)MALLCTL_ARENAS_ALL);
    if (mallctl("thread.tcache.flush", NULL, NULL, NULL, 0) != 0 ||
        mallctl(name, NULL, NULL, NULL, 0) != 0)
        die("jemalloc: purge failed");
}

static double run_malloc(size_t n, size_t pairs, int je, struct wl w)
{
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
    size_t churn = n, timed = pairs; /* fragment it first */
    double t0 = 0;
    for (size_t i = 0; i < churn + timed; i++) {
        if (i == churn)
            t0 = bench_wall_now();
        if (w.mode == WL_PAIRS && i >= churn) {
            size_t len = wl_size(&w);
            void *t = al(wl_align(&w), len);
            if (t == NULL)
                die("malloc pair");
            fr(t);
            continue;
        }
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
    if (je)
        je_purge();
    else
        (void)malloc_trim(0);
    return ns;
}

/* ---- the memory floor of the replace workload -------------------------------------------- */

struct floor_rec {
    uint32_t off, len, prev, next, a, b, c, d;
};

static double run_floor(size_t n, size_t pairs)
{
    size_t nr = n * 3 / 2;
    struct bufpool_slice *h = calloc(n, sizeof *h);
    struct floor_rec *r = calloc(nr, sizeof *r);
    if (h == NULL || r == NULL)
        die("out of memory");
    struct wl w = {.s = 0x243f6a8885a308d3ull};
    for (size_t i = 0; i < nr; i++) {
        r[i].prev = (uint32_t)(wl_next(&w) % nr);
        r[i].next = (uint32_t)(wl_next(&w) % nr);
    }
    for (size_t i = 0; i < n; i++)
        h[i].id = (uint32_t)(wl_next(&w) % nr);
    uint64_t acc = 0;
    double t0 = bench_wall_now();
    for (size_t i = 0; i < pairs; i++) {
        size_t k = (size_t)(wl_next(&w) % n);
        struct floor_rec *v = &r[h[k].id];
        struct floor_rec *left = &r[v->prev % nr], *right = &r[v->next % nr];
        acc += left->len + right->len;
        v->len++;
        struct floor_rec *pick = &r[(wl_next(&w) ^ acc) % nr];
        r[pick->next % nr].a++;
        pick->len ^= 1;
        h[k].id = (uint32_t)(pick - r);
    }
    double ns = (bench_wall_now() - t0) * 1e9 / (double)pairs;
    free(h);
    free(r);
    return acc == 42 ? ns + 1 : ns;
}

/* ---- fit: failures at high utilisation ------------------------------------------------- */

static double run_fit(double util)
{
    const size_t n = 20000, ops = 2000000;
    size_t total = (size_t)((double)n * 32776.0 / util) & ~(size_t)4095;
    struct bufpool p;
    struct bufpool_opts o;
    bufpool_opts_default(&o);
    o.slices_max = (uint32_t)n + 16;
    o.chunks_max = 2;
    o.flags = BUFPOOL_UNLOCKED;
    void *m = map_noreserve(total);
    uint32_t id;
    if (bufpool_init(&p, &o) != IOSIM_OK || m == NULL ||
        bufpool_chunk_add(&p, m, total, 0, unmap, NULL, &id) != IOSIM_OK)
        die("fit set-up");
    struct bufpool_slice *v = calloc(n, sizeof *v);
    char *live = calloc(n, 1);
    if (v == NULL || live == NULL)
        die("out of memory");
    struct wl w = {.s = 0x243f6a8885a308d3ull};
    size_t fails = 0;
    for (size_t i = 0; i < ops; i++) {
        size_t k = (size_t)(wl_next(&w) % n);
        if (live[k] && bufpool_free(&p, &v[k]) != IOSIM_OK)
            die("fit free");
        size_t len = wl_size(&w);
        live[k] = bufpool_alloc(&p, len, wl_align(&w), &v[k]) == IOSIM_OK;
        fails += !live[k];
    }
    for (size_t k = 0; k < n; k++)
        if (live[k])
            (void)bufpool_free(&p, &v[k]);
    free(v);
    free(live);
    if (bufpool_destroy(&p) != 0)
        die("fit destroy kept chunks");
    return 100.0 * (double)fails / (double)ops;
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

enum who { POOL, POOL_UNLOCKED, POOL_G8, GLIBC, JEMALLOC, FLOOR };

static double run_one(enum who a, size_t n, size_t pairs, struct wl w)
{
    switch (a) {
    case POOL: return run_pool(n, pairs, 64, 0, w);
    case POOL_UNLOCKED: return run_pool(n, pairs, 64, BUFPOOL_UNLOCKED, w);
    case POOL_G8: return run_pool(n, pairs, 8, 0, w);
    case GLIBC: return run_malloc(n, pairs, 0, w);
    case JEMALLOC: return run_malloc(n, pairs, 1, w);
    case FLOOR: return run_floor(n, pairs);
    }
    return 0;
}

struct series {
    const char *name;
    enum who who;
    enum wl_mode mode;
    int logsize;
};

static const struct series series[] = {
    {"bufpool.iosim", POOL, WL_PAIRS, 0},
    {"bufpool.glibc", GLIBC, WL_PAIRS, 0},
    {"bufpool.jemalloc", JEMALLOC, WL_PAIRS, 0},
    {"bufpool.unlocked.iosim", POOL_UNLOCKED, WL_PAIRS, 0},
    {"bufpool.g8.iosim", POOL_G8, WL_PAIRS, 0},
    {"bufpool.replace.iosim", POOL, WL_REPLACE, 0},
    {"bufpool.replace.glibc", GLIBC, WL_REPLACE, 0},
    {"bufpool.replace.jemalloc", JEMALLOC, WL_REPLACE, 0},
    {"bufpool.replace.floor", FLOOR, WL_REPLACE, 0},
    {"bufpool.logsize.iosim", POOL, WL_PAIRS, 1},
    {"bufpool.logsize.glibc", GLIBC, WL_PAIRS, 1},
    {"bufpool.logsize.jemalloc", JEMALLOC, WL_PAIRS, 1},
};

int main(void)
{
    static const struct {
        const char *tag;
        size_t n, pairs;
    } sizes[] = {{"1e3", 1000, 3000000}, {"1e5", 100000, 2000000}, {"1e6", 1000000, 2000000}};
    const size_t nseries = sizeof series / sizeof series[0];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (size_t k = 0; k < nseries; k++) {
            double t[ROUNDS];
            struct wl w = {.s = 0x243f6a8885a308d3ull, .logsize = series[k].logsize,
                           .mode = series[k].mode};
            for (int r = 0; r < ROUNDS; r++)
                t[r] = run_one(series[k].who, sizes[i].n, sizes[i].pairs, w);
            line(series[k].name, sizes[i].tag, bench_median(t, ROUNDS));
        }
    }
    printf("bench: bufpool.fit.u95 %.3f %%\n", run_fit(0.95));
    printf("bench: bufpool.fit.u98 %.3f %%\n", run_fit(0.98));
    fflush(stdout);
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
