/*
 * trace_internal.h - what the sim/trace*.c files share. Not for use outside
 * them.
 *
 * The pieces:
 *   trace.c         runs: emit, the canonical hash, encoding rows (below)
 *                   into a buffer that is handed on when a batch is done
 *   trace_db.c      the campaign handle: open (schema checks), close,
 *                   settings, and which way rows go: straight to a store in
 *                   this process, or to a writer process
 *   trace_table.c   the tables: the core ones generated from
 *                   sim/trace/trace_tables.h and the registered ones, their
 *                   descriptions, CREATE statements and hash ids
 *   trace_schema.c  SQL from the table descriptions, schema checks and
 *                   creation, indexes, the SQLite error mapping
 *   trace_store.c   a store: one SQLite connection writing encoded rows with
 *                   multi-row INSERTs in batched transactions (used
 *                   in-process and by the writer process alike, so both
 *                   paths write the same rows)
 *   trace_writer.c  the writer process and the wire between it and the
 *                   simulating process
 *   trace_read.c    recomputing a stored run's hash
 *
 * Row encoding (the payload of a rows message; native byte order, as the
 * writer is a fork of the encoder on the same host, with the same tables
 * registered): per row, one byte of table id, t_ps as 8 bytes, then each
 * own column in order: INT as 8 bytes, SYM and TEXT alike as a 4-byte
 * length (TRACE_WIRE_NULL for NULL) followed by that many bytes. run_id
 * and seq are not encoded: a rows message names its run and the seq of its
 * first row; the rest follow in order.
 *
 * Ownership: a store owns its connection and statements and is used by one
 * thread of one process.
 */
#ifndef IOSIM_SIM_TRACE_INTERNAL_H
#define IOSIM_SIM_TRACE_INTERNAL_H

#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "impl/port/check.h"
#include "sim/trace/trace.h"

/* Hash encoding of a NULL string: this length with no bytes after it
 * (no real string is that long). */
#define TRACE_NULL_LEN UINT64_MAX

/* Wire length of a NULL string (real strings are at most INT_MAX bytes). */
#define TRACE_WIRE_NULL UINT32_MAX

/* Own columns of a table, at most. */
#define TRACE_COLS_MAX 24u

/* Encoded bytes of a row before its strings' bytes: table id, t_ps, 8 per
 * INT, 4 per SYM/TEXT length. TRACE_ROW_FIXED_MAX bounds every table's. */
#define TRACE_ROW_FIXED_MAX (1 + 8 + 8 * TRACE_COLS_MAX)

_Static_assert(SIM_TRACE_TABLES_MAX <= 256, "table ids fit the row's first byte");

/* Room for any statement built from a table description: the INSERT of a
 * group of rows or the SELECT of a table of 24 columns with the longest
 * names (under 2600 bytes), its CREATE TABLE (under 2000). */
#define TRACE_SQL_MAX 4096u
#define TRACE_CREATE_SQL_MAX 2048u

/* ---- tables (trace_table.c) ---------------------------------------------- */

/* The id table t's rows hash with: t for a core table, the one derived from
 * the name for a registered table (sim/trace/trace.h). t < the count. */
uint64_t trace_table_hash_id(uint32_t t);

/* A db is open: registration is closed for the rest of the process. */
void trace_tables_freeze(void);

/* ---- errors and messages ------------------------------------------------- */

/* The project's error for an SQLite result code. */
enum iosim_err trace_err_from_sqlite(int rc);

