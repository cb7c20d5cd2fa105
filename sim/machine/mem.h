/*
 * mem.h - simulated physical memory.
 *
 * RAM is the range [0, size) of physical addresses, backed by one host
 * reservation (MAP_NORESERVE): the host hands out a page only when it is
 * first touched, so a 64 GiB machine costs what its scenario uses. A
 * physical range maps to one contiguous host range, so production code can
 * use DMA memory as ordinary memory.
 *
 * Above `alloc_base`, pages are handed out by a first-fit page allocator
 * (port_dma_alloc, kernel memory); below it, scenarios may place data at
 * fixed addresses.
 *
 *     struct sim_mem mem;
 *     sim_mem_init(&mem, 64 << 20, 1 << 20);
 *     uint64_t pa;
 *     sim_mem_alloc(&mem, 8192, 4096, &pa);
 *     uint8_t *p = sim_mem_host(&mem, pa, 8192);
 *
 * Ownership: the struct is caller storage; sim_mem_fini releases the host
 * reservation. Single-threaded.
 */
#ifndef IOSIM_SIM_MEM_H
#define IOSIM_SIM_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"

#define SIM_PAGE_SIZE 4096u
#define SIM_MEM_RANGES_MAX 4096u
#define SIM_MEM_BYTES_MAX (UINT64_C(1) << 40)

struct sim_mem_range {
    uint64_t base;
    uint64_t len;
};

struct sim_mem {
    uint8_t *host;
    uint64_t size_bytes;
    uint64_t alloc_base;
    /* free ranges of the allocator, sorted by base, never adjacent */
    struct sim_mem_range *free;
    uint32_t free_count;
    uint64_t allocated_bytes;
};

/* size and alloc_base are multiples of SIM_PAGE_SIZE, alloc_base < size. */
enum iosim_err sim_mem_init(struct sim_mem *mem, uint64_t size_bytes, uint64_t alloc_base);
void sim_mem_fini(struct sim_mem *mem);

/* Host pointer for [paddr, paddr + len), or NULL if any of it is not RAM. */
void *sim_mem_host(const struct sim_mem *mem, uint64_t paddr, uint64_t len);

/* Physical address of a host pointer into RAM; false if it is not RAM. */
bool sim_mem_phys(const struct sim_mem *mem, const void *host, uint64_t *paddr);

/* Allocates zeroed, page-granular memory; align is a power of two. */
enum iosim_err sim_mem_alloc(struct sim_mem *mem, uint64_t len, uint64_t align, uint64_t *paddr);

/* Frees exactly what one sim_mem_alloc returned (len as requested). */
enum iosim_err sim_mem_free(struct sim_mem *mem, uint64_t paddr, uint64_t len);

#endif /* IOSIM_SIM_MEM_H */
