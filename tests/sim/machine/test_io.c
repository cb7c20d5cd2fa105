/* sim/io + port_sim MMIO, interrupts, DMA and fault rules, against a small
 * register-file device defined here. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "impl/port/port.h"
#include "sim/machine/dev.h"
#include "sim/machine/machine.h"

#define DEV_BASE 0xf0000000ull

struct regfile {
    struct sim_machine *m;
    uint32_t regs[16];
    uint32_t writes;
    sim_time_ps last_write_ps;
    uint32_t order[32];
};

static uint64_t rf_read(void *ctx, uint64_t off, unsigned size)
{
    struct regfile *rf = ctx;
    (void)size;
    return rf->regs[(off / 4) % 16];
}

static void rf_write(void *ctx, uint64_t off, unsigned size, uint64_t v)
{
    struct regfile *rf = ctx;
    (void)size;
    rf->regs[(off / 4) % 16] = (uint32_t)v;
    if (rf->writes < 32)
        rf->order[rf->writes] = (uint32_t)v;
    rf->writes++;
    rf->last_write_ps = sim_dev_now(rf->m);
    if (off == 0x3c)
        sim_dev_irq_raise(rf->m, 4, "rf");
}

static const struct sim_mmio_ops rf_ops = {rf_read, rf_write};

static struct sim_machine *machine_with_rf(struct regfile *rf, struct sim_machine_config *cfg)
{
    struct sim_machine *m = NULL;
    cr_assert_eq(sim_machine_create(cfg, NULL, &m), IOSIM_OK);
    memset(rf, 0, sizeof *rf);
    rf->m = m;
    struct sim_mmio_region r = {.name = "rf", .base = DEV_BASE, .len = 64, .ops = &rf_ops,
                                .ctx = rf, .read_req_ps = 100 * SIM_NS,
                                .read_resp_ps = 200 * SIM_NS, .write_ps = 150 * SIM_NS,
                                .enabled = true};
    cr_assert_eq(sim_dev_mmio_add(m, &r, NULL), IOSIM_OK);
    return m;
}

static void spawn(struct sim_machine *m, sim_proc_fn fn, void *arg)
{
    struct sim_proc_def d = {.name = "drv", .fn = fn, .arg = arg, .cpu = -1};
    cr_assert_eq(sim_proc_spawn(m, &d, NULL), IOSIM_OK);
}

struct probe {
    uint64_t t0, t1, v;
    uint64_t vals[8];
    enum iosim_err err;
};

static int32_t read_latency_main(void *arg)
{
    struct probe *p = arg;
    struct port_bar *bar;
    if (port_bar_map(DEV_BASE, 64, &bar) != IOSIM_OK)
        return 1;
    p->t0 = port_clock_ns();
    p->v = port_mmio_read32(bar, 8);
    p->t1 = port_clock_ns();
    port_bar_unmap(bar);
    return 0;
}

Test(mmio, read_waits_for_the_device_round_trip)
{
    static struct regfile rf;
    static struct probe p;
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    struct sim_machine *m = machine_with_rf(&rf, &cfg);
    rf.regs[2] = 0xabcd;
    spawn(m, read_latency_main, &p);
    sim_machine_run(m);
    cr_expect_eq(p.v, 0xabcd);
    cr_expect_eq(p.t1 - p.t0, 300, "100 ns request + 200 ns completion");
    cr_expect_eq(m->count.mmio_reads, 1);
    sim_machine_destroy(m);
}

static int32_t ordering_main(void *arg)
{
    struct probe *p = arg;
    struct port_bar *bar;
    (void)port_bar_map(DEV_BASE, 64, &bar);
    for (uint32_t i = 0; i < 5; i++)
        port_mmio_write32(bar, 4 * i, 100 + i);
    p->v = port_mmio_read32(bar, 16); /* must see the last posted write */
    port_bar_unmap(bar);
    return 0;
}

Test(mmio, posted_writes_arrive_in_order_and_a_read_never_passes_them)
{
    static struct regfile rf;
    static struct probe p;
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    struct sim_machine *m = machine_with_rf(&rf, &cfg);
    spawn(m, ordering_main, &p);
    sim_machine_run(m);
    for (uint32_t i = 0; i < 5; i++)
        cr_expect_eq(rf.order[i], 100 + i);
    cr_expect_eq(p.v, 104);
    sim_machine_destroy(m);
}

