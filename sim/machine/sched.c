/*
 * The scheduler: CPUs step through events, processes run as coroutines
 * between yield points, and a policy decides at each decision point.
 *
 * A CPU event means "the operation the current process started has taken
 * its time". At that point (the decision point) the policy may preempt the
 * process, stall the CPU, or let it go on; going on resumes the coroutine,
 * which performs its pending operation and runs to its next yield point.
 * See docs/architecture.md for the model and the policies.
 */
#include "sim/machine/sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/engine/check.h"
#include "impl/port/sys.h"
#include "sim/engine/coro.h"
#include "sim/machine/io.h"
#include "sim/trace/trace.h"

/* The one host thread running a simulation knows what it is executing. */
static _Thread_local struct {
    struct sim_machine *m;
    struct sim_proc *p;
    struct sim_cpu *cpu;
} g_cur;

struct sim_machine *sim_current_machine(void) { return g_cur.m; }
struct sim_proc *sim_current_proc(void) { return g_cur.p; }
struct sim_cpu *sim_current_cpu(void) { return g_cur.cpu; }

enum preempt_reason { PREEMPT_TIMESLICE, PREEMPT_RANDOM, PREEMPT_PRIORITY, PREEMPT_CHANGE_POINT };

static void cpu_event(void *ctx, uint64_t arg);

void sim_sched_trace(struct sim_machine *m, int64_t cpu, const struct sim_proc *p,
                     const char *event, int64_t other, int64_t detail)
{
    if (m->trace != NULL)
        sim_trace_sched(m->trace, m->eng.now_ps, cpu, p != NULL ? (int64_t)p->pid : -1, event,
                        other, detail);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void sim_sched_init(struct sim_machine *m)
{
    const struct sim_sched_params *s = &m->cfg.sched;
    if (s->policy != SIM_POLICY_PCT)
        return;
    uint32_t n = s->pct_depth - 1;
    if (n > sizeof m->pct_change_at / sizeof m->pct_change_at[0])
        n = sizeof m->pct_change_at / sizeof m->pct_change_at[0];
    for (uint32_t i = 0; i < n; i++)
        m->pct_change_at[i] = sim_rng_range(&m->rng_sched, 1, s->pct_steps);
    qsort(m->pct_change_at, n, sizeof m->pct_change_at[0], cmp_u64);
    m->pct_changes = n;
}

/* ---- run queue ---------------------------------------------------------- */

static bool eligible(const struct sim_proc *p, const struct sim_cpu *cpu)
{
    return p->affinity < 0 || (uint32_t)p->affinity == cpu->idx;
}

static void runq_push(struct sim_machine *m, struct sim_proc *p)
{
    ASSERT(m->runq_len < SIM_PROCS_MAX);
    p->state = SIM_PROC_RUNNABLE;
    p->cpu = -1;
    p->runq_order = m->runq_order_next++;
    m->runq[m->runq_len++] = p;
}

static struct sim_proc *runq_take(struct sim_machine *m, uint32_t i)
{
    ASSERT(i < m->runq_len);
    struct sim_proc *p = m->runq[i];
    memmove(&m->runq[i], &m->runq[i + 1], (m->runq_len - i - 1) * sizeof m->runq[0]);
    m->runq_len--;
    return p;
}

static void runq_remove(struct sim_machine *m, const struct sim_proc *p)
{
    for (uint32_t i = 0; i < m->runq_len; i++) {
        if (m->runq[i] == p) {
            (void)runq_take(m, i);
            return;
        }
    }
}

/* Eligible run-queue entries other than `skip`, in queue order. */
static uint32_t candidates_but(struct sim_machine *m, const struct sim_cpu *cpu,
                               const struct sim_proc *skip, uint32_t *idx)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->runq_len; i++)
        if (eligible(m->runq[i], cpu) && m->runq[i] != skip)
            idx[n++] = i;
    return n;
}

static uint32_t candidates(struct sim_machine *m, const struct sim_cpu *cpu, uint32_t *idx)
{
    return candidates_but(m, cpu, NULL, idx);
}

static bool prio_higher(const struct sim_proc *a, const struct sim_proc *b)
{
    return a->prio > b->prio || (a->prio == b->prio && a->pid < b->pid);
}

/* A choice that was not the default goes into the recording, if any. */
static void dec_note(struct sim_machine *m, uint64_t at, enum sim_dec_kind kind, uint64_t value)
{
    struct sim_decisions *d = m->cfg.decisions_record;
    if (d != NULL && sim_dec_push(d, at, kind, value) != IOSIM_OK)
        sim_machine_fail(m, IOSIM_ENOMEM, "out of memory recording schedule decisions");
}

