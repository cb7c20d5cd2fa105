/* The scenario-program interpreter; see program_exec.h. Everything goes through
 * impl/port, as production code does. */
#include "sim/run/program_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/port/port.h"
#include "sim/machine/machine.h"
#include "sim/trace/trace.h"

#define EXIT_ASSERT 1
#define EXIT_SEGV 139

static uint64_t operand(const struct sim_prog_ctx *c, const struct sim_operand *o)
{
    return o->is_reg ? c->reg[o->reg] + o->imm : o->imm;
}

static _Noreturn void prog_die(const struct sim_step *s, int32_t status, const char *kind,
                               const char *detail)
{
    struct sim_machine *m = sim_current_machine();
    struct sim_proc *p = sim_current_proc();
    if (m->trace != NULL) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s (step at line %u, column %u)", detail, s->line, s->col);
        sim_trace_fault(m->trace, m->eng.now_ps, kind, p->name, msg);
    }
    sim_proc_exit(p, status, true);
}

static bool compare(enum sim_cmp c, uint64_t a, uint64_t b)
{
    switch (c) {
    case SIM_CMP_EQ: return a == b;
    case SIM_CMP_NE: return a != b;
    case SIM_CMP_LT: return a < b;
    case SIM_CMP_LE: return a <= b;
    case SIM_CMP_GT: return a > b;
    case SIM_CMP_GE: return a >= b;
    }
    return false;
}

static const char *cmp_text(enum sim_cmp c)
{
    static const char *const t[] = {"==", "!=", "<", "<=", ">", ">="};
    return (unsigned)c < sizeof t / sizeof t[0] ? t[c] : "?";
}

/* Host pointer for a program address; dies with a fault outside RAM or
 * misaligned for an atomic. */
static void *mem_at(const struct sim_step *s, uint64_t addr, unsigned size, bool atomic)
{
    struct sim_machine *m = sim_current_machine();
    void *h = sim_mem_host(&m->mem, addr, size);
    if (h == NULL) {
        char d[96];
        snprintf(d, sizeof d, "address 0x%llx (+%u) is outside memory", (unsigned long long)addr,
                 size);
        prog_die(s, EXIT_SEGV, "segv", d);
    }
    if (atomic && (addr & (size - 1)) != 0) {
        char d[96];
        snprintf(d, sizeof d, "atomic access to misaligned address 0x%llx",
                 (unsigned long long)addr);
        prog_die(s, EXIT_SEGV, "segv", d);
    }
    return h;
}

static uint64_t atomic_load(const struct sim_step *s, uint64_t addr)
{
    void *h = mem_at(s, addr, s->size, true);
    return s->size == 8 ? port_load_u64(h, s->order) : port_load_u32(h, s->order);
}

static void atomic_store(const struct sim_step *s, uint64_t addr, uint64_t v)
{
    void *h = mem_at(s, addr, s->size, true);
    if (s->size == 8)
        port_store_u64(h, v, s->order);
    else
        port_store_u32(h, (uint32_t)v, s->order);
}

static uint64_t rmw32(port_atomic_u32 *a, enum sim_rmw_op op, uint32_t v, enum port_order o)
{
    switch (op) {
    case SIM_RMW_ADD: return port_fetch_add_u32(a, v, o);
    case SIM_RMW_SUB: return port_fetch_sub_u32(a, v, o);
    case SIM_RMW_OR: return port_fetch_or_u32(a, v, o);
    case SIM_RMW_AND: return port_fetch_and_u32(a, v, o);
    case SIM_RMW_XCHG: return port_xchg_u32(a, v, o);
    }
    return 0;
}

static uint64_t rmw64(port_atomic_u64 *a, enum sim_rmw_op op, uint64_t v, enum port_order o)
{
    switch (op) {
    case SIM_RMW_ADD: return port_fetch_add_u64(a, v, o);
    case SIM_RMW_SUB: return port_fetch_sub_u64(a, v, o);
    case SIM_RMW_OR: return port_fetch_or_u64(a, v, o);
    case SIM_RMW_AND: return port_fetch_and_u64(a, v, o);
    case SIM_RMW_XCHG: return port_xchg_u64(a, v, o);
    }
    return 0;
}

