/* Shrinking a failing run: chunked removal, bisection, later decisions. */
#include "sim/run/shrink.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"

struct shrinker {
    struct sim_shrink_cand *cur;   /* the smallest failing candidate so far */
    struct sim_shrink_cand trial;
    uint64_t horizon;              /* choices the current candidate's run makes */
    uint64_t trial_choices;        /* ... and the last trial's */
    uint32_t runs_max;
    sim_shrink_test_fn *test;
    void *ctx;
    struct sim_shrink_stats *st;
    enum iosim_err err;
};

uint32_t sim_shrink_faults_on(const struct sim_shrink_cand *c)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->fault_n; i++)
        n += c->fault_on[i];
    return n;
}

static uint64_t counts_sum(const struct sim_shrink_cand *c)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < c->count_n; i++)
        sum += c->count[i];
    return sum;
}

void sim_shrink_cand_free(struct sim_shrink_cand *c)
{
    sim_dec_free(&c->dec);
}

/* dst = src, dst's own decision array reused. */
static enum iosim_err cand_copy(struct sim_shrink_cand *dst, const struct sim_shrink_cand *src)
{
    struct sim_decisions keep = dst->dec;
    memcpy(dst, src, sizeof *dst);
    dst->dec = keep;
    return sim_dec_copy(&dst->dec, &src->dec);
}

static bool out_of_budget(const struct shrinker *sh)
{
    return sh->err != IOSIM_OK || sh->st->runs >= sh->runs_max;
}

/* Tests the trial; when it still fails, it becomes the current one. */
static bool try_trial(struct shrinker *sh)
{
    if (out_of_budget(sh))
        return false;
    sh->st->runs++;
    sh->trial_choices = 0;
    if (!sh->test(sh->ctx, &sh->trial, &sh->trial_choices))
        return false;
    if (sh->trial_choices != 0)
        sh->horizon = sh->trial_choices;
    struct sim_decisions d = sh->cur->dec; /* swap: no copy of the winner */
    sh->cur->dec = sh->trial.dec;
    sh->trial.dec = d;
    struct sim_decisions keep = sh->cur->dec;
    memcpy(sh->cur, &sh->trial, sizeof *sh->cur);
    sh->cur->dec = keep;
    return true;
}

/* The trial: the current candidate without decisions [from, from + len). */
static bool trial_without_decisions(struct shrinker *sh, uint32_t from, uint32_t len)
{
    if (cand_copy(&sh->trial, sh->cur) != IOSIM_OK) {
        sh->err = IOSIM_ENOMEM;
        return false;
    }
    struct sim_decisions *d = &sh->trial.dec;
    ASSERT(from + len <= d->n);
    memmove(&d->v[from], &d->v[from + len], (d->n - from - len) * sizeof d->v[0]);
    d->n -= len;
    return true;
}

/* Removes decisions in chunks: all of them, then halves, ... then one at a
 * time. True when anything went. */
static bool remove_decisions(struct shrinker *sh)
{
    bool progress = false;
    for (uint32_t chunk = sh->cur->dec.n; chunk >= 1 && !out_of_budget(sh); chunk /= 2) {
        for (uint32_t from = 0; from + chunk <= sh->cur->dec.n && !out_of_budget(sh);) {
            if (!trial_without_decisions(sh, from, chunk))
                return progress;
            if (try_trial(sh))
                progress = true;
            else
                from += chunk;
        }
    }
    return progress;
}

/* The same for faults, over the ones still on, in set order. */
static bool remove_faults(struct shrinker *sh)
{
    bool progress = false;
    for (uint32_t chunk = sim_shrink_faults_on(sh->cur); chunk >= 1 && !out_of_budget(sh);
         chunk /= 2) {
        for (uint32_t skip = 0; !out_of_budget(sh);) {
            uint32_t on[SIM_SHRINK_FAULTS_MAX], n = 0;
            for (uint32_t i = 0; i < sh->cur->fault_n; i++)
                if (sh->cur->fault_on[i])
                    on[n++] = i;
            if (skip + chunk > n)
                break;
            if (cand_copy(&sh->trial, sh->cur) != IOSIM_OK) {
                sh->err = IOSIM_ENOMEM;
                return progress;
            }
            for (uint32_t k = skip; k < skip + chunk; k++)
                sh->trial.fault_on[on[k]] = false;
            if (try_trial(sh))
                progress = true;
            else
                skip += chunk;
        }
    }
    return progress;
}

