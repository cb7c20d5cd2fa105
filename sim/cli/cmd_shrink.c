/*
 * `iosim shrink FILE.db --run ID`: the smallest run that still fails the
 * way a recorded run failed.
 *
 * The recorded run's schedule decisions (the campaign's, or recorded now
 * from its seed) are the starting candidate; sim/run/shrink.c searches and
 * each candidate is run in a forked child, so a candidate that crashes the
 * simulated code (an assertion, a sanitizer) is a verdict like any other:
 * it fails "the same way" only when the original crashed the same way. The
 * same way means the same first failed expectation (its file:line:col), or
 * the same signal. The minimal run is then traced whole into the file and
 * given a fuzz_run row (shrunk_from names the original's row), and its
 * repro - seed, policy and the few decisions left - is printed.
 */
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/cli/cli.h"
#include "sim/cli/cli_faults.h"
#include "sim/cli/recorded.h"
#include "sim/cli/workers.h"
#include "sim/run/faultset.h"
#include "sim/run/shrink.h"
#include "sim/scenario/scenario.h"
#include "sim/trace/trace.h"

#define SHRINK_RUNS_DEFAULT 1000u

struct shrink_args {
    const char *db;
    uint64_t run, max_runs;
    bool run_set;
};

/* The run to shrink, as the file has it, and its fault set parsed. */
struct original {
    struct cli_recorded r;
    struct sim_faultset fs;           /* the faults a candidate keeps some of */
};

/* child -> parent: a candidate's verdict */
struct verdict_msg {
    uint8_t failed;
    uint64_t choices;
    char key[SIM_RUN_MSG_MAX];
};

struct shrink_ctx {
    struct sim_scenario *s;
    const struct original *o;
    const struct sim_shrink_cand *cand; /* the child's */
    char key[SIM_RUN_MSG_MAX];         /* how the original fails */
};

/* ---- one candidate, in a child ---------------------------------------------------------------- */

/* The faults candidate c keeps of the original's set; NULL: it had none. */
static const struct sim_faultset *kept_faults(const struct original *o,
                                              const struct sim_shrink_cand *c,
                                              struct sim_faultset *out)
{
    if (!o->r.has_faults)
        return NULL;
    *out = o->fs;
    for (uint32_t i = c->fault_n; i-- > 0;)
        if (!c->fault_on[i])
            sim_faultset_remove(out, i);
    return out;
}

static void candidate_child(void *arg, int fd)
{
    struct shrink_ctx *x = arg;
    static struct sim_run_result r;
    static struct sim_faultset fs;
    struct sim_run_opts opts = {.seed = x->o->r.seed, .seed_set = true, .policy = x->o->r.policy,
                                .decisions = &x->cand->dec, .counts = x->cand->count,
                                .faults = kept_faults(x->o, x->cand, &fs)};
    enum iosim_err e = sim_run(x->s, &opts, &r);
    static struct verdict_msg m;
    m.failed = e != IOSIM_OK || !r.passed;
    m.choices = r.choices;
    sim_run_failure_key(e, &r, m.key, sizeof m.key);
    _exit(cli_write_all(fd, &m, sizeof m) ? 0 : 1);
}

