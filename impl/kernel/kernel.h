/*
 * kernel.h - the kernel side of the I/O stack: processes' file tables,
 * schemes, io_uring instances and their dispatch.
 *
 * Everything is a file in a scheme ("null:", "io_uring:", a scheme a
 * process serves). A process reaches the kernel through the port's system
 * calls (impl/port/sys.h); the port calls the functions of the
 * struct port_kernel_ops this module fills, in the calling process's
 * context, and the kernel learns who called with port_sys_getpid().
 *
 *     struct kern *k;
 *     kern_create(&k);
 *     struct port_kernel_ops ops;
 *     kern_port_ops(k, &ops);               attach to a port (simulated machine or native)
 *     ... run kern_main(k) as the kernel's own process (it reaps processes that end) ...
 *     kern_stop(k);  kern_destroy(k);
 *
 * Schemes. A scheme is an ops table: the synchronous calls (open, close,
 * read, write, fsync, fmap, funmap, dup) and, for an asynchronous scheme,
 * poll_handle: a request that cannot finish now returns KERN_PENDING and the
 * scheme finishes it later with kern_req_finish(), so the kernel never
 * blocks while it dispatches a ring. The root scheme (":") and every scheme a
 * process serves are asynchronous.
 *
 * Concurrency: one kernel lock, taken at every entry and dropped before any
 * wait. Memory comes from the port (port_kmem); capacities are fixed at
 * creation (KERN_*_MAX); running out is an error code, never a crash.
 *
 * Ownership: kern_create returns an owned kernel; kern_destroy frees it and
 * everything it allocated. Callers' buffers are borrowed for one call.
 */
#ifndef IOSIM_KERNEL_H
#define IOSIM_KERNEL_H

#include <stdint.h>

#include "impl/port/err.h"
#include "impl/port/sys.h"

struct kern;

enum iosim_err kern_create(struct kern **out);
void kern_destroy(struct kern *k);

/* The system-call table of this kernel, for port_native_set_kernel() or a
 * simulated machine. ops->ctx is k. */
void kern_port_ops(struct kern *k, struct port_kernel_ops *ops);

/* The kernel's own process: waits for work (processes that ended) and
 * releases what they held, until kern_stop(). Returns 0. */
int32_t kern_main(void *k);

/* Asks kern_main to return (it wakes up to do so). */
void kern_stop(struct kern *k);

/* Statistics (for tests and traces). */
struct kern_stats {
    uint64_t syscalls;
    uint64_t sqes_dispatched;
    uint64_t cqes_posted;
    uint64_t requests_pending;   /* now */
    uint64_t processes_reaped;
    uint64_t broken_rings;
    uint64_t cq_overflows;       /* a CQE that found its CQ full: must stay 0 */
};
void kern_stats(struct kern *k, struct kern_stats *out);

#endif /* IOSIM_KERNEL_H */
