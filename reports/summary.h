/*
 * summary.h - a plain-text report of the runs in a trace database.
 *
 * Reads the trace schema (docs/trace-schema.md) with SQL only; never runs
 * a simulation. Lists every run (verdict, status, seed, policy, simulated
 * end time, rows, trace hash), the failures with their repro commands, and
 * how many rows each table holds.
 *
 *     char msg[256];
 *     if (report_summary("out/traces.db", stdout, msg, sizeof msg) != IOSIM_OK) ...
 *
 * The output stream is borrowed; nothing else is kept.
 */
#ifndef IOSIM_REPORTS_SUMMARY_H
#define IOSIM_REPORTS_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "impl/port/err.h"

enum iosim_err report_summary(const char *db_path, FILE *out, char *msg, size_t msg_len);

#endif /* IOSIM_REPORTS_SUMMARY_H */
