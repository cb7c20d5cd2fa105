/* sim/trace: schema, file checks, rows, hash, batches, crashes, concurrency,
 * write errors. The model-based test emits seeded random rows of every table
 * into a file-backed run and a hash-only run at once, and checks both
 * against a trivial reference: a list of rows, serialised by hand and
 * hashed with one-shot XXH64, and compared with what SQL reads back. */
#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/rng.h"
#include "sim/trace.h"

/* ---- a scratch directory per test --------------------------------------- */

static char g_dir[64];
static char g_path[96];

static void scratch_make(void)
{
    snprintf(g_dir, sizeof g_dir, "/tmp/iosim-trace-XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir));
    snprintf(g_path, sizeof g_path, "%s/t.db", g_dir);
}

static void scratch_drop(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal", ".txt"};
    char p[128];
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", g_path, suffix[i]);
        (void)unlink(p);
    }
    (void)rmdir(g_dir);
}

TestSuite(trace, .init = scratch_make, .fini = scratch_drop);

/* ---- plain SQL on the file, through a connection of the test's own ------ */

static sqlite3 *sql_open(void)
{
    sqlite3 *s = NULL;
    cr_assert_eq(sqlite3_open(g_path, &s), SQLITE_OK);
    sqlite3_busy_timeout(s, 10000);
    return s;
}

static void sql_exec(const char *stmt)
{
    sqlite3 *s = sql_open();
    char *err = NULL;
    cr_assert_eq(sqlite3_exec(s, stmt, NULL, NULL, &err), SQLITE_OK, "%s: %s", stmt, err);
    sqlite3_close(s);
}

static int64_t sql_int(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t sql_int(const char *fmt, ...)
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
static const char *sql_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *sql_text(const char *fmt, ...)
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

static struct sim_trace_db *db_open_ok(void)
{
    struct sim_trace_db *db = NULL;
    char msg[256];
    enum iosim_err e = sim_trace_db_open(g_path, &db, msg, sizeof msg);
    cr_assert_eq(e, IOSIM_OK, "open: %s", msg);
    return db;
}

static const struct sim_trace_result pass_result = {.result = "pass", .end_time_ps = 1000};

/* ---- the reference model ------------------------------------------------ */

enum { COLS_MAX = 24 };

struct mval {
    int64_t i;
    char *s; /* owned copy; NULL for INT columns and NULL strings */
    bool null;
};

struct mrow {
    enum sim_trace_table t;
    sim_time_ps t_ps;
    uint32_t n;
    struct mval v[COLS_MAX];
};

/* Value generator: draws every column from one seeded stream, records it
 * in the current reference row, and can change exactly one column
 * (counted across the whole run) without shifting any later draw. */
struct gen {
    struct sim_rng rng;
    struct mrow *row;
    uint64_t col;
    uint64_t perturb;
    char text[COLS_MAX][96]; /* TEXT arguments; overwritten after each emit */
    char sym_perturbed[32];
};

/* Two pools with the same texts at different addresses: a SYM must hash by
 * content, so the pool a row uses must not matter. */
static const char *const sym_pool_a[] = {"dispatch", "read", "ok", "xhci0", "", "wake"};
static char sym_pool_b[][16] = {"dispatch", "read", "ok", "xhci0", "", "wake"};
enum { SYM_POOL = sizeof sym_pool_a / sizeof sym_pool_a[0] };

static bool gen_hit(struct gen *g)
{
    return g->col++ == g->perturb;
}

static int64_t gen_INT(struct gen *g)
{
    static const int64_t special[] = {0, -1, 1, INT64_MIN, INT64_MAX, (int64_t)0x8000000000000001ull};
    uint64_t pick = sim_rng_below(&g->rng, 4);
    uint64_t raw = sim_rng_next(&g->rng);
    int64_t v = pick == 0   ? special[raw % 6]
                : pick == 1 ? (int64_t)raw
                            : (int64_t)(raw % 5000) - 100;
    if (gen_hit(g))
        v ^= 1;
    struct mval *m = &g->row->v[g->row->n++];
    *m = (struct mval){.i = v};
    return v;
}

static const char *gen_record(struct gen *g, const char *s)
{
    struct mval *m = &g->row->v[g->row->n++];
    *m = (struct mval){.null = s == NULL, .s = s ? strdup(s) : NULL};
    return s;
}

/* The perturbed form of a string: NULL <-> "", else one more character. */
static const char *gen_change(char *buf, size_t len, const char *s)
{
    if (s == NULL)
        return "";
    if (*s == '\0')
        return NULL;
    snprintf(buf, len, "%s+", s);
    return buf;
}

static const char *gen_SYM(struct gen *g)
{
    uint64_t k = sim_rng_below(&g->rng, 2 * SYM_POOL + 1);
    const char *s = k == 2 * SYM_POOL ? NULL : k < SYM_POOL ? sym_pool_a[k] : sym_pool_b[k - SYM_POOL];
    if (gen_hit(g))
        s = gen_change(g->sym_perturbed, sizeof g->sym_perturbed, s);
    return gen_record(g, s);
}

static const char *gen_TEXT(struct gen *g)
{
    char *buf = g->text[g->row->n];
    uint64_t len = sim_rng_below(&g->rng, 80);
    for (uint64_t i = 0; i < len; i++)
        buf[i] = (char)(' ' + sim_rng_below(&g->rng, 95));
    buf[len] = '\0';
    const char *s = sim_rng_below(&g->rng, 10) == 0 ? NULL : buf;
    if (gen_hit(g)) {
        static char changed[COLS_MAX][96];
        s = gen_change(changed[g->row->n], sizeof changed[0], s);
    }
    return gen_record(g, s);
}

#define GEN_FIELD(kind, col) SIM_TRACE_CTYPE_##kind col;
#define GEN_COL(kind, col) r.col = gen_##kind(g);
#define GEN_ARG(kind, col) , r.col
#define GEN_CASE(table, ...)                                                  \
    case SIM_TRACE_TABLE_##table: {                                           \
        struct {                                                              \
            SIM_TRACE_EACH(GEN_FIELD, __VA_ARGS__)                            \
        } r;                                                                  \
        SIM_TRACE_EACH(GEN_COL, __VA_ARGS__)                                  \
        for (size_t i = 0; i < ntr; i++)                                      \
            sim_trace_##table(trs[i], t_ps SIM_TRACE_EACH(GEN_ARG, __VA_ARGS__)); \
        break;                                                                \
    }

