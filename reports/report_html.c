/* The HTML report: the page, the campaign sections, the matrix and the
 * failures; see report_html.h. Latency and throughput are in
 * report_perf.c, the timeline in report_timeline.c. */
#include "reports/report_html.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "reports/html.h"
#include "reports/report_html_internal.h"
#include "reports/svg.h"

#define RH_CAMPAIGNS_MAX 8u    /* campaigns drawn (two lines each) */
#define RH_CLAUSES_MAX 512u
#define RH_FAILURES_MAX 200    /* rows listed per failure table */

/* ---- helpers -------------------------------------------------------------------------- */

sqlite3_stmt *rh_prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static bool rh_exists(sqlite3 *db, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = rh_prepare(db, sql);
    bool has = false;
    if (st != NULL) {
        sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
        if (b != NULL)
            sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
        has = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
    }
    sqlite3_finalize(st);
    return has;
}

bool rh_has_table(sqlite3 *db, const char *table)
{
    return rh_exists(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                     table, NULL);
}

bool rh_has_column(sqlite3 *db, const char *table, const char *col)
{
    return rh_exists(db, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2", table,
                     col);
}

const char *rh_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t != NULL ? (const char *)t : "";
}

int64_t rh_scalar(sqlite3 *db, const char *sql, int64_t arg, int64_t def)
{
    sqlite3_stmt *st = rh_prepare(db, sql);
    int64_t v = def;
    if (st != NULL) {
        if (sqlite3_bind_parameter_count(st) > 0)
            sqlite3_bind_int64(st, 1, arg);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

void rh_format_ns(double ns, char *buf, size_t cap)
{
    if (ns >= 1e9)
        snprintf(buf, cap, "%.3g s", ns / 1e9);
    else if (ns >= 1e6)
        snprintf(buf, cap, "%.3g ms", ns / 1e6);
    else if (ns >= 1e3)
        snprintf(buf, cap, "%.3g us", ns / 1e3);
    else
        snprintf(buf, cap, "%.3g ns", ns);
}

/* A growable array of doubles. */
struct rh_vec {
    double *v;
    size_t n, cap;
};

static bool vec_push(struct rh_vec *a, double x)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 256;
        double *v = realloc(a->v, cap * sizeof *v);
        if (v == NULL)
            return false;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return true;
}

/* ---- summary ----------------------------------------------------------------------------- */

static void rh_summary(struct rh_ctx *c)
{
    char line[320];
    sqlite3_stmt *st = rh_prepare(c->db, "SELECT count(*), sum(result = 'pass'), "
                                         "sum(result = 'fail'), sum(result = 'error'), "
                                         "sum(status = 'incomplete') FROM run");
    if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        snprintf(line, sizeof line, "%" PRId64 " traced runs: %" PRId64 " pass, %" PRId64
                 " fail, %" PRId64 " error, %" PRId64 " incomplete.",
                 (int64_t)sqlite3_column_int64(st, 0), (int64_t)sqlite3_column_int64(st, 1),
                 (int64_t)sqlite3_column_int64(st, 2), (int64_t)sqlite3_column_int64(st, 3),
                 (int64_t)sqlite3_column_int64(st, 4));
        fprintf(c->f, "<p id=\"summary\">");
        html_text(c->f, line);
        if (rh_has_table(c->db, "fuzz_run"))
            fprintf(c->f, " %" PRId64 " fuzz_run rows.",
                    rh_scalar(c->db, "SELECT count(*) FROM fuzz_run", 0, 0));
        fputs("</p>\n", c->f);
    }
    sqlite3_finalize(st);
}

/* ---- 1 and 2: campaigns ------------------------------------------------------------------ */

/* One campaign's lines: x = idx, y = what the chart counts. */
struct rh_campaign {
    char name[96];
    struct rh_vec x, runs, fails, cover;
    uint64_t pass, fail;
};

static void campaigns_free(struct rh_campaign *cs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(cs[i].x.v);
        free(cs[i].runs.v);
        free(cs[i].fails.v);
        free(cs[i].cover.v);
    }
}

/* Reads fuzz_run (originals only) into up to RH_CAMPAIGNS_MAX campaigns;
 * *more counts the campaigns left out. */
