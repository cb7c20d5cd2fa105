/*
 * `iosim replay-capture FILE --scenario OUT.yaml`: a real capture's disk
 * requests as a scenario, so the simulated stack (xhcid, usbscsid, the
 * xHCI and mass-storage models) runs exactly what the real host asked of
 * its device: the same reads, writes and flushes, sizes, LBAs and think
 * times (sim/capture/replay.h), as an fio job's `iolog`. Other commands
 * (INQUIRY, TEST UNIT READY, ...) are the host driver's own; usbscsid
 * sends its own, so they are listed in a comment, not replayed.
 *
 * The scenario has one xHCI controller and the device as a `usb_storage`
 * of the capture's block size, big enough for every LBA touched, at the
 * speed given (usbmon does not record it) and with the timing profile
 * given (a built-in name, or a file `iosim calibrate` wrote). It expects
 * the replay to exit 0 having done every request. It is written to
 * OUT.tmp and renamed: a failure leaves no half-written scenario.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl/port/spec/scsi.h"
#include "sim/capture/replay.h"
#include "sim/cli/capture_in.h"
#include "sim/cli/cli.h"

#define REPLAY_IO_BYTES_MAX (1u << 20) /* fio's largest request; longer ones are split */

struct replay_args {
    const char *file, *out, *device, *speed, *profile;
};

static int parse_replay_args(int argc, char **argv, struct replay_args *a)
{
    const struct cli_opt opts[] = {
        {.name = "scenario", .metavar = "OUT.yaml", .parse = cli_opt_text, .dest = &a->out,
         .help = "the scenario to write"},
        {.name = "device", .metavar = "BUS:DEV", .parse = cli_opt_text, .dest = &a->device,
         .help = "the device to replay (default: the one with the most SCSI commands)"},
        {.name = "speed", .metavar = "SPEED", .parse = cli_opt_text, .dest = &a->speed,
         .help = "full, high (default) or super: the speed the device ran at"},
        {.name = "profile", .metavar = "PROFILE", .parse = cli_opt_text, .dest = &a->profile,
         .help = "the device's timing: a built-in profile, or a file iosim calibrate wrote"},
        {0},
    };
    const struct cli_command cmd = {
        .name = "replay-capture",
        .about = "Turns a real USB capture's disk requests into a scenario: its READ, WRITE\n"
                 "and SYNCHRONIZE CACHE commands, with their LBAs, sizes and the host's think\n"
                 "times, become an fio job's iolog run against a simulated usb_storage device\n"
                 "of the capture's block size, through xhcid and usbscsid.\n",
        .notes = "Prints `replay-capture: FILE: bus B device D: N requests replayed, M other\n"
                 "commands left to usbscsid -> OUT`. Exit 0 written; 2 for a capture that\n"
                 "does not read, has no SCSI command (of that device), or usage.\n",
        .opts = opts,
        .operand = {.metavar = "FILE", .parse = cli_opt_text, .dest = &a->file},
        .max_operands = 1,
        .missing = "no capture given",
    };
    int st = cli_opts_parse(&cmd, argc, argv);
    if (st != CLI_OPTS_GO_ON)
        return st;
    if (a->out == NULL)
        return cli_opts_mistake(&cmd, "give the scenario to write: --scenario OUT.yaml");
    if (a->speed != NULL && strcmp(a->speed, "full") != 0 && strcmp(a->speed, "high") != 0 &&
        strcmp(a->speed, "super") != 0)
        return cli_opts_mistake(&cmd, "--speed wants full, high or super");
    unsigned bus, dev;
    char end;
    if (a->device != NULL && (sscanf(a->device, "%u:%u%c", &bus, &dev, &end) != 2 ||
                              bus > 65535 || dev > 127))
        return cli_opts_mistake(&cmd, "--device wants BUS:DEV (bus 0..65535, device 0..127)");
    return st;
}

/* YAML's double-quoted form of n bytes of a path or name. */
static void put_quoted_n(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void put_quoted(FILE *f, const char *s)
{
    put_quoted_n(f, s, strlen(s));
}

/* The iolog: one line per request, longer ones split at 1 MiB. */
static void put_iolog(FILE *f, const struct cap_replay *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct cap_replay_io *io = &r->io[i];
        if (io->op == 'f') {
            fprintf(f, "        f 0 0 %" PRIu64 "\n", io->think_ns);
            continue;
        }
        uint64_t off = io->lba * r->block_bytes, left = (uint64_t)io->blocks * r->block_bytes;
        for (uint64_t think = io->think_ns; left > 0; think = 0) {
            uint64_t len = left < REPLAY_IO_BYTES_MAX ? left : REPLAY_IO_BYTES_MAX;
            fprintf(f, "        %c %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", io->op, off, len, think);
            off += len;
            left -= len;
        }
    }
}

static uint64_t iolog_lines(const struct cap_replay *r)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        uint64_t bytes = (uint64_t)r->io[i].blocks * r->block_bytes;
        n += r->io[i].op == 'f' ? 1 : (bytes + REPLAY_IO_BYTES_MAX - 1) / REPLAY_IO_BYTES_MAX;
    }
    return n;
}

