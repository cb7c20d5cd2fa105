/*
 * cover.h - what a run reached, as coverage features for `--policy cover`.
 *
 * Every trace row is an event of some kind: its table and the values of
 * its SYM columns (a `sched` dispatch, a `ring_op` sq push, an `mmio`
 * access to a device, a `scsi_cmd` READ(10) completing...), and for a ring
 * operation how full the ring was (0, 1, 2-3, 4-7, ... entries) and whether
 * it failed. Rows of the
 * devices' side (mmio, dma, iommu, irq, fault, and every table a model
 * family registers) move the model's state; the others (processes,
 * rings, the pool, the drivers' own tables) the drivers'. A feature is the
 * triple (this event's kind, the last model-side kind, the last
 * driver-side kind) hashed to 32 bits: which event happened in which
 * combination of states. A run's features are a set; a campaign's coverage
 * is the union over its runs, and a run that adds to it is worth mutating.
 *
 *     struct sim_cover cov;                 (no allocation)
 *     sim_cover_reset(&cov);
 *     opts.cover = &cov;  sim_run(...);     the run's tap feeds it
 *     cov.f[0 .. cov.n) in first-seen order; cov.truncated past the cap
 *
 * Pure bookkeeping on trace rows: no yield point, no draw, no clock - it
 * changes no run. Ownership: a plain value.
 */
#ifndef IOSIM_SIM_COVER_H
#define IOSIM_SIM_COVER_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/trace/trace.h"

#define SIM_COVER_FEATURES_MAX 1024u
#define SIM_COVER_SLOTS 4096u          /* the set's open-addressing table */

struct sim_cover {
    uint32_t n;
    bool truncated;
    uint32_t f[SIM_COVER_FEATURES_MAX]; /* first-seen order */
    uint32_t slot[SIM_COVER_SLOTS];     /* feature + 1, 0 = empty */
    uint32_t last_model, last_driver;   /* the states */
};

void sim_cover_reset(struct sim_cover *c);

/* One trace row (a run tap's arguments). */
void sim_cover_row(struct sim_cover *c, uint32_t table, const struct sim_trace_value *cols,
                   uint32_t ncols);

#endif /* IOSIM_SIM_COVER_H */
