/*
 * coro.c - stackful coroutines: stacks, backends, sanitizer annotations.
 *
 * Life of a coroutine (state field):
 *     NEW --resume--> RUNNING --yield--> SUSPENDED --resume--> RUNNING ...
 *     RUNNING --return from fn / sim_coro_exit--> FINISHED
 * Exactly one of the host context and the coroutines of a host thread runs
 * at a time; coro_current names the coroutine, NULL meaning the host.
 *
 * Every switch goes through coro_switch_in (host -> co) or coro_switch_out
 * (co -> host), which wrap the backend's switch in the AddressSanitizer
 * fiber protocol: start_switch names the destination stack (and saves the
 * fake stack of the context being left, or destroys it when that context is
 * left for good); finish_switch, run first thing on the destination,
 * restores the destination's fake stack and reports the stack we came from.
 */
#include "sim/engine/coro.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__aarch64__)
#define CORO_HAVE_ASM 1
#else
#define CORO_HAVE_ASM 0
#endif

/* IOSIM_ASAN comes from the build; the compiler checks catch builds that
 * add -fsanitize=address by hand. */
#if defined(IOSIM_ASAN) || defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif
#ifndef CORO_ASAN
#define CORO_ASAN 0
#endif

#if CORO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>

#include "impl/port/check.h"
#define CORO_VALGRIND 1
#endif
#endif
#ifndef CORO_VALGRIND
#define CORO_VALGRIND 0
#endif

enum coro_state { CORO_NEW, CORO_RUNNING, CORO_SUSPENDED, CORO_FINISHED };

/* Both contexts of a ucontext coroutine; allocated only for that backend
 * because a ucontext_t is about a kilobyte. */
struct coro_uc {
    ucontext_t co;   /* the coroutine while it is not running */
    ucontext_t host; /* its resumer while it runs */
};

/*
 * Invariants: stack_lo..stack_lo+stack_bytes is the usable stack, inside
 * map_base..map_base+map_bytes, whose first page is the PROT_NONE guard.
 * sp is meaningful while state is NEW or SUSPENDED, host_sp while RUNNING
 * (ASM backend). uc is non-NULL exactly for the UCONTEXT backend.
 */
struct sim_coro {
    void *sp;                      /* ASM: saved stack pointer of the coroutine */
    void *host_sp;                 /* ASM: saved stack pointer of its resumer */
    struct coro_uc *uc;            /* UCONTEXT: the two saved contexts, owned */
    enum coro_state state;
    enum sim_coro_backend backend; /* ASM or UCONTEXT, never DEFAULT */
    sim_coro_fn fn;
    void *arg;                     /* borrowed */
    unsigned char *map_base;       /* owned mapping, guard page first */
    size_t map_bytes;
    unsigned char *stack_lo;       /* lowest usable stack byte */
    size_t stack_bytes;
#if CORO_ASAN
    void *fake_stack;              /* the coroutine's, saved while suspended */
    void *host_fake_stack;         /* the resumer's, saved while co runs */
    const void *host_stack_lo;     /* resumer's stack, reported on entry */
    size_t host_stack_bytes;
    bool killing;                  /* destroy is finishing a suspended co */
#endif
#if CORO_VALGRIND
    unsigned valgrind_stack_id;
#endif
};

/* The coroutine running on this host thread; NULL on the host context. */
static _Thread_local struct sim_coro *coro_current;

#if CORO_HAVE_ASM
/* In coro_<arch>.S. */
void sim_coro_asm_switch(void **save_sp, void *load_sp);
void sim_coro_asm_trampoline(void);
void sim_coro_asm_fpctl_save(void *dst);

/* The frame sim_coro_asm_switch pops; a new coroutine gets one that
 * "returns" into the trampoline with (coroutine, entry) in two callee-saved
 * registers. Must match the slot lists in the .S files. */
#if defined(__x86_64__)
struct coro_asm_frame {
    uint64_t fpctl; /* MXCSR, then x87 control word */
    uint64_t r15, r14, r13_entry, r12_co, rbx, rbp;
    uint64_t ret;
    uint64_t pad[2]; /* the trampoline runs with 16-byte alignment */
};
_Static_assert(sizeof(struct coro_asm_frame) == 80, "frame layout");
#else
struct coro_asm_frame {
    uint64_t x19_co, x20_entry, x21_28[8], x29, x30;
    uint64_t d8_15[8];
    uint64_t fpcr, pad;
};
_Static_assert(sizeof(struct coro_asm_frame) == 176, "frame layout");
#endif
#endif /* CORO_HAVE_ASM */

