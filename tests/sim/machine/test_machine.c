/* sim/machine + sched + io + port_sim: processes written in C against
 * impl/port, as production code is, on small machines. */
#include <criterion/criterion.h>
#include <string.h>

#include "impl/port/port.h"
#include "sim/machine/dev.h"
#include "sim/machine/machine.h"
#include "tests/sim/machine/machine_test_util.h"

static struct sim_machine *make_cfg(const struct sim_machine_config *cfg)
{
    struct sim_machine *m = NULL;
    cr_assert_eq(sim_machine_create(cfg, NULL, &m), IOSIM_OK);
    return m;
}

static void spawn(struct sim_machine *m, const char *name, sim_proc_fn fn, void *arg, int32_t cpu)
{
    struct sim_proc_def d = {.name = name, .fn = fn, .arg = arg, .cpu = cpu};
    cr_assert_eq(sim_proc_spawn(m, &d, NULL), IOSIM_OK);
}

/* ---- a shared log the processes append to ---------------------------------- */

struct log {
    port_atomic_u32 n;
    uint32_t who[4096];
};

static void log_add(struct log *l, uint32_t v)
{
    uint32_t i = port_fetch_add_u32(&l->n, 1, PORT_SEQ_CST);
    if (i < 4096)
        l->who[i] = v;
}

struct stepper {
    struct log *log;
    uint32_t id;
    uint32_t steps;
};

static int32_t stepper_main(void *arg)
{
    struct stepper *s = arg;
    for (uint32_t i = 0; i < s->steps; i++)
        log_add(s->log, s->id);
    return 0;
}

static void run_steppers(struct sim_machine *m, struct log *l, uint32_t n, uint32_t steps)
{
    static struct stepper st[8];
    for (uint32_t i = 0; i < n; i++) {
        st[i] = (struct stepper){l, i + 1, steps};
        spawn(m, "stepper", stepper_main, &st[i], -1);
    }
    sim_machine_run(m);
    cr_assert_eq(m->end, SIM_END_ALL_EXITED);
    cr_assert_eq(port_load_u32(&l->n, PORT_RELAXED), n * steps);
}

Test(sched, fifo_runs_each_process_to_completion_in_spawn_order_on_one_cpu)
{
    static struct log l;
    memset(&l, 0, sizeof l);
    struct sim_machine *m = mt_make(1, SIM_POLICY_FIFO, 1);
    run_steppers(m, &l, 3, 5);
    for (uint32_t i = 0; i < 15; i++)
        cr_expect_eq(l.who[i], i / 5 + 1, "entry %u", i);
    cr_expect_eq(m->count.preemptions, 0);
    sim_machine_destroy(m);
}

static uint64_t interleaving_hash(enum sim_policy_kind pol, uint64_t seed, uint32_t cpus)
{
    static struct log l;
    memset(&l, 0, sizeof l);
    struct sim_machine *m = mt_make(cpus, pol, seed);
    run_steppers(m, &l, 4, 50);
    uint64_t h = 1469598103934665603ull;
    for (uint32_t i = 0; i < 200; i++)
        h = (h ^ l.who[i]) * 1099511628211ull;
    sim_machine_destroy(m);
    return h;
}

Test(sched, random_policy_is_a_function_of_the_seed)
{
    for (uint64_t seed = 1; seed <= 5; seed++)
        cr_expect_eq(interleaving_hash(SIM_POLICY_RANDOM, seed, 2),
                     interleaving_hash(SIM_POLICY_RANDOM, seed, 2), "seed %llu",
                     (unsigned long long)seed);
    int distinct = 0;
    uint64_t first = interleaving_hash(SIM_POLICY_RANDOM, 1, 1);
    for (uint64_t seed = 2; seed <= 6; seed++)
        distinct += interleaving_hash(SIM_POLICY_RANDOM, seed, 1) != first;
    cr_expect_gt(distinct, 0, "random scheduling ignored the seed");
}

