/* `iosim run`: one scenario, a verdict, a trace hash, a repro line. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/cli/cli.h"
#include "sim/trace/trace.h"

static const char run_usage[] =
    "usage: iosim run SCENARIO [--seed N] [--policy P] [--trace FILE.db]\n"
    "\n"
    "Runs one scenario file and checks its expectations.\n"
    "  --seed N          seed of the run (default: the scenario's `seed:`, else 1)\n"
    "  --policy P        scheduler policy: fifo, random or pct:D (default: the scenario's)\n"
    "  --trace FILE.db   record the run in an SQLite trace database (created if missing)\n"
    "\n"
    "Prints the verdict, `trace-hash: <16 hex digits>` and, on failure, the command that\n"
    "reproduces it. Exit status: 0 every expectation held, 1 one failed, 2 bad input.\n";

void cli_format_time(uint64_t ps, char *buf, size_t cap)
{
    if (ps >= SIM_S)
        snprintf(buf, cap, "%.6f s", (double)ps / (double)SIM_S);
    else if (ps >= SIM_MS)
        snprintf(buf, cap, "%.6f ms", (double)ps / (double)SIM_MS);
    else if (ps >= SIM_US)
        snprintf(buf, cap, "%.3f us", (double)ps / (double)SIM_US);
    else
        snprintf(buf, cap, "%.3f ns", (double)ps / (double)SIM_NS);
}

void cli_print_result(FILE *f, const struct sim_scenario *s, const struct sim_run_result *r)
{
    char t[48];
    cli_format_time(r->end_ps, t, sizeof t);
    fprintf(f, "scenario: %s (%s)\n", s->name, s->file);
    fprintf(f, "seed: %" PRIu64 "  policy: %s\n", r->seed, r->policy);
    for (uint32_t i = 0; i < r->failure_count; i++)
        fprintf(f, "  failed: %s\n", r->failures[i]);
    if (r->expectations_failed > r->failure_count)
        fprintf(f, "  ... and %u more failures (see the trace's expectation table)\n",
                r->expectations_failed - r->failure_count);
    if (r->message[0] != '\0')
        fprintf(f, "  error: %s\n", r->message);
    fprintf(f, "end: %s at %s; %u expectations passed, %u failed; %" PRIu64 " trace rows\n",
            sim_end_reason_name(r->end), t, r->expectations_passed, r->expectations_failed,
            r->trace_rows);
    fprintf(f, "result: %s\n", r->passed ? "PASS" : r->message[0] ? "ERROR" : "FAIL");
    fprintf(f, "trace-hash: %016" PRIx64 "\n", r->trace_hash);
    if (!r->passed)
        fprintf(f, "repro: %s\n", r->repro);
}

struct run_args {
    const char *path;
    const char *policy;
    const char *trace;
    uint64_t seed;
    bool seed_set;
};

static int parse_run_args(int argc, char **argv, struct run_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(run_usage, stdout);
            return -1;
        } else if (strcmp(arg, "--seed") == 0 && has_value) {
            if (!cli_seed_arg("run", argv[++i], &a->seed))
                return CLI_EXIT_USAGE;
            a->seed_set = true;
        } else if (strcmp(arg, "--policy") == 0 && has_value) {
            a->policy = argv[++i];
            if (!cli_policy_arg("run", a->policy))
                return CLI_EXIT_USAGE;
        } else if (strcmp(arg, "--trace") == 0 && has_value) {
            a->trace = argv[++i];
        } else if (arg[0] == '-' || a->path != NULL) {
            fprintf(stderr, "iosim run: unexpected argument '%s'\n\n%s", arg, run_usage);
            return CLI_EXIT_USAGE;
        } else {
            a->path = arg;
        }
    }
    if (a->path == NULL) {
        fprintf(stderr, "iosim run: no scenario given\n\n%s", run_usage);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_run(int argc, char **argv)
{
    struct run_args a = {0};
    int st = parse_run_args(argc, argv, &a);
    if (st != 0)
        return st < 0 ? CLI_EXIT_PASS : st;
    struct sim_scenario *s;
    struct yml_error err;
    if (sim_scenario_load(a.path, &s, &err) != IOSIM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return CLI_EXIT_USAGE;
    }
    struct sim_trace_db *db = NULL;
    if (a.trace != NULL) {
        char msg[256];
        if (sim_trace_db_open(a.trace, &db, msg, sizeof msg) != IOSIM_OK) {
            fprintf(stderr, "iosim run: %s\n", msg);
            sim_scenario_free(s);
            return CLI_EXIT_USAGE;
        }
    }
    struct sim_run_opts o = {.seed = a.seed, .seed_set = a.seed_set, .policy = a.policy,
                             .db = db, .program = "iosim"};
    static struct sim_run_result r;
    enum iosim_err e = sim_run(s, &o, &r);
    cli_print_result(stdout, s, &r);
    char msg[256];
    if (db != NULL && sim_trace_db_index(db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim run: indexing the trace: %s\n", msg);
        e = e == IOSIM_OK ? IOSIM_EIO : e;
    }
    sim_trace_db_close(db);
    sim_scenario_free(s);
    if (e != IOSIM_OK)
        return CLI_EXIT_USAGE;
    return r.passed ? CLI_EXIT_PASS : CLI_EXIT_FAIL;
}
