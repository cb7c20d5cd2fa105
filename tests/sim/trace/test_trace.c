/* sim/trace: schema, file checks, rows, batches, crashes, concurrency,
 * write errors, indexes, the schema document. What holds for both ways of
 * writing (a writer process, in-process) is checked for both; what only
 * one way can show (when exactly a batch becomes visible) for that one.
 * (The model-based tests are in test_trace_model.c, the writer process's
 * own in test_trace_writer.c.) */
#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/trace/trace.h"
#include "tests/sim/trace/trace_test_util.h"

TestSuite(trace, .init = scratch_make, .fini = scratch_drop);

static int64_t committed_rows_of(const char *table)
{
    return sql_int("SELECT count(*) FROM %s", table);
}

static int64_t committed_rows(void)
{
    return committed_rows_of("mmio");
}

static void emit_mmio(struct sim_trace *tr, uint64_t from, uint64_t n)
{
    for (uint64_t i = from; i < from + n; i++)
        sim_trace_mmio(tr, i * 1000, 0, 1, "xhci0", 0xfe000000, (int64_t)(i % 256), 4,
                       i % 3 ? "read" : "write", (int64_t)i, 90000, "ok");
}

/* ---- schema and files --------------------------------------------------- */

Test(trace, creates_schema_v1_when_file_is_new)
{
    struct sim_trace_db *db = db_open_ok();
    sim_trace_db_close(db);
    cr_expect_str_eq(sql_text("SELECT value FROM meta WHERE key = 'schema_version'"), "1");
    cr_expect_eq(strncmp(sql_text("SELECT value FROM meta WHERE key = 'created_by'"), "iosim ", 6), 0);
    cr_expect_str_eq(sql_text("PRAGMA journal_mode"), "wal");
    cr_expect_eq(sql_int("PRAGMA page_size"), 16384);
    cr_expect_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE sql LIKE '%%WITHOUT ROWID%%'"), 0,
                 "row tables are rowid tables");
    cr_expect_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE type = 'index'"
                         " AND tbl_name NOT IN ('meta', 'run')"),
                 0, "no index is kept up while writing");
    static const char *const run_cols[] = {
        "id", "scenario", "scenario_file", "seed", "policy", "build_id", "command", "status",
        "result", "trace_hash", "end_time_ps", "rows", "expectations_passed",
        "expectations_failed", "message"};
    for (int i = 0; i < (int)(sizeof run_cols / sizeof run_cols[0]); i++)
        cr_expect_str_eq(sql_text("SELECT name FROM pragma_table_info('run') WHERE cid = %d", i),
                         run_cols[i]);
    for (uint32_t t = 0; t < sim_trace_table_count(); t++) {
        const struct sim_trace_table_info *ti = sim_trace_table_info(t);
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
    for (int k = 1; k <= 2; k++) { /* the second run the other way */
        struct sim_trace_db *db = db_open_mode(db_modes[k - 1]);
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
    for (size_t m = 0; m < 2; m++) {
        char msg[256];
        struct sim_trace_db *db = (struct sim_trace_db *)(void *)msg; /* open must clear it */
        struct sim_trace_db_opts opts = {.in_process = db_modes[m] == DB_IN_PROCESS};
        cr_assert_eq(sim_trace_db_open_opts(g_path, &opts, &db, msg, sizeof msg), IOSIM_EPROTO,
                     "%s", db_mode_name[m]);
        cr_expect_null(db);
        cr_expect_neq(strstr(msg, g_path), NULL, "message names the file: %s", msg);
        cr_expect_neq(strstr(msg, why), NULL, "message '%s' lacks '%s'", msg, why);
    }
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

Test(trace, gains_run_clauses_when_file_is_an_older_v1)
{
    sim_trace_db_close(db_open_ok());
    sql_exec("ALTER TABLE run DROP COLUMN clauses");
    struct sim_trace_db *db = db_open_ok();
    sim_trace_db_close(db);
    cr_expect_eq(sql_int("SELECT count(*) FROM pragma_table_info('run') WHERE name = 'clauses'"), 1);
}

static uint64_t hash_with_clauses(struct sim_trace_db *db, const char *clauses)
{
    struct sim_trace tr;
    struct sim_trace_run_info info = {.scenario = "boot", .policy = "fifo", .seed = 3,
                                      .clauses = clauses};
    cr_assert_eq(sim_trace_init(&tr, db, &info), IOSIM_OK);
    sim_trace_sched(&tr, 5, 0, 1, "dispatch", -1, 0);
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
    uint64_t h = sim_trace_hash(&tr);
    sim_trace_fini(&tr);
    return h;
}

static void clauses_recorded_not_hashed(enum db_mode mode)
{
    struct sim_trace_db *db = db_open_mode(mode);
    uint64_t a = hash_with_clauses(db, "xHCI 4.6.5\nBOT 6.3");
    uint64_t b = hash_with_clauses(db, NULL);
    sim_trace_db_close(db);
    cr_expect_eq(a, b);
    cr_expect_str_eq(sql_text("SELECT clauses FROM run WHERE id = 1"), "xHCI 4.6.5\nBOT 6.3");
    cr_expect_str_eq(sql_text("SELECT clauses FROM run WHERE id = 2"), "(null)");
}

Test(trace, clauses_are_recorded_and_not_hashed_when_in_process)
{
    clauses_recorded_not_hashed(DB_IN_PROCESS);
}

Test(trace, clauses_are_recorded_and_not_hashed_when_through_the_writer)
{
    clauses_recorded_not_hashed(DB_WRITER);
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

static void rows_land(enum db_mode mode)
{
    struct sim_trace_db *db = db_open_mode(mode);
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
    sim_trace_bufpool_op(&tr, 100, 1, "dma", "leak", 0x10000, 4096, 512, 0x204096, 0, 0);
    sim_trace_pcid_func(&tr, 110, 2, "00:03.0", 0x1234, 0x5678, 0xff, 0, 0, "endpoint",
                        "msi:1", 0, "pcitest", "started", 3);
    sim_trace_pcid_bar(&tr, 120, 2, "00:03.0", 0, "mem64", 1, 65536, 0x1000000000, 1);
    sim_trace_pcid_req(&tr, 130, 2, "00:03.0", 3, "irq", 0x200000, 8, 1, 0x100000040);
    sim_trace_xhcid_dev(&tr, 140, 3, 5, 2, "high", "refused", 0x1234, 0x5678, 1,
                        "configuration at byte 18: a zero bLength");
    sim_trace_scsi_cmd(&tr, 150, 4, 1, 77, "read_10", 0x28, 4096, 8, "in", 4096, 512,
                       "check_condition", 3, 0x11, 0, 145, 150);
    sim_trace_fio_io(&tr, 160, 5, "seq", "write", 8192, 4096, 4096, 155, 5);
    sim_trace_fio_result(&tr, 170, 5, "seq", "read", 10, 40960, 1, 1000, 10000, 40000, 1, 2, 3,
                         2, 3, 3, 3);
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
        {"SELECT format('%d %d %s %s %d %d %d %d %d %d', seq, pid, pool, op, chunk, offset, len,"
         " addr, guards, status) FROM bufpool_op",
         "10 1 dma leak 65536 4096 512 2113686 0 0"},
        {"SELECT format('%d %d %s %d %d %d %d %d %s %s %d %s %s %d', seq, pid, bdf, vendor, device,"
         " class, subclass, prog_if, kind, caps, problems, driver, status, driver_pid)"
         " FROM pcid_func",
         "11 2 00:03.0 4660 22136 255 0 0 endpoint msi:1 0 pcitest started 3"},
        {"SELECT format('%d %d %s %d %s %d %d %d %d', seq, pid, bdf, bar, kind, prefetch, size,"
         " addr, assigned) FROM pcid_bar",
         "12 2 00:03.0 0 mem64 1 65536 68719476736 1"},
        {"SELECT format('%d %d %s %d %s %d %d %d %d', seq, pid, bdf, client_pid, op, offset, len,"
         " status, extra) FROM pcid_req",
         "13 2 00:03.0 3 irq 2097152 8 1 4294967360"},
        {"SELECT format('%d %d %d %d %s %s %d %d %d %s', seq, pid, port, slot, speed, event,"
         " vendor, product, interfaces, detail) FROM xhcid_dev",
         "14 3 5 2 high refused 4660 22136 1 configuration at byte 18: a zero bLength"},
        {"SELECT format('%d %d %d %d %s %d %d %d %s %d %d %s %d %d %d %d %d', seq, pid, lun, tag,"
         " op, opcode, lba, blocks, dir, len, residue, status, sense_key, asc, ascq, start_ps,"
         " end_ps) FROM scsi_cmd",
         "15 4 1 77 read_10 40 4096 8 in 4096 512 check_condition 3 17 0 145 150"},
        {"SELECT format('%d %d %s %s %d %d %d %d %d', seq, pid, job, op, offset, len, status,"
         " submit_ps, lat_ns) FROM fio_io",
         "16 5 seq write 8192 4096 4096 155 5"},
        {"SELECT format('%d %d %s %s %d %d %d %d %d %d %d %d %d %d %d %d %d', seq, pid, job, dir,"
         " ios, bytes, errors, runtime_ns, iops, bw_kib_s, lat_min_ns, lat_mean_ns, lat_max_ns,"
         " p50_ns, p90_ns, p99_ns, p999_ns) FROM fio_result",
         "17 5 seq read 10 40960 1 1000 10000 40000 1 2 3 2 3 3 3"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cr_expect_str_eq(sql_text("%s", rows[i].q), rows[i].want, "%s", db_mode_name[mode]);
    cr_expect_eq(sql_int("SELECT value & 0xffffffff FROM mmio"), 0xdeadbeef);
}

Test(trace, rows_land_with_run_id_seq_and_values_when_one_per_table)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        rows_land(db_modes[m]);
    }
}

static void text_is_copied(enum db_mode mode)
{
    struct sim_trace_db *db = db_open_mode(mode);
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
                     "''|'message 0'|'message 1'|'message 2'", "%s", db_mode_name[mode]);
}

Test(trace, text_is_copied_when_caller_buffer_is_reused)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        text_is_copied(db_modes[m]);
    }
}

