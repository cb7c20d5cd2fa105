/* `iosim report`: summarise a trace database (reports/ does the reading). */
#include <stdio.h>

#include "reports/summary.h"
#include "sim/cli/cli.h"
#include "sim/trace/trace.h"

/* Reads the command line into *db and *out_path: what cli_opts_parse returns. */
static int parse_report_args(int argc, char **argv, const char **db, const char **out_path)
{
    const struct cli_opt opts[] = {
        {.letter = 'o', .metavar = "FILE", .parse = cli_opt_text, .dest = out_path,
         .help = "write the summary to FILE (default: standard output)"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "report",
        .about = "Summarises the runs recorded in a trace database: verdicts, seeds, policies,\n"
                 "simulated end times, trace hashes, failures with their repro commands, and "
                 "rows\nper table. Writes to FILE (or standard output).\n",
        .notes = "Exit status 2 when DB is not a readable iosim trace.\n",
        .opts = opts,
        .operand = {.metavar = "DB", .parse = cli_opt_text, .dest = db},
        .max_operands = 1,
        .missing = "no database given",
    };
    return cli_opts_parse(&cmd, argc, argv);
}

int cli_report(int argc, char **argv)
{
    const char *db = NULL, *out_path = NULL;
    int st = parse_report_args(argc, argv, &db, &out_path);
    if (st != CLI_OPTS_GO_ON)
        return st;
    FILE *out = out_path != NULL ? fopen(out_path, "w") : stdout;
    if (out == NULL) {
        fprintf(stderr, "iosim report: cannot write %s\n", out_path);
        return CLI_EXIT_USAGE;
    }
    /* every table this binary knows: the core ones and the families' */
    const char *tables[SIM_TRACE_TABLES_MAX];
    uint32_t n = sim_trace_table_count();
    for (uint32_t i = 0; i < n; i++)
        tables[i] = sim_trace_table_info(i)->name;
    char msg[256];
    enum iosim_err e = report_summary(db, tables, n, out, msg, sizeof msg);
    if (out != stdout && fclose(out) != 0)
        e = e == IOSIM_OK ? IOSIM_EIO : e;
    if (e != IOSIM_OK) {
        fprintf(stderr, "iosim report: %s\n", e == IOSIM_EIO ? "write error" : msg);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_PASS;
}
