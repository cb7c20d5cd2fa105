/*
 * splitmix.h - a tiny seeded generator for the tests under tests/impl,
 * which link the native port only (not the simulator's sim/engine/rng).
 * splitmix64: every seed, including 0, gives a full-period stream.
 */
#ifndef IOSIM_TESTS_SPLITMIX_H
#define IOSIM_TESTS_SPLITMIX_H

#include <stdint.h>

static inline uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform enough for tests in [0, n), n > 0. */
static inline uint32_t below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(next_rand(s) % n);
}

#endif /* IOSIM_TESTS_SPLITMIX_H */
