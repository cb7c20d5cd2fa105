/*
 * The simulator's implementation of impl/port: every call made by a
 * simulated process is a yield point with a cost. The operation itself is
 * performed when the process is resumed, i.e. at the end of its cost, so
 * the order of operations across CPUs is the order of simulated time plus
 * the scheduler's decisions.
 *
 * Calls made outside any process (set-up code on the host context) act at
 * once, cost nothing and are sequentially consistent.
 */
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/port/port.h"
#include "sim/engine/check.h"
#include "sim/machine/io.h"
#include "sim/machine/machine.h"
#include "sim/trace/trace.h"

/* ---- helpers ----------------------------------------------------------- */

/* Every port function but port_peek_* and port_bar_len starts here: a port
 * call inside an assertion would exist only in builds with assertions. */
#define PORT_CALL() sim_check_outside(__func__)

static bool strong_store(enum port_order o)
{
    return o == PORT_RELEASE || o == PORT_ACQ_REL || o == PORT_SEQ_CST;
}

/* Yields for `cost`, then returns the CPU the process runs on now (it may
 * have moved while it was preempted). NULL on the host context. */
static struct sim_cpu *yield_point(sim_time_ps cost_ps)
{
    struct sim_proc *p = sim_current_proc();
    if (p == NULL)
        return NULL;
    sim_proc_cost(p, cost_ps);
    return sim_current_cpu();
}

static const struct sim_costs *costs(void)
{
    return &sim_current_machine()->cfg.costs;
}

/* What a load on this CPU returns now, with no draw: memory overlaid with
 * its own store buffer (port_peek_*, and everything under sequential
 * consistency). */
static void mem_read(struct sim_cpu *cpu, const void *shared, void *dst, size_t len)
{
    if (cpu == NULL)
        memcpy(dst, shared, len);
    else
        sim_sb_read(&cpu->sb, shared, dst, len);
}

/* The machine's memory model applies to this CPU (NULL: the host context). */
static struct sim_machine *relaxed_on(const struct sim_cpu *cpu)
{
    struct sim_machine *m = cpu != NULL ? sim_current_machine() : NULL;
    if (m == NULL || !sim_machine_relaxed(m))
        return NULL;
    struct sim_proc *p = sim_current_proc();
    sim_mv_enter(&m->mv, cpu->idx, p);
    if (p != NULL && p->mv_cpu != cpu->idx) {
        if (p->mv_cpu != UINT32_MAX)
            sim_mv_barrier(&m->mv, cpu->idx); /* it migrated: see sim_mv_enter */
        p->mv_cpu = cpu->idx;
    }
    return m;
}

/* Tells the views which process each CPU runs now (open reads end with it). */
static void mv_running(struct sim_machine *m)
{
    for (uint32_t i = 0; i < m->cfg.cpus; i++)
        m->mv.cpu[i].running = m->cpus[i].cur;
}

static enum sim_mv_load load_kind(enum port_order o)
{
    return o == PORT_SEQ_CST ? SIM_MV_LOAD_SEQ_CST
         : o == PORT_RELAXED ? SIM_MV_LOAD_RELAXED : SIM_MV_LOAD_ACQUIRE;
}

/* A load: under relaxed memory a version the CPU's view allows (memview.h),
 * overlaid with its own store buffer. */
static void mem_load(struct sim_cpu *cpu, enum sim_mv_load kind, const void *shared, void *dst,
                     size_t len)
{
    struct sim_machine *m = relaxed_on(cpu);
    if (m == NULL) {
        mem_read(cpu, shared, dst, len);
        return;
    }
    sim_mv_read(&m->mv, cpu->idx, &m->rng_memory, kind, shared, dst, len, m->eng.now_ps);
    sim_sb_overlay(&cpu->sb, shared, dst, len);
}

static void mem_write(struct sim_cpu *cpu, void *shared, const void *src, size_t len, bool strong)
{
    struct sim_machine *m = relaxed_on(cpu);
    if (m == NULL) {
        if (cpu != NULL)
            sim_sb_drain_all(&cpu->sb);
        memcpy(shared, src, len);
        if (cpu == NULL && sim_current_machine() != NULL)
            sim_mv_external_write(&sim_current_machine()->mv, shared, len);
        return;
    }
    mv_running(m);
    sim_mv_store_issued(&m->mv, cpu->idx, shared, len, strong);
    if (strong) {
        sim_sb_drain_all(&cpu->sb);
        sim_mv_commit(&m->mv, cpu->idx, shared, src, len, SIM_MV_STORE_RELEASE, m->eng.now_ps);
    } else {
        sim_cpu_store(m, cpu, shared, src, len);
    }
}