/* Emits one random row of table t into every run of trs and records it. */
static void gen_row(struct gen *g, struct mrow *row, enum sim_trace_table t, sim_time_ps t_ps,
                    struct sim_trace **trs, size_t ntr)
{
    *row = (struct mrow){.t = t, .t_ps = t_ps};
    g->row = row;
    switch (t) {
        SIM_TRACE_TABLES(GEN_CASE)
    case SIM_TRACE_TABLE_COUNT:
        cr_assert_fail("no such table");
    }
    memset(g->text, 'X', sizeof g->text); /* TEXT must have been copied */
    cr_assert_eq(row->n, sim_trace_table_info(t)->ncols);
}

struct model {
    struct mrow *rows;
    size_t n;
};

static void model_free(struct model *m)
{
    for (size_t r = 0; r < m->n; r++)
        for (uint32_t c = 0; c < m->rows[r].n; c++)
            free(m->rows[r].v[c].s);
    free(m->rows);
    m->rows = NULL;
    m->n = 0;
}

/* n random rows from seed; perturb = which column to change (or none). */
static void model_emit(struct model *m, uint64_t seed, size_t n, uint64_t perturb,
                       struct sim_trace **trs, size_t ntr)
{
    static struct gen g;
    memset(&g, 0, sizeof g);
    sim_rng_stream(&g.rng, seed, "trace-model");
    g.perturb = perturb;
    m->rows = calloc(n ? n : 1, sizeof *m->rows);
    m->n = n;
    sim_time_ps t_ps = 0;
    for (size_t r = 0; r < n; r++) {
        t_ps += sim_rng_below(&g.rng, 3) * 1000;
        enum sim_trace_table t = (enum sim_trace_table)sim_rng_below(&g.rng, SIM_TRACE_TABLE_COUNT);
        gen_row(&g, &m->rows[r], t, t_ps, trs, ntr);
    }
}

static void put_le64(unsigned char **p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *(*p)++ = (unsigned char)(v >> (8 * i));
}

/* The reference hash: the canonical stream written out by hand. */
static uint64_t model_hash(const struct model *m)
{
    size_t cap = 64;
    for (size_t r = 0; r < m->n; r++)
        cap += 16 + 8 * m->rows[r].n + 112 * m->rows[r].n;
    unsigned char *buf = malloc(cap), *p = buf;
    for (size_t r = 0; r < m->n; r++) {
        const struct mrow *row = &m->rows[r];
        const struct sim_trace_table_info *ti = sim_trace_table_info(row->t);
        put_le64(&p, (uint64_t)row->t);
        put_le64(&p, row->t_ps);
        for (uint32_t c = 0; c < row->n; c++) {
            if (ti->col_kinds[c] == SIM_TRACE_KIND_INT) {
                put_le64(&p, (uint64_t)row->v[c].i);
            } else if (row->v[c].null) {
                put_le64(&p, UINT64_MAX);
            } else {
                size_t len = strlen(row->v[c].s);
                put_le64(&p, len);
                memcpy(p, row->v[c].s, len);
                p += len;
                while (len++ % 8 != 0) /* zero padding to whole words */
                    *p++ = 0;
            }
        }
    }
    cr_assert_leq((size_t)(p - buf), cap);
    uint64_t h = sim_trace_xxh64(buf, (size_t)(p - buf), 0);
    free(buf);
    return h;
}

/* Reads every row of run_id back with SQL and compares with the model. */
static void model_check_db(const struct model *m, int64_t run_id, uint64_t seed)
{
    sqlite3 *s = sql_open();
    size_t seen = 0;
    for (unsigned t = 0; t < SIM_TRACE_TABLE_COUNT; t++) {
        const struct sim_trace_table_info *ti = sim_trace_table_info((enum sim_trace_table)t);
        char q[256];
        snprintf(q, sizeof q, "SELECT * FROM %s WHERE run_id = %lld ORDER BY seq", ti->name,
                 (long long)run_id);
        sqlite3_stmt *st = NULL;
        cr_assert_eq(sqlite3_prepare_v2(s, q, -1, &st, NULL), SQLITE_OK);
        cr_assert_eq(sqlite3_column_count(st), 3 + (int)ti->ncols);
        for (size_t r = 0; r < m->n; r++) {
            const struct mrow *row = &m->rows[r];
            if (row->t != t)
                continue;
            cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "seed %llu: %s row %zu missing",
                         (unsigned long long)seed, ti->name, r);
            cr_assert_eq(sqlite3_column_int64(st, 0), run_id);
            cr_assert_eq(sqlite3_column_int64(st, 1), (int64_t)r, "seed %llu", (unsigned long long)seed);
            cr_assert_eq(sqlite3_column_int64(st, 2), (int64_t)row->t_ps);
            for (uint32_t c = 0; c < row->n; c++) {
                int idx = 3 + (int)c;
                if (ti->col_kinds[c] == SIM_TRACE_KIND_INT) {
                    cr_assert_eq(sqlite3_column_type(st, idx), SQLITE_INTEGER);
                    cr_assert_eq(sqlite3_column_int64(st, idx), row->v[c].i, "seed %llu row %zu col %s",
                                 (unsigned long long)seed, r, ti->col_names[c]);
                } else if (row->v[c].null) {
                    cr_assert_eq(sqlite3_column_type(st, idx), SQLITE_NULL, "seed %llu row %zu col %s",
                                 (unsigned long long)seed, r, ti->col_names[c]);
                } else {
                    cr_assert_eq(sqlite3_column_type(st, idx), SQLITE_TEXT);
                    cr_assert_str_eq((const char *)sqlite3_column_text(st, idx), row->v[c].s,
                                     "seed %llu row %zu col %s", (unsigned long long)seed, r,
                                     ti->col_names[c]);
                }
            }
            seen++;
        }
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "seed %llu: extra %s rows",
                     (unsigned long long)seed, ti->name);
        sqlite3_finalize(st);
    }
    cr_assert_eq(seen, m->n);
    sqlite3_close(s);
}

