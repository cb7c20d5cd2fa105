/*
 * dev.h - the machine as a device model sees it.
 *
 * Device models (models/...) are event-driven state machines. They never
 * see processes, the scheduler or production code; they get simulated time,
 * events, an MMIO region on the bus, DMA through the IOMMU, interrupt lines,
 * a trace to write to and the run's seeded streams.
 *
 *     sim_dev_mmio_add(m, &(struct sim_mmio_region){ .name = dev->name, ... }, &id);
 *     sim_dev_after(m, 500 * SIM_NS, on_done, dev, 0, NULL);
 *     if (sim_dev_dma_read(m, dev->name, iova, buf, len) != IOSIM_OK) set_error_bit(dev);
 *     sim_dev_irq_raise(m, dev->irq_line, dev->name);
 *
 * Strings passed in (device names) are borrowed and must live as long as
 * the machine. Single-threaded: call only from events or set-up code.
 */
#ifndef IOSIM_SIM_DEV_H
#define IOSIM_SIM_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/machine/bus.h"
#include "sim/engine/engine.h"
#include "sim/engine/time.h"

/* Interrupt lines of a machine: 0 .. SIM_IRQ_LINES - 1. */
#define SIM_IRQ_LINES 4096u

struct sim_machine;
struct sim_trace;
struct sim_rng;

sim_time_ps sim_dev_now(const struct sim_machine *m);

enum iosim_err sim_dev_after(struct sim_machine *m, sim_time_ps delay_ps, sim_event_fn fn,
                             void *ctx, uint64_t arg, struct sim_event_id *out);
bool sim_dev_cancel(struct sim_machine *m, struct sim_event_id id);

enum iosim_err sim_dev_mmio_add(struct sim_machine *m, const struct sim_mmio_region *r,
                                uint32_t *id);
struct sim_mmio_region *sim_dev_mmio_get(struct sim_machine *m, uint32_t id);
enum iosim_err sim_dev_mmio_move(struct sim_machine *m, uint32_t id, uint64_t new_base);
enum iosim_err sim_dev_mmio_remove(struct sim_machine *m, uint32_t id);

/* Device-initiated memory access through the IOMMU. Every call is traced
 * (dma table). EACCES: the IOMMU refused (nothing transferred); EFAULT: the
 * address is not RAM; EIO: an injected bus error. */
enum iosim_err sim_dev_dma_read(struct sim_machine *m, const char *device, uint64_t iova,
                                void *dst, size_t len_bytes);
enum iosim_err sim_dev_dma_write(struct sim_machine *m, const char *device, uint64_t iova,
                                 const void *src, size_t len_bytes);

/* A DMA the device's own bus interface stopped before it reached the bus
 * (PCI bus mastering off): traced with status "disabled", counted in
 * dma.errors. dir is "read" or "write". */
void sim_dev_dma_disabled(struct sim_machine *m, const char *device, const char *dir,
                          uint64_t iova, size_t len_bytes);

/* Raises an interrupt line (subject to injected irq faults). */
void sim_dev_irq_raise(struct sim_machine *m, uint32_t line, const char *device);

/* A counter a model family owns: its dotted name ("xhci.doorbells") and,
 * once its family is registered (sim_counter_register, machine.h), its
 * index among the machine's counters; SIM_COUNTER_NONE before. Scenarios
 * expect it by name like the machine's own. */
#define SIM_COUNTER_NONE UINT32_MAX
struct sim_counter_def {
    const char *name;
    uint32_t id;
};

/* Adds n to a registered counter of this machine (an unregistered one is
 * a programmer bug: asserted, and ignored without assertions). */
void sim_dev_count(struct sim_machine *m, const struct sim_counter_def *c, uint64_t n);

/* The run's trace (for model-specific tables) and seeded streams. */
struct sim_trace *sim_dev_trace(struct sim_machine *m);
struct sim_rng *sim_dev_rng_jitter(struct sim_machine *m);
struct sim_rng *sim_dev_rng_faults(struct sim_machine *m);

#endif /* IOSIM_SIM_DEV_H */