/* The position among n candidates the policy draws (in queue order). */
static uint32_t policy_position(struct sim_machine *m, const uint32_t *idx, uint32_t n)
{
    switch (m->cfg.sched.policy) {
    case SIM_POLICY_FIFO:
        return 0;
    case SIM_POLICY_RANDOM:
        return (uint32_t)sim_rng_below(&m->rng_sched, n);
    case SIM_POLICY_PCT: {
        uint32_t best = 0;
        for (uint32_t i = 1; i < n; i++)
            if (prio_higher(m->runq[idx[i]], m->runq[idx[best]]))
                best = i;
        return best;
    }
    }
    return 0;
}

/* A dispatch among several candidates is a choice; the script's position,
 * when it names one past the end (a shrunk script), is the last. */
static uint32_t pick_position(struct sim_machine *m, const uint32_t *idx, uint32_t n)
{
    const struct sim_decisions *script = m->cfg.decisions_script;
    if (script == NULL) {
        uint32_t j = policy_position(m, idx, n);
        if (n > 1) {
            uint64_t at = m->choice_next++;
            if (j != 0)
                dec_note(m, at, SIM_DEC_PICK, j);
        }
        return j;
    }
    if (n == 1)
        return 0;
    const struct sim_dec *e = sim_dec_lookup(script, m->choice_next++, &m->script_pos);
    if (e == NULL || e->kind != SIM_DEC_PICK)
        return 0;
    return e->value < n ? (uint32_t)e->value : n - 1;
}

/* The pick among the eligible runnable processes, or -1. A process whose
 * time slice just ran out (`skip`) is picked only when it is alone: that is
 * what keeps a spinning process from starving the one it waits for, even
 * under pct's strict priorities. */
static int32_t policy_pick(struct sim_machine *m, const struct sim_cpu *cpu,
                           const struct sim_proc *skip)
{
    uint32_t idx[SIM_PROCS_MAX];
    uint32_t n = candidates_but(m, cpu, skip, idx);
    if (n == 0)
        n = candidates(m, cpu, idx);
    if (n == 0)
        return -1;
    return (int32_t)idx[pick_position(m, idx, n)];
}

/* ---- CPU events ---------------------------------------------------------- */

static void cpu_schedule(struct sim_machine *m, struct sim_cpu *cpu, sim_time_ps delay_ps)
{
    ASSERT(!cpu->busy);
    enum iosim_err e = sim_engine_after(&m->eng, delay_ps, cpu_event, m, cpu->idx, NULL);
    if (e != IOSIM_OK) {
        sim_machine_fail(m, e, "event list full (raise machine.events_max)");
        return;
    }
    cpu->busy = true;
}

static void cpu_dispatch_skip(struct sim_machine *m, struct sim_cpu *cpu, struct sim_proc *prev,
                              const struct sim_proc *skip)
{
    ASSERT(cpu->cur == NULL && !cpu->busy);
    int32_t i = policy_pick(m, cpu, skip);
    if (i < 0)
        return; /* idle until a wake-up kicks this CPU */
    struct sim_proc *q = runq_take(m, (uint32_t)i);
    q->state = SIM_PROC_RUNNING;
    q->cpu = (int32_t)cpu->idx;
    cpu->cur = q;
    cpu->fresh = true;
    sim_time_ps cost = 0;
    if (q != prev) {
        cost = m->cfg.costs.context_switch_ps;
        m->count.ctx_switches++;
        sim_sched_trace(m, cpu->idx, q, "dispatch", prev != NULL ? (int64_t)prev->pid : -1, 0);
    }
    q->slice_start_ps = m->eng.now_ps + cost;
    cpu_schedule(m, cpu, cost);
}

static void cpu_dispatch(struct sim_machine *m, struct sim_cpu *cpu, struct sim_proc *prev)
{
    cpu_dispatch_skip(m, cpu, prev, NULL);
}

/* An idle CPU that may run p starts looking for work after `delay_ps`. */
static void kick_idle(struct sim_machine *m, const struct sim_proc *p, sim_time_ps delay_ps)
{
    for (uint32_t i = 0; i < m->cfg.cpus; i++) {
        struct sim_cpu *cpu = &m->cpus[i];
        if (cpu->cur == NULL && !cpu->busy && eligible(p, cpu)) {
            cpu_schedule(m, cpu, delay_ps);
            return;
        }
    }
}

