/*
 * replay.h - a capture's disk requests as a workload: what `iosim
 * replay-capture` turns into a scenario whose fio job (its `iolog`) asks
 * the simulated stack for exactly what the real host asked its device.
 *
 * One device's decoded SCSI commands (xfers.h) in order: each READ(10/16)
 * and WRITE(10/16) becomes a read or write of its bytes at its LBA, each
 * SYNCHRONIZE CACHE a flush, with its think time - how long the host
 * waited after the request before it completed until it sent this one
 * (0 for the first). Every other command (INQUIRY, TEST UNIT READY, READ
 * CAPACITY, MODE SENSE, REQUEST SENSE, ...) is one the host's driver sent
 * on its own, as usbscsid sends its own: counted by operation, not
 * replayed. The logical block size is what the data commands imply
 * (transfer length over blocks), else what READ CAPACITY answered, else
 * 512; the unit's size is READ CAPACITY's answer when the host asked.
 *
 *     struct cap_replay r;
 *     if (cap_replay_build(&sc, CAP_REPLAY_ANY, 0, &r) == IOSIM_OK) ...
 *     cap_replay_free(&r);
 *
 * Ownership: the replay owns its arrays until cap_replay_free; the
 * commands it was built from may go.
 */
#ifndef IOSIM_SIM_CAPTURE_REPLAY_H
#define IOSIM_SIM_CAPTURE_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "sim/capture/xfers.h"

/* Commands reaching past this many blocks are not replayed (the
 * simulated usb_storage device holds at most 2^48). */
#define CAP_REPLAY_LBA_MAX (1ull << 48)

/* cap_replay_build's bus: the device with the most SCSI commands. */
#define CAP_REPLAY_ANY (-1)

struct cap_replay_io {
    char op;                     /* 'r', 'w' or 'f' (fio's iolog) */
    uint8_t opcode;              /* the SCSI command it came from */
    uint64_t lba;
    uint32_t blocks;
    uint64_t think_ns;
    uint64_t latency_ns;         /* CBW to CSW on the real bus */
    const char *status;          /* as the capture's scsi_cmd row */
};

/* A command the replay leaves to the simulated driver, and how often. */
struct cap_replay_other {
    uint8_t opcode;
    uint32_t count;
};

struct cap_replay {
    uint16_t bus;
    uint8_t dev;
    uint32_t block_bytes;        /* 512 when no data command says */
    uint64_t end_lba;            /* one past the highest block touched */
    uint64_t capacity_blocks;    /* the unit's size its last READ CAPACITY gave, in
                                    blocks of block_bytes; 0: never asked */
    uint64_t span_ns;            /* the device's first command to its last */
    struct cap_replay_io *io;
    size_t n, cap;
    struct cap_replay_other other[256]; /* by first appearance */
    size_t nother;
    size_t commands;             /* every command of the device */
};

/* The replay of one device: bus/dev as given, or the device with the most
 * commands (the first such) when bus is CAP_REPLAY_ANY. IOSIM_ENOENT when
 * the capture has no SCSI command (of that device), ENOMEM. */
enum iosim_err cap_replay_build(const struct cap_scsi *sc, int bus, int dev,
                                struct cap_replay *out);
void cap_replay_free(struct cap_replay *r);

#endif /* IOSIM_SIM_CAPTURE_REPLAY_H */
