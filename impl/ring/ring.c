/* Single-producer single-consumer rings in shared memory; see ring.h for
 * the protocol, the checks against hostile peers and the memory orders. */
#include "impl/ring/ring.h"

#include <stddef.h>
#include <string.h>

#include "impl/port/check.h"
#include "impl/port/trace.h"

/*
 * Seeded bugs for checking that the test suites catch broken rings. Never
 * defined in a shipped build; see docs/architecture.md ("Seeded ring bugs"):
 *   RING_SEEDED_BUG == 1: the tail is published RELAXED (missing release)
 *   RING_SEEDED_BUG == 2: the full test lets the pusher overwrite one unread entry
 */
#if defined(RING_SEEDED_BUG) && RING_SEEDED_BUG == 1
#define RING_TAIL_PUBLISH_ORDER PORT_RELAXED
#else
#define RING_TAIL_PUBLISH_ORDER PORT_RELEASE
#endif
#if defined(RING_SEEDED_BUG) && RING_SEEDED_BUG == 2
#define RING_CAPACITY_SLACK 1u
#else
#define RING_CAPACITY_SLACK 0u
#endif

static bool is_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

enum iosim_err ring_header_init(struct ring_header *hdr, uint32_t count)
{
    ASSERT(hdr != NULL);
    if (!is_pow2(count) || count > RING_COUNT_MAX)
        return IOSIM_EINVAL;
    ASSERT(2 * count - 1 > count - 1 || count == 1); /* 2*count fits the index word */
    port_store_u32(&hdr->shared_head, 0, PORT_RELAXED);
    port_store_u32(&hdr->shared_tail, 0, PORT_RELAXED);
    port_store_u32(&hdr->shared_status, 0, PORT_RELAXED);
    port_store_u32(&hdr->shared_push_epoch, 0, PORT_RELAXED);
    port_store_u32(&hdr->shared_pop_epoch, 0, PORT_RELAXED);
    /* RELEASE: pairs with the ACQUIRE load of the count in attach, so a
     * side that sees the count also sees the zeroed counters. */
    port_store_u32(&hdr->shared_count, count, PORT_RELEASE);
    return IOSIM_OK;
}

static const char *side_name(const struct ring_geometry *g)
{
    return (g->kind == RING_SQE64 || g->kind == RING_SQE32) ? "sq" : "cq";
}

static void trace(const struct ring_geometry *g, const char *op, uint32_t head, uint32_t tail,
                  uint32_t count, enum iosim_err e)
{
    ASSERT(op != NULL);
    port_trace_ring(g->shared_hdr, side_name(g), op, head, tail, count,
                    e == IOSIM_OK ? 0 : -iosim_err_errno(e));
}

static void mark_broken(const struct ring_geometry *g, bool *broken)
{
    ASSERT(g != NULL && broken != NULL);
    trace(g, "broken", 0, 0, 0, IOSIM_EPROTO);
    *broken = true;
    /* RELEASE only for tidiness: the peer reads it to give up, not to see data */
    (void)port_fetch_or_u32(&g->shared_hdr->shared_status, RING_STATUS_BROKEN, PORT_RELEASE);
}

/* Index checks: inside [0, 2*count), and at most count apart. */
static bool index_ok(const struct ring_geometry *g, uint32_t idx)
{
    return (idx & ~g->mask2) == 0;
}

static uint32_t distance(const struct ring_geometry *g, uint32_t from, uint32_t to)
{
    return (to - from) & g->mask2;
}

/* ---- checkers (called from ASSERT only: local state, never shared memory
 * a peer may scribble on) ---------------------------------------------------- */

static bool geometry_check(const struct ring_geometry *g)
{
    return g->shared_hdr != NULL && g->shared_entries != NULL && is_pow2(g->count) &&
           g->count <= RING_COUNT_MAX && g->mask2 == 2 * g->count - 1 &&
           g->entry_size == ring_entry_size(g->kind) && g->entry_size != 0;
}

/* A pusher's view: the head it last validated is at most count behind its
 * tail, both indices in [0, 2*count). */
bool ring_pusher_check(const struct ring_pusher *r)
{
    return geometry_check(&r->g) && index_ok(&r->g, r->tail) && index_ok(&r->g, r->head_seen) &&
           distance(&r->g, r->head_seen, r->tail) <= r->g.count + RING_CAPACITY_SLACK;
}

