/*
 * ring.h - single-producer single-consumer rings in shared memory, the
 * transport of io_uring-style instances (submission and completion queues).
 *
 * A ring is a header page and an array of `count` fixed-size entries
 * (count a power of two), both in memory two parties share: two processes,
 * or a process and the kernel. One party only pushes (the *pusher*), the
 * other only pops (the *popper*); each holds its own local handle, of a
 * distinct type, so a code path cannot use one side as the other.
 *
 *     struct ring_header *hdr = shared page; struct ring_sqe64 *ents = shared array;
 *     ring_header_init(hdr, 256);                         the creator, once
 *     struct ring_pusher tx; ring_pusher_attach(&tx, hdr, ents, 256, RING_SQE64);
 *     struct ring_popper rx; ring_popper_attach(&rx, hdr, ents, 256, RING_SQE64);
 *     ring_push(&tx, &sqe);                               IOSIM_EAGAIN when full
 *     ring_pop(&rx, &sqe);                                IOSIM_EAGAIN when empty
 *
 * Indices. head and tail count modulo 2*count. The array slot of an index
 * is index mod count; its *cycle* is index div count (0 or 1). Empty: head
 * == tail. Full: same slot, different cycle, i.e. (tail - head) mod 2*count
 * == count. The pusher owns tail, the popper owns head; each keeps its own
 * index locally and never trusts the shared copy of it.
 *
 * Status. Either side may shut down. A pusher that shuts down lets the
 * popper drain what is left; after that the popper gets IOSIM_ESHUTDOWN. A
 * popper that shuts down makes every later push fail with IOSIM_ESHUTDOWN.
 *
 * Hostile peers. Everything in shared memory can be written by the peer at
 * any time. A peer index outside [0, 2*count) or more than count ahead, a
 * header whose entry count differs from the agreed one, or an entry with a
 * reserved field set makes the ring *broken*: the call returns IOSIM_EPROTO,
 * the handle stays broken (IOSIM_EPROTO forever) and the BROKEN status bit is
 * set for the peer to see. No value read from shared memory is ever used to
 * index memory without being checked first.
 *
 * Epochs. Each successful publication also bumps the side's epoch (push
 * epoch, pop epoch), so a sleeper can be woken, and a kernel can see that
 * something happened, without comparing indices (and a full ring, which
 * cannot take an entry, can still signal).
 *
 * Memory orders (every acquire names the release it pairs with):
 *   pusher: load head ACQUIRE  <- popper's head RELEASE: the popper is done
 *           reading the slots it released before we overwrite them;
 *           write entries; store tail RELEASE -> popper's tail ACQUIRE: the
 *           entries are visible before the index that publishes them.
 *   popper: load tail ACQUIRE, read entries, store head RELEASE (above).
 *   epochs: RELEASE stores after the index store, ACQUIRE loads by waiters.
 *   status: fetch_or RELEASE by the side shutting down, after its last
 *           index store; ACQUIRE load by the other side, which then reloads
 *           the index once more so nothing published before the shutdown is
 *           missed.
 *   Own indices and own epochs are only written by their owner: the local
 *   copy is authoritative and no load of them is needed. Whoever else must
 *   move an epoch (to wake a sleeper) does it through the owner's handle
 *   (ring_pusher_notify): a write beside it leaves the local copy behind,
 *   the owner's next store puts an old value back, and a sleeper comparing
 *   the word with that value sleeps through both.
 *
 * Threading: one thread (or simulated process) per handle; the two handles
 * of a ring may live in different threads or processes. Handles own nothing:
 * the header and the entries are the caller's shared memory.
 */
#ifndef IOSIM_RING_H
#define IOSIM_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/atomic.h"
#include "impl/port/err.h"
#include "impl/port/shm.h"
#include "impl/ring/ring_entries.h"

/* Each shared counter sits on its own line; 128 bytes also keeps x86's
 * adjacent-line prefetcher from pairing two of them. */
#define RING_LINE_BYTES 128u
#define RING_COUNT_MAX (1u << 24)
#define RING_HEADER_BYTES 4096u

/* Status bits. */
#define RING_STATUS_PUSHER_DOWN 0x1u /* the pusher shut down: drain, then ESHUTDOWN */
#define RING_STATUS_POPPER_DOWN 0x2u /* the popper shut down: pushes fail */
#define RING_STATUS_BROKEN 0x4u      /* a side saw the peer break the protocol */

/* The shared header: one page, each counter on its own line. */
struct ring_header {
    _Alignas(RING_LINE_BYTES) port_atomic_u32 shared_count;
    _Alignas(RING_LINE_BYTES) port_atomic_u32 shared_head;
    _Alignas(RING_LINE_BYTES) port_atomic_u32 shared_tail;
    _Alignas(RING_LINE_BYTES) port_atomic_u32 shared_status;
    _Alignas(RING_LINE_BYTES) port_atomic_u32 shared_push_epoch;
    _Alignas(RING_LINE_BYTES) port_atomic_u32 shared_pop_epoch;
};

