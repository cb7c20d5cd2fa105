/* sim/coro: switching, interleaving against reference sequences, stacks,
 * destruction, exit, register and floating-point preservation.
 *
 * Every behaviour is checked on both backends: CORO_TEST(name) defines
 * Test(coro_asm, name) and Test(coro_ucontext, name) around one body that
 * takes the backend. Random tests use fixed seeds and print them on failure.
 */
#include <criterion/criterion.h>

#include <fenv.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/engine/coro.h"
#include "sim/engine/rng.h"

#ifdef IOSIM_ASAN
/* Run the sanitizer build with fake stacks on, so the fiber annotations are
 * exercised for use-after-return, and with leak checking. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_stack_use_after_return=1:detect_leaks=1";
}
#endif

#define NOINLINE __attribute__((noinline))

static void skip_unless_available(enum sim_coro_backend backend)
{
    if (!sim_coro_backend_available(backend))
        cr_skip_test("backend %d not available on this architecture", (int)backend);
}

#define CORO_TEST(name)                                                                            \
    static void name##_body(enum sim_coro_backend backend);                                        \
    Test(coro_asm, name)                                                                           \
    {                                                                                              \
        skip_unless_available(SIM_CORO_BACKEND_ASM);                                               \
        name##_body(SIM_CORO_BACKEND_ASM);                                                         \
    }                                                                                              \
    Test(coro_ucontext, name)                                                                      \
    {                                                                                              \
        name##_body(SIM_CORO_BACKEND_UCONTEXT);                                                    \
    }                                                                                              \
    static void name##_body(enum sim_coro_backend backend)

static struct sim_coro *make(enum sim_coro_backend backend, size_t stack_bytes, sim_coro_fn fn,
                             void *arg)
{
    struct sim_coro_opts opts = {.stack_bytes = stack_bytes, .backend = backend};
    struct sim_coro *co = NULL;
    enum iosim_err e = sim_coro_create(&co, &opts, fn, arg);
    cr_assert_eq(e, IOSIM_OK, "create: %s", iosim_err_name(e));
    cr_assert_not_null(co);
    cr_assert_eq(sim_coro_backend_of(co), backend);
    return co;
}

/* ---- values through shared state ---- */

struct pingpong {
    uint64_t to_co;
    uint64_t to_host;
    int rounds;
};

static void pingpong_fn(void *arg)
{
    struct pingpong *p = arg;
    struct sim_coro *self = sim_coro_running();
    for (int i = 0; i < p->rounds; i++) {
        p->to_host = p->to_co * 3 + (uint64_t)i;
        sim_coro_yield(self);
    }
}

CORO_TEST(values_pass_both_ways_when_yielding_many_times)
{
    struct pingpong p = {.rounds = 10000};
    struct sim_coro *co = make(backend, 0, pingpong_fn, &p);
    for (int i = 0; i < p.rounds; i++) {
        p.to_co = (uint64_t)i * 7 + 1;
        sim_coro_resume(co);
        cr_assert_eq(p.to_host, ((uint64_t)i * 7 + 1) * 3 + (uint64_t)i, "round %d", i);
        cr_assert(!sim_coro_finished(co));
    }
    sim_coro_resume(co);
    cr_assert(sim_coro_finished(co));
    sim_coro_destroy(co);
}

/* ---- interleaving against a reference sequence ---- */

#define RR_COROS 64
#define RR_LOG_MAX (RR_COROS * 16)

struct rr_log {
    uint32_t entries[RR_LOG_MAX];
    size_t len;
};

struct rr_task {
    struct rr_log *log;
    uint32_t id;
    uint32_t steps;
};

static uint32_t rr_steps(uint32_t id)
{
    return 1 + (id * 7) % 13;
}

static void rr_fn(void *arg)
{
    struct rr_task *t = arg;
    for (uint32_t s = 0; s < t->steps; s++) {
        cr_assert_lt(t->log->len, RR_LOG_MAX);
        t->log->entries[t->log->len++] = t->id << 16 | s;
        sim_coro_yield(sim_coro_running());
    }
}

