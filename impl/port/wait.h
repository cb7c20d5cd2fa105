/*
 * wait.h - sleeping until a shared word changes (a futex).
 *
 * The one blocking primitive for shared memory: port_wait_u32() sleeps while
 * *word still holds `expected` (checked atomically with going to sleep, so a
 * wake between the caller's check and the sleep is never lost), until
 * port_wake() is called on the same word or the timeout passes. Ring epochs
 * are the words waited on: a consumer reads the epoch, finds nothing to do,
 * and waits for the epoch to move.
 *
 *     uint32_t e = port_load_u32(&hdr->shared_push_epoch, PORT_ACQUIRE);
 *     if (nothing_to_pop())
 *         port_wait_u32(&hdr->shared_push_epoch, e, timeout_ns);
 *     ...
 *     port_store_u32(&hdr->shared_push_epoch, e + 1, PORT_RELEASE);
 *     port_wake(&hdr->shared_push_epoch, PORT_WAKE_ALL);
 *
 * Natively this is Linux futex(2) (shared, so it works across processes
 * mapping the same memory); in the simulator a wait queue per word, woken in
 * FIFO order. Spurious wake-ups are allowed: callers re-check their
 * condition.
 */
#ifndef IOSIM_PORT_WAIT_H
#define IOSIM_PORT_WAIT_H

#include <stdint.h>

#include "impl/port/atomic.h"
#include "impl/port/err.h"

#define PORT_WAIT_FOREVER UINT64_MAX
#define PORT_WAKE_ALL UINT32_MAX

/* IOSIM_OK when woken (or the word no longer held `expected`: EAGAIN is
 * folded into OK, the caller re-checks anyway), IOSIM_ETIMEDOUT. */
enum iosim_err port_wait_u32(port_atomic_u32 *word, uint32_t expected, uint64_t timeout_ns);

/* The same on two words at once: sleeps while *word == expected and
 * *word2 == expected2, until a wake of either or the timeout. For a
 * process that both serves a scheme and waits for answers of another
 * (usbscsid: its disk: ring and its usb: ring). Natively futex_waitv(2)
 * (Linux 5.16); on older kernels it sleeps on `word` in slices of
 * PORT_WAIT_PAIR_SLICE_NS, looking at `word2` between them. */
#define PORT_WAIT_PAIR_SLICE_NS 1000000u
enum iosim_err port_wait_u32_pair(port_atomic_u32 *word, uint32_t expected,
                                  port_atomic_u32 *word2, uint32_t expected2,
                                  uint64_t timeout_ns);

/* Wakes up to `n` waiters of `word`; returns how many were woken. */
uint32_t port_wake(port_atomic_u32 *word, uint32_t n);

#endif /* IOSIM_PORT_WAIT_H */
