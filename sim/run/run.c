/* One run of a scenario; see run.h. */
#include "sim/run/run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/kernel/kernel.h"
#include "impl/port/check.h"
#include "sim/machine/dev.h"
#include "sim/run/cover.h"
#include "sim/run/rowlog.h"
#include "sim/run/expect_trace.h"
#include "sim/run/program_exec.h"
#include "sim/run/run_faults.h"
#include "sim/run/run_spawn.h"
#include "sim/trace/trace.h"

struct run_state {
    struct sim_scenario *s;
    struct sim_run_result *r;
    struct sim_machine *m;
    struct sim_trace *tr;
    uint32_t expect_idx;
    struct kern *kernel;              /* machine.kernel */
    struct port_kernel_ops kernel_ops;
    struct sim_expect_tally tally;    /* `trace:` expectations */
    bool tallying;                    /* the scenario has some */
    struct sim_cover *cover;          /* NULL: no coverage wanted */
    struct sim_rowlog *rowlog;        /* NULL: rows not logged */
    struct sim_run_faults *faults;    /* opts->faults put on this run */
};

/* A fio_result row's columns, as trace_tables.h lists them. */
enum { FIO_JOB = 1, FIO_DIR, FIO_IOS, FIO_ERRORS = 5, FIO_IOPS = 7, FIO_BW, FIO_P50 = 12,
       FIO_P90, FIO_P99, FIO_P999, FIO_NCOLS };

static void keep_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* Keeps a workload's summary for the command line to print. */
static void keep_fio(struct sim_run_result *r, const struct sim_trace_value *c, uint32_t ncols)
{
    if (ncols != FIO_NCOLS)
        return;
    if (r->fio_count == SIM_RUN_FIO_MAX) {
        r->fio_dropped++;
        return;
    }
    struct sim_run_fio *f = &r->fio[r->fio_count++];
    keep_text(f->job, sizeof f->job, c[FIO_JOB].str);
    keep_text(f->dir, sizeof f->dir, c[FIO_DIR].str);
    f->ios = (uint64_t)c[FIO_IOS].value;
    f->errors = (uint64_t)c[FIO_ERRORS].value;
    f->iops = (uint64_t)c[FIO_IOPS].value;
    f->bw_kib_s = (uint64_t)c[FIO_BW].value;
    f->p50_ns = (uint64_t)c[FIO_P50].value;
    f->p90_ns = (uint64_t)c[FIO_P90].value;
    f->p99_ns = (uint64_t)c[FIO_P99].value;
    f->p999_ns = (uint64_t)c[FIO_P999].value;
}

/* The run's tap: the `trace:` expectations' tally, and fio's summaries. */
static void run_tap(void *ctx, uint32_t table, sim_time_ps t_ps,
                    const struct sim_trace_value *cols, uint32_t ncols)
{
    struct run_state *rs = ctx;
    if (rs->tallying)
        sim_expect_tally_row(&rs->tally, table, t_ps, cols, ncols);
    if (table == SIM_TRACE_TABLE_fio_result)
        keep_fio(rs->r, cols, ncols);
    if (rs->cover != NULL)
        sim_cover_row(rs->cover, table, cols, ncols);
    if (rs->rowlog != NULL)
        sim_rowlog_row(rs->rowlog, table, t_ps, cols, ncols);
}

static const char *state_name(enum sim_proc_state st)
{
    switch (st) {
    case SIM_PROC_RUNNABLE: return "runnable";
    case SIM_PROC_RUNNING: return "running";
    case SIM_PROC_BLOCKED: return "blocked";
    case SIM_PROC_EXITED: return "exited";
    }
    return "?";
}

