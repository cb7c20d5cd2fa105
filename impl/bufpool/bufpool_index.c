/*
 * The free-range index of the buffer pool: bins (L, r) as doubly linked
 * lists whose links live in a compact array beside the block records (so
 * moving a block between bins touches 8-byte entries, never another
 * block's record), a residue bitmap per L, and a three-level bitmap over
 * the non-empty L. The searches and their bounds are described in
 * bufpool.h.
 */
#include <string.h>

#include "impl/bufpool/bufpool_internal.h"
#include "impl/port/check.h"

/* ---- three-level bitmaps ------------------------------------------------------------ */

static inline uint64_t bit(uint32_t i)
{
    return 1ull << (i & 63u);
}

static inline void bp_bits_set(struct bp_bits *b, uint32_t i)
{
    ASSERT(i < (1u << 18));
    uint64_t *w0 = &b->l0[i >> 6], old0 = *w0;
    *w0 = old0 | bit(i);
    ASSERT(old0 == 0 || (b->l1[i >> 12] & bit(i >> 6)) != 0); /* summaries were set */
    if (old0 != 0) /* the summaries already say so */
        return;
    uint64_t *w1 = &b->l1[i >> 12], old1 = *w1;
    *w1 = old1 | bit(i >> 6);
    if (old1 == 0)
        b->l2 |= bit(i >> 12);
    ASSERT((b->l2 & bit(i >> 12)) != 0);
}

static inline void bp_bits_clear(struct bp_bits *b, uint32_t i)
{
    ASSERT(i < (1u << 18));
    if ((b->l0[i >> 6] &= ~bit(i)) != 0)
        return;
    ASSERT((b->l0[i >> 6] & bit(i)) == 0);
    if ((b->l1[i >> 12] &= ~bit(i >> 6)) != 0)
        return;
    b->l2 &= ~bit(i >> 12);
}

static inline bool bp_bits_test(const struct bp_bits *b, uint32_t i)
{
    ASSERT(i < (1u << 18));
    return (b->l0[i >> 6] & bit(i)) != 0;
}

/* Lowest set bit of word w of level 1 resolved down to a bit index. */
static inline uint32_t bits_down_from_l1(const struct bp_bits *b, uint32_t w1)
{
    ASSERT(b->l1[w1] != 0);
    uint32_t w0 = (w1 << 6) | (uint32_t)__builtin_ctzll(b->l1[w1]);
    ASSERT(b->l0[w0] != 0);
    return (w0 << 6) | (uint32_t)__builtin_ctzll(b->l0[w0]);
}

static inline uint32_t bp_bits_next(const struct bp_bits *b, uint32_t from)
{
    if (from >= (1u << 18))
        return BP_NONE;
    uint32_t w0 = from >> 6;
    uint64_t m = b->l0[w0] & (~0ull << (from & 63u));
    if (m != 0)
        return (w0 << 6) | (uint32_t)__builtin_ctzll(m);
    ASSERT(w0 < (1u << 12));
    /* level 1: words of level 0 after w0, within w0's level-1 word */
    uint32_t n0 = w0 + 1;
    uint32_t w1 = n0 >> 6;
    if ((n0 & 63u) != 0) {
        m = b->l1[w1] & (~0ull << (n0 & 63u));
        if (m != 0) {
            uint32_t x0 = (w1 << 6) | (uint32_t)__builtin_ctzll(m);
            ASSERT(x0 > w0 && b->l0[x0] != 0); /* a summary bit means a set word */
            return (x0 << 6) | (uint32_t)__builtin_ctzll(b->l0[x0]);
        }
        w1++;
    }
    /* level 2: level-1 words from w1 on */
    if (w1 >= 64)
        return BP_NONE;
    m = b->l2 & (~0ull << w1);
    if (m == 0)
        return BP_NONE;
    return bits_down_from_l1(b, (uint32_t)__builtin_ctzll(m));
}

static inline uint32_t bp_bits_last(const struct bp_bits *b)
{
    if (b->l2 == 0)
        return BP_NONE;
    uint32_t w1 = 63u - (uint32_t)__builtin_clzll(b->l2);
    ASSERT(b->l1[w1] != 0);
    uint32_t w0 = (w1 << 6) | (63u - (uint32_t)__builtin_clzll(b->l1[w1]));
    ASSERT(b->l0[w0] != 0);
    return (w0 << 6) | (63u - (uint32_t)__builtin_clzll(b->l0[w0]));
}

