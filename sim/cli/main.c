/* iosim: one binary, subcommands. See README.md and `iosim --help`. */
#include <stdio.h>
#include <string.h>

#include "sim/cli/cli.h"
#include "sim/scenario/family.h"

static const char usage[] =
    "usage: iosim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO     run one scenario (exit 0 pass, 1 fail, 2 bad input)\n"
    "  suite PATH...    run every scenario under the paths, in parallel\n"
    "  fuzz SCENARIO... run them under many seeds and schedules, in parallel\n"
    "  replay DB        run a recorded run again and check it is the same run\n"
    "  shrink DB        make a recorded failing run as small as it goes, still failing\n"
    "  report DB        summarise the runs recorded in a trace database\n"
    "  merge OUT IN...  copy the runs of trace databases (a campaign's shards) into one\n"
    "  pcid DUMP        what pcid finds in a real machine's configuration-space dump\n"
    "  import FILE...   real USB captures (usbmon text, pcap, pcapng) as runs of a trace database\n"
    "  replay-capture FILE  a real capture's disk requests as a scenario to run\n"
    "  calibrate DB     a mass-storage timing profile fitted to an imported capture\n"
    "  export DB        one run as a pcap capture (Wireshark) or trace-event JSON (Perfetto)\n"
    "  compare DB       two runs side by side (a capture and a simulation): alignment, latency, tolerances\n"
    "\n"
    "`iosim <command> --help` describes each command. `iosim --version` prints the build.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_EXIT_USAGE;
    }
    /* Before anything opens a trace database: the families' tables are in
     * every file this process writes. */
    if (sim_families_init() != IOSIM_OK) {
        fputs("iosim: a built-in device family failed to register\n", stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return CLI_EXIT_PASS;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("iosim %s\n", IOSIM_BUILD_ID);
        return CLI_EXIT_PASS;
    }
    if (strcmp(cmd, "run") == 0)
        return cli_run(argc - 1, argv + 1);
    if (strcmp(cmd, "suite") == 0)
        return cli_suite(argc - 1, argv + 1);
    if (strcmp(cmd, "fuzz") == 0)
        return cli_fuzz(argc - 1, argv + 1);
    if (strcmp(cmd, "replay") == 0)
        return cli_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "shrink") == 0)
        return cli_shrink(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cli_report(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return cli_merge(argc - 1, argv + 1);
    if (strcmp(cmd, "pcid") == 0)
        return cli_pcid(argc - 1, argv + 1);
    if (strcmp(cmd, "import") == 0)
        return cli_import(argc - 1, argv + 1);
    if (strcmp(cmd, "replay-capture") == 0)
        return cli_replay_capture(argc - 1, argv + 1);
    if (strcmp(cmd, "calibrate") == 0)
        return cli_calibrate(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return cli_export(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return cli_compare(argc - 1, argv + 1);
    fprintf(stderr, "iosim: unknown command '%s'\n\n%s", cmd, usage);
    return CLI_EXIT_USAGE;
}
