/*
 * `iosim replay FILE.db --run ID`: runs a recorded run again and checks it
 * is the same run. A run is determined by its scenario file, seed and
 * policy (and its fault set, which its recorded command carries as
 * --fault-set) - every schedule decision, fault and device timing is drawn
 * from the seed's streams. When the campaign stored the run's schedule
 * decisions (fuzz_run.decisions: failing runs, shrunk runs), the replay
 * makes exactly those instead of drawing them: a shrunk run has no seed of
 * its own that gives its schedule. The trace hash, which covers every row
 * the run emitted, says whether it is the same run (a scenario file edited
 * since, or a simulator that lost its determinism, shows as a different
 * hash).
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cli/cli.h"
#include "sim/cli/cli_faults.h"
#include "sim/run/run.h"
#include "sim/scenario/scenario.h"
#include "sim/trace/trace.h"

struct replay_args {
    const char *db;
    uint64_t run;
    bool run_set;
    const char *trace;
};

struct recorded {
    char file[1024];
    char policy[SIM_POLICY_TEXT_MAX];
    char hash[SIM_TRACE_HASH_HEX_LEN + 1];
    char result[16];
    uint64_t seed;
    bool has_decisions;
    struct sim_decisions decisions;
    char counts[512];
    bool has_faults;               /* the run had a fault set (its command's --fault-set) */
    char faults[SIM_FAULTSET_TEXT_MAX];
};

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? (const char *)src : "");
}

/* The decisions a campaign stored for run `id`, if any (a file without a
 * fuzz_run table has none). False when they are there but malformed. */