static void long_text(enum db_mode mode)
{
    struct sim_trace_db *db = db_open_mode(mode);
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    size_t len = 3u << 20; /* beyond every buffer size: the row goes alone */
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
    cr_expect_eq(sql_int("SELECT count(*) FROM log WHERE seq = 0 AND message GLOB 'q*'"
                         " AND NOT message GLOB '*[^q]*'"), 1, "%s", db_mode_name[mode]);
    cr_expect_str_eq(sql_text("SELECT message FROM log WHERE seq = 1"), "after");
}

Test(trace, long_text_goes_whole_when_bigger_than_every_buffer)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        long_text(db_modes[m]);
    }
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

/* The run row describes the run (the build that ran it among its columns);
 * the hash covers only what the simulation did. */
static uint64_t hash_of_rows_with_info(struct sim_trace_db *db, const char *build_id,
                                       const char *command)
{
    struct sim_trace tr;
    struct sim_trace_run_info info = {.scenario = "boot", .scenario_file = "s/boot.yaml",
                                      .policy = "fifo", .seed = 3, .build_id = build_id,
                                      .command = command};
    cr_assert_eq(sim_trace_init(&tr, db, &info), IOSIM_OK);
    sim_trace_sched(&tr, 5, 0, 1, "dispatch", -1, 0);
    sim_trace_irq(&tr, 9, 3, "raise", -1, "xhci0");
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
    uint64_t h = sim_trace_hash(&tr);
    sim_trace_fini(&tr);
    return h;
}

