/*
 * trace.c - runs: the emit functions (typed ones for the core tables,
 * sim_trace_row for any table), the canonical hash, and the row buffer.
 *
 * A run with a db encodes each row into its buffer (the format is in
 * sim/trace/trace_internal.h), after a message header that is filled in when the
 * buffer is handed on: to the store in this process, which writes it in
 * one transaction (a batch), or to the writer process, which writes it
 * when it comes. The buffer is handed on at a batch boundary (lazily: when
 * the row after the batch arrives, so a run whose rows fit one batch is
 * written with its outcome) or when it holds send_at bytes.
 */
#include "sim/trace/trace.h"

#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/engine/check.h"
#include "sim/trace/trace_internal.h"

#ifndef IOSIM_BUILD_ID
#define IOSIM_BUILD_ID "unknown"
#endif

#define TRACE_HEAD sizeof(struct trace_wire_head)

_Static_assert(sizeof(struct trace_wire_head) == 40, "no padding in the wire header");

/* ---- the buffer ----------------------------------------------------------- */

void trace_run_fail(struct sim_trace *tr, enum iosim_err e, const char *fmt, ...)
{
    ASSERT(e != IOSIM_OK);
    if (tr->err == IOSIM_OK) {
        tr->err = e;
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(tr->err_msg, sizeof tr->err_msg, fmt, ap);
        va_end(ap);
    }
    tr->buffering = false;
    tr->msg_rows = 0;
    tr->used = TRACE_HEAD;
    ASSERT(tr->err != IOSIM_OK);
}

/* Room for need more bytes after *w (which points into the buffer and is
 * moved with it). */
static bool trace_buf_grow(struct sim_trace *tr, unsigned char **w, size_t need)
{
    size_t at = (size_t)(*w - tr->buf);
    size_t cap = tr->cap;
    while (cap - at < need)
        cap = cap < SIZE_MAX / 2 ? 2 * cap : SIZE_MAX;
    unsigned char *b = cap - at >= need ? realloc(tr->buf, cap) : NULL;
    if (b == NULL) {
        trace_run_fail(tr, IOSIM_ENOMEM, "trace run %lld: out of memory for row %llu",
                       (long long)tr->run_id, (unsigned long long)tr->rows);
        return false;
    }
    tr->buf = b;
    tr->cap = cap;
    *w = b + at;
    return true;
}

/* Back to the usual size after a long row went out. */
static void trace_buf_shrink(struct sim_trace *tr)
{
    ASSERT(tr->used == TRACE_HEAD);
    if (tr->db->store != NULL || tr->cap <= 2 * tr->cap_home)
        return; /* in-process, the buffer holds a batch: keep it */
    unsigned char *b = realloc(tr->buf, tr->cap_home);
    if (b != NULL) {
        tr->buf = b;
        tr->cap = tr->cap_home;
    }
}

static void trace_head_fill(struct sim_trace *tr)
{
    int cpu = sched_getcpu(); /* where we run now; -1 if unknown */
    struct trace_wire_head h = {.type = TRACE_WIRE_ROWS, .count = tr->msg_rows,
                                .len = tr->used - TRACE_HEAD, .run_id = tr->run_id,
                                .arg = tr->msg_seq0, .cpu1 = cpu >= 0 ? (uint32_t)cpu + 1 : 0};
    memcpy(tr->buf, &h, sizeof h);
}

static void trace_buf_sent(struct sim_trace *tr)
{
    tr->msg_seq0 += tr->msg_rows;
    tr->msg_rows = 0;
    tr->used = TRACE_HEAD;
}

/* Hands the buffered rows on: committed in-process, or sent. */
static void trace_flush(struct sim_trace *tr)
{
    struct sim_trace_db *db = tr->db;
    ASSERT(tr->buffering && db != NULL);
    ASSERT(tr->msg_rows > 0);
    if (db->store != NULL) {
        trace_store_rows(db->store, tr->run_id, tr->msg_seq0, tr->msg_rows, tr->buf + TRACE_HEAD,
                         tr->used - TRACE_HEAD);
        trace_store_commit(db->store);
        char why[sizeof tr->err_msg];
        enum iosim_err e = trace_store_run_error(db->store, tr->run_id, why, sizeof why);
        if (e != IOSIM_OK)
            trace_run_fail(tr, e, "%s", why);
    } else {
        trace_head_fill(tr);
        if (trace_db_send(db, tr->buf, tr->used) == IOSIM_OK)
            (void)trace_db_recv(db, false, NULL); /* notices: did a run fail? */
    }
    if (tr->buffering) {
        trace_buf_sent(tr);
        trace_buf_shrink(tr);
    }
}

