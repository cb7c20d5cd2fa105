/* Native waiting: Linux futex(2) on the word. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "impl/port/wait.h"

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
