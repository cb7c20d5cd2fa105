/* sim/trace, registered tables: a model family's own tables, described with
 * SIM_TRACE_TABLE_DEF and registered at start-up. Registration (ids after
 * the core tables, lookup, descriptions, CREATE statements) and every
 * refusal; rows through the generated emitters landing in the file, for
 * both ways of writing; the hash (recomputed from the file, derived from the
 * table's name and not from the registration order); a core row through
 * sim_trace_row equal to the typed emitter's; files written by programs
 * that know fewer or other tables; rows that do not fit their table.
 *
 * Registration is process-global, and it closes for good once a db is
 * opened. Criterion runs each Test in a process of its own (the default;
 * these tests rely on it), so each test starts with the core tables only
 * and what it registers is gone in the next. Tests that need another
 * process's registrations fork children. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/trace/trace.h"
#include "tests/sim/trace/trace_test_util.h"

TestSuite(trace_registered, .init = scratch_make, .fini = scratch_drop);

/* Two tables of a "blink" family, as its model file would describe them. */
SIM_TRACE_TABLE_DEF(blink_op, (INT, reg), (SYM, op), (TEXT, note));
SIM_TRACE_TABLE_DEF(blink_led, (INT, on));
/* Names that are SQL keywords work: they are quoted in every statement. */
SIM_TRACE_TABLE_DEF(values, (INT, from), (SYM, where), (TEXT, order));
/* Registered by one test only, to shift the others' ids. */
SIM_TRACE_TABLE_DEF(blink_other, (SYM, z));
/* Never registered: emitting into it is a bug. */
SIM_TRACE_TABLE_DEF(blink_unregistered, (INT, x));

static void register_ok(struct sim_trace_table_def *def)
{
    cr_assert_eq(sim_trace_table_register(def), IOSIM_OK, "%s", def->name);
}

static void register_blink(void)
{
    register_ok(&blink_op_table);
    register_ok(&blink_led_table);
}

/* One run of emit's rows on db (NULL: hash only); with a db, its hash
 * recomputed from the file must be the live one. Returns the hash. */
static uint64_t run_checked(struct sim_trace_db *db, void (*emit)(struct sim_trace *))
{
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    emit(&tr);
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
    uint64_t live = sim_trace_hash(&tr), again = 0;
    char msg[256];
    if (db != NULL) {
        cr_assert_eq(sim_trace_db_run_hash(db, sim_trace_run_id(&tr), &again, NULL, msg,
                                           sizeof msg),
                     IOSIM_OK, "%s", msg);
        cr_expect_eq(again, live, "the hash recomputed from the file");
    }
    sim_trace_fini(&tr);
    return live;
}

/* ---- registering ------------------------------------------------------------ */

