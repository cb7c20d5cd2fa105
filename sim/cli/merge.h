/*
 * merge.h - copies the runs and campaign rows of trace databases into one.
 *
 * A campaign split in shards leaves one database per shard (each its own
 * process, docs/campaigns.md); `iosim merge OUT IN...` folds them into one
 * file that reads like a single-process campaign. For each input, in one
 * transaction (an input that fails leaves OUT as it was):
 *
 *   - every `run` row with the rows of every row table (core, registered,
 *     or a table only the input's program knew: it is created in OUT from
 *     the input's own CREATE statement) under a new run id; seq, t_ps and
 *     every other column as they were;
 *   - every `fuzz_run` row, its run_id pointing at the new run id and its
 *     shrunk_from at the new rowid of the row it was shrunk from.
 *
 * Identity (what makes a second merge of the same input a no-op):
 *   - a run is the same run as one OUT had before this input when scenario,
 *     seed, policy, status, result, trace_hash and rows are all equal (the
 *     hash covers every row, so equal content is the same run);
 *   - a fuzz_run row is the same as one OUT had before when campaign, idx,
 *     scenario, seed, policy and repro are equal and its shrunk_from names
 *     the same row (after mapping; both NULL for an original).
 * Rows that match are not copied again; a fuzz_run row whose run is already
 * there points at the run OUT has. Only rows present before the input are
 * matched, so two equal runs inside one input are both kept.
 *
 * Columns: a table's columns in OUT are those of OUT's schema plus any the
 * input has that OUT lacks (added with ALTER TABLE); columns the input
 * lacks (an older file) read as NULL.
 *
 *     struct merge_counts c;
 *     char msg[256];
 *     if (merge_input(db, "shard-1.db", &c, msg, sizeof msg) != IOSIM_OK) ... msg ...
 *
 * Ownership: db is borrowed (an open connection to OUT, outside any
 * transaction); paths are borrowed. Not thread-safe (one connection).
 */
#ifndef IOSIM_SIM_CLI_MERGE_H
#define IOSIM_SIM_CLI_MERGE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"

struct merge_counts {
    uint64_t runs_copied, runs_known;   /* run rows added / already in OUT */
    uint64_t fuzz_copied, fuzz_known;   /* fuzz_run rows likewise */
    bool self;                          /* the input is OUT's own file: nothing to do */
};

/* Whether path is a readable iosim trace of this schema version: IOSIM_OK,
 * or IOSIM_ENOENT / IOSIM_EPROTO with "what is wrong" in msg (no path). */
enum iosim_err merge_check_input(const char *path, char *msg, size_t msg_len);

/* Merges the input at path into db (see above). On an error nothing of the
 * input is in db and msg says what went wrong (without the path). */
enum iosim_err merge_input(sqlite3 *db, const char *path, struct merge_counts *out, char *msg,
                           size_t msg_len);

#endif /* IOSIM_SIM_CLI_MERGE_H */