static void leave_cpu(struct sim_machine *m, struct sim_cpu *cpu)
{
    /* a context switch is a full barrier on every real OS */
    m->count.sb_drained += cpu->sb.count;
    sim_sb_drain_all(&cpu->sb);
    cpu->cur = NULL;
    cpu->fresh = false;
}

static void preempt(struct sim_machine *m, struct sim_cpu *cpu, enum preempt_reason why)
{
    struct sim_proc *p = cpu->cur;
    m->count.preemptions++;
    sim_sched_trace(m, cpu->idx, p, "preempt", -1, why);
    leave_cpu(m, cpu);
    runq_push(m, p);
    cpu_dispatch_skip(m, cpu, p, why == PREEMPT_TIMESLICE ? p : NULL);
}

static sim_time_ps stall_draw(struct sim_machine *m)
{
    return sim_rng_range(&m->rng_sched, 1, m->cfg.sched.stall_max_ps);
}

static void stall(struct sim_machine *m, struct sim_cpu *cpu, sim_time_ps d)
{
    m->count.stalls++;
    sim_sched_trace(m, cpu->idx, cpu->cur, "stall", -1, (int64_t)d);
    cpu_schedule(m, cpu, d);
}

static bool higher_waiting(struct sim_machine *m, const struct sim_cpu *cpu)
{
    uint32_t idx[SIM_PROCS_MAX];
    uint32_t n = candidates(m, cpu, idx);
    for (uint32_t i = 0; i < n; i++)
        if (prio_higher(m->runq[idx[i]], cpu->cur))
            return true;
    return false;
}

/* pct: returns true when this decision point is a priority change point. */
static bool pct_change_point(struct sim_machine *m)
{
    m->pct_step++;
    bool hit = false;
    while (m->pct_next_change < m->pct_changes &&
           m->pct_change_at[m->pct_next_change] <= m->pct_step) {
        m->pct_next_change++;
        hit = true;
    }
    return hit;
}

/* The policy's choice at a decision point (recorded when not to run on). */
static bool decide_policy(struct sim_machine *m, struct sim_cpu *cpu, uint64_t at, bool others)
{
    const struct sim_sched_params *s = &m->cfg.sched;
    enum preempt_reason why = PREEMPT_RANDOM;
    sim_time_ps d = 0;
    switch (s->policy) {
    case SIM_POLICY_FIFO:
        return false;
    case SIM_POLICY_RANDOM:
        if (others && sim_rng_chance(&m->rng_sched, s->preempt_per_mille))
            break;
        if (!sim_rng_chance(&m->rng_sched, s->stall_per_mille))
            return false;
        d = stall_draw(m);
        break;
    case SIM_POLICY_PCT:
        if (pct_change_point(m)) {
            cpu->cur->prio = m->pct_next_change; /* below every initial priority */
            why = PREEMPT_CHANGE_POINT;
            if (!(others && higher_waiting(m, cpu)))
                d = stall_draw(m);
            break;
        }
        if (!(others && higher_waiting(m, cpu)))
            return false;
        why = PREEMPT_PRIORITY;
        break;
    }
    if (d != 0) {
        dec_note(m, at, SIM_DEC_STALL, d);
        stall(m, cpu, d);
    } else {
        dec_note(m, at, SIM_DEC_PREEMPT, why);
        preempt(m, cpu, why);
    }
    return true;
}

/* The script's choice at a decision point: an entry that no longer fits
 * (a preemption with nobody to run, a pick) is the default. */
static bool decide_scripted(struct sim_machine *m, struct sim_cpu *cpu, uint64_t at, bool others)
{
    const struct sim_dec *e = sim_dec_lookup(m->cfg.decisions_script, at, &m->script_pos);
    if (e == NULL)
        return false;
    if (e->kind == SIM_DEC_STALL) {
        stall(m, cpu, e->value);
        return true;
    }
    if (e->kind != SIM_DEC_PREEMPT || !others)
        return false;
    preempt(m, cpu, e->value <= PREEMPT_CHANGE_POINT ? (enum preempt_reason)e->value
                                                     : PREEMPT_RANDOM);
    return true;
}

/* The decision point. True when the policy took the CPU elsewhere (the
 * process was preempted or the CPU stalled), false to let it run on. */