/* ---- runs --------------------------------------------------------------- */

/* The run row through the writer: RUN_BEGIN and its reply. */
static enum iosim_err trace_begin_remote(struct sim_trace *tr, const struct sim_trace_run_info *in)
{
    const char *text[] = {in->scenario, in->scenario_file, in->policy, in->build_id, in->command,
                          in->clauses};
    size_t need = TRACE_HEAD + 8;
    for (size_t i = 0; i < 6; i++)
        need += 5 + (text[i] != NULL ? strlen(text[i]) : 0);
    unsigned char *w = tr->buf;
    if (tr->cap < need && !trace_buf_grow(tr, &w, need))
        return tr->err;
    w = trace_put_u64(w + TRACE_HEAD, in->seed);
    for (size_t i = 0; i < 6; i++)
        w = trace_put_wire_cstr(w, text[i]);
    struct trace_wire_head h = {.type = TRACE_WIRE_RUN_BEGIN, .len = need - TRACE_HEAD,
                                .arg = tr->batch_rows};
    memcpy(tr->buf, &h, sizeof h);
    ASSERT((size_t)(w - tr->buf) == need);
    struct trace_wire_reply rep;
    enum iosim_err e = trace_db_call(tr->db, tr->buf, need, &rep);
    if (e != IOSIM_OK) {
        (void)snprintf(tr->err_msg, sizeof tr->err_msg, "%s", tr->db->dead_msg);
        return e;
    }
    if (rep.err != IOSIM_OK) {
        (void)snprintf(tr->err_msg, sizeof tr->err_msg, "%s", rep.msg);
        return (enum iosim_err)rep.err;
    }
    tr->run_id = rep.run_id;
    return IOSIM_OK;
}

static enum iosim_err trace_begin(struct sim_trace *tr, const struct sim_trace_run_info *in)
{
    struct sim_trace_db *db = tr->db;
    struct sim_trace_run_info info = *in;
    if (info.build_id == NULL)
        info.build_id = IOSIM_BUILD_ID;
    tr->batch_rows = db->batch_rows;
    tr->batch_left = db->batch_rows;
    tr->send_at = db->store != NULL ? (size_t)db->batch_rows * TRACE_ROW_FIXED_MAX +
                                          SIM_TRACE_TEXT_BYTES_SOFT_MAX
                                    : TRACE_HEAD + SIM_TRACE_SEND_BYTES;
    tr->cap_home = db->store != NULL ? 64u << 10 : tr->send_at + 2 * TRACE_ROW_FIXED_MAX;
    tr->cap = tr->cap_home;
    tr->used = TRACE_HEAD;
    tr->buf = malloc(tr->cap);
    if (tr->buf == NULL) {
        (void)snprintf(tr->err_msg, sizeof tr->err_msg, "trace: out of memory");
        return IOSIM_ENOMEM;
    }
    if (db->store != NULL)
        return trace_store_run_begin(db->store, &info, tr->batch_rows, &tr->run_id, tr->err_msg,
                                     sizeof tr->err_msg);
    if (db->dead) {
        (void)snprintf(tr->err_msg, sizeof tr->err_msg, "%s", db->dead_msg);
        return IOSIM_ESHUTDOWN;
    }
    return trace_begin_remote(tr, &info);
}

enum iosim_err sim_trace_init(struct sim_trace *tr, struct sim_trace_db *db,
                              const struct sim_trace_run_info *info)
{
    ASSERT(tr != NULL);
    static const struct sim_trace_run_info no_info;
    memset(tr, 0, sizeof *tr);
    sim_trace_hasher_init(&tr->hash, 0);
    if (db == NULL) {
        tr->live = true;
        return IOSIM_OK;
    }
    tr->db = db;
    enum iosim_err e = trace_begin(tr, info ? info : &no_info);
    if (e != IOSIM_OK) {
        free(tr->buf);
        tr->buf = NULL;
        tr->db = NULL;
        tr->err = e;
        return e;
    }
    db->runs_open++;
    tr->live_next = db->live;
    db->live = tr;
    tr->live = true;
    tr->buffering = true;
    ASSERT(tr->run_id > 0);
    return IOSIM_OK;
}