Test(trace, hash_is_the_same_when_only_the_build_or_command_differs)
{
    struct sim_trace_db *db = db_open_mode(DB_IN_PROCESS);
    uint64_t a = hash_of_rows_with_info(db, "0.1.0-GNU-Release", "iosim run a.yaml");
    uint64_t b = hash_of_rows_with_info(db, "0.1.0-Clang-Debug", "./iosim run ./a.yaml");
    uint64_t c = hash_of_rows_with_info(NULL, "0.1.0-GNU-RelWithDebInfo", NULL);
    sim_trace_db_close(db);
    cr_expect_eq(a, b);
    cr_expect_eq(a, c);
    cr_expect_str_eq(sql_text("SELECT group_concat(build_id, ' ') FROM run"),
                     "0.1.0-GNU-Release 0.1.0-Clang-Debug");
    cr_expect_str_eq(sql_text("SELECT count(DISTINCT trace_hash) FROM run"), "1");
}

static void finish_refuses(enum db_mode mode)
{
    struct sim_trace_db *db = db_open_mode(mode);
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
    cr_expect_eq(committed_rows_of("log"), 1, "%s", db_mode_name[mode]);
}

Test(trace, finish_refuses_result_when_not_pass_fail_or_error)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        finish_refuses(db_modes[m]);
    }
}

