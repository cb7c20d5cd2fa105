/* bench_hold: the hold model (see hold.h) on sim/evq, on a plain binary
 * heap in C (a yardstick), and on every scheduler of ns-3 when installed.
 * Prints `bench: hold.<queue>.<size> <ns> ns/op` (best of HOLD_ROUNDS
 * interleaved rounds) and the speedup of sim/evq over ns-3's best queue at
 * 1e4 and 1e6. Exit status 1 if any queue failed or popped a different
 * sequence than sim/evq. */
#include "bench/hold.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/engine/evq.h"
#include "sim/engine/rng.h"

#define INC_BITS 20
#define INC_MEAN_PS 1000000u /* 1 us mean increment */
#define OPS_MAX 2000000u     /* per round or warmup, for fast queues */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* As many operations as take about budget_ns at ns_per_op, within
 * [HOLD_OPS_MIN, OPS_MAX]. */
static uint32_t scale_ops(uint64_t budget_ns, double ns_per_op)
{
    double fit = ns_per_op > 0 ? (double)budget_ns / ns_per_op : (double)OPS_MAX;
    if (fit > (double)OPS_MAX)
        return OPS_MAX;
    return fit < (double)HOLD_OPS_MIN ? HOLD_OPS_MIN : (uint32_t)fit;
}

/* ---- sim/evq ---- */

static void *evq_open(const struct hold_queue *self, uint32_t n)
{
    (void)self;
    struct sim_evq *q = malloc(sizeof *q);
    if (q != NULL && sim_evq_init(q, n) != IOSIM_OK) {
        free(q);
        q = NULL;
    }
    return q;
}

static bool evq_fill(void *ctx, const struct hold_event *evs, uint32_t n)
{
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; i++)
        ok = sim_evq_push(ctx, evs[i].time_ps, evs[i].tag) == IOSIM_OK;
    return ok;
}

static bool evq_run(void *ctx, struct hold_cursor *c, uint32_t ops, uint64_t *hash)
{
    struct sim_evq *q = ctx;
    uint64_t k = c->k, tag = c->tag;
    bool ok = true;
    for (uint32_t i = 0; i < ops && ok; i++) {
        struct sim_evq_item it;
        if (!sim_evq_pop(q, &it))
            return false;
        if (hash)
            *hash = hold_hash(*hash, it.time_ps, it.tag);
        ok = sim_evq_push(q, it.time_ps + c->inc[k++ & c->inc_mask], tag++) == IOSIM_OK;
    }
    c->k = k;
    c->tag = tag;
    return ok;
}

static void evq_close(void *ctx)
{
    sim_evq_fini(ctx);
    free(ctx);
}

/* ---- textbook array binary heap on (time, tag) ---- */

struct bheap {
    uint32_t n, cap;
    struct sim_evq_item a[];
};

static inline bool item_less(struct sim_evq_item x, struct sim_evq_item y)
{
    return x.time_ps < y.time_ps || (x.time_ps == y.time_ps && x.tag < y.tag);
}

static void *bheap_open(const struct hold_queue *self, uint32_t n)
{
    (void)self;
    struct bheap *h = malloc(sizeof *h + (size_t)n * sizeof h->a[0]);
    if (h != NULL) {
        h->n = 0;
        h->cap = n;
    }
    return h;
}

static inline bool bheap_push(struct bheap *h, struct sim_evq_item it)
{
    if (h->n == h->cap)
        return false;
    uint32_t i = h->n++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!item_less(it, h->a[parent]))
            break;
        h->a[i] = h->a[parent];
        i = parent;
    }
    h->a[i] = it;
    return true;
}

static inline bool bheap_pop(struct bheap *h, struct sim_evq_item *out)
{
    if (h->n == 0)
        return false;
    *out = h->a[0];
    struct sim_evq_item last = h->a[--h->n];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && item_less(h->a[c + 1], h->a[c]))
            c++;
        if (!item_less(h->a[c], last))
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    h->a[i] = last;
    return true;
}

static bool bheap_fill(void *ctx, const struct hold_event *evs, uint32_t n)
{
    bool ok = true;
    for (uint32_t i = 0; i < n && ok; i++)
        ok = bheap_push(ctx, (struct sim_evq_item){evs[i].time_ps, evs[i].tag});
    return ok;
}

static bool bheap_run(void *ctx, struct hold_cursor *c, uint32_t ops, uint64_t *hash)
{
    struct bheap *h = ctx;
    uint64_t k = c->k, tag = c->tag;
    bool ok = true;
    for (uint32_t i = 0; i < ops && ok; i++) {
        struct sim_evq_item it;
        if (!bheap_pop(h, &it))
            return false;
        if (hash)
            *hash = hold_hash(*hash, it.time_ps, it.tag);
        it.time_ps += c->inc[k++ & c->inc_mask];
        it.tag = tag++;
        ok = bheap_push(h, it);
    }
    c->k = k;
    c->tag = tag;
    return ok;
}

static void bheap_close(void *ctx)
{
    free(ctx);
}

/* ---- the runner ---- */

static const struct hold_queue c_queues[] = {
    {"iosim", evq_open, evq_fill, evq_run, evq_close},
    {"heap", bheap_open, bheap_fill, bheap_run, bheap_close},
};