/* ---- model-based -------------------------------------------------------- */

Test(trace, matches_reference_model_when_random_rows_of_every_table)
{
    struct sim_trace_db *db = db_open_ok();
    for (uint64_t seed = 1; seed <= 24; seed++) {
        struct sim_rng pick;
        sim_rng_stream(&pick, seed, "trace-model-shape");
        uint32_t batch = (uint32_t)sim_rng_range(&pick, 1, 64);
        size_t n = (size_t)sim_rng_below(&pick, 1500);
        cr_assert_eq(sim_trace_db_set_batch_rows(db, batch), IOSIM_OK);
        struct sim_trace with_db, hash_only;
        struct sim_trace_run_info info = {.scenario = "model", .seed = seed};
        cr_assert_eq(sim_trace_init(&with_db, db, &info), IOSIM_OK);
        cr_assert_eq(sim_trace_init(&hash_only, NULL, &info), IOSIM_OK);
        struct sim_trace *trs[] = {&with_db, &hash_only};
        struct model m;
        model_emit(&m, seed, n, UINT64_MAX, trs, 2);
        uint64_t want = model_hash(&m);
        cr_assert_eq(sim_trace_hash(&with_db), want, "seed %llu batch %u rows %zu",
                     (unsigned long long)seed, batch, n);
        cr_assert_eq(sim_trace_hash(&hash_only), want, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(sim_trace_rows(&with_db), n);
        cr_assert_eq(sim_trace_finish(&with_db, &pass_result), IOSIM_OK);
        cr_assert_eq(sim_trace_finish(&hash_only, &pass_result), IOSIM_OK);
        int64_t id = sim_trace_run_id(&with_db);
        model_check_db(&m, id, seed);
        char hex[SIM_TRACE_HASH_HEX_LEN + 1];
        sim_trace_hash_format(want, hex);
        cr_assert_str_eq(sql_text("SELECT trace_hash FROM run WHERE id = %lld", (long long)id), hex);
        cr_assert_eq(sql_int("SELECT rows FROM run WHERE id = %lld", (long long)id), (int64_t)n);
        uint64_t again = 0, rows = 0;
        cr_assert_eq(sim_trace_db_run_hash(db, id, &again, &rows, NULL, 0), IOSIM_OK);
        cr_assert_eq(again, want, "seed %llu", (unsigned long long)seed);
        cr_assert_eq(rows, n);
        sim_trace_fini(&with_db);
        sim_trace_fini(&hash_only);
        model_free(&m);
    }
    sim_trace_db_close(db);
}

Test(trace, hash_changes_when_any_single_value_changes)
{
    enum { ROWS = 25 };
    struct sim_trace base;
    struct model m;
    sim_trace_init(&base, NULL, NULL);
    struct sim_trace *one[] = {&base};
    model_emit(&m, 99, ROWS, UINT64_MAX, one, 1);
    uint64_t h0 = sim_trace_hash(&base);
    uint64_t ncols = 0;
    for (size_t r = 0; r < m.n; r++)
        ncols += m.rows[r].n;
    model_free(&m);
    sim_trace_fini(&base);
    for (uint64_t p = 0; p < ncols; p++) {
        struct sim_trace tr;
        sim_trace_init(&tr, NULL, NULL);
        struct sim_trace *trs[] = {&tr};
        model_emit(&m, 99, ROWS, p, trs, 1);
        cr_assert_neq(sim_trace_hash(&tr), h0, "changing column %llu kept the hash",
                      (unsigned long long)p);
        cr_assert_eq(sim_trace_hash(&tr), model_hash(&m));
        model_free(&m);
        sim_trace_fini(&tr);
    }
}

Test(trace, hash_changes_when_table_time_or_string_split_differs)
{
    struct sim_trace a, b;
    sim_trace_init(&a, NULL, NULL);
    sim_trace_init(&b, NULL, NULL);
    sim_trace_fault(&a, 5, "ab", "c", "");
    sim_trace_fault(&b, 5, "a", "bc", "");
    cr_expect_neq(sim_trace_hash(&a), sim_trace_hash(&b), "strings are length-delimited");
    sim_trace_fini(&a);
    sim_trace_fini(&b);

    sim_trace_init(&a, NULL, NULL);
    sim_trace_init(&b, NULL, NULL);
    sim_trace_log(&a, 5, 1, "x", "m");
    sim_trace_log(&b, 6, 1, "x", "m");
    cr_expect_neq(sim_trace_hash(&a), sim_trace_hash(&b), "t_ps is hashed");
    sim_trace_fini(&a);
    sim_trace_fini(&b);

    /* the table id alone tells these apart: an INT 0 and an empty SYM have
     * the same 8 canonical bytes, so the columns encode identically */
    sim_trace_init(&a, NULL, NULL);
    sim_trace_init(&b, NULL, NULL);
    sim_trace_log(&a, 5, 0, "x", "m");   /* INT, SYM, TEXT */
    sim_trace_fault(&b, 5, "", "x", "m"); /* SYM, SYM, TEXT */
    cr_expect_neq(sim_trace_hash(&a), sim_trace_hash(&b));
    sim_trace_fini(&a);
    sim_trace_fini(&b);

    sim_trace_init(&a, NULL, NULL);
    sim_trace_init(&b, NULL, NULL);
    sim_trace_log(&a, 5, 1, "x", NULL);
    sim_trace_log(&b, 5, 1, "x", "");
    cr_expect_neq(sim_trace_hash(&a), sim_trace_hash(&b), "NULL differs from empty");
    sim_trace_fini(&a);
    sim_trace_fini(&b);
}

Test(trace, hash_is_equal_when_emissions_are_identical)
{
    struct sim_trace a, b;
    struct model ma, mb;
    sim_trace_init(&a, NULL, NULL);
    sim_trace_init(&b, NULL, NULL);
    struct sim_trace *ta[] = {&a}, *tb[] = {&b};
    model_emit(&ma, 7, 300, UINT64_MAX, ta, 1);
    model_emit(&mb, 7, 300, UINT64_MAX, tb, 1);
    cr_expect_eq(sim_trace_hash(&a), sim_trace_hash(&b));
    model_free(&ma);
    model_free(&mb);
    sim_trace_fini(&a);
    sim_trace_fini(&b);
}

Test(trace, sym_hashes_by_content_when_text_lives_at_other_addresses)
{
    char dev[] = "xhci0", dir[] = "read", st[] = "ok";
    struct sim_trace a, b;
    sim_trace_init(&a, NULL, NULL);
    sim_trace_init(&b, NULL, NULL);
    sim_trace_mmio(&a, 10, 0, 3, "xhci0", 0xfe000000, 0x20, 4, "read", 7, 90000, "ok");
    sim_trace_mmio(&b, 10, 0, 3, dev, 0xfe000000, 0x20, 4, dir, 7, 90000, st);
    cr_expect_eq(sim_trace_hash(&a), sim_trace_hash(&b));
    sim_trace_fini(&a);
    sim_trace_fini(&b);
}

/* ---- schema and files --------------------------------------------------- */

Test(trace, creates_schema_v1_when_file_is_new)
{
    struct sim_trace_db *db = db_open_ok();
    sim_trace_db_close(db);
    cr_expect_str_eq(sql_text("SELECT value FROM meta WHERE key = 'schema_version'"), "1");
    cr_expect_eq(strncmp(sql_text("SELECT value FROM meta WHERE key = 'created_by'"), "iosim ", 6), 0);
    cr_expect_str_eq(sql_text("PRAGMA journal_mode"), "wal");
    static const char *const run_cols[] = {
        "id", "scenario", "scenario_file", "seed", "policy", "build_id", "command", "status",
        "result", "trace_hash", "end_time_ps", "rows", "expectations_passed",
        "expectations_failed", "message"};
    for (int i = 0; i < (int)(sizeof run_cols / sizeof run_cols[0]); i++)
        cr_expect_str_eq(sql_text("SELECT name FROM pragma_table_info('run') WHERE cid = %d", i),
                         run_cols[i]);
    for (unsigned t = 0; t < SIM_TRACE_TABLE_COUNT; t++) {
        const struct sim_trace_table_info *ti = sim_trace_table_info((enum sim_trace_table)t);
        const char *lead[] = {"run_id", "seq", "t_ps"};
        for (int i = 0; i < 3; i++) {
            cr_expect_str_eq(sql_text("SELECT name FROM pragma_table_info('%s') WHERE cid = %d",
                                      ti->name, i), lead[i]);
            cr_expect_str_eq(sql_text("SELECT type FROM pragma_table_info('%s') WHERE cid = %d",
                                      ti->name, i), "INTEGER");
        }
        for (uint32_t c = 0; c < ti->ncols; c++) {
            cr_expect_str_eq(sql_text("SELECT name FROM pragma_table_info('%s') WHERE cid = %u",
                                      ti->name, c + 3), ti->col_names[c]);
            cr_expect_str_eq(sql_text("SELECT type FROM pragma_table_info('%s') WHERE cid = %u",
                                      ti->name, c + 3),
                             ti->col_kinds[c] == SIM_TRACE_KIND_INT ? "INTEGER" : "TEXT");
        }
        cr_expect_eq(sql_int("SELECT count(*) FROM pragma_table_info('%s')", ti->name),
                     3 + (int64_t)ti->ncols);
    }
}

Test(trace, appends_second_run_when_file_is_reopened)
{
    for (int k = 1; k <= 2; k++) {
        struct sim_trace_db *db = db_open_ok();
        struct sim_trace tr;
        struct sim_trace_run_info info = {.scenario = "boot", .scenario_file = "s/boot.yaml",
                                          .policy = "pct:3", .command = "iosim run", .seed = UINT64_MAX};
        cr_assert_eq(sim_trace_init(&tr, db, &info), IOSIM_OK);
        cr_expect_eq(sim_trace_run_id(&tr), k);
        for (int i = 0; i < 10 * k; i++)
            sim_trace_sched(&tr, (sim_time_ps)i, 0, i, "dispatch", -1, 0);
        struct sim_trace_result res = {.result = k == 1 ? "pass" : "fail", .end_time_ps = 77,
                                       .expectations_passed = 3, .expectations_failed = (uint32_t)k - 1,
                                       .message = k == 1 ? NULL : "expectation 2 failed"};
        cr_assert_eq(sim_trace_finish(&tr, &res), IOSIM_OK);
        sim_trace_fini(&tr);
        sim_trace_db_close(db);
    }
    cr_expect_eq(sql_int("SELECT count(*) FROM run"), 2);
    cr_expect_eq(sql_int("SELECT count(*) FROM run WHERE status = 'complete'"), 2);
    cr_expect_eq(sql_int("SELECT count(*) FROM sched WHERE run_id = 1"), 10);
    cr_expect_eq(sql_int("SELECT count(*) FROM sched WHERE run_id = 2"), 20);
    cr_expect_eq(sql_int("SELECT seed FROM run WHERE id = 2"), -1);
    cr_expect_str_eq(sql_text("SELECT result FROM run WHERE id = 1"), "pass");
    cr_expect_str_eq(sql_text("SELECT message FROM run WHERE id = 1"), "(null)");
    cr_expect_str_eq(sql_text("SELECT result || ' ' || expectations_passed || ' ' ||"
                              " expectations_failed || ' ' || end_time_ps || ' ' || rows || ' ' ||"
                              " message FROM run WHERE id = 2"),
                     "fail 3 1 77 20 expectation 2 failed");
    cr_expect_str_eq(sql_text("SELECT scenario || ' ' || scenario_file || ' ' || policy || ' ' ||"
                              " command FROM run WHERE id = 1"),
                     "boot s/boot.yaml pct:3 iosim run");
    cr_expect_eq(strlen(sql_text("SELECT build_id FROM run WHERE id = 1")) > 0, 1);
}

static void expect_refused(const char *why)
{
    char msg[256];
    struct sim_trace_db *db = (struct sim_trace_db *)(void *)msg; /* open must clear it */
    cr_assert_eq(sim_trace_db_open(g_path, &db, msg, sizeof msg), IOSIM_EPROTO);
    cr_expect_null(db);
    cr_expect_neq(strstr(msg, g_path), NULL, "message names the file: %s", msg);
    cr_expect_neq(strstr(msg, why), NULL, "message '%s' lacks '%s'", msg, why);
}

Test(trace, refuses_file_when_not_sqlite)
{
    FILE *f = fopen(g_path, "w");
    cr_assert_not_null(f);
    fputs("this is not a database, it is a text file that is long enough to have a header\n", f);
    fclose(f);
    expect_refused("not an iosim trace");
    f = fopen(g_path, "r");
    char line[16] = {0};
    cr_assert_not_null(fgets(line, sizeof line, f));
    fclose(f);
    cr_expect_str_eq(line, "this is not a d");
}

Test(trace, refuses_file_when_foreign_sqlite_database)
{
    sql_exec("CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT)");
    expect_refused("not an iosim trace");
    cr_expect_str_eq(sql_text("PRAGMA journal_mode"), "delete", "a foreign file is left as it was");
    cr_expect_eq(sql_int("SELECT count(*) FROM sqlite_master"), 1);
}

Test(trace, refuses_file_when_meta_has_no_schema_version)
{
    sql_exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)");
    expect_refused("no schema_version");
}