static uint64_t do_cas(const struct sim_step *s, uint64_t addr, uint64_t expected, uint64_t desired)
{
    void *h = mem_at(s, addr, s->size, true);
    if (s->size == 8) {
        uint64_t e = expected;
        return port_cas_u64(h, &e, desired, s->order, PORT_RELAXED);
    }
    uint32_t e = (uint32_t)expected;
    return port_cas_u32(h, &e, (uint32_t)desired, s->order, PORT_RELAXED);
}

static uint64_t alu(enum sim_alu_op op, uint64_t a, uint64_t b)
{
    switch (op) {
    case SIM_ALU_SET: return b;
    case SIM_ALU_ADD: return a + b;
    case SIM_ALU_SUB: return a - b;
    case SIM_ALU_AND: return a & b;
    case SIM_ALU_OR: return a | b;
    case SIM_ALU_XOR: return a ^ b;
    case SIM_ALU_SHL: return b >= 64 ? 0 : a << b;
    case SIM_ALU_SHR: return b >= 64 ? 0 : a >> b;
    case SIM_ALU_MUL: return a * b;
    }
    return 0;
}

static void local_step(void)
{
    struct sim_proc *p = sim_current_proc();
    sim_proc_cost(p, p->machine->cfg.costs.local_ps);
}

static void assert_step(struct sim_prog_ctx *c, struct sim_step *s)
{
    uint64_t got = c->reg[s->dst], want = operand(c, &s->value);
    local_step();
    s->evaluated++;
    if (compare(s->cmp, got, want))
        return;
    if (s->failed++ == 0)
        snprintf(s->failure, sizeof s->failure, "%.80s: r%u = %llu (0x%llx), expected %s %llu",
                 s->text[0] ? s->text : "assertion failed", s->dst, (unsigned long long)got,
                 (unsigned long long)got, cmp_text(s->cmp), (unsigned long long)want);
    prog_die(s, EXIT_ASSERT, "assert", s->failure);
}

static void spin_until(struct sim_prog_ctx *c, struct sim_step *s)
{
    uint64_t addr = operand(c, &s->addr), want = operand(c, &s->value);
    for (uint64_t i = 0;; i++) {
        uint64_t v = atomic_load(s, addr);
        if (compare(s->cmp, v, want)) {
            s->evaluated++;
            if (s->has_dst)
                c->reg[s->dst] = v;
            return;
        }
        if (i + 1 >= s->count) {
            s->evaluated++;
            if (s->failed++ == 0)
                snprintf(s->failure, sizeof s->failure,
                         "spin_until gave up after %llu tries: last value %llu, wanted %s %llu",
                         (unsigned long long)s->count, (unsigned long long)v, cmp_text(s->cmp),
                         (unsigned long long)want);
            prog_die(s, EXIT_ASSERT, "assert", s->failure);
        }
        port_spin_hint();
    }
}

static struct port_bar *bar_for(struct sim_prog_ctx *c, const struct sim_step *s)
{
    ASSERT(s->device < c->device_count);
    if (c->bars[s->device] == NULL) {
        const struct sim_prog_device *d = &c->devices[s->device];
        if (port_bar_map(d->base, d->len, &c->bars[s->device]) != IOSIM_OK)
            prog_die(s, EXIT_SEGV, "segv", "cannot map the device's registers");
    }
    return c->bars[s->device];
}

/* The window an MMIO step goes through and the offset in it: a declared
 * device's, or one mapped for this access at a physical address. */
static struct port_bar *mmio_window(struct sim_prog_ctx *c, const struct sim_step *s, uint64_t *off)
{
    if (s->device != SIM_PROG_NO_DEVICE)
        return bar_for(c, s);
    struct port_bar *b;
    if (port_bar_map(*off, s->size, &b) != IOSIM_OK)
        prog_die(s, EXIT_SEGV, "segv", "cannot map that physical address");
    *off = 0;
    return b;
}

static void mmio_done(const struct sim_step *s, struct port_bar *b)
{
    if (s->device == SIM_PROG_NO_DEVICE)
        port_bar_unmap(b);
}