bool ring_popper_check(const struct ring_popper *r)
{
    return geometry_check(&r->g) && index_ok(&r->g, r->head) && index_ok(&r->g, r->tail_seen) &&
           distance(&r->g, r->head, r->tail_seen) <= r->g.count;
}

static enum iosim_err geometry_attach(struct ring_geometry *g, struct ring_header *hdr,
                                      void *entries, uint32_t count, enum ring_entry_kind kind,
                                      uint32_t *head, uint32_t *tail)
{
    ASSERT(hdr != NULL);
    ASSERT(entries != NULL);
    ASSERT(head != NULL && tail != NULL);
    if (!is_pow2(count) || count > RING_COUNT_MAX)
        return IOSIM_EINVAL;
    *g = (struct ring_geometry){.shared_hdr = hdr, .shared_entries = entries, .count = count,
                                .mask2 = 2 * count - 1, .entry_size = ring_entry_size(kind),
                                .kind = kind};
    /* ACQUIRE: pairs with ring_header_init's RELEASE of the count */
    if (port_load_u32(&hdr->shared_count, PORT_ACQUIRE) != count)
        return IOSIM_EPROTO;
    *head = port_load_u32(&hdr->shared_head, PORT_ACQUIRE);
    *tail = port_load_u32(&hdr->shared_tail, PORT_ACQUIRE);
    if (!index_ok(g, *head) || !index_ok(g, *tail) || distance(g, *head, *tail) > count)
        return IOSIM_EPROTO;
    ASSERT(geometry_check(g));
    return IOSIM_OK;
}

enum iosim_err ring_pusher_attach(struct ring_pusher *r, struct ring_header *hdr, void *entries,
                                  uint32_t count, enum ring_entry_kind kind)
{
    ASSERT(r != NULL);
    *r = (struct ring_pusher){0};
    uint32_t head, tail;
    enum iosim_err e = geometry_attach(&r->g, hdr, entries, count, kind, &head, &tail);
    if (e != IOSIM_OK)
        return e;
    r->tail = tail;
    r->head_seen = head;
    r->epoch = port_load_u32(&hdr->shared_push_epoch, PORT_RELAXED);
    ASSERT(ring_pusher_check(r));
    ASSERT(!r->broken && !r->down);
    return IOSIM_OK;
}

enum iosim_err ring_popper_attach(struct ring_popper *r, struct ring_header *hdr, void *entries,
                                  uint32_t count, enum ring_entry_kind kind)
{
    ASSERT(r != NULL);
    *r = (struct ring_popper){0};
    uint32_t head, tail;
    enum iosim_err e = geometry_attach(&r->g, hdr, entries, count, kind, &head, &tail);
    if (e != IOSIM_OK)
        return e;
    r->head = head;
    r->tail_seen = tail;
    r->epoch = port_load_u32(&hdr->shared_pop_epoch, PORT_RELAXED);
    ASSERT(ring_popper_check(r));
    ASSERT(!r->broken && !r->down);
    return IOSIM_OK;
}

/* ---- the pusher ---------------------------------------------------------- */

/* Re-reads the popper's head. It may only move forward, and never past our
 * tail: anything else is a broken peer. */
static enum iosim_err pusher_reload(struct ring_pusher *r, uint32_t *used)
{
    ASSERT(ring_pusher_check(r));
    ASSERT(used != NULL);
    /* ACQUIRE: pairs with the popper's RELEASE store of head, so the slots
     * it released are no longer being read when we overwrite them */
    uint32_t h = port_load_u32(&r->g.shared_hdr->shared_head, PORT_ACQUIRE);
    uint32_t was = distance(&r->g, r->head_seen, r->tail);
    if (!index_ok(&r->g, h) || distance(&r->g, h, r->tail) > was) {
        mark_broken(&r->g, &r->broken);
        return IOSIM_EPROTO;
    }
    r->head_seen = h;
    *used = distance(&r->g, h, r->tail);
    ASSERT(*used <= was); /* the head only moves forward */
    ASSERT(ring_pusher_check(r));
    return IOSIM_OK;
}