Test(trace, refuses_file_when_schema_version_differs)
{
    sim_trace_db_close(db_open_ok());
    sql_exec("UPDATE meta SET value = '2' WHERE key = 'schema_version'");
    expect_refused("version '2'");
}

Test(trace, refuses_file_when_a_table_has_other_columns)
{
    sim_trace_db_close(db_open_ok());
    sql_exec("DROP TABLE irq; CREATE TABLE irq(run_id INTEGER, seq INTEGER, t_ps INTEGER, vector INTEGER)");
    expect_refused("irq");
}

Test(trace, creates_missing_tables_when_file_is_an_older_v1)
{
    sim_trace_db_close(db_open_ok());
    sql_exec("DROP TABLE log");
    struct sim_trace_db *db = db_open_ok();
    sim_trace_db_close(db);
    cr_expect_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE name = 'log'"), 1);
}

Test(trace, open_fails_with_message_when_directory_is_missing)
{
    struct sim_trace_db *db = NULL;
    char msg[256] = "";
    enum iosim_err e = sim_trace_db_open("/nonexistent-iosim-dir/x/t.db", &db, msg, sizeof msg);
    cr_expect_neq(e, IOSIM_OK);
    cr_expect_null(db);
    cr_expect_neq(strstr(msg, "/nonexistent-iosim-dir/x/t.db"), NULL, "%s", msg);
}

