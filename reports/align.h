/*
 * align.h - aligns two sequences of integer keys: which items of A and B
 * are the same request (a longest common subsequence), which are only in A
 * (missing from B) and which only in B (extra). `iosim compare` aligns a
 * reference run's SCSI commands and USB transfers with a candidate's.
 *
 *     uint32_t a[] = {1, 2, 3}, b[] = {1, 3, 4};
 *     struct align_script s = {0};
 *     if (align_run(a, 3, b, 3, &s) == IOSIM_OK)
 *         ... s.matched == 2, s.missing == 1, s.extra == 1, s.step[0..s.n) in order ...
 *     align_free(&s);
 *
 * Keys are small integers the caller interns (align_intern), so equality
 * is exact - no hash can collide. The algorithm is Myers' greedy O((N+M)D)
 * diff, run in windows of at most ALIGN_WINDOW items of each side after
 * the common prefix is skipped: inside one window the alignment is a
 * longest common subsequence (optimal); a window's script is kept up to
 * its last match and the next window starts there, so a long run costs
 * O((N+M) x ALIGN_WINDOW) time at worst and memory bounded by the window
 * (about ALIGN_WINDOW^2 x 16 bytes for two windows with nothing in
 * common), and two equal runs cost O(N). Across a window boundary the
 * result may be a little longer than optimal.
 *
 * Ownership: the key arrays are borrowed; the script owns its steps
 * (align_free releases them; a zeroed script is empty and may be freed).
 */
#ifndef IOSIM_REPORTS_ALIGN_H
#define IOSIM_REPORTS_ALIGN_H

#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"

#define ALIGN_WINDOW 1024u

enum align_op {
    ALIGN_MATCH = 0, /* a[a] and b[b] are the same key */
    ALIGN_MISSING,   /* a[a] has no partner; b = where it would sit in B */
    ALIGN_EXTRA,     /* b[b] has no partner; a = where it would sit in A */
};

struct align_step {
    uint32_t op; /* enum align_op */
    uint32_t a, b;
};

struct align_script {
    struct align_step *step; /* owned; in order of both sequences */
    size_t n, cap;
    size_t matched, missing, extra;
};

/* Aligns a[0..na) with b[0..nb) and appends the steps to *s (which may
 * hold steps already: the counts add up). na and nb below 2^31. */
enum iosim_err align_run(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                         struct align_script *s);

void align_free(struct align_script *s);

/* Interns na + nb items of size bytes (A's then B's, each array borrowed)
 * into keys: equal items under cmp get equal keys, numbered from 0 in
 * cmp's order. ka and kb hold na and nb keys. */
enum iosim_err align_intern(const void *a, size_t na, const void *b, size_t nb, size_t size,
                            int (*cmp)(const void *, const void *), uint32_t *ka, uint32_t *kb);

#endif /* IOSIM_REPORTS_ALIGN_H */