/* Copies k entries into the slots from `from` on, wrapping at most once. */
static void write_slots(const struct ring_geometry *g, uint32_t from, const uint8_t *src,
                        uint32_t k)
{
    ASSERT(geometry_check(g));
    ASSERT(k >= 1 && k <= g->count);
    uint32_t slot = from & (g->count - 1);
    uint32_t first = g->count - slot < k ? g->count - slot : k;
    ASSERT(first >= 1 && (size_t)slot + first <= g->count);
    port_shm_write(g->shared_entries + (size_t)slot * g->entry_size, src,
                   (size_t)first * g->entry_size);
    if (first < k)
        port_shm_write(g->shared_entries, src + (size_t)first * g->entry_size,
                       (size_t)(k - first) * g->entry_size);
}

static enum iosim_err pusher_status(struct ring_pusher *r)
{
    ASSERT(ring_pusher_check(r));
    if (r->broken)
        return IOSIM_EPROTO;
    if (r->down)
        return IOSIM_ESHUTDOWN;
    /* ACQUIRE: pairs with the popper's RELEASE fetch_or when it shuts down */
    uint32_t st = port_load_u32(&r->g.shared_hdr->shared_status, PORT_ACQUIRE);
    if (st & RING_STATUS_BROKEN) {
        r->broken = true;
        return IOSIM_EPROTO;
    }
    return (st & RING_STATUS_POPPER_DOWN) ? IOSIM_ESHUTDOWN : IOSIM_OK;
}

enum iosim_err ring_push_batch(struct ring_pusher *r, const void *entries, uint32_t k)
{
    ASSERT(r != NULL);
    ASSERT(entries != NULL);
    ASSERT(k >= 1 && k <= r->g.count);
    ASSERT(ring_pusher_check(r));
    const uint8_t *src = entries;
    for (uint32_t i = 0; i < k; i++)
        if (!ring_entry_reserved_clear(r->g.kind, src + (size_t)i * r->g.entry_size))
            return IOSIM_EINVAL;
    enum iosim_err e = pusher_status(r);
    if (e != IOSIM_OK)
        return e;
    uint32_t used = distance(&r->g, r->head_seen, r->tail);
    uint32_t capacity = r->g.count + RING_CAPACITY_SLACK;
    if (capacity - used < k && (e = pusher_reload(r, &used)) != IOSIM_OK)
        return e;
    if (capacity - used < k)
        return IOSIM_EAGAIN;
    ASSERT(used + k <= r->g.count + RING_CAPACITY_SLACK); /* never past the popper's head */
    write_slots(&r->g, r->tail, src, k);
    r->tail = (r->tail + k) & r->g.mask2;
    ASSERT(distance(&r->g, r->head_seen, r->tail) == used + k);
    /* RELEASE: the entries written above become visible no later than the
     * tail; pairs with the popper's ACQUIRE load of tail */
    port_store_u32(&r->g.shared_hdr->shared_tail, r->tail, RING_TAIL_PUBLISH_ORDER);
    /* RELEASE: a waiter that sees the new epoch (ACQUIRE) sees the tail */
    port_store_u32(&r->g.shared_hdr->shared_push_epoch, ++r->epoch, PORT_RELEASE);
    trace(&r->g, "push", r->head_seen, r->tail, k, IOSIM_OK);
    ASSERT(ring_pusher_check(r));
    return IOSIM_OK;
}

enum iosim_err ring_push(struct ring_pusher *r, const void *entry)
{
    return ring_push_batch(r, entry, 1);
}

enum iosim_err ring_push_space(struct ring_pusher *r, uint32_t *n)
{
    ASSERT(r != NULL);
    ASSERT(n != NULL);
    enum iosim_err e = pusher_status(r);
    uint32_t used;
    if (e == IOSIM_OK)
        e = pusher_reload(r, &used);
    if (e == IOSIM_OK)
        *n = r->g.count - used;
    ASSERT(e != IOSIM_OK || *n <= r->g.count);
    return e;
}

