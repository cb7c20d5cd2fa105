/*
 * trace_tables.h - the row tables of trace schema v1, declared once.
 *
 * Each entry of SIM_TRACE_TABLES names a table and its own columns as
 * (KIND, name) pairs, in column order. From this one list sim/trace/trace.c
 * generates the emit functions (sim_trace_<table>()), the CREATE TABLE
 * and INSERT statements, the binding of buffered rows and the hash input;
 * docs/trace-schema.md documents every table (a test checks that the
 * document names every table and column of this list).
 *
 * Column kinds:
 *   INT   int64_t argument, SQLite INTEGER. uint64_t values are passed as
 *         their int64_t bit pattern (read them back with `& 0xffff...` or
 *         as unsigned in the reader).
 *   SYM   const char *, a string that stays valid and unchanged until the
 *         run ends (enum names, device names owned by the machine). Stored
 *         as TEXT, hashed by content, never by pointer. Not copied.
 *   TEXT  const char *, copied when emitted (the caller may reuse its
 *         buffer at once). Stored as TEXT, hashed by content.
 * A NULL SYM or TEXT is stored as SQL NULL (and hashed apart from "").
 *
 * Every row table also gets, before its own columns:
 *   run_id INTEGER  the run row's id,
 *   seq INTEGER     the row's position in the run's whole trace (all tables),
 *   t_ps INTEGER    simulated time of the event, picoseconds.
 *
 * Adding a table is one entry here (append it: a table's id is its position
 * in the list and is part of the trace hash), plus its section in
 * docs/trace-schema.md. A table has 1 to 24 own columns; a column may not be
 * called run_id, seq or t_ps. These are the core tables, the ones the
 * simulator itself emits; a model family declares its own tables in its own
 * folder and registers them at start-up instead (SIM_TRACE_TABLE_DEF and
 * sim_trace_table_register in sim/trace/trace.h), after these.
 *
 * Usage (a generator): define a macro taking (table, (KIND, col), ...) and
 * walk the columns with SIM_TRACE_EACH:
 *
 *     #define COUNT_COL(kind, col) + 1
 *     #define TABLE_COLS(table, ...) [SIM_TRACE_TABLE_##table] = 0 SIM_TRACE_EACH(COUNT_COL, __VA_ARGS__),
 *     static const unsigned ncols[] = { SIM_TRACE_TABLES(TABLE_COLS) };
 *
 * Header-only, no state; includable on its own (reports/ reads it too).
 */
#ifndef IOSIM_SIM_TRACE_TABLES_H
#define IOSIM_SIM_TRACE_TABLES_H

/* Bump when a column changes meaning, type or position, or a table goes;
 * adding a new table keeps the version (older files gain it on open). */
#define SIM_TRACE_SCHEMA_VERSION 1