static int32_t out_of_bar_main(void *arg)
{
    struct probe *p = arg;
    struct port_bar *bar;
    (void)port_bar_map(DEV_BASE, 64, &bar);
    p->vals[0] = port_mmio_read32(bar, 64);      /* past the BAR */
    p->vals[1] = port_mmio_read64(bar, 60);      /* straddles its end */
    p->vals[2] = port_mmio_read16(bar, 0);
    port_mmio_write32(bar, 1000, 5);             /* dropped */
    port_bar_unmap(bar);
    (void)port_bar_map(DEV_BASE + 0x1000, 64, &bar); /* nothing decodes there */
    p->vals[3] = port_mmio_read32(bar, 0);
    port_mmio_write32(bar, 0, 1);
    p->vals[4] = port_mmio_read32(bar, 2);       /* misaligned */
    port_bar_unmap(bar);
    return 0;
}

Test(mmio, accesses_outside_a_window_read_all_ones_and_never_crash)
{
    static struct regfile rf;
    static struct probe p;
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    struct sim_machine *m = machine_with_rf(&rf, &cfg);
    spawn(m, out_of_bar_main, &p);
    sim_machine_run(m);
    cr_expect_eq(p.vals[0], 0xffffffffu);
    cr_expect_eq(p.vals[1], UINT64_MAX);
    cr_expect_eq(p.vals[2], 0);
    cr_expect_eq(p.vals[3], 0xffffffffu);
    cr_expect_eq(p.vals[4], 0xffffffffu);
    cr_expect_eq(rf.writes, 0);
    cr_expect_eq(m->count.mmio_unmapped, 2);
    sim_machine_destroy(m);
}

/* ---- interrupts ------------------------------------------------------------ */

static int32_t irq_main(void *arg)
{
    struct probe *p = arg;
    struct port_irq *irq;
    struct port_bar *bar;
    (void)port_irq_open(4, &irq);
    (void)port_bar_map(DEV_BASE, 64, &bar);
    port_mmio_write32(bar, 0x3c, 1);             /* raises line 4 */
    port_sleep_ns(1000);                         /* ... while nobody waits: latched */
    p->err = port_irq_wait(irq, 10);
    p->vals[0] = port_irq_wait(irq, 500);        /* nothing pending: times out */
    p->t0 = port_clock_ns();
    port_irq_close(irq);
    port_bar_unmap(bar);
    return 0;
}

Test(irq, raise_without_a_waiter_is_latched_and_a_silent_wait_times_out)
{
    static struct regfile rf;
    static struct probe p;
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    struct sim_machine *m = machine_with_rf(&rf, &cfg);
    spawn(m, irq_main, &p);
    sim_machine_run(m);
    cr_expect_eq(p.err, IOSIM_OK);
    cr_expect_eq(p.vals[0], IOSIM_ETIMEDOUT);
    cr_expect_eq(m->count.irq_raised, 1);
    cr_expect_eq(m->count.irq_timeouts, 1);
    sim_machine_destroy(m);
}

Test(irq, drop_fault_loses_exactly_the_nth_interrupt)
{
    static struct regfile rf;
    static struct probe p;
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.faults[0] = (struct sim_fault_rule){.kind = SIM_FAULT_IRQ_DROP, .line = 4, .nth = 1};
    cfg.fault_count = 1;
    struct sim_machine *m = machine_with_rf(&rf, &cfg);
    spawn(m, irq_main, &p);
    sim_machine_run(m);
    cr_expect_eq(p.err, IOSIM_ETIMEDOUT);
    cr_expect_eq(m->count.faults_injected, 1);
    cr_expect_eq(m->count.irq_timeouts, 2);
    sim_machine_destroy(m);
}

/* port_irq_wait_word: one sleep for an interrupt or a word, whichever first. */
static port_atomic_u32 g_word;

static int32_t word_waiter(void *arg)
{
    struct probe *p = arg;
    struct port_irq *irq;
    (void)port_irq_open(4, &irq);
    p->vals[0] = port_irq_wait_word(irq, &g_word, 0, 1000000);  /* woken by the waker */
    p->t0 = port_clock_ns();
    p->vals[1] = port_irq_wait_word(irq, &g_word, 0, 1000000);  /* word moved already */
    p->vals[2] = port_irq_wait_word(irq, &g_word, 1, 1000000);  /* the interrupt */
    p->t1 = port_clock_ns();
    p->vals[3] = port_irq_wait_word(irq, &g_word, 1, 5000);     /* neither: times out */
    p->vals[4] = port_clock_ns() - p->t1;
    port_irq_close(irq);
    return 0;
}