Test(trace_registered, registered_tables_follow_the_core_ones_and_are_found_by_name)
{
    cr_assert_eq(sim_trace_table_count(), SIM_TRACE_TABLE_COUNT, "a fresh process");
    cr_assert_eq(blink_op_table.id, SIM_TRACE_TABLE_NONE);
    register_blink();
    cr_expect_eq(blink_op_table.id, SIM_TRACE_TABLE_COUNT);
    cr_expect_eq(blink_led_table.id, SIM_TRACE_TABLE_COUNT + 1);
    cr_expect_eq(sim_trace_table_count(), SIM_TRACE_TABLE_COUNT + 2);
    register_ok(&blink_op_table); /* again: nothing changes */
    cr_expect_eq(blink_op_table.id, SIM_TRACE_TABLE_COUNT);
    cr_expect_eq(sim_trace_table_count(), SIM_TRACE_TABLE_COUNT + 2);

    uint32_t id = 0;
    cr_expect(sim_trace_table_find("blink_led", &id));
    cr_expect_eq(id, blink_led_table.id);
    cr_expect(sim_trace_table_find("mmio", &id));
    cr_expect_eq(id, SIM_TRACE_TABLE_mmio);
    cr_expect(!sim_trace_table_find("blink", &id));
    cr_expect(sim_trace_table_find("blink_op", NULL));

    const struct sim_trace_table_info *ti = sim_trace_table_info(blink_op_table.id);
    cr_assert_not_null(ti);
    cr_expect_str_eq(ti->name, "blink_op");
    cr_expect_eq(ti->ncols, 3);
    static const char *const names[] = {"reg", "op", "note"};
    static const enum sim_trace_kind kinds[] = {SIM_TRACE_KIND_INT, SIM_TRACE_KIND_SYM,
                                                SIM_TRACE_KIND_TEXT};
    for (uint32_t c = 0; c < 3; c++) {
        cr_expect_str_eq(ti->col_names[c], names[c]);
        cr_expect_eq(ti->col_kinds[c], kinds[c]);
    }
    cr_expect_str_eq(ti->create_sql,
                     "CREATE TABLE IF NOT EXISTS \"blink_op\"(run_id INTEGER NOT NULL REFERENCES"
                     " run(id), seq INTEGER NOT NULL, t_ps INTEGER NOT NULL, \"reg\" INTEGER,"
                     " \"op\" TEXT, \"note\" TEXT)");
    cr_expect_str_eq(sim_trace_table_info(SIM_TRACE_TABLE_irq)->name, "irq", "core ids stay");
}

/* A refused description changes nothing, and its id stays NONE. */
static void expect_refused(struct sim_trace_table_def *def, enum iosim_err want, const char *why)
{
    uint32_t before = sim_trace_table_count();
    cr_expect_eq(sim_trace_table_register(def), want, "%s", why);
    cr_expect_eq(def->id, SIM_TRACE_TABLE_NONE, "%s", why);
    cr_expect_eq(sim_trace_table_count(), before, "%s", why);
}

static const char *const one_col[] = {"v"};
static const enum sim_trace_kind one_int[] = {SIM_TRACE_KIND_INT};

static struct sim_trace_table_def named(const char *name)
{
    return (struct sim_trace_table_def){name, 1, one_col, one_int, SIM_TRACE_TABLE_NONE};
}

