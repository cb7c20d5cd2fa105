/* sim/trace's writer process: a simulating process killed half-way, a
 * writer killed half-way, reaping and descriptors, the parent's death seen
 * through a fork that holds the socket, and when a db writes in-process
 * instead. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/trace/trace.h"
#include "tests/sim/trace/trace_test_util.h"

/* Orphaned writers become ours, so a test can wait for them. */
static void writer_setup(void)
{
    scratch_make();
    cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
}

TestSuite(trace_writer, .init = writer_setup, .fini = scratch_drop);

static void emit_mmio(struct sim_trace *tr, uint64_t from, uint64_t n)
{
    for (uint64_t i = from; i < from + n; i++)
        sim_trace_mmio(tr, i * 1000, 0, 1, "xhci0", 0xfe000000, (int64_t)(i % 256), 4,
                       i % 3 ? "read" : "write", (int64_t)i, 90000, "ok");
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    int n = 0;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

static void expect_reaped(pid_t pid)
{
    errno = 0;
    cr_expect_eq(waitpid(pid, NULL, WNOHANG), -1, "writer %d is no child of ours any more",
                 (int)pid);
    cr_expect_eq(errno, ECHILD);
}

/* Waits for a process that must exit on its own, and says how it did. */
static int wait_exit(pid_t pid)
{
    int status = 0;
    pid_t w;
    do
        w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    cr_assert_eq(w, pid);
    return status;
}

/* The rows of the one run in the file: a gap-free prefix of lo..hi rows. */
static void expect_prefix(int64_t lo, int64_t hi)
{
    int64_t n = sql_int("SELECT count(*) FROM mmio");
    cr_expect(n >= lo && n <= hi, "%lld rows, want %lld..%lld", (long long)n, (long long)lo,
              (long long)hi);
    cr_expect_eq(sql_int("SELECT coalesce(max(seq) + 1, 0) FROM mmio"), n, "no gaps");
    cr_expect_eq(sql_int("SELECT count(*) FROM mmio WHERE seq <> value"), 0);
}

/* ---- the simulating process dies ------------------------------------------ */

/* Child: emits rows, tells the test its writer's pid, then dies by SIGKILL
 * (after forking a process that keeps its end of the socket open, if
 * hold_fd >= 0: that one waits for a byte on hold_fd). */
static _Noreturn void child_emit_and_die(int pid_fd, uint64_t rows, int hold_fd)
{
    struct sim_trace_db *db = db_open_mode(DB_WRITER);
    if (sim_trace_db_set_batch_rows(db, 1000) != IOSIM_OK)
        _exit(11);
    struct sim_trace tr;
    if (sim_trace_init(&tr, db, NULL) != IOSIM_OK)
        _exit(12);
    emit_mmio(&tr, 0, rows);
    pid_t writer = sim_trace_db_writer_pid(db);
    if (hold_fd >= 0 && fork() == 0) {
        char c;
        (void)!read(hold_fd, &c, 1);
        _exit(0);
    }
    (void)!write(pid_fd, &writer, sizeof writer);
    raise(SIGKILL);
    _exit(13);
}

static pid_t start_dying_child(uint64_t rows, int hold_fd, pid_t *writer)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(p[0]);
        child_emit_and_die(p[1], rows, hold_fd);
    }
    close(p[1]);
    cr_assert_eq(read(p[0], writer, sizeof *writer), (ssize_t)sizeof *writer);
    close(p[0]);
    cr_assert_gt(*writer, 0);
    int status = wait_exit(pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %#x", status);
    return pid;
}

