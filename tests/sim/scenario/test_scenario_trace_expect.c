/* The `trace:` expectation: what the loader accepts and refuses (each
 * refusal with its exact `file:line:col: message`), how rows are matched,
 * the verdict's message, and small runs where one holds and one fails. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/run/expect_trace.h"
#include "sim/run/run.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/family.h"
#include "sim/trace/trace.h"

/* Lines 1-6; the expectations under test start at line 7. */
static const char *const header =
    "scenario: t\n"
    "machine: {cpus: 1, memory: 16MiB}\n"
    "devices:\n"
    "  - {name: dev0, type: testdev, mmio: 0xfe000000, irq: 40}\n"
    "processes: [{name: p, program: [yield]}]\n"
    "expect:\n";

static enum iosim_err load_expect(const char *expect, struct sim_scenario **s,
                                  struct yml_error *err)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", header, expect);
    *s = NULL;
    memset(err, 0, sizeof *err);
    return sim_scenario_load_string("t.yaml", text, strlen(text), s, err);
}

static struct sim_scenario *load_ok(const char *expect)
{
    struct sim_scenario *s;
    struct yml_error err;
    cr_assert_eq(load_expect(expect, &s, &err), IOSIM_OK, "unexpected error: %s\n%s", err.msg,
                 expect);
    return s;
}

/* ---- loading ------------------------------------------------------------- */

Test(trace_expect, loads_table_where_and_bounds)
{
    struct sim_scenario *s = load_ok(
        "  - trace: {table: irq, where: {event: deliver, line: 40}, min: 1}\n"
        "  - trace: {table: dma, where: {status: disabled}, count: 0}\n"
        "  - trace: {table: mmio, where: {device: dev0, dir: write}, min: 2, max: 10}\n"
        "  - trace: {table: mmio, where: {pid: -1, addr: 0xfedc000000000000, value: 0x10,"
        " device: \"\"}, max: 3}\n"
        "  - trace: {table: log, count: 2}\n");
    cr_assert_eq(s->expect_count, 5);
    const struct sim_expect *x = &s->expects[0];
    cr_expect_eq(x->kind, SIM_EXPECT_TRACE);
    cr_expect_eq(x->line, 7);
    cr_expect_eq(x->col, 5);
    cr_expect_eq(x->table, SIM_TRACE_TABLE_irq);
    cr_assert_eq(x->where_count, 2);
    cr_expect_eq(x->where[0].col, 1, "irq's event is its column 1");
    cr_expect(!x->where[0].is_int);
    cr_expect_str_eq(x->where[0].str, "deliver");
    cr_expect_eq(x->where[1].col, 0);
    cr_expect(x->where[1].is_int);
    cr_expect_eq(x->where[1].value, 40);
    cr_expect(x->has_min && !x->has_max && !x->has_eq);
    cr_expect_eq(x->min, 1);

    x = &s->expects[1];
    cr_expect_eq(x->table, SIM_TRACE_TABLE_dma);
    cr_expect(x->has_eq && !x->has_min && !x->has_max);
    cr_expect_eq(x->eq, 0);

    x = &s->expects[2];
    cr_expect(x->has_min && x->has_max);
    cr_expect_eq(x->min, 2);
    cr_expect_eq(x->max, 10);

    x = &s->expects[3];
    cr_assert_eq(x->where_count, 4);
    cr_expect_eq(x->where[0].value, -1);
    cr_expect_eq(x->where[1].value, (int64_t)0xfedc000000000000ull, "uint64 as its bit pattern");
    cr_expect_eq(x->where[2].value, 16);
    cr_expect_str_eq(x->where[3].str, "", "the empty string is a value");

    x = &s->expects[4];
    cr_expect_eq(x->table, SIM_TRACE_TABLE_log);
    cr_expect_eq(x->where_count, 0);
    sim_scenario_free(s);
}

struct bad_case {
    const char *expect; /* appended after `header` (line 7 on) */
    const char *error;  /* exact message */
};