static void put_header(FILE *f, const struct replay_args *a, const struct cli_capture *c,
                       const struct cap_replay *r)
{
    fprintf(f, "# Written by iosim replay-capture from %s (%s): bus %u device %u,\n", a->file,
            c->cap.format, r->bus, r->dev);
    fprintf(f, "# %zu SCSI commands over %.6f s; %zu reads, writes and flushes replayed.\n",
            r->commands, (double)r->span_ns / 1e9, r->n);
    fprintf(f, "# Left to usbscsid, which sends its own at bring-up:");
    for (size_t i = 0; i < r->nother; i++)
        fprintf(f, "%s %s x%u", i == 0 ? "" : ",", scsi_op_name(r->other[i].opcode),
                r->other[i].count);
    fprintf(f, "%s\n", r->nother == 0 ? " none" : "");
    /* named by where it is written: scenarios/captures/jms566-hdd.yaml is jms566-hdd */
    const char *slash = strrchr(a->out, '/'), *base = slash != NULL ? slash + 1 : a->out;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
        len -= 5;
    fprintf(f, "scenario: ");
    put_quoted_n(f, base, len);
    fprintf(f, "\ndescription: >\n  The disk requests of a real capture, replayed by fio's iolog against\n"
               "  a simulated usb_storage device through xhcid and usbscsid.\n");
}

static void put_scenario(FILE *f, const struct replay_args *a, const struct cli_capture *c,
                         const struct cap_replay *r)
{
    const char *speed = a->speed != NULL ? a->speed : "high";
    bool super = strcmp(speed, "super") == 0;
    uint64_t blocks = r->end_lba * r->block_bytes / (r->block_bytes == 4096 ? 4096 : 512);
    blocks = blocks < 65536 ? 65536 : blocks;
    put_header(f, a, c, r);
    fprintf(f, "seed: 1\npolicy: fifo\ntime_limit: %" PRIu64 "s\n", 30 + 3 * (r->span_ns / 1000000000u));
    fprintf(f, "machine:\n  cpus: 2\n  memory: 64MiB\n  kernel: true\n"
               "  pci: {ecam: 0xe0000000, buses: 4}\n");
    fprintf(f, "devices:\n  - {name: xhci0, type: xhci, profile: qemu, at: \"04.0\", irq: 20}\n");
    fprintf(f, "  - {name: disk, type: usb_storage, controller: xhci0, port: %d, speed: %s, "
               "blocks: %" PRIu64 ", block_size: %u",
            super ? 1 : 5, speed, blocks, r->block_bytes == 4096 ? 4096u : 512u);
    if (a->profile != NULL) {
        fprintf(f, ", profile: ");
        put_quoted(f, a->profile);
    }
    fprintf(f, "}\nprocesses:\n  - name: pcid\n    run: pcid\n    args:\n      buses: 4\n"
               "      until_drivers_exit: 1\n"
               "      drivers: \"class=0x0c subclass=0x03 prog_if=0x30 driver=xhcid "
               "until_configured=1 until_drivers_exit=1 class_args=until_clients=1\"\n");
    fprintf(f, "  - name: replay\n    run: fio\n    args:\n      name: replay\n      iolog: |\n");
    if (r->n == 0)
        fprintf(f, "        # no read, write or flush in the capture\n");
    put_iolog(f, r);
    fprintf(f, "expect:\n  - process: {name: replay, exit: 0}\n"
               "  - trace: {table: fio_io, where: {job: replay}, count: %" PRIu64 "}\n",
            iolog_lines(r));
}

/* Writes the scenario to OUT.tmp, then renames it; false after saying why. */
static bool write_scenario(const struct replay_args *a, const struct cli_capture *c,
                           const struct cap_replay *r)
{
    size_t n = strlen(a->out) + 5;
    char *tmp = malloc(n);
    if (tmp == NULL) {
        fprintf(stderr, "iosim replay-capture: out of memory\n");
        return false;
    }
    snprintf(tmp, n, "%s.tmp", a->out);
    FILE *f = fopen(tmp, "w");
    bool ok = f != NULL;
    if (ok) {
        put_scenario(f, a, c, r);
        ok = !ferror(f);
        ok = fclose(f) == 0 && ok;
    }
    ok = ok && rename(tmp, a->out) == 0;
    if (!ok) {
        fprintf(stderr, "iosim replay-capture: %s: cannot write it\n", a->out);
        (void)remove(tmp);
    }
    free(tmp);
    return ok;
}

int cli_replay_capture(int argc, char **argv)
{
    struct replay_args a = {0};
    int st = parse_replay_args(argc, argv, &a);
    if (st != CLI_OPTS_GO_ON)
        return st;
    struct cli_capture c = {.path = a.file};
    struct cap_replay r = {0};
    bool ok = cli_capture_decode(&c, "iosim replay-capture");
    if (ok) {
        unsigned bus = 0, dev = 0;
        if (a.device != NULL)
            (void)sscanf(a.device, "%u:%u", &bus, &dev); /* checked by the parser */
        enum iosim_err e = cap_replay_build(&c.sc, a.device != NULL ? (int)bus : CAP_REPLAY_ANY,
                                            (int)dev, &r);
        if (e != IOSIM_OK) {
            fprintf(stderr, "iosim replay-capture: %s: %s\n", a.file,
                    e == IOSIM_ENOENT ? a.device != NULL ? "no SCSI command of that device"
                                                         : "no SCSI command in the capture"
                                      : iosim_err_text(e));
            ok = false;
        } else if (r.block_bytes % 512 != 0 || r.block_bytes > 65536) {
            fprintf(stderr, "iosim replay-capture: %s: blocks of %u bytes: the simulated device "
                            "has 512 or 4096\n", a.file, r.block_bytes);
            ok = false;
        }
    }
    ok = ok && write_scenario(&a, &c, &r);
    if (ok)
        printf("replay-capture: %s: bus %u device %u: %zu requests replayed, %zu other commands "
               "left to usbscsid -> %s\n",
               a.file, r.bus, r.dev, r.n, r.commands - r.n, a.out);
    cap_replay_free(&r);
    cli_capture_free(&c);
    return ok ? CLI_EXIT_PASS : CLI_EXIT_USAGE;
}