/* clang-format off */
#define SIM_TRACE_TABLES(T)                                                              \
    /* a process was created; cpu -1 = any */                                           \
    T(process, (INT, pid), (SYM, name), (SYM, kind), (INT, cpu))                         \
    /* a scheduler decision: dispatch, preempt, block, wake, exit, stall, idle, ... */  \
    T(sched, (INT, cpu), (INT, pid), (SYM, event), (INT, other), (INT, detail))          \
    /* one MMIO access by a process to a device register */                             \
    T(mmio, (INT, cpu), (INT, pid), (SYM, device), (INT, addr), (INT, offset),           \
      (INT, size), (SYM, dir), (INT, value), (INT, latency_ps), (SYM, status))           \
    /* a device DMA: status ok / refused / out_of_range / disabled */                   \
    T(dma, (SYM, device), (SYM, dir), (INT, iova), (INT, paddr), (INT, len),             \
      (SYM, status))                                                                     \
    /* IOMMU mapping change: op map / unmap */                                          \
    T(iommu, (SYM, op), (INT, domain), (INT, iova), (INT, paddr), (INT, len),            \
      (INT, pid))                                                                        \
    /* interrupt: raise / deliver / latch / timeout / drop / delay */                   \
    T(irq, (INT, line), (SYM, event), (INT, pid), (SYM, device))                         \
    /* a push or pop on an SQ/CQ ring */                                                \
    T(ring_op, (INT, pid), (INT, ring), (SYM, side), (SYM, op), (INT, head),             \
      (INT, tail), (INT, count), (INT, status))                                          \
    /* an injected fault */                                                             \
    T(fault, (SYM, kind), (SYM, target), (TEXT, detail))                                 \
    /* an expectation was checked: result pass / fail */                                \
    T(expectation, (INT, idx), (SYM, kind), (TEXT, location), (SYM, result),             \
      (TEXT, message))                                                                   \
    /* a log line of a simulated process or of the simulator */                         \
    T(log, (INT, pid), (SYM, source), (TEXT, message))                                   \
    /* a buffer-pool event: alloc, free, defer, guard, unguard, forfeit, leak, ... */   \
    T(bufpool_op, (INT, pid), (TEXT, pool), (SYM, op), (INT, chunk), (INT, offset),      \
      (INT, len), (INT, addr), (INT, guards), (INT, status))                             \
    /* a function pcid found, and what it did with it */                                \
    T(pcid_func, (INT, pid), (TEXT, bdf), (INT, vendor), (INT, device), (INT, class),    \
      (INT, subclass), (INT, prog_if), (SYM, kind), (TEXT, caps), (INT, problems),       \
      (TEXT, driver), (SYM, status), (INT, driver_pid))                                  \
    /* one implemented BAR or bridge window of a function pcid found */                 \
    T(pcid_bar, (INT, pid), (TEXT, bdf), (INT, bar), (SYM, kind), (INT, prefetch),       \
      (INT, size), (INT, addr), (INT, assigned))                                         \
    /* a request a driver made of pcid over its ring, and the answer */                 \
    T(pcid_req, (INT, pid), (TEXT, bdf), (INT, client_pid), (SYM, op), (INT, offset),    \
      (INT, len), (INT, status), (INT, extra))                                         \
    /* what xhcid did with a root port or the device on it */                          \
    T(xhcid_dev, (INT, pid), (INT, port), (INT, slot), (SYM, speed), (SYM, event),       \
      (INT, vendor), (INT, product), (INT, interfaces), (TEXT, detail))                   \
    /* one SCSI command usbscsid ran over Bulk-Only Transport, at its end */             \
    T(scsi_cmd, (INT, pid), (INT, lun), (INT, tag), (SYM, op), (INT, opcode), (INT, lba), \
      (INT, blocks), (SYM, dir), (INT, len), (INT, residue), (SYM, status),              \
      (INT, sense_key), (INT, asc), (INT, ascq), (INT, start_ps), (INT, end_ps))         \
    /* one I/O of a disk workload, at its completion */                                  \
    T(fio_io, (INT, pid), (TEXT, job), (SYM, op), (INT, offset), (INT, len),             \
      (INT, status), (INT, submit_ps), (INT, lat_ns))                                    \
    /* a disk workload's summary per direction, as fio prints it */                      \
    T(fio_result, (INT, pid), (TEXT, job), (SYM, dir), (INT, ios), (INT, bytes),         \
      (INT, errors), (INT, runtime_ns), (INT, iops), (INT, bw_kib_s), (INT, lat_min_ns), \
      (INT, lat_mean_ns), (INT, lat_max_ns), (INT, p50_ns), (INT, p90_ns), (INT, p99_ns), \
      (INT, p999_ns))
/* clang-format on */

/* The core table ids: SIM_TRACE_TABLE_<table>, dense from 0, in list order
 * (registered tables follow from SIM_TRACE_TABLE_COUNT on). */
enum sim_trace_table {
#define SIM_TRACE_ENUM_(table, ...) SIM_TRACE_TABLE_##table,
    SIM_TRACE_TABLES(SIM_TRACE_ENUM_)
#undef SIM_TRACE_ENUM_
    SIM_TRACE_TABLE_COUNT
};

enum sim_trace_kind {
    SIM_TRACE_KIND_INT,
    SIM_TRACE_KIND_SYM,
    SIM_TRACE_KIND_TEXT,
};

/* What each kind is in C and in SQL (paste the kind onto the prefix). */
#define SIM_TRACE_CTYPE_INT int64_t
#define SIM_TRACE_CTYPE_SYM const char *
#define SIM_TRACE_CTYPE_TEXT const char *
#define SIM_TRACE_SQLTYPE_INT "INTEGER"
#define SIM_TRACE_SQLTYPE_SYM "TEXT"
#define SIM_TRACE_SQLTYPE_TEXT "TEXT"

