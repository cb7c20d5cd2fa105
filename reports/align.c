/* Sequence alignment by windowed Myers diff; see align.h. */
#include "reports/align.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Scratch of one align_run: Myers' V and, per edit distance d, the V it
 * started from (2d + 3 entries, k = -d-1 .. d+1), the steps of a window. */
struct myers {
    int32_t *v;       /* 2 * (2 * ALIGN_WINDOW) + 3 entries */
    int32_t *trace;   /* grows to (D + 1)^2 + 2(D + 1) entries */
    size_t trace_cap;
    struct align_step *win; /* a window's steps, reversed */
    size_t nwin, win_cap;
};

static size_t trace_at(int32_t d)
{
    return (size_t)d * (size_t)d + 2u * (size_t)d;
}

static enum iosim_err grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return IOSIM_OK;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (q == NULL)
        return IOSIM_ENOMEM;
    *p = q;
    *cap = c;
    return IOSIM_OK;
}

static enum iosim_err push(struct align_step **st, size_t *n, size_t *cap, uint32_t op,
                           uint32_t a, uint32_t b)
{
    if (grow((void **)st, cap, *n + 1, sizeof **st) != IOSIM_OK)
        return IOSIM_ENOMEM;
    (*st)[(*n)++] = (struct align_step){op, a, b};
    return IOSIM_OK;
}

/* The forward pass: the edit distance D of a[0..n) and b[0..m), with the
 * V of every d kept for the walk back. */
static enum iosim_err myers_forward(struct myers *w, const uint32_t *a, int32_t n,
                                    const uint32_t *b, int32_t m, int32_t *dist)
{
    int32_t max = n + m, off = max + 1;
    int32_t *v = w->v;
    v[off + 1] = 0;
    for (int32_t d = 0; d <= max; d++) {
        size_t at = trace_at(d);
        if (grow((void **)&w->trace, &w->trace_cap, at + 2u * (size_t)d + 3u, sizeof(int32_t)) !=
            IOSIM_OK)
            return IOSIM_ENOMEM;
        memcpy(&w->trace[at], &v[off - d - 1], (2u * (size_t)d + 3u) * sizeof(int32_t));
        for (int32_t k = -d; k <= d; k += 2) {
            int32_t x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
                            ? v[off + k + 1]
                            : v[off + k - 1] + 1;
            int32_t y = x - k;
            while (x < n && y < m && a[x] == b[y]) {
                x++;
                y++;
            }
            v[off + k] = x;
            if (x >= n && y >= m) {
                *dist = d;
                return IOSIM_OK;
            }
        }
    }
    assert(!"Myers ends by d = n + m");
    return IOSIM_EPROTO;
}

/* The walk back from (n, m): the window's steps into w->win, last first. */
static enum iosim_err myers_back(struct myers *w, int32_t n, int32_t m, int32_t dist)
{
    int32_t x = n, y = m;
    w->nwin = 0;
    for (int32_t d = dist; d >= 0; d--) {
        const int32_t *v = &w->trace[trace_at(d)] + d + 1; /* v[k], k in -d-1 .. d+1 */
        int32_t k = x - y;
        int32_t pk = (k == -d || (k != d && v[k - 1] < v[k + 1])) ? k + 1 : k - 1;
        int32_t px = v[pk], py = px - pk;
        for (; x > px && y > py; x--, y--)
            if (push(&w->win, &w->nwin, &w->win_cap, ALIGN_MATCH, (uint32_t)x - 1,
                     (uint32_t)y - 1) != IOSIM_OK)
                return IOSIM_ENOMEM;
        if (d == 0)
            break;
        enum iosim_err e = x == px ? push(&w->win, &w->nwin, &w->win_cap, ALIGN_EXTRA,
                                          (uint32_t)x, (uint32_t)py)
                                   : push(&w->win, &w->nwin, &w->win_cap, ALIGN_MISSING,
                                          (uint32_t)px, (uint32_t)y);
        if (e != IOSIM_OK)
            return e;
        x = px;
        y = py;
    }
    assert(x == 0 && y == 0);
    return IOSIM_OK;
}

static enum iosim_err commit(struct align_script *s, const struct align_step *st, uint32_t i,
                             uint32_t j)
{
    enum iosim_err e = push(&s->step, &s->n, &s->cap, st->op, st->a + i, st->b + j);
    s->matched += st->op == ALIGN_MATCH;
    s->missing += st->op == ALIGN_MISSING;
    s->extra += st->op == ALIGN_EXTRA;
    return e;
}

/* How many of a window's steps to keep when it does not reach both ends:
 * up to its last match in the first half of both sides. Near the cut the
 * alignment pairs items whose partners lie past it (with few distinct
 * keys, spuriously), and keeping that would start the next window off
 * the true diagonal; the second half is aligned again by the next window.
 * Without a match there, up to the last match; without any, all. */
static size_t keep_of(const struct myers *w, size_t wa, size_t wb)
{
    size_t last = 0;
    for (size_t q = 0; q < w->nwin; q++) { /* win is reversed: q = 0 is the last step */
        const struct align_step *st = &w->win[q];
        if (st->op != ALIGN_MATCH)
            continue;
        if (last == 0)
            last = w->nwin - q;
        if (2u * st->a < wa && 2u * st->b < wb)
            return w->nwin - q;
    }
    return last != 0 ? last : w->nwin;
}