/* ---- rows --------------------------------------------------------------- */

Test(trace, rows_land_with_run_id_seq_and_values_when_one_per_table)
{
    struct sim_trace_db *db = db_open_ok();
    struct sim_trace first, tr;
    cr_assert_eq(sim_trace_init(&first, db, NULL), IOSIM_OK); /* so run_id is 2 below */
    sim_trace_fini(&first);
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    cr_assert_eq(sim_trace_run_id(&tr), 2);
    sim_trace_process(&tr, 0, 1, "xhcid", "driver", -1);
    sim_trace_sched(&tr, 10, 1, 1, "dispatch", 2, 300);
    sim_trace_mmio(&tr, 20, 1, 1, "xhci0", (int64_t)0xfedc000000000000ull, 0x44, 4, "write",
                   0xdeadbeef, 90000, "ok");
    sim_trace_dma(&tr, 30, "xhci0", "read", 0x1000, 0x8000, 512, "refused");
    sim_trace_iommu(&tr, 40, "map", 3, 0x1000, 0x8000, 4096, 1);
    sim_trace_irq(&tr, 50, 17, "deliver", 1, "xhci0");
    sim_trace_ring_op(&tr, 60, 1, 0, "sq", "push", 4, 5, 1, -11);
    sim_trace_fault(&tr, 70, "dma_refuse", "xhci0", "every 3rd");
    sim_trace_expectation(&tr, 80, 0, "no_timeout", "scen.yaml:12:3", "pass", NULL);
    sim_trace_log(&tr, 90, -1, "engine", "started");
    cr_assert_eq(sim_trace_rows(&tr), SIM_TRACE_TABLE_COUNT);
    cr_assert_eq(sim_trace_finish(&tr, &pass_result), IOSIM_OK);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    static const struct {
        const char *q, *want;
    } rows[] = {
        {"SELECT format('%d %d %d %d %s %s %d', run_id, seq, t_ps, pid, name, kind, cpu) FROM process",
         "2 0 0 1 xhcid driver -1"},
        {"SELECT format('%d %d %d %d %s %d %d', seq, t_ps, cpu, pid, event, other, detail) FROM sched",
         "1 10 1 1 dispatch 2 300"},
        {"SELECT format('%d %d %d %d %s %d %d %d %s %d %d %s', seq, t_ps, cpu, pid, device, addr,"
         " offset, size, dir, value, latency_ps, status) FROM mmio",
         "2 20 1 1 xhci0 -82190693199511552 68 4 write 3735928559 90000 ok"},
        {"SELECT format('%d %s %s %d %d %d %s', seq, device, dir, iova, paddr, len, status) FROM dma",
         "3 xhci0 read 4096 32768 512 refused"},
        {"SELECT format('%d %s %d %d %d %d %d', seq, op, domain, iova, paddr, len, pid) FROM iommu",
         "4 map 3 4096 32768 4096 1"},
        {"SELECT format('%d %d %s %d %s', seq, line, event, pid, device) FROM irq",
         "5 17 deliver 1 xhci0"},
        {"SELECT format('%d %d %d %s %s %d %d %d %d', seq, pid, ring, side, op, head, tail, count,"
         " status) FROM ring_op",
         "6 1 0 sq push 4 5 1 -11"},
        {"SELECT format('%d %s %s %s', seq, kind, target, detail) FROM fault",
         "7 dma_refuse xhci0 every 3rd"},
        {"SELECT format('%d %d %s %s %s %s', seq, idx, kind, location, result, message IS NULL)"
         " FROM expectation",
         "8 0 no_timeout scen.yaml:12:3 pass 1"},
        {"SELECT format('%d %d %d %s %s', run_id, seq, pid, source, message) FROM log",
         "2 9 -1 engine started"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_expect_str_eq(sql_text("%s", rows[i].q), rows[i].want);
    cr_expect_eq(sql_int("SELECT value & 0xffffffff FROM mmio"), 0xdeadbeef);
}

Test(trace, text_is_copied_when_caller_buffer_is_reused)
{
    struct sim_trace_db *db = db_open_ok();
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    char buf[64];
    for (int i = 0; i < 3; i++) {
        snprintf(buf, sizeof buf, "message %d", i);
        sim_trace_log(&tr, (sim_time_ps)i, 0, "test", buf);
        memset(buf, '#', sizeof buf - 1);
        buf[sizeof buf - 1] = '\0';
    }
    cr_assert_eq(sim_trace_finish(&tr, &pass_result), IOSIM_OK);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    cr_expect_str_eq(sql_text("SELECT group_concat(message, '|') FROM (SELECT message FROM log ORDER BY seq)"),
                     "message 0|message 1|message 2");
}

Test(trace, long_text_grows_the_arena_when_bigger_than_its_start)
{
    struct sim_trace_db *db = db_open_ok();
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    size_t len = 3u << 20; /* beyond the soft limit: forces growth and a flush */
    char *big = malloc(len + 1);
    memset(big, 'q', len);
    big[len] = '\0';
    sim_trace_log(&tr, 1, 0, "test", big);
    sim_trace_log(&tr, 2, 0, "test", "after");
    free(big);
    cr_assert_eq(sim_trace_finish(&tr, &pass_result), IOSIM_OK);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    cr_expect_eq(sql_int("SELECT length(message) FROM log WHERE seq = 0"), (int64_t)len);
    cr_expect_str_eq(sql_text("SELECT message FROM log WHERE seq = 1"), "after");
}

Test(trace, hash_only_run_counts_and_finishes_when_no_db)
{
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, NULL, NULL), IOSIM_OK);
    cr_expect_eq(sim_trace_run_id(&tr), 0);
    uint64_t empty = sim_trace_hash(&tr);
    cr_expect_eq(empty, sim_trace_xxh64("", 0, 0));
    sim_trace_irq(&tr, 1, 3, "raise", -1, "xhci0");
    cr_expect_eq(sim_trace_rows(&tr), 1);
    cr_expect_neq(sim_trace_hash(&tr), empty);
    cr_expect_eq(sim_trace_finish(&tr, &pass_result), IOSIM_OK);
    char hex[SIM_TRACE_HASH_HEX_LEN + 1];
    sim_trace_hash_hex(&tr, hex);
    cr_expect_eq(strlen(hex), 16);
    char msg[64] = "junk";
    cr_expect_eq(sim_trace_error(&tr, msg, sizeof msg), IOSIM_OK);
    cr_expect_str_eq(msg, "");
    sim_trace_fini(&tr);
    sim_trace_fini(&tr); /* harmless twice */
}