/* Records one expectation result: trace row, tally, kept failure text. */
static void verdict(struct run_state *rs, const char *kind, uint32_t line, uint32_t col,
                    bool ok, const char *msg)
{
    /* The trace names the file by its base name: the hash must not depend on
     * how the path was spelled on the command line. Messages keep the path. */
    char where[SIM_SCN_TEXT_MAX + 32], row_where[SIM_SCN_TEXT_MAX + 32];
    const char *base = strrchr(rs->s->file, '/');
    snprintf(where, sizeof where, "%s:%u:%u", rs->s->file, line, col);
    snprintf(row_where, sizeof row_where, "%s:%u:%u", base != NULL ? base + 1 : rs->s->file,
             line, col);
    sim_trace_expectation(rs->tr, rs->m->eng.now_ps, rs->expect_idx++, kind, row_where,
                          ok ? "pass" : "fail", msg);
    if (ok) {
        rs->r->expectations_passed++;
        return;
    }
    rs->r->expectations_failed++;
    if (rs->r->failure_count < SIM_RUN_FAILURES_MAX)
        snprintf(rs->r->failures[rs->r->failure_count++], SIM_RUN_MSG_MAX, "%s: %s", where, msg);
}

static bool bounds_ok(const struct sim_expect *x, uint64_t v)
{
    return (!x->has_eq || v == x->eq) && (!x->has_ne || v != x->ne) &&
           (!x->has_min || v >= x->min) && (!x->has_max || v <= x->max);
}

static void bounds_text(const struct sim_expect *x, char *buf, size_t cap)
{
    int n = 0;
    buf[0] = '\0';
    if (x->has_eq)
        n += snprintf(buf + n, cap - (size_t)n, " == %" PRIu64, x->eq);
    if (x->has_ne && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, " != %" PRIu64, x->ne);
    if (x->has_min && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, " >= %" PRIu64, x->min);
    if (x->has_max && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, " <= %" PRIu64, x->max);
}

static uint64_t read_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = size; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

static void check_process(struct run_state *rs, const struct sim_expect *x)
{
    const struct sim_proc *p = sim_proc_by_name(rs->m, x->name);
    char msg[SIM_RUN_MSG_MAX];
    if (p == NULL) { /* `spawned: true`: another process was to start it */
        ASSERT(x->spawned);
        snprintf(msg, sizeof msg, "process %s: nobody started it", x->name);
        verdict(rs, "process", x->line, x->col, false, msg);
        return;
    }
    bool exited = p->state == SIM_PROC_EXITED;
    bool state_ok = !x->has_state || p->state == x->state;
    bool exit_ok = !x->has_exit || (exited && p->exit_status == x->exit_status);
    if (!exit_ok && exited)
        snprintf(msg, sizeof msg, "process %s: expected exit status %d, got %d", x->name,
                 x->exit_status, p->exit_status);
    else if (!exit_ok)
        snprintf(msg, sizeof msg, "process %s: expected to exit with status %d, but it is %s",
                 x->name, x->exit_status, state_name(p->state));
    else if (!state_ok)
        snprintf(msg, sizeof msg, "process %s: expected state %s, got %s", x->name,
                 state_name(x->state), state_name(p->state));
    else if (exited)
        snprintf(msg, sizeof msg, "process %s exited with status %d", x->name, p->exit_status);
    else
        snprintf(msg, sizeof msg, "process %s is %s", x->name, state_name(p->state));
    verdict(rs, "process", x->line, x->col, state_ok && exit_ok, msg);
}

/* Counted by the trace's tap during the run; bounds as for counters. */
static void check_trace(struct run_state *rs, const struct sim_expect *x)
{
    char msg[SIM_RUN_MSG_MAX];
    uint64_t n = sim_expect_tally_rows(&rs->tally, x);
    sim_expect_trace_text(x, n, msg, sizeof msg);
    verdict(rs, "trace", x->line, x->col, bounds_ok(x, n), msg);
}