static bool decide(struct sim_machine *m, struct sim_cpu *cpu)
{
    struct sim_proc *p = cpu->cur;
    uint32_t idx[SIM_PROCS_MAX];
    m->count.decisions++;
    if (p->preempt_off > 0)
        return false; /* a spinlock holder keeps its CPU (port_preempt_disable) */
    bool others = candidates(m, cpu, idx) > 0;
    if (others && m->eng.now_ps - p->slice_start_ps >= m->cfg.sched.timeslice_ps) {
        preempt(m, cpu, PREEMPT_TIMESLICE);
        return true;
    }
    uint64_t at = m->choice_next++;
    if (m->cfg.decisions_script != NULL)
        return decide_scripted(m, cpu, at, others);
    return decide_policy(m, cpu, at, others);
}

static sim_time_ps jittered(struct sim_machine *m, sim_time_ps cost)
{
    uint32_t j = m->cfg.sched.jitter_percent;
    if (m->cfg.sched.policy != SIM_POLICY_RANDOM || j == 0 || cost == 0)
        return cost;
    uint64_t span = cost / 100 * j + (cost % 100) * j / 100;
    return cost + sim_rng_below(&m->rng_jitter, span + 1);
}

void sim_machine_host_enter(struct sim_machine *m)
{
    ASSERT(g_cur.m == NULL && g_cur.p == NULL);
    g_cur.m = m;
}

void sim_machine_host_leave(struct sim_machine *m)
{
    ASSERT(g_cur.m == m && g_cur.p == NULL);
    (void)m;
    g_cur.m = NULL;
}

/* Tells the kernel a process is gone. Runs on the host side of the engine,
 * with the machine current but no process: the kernel's hook must only take
 * note and wake its own kernel process (impl/kernel does). */
static void kernel_exit_hook(struct sim_machine *m, struct sim_proc *p)
{
    if (m->kernel == NULL || m->kernel->exit == NULL)
        return;
    struct sim_machine *saved_m = g_cur.m;
    struct sim_proc *saved_p = g_cur.p;
    struct sim_cpu *saved_cpu = g_cur.cpu;
    g_cur.m = m;
    g_cur.p = NULL;
    g_cur.cpu = NULL;
    m->kernel->exit(m->kernel->ctx, p->pid);
    g_cur.m = saved_m;
    g_cur.p = saved_p;
    g_cur.cpu = saved_cpu;
}

static void proc_finish(struct sim_machine *m, struct sim_proc *p)
{
    p->state = SIM_PROC_EXITED;
    m->count.procs_exited++;
    if (p->failed)
        m->count.procs_failed++;
    if (!p->daemon) {
        ASSERT(m->live_nondaemon > 0);
        m->live_nondaemon--;
    }
    if (p->co != NULL) {
        sim_coro_destroy(p->co);
        p->co = NULL;
    }
    sim_port_release(p);
    kernel_exit_hook(m, p);
}

/* After the coroutine yielded: act on what it asked for. */
static void after_yield(struct sim_machine *m, struct sim_cpu *cpu, struct sim_proc *p)
{
    switch (p->op) {
    case SIM_OP_COST:
        cpu_schedule(m, cpu, jittered(m, p->op_cost_ps));
        return;
    case SIM_OP_STALL:
        return; /* sim_cpu_unstall schedules the CPU */
    case SIM_OP_BLOCK:
        p->state = SIM_PROC_BLOCKED;
        sim_sched_trace(m, cpu->idx, p, "block", -1, 0);
        leave_cpu(m, cpu);
        cpu_dispatch(m, cpu, p);
        return;
    case SIM_OP_YIELD:
        leave_cpu(m, cpu);
        runq_push(m, p);
        cpu_dispatch(m, cpu, p);
        return;
    case SIM_OP_EXIT:
        sim_sched_trace(m, cpu->idx, p, "exit", -1, p->exit_status);
        leave_cpu(m, cpu);
        proc_finish(m, p);
        /* finishing may have woken someone (the kernel's reaper) onto this
         * very CPU already */
        if (!cpu->busy)
            cpu_dispatch(m, cpu, p);
        return;
    case SIM_OP_NONE:
        break;
    }
    ASSERT(!"a process yielded without a request");
}

