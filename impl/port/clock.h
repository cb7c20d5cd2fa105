/*
 * clock.h - monotonic time and sleeping.
 *
 * Natively CLOCK_MONOTONIC; in the simulator, simulated time: a sleep is a
 * blocking yield point. Production code never reads any other clock.
 */
#ifndef IOSIM_PORT_CLOCK_H
#define IOSIM_PORT_CLOCK_H

#include <stdint.h>

/* Nanoseconds since an arbitrary fixed origin; never goes backwards. */
uint64_t port_clock_ns(void);

/* Blocks the calling process for at least `ns` nanoseconds. */
void port_sleep_ns(uint64_t ns);

#endif /* IOSIM_PORT_CLOCK_H */
