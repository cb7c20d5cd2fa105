/*
 * `iosim compare DB --run A --run B [--tolerance KEY=VALUE]... [-o FILE.html]`:
 * a reference run (A: typically a real capture brought in by `iosim
 * import`) against a candidate (B: a simulation of it) in one trace
 * database. reports/compare.c does the reading and the statistics; this
 * file reads the command line and prints.
 *
 * Exit status: 0 compared and within every tolerance given; 1 a tolerance
 * exceeded; 2 usage, a missing database or run, a bad tolerance.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/compare.h"
#include "sim/cli/cli.h"

#define COMPARE_TOL_MAX 32u

struct compare_args {
    const char *db, *out_path;
    int64_t run[2];
    size_t nrun;
    bool too_many_runs;
    const char *tol_text[COMPARE_TOL_MAX];
    size_t ntol;
};

/* --run: a run id, kept in order (the first is A). */
static bool add_run(const struct cli_opt *o, const char *text)
{
    struct compare_args *a = o->dest;
    char *end;
    if (text[0] < '0' || text[0] > '9')
        return false;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || v == 0 || v > INT64_MAX)
        return false;
    if (a->nrun == 2)
        a->too_many_runs = true;
    else
        a->run[a->nrun++] = (int64_t)v;
    return true;
}

/* --tolerance: kept as text; read after parsing, so that a bad one is
 * reported with its own reason (cmp_tolerance_parse's). */
static bool add_tol(const struct cli_opt *o, const char *text)
{
    struct compare_args *a = o->dest;
    if (a->ntol == COMPARE_TOL_MAX)
        return false;
    a->tol_text[a->ntol++] = text;
    return true;
}

static const char compare_about[] =
    "Compares two runs of a trace database: A, the reference (for example a real\n"
    "capture written by `iosim import`), and B, the candidate (a simulated run).\n"
    "\n"
    "Alignment: USB devices are paired in order of their first bulk transfer (a\n"
    "simulation's device numbers are not the host's); endpoints by role, not number:\n"
    "endpoint 0 with endpoint 0, then per type and direction the k-th endpoint of A\n"
    "with the k-th of B, in order of first transfer (ties by number); a note names\n"
    "both numbers where they differ. SCSI command streams pair by usbscsid pid in\n"
    "order of first command (a capture's are all pid 0), then by LUN. Per pair, the\n"
    "sequences (SCSI: opcode, lba, blocks, dir, len; USB: type, direction, requested\n"
    "bytes, setup) are aligned as a longest common subsequence (Myers' diff in\n"
    "windows of 1024 items): matched, missing (in A only), extra (in B only),\n"
    "mismatched (matched, but the SCSI status, residue or sense, or the USB status or\n"
    "actual length differ).\n"
    "\n"
    "Timing per request kind (`READ(10) 64 KiB`, `bulk in #1 512 B`): count, p50,\n"
    "p90, p99 (nearest rank) and max of the latency (scsi_cmd end_ps - start_ps,\n"
    "usb_xfer t_ps - submit_ps) of both runs, and the two-sample Kolmogorov-Smirnov\n"
    "distance; throughput in bytes per second over the span of the run's commands.\n"
    "\n"
    "Tolerance keys (--tolerance KEY=VALUE, repeatable):\n"
    "  p50=P%, p90=P%, p99=P%  max |relative difference| of that percentile of B\n"
    "                          against A, per kind; gated only for kinds with at\n"
    "                          least 1 (p50), 10 (p90), 100 (p99) samples in each run\n"
    "  ks=D                    max KS distance per kind, 0..1; gated for kinds with\n"
    "                          at least 10 samples in each run\n"
    "  throughput=P%           max |relative difference| of bytes/s\n"
    "  missing=N, extra=N, mismatch=N\n"
    "                          max counts of requests: SCSI commands (USB transfers\n"
    "                          when neither run has any)\n"
    "  samples=N               gate the per-kind keys only for kinds with at least N\n"
    "                          samples in each run (fewer: reported, not gated)\n"
    "  kinds=all|scsi|usb      the kinds the per-kind keys gate (all)\n";

