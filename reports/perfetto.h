/*
 * perfetto.h - one run of a trace database as Chrome trace-event JSON, the
 * format ui.perfetto.dev and chrome://tracing open: `iosim export --format
 * perfetto`.
 *
 *     char msg[256];
 *     if (report_perfetto("traces.db", 3, f, msg, sizeof msg) != IOSIM_OK)
 *         ... msg says why (no such run, not a trace database) ...
 *
 * The document is {"traceEvents":[...],"displayTimeUnit":"ns","otherData":
 * {run, scenario, seed, policy, result}}. Tracks are trace-event processes
 * and threads, named by metadata events ("ph":"M"):
 *   pid 1 "CPUs"            a thread per CPU: a complete event ("ph":"X")
 *                           for each span a process ran there (sched rows,
 *                           sched_spans.h - the HTML timeline's intervals)
 *   pid 2 "USB transfers"   a thread per device, endpoint and direction:
 *                           usb_xfer rows as X from submit_ps to t_ps
 *   pid 3 "SCSI commands"   per LUN: scsi_cmd rows, start_ps to end_ps
 *   pid 4 "xHCI commands"   per controller: xhci_cmd, issued_ps to t_ps
 *   pid 5 "interrupts"      per device and line: irq rows as instants
 *   pid 6 "MMIO"            per device: mmio rows as instants
 *   pid 7 "fio"             per job: fio_io, submit_ps to t_ps
 *   pid 8 "ring occupancy"  a counter ("ph":"C") per ring and side: tail -
 *                           head after each push or pop, as that side
 *                           knew it
 *   pid 100 + P             simulated process P (its process row's name):
 *                           thread "running" (its sched spans, named by
 *                           CPU), thread "rings" (ring_op rows as
 *                           instants); a pid outside 0..999999 goes to
 *                           pid 99 "other processes"
 * Each event's args are its row's other columns. Times: ts and dur in
 * microseconds with six decimals, exact (json_us); a row with a negative
 * time is left out, a negative duration is 0. Tables the file lacks give
 * no events. At most PERFETTO_LANES_MAX named threads; further lanes share
 * thread 0 ("other").
 *
 * Reads SQL only (read-only connection); every string from the database
 * goes through json_str, so a hostile one cannot break the JSON. The same
 * database gives the same bytes. Borrowed: the path and the stream.
 */
#ifndef IOSIM_REPORTS_PERFETTO_H
#define IOSIM_REPORTS_PERFETTO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "impl/port/err.h"

#define PERFETTO_LANES_MAX 1024

/* ENOENT when the run does not exist, EPROTO when db_path is not a trace
 * database (msg says which); IOSIM_OK once the document is written (write
 * errors are the stream's: the caller checks ferror). */
enum iosim_err report_perfetto(const char *db_path, int64_t run_id, FILE *out, char *msg,
                               size_t msg_len);

#endif /* IOSIM_REPORTS_PERFETTO_H */
