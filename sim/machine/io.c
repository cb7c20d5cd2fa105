/* MMIO routing, DMA through the IOMMU, interrupts and fault rules; see
 * io.h (process side) and dev.h (device side). */
#include "sim/machine/io.h"

#include <stdio.h>
#include <string.h>

#include "impl/port/check.h"
#include "sim/engine/check.h"
#include "sim/machine/dev.h"
#include "sim/machine/sched.h"
#include "sim/trace/trace.h"

#define SIM_UNMAPPED_READ_PS (1 * SIM_US) /* master-abort timeout, roughly */

/* ---- device side basics -------------------------------------------------- */

sim_time_ps sim_dev_now(const struct sim_machine *m) { return m->eng.now_ps; }

enum iosim_err sim_dev_after(struct sim_machine *m, sim_time_ps delay_ps, sim_event_fn fn,
                             void *ctx, uint64_t arg, struct sim_event_id *out)
{
    enum iosim_err e = sim_engine_after(&m->eng, delay_ps, fn, ctx, arg, out);
    if (e != IOSIM_OK)
        sim_machine_fail(m, e, "event list full (raise machine.events_max)");
    return e;
}

bool sim_dev_cancel(struct sim_machine *m, struct sim_event_id id)
{
    return sim_engine_cancel(&m->eng, id);
}

enum iosim_err sim_dev_mmio_add(struct sim_machine *m, const struct sim_mmio_region *r,
                                uint32_t *id)
{
    sim_check_outside("an MMIO region added");
    return sim_bus_add(&m->bus, r, id);
}

struct sim_mmio_region *sim_dev_mmio_get(struct sim_machine *m, uint32_t id)
{
    return sim_bus_get(&m->bus, id);
}

enum iosim_err sim_dev_mmio_move(struct sim_machine *m, uint32_t id, uint64_t new_base)
{
    sim_check_outside("an MMIO region moved");
    return sim_bus_move(&m->bus, id, new_base);
}

enum iosim_err sim_dev_mmio_remove(struct sim_machine *m, uint32_t id)
{
    sim_check_outside("an MMIO region removed");
    return sim_bus_remove(&m->bus, id);
}

struct sim_trace *sim_dev_trace(struct sim_machine *m) { return m->trace; }

void sim_dev_count(struct sim_machine *m, const struct sim_counter_def *c, uint64_t n)
{
    ASSERT(m != NULL && c != NULL && c->id < SIM_COUNTERS_EXT_MAX);
    if (c->id < SIM_COUNTERS_EXT_MAX)
        m->count.ext[c->id] += n;
}
struct sim_rng *sim_dev_rng_jitter(struct sim_machine *m) { return &m->rng_jitter; }
struct sim_rng *sim_dev_rng_faults(struct sim_machine *m) { return &m->rng_faults; }

/* ---- fault rules ------------------------------------------------------------ */

static const char *fault_kind_name(enum sim_fault_kind k)
{
    switch (k) {
    case SIM_FAULT_IRQ_DROP: return "irq_drop";
    case SIM_FAULT_IRQ_DELAY: return "irq_delay";
    case SIM_FAULT_DMA_ERROR: return "dma_error";
    }
    return "?";
}

static bool rule_matches(const struct sim_fault_rule *r, enum sim_fault_kind kind, uint32_t line,
                         const char *device)
{
    if (r->kind != kind)
        return false;
    if (kind == SIM_FAULT_DMA_ERROR)
        return r->device[0] == '\0' || strcmp(r->device, device) == 0;
    return r->line == UINT32_MAX || r->line == line;
}

/* The first rule of `kind` that fires at this opportunity, or NULL. Every
 * matching rule counts the opportunity, fired or not. */