static bool read_decisions(sqlite3 *db, const char *path, uint64_t id, struct recorded *rec)
{
    sqlite3_stmt *st = NULL;
    bool ok = true;
    if (sqlite3_prepare_v2(db, "SELECT decisions, counts FROM fuzz_run WHERE run_id = ? AND "
                               "decisions IS NOT NULL ORDER BY rowid LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK)
        return true;
    sqlite3_bind_int64(st, 1, (int64_t)id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        char msg[160];
        const char *text = (const char *)sqlite3_column_text(st, 0);
        copy_text(rec->counts, sizeof rec->counts, sqlite3_column_text(st, 1));
        rec->has_decisions = true;
        if (sim_dec_parse(text != NULL ? text : "", &rec->decisions, msg, sizeof msg) !=
            IOSIM_OK) {
            fprintf(stderr, "iosim replay: %s: run %" PRIu64 ": %s\n", path, id, msg);
            ok = false;
        }
    }
    sqlite3_finalize(st);
    return ok;
}

/* The run's row: false with a message when the file or the run is not
 * there, or the run never completed. */
static bool read_run(const char *path, uint64_t id, struct recorded *rec)
{
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    bool ok = false;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "iosim replay: %s: %s\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return false;
    }
    if (sqlite3_prepare_v2(db, "SELECT scenario_file, seed, policy, trace_hash, result, command FROM run "
                               "WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "iosim replay: %s: not a trace database (%s)\n", path, sqlite3_errmsg(db));
    } else {
        sqlite3_bind_int64(st, 1, (int64_t)id);
        if (sqlite3_step(st) != SQLITE_ROW) {
            fprintf(stderr, "iosim replay: %s has no run %" PRIu64 "\n", path, id);
        } else if (sqlite3_column_type(st, 3) == SQLITE_NULL) {
            fprintf(stderr, "iosim replay: run %" PRIu64 " never completed: no hash to check\n", id);
        } else {
            copy_text(rec->file, sizeof rec->file, sqlite3_column_text(st, 0));
            rec->seed = (uint64_t)sqlite3_column_int64(st, 1);
            copy_text(rec->policy, sizeof rec->policy, sqlite3_column_text(st, 2));
            copy_text(rec->hash, sizeof rec->hash, sqlite3_column_text(st, 3));
            copy_text(rec->result, sizeof rec->result, sqlite3_column_text(st, 4));
            rec->has_faults = cli_faults_of_command((const char *)sqlite3_column_text(st, 5),
                                                    rec->faults, sizeof rec->faults);
            ok = read_decisions(db, path, id, rec);
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

static int parse_replay_args(int argc, char **argv, struct replay_args *a)
{
    const struct cli_opt opts[] = {
        {.name = "run", .metavar = "ID", .help = "the run to replay (the run table's id)",
         .parse = cli_opt_u64, .dest = &a->run, .min = 1, .max = INT64_MAX,
         .wants = "a run id", .seen = &a->run_set},
        {.name = "trace", .metavar = "FILE.db", .parse = cli_opt_text, .dest = &a->trace,
         .help = "record the replay in a trace database (another file)"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "replay",
        .about = "Runs a recorded run again - its scenario file, seed and policy, and the\n"
                 "schedule decisions a campaign stored for it - and checks that it is the same\n"
                 "run: the same trace hash and the same verdict.\n",
        .notes = "Prints the replay's verdict block and `replay: same` or `replay: differs`.\n"
                 "Exit status: 0 the same run, 1 it differs, 2 bad input.\n",
        .opts = opts,
        .operand = {.metavar = "DB", .parse = cli_opt_text, .dest = &a->db},
        .max_operands = 1,
        .missing = "no database given",
    };
    int st = cli_opts_parse(&cmd, argc, argv);
    if (st == CLI_OPTS_GO_ON && !a->run_set)
        return cli_opts_mistake(&cmd, "give the run to replay: --run ID");
    if (st == CLI_OPTS_GO_ON && a->trace != NULL && strcmp(a->trace, a->db) == 0)
        return cli_opts_mistake(&cmd, "--trace: a file other than the one replayed");
    return st;
}

static int replay(const struct replay_args *a, const struct recorded *rec, struct sim_scenario *s)
{
    static struct sim_run_result r;
    struct sim_trace_db *db = NULL;
    char msg[256];
    if (a->trace != NULL && sim_trace_db_open(a->trace, &db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim replay: %s\n", msg);
        return CLI_EXIT_USAGE;
    }
    static struct sim_faultset fs;
    const struct sim_faultset *set = NULL;
    if (rec->has_faults &&
        !cli_faults_choose("iosim replay", s, NULL, rec->faults, rec->seed, &fs, &set)) {
        if (db != NULL)
            sim_trace_db_close(db);
        return CLI_EXIT_USAGE;
    }
    static uint64_t counts[SIM_SCN_COUNTS_MAX];
    if (sim_scn_counts_parse(s, rec->counts, counts, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim replay: %s\n", msg);
        sim_trace_db_close(db);
        return CLI_EXIT_USAGE;
    }
    struct sim_run_opts o = {.seed = rec->seed, .seed_set = true, .policy = rec->policy, .db = db,
                             .faults = set,
                             .decisions = rec->has_decisions ? &rec->decisions : NULL,
                             .counts = counts};
    if (rec->has_decisions)
        printf("decisions: %" PRIu32 " recorded\n", rec->decisions.n);
    enum iosim_err e = sim_run(s, &o, &r);
    if (db != NULL)
        sim_trace_db_close(db);
    if (e != IOSIM_OK) {
        fprintf(stderr, "iosim replay: %s\n", r.message);
        return CLI_EXIT_USAGE;
    }
    cli_print_result(stdout, s, &r);
    char hex[SIM_TRACE_HASH_HEX_LEN + 1];
    snprintf(hex, sizeof hex, "%016" PRIx64, r.trace_hash);
    const char *verdict = r.passed ? "pass" : "fail";
    bool same = strcmp(hex, rec->hash) == 0 && strcmp(verdict, rec->result) == 0;
    printf("replay: %s (recorded %s, trace-hash %s)\n", same ? "same" : "differs", rec->result,
           rec->hash);
    return same ? CLI_EXIT_PASS : CLI_EXIT_FAIL;
}

int cli_replay(int argc, char **argv)
{
    struct replay_args a = {0};
    int st = parse_replay_args(argc, argv, &a);
    if (st != CLI_OPTS_GO_ON)
        return st;
    static struct recorded rec;
    struct sim_scenario *s = NULL;
    struct yml_error err;
    if (!read_run(a.db, a.run, &rec)) {
        st = CLI_EXIT_USAGE;
    } else if (sim_scenario_load(rec.file, &s, &err) != IOSIM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        st = CLI_EXIT_USAGE;
    } else {
        st = replay(&a, &rec, s);
        sim_scenario_free(s);
    }
    sim_dec_free(&rec.decisions);
    return st;
}