/* Runs a candidate in a child: its verdict, or the signal that ended it. */
static bool run_candidate(struct shrink_ctx *x, const struct sim_shrink_cand *c,
                          struct verdict_msg *m)
{
    pid_t pid;
    int fd;
    x->cand = c;
    if (!cli_worker_fork(candidate_child, x, &pid, &fd))
        return false;
    bool got = cli_read_all(fd, m, sizeof *m);
    close(fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    if (!got) {
        m->failed = 1;
        m->choices = 0;
        if (WIFSIGNALED(status))
            snprintf(m->key, sizeof m->key, "crash: signal %d", WTERMSIG(status));
        else
            snprintf(m->key, sizeof m->key, "crash: exit status %d", WEXITSTATUS(status));
    }
    return true;
}

static bool still_fails(void *arg, const struct sim_shrink_cand *c, uint64_t *choices)
{
    struct shrink_ctx *x = arg;
    static struct verdict_msg m;
    if (!run_candidate(x, c, &m))
        return false;
    *choices = m.choices;
    return m.failed && strcmp(m.key, x->key) == 0;
}

/* ---- the result ------------------------------------------------------------------------------- */

/* The minimal run, whole, into the file; its run id or -1. */
static int64_t trace_minimal(const char *path, struct shrink_ctx *x, const struct sim_shrink_cand *c,
                             struct sim_run_result *r)
{
    struct sim_trace_db *db;
    char msg[256];
    if (sim_trace_db_open(path, &db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim shrink: %s\n", msg);
        return -1;
    }
    static struct sim_faultset fs;
    struct sim_run_opts opts = {.seed = x->o->r.seed, .seed_set = true, .policy = x->o->r.policy,
                                .db = db, .program = "iosim", .decisions = &c->dec,
                                .counts = c->count, .faults = kept_faults(x->o, c, &fs)};
    enum iosim_err e = sim_run(x->s, &opts, r);
    if (e == IOSIM_OK)
        e = sim_trace_db_index(db, msg, sizeof msg);
    sim_trace_db_close(db);
    if (e != IOSIM_OK) {
        fprintf(stderr, "iosim shrink: tracing the shrunk run: %s\n", r->message);
        return -1;
    }
    return r->run_id;
}

/* Its fuzz_run row, linked to the original's; the new rowid or -1. */
static int64_t store_row(const char *path, const struct sim_scenario *s,
                         const struct original *o, const struct sim_shrink_cand *c,
                         const struct sim_run_result *r)
{
    char counts[512];
    bool has_counts = sim_scn_counts_format(s, c->count, counts, sizeof counts) > 0;
    static struct sim_faultset fs;
    static char faults[SIM_FAULTSET_TEXT_MAX];
    const struct sim_faultset *kept = kept_faults(o, c, &fs);
    bool has_faults = kept != NULL && sim_faultset_format(kept, faults, sizeof faults) == IOSIM_OK;
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    int64_t row = -1;
    char *dec = sim_dec_text(&c->dec);
    if (dec != NULL && sqlite3_open(path, &db) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 60000);
        char hex[SIM_TRACE_HASH_HEX_LEN + 1];
        snprintf(hex, sizeof hex, "%016" PRIx64, r->trace_hash);
        if (sqlite3_exec(db, CLI_FUZZ_TABLE_SQL, NULL, NULL, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(db, "INSERT INTO fuzz_run(campaign, idx, scenario, seed, policy, "
                                   "result, trace_hash, end_ps, wall_us, failure, repro, run_id, "
                                   "decisions, shrunk_from, counts, faults) "
                                   "VALUES(?,?,?,?,?,?,?,?,0,?,?,?,?,?,?,?)",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, o->r.fuzz_row >= 0 ? o->r.campaign : "shrink", -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, o->r.fuzz_row >= 0 ? o->r.idx : 0);
            sqlite3_bind_text(st, 3, o->r.file, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, (int64_t)o->r.seed);
            sqlite3_bind_text(st, 5, o->r.policy, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 6, r->passed ? "pass" : "fail", -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 7, hex, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 8, (int64_t)r->end_ps);
            sqlite3_bind_text(st, 9, r->failure_count ? r->failures[0] : "", -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 10, r->repro, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 11, r->run_id);
            sqlite3_bind_text(st, 12, dec, -1, SQLITE_STATIC);
            if (o->r.fuzz_row >= 0)
                sqlite3_bind_int64(st, 13, o->r.fuzz_row);
            else
                sqlite3_bind_null(st, 13);
            if (has_counts)
                sqlite3_bind_text(st, 14, counts, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(st, 14);
            if (has_faults)
                sqlite3_bind_text(st, 15, faults, -1, SQLITE_STATIC);
            else
                sqlite3_bind_null(st, 15);
            if (sqlite3_step(st) == SQLITE_DONE)
                row = sqlite3_last_insert_rowid(db);
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    free(dec);
    return row;
}

/* ---- the command ------------------------------------------------------------------------------ */

static int parse_shrink_args(int argc, char **argv, struct shrink_args *a)
{
    a->max_runs = SHRINK_RUNS_DEFAULT;
    const struct cli_opt opts[] = {
        cli_run_id_opt("the failing run (the run table's id)", &a->run, &a->run_set),
        {.name = "max-runs", .metavar = "N", .parse = cli_opt_u64, .dest = &a->max_runs,
         .min = 1, .max = 1000000, .wants = "a number of runs from 1 to 1000000",
         .help = "try at most N candidates (default 1000): the bound on time"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "shrink",
        .about = "Makes a recorded failing run as small as it goes while it fails the same way\n"
                 "(the same first failed expectation, or the same crash): fewer faults, fewer\n"
                 "and later preemptions - the other schedule decisions become the default.\n"
                 "Each candidate runs in a child process. The result is deterministic.\n",
        .notes = "Prints the sizes before and after, the shrunk run's verdict block with its\n"
                 "repro, and `shrunk: run ID`: it is traced whole into DB with a fuzz_run row\n"
                 "whose shrunk_from names the original's. Exit status: 0 shrunk (or already\n"
                 "minimal), 2 bad input or a run that does not fail.\n",
        .opts = opts,
        .operand = {.metavar = "DB", .parse = cli_opt_text, .dest = &a->db},
        .max_operands = 1,
        .missing = "no database given",
    };
    int st = cli_opts_parse(&cmd, argc, argv);
    if (st == CLI_OPTS_GO_ON && !a->run_set)
        return cli_opts_mistake(&cmd, "give the failing run: --run ID");
    return st;
}

/* The starting candidate: the campaign's decisions, or the seed's now.
 * False (said why) when the run does not fail as recorded. */
static bool baseline(struct shrink_ctx *x, struct original *o, struct sim_shrink_cand *c,
                     uint64_t *horizon)
{
    char msg[256];
    c->count_n = x->s->count_count;
    for (uint32_t i = 0; i < c->count_n; i++)
        c->count_min[i] = x->s->counts[i].min;
    if (sim_scn_counts_parse(x->s, o->r.counts, c->count, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim shrink: run %s: %s\n", o->r.file, msg);
        return false;
    }
    if (o->r.has_faults &&
        sim_faultset_parse(x->s, o->r.faults, &o->fs, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim shrink: run %s: --fault-set: %s\n", o->r.file, msg);
        return false;
    }
    c->fault_n = o->r.has_faults ? o->fs.count : 0;
    if (c->fault_n > SIM_SHRINK_FAULTS_MAX)
        c->fault_n = SIM_SHRINK_FAULTS_MAX; /* the rest stay on */
    for (uint32_t i = 0; i < c->fault_n; i++)
        c->fault_on[i] = true;
    if (!o->r.has_decisions) {
        static struct sim_run_result r;
        struct sim_run_opts opts = {.seed = o->r.seed, .seed_set = true, .policy = o->r.policy,
                                    .record = &o->r.decisions, .counts = c->count,
                                    .faults = o->r.has_faults ? &o->fs : NULL};
        if (sim_run(x->s, &opts, &r) != IOSIM_OK || o->r.decisions.truncated) {
            fprintf(stderr, "iosim shrink: cannot record the run's decisions%s%s\n",
                    r.message[0] ? ": " : "", r.message);
            return false;
        }
    }
    static struct verdict_msg m;
    if (sim_dec_copy(&c->dec, &o->r.decisions) != IOSIM_OK || !run_candidate(x, c, &m))
        return false;
    if (!m.failed) {
        fprintf(stderr, "iosim shrink: run %s seed %" PRIu64 " policy %s passes: nothing to "
                "shrink\n", o->r.file, o->r.seed, o->r.policy);
        return false;
    }
    snprintf(x->key, sizeof x->key, "%s", m.key);
    *horizon = m.choices;
    return true;
}

static int shrink_run(const struct shrink_args *a, struct original *o, struct sim_scenario *s)
{
    struct shrink_ctx x = {.s = s, .o = o};
    struct sim_shrink_cand c = {0};
    uint64_t horizon = 0;
    if (!baseline(&x, o, &c, &horizon)) {
        sim_shrink_cand_free(&c);
        return CLI_EXIT_USAGE;
    }
    printf("shrink: run %" PRIu64 " fails at %s with %" PRIu32 " decisions\n", a->run, x.key,
           c.dec.n);
    fflush(stdout);
    struct sim_shrink_stats st;
    enum iosim_err e = sim_shrink(&c, horizon, (uint32_t)a->max_runs, still_fails, &x, &st);
    printf("shrink: %" PRIu32 " runs%s; decisions %" PRIu32 " -> %" PRIu32 ", faults %" PRIu32
           " -> %" PRIu32 ", counts %" PRIu64 " -> %" PRIu64 "\n", st.runs,
           st.budget_out ? " (the budget: not a fixed point)" : "", st.dec_before, st.dec_after,
           st.faults_before, st.faults_after, st.counts_before, st.counts_after);
    static struct sim_run_result r;
    int64_t id = e == IOSIM_OK ? trace_minimal(a->db, &x, &c, &r) : -1;
    int64_t row = id >= 0 ? store_row(a->db, s, o, &c, &r) : -1;
    int status = CLI_EXIT_USAGE;
    if (id >= 0 && row >= 0) {
        cli_print_result(stdout, s, &r);
        printf("shrunk: run %" PRId64 " (fuzz_run row %" PRId64 ")\n", id, row);
        status = CLI_EXIT_PASS;
    } else if (e != IOSIM_OK) {
        fprintf(stderr, "iosim shrink: %s\n", iosim_err_text(e));
    }
    sim_shrink_cand_free(&c);
    return status;
}

int cli_shrink(int argc, char **argv)
{
    struct shrink_args a = {0};
    int st = parse_shrink_args(argc, argv, &a);
    if (st != CLI_OPTS_GO_ON)
        return st;
    static struct original o;
    struct sim_scenario *s = NULL;
    struct yml_error err;
    if (!cli_recorded_read("iosim shrink", a.db, a.run, &o.r)) {
        st = CLI_EXIT_USAGE;
    } else if (sim_scenario_load(o.r.file, &s, &err) != IOSIM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        st = CLI_EXIT_USAGE;
    } else {
        st = shrink_run(&a, &o, s);
        sim_scenario_free(s);
    }
    cli_recorded_free(&o.r);
    return st;
}
