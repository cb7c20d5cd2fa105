/*
 * trace.c - the trace store: schema, campaign files, runs, emit, batches.
 *
 * Row buffer layout (struct sim_trace.words): rows one after another, each
 * as [table id][t_ps] then per own column INT: [value], SYM: [pointer]
 * [length], TEXT: [offset in the text arena][length] (length
 * TRACE_NULL_LEN for NULL). Rows are decoded in order at flush time and
 * stepped through the table's prepared INSERT inside one BEGIN IMMEDIATE
 * transaction, so the write lock is held only while a batch is written and
 * several processes can share a file.
 */
#include "sim/trace.h"

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/trace_internal.h"

#ifndef IOSIM_BUILD_ID
#define IOSIM_BUILD_ID "unknown"
#endif

/* ---- generated schema --------------------------------------------------- */

#define TRACE_COL_NAME(kind, col) #col,
#define TRACE_COL_KIND(kind, col) SIM_TRACE_KIND_##kind,
#define TRACE_COL_DECL(kind, col) ", " #col " " SIM_TRACE_SQLTYPE_##kind
#define TRACE_COL_LIST(kind, col) "," #col
#define TRACE_COL_QMARK(kind, col) ",?"
#define TRACE_WORDS_INT 1
#define TRACE_WORDS_SYM 2
#define TRACE_WORDS_TEXT 2
#define TRACE_COL_WORDS(kind, col) +TRACE_WORDS_##kind

#define TRACE_TABLE_ARRAYS(table, ...)                                                  \
    static const char *const trace_cols_##table[] = {                                  \
        SIM_TRACE_EACH(TRACE_COL_NAME, __VA_ARGS__)};                                   \
    static const enum sim_trace_kind trace_kinds_##table[] = {                          \
        SIM_TRACE_EACH(TRACE_COL_KIND, __VA_ARGS__)};
SIM_TRACE_TABLES(TRACE_TABLE_ARRAYS)

#define TRACE_TABLE_INFO(table, ...)                                                    \
    [SIM_TRACE_TABLE_##table] = {                                                       \
        #table, sizeof trace_kinds_##table / sizeof trace_kinds_##table[0],             \
        trace_cols_##table, trace_kinds_##table,                                        \
        "CREATE TABLE IF NOT EXISTS " #table "(run_id INTEGER NOT NULL REFERENCES run(id)" \
        ", seq INTEGER NOT NULL, t_ps INTEGER NOT NULL" SIM_TRACE_EACH(TRACE_COL_DECL,  \
                                                                      __VA_ARGS__)      \
            ", PRIMARY KEY(run_id, seq)) WITHOUT ROWID"},
static const struct sim_trace_table_info trace_tables[] = {SIM_TRACE_TABLES(TRACE_TABLE_INFO)};

#define TRACE_TABLE_INSERT(table, ...)                                                   \
    [SIM_TRACE_TABLE_##table] = "INSERT INTO " #table "(run_id,seq,t_ps" SIM_TRACE_EACH( \
        TRACE_COL_LIST, __VA_ARGS__) ") VALUES(?,?,?" SIM_TRACE_EACH(TRACE_COL_QMARK,     \
                                                                     __VA_ARGS__) ")",
static const char *const trace_insert_sql[] = {SIM_TRACE_TABLES(TRACE_TABLE_INSERT)};

