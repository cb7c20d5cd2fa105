/*
 * `iosim fuzz`: many seeded schedules of the given scenarios, in parallel
 * worker processes, each failure with the one command that reproduces it.
 *
 * The campaign is a sequence of runs numbered from 0: run i is scenario
 * i mod S (in the order given), seed base + i / S, and with `--policy mix`
 * the policy random, pct:2 or pct:3 by seed. A shard K/N takes the runs
 * with i mod N == K; its workers take every j-th of those. So the same
 * options give the same runs, however many workers or shards run them.
 *
 * A worker is a forked process running one simulation at a time; it says
 * which run it starts and how it ended over a pipe. A worker that dies
 * (an assertion, a sanitizer, a crash inside the simulated code) fails
 * the run it was in - with its seed and repro - and a new worker takes
 * over its share. Nothing is lost or skipped.
 *
 * With --trace, every run gets a summary row (table fuzz_run; passing runs
 * store nothing else, so a campaign stays small; written FUZZ_BATCH_ROWS
 * to a transaction, so the file is not synced once a run), and once the workers
 * are done the failing runs (the first FUZZ_TRACED_MAX) are run again into
 * the file with their whole traces, linked by run_id. Only the parent
 * writes the file.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "impl/port/check.h"
#include "sim/cli/cli.h"
#include "sim/cli/fuzz_cover.h"
#include "sim/cli/cli_faults.h"
#include "sim/cli/junit.h"
#include "sim/cli/workers.h"
#include "sim/run/cover.h"
#include "sim/run/rowlog.h"
#include "sim/scenario/scenario.h"
#include "sim/trace/trace.h"

#define FUZZ_FILES_MAX 1024u
#define FUZZ_JOBS_MAX 64u
#define FUZZ_TEXT 1536u
#define FUZZ_TRACED_MAX 100u          /* failing runs traced whole */
#define FUZZ_BATCH_ROWS 1000u         /* summary rows a transaction: not a sync a run */

static const char *const mix[] = {"random", "pct:2", "pct:3"};

struct fuzz_args {
    const char *files[FUZZ_FILES_MAX];
    uint64_t nfiles;
    uint64_t runs, time_s, jobs, seed_base, check_det;
    bool runs_set, time_set;
    const char *policy;
    const char *shard;
    const char *trace;
    const char *junit;
    uint64_t shard_k, shard_n;
    struct fuzz_cover *cover;         /* --policy cover: the plans and the corpus */
    const char *faults;               /* --faults: NULL, none or swarm */
    struct sim_scenario *scn[FUZZ_FILES_MAX]; /* loaded once by the parent (fault sets) */
};

enum fuzz_outcome { FUZZ_PASS, FUZZ_FAIL, FUZZ_CRASH, FUZZ_NONDET, FUZZ_ERROR };
static const char *const outcome_name[] = {"pass", "fail", "crash", "nondeterministic", "error"};

/* worker -> parent, after a run's end under --policy cover: what it reached */
struct fuzz_cover_msg {
    uint32_t nf;
    uint64_t choices;
    uint32_t f[SIM_COVER_FEATURES_MAX];
    char dec[FUZZ_COVER_DEC_TEXT];    /* its recorded decisions; "" when scripted or too long */
};

/* worker -> parent: a run starts (done 0) or ended (done 1) */
struct fuzz_msg {
    uint8_t done;
    uint8_t outcome;
    uint64_t index;
    uint64_t hash;
    uint64_t end_ps;
    double wall_s;
    char text[FUZZ_TEXT];             /* the first failure */
};