bool sim_coro_backend_available(enum sim_coro_backend backend)
{
    switch (backend) {
    case SIM_CORO_BACKEND_DEFAULT:
    case SIM_CORO_BACKEND_UCONTEXT:
        return true;
    case SIM_CORO_BACKEND_ASM:
        return CORO_HAVE_ASM;
    case SIM_CORO_BACKEND_COUNT:
        break;
    }
    return false;
}

enum sim_coro_backend sim_coro_backend_default(void)
{
    return CORO_HAVE_ASM ? SIM_CORO_BACKEND_ASM : SIM_CORO_BACKEND_UCONTEXT;
}

/* ---- switching ---- */

/* Host -> co. Returns when co yields or finishes. */
static inline void coro_switch_in(struct sim_coro *co)
{
#if CORO_ASAN
    __sanitizer_start_switch_fiber(&co->host_fake_stack, co->stack_lo, co->stack_bytes);
#endif
#if CORO_HAVE_ASM
    if (co->backend == SIM_CORO_BACKEND_ASM) {
        sim_coro_asm_switch(&co->host_sp, co->sp);
    } else
#endif
    {
        int rc = swapcontext(&co->uc->host, &co->uc->co);
        ASSERT(rc == 0);
        (void)rc;
    }
#if CORO_ASAN
    __sanitizer_finish_switch_fiber(co->host_fake_stack, NULL, NULL);
#endif
}

/* co -> host. `last` means co never runs again: its fake stack is freed
 * and the call does not return. */
static inline void coro_switch_out(struct sim_coro *co, bool last)
{
#if CORO_ASAN
    __sanitizer_start_switch_fiber(last ? NULL : &co->fake_stack, co->host_stack_lo,
                                   co->host_stack_bytes);
#else
    (void)last;
#endif
#if CORO_HAVE_ASM
    if (co->backend == SIM_CORO_BACKEND_ASM) {
        sim_coro_asm_switch(&co->sp, co->host_sp);
    } else
#endif
    {
        int rc = swapcontext(&co->uc->co, &co->uc->host);
        ASSERT(rc == 0);
        (void)rc;
    }
#if CORO_ASAN
    __sanitizer_finish_switch_fiber(co->fake_stack, &co->host_stack_lo, &co->host_stack_bytes);
#endif
}

/* Marks co finished and leaves it for good. */
static _Noreturn void coro_finish(struct sim_coro *co)
{
    ASSERT(co == coro_current);
    ASSERT(co->state == CORO_RUNNING);
    co->state = CORO_FINISHED;
    coro_switch_out(co, true);
    /* A finished coroutine is never resumed (sim_coro_resume asserts). */
    abort();
}

/* First code on a new coroutine's stack, for both backends. */
static _Noreturn void coro_main(struct sim_coro *co)
{
#if CORO_ASAN
    /* First entry: no fake stack of ours to restore yet. */
    __sanitizer_finish_switch_fiber(NULL, &co->host_stack_lo, &co->host_stack_bytes);
#endif
    ASSERT(co == coro_current);
    ASSERT(co->state == CORO_RUNNING);
    co->fn(co->arg);
    coro_finish(co);
}

/* makecontext passes only int arguments; the resumer has already set
 * coro_current, which names the coroutine to start. */
static void coro_uc_entry(void)
{
    coro_main(coro_current);
}

void sim_coro_resume(struct sim_coro *co)
{
    ASSERT(co != NULL);
    ASSERT(coro_current == NULL); /* only the host resumes */
    ASSERT(co->state == CORO_NEW || co->state == CORO_SUSPENDED);
    coro_current = co;
    co->state = CORO_RUNNING;
    coro_switch_in(co);
    ASSERT(co->state == CORO_SUSPENDED || co->state == CORO_FINISHED);
    coro_current = NULL;
}

void sim_coro_yield(struct sim_coro *co)
{
    ASSERT(co != NULL);
    ASSERT(co == coro_current);
    ASSERT(co->state == CORO_RUNNING);
    co->state = CORO_SUSPENDED;
    coro_switch_out(co, false);
    ASSERT(co->state == CORO_RUNNING);
#if CORO_ASAN
    if (co->killing)
        coro_finish(co);
#endif
}

