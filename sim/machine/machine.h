/*
 * machine.h - a simulated machine: CPUs running processes, physical memory,
 * an MMIO bus, an IOMMU, interrupt lines, the seeded scheduler, the trace.
 *
 * Processes are coroutines running production code (or scenario programs)
 * against the simulator's port (sim/machine/port_sim.c). Each port call is a yield
 * point: the process stops, the CPU is busy for the cost of the operation,
 * and at the next decision point the scheduler policy may switch processes,
 * stall the CPU, or let buffered stores drain. Devices are event-driven
 * models that see the machine through sim/machine/dev.h.
 *
 *     struct sim_machine *m;
 *     sim_machine_create(&cfg, trace, &m);       cfg: CPUs, memory, policy, seed ...
 *     sim_proc_spawn(m, &(struct sim_proc_def){ .name = "drv", .fn = main_fn, .arg = x }, NULL);
 *     sim_machine_run(m);                        until all processes exited, deadlock or time limit
 *     ... inspect m->end, counters, memory ...
 *     sim_machine_destroy(m);
 *
 * Ownership: the machine owns its processes, memory and devices' regions;
 * `trace` is borrowed and must outlive the machine. One machine runs on one
 * host thread; two machines may exist in one process but only one may be
 * inside sim_machine_run at a time per thread.
 */
#ifndef IOSIM_SIM_MACHINE_H
#define IOSIM_SIM_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/machine/bus.h"
#include "sim/machine/decisions.h"
#include "sim/machine/dev.h"
#include "sim/engine/engine.h"
#include "sim/machine/iommu.h"
#include "sim/machine/mem.h"
#include "sim/engine/rng.h"
#include "sim/machine/memview.h"
#include "sim/machine/storebuf.h"
#include "sim/engine/time.h"

struct sim_trace;
struct sim_coro;
struct sim_machine;
struct port_kernel_ops;

/* Who starts the programs processes ask for (port_sys_spawn): the run,
 * which knows the program table. Returns the child's pid or -errno. */
struct sim_spawner {
    int64_t (*spawn)(void *ctx, struct sim_machine *m, const char *name, const char *program,
                     const char *args, uint64_t flags);
    void *ctx;
};

#define SIM_CPUS_MAX 64u
#define SIM_PROCS_MAX 1024u
#define SIM_FAULT_RULES_MAX 64u
#define SIM_NAME_MAX 48u

/* ---- configuration ---------------------------------------------------- */

enum sim_policy_kind {
    SIM_POLICY_FIFO,   /* baseline: no preemption but the timeslice, SC memory, no jitter */
    SIM_POLICY_RANDOM, /* seeded preemption, jitter, stalls, random store drains */
    SIM_POLICY_PCT,    /* probabilistic concurrency testing with depth D */
};

/* What each kind of yield point costs the CPU (docs/architecture.md gives
 * the defaults and where they come from). */
struct sim_costs {
    sim_time_ps atomic_ps;       /* relaxed/acquire load, relaxed store */
    sim_time_ps rmw_ps;          /* RMW, CAS, xchg, release or seq_cst store */
    sim_time_ps fence_ps;
    sim_time_ps spin_ps;         /* port_spin_hint */
    sim_time_ps shm_ps;          /* port_shm_read/write base cost */
    sim_time_ps shm_per_kib_ps;  /* ... plus this per KiB */
    sim_time_ps local_ps;        /* a scenario program's register step */
    sim_time_ps context_switch_ps;
    sim_time_ps syscall_ps;
    sim_time_ps wake_ps;         /* interrupt/wake-up to an idle CPU */
    sim_time_ps mmio_write_ps;   /* CPU side of a posted write */
    sim_time_ps dma_alloc_ps;
};