static void check_one(struct run_state *rs, const struct sim_expect *x)
{
    char msg[SIM_RUN_MSG_MAX], b[160];
    uint64_t v = 0;
    bounds_text(x, b, sizeof b);
    switch (x->kind) {
    case SIM_EXPECT_MEMORY: {
        const uint8_t *h = sim_mem_host(&rs->m->mem, x->addr, x->size);
        v = read_le(h, x->size);
        snprintf(msg, sizeof msg, "memory[0x%" PRIx64 "] (%u bytes) = %" PRIu64 ", expected%s",
                 x->addr, x->size, v, b);
        verdict(rs, "memory", x->line, x->col, bounds_ok(x, v), msg);
        return;
    }
    case SIM_EXPECT_PROCESS:
        check_process(rs, x);
        return;
    case SIM_EXPECT_COUNTER:
        (void)sim_counter_get(&rs->m->count, x->name, &v);
        snprintf(msg, sizeof msg, "counter %s = %" PRIu64 ", expected%s", x->name, v, b);
        verdict(rs, "counter", x->line, x->col, bounds_ok(x, v), msg);
        return;
    case SIM_EXPECT_END_TIME:
        v = rs->m->eng.now_ps;
        snprintf(msg, sizeof msg, "end time %" PRIu64 " ps, expected%s", v, b);
        verdict(rs, "end_time", x->line, x->col, bounds_ok(x, v), msg);
        return;
    case SIM_EXPECT_END:
        snprintf(msg, sizeof msg, "run ended with %s, expected %s",
                 sim_end_reason_name(rs->m->end), sim_end_reason_name(x->end));
        verdict(rs, "end", x->line, x->col, rs->m->end == x->end, msg);
        return;
    case SIM_EXPECT_TRACE:
        check_trace(rs, x);
        return;
    }
}

/* Who is still around when a run did not end with every process exited. */
static void describe_stuck(const struct sim_machine *m, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "run ended with %s", sim_end_reason_name(m->end));
    const char *sep = "; still running: ";
    for (uint32_t i = 0; i < m->proc_count && (size_t)n < cap; i++) {
        const struct sim_proc *p = m->procs[i];
        if (p->state == SIM_PROC_EXITED || p->daemon)
            continue;
        n += snprintf(buf + n, cap - (size_t)n, "%s%s (%s)", sep, p->name, state_name(p->state));
        sep = ", ";
    }
    if (m->end == SIM_END_ERROR && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, ": %s", m->error_msg);
}

/* Assertion steps of the programs become expectations too. */
static void check_asserts(struct run_state *rs)
{
    for (uint32_t i = 0; i < rs->s->proc_count; i++) {
        const struct sim_program *pg = &rs->s->procs[i].prog;
        for (uint32_t k = 0; k < pg->count; k++) {
            const struct sim_step *st = &pg->steps[k];
            char msg[SIM_RUN_MSG_MAX];
            if (st->kind == SIM_STEP_SPIN_UNTIL && st->failed != 0) {
                snprintf(msg, sizeof msg, "%s: %s", rs->s->procs[i].name, st->failure);
                verdict(rs, "assert", st->line, st->col, false, msg);
            }
            if (st->kind != SIM_STEP_ASSERT)
                continue;
            if (st->failed != 0)
                snprintf(msg, sizeof msg, "%s: %s", rs->s->procs[i].name, st->failure);
            else if (st->evaluated == 0)
                snprintf(msg, sizeof msg, "%s: assertion never reached%s%s",
                         rs->s->procs[i].name, st->text[0] ? ": " : "", st->text);
            else
                snprintf(msg, sizeof msg, "%s: held %" PRIu64 " times%s%s", rs->s->procs[i].name,
                         st->evaluated, st->text[0] ? ": " : "", st->text);
            verdict(rs, "assert", st->line, st->col, st->failed == 0 && st->evaluated > 0, msg);
        }
    }
}

static void check_all(struct run_state *rs)
{
    for (uint32_t i = 0; i < rs->s->expect_count; i++)
        check_one(rs, &rs->s->expects[i]);
    check_asserts(rs);
    if (rs->m->mv.races > 0) /* a data race the memory model saw (memview.h) */
        verdict(rs, "memory", 1, 1, false, rs->m->mv.race_msg);
    if (!rs->s->end_expected) {
        char msg[SIM_RUN_MSG_MAX];
        bool ok = rs->m->end == SIM_END_ALL_EXITED;
        if (ok)
            snprintf(msg, sizeof msg, "every process exited");
        else
            describe_stuck(rs->m, msg, sizeof msg);
        verdict(rs, "end", 1, 1, ok, msg);
    }
}