static int32_t word_waker(void *arg)
{
    struct probe *p = arg;
    struct port_bar *bar;
    (void)port_bar_map(DEV_BASE, 64, &bar);
    port_sleep_ns(2000);
    port_store_u32(&g_word, 1, PORT_RELEASE);
    (void)port_wake(&g_word, PORT_WAKE_ALL);
    port_sleep_ns(20000);
    p->v = port_clock_ns();
    port_mmio_write32(bar, 0x3c, 1);             /* raises line 4 */
    port_bar_unmap(bar);
    return 0;
}

Test(irq, wait_word_wakes_for_the_word_or_the_interrupt_whichever_comes_first)
{
    static struct regfile rf;
    static struct probe p;
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    struct sim_machine *m = machine_with_rf(&rf, &cfg);
    port_store_u32(&g_word, 0, PORT_RELAXED);
    spawn(m, word_waiter, &p);
    spawn(m, word_waker, &p);
    sim_machine_run(m);
    cr_expect_eq(m->end, SIM_END_ALL_EXITED);
    cr_expect_eq(p.vals[0], IOSIM_EAGAIN);
    cr_expect_geq(p.t0, 2000);
    cr_expect_lt(p.t0, 20000, "woken by the word, not a timeout (%llu ns)", (unsigned long long)p.t0);
    cr_expect_eq(p.vals[1], IOSIM_EAGAIN);
    cr_expect_eq(p.vals[2], IOSIM_OK);
    cr_expect_geq(p.t1, p.v);
    cr_expect_eq(p.vals[3], IOSIM_ETIMEDOUT);
    cr_expect_geq(p.vals[4], 5000);
    cr_expect_null(m->irq[4].waiter);
    cr_expect_eq(m->waiter_count, 0);
    sim_machine_destroy(m);
}

static int32_t waits_word_forever(void *arg)
{
    struct port_irq *irq;
    (void)arg;
    (void)port_irq_open(9, &irq);
    (void)port_irq_wait_word(irq, &g_word, port_load_u32(&g_word, PORT_RELAXED),
                             PORT_IRQ_NO_TIMEOUT);
    return 0;
}

static void kill_it(void *ctx, uint64_t arg);

Test(irq, a_process_killed_in_wait_word_leaves_neither_list)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    struct sim_machine *m = NULL;
    cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
    spawn(m, waits_word_forever, NULL);
    cr_assert_eq(sim_dev_after(m, 5 * SIM_US, kill_it, m, 0, NULL), IOSIM_OK);
    sim_machine_run(m);
    cr_expect_eq(m->procs[0]->exit_status, -9);
    cr_expect_null(m->irq[9].waiter);
    cr_expect_eq(m->waiter_count, 0);
    sim_machine_destroy(m);
}

/* ---- DMA ---------------------------------------------------------------------- */

static int32_t dma_main(void *arg)
{
    struct probe *p = arg;
    struct port_dma d;
    p->err = port_dma_alloc(8192, 4096, &d);
    if (p->err != IOSIM_OK)
        return 1;
    p->v = d.bus_addr;
    memset(d.host, 0x5a, 16);
    p->vals[0] = d.len_bytes;
    p->vals[1] = d.bus_addr % 4096;
    port_sleep_ns(1000000); /* the device looks meanwhile; exiting frees the buffer */
    return 0;
}

struct dma_look {
    struct sim_machine *m;
    struct probe *p;
    enum iosim_err e[4];
    uint8_t byte;
};

static void device_looks(void *ctx, uint64_t arg)
{
    struct dma_look *l = ctx;
    uint8_t buf[16] = {0};
    (void)arg;
    l->e[0] = sim_dev_dma_read(l->m, "t", l->p->v, buf, 16);
    l->byte = buf[15];
    l->e[1] = sim_dev_dma_read(l->m, "t", l->p->v + 8192 - 8, buf, 16);
    l->e[2] = sim_dev_dma_write(l->m, "t", 0x1000, buf, 4);
    l->e[3] = sim_dev_dma_read(l->m, "t", UINT64_MAX - 2, buf, 8);
}