/* One window at (i, j): commits its steps (all of them when it reaches
 * both ends, else as keep_of says) and advances i, j. */
static enum iosim_err window(struct myers *w, const uint32_t *a, size_t na, const uint32_t *b,
                             size_t nb, uint32_t *i, uint32_t *j, struct align_script *s)
{
    size_t wa = na - *i < ALIGN_WINDOW ? na - *i : ALIGN_WINDOW;
    size_t wb = nb - *j < ALIGN_WINDOW ? nb - *j : ALIGN_WINDOW;
    int32_t dist = 0;
    enum iosim_err e = myers_forward(w, a + *i, (int32_t)wa, b + *j, (int32_t)wb, &dist);
    if (e == IOSIM_OK)
        e = myers_back(w, (int32_t)wa, (int32_t)wb, dist);
    if (e != IOSIM_OK)
        return e;
    size_t keep = w->nwin; /* steps are reversed: keep the last `keep` of win */
    if (*i + wa < na || *j + wb < nb)
        keep = keep_of(w, wa, wb);
    uint32_t i0 = *i, j0 = *j;
    for (size_t q = w->nwin; q > w->nwin - keep && e == IOSIM_OK; q--) {
        const struct align_step *st = &w->win[q - 1];
        e = commit(s, st, i0, j0);
        *i = st->op != ALIGN_EXTRA ? i0 + st->a + 1 : *i;
        *j = st->op != ALIGN_MISSING ? j0 + st->b + 1 : *j;
    }
    if (keep == w->nwin) { /* everything went: the window is consumed */
        *i = i0 + (uint32_t)wa;
        *j = j0 + (uint32_t)wb;
    }
    return e;
}

enum iosim_err align_run(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
                         struct align_script *s)
{
    assert(s != NULL && (a != NULL || na == 0) && (b != NULL || nb == 0));
    if (na >= (1u << 31) || nb >= (1u << 31))
        return IOSIM_EOVERFLOW;
    struct myers w = {0};
    w.v = calloc(4u * ALIGN_WINDOW + 3u, sizeof *w.v);
    if (w.v == NULL)
        return IOSIM_ENOMEM;
    enum iosim_err e = IOSIM_OK;
    uint32_t i = 0, j = 0;
    while (e == IOSIM_OK && (i < na || j < nb)) {
        if (i < na && j < nb && a[i] == b[j]) {
            e = commit(s, &(struct align_step){ALIGN_MATCH, 0, 0}, i++, j++);
        } else if (i == na) {
            e = commit(s, &(struct align_step){ALIGN_EXTRA, 0, 0}, i, j++);
        } else if (j == nb) {
            e = commit(s, &(struct align_step){ALIGN_MISSING, 0, 0}, i++, j);
        } else {
            e = window(&w, a, na, b, nb, &i, &j, s);
        }
    }
    assert(e != IOSIM_OK || (i == na && j == nb));
    free(w.v);
    free(w.trace);
    free(w.win);
    return e;
}

void align_free(struct align_script *s)
{
    free(s->step);
    memset(s, 0, sizeof *s);
}

/* ---- interning ----------------------------------------------------------------------------- */

struct intern_ctx {
    const char *a, *b;
    size_t na, size;
    int (*cmp)(const void *, const void *);
};

static const void *item(const struct intern_ctx *c, size_t idx)
{
    return idx < c->na ? c->a + idx * c->size : c->b + (idx - c->na) * c->size;
}

/* Sorts indices by item, ties by index: a merge sort of our own, because
 * qsort is not stable and its comparator sees no context. */
static void msort(size_t *ix, size_t *tmp, size_t n, const struct intern_ctx *c)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    msort(ix, tmp, h, c);
    msort(ix + h, tmp, n - h, c);
    size_t p = 0, q = h, o = 0;
    while (p < h || q < n) {
        bool left = q == n || (p < h && c->cmp(item(c, ix[p]), item(c, ix[q])) <= 0);
        tmp[o++] = left ? ix[p++] : ix[q++];
    }
    memcpy(ix, tmp, n * sizeof *ix);
}

enum iosim_err align_intern(const void *a, size_t na, const void *b, size_t nb, size_t size,
                            int (*cmp)(const void *, const void *), uint32_t *ka, uint32_t *kb)
{
    assert(cmp != NULL && size > 0);
    size_t n = na + nb;
    size_t *ix = malloc((n ? n : 1) * sizeof *ix), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (ix == NULL || tmp == NULL) {
        free(ix);
        free(tmp);
        return IOSIM_ENOMEM;
    }
    const struct intern_ctx c = {a, b, na, size, cmp};
    for (size_t k = 0; k < n; k++)
        ix[k] = k;
    msort(ix, tmp, n, &c);
    uint32_t key = 0;
    for (size_t k = 0; k < n; k++) {
        if (k > 0 && cmp(item(&c, ix[k - 1]), item(&c, ix[k])) != 0)
            key++;
        if (ix[k] < na)
            ka[ix[k]] = key;
        else
            kb[ix[k] - na] = key;
    }
    free(ix);
    free(tmp);
    return IOSIM_OK;
}