/* ---- building and running ----------------------------------------------------- */

/* What the devices of a run are made of, to be taken down after it: each
 * family's shared part (by registry index) and each device's instance. */
struct run_devices {
    const struct sim_scenario *s;
    void *shared[SIM_FAMILIES_MAX];
    bool attached[SIM_FAMILIES_MAX];
    void *instance[SIM_SCN_DEVICES_MAX];
};

static bool family_used(const struct sim_scenario *s, uint32_t fi)
{
    if (s->family_machine[fi] != NULL)
        return true;
    for (uint32_t i = 0; i < s->device_count; i++)
        if (s->devices[i].family == sim_family_at(fi))
            return true;
    return false;
}

static void *shared_of(const struct sim_family_run *run, const struct sim_family *f)
{
    const struct run_devices *rd = run->ctx;
    uint32_t fi = sim_family_index(f);
    return rd->attached[fi] ? rd->shared[fi] : NULL;
}

/* A device created before the one being created (instance[] is filled
 * in file order), by name. */
static void *instance_of(const struct sim_family_run *run, const char *name,
                         const struct sim_family **family)
{
    const struct run_devices *rd = run->ctx;
    ASSERT(name != NULL);
    ASSERT(family != NULL);
    *family = NULL;
    for (uint32_t i = 0; i < rd->s->device_count; i++) {
        const struct sim_scn_device *d = &rd->s->devices[i];
        if (strcmp(d->name, name) != 0 || rd->instance[i] == NULL)
            continue;
        *family = d->family;
        return rd->instance[i];
    }
    return NULL;
}

/* Families in registry order, then devices in file order. */
static enum iosim_err add_devices(struct run_state *rs, struct run_devices *rd)
{
    const struct sim_scenario *s = rs->s;
    rd->s = s;
    for (uint32_t fi = 0; fi < sim_family_count(); fi++) {
        const struct sim_family *f = sim_family_at(fi);
        if (f->attach == NULL || !family_used(s, fi))
            continue;
        const char *why = NULL;
        enum iosim_err e = f->attach(rs->m, s->family_machine[fi], &rd->shared[fi], &why);
        if (e != IOSIM_OK) {
            snprintf(rs->r->message, sizeof rs->r->message, "%s: %s",
                     why != NULL ? why : f->name, iosim_err_text(e));
            return e;
        }
        rd->attached[fi] = true;
    }
    for (uint32_t i = 0; i < s->device_count; i++) {
        const struct sim_scn_device *d = sim_run_faults_device(rs->faults, i);
        const char *why = NULL;
        struct sim_family_run run = {.m = rs->m, .shared = rd->shared[sim_family_index(d->family)],
                                     .shared_of = shared_of, .instance_of = instance_of,
                                     .ctx = rd};
        enum iosim_err e = d->family->create(&run, d, &rd->instance[i], &why);
        if (e != IOSIM_OK) {
            snprintf(rs->r->message, sizeof rs->r->message, "device %s: %s", d->name,
                     why != NULL ? why : iosim_err_text(e));
            return e;
        }
    }
    return IOSIM_OK;
}

static void remove_devices(struct run_state *rs, struct run_devices *rd)
{
    for (uint32_t i = 0; i < rs->s->device_count; i++) {
        const struct sim_family *f = rs->s->devices[i].family;
        if (rd->instance[i] != NULL && f->destroy != NULL)
            f->destroy(rd->instance[i]);
    }
    for (uint32_t fi = 0; fi < sim_family_count(); fi++)
        if (rd->attached[fi] && sim_family_at(fi)->detach != NULL)
            sim_family_at(fi)->detach(rd->shared[fi]);
}

/* The kernel of machine.kernel: created on the machine's memory, attached
 * to its system calls, and run as the daemon process "kernel". */