/* A full barrier after a system call, a wait or an MMIO access: the CPU
 * sees every commit. */
static void full_barrier(void)
{
    struct sim_proc *p = sim_current_proc();
    struct sim_machine *m = sim_current_machine();
    if (p == NULL || m == NULL || !sim_machine_relaxed(m))
        return;
    struct sim_cpu *cpu = sim_current_cpu();
    sim_mv_enter(&m->mv, cpu->idx, p);
    sim_mv_barrier(&m->mv, cpu->idx);
    p->mv_cpu = cpu->idx;
}

/* The write half of a read-modify-write at `raw` (the caller read the latest
 * value after rmw_begin). */
static void rmw_write(struct sim_cpu *cpu, void *raw, const void *v, size_t len, enum port_order o)
{
    struct sim_machine *m = relaxed_on(cpu);
    if (m == NULL) {
        memcpy(raw, v, len);
        if (cpu == NULL && sim_current_machine() != NULL)
            sim_mv_external_write(&sim_current_machine()->mv, raw, len);
        return;
    }
    bool rel = strong_store(o);
    mv_running(m);
    sim_mv_store_issued(&m->mv, cpu->idx, raw, len, rel);
    sim_mv_rmw(&m->mv, cpu->idx, raw, v, len, o != PORT_RELAXED && o != PORT_RELEASE, rel,
               m->eng.now_ps);
}

/* Read-modify-write operations act on memory directly after draining this
 * CPU's buffer (a full barrier, as on x86: stronger than C11 demands). */
static struct sim_cpu *rmw_begin(void)
{
    struct sim_cpu *cpu = sim_current_proc() != NULL ? yield_point(costs()->rmw_ps) : NULL;
    if (cpu != NULL)
        sim_sb_drain_all(&cpu->sb);
    return cpu;
}

/* ---- resources a process owns ------------------------------------------------ */

enum res_kind { RES_BAR, RES_IRQ, RES_DMA };

struct port_bar {
    struct sim_res res; /* first: the list links the embedded member */
    uint64_t phys;
    uint64_t len_bytes;
};

struct port_irq {
    struct sim_res res;
    uint32_t line;
};

struct sim_dma_res {
    struct sim_res res;
    uint64_t bus_addr;
    uint64_t len_bytes;
};

static void res_link(struct sim_proc *p, struct sim_res *r, enum res_kind kind)
{
    r->kind = kind;
    if (p == NULL) {
        r->next = r->prev = r; /* host context: owned by the caller alone */
        return;
    }
    r->next = p->res.next;
    r->prev = &p->res;
    p->res.next->prev = r;
    p->res.next = r;
}

static void res_unlink(struct sim_res *r)
{
    r->prev->next = r->next;
    r->next->prev = r->prev;
    r->next = r->prev = r;
}

#define SIM_RMW_DEF(T, W, NAME, EXPR)                                                 \
    W port_##NAME##_##T(port_atomic_##T *p, W v, enum port_order o)                   \
    {                                                                                 \
        PORT_CALL();                                                                  \
        struct sim_cpu *cpu = rmw_begin();                                            \
        W old = p->raw, nv = (W)(EXPR);                                               \
        rmw_write(cpu, &p->raw, &nv, sizeof nv, o);                                   \
        return old;                                                                   \
    }

#define SIM_ATOMIC_DEFS(T, W)                                                         \
    W port_load_##T(const port_atomic_##T *p, enum port_order o)                      \
    {                                                                                 \
        PORT_CALL();                                                                  \
        struct sim_cpu *cpu = sim_current_proc() ? yield_point(costs()->atomic_ps) : NULL; \
        W v;                                                                          \
        mem_load(cpu, load_kind(o), &p->raw, &v, sizeof v);                           \
        return v;                                                                     \
    }                                                                                 \
    void port_store_##T(port_atomic_##T *p, W v, enum port_order o)                   \
    {                                                                                 \
        PORT_CALL();                                                                  \
        struct sim_cpu *cpu = NULL;                                                   \
        if (sim_current_proc() != NULL)                                               \
            cpu = yield_point(strong_store(o) ? costs()->rmw_ps : costs()->atomic_ps); \
        mem_write(cpu, &p->raw, &v, sizeof v, strong_store(o));                       \
    }                                                                                 \
    SIM_RMW_DEF(T, W, xchg, v)                                                        \
    SIM_RMW_DEF(T, W, fetch_add, old + v)                                             \
    SIM_RMW_DEF(T, W, fetch_sub, old - v)                                             \
    SIM_RMW_DEF(T, W, fetch_or, old | v)                                              \
    SIM_RMW_DEF(T, W, fetch_and, old & v)                                             \
    bool port_cas_##T(port_atomic_##T *p, W *expected, W desired, enum port_order ok, \
                      enum port_order fail)                                           \
    {                                                                                 \
        PORT_CALL();                                                                  \
        (void)fail;                                                                   \
        struct sim_cpu *cpu = rmw_begin();                                            \
        if (p->raw == *expected) {                                                    \
            rmw_write(cpu, &p->raw, &desired, sizeof desired, ok);                    \
            return true;                                                              \
        }                                                                             \
        /* a failed CAS loads the latest value (as a seq_cst load: stronger) */      \
        mem_load(cpu, SIM_MV_LOAD_SEQ_CST, &p->raw, expected, sizeof *expected);      \
        return false;                                                                 \
    }