struct sim_sched_params {
    enum sim_policy_kind policy;
    uint32_t pct_depth;           /* D of pct:D, >= 1 */
    uint64_t pct_steps;           /* k: change points fall in [1, k] */
    sim_time_ps timeslice_ps;     /* all policies preempt after this */
    uint32_t preempt_per_mille;   /* random */
    uint32_t jitter_percent;      /* random: cost += U[0, cost * j%] */
    uint32_t stall_per_mille;     /* random */
    sim_time_ps stall_max_ps;     /* random and pct */
    sim_time_ps store_delay_max_ps; /* a relaxed store becomes visible within this */
};

enum sim_fault_kind {
    SIM_FAULT_IRQ_DROP,   /* an interrupt is lost */
    SIM_FAULT_IRQ_DELAY,  /* an interrupt arrives late */
    SIM_FAULT_DMA_ERROR,  /* a device's DMA access fails (as a bus error) */
};

struct sim_fault_rule {
    enum sim_fault_kind kind;
    uint32_t line;                /* irq_*: the line; UINT32_MAX = any */
    char device[SIM_NAME_MAX];    /* dma_error: device name; "" = any */
    uint64_t nth;                 /* fire at the nth opportunity (1-based); 0 = use per_mille */
    uint32_t per_mille;           /* fire with this probability (faults stream) */
    uint64_t count_max;           /* stop after this many fires (0 = unlimited) */
    sim_time_ps delay_ps;         /* irq_delay */
    /* state */
    uint64_t seen;
    uint64_t fired;
};

struct sim_machine_config {
    uint32_t cpus;
    uint64_t mem_bytes;
    uint64_t alloc_base;          /* page allocator starts here */
    bool iommu;
    bool relaxed_memory;          /* store buffers (only under random/pct) */
    uint64_t seed;
    sim_time_ps time_limit_ps;
    uint32_t events_max;
    struct sim_costs costs;
    struct sim_sched_params sched;
    struct sim_fault_rule faults[SIM_FAULT_RULES_MAX];
    uint32_t fault_count;
    /* Schedule decisions (sim/machine/decisions.h), both borrowed for the
     * run and usually NULL: every non-default choice is appended to
     * decisions_record; with decisions_script the choices are the
     * script's, the default everywhere else, and the policy draws none. */
    struct sim_decisions *decisions_record;
    const struct sim_decisions *decisions_script;
};

/* Defaults for everything (1 CPU, 64 MiB, fifo, seed 1 ...). */
void sim_machine_config_default(struct sim_machine_config *cfg);

/* ---- counters ---------------------------------------------------------- */

/* X(field, "name as scenarios and reports spell it") */
#define SIM_COUNTERS(X)                                  \
    X(ctx_switches, "sched.context_switches")            \
    X(preemptions, "sched.preemptions")                  \
    X(stalls, "sched.stalls")                            \
    X(yield_points, "sched.yield_points")                \
    X(decisions, "sched.decisions")                      \
    X(sb_drained, "mem.stores_drained")                  \
    X(mmio_reads, "mmio.reads")                          \
    X(mmio_writes, "mmio.writes")                        \
    X(mmio_unmapped, "mmio.unmapped")                    \
    X(dma_reads, "dma.reads")                            \
    X(dma_writes, "dma.writes")                          \
    X(dma_bytes, "dma.bytes")                            \
    X(dma_errors, "dma.errors")                          \
    X(iommu_maps, "iommu.maps")                          \
    X(iommu_unmaps, "iommu.unmaps")                      \
    X(iommu_refused, "iommu.refused")                    \
    X(irq_raised, "irq.raised")                          \
    X(irq_delivered, "irq.delivered")                    \
    X(irq_timeouts, "irq.timeouts")                      \
    X(faults_injected, "faults.injected")                \
    X(procs_spawned, "proc.spawned")                     \
    X(procs_exited, "proc.exited")                       \
    X(procs_failed, "proc.failed")                       \
    X(bufpool_allocs, "bufpool.allocs")                  \
    X(bufpool_alloc_failures, "bufpool.alloc_failures")  \
    X(bufpool_deferred, "bufpool.deferred")              \
    X(bufpool_reclaims, "bufpool.reclaims")              \
    X(bufpool_forfeits, "bufpool.forfeits")              \
    X(bufpool_leaks, "bufpool.leaks")                    \
    X(bufpool_leaked_bytes, "bufpool.leaked_bytes")      \
    X(bufpool_bad_handles, "bufpool.bad_handles")

