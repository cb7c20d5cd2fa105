/*
 * fuzz_cover.h - the campaign side of `iosim fuzz --policy cover`.
 *
 * A cover campaign runs in generations of FUZZ_COVER_GEN runs. The first
 * generation is plain random runs; each run reports its coverage features
 * (sim/run/cover.h) and its schedule decisions. A run whose features add to
 * the campaign's coverage enters the corpus. Each later generation is a
 * quarter fresh random runs and three quarters mutants: a corpus entry's
 * scenario and seed with its decision script changed a little (a
 * preemption or a pick added, one removed, one moved), run as a script
 * (sim/machine/decisions.h) - schedules near the ones that reached
 * something new. Planning draws from its own stream of the campaign's
 * first seed and the generation, and results are taken in run order, so
 * the campaign is the same however many workers run it.
 *
 *     struct fuzz_cover *c = fuzz_cover_new(seed_base);
 *     fuzz_cover_plan(c, idx, n, nfiles);      campaign run numbers idx[0 .. n)
 *     fuzz_cover_find(c, i): run i's plan (this plan's, or a kept one)
 *     fuzz_cover_take(c, k, features, nf, choices, decisions_text);   k = 0 .. n-1, in order
 *     fuzz_cover_keep(c, k): keep run k's plan past this generation (a failure)
 *     fuzz_cover_total(c): the coverage so far
 *     fuzz_cover_free(c);
 *
 * Ownership: the campaign owns its corpus and plans; a plan's scripts live
 * until the next plan.
 */
#ifndef IOSIM_CLI_FUZZ_COVER_H
#define IOSIM_CLI_FUZZ_COVER_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/machine/decisions.h"

#define FUZZ_COVER_GEN 64u
#define FUZZ_COVER_DEC_TEXT 2048u     /* a recording longer than this is not kept */
#define FUZZ_COVER_KEPT_MAX 128u

struct fuzz_cover_run {
    uint64_t index;                   /* the campaign's run number */
    uint32_t file;                    /* the scenario's index */
    uint64_t seed;
    bool scripted;                    /* a mutant: run `script`, not the policy's draws */
    struct sim_decisions script;
};

struct fuzz_cover_entry {
    uint32_t file;
    uint64_t seed;
    uint64_t choices;                 /* how many choices its run made */
    struct sim_decisions dec;
};

struct fuzz_cover {
    uint64_t seed_base;
    uint32_t n;                       /* runs in the current plan */
    struct fuzz_cover_run runs[FUZZ_COVER_GEN];
    struct fuzz_cover_entry *corpus;
    uint32_t corpus_n, corpus_cap;
    uint32_t *set;                    /* the campaign's features, open addressing (+1) */
    uint32_t set_n, set_cap;
    struct fuzz_cover_run kept[FUZZ_COVER_KEPT_MAX]; /* failures' plans, for traces and JUnit */
    uint32_t kept_n;
};

/* NULL when out of memory. */
struct fuzz_cover *fuzz_cover_new(uint64_t seed_base);
void fuzz_cover_free(struct fuzz_cover *c);

/* Plans the runs numbered idx[0 .. n) (n at most FUZZ_COVER_GEN); fresh
 * runs take scenario i % nfiles and seed seed_base + i / nfiles, as other
 * campaigns do. */
enum iosim_err fuzz_cover_plan(struct fuzz_cover *c, const uint64_t *idx, uint32_t n,
                               uint32_t nfiles);

/* Run i's plan, in the current plan or kept; NULL if neither has it. */
const struct fuzz_cover_run *fuzz_cover_find(const struct fuzz_cover *c, uint64_t i);

/* Keeps plan k past the generation (up to FUZZ_COVER_KEPT_MAX). */
void fuzz_cover_keep(struct fuzz_cover *c, uint32_t k);

/* Run k of the plan reported these features (and, when it was not
 * scripted, its recorded decisions as text, NULL if too long): how many
 * were new to the campaign. */
uint32_t fuzz_cover_take(struct fuzz_cover *c, uint32_t k, const uint32_t *features, uint32_t nf,
                         uint64_t choices, const char *decisions);

uint64_t fuzz_cover_total(const struct fuzz_cover *c);

#endif /* IOSIM_CLI_FUZZ_COVER_H */
