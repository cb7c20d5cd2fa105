/*
 * `iosim suite`: every scenario under the given paths, run in parallel
 * worker processes (one simulation per process: runs never share state),
 * with a JUnit report and the contract line `N passed, N failed`.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "impl/port/check.h"
#include "sim/cli/cli.h"
#include "sim/cli/junit.h"
#include "sim/cli/workers.h"
#include "sim/trace/trace.h"

#define SUITE_FILES_MAX 100000u

struct suite_msg {
    int loaded;                         /* 0: load error in `error` */
    int run_err;                        /* enum iosim_err of sim_run */
    char name[SIM_NAME_MAX * 2];
    char error[512];
    struct sim_run_result r;
};

struct suite_job {
    char *file;
    pid_t pid;
    int fd;
    double started_s;
    double wall_s;
    int done;
    int crashed;
    int err_fd;                 /* the worker's stderr, captured (workers.h) */
    struct suite_msg msg;
};

struct suite_args {
    const char *paths[256];
    size_t path_count;
    uint64_t jobs;
    const char *junit;
    const char *trace;
    const char *policy;
    uint64_t seed;
    bool seed_set;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* wall clock ok: CLI timing only */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- finding scenarios ------------------------------------------------------- */

struct file_list {
    char **v;
    size_t n, cap;
};

static bool is_scenario(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static bool list_add(struct file_list *l, const char *path)
{
    if (l->n == SUITE_FILES_MAX)
        return false;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, cap * sizeof *v);
        if (v == NULL)
            return false;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n] = strdup(path);
    return l->v[l->n++] != NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool walk(struct file_list *l, const char *dir, int depth)
{
    if (depth > 32)
        return true;
    DIR *d = opendir(dir);
    if (d == NULL)
        return false;
    struct file_list here = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            (void)list_add(&here, e->d_name);
    closedir(d);
    qsort(here.v, here.n, sizeof *here.v, cmp_str);
    bool ok = true;
    for (size_t i = 0; i < here.n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, here.v[i]);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            ok &= walk(l, path, depth + 1);
        else if (S_ISREG(st.st_mode) && is_scenario(here.v[i]))
            ok &= list_add(l, path);
        free(here.v[i]);
    }
    free(here.v);
    return ok;
}

static bool collect(const struct suite_args *a, struct file_list *l)
{
    for (size_t i = 0; i < a->path_count; i++) {
        struct stat st;
        char p[4096];
        snprintf(p, sizeof p, "%s", a->paths[i]);
        for (size_t len = strlen(p); len > 1 && p[len - 1] == '/'; len--)
            p[len - 1] = '\0';
        if (stat(p, &st) != 0) {
            fprintf(stderr, "iosim suite: %s: %s\n", p, strerror(errno));
            return false;
        }
        if (S_ISDIR(st.st_mode) ? !walk(l, p, 0) : !list_add(l, p)) {
            fprintf(stderr, "iosim suite: cannot read %s\n", p);
            return false;
        }
    }
    return true;
}

/* ---- one worker process ---------------------------------------------------------- */

static _Noreturn void worker(const struct suite_args *a, const char *file, int fd)
{
    static struct suite_msg msg;
    struct sim_scenario *s;
    struct yml_error err;
    /* IOSIM_SUITE_ASSERT_FILE=TEXT: an assertion fails in the worker of every
     * file whose path holds TEXT - how the tests show a crashed worker is a
     * failed scenario that says why, never a lost one */
    const char *planted = getenv("IOSIM_SUITE_ASSERT_FILE");
    if (planted != NULL && planted[0] != '\0' && strstr(file, planted) != NULL)
        port_check_fail("file != IOSIM_SUITE_ASSERT_FILE", __FILE__, __LINE__, __func__);
    if (sim_scenario_load(file, &s, &err) != IOSIM_OK) {
        snprintf(msg.error, sizeof msg.error, "%s", err.msg);
        (void)cli_write_all(fd, &msg, sizeof msg);
        _exit(0);
    }
    msg.loaded = 1;
    snprintf(msg.name, sizeof msg.name, "%s", s->name);
    struct sim_trace_db *db = NULL;
    char why[256];
    if (a->trace != NULL && sim_trace_db_open(a->trace, &db, why, sizeof why) != IOSIM_OK) {
        msg.run_err = IOSIM_EIO;
        snprintf(msg.r.message, sizeof msg.r.message, "%s", why);
    } else {
        struct sim_run_opts o = {.seed = a->seed, .seed_set = a->seed_set, .policy = a->policy,
                                 .db = db, .program = "iosim"};
        msg.run_err = sim_run(s, &o, &msg.r);
        sim_trace_db_close(db);
    }
    sim_scenario_free(s);
    (void)cli_write_all(fd, &msg, sizeof msg);
    _exit(0);
}

