/*
 * capture_in.h - a capture file read and decoded for the commands that
 * take real captures (`iosim import`, `iosim replay-capture`): the file
 * read whole, its format told from its content, its URB events
 * (sim/capture/capture.h), its transfers and its Bulk-Only Transport
 * commands (xfers.h), with errors said on stderr the way the commands
 * promise - `FILE:LINE:COL: what` for text, `FILE: byte N: what` for
 * pcap and pcapng.
 *
 *     struct cli_capture c = {.path = "usbmon.txt"};
 *     if (!cli_capture_decode(&c, "iosim import")) ... exit 2 ...
 *     ... c.cap, c.xf, c.sc; cli_capture_t0(&c.cap) ...
 *     cli_capture_free(&c);
 *
 * Ownership: the caller's struct; decode fills it (also partly, on
 * failure), cli_capture_free releases what it holds either way. The path
 * is borrowed.
 */
#ifndef IOSIM_SIM_CLI_CAPTURE_IN_H
#define IOSIM_SIM_CLI_CAPTURE_IN_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/capture/capture.h"
#include "sim/capture/xfers.h"

struct cli_capture {
    const char *path;
    struct cap_capture cap;
    struct cap_xfers xf;
    struct cap_scsi sc;
};

/* Reads and decodes c->path; false after saying why on stderr, each line
 * prefixed by `who` where the message is not a position in the file. */
bool cli_capture_decode(struct cli_capture *c, const char *who);
void cli_capture_free(struct cli_capture *c);

/* The capture's time starts at its earliest event (a clock may step back,
 * so not always the first); decode refused a capture spanning more than
 * CLI_CAPTURE_SPAN_NS_MAX past it. */
#define CLI_CAPTURE_SPAN_NS_MAX ((uint64_t)INT64_MAX / 1000u)
uint64_t cli_capture_t0(const struct cap_capture *c);

#endif /* IOSIM_SIM_CLI_CAPTURE_IN_H */