static size_t campaigns_read(sqlite3 *db, struct rh_campaign *cs, size_t *more)
{
    char sql[320];
    snprintf(sql, sizeof sql, "SELECT campaign, idx, result, %s FROM fuzz_run %s "
             "ORDER BY campaign, idx", rh_has_column(db, "fuzz_run", "coverage") ? "coverage" : "NULL",
             rh_has_column(db, "fuzz_run", "shrunk_from") ? "WHERE shrunk_from IS NULL" : "");
    sqlite3_stmt *st = rh_prepare(db, sql);
    size_t n = 0;
    *more = 0;
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = rh_text(st, 0);
        if (n == 0 || strcmp(cs[n - 1].name, name) != 0) {
            if (n == RH_CAMPAIGNS_MAX) {
                (*more)++;
                continue;
            }
            memset(&cs[n], 0, sizeof cs[n]);
            snprintf(cs[n++].name, sizeof cs[0].name, "%s", name);
        }
        struct rh_campaign *k = &cs[n - 1];
        bool failed = strcmp(rh_text(st, 2), "pass") != 0;
        k->pass += !failed;
        k->fail += failed;
        double idx = (double)sqlite3_column_int64(st, 1);
        (void)(vec_push(&k->x, idx) && vec_push(&k->runs, (double)(k->pass + k->fail)) &&
               vec_push(&k->fails, (double)k->fail));
        if (sqlite3_column_type(st, 3) != SQLITE_NULL)
            (void)(vec_push(&k->cover, idx) &&
                   vec_push(&k->cover, (double)sqlite3_column_int64(st, 3)));
    }
    sqlite3_finalize(st);
    return n;
}

static void campaigns_table(FILE *f, const struct rh_campaign *cs, size_t n)
{
    static const char *const head[] = {"campaign", "runs", "pass", "not pass"};
    html_table_begin(f, head, 4);
    for (size_t i = 0; i < n; i++) {
        char a[32], b[32], d[32];
        snprintf(a, sizeof a, "%" PRIu64, cs[i].pass + cs[i].fail);
        snprintf(b, sizeof b, "%" PRIu64, cs[i].pass);
        snprintf(d, sizeof d, "%" PRIu64, cs[i].fail);
        html_row_begin(f);
        html_cell(f, cs[i].name, NULL);
        html_cell(f, a, NULL);
        html_cell(f, b, "pass");
        html_cell(f, d, cs[i].fail > 0 ? "fail" : NULL);
        html_row_end(f);
    }
    html_table_end(f);
}

static void campaigns_chart(FILE *f, struct rh_campaign *cs, size_t n)
{
    struct svg_series s[2 * RH_CAMPAIGNS_MAX];
    char names[2 * RH_CAMPAIGNS_MAX][128];
    for (size_t i = 0; i < n; i++) {
        snprintf(names[2 * i], sizeof names[0], "%.90s: runs", cs[i].name);
        snprintf(names[2 * i + 1], sizeof names[0], "%.90s: failures", cs[i].name);
        s[2 * i] = (struct svg_series){names[2 * i], cs[i].x.v, cs[i].runs.v, cs[i].x.n};
        s[2 * i + 1] = (struct svg_series){names[2 * i + 1], cs[i].x.v, cs[i].fails.v, cs[i].x.n};
    }
    svg_line_chart(f, "chart-campaign", "run index (idx)", "runs / failures (cumulative)", s,
                   2 * n);
}

/* Coverage pairs stored (x, y) interleaved in cover: split for the chart. */
static void coverage_chart(FILE *f, struct rh_campaign *cs, size_t n)
{
    struct svg_series s[RH_CAMPAIGNS_MAX];
    struct rh_vec xs[RH_CAMPAIGNS_MAX] = {{0}}, ys[RH_CAMPAIGNS_MAX] = {{0}};
    size_t ns = 0;
    for (size_t i = 0; i < n; i++) {
        if (cs[i].cover.n == 0)
            continue;
        for (size_t k = 0; k + 1 < cs[i].cover.n; k += 2)
            (void)(vec_push(&xs[ns], cs[i].cover.v[k]) && vec_push(&ys[ns], cs[i].cover.v[k + 1]));
        s[ns] = (struct svg_series){cs[i].name, xs[ns].v, ys[ns].v, ys[ns].n < xs[ns].n ? ys[ns].n : xs[ns].n};
        ns++;
    }
    if (ns == 0)
        html_note(f, "no coverage recorded (run iosim fuzz --policy cover)");
    else
        svg_line_chart(f, "chart-coverage", "run index (idx)", "distinct coverage pairs", s, ns);
    for (size_t i = 0; i < ns; i++) {
        free(xs[i].v);
        free(ys[i].v);
    }
}