/* snprintf into msg when msg is not NULL and len > 0. */
void trace_msg(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- schema (trace_schema.c) -------------------------------------------- */

/* Opens path (creating it if needed), checks it is an iosim trace of this
 * schema version, switches it to WAL and creates what is missing; then
 * prepares (and drops) every row table's INSERT to check its columns. */
enum iosim_err trace_schema_open(const char *path, uint32_t busy_timeout_ms, sqlite3 **out,
                                 char *msg, size_t msg_len);

/* The per-connection settings every writing connection uses. */
int trace_schema_pragmas(sqlite3 *sql, uint32_t busy_timeout_ms);

/* CREATE INDEX IF NOT EXISTS <table>_run ON <table>(run_id, seq), for every
 * row table that lacks such a key, in one transaction. */
int trace_schema_index(sqlite3 *sql, const char **what);

/* INSERT of `rows` rows into table t ("... VALUES (?,...),(?,...)"),
 * written into buf (NUL-terminated), which must hold it (asserted:
 * TRACE_SQL_MAX bytes hold any up to TRACE_GROUP_ROWS rows). */
void trace_schema_insert_sql(uint32_t t, uint32_t rows, char *buf, size_t len);

/* SELECT seq, t_ps and the own columns of table t's rows of run ?1 in seq
 * order, written into buf as above. */
void trace_schema_select_sql(uint32_t t, char *buf, size_t len);

/* ---- reading (trace_read.c) ---------------------------------------------- */

enum iosim_err trace_read_run_hash(sqlite3 *sql, int64_t run_id, uint64_t *hash_out,
                                   uint64_t *rows_out, char *msg, size_t msg_len);

/* ---- the store (trace_store.c) ------------------------------------------- */

struct trace_store;

/* What finish records in the run row (strings borrowed for the call). */
struct trace_finish {
    const struct sim_trace_result *res;
    uint64_t hash;
    uint64_t rows;
};

/* Takes ownership of sql (a checked connection) in every case. */
enum iosim_err trace_store_open(sqlite3 *sql, uint32_t busy_timeout_ms, struct trace_store **out);
/* Commits what is open, forgets every run (they stay as written), closes. */
void trace_store_close(struct trace_store *st);
void trace_store_set_busy_timeout(struct trace_store *st, uint32_t timeout_ms);

/* Inserts the run row ('incomplete', committed at once). */
enum iosim_err trace_store_run_begin(struct trace_store *st, const struct sim_trace_run_info *info,
                                     uint32_t batch_rows, int64_t *run_id, char *msg,
                                     size_t msg_len);

/* Adds n encoded rows of run run_id, the first being seq seq0, to the open
 * transaction (begun if none). A failure makes the run's error sticky in
 * the store (see trace_store_run_error); later rows of a failed run are
 * dropped. Commits first whenever the transaction already holds the run's
 * batch of rows. */
void trace_store_rows(struct trace_store *st, int64_t run_id, uint64_t seq0, uint32_t n,
                      const unsigned char *p, size_t len);

/* Commits the open transaction, if any. */
void trace_store_commit(struct trace_store *st);

/* Writes the outcome in the transaction of the run's last rows and commits.
 * Returns the run's error (its text in msg) if it has one. */
enum iosim_err trace_store_finish(struct trace_store *st, int64_t run_id,
                                  const struct trace_finish *fin, char *msg, size_t msg_len);

/* Commits what the run has and forgets it (it stays as written). */
void trace_store_abandon(struct trace_store *st, int64_t run_id);

/* The run's sticky error and text (IOSIM_OK if none or unknown run). */
enum iosim_err trace_store_run_error(const struct trace_store *st, int64_t run_id, char *msg,
                                     size_t msg_len);

/* Next failed run not reported yet through this call: true and its id,
 * error and text, or false. (The writer turns these into notices.) */
bool trace_store_next_failure(struct trace_store *st, int64_t *run_id, enum iosim_err *e,
                              char *msg, size_t msg_len);

enum iosim_err trace_store_index(struct trace_store *st, char *msg, size_t msg_len);
enum iosim_err trace_store_run_hash(struct trace_store *st, int64_t run_id, uint64_t *hash,
                                    uint64_t *rows, char *msg, size_t msg_len);

/* ---- the wire (trace_writer.c) ------------------------------------------- */

/* Messages to the writer. Each is a struct trace_wire_head and len bytes
 * of payload. */
enum trace_wire_type {
    TRACE_WIRE_RUN_BEGIN = 1, /* arg: batch rows; payload: seed, 5 strings; replied */
    TRACE_WIRE_ROWS,          /* run_id, arg: seq of the first row, count: rows */
    TRACE_WIRE_FINISH,        /* run_id; payload: see trace_wire_finish_encode; replied */
    TRACE_WIRE_ABANDON,       /* run_id; replied */
    TRACE_WIRE_BUSY_TIMEOUT,  /* arg: milliseconds */
    TRACE_WIRE_INDEX,         /* replied */
    TRACE_WIRE_RUN_HASH,      /* run_id; replied with hash and rows */
};

struct trace_wire_head {
    uint32_t type;
    uint32_t count;
    uint64_t len;
    int64_t run_id;
    uint64_t arg;
    uint32_t cpu1; /* ROWS: the sender's CPU + 1, so the writer can keep off it; else 0 */
    uint32_t reserved;
};

/* From the writer: the reply to a request, or a notice that a run failed
 * (sent when it happens, read by the simulating process when it next
 * sends or waits). */
enum trace_reply_type {
    TRACE_REPLY_DONE = 1,
    TRACE_REPLY_NOTICE,
};

struct trace_wire_reply {
    uint32_t type;
    int32_t err; /* enum iosim_err */
    int64_t run_id;
    uint64_t a, b; /* RUN_BEGIN: -; RUN_HASH: hash, rows */
    char msg[224];
};

/* Starts the writer process for the (checked) file at path: a fork that
 * opens its own connection and serves *fd_out until it reads end of file.
 * bells_out: the doorbells (see trace_writer.c), [0] rung by us after
 * sending, [1] rung by the writer after reading or answering; both -1 where
 * there are none. The caller must hold no SQLite connection to that file. */
enum iosim_err trace_writer_start(const char *path, uint32_t busy_timeout_ms, int *fd_out,
                                  int bells_out[2], pid_t *pid_out, char *msg, size_t msg_len);

/* ---- runs (trace.c) ------------------------------------------------------ */

/* Makes the run's error sticky (the first one wins) and stops buffering. */
void trace_run_fail(struct sim_trace *tr, enum iosim_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- the handle (trace_db.c) --------------------------------------------- */

/* Where a run's rows go. Invariant: exactly one of store and fd >= 0. */
struct sim_trace_db {
    struct trace_store *store; /* in-process: owned */
    int fd;                    /* writer: our end of the socket, or -1 */
    int bells[2];              /* writer: to it, from it; or -1 */
    pid_t pid;                 /* writer: its pid, 0 once reaped */
    bool dead;                 /* writer: gone; every run fails */
    char dead_msg[160];
    struct sim_trace *live;    /* runs between init and fini (borrowed) */
    struct sim_trace_db *inproc_next; /* in-process handles of this process */
    dev_t dev;                 /* the file, for that list */
    ino_t ino;
    struct trace_wire_reply in; /* a reply being read */
    size_t in_have;
    uint32_t batch_rows;
    uint32_t busy_timeout_ms;
    uint32_t runs_open;
};

/* Writer mode: sends all of p. On failure the writer is declared dead. */
enum iosim_err trace_db_send(struct sim_trace_db *db, const void *p, size_t len);

/* Writer mode: reads notices (failing their runs) until the reply to the
 * last request arrives (block) or nothing more is waiting (!block). */
enum iosim_err trace_db_recv(struct sim_trace_db *db, bool block, struct trace_wire_reply *out);

/* Writer mode: sends a request and waits for its reply. */
enum iosim_err trace_db_call(struct sim_trace_db *db, const void *p, size_t len,
                             struct trace_wire_reply *out);

/* A non-blocking call found nothing to do (EAGAIN and EWOULDBLOCK may be
 * one value or two). */
static inline bool trace_would_block(int err)
{
#if EAGAIN == EWOULDBLOCK
    return err == EAGAIN;
#else
    return err == EAGAIN || err == EWOULDBLOCK;
#endif
}

/* ---- the canonical hash stream ------------------------------------------- */

/* Row header and string encodings of the canonical hash stream. hash_id is
 * the table's (trace_table_hash_id; for a core table, its id). */
static inline void trace_hash_row_head(struct sim_trace_hasher *h, uint64_t hash_id,
                                       uint64_t t_ps)
{
    sim_trace_hasher_u64(h, hash_id);
    sim_trace_hasher_u64(h, t_ps);
}

/* Length, then the bytes zero-padded to a multiple of 8, so the stream
 * stays in whole words (the hasher's fast path) and stays unambiguous:
 * the length says where the text ends. */
static inline void trace_hash_str(struct sim_trace_hasher *h, const char *s, uint64_t len)
{
    if (s == NULL) {
        sim_trace_hasher_u64(h, TRACE_NULL_LEN);
        return;
    }
    sim_trace_hasher_u64(h, len);
    uint64_t full = len & ~(uint64_t)7;
    for (uint64_t i = 0; i < full; i += 8)
        sim_trace_hasher_word(h, s + i);
    if (len > full) {
        unsigned char tail[8] = {0};
        memcpy(tail, s + full, (size_t)(len - full));
        sim_trace_hasher_word(h, tail);
    }
}

/* ---- little helpers for the byte encodings -------------------------------- */

static inline unsigned char *trace_put_u32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
    return p + sizeof v;
}

static inline unsigned char *trace_put_u64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, sizeof v);
    return p + sizeof v;
}

