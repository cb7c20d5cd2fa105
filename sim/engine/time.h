/*
 * time.h - simulated time.
 *
 * Simulated time is a uint64_t count of picoseconds since the start of a
 * run (2^64 ps is about 213 days). Nothing in sim/, models/ or impl/ reads a
 * host clock; the only source of "now" is the engine.
 */
#ifndef IOSIM_SIM_TIME_H
#define IOSIM_SIM_TIME_H

#include <stdint.h>

typedef uint64_t sim_time_ps;

#define SIM_PS ((sim_time_ps)1)
#define SIM_NS ((sim_time_ps)1000)
#define SIM_US ((sim_time_ps)1000000)
#define SIM_MS ((sim_time_ps)1000000000)
#define SIM_S ((sim_time_ps)1000000000000)
#define SIM_TIME_MAX UINT64_MAX

#endif /* IOSIM_SIM_TIME_H */
