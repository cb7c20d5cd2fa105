/*
 * native.h - facilities only the native port has, for tests and tools that
 * run production code on a real machine without real hardware.
 *
 * - port_native_bar_wrap(): a BAR handle over ordinary memory (a register
 *   file a test plays device with, or a dump of a real device's registers).
 * - port_native_irq_raise(): raise an interrupt line from a test thread.
 * - port_native_set_kernel(): attach the in-process kernel that answers the
 *   file system calls of sys.h (none attached: -ENOSYS).
 */
#ifndef IOSIM_PORT_NATIVE_H
#define IOSIM_PORT_NATIVE_H

#include <stdint.h>

#include "impl/port/err.h"
#include "impl/port/mmio.h"

/* `mem` is borrowed and must outlive the handle; free with port_bar_unmap(). */
enum iosim_err port_native_bar_wrap(void *mem, uint64_t len_bytes, struct port_bar **out);

/* Latches an interrupt on `line` and wakes its waiter. Thread-safe. */
void port_native_irq_raise(uint32_t line);

/* The file system calls of sys.h, as a kernel library provides them. */
struct port_kernel_ops {
    void *ctx;
    int64_t (*open)(void *ctx, const char *path, uint64_t flags);
    int64_t (*close)(void *ctx, uint64_t fd);
    int64_t (*read)(void *ctx, uint64_t fd, void *buf, uint64_t len_bytes);
    int64_t (*write)(void *ctx, uint64_t fd, const void *buf, uint64_t len_bytes);
    int64_t (*dup)(void *ctx, uint64_t fd, const char *suffix);
    int64_t (*fsync)(void *ctx, uint64_t fd);
    int64_t (*fmap)(void *ctx, uint64_t fd, uint64_t offset, uint64_t len_bytes,
                    uint64_t flags, void **out_addr);
    int64_t (*funmap)(void *ctx, void *addr, uint64_t len_bytes);
};

/* `ops` is borrowed until replaced; NULL detaches. Not thread-safe against
 * concurrent system calls: attach before starting threads. */
void port_native_set_kernel(const struct port_kernel_ops *ops);

#endif /* IOSIM_PORT_NATIVE_H */