/* FINISH after the buffered rows, sent at once, and its reply. */
static void trace_finish_remote(struct sim_trace *tr, const struct sim_trace_result *res)
{
    size_t need = TRACE_HEAD + 32 + 5 + strlen(res->result) + 5 +
                  (res->message != NULL ? strlen(res->message) : 0);
    size_t rows_len = tr->msg_rows > 0 ? tr->used : 0;
    if (rows_len > 0)
        trace_head_fill(tr);
    unsigned char *w = tr->buf + tr->used;
    if (tr->cap - tr->used < need && !trace_buf_grow(tr, &w, need))
        return;
    unsigned char *fin = w;
    w = trace_put_u64(w + TRACE_HEAD, sim_trace_hash(tr));
    w = trace_put_u64(w, tr->rows);
    w = trace_put_u64(w, res->end_time_ps);
    w = trace_put_u32(w, res->expectations_passed);
    w = trace_put_u32(w, res->expectations_failed);
    w = trace_put_wire_cstr(w, res->result);
    w = trace_put_wire_cstr(w, res->message);
    struct trace_wire_head h = {.type = TRACE_WIRE_FINISH, .len = (uint64_t)(w - fin) - TRACE_HEAD,
                                .run_id = tr->run_id};
    memcpy(fin, &h, sizeof h);
    const unsigned char *from = rows_len > 0 ? tr->buf : fin;
    struct trace_wire_reply rep;
    if (trace_db_call(tr->db, from, (size_t)(w - from), &rep) != IOSIM_OK)
        return; /* the writer is gone: the run failed with that */
    if (rep.err != IOSIM_OK)
        trace_run_fail(tr, (enum iosim_err)rep.err, "%s", rep.msg);
    else
        trace_buf_sent(tr);
}

static void trace_finish_local(struct sim_trace *tr, const struct sim_trace_result *res)
{
    struct trace_store *st = tr->db->store;
    if (tr->msg_rows > 0)
        trace_store_rows(st, tr->run_id, tr->msg_seq0, tr->msg_rows, tr->buf + TRACE_HEAD,
                         tr->used - TRACE_HEAD);
    struct trace_finish fin = {.res = res, .hash = sim_trace_hash(tr), .rows = tr->rows};
    char why[sizeof tr->err_msg];
    enum iosim_err e = trace_store_finish(st, tr->run_id, &fin, why, sizeof why);
    if (e != IOSIM_OK)
        trace_run_fail(tr, e, "%s", why);
    else
        trace_buf_sent(tr);
}

enum iosim_err sim_trace_finish(struct sim_trace *tr, const struct sim_trace_result *res)
{
    ASSERT(tr != NULL && tr->live);
    ASSERT(!tr->finished && "finish once");
    ASSERT(res != NULL);
    if (res->result == NULL || (strcmp(res->result, "pass") != 0 &&
                                strcmp(res->result, "fail") != 0 &&
                                strcmp(res->result, "error") != 0))
        return IOSIM_EINVAL;
    if (tr->db != NULL && tr->buffering) {
        if (tr->db->store != NULL)
            trace_finish_local(tr, res);
        else
            trace_finish_remote(tr, res);
    }
    if (tr->err != IOSIM_OK)
        return tr->err;
    tr->finished = true;
    tr->buffering = false;
    return IOSIM_OK;
}

/* Abandons the run at the writer: what was buffered is sent and committed. */
static void trace_abandon_remote(struct sim_trace *tr)
{
    struct sim_trace_db *db = tr->db;
    if (tr->buffering && tr->msg_rows > 0) {
        trace_head_fill(tr);
        if (trace_db_send(db, tr->buf, tr->used) != IOSIM_OK)
            return;
    }
    struct trace_wire_head h = {.type = TRACE_WIRE_ABANDON, .run_id = tr->run_id};
    struct trace_wire_reply rep;
    (void)trace_db_call(db, &h, sizeof h, &rep);
}

static void trace_live_unlink(struct sim_trace *tr)
{
    struct sim_trace **p = &tr->db->live;
    while (*p != NULL && *p != tr)
        p = &(*p)->live_next;
    ASSERT(*p == tr && "a live run is on its db's list");
    *p = tr->live_next;
    tr->live_next = NULL;
}