static enum iosim_err add_kernel(struct run_state *rs)
{
    if (!rs->s->kernel)
        return IOSIM_OK;
    sim_machine_host_enter(rs->m);
    enum iosim_err e = kern_create(&rs->kernel);
    sim_machine_host_leave(rs->m);
    if (e != IOSIM_OK) {
        snprintf(rs->r->message, sizeof rs->r->message, "kernel: %s", iosim_err_text(e));
        return e;
    }
    kern_port_ops(rs->kernel, &rs->kernel_ops);
    sim_machine_set_kernel(rs->m, &rs->kernel_ops);
    struct sim_proc_def def = {.name = "kernel", .kind = "kernel", .fn = kern_main,
                               .arg = rs->kernel, .cpu = -1, .daemon = true};
    return sim_proc_spawn(rs->m, &def, NULL);
}

static void remove_kernel(struct run_state *rs)
{
    if (rs->kernel == NULL)
        return;
    sim_machine_set_kernel(rs->m, NULL);
    sim_machine_host_enter(rs->m);
    kern_destroy(rs->kernel);
    sim_machine_host_leave(rs->m);
    rs->kernel = NULL;
}

static enum iosim_err add_processes(struct run_state *rs, struct sim_prog_ctx *ctx)
{
    struct sim_scenario *s = rs->s;
    for (uint32_t i = 0; i < s->proc_count; i++) {
        struct sim_scn_process *sp = &s->procs[i];
        ctx[i] = (struct sim_prog_ctx){.prog = &rs->s->procs[i].prog,
                                       .devices = s->prog_devices,
                                       .device_count = s->prog_device_count};
        struct sim_proc_def def = {.name = sp->name, .kind = "program", .fn = sim_program_main,
                                   .arg = &ctx[i], .cpu = sp->cpu, .daemon = sp->daemon,
                                   .start_ps = sp->start_ps};
        if (sp->app != NULL) {
            def.kind = "app";
            def.fn = sp->app->main;
            def.arg = &sp->args;
        }
        enum iosim_err e = sim_proc_spawn(rs->m, &def, NULL);
        if (e != IOSIM_OK) {
            snprintf(rs->r->message, sizeof rs->r->message, "process %s: %s", sp->name,
                     iosim_err_text(e));
            return e;
        }
    }
    return IOSIM_OK;
}

/* A `kind: kill` fault: the process ends now, wherever it is. */
static void kill_now(void *ctx, uint64_t arg)
{
    struct run_state *rs = ctx;
    const struct sim_scn_kill *kl = &rs->s->kills[arg];
    struct sim_proc *p = sim_proc_by_name(rs->m, kl->process);
    if (p == NULL || p->state == SIM_PROC_EXITED)
        return;
    rs->m->count.faults_injected++;
    sim_trace_fault(rs->tr, rs->m->eng.now_ps, "kill", p->name, "killed (status -9)");
    sim_proc_kill(p, -9);
}

static enum iosim_err add_kills(struct run_state *rs)
{
    for (uint32_t i = 0; i < rs->s->kill_count; i++) {
        enum iosim_err e = sim_dev_after(rs->m, rs->s->kills[i].at_ps, kill_now, rs, i, NULL);
        if (e != IOSIM_OK)
            return e;
    }
    return IOSIM_OK;
}

static void reset_tallies(struct sim_scenario *s)
{
    for (uint32_t i = 0; i < s->proc_count; i++) {
        struct sim_program *pg = &s->procs[i].prog;
        for (uint32_t k = 0; k < pg->count; k++) {
            pg->steps[k].evaluated = 0;
            pg->steps[k].failed = 0;
            pg->steps[k].failure[0] = '\0';
        }
    }
}

/* Appends text to the repro line; a line that would overflow keeps what
 * fits (len stops at the end). */
static void repro_cat(char *buf, size_t cap, size_t *len, const char *text)
{
    if (*len + 1 >= cap)
        return;
    size_t k = strlen(text);
    if (k > cap - 1 - *len)
        k = cap - 1 - *len;
    memcpy(buf + *len, text, k);
    *len += k;
    buf[*len] = '\0';
}

/* The script on the repro line (its text needs no shell quoting), or -
 * when it is too long for one - a note saying so. */