Test(sched, fifo_ignores_the_seed)
{
    cr_expect_eq(interleaving_hash(SIM_POLICY_FIFO, 1, 2), interleaving_hash(SIM_POLICY_FIFO, 99, 2));
}

Test(sched, pct_without_change_points_never_interleaves_on_one_cpu)
{
    static struct log l;
    memset(&l, 0, sizeof l);
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.sched.policy = SIM_POLICY_PCT;
    cfg.sched.pct_depth = 1;
    cfg.seed = 7;
    struct sim_machine *m = make_cfg(&cfg);
    run_steppers(m, &l, 4, 10);
    /* strict priorities: each process runs its 10 steps in one block */
    for (uint32_t b = 0; b < 4; b++)
        for (uint32_t i = 1; i < 10; i++)
            cr_expect_eq(l.who[b * 10 + i], l.who[b * 10], "block %u", b);
    sim_machine_destroy(m);
}

Test(sched, pct_change_points_preempt_or_stall)
{
    static struct log l;
    memset(&l, 0, sizeof l);
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.sched.policy = SIM_POLICY_PCT;
    cfg.sched.pct_depth = 4;
    cfg.sched.pct_steps = 30;
    cfg.seed = 3;
    struct sim_machine *m = make_cfg(&cfg);
    run_steppers(m, &l, 2, 20);
    cr_expect_gt(m->count.preemptions + m->count.stalls, 0);
    sim_machine_destroy(m);
}

/* ---- time slices, spinning, yielding ---------------------------------------- */

struct flag_pair {
    port_atomic_u32 flag;
    uint64_t seen_at_ns;
};

static int32_t spinner_main(void *arg)
{
    struct flag_pair *f = arg;
    while (port_load_u32(&f->flag, PORT_ACQUIRE) == 0)
        port_spin_hint();
    f->seen_at_ns = port_clock_ns();
    return 0;
}

static int32_t setter_main(void *arg)
{
    struct flag_pair *f = arg;
    port_store_u32(&f->flag, 1, PORT_RELEASE);
    return 0;
}

Test(sched, timeslice_lets_a_waiting_process_run_past_a_spinner)
{
    static struct flag_pair f;
    memset(&f, 0, sizeof f);
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.sched.timeslice_ps = 10 * SIM_US;
    struct sim_machine *m = make_cfg(&cfg);
    spawn(m, "spin", spinner_main, &f, -1);
    spawn(m, "set", setter_main, &f, -1);
    sim_machine_run(m);
    cr_assert_eq(m->end, SIM_END_ALL_EXITED);
    cr_expect_geq(f.seen_at_ns, 10000);
    cr_expect_geq(m->count.preemptions, 1);
    sim_machine_destroy(m);
}

static int32_t yielder_main(void *arg)
{
    struct log *l = arg;
    for (int i = 0; i < 3; i++) {
        log_add(l, (uint32_t)port_sys_getpid());
        port_sys_yield();
    }
    return 0;
}

Test(sched, sys_yield_alternates_two_processes_on_one_cpu)
{
    static struct log l;
    memset(&l, 0, sizeof l);
    struct sim_machine *m = mt_make(1, SIM_POLICY_FIFO, 1);
    spawn(m, "a", yielder_main, &l, -1);
    spawn(m, "b", yielder_main, &l, -1);
    sim_machine_run(m);
    const uint32_t want[] = {1, 2, 1, 2, 1, 2};
    for (int i = 0; i < 6; i++)
        cr_expect_eq(l.who[i], want[i], "entry %d", i);
    sim_machine_destroy(m);
}

static int32_t pinned_main(void *arg)
{
    struct log *l = arg;
    log_add(l, (uint32_t)sim_current_cpu()->idx);
    return 0;
}

