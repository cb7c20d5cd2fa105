/*
 * Native DMA memory: anonymous mmap. User space has no physical addresses,
 * so the bus address is the virtual one (see dma.h). Alignment beyond a page
 * is obtained by over-mapping and trimming both ends.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "impl/port/check.h"
#include "impl/port/dma.h"

static size_t native_page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096u;
}

static size_t round_up(size_t v, size_t align)
{
    return (v + align - 1) & ~(align - 1);
}

enum iosim_err port_dma_alloc(size_t len_bytes, size_t align_bytes, struct port_dma *out)
{
    ASSERT(out != NULL);
    size_t page = native_page_size();
    if (align_bytes == 0)
        align_bytes = page;
    if (len_bytes == 0 || (align_bytes & (align_bytes - 1)) != 0)
        return IOSIM_EINVAL;
    if (align_bytes < page)
        align_bytes = page;
    if (len_bytes > SIZE_MAX / 2 || align_bytes > SIZE_MAX / 4)
        return IOSIM_EOVERFLOW;

    size_t len = round_up(len_bytes, page);
    size_t span = len + align_bytes - page;
    uint8_t *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return IOSIM_ENOMEM;
    uintptr_t start = round_up((uintptr_t)raw, align_bytes);
    size_t head = start - (uintptr_t)raw;
    size_t tail = span - head - len;
    if (head != 0)
        munmap(raw, head);
    if (tail != 0)
        munmap((uint8_t *)start + len, tail);

    out->host = (void *)start;
    out->bus_addr = (uint64_t)start;
    out->len_bytes = len;
    ASSERT((out->bus_addr & (align_bytes - 1)) == 0);
    return IOSIM_OK;
}

void port_dma_free(struct port_dma *dma)
{
    ASSERT(dma != NULL);
    if (dma->host != NULL)
        munmap(dma->host, dma->len_bytes);
    memset(dma, 0, sizeof *dma);
}