Test(trace, finish_refuses_result_when_not_pass_fail_or_error)
{
    struct sim_trace_db *db = db_open_ok();
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    sim_trace_log(&tr, 1, 0, "t", "x");
    struct sim_trace_result bad = {.result = "passed"}, none = {0};
    cr_expect_eq(sim_trace_finish(&tr, &bad), IOSIM_EINVAL);
    cr_expect_eq(sim_trace_finish(&tr, &none), IOSIM_EINVAL);
    struct sim_trace_result err = {.result = "error", .message = "scenario aborted"};
    cr_expect_eq(sim_trace_finish(&tr, &err), IOSIM_OK);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    cr_expect_str_eq(sql_text("SELECT status || ' ' || result || ' ' || message FROM run"),
                     "complete error scenario aborted");
}

/* ---- batches ------------------------------------------------------------ */

static int64_t committed_rows(void)
{
    return sql_int("SELECT count(*) FROM mmio");
}

static void emit_mmio(struct sim_trace *tr, uint64_t from, uint64_t n)
{
    for (uint64_t i = from; i < from + n; i++)
        sim_trace_mmio(tr, i * 1000, 0, 1, "xhci0", 0xfe000000, (int64_t)(i % 256), 4,
                       i % 3 ? "read" : "write", (int64_t)i, 90000, "ok");
}

Test(trace, batch_is_written_when_buffer_full_and_next_row_arrives)
{
    struct sim_trace_db *db = db_open_ok();
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    const uint64_t full = SIM_TRACE_BATCH_ROWS_DEFAULT;
    emit_mmio(&tr, 0, full);
    cr_expect_eq(committed_rows(), 0, "exactly a buffer: nothing written yet");
    emit_mmio(&tr, full, 1);
    cr_expect_eq(committed_rows(), (int64_t)full, "one more row: the full buffer went out");
    emit_mmio(&tr, full + 1, full - 1);
    cr_expect_eq(committed_rows(), (int64_t)full);
    cr_expect_str_eq(sql_text("SELECT status FROM run"), "incomplete");
    cr_assert_eq(sim_trace_finish(&tr, &pass_result), IOSIM_OK);
    cr_expect_eq(committed_rows(), (int64_t)(2 * full));
    cr_expect_eq(sql_int("SELECT max(seq) - min(seq) + 1 FROM mmio"), (int64_t)(2 * full));
    cr_expect_eq(sql_int("SELECT sum(seq = value) FROM mmio"), (int64_t)(2 * full));
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
}