/* ---- residues ---------------------------------------------------------------------------- */

static uint32_t residue(const struct bufpool *p, const struct bp_block *b)
{
    ASSERT(p->res != 0 && (p->res & (p->res - 1)) == 0);
    return b->off & (p->res - 1);
}

static uint32_t bin_len(const struct bufpool *p, const struct bp_block *b)
{
    uint32_t u = bp_usable(p, b);
    ASSERT(u >= 1 && u <= b->len);
    return u < p->lmax ? u : p->lmax;
}

static uint64_t *row(struct bufpool *p, uint32_t l)
{
    ASSERT(l <= p->lmax);
    ASSERT(p->row_words >= 1);
    return &p->rows[(size_t)l * p->row_words];
}

static bool row_empty(struct bufpool *p, uint32_t l)
{
    const uint64_t *w = row(p, l);
    ASSERT(p->row_words == (p->res + 63) / 64);
    for (uint32_t i = 0; i < p->row_words; i++)
        if (w[i] != 0)
            return false;
    return true;
}

/* The lowest residue present in a non-empty row. */
static uint32_t row_first(struct bufpool *p, uint32_t l)
{
    const uint64_t *w = row(p, l);
    for (uint32_t i = 0; i < p->row_words; i++)
        if (w[i] != 0)
            return (i << 6) | (uint32_t)__builtin_ctzll(w[i]);
    ASSERT(false && "row_first on an empty row");
    return BP_NONE;
}

/* Bits [lo, hi] of word i that are set in w, as a residue, or BP_NONE. */
static uint32_t word_range(const uint64_t *w, uint32_t lo, uint32_t hi)
{
    ASSERT(lo <= hi);
    for (uint32_t i = lo >> 6; i <= hi >> 6; i++) {
        uint64_t m = w[i];
        if (i == lo >> 6)
            m &= ~0ull << (lo & 63u);
        if (i == hi >> 6 && (hi & 63u) != 63u)
            m &= (2ull << (hi & 63u)) - 1;
        if (m != 0)
            return (i << 6) | (uint32_t)__builtin_ctzll(m);
    }
    return BP_NONE;
}

/* A residue in row l whose pad at alignment 2^k is at most d (d < 2^k - 1),
 * i.e. r mod 2^k in {0} or [2^k - d, 2^k - 1]. O(W + R / 2^k). */
static uint32_t row_find_pad(struct bufpool *p, uint32_t l, uint32_t k, uint32_t d)
{
    ASSERT(k < p->classes);
    const uint64_t *w = row(p, l);
    uint32_t a = 1u << k;
    ASSERT(d + 1 < a);
    ASSERT(a <= p->res);
    if (a <= 64) {
        /* residue 0 of each period of a, and its top d residues */
        uint64_t period = d == 0 ? 1u : 1u | (((1ull << d) - 1) << (a - d));
        uint64_t m = period;
        for (uint32_t s = a; s < 64; s <<= 1)
            m |= m << s;
        for (uint32_t i = 0; i < p->row_words; i++)
            if ((w[i] & m) != 0)
                return (i << 6) | (uint32_t)__builtin_ctzll(w[i] & m);
        return BP_NONE;
    }
    for (uint32_t base = 0; base < p->res; base += a) {
        if ((w[base >> 6] & bit(base)) != 0)
            return base;
        if (d > 0) {
            uint32_t r = word_range(w, base + a - d, base + a - 1);
            if (r != BP_NONE)
                return r;
        }
    }
    return BP_NONE;
}

/* ---- bins ------------------------------------------------------------------------------- */

size_t bpi_layout(struct bufpool *p, uint8_t *base, size_t at)
{
    ASSERT(p->res >= 1 && p->lmax < (1u << 18)); /* the bitmap over lengths */
    size_t rows = (size_t)p->lmax + 1;
    size_t words0 = (rows + 63) / 64, words1 = (words0 + 63) / 64;
    ASSERT(words1 <= 64); /* l2 is one word */
#define BP_CARVE(field, type, count)                                   \
    do {                                                               \
        at = (at + 63) & ~(size_t)63;                                  \
        if (base != NULL)                                              \
            p->field = (type *)(void *)(base + at);                    \
        at += sizeof(type) * (size_t)(count);                          \
    } while (0)
    BP_CARVE(heads, uint32_t, rows * p->res);
    BP_CARVE(links, struct bp_link, p->blocks_cap);
    BP_CARVE(rows, uint64_t, rows * p->row_words);
    BP_CARVE(nonempty.l0, uint64_t, words0);
    BP_CARVE(nonempty.l1, uint64_t, words1);
#undef BP_CARVE
    return at;
}