SIM_ATOMIC_DEFS(u32, uint32_t)
SIM_ATOMIC_DEFS(u64, uint64_t)

/* For assertions only (impl/port/check.h): what a load on this CPU would
 * return now, without its yield point and cost. */
#define SIM_PEEK_DEF(T, W)                                                            \
    W port_peek_##T(const port_atomic_##T *p)                                         \
    {                                                                                 \
        sim_check_inside(__func__);                                                   \
        W v;                                                                          \
        mem_read(sim_current_proc() != NULL ? sim_current_cpu() : NULL, &p->raw, &v,  \
                 sizeof v);                                                           \
        return v;                                                                     \
    }

SIM_PEEK_DEF(u32, uint32_t)
SIM_PEEK_DEF(u64, uint64_t)

void port_fence(enum port_order o)
{
    PORT_CALL();
    if (sim_current_proc() == NULL)
        return;
    struct sim_cpu *cpu = yield_point(costs()->fence_ps);
    if (o != PORT_RELAXED && o != PORT_ACQUIRE)
        sim_sb_drain_all(&cpu->sb);
    struct sim_machine *m = relaxed_on(cpu);
    if (m != NULL)
        sim_mv_fence(&m->mv, cpu->idx, o);
}

void port_spin_hint(void)
{
    PORT_CALL();
    if (sim_current_proc() != NULL)
        (void)yield_point(costs()->spin_ps);
}

/* ---- shared memory -------------------------------------------------------- */

static sim_time_ps shm_cost(size_t len)
{
    const struct sim_costs *c = costs();
    return c->shm_ps + (sim_time_ps)(c->shm_per_kib_ps * len / 1024);
}

void port_shm_read(void *dst, const void *shared_src, size_t len_bytes)
{
    PORT_CALL();
    struct sim_cpu *cpu = sim_current_proc() ? yield_point(shm_cost(len_bytes)) : NULL;
    mem_load(cpu, SIM_MV_LOAD_PLAIN, shared_src, dst, len_bytes);
}

void port_shm_write(void *shared_dst, const void *src, size_t len_bytes)
{
    PORT_CALL();
    struct sim_cpu *cpu = sim_current_proc() ? yield_point(shm_cost(len_bytes)) : NULL;
    mem_write(cpu, shared_dst, src, len_bytes, false);
}

/* ---- clock ------------------------------------------------------------------- */

uint64_t port_clock_ns(void)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    return m != NULL ? m->eng.now_ps / SIM_NS : 0;
}

static void sleep_done(void *ctx, uint64_t arg)
{
    struct sim_proc *p = ctx;
    (void)arg;
    if (p->state == SIM_PROC_BLOCKED) {
        p->timeout = SIM_EVENT_NONE;
        sim_proc_wake(p, IOSIM_OK, 0);
    }
}

void port_sleep_ns(uint64_t ns)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    if (p == NULL)
        return;
    struct sim_machine *m = p->machine;
    sim_time_ps d = ns > SIM_TIME_MAX / SIM_NS ? SIM_TIME_MAX : ns * SIM_NS;
    if (sim_engine_after(&m->eng, d, sleep_done, p, 0, &p->timeout) != IOSIM_OK) {
        sim_machine_fail(m, IOSIM_ENOSPC, "event list full (raise machine.events_max)");
        sim_proc_cost(p, 1);
        return;
    }
    sim_proc_block(p);
    full_barrier(); /* a system call */
}

/* ---- DMA memory ---------------------------------------------------------------- */