CORO_TEST(round_robin_order_matches_reference_when_many_coroutines_interleave)
{
    static struct rr_log got, want;
    struct rr_task tasks[RR_COROS];
    struct sim_coro *cos[RR_COROS];
    memset(&got, 0, sizeof got);
    memset(&want, 0, sizeof want);
    for (uint32_t k = 0; k < RR_COROS; k++) {
        tasks[k] = (struct rr_task){.log = &got, .id = k, .steps = rr_steps(k)};
        cos[k] = make(backend, 0, rr_fn, &tasks[k]);
    }
    for (bool any = true; any;) {
        any = false;
        for (uint32_t k = 0; k < RR_COROS; k++) {
            if (sim_coro_finished(cos[k]))
                continue;
            sim_coro_resume(cos[k]);
            any = true;
        }
    }
    for (uint32_t round = 0; round < 16; round++)
        for (uint32_t k = 0; k < RR_COROS; k++)
            if (round < rr_steps(k))
                want.entries[want.len++] = k << 16 | round;
    cr_assert_eq(got.len, want.len);
    for (size_t i = 0; i < want.len; i++)
        cr_assert_eq(got.entries[i], want.entries[i], "entry %zu", i);
    for (uint32_t k = 0; k < RR_COROS; k++)
        sim_coro_destroy(cos[k]);
}

/* Model-based: random create / resume / destroy against a plain model. */

#define MB_SLOTS 24

struct mb_slot {
    uint64_t h0;   /* input */
    uint32_t steps; /* yields before returning */
    uint64_t out;  /* written by the coroutine at every step */
};

static uint64_t mb_mix(uint64_t h)
{
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ h >> 32;
}

static void mb_fn(void *arg)
{
    struct mb_slot *s = arg;
    uint64_t h = s->h0; /* lives on this coroutine's stack / registers */
    for (uint32_t i = 0; i < s->steps; i++) {
        h = mb_mix(h + i);
        s->out = h;
        sim_coro_yield(sim_coro_running());
    }
    s->out = ~h;
}

struct mb_model {
    bool alive;
    bool finished;
    uint64_t h;
    uint32_t done;
};

static void mb_step_model(struct mb_model *m, const struct mb_slot *s)
{
    if (m->done < s->steps) {
        m->h = mb_mix(m->h + m->done);
        m->done++;
    } else {
        m->finished = true;
    }
}

static void mb_run(enum sim_coro_backend backend, uint64_t seed)
{
    struct sim_rng rng;
    sim_rng_stream(&rng, seed, "coro-test");
    struct mb_slot slots[MB_SLOTS] = {0};
    struct mb_model model[MB_SLOTS] = {0};
    struct sim_coro *cos[MB_SLOTS] = {0};
    for (int op = 0; op < 3000; op++) {
        size_t k = (size_t)sim_rng_below(&rng, MB_SLOTS);
        uint64_t what = sim_rng_below(&rng, 10);
        if (!model[k].alive) {
            slots[k] = (struct mb_slot){.h0 = sim_rng_next(&rng),
                                        .steps = (uint32_t)sim_rng_below(&rng, 40)};
            model[k] = (struct mb_model){.alive = true, .h = slots[k].h0};
            cos[k] = make(backend, SIM_CORO_STACK_MIN_BYTES, mb_fn, &slots[k]);
        } else if (what == 0 || model[k].finished) {
            sim_coro_destroy(cos[k]);
            model[k].alive = false;
        } else {
            sim_coro_resume(cos[k]);
            mb_step_model(&model[k], &slots[k]);
            uint64_t want = model[k].finished ? ~model[k].h : model[k].h;
            cr_assert_eq(slots[k].out, want, "seed %llu op %d slot %zu", (unsigned long long)seed,
                         op, k);
        }
        if (model[k].alive)
            cr_assert_eq(sim_coro_finished(cos[k]), model[k].finished, "seed %llu op %d",
                         (unsigned long long)seed, op);
    }
    for (size_t k = 0; k < MB_SLOTS; k++)
        if (model[k].alive)
            sim_coro_destroy(cos[k]);
}

CORO_TEST(random_order_matches_model_when_resumed_by_seeded_rng)
{
    for (uint64_t seed = 1; seed <= 12; seed++)
        mb_run(backend, seed);
}

/* ---- stacks ---- */

/* Each level keeps a ~200-byte frame alive across the recursive call. The
 * deepest level yields (inside a coroutine), so the whole chain is
 * suspended and resumed. */
static NOINLINE uint64_t deep(int depth, uint64_t acc)
{
    volatile unsigned char pad[192];
    pad[(unsigned)depth % sizeof pad] = (unsigned char)depth;
    if (depth == 0) {
        if (sim_coro_running() != NULL)
            sim_coro_yield(sim_coro_running());
        return acc;
    }
    uint64_t r = deep(depth - 1, acc * 31 + (uint64_t)depth);
    return r + pad[(unsigned)depth % sizeof pad];
}

