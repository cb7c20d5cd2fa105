/* Simulated physical memory; see mem.h. */
#include "sim/machine/mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "impl/port/check.h"
#include "sim/engine/check.h"

static uint64_t page_round(uint64_t v)
{
    return (v + SIM_PAGE_SIZE - 1) & ~(uint64_t)(SIM_PAGE_SIZE - 1);
}

enum iosim_err sim_mem_init(struct sim_mem *mem, uint64_t size_bytes, uint64_t alloc_base)
{
    ASSERT(mem != NULL);
    *mem = (struct sim_mem){0};
    if (size_bytes == 0 || size_bytes > SIM_MEM_BYTES_MAX || size_bytes % SIM_PAGE_SIZE != 0 ||
        alloc_base % SIM_PAGE_SIZE != 0 || alloc_base >= size_bytes)
        return IOSIM_EINVAL;
    void *host = mmap(NULL, (size_t)size_bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (host == MAP_FAILED)
        return IOSIM_ENOMEM;
    mem->free = calloc(SIM_MEM_RANGES_MAX, sizeof *mem->free);
    if (mem->free == NULL) {
        munmap(host, (size_t)size_bytes);
        return IOSIM_ENOMEM;
    }
    mem->host = host;
    mem->size_bytes = size_bytes;
    mem->alloc_base = alloc_base;
    mem->free[0] = (struct sim_mem_range){alloc_base, size_bytes - alloc_base};
    mem->free_count = 1;
    return IOSIM_OK;
}

void sim_mem_fini(struct sim_mem *mem)
{
    ASSERT(mem != NULL);
    if (mem->host != NULL)
        munmap(mem->host, (size_t)mem->size_bytes);
    free(mem->free);
    *mem = (struct sim_mem){0};
}

void *sim_mem_host(const struct sim_mem *mem, uint64_t paddr, uint64_t len)
{
    ASSERT(mem != NULL);
    if (paddr >= mem->size_bytes || len > mem->size_bytes - paddr)
        return NULL;
    return mem->host + paddr;
}

bool sim_mem_phys(const struct sim_mem *mem, const void *host, uint64_t *paddr)
{
    sim_check_outside("simulated memory allocated");
    ASSERT(mem != NULL && paddr != NULL);
    uintptr_t p = (uintptr_t)host, base = (uintptr_t)mem->host;
    if (p < base || p - base >= mem->size_bytes)
        return false;
    *paddr = (uint64_t)(p - base);
    return true;
}

static void range_remove(struct sim_mem *mem, uint32_t i)
{
    memmove(&mem->free[i], &mem->free[i + 1], (mem->free_count - i - 1) * sizeof *mem->free);
    mem->free_count--;
}

static enum iosim_err range_insert(struct sim_mem *mem, uint32_t i, uint64_t base, uint64_t len)
{
    if (mem->free_count == SIM_MEM_RANGES_MAX)
        return IOSIM_ENOSPC;
    memmove(&mem->free[i + 1], &mem->free[i], (mem->free_count - i) * sizeof *mem->free);
    mem->free[i] = (struct sim_mem_range){base, len};
    mem->free_count++;
    return IOSIM_OK;
}

enum iosim_err sim_mem_alloc(struct sim_mem *mem, uint64_t len, uint64_t align, uint64_t *paddr)
{
    ASSERT(mem != NULL && paddr != NULL);
    if (len == 0 || align == 0 || (align & (align - 1)) != 0 || len > mem->size_bytes)
        return IOSIM_EINVAL;
    if (align < SIM_PAGE_SIZE)
        align = SIM_PAGE_SIZE;
    len = page_round(len);
    for (uint32_t i = 0; i < mem->free_count; i++) {
        struct sim_mem_range r = mem->free[i];
        uint64_t start = (r.base + align - 1) & ~(align - 1);
        if (start < r.base || start - r.base > r.len || r.len - (start - r.base) < len)
            continue;
        uint64_t head = start - r.base, tail = r.len - head - len;
        if (head != 0 && tail != 0) {
            if (range_insert(mem, i + 1, start + len, tail) != IOSIM_OK)
                return IOSIM_ENOMEM;
            mem->free[i].len = head;
        } else if (head != 0) {
            mem->free[i].len = head;
        } else if (tail != 0) {
            mem->free[i] = (struct sim_mem_range){start + len, tail};
        } else {
            range_remove(mem, i);
        }
        memset(mem->host + start, 0, (size_t)len);
        mem->allocated_bytes += len;
        *paddr = start;
        return IOSIM_OK;
    }
    return IOSIM_ENOMEM;
}

enum iosim_err sim_mem_free(struct sim_mem *mem, uint64_t paddr, uint64_t len)
{
    sim_check_outside("simulated memory freed");
    ASSERT(mem != NULL);
    len = page_round(len);
    if (len == 0 || paddr < mem->alloc_base || paddr % SIM_PAGE_SIZE != 0 ||
        paddr >= mem->size_bytes || len > mem->size_bytes - paddr)
        return IOSIM_EINVAL;
    uint32_t i = 0;
    while (i < mem->free_count && mem->free[i].base < paddr)
        i++;
    /* refuse a range that overlaps free memory: a double free */
    if (i > 0 && mem->free[i - 1].base + mem->free[i - 1].len > paddr)
        return IOSIM_EINVAL;
    if (i < mem->free_count && paddr + len > mem->free[i].base)
        return IOSIM_EINVAL;
    bool join_prev = i > 0 && mem->free[i - 1].base + mem->free[i - 1].len == paddr;
    bool join_next = i < mem->free_count && paddr + len == mem->free[i].base;
    if (join_prev && join_next) {
        mem->free[i - 1].len += len + mem->free[i].len;
        range_remove(mem, i);
    } else if (join_prev) {
        mem->free[i - 1].len += len;
    } else if (join_next) {
        mem->free[i].base = paddr;
        mem->free[i].len += len;
    } else if (range_insert(mem, i, paddr, len) != IOSIM_OK) {
        return IOSIM_ENOSPC;
    }
    ASSERT(mem->allocated_bytes >= len);
    mem->allocated_bytes -= len;
    return IOSIM_OK;
}