/* Counters a model family owns (its descriptor lists them, sim/scenario/family.h)
 * are registered at start-up after the machine's own, and live in ext[] at
 * their registration index. */
#define SIM_COUNTERS_EXT_MAX 64u

struct sim_counters {
#define SIM_COUNTER_FIELD(f, name) uint64_t f;
    SIM_COUNTERS(SIM_COUNTER_FIELD)
#undef SIM_COUNTER_FIELD
    uint64_t ext[SIM_COUNTERS_EXT_MAX];
};

/* Registers def (sets def->id); the same def again is a no-op. EINVAL: a name
 * that is not DOMAIN.NAME in [a-z0-9_] or that some counter already has;
 * ENOSPC: SIM_COUNTERS_EXT_MAX reached. Process-global; register before any
 * machine runs (one thread). def and its name are borrowed for the process. */
enum iosim_err sim_counter_register(struct sim_counter_def *def);

/* Counter by its dotted name, the machine's or a registered one; false if
 * no counter has that name. */
bool sim_counter_get(const struct sim_counters *c, const char *name, uint64_t *value);

/* Every counter name, the machine's first (for error messages and reports). */
uint32_t sim_counter_count(void);
const char *sim_counter_name(uint32_t i);

/* ---- processes --------------------------------------------------------- */

typedef int32_t (*sim_proc_fn)(void *arg);

enum sim_proc_state {
    SIM_PROC_RUNNABLE,
    SIM_PROC_RUNNING,
    SIM_PROC_BLOCKED,
    SIM_PROC_EXITED,
};

/* What a process asked for at its last yield point. */
enum sim_op_kind {
    SIM_OP_NONE,   /* freshly spawned */
    SIM_OP_COST,   /* keep the CPU for cost_ps, then a decision point */
    SIM_OP_STALL,  /* keep the CPU until sim_cpu_unstall (an MMIO read) */
    SIM_OP_BLOCK,  /* leave the CPU until sim_proc_wake */
    SIM_OP_YIELD,  /* to the back of the run queue */
    SIM_OP_EXIT,
};

struct sim_proc_def {
    const char *name;       /* copied */
    const char *kind;       /* static string: "program", "driver", ... */
    sim_proc_fn fn;
    void *arg;              /* borrowed */
    int32_t cpu;            /* pinned CPU, or -1 */
    bool daemon;            /* the run does not wait for it to exit */
    sim_time_ps start_ps;   /* becomes runnable this long after spawn */
};

/* Something a process owns through the port (a BAR mapping, an interrupt
 * handle, a DMA buffer): released when the process ends, however it ends. */
struct sim_res {
    struct sim_res *next;
    struct sim_res *prev;
    uint32_t kind;               /* the port's own tag */
};

