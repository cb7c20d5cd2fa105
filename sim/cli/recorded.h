/*
 * recorded.h - a run as a trace database recorded it, for the commands
 * that run it again (`replay`, `shrink`): its scenario file, seed, policy,
 * verdict and hash (table run), its fault set (the --fault-set of its
 * recorded command), and what a campaign stored beside it (table
 * fuzz_run: the row, its schedule decisions and shrinkable counts).
 *
 *     static struct cli_recorded rec;             (large: a fault set's text)
 *     if (!cli_recorded_read("iosim replay", path, id, &rec)) exit 2: it said why
 *     ... rec.file, rec.seed, rec.has_decisions ? &rec.decisions : NULL ...
 *     cli_recorded_free(&rec);
 *
 * Ownership: rec owns its decision list (cli_recorded_free).
 */
#ifndef IOSIM_CLI_RECORDED_H
#define IOSIM_CLI_RECORDED_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/machine/decisions.h"
#include "sim/run/faultset.h"
#include "sim/scenario/scenario.h"
#include "sim/trace/trace.h"

struct cli_recorded {
    char file[1024];
    char policy[SIM_POLICY_TEXT_MAX];
    char hash[SIM_TRACE_HASH_HEX_LEN + 1]; /* "" when the run never completed */
    char result[16];
    uint64_t seed;
    bool has_faults;                    /* its command's --fault-set */
    char faults[SIM_FAULTSET_TEXT_MAX];
    int64_t fuzz_row;                   /* its fuzz_run rowid, or -1 */
    char campaign[128];
    int64_t idx;
    bool has_decisions;                 /* fuzz_run.decisions */
    struct sim_decisions decisions;
    char counts[512];                   /* fuzz_run.counts, or "" */
};

/* Reads run `id` of the file at path: false, with `who: what is wrong` on
 * standard error, when the file, the run or its stored decisions are not
 * readable. */
bool cli_recorded_read(const char *who, const char *path, uint64_t id, struct cli_recorded *rec);

void cli_recorded_free(struct cli_recorded *rec);

#endif /* IOSIM_CLI_RECORDED_H */
