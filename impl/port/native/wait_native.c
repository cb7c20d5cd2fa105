/* Native waiting: Linux futex(2) on the word. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "impl/port/wait.h"

#include <stdint.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449 /* the same number on x86_64 and aarch64 */
#endif

enum iosim_err port_wait_u32(port_atomic_u32 *word, uint32_t expected, uint64_t timeout_ns)
{
    struct timespec ts, *tsp = NULL;
    if (timeout_ns != PORT_WAIT_FOREVER) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000u);
        ts.tv_nsec = (long)(timeout_ns % 1000000000u);
        tsp = &ts;
    }
    long rc = syscall(SYS_futex, &word->raw, FUTEX_WAIT, expected, tsp, NULL, 0);
    if (rc == -1 && errno == ETIMEDOUT)
        return IOSIM_ETIMEDOUT;
    return IOSIM_OK; /* woken, value changed (EAGAIN) or interrupted: re-check */
}

uint32_t port_wake(port_atomic_u32 *word, uint32_t n)
{
    int count = n > INT_MAX ? INT_MAX : (int)n;
    long rc = syscall(SYS_futex, &word->raw, FUTEX_WAKE, count, NULL, NULL, 0);
    return rc > 0 ? (uint32_t)rc : 0;
}

/* struct futex_waitv of linux/futex.h (5.16), spelled here so older
 * headers build. */
struct wait_pair_entry {
    uint64_t val, uaddr;
    uint32_t flags, reserved;
};
#define WAIT_PAIR_FUTEX_32 2u

static enum iosim_err wait_sliced(port_atomic_u32 *word, uint32_t expected, port_atomic_u32 *word2,
                                  uint32_t expected2, uint64_t timeout_ns)
{
    for (uint64_t waited = 0;;) {
        if (port_load_u32(word2, PORT_ACQUIRE) != expected2)
            return IOSIM_OK;
        uint64_t left = timeout_ns == PORT_WAIT_FOREVER ? PORT_WAIT_PAIR_SLICE_NS
                                                        : timeout_ns - waited;
        uint64_t slice = left < PORT_WAIT_PAIR_SLICE_NS ? left : PORT_WAIT_PAIR_SLICE_NS;
        if (slice == 0)
            return IOSIM_ETIMEDOUT;
        if (port_wait_u32(word, expected, slice) == IOSIM_OK)
            return IOSIM_OK;
        waited += slice;
    }
}

enum iosim_err port_wait_u32_pair(port_atomic_u32 *word, uint32_t expected,
                                  port_atomic_u32 *word2, uint32_t expected2,
                                  uint64_t timeout_ns)
{
    struct wait_pair_entry w[2] = {
        {.val = expected, .uaddr = (uint64_t)(uintptr_t)&word->raw, .flags = WAIT_PAIR_FUTEX_32},
        {.val = expected2, .uaddr = (uint64_t)(uintptr_t)&word2->raw, .flags = WAIT_PAIR_FUTEX_32},
    };
    struct timespec ts, *tsp = NULL;
    if (timeout_ns != PORT_WAIT_FOREVER) { /* futex_waitv takes an absolute time */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + timeout_ns % 1000000000u;
        ts.tv_sec += (time_t)(timeout_ns / 1000000000u + ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        tsp = &ts;
    }
    long rc = syscall(SYS_futex_waitv, w, 2u, 0u, tsp, CLOCK_MONOTONIC);
    if (rc == -1 && errno == ENOSYS)
        return wait_sliced(word, expected, word2, expected2, timeout_ns);
    if (rc == -1 && errno == ETIMEDOUT)
        return IOSIM_ETIMEDOUT;
    return IOSIM_OK; /* woken, a value differed (EAGAIN) or interrupted: re-check */
}
