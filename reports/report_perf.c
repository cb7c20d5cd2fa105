/* The HTML report's latency histograms and throughput chart (sections 3
 * and 4); see report_html.h. */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "reports/html.h"
#include "reports/report_html_internal.h"
#include "reports/svg.h"

#define LAT_KINDS_MAX 12u  /* kinds per table; more go to "other" */
#define LAT_BINS 48u       /* power-of-two bins of nanoseconds */
#define LAT_BINS_SHOWN_MIN 8u
#define TP_BUCKETS 100u
#define TP_SERIES_MAX 4u

/* A table whose rows have a duration, and how to read it (nanoseconds). */
struct lat_source {
    const char *table;
    const char *title;
    const char *kind_sql;  /* what the kinds are */
    const char *ns_sql;    /* the duration in ns */
};

static const struct lat_source lat_sources[] = {
    {"fio_io", "fio I/O completion latency (submission to completion)", "op", "lat_ns"},
    {"scsi_cmd", "SCSI command duration (CBW to its end), by command", "op",
     "(end_ps - start_ps) / 1000"},
    {"usb_xfer", "USB transfer duration (first TRB to its end), by type and direction",
     "xfer || ' ' || dir", "(t_ps - submit_ps) / 1000"},
    {"xhci_cmd", "xHCI command latency (fetched to completed), by command", "command",
     "(t_ps - issued_ps) / 1000"},
};

struct lat_kind {
    char name[48];
    uint64_t bins[LAT_BINS];
    uint64_t n;
};

static int kind_cmp(const void *a, const void *b)
{
    return strcmp(((const struct lat_kind *)a)->name, ((const struct lat_kind *)b)->name);
}

static uint32_t ns_bin(int64_t ns)
{
    uint32_t b = 0;
    while (ns > 1 && b < LAT_BINS - 1) {
        ns >>= 1;
        b++;
    }
    return b;
}

static struct lat_kind *kind_of(struct lat_kind *k, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(k[i].name, name) == 0)
            return &k[i];
    const char *use = *n < LAT_KINDS_MAX ? name : "other";
    if (*n == LAT_KINDS_MAX + 1)
        return &k[LAT_KINDS_MAX];
    memset(&k[*n], 0, sizeof k[0]);
    snprintf(k[*n].name, sizeof k[0].name, "%s", use);
    return &k[(*n)++];
}

static size_t lat_read(sqlite3 *db, const struct lat_source *src, struct lat_kind *k)
{
    char sql[320];
    snprintf(sql, sizeof sql, "SELECT %s, %s FROM \"%s\" WHERE %s >= 0", src->kind_sql,
             src->ns_sql, src->table, src->ns_sql);
    sqlite3_stmt *st = rh_prepare(db, sql);
    size_t n = 0;
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        struct lat_kind *kk = kind_of(k, &n, rh_text(st, 0));
        kk->bins[ns_bin(sqlite3_column_int64(st, 1))]++;
        kk->n++;
    }
    sqlite3_finalize(st);
    qsort(k, n, sizeof k[0], kind_cmp);
    return n;
}

/* One histogram: the bins from the first to the last non-empty one. */
static void lat_chart(FILE *f, const char *table, size_t idx, const struct lat_kind *k)
{
    uint32_t lo = LAT_BINS, hi = 0;
    for (uint32_t b = 0; b < LAT_BINS; b++)
        if (k->bins[b] > 0) {
            lo = b < lo ? b : lo;
            hi = b;
        }
    if (lo == LAT_BINS)
        return;
    while (hi - lo + 1 < LAT_BINS_SHOWN_MIN) { /* a little room on both sides */
        lo -= lo > 0;
        hi += hi < LAT_BINS - 1 && hi - lo + 1 < LAT_BINS_SHOWN_MIN;
    }
    char labels[LAT_BINS][24];
    const char *lp[LAT_BINS];
    for (uint32_t b = lo; b <= hi; b++) {
        if (b == 0)
            snprintf(labels[0], sizeof labels[0], "0");
        else
            rh_format_ns((double)(UINT64_C(1) << b), labels[b - lo], sizeof labels[0]);
        lp[b - lo] = labels[b - lo];
    }
    char head[96], id[64];
    snprintf(head, sizeof head, "%s: %s (%" PRIu64 ")", table, k->name, k->n);
    snprintf(id, sizeof id, "chart-latency-%s-%zu", table, idx);
    for (char *p = id; *p != '\0'; p++)
        *p = *p == '_' ? '-' : *p;
    svg_bar_chart(f, id, head, "latency, at least (power-of-two bins)", lp, &k->bins[lo],
                  hi - lo + 1);
}

