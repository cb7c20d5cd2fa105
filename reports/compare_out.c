/* `iosim compare`'s text report and HTML page; see compare.h. Both read
 * only the computed report, so they say the same things. */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "reports/compare.h"
#include "reports/html.h"
#include "reports/stats.h"
#include "reports/svg.h"

#define HTML_CDF_KINDS 24u /* kinds drawn as CDFs; the table lists all */

static const double pcts[] = {50, 90, 99};

static void run_title(const struct cmp_side *s, char *buf, size_t cap)
{
    if (strcmp(s->policy, "capture") == 0)
        snprintf(buf, cap, "%" PRId64 " (%s, capture)", s->run_id, s->scenario);
    else
        snprintf(buf, cap, "%" PRId64 " (%s, %s, seed %" PRIu64 ")", s->run_id, s->scenario,
                 s->policy, (uint64_t)s->seed);
}

static double mb_per_s(const struct cmp_side *s)
{
    return s->span_ps > 0 ? s->bytes * 1e6 / s->span_ps : 0; /* bytes/ps * 1e12 / 1e6 */
}

static void rel_text(double a, double b, char *buf, size_t cap)
{
    if (a == 0)
        snprintf(buf, cap, b == 0 ? "+0.0%%" : "+inf%%");
    else
        snprintf(buf, cap, "%+.1f%%", (b - a) / a * 100.0);
}

static void level_line(const struct cmp_level *l, char *buf, size_t cap)
{
    snprintf(buf, cap, "%zu matched, %zu missing, %zu extra, %zu mismatched", l->matched,
             l->missing, l->extra, l->mismatched);
}

/* A statistic of a kind for both runs: "1.2 ms 1.3 ms +8.3%", or with a
 * dash for a run without samples. q < 0: the max. */
static void stat_text(const struct cmp_kind *k, double q, char *buf, size_t cap)
{
    char a[24] = "-", b[24] = "-", d[24] = "";
    int64_t va = 0, vb = 0;
    if (k->na > 0) {
        va = q < 0 ? k->a[k->na - 1] : stats_percentile(k->a, k->na, q);
        cmp_format_ps(va, a, sizeof a);
    }
    if (k->nb > 0) {
        vb = q < 0 ? k->b[k->nb - 1] : stats_percentile(k->b, k->nb, q);
        cmp_format_ps(vb, b, sizeof b);
    }
    if (k->na > 0 && k->nb > 0)
        rel_text((double)va, (double)vb, d, sizeof d);
    snprintf(buf, cap, "%s %s%s%s", a, b, d[0] ? " " : "", d);
}

static void kind_line(const struct cmp_kind *k, FILE *f)
{
    char p[3][80], mx[80];
    for (int i = 0; i < 3; i++)
        stat_text(k, pcts[i], p[i], sizeof p[i]);
    stat_text(k, -1, mx, sizeof mx);
    char ks[16] = "-";
    if (k->na > 0 && k->nb > 0)
        snprintf(ks, sizeof ks, "%.3f", k->ks);
    fprintf(f, "kind: %s %s | n %zu %zu | p50 %s | p90 %s | p99 %s | max %s | ks %s\n",
            k->level == CMP_SCSI ? "scsi" : "usb", k->name, k->na, k->nb, p[0], p[1], p[2], mx,
            ks);
}

