/* iosim: one binary, subcommands. See README.md and `iosim --help`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cli/cli.h"

static const char usage[] =
    "usage: iosim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO     run one scenario (exit 0 pass, 1 fail, 2 bad input)\n"
    "  suite PATH...    run every scenario under the paths, in parallel\n"
    "  report DB        summarise the runs recorded in a trace database\n"
    "  pcid DUMP        what pcid finds in a real machine's configuration-space dump\n"
    "\n"
    "`iosim <command> --help` describes each command. `iosim --version` prints the build.\n";

bool cli_parse_u64(const char *s, uint64_t *out)
{
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

bool cli_seed_arg(const char *cmd, const char *text, uint64_t *seed)
{
    if (cli_parse_u64(text, seed))
        return true;
    fprintf(stderr, "iosim %s: --seed wants a non-negative integer, got '%s'\n", cmd, text);
    return false;
}

bool cli_policy_arg(const char *cmd, const char *text)
{
    struct sim_sched_params sp;
    if (strlen(text) < SIM_POLICY_TEXT_MAX && sim_policy_parse(text, &sp) == IOSIM_OK)
        return true;
    fprintf(stderr, "iosim %s: --policy wants fifo, random or pct:D (D 1..16), got '%s'\n", cmd,
            text);
    return false;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
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
    if (strcmp(cmd, "report") == 0)
        return cli_report(argc - 1, argv + 1);
    if (strcmp(cmd, "pcid") == 0)
        return cli_pcid(argc - 1, argv + 1);
    fprintf(stderr, "iosim: unknown command '%s'\n\n%s", cmd, usage);
    return CLI_EXIT_USAGE;
}