/* ---- batches ------------------------------------------------------------ */

/* In-process, a batch is committed when the row after it arrives. */
Test(trace, batch_is_written_when_buffer_full_and_next_row_arrives)
{
    struct sim_trace_db *db = db_open_mode(DB_IN_PROCESS);
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
    struct sim_trace_db *db = db_open_mode(DB_IN_PROCESS);
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

/* With a writer process, a batch is sent (at the latest) when the row
 * after it arrives; what the writer has received is what run_hash sees. */
Test(trace, batch_is_sent_to_the_writer_when_next_row_arrives)
{
    struct sim_trace_db *db = db_open_mode(DB_WRITER);
    cr_assert_eq(sim_trace_db_set_batch_rows(db, 10), IOSIM_OK); /* far below a send's bytes */
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    int64_t id = sim_trace_run_id(&tr);
    for (uint64_t i = 0; i < 35; i++) {
        emit_mmio(&tr, i, 1);
        cr_expect_eq(db_rows_received(db, id), i / 10 * 10, "after row %llu",
                     (unsigned long long)i);
    }
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
    cr_expect_eq(committed_rows(), 35);
    cr_expect_eq(sql_int("SELECT sum(seq = value) FROM mmio"), 35);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
}

Test(trace, abandoned_run_keeps_its_rows_and_stays_incomplete)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        struct sim_trace_db *db = db_open_mode(db_modes[m]);
        struct sim_trace tr;
        cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
        emit_mmio(&tr, 0, 10);
        sim_trace_fini(&tr);
        cr_expect_eq(committed_rows(), 10, "%s: fini writes them", db_mode_name[m]);
        sim_trace_db_close(db);
        cr_expect_eq(committed_rows(), 10);
        cr_expect_str_eq(sql_text("SELECT status || ' ' || coalesce(result, 'none') FROM run"),
                         "incomplete none");
    }
}

/* ---- crashes and concurrency -------------------------------------------- */

