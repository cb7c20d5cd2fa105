/*
 * trace_hash.h - the 64-bit hash behind every run's trace hash.
 *
 * The trace hash is XXH64 (Yann Collet's xxHash, 64-bit variant, as
 * specified in the xxHash project's "xxhash_spec.md") with seed 0, computed
 * over the canonical byte stream of a run's rows (the stream is defined in
 * sim/trace.h and docs/trace-schema.md). XXH64 was picked because it is
 * fast (one multiply-rotate-multiply round per 8 input bytes, four
 * independent lanes), passes SMHasher, and is specified precisely enough
 * that anyone can recompute a stored trace hash with any conforming
 * implementation (Python's `xxhash.xxh64`, the `xxhsum -H1` tool, ...).
 * This file is our own implementation of that specification; its tests
 * check it against published digests.
 *
 * The hasher is streaming: feed bytes in any chunking, read the digest at
 * any point (reading does not disturb the state):
 *
 *     struct sim_trace_hasher h;
 *     sim_trace_hasher_init(&h, 0);
 *     sim_trace_hasher_u64(&h, 42);            // 8 bytes, little-endian
 *     sim_trace_hasher_bytes(&h, "abc", 3);
 *     uint64_t d = sim_trace_hasher_digest(&h);
 *
 * A hasher is a plain value owned by its user; no allocation, not
 * thread-safe. The result is the same on every host and compiler: words
 * are serialised little-endian explicitly.
 */
#ifndef IOSIM_SIM_TRACE_HASH_H
#define IOSIM_SIM_TRACE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Streaming XXH64 state. Invariant: stash_len < 32; total_len counts every
 * byte fed so far (XXH64 folds the length in mod 2^64). */
struct sim_trace_hasher {
    uint64_t lane[4];     /* the four accumulators of the 32-byte stripes */
    uint64_t seed;        /* kept for the short-input (< 32 bytes) digest */
    uint64_t total_len;   /* bytes fed */
    uint32_t stash_len;   /* bytes waiting in stash, always < 32 */
    unsigned char stash[32];
};

void sim_trace_hasher_init(struct sim_trace_hasher *h, uint64_t seed);

/* Feeds n bytes (p may be NULL when n == 0). */
void sim_trace_hasher_bytes(struct sim_trace_hasher *h, const void *p, size_t n);

/* Feeds the 8 little-endian bytes of v. */
void sim_trace_hasher_u64(struct sim_trace_hasher *h, uint64_t v);

/* XXH64 of everything fed so far; h is unchanged. */
uint64_t sim_trace_hasher_digest(const struct sim_trace_hasher *h);

/* One-shot XXH64(p[0..n), seed). */
uint64_t sim_trace_xxh64(const void *p, size_t n, uint64_t seed);

/* Length of a hash printed as hex, without the terminating NUL. */
#define SIM_TRACE_HASH_HEX_LEN 16

/* Writes h as exactly 16 lowercase hex digits plus a NUL into out. */
void sim_trace_hash_format(uint64_t h, char out[SIM_TRACE_HASH_HEX_LEN + 1]);

#endif /* IOSIM_SIM_TRACE_HASH_H */
