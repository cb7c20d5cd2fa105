/*
 * sys.h - the kernel's system-call interface, as a process calls it.
 *
 * Redox-style: everything is a file in a scheme ("io_uring:", "pci:", ...).
 * Every call returns a non-negative result or a negative errno
 * (-iosim_err_errno(e)), the convention ring completions carry too.
 *
 * Who answers: a kernel attached to the port through struct
 * port_kernel_ops (impl/kernel provides one): in the simulator, the kernel
 * of the machine; natively, an in-process kernel a test attaches. With no
 * kernel attached, the file calls return -ENOSYS and the process calls
 * (getpid, yield, exit) still work. The kernel runs in the caller's context
 * (as a real kernel runs on the caller's CPU) and learns who called with
 * port_sys_getpid().
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

/* The calling process keeps its CPU until the matching enable (calls
 * nest): what a kernel does while it holds a spinlock, so that nobody
 * spins on a lock whose holder was preempted - under a priority scheduler
 * that is a livelock. Nothing between the two may block. Natively a no-op
 * (the host scheduler decides). */
void port_preempt_disable(void);
void port_preempt_enable(void);

/* Ends the calling process with `status`; never returns. */
_Noreturn void port_sys_exit(int32_t status);

/* Starts `program` (a program the system knows by name: in the simulator,
 * an app of impl/apps/apps.h) as a new process called `name`, with `args`
 * in app_args_parse's "key=value key=value" form. The child runs beside the
 * caller (no fork: Redox's pcid starts its drivers the same way, with a
 * command line). Returns the child's pid, or -errno: ENOENT (no such
 * program), EINVAL (arguments the program does not take, a bad name),
 * EEXIST (a process of that name is alive), ENOSPC, ENOSYS (a port that
 * cannot start processes: native builds). With PORT_SPAWN_DAEMON the
 * system does not wait for the child to end. */
#define PORT_SPAWN_DAEMON 0x1u
int64_t port_sys_spawn(const char *name, const char *program, const char *args, uint64_t flags);

int64_t port_sys_open(const char *path, uint64_t flags);
int64_t port_sys_close(uint64_t fd);
int64_t port_sys_read(uint64_t fd, void *buf, uint64_t len_bytes);
int64_t port_sys_write(uint64_t fd, const void *buf, uint64_t len_bytes);
int64_t port_sys_dup(uint64_t fd, const char *suffix);
int64_t port_sys_fsync(uint64_t fd);
int64_t port_sys_fmap(uint64_t fd, uint64_t offset, uint64_t len_bytes, uint64_t flags,
                      void **out_addr);
int64_t port_sys_funmap(void *addr, uint64_t len_bytes);

/* io_uring enter: process the instance behind fd (submit what was pushed,
 * take what was completed) and wait until at least `min_events` are ready
 * for the caller, or timeout_ns passes (-ETIMEDOUT). Returns how many are
 * ready. */
int64_t port_sys_enter(uint64_t fd, uint64_t min_events, uint64_t timeout_ns);

/* The system calls as a kernel implements them. Every function runs in the
 * calling process's context; ctx is the kernel's. `exit` is called by the
 * port when a process ends, to release what it held. */
struct port_kernel_ops {
    void *ctx;
    int64_t (*open)(void *ctx, const char *path, uint64_t flags);
    int64_t (*close)(void *ctx, uint64_t fd);
    int64_t (*read)(void *ctx, uint64_t fd, void *buf, uint64_t len_bytes);
    int64_t (*write)(void *ctx, uint64_t fd, const void *buf, uint64_t len_bytes);
    int64_t (*dup)(void *ctx, uint64_t fd, const char *suffix);
    int64_t (*fsync)(void *ctx, uint64_t fd);
    int64_t (*fmap)(void *ctx, uint64_t fd, uint64_t offset, uint64_t len_bytes, uint64_t flags,
                    void **out_addr);
    int64_t (*funmap)(void *ctx, void *addr, uint64_t len_bytes);
    int64_t (*enter)(void *ctx, uint64_t fd, uint64_t min_events, uint64_t timeout_ns);
    void (*exit)(void *ctx, uint32_t pid);
};

#endif /* IOSIM_PORT_SYS_H */
