/* Inline SVG charts; see svg.h. */
#include "reports/svg.h"

#include <assert.h>

#include "reports/html.h"

#define CHART_W 900.0
#define CHART_H 260.0
#define PLOT_R 200.0 /* a line chart's right margin: the legend */
#define LANE_H 18.0
#define LANE_L 150.0 /* a timeline's lane names */

/* A chart's size and the margins around its plot. */
struct svg_geom {
    double w, h, l, r, t, b;
};

static const struct svg_geom line_geom = {CHART_W, CHART_H, 70, PLOT_R, 15, 45};
static const struct svg_geom bar_geom = {440, 190, 55, 10, 24, 40};
static double dmax(double a, double b)
{
    return a > b ? a : b;
}

static double dmin(double a, double b)
{
    return a < b ? a : b;
}

static const char *const palette[SVG_COLORS] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                "#bcbd22", "#17becf"};

const char *svg_color(uint32_t c)
{
    return palette[c % SVG_COLORS];
}

static void svg_open_class(FILE *f, const char *cls, const char *id, double w, double h)
{
    fprintf(f, "<svg class=\"%s\" id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
               "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n", cls, id, w, h, w, h);
}

static void svg_open(FILE *f, const char *id, double w, double h)
{
    svg_open_class(f, "chart", id, w, h);
}

static void svg_label(FILE *f, double x, double y, const char *anchor, const char *text)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
    html_text(f, text);
    fputs("</text>\n", f);
}

/* Axes with five ticks each over [0, xmax] x [0, ymax] (no x ticks when
 * xmax is 0), and their labels. */
static void svg_axes(FILE *f, const struct svg_geom *g, double xmax, double ymax,
                     const char *x_label, const char *y_label)
{
    double pw = g->w - g->l - g->r, ph = g->h - g->t - g->b;
    fprintf(f, "<path d=\"M%.1f %.1fV%.1fH%.1f\" stroke=\"#555\" fill=\"none\"/>\n", g->l,
            g->t, g->t + ph, g->l + pw);
    for (int i = 0; i <= 4; i++) {
        char v[32];
        if (xmax > 0) {
            snprintf(v, sizeof v, "%.4g", xmax * i / 4.0);
            svg_label(f, g->l + pw * i / 4.0, g->t + ph + 15, "middle", v);
        }
        snprintf(v, sizeof v, "%.4g", ymax * i / 4.0);
        svg_label(f, g->l - 5, g->t + ph - ph * i / 4.0 + 4, "end", v);
    }
    svg_label(f, g->l + pw / 2, g->h - 8, "middle", x_label);
    fprintf(f, "<text x=\"12\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 12 %.1f)\">",
            g->t + ph / 2, g->t + ph / 2);
    html_text(f, y_label);
    fputs("</text>\n", f);
}

static void svg_max(const struct svg_series *s, size_t ns, double *xmax, double *ymax)
{
    *xmax = 1e-9;
    *ymax = 1e-9;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++) {
            *xmax = dmax(*xmax, s[k].x[i]);
            *ymax = dmax(*ymax, s[k].y[i]);
        }
}

static void svg_polyline(FILE *f, const struct svg_series *s, uint32_t color, double xmax,
                         double ymax)
{
    const struct svg_geom *g = &line_geom;
    double pw = g->w - g->l - g->r, ph = g->h - g->t - g->b;
    size_t step = (s->n + SVG_POINTS_MAX - 1) / SVG_POINTS_MAX;
    step = step == 0 ? 1 : step;
    fprintf(f, "<path data-mark=\"line\" stroke=\"%s\" stroke-width=\"1.5\" fill=\"none\" d=\"",
            svg_color(color));
    for (size_t i = 0; i < s->n; i = (i + step < s->n || i == s->n - 1) ? i + step : s->n - 1)
        fprintf(f, "%s%.1f %.1f", i == 0 ? "M" : "L", g->l + pw * s->x[i] / xmax,
                g->t + ph - ph * s->y[i] / ymax);
    fputs("\"><title>", f);
    html_text(f, s->name);
    fputs("</title></path>\n", f);
}

static void svg_legend(FILE *f, size_t k, uint32_t color, const char *name)
{
    double y = line_geom.t + 14.0 * (double)k;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>",
            CHART_W - PLOT_R + 10, y, svg_color(color));
    svg_label(f, CHART_W - PLOT_R + 25, y + 9, "start", name);
}

void svg_line_chart(FILE *f, const char *id, const char *x_label, const char *y_label,
                    const struct svg_series *s, size_t ns)
{
    assert(f != NULL && id != NULL);
    assert(ns == 0 || s != NULL);
    double xmax, ymax;
    svg_max(s, ns, &xmax, &ymax);
    svg_open(f, id, CHART_W, CHART_H);
    svg_axes(f, &line_geom, xmax, ymax, x_label, y_label);
    for (size_t k = 0; k < ns; k++) {
        if (s[k].n > 0)
            svg_polyline(f, &s[k], (uint32_t)k, xmax, ymax);
        if (k < 16)
            svg_legend(f, k, (uint32_t)k, s[k].name);
    }
    fputs("</svg>\n", f);
}

