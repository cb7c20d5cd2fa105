/* sim/trace row tap: it sees every row as it is emitted, in order, with its
 * table, time and columns, with or without a database; and it changes
 * neither the trace hash nor any stored row. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sim/trace/trace.h"
#include "tests/sim/trace/trace_test_util.h"

TestSuite(trace_tap, .init = scratch_make, .fini = scratch_drop);

/* What a tap saw: every row flattened to one line of text. */
struct seen {
    unsigned rows;
    char text[4096];
};

static void record(void *ctx, uint32_t table, sim_time_ps t_ps,
                   const struct sim_trace_value *cols, uint32_t ncols)
{
    struct seen *sn = ctx;
    const struct sim_trace_table_info *ti = sim_trace_table_info(table);
    size_t n = strlen(sn->text);
    cr_assert_eq(ncols, ti->ncols, "%s: every own column", ti->name);
    n += (size_t)snprintf(sn->text + n, sizeof sn->text - n, "%s@%llu", ti->name,
                          (unsigned long long)t_ps);
    for (uint32_t i = 0; i < ncols; i++) {
        cr_assert_eq(cols[i].kind, ti->col_kinds[i], "%s.%s", ti->name, ti->col_names[i]);
        if (cols[i].kind == SIM_TRACE_KIND_INT)
            n += (size_t)snprintf(sn->text + n, sizeof sn->text - n, " %lld",
                                  (long long)cols[i].value);
        else
            n += (size_t)snprintf(sn->text + n, sizeof sn->text - n, " %s",
                                  cols[i].str != NULL ? cols[i].str : "NULL");
    }
    snprintf(sn->text + n, sizeof sn->text - n, "\n");
    sn->rows++;
}

/* The same rows for every run: one per table of schema v1 (tables added
 * later are not emitted here), NULL strings and a reused TEXT buffer among
 * them. */
#define EMITTED 11u

static void emit_rows(struct sim_trace *tr)
{
    char buf[32];
    sim_trace_process(tr, 0, 1, "drv", "program", -1);
    sim_trace_sched(tr, 10, 0, 1, "dispatch", -1, 0);
    sim_trace_mmio(tr, 20, 0, 1, "dev0", (int64_t)0xfedc000000000000ull, 4, 4, "write", 7, 400,
                   "ok");
    sim_trace_dma(tr, 30, "dev0", "read", 0x1000, 0x1000, 64, "ok");
    sim_trace_iommu(tr, 40, "map", 0, 0x1000, 0x1000, 4096, 1);
    sim_trace_irq(tr, 50, 40, "deliver", 1, NULL);
    sim_trace_ring_op(tr, 60, 1, 0x3000, "sq", "push", 0, 1, 1, 0);
    snprintf(buf, sizeof buf, "detail %d", 1);
    sim_trace_fault(tr, 70, "irq_drop", "dev0", buf);
    memset(buf, '#', sizeof buf - 1);
    buf[sizeof buf - 1] = '\0';
    sim_trace_expectation(tr, 80, 0, "trace", "t.yaml:1:1", "pass", NULL);
    sim_trace_log(tr, 90, -1, "program", "hello");
    sim_trace_bufpool_op(tr, 100, 1, "pool", "alloc", 1, 0, 512, 0x2000, 0, 0);
}

static const char *const want_seen =
    "process@0 1 drv program -1\n"
    "sched@10 0 1 dispatch -1 0\n"
    "mmio@20 0 1 dev0 -82190693199511552 4 4 write 7 400 ok\n"
    "dma@30 dev0 read 4096 4096 64 ok\n"
    "iommu@40 map 0 4096 4096 4096 1\n"
    "irq@50 40 deliver 1 NULL\n"
    "ring_op@60 1 12288 sq push 0 1 1 0\n"
    "fault@70 irq_drop dev0 detail 1\n"
    "expectation@80 0 trace t.yaml:1:1 pass NULL\n"
    "log@90 -1 program hello\n"
    "bufpool_op@100 1 pool alloc 1 0 512 8192 0 0\n";