static uint64_t mmio_read(struct sim_prog_ctx *c, const struct sim_step *s, uint64_t off)
{
    struct port_bar *b = mmio_window(c, s, &off);
    uint64_t v;
    switch (s->size) {
    case 1: v = port_mmio_read8(b, off); break;
    case 2: v = port_mmio_read16(b, off); break;
    case 8: v = port_mmio_read64(b, off); break;
    default: v = port_mmio_read32(b, off); break;
    }
    mmio_done(s, b);
    return v;
}

static void mmio_write(struct sim_prog_ctx *c, const struct sim_step *s, uint64_t off, uint64_t v)
{
    struct port_bar *b = mmio_window(c, s, &off);
    switch (s->size) {
    case 1: port_mmio_write8(b, off, (uint8_t)v); break;
    case 2: port_mmio_write16(b, off, (uint16_t)v); break;
    case 8: port_mmio_write64(b, off, v); break;
    default: port_mmio_write32(b, off, (uint32_t)v); break;
    }
    mmio_done(s, b);
}

static void dma_alloc(struct sim_prog_ctx *c, const struct sim_step *s)
{
    if (c->dma_count == SIM_PROG_DMA_MAX)
        prog_die(s, EXIT_SEGV, "dma", "too many DMA buffers in one program");
    struct port_dma d;
    enum iosim_err e = port_dma_alloc(operand(c, &s->addr), operand(c, &s->value2), &d);
    if (e != IOSIM_OK)
        prog_die(s, EXIT_SEGV, "dma", iosim_err_text(e));
    c->dma[c->dma_count].bus_addr = d.bus_addr;
    c->dma[c->dma_count].len_bytes = d.len_bytes;
    c->dma[c->dma_count].host = d.host;
    c->dma_count++;
    c->reg[s->dst] = d.bus_addr;
}

static void dma_free(struct sim_prog_ctx *c, const struct sim_step *s)
{
    uint64_t bus = operand(c, &s->addr);
    for (uint32_t i = 0; i < c->dma_count; i++) {
        if (c->dma[i].bus_addr != bus)
            continue;
        struct port_dma d = {c->dma[i].host, c->dma[i].bus_addr, c->dma[i].len_bytes};
        port_dma_free(&d);
        c->dma[i] = c->dma[--c->dma_count];
        return;
    }
    prog_die(s, EXIT_SEGV, "dma", "dma_free of an address no dma_alloc returned");
}

static struct port_irq *irq_for(struct sim_prog_ctx *c, const struct sim_step *s)
{
    for (uint32_t i = 0; i < c->irq_count; i++)
        if (c->irqs[i].line == s->line_irq)
            return c->irqs[i].handle;
    if (c->irq_count == SIM_PROG_IRQS_MAX ||
        port_irq_open(s->line_irq, &c->irqs[c->irq_count].handle) != IOSIM_OK)
        prog_die(s, EXIT_SEGV, "irq", "cannot open the interrupt line");
    c->irqs[c->irq_count].line = s->line_irq;
    return c->irqs[c->irq_count++].handle;
}

static void irq_wait(struct sim_prog_ctx *c, const struct sim_step *s)
{
    uint64_t timeout_ns = s->time_ps == SIM_TIME_MAX ? PORT_IRQ_NO_TIMEOUT : s->time_ps / SIM_NS;
    enum iosim_err e = port_irq_wait(irq_for(c, s), timeout_ns);
    if (e != IOSIM_OK && e != IOSIM_ETIMEDOUT)
        prog_die(s, EXIT_SEGV, "irq", iosim_err_text(e));
    if (s->has_dst)
        c->reg[s->dst] = e == IOSIM_OK;
}

static void log_step(const struct sim_step *s)
{
    struct sim_machine *m = sim_current_machine();
    struct sim_proc *p = sim_current_proc();
    if (m->trace != NULL)
        sim_trace_log(m->trace, m->eng.now_ps, p->pid, "program", s->text);
    local_step();
}

static void run_steps(struct sim_prog_ctx *c, uint32_t first, uint32_t n);

