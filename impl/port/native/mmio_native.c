/*
 * Native MMIO: a BAR is either a window of /dev/mem (real hardware, root)
 * or ordinary memory wrapped by a test (port_native_bar_wrap). Accesses are
 * volatile and bounds-checked: out of range or misaligned reads all ones and
 * drops writes, as mmio.h promises.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "impl/port/atomic.h"
#include "impl/port/check.h"
#include "impl/port/mmio.h"
#include "impl/port/native/native.h"

struct port_bar {
    volatile uint8_t *base;
    uint64_t len_bytes;
    void *map;          /* non-NULL when we own an mmap of /dev/mem */
    size_t map_len;
};

enum iosim_err port_native_bar_wrap(void *mem, uint64_t len_bytes, struct port_bar **out)
{
    ASSERT(out != NULL);
    if (mem == NULL || len_bytes == 0)
        return IOSIM_EINVAL;
    struct port_bar *bar = calloc(1, sizeof *bar);
    if (bar == NULL)
        return IOSIM_ENOMEM;
    bar->base = mem;
    bar->len_bytes = len_bytes;
    *out = bar;
    return IOSIM_OK;
}

enum iosim_err port_bar_map(uint64_t phys_addr, uint64_t len_bytes, struct port_bar **out)
{
    ASSERT(out != NULL);
    long page = sysconf(_SC_PAGESIZE);
    uint64_t mask = (uint64_t)(page > 0 ? page : 4096) - 1;
    if (len_bytes == 0 || phys_addr + len_bytes < phys_addr)
        return IOSIM_EINVAL;
    uint64_t start = phys_addr & ~mask;
    uint64_t span = ((phys_addr + len_bytes + mask) & ~mask) - start;
    int fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
    if (fd < 0)
        return IOSIM_EACCES;
    void *map = mmap(NULL, (size_t)span, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)start);
    close(fd);
    if (map == MAP_FAILED)
        return IOSIM_EACCES;
    struct port_bar *bar = calloc(1, sizeof *bar);
    if (bar == NULL) {
        munmap(map, (size_t)span);
        return IOSIM_ENOMEM;
    }
    bar->base = (volatile uint8_t *)map + (phys_addr - start);
    bar->len_bytes = len_bytes;
    bar->map = map;
    bar->map_len = (size_t)span;
    *out = bar;
    return IOSIM_OK;
}

void port_bar_unmap(struct port_bar *bar)
{
    if (bar == NULL)
        return;
    if (bar->map != NULL)
        munmap(bar->map, bar->map_len);
    free(bar);
}

uint64_t port_bar_len(const struct port_bar *bar)
{
    ASSERT(bar != NULL);
    return bar->len_bytes;
}

static bool bar_ok(const struct port_bar *bar, uint64_t off, uint64_t size)
{
    ASSERT(bar != NULL);
    return off < bar->len_bytes && size <= bar->len_bytes - off && (off & (size - 1)) == 0;
}

/* MMIO writes are ordered after the CPU's earlier stores (mmio.h). */
#define NATIVE_MMIO(T, BITS)                                                      \
    uint##BITS##_t port_mmio_read##BITS(struct port_bar *bar, uint64_t off)      \
    {                                                                             \
        if (!bar_ok(bar, off, sizeof(T)))                                         \
            return (T)~(T)0;                                                      \
        return *(volatile T *)(volatile void *)(bar->base + off);                                  \
    }                                                                             \
    void port_mmio_write##BITS(struct port_bar *bar, uint64_t off, T v)           \
    {                                                                             \
        if (!bar_ok(bar, off, sizeof(T)))                                         \
            return;                                                               \
        port_fence(PORT_RELEASE);                                                 \
        *(volatile T *)(volatile void *)(bar->base + off) = v;                                     \
    }

NATIVE_MMIO(uint8_t, 8)
NATIVE_MMIO(uint16_t, 16)
NATIVE_MMIO(uint32_t, 32)
NATIVE_MMIO(uint64_t, 64)
