/*
 * port.h - the only door from production code (impl/) to the world.
 *
 * Includes every port interface. Two implementations exist, chosen at
 * compile time: PORT_NATIVE (impl/port/native: C11-model atomics, threads,
 * mmap, CLOCK_MONOTONIC) and PORT_SIM (sim/port_*.c: every call is a yield
 * point of a simulated process, with a cost in simulated time). The same
 * impl/ sources compile against both.
 */
#ifndef IOSIM_PORT_H
#define IOSIM_PORT_H

#include "impl/port/err.h"
#include "impl/port/check.h"
#include "impl/port/atomic.h"
#include "impl/port/shm.h"
#include "impl/port/clock.h"
#include "impl/port/dma.h"
#include "impl/port/mmio.h"
#include "impl/port/irq.h"
#include "impl/port/sys.h"
#include "impl/port/wait.h"
#include "impl/port/kmem.h"
#include "impl/port/trace.h"

#endif /* IOSIM_PORT_H */
