/*
 * trace_store.c - one SQLite connection writing encoded rows.
 *
 * Rows arrive encoded (sim/trace/trace_internal.h), in seq order per run, of
 * any table this process knows (core or registered). Each row is copied
 * into its table's stage; when a stage holds
 * TRACE_GROUP_ROWS rows they go in with one multi-row INSERT, which costs
 * much less per row than one statement per row. Before a commit, what is
 * left in the stages goes in one row at a time. So every commit holds all
 * rows received so far: a run's committed rows are always a prefix of its
 * trace, with no gaps.
 *
 * Transactions are shared by the runs of the store: rows go into the open
 * transaction (BEGIN IMMEDIATE when the first arrives), which is committed
 * when it holds a run's batch of rows and another row comes, when the
 * caller says so, and by finish together with the run's outcome. A failed
 * statement rolls the transaction back and fails every run that had rows
 * in it (sticky; the run row's message says why unless the file was busy).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/trace/trace.h"
#include "sim/trace/trace_internal.h"

/* Rows per multi-row INSERT. */
#define TRACE_GROUP_ROWS 16u
/* Bytes of a staged row before the encoded row: run_id, seq. */
#define TRACE_STAGE_HEAD 16u

_Static_assert(TRACE_GROUP_ROWS * (3 + 24) < 32766, "within SQLite's parameter limit");

/* Rows of one table waiting to fill a group: [run_id][seq][encoded row]... */
struct trace_stage {
    unsigned char *buf;
    size_t used, cap;
    uint32_t rows;
};

/* A run known to the store. Invariant: in_txn implies the store's
 * transaction is open; failed runs take no more rows. */
struct trace_store_run {
    int64_t run_id;
    uint64_t next_seq; /* rows received */
    uint32_t batch_rows;
    bool in_txn;       /* has rows in the open transaction */
    bool failed;
    bool reported;     /* handed out by trace_store_next_failure */
    enum iosim_err err;
    char msg[200];
};

struct trace_store {
    sqlite3 *sql;
    sqlite3_stmt *ins1[SIM_TRACE_TABLES_MAX]; /* one row; prepared when first needed */
    sqlite3_stmt *insn[SIM_TRACE_TABLES_MAX]; /* TRACE_GROUP_ROWS rows */
    sqlite3_stmt *begin, *commit, *rollback, *run_insert, *run_finish, *run_note;
    struct trace_stage stage[SIM_TRACE_TABLES_MAX]; /* [t] for t < sim_trace_table_count() */
    bool txn_open;
    uint32_t txn_rows;
    struct trace_store_run *runs; /* unordered */
    uint32_t nruns, runs_cap;
};

/* ---- set-up ---------------------------------------------------------------- */

static int store_prepare_fixed(struct trace_store *st)
{
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } fixed[] = {
        {&st->begin, "BEGIN IMMEDIATE"},
        {&st->commit, "COMMIT"},
        {&st->rollback, "ROLLBACK"},
        {&st->run_insert, "INSERT INTO run(scenario, scenario_file, seed, policy, build_id,"
                          " command, clauses, status) VALUES (?,?,?,?,?,?,?,'incomplete')"},
        {&st->run_finish, "UPDATE run SET status = 'complete', result = ?1, trace_hash = ?2,"
                          " end_time_ps = ?3, rows = ?4, expectations_passed = ?5,"
                          " expectations_failed = ?6, message = ?7 WHERE id = ?8"},
        {&st->run_note, "UPDATE run SET message = ?1 WHERE id = ?2 AND status = 'incomplete'"},
    };
    int rc = SQLITE_OK;
    for (size_t i = 0; rc == SQLITE_OK && i < sizeof fixed / sizeof fixed[0]; i++)
        rc = sqlite3_prepare_v3(st->sql, fixed[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                fixed[i].st, NULL);
    return rc;
}

