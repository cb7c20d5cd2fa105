/* Native kernel memory: anonymous mmap. */
#include <stdint.h>
#include <sys/mman.h>

#include "impl/port/kmem.h"

enum iosim_err port_kmem_alloc(size_t len_bytes, void **out)
{
    if (len_bytes == 0 || out == NULL)
        return IOSIM_EINVAL;
    void *p = mmap(NULL, len_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return IOSIM_ENOMEM;
    *out = p;
    return IOSIM_OK;
}

void port_kmem_free(void *p, size_t len_bytes)
{
    if (p != NULL)
        munmap(p, len_bytes);
}

uint64_t port_user_addr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

void *port_user_ptr(uint64_t addr, size_t len_bytes)
{
    (void)len_bytes;
    return (void *)(uintptr_t)addr;
}