/* A bin went from empty to one member (on) or back: the row's residue
 * bit and, when the whole row changes, the bitmap over L. */
static inline void bin_occupancy(struct bufpool *p, uint32_t l, uint32_t r, bool on)
{
    ASSERT(r < p->res);
    uint64_t *w = row(p, l);
    if (p->row_words == 1) { /* R <= 64: the row is one word */
        uint64_t old = w[0], now = on ? old | bit(r) : old & ~bit(r);
        w[0] = now;
        if ((old == 0) != (now == 0))
            on ? bp_bits_set(&p->nonempty, l) : bp_bits_clear(&p->nonempty, l);
        return;
    }
    bool was_empty = on && row_empty(p, l);
    if (on)
        w[r >> 6] |= bit(r);
    else
        w[r >> 6] &= ~bit(r);
    if (on ? was_empty : row_empty(p, l))
        on ? bp_bits_set(&p->nonempty, l) : bp_bits_clear(&p->nonempty, l);
}

void bpi_insert(struct bufpool *p, struct bp_block *b)
{
    ASSERT(b->state == BP_FREE);
    ASSERT(bp_block_ok(p, b));
    uint32_t l = bin_len(p, b), r = residue(p, b);
    uint32_t bi = (l << p->res_shift) | r;
    uint32_t me = bp_idx1(p, b), head = p->heads[bi];
    ASSERT(head != me); /* not in a bin already */
    b->bin = bi;
    p->links[me - 1] = (struct bp_link){.prev = 0, .next = head};
    if (head != 0)
        p->links[head - 1].prev = me;
    else
        bin_occupancy(p, l, r, true);
    p->heads[bi] = me;
    ASSERT(bp_bits_test(&p->nonempty, l));
}

void bpi_remove(struct bufpool *p, struct bp_block *b)
{
    ASSERT(b->state == BP_FREE);
    ASSERT(b->bin == ((bin_len(p, b) << p->res_shift) | residue(p, b)));
    uint32_t me = bp_idx1(p, b);
    struct bp_link lk = p->links[me - 1];
    if (lk.prev != 0)
        p->links[lk.prev - 1].next = lk.next;
    else
        p->heads[b->bin] = lk.next;
    if (lk.next != 0)
        p->links[lk.next - 1].prev = lk.prev;
    if (p->heads[b->bin] == 0)
        bin_occupancy(p, b->bin >> p->res_shift, b->bin & (p->res - 1), false);
    ASSERT(p->heads[b->bin] != me);
}

/* The bin's most recently added member (its memory is the likeliest to be
 * in cache). */
static struct bp_block *bin_head(struct bufpool *p, uint32_t l, uint32_t r)
{
    ASSERT(r != BP_NONE);
    struct bp_block *b = bp_at(p, p->heads[(l << p->res_shift) | r]);
    ASSERT(b->state == BP_FREE);
    return b;
}

/* A residue of row l whose range fits s at alignment 2^k (l >= s), or
 * BP_NONE: every residue when l leaves room for any padding. */
static uint32_t row_fit(struct bufpool *p, uint32_t l, uint32_t s, uint32_t k)
{
    ASSERT(l >= s);
    ASSERT(l <= p->lmax && k < p->classes);
    uint32_t d = l - s;
    if (d + 1 >= (1u << k))
        return row_first(p, l);
    return row_find_pad(p, l, k, d);
}