enum iosim_err trace_store_open(sqlite3 *sql, uint32_t busy_timeout_ms, struct trace_store **out)
{
    ASSERT(sql != NULL && out != NULL);
    *out = NULL;
    struct trace_store *st = calloc(1, sizeof *st);
    if (st == NULL) {
        sqlite3_close(sql);
        return IOSIM_ENOMEM;
    }
    st->sql = sql;
    int rc = trace_schema_pragmas(sql, busy_timeout_ms);
    if (rc == SQLITE_OK)
        rc = store_prepare_fixed(st);
    if (rc != SQLITE_OK) {
        trace_store_close(st);
        return trace_err_from_sqlite(rc);
    }
    *out = st;
    return IOSIM_OK;
}

void trace_store_close(struct trace_store *st)
{
    if (st == NULL)
        return;
    trace_store_commit(st);
    ASSERT(!st->txn_open);
    sqlite3_stmt *fixed[] = {st->begin,      st->commit,     st->rollback,
                             st->run_insert, st->run_finish, st->run_note};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        sqlite3_finalize(fixed[i]);
    for (uint32_t t = 0; t < sim_trace_table_count(); t++) {
        sqlite3_finalize(st->ins1[t]);
        sqlite3_finalize(st->insn[t]);
        free(st->stage[t].buf);
    }
    sqlite3_close(st->sql);
    free(st->runs);
    free(st);
}

void trace_store_set_busy_timeout(struct trace_store *st, uint32_t timeout_ms)
{
    ASSERT(st != NULL);
    ASSERT(timeout_ms <= INT_MAX);
    sqlite3_busy_timeout(st->sql, (int)timeout_ms);
}

