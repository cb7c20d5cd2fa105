/*
 * rowlog.h - where two runs of the same seed part: the first trace row that
 * differs.
 *
 * Two runs that should be identical (`iosim fuzz --check-determinism`)
 * disagree on their trace hash; the hash says that they differ, not where.
 * A rowlog watches a run's rows through the run's tap (sim_run_opts.rowlog)
 * in one of two modes. Recording, it keeps a 64-bit digest of every row and,
 * within a byte budget, the row itself. Comparing (ref set to a recording of
 * the first run), it digests each row of the second run as it comes and
 * stops looking at the first one that differs from the reference's row of
 * the same position, keeping that row. Afterwards sim_rowlog_report says
 * where and how the streams part: the position and time, the two rows, and
 * the last row they share - or that one run ended while the other went on.
 *
 *     struct sim_rowlog a, b;
 *     sim_rowlog_init(&a, NULL);          record
 *     opts.rowlog = &a;  sim_run(...);
 *     sim_rowlog_init(&b, &a);            compare with a
 *     opts.rowlog = &b;  sim_run(...);
 *     if (sim_rowlog_report(&b, "first run", "second run", text, sizeof text))
 *         ... they differ
 *     sim_rowlog_fini(&b);  sim_rowlog_fini(&a);
 *
 * A row is the tap's view of it: table, t_ps and own columns - the same
 * values the trace hash covers, so two runs with different hashes always
 * have a first differing row (or different lengths). Pure bookkeeping: it
 * changes no run and no hash.
 *
 * Memory: a recording holds 16 bytes a row plus the rows' bytes up to
 * SIM_ROWLOG_BYTES_MAX (beyond it, rows are compared by digest and shown
 * as "not kept"); past SIM_ROWLOG_ROWS_MAX rows it stops recording (and a
 * comparison stops there too, which the report says). Allocation failure
 * degrades the same way; nothing here fails a run.
 * Ownership: caller storage; the rowlog owns its buffers until
 * sim_rowlog_fini. A comparing rowlog borrows its ref, which must outlive
 * it.
 */
#ifndef IOSIM_SIM_ROWLOG_H
#define IOSIM_SIM_ROWLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/trace/trace.h"

#define SIM_ROWLOG_BYTES_MAX (64u << 20)
#define SIM_ROWLOG_ROWS_MAX (16u << 20)

struct sim_rowlog {
    const struct sim_rowlog *ref; /* NULL: recording */
    uint64_t rows;                /* rows seen */
    /* recording: per row its digest and the offset of its bytes (or
     * UINT64_MAX when not kept), the bytes in one arena */
    uint64_t *digest, *off;
    uint64_t cap;                 /* entries allocated in digest, off */
    unsigned char *bytes;
    size_t used, bytes_cap;
    bool full;                    /* stopped recording: the row cap or no memory */
    /* comparing: the first differing row's position and bytes */
    bool diverged;
    uint64_t at;
    unsigned char *mine;          /* malloc'd encoding of that row (NULL: none) */
    size_t mine_len;
    unsigned char *scratch;       /* the current row's encoding */
    size_t scratch_cap;
};

/* ref: NULL to record, else a recording (of the first run) to compare with. */
void sim_rowlog_init(struct sim_rowlog *l, const struct sim_rowlog *ref);

void sim_rowlog_fini(struct sim_rowlog *l);

/* One row (a run tap's arguments). */
void sim_rowlog_row(struct sim_rowlog *l, uint32_t table, sim_time_ps t_ps,
                    const struct sim_trace_value *cols, uint32_t ncols);

/* sim_rowlog_row as a sim_trace_tap_fn (ctx: the rowlog): to fill a
 * recording from stored rows (sim_trace_file_run_rows). */
void sim_rowlog_tap(void *ctx, uint32_t table, sim_time_ps t_ps,
                    const struct sim_trace_value *cols, uint32_t ncols);

/* A comparing rowlog after its run: false when the run's rows equal the
 * reference's (as far as both were recorded); true with the first
 * difference written into out (always terminated, truncated to n) as
 * lines: "first difference at row N, t=T ps", "  FIRST:  ROW" (the
 * reference's row), "  SECOND: ROW" (the labels padded to one width), and
 * "  after row N-1: ROW" when there is one. */
bool sim_rowlog_report(const struct sim_rowlog *l, const char *first, const char *second,
                       char *out, size_t n);

/* The text of a row's encoding (as kept by a rowlog) into out: "table
 * t=T col=value ...", strings quoted; always terminated. Exposed for the
 * tests. */
void sim_rowlog_format(const unsigned char *row, size_t len, char *out, size_t n);

#endif /* IOSIM_SIM_ROWLOG_H */
