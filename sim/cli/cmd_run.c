/* `iosim run`: one scenario, a verdict, a trace hash, a repro line. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/cli/cli.h"
#include "sim/cli/cli_faults.h"
#include "sim/trace/trace.h"

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

/* A latency the way fio shows one: ns, us or ms with a sensible precision. */
static void format_lat(uint64_t ns, char *buf, size_t cap)
{
    if (ns < 10000)
        snprintf(buf, cap, "%" PRIu64 "ns", ns);
    else if (ns < 10000000)
        snprintf(buf, cap, "%.1fus", (double)ns / 1e3);
    else
        snprintf(buf, cap, "%.2fms", (double)ns / 1e6);
}

/* One line per fio_result row of the run, as fio users read them. */
static void print_fio(FILE *f, const struct sim_run_result *r)
{
    for (uint32_t i = 0; i < r->fio_count; i++) {
        const struct sim_run_fio *x = &r->fio[i];
        char p[4][24];
        format_lat(x->p50_ns, p[0], sizeof p[0]);
        format_lat(x->p90_ns, p[1], sizeof p[1]);
        format_lat(x->p99_ns, p[2], sizeof p[2]);
        format_lat(x->p999_ns, p[3], sizeof p[3]);
        fprintf(f, "fio: job %s %s: IOPS=%" PRIu64 ", BW=%" PRIu64 "KiB/s, ios=%" PRIu64,
                x->job, x->dir, x->iops, x->bw_kib_s, x->ios);
        if (x->errors > 0)
            fprintf(f, ", errors=%" PRIu64, x->errors);
        fprintf(f, ", lat p50=%s p90=%s p99=%s p99.9=%s\n", p[0], p[1], p[2], p[3]);
    }
    if (r->fio_dropped > 0)
        fprintf(f, "fio: ... and %u more (see the trace's fio_result table)\n", r->fio_dropped);
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
    print_fio(f, r);
    if (!r->passed)
        fprintf(f, "repro: %s\n", r->repro);
}

struct run_args {
    const char *path;
    const char *faults;            /* --faults MODE */
    const char *fault_set;         /* --fault-set TEXT */
    const char *policy;
    const char *trace;
    uint64_t seed;
    bool seed_set;
    struct sim_decisions decisions;
    bool decisions_set;
    const char *counts;
};

/* --decisions: the script, parsed at once so a bad one is a usage error. */
static bool parse_decisions(const struct cli_opt *o, const char *text)
{
    char msg[128];
    return sim_dec_parse(text, o->dest, msg, sizeof msg) == IOSIM_OK;
}

static bool parse_policy(const struct cli_opt *o, const char *text)
{
    struct sim_sched_params sp;
    if (strlen(text) >= SIM_POLICY_TEXT_MAX || sim_policy_parse(text, &sp) != IOSIM_OK)
        return false;
    *(const char **)o->dest = text;
    return true;
}

struct cli_opt cli_seed_opt(const char *help, uint64_t *seed, bool *seed_set)
{
    return (struct cli_opt){.name = "seed", .metavar = "N", .help = help, .parse = cli_opt_u64,
                            .dest = seed, .max = UINT64_MAX, .seen = seed_set,
                            .wants = "a non-negative integer"};
}

struct cli_opt cli_policy_opt(const char *help, const char **policy)
{
    return (struct cli_opt){.name = "policy", .metavar = "P", .help = help,
                            .parse = parse_policy, .dest = policy,
                            .wants = "fifo, random or pct:D (D 1..16)"};
}

struct cli_opt cli_run_id_opt(const char *help, uint64_t *run, bool *run_set)
{
    return (struct cli_opt){.name = "run", .metavar = "ID", .help = help, .parse = cli_opt_u64,
                            .dest = run, .min = 1, .max = INT64_MAX, .wants = "a run id",
                            .seen = run_set};
}

