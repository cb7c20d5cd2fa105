/* Helpers shared by the sim/trace tests: a scratch directory per test
 * (g_path is the campaign file in it) and one-value SQL queries through a
 * connection of the test's own. Each test file includes this once and
 * declares TestSuite(<suite>, .init = scratch_make, .fini = scratch_drop). */
#ifndef IOSIM_TESTS_SIM_TRACE_TEST_UTIL_H
#define IOSIM_TESTS_SIM_TRACE_TEST_UTIL_H

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/trace.h"

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

static inline struct sim_trace_db *db_open_ok(void)
{
    struct sim_trace_db *db = NULL;
    char msg[256];
    enum iosim_err e = sim_trace_db_open(g_path, &db, msg, sizeof msg);
    cr_assert_eq(e, IOSIM_OK, "open: %s", msg);
    return db;
}

/* The outcome most tests finish with. */
#define PASS_RESULT (&(const struct sim_trace_result){.result = "pass", .end_time_ps = 1000})

#endif /* IOSIM_TESTS_SIM_TRACE_TEST_UTIL_H */
