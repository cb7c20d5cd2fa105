/* The ring scenarios (a client and a served scheme, through the kernel and
 * over a secondary ring) hold under random and pct scheduling for many
 * seeds: every completion is checked by the client, whose exit status is an
 * expectation. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "sim/run.h"

#define SEEDS 30

static void sweep(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/scenarios/suite/rings/%s.yaml", IOSIM_SOURCE_DIR, name);
    struct sim_scenario *s;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load(path, &s, &err), IOSIM_OK, "%s", err.msg);
    const char *policies[] = {"random", "pct:2", "pct:3"};
    static struct sim_run_result r;
    for (size_t p = 0; p < 3; p++) {
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
            struct sim_run_opts o = {.seed = seed, .seed_set = true, .policy = policies[p]};
            cr_assert_eq(sim_run(s, &o, &r), IOSIM_OK, "%s", r.message);
            cr_assert(r.passed, "%s --policy %s --seed %llu: %s", name, policies[p],
                      (unsigned long long)seed, r.failures[0]);
        }
    }
    sim_scenario_free(s);
}

Test(ring_scenarios, a_client_and_a_served_scheme_through_the_kernel, .timeout = 300)
{
    sweep("echo-ring");
}

Test(ring_scenarios, blocking_system_calls_to_a_served_scheme, .timeout = 300)
{
    sweep("echo-sync");
}

Test(ring_scenarios, a_secondary_ring_set_up_through_the_kernel, .timeout = 300)
{
    sweep("echo-secondary");
}