struct deep_job {
    int depth;
    uint64_t result;
};

static void deep_fn(void *arg)
{
    struct deep_job *j = arg;
    j->result = deep(j->depth, 1);
}

CORO_TEST(deep_recursion_completes_when_within_stack_size)
{
    /* About 256 bytes per level: half the stack at most. */
    const struct {
        size_t stack_bytes;
        int depth;
    } cases[] = {{0, 500}, {SIM_CORO_STACK_MIN_BYTES, 30}, {(size_t)1 << 20, 2000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct deep_job j = {.depth = cases[i].depth};
        struct sim_coro *co = make(backend, cases[i].stack_bytes, deep_fn, &j);
        cr_assert_geq(sim_coro_stack_bytes(co), cases[i].stack_bytes);
        sim_coro_resume(co);
        cr_assert(!sim_coro_finished(co), "case %zu: suspended at the deepest level", i);
        sim_coro_resume(co);
        cr_assert(sim_coro_finished(co));
        cr_assert_eq(j.result, deep(cases[i].depth, 1), "case %zu", i);
        sim_coro_destroy(co);
    }
}

static NOINLINE int overflow(volatile int *limit)
{
    volatile unsigned char pad[1024];
    pad[0] = (unsigned char)*limit;
    if (--*limit <= 0)
        return pad[0];
    return overflow(limit) + pad[0];
}

static void overflow_fn(void *arg)
{
    volatile int limit = 1 << 30;
    *(int *)arg = overflow(&limit);
}

#ifdef IOSIM_ASAN
/* AddressSanitizer catches the fault, reports a stack overflow, exits 1. */
#define OVERFLOW_EXPECT .exit_code = 1
#else
#define OVERFLOW_EXPECT .signal = SIGSEGV
#endif

static void overflow_body(enum sim_coro_backend backend)
{
    int result = 0;
    struct sim_coro *co = make(backend, SIM_CORO_STACK_MIN_BYTES, overflow_fn, &result);
    sim_coro_resume(co);
    cr_assert_fail("returned from an overflowing coroutine");
}

Test(coro_asm, guard_page_faults_when_stack_overflows, OVERFLOW_EXPECT)
{
    skip_unless_available(SIM_CORO_BACKEND_ASM);
    overflow_body(SIM_CORO_BACKEND_ASM);
}

Test(coro_ucontext, guard_page_faults_when_stack_overflows, OVERFLOW_EXPECT)
{
    overflow_body(SIM_CORO_BACKEND_UCONTEXT);
}

/* ---- destroy, exit, finished ---- */

struct progress {
    int before;
    int after;
    int levels;
};

static void two_part_fn(void *arg)
{
    struct progress *p = arg;
    p->before++;
    sim_coro_yield(sim_coro_running());
    p->after++;
}

CORO_TEST(destroy_runs_no_more_code_when_coroutine_is_suspended)
{
    struct progress p = {0};
    struct sim_coro *co = make(backend, 0, two_part_fn, &p);
    sim_coro_resume(co);
    cr_assert_eq(p.before, 1);
    cr_assert(!sim_coro_finished(co));
    sim_coro_destroy(co);
    cr_assert_eq(p.after, 0);
    cr_assert_null(sim_coro_running());

    co = make(backend, 0, two_part_fn, &p); /* never started */
    sim_coro_destroy(co);
    cr_assert_eq(p.before, 1);
    sim_coro_destroy(NULL);
}

static size_t count_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    cr_assert_not_null(f);
    size_t n = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        n += c == '\n';
    fclose(f);
    return n;
}

static NOINLINE void buf_fill(volatile unsigned char *b, size_t n, uint32_t v)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(v + i);
}

static NOINLINE int buf_check(const volatile unsigned char *b, size_t n, uint32_t v)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(v + i))
            return 1;
    return 0;
}

/* Suspends with an address-taken local alive: under AddressSanitizer with
 * fake stacks the frame lives on the coroutine's fake stack, which destroy
 * must release. */
static void local_buf_fn(void *arg)
{
    struct progress *p = arg;
    volatile unsigned char buf[64];
    buf_fill(buf, sizeof buf, 5);
    p->before++;
    sim_coro_yield(sim_coro_running());
    p->after += buf_check(buf, sizeof buf, 5) + 1;
}

