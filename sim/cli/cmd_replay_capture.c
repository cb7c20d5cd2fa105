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

#include "sim/capture/replay.h"
#include "sim/cli/capture_in.h"
#include "sim/cli/cli.h"
#include "sim/cli/outfile.h"
#include "sim/cli/replay_scenario.h"

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
    if (a->speed != NULL && !cli_replay_speed_ok(a->speed))
        return cli_opts_mistake(&cmd, "--speed wants full, high or super");
    unsigned bus, dev;
    char end;
    if (a->device != NULL && (sscanf(a->device, "%u:%u%c", &bus, &dev, &end) != 2 ||
                              bus > 65535 || dev > 127))
        return cli_opts_mistake(&cmd, "--device wants BUS:DEV (bus 0..65535, device 0..127)");
    return st;
}

struct replay_out {
    const struct replay_args *a;
    const struct cli_capture *c;
    const struct cap_replay *r;
};

static bool put_replay(FILE *f, void *ctx)
{
    const struct replay_out *o = ctx;
    char name[256];
    cli_replay_scenario_name(o->a->out, name, sizeof name);
    struct cli_replay_scenario sc = {.source = o->a->file, .format = o->c->cap.format,
                                     .name = name, .speed = o->a->speed,
                                     .profile = o->a->profile};
    cli_replay_scenario_put(f, &sc, o->r);
    return true;
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
    struct replay_out out = {.a = &a, .c = &c, .r = &r};
    ok = ok && cli_outfile_write(a.out, "iosim replay-capture", put_replay, &out);
    if (ok)
        printf("replay-capture: %s: bus %u device %u: %zu requests replayed, %zu other commands "
               "left to usbscsid -> %s\n",
               a.file, r.bus, r.dev, r.n, r.commands - r.n, a.out);
    cap_replay_free(&r);
    cli_capture_free(&c);
    return ok ? CLI_EXIT_PASS : CLI_EXIT_USAGE;
}