static sqlite3_stmt *store_insert_stmt(struct trace_store *st, uint32_t t, bool group)
{
    sqlite3_stmt **slot = group ? &st->insn[t] : &st->ins1[t];
    if (*slot != NULL)
        return *slot;
    char q[TRACE_SQL_MAX];
    trace_schema_insert_sql(t, group ? TRACE_GROUP_ROWS : 1, q, sizeof q);
    if (sqlite3_prepare_v3(st->sql, q, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK)
        *slot = NULL;
    return *slot;
}

/* ---- runs ------------------------------------------------------------------ */

static struct trace_store_run *store_run(const struct trace_store *st, int64_t run_id)
{
    for (uint32_t i = 0; i < st->nruns; i++)
        if (st->runs[i].run_id == run_id)
            return &st->runs[i];
    return NULL;
}

static void store_run_forget(struct trace_store *st, int64_t run_id)
{
    struct trace_store_run *r = store_run(st, run_id);
    if (r == NULL)
        return;
    ASSERT(st->nruns > 0);
    *r = st->runs[--st->nruns];
}

static int store_step_once(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc;
}

static void store_note_failure(struct trace_store *st, const struct trace_store_run *r)
{
    if (r->err == IOSIM_EBUSY) /* the file is busy: the note would wait as long again */
        return;
    sqlite3_stmt *s = st->run_note;
    char note[sizeof r->msg + 32];
    (void)snprintf(note, sizeof note, "trace write failed: %s", r->msg);
    if (sqlite3_bind_text(s, 1, note, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
        sqlite3_bind_int64(s, 2, r->run_id) == SQLITE_OK)
        (void)store_step_once(s);
    (void)sqlite3_clear_bindings(s);
}

static void store_run_set_failed(struct trace_store_run *r, enum iosim_err e, const char *text)
{
    ASSERT(e != IOSIM_OK);
    if (!r->failed) {
        r->failed = true;
        r->err = e;
        trace_msg(r->msg, sizeof r->msg, "%s", text); /* cut to fit */
    }
    r->in_txn = false;
}

/* A statement of the open transaction failed with rc while writing `what`
 * for run `culprit` (NULL: no single run) from row seq: rolls back and
 * fails every run that had rows in the transaction. */
static void store_txn_fail(struct trace_store *st, int rc, const char *what,
                           struct trace_store_run *culprit, uint64_t seq)
{
    ASSERT(rc != SQLITE_OK && rc != SQLITE_DONE);
    enum iosim_err e = rc == SQLITE_NOTFOUND ? IOSIM_ENOENT : trace_err_from_sqlite(rc);
    char why[160]; /* copied before the rollback can overwrite it */
    (void)snprintf(why, sizeof why, "%s",
                   rc == SQLITE_NOTFOUND ? "the run row is gone" : sqlite3_errmsg(st->sql));
    if (!sqlite3_get_autocommit(st->sql))
        (void)store_step_once(st->rollback);
    char text[sizeof why + 128];
    if (culprit != NULL) {
        (void)snprintf(text, sizeof text, "trace run %lld: writing %s (row %llu): %s",
                       (long long)culprit->run_id, what, (unsigned long long)seq, why);
        store_run_set_failed(culprit, e, text);
        store_note_failure(st, culprit);
    }
    for (uint32_t i = 0; i < st->nruns; i++) {
        struct trace_store_run *r = &st->runs[i];
        if (!r->in_txn)
            continue;
        (void)snprintf(text, sizeof text, "trace run %lld: rows lost: writing %s failed: %s",
                       (long long)r->run_id, what, why);
        store_run_set_failed(r, e, text);
        store_note_failure(st, r);
    }
    for (uint32_t t = 0; t < sim_trace_table_count(); t++) {
        st->stage[t].used = 0;
        st->stage[t].rows = 0;
    }
    st->txn_open = false;
    st->txn_rows = 0;
}

/* ---- staged rows -------------------------------------------------------------- */

/* Binds one staged row (after its head, ending by end) at parameters
 * base+3...; returns the byte after it. The row was checked when staged. */
static const unsigned char *store_bind_row(sqlite3_stmt *s, int base, uint32_t t,
                                           const unsigned char *p, const unsigned char *end,
                                           int *rc)
{
    const struct sim_trace_table_info *ti = sim_trace_table_info(t);
    struct trace_cursor c = {.p = p + 1, .end = end, .ok = true};
    ASSERT(p < end && *p == (unsigned char)t);
    *rc = sqlite3_bind_int64(s, base + 3, (int64_t)trace_get_u64(&c));
    for (uint32_t col = 0; col < ti->ncols && *rc == SQLITE_OK; col++) {
        int idx = base + 4 + (int)col;
        if (ti->col_kinds[col] == SIM_TRACE_KIND_INT) {
            *rc = sqlite3_bind_int64(s, idx, (int64_t)trace_get_u64(&c));
            continue;
        }
        const char *str;
        uint32_t n = trace_get_str(&c, &str);
        *rc = str == NULL ? sqlite3_bind_null(s, idx)
                          : sqlite3_bind_text(s, idx, str, (int)n, SQLITE_STATIC);
    }
    ASSERT(c.ok);
    return c.p;
}

/* Inserts n staged rows of table t from *p (n = 1 or TRACE_GROUP_ROWS);
 * on failure fails the transaction. */
static bool store_insert_staged(struct trace_store *st, uint32_t t,
                                const unsigned char **p, uint32_t n)
{
    bool group = n == TRACE_GROUP_ROWS;
    ASSERT(n == 1 || group);
    const unsigned char *end = st->stage[t].buf + st->stage[t].used;
    sqlite3_stmt *s = store_insert_stmt(st, t, group);
    const int width = 3 + (int)sim_trace_table_info(t)->ncols;
    int rc = s != NULL ? SQLITE_OK : sqlite3_errcode(st->sql);
    int64_t run_id = 0;
    uint64_t seq0 = 0;
    for (uint32_t r = 0; r < n && rc == SQLITE_OK; r++) {
        uint64_t seq;
        ASSERT(*p + TRACE_STAGE_HEAD < end);
        memcpy(&run_id, *p, 8);
        memcpy(&seq, *p + 8, 8);
        seq0 = r == 0 ? seq : seq0;
        rc = sqlite3_bind_int64(s, (int)r * width + 1, run_id);
        if (rc == SQLITE_OK)
            rc = sqlite3_bind_int64(s, (int)r * width + 2, (int64_t)seq);
        if (rc == SQLITE_OK)
            *p = store_bind_row(s, (int)r * width, t, *p + TRACE_STAGE_HEAD, end, &rc);
    }
    if (rc == SQLITE_OK)
        rc = store_step_once(s);
    if (rc == SQLITE_DONE)
        return true;
    store_txn_fail(st, rc == SQLITE_OK ? SQLITE_ERROR : rc, sim_trace_table_info(t)->name,
                   store_run(st, run_id), seq0);
    return false;
}

/* Writes what table t's stage holds: groups, then single rows. */
static bool store_drain_stage(struct trace_store *st, uint32_t t)
{
    struct trace_stage *sg = &st->stage[t];
    const unsigned char *p = sg->buf;
    bool ok = true;
    uint32_t left = sg->rows;
    for (; ok && left >= TRACE_GROUP_ROWS; left -= TRACE_GROUP_ROWS)
        ok = store_insert_staged(st, t, &p, TRACE_GROUP_ROWS);
    for (; ok && left > 0; left--)
        ok = store_insert_staged(st, t, &p, 1);
    ASSERT(!ok || p == sg->buf + sg->used);
    sg->used = 0;
    sg->rows = 0;
    return ok;
}

static bool store_stage_reserve(struct trace_stage *sg, size_t n)
{
    if (sg->cap - sg->used >= n)
        return true;
    size_t cap = sg->cap ? sg->cap : 4096;
    while (cap - sg->used < n)
        cap *= 2;
    unsigned char *b = realloc(sg->buf, cap);
    if (b == NULL)
        return false;
    sg->buf = b;
    sg->cap = cap;
    return true;
}

/* ---- transactions --------------------------------------------------------------- */

static bool store_txn_begin(struct trace_store *st, struct trace_store_run *r)
{
    if (st->txn_open)
        return true;
    int rc = store_step_once(st->begin);
    if (rc != SQLITE_DONE) {
        store_txn_fail(st, rc, "BEGIN", r, r != NULL ? r->next_seq : 0);
        return false;
    }
    st->txn_open = true;
    st->txn_rows = 0;
    return true;
}

void trace_store_commit(struct trace_store *st)
{
    ASSERT(st != NULL);
    if (!st->txn_open)
        return;
    for (uint32_t t = 0; t < sim_trace_table_count(); t++)
        if (st->stage[t].rows > 0 && !store_drain_stage(st, t))
            return;
    int rc = store_step_once(st->commit);
    if (rc != SQLITE_DONE) {
        store_txn_fail(st, rc, "COMMIT", NULL, 0);
        return;
    }
    for (uint32_t i = 0; i < st->nruns; i++)
        st->runs[i].in_txn = false;
    st->txn_open = false;
    st->txn_rows = 0;
}

/* ---- the calls ------------------------------------------------------------------- */

enum iosim_err trace_store_run_begin(struct trace_store *st, const struct sim_trace_run_info *in,
                                     uint32_t batch_rows, int64_t *run_id, char *msg,
                                     size_t msg_len)
{
    ASSERT(st != NULL && in != NULL && run_id != NULL);
    ASSERT(batch_rows > 0);
    if (st->nruns == st->runs_cap) {
        uint32_t cap = st->runs_cap ? 2 * st->runs_cap : 4;
        struct trace_store_run *runs = realloc(st->runs, cap * sizeof *runs);
        if (runs == NULL) {
            trace_msg(msg, msg_len, "trace: out of memory");
            return IOSIM_ENOMEM;
        }
        st->runs = runs;
        st->runs_cap = cap;
    }
    trace_store_commit(st); /* the run row commits alone */
    sqlite3_stmt *s = st->run_insert;
    const char *text[] = {in->scenario, in->scenario_file, NULL, in->policy, in->build_id,
                          in->command, in->clauses};
    int rc = SQLITE_OK;
    for (int i = 0; i < 7 && rc == SQLITE_OK; i++)
        rc = i == 2 ? sqlite3_bind_int64(s, 3, (int64_t)in->seed)
                    : sqlite3_bind_text(s, i + 1, text[i], -1, SQLITE_STATIC);
    if (rc == SQLITE_OK && (rc = store_step_once(st->begin)) == SQLITE_DONE &&
        (rc = store_step_once(s)) == SQLITE_DONE) {
        *run_id = sqlite3_last_insert_rowid(st->sql);
        rc = store_step_once(st->commit);
    }
    (void)sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) {
        trace_msg(msg, msg_len, "trace: cannot insert the run row: %s", sqlite3_errmsg(st->sql));
        if (!sqlite3_get_autocommit(st->sql))
            (void)store_step_once(st->rollback);
        return trace_err_from_sqlite(rc);
    }
    st->runs[st->nruns++] = (struct trace_store_run){
        .run_id = *run_id, .batch_rows = batch_rows};
    ASSERT(*run_id > 0);
    return IOSIM_OK;
}

/* Length of the encoded row at p of table t (at most avail bytes), or 0
 * when it is malformed. */
static size_t store_row_len(uint32_t t, const unsigned char *p, size_t avail)
{
    const struct sim_trace_table_info *ti = sim_trace_table_info(t);
    struct trace_cursor c = {.p = p + 9, .end = p + avail, .ok = avail >= 9};
    for (uint32_t col = 0; col < ti->ncols && c.ok; col++) {
        if (ti->col_kinds[col] == SIM_TRACE_KIND_INT) {
            (void)trace_get_u64(&c);
        } else {
            const char *s;
            (void)trace_get_str(&c, &s);
        }
    }
    return c.ok ? (size_t)(c.p - p) : 0;
}

/* Stages one row; its group goes in when full. */
static bool store_stage_row(struct trace_store *st, struct trace_store_run *r,
                            uint32_t t, const unsigned char *row, size_t len)
{
    struct trace_stage *sg = &st->stage[t];
    if (!store_stage_reserve(sg, TRACE_STAGE_HEAD + len)) {
        store_txn_fail(st, SQLITE_NOMEM, sim_trace_table_info(t)->name, r, r->next_seq);
        return false;
    }
    unsigned char *p = sg->buf + sg->used;
    p = trace_put_u64(p, (uint64_t)r->run_id);
    p = trace_put_u64(p, r->next_seq);
    memcpy(p, row, len);
    sg->used += TRACE_STAGE_HEAD + len;
    sg->rows++;
    r->in_txn = true;
    r->next_seq++;
    st->txn_rows++;
    return sg->rows < TRACE_GROUP_ROWS || store_drain_stage(st, t);
}

void trace_store_rows(struct trace_store *st, int64_t run_id, uint64_t seq0, uint32_t n,
                      const unsigned char *p, size_t len)
{
    ASSERT(st != NULL);
    ASSERT(p != NULL || len == 0);
    struct trace_store_run *r = store_run(st, run_id);
    if (r == NULL || r->failed)
        return;
    const unsigned char *end = p + len;
    if (seq0 != r->next_seq) {
        char text[120];
        (void)snprintf(text, sizeof text, "trace run %lld: rows from %llu arrived after %llu",
                       (long long)run_id, (unsigned long long)seq0,
                       (unsigned long long)r->next_seq);
        store_run_set_failed(r, IOSIM_EPROTO, text);
        return;
    }
    for (uint32_t i = 0; i < n && !r->failed; i++) {
        if (st->txn_open && st->txn_rows >= r->batch_rows)
            trace_store_commit(st);
        if (r->failed || !store_txn_begin(st, r))
            return;
        bool known = p < end && *p < sim_trace_table_count();
        size_t rl = known ? store_row_len(*p, p, (size_t)(end - p)) : 0;
        if (rl == 0) {
            store_txn_fail(st, SQLITE_CORRUPT, "rows (malformed)", r, r->next_seq);
            return;
        }
        if (!store_stage_row(st, r, *p, p, rl))
            return;
        p += rl;
    }
}

static int store_bind_outcome(struct trace_store *st, int64_t run_id, const struct trace_finish *f)
{
    sqlite3_stmt *s = st->run_finish;
    const struct sim_trace_result *res = f->res;
    char hex[SIM_TRACE_HASH_HEX_LEN + 1];
    sim_trace_hash_format(f->hash, hex);
    int rc = sqlite3_bind_text(s, 1, res->result, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(s, 2, hex, -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, (int64_t)res->end_time_ps);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 4, (int64_t)f->rows);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 5, res->expectations_passed);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 6, res->expectations_failed);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(s, 7, res->message, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 8, run_id);
    return rc;
}

