/* bench_ctxswitch - cost of one coroutine switch, in nanoseconds.
 *
 * A "switch" is one direction: host -> coroutine or coroutine -> host, so a
 * resume + yield round trip counts as two. Each figure is the best of
 * several repetitions (the machine is shared; the minimum is the least
 * disturbed run). Both figures go through the full sim_coro API (state
 * checks, sim_coro_running bookkeeping):
 *     ctxswitch.iosim        SIM_CORO_BACKEND_ASM (hand-written switch)
 *     ctxswitch.swapcontext  SIM_CORO_BACKEND_UCONTEXT (glibc swapcontext)
 * A raw swapcontext ping-pong, without sim_coro, is printed as a remark.
 * This is a benchmark, not simulation code: it reads the host clock.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <ucontext.h>

#include "sim/engine/coro.h"

enum { REPEATS = 7 };

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void spin_fn(void *arg)
{
    (void)arg;
    struct sim_coro *self = sim_coro_running();
    for (;;)
        sim_coro_yield(self);
}

/* Nanoseconds per switch through sim_coro on `backend`; < 0 on error. */
static double bench_coro(enum sim_coro_backend backend, uint32_t round_trips)
{
    struct sim_coro_opts opts = {.backend = backend};
    struct sim_coro *co = NULL;
    enum iosim_err e = sim_coro_create(&co, &opts, spin_fn, NULL);
    if (e != IOSIM_OK) {
        fprintf(stderr, "bench_ctxswitch: create: %s\n", iosim_err_text(e));
        return -1.0;
    }
    for (uint32_t i = 0; i < round_trips / 16; i++) /* warm caches and TLB */
        sim_coro_resume(co);
    double best = -1.0;
    for (int r = 0; r < REPEATS; r++) {
        uint64_t t0 = now_ns();
        for (uint32_t i = 0; i < round_trips; i++)
            sim_coro_resume(co);
        double ns = (double)(now_ns() - t0) / (2.0 * round_trips);
        if (best < 0 || ns < best)
            best = ns;
    }
    sim_coro_destroy(co); /* suspended, never finished: allowed */
    return best;
}

static ucontext_t raw_host, raw_co;

static void raw_fn(void)
{
    for (;;)
        swapcontext(&raw_co, &raw_host);
}

/* Nanoseconds per switch of a bare swapcontext ping-pong. */
static double bench_raw_swapcontext(uint32_t round_trips)
{
    static unsigned char stack[64 * 1024];
    if (getcontext(&raw_co) != 0)
        return -1.0;
    raw_co.uc_stack.ss_sp = stack;
    raw_co.uc_stack.ss_size = sizeof stack;
    raw_co.uc_link = NULL;
    makecontext(&raw_co, raw_fn, 0);
    double best = -1.0;
    for (int r = 0; r < REPEATS; r++) {
        uint64_t t0 = now_ns();
        for (uint32_t i = 0; i < round_trips; i++)
            swapcontext(&raw_host, &raw_co);
        double ns = (double)(now_ns() - t0) / (2.0 * round_trips);
        if (best < 0 || ns < best)
            best = ns;
    }
    return best;
}

int main(void)
{
    const uint32_t fast_trips = 2000000, slow_trips = 100000;
    if (!sim_coro_backend_available(SIM_CORO_BACKEND_ASM)) {
        fprintf(stderr, "bench_ctxswitch: no hand-written switch on this architecture\n");
        return 1;
    }
    double asm_ns = bench_coro(SIM_CORO_BACKEND_ASM, fast_trips);
    double uc_ns = bench_coro(SIM_CORO_BACKEND_UCONTEXT, slow_trips);
    double raw_ns = bench_raw_swapcontext(slow_trips);
    if (asm_ns <= 0 || uc_ns <= 0 || raw_ns <= 0) {
        fprintf(stderr, "bench_ctxswitch: measurement failed\n");
        return 1;
    }
    printf("# one switch = one direction; best of %d runs; %u / %u round trips\n", REPEATS,
           fast_trips, slow_trips);
    printf("# swapcontext figure = sim_coro UCONTEXT backend; raw swapcontext ping-pong %.1f ns\n",
           raw_ns);
    printf("bench: ctxswitch.iosim %.2f ns\n", asm_ns);
    printf("bench: ctxswitch.swapcontext %.2f ns\n", uc_ns);
    printf("bench: ctxswitch.speedup %.1f x\n", uc_ns / asm_ns);
    return 0;
}