static const struct bad_case bad_cases[] = {
    {"  - trace: {table: expectation, count: 1}\n",
     "t.yaml:7:20: a trace expectation cannot count the expectation table (its rows are "
     "written after the counting)"},
    {"  - trace: {table: irq, where: {level: 1}, count: 1}\n",
     "t.yaml:7:33: unknown column 'level' in table irq (expected one of: line, event, pid, "
     "device)"},
    {"  - trace: {table: irq, where: {event: raise, t_ps: 0}, count: 1}\n",
     "t.yaml:7:47: column 't_ps' cannot be matched (where takes the columns of table irq: line, "
     "event, pid, device)"},
    {"  - trace: {table: irq, where: {seq: 0}, count: 1}\n",
     "t.yaml:7:33: column 'seq' cannot be matched (where takes the columns of table irq: line, "
     "event, pid, device)"},
    {"  - trace: {table: irq, where: {run_id: 1}, count: 1}\n",
     "t.yaml:7:33: column 'run_id' cannot be matched (where takes the columns of table irq: "
     "line, event, pid, device)"},
    {"  - trace: {table: irq, where: {line: high}, count: 1}\n",
     "t.yaml:7:39: column 'line' of table irq takes a 64-bit integer, got 'high'"},
    {"  - trace: {table: irq, where: {line: \"40\"}, count: 1}\n",
     "t.yaml:7:39: column 'line' of table irq takes a 64-bit integer, got a string '40'"},
    {"  - trace: {table: irq, where: {line: 1.5}, count: 1}\n",
     "t.yaml:7:39: column 'line' of table irq takes a 64-bit integer, got '1.5'"},
    {"  - trace: {table: mmio, where: {value: 0x10000000000000000}, count: 1}\n",
     "t.yaml:7:41: column 'value' of table mmio takes a 64-bit integer, got "
     "'0x10000000000000000'"},
    {"  - trace: {table: irq, where: {line: }, count: 1}\n",
     "t.yaml:7:39: column 'line' of table irq takes a 64-bit integer, got an empty value"},
    {"  - trace: {table: irq, where: {event: [deliver]}, count: 1}\n",
     "t.yaml:7:40: column 'event' of table irq takes a string, got a sequence"},
    {"  - trace: {table: fault, where: {detail: {a: 1}}, count: 1}\n",
     "t.yaml:7:43: column 'detail' of table fault takes a string, got a mapping"},
    {"  - trace: {table: irq, where: {event: deliver}}\n",
     "t.yaml:7:12: a trace expectation needs count, min or max"},
    {"  - trace: {table: irq}\n", "t.yaml:7:12: a trace expectation needs count, min or max"},
    {"  - trace: {table: irq, count: 1, min: 1}\n",
     "t.yaml:7:35: count is exact: it takes no min or max"},
    {"  - trace: {table: irq, max: 4, count: 1}\n",
     "t.yaml:7:25: count is exact: it takes no min or max"},
    {"  - trace: {table: irq, min: 5, max: 2}\n", "t.yaml:7:38: max 2 is less than min 5"},
    {"  - trace: {table: irq, count: -1}\n",
     "t.yaml:7:32: expected an integer of at least 0, got '-1'"},
    {"  - trace: {count: 1}\n", "t.yaml:7:12: missing key 'table' in trace expectation"},
    {"  - trace: {table: irq, count: 1, limit: 3}\n",
     "t.yaml:7:35: unknown key 'limit' in trace expectation (expected one of: table, where, "
     "count, min, max)"},
    {"  - trace: {table: irq, where: [line], count: 1}\n",
     "t.yaml:7:32: expected a mapping, got a sequence"},
    {"  - trace: {table: [irq], count: 1}\n", "t.yaml:7:20: expected a string, got a sequence"},
    {"  - trace: [irq]\n", "t.yaml:7:12: expected a mapping, got a sequence"},
    {"  - trace: {table: mmio, where: {cpu: 0, pid: 0, device: d, addr: 0, offset: 0, size: 4,"
     " dir: read, value: 0, latency_ps: 0}, count: 1}\n",
     "t.yaml:7:111: where takes at most 8 columns"},
    {"  - trace: {table: mmio, where: {device: "
     "dev0123456789012345678901234567890123456789012345678901234567890}, count: 1}\n",
     "t.yaml:7:42: a where string is at most 63 bytes, got 64"},
    {"  - {memory: {addr: 0x10, equals: 0}}\n"
     "  - trace: {table: irq, where: {line: 40, pid: x}, count: 1}\n",
     "t.yaml:8:48: column 'pid' of table irq takes a 64-bit integer, got 'x'"},
};

