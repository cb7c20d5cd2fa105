/* impl/ring under the simulator: across many seeds of random and pct
 * scheduling, with the weak memory model on, every entry arrives intact and
 * in order. The same harness, built with a deliberately broken ring
 * (tests/seeded/), must fail: see docs/architecture.md, "Seeded ring bugs". */
#include <criterion/criterion.h>

#include "tests/sim/stack/ring_sim_harness.h"

#define SEEDS 40

Test(ring_sim, every_entry_arrives_under_random_scheduling_and_weak_memory, .timeout = 120)
{
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        cr_assert(harness_run(SIM_POLICY_RANDOM, 0, seed, false), "random, seed %llu",
                  (unsigned long long)seed);
        cr_assert(harness_run(SIM_POLICY_RANDOM, 0, seed, true), "random, batches, seed %llu",
                  (unsigned long long)seed);
    }
}

Test(ring_sim, every_entry_arrives_under_pct, .timeout = 120)
{
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        cr_assert(harness_run(SIM_POLICY_PCT, 3, seed, false), "pct:3, seed %llu",
                  (unsigned long long)seed);
        cr_assert(harness_run(SIM_POLICY_PCT, 2, seed, true), "pct:2, batches, seed %llu",
                  (unsigned long long)seed);
    }
}
