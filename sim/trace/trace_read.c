/*
 * trace_read.c - a stored run's rows, read back: its trace hash recomputed,
 * and the rows themselves for a tap (sim_trace_file_run_rows).
 *
 * The rows of a run are spread over the row tables this process knows
 * (core and registered; a table of the file it does not know is not read,
 * so a run with rows there shows a gap); each table is read in seq order
 * and the tables are merged by seq (a linear pick among the table cursors:
 * there are a few dozen at most), feeding the same canonical stream as
 * sim/trace/trace.c's emit path. Everything is read in one read
 * transaction, so a concurrent writer cannot change the view half-way.
 * With the (run_id, seq) indexes (sim_trace_db_index) each table's part is
 * a range scan; without them, a scan of the table and a sort.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/trace/trace.h"
#include "sim/trace/trace_internal.h"

static void read_msg(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void read_msg(char *msg, size_t len, const char *fmt, ...)
{
    if (msg == NULL || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, len, fmt, ap);
    va_end(ap);
}

/* Where the rows go: the hasher, and the tap when there is one. */
struct read_sink {
    struct sim_trace_hasher h;
    sim_trace_tap_fn *tap;
    void *ctx;
};

/* Feeds the current row of cursor st (a row of table t) to the sink. */
static void read_row(struct read_sink *k, uint32_t t, sqlite3_stmt *st)
{
    const struct sim_trace_table_info *ti = sim_trace_table_info(t);
    ASSERT(sqlite3_column_count(st) == 2 + (int)ti->ncols);
    ASSERT(ti->ncols <= TRACE_COLS_MAX);
    struct sim_trace_value v[TRACE_COLS_MAX];
    sim_time_ps t_ps = (sim_time_ps)sqlite3_column_int64(st, 1);
    trace_hash_row_head(&k->h, trace_table_hash_id(t), (uint64_t)t_ps);
    for (uint32_t c = 0; c < ti->ncols; c++) {
        int idx = 2 + (int)c;
        v[c].kind = ti->col_kinds[c];
        if (ti->col_kinds[c] == SIM_TRACE_KIND_INT) {
            v[c].value = sqlite3_column_int64(st, idx);
            v[c].str = NULL;
            sim_trace_hasher_u64(&k->h, (uint64_t)v[c].value);
            continue;
        }
        v[c].value = 0;
        v[c].str = (const char *)sqlite3_column_text(st, idx);
        trace_hash_str(&k->h, v[c].str, v[c].str != NULL ? (uint64_t)sqlite3_column_bytes(st, idx) : 0);
    }
    if (k->tap != NULL)
        k->tap(k->ctx, t, t_ps, v, ti->ncols);
}

static enum iosim_err read_run_exists(sqlite3 *sql, int64_t run_id, char *msg, size_t msg_len)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(sql, "SELECT 1 FROM run WHERE id = ?1", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_bind_int64(st, 1, run_id)) == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return IOSIM_OK;
    if (rc == SQLITE_DONE) {
        read_msg(msg, msg_len, "no run %lld in this trace", (long long)run_id);
        return IOSIM_ENOENT;
    }
    read_msg(msg, msg_len, "reading run %lld: %s", (long long)run_id, sqlite3_errmsg(sql));
    return trace_err_from_sqlite(rc);
}

/* The merge: repeatedly hashes the cursor with the lowest seq, which must
 * be the next seq (0, 1, 2, ...). live[t] is the last step's SQLITE_ROW. */
static enum iosim_err read_merge(sqlite3_stmt *cur[], int rc[], uint32_t ntables, int64_t run_id,
                                 struct read_sink *k, uint64_t *rows, char *msg,
                                 size_t msg_len)
{
    for (uint64_t want = 0;; want++) {
        int best = -1;
        for (int t = 0; t < (int)ntables; t++) {
            if (rc[t] != SQLITE_ROW && rc[t] != SQLITE_DONE) {
                read_msg(msg, msg_len, "reading run %lld: %s", (long long)run_id,
                         sqlite3_errstr(rc[t]));
                return trace_err_from_sqlite(rc[t]);
            }
            if (rc[t] == SQLITE_ROW &&
                (best < 0 || sqlite3_column_int64(cur[t], 0) < sqlite3_column_int64(cur[best], 0)))
                best = t;
        }
        if (best < 0) {
            *rows = want;
            return IOSIM_OK;
        }
        int64_t seq = sqlite3_column_int64(cur[best], 0);
        if (seq != (int64_t)want) {
            read_msg(msg, msg_len, "run %lld: row seq %lld where %llu was expected",
                     (long long)run_id, (long long)seq, (unsigned long long)want);
            return IOSIM_EPROTO;
        }
        read_row(k, (uint32_t)best, cur[best]);
        rc[best] = sqlite3_step(cur[best]);
    }
}

