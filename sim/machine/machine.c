/* Machine set-up, the run loop and counters; scheduling lives in sched.c,
 * device-facing I/O in io.c. See machine.h. */
#include "sim/machine/machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/engine/check.h"
#include "sim/engine/coro.h"
#include "sim/machine/sched.h"

static const char *const core_counter_names[] = {
#define SIM_COUNTER_NAME(f, name) name,
    SIM_COUNTERS(SIM_COUNTER_NAME)
#undef SIM_COUNTER_NAME
};
#define CORE_COUNTERS ((uint32_t)(sizeof core_counter_names / sizeof core_counter_names[0]))

static struct sim_counter_def *ext_counters[SIM_COUNTERS_EXT_MAX];
static uint32_t ext_count;

static bool counter_name_ok(const char *name)
{
    const char *dot = strchr(name, '.');
    if (dot == NULL || dot == name || dot[1] == '\0' || strlen(name) >= SIM_NAME_MAX)
        return false;
    for (const char *c = name; *c != '\0'; c++)
        if (!(*c == '.' || *c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
            return false;
    return true;
}

enum iosim_err sim_counter_register(struct sim_counter_def *def)
{
    ASSERT(def != NULL && def->name != NULL);
    for (uint32_t i = 0; i < ext_count; i++)
        if (ext_counters[i] == def)
            return IOSIM_OK;
    uint64_t v;
    struct sim_counters zero = {0};
    if (!counter_name_ok(def->name) || sim_counter_get(&zero, def->name, &v))
        return IOSIM_EINVAL;
    if (ext_count == SIM_COUNTERS_EXT_MAX)
        return IOSIM_ENOSPC;
    def->id = ext_count;
    ext_counters[ext_count++] = def;
    return IOSIM_OK;
}

bool sim_counter_get(const struct sim_counters *c, const char *name, uint64_t *value)
{
    ASSERT(c != NULL && name != NULL && value != NULL);
#define SIM_COUNTER_LOOKUP(f, n)   \
    if (strcmp(name, n) == 0) {    \
        *value = c->f;             \
        return true;               \
    }
    SIM_COUNTERS(SIM_COUNTER_LOOKUP)
#undef SIM_COUNTER_LOOKUP
    for (uint32_t i = 0; i < ext_count; i++) {
        if (strcmp(name, ext_counters[i]->name) == 0) {
            *value = c->ext[i];
            return true;
        }
    }
    return false;
}

uint32_t sim_counter_count(void) { return CORE_COUNTERS + ext_count; }

const char *sim_counter_name(uint32_t i)
{
    ASSERT(i < sim_counter_count());
    return i < CORE_COUNTERS ? core_counter_names[i] : ext_counters[i - CORE_COUNTERS]->name;
}

const char *sim_end_reason_name(enum sim_end_reason r)
{
    switch (r) {
    case SIM_END_RUNNING: return "running";
    case SIM_END_ALL_EXITED: return "all_exited";
    case SIM_END_DEADLOCK: return "deadlock";
    case SIM_END_TIME_LIMIT: return "time_limit";
    case SIM_END_ERROR: return "error";
    }
    return "?";
}

void sim_machine_config_default(struct sim_machine_config *cfg)
{
    ASSERT(cfg != NULL);
    *cfg = (struct sim_machine_config){
        .cpus = 1,
        .mem_bytes = 64ull << 20,
        .alloc_base = 1ull << 20,
        .iommu = false,
        .relaxed_memory = true,
        .seed = 1,
        .time_limit_ps = 1 * SIM_S,
        .events_max = 1u << 16,
        .costs = {
            .atomic_ps = 1 * SIM_NS,
            .rmw_ps = 10 * SIM_NS,
            .fence_ps = 20 * SIM_NS,
            .spin_ps = 10 * SIM_NS,
            .shm_ps = 2 * SIM_NS,
            .shm_per_kib_ps = 40 * SIM_NS,
            .local_ps = 300,
            .context_switch_ps = 1 * SIM_US,
            .syscall_ps = 100 * SIM_NS,
            .wake_ps = 2 * SIM_US,
            .mmio_write_ps = 50 * SIM_NS,
            .dma_alloc_ps = 500 * SIM_NS,
        },
        .sched = {
            .policy = SIM_POLICY_FIFO,
            .pct_depth = 3,
            .pct_steps = 10000,
            .timeslice_ps = 100 * SIM_US,
            .preempt_per_mille = 100,
            .jitter_percent = 50,
            .stall_per_mille = 5,
            .stall_max_ps = 2 * SIM_US,
            .store_delay_max_ps = 500 * SIM_NS,
        },
    };
}

/* A store buffer entry reaches memory: logged for the loads' views. */
static void sb_commit(void *ctx, uint32_t owner, uint8_t *host, const uint8_t *data,
                      uint32_t len_bytes)
{
    struct sim_machine *m = ctx;
    ASSERT(owner < m->cfg.cpus);
    sim_mv_commit(&m->mv, owner, host, data, len_bytes, SIM_MV_STORE_RELAXED, m->eng.now_ps);
}

static enum iosim_err machine_init_parts(struct sim_machine *m)
{
    const struct sim_machine_config *cfg = &m->cfg;
    enum iosim_err e = sim_engine_init(&m->eng, cfg->events_max);
    if (e == IOSIM_OK)
        e = sim_mem_init(&m->mem, cfg->mem_bytes, cfg->alloc_base);
    if (e == IOSIM_OK) {
        sim_mv_init(&m->mv, cfg->cpus, cfg->sched.store_delay_max_ps, m->mem.host,
                    cfg->mem_bytes);
        e = sim_bus_init(&m->bus);
    }
    if (e == IOSIM_OK)
        e = sim_iommu_init(&m->iommu, cfg->iommu);
    if (e == IOSIM_OK) {
        m->irq = calloc(SIM_IRQ_LINES, sizeof *m->irq);
        if (m->irq == NULL)
            e = IOSIM_ENOMEM;
    }
    return e;
}

enum iosim_err sim_machine_create(const struct sim_machine_config *cfg, struct sim_trace *trace,
                                  struct sim_machine **out)
{
    ASSERT(cfg != NULL && out != NULL);
    if (cfg->cpus == 0 || cfg->cpus > SIM_CPUS_MAX || cfg->fault_count > SIM_FAULT_RULES_MAX ||
        (cfg->sched.policy == SIM_POLICY_PCT && cfg->sched.pct_depth == 0))
        return IOSIM_EINVAL;
    struct sim_machine *m = calloc(1, sizeof *m);
    if (m == NULL)
        return IOSIM_ENOMEM;
    m->cfg = *cfg;
    m->trace = trace;
    for (uint32_t i = 0; i < cfg->cpus; i++) {
        m->cpus[i].idx = i;
        m->cpus[i].sb_event = SIM_EVENT_NONE;
        m->cpus[i].sb.commit = sb_commit;
        m->cpus[i].sb.commit_ctx = m;
        m->cpus[i].sb.owner = i;
    }
    for (uint32_t i = 0; i < SIM_POSTED_MAX; i++)
        m->posted[i].next_free = i + 1 < SIM_POSTED_MAX ? i + 1 : UINT32_MAX;
    m->posted_free = 0;
    sim_rng_stream(&m->rng_sched, cfg->seed, "scheduler");
    sim_rng_stream(&m->rng_faults, cfg->seed, "faults");
    sim_rng_stream(&m->rng_jitter, cfg->seed, "jitter");
    sim_rng_stream(&m->rng_memory, cfg->seed, "memory");
    enum iosim_err e = machine_init_parts(m);
    if (e != IOSIM_OK) {
        sim_machine_destroy(m);
        return e;
    }
    sim_sched_init(m);
    *out = m;
    return IOSIM_OK;
}

void sim_machine_destroy(struct sim_machine *m)
{
    if (m == NULL)
        return;
    for (uint32_t i = 0; i < m->proc_count; i++) {
        if (m->procs[i]->co != NULL)
            sim_coro_destroy(m->procs[i]->co);
        sim_port_release(m->procs[i]);
        free(m->procs[i]);
    }
    free(m->irq);
    sim_iommu_fini(&m->iommu);
    sim_bus_fini(&m->bus);
    if (m->mem.host != NULL)
        sim_mem_fini(&m->mem);
    if (m->eng.slots != NULL)
        sim_engine_fini(&m->eng);
    free(m);
}

void sim_machine_fail(struct sim_machine *m, enum iosim_err e, const char *msg)
{
    sim_check_outside("a machine failure");
    ASSERT(m != NULL && e != IOSIM_OK);
    if (m->error == IOSIM_OK) {
        m->error = e;
        snprintf(m->error_msg, sizeof m->error_msg, "%s", msg);
    }
    m->end = SIM_END_ERROR;
}

void sim_machine_set_kernel(struct sim_machine *m, const struct port_kernel_ops *ops)
{
    ASSERT(m != NULL);
    m->kernel = ops;
}

void sim_machine_set_spawner(struct sim_machine *m, const struct sim_spawner *sp)
{
    ASSERT(m != NULL);
    m->spawner = sp;
}

bool sim_machine_relaxed(const struct sim_machine *m)
{
    return m->cfg.relaxed_memory && m->cfg.sched.policy != SIM_POLICY_FIFO;
}

static void sb_due(void *ctx, uint64_t arg);

/* Keeps one drain event per CPU, at the earliest due time of its buffer. */
static void sb_arm(struct sim_machine *m, struct sim_cpu *cpu)
{
    sim_time_ps due = sim_sb_next_due(&cpu->sb);
    bool armed = sim_engine_pending(&m->eng, cpu->sb_event);
    if (due == SIM_TIME_MAX || (armed && cpu->sb_event_at_ps <= due))
        return;
    if (armed)
        (void)sim_engine_cancel(&m->eng, cpu->sb_event);
    if (sim_engine_at(&m->eng, due, sb_due, m, cpu->idx, &cpu->sb_event) != IOSIM_OK) {
        sim_machine_fail(m, IOSIM_ENOSPC, "event list full (raise machine.events_max)");
        return;
    }
    cpu->sb_event_at_ps = due;
}

static void sb_due(void *ctx, uint64_t arg)
{
    struct sim_machine *m = ctx;
    ASSERT(arg < m->cfg.cpus);
    struct sim_cpu *cpu = &m->cpus[arg];
    uint64_t before = cpu->sb.drained;
    sim_sb_drain_due(&cpu->sb, m->eng.now_ps);
    m->count.sb_drained += cpu->sb.drained - before;
    cpu->sb_event = SIM_EVENT_NONE;
    sb_arm(m, cpu);
}

void sim_cpu_store(struct sim_machine *m, struct sim_cpu *cpu, void *host, const void *src,
                   size_t len_bytes)
{
    sim_check_outside("a store to shared memory");
    ASSERT(m != NULL && cpu != NULL);
    if (!sim_machine_relaxed(m)) {
        memcpy(host, src, len_bytes);
        return;
    }
    sim_time_ps delay = sim_rng_below(&m->rng_memory, m->cfg.sched.store_delay_max_ps + 1);
    sim_sb_write(&cpu->sb, host, src, len_bytes, m->eng.now_ps + delay);
    sb_arm(m, cpu);
}

void sim_machine_run(struct sim_machine *m)
{
    ASSERT(m != NULL && sim_current_machine() == NULL);
    m->end = SIM_END_RUNNING;
    while (m->end == SIM_END_RUNNING) {
        if (m->live_nondaemon == 0 && m->proc_count > 0) {
            m->end = SIM_END_ALL_EXITED;
            break;
        }
        if (!sim_engine_step(&m->eng, m->cfg.time_limit_ps)) {
            if (m->end != SIM_END_RUNNING)
                break;
            bool more = sim_engine_live(&m->eng) > 0;
            m->end = more ? SIM_END_TIME_LIMIT
                   : m->live_nondaemon == 0 ? SIM_END_ALL_EXITED : SIM_END_DEADLOCK;
        }
    }
    for (uint32_t i = 0; i < m->cfg.cpus; i++)
        sim_sb_drain_all(&m->cpus[i].sb);
}