static void dma_unmap_free(struct sim_machine *m, struct sim_proc *p, uint64_t bus,
                           uint64_t len)
{
    if (sim_iommu_unmap(&m->iommu, bus, len) == IOSIM_OK && m->cfg.iommu) {
        m->count.iommu_unmaps++;
        if (m->trace != NULL)
            sim_trace_iommu(m->trace, m->eng.now_ps, "unmap", 0, (int64_t)bus, (int64_t)bus,
                            (int64_t)len, p != NULL ? (int64_t)p->pid : -1);
    }
    (void)sim_mem_free(&m->mem, bus, len);
}

enum iosim_err port_dma_alloc(size_t len_bytes, size_t align_bytes, struct port_dma *out)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    struct sim_proc *p = sim_current_proc();
    ASSERT(out != NULL);
    if (m == NULL || p == NULL)
        return IOSIM_ENOSYS;
    if (len_bytes == 0 || (align_bytes & (align_bytes - 1)) != 0)
        return IOSIM_EINVAL;
    sim_proc_cost(p, m->cfg.costs.dma_alloc_ps);
    struct sim_dma_res *rec = calloc(1, sizeof *rec);
    if (rec == NULL)
        return IOSIM_ENOMEM;
    uint64_t pa, len = (len_bytes + SIM_PAGE_SIZE - 1) & ~(uint64_t)(SIM_PAGE_SIZE - 1);
    enum iosim_err e = sim_mem_alloc(&m->mem, len, align_bytes ? align_bytes : SIM_PAGE_SIZE, &pa);
    if (e == IOSIM_OK) {
        e = sim_iommu_map(&m->iommu, pa, pa, len);
        if (e != IOSIM_OK)
            (void)sim_mem_free(&m->mem, pa, len);
    }
    if (e != IOSIM_OK) {
        free(rec);
        return e;
    }
    if (m->cfg.iommu) {
        m->count.iommu_maps++;
        if (m->trace != NULL)
            sim_trace_iommu(m->trace, m->eng.now_ps, "map", 0, (int64_t)pa, (int64_t)pa,
                            (int64_t)len, p->pid);
    }
    rec->bus_addr = pa;
    rec->len_bytes = len;
    res_link(p, &rec->res, RES_DMA);
    *out = (struct port_dma){.host = sim_mem_host(&m->mem, pa, len), .bus_addr = pa,
                             .len_bytes = (size_t)len};
    sim_mv_external_write(&m->mv, out->host, (size_t)len); /* a new owner: no older versions */
    return IOSIM_OK;
}

/* The record of a DMA buffer among what `p` owns, or NULL. */
static struct sim_dma_res *dma_find(struct sim_proc *p, uint64_t bus)
{
    for (struct sim_res *r = p->res.next; r != &p->res; r = r->next) {
        struct sim_dma_res *d = (struct sim_dma_res *)r;
        if (r->kind == RES_DMA && d->bus_addr == bus)
            return d;
    }
    return NULL;
}

void port_dma_free(struct port_dma *dma)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    struct sim_proc *p = sim_current_proc();
    ASSERT(dma != NULL);
    if (dma->host == NULL || m == NULL || p == NULL)
        return;
    struct sim_dma_res *rec = dma_find(p, dma->bus_addr);
    if (rec == NULL)
        return; /* not this process's buffer: nothing to free */
    res_unlink(&rec->res);
    dma_unmap_free(m, p, rec->bus_addr, rec->len_bytes);
    free(rec);
    memset(dma, 0, sizeof *dma);
    sim_proc_cost(p, m->cfg.costs.dma_alloc_ps);
}

void sim_port_release(struct sim_proc *p)
{
    ASSERT(p != NULL);
    while (p->res.next != &p->res) {
        struct sim_res *r = p->res.next;
        res_unlink(r);
        if (r->kind == RES_DMA) {
            struct sim_dma_res *d = (struct sim_dma_res *)r;
            dma_unmap_free(p->machine, p, d->bus_addr, d->len_bytes);
        }
        free(r);
    }
}

/* ---- MMIO ------------------------------------------------------------------------ */

enum iosim_err port_bar_map(uint64_t phys_addr, uint64_t len_bytes, struct port_bar **out)
{
    PORT_CALL();
    ASSERT(out != NULL);
    if (len_bytes == 0 || phys_addr + len_bytes < phys_addr)
        return IOSIM_EINVAL;
    struct port_bar *bar = calloc(1, sizeof *bar);
    if (bar == NULL)
        return IOSIM_ENOMEM;
    bar->phys = phys_addr;
    bar->len_bytes = len_bytes;
    res_link(sim_current_proc(), &bar->res, RES_BAR);
    *out = bar;
    return IOSIM_OK;
}

void port_bar_unmap(struct port_bar *bar)
{
    PORT_CALL();
    if (bar == NULL)
        return;
    res_unlink(&bar->res);
    free(bar);
}

