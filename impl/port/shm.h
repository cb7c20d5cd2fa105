/*
 * shm.h - plain (non-atomic) access to memory another party reads or writes
 * concurrently: ring entries, buffers shared with a peer process, DMA buffers.
 *
 * Natively these are memcpy. In the simulator a shared write enters the
 * writing CPU's store buffer like a relaxed store, so an entry published
 * before its index is ordered (a missing release) can be seen late by the
 * consumer. Memory touched with plain C accesses instead is treated as
 * immediately visible to everyone, so the simulator cannot find ordering
 * bugs there: use these for anything a peer reads while you write it.
 *
 *     port_shm_write(&shared_entries[i], &sqe, sizeof sqe);
 *     port_store_u32(&hdr->tail, tail + 1, PORT_RELEASE);
 */
#ifndef IOSIM_PORT_SHM_H
#define IOSIM_PORT_SHM_H

#include <stddef.h>

#if defined(PORT_NATIVE)
#include <string.h>
static inline void port_shm_read(void *dst, const void *shared_src, size_t len_bytes)
{
    memcpy(dst, shared_src, len_bytes);
}
static inline void port_shm_write(void *shared_dst, const void *src, size_t len_bytes)
{
    memcpy(shared_dst, src, len_bytes);
}
#elif defined(PORT_SIM)
void port_shm_read(void *dst, const void *shared_src, size_t len_bytes);
void port_shm_write(void *shared_dst, const void *src, size_t len_bytes);
#else
#error "define PORT_NATIVE or PORT_SIM"
#endif

#endif /* IOSIM_PORT_SHM_H */
