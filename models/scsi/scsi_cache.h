/*
 * scsi_cache.h - a disk drive's read cache, in segments: after a read
 * that missed, the drive keeps reading ahead past the data it was asked
 * for, so a later read of blocks it already holds (the same blocks again,
 * the next ones, or ones a little further on) is answered from its RAM
 * without a seek or a turn of the platter. Portable hard disks behind USB
 * bridges do this (the JMS566 capture in tests/fixtures/captures answers
 * most of Linux's partition-scan reads in 0.2 ms, its misses in 2-35 ms);
 * a timing profile (scsi_profile.h) turns it on with `cache_segments`.
 *
 * Segments are replaced oldest first, and a read that continues a
 * segment (starts inside it) refills that segment, so a sequential stream
 * keeps one; a write drops the segments it overlaps. Deterministic: no
 * clock, no randomness.
 *
 *     struct scsi_cache c;
 *     scsi_cache_init(&c, 16, 1024);        // 16 segments, 512 KiB read-ahead of 512-byte blocks
 *     if (!scsi_cache_hit(&c, lba, n)) { ... seek and read ...; scsi_cache_fill(&c, lba, n, disk); }
 *
 * Caller storage; no allocation.
 */
#ifndef IOSIM_SCSI_CACHE_H
#define IOSIM_SCSI_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#define SCSI_CACHE_SEGMENTS_MAX 64u

struct scsi_cache {
    uint64_t lo[SCSI_CACHE_SEGMENTS_MAX], hi[SCSI_CACHE_SEGMENTS_MAX]; /* [lo, hi) held */
    uint64_t filled[SCSI_CACHE_SEGMENTS_MAX]; /* when each was filled (the clock's count) */
    uint64_t clock;                     /* fills so far */
    uint32_t segments;                  /* in use at most; 0: no cache */
    uint32_t n;                         /* segments filled */
    uint64_t readahead;                 /* blocks read past a missed read */
};

/* segments 0..SCSI_CACHE_SEGMENTS_MAX (0: every read misses). */
void scsi_cache_init(struct scsi_cache *c, uint32_t segments, uint64_t readahead_blocks);
/* Forgets everything (a reset, a power loss). */
void scsi_cache_clear(struct scsi_cache *c);
/* Whether blocks [lba, lba + n) are all in one segment. */
bool scsi_cache_hit(const struct scsi_cache *c, uint64_t lba, uint64_t n);
/* A read of [lba, lba + n) that missed: the drive now holds it and the
 * read-ahead after it, up to disk_blocks. */
void scsi_cache_fill(struct scsi_cache *c, uint64_t lba, uint64_t n, uint64_t disk_blocks);
/* A write of [lba, lba + n): segments overlapping it are dropped. */
void scsi_cache_invalidate(struct scsi_cache *c, uint64_t lba, uint64_t n);

#endif /* IOSIM_SCSI_CACHE_H */