struct sim_proc {
    uint32_t pid;
    char name[SIM_NAME_MAX];
    const char *kind;
    enum sim_proc_state state;
    int32_t affinity;
    int32_t cpu;                 /* while RUNNING */
    uint32_t mv_cpu;             /* the CPU its memory view last saw it on (UINT32_MAX: none) */
    bool daemon;
    bool failed;                 /* ended by a fault or a failed assertion */
    int32_t exit_status;
    sim_proc_fn fn;
    void *arg;
    struct sim_coro *co;
    struct sim_machine *machine;
    struct sim_res res;          /* list head of owned port resources */
    /* the pending request, set just before yielding */
    enum sim_op_kind op;
    sim_time_ps op_cost_ps;
    /* set by whoever wakes or unstalls the process */
    enum iosim_err wake_err;
    uint64_t wake_value;
    struct sim_event_id timeout;
    uint32_t irq_wait_line;      /* UINT32_MAX when not waiting on a line */
    const void *wait_word;       /* port_wait_u32: the word slept on, or NULL */
    const void *wait_word2;      /* port_wait_u32_pair: the second word, or NULL */
    /* inside a system call the kernel may hold its lock: a kill waits for the
     * call to return (as a signal waits for the return to user mode) */
    uint32_t in_kernel;
    uint32_t preempt_off;        /* port_preempt_disable depth: the policy may not preempt */
    bool kill_pending;
    int32_t kill_status;
    /* the outstanding MMIO read (a stalled process has exactly one) */
    uint64_t mmio_addr;
    uint32_t mmio_size;
    sim_time_ps mmio_issued_ps;
    /* scheduling */
    uint64_t runq_order;         /* FIFO position in the run queue */
    uint64_t prio;               /* pct: larger runs first */
    sim_time_ps slice_start_ps;
};

/* ---- CPUs, interrupts, the machine -------------------------------------- */

struct sim_cpu {
    uint32_t idx;
    struct sim_proc *cur;
    bool busy;                   /* a CPU event is scheduled */
    bool fresh;                  /* cur was just dispatched: skip one decision */
    sim_time_ps posted_tail_ps;  /* arrival of this CPU's last posted MMIO write */
    struct sim_storebuf sb;
    struct sim_event_id sb_event; /* drains sb at its next due time */
    sim_time_ps sb_event_at_ps;
};

struct sim_irq_line {
    bool pending;
    struct sim_proc *waiter;
    uint64_t raised;
};

#define SIM_POSTED_MAX 1024u

/* A posted MMIO write on its way to the device. */
struct sim_posted_write {
    uint64_t addr;
    uint64_t value;
    uint32_t size;
    uint32_t pid;
    uint32_t cpu;
    uint32_t next_free;
    sim_time_ps issued_ps;
};

enum sim_end_reason {
    SIM_END_RUNNING,
    SIM_END_ALL_EXITED,    /* every non-daemon process exited */
    SIM_END_DEADLOCK,      /* nothing left to happen, processes still waiting */
    SIM_END_TIME_LIMIT,
    SIM_END_ERROR,         /* the simulator itself failed (capacity, memory) */
};

const char *sim_end_reason_name(enum sim_end_reason r);

struct sim_machine {
    struct sim_machine_config cfg;
    struct sim_engine eng;
    struct sim_mem mem;
    struct sim_bus bus;
    struct sim_iommu iommu;
    struct sim_trace *trace;         /* borrowed */
    const struct port_kernel_ops *kernel; /* borrowed; NULL: no kernel */
    const struct sim_spawner *spawner;    /* borrowed; NULL: port_sys_spawn says ENOSYS */
    struct sim_rng rng_sched, rng_faults, rng_jitter, rng_memory;
    struct sim_cpu cpus[SIM_CPUS_MAX];
    struct sim_mv mv;                      /* loads' views of memory (relaxed memory) */
    struct sim_proc *procs[SIM_PROCS_MAX]; /* by pid - 1 */
    uint32_t proc_count;
    struct sim_proc *runq[SIM_PROCS_MAX];  /* runnable, in runq_order */
    uint32_t runq_len;
    uint64_t runq_order_next;
    uint32_t live_nondaemon;
    struct sim_irq_line *irq;              /* SIM_IRQ_LINES */
    struct sim_proc *waiters[SIM_PROCS_MAX]; /* port_wait_u32 sleepers, FIFO */
    uint32_t waiter_count;
    struct sim_counters count;
    struct sim_posted_write posted[SIM_POSTED_MAX];
    uint32_t posted_free;                  /* UINT32_MAX when all in flight */
    /* schedule decisions: the next choice's index, the script's cursor */
    uint64_t choice_next;
    uint32_t script_pos;
    /* pct */
    uint64_t pct_step;
    uint64_t pct_change_at[16];
    uint32_t pct_changes;
    uint32_t pct_next_change;
    /* end state */
    enum sim_end_reason end;
    enum iosim_err error;
    char error_msg[256];
};

