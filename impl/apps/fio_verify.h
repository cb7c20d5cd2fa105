/*
 * fio_verify.h - what the fio workload expects a block to hold when it
 * reads it back with verify=1: the bookkeeping of generations per block
 * (the block format itself is fio_job.h's fio_verify_fill/check).
 *
 * Every write of a block carries the next generation of that block
 * (1, 2, ...). The workload never has two writes of one block in flight
 * (it waits, as fio's serialize_overlap does), so generations reach the
 * disk in order. A read of a block then may find
 *   - the newest generation acknowledged when the read was submitted, or
 *   - any generation submitted since (a write in flight meanwhile may land
 *     before or after the read is served: the previous or the new one),
 * i.e. one in [acked at submission, issued at completion]. Until a write of
 * its own is acknowledged, a block may also hold what it held before the
 * job - not known, so any valid block or zeros; with `prefilled` (an
 * earlier job wrote the region) zeros are a failure.
 *
 *     struct fio_verify v;
 *     fio_verify_init(&v, job.offset, job.size, job.bs, false, words);   words: 2 * blocks
 *     uint32_t gen = fio_verify_write_start(&v, off);  fill the buffer with gen, submit
 *     fio_verify_write_done(&v, off, gen, ok);
 *     uint32_t lo = fio_verify_read_start(&v, off);    submit the read
 *     fio_verify_read_ok(&v, off, lo, gen_found);      at its completion
 *
 * Ownership: caller storage; `words` (2 * blocks uint32_t, zeroed) is
 * borrowed for v's lifetime. Offsets are the job's (bs-aligned, inside the
 * region); others are a programmer error.
 */
#ifndef IOSIM_FIO_VERIFY_H
#define IOSIM_FIO_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#define FIO_VERIFY_BLOCKS_MAX (1u << 20) /* 8 MiB of bookkeeping */

struct fio_verify {
    uint64_t offset, blocks;
    uint32_t bs;
    bool prefilled;
    uint32_t *acked;                  /* per block: the newest generation acknowledged */
    uint32_t *issued;                 /* per block: the newest generation submitted */
};

/* blocks = size / bs, 1..FIO_VERIFY_BLOCKS_MAX. */
void fio_verify_init(struct fio_verify *v, uint64_t offset, uint64_t size, uint32_t bs,
                     bool prefilled, uint32_t *words);

/* The generation a write of the block at `off` carries. */
uint32_t fio_verify_write_start(struct fio_verify *v, uint64_t off);
/* Its completion: `ok` when the device took it. */
void fio_verify_write_done(struct fio_verify *v, uint64_t off, uint32_t gen, bool ok);

/* At a read's submission: the oldest generation it may find. */
uint32_t fio_verify_read_start(const struct fio_verify *v, uint64_t off);
/* At its completion: is generation `found` (0: zeros) one it may find? */
bool fio_verify_read_ok(const struct fio_verify *v, uint64_t off, uint32_t lo, uint32_t found);

#endif /* IOSIM_FIO_VERIFY_H */
