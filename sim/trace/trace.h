/*
 * trace.h - the trace store: one SQLite file per campaign, one run row per
 * simulation, one row per traced event, and every run's trace hash.
 *
 * A campaign file (struct sim_trace_db) holds many runs, possibly written by
 * several processes at once (WAL mode, BEGIN IMMEDIATE batches, a generous
 * busy timeout). A run (struct sim_trace, caller storage) records rows
 * through the generated emit functions, one per table, and hashes them as
 * it goes:
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
 *     sim_trace_db_index(db, msg, sizeof msg);             // once, when done writing
 *     sim_trace_db_close(db);
 *
 * Writer process. By default sim_trace_db_open checks (or creates) the
 * schema and then forks a writer process that owns the file's SQLite
 * connection from then on: the simulating process only encodes rows into a
 * buffer and sends it over a socket when full (SIM_TRACE_SEND_BYTES) or at
 * a batch boundary, so SQLite's work runs on another core. Sending blocks
 * while the writer is behind, which bounds memory. sim_trace_init (it
 * returns the run id) and sim_trace_finish (it returns whether the final
 * commit succeeded) wait for the writer. If the simulating process dies,
 * the writer commits what it received and exits; if the writer dies, its
 * runs get a sticky error saying so and go on hashing. sim_trace_db_close
 * stops and reaps the writer. In-process writing (no fork) is chosen with
 * sim_trace_db_open_opts or the environment variable
 * IOSIM_TRACE_INPROCESS=1; both ways write the same rows.
 *
 * Tables. The core tables are declared at compile time in
 * sim/trace/trace_tables.h (ids 0.. in list order; sim_trace_<table>() each).
 * A model family describes its own tables in its own folder with
 * SIM_TRACE_TABLE_DEF and registers them at program start-up
 * (sim_trace_table_register): they get the ids after the core ones, in
 * registration order, and are written, hashed, tapped and read back like
 * core tables. Registration is closed once a database has been opened in the
 * process (its writer process and schema know a fixed set of tables).
 * sim_trace_table_count/info/find describe every table, core or registered.
 *
 * Emit functions never fail and never print: a database error becomes a
 * sticky error of the run (returned by finish, readable any time with
 * sim_trace_error; with a writer process it is seen when the writer has
 * reported it, at the latest by finish); the run keeps counting and
 * hashing rows so its hash stays right. Rows are buffered (bounded memory)
 * and written in batches; finish writes the last rows and marks the run
 * 'complete' in one transaction, so a run never looks complete without all
 * its rows, and a run whose process dies stays 'incomplete' with the rows
 * committed (in-process) or sent to the writer (writer process) before.
 *
 * Trace hash: XXH64 (sim/trace/trace_hash.h), seed 0, over the canonical
 * stream of the run's rows in emission order. Each row contributes its
 * table's hash id and t_ps, then each own column: INT as 8 bytes
 * little-endian; SYM and TEXT as their byte length (8 bytes little-endian)
 * followed by their bytes zero-padded to a multiple of 8; NULL as the length
 * 0xffffffffffffffff alone. A core table's hash id is its id (its position
 * in the list); a registered table's is the XXH64 (seed 0) of its name's
 * bytes with bit 63 set, so it never equals a core id and does not depend on
 * the order in which tables were registered. run_id, seq, pointers,
 * registration order and the presence of a database do not enter it. It is
 * computed by the simulating process, whichever way rows are written.
 * docs/trace-schema.md has the details and a recipe to recompute it from a
 * file.
 *
 * Row tap. A run may carry one tap (sim_trace_set_tap): a callback that
 * every emit function (sim_trace_row too) calls after the row is hashed and
 * encoded, with the row's table id, t_ps and own columns. It sees every row
 * in emission order, with or without a db and after a sticky error alike
 * (the rows the hash covers), and it changes neither the hash nor any row. With no tap an emit
 * function pays one NULL test. It is how a run watches its own trace (the
 * scenario's `trace:` expectations) without reading the database back,
 * which a hash-only run does not have.
 *
 * Ownership: sim_trace_db_open returns an owned handle, released by
 * sim_trace_db_close after every run using it was fini'd. A sim_trace
 * borrows its db and must not be moved while live (the db lists its live
 * runs). SYM strings are borrowed until the run's finish/fini; TEXT strings
 * and run info/result strings are copied before the call returns.
 * Registered table descriptions are borrowed for the life of the process.
 * Threading: table registration is process-global and not thread-safe (do
 * it at start-up); a db and its runs belong to one thread; parallelism is
 * separate processes, each with its own db handle on the shared file.
 * Processes: a writer is a fork of the process that opens the db, so that
 * process must not hold another SQLite connection to the same file at that
 * moment (an in-process handle of ours on it is detected, and the new
 * handle then writes in-process too); and a process that forks while it
 * holds a db must not use that db in the child.
 */
