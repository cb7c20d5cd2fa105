/*
 * report_html_internal.h - what the sections of the HTML report share: the
 * open database, the output and small SQL helpers. Private to
 * reports/report_*.c (and perfetto.c, which uses the SQL helpers).
 */
#ifndef IOSIM_REPORTS_REPORT_HTML_INTERNAL_H
#define IOSIM_REPORTS_REPORT_HTML_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct rh_ctx {
    sqlite3 *db;      /* read-only connection, borrowed */
    FILE *f;          /* the page */
    int64_t run_id;   /* the timeline's run (0: none) */
    const char *path; /* the database's path, borrowed (the comparison reads it again) */
};

/* Whether the file has the table / the table has the column. */
bool rh_has_table(sqlite3 *db, const char *table);
bool rh_has_column(sqlite3 *db, const char *table, const char *col);

/* A prepared statement, or NULL (a missing table or column). */
sqlite3_stmt *rh_prepare(sqlite3 *db, const char *sql);

/* Column i as text ("" for NULL). */
const char *rh_text(sqlite3_stmt *st, int i);

/* One integer from a query with ?1 = arg (def when no row or NULL). */
int64_t rh_scalar(sqlite3 *db, const char *sql, int64_t arg, int64_t def);

/* "12.3 us" for a duration in nanoseconds. */
void rh_format_ns(double ns, char *buf, size_t cap);

void rh_section_latency(struct rh_ctx *c);
void rh_section_throughput(struct rh_ctx *c);
void rh_section_timeline(struct rh_ctx *c);
void rh_section_compare(struct rh_ctx *c);

#endif /* IOSIM_REPORTS_REPORT_HTML_INTERNAL_H */