Test(trace_expect, invalid_trace_expectations_are_refused_with_a_position)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct sim_scenario *s;
        struct yml_error err;
        enum iosim_err e = load_expect(c->expect, &s, &err);
        cr_expect_neq(e, IOSIM_OK, "accepted:\n%s", c->expect);
        if (e == IOSIM_OK) {
            sim_scenario_free(s);
            continue;
        }
        cr_expect_null(s);
        cr_expect_str_eq(err.msg, c->error, "got:  %s\nwant: %s\ninput:\n%s", err.msg, c->error,
                         c->expect);
    }
}

/* The list of valid tables comes from sim/trace/trace_tables.h, which grows. */
Test(trace_expect, unknown_table_is_refused_with_the_tables_it_may_count)
{
    char want[1024];
    cr_assert_eq(sim_families_init(), IOSIM_OK); /* the loader lists the families' tables too */
    int n = snprintf(want, sizeof want, "t.yaml:7:20: unknown table 'bogus' (expected one of: ");
    const char *sep = "";
    for (uint32_t t = 0; t < sim_trace_table_count(); t++) {
        if (t == SIM_TRACE_TABLE_expectation)
            continue;
        n += snprintf(want + n, sizeof want - (size_t)n, "%s%s", sep,
                      sim_trace_table_info(t)->name);
        sep = ", ";
    }
    snprintf(want + n, sizeof want - (size_t)n, ")");
    cr_assert(strstr(want, "process, sched, mmio, dma, iommu, irq, ring_op, fault, log, "
                           "bufpool_op") != NULL, "%s", want);
    struct sim_scenario *s;
    struct yml_error err;
    cr_assert_neq(load_expect("  - trace: {table: bogus, count: 1}\n", &s, &err), IOSIM_OK);
    cr_expect_str_eq(err.msg, want);
}

