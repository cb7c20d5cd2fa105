/*
 * check.h - the simulator's side of impl/port/check.h: refusing to touch the
 * simulated machine from inside an assertion.
 *
 * ASSERT(cond) brackets cond with port_check_begin/end (check.c keeps the
 * depth, per host thread). Each place that changes what a simulation does -
 * a yield point or cost, an event scheduled or cancelled, a draw from a
 * seeded stream, a trace row, an MMIO or DMA access, an interrupt, a memory
 * or IOMMU mapping, a store - calls sim_check_outside(what) first. Inside a
 * bracket that is a bug that would make the trace hash depend on the build
 * type (NDEBUG removes the assertion), so it aborts with the assertion's
 * file and line and `what`. port_peek_* call sim_check_inside(): a free,
 * yield-less read is for assertions only.
 *
 *     void sim_rng_draw_something(...) { sim_check_outside("a random draw"); ... }
 *
 * Under NDEBUG there are no brackets, and both checks compile to nothing.
 * Neither check touches the simulated machine itself.
 */
#ifndef IOSIM_SIM_CHECK_H
#define IOSIM_SIM_CHECK_H

#include <stdint.h>

#include "impl/port/check.h"

/* How many assertion conditions are being evaluated on this host thread. */
extern _Thread_local uint32_t sim_check_depth;

/* Abort: `what` was done inside an assertion (or, for inside=true, outside). */
_Noreturn void sim_check_violation(const char *what, int inside);

#ifdef NDEBUG
#define sim_check_outside(what) ((void)sizeof(what))
#define sim_check_inside(what) ((void)sizeof(what))
#else
static inline void sim_check_outside(const char *what)
{
    if (__builtin_expect(sim_check_depth != 0, 0))
        sim_check_violation(what, 0);
}
static inline void sim_check_inside(const char *what)
{
    if (__builtin_expect(sim_check_depth == 0, 0))
        sim_check_violation(what, 1);
}
#endif

#endif /* IOSIM_SIM_CHECK_H */
