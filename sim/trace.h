/*
 * trace.h - the trace store: one SQLite file per campaign, one run row per
 * simulation, one row per traced event, and every run's trace hash.
 *
 * A campaign file (struct sim_trace_db) holds many runs, possibly written by
 * several processes at once (WAL mode, BEGIN IMMEDIATE batches, a generous
 * busy timeout). A run (struct sim_trace, caller storage) records rows
 * through the generated emit functions, one per table of
 * sim/trace_tables.h, and hashes them as it goes:
 *
 *     struct sim_trace_db *db;
 *     char msg[256];
 *     if (sim_trace_db_open("out/traces.db", &db, msg, sizeof msg) != IOSIM_OK)
 *         ... report msg ...
 *     struct sim_trace tr;
 *     struct sim_trace_run_info info = {.scenario = "boot", .seed = 42, .policy = "fifo"};
 *     if (sim_trace_init(&tr, db, &info) != IOSIM_OK) ...   // db may be NULL: hash only
 *     sim_trace_mmio(&tr, now_ps, cpu, pid, "xhci0", addr, 0x20, 4, "read", v, 90000, "ok");
 *     ...
 *     struct sim_trace_result res = {.result = "pass", .end_time_ps = now_ps};
 *     enum iosim_err e = sim_trace_finish(&tr, &res);      // also reports a sticky write error
 *     char hex[SIM_TRACE_HASH_HEX_LEN + 1];
 *     sim_trace_hash_hex(&tr, hex);                        // "trace-hash: %s"
 *     sim_trace_fini(&tr);
 *     sim_trace_db_close(db);
 *
 * Emit functions never fail and never print: a database error becomes a
 * sticky error of the run (returned by finish, readable any time with
 * sim_trace_error); the run keeps counting and hashing rows so its hash
 * stays right. Rows are buffered (bounded memory) and written in batches;
 * finish writes the last batch and marks the run 'complete' in one
 * transaction, so a run never looks complete without all its rows, and a
 * run whose process dies stays 'incomplete' with its committed batches.
 *
 * Trace hash: XXH64 (sim/trace_hash.h), seed 0, over the canonical stream of
 * the run's rows in emission order. Each row contributes its table id and
 * t_ps, then each own column: INT as 8 bytes little-endian; SYM and TEXT as
 * their byte length (8 bytes little-endian) followed by their bytes
 * zero-padded to a multiple of 8; NULL as the length 0xffffffffffffffff
 * alone. run_id, seq, pointers and the
 * presence of a database do not enter it. docs/trace-schema.md has the
 * details and a recipe to recompute it from a file.
 *
 * Ownership: sim_trace_db_open returns an owned handle, released by
 * sim_trace_db_close after every run using it was fini'd. A sim_trace
 * borrows its db. SYM strings are borrowed until the run's finish/fini;
 * TEXT strings and run info/result strings are copied before the call
 * returns. Threading: a db and its runs belong to one thread; parallelism
 * is separate processes, each with its own db handle on the shared file.
 */
#ifndef IOSIM_SIM_TRACE_H
#define IOSIM_SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"
#include "sim/time.h"
#include "sim/trace_hash.h"
#include "sim/trace_tables.h"

/* Rows per write transaction unless set otherwise. */
#define SIM_TRACE_BATCH_ROWS_DEFAULT 16384u
#define SIM_TRACE_BATCH_ROWS_MAX (1u << 20)
/* How long a writer waits for another process's transaction. */
#define SIM_TRACE_BUSY_TIMEOUT_MS_DEFAULT 60000u
/* Copied TEXT beyond this many bytes forces a flush at the next row. */
#define SIM_TRACE_TEXT_BYTES_SOFT_MAX (1u << 20)

/* ---- campaign file ------------------------------------------------------ */

struct sim_trace_db;

/* Opens (creating if needed) the campaign file at path. An existing file
 * must be an iosim trace of schema version SIM_TRACE_SCHEMA_VERSION:
 * anything else is refused with IOSIM_EPROTO and an explanation in msg
 * (msg may be NULL; it is always NUL-terminated when msg_len > 0). */
enum iosim_err sim_trace_db_open(const char *path, struct sim_trace_db **out, char *msg,
                                 size_t msg_len);

/* Closes db; every run started on it must have been fini'd. NULL is a no-op. */
void sim_trace_db_close(struct sim_trace_db *db);

/* Rows per transaction for runs started afterwards; 1..SIM_TRACE_BATCH_ROWS_MAX. */
enum iosim_err sim_trace_db_set_batch_rows(struct sim_trace_db *db, uint32_t rows);

/* How long to wait for another writer before a write fails with IOSIM_EBUSY. */
enum iosim_err sim_trace_db_set_busy_timeout(struct sim_trace_db *db, uint32_t timeout_ms);

