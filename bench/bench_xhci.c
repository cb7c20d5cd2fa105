/*
 * bench_xhci: how fast the simulator runs the xHCI model, and how fast the
 * model says the bus is. Gadget zero streams bulk IN through the test-side
 * driver (tests/models/xhci/xt_driver.h) on the qemu profile: 64 KiB TDs,
 * QUEUED of them on the ring at all times (the driver queues the next TD as
 * each completes), with every trace row written to an SQLite file.
 *
 *   xhci.bulk_in.hs.speedup / .ss.speedup  simulated seconds per wall second
 *   xhci.bulk_in.hs.mbps / .ss.mbps        the simulated throughput, MB/s
 *                                          (10^6 bytes), beside the real
 *                                          figures in docs/xhci-profiles.md
 *
 * The targets are >= 100 (high speed) and >= 10 (SuperSpeed) for the
 * speedup. Each speed runs ROUNDS times; the median is printed.
 *
 * Then the same bytes through the whole stack (scenarios/bench/xhcid-
 * bulk-in-*.yaml): a usbzero class driver reading gadget zero through
 * usb: rings in 512 KiB requests, two in flight, xhcid, the kernel, the
 * model, every trace row written:
 *
 *   xhcid.bulk_in.hs.speedup / .ss.speedup  simulated seconds of the data
 *                                          phase per wall second of the
 *                                          whole run (enumeration included)
 *   xhcid.bulk_in.hs.mbps / .ss.mbps        bulk IN bytes over the data
 *                                          phase (the usb_xfer rows)
 *   xhcid.bulk_in.*.of_model               speedup / the model-only one
 *
 * Targets: >= 100 / >= 10, at least half the model-only speedup, and the
 * SuperSpeed throughput within 10 % of the model-only one.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "sim/run/run.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/family.h"
#include "sim/trace/trace.h"
#include "tests/models/xhci/xt_driver.h"

#define ROUNDS 3
#define QUEUED 8u
#define TD_BYTES (64u * 1024u)

struct result {
    double speedup, mbps;
};

static uint64_t rows_last; /* trace rows of the last stream, for the log line */

/* One stream of `tds` TDs at `speed`, traced into db as a run of its own. */
static struct result stream(struct sim_trace_db *db, enum usb_speed speed, uint32_t tds)
{
    struct sim_trace tr;
    struct sim_trace_run_info info = {.scenario = speed == USB_SPEED_HIGH ? "bench-xhci-hs"
                                                                         : "bench-xhci-ss",
                                      .policy = "fifo", .seed = 1};
    cr_assert_eq(sim_trace_init(&tr, db, &info), IOSIM_OK);
    xt_trace = &tr;
    xd_setup_named("qemu", 1);
    struct xd_dev d;
    (void)xd_up(&d, speed, USB_ZERO_SOURCE_SINK);
    uint64_t buf[QUEUED];
    struct xd_td td;
    for (uint32_t i = 0; i < QUEUED; i++) {
        buf[i] = xd_alloc(TD_BYTES, TD_BYTES);
        xd_queue_td(&d, XD_DCI_BULK_IN, buf[i], TD_BYTES, XD_IOC, &td);
    }
    xd_doorbell(&d, XD_DCI_BULK_IN);
    sim_time_ps t0 = xd_now();
    double w0 = bench_wall_now();
    struct xd_event ev;
    for (uint32_t i = 0; i < tds; i++) {
        cr_assert(xd_wait_xfer(&d, XD_DCI_BULK_IN, XD_TIMEOUT, &ev));
        cr_assert_eq(xd_ev_cc(&ev), XHCI_CC_SUCCESS);
        if (i + QUEUED < tds) {
            xd_queue_td(&d, XD_DCI_BULK_IN, buf[i % QUEUED], TD_BYTES, XD_IOC, &td);
            xd_doorbell(&d, XD_DCI_BULK_IN);
        }
    }
    double wall = bench_wall_now() - w0;
    double sim_s = (double)(ev.at_ps - t0) / (double)SIM_S;
    xd_expect_pattern(buf[(tds - 1) % QUEUED], TD_BYTES, (uint64_t)(tds - 1) * TD_BYTES);
    rows_last = sim_trace_rows(&tr);
    struct sim_trace_result res = {.result = "pass", .end_time_ps = xd_now()};
    cr_assert_eq(sim_trace_finish(&tr, &res), IOSIM_OK);
    xd_teardown();
    sim_trace_fini(&tr);
    xt_trace = NULL;
    return (struct result){sim_s / wall, (double)tds * TD_BYTES / sim_s / 1e6};
}

