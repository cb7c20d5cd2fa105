/*
 * `iosim import FILE... --trace DB`: real USB captures become runs of a
 * trace database, in the tables the simulator writes for its own runs -
 * `usb_xfer` (one row per transfer) and `scsi_cmd` (one per Bulk-Only
 * Transport command) - so that `iosim report`, and later `iosim compare`,
 * read a capture and a simulated run the same way.
 *
 * Every file is read and decoded before anything is written: a malformed
 * one is an error naming its position (`FILE:LINE:COL: what` in text,
 * `FILE: byte N: what` in a binary capture; exit 2) and no run of this
 * command is written. The format comes from the content, never the name:
 * pcap (either byte order, micro- or nanoseconds) and pcapng by their
 * magic numbers, usbmon text by its lines. Each capture is one run:
 * scenario = the file's base name, scenario_file = the file, policy
 * `capture`, result `pass`; its time starts at its earliest event (a span
 * of at most 106 days); a capture of several buses keeps them apart
 * (`usb_xfer.device` is `busN`, `bus` the number).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/spec/scsi.h"
#include "sim/capture/capture.h"
#include "sim/capture/xfers.h"
#include "sim/cli/capture_in.h"
#include "sim/cli/cli.h"
#include "sim/trace/trace.h"

#define IMPORT_FILES_MAX 256u

struct import_args {
    const char *files[IMPORT_FILES_MAX];
    size_t nfiles;
    const char *trace;
};

static bool add_file(const struct cli_opt *o, const char *text)
{
    struct import_args *a = o->dest;
    if (a->nfiles == IMPORT_FILES_MAX)
        return false; /* the parser says so: .wants */
    a->files[a->nfiles++] = text;
    return true;
}