Test(trace, batch_boundary_holds_when_batch_size_is_small)
{
    struct sim_trace_db *db = db_open_ok();
    cr_assert_eq(sim_trace_db_set_batch_rows(db, 0), IOSIM_EINVAL);
    cr_assert_eq(sim_trace_db_set_batch_rows(db, SIM_TRACE_BATCH_ROWS_MAX + 1), IOSIM_EINVAL);
    cr_assert_eq(sim_trace_db_set_batch_rows(db, 1), IOSIM_OK);
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    for (uint64_t i = 0; i < 5; i++) {
        emit_mmio(&tr, i, 1);
        cr_expect_eq(committed_rows(), (int64_t)i, "row %llu", (unsigned long long)i);
    }
    cr_assert_eq(sim_trace_finish(&tr, &pass_result), IOSIM_OK);
    cr_expect_eq(committed_rows(), 5);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
}

Test(trace, abandoned_run_keeps_its_rows_and_stays_incomplete)
{
    struct sim_trace_db *db = db_open_ok();
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    emit_mmio(&tr, 0, 10);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    cr_expect_eq(committed_rows(), 10);
    cr_expect_str_eq(sql_text("SELECT status || ' ' || coalesce(result, 'none') FROM run"),
                     "incomplete none");
}

/* ---- crashes and concurrency -------------------------------------------- */

/* Child side: never returns into Criterion. */
static void child_write_run(uint32_t batch, uint64_t rows, bool kill_self, int start_fd)
{
    if (start_fd >= 0) {
        char c;
        (void)!read(start_fd, &c, 1);
    }
    struct sim_trace_db *db = NULL;
    char msg[256];
    if (sim_trace_db_open(g_path, &db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "child %d: %s\n", (int)getpid(), msg);
        _exit(10);
    }
    if (sim_trace_db_set_batch_rows(db, batch) != IOSIM_OK)
        _exit(11);
    struct sim_trace tr;
    struct sim_trace_run_info info = {.scenario = "child", .seed = (uint64_t)getpid()};
    if (sim_trace_init(&tr, db, &info) != IOSIM_OK)
        _exit(12);
    emit_mmio(&tr, 0, rows);
    if (kill_self)
        raise(SIGKILL);
    if (sim_trace_error(&tr, NULL, 0) != IOSIM_OK)
        _exit(13);
    if (sim_trace_finish(&tr, &pass_result) != IOSIM_OK)
        _exit(14);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    _exit(0);
}

Test(trace, killed_run_stays_incomplete_with_committed_rows_when_sigkilled)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0)
        child_write_run(1000, 3500, true, -1);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %#x", status);
    cr_expect_str_eq(sql_text("PRAGMA integrity_check"), "ok");
    cr_expect_str_eq(sql_text("SELECT status || ' ' || coalesce(trace_hash, 'none') FROM run"),
                     "incomplete none");
    cr_expect_eq(committed_rows(), 3000, "three full batches were committed");
    cr_expect_eq(sql_int("SELECT max(seq) FROM mmio"), 2999);
    struct sim_trace_db *db = db_open_ok(); /* the file is still usable */
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    cr_expect_eq(sim_trace_run_id(&tr), 2);
    cr_assert_eq(sim_trace_finish(&tr, &pass_result), IOSIM_OK);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
}

Test(trace, both_runs_complete_when_two_processes_write_one_file)
{
    enum { WRITERS = 2, ROWS = 20000 };
    int start[2];
    cr_assert_eq(pipe(start), 0);
    pid_t pids[WRITERS];
    for (int k = 0; k < WRITERS; k++) {
        pids[k] = fork();
        cr_assert_geq(pids[k], 0);
        if (pids[k] == 0) {
            close(start[1]);
            child_write_run(500, ROWS, false, start[0]);
        }
    }
    close(start[0]);
    close(start[1]); /* both writers start now, on a file neither has created */
    for (int k = 0; k < WRITERS; k++) {
        int status = 0;
        cr_assert_eq(waitpid(pids[k], &status, 0), pids[k]);
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d status %#x", k, status);
    }
    cr_expect_eq(sql_int("SELECT count(*) FROM run WHERE status = 'complete' AND rows = %d", ROWS),
                 WRITERS);
    cr_expect_eq(sql_int("SELECT count(DISTINCT trace_hash) FROM run"), 1, "same rows, same hash");
    struct sim_trace_db *db = db_open_ok();
    for (int64_t id = 1; id <= WRITERS; id++) {
        uint64_t h = 0, rows = 0;
        cr_assert_eq(sim_trace_db_run_hash(db, id, &h, &rows, NULL, 0), IOSIM_OK);
        char hex[SIM_TRACE_HASH_HEX_LEN + 1];
        sim_trace_hash_format(h, hex);
        cr_expect_str_eq(sql_text("SELECT trace_hash FROM run WHERE id = %lld", (long long)id), hex);
        cr_expect_eq(rows, ROWS);
    }
    sim_trace_db_close(db);
    cr_expect_str_eq(sql_text("PRAGMA integrity_check"), "ok");
}

/* ---- write errors ------------------------------------------------------- */

/* A trigger makes the insert of row `seq` fail, as a full disk would. */
static void inject_insert_failure(int64_t seq)
{
    char q[256];
    snprintf(q, sizeof q,
             "CREATE TRIGGER fail_row BEFORE INSERT ON mmio WHEN NEW.seq = %lld"
             " BEGIN SELECT RAISE(ABORT, 'injected write failure'); END",
             (long long)seq);
    sql_exec(q);
}

