/*
 * native.h - facilities only the native port has, for tests and tools that
 * run production code on a real machine without real hardware.
 *
 * - port_native_bar_wrap(): a BAR handle over ordinary memory (a register
 *   file a test plays device with, or a dump of a real device's registers).
 * - port_native_irq_raise(): raise an interrupt line from a test thread.
 * - port_native_set_kernel(): attach the in-process kernel that answers the
 *   file system calls of sys.h (none attached: -ENOSYS).
 * - port_native_set_pid(): the process id the calling thread stands for
 *   (tests run several "processes" as threads of one host process).
 */
#ifndef IOSIM_PORT_NATIVE_H
#define IOSIM_PORT_NATIVE_H

#include <stdint.h>

#include "impl/port/err.h"
#include "impl/port/mmio.h"
#include "impl/port/sys.h"

/* `mem` is borrowed and must outlive the handle; free with port_bar_unmap(). */
enum iosim_err port_native_bar_wrap(void *mem, uint64_t len_bytes, struct port_bar **out);

/* Latches an interrupt on `line` and wakes its waiter. Thread-safe. */
void port_native_irq_raise(uint32_t line);

/* `ops` is borrowed until replaced; NULL detaches. Not thread-safe against
 * concurrent system calls: attach before starting threads. */
void port_native_set_kernel(const struct port_kernel_ops *ops);

/* From now on, port_sys_getpid() in this thread returns pid (0: the host's). */
void port_native_set_pid(uint32_t pid);

#endif /* IOSIM_PORT_NATIVE_H */