struct fuzz_worker {
    pid_t pid;
    int fd;
    uint64_t next;                    /* its m: it runs shard index w + jobs * m next */
    bool in_run;
    uint64_t current;
    bool live;
    int err_fd;                       /* its stderr, captured (workers.h); -1: none */
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* wall clock ok: campaign timing only */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the campaign's arithmetic --------------------------------------------------------- */

static uint64_t run_of(const struct fuzz_args *a, uint64_t w, uint64_t m)
{
    uint64_t shard_index = w + a->jobs * m;      /* the worker's m-th run of the shard */
    return a->shard_k + a->shard_n * shard_index; /* the campaign's run number */
}

/* Run i's plan under --policy cover (NULL otherwise). */
static const struct fuzz_cover_run *cover_of(const struct fuzz_args *a, uint64_t i)
{
    return a->cover != NULL ? fuzz_cover_find(a->cover, i) : NULL;
}

static uint64_t seed_of(const struct fuzz_args *a, uint64_t i)
{
    const struct fuzz_cover_run *r = cover_of(a, i);
    return r != NULL ? r->seed : a->seed_base + i / a->nfiles;
}

static const char *policy_of(const struct fuzz_args *a, uint64_t i)
{
    if (a->cover != NULL)
        return "random"; /* fresh runs are random; mutants run a script on its seed */
    if (strcmp(a->policy, "mix") == 0)
        return mix[seed_of(a, i) % (sizeof mix / sizeof mix[0])];
    return a->policy;
}

static uint64_t file_index(const struct fuzz_args *a, uint64_t i)
{
    const struct fuzz_cover_run *r = cover_of(a, i);
    return r != NULL ? r->file : i % a->nfiles;
}

static const char *file_of(const struct fuzz_args *a, uint64_t i) { return a->files[file_index(a, i)]; }

/* Run i's fault set (drawn from its seed) into *fs, of scenario s (its
 * file's); NULL without --faults swarm or when s allows no faults. */
static const struct sim_faultset *faults_of(const struct fuzz_args *a, const struct sim_scenario *s,
                                            uint64_t i, struct sim_faultset *fs)
{
    if (a->faults == NULL || strcmp(a->faults, "swarm") != 0 || s->allowed_count == 0)
        return NULL; /* (check_inputs said so once) */
    sim_faultset_draw(s, seed_of(a, i), fs);
    return fs;
}

/* Run i's fault set as text; false when it has none. */
static bool faults_text(const struct fuzz_args *a, uint64_t i, char *buf, size_t cap)
{
    static struct sim_faultset fs;
    const struct sim_faultset *set = faults_of(a, a->scn[file_index(a, i)], i, &fs);
    return set != NULL && sim_faultset_format(set, buf, cap) == IOSIM_OK;
}

static void repro_of(const struct fuzz_args *a, uint64_t i, char *buf, size_t cap)
{
    char text[SIM_FAULTSET_TEXT_MAX];
    bool has = faults_text(a, i, text, sizeof text);
    int n = snprintf(buf, cap, "iosim run %s --seed %" PRIu64 " --policy %s%s%s%s", file_of(a, i),
                     seed_of(a, i), policy_of(a, i), has ? " --fault-set '" : "", has ? text : "",
                     has ? "'" : "");
    const struct fuzz_cover_run *r = cover_of(a, i);
    if (r == NULL || !r->scripted || n < 0 || (size_t)n >= cap)
        return;
    size_t need = sim_dec_format(&r->script, NULL, 0) + sizeof " --decisions ";
    if (need <= cap - (size_t)n) {
        n += snprintf(buf + n, cap - (size_t)n, " --decisions ");
        (void)sim_dec_format(&r->script, buf + n, cap - (size_t)n);
    }
}

/* ---- a worker --------------------------------------------------------------------------- */

static void send_msg(int fd, const struct fuzz_msg *m)
{
    if (!cli_write_all(fd, m, sizeof *m))
        _exit(3); /* the parent is gone */
}

/* Under --policy cover: the run's script or a recording of its decisions,
 * and its coverage. */
static void cover_opts(const struct fuzz_args *a, uint64_t i, struct sim_run_opts *o,
                       struct sim_decisions *rec, struct sim_cover *cov)
{
    const struct fuzz_cover_run *r = cover_of(a, i);
    if (r == NULL)
        return;
    sim_cover_reset(cov);
    o->cover = cov;
    if (r->scripted)
        o->decisions = &r->script;
    else
        o->record = rec;
}

static void send_cover(int fd, const struct sim_cover *cov, const struct sim_decisions *rec,
                       uint64_t choices, bool scripted)
{
    static struct fuzz_cover_msg c;
    c.nf = cov->n;
    c.choices = choices;
    memcpy(c.f, cov->f, cov->n * sizeof c.f[0]);
    c.dec[0] = '\0';
    if (!scripted && !rec->truncated && sim_dec_format(rec, NULL, 0) < sizeof c.dec)
        (void)sim_dec_format(rec, c.dec, sizeof c.dec);
    if (!cli_write_all(fd, &c, sizeof c))
        _exit(3);
}

/* IOSIM_FUZZ_CRASH_RUN=i: the worker dies (SIGABRT) as it starts run i -
 * how the tests show a crash inside a run is a failed run, not a lost
 * worker. IOSIM_FUZZ_ASSERT_RUN=i: an assertion fails there instead (the
 * failure text must name it). IOSIM_FUZZ_NONDET_RUN=i: the determinism
 * check's second execution of run i takes the next seed, as a run leaking
 * state into the next would (how the tests show the report of the first
 * differing row). */
static uint64_t crash_run(const char *var)
{
    const char *v = getenv(var);
    return v != NULL ? strtoull(v, NULL, 10) : UINT64_MAX;
}

/* Run i again with the first execution's rows as the reference: a
 * different hash is a failed run, its text the first row that differs. */
static void check_again(struct sim_scenario *s, struct sim_run_opts o, uint64_t i,
                        const struct sim_rowlog *first, const struct sim_run_result *r,
                        struct fuzz_msg *m)
{
    static struct sim_run_result again;
    struct sim_rowlog second;
    sim_rowlog_init(&second, first);
    o.record = NULL;
    o.cover = NULL;
    o.rowlog = &second;
    if (i == crash_run("IOSIM_FUZZ_NONDET_RUN"))
        o.seed++;
    enum iosim_err e = sim_run(s, &o, &again);
    if (e == IOSIM_OK && again.trace_hash == r->trace_hash) {
        sim_rowlog_fini(&second);
        return;
    }
    m->outcome = FUZZ_NONDET;
    int k = e != IOSIM_OK
        ? snprintf(m->text, sizeof m->text, "the same seed passed, then failed to run: %s",
                   again.message)
        : snprintf(m->text, sizeof m->text, "the same seed gave trace hash %016" PRIx64
                   " then %016" PRIx64 "; ", r->trace_hash, again.trace_hash);
    if (e == IOSIM_OK && k > 0 && (size_t)k < sizeof m->text &&
        !sim_rowlog_report(&second, "first run", "second run", m->text + k, sizeof m->text - (size_t)k))
        snprintf(m->text + k, sizeof m->text - (size_t)k, "their rows are equal as far as recorded");
    sim_rowlog_fini(&second);
}

/* One run (twice when determinism is checked, its rows logged the first
 * time to find where the second one parts from them). */
static void one_run(const struct fuzz_args *a, struct sim_scenario *s, uint64_t i,
                    struct fuzz_msg *m, int fd)
{
    static struct sim_run_result r;
    static struct sim_cover cov;
    static struct sim_faultset fs;
    struct sim_decisions rec = {0};
    struct sim_rowlog rows;
    bool check = a->check_det > 0 && i % a->check_det == 0;
    struct sim_run_opts o = {.seed = seed_of(a, i), .seed_set = true, .policy = policy_of(a, i),
                             .faults = faults_of(a, s, i, &fs)};
    cover_opts(a, i, &o, &rec, &cov);
    sim_rowlog_init(&rows, NULL);
    if (check)
        o.rowlog = &rows;
    double w0 = wall_now();
    enum iosim_err e = sim_run(s, &o, &r);
    m->wall_s = wall_now() - w0;
    m->hash = r.trace_hash;
    m->end_ps = r.end_ps;
    m->outcome = e != IOSIM_OK ? FUZZ_ERROR : r.passed ? FUZZ_PASS : FUZZ_FAIL;
    snprintf(m->text, sizeof m->text, "%s", e != IOSIM_OK ? r.message
                                            : r.failure_count > 0 ? r.failures[0] : "");
    if (m->outcome == FUZZ_PASS && check)
        check_again(s, o, i, &rows, &r, m);
    sim_rowlog_fini(&rows);
    send_msg(fd, m);
    if (o.cover != NULL)
        send_cover(fd, &cov, &rec, r.choices, o.decisions != NULL);
    sim_dec_free(&rec);
}

static _Noreturn void worker(const struct fuzz_args *a, uint64_t w, uint64_t m0, uint64_t total,
                             double deadline, int fd)
{
    static struct sim_scenario *loaded[FUZZ_FILES_MAX];
    uint64_t crash_at = crash_run("IOSIM_FUZZ_CRASH_RUN");
    uint64_t assert_at = crash_run("IOSIM_FUZZ_ASSERT_RUN");
    for (uint64_t m = m0;; m++) {
        uint64_t i = run_of(a, w, m);
        if (((a->runs_set || a->cover != NULL) && i >= total) ||
            (a->time_set && wall_now() >= deadline))
            break;
        struct fuzz_msg start = {.done = 0, .index = i};
        send_msg(fd, &start);
        if (i == crash_at)
            abort();
        if (i == assert_at)
            port_check_fail("run != IOSIM_FUZZ_ASSERT_RUN", __FILE__, __LINE__, __func__);
        size_t f = (size_t)file_index(a, i);
        struct yml_error err;
        struct fuzz_msg end = {.done = 1, .index = i, .outcome = FUZZ_ERROR};
        if (loaded[f] == NULL && sim_scenario_load(a->files[f], &loaded[f], &err) != IOSIM_OK) {
            snprintf(end.text, sizeof end.text, "%s", err.msg);
            send_msg(fd, &end);
            if (a->cover != NULL)
                send_cover(fd, &(struct sim_cover){0}, &(struct sim_decisions){0}, 0, true);
        } else {
            one_run(a, loaded[f], i, &end, fd);
        }
    }
    _exit(0);
}

/* ---- the parent ------------------------------------------------------------------------- */

struct fuzz_tally {
    uint64_t done, passed, failed;
    uint64_t expected;                 /* with --runs: this shard's runs */
    double started, last_line;
    sqlite3 *db;
    sqlite3_stmt *ins;
    uint32_t batched;                  /* rows in the open transaction */
    uint64_t failed_idx[FUZZ_TRACED_MAX];  /* failing runs to trace, in arrival order */
    uint32_t failed_kept;
    struct fuzz_msg kept[FUZZ_TRACED_MAX]; /* every failure's message, crashes too (JUnit) */
    uint32_t kept_n;
    /* --policy cover: the generation's results, taken in run order at its end */
    struct fuzz_msg *gen_msg;         /* FUZZ_COVER_GEN each */
    struct fuzz_cover_msg *gen_cov;
    bool gen_got[FUZZ_COVER_GEN];
    int64_t coverage;                 /* for the row being recorded; -1: none */
};

struct fuzz_work {
    const struct fuzz_args *a;
    uint64_t w, m0, total;
    double deadline;
    int err_fd;
};

static void fuzz_work(void *ctx, int fd)
{
    const struct fuzz_work *x = ctx;
    cli_capture_attach(x->err_fd);
    worker(x->a, x->w, x->m0, x->total, x->deadline, fd);
}

static bool spawn(const struct fuzz_args *a, struct fuzz_worker *wk, uint64_t w, uint64_t total,
                  double deadline)
{
    wk->err_fd = cli_capture_open();
    struct fuzz_work x = {a, w, wk->next, total, deadline, wk->err_fd};
    if (!cli_worker_fork(fuzz_work, &x, &wk->pid, &wk->fd)) {
        cli_capture_release(wk->err_fd);
        return false;
    }
    wk->in_run = false;
    wk->live = true;
    return true;
}

static void record(const struct fuzz_args *a, struct fuzz_tally *t, const struct fuzz_msg *m)
{
    char repro[FUZZ_TEXT + SIM_FAULTSET_TEXT_MAX + 64];
    repro_of(a, m->index, repro, sizeof repro);
    t->done++;
    if (m->outcome == FUZZ_PASS) {
        t->passed++;
    } else {
        t->failed++;
        if (t->failed_kept < FUZZ_TRACED_MAX && m->outcome != FUZZ_CRASH)
            t->failed_idx[t->failed_kept++] = m->index;
        if (t->kept_n < FUZZ_TRACED_MAX)
            t->kept[t->kept_n++] = *m;
        printf("%s  run %" PRIu64 " %s: %s\n      repro: %s\n", outcome_name[m->outcome],
               m->index, file_of(a, m->index), m->text, repro);
    }
    if (t->ins == NULL)
        return;
    sqlite3_reset(t->ins);
    sqlite3_bind_int64(t->ins, 1, (int64_t)m->index);
    sqlite3_bind_text(t->ins, 2, file_of(a, m->index), -1, SQLITE_STATIC);
    sqlite3_bind_int64(t->ins, 3, (int64_t)seed_of(a, m->index));
    sqlite3_bind_text(t->ins, 4, policy_of(a, m->index), -1, SQLITE_STATIC);
    sqlite3_bind_text(t->ins, 5, outcome_name[m->outcome], -1, SQLITE_STATIC);
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, m->hash);
    sqlite3_bind_text(t->ins, 6, hex, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(t->ins, 7, (int64_t)m->end_ps);
    sqlite3_bind_int64(t->ins, 8, (int64_t)(m->wall_s * 1e6));
    if (m->outcome == FUZZ_PASS) {
        sqlite3_bind_null(t->ins, 9);
        sqlite3_bind_null(t->ins, 10);
    } else {
        sqlite3_bind_text(t->ins, 9, m->text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(t->ins, 10, repro, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_null(t->ins, 11);
    if (t->coverage >= 0)
        sqlite3_bind_int64(t->ins, 12, t->coverage);
    else
        sqlite3_bind_null(t->ins, 12);
    char faults[SIM_FAULTSET_TEXT_MAX];
    if (faults_text(a, m->index, faults, sizeof faults))
        sqlite3_bind_text(t->ins, 13, faults, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(t->ins, 13);
    (void)sqlite3_step(t->ins);
    if (++t->batched == FUZZ_BATCH_ROWS) {
        (void)sqlite3_exec(t->db, "COMMIT; BEGIN", NULL, NULL, NULL);
        t->batched = 0;
    }
}

/* A run's end: recorded now, or under --policy cover kept for the end of
 * its generation (cm: what it reached; NULL for a crash). */
static void deliver(const struct fuzz_args *a, struct fuzz_tally *t, const struct fuzz_msg *m,
                    const struct fuzz_cover_msg *cm)
{
    if (a->cover == NULL) {
        record(a, t, m);
        return;
    }
    for (uint32_t k = 0; k < a->cover->n; k++) {
        if (a->cover->runs[k].index != m->index)
            continue;
        t->gen_msg[k] = *m;
        t->gen_cov[k].nf = 0;
        t->gen_cov[k].dec[0] = '\0';
        if (cm != NULL)
            t->gen_cov[k] = *cm;
        t->gen_got[k] = true;
        return;
    }
}

/* One line of progress: over itself on a terminal, every 5 s otherwise. */
static void progress(struct fuzz_tally *t, bool last)
{
    double now = wall_now(), el = now - t->started;
    bool tty = isatty(STDOUT_FILENO);
    if (!last && now - t->last_line < (tty ? 0.2 : 5.0))
        return;
    t->last_line = now;
    double rate = el > 0 ? (double)t->done / el : 0;
    char eta[32] = "";
    if (t->expected > 0 && rate > 0)
        snprintf(eta, sizeof eta, ", ETA %.0f s", (double)(t->expected - t->done) / rate);
    printf("%sruns %" PRIu64 "%s%" PRIu64 ", failures %" PRIu64 ", %.0f runs/s%s%s", tty ? "\r" : "",
           t->done, t->expected > 0 ? "/" : "", t->expected, t->failed, rate, eta,
           tty && !last ? "" : "\n");
    fflush(stdout);
}

/* A worker's pipe closed: a run it started and did not finish failed.
 * True when it died so (it is to be replaced). */
static bool worker_ended(const struct fuzz_args *a, struct fuzz_tally *t, struct fuzz_worker *wk)
{
    int status = 0;
    while (waitpid(wk->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(wk->fd);
    wk->live = false;
    char why[FUZZ_TEXT / 2];
    cli_capture_reason(wk->err_fd, why, sizeof why);
    cli_capture_release(wk->err_fd);
    wk->err_fd = -1;
    if (!wk->in_run)
        return false;
    struct fuzz_msg m = {.done = 1, .index = wk->current, .outcome = FUZZ_CRASH};
    const char *sep = why[0] != '\0' ? " - " : "";
    if (WIFSIGNALED(status))
        snprintf(m.text, sizeof m.text, "%s%sthe worker died of signal %d (%s) inside the run",
                 why, sep, WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(m.text, sizeof m.text, "%s%sthe worker exited with status %d inside the run",
                 why, sep, WEXITSTATUS(status));
    deliver(a, t, &m, NULL);
    wk->next++; /* the crashed run is counted; its replacement starts after it */
    wk->in_run = false;
    return true;
}

/* One message of a worker; true when the worker died inside a run. */
static bool take(const struct fuzz_args *a, struct fuzz_tally *t, struct fuzz_worker *wk)
{
    struct fuzz_msg m;
    if (!cli_read_all(wk->fd, &m, sizeof m))
        return worker_ended(a, t, wk);
    if (!m.done) {
        wk->in_run = true;
        wk->current = m.index;
        return false;
    }
    static struct fuzz_cover_msg cm;
    if (a->cover != NULL && !cli_read_all(wk->fd, &cm, sizeof cm))
        return worker_ended(a, t, wk); /* died between its two messages: inside the run */
    wk->in_run = false;
    wk->next++;
    deliver(a, t, &m, a->cover != NULL ? &cm : NULL);
    return false;
}

/* The shard's runs from shard index `from` up to (not including) run
 * number `total` (with --runs) or the deadline, by -j workers. */
static int campaign_part(const struct fuzz_args *a, struct fuzz_tally *t, uint64_t from,
                         uint64_t total)
{
    struct fuzz_worker wk[FUZZ_JOBS_MAX] = {0};
    double deadline = t->started + (double)a->time_s;
    for (uint64_t w = 0; w < a->jobs; w++) {
        wk[w].next = from > w ? (from - w + a->jobs - 1) / a->jobs : 0;
        if (!spawn(a, &wk[w], w, total, deadline))
            return CLI_EXIT_USAGE;
    }
    for (;;) {
        struct pollfd pf[FUZZ_JOBS_MAX];
        uint64_t of[FUZZ_JOBS_MAX];
        nfds_t n = 0;
        for (uint64_t w = 0; w < a->jobs; w++)
            if (wk[w].live) {
                pf[n] = (struct pollfd){.fd = wk[w].fd, .events = POLLIN};
                of[n++] = w;
            }
        if (n == 0)
            return 0;
        if (poll(pf, n, 1000) < 0 && errno != EINTR)
            return CLI_EXIT_USAGE;
        for (nfds_t k = 0; k < n; k++) {
            if ((pf[k].revents & (POLLIN | POLLHUP | POLLERR)) &&
                take(a, t, &wk[of[k]]) && !spawn(a, &wk[of[k]], of[k], total, deadline))
                return CLI_EXIT_USAGE;
        }
        progress(t, false);
    }
}

/* A generation's results in run order: the campaign's coverage grows, the
 * corpus takes the runs that added to it, failures are kept for tracing. */
static void cover_take_generation(const struct fuzz_args *a, struct fuzz_tally *t)
{
    struct fuzz_cover *c = a->cover;
    for (uint32_t k = 0; k < c->n; k++) {
        if (!t->gen_got[k])
            continue; /* the deadline came first */
        const struct fuzz_cover_msg *cm = &t->gen_cov[k];
        (void)fuzz_cover_take(c, k, cm->f, cm->nf, cm->choices, cm->dec[0] ? cm->dec : NULL);
        if (t->gen_msg[k].outcome != FUZZ_PASS)
            fuzz_cover_keep(c, k);
        t->coverage = (int64_t)fuzz_cover_total(c);
        record(a, t, &t->gen_msg[k]);
    }
}

/* --policy cover: generation after generation, each planned from the
 * corpus the ones before left. */
static int cover_campaign(const struct fuzz_args *a, struct fuzz_tally *t)
{
    double deadline = t->started + (double)a->time_s;
    for (uint64_t from = 0;;) {
        uint64_t idx[FUZZ_COVER_GEN];
        uint32_t n = 0;
        for (; n < FUZZ_COVER_GEN; n++) {
            idx[n] = a->shard_k + a->shard_n * (from + n);
            if (a->runs_set && idx[n] >= a->runs)
                break;
        }
        if (n == 0 || (a->time_set && wall_now() >= deadline))
            return 0;
        if (fuzz_cover_plan(a->cover, idx, n, (uint32_t)a->nfiles) != IOSIM_OK)
            return CLI_EXIT_USAGE;
        memset(t->gen_got, 0, sizeof t->gen_got);
        int rc = campaign_part(a, t, from, idx[n - 1] + 1);
        if (rc != 0)
            return rc;
        cover_take_generation(a, t);
        progress(t, false);
        from += n;
    }
}

static int campaign(const struct fuzz_args *a, struct fuzz_tally *t)
{
    if (a->cover != NULL)
        return cover_campaign(a, t);
    return campaign_part(a, t, 0, a->runs);
}

/* ---- the summary table ---------------------------------------------------------------------- */

static bool open_summary(const struct fuzz_args *a, struct fuzz_tally *t, const char *campaign)
{
    struct sim_trace_db *tdb;
    char msg[256];
    if (sim_trace_db_open(a->trace, &tdb, msg, sizeof msg) != IOSIM_OK) { /* the schema, once */
        fprintf(stderr, "iosim fuzz: %s\n", msg);
        return false;
    }
    sim_trace_db_close(tdb);
    if (sqlite3_open(a->trace, &t->db) != SQLITE_OK)
        return false;
    sqlite3_busy_timeout(t->db, 60000);
    char sql[400];
    snprintf(sql, sizeof sql, "INSERT INTO fuzz_run(campaign, idx, scenario, seed, policy, result, trace_hash,"
             " end_ps, wall_us, failure, repro, run_id, coverage, faults)"
             " VALUES('%s',?,?,?,?,?,?,?,?,?,?,?,?,?)", campaign);
    return sqlite3_exec(t->db, CLI_FUZZ_TABLE_SQL, NULL, NULL, NULL) == SQLITE_OK &&
           sqlite3_prepare_v2(t->db, sql, -1, &t->ins, NULL) == SQLITE_OK &&
           sqlite3_exec(t->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

/* The rows so far are in the file; the insert statement is gone. */
static void summary_flush(struct fuzz_tally *t)
{
    if (t->ins == NULL)
        return;
    (void)sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_finalize(t->ins);
    t->ins = NULL;
}

/* Each failing run again, into the file whole, its schedule decisions
 * recorded (the trace store wants the file to itself: the summary
 * connection is closed meanwhile). ids[k]: the run's id, -1 where one could
 * not be traced; dec[k]: its decisions (malloc'd) or NULL. A crash is not
 * run again here: it would take the parent with it. */
static void trace_again(const struct fuzz_args *a, const struct fuzz_tally *t, int64_t *ids,
                        char **dec)
{
    struct sim_trace_db *tdb;
    char msg[256];
    for (uint32_t k = 0; k < t->failed_kept; k++)
        ids[k] = -1, dec[k] = NULL;
    if (sim_trace_db_open(a->trace, &tdb, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim fuzz: the failing runs' traces: %s\n", msg);
        return;
    }
    static struct sim_run_result r;
    for (uint32_t k = 0; k < t->failed_kept; k++) {
        uint64_t i = t->failed_idx[k];
        struct sim_scenario *s;
        struct yml_error err;
        if (sim_scenario_load(file_of(a, i), &s, &err) != IOSIM_OK)
            continue;
        struct sim_decisions d = {0};
        static struct sim_faultset fs; /* the run's set again */
        struct sim_run_opts o = {.seed = seed_of(a, i), .seed_set = true,
                                 .policy = policy_of(a, i), .db = tdb, .record = &d,
                                 .faults = faults_of(a, s, i, &fs)};
        const struct fuzz_cover_run *cr = cover_of(a, i);
        if (cr != NULL && cr->scripted) { /* a mutant: its script is its schedule */
            o.record = NULL;
            o.decisions = &cr->script;
        }
        if (sim_run(s, &o, &r) == IOSIM_OK) {
            ids[k] = r.run_id;
            dec[k] = d.truncated ? NULL : sim_dec_text(o.decisions != NULL ? o.decisions : &d);
        } else {
            fprintf(stderr, "iosim fuzz: tracing run %" PRIu64 ": %s\n", i, r.message);
        }
        sim_dec_free(&d);
        sim_scenario_free(s);
    }
    sim_trace_db_close(tdb);
}

/* The failing runs' summary rows get their traces' ids and decisions. */
static void trace_failures(const struct fuzz_args *a, struct fuzz_tally *t, const char *campaign)
{
    if (t->failed_kept == 0)
        return;
    summary_flush(t);
    sqlite3_close(t->db);
    t->db = NULL;
    int64_t ids[FUZZ_TRACED_MAX];
    char *dec[FUZZ_TRACED_MAX];
    trace_again(a, t, ids, dec);
    sqlite3_stmt *upd = NULL;
    if (sqlite3_open(a->trace, &t->db) == SQLITE_OK &&
        sqlite3_prepare_v2(t->db, "UPDATE fuzz_run SET run_id = ?, decisions = ? "
                                  "WHERE campaign = ? AND idx = ?", -1, &upd, NULL) == SQLITE_OK) {
        (void)sqlite3_exec(t->db, "BEGIN", NULL, NULL, NULL);
        for (uint32_t k = 0; k < t->failed_kept; k++) {
            if (ids[k] < 0)
                continue;
            sqlite3_reset(upd);
            sqlite3_bind_int64(upd, 1, ids[k]);
            sqlite3_bind_text(upd, 2, dec[k], -1, SQLITE_STATIC); /* NULL binds NULL */
            sqlite3_bind_text(upd, 3, campaign, -1, SQLITE_STATIC);
            sqlite3_bind_int64(upd, 4, (int64_t)t->failed_idx[k]);
            (void)sqlite3_step(upd);
        }
        (void)sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL);
    }
    sqlite3_finalize(upd);
    for (uint32_t k = 0; k < t->failed_kept; k++)
        free(dec[k]);
}

static void close_summary(struct fuzz_tally *t)
{
    summary_flush(t);
    if (t->db != NULL)
        sqlite3_close(t->db);
}

/* ---- JUnit ---------------------------------------------------------------------------------- */

/* One test case per failing run kept (at most FUZZ_TRACED_MAX), and one
 * for the campaign: it fails when any run failed. */
static bool write_junit(const struct fuzz_args *a, const struct fuzz_tally *t)
{
    size_t n = t->kept_n + 1u;
    struct junit_case *cases = calloc(n, sizeof *cases);
    struct sim_run_result *rs = calloc(n, sizeof *rs);
    char(*names)[96] = calloc(n, sizeof *names);
    bool ok = cases != NULL && rs != NULL && names != NULL;
    for (size_t k = 0; ok && k < t->kept_n; k++) {
        const struct fuzz_msg *m = &t->kept[k];
        struct sim_run_result *r = &rs[k];
        *r = (struct sim_run_result){.seed = seed_of(a, m->index), .trace_hash = m->hash,
                                     .end_ps = m->end_ps, .failure_count = 1};
        snprintf(r->policy, sizeof r->policy, "%s", policy_of(a, m->index));
        /* the first line or so of a long failure (a determinism report's rows) */
        snprintf(r->failures[0], sizeof r->failures[0], "%.*s",
                 (int)(sizeof r->failures[0] - 1), m->text);
        repro_of(a, m->index, r->repro, sizeof r->repro);
        snprintf(names[k], sizeof names[k], "run %" PRIu64 " (%s)", m->index,
                 outcome_name[m->outcome]);
        cases[k] = (struct junit_case){.file = file_of(a, m->index), .name = names[k],
                                       .outcome = m->outcome == FUZZ_FAIL ? JUNIT_FAIL : JUNIT_ERROR,
                                       .wall_s = m->wall_s, .error = m->text, .r = r,
                                       .case_name = names[k]};
    }
    if (ok) {
        struct sim_run_result *r = &rs[t->kept_n];
        snprintf(names[t->kept_n], sizeof names[t->kept_n], "campaign: %" PRIu64 " runs",
                 t->done);
        if (t->failed > 0) {
            r->failure_count = 1;
            snprintf(r->failures[0], sizeof r->failures[0], "%" PRIu64 " of %" PRIu64
                     " runs failed", t->failed, t->done);
        }
        cases[t->kept_n] = (struct junit_case){.file = a->files[0], .name = names[t->kept_n],
                                               .outcome = t->failed > 0 ? JUNIT_FAIL : JUNIT_PASS,
                                               .wall_s = wall_now() - t->started, .r = r,
                                               .case_name = names[t->kept_n]};
        FILE *f = fopen(a->junit, "w");
        ok = f != NULL && junit_write(f, "iosim fuzz", cases, n);
        if (f != NULL && fclose(f) != 0)
            ok = false;
    }
    free(cases);
    free(rs);
    free(names);
    return ok;
}

/* ---- options ---------------------------------------------------------------------------- */

static bool add_file(const struct cli_opt *o, const char *text)
{
    struct fuzz_args *a = o->dest;
    if (a->nfiles == FUZZ_FILES_MAX)
        return false; /* the parser says so: .wants */
    a->files[a->nfiles++] = text;
    return true;
}

/* "K/N", 0 <= K < N. */
static bool parse_shard(const char *text, uint64_t *k, uint64_t *n)
{
    char *end;
    errno = 0;
    unsigned long long kk = strtoull(text, &end, 10);
    if (end == text || *end != '/' || errno != 0)
        return false;
    const char *rest = end + 1;
    unsigned long long nn = strtoull(rest, &end, 10);
    if (end == rest || *end != '\0' || errno != 0 || nn == 0 || kk >= nn)
        return false;
    *k = kk;
    *n = nn;
    return true;
}

/* The shard from the flag, else from a batch system's environment: a
 * Kubernetes Indexed Job (JOB_COMPLETION_INDEX, the count in
 * IOSIM_SHARDS), a Slurm job array (SLURM_ARRAY_TASK_ID from
 * SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT), or IOSIM_SHARD="K/N". */
static bool shard_of(struct fuzz_args *a)
{
    a->shard_k = 0;
    a->shard_n = 1;
    static char text[64];
    const char *k8s = getenv("JOB_COMPLETION_INDEX"), *count = getenv("IOSIM_SHARDS");
    const char *slurm = getenv("SLURM_ARRAY_TASK_ID"), *scount = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *smin = getenv("SLURM_ARRAY_TASK_MIN");
    if (a->shard == NULL && getenv("IOSIM_SHARD") != NULL)
        a->shard = getenv("IOSIM_SHARD");
    if (a->shard == NULL && k8s != NULL && count != NULL) {
        snprintf(text, sizeof text, "%s/%s", k8s, count);
        a->shard = text;
    }
    if (a->shard == NULL && slurm != NULL && scount != NULL) {
        long long id = strtoll(slurm, NULL, 10) - (smin != NULL ? strtoll(smin, NULL, 10) : 0);
        snprintf(text, sizeof text, "%lld/%s", id, scount);
        a->shard = text;
    }
    return a->shard == NULL || parse_shard(a->shard, &a->shard_k, &a->shard_n);
}

static bool opt_duration(const struct cli_opt *o, const char *text)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    double unit = strcmp(end, "s") == 0 || *end == '\0' ? 1 : strcmp(end, "m") == 0 ? 60
                  : strcmp(end, "h") == 0 ? 3600 : -1;
    if (end == text || errno != 0 || unit < 0 || v <= 0 || v * unit > 1e9)
        return false;
    *(uint64_t *)o->dest = (uint64_t)(v * unit + 0.999);
    return true;
}

static int parse_fuzz_args(int argc, char **argv, struct fuzz_args *a)
{
    a->jobs = 2;
    a->seed_base = 1;
    a->policy = "mix";
    const struct cli_opt opts[] = {
        {.name = "runs", .metavar = "N", .help = "runs in the campaign (all shards together)",
         .parse = cli_opt_u64, .dest = &a->runs, .min = 1, .max = UINT64_MAX / 2,
         .wants = "a count of at least 1", .seen = &a->runs_set},
        {.name = "time", .metavar = "DURATION", .help = "wall time to fuzz for: 90s, 10m, 2h",
         .parse = opt_duration, .dest = &a->time_s, .wants = "a duration (s, m, h)",
         .seen = &a->time_set},
        {.name = "policy", .metavar = "P", .parse = cli_opt_text, .dest = &a->policy,
         .help = "random, pct:D, fifo, mix (random, pct:2, pct:3 by seed; default), or cover"},
        {.letter = 'j', .metavar = "N", .help = "parallel worker processes (1..64)",
         .parse = cli_opt_u64, .dest = &a->jobs, .min = 1, .max = FUZZ_JOBS_MAX, .wants = "1..64"},
        {.name = "shard", .metavar = "K/N", .parse = cli_opt_text, .dest = &a->shard,
         .help = "run only the runs i with i mod N = K (else from the environment)"},
        {.name = "seed", .metavar = "S", .help = "the first seed (1)", .parse = cli_opt_u64,
         .dest = &a->seed_base, .max = UINT64_MAX / 2, .wants = "a seed"},
        {.name = "check-determinism", .metavar = "N", .parse = cli_opt_u64, .dest = &a->check_det,
         .help = "run every Nth passing run twice and compare the hashes", .min = 1,
         .max = UINT64_MAX, .wants = "a count of at least 1"},
        {.name = "trace", .metavar = "FILE.db", .parse = cli_opt_text, .dest = &a->trace,
         .help = "a summary row per run (fuzz_run), failing runs traced whole"},
        {.name = "junit", .metavar = "FILE", .parse = cli_opt_text, .dest = &a->junit,
         .help = "a JUnit XML report: the campaign, and each failing run"},
        {.name = "faults", .metavar = "MODE", .parse = cli_opt_text, .dest = &a->faults,
         .help = "swarm: each run a fault set drawn from its seed (the scenario's fuzz.faults)"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "fuzz",
        .about = "Runs the scenarios under many seeds and schedules, N at a time in separate\n"
                 "processes: run i is scenario i mod S with seed S0 + i / S.\n",
        .notes = "Each failure is printed with the command that reproduces it. Ends with\n"
                 "`N passed, N failed`. Exit status: 0 all passed, 1 a run failed, 2 bad "
                 "input.\n",
        .opts = opts,
        .operand = {.metavar = "SCENARIO...", .parse = add_file, .dest = a,
                    .wants = "at most 1024 scenario files"},
        .missing = "no scenario given",
    };
    int st = cli_opts_parse(&cmd, argc, argv);
    if (st != CLI_OPTS_GO_ON)
        return st;
    if (a->runs_set == a->time_set)
        return cli_opts_mistake(&cmd, "give one of --runs N and --time DURATION");
    if (!shard_of(a))
        return cli_opts_mistake(&cmd, "--shard: expected K/N with 0 <= K < N, got '%s'", a->shard);
    return CLI_OPTS_GO_ON;
}

/* Every scenario loads (kept: the runs' fault sets are drawn from them)
 * and the policy and the faults mode parse, before any worker starts. */
static bool check_inputs(struct fuzz_args *a)
{
    for (uint64_t f = 0; f < a->nfiles; f++) {
        struct yml_error err;
        if (sim_scenario_load(a->files[f], &a->scn[f], &err) != IOSIM_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return false;
        }
        static struct sim_faultset fs;
        const struct sim_faultset *set;
        if (!cli_faults_choose("iosim fuzz", a->scn[f], a->faults, NULL, 0, &fs, &set))
            return false; /* says once which scenarios allow no faults */
    }
    if (strcmp(a->policy, "mix") == 0 || strcmp(a->policy, "cover") == 0)
        return true;
    struct sim_sched_params sp;
    if (sim_policy_parse(a->policy, &sp) != IOSIM_OK) {
        fprintf(stderr, "iosim fuzz: --policy: expected random, pct:D, fifo, mix or cover, got "
                "'%s'\n", a->policy);
        return false;
    }
    return true;
}

static bool cover_setup(struct fuzz_args *a, struct fuzz_tally *t)
{
    a->cover = fuzz_cover_new(a->seed_base);
    t->gen_msg = calloc(FUZZ_COVER_GEN, sizeof *t->gen_msg);
    t->gen_cov = calloc(FUZZ_COVER_GEN, sizeof *t->gen_cov);
    return a->cover != NULL && t->gen_msg != NULL && t->gen_cov != NULL;
}

static void cover_teardown(struct fuzz_args *a, struct fuzz_tally *t)
{
    fuzz_cover_free(a->cover);
    a->cover = NULL;
    free(t->gen_msg);
    free(t->gen_cov);
}

int cli_fuzz(int argc, char **argv)
{
    struct fuzz_args a = {0};
    int st = parse_fuzz_args(argc, argv, &a);
    if (st != CLI_OPTS_GO_ON)
        return st;
    if (!check_inputs(&a))
        return CLI_EXIT_USAGE;
    static struct fuzz_tally t; /* its failures' messages are large */
    t.started = t.last_line = wall_now();
    t.coverage = -1;
    if (strcmp(a.policy, "cover") == 0 && !cover_setup(&a, &t)) {
        fprintf(stderr, "iosim fuzz: out of memory\n");
        return CLI_EXIT_USAGE;
    }
    if (a.runs_set) /* this shard's share of the runs */
        t.expected = a.runs > a.shard_k ? (a.runs - a.shard_k + a.shard_n - 1) / a.shard_n : 0;
    char campaign_id[64];
    snprintf(campaign_id, sizeof campaign_id, "seed%" PRIu64 "-shard%" PRIu64 "of%" PRIu64,
             a.seed_base, a.shard_k, a.shard_n);
    if (a.trace != NULL && !open_summary(&a, &t, campaign_id)) {
        fprintf(stderr, "iosim fuzz: cannot write %s\n", a.trace);
        return CLI_EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);
    int rc = campaign(&a, &t);
    progress(&t, true);
    if (t.db != NULL)
        trace_failures(&a, &t, campaign_id);
    close_summary(&t);
    if (a.junit != NULL && !write_junit(&a, &t)) {
        fprintf(stderr, "iosim fuzz: cannot write %s\n", a.junit);
        rc = CLI_EXIT_USAGE;
    }
    if (a.cover != NULL)
        printf("coverage: %" PRIu64 " pairs, corpus %" PRIu32 " runs\n", fuzz_cover_total(a.cover),
               a.cover->corpus_n);
    cover_teardown(&a, &t);
    printf("%" PRIu64 " passed, %" PRIu64 " failed\n", t.passed, t.failed);
    for (uint64_t f = 0; f < a.nfiles; f++)
        sim_scenario_free(a.scn[f]);
    if (rc != 0)
        return rc;
    return t.failed > 0 ? CLI_EXIT_FAIL : CLI_EXIT_PASS;
}