unsigned cmp_print(const struct cmp_report *r, const struct cmp_verdict *v, size_t nv,
                   unsigned exceeded, FILE *f)
{
    assert(r != NULL && f != NULL && (v != NULL || nv == 0));
    char a[160], b[160], line[200];
    run_title(&r->side[0], a, sizeof a);
    run_title(&r->side[1], b, sizeof b);
    fprintf(f, "compare: run A %s vs run B %s\n", a, b);
    for (size_t i = 0; i < r->nnotes; i++)
        fprintf(f, "%s\n", r->notes[i]);
    level_line(&r->level[r->tp_level], line, sizeof line);
    fprintf(f, "requests: %s (%s)\n", line, r->tp_level == CMP_SCSI ? "SCSI commands" : "USB transfers");
    if (r->tp_level == CMP_SCSI) {
        level_line(&r->level[CMP_USB], line, sizeof line);
        fprintf(f, "transfers: %s (USB transfers)\n", line);
    }
    if (r->ndiv == 0)
        fprintf(f, "first divergence: none\n");
    for (size_t i = 0; i < r->ndiv; i++)
        fprintf(f, "%s\n", r->div[i]);
    for (size_t i = 0; i < r->nkinds; i++)
        kind_line(&r->kinds[i], f);
    char d[24];
    rel_text(mb_per_s(&r->side[0]), mb_per_s(&r->side[1]), d, sizeof d);
    fprintf(f, "throughput: A %.3f MB/s, B %.3f MB/s (%s)\n", mb_per_s(&r->side[0]),
            mb_per_s(&r->side[1]), d);
    for (size_t i = 0; i < nv; i++)
        fprintf(f, "%s\n", v[i].text);
    if (exceeded == 0)
        fprintf(f, "compare: within tolerance\n");
    else
        fprintf(f, "compare: %u tolerances exceeded\n", exceeded);
    return exceeded;
}

/* ---- HTML ---------------------------------------------------------------------------------- */

static void html_para(FILE *f, const char *id, const char *text)
{
    fprintf(f, "<p id=\"%s\">", id);
    html_text(f, text);
    fputs("</p>\n", f);
}

/* <section> with the caller's prefix before its title ("Compare: " on
 * the page of its own, "8. Capture against simulation: " in the report). */
static void section(FILE *f, const char *id, const char *prefix, const char *title)
{
    char t[160];
    snprintf(t, sizeof t, "%s%s", prefix, title);
    html_section(f, id, t);
}

static void html_runs(const struct cmp_report *r, const char *prefix, FILE *f)
{
    static const char *const head[] = {"", "run", "scenario", "policy", "SCSI commands",
                                       "USB transfers", "MB/s"};
    section(f, "compare-runs", prefix, "runs");
    html_table_begin(f, head, 7);
    for (int i = 0; i < 2; i++) {
        const struct cmp_side *s = &r->side[i];
        char id[24], nsc[24], nxf[24], mb[32];
        snprintf(id, sizeof id, "%" PRId64, s->run_id);
        snprintf(nsc, sizeof nsc, "%zu", s->nscsi);
        snprintf(nxf, sizeof nxf, "%zu", s->nxfer);
        snprintf(mb, sizeof mb, "%.3f", mb_per_s(s));
        html_row_begin(f);
        html_cell(f, i == 0 ? "A (reference)" : "B (candidate)", NULL);
        const char *cells[] = {id, s->scenario, s->policy, nsc, nxf, mb};
        for (int c = 0; c < 6; c++)
            html_cell(f, cells[c], NULL);
        html_row_end(f);
    }
    html_table_end(f);
    for (size_t i = 0; i < r->nnotes; i++)
        html_note(f, r->notes[i]);
    html_section_end(f);
}

static void html_alignment(const struct cmp_report *r, const char *prefix, FILE *f)
{
    static const char *const head[] = {"level", "matched", "missing (A only)", "extra (B only)",
                                       "mismatched"};
    section(f, "compare-alignment", prefix, "alignment");
    html_table_begin(f, head, 5);
    for (int l = 0; l < 2; l++) {
        const struct cmp_level *lv = &r->level[l];
        char c[4][24];
        size_t n[4] = {lv->matched, lv->missing, lv->extra, lv->mismatched};
        html_row_begin(f);
        html_cell(f, l == CMP_SCSI ? "SCSI commands" : "USB transfers", NULL);
        for (int i = 0; i < 4; i++) {
            snprintf(c[i], sizeof c[i], "%zu", n[i]);
            html_cell(f, c[i], i > 0 && n[i] > 0 ? "fail" : NULL);
        }
        html_row_end(f);
    }
    html_table_end(f);
    html_heading(f, "First divergence");
    if (r->ndiv == 0)
        html_note(f, "none: every aligned item matched");
    fputs(r->ndiv > 0 ? "<pre id=\"compare-divergence\">" : "", f);
    for (size_t i = 0; i < r->ndiv; i++) {
        html_text(f, r->div[i]);
        fputc('\n', f);
    }
    fputs(r->ndiv > 0 ? "</pre>\n" : "", f);
    html_section_end(f);
}