static struct sim_fault_rule *fault_check(struct sim_machine *m, enum sim_fault_kind kind,
                                          uint32_t line, const char *device)
{
    struct sim_fault_rule *hit = NULL;
    for (uint32_t i = 0; i < m->cfg.fault_count; i++) {
        struct sim_fault_rule *r = &m->cfg.faults[i];
        if (!rule_matches(r, kind, line, device))
            continue;
        r->seen++;
        if (hit != NULL || (r->count_max != 0 && r->fired >= r->count_max))
            continue;
        bool fire = r->nth != 0 ? r->seen == r->nth : sim_rng_chance(&m->rng_faults, r->per_mille);
        if (fire) {
            r->fired++;
            hit = r;
        }
    }
    if (hit != NULL) {
        m->count.faults_injected++;
        if (m->trace != NULL) {
            char detail[96];
            if (kind == SIM_FAULT_DMA_ERROR)
                snprintf(detail, sizeof detail, "opportunity %llu", (unsigned long long)hit->seen);
            else
                snprintf(detail, sizeof detail, "line %u, opportunity %llu", line,
                         (unsigned long long)hit->seen);
            sim_trace_fault(m->trace, m->eng.now_ps, fault_kind_name(kind), device, detail);
        }
    }
    return hit;
}

/* ---- interrupts -------------------------------------------------------------- */

static void irq_trace(struct sim_machine *m, uint32_t line, const char *event,
                      const struct sim_proc *p, const char *device)
{
    if (m->trace != NULL)
        sim_trace_irq(m->trace, m->eng.now_ps, line, event, p != NULL ? (int64_t)p->pid : -1,
                      device);
}

static void irq_deliver(struct sim_machine *m, uint32_t line, const char *device)
{
    struct sim_irq_line *l = &m->irq[line];
    struct sim_proc *w = l->waiter;
    if (w == NULL) {
        l->pending = true;
        irq_trace(m, line, "latch", NULL, device);
        return;
    }
    l->waiter = NULL;
    w->irq_wait_line = UINT32_MAX;
    if (w->wait_word != NULL) /* it slept on a word too (sim_io_irq_wait_word) */
        sim_io_unwait(m, w);
    m->count.irq_delivered++;
    irq_trace(m, line, "deliver", w, device);
    sim_proc_wake(w, IOSIM_OK, line);
}

static void irq_delayed(void *ctx, uint64_t arg)
{
    struct sim_machine *m = ctx;
    irq_deliver(m, (uint32_t)arg, "delayed");
}

void sim_dev_irq_raise(struct sim_machine *m, uint32_t line, const char *device)
{
    sim_check_outside("an interrupt raised");
    ASSERT(m != NULL && device != NULL);
    if (line >= SIM_IRQ_LINES)
        return;
    m->count.irq_raised++;
    m->irq[line].raised++;
    irq_trace(m, line, "raise", NULL, device);
    struct sim_fault_rule *drop = fault_check(m, SIM_FAULT_IRQ_DROP, line, device);
    if (drop != NULL) {
        irq_trace(m, line, "drop", NULL, device);
        return;
    }
    struct sim_fault_rule *delay = fault_check(m, SIM_FAULT_IRQ_DELAY, line, device);
    if (delay != NULL) {
        irq_trace(m, line, "delay", NULL, device);
        (void)sim_dev_after(m, delay->delay_ps, irq_delayed, m, line, NULL);
        return;
    }
    irq_deliver(m, line, device);
}

static void irq_timeout(void *ctx, uint64_t arg)
{
    struct sim_machine *m = ctx;
    ASSERT(arg < m->proc_count);
    struct sim_proc *p = m->procs[arg];
    uint32_t line = p->irq_wait_line;
    if (p->state != SIM_PROC_BLOCKED || line == UINT32_MAX)
        return;
    m->irq[line].waiter = NULL;
    p->irq_wait_line = UINT32_MAX;
    if (p->wait_word != NULL)
        sim_io_unwait(m, p);
    p->timeout = SIM_EVENT_NONE;
    m->count.irq_timeouts++;
    irq_trace(m, line, "timeout", p, "");
    sim_proc_wake(p, IOSIM_ETIMEDOUT, 0);
}

enum iosim_err sim_io_irq_wait(struct sim_machine *m, struct sim_proc *p, uint32_t line,
                               sim_time_ps timeout_ps)
{
    ASSERT(p == sim_current_proc());
    if (line >= SIM_IRQ_LINES)
        return IOSIM_EINVAL;
    struct sim_irq_line *l = &m->irq[line];
    if (l->waiter != NULL)
        return IOSIM_EBUSY;
    if (l->pending) {
        l->pending = false;
        m->count.irq_delivered++;
        irq_trace(m, line, "deliver", p, "");
        return IOSIM_OK;
    }
    if (timeout_ps == 0)
        return IOSIM_ETIMEDOUT;
    l->waiter = p;
    p->irq_wait_line = line;
    if (timeout_ps != SIM_TIME_MAX &&
        sim_dev_after(m, timeout_ps, irq_timeout, m, p->pid - 1, &p->timeout) != IOSIM_OK) {
        l->waiter = NULL;
        p->irq_wait_line = UINT32_MAX;
        return IOSIM_ENOSPC;
    }
    sim_proc_block(p);
    return p->wake_err;
}