/* A handle accessor, not an access: assertions may use it. */
uint64_t port_bar_len(const struct port_bar *bar) { return bar->len_bytes; }

static bool bar_ok(const struct port_bar *bar, uint64_t off, unsigned size)
{
    return bar != NULL && off < bar->len_bytes && size <= bar->len_bytes - off;
}

#define SIM_MMIO_DEFS(BITS)                                                           \
    uint##BITS##_t port_mmio_read##BITS(struct port_bar *bar, uint64_t off)          \
    {                                                                                 \
        PORT_CALL();                                                                  \
        struct sim_proc *p = sim_current_proc();                                      \
        if (p == NULL || !bar_ok(bar, off, BITS / 8))                                 \
            return (uint##BITS##_t)~(uint##BITS##_t)0;                                \
        uint64_t v = sim_io_mmio_read(p->machine, p, bar->phys + off, BITS / 8);     \
        full_barrier();                                                               \
        return (uint##BITS##_t)v;                                                     \
    }                                                                                 \
    void port_mmio_write##BITS(struct port_bar *bar, uint64_t off, uint##BITS##_t v)  \
    {                                                                                 \
        PORT_CALL();                                                                  \
        struct sim_proc *p = sim_current_proc();                                      \
        if (p == NULL || !bar_ok(bar, off, BITS / 8))                                 \
            return;                                                                   \
        sim_io_mmio_write(p->machine, p, bar->phys + off, BITS / 8, v);               \
        full_barrier();                                                               \
    }

SIM_MMIO_DEFS(8)
SIM_MMIO_DEFS(16)
SIM_MMIO_DEFS(32)
SIM_MMIO_DEFS(64)

/* ---- interrupts ------------------------------------------------------------------- */

enum iosim_err port_irq_open(uint32_t line, struct port_irq **out)
{
    PORT_CALL();
    ASSERT(out != NULL);
    if (line >= SIM_IRQ_LINES)
        return IOSIM_EINVAL;
    struct port_irq *irq = calloc(1, sizeof *irq);
    if (irq == NULL)
        return IOSIM_ENOMEM;
    irq->line = line;
    res_link(sim_current_proc(), &irq->res, RES_IRQ);
    *out = irq;
    return IOSIM_OK;
}

void port_irq_close(struct port_irq *irq)
{
    PORT_CALL();
    if (irq == NULL)
        return;
    res_unlink(&irq->res);
    free(irq);
}

enum iosim_err port_irq_wait(struct port_irq *irq, uint64_t timeout_ns)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    if (p == NULL || irq == NULL)
        return IOSIM_EINVAL;
    sim_time_ps t = timeout_ns == PORT_IRQ_NO_TIMEOUT || timeout_ns > SIM_TIME_MAX / SIM_NS - 1
                        ? SIM_TIME_MAX : timeout_ns * SIM_NS;
    sim_proc_cost(p, p->machine->cfg.costs.syscall_ps);
    enum iosim_err e = sim_io_irq_wait(p->machine, p, irq->line, t);
    full_barrier(); /* a system call */
    return e;
}

enum iosim_err port_irq_wait_word(struct port_irq *irq, port_atomic_u32 *word, uint32_t expected,
                                  uint64_t timeout_ns)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    if (p == NULL || irq == NULL || word == NULL)
        return IOSIM_EINVAL;
    sim_time_ps t = timeout_ns == PORT_IRQ_NO_TIMEOUT || timeout_ns > SIM_TIME_MAX / SIM_NS - 1
                        ? SIM_TIME_MAX : timeout_ns * SIM_NS;
    sim_proc_cost(p, p->machine->cfg.costs.syscall_ps);
    enum iosim_err e = sim_io_irq_wait_word(p->machine, p, irq->line, &word->raw, expected, t);
    full_barrier(); /* a system call */
    return e;
}

/* ---- waiting on shared words ---------------------------------------------------------- */

enum iosim_err port_wait_u32(port_atomic_u32 *word, uint32_t expected, uint64_t timeout_ns)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    if (p == NULL)
        return port_load_u32(word, PORT_RELAXED) == expected ? IOSIM_ETIMEDOUT : IOSIM_OK;
    sim_time_ps t = timeout_ns == PORT_WAIT_FOREVER || timeout_ns > SIM_TIME_MAX / SIM_NS - 1
                        ? SIM_TIME_MAX : timeout_ns * SIM_NS;
    sim_proc_cost(p, p->machine->cfg.costs.syscall_ps);
    enum iosim_err e = sim_io_wait(p->machine, p, &word->raw, expected, t);
    full_barrier(); /* a system call */
    return e;
}