static void rh_section_campaigns(struct rh_ctx *c)
{
    static struct rh_campaign cs[RH_CAMPAIGNS_MAX];
    size_t more = 0, n = rh_has_table(c->db, "fuzz_run") ? campaigns_read(c->db, cs, &more) : 0;
    html_section(c->f, "campaigns", "1. Runs and failures over each campaign");
    if (n == 0) {
        html_note(c->f, "no fuzz_run rows: this file holds no iosim fuzz campaign");
    } else {
        campaigns_chart(c->f, cs, n);
        campaigns_table(c->f, cs, n);
        if (more > 0)
            html_note(c->f, "more campaigns than drawn: the first ones by name are shown");
    }
    html_section_end(c->f);
    html_section(c->f, "coverage", "2. Coverage growth");
    if (n == 0)
        html_note(c->f, "no coverage recorded (run iosim fuzz --policy cover)");
    else
        coverage_chart(c->f, cs, n);
    html_section_end(c->f);
    campaigns_free(cs, n);
}

/* ---- 6: conformance matrix ---------------------------------------------------------------- */

struct rh_clause {
    char name[64];
    uint64_t counts[2]; /* pass, fail (fail or error) */
};

static int clause_cmp(const void *a, const void *b)
{
    return strcmp(((const struct rh_clause *)a)->name, ((const struct rh_clause *)b)->name);
}

static void clause_add(struct rh_clause *cl, size_t *n, const char *name, size_t len, int col)
{
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(len < 63 ? len : 63), name);
    for (size_t i = 0; i < *n; i++)
        if (strcmp(cl[i].name, key) == 0) {
            cl[i].counts[col]++;
            return;
        }
    if (*n == RH_CLAUSES_MAX || key[0] == '\0')
        return;
    memset(&cl[*n], 0, sizeof cl[0]);
    snprintf(cl[*n].name, sizeof cl[0].name, "%s", key);
    cl[(*n)++].counts[col] = 1;
}

static size_t clauses_read(sqlite3 *db, struct rh_clause *cl)
{
    sqlite3_stmt *st = rh_prepare(db, "SELECT clauses, result FROM run WHERE clauses IS NOT NULL"
                                      " AND result IS NOT NULL ORDER BY id");
    size_t n = 0;
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        int col = strcmp(rh_text(st, 1), "pass") == 0 ? 0 : 1;
        for (const char *p = rh_text(st, 0); *p != '\0';) {
            size_t len = strcspn(p, "\n");
            clause_add(cl, &n, p, len, col);
            p += len + (p[len] == '\n');
        }
    }
    sqlite3_finalize(st);
    qsort(cl, n, sizeof cl[0], clause_cmp);
    return n;
}

static void rh_section_matrix(struct rh_ctx *c)
{
    static struct rh_clause cl[RH_CLAUSES_MAX];
    html_section(c->f, "conformance", "6. Conformance matrix (spec clause x runs)");
    size_t n = rh_has_column(c->db, "run", "clauses") ? clauses_read(c->db, cl) : 0;
    if (n == 0) {
        html_note(c->f, "no run in this file names the spec clauses it exercises "
                        "(a scenario's clauses: key)");
    } else {
        const char *rows[RH_CLAUSES_MAX];
        uint64_t cells[RH_CLAUSES_MAX][2];
        for (size_t i = 0; i < n; i++) {
            rows[i] = cl[i].name;
            cells[i][0] = cl[i].counts[0];
            cells[i][1] = cl[i].counts[1];
        }
        svg_matrix(c->f, "chart-matrix", rows, (const uint64_t(*)[2])cells, n);
    }
    html_section_end(c->f);
}

/* ---- 7: failures ---------------------------------------------------------------------------- */

static void fuzz_failure_row(FILE *f, sqlite3_stmt *st)
{
    html_row_begin(f);
    for (int i = 0; i < 7; i++)
        html_cell(f, rh_text(st, i), i == 5 ? "fail" : NULL);
    html_cell(f, rh_text(st, 7), "code");
    if (sqlite3_column_type(st, 8) == SQLITE_NULL) {
        html_cell(f, "not shrunk", NULL);
    } else {
        fputs("<td class=\"code\">", f);
        html_text(f, rh_text(st, 8));
        if (sqlite3_column_type(st, 9) != SQLITE_NULL || sqlite3_column_type(st, 10) != SQLITE_NULL) {
            fputs("<br>script: ", f);
            html_text(f, rh_text(st, 9));
            fputs(" ", f);
            html_text(f, rh_text(st, 10));
        }
        fputs("</td>", f);
    }
    html_row_end(f);
}

