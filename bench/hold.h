/*
 * hold.h - the hold-model benchmark, shared by its C driver (bench_hold.c)
 * and its ns-3 part (hold_ns3.cc).
 *
 * Classic hold model: fill n pending events, then repeat {pop the earliest;
 * push it again at popped.time + increment}. Every queue reads the same
 * precomputed table of exponential increments through its own cursor, so
 * generator cost is the same everywhere and every queue sees the same
 * events. For one size, all queues are set up side by side:
 *
 *   fill: n events, times inc[0..n), tags 0..n          untimed
 *   verify: HOLD_VERIFY_OPS operations, pops hashed     the hash must agree
 *           across queues; timed roughly to size the next phases
 *   warmup: up to HOLD_WARMUP_BUDGET_NS of operations   untimed
 *   HOLD_ROUNDS rounds; in each, every queue in turn    the best round of
 *           runs up to HOLD_ROUND_BUDGET_NS of ops      each queue counts
 *
 * Interleaving the rounds means a burst of load from elsewhere on the
 * machine slows one round of every queue rather than all rounds of one.
 *
 * A queue is four functions over an opaque context (struct hold_queue).
 * Benchmark code: it reads the host clock, which simulation code never does.
 */
#ifndef IOSIM_BENCH_HOLD_H
#define IOSIM_BENCH_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HOLD_VERIFY_OPS 1000u
#define HOLD_ROUNDS 7u
#define HOLD_WARMUP_BUDGET_NS 300000000u /* 0.3 s */
#define HOLD_ROUND_BUDGET_NS 150000000u  /* 0.15 s */
#define HOLD_OPS_MIN 100u

/* Where a queue is in the increment table; one per queue. */
struct hold_cursor {
    const uint64_t *inc; /* borrowed; inc_mask + 1 increments */
    uint32_t inc_mask;
    uint64_t k;   /* next increment */
    uint64_t tag; /* next tag */
};

/* One pending event as the fill phase hands it over. */
struct hold_event {
    uint64_t time_ps;
    uint64_t tag;
};

struct hold_queue {
    const char *name; /* as printed: "iosim", "heap", "ns3.map", ... */
    /* Room for n events; NULL on failure. */
    void *(*open)(const struct hold_queue *self, uint32_t n);
    /* Inserts the n events, in any order it likes. */
    bool (*fill)(void *ctx, const struct hold_event *evs, uint32_t n);
    /* ops hold operations from cursor c; hashes pops into *hash if not NULL. */
    bool (*run)(void *ctx, struct hold_cursor *c, uint32_t ops, uint64_t *hash);
    void (*close)(void *ctx);
};

/* Hash step over one popped item; identical in C and C++. */
static inline uint64_t hold_hash(uint64_t h, uint64_t time_ps, uint64_t tag)
{
    h = (h ^ time_ps) * 0x100000001b3ull;
    return (h ^ tag) * 0x100000001b3ull;
}

#if IOSIM_HOLD_NS3
/* Every scheduler ns-3 ships, named "ns3.<lower-case name>". */
#define HOLD_NS3_QUEUES 5
extern const struct hold_queue hold_ns3_queues[HOLD_NS3_QUEUES];
#endif

#ifdef __cplusplus
}
#endif

#endif /* IOSIM_BENCH_HOLD_H */