enum iosim_err trace_store_finish(struct trace_store *st, int64_t run_id,
                                  const struct trace_finish *fin, char *msg, size_t msg_len)
{
    ASSERT(st != NULL && fin != NULL && fin->res != NULL);
    struct trace_store_run *r = store_run(st, run_id);
    if (r == NULL) {
        trace_msg(msg, msg_len, "trace run %lld: not being written", (long long)run_id);
        return IOSIM_ENOENT;
    }
    if (!r->failed && fin->rows != r->next_seq) {
        char text[120];
        (void)snprintf(text, sizeof text, "trace run %lld: %llu rows emitted, %llu received",
                       (long long)run_id, (unsigned long long)fin->rows,
                       (unsigned long long)r->next_seq);
        store_run_set_failed(r, IOSIM_EPROTO, text);
    }
    if (!r->failed && store_txn_begin(st, r)) {
        r->in_txn = true; /* the outcome is part of the transaction */
        int rc = store_bind_outcome(st, run_id, fin);
        if (rc == SQLITE_OK)
            rc = store_step_once(st->run_finish);
        (void)sqlite3_clear_bindings(st->run_finish); /* res strings are borrowed */
        if (rc == SQLITE_DONE && sqlite3_changes(st->sql) != 1)
            rc = SQLITE_NOTFOUND;
        if (rc != SQLITE_DONE)
            store_txn_fail(st, rc, "run", r, r->next_seq);
        else
            trace_store_commit(st);
    }
    if (r->failed) {
        trace_msg(msg, msg_len, "%s", r->msg);
        return r->err;
    }
    store_run_forget(st, run_id);
    return IOSIM_OK;
}