CORO_TEST(destroy_releases_stacks_when_many_coroutines_suspended)
{
    enum { N = 300 };
    static struct sim_coro *cos[N];
    struct progress p = {0};
    size_t before = count_mappings();
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < N; i++) {
            sim_coro_fn fn = i % 2 ? two_part_fn : local_buf_fn;
            cos[i] = make(backend, SIM_CORO_STACK_MIN_BYTES, fn, &p);
            sim_coro_resume(cos[i]);
        }
        for (int i = 0; i < N; i++)
            sim_coro_destroy(cos[i]);
    }
    cr_assert_eq(p.before, 4 * N);
    cr_assert_eq(p.after, 0);
    /* Leaking a stack would leave 2 mappings per coroutine (and an ASan
     * fake stack 1); allow a few new ones from the allocator. */
    cr_assert_leq(count_mappings(), before + 16);
}

static NOINLINE void exit_level(struct progress *p, int level)
{
    if (level > 3)
        return; /* unreachable; keeps the recursion visibly finite */
    p->levels++;
    if (level < 3) {
        exit_level(p, level + 1);
    } else {
        sim_coro_yield(sim_coro_running());
        sim_coro_exit(sim_coro_running());
    }
    p->after++; /* never reached: exit does not unwind */
}

static void exit_fn(void *arg)
{
    struct progress *p = arg;
    exit_level(p, 1);
    p->after++;
}

CORO_TEST(exit_finishes_coroutine_when_called_from_nested_call)
{
    struct progress p = {0};
    struct sim_coro *co = make(backend, 0, exit_fn, &p);
    sim_coro_resume(co);
    cr_assert_eq(p.levels, 3);
    cr_assert(!sim_coro_finished(co));
    sim_coro_resume(co);
    cr_assert(sim_coro_finished(co));
    cr_assert_eq(p.after, 0);
    cr_assert_null(sim_coro_running());
    sim_coro_destroy(co);
}

static void counted_fn(void *arg)
{
    int *yields = arg;
    for (int i = 0; i < *yields; i++)
        sim_coro_yield(sim_coro_running());
}

CORO_TEST(finished_becomes_true_only_when_fn_returns)
{
    for (int yields = 0; yields < 4; yields++) {
        int n = yields;
        struct sim_coro *co = make(backend, 0, counted_fn, &n);
        cr_assert(!sim_coro_finished(co), "new");
        for (int i = 0; i < yields; i++) {
            sim_coro_resume(co);
            cr_assert(!sim_coro_finished(co), "after yield %d of %d", i, yields);
        }
        sim_coro_resume(co);
        cr_assert(sim_coro_finished(co), "after return, %d yields", yields);
        sim_coro_destroy(co);
    }
}

/* ---- sim_coro_running ---- */

struct whoami {
    struct sim_coro *self;
    int checks;
};

static NOINLINE void whoami_nested(struct whoami *w)
{
    cr_assert_eq(sim_coro_running(), w->self);
    w->checks++;
}

static void whoami_fn(void *arg)
{
    struct whoami *w = arg;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(sim_coro_running(), w->self);
        whoami_nested(w);
        sim_coro_yield(w->self);
    }
}

CORO_TEST(running_names_coroutine_when_inside_and_null_when_outside)
{
    struct whoami w[3] = {0};
    struct sim_coro *cos[3];
    cr_assert_null(sim_coro_running());
    for (int k = 0; k < 3; k++) {
        cos[k] = make(backend, 0, whoami_fn, &w[k]);
        w[k].self = cos[k];
        cr_assert_null(sim_coro_running());
    }
    for (int round = 0; round < 4; round++)
        for (int k = 0; k < 3; k++) {
            sim_coro_resume(cos[k]);
            cr_assert_null(sim_coro_running());
        }
    for (int k = 0; k < 3; k++) {
        cr_assert(sim_coro_finished(cos[k]));
        cr_assert_eq(w[k].checks, 3);
        sim_coro_destroy(cos[k]);
    }
}

/* ---- register and floating-point state ---- */

/* Twelve values live across every yield: more than the callee-saved
 * registers of either ABI, so both the registers and spill slots on the
 * coroutine's stack are exercised. */
static NOINLINE uint64_t many_live(uint64_t seed, int rounds, struct sim_coro *self)
{
    uint64_t a = seed, b = seed ^ 0x1111, c = seed * 3, d = seed + 4, e = seed << 5, f = ~seed;
    uint64_t g = seed >> 7, h = seed * 9, i = seed ^ 0xabc, j = seed + 0x77, k = seed * 11;
    uint64_t l = seed - 12;
    for (int r = 0; r < rounds; r++) {
        a += l; b ^= a; c += b * 3; d ^= c >> 3; e += d; f ^= e << 1;
        g += f; h ^= g * 5; i += h; j ^= i >> 7; k += j; l ^= k + (uint64_t)r;
        if (self != NULL)
            sim_coro_yield(self);
    }
    return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ i ^ j ^ k ^ l;
}