/* The CLI treats a bad trace expectation like any load error: exit 2. */
Test(trace_expect, cli_exits_2_with_the_position_when_a_trace_expectation_is_bad)
{
    char dir[] = "/tmp/iosim-trace-expect-XXXXXX", path[128], out[160], cmd[512];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/bad.yaml", dir);
    snprintf(out, sizeof out, "%s/err.txt", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "%s  - trace: {table: irq, count: 1, min: 1}\n", header);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' run '%s' >/dev/null 2>'%s'", IOSIM_BINARY, path, out);
    int st = system(cmd);
    char line[512] = "";
    f = fopen(out, "r");
    cr_assert_not_null(f);
    if (fgets(line, sizeof line, f) == NULL)
        line[0] = '\0';
    fclose(f);
    unlink(out);
    unlink(path);
    rmdir(dir);
    cr_expect(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d", st);
    char want[300];
    snprintf(want, sizeof want, "%s:7:35: count is exact: it takes no min or max\n", path);
    cr_expect_str_eq(line, want);
}

/* ---- matching and the message ---------------------------------------------- */

Test(trace_expect, rows_match_on_table_and_every_where_column)
{
    struct sim_scenario *s = load_ok(
        "  - trace: {table: irq, where: {event: deliver, line: 40}, min: 1}\n"
        "  - trace: {table: irq, where: {device: \"\"}, min: 1}\n"
        "  - trace: {table: irq, count: 0}\n");
    const struct sim_expect *both = &s->expects[0], *empty = &s->expects[1], *any = &s->expects[2];
    /* irq: line, event, pid, device */
    struct sim_trace_value row[4] = {
        {.kind = SIM_TRACE_KIND_INT, .value = 40},
        {.kind = SIM_TRACE_KIND_SYM, .str = "deliver"},
        {.kind = SIM_TRACE_KIND_INT, .value = 2},
        {.kind = SIM_TRACE_KIND_SYM, .str = ""},
    };
    cr_expect(sim_expect_trace_matches(both, SIM_TRACE_TABLE_irq, row, 4));
    cr_expect(sim_expect_trace_matches(empty, SIM_TRACE_TABLE_irq, row, 4));
    cr_expect(sim_expect_trace_matches(any, SIM_TRACE_TABLE_irq, row, 4));
    cr_expect(!sim_expect_trace_matches(any, SIM_TRACE_TABLE_mmio, row, 4), "another table");
    row[0].value = 41;
    cr_expect(!sim_expect_trace_matches(both, SIM_TRACE_TABLE_irq, row, 4), "another line");
    row[0].value = 40;
    row[1].str = "deliverx";
    cr_expect(!sim_expect_trace_matches(both, SIM_TRACE_TABLE_irq, row, 4), "not a prefix");
    row[1].str = NULL;
    cr_expect(!sim_expect_trace_matches(both, SIM_TRACE_TABLE_irq, row, 4), "NULL is no string");
    row[3].str = NULL;
    cr_expect(!sim_expect_trace_matches(empty, SIM_TRACE_TABLE_irq, row, 4), "NULL is not ''");
    sim_scenario_free(s);
}

/* A table a model family registers at start-up is counted like a core one
 * (each Test runs in a process of its own, so the registration stays here). */
SIM_TRACE_TABLE_DEF(fake_xfer, (INT, slot), (SYM, status));

Test(trace_expect, registered_table_is_accepted_and_its_rows_are_counted)
{
    cr_assert_eq(sim_trace_table_register(&fake_xfer_table), IOSIM_OK);
    struct sim_scenario *s =
        load_ok("  - trace: {table: fake_xfer, where: {status: stall}, min: 1}\n");
    const struct sim_expect *x = &s->expects[0];
    cr_expect_eq(x->table, fake_xfer_table.id);
    struct sim_expect_tally ty;
    cr_assert(sim_expect_tally_init(&ty, s));
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, NULL, NULL), IOSIM_OK);
    sim_trace_set_tap(&tr, sim_expect_tally_row, &ty);
    sim_trace_fake_xfer(&tr, 1, 2, "stall");
    sim_trace_fake_xfer(&tr, 2, 2, "ok");
    sim_trace_irq(&tr, 3, 40, "deliver", 1, "dev0");
    cr_expect_eq(sim_expect_tally_rows(&ty, x), 1);
    char msg[SIM_RUN_MSG_MAX];
    sim_expect_trace_text(x, 1, msg, sizeof msg);
    cr_expect_str_eq(msg, "trace fake_xfer where status=stall: 1 row, expected at least 1");
    sim_trace_fini(&tr);
    sim_scenario_free(s);
}

Test(trace_expect, message_names_table_where_rows_and_bounds)
{
    struct sim_scenario *s = load_ok(
        "  - trace: {table: irq, where: {event: deliver, line: 40}, min: 1}\n"
        "  - trace: {table: dma, where: {status: disabled}, count: 0}\n"
        "  - trace: {table: mmio, where: {device: dev0, dir: write}, min: 2, max: 10}\n"
        "  - trace: {table: mmio, where: {device: \"\", pid: -1}, max: 3}\n");
    char msg[SIM_RUN_MSG_MAX];
    sim_expect_trace_text(&s->expects[0], 3, msg, sizeof msg);
    cr_expect_str_eq(msg, "trace irq where event=deliver line=40: 3 rows, expected at least 1");
    sim_expect_trace_text(&s->expects[1], 1, msg, sizeof msg);
    cr_expect_str_eq(msg, "trace dma where status=disabled: 1 row, expected exactly 0");
    sim_expect_trace_text(&s->expects[2], 0, msg, sizeof msg);
    cr_expect_str_eq(msg, "trace mmio where device=dev0 dir=write: 0 rows, expected between 2 "
                          "and 10");
    sim_expect_trace_text(&s->expects[3], 4, msg, sizeof msg);
    cr_expect_str_eq(msg, "trace mmio where device='' pid=-1: 4 rows, expected at most 3");
    char small[16];
    sim_expect_trace_text(&s->expects[0], 3, small, sizeof small);
    cr_expect_str_eq(small, "trace irq where", "cut to the buffer");
    sim_scenario_free(s);
}