/*
 * SIM_TRACE_EACH(M, (K1, c1), (K2, c2), ...) expands to M(K1, c1) M(K2, c2)
 * ..., for 1 to 24 pairs. Plain argument counting: the pair list is
 * matched against a descending number list to pick SIM_TRACE_EACH_<n>.
 */
#define SIM_TRACE_EACH(M, ...) \
    SIM_TRACE_PP_CAT(SIM_TRACE_EACH_, SIM_TRACE_PP_NARGS(__VA_ARGS__))(M, __VA_ARGS__)

#define SIM_TRACE_PP_CAT(a, b) SIM_TRACE_PP_CAT_(a, b)
#define SIM_TRACE_PP_CAT_(a, b) a##b
#define SIM_TRACE_PP_NARGS(...)                                                        \
    SIM_TRACE_PP_NARGS_(__VA_ARGS__, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,     \
                        12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define SIM_TRACE_PP_NARGS_(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, \
                            a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, n, ...)    \
    n

#define SIM_TRACE_EACH_1(M, x) M x
#define SIM_TRACE_EACH_2(M, x, ...) M x SIM_TRACE_EACH_1(M, __VA_ARGS__)
#define SIM_TRACE_EACH_3(M, x, ...) M x SIM_TRACE_EACH_2(M, __VA_ARGS__)
#define SIM_TRACE_EACH_4(M, x, ...) M x SIM_TRACE_EACH_3(M, __VA_ARGS__)
#define SIM_TRACE_EACH_5(M, x, ...) M x SIM_TRACE_EACH_4(M, __VA_ARGS__)
#define SIM_TRACE_EACH_6(M, x, ...) M x SIM_TRACE_EACH_5(M, __VA_ARGS__)
#define SIM_TRACE_EACH_7(M, x, ...) M x SIM_TRACE_EACH_6(M, __VA_ARGS__)
#define SIM_TRACE_EACH_8(M, x, ...) M x SIM_TRACE_EACH_7(M, __VA_ARGS__)
#define SIM_TRACE_EACH_9(M, x, ...) M x SIM_TRACE_EACH_8(M, __VA_ARGS__)
#define SIM_TRACE_EACH_10(M, x, ...) M x SIM_TRACE_EACH_9(M, __VA_ARGS__)
#define SIM_TRACE_EACH_11(M, x, ...) M x SIM_TRACE_EACH_10(M, __VA_ARGS__)
#define SIM_TRACE_EACH_12(M, x, ...) M x SIM_TRACE_EACH_11(M, __VA_ARGS__)
#define SIM_TRACE_EACH_13(M, x, ...) M x SIM_TRACE_EACH_12(M, __VA_ARGS__)
#define SIM_TRACE_EACH_14(M, x, ...) M x SIM_TRACE_EACH_13(M, __VA_ARGS__)
#define SIM_TRACE_EACH_15(M, x, ...) M x SIM_TRACE_EACH_14(M, __VA_ARGS__)
#define SIM_TRACE_EACH_16(M, x, ...) M x SIM_TRACE_EACH_15(M, __VA_ARGS__)
#define SIM_TRACE_EACH_17(M, x, ...) M x SIM_TRACE_EACH_16(M, __VA_ARGS__)
#define SIM_TRACE_EACH_18(M, x, ...) M x SIM_TRACE_EACH_17(M, __VA_ARGS__)
#define SIM_TRACE_EACH_19(M, x, ...) M x SIM_TRACE_EACH_18(M, __VA_ARGS__)
#define SIM_TRACE_EACH_20(M, x, ...) M x SIM_TRACE_EACH_19(M, __VA_ARGS__)
#define SIM_TRACE_EACH_21(M, x, ...) M x SIM_TRACE_EACH_20(M, __VA_ARGS__)
#define SIM_TRACE_EACH_22(M, x, ...) M x SIM_TRACE_EACH_21(M, __VA_ARGS__)
#define SIM_TRACE_EACH_23(M, x, ...) M x SIM_TRACE_EACH_22(M, __VA_ARGS__)
#define SIM_TRACE_EACH_24(M, x, ...) M x SIM_TRACE_EACH_23(M, __VA_ARGS__)

#endif /* IOSIM_SIM_TRACE_TABLES_H */
