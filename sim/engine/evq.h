/*
 * evq.h - the simulator's pending-event set (a monotone priority queue).
 *
 * Items are (time_ps, tag) pairs popped in lexicographic order: earliest
 * time first, ties broken by the smaller tag. The engine makes tags unique
 * (a global sequence number in the high bits, an event-slot index in the
 * low bits), so the order is total and never depends on pointer values.
 * Time is monotone: once an item at time t has been popped, pushing an item
 * earlier than t is refused with IOSIM_EINVAL (pushing exactly t is fine).
 *
 *     struct sim_evq q;
 *     if (sim_evq_init(&q, 1024) != IOSIM_OK) ...;   // all memory, once
 *     sim_evq_push(&q, 5 * SIM_NS, tag);              // ENOSPC when full
 *     struct sim_evq_item it;
 *     while (sim_evq_pop(&q, &it)) ... it.time_ps, it.tag ...;
 *     sim_evq_fini(&q);
 *
 * Structure: a 256-way radix heap with a sorted bottom (ideas from radix
 * heaps, Ahuja et al. 1990, and ladder queues, Tang et al. 2005; the mix
 * and the details are ours).
 *
 * - Radix part. Times are read as 8 digits of 8 bits. An item x lives in
 *   bucket (level, digit): level is the most significant digit in which x
 *   differs from a reference time `ref` (level 0 if none), digit is x's
 *   digit at that level. Every radix item is >= ref, so a bucket at a lower
 *   level, or at the same level with a lower digit, holds only smaller
 *   times. A bucket at level L spans an aligned range of 256^L picoseconds;
 *   a level-0 bucket holds a single time value. A bitmap per level finds
 *   the lowest non-empty bucket in a few word scans. Buckets are chains of
 *   32-item blocks from a pool allocated at init; a push appends to its
 *   bucket's head block, touching one bucket and one bitmap word.
 * - Bottom. A sorted array holding every pending item <= `bot_hi`; pops
 *   take its first item. When it runs empty, the lowest non-empty bucket is
 *   either split (more than SIM_EVQ_MOVE_MAX items, level > 0: ref becomes
 *   its lower bound and its items are re-filed one level down or more) or
 *   moved into the bottom together with the next buckets of its level, up
 *   to SIM_EVQ_GATHER_MAX items, and sorted. A push <= bot_hi is a sorted
 *   insertion into the bottom; once the bottom holds SIM_EVQ_BOT_MAX items,
 *   the next such push first re-files the items later than the floor into
 *   the radix part relative to ref = floor (where a ladder queue would
 *   spawn a rung).
 *
 * Complexity, n pending items, D = number of 8-bit digits in which pending
 * times differ from the floor (D <= 8; about 3 for a million items spread
 * over 10^7 ps): push O(1) plus, when it lands in the bottom, a sorted
 * insertion into at most SIM_EVQ_BOT_MAX items; pop amortised O(D): an item
 * is re-filed at most once per level on its way down, and every demotion is
 * paid for by the SIM_EVQ_BOT_MAX - SIM_EVQ_GATHER_MAX pushes before it.
 * Peek is O(1) except right after the bottom empties, when it scans one
 * bucket (the result is cached until the next pop). One pathological case:
 * the bottom is a single time value (a level-0 bucket), and a push at that
 * time carries a tag below pending tags of that time; it shifts them, O(k)
 * for k items at that time. Engine tags grow, so this does not happen in
 * practice; a bucket of one time with more than SIM_EVQ_GATHER_MAX items is
 * sorted by heapsort unless already in order.
 *
 * Memory, for capacity c: 32 bytes per item for the bottom (twice c, so
 * that compacting it is rare), 16 bytes per item in blocks, one spare
 * 512-byte block per possible bucket (min(c, 2048) of them, at most 1 MiB),
 * and 16 KiB of bucket heads. All of it is allocated by sim_evq_init;
 * nothing afterwards. Every loop is bounded by the capacity, a block, the
 * 256 digits or the 8 levels.
 *
 * Ownership and threading: struct sim_evq lives in caller storage and owns
 * the memory sim_evq_init allocates until sim_evq_fini. Items are copied in
 * and out; no pointer into the queue escapes. Not thread-safe (one engine,
 * one host thread).
 */
#ifndef IOSIM_SIM_EVQ_H
#define IOSIM_SIM_EVQ_H

#include <stdbool.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/engine/time.h"

struct sim_evq_item {
    sim_time_ps time_ps;
    uint64_t tag;
};
_Static_assert(sizeof(struct sim_evq_item) == 16, "evq items are 16 bytes");