Test(dma, device_access_goes_through_the_iommu_while_the_buffer_lives)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.iommu = true;
    struct sim_machine *m = NULL;
    static struct probe p;
    static struct dma_look look;
    cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
    look = (struct dma_look){.m = m, .p = &p};
    spawn(m, dma_main, &p);
    cr_assert_eq(sim_dev_after(m, 500 * SIM_US, device_looks, &look, 0, NULL), IOSIM_OK);
    sim_machine_run(m);
    cr_assert_eq(p.err, IOSIM_OK);
    cr_expect_eq(p.vals[0], 8192);
    cr_expect_eq(p.vals[1], 0);
    cr_expect_eq(look.e[0], IOSIM_OK);
    cr_expect_eq(look.byte, 0x5a);
    cr_expect_eq(look.e[1], IOSIM_EACCES, "a DMA running past the mapping is refused");
    cr_expect_eq(look.e[2], IOSIM_EACCES);
    cr_expect_eq(look.e[3], IOSIM_EFAULT);
    uint8_t buf[4];
    cr_expect_eq(sim_dev_dma_read(m, "t", p.v, buf, 4), IOSIM_EACCES,
                 "the buffer died with its process, and its mapping with it");
    cr_expect_eq(m->count.iommu_maps, 1);
    cr_expect_eq(m->count.iommu_unmaps, 1);
    cr_expect_eq(m->count.iommu_refused, 3);
    sim_machine_destroy(m);
}

Test(dma, without_iommu_addresses_are_physical_and_limited_to_ram)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    struct sim_machine *m = NULL;
    cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    cr_expect_eq(sim_dev_dma_write(m, "t", 0x1000, buf, 8), IOSIM_OK);
    cr_expect_eq(((uint8_t *)sim_mem_host(&m->mem, 0x1000, 8))[7], 8);
    cr_expect_eq(sim_dev_dma_write(m, "t", cfg.mem_bytes - 4, buf, 8), IOSIM_EFAULT);
    cr_expect_eq(sim_dev_dma_read(m, "t", 0, buf, 0), IOSIM_EFAULT);
    sim_machine_destroy(m);
}

/* ---- ends of runs ---------------------------------------------------------------- */

static int32_t waits_forever(void *arg)
{
    struct port_irq *irq;
    (void)arg;
    (void)port_irq_open(9, &irq);
    (void)port_irq_wait(irq, PORT_IRQ_NO_TIMEOUT);
    return 0;
}

static void kill_it(void *ctx, uint64_t arg)
{
    struct sim_machine *m = ctx;
    sim_proc_kill(m->procs[arg], -9);
}

Test(machine, a_blocked_process_can_be_killed_by_an_event)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    struct sim_machine *m = NULL;
    cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
    spawn(m, waits_forever, NULL);
    cr_assert_eq(sim_dev_after(m, 5 * SIM_US, kill_it, m, 0, NULL), IOSIM_OK);
    sim_machine_run(m);
    cr_expect_eq(m->end, SIM_END_ALL_EXITED);
    cr_expect_eq(m->procs[0]->state, SIM_PROC_EXITED);
    cr_expect_eq(m->procs[0]->exit_status, -9);
    cr_expect(m->procs[0]->failed);
    cr_expect_null(m->irq[9].waiter);
    sim_machine_destroy(m);
}

Test(machine, nothing_left_to_happen_is_a_deadlock)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    struct sim_machine *m = NULL;
    cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
    spawn(m, waits_forever, NULL);
    sim_machine_run(m);
    cr_expect_eq(m->end, SIM_END_DEADLOCK);
    sim_machine_destroy(m);
}

static int32_t sleeps_long(void *arg)
{
    (void)arg;
    port_sleep_ns(5000000);
    return 0;
}

Test(machine, the_time_limit_stops_a_run_at_exactly_that_time)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.time_limit_ps = 1 * SIM_MS;
    struct sim_machine *m = NULL;
    cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
    spawn(m, sleeps_long, NULL);
    sim_machine_run(m);
    cr_expect_eq(m->end, SIM_END_TIME_LIMIT);
    cr_expect_eq(m->eng.now_ps, 1 * SIM_MS);
    sim_machine_destroy(m);
}

static void never(void *ctx, uint64_t arg)
{
    (void)ctx;
    (void)arg;
}

static int32_t posts_a_write(void *arg)
{
    struct port_bar *bar;
    (void)arg;
    (void)port_bar_map(DEV_BASE, 64, &bar);
    port_mmio_write32(bar, 0, 1); /* needs an arrival event and a CPU event at once */
    port_bar_unmap(bar);
    return 0;
}

