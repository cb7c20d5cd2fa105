/*
 * run.h - one simulation run of a scenario, start to verdict.
 *
 * Builds the machine a scenario describes, starts its devices and
 * processes, runs it, checks every expectation and finishes the trace. The
 * caller (the CLI, a test) decides what to print; nothing here prints.
 *
 *     struct sim_run_opts o = { .seed = 7, .seed_set = true };
 *     struct sim_run_result r;
 *     enum iosim_err e = sim_run(scenario, &o, &r);
 *     if (e != IOSIM_OK) ... the simulator failed (r.message says why)
 *     else if (!r.passed) ... r.failures lists what did not hold, r.repro how to rerun
 *
 * Ownership: the scenario is borrowed (its assertion tallies are written);
 * opts->db is borrowed. The result is a plain value.
 */
#ifndef IOSIM_SIM_RUN_H
#define IOSIM_SIM_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/machine/machine.h"
#include "sim/scenario/scenario.h"

struct sim_trace_db;
struct sim_cover;
struct sim_rowlog;
struct sim_faultset;

#define SIM_RUN_FAILURES_MAX 8u
#define SIM_RUN_MSG_MAX 512u

struct sim_run_opts {
    uint64_t seed;
    bool seed_set;                 /* else the scenario's seed */
    const char *policy;            /* NULL: the scenario's */
    struct sim_trace_db *db;       /* NULL: hash only */
    const char *program;           /* argv[0] for the repro command ("iosim") */
    /* schedule decisions (sim/machine/decisions.h), borrowed: run this
     * script instead of the policy's draws / append the run's own here */
    const struct sim_decisions *decisions;
    struct sim_decisions *record;
    /* the scenario's shrinkable counts (s->counts), borrowed; NULL: as written */
    const uint64_t *counts;
    /* borrowed, NULL or reset: the run's coverage features (sim/run/cover.h) */
    struct sim_cover *cover;
    /* borrowed, NULL or initialised: records or compares the run's rows
     * (sim/run/rowlog.h) */
    struct sim_rowlog *rowlog;
    const struct sim_faultset *faults; /* on top of the scenario's own; NULL: none
                                          (sim/run/faultset.h; of this scenario) */
};

/* A disk workload's summary row (trace table fio_result), kept for the
 * command line to print as fio does. */
#define SIM_RUN_FIO_MAX 16u
struct sim_run_fio {
    char job[48];                  /* truncated when longer */
    char dir[8];
    uint64_t ios, errors, iops, bw_kib_s, p50_ns, p90_ns, p99_ns, p999_ns;
};

struct sim_run_result {
    bool passed;
    uint64_t seed;
    char policy[SIM_POLICY_TEXT_MAX];
    uint64_t trace_hash;
    uint64_t trace_rows;
    int64_t run_id;                /* row id in the trace database, or -1 */
    sim_time_ps end_ps;
    uint64_t choices;              /* schedule choices made (decisions.h's indices) */
    enum sim_end_reason end;
    uint32_t expectations_passed;
    uint32_t expectations_failed;
    uint32_t failure_count;        /* messages kept (at most SIM_RUN_FAILURES_MAX) */
    char failures[SIM_RUN_FAILURES_MAX][SIM_RUN_MSG_MAX];
    char repro[SIM_RUN_MSG_MAX * 5]; /* with a fault set's text */
    char message[SIM_RUN_MSG_MAX]; /* simulator failure, when sim_run fails */
    struct sim_counters counters;
    uint32_t fio_count;            /* fio_result rows kept, in emission order */
    uint32_t fio_dropped;          /* past SIM_RUN_FIO_MAX */
    struct sim_run_fio fio[SIM_RUN_FIO_MAX];
};

/* IOSIM_OK when the run happened (passed or not); an error when the
 * simulator could not run it (bad policy text, out of memory, trace write
 * failure), with r->message. */
enum iosim_err sim_run(struct sim_scenario *s, const struct sim_run_opts *opts,
                       struct sim_run_result *r);

/* How a run failed, as `iosim shrink` compares failures: the position
 * (file:line:col) of its first failed expectation; "error: ..." when the
 * simulator could not run it (e is sim_run's return); "" when it passed. */
void sim_run_failure_key(enum iosim_err e, const struct sim_run_result *r, char *key, size_t cap);

#endif /* IOSIM_SIM_RUN_H */