static void repro_decisions(char *buf, size_t cap, const struct sim_decisions *d)
{
    static const char opt[] = " --decisions ";
    if (sizeof opt + sim_dec_format(d, NULL, 0) > cap) {
        snprintf(buf, cap, " --decisions (%" PRIu32 " entries: too long for a command line)", d->n);
        return;
    }
    memcpy(buf, opt, sizeof opt - 1);
    (void)sim_dec_format(d, buf + sizeof opt - 1, cap - (sizeof opt - 1));
}

static enum iosim_err prepare(struct sim_scenario *s, const struct sim_run_opts *o,
                              struct sim_machine_config *cfg, struct sim_run_result *r)
{
    *cfg = s->machine;
    if (o->seed_set)
        cfg->seed = o->seed;
    const char *policy = o->policy != NULL ? o->policy : s->policy;
    if (strlen(policy) >= sizeof r->policy || sim_policy_parse(policy, &cfg->sched) != IOSIM_OK) {
        snprintf(r->message, sizeof r->message,
                 "unknown policy '%.32s' (expected fifo, random or pct:D with D from 1 to 16)",
                 policy);
        return IOSIM_EINVAL;
    }
    snprintf(r->policy, sizeof r->policy, "%s", policy);
    r->seed = cfg->seed;
    int n = snprintf(r->repro, sizeof r->repro, "%s run %s --seed %" PRIu64 " --policy %s",
                     o->program != NULL ? o->program : "iosim", s->file, cfg->seed, policy);
    size_t len = n > 0 ? (size_t)n : 0;
    if (o->faults != NULL) { /* explicit, so that it can be edited (iosim shrink) */
        static char text[SIM_FAULTSET_TEXT_MAX];
        if (sim_faultset_format(o->faults, text, sizeof text) != IOSIM_OK) {
            snprintf(r->message, sizeof r->message, "the fault set is too long to print");
            return IOSIM_ENOSPC;
        }
        repro_cat(r->repro, sizeof r->repro, &len, " --fault-set '");
        repro_cat(r->repro, sizeof r->repro, &len, text);
        repro_cat(r->repro, sizeof r->repro, &len, "'");
    }
    if (o->counts != NULL && sim_scn_counts_format(s, o->counts, NULL, 0) > 0) {
        static char text[1024];
        (void)sim_scn_counts_format(s, o->counts, text, sizeof text);
        repro_cat(r->repro, sizeof r->repro, &len, " --counts ");
        repro_cat(r->repro, sizeof r->repro, &len, text);
    }
    if (o->decisions != NULL && len + 1 < sizeof r->repro)
        repro_decisions(r->repro + len, sizeof r->repro - len, o->decisions);
    cfg->decisions_script = o->decisions;
    cfg->decisions_record = o->record;
    sim_scn_counts_apply(s, o->counts);
    reset_tallies(s);
    return IOSIM_OK;
}

/* Closes the run's trace. Must happen while the machine still exists: the
 * trace borrows its names (SYM columns) until the run is finished. */
static enum iosim_err finish_trace(struct run_state *rs, enum iosim_err e)
{
    struct sim_run_result *r = rs->r;
    r->passed = e == IOSIM_OK && r->expectations_failed == 0;
    struct sim_trace_result res = {
        .result = e != IOSIM_OK ? "error" : r->passed ? "pass" : "fail",
        .end_time_ps = r->end_ps, .expectations_passed = r->expectations_passed,
        .expectations_failed = r->expectations_failed,
        .message = e != IOSIM_OK ? r->message : r->failure_count ? r->failures[0] : "",
    };
    enum iosim_err te = sim_trace_finish(rs->tr, &res);
    r->trace_hash = sim_trace_hash(rs->tr);
    r->trace_rows = sim_trace_rows(rs->tr);
    r->run_id = sim_trace_run_id(rs->tr);
    if (e == IOSIM_OK && te != IOSIM_OK) {
        char why[256] = "";
        (void)sim_trace_error(rs->tr, why, sizeof why);
        snprintf(r->message, sizeof r->message, "trace database: %s", why);
        r->passed = false;
        return te;
    }
    return e;
}