/* ---- runs ------------------------------------------------------------------ */

/* A driver that writes dev0's SCRATCH three times, then has it copy 64
 * bytes and waits for the interrupt on line 40. MMIO writes: 3 + 4. */
static const char *const machine_text =
    "scenario: trace-run\n"
    "machine: {cpus: 1, memory: 16MiB}\n"
    "devices:\n"
    "  - {name: dev0, type: testdev, mmio: 0xfe000000, irq: 40}\n"
    "processes:\n"
    "  - name: driver\n"
    "    program:\n"
    "      - mmio_write: {device: dev0, offset: 0x04, value: 1}\n"
    "      - mmio_write: {device: dev0, offset: 0x04, value: 2}\n"
    "      - mmio_write: {device: dev0, offset: 0x04, value: 3}\n"
    "      - dma_alloc: {size: 4KiB, into: r1}\n"
    "      - dma_alloc: {size: 4KiB, into: r2}\n"
    "      - mmio_write: {device: dev0, offset: 0x10, size: 8, value: r1}\n"
    "      - mmio_write: {device: dev0, offset: 0x18, size: 8, value: r2}\n"
    "      - mmio_write: {device: dev0, offset: 0x20, value: 64}\n"
    "      - mmio_write: {device: dev0, offset: 0x0c, value: 3}\n"
    "      - irq_wait: {line: 40, timeout: 100us, into: r0}\n"
    "      - assert: {reg: r0, equals: 1, message: completion interrupt}\n"
    "expect:\n"; /* line 19; expectations from line 20 */

static struct sim_scenario *load_run(const char *expect)
{
    char text[4096];
    snprintf(text, sizeof text, "%s%s", machine_text, expect);
    struct sim_scenario *s = NULL;
    struct yml_error err = {{0}};
    cr_assert_eq(sim_scenario_load_string("run.yaml", text, strlen(text), &s, &err), IOSIM_OK,
                 "%s", err.msg);
    return s;
}

static void run_hash_only(struct sim_scenario *s, struct sim_run_result *r)
{
    struct sim_run_opts o = {0};
    cr_assert_eq(sim_run(s, &o, r), IOSIM_OK, "%s", r->message);
}

Test(trace_expect, run_passes_when_the_counts_hold)
{
    struct sim_scenario *s = load_run(
        "  - trace: {table: mmio, where: {device: dev0, dir: write, offset: 4}, count: 3}\n"
        "  - trace: {table: mmio, where: {device: dev0, dir: write}, count: 7}\n"
        "  - trace: {table: mmio, where: {device: dev0, dir: write, value: 2}, count: 1}\n"
        "  - trace: {table: irq, where: {event: deliver, line: 40}, count: 1}\n"
        "  - trace: {table: irq, where: {event: raise, device: dev0}, min: 1, max: 1}\n"
        "  - trace: {table: dma, where: {device: dev0, status: ok}, min: 2}\n"
        "  - trace: {table: dma, where: {status: disabled}, count: 0}\n"
        "  - trace: {table: process, where: {name: driver, kind: program}, count: 1}\n");
    static struct sim_run_result r;
    run_hash_only(s, &r);
    cr_expect(r.passed, "%s", r.failures[0]);
    cr_expect_eq(r.expectations_failed, 0);
    cr_expect_eq(r.expectations_passed, 8 + 1 + 1, "eight trace, one assert, the implicit end");
    sim_scenario_free(s);
}

