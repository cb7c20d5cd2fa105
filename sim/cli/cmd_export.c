/*
 * `iosim export DB --run ID --format pcap|perfetto -o FILE`: one run of a
 * trace database in a format other tools read.
 *
 *   pcap      the run's USB transfers (`usb_xfer`) as a Linux usbmon
 *             capture (link type 220, sim/capture/pcap_write.h) for
 *             Wireshark or tshark - and for `iosim import`, which gives
 *             the same rows back. Each row is a submission ('S') at its
 *             submit_ps, with the setup packet, the requested length,
 *             status -115 (-EINPROGRESS, as usbmon shows a submission)
 *             and an OUT transfer's data, and a completion ('C') at its
 *             t_ps with its status, actual length and an IN transfer's
 *             data. The data is what the row kept (its first 32 bytes);
 *             the header's urb_len says the full length. Events are in
 *             time order (ties: row order, S before C); simulated
 *             picoseconds become nanoseconds (truncated) from the epoch.
 *   perfetto  Chrome trace-event JSON of the whole run (reports/perfetto.h)
 *             for ui.perfetto.dev or chrome://tracing.
 *
 * The file is written as FILE.tmp and renamed: on any error (exit 2, a
 * message `iosim export: ...`) no FILE is left behind, nor a FILE.tmp.
 * The rows come from the stored run through sim_trace_file_run_rows, the
 * reader `iosim replay` uses; a row's text columns are input like any
 * file's - a data column that is not hex bytes is refused, never read past.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "impl/port/check.h"
#include "reports/perfetto.h"
#include "sim/capture/capture.h"
#include "sim/capture/pcap_write.h"
#include "sim/cli/cli.h"
#include "sim/cli/outfile.h"
#include "sim/trace/trace.h"

#define EXPORT_DATA_MAX 32u      /* bytes a usb_xfer row keeps of its data */
#define EXPORT_PATH_MAX 4096u

struct export_args {
    const char *db;
    uint64_t run;
    bool run_set;
    const char *format;
    const char *out;
};

