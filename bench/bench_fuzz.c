/*
 * bench_fuzz: how many schedules a fuzz campaign tries, and how soon it
 * finds the planted bugs (scenarios/planted).
 *
 *   fuzz.runs_per_s.<scenario>        runs per wall second on one core (one
 *                                     process running seed after seed, as an
 *                                     `iosim fuzz` worker does), policy mix
 *   fuzz.seeds_to_find.<bug>.<policy> seeds a campaign tries until its first
 *                                     failing run: median of CAMPAIGNS
 *                                     campaigns with different first seeds
 *                                     (SEEDS_MAX: not found)
 *
 * The target for the planted race is at least 1000 runs a second a core.
 */
#include <stdio.h>
#include <string.h>

#include "bench/bench_util.h"
#include "sim/run/run.h"
#include "sim/scenario/scenario.h"

#define RATE_SECONDS 2.0
#define CAMPAIGNS 20
#define SEEDS_MAX 5000u

static const char *const mix[] = {"random", "pct:2", "pct:3"};

static struct sim_scenario *load(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", IOSIM_SOURCE_DIR, rel);
    struct sim_scenario *s;
    struct yml_error err;
    if (sim_scenario_load(path, &s, &err) != IOSIM_OK) {
        fprintf(stderr, "bench_fuzz: %s\n", err.msg);
        return NULL;
    }
    return s;
}

/* Seed after seed for RATE_SECONDS, the policy by seed as `iosim fuzz
 * --policy mix` picks it. */
static double runs_per_s(struct sim_scenario *s)
{
    static struct sim_run_result r;
    uint64_t runs = 0;
    double t0 = bench_wall_now(), el = 0;
    for (uint64_t seed = 1; el < RATE_SECONDS; seed++, runs++) {
        struct sim_run_opts o = {.seed = seed, .seed_set = true, .policy = mix[seed % 3]};
        (void)sim_run(s, &o, &r);
        el = bench_wall_now() - t0;
    }
    return (double)runs / el;
}

static double seeds_to_find(struct sim_scenario *s, const char *policy)
{
    static struct sim_run_result r;
    double found[CAMPAIGNS];
    for (int c = 0; c < CAMPAIGNS; c++) {
        uint32_t n = 1;
        for (; n <= SEEDS_MAX; n++) {
            struct sim_run_opts o = {.seed = 1000000u * (uint64_t)(c + 1) + n, .seed_set = true,
                                     .policy = policy};
            if (sim_run(s, &o, &r) == IOSIM_OK && !r.passed)
                break;
        }
        found[c] = n;
    }
    return bench_median(found, CAMPAIGNS);
}

int main(void)
{
    static const struct {
        const char *name, *file;
    } rate[] = {{"lost_update", "scenarios/planted/lost-update.yaml"},
                {"echo_ring", "scenarios/suite/rings/echo-ring.yaml"}},
      bugs[] = {{"lost_update", "scenarios/planted/lost-update.yaml"},
                {"message_passing_relaxed", "scenarios/planted/message-passing-relaxed.yaml"},
                {"mp_missing_acquire", "scenarios/planted/mp-missing-acquire.yaml"},
                {"sb_dekker_relaxed", "scenarios/planted/sb-dekker-relaxed.yaml"},
                {"two_plus_two_w_relaxed", "scenarios/planted/2+2w-relaxed.yaml"},
                {"ring_slot_early_release", "scenarios/planted/ring-slot-early-release.yaml"}};
    for (size_t i = 0; i < sizeof rate / sizeof rate[0]; i++) {
        struct sim_scenario *s = load(rate[i].file);
        if (s == NULL)
            return 1;
        printf("bench: fuzz.runs_per_s.%s %.0f runs/s\n", rate[i].name, runs_per_s(s));
        sim_scenario_free(s);
    }
    for (size_t i = 0; i < sizeof bugs / sizeof bugs[0]; i++) {
        struct sim_scenario *s = load(bugs[i].file);
        if (s == NULL)
            return 1;
        for (size_t p = 0; p < sizeof mix / sizeof mix[0]; p++) {
            char pol[16];
            snprintf(pol, sizeof pol, "%s", mix[p]);
            for (char *c = pol; *c != '\0'; c++)
                *c = *c == ':' ? '_' : *c;
            printf("bench: fuzz.seeds_to_find.%s.%s %.0f seeds\n", bugs[i].name, pol,
                   seeds_to_find(s, mix[p]));
        }
        sim_scenario_free(s);
    }
    return 0;
}