#define TRACE_TABLE_WORDS(table, ...) \
    [SIM_TRACE_TABLE_##table] = 2 SIM_TRACE_EACH(TRACE_COL_WORDS, __VA_ARGS__),
static const uint8_t trace_row_words[] = {SIM_TRACE_TABLES(TRACE_TABLE_WORDS)};

static_assert(sizeof trace_tables / sizeof trace_tables[0] == SIM_TRACE_TABLE_COUNT,
              "one description per table");
static_assert(SIM_TRACE_TABLE_COUNT < 256, "table ids fit the row header");
static_assert(sizeof(union sim_trace_word) == 8, "one word per INT column");

#define TRACE_META_SQL "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)"
#define TRACE_RUN_SQL                                                                      \
    "CREATE TABLE IF NOT EXISTS run(id INTEGER PRIMARY KEY, scenario TEXT,"               \
    " scenario_file TEXT, seed INTEGER, policy TEXT, build_id TEXT, command TEXT,"        \
    " status TEXT NOT NULL DEFAULT 'incomplete' CHECK(status IN ('incomplete','complete')),"  \
    " result TEXT CHECK(result IN ('pass','fail','error')), trace_hash TEXT,"              \
    " end_time_ps INTEGER, rows INTEGER, expectations_passed INTEGER,"                    \
    " expectations_failed INTEGER, message TEXT)"

const struct sim_trace_table_info *sim_trace_table_info(enum sim_trace_table t)
{
    assert((unsigned)t < SIM_TRACE_TABLE_COUNT);
    assert(trace_tables[t].ncols > 0);
    return &trace_tables[t];
}

static uint32_t trace_row_words_max(void)
{
    uint32_t m = 0;
    for (unsigned t = 0; t < SIM_TRACE_TABLE_COUNT; t++)
        m = trace_row_words[t] > m ? trace_row_words[t] : m;
    assert(m >= 3);
    return m;
}

/* ---- errors ------------------------------------------------------------- */

enum iosim_err trace_err_from_sqlite(int rc)
{
    assert(rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return IOSIM_EBUSY;
    case SQLITE_NOMEM:
        return IOSIM_ENOMEM;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return IOSIM_EACCES;
    case SQLITE_FULL:
        return IOSIM_ENOSPC;
    case SQLITE_TOOBIG:
        return IOSIM_EMSGSIZE;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return IOSIM_EPROTO;
    default:
        return IOSIM_EIO;
    }
}

static void trace_msg(char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void trace_msg(char *msg, size_t len, const char *fmt, ...)
{
    if (msg == NULL || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, len, fmt, ap);
    va_end(ap);
}

/* ---- campaign file ------------------------------------------------------ */

static int trace_exec(sqlite3 *sql, const char *stmt)
{
    return sqlite3_exec(sql, stmt, NULL, NULL, NULL);
}

/* schema_version of an existing file, or an explanation of why it is not
 * an iosim trace. *fresh is set when the file has no tables at all. */
static enum iosim_err trace_schema_check(sqlite3 *sql, const char *path, bool *fresh, char *msg,
                                         size_t msg_len)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(sql, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        *fresh = sqlite3_column_int64(st, 0) == 0;
    sqlite3_finalize(st);
    if ((rc & 0xff) == SQLITE_NOTADB) {
        trace_msg(msg, msg_len, "%s: not an iosim trace (not an SQLite database)", path);
        return IOSIM_EPROTO;
    }
    if (rc != SQLITE_ROW) {
        trace_msg(msg, msg_len, "%s: cannot read: %s", path, sqlite3_errmsg(sql));
        return trace_err_from_sqlite(rc);
    }
    if (*fresh)
        return IOSIM_OK;
    rc = sqlite3_prepare_v2(sql, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
                            NULL);
    if (rc != SQLITE_OK) {
        trace_msg(msg, msg_len, "%s: not an iosim trace (no meta table)", path);
        return IOSIM_EPROTO;
    }
    enum iosim_err e = IOSIM_OK;
    rc = sqlite3_step(st);
    const unsigned char *v = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    if (v == NULL) {
        trace_msg(msg, msg_len, "%s: not an iosim trace (no schema_version in meta)", path);
        e = IOSIM_EPROTO;
    } else if (strcmp((const char *)v, "1") != 0) {
        trace_msg(msg, msg_len, "%s: trace schema version '%s'; this build reads version %d",
                  path, (const char *)v, SIM_TRACE_SCHEMA_VERSION);
        e = IOSIM_EPROTO;
    }
    sqlite3_finalize(st);
    static_assert(SIM_TRACE_SCHEMA_VERSION == 1, "update the version string above");
    return e;
}

/* Creates what is missing: everything in a fresh file, tables added to the
 * list since an existing file was written. Inside the caller's transaction. */
static int trace_schema_create(sqlite3 *sql, bool fresh)
{
    int rc = trace_exec(sql, TRACE_META_SQL);
    if (rc == SQLITE_OK)
        rc = trace_exec(sql, TRACE_RUN_SQL);
    for (unsigned t = 0; rc == SQLITE_OK && t < SIM_TRACE_TABLE_COUNT; t++)
        rc = trace_exec(sql, trace_tables[t].create_sql);
    if (rc == SQLITE_OK && fresh)
        rc = trace_exec(sql, "INSERT INTO meta(key, value) VALUES ('schema_version', '1'),"
                             " ('created_by', 'iosim " IOSIM_BUILD_ID "')");
    return rc;
}

static enum iosim_err trace_prepare_all(struct sim_trace_db *db, const char *path, char *msg,
                                        size_t msg_len)
{
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } fixed[] = {
        {&db->begin, "BEGIN IMMEDIATE"},
        {&db->commit, "COMMIT"},
        {&db->rollback, "ROLLBACK"},
        {&db->run_insert, "INSERT INTO run(scenario, scenario_file, seed, policy, build_id,"
                          " command, status) VALUES (?,?,?,?,?,?,'incomplete')"},
        {&db->run_finish, "UPDATE run SET status = 'complete', result = ?1, trace_hash = ?2,"
                          " end_time_ps = ?3, rows = ?4, expectations_passed = ?5,"
                          " expectations_failed = ?6, message = ?7 WHERE id = ?8"},
        {&db->run_note, "UPDATE run SET message = ?1 WHERE id = ?2 AND status = 'incomplete'"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        int rc = sqlite3_prepare_v3(db->sql, fixed[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    fixed[i].st, NULL);
        if (rc != SQLITE_OK) {
            trace_msg(msg, msg_len, "%s: table run does not match schema v1: %s", path,
                      sqlite3_errmsg(db->sql));
            return IOSIM_EPROTO;
        }
    }
    for (unsigned t = 0; t < SIM_TRACE_TABLE_COUNT; t++) {
        int rc = sqlite3_prepare_v3(db->sql, trace_insert_sql[t], -1, SQLITE_PREPARE_PERSISTENT,
                                    &db->ins[t], NULL);
        if (rc != SQLITE_OK) {
            trace_msg(msg, msg_len, "%s: table %s does not match schema v1: %s", path,
                      trace_tables[t].name, sqlite3_errmsg(db->sql));
            return IOSIM_EPROTO;
        }
    }
    return IOSIM_OK;
}

/* Switching a file to WAL needs it exclusively for a moment, and SQLite
 * reports SQLITE_BUSY at once (no busy handler) when another process
 * opening the same new file holds it: retry for the busy timeout. */
static int trace_set_wal(struct sim_trace_db *db)
{
    enum { PAUSE_MS = 5 };
    int rc = SQLITE_BUSY;
    for (uint32_t waited_ms = 0;; waited_ms += PAUSE_MS) {
        rc = trace_exec(db->sql, "PRAGMA journal_mode=WAL");
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= db->busy_timeout_ms)
            break;
        (void)sqlite3_sleep(PAUSE_MS);
    }
    assert(rc != SQLITE_ROW);
    return rc;
}

/* Looks before touching: a foreign file is refused before anything (even
 * its journal mode) is changed. Then, under the write lock, checks again
 * and creates what is missing, so two processes opening one new file at
 * once do not both create it. */
static enum iosim_err trace_db_setup(struct sim_trace_db *db, const char *path, char *msg,
                                     size_t msg_len)
{
    sqlite3_extended_result_codes(db->sql, 1);
    sqlite3_busy_timeout(db->sql, (int)db->busy_timeout_ms);
    bool fresh = false;
    enum iosim_err e = trace_schema_check(db->sql, path, &fresh, msg, msg_len);
    if (e != IOSIM_OK)
        return e;
    int rc = trace_set_wal(db);
    if (rc == SQLITE_OK)
        rc = trace_exec(db->sql, "PRAGMA synchronous=NORMAL");
    if (rc == SQLITE_OK)
        rc = trace_exec(db->sql, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK) {
        trace_msg(msg, msg_len, "%s: %s", path, sqlite3_errmsg(db->sql));
        return trace_err_from_sqlite(rc);
    }
    e = trace_schema_check(db->sql, path, &fresh, msg, msg_len);
    if (e == IOSIM_OK && (rc = trace_schema_create(db->sql, fresh)) != SQLITE_OK) {
        trace_msg(msg, msg_len, "%s: cannot create the schema: %s", path,
                  sqlite3_errmsg(db->sql));
        e = trace_err_from_sqlite(rc);
    }
    if (e == IOSIM_OK && (rc = trace_exec(db->sql, "COMMIT")) != SQLITE_OK) {
        trace_msg(msg, msg_len, "%s: %s", path, sqlite3_errmsg(db->sql));
        e = trace_err_from_sqlite(rc);
    }
    if (e != IOSIM_OK) {
        (void)trace_exec(db->sql, "ROLLBACK");
        return e;
    }
    return trace_prepare_all(db, path, msg, msg_len);
}

static void trace_db_free(struct sim_trace_db *db)
{
    sqlite3_stmt *fixed[] = {db->begin,      db->commit,     db->rollback,
                             db->run_insert, db->run_finish, db->run_note};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        sqlite3_finalize(fixed[i]);
    for (unsigned t = 0; t < SIM_TRACE_TABLE_COUNT; t++)
        sqlite3_finalize(db->ins[t]);
    sqlite3_close(db->sql);
    free(db);
}

enum iosim_err sim_trace_db_open(const char *path, struct sim_trace_db **out, char *msg,
                                 size_t msg_len)
{
    assert(path != NULL);
    assert(out != NULL);
    *out = NULL;
    trace_msg(msg, msg_len, "%s", "");
    struct sim_trace_db *db = calloc(1, sizeof *db);
    if (db == NULL) {
        trace_msg(msg, msg_len, "%s: out of memory", path);
        return IOSIM_ENOMEM;
    }
    db->batch_rows = SIM_TRACE_BATCH_ROWS_DEFAULT;
    db->busy_timeout_ms = SIM_TRACE_BUSY_TIMEOUT_MS_DEFAULT;
    int rc = sqlite3_open_v2(path, &db->sql,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    enum iosim_err e;
    if (rc != SQLITE_OK) {
        trace_msg(msg, msg_len, "%s: cannot open: %s", path,
                  db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
        e = trace_err_from_sqlite(rc);
    } else {
        e = trace_db_setup(db, path, msg, msg_len);
    }
    if (e != IOSIM_OK) {
        trace_db_free(db);
        return e;
    }
    *out = db;
    return IOSIM_OK;
}

void sim_trace_db_close(struct sim_trace_db *db)
{
    if (db == NULL)
        return;
    assert(db->runs_open == 0 && "fini every run before closing its db");
    trace_db_free(db);
}

enum iosim_err sim_trace_db_set_batch_rows(struct sim_trace_db *db, uint32_t rows)
{
    assert(db != NULL);
    if (rows == 0 || rows > SIM_TRACE_BATCH_ROWS_MAX)
        return IOSIM_EINVAL;
    db->batch_rows = rows;
    return IOSIM_OK;
}

enum iosim_err sim_trace_db_set_busy_timeout(struct sim_trace_db *db, uint32_t timeout_ms)
{
    assert(db != NULL);
    if (timeout_ms > INT_MAX)
        return IOSIM_EINVAL;
    db->busy_timeout_ms = timeout_ms;
    sqlite3_busy_timeout(db->sql, (int)timeout_ms);
    return IOSIM_OK;
}

/* ---- writing batches ---------------------------------------------------- */

/* Makes the run's error sticky (the first one wins) and stops buffering:
 * from here on rows are only counted and hashed. */
static void trace_fail(struct sim_trace *tr, enum iosim_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void trace_fail(struct sim_trace *tr, enum iosim_err e, const char *fmt, ...)
{
    assert(e != IOSIM_OK);
    if (tr->err == IOSIM_OK) {
        tr->err = e;
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(tr->err_msg, sizeof tr->err_msg, fmt, ap);
        va_end(ap);
    }
    tr->buffering = false;
    tr->buf_rows = 0;
    tr->words_used = 0;
    tr->text_used = 0;
    assert(tr->err != IOSIM_OK);
}

static int trace_bind_str(sqlite3_stmt *st, int idx, const char *s, uint64_t len)
{
    if (s == NULL)
        return sqlite3_bind_null(st, idx);
    return sqlite3_bind_text(st, idx, s, (int)len, SQLITE_STATIC);
}

/* Binds one buffered row's own columns from w; returns the word after it. */
static const union sim_trace_word *trace_bind_cols(const struct sim_trace *tr,
                                                   sqlite3_stmt *st,
                                                   const struct sim_trace_table_info *ti,
                                                   const union sim_trace_word *w, int *rc)
{
    for (uint32_t c = 0; c < ti->ncols && *rc == SQLITE_OK; c++) {
        int idx = 4 + (int)c;
        switch (ti->col_kinds[c]) {
        case SIM_TRACE_KIND_INT:
            *rc = sqlite3_bind_int64(st, idx, w[0].i);
            w += 1;
            break;
        case SIM_TRACE_KIND_SYM:
            *rc = trace_bind_str(st, idx, w[0].s, w[1].u);
            w += 2;
            break;
        case SIM_TRACE_KIND_TEXT: /* an empty text may come before the arena exists */
            *rc = trace_bind_str(st, idx,
                                 w[1].u == TRACE_NULL_LEN ? NULL
                                 : w[1].u == 0            ? ""
                                                          : tr->text + w[0].u,
                                 w[1].u);
            w += 2;
            break;
        }
    }
    return w;
}

/* Steps every buffered row; on failure names the table in *what. */
static int trace_write_rows(struct sim_trace *tr, const char **what)
{
    struct sim_trace_db *db = tr->db;
    for (unsigned t = 0; t < SIM_TRACE_TABLE_COUNT; t++)
        (void)sqlite3_bind_int64(db->ins[t], 1, tr->run_id); /* survives resets */
    const union sim_trace_word *w = tr->words;
    for (uint32_t r = 0; r < tr->buf_rows; r++) {
        assert(w[0].u < SIM_TRACE_TABLE_COUNT);
        const struct sim_trace_table_info *ti = &trace_tables[w[0].u];
        sqlite3_stmt *st = db->ins[w[0].u];
        *what = ti->name;
        int rc = sqlite3_bind_int64(st, 2, (int64_t)(tr->buf_seq0 + r));
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(st, 3, w[1].i);
        w = trace_bind_cols(tr, st, ti, w + 2, &rc);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return rc;
    }
    assert(w == tr->words + tr->words_used);
    return SQLITE_DONE;
}

static int trace_step_once(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc;
}

static int trace_update_run(struct sim_trace *tr, const struct sim_trace_result *res)
{
    sqlite3_stmt *st = tr->db->run_finish;
    char hex[SIM_TRACE_HASH_HEX_LEN + 1];
    sim_trace_hash_hex(tr, hex);
    int rc = sqlite3_bind_text(st, 1, res->result, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 2, hex, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 3, (int64_t)res->end_time_ps);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 4, (int64_t)tr->rows);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 5, res->expectations_passed);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 6, res->expectations_failed);
    if (rc == SQLITE_OK)
        rc = trace_bind_str(st, 7, res->message, res->message ? strlen(res->message) : 0);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 8, tr->run_id);
    if (rc == SQLITE_OK)
        rc = trace_step_once(st);
    (void)sqlite3_clear_bindings(st); /* res strings are borrowed */
    if (rc == SQLITE_DONE && sqlite3_changes(tr->db->sql) != 1)
        rc = SQLITE_NOTFOUND;
    return rc;
}

/* Writes the buffered rows, and with res the run's outcome, in one
 * transaction. On failure the transaction is rolled back and the error
 * made sticky. Empties the buffer either way. */
static enum iosim_err trace_commit_batch(struct sim_trace *tr, const struct sim_trace_result *res)
{
    assert(tr->buffering && tr->db != NULL);
    assert(tr->buf_rows <= tr->batch_rows);
    sqlite3 *sql = tr->db->sql;
    const char *what = "BEGIN";
    int rc = trace_step_once(tr->db->begin);
    if (rc == SQLITE_DONE)
        rc = trace_write_rows(tr, &what);
    if (rc == SQLITE_DONE && res != NULL) {
        what = "run";
        rc = trace_update_run(tr, res);
    }
    if (rc == SQLITE_DONE) {
        what = "COMMIT";
        rc = trace_step_once(tr->db->commit);
    }
    if (rc != SQLITE_DONE) {
        enum iosim_err e = rc == SQLITE_NOTFOUND ? IOSIM_ENOENT : trace_err_from_sqlite(rc);
        const char *why = rc == SQLITE_NOTFOUND ? "the run row is gone" : sqlite3_errmsg(sql);
        /* copies why before the rollback can overwrite it */
        trace_fail(tr, e, "trace run %lld: writing %s (batch from row %llu): %s",
                   (long long)tr->run_id, what, (unsigned long long)tr->buf_seq0, why);
        if (!sqlite3_get_autocommit(sql))
            (void)trace_step_once(tr->db->rollback);
        return e;
    }
    tr->buf_seq0 += tr->buf_rows;
    tr->buf_rows = 0;
    tr->words_used = 0;
    tr->text_used = 0;
    return IOSIM_OK;
}

/* ---- runs --------------------------------------------------------------- */

static enum iosim_err trace_insert_run(struct sim_trace *tr, const struct sim_trace_run_info *in)
{
    struct sim_trace_db *db = tr->db;
    sqlite3_stmt *st = db->run_insert;
    const char *text[] = {in->scenario, in->scenario_file, NULL, in->policy,
                          in->build_id ? in->build_id : IOSIM_BUILD_ID, in->command};
    int rc = SQLITE_OK;
    for (int i = 0; i < 6 && rc == SQLITE_OK; i++)
        rc = i == 2 ? sqlite3_bind_int64(st, 3, (int64_t)in->seed)
                    : trace_bind_str(st, i + 1, text[i], text[i] ? strlen(text[i]) : 0);
    if (rc == SQLITE_OK && (rc = trace_step_once(db->begin)) == SQLITE_DONE &&
        (rc = trace_step_once(st)) == SQLITE_DONE) {
        tr->run_id = sqlite3_last_insert_rowid(db->sql);
        rc = trace_step_once(db->commit);
    }
    (void)sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE)
        return IOSIM_OK;
    enum iosim_err e = trace_err_from_sqlite(rc);
    (void)snprintf(tr->err_msg, sizeof tr->err_msg, "trace: cannot insert the run row: %s",
                   sqlite3_errmsg(db->sql));
    if (!sqlite3_get_autocommit(db->sql))
        (void)trace_step_once(db->rollback);
    return e;
}