struct live_job {
    uint64_t seed;
    int rounds;
    uint64_t result;
};

static void many_live_fn(void *arg)
{
    struct live_job *j = arg;
    j->result = many_live(j->seed, j->rounds, sim_coro_running());
}

/* The host keeps its own twelve values live across every resume. */
static NOINLINE uint64_t host_many_live(uint64_t seed, int rounds, struct sim_coro **cos, int n)
{
    uint64_t a = seed, b = seed ^ 0x2222, c = seed * 5, d = seed + 6, e = seed << 3, f = ~seed;
    uint64_t g = seed >> 9, h = seed * 13, i = seed ^ 0xdef, j = seed + 0x55, k = seed * 17;
    uint64_t l = seed - 19;
    for (int r = 0; r <= rounds; r++) {
        a += l; b ^= a; c += b * 3; d ^= c >> 3; e += d; f ^= e << 1;
        g += f; h ^= g * 5; i += h; j ^= i >> 7; k += j; l ^= k + (uint64_t)r;
        for (int x = 0; cos != NULL && x < n; x++)
            sim_coro_resume(cos[x]);
    }
    return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ i ^ j ^ k ^ l;
}

CORO_TEST(callee_saved_values_survive_when_switching)
{
    enum { N = 4, ROUNDS = 2000 };
    struct live_job jobs[N];
    struct sim_coro *cos[N];
    for (int x = 0; x < N; x++) {
        jobs[x] = (struct live_job){.seed = 0x9e3779b97f4a7c15ull * (uint64_t)(x + 1),
                                    .rounds = ROUNDS};
        cos[x] = make(backend, 0, many_live_fn, &jobs[x]);
    }
    uint64_t host = host_many_live(42, ROUNDS, cos, N);
    cr_assert_eq(host, host_many_live(42, ROUNDS, NULL, 0));
    for (int x = 0; x < N; x++) {
        cr_assert(sim_coro_finished(cos[x]));
        cr_assert_eq(jobs[x].result, many_live(jobs[x].seed, ROUNDS, NULL), "coroutine %d", x);
        sim_coro_destroy(cos[x]);
    }
}

/* A long floating-point computation with values live across yields (in
 * d8-d15 on AArch64, spilled on x86-64) plus volatile accumulators. */
static NOINLINE double fp_series(double scale, int terms, struct sim_coro *self)
{
    volatile double vsum = 0.0;
    double s1 = 0.0, s2 = 0.0, s3 = scale, s4 = 1.0;
    for (int k = 1; k <= terms; k++) {
        double x = scale / ((double)k * (double)k);
        s1 += x;
        s2 += x * s4;
        s4 = -s4;
        s3 = s3 * 0.999 + x;
        vsum = vsum + s1 * 0.5;
        if (self != NULL && k % 64 == 0)
            sim_coro_yield(self);
    }
    return s1 + s2 * 3.0 + s3 * 7.0 + vsum;
}

struct fp_job {
    double scale;
    double result;
};

static void fp_fn(void *arg)
{
    struct fp_job *j = arg;
    j->result = fp_series(j->scale, 20000, sim_coro_running());
}

CORO_TEST(floating_point_values_survive_when_switching)
{
    struct fp_job jobs[3] = {{.scale = 1.0}, {.scale = 2.5}, {.scale = -0.75}};
    struct sim_coro *cos[3];
    for (int x = 0; x < 3; x++)
        cos[x] = make(backend, 0, fp_fn, &jobs[x]);
    volatile double host = 0.0;
    double h1 = 0.5, h2 = 0.25;
    for (int round = 0; !sim_coro_finished(cos[0]); round++) {
        for (int x = 0; x < 3; x++)
            sim_coro_resume(cos[x]);
        h1 = h1 * 1.0001 + h2;
        h2 = h2 * 0.9999 + (double)round;
        host = host + h1 - h2;
    }
    double h1_ref = 0.5, h2_ref = 0.25, host_ref = 0.0;
    for (int round = 0; round < 20000 / 64 + 1; round++) {
        h1_ref = h1_ref * 1.0001 + h2_ref;
        h2_ref = h2_ref * 0.9999 + (double)round;
        host_ref = host_ref + h1_ref - h2_ref;
    }
    cr_assert(h1 == h1_ref && h2 == h2_ref && host == host_ref, "host values changed");
    for (int x = 0; x < 3; x++) {
        cr_assert(sim_coro_finished(cos[x]));
        double want = fp_series(jobs[x].scale, 20000, NULL);
        cr_assert(memcmp(&jobs[x].result, &want, sizeof want) == 0, "coroutine %d: %a != %a", x,
                  jobs[x].result, want);
        sim_coro_destroy(cos[x]);
    }
}

