/*
 * atomic_native.h - the native port's atomics: C11-model __atomic builtins,
 * inlined. Included only through impl/port/atomic.h.
 *
 * The builtins take the C11 memory orders; the switch in native_order() folds
 * away when the order is a constant at the call site, which it always is in
 * impl/. A non-constant order is still correct (the compiler then falls back
 * to seq_cst, which is stronger).
 */
#ifndef IOSIM_PORT_NATIVE_ATOMIC_H
#define IOSIM_PORT_NATIVE_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

static inline int port_native_order(enum port_order o)
{
    switch (o) {
    case PORT_RELAXED: return __ATOMIC_RELAXED;
    case PORT_ACQUIRE: return __ATOMIC_ACQUIRE;
    case PORT_RELEASE: return __ATOMIC_RELEASE;
    case PORT_ACQ_REL: return __ATOMIC_ACQ_REL;
    case PORT_SEQ_CST: return __ATOMIC_SEQ_CST;
    }
    return __ATOMIC_SEQ_CST;
}

/* A load cannot have release semantics nor a store acquire; C11 makes those
 * undefined. Strengthen to the meaningful half instead of tripping UB. */
static inline int port_native_load_order(enum port_order o)
{
    return (o == PORT_RELEASE || o == PORT_ACQ_REL) ? __ATOMIC_ACQUIRE
                                                     : port_native_order(o);
}

static inline int port_native_store_order(enum port_order o)
{
    return (o == PORT_ACQUIRE || o == PORT_ACQ_REL) ? __ATOMIC_RELEASE
                                                     : port_native_order(o);
}

#define PORT_NATIVE_ATOMIC_DEFS(T, W)                                                \
    static inline W port_load_##T(const port_atomic_##T *p, enum port_order o)       \
    { return __atomic_load_n(&p->raw, port_native_load_order(o)); }                  \
    static inline void port_store_##T(port_atomic_##T *p, W v, enum port_order o)    \
    { __atomic_store_n(&p->raw, v, port_native_store_order(o)); }                    \
    static inline W port_xchg_##T(port_atomic_##T *p, W v, enum port_order o)        \
    { return __atomic_exchange_n(&p->raw, v, port_native_order(o)); }                \
    static inline W port_fetch_add_##T(port_atomic_##T *p, W v, enum port_order o)   \
    { return __atomic_fetch_add(&p->raw, v, port_native_order(o)); }                 \
    static inline W port_fetch_sub_##T(port_atomic_##T *p, W v, enum port_order o)   \
    { return __atomic_fetch_sub(&p->raw, v, port_native_order(o)); }                 \
    static inline W port_fetch_or_##T(port_atomic_##T *p, W v, enum port_order o)    \
    { return __atomic_fetch_or(&p->raw, v, port_native_order(o)); }                  \
    static inline W port_fetch_and_##T(port_atomic_##T *p, W v, enum port_order o)   \
    { return __atomic_fetch_and(&p->raw, v, port_native_order(o)); }                 \
    static inline bool port_cas_##T(port_atomic_##T *p, W *expected, W desired,      \
                                    enum port_order ok, enum port_order fail)        \
    {                                                                                \
        return __atomic_compare_exchange_n(&p->raw, expected, desired, false,        \
                                           port_native_order(ok),                    \
                                           port_native_load_order(fail));            \
    }

PORT_NATIVE_ATOMIC_DEFS(u32, uint32_t)
PORT_NATIVE_ATOMIC_DEFS(u64, uint64_t)
#undef PORT_NATIVE_ATOMIC_DEFS

static inline uint32_t port_peek_u32(const port_atomic_u32 *p)
{
    return __atomic_load_n(&p->raw, __ATOMIC_RELAXED);
}

static inline uint64_t port_peek_u64(const port_atomic_u64 *p)
{
    return __atomic_load_n(&p->raw, __ATOMIC_RELAXED);
}

static inline void port_fence(enum port_order o)
{
    __atomic_thread_fence(port_native_order(o));
}

static inline void port_spin_hint(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#else
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

#endif /* IOSIM_PORT_NATIVE_ATOMIC_H */
