/*
 * trace_internal.h - what sim/trace.c and sim/trace_read.c share: the
 * campaign handle, SQLite error mapping and the canonical hash encoding.
 * Not for use outside sim/trace*.c.
 *
 * Ownership: struct sim_trace_db owns its connection and statements; it is
 * used by one thread.
 */
#ifndef IOSIM_SIM_TRACE_INTERNAL_H
#define IOSIM_SIM_TRACE_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "sim/trace.h"

/* Hash encoding of a NULL string: this length with no bytes after it
 * (no real string is that long). */
#define TRACE_NULL_LEN UINT64_MAX

/* Invariant: every statement is prepared for the connection sql and is
 * reset when not being stepped; runs_open counts live sim_trace runs. */
struct sim_trace_db {
    sqlite3 *sql;
    sqlite3_stmt *ins[SIM_TRACE_TABLE_COUNT]; /* INSERT of each row table */
    sqlite3_stmt *begin;                      /* BEGIN IMMEDIATE */
    sqlite3_stmt *commit;
    sqlite3_stmt *rollback;
    sqlite3_stmt *run_insert;                 /* the 'incomplete' run row */
    sqlite3_stmt *run_finish;                 /* the outcome update */
    sqlite3_stmt *run_note;                   /* message of an abandoned run */
    uint32_t batch_rows;
    uint32_t busy_timeout_ms;
    uint32_t runs_open;
};

/* The project's error for an SQLite result code. */
enum iosim_err trace_err_from_sqlite(int rc);

/* Row header and string encodings of the canonical hash stream. */
static inline void trace_hash_row_head(struct sim_trace_hasher *h, enum sim_trace_table t,
                                       uint64_t t_ps)
{
    sim_trace_hasher_u64(h, (uint64_t)t);
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

#endif /* IOSIM_SIM_TRACE_INTERNAL_H */
