/*
 * compare.h - two runs of one trace database side by side: a reference A
 * (typically a real capture, `iosim import`) and a candidate B (a
 * simulation of it). What `iosim compare` prints and gates on.
 *
 *   1. alignment: per paired stream, the SCSI commands (scsi_cmd: key
 *      opcode, lba, blocks, dir, len) and per paired endpoint the USB
 *      transfers (usb_xfer: key xfer type, dir, requested, setup; endpoints
 *      pair by role - endpoint 0, then the k-th of each type and direction
 *      by first transfer - since hardware numbers its pipes differently,
 *      and notes name both numbers where they differ), aligned
 *      as a longest common subsequence (align.h) into matched, missing (A
 *      only), extra (B only) and mismatched (matched, but SCSI status,
 *      residue or sense / USB status or actual differ), and the first
 *      divergence with three aligned items of context;
 *   2. timing per request kind (`READ(10) 64 KiB`, `bulk in #1 512 B`):
 *      count, p50, p90, p99 and max of both runs, and the KS distance;
 *   3. throughput: bytes moved per second of the run's span of commands,
 *      and over CMP_BINS bins of it.
 *
 *     struct cmp_report r;
 *     char msg[256];
 *     if (cmp_compute("t.db", 3, 1, &r, msg, sizeof msg) != IOSIM_OK) ... msg ...
 *     struct cmp_verdict *v;  size_t nv;  unsigned bad;
 *     if (cmp_check(&r, tol, ntol, &v, &nv, &bad) == IOSIM_OK) {
 *         cmp_print(&r, v, nv, bad, stdout);     // bad: checks exceeded
 *         cmp_html(&r, v, nv, bad, page);
 *         free(v);
 *     }
 *     cmp_report_free(&r);
 *
 * Reads the trace schema with SQL only (read-only); every value from the
 * file is bounded before use (text copied into fixed fields, truncated).
 * Output is deterministic: kinds sorted by name, groups by their keys.
 * The path and the tolerances are borrowed; the report owns its arrays
 * (cmp_report_free). Prints only to the stream it is given.
 */
#ifndef IOSIM_REPORTS_COMPARE_H
#define IOSIM_REPORTS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "impl/port/err.h"

#define CMP_BINS 50u          /* throughput bins over each run's span */
#define CMP_DIV_LINES 16u     /* the first divergence, context included */
#define CMP_NOTES_MAX 32u     /* pairing notes (devices, endpoints) */
#define CMP_ROWS_MAX (1u << 22) /* rows read per table and run */

/* ---- tolerances ---------------------------------------------------------------------------- */

enum cmp_tol_key {
    CMP_TOL_P50,        /* percent: |p50(B) - p50(A)| / p50(A), per kind */
    CMP_TOL_P90,
    CMP_TOL_P99,
    CMP_TOL_KS,         /* 0..1: the KS distance, per kind */
    CMP_TOL_THROUGHPUT, /* percent: bytes/s over the run */
    CMP_TOL_MISSING,    /* counts of requests (SCSI commands, else USB transfers) */
    CMP_TOL_EXTRA,
    CMP_TOL_MISMATCH,
    CMP_TOL_SAMPLES,    /* a count: per-kind keys gate kinds of at least this many samples */
    CMP_TOL_KINDS,      /* 0 all, 1 scsi, 2 usb: the kinds the per-kind keys gate */
};

struct cmp_tolerance {
    enum cmp_tol_key key;
    double value;
};

/* Fewest samples a kind needs in each run for the key to gate it (fewer:
 * reported, not gated). */
size_t cmp_tolerance_min_samples(enum cmp_tol_key key);

/* Reads "KEY=VALUE": p50, p90, p99, throughput take a percentage (`10%`
 * or `10`), ks a number in 0..1, missing, extra, mismatch a count, and
 * samples a count that raises the per-kind keys' minimum samples (a kind
 * with fewer in either run is reported, not gated), kinds one of all,
 * scsi, usb: the kinds the per-kind keys gate (value 0, 1, 2). On
 * error, IOSIM_EPARSE and why in msg. */
enum iosim_err cmp_tolerance_parse(const char *text, struct cmp_tolerance *t, char *msg,
                                   size_t msg_len);

/* ---- the comparison ------------------------------------------------------------------------ */

enum { CMP_SCSI = 0, CMP_USB = 1 };

struct cmp_side {
    int64_t run_id;
    char scenario[96], policy[32];
    int64_t seed;
    size_t nscsi, nxfer;     /* rows read */
    double bytes, span_ps;   /* throughput: bytes moved over the span */
    double bins[CMP_BINS];   /* bytes per bin of the span */
};

struct cmp_level {
    size_t matched, missing, extra, mismatched;
};

struct cmp_kind {
    char name[96];
    uint32_t level;            /* CMP_SCSI, CMP_USB */
    const int64_t *a, *b;      /* sorted latencies (ps), into the report's buffer */
    size_t na, nb;
    double ks;
};

struct cmp_report {
    struct cmp_side side[2];
    struct cmp_level level[2];
    uint32_t tp_level;         /* what throughput and missing/extra count: CMP_SCSI or CMP_USB */
    char div[CMP_DIV_LINES][512];
    size_t ndiv;               /* 0: no divergence */
    char notes[CMP_NOTES_MAX][200];
    size_t nnotes;
    struct cmp_kind *kinds;    /* owned; by level, then name */
    size_t nkinds;
    int64_t *samples;          /* owned: what kinds point into */
};

enum iosim_err cmp_compute(const char *db_path, int64_t run_a, int64_t run_b,
                           struct cmp_report *r, char *msg, size_t msg_len);
void cmp_report_free(struct cmp_report *r);

/* One verdict line per tolerance that held and per kind or count that
 * exceeded one ("tolerance: p90 READ(10) 64 KiB: +23.4% > 10%"). */
struct cmp_verdict {
    char text[200];
    bool exceeded;
};

/* "1.234 ms" (from 1 ms) or "12.345 us": a time or duration in ps. */
void cmp_format_ps(int64_t ps, char *buf, size_t cap);

/* The verdicts of nt tolerances (owned array in *v, free()); the number
 * of them exceeded. */
enum iosim_err cmp_check(const struct cmp_report *r, const struct cmp_tolerance *t, size_t nt,
                         struct cmp_verdict **v, size_t *nv, unsigned *exceeded);

/* The text report (the format docs/architecture.md "Compare" describes),
 * ending with the verdicts and `compare: within tolerance` or
 * `compare: N tolerances exceeded`; returns the count exceeded. */
unsigned cmp_print(const struct cmp_report *r, const struct cmp_verdict *v, size_t nv,
                   unsigned exceeded, FILE *f);

/* The self-contained HTML page: the same tables, latency CDFs per kind
 * and throughput over time for both runs. */
void cmp_html(const struct cmp_report *r, const struct cmp_verdict *v, size_t nv,
              unsigned exceeded, FILE *f);

/* The page's sections alone (for a page of the caller's: the report's
 * comparison section), each title after prefix; with verdicts, the
 * tolerance section too. */
void cmp_html_sections(const struct cmp_report *r, const struct cmp_verdict *v, size_t nv,
                       unsigned exceeded, bool verdicts, const char *prefix, FILE *f);

#endif /* IOSIM_REPORTS_COMPARE_H */