/* 1/3 differs in its last bit between rounding up and to nearest. */
static double third(void)
{
    volatile double one = 1.0, three = 3.0;
    return one / three;
}

struct round_job {
    int seen_first;
    int seen_later;
    double third_later;
};

static void round_fn(void *arg)
{
    struct round_job *j = arg;
    j->seen_first = fegetround();
    fesetround(FE_UPWARD);
    sim_coro_yield(sim_coro_running());
    j->seen_later = fegetround();
    j->third_later = third();
}

CORO_TEST(rounding_mode_stays_per_coroutine_when_switching)
{
    const double third_nearest = third();
    struct round_job j = {0};
    cr_assert_eq(fesetround(FE_DOWNWARD), 0);
    struct sim_coro *co = make(backend, 0, round_fn, &j); /* inherits downward */
    fesetround(FE_TONEAREST);
    sim_coro_resume(co);
    cr_assert_eq(j.seen_first, FE_DOWNWARD, "created with the creator's mode");
    cr_assert_eq(fegetround(), FE_TONEAREST, "coroutine's mode leaked into host");
    cr_assert(third() == third_nearest);
    fesetround(FE_TOWARDZERO);
    sim_coro_resume(co);
    int host_mode = fegetround();
    fesetround(FE_TONEAREST);
    cr_assert_eq(host_mode, FE_TOWARDZERO, "host mode lost across resume");
    cr_assert_eq(j.seen_later, FE_UPWARD, "coroutine mode lost across yield");
    cr_assert(j.third_later > third_nearest, "SSE/FP unit not rounding upward");
    cr_assert(sim_coro_finished(co));
    sim_coro_destroy(co);
}

/* ---- stack frames with addressable locals (sanitizer fiber protocol) ---- */

/* Collects what the sanitizers print while a body runs, so that a warning
 * (for instance "ASan is ignoring requested __asan_handle_no_return", the
 * sign of a switch it was not told about) fails the test. A crash inside the
 * capture loses its report: the other tests run the same paths uncaptured. */
struct stderr_capture {
    FILE *tmp;
    int saved_fd;
};

static void capture_begin(struct stderr_capture *c)
{
    fflush(stderr);
    c->tmp = tmpfile();
    cr_assert_not_null(c->tmp);
    c->saved_fd = dup(STDERR_FILENO);
    cr_assert_geq(c->saved_fd, 0);
    cr_assert_geq(dup2(fileno(c->tmp), STDERR_FILENO), 0);
}

static void capture_end_expect_no_warning(struct stderr_capture *c)
{
    fflush(stderr);
    cr_assert_geq(dup2(c->saved_fd, STDERR_FILENO), 0);
    close(c->saved_fd);
    rewind(c->tmp);
    char line[512];
    while (fgets(line, sizeof line, c->tmp) != NULL) {
        fputs(line, stderr);
        /* The swapcontext interceptor always warns once; it is expected. */
        bool expected = strstr(line, "makecontext/swapcontext") != NULL;
        cr_assert(expected || strstr(line, "WARNING") == NULL, "sanitizer: %s", line);
    }
    fclose(c->tmp);
}

struct buf_job {
    uint32_t id;
    int rounds;
    int bad;
};

static NOINLINE _Noreturn void buf_exit(struct buf_job *j)
{
    volatile unsigned char tail[48];
    buf_fill(tail, sizeof tail, j->id);
    j->bad += buf_check(tail, sizeof tail, j->id);
    sim_coro_exit(sim_coro_running()); /* a noreturn call: ASan unpoisons here */
}

static void buf_fn(void *arg)
{
    struct buf_job *j = arg;
    volatile unsigned char buf[200];
    for (int r = 0; r < j->rounds; r++) {
        buf_fill(buf, sizeof buf, j->id * 1000 + (uint32_t)r);
        sim_coro_yield(sim_coro_running());
        j->bad += buf_check(buf, sizeof buf, j->id * 1000 + (uint32_t)r);
    }
    if (j->id % 2)
        buf_exit(j);
}