/* A string as the wire has it: length (TRACE_WIRE_NULL for NULL), bytes.
 * The caller made room for 4 + strlen(s) bytes. */
static inline unsigned char *trace_put_wire_str(unsigned char *p, const char *s, size_t n)
{
    p = trace_put_u32(p, s != NULL ? (uint32_t)n : TRACE_WIRE_NULL);
    if (n > 0)
        memcpy(p, s, n);
    return p + n;
}

/* A NUL-terminated string (control messages): as trace_put_wire_str, plus
 * the NUL, so the reader can hand the bytes on as a C string. The caller
 * made room for 5 + strlen(s) bytes. */
static inline unsigned char *trace_put_wire_cstr(unsigned char *p, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    p = trace_put_wire_str(p, s, n);
    *p = '\0';
    return p + 1;
}

/* ---- SQL text ------------------------------------------------------------- */

/* Appends text at *at in buf (an output that would not fit sets *at to len,
 * so later appends do nothing and the caller sees *at == len). */
static inline void trace_sql_append(char *buf, size_t len, size_t *at, const char *text)
{
    size_t n = strlen(text);
    if (*at >= len || len - *at <= n) {
        *at = len;
        return;
    }
    memcpy(buf + *at, text, n + 1);
    *at += n;
}

/* Appends a table or column name as an SQL identifier: double-quoted, so a
 * name that is also an SQL keyword works. Every name here is a core name or
 * one registration checked to be [a-z][a-z0-9_]*: none holds a quote. */