static int parse_run_args(int argc, char **argv, struct run_args *a)
{
    const struct cli_opt opts[] = {
        cli_seed_opt("seed of the run (default: the scenario's `seed:`, else 1)", &a->seed,
                     &a->seed_set),
        cli_policy_opt("scheduler policy: fifo, random or pct:D (default: the scenario's)",
                       &a->policy),
        {.name = "trace", .metavar = "FILE.db", .parse = cli_opt_text, .dest = &a->trace,
         .help = "record the run in an SQLite trace database (created if missing)"},
        {.name = "decisions", .metavar = "SCRIPT", .parse = parse_decisions,
         .dest = &a->decisions, .seen = &a->decisions_set,
         .wants = "schedule decisions such as p12,k40=2,s57=900000, or none",
         .help = "make these schedule decisions, the default elsewhere (iosim shrink)"},
        {.name = "counts", .metavar = "NAME=N,...", .parse = cli_opt_text, .dest = &a->counts,
         .help = "set the scenario's shrinkable counts (iosim shrink)"},
        {.name = "faults", .metavar = "MODE", .parse = cli_opt_text, .dest = &a->faults,
         .help = "swarm: a fault set drawn from the seed (of the scenario's fuzz.faults)"},
        {.name = "fault-set", .metavar = "TEXT", .parse = cli_opt_text, .dest = &a->fault_set,
         .help = "an explicit fault set, as a repro line gives it"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "run",
        .about = "Runs one scenario file and checks its expectations.\n",
        .notes = "Prints the verdict, `trace-hash: <16 hex digits>`, a `fio:` line for every "
                 "disk\nworkload summary (trace table fio_result) and, on failure, the command "
                 "that\nreproduces it. Exit status: 0 every expectation held, 1 one failed, 2 "
                 "bad input.\n",
        .opts = opts,
        .operand = {.metavar = "SCENARIO", .parse = cli_opt_text, .dest = &a->path},
        .max_operands = 1,
        .missing = "no scenario given",
    };
    return cli_opts_parse(&cmd, argc, argv);
}

int cli_run(int argc, char **argv)
{
    struct run_args a = {0};
    int st = parse_run_args(argc, argv, &a);
    if (st != CLI_OPTS_GO_ON) {
        sim_dec_free(&a.decisions);
        return st;
    }
    struct sim_scenario *s;
    struct yml_error err;
    if (sim_scenario_load(a.path, &s, &err) != IOSIM_OK) {
        fprintf(stderr, "%s\n", err.msg);
        sim_dec_free(&a.decisions);
        return CLI_EXIT_USAGE;
    }
    static struct sim_faultset fs;
    const struct sim_faultset *set;
    if (!cli_faults_choose("iosim run", s, a.faults, a.fault_set,
                           a.seed_set ? a.seed : s->machine.seed, &fs, &set)) {
        sim_scenario_free(s);
        sim_dec_free(&a.decisions);
        return CLI_EXIT_USAGE;
    }
    struct sim_trace_db *db = NULL;
    if (a.trace != NULL) {
        char msg[256];
        if (sim_trace_db_open(a.trace, &db, msg, sizeof msg) != IOSIM_OK) {
            fprintf(stderr, "iosim run: %s\n", msg);
            sim_scenario_free(s);
            sim_dec_free(&a.decisions);
            return CLI_EXIT_USAGE;
        }
    }
    static uint64_t counts[SIM_SCN_COUNTS_MAX];
    char msg[256];
    if (a.counts != NULL &&
        sim_scn_counts_parse(s, a.counts, counts, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim run: --counts: %s: %s\n", a.path, msg + strlen("counts: "));
        sim_trace_db_close(db);
        sim_scenario_free(s);
        sim_dec_free(&a.decisions);
        return CLI_EXIT_USAGE;
    }
    struct sim_run_opts o = {.seed = a.seed, .seed_set = a.seed_set, .policy = a.policy,
                             .db = db, .program = "iosim", .faults = set,
                             .decisions = a.decisions_set ? &a.decisions : NULL,
                             .counts = a.counts != NULL ? counts : NULL};
    static struct sim_run_result r;
    enum iosim_err e = sim_run(s, &o, &r);
    cli_print_result(stdout, s, &r);
    if (db != NULL && sim_trace_db_index(db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim run: indexing the trace: %s\n", msg);
        e = e == IOSIM_OK ? IOSIM_EIO : e;
    }
    sim_trace_db_close(db);
    sim_scenario_free(s);
    sim_dec_free(&a.decisions);
    if (e != IOSIM_OK)
        return CLI_EXIT_USAGE;
    return r.passed ? CLI_EXIT_PASS : CLI_EXIT_FAIL;
}
