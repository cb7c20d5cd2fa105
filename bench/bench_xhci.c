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
 */
#include <stdio.h>
#include <unistd.h>

#include "bench/bench_util.h"
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

static void measure(struct sim_trace_db *db, enum usb_speed speed, uint32_t tds, const char *name)
{
    double up[ROUNDS], mbps[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        struct result x = stream(db, speed, tds);
        up[r] = x.speedup;
        mbps[r] = x.mbps;
    }
    printf("# xhci %s: %u TDs of 64 KiB, %llu trace rows written\n", name, tds,
           (unsigned long long)rows_last);
    printf("bench: xhci.bulk_in.%s.speedup %.1f x\n", name, bench_median(up, ROUNDS));
    printf("bench: xhci.bulk_in.%s.mbps %.2f MB/s\n", name, bench_median(mbps, ROUNDS));
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
    measure(db, USB_SPEED_HIGH, 4000, "hs");  /* 262 MB: 6.4 s simulated */
    measure(db, USB_SPEED_SUPER, 8000, "ss"); /* 524 MB: 1.1 s simulated */
    sim_trace_db_close(db);
    unlink(dbpath);
    return 0;
}