/* Child side: never returns into Criterion. */
static void child_write_run(enum db_mode mode, uint32_t batch, uint64_t rows, bool kill_self,
                            int start_fd)
{
    if (start_fd >= 0) {
        char c;
        (void)!read(start_fd, &c, 1);
    }
    struct sim_trace_db *db = NULL;
    char msg[256];
    struct sim_trace_db_opts opts = {.in_process = mode == DB_IN_PROCESS};
    if (sim_trace_db_open_opts(g_path, &opts, &db, msg, sizeof msg) != IOSIM_OK) {
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

/* (The same with a writer process, whose rows outlive the simulating
 * process, is in test_trace_writer.c.) */
Test(trace, killed_run_stays_incomplete_with_committed_rows_when_sigkilled)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0)
        child_write_run(DB_IN_PROCESS, 1000, 3500, true, -1);
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
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        int start[2];
        cr_assert_eq(pipe(start), 0);
        pid_t pids[WRITERS];
        for (int k = 0; k < WRITERS; k++) {
            pids[k] = fork();
            cr_assert_geq(pids[k], 0);
            if (pids[k] == 0) {
                close(start[1]);
                child_write_run(db_modes[m], 500, ROWS, false, start[0]);
            }
        }
        close(start[0]);
        close(start[1]); /* both writers start now, on a file neither has created */
        for (int k = 0; k < WRITERS; k++) {
            int status = 0;
            cr_assert_eq(waitpid(pids[k], &status, 0), pids[k]);
            cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: writer %d status %#x",
                      db_mode_name[m], k, status);
        }
        cr_expect_eq(sql_int("SELECT count(*) FROM run WHERE status = 'complete' AND rows = %d",
                             ROWS),
                     WRITERS);
        cr_expect_eq(sql_int("SELECT count(DISTINCT trace_hash) FROM run"), 1, "same rows, same hash");
        struct sim_trace_db *db = db_open_mode(db_modes[m]);
        for (int64_t id = 1; id <= WRITERS; id++) {
            uint64_t h = 0, rows = 0;
            cr_assert_eq(sim_trace_db_run_hash(db, id, &h, &rows, NULL, 0), IOSIM_OK);
            char hex[SIM_TRACE_HASH_HEX_LEN + 1];
            sim_trace_hash_format(h, hex);
            cr_expect_str_eq(sql_text("SELECT trace_hash FROM run WHERE id = %lld", (long long)id),
                             hex);
            cr_expect_eq(rows, ROWS);
        }
        sim_trace_db_close(db);
        cr_expect_str_eq(sql_text("PRAGMA integrity_check"), "ok");
    }
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

/* What the file holds after a run whose row fail_at could not be written:
 * a gap-free prefix, at most up to the failed row, and a note. */
static void expect_failed_run_in_file(int64_t fail_at, enum db_mode mode)
{
    int64_t n = committed_rows();
    cr_expect_leq(n, fail_at, "%s: fail at %lld", db_mode_name[mode], (long long)fail_at);
    cr_expect_eq(sql_int("SELECT coalesce(max(seq) + 1, 0) FROM mmio"), n, "no gaps");
    if (mode == DB_IN_PROCESS)
        cr_expect_eq(n, fail_at / 100 * 100, "the batches before the failed one");
    cr_expect_str_eq(sql_text("SELECT status FROM run"), "incomplete");
    cr_expect_eq(strncmp(sql_text("SELECT message FROM run"), "trace write failed: ", 20), 0,
                 "%s", sql_text("SELECT message FROM run"));
}

static void write_error_case(enum db_mode mode, int64_t fail_at, const struct sim_trace *ref)
{
    enum { BATCH = 100, ROWS = 300 };
    scratch_renew();
    sim_trace_db_close(db_open_mode(mode));
    inject_insert_failure(fail_at);
    struct sim_trace_db *db = db_open_mode(mode);
    cr_assert_eq(sim_trace_db_set_batch_rows(db, BATCH), IOSIM_OK);
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    emit_mmio(&tr, 0, ROWS);
    char msg[256];
    if (mode == DB_IN_PROCESS) { /* a writer process reports it when it can */
        bool in_last_batch = fail_at >= ROWS - BATCH; /* written by finish */
        cr_expect_eq(sim_trace_error(&tr, msg, sizeof msg), in_last_batch ? IOSIM_OK : IOSIM_EIO,
                     "fail at %lld", (long long)fail_at);
    }
    enum iosim_err e = sim_trace_finish(&tr, PASS_RESULT);
    cr_expect_eq(e, IOSIM_EIO, "%s: fail at %lld", db_mode_name[mode], (long long)fail_at);
    cr_expect_eq(sim_trace_error(&tr, msg, sizeof msg), IOSIM_EIO);
    cr_expect_neq(strstr(msg, "injected write failure"), NULL, "%s", msg);
    cr_expect_eq(sim_trace_rows(&tr), ROWS, "rows keep being counted");
    cr_expect_eq(sim_trace_hash(&tr), sim_trace_hash(ref), "and hashed");
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    expect_failed_run_in_file(fail_at, mode);
}

