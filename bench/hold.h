/*
 * hold.h - the hold-model benchmark, shared by its C driver (bench_hold.c)
 * and its ns-3 part (hold_ns3.cc).
 *
 * Classic hold model: fill n pending events, then repeat {pop the earliest;
 * push it again at popped.time + increment}. Every queue reads the same
 * precomputed table of exponential increments, so generator cost is the
 * same everywhere. A run has phases:
 *
 *   fill (n events, times inc[0..n), tags 0..n)   untimed
 *   verify_ops hold operations, popped items hashed  the hash must agree
 *                                                   across queues; timed
 *                                                   roughly, to size the rest
 *   warmup_ops hold operations                      untimed
 *   reps x ops hold operations, each rep timed      median reported
 *
 * warmup_ops and ops are maxima: a slow queue (ns-3's list, or its calendar
 * at 1e6) gets as many as fit HOLD_WARMUP_BUDGET_NS and HOLD_REP_BUDGET_NS.
 *
 * Benchmark code: it reads the host clock, which simulation code never does.
 */
#ifndef IOSIM_BENCH_HOLD_H
#define IOSIM_BENCH_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HOLD_REPS_MAX 9
#define HOLD_WARMUP_BUDGET_NS 500000000u /* 0.5 s */
#define HOLD_REP_BUDGET_NS 250000000u    /* 0.25 s */
#define HOLD_OPS_MIN 100u

struct hold_plan {
    uint32_t n;
    uint32_t verify_ops;
    uint32_t warmup_ops;
    uint32_t reps;       /* 1 .. HOLD_REPS_MAX */
    uint32_t ops;        /* per timed repetition */
    const uint64_t *inc; /* borrowed; inc_mask + 1 increments, a power of two */
    uint32_t inc_mask;
};

struct hold_result {
    double ns_per_op;     /* median of the reps */
    uint64_t verify_hash; /* over the verify phase's popped (time, tag) */
    uint32_t ops;         /* per rep, as scaled */
};

/* Hash step over one popped item; identical in C and C++. */
static inline uint64_t hold_hash(uint64_t h, uint64_t time_ps, uint64_t tag)
{
    h = (h ^ time_ps) * 0x100000001b3ull;
    return (h ^ tag) * 0x100000001b3ull;
}

/* Monotonic host clock in nanoseconds. */
uint64_t hold_now_ns(void);

/* Median of reps values; sorts them in place. */
double hold_median(double *v, uint32_t reps);

/* max_ops, or fewer so that they take about budget_ns at ns_per_op (never
 * fewer than HOLD_OPS_MIN, nor more than max_ops). */
uint32_t hold_scale_ops(uint32_t max_ops, uint64_t budget_ns, double ns_per_op);

#if IOSIM_HOLD_NS3
/* ns-3's schedulers, by the lower-case names used in the bench lines. */
#define HOLD_NS3_SCHEDULERS 5
extern const char *const hold_ns3_names[HOLD_NS3_SCHEDULERS];

/* Runs the plan on ns-3 scheduler `name`; false (and a message on stderr)
 * on an unknown name or an inconsistent scheduler. */
bool hold_ns3_run(const char *name, const struct hold_plan *plan, struct hold_result *res);
#endif

#ifdef __cplusplus
}
#endif

#endif /* IOSIM_BENCH_HOLD_H */