static inline void trace_sql_ident(char *buf, size_t len, size_t *at, const char *name)
{
    trace_sql_append(buf, len, at, "\"");
    trace_sql_append(buf, len, at, name);
    trace_sql_append(buf, len, at, "\"");
}

/* A reader over encoded bytes that fails (ok = false) instead of reading
 * past the end: the bytes come from another process. */
struct trace_cursor {
    const unsigned char *p, *end;
    bool ok;
};

static inline uint64_t trace_get_u64(struct trace_cursor *c)
{
    uint64_t v = 0;
    if ((size_t)(c->end - c->p) < sizeof v) {
        c->ok = false;
        return 0;
    }
    memcpy(&v, c->p, sizeof v);
    c->p += sizeof v;
    return v;
}

static inline uint32_t trace_get_u32(struct trace_cursor *c)
{
    uint32_t v = 0;
    if ((size_t)(c->end - c->p) < sizeof v) {
        c->ok = false;
        return 0;
    }
    memcpy(&v, c->p, sizeof v);
    c->p += sizeof v;
    return v;
}

/* A wire string: *s points into the buffer (not NUL-terminated), NULL for
 * a NULL string; returns its length. */
static inline uint32_t trace_get_str(struct trace_cursor *c, const char **s)
{
    uint32_t n = trace_get_u32(c);
    *s = NULL;
    if (!c->ok || n == TRACE_WIRE_NULL)
        return 0;
    if (n > (size_t)(c->end - c->p) || n > (uint32_t)INT32_MAX) {
        c->ok = false;
        return 0;
    }
    *s = (const char *)c->p;
    c->p += n;
    return n;
}

/* The string trace_put_wire_cstr wrote, as a C string in the buffer. */
static inline const char *trace_get_cstr(struct trace_cursor *c)
{
    const char *s = NULL;
    uint32_t n = trace_get_str(c, &s);
    if (!c->ok || c->p == c->end || *c->p != '\0') {
        c->ok = false;
        return NULL;
    }
    c->p++;
    ASSERT(s == NULL || s[n] == '\0');
    (void)n;
    return s;
}

#endif /* IOSIM_SIM_TRACE_INTERNAL_H */