enum iosim_err sim_io_irq_wait_word(struct sim_machine *m, struct sim_proc *p, uint32_t line,
                                    const uint32_t *word, uint32_t expected,
                                    sim_time_ps timeout_ps)
{
    ASSERT(p == sim_current_proc() && p->cpu >= 0);
    if (line >= SIM_IRQ_LINES)
        return IOSIM_EINVAL;
    uint32_t now;
    sim_sb_read(&m->cpus[p->cpu].sb, word, &now, sizeof now);
    if (m->irq[line].pending || now != expected || timeout_ps == 0)
        return sim_io_irq_wait(m, p, line, 0) == IOSIM_OK ? IOSIM_OK
               : now != expected                          ? IOSIM_EAGAIN
                                                          : IOSIM_ETIMEDOUT;
    if (m->irq[line].waiter != NULL)
        return IOSIM_EBUSY;
    ASSERT(m->waiter_count < SIM_PROCS_MAX);
    /* on both lists at once: whichever comes first takes it off the other */
    m->irq[line].waiter = p;
    p->irq_wait_line = line;
    m->waiters[m->waiter_count++] = p;
    p->wait_word = word;
    if (timeout_ps != SIM_TIME_MAX &&
        sim_dev_after(m, timeout_ps, irq_timeout, m, p->pid - 1, &p->timeout) != IOSIM_OK) {
        m->irq[line].waiter = NULL;
        p->irq_wait_line = UINT32_MAX;
        sim_io_unwait(m, p);
        return IOSIM_ENOSPC;
    }
    sim_proc_block(p);
    return p->wake_err;
}

/* ---- DMA --------------------------------------------------------------------- */

static void dma_trace(struct sim_machine *m, const char *device, const char *dir, uint64_t iova,
                      uint64_t paddr, size_t len, const char *status)
{
    if (m->trace != NULL)
        sim_trace_dma(m->trace, m->eng.now_ps, device, dir, (int64_t)iova, (int64_t)paddr,
                      (int64_t)len, status);
}

void sim_dev_dma_disabled(struct sim_machine *m, const char *device, const char *dir,
                          uint64_t iova, size_t len_bytes)
{
    sim_check_outside("a DMA refused");
    m->count.dma_errors++;
    dma_trace(m, device, dir, iova, 0, len_bytes, "disabled");
}

/* Checks the whole range before anything moves; on success fills the
 * physical pieces (at most `max`), else says why and records it. */
static enum iosim_err dma_resolve(struct sim_machine *m, const char *device, const char *dir,
                                  uint64_t iova, size_t len, uint8_t **host, uint64_t *paddr0)
{
    if (len == 0 || iova + len < iova) {
        dma_trace(m, device, dir, iova, 0, len, "out_of_range");
        return IOSIM_EFAULT;
    }
    if (fault_check(m, SIM_FAULT_DMA_ERROR, 0, device) != NULL) {
        m->count.dma_errors++;
        dma_trace(m, device, dir, iova, 0, len, "fault");
        return IOSIM_EIO;
    }
    uint64_t pa, span;
    if (sim_iommu_translate(&m->iommu, iova, &pa, &span) != IOSIM_OK || span < len) {
        m->count.iommu_refused++;
        dma_trace(m, device, dir, iova, 0, len, "refused");
        return IOSIM_EACCES;
    }
    *host = sim_mem_host(&m->mem, pa, len);
    if (*host == NULL) {
        m->count.dma_errors++;
        dma_trace(m, device, dir, iova, pa, len, "out_of_range");
        return IOSIM_EFAULT;
    }
    *paddr0 = pa;
    return IOSIM_OK;
}

