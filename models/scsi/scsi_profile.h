/*
 * scsi_profile.h - how long a simulated USB mass-storage device takes:
 * per command, per KiB of media, and for a disk with a head, per seek and
 * rotation. Four profiles, each value from a public measurement or
 * datasheet, or marked as the model's choice; docs/scsi-profiles.md gives
 * the derivations.
 *
 *   usb2-flash       a USB 2.0 stick (SanDisk Cruzer Micro class)
 *   usb3-flash       a USB 3.0 stick (Lexar JumpDrive S75 class)
 *   usb3-ssd-bridge  a SATA SSD behind a USB 3.0 bridge, BOT
 *   usb-hdd          a 2.5" 5400 rpm portable disk
 *
 * The numbers describe the device alone: USB bus time is the xHCI model's
 * (a command costs its overhead, then the data phase runs at the slower of
 * the medium and the bus).
 */
#ifndef IOSIM_SCSI_PROFILE_H
#define IOSIM_SCSI_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/machine/dev.h"

struct scsi_profile {
    const char *name;
    sim_time_ps read_cmd_ps, write_cmd_ps; /* a command's fixed cost, before its data */
    sim_time_ps read_ps_per_kib, write_ps_per_kib; /* the medium's streaming rate */
    sim_time_ps seek_read_ps, seek_write_ps; /* average seek, rotating media (0: flash) */
    sim_time_ps track_ps;               /* single-track seek: a short move */
    sim_time_ps revolution_ps;          /* one turn; half of it is the average latency */
    sim_time_ps flush_ps;               /* SYNCHRONIZE CACHE with nothing cached */
    bool write_cache;                   /* a volatile write cache, enabled */
    uint32_t block_bytes;               /* the logical block */
    /* a read cache with read-ahead (scsi_cache.h); none in the built-in
     * profiles, which have no source for one; `iosim calibrate` fits it */
    uint32_t cache_segments;            /* 0: every read goes to the medium */
    uint32_t readahead_kib;             /* read past a missed read */
    sim_time_ps hit_cmd_ps;             /* a hit's cost before its data */
    sim_time_ps hit_ps_per_kib;         /* a hit's data rate; 0: as fast as the bus takes it */
};

/* NULL-terminated. */
extern const struct scsi_profile *const scsi_profiles[];
const struct scsi_profile *scsi_profile_find(const char *name);

/* Time for one command of `bytes` at the medium, the head moved from
 * `from_lba` (UINT64_MAX: unknown) to `lba`: the figure a benchmark at
 * queue depth 1 would see, bus time aside. */
sim_time_ps scsi_profile_access_ps(const struct scsi_profile *p, bool write, uint64_t from_lba,
                                   uint64_t lba, uint64_t bytes);

#endif /* IOSIM_SCSI_PROFILE_H */