void svg_bar_chart(FILE *f, const char *id, const char *title, const char *x_label,
                   const char *const *labels, const uint64_t *counts, size_t n)
{
    assert(f != NULL && id != NULL && n > 0);
    const struct svg_geom *g = &bar_geom;
    double pw = g->w - g->l - g->r, ph = g->h - g->t - g->b, ymax = 1;
    for (size_t i = 0; i < n; i++)
        ymax = dmax(ymax, (double)counts[i]);
    svg_open_class(f, "chart small", id, g->w, g->h);
    svg_label(f, g->l, 14, "start", title);
    svg_axes(f, g, 0, ymax, x_label, "count");
    double bw = pw / (double)n;
    size_t every = (n + 7) / 8;
    for (size_t i = 0; i < n; i++) {
        double h = ph * (double)counts[i] / ymax;
        fprintf(f, "<rect data-mark=\"bar\" data-count=\"%llu\" x=\"%.1f\" y=\"%.1f\" "
                   "width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
                (unsigned long long)counts[i], g->l + bw * (double)i + 1, g->t + ph - h,
                dmax(bw - 2, 1), h, svg_color(0));
        html_text(f, labels[i]);
        fprintf(f, ": %llu</title></rect>\n", (unsigned long long)counts[i]);
        if (i % every == 0)
            svg_label(f, g->l + bw * ((double)i + 0.5), g->h - g->b + 14, "middle", labels[i]);
    }
    fputs("</svg>\n", f);
}

static void svg_matrix_cell(FILE *f, double x, double y, uint64_t count, int col)
{
    const char *fill = count == 0 ? "#eee" : col == 0 ? "#8fd18f" : "#e88";
    fprintf(f, "<rect data-mark=\"cell\" data-count=\"%llu\" x=\"%.1f\" y=\"%.1f\" width=\"80\" "
               "height=\"18\" fill=\"%s\"/>",
            (unsigned long long)count, x, y, fill);
    char v[32];
    snprintf(v, sizeof v, "%llu", (unsigned long long)count);
    svg_label(f, x + 40, y + 13, "middle", v);
}

void svg_matrix(FILE *f, const char *id, const char *const *rows, const uint64_t (*cells)[2],
                size_t n)
{
    assert(f != NULL && id != NULL && n > 0);
    double left = 320, h = 22.0 + 20.0 * (double)n;
    svg_open(f, id, left + 180, h);
    svg_label(f, left + 40, 14, "middle", "pass");
    svg_label(f, left + 130, 14, "middle", "fail");
    for (size_t i = 0; i < n; i++) {
        double y = 20.0 + 20.0 * (double)i;
        svg_label(f, left - 8, y + 13, "end", rows[i]);
        svg_matrix_cell(f, left, y, cells[i][0], 0);
        svg_matrix_cell(f, left + 90, y, cells[i][1], 1);
    }
    fputs("</svg>\n", f);
}

/* "1.5 ms" for a time in picoseconds. */
static void svg_format_ps(double ps, char *buf, size_t cap)
{
    static const struct {
        double ps;
        const char *unit;
    } units[] = {{1e12, "s"}, {1e9, "ms"}, {1e6, "us"}, {1e3, "ns"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ps >= units[i].ps) {
            snprintf(buf, cap, "%.4g %s", ps / units[i].ps, units[i].unit);
            return;
        }
    snprintf(buf, cap, "%.4g ps", ps);
}

/* ---- timeline ----------------------------------------------------------------------- */

static double tl_x(const struct svg_timeline *t, double v)
{
    double w = CHART_W - LANE_L - 10;
    double span = t->t1 > t->t0 ? t->t1 - t->t0 : 1;
    double x = LANE_L + w * (v - t->t0) / span;
    return dmin(dmax(x, LANE_L), LANE_L + w);
}

void svg_timeline_begin(struct svg_timeline *t, FILE *f, const char *id,
                        const char *const *lanes, uint32_t nlanes, double t0, double t1)
{
    assert(t != NULL && f != NULL && id != NULL);
    assert(nlanes == 0 || lanes != NULL);
    *t = (struct svg_timeline){.f = f, .t0 = t0, .t1 = t1, .nlanes = nlanes};
    double h = 30 + LANE_H * nlanes;
    svg_open(f, id, CHART_W, h);
    for (uint32_t i = 0; i < nlanes; i++) {
        double y = LANE_H * i;
        fprintf(f, "<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" fill=\"%s\"/>", y,
                CHART_W, LANE_H, i % 2 ? "#fafafa" : "#f0f0f0");
        svg_label(f, LANE_L - 6, y + 13, "end", lanes[i]);
    }
    for (int i = 0; i <= 4; i++) {
        char v[48];
        svg_format_ps(t0 + (t1 - t0) * i / 4.0, v, sizeof v);
        svg_label(f, tl_x(t, t0 + (t1 - t0) * i / 4.0), h - 10, i == 0 ? "start" : i == 4 ? "end" : "middle", v);
    }
}

void svg_timeline_span(struct svg_timeline *t, uint32_t lane, double a, double b, uint32_t color,
                       double opacity, const char *title)
{
    assert(t != NULL && lane < t->nlanes);
    double x0 = tl_x(t, a), x1 = tl_x(t, b);
    fprintf(t->f, "<rect data-mark=\"span\" x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\" "
                  "fill=\"%s\" fill-opacity=\"%.2f\"><title>",
            x0, LANE_H * lane + 2, dmax(x1 - x0, 0.5), LANE_H - 4, svg_color(color), opacity);
    html_text(t->f, title);
    fputs("</title></rect>\n", t->f);
}

void svg_timeline_mark(struct svg_timeline *t, uint32_t lane, double a, uint32_t color,
                       const char *title)
{
    assert(t != NULL && lane < t->nlanes);
    fprintf(t->f, "<rect data-mark=\"mark\" x=\"%.1f\" y=\"%.1f\" width=\"1.5\" height=\"%.0f\" "
                  "fill=\"%s\"><title>",
            tl_x(t, a), LANE_H * lane + 3, LANE_H - 6, svg_color(color));
    html_text(t->f, title);
    fputs("</title></rect>\n", t->f);
}

void svg_timeline_end(struct svg_timeline *t)
{
    assert(t != NULL && t->f != NULL);
    fputs("</svg>\n", t->f);
}
