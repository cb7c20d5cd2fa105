/*
 * program_exec.h - the interpreter of scenario programs (sim/scenario/program.h):
 * a program runs as a simulated process and does everything through
 * impl/port, exactly like production code, so every step is a yield point.
 *
 *     struct sim_prog_ctx ctx = {.prog = &proc->prog, .devices = s->prog_devices,
 *                                .device_count = s->prog_device_count};
 *     sim_proc_spawn(m, &(struct sim_proc_def){.fn = sim_program_main, .arg = &ctx, ...}, NULL);
 *
 * Ownership: the context is the run's and must outlive the process; the
 * program and the devices it names are borrowed.
 */
#ifndef IOSIM_SIM_RUN_PROGRAM_EXEC_H
#define IOSIM_SIM_RUN_PROGRAM_EXEC_H

#include <stdint.h>

#include "sim/scenario/program.h"

struct port_bar;
struct port_irq;

/* What a running program needs; one per process, owned by the run. */
struct sim_prog_ctx {
    struct sim_program *prog;              /* borrowed; tallies are written into it */
    const struct sim_prog_device *devices; /* borrowed */
    uint32_t device_count;
    uint64_t reg[SIM_PROG_REGS];
    /* port handles opened on first use; the process owns them, and the
     * simulator releases them when it ends, as an OS would */
    struct port_bar *bars[SIM_PROG_DEVICES_MAX];
    struct { uint32_t line; struct port_irq *handle; } irqs[SIM_PROG_IRQS_MAX];
    uint32_t irq_count;
    struct { uint64_t bus_addr; uint64_t len_bytes; void *host; } dma[SIM_PROG_DMA_MAX];
    uint32_t dma_count;
};

/* The process entry point (a sim_proc_fn): runs ctx->prog; the exit status
 * is 0 at the end, an `exit:` step's value, 1 after a failed assertion, 139
 * after an access outside memory. */
int32_t sim_program_main(void *ctx);

#endif /* IOSIM_SIM_RUN_PROGRAM_EXEC_H */