#define C_QUEUES (sizeof c_queues / sizeof c_queues[0])
#if IOSIM_HOLD_NS3
#define QUEUES_MAX (C_QUEUES + HOLD_NS3_QUEUES)
#else
#define QUEUES_MAX C_QUEUES
#endif

struct slot {
    const struct hold_queue *q;
    void *ctx;
    struct hold_cursor cur;
    uint32_t ops;    /* per round */
    double best_ns;  /* per operation */
};

/* Opens, fills, verifies (hash of the first pops into *hash) and warms
 * up one queue. */
static bool slot_prepare(struct slot *s, const struct hold_event *evs, uint32_t n,
                         struct hold_cursor start, uint64_t *hash, const char *label)
{
    s->ctx = s->q->open(s->q, n);
    if (s->ctx == NULL || !s->q->fill(s->ctx, evs, n)) {
        fprintf(stderr, "bench_hold: %s.%s: set-up failed\n", s->q->name, label);
        return false;
    }
    s->cur = start;
    *hash = 0xcbf29ce484222325ull;
    uint64_t t0 = now_ns();
    if (!s->q->run(s->ctx, &s->cur, HOLD_VERIFY_OPS, hash))
        return false;
    double rough = (double)(now_ns() - t0) / HOLD_VERIFY_OPS;
    s->ops = scale_ops(HOLD_ROUND_BUDGET_NS, rough);
    s->best_ns = 0;
    return s->q->run(s->ctx, &s->cur, scale_ops(HOLD_WARMUP_BUDGET_NS, rough), NULL);
}

static bool run_rounds(struct slot *slots, uint32_t count)
{
    for (uint32_t r = 0; r < HOLD_ROUNDS; r++) {
        for (uint32_t i = 0; i < count; i++) {
            struct slot *s = &slots[i];
            uint64_t t0 = now_ns();
            if (!s->q->run(s->ctx, &s->cur, s->ops, NULL))
                return false;
            double ns = (double)(now_ns() - t0) / s->ops;
            if (r == 0 || ns < s->best_ns)
                s->best_ns = ns;
        }
    }
    return true;
}

static bool bench_size(const char *label, uint32_t n, const uint64_t *inc, uint32_t inc_mask)
{
    struct hold_event *evs = malloc((size_t)n * sizeof *evs);
    if (evs == NULL)
        return false;
    for (uint32_t i = 0; i < n; i++)
        evs[i] = (struct hold_event){.time_ps = inc[i & inc_mask], .tag = i};
    struct hold_cursor start = {.inc = inc, .inc_mask = inc_mask, .k = n, .tag = n};
    struct slot slots[QUEUES_MAX] = {{0}};
    uint32_t count = 0;
    for (uint32_t i = 0; i < C_QUEUES; i++)
        slots[count++].q = &c_queues[i];
#if IOSIM_HOLD_NS3
    for (uint32_t i = 0; i < HOLD_NS3_QUEUES; i++)
        slots[count++].q = &hold_ns3_queues[i];
#endif
    uint64_t want_hash = 0, hash = 0;
    bool ok = true;
    for (uint32_t i = 0; i < count && ok; i++) {
        ok = slot_prepare(&slots[i], evs, n, start, i == 0 ? &want_hash : &hash, label);
        if (ok && i > 0 && hash != want_hash) {
            fprintf(stderr, "bench_hold: %s.%s popped a different sequence than sim/evq\n",
                    slots[i].q->name, label);
            ok = false;
        }
    }
    ok = ok && run_rounds(slots, count);
    double ns3_best = 0;
    for (uint32_t i = 0; i < count && ok; i++) {
        printf("# hold.%s.%s: %u ops per round\n", slots[i].q->name, label, slots[i].ops);
        printf("bench: hold.%s.%s %.1f ns/op\n", slots[i].q->name, label, slots[i].best_ns);
        if (i >= C_QUEUES && (ns3_best == 0 || slots[i].best_ns < ns3_best))
            ns3_best = slots[i].best_ns;
    }
    if (ok && ns3_best > 0 && n >= 10000)
        printf("bench: hold.speedup.%s %.2f x\n", label, ns3_best / slots[0].best_ns);
    fflush(stdout);
    for (uint32_t i = 0; i < count; i++)
        if (slots[i].ctx != NULL)
            slots[i].q->close(slots[i].ctx);
    free(evs);
    return ok;
}

int main(void)
{
    static uint64_t inc[1u << INC_BITS];
    struct sim_rng rng;
    sim_rng_stream(&rng, 1, "hold-increments");
    for (uint32_t i = 0; i < (1u << INC_BITS); i++)
        inc[i] = sim_rng_exp(&rng, INC_MEAN_PS);
    printf("# hold model: exponential increments, mean %u ps, table of 2^%d; value = best "
           "of %u rounds interleaved across queues\n", INC_MEAN_PS, INC_BITS, HOLD_ROUNDS);
#if !IOSIM_HOLD_NS3
    fprintf(stderr, "bench_hold: ns-3 comparison skipped: ns-3 (pkg-config ns3-core) is not "
                    "installed\n");
#endif
    static const struct {
        const char *label;
        uint32_t n;
    } sizes[] = {{"1e2", 100}, {"1e4", 10000}, {"1e6", 1000000}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (!bench_size(sizes[i].label, sizes[i].n, (const uint64_t *)inc, (1u << INC_BITS) - 1))
            return 1;
    return 0;
}