Test(trace, write_error_is_sticky_and_reported_when_nth_row_fails)
{
    enum { BATCH = 100, ROWS = 300 };
    const int64_t fail_at[] = {0, 1, 99, 100, 101, 199, 250, 299};
    struct sim_trace ref;
    sim_trace_init(&ref, NULL, NULL);
    emit_mmio(&ref, 0, ROWS);
    for (size_t k = 0; k < sizeof fail_at / sizeof fail_at[0]; k++) {
        scratch_drop();
        scratch_make();
        sim_trace_db_close(db_open_ok());
        inject_insert_failure(fail_at[k]);
        struct sim_trace_db *db = db_open_ok();
        cr_assert_eq(sim_trace_db_set_batch_rows(db, BATCH), IOSIM_OK);
        struct sim_trace tr;
        cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
        emit_mmio(&tr, 0, ROWS);
        bool in_last_batch = fail_at[k] >= ROWS - BATCH; /* written by finish */
        char msg[256];
        cr_expect_eq(sim_trace_error(&tr, msg, sizeof msg), in_last_batch ? IOSIM_OK : IOSIM_EIO,
                     "fail at %lld", (long long)fail_at[k]);
        enum iosim_err e = sim_trace_finish(&tr, &pass_result);
        cr_expect_eq(e, IOSIM_EIO, "fail at %lld", (long long)fail_at[k]);
        cr_expect_eq(sim_trace_error(&tr, msg, sizeof msg), IOSIM_EIO);
        cr_expect_neq(strstr(msg, "injected write failure"), NULL, "%s", msg);
        cr_expect_eq(sim_trace_rows(&tr), ROWS, "rows keep being counted");
        cr_expect_eq(sim_trace_hash(&tr), sim_trace_hash(&ref), "and hashed");
        sim_trace_fini(&tr);
        sim_trace_db_close(db);
        cr_expect_eq(committed_rows(), fail_at[k] / BATCH * BATCH, "fail at %lld",
                     (long long)fail_at[k]);
        cr_expect_str_eq(sql_text("SELECT status FROM run"), "incomplete");
        cr_expect_eq(strncmp(sql_text("SELECT message FROM run"), "trace write failed: ", 20), 0);
    }
    sim_trace_fini(&ref);
}

Test(trace, write_error_is_ebusy_when_another_writer_holds_the_lock)
{
    struct sim_trace_db *db = db_open_ok();
    cr_assert_eq(sim_trace_db_set_batch_rows(db, 10), IOSIM_OK);
    cr_assert_eq(sim_trace_db_set_busy_timeout(db, 20), IOSIM_OK);
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    sqlite3 *other = sql_open();
    cr_assert_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    emit_mmio(&tr, 0, 25);
    cr_expect_eq(sim_trace_error(&tr, NULL, 0), IOSIM_EBUSY);
    cr_expect_eq(sim_trace_finish(&tr, &pass_result), IOSIM_EBUSY);
    cr_assert_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    cr_expect_eq(committed_rows(), 0);
    cr_expect_str_eq(sql_text("SELECT status FROM run"), "incomplete");
}

Test(trace, init_fails_cleanly_when_run_row_cannot_be_written)
{
    sim_trace_db_close(db_open_ok());
    sql_exec("CREATE TRIGGER no_runs BEFORE INSERT ON run BEGIN SELECT RAISE(ABORT, 'no runs today'); END");
    struct sim_trace_db *db = db_open_ok();
    struct sim_trace tr;
    cr_expect_neq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    char msg[256];
    cr_expect_neq(sim_trace_error(&tr, msg, sizeof msg), IOSIM_OK);
    cr_expect_neq(strstr(msg, "no runs today"), NULL, "%s", msg);
    sim_trace_fini(&tr); /* harmless */
    sim_trace_db_close(db);
    cr_expect_eq(sql_int("SELECT count(*) FROM run"), 0);
}

Test(trace, run_hash_reports_missing_run_and_gaps_when_rows_are_gone)
{
    struct sim_trace_db *db = db_open_ok();
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    emit_mmio(&tr, 0, 5);
    cr_assert_eq(sim_trace_finish(&tr, &pass_result), IOSIM_OK);
    sim_trace_fini(&tr);
    uint64_t h = 0;
    char msg[256];
    cr_expect_eq(sim_trace_db_run_hash(db, 9, &h, NULL, msg, sizeof msg), IOSIM_ENOENT);
    sql_exec("DELETE FROM mmio WHERE seq = 2");
    cr_expect_eq(sim_trace_db_run_hash(db, 1, &h, NULL, msg, sizeof msg), IOSIM_EPROTO);
    cr_expect_neq(strstr(msg, "seq 3"), NULL, "%s", msg);
    sim_trace_db_close(db);
}

/* ---- the schema document ------------------------------------------------ */

Test(trace, schema_doc_names_every_table_and_column)
{
    FILE *f = fopen(IOSIM_SOURCE_DIR "/docs/trace-schema.md", "r");
    cr_assert_not_null(f, "docs/trace-schema.md");
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    for (unsigned t = 0; t < SIM_TRACE_TABLE_COUNT; t++) {
        const struct sim_trace_table_info *ti = sim_trace_table_info((enum sim_trace_table)t);
        char head[64];
        snprintf(head, sizeof head, "\n### `%s`", ti->name);
        const char *sec = strstr(doc, head);
        cr_assert_not_null(sec, "no section for table %s", ti->name);
        const char *end = strstr(sec + 1, "\n#");
        for (uint32_t c = 0; c < ti->ncols; c++) {
            char cell[64];
            snprintf(cell, sizeof cell, "| `%s` |", ti->col_names[c]);
            const char *at = strstr(sec, cell);
            cr_expect(at != NULL && (end == NULL || at < end), "table %s: column %s undocumented",
                      ti->name, ti->col_names[c]);
        }
    }
}