Test(trace, write_error_is_sticky_and_reported_when_nth_row_fails)
{
    const int64_t fail_at[] = {0, 1, 15, 16, 99, 100, 101, 199, 250, 299};
    struct sim_trace ref;
    sim_trace_init(&ref, NULL, NULL);
    emit_mmio(&ref, 0, 300);
    for (size_t m = 0; m < 2; m++)
        for (size_t k = 0; k < sizeof fail_at / sizeof fail_at[0]; k++)
            write_error_case(db_modes[m], fail_at[k], &ref);
    sim_trace_fini(&ref);
}

Test(trace, write_error_is_ebusy_when_another_writer_holds_the_lock)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        struct sim_trace_db *db = db_open_mode(db_modes[m]);
        cr_assert_eq(sim_trace_db_set_batch_rows(db, 10), IOSIM_OK);
        cr_assert_eq(sim_trace_db_set_busy_timeout(db, 20), IOSIM_OK);
        struct sim_trace tr;
        cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
        sqlite3 *other = sql_open();
        cr_assert_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
        emit_mmio(&tr, 0, 25);
        if (db_modes[m] == DB_IN_PROCESS)
            cr_expect_eq(sim_trace_error(&tr, NULL, 0), IOSIM_EBUSY);
        cr_expect_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_EBUSY, "%s", db_mode_name[m]);
        cr_assert_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(other);
        sim_trace_fini(&tr);
        sim_trace_db_close(db);
        cr_expect_eq(committed_rows(), 0);
        cr_expect_str_eq(sql_text("SELECT status FROM run"), "incomplete");
    }
}

Test(trace, init_fails_cleanly_when_run_row_cannot_be_written)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        sim_trace_db_close(db_open_mode(db_modes[m]));
        sql_exec("CREATE TRIGGER no_runs BEFORE INSERT ON run BEGIN SELECT RAISE(ABORT, 'no runs today'); END");
        struct sim_trace_db *db = db_open_mode(db_modes[m]);
        struct sim_trace tr;
        cr_expect_neq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
        char msg[256];
        cr_expect_neq(sim_trace_error(&tr, msg, sizeof msg), IOSIM_OK);
        cr_expect_neq(strstr(msg, "no runs today"), NULL, "%s", msg);
        sim_trace_fini(&tr); /* harmless */
        struct sim_trace again; /* the db is still fine */
        cr_expect_neq(sim_trace_init(&again, db, NULL), IOSIM_OK);
        sim_trace_db_close(db);
        cr_expect_eq(sql_int("SELECT count(*) FROM run"), 0);
    }
}

Test(trace, run_hash_reports_missing_run_and_gaps_when_rows_are_gone)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        struct sim_trace_db *db = db_open_mode(db_modes[m]);
        struct sim_trace tr;
        cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
        emit_mmio(&tr, 0, 5);
        cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
        sim_trace_fini(&tr);
        uint64_t h = 0;
        char msg[256];
        cr_expect_eq(sim_trace_db_run_hash(db, 9, &h, NULL, msg, sizeof msg), IOSIM_ENOENT);
        cr_expect_neq(strstr(msg, "no run 9"), NULL, "%s", msg);
        sql_exec("DELETE FROM mmio WHERE seq = 2");
        cr_expect_eq(sim_trace_db_run_hash(db, 1, &h, NULL, msg, sizeof msg), IOSIM_EPROTO);
        cr_expect_neq(strstr(msg, "seq 3"), NULL, "%s", msg);
        sim_trace_db_close(db);
    }
}

/* ---- indexes -------------------------------------------------------------- */

/* Whether the query plan of query mentions needle. */
static bool plan_mentions(const char *query, const char *needle)
{
    char q[256];
    snprintf(q, sizeof q, "EXPLAIN QUERY PLAN %s", query);
    sqlite3 *s = sql_open();
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(s, q, -1, &st, NULL), SQLITE_OK, "%s", q);
    bool found = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        found = found || (detail != NULL && strstr(detail, needle) != NULL);
    }
    sqlite3_finalize(st);
    sqlite3_close(s);
    return found;
}

