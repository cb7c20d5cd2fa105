/*
 * sched_spans.h - the intervals during which a process ran on a CPU, from
 * a run's `sched` rows: what the HTML timeline (report_timeline.c) and the
 * Perfetto export (perfetto.c) draw as CPU and process tracks, computed in
 * one place so that the two always agree.
 *
 *     static void on_span(void *ctx, int cpu, int64_t pid, int64_t a_ps, int64_t b_ps) {...}
 *     sched_spans(db, run_id, end_ps, on_span, ctx);
 *
 * A `dispatch` opens an interval on its CPU; the next dispatch, preempt,
 * block, stall, exit or kill on that CPU closes it; intervals still open
 * at the end close at end_ps. CPUs outside 0..SCHED_SPANS_CPUS-1 are
 * ignored (a hostile row cannot index past the table). Spans are given in
 * the order they close (rows in seq order, then the still-open ones by
 * CPU), so the same database gives the same calls. Reads SQL only; a file
 * without a sched table gives no spans. Borrowed: db, ctx.
 */
#ifndef IOSIM_REPORTS_SCHED_SPANS_H
#define IOSIM_REPORTS_SCHED_SPANS_H

#include <sqlite3.h>
#include <stdint.h>

#define SCHED_SPANS_CPUS 64

typedef void sched_span_fn(void *ctx, int cpu, int64_t pid, int64_t start_ps, int64_t end_ps);

void sched_spans(sqlite3 *db, int64_t run_id, int64_t end_ps, sched_span_fn *fn, void *ctx);

/* Where the still-open spans end: the later of the run's end_time_ps and
 * its last sched row (0 when neither). */
int64_t sched_spans_end_ps(sqlite3 *db, int64_t run_id);

#endif /* IOSIM_REPORTS_SCHED_SPANS_H */
