/* The pending-event set: a 256-way radix heap over time with a sorted
 * bottom. evq.h explains the structure, its invariants and its costs. */
#include "sim/engine/evq.h"

#include <stdlib.h>
#include <string.h>

#include "impl/port/check.h"

#define EVQ_B SIM_EVQ_BLOCK_ITEMS
#define EVQ_BUCKETS (SIM_EVQ_LEVELS * SIM_EVQ_DIGITS)

_Static_assert((EVQ_B & (EVQ_B - 1)) == 0, "block size is a power of two");
_Static_assert(SIM_EVQ_LEVELS * SIM_EVQ_DIGIT_BITS == 64, "digits cover 64 bits");
_Static_assert(SIM_EVQ_DIGITS == 1 << SIM_EVQ_DIGIT_BITS, "digit range");
_Static_assert(SIM_EVQ_MOVE_MAX <= SIM_EVQ_GATHER_MAX, "a moved bucket can be gathered");
_Static_assert(2 * SIM_EVQ_GATHER_MAX <= SIM_EVQ_BOT_MAX, "demotions are paid for");

static inline bool evq_less(struct sim_evq_item a, struct sim_evq_item b)
{
    return a.time_ps < b.time_ps || (a.time_ps == b.time_ps && a.tag < b.tag);
}

/* Most significant digit in which x and ref differ; 0 when equal. */
static inline uint32_t evq_level(sim_time_ps x, sim_time_ps ref)
{
    return (uint32_t)(63 - __builtin_clzll((x ^ ref) | 1)) / SIM_EVQ_DIGIT_BITS;
}

static inline uint32_t evq_digit(sim_time_ps x, uint32_t level)
{
    return (uint32_t)(x >> (level * SIM_EVQ_DIGIT_BITS)) & (SIM_EVQ_DIGITS - 1);
}

/* Lowest time of bucket (level, digit) relative to ref: ref's digits above
 * level, then digit, then zeros. */
static sim_time_ps evq_bucket_lo(sim_time_ps ref, uint32_t level, uint32_t digit)
{
    uint32_t shift = level * SIM_EVQ_DIGIT_BITS;
    uint32_t above = shift + SIM_EVQ_DIGIT_BITS;
    sim_time_ps keep = above >= 64 ? 0 : ref & ~((UINT64_C(1) << above) - 1);
    return keep | ((sim_time_ps)digit << shift);
}

static inline struct sim_evq_item *evq_block(const struct sim_evq *q, uint32_t block)
{
    return &q->blocks[(size_t)block * EVQ_B];
}

/* Items in the head block of a non-empty chain (the others are full). */
static inline uint32_t evq_head_fill(uint32_t count)
{
    uint32_t fill = count & (EVQ_B - 1);
    return fill == 0 ? EVQ_B : fill;
}

static inline void evq_block_free(struct sim_evq *q, uint32_t block)
{
    ASSERT(q->blocks_used > 0);
    q->block_next[block] = q->free_block;
    q->free_block = block;
    q->blocks_used--;
}

/* Appends to bucket (level, digit) of x relative to q->ref. */
static inline void evq_radix_push(struct sim_evq *q, struct sim_evq_item it)
{
    ASSERT(it.time_ps >= q->ref);
    ASSERT(it.time_ps > q->bot_hi);
    uint32_t level = evq_level(it.time_ps, q->ref);
    uint32_t digit = evq_digit(it.time_ps, level);
    struct sim_evq_bucket *b = &q->buckets[level * SIM_EVQ_DIGITS + digit];
    uint32_t fill = b->count & (EVQ_B - 1);
    if (fill == 0) {
        /* The pool holds a block per SIM_EVQ_BLOCK_ITEMS items plus a
         * spare per bucket, so it cannot run dry while len <= items_max. */
        uint32_t block = q->free_block;
        ASSERT(block != SIM_EVQ_NIL);
        q->free_block = q->block_next[block];
        q->block_next[block] = b->head_block;
        b->head_block = block;
        q->blocks_used++;
    }
    evq_block(q, b->head_block)[fill] = it;
    b->count++;
    q->nonempty[level][digit / 64] |= UINT64_C(1) << (digit % 64);
    q->levels_nonempty |= 1u << level;
}

/* Finds the lowest non-empty bucket, i.e. the one holding the minimum of
 * the radix part. */
