/*
 * atomic.h - atomics, fences and the spin hint, as production code sees them.
 *
 * Shared-memory words are `port_atomic_u32` / `port_atomic_u64`: wrapper
 * structs, so a plain load or store of shared state does not compile by
 * accident. Every access names its memory order. Natively these are C11
 * atomics inlined at the call site; in the simulator each call is a yield
 * point with a cost, and relaxed stores may sit in a per-CPU store buffer
 * until a release, a fence or the scheduler drains them (docs/architecture.md,
 * "memory model"), which is how missing orderings become visible bugs.
 *
 *     port_atomic_u32 *shared_tail = &hdr->tail;
 *     uint32_t tail = port_load_u32(shared_tail, PORT_ACQUIRE);
 *     port_store_u32(shared_tail, tail + 1, PORT_RELEASE);
 *
 * Thread safety: these are the synchronisation primitives themselves.
 */
#ifndef IOSIM_PORT_ATOMIC_H
#define IOSIM_PORT_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

enum port_order {
    PORT_RELAXED,
    PORT_ACQUIRE,
    PORT_RELEASE,
    PORT_ACQ_REL,
    PORT_SEQ_CST,
};

typedef struct port_atomic_u32 {
    _Alignas(4) uint32_t raw; /* only through port_*_u32 */
} port_atomic_u32;

typedef struct port_atomic_u64 {
    _Alignas(8) uint64_t raw; /* only through port_*_u64 */
} port_atomic_u64;

_Static_assert(sizeof(port_atomic_u32) == 4, "port_atomic_u32 is one word");
_Static_assert(sizeof(port_atomic_u64) == 8, "port_atomic_u64 is one word");

/* The function set is identical in both ports (X-macro so the two cannot
 * drift): natively static inline, in the simulator external functions. */
#define PORT_ATOMIC_FUNCS(X, T, W)                                                   \
    X(W, load_##T, W, (const port_atomic_##T *p, enum port_order o))                 \
    X(W, store_##T, void, (port_atomic_##T *p, W v, enum port_order o))              \
    X(W, xchg_##T, W, (port_atomic_##T *p, W v, enum port_order o))                  \
    X(W, fetch_add_##T, W, (port_atomic_##T *p, W v, enum port_order o))             \
    X(W, fetch_sub_##T, W, (port_atomic_##T *p, W v, enum port_order o))             \
    X(W, fetch_or_##T, W, (port_atomic_##T *p, W v, enum port_order o))              \
    X(W, fetch_and_##T, W, (port_atomic_##T *p, W v, enum port_order o))             \
    X(W, cas_##T, bool,                                                              \
      (port_atomic_##T *p, W *expected, W desired, enum port_order ok, enum port_order fail))

/* port_peek_u32 / port_peek_u64 read a word for an assertion (check.h) and
 * for nothing else: no yield point, no cost, no ordering, the calling CPU's
 * own view. The simulator aborts when one runs outside an assertion, since a
 * read that costs nothing would hide the races the port exists to expose. */
#if defined(PORT_NATIVE)
#include "impl/port/native/atomic_native.h"
#elif defined(PORT_SIM)
#define PORT_ATOMIC_DECL(W, name, ret, args) ret port_##name args;
PORT_ATOMIC_FUNCS(PORT_ATOMIC_DECL, u32, uint32_t)
PORT_ATOMIC_FUNCS(PORT_ATOMIC_DECL, u64, uint64_t)
#undef PORT_ATOMIC_DECL
uint32_t port_peek_u32(const port_atomic_u32 *p);
uint64_t port_peek_u64(const port_atomic_u64 *p);
void port_fence(enum port_order o);
void port_spin_hint(void);
#else
#error "define PORT_NATIVE or PORT_SIM"
#endif

#endif /* IOSIM_PORT_ATOMIC_H */