/* One device access: checked as a whole, then copied, counted and traced. */
static enum iosim_err dma_xfer(struct sim_machine *m, const char *device, uint64_t iova,
                               void *buf, size_t len, bool to_memory)
{
    sim_check_outside("a DMA transfer");
    const char *dir = to_memory ? "write" : "read";
    uint8_t *host;
    uint64_t pa;
    enum iosim_err e = dma_resolve(m, device, dir, iova, len, &host, &pa);
    if (e != IOSIM_OK)
        return e;
    if (to_memory) {
        memcpy(host, buf, len);
        sim_mv_external_write(&m->mv, host, len); /* devices write the latest memory */
    } else
        memcpy(buf, host, len);
    if (to_memory)
        m->count.dma_writes++;
    else
        m->count.dma_reads++;
    m->count.dma_bytes += len;
    dma_trace(m, device, dir, iova, pa, len, "ok");
    return IOSIM_OK;
}

enum iosim_err sim_dev_dma_read(struct sim_machine *m, const char *device, uint64_t iova,
                                void *dst, size_t len_bytes)
{
    ASSERT(m != NULL && device != NULL && dst != NULL);
    return dma_xfer(m, device, iova, dst, len_bytes, false);
}

enum iosim_err sim_dev_dma_write(struct sim_machine *m, const char *device, uint64_t iova,
                                 const void *src, size_t len_bytes)
{
    ASSERT(m != NULL && device != NULL && src != NULL);
    return dma_xfer(m, device, iova, (void *)(uintptr_t)src, len_bytes, true);
}

/* ---- MMIO -------------------------------------------------------------------- */

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

static void mmio_trace(struct sim_machine *m, const struct sim_proc *p, int64_t cpu,
                       const struct sim_mmio_region *r, uint64_t addr, unsigned size,
                       const char *dir, uint64_t value, sim_time_ps latency, const char *status)
{
    if (m->trace == NULL)
        return;
    sim_trace_mmio(m->trace, m->eng.now_ps, cpu, p != NULL ? (int64_t)p->pid : -1,
                   r != NULL ? r->name : "", (int64_t)addr,
                   r != NULL ? (int64_t)(addr - r->base) : -1, size, dir, (int64_t)value,
                   (int64_t)latency, status);
}

static void mmio_read_done(void *ctx, uint64_t value)
{
    sim_cpu_unstall(ctx, value);
}

/* The request reaches the device: it answers from its state at this time. */
static void mmio_read_arrive(void *ctx, uint64_t arg)
{
    struct sim_proc *p = ctx;
    struct sim_machine *m = p->machine;
    (void)arg;
    if (p->state != SIM_PROC_RUNNING || p->op != SIM_OP_STALL)
        return; /* killed while waiting */
    struct sim_mmio_region *r = sim_bus_find(&m->bus, p->mmio_addr, p->mmio_size);
    uint64_t v = size_mask(p->mmio_size);
    sim_time_ps back = SIM_UNMAPPED_READ_PS / 2;
    p->wake_err = IOSIM_ENODEV;
    if (r != NULL) {
        v = r->ops->read(r->ctx, p->mmio_addr - r->base, p->mmio_size) & size_mask(p->mmio_size);
        back = r->read_resp_ps;
        p->wake_err = IOSIM_OK;
    }
    (void)sim_dev_after(m, back, mmio_read_done, p, v, NULL);
}

static bool mmio_aligned(uint64_t addr, unsigned size)
{
    return (size == 1 || size == 2 || size == 4 || size == 8) && (addr & (size - 1)) == 0;
}