Test(trace_registered, table_names_are_refused_when_malformed_reserved_or_taken)
{
    register_blink();
    char longest[SIM_TRACE_NAME_MAX + 2];
    memset(longest, 'a', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0'; /* one byte too long */
    const char *const bad[] = {
        NULL, "", "Blink", "1blink", "_blink", "blink-op", "blink op", "blink\"x", "bl;ink",
        "blïnk", longest,
        "meta", "run", "sqlite_blink", "blink_run",  /* the file's other names */
        "mmio", "pcid_req", "blink_op", "blink_led", /* taken */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sim_trace_table_def d = named(bad[i]);
        expect_refused(&d, IOSIM_EINVAL, bad[i] != NULL ? bad[i] : "(null)");
    }
    longest[SIM_TRACE_NAME_MAX] = '\0'; /* SIM_TRACE_NAME_MAX bytes: fine */
    struct sim_trace_table_def ok = named(longest);
    register_ok(&ok);
    struct sim_trace_table_def copy = blink_op_table; /* its id is not its own */
    uint32_t before = sim_trace_table_count();
    cr_expect_eq(sim_trace_table_register(&copy), IOSIM_EINVAL);
    cr_expect_eq(sim_trace_table_count(), before);
}

Test(trace_registered, columns_are_refused_when_reserved_repeated_malformed_or_too_many)
{
    static const char *const run_id[] = {"a", "run_id"}, *const seq[] = {"seq", "a"},
                             *const t_ps[] = {"t_ps", "a"}, *const twice[] = {"a", "a"},
                             *const upper[] = {"a", "B"}, *const null_name[] = {"a", NULL};
    static const enum sim_trace_kind two_int[] = {SIM_TRACE_KIND_INT, SIM_TRACE_KIND_INT};
    const char *const *const bad_cols[] = {run_id, seq, t_ps, twice, upper, null_name};
    for (size_t i = 0; i < sizeof bad_cols / sizeof bad_cols[0]; i++) {
        struct sim_trace_table_def d = {"blink", 2, bad_cols[i], two_int, SIM_TRACE_TABLE_NONE};
        expect_refused(&d, IOSIM_EINVAL, "a bad column name");
    }
    static const char *const ab[] = {"a", "b"};
    static const enum sim_trace_kind bad_kind[] = {SIM_TRACE_KIND_INT, (enum sim_trace_kind)7};
    struct sim_trace_table_def kind = {"blink", 2, ab, bad_kind, SIM_TRACE_TABLE_NONE};
    expect_refused(&kind, IOSIM_EINVAL, "a kind that is none");
    struct sim_trace_table_def none = {"blink", 0, ab, two_int, SIM_TRACE_TABLE_NONE};
    expect_refused(&none, IOSIM_EINVAL, "no columns");
    struct sim_trace_table_def no_names = {"blink", 2, NULL, two_int, SIM_TRACE_TABLE_NONE};
    expect_refused(&no_names, IOSIM_EINVAL, "no names");
    struct sim_trace_table_def no_kinds = {"blink", 2, ab, NULL, SIM_TRACE_TABLE_NONE};
    expect_refused(&no_kinds, IOSIM_EINVAL, "no kinds");

    static char names[25][8];
    static const char *cols[25];
    static enum sim_trace_kind kinds[25];
    for (int c = 0; c < 25; c++) {
        snprintf(names[c], sizeof names[c], "c%d", c);
        cols[c] = names[c];
        kinds[c] = (enum sim_trace_kind)(c % 3);
    }
    struct sim_trace_table_def wide = {"blink", 25, cols, kinds, SIM_TRACE_TABLE_NONE};
    expect_refused(&wide, IOSIM_EINVAL, "25 columns");
    wide.ncols = 24;
    register_ok(&wide);
}

/* Tables t00.. until every id is taken; returns how many were registered. */
static uint32_t register_until_full(void)
{
    static char names[SIM_TRACE_TABLES_MAX][8];
    static struct sim_trace_table_def defs[SIM_TRACE_TABLES_MAX];
    static const char *const cols[] = {"n", "s"};
    static const enum sim_trace_kind kinds[] = {SIM_TRACE_KIND_INT, SIM_TRACE_KIND_SYM};
    uint32_t k = 0;
    for (;; k++) {
        cr_assert_lt(k, SIM_TRACE_TABLES_MAX);
        snprintf(names[k], sizeof names[k], "t%02u", (unsigned)k);
        defs[k] = (struct sim_trace_table_def){names[k], 2, cols, kinds, SIM_TRACE_TABLE_NONE};
        enum iosim_err e = sim_trace_table_register(&defs[k]);
        if (e == IOSIM_ENOSPC)
            return k;
        cr_assert_eq(e, IOSIM_OK, "%s", names[k]);
    }
}

static void emit_into_last(struct sim_trace *tr)
{
    const struct sim_trace_value row[] = {SIM_TRACE_VALUE_INT(5), SIM_TRACE_VALUE_SYM("last")};
    sim_trace_row(tr, SIM_TRACE_TABLES_MAX - 1, 9, row, 2);
}

Test(trace_registered, registration_is_refused_with_enospc_when_every_id_is_taken)
{
    uint32_t n = register_until_full();
    cr_expect_eq(n, SIM_TRACE_TABLES_MAX - SIM_TRACE_TABLE_COUNT);
    cr_expect_eq(sim_trace_table_count(), SIM_TRACE_TABLES_MAX);
    struct sim_trace_table_def d = named("one_more");
    expect_refused(&d, IOSIM_ENOSPC, "full");
    /* and a file holds them all: a row in the last one goes in and comes back */
    struct sim_trace_db *db = db_open_mode(DB_IN_PROCESS);
    run_checked(db, emit_into_last);
    sim_trace_db_close(db);
    cr_expect_str_eq(sql_text("SELECT format('%%d %%d %%s', seq, n, s) FROM t%02u",
                              (unsigned)(n - 1)),
                     "0 5 last");
}

Test(trace_registered, registration_is_refused_with_ebusy_once_a_db_was_opened)
{
    register_ok(&blink_op_table);
    sim_trace_db_close(db_open_ok());
    expect_refused(&blink_led_table, IOSIM_EBUSY, "a db was opened (and closed since)");
    register_ok(&blink_op_table); /* registered before: still a no-op */
    struct sim_trace_table_def bad = named("Bad");
    expect_refused(&bad, IOSIM_EINVAL, "a bad def is still called bad");
}

/* ---- rows in the file ----------------------------------------------------------- */

static void emit_blink_rows(struct sim_trace *tr)
{
    char note[32];
    snprintf(note, sizeof note, "first");
    sim_trace_blink_op(tr, 10, 0x40, "write", note);
    memset(note, '#', sizeof note - 1); /* TEXT was copied */
    note[sizeof note - 1] = '\0';
    sim_trace_irq(tr, 20, 5, "raise", -1, "blink0");
    sim_trace_blink_led(tr, 30, 1);
    sim_trace_blink_op(tr, 40, INT64_MIN, NULL, "");
}

static void registered_rows_land(enum db_mode mode)
{
    struct sim_trace_db *db = db_open_mode(mode);
    uint64_t live = run_checked(db, emit_blink_rows);
    sim_trace_db_close(db);
    cr_expect_eq(live, run_checked(NULL, emit_blink_rows));
    cr_expect_eq(sql_int("SELECT rows FROM run"), 4);
    char hex[SIM_TRACE_HASH_HEX_LEN + 1];
    sim_trace_hash_format(live, hex);
    cr_expect_str_eq(sql_text("SELECT trace_hash FROM run"), hex);
    cr_expect_str_eq(sql_text("SELECT group_concat(format('%%d %%d %%d %%d %%s %%s', run_id, seq,"
                              " t_ps, reg, quote(op), quote(note)), '|') FROM"
                              " (SELECT * FROM blink_op ORDER BY seq)"),
                     "1 0 10 64 'write' 'first'|1 3 40 -9223372036854775808 NULL ''", "%s",
                     db_mode_name[mode]);
    cr_expect_str_eq(sql_text("SELECT format('%%d %%d %%d %%d', run_id, seq, t_ps, \"on\") FROM"
                              " blink_led"),
                     "1 2 30 1");
    cr_expect_eq(sql_int("SELECT seq FROM irq"), 1);
    cr_expect_str_eq(sql_text("SELECT group_concat(name || ' ' || type, ', ') FROM"
                              " pragma_table_info('blink_op')"),
                     "run_id INTEGER, seq INTEGER, t_ps INTEGER, reg INTEGER, op TEXT, note TEXT");
}

Test(trace_registered, rows_land_with_run_id_seq_t_ps_and_values_when_emitted_by_the_def)
{
    register_blink();
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        registered_rows_land(db_modes[m]);
    }
}

