/* sim/check + impl/port/check.h in the simulator: an assertion that touches
 * the simulated machine aborts, port_peek_* reads without a yield point and
 * only inside an assertion, and assertions that only look leave the schedule
 * exactly as a build without them would. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "impl/port/port.h"
#include "sim/engine/check.h"
#include "sim/engine/engine.h"
#include "sim/machine/machine.h"
#include "tests/sim/machine/machine_test_util.h"
#include "sim/engine/rng.h"
#include "sim/trace/trace.h"

#ifdef NDEBUG
/* The bracket exists only where assertions run; nothing to test. */
#define NEEDS_ASSERTIONS() cr_skip_test("built with NDEBUG")
#else
#define NEEDS_ASSERTIONS() ((void)0)
#endif

static void run_one(sim_proc_fn fn, void *arg)
{
    struct sim_machine *m = mt_make(1, SIM_POLICY_FIFO, 1);
    struct sim_proc_def d = {.name = "p", .fn = fn, .arg = arg, .cpu = -1};
    cr_assert_eq(sim_proc_spawn(m, &d, NULL), IOSIM_OK);
    sim_machine_run(m);
    sim_machine_destroy(m);
}

/* ---- touching the machine inside an assertion aborts ------------------------------- */

static int32_t load_in_assert(void *arg)
{
    port_atomic_u32 *w = arg;
    ASSERT(port_load_u32(w, PORT_RELAXED) == 0);
    return 0;
}

Test(check, port_call_inside_an_assertion_aborts, .signal = SIGABRT)
{
    NEEDS_ASSERTIONS();
    static port_atomic_u32 w;
    run_one(load_in_assert, &w);
}

static bool fetch_add_is_small(port_atomic_u32 *w)
{
    return port_fetch_add_u32(w, 1, PORT_RELAXED) < 100; /* a checker with a side effect */
}

static int32_t checker_in_assert(void *arg)
{
    ASSERT(fetch_add_is_small(arg));
    return 0;
}

Test(check, port_call_further_down_a_checker_aborts, .signal = SIGABRT)
{
    NEEDS_ASSERTIONS();
    static port_atomic_u32 w;
    run_one(checker_in_assert, &w);
}

Test(check, random_draw_inside_an_assertion_aborts, .signal = SIGABRT)
{
    NEEDS_ASSERTIONS();
    struct sim_rng r;
    sim_rng_seed(&r, 1);
    ASSERT(sim_rng_next(&r) != 0 || true);
}

static void nothing(void *ctx, uint64_t arg) { (void)ctx, (void)arg; }

Test(check, event_scheduled_inside_an_assertion_aborts, .signal = SIGABRT)
{
    NEEDS_ASSERTIONS();
    struct sim_engine eng;
    cr_assert_eq(sim_engine_init(&eng, 16), IOSIM_OK);
    ASSERT(sim_engine_at(&eng, 5, nothing, NULL, 0, NULL) == IOSIM_OK);
}

Test(check, trace_row_inside_an_assertion_aborts, .signal = SIGABRT)
{
    NEEDS_ASSERTIONS();
    static struct sim_trace tr;
    struct sim_trace_run_info info = {.scenario = "check", .seed = 1, .policy = "fifo"};
    cr_assert_eq(sim_trace_init(&tr, NULL, &info), IOSIM_OK);
    ASSERT((sim_trace_fault(&tr, 0, "dma_error", "dev", "x"), true));
}

Test(check, failed_assertion_aborts, .signal = SIGABRT)
{
    NEEDS_ASSERTIONS();
    volatile int x = 1;
    ASSERT(x == 2);
}

/* ---- port_peek ----------------------------------------------------------------------- */

static int32_t peek_outside(void *arg)
{
    return (int32_t)port_peek_u32(arg);
}

Test(check, peek_outside_an_assertion_aborts, .signal = SIGABRT)
{
    NEEDS_ASSERTIONS();
    static port_atomic_u32 w;
    run_one(peek_outside, &w);
}