CORO_TEST(local_buffers_survive_when_many_coroutines_interleave)
{
    enum { N = 32 };
    struct buf_job jobs[N];
    struct sim_coro *cos[N];
    struct stderr_capture cap;
    capture_begin(&cap);
    for (uint32_t k = 0; k < N; k++) {
        jobs[k] = (struct buf_job){.id = k, .rounds = 20 + (int)k};
        cos[k] = make(backend, 0, buf_fn, &jobs[k]);
    }
    volatile unsigned char host_buf[128];
    for (bool any = true; any;) {
        any = false;
        buf_fill(host_buf, sizeof host_buf, 7);
        for (uint32_t k = 0; k < N; k++) {
            if (sim_coro_finished(cos[k]))
                continue;
            sim_coro_resume(cos[k]);
            any = true;
        }
        cr_assert_eq(buf_check(host_buf, sizeof host_buf, 7), 0);
    }
    for (uint32_t k = 0; k < N; k++) {
        cr_assert_eq(jobs[k].bad, 0, "coroutine %u", k);
        sim_coro_destroy(cos[k]);
    }
    capture_end_expect_no_warning(&cap);
}

#if defined(__x86_64__)
/* Calls fn(arg) with rbx, r12-r15 set to seed+1..seed+5 and stores what
 * those registers hold after fn returns. The compiler saves and restores
 * them around the asm (they are clobbers); the asm keeps 128 bytes of red
 * zone clear and the stack 16-byte aligned at the call. */
static NOINLINE void call_with_marked_regs(void (*fn)(void *), void *arg, uint64_t seed,
                                           uint64_t out[5])
{
    __asm__ volatile("movq %%rsp, %%rax\n\t"
                     "subq $128, %%rsp\n\t"
                     "andq $-16, %%rsp\n\t"
                     "pushq %%rax\n\t"
                     "pushq %%rsi\n\t"
                     "leaq 1(%%rdx), %%rbx\n\t"
                     "leaq 2(%%rdx), %%r12\n\t"
                     "leaq 3(%%rdx), %%r13\n\t"
                     "leaq 4(%%rdx), %%r14\n\t"
                     "leaq 5(%%rdx), %%r15\n\t"
                     "callq *%%rcx\n\t"
                     "popq %%rsi\n\t"
                     "movq %%rbx, 0(%%rsi)\n\t"
                     "movq %%r12, 8(%%rsi)\n\t"
                     "movq %%r13, 16(%%rsi)\n\t"
                     "movq %%r14, 24(%%rsi)\n\t"
                     "movq %%r15, 32(%%rsi)\n\t"
                     "popq %%rsp"
                     : "+D"(arg), "+S"(out), "+d"(seed), "+c"(fn)
                     :
                     : "rax", "r8", "r9", "r10", "r11", "rbx", "r12", "r13", "r14", "r15",
                       "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory",
                       "cc");
}

static void yield_thunk(void *co)
{
    sim_coro_yield(co);
}

static void resume_thunk(void *co)
{
    sim_coro_resume(co);
}

struct marked_job {
    uint64_t seed;
    uint64_t seen[5];
};

static void marked_fn(void *arg)
{
    struct marked_job *j = arg;
    for (int i = 0; i < 3; i++)
        call_with_marked_regs(yield_thunk, sim_coro_running(), j->seed + (uint64_t)i * 100,
                              j->seen);
}

/* Every callee-saved general register, checked by name, both directions. */
CORO_TEST(marked_registers_survive_when_switching_both_ways)
{
    struct marked_job j = {.seed = 0x5000};
    struct sim_coro *co = make(backend, 0, marked_fn, &j);
    for (int i = 0; i < 4; i++) {
        uint64_t host_seen[5];
        uint64_t host_seed = 0x7000 + (uint64_t)i * 10;
        call_with_marked_regs(resume_thunk, co, host_seed, host_seen);
        for (int r = 0; r < 5; r++)
            cr_assert_eq(host_seen[r], host_seed + 1 + (uint64_t)r, "host, resume %d, reg %d", i,
                         r);
        if (i == 0)
            continue;
        for (int r = 0; r < 5; r++)
            cr_assert_eq(j.seen[r], j.seed + (uint64_t)(i - 1) * 100 + 1 + (uint64_t)r,
                         "coroutine, yield %d, reg %d", i - 1, r);
    }
    cr_assert(sim_coro_finished(co));
    sim_coro_destroy(co);
}
#endif