/* Keyword names, the longest names, 24 columns: written, read back, indexed. */
static struct sim_trace_table_def *widest_def(void)
{
    static char names[25][SIM_TRACE_NAME_MAX + 1];
    static const char *cols[24];
    static enum sim_trace_kind kinds[24];
    static struct sim_trace_table_def def;
    for (int i = 0; i < 25; i++) {
        memset(names[i], 'a' + i, SIM_TRACE_NAME_MAX);
        names[i][SIM_TRACE_NAME_MAX] = '\0';
    }
    for (int c = 0; c < 24; c++) {
        cols[c] = names[c + 1];
        kinds[c] = (enum sim_trace_kind)(c % 3);
    }
    def = (struct sim_trace_table_def){names[0], 24, cols, kinds, SIM_TRACE_TABLE_NONE};
    return &def;
}

static void emit_widest(struct sim_trace *tr, uint32_t table)
{
    struct sim_trace_value v[24];
    for (int c = 0; c < 24; c++)
        v[c] = (struct sim_trace_value){.kind = (enum sim_trace_kind)(c % 3), .value = c,
                                        .str = c % 3 == 0 ? NULL : "s"};
    sim_trace_row(tr, table, 1, v, 24);
}

Test(trace_registered, odd_names_work_when_keywords_or_the_longest_allowed)
{
    struct sim_trace_table_def *wide = widest_def();
    register_ok(wide);
    register_ok(&values_table);
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        struct sim_trace_db *db = db_open_mode(db_modes[m]);
        struct sim_trace tr;
        cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
        for (int i = 0; i < 40; i++) { /* more than a group of rows per table */
            emit_widest(&tr, wide->id);
            sim_trace_values(&tr, 2, i, "select", "drop table run");
        }
        cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
        uint64_t h = 0;
        char msg[256];
        cr_assert_eq(sim_trace_db_index(db, msg, sizeof msg), IOSIM_OK, "%s", msg);
        cr_assert_eq(sim_trace_db_run_hash(db, 1, &h, NULL, msg, sizeof msg), IOSIM_OK, "%s", msg);
        cr_expect_eq(h, sim_trace_hash(&tr), "%s", db_mode_name[m]);
        sim_trace_fini(&tr);
        sim_trace_db_close(db);
        cr_expect_eq(sql_int("SELECT sum(\"from\") FROM \"values\" WHERE \"where\" = 'select'"
                             " AND \"order\" = 'drop table run'"),
                     780);
        cr_expect_eq(sql_int("SELECT count(*) FROM %s WHERE %s = 3", wide->name,
                             wide->col_names[3]),
                     40);
        cr_expect_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND"
                             " name IN ('values_run', '%s_run')", wide->name),
                     2);
        cr_expect_eq(sql_int("SELECT count(*) FROM run"), 1, "the run table is still there");
    }
}

