/* Merging trace databases; see merge.h. */
#include "sim/cli/merge.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "impl/port/check.h"
#include "sim/cli/cli.h"

#define MERGE_COLS_MAX 64u
#define MERGE_NAME_MAX 64u
#define MERGE_SQL_MAX 16384u

/* A table's columns, in order. */
struct merge_cols {
    char name[MERGE_COLS_MAX][MERGE_NAME_MAX];
    char type[MERGE_COLS_MAX][16];
    uint32_t n;
};

/* What one table's row-by-row copy needs to know (the run and fuzz_run tables). */
struct merge_spec {
    const char *table;             /* "run" or "fuzz_run" */
    const char *id;                /* the key expression: "id" or "rowid" */
    bool id_is_col;                /* id is a column OUT assigns (left out of the insert) */
    const char *const *keys;       /* identity columns, NULL-terminated */
    const char *nulls_first;       /* rows with this column NULL are read first (if any) */
    const char *map;               /* the temp table recording old -> new ids */
    const char *const *remap_cols; /* columns remapped through remap_maps, NULL-terminated */
    const char *const *remap_maps;
};

static enum iosim_err merge_fail(sqlite3 *db, char *msg, size_t len, const char *what)
{
    snprintf(msg, len, "%s: %s", what, sqlite3_errmsg(db));
    return IOSIM_EIO;
}

/* Appends text, or an identifier in double quotes (quotes doubled). */
static void sql_add(char *buf, size_t *at, const char *text)
{
    size_t n = strlen(text);
    if (*at + n < MERGE_SQL_MAX) {
        memcpy(buf + *at, text, n + 1);
        *at += n;
    }
}

static void sql_ident(char *buf, size_t *at, const char *name)
{
    sql_add(buf, at, "\"");
    for (const char *p = name; *p != '\0'; p++)
        sql_add(buf, at, *p == '"' ? "\"\"" : (char[]){*p, '\0'});
    sql_add(buf, at, "\"");
}

static int merge_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* ---- checking an input ---------------------------------------------------------------- */

static enum iosim_err check_meta(sqlite3 *db, char *msg, size_t len)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        snprintf(msg, len, "not an iosim trace (%s)", sqlite3_errmsg(db));
        return IOSIM_EPROTO;
    }
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
                           NULL) != SQLITE_OK) {
        snprintf(msg, len, "not an iosim trace (no meta table)");
        return IOSIM_EPROTO;
    }
    enum iosim_err e = IOSIM_OK;
    const unsigned char *v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    if (v == NULL) {
        snprintf(msg, len, "not an iosim trace (no schema_version in meta)");
        e = IOSIM_EPROTO;
    } else if (strcmp((const char *)v, "1") != 0) {
        snprintf(msg, len, "trace schema version '%.32s'; this build reads version 1",
                 (const char *)v);
        e = IOSIM_EPROTO;
    }
    sqlite3_finalize(st);
    if (e == IOSIM_OK && sqlite3_prepare_v2(db, "SELECT id FROM run", -1, &st, NULL) != SQLITE_OK) {
        snprintf(msg, len, "not an iosim trace (no run table)");
        e = IOSIM_EPROTO;
    }
    sqlite3_finalize(st);
    return e;
}

enum iosim_err merge_check_input(const char *path, char *msg, size_t msg_len)
{
    ASSERT(path != NULL && msg != NULL);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(msg, msg_len, "no such file");
        return IOSIM_ENOENT;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(msg, msg_len, "not a regular file");
        return IOSIM_EPROTO;
    }
    sqlite3 *db = NULL;
    enum iosim_err e = IOSIM_OK;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(msg, msg_len, "cannot open: %s", db != NULL ? sqlite3_errmsg(db) : "no memory");
        e = IOSIM_EIO;
    } else {
        sqlite3_busy_timeout(db, 60000);
        e = check_meta(db, msg, msg_len);
    }
    sqlite3_close(db);
    return e;
}

/* ---- columns -------------------------------------------------------------------------- */