struct suite_work {
    const struct suite_args *a;
    const char *file;
    int err_fd;
};

static void suite_work(void *ctx, int fd)
{
    const struct suite_work *w = ctx;
    cli_capture_attach(w->err_fd);
    worker(w->a, w->file, fd);
}

static bool start_job(const struct suite_args *a, struct suite_job *j)
{
    j->err_fd = cli_capture_open();
    struct suite_work w = {a, j->file, j->err_fd};
    if (!cli_worker_fork(suite_work, &w, &j->pid, &j->fd)) {
        cli_capture_release(j->err_fd);
        return false;
    }
    j->started_s = wall_now();
    return true;
}

static void read_msg(struct suite_job *j)
{
    if (!cli_read_all(j->fd, &j->msg, sizeof j->msg))
        j->crashed = 1;
    close(j->fd);
}

/* ---- reporting ----------------------------------------------------------------------- */

static enum junit_outcome outcome(const struct suite_job *j)
{
    if (j->crashed || !j->msg.loaded || j->msg.run_err != IOSIM_OK)
        return JUNIT_ERROR;
    return j->msg.r.passed ? JUNIT_PASS : JUNIT_FAIL;
}

static void print_job(const struct suite_job *j)
{
    const struct sim_run_result *r = &j->msg.r;
    if (j->crashed) {
        printf("ERROR %s: the worker process died (%s)\n", j->file, j->msg.error);
        return;
    }
    if (!j->msg.loaded) {
        printf("ERROR %s\n      %s\n", j->file, j->msg.error);
        return;
    }
    char t[48];
    cli_format_time(r->end_ps, t, sizeof t);
    const char *tag = outcome(j) == JUNIT_PASS ? "PASS " : outcome(j) == JUNIT_FAIL ? "FAIL " : "ERROR";
    printf("%s %s  [seed %" PRIu64 ", %s, %s simulated, %.2f s]  trace-hash: %016" PRIx64 "\n",
           tag, j->file, r->seed, r->policy, t, j->wall_s, r->trace_hash);
    for (uint32_t i = 0; i < r->failure_count; i++)
        printf("      failed: %s\n", r->failures[i]);
    if (r->message[0] != '\0')
        printf("      error: %s\n", r->message);
    if (!r->passed)
        printf("      repro: %s\n", r->repro);
}

static bool write_junit(const char *path, struct suite_job *jobs, size_t n)
{
    struct junit_case *cases = calloc(n ? n : 1, sizeof *cases);
    if (cases == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct suite_job *j = &jobs[i];
        cases[i] = (struct junit_case){
            .file = j->file, .name = j->msg.name, .outcome = outcome(j), .wall_s = j->wall_s,
            .error = j->crashed ? "worker process died" : !j->msg.loaded ? j->msg.error
                     : j->msg.r.message,
            .r = j->msg.loaded && !j->crashed ? &j->msg.r : NULL,
        };
    }
    FILE *f = fopen(path, "w");
    bool ok = f != NULL && junit_write(f, "iosim suite", cases, n);
    if (f != NULL && fclose(f) != 0)
        ok = false;
    free(cases);
    return ok;
}

/* ---- the command ------------------------------------------------------------------------ */

/* One PATH operand. Paths past the 256th are dropped, as they always were. */
static bool add_path(const struct cli_opt *o, const char *text)
{
    struct suite_args *a = o->dest;
    if (a->path_count == sizeof a->paths / sizeof a->paths[0])
        return false; /* refused, not dropped: .wants says why */
    a->paths[a->path_count++] = text;
    return true;
}

static int parse_suite_args(int argc, char **argv, struct suite_args *a)
{
    a->jobs = 2;
    const struct cli_opt opts[] = {
        {.letter = 'j', .metavar = "N", .help = "parallel worker processes (1..64)",
         .parse = cli_opt_u64, .dest = &a->jobs, .min = 1, .max = 64, .wants = "1..64"},
        {.name = "junit", .metavar = "FILE", .help = "write a JUnit XML report",
         .parse = cli_opt_text, .dest = &a->junit},
        {.name = "trace", .metavar = "FILE.db", .parse = cli_opt_text, .dest = &a->trace,
         .help = "record every run in one SQLite trace database"},
        cli_seed_opt("override every scenario's seed", &a->seed, &a->seed_set),
        cli_policy_opt("override every scenario's policy (fifo, random, pct:D)", &a->policy),
        {0},
    };
    const struct cli_command cmd = {
        .name = "suite",
        .about = "Runs every scenario (*.yaml, *.yml) found in the paths (directories "
                 "recursively,\nin sorted order), N at a time in separate processes "
                 "(default: 2).\n",
        .notes = "Ends with `N passed, N failed`. Exit status: 0 all passed, 1 an expectation "
                 "failed,\n2 bad input (a scenario that does not load counts as failed and "
                 "makes the status 2).\n",
        .opts = opts,
        .operand = {.metavar = "PATH...", .parse = add_path, .dest = a,
                    .wants = "at most 256 paths (give directories)"},
        .missing = "no path given",
    };
    return cli_opts_parse(&cmd, argc, argv);
}

