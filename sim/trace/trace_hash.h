/*
 * trace_hash.h - the 64-bit hash behind every run's trace hash.
 *
 * The trace hash is XXH64 (Yann Collet's xxHash, 64-bit variant, as
 * specified in the xxHash project's "xxhash_spec.md") with seed 0, computed
 * over the canonical byte stream of a run's rows (the stream is defined in
 * sim/trace/trace.h and docs/trace-schema.md). XXH64 was picked because it is
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

/* Streaming XXH64 state. The pending bytes of the current stripe are kept
 * as little-endian words: byte i of the stripe is bits 8*(i%8).. of
 * stash[i/8], bytes not fed yet are 0. Typed words (not a byte array) let
 * the compiler keep the inline fast path in registers.
 * Invariant: stash_len < 32; bytes fed = 32 * stripes + stash_len (XXH64
 * folds that length in mod 2^64). */
struct sim_trace_hasher {
    uint64_t lane[4];  /* the four accumulators of the 32-byte stripes */
    uint64_t stash[4]; /* the current stripe so far */
    uint64_t seed;     /* kept for the short-input (< 32 bytes) digest */
    uint64_t stripes;  /* stripes consumed by the lanes */
    uint32_t stash_len; /* bytes in stash, always < 32 */
};

void sim_trace_hasher_init(struct sim_trace_hasher *h, uint64_t seed);

/* Feeds n bytes (p may be NULL when n == 0). */
void sim_trace_hasher_bytes(struct sim_trace_hasher *h, const void *p, size_t n);

/* Internal: feeds the word v when the stash is not word-aligned. */
void sim_trace_hasher_u64_slow_(struct sim_trace_hasher *h, uint64_t v);
/* Internal: consumes the full stash as one stripe. */
void sim_trace_hasher_stripe_(struct sim_trace_hasher *h);

/* Feeds the 8 little-endian bytes of v. Inline: the trace feeds one word
 * per column, so the common case must not cost a call. */
static inline void sim_trace_hasher_u64(struct sim_trace_hasher *h, uint64_t v)
{
    if ((h->stash_len & 7u) != 0) { /* only after odd-sized sim_trace_hasher_bytes */
        sim_trace_hasher_u64_slow_(h, v);
        return;
    }
    h->stash[h->stash_len >> 3] = v;
    h->stash_len += 8;
    if (h->stash_len == 32)
        sim_trace_hasher_stripe_(h);
}

/* Feeds exactly the 8 bytes at p. */
static inline void sim_trace_hasher_word(struct sim_trace_hasher *h, const void *p)
{
    const unsigned char *b = p;
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++) /* compilers turn this into one load */
        v |= (uint64_t)b[i] << (8u * i);
    sim_trace_hasher_u64(h, v);
}

/* XXH64 of everything fed so far; h is unchanged. */
uint64_t sim_trace_hasher_digest(const struct sim_trace_hasher *h);

/* One-shot XXH64(p[0..n), seed). */
uint64_t sim_trace_xxh64(const void *p, size_t n, uint64_t seed);

/* Length of a hash printed as hex, without the terminating NUL. */
#define SIM_TRACE_HASH_HEX_LEN 16

/* Writes h as exactly 16 lowercase hex digits plus a NUL into out. */
void sim_trace_hash_format(uint64_t h, char out[SIM_TRACE_HASH_HEX_LEN + 1]);

#endif /* IOSIM_SIM_TRACE_HASH_H */
