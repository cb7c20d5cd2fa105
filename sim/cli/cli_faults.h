/*
 * cli_faults.h - the fault swarm on the command line: `--faults swarm`
 * (the fault set drawn from the run's seed), `--fault-set TEXT` (an
 * explicit one, as a repro line carries it), and reading the set back
 * from a recorded run's command (iosim replay).
 *
 *     struct sim_faultset fs;
 *     const struct sim_faultset *set;
 *     if (!cli_faults_choose("iosim run", s, mode, text, seed, &fs, &set)) return 2;
 *     struct sim_run_opts o = {.faults = set, ...};      set NULL: no swarm
 *
 * Prints its problems on stderr (it is the CLI); fs is the caller's.
 */
#ifndef IOSIM_SIM_CLI_FAULTS_H
#define IOSIM_SIM_CLI_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/run/faultset.h"

/* mode: NULL, "none" or "swarm"; text: NULL or a fault set's text (not
 * both). *out = fs filled, or NULL when the run has no swarm faults.
 * False (after printing why, prefixed by `who`) on a bad mode or text. */
bool cli_faults_choose(const char *who, const struct sim_scenario *s, const char *mode,
                       const char *text, uint64_t seed, struct sim_faultset *fs,
                       const struct sim_faultset **out);

/* The TEXT of ` --fault-set 'TEXT'` in a repro command, into buf; false
 * when the command has none. */
bool cli_faults_of_command(const char *command, char *buf, size_t cap);

#endif /* IOSIM_SIM_CLI_FAULTS_H */