#ifndef IOSIM_SIM_TRACE_H
#define IOSIM_SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "impl/port/err.h"
#include "sim/engine/time.h"
#include "sim/trace/trace_hash.h"
#include "sim/trace/trace_tables.h"

/* Rows per write transaction unless set otherwise. */
#define SIM_TRACE_BATCH_ROWS_DEFAULT 16384u
#define SIM_TRACE_BATCH_ROWS_MAX (1u << 20)
/* How long a writer waits for another process's transaction. */
#define SIM_TRACE_BUSY_TIMEOUT_MS_DEFAULT 60000u
/* In-process: more than a batch of fixed-size row parts plus this many
 * bytes of strings buffered forces a flush at the next row. */
#define SIM_TRACE_TEXT_BYTES_SOFT_MAX (1u << 20)
/* Writer process: rows are sent once this many bytes are buffered (a row
 * longer than that is sent alone). */
#define SIM_TRACE_SEND_BYTES (64u << 10)

/* ---- campaign file ------------------------------------------------------ */

struct sim_trace_db;

/* Opens (creating if needed) the campaign file at path. An existing file
 * must be an iosim trace of schema version SIM_TRACE_SCHEMA_VERSION:
 * anything else is refused with IOSIM_EPROTO and an explanation in msg
 * (msg may be NULL; it is always NUL-terminated when msg_len > 0). Then
 * starts the writer process, unless IOSIM_TRACE_INPROCESS=1 is set in the
 * environment. */
enum iosim_err sim_trace_db_open(const char *path, struct sim_trace_db **out, char *msg,
                                 size_t msg_len);

struct sim_trace_db_opts {
    bool in_process; /* write from this process: no writer process */
};

/* sim_trace_db_open with options (opts NULL: the defaults).
 * IOSIM_TRACE_INPROCESS=1 in the environment forces in_process. */
enum iosim_err sim_trace_db_open_opts(const char *path, const struct sim_trace_db_opts *opts,
                                      struct sim_trace_db **out, char *msg, size_t msg_len);

/* Stops the writer process (it commits, closes the file and exits) and
 * reaps it, or closes the in-process connection; every run started on db
 * must have been fini'd. NULL is a no-op. */
void sim_trace_db_close(struct sim_trace_db *db);

/* Creates the (run_id, seq) index of every row table that lacks one
 * (CREATE INDEX IF NOT EXISTS <table>_run ON <table>(run_id, seq)), so
 * reading a run in order is a range scan. Rows are written faster without
 * them: call this once, when the campaign's writing is done (the CLI does
 * at the end of `iosim run` and `iosim suite`). Idempotent; files that have
 * the indexes can still be written, only more slowly. */
enum iosim_err sim_trace_db_index(struct sim_trace_db *db, char *msg, size_t msg_len);

/* The writer process's pid, or 0 when db writes in-process or the writer
 * was reaped. For tests and diagnostics. */
pid_t sim_trace_db_writer_pid(const struct sim_trace_db *db);

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
    const char *clauses; /* the scenario's `clauses:`, one a line; not hashed */
    uint64_t seed;
};

struct sim_trace_result {
    const char *result; /* "pass", "fail" or "error" */
    sim_time_ps end_time_ps;
    uint32_t expectations_passed;
    uint32_t expectations_failed;
    const char *message; /* may be NULL */
};

/* One column value of a row, as a tap sees it and as sim_trace_row takes
 * it: an INT column in `value`, a SYM or TEXT column in `str` (NULL for a
 * NULL string). */
struct sim_trace_value {
    enum sim_trace_kind kind;
    int64_t value;
    const char *str;
};

/* Initialisers of a struct sim_trace_value of each kind. */
#define SIM_TRACE_VALUE_INT(v) {.kind = SIM_TRACE_KIND_INT, .value = (v)}
#define SIM_TRACE_VALUE_SYM(s) {.kind = SIM_TRACE_KIND_SYM, .str = (s)}
#define SIM_TRACE_VALUE_TEXT(s) {.kind = SIM_TRACE_KIND_TEXT, .str = (s)}

/* A row tap. cols holds the row's ncols own columns in table order (the
 * columns of sim_trace_table_info(table)); cols and the strings in it are
 * borrowed for the call only. A tap must not emit rows into the run it
 * taps (asserted). */
typedef void sim_trace_tap_fn(void *ctx, uint32_t table, sim_time_ps t_ps,
                              const struct sim_trace_value *cols, uint32_t ncols);

/* One run. Caller storage; every field is private to sim/trace*.c.
 * The buffer holds a rows message for the store or the writer: a header,
 * then msg_rows encoded rows (sim/trace/trace_internal.h).
 * Invariants: used <= cap; msg_rows <= batch_rows; batch_left <=
 * batch_rows; buffering implies db != NULL and err == IOSIM_OK. */