static void html_kinds(const struct cmp_report *r, const char *prefix, FILE *f)
{
    static const char *const head[] = {"kind", "n A", "n B", "p50 A B", "p90 A B", "p99 A B",
                                       "max A B", "KS"};
    section(f, "compare-latency", prefix, "latency per request kind");
    if (r->nkinds == 0)
        html_note(f, "no scsi_cmd or usb_xfer rows in either run");
    else
        html_table_begin(f, head, 8);
    for (size_t i = 0; i < r->nkinds; i++) {
        const struct cmp_kind *k = &r->kinds[i];
        char name[112], na[24], nb[24], st[4][80], ks[24];
        snprintf(name, sizeof name, "%s %s", k->level == CMP_SCSI ? "scsi" : "usb", k->name);
        snprintf(na, sizeof na, "%zu", k->na);
        snprintf(nb, sizeof nb, "%zu", k->nb);
        for (int q = 0; q < 3; q++)
            stat_text(k, pcts[q], st[q], sizeof st[q]);
        stat_text(k, -1, st[3], sizeof st[3]);
        snprintf(ks, sizeof ks, "%.3f", k->ks);
        html_row_begin(f);
        const char *cells[] = {name, na, nb, st[0], st[1], st[2], st[3], ks};
        for (int c = 0; c < 8; c++)
            html_cell(f, cells[c], c == 0 ? "code" : NULL);
        html_row_end(f);
    }
    if (r->nkinds > 0)
        html_table_end(f);
    html_section_end(f);
}

/* A sample's CDF as steps: up from i/n to (i+1)/n at each sample, so a
 * kind with one sample still shows (a vertical line). */
static void cdf_steps(const int64_t *v, size_t n, double *x, double *y)
{
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = x[2 * i + 1] = (double)v[i] / 1e6;
        y[2 * i] = (double)i / (double)n;
        y[2 * i + 1] = (double)(i + 1) / (double)n;
    }
}

/* One kind's two CDFs: x the latency (us), y the fraction at or below. */
static void html_cdf(const struct cmp_kind *k, size_t idx, FILE *f)
{
    size_t n = 2 * (k->na + k->nb);
    double *x = malloc((n ? n : 1) * sizeof *x), *y = malloc((n ? n : 1) * sizeof *y);
    if (x == NULL || y == NULL) {
        free(x);
        free(y);
        html_note(f, "out of memory drawing this chart");
        return;
    }
    cdf_steps(k->a, k->na, x, y);
    cdf_steps(k->b, k->nb, x + 2 * k->na, y + 2 * k->na);
    struct svg_series s[2] = {{"A (reference)", x, y, 2 * k->na},
                              {"B (candidate)", x + 2 * k->na, y + 2 * k->na, 2 * k->nb}};
    char title[136], id[48];
    snprintf(title, sizeof title, "%s %s: latency CDF", k->level == CMP_SCSI ? "scsi" : "usb",
             k->name);
    snprintf(id, sizeof id, "chart-cdf-%zu", idx);
    html_heading(f, title);
    svg_line_chart(f, id, "latency (us)", "fraction at or below", s, 2);
    free(x);
    free(y);
}

