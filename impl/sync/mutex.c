/* Futex mutex: see mutex.h for the protocol and its memory orders. */
#include "impl/sync/mutex.h"

#include "impl/port/check.h"

#define SYNC_SPINS_MAX 64u

void sync_mutex_init(struct sync_mutex *m)
{
    ASSERT(m != NULL);
    port_store_u32(&m->shared_word, 0, PORT_RELAXED);
}

bool sync_mutex_trylock(struct sync_mutex *m)
{
    ASSERT(m != NULL);
    uint32_t expected = 0;
    /* ACQUIRE: pairs with the RELEASE exchange in sync_mutex_unlock */
    return port_cas_u32(&m->shared_word, &expected, 1, PORT_ACQUIRE, PORT_RELAXED);
}

void sync_mutex_lock(struct sync_mutex *m)
{
    ASSERT(m != NULL);
    for (uint32_t spin = 0; spin < SYNC_SPINS_MAX; spin++) {
        if (sync_mutex_trylock(m))
            return;
        port_spin_hint();
    }
    /* Mark the lock contended; whoever holds it will wake one sleeper. */
    uint32_t c = port_xchg_u32(&m->shared_word, 2, PORT_ACQUIRE);
    while (c != 0) {
        (void)port_wait_u32(&m->shared_word, 2, PORT_WAIT_FOREVER);
        c = port_xchg_u32(&m->shared_word, 2, PORT_ACQUIRE);
    }
}

void sync_mutex_unlock(struct sync_mutex *m)
{
    ASSERT(m != NULL);
    /* RELEASE: pairs with the ACQUIRE of the next locker */
    uint32_t was = port_xchg_u32(&m->shared_word, 0, PORT_RELEASE);
    ASSERT(was != 0 && "unlock of a mutex nobody holds");
    if (was == 2)
        (void)port_wake(&m->shared_word, 1);
}