static enum iosim_err cols_of(sqlite3 *db, const char *schema, const char *table,
                              struct merge_cols *c)
{
    sqlite3_stmt *st = NULL;
    c->n = 0;
    if (sqlite3_prepare_v2(db, "SELECT name, type FROM pragma_table_info(?1, ?2) ORDER BY cid",
                           -1, &st, NULL) != SQLITE_OK)
        return IOSIM_EIO;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
    enum iosim_err e = IOSIM_OK;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 0);
        const unsigned char *type = sqlite3_column_text(st, 1);
        if (c->n == MERGE_COLS_MAX || name == NULL || strlen((const char *)name) >= MERGE_NAME_MAX) {
            e = IOSIM_EOVERFLOW;
            break;
        }
        snprintf(c->name[c->n], MERGE_NAME_MAX, "%s", (const char *)name);
        snprintf(c->type[c->n], sizeof c->type[0], "%s", type != NULL ? (const char *)type : "");
        c->n++;
    }
    sqlite3_finalize(st);
    return e;
}

static int col_index(const struct merge_cols *c, const char *name)
{
    for (uint32_t i = 0; i < c->n; i++)
        if (strcmp(c->name[i], name) == 0)
            return (int)i;
    return -1;
}

/* The type an added column gets: a plain SQLite type or none. */
static const char *plain_type(const char *type)
{
    static const char *const ok[] = {"INTEGER", "TEXT", "REAL", "BLOB"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(type, ok[i]) == 0)
            return ok[i];
    return "";
}

/* Gives OUT's table the columns the input's has and it lacks (a newer
 * program's file); *out_cols is OUT's column list afterwards. */
static enum iosim_err sync_cols(sqlite3 *db, const char *table, struct merge_cols *out_cols,
                                struct merge_cols *src_cols, char *msg, size_t len)
{
    if (cols_of(db, "src", table, src_cols) != IOSIM_OK ||
        cols_of(db, "main", table, out_cols) != IOSIM_OK) {
        snprintf(msg, len, "table %s: too many or too long columns", table);
        return IOSIM_EPROTO;
    }
    for (uint32_t i = 0; i < src_cols->n; i++) {
        if (col_index(out_cols, src_cols->name[i]) >= 0)
            continue;
        char sql[MERGE_SQL_MAX];
        size_t at = 0;
        sql[0] = '\0';
        sql_add(sql, &at, "ALTER TABLE main.");
        sql_ident(sql, &at, table);
        sql_add(sql, &at, " ADD COLUMN ");
        sql_ident(sql, &at, src_cols->name[i]);
        sql_add(sql, &at, " ");
        sql_add(sql, &at, plain_type(src_cols->type[i]));
        if (merge_exec(db, sql) != SQLITE_OK)
            return merge_fail(db, msg, len, table);
    }
    return cols_of(db, "main", table, out_cols) == IOSIM_OK ? IOSIM_OK : IOSIM_EPROTO;
}

/* ", src.c" for each of OUT's columns the input has, ", NULL" for the rest
 * (skip: a column left out, or NULL). */
static void select_list(char *sql, size_t *at, const struct merge_cols *out,
                        const struct merge_cols *src, const char *skip, const char *alias)
{
    for (uint32_t i = 0; i < out->n; i++) {
        if (skip != NULL && strcmp(out->name[i], skip) == 0)
            continue;
        sql_add(sql, at, ", ");
        if (col_index(src, out->name[i]) >= 0) {
            sql_add(sql, at, alias);
            sql_ident(sql, at, out->name[i]);
        } else
            sql_add(sql, at, "NULL");
    }
}

/* ---- run and fuzz_run: row by row, with identity ------------------------------------------ */

/* The statements of one table's copy. cols: OUT's columns but the id. */
struct merge_job {
    const struct merge_spec *spec;
    struct merge_cols cols;
    int key_at[8];          /* position in cols of each identity column, -1 if absent */
    int remap_at[4];        /* position in cols of each remapped column, -1 if absent */
    sqlite3_stmt *sel, *find, *ins, *map, *remap[4];
    int64_t pre_max;        /* OUT's largest id before this input */
};

static void job_finalize(struct merge_job *j)
{
    sqlite3_finalize(j->sel);
    sqlite3_finalize(j->find);
    sqlite3_finalize(j->ins);
    sqlite3_finalize(j->map);
    for (size_t i = 0; i < 4; i++)
        sqlite3_finalize(j->remap[i]);
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v2(db, sql, -1, st, NULL);
}