/* The hash of emit_rows() without a tap. */
static uint64_t plain_hash(void)
{
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, NULL, NULL), IOSIM_OK);
    emit_rows(&tr);
    uint64_t h = sim_trace_hash(&tr);
    sim_trace_fini(&tr);
    return h;
}

Test(trace_tap, sees_every_row_and_keeps_the_hash_when_hash_only)
{
    static struct seen sn;
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, NULL, NULL), IOSIM_OK);
    sim_trace_set_tap(&tr, record, &sn);
    emit_rows(&tr);
    cr_expect_eq(sn.rows, EMITTED);
    cr_expect_eq(sim_trace_rows(&tr), EMITTED);
    cr_expect_str_eq(sn.text, want_seen);
    cr_expect_eq(sim_trace_hash(&tr), plain_hash(), "the tap does not enter the hash");
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
    sim_trace_fini(&tr);
}

Test(trace_tap, sees_rows_from_the_time_it_is_set_until_it_is_removed)
{
    static struct seen sn;
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, NULL, NULL), IOSIM_OK);
    sim_trace_log(&tr, 1, -1, "program", "before");
    sim_trace_set_tap(&tr, record, &sn);
    sim_trace_log(&tr, 2, -1, "program", "during");
    sim_trace_set_tap(&tr, NULL, &sn);
    sim_trace_log(&tr, 3, -1, "program", "after");
    cr_expect_str_eq(sn.text, "log@2 -1 program during\n");
    cr_expect_eq(sim_trace_rows(&tr), 3);
    sim_trace_fini(&tr);
}

static void tap_with_db(enum db_mode mode)
{
    static struct seen sn;
    memset(&sn, 0, sizeof sn);
    struct sim_trace_db *db = db_open_mode(mode);
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    sim_trace_set_tap(&tr, record, &sn);
    emit_rows(&tr);
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
    uint64_t h = sim_trace_hash(&tr);
    int64_t run = sim_trace_run_id(&tr);
    sim_trace_fini(&tr);
    cr_expect_str_eq(sn.text, want_seen, "%s", db_mode_name[mode]);
    cr_expect_eq(h, plain_hash(), "%s", db_mode_name[mode]);
    uint64_t stored = 0, rows = 0;
    char msg[256];
    cr_assert_eq(sim_trace_db_run_hash(db, run, &stored, &rows, msg, sizeof msg), IOSIM_OK, "%s",
                 msg);
    cr_expect_eq(stored, h, "the stored rows hash the same (%s)", db_mode_name[mode]);
    cr_expect_eq(rows, EMITTED);
    sim_trace_db_close(db);
    cr_expect_str_eq(sql_text("SELECT format('%%s|%%s|%%s', detail, (SELECT device IS NULL FROM"
                              " irq), (SELECT value FROM mmio)) FROM fault"),
                     "detail 1|1|7", "%s", db_mode_name[mode]);
}

Test(trace_tap, sees_every_row_and_changes_no_stored_row_when_a_db_is_attached)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        tap_with_db(db_modes[m]);
    }
}

/* A table a model family registers (each Test runs in a process of its
 * own, so the registration stays in this one). */
SIM_TRACE_TABLE_DEF(tap_blink, (INT, reg), (SYM, op), (TEXT, note));

Test(trace_tap, sees_registered_rows_and_core_rows_through_sim_trace_row)
{
    static struct seen sn;
    cr_assert_eq(sim_trace_table_register(&tap_blink_table), IOSIM_OK);
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, NULL, NULL), IOSIM_OK);
    sim_trace_set_tap(&tr, record, &sn);
    sim_trace_tap_blink(&tr, 5, 3, "on", NULL);
    const struct sim_trace_value log[] = {SIM_TRACE_VALUE_INT(-1), SIM_TRACE_VALUE_SYM("program"),
                                          SIM_TRACE_VALUE_TEXT("hello")};
    sim_trace_row(&tr, SIM_TRACE_TABLE_log, 6, log, 3);
    cr_expect_str_eq(sn.text, "tap_blink@5 3 on NULL\n"
                              "log@6 -1 program hello\n");
    cr_expect_eq(sim_trace_rows(&tr), 2);
    sim_trace_fini(&tr);
}