struct bp_block *bpi_find(struct bufpool *p, uint32_t s, uint32_t k)
{
    ASSERT(s >= 1 && s <= p->size_max_g && k < p->classes);
    uint32_t a = 1u << k;
    ASSERT(s + a - 1 <= p->lmax);
    /* the shortest ranges first: a tight fit wastes nothing */
    uint32_t first = bp_bits_next(&p->nonempty, s);
    if (first == BP_NONE)
        return NULL;
    uint32_t r = row_fit(p, first, s, k);
    if (r != BP_NONE)
        return bin_head(p, first, r);
    /* any range this long fits whatever its start; prefer an aligned one */
    uint32_t sure = bp_bits_next(&p->nonempty, s + a - 1);
    if (sure != BP_NONE) {
        r = k == 0 ? BP_NONE : row_find_pad(p, sure, k, 0);
        return bin_head(p, sure, r != BP_NONE ? r : row_first(p, sure));
    }
    /* the window: every other candidate is shorter than s + a - 1 */
    for (uint32_t l = bp_bits_next(&p->nonempty, first + 1); l != BP_NONE && l + 1 < s + a;
         l = bp_bits_next(&p->nonempty, l + 1)) {
        r = row_find_pad(p, l, k, l - s);
        if (r != BP_NONE)
            return bin_head(p, l, r);
    }
    return NULL;
}

uint32_t bpi_largest(struct bufpool *p)
{
    ASSERT(p != NULL);
    uint32_t l = bp_bits_last(&p->nonempty);
    if (l == BP_NONE)
        return 0;
    ASSERT(l <= p->lmax);
    if (l < p->lmax)
        return l;
    uint32_t best = 0;
    for (uint32_t r = 0; r < p->res; r++)
        for (uint32_t i = p->heads[(l << p->res_shift) | r]; i != 0; i = p->links[i - 1].next) {
            uint32_t u = bp_usable(p, bp_at(p, i));
            best = u > best ? u : best;
        }
    return best;
}

/* ---- self-check ---------------------------------------------------------------------------- */

static const char *check_bin(struct bufpool *p, uint32_t l, uint32_t r, uint32_t *members)
{
    uint32_t prev = 0, steps = 0;
    for (uint32_t i = p->heads[(l << p->res_shift) | r]; i != 0; i = p->links[i - 1].next) {
        if (i > p->blocks_hwm || ++steps > p->blocks_cap)
            return "a bin list is broken or loops";
        const struct bp_block *b = &p->blocks[i - 1];
        if (b->state != BP_FREE)
            return "a bin holds a block that is not free";
        if (bin_len(p, b) != l || residue(p, b) != r || b->bin != ((l << p->res_shift) | r))
            return "a block sits in the wrong bin";
        if (p->links[i - 1].prev != prev)
            return "a bin list's back link is wrong";
        prev = i;
        (*members)++;
    }
    return NULL;
}

static const char *check_row(struct bufpool *p, uint32_t l, uint32_t *members)
{
    bool any = false;
    for (uint32_t r = 0; r < p->res; r++) {
        uint32_t count = p->heads[(l << p->res_shift) | r];
        bool bit_on = (row(p, l)[r >> 6] & bit(r)) != 0;
        if (bit_on != (count != 0))
            return "residue bitmap disagrees with a bin";
        if (count == 0)
            continue;
        any = true;
        const char *why = check_bin(p, l, r, members);
        if (why != NULL)
            return why;
    }
    return bp_bits_test(&p->nonempty, l) == any ? NULL : "the bitmap over lengths is wrong";
}

static const char *check_bits(const struct bp_bits *b, uint32_t nbits)
{
    uint32_t words0 = (nbits + 63) / 64, words1 = (words0 + 63) / 64;
    for (uint32_t w0 = 0; w0 < words0; w0++)
        if ((b->l0[w0] != 0) != ((b->l1[w0 >> 6] & bit(w0)) != 0))
            return "a bitmap summary bit is wrong";
    for (uint32_t w1 = 0; w1 < words1; w1++)
        if ((b->l1[w1] != 0) != ((b->l2 & bit(w1)) != 0))
            return "a bitmap top bit is wrong";
    if (words1 < 64 && (b->l2 >> words1) != 0)
        return "a bitmap top bit is set past the end";
    return NULL;
}

const char *bpi_check(struct bufpool *p, uint32_t *free_blocks)
{
    ASSERT(p != NULL && free_blocks != NULL);
    *free_blocks = 0;
    const char *why = check_bits(&p->nonempty, p->lmax + 1);
    if (why != NULL)
        return why;
    for (uint32_t l = 0; l <= p->lmax; l++) {
        why = check_row(p, l, free_blocks);
        if (why != NULL)
            return why;
    }
    return NULL;
}