enum iosim_err port_wait_u32_pair(port_atomic_u32 *word, uint32_t expected,
                                  port_atomic_u32 *word2, uint32_t expected2,
                                  uint64_t timeout_ns)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    if (p == NULL)
        return port_load_u32(word, PORT_RELAXED) == expected &&
                       port_load_u32(word2, PORT_RELAXED) == expected2
                   ? IOSIM_ETIMEDOUT : IOSIM_OK;
    sim_time_ps t = timeout_ns == PORT_WAIT_FOREVER || timeout_ns > SIM_TIME_MAX / SIM_NS - 1
                        ? SIM_TIME_MAX : timeout_ns * SIM_NS;
    sim_proc_cost(p, p->machine->cfg.costs.syscall_ps);
    enum iosim_err e = sim_io_wait2(p->machine, p, &word->raw, expected, &word2->raw, expected2, t);
    full_barrier(); /* a system call */
    return e;
}

uint32_t port_wake(port_atomic_u32 *word, uint32_t n)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    struct sim_machine *m = sim_current_machine();
    if (m == NULL)
        return 0;
    if (p != NULL) {
        sim_proc_cost(p, m->cfg.costs.syscall_ps);
        /* a wake is a system call: the caller's earlier stores are published */
        sim_sb_drain_all(&sim_current_cpu()->sb);
        full_barrier();
    }
    return sim_io_wake(m, &word->raw, n);
}

/* ---- kernel memory --------------------------------------------------------------------- */

enum iosim_err port_kmem_alloc(size_t len_bytes, void **out)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    if (m == NULL || out == NULL || len_bytes == 0)
        return IOSIM_EINVAL;
    uint64_t pa;
    enum iosim_err e = sim_mem_alloc(&m->mem, len_bytes, SIM_PAGE_SIZE, &pa);
    if (e != IOSIM_OK)
        return e;
    *out = sim_mem_host(&m->mem, pa, len_bytes);
    sim_mv_external_write(&m->mv, *out, len_bytes); /* a new owner: no older versions */
    return IOSIM_OK;
}

void port_kmem_free(void *p, size_t len_bytes)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    uint64_t pa;
    if (p != NULL && m != NULL && sim_mem_phys(&m->mem, p, &pa))
        (void)sim_mem_free(&m->mem, pa, len_bytes);
}

uint64_t port_user_addr(const void *p)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    uint64_t pa;
    return m != NULL && p != NULL && sim_mem_phys(&m->mem, p, &pa) ? pa : UINT64_MAX;
}

void *port_user_ptr(uint64_t addr, size_t len_bytes)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    return m != NULL ? sim_mem_host(&m->mem, addr, len_bytes == 0 ? 1 : len_bytes) : NULL;
}

/* ---- what production code reports -------------------------------------------------------- */

void port_trace_ring(const void *ring_header, const char *side, const char *op, uint32_t head,
                     uint32_t tail, uint32_t count, int32_t status)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    if (m == NULL || m->trace == NULL)
        return;
    /* rings are named by physical address: host addresses differ run to run */
    uint64_t pa = 0;
    (void)sim_mem_phys(&m->mem, ring_header, &pa);
    struct sim_proc *p = sim_current_proc();
    sim_trace_ring_op(m->trace, m->eng.now_ps, p != NULL ? (int64_t)p->pid : -1, (int64_t)pa,
                      side, op, head, tail, count, status);
}

/* The machine's bufpool.* counters tally what pools report. */
static void bufpool_count(struct sim_counters *c, const char *op, uint64_t len, int32_t status)
{
    if (strcmp(op, "alloc") == 0)
        status == 0 ? c->bufpool_allocs++ : c->bufpool_alloc_failures++;
    else if (strcmp(op, "defer") == 0)
        c->bufpool_deferred++;
    else if (strcmp(op, "reclaim") == 0)
        c->bufpool_reclaims++;
    else if (strcmp(op, "forfeit") == 0 && status == 0)
        c->bufpool_forfeits++;
    else if (strcmp(op, "leak") == 0) {
        c->bufpool_leaks++;
        c->bufpool_leaked_bytes += len;
    } else if (strcmp(op, "bad_handle") == 0 || (strcmp(op, "free") == 0 && status != 0))
        c->bufpool_bad_handles++;
}

