/*
 * expect_trace.h - the scenario's `trace:` expectations during a run: which
 * rows they match, their row counts, and what their verdict says.
 *
 * A run counts matching rows as they are emitted, through the trace's row
 * tap (sim/trace/trace.h), because a hash-only run has no database to count in
 * afterwards:
 *
 *     struct sim_expect_tally ty;
 *     if (sim_expect_tally_init(&ty, scenario))
 *         sim_trace_set_tap(tr, sim_expect_tally_row, &ty);
 *     ... the run ...
 *     uint64_t n = sim_expect_tally_rows(&ty, x);
 *     sim_expect_trace_text(x, n, msg, sizeof msg);   // verdict: bounds as for counters
 *
 * Ownership: the tally borrows the scenario, which must outlive it.
 * Nothing here allocates or prints.
 */
#ifndef IOSIM_SIM_EXPECT_TRACE_H
#define IOSIM_SIM_EXPECT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/scenario/scenario.h"
#include "sim/trace/trace.h"

/* Row counts of a scenario's trace expectations. Caller storage; fields
 * private to sim/run/expect_trace.c. */
struct sim_expect_tally {
    const struct sim_scenario *s;
    uint64_t tables;                    /* bit t: some expectation counts table t */
    uint32_t count;                     /* trace expectations */
    uint16_t idx[SIM_SCN_EXPECTS_MAX];  /* their indices in s->expects, in order */
    uint64_t hits[SIM_SCN_EXPECTS_MAX]; /* rows matched, by index in s->expects */
};

/* Starts counting s's trace expectations from zero. Returns whether it has
 * any (only then is a tap worth installing). */
bool sim_expect_tally_init(struct sim_expect_tally *ty, const struct sim_scenario *s);

/* The tap (ctx: the tally): counts the row for every expectation it matches. */
void sim_expect_tally_row(void *ctx, uint32_t table, sim_time_ps t_ps,
                          const struct sim_trace_value *cols, uint32_t ncols);

/* Rows counted so far for x, a trace expectation of the tally's scenario. */
uint64_t sim_expect_tally_rows(const struct sim_expect_tally *ty, const struct sim_expect *x);

/* Whether a row of `table` with columns cols[0..ncols) matches trace
 * expectation x: the same table, and every `where` column equal (an INT by
 * value, a SYM or TEXT by content; a NULL string equals no string). */
bool sim_expect_trace_matches(const struct sim_expect *x, uint32_t table,
                              const struct sim_trace_value *cols, uint32_t ncols);

/* The verdict's message, cut to cap bytes:
 * "trace irq where event=deliver line=40: 3 rows, expected at least 1". */
void sim_expect_trace_text(const struct sim_expect *x, uint64_t rows, char *buf, size_t cap);

#endif /* IOSIM_SIM_EXPECT_TRACE_H */
