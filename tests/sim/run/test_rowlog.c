/*
 * The rowlog (sim/run/rowlog.h): where two runs' rows part. Seeded random
 * row streams, one of them changed at a random place (a value, a time, a
 * string, a row dropped or added, the end cut), checked against a plain
 * reference: the first position where the two arrays of rows differ.
 * Then two real runs of one scenario, the same seed and a different one.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/engine/rng.h"
#include "sim/run/rowlog.h"
#include "sim/run/run.h"
#include "sim/scenario/scenario.h"

#define ROWS_MAX 64u
#define COLS_MAX 24u

struct row {
    uint32_t table;
    sim_time_ps t;
    uint32_t ncols;
    struct sim_trace_value v[COLS_MAX];
    char s[COLS_MAX][8];
};

static const char *const words[] = {"sq", "cq", "read", "write", "x", ""};

static void random_row(struct sim_rng *g, struct row *r, sim_time_ps t)
{
    static const uint32_t tables[] = {SIM_TRACE_TABLE_sched, SIM_TRACE_TABLE_ring_op,
                                      SIM_TRACE_TABLE_mmio, SIM_TRACE_TABLE_dma};
    r->table = tables[sim_rng_below(g, 4)];
    const struct sim_trace_table_info *ti = sim_trace_table_info(r->table);
    r->t = t;
    r->ncols = ti->ncols;
    for (uint32_t c = 0; c < ti->ncols; c++) {
        r->v[c].kind = ti->col_kinds[c];
        r->v[c].value = (int64_t)sim_rng_below(g, 5) - 2;
        snprintf(r->s[c], sizeof r->s[c], "%s", words[sim_rng_below(g, 6)]);
        r->v[c].str = ti->col_kinds[c] == SIM_TRACE_KIND_INT ? NULL
                      : sim_rng_below(g, 8) == 0 ? NULL : r->s[c];
    }
}

static bool same_row(const struct row *a, const struct row *b)
{
    if (a->table != b->table || a->t != b->t || a->ncols != b->ncols)
        return false;
    for (uint32_t c = 0; c < a->ncols; c++) {
        if (a->v[c].kind == SIM_TRACE_KIND_INT ? a->v[c].value != b->v[c].value
            : (a->v[c].str == NULL) != (b->v[c].str == NULL) ||
                  (a->v[c].str != NULL && strcmp(a->v[c].str, b->v[c].str) != 0))
            return false;
    }
    return true;
}

static void feed(struct sim_rowlog *l, const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sim_rowlog_row(l, rows[i].table, rows[i].t, rows[i].v, rows[i].ncols);
}

/* The reference: the first position where the streams differ, or -1. */
static long first_diff(const struct row *a, size_t na, const struct row *b, size_t nb)
{
    size_t n = na < nb ? na : nb;
    for (size_t i = 0; i < n; i++)
        if (!same_row(&a[i], &b[i]))
            return (long)i;
    return na == nb ? -1 : (long)n;
}

/* Rows whose string pointers point into themselves after a struct copy. */
static void fix_strings(struct row *r)
{
    for (uint32_t c = 0; c < r->ncols; c++)
        if (r->v[c].str != NULL)
            r->v[c].str = r->s[c];
}

static void mutate(struct sim_rng *g, struct row *b, size_t *nb)
{
    size_t k = (size_t)sim_rng_below(g, *nb);
    switch (sim_rng_below(g, 5)) {
    case 0: b[k].t += 1; break;
    case 1: b[k].v[0].value += 1; b[k].v[0].kind = SIM_TRACE_KIND_INT;
        b[k].v[0].kind = sim_trace_table_info(b[k].table)->col_kinds[0];
        if (b[k].v[0].kind != SIM_TRACE_KIND_INT)
            b[k].v[0].str = b[k].v[0].str == NULL ? "new" : NULL;
        break;
    case 2: memmove(&b[k], &b[k + 1], (*nb - k - 1) * sizeof *b); (*nb)--; break;
    case 3: *nb = k; break;
    default: random_row(g, &b[*nb], b[*nb - 1].t + 1); (*nb)++; break;
    }
    for (size_t i = 0; i < *nb; i++)
        fix_strings(&b[i]);
}

