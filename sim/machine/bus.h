/*
 * bus.h - the MMIO bus: physical address windows that devices decode.
 *
 * A device model registers a region (base, length, read/write callbacks,
 * latencies). CPU accesses are routed by address; an address no region
 * decodes reads all ones and drops writes (a master abort), and the caller
 * records it. Regions never overlap; a region can be switched off (PCI
 * memory-space enable) and moved (BAR reprogramming).
 *
 * Regions are kept sorted by base address, so lookup is a binary search
 * and iteration is in simulated address order.
 *
 *     static const struct sim_mmio_ops ops = { my_read, my_write };
 *     sim_bus_add(&bus, &(struct sim_mmio_region){ .name = "dma0", .base = B,
 *                 .len = 4096, .ops = &ops, .ctx = dev, .enabled = true }, &id);
 *
 * The bus copies the region description; `name`, `ops` and `ctx` are
 * borrowed and must outlive the bus. Region pointers returned by find, get
 * and by_name point into the bus's sorted array: they are valid until the
 * next add or move; keep the id, not the pointer. Single-threaded.
 */
#ifndef IOSIM_SIM_BUS_H
#define IOSIM_SIM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/engine/time.h"

#define SIM_BUS_REGIONS_MAX 1024u

struct sim_mmio_ops {
    /* size is 1, 2, 4 or 8 and off is size-aligned and inside the region */
    uint64_t (*read)(void *ctx, uint64_t off, unsigned size);
    void (*write)(void *ctx, uint64_t off, unsigned size, uint64_t value);
};

struct sim_mmio_region {
    const char *name;
    uint64_t base;
    uint64_t len;
    const struct sim_mmio_ops *ops;
    void *ctx;
    sim_time_ps read_req_ps;   /* CPU -> device for a read request */
    sim_time_ps read_resp_ps;  /* device -> CPU for its completion */
    sim_time_ps write_ps;      /* CPU -> device for a posted write */
    bool enabled;
    uint32_t id;               /* stable handle, assigned by sim_bus_add */
};

struct sim_bus {
    struct sim_mmio_region *regions; /* sorted by base */
    uint32_t count;
    uint32_t next_id;
};

enum iosim_err sim_bus_init(struct sim_bus *bus);
void sim_bus_fini(struct sim_bus *bus);

/* EEXIST if it overlaps a region; EINVAL for an empty range, one that ends
 * beyond 2^64 - 1, or a region without a name. */
enum iosim_err sim_bus_add(struct sim_bus *bus, const struct sim_mmio_region *r, uint32_t *id);

/* The enabled region decoding [addr, addr+size), or NULL. */
struct sim_mmio_region *sim_bus_find(struct sim_bus *bus, uint64_t addr, uint64_t size);

struct sim_mmio_region *sim_bus_get(struct sim_bus *bus, uint32_t id);

/* Moves a region (EEXIST when the new place overlaps another). */
enum iosim_err sim_bus_move(struct sim_bus *bus, uint32_t id, uint64_t new_base);

/* Takes a region off the bus (ENOENT for an unknown id); its id is not reused. */
enum iosim_err sim_bus_remove(struct sim_bus *bus, uint32_t id);

/* Region by name (first match in address order), or NULL. */
struct sim_mmio_region *sim_bus_by_name(struct sim_bus *bus, const char *name);

#endif /* IOSIM_SIM_BUS_H */
