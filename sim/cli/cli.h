/*
 * cli.h - pieces shared by the iosim subcommands.
 *
 * Exit statuses are a contract: 0 every expectation held, 1 an expectation
 * failed, 2 bad input or usage (including a scenario that does not load).
 */
#ifndef IOSIM_CLI_H
#define IOSIM_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/cli/opts.h"
#include "sim/run/run.h"

#define CLI_EXIT_PASS 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

int cli_run(int argc, char **argv);
int cli_suite(int argc, char **argv);
int cli_fuzz(int argc, char **argv);
int cli_replay(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_pcid(int argc, char **argv);
int cli_shrink(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_replay_capture(int argc, char **argv);
int cli_calibrate(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_compare(int argc, char **argv);

/* The campaign summary table (docs/trace-schema.md, fuzz_run): iosim fuzz
 * writes it, iosim shrink adds the runs it shrinks. */
#define CLI_FUZZ_TABLE_SQL                                                                     \
    "CREATE TABLE IF NOT EXISTS fuzz_run(campaign TEXT, idx INTEGER, scenario TEXT,"          \
    " seed INTEGER, policy TEXT, result TEXT, trace_hash TEXT, end_ps INTEGER,"               \
    " wall_us INTEGER, failure TEXT, repro TEXT, run_id INTEGER, faults TEXT,"               \
    " decisions TEXT, shrunk_from INTEGER, coverage INTEGER, counts TEXT)"

/* The --seed and --policy options of the commands that run scenarios, with
 * the line their --help shows: one declaration of what a valid value is.
 * --seed sets *seed and *seed_set; --policy points *policy at its text. */
struct cli_opt cli_seed_opt(const char *help, uint64_t *seed, bool *seed_set);
struct cli_opt cli_policy_opt(const char *help, const char **policy);
/* --run ID of the commands that take one run of a trace database: sets
 * *run and *run_set. */
struct cli_opt cli_run_id_opt(const char *help, uint64_t *run, bool *run_set);

/* Prints a run's verdict block (result, failures, end, trace-hash, repro). */
void cli_print_result(FILE *f, const struct sim_scenario *s, const struct sim_run_result *r);

/* "12.345 us" style rendering of simulated time. */
void cli_format_time(uint64_t ps, char *buf, size_t cap);

#endif /* IOSIM_CLI_H */
