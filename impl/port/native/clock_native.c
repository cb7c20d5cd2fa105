/* Native clock: CLOCK_MONOTONIC, the only clock production code may read. */
#include <time.h>

#include "impl/port/clock.h"

uint64_t port_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* wall clock ok: native port */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void port_sleep_ns(uint64_t ns)
{
    struct timespec ts = {
        .tv_sec = (time_t)(ns / 1000000000u),
        .tv_nsec = (long)(ns % 1000000000u),
    };
    while (nanosleep(&ts, &ts) != 0) {
        /* interrupted by a signal: sleep for what is left */
    }
}
