/*
 * scsi_media.h - the medium behind a simulated SCSI logical unit (the USB
 * mass-storage model's disk): blocks of 512 or 4096 bytes, as many as a
 * scenario asks for (terabytes are fine: only blocks ever written take
 * memory, in 64 KiB chunks; the rest read as zeros), an optional volatile
 * write cache whose contents a power loss throws away, and media errors on
 * chosen LBA ranges.
 *
 *     struct scsi_media_config c = {.block_bytes = 512, .blocks = 1 << 21,
 *                                   .write_cache = true};
 *     struct scsi_media *m;
 *     scsi_media_create(&c, &m);
 *     scsi_media_load(m, 0, n, image);                  initial contents
 *     scsi_media_write(m, lba, n, data, false, &bad);   in the cache
 *     scsi_media_flush(m);                              durable now
 *     scsi_media_power_loss(m);                         unflushed writes are gone
 *     scsi_media_read(m, lba, n, out, &bad);
 *     scsi_media_destroy(m);
 *
 * Durability, exactly: a block reads back as the last write to it that is
 * durable - written with FUA or with the cache off, or flushed since - or,
 * while the cache holds a newer write, as that one. A power loss empties
 * the cache; nothing else is ever lost or mixed: a block is never part old
 * and part new.
 *
 * Nothing here depends on host addresses: chunks are found by their index
 * in a hash table whose slots are visited in index order, so a run is the
 * same on every host. Ownership: create allocates (host memory: this is the
 * device's medium, not simulated RAM), destroy frees everything.
 */
#ifndef IOSIM_SCSI_MEDIA_H
#define IOSIM_SCSI_MEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/machine/dev.h" /* enum iosim_err, as models see it */

#define SCSI_MEDIA_CHUNK_BYTES 65536u   /* the unit of allocation */
#define SCSI_MEDIA_ERRORS_MAX 16u       /* media error ranges */

/* What a media error range breaks. */
#define SCSI_MEDIA_ERR_READ 0x1u
#define SCSI_MEDIA_ERR_WRITE 0x2u

struct scsi_media_config {
    uint32_t block_bytes;               /* 512 or 4096 */
    uint64_t blocks;                    /* the capacity, >= 1, at most 2^48 */
    bool write_cache;                   /* writes wait in a volatile cache until flushed */
};

struct scsi_media_stats {
    uint64_t chunks_durable, chunks_cached; /* 64 KiB chunks holding data */
    uint64_t blocks_dirty;              /* written to the cache, not yet durable */
    uint64_t flushes, power_losses, blocks_lost;
};

struct scsi_media;

/* EINVAL for a block size or capacity outside the above, ENOMEM. */
enum iosim_err scsi_media_create(const struct scsi_media_config *c, struct scsi_media **out);
void scsi_media_destroy(struct scsi_media *m);

uint32_t scsi_media_block_bytes(const struct scsi_media *m);
uint64_t scsi_media_blocks(const struct scsi_media *m);
/* Whether writes wait in the volatile cache (the unit's setting). */
bool scsi_media_write_cache(const struct scsi_media *m);

/* n blocks from `lba` into out (n * block bytes). ERANGE when any of them
 * is past the end (nothing read); EIO when a read error range covers one:
 * *bad is the first such LBA and the blocks before it were read. */
enum iosim_err scsi_media_read(struct scsi_media *m, uint64_t lba, uint32_t n, void *out,
                               uint64_t *bad);

/* n blocks from `in` at `lba`: into the cache, or durable at once with
 * `fua` or the cache off. ERANGE as above; EIO at the first block a write
 * error range covers (*bad; the blocks before it were written); ENOMEM. */
enum iosim_err scsi_media_write(struct scsi_media *m, uint64_t lba, uint32_t n, const void *in,
                                bool fua, uint64_t *bad);

/* Initial contents, durable from the start: n blocks from `in` at `lba`,
 * as if they had always been on the medium (a disk image's, before the
 * run). Neither the cache nor the error ranges see them: a cached write
 * still reads over them and nothing is counted. An all-zero block takes no
 * memory where none is held yet, so a sparse image stays sparse. ERANGE as
 * for a read (nothing loaded); ENOMEM (the blocks before are loaded). */
enum iosim_err scsi_media_load(struct scsi_media *m, uint64_t lba, uint32_t n, const void *in);

/* Everything in the cache becomes durable (SYNCHRONIZE CACHE). */
enum iosim_err scsi_media_flush(struct scsi_media *m);

/* The power goes: the cache's contents are lost. */
void scsi_media_power_loss(struct scsi_media *m);

/* A range of `n` blocks from `lba` that fails reads and/or writes
 * (SCSI_MEDIA_ERR_*). ENOSPC past SCSI_MEDIA_ERRORS_MAX, ERANGE, EINVAL. */
enum iosim_err scsi_media_add_error(struct scsi_media *m, uint64_t lba, uint64_t n, uint32_t what);

void scsi_media_stats_get(const struct scsi_media *m, struct scsi_media_stats *out);

#endif /* IOSIM_SCSI_MEDIA_H */