void sim_trace_fini(struct sim_trace *tr)
{
    ASSERT(tr != NULL);
    if (!tr->live)
        return;
    struct sim_trace_db *db = tr->db;
    if (db != NULL && !tr->finished) { /* abandoned: keep what we have */
        if (db->store != NULL && tr->buffering && tr->msg_rows > 0)
            trace_store_rows(db->store, tr->run_id, tr->msg_seq0, tr->msg_rows,
                             tr->buf + TRACE_HEAD, tr->used - TRACE_HEAD);
        if (db->store != NULL)
            trace_store_abandon(db->store, tr->run_id);
        else if (!db->dead)
            trace_abandon_remote(tr);
    }
    if (db != NULL) {
        trace_live_unlink(tr);
        ASSERT(db->runs_open > 0);
        db->runs_open--;
    }
    free(tr->buf);
    tr->buf = NULL;
    tr->buffering = false;
    tr->live = false;
}

/* ---- emit --------------------------------------------------------------- */

/* Starts a row of table t (hashed as hash_id): hashes its head and returns
 * where its columns go in the buffer, or NULL when rows are not buffered
 * (no db, or a sticky error). */
static inline unsigned char *trace_row_begin(struct sim_trace *tr, uint32_t t, uint64_t hash_id,
                                             sim_time_ps t_ps)
{
    sim_check_outside("a trace row");
    ASSERT(tr->live && !tr->finished);
    trace_hash_row_head(&tr->hash, hash_id, t_ps);
    if (!tr->buffering)
        return NULL;
    if (tr->batch_left == 0 || tr->used >= tr->send_at) {
        if (tr->msg_rows > 0)
            trace_flush(tr);
        tr->batch_left = tr->batch_rows;
        if (!tr->buffering)
            return NULL;
    }
    unsigned char *w = tr->buf + tr->used;
    if (tr->cap - tr->used < TRACE_ROW_FIXED_MAX && !trace_buf_grow(tr, &w, TRACE_ROW_FIXED_MAX))
        return NULL;
    *w = (unsigned char)t;
    return trace_put_u64(w + 1, t_ps);
}

static inline void trace_row_end(struct sim_trace *tr, unsigned char *w)
{
    tr->rows++;
    if (w == NULL || !tr->buffering)
        return;
    tr->used = (size_t)(w - tr->buf);
    tr->msg_rows++;
    tr->batch_left--;
    ASSERT(tr->used <= tr->cap && tr->msg_rows <= tr->batch_rows);
}

static inline void trace_put_INT(struct sim_trace *tr, unsigned char **w, int64_t v)
{
    sim_trace_hasher_u64(&tr->hash, (uint64_t)v);
    if (*w != NULL)
        *w = trace_put_u64(*w, (uint64_t)v);
}

/* SYM and TEXT travel alike: copied into the buffer. */
static inline void trace_put_str(struct sim_trace *tr, unsigned char **w, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    trace_hash_str(&tr->hash, s, n);
    if (*w == NULL)
        return;
    if (n > (size_t)INT_MAX) { /* SQLite takes int lengths */
        trace_run_fail(tr, IOSIM_EMSGSIZE, "trace run %lld: a %zu-byte string at row %llu",
                       (long long)tr->run_id, n, (unsigned long long)tr->rows);
        *w = NULL; /* the rest of the row is only hashed */
        return;
    }
    /* room for the string and whatever fixed part of the row follows it */
    size_t need = 4 + n + TRACE_ROW_FIXED_MAX;
    if ((size_t)(tr->buf + tr->cap - *w) < need && !trace_buf_grow(tr, w, need)) {
        *w = NULL;
        return;
    }
    *w = trace_put_wire_str(*w, s, n);
}

#define trace_put_SYM trace_put_str
#define trace_put_TEXT trace_put_str

/* Out of line: the common case (no tap) keeps only the NULL test inline. */
static void trace_tap(struct sim_trace *tr, uint32_t t, sim_time_ps t_ps,
                      const struct sim_trace_value *cols, uint32_t ncols)
{
    tr->tapping = true;
    tr->tap(tr->tap_ctx, t, t_ps, cols, ncols);
    tr->tapping = false;
}

void sim_trace_set_tap(struct sim_trace *tr, sim_trace_tap_fn *fn, void *ctx)
{
    ASSERT(tr != NULL && !tr->tapping);
    tr->tap = fn;
    tr->tap_ctx = fn != NULL ? ctx : NULL;
}

/* The tap runs after the row is complete, so it sees exactly what was
 * hashed and buffered, and nothing it does can change that. */
