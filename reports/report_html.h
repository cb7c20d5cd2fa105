/*
 * report_html.h - the HTML report of a trace database: one self-contained
 * page (inline CSS and SVG, nothing loaded from anywhere, no script) with
 *
 *   1. runs and failures over each fuzz campaign (fuzz_run, by idx);
 *   2. coverage growth (fuzz_run.coverage), or a note when none was recorded;
 *   3. latency histograms per request kind (fio_io, scsi_cmd, usb_xfer,
 *      xhci_cmd), power-of-two bins;
 *   4. throughput over simulated time (fio_io bytes, else dma bytes);
 *   5. the timeline of one run: CPUs, processes, rings, devices;
 *   6. the conformance matrix: each spec clause of run.clauses x pass/fail;
 *   7. failures with their repro commands, shrunk repros beside the originals;
 *   8. when the file holds exactly one real capture (iosim import) and one
 *      simulated run: the two compared (reports/compare.h), else nothing.
 *
 * Reads the trace schema with SQL only (read-only; never runs a
 * simulation); a section whose tables are missing or empty says so. Every
 * string from the file is escaped. Nothing in the page depends on the wall
 * clock or the host.
 *
 *     struct report_html_opts o = {.run_id = 0};   // 0: the first failing run, else the first
 *     char msg[256];
 *     if (report_html("out/traces.db", &o, f, msg, sizeof msg) != IOSIM_OK) ... msg ...
 *
 * Borrowed: the path, the options and the stream.
 */
#ifndef IOSIM_REPORTS_REPORT_HTML_H
#define IOSIM_REPORTS_REPORT_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "impl/port/err.h"

struct report_html_opts {
    int64_t run_id; /* the timeline's run; 0: the first failing traced run, else the first run */
};

enum iosim_err report_html(const char *db_path, const struct report_html_opts *opts, FILE *out,
                           char *msg, size_t msg_len);

#endif /* IOSIM_REPORTS_REPORT_HTML_H */
