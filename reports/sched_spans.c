/* Running intervals from a run's sched rows; see sched_spans.h. */
#include "reports/sched_spans.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Whether a sched event takes its process off the CPU. */
static bool ends_running(const char *ev)
{
    static const char *const ends[] = {"dispatch", "preempt", "block", "stall", "exit", "kill"};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
        if (strcmp(ev, ends[i]) == 0)
            return true;
    return false;
}

struct cpu_state {
    int64_t pid; /* running, or -1 */
    int64_t since_ps;
};

static void close_cpu(struct cpu_state *cpu, int k, int64_t now, sched_span_fn *fn, void *ctx)
{
    if (cpu->pid < 0)
        return;
    fn(ctx, k, cpu->pid, cpu->since_ps, now);
    cpu->pid = -1;
}

void sched_spans(sqlite3 *db, int64_t run_id, int64_t end_ps, sched_span_fn *fn, void *ctx)
{
    assert(db != NULL && fn != NULL);
    struct cpu_state cpu[SCHED_SPANS_CPUS];
    for (int k = 0; k < SCHED_SPANS_CPUS; k++)
        cpu[k] = (struct cpu_state){.pid = -1};
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT t_ps, cpu, pid, event FROM sched WHERE run_id = ?1"
                               " ORDER BY seq", -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st); /* no sched table: no spans */
        return;
    }
    sqlite3_bind_int64(st, 1, run_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t k = sqlite3_column_int64(st, 1);
        const unsigned char *ev = sqlite3_column_text(st, 3);
        if (k < 0 || k >= SCHED_SPANS_CPUS || ev == NULL || !ends_running((const char *)ev))
            continue;
        int64_t now = sqlite3_column_int64(st, 0);
        close_cpu(&cpu[k], (int)k, now, fn, ctx);
        if (strcmp((const char *)ev, "dispatch") == 0)
            cpu[k] = (struct cpu_state){.pid = sqlite3_column_int64(st, 2), .since_ps = now};
    }
    sqlite3_finalize(st);
    for (int k = 0; k < SCHED_SPANS_CPUS; k++)
        close_cpu(&cpu[k], k, end_ps, fn, ctx);
}

int64_t sched_spans_end_ps(sqlite3 *db, int64_t run_id)
{
    assert(db != NULL);
    sqlite3_stmt *st = NULL;
    int64_t end = 0;
    if (sqlite3_prepare_v2(db, "SELECT max(coalesce(end_time_ps, 0), coalesce((SELECT"
                               " max(t_ps) FROM sched WHERE run_id = ?1), 0)) FROM run"
                               " WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        if (sqlite3_step(st) == SQLITE_ROW)
            end = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return end;
}