/* ---- the hash --------------------------------------------------------------------- */

static void put_le64(unsigned char **p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        *(*p)++ = (unsigned char)(v >> (8 * i));
}

/* A registered table's rows hash with XXH64(name) | 1 << 63 as their table
 * id: the canonical stream of one blink_op row, written out by hand. */
Test(trace_registered, rows_hash_with_an_id_derived_from_the_table_name)
{
    register_ok(&blink_led_table); /* so blink_op's id is not the first free one */
    register_ok(&blink_op_table);
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, NULL, NULL), IOSIM_OK);
    sim_trace_blink_op(&tr, 7, 5, "on", NULL);
    unsigned char buf[64], *p = buf;
    put_le64(&p, sim_trace_xxh64("blink_op", 8, 0) | (UINT64_C(1) << 63));
    put_le64(&p, 7);
    put_le64(&p, 5);
    put_le64(&p, 2);
    memcpy(p, "on\0\0\0\0\0\0", 8);
    p += 8;
    put_le64(&p, UINT64_MAX);
    cr_expect_eq(sim_trace_hash(&tr), sim_trace_xxh64(buf, (size_t)(p - buf), 0));
    sim_trace_fini(&tr);
}

/* Child: registers the defs in the order given, emits the same rows, and
 * writes its hash and blink_op's id to fd. */