enum iosim_err sim_trace_init(struct sim_trace *tr, struct sim_trace_db *db,
                              const struct sim_trace_run_info *info)
{
    assert(tr != NULL);
    static const struct sim_trace_run_info no_info;
    memset(tr, 0, sizeof *tr);
    sim_trace_hasher_init(&tr->hash, 0);
    if (db == NULL) {
        tr->live = true;
        return IOSIM_OK;
    }
    tr->db = db;
    tr->batch_rows = db->batch_rows;
    tr->words_cap = db->batch_rows * trace_row_words_max();
    tr->words = malloc((size_t)tr->words_cap * sizeof *tr->words);
    enum iosim_err e = IOSIM_ENOMEM;
    if (tr->words == NULL)
        (void)snprintf(tr->err_msg, sizeof tr->err_msg, "trace: out of memory");
    else
        e = trace_insert_run(tr, info ? info : &no_info);
    if (e != IOSIM_OK) {
        free(tr->words);
        tr->words = NULL;
        tr->db = NULL;
        tr->err = e;
        return e;
    }
    db->runs_open++;
    tr->live = true;
    tr->buffering = true;
    assert(tr->run_id > 0);
    return IOSIM_OK;
}

static void trace_note_failure(struct sim_trace *tr)
{
    sqlite3_stmt *st = tr->db->run_note;
    char note[sizeof tr->err_msg + 32];
    (void)snprintf(note, sizeof note, "trace write failed: %s", tr->err_msg);
    if (sqlite3_bind_text(st, 1, note, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
        sqlite3_bind_int64(st, 2, tr->run_id) == SQLITE_OK)
        (void)trace_step_once(st);
    (void)sqlite3_clear_bindings(st);
}

enum iosim_err sim_trace_finish(struct sim_trace *tr, const struct sim_trace_result *res)
{
    assert(tr != NULL && tr->live);
    assert(!tr->finished && "finish once");
    assert(res != NULL);
    if (res->result == NULL || (strcmp(res->result, "pass") != 0 &&
                                strcmp(res->result, "fail") != 0 &&
                                strcmp(res->result, "error") != 0))
        return IOSIM_EINVAL;
    if (tr->db != NULL && tr->buffering)
        (void)trace_commit_batch(tr, res);
    if (tr->err != IOSIM_OK) {
        if (tr->db != NULL && tr->err != IOSIM_EBUSY)
            trace_note_failure(tr);
        return tr->err;
    }
    tr->finished = true;
    tr->buffering = false;
    return IOSIM_OK;
}

void sim_trace_fini(struct sim_trace *tr)
{
    assert(tr != NULL);
    if (!tr->live)
        return;
    if (tr->buffering && tr->buf_rows > 0)
        (void)trace_commit_batch(tr, NULL); /* abandoned: keep what we have */
    if (tr->db != NULL) {
        assert(tr->db->runs_open > 0);
        tr->db->runs_open--;
    }
    free(tr->words);
    free(tr->text);
    tr->words = NULL;
    tr->text = NULL;
    tr->buffering = false;
    tr->live = false;
}

/* ---- emit --------------------------------------------------------------- */

/* Starts a row: hashes its head and returns where its columns go in the
 * buffer, or NULL when rows are not buffered (no db, or a sticky error). */
static inline union sim_trace_word *trace_row_begin(struct sim_trace *tr, enum sim_trace_table t,
                                                    sim_time_ps t_ps)
{
    assert(tr->live && !tr->finished);
    trace_hash_row_head(&tr->hash, t, t_ps);
    if (!tr->buffering)
        return NULL;
    if (tr->buf_rows == tr->batch_rows || tr->text_used >= SIM_TRACE_TEXT_BYTES_SOFT_MAX)
        if (trace_commit_batch(tr, NULL) != IOSIM_OK)
            return NULL;
    assert(tr->words_used + trace_row_words[t] <= tr->words_cap);
    union sim_trace_word *w = tr->words + tr->words_used;
    w[0].u = (uint64_t)t;
    w[1].u = t_ps;
    return w + 2;
}

static inline void trace_row_end(struct sim_trace *tr, union sim_trace_word *w)
{
    tr->rows++;
    if (w == NULL || !tr->buffering)
        return;
    tr->words_used = (uint32_t)(w - tr->words);
    tr->buf_rows++;
    assert(tr->words_used <= tr->words_cap);
}

static inline void trace_put_INT(struct sim_trace *tr, union sim_trace_word **w, int64_t v)
{
    sim_trace_hasher_u64(&tr->hash, (uint64_t)v);
    if (*w != NULL)
        *(*w)++ = (union sim_trace_word){.i = v};
}

/* A string too long for SQLite's int lengths cannot be stored. */
static inline bool trace_str_storable(struct sim_trace *tr, size_t n)
{
    if (n <= (size_t)INT_MAX)
        return true;
    trace_fail(tr, IOSIM_EMSGSIZE, "trace run %lld: a %zu-byte string at row %llu",
               (long long)tr->run_id, n, (unsigned long long)tr->rows);
    return false;
}

static inline void trace_put_SYM(struct sim_trace *tr, union sim_trace_word **w, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    trace_hash_str(&tr->hash, s, n);
    if (*w == NULL)
        return;
    if (!trace_str_storable(tr, n)) {
        *w = NULL; /* the rest of the row is only hashed */
        return;
    }
    (*w)[0].s = s;
    (*w)[1].u = n;
    *w += 2;
}

static bool trace_text_reserve(struct sim_trace *tr, size_t n)
{
    if (tr->text_cap - tr->text_used >= n)
        return true;
    size_t cap = tr->text_cap ? tr->text_cap : 4096;
    while (cap - tr->text_used < n)
        cap *= 2;
    char *p = realloc(tr->text, cap);
    if (p == NULL) {
        trace_fail(tr, IOSIM_ENOMEM, "trace run %lld: out of memory for text at row %llu",
                   (long long)tr->run_id, (unsigned long long)tr->rows);
        return false;
    }
    tr->text = p;
    tr->text_cap = cap;
    return true;
}

static inline void trace_put_TEXT(struct sim_trace *tr, union sim_trace_word **w, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    trace_hash_str(&tr->hash, s, n);
    if (*w == NULL)
        return;
    if (!trace_str_storable(tr, n) || !trace_text_reserve(tr, n)) {
        *w = NULL; /* the rest of the row is only hashed */
        return;
    }
    (*w)[0].u = tr->text_used;
    (*w)[1].u = s != NULL ? n : TRACE_NULL_LEN;
    *w += 2;
    if (n == 0)
        return;
    memcpy(tr->text + tr->text_used, s, n);
    tr->text_used += n;
}

#define TRACE_PARAM(kind, col) , SIM_TRACE_CTYPE_##kind col
#define TRACE_PUT(kind, col) trace_put_##kind(tr, &w_, col);
#define TRACE_EMIT(table, ...)                                                           \
    void sim_trace_##table(struct sim_trace *tr,                                         \
                           sim_time_ps t_ps SIM_TRACE_EACH(TRACE_PARAM, __VA_ARGS__))    \
    {                                                                                    \
        union sim_trace_word *w_ = trace_row_begin(tr, SIM_TRACE_TABLE_##table, t_ps);  \
        SIM_TRACE_EACH(TRACE_PUT, __VA_ARGS__)                                           \
        trace_row_end(tr, w_);                                                           \
    }
SIM_TRACE_TABLES(TRACE_EMIT)

/* ---- accessors ---------------------------------------------------------- */

uint64_t sim_trace_hash(const struct sim_trace *tr)
{
    assert(tr != NULL);
    return sim_trace_hasher_digest(&tr->hash);
}

void sim_trace_hash_hex(const struct sim_trace *tr, char out[SIM_TRACE_HASH_HEX_LEN + 1])
{
    assert(tr != NULL && out != NULL);
    sim_trace_hash_format(sim_trace_hash(tr), out);
}

int64_t sim_trace_run_id(const struct sim_trace *tr)
{
    assert(tr != NULL);
    return tr->run_id;
}

uint64_t sim_trace_rows(const struct sim_trace *tr)
{
    assert(tr != NULL);
    return tr->rows;
}

enum iosim_err sim_trace_error(const struct sim_trace *tr, char *msg, size_t len)
{
    assert(tr != NULL);
    if (msg != NULL && len > 0)
        (void)snprintf(msg, len, "%s", tr->err == IOSIM_OK ? "" : tr->err_msg);
    return tr->err;
}
