/*
 * The planted races of scenarios/planted/ (see its README): `random` and
 * `pct:D` must find each bug within SEEDS_BUDGET seeds, `fifo` must never
 * find it in SEEDS_FIFO seeds, and the first failing seed must replay to the
 * same failure with the same trace hash.
 *
 * Measured when written (seeds 1..40): lost-update first fails at seed 5
 * (random), 3 (pct:2), 3 (pct:3); message-passing-relaxed at seed 4
 * (random), 1 (pct:2), 1 (pct:3). The budget of 20 leaves room for model
 * changes; docs/architecture.md ("Finding races") quotes these numbers.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "sim/run/run.h"

#define SEEDS_BUDGET 20
#define SEEDS_FIFO 50

static struct sim_scenario *load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/scenarios/planted/%s.yaml", IOSIM_SOURCE_DIR, name);
    struct sim_scenario *s = NULL;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load(path, &s, &err), IOSIM_OK, "%s", err.msg);
    return s;
}

static bool run_once(struct sim_scenario *s, const char *policy, uint64_t seed,
                     struct sim_run_result *r)
{
    struct sim_run_opts o = {.seed = seed, .seed_set = true, .policy = policy};
    cr_assert_eq(sim_run(s, &o, r), IOSIM_OK, "%s", r->message);
    return r->passed;
}

static void fifo_never_finds(const char *name)
{
    struct sim_scenario *s = load(name);
    static struct sim_run_result r;
    for (uint64_t seed = 1; seed <= SEEDS_FIFO; seed++)
        cr_expect(run_once(s, "fifo", seed, &r), "%s: fifo failed at seed %llu: %s", name,
                  (unsigned long long)seed, r.failures[0]);
    sim_scenario_free(s);
}

static void policy_finds_and_replays(const char *name, const char *policy)
{
    struct sim_scenario *s = load(name);
    static struct sim_run_result r, again;
    uint64_t found = 0;
    for (uint64_t seed = 1; seed <= SEEDS_BUDGET && found == 0; seed++)
        if (!run_once(s, policy, seed, &r))
            found = seed;
    cr_assert_neq(found, 0, "%s: %s found nothing in %d seeds", name, policy, SEEDS_BUDGET);
    cr_log_info("%s: %s finds the bug at seed %llu", name, policy, (unsigned long long)found);
    cr_expect(!run_once(s, policy, found, &again), "seed %llu did not replay",
              (unsigned long long)found);
    cr_expect_eq(again.trace_hash, r.trace_hash, "replay changed the trace hash");
    cr_expect_str_eq(again.failures[0], r.failures[0]);
    cr_expect_eq(again.end_ps, r.end_ps);
    sim_scenario_free(s);
}

Test(planted_race, fifo_never_finds_the_lost_update) { fifo_never_finds("lost-update"); }
Test(planted_race, random_finds_the_lost_update) { policy_finds_and_replays("lost-update", "random"); }
Test(planted_race, pct2_finds_the_lost_update) { policy_finds_and_replays("lost-update", "pct:2"); }
Test(planted_race, pct3_finds_the_lost_update) { policy_finds_and_replays("lost-update", "pct:3"); }

Test(planted_race, fifo_never_finds_the_missing_release)
{
    fifo_never_finds("message-passing-relaxed");
}
Test(planted_race, random_finds_the_missing_release)
{
    policy_finds_and_replays("message-passing-relaxed", "random");
}
Test(planted_race, pct2_finds_the_missing_release)
{
    policy_finds_and_replays("message-passing-relaxed", "pct:2");
}
Test(planted_race, pct3_finds_the_missing_release)
{
    policy_finds_and_replays("message-passing-relaxed", "pct:3");
}

/* One planted scenario per reordering the memory model allows (memview.h,
 * docs/architecture.md "The memory model"). */
#define PLANTED_TESTS(id, file)                                                            \
    Test(planted_race, fifo_never_finds_##id) { fifo_never_finds(file); }                  \
    Test(planted_race, random_finds_##id) { policy_finds_and_replays(file, "random"); }    \
    Test(planted_race, pct2_finds_##id) { policy_finds_and_replays(file, "pct:2"); }       \
    Test(planted_race, pct3_finds_##id) { policy_finds_and_replays(file, "pct:3"); }

PLANTED_TESTS(the_missing_acquire, "mp-missing-acquire")         /* load->load */
PLANTED_TESTS(the_unfenced_dekker, "sb-dekker-relaxed")          /* store->load */
PLANTED_TESTS(the_unordered_writers, "2+2w-relaxed")             /* store->store */
PLANTED_TESTS(the_early_slot_release, "ring-slot-early-release") /* load->store */
PLANTED_TESTS(the_unacquired_slot, "ring-slot-missing-acquire")  /* load->store, load buffering */
