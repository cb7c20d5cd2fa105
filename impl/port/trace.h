/*
 * trace.h - what production code reports about itself.
 *
 * A few events only production code knows about are worth a trace row:
 * ring publications, a peer breaking a ring's protocol, a shutdown, what a
 * buffer pool hands out and leaks. In the simulator they land in the run's
 * trace (tables ring_op, bufpool_op); natively they cost
 * nothing (the functions are empty inlines). Nothing here may influence
 * behaviour.
 */
#ifndef IOSIM_PORT_TRACE_H
#define IOSIM_PORT_TRACE_H

#include <stdint.h>

#if defined(PORT_NATIVE)
static inline void port_trace_bufpool(const char *pool, const char *op, uint32_t chunk,
                                      uint64_t offset, uint64_t len_bytes, uint64_t addr,
                                      uint32_t guards, int32_t status)
{
    (void)pool, (void)op, (void)chunk, (void)offset, (void)len_bytes, (void)addr, (void)guards,
        (void)status;
}
static inline void port_trace_ring(const void *ring_header, const char *side, const char *op,
                                   uint32_t head, uint32_t tail, uint32_t count, int32_t status)
{
    (void)ring_header, (void)side, (void)op, (void)head, (void)tail, (void)count, (void)status;
}
#elif defined(PORT_SIM)
/* side: "sq" or "cq"; op: "push", "pop", "shutdown", "broken", ...;
 * status: 0 or a negative errno. The ring is named by where its header is. */
void port_trace_ring(const void *ring_header, const char *side, const char *op, uint32_t head,
                     uint32_t tail, uint32_t count, int32_t status);
/* A buffer-pool event (table bufpool_op): pool is the pool's name, op
 * "chunk_add", "alloc", "free", "defer", "guard", "unguard", "forfeit",
 * "leak", "reclaim", "chunk_remove", "bad_handle", "destroy"; offset and
 * len_bytes locate the slice in its chunk, addr is the chunk's extra value
 * plus the offset (the device's view); status 0 or a negative errno. */
void port_trace_bufpool(const char *pool, const char *op, uint32_t chunk, uint64_t offset,
                        uint64_t len_bytes, uint64_t addr, uint32_t guards, int32_t status);
#else
#error "define PORT_NATIVE or PORT_SIM"
#endif

#endif /* IOSIM_PORT_TRACE_H */