_Static_assert(sizeof(struct ring_header) == 6 * RING_LINE_BYTES, "one counter per line");
_Static_assert(sizeof(struct ring_header) <= RING_HEADER_BYTES, "the header fits a page");

/* What both local handles know. Invariants: count is a power of two,
 * mask2 == 2 * count - 1, entry_size == ring_entry_size(kind). */
struct ring_geometry {
    struct ring_header *shared_hdr;   /* borrowed shared memory */
    uint8_t *shared_entries;          /* borrowed, count * entry_size bytes */
    uint32_t count;
    uint32_t mask2;
    uint32_t entry_size;
    enum ring_entry_kind kind;
};

struct ring_pusher {
    struct ring_geometry g;
    uint32_t tail;        /* authoritative: only we write the shared tail */
    uint32_t head_seen;   /* last validated head */
    uint32_t epoch;       /* our push epoch */
    bool broken;
    bool down;            /* we shut down */
};

struct ring_popper {
    struct ring_geometry g;
    uint32_t head;        /* authoritative */
    uint32_t tail_seen;   /* last validated tail */
    uint32_t epoch;       /* our pop epoch */
    bool broken;
    bool down;
};

/* The creator's set-up of a fresh header (before any side attaches).
 * count: a power of two in [1, RING_COUNT_MAX]. */
enum iosim_err ring_header_init(struct ring_header *hdr, uint32_t count);

/* Attach a side. `count` and `kind` are what the two parties agreed on
 * (the create-info), never read from the shared header: a header that
 * disagrees makes the attach fail with IOSIM_EPROTO. */
enum iosim_err ring_pusher_attach(struct ring_pusher *r, struct ring_header *hdr, void *entries,
                                  uint32_t count, enum ring_entry_kind kind);
enum iosim_err ring_popper_attach(struct ring_popper *r, struct ring_header *hdr, void *entries,
                                  uint32_t count, enum ring_entry_kind kind);

/* Push one entry (entry_size bytes). OK, EAGAIN (full), ESHUTDOWN (the
 * popper shut down, or we did), EPROTO (broken), EINVAL (a reserved field
 * set; nothing pushed). */
enum iosim_err ring_push(struct ring_pusher *r, const void *entry);

/* Push exactly k entries with one publication, or none (EAGAIN when fewer
 * than k slots are free). k in [1, count]. */
enum iosim_err ring_push_batch(struct ring_pusher *r, const void *entries, uint32_t k);

/* Pop one entry. OK, EAGAIN (empty), ESHUTDOWN (empty and the pusher shut
 * down), EPROTO (broken: the peer's index or an entry's reserved field). */
enum iosim_err ring_pop(struct ring_popper *r, void *out);

/* Pop up to max entries with one publication; *popped says how many.
 * Returns OK when at least one was popped, else as ring_pop. */
enum iosim_err ring_pop_batch(struct ring_popper *r, void *out, uint32_t max, uint32_t *popped);

/* Shut a side down (idempotent). The popper's further pops drain what the
 * pusher published; the pusher's further pushes fail. */
void ring_pusher_shutdown(struct ring_pusher *r);
void ring_popper_shutdown(struct ring_popper *r);

/* Entries the popper can take now / slots the pusher can fill now, reading
 * the peer's index (and validating it: EPROTO when broken). */
enum iosim_err ring_pop_available(struct ring_popper *r, uint32_t *n);
enum iosim_err ring_push_space(struct ring_pusher *r, uint32_t *n);

/* The current epochs, for waiters (ACQUIRE). */
uint32_t ring_push_epoch(const struct ring_header *hdr);
uint32_t ring_pop_epoch(const struct ring_header *hdr);

/* Bump our epoch without publishing an entry (wakes a sleeper). */
void ring_pusher_notify(struct ring_pusher *r);
void ring_popper_notify(struct ring_popper *r);

/* Status bits as the peer last published them (ACQUIRE). */
uint32_t ring_status(const struct ring_header *hdr);

/* For a third party that neither pushes nor pops (the kernel of a
 * userspace->userspace ring): how many entries wait in the ring, from the
 * shared indices (ACQUIRE). EPROTO when they are not a valid pair. */
enum iosim_err ring_peek_used(const struct ring_header *hdr, uint32_t count, uint32_t *used);

/* For assertions (ASSERT(ring_pusher_check(&r))): the handle's own state
 * is consistent - its geometry, its indices in [0, 2*count), the head it
 * last validated at most count behind its tail. Reads no shared memory (a
 * peer controls that), makes no port call. */
bool ring_pusher_check(const struct ring_pusher *r);
bool ring_popper_check(const struct ring_popper *r);

#endif /* IOSIM_RING_H */