static void child_hash(struct sim_trace_table_def *const *defs, size_t n, int fd)
{
    for (size_t i = 0; i < n; i++)
        if (sim_trace_table_register(defs[i]) != IOSIM_OK)
            _exit(10);
    struct sim_trace tr;
    if (sim_trace_init(&tr, NULL, NULL) != IOSIM_OK)
        _exit(11);
    sim_trace_blink_op(&tr, 1, 2, "read", "x");
    sim_trace_blink_led(&tr, 2, 0);
    sim_trace_log(&tr, 3, -1, "blink", "hello");
    sim_trace_blink_op(&tr, 4, 3, "write", NULL);
    uint64_t out[2] = {sim_trace_hash(&tr), blink_op_table.id};
    _exit(write(fd, out, sizeof out) == (ssize_t)sizeof out ? 0 : 12);
}

static void hash_in_child(struct sim_trace_table_def *const *defs, size_t n, uint64_t out[2])
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0)
        child_hash(defs, n, fds[1]);
    close(fds[1]);
    cr_assert_eq(read(fds[0], out, 2 * sizeof out[0]), (ssize_t)(2 * sizeof out[0]));
    close(fds[0]);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
}

Test(trace_registered, hash_is_the_same_whatever_the_registration_order)
{
    struct sim_trace_table_def *const one[] = {&blink_op_table, &blink_led_table};
    struct sim_trace_table_def *const two[] = {&blink_other_table, &blink_led_table,
                                               &blink_op_table};
    uint64_t a[2], b[2];
    hash_in_child(one, 2, a);
    hash_in_child(two, 3, b);
    cr_expect_neq(a[1], b[1], "blink_op got different ids");
    cr_expect_eq(a[0], b[0], "and the same hash");
}

/* A core row through sim_trace_row is the typed emitter's row: same hash,
 * same stored values. */
static void emit_core_typed(struct sim_trace *tr)
{
    sim_trace_mmio(tr, 20, 1, 2, "xhci0", (int64_t)0xfedc000000000000ull, 0x44, 4, "write",
                   0xdeadbeef, 90000, "ok");
    sim_trace_log(tr, 30, -1, "engine", NULL);
}

static void emit_core_generic(struct sim_trace *tr)
{
    const struct sim_trace_value mmio[] = {
        SIM_TRACE_VALUE_INT(1),          SIM_TRACE_VALUE_INT(2),
        SIM_TRACE_VALUE_SYM("xhci0"),    SIM_TRACE_VALUE_INT((int64_t)0xfedc000000000000ull),
        SIM_TRACE_VALUE_INT(0x44),       SIM_TRACE_VALUE_INT(4),
        SIM_TRACE_VALUE_SYM("write"),    SIM_TRACE_VALUE_INT(0xdeadbeef),
        SIM_TRACE_VALUE_INT(90000),      SIM_TRACE_VALUE_SYM("ok")};
    const struct sim_trace_value log[] = {SIM_TRACE_VALUE_INT(-1), SIM_TRACE_VALUE_SYM("engine"),
                                          SIM_TRACE_VALUE_TEXT(NULL)};
    sim_trace_row(tr, SIM_TRACE_TABLE_mmio, 20, mmio, 10);
    sim_trace_row(tr, SIM_TRACE_TABLE_log, 30, log, 3);
}

/* Rows of table t in run a that run b lacks (every column but run_id). */
static int64_t rows_only_in(uint32_t t, int a, int b)
{
    const struct sim_trace_table_info *ti = sim_trace_table_info(t);
    char cols[512] = "seq, t_ps";
    for (uint32_t c = 0; c < ti->ncols; c++)
        snprintf(cols + strlen(cols), sizeof cols - strlen(cols), ", %s", ti->col_names[c]);
    return sql_int("SELECT count(*) FROM (SELECT %s FROM %s WHERE run_id = %d EXCEPT"
                   " SELECT %s FROM %s WHERE run_id = %d)",
                   cols, ti->name, a, cols, ti->name, b);
}