static bool evq_lowest(const struct sim_evq *q, uint32_t *level, uint32_t *digit)
{
    if (q->levels_nonempty == 0)
        return false;
    uint32_t l = (uint32_t)__builtin_ctz(q->levels_nonempty);
    for (uint32_t w = 0; w < SIM_EVQ_DIGITS / 64; w++) {
        uint64_t bits = q->nonempty[l][w];
        if (bits != 0) {
            *level = l;
            *digit = w * 64 + (uint32_t)__builtin_ctzll(bits);
            ASSERT(q->buckets[l * SIM_EVQ_DIGITS + *digit].count > 0);
            return true;
        }
    }
    ASSERT(!"levels_nonempty out of step with the bitmap");
    return false;
}

/* Empties bucket (level, digit) and returns its chain for the caller to
 * walk and free. */
static struct sim_evq_bucket evq_bucket_detach(struct sim_evq *q, uint32_t level, uint32_t digit)
{
    struct sim_evq_bucket *b = &q->buckets[level * SIM_EVQ_DIGITS + digit];
    struct sim_evq_bucket taken = *b;
    ASSERT(taken.count > 0);
    ASSERT(taken.head_block != SIM_EVQ_NIL);
    b->count = 0;
    b->head_block = SIM_EVQ_NIL;
    uint64_t *word = &q->nonempty[level][digit / 64];
    *word &= ~(UINT64_C(1) << (digit % 64));
    bool level_empty = true;
    for (uint32_t w = 0; w < SIM_EVQ_DIGITS / 64; w++)
        level_empty = level_empty && q->nonempty[level][w] == 0;
    if (level_empty)
        q->levels_nonempty &= ~(1u << level);
    return taken;
}

static inline void evq_prefetch_block(const struct sim_evq *q, uint32_t block)
{
    if (block == SIM_EVQ_NIL)
        return;
    const char *p = (const char *)evq_block(q, block);
    for (size_t off = 0; off < EVQ_B * sizeof(struct sim_evq_item); off += 64)
        __builtin_prefetch(p + off);
}

/* Re-files the items of a detached chain relative to the current ref. */
static void evq_redistribute(struct sim_evq *q, struct sim_evq_bucket chain)
{
    uint32_t block = chain.head_block;
    uint32_t n = evq_head_fill(chain.count);
    for (uint32_t left = chain.count; left > 0;) {
        ASSERT(block != SIM_EVQ_NIL);
        ASSERT(n <= left);
        uint32_t next = q->block_next[block];
        evq_prefetch_block(q, next);
        const struct sim_evq_item *src = evq_block(q, block);
        for (uint32_t i = 0; i < n; i++)
            evq_radix_push(q, src[i]);
        evq_block_free(q, block);
        left -= n;
        block = next;
        n = EVQ_B;
    }
    ASSERT(block == SIM_EVQ_NIL);
}

/* Sorts a[0, n) by (time, tag): insertion sort, cheap for the small or
 * nearly sorted runs the bottom receives. */
static void evq_sort_insertion(struct sim_evq_item *a, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        struct sim_evq_item it = a[i];
        uint32_t j = i;
        while (j > 0 && evq_less(it, a[j - 1])) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = it;
    }
}

static void evq_sift_down(struct sim_evq_item *a, uint32_t root, uint32_t n)
{
    struct sim_evq_item it = a[root];
    uint32_t i = root;
    for (;;) {
        uint64_t child = 2 * (uint64_t)i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && evq_less(a[child], a[child + 1]))
            child++;
        if (!evq_less(it, a[child]))
            break;
        a[i] = a[child];
        i = (uint32_t)child;
    }
    a[i] = it;
}

/* Heapsort: O(n log n) whatever the input, no extra memory. Used for big
 * single-time buckets that are not already in tag order. */
static void evq_sort_heap(struct sim_evq_item *a, uint32_t n)
{
    for (uint32_t i = n / 2; i-- > 0;)
        evq_sift_down(a, i, n);
    for (uint32_t end = n; end-- > 1;) {
        struct sim_evq_item top = a[0];
        a[0] = a[end];
        a[end] = top;
        evq_sift_down(a, 0, end);
    }
}

static bool evq_sorted(const struct sim_evq_item *a, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++)
        if (evq_less(a[i], a[i - 1]))
            return false;
    return true;
}