/* Largest capacity sim_evq_init accepts. */
#define SIM_EVQ_ITEMS_MAX (UINT32_C(1) << 30)

/* Digits, buckets and the thresholds that move items between parts
 * (tuned with bench_hold: halving or doubling any of the last three moves
 * the hold figures by a few per cent either way). */
#define SIM_EVQ_DIGIT_BITS 8
#define SIM_EVQ_LEVELS 8       /* 64 / SIM_EVQ_DIGIT_BITS */
#define SIM_EVQ_DIGITS 256     /* buckets per level */
#define SIM_EVQ_BLOCK_ITEMS 32 /* items per block of a bucket chain */
#define SIM_EVQ_MOVE_MAX 16    /* a bucket up to this size is moved, not split */
#define SIM_EVQ_GATHER_MAX 32  /* a refill gathers buckets up to this many items */
#define SIM_EVQ_BOT_MAX 64     /* a bottom this big is demoted on the next insert */

/* One bucket of the radix part: a chain of blocks, newest first. Only the
 * head block may be partly filled; it holds count % BLOCK_ITEMS items (a
 * full block if that is 0 and count > 0). */
struct sim_evq_bucket {
    uint32_t head_block; /* SIM_EVQ_NIL when count == 0 */
    uint32_t count;
};

#define SIM_EVQ_NIL UINT32_MAX

/*
 * Invariants (between calls):
 *  - len == bottom items + sum of bucket counts <= items_max.
 *  - floor_ps <= every pending time.
 *  - bottom = bot[bot_head, bot_tail), sorted by (time, tag), every time
 *    <= bot_hi; every radix item > bot_hi and >= ref; bot_hi + 1 >= ref, so
 *    anything routed to the radix part is >= ref.
 *  - [bot_lo, bot_hi] is a run of whole buckets of level bot_level that
 *    share ref's digits above bot_level; it contains floor_ps unless it is
 *    a single time; all radix items sit at levels >= bot_level.
 *  - bit (level, digit) of nonempty is set iff that bucket's count > 0;
 *    bit L of levels_nonempty is set iff level L has a set bit.
 *  - peek_ok implies the bottom is empty and peek_item is the minimum.
 */
struct sim_evq {
    struct sim_evq_item *bot;        /* owned; 2 * items_max slots */
    struct sim_evq_item *blocks;     /* owned; blocks_max * BLOCK_ITEMS */
    uint32_t *block_next;            /* owned; chain links, also the free list */
    struct sim_evq_bucket *buckets;  /* owned; LEVELS * DIGITS */
    uint32_t bot_head, bot_tail, bot_cap;
    uint32_t bot_level;
    uint32_t blocks_max, free_block, blocks_used;
    uint32_t len, items_max;
    uint32_t levels_nonempty;
    bool peek_ok;
    sim_time_ps ref, bot_lo, bot_hi, floor_ps;
    struct sim_evq_item peek_item;
    uint64_t nonempty[SIM_EVQ_LEVELS][SIM_EVQ_DIGITS / 64];
};

/* Allocates everything for up to items_max pending items (1 ..
 * SIM_EVQ_ITEMS_MAX; else IOSIM_EINVAL). IOSIM_ENOMEM leaves *q unusable
 * but safe to fini. Floor starts at 0. */
enum iosim_err sim_evq_init(struct sim_evq *q, uint32_t items_max);

/* Frees what init allocated; *q may be re-initialised. Safe on a zeroed
 * struct and after a failed init. */
void sim_evq_fini(struct sim_evq *q);

/* Adds (time_ps, tag). IOSIM_EINVAL if time_ps < sim_evq_floor(q),
 * IOSIM_ENOSPC if items_max items are pending; the queue is unchanged on
 * error. Tags need not be unique, but equal (time, tag) pairs pop in an
 * unspecified order. */
enum iosim_err sim_evq_push(struct sim_evq *q, sim_time_ps time_ps, uint64_t tag);

/* Removes the least (time, tag) into *out and raises the floor to its
 * time; false (and *out untouched) when empty. */
bool sim_evq_pop(struct sim_evq *q, struct sim_evq_item *out);

/* Like pop without removing. May update internal caches, hence non-const. */
bool sim_evq_peek(struct sim_evq *q, struct sim_evq_item *out);

/* Number of pending items. */
uint32_t sim_evq_len(const struct sim_evq *q);

/* Time of the last popped item (0 before the first pop). */
sim_time_ps sim_evq_floor(const struct sim_evq *q);

/* Debug check of every invariant above, O(n + buckets); for asserts and
 * tests. */
bool sim_evq_check(const struct sim_evq *q);

#endif /* IOSIM_SIM_EVQ_H */
