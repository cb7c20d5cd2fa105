/* Plain-text summary of a trace database; see summary.h. */
#include "reports/summary.h"

#include <inttypes.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t != NULL ? (const char *)t : "";
}

static int64_t col_i64(sqlite3_stmt *st, int i)
{
    return (int64_t)sqlite3_column_int64(st, i);
}

static void format_ps(int64_t ps, char *buf, size_t cap)
{
    if (ps >= 1000000000000)
        snprintf(buf, cap, "%.6f s", (double)ps / 1e12);
    else if (ps >= 1000000000)
        snprintf(buf, cap, "%.6f ms", (double)ps / 1e9);
    else if (ps >= 1000000)
        snprintf(buf, cap, "%.3f us", (double)ps / 1e6);
    else
        snprintf(buf, cap, "%.3f ns", (double)ps / 1e3);
}

static enum iosim_err fail(sqlite3 *db, char *msg, size_t len, const char *what)
{
    snprintf(msg, len, "%s: %s", what, db != NULL ? sqlite3_errmsg(db) : "cannot open");
    return IOSIM_EPROTO;
}

static enum iosim_err print_totals(sqlite3 *db, FILE *out, char *msg, size_t len)
{
    sqlite3_stmt *st;
    const char *sql =
        "SELECT count(*), sum(status = 'complete'), sum(result = 'pass'), "
        "sum(result = 'fail'), sum(result = 'error'), (SELECT value FROM meta "
        "WHERE key = 'schema_version') FROM run";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(db, msg, len, "not an iosim trace database");
    if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t n = col_i64(st, 0), done = col_i64(st, 1);
        fprintf(out, "schema version %s; %" PRId64 " runs (%" PRId64 " complete, %" PRId64
                     " incomplete): %" PRId64 " pass, %" PRId64 " fail, %" PRId64 " error\n\n",
                col_text(st, 5), n, done, n - done, col_i64(st, 2),
                col_i64(st, 3), col_i64(st, 4));
    }
    sqlite3_finalize(st);
    return IOSIM_OK;
}

static enum iosim_err print_runs(sqlite3 *db, FILE *out, char *msg, size_t len)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT id, coalesce(result, '-'), status, scenario, seed, policy, "
                      "coalesce(end_time_ps, 0), coalesce(rows, 0), coalesce(trace_hash, '-') "
                      "FROM run ORDER BY id";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(db, msg, len, "reading runs");
    fprintf(out, "%-5s %-6s %-10s %-32s %-8s %-8s %-16s %-9s %s\n", "id", "result", "status",
            "scenario", "seed", "policy", "end time", "rows", "trace hash");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char t[32];
        format_ps(col_i64(st, 6), t, sizeof t);
        fprintf(out, "%-5" PRId64 " %-6s %-10s %-32s %-8" PRId64 " %-8s %-16s %-9" PRId64 " %s\n",
                col_i64(st, 0), col_text(st, 1), col_text(st, 2), col_text(st, 3),
                col_i64(st, 4), col_text(st, 5), t, col_i64(st, 7),
                col_text(st, 8));
    }
    sqlite3_finalize(st);
    return IOSIM_OK;
}

static enum iosim_err print_failures(sqlite3 *db, FILE *out, char *msg, size_t len)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT r.id, r.scenario, e.location, e.message, r.command FROM run r "
                      "JOIN expectation e ON e.run_id = r.id WHERE e.result = 'fail' "
                      "ORDER BY r.id, e.seq";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(db, msg, len, "reading expectations");
    int64_t last = -1;
    bool any = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (!any)
            fputs("\nfailures:\n", out);
        any = true;
        if (id != last)
            fprintf(out, "  run %" PRId64 " (%s)\n    repro: %s\n", id, col_text(st, 1),
                    col_text(st, 4));
        fprintf(out, "    %s: %s\n", col_text(st, 2), col_text(st, 3));
        last = id;
    }
    sqlite3_finalize(st);
    return IOSIM_OK;
}

/* The named tables the file has, with their row counts; a name is quoted
 * as an identifier (the caller's names are the trace schema's). */
static void print_table_sizes(sqlite3 *db, const char *const *tables, size_t ntables, FILE *out)
{
    const char *sep = "";
    fputs("\nrows per table:", out);
    for (size_t i = 0; i < ntables; i++) {
        char sql[160];
        sqlite3_stmt *st;
        if (strchr(tables[i], '"') != NULL ||
            (size_t)snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\"", tables[i]) >= sizeof sql)
            continue;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            continue; /* a table this file does not have */
        if (sqlite3_step(st) == SQLITE_ROW) {
            fprintf(out, "%s %s %" PRId64, sep, tables[i], col_i64(st, 0));
            sep = ",";
        }
        sqlite3_finalize(st);
    }
    fputc('\n', out);
}

enum iosim_err report_summary(const char *db_path, const char *const *tables, size_t ntables,
                              FILE *out, char *msg, size_t msg_len)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        enum iosim_err e = fail(db, msg, msg_len, db_path);
        sqlite3_close(db);
        return e;
    }
    sqlite3_busy_timeout(db, 10000);
    fprintf(out, "iosim trace report: %s\n", db_path);
    enum iosim_err e = print_totals(db, out, msg, msg_len);
    if (e == IOSIM_OK)
        e = print_runs(db, out, msg, msg_len);
    if (e == IOSIM_OK)
        e = print_failures(db, out, msg, msg_len);
    if (e == IOSIM_OK)
        print_table_sizes(db, tables, ntables, out);
    sqlite3_close(db);
    return e;
}
