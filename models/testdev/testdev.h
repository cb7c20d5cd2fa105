/*
 * testdev.h - the iosim test device model (registers in testdev_regs.h).
 *
 *     struct testdev_config cfg = { .name = "dma0", .mmio_base = 0xfe000000,
 *                                   .irq_line = 5, ... };
 *     struct testdev *d;
 *     testdev_create(machine, &cfg, &d);   registers its MMIO window
 *     ... run ...
 *     testdev_destroy(d);                  after the machine stopped running
 *
 * The device is owned by its creator; it borrows the machine, which must
 * outlive it. cfg->name is copied.
 */
#ifndef IOSIM_MODELS_TESTDEV_H
#define IOSIM_MODELS_TESTDEV_H

#include <stdint.h>

#include "sim/machine/dev.h"

struct sim_machine;
struct testdev;

struct testdev_config {
    const char *name;
    uint64_t mmio_base;
    uint32_t irq_line;
    sim_time_ps read_req_ps;     /* MMIO read request, CPU -> device */
    sim_time_ps read_resp_ps;    /* MMIO read completion, device -> CPU */
    sim_time_ps write_ps;        /* posted MMIO write, CPU -> device */
    sim_time_ps setup_ps;        /* START to first DMA burst */
    uint64_t bytes_per_s;        /* DMA bandwidth */
};

/* Fills the documented defaults (docs/scenario-format.md). */
void testdev_config_default(struct testdev_config *cfg);

/* The family that loads `type: testdev` (testdev_family.c). */
struct sim_family;
extern const struct sim_family testdev_family;

enum iosim_err testdev_create(struct sim_machine *m, const struct testdev_config *cfg,
                              struct testdev **out);
void testdev_destroy(struct testdev *dev);

#endif /* IOSIM_MODELS_TESTDEV_H */
