/*
 * trace_schema.c - schema v1 from the table descriptions (core and
 * registered, sim/trace/trace_table.c): INSERT and SELECT statements, the
 * checks an existing file must pass, its creation (and that of the tables it
 * lacks), and the (run_id, seq) indexes. A file may hold tables this
 * process does not know (registered by another program): they are left
 * alone.
 *
 * Physical layout: row tables are plain rowid tables with no key, so a
 * write appends to the end of each table's b-tree and nothing else; the
 * (run_id, seq) indexes are built once, after writing (trace_schema_index).
 * Files written before this layout (WITHOUT ROWID, primary key (run_id,
 * seq)) are still schema v1 and are written the same way.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/trace/trace.h"
#include "sim/trace/trace_internal.h"

#ifndef IOSIM_BUILD_ID
#define IOSIM_BUILD_ID "unknown"
#endif

#define TRACE_STR_(x) #x
#define TRACE_STR(x) TRACE_STR_(x)

/* New files get these; existing files keep theirs. */
#define TRACE_PAGE_SIZE_BYTES 16384
/* Per connection: ample for the right-hand edges of every table. */
#define TRACE_CACHE_KIB 65536

#define TRACE_META_SQL "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)"
#define TRACE_RUN_SQL                                                                      \
    "CREATE TABLE IF NOT EXISTS run(id INTEGER PRIMARY KEY, scenario TEXT,"               \
    " scenario_file TEXT, seed INTEGER, policy TEXT, build_id TEXT, command TEXT,"        \
    " status TEXT NOT NULL DEFAULT 'incomplete' CHECK(status IN ('incomplete','complete')),"  \
    " result TEXT CHECK(result IN ('pass','fail','error')), trace_hash TEXT,"              \
    " end_time_ps INTEGER, rows INTEGER, expectations_passed INTEGER,"                    \
    " expectations_failed INTEGER, message TEXT, clauses TEXT)"

/* ---- errors ------------------------------------------------------------- */

enum iosim_err trace_err_from_sqlite(int rc)
{
    ASSERT(rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW);
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

void trace_msg(char *msg, size_t len, const char *fmt, ...)
{
    if (msg == NULL || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, len, fmt, ap);
    va_end(ap);
}

/* ---- statements ---------------------------------------------------------- */

/* The table's own columns, each after a comma, as identifiers. */
static void trace_append_cols(char *buf, size_t len, size_t *at,
                              const struct sim_trace_table_info *ti)
{
    for (uint32_t c = 0; c < ti->ncols; c++) {
        trace_sql_append(buf, len, at, ",");
        trace_sql_ident(buf, len, at, ti->col_names[c]);
    }
}

void trace_schema_insert_sql(uint32_t t, uint32_t rows, char *buf, size_t len)
{
    ASSERT(rows > 0 && buf != NULL && len > 0);
    const struct sim_trace_table_info *ti = sim_trace_table_info(t); /* t is asserted there */
    size_t at = 0;
    buf[0] = '\0';
    trace_sql_append(buf, len, &at, "INSERT INTO ");
    trace_sql_ident(buf, len, &at, ti->name);
    trace_sql_append(buf, len, &at, "(run_id,seq,t_ps");
    trace_append_cols(buf, len, &at, ti);
    trace_sql_append(buf, len, &at, ") VALUES");
    for (uint32_t r = 0; r < rows; r++) {
        trace_sql_append(buf, len, &at, r > 0 ? ",(?,?,?" : "(?,?,?");
        for (uint32_t c = 0; c < ti->ncols; c++)
            trace_sql_append(buf, len, &at, ",?");
        trace_sql_append(buf, len, &at, ")");
    }
    ASSERT(at < len && "the buffer holds the statement");
}

void trace_schema_select_sql(uint32_t t, char *buf, size_t len)
{
    ASSERT(buf != NULL && len > 0);
    const struct sim_trace_table_info *ti = sim_trace_table_info(t); /* t is asserted there */
    size_t at = 0;
    buf[0] = '\0';
    trace_sql_append(buf, len, &at, "SELECT seq,t_ps");
    trace_append_cols(buf, len, &at, ti);
    trace_sql_append(buf, len, &at, " FROM ");
    trace_sql_ident(buf, len, &at, ti->name);
    trace_sql_append(buf, len, &at, " WHERE run_id = ?1 ORDER BY seq");
    ASSERT(at < len && "the buffer holds the statement");
}

/* ---- checking and creating a file ---------------------------------------- */

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
    _Static_assert(SIM_TRACE_SCHEMA_VERSION == 1, "update the version string above");
    return e;
}

/* run.clauses came after files of version 1 were written: a file without
 * it gains it (NULL for its runs). Inside the caller's transaction. */
