/*
 * rng.h - the simulator's seeded pseudo-random numbers.
 *
 * Generator: xoshiro256** 1.0 (Blackman and Vigna, 2018), state seeded with
 * SplitMix64, both public-domain algorithms with published reference outputs
 * (tests/sim/engine/test_rng.c checks ours against them).
 *
 * A run has one seed. Each consumer draws from its own named stream,
 * derived from (seed, name) alone, so adding draws to one stream (say the
 * fault injector) never shifts another (the scheduler):
 *
 *     struct sim_rng sched, faults;
 *     sim_rng_stream(&sched, seed, "scheduler");
 *     sim_rng_stream(&faults, seed, "faults");
 *     uint64_t pick = sim_rng_below(&sched, n_runnable);
 *
 * A struct sim_rng is a value owned by its user; not thread-safe.
 */
#ifndef IOSIM_SIM_RNG_H
#define IOSIM_SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct sim_rng {
    uint64_t s[4];
};

/* SplitMix64 step: advances *state and returns the next output. */
uint64_t sim_splitmix64(uint64_t *state);

/* Seeds from one 64-bit value through SplitMix64 (the authors' recipe). */
void sim_rng_seed(struct sim_rng *rng, uint64_t seed);

/* The stream called `name` of run seed `seed`. */
void sim_rng_stream(struct sim_rng *rng, uint64_t seed, const char *name);

/* Next 64 random bits. */
uint64_t sim_rng_next(struct sim_rng *rng);

/* Uniform in [0, bound); bound > 0. Unbiased (Lemire's method). */
uint64_t sim_rng_below(struct sim_rng *rng, uint64_t bound);

/* Uniform in [lo, hi]; lo <= hi. */
uint64_t sim_rng_range(struct sim_rng *rng, uint64_t lo, uint64_t hi);

/* True with probability per_mille / 1000. */
bool sim_rng_chance(struct sim_rng *rng, uint32_t per_mille);

/* Uniform double in [0, 1) with 53 random bits. */
double sim_rng_unit(struct sim_rng *rng);

/* Exponentially distributed integer with the given mean (>= 1), computed
 * with integer arithmetic only, so gcc and clang builds agree bit for bit. */
uint64_t sim_rng_exp(struct sim_rng *rng, uint64_t mean);

#endif /* IOSIM_SIM_RNG_H */