Test(trace_registered, core_row_through_sim_trace_row_equals_the_typed_emitters)
{
    for (size_t m = 0; m < 2; m++) {
        scratch_renew();
        struct sim_trace_db *db = db_open_mode(db_modes[m]);
        uint64_t typed = run_checked(db, emit_core_typed);
        uint64_t generic = run_checked(db, emit_core_generic);
        sim_trace_db_close(db);
        cr_expect_eq(typed, generic, "%s", db_mode_name[m]);
        cr_expect_eq(typed, run_checked(NULL, emit_core_generic));
        const uint32_t tables[] = {SIM_TRACE_TABLE_mmio, SIM_TRACE_TABLE_log};
        for (size_t i = 0; i < 2; i++) {
            cr_expect_eq(rows_only_in(tables[i], 1, 2), 0, "%s", db_mode_name[m]);
            cr_expect_eq(rows_only_in(tables[i], 2, 1), 0, "%s", db_mode_name[m]);
        }
        cr_expect_eq(sql_int("SELECT count(*) FROM mmio"), 2);
        cr_expect_eq(sql_int("SELECT count(DISTINCT trace_hash) FROM run"), 1);
    }
}

/* ---- files of other programs --------------------------------------------------- */

/* Child: registers defs[0..n), writes one run of a blink_op row (if it knows
 * the table) and an irq row into g_path, and exits. */
static void child_write(struct sim_trace_table_def *const *defs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sim_trace_table_register(defs[i]) != IOSIM_OK)
            _exit(10);
    struct sim_trace_db *db = NULL;
    if (sim_trace_db_open(g_path, &db, NULL, 0) != IOSIM_OK)
        _exit(11);
    struct sim_trace tr;
    if (sim_trace_init(&tr, db, NULL) != IOSIM_OK)
        _exit(12);
    if (blink_op_table.id != SIM_TRACE_TABLE_NONE)
        sim_trace_blink_op(&tr, 1, 1, "read", "child");
    sim_trace_irq(&tr, 2, 5, "raise", -1, "blink0");
    if (sim_trace_finish(&tr, PASS_RESULT) != IOSIM_OK)
        _exit(13);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    _exit(0);
}

static void write_in_child(struct sim_trace_table_def *const *defs, size_t n)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0)
        child_write(defs, n);
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
}

/* As for tables appended to the core list: a file written by a program
 * that knew fewer tables gains the registered ones when opened. One mode
 * per test: the child must be forked before this process registers, and
 * this process cannot register after its first open. */
static void file_gains_tables(enum db_mode mode)
{
    write_in_child(NULL, 0);
    cr_expect_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE name LIKE 'blink%%'"), 0);
    register_blink();
    struct sim_trace_db *db = db_open_mode(mode);
    run_checked(db, emit_blink_rows);
    sim_trace_db_close(db);
    cr_expect_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE name LIKE 'blink%%'"), 2);
    cr_expect_eq(sql_int("SELECT \"on\" FROM blink_led WHERE run_id = 2"), 1, "%s",
                 db_mode_name[mode]);
    cr_expect_eq(sql_int("SELECT count(*) FROM blink_op WHERE run_id = 2"), 2);
}

Test(trace_registered, file_gains_registered_tables_when_opened_by_a_program_with_them_writer)
{
    file_gains_tables(DB_WRITER);
}

Test(trace_registered, file_gains_registered_tables_when_opened_by_a_program_with_them_inproc)
{
    file_gains_tables(DB_IN_PROCESS);
}

/* A file holding a table this program does not know is opened and written
 * as any other; that table is left alone (no index either), and a run with
 * rows in it cannot be recomputed here (its seq has a gap). One mode per
 * test: a child forked after this process opened a db could not register. */
