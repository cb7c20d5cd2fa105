/*
 * io.h - the machine's I/O paths as the simulator's port uses them: MMIO
 * from a process to a device model, waiting on interrupt lines, and the
 * fault rules that perturb interrupts and DMA. The device side of the same
 * paths is sim/machine/dev.h. Internal to sim/.
 */
#ifndef IOSIM_SIM_IO_H
#define IOSIM_SIM_IO_H

#include <stdint.h>

#include "sim/machine/machine.h"

/* Inside process p: a non-posted read (the CPU stalls for the round trip),
 * all ones when nothing decodes the address. */
uint64_t sim_io_mmio_read(struct sim_machine *m, struct sim_proc *p, uint64_t addr, unsigned size);

/* Inside process p: a posted write. */
void sim_io_mmio_write(struct sim_machine *m, struct sim_proc *p, uint64_t addr, unsigned size,
                       uint64_t value);

/* Inside process p: waits for `line`; ETIMEDOUT after timeout_ps
 * (SIM_TIME_MAX: forever); EBUSY when another process waits on it. */
enum iosim_err sim_io_irq_wait(struct sim_machine *m, struct sim_proc *p, uint32_t line,
                               sim_time_ps timeout_ps);

/* Inside process p: waits for `line` or a wake of `word` (sleeping only
 * while *word == expected), whichever comes first: IOSIM_OK for the
 * interrupt (consumed), IOSIM_EAGAIN for the word, ETIMEDOUT, EBUSY. */
enum iosim_err sim_io_irq_wait_word(struct sim_machine *m, struct sim_proc *p, uint32_t line,
                                    const uint32_t *word, uint32_t expected,
                                    sim_time_ps timeout_ps);

/* Inside process p: sleeps while *word == expected (a futex wait), until
 * sim_io_wake on the word or timeout_ps (SIM_TIME_MAX: forever). */
enum iosim_err sim_io_wait(struct sim_machine *m, struct sim_proc *p, const uint32_t *word,
                           uint32_t expected, sim_time_ps timeout_ps);

/* The same on two words: sleeps while both hold their values, until a
 * wake of either. */
enum iosim_err sim_io_wait2(struct sim_machine *m, struct sim_proc *p, const uint32_t *word,
                            uint32_t expected, const uint32_t *word2, uint32_t expected2,
                            sim_time_ps timeout_ps);

/* Wakes up to n sleepers of `word`, oldest first; returns how many. */
uint32_t sim_io_wake(struct sim_machine *m, const uint32_t *word, uint32_t n);

/* Takes p off the sleepers of its word (killed, timed out). */
void sim_io_unwait(struct sim_machine *m, struct sim_proc *p);

#endif /* IOSIM_SIM_IO_H */