static void rmw_step(struct sim_prog_ctx *c, const struct sim_step *s, uint64_t addr)
{
    void *h = mem_at(s, addr, s->size, true);
    uint64_t v = operand(c, &s->value);
    uint64_t old = s->size == 8 ? rmw64(h, s->rmw, v, s->order)
                                : rmw32(h, s->rmw, (uint32_t)v, s->order);
    if (s->has_dst)
        c->reg[s->dst] = old;
}

static void cas_step(struct sim_prog_ctx *c, const struct sim_step *s, uint64_t addr)
{
    uint64_t ok = do_cas(s, addr, operand(c, &s->value), operand(c, &s->value2));
    if (s->has_dst)
        c->reg[s->dst] = ok;
}

static void read_step(struct sim_prog_ctx *c, const struct sim_step *s, uint64_t addr)
{
    uint64_t v = 0;
    port_shm_read(&v, mem_at(s, addr, s->size, false), s->size); /* little-endian host */
    c->reg[s->dst] = v;
}

static void write_step(struct sim_prog_ctx *c, const struct sim_step *s, uint64_t addr)
{
    uint64_t v = operand(c, &s->value);
    port_shm_write(mem_at(s, addr, s->size, false), &v, s->size);
}

/* Runs one step; returns how many steps it spans (a repeat spans its body). */
static uint32_t run_step(struct sim_prog_ctx *c, uint32_t i)
{
    struct sim_step *s = &c->prog->steps[i];
    struct sim_proc *p = sim_current_proc();
    switch (s->kind) {
    case SIM_STEP_LOAD: c->reg[s->dst] = atomic_load(s, operand(c, &s->addr)); break;
    case SIM_STEP_STORE: atomic_store(s, operand(c, &s->addr), operand(c, &s->value)); break;
    case SIM_STEP_RMW: rmw_step(c, s, operand(c, &s->addr)); break;
    case SIM_STEP_CAS: cas_step(c, s, operand(c, &s->addr)); break;
    case SIM_STEP_READ: read_step(c, s, operand(c, &s->addr)); break;
    case SIM_STEP_WRITE: write_step(c, s, operand(c, &s->addr)); break;
    case SIM_STEP_FENCE: port_fence(s->order); break;
    case SIM_STEP_ALU:
        c->reg[s->dst] = alu(s->alu, c->reg[s->dst], operand(c, &s->value));
        local_step();
        break;
    case SIM_STEP_WORK: sim_proc_cost(p, s->time_ps); break;
    case SIM_STEP_SLEEP: port_sleep_ns(s->time_ps / SIM_NS); break;
    case SIM_STEP_YIELD: port_sys_yield(); break;
    case SIM_STEP_REPEAT:
        for (uint64_t k = 0; k < s->count; k++)
            run_steps(c, i + 1, s->body_len);
        return 1 + s->body_len;
    case SIM_STEP_SPIN_UNTIL: spin_until(c, s); break;
    case SIM_STEP_MMIO_READ: c->reg[s->dst] = mmio_read(c, s, operand(c, &s->addr)); break;
    case SIM_STEP_MMIO_WRITE: mmio_write(c, s, operand(c, &s->addr), operand(c, &s->value)); break;
    case SIM_STEP_DMA_ALLOC: dma_alloc(c, s); break;
    case SIM_STEP_DMA_FREE: dma_free(c, s); break;
    case SIM_STEP_IRQ_WAIT: irq_wait(c, s); break;
    case SIM_STEP_ASSERT: assert_step(c, s); break;
    case SIM_STEP_LOG: log_step(s); break;
    case SIM_STEP_EXIT: sim_proc_exit(p, s->exit_status, false);
    }
    return 1;
}

static void run_steps(struct sim_prog_ctx *c, uint32_t first, uint32_t n)
{
    ASSERT(first + n <= c->prog->count);
    for (uint32_t i = first; i < first + n;)
        i += run_step(c, i);
}

int32_t sim_program_main(void *arg)
{
    struct sim_prog_ctx *c = arg;
    ASSERT(c != NULL && c->prog != NULL);
    run_steps(c, 0, c->prog->count);
    return 0;
}
