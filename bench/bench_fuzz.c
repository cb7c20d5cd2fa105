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
 *   fuzz.coverage.<scenario>.<policy> coverage pairs (sim/run/cover.h) a campaign
 *                                     of COVER_RUNS runs reaches, random
 *                                     against cover (the same budget)
 *   shrink.ratio                      what `iosim shrink` leaves of a failing
 *                                     run: decisions and faults after over
 *                                     before, summed over SHRUNK failing seeds
 *                                     of each planted bug under each policy
 *   shrink.runs                       candidates tried per shrink (median)
 *
 * The target for the planted race is at least 1000 runs a second a core.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bench/bench_util.h"
#include "sim/cli/fuzz_cover.h"
#include "sim/run/cover.h"
#include "sim/run/run.h"
#include "sim/run/shrink.h"
#include "sim/scenario/scenario.h"

#define RATE_SECONDS 2.0
#define CAMPAIGNS 20
#define SEEDS_MAX 5000u
#define COVER_RUNS 1024u
#define SHRUNK 10          /* failing seeds shrunk per bug and policy */
#define SHRINK_RUNS 1000u  /* iosim shrink's default budget */

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

/* The coverage a campaign of COVER_RUNS runs reaches: fresh random seeds,
 * or as `iosim fuzz --policy cover` plans them (in one process, in order). */
static uint64_t coverage_after(struct sim_scenario *s, bool guided)
{
    static struct sim_run_result r;
    static struct sim_cover cov;
    struct fuzz_cover *c = fuzz_cover_new(1);
    static char text[FUZZ_COVER_DEC_TEXT];
    for (uint64_t first = 0; c != NULL && first < COVER_RUNS; first += FUZZ_COVER_GEN) {
        uint64_t idx[FUZZ_COVER_GEN];
        for (uint32_t k = 0; k < FUZZ_COVER_GEN; k++)
            idx[k] = first + k;
        if (fuzz_cover_plan(c, idx, FUZZ_COVER_GEN, 1) != IOSIM_OK)
            break;
        for (uint32_t k = 0; k < FUZZ_COVER_GEN; k++) {
            const struct fuzz_cover_run *run = &c->runs[k];
            struct sim_decisions rec = {0};
            bool scripted = guided && run->scripted;
            struct sim_run_opts o = {.seed = guided ? run->seed : 1 + idx[k], .seed_set = true,
                                     .policy = "random", .cover = &cov,
                                     .decisions = scripted ? &run->script : NULL,
                                     .record = scripted ? NULL : &rec};
            sim_cover_reset(&cov);
            (void)sim_run(s, &o, &r);
            bool fits = sim_dec_format(&rec, NULL, 0) < sizeof text;
            if (fits)
                (void)sim_dec_format(&rec, text, sizeof text);
            fuzz_cover_take(c, k, cov.f, cov.n, r.choices, !scripted && fits ? text : NULL);
            sim_dec_free(&rec);
        }
    }
    uint64_t total = c != NULL ? fuzz_cover_total(c) : 0;
    fuzz_cover_free(c);
    return total;
}

/* What a candidate is run against: the scenario, seed, policy and how
 * the original failed. */
struct shrink_job {
    struct sim_scenario *s;
    struct sim_run_opts o;
    char key[SIM_RUN_MSG_MAX];
};

static bool still_fails(void *ctx, const struct sim_shrink_cand *c, uint64_t *choices)
{
    struct shrink_job *j = ctx;
    static struct sim_run_result r;
    char key[SIM_RUN_MSG_MAX];
    struct sim_run_opts o = j->o;
    o.decisions = &c->dec;
    o.counts = c->count;
    sim_run_failure_key(sim_run(j->s, &o, &r), &r, key, sizeof key);
    *choices = r.choices;
    return !r.passed && strcmp(key, j->key) == 0;
}

struct shrink_tally {
    uint64_t before, after;
    double runs[64];
    uint32_t n;
};

/* Records a failing seed's decisions and shrinks them, as iosim shrink does
 * (in this process: the planted bugs do not crash). */
static void shrink_one(struct sim_scenario *s, const char *policy, uint64_t seed,
                       struct shrink_tally *t)
{
    static struct sim_run_result r;
    struct shrink_job j = {.s = s, .o = {.seed = seed, .seed_set = true, .policy = policy}};
    struct sim_shrink_cand c = {0};
    struct sim_run_opts o = j.o;
    o.record = &c.dec;
    sim_run_failure_key(sim_run(s, &o, &r), &r, j.key, sizeof j.key);
    struct sim_shrink_stats st;
    if (!r.passed && sim_shrink(&c, r.choices, SHRINK_RUNS, still_fails, &j, &st) == IOSIM_OK) {
        t->before += st.dec_before + st.faults_before;
        t->after += st.dec_after + st.faults_after;
        if (t->n < sizeof t->runs / sizeof t->runs[0])
            t->runs[t->n++] = st.runs;
    }
    sim_shrink_cand_free(&c);
}

static void shrink_failures(struct sim_scenario *s, const char *policy, struct shrink_tally *t)
{
    static struct sim_run_result r;
    uint32_t found = 0;
    for (uint64_t seed = 1; seed <= SEEDS_MAX && found < SHRUNK; seed++) {
        struct sim_run_opts o = {.seed = seed, .seed_set = true, .policy = policy};
        if (sim_run(s, &o, &r) == IOSIM_OK && !r.passed) {
            shrink_one(s, policy, seed, t);
            found++;
        }
    }
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
                {"ring_slot_early_release", "scenarios/planted/ring-slot-early-release.yaml"},
                {"ring_slot_missing_acquire", "scenarios/planted/ring-slot-missing-acquire.yaml"}};
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
    static const struct {
        const char *name, *file;
    } covered[] = {{"echo_ring", "scenarios/suite/rings/echo-ring.yaml"},
                   {"guarded_reads", "scenarios/suite/bufpool/guarded-reads.yaml"}};
    for (size_t i = 0; i < sizeof covered / sizeof covered[0]; i++) {
        struct sim_scenario *s = load(covered[i].file);
        if (s == NULL)
            return 1;
        printf("bench: fuzz.coverage.%s.random %" PRIu64 " pairs\n", covered[i].name,
               coverage_after(s, false));
        printf("bench: fuzz.coverage.%s.cover %" PRIu64 " pairs\n", covered[i].name,
               coverage_after(s, true));
        sim_scenario_free(s);
    }
    static struct shrink_tally t;
    for (size_t i = 0; i < sizeof bugs / sizeof bugs[0]; i++) {
        struct sim_scenario *s = load(bugs[i].file);
        if (s == NULL)
            return 1;
        for (size_t p = 0; p < sizeof mix / sizeof mix[0]; p++)
            shrink_failures(s, mix[p], &t);
        sim_scenario_free(s);
    }
    printf("bench: shrink.ratio %.3f ratio\n", t.before ? (double)t.after / (double)t.before : 0);
    printf("bench: shrink.runs %.0f runs\n", t.n ? bench_median(t.runs, t.n) : 0);
    return 0;
}