void port_trace_bufpool(const char *pool, const char *op, uint32_t chunk, uint64_t offset,
                        uint64_t len_bytes, uint64_t addr, uint32_t guards, int32_t status)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    if (m == NULL)
        return;
    bufpool_count(&m->count, op, len_bytes, status);
    if (m->trace == NULL)
        return;
    struct sim_proc *p = sim_current_proc();
    sim_trace_bufpool_op(m->trace, m->eng.now_ps, p != NULL ? (int64_t)p->pid : -1, pool, op,
                         chunk, (int64_t)offset, (int64_t)len_bytes, (int64_t)addr, guards,
                         status);
}

static int64_t trace_pid(void)
{
    struct sim_proc *p = sim_current_proc();
    return p != NULL ? (int64_t)p->pid : -1;
}

void port_trace_pcid_func(const struct port_trace_pci_func *f)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    if (m == NULL || m->trace == NULL)
        return;
    sim_trace_pcid_func(m->trace, m->eng.now_ps, trace_pid(), f->bdf, f->vendor, f->device,
                        f->class_code, f->subclass, f->prog_if, f->kind, f->caps,
                        f->problems, f->driver, f->status, f->driver_pid);
}

void port_trace_pcid_bar(const struct port_trace_pci_bar *b)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    if (m == NULL || m->trace == NULL)
        return;
    sim_trace_pcid_bar(m->trace, m->eng.now_ps, trace_pid(), b->bdf, b->bar, b->kind, b->prefetch,
                       (int64_t)b->size, (int64_t)b->addr, b->assigned);
}

void port_trace_pcid_req(const char *bdf, uint32_t client_pid, const char *op, uint64_t offset,
                         uint64_t len, int64_t status, uint64_t extra)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    if (m == NULL || m->trace == NULL)
        return;
    sim_trace_pcid_req(m->trace, m->eng.now_ps, trace_pid(), bdf, client_pid, op, (int64_t)offset,
                       (int64_t)len, status, (int64_t)extra);
}

void port_trace_xhcid_dev(const struct port_trace_usb_dev *d)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    if (m == NULL || m->trace == NULL)
        return;
    sim_trace_xhcid_dev(m->trace, m->eng.now_ps, trace_pid(), d->port, d->slot, d->speed,
                        d->event, d->vendor, d->product, d->interfaces, d->detail);
}

void port_trace_scsi_cmd(const struct port_trace_scsi_cmd *c)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    if (m == NULL || m->trace == NULL)
        return;
    sim_trace_scsi_cmd(m->trace, m->eng.now_ps, trace_pid(), c->lun, c->tag, c->op, c->opcode,
                       (int64_t)c->lba, c->blocks, c->dir, c->len, c->residue, c->status,
                       c->sense_key, c->asc, c->ascq, (int64_t)c->start_ps, (int64_t)c->end_ps);
}

void port_trace_fio_io(const struct port_trace_fio_io *r)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    if (m == NULL || m->trace == NULL)
        return;
    sim_trace_fio_io(m->trace, m->eng.now_ps, trace_pid(), r->job, r->op, (int64_t)r->offset,
                     (int64_t)r->len, r->status, (int64_t)r->submit_ps, (int64_t)r->lat_ns);
}

void port_trace_fio_result(const struct port_trace_fio_result *r)
{
    PORT_CALL();
    struct sim_machine *m = sim_current_machine();
    if (m == NULL || m->trace == NULL)
        return;
    sim_trace_fio_result(m->trace, m->eng.now_ps, trace_pid(), r->job, r->dir, (int64_t)r->ios,
                         (int64_t)r->bytes, (int64_t)r->errors, (int64_t)r->runtime_ns,
                         (int64_t)r->iops, (int64_t)r->bw_kib_s, (int64_t)r->lat_min_ns,
                         (int64_t)r->lat_mean_ns, (int64_t)r->lat_max_ns, (int64_t)r->p50_ns,
                         (int64_t)r->p90_ns, (int64_t)r->p99_ns, (int64_t)r->p999_ns);
}

/* ---- system calls ----------------------------------------------------------------- */

int64_t port_sys_getpid(void)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    return p != NULL ? (int64_t)p->pid : -(int64_t)iosim_err_errno(IOSIM_ENOSYS);
}

void port_preempt_disable(void)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    if (p != NULL)
        p->preempt_off++;
}

void port_preempt_enable(void)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    if (p == NULL)
        return;
    ASSERT(p->preempt_off > 0);
    p->preempt_off--;
}

void port_sys_yield(void)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    if (p == NULL)
        return;
    sim_proc_cost(p, p->machine->cfg.costs.syscall_ps);
    sim_proc_yield_cpu(p);
}

_Noreturn void port_sys_exit(int32_t status)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    ASSERT(p != NULL && "port_sys_exit outside a simulated process");
    if (p == NULL)
        abort();
    sim_proc_exit(p, status, false);
}

