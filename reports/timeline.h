/*
 * timeline.h - lanes of spans and marks for a run's timeline, with a cap
 * on what is drawn so a long run still makes a small page.
 *
 * The report adds what happened on each lane (a CPU running a process, a
 * USB transfer in flight, an MMIO access); each lane keeps its first
 * TL_DIRECT_MAX elements as they are, and past that folds everything into
 * TL_BINS time bins (how busy each bin was, or how many marks fell in it),
 * drawn as one shaded rectangle per non-empty bin. At most TL_LANES_MAX
 * lanes; later ones share the last ("more"). So a timeline is at most
 * about TL_LANES_MAX * TL_BINS elements whatever the run's length.
 *
 *     struct tl *t = tl_new(0, end_ps);
 *     uint32_t cpu0 = tl_lane(t, "cpu 0");
 *     tl_span(t, cpu0, 100, 900, 3, "pid 3 xhcid");
 *     tl_draw(t, f, "chart-timeline");
 *     tl_free(t);
 *
 * tl_new returns an owned object (NULL when out of memory); names and
 * titles are copied (titles truncated to TL_TITLE_MAX - 1 bytes).
 */
#ifndef IOSIM_REPORTS_TIMELINE_H
#define IOSIM_REPORTS_TIMELINE_H

#include <stdint.h>
#include <stdio.h>

#define TL_LANES_MAX 32u
#define TL_DIRECT_MAX 150u
#define TL_BINS 150u
#define TL_TITLE_MAX 64u

struct tl;

struct tl *tl_new(double t0_ps, double t1_ps);
void tl_free(struct tl *t);

/* The lane called name, added at the bottom if new. */
uint32_t tl_lane(struct tl *t, const char *name);

void tl_span(struct tl *t, uint32_t lane, double a_ps, double b_ps, uint32_t color,
             const char *title);
void tl_mark(struct tl *t, uint32_t lane, double a_ps, uint32_t color, const char *title);

/* Elements the drawing will have (after folding); 0: nothing to draw. */
uint32_t tl_drawn(const struct tl *t);

void tl_draw(const struct tl *t, FILE *f, const char *id);

#endif /* IOSIM_REPORTS_TIMELINE_H */
