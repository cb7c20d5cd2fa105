/*
 * iommu.h - the I/O MMU between devices and physical memory.
 *
 * When enabled, a device may touch only I/O virtual addresses the driver
 * side mapped (port_dma_alloc maps what it allocates); anything else is
 * refused, and the DMA layer records the refusal. When disabled, I/O
 * addresses are physical addresses (identity), limited to RAM.
 *
 * Mappings are kept sorted by I/O address in a fixed-capacity array, so
 * lookups are binary searches and iteration order is by address in the
 * simulated space (deterministic), never by host pointer.
 *
 *     sim_iommu_map(&mmu, iova, paddr, len);
 *     uint64_t pa, span;
 *     if (sim_iommu_translate(&mmu, iova, &pa, &span) == IOSIM_OK) ...
 *
 * Caller storage; single-threaded.
 */
#ifndef IOSIM_SIM_IOMMU_H
#define IOSIM_SIM_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"

#define SIM_IOMMU_MAPS_MAX 65536u

struct sim_iommu_map {
    uint64_t iova;
    uint64_t paddr;
    uint64_t len;
};

struct sim_iommu {
    bool enabled;
    struct sim_iommu_map *maps; /* sorted by iova, non-overlapping */
    uint32_t count;
};

enum iosim_err sim_iommu_init(struct sim_iommu *mmu, bool enabled);
void sim_iommu_fini(struct sim_iommu *mmu);

/* EEXIST when the range overlaps an existing mapping; ENOSPC when full. */
enum iosim_err sim_iommu_map(struct sim_iommu *mmu, uint64_t iova, uint64_t paddr, uint64_t len);

/* Removes the mapping that starts at iova with exactly len; ENOENT otherwise. */
enum iosim_err sim_iommu_unmap(struct sim_iommu *mmu, uint64_t iova, uint64_t len);

/* Physical address of iova and how many bytes from there on are mapped
 * contiguously within one mapping. EACCES when iova is not mapped.
 * With the IOMMU disabled: identity, the span reaching the top of the
 * address space (2^64 - 1 - iova; callers check RAM themselves).
 * Ranges ending beyond 2^64 - 1 are refused by map with EINVAL; with the
 * IOMMU disabled map and unmap accept anything and do nothing. */
enum iosim_err sim_iommu_translate(const struct sim_iommu *mmu, uint64_t iova, uint64_t *paddr,
                                   uint64_t *span);

#endif /* IOSIM_SIM_IOMMU_H */
