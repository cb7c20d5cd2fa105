/* Timing profiles of USB mass-storage devices; values and their sources in
 * docs/scsi-profiles.md. */
#include "models/scsi/scsi_profile.h"

#include <string.h>

#include "impl/port/check.h"

/* ps per KiB for a rate in MB/s (10^6 bytes), as benchmarks report them */
#define PER_KIB(mb_per_s_x10) ((sim_time_ps)(1024ull * SIM_S * 10u / ((mb_per_s_x10) * 1000000ull)))

/* DEVHW: HD Tach read 28.9 MB/s, write 8.5 MB/s, end to end. Command
 * costs are usb3-flash's (no QD1 figure was found for this stick): the
 * model's choice. The read medium is calibrated: 40 MB/s, about what the
 * high-speed bus carries, gives DEVHW's read through the whole stack
 * (bench: storage.seqread.hs.mbps); 28.9 as the medium's rate gave 21.2
 * (docs/scsi-profiles.md). */
static const struct scsi_profile usb2_flash = {
    .name = "usb2-flash", .read_cmd_ps = 964 * SIM_US, .write_cmd_ps = 7080 * SIM_US,
    .read_ps_per_kib = PER_KIB(400), .write_ps_per_kib = PER_KIB(85),
    .flush_ps = 2 * SIM_MS, .write_cache = false, .block_bytes = 512};

/* ACEX, CrystalDiskMark on the Lexar S75: seq read 136 MB/s and 4K QD1
 * read 1010 IOPS give 0.964 ms + 155.4 MB/s; seq write 98 MB/s and 4K
 * QD1 write 141 IOPS give 7.08 ms + 289 MB/s (docs/scsi-profiles.md). */
static const struct scsi_profile usb3_flash = {
    .name = "usb3-flash", .read_cmd_ps = 964 * SIM_US, .write_cmd_ps = 7080 * SIM_US,
    .read_ps_per_kib = PER_KIB(1554), .write_ps_per_kib = PER_KIB(2890),
    .flush_ps = 2 * SIM_MS, .write_cache = false, .block_bytes = 512};

/* ED: UASP reads 369.2 MB/s, up to 30 % over BOT: BOT about 284 MB/s;
 * writes within 2.7 %. Command cost: the model's choice (an SSD answers in
 * tens of microseconds; the bridge adds some). */
static const struct scsi_profile usb3_ssd_bridge = {
    .name = "usb3-ssd-bridge", .read_cmd_ps = 100 * SIM_US, .write_cmd_ps = 100 * SIM_US,
    .read_ps_per_kib = PER_KIB(2840), .write_ps_per_kib = PER_KIB(2760),
    .flush_ps = 500 * SIM_US, .write_cache = true, .block_bytes = 512};

/* HGST-5K320 datasheet: average seek 12 ms read / 13 ms write, single
 * track 1.0 / 1.1 ms, 5400 rpm = 11.1 ms a turn; RITE: a portable 5400 rpm
 * disk reads 101 MB/s and writes 90 MB/s. Command cost: the model's
 * choice. */
static const struct scsi_profile usb_hdd = {
    .name = "usb-hdd", .read_cmd_ps = 200 * SIM_US, .write_cmd_ps = 200 * SIM_US,
    .read_ps_per_kib = PER_KIB(1010), .write_ps_per_kib = PER_KIB(900),
    .seek_read_ps = 12 * SIM_MS, .seek_write_ps = 13 * SIM_MS, .track_ps = 1 * SIM_MS,
    .revolution_ps = 11111 * SIM_US, .flush_ps = 10 * SIM_MS, .write_cache = true,
    .block_bytes = 512};

const struct scsi_profile *const scsi_profiles[] = {&usb2_flash, &usb3_flash, &usb3_ssd_bridge,
                                                    &usb_hdd, NULL};

const struct scsi_profile *scsi_profile_find(const char *name)
{
    for (size_t i = 0; scsi_profiles[i] != NULL; i++)
        if (strcmp(scsi_profiles[i]->name, name) == 0)
            return scsi_profiles[i];
    return NULL;
}

/* A rotating disk: none for the next block, a short move nearby (within a
 * track's worth of blocks, taken as 1 MiB), else an average seek; then half
 * a turn on average (not for the next block). */
static sim_time_ps position_ps(const struct scsi_profile *p, bool write, uint64_t from,
                               uint64_t lba)
{
    if (p->revolution_ps == 0 || from == lba)
        return 0;
    uint64_t near = (1u << 20) / p->block_bytes;
    uint64_t d = from == UINT64_MAX ? UINT64_MAX : from > lba ? from - lba : lba - from;
    sim_time_ps seek = d <= near ? p->track_ps : write ? p->seek_write_ps : p->seek_read_ps;
    return seek + p->revolution_ps / 2;
}

sim_time_ps scsi_profile_access_ps(const struct scsi_profile *p, bool write, uint64_t from_lba,
                                   uint64_t lba, uint64_t bytes)
{
    ASSERT(p != NULL);
    sim_time_ps per_kib = write ? p->write_ps_per_kib : p->read_ps_per_kib;
    return (write ? p->write_cmd_ps : p->read_cmd_ps) + position_ps(p, write, from_lba, lba) +
           bytes * per_kib / 1024u;
}