static int trace_schema_add_clauses(sqlite3 *sql)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(sql, "SELECT count(*) FROM pragma_table_info('run')"
                                     " WHERE name = 'clauses'", -1, &st, NULL);
    bool has = true;
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        has = sqlite3_column_int64(st, 0) > 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_OK && !has)
        rc = trace_exec(sql, "ALTER TABLE run ADD COLUMN clauses TEXT");
    return rc;
}

/* Creates what is missing: everything in a fresh file; in an existing one,
 * tables added to the list since it was written and registered tables it
 * lacks. Inside the caller's transaction. */
static int trace_schema_create(sqlite3 *sql, bool fresh)
{
    int rc = trace_exec(sql, TRACE_META_SQL);
    if (rc == SQLITE_OK)
        rc = trace_exec(sql, TRACE_RUN_SQL);
    for (uint32_t t = 0; rc == SQLITE_OK && t < sim_trace_table_count(); t++)
        rc = trace_exec(sql, sim_trace_table_info(t)->create_sql);
    if (rc == SQLITE_OK && !fresh)
        rc = trace_schema_add_clauses(sql);
    if (rc == SQLITE_OK && fresh)
        rc = trace_exec(sql, "INSERT INTO meta(key, value) VALUES ('schema_version', '1'),"
                             " ('created_by', 'iosim " IOSIM_BUILD_ID "')");
    return rc;
}

/* Every row table takes the INSERT the store will use (a table of an
 * older layout with other columns fails here, naming the table). */
static enum iosim_err trace_schema_check_columns(sqlite3 *sql, const char *path, char *msg,
                                                 size_t msg_len)
{
    static const char run_sql[] =
        "UPDATE run SET status = 'complete', result = ?1, trace_hash = ?2,"
        " end_time_ps = ?3, rows = ?4, expectations_passed = ?5,"
        " expectations_failed = ?6, message = ?7 WHERE id = ?8";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(sql, run_sql, -1, &st, NULL);
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        trace_msg(msg, msg_len, "%s: table run does not match schema v1: %s", path,
                  sqlite3_errmsg(sql));
        return IOSIM_EPROTO;
    }
    for (uint32_t t = 0; t < sim_trace_table_count(); t++) {
        char q[TRACE_SQL_MAX];
        trace_schema_insert_sql(t, 1, q, sizeof q);
        rc = sqlite3_prepare_v2(sql, q, -1, &st, NULL);
        sqlite3_finalize(st);
        if (rc != SQLITE_OK) {
            trace_msg(msg, msg_len, "%s: table %s does not match schema v1: %s", path,
                      sim_trace_table_info(t)->name, sqlite3_errmsg(sql));
            return IOSIM_EPROTO;
        }
    }
    return IOSIM_OK;
}

/* Switching a file to WAL needs it exclusively for a moment, and SQLite
 * reports SQLITE_BUSY at once (no busy handler) when another process
 * opening the same new file holds it: retry for the busy timeout. */
static int trace_set_wal(sqlite3 *sql, uint32_t busy_timeout_ms)
{
    enum { PAUSE_MS = 5 };
    int rc = SQLITE_BUSY;
    for (uint32_t waited_ms = 0;; waited_ms += PAUSE_MS) {
        rc = trace_exec(sql, "PRAGMA journal_mode=WAL");
        if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= busy_timeout_ms)
            break;
        (void)sqlite3_sleep(PAUSE_MS);
    }
    ASSERT(rc != SQLITE_ROW);
    return rc;
}

int trace_schema_pragmas(sqlite3 *sql, uint32_t busy_timeout_ms)
{
    ASSERT(sql != NULL);
    ASSERT(busy_timeout_ms <= INT_MAX);
    sqlite3_extended_result_codes(sql, 1);
    sqlite3_busy_timeout(sql, (int)busy_timeout_ms);
    int rc = trace_exec(sql, "PRAGMA synchronous=NORMAL");
    if (rc == SQLITE_OK)
        rc = trace_exec(sql, "PRAGMA cache_size=-" TRACE_STR(TRACE_CACHE_KIB));
    return rc;
}

/* Looks before touching: a foreign file is refused before anything (even
 * its journal mode or page size) is changed. Then, under the write lock,
 * checks again and creates what is missing, so two processes opening one
 * new file at once do not both create it. */
