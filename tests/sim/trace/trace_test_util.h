/* Helpers shared by the sim/trace tests: a scratch directory per test
 * (g_path is the campaign file in it) and one-value SQL queries through a
 * connection of the test's own. Each test file includes this once and
 * declares TestSuite(<suite>, .init = scratch_make, .fini = scratch_drop). */
#ifndef IOSIM_TESTS_SIM_TRACE_TEST_UTIL_H
#define IOSIM_TESTS_SIM_TRACE_TEST_UTIL_H

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/trace/trace.h"

/* ---- a scratch directory per test --------------------------------------- */

static char g_dir[64];
static char g_path[96];

static inline void scratch_make(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/iosim-trace-XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir));
    snprintf(g_path, sizeof g_path, "%s/t.db", g_dir);
}

static inline void scratch_drop(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal", ".txt"};
    char p[128];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", g_path, suffix[i]);
        (void)unlink(p);
    }
    (void)rmdir(g_dir);
}

/* ---- plain SQL on the file, through a connection of the test's own ------ */

static inline sqlite3 *sql_open(void)
{
    sqlite3 *s = NULL;
    cr_assert_eq(sqlite3_open(g_path, &s), SQLITE_OK);
    sqlite3_busy_timeout(s, 10000);
    return s;
}

static inline void sql_exec(const char *stmt)
{
    sqlite3 *s = sql_open();
    char *err = NULL;
    cr_assert_eq(sqlite3_exec(s, stmt, NULL, NULL, &err), SQLITE_OK, "%s: %s", stmt, err);
    sqlite3_close(s);
}

static inline int64_t sql_int(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int64_t sql_int(const char *fmt, ...)
{
    char q[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    sqlite3 *s = sql_open();
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(s, q, -1, &st, NULL), SQLITE_OK, "%s: %s", q,
                 sqlite3_errmsg(s));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", q);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(s);
    return v;
}

/* Returns a static copy of a one-value text query ("(null)" for NULL). */
static inline const char *sql_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline const char *sql_text(const char *fmt, ...)
{
    static char out[512];
    char q[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    sqlite3 *s = sql_open();
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(s, q, -1, &st, NULL), SQLITE_OK, "%s: %s", q,
                 sqlite3_errmsg(s));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", q);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(out, sizeof out, "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(st);
    sqlite3_close(s);
    return out;
}

/* The two ways a db writes: through a writer process (the default) or
 * from the test's own process. Tests that hold for both loop over these. */
enum db_mode { DB_WRITER, DB_IN_PROCESS };
static const enum db_mode db_modes[] = {DB_WRITER, DB_IN_PROCESS};
static const char *const db_mode_name[] = {"writer process", "in-process"};

/* IOSIM_TRACE_INPROCESS=1 makes every db write in-process. */
static inline bool env_in_process(void)
{
    const char *v = getenv("IOSIM_TRACE_INPROCESS");
    return v != NULL && strcmp(v, "1") == 0;
}

static inline struct sim_trace_db *db_open_mode(enum db_mode mode)
{
    struct sim_trace_db *db = NULL;
    char msg[256];
    struct sim_trace_db_opts opts = {.in_process = mode == DB_IN_PROCESS};
    enum iosim_err e = sim_trace_db_open_opts(g_path, &opts, &db, msg, sizeof msg);
    cr_assert_eq(e, IOSIM_OK, "open (%s): %s", db_mode_name[mode], msg);
    cr_assert_eq(sim_trace_db_writer_pid(db) > 0, mode == DB_WRITER && !env_in_process(),
                 "a writer process exactly when asked for (%s)", db_mode_name[mode]);
    return db;
}

/* A new scratch directory (for tests that loop over modes). */
static inline void scratch_renew(void)
{
    scratch_drop();
    scratch_make();
}

/* The default: sim_trace_db_open as callers use it. */
static inline struct sim_trace_db *db_open_ok(void)
{
    struct sim_trace_db *db = NULL;
    char msg[256];
    enum iosim_err e = sim_trace_db_open(g_path, &db, msg, sizeof msg);
    cr_assert_eq(e, IOSIM_OK, "open: %s", msg);
    return db;
}

/* Rows of run run_id the db has received (through its writer, if any):
 * the stored row count, after the writer has handled everything sent
 * before this call. */
static inline uint64_t db_rows_received(struct sim_trace_db *db, int64_t run_id)
{
    uint64_t h = 0, rows = 0;
    char msg[256];
    cr_assert_eq(sim_trace_db_run_hash(db, run_id, &h, &rows, msg, sizeof msg), IOSIM_OK, "%s",
                 msg);
    return rows;
}

/* The outcome most tests finish with. */
#define PASS_RESULT (&(const struct sim_trace_result){.result = "pass", .end_time_ps = 1000})

#endif /* IOSIM_TESTS_SIM_TRACE_TEST_UTIL_H */