/* ---- creation errors ---- */

static void nop_fn(void *arg)
{
    (void)arg;
}

CORO_TEST(create_checks_stack_size_when_at_or_past_bounds)
{
    const struct {
        size_t stack_bytes;
        enum iosim_err want;
    } cases[] = {
        {0, IOSIM_OK},
        {1, IOSIM_EINVAL},
        {SIM_CORO_STACK_MIN_BYTES - 1, IOSIM_EINVAL},
        {SIM_CORO_STACK_MIN_BYTES, IOSIM_OK},
        {SIM_CORO_STACK_MIN_BYTES + 1, IOSIM_OK},
        {SIM_CORO_STACK_MAX_BYTES, IOSIM_OK},
        {SIM_CORO_STACK_MAX_BYTES + 1, IOSIM_EINVAL},
        {SIZE_MAX, IOSIM_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sim_coro_opts opts = {.stack_bytes = cases[i].stack_bytes, .backend = backend};
        struct sim_coro *co = (struct sim_coro *)&opts; /* sentinel */
        enum iosim_err e = sim_coro_create(&co, &opts, nop_fn, NULL);
        if (cases[i].want != IOSIM_OK || e != IOSIM_OK) {
            /* The largest stack may not fit where overcommit is off. */
            bool ok = e == cases[i].want ||
                      (cases[i].stack_bytes == SIM_CORO_STACK_MAX_BYTES && e == IOSIM_ENOMEM);
            cr_assert(ok, "case %zu: got %s", i, iosim_err_name(e));
            cr_assert_eq((void *)co, (void *)&opts, "case %zu: *out changed on error", i);
            continue;
        }
        size_t want = cases[i].stack_bytes ? cases[i].stack_bytes : SIM_CORO_STACK_DEFAULT_BYTES;
        cr_assert_geq(sim_coro_stack_bytes(co), want, "case %zu", i);
        cr_assert_eq(sim_coro_stack_bytes(co) % 4096, 0, "case %zu", i);
        sim_coro_resume(co);
        cr_assert(sim_coro_finished(co));
        sim_coro_destroy(co);
    }
}

Test(coro, create_rejects_backend_when_unknown_or_unavailable)
{
    struct sim_coro *co = NULL;
    struct sim_coro_opts opts = {.backend = SIM_CORO_BACKEND_COUNT};
    cr_assert_eq(sim_coro_create(&co, &opts, nop_fn, NULL), IOSIM_EINVAL);
    opts.backend = (enum sim_coro_backend)99;
    cr_assert_eq(sim_coro_create(&co, &opts, nop_fn, NULL), IOSIM_EINVAL);
    cr_assert_null(co);
    opts.backend = SIM_CORO_BACKEND_ASM;
    enum iosim_err e = sim_coro_create(&co, &opts, nop_fn, NULL);
    cr_assert_eq(e, sim_coro_backend_available(SIM_CORO_BACKEND_ASM) ? IOSIM_OK : IOSIM_ENOSYS);
    sim_coro_destroy(co);
}

Test(coro, default_backend_is_asm_when_available)
{
    struct sim_coro *co = NULL;
    cr_assert_eq(sim_coro_create(&co, NULL, nop_fn, NULL), IOSIM_OK);
    cr_assert_eq(sim_coro_backend_of(co), sim_coro_backend_default());
#if defined(__x86_64__) || defined(__aarch64__)
    cr_assert_eq(sim_coro_backend_default(), SIM_CORO_BACKEND_ASM);
#endif
    cr_assert_geq(sim_coro_stack_bytes(co), SIM_CORO_STACK_DEFAULT_BYTES);
    sim_coro_resume(co);
    cr_assert(sim_coro_finished(co));
    sim_coro_destroy(co);
}

#ifndef NDEBUG
/* Misuse is a programmer bug, caught by assertions in test builds. */
static void resume_finished_body(enum sim_coro_backend backend)
{
    struct sim_coro *co = make(backend, 0, nop_fn, NULL);
    sim_coro_resume(co);
    sim_coro_resume(co);
}

Test(coro_asm, resume_aborts_when_coroutine_finished, .signal = SIGABRT)
{
    skip_unless_available(SIM_CORO_BACKEND_ASM);
    resume_finished_body(SIM_CORO_BACKEND_ASM);
}

Test(coro_ucontext, resume_aborts_when_coroutine_finished, .signal = SIGABRT)
{
    resume_finished_body(SIM_CORO_BACKEND_UCONTEXT);
}
#endif