uint64_t sim_io_mmio_read(struct sim_machine *m, struct sim_proc *p, uint64_t addr, unsigned size)
{
    sim_check_outside("an MMIO read");
    ASSERT(p == sim_current_proc() && p->cpu >= 0);
    struct sim_cpu *cpu = &m->cpus[p->cpu];
    sim_sb_drain_all(&cpu->sb); /* uncached accesses are ordered after earlier stores */
    if (!mmio_aligned(addr, size)) {
        mmio_trace(m, p, cpu->idx, NULL, addr, size, "read", size_mask(size), 0, "misaligned");
        sim_proc_cost(p, m->cfg.costs.mmio_write_ps);
        return size_mask(size);
    }
    const struct sim_mmio_region *r = sim_bus_find(&m->bus, addr, size);
    sim_time_ps arrive = m->eng.now_ps + (r != NULL ? r->read_req_ps : SIM_UNMAPPED_READ_PS / 2);
    if (arrive < cpu->posted_tail_ps)
        arrive = cpu->posted_tail_ps; /* a read never passes a posted write */
    p->mmio_addr = addr;
    p->mmio_size = size;
    p->mmio_issued_ps = m->eng.now_ps;
    if (sim_engine_at(&m->eng, arrive, mmio_read_arrive, p, 0, NULL) != IOSIM_OK) {
        sim_machine_fail(m, IOSIM_ENOSPC, "event list full (raise machine.events_max)");
        sim_proc_cost(p, 1);
        return size_mask(size);
    }
    sim_proc_stall(p);
    bool decoded = p->wake_err == IOSIM_OK;
    r = decoded ? sim_bus_find(&m->bus, addr, size) : NULL;
    if (decoded)
        m->count.mmio_reads++;
    else
        m->count.mmio_unmapped++;
    mmio_trace(m, p, cpu->idx, r, addr, size, "read", p->wake_value,
               m->eng.now_ps - p->mmio_issued_ps, decoded ? "ok" : "unmapped");
    return p->wake_value;
}

static void mmio_write_arrive(void *ctx, uint64_t slot)
{
    struct sim_machine *m = ctx;
    ASSERT(slot < SIM_POSTED_MAX);
    struct sim_posted_write w = m->posted[slot];
    m->posted[slot].next_free = m->posted_free;
    m->posted_free = (uint32_t)slot;
    struct sim_mmio_region *r = sim_bus_find(&m->bus, w.addr, w.size);
    const struct sim_proc *p = w.pid != 0 ? m->procs[w.pid - 1] : NULL;
    if (r == NULL) {
        m->count.mmio_unmapped++;
        mmio_trace(m, p, w.cpu, NULL, w.addr, w.size, "write", w.value,
                   m->eng.now_ps - w.issued_ps, "unmapped");
        return;
    }
    m->count.mmio_writes++;
    mmio_trace(m, p, w.cpu, r, w.addr, w.size, "write", w.value, m->eng.now_ps - w.issued_ps,
               "ok");
    r->ops->write(r->ctx, w.addr - r->base, w.size, w.value & size_mask(w.size));
}

void sim_io_mmio_write(struct sim_machine *m, struct sim_proc *p, uint64_t addr, unsigned size,
                       uint64_t value)
{
    sim_check_outside("an MMIO write");
    ASSERT(p == sim_current_proc() && p->cpu >= 0);
    struct sim_cpu *cpu = &m->cpus[p->cpu];
    sim_sb_drain_all(&cpu->sb); /* like writel: earlier stores first */
    if (!mmio_aligned(addr, size)) {
        mmio_trace(m, p, cpu->idx, NULL, addr, size, "write", value, 0, "misaligned");
        sim_proc_cost(p, m->cfg.costs.mmio_write_ps);
        return;
    }
    if (m->posted_free == UINT32_MAX) {
        sim_machine_fail(m, IOSIM_ENOSPC, "too many posted MMIO writes in flight");
        sim_proc_cost(p, 1);
        return;
    }
    const struct sim_mmio_region *r = sim_bus_find(&m->bus, addr, size);
    sim_time_ps arrive = m->eng.now_ps + (r != NULL ? r->write_ps : 0);
    if (arrive < cpu->posted_tail_ps)
        arrive = cpu->posted_tail_ps; /* posted writes stay in order */
    cpu->posted_tail_ps = arrive;
    uint32_t slot = m->posted_free;
    m->posted_free = m->posted[slot].next_free;
    m->posted[slot] = (struct sim_posted_write){
        .addr = addr, .value = value, .size = size, .pid = p->pid,
        .cpu = cpu->idx, .issued_ps = m->eng.now_ps,
    };
    if (sim_engine_at(&m->eng, arrive, mmio_write_arrive, m, slot, NULL) != IOSIM_OK)
        sim_machine_fail(m, IOSIM_ENOSPC, "event list full (raise machine.events_max)");
    sim_proc_cost(p, m->cfg.costs.mmio_write_ps);
}