void rh_section_latency(struct rh_ctx *c)
{
    static struct lat_kind k[LAT_KINDS_MAX + 1];
    bool any = false;
    html_section(c->f, "latency", "3. Latency histograms per request kind");
    for (size_t s = 0; s < sizeof lat_sources / sizeof lat_sources[0]; s++) {
        const struct lat_source *src = &lat_sources[s];
        size_t n = rh_has_table(c->db, src->table) ? lat_read(c->db, src, k) : 0;
        if (n == 0)
            continue;
        html_heading(c->f, src->title);
        for (size_t i = 0; i < n; i++)
            lat_chart(c->f, src->table, i, &k[i]);
        any = true;
    }
    if (!any)
        html_note(c->f, "no rows with durations (fio_io, scsi_cmd, usb_xfer, xhci_cmd) in this file");
    html_section_end(c->f);
}

/* ---- throughput -------------------------------------------------------------------------- */

struct tp_series {
    char name[32];
    double bytes[TP_BUCKETS];
};

/* The rows (kind, t_ps, bytes) of sql for run: per kind, bytes per bucket
 * of [0, end_ps]. */
static size_t tp_read(sqlite3 *db, const char *sql, int64_t run, double end_ps,
                      struct tp_series *s)
{
    sqlite3_stmt *st = rh_prepare(db, sql);
    size_t n = 0;
    if (st != NULL)
        sqlite3_bind_int64(st, 1, run);
    while (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        const char *kind = rh_text(st, 0);
        size_t i = 0;
        while (i < n && strcmp(s[i].name, kind) != 0)
            i++;
        if (i == n && n == TP_SERIES_MAX)
            continue;
        if (i == n) {
            memset(&s[n], 0, sizeof s[0]);
            snprintf(s[n++].name, sizeof s[0].name, "%s", kind);
        }
        double k = (double)sqlite3_column_int64(st, 1) / end_ps * TP_BUCKETS;
        uint32_t b = k < 0 ? 0 : k >= TP_BUCKETS ? TP_BUCKETS - 1 : (uint32_t)k;
        s[i].bytes[b] += (double)sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return n;
}

static void tp_chart(FILE *f, const struct tp_series *s, size_t n, double end_ps)
{
    static double x[TP_BUCKETS], y[TP_SERIES_MAX][TP_BUCKETS];
    struct svg_series ss[TP_SERIES_MAX];
    double w_s = end_ps / TP_BUCKETS / 1e12;
    for (uint32_t b = 0; b < TP_BUCKETS; b++)
        x[b] = end_ps * (b + 0.5) / TP_BUCKETS / 1e9;
    for (size_t i = 0; i < n; i++) {
        for (uint32_t b = 0; b < TP_BUCKETS; b++)
            y[i][b] = s[i].bytes[b] / w_s / 1e6;
        ss[i] = (struct svg_series){s[i].name, x, y[i], TP_BUCKETS};
    }
    svg_line_chart(f, "chart-throughput", "simulated time (ms)", "MB/s", ss, n);
}

void rh_section_throughput(struct rh_ctx *c)
{
    static struct tp_series s[TP_SERIES_MAX];
    html_section(c->f, "throughput", "4. Throughput over simulated time");
    const char *what = "fio_io";
    int64_t run = rh_has_table(c->db, "fio_io")
                      ? rh_scalar(c->db, "SELECT run_id FROM fio_io WHERE status > 0 GROUP BY run_id"
                                         " ORDER BY sum(status) DESC, run_id LIMIT 1", 0, 0)
                      : 0;
    const char *sql = "SELECT op, t_ps, status FROM fio_io WHERE run_id = ?1 AND status > 0";
    if (run == 0) {
        what = "dma";
        run = c->run_id;
        sql = "SELECT dir, t_ps, len FROM dma WHERE run_id = ?1 AND status = 'ok'";
    }
    double end_ps = (double)rh_scalar(c->db, strcmp(what, "dma") == 0
                                                 ? "SELECT max(t_ps) FROM dma WHERE run_id = ?1"
                                                 : "SELECT max(t_ps) FROM fio_io WHERE run_id = ?1",
                                      run, 0);
    size_t n = run != 0 && end_ps > 0 ? tp_read(c->db, sql, run, end_ps, s) : 0;
    if (n == 0) {
        html_note(c->f, "no bytes moved in this file (fio_io or dma rows)");
    } else {
        char note[160];
        snprintf(note, sizeof note, "run %" PRId64 ": %s bytes per %.3g us of simulated time",
                 run, what, end_ps / TP_BUCKETS / 1e6);
        fputs("<p>", c->f);
        html_text(c->f, note);
        fputs("</p>\n", c->f);
        tp_chart(c->f, s, n, end_ps);
    }
    html_section_end(c->f);
}