void trace_store_abandon(struct trace_store *st, int64_t run_id)
{
    ASSERT(st != NULL);
    struct trace_store_run *r = store_run(st, run_id);
    if (r != NULL && r->in_txn)
        trace_store_commit(st);
    store_run_forget(st, run_id);
}

enum iosim_err trace_store_run_error(const struct trace_store *st, int64_t run_id, char *msg,
                                     size_t msg_len)
{
    ASSERT(st != NULL);
    const struct trace_store_run *r = store_run(st, run_id);
    if (r == NULL || !r->failed)
        return IOSIM_OK;
    trace_msg(msg, msg_len, "%s", r->msg);
    return r->err;
}

bool trace_store_next_failure(struct trace_store *st, int64_t *run_id, enum iosim_err *e,
                              char *msg, size_t msg_len)
{
    ASSERT(st != NULL && run_id != NULL && e != NULL);
    for (uint32_t i = 0; i < st->nruns; i++) {
        struct trace_store_run *r = &st->runs[i];
        if (!r->failed || r->reported)
            continue;
        r->reported = true;
        *run_id = r->run_id;
        *e = r->err;
        trace_msg(msg, msg_len, "%s", r->msg);
        return true;
    }
    return false;
}

enum iosim_err trace_store_index(struct trace_store *st, char *msg, size_t msg_len)
{
    ASSERT(st != NULL);
    trace_store_commit(st);
    if (st->txn_open) {
        trace_msg(msg, msg_len, "trace: cannot index: the open transaction failed to commit");
        return IOSIM_EIO;
    }
    const char *what = "";
    int rc = trace_schema_index(st->sql, &what);
    if (rc == SQLITE_OK)
        return IOSIM_OK;
    trace_msg(msg, msg_len, "trace: indexing %s: %s", what, sqlite3_errmsg(st->sql));
    return trace_err_from_sqlite(rc);
}

enum iosim_err trace_store_run_hash(struct trace_store *st, int64_t run_id, uint64_t *hash,
                                    uint64_t *rows, char *msg, size_t msg_len)
{
    ASSERT(st != NULL && hash != NULL);
    trace_store_commit(st);
    return trace_read_run_hash(st->sql, run_id, hash, rows, msg, msg_len);
}