static void fuzz_failures(struct rh_ctx *c)
{
    static const char *const head[] = {"campaign", "idx", "scenario", "seed", "policy", "result",
                                       "failure", "repro", "shrunk repro"};
    bool shr = rh_has_column(c->db, "fuzz_run", "shrunk_from");
    char sql[900];
    snprintf(sql, sizeof sql,
             "SELECT o.campaign, o.idx, o.scenario, o.seed, o.policy, o.result, o.failure, o.repro,"
             " %s FROM fuzz_run o %s WHERE o.result != 'pass' %s ORDER BY o.campaign, o.idx, o.rowid"
             " LIMIT %d",
             shr ? "s.repro, s.decisions, s.faults" : "NULL, NULL, NULL",
             shr ? "LEFT JOIN fuzz_run s ON s.shrunk_from = o.rowid" : "",
             shr ? "AND o.shrunk_from IS NULL" : "", RH_FAILURES_MAX);
    sqlite3_stmt *st = rh_prepare(c->db, sql);
    int rows = 0;
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        if (rows++ == 0) {
            html_heading(c->f, "fuzz campaign failures");
            html_table_begin(c->f, head, 9);
        }
        fuzz_failure_row(c->f, st);
    }
    if (rows > 0)
        html_table_end(c->f);
    else
        html_note(c->f, st != NULL ? "no failing fuzz run" : "no fuzz_run table");
    if (rows == RH_FAILURES_MAX)
        html_note(c->f, "only the first failures are listed");
    sqlite3_finalize(st);
}

static void run_failures(struct rh_ctx *c)
{
    static const char *const head[] = {"run", "scenario", "seed", "policy", "result", "message",
                                       "repro"};
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT id, scenario, seed, policy, result, message, command FROM run"
             " WHERE result IN ('fail', 'error') ORDER BY id LIMIT %d", RH_FAILURES_MAX);
    sqlite3_stmt *st = rh_prepare(c->db, sql);
    int rows = 0;
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        if (rows++ == 0) {
            html_heading(c->f, "traced runs that failed");
            html_table_begin(c->f, head, 7);
        }
        html_row_begin(c->f);
        for (int i = 0; i < 7; i++)
            html_cell(c->f, rh_text(st, i), i == 4 ? "fail" : i == 6 ? "code" : NULL);
        html_row_end(c->f);
    }
    if (rows > 0)
        html_table_end(c->f);
    else
        html_note(c->f, "no traced run failed");
    sqlite3_finalize(st);
}

static void rh_section_failures(struct rh_ctx *c)
{
    html_section(c->f, "failures", "7. Failures and their repro commands");
    fuzz_failures(c);
    run_failures(c);
    html_section_end(c->f);
}

/* ---- the page ------------------------------------------------------------------------------- */

static enum iosim_err rh_check(sqlite3 *db, const char *path, char *msg, size_t len)
{
    sqlite3_stmt *st = rh_prepare(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    bool ok = st != NULL && sqlite3_step(st) == SQLITE_ROW && strcmp(rh_text(st, 0), "1") == 0;
    sqlite3_finalize(st);
    if (!ok || !rh_has_table(db, "run")) {
        snprintf(msg, len, "%s: not an iosim trace database (schema version 1)", path);
        return IOSIM_EPROTO;
    }
    return IOSIM_OK;
}

enum iosim_err report_html(const char *db_path, const struct report_html_opts *opts, FILE *out,
                           char *msg, size_t msg_len)
{
    assert(db_path != NULL && opts != NULL && out != NULL);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(msg, msg_len, "%s: cannot open: %s", db_path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        return IOSIM_EPROTO;
    }
    sqlite3_busy_timeout(db, 10000);
    enum iosim_err e = rh_check(db, db_path, msg, msg_len);
    if (e == IOSIM_OK) {
        struct rh_ctx c = {.db = db, .f = out, .run_id = opts->run_id, .path = db_path};
        char title[512];
        snprintf(title, sizeof title, "iosim report: %s", db_path);
        html_page_begin(out, title);
        rh_summary(&c);
        rh_section_campaigns(&c);
        rh_section_latency(&c);
        rh_section_throughput(&c);
        rh_section_timeline(&c);
        rh_section_matrix(&c);
        rh_section_failures(&c);
        rh_section_compare(&c);
        html_page_end(out);
    }
    sqlite3_close(db);
    return e;
}