/* Next non-empty digit >= from at level, or SIM_EVQ_DIGITS if none. */
static uint32_t evq_next_digit(const struct sim_evq *q, uint32_t level, uint32_t from)
{
    ASSERT(level < SIM_EVQ_LEVELS);
    for (uint32_t w = from / 64; w < SIM_EVQ_DIGITS / 64; w++) {
        uint64_t bits = q->nonempty[level][w];
        if (w == from / 64)
            bits &= ~UINT64_C(0) << (from % 64);
        if (bits != 0)
            return w * 64 + (uint32_t)__builtin_ctzll(bits);
    }
    return SIM_EVQ_DIGITS;
}

/* Appends a detached chain to the bottom in push order (the chain is
 * newest block first, so its blocks are laid down from the end of its
 * stretch) and frees its blocks. */
static void evq_chain_to_bottom(struct sim_evq *q, struct sim_evq_bucket chain)
{
    ASSERT(q->bot_tail + chain.count <= q->bot_cap);
    uint32_t pos = q->bot_tail + chain.count;
    uint32_t block = chain.head_block;
    uint32_t n = evq_head_fill(chain.count);
    while (block != SIM_EVQ_NIL) {
        ASSERT(n <= pos - q->bot_tail);
        uint32_t next = q->block_next[block];
        pos -= n;
        memcpy(&q->bot[pos], evq_block(q, block), n * sizeof(struct sim_evq_item));
        evq_block_free(q, block);
        block = next;
        n = EVQ_B;
    }
    ASSERT(pos == q->bot_tail);
    q->bot_tail += chain.count;
}

/* Moves bucket (level, digit) into the empty bottom, with the next
 * buckets of the same level while they fit SIM_EVQ_GATHER_MAX together, so
 * that sparse buckets do not cost a refill each. The bottom's range becomes
 * those buckets' span; the gaps between them are empty in the radix part,
 * so pushes there belong to the bottom too. */
static void evq_gather(struct sim_evq *q, uint32_t level, uint32_t digit)
{
    ASSERT(q->bot_head == q->bot_tail);
    uint32_t last = digit;
    q->bot_head = q->bot_tail = 0;
    for (uint32_t d = digit; d < SIM_EVQ_DIGITS; d = evq_next_digit(q, level, d + 1)) {
        uint32_t count = q->buckets[level * SIM_EVQ_DIGITS + d].count;
        if (q->bot_tail > 0 && q->bot_tail + count > SIM_EVQ_GATHER_MAX)
            break;
        evq_chain_to_bottom(q, evq_bucket_detach(q, level, d));
        last = d;
    }
    uint64_t span_m1 = (UINT64_C(1) << (level * SIM_EVQ_DIGIT_BITS)) - 1;
    q->bot_lo = evq_bucket_lo(q->ref, level, digit);
    q->bot_hi = evq_bucket_lo(q->ref, level, last) + span_m1;
    q->bot_level = level;
    /* Only a lone level-0 bucket exceeds GATHER_MAX: a single time, whose
     * tags often arrive in order already. */
    if (q->bot_tail <= SIM_EVQ_GATHER_MAX)
        evq_sort_insertion(q->bot, q->bot_tail);
    else if (!evq_sorted(q->bot, q->bot_tail))
        evq_sort_heap(q->bot, q->bot_tail);
    ASSERT(evq_sorted(q->bot, q->bot_tail));
}

/* Makes the bottom non-empty from the radix part; false if that is empty
 * too. Each round either moves buckets or splits one into lower levels,
 * so there are at most SIM_EVQ_LEVELS rounds. */
static bool evq_refill(struct sim_evq *q)
{
    ASSERT(q->bot_head == q->bot_tail);
    for (uint32_t round = 0; round < SIM_EVQ_LEVELS; round++) {
        uint32_t level, digit;
        if (!evq_lowest(q, &level, &digit))
            return false;
        uint32_t count = q->buckets[level * SIM_EVQ_DIGITS + digit].count;
        if (level == 0 || count <= SIM_EVQ_MOVE_MAX) {
            /* ref may stay: items above the new bot_hi keep their buckets. */
            evq_gather(q, level, digit);
            return true;
        }
        /* All of the bucket shares ref's digits from `level` up once ref is
         * its lower bound, so every item lands strictly lower. */
        q->ref = evq_bucket_lo(q->ref, level, digit);
        evq_redistribute(q, evq_bucket_detach(q, level, digit));
    }
    ASSERT(!"refill did not converge in SIM_EVQ_LEVELS rounds");
    return false;
}

