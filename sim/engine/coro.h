/*
 * coro.h - stackful coroutines for simulated processes.
 *
 * Every simulated process (driver, workload, kernel thread) runs as a
 * coroutine on its own stack, on the one host thread of its simulation. The
 * engine resumes a coroutine; it runs until it reaches a yield point and
 * switches back. Yield points are as frequent as the atomic operations of the
 * simulated code, so a switch is a few register moves, not a system call.
 *
 *     static void worker(void *arg)
 *     {
 *         struct sim_coro *self = sim_coro_running();
 *         for (int i = 0; i < 3; i++) {
 *             ((int *)arg)[0] = i;
 *             sim_coro_yield(self);      // back to whoever resumed us
 *         }
 *     }                                  // returning finishes the coroutine
 *
 *     struct sim_coro *co;
 *     int shared = -1;
 *     enum iosim_err e = sim_coro_create(&co, NULL, worker, &shared);
 *     if (e != IOSIM_OK) return e;
 *     while (!sim_coro_finished(co))
 *         sim_coro_resume(co);           // shared is 0, 1, 2 after each
 *     sim_coro_destroy(co);
 *
 * Model. The host (engine) context resumes; only a coroutine yields or
 * exits, and only to its resumer. A coroutine never resumes another one: the
 * engine is the single scheduler. Breaking these rules is a programmer bug
 * (assert), never an error code.
 *
 * Backends. SIM_CORO_BACKEND_ASM switches with hand-written assembly
 * (x86-64 SysV, AArch64 AAPCS64): callee-saved registers, stack pointer and
 * floating-point control state (x86-64 MXCSR and x87 control word, AArch64
 * FPCR), so each coroutine keeps its own rounding mode. It is the default
 * where it exists. SIM_CORO_BACKEND_UCONTEXT uses makecontext/swapcontext:
 * portable and slow (a signal-mask system call per switch); it is the default
 * elsewhere and selectable everywhere, so both are tested on one machine.
 * A new coroutine starts with the floating-point control state its creator
 * had at sim_coro_create() time, as a new POSIX thread does.
 *
 * Stacks. Each coroutine owns an mmap'd stack with a PROT_NONE guard page
 * below it, so overflow faults instead of corrupting a neighbour. Under
 * AddressSanitizer (IOSIM_ASAN) every stack is SIM_CORO_ASAN_STACK_FACTOR
 * times the requested size, because instrumented frames are larger. Stacks
 * are registered with AddressSanitizer (fiber switch annotations) and, when
 * <valgrind/valgrind.h> exists, with Valgrind.
 *
 * Ownership and threading. sim_coro_create() returns an owned coroutine;
 * sim_coro_destroy() releases it and its stack, finished or not. Destroying
 * a suspended coroutine does not unwind it: no code after its last yield
 * runs, and what it owns on its stack is simply gone. `arg` is borrowed for
 * the coroutine's life. A coroutine belongs to the host thread that created
 * it; sim_coro_running() is per host thread.
 */
#ifndef IOSIM_SIM_CORO_H
#define IOSIM_SIM_CORO_H

#include <stdbool.h>
#include <stddef.h>

#include "impl/port/err.h"

struct sim_coro;

/* The body of a coroutine; returning from it finishes the coroutine. */
typedef void (*sim_coro_fn)(void *arg);

enum sim_coro_backend {
    SIM_CORO_BACKEND_DEFAULT = 0, /* ASM where it exists, else UCONTEXT */
    SIM_CORO_BACKEND_ASM,
    SIM_CORO_BACKEND_UCONTEXT,
    SIM_CORO_BACKEND_COUNT
};

/* Requested usable stack, before guard page and sanitizer scaling. */
#define SIM_CORO_STACK_DEFAULT_BYTES ((size_t)256 * 1024)
#define SIM_CORO_STACK_MIN_BYTES ((size_t)16 * 1024)
#define SIM_CORO_STACK_MAX_BYTES ((size_t)1024 * 1024 * 1024)
#define SIM_CORO_ASAN_STACK_FACTOR 4

struct sim_coro_opts {
    /* Usable stack in bytes: 0 means SIM_CORO_STACK_DEFAULT_BYTES, else
     * within [SIM_CORO_STACK_MIN_BYTES, SIM_CORO_STACK_MAX_BYTES]; rounded
     * up to whole pages. */
    size_t stack_bytes;
    /* Which switch implementation runs this coroutine. */
    enum sim_coro_backend backend;
};

/* True if `backend` can be used on this build and architecture. */
bool sim_coro_backend_available(enum sim_coro_backend backend);

/* The backend SIM_CORO_BACKEND_DEFAULT resolves to here. */
enum sim_coro_backend sim_coro_backend_default(void);

/* Creates a suspended coroutine that will run fn(arg) when first resumed.
 * opts may be NULL (all defaults). Errors: EINVAL for a stack size out of
 * range or an unknown backend, ENOSYS for a backend this architecture lacks,
 * ENOMEM when the stack or the descriptor cannot be allocated. On error *out
 * is untouched. May be called from the host or from a coroutine. */
enum iosim_err sim_coro_create(struct sim_coro **out, const struct sim_coro_opts *opts,
                               sim_coro_fn fn, void *arg);

/* Releases co and its stack. co must not be running; it may be new,
 * suspended (not unwound) or finished. NULL is a no-op. Best called from the
 * host: under AddressSanitizer, destroying a suspended coroutine from inside
 * another one leaks the sanitizer's fake stack of the destroyed one. */
void sim_coro_destroy(struct sim_coro *co);

/* From the host context: runs co until it yields, exits or returns. co must
 * not be finished. */
void sim_coro_resume(struct sim_coro *co);

/* From inside co: suspends it and returns to its resumer. Returns when co is
 * resumed again. */
void sim_coro_yield(struct sim_coro *co);

/* From inside co (at any call depth): finishes co now, without unwinding. */
_Noreturn void sim_coro_exit(struct sim_coro *co);

/* True once co has returned from its function or called sim_coro_exit(). */
bool sim_coro_finished(const struct sim_coro *co);

/* The coroutine executing on this host thread, or NULL on the host context. */
struct sim_coro *sim_coro_running(void);

/* Usable stack bytes actually mapped for co (after rounding and scaling). */
size_t sim_coro_stack_bytes(const struct sim_coro *co);

/* The backend co runs on (never SIM_CORO_BACKEND_DEFAULT). */
enum sim_coro_backend sim_coro_backend_of(const struct sim_coro *co);

#endif /* IOSIM_SIM_CORO_H */
