/*
 * The cover campaign's bookkeeping (sim/cli/fuzz_cover.h): plans are the
 * same for the same history, mutants are well-formed scripts near a corpus
 * entry's, coverage counts each feature once, and only runs that add to it
 * enter the corpus.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "sim/cli/fuzz_cover.h"

static void indices(uint64_t first, uint32_t n, uint64_t *idx)
{
    for (uint32_t k = 0; k < n; k++)
        idx[k] = first + k;
}

/* A history: generation 0 fresh, each run reporting features k..k+3 and a
 * recording, so the corpus grows. */
static struct fuzz_cover *grown(void)
{
    struct fuzz_cover *c = fuzz_cover_new(5);
    cr_assert_not_null(c);
    uint64_t idx[FUZZ_COVER_GEN];
    indices(0, FUZZ_COVER_GEN, idx);
    cr_assert_eq(fuzz_cover_plan(c, idx, FUZZ_COVER_GEN, 2), IOSIM_OK);
    for (uint32_t k = 0; k < FUZZ_COVER_GEN; k++) {
        cr_assert(!c->runs[k].scripted, "the first generation is fresh");
        cr_assert_eq(c->runs[k].seed, 5 + k / 2);
        cr_assert_eq(c->runs[k].file, k % 2);
        uint32_t f[4] = {k % 7, k % 7 + 1, 100, 101};
        fuzz_cover_take(c, k, f, 4, 200, "p3,k9=1,s40=7");
    }
    return c;
}

Test(fuzz_cover, coverage_counts_each_feature_once_and_the_corpus_only_takes_news)
{
    struct fuzz_cover *c = grown();
    cr_assert_eq(fuzz_cover_total(c), 8 + 2); /* 0..7 and 100, 101 */
    cr_assert_eq(c->corpus_n, 7, "runs 0..6 each added something; later ones nothing");
    cr_assert_eq(c->corpus[0].dec.n, 3);
    fuzz_cover_free(c);
}

Test(fuzz_cover, later_generations_mix_fresh_runs_and_wellformed_mutants)
{
    struct fuzz_cover *c = grown();
    uint64_t idx[FUZZ_COVER_GEN];
    indices(FUZZ_COVER_GEN, FUZZ_COVER_GEN, idx);
    cr_assert_eq(fuzz_cover_plan(c, idx, FUZZ_COVER_GEN, 2), IOSIM_OK);
    uint32_t mutants = 0;
    for (uint32_t k = 0; k < FUZZ_COVER_GEN; k++) {
        const struct fuzz_cover_run *r = &c->runs[k];
        cr_assert_eq(r->index, idx[k]);
        cr_assert_eq(fuzz_cover_find(c, idx[k]), r);
        if (!r->scripted)
            continue;
        mutants++;
        cr_assert((r->seed >= 5 && r->seed < 5 + 4) || r->seed == 5 + idx[k] / 2,
                  "a mutant runs on its entry's seed or its own");
        for (uint32_t i = 1; i < r->script.n; i++)
            cr_assert_lt(r->script.v[i - 1].at, r->script.v[i].at, "indices increase");
        for (uint32_t i = 0; i < r->script.n; i++)
            cr_assert(r->script.v[i].value >= 1);
    }
    cr_assert_gt(mutants, FUZZ_COVER_GEN / 2, "three quarters are mutants (drawn)");
    cr_assert_lt(mutants, FUZZ_COVER_GEN, "and some are fresh");
    fuzz_cover_free(c);
}

Test(fuzz_cover, the_same_history_plans_the_same_runs)
{
    struct fuzz_cover *a = grown(), *b = grown();
    uint64_t idx[FUZZ_COVER_GEN];
    indices(FUZZ_COVER_GEN, FUZZ_COVER_GEN, idx);
    fuzz_cover_plan(a, idx, FUZZ_COVER_GEN, 2);
    fuzz_cover_plan(b, idx, FUZZ_COVER_GEN, 2);
    for (uint32_t k = 0; k < FUZZ_COVER_GEN; k++) {
        cr_assert_eq(a->runs[k].seed, b->runs[k].seed);
        cr_assert_eq(a->runs[k].scripted, b->runs[k].scripted);
        cr_assert_eq(a->runs[k].script.n, b->runs[k].script.n);
        for (uint32_t i = 0; i < a->runs[k].script.n; i++)
            cr_assert_eq(a->runs[k].script.v[i].at, b->runs[k].script.v[i].at);
    }
    fuzz_cover_free(a);
    fuzz_cover_free(b);
}

Test(fuzz_cover, a_kept_plan_outlives_its_generation)
{
    struct fuzz_cover *c = grown();
    uint64_t idx[FUZZ_COVER_GEN];
    indices(FUZZ_COVER_GEN, FUZZ_COVER_GEN, idx);
    fuzz_cover_plan(c, idx, FUZZ_COVER_GEN, 2);
    fuzz_cover_keep(c, 3);
    uint64_t seed = c->runs[3].seed;
    indices(2 * FUZZ_COVER_GEN, FUZZ_COVER_GEN, idx);
    fuzz_cover_plan(c, idx, FUZZ_COVER_GEN, 2);
    const struct fuzz_cover_run *r = fuzz_cover_find(c, FUZZ_COVER_GEN + 3);
    cr_assert_not_null(r);
    cr_assert_eq(r->seed, seed);
    cr_assert_null(fuzz_cover_find(c, FUZZ_COVER_GEN + 4));
    fuzz_cover_free(c);
}