static enum iosim_err trace_schema_setup(sqlite3 *sql, const char *path, uint32_t busy_ms,
                                         char *msg, size_t msg_len)
{
    bool fresh = false;
    sqlite3_extended_result_codes(sql, 1);
    sqlite3_busy_timeout(sql, (int)busy_ms); /* another process may be creating it */
    enum iosim_err e = trace_schema_check(sql, path, &fresh, msg, msg_len);
    if (e != IOSIM_OK)
        return e;
    int rc = trace_schema_pragmas(sql, busy_ms);
    if (rc == SQLITE_OK) /* takes effect only while the file is still empty */
        rc = trace_exec(sql, "PRAGMA page_size=" TRACE_STR(TRACE_PAGE_SIZE_BYTES));
    if (rc == SQLITE_OK)
        rc = trace_set_wal(sql, busy_ms);
    if (rc == SQLITE_OK)
        rc = trace_exec(sql, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK) {
        trace_msg(msg, msg_len, "%s: %s", path, sqlite3_errmsg(sql));
        return trace_err_from_sqlite(rc);
    }
    e = trace_schema_check(sql, path, &fresh, msg, msg_len);
    if (e == IOSIM_OK && (rc = trace_schema_create(sql, fresh)) != SQLITE_OK) {
        trace_msg(msg, msg_len, "%s: cannot create the schema: %s", path, sqlite3_errmsg(sql));
        e = trace_err_from_sqlite(rc);
    }
    if (e == IOSIM_OK && (rc = trace_exec(sql, "COMMIT")) != SQLITE_OK) {
        trace_msg(msg, msg_len, "%s: %s", path, sqlite3_errmsg(sql));
        e = trace_err_from_sqlite(rc);
    }
    if (e != IOSIM_OK) {
        (void)trace_exec(sql, "ROLLBACK");
        return e;
    }
    return trace_schema_check_columns(sql, path, msg, msg_len);
}

enum iosim_err trace_schema_open(const char *path, uint32_t busy_timeout_ms, sqlite3 **out,
                                 char *msg, size_t msg_len)
{
    ASSERT(path != NULL && out != NULL);
    ASSERT(busy_timeout_ms <= INT_MAX);
    *out = NULL;
    sqlite3 *sql = NULL;
    int rc = sqlite3_open_v2(path, &sql,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    enum iosim_err e;
    if (rc != SQLITE_OK) {
        trace_msg(msg, msg_len, "%s: cannot open: %s", path,
                  sql ? sqlite3_errmsg(sql) : sqlite3_errstr(rc));
        e = trace_err_from_sqlite(rc);
    } else {
        e = trace_schema_setup(sql, path, busy_timeout_ms, msg, msg_len);
    }
    if (e != IOSIM_OK) {
        sqlite3_close(sql);
        return e;
    }
    *out = sql;
    return IOSIM_OK;
}

/* ---- indexes ------------------------------------------------------------- */

/* Whether table t already leads with (run_id, seq) in some key: the primary
 * key of the WITHOUT ROWID layout, or the index made here. */
static int trace_has_run_key(sqlite3 *sql, uint32_t t, bool *has)
{
    static const char q[] =
        "SELECT count(*) FROM pragma_index_list(?1) l"
        " WHERE (SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info(l.name)"
        " ORDER BY seqno)) = 'run_id,seq'";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(sql, q, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(st, 1, sim_trace_table_info(t)->name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *has = sqlite3_column_int64(st, 0) > 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

int trace_schema_index(sqlite3 *sql, const char **what)
{
    ASSERT(sql != NULL && what != NULL);
    ASSERT(sqlite3_get_autocommit(sql));
    *what = "BEGIN";
    int rc = trace_exec(sql, "BEGIN IMMEDIATE");
    for (uint32_t t = 0; rc == SQLITE_OK && t < sim_trace_table_count(); t++) {
        bool has = false;
        const char *name = sim_trace_table_info(t)->name;
        *what = name;
        rc = trace_has_run_key(sql, t, &has);
        if (rc != SQLITE_OK || has)
            continue;
        char q[64 + 2 * SIM_TRACE_NAME_MAX];
        size_t at = 0; /* CREATE INDEX IF NOT EXISTS "<table>_run" ON "<table>"(run_id, seq) */
        trace_sql_append(q, sizeof q, &at, "CREATE INDEX IF NOT EXISTS \"");
        trace_sql_append(q, sizeof q, &at, name);
        trace_sql_append(q, sizeof q, &at, "_run\" ON ");
        trace_sql_ident(q, sizeof q, &at, name);
        trace_sql_append(q, sizeof q, &at, "(run_id, seq)");
        ASSERT(at < sizeof q && "names are at most SIM_TRACE_NAME_MAX bytes");
        rc = trace_exec(sql, q);
    }
    if (rc == SQLITE_OK) {
        *what = "COMMIT";
        rc = trace_exec(sql, "COMMIT");
    }
    if (rc != SQLITE_OK && !sqlite3_get_autocommit(sql))
        (void)trace_exec(sql, "ROLLBACK");
    return rc;
}