struct sim_trace {
    struct sim_trace_db *db;     /* borrowed; NULL = hash only */
    struct sim_trace *live_next; /* the db's list of live runs */
    int64_t run_id;              /* run.id; 0 without a db */
    uint64_t rows;               /* rows emitted so far = next seq */
    struct sim_trace_hasher hash;
    unsigned char *buf;          /* owned message buffer (db runs only) */
    size_t used, cap;
    size_t send_at;              /* flush when used reaches this */
    size_t cap_home;             /* the buffer's usual size */
    uint32_t msg_rows;           /* rows in buf */
    uint32_t batch_left;         /* rows until the next batch boundary */
    uint32_t batch_rows;
    uint64_t msg_seq0;           /* seq of the first row in buf */
    bool live;                   /* between init and fini */
    bool finished;               /* finish succeeded */
    bool buffering;              /* rows go to the buffer */
    enum iosim_err err;          /* sticky write error */
    char err_msg[224];
    sim_trace_tap_fn *tap;       /* NULL: no tap */
    void *tap_ctx;
    bool tapping;                /* inside the tap: it must not emit */
};

/* Starts a run. With a db, inserts its run row as 'incomplete' and commits
 * it (so even a run that dies at once is visible); without, only hashes.
 * On failure returns the error (text in sim_trace_error) and tr needs no
 * fini (calling it is harmless). */
enum iosim_err sim_trace_init(struct sim_trace *tr, struct sim_trace_db *db,
                              const struct sim_trace_run_info *info);

/* The emit functions, one per core table: columns in table order. */
#define SIM_TRACE_PARAM_(kind, col) , SIM_TRACE_CTYPE_##kind col
#define SIM_TRACE_PROTO_(table, ...)                              \
    void sim_trace_##table(struct sim_trace *tr, sim_time_ps t_ps \
                               SIM_TRACE_EACH(SIM_TRACE_PARAM_, __VA_ARGS__));
SIM_TRACE_TABLES(SIM_TRACE_PROTO_)
#undef SIM_TRACE_PROTO_

/* Emits one row into table `table` (any table, core or registered): cols are
 * the own columns in order, kinds must match (a SYM string must live until
 * the run ends, as for the typed emitters; TEXT is copied). Hashes, buffers
 * and taps exactly like the typed emitters do; a core table's row emitted
 * this way is byte-identical in the file and the hash to one from
 * sim_trace_<table>(). An unregistered id or a wrong column count/kind is a
 * programmer bug: ASSERT, and in builds without assertions the row is
 * dropped and the run gets a sticky IOSIM_EINVAL (never a crash, never an
 * out-of-bounds access). */
void sim_trace_row(struct sim_trace *tr, uint32_t table, sim_time_ps t_ps,
                   const struct sim_trace_value *cols, uint32_t ncols);

/* Bytes as TEXT columns of bytes hold them (usb_xfer's setup and data):
 * two lowercase hex digits each, one space between ("80 06 00 01"); as
 * many as fit in cap, always terminated. Written by the simulator's xHCI
 * model and by `iosim import` alike, so the two compare as text. */
void sim_trace_hex(char *out, size_t cap, const uint8_t *b, uint32_t n);

/* Installs fn as the run's row tap, called with ctx for every row emitted
 * from now on (NULL removes it). Set it after sim_trace_init, which clears
 * it; it stays until fini. */
void sim_trace_set_tap(struct sim_trace *tr, sim_trace_tap_fn *fn, void *ctx);

/* Reads run run_id's stored rows from the trace file at path (opened
 * read-only, closed before returning; no sim_trace_db needed), calling tap
 * for each in emission order with the values the run's own tap saw, and
 * recomputes the trace hash on the way (hash_out may be NULL). Errors as
 * for sim_trace_db_run_hash; the rows given before an error stand. */
enum iosim_err sim_trace_file_run_rows(const char *path, int64_t run_id, sim_trace_tap_fn *tap,
                                       void *ctx, uint64_t *hash_out, char *msg, size_t msg_len);

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

/* ---- tables: description and registration ------------------------------ */

/* Tables a process may know: the core ones and the registered ones. */
#define SIM_TRACE_TABLES_MAX 64u
/* The id of a table that is not registered. */
#define SIM_TRACE_TABLE_NONE UINT32_MAX
/* Longest table or column name of a registered table, in bytes. */
#define SIM_TRACE_NAME_MAX 63u

struct sim_trace_table_info {
    const char *name;
    uint32_t ncols;                   /* own columns, after run_id, seq, t_ps */
    const char *const *col_names;
    const enum sim_trace_kind *col_kinds;
    const char *create_sql;           /* CREATE TABLE IF NOT EXISTS ... */
};

