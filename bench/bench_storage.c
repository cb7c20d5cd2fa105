/*
 * bench_storage: USB mass storage through the whole stack - the fio
 * workload app on disk:, usbscsid, usb: rings, xhcid, the kernel, the
 * xHCI model and the Bulk-Only disk model with its timing profile - every
 * trace row written to an SQLite file. Scenarios in scenarios/bench/:
 *
 *   storage.seqread.hs.mbps / .ss.mbps   fio's read bandwidth (MB/s, 10^6
 *                                        bytes) on the usb2-flash (high
 *                                        speed) and usb3-flash (SuperSpeed)
 *                                        profiles, beside the real figures
 *                                        of docs/scsi-profiles.md: 28.9
 *                                        and 136 MB/s; target within 15 %
 *   storage.seqread.ss.speedup           simulated seconds of the job per
 *                                        wall second of the whole run
 *                                        (bring-up included); target >= 10
 *   storage.randread4k.qd1.iops /.qd32.iops   4 KiB random reads on the
 *                                        usb3-flash profile (real: 1010 at
 *                                        queue depth 1)
 *   storage.wall_us_per_io               wall microseconds per simulated
 *                                        I/O of the queue-depth-32 run
 *
 * Each scenario runs ROUNDS times; the median is printed. The trace file
 * is removed at the end.
 */
#include <criterion/criterion.h> /* bench/shim: an assertion ends the benchmark */
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "sim/run/run.h"
#include "sim/scenario/family.h"
#include "sim/scenario/scenario.h"
#include "sim/trace/trace.h"

#define ROUNDS 3

struct fio_row {
    double ios, bytes, runtime_s, iops, bw_kib_s;
};

/* The run's fio_result row for direction `dir`. */
static bool fio_result(const char *dbpath, int64_t run_id, const char *dir, struct fio_row *out)
{
    sqlite3 *q;
    sqlite3_stmt *st;
    bool ok = false;
    if (sqlite3_open_v2(dbpath, &q, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return false;
    if (sqlite3_prepare_v2(q, "SELECT ios, bytes, runtime_ns, iops, bw_kib_s FROM fio_result "
                              "WHERE run_id = ? AND dir = ?",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, dir, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            *out = (struct fio_row){(double)sqlite3_column_int64(st, 0),
                                    (double)sqlite3_column_int64(st, 1),
                                    (double)sqlite3_column_int64(st, 2) / 1e9,
                                    (double)sqlite3_column_int64(st, 3),
                                    (double)sqlite3_column_int64(st, 4)};
            ok = out->runtime_s > 0;
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(q);
    return ok;
}

struct measured {
    double mbps, speedup, iops, wall_us_per_io;
    uint64_t rows;
};

static struct measured run_once(struct sim_trace_db *db, const char *dbpath,
                                struct sim_scenario *s)
{
    static struct sim_run_result r;
    struct sim_run_opts o = {.db = db};
    double w0 = bench_wall_now();
    cr_assert(sim_run(s, &o, &r) == IOSIM_OK && r.passed, "the storage run failed: %s %s",
              r.message, r.failures[0]);
    double wall = bench_wall_now() - w0;
    struct fio_row f = {0};
    cr_assert(fio_result(dbpath, r.run_id, "read", &f), "no fio_result row for reads");
    return (struct measured){.mbps = f.bytes / f.runtime_s / 1e6, .speedup = f.runtime_s / wall,
                             .iops = f.iops, .wall_us_per_io = wall * 1e6 / f.ios,
                             .rows = r.trace_rows};
}

/* The median of ROUNDS runs of scenarios/bench/<name>.yaml. */
static struct measured measure(struct sim_trace_db *db, const char *dbpath, const char *name)
{
    char path[256];
    (void)snprintf(path, sizeof path, "%s/scenarios/bench/%s.yaml", IOSIM_SOURCE_DIR, name);
    struct sim_scenario *s;
    struct yml_error err;
    cr_assert(sim_scenario_load(path, &s, &err) == IOSIM_OK, "%s", err.msg);
    double mbps[ROUNDS], up[ROUNDS], iops[ROUNDS], us[ROUNDS];
    struct measured m = {0};
    for (int r = 0; r < ROUNDS; r++) {
        m = run_once(db, dbpath, s);
        mbps[r] = m.mbps;
        up[r] = m.speedup;
        iops[r] = m.iops;
        us[r] = m.wall_us_per_io;
    }
    sim_scenario_free(s);
    printf("# %s: %s, %llu trace rows written\n", name, path, (unsigned long long)m.rows);
    return (struct measured){bench_median(mbps, ROUNDS), bench_median(up, ROUNDS),
                             bench_median(iops, ROUNDS), bench_median(us, ROUNDS), m.rows};
}

int main(void)
{
    if (sim_families_init() != IOSIM_OK) {
        fprintf(stderr, "bench_storage: the device families could not be registered\n");
        return 1;
    }
    char dbpath[] = "/tmp/iosim-bench-storage.db";
    unlink(dbpath);
    struct sim_trace_db *db;
    char msg[256];
    if (sim_trace_db_open(dbpath, &db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "bench_storage: %s\n", msg);
        return 1;
    }
    struct measured hs = measure(db, dbpath, "storage-seqread-hs");
    printf("bench: storage.seqread.hs.mbps %.2f MB/s\n", hs.mbps);
    printf("bench: storage.seqread.hs.of_real %.3f x\n", hs.mbps / 28.9);
    struct measured ss = measure(db, dbpath, "storage-seqread-ss");
    printf("bench: storage.seqread.ss.mbps %.2f MB/s\n", ss.mbps);
    printf("bench: storage.seqread.ss.of_real %.3f x\n", ss.mbps / 136.0);
    printf("bench: storage.seqread.ss.speedup %.1f x\n", ss.speedup);
    struct measured q1 = measure(db, dbpath, "storage-randread4k-qd1");
    printf("bench: storage.randread4k.qd1.iops %.0f IOPS\n", q1.iops);
    struct measured q32 = measure(db, dbpath, "storage-randread4k-qd32");
    printf("bench: storage.randread4k.qd32.iops %.0f IOPS\n", q32.iops);
    printf("bench: storage.wall_us_per_io %.1f us\n", q32.wall_us_per_io);
    sim_trace_db_close(db);
    unlink(dbpath);
    return 0;
}