/* Creates (or checks) the database once, before workers race to do it;
 * with `index`, adds the per-run indexes once every run is written. */
static bool prepare_trace(const char *path, bool index)
{
    struct sim_trace_db *db;
    char msg[256];
    if (sim_trace_db_open(path, &db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim suite: %s\n", msg);
        return false;
    }
    bool ok = !index || sim_trace_db_index(db, msg, sizeof msg) == IOSIM_OK;
    if (!ok)
        fprintf(stderr, "iosim suite: indexing the trace: %s\n", msg);
    sim_trace_db_close(db);
    return ok;
}

static void reap_one(struct suite_job *jobs, size_t n)
{
    int status;
    pid_t pid;
    do
        pid = waitpid(-1, &status, 0);
    while (pid < 0 && errno == EINTR);
    for (size_t i = 0; i < n && pid > 0; i++) {
        struct suite_job *j = &jobs[i];
        if (j->pid != pid || j->done)
            continue;
        read_msg(j);
        j->wall_s = wall_now() - j->started_s;
        j->done = 1;
        char why[160];
        cli_capture_reason(j->err_fd, why, sizeof why);
        cli_capture_release(j->err_fd);
        if (WIFSIGNALED(status)) {
            j->crashed = 1;
            snprintf(j->msg.error, sizeof j->msg.error, "%s%skilled by signal %d", why,
                     why[0] != '\0' ? " - " : "", WTERMSIG(status));
        }
        print_job(j);
        return;
    }
}

static int run_all(const struct suite_args *a, struct suite_job *jobs, size_t n)
{
    size_t next = 0, running = 0;
    while (next < n || running > 0) {
        while (next < n && running < a->jobs) {
            if (!start_job(a, &jobs[next])) {
                fprintf(stderr, "iosim suite: cannot start a worker: %s\n", strerror(errno));
                return CLI_EXIT_USAGE;
            }
            next++;
            running++;
        }
        reap_one(jobs, next);
        running--;
    }
    return 0;
}

int cli_suite(int argc, char **argv)
{
    struct suite_args a = {0};
    int st = parse_suite_args(argc, argv, &a);
    if (st != CLI_OPTS_GO_ON)
        return st;
    struct file_list files = {0};
    if (!collect(&a, &files))
        return CLI_EXIT_USAGE;
    if (files.n == 0) {
        fprintf(stderr, "iosim suite: no scenario files (*.yaml, *.yml) found\n");
        return CLI_EXIT_USAGE;
    }
    if (a.trace != NULL && !prepare_trace(a.trace, false))
        return CLI_EXIT_USAGE;
    struct suite_job *jobs = calloc(files.n, sizeof *jobs);
    if (jobs == NULL)
        return CLI_EXIT_USAGE;
    for (size_t i = 0; i < files.n; i++)
        jobs[i].file = files.v[i];
    int rc = run_all(&a, jobs, files.n);
    if (a.trace != NULL && !prepare_trace(a.trace, true))
        rc = CLI_EXIT_USAGE;
    size_t passed = 0, failed = 0, errors = 0;
    for (size_t i = 0; i < files.n; i++) {
        enum junit_outcome o = outcome(&jobs[i]);
        passed += o == JUNIT_PASS;
        failed += o != JUNIT_PASS;
        errors += o == JUNIT_ERROR;
    }
    if (a.junit != NULL && !write_junit(a.junit, jobs, files.n)) {
        fprintf(stderr, "iosim suite: cannot write %s\n", a.junit);
        rc = CLI_EXIT_USAGE;
    }
    printf("%zu passed, %zu failed\n", passed, failed);
    for (size_t i = 0; i < files.n; i++)
        free(files.v[i]);
    free(files.v);
    free(jobs);
    if (rc != 0 || errors > 0)
        return CLI_EXIT_USAGE;
    return failed > 0 ? CLI_EXIT_FAIL : CLI_EXIT_PASS;
}