Test(trace_writer, rows_sent_are_committed_when_simulating_process_is_killed)
{
    pid_t writer;
    (void)start_dying_child(3500, -1, &writer);
    int status = wait_exit(writer); /* it saw end of file, committed, exited */
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer status %#x", status);
    cr_expect_str_eq(sql_text("PRAGMA integrity_check"), "ok");
    cr_expect_str_eq(sql_text("SELECT status || ' ' || coalesce(trace_hash, 'none') FROM run"),
                     "incomplete none");
    /* the rows that reached the writer; a message still in the dying
     * process's buffer is lost with it, never half-written */
    expect_prefix(2000, 3500);
    struct sim_trace_db *db = db_open_ok(); /* the file is still usable */
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    cr_expect_eq(sim_trace_run_id(&tr), 2);
    cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
}

/* ---- the writer dies -------------------------------------------------------- */

Test(trace_writer, run_gets_sticky_error_when_writer_is_killed)
{
    struct sim_trace_db *db = db_open_mode(DB_WRITER);
    struct sim_trace tr, ref;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    sim_trace_init(&ref, NULL, NULL);
    emit_mmio(&tr, 0, 100);
    pid_t writer = sim_trace_db_writer_pid(db);
    cr_assert_eq(kill(writer, SIGKILL), 0);
    emit_mmio(&tr, 100, 5000); /* several sends' worth: they fail, hashing goes on */
    emit_mmio(&ref, 0, 5100);
    char msg[256];
    cr_expect_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_ESHUTDOWN);
    cr_expect_eq(sim_trace_error(&tr, msg, sizeof msg), IOSIM_ESHUTDOWN);
    cr_expect_neq(strstr(msg, "trace writer process"), NULL, "%s", msg);
    cr_expect_neq(strstr(msg, "died (killed by signal 9)"), NULL, "%s", msg);
    cr_expect_eq(sim_trace_rows(&tr), 5100);
    cr_expect_eq(sim_trace_hash(&tr), sim_trace_hash(&ref));
    sim_trace_fini(&tr);
    sim_trace_fini(&ref);
    expect_reaped(writer); /* reaped when its death was noticed */
    cr_expect_eq(sim_trace_db_writer_pid(db), 0);
    struct sim_trace again; /* the db stays dead, and says why */
    cr_expect_eq(sim_trace_init(&again, db, NULL), IOSIM_ESHUTDOWN);
    cr_expect_eq(sim_trace_error(&again, msg, sizeof msg), IOSIM_ESHUTDOWN);
    cr_expect_neq(strstr(msg, "died"), NULL, "%s", msg);
    cr_expect_eq(sim_trace_db_index(db, msg, sizeof msg), IOSIM_ESHUTDOWN);
    uint64_t h;
    cr_expect_eq(sim_trace_db_run_hash(db, 1, &h, NULL, msg, sizeof msg), IOSIM_ESHUTDOWN);
    cr_expect_eq(sim_trace_db_set_busy_timeout(db, 5), IOSIM_OK);
    sim_trace_db_close(db);
    cr_expect_str_eq(sql_text("PRAGMA integrity_check"), "ok");
    cr_expect_str_eq(sql_text("SELECT status FROM run"), "incomplete");
    expect_prefix(0, 100);
}

Test(trace_writer, writer_ignores_interrupt_from_the_terminal)
{
    struct sim_trace_db *db = db_open_mode(DB_WRITER);
    struct sim_trace tr;
    cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
    emit_mmio(&tr, 0, 10);
    cr_assert_eq(kill(sim_trace_db_writer_pid(db), SIGINT), 0);
    cr_assert_eq(kill(sim_trace_db_writer_pid(db), SIGHUP), 0);
    emit_mmio(&tr, 10, 10);
    cr_expect_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
    sim_trace_fini(&tr);
    sim_trace_db_close(db);
    expect_prefix(20, 20);
}

/* ---- reaping and descriptors ---------------------------------------------- */

