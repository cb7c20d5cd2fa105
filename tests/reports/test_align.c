/* reports/align: the windowed Myers alignment against a plain O(n*m)
 * longest-common-subsequence table on seeded random edits, the script's
 * own consistency, and the window on long sequences. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reports/align.h"

/* xorshift64*: the tests' own seeded stream. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* The reference: LCS length by the textbook table, two rows at a time. */
static size_t lcs_ref(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    size_t *prev = calloc(nb + 1, sizeof *prev), *cur = calloc(nb + 1, sizeof *cur);
    cr_assert(prev != NULL && cur != NULL);
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++)
            cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1
                     : prev[j] > cur[j - 1] ? prev[j]
                                            : cur[j - 1];
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    size_t r = prev[nb];
    free(prev);
    free(cur);
    return r;
}

/* b = a with seeded inserts, deletes and changes; keys from a small
 * alphabet so that repeats (the hard case for a diff) are common. */
static size_t edit(uint64_t *s, const uint32_t *a, size_t na, uint32_t *b, size_t cap,
                   uint32_t alphabet, unsigned per_mille)
{
    size_t nb = 0;
    for (size_t i = 0; i < na && nb < cap; i++) {
        unsigned r = (unsigned)(rnd(s) % 1000);
        if (r < per_mille / 3)
            continue; /* delete */
        if (r < 2 * per_mille / 3) {
            b[nb++] = (uint32_t)(rnd(s) % alphabet); /* change */
            continue;
        }
        if (r < per_mille && nb + 1 < cap)
            b[nb++] = (uint32_t)(rnd(s) % alphabet); /* insert before */
        b[nb++] = a[i];
    }
    return nb;
}

/* The script covers each item of A and B exactly once, in order, and its
 * matches pair equal keys. */
static void check_script(const struct align_script *sc, const uint32_t *a, size_t na,
                         const uint32_t *b, size_t nb)
{
    size_t i = 0, j = 0;
    for (size_t q = 0; q < sc->n; q++) {
        const struct align_step *st = &sc->step[q];
        if (st->op != ALIGN_EXTRA) {
            cr_assert_eq(st->a, i, "step %zu: A position %u, expected %zu", q, st->a, i);
            i++;
        }
        if (st->op != ALIGN_MISSING) {
            cr_assert_eq(st->b, j, "step %zu: B position %u, expected %zu", q, st->b, j);
            j++;
        }
        if (st->op == ALIGN_MATCH)
            cr_assert_eq(a[st->a], b[st->b]);
    }
    cr_assert_eq(i, na);
    cr_assert_eq(j, nb);
    cr_assert_eq(sc->matched + sc->missing, na);
    cr_assert_eq(sc->matched + sc->extra, nb);
}

Test(align, matches_the_lcs_reference_when_sequences_are_edited_at_random)
{
    static uint32_t a[300], b[600];
    for (uint64_t seed = 1; seed <= 300; seed++) {
        uint64_t s = seed * 0x9E3779B97F4A7C15ULL;
        size_t na = (size_t)(rnd(&s) % 300);
        uint32_t alphabet = 1 + (uint32_t)(rnd(&s) % 12);
        for (size_t i = 0; i < na; i++)
            a[i] = (uint32_t)(rnd(&s) % alphabet);
        size_t nb = edit(&s, a, na, b, 600, alphabet, (unsigned)(rnd(&s) % 600));
        struct align_script sc = {0};
        cr_assert_eq(align_run(a, na, b, nb, &sc), IOSIM_OK, "seed %" PRIu64, seed);
        size_t lcs = lcs_ref(a, na, b, nb);
        cr_assert_eq(sc.matched, lcs, "seed %" PRIu64 ": matched %zu, LCS %zu", seed, sc.matched,
                     lcs);
        cr_assert_eq(sc.missing, na - lcs, "seed %" PRIu64, seed);
        cr_assert_eq(sc.extra, nb - lcs, "seed %" PRIu64, seed);
        check_script(&sc, a, na, b, nb);
        align_free(&sc);
    }
}

Test(align, handles_empty_sides_when_one_run_has_nothing)
{
    const uint32_t a[] = {1, 2, 3};
    struct align_script sc = {0};
    cr_assert_eq(align_run(a, 3, NULL, 0, &sc), IOSIM_OK);
    cr_assert_eq(sc.missing, 3);
    cr_assert_eq(sc.n, 3);
    align_free(&sc);
    cr_assert_eq(align_run(NULL, 0, a, 3, &sc), IOSIM_OK);
    cr_assert_eq(sc.extra, 3);
    align_free(&sc);
    cr_assert_eq(align_run(NULL, 0, NULL, 0, &sc), IOSIM_OK);
    cr_assert_eq(sc.n, 0);
    align_free(&sc);
}

/* Past one window: the script stays consistent and close to the LCS -
 * within 1% when edits are sparse (two similar runs), within 3% when
 * every third item is edited among 20 keys (a hard case: spurious
 * matches near a window's cut). */
Test(align, stays_consistent_and_near_the_lcs_when_longer_than_a_window)
{
    enum { N = 5000 };
    static uint32_t a[N], b[2 * N];
    static const unsigned edits[] = {20, 300}, slack[] = {1, 3};
    for (uint64_t seed = 1; seed <= 8; seed++) {
        uint64_t s = seed;
        unsigned e = edits[seed % 2];
        for (size_t i = 0; i < N; i++)
            a[i] = (uint32_t)(rnd(&s) % 20);
        size_t nb = edit(&s, a, N, b, 2 * N, 20, e);
        struct align_script sc = {0};
        cr_assert_eq(align_run(a, N, b, nb, &sc), IOSIM_OK);
        check_script(&sc, a, N, b, nb);
        size_t lcs = lcs_ref(a, N, b, nb);
        cr_assert(sc.matched <= lcs);
        cr_assert(sc.matched * 100 >= lcs * (100 - slack[seed % 2]),
                  "seed %" PRIu64 ", %u edits per mille: matched %zu of LCS %zu", seed, e,
                  sc.matched, lcs);
        align_free(&sc);
    }
}

static int u32_cmp(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

Test(align, interns_equal_items_to_equal_keys_in_order)
{
    const uint32_t a[] = {30, 10, 30}, b[] = {20, 10};
    uint32_t ka[3], kb[2];
    cr_assert_eq(align_intern(a, 3, b, 2, sizeof a[0], u32_cmp, ka, kb), IOSIM_OK);
    cr_assert_eq(ka[0], 2);
    cr_assert_eq(ka[1], 0);
    cr_assert_eq(ka[2], 2);
    cr_assert_eq(kb[0], 1);
    cr_assert_eq(kb[1], 0);
}