/* Either side going away: a status bit, then an epoch bump for sleepers. */
static void side_down(const struct ring_geometry *g, bool *down, uint32_t bit, const char *op,
                      uint32_t head, uint32_t tail, port_atomic_u32 *epoch_word, uint32_t *epoch)
{
    ASSERT(geometry_check(g));
    ASSERT(bit == RING_STATUS_PUSHER_DOWN || bit == RING_STATUS_POPPER_DOWN);
    if (*down)
        return;
    *down = true;
    /* RELEASE: after this side's last index store; pairs with the other
     * side's ACQUIRE status load, after which it reloads the index once more */
    (void)port_fetch_or_u32(&g->shared_hdr->shared_status, bit, PORT_RELEASE);
    trace(g, op, head, tail, 0, IOSIM_OK);
    port_store_u32(epoch_word, ++*epoch, PORT_RELEASE);
}

void ring_pusher_shutdown(struct ring_pusher *r)
{
    ASSERT(r != NULL);
    ASSERT(ring_pusher_check(r));
    side_down(&r->g, &r->down, RING_STATUS_PUSHER_DOWN, "shutdown_push", r->head_seen, r->tail,
              &r->g.shared_hdr->shared_push_epoch, &r->epoch);
}

void ring_pusher_notify(struct ring_pusher *r)
{
    ASSERT(r != NULL);
    ASSERT(ring_pusher_check(r));
    port_store_u32(&r->g.shared_hdr->shared_push_epoch, ++r->epoch, PORT_RELEASE);
}

/* ---- the popper ---------------------------------------------------------- */

/* Re-reads the pusher's tail: it may only move forward, at most to `count`
 * entries ahead of our head. */
static enum iosim_err popper_reload(struct ring_popper *r, uint32_t *avail)
{
    ASSERT(ring_popper_check(r));
    ASSERT(avail != NULL);
    /* ACQUIRE: pairs with the pusher's RELEASE store of tail, so the entries
     * it published are visible before we read them */
    uint32_t t = port_load_u32(&r->g.shared_hdr->shared_tail, PORT_ACQUIRE);
    uint32_t had = distance(&r->g, r->head, r->tail_seen);
    uint32_t now = distance(&r->g, r->head, t);
    if (!index_ok(&r->g, t) || now > r->g.count || now < had) {
        mark_broken(&r->g, &r->broken);
        return IOSIM_EPROTO;
    }
    r->tail_seen = t;
    *avail = now;
    ASSERT(*avail >= had && *avail <= r->g.count);
    ASSERT(ring_popper_check(r));
    return IOSIM_OK;
}

/* Nothing to pop: EAGAIN, or ESHUTDOWN once the pusher is gone and every
 * entry it published is drained. */
static enum iosim_err popper_empty(struct ring_popper *r, uint32_t *avail)
{
    ASSERT(ring_popper_check(r));
    ASSERT(distance(&r->g, r->head, r->tail_seen) == 0);
    /* ACQUIRE: pairs with the pusher's RELEASE fetch_or on shutdown */
    uint32_t st = port_load_u32(&r->g.shared_hdr->shared_status, PORT_ACQUIRE);
    if (st & RING_STATUS_BROKEN) {
        r->broken = true;
        return IOSIM_EPROTO;
    }
    if (!(st & RING_STATUS_PUSHER_DOWN))
        return IOSIM_EAGAIN;
    /* the pusher may have published just before shutting down: look again */
    enum iosim_err e = popper_reload(r, avail);
    if (e != IOSIM_OK)
        return e;
    return *avail > 0 ? IOSIM_OK : IOSIM_ESHUTDOWN;
}

static void read_slots(const struct ring_geometry *g, uint32_t from, uint8_t *dst, uint32_t k)
{
    ASSERT(geometry_check(g));
    ASSERT(k <= g->count);
    uint32_t slot = from & (g->count - 1);
    uint32_t first = g->count - slot < k ? g->count - slot : k;
    ASSERT((size_t)slot + first <= g->count);
    port_shm_read(dst, g->shared_entries + (size_t)slot * g->entry_size,
                  (size_t)first * g->entry_size);
    if (first < k)
        port_shm_read(dst + (size_t)first * g->entry_size, g->shared_entries,
                      (size_t)(k - first) * g->entry_size);
}