/* Recomputes run run_id's trace hash and row count from its stored rows
 * (the stored run.trace_hash is not consulted). IOSIM_ENOENT if there is no
 * such run; IOSIM_EPROTO if its seq numbers have gaps. */
enum iosim_err sim_trace_db_run_hash(struct sim_trace_db *db, int64_t run_id, uint64_t *hash_out,
                                     uint64_t *rows_out, char *msg, size_t msg_len);

/* ---- one run ------------------------------------------------------------ */

/* Recorded in the run row; any string may be NULL (stored as NULL), except
 * that a NULL build_id records this build's IOSIM_BUILD_ID. seed is stored
 * as its int64 bit pattern. */
struct sim_trace_run_info {
    const char *scenario;
    const char *scenario_file;
    const char *policy;
    const char *build_id;
    const char *command;
    uint64_t seed;
};

struct sim_trace_result {
    const char *result; /* "pass", "fail" or "error" */
    sim_time_ps end_time_ps;
    uint32_t expectations_passed;
    uint32_t expectations_failed;
    const char *message; /* may be NULL */
};

/* One 64-bit slot of the row buffer. */
union sim_trace_word {
    int64_t i;
    uint64_t u;
    const char *s;
};

/* One run. Caller storage; every field is private to sim/trace.c.
 * Invariants: buf_rows <= batch_rows; words_used <= words_cap; buffering
 * implies db != NULL and err == IOSIM_OK. */
struct sim_trace {
    struct sim_trace_db *db;     /* borrowed; NULL = hash only */
    int64_t run_id;              /* run.id; 0 without a db */
    uint64_t rows;               /* rows emitted so far = next seq */
    struct sim_trace_hasher hash;
    union sim_trace_word *words; /* owned row buffer (db runs only) */
    uint32_t words_used, words_cap;
    uint32_t buf_rows, batch_rows;
    uint64_t buf_seq0;           /* seq of the first buffered row */
    char *text;                  /* owned arena for copied TEXT */
    size_t text_used, text_cap;
    bool live;                   /* between init and fini */
    bool finished;               /* finish succeeded */
    bool buffering;              /* rows go to the buffer */
    enum iosim_err err;          /* sticky write error */
    char err_msg[200];
};

/* Starts a run. With a db, inserts its run row as 'incomplete' and commits
 * it (so even a run that dies at once is visible); without, only hashes.
 * On failure returns the error (text in sim_trace_error) and tr needs no
 * fini (calling it is harmless). */
enum iosim_err sim_trace_init(struct sim_trace *tr, struct sim_trace_db *db,
                              const struct sim_trace_run_info *info);

/* The emit functions, one per table: columns in table order. */
#define SIM_TRACE_PARAM_(kind, col) , SIM_TRACE_CTYPE_##kind col
#define SIM_TRACE_PROTO_(table, ...)                              \
    void sim_trace_##table(struct sim_trace *tr, sim_time_ps t_ps \
                               SIM_TRACE_EACH(SIM_TRACE_PARAM_, __VA_ARGS__));
SIM_TRACE_TABLES(SIM_TRACE_PROTO_)
#undef SIM_TRACE_PROTO_

/* Ends a run: writes the remaining rows and the run row's outcome
 * (status 'complete', result, trace_hash, end_time_ps, rows, expectation
 * counts, message) in one transaction. Returns the sticky error if one
 * occurred (the run then stays 'incomplete'), IOSIM_EINVAL for a result
 * other than pass/fail/error (nothing changes; finish may be retried). */
enum iosim_err sim_trace_finish(struct sim_trace *tr, const struct sim_trace_result *res);

/* Releases the run. Without a successful finish the run is abandoned: the
 * rows still buffered are written (best effort) and it stays 'incomplete'. */
void sim_trace_fini(struct sim_trace *tr);

/* Trace hash of the rows emitted so far (final after finish). */
uint64_t sim_trace_hash(const struct sim_trace *tr);

/* The same as 16 lowercase hex digits plus NUL. */
void sim_trace_hash_hex(const struct sim_trace *tr, char out[SIM_TRACE_HASH_HEX_LEN + 1]);

int64_t sim_trace_run_id(const struct sim_trace *tr);
uint64_t sim_trace_rows(const struct sim_trace *tr);

/* The sticky error (IOSIM_OK if none) and its text, copied into msg. */
enum iosim_err sim_trace_error(const struct sim_trace *tr, char *msg, size_t len);

/* ---- schema description (for readers and tests) ------------------------- */

struct sim_trace_table_info {
    const char *name;
    uint32_t ncols;                   /* own columns, after run_id, seq, t_ps */
    const char *const *col_names;
    const enum sim_trace_kind *col_kinds;
    const char *create_sql;           /* CREATE TABLE IF NOT EXISTS ... */
};

/* Description of table t (t < SIM_TRACE_TABLE_COUNT). */
const struct sim_trace_table_info *sim_trace_table_info(enum sim_trace_table t);

#endif /* IOSIM_SIM_TRACE_H */
