/* reports/compare: endpoints pair by role, not number - tiny databases
 * of two runs written here (run and usb_xfer, the columns compare
 * reads): numbers that differ with roles that agree (all matched), a
 * second bulk IN endpoint without a partner (all missing), order by first
 * transfer with ties by number, and the notes that name both numbers. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reports/compare.h"

static char path[64];
static sqlite3 *db;

static void open_db(void)
{
    snprintf(path, sizeof path, "/tmp/iosim-roles-%ld.db", (long)getpid());
    unlink(path);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "CREATE TABLE run (id INTEGER PRIMARY KEY, scenario TEXT, policy TEXT,"
                              " seed INTEGER);"
                              "CREATE TABLE usb_xfer (run_id INTEGER, seq INTEGER, device TEXT,"
                              " urb INTEGER, bus INTEGER, devnum INTEGER, ep INTEGER, dir TEXT,"
                              " xfer TEXT, setup TEXT, requested INTEGER, actual INTEGER,"
                              " status INTEGER, submit_ps INTEGER, t_ps INTEGER, data TEXT);"
                              "INSERT INTO run VALUES (1, 'a', 'capture', 0), (2, 'b', 'random', 1);",
                              NULL, NULL, NULL),
                 SQLITE_OK);
}

static void close_db(void)
{
    sqlite3_close(db);
    unlink(path);
}

/* One transfer of run (1: A, 2: B), device bus1/dev 5 on A and xhci0/dev 1
 * on B, completing 10 us after t_us. */
static void xfer(int run, int ep, const char *dir, const char *type, int bytes, int t_us)
{
    static int seq;
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO usb_xfer VALUES (%d, %d, '%s', 0, %d, %d, %d, '%s', '%s', NULL, %d, %d, 0,"
             " %" PRId64 ", %" PRId64 ", NULL)",
             run, ++seq, run == 1 ? "bus1" : "xhci0", run == 1 ? 1 : 0, run == 1 ? 5 : 1, ep, dir,
             type, bytes, bytes, (int64_t)t_us * 1000000, (int64_t)(t_us + 10) * 1000000);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
}

/* Three bulk-only commands (CBW out, data in, CSW in) on a run's bulk
 * pipes, from t_us. */
static void commands(int run, int ep_in, int ep_out, int t_us)
{
    for (int i = 0; i < 3; i++) {
        xfer(run, ep_out, "out", "bulk", 31, t_us + 100 * i);
        xfer(run, ep_in, "in", "bulk", 512, t_us + 100 * i + 20);
        xfer(run, ep_in, "in", "bulk", 13, t_us + 100 * i + 40);
    }
}

static bool has_note(const struct cmp_report *r, const char *text)
{
    for (size_t i = 0; i < r->nnotes; i++)
        if (strcmp(r->notes[i], text) == 0)
            return true;
    return false;
}

static const struct cmp_kind *kind(const struct cmp_report *r, const char *name)
{
    for (size_t i = 0; i < r->nkinds; i++)
        if (r->kinds[i].level == CMP_USB && strcmp(r->kinds[i].name, name) == 0)
            return &r->kinds[i];
    return NULL;
}

static void compute(struct cmp_report *r)
{
    char msg[256] = "";
    sqlite3_close(db);
    db = NULL;
    cr_assert_eq(cmp_compute(path, 1, 2, r, msg, sizeof msg), IOSIM_OK, "%s", msg);
}