/* A table a model family owns, described once (usually by
 * SIM_TRACE_TABLE_DEF). The def and its arrays are borrowed for the life of
 * the process once registered. */
struct sim_trace_table_def {
    const char *name;                 /* [a-z][a-z0-9_]*, unique among all tables */
    uint32_t ncols;                   /* 1..24 own columns */
    const char *const *col_names;     /* none may be run_id, seq or t_ps */
    const enum sim_trace_kind *col_kinds;
    uint32_t id;                      /* SIM_TRACE_TABLE_NONE until registered */
};

/* Registers def (sets def->id) after the core tables and any registered
 * before. Registering the same def twice is a no-op returning IOSIM_OK.
 * IOSIM_EINVAL: a bad name, column count, column name or kind, or a name
 * clash. Names (of the table and of each column) are [a-z][a-z0-9_]* of at
 * most SIM_TRACE_NAME_MAX bytes; a table may not be called meta or run
 * (the file's other tables), nor start with sqlite_ or end with _run (the
 * names of the (run_id, seq) indexes); columns are distinct and none is
 * run_id, seq or t_ps. IOSIM_ENOSPC: SIM_TRACE_TABLES_MAX reached.
 * IOSIM_EBUSY: a trace database has already been opened in this process
 * (its writer process and schema know a fixed set of tables). A def whose id
 * is neither SIM_TRACE_TABLE_NONE nor the one its registration gave it is
 * IOSIM_EINVAL too. On an error nothing changes. Process-global; not
 * thread-safe. */
enum iosim_err sim_trace_table_register(struct sim_trace_table_def *def);

/* Tables known: the core ones plus the registered ones. Ids are 0..count-1. */
uint32_t sim_trace_table_count(void);

/* Description of table t (t < sim_trace_table_count(), asserted; NULL
 * otherwise). */
const struct sim_trace_table_info *sim_trace_table_info(uint32_t t);

/* Whether a table called name is known, and its id in *id (id may be NULL). */
bool sim_trace_table_find(const char *name, uint32_t *id);

/*
 * In a model's .c file,
 *
 *     SIM_TRACE_TABLE_DEF(blink_op, (INT, reg), (SYM, op), (TEXT, note));
 *
 * defines `struct sim_trace_table_def blink_op_table` (not static, so the
 * family's descriptor can list &blink_op_table; its id starts
 * SIM_TRACE_TABLE_NONE) and an emitter calling sim_trace_row:
 *
 *     static inline void sim_trace_blink_op(struct sim_trace *tr, sim_time_ps t_ps,
 *                                           int64_t reg, const char *op, const char *note);
 *
 * Columns are (KIND, name) pairs as in sim/trace/trace_tables.h, 1 to 24 of
 * them. Emitting before the table is registered is the unregistered-id bug
 * sim_trace_row describes.
 */
#define SIM_TRACE_TABLE_DEF(table, ...)                                                   \
    static const char *const sim_trace_def_cols_##table[] = {                             \
        SIM_TRACE_EACH(SIM_TRACE_DEF_NAME_, __VA_ARGS__)};                                \
    static const enum sim_trace_kind sim_trace_def_kinds_##table[] = {                    \
        SIM_TRACE_EACH(SIM_TRACE_DEF_KIND_, __VA_ARGS__)};                                \
    struct sim_trace_table_def table##_table = {                                          \
        #table, sizeof sim_trace_def_kinds_##table / sizeof sim_trace_def_kinds_##table[0], \
        sim_trace_def_cols_##table, sim_trace_def_kinds_##table, SIM_TRACE_TABLE_NONE};   \
    __attribute__((unused)) static inline void sim_trace_##table(                         \
        struct sim_trace *tr, sim_time_ps t_ps SIM_TRACE_EACH(SIM_TRACE_PARAM_, __VA_ARGS__)) \
    {                                                                                     \
        const struct sim_trace_value v_[] = {SIM_TRACE_EACH(SIM_TRACE_DEF_VALUE_, __VA_ARGS__)}; \
        sim_trace_row(tr, table##_table.id, t_ps, v_, (uint32_t)(sizeof v_ / sizeof v_[0])); \
    }                                                                                     \
    _Static_assert(sizeof sim_trace_def_kinds_##table / sizeof sim_trace_def_kinds_##table[0] \
                       <= 24,                                                             \
                   "a table has 1 to 24 own columns")
#define SIM_TRACE_DEF_NAME_(kind, col) #col,
#define SIM_TRACE_DEF_KIND_(kind, col) SIM_TRACE_KIND_##kind,
#define SIM_TRACE_DEF_VALUE_(kind, col) SIM_TRACE_VALUE_##kind(col),

#endif /* IOSIM_SIM_TRACE_H */