static enum iosim_err simulate(struct run_state *rs, struct sim_machine_config *cfg)
{
    struct run_devices rd = {0};
    struct sim_prog_ctx *ctx = calloc(rs->s->proc_count, sizeof *ctx);
    enum iosim_err e = ctx != NULL ? sim_machine_create(cfg, rs->tr, &rs->m) : IOSIM_ENOMEM;
    if (e != IOSIM_OK) {
        snprintf(rs->r->message, sizeof rs->r->message, "cannot build the machine: %s",
                 iosim_err_text(e));
        free(ctx);
        return finish_trace(rs, e);
    }
    struct sim_run_spawner spawner;
    sim_run_spawner_init(&spawner);
    sim_machine_set_spawner(rs->m, &spawner.ops);
    e = add_devices(rs, &rd);
    if (e == IOSIM_OK)
        e = add_kernel(rs);
    if (e == IOSIM_OK)
        e = add_processes(rs, ctx);
    if (e == IOSIM_OK)
        e = add_kills(rs);
    if (e == IOSIM_OK)
        e = sim_run_faults_schedule(rs->faults, rs->m, rs->tr);
    if (e == IOSIM_OK) {
        sim_machine_run(rs->m);
        check_all(rs);
        rs->r->end = rs->m->end;
        rs->r->end_ps = rs->m->eng.now_ps;
        rs->r->choices = rs->m->choice_next;
        rs->r->counters = rs->m->count;
        if (rs->m->end == SIM_END_ERROR) {
            snprintf(rs->r->message, sizeof rs->r->message, "%s", rs->m->error_msg);
            e = rs->m->error;
        }
    }
    e = finish_trace(rs, e);
    remove_kernel(rs);
    remove_devices(rs, &rd);
    sim_machine_destroy(rs->m);
    rs->m = NULL;
    sim_run_spawner_fini(&spawner); /* after the processes that borrowed their arguments */
    free(ctx);
    return e;
}

enum iosim_err sim_run(struct sim_scenario *s, const struct sim_run_opts *o,
                       struct sim_run_result *r)
{
    ASSERT(s != NULL && o != NULL && r != NULL);
    memset(r, 0, sizeof *r);
    r->run_id = -1;
    struct sim_machine_config cfg;
    struct sim_run_faults rf;
    sim_run_faults_init(&rf, s, o->faults);
    enum iosim_err e = prepare(s, o, &cfg, r);
    if (e == IOSIM_OK)
        e = sim_run_faults_machine(&rf, &cfg, r->message, sizeof r->message);
    if (e != IOSIM_OK) {
        sim_run_faults_fini(&rf);
        return e;
    }
    struct sim_trace tr;
    struct sim_trace_run_info info = {.scenario = s->name, .scenario_file = s->file,
                                      .policy = r->policy, .build_id = IOSIM_BUILD_ID,
                                      .command = r->repro, .seed = r->seed,
                                      .clauses = s->clauses[0] != '\0' ? s->clauses : NULL};
    e = sim_trace_init(&tr, o->db, &info);
    if (e != IOSIM_OK) {
        snprintf(r->message, sizeof r->message, "trace: %s", iosim_err_text(e));
        sim_run_faults_fini(&rf);
        return e;
    }
    struct run_state rs = {.s = s, .r = r, .tr = &tr, .cover = o->cover,
                          .rowlog = o->rowlog, .faults = &rf};
    rs.tallying = sim_expect_tally_init(&rs.tally, s);
    sim_trace_set_tap(&tr, run_tap, &rs);
    e = simulate(&rs, &cfg);
    sim_trace_fini(&tr);
    sim_run_faults_fini(&rf); /* after the devices made from its copies */
    return e;
}

void sim_run_failure_key(enum iosim_err e, const struct sim_run_result *r, char *key, size_t cap)
{
    if (e != IOSIM_OK) {
        snprintf(key, cap, "error: %.200s", r->message);
    } else if (r->passed || r->failure_count == 0) {
        snprintf(key, cap, "%s", r->passed ? "" : "failed");
    } else {
        const char *f = r->failures[0];
        const char *sep = strstr(f, ": ");
        snprintf(key, cap, "%.*s", sep != NULL ? (int)(sep - f) : (int)strlen(f), f);
    }
}
