/*
 * sys.h - the kernel's system-call interface, as a process calls it.
 *
 * Redox-style: everything is a file in a scheme ("io_uring:", "pci:", ...).
 * Every call returns a non-negative result or a negative errno
 * (-iosim_err_errno(e)), the convention ring completions carry too.
 *
 * Who answers: in the simulator, the simulated kernel attached to the
 * machine (impl/kernel); natively, the in-process kernel library a test
 * attaches. With no kernel attached, the file calls return -ENOSYS and the
 * process calls (getpid, yield, exit) still work.
 *
 *     int64_t fd = port_sys_open("io_uring:", 0);
 *     if (fd < 0) return (enum iosim_err)...;
 */
#ifndef IOSIM_PORT_SYS_H
#define IOSIM_PORT_SYS_H

#include <stdint.h>

/* The calling process's id (> 0). */
int64_t port_sys_getpid(void);

/* Gives up the CPU; returns when scheduled again. */
void port_sys_yield(void);

/* Ends the calling process with `status`; never returns. */
_Noreturn void port_sys_exit(int32_t status);

int64_t port_sys_open(const char *path, uint64_t flags);
int64_t port_sys_close(uint64_t fd);
int64_t port_sys_read(uint64_t fd, void *buf, uint64_t len_bytes);
int64_t port_sys_write(uint64_t fd, const void *buf, uint64_t len_bytes);
int64_t port_sys_dup(uint64_t fd, const char *suffix);
int64_t port_sys_fsync(uint64_t fd);
int64_t port_sys_fmap(uint64_t fd, uint64_t offset, uint64_t len_bytes, uint64_t flags,
                      void **out_addr);
int64_t port_sys_funmap(void *addr, uint64_t len_bytes);

#endif /* IOSIM_PORT_SYS_H */
