/* xoshiro256** + SplitMix64; see rng.h for the why and the sources. */
#include "sim/engine/rng.h"

#include <stddef.h>

#include "impl/port/check.h"
#include "sim/engine/check.h"

/* 64x64->128 multiplies; every 64-bit gcc/clang target has them. */
__extension__ typedef unsigned __int128 rng_u128;

uint64_t sim_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void sim_rng_seed(struct sim_rng *rng, uint64_t seed)
{
    ASSERT(rng != NULL);
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = sim_splitmix64(&sm);
    /* SplitMix64 never yields four zeros in a row, the one bad state. */
    ASSERT((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) != 0);
}

/* FNV-1a over the name, then mixed with the seed through SplitMix64 so that
 * neighbouring seeds give unrelated streams. */
void sim_rng_stream(struct sim_rng *rng, uint64_t seed, const char *name)
{
    ASSERT(rng != NULL && name != NULL);
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    uint64_t mix = seed;
    uint64_t a = sim_splitmix64(&mix);
    sim_rng_seed(rng, a ^ h);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *rng)
{
    sim_check_outside("a draw from a seeded stream");
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t sim_rng_below(struct sim_rng *rng, uint64_t bound)
{
    ASSERT(bound > 0);
    rng_u128 m = (rng_u128)sim_rng_next(rng) * bound;
    uint64_t low = (uint64_t)m;
    if (low < bound) {
        uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            m = (rng_u128)sim_rng_next(rng) * bound;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

uint64_t sim_rng_range(struct sim_rng *rng, uint64_t lo, uint64_t hi)
{
    ASSERT(lo <= hi);
    if (lo == 0 && hi == UINT64_MAX)
        return sim_rng_next(rng);
    return lo + sim_rng_below(rng, hi - lo + 1);
}

bool sim_rng_chance(struct sim_rng *rng, uint32_t per_mille)
{
    if (per_mille == 0)
        return false;
    if (per_mille >= 1000)
        return true;
    return sim_rng_below(rng, 1000) < per_mille;
}

double sim_rng_unit(struct sim_rng *rng)
{
    return (double)(sim_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* -log2(x / 2^64) in Q32.32 fixed point for x > 0, by the classic
 * square-and-compare binary logarithm (16 fraction bits are plenty here). */
static uint64_t neg_log2_q32(uint64_t x)
{
    ASSERT(x != 0);
    int msb = 63 - __builtin_clzll(x);
    /* y in [1, 2) as Q1.63 */
    uint64_t y = x << (63 - msb);
    uint64_t frac = 0;
    for (int i = 1; i <= 16; i++) {
        rng_u128 sq = (rng_u128)y * y; /* Q2.126 */
        if ((sq >> 127) != 0) { /* y^2 >= 2: halve it, emit a one bit */
            y = (uint64_t)(sq >> 64);
            frac |= 1ull << (32 - i);
        } else {
            y = (uint64_t)(sq >> 63);
        }
    }
    uint64_t log2_x = ((uint64_t)msb << 32) | frac; /* log2(x), Q32.32 */
    return (64ull << 32) - log2_x;
}

uint64_t sim_rng_exp(struct sim_rng *rng, uint64_t mean)
{
    ASSERT(mean >= 1);
    uint64_t x = sim_rng_next(rng);
    if (x == 0)
        x = 1;
    /* ln(u) = log2(u) * ln 2; ln 2 in Q0.32 = 2977044472 */
    rng_u128 ln_q32 = ((rng_u128)neg_log2_q32(x) * 2977044472u) >> 32;
    rng_u128 v = (ln_q32 * mean) >> 32;
    return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}