/* The rows of run_id through the sink, in one read transaction. */
static enum iosim_err read_run(sqlite3 *sql, int64_t run_id, struct read_sink *k,
                               uint64_t *rows_out, char *msg, size_t msg_len)
{
    ASSERT(sql != NULL);
    read_msg(msg, msg_len, "%s", "");
    const uint32_t n = sim_trace_table_count();
    sqlite3_stmt *cur[SIM_TRACE_TABLES_MAX] = {0};
    int rc[SIM_TRACE_TABLES_MAX];
    int brc = sqlite3_exec(sql, "BEGIN", NULL, NULL, NULL);
    if (brc != SQLITE_OK) {
        read_msg(msg, msg_len, "reading run %lld: %s", (long long)run_id, sqlite3_errmsg(sql));
        return trace_err_from_sqlite(brc);
    }
    enum iosim_err e = read_run_exists(sql, run_id, msg, msg_len);
    for (uint32_t t = 0; t < n && e == IOSIM_OK; t++) {
        char q[TRACE_SQL_MAX];
        trace_schema_select_sql(t, q, sizeof q);
        rc[t] = sqlite3_prepare_v2(sql, q, -1, &cur[t], NULL);
        if (rc[t] == SQLITE_OK && (rc[t] = sqlite3_bind_int64(cur[t], 1, run_id)) == SQLITE_OK)
            rc[t] = sqlite3_step(cur[t]);
        if (rc[t] != SQLITE_ROW && rc[t] != SQLITE_DONE) {
            read_msg(msg, msg_len, "reading table %s: %s", sim_trace_table_info(t)->name,
                     sqlite3_errmsg(sql));
            e = trace_err_from_sqlite(rc[t]);
        }
    }
    uint64_t rows = 0;
    if (e == IOSIM_OK)
        e = read_merge(cur, rc, n, run_id, k, &rows, msg, msg_len);
    for (uint32_t t = 0; t < n; t++)
        sqlite3_finalize(cur[t]);
    (void)sqlite3_exec(sql, "COMMIT", NULL, NULL, NULL);
    if (e == IOSIM_OK && rows_out != NULL)
        *rows_out = rows;
    return e;
}

enum iosim_err trace_read_run_hash(sqlite3 *sql, int64_t run_id, uint64_t *hash_out,
                                   uint64_t *rows_out, char *msg, size_t msg_len)
{
    ASSERT(hash_out != NULL);
    struct read_sink k = {.tap = NULL};
    sim_trace_hasher_init(&k.h, 0);
    enum iosim_err e = read_run(sql, run_id, &k, rows_out, msg, msg_len);
    if (e == IOSIM_OK)
        *hash_out = sim_trace_hasher_digest(&k.h);
    return e;
}

enum iosim_err sim_trace_file_run_rows(const char *path, int64_t run_id, sim_trace_tap_fn *tap,
                                       void *ctx, uint64_t *hash_out, char *msg, size_t msg_len)
{
    ASSERT(path != NULL && tap != NULL);
    read_msg(msg, msg_len, "%s", "");
    sqlite3 *sql = NULL;
    int rc = sqlite3_open_v2(path, &sql, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        read_msg(msg, msg_len, "%s: %s", path, sql != NULL ? sqlite3_errmsg(sql) : sqlite3_errstr(rc));
        sqlite3_close(sql);
        return trace_err_from_sqlite(rc);
    }
    (void)sqlite3_busy_timeout(sql, 5000);
    struct read_sink k = {.tap = tap, .ctx = ctx};
    sim_trace_hasher_init(&k.h, 0);
    enum iosim_err e = read_run(sql, run_id, &k, NULL, msg, msg_len);
    if (e == IOSIM_OK && hash_out != NULL)
        *hash_out = sim_trace_hasher_digest(&k.h);
    sqlite3_close(sql);
    return e;
}