_Noreturn void sim_coro_exit(struct sim_coro *co)
{
    ASSERT(co != NULL);
    ASSERT(co == coro_current);
    coro_finish(co);
}

bool sim_coro_finished(const struct sim_coro *co)
{
    ASSERT(co != NULL);
    return co->state == CORO_FINISHED;
}

struct sim_coro *sim_coro_running(void)
{
    return coro_current;
}

size_t sim_coro_stack_bytes(const struct sim_coro *co)
{
    ASSERT(co != NULL);
    return co->stack_bytes;
}

enum sim_coro_backend sim_coro_backend_of(const struct sim_coro *co)
{
    ASSERT(co != NULL);
    return co->backend;
}

/* ---- creation and destruction ---- */

/* Validates opts into a usable stack size (whole pages, sanitizer-scaled)
 * and a concrete backend. */
static enum iosim_err coro_check_opts(const struct sim_coro_opts *opts, size_t page_bytes,
                                      size_t *stack_bytes, enum sim_coro_backend *backend)
{
    ASSERT(page_bytes > 0 && (page_bytes & (page_bytes - 1)) == 0);
    size_t want = opts->stack_bytes ? opts->stack_bytes : SIM_CORO_STACK_DEFAULT_BYTES;
    if (want < SIM_CORO_STACK_MIN_BYTES || want > SIM_CORO_STACK_MAX_BYTES)
        return IOSIM_EINVAL;
    if ((unsigned)opts->backend >= SIM_CORO_BACKEND_COUNT)
        return IOSIM_EINVAL;
    if (!sim_coro_backend_available(opts->backend))
        return IOSIM_ENOSYS;
    want = (want + page_bytes - 1) & ~(page_bytes - 1);
#if CORO_ASAN
    if (want > (SIZE_MAX - page_bytes) / SIM_CORO_ASAN_STACK_FACTOR)
        return IOSIM_EINVAL;
    want *= SIM_CORO_ASAN_STACK_FACTOR;
#endif
    if (want > SIZE_MAX - page_bytes)
        return IOSIM_EINVAL;
    *stack_bytes = want;
    *backend = opts->backend == SIM_CORO_BACKEND_DEFAULT ? sim_coro_backend_default()
                                                         : opts->backend;
    return IOSIM_OK;
}

/* Maps guard page + stack for co. */
static enum iosim_err coro_stack_map(struct sim_coro *co, size_t stack_bytes, size_t page_bytes)
{
    ASSERT(co->map_base == NULL);
    ASSERT(stack_bytes % page_bytes == 0);
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
#ifdef MAP_STACK
    flags |= MAP_STACK;
#endif
    size_t map_bytes = stack_bytes + page_bytes;
    void *base = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (base == MAP_FAILED)
        return IOSIM_ENOMEM;
    if (mprotect(base, page_bytes, PROT_NONE) != 0) {
        munmap(base, map_bytes);
        return IOSIM_ENOMEM;
    }
    co->map_base = base;
    co->map_bytes = map_bytes;
    co->stack_lo = co->map_base + page_bytes;
    co->stack_bytes = stack_bytes;
#if CORO_VALGRIND
    co->valgrind_stack_id = VALGRIND_STACK_REGISTER(co->stack_lo, co->stack_lo + stack_bytes);
#endif
    return IOSIM_OK;
}

static void coro_stack_unmap(struct sim_coro *co)
{
    ASSERT(co->map_base != NULL);
    ASSERT(co->stack_lo == co->map_base + (co->map_bytes - co->stack_bytes));
#if CORO_VALGRIND
    VALGRIND_STACK_DEREGISTER(co->valgrind_stack_id);
#endif
#if CORO_ASAN
    /* Frames abandoned on this stack leave poisoned redzones in the shadow;
     * whatever is mapped here next must not inherit them. */
    ASAN_UNPOISON_MEMORY_REGION(co->stack_lo, co->stack_bytes);
#endif
    int rc = munmap(co->map_base, co->map_bytes);
    ASSERT(rc == 0);
    (void)rc;
    co->map_base = NULL;
}