static void unknown_table_left_alone(enum db_mode mode)
{
    struct sim_trace_table_def *const defs[] = {&blink_op_table};
    write_in_child(defs, 1);
    cr_assert(!sim_trace_table_find("blink_op", NULL));
    struct sim_trace_db *db = db_open_mode(mode);
    uint64_t h = 0;
    char msg[256];
    cr_expect_eq(sim_trace_db_run_hash(db, 1, &h, NULL, msg, sizeof msg), IOSIM_EPROTO, "%s",
                 db_mode_name[mode]);
    cr_expect_neq(strstr(msg, "row seq 1 where 0 was expected"), NULL, "%s", msg);
    cr_expect_eq(run_checked(db, emit_core_typed), run_checked(NULL, emit_core_typed));
    cr_assert_eq(sim_trace_db_index(db, msg, sizeof msg), IOSIM_OK, "%s", msg);
    sim_trace_db_close(db);
    cr_expect_str_eq(sql_text("SELECT format('%%d %%d %%s %%s', run_id, reg, op, note) FROM"
                              " blink_op"),
                     "1 1 read child");
    cr_expect_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE name = 'blink_op_run'"), 0);
    cr_expect_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE name = 'irq_run'"), 1);
}

Test(trace_registered, unknown_table_is_left_alone_when_another_program_registered_it_writer)
{
    unknown_table_left_alone(DB_WRITER);
}

Test(trace_registered, unknown_table_is_left_alone_when_another_program_registered_it_inproc)
{
    unknown_table_left_alone(DB_IN_PROCESS);
}

/* ---- rows that do not fit their table ------------------------------------------- */

enum bad_row { BAD_UNKNOWN_ID, BAD_NONE_ID, BAD_TOO_FEW, BAD_TOO_MANY, BAD_KIND };

/* Child: emits one bad row. With assertions it aborts; without, the row is
 * dropped (neither counted nor hashed) and the run has a sticky EINVAL. */
static void child_bad_row(enum bad_row how)
{
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
        (void)dup2(null, STDERR_FILENO); /* the assertion's report */
    struct sim_trace tr;
    if (sim_trace_init(&tr, NULL, NULL) != IOSIM_OK)
        _exit(10);
    sim_trace_blink_op(&tr, 1, 2, "read", "ok");
    uint64_t h = sim_trace_hash(&tr);
    const struct sim_trace_value v[] = {SIM_TRACE_VALUE_INT(1), SIM_TRACE_VALUE_SYM("a"),
                                        SIM_TRACE_VALUE_TEXT("b"), SIM_TRACE_VALUE_INT(4)};
    const struct sim_trace_value kind[] = {SIM_TRACE_VALUE_INT(1), SIM_TRACE_VALUE_TEXT("a"),
                                           SIM_TRACE_VALUE_TEXT("b")};
    switch (how) {
    case BAD_UNKNOWN_ID:
        sim_trace_row(&tr, sim_trace_table_count(), 2, v, 3);
        break;
    case BAD_NONE_ID:
        sim_trace_blink_unregistered(&tr, 2, 1);
        break;
    case BAD_TOO_FEW:
        sim_trace_row(&tr, blink_op_table.id, 2, v, 2);
        break;
    case BAD_TOO_MANY:
        sim_trace_row(&tr, blink_op_table.id, 2, v, 4);
        break;
    case BAD_KIND:
        sim_trace_row(&tr, blink_op_table.id, 2, kind, 3);
        break;
    }
    bool dropped = sim_trace_rows(&tr) == 1 && sim_trace_hash(&tr) == h &&
                   sim_trace_error(&tr, NULL, 0) == IOSIM_EINVAL;
    _exit(dropped ? 0 : 1);
}

Test(trace_registered, row_that_does_not_fit_its_table_asserts_or_is_dropped_with_an_error)
{
    register_ok(&blink_op_table);
    for (int how = BAD_UNKNOWN_ID; how <= BAD_KIND; how++) {
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0)
            child_bad_row((enum bad_row)how);
        int status = 0;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
#ifdef NDEBUG
        cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "case %d: status %#x", how,
                  status);
#else
        cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "case %d: status %#x", how,
                  status);
#endif
    }
}