Test(sched, pinned_processes_run_only_on_their_cpu)
{
    static struct log l;
    memset(&l, 0, sizeof l);
    struct sim_machine *m = mt_make(4, SIM_POLICY_RANDOM, 5);
    for (int i = 0; i < 8; i++)
        spawn(m, "pinned", pinned_main, &l, 2);
    sim_machine_run(m);
    for (int i = 0; i < 8; i++)
        cr_expect_eq(l.who[i], 2);
    sim_machine_destroy(m);
}

Test(sched, spawn_refuses_a_cpu_the_machine_lacks)
{
    struct sim_machine *m = mt_make(2, SIM_POLICY_FIFO, 1);
    struct sim_proc_def d = {.name = "x", .fn = pinned_main, .cpu = 2};
    cr_expect_eq(sim_proc_spawn(m, &d, NULL), IOSIM_EINVAL);
    sim_machine_destroy(m);
}

/* ---- the weak-memory model ---------------------------------------------------- */

struct mp {
    port_atomic_u32 data;
    port_atomic_u32 flag;
    uint32_t writer_saw, reader_early, reader_late;
    enum port_order flag_order;
};

/* Spinning keeps the CPU (sleeping would be a context switch, which drains
 * the store buffer). */
static void spin(int n)
{
    for (int i = 0; i < n; i++)
        port_spin_hint();
}

static int32_t mp_writer(void *arg)
{
    struct mp *x = arg;
    port_store_u32(&x->data, 42, PORT_RELAXED);
    x->writer_saw = port_load_u32(&x->data, PORT_RELAXED); /* its own store, forwarded */
    spin(1000);
    port_store_u32(&x->flag, 1, x->flag_order);
    return 0;
}

/* data and flag back to back, then keep the CPU a while */
static int32_t mp_writer_hasty(void *arg)
{
    struct mp *x = arg;
    port_store_u32(&x->data, 42, PORT_RELAXED);
    port_store_u32(&x->flag, 1, PORT_RELAXED);
    spin(500);
    return 0;
}

static int32_t mp_reader(void *arg)
{
    struct mp *x = arg;
    spin(10);
    x->reader_early = port_load_u32(&x->data, PORT_RELAXED);
    while (port_load_u32(&x->flag, PORT_ACQUIRE) == 0)
        port_spin_hint();
    x->reader_late = port_load_u32(&x->data, PORT_RELAXED);
    return 0;
}

static void run_mp(struct mp *x, enum sim_policy_kind pol, sim_time_ps delay_max)
{
    struct sim_machine_config cfg;
    sim_machine_config_default(&cfg);
    cfg.cpus = 2;
    cfg.sched.policy = pol;
    cfg.sched.preempt_per_mille = 0;
    cfg.sched.stall_per_mille = 0;
    cfg.sched.store_delay_max_ps = delay_max;
    cfg.seed = 1;
    struct sim_machine *m = make_cfg(&cfg);
    spawn(m, "writer", mp_writer, x, 0);
    spawn(m, "reader", mp_reader, x, 1);
    sim_machine_run(m);
    cr_assert_eq(m->end, SIM_END_ALL_EXITED);
    sim_machine_destroy(m);
}

Test(memmodel, relaxed_store_is_invisible_to_other_cpus_until_due_but_forwarded_locally)
{
    static struct mp x;
    memset(&x, 0, sizeof x);
    x.flag_order = PORT_RELEASE;
    run_mp(&x, SIM_POLICY_RANDOM, 1 * SIM_MS);
    cr_expect_eq(x.writer_saw, 42);
    cr_expect_eq(x.reader_early, 0, "a store delayed up to 1 ms was visible within ns");
    cr_expect_eq(x.reader_late, 42, "release must publish earlier stores");
}

Test(memmodel, fifo_memory_is_sequentially_consistent)
{
    static struct mp x;
    memset(&x, 0, sizeof x);
    x.flag_order = PORT_RELAXED;
    run_mp(&x, SIM_POLICY_FIFO, 1 * SIM_MS);
    cr_expect_eq(x.reader_early, 42);
    cr_expect_eq(x.reader_late, 42);
}

