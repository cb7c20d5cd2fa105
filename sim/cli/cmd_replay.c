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
 * hash); when it differs and the recorded run's rows are stored, the
 * replay runs once more against them and prints the first row where the
 * two part (sim/run/rowlog.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cli/cli.h"
#include "sim/cli/cli_faults.h"
#include "sim/cli/recorded.h"
#include "sim/run/rowlog.h"
#include "sim/run/run.h"
#include "sim/scenario/scenario.h"
#include "sim/trace/trace.h"

struct replay_args {
    const char *db;
    uint64_t run;
    bool run_set;
    const char *trace;
};

static int parse_replay_args(int argc, char **argv, struct replay_args *a)
{
    const struct cli_opt opts[] = {
        cli_run_id_opt("the run to replay (the run table's id)", &a->run, &a->run_set),
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

/* The replay differs: where it parts from the recorded run's stored rows
 * (read into a recording, then the replay run once more comparing). */
static void explain(const struct replay_args *a, struct sim_scenario *s, struct sim_run_opts o)
{
    static struct sim_run_result again;
    static char text[2048];
    struct sim_rowlog stored, replayed;
    char msg[256];
    sim_rowlog_init(&stored, NULL);
    sim_rowlog_init(&replayed, &stored);
    if (sim_trace_file_run_rows(a->db, (int64_t)a->run, sim_rowlog_tap, &stored, NULL, msg,
                                sizeof msg) != IOSIM_OK) {
        printf("replay: the recorded rows cannot be read: %s\n", msg);
    } else if (stored.rows == 0) {
        printf("replay: the recorded run has no rows to compare with\n");
    } else {
        o.db = NULL;
        o.rowlog = &replayed;
        if (sim_run(s, &o, &again) == IOSIM_OK && sim_rowlog_report(&replayed, "recorded", "replayed", text,
                                                                  sizeof text))
            printf("replay: %s\n", text);
    }
    sim_rowlog_fini(&replayed);
    sim_rowlog_fini(&stored);
}

static int replay(const struct replay_args *a, const struct cli_recorded *rec,
                  struct sim_scenario *s)
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
    o.db = NULL;
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
    if (strcmp(hex, rec->hash) != 0)
        explain(a, s, o);
    return same ? CLI_EXIT_PASS : CLI_EXIT_FAIL;
}

int cli_replay(int argc, char **argv)
{
    struct replay_args a = {0};
    int st = parse_replay_args(argc, argv, &a);
    if (st != CLI_OPTS_GO_ON)
        return st;
    static struct cli_recorded rec;
    struct sim_scenario *s = NULL;
    struct yml_error err;
    if (!cli_recorded_read("iosim replay", a.db, a.run, &rec)) {
        st = CLI_EXIT_USAGE;
    } else if (rec.hash[0] == '\0') {
        fprintf(stderr, "iosim replay: run %" PRIu64 " never completed: no hash to check\n", a.run);
        st = CLI_EXIT_USAGE;
    } else if (sim_scenario_load(rec.file, &s, &err) != IOSIM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        st = CLI_EXIT_USAGE;
    } else {
        st = replay(&a, &rec, s);
        sim_scenario_free(s);
    }
    cli_recorded_free(&rec);
    return st;
}