struct peek_probe {
    port_atomic_u32 word;
    uint32_t seen;
    uint64_t before_ns, after_ns;
};

static int32_t peek_own_store(void *arg)
{
    struct peek_probe *pp = arg;
    port_store_u32(&pp->word, 7, PORT_RELAXED); /* may sit in this CPU's store buffer */
    pp->before_ns = port_clock_ns();
    ASSERT((pp->seen = port_peek_u32(&pp->word)) == 7);
    pp->after_ns = port_clock_ns();
    return 0;
}

Test(check, peek_sees_the_own_cpus_store_and_costs_nothing)
{
    NEEDS_ASSERTIONS();
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct sim_machine_config cfg;
        sim_machine_config_default(&cfg);
        cfg.cpus = 2;
        cfg.sched.policy = SIM_POLICY_RANDOM;
        cfg.relaxed_memory = true;
        cfg.seed = seed;
        struct sim_machine *m = NULL;
        cr_assert_eq(sim_machine_create(&cfg, NULL, &m), IOSIM_OK);
        static struct peek_probe pp;
        memset(&pp, 0, sizeof pp);
        struct sim_proc_def d = {.name = "p", .fn = peek_own_store, .arg = &pp, .cpu = -1};
        cr_assert_eq(sim_proc_spawn(m, &d, NULL), IOSIM_OK);
        sim_machine_run(m);
        cr_expect_eq(m->end, SIM_END_ALL_EXITED);
        cr_expect_eq(pp.seen, 7, "seed %llu", (unsigned long long)seed);
        cr_expect_eq(pp.before_ns, pp.after_ns, "a peek took simulated time");
        sim_machine_destroy(m);
    }
}

/* ---- assertions that only look do not change the schedule ---------------------------- */

struct log {
    port_atomic_u32 n;
    uint32_t who[1024];
};

struct stepper {
    struct log *log;
    uint32_t id, steps;
    bool check;
};

static int32_t stepper_main(void *arg)
{
    struct stepper *s = arg;
    for (uint32_t i = 0; i < s->steps; i++) {
        uint32_t k = port_fetch_add_u32(&s->log->n, 1, PORT_SEQ_CST);
        if (s->check) {
            ASSERT(port_peek_u32(&s->log->n) > k);
            ASSERT(k < 1024);
        }
        if (k < 1024)
            s->log->who[k] = s->id;
    }
    return 0;
}

/* The interleaving of four processes, hashed; `check` adds assertions. */
static uint64_t interleaving(enum sim_policy_kind pol, uint64_t seed, bool check)
{
    static struct log l;
    static struct stepper st[4];
    memset(&l, 0, sizeof l);
    struct sim_machine *m = mt_make(2, pol, seed);
    for (uint32_t i = 0; i < 4; i++) {
        st[i] = (struct stepper){&l, i + 1, 60, check};
        struct sim_proc_def d = {.name = "s", .fn = stepper_main, .arg = &st[i], .cpu = -1};
        cr_assert_eq(sim_proc_spawn(m, &d, NULL), IOSIM_OK);
    }
    sim_machine_run(m);
    cr_assert_eq(m->end, SIM_END_ALL_EXITED);
    uint64_t h = 1469598103934665603ull ^ m->eng.now_ps;
    for (uint32_t i = 0; i < 240; i++)
        h = (h ^ l.who[i]) * 1099511628211ull;
    sim_machine_destroy(m);
    return h;
}

Test(check, assertions_that_only_look_leave_the_schedule_unchanged)
{
    enum sim_policy_kind pols[] = {SIM_POLICY_FIFO, SIM_POLICY_RANDOM, SIM_POLICY_PCT};
    for (size_t p = 0; p < sizeof pols / sizeof pols[0]; p++)
        for (uint64_t seed = 1; seed <= 10; seed++)
            cr_expect_eq(interleaving(pols[p], seed, true), interleaving(pols[p], seed, false),
                         "policy %zu seed %llu", p, (unsigned long long)seed);
}
