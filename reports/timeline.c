/* A capped lane timeline; see timeline.h. */
#include "reports/timeline.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "reports/svg.h"

struct tl_elem {
    double a, b;
    uint32_t color;
    bool span;
    char title[TL_TITLE_MAX];
};

/* Invariant: binned or n <= TL_DIRECT_MAX; once binned, e holds nothing. */
struct tl_lane {
    char name[64];
    struct tl_elem e[TL_DIRECT_MAX];
    uint32_t n;
    bool binned;
    double busy_ps[TL_BINS];  /* span time inside each bin */
    uint32_t marks[TL_BINS];  /* marks inside each bin */
    uint32_t color;           /* of the last element folded */
};

struct tl {
    double t0, t1;
    struct tl_lane lanes[TL_LANES_MAX];
    uint32_t nlanes;
};

struct tl *tl_new(double t0_ps, double t1_ps)
{
    struct tl *t = calloc(1, sizeof *t);
    if (t != NULL) {
        t->t0 = t0_ps;
        t->t1 = t1_ps > t0_ps ? t1_ps : t0_ps + 1;
    }
    return t;
}

void tl_free(struct tl *t)
{
    free(t);
}

uint32_t tl_lane(struct tl *t, const char *name)
{
    assert(t != NULL && name != NULL);
    for (uint32_t i = 0; i < t->nlanes; i++)
        if (strcmp(t->lanes[i].name, name) == 0)
            return i;
    if (t->nlanes == TL_LANES_MAX)
        return TL_LANES_MAX - 1;
    struct tl_lane *l = &t->lanes[t->nlanes];
    snprintf(l->name, sizeof l->name, "%s", t->nlanes == TL_LANES_MAX - 1 ? "more" : name);
    return t->nlanes++;
}

static double bin_w(const struct tl *t)
{
    return (t->t1 - t->t0) / TL_BINS;
}

static void fold(const struct tl *t, struct tl_lane *l, const struct tl_elem *e)
{
    double w = bin_w(t);
    l->color = e->color;
    if (!e->span) {
        double k = (e->a - t->t0) / w;
        uint32_t b = k < 0 ? 0 : k >= TL_BINS ? TL_BINS - 1 : (uint32_t)k;
        l->marks[b]++;
        return;
    }
    for (uint32_t b = 0; b < TL_BINS; b++) {
        double lo = t->t0 + w * b, hi = lo + w;
        double a = e->a > lo ? e->a : lo, z = e->b < hi ? e->b : hi;
        if (z > a)
            l->busy_ps[b] += z - a;
    }
}

static void add(struct tl *t, uint32_t lane, const struct tl_elem *e)
{
    assert(t != NULL && lane < t->nlanes);
    struct tl_lane *l = &t->lanes[lane];
    if (!l->binned && l->n == TL_DIRECT_MAX) {
        for (uint32_t i = 0; i < l->n; i++)
            fold(t, l, &l->e[i]);
        l->binned = true;
        l->n = 0;
    }
    if (l->binned)
        fold(t, l, e);
    else
        l->e[l->n++] = *e;
}

void tl_span(struct tl *t, uint32_t lane, double a_ps, double b_ps, uint32_t color,
             const char *title)
{
    struct tl_elem e = {.a = a_ps, .b = b_ps > a_ps ? b_ps : a_ps, .color = color, .span = true};
    snprintf(e.title, sizeof e.title, "%s", title != NULL ? title : "");
    add(t, lane, &e);
}

void tl_mark(struct tl *t, uint32_t lane, double a_ps, uint32_t color, const char *title)
{
    struct tl_elem e = {.a = a_ps, .b = a_ps, .color = color, .span = false};
    snprintf(e.title, sizeof e.title, "%s", title != NULL ? title : "");
    add(t, lane, &e);
}

uint32_t tl_drawn(const struct tl *t)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->nlanes; i++) {
        const struct tl_lane *l = &t->lanes[i];
        n += l->n;
        for (uint32_t b = 0; l->binned && b < TL_BINS; b++)
            n += l->busy_ps[b] > 0 || l->marks[b] > 0;
    }
    return n;
}

/* One shaded rectangle per non-empty bin of a folded lane. */
static void draw_bins(const struct tl *t, const struct tl_lane *l, uint32_t lane,
                      struct svg_timeline *s)
{
    double w = bin_w(t);
    uint32_t most = 1;
    for (uint32_t b = 0; b < TL_BINS; b++)
        most = l->marks[b] > most ? l->marks[b] : most;
    for (uint32_t b = 0; b < TL_BINS; b++) {
        if (l->busy_ps[b] <= 0 && l->marks[b] == 0)
            continue;
        double busy = l->busy_ps[b] / w, dens = (double)l->marks[b] / most;
        double op = busy > dens ? busy : dens;
        char title[96];
        snprintf(title, sizeof title, "%.0f%% busy, %u events (aggregated)", busy * 100,
                 l->marks[b]);
        svg_timeline_span(s, lane, t->t0 + w * b, t->t0 + w * (b + 1), l->color,
                          op < 0.15 ? 0.15 : op > 1 ? 1 : op, title);
    }
}

void tl_draw(const struct tl *t, FILE *f, const char *id)
{
    assert(t != NULL && f != NULL);
    const char *names[TL_LANES_MAX];
    for (uint32_t i = 0; i < t->nlanes; i++)
        names[i] = t->lanes[i].name;
    struct svg_timeline s;
    svg_timeline_begin(&s, f, id, names, t->nlanes, t->t0, t->t1);
    for (uint32_t i = 0; i < t->nlanes; i++) {
        const struct tl_lane *l = &t->lanes[i];
        for (uint32_t k = 0; k < l->n; k++) {
            if (l->e[k].span)
                svg_timeline_span(&s, i, l->e[k].a, l->e[k].b, l->e[k].color, 0.85,
                                  l->e[k].title);
            else
                svg_timeline_mark(&s, i, l->e[k].a, l->e[k].color, l->e[k].title);
        }
        if (l->binned)
            draw_bins(t, l, i, &s);
    }
    svg_timeline_end(&s);
}
