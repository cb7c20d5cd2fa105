/*
 * fio_job.h - fio-style job descriptions and the I/O sequence they make,
 * for the disk workload app (issue 13). A job names what fio users know:
 *
 *     rw        read | write | randread | randwrite | randrw | readwrite
 *     bs        block size, bytes (k/m/g suffixes, base 1024, as fio's default)
 *     size      the region, bytes from `offset`; a multiple of bs
 *     iodepth   I/Os in flight, 1..256
 *     rwmixread percent reads of a mixed job (50)
 *     fsync     a flush after every N writes (0: none)
 *     number_ios  I/Os to issue (default: size / bs, one pass)
 *     verify    1: every written block carries its offset, a generation and
 *               a checksum, and every block read is checked
 *     randseed  the seed of the offsets and the mix (fio's randseed)
 *     iolog     the I/Os themselves instead of a pattern (fio's read_iolog,
 *               as text): one a line, `r|w|f OFFSET LEN THINK` - read,
 *               write or flush, bytes (multiples of 512; a read or write
 *               512 to 1m, a flush 0 0), and the nanoseconds to wait after
 *               the I/O before it completed (at most an hour); blank lines
 *               and `#` comments skipped. What `iosim replay-capture` writes
 *               from a real host's commands. With an iolog, rw, bs, size,
 *               offset, rwmixread, fsync and number_ios are not used;
 *               iodepth must be 1 (a host's Bulk-Only Transport runs one
 *               command at a time) and verify 0.
 *
 * The sequence is deterministic for a job: sequential jobs walk the region
 * and wrap; random ones visit every block once a pass in an order a
 * full-period generator gives (fio's random map, without its memory).
 *
 *     struct fio_job j;
 *     fio_job_defaults(&j);  ... fill, or fio_job_set(&j, "bs", "4k", &why) ...
 *     fio_job_check(&j, blocks_of_the_disk * block_bytes, &why);
 *     struct fio_gen g;
 *     fio_gen_init(&g, &j);
 *     struct fio_io io;
 *     while (fio_gen_next(&g, &io)) submit(io.op, io.offset, io.len);
 *
 * Caller storage; no allocation. Errors name the key and what is wrong.
 */
#ifndef IOSIM_FIO_JOB_H
#define IOSIM_FIO_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl/port/err.h"

enum fio_rw { FIO_RW_READ, FIO_RW_WRITE, FIO_RW_RANDREAD, FIO_RW_RANDWRITE, FIO_RW_RANDRW,
              FIO_RW_READWRITE };

#define FIO_IODEPTH_MAX 256u
#define FIO_BS_MIN 512u
#define FIO_BS_MAX (1u << 20)

struct fio_job {
    enum fio_rw rw;
    uint32_t bs, iodepth, rwmixread, fsync;
    uint64_t size, offset, number_ios, randseed;
    bool verify;
    const char *iolog;                  /* borrowed, NUL-terminated; NULL: none */
    uint64_t iolog_ios;                 /* its I/Os */
    uint32_t iolog_max_len;             /* its longest read or write */
    uint32_t iolog_line, iolog_col;     /* where fio_job_set found it wrong */
};

enum fio_op { FIO_OP_READ, FIO_OP_WRITE, FIO_OP_FLUSH };

struct fio_io {
    enum fio_op op;
    uint64_t offset;                    /* bytes; 0 for a flush */
    uint32_t len;                       /* bytes; 0 for a flush */
    uint64_t think_ns;                  /* an iolog's wait before it; 0 otherwise */
};

#define FIO_THINK_NS_MAX 3600000000000ull /* an hour */

struct fio_gen {
    struct fio_job j;
    uint64_t blocks;                    /* in the region */
    uint64_t issued;                    /* reads and writes so far */
    uint64_t seq;                       /* the next sequential block */
    uint64_t perm, perm_mask, perm_left; /* the random walk over blocks */
    uint64_t mix;                       /* the mix generator's state */
    uint32_t since_flush;               /* writes since the last flush */
    bool flush_due;
    size_t log_pos;                     /* an iolog's next line */
};

void fio_job_defaults(struct fio_job *j);
/* One key from its text; EINVAL with *why (a static sentence) and, for an
 * iolog, its line and column in j->iolog_line / iolog_col. The iolog's
 * text is borrowed: it must outlive the job and its generator. */
enum iosim_err fio_job_set(struct fio_job *j, const char *key, const char *value,
                           const char **why);
/* The whole job against a disk of `disk_bytes`: EINVAL with *why. The
 * buffers it needs are fio_job_max_len bytes at most. */
enum iosim_err fio_job_check(const struct fio_job *j, uint64_t disk_bytes, const char **why);
uint32_t fio_job_max_len(const struct fio_job *j);
/* "4k", "1m", "512", "0x1000": bytes, or false. */
bool fio_size_parse(const char *text, uint64_t *out);

void fio_gen_init(struct fio_gen *g, const struct fio_job *j);
/* The next I/O, false when the job is done (a final flush of a job with
 * fsync comes before the end). */
bool fio_gen_next(struct fio_gen *g, struct fio_io *io);

/* verify: the bytes a write of `block_bytes` at `offset` carries in
 * generation `gen`, and the check of a block read back: true when it is
 * a whole block this job wrote at that offset (any generation, reported in
 * *gen), or never written (all zeros, *gen = 0). */
#define FIO_VERIFY_HEADER_BYTES 24u
void fio_verify_fill(uint8_t *buf, uint32_t block_bytes, uint64_t offset, uint32_t gen,
                     uint64_t seed);
bool fio_verify_check(const uint8_t *buf, uint32_t block_bytes, uint64_t offset, uint64_t seed,
                      uint32_t *gen);

#endif /* IOSIM_FIO_JOB_H */