static void html_throughput(const struct cmp_report *r, const char *prefix, FILE *f)
{
    double x[2][CMP_BINS], y[2][CMP_BINS];
    struct svg_series s[2];
    section(f, "compare-throughput", prefix, "throughput over each run's span");
    for (int i = 0; i < 2; i++) {
        const struct cmp_side *sd = &r->side[i];
        double w_s = sd->span_ps / CMP_BINS / 1e12;
        for (uint32_t b = 0; b < CMP_BINS; b++) {
            x[i][b] = sd->span_ps * (b + 0.5) / CMP_BINS / 1e9;
            y[i][b] = w_s > 0 ? sd->bins[b] / w_s / 1e6 : 0;
        }
        s[i] = (struct svg_series){i == 0 ? "A (reference)" : "B (candidate)", x[i], y[i],
                                   sd->span_ps > 0 ? CMP_BINS : 0};
    }
    char d[24], line[160];
    rel_text(mb_per_s(&r->side[0]), mb_per_s(&r->side[1]), d, sizeof d);
    snprintf(line, sizeof line, "throughput: A %.3f MB/s, B %.3f MB/s (%s), %s bytes",
             mb_per_s(&r->side[0]), mb_per_s(&r->side[1]), d,
             r->tp_level == CMP_SCSI ? "SCSI" : "USB");
    html_para(f, "compare-throughput-line", line);
    svg_line_chart(f, "chart-compare-throughput", "time from the run's first request (ms)", "MB/s",
                   s, 2);
    html_section_end(f);
}

static void html_verdicts(const struct cmp_verdict *v, size_t nv, unsigned exceeded,
                          const char *prefix, FILE *f)
{
    section(f, "compare-tolerance", prefix, "tolerances");
    if (nv == 0)
        html_note(f, "no tolerance given");
    for (size_t i = 0; i < nv; i++) {
        fprintf(f, "<p class=\"%s\">", v[i].exceeded ? "fail" : "pass");
        html_text(f, v[i].text);
        fputs("</p>\n", f);
    }
    char last[64];
    if (exceeded == 0)
        snprintf(last, sizeof last, "compare: within tolerance");
    else
        snprintf(last, sizeof last, "compare: %u tolerances exceeded", exceeded);
    html_para(f, "compare-verdict", last);
    html_section_end(f);
}

static void html_cdfs(const struct cmp_report *r, const char *prefix, FILE *f)
{
    section(f, "compare-cdf", prefix, "latency distributions (CDF), A and B overlaid");
    size_t drawn = 0;
    for (size_t i = 0; i < r->nkinds && drawn < HTML_CDF_KINDS; i++)
        if (r->kinds[i].na + r->kinds[i].nb > 0)
            html_cdf(&r->kinds[i], drawn++, f);
    if (drawn == 0)
        html_note(f, "no latency samples");
    html_section_end(f);
}

void cmp_html_sections(const struct cmp_report *r, const struct cmp_verdict *v, size_t nv,
                       unsigned exceeded, bool verdicts, const char *prefix, FILE *f)
{
    assert(r != NULL && f != NULL && prefix != NULL && (v != NULL || nv == 0));
    html_runs(r, prefix, f);
    html_alignment(r, prefix, f);
    html_kinds(r, prefix, f);
    html_cdfs(r, prefix, f);
    html_throughput(r, prefix, f);
    if (verdicts)
        html_verdicts(v, nv, exceeded, prefix, f);
}

void cmp_html(const struct cmp_report *r, const struct cmp_verdict *v, size_t nv,
              unsigned exceeded, FILE *f)
{
    assert(r != NULL && f != NULL);
    char a[160], b[160], title[400];
    run_title(&r->side[0], a, sizeof a);
    run_title(&r->side[1], b, sizeof b);
    snprintf(title, sizeof title, "iosim compare: run A %s vs run B %s", a, b);
    html_page_begin(f, title);
    cmp_html_sections(r, v, nv, exceeded, true, "Compare: ", f);
    html_page_end(f);
}