Test(machine, event_capacity_exhaustion_ends_the_run_with_an_error)
{
    static struct regfile rf;
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.events_max = 2;
    struct sim_machine *m = machine_with_rf(&rf, &cfg);
    cr_assert_eq(sim_dev_after(m, 1 * SIM_S, never, NULL, 0, NULL), IOSIM_OK);
    spawn(m, posts_a_write, NULL);
    struct sim_proc_def d = {.name = "s", .fn = sleeps_long, .cpu = -1};
    cr_expect_eq(sim_proc_spawn(m, &d, NULL), IOSIM_ENOSPC, "no slot left for a start event");
    cr_expect_eq(m->proc_count, 1, "a refused spawn leaves no trace");
    sim_machine_run(m);
    cr_expect_eq(m->end, SIM_END_ERROR);
    cr_expect_eq(m->error, IOSIM_ENOSPC);
    sim_machine_destroy(m);
}

Test(machine, counters_are_found_by_their_dotted_names)
{
    struct sim_counters c = {0};
    c.iommu_refused = 3;
    uint64_t v = 0;
    cr_expect(sim_counter_get(&c, "iommu.refused", &v));
    cr_expect_eq(v, 3);
    cr_expect(!sim_counter_get(&c, "iommu.refusedx", &v));
    size_t n = 0;
    while (n < sim_counter_count())
        cr_expect(sim_counter_get(&c, sim_counter_name(n++), &v));
    cr_expect_eq(n, (sizeof c - sizeof c.ext) / sizeof(uint64_t));
}

/* Registration is process-global: Criterion runs each test in its own
 * process, so these do not leak into other tests. */
Test(machine, registered_counters_are_found_and_counted)
{
    static struct sim_counter_def ops = {"blink.ops", SIM_COUNTER_NONE};
    static struct sim_counter_def bytes = {"blink.bytes", SIM_COUNTER_NONE};
    uint32_t core = sim_counter_count();
    cr_assert_eq(sim_counter_register(&ops), IOSIM_OK);
    cr_assert_eq(sim_counter_register(&bytes), IOSIM_OK);
    cr_expect_eq(sim_counter_register(&ops), IOSIM_OK, "the same def again is a no-op");
    cr_expect_eq(ops.id, 0);
    cr_expect_eq(bytes.id, 1);
    cr_expect_eq(sim_counter_count(), core + 2);
    cr_expect_str_eq(sim_counter_name(core + 1), "blink.bytes");
    struct sim_machine *m = NULL;
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
    sim_dev_count(m, &bytes, 40);
    sim_dev_count(m, &bytes, 2);
    uint64_t v = 0;
    cr_expect(sim_counter_get(&m->count, "blink.bytes", &v));
    cr_expect_eq(v, 42);
    cr_expect(sim_counter_get(&m->count, "blink.ops", &v));
    cr_expect_eq(v, 0);
    sim_machine_destroy(m);
}

Test(machine, counter_registration_refuses_bad_and_taken_names)
{
    const char *bad[] = {"nodot", ".ops", "blink.", "Blink.ops", "blink.op-s", "iommu.refused",
                         "a.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    static struct sim_counter_def defs[8];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        defs[i] = (struct sim_counter_def){bad[i], SIM_COUNTER_NONE};
        cr_expect_eq(sim_counter_register(&defs[i]), IOSIM_EINVAL, "%s", bad[i]);
        cr_expect_eq(defs[i].id, SIM_COUNTER_NONE);
    }
    static struct sim_counter_def a = {"x.y", SIM_COUNTER_NONE}, b = {"x.y", SIM_COUNTER_NONE};
    cr_expect_eq(sim_counter_register(&a), IOSIM_OK);
    cr_expect_eq(sim_counter_register(&b), IOSIM_EINVAL, "a name some counter already has");
}

Test(machine, counter_registration_ends_at_the_capacity)
{
    static struct sim_counter_def defs[SIM_COUNTERS_EXT_MAX + 1];
    static char names[SIM_COUNTERS_EXT_MAX + 1][16];
    for (uint32_t i = 0; i <= SIM_COUNTERS_EXT_MAX; i++) {
        snprintf(names[i], sizeof names[i], "cap.c%u", i);
        defs[i] = (struct sim_counter_def){names[i], SIM_COUNTER_NONE};
        cr_expect_eq(sim_counter_register(&defs[i]),
                     i < SIM_COUNTERS_EXT_MAX ? IOSIM_OK : IOSIM_ENOSPC, "counter %u", i);
    }
}
