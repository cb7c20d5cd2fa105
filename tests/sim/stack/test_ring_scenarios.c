/* The ring scenarios (a client and a served scheme, through the kernel and
 * over a secondary ring) hold under random and pct scheduling for many
 * seeds: every completion is checked by the client, whose exit status is an
 * expectation. */
#include "tests/sim/run/scenario_sweep.h"

#define SEEDS 30

static void sweep(const char *name)
{
    static const char *const policies[] = {"random", "pct:2", "pct:3", NULL};
    char rel[128];
    snprintf(rel, sizeof rel, "scenarios/suite/rings/%s.yaml", name);
    scenario_sweep(rel, policies, SEEDS);
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
