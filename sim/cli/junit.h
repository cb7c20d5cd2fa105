/*
 * junit.h - JUnit XML for CI systems (Jenkins, GitLab, GitHub test reporters).
 *
 * One <testsuite> per `iosim suite` invocation, one <testcase> per scenario
 * file, a <failure> for a failed expectation (with every kept message and
 * the repro command), an <error> for a scenario that did not load or a run
 * the simulator could not finish.
 */
#ifndef IOSIM_CLI_JUNIT_H
#define IOSIM_CLI_JUNIT_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/run/run.h"

enum junit_outcome { JUNIT_PASS, JUNIT_FAIL, JUNIT_ERROR };

struct junit_case {
    const char *file;             /* scenario path */
    const char *name;             /* scenario name ("" when it did not load) */
    enum junit_outcome outcome;
    double wall_s;
    const char *error;            /* load error or crash text, for JUNIT_ERROR */
    const struct sim_run_result *r; /* NULL when the run did not happen */
    const char *case_name;        /* the testcase's name; NULL: the file's base name */
};

/* Writes the document; false on a write error. */
bool junit_write(FILE *f, const char *suite_name, const struct junit_case *cases, size_t n);

#endif /* IOSIM_CLI_JUNIT_H */
