/*
 * trace_hash.c - XXH64, written from the xxHash specification.
 *
 * Structure of XXH64 (see the spec for the rationale of each constant):
 * input is cut into 32-byte stripes, each stripe feeds four 8-byte lanes
 * into four accumulators with round(); the tail (< 32 bytes) is mixed into
 * the converged accumulator 8, 4 and 1 bytes at a time; an avalanche
 * finalises. Inputs shorter than one stripe skip the accumulators.
 */
#include "sim/trace_hash.h"

#include <assert.h>
#include <string.h>

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

static inline uint32_t read_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
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

static inline void xxh_stripe(uint64_t lane[4], const unsigned char *p)
{
    lane[0] = xxh_round(lane[0], read_le64(p));
    lane[1] = xxh_round(lane[1], read_le64(p + 8));
    lane[2] = xxh_round(lane[2], read_le64(p + 16));
    lane[3] = xxh_round(lane[3], read_le64(p + 24));
}

void sim_trace_hasher_init(struct sim_trace_hasher *h, uint64_t seed)
{
    assert(h != NULL);
    memset(h, 0, sizeof *h);
    h->seed = seed;
    h->lane[0] = seed + P1 + P2;
    h->lane[1] = seed + P2;
    h->lane[2] = seed;
    h->lane[3] = seed - P1;
}

void sim_trace_hasher_bytes(struct sim_trace_hasher *h, const void *p, size_t n)
{
    assert(h != NULL && h->stash_len < 32);
    assert(p != NULL || n == 0);
    const unsigned char *in = p;
    h->total_len += n;
    if (h->stash_len + n < 32) {
        if (n > 0)
            memcpy(h->stash + h->stash_len, in, n);
        h->stash_len += (uint32_t)n;
        return;
    }
    if (h->stash_len > 0) {
        size_t fill = 32u - h->stash_len;
        memcpy(h->stash + h->stash_len, in, fill);
        xxh_stripe(h->lane, h->stash);
        in += fill;
        n -= fill;
    }
    for (; n >= 32; in += 32, n -= 32)
        xxh_stripe(h->lane, in);
    memcpy(h->stash, in, n);
    h->stash_len = (uint32_t)n;
    assert(h->stash_len < 32);
}

void sim_trace_hasher_u64(struct sim_trace_hasher *h, uint64_t v)
{
    assert(h != NULL && h->stash_len < 32);
    unsigned char b[8];
    for (unsigned i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8u * i));
    if (h->stash_len <= 24) { /* the common case: no stripe split */
        memcpy(h->stash + h->stash_len, b, 8);
        h->stash_len += 8;
        h->total_len += 8;
        if (h->stash_len == 32) {
            xxh_stripe(h->lane, h->stash);
            h->stash_len = 0;
        }
        return;
    }
    sim_trace_hasher_bytes(h, b, 8);
}

uint64_t sim_trace_hasher_digest(const struct sim_trace_hasher *h)
{
    assert(h != NULL && h->stash_len < 32);
    uint64_t acc;
    if (h->total_len >= 32) {
        const uint64_t *v = h->lane;
        acc = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18);
        for (unsigned i = 0; i < 4; i++)
            acc = xxh_merge(acc, v[i]);
    } else {
        acc = h->seed + P5;
    }
    acc += h->total_len;
    const unsigned char *p = h->stash;
    uint32_t n = h->stash_len;
    for (; n >= 8; p += 8, n -= 8) {
        acc ^= xxh_round(0, read_le64(p));
        acc = rotl64(acc, 27) * P1 + P4;
    }
    if (n >= 4) {
        acc ^= (uint64_t)read_le32(p) * P1;
        acc = rotl64(acc, 23) * P2 + P3;
        p += 4;
        n -= 4;
    }
    for (; n > 0; p++, n--) {
        acc ^= (uint64_t)*p * P5;
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
    assert(p != NULL || n == 0);
    struct sim_trace_hasher h;
    sim_trace_hasher_init(&h, seed);
    sim_trace_hasher_bytes(&h, p, n);
    return sim_trace_hasher_digest(&h);
}

void sim_trace_hash_format(uint64_t h, char out[SIM_TRACE_HASH_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    assert(out != NULL);
    for (int i = SIM_TRACE_HASH_HEX_LEN - 1; i >= 0; i--, h >>= 4)
        out[i] = digits[h & 0xf];
    out[SIM_TRACE_HASH_HEX_LEN] = '\0';
}
