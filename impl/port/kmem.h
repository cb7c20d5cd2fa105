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

/* Whether [p, p + len) is memory a process may hand the kernel by address
 * (an SQE's buffer): the kernel checks before it touches it. The simulator
 * accepts simulated physical memory only, so a hostile ring peer cannot make
 * the kernel read the host's memory; natively there is no way to tell and
 * everything is accepted. */
bool port_user_ok(const void *p, size_t len_bytes);

#endif /* IOSIM_PORT_KMEM_H */
