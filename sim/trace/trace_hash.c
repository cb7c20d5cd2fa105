/*
 * trace_hash.c - XXH64, written from the xxHash specification.
 *
 * Structure of XXH64 (see the spec for the rationale of each constant):
 * input is cut into 32-byte stripes, each stripe feeds four 8-byte lanes
 * into four accumulators with round(); the tail (< 32 bytes) is mixed into
 * the converged accumulator 8, 4 and 1 bytes at a time; an avalanche
 * finalises. Inputs shorter than one stripe skip the accumulators.
 */
#include "sim/trace/trace_hash.h"

#include <string.h>

#include "impl/port/check.h"

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64u - r));
}

/* Explicit little-endian reads, so big-endian hosts agree. */
static inline uint64_t read_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8u * i);
    return v;
}

static inline uint64_t xxh_round(uint64_t acc, uint64_t lane)
{
    acc += lane * P2;
    acc = rotl64(acc, 31);
    return acc * P1;
}

static inline uint64_t xxh_merge(uint64_t acc, uint64_t lane_acc)
{
    acc ^= xxh_round(0, lane_acc);
    return acc * P1 + P4;
}

static inline void xxh_stripe(uint64_t lane[4], uint64_t w0, uint64_t w1, uint64_t w2,
                              uint64_t w3)
{
    lane[0] = xxh_round(lane[0], w0);
    lane[1] = xxh_round(lane[1], w1);
    lane[2] = xxh_round(lane[2], w2);
    lane[3] = xxh_round(lane[3], w3);
}

void sim_trace_hasher_init(struct sim_trace_hasher *h, uint64_t seed)
{
    ASSERT(h != NULL);
    memset(h, 0, sizeof *h);
    h->seed = seed;
    h->lane[0] = seed + P1 + P2;
    h->lane[1] = seed + P2;
    h->lane[2] = seed;
    h->lane[3] = seed - P1;
}

void sim_trace_hasher_stripe_(struct sim_trace_hasher *h)
{
    ASSERT(h != NULL);
    ASSERT(h->stash_len == 32);
    xxh_stripe(h->lane, h->stash[0], h->stash[1], h->stash[2], h->stash[3]);
    memset(h->stash, 0, sizeof h->stash);
    h->stripes++;
    h->stash_len = 0;
}

static inline void stash_byte(struct sim_trace_hasher *h, unsigned char b)
{
    h->stash[h->stash_len >> 3] |= (uint64_t)b << (8u * (h->stash_len & 7u));
    if (++h->stash_len == 32)
        sim_trace_hasher_stripe_(h);
}

void sim_trace_hasher_bytes(struct sim_trace_hasher *h, const void *p, size_t n)
{
    ASSERT(h != NULL && h->stash_len < 32);
    ASSERT(p != NULL || n == 0);
    const unsigned char *in = p;
    while (n > 0 && h->stash_len != 0) {
        stash_byte(h, *in++);
        n--;
    }
    for (; n >= 32; in += 32, n -= 32, h->stripes++) /* whole stripes straight from p */
        xxh_stripe(h->lane, read_le64(in), read_le64(in + 8), read_le64(in + 16),
                   read_le64(in + 24));
    while (n-- > 0)
        stash_byte(h, *in++);
    ASSERT(h->stash_len < 32);
}

void sim_trace_hasher_u64_slow_(struct sim_trace_hasher *h, uint64_t v)
{
    ASSERT(h != NULL && (h->stash_len & 7u) != 0);
    for (unsigned i = 0; i < 8; i++)
        stash_byte(h, (unsigned char)(v >> (8u * i)));
}

/* Byte i (< stash_len) of the pending stripe. */
static inline unsigned stash_at(const struct sim_trace_hasher *h, uint32_t i)
{
    return (unsigned)(h->stash[i >> 3] >> (8u * (i & 7u))) & 0xffu;
}

uint64_t sim_trace_hasher_digest(const struct sim_trace_hasher *h)
{
    ASSERT(h != NULL && h->stash_len < 32);
    uint64_t acc;
    if (h->stripes > 0) {
        const uint64_t *v = h->lane;
        acc = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18);
        for (unsigned i = 0; i < 4; i++)
            acc = xxh_merge(acc, v[i]);
    } else {
        acc = h->seed + P5;
    }
    acc += h->stripes * 32u + h->stash_len;
    uint32_t i = 0, n = h->stash_len;
    for (; n - i >= 8; i += 8) {
        acc ^= xxh_round(0, h->stash[i >> 3]);
        acc = rotl64(acc, 27) * P1 + P4;
    }
    if (n - i >= 4) {
        acc ^= (h->stash[i >> 3] & 0xffffffffu) * P1;
        acc = rotl64(acc, 23) * P2 + P3;
        i += 4;
    }
    for (; i < n; i++) {
        acc ^= (uint64_t)stash_at(h, i) * P5;
        acc = rotl64(acc, 11) * P1;
    }
    acc ^= acc >> 33;
    acc *= P2;
    acc ^= acc >> 29;
    acc *= P3;
    acc ^= acc >> 32;
    return acc;
}

uint64_t sim_trace_xxh64(const void *p, size_t n, uint64_t seed)
{
    ASSERT(p != NULL || n == 0);
    struct sim_trace_hasher h;
    sim_trace_hasher_init(&h, seed);
    sim_trace_hasher_bytes(&h, p, n);
    return sim_trace_hasher_digest(&h);
}

void sim_trace_hash_format(uint64_t h, char out[SIM_TRACE_HASH_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    ASSERT(out != NULL);
    for (int i = SIM_TRACE_HASH_HEX_LEN - 1; i >= 0; i--, h >>= 4)
        out[i] = digits[h & 0xf];
    out[SIM_TRACE_HASH_HEX_LEN] = '\0';
}
