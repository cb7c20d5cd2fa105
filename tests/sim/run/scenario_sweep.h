/* Runs one scenario file for seeds 1..seeds under each of `policies` (NULL
 * terminated) and fails at the first run that does not pass, naming the
 * run's repro. Shared by the tests that check a scenario holds for many
 * schedules. */
#ifndef IOSIM_TEST_SCENARIO_SWEEP_H
#define IOSIM_TEST_SCENARIO_SWEEP_H

#include <criterion/criterion.h>
#include <stdio.h>

#include "sim/run/run.h"

static inline void scenario_sweep(const char *rel_path, const char *const *policies,
                                  uint64_t seeds)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", IOSIM_SOURCE_DIR, rel_path);
    struct sim_scenario *s;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load(path, &s, &err), IOSIM_OK, "%s", err.msg);
    static struct sim_run_result r;
    for (size_t p = 0; policies[p] != NULL; p++) {
        for (uint64_t seed = 1; seed <= seeds; seed++) {
            struct sim_run_opts o = {.seed = seed, .seed_set = true, .policy = policies[p]};
            cr_assert_eq(sim_run(s, &o, &r), IOSIM_OK, "%s", r.message);
            cr_assert(r.passed, "%s --policy %s --seed %llu: %s", rel_path, policies[p],
                      (unsigned long long)seed, r.failures[0]);
        }
    }
    sim_scenario_free(s);
}

#endif /* IOSIM_TEST_SCENARIO_SWEEP_H */