Test(memmodel, relaxed_flag_can_overtake_data_for_some_seed)
{
    int overtaken = 0;
    for (uint64_t seed = 1; seed <= 20 && overtaken == 0; seed++) {
        static struct mp x;
        memset(&x, 0, sizeof x);
        x.flag_order = PORT_RELAXED;
        struct sim_machine_config cfg;
        sim_machine_config_default(&cfg);
        cfg.cpus = 2;
        cfg.sched.policy = SIM_POLICY_RANDOM;
        cfg.seed = seed;
        struct sim_machine *m = make_cfg(&cfg);
        spawn(m, "writer", mp_writer_hasty, &x, 0);
        spawn(m, "reader", mp_reader, &x, 1);
        sim_machine_run(m);
        overtaken += x.reader_late != 42;
        sim_machine_destroy(m);
    }
    cr_expect_gt(overtaken, 0, "no seed in 1..20 showed the relaxed flag first");
}

Test(memmodel, host_context_port_calls_act_at_once)
{
    static port_atomic_u64 v;
    port_store_u64(&v, 5, PORT_RELAXED);
    cr_expect_eq(port_fetch_add_u64(&v, 2, PORT_RELAXED), 5);
    uint64_t e = 7;
    cr_expect(port_cas_u64(&v, &e, 9, PORT_SEQ_CST, PORT_RELAXED));
    cr_expect_eq(port_load_u64(&v, PORT_ACQUIRE), 9);
    cr_expect_eq(port_clock_ns(), 0);
    cr_expect_eq(port_sys_getpid(), -38);
}

/* ---- waiting on shared words (port_wait_u32 / port_wake) ------------------------- */

struct waitbox {
    port_atomic_u32 word;
    uint32_t order[8];
    port_atomic_u32 n;
    enum iosim_err err[8];
    uint64_t woke_at_ns[8];
};

static int32_t word_waiter(void *arg)
{
    struct waitbox *w = arg;
    uint32_t me = (uint32_t)port_sys_getpid();
    w->err[me] = port_wait_u32(&w->word, 0, PORT_WAIT_FOREVER);
    w->woke_at_ns[me] = port_clock_ns();
    w->order[port_fetch_add_u32(&w->n, 1, PORT_RELAXED)] = me;
    return 0;
}

static int32_t word_waker(void *arg)
{
    struct waitbox *w = arg;
    port_sleep_ns(10000);
    port_store_u32(&w->word, 1, PORT_RELEASE);
    cr_assert_eq(port_wake(&w->word, 1), 1, "one waiter per wake");
    port_sleep_ns(10000);
    cr_assert_eq(port_wake(&w->word, PORT_WAKE_ALL), 2);
    cr_assert_eq(port_wake(&w->word, PORT_WAKE_ALL), 0, "nobody left");
    return 0;
}

Test(wait, sleepers_wake_in_arrival_order_and_only_when_woken)
{
    static struct waitbox w;
    memset(&w, 0, sizeof w);
    struct sim_machine *m = mt_make(2, SIM_POLICY_FIFO, 1);
    spawn(m, "w1", word_waiter, &w, -1);
    spawn(m, "w2", word_waiter, &w, -1);
    spawn(m, "w3", word_waiter, &w, -1);
    spawn(m, "waker", word_waker, &w, -1);
    sim_machine_run(m);
    cr_assert_eq(m->end, SIM_END_ALL_EXITED);
    cr_expect_eq(w.order[0], 1, "the oldest sleeper goes first");
    cr_expect_geq(w.woke_at_ns[1], 10000);
    cr_expect_geq(w.woke_at_ns[2], 20000);
    cr_expect_geq(w.woke_at_ns[3], 20000);
    for (int i = 1; i <= 3; i++)
        cr_expect_eq(w.err[i], IOSIM_OK);
    sim_machine_destroy(m);
}

