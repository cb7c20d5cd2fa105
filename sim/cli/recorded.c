/* Reading a recorded run back (table run, and the campaign's fuzz_run row). */
#include "sim/cli/recorded.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "sim/cli/cli_faults.h"

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", t != NULL ? (const char *)t : "");
}

/* The campaign's row for the run, if any (a file without campaigns has
 * none). False when its decisions are there but malformed. */
static bool read_campaign_row(const char *who, sqlite3 *db, const char *path, uint64_t id,
                              struct cli_recorded *rec)
{
    sqlite3_stmt *st = NULL;
    bool ok = true;
    rec->fuzz_row = -1;
    if (sqlite3_prepare_v2(db, "SELECT rowid, campaign, idx, decisions, counts FROM fuzz_run "
                               "WHERE run_id = ? ORDER BY decisions IS NULL, rowid LIMIT 1", -1,
                           &st, NULL) != SQLITE_OK)
        return true;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        rec->fuzz_row = sqlite3_column_int64(st, 0);
        copy_col(rec->campaign, sizeof rec->campaign, st, 1);
        rec->idx = sqlite3_column_int64(st, 2);
        copy_col(rec->counts, sizeof rec->counts, st, 4);
        const char *text = (const char *)sqlite3_column_text(st, 3);
        char msg[160];
        rec->has_decisions = text != NULL;
        if (text != NULL && sim_dec_parse(text, &rec->decisions, msg, sizeof msg) != IOSIM_OK) {
            fprintf(stderr, "%s: %s: run %" PRIu64 ": %s\n", who, path, id, msg);
            ok = false;
        }
    }
    sqlite3_finalize(st);
    return ok;
}

static bool read_run_row(const char *who, sqlite3 *db, const char *path, uint64_t id,
                         struct cli_recorded *rec)
{
    sqlite3_stmt *st = NULL;
    bool ok = false;
    if (sqlite3_prepare_v2(db, "SELECT scenario_file, seed, policy, trace_hash, result, command "
                               "FROM run WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s: not a trace database (%s)\n", who, path, sqlite3_errmsg(db));
    } else {
        sqlite3_bind_int64(st, 1, (int64_t)id);
        if (sqlite3_step(st) != SQLITE_ROW) {
            fprintf(stderr, "%s: %s has no run %" PRIu64 "\n", who, path, id);
        } else {
            copy_col(rec->file, sizeof rec->file, st, 0);
            rec->seed = (uint64_t)sqlite3_column_int64(st, 1);
            copy_col(rec->policy, sizeof rec->policy, st, 2);
            copy_col(rec->hash, sizeof rec->hash, st, 3);
            copy_col(rec->result, sizeof rec->result, st, 4);
            rec->has_faults = cli_faults_of_command((const char *)sqlite3_column_text(st, 5),
                                                    rec->faults, sizeof rec->faults);
            ok = true;
        }
    }
    sqlite3_finalize(st);
    return ok;
}

bool cli_recorded_read(const char *who, const char *path, uint64_t id, struct cli_recorded *rec)
{
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s: %s\n", who, path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return false;
    }
    bool ok = read_run_row(who, db, path, id, rec) && read_campaign_row(who, db, path, id, rec);
    sqlite3_close(db);
    return ok;
}

void cli_recorded_free(struct cli_recorded *rec)
{
    sim_dec_free(&rec->decisions);
}
