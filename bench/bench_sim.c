/*
 * bench_sim: how fast the simulator runs, and what full tracing costs.
 *
 *   sim.yield_points_per_s   yield points (atomics, MMIO, waits ...) per wall second
 *   sim.trace_rows_per_s     trace rows written per wall second, database attached
 *   trace.overhead           wall time with a trace database / without (hash only)
 *
 * Workload: scenarios/bench/mixed-io.yaml (drivers doing DMA copies through
 * test devices while workers hammer a shared counter, four CPUs, random
 * policy). Each figure is the median of ROUNDS alternating runs, so load from
 * elsewhere hits both sides alike.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sim/run/run.h"
#include "sim/trace/trace.h"
#include "bench/bench_util.h"

#define ROUNDS 9



static double run_once(struct sim_scenario *s, struct sim_trace_db *db, struct sim_run_result *r)
{
    struct sim_run_opts o = {.db = db};
    double t0 = bench_wall_now();
    if (sim_run(s, &o, r) != IOSIM_OK || !r->passed) {
        fprintf(stderr, "bench_sim: the workload failed: %s %s\n", r->message, r->failures[0]);
        exit(1);
    }
    return bench_wall_now() - t0;
}

int main(void)
{
    const char *path = IOSIM_SOURCE_DIR "/scenarios/bench/mixed-io.yaml";
    struct sim_scenario *s;
    struct yml_error err;
    if (sim_scenario_load(path, &s, &err) != IOSIM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    char dbpath[] = "/tmp/iosim-bench-sim.db";
    unlink(dbpath);
    struct sim_trace_db *db;
    char msg[256];
    if (sim_trace_db_open(dbpath, &db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "bench_sim: %s\n", msg);
        return 1;
    }
    static struct sim_run_result r;
    double plain[ROUNDS], traced[ROUNDS];
    (void)run_once(s, NULL, &r); /* warm-up */
    for (int i = 0; i < ROUNDS; i++) {
        plain[i] = run_once(s, NULL, &r);
        traced[i] = run_once(s, db, &r);
    }
    double tp = bench_median(plain, ROUNDS), tt = bench_median(traced, ROUNDS);
    printf("# workload: %s, %" PRIu64 " rows per run, %" PRIu64 " yield points, median of %d\n",
           path, r.trace_rows, r.counters.yield_points, ROUNDS);
    printf("# wall time per run: %.2f ms without a database, %.2f ms with one\n", tp * 1e3,
           tt * 1e3);
    printf("bench: sim.yield_points_per_s %.0f /s\n", (double)r.counters.yield_points / tp);
    printf("bench: sim.trace_rows_per_s %.0f rows/s\n", (double)r.trace_rows / tt);
    printf("bench: trace.overhead %.2f x\n", tt / tp);
    sim_trace_db_close(db);
    unlink(dbpath);
    sim_scenario_free(s);
    return 0;
}