#define TRACE_PARAM(kind, col) , SIM_TRACE_CTYPE_##kind col
#define TRACE_PUT(kind, col) trace_put_##kind(tr, &w_, col);
#define TRACE_TAP(kind, col) SIM_TRACE_VALUE_##kind(col),
#define TRACE_EMIT(table, ...)                                                           \
    void sim_trace_##table(struct sim_trace *tr,                                         \
                           sim_time_ps t_ps SIM_TRACE_EACH(TRACE_PARAM, __VA_ARGS__))    \
    {                                                                                    \
        ASSERT(!tr->tapping && "a tap must not emit into the run it taps");              \
        unsigned char *w_ = trace_row_begin(tr, SIM_TRACE_TABLE_##table,                 \
                                            SIM_TRACE_TABLE_##table, t_ps);              \
        SIM_TRACE_EACH(TRACE_PUT, __VA_ARGS__)                                           \
        trace_row_end(tr, w_);                                                           \
        if (tr->tap != NULL) {                                                           \
            const struct sim_trace_value v_[] = {                                        \
                SIM_TRACE_EACH(TRACE_TAP, __VA_ARGS__)};                                 \
            trace_tap(tr, SIM_TRACE_TABLE_##table, t_ps, v_,                             \
                      (uint32_t)(sizeof v_ / sizeof v_[0]));                             \
        }                                                                                \
    }
SIM_TRACE_TABLES(TRACE_EMIT)

/* Whether cols fit table t: a known table, its column count, its kinds. */
static bool trace_row_fits(uint32_t t, const struct sim_trace_value *cols, uint32_t ncols)
{
    if (t >= sim_trace_table_count())
        return false;
    const struct sim_trace_table_info *ti = sim_trace_table_info(t);
    if (ncols != ti->ncols || (ncols > 0 && cols == NULL))
        return false;
    for (uint32_t c = 0; c < ncols; c++)
        if (cols[c].kind != ti->col_kinds[c])
            return false;
    return true;
}

void sim_trace_row(struct sim_trace *tr, uint32_t table, sim_time_ps t_ps,
                   const struct sim_trace_value *cols, uint32_t ncols)
{
    ASSERT(tr != NULL);
    ASSERT(!tr->tapping && "a tap must not emit into the run it taps");
    bool fits = trace_row_fits(table, cols, ncols);
    ASSERT(fits && "a registered table, and its own columns with their kinds");
    if (!fits) {
        trace_run_fail(tr, IOSIM_EINVAL,
                       "trace run %lld: a row for table %lu that does not fit it (row %llu)",
                       (long long)tr->run_id, (unsigned long)table, (unsigned long long)tr->rows);
        return;
    }
    unsigned char *w = trace_row_begin(tr, table, trace_table_hash_id(table), t_ps);
    for (uint32_t c = 0; c < ncols; c++) {
        if (cols[c].kind == SIM_TRACE_KIND_INT)
            trace_put_INT(tr, &w, cols[c].value);
        else
            trace_put_str(tr, &w, cols[c].str);
    }
    trace_row_end(tr, w);
    if (tr->tap != NULL)
        trace_tap(tr, table, t_ps, cols, ncols);
}

/* ---- accessors ---------------------------------------------------------- */

uint64_t sim_trace_hash(const struct sim_trace *tr)
{
    ASSERT(tr != NULL);
    return sim_trace_hasher_digest(&tr->hash);
}

void sim_trace_hash_hex(const struct sim_trace *tr, char out[SIM_TRACE_HASH_HEX_LEN + 1])
{
    ASSERT(tr != NULL && out != NULL);
    sim_trace_hash_format(sim_trace_hash(tr), out);
}

int64_t sim_trace_run_id(const struct sim_trace *tr)
{
    ASSERT(tr != NULL);
    return tr->run_id;
}

uint64_t sim_trace_rows(const struct sim_trace *tr)
{
    ASSERT(tr != NULL);
    return tr->rows;
}

enum iosim_err sim_trace_error(const struct sim_trace *tr, char *msg, size_t len)
{
    ASSERT(tr != NULL);
    if (msg != NULL && len > 0)
        (void)snprintf(msg, len, "%s", tr->err == IOSIM_OK ? "" : tr->err_msg);
    return tr->err;
}

void sim_trace_hex(char *out, size_t cap, const uint8_t *b, uint32_t n)
{
    ASSERT(out != NULL && cap > 0 && (b != NULL || n == 0));
    size_t at = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < n && at + 3 < cap; i++)
        at += (size_t)snprintf(out + at, cap - at, i == 0 ? "%02x" : " %02x", b[i]);
}