Test(trace_expect, run_fails_with_the_message_when_a_count_is_off)
{
    struct sim_scenario *s = load_run(
        "  - trace: {table: mmio, where: {device: dev0, dir: write, offset: 4}, count: 3}\n"
        "  - trace: {table: mmio, where: {device: dev0, dir: write, offset: 4}, count: 4}\n"
        "  - trace: {table: irq, where: {event: deliver, line: 41}, min: 1}\n");
    static struct sim_run_result r;
    run_hash_only(s, &r);
    cr_expect(!r.passed);
    cr_expect_eq(r.expectations_failed, 2);
    cr_assert_eq(r.failure_count, 2);
    cr_expect_str_eq(r.failures[0], "run.yaml:21:5: trace mmio where device=dev0 dir=write "
                                    "offset=4: 3 rows, expected exactly 4");
    cr_expect_str_eq(r.failures[1], "run.yaml:22:5: trace irq where event=deliver line=41: "
                                    "0 rows, expected at least 1");
    sim_scenario_free(s);
}

/* Trace expectations add their own expectation rows and nothing else: the
 * rest of the trace is the same with or without them. */
Test(trace_expect, counting_adds_only_the_expectation_rows)
{
    struct sim_scenario *plain = load_run("  - counter: {name: mmio.writes, equals: 7}\n");
    struct sim_scenario *counted = load_run(
        "  - counter: {name: mmio.writes, equals: 7}\n"
        "  - trace: {table: mmio, min: 1}\n"
        "  - trace: {table: sched, min: 1}\n");
    static struct sim_run_result a, b;
    run_hash_only(plain, &a);
    run_hash_only(counted, &b);
    cr_expect(a.passed && b.passed, "%s / %s", a.failures[0], b.failures[0]);
    cr_expect_eq(b.trace_rows, a.trace_rows + 2);
    cr_expect_eq(b.end_ps, a.end_ps);
    sim_scenario_free(plain);
    sim_scenario_free(counted);
}

/* The verdict is the same whether or not a database records the run, and
 * the database holds it as a `trace` expectation row. */
Test(trace_expect, verdict_and_hash_are_the_same_when_a_db_records_the_run)
{
    struct sim_scenario *s = load_run(
        "  - trace: {table: mmio, where: {device: dev0, dir: write, offset: 4}, count: 4}\n");
    static struct sim_run_result hash_only, with_db;
    run_hash_only(s, &hash_only);
    char dir[] = "/tmp/iosim-trace-expect-XXXXXX", path[128], msg[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
    struct sim_trace_db *db = NULL;
    cr_assert_eq(sim_trace_db_open(path, &db, msg, sizeof msg), IOSIM_OK, "%s", msg);
    struct sim_run_opts o = {.db = db};
    cr_assert_eq(sim_run(s, &o, &with_db), IOSIM_OK, "%s", with_db.message);
    sim_trace_db_close(db);
    cr_expect_eq(with_db.trace_hash, hash_only.trace_hash);
    cr_expect(!with_db.passed && !hash_only.passed);
    cr_expect_str_eq(with_db.failures[0], hash_only.failures[0]);
    sqlite3 *q = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open(path, &q), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(q,
                                    "SELECT kind || '|' || location || '|' || result || '|' ||"
                                    " message FROM expectation WHERE kind = 'trace'",
                                    -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(q));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 0),
                     "trace|run.yaml:20:5|fail|trace mmio where device=dev0 dir=write "
                     "offset=4: 3 rows, expected exactly 4");
    cr_expect_eq(sqlite3_step(st), SQLITE_DONE, "one trace expectation row");
    sqlite3_finalize(st);
    sqlite3_close(q);
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
    rmdir(dir);
    sim_scenario_free(s);
}