/* The trial as it was, every decision `by` choices earlier (the first
 * ones packed from index 0): false when nothing moves. */
static bool shift_trial_earlier(struct shrinker *sh, uint64_t by)
{
    struct sim_decisions *d = &sh->trial.dec;
    if (by == 0 || d->n == 0)
        return false;
    for (uint32_t i = 0; i < d->n; i++) {
        uint64_t floor = i > 0 ? d->v[i - 1].at + 1 : 0;
        uint64_t at = d->v[i].at > by ? d->v[i].at - by : 0;
        d->v[i].at = at > floor ? at : floor;
    }
    return true;
}

/* A shorter count: as it is, else with the decisions moved earlier by
 * what the shorter run no longer chooses. */
static bool try_count(struct shrinker *sh, uint32_t i, uint64_t value)
{
    if (cand_copy(&sh->trial, sh->cur) != IOSIM_OK) {
        sh->err = IOSIM_ENOMEM;
        return false;
    }
    sh->trial.count[i] = value;
    if (try_trial(sh))
        return true;
    uint64_t before = sh->horizon, after = sh->trial_choices;
    return after != 0 && after < before && shift_trial_earlier(sh, before - after) &&
           try_trial(sh);
}

/* Each count bisected down: the smallest value the test still fails with,
 * if failing is monotone in it; some smaller failing value otherwise. */
static bool shrink_counts(struct shrinker *sh)
{
    bool progress = false;
    for (uint32_t i = 0; i < sh->cur->count_n && !out_of_budget(sh); i++) {
        uint64_t lo = sh->cur->count_min[i], hi = sh->cur->count[i];
        while (lo < hi && !out_of_budget(sh)) {
            uint64_t mid = lo + (hi - lo) / 2;
            if (try_count(sh, i, mid)) {
                hi = mid;
                progress = true;
            } else if (sh->err != IOSIM_OK) {
                return progress;
            } else {
                lo = mid + 1;
            }
        }
    }
    return progress;
}

/* Decision i as late as it goes before the next one (or the horizon). */
static void move_later(struct shrinker *sh, uint32_t i)
{
    const struct sim_decisions *d = &sh->cur->dec;
    uint64_t lo = d->v[i].at;
    uint64_t hi = i + 1 < d->n ? d->v[i + 1].at - 1 : sh->horizon - 1;
    if (sh->horizon == 0)
        return;
    while (lo < hi && !out_of_budget(sh)) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (cand_copy(&sh->trial, sh->cur) != IOSIM_OK) {
            sh->err = IOSIM_ENOMEM;
            return;
        }
        sh->trial.dec.v[i].at = mid;
        if (try_trial(sh))
            lo = mid;
        else
            hi = mid - 1;
    }
}

enum iosim_err sim_shrink(struct sim_shrink_cand *c, uint64_t horizon, uint32_t runs_max,
                          sim_shrink_test_fn *test, void *ctx, struct sim_shrink_stats *st)
{
    ASSERT(c != NULL && test != NULL && st != NULL);
    ASSERT(c->fault_n <= SIM_SHRINK_FAULTS_MAX && c->count_n <= SIM_SHRINK_COUNTS_MAX);
    *st = (struct sim_shrink_stats){.dec_before = c->dec.n,
                                    .faults_before = sim_shrink_faults_on(c),
                                    .counts_before = counts_sum(c)};
    struct shrinker sh = {.cur = c, .horizon = horizon, .runs_max = runs_max, .test = test,
                          .ctx = ctx, .st = st};
    bool progress = true;
    while (progress && !out_of_budget(&sh)) {
        /* counts first, while the decisions are many: a shorter workload
         * shifts every later choice index, which a lone decision left
         * from step 2 would no longer survive */
        progress = shrink_counts(&sh);
        progress |= remove_faults(&sh);
        progress |= remove_decisions(&sh);
    }
    for (uint32_t i = c->dec.n; i-- > 0 && !out_of_budget(&sh);)
        move_later(&sh, i);
    sim_dec_free(&sh.trial.dec);
    st->budget_out = sh.err == IOSIM_OK && st->runs >= runs_max;
    st->dec_after = c->dec.n;
    st->faults_after = sim_shrink_faults_on(c);
    st->counts_after = counts_sum(c);
    return sh.err;
}