enum iosim_err ring_pop_batch(struct ring_popper *r, void *out, uint32_t max, uint32_t *popped)
{
    ASSERT(r != NULL);
    ASSERT(out != NULL && popped != NULL);
    ASSERT(max >= 1);
    ASSERT(ring_popper_check(r));
    *popped = 0;
    if (r->broken)
        return IOSIM_EPROTO;
    uint32_t avail = distance(&r->g, r->head, r->tail_seen);
    enum iosim_err e = IOSIM_OK;
    /* reload only when what we already know does not fill the request: the
     * tail's line is the one the pusher keeps writing */
    if (avail < max && (e = popper_reload(r, &avail)) != IOSIM_OK)
        return e;
    if (avail == 0 && (e = popper_empty(r, &avail)) != IOSIM_OK)
        return e;
    uint32_t k = avail < max ? avail : max;
    ASSERT(k >= 1 && k <= distance(&r->g, r->head, r->tail_seen)); /* only what was published */
    uint8_t *dst = out;
    read_slots(&r->g, r->head, dst, k);
    for (uint32_t i = 0; i < k; i++) {
        if (!ring_entry_reserved_clear(r->g.kind, dst + (size_t)i * r->g.entry_size)) {
            mark_broken(&r->g, &r->broken);
            return IOSIM_EPROTO;
        }
    }
    r->head = (r->head + k) & r->g.mask2;
    /* RELEASE: we are done reading the slots before the pusher may reuse
     * them; pairs with the pusher's ACQUIRE load of head */
    port_store_u32(&r->g.shared_hdr->shared_head, r->head, PORT_RELEASE);
    port_store_u32(&r->g.shared_hdr->shared_pop_epoch, ++r->epoch, PORT_RELEASE);
    trace(&r->g, "pop", r->head, r->tail_seen, k, IOSIM_OK);
    *popped = k;
    ASSERT(ring_popper_check(r));
    return IOSIM_OK;
}

enum iosim_err ring_pop(struct ring_popper *r, void *out)
{
    uint32_t n;
    return ring_pop_batch(r, out, 1, &n);
}

enum iosim_err ring_pop_available(struct ring_popper *r, uint32_t *n)
{
    ASSERT(r != NULL);
    ASSERT(n != NULL);
    ASSERT(ring_popper_check(r));
    if (r->broken)
        return IOSIM_EPROTO;
    return popper_reload(r, n);
}

void ring_popper_shutdown(struct ring_popper *r)
{
    ASSERT(r != NULL);
    ASSERT(ring_popper_check(r));
    side_down(&r->g, &r->down, RING_STATUS_POPPER_DOWN, "shutdown_pop", r->head, r->tail_seen,
              &r->g.shared_hdr->shared_pop_epoch, &r->epoch);
}

void ring_popper_notify(struct ring_popper *r)
{
    ASSERT(r != NULL);
    ASSERT(ring_popper_check(r));
    port_store_u32(&r->g.shared_hdr->shared_pop_epoch, ++r->epoch, PORT_RELEASE);
}

/* ---- observers ----------------------------------------------------------- */

uint32_t ring_push_epoch(const struct ring_header *hdr)
{
    ASSERT(hdr != NULL);
    /* ACQUIRE: pairs with the RELEASE epoch stores above */
    return port_load_u32(&hdr->shared_push_epoch, PORT_ACQUIRE);
}

uint32_t ring_pop_epoch(const struct ring_header *hdr)
{
    ASSERT(hdr != NULL);
    return port_load_u32(&hdr->shared_pop_epoch, PORT_ACQUIRE);
}

uint32_t ring_status(const struct ring_header *hdr)
{
    ASSERT(hdr != NULL);
    return port_load_u32(&hdr->shared_status, PORT_ACQUIRE);
}

enum iosim_err ring_peek_used(const struct ring_header *hdr, uint32_t count, uint32_t *used)
{
    ASSERT(hdr != NULL);
    ASSERT(used != NULL);
    ASSERT(is_pow2(count) && count <= RING_COUNT_MAX);
    uint32_t mask2 = 2 * count - 1;
    uint32_t head = port_load_u32(&hdr->shared_head, PORT_ACQUIRE);
    uint32_t tail = port_load_u32(&hdr->shared_tail, PORT_ACQUIRE);
    uint32_t n = (tail - head) & mask2;
    if ((head & ~mask2) != 0 || (tail & ~mask2) != 0 || n > count)
        return IOSIM_EPROTO;
    *used = n;
    ASSERT(*used <= count);
    return IOSIM_OK;
}
