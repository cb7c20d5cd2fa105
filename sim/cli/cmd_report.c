/* `iosim report`: summarise a trace database (reports/ does the reading). */
#include <stdio.h>
#include <string.h>

#include "reports/summary.h"
#include "sim/cli/cli.h"

static const char report_usage[] =
    "usage: iosim report DB [-o FILE]\n"
    "\n"
    "Summarises the runs recorded in a trace database: verdicts, seeds, policies,\n"
    "simulated end times, trace hashes, failures with their repro commands, and rows\n"
    "per table. Writes to FILE (or standard output). Exit status 2 when DB is not a\n"
    "readable iosim trace.\n";

int cli_report(int argc, char **argv)
{
    const char *db = NULL, *out_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(report_usage, stdout);
            return CLI_EXIT_PASS;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out_path = argv[++i];
        } else if (argv[i][0] == '-' || db != NULL) {
            fprintf(stderr, "iosim report: unexpected argument '%s'\n\n%s", argv[i], report_usage);
            return CLI_EXIT_USAGE;
        } else {
            db = argv[i];
        }
    }
    if (db == NULL) {
        fprintf(stderr, "iosim report: no database given\n\n%s", report_usage);
        return CLI_EXIT_USAGE;
    }
    FILE *out = out_path != NULL ? fopen(out_path, "w") : stdout;
    if (out == NULL) {
        fprintf(stderr, "iosim report: cannot write %s\n", out_path);
        return CLI_EXIT_USAGE;
    }
    char msg[256];
    enum iosim_err e = report_summary(db, out, msg, sizeof msg);
    if (out != stdout && fclose(out) != 0)
        e = e == IOSIM_OK ? IOSIM_EIO : e;
    if (e != IOSIM_OK) {
        fprintf(stderr, "iosim report: %s\n", e == IOSIM_EIO ? "write error" : msg);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_PASS;
}
