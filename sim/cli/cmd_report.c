/* `iosim report`: summarise a trace database as text, or as one HTML page
 * with charts (reports/ does the reading). */
#include <stdio.h>
#include <string.h>

#include "reports/report_html.h"
#include "reports/summary.h"
#include "sim/cli/cli.h"
#include "sim/trace/trace.h"

struct report_args {
    const char *db, *out_path;
    bool html;
    uint64_t run_id;
};

/* Reads the command line into *a: what cli_opts_parse returns. */
static int parse_report_args(int argc, char **argv, struct report_args *a)
{
    const struct cli_opt opts[] = {
        {.letter = 'o', .metavar = "FILE", .parse = cli_opt_text, .dest = &a->out_path,
         .help = "write the report to FILE (default: standard output)"},
        {.name = "html", .help = "write the HTML report (the default when FILE ends in .html)",
         .seen = &a->html},
        {.name = "run", .metavar = "ID", .parse = cli_opt_u64, .dest = &a->run_id, .min = 1,
         .max = INT64_MAX, .wants = "a run id (1 or more)",
         .help = "HTML: the run whose timeline is drawn (default: the first failing one)"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "report",
        .about = "Summarises the runs recorded in a trace database: verdicts, seeds, policies,\n"
                 "simulated end times, trace hashes, failures with their repro commands, and "
                 "rows\nper table. Writes to FILE (or standard output).\n"
                 "\n"
                 "With --html, or a FILE ending in .html, writes one self-contained HTML page\n"
                 "instead: charts of the campaigns, coverage, latencies, throughput, a run's\n"
                 "timeline, the conformance matrix and the failures with their repros.\n",
        .notes = "Exit status 2 when DB is not a readable iosim trace.\n",
        .opts = opts,
        .operand = {.metavar = "DB", .parse = cli_opt_text, .dest = &a->db},
        .max_operands = 1,
        .missing = "no database given",
    };
    return cli_opts_parse(&cmd, argc, argv);
}

static bool ends_with_html(const char *path)
{
    size_t n = path != NULL ? strlen(path) : 0;
    return n >= 5 && strcmp(path + n - 5, ".html") == 0;
}

static enum iosim_err write_text(const char *db, FILE *out, char *msg, size_t len)
{
    /* every table this binary knows: the core ones and the families' */
    const char *tables[SIM_TRACE_TABLES_MAX];
    uint32_t n = sim_trace_table_count();
    for (uint32_t i = 0; i < n; i++)
        tables[i] = sim_trace_table_info(i)->name;
    return report_summary(db, tables, n, out, msg, len);
}

int cli_report(int argc, char **argv)
{
    struct report_args a = {0};
    int st = parse_report_args(argc, argv, &a);
    if (st != CLI_OPTS_GO_ON)
        return st;
    FILE *out = a.out_path != NULL ? fopen(a.out_path, "w") : stdout;
    if (out == NULL) {
        fprintf(stderr, "iosim report: cannot write %s\n", a.out_path);
        return CLI_EXIT_USAGE;
    }
    char msg[512];
    enum iosim_err e;
    if (a.html || ends_with_html(a.out_path)) {
        const struct report_html_opts o = {.run_id = (int64_t)a.run_id};
        e = report_html(a.db, &o, out, msg, sizeof msg);
    } else {
        e = write_text(a.db, out, msg, sizeof msg);
    }
    if (out != stdout && fclose(out) != 0)
        e = e == IOSIM_OK ? IOSIM_EIO : e;
    if (e != IOSIM_OK) {
        fprintf(stderr, "iosim report: %s\n", e == IOSIM_EIO ? "write error" : msg);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_PASS;
}
