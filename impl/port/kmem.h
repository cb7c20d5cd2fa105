/*
 * kmem.h - memory the kernel owns and shares with processes.
 *
 * io_uring regions (ring headers and entry arrays) and request buffers are
 * allocated by the kernel, mapped into the processes that use them, and
 * outlive any one of those processes. port_kmem_alloc() gives zeroed,
 * page-aligned memory that belongs to the kernel, not to the process whose
 * system call happened to allocate it; port_kmem_free() gives it back.
 *
 * Both ports have one address space for everything they run, so "mapping"
 * is handing out the pointer; a real kernel would map the same pages into
 * each process.
 */
#ifndef IOSIM_PORT_KMEM_H
#define IOSIM_PORT_KMEM_H

#include <stdbool.h>
#include <stddef.h>

#include "impl/port/err.h"

/* len_bytes > 0; *out receives page-aligned, zeroed memory. */
enum iosim_err port_kmem_alloc(size_t len_bytes, void **out);

/* Frees what port_kmem_alloc returned, with the same length. NULL is a no-op. */
void port_kmem_free(void *p, size_t len_bytes);

/*
 * User addresses: what goes into an SQE's addr, a CQE's extra, a request a
 * server reads. port_user_addr() turns a pointer into one; port_user_ptr()
 * turns one back, checking that all of [addr, addr + len) is memory a
 * process may hand over, and gives NULL otherwise: the kernel and servers
 * check every address a peer gave them before touching it.
 *
 * In the simulator a user address is a simulated physical address (every
 * process sees memory identity-mapped), so only simulated memory can be
 * handed over and a hostile peer cannot make anyone read the host's memory;
 * addresses also fit the 32-bit entry layouts. Natively a user address is
 * the pointer, and there is no way to check it.
 */
uint64_t port_user_addr(const void *p);
void *port_user_ptr(uint64_t addr, size_t len_bytes);

#endif /* IOSIM_PORT_KMEM_H */
