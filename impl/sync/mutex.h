/*
 * mutex.h - a sleeping mutual-exclusion lock built on the port's atomics and
 * its futex-style wait, for production code that shares a structure between
 * threads or processes (the buffer pool, for one).
 *
 *     struct sync_mutex m = SYNC_MUTEX_INIT;   (or sync_mutex_init(&m))
 *     sync_mutex_lock(&m);
 *     ... critical section ...
 *     sync_mutex_unlock(&m);
 *
 * The lock word lives wherever the struct lives; put it in shared memory to
 * share the lock between processes (natively the wait is a shared futex).
 * The word holds 0 (free), 1 (held, nobody sleeps) or 2 (held, someone may
 * sleep): the unlocker only makes the wake system call when it saw 2
 * (Drepper, "Futexes Are Tricky", mutex 2). A short bounded spin comes first,
 * because the critical sections this protects are a few hundred
 * instructions. Not recursive; unlocking a mutex the caller does not hold is
 * a programmer error (asserted).
 *
 * Memory orders: the acquiring CAS/exchange ACQUIRE pairs with the
 * unlocking exchange RELEASE, so everything the previous holder wrote is
 * visible to the next one. In the simulator every operation is a yield
 * point, so the scheduler explores who gets the lock.
 */
#ifndef IOSIM_SYNC_MUTEX_H
#define IOSIM_SYNC_MUTEX_H

#include <stdbool.h>

#include "impl/port/port.h"

struct sync_mutex {
    port_atomic_u32 shared_word; /* 0 free, 1 held, 2 held with possible sleepers */
};

#define SYNC_MUTEX_INIT {{0}}

void sync_mutex_init(struct sync_mutex *m);
void sync_mutex_lock(struct sync_mutex *m);
/* true when taken; never sleeps */
bool sync_mutex_trylock(struct sync_mutex *m);
void sync_mutex_unlock(struct sync_mutex *m);

#endif /* IOSIM_SYNC_MUTEX_H */
