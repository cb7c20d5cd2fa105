/*
 * summary.h - a plain-text report of the runs in a trace database.
 *
 * Reads the trace schema (docs/trace-schema.md) with SQL only; never runs
 * a simulation. Lists every run (verdict, status, seed, policy, simulated
 * end time, rows, trace hash), the failures with their repro commands, and
 * how many rows each of the given tables holds (the caller names them: the
 * core tables and those of the registered device families; one the file
 * does not have is left out).
 *
 *     const char *tables[] = {"process", "sched", "blink_op"};
 *     char msg[256];
 *     if (report_summary("out/traces.db", tables, 3, stdout, msg, sizeof msg) != IOSIM_OK) ...
 *
 * The output stream and the names are borrowed; nothing is kept.
 */
#ifndef IOSIM_REPORTS_SUMMARY_H
#define IOSIM_REPORTS_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "impl/port/err.h"

enum iosim_err report_summary(const char *db_path, const char *const *tables, size_t ntables,
                              FILE *out, char *msg, size_t msg_len);

#endif /* IOSIM_REPORTS_SUMMARY_H */
