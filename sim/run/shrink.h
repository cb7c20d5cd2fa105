/*
 * shrink.h - making a failing run smaller while it fails the same way.
 *
 * A run is its scenario, seed and policy plus three things a person would
 * rather see fewer of: the schedule decisions that were not the default
 * (sim/machine/decisions.h), the faults of its fault set, and the counts
 * the scenario marks as shrinkable (a workload's length). sim_shrink
 * searches for a smaller candidate the caller's test still sees failing
 * the same way:
 *   1. each shrinkable count is bisected down towards its minimum (first,
 *      while the decisions are many: a shorter workload shifts the choice
 *      indices after it), and faults and decisions are taken out in
 *      chunks, halving the chunk down to single entries (delta debugging's
 *      complement step), until a whole round changes nothing; a shorter
 *      count that no longer fails is tried once more with every decision
 *      moved earlier by the choices the shorter run no longer makes (the
 *      decision that raced the last iterations races the new last ones);
 *   2. each decision left is moved as late as it can go (bisecting the gap
 *      to the next one): a failure after a long default prefix is easier
 *      to follow than one at the start.
 * Each candidate costs one call of the test, never more than runs_max in
 * all. Nothing here runs a simulation, draws a random number or reads a
 * clock: given a deterministic test, the result is deterministic.
 *
 *     struct sim_shrink_cand c = {0};
 *     sim_dec_copy(&c.dec, &recorded);  c.fault_n = 3;  c.fault_on[0..2] = true;
 *     struct sim_shrink_stats st;
 *     sim_shrink(&c, run_choices, 500, still_fails, ctx, &st);
 *     ... c is the smallest failing candidate found; sim_shrink_cand_free(&c)
 *
 * Ownership: the candidate owns its decision list; the test borrows the
 * candidates it is given for the call only.
 */
#ifndef IOSIM_SIM_SHRINK_H
#define IOSIM_SIM_SHRINK_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/machine/decisions.h"

#define SIM_SHRINK_FAULTS_MAX 64u
#define SIM_SHRINK_COUNTS_MAX 16u

struct sim_shrink_cand {
    struct sim_decisions dec;
    uint32_t fault_n;                          /* entries of the run's fault set */
    bool fault_on[SIM_SHRINK_FAULTS_MAX];      /* which of them this candidate keeps */
    uint32_t count_n;                          /* shrinkable counts */
    uint64_t count[SIM_SHRINK_COUNTS_MAX];
    uint64_t count_min[SIM_SHRINK_COUNTS_MAX]; /* how far each may go down */
};

/* True when the candidate still fails the same way as the original;
 * *choices: how many schedule choices its run made (0 if unknown). */
typedef bool sim_shrink_test_fn(void *ctx, const struct sim_shrink_cand *c, uint64_t *choices);

struct sim_shrink_stats {
    uint32_t runs;               /* candidates tested */
    bool budget_out;             /* used up runs_max (a fixed point may not be reached) */
    uint32_t dec_before, dec_after;
    uint32_t faults_before, faults_after;
    uint64_t counts_before, counts_after; /* sums of the shrinkable counts */
};

/* Shrinks *c in place. `horizon`: the choice indices the original run
 * made (no decision moves to or past it). ENOMEM when a candidate could
 * not be built (c is then the best found so far). */
enum iosim_err sim_shrink(struct sim_shrink_cand *c, uint64_t horizon, uint32_t runs_max,
                          sim_shrink_test_fn *test, void *ctx, struct sim_shrink_stats *st);

uint32_t sim_shrink_faults_on(const struct sim_shrink_cand *c);
void sim_shrink_cand_free(struct sim_shrink_cand *c);

#endif /* IOSIM_SIM_SHRINK_H */