Test(rowlog, finds_the_first_differing_row_of_random_streams)
{
    static struct row a[ROWS_MAX], b[ROWS_MAX + 1];
    for (uint64_t seed = 1; seed <= 400; seed++) {
        struct sim_rng g;
        sim_rng_stream(&g, seed, "rowlog");
        size_t na = 1 + (size_t)sim_rng_below(&g, ROWS_MAX), nb = na;
        for (size_t i = 0; i < na; i++)
            random_row(&g, &a[i], (sim_time_ps)i * 1000);
        memcpy(b, a, na * sizeof *a);
        for (size_t i = 0; i < na; i++)
            fix_strings(&b[i]);
        if (seed % 4 != 0)
            mutate(&g, b, &nb);
        long want = first_diff(a, na, b, nb);
        struct sim_rowlog ra, rb;
        sim_rowlog_init(&ra, NULL);
        sim_rowlog_init(&rb, &ra);
        feed(&ra, a, na);
        feed(&rb, b, nb);
        char text[2048];
        bool differ = sim_rowlog_report(&rb, "first run", "second run", text, sizeof text);
        cr_assert_eq(differ, want >= 0, "seed %" PRIu64 ": %s", seed, text);
        if (differ) {
            char head[64];
            snprintf(head, sizeof head, "first difference at row %ld, ", want);
            cr_assert(strncmp(text, head, strlen(head)) == 0, "seed %" PRIu64 ": %s", seed, text);
            cr_assert((size_t)want < na || strstr(text, "first run:  (none: the run had ended)"),
                      "%s", text);
            cr_assert((size_t)want < nb || strstr(text, "second run: (none: the run had ended)"),
                      "%s", text);
            cr_assert(want == 0 || strstr(text, "\n  after row ") != NULL, "%s", text);
        }
        sim_rowlog_fini(&rb);
        sim_rowlog_fini(&ra);
    }
}

Test(rowlog, formats_a_row_with_its_column_names)
{
    struct row r = {.table = SIM_TRACE_TABLE_ring_op, .t = 1234};
    const struct sim_trace_table_info *ti = sim_trace_table_info(r.table);
    r.ncols = ti->ncols;
    for (uint32_t c = 0; c < r.ncols; c++) {
        r.v[c].kind = ti->col_kinds[c];
        r.v[c].value = c;
        r.v[c].str = ti->col_kinds[c] == SIM_TRACE_KIND_INT ? NULL : c == 0 ? NULL : "q\"";
    }
    struct sim_rowlog ra, rb;
    sim_rowlog_init(&ra, NULL);
    sim_rowlog_init(&rb, &ra);
    feed(&ra, &r, 1);
    r.t++;
    feed(&rb, &r, 1);
    char text[2048], want[64];
    cr_assert(sim_rowlog_report(&rb, "first run", "second run", text, sizeof text));
    cr_assert(strstr(text, "first difference at row 0, t=1235 ps\n") == text, "%s", text);
    cr_assert(strstr(text, "  first run:  ring_op t=1234 ") != NULL, "%s", text);
    cr_assert(strstr(text, "  second run: ring_op t=1235 ") != NULL, "%s", text);
    uint32_t last = r.ncols - 1;
    if (ti->col_kinds[last] == SIM_TRACE_KIND_INT)
        snprintf(want, sizeof want, " %s=%u", ti->col_names[last], last);
    else
        snprintf(want, sizeof want, " %s=\"q\"\"", ti->col_names[last]);
    cr_assert(strstr(text, want) != NULL, "%s wants %s", text, want);
    cr_assert(strstr(text, "after row") == NULL, "%s", text);
    char small[40];
    cr_assert(sim_rowlog_report(&rb, "first run", "second run", small, sizeof small));
    cr_assert_eq(strlen(small), sizeof small - 1);
    sim_rowlog_fini(&rb);
    sim_rowlog_fini(&ra);
}