Test(trace_writer, close_reaps_writer_and_leaves_no_descriptor)
{
    int before = open_fds();
    for (int k = 0; k < 3; k++) {
        struct sim_trace_db *db = db_open_mode(DB_WRITER);
        pid_t writer = sim_trace_db_writer_pid(db);
        struct sim_trace tr;
        cr_assert_eq(sim_trace_init(&tr, db, NULL), IOSIM_OK);
        emit_mmio(&tr, 0, 50);
        cr_assert_eq(sim_trace_finish(&tr, PASS_RESULT), IOSIM_OK);
        sim_trace_fini(&tr);
        sim_trace_db_close(db);
        expect_reaped(writer);
    }
    cr_expect_eq(open_fds(), before);
    cr_expect_eq(sql_int("SELECT count(*) FROM run WHERE status = 'complete'"), 3);
}

Test(trace_writer, close_returns_when_a_fork_holds_the_socket, .timeout = 30)
{
    struct sim_trace_db *db = db_open_mode(DB_WRITER);
    pid_t writer = sim_trace_db_writer_pid(db);
    int gate[2];
    cr_assert_eq(pipe(gate), 0);
    pid_t holder = fork();
    cr_assert_geq(holder, 0);
    if (holder == 0) { /* holds copies of everything, uses none */
        char c;
        close(gate[1]);
        (void)!read(gate[0], &c, 1);
        _exit(0);
    }
    close(gate[0]);
    sim_trace_db_close(db);
    expect_reaped(writer);
    close(gate[1]);
    cr_expect_eq(wait_exit(holder), 0);
}

Test(trace_writer, refused_open_leaves_no_writer_behind)
{
    sql_exec("CREATE TABLE photos(id INTEGER PRIMARY KEY)");
    int before = open_fds();
    struct sim_trace_db *db = NULL;
    char msg[256];
    cr_assert_eq(sim_trace_db_open(g_path, &db, msg, sizeof msg), IOSIM_EPROTO);
    cr_expect_null(db);
    cr_expect_eq(open_fds(), before);
    errno = 0;
    cr_expect_eq(waitpid(-1, NULL, WNOHANG), -1, "no child left");
    cr_expect_eq(errno, ECHILD);
}

/* ---- in-process instead ------------------------------------------------------- */

Test(trace_writer, db_writes_in_process_when_environment_says_so)
{
    cr_assert_eq(setenv("IOSIM_TRACE_INPROCESS", "1", 1), 0);
    struct sim_trace_db *db = db_open_ok();
    cr_expect_eq(sim_trace_db_writer_pid(db), 0);
    sim_trace_db_close(db);
    cr_assert_eq(setenv("IOSIM_TRACE_INPROCESS", "0", 1), 0);
    db = db_open_ok();
    cr_expect_gt(sim_trace_db_writer_pid(db), 0);
    sim_trace_db_close(db);
    cr_assert_eq(unsetenv("IOSIM_TRACE_INPROCESS"), 0);
}

/* A writer forked while this process has a connection to the file would
 * inherit SQLite's bookkeeping of it: the second handle writes in-process. */
Test(trace_writer, db_writes_in_process_when_this_process_writes_the_file_in_process)
{
    struct sim_trace_db *local = db_open_mode(DB_IN_PROCESS);
    struct sim_trace_db *db = db_open_ok();
    cr_expect_eq(sim_trace_db_writer_pid(db), 0);
    struct sim_trace a, b;
    cr_assert_eq(sim_trace_init(&a, local, NULL), IOSIM_OK);
    cr_assert_eq(sim_trace_init(&b, db, NULL), IOSIM_OK);
    emit_mmio(&a, 0, 10);
    emit_mmio(&b, 0, 20);
    cr_expect_eq(sim_trace_finish(&a, PASS_RESULT), IOSIM_OK);
    cr_expect_eq(sim_trace_finish(&b, PASS_RESULT), IOSIM_OK);
    sim_trace_fini(&a);
    sim_trace_fini(&b);
    sim_trace_db_close(db);
    sim_trace_db_close(local);
    db = db_open_ok();
    cr_expect_gt(sim_trace_db_writer_pid(db), 0, "the in-process handle is gone");
    sim_trace_db_close(db);
    cr_expect_eq(sql_int("SELECT count(*) FROM mmio"), 30);
}