static int32_t word_timeout(void *arg)
{
    struct waitbox *w = arg;
    uint64_t t0 = port_clock_ns();
    w->err[0] = port_wait_u32(&w->word, 0, 5000);
    w->woke_at_ns[0] = port_clock_ns() - t0;
    w->err[1] = port_wait_u32(&w->word, 7, PORT_WAIT_FOREVER); /* not 7: returns at once */
    return 0;
}

/* port_wait_u32_pair: either word's wake ends the sleep, a word that
 * already moved returns at once, and the sleeper leaves both queues. */
struct pairbox {
    port_atomic_u32 a, b;
    enum iosim_err err[4];
    uint64_t at_ns[4];
};

static int32_t pair_waiter(void *arg)
{
    struct pairbox *w = arg;
    for (uint32_t i = 0; i < 2; i++) { /* woken by b, then by a */
        w->err[i] = port_wait_u32_pair(&w->a, 0, &w->b, 1 + i, PORT_WAIT_FOREVER);
        w->at_ns[i] = port_clock_ns();
    }
    w->err[2] = port_wait_u32_pair(&w->a, 0, &w->b, 2, PORT_WAIT_FOREVER); /* a moved: at once */
    w->err[3] = port_wait_u32_pair(&w->a, 1, &w->b, 2, 3000);
    w->at_ns[3] = port_clock_ns();
    return 0;
}

static int32_t pair_waker(void *arg)
{
    struct pairbox *w = arg;
    port_sleep_ns(10000);
    port_store_u32(&w->b, 2, PORT_RELEASE);
    cr_assert_eq(port_wake(&w->b, PORT_WAKE_ALL), 1, "asleep on b too");
    port_sleep_ns(10000);
    port_store_u32(&w->a, 1, PORT_RELEASE);
    cr_assert_eq(port_wake(&w->a, PORT_WAKE_ALL), 1, "asleep on a");
    cr_assert_eq(port_wake(&w->b, PORT_WAKE_ALL), 0, "gone from b's queue");
    return 0;
}

Test(wait, a_pair_wait_ends_on_either_word)
{
    static struct pairbox w;
    memset(&w, 0, sizeof w);
    port_store_u32(&w.b, 1, PORT_RELAXED);
    struct sim_machine *m = mt_make(2, SIM_POLICY_FIFO, 1);
    spawn(m, "pair", pair_waiter, &w, -1);
    spawn(m, "waker", pair_waker, &w, -1);
    sim_machine_run(m);
    cr_assert_eq(m->end, SIM_END_ALL_EXITED);
    cr_expect_eq(w.err[0], IOSIM_OK);
    cr_expect_geq(w.at_ns[0], 10000);
    cr_expect_eq(w.err[1], IOSIM_OK);
    cr_expect_geq(w.at_ns[1], 20000);
    cr_expect_eq(w.err[2], IOSIM_OK);
    cr_expect_eq(w.err[3], IOSIM_ETIMEDOUT);
    cr_expect_geq(w.at_ns[3] - w.at_ns[1], 3000);
    cr_expect_eq(m->waiter_count, 0);
    sim_machine_destroy(m);
}

Test(wait, a_wait_times_out_and_a_changed_word_returns_at_once)
{
    static struct waitbox w;
    memset(&w, 0, sizeof w);
    struct sim_machine *m = mt_make(1, SIM_POLICY_FIFO, 1);
    spawn(m, "t", word_timeout, &w, -1);
    sim_machine_run(m);
    cr_assert_eq(m->end, SIM_END_ALL_EXITED);
    cr_expect_eq(w.err[0], IOSIM_ETIMEDOUT);
    cr_expect_geq(w.woke_at_ns[0], 5000);
    cr_expect_eq(w.err[1], IOSIM_OK);
    cr_expect_eq(m->waiter_count, 0);
    sim_machine_destroy(m);
}