static int parse_export_args(int argc, char **argv, struct export_args *a)
{
    const struct cli_opt opts[] = {
        cli_run_id_opt("the run to export (the run table's id)", &a->run, &a->run_set),
        {.name = "format", .metavar = "FORMAT", .parse = cli_opt_text, .dest = &a->format,
         .help = "pcap (the USB transfers, for Wireshark) or perfetto (trace-event JSON)"},
        {.letter = 'o', .metavar = "FILE", .parse = cli_opt_text, .dest = &a->out,
         .help = "the file to write"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "export",
        .about = "Writes one run of a trace database in another tool's format. pcap: the\n"
                 "run's usb_xfer rows as a Linux usbmon capture (link type 220, nanosecond\n"
                 "times from 0) that Wireshark decodes - control, bulk, USB mass storage and\n"
                 "SCSI - and `iosim import` reads back into the same rows. perfetto: Chrome\n"
                 "trace-event JSON (ui.perfetto.dev, chrome://tracing): CPU and process\n"
                 "tracks from sched, ring operations, USB transfers and SCSI commands per\n"
                 "device, xHCI commands, interrupts and MMIO accesses.\n",
        .notes = "Exit status 0 when FILE was written; 2 for a usage mistake, a database or\n"
                 "run that does not exist, a run without usb_xfer rows (pcap) or rows that\n"
                 "cannot be exported - with `iosim export: what` on stderr and no FILE.\n",
        .opts = opts,
        .operand = {.metavar = "DB", .parse = cli_opt_text, .dest = &a->db},
        .max_operands = 1,
        .missing = "no database given",
    };
    int st = cli_opts_parse(&cmd, argc, argv);
    if (st != CLI_OPTS_GO_ON)
        return st;
    if (!a->run_set)
        return cli_opts_mistake(&cmd, "give the run to export: --run ID");
    if (a->format == NULL)
        return cli_opts_mistake(&cmd, "give the format: --format pcap or --format perfetto");
    if (strcmp(a->format, "pcap") != 0 && strcmp(a->format, "perfetto") != 0)
        return cli_opts_mistake(&cmd, "--format wants pcap or perfetto, got '%s'", a->format);
    if (a->out == NULL)
        return cli_opts_mistake(&cmd, "give the file to write: -o FILE");
    if (strlen(a->out) + 5 > EXPORT_PATH_MAX)
        return cli_opts_mistake(&cmd, "-o: a path shorter than %u bytes", EXPORT_PATH_MAX - 4);
    return st;
}

/* ---- usb_xfer rows -> capture events ----------------------------------- */

/* The usb_xfer columns export reads, found by name in the table's info. */
enum { C_URB, C_BUS, C_DEVNUM, C_EP, C_DIR, C_XFER, C_SETUP, C_REQUESTED, C_ACTUAL,
       C_STATUS, C_SUBMIT_PS, C_DATA, C_COUNT };
static const char *const col_names[C_COUNT] = {
    "urb", "bus", "devnum", "ep", "dir", "xfer", "setup", "requested", "actual",
    "status", "submit_ps", "data"};

struct xfer_tap {
    uint32_t table;
    uint32_t col[C_COUNT];       /* index of each column in the row */
    uint32_t ncols;              /* the table's, every col[] below it */
    struct cap_capture cap;      /* S and C of each row, in row order */
    uint64_t rows;
    enum iosim_err err;          /* first refusal (then rows are ignored) */
    char msg[200];
};

/* "80 06 00 01" (sim_trace_hex's form) into b; false when the text is
 * anything else or longer than cap bytes. */
static bool parse_hex(const char *s, uint8_t *b, uint32_t cap, uint32_t *n)
{
    static const char digits[] = "0123456789abcdef";
    *n = 0;
    for (size_t i = 0; s[i] != '\0'; i += 3) {
        const char *hi = strchr(digits, s[i]), *lo = hi != NULL ? strchr(digits, s[i + 1]) : NULL;
        if (hi == NULL || lo == NULL || s[i] == '\0' || s[i + 1] == '\0' || *n == cap)
            return false;
        if (s[i + 2] != ' ' && s[i + 2] != '\0')
            return false;
        b[(*n)++] = (uint8_t)((hi - digits) << 4 | (lo - digits));
        if (s[i + 2] == '\0')
            break;
    }
    return true;
}

static bool xfer_type(const char *s, uint8_t *out)
{
    static const char *const names[] = {"isoch", "interrupt", "control", "bulk"};
    for (uint8_t i = 0; i < 4 && s != NULL; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i; /* the usbmon numbering, enum cap_xfer_type */
            return true;
        }
    return false;
}

static bool in_range(int64_t v, int64_t lo, int64_t hi)
{
    return v >= lo && v <= hi;
}

/* The row is refused: remembered for the message; false, for row_events. */
static bool refuse(struct xfer_tap *x, const char *what)
{
    x->err = IOSIM_EPARSE;
    snprintf(x->msg, sizeof x->msg, "usb_xfer row %" PRIu64 " of the run: %s", x->rows, what);
    return false;
}

/* The S and C events of one row; false after refuse(). */
static bool row_events(struct xfer_tap *x, sim_time_ps t_ps, const struct sim_trace_value *v,
                       struct cap_event *s, struct cap_event *c, uint8_t *data, uint32_t *kept)
{
    const struct sim_trace_value *dir = &v[x->col[C_DIR]], *setup = &v[x->col[C_SETUP]];
    const struct sim_trace_value *hex = &v[x->col[C_DATA]];
    int64_t submit = v[x->col[C_SUBMIT_PS]].value;
    memset(s, 0, sizeof *s);
    if (!in_range(v[x->col[C_EP]].value, 0, 15) || !in_range(v[x->col[C_DEVNUM]].value, 0, 127) ||
        !in_range(v[x->col[C_BUS]].value, 0, UINT16_MAX) || !xfer_type(v[x->col[C_XFER]].str, &s->xfer))
        return refuse(x, "endpoint, device, bus or transfer type out of usbmon's range");
    if (dir->str == NULL || (strcmp(dir->str, "in") != 0 && strcmp(dir->str, "out") != 0))
        return refuse(x, "dir is neither in nor out");
    if (!in_range(v[x->col[C_REQUESTED]].value, 0, UINT32_MAX) ||
        !in_range(v[x->col[C_ACTUAL]].value, 0, UINT32_MAX) ||
        !in_range(v[x->col[C_STATUS]].value, INT32_MIN, INT32_MAX))
        return refuse(x, "requested, actual or status out of range");
    if (submit < 0 || (uint64_t)submit > t_ps)
        return refuse(x, "submit_ps is negative or after the row's time");
    uint32_t nsetup = 0;
    if (setup->str != NULL && (!parse_hex(setup->str, s->setup, 8, &nsetup) || nsetup != 8))
        return refuse(x, "setup is not 8 hex bytes");
    if (hex->str != NULL && !parse_hex(hex->str, data, EXPORT_DATA_MAX, kept))
        return refuse(x, "data is not at most 32 hex bytes");
    bool in = strcmp(dir->str, "in") == 0;
    s->urb = (uint64_t)v[x->col[C_URB]].value;
    s->ep = (uint8_t)(v[x->col[C_EP]].value | (in ? CAP_EP_IN : 0));
    s->dev = (uint8_t)v[x->col[C_DEVNUM]].value;
    s->bus = (uint16_t)v[x->col[C_BUS]].value;
    *c = *s;
    s->kind = 'S';
    s->t_ns = (uint64_t)submit / 1000u;
    s->status = -115; /* -EINPROGRESS: usbmon's status of a submission */
    s->has_setup = setup->str != NULL && s->xfer == CAP_XFER_CTRL;
    s->length = (uint32_t)v[x->col[C_REQUESTED]].value;
    s->data_len = in ? 0 : *kept;
    c->kind = 'C';
    c->t_ns = t_ps / 1000u;
    c->status = (int32_t)v[x->col[C_STATUS]].value;
    c->length = (uint32_t)v[x->col[C_ACTUAL]].value;
    c->data_len = in ? *kept : 0;
    memset(c->setup, 0, sizeof c->setup);
    return true;
}

static void xfer_row(void *ctx, uint32_t table, sim_time_ps t_ps, const struct sim_trace_value *v,
                     uint32_t ncols)
{
    struct xfer_tap *x = ctx;
    if (table != x->table || x->err != IOSIM_OK)
        return;
    x->rows++;
    ASSERT(ncols == x->ncols); /* the table find_columns read */
    struct cap_event s, c;
    uint8_t data[EXPORT_DATA_MAX];
    uint32_t kept = 0;
    if (!row_events(x, t_ps, v, &s, &c, data, &kept))
        return;
    enum iosim_err e = cap_push(&x->cap, &s, data);
    if (e == IOSIM_OK)
        e = cap_push(&x->cap, &c, data);
    if (e != IOSIM_OK) {
        x->err = e;
        snprintf(x->msg, sizeof x->msg, "%s", iosim_err_text(e));
    }
}

static bool find_columns(struct xfer_tap *x)
{
    if (!sim_trace_table_find("usb_xfer", &x->table))
        return false;
    const struct sim_trace_table_info *ti = sim_trace_table_info(x->table);
    x->ncols = ti->ncols;
    for (uint32_t k = 0; k < C_COUNT; k++) {
        uint32_t i = 0;
        while (i < ti->ncols && strcmp(ti->col_names[i], col_names[k]) != 0)
            i++;
        if (i == ti->ncols)
            return false;
        x->col[k] = i;
    }
    return true;
}

/* Event order: time, then the order the rows made them (S before C). */
struct order {
    uint64_t t_ns;
    size_t i;
};

static int order_cmp(const void *a, const void *b)
{
    const struct order *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* in's events sorted into out (empty); ENOMEM. */
static enum iosim_err sort_events(const struct cap_capture *in, struct cap_capture *out)
{
    struct order *o = malloc((in->n > 0 ? in->n : 1) * sizeof *o);
    if (o == NULL)
        return IOSIM_ENOMEM;
    for (size_t i = 0; i < in->n; i++)
        o[i] = (struct order){.t_ns = in->ev[i].t_ns, .i = i};
    qsort(o, in->n, sizeof *o, order_cmp);
    enum iosim_err e = IOSIM_OK;
    for (size_t i = 0; i < in->n && e == IOSIM_OK; i++) {
        const struct cap_event *ev = &in->ev[o[i].i];
        /* no cap_data for an event without bytes: the arena may be NULL */
        e = cap_push(out, ev, ev->data_len > 0 ? cap_data(in, ev) : NULL);
    }
    free(o);
    return e;
}

/* The run's transfers as pcap bytes in *b; false after saying why. */
static bool pcap_bytes(const struct export_args *a, struct cap_buf *b)
{
    static struct xfer_tap x;
    memset(&x, 0, sizeof x);
    cap_init(&x.cap);
    if (!find_columns(&x)) {
        fprintf(stderr, "iosim export: this build has no usb_xfer table\n");
        return false;
    }
    char msg[256];
    enum iosim_err e = sim_trace_file_run_rows(a->db, (int64_t)a->run, xfer_row, &x, NULL, msg,
                                               sizeof msg);
    bool ok = e == IOSIM_OK && x.err == IOSIM_OK && x.rows > 0;
    if (e != IOSIM_OK)
        fprintf(stderr, "iosim export: %s: %s\n", a->db, msg);
    else if (x.err != IOSIM_OK)
        fprintf(stderr, "iosim export: %s: run %" PRIu64 ": %s\n", a->db, a->run, x.msg);
    else if (x.rows == 0)
        fprintf(stderr, "iosim export: %s: run %" PRIu64 " has no usb_xfer rows to capture\n",
                a->db, a->run);
    struct cap_capture sorted;
    cap_init(&sorted);
    if (ok && ((e = sort_events(&x.cap, &sorted)) != IOSIM_OK ||
               (e = cap_write_pcap(&sorted, b)) != IOSIM_OK)) {
        fprintf(stderr, "iosim export: %s\n", iosim_err_text(e));
        ok = false;
    }
    cap_free(&sorted);
    cap_free(&x.cap);
    return ok;
}

/* ---- the file ------------------------------------------------------------ */

/* The format's bytes into f; false after saying why. */
static bool put_export(FILE *f, void *ctx)
{
    const struct export_args *a = ctx;
    if (strcmp(a->format, "pcap") == 0) {
        struct cap_buf b;
        cap_buf_init(&b);
        bool ok = pcap_bytes(a, &b) && fwrite(b.p, 1, b.n, f) == b.n;
        cap_buf_free(&b);
        return ok;
    }
    char msg[256];
    bool ok = report_perfetto(a->db, (int64_t)a->run, f, msg, sizeof msg) == IOSIM_OK;
    if (!ok)
        fprintf(stderr, "iosim export: %s\n", msg);
    return ok;
}

/* Writes FILE whole or not at all (outfile.h). */
static bool write_out(struct export_args *a)
{
    return cli_outfile_write(a->out, "iosim export", put_export, a);
}

int cli_export(int argc, char **argv)
{
    struct export_args a = {0};
    int st = parse_export_args(argc, argv, &a);
    if (st != CLI_OPTS_GO_ON)
        return st;
    /* SQLite would open a missing file read-only and then fail on a
     * table; say what is wrong instead */
    struct stat sb;
    if (stat(a.db, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fprintf(stderr, "iosim export: %s: no such database\n", a.db);
        return CLI_EXIT_USAGE;
    }
    return write_out(&a) ? CLI_EXIT_PASS : CLI_EXIT_USAGE;
}