static void cpu_run(struct sim_machine *m, struct sim_cpu *cpu)
{
    struct sim_proc *p = cpu->cur;
    ASSERT(p != NULL && p->state == SIM_PROC_RUNNING && p->co != NULL);
    g_cur.m = m;
    g_cur.p = p;
    g_cur.cpu = cpu;
    p->op = SIM_OP_NONE;
    sim_coro_resume(p->co);
    g_cur.m = NULL;
    g_cur.p = NULL;
    g_cur.cpu = NULL;
    m->count.yield_points++;
    after_yield(m, cpu, p);
}

static void cpu_event(void *ctx, uint64_t arg)
{
    struct sim_machine *m = ctx;
    ASSERT(arg < m->cfg.cpus);
    struct sim_cpu *cpu = &m->cpus[arg];
    cpu->busy = false;
    if (cpu->cur == NULL) {
        cpu_dispatch(m, cpu, NULL);
        return;
    }
    if (cpu->fresh) {
        cpu->fresh = false;
        cpu_run(m, cpu);
        return;
    }
    if (!decide(m, cpu))
        cpu_run(m, cpu);
}

/* ---- process life cycle ---------------------------------------------------- */

static void proc_entry(void *arg)
{
    struct sim_proc *p = arg;
    int32_t status = p->fn(p->arg);
    sim_proc_exit(p, status, false);
}

static void proc_start(void *ctx, uint64_t arg)
{
    struct sim_machine *m = ctx;
    ASSERT(arg < m->proc_count);
    struct sim_proc *p = m->procs[arg];
    if (p->state != SIM_PROC_BLOCKED)
        return; /* killed before it started */
    runq_push(m, p);
    kick_idle(m, p, 0);
}

static enum iosim_err proc_alloc(struct sim_machine *m, const struct sim_proc_def *def,
                                 struct sim_proc **out)
{
    if (m->proc_count == SIM_PROCS_MAX)
        return IOSIM_ENOSPC;
    if (def->cpu >= (int32_t)m->cfg.cpus)
        return IOSIM_EINVAL;
    struct sim_proc *p = calloc(1, sizeof *p);
    if (p == NULL)
        return IOSIM_ENOMEM;
    enum iosim_err e = sim_coro_create(&p->co, NULL, proc_entry, p);
    if (e != IOSIM_OK) {
        free(p);
        return e;
    }
    p->pid = m->proc_count + 1;
    snprintf(p->name, sizeof p->name, "%s", def->name != NULL ? def->name : "proc");
    p->kind = def->kind != NULL ? def->kind : "process";
    p->affinity = def->cpu;
    p->cpu = -1;
    p->mv_cpu = UINT32_MAX;
    p->daemon = def->daemon;
    p->fn = def->fn;
    p->arg = def->arg;
    p->machine = m;
    p->irq_wait_line = UINT32_MAX;
    p->timeout = SIM_EVENT_NONE;
    p->res.next = p->res.prev = &p->res;
    if (m->cfg.sched.policy == SIM_POLICY_PCT)
        p->prio = m->cfg.sched.pct_depth + sim_rng_below(&m->rng_sched, 1u << 30);
    *out = p;
    return IOSIM_OK;
}

enum iosim_err sim_proc_spawn(struct sim_machine *m, const struct sim_proc_def *def,
                              struct sim_proc **out)
{
    ASSERT(m != NULL && def != NULL && def->fn != NULL);
    struct sim_proc *p;
    enum iosim_err e = proc_alloc(m, def, &p);
    if (e != IOSIM_OK)
        return e;
    e = sim_engine_after(&m->eng, def->start_ps, proc_start, m, m->proc_count, NULL);
    if (e != IOSIM_OK) {
        sim_coro_destroy(p->co);
        free(p);
        return e;
    }
    m->procs[m->proc_count++] = p;
    m->count.procs_spawned++;
    if (!p->daemon)
        m->live_nondaemon++;
    if (m->trace != NULL)
        sim_trace_process(m->trace, m->eng.now_ps, p->pid, p->name, p->kind, p->affinity);
    sim_sched_trace(m, -1, p, "spawn", -1, (int64_t)def->start_ps);
    p->state = SIM_PROC_BLOCKED; /* until proc_start */
    if (out != NULL)
        *out = p;
    return IOSIM_OK;
}

struct sim_proc *sim_proc_by_name(struct sim_machine *m, const char *name)
{
    for (uint32_t i = 0; i < m->proc_count; i++)
        if (strcmp(m->procs[i]->name, name) == 0)
            return m->procs[i];
    return NULL;
}

/* ---- yield points (inside a process) ---------------------------------------- */

