/* sim/trace: schema, file checks, rows, batches, crashes, concurrency,
 * write errors, the schema document. (The model-based tests are in
 * test_trace_model.c.) */
#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/trace.h"
#include "tests/sim/trace_test_util.h"

TestSuite(trace, .init = scratch_make, .fini = scratch_drop);

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
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
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
    cr_assert_eq(sim_trace_db_set_batch_rows(db, 1), IOSIM_OK);
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    sim_trace_log(&tr, 0, 0, "test", ""); /* empty, flushed before any text was copied */
    char buf[64];
    for (int i = 0; i < 3; i++) {
        snprintf(buf, sizeof buf, "message %d", i);
        sim_trace_log(&tr, (sim_time_ps)i, 0, "test", buf);
        memset(buf, '#', sizeof buf - 1);
        buf[sizeof buf - 1] = '\0';
    }
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    cr_expect_str_eq(sql_text("SELECT group_concat(quote(message), '|') FROM"
                              " (SELECT message FROM log ORDER BY seq)"),
                     "''|'message 0'|'message 1'|'message 2'");
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
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
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
    cr_expect_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
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
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
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
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
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
    if (sim_trace_finish(&tr, PASS_RESULT) != IOSIM_OK)
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
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
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
        enum iosim_err e = sim_trace_finish(&tr, PASS_RESULT);
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
    cr_expect_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_EBUSY);
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
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
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
