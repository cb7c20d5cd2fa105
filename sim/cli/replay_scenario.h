/*
 * replay_scenario.h - the scenario that replays a capture's disk requests
 * (sim/capture/replay.h): one xHCI controller, the device as a
 * `usb_storage` of the capture's block size and size (READ CAPACITY's
 * answer, else big enough for every LBA touched), pcid bringing up xhcid and usbscsid (which may send commands
 * as large as the host's, up to 1 MiB), and an fio process whose `iolog`
 * is the request list, expected to do every request and exit 0. Written
 * by `iosim replay-capture` to a file and by `iosim calibrate` to memory
 * for its own runs.
 *
 *     struct cli_replay_scenario o = {.source = path, .format = "usbmon-u", .name = "jms566-hdd",
 *                                     .speed = "super", .profile = "usb-hdd"};
 *     cli_replay_scenario_put(f, &o, &replay);
 *
 * Borrowed: everything; nothing is kept.
 */
#ifndef IOSIM_SIM_CLI_REPLAY_SCENARIO_H
#define IOSIM_SIM_CLI_REPLAY_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/capture/replay.h"

struct cli_replay_scenario {
    const char *source, *format;  /* the capture, for the header comment */
    const char *name;             /* the scenario's */
    const char *speed;            /* full, high or super; NULL: high */
    const char *profile;          /* a built-in's name or a profile file; NULL: the default */
    const char *profile_map;      /* or a YAML flow mapping of timing keys; NULL: none */
};

/* A speed the scenario's device may have: full, high or super. */
bool cli_replay_speed_ok(const char *speed);

void cli_replay_scenario_put(FILE *f, const struct cli_replay_scenario *o,
                             const struct cap_replay *r);

/* The fio I/Os the scenario asks for (requests past 1 MiB are split). */
uint64_t cli_replay_scenario_ios(const struct cap_replay *r);

/* The blocks the scenario's device has, of its block size: READ
 * CAPACITY's answer when the host asked (and it covers every request),
 * else what the requests touched, 65536 at least. */
uint64_t cli_replay_scenario_blocks(const struct cap_replay *r);

/* The scenario's name for a file written at path: its base name less
 * ".yaml" (scenarios/captures/jms566-hdd.yaml is jms566-hdd), into buf. */
void cli_replay_scenario_name(const char *path, char *buf, size_t cap);

#endif /* IOSIM_SIM_CLI_REPLAY_SCENARIO_H */
