/* bench_hold: the hold model (see hold.h) on sim/evq, on a plain binary
 * heap in C (a yardstick), and on every scheduler of ns-3 when installed.
 * Prints `bench: hold.<queue>.<size> <ns> ns/op` (median of the timed
 * repetitions) and the speedup of sim/evq over ns-3's best at 1e4 and 1e6. */
#include "bench/hold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/evq.h"
#include "sim/rng.h"

#define INC_BITS 20
#define INC_MEAN_PS 1000000u /* 1 us mean increment */
#define REPS 5

uint64_t hold_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double hold_median(double *v, uint32_t reps)
{
    qsort(v, reps, sizeof *v, cmp_double);
    return reps % 2 ? v[reps / 2] : (v[reps / 2 - 1] + v[reps / 2]) / 2;
}

uint32_t hold_scale_ops(uint32_t max_ops, uint64_t budget_ns, double ns_per_op)
{
    double fit = ns_per_op > 0 ? (double)budget_ns / ns_per_op : (double)max_ops;
    uint32_t ops = fit < (double)max_ops ? (uint32_t)fit : max_ops;
    return ops < HOLD_OPS_MIN ? (max_ops < HOLD_OPS_MIN ? max_ops : HOLD_OPS_MIN) : ops;
}

/* ---- the C queues behind one small interface; a phase of hold
 * operations is one indirect call, the operations inside are direct ---- */

struct hold_queue {
    const char *name;
    bool (*setup)(void *ctx, uint32_t n);
    bool (*fill)(void *ctx, uint64_t time_ps, uint64_t tag);
    bool (*run)(void *ctx, const struct hold_plan *p, uint64_t *k, uint64_t *tag,
                uint32_t ops, uint64_t *hash);
    void (*teardown)(void *ctx);
};

static bool evq_setup(void *ctx, uint32_t n)
{
    return sim_evq_init(ctx, n) == IOSIM_OK;
}

static bool evq_fill(void *ctx, uint64_t time_ps, uint64_t tag)
{
    return sim_evq_push(ctx, time_ps, tag) == IOSIM_OK;
}

static bool evq_run(void *ctx, const struct hold_plan *p, uint64_t *k, uint64_t *tag,
                    uint32_t ops, uint64_t *hash)
{
    struct sim_evq *q = ctx;
    uint64_t kk = *k, tg = *tag;
    bool ok = true;
    for (uint32_t i = 0; i < ops && ok; i++) {
        struct sim_evq_item it;
        if (!sim_evq_pop(q, &it))
            return false;
        if (hash)
            *hash = hold_hash(*hash, it.time_ps, it.tag);
        ok = sim_evq_push(q, it.time_ps + p->inc[kk++ & p->inc_mask], tg++) == IOSIM_OK;
    }
    *k = kk;
    *tag = tg;
    return ok;
}

static void evq_teardown(void *ctx)
{
    sim_evq_fini(ctx);
}

/* Textbook array binary heap on (time, tag). */
struct bheap {
    struct sim_evq_item *a;
    uint32_t n, cap;
};

static inline bool item_less(struct sim_evq_item x, struct sim_evq_item y)
{
    return x.time_ps < y.time_ps || (x.time_ps == y.time_ps && x.tag < y.tag);
}