Test(compare_roles, numbers_differ_roles_agree_all_matched, .init = open_db, .fini = close_db)
{
    /* A: a JMS566-like enclosure with bulk 4 in / 5 out and an interrupt
     * pipe 3; B: the simulated stick's 1 in / 2 out, interrupt 7 */
    xfer(1, 0, "in", "control", 18, 0);
    xfer(1, 0, "out", "control", 0, 5);
    xfer(1, 3, "in", "interrupt", 2, 8);
    commands(1, 4, 5, 10);
    xfer(2, 0, "in", "control", 18, 1000);
    xfer(2, 0, "out", "control", 0, 1005);
    xfer(2, 7, "in", "interrupt", 2, 1008);
    commands(2, 1, 2, 1010);
    struct cmp_report r;
    compute(&r);
    const struct cmp_level *u = &r.level[CMP_USB];
    cr_expect_eq(r.tp_level, CMP_USB);
    cr_expect_eq(u->matched, 12, "matched %zu", u->matched);
    cr_expect_eq(u->missing + u->extra + u->mismatched, 0);
    cr_expect_eq(r.ndiv, 0);
    cr_expect(has_note(&r, "usb device 1 bulk in #1: A ep 4, B ep 1"));
    cr_expect(has_note(&r, "usb device 1 bulk out #1: A ep 5, B ep 2"));
    cr_expect(has_note(&r, "usb device 1 interrupt in #1: A ep 3, B ep 7"));
    for (size_t i = 0; i < r.nnotes; i++) /* endpoint 0 agrees: no note */
        cr_expect_null(strstr(r.notes[i], "control"), "%s", r.notes[i]);
    /* kinds by role: both runs' samples in one kind */
    const char *names[] = {"bulk in #1 512 B", "bulk in #1 13 B", "bulk out #1 31 B",
                           "interrupt in #1 2 B", "control in 18 B", "control out 0 B"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct cmp_kind *k = kind(&r, names[i]);
        cr_assert_not_null(k, "%s", names[i]);
        cr_expect(k->na > 0 && k->na == k->nb, "%s: %zu %zu", names[i], k->na, k->nb);
    }
    cr_expect_eq(r.nkinds, 6);
    cmp_report_free(&r);
}

Test(compare_roles, second_bulk_in_without_partner_is_all_missing, .init = open_db,
     .fini = close_db)
{
    /* A's bulk in endpoints: 3 (first used at 10 us) and 1 (at 500 us):
     * by first transfer, 3 is #1 and pairs with B's only one, 6 */
    commands(1, 3, 2, 10);
    xfer(1, 1, "in", "bulk", 64, 500);
    xfer(1, 1, "in", "bulk", 64, 510);
    commands(2, 6, 2, 10);
    struct cmp_report r;
    compute(&r);
    const struct cmp_level *u = &r.level[CMP_USB];
    cr_expect_eq(u->matched, 9, "matched %zu", u->matched);
    cr_expect_eq(u->missing, 2, "missing %zu", u->missing);
    cr_expect_eq(u->extra + u->mismatched, 0);
    cr_expect(has_note(&r, "usb device 1 bulk in #1: A ep 3, B ep 6"));
    cr_expect(has_note(&r, "usb device 1 bulk in #2: A ep 1, B none"));
    cr_expect_not(has_note(&r, "usb device 1 bulk out #1: A ep 2, B ep 2"));
    cr_expect_eq(r.ndiv, 3, "ndiv %zu", r.ndiv); /* heading, both missing; no match before */
    cr_expect_str_eq(r.div[0], "first divergence: usb device 1 bulk in #2 (A ep 1, B none), A#1 / B#1");
    const struct cmp_kind *k = kind(&r, "bulk in #2 64 B");
    cr_assert_not_null(k);
    cr_expect(k->na == 2 && k->nb == 0);
    cmp_report_free(&r);
}

Test(compare_roles, ties_by_endpoint_number, .init = open_db, .fini = close_db)
{
    /* A's bulk in 2 and 1 start at the same time: 1 is #1; B's 9 and 8
     * too: 8 is #1 */
    xfer(1, 2, "in", "bulk", 100, 10);
    xfer(1, 1, "in", "bulk", 200, 10);
    xfer(2, 9, "in", "bulk", 100, 10);
    xfer(2, 8, "in", "bulk", 200, 10);
    struct cmp_report r;
    compute(&r);
    cr_expect_eq(r.level[CMP_USB].matched, 2);
    cr_expect(has_note(&r, "usb device 1 bulk in #1: A ep 1, B ep 8"));
    cr_expect(has_note(&r, "usb device 1 bulk in #2: A ep 2, B ep 9"));
    cr_expect_not_null(kind(&r, "bulk in #1 200 B"));
    cr_expect_not_null(kind(&r, "bulk in #2 100 B"));
    cmp_report_free(&r);
}
