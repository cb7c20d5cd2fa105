/*
 * sched.h - internal interface between machine.c and sched.c.
 *
 * The scheduler: per-CPU events, the run queue, the three policies and the
 * process life cycle. Everything public is declared in machine.h; this
 * header only carries what machine.c needs to start it.
 */
#ifndef IOSIM_SIM_SCHED_H
#define IOSIM_SIM_SCHED_H

#include "sim/machine/machine.h"

/* Draws the pct change points; call once after the machine is set up. */
void sim_sched_init(struct sim_machine *m);

/* Trace helpers shared by sched.c and io.c (no-ops without a trace). */
void sim_sched_trace(struct sim_machine *m, int64_t cpu, const struct sim_proc *p,
                     const char *event, int64_t other, int64_t detail);

#endif /* IOSIM_SIM_SCHED_H */