static struct result measure(struct sim_trace_db *db, enum usb_speed speed, uint32_t tds,
                             const char *name)
{
    double up[ROUNDS], mbps[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        struct result x = stream(db, speed, tds);
        up[r] = x.speedup;
        mbps[r] = x.mbps;
    }
    struct result med = {bench_median(up, ROUNDS), bench_median(mbps, ROUNDS)};
    printf("# xhci %s: %u TDs of 64 KiB, %llu trace rows written\n", name, tds,
           (unsigned long long)rows_last);
    printf("bench: xhci.bulk_in.%s.speedup %.1f x\n", name, med.speedup);
    printf("bench: xhci.bulk_in.%s.mbps %.2f MB/s\n", name, med.mbps);
    return med;
}

/* The data phase of a whole-stack run, from its usb_xfer rows. */
static bool data_phase(const char *dbpath, int64_t run_id, double *sim_s, double *bytes)
{
    sqlite3 *q;
    sqlite3_stmt *st;
    bool ok = false;
    if (sqlite3_open_v2(dbpath, &q, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return false;
    if (sqlite3_prepare_v2(q, "SELECT min(submit_ps), max(t_ps), sum(actual) FROM usb_xfer "
                              "WHERE run_id = ? AND xfer = 'bulk' AND dir = 'in'",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            *sim_s = (double)(sqlite3_column_int64(st, 1) - sqlite3_column_int64(st, 0)) /
                     (double)SIM_S;
            *bytes = (double)sqlite3_column_int64(st, 2);
            ok = *sim_s > 0;
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(q);
    return ok;
}

static struct result stack_stream(struct sim_trace_db *db, const char *dbpath,
                                  struct sim_scenario *s, uint64_t *rows)
{
    static struct sim_run_result r;
    struct sim_run_opts o = {.db = db};
    double w0 = bench_wall_now();
    cr_assert(sim_run(s, &o, &r) == IOSIM_OK && r.passed, "the whole-stack stream failed: %s %s",
              r.message, r.failures[0]);
    double wall = bench_wall_now() - w0, sim_s = 0, bytes = 0;
    cr_assert(data_phase(dbpath, r.run_id, &sim_s, &bytes), "no bulk IN rows in the trace");
    *rows = r.trace_rows;
    return (struct result){sim_s / wall, bytes / sim_s / 1e6};
}

static void measure_stack(struct sim_trace_db *db, const char *dbpath, const char *name,
                          struct result model)
{
    char path[256];
    (void)snprintf(path, sizeof path, "%s/scenarios/bench/xhcid-bulk-in-%s.yaml",
                   IOSIM_SOURCE_DIR, name);
    struct sim_scenario *s;
    struct yml_error err;
    cr_assert(sim_scenario_load(path, &s, &err) == IOSIM_OK, "%s", err.msg);
    double up[ROUNDS], mbps[ROUNDS];
    uint64_t rows = 0;
    for (int r = 0; r < ROUNDS; r++) {
        struct result x = stack_stream(db, dbpath, s, &rows);
        up[r] = x.speedup;
        mbps[r] = x.mbps;
    }
    sim_scenario_free(s);
    double u = bench_median(up, ROUNDS), m = bench_median(mbps, ROUNDS);
    printf("# xhcid %s: %s, %llu trace rows written\n", name, path, (unsigned long long)rows);
    printf("bench: xhcid.bulk_in.%s.speedup %.1f x\n", name, u);
    printf("bench: xhcid.bulk_in.%s.mbps %.2f MB/s\n", name, m);
    printf("bench: xhcid.bulk_in.%s.of_model %.2f x\n", name, u / model.speedup);
    printf("bench: xhcid.bulk_in.%s.mbps_of_model %.3f x\n", name, m / model.mbps);
}

int main(void)
{
    if (sim_families_init() != IOSIM_OK) { /* the xhci tables, before the file opens */
        fprintf(stderr, "bench_xhci: the device families could not be registered\n");
        return 1;
    }
    char dbpath[] = "/tmp/iosim-bench-xhci.db";
    unlink(dbpath);
    struct sim_trace_db *db;
    char msg[256];
    if (sim_trace_db_open(dbpath, &db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "bench_xhci: %s\n", msg);
        return 1;
    }
    struct result hs = measure(db, USB_SPEED_HIGH, 4000, "hs");  /* 262 MB: 6.4 s simulated */
    struct result ss = measure(db, USB_SPEED_SUPER, 8000, "ss"); /* 524 MB: 1.1 s simulated */
    measure_stack(db, dbpath, "hs", hs); /* the same bytes through the whole stack */
    measure_stack(db, dbpath, "ss", ss);
    sim_trace_db_close(db);
    unlink(dbpath);
    return 0;
}