static int parse_compare_args(int argc, char **argv, struct compare_args *a,
                              struct cmp_tolerance *tol)
{
    const struct cli_opt opts[] = {
        {.name = "run", .metavar = "ID", .parse = add_run, .dest = a,
         .wants = "a run id (1 or more)",
         .help = "a run to compare; given twice: first A (reference), then B"},
        {.name = "tolerance", .metavar = "KEY=VALUE", .parse = add_tol, .dest = a,
         .wants = "at most 32 tolerances", .help = "fail (exit 1) past this bound; repeatable"},
        {.letter = 'o', .metavar = "FILE.html", .parse = cli_opt_text, .dest = &a->out_path,
         .help = "also write the comparison as one self-contained HTML page"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "compare",
        .about = compare_about,
        .notes = "Prints `compare: run A ... vs run B ...`, `requests: N matched, N missing,\n"
                 "N extra, N mismatched`, `first divergence: ...` with its context, one\n"
                 "`kind: ...` line a kind, `throughput: A x MB/s, B y MB/s (+z%)`, one\n"
                 "`tolerance: ...` line a tolerance (or a kind past it), and last `compare:\n"
                 "within tolerance` or `compare: N tolerances exceeded`. Exit status 0\n"
                 "within every tolerance (always, without one), 1 one exceeded, 2 usage, a\n"
                 "missing database or run, a bad tolerance.\n",
        .opts = opts,
        .operand = {.metavar = "DB", .parse = cli_opt_text, .dest = &a->db},
        .max_operands = 1,
        .missing = "no database given",
    };
    int st = cli_opts_parse(&cmd, argc, argv);
    if (st != CLI_OPTS_GO_ON)
        return st;
    if (a->nrun != 2 || a->too_many_runs)
        return cli_opts_mistake(&cmd, "give --run exactly twice (A, then B)");
    for (size_t i = 0; i < a->ntol; i++) {
        char msg[160];
        if (cmp_tolerance_parse(a->tol_text[i], &tol[i], msg, sizeof msg) != IOSIM_OK)
            return cli_opts_mistake(&cmd, "--tolerance '%s': %s", a->tol_text[i], msg);
    }
    return CLI_OPTS_GO_ON;
}

static bool write_html(const char *path, const struct cmp_report *r, const struct cmp_verdict *v,
                       size_t nv, unsigned exceeded)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "iosim compare: cannot write %s\n", path);
        return false;
    }
    cmp_html(r, v, nv, exceeded, f);
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok)
        fprintf(stderr, "iosim compare: %s: write error\n", path);
    return ok;
}

int cli_compare(int argc, char **argv)
{
    static struct compare_args a;
    static struct cmp_tolerance tol[COMPARE_TOL_MAX];
    memset(&a, 0, sizeof a);
    int st = parse_compare_args(argc, argv, &a, tol);
    if (st != CLI_OPTS_GO_ON)
        return st;
    struct cmp_report r;
    char msg[512];
    if (cmp_compute(a.db, a.run[0], a.run[1], &r, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim compare: %s\n", msg);
        return CLI_EXIT_USAGE;
    }
    struct cmp_verdict *v = NULL;
    size_t nv = 0;
    unsigned exceeded = 0;
    if (cmp_check(&r, tol, a.ntol, &v, &nv, &exceeded) != IOSIM_OK) {
        fprintf(stderr, "iosim compare: out of memory\n");
        cmp_report_free(&r);
        return CLI_EXIT_USAGE;
    }
    cmp_print(&r, v, nv, exceeded, stdout);
    bool ok = a.out_path == NULL || write_html(a.out_path, &r, v, nv, exceeded);
    free(v);
    cmp_report_free(&r);
    if (!ok)
        return CLI_EXIT_USAGE;
    return exceeded > 0 ? CLI_EXIT_FAIL : CLI_EXIT_PASS;
}
