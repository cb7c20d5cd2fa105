/*
 * dma.h - memory a device may read and write, with the address it uses.
 *
 * port_dma_alloc() returns zeroed memory that is physically contiguous, with
 * the bus address a device must be given (behind an IOMMU: the I/O virtual
 * address the port mapped for this process's devices). The caller owns the
 * buffer and gives it back with port_dma_free(); the mapping lives exactly as
 * long as the buffer.
 *
 *     struct port_dma ring;
 *     if (port_dma_alloc(4096, 4096, &ring) != IOSIM_OK) return IOSIM_ENOMEM;
 *     port_mmio_write64(bar, REG_RING_BASE, ring.bus_addr);
 *     ...
 *     port_dma_free(&ring);
 *
 * Natively there are no physical addresses in user space: bus_addr is the
 * host virtual address, which is what a test double of a device needs.
 * Devices read and write these buffers concurrently: access them with
 * port_shm_* or port atomics (shm.h explains why).
 */
#ifndef IOSIM_PORT_DMA_H
#define IOSIM_PORT_DMA_H

#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"

struct port_dma {
    void *host;          /* CPU view; owned by the port until port_dma_free */
    uint64_t bus_addr;   /* device view */
    size_t len_bytes;
};

/* len_bytes > 0; align_bytes a power of two (0 means page size). */
enum iosim_err port_dma_alloc(size_t len_bytes, size_t align_bytes, struct port_dma *out);

/* Frees and unmaps. Idempotent on a zeroed struct. */
void port_dma_free(struct port_dma *dma);

#endif /* IOSIM_PORT_DMA_H */