#if CORO_HAVE_ASM
/* Builds the first frame so that the first switch lands in the trampoline. */
static void coro_asm_prepare(struct sim_coro *co)
{
    uintptr_t top = (uintptr_t)(co->stack_lo + co->stack_bytes) & ~(uintptr_t)15;
    struct coro_asm_frame *f = (void *)(top - sizeof *f);
    ASSERT((uintptr_t)f % 16 == 0);
    ASSERT((unsigned char *)f > co->stack_lo);
    memset(f, 0, sizeof *f);
    void (*entry)(struct sim_coro *) = coro_main;
#if defined(__x86_64__)
    sim_coro_asm_fpctl_save(&f->fpctl);
    f->r12_co = (uint64_t)(uintptr_t)co;
    f->r13_entry = (uint64_t)(uintptr_t)entry;
    f->ret = (uint64_t)(uintptr_t)sim_coro_asm_trampoline;
#else
    sim_coro_asm_fpctl_save(&f->fpcr);
    f->x19_co = (uint64_t)(uintptr_t)co;
    f->x20_entry = (uint64_t)(uintptr_t)entry;
    f->x30 = (uint64_t)(uintptr_t)sim_coro_asm_trampoline;
#endif
    co->sp = f;
}
#endif

static enum iosim_err coro_uc_prepare(struct sim_coro *co)
{
    ASSERT(co->uc == NULL);
    ASSERT(co->stack_lo != NULL);
    co->uc = calloc(1, sizeof *co->uc);
    if (co->uc == NULL)
        return IOSIM_ENOMEM;
    /* getcontext also captures the creator's floating-point environment,
     * which the coroutine then starts with. */
    if (getcontext(&co->uc->co) != 0) {
        free(co->uc);
        co->uc = NULL;
        return IOSIM_EIO;
    }
    co->uc->co.uc_stack.ss_sp = co->stack_lo;
    co->uc->co.uc_stack.ss_size = co->stack_bytes;
    co->uc->co.uc_link = NULL; /* coro_main never returns */
    makecontext(&co->uc->co, coro_uc_entry, 0);
    return IOSIM_OK;
}

enum iosim_err sim_coro_create(struct sim_coro **out, const struct sim_coro_opts *opts,
                               sim_coro_fn fn, void *arg)
{
    ASSERT(out != NULL);
    ASSERT(fn != NULL);
    static const struct sim_coro_opts defaults = {0};
    size_t page_bytes = (size_t)sysconf(_SC_PAGESIZE);
    size_t stack_bytes = 0;
    enum sim_coro_backend backend = SIM_CORO_BACKEND_DEFAULT;
    enum iosim_err e = coro_check_opts(opts ? opts : &defaults, page_bytes, &stack_bytes, &backend);
    if (e != IOSIM_OK)
        return e;
    struct sim_coro *co = calloc(1, sizeof *co);
    if (co == NULL)
        return IOSIM_ENOMEM;
    co->state = CORO_NEW;
    co->backend = backend;
    co->fn = fn;
    co->arg = arg;
    e = coro_stack_map(co, stack_bytes, page_bytes);
    if (e != IOSIM_OK)
        goto out_free;
    if (backend == SIM_CORO_BACKEND_UCONTEXT) {
        e = coro_uc_prepare(co);
        if (e != IOSIM_OK)
            goto out_unmap;
    } else {
#if CORO_HAVE_ASM
        coro_asm_prepare(co);
#endif
    }
    ASSERT(co->backend != SIM_CORO_BACKEND_DEFAULT);
    *out = co;
    return IOSIM_OK;

out_unmap:
    coro_stack_unmap(co);
out_free:
    free(co);
    return e;
}

void sim_coro_destroy(struct sim_coro *co)
{
    if (co == NULL)
        return;
    ASSERT(co->state != CORO_RUNNING);
    ASSERT(co != coro_current);
#if CORO_ASAN
    /* A suspended coroutine owns an ASan fake stack that only the fiber
     * protocol can free: re-enter it once; its yield sees `killing` and
     * leaves for good without running any more of its code. Only the host
     * can resume, so from inside a coroutine the fake stack is leaked. */
    if (co->state == CORO_SUSPENDED && co->fake_stack != NULL && coro_current == NULL) {
        co->killing = true;
        sim_coro_resume(co);
        ASSERT(co->state == CORO_FINISHED);
    }
#endif
    coro_stack_unmap(co);
    free(co->uc);
    free(co);
}