static int parse_import_args(int argc, char **argv, struct import_args *a)
{
    const struct cli_opt opts[] = {
        {.name = "trace", .metavar = "FILE.db", .parse = cli_opt_text, .dest = &a->trace,
         .help = "the trace database to write the captures' runs into"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "import",
        .about = "Reads real USB captures and writes each as a run of a trace database, in\n"
                 "the usb_xfer and scsi_cmd tables the simulator writes: URB submissions\n"
                 "paired with their completions, Bulk-Only Transport CBW/data/CSW decoded\n"
                 "into SCSI commands. Formats, told from the content: Linux usbmon text (the\n"
                 "\"u\" and the older \"t\" format), and pcap or pcapng files (as written by\n"
                 "tcpdump, Wireshark, USBPcap or QEMU) of link type 189 (usbmon), 220 (usbmon\n"
                 "mmapped) or 249 (USBPcap).\n",
        .notes = "Prints one line a capture (`import: FILE: run N, E events, T transfers, S\n"
                 "SCSI commands`). A malformed capture: FILE:LINE:COL (text) or FILE: byte N\n"
                 "(pcap, pcapng) and what is wrong, exit 2, and nothing written. Exit status\n"
                 "0 when every file was imported.\n",
        .opts = opts,
        .operand = {.metavar = "FILE...", .parse = add_file, .dest = a,
                    .wants = "at most 256 captures"},
        .missing = "no capture given",
    };
    int st = cli_opts_parse(&cmd, argc, argv);
    if (st == CLI_OPTS_GO_ON && a->trace == NULL)
        return cli_opts_mistake(&cmd, "give the database to write: --trace FILE.db");
    return st;
}

static sim_time_ps ps_of(uint64_t ns, uint64_t t0_ns)
{
    return (sim_time_ps)(ns - t0_ns) * 1000u;
}

/* The usb_xfer row of one transfer (the table the xHCI family registers). */
static void xfer_row(struct sim_trace *tr, uint32_t table, const struct cli_capture *im,
                     const struct cap_xfer *t, uint64_t t0, char (*names)[16])
{
    static const char *const kinds[] = {"isoch", "interrupt", "control", "bulk"};
    char setup[3 * 8 + 1], data[3 * 32 + 1];
    uint32_t kept = t->data_len < 32 ? t->data_len : 32;
    sim_trace_hex(setup, sizeof setup, t->setup, 8);
    sim_trace_hex(data, sizeof data, cap_xfer_data(&im->cap, t), kept);
    snprintf(names[t->bus % 64], sizeof names[0], "bus%u", t->bus);
    struct sim_trace_value v[] = {
        SIM_TRACE_VALUE_SYM(names[t->bus % 64]), {.kind = SIM_TRACE_KIND_INT, .value = (int64_t)t->urb},
        {.kind = SIM_TRACE_KIND_INT, .value = t->bus}, {.kind = SIM_TRACE_KIND_INT, .value = t->dev},
        {.kind = SIM_TRACE_KIND_INT, .value = t->ep & 0x7f},
        SIM_TRACE_VALUE_SYM(t->ep & CAP_EP_IN ? "in" : "out"), SIM_TRACE_VALUE_SYM(kinds[t->xfer & 3]),
        SIM_TRACE_VALUE_TEXT(t->has_setup ? setup : NULL),
        {.kind = SIM_TRACE_KIND_INT, .value = t->requested},
        {.kind = SIM_TRACE_KIND_INT, .value = t->actual},
        {.kind = SIM_TRACE_KIND_INT, .value = t->status},
        {.kind = SIM_TRACE_KIND_INT, .value = (int64_t)ps_of(t->submit_ns, t0)},
        SIM_TRACE_VALUE_TEXT(kept > 0 ? data : NULL)};
    sim_trace_row(tr, table, ps_of(t->end_ns, t0), v, sizeof v / sizeof v[0]);
}

/* Writes one decoded capture as a run; its id, or -1 after saying why. */
static int64_t write_run(struct sim_trace_db *db, const struct cli_capture *im, const char *command)
{
    uint32_t usb_xfer;
    if (!sim_trace_table_find("usb_xfer", &usb_xfer)) {
        fprintf(stderr, "iosim import: this build has no usb_xfer table\n");
        return -1;
    }
    const char *base = strrchr(im->path, '/');
    struct sim_trace_run_info info = {.scenario = base != NULL ? base + 1 : im->path,
                                      .scenario_file = im->path, .policy = "capture",
                                      .command = command};
    struct sim_trace tr;
    char msg[256];
    if (sim_trace_init(&tr, db, &info) != IOSIM_OK) {
        (void)sim_trace_error(&tr, msg, sizeof msg);
        fprintf(stderr, "iosim import: %s: %s\n", im->path, msg);
        return -1;
    }
    static char names[64][16];
    uint64_t t0 = cli_capture_t0(&im->cap), end = t0;
    for (size_t i = 0, k = 0; i < im->xf.n || k < im->sc.n;) {
        /* both lists are in end order: merge them so rows are in time order */
        bool x = k == im->sc.n || (i < im->xf.n && im->xf.t[i].end_ns <= im->sc.c[k].end_ns);
        if (x) {
            xfer_row(&tr, usb_xfer, im, &im->xf.t[i], t0, names);
            end = im->xf.t[i++].end_ns > end ? im->xf.t[i - 1].end_ns : end;
            continue;
        }
        const struct cap_scsi_cmd *c = &im->sc.c[k++];
        sim_trace_scsi_cmd(&tr, ps_of(c->end_ns, t0), 0, c->lun, c->tag, scsi_op_name(c->opcode),
                           c->opcode, (int64_t)c->lba, c->blocks, c->dir, c->len, c->residue,
                           c->status, c->sense_key, c->asc, c->ascq,
                           (int64_t)ps_of(c->start_ns, t0), (int64_t)ps_of(c->end_ns, t0));
    }
    int64_t id = sim_trace_run_id(&tr);
    struct sim_trace_result res = {.result = "pass", .end_time_ps = ps_of(end, t0)};
    enum iosim_err e = sim_trace_finish(&tr, &res);
    if (e != IOSIM_OK) {
        (void)sim_trace_error(&tr, msg, sizeof msg);
        fprintf(stderr, "iosim import: %s: %s\n", im->path, msg);
    }
    sim_trace_fini(&tr);
    return e == IOSIM_OK ? id : -1;
}

int cli_import(int argc, char **argv)
{
    static struct import_args a;
    memset(&a, 0, sizeof a);
    int st = parse_import_args(argc, argv, &a);
    if (st != CLI_OPTS_GO_ON)
        return st;
    struct cli_capture *im = calloc(a.nfiles, sizeof *im);
    if (im == NULL) {
        fprintf(stderr, "iosim import: out of memory\n");
        return CLI_EXIT_USAGE;
    }
    bool ok = true;
    for (size_t i = 0; i < a.nfiles && ok; i++) {
        im[i].path = a.files[i];
        ok = cli_capture_decode(&im[i], "iosim import");
    }
    struct sim_trace_db *db = NULL;
    char msg[256];
    if (ok && sim_trace_db_open(a.trace, &db, msg, sizeof msg) != IOSIM_OK) {
        fprintf(stderr, "iosim import: %s\n", msg);
        ok = false;
    }
    char command[512];
    for (size_t i = 0; i < a.nfiles && ok; i++) {
        snprintf(command, sizeof command, "iosim import %s --trace %s", im[i].path, a.trace);
        int64_t id = write_run(db, &im[i], command);
        ok = id > 0;
        if (ok)
            printf("import: %s: run %" PRId64 ", %zu events, %zu transfers, %zu SCSI commands "
                   "(%zu completions without their submission, %zu submissions unfinished)\n",
                   im[i].path, id, im[i].cap.n, im[i].xf.n, im[i].sc.n, im[i].xf.unmatched,
                   im[i].xf.unfinished);
    }
    if (db != NULL)
        sim_trace_db_close(db);
    for (size_t i = 0; i < a.nfiles; i++)
        cli_capture_free(&im[i]);
    free(im);
    return ok ? CLI_EXIT_PASS : CLI_EXIT_USAGE;
}
