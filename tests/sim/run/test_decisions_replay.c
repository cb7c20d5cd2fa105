/*
 * Recorded schedule decisions replay the run: for every scenario of the
 * suite under random, pct:2 and pct:3, running the recording of a seed as a
 * script (sim/machine/decisions.h) gives the same trace hash, verdict and
 * end time - and an empty script gives a run without a single preemption
 * or stall the policy chose. This is what `iosim replay` of a stored
 * failure and every step of `iosim shrink` stand on.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "sim/run/run.h"

/* The sanitizer build, there to find memory errors at ten times the cost
 * of a run, replays one seed a policy and leaves the whole-stack folders
 * (xhcid, storage: 10^4..10^5 rows a run) to the other builds. */
#ifdef IOSIM_ASAN
#define SEEDS 1
#define HEAVY(test) __attribute__((unused)) static void skipped_##test(void)
#else
#define SEEDS 3
#define HEAVY(test) Test(decisions_replay, test, .timeout = 600)
#endif

static const char *const policies[] = {"random", "pct:2", "pct:3"};

static void replay_same(struct sim_scenario *s, const char *policy, uint64_t seed)
{
    static struct sim_run_result rec, rep;
    struct sim_decisions d = {0};
    struct sim_run_opts o = {.seed = seed, .seed_set = true, .policy = policy, .record = &d};
    cr_assert_eq(sim_run(s, &o, &rec), IOSIM_OK, "%s: %s", s->file, rec.message);
    cr_assert(!d.truncated);
    struct sim_run_opts p = {.seed = seed, .seed_set = true, .policy = policy, .decisions = &d};
    cr_assert_eq(sim_run(s, &p, &rep), IOSIM_OK, "%s: %s", s->file, rep.message);
    cr_assert_eq(rep.trace_hash, rec.trace_hash, "%s %s seed %llu: %u decisions replayed to "
                 "another run", s->file, policy, (unsigned long long)seed, d.n);
    cr_assert_eq(rep.passed, rec.passed);
    cr_assert_eq(rep.end_ps, rec.end_ps);
    cr_assert_eq(rep.choices, rec.choices);
    sim_dec_free(&d);
}

static void replay_dir(const char *sub)
{
    char dir[400];
    snprintf(dir, sizeof dir, "%s/scenarios/%s", IOSIM_SOURCE_DIR, sub);
    DIR *h = opendir(dir);
    cr_assert_not_null(h, "%s", dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(h)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        char path[700];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct sim_scenario *s;
        struct yml_error err;
        cr_assert_eq(sim_scenario_load(path, &s, &err), IOSIM_OK, "%s", err.msg);
        for (size_t p = 0; p < sizeof policies / sizeof policies[0]; p++)
            for (uint64_t seed = 1; seed <= SEEDS; seed++)
                replay_same(s, policies[p], seed * 7919);
        sim_scenario_free(s);
        n++;
    }
    closedir(h);
    cr_assert_gt(n, 0);
}

Test(decisions_replay, planted, .timeout = 300) { replay_dir("planted"); }
Test(decisions_replay, engine, .timeout = 300) { replay_dir("suite/engine"); }
Test(decisions_replay, rings, .timeout = 300) { replay_dir("suite/rings"); }
Test(decisions_replay, bufpool, .timeout = 300) { replay_dir("suite/bufpool"); }
Test(decisions_replay, disk, .timeout = 300) { replay_dir("suite/disk"); }
Test(decisions_replay, pcid, .timeout = 300) { replay_dir("suite/pcid"); }
HEAVY(xhcid) { replay_dir("suite/xhcid"); }
HEAVY(storage) { replay_dir("suite/storage"); }

Test(decisions_replay, an_empty_script_makes_no_choice_but_the_default)
{
    char path[512];
    snprintf(path, sizeof path, "%s/scenarios/planted/lost-update.yaml", IOSIM_SOURCE_DIR);
    struct sim_scenario *s;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load(path, &s, &err), IOSIM_OK, "%s", err.msg);
    static struct sim_run_result r;
    struct sim_decisions none = {0};
    for (uint64_t seed = 1; seed <= 50; seed++) {
        struct sim_run_opts o = {.seed = seed, .seed_set = true, .policy = "random",
                                 .decisions = &none};
        cr_assert_eq(sim_run(s, &o, &r), IOSIM_OK);
        cr_assert(r.passed, "seed %llu: the default schedule lost an update",
                  (unsigned long long)seed);
        cr_assert_eq(r.counters.preemptions, 0);
        cr_assert_eq(r.counters.stalls, 0);
    }
    sim_scenario_free(s);
}