static int64_t run_indexes(void)
{
    return sql_int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE '%%\\_run'"
                   " ESCAPE '\\'");
}

Test(trace, index_creates_run_seq_indexes_and_is_idempotent)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        struct sim_trace_db *db = db_open_mode(db_modes[m]);
        struct sim_trace tr;
        cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
        emit_mmio(&tr, 0, 100);
        cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
        sim_trace_fini(&tr);
        cr_expect_eq(run_indexes(), 0);
        char msg[256] = "junk";
        for (int k = 0; k < 2; k++) {
            cr_assert_eq(sim_trace_db_index(db, msg, sizeof msg), IOSIM_OK, "%s", msg);
            cr_expect_str_eq(msg, "");
            cr_expect_eq(run_indexes(), sim_trace_table_count(), "%s, call %d", db_mode_name[m], k);
        }
        for (uint32_t t = 0; t < sim_trace_table_count(); t++) {
            const char *name = sim_trace_table_info(t)->name;
            cr_expect_str_eq(sql_text("SELECT group_concat(name, ',') FROM pragma_index_info('%s_run')",
                                      name),
                             "run_id,seq");
            char q[128], idx[64];
            snprintf(q, sizeof q, "SELECT * FROM %s WHERE run_id = 1 ORDER BY seq", name);
            snprintf(idx, sizeof idx, "USING INDEX %s_run", name);
            cr_expect(plan_mentions(q, idx), "a range scan of %s", name);
        }
        sim_trace_db_close(db);
    }
}

/* A file with the indexes (and one of the WITHOUT ROWID layout, keyed on
 * (run_id, seq)) is written as any other, only more slowly. */
Test(trace, runs_are_written_when_file_already_has_indexes)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        struct sim_trace_db *db = db_open_mode(db_modes[m]);
        cr_assert_eq(sim_trace_db_index(db, NULL, 0), IOSIM_OK);
        sim_trace_db_close(db);
        sql_exec("DROP INDEX irq_run; DROP TABLE irq;"
                 " CREATE TABLE irq(run_id INTEGER NOT NULL REFERENCES run(id), seq INTEGER NOT NULL,"
                 " t_ps INTEGER NOT NULL, line INTEGER, event TEXT, pid INTEGER, device TEXT,"
                 " PRIMARY KEY(run_id, seq)) WITHOUT ROWID");
        db = db_open_mode(db_modes[m]);
        cr_assert_eq(sim_trace_db_set_batch_rows(db, 64), IOSIM_OK);
        struct sim_trace tr;
        cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
        for (int i = 0; i < 500; i++) {
            emit_mmio(&tr, (uint64_t)i, 1);
            sim_trace_irq(&tr, (sim_time_ps)i, 5, "raise", -1, "dev0");
        }
        cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
        sim_trace_fini(&tr);
        uint64_t h = 0, rows = 0;
        cr_assert_eq(sim_trace_db_run_hash(db, 1, &h, &rows, NULL, 0), IOSIM_OK);
        cr_expect_eq(rows, 1000);
        char hex[SIM_TRACE_HASH_HEX_LEN + 1];
        sim_trace_hash_format(h, hex);
        cr_expect_str_eq(sql_text("SELECT trace_hash FROM run"), hex);
        cr_assert_eq(sim_trace_db_index(db, NULL, 0), IOSIM_OK);
        cr_expect_eq(run_indexes(), sim_trace_table_count() - 1, "none beside the key of irq");
        sim_trace_db_close(db);
        cr_expect_str_eq(sql_text("PRAGMA integrity_check"), "ok");
    }
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
    for (uint32_t t = 0; t < SIM_TRACE_TABLE_COUNT; t++) { /* the core tables: families document theirs */
        const struct sim_trace_table_info *ti = sim_trace_table_info(t);
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
