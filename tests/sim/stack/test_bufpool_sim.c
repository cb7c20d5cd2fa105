/*
 * impl/bufpool under the simulator, through the driver-shaped scenarios of
 * scenarios/suite/bufpool: a read request holds a guarded slice while its
 * peer (the block daemon) is killed. The trace must show the forfeited guard
 * and the leak, and no allocation after the leak may overlap the leaked
 * slice; both scenarios must hold for many seeds of random and pct.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "sim/scenario/family.h"
#include "sim/trace/trace.h"
#include "tests/sim/run/scenario_sweep.h"

#define SEEDS 30

static struct sim_scenario *load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/scenarios/suite/bufpool/%s.yaml", IOSIM_SOURCE_DIR, name);
    struct sim_scenario *s;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load(path, &s, &err), IOSIM_OK, "%s", err.msg);
    return s;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

Test(bufpool_sim, a_peer_killed_holding_a_guarded_slice_leaks_it_and_the_trace_shows_it)
{
    char path[] = "/tmp/iosim-bufpool-sim-XXXXXX";
    cr_assert_eq(sim_families_init(), IOSIM_OK); /* their tables, before the file opens */
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    unlink(path);
    struct sim_trace_db *tdb;
    char msg[256];
    cr_assert_eq(sim_trace_db_open(path, &tdb, msg, sizeof msg), IOSIM_OK, "%s", msg);
    struct sim_scenario *s = load("guard-peer-killed");
    static struct sim_run_result r;
    struct sim_run_opts o = {.db = tdb};
    cr_assert_eq(sim_run(s, &o, &r), IOSIM_OK, "%s", r.message);
    cr_assert(r.passed, "%s", r.failures[0]);
    sim_scenario_free(s);
    cr_assert_eq(sim_trace_db_index(tdb, msg, sizeof msg), IOSIM_OK, "%s", msg);
    sim_trace_db_close(tdb);

    sqlite3 *db;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    int64_t leaks = q_int(db, "SELECT count(*) FROM bufpool_op WHERE op = 'leak'");
    cr_expect_geq(leaks, 1);
    /* every leak follows a forfeit of the same slice, by the driver */
    cr_expect_eq(q_int(db, "SELECT count(*) FROM bufpool_op l WHERE l.op = 'leak' AND NOT EXISTS"
                           " (SELECT 1 FROM bufpool_op f WHERE f.op = 'forfeit' AND f.seq < l.seq"
                           "  AND f.chunk = l.chunk AND f.offset = l.offset AND f.status = 0)"),
                 0);
    /* the driver went on allocating after the leaks... */
    cr_expect_geq(q_int(db, "SELECT count(*) FROM bufpool_op a WHERE a.op = 'alloc' AND"
                            " a.status = 0 AND a.seq > (SELECT max(seq) FROM bufpool_op"
                            " WHERE op = 'leak')"),
                  32);
    /* ...and nothing it got overlaps a leaked slice */
    cr_expect_eq(q_int(db, "SELECT count(*) FROM bufpool_op l JOIN bufpool_op a ON a.op = 'alloc'"
                           " AND a.status = 0 AND a.seq > l.seq AND a.chunk = l.chunk AND"
                           " a.offset < l.offset + l.len AND l.offset < a.offset + a.len"
                           " WHERE l.op = 'leak'"),
                 0);
    /* the leaked slices were in flight: guarded, on their way to the peer */
    cr_expect_eq(q_int(db, "SELECT count(*) FROM bufpool_op l WHERE l.op = 'leak' AND NOT EXISTS"
                           " (SELECT 1 FROM bufpool_op g WHERE g.op = 'guard' AND g.seq < l.seq"
                           "  AND g.chunk = l.chunk AND g.offset = l.offset)"),
                 0);
    /* the pool was destroyed with the leak's chunk kept mapped */
    cr_expect_eq(q_int(db, "SELECT guards FROM bufpool_op WHERE op = 'destroy'"), 1);
    sqlite3_close(db);
    unlink(path);
}

static void sweep(const char *name)
{
    static const char *const policies[] = {"random", "pct:2", "pct:3", "fifo", NULL};
    char rel[128];
    snprintf(rel, sizeof rel, "scenarios/suite/bufpool/%s.yaml", name);
    scenario_sweep(rel, policies, SEEDS);
}

Test(bufpool_sim, the_peer_killed_scenario_holds_for_many_seeds, .timeout = 300)
{
    sweep("guard-peer-killed");
}

Test(bufpool_sim, guarded_reads_without_a_kill_leak_nothing_for_many_seeds, .timeout = 300)
{
    sweep("guarded-reads");
}