/* SELECT id, cols... FROM src.T ORDER BY ...; INSERT INTO main.T(cols...). */
static int prepare_copy(sqlite3 *db, struct merge_job *j, const struct merge_cols *src)
{
    char sel[MERGE_SQL_MAX], ins[MERGE_SQL_MAX];
    size_t a = 0, b = 0;
    sel[0] = ins[0] = '\0';
    sql_add(sel, &a, "SELECT ");
    sql_add(sel, &a, j->spec->id);
    select_list(sel, &a, &j->cols, src, NULL, "");
    sql_add(sel, &a, " FROM src.");
    sql_ident(sel, &a, j->spec->table);
    sql_add(sel, &a, " ORDER BY ");
    if (j->spec->nulls_first != NULL && col_index(src, j->spec->nulls_first) >= 0) {
        sql_ident(sel, &a, j->spec->nulls_first);
        sql_add(sel, &a, " IS NOT NULL, ");
    }
    sql_add(sel, &a, j->spec->id);
    sql_add(ins, &b, "INSERT INTO main.");
    sql_ident(ins, &b, j->spec->table);
    for (uint32_t i = 0; i < j->cols.n; i++) {
        sql_add(ins, &b, i == 0 ? "(" : ", ");
        sql_ident(ins, &b, j->cols.name[i]);
    }
    sql_add(ins, &b, ") VALUES(");
    for (uint32_t i = 0; i < j->cols.n; i++)
        sql_add(ins, &b, i == 0 ? "?" : ", ?");
    sql_add(ins, &b, ")");
    int rc = prepare(db, sel, &j->sel);
    return rc == SQLITE_OK ? prepare(db, ins, &j->ins) : rc;
}

/* SELECT id FROM main.T WHERE id <= ?1 AND k IS ? ... LIMIT 1. */
static int prepare_find(sqlite3 *db, struct merge_job *j)
{
    char sql[MERGE_SQL_MAX];
    size_t at = 0;
    sql[0] = '\0';
    sql_add(sql, &at, "SELECT ");
    sql_add(sql, &at, j->spec->id);
    sql_add(sql, &at, " FROM main.");
    sql_ident(sql, &at, j->spec->table);
    sql_add(sql, &at, " WHERE ");
    sql_add(sql, &at, j->spec->id);
    sql_add(sql, &at, " <= ?");
    for (uint32_t k = 0; j->spec->keys[k] != NULL; k++) {
        sql_add(sql, &at, " AND ");
        sql_ident(sql, &at, j->spec->keys[k]);
        sql_add(sql, &at, " IS ?");
    }
    sql_add(sql, &at, " LIMIT 1");
    return prepare(db, sql, &j->find);
}

static int prepare_maps(sqlite3 *db, struct merge_job *j)
{
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO temp.%s(old, new) VALUES(?, ?)", j->spec->map);
    int rc = prepare(db, sql, &j->map);
    for (uint32_t r = 0; rc == SQLITE_OK && j->spec->remap_cols[r] != NULL; r++) {
        snprintf(sql, sizeof sql, "SELECT new FROM temp.%s WHERE old = ?", j->spec->remap_maps[r]);
        rc = prepare(db, sql, &j->remap[r]);
    }
    return rc;
}