static const char scn[] =
    "scenario: rl\n"
    "machine: {cpus: 2, memory: 16MiB}\n"
    "processes:\n"
    "  - {name: a, program: [{repeat: {count: 20, steps: [{work: 3us}, yield]}}]}\n"
    "  - {name: b, program: [{repeat: {count: 20, steps: [{work: 5us}, yield]}}]}\n"
    "  - {name: c, program: [{repeat: {count: 20, steps: [{work: 2us}, yield]}}]}\n";

static uint64_t run_logged(struct sim_scenario *s, uint64_t seed, struct sim_rowlog *l)
{
    static struct sim_run_result r;
    struct sim_run_opts o = {.seed = seed, .seed_set = true, .policy = "random", .rowlog = l};
    cr_assert_eq(sim_run(s, &o, &r), IOSIM_OK, "%s", r.message);
    return r.trace_hash;
}

Test(rowlog, two_runs_of_one_seed_are_equal_and_of_two_seeds_are_not)
{
    struct sim_scenario *s = NULL;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load_string("rl.yaml", scn, strlen(scn), &s, &err), IOSIM_OK,
                 "%s", err.msg);
    struct sim_rowlog first, same, other;
    sim_rowlog_init(&first, NULL);
    sim_rowlog_init(&same, &first);
    sim_rowlog_init(&other, &first);
    uint64_t h1 = run_logged(s, 7, &first);
    cr_assert_eq(run_logged(s, 7, &same), h1);
    cr_assert(first.rows > 30, "%" PRIu64 " rows", first.rows);
    char text[2048];
    cr_assert_not(sim_rowlog_report(&same, "a", "b", text, sizeof text), "%s", text);
    cr_assert_eq(same.rows, first.rows);
    cr_assert_neq(run_logged(s, 8, &other), h1);
    cr_assert(sim_rowlog_report(&other, "a", "b", text, sizeof text));
    cr_assert(strstr(text, "first difference at row ") == text, "%s", text);
    cr_assert(other.at > 0 && other.at < first.rows, "%" PRIu64, other.at);
    sim_rowlog_fini(&other);
    sim_rowlog_fini(&same);
    sim_rowlog_fini(&first);
    sim_scenario_free(s);
}

/* The rows a database stored read back (sim_trace_file_run_rows) are the
 * rows the run's tap saw, and hash to the run's trace hash. */
Test(rowlog, stored_rows_read_back_equal_the_live_ones)
{
    struct sim_scenario *s = NULL;
    struct yml_error err;
    cr_assert_eq(sim_scenario_load_string("rl.yaml", scn, strlen(scn), &s, &err), IOSIM_OK,
                 "%s", err.msg);
    char path[] = "/tmp/iosim-rowlog-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    unlink(path);
    struct sim_trace_db *db = NULL;
    char msg[256];
    cr_assert_eq(sim_trace_db_open(path, &db, msg, sizeof msg), IOSIM_OK, "%s", msg);
    struct sim_rowlog live, stored;
    sim_rowlog_init(&live, NULL);
    sim_rowlog_init(&stored, &live);
    static struct sim_run_result r;
    struct sim_run_opts o = {.seed = 3, .seed_set = true, .policy = "random", .db = db,
                             .rowlog = &live};
    cr_assert_eq(sim_run(s, &o, &r), IOSIM_OK, "%s", r.message);
    sim_trace_db_close(db);
    uint64_t h = 0;
    cr_assert_eq(sim_trace_file_run_rows(path, r.run_id, sim_rowlog_tap, &stored, &h, msg,
                                         sizeof msg), IOSIM_OK, "%s", msg);
    cr_assert_eq(h, r.trace_hash);
    char text[2048];
    cr_assert_not(sim_rowlog_report(&stored, "live", "stored", text, sizeof text), "%s", text);
    cr_assert_eq(stored.rows, live.rows);
    cr_assert_eq(sim_trace_file_run_rows(path, r.run_id + 1, sim_rowlog_tap, &stored, NULL, msg,
                                         sizeof msg), IOSIM_ENOENT);
    cr_assert(strstr(msg, "no run") != NULL, "%s", msg);
    sim_rowlog_fini(&stored);
    sim_rowlog_fini(&live);
    sim_scenario_free(s);
    unlink(path);
}
