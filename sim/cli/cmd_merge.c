/* `iosim merge OUT IN...`: the shards' trace databases into one (sim/cli/merge.h). */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>

#include "sim/cli/cli.h"
#include "sim/cli/merge.h"
#include "sim/trace/trace.h"

#define MERGE_INPUTS_MAX 4096u

struct merge_args {
    const char *paths[MERGE_INPUTS_MAX + 1]; /* OUT, then the inputs */
    uint64_t npaths;
};

static bool add_path(const struct cli_opt *o, const char *text)
{
    struct merge_args *a = o->dest;
    if (a->npaths == MERGE_INPUTS_MAX + 1)
        return false; /* refused, not dropped: .wants says why */
    a->paths[a->npaths++] = text;
    return true;
}

static int parse_merge_args(int argc, char **argv, struct merge_args *a, bool *too_few)
{
    const struct cli_opt opts[] = {{0}};
    const struct cli_command cmd = {
        .name = "merge",
        .about = "Copies the runs (with every row of their traces) and the fuzz_run rows of each\n"
                 "input trace database into OUT, created if missing: one database for a campaign\n"
                 "run in shards. Run ids are renumbered; a run or fuzz_run row OUT already has\n"
                 "(docs/campaigns.md, \"Merging\") is not copied again, so merging an input twice\n"
                 "changes nothing. Each input is merged in one transaction.\n",
        .notes = "Prints a line per input. Exit status 2 when OUT or an input is not a readable\n"
                 "iosim trace (that input is left out; the others are merged), else 0.\n",
        .opts = opts,
        .operand = {.metavar = "OUT.db IN.db...", .parse = add_path, .dest = a,
                    .wants = "at most 4096 input databases"},
        .missing = "no output database given",
    };
    int st = cli_opts_parse(&cmd, argc, argv);
    if (st == CLI_OPTS_GO_ON && a->npaths < 2)
        st = cli_opts_mistake(&cmd, "no input database given");
    *too_few = st != CLI_OPTS_GO_ON;
    return st;
}

/* OUT with every table of the schema (core and the families'), and a
 * connection to it for the merge. */
static sqlite3 *open_out(const char *path)
{
    struct sim_trace_db *tdb;
    const struct sim_trace_db_opts o = {.in_process = true};
    char msg[256];
    if (sim_trace_db_open_opts(path, &o, &tdb, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim merge: %s\n", msg);
        return NULL;
    }
    sim_trace_db_close(tdb);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "iosim merge: %s: cannot open: %s\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 60000);
    return db;
}

/* The (run_id, seq) indexes of the copied rows, as after `iosim suite --trace`. */
static bool index_out(const char *path)
{
    struct sim_trace_db *tdb;
    const struct sim_trace_db_opts o = {.in_process = true};
    char msg[256];
    enum iosim_err e = sim_trace_db_open_opts(path, &o, &tdb, msg, sizeof msg);
    if (e == IOSIM_OK) {
        e = sim_trace_db_index(tdb, msg, sizeof msg);
        sim_trace_db_close(tdb);
    }
    if (e != IOSIM_OK)
        fprintf(stderr, "iosim merge: %s: indexes: %s\n", path, msg);
    return e == IOSIM_OK;
}

static void print_counts(const char *path, const struct merge_counts *c)
{
    if (c->self) {
        printf("merge: %s: is the output itself, nothing to merge\n", path);
        return;
    }
    printf("merge: %s: %" PRIu64 " runs copied, %" PRIu64 " already there; %" PRIu64
           " fuzz_run rows copied, %" PRIu64 " already there\n",
           path, c->runs_copied, c->runs_known, c->fuzz_copied, c->fuzz_known);
}

int cli_merge(int argc, char **argv)
{
    static struct merge_args a;
    bool stop = false;
    int st = parse_merge_args(argc, argv, &a, &stop);
    if (stop)
        return st;
    sqlite3 *db = open_out(a.paths[0]);
    if (db == NULL)
        return CLI_EXIT_USAGE;
    int status = CLI_EXIT_PASS;
    for (uint64_t i = 1; i < a.npaths; i++) {
        struct merge_counts c;
        char msg[512];
        if (merge_input(db, a.paths[i], &c, msg, sizeof msg) != IOSIM_OK) {
            fprintf(stderr, "iosim merge: %s: %s\n", a.paths[i], msg);
            status = CLI_EXIT_USAGE;
            continue;
        }
        print_counts(a.paths[i], &c);
    }
    sqlite3_close(db);
    if (!index_out(a.paths[0]))
        status = CLI_EXIT_USAGE;
    return status;
}