enum iosim_err sim_machine_create(const struct sim_machine_config *cfg, struct sim_trace *trace,
                                  struct sim_machine **out);
void sim_machine_destroy(struct sim_machine *m);

/* Runs until every non-daemon process exited, nothing is left to happen, or
 * the time limit; sets m->end. Store buffers are drained at the end. */
void sim_machine_run(struct sim_machine *m);

/* Records an internal failure (first one wins) and stops the run. */
void sim_machine_fail(struct sim_machine *m, enum iosim_err e, const char *msg);

/* Spawns a process (runnable at now + def->start_ps). */
enum iosim_err sim_proc_spawn(struct sim_machine *m, const struct sim_proc_def *def,
                              struct sim_proc **out);

struct sim_proc *sim_proc_by_name(struct sim_machine *m, const char *name);

/* ---- for the sim port: called from inside a running process ------------- */

/* The machine/process/CPU executing right now (NULL on the host context). */
struct sim_machine *sim_current_machine(void);
struct sim_proc *sim_current_proc(void);
struct sim_cpu *sim_current_cpu(void);

/* Yield points. Each returns when the scheduler resumes the process. */
void sim_proc_cost(struct sim_proc *p, sim_time_ps cost_ps);
void sim_proc_stall(struct sim_proc *p);
void sim_proc_block(struct sim_proc *p);
void sim_proc_yield_cpu(struct sim_proc *p);
_Noreturn void sim_proc_exit(struct sim_proc *p, int32_t status, bool failed);

/* ---- for events (device models, timers): wake or unstall ---------------- */

void sim_proc_wake(struct sim_proc *p, enum iosim_err err, uint64_t value);
void sim_cpu_unstall(struct sim_proc *p, uint64_t value);

/* Ends a process from outside (a fault that kills it). Inside a system call
 * it is deferred to the call's return; a wait inside the kernel is
 * interrupted (IOSIM_ECANCELED) so the call returns. */
void sim_proc_kill(struct sim_proc *p, int32_t status);

/* Around every call into the kernel (sim/machine/port_sim.c). */
void sim_proc_kernel_enter(struct sim_proc *p);
void sim_proc_kernel_leave(struct sim_proc *p);

/* Attaches the kernel that answers the processes' system calls (borrowed;
 * it must outlive the machine's run). Its exit hook learns of every process
 * that ends. */
void sim_machine_set_kernel(struct sim_machine *m, const struct port_kernel_ops *ops);

/* Attaches who starts programs for port_sys_spawn (borrowed, as the kernel). */
void sim_machine_set_spawner(struct sim_machine *m, const struct sim_spawner *sp);

/* Makes m the current machine on the host side (no process): port calls
 * made in between (creating a kernel, set-up code) act at once on m's
 * memory. Pairs must nest; not while m runs. */
void sim_machine_host_enter(struct sim_machine *m);
void sim_machine_host_leave(struct sim_machine *m);

/* Releases what a process owns through the port (sim/machine/port_sim.c). */
void sim_port_release(struct sim_proc *p);

/* Whether the memory model buffers stores in this run. */
bool sim_machine_relaxed(const struct sim_machine *m);

/* A relaxed store of `len` bytes by the process running on `cpu`: buffered
 * until a random due time under relaxed memory, or written at once. */
void sim_cpu_store(struct sim_machine *m, struct sim_cpu *cpu, void *host, const void *src,
                   size_t len_bytes);

#endif /* IOSIM_SIM_MACHINE_H */