static bool bheap_setup(void *ctx, uint32_t n)
{
    struct bheap *h = ctx;
    h->a = malloc((size_t)n * sizeof *h->a);
    h->n = 0;
    h->cap = n;
    return h->a != NULL;
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

static bool bheap_fill(void *ctx, uint64_t time_ps, uint64_t tag)
{
    return bheap_push(ctx, (struct sim_evq_item){time_ps, tag});
}

static bool bheap_run(void *ctx, const struct hold_plan *p, uint64_t *k, uint64_t *tag,
                      uint32_t ops, uint64_t *hash)
{
    struct bheap *h = ctx;
    uint64_t kk = *k, tg = *tag;
    bool ok = true;
    for (uint32_t i = 0; i < ops && ok; i++) {
        struct sim_evq_item it;
        if (!bheap_pop(h, &it))
            return false;
        if (hash)
            *hash = hold_hash(*hash, it.time_ps, it.tag);
        it.time_ps += p->inc[kk++ & p->inc_mask];
        it.tag = tg++;
        ok = bheap_push(h, it);
    }
    *k = kk;
    *tag = tg;
    return ok;
}

static void bheap_teardown(void *ctx)
{
    free(((struct bheap *)ctx)->a);
}

static bool run_c_queue(const struct hold_queue *hq, void *ctx, const struct hold_plan *p,
                        struct hold_result *res)
{
    if (!hq->setup(ctx, p->n))
        return false;
    uint64_t k = 0, tag = 0, hash = 0xcbf29ce484222325ull;
    bool ok = true;
    for (uint32_t i = 0; i < p->n && ok; i++, tag++)
        ok = hq->fill(ctx, p->inc[k++ & p->inc_mask], tag);
    uint64_t t0 = hold_now_ns();
    ok = ok && hq->run(ctx, p, &k, &tag, p->verify_ops, &hash);
    double rough = (double)(hold_now_ns() - t0) / p->verify_ops;
    uint32_t warmup = hold_scale_ops(p->warmup_ops, HOLD_WARMUP_BUDGET_NS, rough);
    uint32_t ops = hold_scale_ops(p->ops, HOLD_REP_BUDGET_NS, rough);
    ok = ok && hq->run(ctx, p, &k, &tag, warmup, NULL);
    double ns[HOLD_REPS_MAX];
    for (uint32_t r = 0; r < p->reps && ok; r++) {
        t0 = hold_now_ns();
        ok = hq->run(ctx, p, &k, &tag, ops, NULL);
        ns[r] = (double)(hold_now_ns() - t0) / ops;
    }
    hq->teardown(ctx);
    if (!ok)
        return false;
    res->ns_per_op = hold_median(ns, p->reps);
    res->verify_hash = hash;
    res->ops = ops;
    return true;
}

/* ---- sizes and plans ---- */

/* Maximum operations; slow queues get fewer (hold_scale_ops). */
struct size_plan {
    const char *label;
    uint32_t n;
    uint32_t ops; /* per rep */
    uint32_t warmup_ops;
};

static const struct size_plan sizes[] = {
    {"1e2", 100, 2000000, 200000},
    {"1e4", 10000, 2000000, 200000},
    {"1e6", 1000000, 2000000, 1000000},
};

enum { VERIFY_OPS = 1000 };

static void check_hash(const char *what, const char *size, uint64_t hash, uint64_t want,
                       bool *all_ok)
{
    if (hash == want)
        return;
    fprintf(stderr, "bench_hold: %s at %s popped a different sequence than sim/evq\n", what,
            size);
    *all_ok = false;
}

static bool bench_size(const struct size_plan *sp, struct hold_plan plan, bool *all_ok)
{
    plan.n = sp->n;
    plan.ops = sp->ops;
    plan.warmup_ops = sp->warmup_ops;
    struct sim_evq q;
    struct bheap h;
    static const struct hold_queue evq_q = {"iosim", evq_setup, evq_fill, evq_run, evq_teardown};
    static const struct hold_queue heap_q = {"heap", bheap_setup, bheap_fill, bheap_run,
                                             bheap_teardown};
    struct hold_result mine, heap;
    if (!run_c_queue(&evq_q, &q, &plan, &mine) || !run_c_queue(&heap_q, &h, &plan, &heap)) {
        fprintf(stderr, "bench_hold: C queue failed at %s\n", sp->label);
        return false;
    }
    printf("# hold.iosim.%s: %u ops per rep\n", sp->label, mine.ops);
    printf("bench: hold.iosim.%s %.1f ns/op\n", sp->label, mine.ns_per_op);
    printf("# hold.heap.%s: %u ops per rep\n", sp->label, heap.ops);
    printf("bench: hold.heap.%s %.1f ns/op\n", sp->label, heap.ns_per_op);
    check_hash("heap", sp->label, heap.verify_hash, mine.verify_hash, all_ok);
    fflush(stdout);
#if IOSIM_HOLD_NS3
    double best = 0;
    for (int s = 0; s < HOLD_NS3_SCHEDULERS; s++) {
        const char *name = hold_ns3_names[s];
        struct hold_result r;
        if (!hold_ns3_run(name, &plan, &r))
            return false;
        printf("# hold.ns3.%s.%s: %u ops per rep\n", name, sp->label, r.ops);
        printf("bench: hold.ns3.%s.%s %.1f ns/op\n", name, sp->label, r.ns_per_op);
        fflush(stdout);
        check_hash(name, sp->label, r.verify_hash, mine.verify_hash, all_ok);
        if (best == 0 || r.ns_per_op < best)
            best = r.ns_per_op;
    }
    if (sp->n >= 10000)
        printf("bench: hold.speedup.%s %.2f x\n", sp->label, best / mine.ns_per_op);
#endif
    return true;
}

int main(void)
{
    static uint64_t inc[1u << INC_BITS];
    struct sim_rng rng;
    sim_rng_stream(&rng, 1, "hold-increments");
    for (uint32_t i = 0; i < (1u << INC_BITS); i++)
        inc[i] = sim_rng_exp(&rng, INC_MEAN_PS);
    struct hold_plan plan = {.verify_ops = VERIFY_OPS, .reps = REPS, .inc = inc,
                             .inc_mask = (1u << INC_BITS) - 1};
    printf("# hold model: exponential increments, mean %u ps, table of 2^%d; "
           "value = median of %d timed repetitions\n", INC_MEAN_PS, INC_BITS, REPS);
#if !IOSIM_HOLD_NS3
    fprintf(stderr, "bench_hold: ns-3 comparison skipped: ns-3 (pkg-config ns3-core) is not "
                    "installed\n");
#endif
    bool all_ok = true;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (!bench_size(&sizes[i], plan, &all_ok))
            return 1;
    return all_ok ? 0 : 1;
}