static int64_t max_id(sqlite3 *db, const struct merge_spec *spec)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT coalesce(max(%s), 0) FROM main.%s", spec->id, spec->table);
    sqlite3_stmt *st = NULL;
    int64_t v = 0;
    if (prepare(db, sql, &st) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static enum iosim_err job_init(sqlite3 *db, struct merge_job *j, const struct merge_spec *spec,
                               const struct merge_cols *out, const struct merge_cols *src)
{
    memset(j, 0, sizeof *j);
    j->spec = spec;
    for (uint32_t i = 0; i < out->n; i++) {
        if (spec->id_is_col && strcmp(out->name[i], spec->id) == 0)
            continue;
        memcpy(j->cols.name[j->cols.n], out->name[i], MERGE_NAME_MAX);
        j->cols.n++;
    }
    uint32_t k = 0, r = 0;
    for (; k < 8 && spec->keys[k] != NULL; k++)
        j->key_at[k] = col_index(&j->cols, spec->keys[k]);
    for (; r < 4 && spec->remap_cols[r] != NULL; r++)
        j->remap_at[r] = col_index(&j->cols, spec->remap_cols[r]);
    ASSERT(spec->keys[k] == NULL && "at most 8 identity columns");
    ASSERT(spec->remap_cols[r] == NULL && "at most 4 remapped columns");
    j->pre_max = max_id(db, spec);
    int rc = prepare_copy(db, j, src);
    if (rc == SQLITE_OK)
        rc = prepare_find(db, j);
    if (rc == SQLITE_OK)
        rc = prepare_maps(db, j);
    return rc == SQLITE_OK ? IOSIM_OK : IOSIM_EIO;
}

/* Binds column i of the current input row (remapped when it is one of the
 * remapped columns) as parameter p of st. */
static void bind_col(struct merge_job *j, sqlite3_stmt *st, int p, uint32_t i)
{
    sqlite3_value *v = sqlite3_column_value(j->sel, (int)i + 1);
    for (uint32_t r = 0; j->spec->remap_cols[r] != NULL; r++) {
        if (j->remap_at[r] != (int)i)
            continue;
        if (sqlite3_value_type(v) == SQLITE_NULL) {
            sqlite3_bind_null(st, p);
            return;
        }
        sqlite3_stmt *m = j->remap[r];
        sqlite3_reset(m);
        sqlite3_bind_value(m, 1, v);
        if (sqlite3_step(m) == SQLITE_ROW)
            sqlite3_bind_int64(st, p, sqlite3_column_int64(m, 0));
        else
            sqlite3_bind_null(st, p); /* what it named is not in the input */
        return;
    }
    sqlite3_bind_value(st, p, v);
}

/* The id OUT already has for the current input row, or 0. */
static int64_t job_find(struct merge_job *j)
{
    sqlite3_reset(j->find);
    sqlite3_clear_bindings(j->find);
    sqlite3_bind_int64(j->find, 1, j->pre_max);
    for (uint32_t k = 0; j->spec->keys[k] != NULL; k++) {
        if (j->key_at[k] >= 0)
            bind_col(j, j->find, (int)k + 2, (uint32_t)j->key_at[k]);
        else
            sqlite3_bind_null(j->find, (int)k + 2);
    }
    return sqlite3_step(j->find) == SQLITE_ROW ? sqlite3_column_int64(j->find, 0) : 0;
}

static int job_insert(sqlite3 *db, struct merge_job *j, int64_t *new_id)
{
    sqlite3_reset(j->ins);
    for (uint32_t i = 0; i < j->cols.n; i++)
        bind_col(j, j->ins, (int)i + 1, i);
    int rc = sqlite3_step(j->ins);
    *new_id = sqlite3_last_insert_rowid(db);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int job_map(struct merge_job *j, int64_t old_id, int64_t new_id)
{
    sqlite3_reset(j->map);
    sqlite3_bind_int64(j->map, 1, old_id);
    sqlite3_bind_int64(j->map, 2, new_id);
    int rc = sqlite3_step(j->map);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Copies the input's rows of spec->table that OUT does not have yet. */
static enum iosim_err copy_table(sqlite3 *db, const struct merge_spec *spec, uint64_t *copied,
                                 uint64_t *known, char *msg, size_t len)
{
    struct merge_cols out, src;
    enum iosim_err e = sync_cols(db, spec->table, &out, &src, msg, len);
    if (e != IOSIM_OK)
        return e;
    static struct merge_job j; /* large; one copy at a time */
    if (job_init(db, &j, spec, &out, &src) != IOSIM_OK) {
        e = merge_fail(db, msg, len, spec->table);
        job_finalize(&j);
        return e;
    }
    int rc = SQLITE_OK;
    while (rc == SQLITE_OK && (rc = sqlite3_step(j.sel)) == SQLITE_ROW) {
        int64_t old_id = sqlite3_column_int64(j.sel, 0), new_id = job_find(&j);
        rc = SQLITE_OK;
        if (new_id != 0)
            (*known)++;
        else if ((rc = job_insert(db, &j, &new_id)) == SQLITE_OK)
            (*copied)++;
        if (rc == SQLITE_OK)
            rc = job_map(&j, old_id, new_id);
    }
    if (rc != SQLITE_DONE)
        e = merge_fail(db, msg, len, spec->table);
    job_finalize(&j);
    return e;
}

/* ---- row tables: set-based -------------------------------------------------------------- */

/* Creates the input's table in OUT when OUT has none of that name (a table
 * registered by a program this one does not know), from its own statement. */
static enum iosim_err ensure_table(sqlite3 *db, const char *table, char *msg, size_t len)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(db, "SELECT (SELECT count(*) FROM main.sqlite_master WHERE type = 'table'"
                         " AND name = ?1), (SELECT sql FROM src.sqlite_master WHERE type = 'table'"
                         " AND name = ?1)", &st);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_ROW ? SQLITE_OK : SQLITE_ERROR;
    }
    if (rc == SQLITE_OK && sqlite3_column_int64(st, 0) == 0) {
        const char *create = (const char *)sqlite3_column_text(st, 1);
        rc = create != NULL && strncmp(create, "CREATE TABLE ", 13) == 0 ? merge_exec(db, create)
                                                                         : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? IOSIM_OK : merge_fail(db, msg, len, table);
}

/* INSERT INTO main.T(run_id, cols...) SELECT m.new, s.cols... for the runs
 * copied by this input (new id above runs_pre_max), in (run_id, seq) order. */
static enum iosim_err copy_rows(sqlite3 *db, const char *table, int64_t runs_pre_max, char *msg,
                                size_t len)
{
    struct merge_cols out, src;
    enum iosim_err e = ensure_table(db, table, msg, len);
    if (e == IOSIM_OK)
        e = sync_cols(db, table, &out, &src, msg, len);
    if (e != IOSIM_OK)
        return e;
    char sql[MERGE_SQL_MAX], pre[32];
    size_t at = 0;
    sql[0] = '\0';
    sql_add(sql, &at, "INSERT INTO main.");
    sql_ident(sql, &at, table);
    sql_add(sql, &at, "(run_id");
    for (uint32_t i = 0; i < out.n; i++)
        if (strcmp(out.name[i], "run_id") != 0) {
            sql_add(sql, &at, ", ");
            sql_ident(sql, &at, out.name[i]);
        }
    sql_add(sql, &at, ") SELECT m.new");
    select_list(sql, &at, &out, &src, "run_id", "s.");
    sql_add(sql, &at, " FROM src.");
    sql_ident(sql, &at, table);
    snprintf(pre, sizeof pre, "%lld", (long long)runs_pre_max);
    sql_add(sql, &at, " s JOIN temp.merge_run_map m ON m.old = s.run_id WHERE m.new > ");
    sql_add(sql, &at, pre);
    sql_add(sql, &at, " ORDER BY s.run_id, s.seq");
    return merge_exec(db, sql) == SQLITE_OK ? IOSIM_OK : merge_fail(db, msg, len, table);
}

/* The input's row tables: every table with run_id and seq columns but run,
 * meta and fuzz_run, by name. */
static enum iosim_err copy_row_tables(sqlite3 *db, int64_t runs_pre_max, char *msg, size_t len)
{
    sqlite3_stmt *st = NULL;
    if (prepare(db, "SELECT t.name FROM src.sqlite_master t WHERE t.type = 'table' AND t.name"
                    " NOT IN ('meta', 'run', 'fuzz_run') AND t.name NOT LIKE 'sqlite\\_%'"
                    " ESCAPE '\\' AND (SELECT count(*) FROM pragma_table_info(t.name, 'src') p"
                    " WHERE p.name IN ('run_id', 'seq')) = 2 ORDER BY t.name", &st) != SQLITE_OK)
        return merge_fail(db, msg, len, "listing the tables");
    enum iosim_err e = IOSIM_OK;
    while (e == IOSIM_OK && sqlite3_step(st) == SQLITE_ROW) {
        char name[MERGE_NAME_MAX];
        snprintf(name, sizeof name, "%s", (const char *)sqlite3_column_text(st, 0));
        e = copy_rows(db, name, runs_pre_max, msg, len);
    }
    sqlite3_finalize(st);
    return e;
}

/* ---- one input ------------------------------------------------------------------------- */

static const char *const run_keys[] = {"scenario", "seed", "policy", "status", "result",
                                       "trace_hash", "rows", NULL};
static const char *const no_cols[] = {NULL};
static const struct merge_spec run_spec = {
    .table = "run", .id = "id", .id_is_col = true, .keys = run_keys,
    .map = "merge_run_map", .remap_cols = no_cols, .remap_maps = no_cols};

static const char *const fuzz_keys[] = {"campaign", "idx", "scenario", "seed", "policy",
                                        "repro", "shrunk_from", NULL};
static const char *const fuzz_remap_cols[] = {"run_id", "shrunk_from", NULL};
static const char *const fuzz_remap_maps[] = {"merge_run_map", "merge_fuzz_map", NULL};
static const struct merge_spec fuzz_spec = {
    .table = "fuzz_run", .id = "rowid", .id_is_col = false, .keys = fuzz_keys,
    .nulls_first = "shrunk_from", .map = "merge_fuzz_map",
    .remap_cols = fuzz_remap_cols, .remap_maps = fuzz_remap_maps};

static bool src_has_table(sqlite3 *db, const char *table)
{
    sqlite3_stmt *st = NULL;
    bool has = false;
    if (prepare(db, "SELECT 1 FROM src.sqlite_master WHERE type = 'table' AND name = ?1",
                &st) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
        has = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return has;
}

static enum iosim_err merge_fuzz(sqlite3 *db, struct merge_counts *c, char *msg, size_t len)
{
    if (!src_has_table(db, "fuzz_run"))
        return IOSIM_OK;
    if (merge_exec(db, CLI_FUZZ_TABLE_SQL) != SQLITE_OK ||
        merge_exec(db, "CREATE INDEX IF NOT EXISTS main.fuzz_run_key ON fuzz_run(campaign, idx)")
            != SQLITE_OK)
        return merge_fail(db, msg, len, "fuzz_run");
    return copy_table(db, &fuzz_spec, &c->fuzz_copied, &c->fuzz_known, msg, len);
}

/* Everything of one attached input, inside the caller's transaction. */
static enum iosim_err merge_attached(sqlite3 *db, struct merge_counts *c, char *msg, size_t len)
{
    if (merge_exec(db, "CREATE TEMP TABLE IF NOT EXISTS merge_run_map(old INTEGER PRIMARY KEY,"
                       " new INTEGER); CREATE TEMP TABLE IF NOT EXISTS merge_fuzz_map(old INTEGER"
                       " PRIMARY KEY, new INTEGER); DELETE FROM merge_run_map;"
                       " DELETE FROM merge_fuzz_map") != SQLITE_OK)
        return merge_fail(db, msg, len, "temporary tables");
    int64_t runs_pre_max = max_id(db, &run_spec);
    enum iosim_err e = copy_table(db, &run_spec, &c->runs_copied, &c->runs_known, msg, len);
    if (e == IOSIM_OK)
        e = copy_row_tables(db, runs_pre_max, msg, len);
    if (e == IOSIM_OK)
        e = merge_fuzz(db, c, msg, len);
    return e;
}

/* Whether path is OUT's own file: everything in it is there already. */
static bool same_file(sqlite3 *db, const char *path)
{
    const char *main_path = sqlite3_db_filename(db, "main");
    struct stat a, b;
    return main_path != NULL && stat(main_path, &a) == 0 && stat(path, &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

enum iosim_err merge_input(sqlite3 *db, const char *path, struct merge_counts *out, char *msg,
                           size_t msg_len)
{
    ASSERT(db != NULL && path != NULL && out != NULL);
    ASSERT(sqlite3_get_autocommit(db));
    memset(out, 0, sizeof *out);
    enum iosim_err e = merge_check_input(path, msg, msg_len);
    if (e != IOSIM_OK || (out->self = same_file(db, path)))
        return e;
    sqlite3_stmt *st = NULL;
    int rc = prepare(db, "ATTACH DATABASE ?1 AS src", &st);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return merge_fail(db, msg, msg_len, "cannot attach");
    if (merge_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK)
        e = merge_fail(db, msg, msg_len, "cannot lock the output");
    else if ((e = merge_attached(db, out, msg, msg_len)) == IOSIM_OK &&
             merge_exec(db, "COMMIT") != SQLITE_OK)
        e = merge_fail(db, msg, msg_len, "commit");
    if (e != IOSIM_OK) {
        (void)merge_exec(db, "ROLLBACK");
        memset(out, 0, sizeof *out);
    }
    (void)merge_exec(db, "DETACH DATABASE src");
    return e;
}