/* The bottom grew too big: keep the items at the floor time, re-file the
 * rest relative to ref = floor. The bottom's range is a run of buckets at
 * bot_level that share ref's digits above bot_level, and floor lies in it,
 * so every radix item keeps its bucket relative to the new ref; the
 * re-filed ones land in buckets the range had emptied, or lower. A
 * demotion takes at least SIM_EVQ_BOT_MAX - SIM_EVQ_GATHER_MAX pushes into
 * the bottom since the last refill (afterwards the range is one time, and
 * only a refill widens it), which pays for it. */
static void evq_demote(struct sim_evq *q)
{
    ASSERT(q->bot_lo < q->bot_hi);
    ASSERT(q->bot_lo <= q->floor_ps);
    ASSERT(q->floor_ps <= q->bot_hi);
    uint32_t keep = q->bot_head;
    while (keep < q->bot_tail && q->bot[keep].time_ps == q->floor_ps)
        keep++;
    uint32_t end = q->bot_tail;
    q->ref = q->floor_ps;
    q->bot_lo = q->floor_ps;
    q->bot_hi = q->floor_ps;
    q->bot_level = 0;
    q->bot_tail = keep;
    if (keep == q->bot_head)
        q->bot_head = q->bot_tail = 0;
    for (uint32_t i = keep; i < end; i++)
        evq_radix_push(q, q->bot[i]);
}

/* Sorted insertion from the end (new events usually sort last). */
static void evq_bottom_insert(struct sim_evq *q, struct sim_evq_item it)
{
    ASSERT(it.time_ps <= q->bot_hi);
    if (q->bot_tail == q->bot_cap) {
        /* bot_cap is twice items_max, so this runs at most once per
         * items_max insertions. */
        uint32_t n = q->bot_tail - q->bot_head;
        ASSERT(q->bot_head > 0);
        memmove(q->bot, &q->bot[q->bot_head], n * sizeof(struct sim_evq_item));
        q->bot_head = 0;
        q->bot_tail = n;
    }
    uint32_t j = q->bot_tail;
    while (j > q->bot_head && evq_less(it, q->bot[j - 1])) {
        q->bot[j] = q->bot[j - 1];
        j--;
    }
    q->bot[j] = it;
    q->bot_tail++;
}

enum iosim_err sim_evq_init(struct sim_evq *q, uint32_t items_max)
{
    ASSERT(q != NULL);
    memset(q, 0, sizeof *q);
    if (items_max == 0 || items_max > SIM_EVQ_ITEMS_MAX)
        return IOSIM_EINVAL;
    /* Full blocks for every item, a partly filled head per non-empty
     * bucket (at most min(items_max, buckets) of them), one for the chain a
     * split is reading and one to spare. */
    uint32_t heads = items_max < EVQ_BUCKETS ? items_max : EVQ_BUCKETS;
    q->blocks_max = items_max / EVQ_B + heads + 2;
    q->bot_cap = 2 * items_max;
    q->bot = malloc((size_t)q->bot_cap * sizeof *q->bot);
    q->blocks = malloc((size_t)q->blocks_max * EVQ_B * sizeof *q->blocks);
    q->block_next = malloc((size_t)q->blocks_max * sizeof *q->block_next);
    q->buckets = malloc((size_t)EVQ_BUCKETS * sizeof *q->buckets);
    if (!q->bot || !q->blocks || !q->block_next || !q->buckets) {
        sim_evq_fini(q);
        return IOSIM_ENOMEM;
    }
    for (uint32_t i = 0; i < q->blocks_max; i++)
        q->block_next[i] = i + 1 < q->blocks_max ? i + 1 : SIM_EVQ_NIL;
    for (uint32_t i = 0; i < EVQ_BUCKETS; i++)
        q->buckets[i] = (struct sim_evq_bucket){.head_block = SIM_EVQ_NIL, .count = 0};
    q->free_block = 0;
    q->items_max = items_max;
    /* The bottom starts as the single time 0 (level 0, ref 0). */
    ASSERT(sim_evq_check(q));
    return IOSIM_OK;
}

void sim_evq_fini(struct sim_evq *q)
{
    ASSERT(q != NULL);
    free(q->bot);
    free(q->blocks);
    free(q->block_next);
    free(q->buckets);
    memset(q, 0, sizeof *q);
}

