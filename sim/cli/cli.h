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

#include "sim/run/run.h"

#define CLI_EXIT_PASS 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

int cli_run(int argc, char **argv);
int cli_suite(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_pcid(int argc, char **argv);

/* Strict unsigned parse of a whole argument (decimal or 0x hex). */
bool cli_parse_u64(const char *s, uint64_t *out);

/* --seed and --policy values, shared by the commands that take them: false
 * (after saying why on stderr, naming `cmd`) when the text is not valid. */
bool cli_seed_arg(const char *cmd, const char *text, uint64_t *seed);
bool cli_policy_arg(const char *cmd, const char *text);

/* Prints a run's verdict block (result, failures, end, trace-hash, repro). */
void cli_print_result(FILE *f, const struct sim_scenario *s, const struct sim_run_result *r);

/* "12.345 us" style rendering of simulated time. */
void cli_format_time(uint64_t ps, char *buf, size_t cap);

#endif /* IOSIM_CLI_H */