/* Starting a process is the machine's business, not the kernel's: the
 * spawner the run attached knows the programs. */
int64_t port_sys_spawn(const char *name, const char *program, const char *args, uint64_t flags)
{
    PORT_CALL();
    struct sim_proc *p = sim_current_proc();
    if (p == NULL)
        return -(int64_t)iosim_err_errno(IOSIM_ENOSYS);
    sim_proc_cost(p, p->machine->cfg.costs.syscall_ps);
    const struct sim_spawner *sp = p->machine->spawner;
    if (sp == NULL)
        return -(int64_t)iosim_err_errno(IOSIM_ENOSYS);
    if (name == NULL || program == NULL)
        return -(int64_t)iosim_err_errno(IOSIM_EINVAL);
    struct sim_machine *m = relaxed_on(sim_current_cpu());
    if (m != NULL) { /* the child sees what the parent wrote before */
        sim_sb_drain_all(&sim_current_cpu()->sb);
        sim_mv_spawn(&m->mv, sim_current_cpu()->idx);
    }
    return sp->spawn(sp->ctx, p->machine, name, program, args != NULL ? args : "", flags);
}

/* The file calls go to the machine's kernel, in the calling process (a real
 * kernel runs on the caller's CPU). A machine without one answers -ENOSYS
 * after the syscall cost, as a kernel without the scheme would. */
static const struct port_kernel_ops *syscall_enter(void)
{
    struct sim_proc *p = sim_current_proc();
    if (p == NULL)
        return NULL;
    sim_proc_cost(p, p->machine->cfg.costs.syscall_ps);
    full_barrier();
    return p->machine->kernel;
}

static int64_t no_kernel(void)
{
    return -(int64_t)iosim_err_errno(IOSIM_ENOSYS);
}

/* Every call into the kernel is bracketed, so a kill waits for its return. */
#define KERNEL_CALL(k, expr)                                    \
    do {                                                        \
        if ((k) == NULL)                                        \
            return no_kernel();                                 \
        struct sim_proc *p_ = sim_current_proc();               \
        sim_proc_kernel_enter(p_);                              \
        int64_t r_ = (expr);                                    \
        sim_proc_kernel_leave(p_);                              \
        return r_;                                              \
    } while (0)

int64_t port_sys_open(const char *path, uint64_t flags)
{
    PORT_CALL();
    const struct port_kernel_ops *k = syscall_enter();
    KERNEL_CALL(k, k->open(k->ctx, path, flags));
}

int64_t port_sys_close(uint64_t fd)
{
    PORT_CALL();
    const struct port_kernel_ops *k = syscall_enter();
    KERNEL_CALL(k, k->close(k->ctx, fd));
}

int64_t port_sys_read(uint64_t fd, void *buf, uint64_t len)
{
    PORT_CALL();
    const struct port_kernel_ops *k = syscall_enter();
    KERNEL_CALL(k, k->read(k->ctx, fd, buf, len));
}

int64_t port_sys_write(uint64_t fd, const void *buf, uint64_t len)
{
    PORT_CALL();
    const struct port_kernel_ops *k = syscall_enter();
    KERNEL_CALL(k, k->write(k->ctx, fd, buf, len));
}

int64_t port_sys_dup(uint64_t fd, const char *suffix)
{
    PORT_CALL();
    const struct port_kernel_ops *k = syscall_enter();
    KERNEL_CALL(k, k->dup(k->ctx, fd, suffix));
}

int64_t port_sys_fsync(uint64_t fd)
{
    PORT_CALL();
    const struct port_kernel_ops *k = syscall_enter();
    KERNEL_CALL(k, k->fsync(k->ctx, fd));
}

int64_t port_sys_fmap(uint64_t fd, uint64_t offset, uint64_t len_bytes, uint64_t flags,
                      void **out_addr)
{
    PORT_CALL();
    const struct port_kernel_ops *k = syscall_enter();
    KERNEL_CALL(k, k->fmap(k->ctx, fd, offset, len_bytes, flags, out_addr));
}

int64_t port_sys_funmap(void *addr, uint64_t len_bytes)
{
    PORT_CALL();
    const struct port_kernel_ops *k = syscall_enter();
    KERNEL_CALL(k, k->funmap(k->ctx, addr, len_bytes));
}

int64_t port_sys_enter(uint64_t fd, uint64_t min_events, uint64_t timeout_ns)
{
    PORT_CALL();
    const struct port_kernel_ops *k = syscall_enter();
    KERNEL_CALL(k, k->enter(k->ctx, fd, min_events, timeout_ns));
}