enum iosim_err sim_evq_push(struct sim_evq *q, sim_time_ps time_ps, uint64_t tag)
{
    ASSERT(q != NULL);
    ASSERT(q->bot != NULL);
    if (time_ps < q->floor_ps)
        return IOSIM_EINVAL;
    if (q->len >= q->items_max)
        return IOSIM_ENOSPC;
    struct sim_evq_item it = {.time_ps = time_ps, .tag = tag};
    if (time_ps <= q->bot_hi && q->bot_lo < q->bot_hi &&
        q->bot_tail - q->bot_head >= SIM_EVQ_BOT_MAX)
        evq_demote(q);
    if (time_ps <= q->bot_hi) {
        evq_bottom_insert(q, it);
        q->peek_ok = false;
    } else {
        evq_radix_push(q, it);
        if (q->peek_ok && evq_less(it, q->peek_item))
            q->peek_item = it;
    }
    q->len++;
    return IOSIM_OK;
}

bool sim_evq_pop(struct sim_evq *q, struct sim_evq_item *out)
{
    ASSERT(q != NULL);
    ASSERT(out != NULL);
    if (q->bot_head == q->bot_tail && !evq_refill(q))
        return false;
    *out = q->bot[q->bot_head++];
    if (q->bot_head == q->bot_tail)
        q->bot_head = q->bot_tail = 0;
    ASSERT(out->time_ps >= q->floor_ps);
    q->floor_ps = out->time_ps;
    q->len--;
    q->peek_ok = false;
    return true;
}

/* Minimum of the lowest bucket, without reorganising. A refill here could
 * set ref above the floor; pushes between the two would then pile into the
 * bottom below its range, where a demotion cannot split them off. */
static bool evq_scan_min(const struct sim_evq *q, struct sim_evq_item *out)
{
    uint32_t level, digit;
    if (!evq_lowest(q, &level, &digit))
        return false;
    const struct sim_evq_bucket *b = &q->buckets[level * SIM_EVQ_DIGITS + digit];
    ASSERT(b->count > 0);
    uint32_t block = b->head_block;
    uint32_t n = evq_head_fill(b->count);
    struct sim_evq_item best = evq_block(q, block)[0];
    for (uint32_t left = b->count; left > 0; left -= n, n = EVQ_B) {
        ASSERT(block != SIM_EVQ_NIL);
        const struct sim_evq_item *src = evq_block(q, block);
        for (uint32_t i = 0; i < n; i++)
            if (evq_less(src[i], best))
                best = src[i];
        block = q->block_next[block];
    }
    *out = best;
    return true;
}

bool sim_evq_peek(struct sim_evq *q, struct sim_evq_item *out)
{
    ASSERT(q != NULL);
    ASSERT(out != NULL);
    if (q->bot_head != q->bot_tail) {
        *out = q->bot[q->bot_head];
        return true;
    }
    if (!q->peek_ok) {
        if (!evq_scan_min(q, &q->peek_item))
            return false;
        q->peek_ok = true;
    }
    *out = q->peek_item;
    return true;
}

uint32_t sim_evq_len(const struct sim_evq *q)
{
    ASSERT(q != NULL);
    return q->len;
}

sim_time_ps sim_evq_floor(const struct sim_evq *q)
{
    ASSERT(q != NULL);
    return q->floor_ps;
}

/* ---- invariant checker (debug asserts and tests) ---- */

#define EVQ_CHECK(cond)     \
    do {                    \
        if (!(cond))        \
            return false;   \
    } while (0)

