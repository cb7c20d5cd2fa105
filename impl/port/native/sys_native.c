/*
 * Native system calls: the process calls map to the host (a native
 * "process" is a thread of a test program, so exit ends the thread); the
 * file calls go to the attached in-process kernel, or fail with -ENOSYS.
 */
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <unistd.h>

#include "impl/port/native/native.h"
#include "impl/port/sys.h"

static const struct port_kernel_ops *g_kernel;
static _Thread_local uint32_t g_pid;

void port_native_set_pid(uint32_t pid)
{
    g_pid = pid;
}

void port_native_set_kernel(const struct port_kernel_ops *ops)
{
    g_kernel = ops;
}

static int64_t no_kernel(void)
{
    return -(int64_t)iosim_err_errno(IOSIM_ENOSYS);
}

int64_t port_sys_getpid(void)
{
    return g_pid != 0 ? (int64_t)g_pid : (int64_t)getpid();
}

void port_sys_yield(void)
{
    sched_yield();
}

void port_preempt_disable(void)
{
}

void port_preempt_enable(void)
{
}

_Noreturn void port_sys_exit(int32_t status)
{
    if (g_kernel != NULL && g_kernel->exit != NULL)
        g_kernel->exit(g_kernel->ctx, (uint32_t)port_sys_getpid());
    pthread_exit((void *)(intptr_t)status);
}

/* A native "process" is a thread of a test program: there is no program
 * table to start from, so starting one is the test's business. */
int64_t port_sys_spawn(const char *name, const char *program, const char *args, uint64_t flags)
{
    (void)name, (void)program, (void)args, (void)flags;
    return no_kernel();
}

int64_t port_sys_open(const char *path, uint64_t flags)
{
    return g_kernel ? g_kernel->open(g_kernel->ctx, path, flags) : no_kernel();
}

int64_t port_sys_close(uint64_t fd)
{
    return g_kernel ? g_kernel->close(g_kernel->ctx, fd) : no_kernel();
}

int64_t port_sys_read(uint64_t fd, void *buf, uint64_t len_bytes)
{
    return g_kernel ? g_kernel->read(g_kernel->ctx, fd, buf, len_bytes) : no_kernel();
}

int64_t port_sys_write(uint64_t fd, const void *buf, uint64_t len_bytes)
{
    return g_kernel ? g_kernel->write(g_kernel->ctx, fd, buf, len_bytes) : no_kernel();
}

int64_t port_sys_dup(uint64_t fd, const char *suffix)
{
    return g_kernel ? g_kernel->dup(g_kernel->ctx, fd, suffix) : no_kernel();
}

int64_t port_sys_fsync(uint64_t fd)
{
    return g_kernel ? g_kernel->fsync(g_kernel->ctx, fd) : no_kernel();
}

int64_t port_sys_fmap(uint64_t fd, uint64_t offset, uint64_t len_bytes, uint64_t flags,
                      void **out_addr)
{
    return g_kernel ? g_kernel->fmap(g_kernel->ctx, fd, offset, len_bytes, flags, out_addr)
                    : no_kernel();
}

int64_t port_sys_funmap(void *addr, uint64_t len_bytes)
{
    return g_kernel ? g_kernel->funmap(g_kernel->ctx, addr, len_bytes) : no_kernel();
}

int64_t port_sys_enter(uint64_t fd, uint64_t min_events, uint64_t timeout_ns)
{
    return g_kernel ? g_kernel->enter(g_kernel->ctx, fd, min_events, timeout_ns) : no_kernel();
}