static void yield_with(struct sim_proc *p, enum sim_op_kind op, sim_time_ps cost_ps)
{
    sim_check_outside("a yield point");
    ASSERT(p == g_cur.p && p->co == sim_coro_running());
    p->op = op;
    p->op_cost_ps = cost_ps;
    sim_coro_yield(p->co);
    ASSERT(p->state == SIM_PROC_RUNNING);
}

void sim_proc_cost(struct sim_proc *p, sim_time_ps cost_ps)
{
    yield_with(p, SIM_OP_COST, cost_ps == 0 ? 1 : cost_ps);
}

void sim_proc_stall(struct sim_proc *p) { yield_with(p, SIM_OP_STALL, 0); }
void sim_proc_block(struct sim_proc *p)
{
    ASSERT(p->preempt_off == 0 && "blocking with preemption disabled");
    yield_with(p, SIM_OP_BLOCK, 0);
}
void sim_proc_yield_cpu(struct sim_proc *p) { yield_with(p, SIM_OP_YIELD, 0); }

_Noreturn void sim_proc_exit(struct sim_proc *p, int32_t status, bool failed)
{
    ASSERT(p == g_cur.p);
    p->exit_status = status;
    p->failed = p->failed || failed;
    p->op = SIM_OP_EXIT;
    sim_coro_exit(p->co);
}

/* ---- from events ----------------------------------------------------------- */

void sim_proc_wake(struct sim_proc *p, enum iosim_err err, uint64_t value)
{
    struct sim_machine *m = p->machine;
    ASSERT(p->state == SIM_PROC_BLOCKED);
    if (sim_engine_pending(&m->eng, p->timeout))
        (void)sim_engine_cancel(&m->eng, p->timeout);
    p->timeout = SIM_EVENT_NONE;
    p->wake_err = err;
    p->wake_value = value;
    sim_sched_trace(m, -1, p, "wake", -1, err);
    runq_push(m, p);
    kick_idle(m, p, m->cfg.costs.wake_ps);
}

void sim_cpu_unstall(struct sim_proc *p, uint64_t value)
{
    struct sim_machine *m = p->machine;
    if (p->state != SIM_PROC_RUNNING || p->op != SIM_OP_STALL)
        return; /* killed meanwhile */
    struct sim_cpu *cpu = &m->cpus[p->cpu];
    ASSERT(cpu->cur == p && !cpu->busy);
    p->wake_value = value;
    p->op = SIM_OP_COST;
    cpu_schedule(m, cpu, 0);
}

void sim_proc_kernel_enter(struct sim_proc *p)
{
    p->in_kernel++;
}

void sim_proc_kernel_leave(struct sim_proc *p)
{
    ASSERT(p->in_kernel > 0);
    if (--p->in_kernel == 0 && p->kill_pending)
        sim_proc_exit(p, p->kill_status, true);
}

void sim_proc_kill(struct sim_proc *p, int32_t status)
{
    struct sim_machine *m = p->machine;
    ASSERT(p != g_cur.p);
    if (p->state == SIM_PROC_EXITED)
        return;
    if (p->in_kernel > 0) {
        p->kill_pending = true;
        p->kill_status = status;
        sim_sched_trace(m, -1, p, "kill_deferred", -1, status);
        if (p->state == SIM_PROC_BLOCKED && p->wait_word != NULL) {
            sim_io_unwait(m, p);
            if (p->irq_wait_line != UINT32_MAX) {
                m->irq[p->irq_wait_line].waiter = NULL;
                p->irq_wait_line = UINT32_MAX;
            }
            sim_proc_wake(p, IOSIM_ECANCELED, 0);
        }
        return;
    }
    if (p->state == SIM_PROC_RUNNABLE)
        runq_remove(m, p);
    if (p->state == SIM_PROC_RUNNING) {
        struct sim_cpu *cpu = &m->cpus[p->cpu];
        leave_cpu(m, cpu);
        if (!cpu->busy)
            cpu_schedule(m, cpu, 0);
    }
    if (p->irq_wait_line != UINT32_MAX) {
        m->irq[p->irq_wait_line].waiter = NULL;
        p->irq_wait_line = UINT32_MAX;
    }
    if (p->wait_word != NULL)
        sim_io_unwait(m, p);
    if (sim_engine_pending(&m->eng, p->timeout))
        (void)sim_engine_cancel(&m->eng, p->timeout);
    p->exit_status = status;
    p->failed = true;
    sim_sched_trace(m, -1, p, "kill", -1, status);
    proc_finish(m, p);
}