static bool evq_check_bottom(const struct sim_evq *q)
{
    EVQ_CHECK(q->bot_head <= q->bot_tail && q->bot_tail <= q->bot_cap);
    EVQ_CHECK(q->bot_level < SIM_EVQ_LEVELS);
    uint32_t shift = q->bot_level * SIM_EVQ_DIGIT_BITS;
    uint64_t span_m1 = (UINT64_C(1) << shift) - 1;
    EVQ_CHECK(q->bot_lo <= q->bot_hi);
    EVQ_CHECK((q->bot_lo & span_m1) == 0 && (q->bot_hi & span_m1) == span_m1);
    if (shift + SIM_EVQ_DIGIT_BITS < 64) { /* one run of buckets under ref's upper digits */
        EVQ_CHECK((q->bot_lo ^ q->bot_hi) >> (shift + SIM_EVQ_DIGIT_BITS) == 0);
        EVQ_CHECK((q->bot_lo ^ q->ref) >> (shift + SIM_EVQ_DIGIT_BITS) == 0);
    }
    EVQ_CHECK(q->bot_hi == UINT64_MAX || q->ref <= q->bot_hi + 1);
    if (q->bot_lo < q->bot_hi)
        EVQ_CHECK(q->bot_lo <= q->floor_ps && q->floor_ps <= q->bot_hi);
    for (uint32_t i = q->bot_head; i < q->bot_tail; i++) {
        EVQ_CHECK(q->bot[i].time_ps >= q->floor_ps && q->bot[i].time_ps <= q->bot_hi);
        EVQ_CHECK(i == q->bot_head || !evq_less(q->bot[i], q->bot[i - 1]));
    }
    EVQ_CHECK(!q->peek_ok || q->bot_head == q->bot_tail);
    return true;
}

/* Checks one bucket's chain and placement; adds its items to *items and
 * its blocks to *blocks, and folds its minimum into *min. */
static bool evq_check_bucket(const struct sim_evq *q, uint32_t level, uint32_t digit,
                             uint64_t *items, uint64_t *blocks, struct sim_evq_item *min)
{
    const struct sim_evq_bucket *b = &q->buckets[level * SIM_EVQ_DIGITS + digit];
    bool bit = (q->nonempty[level][digit / 64] >> (digit % 64)) & 1;
    EVQ_CHECK(bit == (b->count > 0));
    EVQ_CHECK((b->count == 0) == (b->head_block == SIM_EVQ_NIL));
    if (b->count == 0)
        return true;
    EVQ_CHECK(level >= q->bot_level);
    uint32_t block = b->head_block;
    uint32_t n = evq_head_fill(b->count);
    uint64_t seen = 0, nblocks = 0;
    while (block != SIM_EVQ_NIL) {
        EVQ_CHECK(block < q->blocks_max && nblocks < q->blocks_max);
        const struct sim_evq_item *src = evq_block(q, block);
        for (uint32_t i = 0; i < n; i++) {
            sim_time_ps t = src[i].time_ps;
            EVQ_CHECK(t >= q->ref && t > q->bot_hi && t >= q->floor_ps);
            EVQ_CHECK(evq_level(t, q->ref) == level && evq_digit(t, level) == digit);
            if (evq_less(src[i], *min))
                *min = src[i];
        }
        seen += n;
        nblocks++;
        block = q->block_next[block];
        n = EVQ_B;
    }
    EVQ_CHECK(seen == b->count);
    *items += seen;
    *blocks += nblocks;
    return true;
}

bool sim_evq_check(const struct sim_evq *q)
{
    ASSERT(q != NULL);
    EVQ_CHECK(q->bot && q->blocks && q->block_next && q->buckets);
    EVQ_CHECK(evq_check_bottom(q));
    uint64_t items = q->bot_tail - q->bot_head, blocks = 0;
    struct sim_evq_item min = {UINT64_MAX, UINT64_MAX};
    bool any_radix = false;
    for (uint32_t level = 0; level < SIM_EVQ_LEVELS; level++) {
        bool level_bits = false;
        for (uint32_t w = 0; w < SIM_EVQ_DIGITS / 64; w++)
            level_bits = level_bits || q->nonempty[level][w] != 0;
        EVQ_CHECK(level_bits == ((q->levels_nonempty >> level) & 1));
        any_radix = any_radix || level_bits;
        for (uint32_t digit = 0; digit < SIM_EVQ_DIGITS; digit++)
            EVQ_CHECK(evq_check_bucket(q, level, digit, &items, &blocks, &min));
    }
    EVQ_CHECK(items == q->len && q->len <= q->items_max);
    EVQ_CHECK(blocks == q->blocks_used && blocks <= q->blocks_max);
    uint64_t free_blocks = 0;
    for (uint32_t b = q->free_block; b != SIM_EVQ_NIL; b = q->block_next[b]) {
        EVQ_CHECK(b < q->blocks_max && free_blocks < q->blocks_max);
        free_blocks++;
    }
    EVQ_CHECK(free_blocks + blocks == q->blocks_max);
    if (q->peek_ok) {
        EVQ_CHECK(any_radix);
        EVQ_CHECK(q->peek_item.time_ps == min.time_ps && q->peek_item.tag == min.tag);
    }
    return true;
}
