/*
 * svg.h - inline SVG charts for the HTML report: line charts, bar charts
 * (histograms), a lane timeline and a two-column count matrix.
 *
 * Every chart is one <svg class="chart" id=ID> element with a fixed size;
 * every element that shows data carries a data-mark attribute (what it is)
 * so a test can count them. Labels, names and tooltips (<title>) are
 * escaped with html_text. Charts draw what they are given: thinning and
 * aggregation are the caller's (at most SVG_POINTS_MAX points per line are
 * drawn; more are thinned evenly, keeping the last).
 *
 *     const double x[] = {0, 1, 2}, y[] = {0, 1, 3};
 *     const struct svg_series s = {.name = "failures", .x = x, .y = y, .n = 3};
 *     svg_line_chart(f, "chart-runs", "run", "count", &s, 1);
 *
 * Ids are the caller's fixed names ([a-z0-9-]), not escaped. Arrays and
 * strings are borrowed for the call.
 */
#ifndef IOSIM_REPORTS_SVG_H
#define IOSIM_REPORTS_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SVG_POINTS_MAX 400u
#define SVG_COLORS 10u

struct svg_series {
    const char *name;
    const double *x, *y;
    size_t n;
};

/* The fill colour number c (mod SVG_COLORS), "#rrggbb". */
const char *svg_color(uint32_t c);

void svg_line_chart(FILE *f, const char *id, const char *x_label, const char *y_label,
                    const struct svg_series *s, size_t ns);

/* A small chart (class "chart small", laid out side by side): a title,
 * one bar per label (counts[i] high), some labels under the bars. */
void svg_bar_chart(FILE *f, const char *id, const char *title, const char *x_label,
                   const char *const *labels, const uint64_t *counts, size_t n);

/* Rows of two counts (pass, fail): a cell each, green when a pass count is
 * non-zero, red when a fail count is, grey when zero. */
void svg_matrix(FILE *f, const char *id, const char *const *rows, const uint64_t (*cells)[2],
                size_t n);

/* A timeline: named lanes over [t0, t1] picoseconds. Between begin and
 * end, spans (from a to b) and marks (at a) on lanes; opacity 0..1. */
struct svg_timeline {
    FILE *f;
    double t0, t1;
    uint32_t nlanes;
};
void svg_timeline_begin(struct svg_timeline *t, FILE *f, const char *id,
                        const char *const *lanes, uint32_t nlanes, double t0, double t1);
void svg_timeline_span(struct svg_timeline *t, uint32_t lane, double a, double b, uint32_t color,
                       double opacity, const char *title);
void svg_timeline_mark(struct svg_timeline *t, uint32_t lane, double a, uint32_t color,
                       const char *title);
void svg_timeline_end(struct svg_timeline *t);

#endif /* IOSIM_REPORTS_SVG_H */
